//! The run diff: what changed between two run folders of the same calls
//! (typically a run and its re-scoring with a changed scorecard, see
//! [`crate::review::rescore`]), so that a QA lead sees the effect of a rule
//! change — which calls, which operators, which rules — before adopting it.
//!
//! [`diff_runs`] reads both folders' `calls.csv` and `findings.csv` (columns
//! looked up by header name; unknown columns ignored; the machine `score`,
//! not any reviewed score) and writes three files:
//!
//! - `diff_calls.csv` — one row per call whose score, pass, red line or
//!   findings per rule changed, or that is in only one run;
//! - `diff_operators.csv` — one row per operator: mean, pass rate and rank
//!   in each run (ranked in the order of `operators.csv`, on the machine
//!   scores);
//! - `diff_rules.csv` — one row per rule with findings in either run.
//!
//! Scores and points are compared in hundredths (integers): every output
//! writes them with at most two decimals, so a comparison is exact and no
//! float noise turns into a "changed" call.
//!
//! Memory: one hash map of call id → a small entry (both runs' operator
//! index, score, pass and red line, plus the rules the call has findings
//! for). Measured on 100,000 generated calls: 19 MB, about 190 bytes a
//! call with its id and the map's slack, so 10 million calls (a year) take
//! about 2 GB. Operators and rules are interned. Only the rows of changed
//! calls are kept, for sorting `diff_calls.csv`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::anyhow;

use crate::report::csv_out::CsvOut;
use crate::report::num;
use crate::review::manifest;
use crate::review::run_table::RunTable;

/// The columns of `diff_calls.csv`.
pub const CALLS_COLUMNS: [&str; 13] = [
    "call_id",
    "operator_id",
    "operator_name",
    "old_score",
    "new_score",
    "delta",
    "old_passed",
    "new_passed",
    "old_red_line",
    "new_red_line",
    "rules_gained",
    "rules_lost",
    "status",
];

/// The columns of `diff_operators.csv`.
pub const OPERATORS_COLUMNS: [&str; 13] = [
    "operator_id",
    "operator_name",
    "team",
    "calls",
    "calls_changed",
    "old_mean",
    "new_mean",
    "delta_mean",
    "old_pass_rate",
    "new_pass_rate",
    "old_rank",
    "new_rank",
    "rank_change",
];

/// The columns of `diff_rules.csv`.
pub const RULES_COLUMNS: [&str; 11] = [
    "rule",
    "norm",
    "old_findings",
    "new_findings",
    "delta",
    "old_calls",
    "new_calls",
    "calls_gained",
    "calls_lost",
    "old_points",
    "new_points",
];

/// One rule's figures in both runs (a row of `diff_rules.csv`).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleDiff {
    /// Rule id, e.g. `courtesy.ni`.
    pub rule: String,
    /// Norm key, e.g. `courtesy`.
    pub norm: String,
    /// Findings in the old run.
    pub old_findings: u64,
    /// Findings in the new run.
    pub new_findings: u64,
    /// Calls with at least one finding of this rule, old run.
    pub old_calls: u64,
    /// Calls with at least one finding of this rule, new run.
    pub new_calls: u64,
    /// Calls with the rule in the new run and not in the old one
    /// (`new_calls = old_calls + calls_gained − calls_lost`).
    pub calls_gained: u64,
    /// Calls with the rule in the old run and not in the new one.
    pub calls_lost: u64,
    /// Sum of the findings' points, old run.
    pub old_points: f64,
    /// Sum of the findings' points, new run.
    pub new_points: f64,
}

impl RuleDiff {
    /// new_findings − old_findings.
    pub fn delta(&self) -> i64 {
        self.new_findings as i64 - self.old_findings as i64
    }

    /// True when anything about the rule differs between the runs.
    pub fn changed(&self) -> bool {
        self.delta() != 0 || self.calls_gained > 0 || self.calls_lost > 0
    }
}

/// An operator ranked in both runs at different places.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RankChange {
    /// Operator id.
    pub operator_id: String,
    /// Operator name.
    pub operator_name: String,
    /// Rank in the old run.
    pub old_rank: u32,
    /// Rank in the new run.
    pub new_rank: u32,
}

impl RankChange {
    /// old_rank − new_rank: positive = moved up.
    pub fn change(&self) -> i64 {
        i64::from(self.old_rank) - i64::from(self.new_rank)
    }
}

/// What [`diff_runs`] found, for the terminal summary ([`render_zh`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiffSummary {
    /// The old run's scorecard `version` (from its run.json, when present).
    pub old_version: Option<String>,
    /// The new run's scorecard `version` (from its run.json, when present).
    pub new_version: Option<String>,
    /// Calls in the old run.
    pub calls_old: u64,
    /// Calls in the new run.
    pub calls_new: u64,
    /// Calls in both runs (the ones compared).
    pub calls_compared: u64,
    /// Calls in both runs that changed (status `changed`).
    pub calls_changed: u64,
    /// Of those, calls whose score went up.
    pub score_up: u64,
    /// Of those, calls whose score went down.
    pub score_down: u64,
    /// Calls only in the old run.
    pub only_old: u64,
    /// Calls only in the new run.
    pub only_new: u64,
    /// Mean score of the old run's calls.
    pub mean_old: Option<f64>,
    /// Mean score of the new run's calls.
    pub mean_new: Option<f64>,
    /// Calls passed, old run.
    pub passed_old: u64,
    /// Calls passed, new run.
    pub passed_new: u64,
    /// Calls with a red line, old run.
    pub red_lines_old: u64,
    /// Calls with a red line, new run.
    pub red_lines_new: u64,
    /// Critical findings (重大风险, severity `critical`), old run.
    pub critical_old: u64,
    /// Critical findings, new run.
    pub critical_new: u64,
    /// Findings, old run.
    pub findings_old: u64,
    /// Findings, new run.
    pub findings_new: u64,
    /// Every rule with findings in either run, as in `diff_rules.csv`.
    pub rules: Vec<RuleDiff>,
    /// Operators ranked in both runs whose rank changed, largest move first.
    pub rank_changes: Vec<RankChange>,
    /// Operators ranked in the old run.
    pub ranked_old: u64,
    /// Operators ranked in the new run.
    pub ranked_new: u64,
    /// The minimum of calls for a rank used.
    pub min_calls_for_rank: u64,
    /// The folder the diff files were written to.
    pub out: PathBuf,
}

