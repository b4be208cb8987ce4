//! The 工单时效 page: units and categories with the figures of a run's
//! `units.csv`, over a chosen day range, unit and category, and the
//! tickets behind each count.
//!
//! Nothing about timeliness is computed here. At import each ticket's
//! outcome is copied from the run's `tickets.parquet` — the status, flags
//! and callback facts `workflow::timeliness` decided when the run was
//! scored — into the `tickets` table; the page sums those columns in SQL
//! and turns the sums into rows with [`Tally::row`], the code that makes
//! `units.csv`'s rates. A ticket in several runs keeps the outcome of the
//! run with the latest as-of time (a nightly run sees it later in its
//! life), as `report` keeps the last run's view.
//!
//! Declared inside `web` (`#[path]`), so that it uses the request context
//! and its role checks without widening their visibility.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use axum::http::{header, StatusCode};
use polars::prelude::*;
use rusqlite::{params_from_iter, Transaction};
use serde_json::{json, Value};

use super::{db, pct, urlencode, Ctx, Resp};
use crate::model::Category;
use crate::report::aggregate::strs;
use crate::serve::Role;
use crate::workflow::units::{name_or_unspecified, Tally, UnitRow, TOTAL, UNIT_COLUMNS};

/// The imported tickets' outcomes. `day` is the day the ticket was
/// accepted (受理), or dispatched when it has no acceptance time: the day
/// range of the page.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tickets(
  ticket_id TEXT PRIMARY KEY,
  run_id INTEGER NOT NULL,
  as_of TEXT NOT NULL,
  day TEXT NOT NULL,
  call_id TEXT NOT NULL,
  operator_id TEXT NOT NULL,
  unit TEXT NOT NULL,
  category TEXT NOT NULL,
  urgency TEXT NOT NULL,
  accepted_at TEXT NOT NULL,
  dispatched_at TEXT NOT NULL,
  due_at TEXT NOT NULL,
  completed_at TEXT NOT NULL,
  status TEXT NOT NULL,
  working_days_taken INTEGER,
  dispatched INTEGER NOT NULL,
  urged INTEGER NOT NULL,
  overdue_not_urged INTEGER NOT NULL,
  supervised INTEGER NOT NULL,
  not_supervised INTEGER NOT NULL,
  callback_made INTEGER NOT NULL,
  callback_result TEXT NOT NULL,
  callback_due INTEGER NOT NULL,
  callback_on_time INTEGER NOT NULL,
  caller_masked TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_day ON tickets(day);
CREATE INDEX IF NOT EXISTS tickets_unit ON tickets(unit, day);
CREATE INDEX IF NOT EXISTS tickets_category ON tickets(category, day);
";

/// Rows read from the Parquet file at a time: a day of a million tickets
/// is copied without holding it whole.
const BATCH: usize = 65_536;

/// Ticket rows shown per page of a list.
const LIST_PAGE: i64 = 100;

/// The columns copied, in the order of the INSERT below.
const COLUMNS: [&str; 24] = [
    "ticket_id",
    "as_of",
    "accepted_at",
    "dispatched_date",
    "call_id",
    "operator_id",
    "unit",
    "category",
    "urgency",
    "dispatched_at",
    "due_at",
    "completed_at",
    "status",
    "working_days_taken",
    "dispatched",
    "urged",
    "overdue_not_urged",
    "supervised",
    "not_supervised",
    "callback_made",
    "callback_result",
    "callback_due",
    "callback_on_time",
    "caller_masked",
];

