//! Norm 6, 业务要求: every phone number the agent gives the caller must be
//! in the directory of units and hotlines, and a unit the number is given
//! with must own it. Not assessed when the agent gives no number.
//!
//! §2 reads "another unit's number" as a unit named in the same utterance
//! with a number the directory gives to a different unit. A unit is named
//! by any of its aliases (its directory name's forms, its kind's everyday
//! names, the file's aliases column: [`Directory::named_units`]), and the
//! number's owners are looked up among the same entries, so 水务公司 with the
//! water company's number passes and with the gas company's fails whatever
//! the directory calls them. Within the utterance, the unit a number is
//! given with is the one its clause names, or the one the clause points
//! back to (see [`units_given_with`]): a unit that is only the topic of
//! another clause (如果供电公司还不来修，您再打12345反映) is not one.
//!
//! A number counts as a phone number given to call only with a cue within
//! `cue_window_chars` characters (lexicon `phone_cues`: 电话, 拨打, 号码,
//! 热线 …, or a unit's name from the directory). It does not count when it
//! is a 工号, an id, a date, an amount or a count (lexicon `not_phone`
//! before it, a unit such as 年/月/号/元/个 right after it), or the caller's
//! own number read back (the ticket's caller_phone, or a number the caller
//! said in the call).

use crate::config::AccuracyConfig;
use crate::lexicon::directory::Directory;
use crate::lexicon::{Lexicon, LexiconKind};
use crate::model::{Call, NormId, Speaker, Ticket};
use crate::norms::{CallView, Norm, Outcome};
use crate::text::{digits, NormText};

pub(crate) struct Accuracy {
    window: usize,
}

impl Accuracy {
    pub(crate) fn new(cfg: &AccuracyConfig) -> Accuracy {
        Accuracy {
            window: cfg.cue_window_chars.max(1),
        }
    }
}

/// A phone number the agent gave, in one utterance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneMention {
    /// Its digits.
    pub digits: String,
    /// Byte range in the original text.
    pub start: usize,
    /// End of the byte range.
    pub end: usize,
}

/// What may follow a number that makes it a date, an amount or a count.
const NOT_PHONE_AFTER: &[&str] = &[
    "年", "月", "日", "点", "时", "分", "秒", "元", "块", "万", "千", "百", "岁", "米", "公里",
    "平", "个", "次", "天", "楼", "层", "室", "栋", "幢", "单元", "路", "街", "%", "％", "人",
    "户", "位", "周", "小时", "期", "斤", "公斤", "吨", "度", "辆", "份", "件", "条", "张", "项",
    "家", "届", "台", "毫", "克", "升",
];

/// Strong cues that make a 3–4 digit number a phone number (拨打110).
const SHORT_CUES: &[&str] = &["拨打", "打", "电话", "热线", "号码", "致电"];

fn chinese_digit(c: char) -> Option<char> {
    Some(match c {
        '零' | '〇' | '洞' => '0',
        '一' | '幺' | '壹' => '1',
        '二' | '贰' => '2',
        '三' | '叁' => '3',
        '四' | '肆' => '4',
        '五' | '伍' => '5',
        '六' | '陆' => '6',
        '七' | '柒' => '7',
        '八' | '捌' => '8',
        '九' | '玖' => '9',
        _ => return None,
    })
}

fn digit_of(c: char) -> Option<char> {
    if c.is_ascii_digit() {
        return Some(c);
    }
    if ('０'..='９').contains(&c) {
        return char::from_u32(c as u32 - '０' as u32 + '0' as u32);
    }
    None
}

/// Whether `text` may hold a number: an ASCII or full-width digit, or three
/// Chinese numerals in a row. Most utterances hold none; this finds that
/// out on the bytes, decoding only the three-byte characters that can be
/// numerals (every Chinese numeral and full-width digit is three bytes).
pub(crate) fn may_hold_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < b.len() {
        let x = b[i];
        if x < 0x80 {
            if x.is_ascii_digit() {
                return true;
            }
            run = 0;
            i += 1;
            continue;
        }
        let width = if x >= 0xF0 {
            4
        } else if x >= 0xE0 {
            3
        } else {
            2
        };
        if width == 3 && i + 2 < b.len() {
            let c = (u32::from(x & 0x0F) << 12)
                | (u32::from(b[i + 1] & 0x3F) << 6)
                | u32::from(b[i + 2] & 0x3F);
            if (0xFF10..=0xFF19).contains(&c) {
                return true;
            }
            run = match char::from_u32(c).and_then(chinese_digit) {
                Some(_) => run + 1,
                None => 0,
            };
            if run >= 3 {
                return true;
            }
        } else {
            run = 0;
        }
        i += width;
    }
    false
}

