//! Rule precision from reviews (`hotline-qa calibrate`): which rule to fix
//! first. Reviewers confirm or dismiss the machine's findings and add the
//! ones no rule caught; this module turns those decisions into one row per
//! rule — findings, reviewed, confirmed, dismissed, precision with its 95 %
//! Wilson interval, the findings it probably got wrong, the misses — so a
//! QA lead sees where the scorecard is weakest instead of guessing.
//!
//! [`calibrate`] reads every run folder's `calls.csv` and `findings.csv`
//! (columns by header name, BOM stripped, unknown columns ignored). Machine
//! findings are the rows whose verdict is not `added`; any verdict the run
//! itself was scored with is otherwise ignored: the reviews file given is
//! what counts. For every call with review rows, the call's findings are
//! rebuilt as [`Finding`] values and the rows applied with
//! [`reviews::apply`], the very matching `score --reviews` uses, so the two
//! agree on what each row decided. Findings of calls nobody reviewed are
//! only counted per rule.
//!
//! A call present in several run folders counts once, from the **last** run
//! given (runs are listed oldest first, as for `report`): its findings in
//! earlier runs are ignored, and its review rows apply to the last run's
//! findings.
//!
//! Counting, per rule:
//! - `findings`, `needs_review`: machine findings in the runs;
//! - `confirmed` / `dismissed`: machine findings whose last verdict is that
//!   (an upheld appeal confirms, an overturned one dismisses, an `added`
//!   row on a finding the machine already had confirms it — as in
//!   `score --reviews`); `reviewed` = confirmed + dismissed; a pending
//!   appeal (`appealed`) with no verdict is not reviewed;
//! - `added`: findings reviewers added on this rule (misses), except those
//!   withdrawn by an overturned appeal; `<norm>.manual` rows hold the added
//!   findings that name no rule;
//! - `appeals` / `overturned`: machine findings appealed (any status) /
//!   overturned.
//!
//! Review rows that cannot be used — rejected by the reader, for a call in
//! none of the runs, or matching no finding — are listed in
//! `calibration_unmatched.csv`.
//!
//! Memory: a hash map of 128-bit call-id hashes to the run that holds the
//! call (about 40 bytes a call), plus [`Finding`] values for the reviewed
//! calls only.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::input::ticket_store::hash128;
use crate::input::transcripts::Limits;
use crate::model::{Appeal, Call, Finding, NormId, Source, Speaker, Utterance, Verdict};
use crate::report::csv_out::CsvOut;
use crate::report::num;
use crate::review::reviews::{self, Review, Reviews};
use crate::review::run_table::RunTable;

/// The columns of `calibration.csv`.
pub const COLUMNS: [&str; 15] = [
    "rule",
    "norm",
    "description",
    "findings",
    "needs_review",
    "reviewed",
    "confirmed",
    "dismissed",
    "precision",
    "ci_low",
    "ci_high",
    "est_wrong",
    "added",
    "appeals",
    "overturned",
];

/// The columns of `calibration_unmatched.csv`.
pub const UNMATCHED_COLUMNS: [&str; 5] = ["file", "line", "call_id", "rule", "reason"];

/// The output file with one row per rule.
pub const FILE: &str = "calibration.csv";

/// The output file with the review rows that were not used.
pub const UNMATCHED_FILE: &str = "calibration_unmatched.csv";

/// z for a two-sided 95 % interval.
pub const Z95: f64 = 1.96;

/// Below this many reviews a rule's interval is too wide to act on alone.
pub const FEW_REVIEWS: u64 = 5;

/// The Wilson score interval (95 %, z = 1.96) for `successes` out of `n`,
/// or None when `n` is 0. With p̂ = successes / n:
///
/// ```text
///            p̂ + z²/(2n)          z         ┌ p̂(1 − p̂)     z²  ┐½
/// centre = ─────────────,  half = ──────── · │ ───────── + ───── │
///            1 + z²/n             1 + z²/n  └     n        4n²  ┘
/// ```
///
/// and the interval is [centre − half, centre + half], clamped to [0, 1].
/// Unlike p̂ ± z·√(p̂(1 − p̂)/n) it stays inside [0, 1] and is not of
/// width 0 at 0 or n successes: 8 of 10 gives [0.490, 0.943], 10 of 10
/// gives [0.722, 1].
pub fn wilson(successes: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let n = n as f64;
    let p = successes.min(n as u64) as f64 / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some((
        (centre - half).clamp(0.0, 1.0),
        (centre + half).clamp(0.0, 1.0),
    ))
}

/// One rule's figures (one row of `calibration.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleRow {
    /// The rule id (from [`crate::norms::RULES`], a custom rule, or `<norm>.manual`).
    pub rule: &'static str,
    /// Its norm.
    pub norm: NormId,
    /// Machine findings in the runs.
    pub findings: u64,
    /// Of those, flagged as needing review (uncertain speech).
    pub needs_review: u64,
    /// Machine findings reviewers confirmed (upheld appeals included).
    pub confirmed: u64,
    /// Machine findings reviewers dismissed (overturned appeals included).
    pub dismissed: u64,
    /// Findings reviewers added on this rule: the misses.
    pub added: u64,
    /// Machine findings appealed (pending, upheld or overturned).
    pub appeals: u64,
    /// Machine findings whose appeal was overturned.
    pub overturned: u64,
}

