//! The caller's surname as the caller states it (spec §2.1
//! `ticket.name_mismatch`): 我姓X, 免贵姓X, 本人姓X, 我姓名是XYZ,
//! 我叫XYZ / 我的名字叫XYZ, 叫我小X / 老X, 我是X先生 / X女士; a compound surname (欧阳,
//! 司马 … `lexicons/compound_surnames.txt`) is read whole. A request not
//! to give a name (匿名, 不方便透露, 不留名: `lexicons/anonymous.txt`) is
//! read apart ([`anonymous`]).
//!
//! Must not: 您贵姓 / 你姓什么 (a question, the agent's), 我姓什么,
//! 我叫了半天, 我叫他来, 我叫王师傅来修 (叫 as "call, ask"), 我邻居姓王
//! (someone else). After 叫 a name is taken only when its first char is a
//! common surname (`lexicons/surnames.txt`); after 姓 any char is, so that
//! an ASR slip (我姓理) still reaches [`same_pinyin`].
//!
//! Pinyin: the `pinyin` crate (crates.io, the table of the Unicode Han
//! database, with every reading of a heteronym: 单 shan/dan, 曾 zeng/ceng),
//! compared without tones, since ASR confuses 张/章 and 李/理 alike.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::{builtin, counted_chars, find_asserted, Span};
use crate::lexicon::Lexicon;

pub(super) const ANONYMOUS: &str = include_str!("../../lexicons/anonymous.txt");
const COMPOUND: &str = include_str!("../../lexicons/compound_surnames.txt");
const COMMON: &str = include_str!("../../lexicons/surnames.txt");

/// A surname the caller gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Surname {
    /// The surname: one char, or two for a compound one (欧阳).
    pub surname: String,
    /// Where the surname stands in the original text.
    pub span: Span,
    /// Read from a bare answer (姓王, 对，姓王): whose surname it is depends
    /// on what was asked (您贵姓, or 哪位民警), which the rule knows.
    pub answer: bool,
}

/// The entries of a one-per-line list file (comments and blanks skipped).
fn list(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn compound_surnames() -> &'static HashSet<(char, char)> {
    static SET: OnceLock<HashSet<(char, char)>> = OnceLock::new();
    SET.get_or_init(|| {
        list(COMPOUND)
            .filter_map(|l| {
                let mut cs = l.chars();
                Some((cs.next()?, cs.next()?))
            })
            .collect()
    })
}

fn common_surnames() -> &'static HashSet<char> {
    static SET: OnceLock<HashSet<char>> = OnceLock::new();
    SET.get_or_init(|| list(COMMON).filter_map(|l| l.chars().next()).collect())
}

fn anonymous_lexicon() -> Option<&'static Lexicon> {
    static CELL: OnceLock<Option<Lexicon>> = OnceLock::new();
    builtin(&CELL, ANONYMOUS, "anonymous.txt")
}

/// What may follow 姓 without being a surname: 姓什么, 姓啥, 姓名, 姓氏.
const NOT_AFTER_XING: &[char] = &['什', '啥', '名', '氏', '是', '的', '了', '么', '哪'];

/// What may open an answer before 姓王: 对，姓王 / 是，姓王 / 好的，姓王.
const ANSWER_LEADS: &[char] = &['对', '是', '好', '的', '行'];

/// The titles after a surname the caller calls themself by (我是王女士,
/// 叫我王阿姨就行).
const TITLES: &[&str] = &[
    "先生", "女士", "小姐", "阿姨", "大姐", "大哥", "大爷", "师傅", "老师",
];

/// Chars after 老 / 小 that make a word, not a surname: 老师, 老人, 老百姓,
/// 老板, 小孩 (common surnames among them: 师, 百, 公 …).
const NOT_AFTER_LAO: &[char] = &[
    '师', '人', '百', '板', '公', '婆', '家', '乡', '年', '头', '太', '实', '同', '大', '小', '伴',
    '总', '爷', '奶', '爸', '妈', '兵', '党', '员', '干', '孩', '朋', '区', '学', '姐', '弟', '妹',
];