/// The char at byte `i` of `text` (a char boundary), if any.
#[inline]
fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|t| t.chars().next())
}

/// The runs of [`digit_runs`] before long ones are split: read along the
/// text itself (no list of its chars), and a run of Chinese numerals gets
/// its digits only once it is known to be three or more long (一下 holds
/// no number).
fn runs(text: &str) -> Vec<(String, usize, usize)> {
    runs_with::<false>(text)
}

/// [`runs`], and with `MASKING` also the forms privacy masking must catch
/// that the norm does not read as one number: groups joined by dots
/// (138.1234.5678) and a number an excerpt's 【】 cut in two. The norm's
/// reading (`MASKING` false) is unchanged by them.
fn runs_with<const MASKING: bool>(text: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(c) = char_at(text, i) {
        let start = i;
        let next = start + c.len_utf8();
        if digit_of(c).is_some() {
            let mut ds = String::new();
            let (mut j, mut end, mut group) = (start, start, 0);
            while let Some(c) = char_at(text, j) {
                let after = j + c.len_utf8();
                let next_is_digit = char_at(text, after).is_some_and(|n| digit_of(n).is_some());
                if let Some(d) = digit_of(c) {
                    ds.push(d);
                    group += 1;
                    end = after;
                    j = after;
                } else if matches!(c, '-' | '－' | '—') && next_is_digit {
                    group = 0;
                    j = after;
                } else if c == ' ' && next_is_digit && matches!(group, 1 | 3 | 4) {
                    // 138 1234 5678, 0571 2618110, and digits read one by one
                    // (8 7 1 9 3 3 6 6); but 12345 12348 are two numbers.
                    group = 0;
                    j = after;
                } else if MASKING
                    && matches!(c, '.' | '．')
                    && next_is_digit
                    && matches!(group, 3 | 4)
                {
                    // 138.1234.5678; a decimal (3.5, 100.25) has no such group.
                    group = 0;
                    j = after;
                } else if MASKING && matches!(c, '【' | '】') && next_is_digit {
                    // The mark of a hit inside a number hides no digit.
                    j = after;
                } else {
                    break;
                }
            }
            out.push((ds, start, end));
            i = j.max(next);
        } else if chinese_digit(c).is_some() {
            let (mut j, mut n) = (start, 0);
            while let Some(c) = char_at(text, j).filter(|&c| chinese_digit(c).is_some()) {
                n += 1;
                j += c.len_utf8();
            }
            if n >= 3 {
                let ds = text[start..j].chars().filter_map(chinese_digit).collect();
                out.push((ds, start, j));
            }
            i = j.max(next);
        } else {
            i = next;
        }
    }
    out
}

/// Runs of digits in `text`: ASCII or full-width digits with `-` or single
/// spaces between groups, or 3+ Chinese numerals read digit by digit
/// (幺二三四五). Returns (digits, byte start, byte end).
pub(crate) fn digit_runs(text: &str) -> Vec<(String, usize, usize)> {
    if !may_hold_number(text) {
        return Vec::new();
    }
    split_long(text, runs(text))
}

/// The runs of digits privacy masking reads ([`runs_with`]`::<true>`),
/// split as [`digit_runs`] splits them.
pub(crate) fn digit_runs_for_masking(text: &str) -> Vec<(String, usize, usize)> {
    if !may_hold_number(text) {
        return Vec::new();
    }
    split_long(text, runs_with::<true>(text))
}