const OLD: usize = 0;
const NEW: usize = 1;
const ABSENT: u32 = u32::MAX;

/// One call in both runs. `op[r] == ABSENT`: not in run `r`.
struct Entry {
    op: [u32; 2],
    cents: [i32; 2],
    passed: [bool; 2],
    /// The reviewed score (hundredths) and pass, which operators.csv ranks
    /// on; the machine's when the run has no such columns.
    reviewed: [(i32, bool); 2],
    red_line: [bool; 2],
    rules: Vec<RuleCount>,
}

/// Findings of one rule in one call, per run.
#[derive(Clone, Copy)]
struct RuleCount {
    rule: u32,
    n: [u32; 2],
}

struct OpInfo {
    id: String,
    name: String,
    team: String,
}

struct RuleInfo {
    id: String,
    norm: String,
    findings: [u64; 2],
    points: [i64; 2],
}

#[derive(Default)]
struct State {
    calls: HashMap<Box<str>, Entry>,
    ops: Vec<OpInfo>,
    op_index: HashMap<String, u32>,
    rules: Vec<RuleInfo>,
    rule_index: HashMap<String, u32>,
    /// Critical findings per run (a new scorecard that finds more or fewer
    /// of them is the change a manager most needs to hear of).
    critical: [u64; 2],
}

impl State {
    fn operator(&mut self, id: &str, name: &str, team: &str) -> anyhow::Result<u32> {
        if let Some(&i) = self.op_index.get(id) {
            // The last name and team seen win, as in operators.csv.
            let o = &mut self.ops[i as usize];
            if o.name != name {
                o.name = name.to_string();
            }
            if o.team != team {
                o.team = team.to_string();
            }
            return Ok(i);
        }
        let i = u32::try_from(self.ops.len())
            .ok()
            .filter(|&i| i != ABSENT)
            .ok_or_else(|| anyhow!("话务员工号太多，无法比较"))?;
        self.ops.push(OpInfo {
            id: id.to_string(),
            name: name.to_string(),
            team: team.to_string(),
        });
        self.op_index.insert(id.to_string(), i);
        Ok(i)
    }

    fn rule(&mut self, id: &str, norm: &str) -> anyhow::Result<u32> {
        if let Some(&i) = self.rule_index.get(id) {
            return Ok(i);
        }
        let i = u32::try_from(self.rules.len()).map_err(|_| anyhow!("规则编号太多，无法比较"))?;
        self.rules.push(RuleInfo {
            id: id.to_string(),
            norm: norm.to_string(),
            findings: [0; 2],
            points: [0; 2],
        });
        self.rule_index.insert(id.to_string(), i);
        Ok(i)
    }
}

const CALL_FIELDS: &[&str] = &[
    "call_id",
    "operator_id",
    "operator_name",
    "team",
    "score",
    "passed",
    "red_line",
];
const FINDING_FIELDS: &[&str] = &["call_id", "norm", "rule", "points"];

fn read_calls(dir: &Path, run: usize, st: &mut State) -> anyhow::Result<()> {
    let mut t = RunTable::open(
        &dir.join("calls.csv"),
        CALL_FIELDS,
        &["reviewed_score", "reviewed_passed"],
    )?;
    let mut rec = csv::StringRecord::new();
    while t.next(&mut rec)? {
        let call_id = t.field(&rec, 0)?;
        if call_id.is_empty() {
            return Err(t.error(&rec, 0, "通话编号为空"));
        }
        let op = st.operator(t.field(&rec, 1)?, t.field(&rec, 2)?, t.field(&rec, 3)?)?;
        let cents = t.cents(&rec, 4)?;
        let cents = i32::try_from(cents).map_err(|_| {
            t.error(
                &rec,
                4,
                &format!("“{}”超出分数范围", num(cents as f64 / 100.0)),
            )
        })?;
        let passed = t.boolean(&rec, 5)?;
        let red_line = t.boolean(&rec, 6)?;
        let reviewed_cents = match t.word(&rec, 7)? {
            "" => cents,
            _ => i32::try_from(t.cents(&rec, 7)?).unwrap_or(cents),
        };
        let reviewed_passed = match t.word(&rec, 8)? {
            "" => passed,
            _ => t.boolean(&rec, 8)?,
        };
        let e = st.calls.entry(Box::from(call_id)).or_insert_with(|| Entry {
            op: [ABSENT; 2],
            cents: [0; 2],
            passed: [false; 2],
            reviewed: [(0, false); 2],
            red_line: [false; 2],
            rules: Vec::new(),
        });
        if e.op[run] != ABSENT {
            return Err(t.error(&rec, 0, &format!("通话编号 {call_id} 重复出现")));
        }
        e.op[run] = op;
        e.cents[run] = cents;
        e.passed[run] = passed;
        e.reviewed[run] = (reviewed_cents, reviewed_passed);
        e.red_line[run] = red_line;
    }
    Ok(())
}

