//! The official Chinese working-day calendar.
//!
//! Ticket deadlines (§3 of the spec) are counted in *working days*, and in
//! China a working day is not simply Monday to Friday: every year the State
//! Council (国务院办公厅) publishes a notice, 《关于YYYY年部分节假日安排的通知》,
//! that turns some weekdays into public holidays and some Saturdays or Sundays
//! into make-up working days (调休上班). A deadline of "5 working days" across
//! 春节 or 国庆 can therefore land more than two weeks after dispatch, and a
//! ticket handled on a make-up Sunday was handled on a working day.
//!
//! This module ships those notices for 2020–2026 as data
//! (`data/calendar/cn.csv`, embedded in the binary) and lets a user extend or
//! correct them with a CSV file of the same shape, for a year the program does
//! not know yet or for a local holiday. Days that no notice mentions follow the
//! ordinary rule: Monday–Friday work, Saturday and Sunday off.
//!
//! The CSV format is `date,kind,name,notice`: `date` is `YYYY-MM-DD`
//! (`YYYY/M/D` is accepted too, as spreadsheets like to write it), `kind` is
//! `holiday` or `workday` (also 休/假/节假日/放假 and 班/补班/调休上班/工作日/上班),
//! `name` and `notice` are free text and may be left out. Blank lines and lines
//! starting with `#` are ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Bound;
use std::path::Path;

use chrono::{Datelike, NaiveDate, Weekday};

/// The built-in calendar data, transcribed from the State Council notices.
const BUILTIN_CSV: &str = include_str!("../../data/calendar/cn.csv");

/// Name used for the built-in data in error messages.
const BUILTIN_SOURCE: &str = "data/calendar/cn.csv (built in)";

/// What an official notice makes of a particular day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// A day off: a public holiday, or any day inside an official holiday span
    /// (including the Saturdays and Sundays inside it).
    Holiday,
    /// A working day: usually a Saturday or Sunday that becomes a make-up
    /// working day (调休上班).
    Workday,
}

impl DayKind {
    /// The word used for this kind in the CSV format: `holiday` or `workday`.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    /// Parses a kind word: `holiday`/`workday` (any case) or the Chinese
    /// words 休, 假, 节假日, 放假 (holiday) and 班, 补班, 调休上班, 工作日,
    /// 上班 (workday). Returns `None` for anything else.
    pub fn parse(word: &str) -> Option<DayKind> {
        let word = word.trim();
        match word.to_ascii_lowercase().as_str() {
            "holiday" | "休" | "假" | "节假日" | "放假" => Some(DayKind::Holiday),
            "workday" | "班" | "补班" | "调休上班" | "工作日" | "上班" => {
                Some(DayKind::Workday)
            }
            _ => None,
        }
    }
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One day that an official notice (or a user's override file) treats
/// differently from the plain Monday–Friday rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecialDay {
    /// The calendar date.
    pub date: NaiveDate,
    /// Whether the day is off or a working day.
    pub kind: DayKind,
    /// The holiday the day belongs to, in Chinese (e.g. 春节); may be empty
    /// for user-supplied days.
    pub name: String,
    /// The notice that decided the day, with its document number when known
    /// (e.g. 国务院办公厅关于2024年部分节假日安排的通知（国办发明电〔2023〕7号）);
    /// may be empty for user-supplied days.
    pub notice: String,
}

/// An error reading or parsing a calendar CSV file.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The file could not be read.
    #[error("{file}：读不了节假日文件：{}", crate::messages::io_zh(.error))]
    Read {
        /// The file that could not be read.
        file: String,
        /// The underlying I/O error.
        #[source]
        error: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error(
        "{file}：节假日文件不是 UTF-8 编码，请另存为 UTF-8（Excel 里选“CSV UTF-8”）\
         （the calendar file is not UTF-8 text）"
    )]
    NotUtf8 {
        /// The file with the wrong encoding.
        file: String,
    },
    /// A line of the file could not be understood.
    #[error("{file} 第 {line} 行：{message}")]
    Parse {
        /// The file (or other source name) being parsed.
        file: String,
        /// The 1-based line number of the offending line.
        line: usize,
        /// A plain-language description of the problem.
        message: String,
    },
}

/// The working-day calendar: weekends off, public holidays off, make-up
/// working days on.
///
/// Start from [`Calendar::builtin`] and, if needed, add a user's file with
/// [`Calendar::load_overrides`].
#[derive(Clone, Debug)]
pub struct Calendar {
    /// Every special day, keyed and ordered by date.
    days: BTreeMap<NaiveDate, SpecialDay>,
    /// Years for which the calendar has official (or user-supplied) data.
    years: BTreeSet<i32>,
}

impl Calendar {
    /// The calendar shipped with the program: the State Council holiday
    /// notices for 2020 through 2026 (including the 2020 春节 extension to
    /// 2 February).
    ///
    /// # Panics
    ///
    /// Only if the embedded data file is malformed, which the unit tests rule
    /// out.
    pub fn builtin() -> Calendar {
        let mut cal = Calendar {
            days: BTreeMap::new(),
            years: BTreeSet::new(),
        };
        cal.parse_overrides(BUILTIN_CSV, BUILTIN_SOURCE)
            .expect("the built-in calendar data/calendar/cn.csv is valid (checked by unit tests)");
        cal
    }

