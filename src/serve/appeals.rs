//! 申诉: the appeal chain of the workbench. An operator appeals one of
//! the findings of their own call with a reason, within the appeal window
//! (`serve --appeal-days N`, counted from the call's day); the team leader
//! of the call's team passes it up (转质检主管) or rejects it (驳回: the
//! appeal ends and the finding stands, `upheld`); the QA lead decides:
//! 维持 (`upheld`) or 撤销 (`overturned`: the finding no longer costs
//! points, as a dismissed one).
//!
//! Every step is a row of `appeal_steps`, append-only (triggers refuse
//! UPDATE and DELETE), with who, when (the run's local time, as reviews),
//! what and the comment; the appeal's current state and a version number
//! are in `appeals`, so that two people acting on one appeal do not
//! overwrite each other: the second is shown what changed.
//!
//! The steps are review rows with the `appeal` column of reviews.csv
//! (appealed / upheld / overturned): [`review_rows`] hands them to the
//! detail page's scoring and [`export_rows`] writes them into the reviews
//! export, so that `score --reviews` of the export gives the workbench's
//! reviewed scores and appeal counts.

use chrono::{NaiveDate, NaiveDateTime};
use minijinja::Environment;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use super::auth::Role;
use super::detail::{self, CallRow};
use super::web::{db, not_found, scoped_call, urlencode, Ctx, Resp};
use crate::model::Appeal;
use crate::norms::ScoredCall;
use crate::review::reviews::{known_rule, norm_of_rule, Review};
use axum::http::StatusCode;

/// The appeal window and the daily sampling plan's size (`serve` options).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// An operator may appeal a finding until this many days after the
    /// call's day (in the run's time zone), that day included.
    pub appeal_days: i64,
    /// Calls per operator and day in the sampling plan of the review queue.
    pub sample_per_operator: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            appeal_days: 7,
            sample_per_operator: 5,
        }
    }
}

/// The tables of this module and of the review queue. `IF NOT EXISTS`, as
/// the rest of the schema: opening an existing database is the same call.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS appeals(
  id INTEGER PRIMARY KEY,
  finding_id INTEGER NOT NULL UNIQUE REFERENCES findings(id),
  call_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  utterance_index INTEGER,
  state TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS appeals_call ON appeals(call_id);
