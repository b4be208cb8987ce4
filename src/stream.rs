//! `hotline-qa score --stdin`: the scorer as a map step for engines that
//! pipe records through a command (Spark's `RDD.pipe`, Hive/Spark SQL
//! `TRANSFORM`, shell pipelines). It reads transcripts as JSON Lines from
//! standard input and writes exactly one line to standard output for every
//! input line, in order: the scored call, or a reject with its reason
//! (blank and broken lines included), so a 1:1 check by position or id is
//! always possible.
//!
//! There is no duplicate detection here: each worker sees only its own
//! partition, so duplicates are the job's to resolve. A bad record never
//! makes the process fail; only a fatal error (bad config, unreadable
//! tickets, a closed output) does.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::input::transcripts::Limits;
use crate::input::{tickets, Reject};
use crate::model::Ticket;
use crate::norms::{ScoredCall, Scorer};

/// The output format of `--stdin`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object a line.
    #[default]
    Json,
    /// Tab-separated values, for SQL `TRANSFORM`; the findings column holds
    /// a JSON array. Tabs, newlines and backslashes in fields are escaped.
    Tsv,
}

/// The review columns of a scored call, after the norm columns in TSV (as
/// in calls.parquet, where they follow `findings`). Without reviews here,
/// the reviewed_* equal the machine's and the appeals are 0; needs_review
/// and confidence are real.
pub const TSV_REVIEW_COLUMNS: [&str; 8] = [
    "reviewed_score",
    "reviewed_passed",
    "reviewed_red_line",
    "needs_review",
    "appeals_pending",
    "appeals_upheld",
    "appeals_overturned",
    "confidence",
];

/// The TSV columns of the default scorecard, in order.
pub fn tsv_columns() -> Vec<&'static str> {
    tsv_columns_for(&crate::config::Items::default_eleven())
}

/// The TSV columns, in order: one column per item of the scorecard.
pub fn tsv_columns_for(items: &crate::config::Items) -> Vec<&'static str> {
    let mut c = vec![
        "status",
        "line",
        "call_id",
        "operator_id",
        "operator_name",
        "team",
        "date",
        "started_at",
        "score",
        "passed",
        "red_line",
    ];
    c.extend(items.iter().map(|i| i.key()));
    c.extend(TSV_REVIEW_COLUMNS);
    // The number the call came from, masked (issue #19): after reason,
    // so that readers by position keep working.
    c.extend(["findings", "reason", "caller_number"]);
    c
}

fn findings_json(s: &ScoredCall) -> Value {
    Value::Array(
        s.findings
            .iter()
            .map(|f| {
                json!({
                    "norm": f.norm.key(),
                    "rule": f.rule,
                    "severity": f.severity.key(),
                    "points": f.points,
                    "at_s": f.at_s,
                    "utterance_index": f.utterance_index,
                    "speaker": f.speaker.map(|s| s.key()),
                    "excerpt": f.excerpt,
                    "needs_review": f.needs_review,
                    // null: none (findings.parquet writes "").
                    "verdict": f.verdict().map(|v| v.key()),
                    "appeal": f.appeal().map(|a| a.key()),
                    "reviewed_points": f.reviewed_points,
                    "reviewer": f.review.as_ref().map(|r| r.reviewer.as_str()),
                    "review_comment": f.review.as_ref().map(|r| r.comment.as_str()),
                })
            })
            .collect(),
    )
}

