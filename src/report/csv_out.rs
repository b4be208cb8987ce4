//! The CSV outputs of spec §4, with their exact, stable column names.
//! UTF-8 with a BOM so that Excel opens Chinese text correctly.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::input::time::fmt_local;
use crate::input::Reject;
use crate::model::Ticket;
use crate::norms::ScoredCall;
use crate::report::{num, rate, AtomicFile};
use crate::workflow::timeliness::{Timeliness, FLAGS};
use crate::workflow::units::{UnitRow, UNIT_COLUMNS};

/// The columns of `calls.csv` before the eleven norm columns.
pub const CALL_COLUMNS: [&str; 8] = [
    "call_id",
    "operator_id",
    "operator_name",
    "team",
    "started_at",
    "score",
    "passed",
    "red_line",
];
/// The columns of `calls.csv` after the eleven norm columns (issue #7).
pub const CALL_REVIEW_COLUMNS: [&str; 6] = [
    "reviewed_score",
    "reviewed_passed",
    "reviewed_red_line",
    "needs_review",
    "appeals",
    "confidence",
];
/// The last column of `calls.csv` (issue #19): the number the call came
/// from, masked. At the end, so that readers by position keep working.
pub const CALL_NUMBER_COLUMN: &str = "caller_number";
/// First-call resolution (首呼解决率, issue #19), at the end of
/// operators.csv, teams.csv and units.csv.
pub const FCR_COLUMNS: [&str; 3] = ["first_calls", "repeated", "first_call_resolution"];
/// The columns of `repeats.csv`: one row per chain of repeat contacts.
pub const REPEAT_COLUMNS: [&str; 10] = [
    "chain_id",
    "caller_number",
    "calls",
    "tickets",
    "first_at",
    "last_at",
    "count",
    "closed_before_repeat",
    "key",
    "window_days",
];

/// The three [`FCR_COLUMNS`] of one row (empty rate without first calls).
pub fn fcr_fields(f: Option<&crate::workflow::repeats::FirstCalls>) -> [String; 3] {
    let f = f.copied().unwrap_or_default();
    [
        f.first_calls.to_string(),
        f.repeated.to_string(),
        f.rate().map(|r| format!("{r:.4}")).unwrap_or_default(),
    ]
}

/// The first-call figures of a units.csv row: its unit, category or the total.
pub fn unit_fcr<'a>(
    u: &UnitRow,
    fcr: &'a crate::workflow::repeats::Fcr,
) -> Option<&'a crate::workflow::repeats::FirstCalls> {
    use crate::workflow::units::{TOTAL, UNSPECIFIED};
    let name = if u.name == UNSPECIFIED {
        ""
    } else {
        u.name.as_str()
    };
    match u.group {
        "unit" if u.name == TOTAL => Some(&fcr.total),
        "unit" => fcr.units.get(name),
        _ => fcr.categories.get(name),
    }
}

/// Writes repeats.csv: the chains of two contacts or more, in the order
/// of their first contact.
pub fn write_repeats(dir: &Path, linked: &crate::workflow::repeats::Linked) -> anyhow::Result<()> {
    let mut out = CsvOut::create(dir, "repeats.csv", &REPEAT_COLUMNS)?;
    for ch in linked.chains().iter().filter(|c| c.len() > 1) {
        let m: Vec<crate::workflow::repeats::ContactRef> = linked.members(ch).collect();
        let (Some(first), Some(second), Some(last)) = (m.first(), m.get(1), m.last()) else {
            continue;
        };
        let calls: Vec<&str> = m
            .iter()
            .map(|c| c.call_id)
            .filter(|c| !c.is_empty())
            .collect();
        let tickets: Vec<&str> = m.iter().map(|c| c.ticket_id).collect();
        out.row([
            linked.chain_id(ch),
            first.masked.to_string(),
            calls.join(";"),
            tickets.join(";"),
            crate::input::time::fmt_local(first.at),
            crate::input::time::fmt_local(last.at),
            m.len().to_string(),
            crate::workflow::repeats::closed_before(first, second).to_string(),
            ch.key().to_string(),
            linked.window_days.to_string(),
        ])?;
    }
    out.commit()?;
    Ok(())
}