impl RuleRow {
    /// An empty row for `rule` of `norm`.
    pub fn new(rule: &'static str, norm: NormId) -> RuleRow {
        RuleRow {
            rule,
            norm,
            findings: 0,
            needs_review: 0,
            confirmed: 0,
            dismissed: 0,
            added: 0,
            appeals: 0,
            overturned: 0,
        }
    }

    /// Findings with a verdict: confirmed + dismissed.
    pub fn reviewed(&self) -> u64 {
        self.confirmed + self.dismissed
    }

    /// confirmed / reviewed, or None when nothing was reviewed.
    pub fn precision(&self) -> Option<f64> {
        let n = self.reviewed();
        (n > 0).then(|| self.confirmed as f64 / n as f64)
    }

    /// The 95 % Wilson interval of the precision ([`wilson`]).
    pub fn interval(&self) -> Option<(f64, f64)> {
        wilson(self.confirmed, self.reviewed())
    }

    /// Findings in the runs that are probably wrong:
    /// findings × (1 − precision), rounded; None without a precision.
    pub fn est_wrong(&self) -> Option<u64> {
        self.precision()
            .map(|p| (self.findings as f64 * (1.0 - p)).round() as u64)
    }

    /// What the rule checks (from [`crate::norms::RULES`] or the custom
    /// rules), or for `<norm>.manual` what
    /// the row holds.
    pub fn description(&self) -> String {
        match crate::rules::describe(self.rule) {
            "" => format!(
                "复核人新增、不属于任何现有规则的扣分（{}）",
                self.norm.name_zh()
            ),
            what => what.to_string(),
        }
    }

    /// Whether the row has anything to show.
    fn any(&self) -> bool {
        self.findings + self.reviewed() + self.added + self.appeals > 0
    }

    /// The row of `calibration.csv`.
    pub fn csv_row(&self) -> [String; 15] {
        let count = |n: u64| num(n as f64);
        let frac = |x: Option<f64>| x.map(|v| format!("{v:.3}")).unwrap_or_default();
        let ci = self.interval();
        [
            self.rule.to_string(),
            self.norm.key().to_string(),
            self.description(),
            count(self.findings),
            count(self.needs_review),
            count(self.reviewed()),
            count(self.confirmed),
            count(self.dismissed),
            frac(self.precision()),
            frac(ci.map(|c| c.0)),
            frac(ci.map(|c| c.1)),
            self.est_wrong().map(count).unwrap_or_default(),
            count(self.added),
            count(self.appeals),
            count(self.overturned),
        ]
    }
}

/// Sorts rows so that the rule to fix first comes first: most findings
/// probably wrong (`est_wrong`, empty counting as 0), then most misses
/// (`added`), then by rule id.
pub fn sort_rows(rows: &mut [RuleRow]) {
    rows.sort_by(|a, b| {
        b.est_wrong()
            .unwrap_or(0)
            .cmp(&a.est_wrong().unwrap_or(0))
            .then(b.added.cmp(&a.added))
            .then(a.rule.cmp(b.rule))
    });
}

/// A review row that was not used.
#[derive(Clone, Debug, PartialEq)]
pub struct Unmatched {
    /// The reviews file.
    pub file: String,
    /// Its line (CSV) or row (XLSX).
    pub line: u64,
    /// The call the row names, if it could be read.
    pub call_id: String,
    /// The rule the row names, if it could be read.
    pub rule: String,
    /// Why it was not used, in Chinese.
    pub reason: String,
}

/// Why a review row was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Why {
    Rejected,
    NotInRuns,
    NoFinding,
}

/// The result of [`calibrate`].
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// One row per rule with findings or reviews, rule to fix first first.
    pub rules: Vec<RuleRow>,
    /// Review rows not used, by line.
    pub unmatched: Vec<Unmatched>,
    /// The reviews file.
    pub reviews_file: String,
    /// Review rows read (not counting empty sheet rows).
    pub review_rows: u64,
    /// Sheet rows nobody filled in.
    pub unreviewed_rows: u64,
    /// Rows the reader rejected.
    pub rejected: u64,
    /// Rows for calls in none of the runs.
    pub not_in_runs: u64,
    /// Rows that matched no finding of their call.
    pub no_finding: u64,
    /// Run folders read.
    pub runs: usize,
    /// Distinct calls in the runs.
    pub calls: u64,
    /// Calls in the runs that have review rows.
    pub reviewed_calls: u64,
}

impl Calibration {
    /// Review rows that were applied.
    pub fn used(&self) -> u64 {
        self.review_rows
            .saturating_sub(self.rejected + self.not_in_runs + self.no_finding)
    }

    /// Machine findings in the runs, all rules.
    pub fn findings(&self) -> u64 {
        self.rules.iter().map(|r| r.findings).sum()
    }
}

/// The call id in field `i` of a run's CSV, as the call has it.
fn call_id(t: &RunTable, rec: &csv::StringRecord, i: usize) -> anyhow::Result<String> {
    let id = t.word(rec, i)?;
    if id.is_empty() {
        return Err(t.error(rec, i, "通话编号为空"));
    }
    Ok(id.to_string())
}

