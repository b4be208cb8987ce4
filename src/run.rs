//! The `score` pipeline: read tickets (timeliness, then kept for linking),
//! stream transcripts in bounded batches, score each batch in parallel and
//! write the results in input order, then account for every record.
//!
//! Memory: transcripts are never held whole — one batch of lines at a
//! time. Tickets linked to calls live in a scratch file indexed by call id
//! (input::ticket_store); the set of call ids seen (for
//! duplicates) and the manual scores are held, which is small next to the
//! transcripts.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{FixedOffset, NaiveDateTime};
use rayon::prelude::*;

use crate::config::Config;
use crate::input::manual::{self, ManualScores};
use crate::input::ticket_store::{hash128, Hash128Set, TicketStore};
use crate::input::transcripts::{self, Limits, LineReader};
use crate::input::{self, tickets, Reject};
use crate::lexicon::directory::Directory;
use crate::model::{NormId, Ticket};
use crate::norms::{ScoredCall, Scorer};
use crate::report::csv_out::{self, CsvOut};
use crate::review::reviews::{self, Reviews};
use crate::workflow::calendar::Calendar;
use crate::workflow::repeats::ContactBook;
use crate::workflow::timeliness::{self, Status};
use crate::workflow::units::UnitStats;

/// Everything `score` needs besides the inputs.
pub struct ScoreOptions {
    /// Files or folders.
    pub inputs: Vec<PathBuf>,
    /// The output folder.
    pub out: PathBuf,
    /// The scorecard.
    pub config: Config,
    /// The phone directory.
    pub directory: Directory,
    /// The file the directory was read from (None: built-in).
    pub directory_file: Option<PathBuf>,
    /// The scorecard file the config was read from (for run.json).
    pub config_file: Option<PathBuf>,
    /// Manual QA scores.
    pub manual: Option<PathBuf>,
    /// Review decisions and appeals (reviews.csv or a filled review sheet).
    pub reviews: Option<PathBuf>,
    /// Calendar overrides.
    pub calendar: Option<PathBuf>,
    /// The as-of time (local); None = now.
    pub as_of: Option<NaiveDateTime>,
    /// The sheet of XLSX ticket files.
    pub sheet: Option<String>,
    /// Show a progress spinner on stderr.
    pub progress: bool,
    /// Reader limits.
    pub limits: Limits,
    /// Lines per parallel batch.
    pub batch: usize,
    /// Show callers' numbers and names unmasked.
    pub show_pii: bool,
    /// Language of report.xlsx and report.html.
    pub lang: crate::report::Lang,
    /// Write the aggregate reports (operators.csv … report.html).
    pub reports: bool,
    /// `score --from`: recognition results and a call list, imported as
    /// the run reads them (`out` of these options is not used).
    pub from: Option<crate::input::asr::ImportOptions>,
}

