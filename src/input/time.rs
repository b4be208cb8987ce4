//! Date and time parsing for every format the inputs use: RFC 3339, the
//! spec's `YYYY-MM-DD HH:MM[:SS]` local form, and the forms Excel produces
//! (`2026/11/27 9:05`, `2026-11-27 09:05:00.000`, serial numbers in xlsx).

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
};

/// China Standard Time, the default for times written without an offset.
pub fn default_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// Parses an offset like `+08:00`.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

const LOCAL_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日%H:%M",
];

const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"];

/// Whether a parsed time had a time-of-day or was a bare date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Date and time.
    DateTime,
    /// A date without a time.
    Date,
}

/// The years an input time may have. A year such as 9999 is a typing or
/// export error, not a date: accepted, it gave due dates of `+10000-01-07`
/// and calendars of no use, so every time read is held to this range.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Parses a local wall-clock time. RFC 3339 times with another offset are
/// converted to `local`. A bare date is midnight, reported as such. None
/// also for a time outside [`YEARS`] ([`out_of_range`] tells which).
pub fn parse_local(s: &str, local: FixedOffset) -> Option<(NaiveDateTime, Precision)> {
    parse_local_any_year(s, local).filter(|(t, _)| YEARS.contains(&t.year()))
}

/// The year of `s` when it is a time [`parse_local`] or [`parse_instant`]
/// would take but for its year outside [`YEARS`], for the reject's reason.
pub fn out_of_range(s: &str, local: FixedOffset) -> Option<i32> {
    let s = s.trim();
    let year = match instant_any_year(s, local) {
        Some(t) => t.year(),
        None => parse_local_any_year(s, local)?.0.year(),
    };
    (!YEARS.contains(&year)).then_some(year)
}

/// The reason for a time field that could not be used: its year when it
/// is out of range, else `otherwise` (the caller's "not a time" message).
pub fn bad_time_reason(field: &str, s: &str, local: FixedOffset, otherwise: String) -> String {
    match out_of_range(s, local) {
        Some(y) => format!(
            "{field} \"{s}\" 的年份 {y} 不在 {}–{} 之间，请核对这个时间（year out of range）",
            YEARS.start(),
            YEARS.end()
        ),
        None => otherwise,
    }
}

fn parse_local_any_year(s: &str, local: FixedOffset) -> Option<(NaiveDateTime, Precision)> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(t) = parse_plain(s) {
        return Some((t, Precision::DateTime));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some((dt.with_timezone(&local).naive_local(), Precision::DateTime));
    }
    // "2026-11-27 09:15:02+08:00" (space instead of T, with offset)
    if let Ok(dt) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%:z") {
        return Some((dt.with_timezone(&local).naive_local(), Precision::DateTime));
    }
    for f in LOCAL_FORMATS {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return Some((dt, Precision::DateTime));
        }
    }
    for f in DATE_FORMATS {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some((d.and_time(NaiveTime::MIN), Precision::Date));
        }
    }
    None
}

/// Parses a call's `started_at`: RFC 3339, or a local time without offset.
/// None also for a time outside [`YEARS`] (in its own offset).
pub fn parse_instant(s: &str, local: FixedOffset) -> Option<DateTime<FixedOffset>> {
    instant_any_year(s, local).filter(|t| YEARS.contains(&t.year()))
}

fn instant_any_year(s: &str, local: FixedOffset) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt);
    }
    if let Ok(dt) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%:z") {
        return Some(dt);
    }
    let (naive, _) = parse_local_any_year(s, local)?;
    local.from_local_datetime(&naive).single()
}

/// Converts an Excel serial date (days since 1899-12-30, fraction = time of day).
pub fn from_excel_serial(serial: f64) -> Option<NaiveDateTime> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_time(NaiveTime::MIN);
    let millis = (serial * 86_400_000.0).round() as i64;
    // Round to the second: Excel stores times as binary fractions.
    let secs = (millis + 500) / 1000;
    base.checked_add_signed(Duration::seconds(secs))
}

