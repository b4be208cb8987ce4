//! A fast reader for transcript lines of the usual shape, tried before
//! serde_json. It reads a line into the same [`RawCall`] that serde_json
//! would give, or gives up (`None`) as soon as the line holds anything it
//! does not handle itself; serde_json then reads the line as before, so
//! anything unusual (and every error, with its diagnosis) goes the old way.
//!
//! What it handles: one JSON object whose keys have no escapes; for the
//! known fields the types serde accepts (strings, with any escape decoded;
//! `null`; ids as strings or plain unsigned integers; times, confidence
//! and the services' measurements (`speech_rate`, `silence_before`) as
//! plain decimals of at most 15 digits, no sign or exponent); for other
//! keys any string, number, `true`, `false` or `null`. What makes it give
//! up: a duplicate or escaped key, a nested value under an unknown key, a
//! sign, an exponent or more than 15 digits in a time, a raw control
//! character in a string, a bad escape or number, anything after the
//! object. serde_json reads each of those as before.
//!
//! A decimal it reads is `digits as f64 / 10^k` with the digits below 2^53
//! and k ≤ 22: both exact, so the quotient is the correctly rounded value,
//! which is what serde_json computes for the same digits (its
//! `f64_from_parts` divides by the same power of ten).

use std::borrow::Cow;

use super::{Id, RawCall, RawUtterance, CALL_FIELDS};

/// 10^0 ..= 10^22, each exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The fields of an utterance, as `RawUtterance` names them.
const UTTERANCE_FIELDS: [&str; 8] = [
    "speaker",
    "start",
    "end",
    "text",
    "confidence",
    "speech_rate",
    "silence_before",
    "emotion",
];