/// The columns of `findings.csv`: the spec's ten, then the review state.
pub const FINDING_COLUMNS: [&str; 16] = [
    "call_id",
    "operator_id",
    "norm",
    "rule",
    "severity",
    "points",
    "at_s",
    "utterance_index",
    "speaker",
    "excerpt",
    "needs_review",
    "verdict",
    "appeal",
    "reviewed_points",
    "reviewer",
    "review_comment",
];
/// The columns of `rejects.csv`.
pub const REJECT_COLUMNS: [&str; 4] = ["file", "line", "record_id", "reason"];
/// Extra columns of `tickets.csv`, after the spec's.
pub const TICKET_EXTRA_COLUMNS: [&str; 10] = [
    "call_id",
    "operator_id",
    "category",
    "urgency",
    "unit",
    "hot_issue",
    "dispatched_at",
    "completed_at",
    "urge_deadline",
    "callback_deadline",
];

/// Appends one CSV record to `out`: fields quoted only when they hold a
/// comma, a quote or a line break (quotes doubled), lines ending in `\n`.
/// Rows are rendered on the scoring threads and written as bytes.
pub fn encode_row<I, S>(fields: I, out: &mut Vec<u8>)
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut row = RowEncoder::new(out);
    for f in fields {
        row.field(f.as_ref());
    }
    row.end();
}

/// Encodes one CSV record field by field, without building the fields as
/// strings first (the per-call rows are the bulk of what `score` writes).
pub struct RowEncoder<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> RowEncoder<'a> {
    /// Starts a record at the end of `out`.
    pub fn new(out: &'a mut Vec<u8>) -> RowEncoder<'a> {
        RowEncoder { out, first: true }
    }

    /// Appends a field, quoted when it must be. Every field of every CSV
    /// file goes through here, so every one is made safe for Excel the
    /// same way ([`crate::report::privacy::excel_safe`]: an apostrophe
    /// before = + - @ …), whatever column it is in (rejects' file names
    /// and ids included).
    pub fn field(&mut self, f: &[u8]) -> &mut Self {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        let apostrophe = crate::report::privacy::needs_apostrophe(f);
        if f.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
            self.out.push(b'"');
            if apostrophe {
                self.out.push(b'\'');
            }
            for &b in f {
                if b == b'"' {
                    self.out.push(b'"');
                }
                self.out.push(b);
            }
            self.out.push(b'"');
        } else {
            if apostrophe {
                self.out.push(b'\'');
            }
            self.out.extend_from_slice(f);
        }
        self
    }

    /// Free text (every field is made safe for Excel: see [`RowEncoder::field`]).
    pub fn text(&mut self, s: &str) -> &mut Self {
        self.field(s.as_bytes())
    }

    /// A number as [`num`] prints it.
    pub fn num(&mut self, x: f64) -> &mut Self {
        // -inf is no plain number: escaped as any field.
        if !x.is_finite() {
            return self.field(num(x).as_bytes());
        }
        // Digits, '-' and '.' never need quoting.
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        crate::report::num_into(x, self.out);
        self
    }

    /// A number with three decimals, as `format!("{:.3}")` prints it,
    /// without a `String` for it.
    pub fn fixed3(&mut self, x: f64) -> &mut Self {
        use std::io::Write;
        if !x.is_finite() {
            return self.field(format!("{x:.3}").as_bytes());
        }
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        // Digits, '-' and '.' never need quoting; writing to a Vec cannot fail.
        let _ = write!(self.out, "{x:.3}");
        self
    }

    /// A whole number.
    pub fn int(&mut self, n: u64) -> &mut Self {
        let mut buf = [0u8; 20];
        let start = crate::report::digits_before(&mut buf, 20, n);
        self.field(&buf[start..])
    }

    /// Ends the record.
    pub fn end(self) {
        self.out.push(b'\n');
    }
}

/// A CSV output file.
pub struct CsvOut {
    file: AtomicFile,
    writer: BufWriter<File>,
    line: Vec<u8>,
}

impl CsvOut {
    /// Creates `dir/name` and writes the BOM and header.
    pub fn create(dir: &Path, name: &str, header: &[&str]) -> anyhow::Result<CsvOut> {
        let (file, mut writer) = AtomicFile::create(dir, name)?;
        writer.write_all(b"\xEF\xBB\xBF")?;
        let mut out = CsvOut {
            file,
            writer,
            line: Vec::with_capacity(1024),
        };
        out.row(header)?;
        Ok(out)
    }

