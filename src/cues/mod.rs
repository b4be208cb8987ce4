//! Cues: readers of what a caller says, for the rules that hold the ticket
//! against the call (spec §2.1, issue #19).
//!
//! Each reader is a pure function over one utterance's text that returns
//! what it found with its byte span in the *original* text, so that a
//! finding's evidence can mark it in 【】 (`text::excerpt_marked`):
//!
//! - [`surname`]: the caller's surname (我姓X, 免贵姓X, 我叫XYZ, 我是X先生,
//!   compound surnames), a request to stay anonymous, and a pinyin
//!   comparison of two surnames for ASR homophones (张/章).
//! - [`phone`]: contact numbers in every spoken form (digits, groups,
//!   幺/两/零 and the other Chinese numerals, a landline with its area
//!   code), and the 就这个号 / 本机 cue.
//! - [`place`]: proper place names by their suffix (长青小区, 建设路) with
//!   their distinctive part.
//! - [`cue`]: the harm, repeat, risk (self-harm, collective action) and
//!   complaint/praise purpose cues, with exclusion contexts and negation.
//!
//! The readers know nothing of speakers, tickets or findings: the rules
//! that will build on them decide whose words count (only the caller's)
//! and what the ticket must hold. Their word lists are lexicon files under
//! `lexicons/` (see `lexicons/README.md`), compiled once per process by
//! the project's lexicon machinery ([`crate::lexicon::Lexicon`]).

use std::sync::OnceLock;

use crate::lexicon::{Hit, Lexicon};
use crate::text::{CleanText, NormText};

pub mod cue;
pub mod phone;
pub mod place;
pub mod surname;

/// A byte range of the original utterance text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The text the span covers in `original`.
    pub fn of<'t>(&self, original: &'t str) -> &'t str {
        original.get(self.start..self.end).unwrap_or("")
    }
}

/// A built-in lexicon, compiled on first use. The files are part of the
/// binary and the tests parse each of them, so an error here is a bug of a
/// shipped file: it is reported on stderr once and the reader then finds
/// nothing, rather than panicking.
fn builtin(
    cell: &'static OnceLock<Option<Lexicon>>,
    text: &str,
    name: &str,
) -> Option<&'static Lexicon> {
    cell.get_or_init(
        || match Lexicon::parse(text, &format!("built-in lexicons/{name}")) {
            Ok(lex) => Some(lex),
            Err(e) => {
                eprintln!("内置词表有错，请报告这个问题（built-in lexicon error）：{e}");
                None
            }
        },
    )
    .as_ref()
}

/// The hits of a built-in lexicon in `text` (none when it is missing).
fn find(lex: Option<&'static Lexicon>, text: &str) -> Vec<Hit<'static>> {
    lex.map_or_else(Vec::new, |l| l.find(text, &NormText::new(text)))
}

/// The hits in `text` of a built-in lexicon that are not negated
/// ([`negated`]).
fn find_asserted(lex: Option<&'static Lexicon>, text: &str) -> Vec<Hit<'static>> {
    let mut hits = find(lex, text);
    hits.retain(|h| !negated(text, h.start) && !denied_after(text, h.end));
    hits
}

/// As [`find_asserted`], with `text`'s clean form borrowed from a call's
/// shared buffers ([`crate::text::CleanTexts`]): the rules that read every
/// caller utterance for several kinds of cue clean each one once, not
/// once a kind.
fn find_asserted_clean(
    lex: Option<&'static Lexicon>,
    text: &str,
    clean: CleanText<'_>,
) -> Vec<Hit<'static>> {
    let mut hits = lex.map_or_else(Vec::new, |l| l.find_clean(text, clean));
    hits.retain(|h| !negated(text, h.start) && !denied_after(text, h.end));
    hits
}

/// The negators (没有, 没, 不, 未, 别, 无) with the words that start with
/// one and negate nothing (不小心, 没想到) as exclusions.
fn negators() -> Option<&'static Lexicon> {
    static CELL: OnceLock<Option<Lexicon>> = OnceLock::new();
    builtin(&CELL, NEGATORS, "negators.txt")
}

const NEGATORS: &str = include_str!("../../lexicons/negators.txt");

/// How many counted chars may stand between a negator and the cue it
/// negates: 没有【人】受伤, 不【想】闹大, 不【是要】投诉, 没有【任何人】受伤.
pub const NEGATION_GAP: usize = 3;

/// Whether the cue at `start` in `text` is negated: a negator ends at
/// most [`NEGATION_GAP`] counted chars (letters and digits) before it,
/// in the same clause (no sentence or clause punctuation between) and the
/// same predicate: a new subject or the consequence of a condition
/// between them (不修我就上访, 不给解决就闹大: [`PREDICATE_BREAKS`]) ends
/// its reach. A negator inside a non-negating word (不小心摔伤了) does not
/// count.
pub fn negated(text: &str, start: usize) -> bool {
    let Some(before) = text.get(..start) else {
        return false;
    };
    // Only the clause's last few chars matter: look at a short tail.
    let tail_start = before
        .char_indices()
        .rev()
        .take(24)
        .last()
        .map_or(start, |(i, _)| i);
    let tail = &before[tail_start..];
    find(negators(), tail).iter().any(|h| {
        let between = &tail[h.end..];
        !between
            .chars()
            .any(|c| is_clause_break(c) || PREDICATE_BREAKS.contains(&c))
            && !consequence(between)
            && between
                .chars()
                .filter(|&c| crate::text::is_counted(c))
                .count()
                <= NEGATION_GAP
    })
}