/// The import of `score --from` hands its transcripts to the reader
/// through this pipe: a few chunks in flight, so memory stays bounded
/// whatever the day's size.
pub(crate) struct PipeWriter {
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

/// Bytes a chunk of the pipe holds before it is sent.
const PIPE_CHUNK: usize = 256 * 1024;

impl std::io::Write for PipeWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= PIPE_CHUNK {
            self.flush()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(PIPE_CHUNK));
        // The reader stopped (an error in the run): the import stops too.
        self.tx
            .send(chunk)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

pub(crate) struct PipeReader {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    cur: Vec<u8>,
    at: usize,
}

impl std::io::Read for PipeReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.cur.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.cur = chunk;
                    self.at = 0;
                }
                // The import is done (or failed: its error is reported).
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.cur.len() - self.at);
        out[..n].copy_from_slice(&self.cur[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

pub(crate) fn pipe() -> (PipeWriter, PipeReader) {
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    (
        PipeWriter {
            tx,
            buf: Vec::with_capacity(PIPE_CHUNK),
        },
        PipeReader {
            rx,
            cur: Vec::new(),
            at: 0,
        },
    )
}

/// Counts of one kind of input record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read.
    pub read: u64,
    /// Records used (scored).
    pub scored: u64,
    /// Records in rejects.csv.
    pub rejected: u64,
}

impl Counts {
    /// read = scored + rejected.
    pub fn balanced(&self) -> bool {
        self.read == self.scored + self.rejected
    }
}

/// What a run did, for the terminal summary.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Transcript records.
    pub calls: Counts,
    /// Ticket records.
    pub tickets: Counts,
    /// Manual score rows.
    pub manual: Counts,
    /// Review rows (reviews.csv).
    pub reviews: Counts,
    /// Review sheet rows left empty (not reviewed yet).
    pub reviews_unreviewed: u64,
    /// Sum of reviewed scores, for the mean.
    pub reviewed_score_sum: f64,
    /// Findings waiting for review.
    pub needs_review: u64,
    /// Appeals: pending, upheld, overturned.
    pub appeals: [u64; 3],
    /// Sum of scores, for the mean.
    pub score_sum: f64,
    /// Calls passed.
    pub passed: u64,
    /// Calls with a red line.
    pub red_lines: u64,
    /// Per item of the scorecard, in order: (item, calls assessed, calls
    /// that lost points on it).
    pub norm_counts: Vec<(NormId, u64, u64)>,
    /// Findings written.
    pub findings: u64,
    /// Calls whose utterances were re-sorted.
    pub resorted: Vec<String>,
    /// Calls linked to a ticket.
    pub calls_with_ticket: u64,
    /// Ticket statuses.
    pub status_counts: [u64; 5],
    /// Per operator: (name, calls, score sum, passed).
    pub operators: std::collections::BTreeMap<String, (String, u64, f64, u64)>,
    /// The as-of time used.
    pub as_of: Option<NaiveDateTime>,
    /// Years used that the calendar does not know.
    pub calendar_unknown_years: Vec<i32>,
    /// The calendar's known years.
    pub calendar_years: Vec<i32>,
    /// Output folder.
    pub out: PathBuf,
    /// Files found in the input folders that were not read, each with why
    /// (not a ticket header, an output of hotline-qa, a broken link …).
    pub skipped_inputs: Vec<input::Skipped>,
    /// The aggregate figures of the run (operators, norms, units).
    pub report: Option<crate::report::aggregate::ReportData>,
    /// The critical findings (重大风险), listed first in the summary
    /// (sorted by [`crate::report::risk::sort`] when the run ends).
    pub critical: Vec<crate::report::risk::CriticalFinding>,
}

impl Summary {
    /// Mean score of scored calls.
    pub fn mean_score(&self) -> Option<f64> {
        (self.calls.scored > 0).then(|| self.score_sum / self.calls.scored as f64)
    }
}

fn status_index(s: Status) -> usize {
    match s {
        Status::NotDispatched => 0,
        Status::OnTime => 1,
        Status::Late => 2,
        Status::Open => 3,
        Status::OpenOverdue => 4,
    }
}

