//! The 规则 page: per-rule precision from the workbench's reviews (the
//! code of `hotline-qa calibrate`), `try-rule` on a pasted dialogue, and a
//! `rescore` preview of a changed scorecard over a day range of imported
//! runs, which the QA lead may then adopt.
//!
//! Nothing is computed twice: the reviews are written out as the
//! `reviews.csv` the export gives and read back by `reviews::read`, then
//! [`calibrate::calibrate`] runs over the imported run folders;
//! [`try_rule::try_rule_dialogue`] and [`rescore::rescore`] are called as
//! the commands call them. Adopting a scorecard stores its text, version,
//! who and when (append-only, and in the audit log); it changes no score
//! already imported — each run keeps the scorecard it was scored with —
//! and from then on each import notes whether the run was scored with the
//! adopted version, and try-rule offers it as the changed scorecard.
//!
//! Declared inside `web` (`#[path]`), like `units`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use axum::http::{header, StatusCode};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{db, Ctx, Resp};
use crate::config::Config;
use crate::lexicon::directory::Directory;
use crate::model::NormId;
use crate::norms::Scorer;
use crate::report::privacy::mask_text;
use crate::review::diff::{self, RuleDiff};
use crate::review::manifest::Manifest;
use crate::review::{calibrate, rescore, reviews, try_rule};
use crate::serve::Role;

/// Adopted scorecards (append-only: the history is the record) and, per
/// imported run, its days and scorecard version beside the version
/// adopted when it came in.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS scorecards(
  id INTEGER PRIMARY KEY,
  version TEXT NOT NULL,
  toml TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  adopted_by TEXT NOT NULL,
  adopted_at TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS scorecards_no_update BEFORE UPDATE ON scorecards
  BEGIN SELECT RAISE(ABORT, 'adopted scorecards are append-only'); END;
CREATE TRIGGER IF NOT EXISTS scorecards_no_delete BEFORE DELETE ON scorecards
  BEGIN SELECT RAISE(ABORT, 'adopted scorecards are append-only'); END;
CREATE TABLE IF NOT EXISTS run_info(
  run_id INTEGER PRIMARY KEY,
  first_day TEXT NOT NULL,
  last_day TEXT NOT NULL,
  scorecard_version TEXT NOT NULL,
  adopted_version TEXT NOT NULL
);
";

/// The most runs `calibrate` reads for the page (the latest in the range):
/// each is read whole from its CSV files.
pub(crate) const MAX_CALIBRATE_RUNS: usize = 31;

/// The most runs a rescore preview scores again.
pub(crate) const MAX_PREVIEW_RUNS: usize = 7;

/// The most calls a rescore preview scores again, all runs together.
pub(crate) const MAX_PREVIEW_CALLS: i64 = 200_000;

/// One preview at a time: each scores whole runs again on a blocking
/// thread, and two would only halve each other's speed.
static PREVIEW: Mutex<()> = Mutex::new(());

/// Notes the run's days and scorecard version, inside the import's
/// transaction.
pub(crate) fn note_run(tx: &Transaction, dir: &Path, run_id: i64) -> anyhow::Result<()> {
    let m = Manifest::read(dir)?;
    let (first, last) = days_of(dir);
    let adopted = adopted(tx)?.map(|a| a.version).unwrap_or_default();
    tx.execute(
        "INSERT OR REPLACE INTO run_info(run_id, first_day, last_day, scorecard_version, adopted_version)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![run_id, first, last, m.scorecard_version, adopted],
    )?;
    Ok(())
}

/// The first and last day of the run's calls (calls.csv's started_at);
/// empty when it has none.
fn days_of(dir: &Path) -> (String, String) {
    let mut first = String::new();
    let mut last = String::new();
    let Ok(mut rd) = csv::Reader::from_path(dir.join("calls.csv")) else {
        return (first, last);
    };
    let Some(at) = rd
        .headers()
        .ok()
        .and_then(|h| h.iter().position(|c| c == "started_at"))
    else {
        return (first, last);
    };
    for rec in rd.records().flatten() {
        let day: String = rec.get(at).unwrap_or("").chars().take(10).collect();
        if day.len() != 10 {
            continue;
        }
        if first.is_empty() || day < first {
            first = day.clone();
        }
        if day > last {
            last = day;
        }
    }
    (first, last)
}

/// The adopted scorecard.
struct Adopted {
    version: String,
    toml: String,
    by: String,
    at: String,
}

