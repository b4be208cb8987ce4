//! Contact numbers the caller states (spec §2.1 `ticket.phone_mismatch`):
//! an 11-digit mobile number, or a 7–8-digit landline with an optional
//! area code (0xx / 0xxx), in ASCII or full-width digits, in groups
//! (138 1234 5678, 138-1234-5678, 138，1234，5678) or not, spoken digit
//! by digit in Chinese numerals (幺三八…, 零 / 洞 for 0, 两 for 2), and
//! mixed (幺三八 1234 五六七八). And the cue that the contact number is
//! the one the call comes from (就这个号, 来电号码, 本机:
//! `lexicons/own_number.txt`).
//!
//! There is no third digit reader: the digits are read by the one privacy
//! masking uses (`norms::accuracy::digit_runs_for_masking`, which knows
//! groups, dots and every numeral of `text::is_numeral`), and this module
//! only joins the runs of one number and keeps those of a phone's shape.
//! Privacy's own joining (`masking_runs`) is not reused: it joins only
//! runs one gap char apart in the group sizes of a written number, which a
//! spoken one breaks (幺三八1234五六七八 changes from numerals to digits
//! with no gap), and its output must stay byte-identical.
//! 两 is read as 2 here only: it is turned into 二 (the same three bytes
//! in UTF-8, so every span stays the original's) before the runs are read,
//! which leaves the accuracy norm's and privacy's readings unchanged.
//!
//! Must not: a 工单号 glued to letters (GD20261127008), a date
//! (2026-11-27, 20261127 is a landline-shaped 8 digits and is kept only
//! when it is not a date), an amount or a count (3000000元), an identity
//! card number (18 digits), two numbers said one after the other.

use std::sync::OnceLock;

use super::{builtin, find_asserted, Span};
use crate::lexicon::Lexicon;

pub(super) const OWN_NUMBER: &str = include_str!("../../lexicons/own_number.txt");
pub(super) const CORRECTIONS: &str = include_str!("../../lexicons/phone_corrections.txt");

/// The kind of a contact number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhoneKind {
    /// 11 digits starting 13–19.
    Mobile,
    /// 7–8 digits, with an area code starting 0 or without.
    Landline,
}

/// A contact number the caller states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneNumber {
    /// Its digits, ASCII (138 1234 5678 → 13812345678).
    pub digits: String,
    /// Mobile or landline.
    pub kind: PhoneKind,
    /// Where it stands in the original text, separators inside included.
    pub span: Span,
}

impl PhoneNumber {
    /// The number without its area code: a landline's local part, a
    /// mobile's digits. A ticket may record 0571 8719 3366 or 87193366.
    pub fn local(&self) -> &str {
        match self.kind {
            PhoneKind::Mobile => &self.digits,
            PhoneKind::Landline if self.digits.starts_with('0') => {
                // The area codes of 010 and 02x have three digits (and an
                // 8-digit local number), the others four (0571 + 7 or 8).
                let n = self.digits.len();
                let big_city = ["01", "02"].iter().any(|p| self.digits.starts_with(p));
                let code = if n == 10 || (n == 11 && big_city) {
                    3
                } else {
                    4
                };
                self.digits.get(code..).unwrap_or(&self.digits)
            }
            PhoneKind::Landline => &self.digits,
        }
    }
}

/// The shape of a phone number, or None.
fn kind_of(d: &str) -> Option<PhoneKind> {
    let b = d.as_bytes();
    match (b.len(), b.first(), b.get(1)) {
        (11, Some(b'1'), Some(b'3'..=b'9')) => Some(PhoneKind::Mobile),
        (7 | 8, Some(b'2'..=b'9'), _) => Some(PhoneKind::Landline),
        (10..=12, Some(b'0'), Some(b'1'..=b'9')) => Some(PhoneKind::Landline),
        _ => None,
    }
}

/// What may stand between the groups of one number that the digit reader
/// takes for separate numbers: a comma, an ideographic space, 、, or
/// nothing at all (幺三八1234: a change from numerals to digits).
fn is_group_gap(c: char) -> bool {
    matches!(c, ' ' | '　' | '，' | ',' | '、' | '-' | '－' | '—')
}

/// Words right after a number that make it an amount, a count or a date.
const UNITS_AFTER: &[char] = &[
    '元', '块', '万', '千', '百', '年', '月', '日', '号', '岁', '米', '次', '个', '天', '人', '户',
    '平', '%', '％',
];