/// A stand-in for a call whose transcript is not at hand: [`reviews::apply`]
/// uses the call only to place an added finding at its utterance
/// ([`Finding::at`]), which keeps the utterance index only when the call
/// has that utterance. So the stand-in has as many (empty) utterances as
/// the highest index the rows name, capped at the most a scored call can
/// have: an added finding keeps its index, as it does in
/// `score --reviews`, and a later row on that index finds it.
fn stand_in(call_id: &str, rows: &[Review], file: &Arc<str>) -> Call<'static> {
    let max = Limits::default().max_utterances;
    let n = rows
        .iter()
        .filter_map(|r| r.utterance_index)
        .max()
        .map_or(0, |i| i.saturating_add(1).min(max));
    Call {
        call_id: call_id.to_string(),
        operator_id: String::new(),
        operator_name: String::new(),
        team: String::new(),
        started_at: chrono::DateTime::default(),
        ended_by: None,
        caller_number: None,
        utterances: (0..n)
            .map(|_| Utterance {
                speaker: Speaker::Agent,
                start: 0.0,
                end: 0.0,
                text: String::new().into(),
                confidence: None,
                measured: Default::default(),
            })
            .collect(),
        resorted: false,
        source: Source {
            file: file.clone(),
            line: 0,
        },
    }
}

/// Counts one finding (after the reviews) into its rule's row.
fn tally(stats: &mut HashMap<&'static str, RuleRow>, f: &Finding) {
    let row = stats
        .entry(f.rule)
        .or_insert_with(|| RuleRow::new(f.rule, f.norm));
    match f.verdict() {
        Some(Verdict::Added) => {
            if f.appeal() != Some(Appeal::Overturned) {
                row.added += 1;
            }
            return;
        }
        Some(Verdict::Confirmed) => row.confirmed += 1,
        Some(Verdict::Dismissed) => row.dismissed += 1,
        None => {}
    }
    row.findings += 1;
    if f.needs_review {
        row.needs_review += 1;
    }
    if let Some(a) = f.appeal() {
        row.appeals += 1;
        if a == Appeal::Overturned {
            row.overturned += 1;
        }
    }
}

/// Computes the figures per rule from the review rows and the run folders
/// (oldest first; a call in several counts from the last one).
pub fn calibrate(reviews: &Reviews, runs: &[PathBuf]) -> anyhow::Result<Calibration> {
    if runs.is_empty() {
        anyhow::bail!("没有给出运行文件夹（hotline-qa score 的输出文件夹）");
    }
    let review_file: Arc<str> = reviews.file.clone().unwrap_or_else(|| Arc::from(""));
    // Which run each call counts from: the last one that has it.
    let mut owner: HashMap<u128, usize> = HashMap::new();
    let mut rec = csv::StringRecord::new();
    for dir in runs {
        // The run's own scorecard makes its custom rule ids known. A run
        // without run.json (an old version's), or whose scorecard no longer
        // compiles (a rule's lexicon file gone), has only the built-in ids:
        // a custom id in its findings is then reported as unknown, below.
        if let Ok(m) = crate::review::manifest::Manifest::read(dir) {
            let _ = m.config(dir);
        }
    }
    for (k, dir) in runs.iter().enumerate() {
        let mut t = RunTable::open(&dir.join("calls.csv"), &["call_id"], &[])?;
        while t.next(&mut rec)? {
            owner.insert(hash128(&call_id(&t, &rec, 0)?), k);
        }
    }
    let mut stats: HashMap<&'static str, RuleRow> = HashMap::new();
    let mut held: HashMap<String, Vec<Finding>> = HashMap::new();
    for (k, dir) in runs.iter().enumerate() {
        const CALL: usize = 0;
        const NORM: usize = 1;
        const RULE: usize = 2;
        const INDEX: usize = 3;
        const NEEDS_REVIEW: usize = 4;
        const VERDICT: usize = 5;
        let mut t = RunTable::open(
            &dir.join("findings.csv"),
            &["call_id", "norm", "rule", "utterance_index"],
            &["needs_review", "verdict"],
        )?;
        while t.next(&mut rec)? {
            if t.word(&rec, VERDICT)?
                .eq_ignore_ascii_case(Verdict::Added.key())
            {
                continue;
            }
            let call_id = call_id(&t, &rec, CALL)?;
            match owner.get(&hash128(&call_id)) {
                Some(&o) if o == k => {}
                Some(_) => continue,
                None => {
                    return Err(t.error(
                        &rec,
                        CALL,
                        &format!("通话 {call_id} 不在同一文件夹的 calls.csv 里"),
                    ))
                }
            }
            let raw = t.word(&rec, RULE)?;
            let rule = reviews::known_rule(raw).ok_or_else(|| {
                t.error(
                    &rec,
                    RULE,
                    &format!("“{raw}”不是这个版本认识的规则（见 hotline-qa rules）；这个运行是用别的版本评分的吗？"),
                )
            })?;
            let raw = t.word(&rec, NORM)?;
            let norm = NormId::parse_known(raw)
                .ok_or_else(|| t.error(&rec, NORM, &format!("“{raw}”不是评分表的评分项")))?;
            if reviews::norm_of_rule(rule) != Some(norm) {
                return Err(t.error(
                    &rec,
                    NORM,
                    &format!("规则 {rule} 不属于规范 {}", norm.key()),
                ));
            }
            let raw = t.word(&rec, INDEX)?;
            let utterance_index = match raw {
                "" => None,
                s => Some(
                    s.parse::<usize>()
                        .map_err(|_| t.error(&rec, INDEX, &format!("“{s}”不是 0 或正整数")))?,
                ),
            };
            let raw = t.word(&rec, NEEDS_REVIEW)?;
            let needs_review = if raw.is_empty() || raw.eq_ignore_ascii_case("false") {
                false
            } else if raw.eq_ignore_ascii_case("true") {
                true
            } else {
                return Err(t.error(&rec, NEEDS_REVIEW, &format!("“{raw}”不是 true 或 false")));
            };
            if reviews.by_call.contains_key(&call_id) {
                let mut f = Finding::new(norm, rule, String::new());
                f.utterance_index = utterance_index;
                f.needs_review = needs_review;
                held.entry(call_id).or_default().push(f);
            } else {
                let row = stats
                    .entry(rule)
                    .or_insert_with(|| RuleRow::new(rule, norm));
                row.findings += 1;
                if needs_review {
                    row.needs_review += 1;
                }
            }
        }
    }
    let mut unmatched: Vec<(Unmatched, Why)> = reviews
        .rejects
        .iter()
        .map(|r| {
            (
                Unmatched {
                    file: r.file.to_string(),
                    line: r.line,
                    call_id: r.record_id.clone(),
                    rule: String::new(),
                    reason: r.reason.clone(),
                },
                Why::Rejected,
            )
        })
        .collect();
    let mut calls: Vec<(&String, &Vec<Review>)> = reviews.by_call.iter().collect();
    calls.sort_by(|a, b| a.0.cmp(b.0));
    let mut reviewed_calls = 0;
    for (call_id, rows) in calls {
        let unused = |r: &Review, reason: String, why: Why| {
            (
                Unmatched {
                    file: review_file.to_string(),
                    line: r.line,
                    call_id: call_id.clone(),
                    rule: r.rule.to_string(),
                    reason,
                },
                why,
            )
        };
        if !owner.contains_key(&hash128(call_id)) {
            unmatched.extend(rows.iter().map(|r| {
                unused(
                    r,
                    "所给的运行文件夹里没有这通电话，复核结论未使用（通话编号填错了，或漏给了那一天的运行文件夹？）".into(),
                    Why::NotInRuns,
                )
            }));
            continue;
        }
        reviewed_calls += 1;
        let mut findings = held.remove(call_id.as_str()).unwrap_or_default();
        let call = stand_in(call_id, rows, &review_file);
        let applied = reviews::apply(&call, &mut findings, rows);
        for (line, reason) in applied.unmatched {
            if let Some(r) = rows.iter().find(|r| r.line == line) {
                unmatched.push(unused(r, reason, Why::NoFinding));
            }
        }
        for f in &findings {
            tally(&mut stats, f);
        }
    }
    unmatched.sort_by(|a, b| {
        (a.0.line, &a.0.call_id, &a.0.rule).cmp(&(b.0.line, &b.0.call_id, &b.0.rule))
    });
    let count = |w: Why| unmatched.iter().filter(|u| u.1 == w).count() as u64;
    let mut rules: Vec<RuleRow> = stats.into_values().filter(RuleRow::any).collect();
    sort_rows(&mut rules);
    Ok(Calibration {
        rules,
        reviews_file: review_file.to_string(),
        review_rows: reviews.read,
        unreviewed_rows: reviews.unreviewed,
        rejected: count(Why::Rejected),
        not_in_runs: count(Why::NotInRuns),
        no_finding: count(Why::NoFinding),
        unmatched: unmatched.into_iter().map(|u| u.0).collect(),
        runs: runs.len(),
        calls: owner.len() as u64,
        reviewed_calls,
    })
}