    /// Adds the days listed in `text` (the CSV format described in the module
    /// documentation) to the calendar, replacing any day already present.
    /// Every year mentioned in the file becomes a known year.
    ///
    /// `source` names the text (usually the file name) in error messages.
    /// Returns the number of days read. On error the calendar is unchanged.
    ///
    /// # Errors
    ///
    /// [`CalendarError::Parse`], naming `source` and the 1-based line, for a
    /// bad header, date or kind, a date listed twice, too many columns or an
    /// unclosed quote.
    pub fn parse_overrides(&mut self, text: &str, source: &str) -> Result<usize, CalendarError> {
        let entries = parse_csv(text, source)?;
        let count = entries.len();
        for day in entries {
            self.years.insert(day.date.year());
            self.days.insert(day.date, day);
        }
        Ok(count)
    }

    /// Reads a UTF-8 calendar CSV file (a byte-order mark is allowed) and adds
    /// its days as [`Calendar::parse_overrides`] does. Returns the number of
    /// days read. On error the calendar is unchanged.
    ///
    /// # Errors
    ///
    /// [`CalendarError::Read`] if the file cannot be read,
    /// [`CalendarError::NotUtf8`] if it is not UTF-8, and otherwise the errors
    /// of [`Calendar::parse_overrides`].
    pub fn load_overrides(&mut self, path: &Path) -> Result<usize, CalendarError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|error| CalendarError::Read {
            file: file.clone(),
            error,
        })?;
        let text =
            String::from_utf8(bytes).map_err(|_| CalendarError::NotUtf8 { file: file.clone() })?;
        self.parse_overrides(&text, &file)
    }

    /// Whether `d` is a working day: a special day decides by its kind;
    /// otherwise Monday–Friday are working days and Saturday/Sunday are not.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(day) => day.kind == DayKind::Workday,
            None => is_weekday(d),
        }
    }

    /// Whether the calendar has holiday data for the year of `d`. For an
    /// unknown year [`Calendar::is_working_day`] still answers, but only by
    /// the plain weekend rule, so callers may want to warn.
    pub fn knows(&self, d: NaiveDate) -> bool {
        self.years.contains(&d.year())
    }

    /// The years the calendar has holiday data for, sorted ascending.
    pub fn known_years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    /// The special day at `d`, if an official notice or override lists it.
    pub fn special_day(&self, d: NaiveDate) -> Option<&SpecialDay> {
        self.days.get(&d)
    }

    /// All special days, in date order.
    pub fn special_days(&self) -> impl Iterator<Item = &SpecialDay> + '_ {
        self.days.values()
    }

    /// The `n`th working day strictly after `d` (`d` itself never counts):
    /// `n = 1` gives the next working day after `d`. `n = 0` returns `d`.
    ///
    /// Saturates at the largest representable date instead of panicking.
    pub fn nth_working_day_after(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let mut day = d;
        let mut left = n;
        while left > 0 {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// The number of working days `w` with `after < w <= through`; 0 when
    /// `through <= after`.
    ///
    /// Runs in time proportional to the number of special days in the range,
    /// not the number of days.
    pub fn working_days_in(&self, after: NaiveDate, through: NaiveDate) -> i64 {
        if through <= after {
            return 0;
        }
        let mut count = weekdays_through(through) - weekdays_through(after);
        let range = (Bound::Excluded(after), Bound::Included(through));
        for (date, day) in self.days.range(range) {
            match (day.kind, is_weekday(*date)) {
                (DayKind::Holiday, true) => count -= 1,
                (DayKind::Workday, false) => count += 1,
                _ => {}
            }
        }
        count
    }
}

/// Whether `d` falls Monday to Friday.
fn is_weekday(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The number of Monday–Friday days from an arbitrary fixed origin up to and
/// including `d`; only differences between two values are meaningful.
fn weekdays_through(d: NaiveDate) -> i64 {
    // Day 1 of the common era (0001-01-01) is a Monday, so day `k` is a
    // weekday exactly when `k mod 7` is 1..=5.
    let k = i64::from(d.num_days_from_ce());
    k.div_euclid(7) * 5 + k.rem_euclid(7).min(5)
}

/// Parses the calendar CSV format into special days, without touching any
/// calendar.
fn parse_csv(text: &str, source: &str) -> Result<Vec<SpecialDay>, CalendarError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries: Vec<SpecialDay> = Vec::new();
    let mut seen: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    let mut first_record = true;

    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let err = |message: String| CalendarError::Parse {
            file: source.to_string(),
            line,
            message,
        };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = split_csv_line(trimmed).map_err(err)?;
        let fields: Vec<&str> = fields.iter().map(|f| f.trim()).collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }

        if first_record {
            first_record = false;
            if is_header_word(fields[0], &["date", "日期"]) {
                check_header(&fields).map_err(err)?;
                continue;
            }
        }

        if fields.len() > 4 {
            return Err(err(format!(
                "有 {} 列，最多 4 列（date,kind,name,notice）；名称或通知里有逗号时请加英文双引号\
                 （columns found, expected at most 4）",
                fields.len()
            )));
        }
        let date_text = fields[0];
        if date_text.is_empty() {
            return Err(err(
                "缺少日期，请在第一列写日期，如 2027-01-01（the date is missing）".to_string(),
            ));
        }
        let date = parse_date(date_text).ok_or_else(|| {
            err(format!(
                "日期“{date_text}”不对，请写成 YYYY-MM-DD，如 2027-01-01（not a valid YYYY-MM-DD date）"
            ))
        })?;
        // The same years every input time is held to (`input::time::YEARS`).
        if !crate::input::time::YEARS.contains(&chrono::Datelike::year(&date)) {
            return Err(err(format!(
                "日期 \"{date_text}\" 的年份不在 1900–2100 之间，请核对（year out of range）"
            )));
        }
        let kind_text = fields.get(1).copied().unwrap_or("");
        if kind_text.is_empty() {
            return Err(err(format!(
                "{date} 缺少类型，请写 holiday（休）或 workday（班）（the kind is missing）"
            )));
        }
        let kind = DayKind::parse(kind_text).ok_or_else(|| {
            err(format!(
                "类型“{kind_text}”认不出，请写 holiday（休）或 workday（班）（kind is not recognised）"
            ))
        })?;
        if let Some(previous) = seen.insert(date, line) {
            return Err(err(format!(
                "{date} 在第 {previous} 行已经写过，每个日期只写一次（already listed on line {previous}）"
            )));
        }
        entries.push(SpecialDay {
            date,
            kind,
            name: fields.get(2).copied().unwrap_or("").to_string(),
            notice: fields.get(3).copied().unwrap_or("").to_string(),
        });
    }
    Ok(entries)
}