fn adopted(conn: &rusqlite::Connection) -> anyhow::Result<Option<Adopted>> {
    Ok(conn
        .query_row(
            "SELECT version, toml, adopted_by, adopted_at FROM scorecards ORDER BY id DESC LIMIT 1",
            [],
            |r| {
                Ok(Adopted {
                    version: r.get(0)?,
                    toml: r.get(1)?,
                    by: r.get(2)?,
                    at: r.get(3)?,
                })
            },
        )
        .optional()?)
}

/// Who may open the page and try rules: the reviewers and the QA lead.
pub(crate) fn allowed(role: Role) -> bool {
    matches!(role, Role::Reviewer | Role::QaLead)
}

fn check(c: &Ctx) -> anyhow::Result<()> {
    if allowed(c.user.role) {
        Ok(())
    } else {
        c.refuse("查看规则准确率或试改规则")
    }
}

/// An imported run.
struct Run {
    path: PathBuf,
    first_day: String,
    last_day: String,
    calls: i64,
    version: String,
    adopted_version: String,
    imported_at: String,
}

/// The imported runs whose days meet [from, to] (either may be empty),
/// oldest first.
fn runs_in(c: &Ctx, from: &str, to: &str) -> anyhow::Result<Vec<Run>> {
    let conn = db(c.app);
    // Runs imported before the run_info table existed get their row now,
    // from the calls table (once).
    let missing: Vec<i64> = {
        let mut st = conn.prepare(
            "SELECT id FROM runs WHERE id NOT IN (SELECT run_id FROM run_info) ORDER BY id",
        )?;
        let v = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        v
    };
    for id in missing {
        let (first, last): (Option<String>, Option<String>) = conn.query_row(
            "SELECT MIN(day), MAX(day) FROM calls WHERE run_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        conn.execute(
            "INSERT OR IGNORE INTO run_info(run_id, first_day, last_day, scorecard_version, adopted_version)
             VALUES (?1, ?2, ?3, '', '')",
            params![id, first.unwrap_or_default(), last.unwrap_or_default()],
        )?;
    }
    let mut st = conn.prepare(
        "SELECT runs.path, i.first_day, i.last_day, runs.calls, i.scorecard_version, i.adopted_version, runs.imported_at
         FROM runs JOIN run_info i ON i.run_id = runs.id
         WHERE (?1 = '' OR i.last_day >= ?1) AND (?2 = '' OR i.first_day <= ?2)
         ORDER BY i.first_day, runs.id",
    )?;
    let v = st
        .query_map(params![from, to], |r| {
            Ok(Run {
                path: PathBuf::from(r.get::<_, String>(0)?),
                first_day: r.get(1)?,
                last_day: r.get(2)?,
                calls: r.get(3)?,
                version: r.get(4)?,
                adopted_version: r.get(5)?,
                imported_at: r.get(6)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// A day from the form, checked; `name` says which in the message.
fn day(c: &Ctx, v: &str, name: &str) -> Result<String, Resp> {
    if v.is_empty() || chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok() {
        Ok(v.to_string())
    } else {
        Err(c.msg(
            StatusCode::BAD_REQUEST,
            "日期不对",
            &format!("{name}“{v}”不是日期，请写成 2026-11-27 的样子（date must be YYYY-MM-DD）"),
        ))
    }
}

/// The workbench's reviews as the export writes them, in a scratch file
/// that `reviews::read` reads (the reader `calibrate` uses).
fn reviews_file(c: &Ctx, path: &Path) -> anyhow::Result<u64> {
    // The export's own rows (reviews and the appeal chain's steps, in the
    // order the workbench applies them): `calibrate` counts an overturned
    // appeal as a false finding, so the page must see the appeals too.
    let rows = super::super::appeals::export_rows(&db(c.app))?;
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(super::super::appeals::EXPORT_COLUMNS)?;
    let mut n = 0u64;
    for cells in rows {
        w.write_record(
            cells
                .iter()
                .map(|s| crate::report::privacy::excel_safe(s).into_owned()),
        )?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
}

/// A scratch folder under the system's temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> anyhow::Result<Scratch> {
        let p = std::env::temp_dir().join(format!(
            "hotline-qa-{what}-{}-{}",
            std::process::id(),
            super::auth::random_hex(6)?
        ));
        std::fs::create_dir_all(&p).map_err(|e| {
            anyhow::anyhow!(
                "无法建临时文件夹 {}：{}",
                p.display(),
                crate::messages::io_zh(&e)
            )
        })?;
        Ok(Scratch(p))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn pct(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}%", v * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// The per-rule figures of `calibrate` over the runs, as the page shows them.
fn calibration(c: &Ctx, runs: &[Run]) -> anyhow::Result<Value> {
    if runs.is_empty() {
        return Ok(Value::Null);
    }
    // The figures change only with the runs chosen and the reviews: the
    // last ones computed are kept under that key (reading the runs' CSV
    // files takes most of a second for a 100k-call day).
    // Reviews and appeal steps are only ever added: their counts and last
    // ids change with every decision.
    let reviews_now: (i64, i64, i64, i64) = db(c.app).query_row(
        "SELECT (SELECT COUNT(*) FROM reviews), (SELECT COALESCE(MAX(id), 0) FROM reviews),
                (SELECT COUNT(*) FROM appeal_steps), (SELECT COALESCE(MAX(id), 0) FROM appeal_steps)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let key = format!(
        "{reviews_now:?} {}",
        runs.iter()
            .map(|r| r.path.display().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    {
        let cache = CALIBRATION.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((k, v)) = cache.as_ref() {
            if *k == key {
                return Ok(v.clone());
            }
        }
    }
    let v = calibration_of(c, runs)?;
    *CALIBRATION.lock().unwrap_or_else(|p| p.into_inner()) = Some((key, v.clone()));
    Ok(v)
}

/// The last figures of [`calibration`], with their key.
static CALIBRATION: Mutex<Option<(String, Value)>> = Mutex::new(None);

fn calibration_of(c: &Ctx, runs: &[Run]) -> anyhow::Result<Value> {
    let scratch = Scratch::new("calibrate")?;
    let file = scratch.0.join("reviews.csv");
    let n = reviews_file(c, &file)?;
    // As `calibrate` without --config: the built-in scorecard's points
    // (they price only findings reviewers add, which the workbench has not).
    let config = Config::default();
    let points = |k: NormId| config.norms.common(k).points;
    let rows = reviews::read(&file, &points)?;
    let paths: Vec<PathBuf> = runs.iter().map(|r| r.path.clone()).collect();
    let cal = calibrate::calibrate(&rows, &paths)?;
    let rules: Vec<Value> = cal
        .rules
        .iter()
        .map(|r| {
            let ci = r.interval();
            json!({
                "rule": r.rule, "description": r.description(), "findings": r.findings,
                "needs_review": r.needs_review, "reviewed": r.reviewed(), "confirmed": r.confirmed,
                "dismissed": r.dismissed, "precision": pct(r.precision()),
                "ci": ci.map(|(a, b)| format!("{}–{}", pct(Some(a)), pct(Some(b)))).unwrap_or_else(|| "—".into()),
                "few": r.reviewed() > 0 && r.reviewed() < calibrate::FEW_REVIEWS,
                "est_wrong": r.est_wrong().map(|x| x.to_string()).unwrap_or_else(|| "—".into()),
                "added": r.added,
            })
        })
        .collect();
    Ok(json!({
        "rules": rules, "review_rows": n, "used": cal.used(), "unmatched": cal.unmatched.len(),
        "calls": cal.calls, "reviewed_calls": cal.reviewed_calls, "runs": cal.runs,
    }))
}

fn run_values(runs: &[Run]) -> Vec<Value> {
    runs.iter()
        .rev()
        .take(20)
        .map(|r| {
            json!({
                "path": r.path.display().to_string(), "first_day": r.first_day, "last_day": r.last_day,
                "calls": r.calls, "version": r.version, "adopted_version": r.adopted_version,
                "imported_at": r.imported_at,
                "differs": !r.adopted_version.is_empty() && r.adopted_version != r.version,
            })
        })
        .collect()
}

/// GET /rules.
pub(super) fn page(c: &Ctx) -> anyhow::Result<Resp> {
    check(c)?;
    let from = match day(c, &c.r.q("from"), "起始日期") {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let to = match day(c, &c.r.q("to"), "截止日期") {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let runs = runs_in(c, &from, &to)?;
    let capped = runs.len() > MAX_CALIBRATE_RUNS;
    let chosen = &runs[runs.len().saturating_sub(MAX_CALIBRATE_RUNS)..];
    let cal = calibration(c, chosen)?;
    let all_runs = runs_in(c, "", "")?;
    let (current, history) = {
        let conn = db(c.app);
        let current = adopted(&conn)?;
        let mut st = conn.prepare(
            "SELECT version, adopted_by, adopted_at, sha256 FROM scorecards ORDER BY id DESC LIMIT 20",
        )?;
        let history: Vec<Value> = st
            .query_map([], |r| {
                Ok(
                    json!({"version": r.get::<_, String>(0)?, "by": r.get::<_, String>(1)?,
                          "at": r.get::<_, String>(2)?, "sha256": r.get::<_, String>(3)?}),
                )
            })?
            .collect::<Result<_, _>>()?;
        (current, history)
    };
    Ok(c.page(
        "rules.html",
        json!({
            "f": {"from": from, "to": to},
            "cal": cal, "capped": capped, "max_runs": MAX_CALIBRATE_RUNS,
            "runs": run_values(&all_runs),
            "adopted": current.map(|a| json!({"version": a.version, "by": a.by, "at": a.at})),
            "history": history,
            "can_adopt": c.user.role == Role::QaLead,
            "max_preview_runs": MAX_PREVIEW_RUNS, "max_preview_calls": MAX_PREVIEW_CALLS,
        }),
    ))
}

/// The scorecard of the latest imported run, with its directory: what
/// "the run's scorecard" is for try-rule. The built-in one before any run.
fn run_scorer(c: &Ctx) -> anyhow::Result<(Scorer, String)> {
    let latest = runs_in(c, "", "")?.pop();
    let (config, directory, name) = match latest {
        Some(run) => {
            let m = Manifest::read(&run.path)?;
            let config = m.config(&run.path)?;
            let directory = match &m.directory {
                Some(p) => Directory::load(p).map_err(|e| anyhow::anyhow!("{e}"))?,
                None => Directory::builtin(),
            };
            let name = format!(
                "运行 {} 的评分表（版本 {}）",
                run.path.display(),
                m.scorecard_version
            );
            (config, directory, name)
        }
        None => (
            Config::default(),
            Directory::builtin(),
            "内置评分表".to_string(),
        ),
    };
    let scorer = Scorer::new(config, directory).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((scorer, name))
}

/// A pasted scorecard, or the error to show (with its line and key).
fn pasted_config(c: &Ctx, text: &str) -> Result<Config, Resp> {
    Config::parse(text, "粘贴的评分表").map_err(|e| {
        c.msg(
            StatusCode::BAD_REQUEST,
            "评分表有错",
            &format!("{e}。请改正后重新提交（scorecard error）"),
        )
    })
}

/// The scorer of a pasted scorecard; its directory is its own
/// `directory = …` when it names one, else `fallback`'s.
fn scorer_of(c: &Ctx, config: Config, fallback: &Scorer) -> Result<Scorer, Resp> {
    let directory = match &config.directory {
        Some(p) => Directory::load(p).map_err(|e| {
            c.msg(
                StatusCode::BAD_REQUEST,
                "电话号码簿读不了",
                &format!("{e}（directory error）"),
            )
        })?,
        None => fallback.directory().clone(),
    };
    Scorer::new(config, directory).map_err(|e| {
        c.msg(
            StatusCode::BAD_REQUEST,
            "评分表的词表有错",
            &format!("{e}。请改正后重新提交（lexicon error）"),
        )
    })
}

/// POST /rules/try: try-rule on a pasted dialogue.
pub(super) fn try_rule(c: &Ctx) -> anyhow::Result<Resp> {
    check(c)?;
    let text = c.r.f("dialogue");
    let toml = c.r.f("toml");
    let dialogue = match try_rule::read_dialogue(&text, "粘贴的对话") {
        Ok(d) => d,
        Err(e) => return Ok(c.msg(StatusCode::BAD_REQUEST, "对话读不了", &format!("{e:#}"))),
    };
    let (baseline, baseline_name) = run_scorer(c)?;
    let adopted = adopted(&db(c.app))?;
    let (changed_text, changed_name) = if !toml.is_empty() {
        (Some(toml.clone()), "粘贴的评分表".to_string())
    } else if let Some(a) = &adopted {
        (
            Some(a.toml.clone()),
            format!(
                "已采用的评分表（版本 {}，{} 于 {} 采用）",
                a.version, a.by, a.at
            ),
        )
    } else {
        (
            None,
            format!("{baseline_name}（没有粘贴评分表，也还没有采用过）"),
        )
    };
    let changed = match changed_text {
        Some(t) => {
            let config = match pasted_config(c, &t) {
                Ok(x) => x,
                Err(r) => return Ok(r),
            };
            match scorer_of(c, config, &baseline) {
                Ok(s) => s,
                Err(r) => return Ok(r),
            }
        }
        // The same scorecard on both sides: Scorer is built again, not cloned.
        None => run_scorer(c)?.0,
    };
    let out = try_rule::try_rule_dialogue(&dialogue, None, &baseline, &changed);
    // The pasted text is data: every phone number in what is shown is
    // masked (the directory's public numbers stay), as in the reports.
    let masked: String = out
        .lines()
        .map(|l| mask_text(l, None, baseline.directory()))
        .collect::<Vec<_>>()
        .join("\n");
    c.audit(
        "try_rule",
        "",
        &format!(
            "{} 句；改后：{}",
            dialogue.call.utterances.len(),
            changed.config().version
        ),
    )?;
    Ok(c.page(
        "rules_result.html",
        json!({
            "title": "试一试的结果", "kind": "try",
            "baseline": baseline_name, "changed": changed_name,
            "output": masked,
        }),
    ))
}

/// The rules' figures of several runs' diffs, summed (every field of
/// [`RuleDiff`] is a count or a sum).
fn sum_rules(diffs: &[diff::DiffSummary]) -> Vec<RuleDiff> {
    let mut by: BTreeMap<String, RuleDiff> = BTreeMap::new();
    for d in diffs {
        for r in &d.rules {
            let e = by.entry(r.rule.clone()).or_insert_with(|| RuleDiff {
                rule: r.rule.clone(),
                norm: r.norm.clone(),
                old_findings: 0,
                new_findings: 0,
                old_calls: 0,
                new_calls: 0,
                calls_gained: 0,
                calls_lost: 0,
                old_points: 0.0,
                new_points: 0.0,
            });
            e.old_findings += r.old_findings;
            e.new_findings += r.new_findings;
            e.old_calls += r.old_calls;
            e.new_calls += r.new_calls;
            e.calls_gained += r.calls_gained;
            e.calls_lost += r.calls_lost;
            e.old_points += r.old_points;
            e.new_points += r.new_points;
        }
    }
    let mut v: Vec<RuleDiff> = by.into_values().collect();
    v.sort_by(|a, b| {
        b.delta()
            .abs()
            .cmp(&a.delta().abs())
            .then(a.rule.cmp(&b.rule))
    });
    v
}

/// POST /rules/preview: the pasted scorecard over the runs of a day range,
/// as `rescore` compares them, bounded in runs and calls.
pub(super) fn preview(c: &Ctx) -> anyhow::Result<Resp> {
    check(c)?;
    let toml = c.r.f("toml");
    if toml.is_empty() {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "没有评分表",
            "请把改后的评分表（TOML，可用 hotline-qa config 得到完整的一份再改）粘贴进来（scorecard missing）",
        ));
    }
    let config = match pasted_config(c, &toml) {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let from = match day(c, &c.r.f("from"), "起始日期") {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    let to = match day(c, &c.r.f("to"), "截止日期") {
        Ok(v) => v,
        Err(r) => return Ok(r),
    };
    if from.is_empty() || to.is_empty() {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "要写日期范围",
            "重新评分预览要写起止日期（例如一周：2026-11-21 到 2026-11-27）（date range required）",
        ));
    }
    let runs = runs_in(c, &from, &to)?;
    if runs.is_empty() {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "这段日期没有运行",
            &format!("{from} 到 {to} 之间没有导入的运行，请换一个日期范围（no runs in range）"),
        ));
    }
    let calls: i64 = runs.iter().map(|r| r.calls).sum();
    if runs.len() > MAX_PREVIEW_RUNS || calls > MAX_PREVIEW_CALLS {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "范围太大",
            &format!(
                "{from} 到 {to} 有 {} 次运行、{calls} 通电话；预览一次最多 {MAX_PREVIEW_RUNS} 次运行、{MAX_PREVIEW_CALLS} 通电话，\
                 请缩小日期范围；更大的范围请在命令行用 hotline-qa rescore（range too large for a preview）",
                runs.len()
            ),
        ));
    }
    let _one = match PREVIEW.try_lock() {
        Ok(g) => g,
        // A preview that failed half-way leaves nothing shared behind.
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => {
            return Ok(c.msg(
                StatusCode::SERVICE_UNAVAILABLE,
                "正在预览",
                "另一个重新评分预览正在运行，请等一两分钟再提交（a preview is running）",
            ))
        }
    };
    let scratch = Scratch::new("preview")?;
    let mut diffs = Vec::new();
    let mut texts = Vec::new();
    for (k, run) in runs.iter().enumerate() {
        let out = scratch.0.join(format!("run{k}"));
        // The database is not held here: the other pages go on answering
        // while the runs are scored again.
        match rescore::rescore(
            &run.path,
            config.clone(),
            None,
            &out,
            Vec::new(),
            crate::report::Lang::Zh,
        ) {
            Ok((_, d)) => {
                texts.push(json!({"run": run.path.display().to_string(), "days": format!("{}–{}", run.first_day, run.last_day),
                                  "text": diff::render_zh(&d)}));
                diffs.push(d);
            }
            Err(e) => texts.push(json!({"run": run.path.display().to_string(), "days": format!("{}–{}", run.first_day, run.last_day),
                                        "error": format!("这次运行没能重新评分：{e:#}")})),
        }
    }
    let rules: Vec<Value> = sum_rules(&diffs)
        .iter()
        .filter(|r| r.changed())
        .map(|r| {
            json!({
                "rule": r.rule, "description": crate::rules::describe(&r.rule),
                "old_findings": r.old_findings, "new_findings": r.new_findings, "delta": r.delta(),
                "calls_gained": r.calls_gained, "calls_lost": r.calls_lost,
                "old_points": crate::report::num(r.old_points), "new_points": crate::report::num(r.new_points),
            })
        })
        .collect();
    let operators: Vec<Value> = runs
        .iter()
        .zip(&diffs)
        .flat_map(|(run, d)| {
            d.rank_changes.iter().map(move |rc| {
                json!({"run": run.first_day, "operator_id": rc.operator_id, "operator_name": rc.operator_name,
                       "old_rank": rc.old_rank, "new_rank": rc.new_rank, "change": rc.change()})
            })
        })
        .collect();
    let sum = |f: fn(&diff::DiffSummary) -> u64| diffs.iter().map(f).sum::<u64>();
    c.audit(
        "rescore_preview",
        "",
        &format!(
            "{from}–{to}，{} 次运行，{calls} 通；版本 {}",
            runs.len(),
            config.version
        ),
    )?;
    Ok(c.page(
        "rules_result.html",
        json!({
            "title": "重新评分预览", "kind": "preview",
            "from": from, "to": to, "version": config.version,
            "calls_compared": sum(|d| d.calls_compared), "calls_changed": sum(|d| d.calls_changed),
            "score_up": sum(|d| d.score_up), "score_down": sum(|d| d.score_down),
            "rules": rules, "operators": operators, "runs": texts,
            "toml": toml, "can_adopt": c.user.role == Role::QaLead,
        }),
    ))
}

/// POST /rules/adopt: the QA lead adopts a scorecard.
pub(super) fn adopt(c: &Ctx) -> anyhow::Result<Resp> {
    if c.user.role != Role::QaLead {
        c.refuse("采用评分表（只有质检主管可以）")?;
    }
    let toml = c.r.f("toml");
    let config = match pasted_config(c, &toml) {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let sha: String = Sha256::digest(toml.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut conn = db(c.app);
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO scorecards(version, toml, sha256, adopted_by, adopted_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![config.version, toml, sha, c.user.name, crate::serve::db::now_utc()],
    )?;
    tx.execute(
        "INSERT INTO audit(at, user, action, call_id, detail, addr) VALUES (?1, ?2, 'scorecard_adopted', '', ?3, ?4)",
        params![
            crate::serve::db::now_utc(),
            c.user.name,
            format!("版本 {} sha256 {sha}", config.version),
            c.r.addr
        ],
    )?;
    tx.commit()?;
    drop(conn);
    Ok(Resp::redirect("/rules#adopted"))
}

/// GET /rules/scorecard.toml: the adopted scorecard, for the nightly job.
pub(super) fn download(c: &Ctx) -> anyhow::Result<Resp> {
    check(c)?;
    let Some(a) = adopted(&db(c.app))? else {
        return Ok(c.msg(
            StatusCode::NOT_FOUND,
            "还没有采用过评分表",
            "质检主管在规则页面预览并采用评分表后，这里才能下载（no scorecard adopted）",
        ));
    };
    Ok(Resp {
        status: StatusCode::OK,
        content_type: "text/plain; charset=utf-8",
        body: a.toml.into_bytes(),
        headers: vec![(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"scorecard.toml\"".into(),
        )],
    })
}
