//! Privacy and safety of what people open: callers' phone numbers and
//! names are masked (138****1234, 张**) unless `--show-pii`, the
//! directory's public numbers and the numbers the agent gives out stay
//! readable ([`Masker`]), and text that Excel would take for a formula
//! (= + - @ at the start) is made plain text ([`excel_safe`]).

use crate::lexicon::directory::Directory;
use crate::lexicon::{Lexicon, LexiconKind};
use crate::model::{Call, Ticket};
use crate::norms::{ScoredCall, Scorer};

/// Masks a run of digits: keep the first 3 and last 4 of 11+ digits
/// (138****1234), the first 2 and last 2 otherwise.
pub fn mask_digits(d: &str) -> String {
    let n = d.chars().count();
    let (head, tail) = if n >= 11 {
        (3, 4)
    } else if n >= 7 {
        (2, 2)
    } else {
        (1, 1)
    };
    d.chars()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

/// A reject's reason as the outputs show it: a run of 7 or more digits
/// inside a quoted value (`started_at "13912345678" 不是有效时间`, serde's
/// `invalid type: string "13812345678"`) is masked as [`mask_digits`]
/// does. A value that failed to parse may be a caller's number or an ID
/// card number typed into the wrong field, and rejects.csv is opened by
/// whoever fixes the input; the reason names the file, line and field, so
/// the value itself is one look away in the input for whoever may see it.
/// Everything outside quotes (line and column numbers, the example times
/// of the messages) is left as it is.
pub fn mask_reason(reason: &str) -> String {
    if !reason.contains('"') {
        return reason.to_string();
    }
    let mut out = String::with_capacity(reason.len());
    for (k, part) in reason.split('"').enumerate() {
        if k > 0 {
            out.push('"');
        }
        // Odd parts are inside a pair of quotes.
        if k % 2 == 1 {
            mask_long_digit_runs(part, &mut out);
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Appends `text` to `out` with each run of 7 or more ASCII digits masked.
fn mask_long_digit_runs(text: &str, out: &mut String) {
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 7 {
            out.push_str(&mask_digits(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, out);
            out.push(c);
        }
    }
    flush(&mut run, out);
}

/// Masks a caller's number as the outputs show it: the number's normal
/// form (`workflow::repeats::normalise_number`: +86 and separators
/// dropped) masked as [`mask_digits`] does (138****5678); a value that is
/// no phone number has every digit starred, so nothing of it leaks.
pub fn mask_number(raw: &str) -> String {
    match crate::workflow::repeats::normalise_number(raw) {
        Some(n) => mask_digits(&n),
        None => raw
            .chars()
            .map(|c| if c.is_numeric() { '*' } else { c })
            .collect(),
    }
}

/// Masks a name: first character kept (张**).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Masks, in free text, every phone number that is not a public number
/// of the directory, and the ticket's caller name: the masking of text
/// that belongs to no agent utterance (a ticket's content, a caller's
/// words). [`Masker`] is the one step the outputs go through.
pub fn mask_text(text: &str, ticket: Option<&Ticket>, directory: &Directory) -> String {
    mask_with(text, ticket, directory, &[])
}

/// Masks `text` as [`mask_text`] does, leaving readable the numbers whose
/// digits are in `readable` (those the agent gave in that utterance).
fn mask_with(
    text: &str,
    ticket: Option<&Ticket>,
    directory: &Directory,
    readable: &[String],
) -> String {
    let mut out = mask_numbers(text, directory, readable);
    if let Some(t) = ticket {
        let name = t.caller_name.trim();
        if name.chars().count() >= 2 && name != "匿名" && out.contains(name) {
            out = out.replace(name, &mask_name(name));
        }
    }
    out
}

/// A digit as the number readers read it: ASCII, full-width or a Chinese
/// numeral (幺三八).
fn is_digit_char(c: char) -> bool {
    // 两 is read as 二 in a spoken number (幺三八两…).
    c.is_ascii_digit() || ('０'..='９').contains(&c) || crate::text::is_numeral(c) || c == '两'
}

/// What may stand between the groups of a number spoken or written in
/// parts (幺三八 幺二三四 五六七八, 138，1234，5678) that the norm's
/// reader takes for separate numbers.
fn is_group_gap(c: char) -> bool {
    matches!(c, ' ' | '　' | '，' | ',' | '、')
}

/// Whether groups of these sizes (the first starting with `first`) make
/// a phone number: a mobile number 3-4-4 (or 3-8, 7-4) starting with 1, or
/// an area code starting with 0 and a 7- or 8-digit local number, itself
/// in one or two parts. Other neighbours (工号 1024，2026) stay apart.
fn phone_shape(first: char, sizes: &[usize]) -> bool {
    matches!(
        (first, sizes),
        ('1', [3, 4, 4] | [3, 8] | [7, 4]) | ('0', [3 | 4, 3 | 4, 4] | [3 | 4, 7 | 8])
    )
}

/// The runs of digits of `text` as privacy masking reads them: those of
/// the accuracy norm's reader (`accuracy::digit_runs`, with dots and
/// 【】 inside a number), with the parts of one phone number joined
/// ([`phone_shape`]). (digits, byte start, byte end).
fn masking_runs(text: &str) -> Vec<(String, usize, usize)> {
    let runs = crate::norms::accuracy::digit_runs_for_masking(text);
    if runs.is_empty() && !text.chars().any(crate::text::is_numeral) {
        return runs;
    }
    let gap_between = |a: &(String, usize, usize), b: &(String, usize, usize)| {
        let between = &text[a.2..b.1];
        let mut chars = between.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if is_group_gap(c))
    };
    let mut out = Vec::with_capacity(runs.len());
    let mut k = 0;
    while k < runs.len() {
        let first = runs[k].0.chars().next().unwrap_or(' ');
        // The longest chain of 3, then 2 runs that makes a phone number.
        let joined = [3, 2].into_iter().find(|&n| {
            k + n <= runs.len()
                && (k..k + n - 1).all(|j| gap_between(&runs[j], &runs[j + 1]))
                && phone_shape(
                    first,
                    &runs[k..k + n].iter().map(|r| r.0.len()).collect::<Vec<_>>(),
                )
        });
        match joined {
            Some(n) => {
                let ds = runs[k..k + n].iter().map(|r| r.0.as_str()).collect();
                out.push((ds, runs[k].1, runs[k + n - 1].2));
                k += n;
            }
            None => {
                out.push(runs[k].clone());
                k += 1;
            }
        }
    }
    // The caller's contact numbers as the ticket-against-call readers read
    // them (src/cues/phone.rs): forms the runs above leave in pieces, such
    // as numerals running straight into digits (幺三八1234五六七八), are
    // masked whole too.
    let mut grew = false;
    for p in crate::cues::phone::phone_numbers(text) {
        let (s, e) = (p.span.start, p.span.end);
        if out
            .iter()
            .any(|r| r.1 <= s && e <= r.2 && r.0.chars().count() >= 7)
        {
            continue;
        }
        out.retain(|r| r.2 <= s || r.1 >= e);
        out.push((p.digits, s, e));
        grew = true;
    }
    if grew {
        out.sort_by_key(|r| r.1);
    }
    out
}

/// A date or a span of years (2026-11-27, 2026.11.27, 2024-2025): what a
/// dashed or dotted run of 8 digits usually is, and no phone number.
pub(crate) fn looks_like_date(s: &str) -> bool {
    let groups: Vec<&str> = s
        .split(['-', '－', '—', '.', '．'])
        .filter(|g| !g.is_empty())
        .collect();
    let year = |g: &str| g.len() == 4 && g.parse::<u32>().is_ok_and(|y| (1900..=2100).contains(&y));
    let small = |g: &str| (1..=2).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit());
    match groups.as_slice() {
        [y, rest @ ..] if year(y) && (1..=2).contains(&rest.len()) => {
            rest.iter().all(|g| small(g)) || (rest.len() == 1 && year(rest[0]))
        }
        _ => false,
    }
}

/// Masks every phone number of `text`: 7 or more digits in any form the
/// number readers know (ASCII, full-width, Chinese numerals, groups joined
/// by spaces, dashes or dots), unless it is a public number of the
/// directory, one of `readable`, an id (digits glued to ASCII letters:
/// GD20261127008) or a date. Separators stay, each masked digit becomes
/// `*`: 138 **** 5678, 幺三八****五六七八.
fn mask_numbers(text: &str, directory: &Directory, readable: &[String]) -> String {
    let runs = masking_runs(text);
    if runs.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    for (ds, start, end) in runs {
        let n = ds.chars().count();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        // An 18-digit identity card number may end in X: still a number.
        let id_card = n == 17 && matches!(after, Some('X' | 'x'));
        let glued = before.is_some_and(|c| c.is_ascii_alphabetic())
            || (after.is_some_and(|c| c.is_ascii_alphabetic()) && !id_card);
        // The decimals of a number (3.1415926) are no phone number.
        let mut back = text[..start].chars().rev();
        let decimals = matches!(back.next(), Some('.' | '．'))
            && back
                .next()
                .is_some_and(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
        let keep = n < 7
            || glued
            || decimals
            || directory.contains_number(&ds)
            || readable.contains(&ds)
            || looks_like_date(&text[start..end]);
        if keep {
            continue;
        }
        let masked = mask_digits(&ds);
        let mut stars = masked.chars();
        out.push_str(&text[from..start]);
        for c in text[start..end].chars() {
            if is_digit_char(c) {
                match stars.next() {
                    Some('*') => out.push('*'),
                    _ => out.push(c),
                }
            } else {
                out.push(c);
            }
        }
        from = end;
    }
    out.push_str(&text[from..]);
    out
}

/// The one masking step every output goes through (score, `--stdin`,
/// `sample`, `explain`): the callers' numbers and names in the findings'
/// excerpts and the dialogue lines are masked, the directory's public
/// numbers and the numbers the agent gives out stay readable.
///
/// A number stays readable in an agent utterance when the accuracy norm
/// reads it as a number given to the caller to call (a cue such as 电话,
/// 拨打, 号码, 热线 or a unit's name near it, not a 工号, a date or an
/// amount): a reviewer must see the wrong number an operator gave. The
/// caller's own number stays masked everywhere: in the caller's words, and
/// when the agent reads it back (the ticket's caller_phone, or a number the
/// caller said earlier in the call), as the norm itself does not take it
/// for a given number.
pub struct Masker<'a> {
    directory: &'a Directory,
    cues: &'a Lexicon,
    not_phone: &'a Lexicon,
    window: usize,
}

impl<'a> Masker<'a> {
    /// The masking of a scorer's directory, lexicons and accuracy window.
    pub fn new(scorer: &'a Scorer) -> Masker<'a> {
        let lex = scorer.lexicons();
        Masker {
            directory: scorer.directory(),
            cues: lex.get(LexiconKind::PhoneCues),
            not_phone: lex.get(LexiconKind::NotPhone),
            window: scorer.config().norms.accuracy.cue_window_chars,
        }
    }

    /// The digits of the numbers the agent gives in each utterance of
    /// `wanted` (increasing; none for another speaker's).
    fn readable(&self, call: &Call, ticket: Option<&Ticket>, wanted: &[usize]) -> Vec<Vec<String>> {
        if wanted.is_empty() {
            return Vec::new();
        }
        crate::norms::accuracy::given_numbers(
            call,
            ticket,
            wanted,
            self.cues,
            self.not_phone,
            self.directory,
            self.window,
        )
        .into_iter()
        .map(|ms| ms.into_iter().map(|m| m.digits).collect())
        .collect()
    }

    /// Masks the excerpt of every finding of `scored`, a score of `call`.
    pub fn mask_findings(&self, scored: &mut ScoredCall, call: &Call, ticket: Option<&Ticket>) {
        // Most excerpts hold no number: the call is read (once) only for
        // the utterances of those that may.
        let mut wanted: Vec<usize> = scored
            .findings
            .iter()
            .filter(|f| may_hold_number(&f.excerpt))
            .filter_map(|f| f.utterance_index)
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let readable = self.readable(call, ticket, &wanted);
        for f in &mut scored.findings {
            let given = f
                .utterance_index
                .and_then(|i| wanted.binary_search(&i).ok())
                .map_or(&[][..], |k| readable[k].as_slice());
            f.excerpt = mask_with(&f.excerpt, ticket, self.directory, given);
        }
        if !scored.caller_number.is_empty() {
            scored.caller_number = mask_number(&scored.caller_number);
        }
    }

    /// Every utterance's text of `call`, masked (the dialogue lines of the
    /// review sheet and `explain`).
    pub fn mask_dialogue(&self, call: &Call, ticket: Option<&Ticket>) -> Vec<String> {
        let wanted: Vec<usize> = call
            .utterances
            .iter()
            .enumerate()
            .filter(|(_, u)| u.speaker == crate::model::Speaker::Agent && may_hold_number(&u.text))
            .map(|(i, _)| i)
            .collect();
        let readable = self.readable(call, ticket, &wanted);
        call.utterances
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let given = wanted
                    .binary_search(&i)
                    .ok()
                    .map_or(&[][..], |k| readable[k].as_slice());
                mask_with(&u.text, ticket, self.directory, given)
            })
            .collect()
    }
}

/// Whether `text` may hold a number (the accuracy norm's quick look).
fn may_hold_number(text: &str) -> bool {
    crate::norms::accuracy::may_hold_number(text)
}

/// Whether a cell value must get an apostrophe so that Excel shows it as
/// text and never runs it as a formula: it starts with = + - @, a tab or
/// a carriage return and is not a plain decimal number (-3.5: optional -,
/// digits, optional . and digits; -inf, +1e5, -nan are not). Leading
/// apostrophes are looked through, so that a value that itself starts with
/// one comes back unchanged from [`excel_unescape`].
pub fn needs_apostrophe(s: &[u8]) -> bool {
    let rest = match s.iter().position(|&b| b != b'\'') {
        Some(k) => &s[k..],
        None => return false,
    };
    match rest.first() {
        Some(b'=' | b'+' | b'@' | b'\t' | b'\r') => true,
        Some(b'-') => !plain_decimal(&rest[1..]),
        _ => false,
    }
}

/// Digits, then optionally a dot and digits.
fn plain_decimal(s: &[u8]) -> bool {
    let int = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if int == 0 {
        return false;
    }
    match &s[int..] {
        [] => true,
        [b'.', frac @ ..] => !frac.is_empty() && frac.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Makes a cell value safe to open in Excel: the one escaping of every CSV
/// field and every XLSX text cell the program writes. A value that
/// [`needs_apostrophe`] gets a leading apostrophe, so it is shown as text
/// and never run as a formula. Numbers (-3.5) are left alone.
pub fn excel_safe(s: &str) -> std::borrow::Cow<'_, str> {
    if needs_apostrophe(s.as_bytes()) {
        std::borrow::Cow::Owned(format!("'{s}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Undoes [`excel_safe`] on a value read back (a run's CSV files, a review
/// sheet): the apostrophe comes off only where `excel_safe` put it.
pub fn excel_unescape(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_apostrophe(rest.as_bytes()) => rest,
        _ => s,
    }
}

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reject_reasons_mask_long_numbers_in_quoted_values_only() {
        let cases = [
            (
                "started_at \"13912345678\" 不是有效时间（应为 RFC 3339，如 2026-11-27T09:15:02+08:00）",
                "started_at \"139****5678\" 不是有效时间（应为 RFC 3339，如 2026-11-27T09:15:02+08:00）",
            ),
            (
                "invalid type: string \"010-62345678\", expected f64 at line 1 column 169",
                "invalid type: string \"010-62****78\", expected f64 at line 1 column 169",
            ),
            // Short numbers and unquoted text: as they are.
            ("ended_by \"x12\" 不是 agent", "ended_by \"x12\" 不是 agent"),
            ("第 12345678 行重复", "第 12345678 行重复"),
            ("no quotes at all", "no quotes at all"),
            // An unclosed quote masks to the end: safer than leaking.
            ("value \"13812345678", "value \"138****5678"),
        ];
        for (raw, shown) in cases {
            assert_eq!(mask_reason(raw), shown, "{raw}");
        }
    }

    #[test]
    fn masks_phone_numbers_but_not_directory_numbers() {
        let d = Directory::builtin();
        let t = mask_text("您的电话13912345678，自来水公司2618110，工号1024", None, &d);
        assert_eq!(t, "您的电话139****5678，自来水公司2618110，工号1024");
        let t = mask_text("工单 GD20261127008：缺少地点", None, &d);
        assert_eq!(t, "工单 GD20261127008：缺少地点");
    }

    #[test]
    fn masks_the_callers_name() {
        let d = Directory::builtin();
        let ticket = Ticket {
            caller_name: "张三丰".into(),
            ..Ticket::default()
        };
        assert_eq!(
            mask_text("张三丰先生您好", Some(&ticket), &d),
            "张**先生您好"
        );
        let anon = Ticket {
            caller_name: "匿名".into(),
            ..Ticket::default()
        };
        assert_eq!(mask_text("匿名反映", Some(&anon), &d), "匿名反映");
    }

    #[test]
    fn formulas_become_text() {
        assert_eq!(excel_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(excel_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(excel_safe("-3.5"), "-3.5");
        assert_eq!(excel_safe("您好"), "您好");
    }

    #[test]
    fn text_that_parses_as_a_float_is_escaped_too() {
        for s in [
            "-inf",
            "+nan",
            "-infinity",
            "+1e5",
            "-1e5",
            "+5",
            "-NaN",
            "-.5",
            "-5.",
            "-0x10",
            "-1,2",
            "\t1",
            "\r=1",
            "=1+1",
            "'=1+1",
            "''@x",
        ] {
            assert_eq!(excel_safe(s), format!("'{s}"), "{s}");
            assert_eq!(excel_unescape(&excel_safe(s)), s, "{s}");
        }
        // Plain decimal numbers and ordinary text pass as they are.
        for s in [
            "-3.5", "-12", "-0", "3.5", "inf", "nan", "1e5", "'abc", "'", "", "GD1", "张三",
        ] {
            assert_eq!(excel_safe(s), s, "{s}");
            assert_eq!(excel_unescape(s), s, "{s}");
        }
    }

    fn masked(text: &str) -> String {
        mask_text(text, None, &Directory::builtin())
    }

    #[test]
    fn every_number_form_the_readers_know_is_masked() {
        for (text, want) in [
            ("电话13812345678", "电话138****5678"),
            ("电话138 1234 5678", "电话138 **** 5678"),
            ("电话138-8765-4321", "电话138-****-4321"),
            ("电话138.1234.5678", "电话138.****.5678"),
            ("电话１３８１２３４５６７８", "电话１３８****５６７８"),
            ("电话幺三八幺二三四五六七八", "电话幺三八****五六七八"),
            ("电话一三八一二三四五六七八", "电话一三八****五六七八"),
            ("电话幺三八 幺二三四 五六七八", "电话幺三八 **** 五六七八"),
            ("电话138，1234，5678", "电话138，****，5678"),
            ("座机0571-87654321", "座机057*-****4321"),
            ("座机87654321", "座机87****21"),
            ("【138 1234 5678】是吗", "【138 **** 5678】是吗"),
            ("138【1234】5678", "138【****】5678"),
            ("身份证33010219900101123X", "身份证330**********1123X"),
            // Numerals running straight into digits, and 两 for 二: the
            // caller-number reader (cues::phone) reads them, so they are
            // masked whole.
            ("我的电话幺三八1234五六七八", "我的电话幺三八****五六七八"),
            ("手机号幺三八两两三四五六七八", "手机号幺三八****五六七八"),
        ] {
            assert_eq!(masked(text), want, "{text}");
        }
    }

    #[test]
    fn ids_dates_amounts_and_directory_numbers_stay_readable() {
        for text in [
            "工单 GD20261127008：缺少地点",
            "自来水公司2618110，供电95598，拨打12345热线",
            "市自来水公司电话：0571-2618110",
            "我们会在2026-11-30前回复，2026.11.27受理",
            "2024-2025年度",
            "工号1024，2026年",
            "补贴3000元，面积123.45平方米，3.1415926",
            "12345 12348",
            "第一个问题",
        ] {
            assert_eq!(masked(text), text, "{text}");
        }
    }

    fn masker_output(rows: &[(char, f64, f64, &str)], ticket: Option<&Ticket>) -> Vec<String> {
        let c = crate::norms::testkit::call(rows);
        let scorer =
            Scorer::new(crate::config::Config::default(), Directory::builtin()).expect("scorer");
        let m = Masker::new(&scorer);
        m.mask_dialogue(&c, ticket)
    }

    #[test]
    fn numbers_the_agent_gives_out_stay_readable_the_callers_do_not() {
        let lines = masker_output(
            &[
                ('c', 0.0, 2.0, "我的电话是13912345678"),
                ('a', 2.0, 4.0, "您的电话13912345678，我记下了"),
                ('a', 4.0, 6.0, "您可以拨打物业电话26181191问一下"),
                ('a', 6.0, 8.0, "您打这个号码138 0000 1111"),
                ('c', 8.0, 9.0, "26181191是吧"),
                ('a', 9.0, 10.0, "好的，26181191"),
            ],
            None,
        );
        assert_eq!(
            lines,
            vec![
                "我的电话是139****5678",
                "您的电话139****5678，我记下了",
                "您可以拨打物业电话26181191问一下",
                "您打这个号码138 0000 1111",
                // The caller's words are masked whatever the number.
                "26****91是吧",
                // No cue: not a number given to call.
                "好的，26****91",
            ]
        );
        // The ticket's contact number read back is the caller's.
        let t = Ticket {
            caller_phone: "137-0000-1234".into(),
            caller_name: "王小明".into(),
            ..Ticket::default()
        };
        let lines = masker_output(
            &[('a', 0.0, 2.0, "王小明先生，联系电话13700001234是吧")],
            Some(&t),
        );
        assert_eq!(lines, vec!["王**先生，联系电话137****1234是吧"]);
    }

    #[test]
    fn the_unknown_number_the_agent_gave_is_readable_in_its_finding() {
        let c = crate::norms::testkit::call(&[
            crate::norms::testkit::GREETING,
            ('c', 5.0, 7.0, "我的电话是13912345678，我想问问停水的事"),
            (
                'a',
                7.5,
                12.0,
                "您可以拨打他们电话2618111问一下，您的电话13912345678",
            ),
        ]);
        let scorer =
            Scorer::new(crate::config::Config::default(), Directory::builtin()).expect("scorer");
        let mut s = scorer.score(&c, None, &[]);
        Masker::new(&scorer).mask_findings(&mut s, &c, None);
        let f = s
            .findings
            .iter()
            .find(|f| f.rule == "accuracy.unknown_number")
            .expect("the unknown number is found");
        assert!(f.excerpt.contains("【2618111】"), "{}", f.excerpt);
        assert!(!f.excerpt.contains("13912345678"), "{}", f.excerpt);
        assert!(f.excerpt.contains("139****5678"), "{}", f.excerpt);
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
    }
}