fn scored_json(line: u64, s: &ScoredCall, items: &crate::config::Items) -> Value {
    let points: serde_json::Map<String, Value> = items
        .iter()
        .zip(s.earned.iter())
        .map(|(i, e)| (i.key().to_string(), json!(e)))
        .collect();
    // Whether each item lost points (null: not assessed), as calls.parquet's fail_* columns.
    let fail: serde_json::Map<String, Value> = items
        .iter()
        .zip(s.earned.iter())
        .map(|(i, e)| (i.key().to_string(), json!(e.map(|e| e < i.points - 1e-9))))
        .collect();
    json!({
        "status": "scored",
        "line": line,
        "call_id": s.call_id,
        "operator_id": s.operator_id,
        "operator_name": s.operator_name,
        "team": s.team,
        "date": s.started_at.get(..10).unwrap_or(""),
        "started_at": s.started_at,
        "score": s.score,
        "passed": s.passed,
        "red_line": s.red_line,
        "grade": s.grade,
        "points": points,
        "fail": fail,
        "findings": findings_json(s),
        "reviewed_score": s.reviewed_score,
        "reviewed_passed": s.reviewed_passed,
        "reviewed_red_line": s.reviewed_red_line,
        "needs_review": s.needs_review,
        "appeals_pending": s.appeals[0],
        "appeals_upheld": s.appeals[1],
        "appeals_overturned": s.appeals[2],
        "confidence": s.confidence,
        // Masked unless --show-pii; the keyed hash links repeat calls
        // without the number (workflow::repeats::link_key).
        "caller_number": s.caller_number,
        "caller_link": s.caller_link,
    })
}

fn reject_json(r: &Reject) -> Value {
    json!({"status": "rejected", "line": r.line, "call_id": r.record_id, "reason": crate::report::privacy::mask_reason(&r.reason)})
}

fn tsv_field(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out
}

fn scored_tsv(line: u64, s: &ScoredCall) -> String {
    let mut f = vec![
        "scored".to_string(),
        line.to_string(),
        tsv_field(&s.call_id),
        tsv_field(&s.operator_id),
        tsv_field(&s.operator_name),
        tsv_field(&s.team),
        s.started_at.get(..10).unwrap_or("").to_string(),
        s.started_at.clone(),
        crate::report::num(s.score),
        s.passed.to_string(),
        s.red_line.to_string(),
    ];
    f.extend(
        s.earned
            .iter()
            .map(|e| e.map(crate::report::num).unwrap_or_default()),
    );
    // Confidence in full (shortest round-trip digits, as in the JSON).
    f.extend([
        crate::report::num(s.reviewed_score),
        s.reviewed_passed.to_string(),
        s.reviewed_red_line.to_string(),
        s.needs_review.to_string(),
        s.appeals[0].to_string(),
        s.appeals[1].to_string(),
        s.appeals[2].to_string(),
        s.confidence.map(|c| c.to_string()).unwrap_or_default(),
    ]);
    f.push(tsv_field(&findings_json(s).to_string()));
    f.push(String::new());
    f.push(tsv_field(&s.caller_number));
    f.join("\t")
}

fn reject_tsv(r: &Reject, columns: usize) -> String {
    let mut f = vec![
        "rejected".to_string(),
        r.line.to_string(),
        tsv_field(&r.record_id),
    ];
    // Empty from operator_id to findings: all but status, line, call_id,
    // reason and caller_number (empty too: the record was not read).
    f.extend(std::iter::repeat_n(String::new(), columns - 5));
    f.push(tsv_field(&crate::report::privacy::mask_reason(&r.reason)));
    f.push(String::new());
    f.join("\t")
}