/// Copies the run's ticket outcomes (`tickets.parquet`) into the
/// `tickets` table, inside the import's transaction. A run without the
/// file (no tickets given, or a Spark run) adds none.
pub(crate) fn import_tickets(tx: &Transaction, dir: &Path, run_id: i64) -> anyhow::Result<u64> {
    let file = dir.join("tickets.parquet");
    if !file.is_file() {
        return Ok(0);
    }
    let what = || {
        format!(
            "读不了 {}：请确认它是 hotline-qa score 写出的（cannot read tickets.parquet）",
            file.display()
        )
    };
    let path = PlRefPath::new(file.to_string_lossy().as_ref());
    let mut lf =
        LazyFrame::scan_parquet(path, ScanArgsParquet::default()).map_err(|e| pl(e, what()))?;
    let schema = lf.collect_schema().map_err(|e| pl(e, what()))?;
    let mut ins = tx.prepare(
        "INSERT INTO tickets(ticket_id, run_id, as_of, day, call_id, operator_id, unit, category, urgency,
           accepted_at, dispatched_at, due_at, completed_at, status, working_days_taken, dispatched, urged,
           overdue_not_urged, supervised, not_supervised, callback_made, callback_result, callback_due,
           callback_on_time, caller_masked)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
           ?21, ?22, ?23, ?24, ?25)
         ON CONFLICT(ticket_id) DO UPDATE SET
           run_id = excluded.run_id, as_of = excluded.as_of, day = excluded.day, call_id = excluded.call_id,
           operator_id = excluded.operator_id, unit = excluded.unit, category = excluded.category,
           urgency = excluded.urgency, accepted_at = excluded.accepted_at, dispatched_at = excluded.dispatched_at,
           due_at = excluded.due_at, completed_at = excluded.completed_at, status = excluded.status,
           working_days_taken = excluded.working_days_taken, dispatched = excluded.dispatched,
           urged = excluded.urged, overdue_not_urged = excluded.overdue_not_urged,
           supervised = excluded.supervised, not_supervised = excluded.not_supervised,
           callback_made = excluded.callback_made, callback_result = excluded.callback_result,
           callback_due = excluded.callback_due, callback_on_time = excluded.callback_on_time,
           caller_masked = excluded.caller_masked
         WHERE excluded.as_of >= tickets.as_of",
    )?;
    let mut n = 0u64;
    let mut offset = 0usize;
    loop {
        let df = lf
            .clone()
            .slice(offset as i64, BATCH as IdxSize)
            .collect()
            .map_err(|e| pl(e, what()))?;
        let h = df.height();
        if h == 0 {
            break;
        }
        let mut cols: Vec<Vec<String>> = Vec::with_capacity(COLUMNS.len());
        for c in COLUMNS {
            cols.push(if schema.contains(c) {
                strs(&df, c).with_context(what)?
            } else {
                vec![String::new(); h]
            });
        }
        for i in 0..h {
            let row: Vec<&str> = cols.iter().map(|c| c[i].as_str()).collect();
            let s = |k: usize| row[k];
            let flag = |k: usize| i64::from(row[k] == "true");
            let day: String = if s(2).len() >= 10 {
                s(2).chars().take(10).collect()
            } else {
                s(3).to_string()
            };
            // Grouped as units.csv groups them: the unit trimmed or
            // （未指定）, the category by its parsed value.
            let category = match Category::parse(s(7)) {
                Some(c) => c.zh().to_string(),
                None => name_or_unspecified(s(7)),
            };
            let wd: Option<i64> = s(13).parse().ok();
            ins.execute(rusqlite::params![
                s(0),
                run_id,
                s(1),
                day,
                s(4),
                s(5),
                name_or_unspecified(s(6)),
                category,
                s(8),
                s(2),
                s(9),
                s(10),
                s(11),
                s(12),
                wd,
                flag(14),
                flag(15),
                flag(16),
                flag(17),
                flag(18),
                flag(19),
                s(20),
                flag(21),
                flag(22),
                s(23),
            ])?;
            n += 1;
        }
        if h < BATCH {
            break;
        }
        offset += h;
    }
    Ok(n)
}

/// A polars error with what was being read.
fn pl(e: PolarsError, what: String) -> anyhow::Error {
    anyhow::anyhow!("{what}：{e}")
}

/// Who may open the page: the hotline office (管理) and the QA lead. A
/// team leader does not: the units are the offices tickets are sent to,
/// not a team's, and the lists would show every team's tickets.
pub(crate) fn allowed(role: Role) -> bool {
    matches!(role, Role::Manager | Role::QaLead)
}

fn check(c: &Ctx) -> anyhow::Result<()> {
    if allowed(c.user.role) {
        Ok(())
    } else {
        c.refuse("查看工单时效")
    }
}

/// The page's filters, checked.
struct Filter {
    from: String,
    to: String,
    unit: String,
    category: String,
}

