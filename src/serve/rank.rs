//! 话务员 / 班组: the ranking on reviewed scores over a day range, with
//! each operator's trend (mean reviewed score per day).
//!
//! The numbers are those of `score --reviews`'s operators.csv and
//! teams.csv with the workbench's decisions, by construction: the calls
//! are the imported runs' own calls.parquet rows, with the reviewed
//! columns (reviewed score and pass, open reviews, appeals) replaced by
//! the workbench's for the calls someone reviewed or appealed
//! (`call_reviewed`, kept by [`super::appeals::store_reviewed`]), and the
//! arithmetic is the report's ([`crate::report::aggregate::operator_team_rows`]
//! and [`crate::report::aggregate::rank`]), not a copy of it.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::auth::Role;
use super::web::{db, Ctx, Resp};
use crate::report::aggregate::{self, OperatorRow};
use axum::http::StatusCode;

/// An imported run whose calls fall (partly) in a day range.
pub struct RunRef {
    /// Row id in `runs`.
    pub id: i64,
    /// The run's folder.
    pub path: PathBuf,
    /// Calls of this run that were already in the database from an earlier
    /// run (the database keeps the earlier one's).
    pub duplicates: i64,
}

/// The first and last day of a run's calls, from its calls.parquet.
fn run_span(path: &Path) -> anyhow::Result<Option<(String, String)>> {
    let Some(lf) = aggregate::scan(&[path.to_path_buf()], "calls.parquet")? else {
        return Ok(None);
    };
    let df = lf
        .select([
            col("date").cast(DataType::String).min().alias("lo"),
            col("date").cast(DataType::String).max().alias("hi"),
        ])
        .collect()?;
    let get = |name: &str| -> anyhow::Result<Option<String>> {
        let c = df.column(name)?.cast(&DataType::String)?;
        Ok(c.str()?.get(0).map(str::to_string))
    };
    Ok(match (get("lo")?, get("hi")?) {
        (Some(lo), Some(hi)) => Some((lo, hi)),
        _ => None,
    })
}