CREATE INDEX IF NOT EXISTS appeals_state ON appeals(state);
CREATE TABLE IF NOT EXISTS appeal_steps(
  id INTEGER PRIMARY KEY,
  appeal_id INTEGER NOT NULL REFERENCES appeals(id),
  call_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  utterance_index INTEGER,
  step TEXT NOT NULL,
  status TEXT NOT NULL,
  by_user TEXT NOT NULL,
  role TEXT NOT NULL,
  comment TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS appeal_steps_call ON appeal_steps(call_id);
CREATE TRIGGER IF NOT EXISTS appeal_steps_no_update BEFORE UPDATE ON appeal_steps
  BEGIN SELECT RAISE(ABORT, 'appeal history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS appeal_steps_no_delete BEFORE DELETE ON appeal_steps
  BEGIN SELECT RAISE(ABORT, 'appeal history is append-only'); END;
CREATE TABLE IF NOT EXISTS call_reviewed(
  call_id TEXT PRIMARY KEY,
  reviewed_score REAL NOT NULL,
  reviewed_passed INTEGER NOT NULL,
  needs_review INTEGER NOT NULL,
  appeals_pending INTEGER NOT NULL,
  appeals_upheld INTEGER NOT NULL,
  appeals_overturned INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sample_done(
  call_id TEXT PRIMARY KEY,
  by_user TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_days(
  run_id INTEGER PRIMARY KEY REFERENCES runs(id),
  first_day TEXT NOT NULL,
  last_day TEXT NOT NULL
);
";

/// Creates this module's tables (called by [`super::db::open`]).
pub fn schema(conn: &Connection) -> anyhow::Result<()> {
    conn.execute_batch(SCHEMA)?;
    Ok(())
}

/// The templates of the appeal, queue and ranking pages.
pub fn add_templates(env: &mut Environment<'static>) -> anyhow::Result<()> {
    for (name, text) in [
        (
            "appeal_panel.html",
            include_str!("templates/appeal_panel.html"),
        ),
        ("appeals.html", include_str!("templates/appeals.html")),
        (
            "appeal_conflict.html",
            include_str!("templates/appeal_conflict.html"),
        ),
        ("queue.html", include_str!("templates/queue.html")),
        ("rank.html", include_str!("templates/rank.html")),
    ] {
        env.add_template(name, text)
            .map_err(|e| anyhow::anyhow!("模板 {name} 有错（template error）：{e}"))?;
    }
    Ok(())
}

/// An appeal's states: waiting for the team leader, passed up to the QA
/// lead, rejected by the team leader, upheld or overturned by the QA lead.
pub const STATES: [(&str, &str); 5] = [
    ("lead", "待班长处理"),
    ("qa", "待质检主管裁决"),
    ("rejected", "班长驳回（扣分维持）"),
    ("upheld", "维持（扣分成立）"),
    ("overturned", "撤销（不扣分）"),
];

fn state_label(s: &str) -> &'static str {
    STATES
        .iter()
        .find(|(k, _)| *k == s)
        .map_or("未知", |(_, l)| l)
}

/// What each action does: (action, who may, from state, to state, step
/// label, the appeal column it writes, comment required).
const ACTIONS: [(&str, Role, &str, &str, &str, Appeal, bool); 4] = [
    (
        "pass",
        Role::Lead,
        "lead",
        "qa",
        "转质检主管",
        Appeal::Appealed,
        false,
    ),
    (
        "reject",
        Role::Lead,
        "lead",
        "rejected",
        "驳回",
        Appeal::Upheld,
        true,
    ),
    (
        "uphold",
        Role::QaLead,
        "qa",
        "upheld",
        "维持",
        Appeal::Upheld,
        true,
    ),
    (
        "overturn",
        Role::QaLead,
        "qa",
        "overturned",
        "撤销",
        Appeal::Overturned,
        true,
    ),
];

fn step_label(step: &str) -> &'static str {
    match step {
        "filed" => "提出申诉",
        other => ACTIONS
            .iter()
            .find(|a| a.0 == other)
            .map_or("未知", |a| a.4),
    }
}

/// The Chinese label of an appeal status, as reviews.csv spells it.
pub fn appeal_label(a: Appeal) -> &'static str {
    match a {
        Appeal::Appealed => "申诉中",
        Appeal::Upheld => "申诉维持",
        Appeal::Overturned => "申诉撤销",
    }
}

/// The call's appeal steps as review rows (appeal column only), with their
/// time, oldest first.
pub fn review_rows(conn: &Connection, call_id: &str) -> anyhow::Result<Vec<(Review, String)>> {
    let mut st = conn.prepare(
        "SELECT id, rule, utterance_index, status, by_user, comment, at FROM appeal_steps WHERE call_id = ?1 ORDER BY id",
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
        let (id, rule, utt, status, by, comment, at) = row?;
        let (Some(rule_id), Some(norm), Some(appeal)) = (
            known_rule(&rule),
            norm_of_rule(&rule),
            Appeal::parse(&status),
        ) else {
            continue;
        };
        out.push((
            Review {
                call_id: call_id.to_string(),
                norm,
                rule: rule_id,
                utterance_index: utt.and_then(|u| usize::try_from(u).ok()),
                verdict: None,
                appeal: Some(appeal),
                points: None,
                reviewer: by,
                reviewed_at: NaiveDateTime::parse_from_str(&at, "%Y-%m-%d %H:%M:%S").ok(),
                comment,
                line: u64::try_from(id).unwrap_or(0),
            },
            at,
        ));
    }
    Ok(out)
}

/// Keeps the call's reviewed figures that the ranking needs beside the
/// run's own (the run's calls.parquet has them for calls nobody touched).
pub fn store_reviewed(conn: &Connection, call_id: &str, s: &ScoredCall) -> anyhow::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO call_reviewed(call_id, reviewed_score, reviewed_passed, needs_review,
           appeals_pending, appeals_upheld, appeals_overturned) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            call_id,
            s.reviewed_score,
            s.reviewed_passed,
            s.needs_review,
            s.appeals[0],
            s.appeals[1],
            s.appeals[2]
        ],
    )?;
    Ok(())
}

/// The columns of the reviews export: reviews.csv's, with `appeal`.
pub const EXPORT_COLUMNS: [&str; 8] = [
    "call_id",
    "rule",
    "utterance_index",
    "verdict",
    "appeal",
    "reviewer",
    "reviewed_at",
    "comment",
];

