//! `hotline-qa try-rule --run RUN_DIR`: a new or changed rule tried on a
//! whole run before it goes into the scorecard — how many of the run's
//! calls it would hit, and five examples with their evidence.
//!
//! The run's inputs are read again from its `run.json` (as `rescore` does),
//! every call is scored with the current and the changed scorecard by
//! [`Scorer::score`], exactly as `score` would, and their findings are
//! compared. Nothing is written: this is a preview, `rescore` makes the run.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};

use crate::input::transcripts::{self, Limits, LineReader};
use crate::input::{self, tickets};
use crate::model::{Finding, Ticket};
use crate::norms::Scorer;
use crate::review::manifest::{self, Manifest};

/// How many example calls are shown.
pub const EXAMPLES: usize = 5;

/// What the changed scorecard does to a run, counted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunTrial {
    /// Calls read and scored.
    pub calls: u64,
    /// Calls where the changed scorecard finds something the current one does not.
    pub calls_with_new: u64,
    /// Calls where the current scorecard finds something the changed one does not.
    pub calls_with_gone: u64,
    /// Calls whose score changes.
    pub calls_rescored: u64,
    /// By rule id: calls hit and findings, for the rules whose findings changed.
    pub by_rule: BTreeMap<&'static str, (u64, u64)>,
    /// The first calls (in input order) with new findings: call id and the
    /// new findings as `rule 句序号 N：excerpt`.
    pub examples: Vec<(String, Vec<String>)>,
}

/// Scores the calls of the run in `run_dir` with both scorecards.
pub fn try_run(run_dir: &Path, baseline: &Scorer, changed: &Scorer) -> anyhow::Result<RunTrial> {
    if !run_dir.join(manifest::FILE).is_file() {
        bail!(
            "{}：不是 hotline-qa score 写出的运行文件夹（里面没有 {}），请给出一次运行的输出文件夹",
            run_dir.display(),
            manifest::FILE
        );
    }
    let m = Manifest::read(run_dir)?;
    for p in &m.inputs {
        if !p.exists() {
            bail!(
                "{}：这次运行的输入已不存在（路径记录在 {}），请把它放回原处，或用 try-rule 试单段对话",
                p.display(),
                run_dir.join(manifest::FILE).display()
            );
        }
    }
    let inputs = input::collect_inputs_in_sheet(&m.inputs, m.sheet.as_deref())?;
    let local = changed.config().offset();
    // Tickets by call id (the first of each call, as the run links them).
    let mut by_call: HashMap<String, Ticket> = HashMap::new();
    for path in &inputs.tickets {
        tickets::read_file(path, m.sheet.as_deref(), local, &mut |row| {
            if let Ok(t) = row {
                if let Some(id) = t.call_id.clone() {
                    by_call.entry(id).or_insert(t);
                }
            }
        })?;
    }
    let masker = (!m.show_pii).then(|| crate::report::privacy::Masker::new(changed));
    let limits = Limits::default();
    let mut trial = RunTrial::default();
    for path in &inputs.transcripts {
        let file: Arc<str> = Arc::from(path.display().to_string());
        let reader = transcripts::open(path).with_context(|| format!("{file}：打不开转写文件"))?;
        let mut lines = LineReader::new(reader, limits.max_line_bytes);
        while let Some(raw) = lines.next_line()? {
            let Ok(bytes) = &raw.bytes else { continue };
            let Ok(call) = transcripts::parse_line(bytes, &file, raw.line, local, &limits) else {
                continue;
            };
            let ticket = by_call.get(&call.call_id);
            let old = baseline.score(&call, ticket, &[]);
            let mut new = changed.score(&call, ticket, &[]);
            trial.calls += 1;
            let added = super::try_rule::unmatched_at(&new.findings, &old.findings);
            let gone = super::try_rule::unmatched_at(&old.findings, &new.findings);
            trial.calls_with_new += u64::from(!added.is_empty());
            trial.calls_with_gone += u64::from(!gone.is_empty());
            trial.calls_rescored += u64::from(new.score != old.score);
            let mut rules: Vec<&'static str> = Vec::new();
            for &k in &added {
                let rule = new.findings[k].rule;
                let e = trial.by_rule.entry(rule).or_default();
                e.1 += 1;
                if !rules.contains(&rule) {
                    rules.push(rule);
                    e.0 += 1;
                }
            }
            if !added.is_empty() && trial.examples.len() < EXAMPLES {
                if let Some(mk) = &masker {
                    mk.mask_findings(&mut new, &call, ticket);
                }
                let shown = added.iter().map(|&k| describe(&new.findings[k])).collect();
                trial.examples.push((call.call_id.clone(), shown));
            }
        }
    }
    Ok(trial)
}

fn describe(f: &Finding) -> String {
    let place = match f.utterance_index {
        Some(i) => format!("句序号 {i}"),
        None => "整通电话".into(),
    };
    format!("{}（{}）{place}：{}", f.rule, f.norm.name_zh(), f.excerpt)
}

/// The trial in Chinese, for the terminal.
pub fn render(run_dir: &Path, trial: &RunTrial, baseline: &Scorer, changed: &Scorer) -> String {
    let mut out = String::new();
    let pct = |n: u64| {
        if trial.calls == 0 {
            "0%".to_string()
        } else {
            format!("{:.1}%", n as f64 * 100.0 / trial.calls as f64)
        }
    };
    let _ = writeln!(
        out,
        "在运行 {} 的 {} 通电话上试改后的评分表（版本 {}，现行版本 {}）：",
        run_dir.display(),
        trial.calls,
        changed.config().version,
        baseline.config().version
    );
    let _ = writeln!(
        out,
        "  新增命中的通话：{} 通（{}）；不再命中的通话：{} 通；得分有变的通话：{} 通",
        trial.calls_with_new,
        pct(trial.calls_with_new),
        trial.calls_with_gone,
        trial.calls_rescored
    );
    if !trial.by_rule.is_empty() {
        let _ = writeln!(out, "按规则（新增命中）：");
        for (rule, (calls, findings)) in &trial.by_rule {
            let what = crate::rules::describe(rule);
            let _ = writeln!(
                out,
                "  {rule}：{calls} 通电话（{}），{findings} 条　{what}",
                pct(*calls)
            );
        }
    }
    if trial.examples.is_empty() {
        let _ = writeln!(out, "没有一通电话新增命中。");
    } else {
        let _ = writeln!(
            out,
            "例子（前 {} 通新增命中的电话）：",
            trial.examples.len()
        );
        for (call_id, shown) in &trial.examples {
            let _ = writeln!(out, "  通话 {call_id}：");
            for s in shown {
                let _ = writeln!(out, "    ✗ {s}");
            }
        }
        let _ = writeln!(
            out,
            "看某一通的全部对话：hotline-qa explain 通话编号 输入文件 --config 改后的评分表.toml"
        );
    }
    out
}