/// Loads tickets for linking (no timeliness here): by call id, first kept.
///
/// Each ticket carries the earlier contact it repeats (`Ticket.prior`),
/// linked as `score` links them (`workflow::repeats`: tickets without
/// problems, the first of a ticket id, by the ticket's number), so that a
/// Spark job's findings are those of a direct run.
pub fn load_tickets(
    paths: &[std::path::PathBuf],
    sheet: Option<&str>,
    config: &crate::config::Config,
) -> anyhow::Result<HashMap<String, Arc<Ticket>>> {
    use crate::workflow::repeats::{link, Contact};
    let local = config.offset();
    let salt = config.privacy.link_salt.as_str();
    let mut by_call: HashMap<String, Ticket> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut contacts = Vec::new();
    for p in paths {
        let inputs = crate::input::collect_inputs(std::slice::from_ref(p))?;
        for f in &inputs.tickets {
            tickets::read_file(f, sheet, local, &mut |row| {
                if let Ok(t) = row {
                    if seen.insert(t.ticket_id.clone()) && t.problems.is_empty() {
                        contacts
                            .extend(Contact::from_ticket(&t, salt).filter(|c| !c.link.is_empty()));
                    }
                    if let Some(id) = t.call_id.clone() {
                        by_call.entry(id).or_insert(t);
                    }
                }
            })?;
        }
    }
    let priors = link(contacts, config.repeats.window_days).prior_contacts();
    Ok(by_call
        .into_iter()
        .map(|(id, mut t)| {
            t.prior = priors.get(&t.ticket_id).cloned();
            (id, Arc::new(t))
        })
        .collect())
}

/// Counts of a streaming run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamCounts {
    /// Lines read.
    pub read: u64,
    /// Calls scored.
    pub scored: u64,
    /// Lines rejected.
    pub rejected: u64,
}

/// A failed write of the results: the I/O error stays in the chain, so
/// that the caller can tell a reader that closed the pipe (not an error)
/// from a full disk (an error: the results are incomplete).
fn stdout_error(e: std::io::Error) -> anyhow::Error {
    anyhow::Error::new(e)
        .context("无法写出结果，输出不完整：请检查磁盘空间或输出重定向（cannot write the results）")
}

/// The encoding of `--stdin`, on the scoring threads: one JSON or TSV
/// line a line read, into the first buffer.
struct Lines<'a> {
    format: Format,
    items: &'a crate::config::Items,
    columns: usize,
}

impl crate::pipeline::Encode for Lines<'_> {
    fn call(&self, line: u64, s: &ScoredCall, bufs: &mut [Vec<u8>; 2]) {
        let text = match self.format {
            Format::Json => scored_json(line, s, self.items).to_string(),
            Format::Tsv => scored_tsv(line, s),
        };
        bufs[0].extend_from_slice(text.as_bytes());
        bufs[0].push(b'\n');
    }

    fn reject(&self, r: &Reject, bufs: &mut [Vec<u8>; 2]) {
        let text = match self.format {
            Format::Json => reject_json(r).to_string(),
            Format::Tsv => reject_tsv(r, self.columns),
        };
        bufs[0].extend_from_slice(text.as_bytes());
        bufs[0].push(b'\n');
    }
}

/// The one sink of `--stdin`: every line's output line, in order, flushed
/// after each batch so that the engine reading the pipe sees results as
/// they come.
struct Out<W: Write> {
    output: W,
    counts: StreamCounts,
}

impl<W: Write> crate::pipeline::Sink for Out<W> {
    fn call(
        &mut self,
        _file: &Arc<str>,
        _c: &crate::pipeline::ScoredLine,
        rows: [&[u8]; 2],
    ) -> anyhow::Result<()> {
        self.counts.read += 1;
        self.counts.scored += 1;
        self.output.write_all(rows[0]).map_err(stdout_error)
    }

    fn reject(&mut self, _r: &Reject, rows: [&[u8]; 2]) -> anyhow::Result<()> {
        self.counts.read += 1;
        self.counts.rejected += 1;
        self.output.write_all(rows[0]).map_err(stdout_error)
    }

    fn batch_done(&mut self) -> anyhow::Result<()> {
        self.output.flush().map_err(stdout_error)
    }
}

/// Lines per batch of `--stdin`: a smaller batch than `score`'s, so that
/// results come back to the engine sooner.
const BATCH_LINES: usize = 1024;