/// Every review and every appeal step as rows of [`EXPORT_COLUMNS`], in
/// the order the workbench applies them: by time, and at the same time
/// reviews before appeal steps, each in the order they were made. Written
/// in this order, `score --reviews` (which applies rows by time, then by
/// line) applies them in the same order.
pub fn export_rows(conn: &Connection) -> anyhow::Result<Vec<[String; 8]>> {
    let utt = |u: Option<i64>| u.map(|u| u.to_string()).unwrap_or_default();
    let mut rows: Vec<(String, [String; 8])> = Vec::new();
    let mut st = conn.prepare(
        "SELECT call_id, rule, utterance_index, verdict, reviewer, reviewed_at, comment FROM reviews ORDER BY id",
    )?;
    let mut q = st.query([])?;
    while let Some(r) = q.next()? {
        let at: String = r.get(5)?;
        rows.push((
            at.clone(),
            [
                r.get(0)?,
                r.get(1)?,
                utt(r.get(2)?),
                r.get(3)?,
                String::new(),
                r.get(4)?,
                at,
                r.get(6)?,
            ],
        ));
    }
    drop(q);
    drop(st);
    let mut st = conn.prepare(
        "SELECT call_id, rule, utterance_index, status, by_user, at, comment FROM appeal_steps ORDER BY id",
    )?;
    let mut q = st.query([])?;
    while let Some(r) = q.next()? {
        let at: String = r.get(5)?;
        rows.push((
            at.clone(),
            [
                r.get(0)?,
                r.get(1)?,
                utt(r.get(2)?),
                String::new(),
                r.get(3)?,
                r.get(4)?,
                at,
                r.get(6)?,
            ],
        ));
    }
    // Stable: equal times keep reviews first, each in id order.
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// The last day an appeal on a call of `day` (YYYY-MM-DD) may be filed.
fn deadline(day: &str, days: i64) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(day.get(..10)?, "%Y-%m-%d")
        .ok()?
        .checked_add_signed(chrono::Duration::days(days))
}

/// Today and now in the call's run's time zone.
fn local_now(c: &Ctx, row: &CallRow) -> anyhow::Result<(NaiveDate, String)> {
    let offset = detail::run_offset(c.app, row)?;
    let now = chrono::Utc::now().with_timezone(&offset);
    Ok((
        now.date_naive(),
        now.format("%Y-%m-%d %H:%M:%S").to_string(),
    ))
}

/// An appeal's current state.
struct AppealRow {
    id: i64,
    state: String,
    version: i64,
}

/// A finding of the call shown in the appeal panel, with its appeal if any.
struct PanelFinding {
    fid: i64,
    norm: String,
    rule: String,
    utt: Option<i64>,
    points: f64,
    verdict: String,
    appeal: Option<AppealRow>,
}

fn steps_of(conn: &Connection, appeal_id: i64) -> anyhow::Result<Vec<Value>> {
    let mut st = conn.prepare(
        "SELECT step, by_user, role, comment, at FROM appeal_steps WHERE appeal_id = ?1 ORDER BY id",
    )?;
    let v = st
        .query_map([appeal_id], |r| {
            let step: String = r.get(0)?;
            let role: String = r.get(2)?;
            Ok(json!({
                "step": step_label(&step), "key": step, "by": r.get::<_, String>(1)?,
                "role": Role::parse(&role).map_or("", |x| x.name_zh()),
                "comment": r.get::<_, String>(3)?, "at": r.get::<_, String>(4)?,
            }))
        })?
        .collect::<Result<_, _>>()?;
    Ok(v)
}