/// Loads the tickets: writes `tickets.csv` and feeds the unit statistics,
/// returns the tickets by call id for the norms, each linked to the
/// earlier contact it repeats (`workflow::repeats`), and the unit
/// statistics (units.csv is written once the repeats are known).
#[allow(clippy::too_many_arguments)]
fn load_tickets(
    files: &[PathBuf],
    opts: &ScoreOptions,
    dir: &std::path::Path,
    calendar: &Calendar,
    as_of: NaiveDateTime,
    rejects: &mut CsvOut,
    summary: &mut Summary,
) -> anyhow::Result<(TicketStore, UnitStats, ContactBook)> {
    let local = opts.config.offset();
    let salt = opts.config.privacy.link_salt.as_str();
    // What linking repeat calls needs of each ticket, held compactly until
    // the calls are scored: linked once now by the tickets' own numbers
    // (for `ticket.repeat_omitted`), and again after scoring with the
    // calls' numbers and teams (repeats.csv, first-call resolution).
    let mut contacts = ContactBook::default();
    let mut out = CsvOut::create(dir, "tickets.csv", &csv_out::tickets_header())?;
    let mut pq = crate::report::parquet::tickets(dir)?;
    let as_of_text = crate::input::time::fmt_local(as_of);
    let mut units = UnitStats::default();
    let mut by_call = TicketStore::create(dir)?;
    // Ticket ids seen, by 128-bit hash: a million ids in 16 MB.
    let mut seen = Hash128Set::default();
    let mut unknown_years = std::collections::BTreeSet::new();
    let mut err = None;
    // On the reading thread: the time rules and the tickets.csv row of
    // each ticket that has what they need.
    let prepare = |row: &Result<Ticket, Reject>| match row {
        Ok(t) if t.problems.is_empty() => {
            let r = timeliness::assess(t, calendar, &opts.config.workflow, as_of);
            let mut line = Vec::with_capacity(320);
            csv_out::encode_ticket_row(t, &r, &mut line);
            let contact = crate::workflow::repeats::Contact::from_ticket(t, salt);
            Some((r, line, contact))
        }
        _ => None,
    };
    for path in files {
        tickets::read_file_ahead(
            path,
            opts.sheet.as_deref(),
            local,
            &prepare,
            &mut |row, prepared| {
                if err.is_some() {
                    return;
                }
                summary.tickets.read += 1;
                let result = (|| -> anyhow::Result<()> {
                    let t = match row {
                        Err(r) => {
                            summary.tickets.rejected += 1;
                            rejects.row(csv_out::reject_row(r))?;
                            return Ok(());
                        }
                        Ok(t) => t,
                    };
                    // Built only for a ticket that is rejected.
                    let reject = |reason: String| Reject {
                        file: t
                            .source
                            .as_ref()
                            .map_or_else(|| Arc::from(""), |s| s.file.clone()),
                        line: t.source.as_ref().map_or(0, |s| s.line),
                        record_id: t.ticket_id.clone(),
                        reason,
                    };
                    if !seen.insert(hash128(&t.ticket_id)) {
                        summary.tickets.rejected += 1;
                        rejects.row(csv_out::reject_row(&reject(format!(
                            "工单编号 {} 重复，保留第一条（duplicate ticket_id）",
                            t.ticket_id
                        ))))?;
                        return Ok(());
                    }
                    by_call.insert(t)?;
                    let Some((r, line, contact)) = prepared else {
                        // Only a ticket with problems has no time rules.
                        summary.tickets.rejected += 1;
                        let reason = format!(
                            "{}；无法计算时效（该工单仍用于所属通话的工单书写评分）",
                            t.problems.join("；")
                        );
                        rejects.row(csv_out::reject_row(&reject(reason)))?;
                        return Ok(());
                    };
                    unknown_years.extend(r.outside_calendar.iter().copied());
                    summary.status_counts[status_index(r.status)] += 1;
                    units.add(t, &r);
                    out.raw(&line)?;
                    pq.add_ticket(t, &r, &as_of_text, contact.as_ref())?;
                    if let Some(c) = &contact {
                        contacts.push(c)?;
                    }
                    summary.tickets.scored += 1;
                    Ok(())
                })();
                if let Err(e) = result {
                    err = Some(e);
                }
            },
        )?;
        if let Some(e) = err.take() {
            return Err(e);
        }
    }
    out.commit()?;
    pq.commit()?;
    summary.calendar_unknown_years = unknown_years.into_iter().collect();
    by_call.finish()?;
    let linked = contacts.link(opts.config.repeats.window_days);
    by_call.set_links(&linked);
    let mut contacts = linked.into_book();
    contacts.index_calls();
    Ok((by_call, units, contacts))
}

/// Runs `score`: see the module docs. The outputs are written into a
/// staging folder and switched in at the end ([`crate::outdir`]): a run
/// that fails leaves the previous one in `opts.out` untouched.
pub fn score(opts: &ScoreOptions) -> anyhow::Result<Summary> {
    let inputs = prepare(opts)?;
    let dir = crate::outdir::OutDir::begin(
        &opts.out,
        crate::outdir::RUN_FILES,
        crate::outdir::Mode::Replace,
    )?;
    let summary = score_into(opts, &inputs, dir.path())?;
    dir.commit()?;
    Ok(summary)
}

