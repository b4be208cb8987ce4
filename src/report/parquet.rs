//! Parquet copies of the run's results (`calls.parquet`,
//! `findings.parquet`, `tickets.parquet`), written batch by batch as row
//! groups so memory stays flat, and read back lazily by `hotline-qa report`
//! (or DuckDB, Spark …) to combine any number of runs.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::config::Items;
use crate::model::{NormId, Ticket};
use crate::norms::ScoredCall;
use crate::report::AtomicFile;
use crate::workflow::repeats::Contact;
use crate::workflow::timeliness::{Status, Timeliness};

/// One column being filled.
enum Data {
    /// Strings go straight into polars' builder: no `String` per value.
    Str(StringChunkedBuilder),
    F64(Vec<Option<f64>>),
    I64(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
}

/// Columns of one batch, filled row by row.
pub struct Batch {
    names: Vec<String>,
    data: Vec<Data>,
    rows: usize,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            names: Vec::new(),
            data: Vec::new(),
            rows: 0,
        }
    }

    fn col(&mut self, i: usize, name: &str, make: fn() -> Data) -> &mut Data {
        if self.data.len() <= i {
            self.names.push(name.to_string());
            self.data.push(make());
        }
        &mut self.data[i]
    }

    fn take_frame(&mut self) -> PolarsResult<DataFrame> {
        let height = self.rows;
        let cols: Vec<Column> = self
            .names
            .iter()
            .zip(self.data.iter_mut())
            .map(|(n, d)| {
                let name = PlSmallStr::from(n.as_str());
                match d {
                    Data::Str(v) => {
                        std::mem::replace(v, StringChunkedBuilder::new(name.clone(), height))
                            .finish()
                            .with_name(name)
                            .into_column()
                    }
                    Data::F64(v) => Column::new(name, std::mem::take(v)),
                    Data::I64(v) => Column::new(name, std::mem::take(v)),
                    Data::Bool(v) => Column::new(name, std::mem::take(v)),
                }
            })
            .collect();
        self.rows = 0;
        DataFrame::new(height, cols)
    }
}

/// Appends a row to a batch; each call of the closure's setters must come
/// in the same order for every row.
struct Row<'a> {
    batch: &'a mut Batch,
    i: usize,
}

impl Row<'_> {
    fn s(&mut self, name: &str, v: impl AsRef<str>) -> &mut Self {
        if let Data::Str(c) = self.batch.col(self.i, name, || {
            Data::Str(StringChunkedBuilder::new(PlSmallStr::EMPTY, 0))
        }) {
            c.append_value(v.as_ref());
        }
        self.i += 1;
        self
    }
    fn f(&mut self, name: &str, v: Option<f64>) -> &mut Self {
        if let Data::F64(c) = self.batch.col(self.i, name, || Data::F64(Vec::new())) {
            c.push(v);
        }
        self.i += 1;
        self
    }
    fn n(&mut self, name: &str, v: Option<i64>) -> &mut Self {
        if let Data::I64(c) = self.batch.col(self.i, name, || Data::I64(Vec::new())) {
            c.push(v);
        }
        self.i += 1;
        self
    }
    fn b(&mut self, name: &str, v: Option<bool>) -> &mut Self {
        if let Data::Bool(c) = self.batch.col(self.i, name, || Data::Bool(Vec::new())) {
            c.push(v);
        }
        self.i += 1;
        self
    }
}

impl Batch {
    fn row(&mut self) -> Row<'_> {
        self.rows += 1;
        Row { batch: self, i: 0 }
    }
}