/// The call page's 申诉 section: each finding of the call with its appeal
/// (state, history) and the forms this user may submit.
pub(super) fn panel(c: &Ctx, row: &CallRow) -> anyhow::Result<Value> {
    let settings = c.app.workflow;
    let (today, _) = match local_now(c, row) {
        Ok(t) => t,
        Err(_) => (chrono::Utc::now().date_naive(), String::new()),
    };
    let last = deadline(&row.started_at, settings.appeal_days);
    let open = last.is_some_and(|d| today <= d);
    let conn = db(c.app);
    let mut st = conn.prepare(
        "SELECT f.id, f.norm, f.rule, f.utterance_index, f.points, f.verdict, a.id, a.state, a.version
         FROM findings f LEFT JOIN appeals a ON a.finding_id = f.id WHERE f.call_id = ?1 ORDER BY f.id",
    )?;
    let found: Vec<PanelFinding> = st
        .query_map([&row.call_id], |r| {
            let aid: Option<i64> = r.get(6)?;
            let fid: i64 = r.get(0)?;
            Ok(PanelFinding {
                fid,
                norm: r.get(1)?,
                rule: r.get(2)?,
                utt: r.get(3)?,
                points: r.get(4)?,
                verdict: r.get(5)?,
                appeal: match aid {
                    Some(id) => Some(AppealRow {
                        id,
                        state: r.get(7)?,
                        version: r.get(8)?,
                    }),
                    None => None,
                },
            })
        })?
        .collect::<Result<_, _>>()?;
    drop(st);
    let role = c.user.role;
    let mut items = Vec::new();
    for PanelFinding {
        fid,
        norm,
        rule,
        utt,
        points,
        verdict,
        appeal,
    } in found
    {
        let norm_zh =
            crate::model::NormId::parse(&norm).map_or(norm.clone(), |n| n.name_zh().into());
        let mut v = json!({
            "fid": fid, "norm": norm_zh, "rule": rule,
            "utt": utt.map(|u| u.to_string()).unwrap_or_default(),
            "points": crate::report::num(points),
            "dismissed": verdict == "dismissed",
        });
        if let Value::Object(m) = &mut v {
            match &appeal {
                Some(a) => {
                    m.insert("appeal_id".into(), a.id.into());
                    m.insert("version".into(), a.version.into());
                    m.insert("state".into(), a.state.clone().into());
                    m.insert("state_zh".into(), state_label(&a.state).into());
                    m.insert("steps".into(), Value::Array(steps_of(&conn, a.id)?));
                    let actions: Vec<Value> = ACTIONS
                        .iter()
                        .filter(|x| x.1 == role && x.2 == a.state)
                        .map(|x| json!({"key": x.0, "label": x.4, "needs_comment": x.6}))
                        .collect();
                    m.insert("actions".into(), Value::Array(actions));
                }
                None => {
                    m.insert(
                        "can_file".into(),
                        (role == Role::Operator && open && verdict != "dismissed").into(),
                    );
                }
            }
        }
        items.push(v);
    }
    Ok(json!({
        "items": items,
        "operator": role == Role::Operator,
        "open": open,
        "deadline": last.map(|d| d.to_string()).unwrap_or_default(),
        "days": settings.appeal_days,
    }))
}

fn back_to_call(call_id: &str) -> Resp {
    Resp::redirect(&format!("/call?id={}#appeals", urlencode(call_id)))
}

/// Stores the call's reviewed score again after a step (as after a review).
fn refresh(c: &Ctx, row: &CallRow) {
    if let Err(e) = detail::refresh_reviewed(c.app, row) {
        eprintln!(
            "hotline-qa serve: 通话 {} 的复核后得分未能更新：{e:#}",
            row.call_id
        );
    }
}