/// Every contact number in `text`, in text order.
pub fn phone_numbers(text: &str) -> Vec<PhoneNumber> {
    // 两 → 二: both are three bytes, so the spans stay the original's.
    let read: std::borrow::Cow<'_, str> = if text.contains('两') {
        text.replace('两', "二").into()
    } else {
        text.into()
    };
    let runs = crate::norms::accuracy::digit_runs_for_masking(&read);
    let mut out = Vec::new();
    let mut k = 0;
    while k < runs.len() {
        // The longest chain of runs (4 down to 1) joined only by group gaps
        // that makes a phone number.
        let found = (1..=4).rev().find_map(|n| {
            let chain = runs.get(k..k + n)?;
            let joined = chain.windows(2).all(|w| {
                let between = read.get(w[0].2..w[1].1).unwrap_or("x");
                between.chars().count() <= 1 && between.chars().all(is_group_gap)
            });
            if !joined {
                return None;
            }
            let mut digits: String = chain.iter().map(|r| r.0.as_str()).collect();
            let (start, mut end) = (chain[0].1, chain[n - 1].2);
            if kind_of(&digits).is_none() && one_of_a_word(&read, end) {
                // 幺三八…五六七八一会儿: the last 一 starts the next word.
                digits.pop();
                end -= '一'.len_utf8();
            }
            // +86 138…, 0086 138…: the country code before a mobile is
            // not part of the number (the span keeps it: it was said).
            for code in ["0086", "86"] {
                if kind_of(&digits).is_none()
                    && digits.len() == 11 + code.len()
                    && digits.starts_with(code)
                    && kind_of(&digits[code.len()..]) == Some(PhoneKind::Mobile)
                {
                    digits.drain(..code.len());
                }
            }
            let kind = kind_of(&digits)?;
            Some((n, digits, kind, start, end))
        });
        match found {
            Some((n, digits, kind, start, end)) if stands_alone(text, start, end) => {
                out.push(PhoneNumber {
                    digits,
                    kind,
                    span: Span { start, end },
                });
                k += n;
            }
            Some((n, ..)) => k += n,
            None => k += 1,
        }
    }
    out
}

/// Whether the numeral that ends at `end` is a 一 that begins the word
/// after it (一下, 一会儿, 一定, 一直 …) rather than a digit: a CJK char
/// that is no numeral follows it.
fn one_of_a_word(text: &str, end: usize) -> bool {
    let last = text.get(..end).and_then(|t| t.chars().next_back());
    let next = text.get(end..).and_then(|t| t.chars().next());
    last == Some('一')
        && next
            .is_some_and(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) && !crate::text::is_numeral(c))
}

/// Whether the number at `start..end` is not part of an id (letters glued
/// to it), a date or an amount.
fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let before = text.get(..start).and_then(|t| t.chars().next_back());
    let after = text.get(end..).and_then(|t| t.chars().next());
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if glued(before) || glued(after) {
        return false;
    }
    if after.is_some_and(|c| UNITS_AFTER.contains(&c)) {
        return false;
    }
    let own = text.get(start..end).unwrap_or("");
    let ascii = crate::text::digits(own);
    let date = crate::report::privacy::looks_like_date(own)
        || (ascii.len() == 8 && crate::report::privacy::looks_like_date(&date_dashed(&ascii)));
    !date
}

/// 20261127 as 2026-11-27, for the date test.
fn date_dashed(d: &str) -> String {
    format!(
        "{}-{}-{}",
        d.get(..4).unwrap_or(""),
        d.get(4..6).unwrap_or(""),
        d.get(6..).unwrap_or("")
    )
}

/// Words before a number in its clause that make it someone else's number,
/// not the caller's contact number (物业电话是…, 他的手机…, 我打过对方…).
const OTHERS_NUMBER: &[&str] = &[
    "物业",
    "他的",
    "她的",
    "他们",
    "她们",
    "对方",
    "商家",
    "店家",
    "老板",
    "房东",
    "中介",
    "公司",
    "单位",
    "师傅",
    "客服",
    "社区的",
    "居委会",
    "村委会",
    "派出所",
    "邻居",
    "热线",
];

