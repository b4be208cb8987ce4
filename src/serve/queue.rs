//! 复核队列: what needs a person, for 质检员 and 质检主管.
//!
//! - Findings waiting for a reviewer (`needs_review`, not confirmed or
//!   dismissed yet), newest first.
//! - The day's sampling plan: `hotline-qa sample`'s stratified sampling
//!   ([`crate::review::sample::select`]) over the day's calls, per
//!   operator, `serve --sample-per-operator N` (default 5, as `sample`'s),
//!   seeded with the day (20261127 for 2026-11-27), so that the plan is the
//!   same on every page load and for every reviewer, and equal to
//!   `hotline-qa sample RUN --per-operator N --seed 20261127` on a run of
//!   that day. The plan does not change as calls get reviewed: a call
//!   counts as done once it has a review in the workbench or a reviewer
//!   marked it "看过了，没有要改的".
//! - Appeals waiting for the QA lead.

use std::collections::HashSet;

use chrono::NaiveDate;
use polars::prelude::*;
use rusqlite::params;
use serde_json::{json, Value};

use super::auth::Role;
use super::web::{db, urlencode, Ctx, Resp};
use crate::review::sample::{self, CallInfo, Thresholds};
use axum::http::StatusCode;

/// The seed of a day's sampling plan: the day as the number YYYYMMDD.
pub fn seed_of(day: NaiveDate) -> u64 {
    day.format("%Y%m%d").to_string().parse::<u64>().unwrap_or(1)
}

/// The day's calls as `sample` sees them (calls.csv's columns), from the
/// runs' calls.parquet: the machine's figures, as `sample` reads them.
///
/// `critical`: the day's calls with a critical machine finding (the
/// database's `calls.critical`), which calls.parquet has no column for.
fn day_calls(lf: LazyFrame, critical: &HashSet<String>) -> anyhow::Result<Vec<CallInfo>> {
    let df = lf
        .select([
            col("call_id").cast(DataType::String),
            col("operator_id").cast(DataType::String),
            col("operator_name").cast(DataType::String),
            col("team").cast(DataType::String),
            col("started_at").cast(DataType::String),
            col("score").cast(DataType::Float64),
            col("red_line").cast(DataType::Boolean),
            col("needs_review").cast(DataType::Int64),
            col("confidence").cast(DataType::Float64),
        ])
        .collect()?;
    let s = |name: &str| -> anyhow::Result<Vec<String>> {
        let c = df.column(name)?.str()?.clone();
        Ok((0..c.len())
            .map(|i| c.get(i).unwrap_or("").to_string())
            .collect())
    };
    let (ids, ops, names, teams, at) = (
        s("call_id")?,
        s("operator_id")?,
        s("operator_name")?,
        s("team")?,
        s("started_at")?,
    );
    let score = df.column("score")?.f64()?.clone();
    let red = df.column("red_line")?.bool()?.clone();
    let needs = df.column("needs_review")?.i64()?.clone();
    let conf = df.column("confidence")?.f64()?.clone();
    Ok((0..df.height())
        .map(|i| CallInfo {
            call_id: ids[i].clone(),
            operator_id: ops[i].clone(),
            operator_name: names[i].clone(),
            team: teams[i].clone(),
            started_at: at[i].clone(),
            score: score.get(i).unwrap_or(0.0),
            red_line: red.get(i).unwrap_or(false),
            critical: critical.contains(ids[i].as_str()),
            needs_review: u32::try_from(needs.get(i).unwrap_or(0).max(0)).unwrap_or(u32::MAX),
            confidence: conf.get(i),
        })
        .collect())
}