/// Finds the inputs of a run and checks, before anything is written, that
/// the output folder neither is, holds nor lies in any of them.
pub fn prepare(opts: &ScoreOptions) -> anyhow::Result<input::Inputs> {
    let mut given: Vec<(&std::path::Path, &str)> = Vec::new();
    for p in &opts.inputs {
        given.push((
            p,
            if p.is_dir() {
                "输入文件夹"
            } else {
                "输入文件"
            },
        ));
    }
    for (p, what) in [
        (&opts.manual, "人工评分文件"),
        (&opts.reviews, "复核结论文件"),
        (&opts.calendar, "节假日日历文件"),
        (&opts.config_file, "评分表文件"),
        (&opts.directory_file, "号码簿文件"),
    ] {
        if let Some(p) = p {
            given.push((p, what));
        }
    }
    if let Some(from) = &opts.from {
        for p in &from.results {
            given.push((p, "识别结果"));
        }
        given.push((&from.calls, "通话记录文件"));
    }
    crate::outdir::check_inputs(&opts.out, &given)?;
    let inputs = input::collect_inputs_in_sheet(&opts.inputs, opts.sheet.as_deref())?;
    if inputs.transcripts.is_empty() && inputs.tickets.is_empty() && opts.from.is_none() {
        let skipped: Vec<String> = inputs
            .skipped
            .iter()
            .take(5)
            .map(|k| format!("{}：{}", k.path.display(), k.reason))
            .collect();
        let skipped = if skipped.is_empty() {
            String::new()
        } else {
            format!("；跳过的有 {}", skipped.join("；"))
        };
        anyhow::bail!(
            "输入里没有通话转写（.jsonl、.jsonl.gz）或工单（.csv、.xlsx、.xls）文件，请检查输入路径{skipped}（no transcripts or tickets among the inputs）"
        );
    }
    Ok(inputs)
}