/// POST /appeal: an operator appeals a finding of their own call.
pub(super) fn file(c: &Ctx) -> anyhow::Result<Resp> {
    if c.user.role != Role::Operator {
        c.refuse("提出申诉（只有话务员对自己的通话可以申诉）")?;
    }
    let id = c.r.f("call_id");
    let Some(row) = scoped_call(c, &id)? else {
        if !id.is_empty() {
            c.audit("refused", &id, "appeal: call not found or out of scope")?;
        }
        return Ok(not_found(c));
    };
    let reason: String = c.r.f("reason").chars().take(500).collect();
    if reason.chars().count() < 2 {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "要写申诉理由",
            "申诉要写明理由（至少两个字），请返回通话页面在「申诉理由」里填写后再提交（reason required）",
        ));
    }
    let settings = c.app.workflow;
    let (today, at) = local_now(c, &row)?;
    let last = deadline(&row.started_at, settings.appeal_days);
    if last.is_none_or(|d| today > d) {
        c.audit("appeal_refused", &row.call_id, "outside the appeal window")?;
        return Ok(c.msg(
            StatusCode::FORBIDDEN,
            "已过申诉期限",
            &format!(
                "这通电话（{}）的申诉期限是通话当天起 {} 天内，截止 {}，已经过了，不能再申诉；如有特殊情况请找班长（appeal window closed）",
                row.started_at,
                settings.appeal_days,
                last.map(|d| d.to_string()).unwrap_or_default()
            ),
        ));
    }
    let fid: i64 = c.r.f("fid").parse().unwrap_or(-1);
    let mut conn = db(c.app);
    let tx = conn.transaction()?;
    let finding: Option<(String, Option<i64>, String)> = tx
        .query_row(
            "SELECT rule, utterance_index, verdict FROM findings WHERE id = ?1 AND call_id = ?2",
            params![fid, row.call_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((rule, utt, verdict)) = finding else {
        drop(tx);
        drop(conn);
        return Ok(c.msg(
            StatusCode::NOT_FOUND,
            "找不到这条扣分",
            "这通电话里没有这条扣分，请回到通话页面重新打开（finding not found）",
        ));
    };
    if verdict == "dismissed" {
        drop(tx);
        drop(conn);
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "这条扣分已判为误判",
            "质检员已经把这条扣分判为误判，不再扣分，不用申诉（finding already dismissed）",
        ));
    }
    let known: Option<String> = tx
        .query_row(
            "SELECT state FROM appeals WHERE finding_id = ?1",
            [fid],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(state) = known {
        drop(tx);
        drop(conn);
        return Ok(c.msg(
            StatusCode::CONFLICT,
            "这条扣分已经申诉过",
            &format!(
                "这条扣分已经有申诉，现在的状态是「{}」；一条扣分只能申诉一次，请回到通话页面查看处理记录（already appealed）",
                state_label(&state)
            ),
        ));
    }
    tx.execute(
        "INSERT INTO appeals(finding_id, call_id, rule, utterance_index, state, version) VALUES (?1, ?2, ?3, ?4, 'lead', 0)",
        params![fid, row.call_id, rule, utt],
    )?;
    let aid = tx.last_insert_rowid();
    // The list's remembered counts of 「只看有申诉的」 are stale now.
    super::list::calls_changed();
    tx.execute(
        "INSERT INTO appeal_steps(appeal_id, call_id, rule, utterance_index, step, status, by_user, role, comment, at)
         VALUES (?1, ?2, ?3, ?4, 'filed', 'appealed', ?5, ?6, ?7, ?8)",
        params![aid, row.call_id, rule, utt, c.user.name, c.user.role.key(), reason, at],
    )?;
    tx.execute(
        "INSERT INTO audit(at, user, action, call_id, detail, addr) VALUES (?1, ?2, 'appeal_filed', ?3, ?4, ?5)",
        params![
            super::db::now_utc(),
            c.user.name,
            row.call_id,
            format!("appeal {aid} finding {fid} {rule}：{reason}"),
            c.r.addr
        ],
    )?;
    tx.commit()?;
    drop(conn);
    refresh(c, &row);
    Ok(back_to_call(&row.call_id))
}