/// Particles that may end a clause: 我是老李啊.
const PARTICLES: &[char] = &['啊', '呀', '吧', '哈', '呢', '嘛'];

/// Words in a clause that make a following 姓 someone else's: 那个工作人员，
/// 姓刘.
const OTHER_PEOPLE: &[&str] = &[
    "他", "她", "人员", "经理", "师傅", "老板", "那个", "主任", "保安", "司机", "医生", "老师",
    "邻居", "物业", "领导", "城管", "民警", "家属", "孩子", "老人",
];

/// Whether 姓 at `i` opens the utterance as an answer (姓王, 对，姓王).
fn opens_answer(cs: &[char], i: usize) -> bool {
    cs[..i]
        .iter()
        .all(|c| FILLERS.contains(c) || ANSWER_LEADS.contains(c))
}

/// Whether 姓 at `i` opens a clause after the caller spoke of themself
/// (我是住在这的业主，姓孙), no one else named before it.
fn opens_own_clause(text: &str, chars: &[(usize, char)], cs: &[char], i: usize) -> bool {
    if i == 0 || !clause_break_before(text, chars, i) {
        return false;
    }
    let before: String = cs[..i].iter().collect();
    before.contains('我') && !OTHER_PEOPLE.iter().any(|w| before.contains(w))
}

/// Whether clause punctuation stands between counted chars `i - 1` and `i`.
fn clause_break_before(text: &str, chars: &[(usize, char)], i: usize) -> bool {
    let (Some(&(o, c)), Some(&(next, _))) = (chars.get(i.wrapping_sub(1)), chars.get(i)) else {
        return false;
    };
    text.get(o + c.len_utf8()..next).is_some_and(|g| {
        g.chars().any(|c| {
            matches!(
                c,
                '，' | '。' | '！' | '？' | '；' | ',' | '.' | '!' | '?' | ';'
            )
        })
    })
}

/// Hesitation sounds a caller may say before the name.
const FILLERS: &[char] = &['嗯', '呃', '额', '啊', '哦', '噢'];

/// Words after a name read after 叫 that show 叫 means "call in, ask"
/// (我叫王师傅来修, 我叫李经理过来).
const NOT_A_NAME_AFTER: &[&str] = &[
    "师傅", "师父", "经理", "主任", "老师", "书记", "医生", "警官", "来", "过来", "去", "过去",
    "帮", "给",
];

/// Where a name may start: after these cues, as counted chars (the
/// readers skip punctuation and spaces as the clean text does). `true`:
/// the cue is 叫, after which only a common surname counts.
const CUES: &[(&str, bool)] = &[
    ("免贵姓", false),
    ("敝姓", false),
    ("鄙姓", false),
    ("本人姓", false),
    ("我姓", false),
    ("我姓名是", true),
    ("我姓名叫", true),
    ("我的名字叫", true),
    ("我的名字是", true),
    ("我名字叫", true),
    ("本人叫", true),
    ("我这边姓", false),
    ("我这姓", false),
    ("我的姓是", false),
    ("我叫", true),
    // 叫我小王就行: a surname after 小/老 (叫我老婆, 叫我小孩 are no names).
    ("叫我小", true),
    ("叫我老", true),
];

/// What stands before a surname with its title (X先生, X女士, X小姐):
/// 我是张先生, 你就叫我赵先生吧, 称呼我王女士就行.
const TITLE_CUES: &[&str] = &["我是", "叫我", "称呼我"];