/// Whether `field` is one of the accepted header words (ASCII case ignored).
fn is_header_word(field: &str, words: &[&str]) -> bool {
    words.iter().any(|w| field.eq_ignore_ascii_case(w))
}

/// Checks a header line: `date,kind,name,notice`, trailing columns optional,
/// Chinese column names accepted.
fn check_header(fields: &[&str]) -> Result<(), String> {
    const COLUMNS: [&[&str]; 4] = [
        &["date", "日期"],
        &["kind", "类型", "类别"],
        &["name", "名称", "节日"],
        &["notice", "通知", "依据", "文件"],
    ];
    let ok = fields.len() <= COLUMNS.len()
        && fields
            .iter()
            .zip(COLUMNS.iter())
            .all(|(field, words)| is_header_word(field, words));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "表头“{}”不对，应为 date,kind,name,notice（或 日期,类型,名称,通知）（wrong header）",
            fields.join(",")
        ))
    }
}

/// Parses `YYYY-MM-DD`, also accepting `/` or `.` as separator and one-digit
/// months and days (`2024/2/10`).
fn parse_date(text: &str) -> Option<NaiveDate> {
    let sep = ['-', '/', '.'].into_iter().find(|c| text.contains(*c))?;
    let mut parts = text.split(sep);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || y.len() != 4
        || !(1..=2).contains(&m.len())
        || !(1..=2).contains(&d.len())
    {
        return None;
    }
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(all_digits(y) && all_digits(m) && all_digits(d)) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Splits one CSV line into fields, honouring double quotes (`""` inside a
/// quoted field is a literal quote). Fields may not span lines.
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && field.trim().is_empty() {
            field.clear();
            in_quotes = true;
        } else if c == ',' {
            fields.push(std::mem::take(&mut field));
        } else {
            field.push(c);
        }
    }
    if in_quotes {
        return Err("这一行有一个英文双引号没有配对，请补上或删掉它（a double quote is not closed on this line）".to_string());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    /// Parses a `YYYY-MM-DD` literal in a test table.
    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("valid test date")
    }

    fn naive_working_days_in(cal: &Calendar, after: NaiveDate, through: NaiveDate) -> i64 {
        let mut n = 0;
        let mut d = after;
        while d < through {
            d = d.succ_opt().expect("test dates are in range");
            if cal.is_working_day(d) {
                n += 1;
            }
        }
        n
    }

    #[test]
    fn builtin_parses_and_is_sorted_unique() {
        let cal = Calendar::builtin();
        let rows = BUILTIN_CSV.lines().count() - 1;
        assert_eq!(cal.special_days().count(), rows, "no duplicate dates");
        assert!(BUILTIN_CSV.starts_with("date,kind,name,notice\n"));
        let dates: Vec<NaiveDate> = cal.special_days().map(|d| d.date).collect();
        let mut sorted = dates.clone();
        sorted.sort();
        assert_eq!(dates, sorted);
        for day in cal.special_days() {
            assert!(!day.name.is_empty(), "{} has a name", day.date);
            assert!(
                day.notice.contains("国务院办公厅"),
                "{} cites a notice",
                day.date
            );
            assert!(
                day.notice.contains("国办发明电〔"),
                "{} has a doc number",
                day.date
            );
            if day.kind == DayKind::Workday {
                assert!(
                    !is_weekday(day.date),
                    "make-up day {} is a weekend",
                    day.date
                );
            }
        }
        // The data file itself must be plain CSV: no comments, no blank lines.
        for line in BUILTIN_CSV.lines() {
            assert_eq!(line.split(',').count(), 4, "{line}");
        }
    }

    #[test]
    fn known_years() {
        let cal = Calendar::builtin();
        assert_eq!(cal.known_years(), (2020..=2026).collect::<Vec<_>>());
        for y in 2020..=2026 {
            assert!(cal.knows(ymd(y, 1, 1)), "{y}");
            assert!(cal.knows(ymd(y, 12, 31)), "{y}");
        }
        assert!(!cal.knows(ymd(2027, 1, 1)));
        assert!(!cal.knows(ymd(2019, 12, 31)));
    }

    #[test]
    fn working_day_table() {
        let cal = Calendar::builtin();
        // (date, working?, what)
        let table: &[(&str, bool, &str)] = &[
            // plain days
            ("2024-03-04", true, "plain Monday"),
            ("2024-03-08", true, "plain Friday"),
            ("2024-03-09", false, "plain Saturday"),
            ("2024-03-10", false, "plain Sunday"),
            ("2027-03-06", false, "unknown year Saturday"),
            ("2027-03-08", true, "unknown year Monday"),
            // 2020, including the 春节 extension
            ("2020-01-19", true, "2020 春节 make-up Sunday"),
            ("2020-01-31", false, "2020 春节 extension Friday"),
            (
                "2020-02-01",
                false,
                "2020 make-up Saturday cancelled by extension",
            ),
            ("2020-02-03", true, "2020 back to work"),
            ("2020-10-08", false, "2020 国庆中秋 day 8"),
            ("2020-10-10", true, "2020 make-up Saturday"),
            // 2023 元旦 starts on 2022-12-31
            ("2022-12-30", true, "last working day of 2022"),
            ("2022-12-31", false, "2023 元旦 span starts in 2022"),
            ("2023-01-02", false, "2023 元旦 Monday"),
            ("2023-01-03", true, "2023 back to work"),
            ("2023-01-28", true, "2023 春节 make-up Saturday"),
            ("2023-01-29", true, "2023 春节 make-up Sunday"),
            // 2024
            ("2024-01-01", false, "2024 元旦"),
            ("2024-02-04", true, "2024 春节 make-up Sunday"),
            ("2024-02-09", true, "2024 除夕 is not an official holiday"),
            ("2024-02-10", false, "2024 春节 first day (Saturday)"),
            ("2024-02-12", false, "2024 春节 Monday"),
            ("2024-02-16", false, "2024 春节 Friday"),
            ("2024-02-17", false, "2024 春节 last day (Saturday)"),
            ("2024-02-18", true, "2024 春节 make-up Sunday"),
            ("2024-02-19", true, "2024 after 春节"),
            ("2024-04-07", true, "2024 清明 make-up Sunday"),
            ("2024-04-28", true, "2024 劳动节 make-up Sunday"),
            ("2024-05-03", false, "2024 劳动节 Friday"),
            ("2024-05-11", true, "2024 劳动节 make-up Saturday"),
            ("2024-06-10", false, "2024 端午"),
            ("2024-09-14", true, "2024 中秋 make-up Saturday"),
            ("2024-09-16", false, "2024 中秋 Monday"),
            ("2024-09-29", true, "2024 国庆 make-up Sunday"),
            ("2024-09-30", true, "2024 before 国庆"),
            ("2024-10-01", false, "2024 国庆 day 1"),
            ("2024-10-07", false, "2024 国庆 day 7"),
            ("2024-10-08", true, "2024 after 国庆"),
            ("2024-10-12", true, "2024 国庆 make-up Saturday"),
            // 2025
            ("2025-01-01", false, "2025 元旦"),
            ("2025-01-26", true, "2025 春节 make-up Sunday"),
            ("2025-01-27", true, "2025 day before 除夕"),
            ("2025-01-28", false, "2025 除夕"),
            ("2025-02-04", false, "2025 春节 last day (Tuesday)"),
            ("2025-02-05", true, "2025 after 春节"),
            ("2025-02-08", true, "2025 春节 make-up Saturday"),
            ("2025-04-04", false, "2025 清明"),
            ("2025-04-27", true, "2025 劳动节 make-up Sunday"),
            ("2025-05-05", false, "2025 劳动节 Monday"),
            ("2025-05-10", false, "2025 ordinary Saturday after 劳动节"),
            ("2025-06-02", false, "2025 端午 Monday"),
            ("2025-09-28", true, "2025 国庆 make-up Sunday"),
            ("2025-10-06", false, "2025 中秋"),
            ("2025-10-08", false, "2025 国庆 day 8"),
            ("2025-10-09", true, "2025 after 国庆"),
            ("2025-10-11", true, "2025 国庆 make-up Saturday"),
            // 2026
            ("2025-12-31", true, "last working day of 2025"),
            ("2026-01-01", false, "2026 元旦"),
            ("2026-01-02", false, "2026 元旦 Friday"),
            ("2026-01-03", false, "2026 元旦 Saturday"),
            ("2026-01-04", true, "2026 元旦 make-up Sunday"),
            ("2026-02-13", true, "2026 before 春节"),
            ("2026-02-14", true, "2026 春节 make-up Saturday"),
            ("2026-02-15", false, "2026 春节 first day"),
            ("2026-02-23", false, "2026 春节 last day (Monday)"),
            ("2026-02-24", true, "2026 after 春节"),
            ("2026-02-28", true, "2026 春节 make-up Saturday"),
            ("2026-04-06", false, "2026 清明 Monday"),
            ("2026-05-05", false, "2026 劳动节 Tuesday"),
            ("2026-05-09", true, "2026 劳动节 make-up Saturday"),
            ("2026-06-19", false, "2026 端午"),
            ("2026-09-20", true, "2026 国庆 make-up Sunday"),
            ("2026-09-25", false, "2026 中秋"),
            ("2026-10-07", false, "2026 国庆 day 7"),
            ("2026-10-08", true, "2026 after 国庆"),
            ("2026-10-10", true, "2026 国庆 make-up Saturday"),
            ("2026-12-31", true, "last day of 2026"),
        ];
        for (d, working, what) in table {
            assert_eq!(cal.is_working_day(date(d)), *working, "{d}: {what}");
        }
    }

    #[test]
    fn special_day_details() {
        let cal = Calendar::builtin();
        let day = cal.special_day(ymd(2024, 2, 18)).expect("listed");
        assert_eq!(day.kind, DayKind::Workday);
        assert_eq!(day.name, "春节");
        assert!(day.notice.contains("国办发明电〔2023〕7号"));
        let day = cal.special_day(ymd(2020, 2, 1)).expect("listed");
        assert_eq!(day.kind, DayKind::Holiday);
        assert!(day.notice.contains("延长2020年春节假期"));
        let day = cal.special_day(ymd(2026, 1, 4)).expect("listed");
        assert_eq!((day.kind, day.name.as_str()), (DayKind::Workday, "元旦"));
        assert!(day.notice.contains("国办发明电〔2025〕7号"));
        assert_eq!(
            cal.special_day(ymd(2025, 10, 1)).map(|d| d.name.as_str()),
            Some("中秋节、国庆节")
        );
        assert!(cal.special_day(ymd(2024, 3, 4)).is_none());
    }

    /// Each year's holiday spans and make-up days, counted. The net number of
    /// weekdays lost (weekday holidays minus make-up weekend days) equals the
    /// statutory paid holidays: 11 before 2025, 13 from 2025 (国务院令第798号),
    /// plus 2 in 2020 for the 春节 extension (31 Jan, and 1 Feb no longer a
    /// make-up day).
    #[test]
    fn yearly_counts() {
        let cal = Calendar::builtin();
        // (year, holiday rows, workday rows, net weekdays lost, working days)
        let table = [
            (2020, 30, 6, 13, 249),
            (2021, 31, 7, 11, 250),
            (2022, 32, 7, 11, 249),
            (2023, 26, 7, 11, 249),
            (2024, 28, 8, 11, 251),
            (2025, 28, 5, 13, 248),
            (2026, 33, 6, 13, 248),
        ];
        for (year, holidays, workdays, net, working) in table {
            let days: Vec<&SpecialDay> = cal
                .special_days()
                .filter(|d| d.date.year() == year)
                .collect();
            let h = days.iter().filter(|d| d.kind == DayKind::Holiday).count();
            let w = days.iter().filter(|d| d.kind == DayKind::Workday).count();
            let weekday_h = days
                .iter()
                .filter(|d| d.kind == DayKind::Holiday && is_weekday(d.date))
                .count();
            assert_eq!((h, w), (holidays, workdays), "{year} rows");
            assert_eq!(weekday_h as i64 - w as i64, net, "{year} net weekdays lost");
            let total = cal.working_days_in(ymd(year - 1, 12, 31), ymd(year, 12, 31));
            assert_eq!(total, working, "{year} working days");
        }
    }

    #[test]
    fn holiday_span_lengths() {
        let cal = Calendar::builtin();
        // (name, first day, days in the span)
        let table = [
            ("春节", "2020-01-24", 10),
            ("春节", "2021-02-11", 7),
            ("春节", "2022-01-31", 7),
            ("元旦", "2022-12-31", 3),
            ("春节", "2023-01-21", 7),
            ("中秋节、国庆节", "2023-09-29", 8),
            ("春节", "2024-02-10", 8),
            ("劳动节", "2024-05-01", 5),
            ("国庆节", "2024-10-01", 7),
            ("春节", "2025-01-28", 8),
            ("中秋节、国庆节", "2025-10-01", 8),
            ("元旦", "2026-01-01", 3),
            ("春节", "2026-02-15", 9),
            ("国庆节", "2026-10-01", 7),
        ];
        for (name, first, len) in table {
            let first = date(first);
            let prev = first.pred_opt().expect("in range");
            assert_ne!(
                cal.special_day(prev).map(|d| (d.kind, d.name.as_str())),
                Some((DayKind::Holiday, name)),
                "{name} {first} starts here"
            );
            for i in 0..len {
                let d = first + chrono::Days::new(i);
                let day = cal.special_day(d).expect("inside the span");
                assert_eq!(
                    (day.kind, day.name.as_str()),
                    (DayKind::Holiday, name),
                    "{d}"
                );
            }
            let after = first + chrono::Days::new(len);
            assert_ne!(
                cal.special_day(after).map(|d| d.kind),
                Some(DayKind::Holiday),
                "{name} {first} ends before {after}"
            );
        }
    }

    #[test]
    fn nth_working_day_after_table() {
        let cal = Calendar::builtin();
        // (from, n, expected)
        let table: &[(&str, u32, &str)] = &[
            ("2024-03-04", 0, "2024-03-04"),
            ("2024-03-09", 0, "2024-03-09"),
            ("2024-03-04", 1, "2024-03-05"),
            ("2024-03-08", 1, "2024-03-11"),
            ("2024-03-04", 5, "2024-03-11"),
            // 春节 2025: Jan 26 (Sun) and Feb 8 (Sat) are working days
            ("2025-01-24", 1, "2025-01-26"),
            ("2025-01-24", 2, "2025-01-27"),
            ("2025-01-24", 3, "2025-02-05"),
            ("2025-01-24", 5, "2025-02-07"),
            ("2025-01-24", 6, "2025-02-08"),
            ("2025-01-24", 7, "2025-02-10"),
            ("2025-01-27", 1, "2025-02-05"),
            ("2025-01-30", 1, "2025-02-05"),
            // 国庆 2024: Sep 29 (Sun) and Oct 12 (Sat) are working days
            ("2024-09-27", 1, "2024-09-29"),
            ("2024-09-27", 2, "2024-09-30"),
            ("2024-09-27", 3, "2024-10-08"),
            ("2024-09-30", 5, "2024-10-12"),
            ("2024-09-30", 6, "2024-10-14"),
            // 国庆 2025
            ("2025-09-26", 1, "2025-09-28"),
            ("2025-09-28", 2, "2025-09-30"),
            ("2025-09-28", 3, "2025-10-09"),
            ("2025-09-30", 3, "2025-10-11"),
            ("2025-09-30", 5, "2025-10-14"),
            // 国庆 2026: Sep 20 (Sun) and Oct 10 (Sat) are working days
            ("2026-09-18", 1, "2026-09-20"),
            ("2026-09-24", 1, "2026-09-28"),
            ("2026-09-30", 1, "2026-10-08"),
            ("2026-09-30", 3, "2026-10-10"),
            ("2026-09-30", 4, "2026-10-12"),
            // year boundaries
            ("2025-12-31", 1, "2026-01-04"),
            ("2025-12-30", 2, "2026-01-04"),
            ("2026-12-31", 1, "2027-01-01"),
            ("2023-12-29", 1, "2024-01-02"),
            ("2022-12-30", 1, "2023-01-03"),
            // 春节 2026
            ("2026-02-13", 1, "2026-02-14"),
            ("2026-02-13", 2, "2026-02-24"),
        ];
        for (from, n, expected) in table {
            assert_eq!(
                cal.nth_working_day_after(date(from), *n),
                date(expected),
                "{n} working days after {from}"
            );
        }
    }

    #[test]
    fn working_days_in_table() {
        let cal = Calendar::builtin();
        // (after, through, expected)
        let table: &[(&str, &str, i64)] = &[
            ("2024-03-04", "2024-03-04", 0),
            ("2024-03-05", "2024-03-04", 0),
            ("2024-03-04", "2024-03-05", 1),
            ("2024-03-08", "2024-03-11", 1),
            ("2024-03-03", "2024-03-10", 5),
            ("2024-09-30", "2024-10-07", 0),
            ("2024-09-27", "2024-10-08", 3),
            ("2024-09-30", "2024-10-12", 5),
            ("2025-01-24", "2025-02-08", 6),
            ("2025-01-27", "2025-02-04", 0),
            ("2025-09-27", "2025-10-11", 6),
            ("2025-09-30", "2025-10-11", 3),
            ("2026-02-13", "2026-02-28", 6),
            ("2025-12-31", "2026-01-04", 1),
            ("2026-09-30", "2026-10-10", 3),
        ];
        for (after, through, expected) in table {
            assert_eq!(
                cal.working_days_in(date(after), date(through)),
                *expected,
                "({after}, {through}]"
            );
        }
    }

    #[test]
    fn working_days_in_agrees_with_day_loop() {
        let cal = Calendar::builtin();
        let mut after = ymd(2019, 12, 1);
        while after < ymd(2027, 2, 1) {
            for span in [0_u64, 1, 2, 5, 6, 7, 9, 13, 30, 45] {
                let through = after + chrono::Days::new(span);
                assert_eq!(
                    cal.working_days_in(after, through),
                    naive_working_days_in(&cal, after, through),
                    "({after}, {through}]"
                );
            }
            after = after.succ_opt().expect("in range");
        }
    }

    #[test]
    fn nth_and_count_are_consistent() {
        let cal = Calendar::builtin();
        let mut d = ymd(2019, 12, 20);
        while d < ymd(2027, 1, 10) {
            for n in [1_u32, 3, 5, 10] {
                let target = cal.nth_working_day_after(d, n);
                assert!(cal.is_working_day(target), "{n} after {d}");
                assert_eq!(
                    cal.working_days_in(d, target),
                    i64::from(n),
                    "{n} after {d}"
                );
            }
            d = d.succ_opt().expect("in range");
        }
    }

    #[test]
    fn weekday_counting_matches_chrono() {
        let mut d = ymd(1999, 12, 25);
        let mut expected = 0;
        let base = weekdays_through(d);
        while d < ymd(2001, 1, 10) {
            d = d.succ_opt().expect("in range");
            if is_weekday(d) {
                expected += 1;
            }
            assert_eq!(weekdays_through(d) - base, expected, "{d}");
        }
    }

    #[test]
    fn overrides_add_and_replace() {
        let mut cal = Calendar::builtin();
        let text = "\u{feff}date,kind,name,notice\n\
                    # a local holiday\n\
                    \n\
                    2024-03-08,holiday,妇女节（本地）,市政府通知\n\
                    2024-10-12,休,,\n\
                    2024-03-09,补班\n\
                    2027-01-01,节假日,元旦\n\
                    2027-02-06,调休上班,春节,\"假设, 带逗号\"\n\
                    2024-03-11,工作日\n\
                    2024-03-12,假\n\
                    2024-03-13,Holiday\n";
        let n = cal
            .parse_overrides(text, "holidays.csv")
            .expect("valid overrides");
        assert_eq!(n, 8);
        let table: &[(&str, bool)] = &[
            ("2024-03-08", false),
            ("2024-10-12", false),
            ("2024-03-09", true),
            ("2027-01-01", false),
            ("2027-02-06", true),
            ("2024-03-11", true),
            ("2024-03-12", false),
            ("2024-03-13", false),
            // untouched built-in days
            ("2024-10-01", false),
            ("2024-09-29", true),
        ];
        for (d, working) in table {
            assert_eq!(cal.is_working_day(date(d)), *working, "{d}");
        }
        let local = cal.special_day(ymd(2024, 3, 8)).expect("added");
        assert_eq!(local.name, "妇女节（本地）");
        assert_eq!(local.notice, "市政府通知");
        let replaced = cal.special_day(ymd(2024, 10, 12)).expect("replaced");
        assert_eq!(replaced.kind, DayKind::Holiday);
        assert_eq!(replaced.name, "");
        let quoted = cal.special_day(ymd(2027, 2, 6)).expect("added");
        assert_eq!(quoted.notice, "假设, 带逗号");
        assert!(cal.knows(ymd(2027, 6, 1)));
        assert_eq!(cal.known_years(), (2020..=2027).collect::<Vec<_>>());
        // The built-in calendar itself is not affected.
        assert!(Calendar::builtin().is_working_day(ymd(2024, 10, 12)));
    }

    #[test]
    fn overrides_without_header() {
        let mut cal = Calendar::builtin();
        let n = cal
            .parse_overrides("2028-01-01,holiday\n2028/1/3,班\n", "x.csv")
            .expect("valid");
        assert_eq!(n, 2);
        assert!(!cal.is_working_day(ymd(2028, 1, 1)));
        assert!(cal.is_working_day(ymd(2028, 1, 3)));
        assert!(cal.knows(ymd(2028, 1, 1)));
        assert!(!cal.knows(ymd(2027, 1, 1)));
    }

    #[test]
    fn override_errors() {
        // (text, expected message)
        let table: &[(&str, &str)] = &[
            (
                "date,kind,name,notice\n# comment\n2027-01-01,holiday\n2027-13-01,holiday\n",
                "holidays.csv 第 4 行：日期“2027-13-01”不对，请写成 YYYY-MM-DD，如 2027-01-01（not a valid YYYY-MM-DD date）",
            ),
            (
                "date,kind\n2027-02-30,holiday\n",
                "holidays.csv 第 2 行：日期“2027-02-30”不对，请写成 YYYY-MM-DD，如 2027-01-01（not a valid YYYY-MM-DD date）",
            ),
            (
                "2027-01-01,holiday\n\n2027-01-02,off\n",
                "holidays.csv 第 3 行：类型“off”认不出，请写 holiday（休）或 workday（班）（kind is not recognised）",
            ),
            (
                "date,kind\n2027-01-01\n",
                "holidays.csv 第 2 行：2027-01-01 缺少类型，请写 holiday（休）或 workday（班）（the kind is missing）",
            ),
            (
                "date,kind\n2027-01-01,holiday\n2027-01-01,workday\n",
                "holidays.csv 第 3 行：2027-01-01 在第 2 行已经写过，每个日期只写一次（already listed on line 2）",
            ),
            (
                "day,kind\n",
                "holidays.csv 第 1 行：日期“day”不对，请写成 YYYY-MM-DD，如 2027-01-01（not a valid YYYY-MM-DD date）",
            ),
            (
                "date,type\n",
                "holidays.csv 第 1 行：表头“date,type”不对，应为 date,kind,name,notice（或 日期,类型,名称,通知）（wrong header）",
            ),
            (
                "2027-01-01,holiday,元旦,a,b\n",
                "holidays.csv 第 1 行：有 5 列，最多 4 列（date,kind,name,notice）；名称或通知里有逗号时请加英文双引号（columns found, expected at most 4）",
            ),
            (
                "2027-01-01,holiday,\"元旦\n",
                "holidays.csv 第 1 行：这一行有一个英文双引号没有配对，请补上或删掉它（a double quote is not closed on this line）",
            ),
            (",holiday\n", "holidays.csv 第 1 行：缺少日期，请在第一列写日期，如 2027-01-01（the date is missing）"),
        ];
        for (text, expected) in table {
            let mut cal = Calendar::builtin();
            let err = cal
                .parse_overrides(text, "holidays.csv")
                .expect_err("should fail");
            assert_eq!(err.to_string(), *expected, "{text:?}");
            // A failed load leaves the calendar untouched.
            assert!(!cal.knows(ymd(2027, 1, 1)), "{text:?}");
        }
    }

    #[test]
    fn error_carries_file_and_line() {
        let mut cal = Calendar::builtin();
        let err = cal
            .parse_overrides("a\nb\n2027-1-x,休\n", "local.csv")
            .expect_err("bad date");
        match err {
            CalendarError::Parse { file, line, .. } => {
                assert_eq!((file.as_str(), line), ("local.csv", 1));
            }
            other => panic!("unexpected error {other}"),
        }
    }

    /// Issue 17: a CRLF file (as Excel saves it) gives the lines an LF one
    /// does.
    #[test]
    fn crlf_overrides_give_the_lines_lf_ones_give() {
        let lf = "date,kind,name\n2027-01-01,休,元旦\n\n2027-1-x,休\n";
        for text in [lf.to_string(), lf.replace('\n', "\r\n")] {
            let err = Calendar::builtin()
                .parse_overrides(&text, "local.csv")
                .expect_err("bad date");
            match err {
                CalendarError::Parse { line, .. } => assert_eq!(line, 4, "{text:?}"),
                other => panic!("unexpected error {other}"),
            }
        }
    }

    #[test]
    fn load_overrides_from_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("holidays.csv");
        std::fs::write(
            &path,
            "\u{feff}date,kind,name,notice\r\n2027-01-01,休,元旦,\r\n",
        )
        .expect("write");
        let mut cal = Calendar::builtin();
        assert_eq!(cal.load_overrides(&path).expect("loads"), 1);
        assert!(!cal.is_working_day(ymd(2027, 1, 1)));
        assert_eq!(
            cal.special_day(ymd(2027, 1, 1)).map(|d| d.name.as_str()),
            Some("元旦")
        );

        let gbk = dir.path().join("gbk.csv");
        std::fs::write(&gbk, b"2027-01-02,\xd0\xdd\n").expect("write");
        let err = cal.load_overrides(&gbk).expect_err("not UTF-8");
        assert!(matches!(err, CalendarError::NotUtf8 { .. }), "{err}");

        let missing = dir.path().join("missing.csv");
        let err = cal.load_overrides(&missing).expect_err("missing");
        assert!(matches!(err, CalendarError::Read { .. }), "{err}");
        assert!(err.to_string().contains("missing.csv"), "{err}");
    }

    #[test]
    fn day_kind_words() {
        let table = [
            ("holiday", Some(DayKind::Holiday)),
            ("HOLIDAY", Some(DayKind::Holiday)),
            ("休", Some(DayKind::Holiday)),
            ("假", Some(DayKind::Holiday)),
            ("节假日", Some(DayKind::Holiday)),
            ("workday", Some(DayKind::Workday)),
            ("班", Some(DayKind::Workday)),
            ("补班", Some(DayKind::Workday)),
            ("调休上班", Some(DayKind::Workday)),
            ("工作日", Some(DayKind::Workday)),
            ("rest", None),
            ("", None),
        ];
        for (word, kind) in table {
            assert_eq!(DayKind::parse(word), kind, "{word}");
        }
        assert_eq!(DayKind::Holiday.to_string(), "holiday");
    }
}