/// Numbers joined by spaces into something too long were separate numbers.
fn split_long(text: &str, out: Vec<(String, usize, usize)>) -> Vec<(String, usize, usize)> {
    if !out
        .iter()
        .any(|(ds, s, e)| ds.len() > 12 && text[*s..*e].contains(' '))
    {
        return out;
    }
    let mut split = Vec::new();
    for (ds, s, e) in out {
        if ds.len() > 12 && text[s..e].contains(' ') {
            let mut pos = s;
            for part in text[s..e].split(' ') {
                let d = digits(part);
                if !d.is_empty() {
                    split.push((d, pos, pos + part.len()));
                }
                pos += part.len() + 1;
            }
        } else {
            split.push((ds, s, e));
        }
    }
    split
}

fn chars_before(text: &str, at: usize, n: usize) -> &str {
    let start = text[..at]
        .char_indices()
        .rev()
        .take(n)
        .last()
        .map_or(at, |(i, _)| i);
    &text[start..at]
}

fn chars_after(text: &str, at: usize, n: usize) -> &str {
    let end = text[at..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| at + i);
    &text[at..end]
}

/// Buffers reused for every number of a text: the windows around a
/// number are cleaned into them instead of into new strings.
#[derive(Default)]
struct Scratch {
    clean: String,
    norm: NormText,
}

impl Scratch {
    /// `s` in clean form (the `clean` of [`NormText::new`]).
    fn clean(&mut self, s: &str) -> &str {
        crate::text::clean_to(s, &mut self.clean);
        &self.clean
    }

    /// Whether lexicon `lex` has a hit in `s`.
    fn has_hit(&mut self, lex: &Lexicon, s: &str) -> bool {
        self.norm.refill(s);
        lex.is_match(s, &self.norm)
    }

    /// Whether `s` names a unit of the directory.
    fn names_a_unit(&mut self, directory: &Directory, s: &str) -> bool {
        directory.names_a_unit(self.clean(s))
    }
}

/// Numbers that belong to the caller, looked up in constant time (a
/// hostile call may hold thousands), matching as [`crate::lexicon::directory::same_number`] does.
#[derive(Debug, Default)]
pub struct PrivateNumbers {
    set: std::collections::HashSet<String>,
}

impl PrivateNumbers {
    /// Adds a number (digits), with its forms without a 3- or 4-digit area code.
    pub fn insert(&mut self, d: &str) {
        self.set.insert(d.to_string());
        for code in [3, 4] {
            if d.starts_with('0') && d.len() >= code + 7 {
                self.set.insert(d[code..].to_string());
            }
        }
    }

    /// True when `d` is one of the numbers, with or without an area code.
    pub fn contains(&self, d: &str) -> bool {
        self.set.contains(d)
            || [3, 4].iter().any(|&code| {
                d.starts_with('0') && d.len() >= code + 7 && self.set.contains(&d[code..])
            })
    }
}

/// Adds the ticket's contact number to the caller's numbers.
fn add_ticket_number(private: &mut PrivateNumbers, ticket: Option<&Ticket>) {
    if let Some(t) = ticket {
        let d = digits(&t.caller_phone);
        if d.len() >= 5 {
            private.insert(&d);
        }
    }
}

/// Adds the numbers the caller said in `text` to the caller's numbers
/// (a public directory number is nobody's own).
fn add_callers_numbers(private: &mut PrivateNumbers, text: &str, dir: &Directory) {
    for (d, _, _) in digit_runs(text) {
        if d.len() >= 5 && !dir.contains_number(&d) {
            private.insert(&d);
        }
    }
}