/// The chars a statement of a surname can start with: the first char of
/// each cue and of each title cue. Made from [`CUES`] and [`TITLE_CUES`],
/// so a cue added there is never missed.
fn first_chars() -> &'static [char] {
    static CELL: OnceLock<Vec<char>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut v: Vec<char> = CUES
            .iter()
            .map(|(w, _)| *w)
            .chain(TITLE_CUES.iter().copied())
            .filter_map(|w| w.chars().next())
            .collect();
        // 姓王 at the start of an answer.
        v.push('姓');
        v.sort_unstable();
        v.dedup();
        v
    })
}

/// Every surname the caller states in `text`, in text order.
pub fn surnames(text: &str) -> Vec<Surname> {
    // Most of what a caller says states no name: without a char a
    // statement can start with, nothing is looked at or allocated.
    let first = first_chars();
    if !text.chars().any(|c| first.binary_search(&c).is_ok()) {
        return Vec::new();
    }
    let chars = counted_chars(text);
    let cs: Vec<char> = chars.iter().map(|&(_, c)| c).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        // Every cue and 我是 start with one of these chars.
        if first.binary_search(&cs[i]).is_err() {
            i += 1;
            continue;
        }
        // 姓王 as the whole answer to 您贵姓 (after a filler or 对 at
        // most): the utterance starts with 姓. Elsewhere a bare 姓 is
        // someone else's (我邻居姓王).
        let answer = cs[i] == '姓' && opens_answer(&cs, i);
        if answer || cs[i] == '姓' && opens_own_clause(text, &chars, &cs, i) {
            if let Some(s) = name_at(&chars, &cs, i + 1, false) {
                out.push(Surname { answer, ..s });
            }
            i += 1;
            continue;
        }
        // The longest cue that ends here wins (我姓名是 over 我姓).
        let cue = CUES
            .iter()
            .filter(|(w, _)| starts_with(&cs[i..], w))
            .max_by_key(|(w, _)| w.chars().count());
        if let Some(&(w, after_jiao)) = cue {
            let at = i + w.chars().count();
            if let Some(s) = name_at(&chars, &cs, at, after_jiao) {
                out.push(s);
            }
            i = at;
            continue;
        }
        // 我是X先生 / 我是X女士 / 我是欧阳女士, and how the caller asks to
        // be called: 你就叫我赵先生吧, 称呼我王女士就行.
        if let Some(w) = TITLE_CUES.iter().find(|w| starts_with(&cs[i..], w)) {
            let at = i + w.chars().count();
            if let Some((len, surname)) = surname_at(&cs, at) {
                // A common surname only: 我是说先生 is no name.
                let known = len == 2 || common_surnames().contains(&cs[at]);
                if known && TITLES.iter().any(|t| starts_with(&cs[at + len..], t)) {
                    out.push(Surname {
                        surname,
                        span: span_of(&chars, at, at + len),
                        answer: false,
                    });
                }
            }
            // 我是老李 / 我是小王, the clause ending there (我是小李的妈妈
            // names someone else; 我是老师 and 我是小区业主 no surname).
            if *w == "我是" && matches!(cs.get(at), Some('老' | '小')) {
                if let Some(&x) = cs.get(at + 1) {
                    let ends = at + 2 == cs.len()
                        || clause_break_before(text, &chars, at + 2)
                        || PARTICLES.contains(&cs[at + 2]);
                    if ends && common_surnames().contains(&x) && !NOT_AFTER_LAO.contains(&x) {
                        out.push(Surname {
                            surname: x.to_string(),
                            span: span_of(&chars, at + 1, at + 2),
                            answer: false,
                        });
                    }
                }
            }
        }
        i += 1;
    }
    out
}

