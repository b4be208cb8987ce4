//! The CSV outputs of spec §4, with their exact, stable column names.
//! UTF-8 with a BOM so that Excel opens Chinese text correctly.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::input::time::fmt_local;
use crate::input::Reject;
use crate::model::{NormId, Ticket};
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
/// The columns of `findings.csv`.
pub const FINDING_COLUMNS: [&str; 10] = [
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

/// A CSV output file.
pub struct CsvOut {
    file: AtomicFile,
    csv: csv::Writer<BufWriter<File>>,
}

impl CsvOut {
    /// Creates `dir/name` and writes the BOM and header.
    pub fn create(dir: &Path, name: &str, header: &[&str]) -> anyhow::Result<CsvOut> {
        let (file, mut writer) = AtomicFile::create(dir, name)?;
        writer.write_all(b"\xEF\xBB\xBF")?;
        let mut out = CsvOut {
            file,
            csv: csv::WriterBuilder::new()
                .buffer_capacity(64 * 1024)
                .from_writer(writer),
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
        self.csv.write_record(fields)?;
        Ok(())
    }

    /// Finishes the file and moves it into place.
    pub fn commit(self) -> anyhow::Result<()> {
        let writer = self
            .csv
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write: {}", e.error()))?;
        self.file.commit(writer)?;
        Ok(())
    }
}

/// The header of `calls.csv`.
pub fn calls_header() -> Vec<&'static str> {
    CALL_COLUMNS
        .iter()
        .copied()
        .chain(NormId::ALL.iter().map(|n| n.key()))
        .collect()
}

/// One `calls.csv` row.
pub fn call_row(s: &ScoredCall) -> Vec<String> {
    let mut row = vec![
        s.call_id.clone(),
        s.operator_id.clone(),
        s.operator_name.clone(),
        s.team.clone(),
        s.started_at.clone(),
        num(s.score),
        s.passed.to_string(),
        s.red_line.to_string(),
    ];
    row.extend(s.earned.iter().map(|e| e.map(num).unwrap_or_default()));
    row
}

/// The `findings.csv` rows of a call.
pub fn finding_rows(s: &ScoredCall) -> impl Iterator<Item = [String; 10]> + '_ {
    s.findings.iter().map(|f| {
        [
            s.call_id.clone(),
            s.operator_id.clone(),
            f.norm.key().to_string(),
            f.rule.to_string(),
            f.severity.key().to_string(),
            num(f.points),
            f.at_s.map(num).unwrap_or_default(),
            f.utterance_index.map(|i| i.to_string()).unwrap_or_default(),
            f.speaker.map(|s| s.key().to_string()).unwrap_or_default(),
            f.excerpt.clone(),
        ]
    })
}

/// One `rejects.csv` row.
pub fn reject_row(r: &Reject) -> [String; 4] {
    [
        r.file.to_string(),
        r.line.to_string(),
        r.record_id.clone(),
        r.reason.clone(),
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

/// One `tickets.csv` row.
pub fn ticket_row(t: &Ticket, r: &Timeliness) -> Vec<String> {
    let time = |x: Option<chrono::NaiveDateTime>| x.map(fmt_local).unwrap_or_default();
    let mut row = vec![
        t.ticket_id.clone(),
        r.status.key().to_string(),
        time(r.due_at),
        r.working_days_taken
            .map(|d| d.to_string())
            .unwrap_or_default(),
    ];
    row.extend(r.flags().iter().map(|b| b.to_string()));
    row.extend([
        t.call_id.clone().unwrap_or_default(),
        t.operator_id.clone(),
        t.category_raw.clone(),
        t.urgency.map(|u| u.zh().to_string()).unwrap_or_default(),
        t.unit.clone(),
        if t.hot_issue { "是" } else { "否" }.to_string(),
        time(t.dispatched_at),
        time(t.completed_at),
        time(r.urge_deadline),
        time(r.callback_deadline),
    ]);
    row
}

/// One `units.csv` row.
pub fn unit_row(u: &UnitRow) -> Vec<String> {
    let mean = u.mean_working_days.map(num).unwrap_or_default();
    vec![
        u.group.to_string(),
        u.name.clone(),
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
pub fn units_header() -> &'static [&'static str] {
    UNIT_COLUMNS
}