/// The numbers the agent gives the caller in each utterance of `wanted`
/// (indexes in increasing order), as the norm reads them: what privacy
/// masking leaves readable, so that a reviewer can check the number. None
/// for an utterance that is not the agent's. One pass over the call,
/// however many utterances are wanted.
#[allow(clippy::too_many_arguments)]
pub fn given_numbers(
    call: &Call,
    ticket: Option<&Ticket>,
    wanted: &[usize],
    cues: &Lexicon,
    not_phone: &Lexicon,
    dir: &Directory,
    window: usize,
) -> Vec<Vec<PhoneMention>> {
    let mut out = vec![Vec::new(); wanted.len()];
    // As in the norm: the caller's numbers are those said before.
    let mut private = PrivateNumbers::default();
    add_ticket_number(&mut private, ticket);
    let mut k = 0;
    for (i, u) in call.utterances.iter().enumerate() {
        while k < wanted.len() && wanted[k] < i {
            k += 1;
        }
        if k == wanted.len() {
            break;
        }
        match u.speaker {
            Speaker::Caller => add_callers_numbers(&mut private, &u.text, dir),
            Speaker::Agent if wanted[k] == i => {
                let found = phone_numbers(&u.text, cues, not_phone, dir, window.max(1), &private);
                // The same utterance may be wanted more than once.
                while k < wanted.len() && wanted[k] == i {
                    out[k].clone_from(&found);
                    k += 1;
                }
            }
            _ => {}
        }
    }
    out
}

/// The phone numbers given in `text` (an agent utterance). `known_private`
/// are numbers that belong to the caller (read back, not given).
pub fn phone_numbers(
    text: &str,
    cues: &Lexicon,
    not_phone: &Lexicon,
    directory: &Directory,
    window: usize,
    known_private: &PrivateNumbers,
) -> Vec<PhoneMention> {
    let mut out = Vec::new();
    let mut scratch = Scratch::default();
    for (ds, start, end) in digit_runs(text) {
        if ds.len() < 3 || ds.len() > 12 {
            continue;
        }
        let before = chars_before(text, start, window);
        let after = chars_after(text, end, window);
        let after_trim = after.trim_start();
        if NOT_PHONE_AFTER.iter().any(|u| after_trim.starts_with(u)) {
            continue;
        }
        if after_trim.starts_with('号')
            && !after_trim.starts_with("号码")
            && !after_trim.starts_with("号线")
        {
            continue;
        }
        if scratch.has_hit(not_phone, chars_before(text, start, 10)) {
            continue;
        }
        if known_private.contains(&ds) {
            continue;
        }
        // 「12345市长热线」 in the greeting is the hotline's name, not a number
        // given to call — unless a call cue comes before it (拨打12345热线).
        let after_clean_start = scratch.clean(chars_after(text, end, 4));
        if after_clean_start.starts_with("热线") || after_clean_start.starts_with("市长热线")
        {
            let near = chars_before(text, start, 6);
            if !SHORT_CUES.iter().any(|c| near.contains(c))
                && !near.contains("联系")
                && !near.contains("咨询")
            {
                continue;
            }
        }
        let unit_near =
            scratch.names_a_unit(directory, before) || scratch.names_a_unit(directory, after);
        let cue = unit_near || scratch.has_hit(cues, before) || scratch.has_hit(cues, after);
        if !cue {
            continue;
        }
        if ds.len() <= 4 && !directory.contains_number(&ds) {
            let near = chars_before(text, start, 4);
            if !SHORT_CUES.iter().any(|c| near.contains(c)) {
                continue;
            }
        }
        out.push(PhoneMention {
            digits: ds,
            start,
            end,
        });
    }
    out
}

/// Chars that end a clause (a unit named across one is not given with
/// the number unless the number's clause points back to it) and, among
/// them, those that end a sentence (a unit is never taken across one).
fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        '，' | ',' | '。' | '！' | '？' | '!' | '?' | '；' | ';' | '\n'
    )
}

fn is_comma(c: char) -> bool {
    matches!(c, '，' | ',')
}

/// Words in a number's clause that refer back to a unit named just before:
/// 联系水务公司，【电话是】2621234.
const ATTRIBUTION_CUES: &[&str] = &["电话", "号码", "联系方式"];

/// The longest clause, in clean characters, that may point back to an
/// earlier clause's unit (他们二十四小时值班的电话是 is about the longest).
const POINTING_CLAUSE_CHARS: usize = 12;

/// How many clauses back a number may be given with a unit.
const CLAUSES_BACK: usize = 3;

/// The clause of `text` around byte range `start..end`: (clause start,
/// clause end), bytes, breaks excluded.
fn clause_around(text: &str, start: usize, end: usize) -> (usize, usize) {
    (clause_start(text, start), clause_end(text, end))
}