/// Scores into the folder `out` (a staging folder: see [`score`]).
pub fn score_into(
    opts: &ScoreOptions,
    inputs: &input::Inputs,
    out: &std::path::Path,
) -> anyhow::Result<Summary> {
    let local: FixedOffset = opts.config.offset();
    let scorer = Scorer::new(opts.config.clone(), opts.directory.clone())?;
    let manual = match &opts.manual {
        Some(p) => manual::read_items(p, &opts.config.items())?,
        None => ManualScores::default(),
    };
    let reviews = match &opts.reviews {
        Some(p) => {
            let items = opts.config.items();
            reviews::read(p, &|n: NormId| items.get(n).map_or(0.0, |i| i.points))?
        }
        None => Reviews::default(),
    };
    let mut calendar = Calendar::builtin();
    if let Some(p) = &opts.calendar {
        calendar.load_overrides(p)?;
    }
    let as_of = opts
        .as_of
        .unwrap_or_else(|| chrono::Utc::now().with_timezone(&local).naive_local());
    let mut summary = Summary {
        as_of: Some(as_of),
        calendar_years: calendar.known_years(),
        out: opts.out.clone(),
        skipped_inputs: inputs.skipped.clone(),
        ..Summary::default()
    };
    let mut rejects = CsvOut::create(out, "rejects.csv", &csv_out::REJECT_COLUMNS)?;
    write_manifest(opts, as_of, out)?;
    let timing = std::env::var_os("HOTLINE_QA_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let phase = |name: &str| {
        if timing {
            eprintln!(
                "[timing] {name}: {:.2} s {}",
                t0.elapsed().as_secs_f64(),
                peak_memory()
            );
        }
    };
    let (tickets, units, mut contacts) = load_tickets(
        &inputs.tickets,
        opts,
        out,
        &calendar,
        as_of,
        &mut rejects,
        &mut summary,
    )?;

    let items = scorer.items().clone();
    summary.norm_counts = items.norms().map(|n| (n, 0, 0)).collect();
    let review_file = reviews.file.clone().unwrap_or_else(|| Arc::from(""));
    let progress = opts.progress.then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        pb
    });
    let mut sinks = RunSinks {
        seen: Hash128Set::default(),
        manual_used: HashSet::new(),
        reviews_used: HashSet::new(),
        reviews: &reviews,
        review_file: review_file.clone(),
        rejects: &mut rejects,
        summary: &mut summary,
        items: &items,
        csv: CsvSink {
            calls: CsvOut::create(out, "calls.csv", &csv_out::calls_header_for(&items))?,
            findings: CsvOut::create(out, "findings.csv", &csv_out::FINDING_COLUMNS)?,
        },
        parquet: ParquetSink {
            calls: crate::report::parquet::calls(out, &items)?,
            findings: crate::report::parquet::findings(out)?,
        },
        contacts: &mut contacts,
        progress: progress.as_ref(),
    };
    let scoring = crate::pipeline::Scoring {
        scorer: &scorer,
        tickets: &tickets,
        manual: Some(&manual),
        reviews: Some(&reviews),
        // The one masking step of every output (privacy::Masker).
        masker: (!opts.show_pii).then(|| crate::report::privacy::Masker::new(&scorer)),
        limits: &opts.limits,
    };
    let sources = inputs
        .transcripts
        .iter()
        .map(|p| crate::pipeline::Source::File(p))
        .chain(opts.from.iter().map(crate::pipeline::Source::Import))
        .collect();
    let stages = crate::pipeline::run(
        sources,
        &scoring,
        &CsvRows,
        opts.batch,
        opts.limits.max_line_bytes,
        &mut sinks,
    )?;
    let RunSinks {
        seen,
        manual_used,
        reviews_used,
        csv,
        parquet,
        ..
    } = sinks;
    let spent = stages.spent;
    summary.skipped_inputs.extend(stages.skipped_by_import);
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }
    // Only the scoring needed these; the reports' memory starts without them.
    drop(seen);
    drop(tickets);
    crate::report::risk::sort(&mut summary.critical);
    // Manual scores: rows rejected on reading, and rows for calls that
    // were not scored.
    summary.manual.read = manual.read;
    for r in &manual.rejects {
        summary.manual.rejected += 1;
        rejects.row(csv_out::reject_row(r))?;
    }
    let mut orphan: Vec<(&String, &manual::ManualScore)> = manual
        .by_call
        .iter()
        .filter(|(id, _)| !manual_used.contains(*id))
        .flat_map(|(id, v)| v.iter().map(move |m| (id, m)))
        .collect();
    orphan.sort_by_key(|(_, m)| m.line);
    for (id, m) in orphan {
        summary.manual.rejected += 1;
        rejects.row(csv_out::reject_row(&Reject {
            file: manual.file.clone().unwrap_or_else(|| Arc::from("")),
            line: m.line,
            record_id: id.clone(),
            reason: "转写文件里没有这通电话（或该通话被拒收），人工评分未使用".into(),
        }))?;
    }
    summary.manual.scored = summary.manual.read - summary.manual.rejected;
    // Review rows: unreadable ones, and rows for calls that were not scored.
    summary.reviews.read = reviews.read;
    summary.reviews_unreviewed = reviews.unreviewed;
    for r in &reviews.rejects {
        summary.reviews.rejected += 1;
        rejects.row(csv_out::reject_row(r))?;
    }
    let mut orphan: Vec<&reviews::Review> = reviews
        .by_call
        .iter()
        .filter(|(id, _)| !reviews_used.contains(*id))
        .flat_map(|(_, v)| v.iter())
        .collect();
    orphan.sort_by_key(|r| r.line);
    for r in orphan {
        summary.reviews.rejected += 1;
        rejects.row(csv_out::reject_row(&Reject {
            file: review_file.clone(),
            line: r.line,
            record_id: r.call_id.clone(),
            reason: "转写文件里没有这通电话（或该通话被拒收），复核结论未使用".into(),
        }))?;
    }
    summary.reviews.scored = summary.reviews.read - summary.reviews.rejected;
    if timing {
        eprintln!(
            "[timing]   read {:.2} s, parse+score (overlapping the writing) {:.2} s",
            spent[0].as_secs_f64(),
            spent[1].as_secs_f64()
        );
    }
    phase("tickets and transcripts scored");
    csv.commit()?;
    parquet.commit()?;
    rejects.commit()?;
    for (what, c) in [
        ("通话转写", summary.calls),
        ("工单", summary.tickets),
        ("人工评分", summary.manual),
        ("复核结论", summary.reviews),
    ] {
        if !c.balanced() {
            anyhow::bail!(
                "程序内部错误：{what}读取 {} 条 ≠ 评分 {} + 拒收 {}，请把命令和输入报告给维护者（internal error: read ≠ scored + rejected）",
                c.read,
                c.scored,
                c.rejected
            );
        }
    }
    if summary.calls.read + summary.tickets.read == 0 {
        anyhow::bail!("{}", nothing_read(inputs));
    }
    phase("outputs committed");
    // Repeat calls are linked from the contacts held since the tickets
    // were read, with what the scored calls added, exactly as `report`
    // links them from a run's Parquet files (`report::repeats::load`; a
    // test compares the two). Reading the run's million calls back from
    // Parquet for it doubled the time and memory of a day with tickets.
    let run = out.to_path_buf();
    contacts.truncate_to_seconds();
    let linked = contacts.link(opts.config.repeats.window_days);
    csv_out::write_repeats(out, &linked)?;
    let fcr = linked.first_calls();
    let mut units_out = CsvOut::create(out, "units.csv", &csv_out::units_header())?;
    for row in units.rows() {
        let mut r = csv_out::unit_row(&row);
        r.extend(csv_out::fcr_fields(csv_out::unit_fcr(&row, &fcr)));
        units_out.row(r)?;
    }
    units_out.commit()?;
    if opts.reports {
        summary.report = Some(crate::report::build_reports(
            std::slice::from_ref(&run),
            out,
            &opts.config,
            opts.lang,
            false,
            Some(&linked),
        )?);
    }
    phase("reports written");
    Ok(summary)
}