/// A surname at `at` after a cue, or None when what follows is no name.
fn name_at(
    chars: &[(usize, char)],
    cs: &[char],
    mut at: usize,
    after_jiao: bool,
) -> Option<Surname> {
    // A filler between the cue and the name (我姓…嗯…张) is skipped.
    while cs.get(at).is_some_and(|c| FILLERS.contains(c)) {
        at += 1;
    }
    let &first = cs.get(at)?;
    if !('\u{4e00}'..='\u{9fff}').contains(&first) || NOT_AFTER_XING.contains(&first) {
        return None;
    }
    let (len, surname) = surname_at(cs, at)?;
    if after_jiao {
        if len == 1 && !common_surnames().contains(&first) {
            return None;
        }
        // 叫王师傅来: the word after the surname (and maybe one given-name
        // char) shows a person called in, not the caller's name.
        let rest = &cs[at + len..];
        let called_in = (0..=1).any(|skip| {
            rest.get(skip..)
                .is_some_and(|r| NOT_A_NAME_AFTER.iter().any(|w| starts_with(r, w)))
        });
        if called_in {
            return None;
        }
    }
    Some(Surname {
        surname,
        span: span_of(chars, at, at + len),
        answer: false,
    })
}

/// The surname starting at `at`: (its length in chars, the surname), a
/// compound one when the two chars make one.
fn surname_at(cs: &[char], at: usize) -> Option<(usize, String)> {
    let &a = cs.get(at)?;
    if !('\u{4e00}'..='\u{9fff}').contains(&a) {
        return None;
    }
    if let Some(&b) = cs.get(at + 1) {
        if compound_surnames().contains(&(a, b)) {
            return Some((2, [a, b].iter().collect()));
        }
    }
    Some((1, a.to_string()))
}

/// Whether `cs` begins with the chars of `w`.
fn starts_with(cs: &[char], w: &str) -> bool {
    let mut rest = cs.iter();
    w.chars().all(|c| rest.next() == Some(&c))
}

/// The original bytes of counted chars `from..to` (`from < to`).
fn span_of(chars: &[(usize, char)], from: usize, to: usize) -> Span {
    let last = chars[to - 1];
    Span {
        start: chars[from].0,
        end: last.0 + last.1.len_utf8(),
    }
}

/// Where the caller asks not to give a name (匿名, 不方便透露, 不留名), not
/// negated (我不匿名).
pub fn anonymous(text: &str) -> Option<Span> {
    find_asserted(anonymous_lexicon(), text)
        .first()
        .map(|h| Span {
            start: h.start,
            end: h.end,
        })
}

/// The toneless readings of a char (every one of a heteronym), or none
/// for a char the table lacks.
fn readings(c: char) -> Vec<&'static str> {
    use pinyin::ToPinyinMulti;
    c.to_pinyin_multi()
        .map(|multi| multi.into_iter().map(|p| p.plain()).collect())
        .unwrap_or_default()
}