/// A clause is read at most this many characters either side of where it
/// is entered: ASR without punctuation makes a whole utterance one clause,
/// and a hostile one holding thousands of numbers must not be read again
/// whole for each of them.
const CLAUSE_MAX_CHARS: usize = 80;

/// Where the clause holding byte `at` starts (after the last break before
/// it, at most [`CLAUSE_MAX_CHARS`] back).
fn clause_start(text: &str, at: usize) -> usize {
    let lo = at - chars_before(text, at, CLAUSE_MAX_CHARS).len();
    text[lo..at]
        .char_indices()
        .rev()
        .find(|&(_, c)| is_clause_break(c))
        .map_or(lo, |(i, c)| lo + i + c.len_utf8())
}

/// Where the clause holding byte `at` ends (its break, at most
/// [`CLAUSE_MAX_CHARS`] on).
fn clause_end(text: &str, at: usize) -> usize {
    let hi = at + chars_after(text, at, CLAUSE_MAX_CHARS).len();
    text[at..hi]
        .char_indices()
        .find(|&(_, c)| is_clause_break(c))
        .map_or(hi, |(i, _)| at + i)
}

/// The units the number at `start..end` of `text` (an agent utterance) is
/// given with (§2: a unit named in the same utterance as the number), as
/// [`Directory::named_units`] gives them. A unit counts when it is named in
/// the number's own clause (自来水公司的电话是2621234, 2621234是水务公司的); or,
/// when that clause names none and before the number says no more than
/// 电话是 / 他们的号码是 (or nothing), in the nearest earlier clause of the
/// same sentence naming one, through clauses that say no more than that
/// (您可以联系水务公司，电话是2621234); or in the next clause when it says
/// whose the number is (2621234，这是水务公司的电话). A unit that is the topic
/// of another clause (如果供电公司还不来修，您再打12345反映; 不在市长热线受理范围，
/// 建议您拨打12348) is not the unit the number is given for.
pub(crate) fn units_given_with(
    dir: &Directory,
    text: &str,
    start: usize,
    end: usize,
) -> Vec<(usize, usize, usize)> {
    let (cs, ce) = clause_around(text, start, end);
    let named = dir.named_units(&NormText::new(&text[cs..ce]).clean);
    if !named.is_empty() {
        return named;
    }
    let points_back = |s: &str| {
        let c = NormText::new(s).clean;
        c.is_empty()
            || (c.chars().count() <= POINTING_CLAUSE_CHARS
                && ATTRIBUTION_CUES.iter().any(|w| c.contains(w)))
    };
    // Earlier clauses, while the one in hand only points back.
    let mut here = &text[cs..start];
    let mut at = cs;
    for _ in 0..CLAUSES_BACK {
        if !points_back(here) {
            break;
        }
        let Some(brk) = text[..at].chars().next_back().filter(|&c| is_comma(c)) else {
            break;
        };
        let prev_end = at - brk.len_utf8();
        let prev_start = clause_start(text, prev_end);
        let named = dir.named_units(&NormText::new(&text[prev_start..prev_end]).clean);
        if !named.is_empty() {
            return named;
        }
        here = &text[prev_start..prev_end];
        at = prev_start;
    }
    // The next clause, when it says whose the number is.
    let rest = NormText::new(&text[end..ce]).clean;
    if let Some(brk) = text[ce..].chars().next().filter(|&c| is_comma(c)) {
        let ns = ce + brk.len_utf8();
        let ne = clause_end(text, ns);
        let next = NormText::new(&text[ns..ne]).clean;
        if rest.is_empty() && WHOSE.iter().any(|w| next.starts_with(w)) {
            return dir.named_units(&next);
        }
    }
    Vec::new()
}

/// How a clause after a number says whose it is (2621234，这是水务公司的电话).
const WHOSE: &[&str] = &["这是", "这个是", "是", "就是", "那是"];