/// Fills one calls.parquet row.
/// Per item of the scorecard (`items`, in order): its points column, then
/// its `fail_<key>` column.
fn call_row(b: &mut Batch, s: &ScoredCall, items: &Items) {
    let mut r = b.row();
    r.s("date", s.started_at.get(..10).unwrap_or(""))
        .s("call_id", s.call_id.as_str())
        .s("operator_id", s.operator_id.as_str())
        .s("operator_name", s.operator_name.as_str())
        .s("team", s.team.as_str())
        .s("started_at", s.started_at.as_str())
        .f("score", Some(s.score))
        .b("passed", Some(s.passed))
        .b("red_line", Some(s.red_line))
        .s("grade", s.grade);
    for (i, e) in items.iter().zip(s.earned.iter()) {
        r.f(i.key(), *e);
    }
    for (i, e) in items.iter().zip(s.earned.iter()) {
        let failed = e.map(|e| e < i.points - 1e-9);
        r.b(i.norm.fail_column(), failed);
    }
    r.n("findings", Some(s.findings.len() as i64));
    r.f("reviewed_score", Some(s.reviewed_score))
        .b("reviewed_passed", Some(s.reviewed_passed))
        .b("reviewed_red_line", Some(s.reviewed_red_line))
        .n("needs_review", Some(i64::from(s.needs_review)))
        .n("appeals_pending", Some(i64::from(s.appeals[0])))
        .n("appeals_upheld", Some(i64::from(s.appeals[1])))
        .n("appeals_overturned", Some(i64::from(s.appeals[2])))
        .f("confidence", s.confidence)
        // Masked (unless --show-pii), and the keyed hash that links repeat
        // calls across runs: never the number in clear.
        .s("caller_number", s.caller_number.as_str())
        .s("caller_link", s.caller_link.as_str());
}

/// Fills the findings.parquet rows of a call.
fn finding_rows(b: &mut Batch, s: &ScoredCall) {
    for f in &s.findings {
        b.row()
            .s("date", s.started_at.get(..10).unwrap_or(""))
            .s("call_id", s.call_id.as_str())
            .s("operator_id", s.operator_id.as_str())
            .s("operator_name", s.operator_name.as_str())
            .s("team", s.team.as_str())
            .f("score", Some(s.score))
            .s("norm", f.norm.key())
            .s("rule", f.rule)
            .s("severity", f.severity.key())
            .f("points", Some(f.points))
            .f("at_s", f.at_s)
            .n("utterance_index", f.utterance_index.map(|i| i as i64))
            .s("speaker", f.speaker.map(|s| s.key()).unwrap_or(""))
            .s("excerpt", f.excerpt.as_str())
            .b("needs_review", Some(f.needs_review))
            .s("verdict", f.verdict().map_or("", |v| v.key()))
            .s("appeal", f.appeal().map_or("", |a| a.key()))
            .f("reviewed_points", Some(f.reviewed_points))
            .s(
                "reviewer",
                f.review.as_ref().map_or("", |r| r.reviewer.as_str()),
            )
            .s(
                "review_comment",
                f.review.as_ref().map_or("", |r| r.comment.as_str()),
            );
    }
}

/// A time as the outputs write it ([`crate::input::time::fmt_local`]),
/// or its date, without a `String` for the years 0–9999: a ticket has six
/// of them.
enum TimeText {
    Empty,
    Time([u8; 19]),
    Date([u8; 10]),
    Other(String),
}

impl TimeText {
    fn of(t: Option<chrono::NaiveDateTime>) -> TimeText {
        match t {
            None => TimeText::Empty,
            Some(t) => match crate::input::time::fmt_local_bytes(t) {
                Some(b) => TimeText::Time(b),
                None => TimeText::Other(crate::input::time::fmt_local(t)),
            },
        }
    }

    /// The date of `t` (this time), as `NaiveDate`'s `Display` writes it:
    /// `YYYY-MM-DD` for the years 0–9999.
    fn date(&self, t: Option<chrono::NaiveDateTime>) -> TimeText {
        match (self, t) {
            (TimeText::Time(b), _) => {
                let mut d = [0u8; 10];
                d.copy_from_slice(&b[..10]);
                TimeText::Date(d)
            }
            (_, Some(t)) => TimeText::Other(t.date().to_string()),
            (_, None) => TimeText::Empty,
        }
    }
}

impl AsRef<str> for TimeText {
    fn as_ref(&self) -> &str {
        // The digits and separators are ASCII: the conversion cannot fail.
        match self {
            TimeText::Empty => "",
            TimeText::Time(b) => std::str::from_utf8(b).unwrap_or_default(),
            TimeText::Date(d) => std::str::from_utf8(d).unwrap_or_default(),
            TimeText::Other(s) => s,
        }
    }
}