/// Scores JSON Lines from `input` to `output`, one output line per input
/// line, through the pipeline's stages ([`crate::pipeline`]): what is its
/// own here is the framing (standard input, one line out a line in) and
/// the output format.
pub fn run<R: BufRead + Send, W: Write>(
    input: R,
    output: W,
    scorer: &Scorer,
    tickets: &HashMap<String, Arc<Ticket>>,
    format: Format,
    show_pii: bool,
    limits: &Limits,
) -> anyhow::Result<StreamCounts> {
    let items = scorer.items();
    let enc = Lines {
        format,
        items,
        columns: tsv_columns_for(items).len(),
    };
    let scoring = crate::pipeline::Scoring {
        scorer,
        tickets,
        manual: None,
        reviews: None,
        // The one masking step of every output (privacy::Masker).
        masker: (!show_pii).then(|| crate::report::privacy::Masker::new(scorer)),
        limits,
    };
    let mut out = Out {
        output,
        counts: StreamCounts::default(),
    };
    let source = crate::pipeline::Source::Reader(Arc::from("标准输入"), Box::new(input));
    crate::pipeline::run(
        vec![source],
        &scoring,
        &enc,
        BATCH_LINES,
        limits.max_line_bytes,
        &mut out,
    )?;
    out.output.flush().map_err(stdout_error)?;
    Ok(out.counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::lexicon::directory::Directory;

    #[test]
    fn one_line_out_per_line_in() {
        let scorer = Scorer::new(Config::default(), Directory::builtin()).expect("scorer");
        let good = r#"{"call_id":"c1","operator_id":"1","started_at":"2026-11-27T09:00:00+08:00","utterances":[{"speaker":"agent","start":0.5,"end":4.5,"text":"您好！市长热线，请问有什么可以帮到您？"}]}"#;
        let input = format!("{good}\n\nnot json\n{good}\n");
        let mut out = Vec::new();
        let c = run(
            input.as_bytes(),
            &mut out,
            &scorer,
            &HashMap::new(),
            Format::Json,
            false,
            &Limits::default(),
        )
        .expect("run");
        assert_eq!(
            c,
            StreamCounts {
                read: 4,
                scored: 2,
                rejected: 2
            }
        );
        let lines: Vec<Value> = String::from_utf8(out)
            .expect("utf8")
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0]["status"], "scored");
        assert_eq!(lines[1]["status"], "rejected");
        assert_eq!(lines[2]["line"], 3);
        assert_eq!(lines[3]["call_id"], "c1");
        // No reviews here: the reviewed figures are the machine's.
        assert_eq!(lines[0]["reviewed_score"], lines[0]["score"]);
        assert_eq!(lines[0]["reviewed_passed"], lines[0]["passed"]);
        assert_eq!(lines[0]["reviewed_red_line"], lines[0]["red_line"]);
        for k in [
            "needs_review",
            "appeals_pending",
            "appeals_upheld",
            "appeals_overturned",
        ] {
            assert_eq!(lines[0][k], 0, "{k}");
        }
        assert_eq!(lines[0]["confidence"], Value::Null);
    }

    /// A call whose last agent utterance was heard with low confidence (0.3
    /// < 0.6): the findings on its words need review and cost nothing yet.
    const UNCERTAIN: &str = r#"{"call_id":"c2","operator_id":"1","started_at":"2026-11-27T09:00:00+08:00","utterances":[{"speaker":"agent","start":0.5,"end":4.5,"text":"您好！市长热线，请问有什么可以帮到您？","confidence":0.9},{"speaker":"caller","start":5.0,"end":9.0,"text":"我们小区门口天天有人摆摊。","confidence":0.9},{"speaker":"agent","start":9.5,"end":11.5,"text":"你说的是哪个小区？","confidence":0.3}]}"#;

    fn stream(input: &str, format: Format) -> String {
        let scorer = Scorer::new(Config::default(), Directory::builtin()).expect("scorer");
        let mut out = Vec::new();
        run(
            input.as_bytes(),
            &mut out,
            &scorer,
            &HashMap::new(),
            format,
            false,
            &Limits::default(),
        )
        .expect("run");
        String::from_utf8(out).expect("utf8")
    }

    /// The number the call came from is masked in both formats, and the
    /// reject row of TSV still has every column.
    #[test]
    fn caller_number_is_masked_in_json_and_tsv() {
        let call = UNCERTAIN.replacen(
            r#""operator_id":"1","#,
            r#""operator_id":"1","caller_number":"+86 13812345678","#,
            1,
        );
        let json = stream(&format!("{call}\n"), Format::Json);
        let v: Value = serde_json::from_str(json.trim_end()).expect("json");
        assert_eq!(v["caller_number"], "138****5678");
        assert_eq!(v["caller_link"].as_str().map(str::len), Some(32));
        let tsv = stream(&format!("{call}\nbroken\n"), Format::Tsv);
        assert!(
            !tsv.contains("12345678") && !json.contains("12345678"),
            "{tsv}"
        );
        let cols = tsv_columns();
        let at = cols
            .iter()
            .position(|c| *c == "caller_number")
            .expect("column");
        let rows: Vec<Vec<&str>> = tsv.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(rows[0][at], "138****5678");
        assert_eq!(rows[1].len(), cols.len());
        assert_eq!(rows[1][at], "");
        assert!(
            !rows[1][at - 1].is_empty(),
            "the reason stays in its column"
        );
    }

    /// `--stdin` links repeat tickets as `score` does, so that a Spark
    /// job's `ticket.repeat_omitted` sees the same history: the second
    /// ticket of one number about one place carries the first.
    #[test]
    fn stdin_tickets_carry_their_prior_contact() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("tickets.csv");
        std::fs::write(
            &path,
            "ticket_id,call_id,operator_id,accepted_at,category,subcategory,caller_phone,event_location\n\
             T1,C1,1,2026-11-02 09:00,一般诉求,噪音扰民,13812345678,长青小区\n\
             T2,C2,1,2026-11-07 09:00,一般诉求,噪音扰民,+86 138 1234 5678,西城区长青小区\n\
             T3,C3,1,2026-11-08 09:00,一般诉求,噪音扰民,13812345678,建设路\n",
        )
        .expect("write");
        let by_call = load_tickets(&[path], None, &Config::default()).expect("load");
        let prior = |c: &str| by_call.get(c).and_then(|t| t.prior.clone());
        assert_eq!(prior("C1"), None);
        assert_eq!(prior("C2").map(|p| p.ticket_id), Some("T1".to_string()));
        assert_eq!(prior("C3"), None, "another place is another matter");
    }

    /// A reader that gives `good` and then fails, as a broken pipe upstream.
    struct Breaks {
        good: std::io::Cursor<Vec<u8>>,
    }

    impl std::io::Read for Breaks {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.good.read(buf)? {
                0 => Err(std::io::Error::other("connection reset")),
                n => Ok(n),
            }
        }
    }

    /// Through the shared reading stage, a read error on standard input
    /// still ends the run with an error (the engine must see the task
    /// fail), instead of becoming a reject line as in a transcript file;
    /// must not: the lines of a whole batch before it are written.
    #[test]
    fn a_read_error_on_stdin_ends_the_run() {
        let scorer = Scorer::new(Config::default(), Directory::builtin()).expect("scorer");
        let run_on = |lines: usize| {
            let input = format!("{UNCERTAIN}\n").repeat(lines);
            let reader = std::io::BufReader::new(Breaks {
                good: std::io::Cursor::new(input.into_bytes()),
            });
            let mut out = Vec::new();
            let r = run(
                reader,
                &mut out,
                &scorer,
                &HashMap::new(),
                Format::Json,
                false,
                &Limits::default(),
            );
            (r, String::from_utf8(out).expect("utf8"))
        };
        let (r, out) = run_on(3);
        let e = format!("{:#}", r.expect_err("a read error is fatal"));
        assert!(e.contains("标准输入：读取失败"), "{e}");
        assert!(!out.contains("rejected"), "{out}");
        // A full batch before the error is scored and written first.
        let (r, out) = run_on(BATCH_LINES + 2);
        assert!(r.is_err());
        assert_eq!(out.lines().count(), BATCH_LINES, "whole batches only");
        assert!(out.lines().all(|l| l.contains("\"status\":\"scored\"")));
    }

    #[test]
    fn json_carries_needs_review_and_confidence() {
        let text = stream(&format!("{UNCERTAIN}\n"), Format::Json);
        let v: Value = serde_json::from_str(text.trim_end()).expect("json");
        let findings = v["findings"].as_array().expect("findings");
        let pending: Vec<&Value> = findings
            .iter()
            .filter(|f| f["needs_review"] == true)
            .collect();
        assert!(!pending.is_empty(), "{v}");
        assert_eq!(v["needs_review"], pending.len());
        for f in &pending {
            // Not confirmed yet: by default it costs nothing.
            assert_eq!(f["points"], 0.0, "{f}");
            assert_eq!(f["reviewed_points"], 0.0, "{f}");
        }
        for f in findings {
            assert_eq!(f["reviewed_points"], f["points"], "{f}");
            for k in ["verdict", "appeal", "reviewer", "review_comment"] {
                assert_eq!(f[k], Value::Null, "{k}");
            }
        }
        assert_eq!(v["reviewed_score"], v["score"]);
        assert_eq!(v["appeals_pending"], 0);
        let c = v["confidence"].as_f64().expect("confidence");
        assert!((c - (0.9 + 0.9 + 0.3) / 3.0).abs() < 1e-12, "{c}");
    }

    #[test]
    fn tsv_carries_the_review_columns() {
        let text = stream(&format!("{UNCERTAIN}\nbroken\n"), Format::Tsv);
        let cols = tsv_columns();
        let at = |name: &str| cols.iter().position(|c| *c == name).expect(name);
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(rows.len(), 2);
        let s = &rows[0];
        assert_eq!(s.len(), cols.len());
        assert_eq!(s[at("reviewed_score")], s[at("score")]);
        assert_eq!(s[at("reviewed_passed")], s[at("passed")]);
        assert_eq!(s[at("reviewed_red_line")], s[at("red_line")]);
        assert_eq!(s[at("needs_review")], "1");
        assert_eq!(s[at("appeals_pending")], "0");
        assert_eq!(s[at("appeals_overturned")], "0");
        let c: f64 = s[at("confidence")].parse().expect("confidence");
        assert!((c - 0.7).abs() < 1e-12, "{c}");
        assert!(s[at("findings")].contains("\"needs_review\":true"));
        assert_eq!(s[at("reason")], "");
        let r = &rows[1];
        assert_eq!(r.len(), cols.len());
        assert_eq!(r[0], "rejected");
        // Everything but status, line, call_id and reason is empty
        // (caller_number, after reason, too).
        let reason = at("reason");
        assert!(
            r.iter()
                .enumerate()
                .all(|(i, f)| i < 3 || i == reason || f.is_empty()),
            "{r:?}"
        );
        assert!(!r[at("reason")].is_empty());
    }

    #[test]
    fn tsv_has_the_same_columns_on_every_line() {
        let scorer = Scorer::new(Config::default(), Directory::builtin()).expect("scorer");
        let good = r#"{"call_id":"c\t1","operator_id":"1","started_at":"2026-11-27T09:00:00+08:00","utterances":[{"speaker":"agent","start":0.5,"end":4.5,"text":"哦"}]}"#;
        let input = format!("{good}\nbroken\n");
        let mut out = Vec::new();
        run(
            input.as_bytes(),
            &mut out,
            &scorer,
            &HashMap::new(),
            Format::Tsv,
            false,
            &Limits::default(),
        )
        .expect("run");
        let text = String::from_utf8(out).expect("utf8");
        let n = tsv_columns().len();
        for l in text.lines() {
            assert_eq!(l.split('\t').count(), n, "{l}");
        }
        assert!(text.starts_with("scored\t1\tc\\t1\t"));
    }
}