/// POST /appeal/act: the team leader passes or rejects, the QA lead
/// upholds or overturns. The role decides which actions exist at all
/// (403 otherwise); a stale version shows what changed.
pub(super) fn act(c: &Ctx) -> anyhow::Result<Resp> {
    let action = c.r.f("action");
    let Some(&(key, who, from, to, label, status, needs_comment)) =
        ACTIONS.iter().find(|a| a.0 == action)
    else {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "操作不对",
            "申诉只能转质检主管、驳回、维持或撤销，请回到通话页面重新选择（unknown action）",
        ));
    };
    if c.user.role != who {
        c.refuse(&format!("对申诉「{label}」（这一步由{}做）", who.name_zh()))?;
    }
    let aid: i64 = c.r.f("appeal_id").parse().unwrap_or(-1);
    let version: i64 = c.r.f("version").parse().unwrap_or(-1);
    let call_id: Option<String> = db(c.app)
        .query_row("SELECT call_id FROM appeals WHERE id = ?1", [aid], |r| {
            r.get(0)
        })
        .optional()?;
    // The call's scope decides too: a team leader acts only on their team's.
    let row = match call_id {
        Some(id) => scoped_call(c, &id)?,
        None => None,
    };
    let Some(row) = row else {
        c.audit(
            "refused",
            "",
            &format!("appeal {aid}: not found or out of scope"),
        )?;
        return Ok(c.msg(
            StatusCode::NOT_FOUND,
            "找不到这条申诉",
            "找不到这条申诉，或您无权处理：请从「申诉」页面进入（appeal not found）",
        ));
    };
    let comment: String = c.r.f("comment").chars().take(500).collect();
    if needs_comment && comment.chars().count() < 2 {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "要写处理意见",
            &format!("「{label}」要写明意见（至少两个字，话务员会看到），请返回通话页面填写后再提交（comment required）"),
        ));
    }
    let (_, at) = local_now(c, &row)?;
    let mut conn = db(c.app);
    let tx = conn.transaction()?;
    let (rule, utt, state, cur_version): (String, Option<i64>, String, i64) = tx.query_row(
        "SELECT rule, utterance_index, state, version FROM appeals WHERE id = ?1",
        [aid],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    if cur_version != version {
        // Someone acted since the page was opened: nothing is written; the
        // user sees the last step and decides again.
        let last: Option<(String, String, String, String)> = tx
            .query_row(
                "SELECT step, by_user, at, comment FROM appeal_steps WHERE appeal_id = ?1 ORDER BY id DESC LIMIT 1",
                [aid],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        drop(tx);
        drop(conn);
        let (step, by, when, note) = last.unwrap_or_default();
        return Ok(c.page_status(
            StatusCode::CONFLICT,
            "appeal_conflict.html",
            json!({
                "call_id": row.call_id, "appeal_id": aid, "version": cur_version, "rule": rule,
                "state_zh": state_label(&state), "still": state == from,
                "other": {"step": step_label(&step), "by": by, "at": when, "comment": note},
                "mine": {"key": key, "label": label, "comment": comment},
            }),
        ));
    }
    if state != from {
        drop(tx);
        drop(conn);
        return Ok(c.msg(
            StatusCode::CONFLICT,
            "这一步现在不能做",
            &format!(
                "这条申诉现在的状态是「{}」，不能「{label}」：请回到通话页面查看处理记录（wrong state）",
                state_label(&state)
            ),
        ));
    }
    let n = tx.execute(
        "UPDATE appeals SET state = ?3, version = version + 1 WHERE id = ?1 AND version = ?2",
        params![aid, version, to],
    )?;
    if n != 1 {
        anyhow::bail!("这条申诉同时被处理，请刷新页面后重试（concurrent update）");
    }
    tx.execute(
        "INSERT INTO appeal_steps(appeal_id, call_id, rule, utterance_index, step, status, by_user, role, comment, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![aid, row.call_id, rule, utt, key, status.key(), c.user.name, c.user.role.key(), comment, at],
    )?;
    tx.execute(
        "INSERT INTO audit(at, user, action, call_id, detail, addr) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            super::db::now_utc(),
            c.user.name,
            format!("appeal_{key}"),
            row.call_id,
            format!("appeal {aid} {rule} → {to}：{comment}"),
            c.r.addr
        ],
    )?;
    tx.commit()?;
    drop(conn);
    refresh(c, &row);
    Ok(back_to_call(&row.call_id))
}