/// Writes `calibration.csv` and `calibration_unmatched.csv` into `out`
/// (created if missing); returns the path of `calibration.csv`.
pub fn write(c: &Calibration, out: &Path) -> anyhow::Result<PathBuf> {
    // The two files are staged and moved in together, beside the run's
    // files when `out` is a run folder (the default), under its lock.
    let dir =
        crate::outdir::OutDir::begin(out, crate::outdir::RUN_FILES, crate::outdir::Mode::AddTo)?;
    let staged = dir.path().to_path_buf();
    let mut csv = CsvOut::create(&staged, FILE, &COLUMNS)?;
    for r in &c.rules {
        csv.row(r.csv_row())?;
    }
    csv.commit()?;
    let mut csv = CsvOut::create(&staged, UNMATCHED_FILE, &UNMATCHED_COLUMNS)?;
    for u in &c.unmatched {
        csv.row([
            u.file.to_string(),
            u.line.to_string(),
            u.call_id.to_string(),
            u.rule.clone(),
            u.reason.to_string(),
        ])?;
    }
    csv.commit()?;
    dir.commit()?;
    Ok(out.join(FILE))
}

/// Columns a terminal shows two cells wide (CJK, full-width forms).
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `s` padded with spaces to `w` terminal columns, on the right (`left`)
/// or on the left.
fn pad(s: &str, w: usize, left: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    if left {
        format!("{s}{fill}")
    } else {
        format!("{fill}{s}")
    }
}

fn pct(x: f64) -> String {
    format!("{}%", (x * 100.0).round())
}