/// Chars that, after a negated verb, open its consequence: 不修【要】砸到人,
/// 不给钱【要】跳楼, 不解决【将】上访 are threats, as 不修就上访 is.
const CONSEQUENCE: &[char] = &['要', '将', '会'];

/// What before 要/将/会 keeps them inside the negated predicate: 不想要,
/// 不是要, 没说要, 没打算要, 没必要 negate what follows.
const MODAL_LEADS: &[&str] = &["想", "是", "说", "打算", "准备", "必", "需", "用", "一定"];

/// Whether `between` (what stands between a negator and a cue) holds the
/// start of a consequence: 要/将/会 after at least one char that is not a
/// modal (不要投诉 and 不想要投诉 stay negated).
fn consequence(between: &str) -> bool {
    between.char_indices().any(|(i, c)| {
        i > 0 && CONSEQUENCE.contains(&c) && !MODAL_LEADS.iter().any(|m| between.starts_with(m))
    })
}

/// What may stand between a cue and a denial after it: 受伤【倒是】没有,
/// 受伤【的】没有, 受伤【是】没有的.
const DENIAL_LINKS: &[&str] = &["倒是", "倒", "是", "的", "嘛", "呢"];

/// The denials that may follow a cue: 受伤倒是没有.
const DENIALS: &[&str] = &["没有", "没", "无"];

/// Sentence-final particles a denial may end with: 受伤是没有的, 受伤倒没有啊.
const FINAL_PARTICLES: &[char] = &['的', '了', '啊', '呀', '吧', '哈', '哦', '嘛', '呢'];

/// Whether the cue that ends at `end` in `text` is denied after it, the
/// clause ending with the denial: 受伤倒是没有，就是坑太大 and 受伤是没有的
/// say no one was hurt, as 没有人受伤 does before the cue. The clause must
/// end right after the denial (a particle allowed): in 受伤没有人管 the
/// 没有 starts another predicate, and the cue stands.
pub fn denied_after(text: &str, end: usize) -> bool {
    let Some(after) = text.get(end..) else {
        return false;
    };
    let rest = after.trim_start();
    let rest = DENIAL_LINKS
        .iter()
        .find_map(|l| rest.strip_prefix(l))
        .unwrap_or(rest);
    let Some(rest) = DENIALS.iter().find_map(|d| rest.strip_prefix(d)) else {
        return false;
    };
    let rest = rest.trim_start_matches(FINAL_PARTICLES).trim_start();
    rest.chars().next().is_none_or(is_clause_break)
}

/// Chars that start another predicate after a negator: a pronoun (a new
/// subject) or 就/才/便 (the consequence of a condition: 再不修我就上访 is
/// a threat, not a negated 上访).
pub const PREDICATE_BREAKS: &[char] = &['就', '才', '便', '我', '你', '您', '他', '她', '它', '们'];

/// Punctuation that ends a clause: a negator does not reach past it.
fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '！' | '？' | '；' | '：' | ',' | '.' | '!' | '?' | ';' | ':' | '、' | '…'
    )
}