/// The message for a run that read no record at all: a failed upstream
/// export must not pass for an empty day. Names each file and why.
fn nothing_read(inputs: &input::Inputs) -> String {
    let files: Vec<String> = inputs
        .transcripts
        .iter()
        .chain(&inputs.tickets)
        .take(5)
        .map(|p| {
            let why = match std::fs::metadata(p) {
                Ok(m) if m.len() == 0 => "是空文件",
                _ if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) => {
                    "只有表头，没有数据行"
                }
                _ => "里没有记录",
            };
            format!("{} {why}", p.display())
        })
        .collect();
    let n = inputs.transcripts.len() + inputs.tickets.len();
    let more = if n > 5 {
        format!(" 等 {n} 个文件")
    } else {
        String::new()
    };
    format!(
        "输入里没有一条记录（{}{more}）：请检查导出是否成功；上次的输出保持不变（no record in the inputs）",
        files.join("；")
    )
}

/// The peak memory so far (Linux `VmHWM`), for `HOTLINE_QA_TIMING`.
pub fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_default()
}

/// Writes run.json: what this run read, with which scorecard.
fn write_manifest(
    opts: &ScoreOptions,
    as_of: NaiveDateTime,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use crate::review::manifest::{absolute, Manifest};
    let abs = |p: &Option<PathBuf>| p.as_deref().map(absolute);
    Manifest {
        tool: format!("hotline-qa {}", env!("CARGO_PKG_VERSION")),
        scorecard_version: opts.config.version.clone(),
        inputs: opts.inputs.iter().map(|p| absolute(p)).collect(),
        config_file: abs(&opts.config_file),
        config_toml: toml::to_string(&opts.config).map_err(|e| {
            anyhow::anyhow!(
                "无法把评分表写进 run.json（cannot store the scorecard in run.json: {e}）"
            )
        })?,
        directory: abs(&opts.directory_file),
        manual: abs(&opts.manual),
        reviews: abs(&opts.reviews),
        calendar: abs(&opts.calendar),
        as_of: as_of.format("%Y-%m-%dT%H:%M:%S").to_string(),
        sheet: opts.sheet.clone(),
        show_pii: opts.show_pii,
        from: opts
            .from
            .as_ref()
            .map(crate::review::manifest::ImportedFrom::of),
    }
    .write(out)
}

/// The encoding of `score`, on the scoring threads: a call's calls.csv
/// row into the first buffer, its findings.csv rows into the second;
/// rejects go to rejects.csv from [`RunSinks`], with their counts.
struct CsvRows;

impl crate::pipeline::Encode for CsvRows {
    fn call(&self, _line: u64, s: &ScoredCall, bufs: &mut [Vec<u8>; 2]) {
        csv_out::encode_call_row(s, &mut bufs[0]);
        csv_out::encode_finding_rows(s, &mut bufs[1]);
    }

    fn reject(&self, _r: &Reject, _bufs: &mut [Vec<u8>; 2]) {}
}

/// calls.csv and findings.csv: the rows the scoring threads encoded.
struct CsvSink {
    calls: CsvOut,
    findings: CsvOut,
}

impl CsvSink {
    fn call(&mut self, rows: [&[u8]; 2]) -> anyhow::Result<()> {
        self.calls.raw(rows[0])?;
        self.findings.raw(rows[1])
    }

    fn commit(self) -> anyhow::Result<()> {
        self.calls.commit()?;
        self.findings.commit()
    }
}

/// calls.parquet and findings.parquet: a row group a batch.
struct ParquetSink {
    calls: crate::report::parquet::ParquetOut,
    findings: crate::report::parquet::ParquetOut,
}