/// The hint naming the rule to fix first and why (None when no rule has a
/// finding probably wrong or a miss).
fn fix_first(c: &Calibration) -> Option<String> {
    let r = c.rules.first()?;
    let few = |r: &RuleRow| {
        if r.reviewed() < FEW_REVIEWS {
            format!(
                "（只复核了 {} 条，区间很宽，建议再多复核几条确认）",
                r.reviewed()
            )
        } else {
            String::new()
        }
    };
    match (r.est_wrong(), r.precision(), r.interval()) {
        (Some(wrong), Some(p), Some((lo, hi))) if wrong > 0 => {
            let misses = if r.added > 0 {
                format!("，另有 {} 条漏判", r.added)
            } else {
                String::new()
            };
            Some(format!(
                "最该先改：{}——复核 {} 条中 {} 条误判，准确率 {}（95% 区间 {}–{}），估计本期 {} 条扣分中约 {} 条误扣{misses}{}",
                r.rule,
                r.reviewed(),
                r.dismissed,
                pct(p),
                pct(lo),
                pct(hi),
                r.findings,
                wrong,
                few(r)
            ))
        }
        _ if r.added > 0 => {
            let what = if r.findings == 0 && crate::rules::describe(r.rule).is_empty() {
                format!(
                    "复核人新增了 {} 条{}方面、现有规则都没抓到的扣分（漏判），考虑为它加一条规则",
                    r.added,
                    r.norm.name_zh()
                )
            } else {
                format!("复核人新增了 {} 条这条规则没抓到的扣分（漏判）", r.added)
            };
            Some(format!("最该先改：{}——{what}", r.rule))
        }
        _ => None,
    }
}