/// The contact numbers the caller gives as their own in `text`: those of
/// [`phone_numbers`] whose clause does not, before the number, name
/// someone else's (物业电话87654321打不通 is the property's number).
pub fn contact_numbers(text: &str) -> Vec<PhoneNumber> {
    let mut out = phone_numbers(text);
    out.retain(|p| {
        let before = text.get(..p.span.start).unwrap_or("");
        let clause_start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| {
                matches!(
                    c,
                    '，' | '。' | '！' | '？' | '；' | ',' | '.' | '!' | '?' | ';'
                )
            })
            .map_or(0, |(i, c)| i + c.len_utf8());
        let clause = &before[clause_start..];
        !OTHERS_NUMBER.iter().any(|w| clause.contains(w))
    });
    out
}

fn corrections_lexicon() -> Option<&'static Lexicon> {
    static CELL: OnceLock<Option<Lexicon>> = OnceLock::new();
    builtin(&CELL, CORRECTIONS, "phone_corrections.txt")
}

/// At most this many counted chars between a correction cue and the
/// digits it brings (不对不对，应该是【…】; 说错了，最后四位是【…】).
const CORRECTION_GAP: usize = 8;

/// What one utterance holds, in text order, for [`stated_numbers`].
enum Event {
    /// A whole contact number.
    Number(PhoneNumber),
    /// A correction cue (不对, 说错了: `lexicons/phone_corrections.txt`).
    Correction(usize),
    /// A few digits (3 to 6) not part of a number: the new ending of the
    /// number corrected (不对，最后是幺幺幺二).
    Ending(String, Span),
}

/// The contact numbers the caller gives as their own over the caller's
/// utterances `texts` ((index, text), in call order), corrections applied:
/// a number said after a correction cue (13812345678，不对，是13812345687)
/// replaces the one before it, and a few digits after one (最后是幺幺幺二)
/// replace that number's ending. Without this a ticket holding the number
/// the caller took back was taken as right (any number said matched). A
/// correction reaches across utterances (the agent reads the number back,
/// the caller says 不对，是…), but a cue with no digits after it in its
/// utterance corrects nothing (我说错了，不好意思). Each number comes with
/// the utterance where it was (last) said.
pub fn stated_numbers<'t>(
    texts: impl IntoIterator<Item = (usize, &'t str)>,
) -> Vec<(usize, PhoneNumber)> {
    let mut out: Vec<(usize, PhoneNumber)> = Vec::new();
    for (i, text) in texts {
        let mut pending: Option<usize> = None;
        for event in said_in(text) {
            match event {
                Event::Correction(end) => {
                    if !out.is_empty() {
                        pending = Some(end);
                    }
                }
                Event::Number(p) => {
                    if pending
                        .take()
                        .is_some_and(|end| near(text, end, p.span.start))
                    {
                        out.pop();
                    }
                    out.push((i, p));
                }
                Event::Ending(digits, span) => {
                    if !pending
                        .take()
                        .is_some_and(|end| near(text, end, span.start))
                    {
                        continue;
                    }
                    let Some((at, last)) = out.last_mut() else {
                        continue;
                    };
                    let keep = last.digits.len().saturating_sub(digits.len());
                    if keep == 0 {
                        continue;
                    }
                    let fixed = format!("{}{digits}", &last.digits[..keep]);
                    if let Some(kind) = kind_of(&fixed) {
                        *last = PhoneNumber {
                            digits: fixed,
                            kind,
                            span,
                        };
                        *at = i;
                    }
                }
            }
        }
    }
    out
}

/// Whether at most [`CORRECTION_GAP`] counted chars stand between byte
/// `end` and byte `start` of `text`.
fn near(text: &str, end: usize, start: usize) -> bool {
    text.get(end..start).is_some_and(|g| {
        g.chars().filter(|&c| crate::text::is_counted(c)).count() <= CORRECTION_GAP
    })
}

/// The numbers, correction cues and stray endings of one utterance, in
/// text order.
fn said_in(text: &str) -> Vec<Event> {
    let numbers = contact_numbers(text);
    let cues = find_asserted(corrections_lexicon(), text);
    let mut events: Vec<(usize, Event)> = Vec::new();
    if !cues.is_empty() {
        // Every number's span, the caller's or not: an ending is digits
        // outside all of them.
        let all: Vec<Span> = phone_numbers(text).into_iter().map(|p| p.span).collect();
        let read = text.replace('两', "二");
        for (d, a, b) in crate::norms::accuracy::digit_runs_for_masking(&read) {
            let inside = all.iter().any(|s| s.start <= a && b <= s.end);
            let unit = text
                .get(b..)
                .and_then(|t| t.chars().next())
                .is_some_and(|c| UNITS_AFTER.contains(&c));
            if !inside && !unit && (3..=6).contains(&d.len()) {
                events.push((a, Event::Ending(d, Span { start: a, end: b })));
            }
        }
        events.extend(cues.iter().map(|h| (h.start, Event::Correction(h.end))));
    }
    events.extend(
        numbers
            .into_iter()
            .map(|p| (p.span.start, Event::Number(p))),
    );
    events.sort_by_key(|(at, _)| *at);
    events.into_iter().map(|(_, e)| e).collect()
}