    /// Writes one row.
    pub fn row<I, S>(&mut self, fields: I) -> anyhow::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.line.clear();
        encode_row(fields, &mut self.line);
        self.writer.write_all(&self.line)?;
        Ok(())
    }

    /// Writes rows already encoded with [`encode_row`].
    pub fn raw(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.writer.write_all(bytes)?;
        Ok(())
    }

    /// Finishes the file and moves it into place.
    pub fn commit(self) -> anyhow::Result<()> {
        self.file.commit(self.writer)?;
        Ok(())
    }
}

/// The header of the default scorecard's `calls.csv`.
pub fn calls_header() -> Vec<&'static str> {
    calls_header_for(&crate::config::Items::default_eleven())
}

/// The header of `calls.csv`: a column per item of the scorecard, in order.
pub fn calls_header_for(items: &crate::config::Items) -> Vec<&'static str> {
    CALL_COLUMNS
        .iter()
        .copied()
        .chain(items.iter().map(|i| i.key()))
        .chain(CALL_REVIEW_COLUMNS)
        .chain([CALL_NUMBER_COLUMN])
        .collect()
}

/// One `calls.csv` row.
pub fn call_row(s: &ScoredCall) -> Vec<String> {
    let mut row = vec![
        s.call_id.to_string(),
        s.operator_id.to_string(),
        s.operator_name.to_string(),
        s.team.to_string(),
        s.started_at.clone(),
        num(s.score),
        s.passed.to_string(),
        s.red_line.to_string(),
    ];
    row.extend(s.earned.iter().map(|e| e.map(num).unwrap_or_default()));
    row.extend([
        num(s.reviewed_score),
        s.reviewed_passed.to_string(),
        s.reviewed_red_line.to_string(),
        s.needs_review.to_string(),
        s.appeals.iter().sum::<u32>().to_string(),
        s.confidence
            .map(|c| format!("{:.3}", c))
            .unwrap_or_default(),
        s.caller_number.clone(),
    ]);
    row
}

/// Appends the `calls.csv` row of a call to `out` (the same bytes as
/// `encode_row(call_row(s), out)`).
pub fn encode_call_row(s: &ScoredCall, out: &mut Vec<u8>) {
    let mut r = RowEncoder::new(out);
    r.text(&s.call_id)
        .text(&s.operator_id)
        .text(&s.operator_name)
        .text(&s.team)
        .field(s.started_at.as_bytes())
        .num(s.score)
        .field(bool_str(s.passed))
        .field(bool_str(s.red_line));
    for e in s.earned.iter() {
        match e {
            Some(p) => r.num(*p),
            None => r.field(b""),
        };
    }
    r.num(s.reviewed_score)
        .field(bool_str(s.reviewed_passed))
        .field(bool_str(s.reviewed_red_line))
        .int(u64::from(s.needs_review))
        .int(u64::from(s.appeals.iter().sum::<u32>()));
    match s.confidence {
        Some(c) => r.fixed3(c),
        None => r.field(b""),
    };
    r.text(&s.caller_number);
    r.end();
}

/// Appends the `findings.csv` rows of a call to `out` (the same bytes as
/// `encode_row` over `finding_rows(s)`).
pub fn encode_finding_rows(s: &ScoredCall, out: &mut Vec<u8>) {
    for f in &s.findings {
        let mut r = RowEncoder::new(out);
        r.text(&s.call_id)
            .text(&s.operator_id)
            .field(f.norm.key().as_bytes())
            .field(f.rule.as_bytes())
            .field(f.severity.key().as_bytes())
            .num(f.points);
        match f.at_s {
            Some(t) => r.num(t),
            None => r.field(b""),
        };
        match f.utterance_index {
            Some(i) => r.int(i as u64),
            None => r.field(b""),
        };
        r.field(f.speaker.map_or("", |s| s.key()).as_bytes())
            .text(&f.excerpt)
            .field(bool_str(f.needs_review))
            .field(f.verdict().map_or("", |v| v.key()).as_bytes())
            .field(f.appeal().map_or("", |a| a.key()).as_bytes())
            .num(f.reviewed_points)
            .text(f.review.as_ref().map_or("", |r| r.reviewer.as_str()))
            .text(f.review.as_ref().map_or("", |r| r.comment.as_str()));
        r.end();
    }
}