/// `text`'s counted chars (letters, CJK, digits) with their byte offsets:
/// the readers that walk char by char skip punctuation and spaces as the
/// clean text does, but keep the offsets into the original.
fn counted_chars(text: &str) -> Vec<(usize, char)> {
    text.char_indices()
        .filter(|&(_, c)| crate::text::is_counted(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negation_reaches_a_few_chars_back_within_the_clause() {
        for (text, cue, want) in [
            ("没有人受伤", "受伤", true),
            ("没受伤", "受伤", true),
            ("没有任何人受伤", "受伤", true),
            ("不想闹大", "闹大", true),
            ("不是投诉", "投诉", true),
            ("先不投诉", "投诉", true),
            // Must not: too far, across a clause, or a non-negating word.
            ("孩子受伤了", "受伤", false),
            ("我不知道孩子他受伤了", "受伤", false),
            ("没办法，孩子受伤了", "受伤", false),
            ("不小心摔伤了", "摔伤", false),
            ("没想到受伤了", "受伤", false),
            ("不修我就上访", "上访", false),
            ("不给解决就闹大", "闹大", false),
            ("如果还不修我就要投诉了", "要投诉", false),
            ("再不解决我就跳楼", "跳楼", false),
            // A consequence after the negated verb, without 就: a threat.
            ("再不修要砸到人", "砸到", false),
            ("不给钱要跳楼", "跳楼", false),
            ("不解决将上访", "上访", false),
            // Must stay negated: 要/将/会 right after the negator or a modal.
            ("我不要投诉了", "投诉", true),
            ("不想要投诉", "投诉", true),
            ("我没说要上访", "上访", true),
            ("没打算要上访", "上访", true),
            ("我不会上访", "上访", true),
            ("我不是要投诉", "投诉", true),
        ] {
            let at = text.find(cue).unwrap_or(0);
            assert_eq!(negated(text, at), want, "{text}");
        }
    }

    #[test]
    fn a_denial_right_after_the_cue_ending_the_clause_negates_it() {
        for (text, cue, want) in [
            ("受伤倒是没有，就是那个坑太大了", "受伤", true),
            ("受伤是没有的", "受伤", true),
            ("受伤倒没有", "受伤", true),
            ("受伤的没有。", "受伤", true),
            ("上访倒不至于", "上访", false),
            // Must not: the denial starts another predicate, or none.
            ("孩子受伤没有人管", "受伤", false),
            ("孩子受伤了，没有人管", "受伤", false),
            ("老人摔伤了", "摔伤", false),
            ("受伤没有得到赔偿", "受伤", false),
        ] {
            let at = text.find(cue).map_or(0, |a| a + cue.len());
            assert_eq!(denied_after(text, at), want, "{text}");
        }
    }

    #[test]
    fn every_builtin_lexicon_parses() {
        for (text, name) in [
            (NEGATORS, "negators.txt"),
            (cue::HARM, "harm.txt"),
            (cue::REPEAT, "repeat_reports.txt"),
            (cue::SELF_HARM, "self_harm.txt"),
            (cue::COLLECTIVE, "collective_action.txt"),
            (cue::COMPLAINT, "complaint.txt"),
            (cue::PRAISE, "praise.txt"),
            (cue::REPEAT_RECORDED, "repeat_recorded.txt"),
            (surname::ANONYMOUS, "anonymous.txt"),
            (phone::OWN_NUMBER, "own_number.txt"),
            (phone::CORRECTIONS, "phone_corrections.txt"),
            (place::SUFFIXES, "place_suffixes.txt"),
            (place::NAME_WORDS, "place_names.txt"),
        ] {
            let lex = Lexicon::parse(text, name);
            assert!(lex.as_ref().is_ok_and(|l| !l.is_empty()), "{name}: {lex:?}");
        }
    }

    /// Every span a reader returns in `text`: within it, on char
    /// boundaries, not empty.
    fn spans(text: &str) -> Vec<Span> {
        let mut all = Vec::new();
        for s in surname::surnames(text) {
            all.push(s.span);
        }
        all.extend(surname::anonymous(text));
        for p in phone::phone_numbers(text) {
            all.push(p.span);
        }
        all.extend(phone::own_number_cue(text));
        for p in place::places(text) {
            all.push(p.span);
            all.push(p.distinctive_span);
        }
        all.extend(cue::cues(text).into_iter().map(|c| c.span));
        all
    }

    proptest::proptest! {
        #[test]
        fn readers_never_panic_and_spans_are_char_boundaries(
            t in "[我姓叫免贵是先生女士欧阳司马张章了名什么匿不方便透露就这个号码本机来电一二三四五六七八九零两幺洞0-9０-９ ，。、\\-长青小区建设路城管学校号楼受伤没有人又打反映投诉第次跳楼闹大想要表扬差点摔怎a-zA-Z😀é【】]{0,40}"
        ) {
            for s in spans(&t) {
                proptest::prop_assert!(s.start < s.end && s.end <= t.len(), "{s:?} in {t}");
                proptest::prop_assert!(t.is_char_boundary(s.start) && t.is_char_boundary(s.end), "{s:?} in {t}");
            }
            let _ = negated(&t, t.len());
        }

        /// The readers given a call's shared clean text find what they
        /// find cleaning the text themselves.
        #[test]
        fn readers_on_a_shared_clean_text_find_the_same(
            t in "[我姓叫免贵是先生女士了名不没有就要投诉表扬举报受伤摔倒跳楼上访闹大又第三次反映长青小区建设路号楼这个码本机来电3 ，。、a-zA-Z０-９]{0,40}"
        ) {
            let texts = crate::text::CleanTexts::new(std::iter::once(t.as_str()));
            for k in cue::CueKind::ALL {
                proptest::prop_assert_eq!(cue::find(k, &t), cue::find_clean(k, &t, texts.get(0)), "{:?} in {}", k, t);
            }
            proptest::prop_assert_eq!(place::places(&t), place::places_clean(&t, texts.get(0)), "{}", t);
            proptest::prop_assert_eq!(phone::own_number_cue(&t), phone::own_number_cue_clean(&t, texts.get(0)), "{}", t);
        }

        #[test]
        fn readers_never_panic_on_any_text(t in "\\PC{0,60}") {
            for s in spans(&t) {
                proptest::prop_assert!(s.start < s.end && s.end <= t.len());
                proptest::prop_assert!(t.is_char_boundary(s.start) && t.is_char_boundary(s.end));
            }
        }
    }
}