fn read_findings(dir: &Path, run: usize, st: &mut State) -> anyhow::Result<()> {
    // `severity` is optional: a run's findings.csv without it has no
    // critical findings to count, and is compared as before.
    let mut t = RunTable::open(&dir.join("findings.csv"), FINDING_FIELDS, &["severity"])?;
    let mut rec = csv::StringRecord::new();
    while t.next(&mut rec)? {
        let rule_id = t.field(&rec, 2)?;
        if rule_id.is_empty() {
            return Err(t.error(&rec, 2, "规则编号为空"));
        }
        let points = t.cents(&rec, 3)?;
        let r = st.rule(rule_id, t.field(&rec, 1)?)?;
        let call_id = t.field(&rec, 0)?;
        let e = st
            .calls
            .get_mut(call_id)
            .filter(|e| e.op[run] != ABSENT)
            .ok_or_else(|| {
                t.error(
                    &rec,
                    0,
                    &format!("通话 {call_id} 不在同一文件夹的 calls.csv 里"),
                )
            })?;
        match e.rules.iter_mut().find(|c| c.rule == r) {
            Some(c) => c.n[run] += 1,
            None => {
                let mut n = [0; 2];
                n[run] = 1;
                e.rules.push(RuleCount { rule: r, n });
            }
        }
        if t.word(&rec, 4)? == crate::model::Severity::Critical.key() {
            st.critical[run] += 1;
        }
        let info = &mut st.rules[r as usize];
        info.findings[run] += 1;
        info.points[run] += points;
    }
    Ok(())
}

/// The scorecard version in `dir/run.json`, if the folder has one.
fn version_of(dir: &Path) -> anyhow::Result<Option<String>> {
    if dir.join(manifest::FILE).is_file() {
        Ok(Some(manifest::Manifest::read(dir)?.scorecard_version))
    } else {
        Ok(None)
    }
}

/// A row of `diff_calls.csv`, kept for sorting.
struct CallRow {
    call_id: String,
    op: u32,
    cents: [Option<i32>; 2],
    passed: [Option<bool>; 2],
    red_line: [Option<bool>; 2],
    gained: String,
    lost: String,
    status: &'static str,
}

impl CallRow {
    fn delta(&self) -> Option<i64> {
        match self.cents {
            [Some(a), Some(b)] => Some(i64::from(b) - i64::from(a)),
            _ => None,
        }
    }
}

/// Per operator, per run: calls, score sum (hundredths), passed.
#[derive(Clone, Copy, Default)]
struct OpStats {
    n: [u64; 2],
    sum: [i64; 2],
    passed: [u64; 2],
    /// Reviewed score sum (hundredths) and passes, for the ranking.
    reviewed_sum: [i64; 2],
    reviewed_passed: [u64; 2],
    calls: u64,
    changed: u64,
}

impl OpStats {
    fn mean(&self, run: usize) -> Option<f64> {
        (self.n[run] > 0).then(|| self.sum[run] as f64 / (self.n[run] as f64 * 100.0))
    }

    fn pass_rate(&self, run: usize) -> Option<f64> {
        (self.n[run] > 0).then(|| self.passed[run] as f64 / self.n[run] as f64)
    }
}

fn fmt_cents(c: Option<i32>) -> String {
    c.map(|c| num(f64::from(c) / 100.0)).unwrap_or_default()
}

fn fmt_bool(b: Option<bool>) -> String {
    b.map(|b| b.to_string()).unwrap_or_default()
}

/// Ranks the operators of one run in the order of
/// [`crate::report::aggregate::rank`] (mean reviewed score desc, reviewed
/// pass rate desc, operator id; fewer than `min_calls` calls: unranked),
/// so that the ranks are operators.csv's (without reviews the reviewed
/// score is the machine's). Reproduced here rather than called, so that
/// the diff does not depend on the report's row type;
/// `tests/review_rescore.rs` checks both agree with operators.csv.
fn ranks(st: &State, stats: &[OpStats], run: usize, min_calls: u64) -> Vec<Option<u32>> {
    let mut ranked: Vec<usize> = (0..stats.len())
        .filter(|&i| stats[i].n[run] > 0 && stats[i].n[run] >= min_calls)
        .collect();
    let key = |i: usize| {
        let n = stats[i].n[run] as f64;
        (
            stats[i].reviewed_sum[run] as f64 / (n * 100.0),
            stats[i].reviewed_passed[run] as f64 / n,
        )
    };
    ranked.sort_by(|&a, &b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then_with(|| st.ops[a].id.cmp(&st.ops[b].id))
    });
    let mut out = vec![None; stats.len()];
    for (place, &i) in ranked.iter().enumerate() {
        out[i] = u32::try_from(place + 1).ok();
    }
    out
}