fn bool_str(b: bool) -> &'static [u8] {
    if b {
        b"true"
    } else {
        b"false"
    }
}

/// The `findings.csv` rows of a call.
pub fn finding_rows(s: &ScoredCall) -> impl Iterator<Item = [String; 16]> + '_ {
    s.findings.iter().map(|f| {
        [
            s.call_id.to_string(),
            s.operator_id.to_string(),
            f.norm.key().to_string(),
            f.rule.to_string(),
            f.severity.key().to_string(),
            num(f.points),
            f.at_s.map(num).unwrap_or_default(),
            f.utterance_index.map(|i| i.to_string()).unwrap_or_default(),
            f.speaker.map(|s| s.key().to_string()).unwrap_or_default(),
            f.excerpt.to_string(),
            f.needs_review.to_string(),
            f.verdict().map_or("", |v| v.key()).to_string(),
            f.appeal().map_or("", |a| a.key()).to_string(),
            num(f.reviewed_points),
            f.review
                .as_ref()
                .map_or("", |r| r.reviewer.as_str())
                .to_string(),
            f.review
                .as_ref()
                .map_or("", |r| r.comment.as_str())
                .to_string(),
        ]
    })
}

/// One `rejects.csv` row (made safe for Excel as every row is, by
/// [`CsvOut::row`]; the reason's quoted numbers masked,
/// [`crate::report::privacy::mask_reason`]).
pub fn reject_row(r: &Reject) -> [String; 4] {
    [
        r.file.to_string(),
        r.line.to_string(),
        r.record_id.clone(),
        crate::report::privacy::mask_reason(&r.reason),
    ]
}

/// The header of `tickets.csv`.
pub fn tickets_header() -> Vec<&'static str> {
    ["ticket_id", "status", "due_at", "working_days_taken"]
        .into_iter()
        .chain(FLAGS)
        .chain(TICKET_EXTRA_COLUMNS)
        .collect()
}

/// Appends one `tickets.csv` row to `out`, field by field (a day has a
/// million tickets: no `String` per field).
pub fn encode_ticket_row(t: &Ticket, r: &Timeliness, out: &mut Vec<u8>) {
    fn time(row: &mut RowEncoder<'_>, x: Option<chrono::NaiveDateTime>) {
        match x.map(|x| (x, crate::input::time::fmt_local_bytes(x))) {
            Some((_, Some(b))) => row.field(&b),
            Some((x, None)) => row.field(fmt_local(x).as_bytes()),
            None => row.field(b""),
        };
    }
    let mut row = RowEncoder::new(out);
    row.text(&t.ticket_id).field(r.status.key().as_bytes());
    time(&mut row, r.due_at);
    match r.working_days_taken {
        Some(d) if d >= 0 => row.int(d as u64),
        Some(d) => row.field(d.to_string().as_bytes()),
        None => row.field(b""),
    };
    for b in r.flags() {
        row.field(if b { b"true" } else { b"false" });
    }
    row.text(t.call_id.as_deref().unwrap_or(""))
        .text(&t.operator_id)
        .text(&t.category_raw)
        .field(t.urgency.map(|u| u.zh()).unwrap_or("").as_bytes())
        .text(&t.unit)
        .field(if t.hot_issue { "是" } else { "否" }.as_bytes());
    time(&mut row, t.dispatched_at);
    time(&mut row, t.completed_at);
    time(&mut row, r.urge_deadline);
    time(&mut row, r.callback_deadline);
    row.end();
}

/// One `units.csv` row.
pub fn unit_row(u: &UnitRow) -> Vec<String> {
    let mean = u.mean_working_days.map(num).unwrap_or_default();
    vec![
        u.group.to_string(),
        u.name.to_string(),
        u.tickets.to_string(),
        u.dispatched.to_string(),
        u.on_time.to_string(),
        u.late.to_string(),
        u.open.to_string(),
        u.open_overdue.to_string(),
        rate(u.on_time_rate),
        mean,
        u.urged.to_string(),
        u.overdue_not_urged.to_string(),
        u.supervised.to_string(),
        u.not_supervised.to_string(),
        u.callbacks.to_string(),
        u.satisfied.to_string(),
        u.basically_satisfied.to_string(),
        u.dissatisfied.to_string(),
        rate(u.satisfaction_rate),
        u.callbacks_due.to_string(),
        u.callbacks_on_time.to_string(),
        rate(u.callback_on_time_rate),
    ]
}