impl Filter {
    fn read(c: &Ctx) -> Result<Filter, Resp> {
        let f = Filter {
            from: c.r.q("from"),
            to: c.r.q("to"),
            unit: c.r.q("unit"),
            category: c.r.q("category"),
        };
        for (name, v) in [("起始日期", &f.from), ("截止日期", &f.to)] {
            if !v.is_empty() && chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
                return Err(c.msg(
                    StatusCode::BAD_REQUEST,
                    "日期不对",
                    &format!(
                        "{name}“{v}”不是日期，请写成 2026-11-27 的样子（date must be YYYY-MM-DD）"
                    ),
                ));
            }
        }
        Ok(f)
    }

    /// The WHERE clause and its parameters.
    fn sql(&self) -> (String, Vec<String>) {
        let mut wh = vec!["1 = 1".to_string()];
        let mut ps = Vec::new();
        for (cond, v) in [
            ("day >= ?", &self.from),
            ("day <= ?", &self.to),
            ("unit = ?", &self.unit),
            ("category = ?", &self.category),
        ] {
            if !v.is_empty() {
                wh.push(cond.to_string());
                ps.push(v.clone());
            }
        }
        (wh.join(" AND "), ps)
    }

    fn query(&self) -> Vec<(&'static str, String)> {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("unit", &self.unit),
            ("category", &self.category),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect()
    }
}

/// The sums behind [`Tally`], in its field order.
const SUMS: &str = "COUNT(*), SUM(dispatched), SUM(status = 'on_time'), SUM(status = 'late'),
  SUM(status = 'open'), SUM(status = 'open_overdue'), SUM(working_days_taken), COUNT(working_days_taken),
  SUM(urged), SUM(overdue_not_urged), SUM(supervised), SUM(not_supervised), SUM(callback_made),
  SUM(callback_result = '满意'), SUM(callback_result = '基本满意'), SUM(callback_result = '不满意'),
  SUM(callback_due), SUM(callback_on_time)";

fn tally(r: &rusqlite::Row, from: usize) -> rusqlite::Result<Tally> {
    let u = |k: usize| -> rusqlite::Result<u64> {
        Ok(r.get::<_, Option<i64>>(from + k)?.unwrap_or(0).max(0) as u64)
    };
    Ok(Tally {
        tickets: u(0)?,
        dispatched: u(1)?,
        on_time: u(2)?,
        late: u(3)?,
        open: u(4)?,
        open_overdue: u(5)?,
        working_days_sum: i128::from(r.get::<_, Option<i64>>(from + 6)?.unwrap_or(0)),
        working_days_count: u(7)?,
        urged: u(8)?,
        overdue_not_urged: u(9)?,
        supervised: u(10)?,
        not_supervised: u(11)?,
        callbacks: u(12)?,
        satisfied: u(13)?,
        basically_satisfied: u(14)?,
        dissatisfied: u(15)?,
        callbacks_due: u(16)?,
        callbacks_on_time: u(17)?,
    })
}

/// The rows in `units.csv`'s order: units by name, the total, then the
/// categories in the spec's order and any other by name. One pass over
/// the tickets, grouped by unit and category; the units, categories and
/// total are folded from those groups with [`Tally::merge`].
fn rows(c: &Ctx, f: &Filter) -> anyhow::Result<Vec<UnitRow>> {
    let (wh, ps) = f.sql();
    let groups: Vec<(String, String, Tally)> = {
        let conn = db(c.app);
        let mut st = conn.prepare(&format!(
            "SELECT unit, category, {SUMS} FROM tickets WHERE {wh} GROUP BY unit, category"
        ))?;
        let v = st
            .query_map(params_from_iter(ps.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?, tally(r, 2)?))
            })?
            .collect::<Result<_, _>>()?;
        v
    };
    // Ordered maps: units by name in code-point order, as units.csv.
    let mut units: BTreeMap<String, Tally> = BTreeMap::new();
    let mut cats: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for (unit, category, t) in &groups {
        units.entry(unit.clone()).or_default().merge(t);
        cats.entry(category.clone()).or_default().merge(t);
        total.merge(t);
    }
    let mut out: Vec<UnitRow> = units.iter().map(|(n, t)| t.row("unit", n)).collect();
    out.push(total.row("unit", TOTAL));
    let order = |name: &str| {
        Category::ALL
            .iter()
            .position(|k| k.zh() == name)
            .unwrap_or(usize::MAX)
    };
    let mut cats: Vec<(String, Tally)> = cats.into_iter().collect();
    cats.sort_by(|a, b| order(&a.0).cmp(&order(&b.0)).then(a.0.cmp(&b.0)));
    out.extend(cats.iter().map(|(n, t)| t.row("category", n)));
    Ok(out)
}

fn rate(x: Option<f64>) -> String {
    pct(x)
}

/// The link to the tickets behind one count of one row.
fn list_link(f: &Filter, row: &UnitRow, kind: &str) -> String {
    let mut q = f.query();
    // A unit's (or category's) row narrows the page's filter to itself;
    // the total row keeps the filter as it is.
    if row.name != TOTAL {
        let key = if row.group == "unit" {
            "unit"
        } else {
            "category"
        };
        q.retain(|(k, _)| *k != key);
        q.push((key, row.name.clone()));
    }
    q.push(("kind", kind.to_string()));
    format!(
        "/units/tickets?{}",
        serde_urlencoded::to_string(q).unwrap_or_default()
    )
}