fn time(t: Option<chrono::NaiveDateTime>) -> TimeText {
    TimeText::of(t)
}

/// Fills one tickets.parquet row; `contact` is what linking repeat calls
/// across runs needs (the caller's number only as a keyed hash and masked).
fn ticket_row(b: &mut Batch, t: &Ticket, r: &Timeliness, as_of: &str, contact: Option<&Contact>) {
    let flags = r.flags();
    let dispatched = time(t.dispatched_at);
    let mut row = b.row();
    row.s("as_of", as_of)
        .s("ticket_id", t.ticket_id.as_str())
        .s("call_id", t.call_id.as_deref().unwrap_or(""))
        .s("operator_id", t.operator_id.as_str())
        .s("accepted_at", time(t.accepted_at))
        .s("category", t.category_raw.as_str())
        .s("subcategory", t.subcategory.as_str())
        .s("handling", t.handling_raw.as_str())
        .s("urgency", t.urgency.map(|u| u.zh()).unwrap_or(""))
        .s("unit", t.unit.as_str())
        .s("unit_level", t.unit_level.as_str())
        .b("hot_issue", Some(t.hot_issue))
        .s("dispatched_at", &dispatched)
        .s("dispatched_date", dispatched.date(t.dispatched_at))
        .s("due_at", time(r.due_at))
        .s("completed_at", time(t.completed_at))
        .s("status", r.status.key())
        .n("working_days_taken", r.working_days_taken);
    for (name, v) in crate::workflow::timeliness::FLAGS.iter().zip(flags) {
        row.b(name, Some(v));
    }
    row.b("dispatched", Some(r.status != Status::NotDispatched))
        .b("urged", Some(t.urged_at.is_some()))
        .b("supervised", Some(t.supervised_at.is_some()))
        .b("callback_made", Some(t.callback_at.is_some()))
        .s("callback_operator_id", t.callback_operator_id.as_str())
        .s(
            "callback_result",
            t.callback_result.map(|c| c.zh()).unwrap_or(""),
        )
        .b("callback_due", Some(r.callback_due))
        .b("callback_on_time", Some(r.callback_on_time))
        // The years this ticket's timeliness needed that the calendar
        // lacks, so that `report` over runs can warn as `score` did.
        .s(
            "calendar_unknown_years",
            if r.outside_calendar.is_empty() {
                String::new()
            } else {
                r.outside_calendar
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            },
        )
        .s("caller_link", contact.map_or("", |c| c.link.as_str()))
        .s("caller_masked", contact.map_or("", |c| c.masked.as_str()))
        .s(
            "places",
            contact.map_or(String::new(), |c| c.places.join(";")),
        )
        .s("matter", contact.map_or("", |c| c.matter.as_str()));
}

/// Rows buffered before a row group is written: each row group has a
/// fixed cost (at 4,096 rows it was a tenth of the run), and 16,384 rows of
/// calls or findings take some tens of MB while they are encoded.
const ROW_GROUP_ROWS: usize = 16_384;

/// A Parquet file written in row groups.
pub struct ParquetOut {
    file: AtomicFile,
    writer: polars::io::parquet::write::BatchedWriter<File>,
    batch: Batch,
}

impl ParquetOut {
    fn create(dir: &Path, name: &str, mut sample: Batch) -> anyhow::Result<ParquetOut> {
        let (file, w) = AtomicFile::create(dir, name)?;
        // The batched writer owns its sink and cannot hand it back, so it gets
        // the file itself (it writes whole row groups, no buffer needed).
        let w = w
            .into_inner()
            .map_err(|e| anyhow::anyhow!("{name}：无法写入（cannot write: {}）", e.error()))?;
        let schema = sample.take_frame()?.schema().as_ref().clone();
        let writer = ParquetWriter::new(w)
            .with_compression(ParquetCompression::Snappy)
            .batched(&schema)?;
        Ok(ParquetOut {
            file,
            writer,
            batch: Batch::new(),
        })
    }