/// The header of `units.csv`.
pub fn units_header() -> Vec<&'static str> {
    UNIT_COLUMNS.iter().copied().chain(FCR_COLUMNS).collect()
}

/// Writes operators.csv, teams.csv, norms.csv, daily.csv,
/// trend_operators.csv, trend_units.csv (and units.csv when asked).
pub fn write_report_csvs(
    dir: &Path,
    data: &crate::report::aggregate::ReportData,
    with_units: bool,
) -> anyhow::Result<()> {
    use crate::report::aggregate::OperatorRow;
    let opt = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_default();
    // The runs' items, not a fixed eleven (aggregate::items_of).
    let fail_cols: Vec<String> = data
        .norms
        .iter()
        .map(|n| format!("fail_rate_{}", n.norm.key()))
        .collect();
    let stats = |o: &OperatorRow| -> Vec<String> {
        let mut r = vec![
            o.calls.to_string(),
            num(o.mean),
            num(o.median),
            num(o.min),
            format!("{:.4}", o.pass_rate),
            o.red_lines.to_string(),
        ];
        r.extend(o.fail_rates.iter().map(|f| opt(*f)));
        r
    };
    let mut header = vec![
        "rank",
        "operator_id",
        "operator_name",
        "team",
        "calls",
        "mean_score",
        "median_score",
        "min_score",
        "pass_rate",
        "red_lines",
    ];
    header.extend(fail_cols.iter().map(String::as_str));
    header.extend(["callbacks_due", "callbacks_on_time", "callbacks_by_other"]);
    header.extend(REVIEW_STAT_COLUMNS);
    // Open critical findings (重大风险), after every older column.
    header.push("critical");
    header.extend(FCR_COLUMNS);
    let mut out = CsvOut::create(dir, "operators.csv", &header)?;
    for o in &data.operators {
        let mut r = vec![
            o.rank.map(|r| r.to_string()).unwrap_or_default(),
            o.operator_id.to_string(),
            o.operator_name.to_string(),
            o.team.to_string(),
        ];
        r.extend(stats(o));
        r.extend([
            o.callbacks_due.to_string(),
            o.callbacks_on_time.to_string(),
            o.callbacks_by_other.to_string(),
        ]);
        r.extend(review_stats(o));
        r.push(o.critical.to_string());
        r.extend(fcr_fields(data.first_calls.operators.get(&o.operator_id)));
        out.row(r)?;
    }
    out.commit()?;
    let mut header = vec![
        "team",
        "calls",
        "mean_score",
        "median_score",
        "min_score",
        "pass_rate",
        "red_lines",
    ];
    header.extend(fail_cols.iter().map(String::as_str));
    header.extend(REVIEW_STAT_COLUMNS);
    header.push("critical");
    header.extend(FCR_COLUMNS);
    let mut out = CsvOut::create(dir, "teams.csv", &header)?;
    for t in &data.teams {
        let mut r = vec![t.team.to_string()];
        r.extend(stats(t));
        r.extend(review_stats(t));
        r.push(t.critical.to_string());
        r.extend(fcr_fields(crate::report::aggregate::team_fcr(
            t,
            &data.first_calls,
        )));
        out.row(r)?;
    }
    out.commit()?;
    let mut out = CsvOut::create(
        dir,
        "norms.csv",
        &[
            "norm",
            "name",
            "assessed",
            "failed",
            "fail_rate",
            "findings",
            "points_lost",
        ],
    )?;
    for n in &data.norms {
        out.row([
            n.norm.key().to_string(),
            n.norm.name_zh().to_string(),
            n.assessed.to_string(),
            n.failed.to_string(),
            opt(n.fail_rate),
            n.findings.to_string(),
            num(n.points_lost),
        ])?;
    }
    out.commit()?;
    let mut out = CsvOut::create(
        dir,
        "daily.csv",
        &["date", "calls", "mean_score", "pass_rate"],
    )?;
    for d in &data.days {
        out.row([
            d.date.clone(),
            d.count.to_string(),
            d.value.map(num).unwrap_or_default(),
            opt(d.pass_rate),
        ])?;
    }
    out.commit()?;
    let mut out = CsvOut::create(
        dir,
        "trend_operators.csv",
        &["date", "operator_id", "calls", "mean_score", "pass_rate"],
    )?;
    for d in &data.operator_trend {
        out.row([
            d.date.clone(),
            d.key.to_string(),
            d.count.to_string(),
            d.value.map(num).unwrap_or_default(),
            opt(d.pass_rate),
        ])?;
    }
    out.commit()?;
    let mut out = CsvOut::create(
        dir,
        "trend_units.csv",
        &["date", "unit", "tickets", "on_time_rate"],
    )?;
    for d in &data.unit_trend {
        out.row([
            d.date.clone(),
            d.key.to_string(),
            d.count.to_string(),
            opt(d.value),
        ])?;
    }
    out.commit()?;
    if with_units {
        let mut out = CsvOut::create(dir, "units.csv", &units_header())?;
        for u in &data.units {
            let mut r = unit_row(u);
            r.extend(fcr_fields(unit_fcr(u, &data.first_calls)));
            out.row(r)?;
        }
        out.commit()?;
    }
    Ok(())
}