/// GET /appeals: the appeals this user may see, by state. The operator
/// sees their own, the team leader their team's (by default those waiting
/// for them), the QA lead and everyone else all (the QA lead by default
/// those passed up); 管理 only reads.
pub(super) fn list(c: &Ctx) -> anyhow::Result<Resp> {
    let (cond, p) = c.scope();
    let default = match c.user.role {
        Role::Lead => "lead",
        Role::QaLead => "qa",
        _ => "all",
    };
    let asked = c.r.q("state");
    let state = if asked.is_empty() {
        default.to_string()
    } else {
        asked
    };
    let state = if state == "all" || STATES.iter().any(|(k, _)| *k == state) {
        state
    } else {
        "all".to_string()
    };
    let conn = super::web::reader(c.app);
    let mut counts = std::collections::HashMap::new();
    {
        let mut st = conn.prepare(&format!(
            "SELECT a.state, COUNT(*) FROM appeals a JOIN calls ON calls.call_id = a.call_id WHERE {cond} GROUP BY a.state"
        ))?;
        let mut q = st.query([&p])?;
        while let Some(r) = q.next()? {
            counts.insert(r.get::<_, String>(0)?, r.get::<_, i64>(1)?);
        }
    }
    let total: i64 = counts.values().sum();
    let mut tabs = vec![json!({"key": "all", "name": "全部", "n": total, "on": state == "all"})];
    for (k, name) in STATES {
        tabs.push(json!({"key": k, "name": name, "n": counts.get(k).copied().unwrap_or(0), "on": state == k}));
    }
    let mut st = conn.prepare(&format!(
        "SELECT a.id, a.call_id, a.rule, a.utterance_index, a.state, calls.operator_id, calls.operator_name, calls.team, calls.started_at,
           (SELECT by_user || ' ' || at FROM appeal_steps s WHERE s.appeal_id = a.id AND s.step = 'filed'),
           (SELECT comment FROM appeal_steps s WHERE s.appeal_id = a.id AND s.step = 'filed'),
           (SELECT at FROM appeal_steps s WHERE s.appeal_id = a.id ORDER BY s.id DESC LIMIT 1)
         FROM appeals a JOIN calls ON calls.call_id = a.call_id
         WHERE {cond} AND (a.state = ? OR ? = 'all') ORDER BY a.id DESC LIMIT 500"
    ))?;
    let rows: Vec<Value> = st
        .query_map(params![p, state, state], |r| {
            let s: String = r.get(4)?;
            Ok(json!({
                "id": r.get::<_, i64>(0)?, "call_id": r.get::<_, String>(1)?,
                "rule": r.get::<_, String>(2)?,
                "utt": r.get::<_, Option<i64>>(3)?.map(|u| u.to_string()).unwrap_or_default(),
                "state": s, "state_zh": state_label(&s),
                "operator_id": r.get::<_, String>(5)?, "operator_name": r.get::<_, String>(6)?,
                "team": r.get::<_, String>(7)?, "started_at": r.get::<_, String>(8)?,
                "filed": r.get::<_, Option<String>>(9)?.unwrap_or_default(),
                "reason": r.get::<_, Option<String>>(10)?.unwrap_or_default(),
                "last_at": r.get::<_, Option<String>>(11)?.unwrap_or_default(),
            }))
        })?
        .collect::<Result<_, _>>()?;
    drop(st);
    drop(conn);
    let note = match c.user.role {
        Role::Operator => "这里是您自己的申诉。在通话详情的「申诉」一栏对扣分提出申诉。",
        Role::Lead => "这里是本班组的申诉：在通话详情里转质检主管或驳回。",
        Role::QaLead => "班长转上来的申诉在「待质检主管裁决」：在通话详情里维持或撤销。",
        _ => "只读：申诉由话务员提出、班长转交、质检主管裁决。",
    };
    Ok(c.page(
        "appeals.html",
        json!({"tabs": tabs, "rows": rows, "state": state, "note": note, "scope": c.scope_label()}),
    ))
}