/// Reads `text` as a call, or None for serde_json to read it.
pub(super) fn raw_call(text: &str) -> Option<RawCall<'_>> {
    let mut p = Parser {
        s: text,
        b: text.as_bytes(),
        i: 0,
    };
    let call = p.call()?;
    p.ws();
    (p.i == p.b.len()).then_some(call)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next byte after white space, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// `{` then, for each key, `each(parser, Some(k))` for `known[k]` or
    /// `each(parser, None)` for any other key, to read its value; `}`.
    /// Gives up on a known key given twice (serde rejects it) and on a key
    /// with escapes (this reader does not decode keys). The known keys are
    /// compared as they stand in the line.
    fn object(
        &mut self,
        known: &[&str],
        mut each: impl FnMut(&mut Self, Option<usize>) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        let mut seen = 0u64;
        loop {
            let key = match self.known_key(known) {
                Some(k) if seen & (1 << k) != 0 => return None,
                Some(k) => {
                    seen |= 1 << k;
                    Some(k)
                }
                // Not a known key as it stands: another key, or one with
                // escapes.
                None => match self.string()? {
                    Cow::Borrowed(_) => None,
                    Cow::Owned(_) => return None,
                },
            };
            self.eat(b':')?;
            each(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// The index in `known` of the quoted key at the next token (consumed).
    fn known_key(&mut self, known: &[&str]) -> Option<usize> {
        self.ws();
        let at = self.i + 1;
        let k = known.iter().position(|k| {
            self.b.get(at..at + k.len()) == Some(k.as_bytes())
                && self.b.get(self.i) == Some(&b'"')
                && self.b.get(at + k.len()) == Some(&b'"')
        })?;
        self.i = at + known[k].len() + 1;
        Some(k)
    }

    fn call(&mut self) -> Option<RawCall<'a>> {
        let mut c = RawCall {
            call_id: None,
            operator_id: None,
            operator_name: None,
            team: None,
            started_at: None,
            ended_by: None,
            caller_number: None,
            utterances: None,
        };
        // By index in CALL_FIELDS.
        self.object(&CALL_FIELDS, |p, key| {
            match key {
                Some(0) => c.call_id = p.id()?,
                Some(1) => c.operator_id = p.id()?,
                Some(2) => c.operator_name = p.opt_str()?,
                Some(3) => c.team = p.opt_str()?,
                Some(4) => c.started_at = p.opt_str()?,
                Some(5) => c.ended_by = p.opt_str()?,
                Some(6) => c.caller_number = p.id()?,
                Some(_) => c.utterances = p.utterances()?,
                None => p.skip_scalar()?,
            }
            Some(())
        })?;
        Some(c)
    }

    fn utterances(&mut self) -> Option<Option<Vec<RawUtterance<'a>>>> {
        if self.null() {
            return Some(None);
        }
        self.eat(b'[')?;
        let mut out = Vec::with_capacity(16);
        if self.peek()? == b']' {
            self.i += 1;
            return Some(Some(out));
        }
        loop {
            out.push(self.utterance()?);
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(Some(out));
                }
                _ => return None,
            }
        }
    }

    fn utterance(&mut self) -> Option<RawUtterance<'a>> {
        let mut u = RawUtterance {
            speaker: None,
            start: None,
            end: None,
            text: None,
            confidence: None,
            speech_rate: None,
            silence_before: None,
            emotion: None,
        };
        // By index in UTTERANCE_FIELDS.
        self.object(&UTTERANCE_FIELDS, |p, key| {
            match key {
                Some(0) => u.speaker = p.opt_str()?,
                Some(1) => u.start = p.opt_f64()?,
                Some(2) => u.end = p.opt_f64()?,
                Some(3) => u.text = p.opt_str()?,
                Some(4) => u.confidence = p.opt_f64()?,
                Some(5) => u.speech_rate = p.opt_f64()?,
                Some(6) => u.silence_before = p.opt_f64()?,
                Some(_) => u.emotion = p.opt_str()?,
                None => p.skip_scalar()?,
            }
            Some(())
        })?;
        Some(u)
    }

    /// Consumes `null` when it comes next.
    fn null(&mut self) -> bool {
        let at_null = self.peek() == Some(b'n') && self.b.get(self.i..self.i + 4) == Some(b"null");
        if at_null {
            self.i += 4;
        }
        at_null
    }

    fn opt_str(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null() {
            return Some(None);
        }
        self.string().map(Some)
    }

    /// A string or an unsigned integer, as serde reads an [`Id`].
    fn id(&mut self) -> Option<Option<Id>> {
        if self.null() {
            return Some(None);
        }
        if self.peek()? == b'"' {
            return Some(Some(Id(self.string()?.into_owned())));
        }
        let (digits, frac) = self.decimal()?;
        // A decimal point makes it a float, which an id is not (serde
        // errs); 18 digits always fit a u64, whose text is the digits.
        (frac.is_none() && digits.len() <= 18).then(|| Some(Id(digits.to_string())))
    }

    /// A time or a confidence: a decimal of at most 15 digits, read as
    /// serde_json reads it (see the module's note), or null.
    fn opt_f64(&mut self) -> Option<Option<f64>> {
        if self.null() {
            return Some(None);
        }
        self.ws();
        // The digits, wrapping past 15 (such a number is not read here).
        let mut significand = 0u64;
        let mut digits = |p: &mut Self| {
            let from = p.i;
            while let Some(&c) = p.b.get(p.i).filter(|c| c.is_ascii_digit()) {
                significand = significand
                    .wrapping_mul(10)
                    .wrapping_add(u64::from(c - b'0'));
                p.i += 1;
            }
            p.i - from
        };
        let start = self.i;
        let int = digits(self);
        if int == 0 || (int > 1 && self.b.get(start) == Some(&b'0')) {
            return None;
        }
        let mut frac = 0;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            frac = digits(self);
            if frac == 0 {
                return None;
            }
        }
        if int + frac > 15 || matches!(self.b.get(self.i), Some(b'e' | b'E' | b'-' | b'+')) {
            return None;
        }
        Some(Some(significand as f64 / POW10[frac]))
    }

    /// A number with no sign and no exponent: its integer digits and, after
    /// a point, its fraction digits. None for anything else (leading zeros
    /// included, which JSON forbids).
    fn decimal(&mut self) -> Option<(&'a str, Option<&'a str>)> {
        self.ws();
        let int = self.digits();
        if int.is_empty() || (int.len() > 1 && int.starts_with('0')) {
            return None;
        }
        let frac = if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            let f = self.digits();
            if f.is_empty() {
                return None;
            }
            Some(f)
        } else {
            None
        };
        match self.b.get(self.i) {
            Some(b'e' | b'E' | b'-' | b'+') => None,
            _ => Some((int, frac)),
        }
    }

    fn digits(&mut self) -> &'a str {
        let from = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.s.get(from..self.i).unwrap_or("")
    }

    /// The value of a key this reader does not know: a string, a number,
    /// true, false or null. Objects and arrays give up.
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b't' | b'f' | b'n' => {
                for lit in [&b"true"[..], b"false", b"null"] {
                    if self.b.get(self.i..self.i + lit.len()) == Some(lit) {
                        self.i += lit.len();
                        return Some(());
                    }
                }
                None
            }
            _ => self.any_number(),
        }
    }

    /// Any JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    fn any_number(&mut self) -> Option<()> {
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let int = self.digits();
        if int.is_empty() || (int.len() > 1 && int.starts_with('0')) {
            return None;
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits().is_empty() {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if self.digits().is_empty() {
                return None;
            }
        }
        Some(())
    }

    /// A string: borrowed from the line when it has no escapes, decoded
    /// otherwise. Raw control characters and bad escapes give up, as do
    /// lone surrogates (serde errs on them).
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let from = self.i;
        let end = self.run_end(from)?;
        let first = self.s.get(from..end)?;
        self.i = end + 1;
        if self.b.get(end) == Some(&b'"') {
            return Some(Cow::Borrowed(first));
        }
        let mut out = String::with_capacity(first.len() + 16);
        out.push_str(first);
        loop {
            // At the byte after a backslash.
            let c = *self.b.get(self.i)?;
            self.i += 1;
            match c {
                b'"' => out.push('"'),
                b'\\' => out.push('\\'),
                b'/' => out.push('/'),
                b'b' => out.push('\u{8}'),
                b'f' => out.push('\u{c}'),
                b'n' => out.push('\n'),
                b'r' => out.push('\r'),
                b't' => out.push('\t'),
                b'u' => {
                    let hi = self.hex4()?;
                    let c = if (0xD800..0xDC00).contains(&hi) {
                        if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                            return None;
                        }
                        self.i += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&lo) {
                            return None;
                        }
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        hi
                    };
                    out.push(char::from_u32(c)?);
                }
                _ => return None,
            }
            let from = self.i;
            let end = self.run_end(from)?;
            out.push_str(self.s.get(from..end)?);
            self.i = end + 1;
            if self.b.get(end) == Some(&b'"') {
                return Some(Cow::Owned(out));
            }
        }
    }

    /// Where the run of string bytes from `i` ends: at the first quote or
    /// backslash. None at a raw control character or the end of the line.
    /// Eight bytes at a time while none of them is one of those (the test
    /// serde_json's own string scan makes), then byte by byte.
    fn run_end(&self, mut i: usize) -> Option<usize> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
        while let Some(word) = self.b.get(i..i + 8) {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            let x = u64::from_le_bytes(eight);
            let found = zero_byte(x ^ (ONES * u64::from(b'"')))
                | zero_byte(x ^ (ONES * u64::from(b'\\')))
                | (x.wrapping_sub(ONES * 0x20) & !x);
            if found & HIGH != 0 {
                break;
            }
            i += 8;
        }
        while let Some(&c) = self.b.get(i) {
            match c {
                b'"' | b'\\' => return Some(i),
                0..=0x1F => return None,
                _ => i += 1,
            }
        }
        None
    }

    fn hex4(&mut self) -> Option<u32> {
        let hex = self.s.get(self.i..self.i + 4)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(hex, 16).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What serde_json reads, for comparison.
    fn by_serde(line: &str) -> Option<RawCall<'_>> {
        serde_json::from_str(line).ok()
    }

    /// The fast reader either gives up or reads what serde_json reads.
    fn agrees(line: &str) -> Result<(), TestCaseError> {
        if let Some(fast) = raw_call(line) {
            prop_assert_eq!(Some(fast), by_serde(line), "{}", line);
        }
        Ok(())
    }

    #[test]
    fn reads_the_usual_line_as_serde_does() {
        let line = r#"{"call_id": "c1", "operator_id": 1024, "operator_name": "刘霞", "team": "E班", "started_at": "2026-11-27T00:00:20+08:00", "ended_by": "caller", "extra": [], "utterances": [{"speaker": "agent", "start": 0.7, "end": 5, "text": "您好！\"市长\"热线\n\u4f60\ud83d\ude00", "confidence": 0.93, "note": null}, {"speaker": "caller", "start": 7.1, "end": 11.9, "text": "你好", "confidence": null}]}"#;
        // An array under an unknown key: the fast reader gives up on it.
        assert!(raw_call(line).is_none());
        let line = line.replace(r#""extra": [], "#, r#""extra": -1.5e3, "x": true, "#);
        let fast = raw_call(&line).expect("the usual shape");
        assert_eq!(Some(&fast), by_serde(&line).as_ref());
        let u = fast.utterances.as_deref().unwrap_or_default();
        assert!(matches!(u[1].text, Some(Cow::Borrowed("你好"))));
        assert!(matches!(&u[0].text, Some(Cow::Owned(t)) if t == "您好！\"市长\"热线\n你😀"));
        assert_eq!(
            (u[0].end, u[0].confidence, u[1].confidence),
            (Some(5.0), Some(0.93), None)
        );
    }

    #[test]
    fn the_services_measurements_are_read_as_serde_reads_them() {
        let line = r#"{"call_id":"c1","operator_id":"1","started_at":"2026-11-27T09:00:00+08:00","utterances":[{"speaker":"agent","start":0.8,"end":4.1,"text":"您好","speech_rate":212.5,"silence_before":0.3,"emotion":"neutral","emotion_raw":"6.1"},{"speaker":"caller","start":5,"end":6,"text":"喂","emotion":null}]}"#;
        let fast = raw_call(line).expect("the usual shape");
        assert_eq!(Some(&fast), by_serde(line).as_ref());
        let u = fast.utterances.as_deref().unwrap_or_default();
        assert_eq!(
            (
                u[0].speech_rate,
                u[0].silence_before,
                u[0].emotion.as_deref()
            ),
            (Some(212.5), Some(0.3), Some("neutral"))
        );
        assert_eq!((u[1].speech_rate, u[1].emotion.as_deref()), (None, None));
        // Must not: a negative rate taken the fast way (serde reads it, the
        // reader then rejects it).
        assert!(raw_call(&line.replace("212.5", "-212.5")).is_none());
    }

    #[test]
    fn gives_up_on_what_it_does_not_read_itself() {
        for line in [
            r#"{"call_id":"a","call_id":"b"}"#,
            r#"{"call\u005fid":"a"}"#,
            r#"{"call_id":"a"} x"#,
            r#"{"call_id":"a",}"#,
            r#"["a"]"#,
            r#"{"call_id":1.5}"#,
            r#"{"call_id":-1}"#,
            r#"{"call_id":0123}"#,
            r#"{"utterances":[{"start":-0.5}]}"#,
            r#"{"utterances":[{"start":1e2}]}"#,
            r#"{"utterances":[{"start":1234567890.1234567}]}"#,
            r#"{"utterances":[{"start":"1"}]}"#,
            r#"{"utterances":[{"text":"a	b"}]}"#,
            r#"{"utterances":[{"text":"\ud83d"}]}"#,
            r#"{"utterances":[{"text":"\x"}]}"#,
            r#"{"utterances":[null]}"#,
            r#"{"other":{"a":1}}"#,
        ] {
            assert!(raw_call(line).is_none(), "{line}");
        }
    }

    #[test]
    fn the_generated_day_takes_the_fast_way() {
        let dir = tempfile::tempdir().expect("tempdir");
        crate::gen::generate(&crate::gen::GenOptions::new(300, 7, dir.path())).expect("generate");
        let text = std::fs::read_to_string(dir.path().join("calls.jsonl")).expect("read");
        for line in text.lines() {
            let fast = raw_call(line);
            assert!(fast.is_some(), "{line}");
            assert_eq!(fast, by_serde(line));
        }
    }

    fn string() -> impl Strategy<Value = String> {
        // Mostly what serde reads, some of what it rejects.
        let piece = prop_oneof![
            12 => "[a-z您好市长 😀\u{7f}]{0,5}",
            4 => prop::sample::select(vec![
                r#"\n"#, r#"\""#, r#"\\"#, r#"\/"#, r#"\t"#, r#"\b"#, r#"\f"#, r#"\r"#,
                r#"\u4f60"#, r#"\u00e9"#, r#"\ud83d\ude00"#,
            ])
            .prop_map(str::to_string),
            1 => prop::sample::select(vec![
                r#"\ud83d"#, r#"\ude00"#, r#"\x"#, r#"\u12"#, r#"\uzzzz"#, "\u{1}", "\t",
            ])
            .prop_map(str::to_string),
        ];
        prop::collection::vec(piece, 0..5).prop_map(|p| format!("\"{}\"", p.concat()))
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            2 => "-?(0|[1-9][0-9]{0,18})(\\.[0-9]{1,18})?([eE][+-]?[0-9]{1,3})?",
            6 => "(0|[1-9][0-9]{0,3})(\\.[0-9]{1,3})?",
            1 => prop::sample::select(vec!["01", "1.", ".5", "-", "1e", "00.5", "1.5x"])
                .prop_map(str::to_string),
        ]
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => string(),
            4 => number(),
            2 => prop::sample::select(vec!["null", "true", "false"]).prop_map(str::to_string),
            1 => prop::sample::select(vec!["nul", "[]", "{}", "[1,\"a\"]"]).prop_map(str::to_string),
        ]
    }

    fn sep() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["", " ", "\n", " \t"])
    }

    /// A value for `key`: mostly of the type serde wants there.
    fn value(key: &'static str) -> BoxedStrategy<String> {
        let typed = match key {
            "start" | "end" | "confidence" | "speech_rate" | "silence_before" => number().boxed(),
            "call_id" | "operator_id" => prop_oneof![string(), "[1-9][0-9]{0,19}"].boxed(),
            "other" | "" => scalar().boxed(),
            _ => string().boxed(),
        };
        prop_oneof![8 => typed, 1 => Just("null".to_string()), 1 => scalar()].boxed()
    }

    fn object(keys: Vec<&'static str>) -> impl Strategy<Value = String> {
        let entry = prop::sample::select(keys).prop_flat_map(|k| (Just(k), value(k), sep()));
        prop::collection::vec(entry, 0..7).prop_map(|entries| {
            let body: Vec<String> = entries
                .into_iter()
                .map(|(k, v, s)| format!("{s}\"{k}\"{s}:{s}{v}"))
                .collect();
            format!("{{{}}}", body.join(","))
        })
    }

    fn line() -> impl Strategy<Value = String> {
        // The known keys, and others: unknown, empty, escaped.
        let keys = |known: &[&'static str], other: &[&'static str]| {
            known.iter().chain(other).copied().collect::<Vec<_>>()
        };
        let utterance = object(keys(&UTTERANCE_FIELDS, &["other", ""]));
        let utterances = prop::collection::vec(
            prop_oneof![19 => utterance, 1 => Just("null".to_string())],
            0..4,
        )
        .prop_map(|u| format!("[{}]", u.join(", ")));
        // The utterances are added below.
        let top = object(keys(&CALL_FIELDS[..6], &["other", "call\\u005fid"]));
        (
            top,
            prop::option::of(utterances),
            sep(),
            prop::sample::select(vec!["", "", "", "", "", " ", "\n", "x", ",", "}"]),
        )
            .prop_map(|(top, utts, s, tail)| {
                let top = match utts {
                    Some(u) if top == "{}" => format!("{{\"utterances\":{s}{u}}}"),
                    Some(u) => format!("{}, \"utterances\":{s}{u}}}", &top[..top.len() - 1]),
                    None => top,
                };
                format!("{s}{top}{tail}")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_fast_reader_reads_what_serde_reads(line in line()) {
            agrees(&line)?;
        }

        #[test]
        fn times_are_serdes_f64s(int in "(0|[1-9][0-9]{0,14})", frac in "[0-9]{0,14}") {
            let n = if frac.is_empty() { int } else { format!("{int}.{frac}") };
            agrees(&format!(r#"{{"utterances":[{{"start":{n}}}]}}"#))?;
        }
    }
}