/// Formats a local time the way the outputs write it.
pub fn fmt_local(t: NaiveDateTime) -> String {
    match fmt_local_bytes(t) {
        Some(b) => String::from_utf8_lossy(&b).into_owned(),
        None => t.format("%Y-%m-%d %H:%M:%S").to_string(),
    }
}

/// [`fmt_local`] without an allocation, for the years 0–9999 (None for others).
pub fn fmt_local_bytes(t: NaiveDateTime) -> Option<[u8; 19]> {
    use chrono::Timelike;
    // Digit by digit: `format` parses its pattern on every call, which was
    // a fifth of reading a day of tickets.
    let y = t.year();
    if !(0..=9999).contains(&y) {
        return None;
    }
    let mut b = *b"0000-00-00 00:00:00";
    let two = |b: &mut [u8], at: usize, v: u32| {
        b[at] = b'0' + (v / 10 % 10) as u8;
        b[at + 1] = b'0' + (v % 10) as u8;
    };
    two(&mut b, 0, y as u32 / 100);
    two(&mut b, 2, y as u32 % 100);
    two(&mut b, 5, t.month());
    two(&mut b, 8, t.day());
    two(&mut b, 11, t.hour());
    two(&mut b, 14, t.minute());
    two(&mut b, 17, t.second());
    Some(b)
}