fn own_number_lexicon() -> Option<&'static Lexicon> {
    static CELL: OnceLock<Option<Lexicon>> = OnceLock::new();
    builtin(&CELL, OWN_NUMBER, "own_number.txt")
}

/// Where the caller says the contact number is the number calling (就这个号,
/// 这个号码就行, 来电号码, 本机), not negated (不是这个号, 别打本机).
pub fn own_number_cue(text: &str) -> Option<Span> {
    find_asserted(own_number_lexicon(), text)
        .first()
        .map(|h| Span {
            start: h.start,
            end: h.end,
        })
}

/// As [`own_number_cue`], with `text`'s clean form already made (`clean`
/// must be the clean form of `text`, as [`crate::text::CleanTexts`] holds it).
pub fn own_number_cue_clean(text: &str, clean: crate::text::CleanText<'_>) -> Option<Span> {
    super::find_asserted_clean(own_number_lexicon(), text, clean)
        .first()
        .map(|h| Span {
            start: h.start,
            end: h.end,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<String> {
        phone_numbers(text).into_iter().map(|p| p.digits).collect()
    }

    #[test]
    fn numbers_in_every_spoken_form_are_read() {
        for (text, want) in [
            ("我电话13812345678", "13812345678"),
            ("我电话是138 1234 5678", "13812345678"),
            ("138-1234-5678", "13812345678"),
            ("138，1234，5678", "13812345678"),
            ("１３８１２３４５６７８", "13812345678"),
            ("幺三八幺二三四五六七八", "13812345678"),
            ("一三八一二三四五六七八", "13812345678"),
            ("幺三八 幺二三四 五六七八", "13812345678"),
            ("幺三八，幺二三四，五六七八", "13812345678"),
            ("幺三八1234五六七八", "13812345678"),
            ("幺三八 1234 5678", "13812345678"),
            ("幺五两两两三三四四五五", "15222334455"),
            ("零幺零 六二五五 八八九九", "01062558899"),
            ("座机是0571-87193366", "057187193366"),
            ("0571 8719 3366", "057187193366"),
            ("洞五七幺八七幺九三三六六", "057187193366"),
            ("打我座机87193366就行", "87193366"),
            ("家里电话是2618110", "2618110"),
            ("八七幺九三三六六", "87193366"),
            ("幺八六 两两三三 四四五五", "18622334455"),
            ("零五七幺 八七幺九三三六六", "057187193366"),
            ("0571-8719 3366", "057187193366"),
            ("电话幺三八幺二三四五六七八一会儿打给我", "13812345678"),
            ("一三八一二三四五六七八一定要回电话", "13812345678"),
            // With the country code, and more spoken forms.
            ("+8613812345678", "13812345678"),
            ("86-13812345678", "13812345678"),
            ("008613812345678", "13812345678"),
            ("加八六 一三九 一一一一 二二二二", "13911112222"),
            ("电话是：一三八、一二三四、五六七八。", "13812345678"),
            ("一三八零零一三八零零零", "13800138000"),
            ("零幺零 八二三四 五六七八", "01082345678"),
            ("我手机一五零一二三四五六七八", "15012345678"),
            ("幺叁捌幺贰叁肆伍陆柒捌", "13812345678"),
        ] {
            assert_eq!(read(text), vec![want.to_string()], "{text}");
        }
    }

    #[test]
    fn numbers_that_are_no_contact_number_are_not_read() {
        for text in [
            "工单号GD20261127008",
            "2026-11-27那天",
            "20261127那天来修的",
            "罚了3000000元",
            "身份证110101199003071234",
            "工号1024",
            "12345热线",
            "一二三四五",
            "我等了一两个月",
            "等了两三天",
            "一二三四五六七",
            "一三八一二三四五六七八九",
            "二三四五六七八号",
        ] {
            assert_eq!(read(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn two_numbers_are_two_and_spans_are_the_originals() {
        let text = "手机13812345678，座机87193366";
        let got = phone_numbers(text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].span.of(text), "13812345678");
        assert_eq!(got[0].kind, PhoneKind::Mobile);
        assert_eq!(got[1].span.of(text), "87193366");
        assert_eq!(got[1].kind, PhoneKind::Landline);
        let text = "电话幺五两两两三三四四五五";
        assert_eq!(
            phone_numbers(text)[0].span.of(text),
            "幺五两两两三三四四五五"
        );
    }

    #[test]
    fn someone_elses_number_is_no_contact_number() {
        for (text, want) in [
            ("我电话13812345678", vec!["13812345678"]),
            ("我的手机是幺三八幺二三四五六七八", vec!["13812345678"]),
            ("物业电话87654321，我的是13812345678", vec!["13812345678"]),
            // Must not: another party's number.
            ("物业电话87654321打不通", vec![]),
            ("他的手机13912345678一直关机", vec![]),
            ("我打了对方公司电话87654321", vec![]),
        ] {
            let got: Vec<String> = contact_numbers(text)
                .into_iter()
                .map(|p| p.digits)
                .collect();
            assert_eq!(got, want, "{text}");
        }
    }

    fn stated(utterances: &[&str]) -> Vec<String> {
        stated_numbers(utterances.iter().copied().enumerate())
            .into_iter()
            .map(|(_, p)| p.digits)
            .collect()
    }

    #[test]
    fn a_number_the_caller_takes_back_is_replaced_by_the_correction() {
        for (utterances, want) in [
            (
                &["13812345678，不对不对，是13812345687"][..],
                vec!["13812345687"],
            ),
            (
                &["幺三九 零零零零 幺幺幺幺，不对，最后是幺幺幺二"],
                vec!["13900001112"],
            ),
            (
                &["电话13812345678，说错了，后四位是5687"],
                vec!["13812345687"],
            ),
            // Across utterances: the agent reads it back, the caller corrects.
            (
                &["13812345678", "不对，是一三八一二三四五六八七"],
                vec!["13812345687"],
            ),
            (&["座机87193366，不对，应该是87193367"], vec!["87193367"]),
            // Must not: no correction, or a cue that corrects no number.
            (
                &["手机13812345678，座机87193366"],
                vec!["13812345678", "87193366"],
            ),
            (
                &["一三七，八八八八，九九九九，不是九九九八啊，你别记错了"],
                vec!["13788889999"],
            ),
            (&["13812345678对不对？"], vec!["13812345678"]),
            (
                &["13812345678", "说错了，不好意思", "我家座机是87193366"],
                vec!["13812345678", "87193366"],
            ),
            (&["13812345678，不对，是2019年装的"], vec!["13812345678"]),
            (&["不对，我电话是13812345678"], vec!["13812345678"]),
        ] {
            assert_eq!(stated(utterances), want, "{utterances:?}");
        }
    }

    #[test]
    fn a_landlines_local_part_drops_the_area_code() {
        for (text, local) in [
            ("0571-87193366", "87193366"),
            ("010-62558899", "62558899"),
            ("0571-8719336", "8719336"),
            ("87193366", "87193366"),
            ("13812345678", "13812345678"),
        ] {
            assert_eq!(phone_numbers(text)[0].local(), local, "{text}");
        }
    }

    #[test]
    fn the_own_number_cue_is_read_unless_negated() {
        for (text, want) in [
            ("就这个号", Some("就这个号")),
            ("联系电话就打这个号码吧", Some("就打这个号码")),
            ("留来电号码就行", Some("来电号码")),
            ("打本机就可以", Some("本机")),
            ("这个号码就行", Some("这个号码就行")),
            // GovInsight case-001: no 号 said.
            ("电话就是现在打的这个", Some("就是现在打的这个")),
            ("电话不是现在打的这个", None),
            ("我现在打的这个是12345吗", None),
            ("不是这个号码就行的", None),
            ("别打本机", None),
            ("本机构不负责", None),
            ("电话就这个电话吧", Some("就这个电话")),
            ("打这个电话就行", Some("打这个电话就行")),
            ("我换个号码", None),
        ] {
            assert_eq!(own_number_cue(text).map(|s| s.of(text)), want, "{text}");
        }
    }
}
