//! The call detail page: the dialogue read from the run's own input files
//! (as run.json records them), scored again with the run's own scorecard
//! and the reviews made in the workbench, so that the reviewed score shown
//! is the one `score --reviews` computes from the exported reviews.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{FixedOffset, NaiveDateTime};
use rusqlite::params;
use serde_json::{json, Value};

use super::web::{verdict_label, App};
use crate::config::Config;
use crate::input::manual::ManualScores;
use crate::lexicon::directory::Directory;
use crate::model::{Call, Ticket, Verdict};
use crate::norms::{ScoredCall, Scorer};
use crate::report::privacy::{mask_digits, mask_name, mask_text, Masker};
use crate::review::manifest::Manifest;
use crate::review::reviews::{known_rule, norm_of_rule, Review};

/// A call's row in the database.
pub struct CallRow {
    /// Call id.
    pub call_id: String,
    /// The run it came from.
    pub run_id: i64,
    /// The run's folder.
    pub run_path: PathBuf,
    /// Start time as in calls.csv.
    pub started_at: String,
    /// 工号.
    pub operator_id: String,
    /// Operator's name.
    pub operator_name: String,
    /// Team.
    pub team: String,
    /// Machine score.
    pub score: f64,
    /// Reviewed score as last stored.
    pub reviewed_score: f64,
}

/// What is needed to score a run's calls again: its manifest and scorer.
pub struct RunCtx {
    manifest: Manifest,
    config: Config,
    scorer: Scorer,
    manual: Option<ManualScores>,
}

fn load_ctx(row: &CallRow) -> anyhow::Result<RunCtx> {
    let manifest = Manifest::read(&row.run_path)?;
    let config = manifest.config(&row.run_path)?;
    let directory = match &manifest.directory {
        Some(p) => Directory::load(p).map_err(|e| anyhow::anyhow!("{e}"))?,
        None => Directory::builtin(),
    };
    let manual = match &manifest.manual {
        Some(p) => {
            let c = config.clone();
            Some(crate::input::manual::read(p, &move |n| {
                c.norms.common(n).points
            })?)
        }
        None => None,
    };
    let scorer = Scorer::new(config.clone(), directory).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(RunCtx {
        manifest,
        config,
        scorer,
        manual,
    })
}

/// How many runs' scorers are kept loaded.
const MAX_RUNS: usize = 8;

/// The run's context, loaded once per run and kept (a few runs at most).
pub fn ctx(app: &App, row: &CallRow) -> anyhow::Result<Arc<RunCtx>> {
    {
        let cache = match app.runs.lock() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        if let Some(c) = cache.get(&row.run_id) {
            return Ok(c.clone());
        }
    }
    let c = Arc::new(load_ctx(row)?);
    let mut cache = match app.runs.lock() {
        Ok(c) => c,
        Err(p) => p.into_inner(),
    };
    // A year is 365 runs, each with its compiled scorecard: the server
    // keeps a few and loads another again when it is needed, so that its
    // memory does not grow with the days opened.
    if cache.len() >= MAX_RUNS && !cache.contains_key(&row.run_id) {
        if let Some(k) = cache.keys().next().copied() {
            cache.remove(&k);
        }
    }
    cache.insert(row.run_id, c.clone());
    Ok(c)
}

/// The run's UTC offset (the reviews' times are local, as the scorecard says).
pub fn run_offset(app: &App, row: &CallRow) -> anyhow::Result<FixedOffset> {
    Ok(ctx(app, row)?.config.offset())
}