/// Computes `call_reviewed` for the calls reviewed or appealed before the
/// table existed (a database of an earlier workbench), so that the ranking
/// sees their decisions. Returns how many calls were done.
pub fn backfill(app: &super::web::App) -> anyhow::Result<usize> {
    let rows: Vec<CallRow> = {
        let conn = db(app);
        let mut st = conn.prepare(
            "SELECT calls.call_id, calls.run_id, runs.path, started_at, operator_id, operator_name, team, score, reviewed_score
             FROM calls JOIN runs ON runs.id = calls.run_id
             WHERE calls.call_id IN (SELECT call_id FROM reviews UNION SELECT call_id FROM appeal_steps)
               AND calls.call_id NOT IN (SELECT call_id FROM call_reviewed)",
        )?;
        let v = st
            .query_map([], |r| {
                Ok(CallRow {
                    call_id: r.get(0)?,
                    run_id: r.get(1)?,
                    run_path: std::path::PathBuf::from(r.get::<_, String>(2)?),
                    started_at: r.get(3)?,
                    operator_id: r.get(4)?,
                    operator_name: r.get(5)?,
                    team: r.get(6)?,
                    score: r.get(7)?,
                    reviewed_score: r.get(8)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        v
    };
    let mut done = 0;
    for row in &rows {
        match detail::refresh_reviewed(app, row) {
            Ok(()) => done += 1,
            Err(e) => eprintln!(
                "hotline-qa serve: 通话 {} 的复核后结果未能补算（排名里按运行本身的结果算）：{e:#}",
                row.call_id
            ),
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with_a_call() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().expect("tmp");
        let conn = super::super::db::open(&dir.path().join("a.sqlite")).expect("open");
        conn.execute_batch(
            "INSERT INTO runs(id, path, imported_at, calls, findings, duplicates, seconds) VALUES (1, '/r', 'x', 1, 1, 0, 0);
             INSERT INTO calls(call_id, run_id, day, started_at, operator_id, operator_name, team, score, passed, red_line, reviewed_score, needs_review, critical, findings)
               VALUES ('c1', 1, '2026-11-27', '2026-11-27T09:00:00+08:00', '1024', '李', 'A班', 90, 1, 0, 90, 0, 0, 1);
             INSERT INTO findings(id, call_id, norm, rule, severity, points, utterance_index, needs_review)
               VALUES (7, 'c1', 'taboo', 'taboo.blame', 'deduct', 10, 3, 0);
             INSERT INTO appeals(id, finding_id, call_id, rule, utterance_index, state, version)
               VALUES (1, 7, 'c1', 'taboo.blame', 3, 'lead', 0);",
        )
        .expect("rows");
        (dir, conn)
    }

    fn step(conn: &Connection, step: &str, status: &str, at: &str) {
        conn.execute(
            "INSERT INTO appeal_steps(appeal_id, call_id, rule, utterance_index, step, status, by_user, role, comment, at)
             VALUES (1, 'c1', 'taboo.blame', 3, ?1, ?2, 'op', 'operator', '理由', ?3)",
            params![step, status, at],
        )
        .expect("step");
    }

    #[test]
    fn appeal_history_refuses_updates_and_deletes() {
        let (_dir, conn) = db_with_a_call();
        step(&conn, "filed", "appealed", "2026-11-28 10:00:00");
        assert!(conn
            .execute("UPDATE appeal_steps SET status = 'overturned'", [])
            .is_err());
        assert!(conn.execute("DELETE FROM appeal_steps", []).is_err());
        // Must-not: the appeal's current state itself may change.
        assert_eq!(
            conn.execute(
                "UPDATE appeals SET state = 'qa', version = 1 WHERE id = 1",
                []
            )
            .expect("update"),
            1
        );
        let status: String = conn
            .query_row("SELECT status FROM appeal_steps", [], |r| r.get(0))
            .expect("row");
        assert_eq!(status, "appealed");
    }

    #[test]
    fn appeal_window_counts_the_calls_day_and_n_days_more() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(
            deadline("2026-11-27T09:00:00+08:00", 7),
            Some(d("2026-12-04"))
        );
        assert_eq!(deadline("2026-11-27", 0), Some(d("2026-11-27")));
        assert_eq!(deadline("", 7), None);
        assert_eq!(deadline("yesterday", 7), None);
    }

    #[test]
    fn export_orders_rows_by_time_and_reviews_before_appeal_steps_at_the_same_second() {
        let (_dir, conn) = db_with_a_call();
        let review = |at: &str, verdict: &str| {
            conn.execute(
                "INSERT INTO reviews(finding_id, call_id, rule, utterance_index, verdict, reviewer, comment, reviewed_at)
                 VALUES (7, 'c1', 'taboo.blame', 3, ?1, 'qa', '', ?2)",
                params![verdict, at],
            )
            .expect("review");
        };
        step(&conn, "filed", "appealed", "2026-11-28 10:00:00");
        review("2026-11-28 10:00:00", "confirmed");
        review("2026-11-28 09:00:00", "dismissed");
        step(&conn, "overturn", "overturned", "2026-11-29 08:00:00");
        let rows = export_rows(&conn).expect("rows");
        let order: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r[3].as_str(), r[4].as_str()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("dismissed", ""),
                ("confirmed", ""),
                ("", "appealed"),
                ("", "overturned")
            ]
        );
        // The workbench's own scoring sees the appeal steps in that order too.
        let steps = review_rows(&conn, "c1").expect("steps");
        let a: Vec<_> = steps.iter().map(|(r, _)| r.appeal).collect();
        assert_eq!(a, vec![Some(Appeal::Appealed), Some(Appeal::Overturned)]);
        assert_eq!(steps[0].0.utterance_index, Some(3));
    }
}