/// The runs with calls between `from` and `to` (YYYY-MM-DD, inclusive), in
/// import order. Each run's span is read once from its calls.parquet and
/// kept in `run_days` (runs do not change once imported).
pub fn runs_between(conn: &Connection, from: &str, to: &str) -> anyhow::Result<Vec<RunRef>> {
    let missing: Vec<(i64, String)> = {
        let mut st = conn.prepare(
            "SELECT id, path FROM runs WHERE id NOT IN (SELECT run_id FROM run_days) ORDER BY id",
        )?;
        let v = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        v
    };
    for (id, path) in missing {
        // A run without calls.parquet (or one that cannot be read) cannot
        // be ranked; it is looked at again next time.
        match run_span(Path::new(&path)) {
            Ok(Some((lo, hi))) => {
                conn.execute(
                    "INSERT OR REPLACE INTO run_days(run_id, first_day, last_day) VALUES (?1, ?2, ?3)",
                    params![id, lo, hi],
                )?;
            }
            Ok(None) => {}
            Err(e) => eprintln!("hotline-qa serve: 读不了运行 {path} 的 calls.parquet：{e:#}"),
        }
    }
    let mut st = conn.prepare(
        "SELECT runs.id, runs.path, runs.duplicates FROM runs JOIN run_days d ON d.run_id = runs.id
         WHERE d.first_day <= ?2 AND d.last_day >= ?1 ORDER BY runs.id",
    )?;
    let v = st
        .query_map(params![from, to], |r| {
            Ok(RunRef {
                id: r.get(0)?,
                path: PathBuf::from(r.get::<_, String>(1)?),
                duplicates: r.get(2)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

fn strings(
    conn: &Connection,
    sql: &str,
    p: &[&dyn rusqlite::ToSql],
) -> anyhow::Result<Vec<String>> {
    let mut st = conn.prepare(sql)?;
    let v = st
        .query_map(p, |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// The calls between `from` and `to` as the runs' calls.parquet rows that
/// the database holds (a call in two runs counts once, from the run the
/// database took it from), as the runs wrote them. None: no run in the range.
pub fn run_calls(conn: &Connection, from: &str, to: &str) -> anyhow::Result<Option<LazyFrame>> {
    let runs = runs_between(conn, from, to)?;
    let mut frames = Vec::new();
    for run in &runs {
        let Some(lf) = aggregate::scan(std::slice::from_ref(&run.path), "calls.parquet")? else {
            continue;
        };
        let mut lf = lf.filter(
            col("date")
                .cast(DataType::String)
                .gt_eq(lit(from.to_string()))
                .and(
                    col("date")
                        .cast(DataType::String)
                        .lt_eq(lit(to.to_string())),
                ),
        );
        if run.duplicates > 0 {
            // Some of this run's calls were already in the database from
            // an earlier run: only the ones stored from this run count.
            let ids = strings(
                conn,
                "SELECT call_id FROM calls WHERE run_id = ?1 AND day BETWEEN ?2 AND ?3",
                &[&run.id, &from, &to],
            )?;
            let ids = DataFrame::new(ids.len(), vec![Column::new("call_id".into(), ids)])?.lazy();
            lf = lf.join(
                ids,
                [col("call_id")],
                [col("call_id")],
                JoinArgs {
                    maintain_order: MaintainOrderJoin::Left,
                    ..JoinArgs::new(JoinType::Inner)
                },
            );
        }
        frames.push(lf);
    }
    if frames.is_empty() {
        return Ok(None);
    }
    Ok(Some(concat(frames, UnionArgs::default())?))
}

/// [`run_calls`] with the workbench's reviewed columns in place of the
/// run's where the workbench has them (calls someone reviewed or appealed).
pub fn calls_frame(conn: &Connection, from: &str, to: &str) -> anyhow::Result<Option<LazyFrame>> {
    let Some(calls) = run_calls(conn, from, to)? else {
        return Ok(None);
    };
    // The workbench's decisions.
    let mut st = conn.prepare(
        "SELECT r.call_id, r.reviewed_score, r.reviewed_passed, r.needs_review, r.appeals_pending, r.appeals_upheld, r.appeals_overturned
         FROM call_reviewed r JOIN calls c ON c.call_id = r.call_id WHERE c.day BETWEEN ?1 AND ?2",
    )?;
    let mut ids = Vec::new();
    let mut score = Vec::new();
    let mut passed = Vec::new();
    let mut ints: [Vec<i64>; 4] = Default::default();
    let mut q = st.query(params![from, to])?;
    while let Some(r) = q.next()? {
        ids.push(r.get::<_, String>(0)?);
        score.push(r.get::<_, f64>(1)?);
        passed.push(r.get::<_, bool>(2)?);
        for (k, v) in ints.iter_mut().enumerate() {
            v.push(r.get::<_, i64>(3 + k)?);
        }
    }
    drop(q);
    drop(st);
    if ids.is_empty() {
        return Ok(Some(calls));
    }
    const INTS: [&str; 4] = [
        "needs_review",
        "appeals_pending",
        "appeals_upheld",
        "appeals_overturned",
    ];
    let n = ids.len();
    let mut cols = vec![
        Column::new("call_id".into(), ids),
        Column::new("wb_reviewed_score".into(), score),
        Column::new("wb_reviewed_passed".into(), passed),
    ];
    for (name, v) in INTS.iter().zip(ints) {
        cols.push(Column::new(format!("wb_{name}").into(), v));
    }
    let wb = DataFrame::new(n, cols)?.lazy();
    let joined = calls.join(
        wb,
        [col("call_id")],
        [col("call_id")],
        JoinArgs {
            maintain_order: MaintainOrderJoin::Left,
            ..JoinArgs::new(JoinType::Left)
        },
    );
    let has = col("wb_reviewed_score").is_not_null();
    let mut replace = vec![
        when(has.clone())
            .then(col("wb_reviewed_score"))
            .otherwise(col("reviewed_score"))
            .alias("reviewed_score"),
        when(has.clone())
            .then(col("wb_reviewed_passed"))
            .otherwise(col("reviewed_passed"))
            .alias("reviewed_passed"),
    ];
    for name in INTS {
        replace.push(
            when(has.clone())
                .then(col(format!("wb_{name}").as_str()))
                .otherwise(col(name).cast(DataType::Int64))
                .alias(name),
        );
    }
    Ok(Some(joined.with_columns(replace)))
}

/// The scorecard of the last run in the range (its minimum of calls to be
/// ranked and its pass mark).
pub fn last_config(runs: &[RunRef]) -> anyhow::Result<crate::config::Config> {
    match runs.last() {
        Some(r) => crate::review::manifest::Manifest::read(&r.path)?.config(&r.path),
        None => Ok(crate::config::Config::default()),
    }
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// The latest day with calls this user may see.
pub(super) fn latest_day(c: &Ctx) -> anyhow::Result<Option<String>> {
    let (cond, p) = c.scope();
    Ok(db(c.app)
        .query_row(
            &format!("SELECT MAX(day) FROM calls WHERE {cond}"),
            [&p],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

fn row_json(o: &OperatorRow) -> Value {
    json!({
        "rank": o.rank.map(|r| r.to_string()).unwrap_or_default(),
        "operator_id": o.operator_id, "operator_name": o.operator_name, "team": o.team,
        "calls": o.calls,
        "mean": crate::report::num(o.mean),
        "reviewed_mean": crate::report::num(o.reviewed_mean),
        "reviewed_pass_rate": format!("{:.4}", o.reviewed_pass_rate),
        "reviewed_pass_pct": format!("{:.1}%", o.reviewed_pass_rate * 100.0),
        "red_lines": o.red_lines,
        "needs_review": o.needs_review,
        "appeals": o.appeals.iter().sum::<u64>(),
        "appeals_pending": o.appeals[0], "appeals_upheld": o.appeals[1], "appeals_overturned": o.appeals[2],
    })
}

/// GET /rank?from=&to=: operators and teams on reviewed scores.
pub(super) fn page(c: &Ctx) -> anyhow::Result<Resp> {
    let Some(latest) = latest_day(c)? else {
        return Ok(c.page(
            "rank.html",
            json!({"empty": true, "scope": c.scope_label()}),
        ));
    };
    let latest_d = parse_day(&latest).unwrap_or_default();
    let to_s = c.r.q("to");
    let from_s = c.r.q("from");
    let to = if to_s.is_empty() {
        Some(latest_d)
    } else {
        parse_day(&to_s)
    };
    let from = if from_s.is_empty() {
        to.and_then(|t| t.checked_sub_signed(chrono::Duration::days(6)))
    } else {
        parse_day(&from_s)
    };
    let (Some(from), Some(to)) = (from, to) else {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "日期不对",
            "起止日期要写成 2026-11-27 这样的格式，请返回重新填写（bad date）",
        ));
    };
    if from > to {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "日期不对",
            "开始日期晚于结束日期，请返回重新填写（from after to）",
        ));
    }
    let (from, to) = (from.to_string(), to.to_string());
    let conn = db(c.app);
    let runs = runs_between(&conn, &from, &to)?;
    let config = last_config(&runs)?;
    let frame = calls_frame(&conn, &from, &to)?;
    drop(conn);
    let (mut ops, mut teams, trend) = match &frame {
        Some(lf) => {
            let (ops, teams) = aggregate::operator_team_rows(lf, &config)?;
            (ops, teams, aggregate::reviewed_operator_trend(lf)?)
        }
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    aggregate::rank(&mut ops, config.reports.min_calls_for_rank);
    // The scope: the ranks are over everyone, the rows shown only the user's.
    match c.user.role {
        Role::Operator => {
            ops.retain(|o| o.operator_id == c.user.operator_id);
            teams.clear();
        }
        Role::Lead => {
            ops.retain(|o| o.team == c.user.team);
            teams.retain(|t| t.team == c.user.team);
        }
        _ => {}
    }
    // Each operator's trend as a sparkline over the range's days.
    let mut days: Vec<&str> = trend.iter().map(|t| t.date.as_str()).collect();
    days.sort_unstable();
    days.dedup();
    let step = if days.len() > 1 {
        120.0 / (days.len() - 1) as f64
    } else {
        0.0
    };
    let rows: Vec<Value> = ops
        .iter()
        .map(|o| {
            let mine: Vec<_> = trend.iter().filter(|t| t.key == o.operator_id).collect();
            let points: Vec<String> = mine
                .iter()
                .filter_map(|t| {
                    let x = days.iter().position(|d| *d == t.date)? as f64 * step;
                    let y = (100.0 - t.value?.clamp(0.0, 100.0)) * 0.3 + 1.0;
                    Some(format!("{x:.1},{y:.1}"))
                })
                .collect();
            let text: Vec<String> = mine
                .iter()
                .map(|t| {
                    format!(
                        "{}:{}",
                        t.date,
                        t.value.map(crate::report::num).unwrap_or_default()
                    )
                })
                .collect();
            let mut v = row_json(o);
            if let Value::Object(m) = &mut v {
                // A line needs two days; one day's mean is shown as text.
                m.insert("line".into(), (points.len() > 1).into());
                m.insert("points".into(), points.join(" ").into());
                m.insert("trend".into(), text.join(" ").into());
            }
            v
        })
        .collect();
    let team_rows: Vec<Value> = teams.iter().map(row_json).collect();
    let back = |days: i64| {
        parse_day(&latest)
            .and_then(|d| d.checked_sub_signed(chrono::Duration::days(days)))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    Ok(c.page(
        "rank.html",
        json!({
            "scope": c.scope_label(), "from": from, "to": to, "latest": latest,
            "week": back(6), "month": back(29),
            "operators": rows, "teams": team_rows,
            "min_calls": config.reports.min_calls_for_rank,
            "no_runs": frame.is_none(),
        }),
    ))
}