impl Norm for Accuracy {
    fn id(&self) -> NormId {
        NormId::Accuracy
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        let cues = view.lexicons.get(LexiconKind::PhoneCues);
        let not_phone = view.lexicons.get(LexiconKind::NotPhone);
        let dir = view.directory;
        // Numbers that are the caller's own: the ticket's contact number and
        // any number the caller said.
        let mut private = PrivateNumbers::default();
        add_ticket_number(&mut private, view.ticket);
        let mut any = false;
        let mut findings = Vec::new();
        let mut agent = view.agent.iter().copied().peekable();
        for (i, u) in view.call.utterances.iter().enumerate() {
            // A number the caller said before is theirs when the agent reads it
            // back — unless it is a public directory number, which the agent
            // then gives as much as the caller did. A number the caller
            // repeats after the agent is the agent's.
            // The clean text's pass already saw whether a number may be there.
            let may_hold_number = view.texts.may_hold_number(i);
            if u.speaker == Speaker::Caller {
                if !may_hold_number {
                    continue;
                }
                add_callers_numbers(&mut private, &u.text, dir);
                continue;
            }
            if agent.peek() != Some(&i) {
                continue;
            }
            agent.next();
            if !may_hold_number {
                continue;
            }
            let text = view.text(i);
            for m in phone_numbers(text, cues, not_phone, dir, self.window, &private) {
                any = true;
                let owners = dir.owners_of(&m.digits);
                if owners.is_empty() {
                    findings.push(view.finding_at(
                        NormId::Accuracy,
                        "accuracy.unknown_number",
                        i,
                        m.start,
                        m.end,
                    ));
                    continue;
                }
                let named = units_given_with(dir, text, m.start, m.end);
                if !named.is_empty() && !named.iter().any(|(u, _, _)| owners.contains(u)) {
                    let mut f = view.finding_at(
                        NormId::Accuracy,
                        "accuracy.wrong_unit_number",
                        i,
                        m.start,
                        m.end,
                    );
                    let owner = &dir.entries()[owners[0]].name;
                    let said = &dir.entries()[named[0].0].name;
                    f.excerpt = format!(
                        "{f}（{} 是{owner}的号码，不是{said}的）",
                        m.digits,
                        f = f.excerpt
                    );
                    findings.push(f);
                }
            }
        }
        if any {
            Outcome::Assessed(findings)
        } else {
            Outcome::NotAssessed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Ticket;
    use crate::norms::testkit::*;

    fn verdict(agent: &str) -> Option<Vec<&'static str>> {
        let c = call(&[
            GREETING,
            ('c', 5.0, 7.0, "我的电话是13912345678，我想问问停水的事"),
            ('a', 7.5, 12.0, agent),
        ]);
        rules(NormId::Accuracy, &c, None)
    }

    #[test]
    fn directory_numbers_pass() {
        for t in [
            "您可以拨打法律援助热线12348咨询",
            "自来水公司的电话是2618110",
            "市自来水公司电话：0571-2618110",
            "您拨打幺二三四八就可以",
            "有紧急情况请拨打110",
            "供电公司的电话是95598",
            "您可以拨打12345热线反映",
        ] {
            assert_eq!(verdict(t), Some(vec![]), "{t}");
        }
    }

    #[test]
    fn unknown_numbers_are_caught() {
        for t in [
            "您可以拨打他们电话2618111问一下",
            "物业的电话是13800001111",
            "您打这个号码87654321",
        ] {
            assert_eq!(verdict(t), Some(vec!["accuracy.unknown_number"]), "{t}");
        }
    }

    #[test]
    fn another_units_number_is_caught() {
        assert_eq!(
            verdict("自来水公司的电话是95598"),
            Some(vec!["accuracy.wrong_unit_number"])
        );
        assert_eq!(
            verdict("您拨打燃气公司电话2618110"),
            Some(vec!["accuracy.wrong_unit_number"])
        );
    }

    #[test]
    fn a_unit_named_by_its_everyday_name_with_another_units_number_is_caught() {
        for t in [
            "水务公司的电话是2621234",
            "您可以拨打自来水厂电话2621234",
            "水司的报修电话是2621234",
            "您可以联系水务集团，电话是2621234",
            "您可以联系自来水公司，他们的电话是2621234",
            "自来水公司那边二十四小时有人值班，您记一下他们的电话，2621234",
            "您打2621234，这是自来水公司的电话",
            "2621234是自来水公司的电话",
            "煤气公司的电话是2618110",
            "电力公司电话2618110",
            "供电局的电话是2621234",
            "社保局的电话是12315",
            "自来水公司的电话是12345",
        ] {
            assert_eq!(verdict(t), Some(vec!["accuracy.wrong_unit_number"]), "{t}");
        }
    }

    #[test]
    fn a_unit_that_is_only_the_topic_of_another_clause_is_not_given_with_the_number() {
        for t in [
            "如果自来水公司还不处理，您可以再打12345反映",
            "不在市长热线受理范围，建议您拨打12348咨询",
            "这个不归自来水公司管，您可以拨打燃气公司电话2621234",
            "闻到燃气味的话，请立即拨打119",
            "燃气泄漏请马上拨打119",
            "自来水的问题您可以拨打2618110",
            "水务公司的电话是2618110",
            "您好，燃气公司电话2621234，自来水公司电话2618110",
            "消防通道被占的问题，您可以拨打12345反映",
            "供电不稳定的情况，您可以打95598报修",
            "您可以拨打燃气公司的电话2621234。自来水公司我们也会通知",
        ] {
            assert_eq!(verdict(t), Some(vec![]), "{t}");
        }
    }

    #[test]
    fn a_long_utterance_without_punctuation_is_read_near_each_number() {
        // One clause of thousands of numbers: each is judged on the 80
        // characters around it, in linear time.
        let mut t = String::from("自来水公司的电话是2621234");
        t.push_str(&"您也可以拨打市长热线12345".repeat(3000));
        let c = call(&[GREETING, ('a', 5.0, 9.0, t.as_str())]);
        let started = std::time::Instant::now();
        let f = findings(NormId::Accuracy, &c, None);
        assert!(started.elapsed().as_secs() < 20);
        assert_eq!(
            f.len(),
            1,
            "{:?}",
            f.iter().map(|f| f.rule).collect::<Vec<_>>()
        );
        assert_eq!(f[0].rule, "accuracy.wrong_unit_number");
    }

    #[test]
    fn not_phone_numbers_are_not_assessed() {
        for t in [
            "我的工号是1024",
            "我们会在2026年11月30日前回复您",
            "这项补贴是3000元",
            "您的电话是13912345678对吗",
            "好的，13912345678，我记下了",
            "您住在12栋3单元吗",
            "您好！12345市长热线，请问有什么可以帮到您？",
            "您的联系电话是13905731286，对吗？",
            "您留的号码：13800002222",
            "受理编号20261127001，请您记一下",
            "我们三个工作日内答复",
        ] {
            assert_eq!(verdict(t), None, "{t}");
        }
    }

    #[test]
    fn callers_phone_on_the_ticket_is_a_read_back() {
        let c = call(&[GREETING, ('a', 5.0, 9.0, "联系电话13700001234是吧")]);
        let t = Ticket {
            caller_phone: "137-0000-1234".into(),
            ..Ticket::default()
        };
        assert_eq!(rules(NormId::Accuracy, &c, Some(&t)), None);
        assert_eq!(
            rules(NormId::Accuracy, &c, None),
            Some(vec!["accuracy.unknown_number"])
        );
    }

    #[test]
    fn caller_repeating_the_agents_number_does_not_make_it_a_read_back() {
        let c = call(&[
            GREETING,
            ('a', 5.0, 9.0, "您可以拨打自来水公司的电话95598"),
            ('c', 9.5, 11.0, "95598是吧？"),
        ]);
        assert_eq!(
            rules(NormId::Accuracy, &c, None),
            Some(vec!["accuracy.wrong_unit_number"])
        );
        let c = call(&[
            GREETING,
            ('c', 5.0, 9.0, "我的电话是13811112222"),
            ('a', 9.5, 12.0, "联系电话13811112222，我记下了"),
        ]);
        assert_eq!(rules(NormId::Accuracy, &c, None), None);
    }

    #[test]
    fn callers_words_are_not_the_agents() {
        let c = call(&[
            GREETING,
            ('c', 5.0, 9.0, "他们给我的电话是5551234根本打不通"),
        ]);
        assert_eq!(rules(NormId::Accuracy, &c, None), None);
    }

    #[test]
    fn the_byte_scan_agrees_with_a_char_scan() {
        let char_scan = |text: &str| {
            let mut run = 0;
            text.chars().any(|c| {
                if super::digit_of(c).is_some() {
                    return true;
                }
                run = if super::chinese_digit(c).is_some() {
                    run + 1
                } else {
                    0
                };
                run >= 3
            })
        };
        for t in [
            "",
            "好的",
            "电话是12345",
            "０５７１",
            "幺二三",
            "一二，三",
            "一二三四",
            "第一个问题和第二个",
            "零〇洞",
            "壹贰叁",
            "😀一二三",
            "一😀二三",
            "é一二三",
            "ab一二",
            "六七八九",
            "三月二日",
        ] {
            assert_eq!(super::may_hold_number(t), char_scan(t), "{t}");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_byte_scan_agrees_on_random_text(t in "[一二三四五六七八九零〇洞幺壹两十a-z0-9０-９，。 😀é日月]{0,30}") {
            let mut run = 0;
            let expect = t.chars().any(|c| {
                if super::digit_of(c).is_some() {
                    return true;
                }
                run = if super::chinese_digit(c).is_some() { run + 1 } else { 0 };
                run >= 3
            });
            proptest::prop_assert_eq!(super::may_hold_number(&t), expect);
            // The clean text's pass, which the norm uses, answers the same.
            proptest::prop_assert_eq!(crate::text::NormText::new(&t).view().may_hold_number(), expect);
        }
    }

    #[test]
    fn numerals_are_the_same_everywhere() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(
                chinese_digit(c).is_some(),
                crate::text::is_numeral(c),
                "{c}"
            );
        }
    }