/// Compares the run in `old` with the run in `new` and writes
/// `diff_calls.csv`, `diff_operators.csv` and `diff_rules.csv` into `out`
/// (see the module docs). Operators with fewer than `min_calls_for_rank`
/// calls in a run are not ranked in that run.
pub fn diff_runs(
    old: &Path,
    new: &Path,
    out: &Path,
    min_calls_for_rank: u64,
) -> anyhow::Result<DiffSummary> {
    let mut st = State::default();
    for (run, dir) in [(OLD, old), (NEW, new)] {
        read_calls(dir, run, &mut st)?;
        read_findings(dir, run, &mut st)?;
    }
    let mut summary = DiffSummary {
        old_version: version_of(old)?,
        new_version: version_of(new)?,
        min_calls_for_rank,
        out: out.to_path_buf(),
        critical_old: st.critical[OLD],
        critical_new: st.critical[NEW],
        ..DiffSummary::default()
    };
    let mut stats = vec![OpStats::default(); st.ops.len()];
    // Per rule: calls with it per run, calls gained, calls lost.
    let mut rule_calls = vec![([0u64; 2], 0u64, 0u64); st.rules.len()];
    let mut rows: Vec<CallRow> = Vec::new();
    let mut sums = [0i64; 2];
    for (call_id, e) in &st.calls {
        let present = [e.op[OLD] != ABSENT, e.op[NEW] != ABSENT];
        for run in [OLD, NEW] {
            if !present[run] {
                continue;
            }
            let s = &mut stats[e.op[run] as usize];
            s.n[run] += 1;
            s.sum[run] += i64::from(e.cents[run]);
            s.passed[run] += u64::from(e.passed[run]);
            s.reviewed_sum[run] += i64::from(e.reviewed[run].0);
            s.reviewed_passed[run] += u64::from(e.reviewed[run].1);
            sums[run] += i64::from(e.cents[run]);
            if run == OLD {
                summary.calls_old += 1;
                summary.passed_old += u64::from(e.passed[run]);
                summary.red_lines_old += u64::from(e.red_line[run]);
            } else {
                summary.calls_new += 1;
                summary.passed_new += u64::from(e.passed[run]);
                summary.red_lines_new += u64::from(e.red_line[run]);
            }
        }
        let mut rules_differ = false;
        for rc in &e.rules {
            let c = &mut rule_calls[rc.rule as usize];
            for run in [OLD, NEW] {
                if rc.n[run] > 0 {
                    c.0[run] += 1;
                }
            }
            if rc.n[NEW] > 0 && rc.n[OLD] == 0 {
                c.1 += 1;
            }
            if rc.n[OLD] > 0 && rc.n[NEW] == 0 {
                c.2 += 1;
            }
            rules_differ |= rc.n[OLD] != rc.n[NEW];
        }
        let status = match present {
            [true, true] => {
                summary.calls_compared += 1;
                let differs = e.cents[OLD] != e.cents[NEW]
                    || e.passed[OLD] != e.passed[NEW]
                    || e.red_line[OLD] != e.red_line[NEW]
                    || rules_differ;
                if !differs {
                    continue;
                }
                summary.calls_changed += 1;
                match e.cents[NEW].cmp(&e.cents[OLD]) {
                    std::cmp::Ordering::Greater => summary.score_up += 1,
                    std::cmp::Ordering::Less => summary.score_down += 1,
                    std::cmp::Ordering::Equal => {}
                }
                "changed"
            }
            [true, false] => {
                summary.only_old += 1;
                "only_old"
            }
            [false, true] => {
                summary.only_new += 1;
                "only_new"
            }
            [false, false] => continue,
        };
        let joined = |pick: &dyn Fn(&RuleCount) -> bool| {
            let mut ids: Vec<&str> = e
                .rules
                .iter()
                .filter(|rc| pick(rc))
                .map(|rc| st.rules[rc.rule as usize].id.as_str())
                .collect();
            ids.sort_unstable();
            ids.join(";")
        };
        let pick = |run: usize, v: Option<i32>| present[run].then_some(v).flatten();
        let op = if present[NEW] { e.op[NEW] } else { e.op[OLD] };
        rows.push(CallRow {
            call_id: call_id.to_string(),
            op,
            cents: [pick(OLD, Some(e.cents[OLD])), pick(NEW, Some(e.cents[NEW]))],
            passed: [
                present[OLD].then_some(e.passed[OLD]),
                present[NEW].then_some(e.passed[NEW]),
            ],
            red_line: [
                present[OLD].then_some(e.red_line[OLD]),
                present[NEW].then_some(e.red_line[NEW]),
            ],
            gained: joined(&|rc| rc.n[NEW] > rc.n[OLD]),
            lost: joined(&|rc| rc.n[OLD] > rc.n[NEW]),
            status,
        });
    }
    // Calls and changed calls per operator: a call counts once for each
    // operator it is attributed to in either run.
    for e in st.calls.values() {
        for (k, &op) in e.op.iter().enumerate() {
            if op != ABSENT && (k == OLD || op != e.op[OLD]) {
                stats[op as usize].calls += 1;
            }
        }
    }
    for r in &rows {
        if let Some(e) = st.calls.get(r.call_id.as_str()) {
            for (k, &op) in e.op.iter().enumerate() {
                if op != ABSENT && (k == OLD || op != e.op[OLD]) {
                    stats[op as usize].changed += 1;
                }
            }
        }
    }
    summary.mean_old =
        (summary.calls_old > 0).then(|| sums[OLD] as f64 / (summary.calls_old as f64 * 100.0));
    summary.mean_new =
        (summary.calls_new > 0).then(|| sums[NEW] as f64 / (summary.calls_new as f64 * 100.0));

    std::fs::create_dir_all(out).map_err(|e| {
        anyhow!(
            "{}：无法创建输出文件夹：{}",
            out.display(),
            crate::messages::io_zh(&e)
        )
    })?;

    // diff_calls.csv: largest drop first; calls in only one run last.
    rows.sort_by(|a, b| {
        let key = |r: &CallRow| (r.delta().is_none(), r.delta().unwrap_or(0));
        key(a).cmp(&key(b)).then_with(|| a.call_id.cmp(&b.call_id))
    });
    let mut w = CsvOut::create(out, "diff_calls.csv", &CALLS_COLUMNS)?;
    for r in &rows {
        let o = &st.ops[r.op as usize];
        w.row([
            r.call_id.to_string(),
            o.id.to_string(),
            o.name.to_string(),
            fmt_cents(r.cents[OLD]),
            fmt_cents(r.cents[NEW]),
            r.delta().map(|d| num(d as f64 / 100.0)).unwrap_or_default(),
            fmt_bool(r.passed[OLD]),
            fmt_bool(r.passed[NEW]),
            fmt_bool(r.red_line[OLD]),
            fmt_bool(r.red_line[NEW]),
            r.gained.clone(),
            r.lost.clone(),
            r.status.to_string(),
        ])?;
    }
    w.commit()?;
    drop(rows);

    // diff_operators.csv
    let old_rank = ranks(&st, &stats, OLD, min_calls_for_rank);
    let new_rank = ranks(&st, &stats, NEW, min_calls_for_rank);
    summary.ranked_old = old_rank.iter().flatten().count() as u64;
    summary.ranked_new = new_rank.iter().flatten().count() as u64;
    let mut order: Vec<usize> = (0..st.ops.len()).filter(|&i| stats[i].calls > 0).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| (new_rank[i].is_none(), new_rank[i].unwrap_or(0));
        key(a)
            .cmp(&key(b))
            .then_with(|| st.ops[a].id.cmp(&st.ops[b].id))
    });
    let rate = |x: Option<f64>| x.map(|v| format!("{v:.4}")).unwrap_or_default();
    let mut w = CsvOut::create(out, "diff_operators.csv", &OPERATORS_COLUMNS)?;
    for &i in &order {
        let (o, s) = (&st.ops[i], &stats[i]);
        let delta_mean = match (s.mean(OLD), s.mean(NEW)) {
            (Some(a), Some(b)) => num(b - a),
            _ => String::new(),
        };
        let change = match (old_rank[i], new_rank[i]) {
            (Some(a), Some(b)) => {
                let c = RankChange {
                    operator_id: o.id.clone(),
                    operator_name: o.name.clone(),
                    old_rank: a,
                    new_rank: b,
                };
                let text = c.change().to_string();
                if a != b {
                    summary.rank_changes.push(c);
                }
                text
            }
            _ => String::new(),
        };
        w.row([
            o.id.to_string(),
            o.name.to_string(),
            o.team.to_string(),
            s.calls.to_string(),
            s.changed.to_string(),
            s.mean(OLD).map(num).unwrap_or_default(),
            s.mean(NEW).map(num).unwrap_or_default(),
            delta_mean,
            rate(s.pass_rate(OLD)),
            rate(s.pass_rate(NEW)),
            old_rank[i].map(|r| r.to_string()).unwrap_or_default(),
            new_rank[i].map(|r| r.to_string()).unwrap_or_default(),
            change,
        ])?;
    }
    w.commit()?;
    summary.rank_changes.sort_by(|a, b| {
        b.change()
            .abs()
            .cmp(&a.change().abs())
            .then(a.new_rank.cmp(&b.new_rank))
    });

    // diff_rules.csv
    let mut rules: Vec<RuleDiff> = st
        .rules
        .iter()
        .zip(&rule_calls)
        .map(|(r, c)| RuleDiff {
            rule: r.id.clone(),
            norm: r.norm.clone(),
            old_findings: r.findings[OLD],
            new_findings: r.findings[NEW],
            old_calls: c.0[OLD],
            new_calls: c.0[NEW],
            calls_gained: c.1,
            calls_lost: c.2,
            old_points: r.points[OLD] as f64 / 100.0,
            new_points: r.points[NEW] as f64 / 100.0,
        })
        .collect();
    rules.sort_by(|a, b| {
        b.delta()
            .abs()
            .cmp(&a.delta().abs())
            .then_with(|| a.rule.cmp(&b.rule))
    });
    let mut w = CsvOut::create(out, "diff_rules.csv", &RULES_COLUMNS)?;
    for r in &rules {
        w.row([
            r.rule.to_string(),
            r.norm.to_string(),
            r.old_findings.to_string(),
            r.new_findings.to_string(),
            r.delta().to_string(),
            r.old_calls.to_string(),
            r.new_calls.to_string(),
            r.calls_gained.to_string(),
            r.calls_lost.to_string(),
            num(r.old_points),
            num(r.new_points),
        ])?;
    }
    w.commit()?;
    summary.findings_old = rules.iter().map(|r| r.old_findings).sum();
    summary.findings_new = rules.iter().map(|r| r.new_findings).sum();
    summary.rules = rules;
    Ok(summary)
}