fn row_value(f: &Filter, u: &UnitRow) -> Value {
    let late_callbacks = u.callbacks_due.saturating_sub(u.callbacks_on_time);
    json!({
        "name": u.name, "total": u.name == TOTAL,
        "tickets": u.tickets, "dispatched": u.dispatched, "on_time": u.on_time, "late": u.late,
        "open": u.open, "open_overdue": u.open_overdue, "on_time_rate": rate(u.on_time_rate),
        "mean_working_days": u.mean_working_days.map(crate::report::num).unwrap_or_else(|| "—".into()),
        "urged": u.urged, "overdue_not_urged": u.overdue_not_urged, "supervised": u.supervised,
        "not_supervised": u.not_supervised, "callbacks": u.callbacks,
        "dissatisfied": u.dissatisfied, "satisfaction_rate": rate(u.satisfaction_rate),
        "callbacks_due": u.callbacks_due, "callbacks_on_time": u.callbacks_on_time,
        "late_callbacks": late_callbacks, "callback_on_time_rate": rate(u.callback_on_time_rate),
        "links": {
            "tickets": list_link(f, u, "all"), "late": list_link(f, u, "late"),
            "open_overdue": list_link(f, u, "open_overdue"),
            "overdue_not_urged": list_link(f, u, "overdue_not_urged"),
            "not_supervised": list_link(f, u, "not_supervised"),
            "late_callbacks": list_link(f, u, "late_callback"),
            "dissatisfied": list_link(f, u, "dissatisfied"),
        },
    })
}