    /// Writes a row group once enough rows are buffered (see [`ROW_GROUP_ROWS`]).
    pub fn flush(&mut self) -> anyhow::Result<()> {
        if self.batch.rows >= ROW_GROUP_ROWS {
            self.write_row_group()?;
        }
        Ok(())
    }

    /// Writes what is buffered as one row group, whatever its size.
    fn write_row_group(&mut self) -> anyhow::Result<()> {
        if self.batch.rows > 0 {
            let df = self.batch.take_frame()?;
            self.writer.write_batch(&df)?;
        }
        Ok(())
    }

    /// Finishes the file and moves it into place.
    pub fn commit(mut self) -> anyhow::Result<()> {
        self.write_row_group()?;
        self.writer.finish()?;
        drop(self.writer);
        self.file.commit_existing()?;
        Ok(())
    }
}

/// Schemas come from a sample row, so that an empty run still writes a
/// file with every column.
fn sample_call(items: &Items) -> ScoredCall {
    ScoredCall {
        call_id: String::new(),
        operator_id: String::new(),
        operator_name: String::new(),
        team: String::new(),
        started_at: String::new(),
        score: 0.0,
        passed: false,
        red_line: false,
        grade: "",
        earned: crate::model::PerItem::new(items.len(), Some(0.0)),
        findings: vec![crate::model::Finding::new(NormId::Taboo, "x", "")],
        manual: Vec::new(),
        reviewed_score: 0.0,
        reviewed_passed: false,
        reviewed_red_line: false,
        needs_review: 0,
        appeals: [0; 3],
        confidence: None,
        review_unmatched: Vec::new(),
        caller_number: String::new(),
        caller_link: String::new(),
    }
}

/// calls.parquet, with a column pair per item of the scorecard.
pub fn calls(dir: &Path, items: &Items) -> anyhow::Result<ParquetOut> {
    let mut b = Batch::new();
    call_row(&mut b, &sample_call(items), items);
    ParquetOut::create(dir, "calls.parquet", b)
}

/// findings.parquet
pub fn findings(dir: &Path) -> anyhow::Result<ParquetOut> {
    let mut b = Batch::new();
    finding_rows(&mut b, &sample_call(&Items::default_eleven()));
    ParquetOut::create(dir, "findings.parquet", b)
}

/// tickets.parquet
pub fn tickets(dir: &Path) -> anyhow::Result<ParquetOut> {
    let mut b = Batch::new();
    let t = Ticket::default();
    let r = crate::workflow::timeliness::Timeliness::not_dispatched();
    ticket_row(&mut b, &t, &r, "", None);
    ParquetOut::create(dir, "tickets.parquet", b)
}

impl ParquetOut {
    /// Adds a scored call (calls.parquet).
    pub fn add_call(&mut self, s: &ScoredCall, items: &Items) {
        call_row(&mut self.batch, s, items);
    }

    /// Adds a call's findings (findings.parquet).
    pub fn add_findings(&mut self, s: &ScoredCall) {
        finding_rows(&mut self.batch, s);
    }

    /// Adds a ticket (tickets.parquet).
    pub fn add_ticket(
        &mut self,
        t: &Ticket,
        r: &Timeliness,
        as_of: &str,
        contact: Option<&Contact>,
    ) -> anyhow::Result<()> {
        ticket_row(&mut self.batch, t, r, as_of, contact);
        self.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_dates_read_as_the_formatters_write_them() {
        let at = |y, mo, d, h, mi, s| {
            chrono::NaiveDate::from_ymd_opt(y, mo, d).and_then(|d| d.and_hms_opt(h, mi, s))
        };
        for t in [
            None,
            at(2026, 11, 27, 9, 5, 0),
            at(2026, 1, 1, 0, 0, 0),
            at(999, 12, 31, 23, 59, 59),
            at(12026, 3, 4, 5, 6, 7),
            at(-44, 3, 15, 12, 0, 0),
        ] {
            let text = time(t);
            assert_eq!(
                text.as_ref(),
                t.map(crate::input::time::fmt_local).unwrap_or_default(),
                "{t:?}"
            );
            assert_eq!(
                text.date(t).as_ref(),
                t.map(|d| d.date().to_string()).unwrap_or_default(),
                "{t:?}"
            );
        }
    }
}