/// The rule's description from [`crate::norms::RULES`] or the scorecard's own rules,
/// or empty for an unknown id.
fn describe(rule: &str) -> &'static str {
    crate::rules::describe(rule)
}

/// A short summary in Chinese for the terminal: the versions compared, how
/// many calls changed, the mean and pass counts, the rules that changed
/// most and the operators whose rank moved.
pub fn render_zh(s: &DiffSummary) -> String {
    use std::fmt::Write;
    const SHOWN: usize = 10;
    let mut t = String::new();
    let version = |v: &Option<String>| v.clone().unwrap_or_else(|| "（未知）".into());
    let head = format!(
        "评分表 {} → {}：",
        version(&s.old_version),
        version(&s.new_version)
    );
    if s.calls_changed == 0 {
        let _ = writeln!(t, "{head}比较了两次都有的 {} 通电话。", s.calls_compared);
    } else {
        let same_score = s.calls_changed - s.score_up - s.score_down;
        let other = if same_score > 0 {
            format!("，分数不变但及格、红线或违规条数有变化 {same_score} 通")
        } else {
            String::new()
        };
        let _ = writeln!(
            t,
            "{head}两次都有的 {} 通电话中 {} 通结果有变化（分数上升 {} 通，下降 {} 通{other}）。",
            s.calls_compared, s.calls_changed, s.score_up, s.score_down
        );
    }
    if s.only_old + s.only_new > 0 {
        let _ = writeln!(
            t,
            "注意：{} 通电话只在原运行里，{} 通只在新运行里（输入不同？），见 diff_calls.csv 的 status 列。",
            s.only_old, s.only_new
        );
    }
    let mean = |m: Option<f64>| m.map(num).unwrap_or_else(|| "—".into());
    let _ = writeln!(
        t,
        "平均分 {} → {}；及格 {} → {} 通；红线 {} → {} 通；重大风险 {} → {} 条；违规 {} → {} 条。",
        mean(s.mean_old),
        mean(s.mean_new),
        s.passed_old,
        s.passed_new,
        s.red_lines_old,
        s.red_lines_new,
        s.critical_old,
        s.critical_new,
        s.findings_old,
        s.findings_new
    );
    if s.calls_changed + s.only_old + s.only_new == 0 {
        let _ = writeln!(
            t,
            "两次评分结果相同：没有一通电话的分数、及格、红线或违规条数发生变化。"
        );
    }
    let changed: Vec<&RuleDiff> = s.rules.iter().filter(|r| r.changed()).collect();
    if changed.is_empty() {
        let _ = writeln!(t, "各规则的违规条数和涉及的通话都没有变化。");
    } else {
        let _ = writeln!(t, "有变化的规则（违规条数 原 → 新；涉及通话 原 → 新）：");
        for r in changed.iter().take(SHOWN) {
            let what = describe(&r.rule);
            let what = if what.is_empty() {
                String::new()
            } else {
                format!("（{what}）")
            };
            let _ = writeln!(
                t,
                "  {}{}：{} → {} 条（{:+}），{} → {} 通",
                r.rule,
                what,
                r.old_findings,
                r.new_findings,
                r.delta(),
                r.old_calls,
                r.new_calls
            );
        }
        if changed.len() > SHOWN {
            let _ = writeln!(t, "  ……另有 {} 条规则有变化", changed.len() - SHOWN);
        }
    }
    if s.ranked_old == 0 && s.ranked_new == 0 {
        let _ = writeln!(
            t,
            "没有话务员达到排名所需的 {} 通电话，不比较排名。",
            s.min_calls_for_rank
        );
    } else if s.rank_changes.is_empty() {
        let _ = writeln!(t, "话务员排名没有变化。");
    } else {
        let _ = writeln!(t, "排名变化的话务员（第几名 原 → 新）：");
        for c in s.rank_changes.iter().take(SHOWN) {
            let moved = if c.change() > 0 {
                format!("上升 {}", c.change())
            } else {
                format!("下降 {}", -c.change())
            };
            let _ = writeln!(
                t,
                "  {} {}：第 {} → 第 {} 名（{moved}）",
                c.operator_id, c.operator_name, c.old_rank, c.new_rank
            );
        }
        if s.rank_changes.len() > SHOWN {
            let _ = writeln!(
                t,
                "  ……另有 {} 位话务员排名有变化",
                s.rank_changes.len() - SHOWN
            );
        }
    }
    if s.old_version.is_some()
        && s.old_version == s.new_version
        && s.calls_changed + s.only_old + s.only_new > 0
    {
        let _ = writeln!(
            t,
            "提示：新评分表的 version 与原运行相同（{}）；改了规则请同时改 version，报表里才分得清是哪一版评分表。",
            version(&s.new_version)
        );
    }
    let _ = writeln!(
        t,
        "明细在 {}：diff_calls.csv（每通有变化的电话）、diff_operators.csv（每位话务员）、diff_rules.csv（每条规则）。",
        s.out.display()
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLS_HEADER: &str = "call_id,operator_id,operator_name,team,started_at,score,passed,red_line,greeting,closing,courtesy,pace,clarity,accuracy,process,communication,attitude,ticket,taboo,reviewed_score";
    const FINDINGS_HEADER: &str =
        "call_id,operator_id,norm,rule,severity,points,at_s,utterance_index,speaker,excerpt,review";

    /// A call: id, operator, score, passed, red line.
    type C<'a> = (&'a str, &'a str, &'a str, bool, bool);
    /// A finding: call, rule, points.
    type F<'a> = (&'a str, &'a str, &'a str);

    fn write_run(dir: &Path, calls: &[C], findings: &[F]) {
        std::fs::create_dir_all(dir).expect("mkdir");
        let mut text = format!("\u{feff}{CALLS_HEADER}\n");
        for (id, op, score, passed, red) in calls {
            text.push_str(&format!(
                "{id},{op},话务员{op},A班,2026-11-27T09:00:00+08:00,{score},{passed},{red},5,5,10,5,5,,15,10,10,10,10,{score}\n"
            ));
        }
        std::fs::write(dir.join("calls.csv"), text).expect("write calls");
        let mut text = format!("\u{feff}{FINDINGS_HEADER}\n");
        for (id, rule, points) in findings {
            let norm = rule.split('.').next().unwrap_or("");
            text.push_str(&format!(
                "{id},x,{norm},{rule},deduct,{points},1.5,2,agent,\"【你】说，好\",\n"
            ));
        }
        std::fs::write(dir.join("findings.csv"), text).expect("write findings");
    }

    fn read(dir: &Path, name: &str) -> String {
        let text = std::fs::read_to_string(dir.join(name)).expect("read");
        text.strip_prefix('\u{feff}').expect("BOM").to_string()
    }

    fn old_run(dir: &Path) {
        write_run(
            dir,
            &[
                ("c1", "1001", "90", true, false),
                ("c2", "1001", "100", true, false),
                ("c3", "1002", "95", true, false),
                ("c4", "1002", "0", false, true),
                ("c5", "1003", "85", true, false),
            ],
            &[
                ("c1", "courtesy.ni", "10"),
                ("c1", "courtesy.ni", "0"),
                ("c3", "pace.too_fast", "5"),
                ("c4", "taboo.insult", "10"),
                ("c5", "courtesy.slang", "10"),
                ("c5", "closing.missing", "5"),
            ],
        );
    }

    #[test]
    fn critical_findings_are_counted_in_each_run() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        old_run(&a);
        old_run(&b);
        // The new scorecard makes c3's finding critical.
        let f = b.join("findings.csv");
        let text = std::fs::read_to_string(&f).expect("read");
        let text = text.replacen(
            "c3,x,pace,pace.too_fast,deduct",
            "c3,x,pace,pace.too_fast,critical",
            1,
        );
        std::fs::write(&f, text).expect("write");
        let s = diff_runs(&a, &b, &b, 1).expect("diff");
        assert_eq!((s.critical_old, s.critical_new), (0, 1));
        assert!(
            render_zh(&s).contains("重大风险 0 → 1 条"),
            "{}",
            render_zh(&s)
        );
        // Must not fail: a findings.csv without the severity column (an
        // export trimmed to the spec's first columns) has none to count.
        let text = read(&a, "findings.csv")
            .lines()
            .map(|l| {
                let cols: Vec<&str> = l.splitn(6, ',').collect();
                format!(
                    "{},{},{},{},{}",
                    cols[0], cols[1], cols[2], cols[3], cols[5]
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(a.join("findings.csv"), format!("{text}\n")).expect("write");
        let s = diff_runs(&a, &b, &b, 1).expect("diff");
        assert_eq!((s.critical_old, s.critical_new), (0, 1));
        assert_eq!(s.findings_old, 6);
    }

    #[test]
    fn identical_runs_give_an_empty_diff() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        old_run(&a);
        old_run(&b);
        let s = diff_runs(&a, &b, &b, 1).expect("diff");
        assert_eq!(s.calls_compared, 5);
        assert_eq!(s.calls_changed, 0);
        assert!(s.rank_changes.is_empty());
        assert_eq!(
            read(&b, "diff_calls.csv"),
            format!("{}\n", CALLS_COLUMNS.join(","))
        );
        let ops = read(&b, "diff_operators.csv");
        for line in ops.lines().skip(1) {
            assert!(line.ends_with(",0"), "{line}");
        }
        assert!(render_zh(&s).contains("两次评分结果相同"));
    }

    #[test]
    fn a_dropped_rule_shows_in_calls_operators_and_rules() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        old_run(&a);
        // courtesy.ni switched off: c1 gets its 10 points back.
        write_run(
            &b,
            &[
                ("c1", "1001", "100", true, false),
                ("c2", "1001", "100", true, false),
                ("c3", "1002", "95", true, false),
                ("c4", "1002", "0", false, true),
                ("c5", "1003", "85", true, false),
            ],
            &[
                ("c3", "pace.too_fast", "5"),
                ("c4", "taboo.insult", "10"),
                ("c5", "courtesy.slang", "10"),
                ("c5", "closing.missing", "5"),
            ],
        );
        let out = tmp.path().join("out");
        let s = diff_runs(&a, &b, &out, 2).expect("diff");
        assert_eq!(
            read(&out, "diff_calls.csv"),
            format!(
                "{}\nc1,1001,话务员1001,90,100,10,true,true,false,false,,courtesy.ni,changed\n",
                CALLS_COLUMNS.join(",")
            )
        );
        assert_eq!((s.calls_changed, s.score_up, s.score_down), (1, 1, 0));
        // Means: 1001 95 → 100, 1002 47.5, 1003 85 (one call: not ranked with min 2).
        assert_eq!(
            read(&out, "diff_operators.csv"),
            format!(
                "{}\n\
                 1001,话务员1001,A班,2,1,95,100,5,1.0000,1.0000,1,1,0\n\
                 1002,话务员1002,A班,2,0,47.5,47.5,0,0.5000,0.5000,2,2,0\n\
                 1003,话务员1003,A班,1,0,85,85,0,1.0000,1.0000,,,\n",
                OPERATORS_COLUMNS.join(",")
            )
        );
        assert_eq!(
            read(&out, "diff_rules.csv"),
            format!(
                "{}\n\
                 courtesy.ni,courtesy,2,0,-2,1,0,0,1,10,0\n\
                 closing.missing,closing,1,1,0,1,1,0,0,5,5\n\
                 courtesy.slang,courtesy,1,1,0,1,1,0,0,10,10\n\
                 pace.too_fast,pace,1,1,0,1,1,0,0,5,5\n\
                 taboo.insult,taboo,1,1,0,1,1,0,0,10,10\n",
                RULES_COLUMNS.join(",")
            )
        );
        let text = render_zh(&s);
        assert!(text.contains("5 通电话中 1 通结果有变化"), "{text}");
        assert!(text.contains("courtesy.ni（多次用“你”称呼来电人"), "{text}");
        assert!(text.contains("话务员排名没有变化"), "{text}");
    }

    #[test]
    fn rank_changes_and_calls_in_one_run_only() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        old_run(&a);
        // c3 drops to 60 (fails), c5 is gone, c6 is new; 1002 overtakes 1001.
        write_run(
            &b,
            &[
                ("c1", "1001", "70", false, false),
                ("c2", "1001", "80", true, false),
                ("c3", "1002", "100", true, false),
                ("c4", "1002", "90", true, false),
                ("c6", "1003", "100", true, false),
            ],
            &[
                ("c1", "courtesy.ni", "10"),
                ("c1", "pace.too_fast", "5"),
                ("c1", "pace.too_fast", "0"),
                ("c2", "pace.too_fast", "5"),
            ],
        );
        let out = tmp.path().join("out");
        let s = diff_runs(&a, &b, &out, 1).expect("diff");
        let calls = read(&out, "diff_calls.csv");
        let lines: Vec<&str> = calls.lines().collect();
        assert_eq!(
            lines[1..],
            [
                "c1,1001,话务员1001,90,70,-20,true,false,false,false,pace.too_fast,courtesy.ni,changed",
                "c2,1001,话务员1001,100,80,-20,true,true,false,false,pace.too_fast,,changed",
                "c3,1002,话务员1002,95,100,5,true,true,false,false,,pace.too_fast,changed",
                "c4,1002,话务员1002,0,90,90,false,true,true,false,,taboo.insult,changed",
                "c5,1003,话务员1003,85,,,true,,false,,,closing.missing;courtesy.slang,only_old",
                "c6,1003,话务员1003,,100,,,true,,false,,,only_new",
            ]
        );
        assert_eq!((s.only_old, s.only_new, s.calls_compared), (1, 1, 4));
        let ops = read(&out, "diff_operators.csv");
        let lines: Vec<&str> = ops.lines().collect();
        assert_eq!(
            lines[1..],
            [
                "1003,话务员1003,A班,2,2,85,100,15,1.0000,1.0000,2,1,1",
                "1002,话务员1002,A班,2,2,47.5,95,47.5,0.5000,1.0000,3,2,1",
                "1001,话务员1001,A班,2,2,95,75,-20,1.0000,0.5000,1,3,-2",
            ]
        );
        assert_eq!(s.rank_changes.len(), 3);
        assert_eq!(s.rank_changes[0].operator_id, "1001");
        let rules = read(&out, "diff_rules.csv");
        assert!(
            rules.contains("\npace.too_fast,pace,1,3,2,1,2,2,1,5,10\n"),
            "{rules}"
        );
        let text = render_zh(&s);
        assert!(
            text.contains("1001 话务员1001：第 1 → 第 3 名（下降 2）"),
            "{text}"
        );
        assert!(text.contains("1 通电话只在原运行里"), "{text}");
    }

    #[test]
    fn columns_are_found_by_name_and_output_is_deterministic() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        old_run(&a);
        std::fs::create_dir_all(&b).expect("mkdir");
        // Columns in another order, an unknown one, no BOM, a quoted name.
        std::fs::write(
            b.join("calls.csv"),
            "extra,red_line,passed,score,team,operator_name,operator_id,call_id\n\
             x,false,true,100,A班,\"话务员,1001\",1001,c1\n\
             x,false,true,100,A班,\"话务员,1001\",1001,c2\n\
             x,false,true,95,A班,话务员1002,1002,c3\n\
             x,true,false,0,A班,话务员1002,1002,c4\n\
             x,false,true,85,A班,话务员1003,1003,c5\n",
        )
        .expect("write");
        std::fs::write(
            b.join("findings.csv"),
            "points,rule,norm,call_id\n5,pace.too_fast,pace,c3\n10,taboo.insult,taboo,c4\n\
             10,courtesy.slang,courtesy,c5\n5,closing.missing,closing,c5\n",
        )
        .expect("write");
        let (o1, o2) = (tmp.path().join("o1"), tmp.path().join("o2"));
        diff_runs(&a, &b, &o1, 1).expect("diff");
        diff_runs(&a, &b, &o2, 1).expect("diff");
        for f in ["diff_calls.csv", "diff_operators.csv", "diff_rules.csv"] {
            assert_eq!(
                std::fs::read(o1.join(f)).expect("read"),
                std::fs::read(o2.join(f)).expect("read"),
                "{f}"
            );
        }
        let calls = read(&o1, "diff_calls.csv");
        assert!(
            calls.contains("\nc1,1001,\"话务员,1001\",90,100,10,"),
            "{calls}"
        );
    }

    #[test]
    fn errors_name_the_file_line_and_field() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        old_run(&a);
        write_run(&b, &[("c1", "1001", "九十", true, false)], &[]);
        let e = diff_runs(&a, &b, &b, 1).expect_err("bad score").to_string();
        assert!(
            e.contains("calls.csv：第 2 行，字段 score：“九十”不是数字"),
            "{e}"
        );

        write_run(
            &b,
            &[("c1", "1001", "90", true, false)],
            &[("c9", "pace.too_fast", "5")],
        );
        let e = diff_runs(&a, &b, &b, 1).expect_err("orphan").to_string();
        assert!(
            e.contains("findings.csv：第 2 行，字段 call_id：通话 c9 不在"),
            "{e}"
        );

        write_run(
            &b,
            &[
                ("c1", "1001", "90", true, false),
                ("c1", "1001", "90", true, false),
            ],
            &[],
        );
        let e = diff_runs(&a, &b, &b, 1).expect_err("duplicate").to_string();
        assert!(e.contains("第 3 行，字段 call_id：通话编号 c1 重复"), "{e}");

        std::fs::write(b.join("calls.csv"), "call_id,score\nc1,90\n").expect("write");
        let e = diff_runs(&a, &b, &b, 1)
            .expect_err("missing column")
            .to_string();
        assert!(e.contains("缺少列 operator_id"), "{e}");

        let e = diff_runs(&a, &tmp.path().join("none"), &b, 1)
            .expect_err("missing folder")
            .to_string();
        assert!(e.contains("calls.csv：无法打开"), "{e}");
    }
}