impl ParquetSink {
    fn call(&mut self, s: &ScoredCall, items: &crate::config::Items) {
        self.calls.add_call(s, items);
        self.findings.add_findings(s);
    }

    fn batch_done(&mut self) -> anyhow::Result<()> {
        self.calls.flush()?;
        self.findings.flush()
    }

    fn commit(self) -> anyhow::Result<()> {
        self.calls.commit()?;
        self.findings.commit()
    }
}

/// The outputs of a run folder, fed by the pipeline's stages: what is
/// `score`'s own comes first (a duplicate call id is a reject; the manual
/// scores and reviews used, a review row that matched no finding), then
/// every sink receives the call: the summary and record (with the
/// critical list), calls.csv/findings.csv, the Parquet files, the repeat
/// contacts.
struct RunSinks<'a> {
    /// Call ids seen, by 128-bit hash (see input::ticket_store::hash128).
    seen: Hash128Set,
    manual_used: HashSet<String>,
    reviews_used: HashSet<String>,
    reviews: &'a Reviews,
    review_file: Arc<str>,
    rejects: &'a mut CsvOut,
    summary: &'a mut Summary,
    items: &'a crate::config::Items,
    csv: CsvSink,
    parquet: ParquetSink,
    contacts: &'a mut ContactBook,
    progress: Option<&'a indicatif::ProgressBar>,
}

impl crate::pipeline::Sink for RunSinks<'_> {
    fn call(
        &mut self,
        file: &Arc<str>,
        c: &crate::pipeline::ScoredLine,
        rows: [&[u8]; 2],
    ) -> anyhow::Result<()> {
        let s = &c.scored;
        self.summary.calls.read += 1;
        if !self.seen.insert(hash128(&s.call_id)) {
            self.summary.calls.rejected += 1;
            self.rejects.row(csv_out::reject_row(&Reject {
                file: file.clone(),
                line: c.line,
                record_id: s.call_id.clone(),
                reason: format!(
                    "通话编号 {} 重复，保留第一条（duplicate call_id）",
                    s.call_id
                ),
            }))?;
            return Ok(());
        }
        if !s.manual.is_empty() {
            self.manual_used.insert(s.call_id.clone());
        }
        if self.reviews.by_call.contains_key(&s.call_id) {
            self.reviews_used.insert(s.call_id.clone());
        }
        for (line, reason) in &s.review_unmatched {
            self.summary.reviews.rejected += 1;
            self.rejects.row(csv_out::reject_row(&Reject {
                file: self.review_file.clone(),
                line: *line,
                record_id: s.call_id.clone(),
                reason: reason.clone(),
            }))?;
        }
        record(self.summary, s, c.has_ticket, c.resorted, self.items);
        self.summary.critical.extend(c.critical.iter().cloned());
        self.csv.call(rows)?;
        self.parquet.call(s, self.items);
        // Its team, and its number for a ticket that has none, as
        // calls.parquet holds them (the lead's repeat linking).
        if !self.contacts.is_empty() {
            self.contacts
                .set_call(&s.call_id, &s.team, &s.caller_link, &s.caller_number)?;
        }
        Ok(())
    }

    fn reject(&mut self, r: &Reject, _rows: [&[u8]; 2]) -> anyhow::Result<()> {
        self.summary.calls.read += 1;
        self.summary.calls.rejected += 1;
        self.rejects.row(csv_out::reject_row(r))
    }

    fn batch_done(&mut self) -> anyhow::Result<()> {
        self.parquet.batch_done()?;
        if let Some(pb) = self.progress {
            pb.set_message(format!(
                "已读 {} 通电话，已评分 {} 通",
                self.summary.calls.read, self.summary.calls.scored
            ));
            pb.tick();
        }
        Ok(())
    }
}