/// The terminal view in Chinese: what was read, a table per rule (规则,
/// 扣分数, 已复核, 确认, 误判, 准确率 (95% 区间), 漏判(新增)) in the order of
/// `calibration.csv`, a note on rules with few reviews and one line
/// naming the rule to fix first and why.
pub fn render_zh(c: &Calibration) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "复核表 {}：{} 条复核结论，用上 {} 条；{} 个运行文件夹，{} 通电话（有复核的 {} 通），机器扣分 {} 条。",
        c.reviews_file,
        c.review_rows,
        c.used(),
        c.runs,
        c.calls,
        c.reviewed_calls,
        c.findings()
    );
    if !c.unmatched.is_empty() {
        let _ = writeln!(
            t,
            "未用上的 {} 条（格式有误 {} 条，运行里没有这通电话 {} 条，找不到对应的扣分 {} 条）见 {UNMATCHED_FILE}。",
            c.unmatched.len(),
            c.rejected,
            c.not_in_runs,
            c.no_finding
        );
    }
    if c.unreviewed_rows > 0 {
        let _ = writeln!(t, "复核表里还有 {} 行没有填写，未计入。", c.unreviewed_rows);
    }
    if c.rules.is_empty() {
        let _ = writeln!(t, "这些运行里没有扣分，也没有复核结论，无从计算准确率。");
        return t;
    }
    let header = [
        "规则",
        "扣分数",
        "已复核",
        "确认",
        "误判",
        "准确率 (95% 区间)",
        "漏判(新增)",
    ];
    let rows: Vec<[String; 7]> = c
        .rules
        .iter()
        .map(|r| {
            let precision = match (r.precision(), r.interval()) {
                (Some(p), Some((lo, hi))) => {
                    let mark = if r.reviewed() < FEW_REVIEWS { " *" } else { "" };
                    format!("{} ({}–{}){mark}", pct(p), pct(lo), pct(hi))
                }
                _ => "—".into(),
            };
            [
                r.rule.to_string(),
                r.findings.to_string(),
                r.reviewed().to_string(),
                r.confirmed.to_string(),
                r.dismissed.to_string(),
                precision,
                r.added.to_string(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| width(&r[i]))
                .chain([width(header[i])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    // Text columns flush left, counts flush right.
    let left = [true, false, false, false, false, true, false];
    let line = |cells: &[&str]| {
        let s: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| pad(c, widths[i], left[i]))
            .collect();
        s.join("  ").trim_end().to_string()
    };
    let _ = writeln!(t);
    let _ = writeln!(t, "{}", line(&header));
    for r in &rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        let _ = writeln!(t, "{}", line(&cells));
    }
    let _ = writeln!(t);
    if c.rules
        .iter()
        .any(|r| r.reviewed() > 0 && r.reviewed() < FEW_REVIEWS)
    {
        let _ = writeln!(
            t,
            "* 复核少于 {FEW_REVIEWS} 条：区间很宽，准确率只能作参考，多复核几条再下结论。"
        );
    }
    let mut unreviewed: Vec<&RuleRow> = c
        .rules
        .iter()
        .filter(|r| r.findings > 0 && r.reviewed() == 0)
        .collect();
    if !unreviewed.is_empty() {
        unreviewed.sort_by(|a, b| b.findings.cmp(&a.findings).then(a.rule.cmp(b.rule)));
        let shown: Vec<String> = unreviewed
            .iter()
            .take(5)
            .map(|r| format!("{}（{} 条）", r.rule, r.findings))
            .collect();
        let more = if unreviewed.len() > 5 {
            format!("等 {} 条规则", unreviewed.len())
        } else {
            String::new()
        };
        let _ = writeln!(
            t,
            "有扣分但还没人复核的规则：{}{more}；准确率未知，排序时按没有误扣算。",
            shown.join("、")
        );
    }
    match fix_first(c) {
        Some(hint) => {
            let _ = writeln!(t, "{hint}");
        }
        None if c.rules.iter().any(|r| r.reviewed() > 0) => {
            let _ = writeln!(
                t,
                "复核过的扣分全部确认，也没有新增的漏判：目前没有需要先改的规则。"
            );
        }
        None => {
            let _ = writeln!(
                t,
                "还没有一条扣分被复核（确认或误判），算不出准确率：先用 hotline-qa sample 抽样复核。"
            );
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64)) -> bool {
        (a.0 - b.0).abs() < 5e-4 && (a.1 - b.1).abs() < 5e-4
    }

    #[test]
    fn wilson_matches_published_values() {
        // Published 95 % Wilson intervals (e.g. Newcombe 1998, table I; Brown,
        // Cai & DasGupta 2001), rounded to 3 decimals.
        assert!(close(wilson(8, 10).expect("n>0"), (0.490, 0.943)));
        assert!(close(wilson(0, 10).expect("n>0"), (0.0, 0.278)));
        assert!(close(wilson(10, 10).expect("n>0"), (0.722, 1.0)));
        assert!(close(wilson(5, 10).expect("n>0"), (0.237, 0.763)));
        assert!(close(wilson(1, 1).expect("n>0"), (0.207, 1.0)));
        assert!(close(wilson(81, 100).expect("n>0"), (0.722, 0.875)));
        assert_eq!(wilson(0, 0), None);
        let (lo, hi) = wilson(0, 1).expect("n>0");
        assert_eq!(lo, 0.0);
        assert!(hi <= 1.0);
    }

    fn row(rule: &'static str, findings: u64, c: u64, d: u64, added: u64) -> RuleRow {
        let norm = reviews::norm_of_rule(rule).expect("rule");
        RuleRow {
            findings,
            confirmed: c,
            dismissed: d,
            added,
            ..RuleRow::new(rule, norm)
        }
    }

    #[test]
    fn figures_of_a_row() {
        let r = row("courtesy.ni", 95, 5, 7, 0);
        assert_eq!(r.reviewed(), 12);
        assert!((r.precision().expect("reviewed") - 5.0 / 12.0).abs() < 1e-12);
        // 95 × 7/12 = 55.4
        assert_eq!(r.est_wrong(), Some(55));
        let csv = r.csv_row();
        assert_eq!(csv[8], "0.417");
        assert_eq!(csv[9], "0.193");
        assert_eq!(csv[10], "0.680");
        assert_eq!(csv[11], "55");
        let none = row("pace.too_fast", 3, 0, 0, 0);
        assert_eq!(none.precision(), None);
        assert_eq!(none.est_wrong(), None);
        let csv = none.csv_row();
        assert_eq!(&csv[8..12], &["", "", "", ""]);
    }

    #[test]
    fn rule_to_fix_first_comes_first() {
        let mut rows = vec![
            row("taboo.insult", 10, 10, 0, 0),          // est 0, added 0
            row("pace.too_fast", 3, 0, 0, 0),           // no est, added 0
            row("courtesy.slang", 10, 5, 5, 0),         // est 5
            row("courtesy.ni", 20, 15, 5, 1),           // est 5, added 1
            row("greeting.manual", 0, 0, 0, 2),         // no est, added 2
            row("closing.missing", 9, 1, 1, 0),         // est round(4.5) = 5
            row("accuracy.unknown_number", 4, 1, 1, 2), // est 2, added 2
        ];
        sort_rows(&mut rows);
        let order: Vec<&str> = rows.iter().map(|r| r.rule).collect();
        assert_eq!(
            order,
            [
                "courtesy.ni",
                "closing.missing",
                "courtesy.slang",
                "accuracy.unknown_number",
                "greeting.manual",
                "pace.too_fast",
                "taboo.insult",
            ]
        );
    }

    /// A run folder with the given calls and `findings.csv` rows
    /// (call_id, norm, rule, utterance_index, needs_review, verdict).
    fn run(dir: &Path, calls: &[&str], findings: &[(&str, &str, &str, &str, &str, &str)]) {
        std::fs::create_dir_all(dir).expect("dir");
        let mut text = String::from("\u{feff}call_id,operator_id,score\n");
        for c in calls {
            text.push_str(&format!("{c},1,100\n"));
        }
        std::fs::write(dir.join("calls.csv"), text).expect("calls");
        let mut text = String::from(
            "\u{feff}call_id,operator_id,norm,rule,severity,points,at_s,utterance_index,speaker,excerpt,needs_review,verdict,appeal\n",
        );
        for (c, n, r, i, nr, v) in findings {
            text.push_str(&format!("{c},1,{n},{r},deduct,0,,{i},agent,x,{nr},{v},\n"));
        }
        std::fs::write(dir.join("findings.csv"), text).expect("findings");
    }

    fn reviews_from(dir: &Path, text: &str) -> Reviews {
        let p = dir.join("reviews.csv");
        std::fs::write(&p, text).expect("reviews");
        reviews::read(&p, &|_| 10.0).expect("read")
    }

    fn rule<'a>(c: &'a Calibration, id: &str) -> &'a RuleRow {
        c.rules.iter().find(|r| r.rule == id).expect(id)
    }

    fn counts(r: &RuleRow) -> [u64; 7] {
        [
            r.findings,
            r.needs_review,
            r.confirmed,
            r.dismissed,
            r.added,
            r.appeals,
            r.overturned,
        ]
    }

    const HEAD: &str = "call_id,rule,utterance_index,verdict,appeal\n";

    #[test]
    fn rows_match_with_and_without_utterance_index() {
        let d = tempfile::tempdir().expect("tmp");
        run(
            &d.path().join("r"),
            &["c1", "c2"],
            &[
                ("c1", "taboo", "taboo.forbidden_phrase", "2", "false", ""),
                ("c1", "taboo", "taboo.forbidden_phrase", "4", "false", ""),
                ("c1", "taboo", "taboo.forbidden_phrase", "7", "true", ""),
                ("c2", "courtesy", "courtesy.ni", "1", "true", ""),
                ("c2", "courtesy", "courtesy.ni", "3", "true", ""),
            ],
        );
        let r = reviews_from(
            d.path(),
            &format!(
                "{HEAD}c1,taboo.forbidden_phrase,7,dismissed,\n\
                 c2,courtesy.ni,,confirmed,\n\
                 c1,taboo.forbidden_phrase,9,confirmed,\n"
            ),
        );
        let c = calibrate(&r, &[d.path().join("r")]).expect("calibrate");
        // One dismissed by index; both of c2 confirmed by the rule alone.
        assert_eq!(
            counts(rule(&c, "taboo.forbidden_phrase")),
            [3, 1, 0, 1, 0, 0, 0]
        );
        assert_eq!(counts(rule(&c, "courtesy.ni")), [2, 2, 2, 0, 0, 0, 0]);
        assert_eq!(c.no_finding, 1);
        assert_eq!(c.unmatched.len(), 1);
        assert_eq!(c.unmatched[0].line, 4);
        assert_eq!(c.unmatched[0].rule, "taboo.forbidden_phrase");
        assert_eq!(c.used(), 2);
    }

    #[test]
    fn appeals_count_as_confirmed_or_dismissed() {
        let d = tempfile::tempdir().expect("tmp");
        run(
            &d.path().join("r"),
            &["c1"],
            &[
                (
                    "c1",
                    "accuracy",
                    "accuracy.unknown_number",
                    "4",
                    "false",
                    "",
                ),
                ("c1", "attitude", "attitude.slow_response", "4", "false", ""),
                ("c1", "pace", "pace.too_fast", "", "false", ""),
                ("c1", "closing", "closing.missing", "9", "false", ""),
            ],
        );
        let r = reviews_from(
            d.path(),
            &format!(
                "{HEAD}c1,accuracy.unknown_number,,,upheld\n\
                 c1,attitude.slow_response,4,confirmed,\n\
                 c1,attitude.slow_response,4,,overturned\n\
                 c1,pace.too_fast,,,appealed\n\
                 c1,closing.missing,,dismissed,appealed\n"
            ),
        );
        let c = calibrate(&r, &[d.path().join("r")]).expect("calibrate");
        assert_eq!(
            counts(rule(&c, "accuracy.unknown_number")),
            [1, 0, 1, 0, 0, 1, 0]
        );
        assert_eq!(
            counts(rule(&c, "attitude.slow_response")),
            [1, 0, 0, 1, 0, 1, 1]
        );
        // Pending: appealed, not reviewed.
        assert_eq!(counts(rule(&c, "pace.too_fast")), [1, 0, 0, 0, 0, 1, 0]);
        assert_eq!(rule(&c, "pace.too_fast").precision(), None);
        assert_eq!(counts(rule(&c, "closing.missing")), [1, 0, 0, 1, 0, 1, 0]);
    }

    #[test]
    fn added_findings_are_misses_and_runs_verdicts_are_ignored() {
        let d = tempfile::tempdir().expect("tmp");
        run(
            &d.path().join("r"),
            &["c1", "c2"],
            &[
                // Scored with an earlier reviews file: its verdicts do not count,
                // its added finding is not a machine finding.
                ("c1", "courtesy", "courtesy.ni", "2", "false", "dismissed"),
                ("c1", "courtesy", "courtesy.ni", "5", "false", "added"),
            ],
        );
        let r = reviews_from(
            d.path(),
            "call_id,norm,rule,utterance_index,verdict,appeal\n\
                 c1,,courtesy.ni,2,confirmed,\n\
                 c2,,courtesy.ni,3,added,\n\
                 c2,,courtesy.ni,3,added,\n\
                 c2,,courtesy.ni,3,,appealed\n\
                 c2,courtesy,,,added,\n\
                 c1,,courtesy.ni,8,added,\n\
                 c1,,courtesy.ni,8,,overturned\n",
        );
        let c = calibrate(&r, &[d.path().join("r")]).expect("calibrate");
        // c2's miss at 3: the second row and the appeal find the added
        // finding at its utterance (one added finding, as `score --reviews`
        // has it); c1's miss at 8 is withdrawn by the overturned appeal.
        assert_eq!(counts(rule(&c, "courtesy.ni")), [1, 0, 1, 0, 1, 0, 0]);
        let m = rule(&c, "courtesy.manual");
        assert_eq!(counts(m), [0, 0, 0, 0, 1, 0, 0]);
        assert!(m.description().contains("文明规范用语"));
        assert!(c.unmatched.is_empty(), "{:?}", c.unmatched);
        assert_eq!(c.used(), 7);
    }

    #[test]
    fn last_run_wins() {
        let d = tempfile::tempdir().expect("tmp");
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        run(
            &a,
            &["c1", "c2"],
            &[
                ("c1", "courtesy", "courtesy.ni", "2", "false", ""),
                ("c1", "courtesy", "courtesy.ni", "4", "false", ""),
                ("c2", "pace", "pace.too_fast", "", "false", ""),
            ],
        );
        // c1 again, rescored: one finding left, at 4.
        run(
            &b,
            &["c1"],
            &[("c1", "courtesy", "courtesy.ni", "4", "false", "")],
        );
        let r = reviews_from(
            d.path(),
            &format!(
                "{HEAD}c1,courtesy.ni,2,dismissed,\n\
                 c1,courtesy.ni,4,confirmed,\n\
                 c9,pace.too_fast,,confirmed,\n"
            ),
        );
        let c = calibrate(&r, &[a.clone(), b.clone()]).expect("calibrate");
        assert_eq!(c.calls, 2);
        assert_eq!(counts(rule(&c, "courtesy.ni")), [1, 0, 1, 0, 0, 0, 0]);
        assert_eq!(counts(rule(&c, "pace.too_fast")), [1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(c.no_finding, 1);
        assert_eq!(c.not_in_runs, 1);
        assert_eq!(c.unmatched[1].call_id, "c9");
        // The other way round, run a wins for c1: both findings.
        let c = calibrate(&r, &[b, a]).expect("calibrate");
        assert_eq!(counts(rule(&c, "courtesy.ni")), [2, 0, 1, 1, 0, 0, 0]);
        assert_eq!(c.no_finding, 0);
    }

    #[test]
    fn rejected_rows_are_listed_and_ids_are_unescaped() {
        let d = tempfile::tempdir().expect("tmp");
        // excel_safe wrote "-7" as "'-7x".
        run(
            &d.path().join("r"),
            &["'-7x"],
            &[("'-7x", "pace", "pace.too_fast", "", "false", "")],
        );
        let r = reviews_from(
            d.path(),
            &format!("{HEAD}-7x,pace.too_fast,,dismissed,\nc1,pace.too_fast,,maybe,\n"),
        );
        let c = calibrate(&r, &[d.path().join("r")]).expect("calibrate");
        assert_eq!(counts(rule(&c, "pace.too_fast")), [1, 0, 0, 1, 0, 0, 0]);
        assert_eq!(c.rejected, 1);
        assert_eq!(c.unmatched[0].line, 3);
        assert!(c.unmatched[0].reason.contains("maybe"));
    }

    #[test]
    fn errors_name_the_file_line_and_field() {
        let d = tempfile::tempdir().expect("tmp");
        let dir = d.path().join("r");
        run(
            &dir,
            &["c1"],
            &[
                ("c1", "pace", "pace.too_fast", "", "false", ""),
                ("c1", "pace", "pace.too_fast", "x", "false", ""),
            ],
        );
        let r = reviews_from(d.path(), HEAD);
        let e = calibrate(&r, std::slice::from_ref(&dir))
            .expect_err("bad index")
            .to_string();
        assert!(e.contains("findings.csv"), "{e}");
        assert!(e.contains("第 3 行"), "{e}");
        assert!(e.contains("utterance_index"), "{e}");
        run(
            &dir,
            &["c1"],
            &[("c2", "pace", "pace.nope", "", "false", "")],
        );
        let e = calibrate(&r, std::slice::from_ref(&dir))
            .expect_err("unknown call")
            .to_string();
        assert!(e.contains("第 2 行，字段 call_id"), "{e}");
        run(
            &dir,
            &["c1"],
            &[("c1", "pace", "pace.nope", "", "false", "")],
        );
        let e = calibrate(&r, std::slice::from_ref(&dir))
            .expect_err("unknown rule")
            .to_string();
        assert!(e.contains("字段 rule") && e.contains("pace.nope"), "{e}");
        std::fs::remove_file(dir.join("calls.csv")).expect("rm");
        let e = calibrate(&r, &[dir]).expect_err("no calls.csv").to_string();
        assert!(e.contains("calls.csv"), "{e}");
    }

    #[test]
    fn terminal_view_names_the_rule_to_fix_first() {
        let mut rules = vec![
            row("courtesy.ni", 95, 5, 7, 0),
            row("taboo.insult", 2, 2, 0, 0),
            row("pace.too_fast", 3, 0, 0, 0),
            row("greeting.manual", 0, 0, 0, 2),
        ];
        sort_rows(&mut rules);
        let c = Calibration {
            rules,
            unmatched: Vec::new(),
            reviews_file: "reviews.csv".into(),
            review_rows: 16,
            unreviewed_rows: 0,
            rejected: 0,
            not_in_runs: 0,
            no_finding: 0,
            runs: 1,
            calls: 100,
            reviewed_calls: 14,
        };
        let t = render_zh(&c);
        assert!(
            t.contains("最该先改：courtesy.ni——复核 12 条中 7 条误判，准确率 42%（95% 区间 19%–68%），估计本期 95 条扣分中约 55 条误扣"),
            "{t}"
        );
        assert!(t.contains("规则"), "{t}");
        assert!(t.contains("100% (34%–100%) *"), "{t}");
        assert!(t.contains("* 复核少于 5 条"), "{t}");
        assert!(t.contains("pace.too_fast（3 条）"), "{t}");
        // Columns line up: every table line has 准确率 at the same width.
        let lines: Vec<&str> = t
            .lines()
            .filter(|l| l.starts_with("courtesy.ni "))
            .collect();
        assert_eq!(lines.len(), 1);
        // Only misses: the hint says so.
        let c = Calibration {
            rules: vec![row("greeting.manual", 0, 0, 0, 2)],
            ..c
        };
        assert!(
            render_zh(&c).contains("最该先改：greeting.manual——复核人新增了 2 条报读开头语方面")
        );
    }
}