/// The review columns of operators.csv and teams.csv, after the others.
pub const REVIEW_STAT_COLUMNS: [&str; 7] = [
    "reviewed_mean_score",
    "reviewed_pass_rate",
    "needs_review",
    "appeals",
    "appeals_pending",
    "appeals_upheld",
    "appeals_overturned",
];

fn review_stats(o: &crate::report::aggregate::OperatorRow) -> [String; 7] {
    [
        num(o.reviewed_mean),
        format!("{:.4}", o.reviewed_pass_rate),
        o.needs_review.to_string(),
        o.appeals.iter().sum::<u64>().to_string(),
        o.appeals[0].to_string(),
        o.appeals[1].to_string(),
        o.appeals[2].to_string(),
    ]
}

/// Free text for an XLSX cell people open in Excel: see
/// [`crate::report::privacy::excel_safe`]. Not for CSV fields: the CSV
/// writer escapes every field itself ([`RowEncoder::field`]), and a value
/// escaped twice would keep an apostrophe when read back.
pub fn excel_text(s: &str) -> String {
    crate::report::privacy::excel_safe(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row as it was built before [`encode_ticket_row`]: one `String` a field.
    fn ticket_row(t: &Ticket, r: &Timeliness) -> Vec<String> {
        let time = |x: Option<chrono::NaiveDateTime>| x.map(fmt_local).unwrap_or_default();
        let mut row = vec![
            t.ticket_id.to_string(),
            r.status.key().to_string(),
            time(r.due_at),
            r.working_days_taken
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ];
        row.extend(r.flags().iter().map(|b| b.to_string()));
        row.extend([
            t.call_id.as_deref().unwrap_or("").to_string(),
            t.operator_id.to_string(),
            t.category_raw.to_string(),
            t.urgency.map(|u| u.zh().to_string()).unwrap_or_default(),
            t.unit.to_string(),
            if t.hot_issue { "是" } else { "否" }.to_string(),
            time(t.dispatched_at),
            time(t.completed_at),
            time(r.urge_deadline),
            time(r.callback_deadline),
        ]);
        row
    }

    /// Every ticket of the sample day (and of a generated one), and a few
    /// awkward ones, give the same bytes as the one-`String`-a-field row.
    #[test]
    fn ticket_rows_are_encoded_as_before() {
        use crate::workflow::{calendar::Calendar, timeliness::assess};
        let mut tickets = Vec::new();
        let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/tickets.csv");
        let local = crate::input::time::default_offset();
        crate::input::tickets::read_file(&samples, None, local, &mut |r| {
            if let Ok(t) = r {
                tickets.push(t);
            }
        })
        .expect("samples");
        let dir = tempfile::tempdir().expect("tmp");
        crate::gen::generate(&crate::gen::GenOptions::new(300, 5, dir.path())).expect("gen");
        crate::input::tickets::read_file(&dir.path().join("tickets.csv"), None, local, &mut |r| {
            if let Ok(t) = r {
                tickets.push(t);
            }
        })
        .expect("generated");
        assert!(tickets.len() > 300, "{}", tickets.len());
        let mut odd = tickets[0].clone();
        odd.ticket_id = "=HYPERLINK(\"x\"),1".into();
        odd.unit = "区\n住建局".into();
        odd.dispatched_at =
            chrono::NaiveDate::from_ymd_opt(12345, 1, 2).and_then(|d| d.and_hms_opt(3, 4, 5));
        tickets.push(odd);
        let cal = Calendar::builtin();
        let cfg = crate::config::Config::default();
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 28)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("as-of");
        for t in &tickets {
            let mut r = assess(t, &cal, &cfg.workflow, as_of);
            let mut old = Vec::new();
            encode_row(ticket_row(t, &r), &mut old);
            let mut new = Vec::new();
            encode_ticket_row(t, &r, &mut new);
            assert_eq!(String::from_utf8_lossy(&new), String::from_utf8_lossy(&old));
            // Negative working days cannot come from the rules; written all the same.
            r.working_days_taken = Some(-3);
            let (mut old, mut new) = (Vec::new(), Vec::new());
            encode_row(ticket_row(t, &r), &mut old);
            encode_ticket_row(t, &r, &mut new);
            assert_eq!(new, old);
        }
    }

    #[test]
    fn every_field_is_escaped_for_excel_rejects_included() {
        let r = Reject {
            file: "=1+1.jsonl".into(),
            line: 2,
            record_id: "=HYPERLINK(\"http://x\")".into(),
            reason: "-inf".into(),
        };
        let mut out = Vec::new();
        encode_row(reject_row(&r), &mut out);
        assert_eq!(
            String::from_utf8_lossy(&out),
            "'=1+1.jsonl,2,\"'=HYPERLINK(\"\"http://x\"\")\",'-inf\n"
        );
        let mut out = Vec::new();
        encode_row(["-3.5", "+nan", "'=x", "@a", "12", ""], &mut out);
        assert_eq!(String::from_utf8_lossy(&out), "-3.5,'+nan,''=x,'@a,12,\n");
        // Read back as the run tables read it: the values as they were.
        let text = String::from_utf8(out).expect("utf8");
        let rec = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .next()
            .expect("row")
            .expect("valid");
        let back: Vec<&str> = rec
            .iter()
            .map(crate::report::privacy::excel_unescape)
            .collect();
        assert_eq!(back, vec!["-3.5", "+nan", "'=x", "@a", "12", ""]);
    }

    #[test]
    fn encoding_matches_what_csv_readers_expect() {
        let mut out = Vec::new();
        encode_row(["a", "b,c", "say \"hi\"", "two\nlines", ""], &mut out);
        let text = String::from_utf8(out).expect("utf8");
        assert_eq!(text, "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let rec = r.records().next().expect("row").expect("valid");
        assert_eq!(
            rec.iter().collect::<Vec<_>>(),
            vec!["a", "b,c", "say \"hi\"", "two\nlines", ""]
        );
    }
}

#[cfg(test)]
mod encoder_tests {
    use super::*;
    use crate::config::Config;
    use crate::lexicon::directory::Directory;
    use crate::norms::testkit::{call, CLOSING, GREETING};
    use crate::norms::Scorer;

    #[test]
    fn the_direct_encoders_write_the_same_bytes_as_the_row_builders() {
        let mut c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我家停水了，\"急\""),
            ('a', 6.5, 9.5, "哦，你说的是哪个小区，\"幸福里\"？"),
            ('a', 10.0, 12.0, CLOSING),
        ]);
        c.call_id = "=1,2".into();
        c.operator_name = "王\n芳".into();
        c.utterances[2].confidence = Some(0.8123);
        let s = Scorer::new(Config::default(), Directory::builtin())
            .expect("scorer")
            .score(&c, None, &[]);
        assert!(!s.findings.is_empty());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        encode_row(call_row(&s), &mut a);
        encode_call_row(&s, &mut b);
        assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for f in finding_rows(&s) {
            encode_row(f, &mut a);
        }
        encode_finding_rows(&s, &mut b);
        assert_eq!(String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
    }
}