/// GET /queue?day=: the three lists.
pub(super) fn page(c: &Ctx) -> anyhow::Result<Resp> {
    let conn = db(c.app);
    let needs_total: i64 = conn.query_row(
        "SELECT COUNT(*) FROM calls JOIN findings f ON f.call_id = calls.call_id
         WHERE calls.needs_review > 0 AND f.needs_review = 1 AND f.verdict = ''",
        [],
        |r| r.get(0),
    )?;
    let mut st = conn.prepare(
        "SELECT f.id, f.call_id, f.norm, f.rule, f.utterance_index, calls.operator_id, calls.operator_name, calls.day
         FROM calls JOIN findings f ON f.call_id = calls.call_id
         WHERE calls.needs_review > 0 AND f.needs_review = 1 AND f.verdict = ''
         ORDER BY calls.day DESC, calls.call_id, f.id LIMIT 200",
    )?;
    let needs: Vec<Value> = st
        .query_map([], |r| {
            let norm: String = r.get(2)?;
            Ok(json!({
                "id": r.get::<_, i64>(0)?, "call_id": r.get::<_, String>(1)?,
                "norm": crate::model::NormId::parse(&norm).map_or(norm.clone(), |n| n.name_zh().to_string()),
                "rule": r.get::<_, String>(3)?,
                "utt": r.get::<_, Option<i64>>(4)?.map(|u| u.to_string()).unwrap_or_default(),
                "operator_id": r.get::<_, String>(5)?, "operator_name": r.get::<_, String>(6)?,
                "day": r.get::<_, String>(7)?,
            }))
        })?
        .collect::<Result<_, _>>()?;
    drop(st);
    let latest: Option<String> = conn.query_row("SELECT MAX(day) FROM calls", [], |r| r.get(0))?;
    let asked = c.r.q("day");
    let day_s = if asked.is_empty() {
        latest.unwrap_or_default()
    } else {
        asked
    };
    let per_operator = c.app.workflow.sample_per_operator;
    let mut ctx = json!({
        "needs": needs, "needs_total": needs_total, "day": day_s,
        "per_operator": per_operator,
    });
    let set = |ctx: &mut Value, k: &str, v: Value| {
        if let Value::Object(m) = ctx {
            m.insert(k.into(), v);
        }
    };
    match NaiveDate::parse_from_str(&day_s, "%Y-%m-%d") {
        Err(_) if day_s.is_empty() => set(&mut ctx, "plan_error", "还没有导入任何通话。".into()),
        Err(_) => set(
            &mut ctx,
            "plan_error",
            format!("日期 {day_s} 不对：请写成 2026-11-27 这样的格式").into(),
        ),
        Ok(day) => {
            let d = day.to_string();
            let runs = super::rank::runs_between(&conn, &d, &d)?;
            let config = super::rank::last_config(&runs)?;
            let calls = match super::rank::run_calls(&conn, &d, &d)? {
                Some(lf) => {
                    let mut st =
                        conn.prepare("SELECT call_id FROM calls WHERE day = ?1 AND critical > 0")?;
                    let critical = st
                        .query_map([&d], |r| r.get::<_, String>(0))?
                        .collect::<Result<HashSet<String>, _>>()?;
                    day_calls(lf, &critical)?
                }
                None => Vec::new(),
            };
            let seed = seed_of(day);
            let sel = sample::select(calls, per_operator, seed, Thresholds::of(&config));
            let mut done_st = conn.prepare(
                "SELECT EXISTS(SELECT 1 FROM reviews WHERE call_id = ?1) OR EXISTS(SELECT 1 FROM sample_done WHERE call_id = ?1)",
            )?;
            let mut plan = Vec::new();
            let mut done = 0;
            for s in &sel.sampled {
                let is_done: bool = done_st.query_row([&s.call.call_id], |r| r.get(0))?;
                done += usize::from(is_done);
                plan.push(json!({
                    "call_id": s.call.call_id, "operator_id": s.call.operator_id,
                    "operator_name": s.call.operator_name, "started_at": s.call.started_at,
                    "score": crate::report::num(s.call.score), "reason": s.reason.label_zh(),
                    "done": is_done,
                }));
            }
            drop(done_st);
            set(&mut ctx, "seed", seed.into());
            set(&mut ctx, "operators", sel.operators.into());
            set(&mut ctx, "planned", plan.len().into());
            set(&mut ctx, "done", done.into());
            set(&mut ctx, "open", (plan.len() - done).into());
            set(&mut ctx, "plan", Value::Array(plan));
        }
    }
    let appeals_role = c.user.role == Role::QaLead;
    let mut appeals = Vec::new();
    if appeals_role {
        let mut st = conn.prepare(
            "SELECT a.call_id, calls.operator_id, calls.operator_name, a.rule,
               (SELECT comment FROM appeal_steps s WHERE s.appeal_id = a.id AND s.step = 'filed')
             FROM appeals a JOIN calls ON calls.call_id = a.call_id WHERE a.state = 'qa' ORDER BY a.id LIMIT 200",
        )?;
        appeals = st
            .query_map([], |r| {
                Ok(json!({
                    "call_id": r.get::<_, String>(0)?, "operator_id": r.get::<_, String>(1)?,
                    "operator_name": r.get::<_, String>(2)?, "rule": r.get::<_, String>(3)?,
                    "reason": r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                }))
            })?
            .collect::<Result<_, _>>()?;
    }
    drop(conn);
    set(&mut ctx, "appeals", Value::Array(appeals));
    set(&mut ctx, "appeals_role", appeals_role.into());
    Ok(c.page("queue.html", ctx))
}

/// POST /queue/done: a sampled call looked at with nothing to change.
pub(super) fn done(c: &Ctx) -> anyhow::Result<Resp> {
    let id = c.r.f("call_id");
    let Some(row) = super::web::scoped_call(c, &id)? else {
        return Ok(super::web::not_found(c));
    };
    let conn = db(c.app);
    conn.execute(
        "INSERT OR IGNORE INTO sample_done(call_id, by_user, at) VALUES (?1, ?2, ?3)",
        params![row.call_id, c.user.name, super::db::now_utc()],
    )?;
    drop(conn);
    c.audit("sample_done", &row.call_id, "")?;
    let day = c.r.f("day");
    if NaiveDate::parse_from_str(&day, "%Y-%m-%d").is_err() {
        return Ok(c.msg(StatusCode::OK, "已记下", "已记为复核过（没有要改的）。"));
    }
    Ok(Resp::redirect(&format!("/queue?day={}", urlencode(&day))))
}