/// `YYYY-MM-DD HH:MM[:SS]` with every digit in place, the form the spec
/// asks for and almost every export writes: read without chrono's format
/// parser. `None` for anything else (then the formats are tried in turn).
fn parse_plain(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if !(b.len() == 16 || b.len() == 19) {
        return None;
    }
    let shape = if b.len() == 19 {
        "dddd-dd-dd dd:dd:dd"
    } else {
        "dddd-dd-dd dd:dd"
    };
    for (&c, &p) in b.iter().zip(shape.as_bytes()) {
        let ok = if p == b'd' {
            c.is_ascii_digit()
        } else {
            c == p
        };
        if !ok {
            return None;
        }
    }
    let n = |from: usize, to: usize| {
        b[from..to]
            .iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'))
    };
    let sec = if b.len() == 19 { n(17, 19) } else { 0 };
    let date = NaiveDate::from_ymd_opt(n(0, 4) as i32, n(5, 7), n(8, 10))?;
    let time = NaiveTime::from_hms_opt(n(11, 13), n(14, 16), sec)?;
    Some(date.and_time(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain path reads and writes what chrono's formats do.
    #[test]
    fn plain_times_are_chronos() {
        let off = default_offset();
        let cases = [
            "2026-11-27 09:05:00",
            "2026-11-27 09:05",
            "2024-02-29 23:59:59",
            "2026-02-29 10:00:00",
            "2026-13-01 10:00",
            "2026-11-27 24:00:00",
            "2026-11-27 23:59:60",
            "0001-01-01 00:00:00",
            "2026-11-27 9:05",
            "2026-11-27T09:05:00",
            "2026/11/27 09:05",
        ];
        for c in cases {
            let chrono_only = DateTime::parse_from_rfc3339(c)
                .map(|dt| dt.with_timezone(&off).naive_local())
                .ok()
                .or_else(|| {
                    LOCAL_FORMATS
                        .iter()
                        .find_map(|f| NaiveDateTime::parse_from_str(c, f).ok())
                });
            if let Some(t) = parse_plain(c) {
                assert_eq!(Some(t), chrono_only, "{c}");
            }
            assert_eq!(
                parse_local_any_year(c, off).map(|(t, _)| t),
                chrono_only.or_else(|| {
                    DATE_FORMATS
                        .iter()
                        .find_map(|f| NaiveDate::parse_from_str(c, f).ok())
                        .map(|d| d.and_time(NaiveTime::MIN))
                }),
                "{c}"
            );
        }
        for t in [
            NaiveDate::from_ymd_opt(2026, 11, 27).and_then(|d| d.and_hms_opt(9, 5, 0)),
            NaiveDate::from_ymd_opt(7, 1, 2).and_then(|d| d.and_hms_opt(23, 59, 59)),
            NaiveDate::from_ymd_opt(12026, 1, 2).and_then(|d| d.and_hms_opt(0, 0, 0)),
            NaiveDate::from_ymd_opt(-5, 1, 2).and_then(|d| d.and_hms_opt(0, 0, 0)),
        ]
        .into_iter()
        .flatten()
        {
            assert_eq!(fmt_local(t), t.format("%Y-%m-%d %H:%M:%S").to_string());
        }
    }

    fn p(s: &str) -> Option<String> {
        parse_local(s, default_offset()).map(|(t, _)| fmt_local(t))
    }

    #[test]
    fn formats_excel_and_exports_produce() {
        assert_eq!(
            p("2026-11-27 09:05").as_deref(),
            Some("2026-11-27 09:05:00")
        );
        assert_eq!(p("2026/11/27 9:05").as_deref(), Some("2026-11-27 09:05:00"));
        assert_eq!(
            p("2026-11-27 09:05:00.000").as_deref(),
            Some("2026-11-27 09:05:00")
        );
        assert_eq!(
            p("2026-11-27T01:05:00Z").as_deref(),
            Some("2026-11-27 09:05:00")
        );
        assert_eq!(
            p("2026-11-27T09:05:00+08:00").as_deref(),
            Some("2026-11-27 09:05:00")
        );
        assert_eq!(
            p("2026年11月27日 9:05").as_deref(),
            Some("2026-11-27 09:05:00")
        );
        assert_eq!(p("2026-11-27").as_deref(), Some("2026-11-27 00:00:00"));
        assert_eq!(p("2026-13-27 09:05"), None);
        assert_eq!(p("昨天下午"), None);
    }

    #[test]
    fn excel_serial() {
        let t = from_excel_serial(46353.375).map(fmt_local);
        assert_eq!(t.as_deref(), Some("2026-11-27 09:00:00"));
    }

    #[test]
    fn instant_without_offset_is_local() {
        let t = parse_instant("2026-11-27T09:15:02", default_offset()).map(|t| t.to_rfc3339());
        assert_eq!(t.as_deref(), Some("2026-11-27T09:15:02+08:00"));
    }

    /// Issue 17: a year of 9999 was accepted and a due date came out as
    /// `+10000-01-07`. Every form, bare dates and Excel serials included,
    /// is held to 1900–2100, and the reason names the year.
    #[test]
    fn a_year_outside_1900_to_2100_is_not_a_time() {
        let off = default_offset();
        for bad in [
            "9999-12-31 09:00:00",
            "9999-12-31",
            "1899-12-31 23:59",
            "2101-01-01T00:00:00+08:00",
            "0001-01-01 00:00:00",
            "9999/1/7 9:05",
        ] {
            assert_eq!(parse_local(bad, off), None, "{bad}");
            assert_eq!(parse_instant(bad, off), None, "{bad}");
            assert!(out_of_range(bad, off).is_some(), "{bad}");
            let why = bad_time_reason("accepted_at", bad, off, "不是时间".into());
            assert!(why.contains("1900–2100"), "{why}");
        }
        for good in ["1900-01-01 00:00", "2100-12-31 23:59:59", "2026-11-27"] {
            assert!(parse_local(good, off).is_some(), "{good}");
            assert_eq!(out_of_range(good, off), None, "{good}");
        }
        assert_eq!(out_of_range("昨天", off), None);
        assert_eq!(
            bad_time_reason("x", "昨天", off, "不是时间".into()),
            "不是时间"
        );
        // An Excel serial of year 9999 reads as that date, then is refused.
        let t = from_excel_serial(2_958_465.0)
            .map(fmt_local)
            .unwrap_or_default();
        assert_eq!(parse_local(&t, off), None, "{t}");
        assert_eq!(out_of_range(&t, off), Some(9999));
    }
}