    /// The runs as `digit_runs` found them over a list of the text's
    /// chars, before [`runs`]: the reference it is checked against.
    fn runs_over_a_char_list(text: &str) -> Vec<(String, usize, usize)> {
        // Sized once for an utterance of the usual length (a char is at least
        // a byte) instead of grown by doubling; a huge one grows as it needs.
        let mut chars: Vec<(usize, char)> = Vec::with_capacity(text.len().min(4096));
        chars.extend(text.char_indices());
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let (start, c) = chars[i];
            if digit_of(c).is_some() {
                let mut ds = String::new();
                let mut j = i;
                let mut end = start;
                let mut group = 0;
                while j < chars.len() {
                    let (pos, c) = chars[j];
                    let next_is_digit = chars
                        .get(j + 1)
                        .is_some_and(|&(_, n)| digit_of(n).is_some());
                    if let Some(d) = digit_of(c) {
                        ds.push(d);
                        group += 1;
                        end = pos + c.len_utf8();
                        j += 1;
                    } else if matches!(c, '-' | '－' | '—') && next_is_digit {
                        group = 0;
                        j += 1;
                    } else if c == ' ' && next_is_digit && matches!(group, 1 | 3 | 4) {
                        // 138 1234 5678, 0571 2618110, and digits read one by one
                        // (8 7 1 9 3 3 6 6); but 12345 12348 are two numbers.
                        group = 0;
                        j += 1;
                    } else {
                        break;
                    }
                }
                out.push((ds, start, end));
                i = j.max(i + 1);
            } else if chinese_digit(c).is_some() {
                let mut ds = String::new();
                let mut j = i;
                let mut end = start;
                while j < chars.len() {
                    match chinese_digit(chars[j].1) {
                        Some(d) => {
                            ds.push(d);
                            end = chars[j].0 + chars[j].1.len_utf8();
                            j += 1;
                        }
                        None => break,
                    }
                }
                if ds.len() >= 3 {
                    out.push((ds, start, end));
                }
                i = j.max(i + 1);
            } else {
                i += 1;
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn runs_are_those_found_over_a_char_list(text in "[0-9０５ \\-－—一二三幺洞零〇八九a号码，]{0,24}") {
            proptest::prop_assert_eq!(runs(&text), runs_over_a_char_list(&text), "{}", text);
        }
    }

    #[test]
    fn digit_runs_handle_separators() {
        let r: Vec<String> = digit_runs("拨打0571-2618110或 12345 12348")
            .into_iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(r, vec!["05712618110", "12345", "12348"]);
    }
}