/// GET /units.
pub(super) fn page(c: &Ctx) -> anyhow::Result<Resp> {
    check(c)?;
    let f = match Filter::read(c) {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let all = rows(c, &f)?;
    let (days, units, cats) = {
        let conn = db(c.app);
        let days: (Option<String>, Option<String>) =
            conn.query_row("SELECT MIN(day), MAX(day) FROM tickets", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let list = |sql: &str| -> anyhow::Result<Vec<String>> {
            let mut st = conn.prepare(sql)?;
            let v: Vec<String> = st
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()?;
            Ok(v)
        };
        (
            days,
            list("SELECT DISTINCT unit FROM tickets ORDER BY unit")?,
            list("SELECT DISTINCT category FROM tickets ORDER BY category")?,
        )
    };
    let total = all
        .iter()
        .find(|u| u.group == "unit" && u.name == TOTAL)
        .map(|u| row_value(&f, u));
    let unit_rows: Vec<Value> = all
        .iter()
        .filter(|u| u.group == "unit")
        .map(|u| row_value(&f, u))
        .collect();
    let cat_rows: Vec<Value> = all
        .iter()
        .filter(|u| u.group == "category")
        .map(|u| row_value(&f, u))
        .collect();
    let q = serde_urlencoded::to_string(f.query()).unwrap_or_default();
    Ok(c.page(
        "units.html",
        json!({
            "f": {"from": f.from, "to": f.to, "unit": f.unit, "category": f.category},
            "first_day": days.0, "last_day": days.1,
            "unit_names": units, "category_names": cats,
            "total": total, "units": unit_rows.clone(),
            "tables": [
                {"id": "units", "title": "承办单位", "rows": unit_rows},
                {"id": "categories", "title": "诉求类别", "rows": cat_rows},
            ],
            "csv": format!("/units/units.csv?{q}"),
        }),
    ))
}

/// GET /units/units.csv: the page's rows in `units.csv`'s columns and
/// number format (without the first-call columns, which need the repeat
/// links of `report`).
pub(super) fn csv(c: &Ctx) -> anyhow::Result<Resp> {
    check(c)?;
    let f = match Filter::read(c) {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let all = rows(c, &f)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(UNIT_COLUMNS)?;
    for u in &all {
        w.write_record(
            crate::report::csv_out::unit_row(u)
                .iter()
                .map(|s| crate::report::privacy::excel_safe(s).into_owned()),
        )?;
    }
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?);
    c.audit(
        "export_units",
        "",
        &serde_urlencoded::to_string(f.query()).unwrap_or_default(),
    )?;
    Ok(Resp {
        status: StatusCode::OK,
        content_type: "text/csv; charset=utf-8",
        body,
        headers: vec![(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"units.csv\"".into(),
        )],
    })
}

/// The lists behind the counts: (key, title, SQL condition). Only these
/// conditions reach the query.
const KINDS: [(&str, &str, &str); 8] = [
    ("all", "全部工单", "1 = 1"),
    ("late", "超期办结", "status = 'late'"),
    ("open_overdue", "超期未办结", "status = 'open_overdue'"),
    ("overdue_not_urged", "超期未催办", "overdue_not_urged = 1"),
    ("not_supervised", "应督办未督办", "not_supervised = 1"),
    (
        "late_callback",
        "回访超时（应回访而没有按时回访）",
        "callback_due = 1 AND callback_on_time = 0",
    ),
    ("dissatisfied", "回访不满意", "callback_result = '不满意'"),
    ("on_time", "按时办结", "status = 'on_time'"),
];

/// The Chinese name of a ticket status key.
fn status_zh(s: &str) -> &'static str {
    match s {
        "on_time" => "按时办结",
        "late" => "超期办结",
        "open" => "办理中",
        "open_overdue" => "超期未办结",
        "not_dispatched" => "未派单",
        _ => "",
    }
}

/// GET /units/tickets: the tickets behind one count.
pub(super) fn tickets(c: &Ctx) -> anyhow::Result<Resp> {
    check(c)?;
    let f = match Filter::read(c) {
        Ok(f) => f,
        Err(r) => return Ok(r),
    };
    let kind_key = c.r.q("kind");
    let Some(kind) = KINDS.iter().find(|k| k.0 == kind_key) else {
        return Ok(c.msg(
            StatusCode::BAD_REQUEST,
            "没有这种清单",
            "请从工单时效页面上的数字点进来（unknown list kind）",
        ));
    };
    let page_no = c.r.q("page").parse::<i64>().unwrap_or(1).max(1);
    let (wh, ps) = f.sql();
    let wh = format!("{wh} AND {}", kind.2);
    let conn = db(c.app);
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM tickets WHERE {wh}"),
        params_from_iter(ps.iter()),
        |r| r.get(0),
    )?;
    let mut st = conn.prepare(&format!(
        "SELECT ticket_id, accepted_at, unit, category, urgency, status, due_at, completed_at, operator_id,
                call_id, caller_masked, EXISTS (SELECT 1 FROM calls WHERE calls.call_id = tickets.call_id)
         FROM tickets WHERE {wh} ORDER BY day, ticket_id LIMIT {LIST_PAGE} OFFSET {}",
        (page_no - 1).saturating_mul(LIST_PAGE)
    ))?;
    let rows: Vec<Value> = st
        .query_map(params_from_iter(ps.iter()), |r| {
            let call_id: String = r.get(9)?;
            let status: String = r.get(5)?;
            Ok(json!({
                "ticket_id": r.get::<_, String>(0)?, "accepted_at": r.get::<_, String>(1)?,
                "unit": r.get::<_, String>(2)?, "category": r.get::<_, String>(3)?,
                "urgency": r.get::<_, String>(4)?, "status": status_zh(&status),
                "due_at": r.get::<_, String>(6)?, "completed_at": r.get::<_, String>(7)?,
                "operator_id": r.get::<_, String>(8)?,
                "call_link": (r.get::<_, bool>(11)? && !call_id.is_empty())
                    .then(|| format!("/call?id={}", urlencode(&call_id))),
                "call_id": call_id,
                "caller": r.get::<_, String>(10)?,
            }))
        })?
        .collect::<Result<_, _>>()?;
    drop(st);
    drop(conn);
    let pages = ((total + LIST_PAGE - 1) / LIST_PAGE).max(1);
    let link = |p: i64| {
        let mut q = f.query();
        q.push(("kind", kind.0.to_string()));
        q.push(("page", p.to_string()));
        format!(
            "/units/tickets?{}",
            serde_urlencoded::to_string(q).unwrap_or_default()
        )
    };
    let back = format!(
        "/units?{}",
        serde_urlencoded::to_string(f.query()).unwrap_or_default()
    );
    Ok(c.page(
        "unit_tickets.html",
        json!({
            "title": kind.1, "f": {"from": f.from, "to": f.to, "unit": f.unit, "category": f.category},
            "tickets": rows, "total": total, "page": page_no, "pages": pages,
            "prev": (page_no > 1).then(|| link(page_no - 1)),
            "next": (page_no < pages).then(|| link(page_no + 1)),
            "back": back,
        }),
    ))
}