/// The workbench's reviews of a call, oldest first, as review rows.
fn reviews_of(app: &App, call_id: &str) -> anyhow::Result<Vec<(Review, String)>> {
    let conn = match app.db.lock() {
        Ok(c) => c,
        Err(p) => p.into_inner(),
    };
    let mut st = conn.prepare(
        "SELECT id, rule, utterance_index, verdict, reviewer, comment, reviewed_at FROM reviews WHERE call_id = ?1 ORDER BY id",
    )?;
    let rows = st.query_map([call_id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, rule, utt, verdict, reviewer, comment, at) = row?;
        let (Some(rule_id), Some(norm)) = (known_rule(&rule), norm_of_rule(&rule)) else {
            continue;
        };
        let verdict = match verdict.as_str() {
            "confirmed" => Verdict::Confirmed,
            "dismissed" => Verdict::Dismissed,
            _ => continue,
        };
        out.push((
            Review {
                call_id: call_id.to_string(),
                norm,
                rule: rule_id,
                utterance_index: utt.and_then(|u| usize::try_from(u).ok()),
                verdict: Some(verdict),
                appeal: None,
                points: None,
                reviewer,
                reviewed_at: NaiveDateTime::parse_from_str(&at, "%Y-%m-%d %H:%M:%S").ok(),
                comment,
                line: u64::try_from(id).unwrap_or(0),
            },
            at,
        ));
    }
    // The appeal chain's steps are review rows too (appeal column), applied
    // with the reviews by time as score --reviews applies the exported file.
    out.extend(super::appeals::review_rows(&conn, call_id)?);
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

/// The call read from the run's inputs and scored with the workbench's reviews.
fn scored(
    app: &App,
    row: &CallRow,
    reviews: &[Review],
) -> anyhow::Result<(Arc<RunCtx>, Call<'static>, Option<Ticket>, ScoredCall)> {
    let ctx = ctx(app, row)?;
    // The locations recorded at import are read under the database lock,
    // the file after it is released. A call imported before they were
    // recorded is searched for in the inputs, as it was then.
    let located = {
        let conn = match app.db.lock() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        super::sources::locate(&conn, &row.call_id)?
    };
    let (call, ticket) = match located {
        Some(at) => super::sources::read(
            at,
            &row.call_id,
            ctx.config.offset(),
            ctx.manifest.sheet.as_deref(),
        )?,
        None => crate::run::find_call(
            &ctx.manifest.inputs,
            &row.call_id,
            &ctx.config,
            ctx.manifest.sheet.as_deref(),
        )?,
    };
    let manual = ctx
        .manual
        .as_ref()
        .and_then(|m| m.by_call.get(&row.call_id))
        .map_or(&[][..], |v| v.as_slice());
    let s = ctx
        .scorer
        .score_reviewed(&call, ticket.as_ref(), manual, reviews);
    Ok((ctx, call, ticket, s))
}

/// Stores the call's reviewed score and open review count after a review.
pub fn refresh_reviewed(app: &App, row: &CallRow) -> anyhow::Result<()> {
    let reviews: Vec<Review> = reviews_of(app, &row.call_id)?
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    let (_, _, _, s) = scored(app, row, &reviews)?;
    let conn = match app.db.lock() {
        Ok(c) => c,
        Err(p) => p.into_inner(),
    };
    conn.execute(
        "UPDATE calls SET reviewed_score = ?2, needs_review = ?3 WHERE call_id = ?1",
        params![row.call_id, s.reviewed_score, s.needs_review],
    )?;
    super::appeals::store_reviewed(&conn, &row.call_id, &s)?;
    super::list::calls_changed();
    Ok(())
}

/// A finding in the database: id, rule, utterance, version.
struct DbFinding {
    id: i64,
    rule: String,
    utterance_index: Option<i64>,
    version: i64,
}

/// What the detail page shows.
pub struct View {
    /// The template's values.
    pub json: Value,
}

/// The detail page's values. `revealed`: the caller's number and name
/// are shown as said (the caller logged why).
pub fn view(app: &App, row: &CallRow, revealed: bool) -> anyhow::Result<View> {
    let reviews = reviews_of(app, &row.call_id)?;
    let db_findings: Vec<DbFinding> = {
        let conn = match app.db.lock() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        let mut st = conn.prepare(
            "SELECT id, rule, utterance_index, version FROM findings WHERE call_id = ?1 ORDER BY id",
        )?;
        let v = st
            .query_map([&row.call_id], |r| {
                Ok(DbFinding {
                    id: r.get(0)?,
                    rule: r.get(1)?,
                    utterance_index: r.get(2)?,
                    version: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        v
    };
    let history: Vec<Value> = reviews
        .iter()
        .map(|(r, at)| {
            json!({
                "at": at, "reviewer": r.reviewer, "rule": r.rule,
                "utt": r.utterance_index.map(|u| u.to_string()).unwrap_or_default(),
                "verdict": match (r.verdict, r.appeal) {
                    (Some(v), _) => verdict_label(v.key()),
                    (None, Some(a)) => super::appeals::appeal_label(a),
                    (None, None) => "",
                },
                "comment": r.comment,
            })
        })
        .collect();
    let review_rows: Vec<Review> = reviews.into_iter().map(|(r, _)| r).collect();
    let base = json!({
        "c": {
            "call_id": row.call_id, "operator_id": row.operator_id, "operator_name": row.operator_name,
            "team": row.team, "started_at": row.started_at,
        },
        "history": history,
    });
    let mut m = match base {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    match scored(app, row, &review_rows) {
        Err(e) => {
            // The dialogue is gone (input moved or deleted): the page
            // says so and still shows what the database holds.
            m.insert(
                "dialogue_error".into(),
                Value::from(format!(
                    "读不到这通电话的对话：{e:#}。运行 {} 的 run.json 记的输入文件可能已被移走或删除；请把转写文件放回原处。下面是导入时的得分。",
                    row.run_path.display()
                )),
            );
            m.insert("machine_score".into(), crate::report::num(row.score).into());
            m.insert(
                "reviewed_score".into(),
                crate::report::num(row.reviewed_score).into(),
            );
            m.insert("utterances".into(), Value::Array(Vec::new()));
        }
        Ok((ctx, call, ticket, mut s)) => {
            let masker = Masker::new(&ctx.scorer);
            let texts: Vec<String> = if revealed {
                call.utterances.iter().map(|u| u.text.to_string()).collect()
            } else {
                masker.mask_findings(&mut s, &call, ticket.as_ref());
                masker.mask_dialogue(&call, ticket.as_ref())
            };
            // Each scored finding is matched to its database row (for the
            // review form) by rule and utterance, in order.
            let mut used = vec![false; db_findings.len()];
            let mut per_utt: Vec<Vec<Value>> = vec![Vec::new(); call.utterances.len()];
            let mut other = Vec::new();
            for f in &s.findings {
                let utt = f.utterance_index.and_then(|u| i64::try_from(u).ok());
                let k = db_findings
                    .iter()
                    .enumerate()
                    .position(|(k, d)| !used[k] && d.rule == f.rule && d.utterance_index == utt);
                let (id, version) = match k {
                    Some(k) => {
                        used[k] = true;
                        (db_findings[k].id, db_findings[k].version)
                    }
                    None => (0, 0),
                };
                let v = json!({
                    "id": id, "version": version,
                    "norm": f.norm.name_zh(), "rule": f.rule, "severity": f.severity.key(),
                    "points": crate::report::num(f.points),
                    "reviewed_points": crate::report::num(f.reviewed_points),
                    "needs_review": f.needs_review && f.review.is_none(),
                    // An appealed finding shows where its appeal stands.
                    "verdict": f.review.as_ref().map(|r| match r.appeal {
                        Some(a) => super::appeals::appeal_label(a),
                        None => verdict_label(r.verdict.map_or("", |v| v.key())),
                    }),
                    "excerpt": f.excerpt,
                });
                match f.utterance_index {
                    Some(u) if u < per_utt.len() => per_utt[u].push(v),
                    _ => other.push(v),
                }
            }
            let utterances: Vec<Value> = call
                .utterances
                .iter()
                .zip(texts)
                .zip(per_utt)
                .map(|((u, text), findings)| {
                    json!({
                        "speaker": u.speaker.label_zh(), "speaker_key": u.speaker.key(),
                        "at": format!("{:.1}s", u.start), "text": text, "findings": findings,
                    })
                })
                .collect();
            m.insert("utterances".into(), Value::Array(utterances));
            m.insert("other_findings".into(), Value::Array(other));
            m.insert("machine_score".into(), crate::report::num(s.score).into());
            m.insert(
                "reviewed_score".into(),
                crate::report::num(s.reviewed_score).into(),
            );
            m.insert("red_line".into(), s.red_line.into());
            m.insert("reviewed_red_line".into(), s.reviewed_red_line.into());
            if let Some(t) = &ticket {
                let dir = ctx.scorer.directory();
                let time = |x: Option<NaiveDateTime>| {
                    x.map(crate::input::time::fmt_local).unwrap_or_default()
                };
                let (name, phone, content) = if revealed {
                    (
                        t.caller_name.clone(),
                        t.caller_phone.clone(),
                        t.content.clone(),
                    )
                } else {
                    (
                        mask_name(&t.caller_name),
                        mask_digits(&t.caller_phone),
                        mask_text(&t.content, Some(t), dir),
                    )
                };
                let rows: Vec<(&str, String)> = vec![
                    ("分类", format!("{} {}", t.category_raw, t.subcategory)),
                    ("办理方式", t.handling_raw.clone()),
                    ("承办单位", t.unit.clone()),
                    ("受理时间", time(t.accepted_at)),
                    ("来电人", name),
                    ("来电号码", phone),
                    ("诉求", content),
                    ("办结时限", time(t.due_at)),
                    ("办结时间", time(t.completed_at)),
                    ("回访时间", time(t.callback_at)),
                ];
                m.insert(
                    "ticket".into(),
                    json!({"ticket_id": t.ticket_id, "rows": rows}),
                );
            }
            let mut notes = Vec::new();
            if ctx.manifest.reviews.is_some() {
                notes.push(
                    "这次运行评分时用了复核结论文件；工作台只算在工作台里做的复核，导出后请与原文件合并再交给 score --reviews。"
                        .to_string(),
                );
            }
            m.insert("notes".into(), json!(notes));
        }
    }
    Ok(View {
        json: Value::Object(m),
    })
}