/// Whether two surnames sound the same: as many chars, and each pair of
/// chars equal or sharing a toneless reading (张/章 zhang, 李/理 li, 单/善
/// shan). Equal surnames are the same; chars without a reading match only
/// themselves.
pub fn same_pinyin(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    a.len() == b.len()
        && !a.is_empty()
        && a.iter().zip(&b).all(|(&x, &y)| {
            x == y || {
                let ry = readings(y);
                readings(x).iter().any(|r| ry.contains(r))
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<String> {
        surnames(text).into_iter().map(|s| s.surname).collect()
    }

    #[test]
    fn surnames_the_caller_states_are_read() {
        for (text, want) in [
            ("我姓张", "张"),
            ("我姓张，弓长张", "张"),
            ("免贵姓王", "王"),
            ("免贵，姓李", "李"),
            ("本人姓刘，住在长青小区", "刘"),
            ("我叫张三", "张"),
            ("我叫 李四，电话是", "李"),
            ("我的名字叫王小明", "王"),
            ("我姓欧阳", "欧阳"),
            ("我叫司马光", "司马"),
            ("我叫诸葛明", "诸葛"),
            ("我是张先生", "张"),
            ("我是王女士，我想反映", "王"),
            ("我是欧阳女士", "欧阳"),
            ("我姓名是张三", "张"),
            // An ASR slip after 姓 is still read, for the pinyin check.
            ("我姓理", "理"),
            ("我姓……嗯……张", "张"),
            ("我姓章，立早章", "章"),
            ("免贵姓欧阳", "欧阳"),
            ("您叫我小王就行", "王"),
            ("叫我老刘", "刘"),
            // How the caller asks to be called, with a title.
            ("你就叫我赵先生吧", "赵"),
            ("称呼我王女士就行", "王"),
            ("叫我欧阳先生", "欧阳"),
            // The whole answer to 您贵姓.
            ("姓王", "王"),
            ("嗯，姓冯，电话13622223333", "冯"),
            ("对，姓欧阳", "欧阳"),
            ("好的，姓李，木子李", "李"),
            ("我是住在这的业主，姓孙", "孙"),
            ("我这边姓陈", "陈"),
            ("我的姓是周", "周"),
            ("就叫我王阿姨吧", "王"),
            ("我是老李", "李"),
            ("我是小王啊，上次打过电话", "王"),
        ] {
            let got = read(text);
            let want: Vec<String> = if want.is_empty() {
                vec![]
            } else {
                vec![want.to_string()]
            };
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn what_is_not_the_callers_surname_is_not_read() {
        for text in [
            "您贵姓？",
            "请问您姓什么",
            "你姓什么",
            "我姓什么不重要",
            "我姓名不方便说",
            "我叫了半天没人理",
            "我叫他们来看看",
            "我叫王师傅来修过",
            "我叫物业过来",
            "我邻居姓王",
            "他叫张三",
            "我是业主",
            "我是说先生",
            "我叫我老婆过来",
            "叫我小孩回家",
            // A title after 叫我 only: 叫我过去, 叫我先生 name no surname.
            "他们叫我过去签字",
            "叫我先生就行",
            // A bare 姓 not opening the answer is someone else's.
            "那个人姓王",
            "物业经理姓刘",
            "姓什么不重要",
            "那个工作人员，姓刘，态度很差",
            "我去找物业，姓张的经理不在",
            "我是老师",
            "我是小区业主",
            "我是小李的妈妈",
            "我是老百姓",
        ] {
            assert_eq!(read(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn the_span_covers_the_surname_in_the_original() {
        let text = "喂，我姓 欧阳，欧阳修的欧阳";
        let s = &surnames(text)[0];
        assert_eq!(s.span.of(text), "欧阳");
        let text = "我叫张三";
        assert_eq!(surnames(text)[0].span.of(text), "张");
    }

    #[test]
    fn anonymous_requests_are_read_unless_negated() {
        for (text, want) in [
            ("我要匿名反映", Some("匿名")),
            ("名字不方便透露", Some("不方便透露")),
            ("我不留名了", Some("不留名")),
            ("名字就不用了，你写匿名", Some("名字就不用了")),
            ("别写我名字", Some("别写我名字")),
            ("我不匿名，我姓张", None),
            ("我写过匿名信", None),
            ("我姓张", None),
        ] {
            assert_eq!(anonymous(text).map(|s| s.of(text)), want, "{text}");
        }
    }

    #[test]
    fn homophone_surnames_share_pinyin() {
        for (a, b, want) in [
            ("张", "张", true),
            ("张", "章", true),
            ("李", "理", true),
            ("欧阳", "欧杨", true),
            ("单", "善", true),
            // Must not: different sounds, different lengths, nothing.
            ("张", "王", false),
            ("李", "刘", false),
            ("欧阳", "欧", false),
            ("", "", false),
            ("张", "zhang", false),
        ] {
            assert_eq!(same_pinyin(a, b), want, "{a} {b}");
        }
    }

    #[test]
    fn every_compound_surname_is_two_chars_and_every_common_one_is_one() {
        for l in list(COMPOUND) {
            assert_eq!(l.chars().count(), 2, "{l}");
        }
        for l in list(COMMON) {
            assert_eq!(l.chars().count(), 1, "{l}");
        }
    }
}