fn record(
    summary: &mut Summary,
    s: &ScoredCall,
    has_ticket: bool,
    resorted: bool,
    items: &crate::config::Items,
) {
    summary.calls.scored += 1;
    summary.score_sum += s.score;
    summary.passed += u64::from(s.passed);
    summary.red_lines += u64::from(s.red_line);
    summary.findings += s.findings.len() as u64;
    summary.reviewed_score_sum += s.reviewed_score;
    summary.needs_review += u64::from(s.needs_review);
    for (a, n) in summary.appeals.iter_mut().zip(s.appeals) {
        *a += u64::from(n);
    }
    summary.calls_with_ticket += u64::from(has_ticket);
    if resorted {
        summary.resorted.push(s.call_id.clone());
    }
    for ((c, e), item) in summary
        .norm_counts
        .iter_mut()
        .zip(s.earned.iter())
        .zip(items.iter())
    {
        if e.is_some() {
            c.1 += 1;
        }
        // Failed = lost points, as in norms.csv (a finding waiting for a
        // reviewer has cost nothing yet).
        if e.is_some_and(|e| e < item.points - 1e-9) {
            c.2 += 1;
        }
    }
    // Looked up before inserting: no copy of the id for a known operator.
    let e = match summary.operators.get_mut(&s.operator_id) {
        Some(e) => e,
        None => summary
            .operators
            .entry(s.operator_id.clone())
            .or_insert_with(|| (s.operator_name.clone(), 0, 0.0, 0)),
    };
    e.1 += 1;
    e.2 += s.score;
    e.3 += u64::from(s.passed);
}

/// Finds one call by id in the inputs and returns it with its ticket.
pub fn find_call(
    inputs: &[PathBuf],
    call_id: &str,
    config: &Config,
    sheet: Option<&str>,
) -> anyhow::Result<(crate::model::Call<'static>, Option<Ticket>)> {
    let inputs = input::collect_inputs(inputs)?;
    let local = config.offset();
    let mut ticket = None;
    for path in &inputs.tickets {
        tickets::read_file(path, sheet, local, &mut |row| {
            if let Ok(t) = row {
                if ticket.is_none() && t.call_id.as_deref() == Some(call_id) {
                    ticket = Some(t);
                }
            }
        })?;
    }
    let limits = Limits::default();
    for path in &inputs.transcripts {
        let file: Arc<str> = Arc::from(path.display().to_string());
        let reader = transcripts::open(path).map_err(|e| {
            anyhow::anyhow!("{file}：打不开转写文件：{}", crate::messages::io_zh(&e))
        })?;
        let mut lines = LineReader::new(reader, limits.max_line_bytes);
        let needle = call_id.as_bytes();
        while let Some(raw) = lines.next_line()? {
            let Ok(bytes) = &raw.bytes else { continue };
            // Cheap pre-filter before parsing.
            if !bytes.windows(needle.len()).any(|w| w == needle) {
                continue;
            }
            match transcripts::parse_line(bytes, &file, raw.line, local, &limits) {
                Ok(call) if call.call_id == call_id => return Ok((call.into_owned(), ticket)),
                Err(r) if r.record_id == call_id => {
                    anyhow::bail!(
                        "{file} 第 {} 行：通话 {call_id} 无法评分：{}",
                        raw.line,
                        r.reason
                    )
                }
                _ => {}
            }
        }
    }
    anyhow::bail!("给出的转写里没有通话 {call_id}，请检查通话编号，或给出那一天的转写文件（call not in the transcripts given）")
}

/// Parses `--as-of`: RFC 3339 or local time.
pub fn parse_as_of(s: &str, local: FixedOffset) -> Option<NaiveDateTime> {
    input::time::parse_local(s, local).map(|(t, _)| t)
}

/// Reads and parses transcripts the way `score` does — batches of lines,
/// parsed in parallel — and does nothing else: the floor that scoring is
/// measured against in BENCHMARKS.md. Returns (lines read, calls parsed).
pub fn parse_only(paths: &[PathBuf]) -> anyhow::Result<(u64, u64)> {
    let limits = Limits::default();
    let local = crate::input::time::default_offset();
    let (mut read, mut ok) = (0u64, 0u64);
    for path in paths {
        let file: Arc<str> = Arc::from(path.display().to_string());
        let reader = transcripts::open(path).map_err(|e| {
            anyhow::anyhow!("{file}：打不开转写文件：{}", crate::messages::io_zh(&e))
        })?;
        let lines = LineReader::new(reader, limits.max_line_bytes);
        transcripts::for_each_batch(lines, 4096, |batch| {
            read += batch.len() as u64;
            ok += (0..batch.len())
                .into_par_iter()
                .filter(|&k| {
                    let (line, bytes) = batch.get(k);
                    bytes.is_ok_and(|b| {
                        transcripts::parse_line(b, &file, line, local, &limits).is_ok()
                    })
                })
                .count() as u64;
            Ok(())
        })?;
    }
    Ok((read, ok))
}
