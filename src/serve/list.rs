//! One page of the call list, read by keyset: the next page starts after
//! the last row shown (its sort key is in the link), so that page 50 000
//! costs what page 1 costs; `LIMIT … OFFSET` would step over every row
//! before it (seconds at 5 million calls, BENCHMARKS.md, workbench).

use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{json, Value};

/// A sort of the call list. Every column goes the same way and the last is
/// `call_id`, so that a sort key is unique and `(a, b) > (?, ?)` finds
/// where a page starts in the index `stats::SCHEMA` made for it.
pub struct Sort {
    /// The key in the URL.
    pub key: &'static str,
    /// Its label.
    pub label: &'static str,
    /// The columns, in order.
    pub cols: &'static [&'static str],
    /// Descending.
    pub desc: bool,
}

/// The sorts offered; only these reach the query.
pub const SORTS: [Sort; 6] = [
    Sort {
        key: "time",
        label: "开始时间（新的在前）",
        cols: &["started_at", "call_id"],
        desc: true,
    },
    Sort {
        key: "time_asc",
        label: "开始时间（早的在前）",
        cols: &["started_at", "call_id"],
        desc: false,
    },
    Sort {
        key: "score",
        label: "复核后得分（低的在前）",
        cols: &["reviewed_score", "call_id"],
        desc: false,
    },
    Sort {
        key: "score_desc",
        label: "复核后得分（高的在前）",
        cols: &["reviewed_score", "call_id"],
        desc: true,
    },
    Sort {
        key: "operator",
        label: "工号",
        cols: &["operator_id", "started_at", "call_id"],
        desc: false,
    },
    Sort {
        key: "needs",
        label: "待复核多的在前",
        cols: &["needs_review", "started_at", "call_id"],
        desc: true,
    },
];

/// The sort for a URL key (the first, newest first, for anything else).
pub fn sort(key: &str) -> &'static Sort {
    SORTS.iter().find(|s| s.key == key).unwrap_or(&SORTS[0])
}

/// One page: its rows, and the cursors of the pages before and after it.
pub struct Page {
    /// The rows, as the template shows them.
    pub rows: Vec<Value>,
    /// The `before` cursor of the previous page, if there is one.
    pub prev: Option<String>,
    /// The `after` cursor of the next page, if there is one.
    pub next: Option<String>,
}

/// Decodes a cursor: a JSON array with one value per sort column. Anything
/// else (an old or edited link) is None: the first page.
fn decode(cursor: &str, s: &Sort) -> Option<Vec<Sql>> {
    let v: Vec<Value> = serde_json::from_str(cursor).ok()?;
    if v.len() != s.cols.len() {
        return None;
    }
    v.into_iter()
        .map(|x| match x {
            Value::String(t) => Some(Sql::Text(t)),
            Value::Number(n) => n
                .as_i64()
                .map(Sql::Integer)
                .or_else(|| n.as_f64().map(Sql::Real)),
            _ => None,
        })
        .collect()
}

const COLS: &str = "call_id, started_at, operator_id, operator_name, team, score, reviewed_score, red_line, findings, needs_review";

/// Reads one page of `size` rows of the calls matching `where_sql` (with
/// `params`, text values), in the order `s`, after the row `after` or
/// before the row `before` (cursors from an earlier page), or else from
/// the first row plus `offset` rows (a link naming a page number only).
#[allow(clippy::too_many_arguments)]
pub fn page(
    conn: &Connection,
    where_sql: &str,
    params: &[String],
    s: &Sort,
    after: &str,
    before: &str,
    offset: i64,
    size: i64,
) -> rusqlite::Result<Page> {
    let after = decode(after, s);
    let before = if after.is_none() {
        decode(before, s)
    } else {
        None
    };
    let backward = before.is_some();
    // Going back reads the rows before the cursor in the opposite order,
    // then turns them round.
    let desc = s.desc != backward;
    let keyed = after.is_some() || backward;
    let mut sql = format!("SELECT {COLS} FROM calls WHERE {where_sql}");
    let mut ps: Vec<Sql> = params.iter().map(|p| Sql::Text(p.clone())).collect();
    if let Some(key) = after.or(before) {
        let marks = vec!["?"; key.len()].join(", ");
        sql.push_str(&format!(
            " AND ({}) {} ({marks})",
            s.cols.join(", "),
            if desc { "<" } else { ">" }
        ));
        ps.extend(key);
    }
    let dir = if desc { "DESC" } else { "ASC" };
    let order: Vec<String> = s.cols.iter().map(|c| format!("{c} {dir}")).collect();
    sql.push_str(&format!(" ORDER BY {} LIMIT {}", order.join(", "), size + 1));
    if !keyed && offset > 0 {
        sql.push_str(&format!(" OFFSET {offset}"));
    }
    let mut st = conn.prepare_cached(&sql)?;
    let mut rows: Vec<(Value, Vec<Value>)> = st
        .query_map(rusqlite::params_from_iter(ps.iter()), |row| {
            let started_at: String = row.get(1)?;
            let call_id: String = row.get(0)?;
            let operator_id: String = row.get(2)?;
            let reviewed: f64 = row.get(6)?;
            let needs: i64 = row.get(9)?;
            let key = s
                .cols
                .iter()
                .map(|c| match *c {
                    "started_at" => Value::from(started_at.clone()),
                    "call_id" => Value::from(call_id.clone()),
                    "operator_id" => Value::from(operator_id.clone()),
                    "reviewed_score" => json!(reviewed),
                    _ => Value::from(needs),
                })
                .collect();
            Ok((
                json!({
                    "call_id": call_id,
                    "started_at": started_at,
                    "operator_id": operator_id,
                    "operator_name": row.get::<_, String>(3)?,
                    "team": row.get::<_, String>(4)?,
                    "score": crate::report::num(row.get(5)?),
                    "reviewed_score": crate::report::num(reviewed),
                    "red_line": row.get::<_, bool>(7)?,
                    "findings": row.get::<_, i64>(8)?,
                    "needs_review": needs,
                }),
                key,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let more = rows.len() as i64 > size;
    rows.truncate(usize::try_from(size).unwrap_or(0));
    if backward {
        rows.reverse();
    }
    let cursor = |k: &Vec<Value>| Value::Array(k.clone()).to_string();
    let (first, last) = (rows.first().map(|r| &r.1), rows.last().map(|r| &r.1));
    let (prev, next) = if backward {
        // Read backwards: there is an earlier page when more rows came
        // back, and the page this one was reached from comes after it.
        (
            first.filter(|_| more).map(cursor),
            last.map(cursor),
        )
    } else {
        (
            first.filter(|_| keyed || offset > 0).map(cursor),
            last.filter(|_| more).map(cursor),
        )
    };
    Ok(Page {
        rows: rows.into_iter().map(|r| r.0).collect(),
        prev,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 137 calls with tied start times and scores, so that the tie-break
    /// on call_id matters.
    fn db(dir: &std::path::Path) -> Connection {
        let conn = super::super::db::open(&dir.join("db.sqlite")).expect("open");
        conn.execute(
            "INSERT INTO runs(path, imported_at, calls, findings, duplicates, seconds) VALUES ('r', '', 0, 0, 0, 0)",
            [],
        )
        .expect("run");
        for k in 0..137 {
            conn.execute(
                "INSERT INTO calls(call_id, run_id, day, started_at, operator_id, operator_name, team,
                   score, passed, red_line, reviewed_score, needs_review, critical, findings)
                 VALUES (?1, 1, '2026-11-27', ?2, ?3, '', 'T', ?4, 1, 0, ?4, ?5, 0, 0)",
                rusqlite::params![
                    format!("c{:03}", (k * 59) % 137),
                    format!("2026-11-27T09:{:02}:00+08:00", k % 7),
                    format!("op{}", k % 4),
                    f64::from(k % 5) * 10.5,
                    k % 3
                ],
            )
            .expect("insert");
        }
        conn
    }

    fn ids(p: &Page) -> Vec<String> {
        p.rows
            .iter()
            .map(|r| r["call_id"].as_str().unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn keyset_pages_walk_every_call_once_in_order_both_ways() {
        let dir = tempfile::tempdir().expect("tmp");
        let conn = db(dir.path());
        for s in &SORTS {
            let dir_sql = if s.desc { "DESC" } else { "ASC" };
            let order: Vec<String> = s.cols.iter().map(|c| format!("{c} {dir_sql}")).collect();
            let all: Vec<String> = conn
                .prepare(&format!(
                    "SELECT call_id FROM calls WHERE needs_review >= 0 ORDER BY {}",
                    order.join(", ")
                ))
                .and_then(|mut st| {
                    let v = st.query_map([], |r| r.get(0))?.collect();
                    v
                })
                .expect("all");
            let w = "needs_review >= CAST(? AS INTEGER)";
            let ps = vec!["0".to_string()];
            let mut seen = Vec::new();
            let mut pages = Vec::new();
            let mut p = page(&conn, w, &ps, s, "", "", 0, 10).expect("page");
            assert!(p.prev.is_none(), "{}: no page before the first", s.key);
            loop {
                seen.extend(ids(&p));
                pages.push(ids(&p));
                match p.next.clone() {
                    Some(k) => p = page(&conn, w, &ps, s, &k, "", 0, 10).expect("next"),
                    None => break,
                }
            }
            assert_eq!(seen, all, "sort {}", s.key);
            // Back from the last page, one page at a time.
            let mut back = pages.len() - 1;
            while let Some(k) = p.prev.clone() {
                p = page(&conn, w, &ps, s, "", &k, 0, 10).expect("prev");
                back -= 1;
                assert_eq!(ids(&p), pages[back], "sort {} page {back}", s.key);
            }
            assert_eq!(back, 0, "sort {}: back to the first page", s.key);
            // A bare page number still works, from the top.
            let third = page(&conn, w, &ps, s, "", "", 20, 10).expect("offset");
            assert_eq!(ids(&third), pages[2]);
        }
    }

    #[test]
    fn edited_cursor_shows_the_first_page() {
        let dir = tempfile::tempdir().expect("tmp");
        let conn = db(dir.path());
        let s = sort("time");
        let first = ids(&page(&conn, "1 = 1", &[], s, "", "", 0, 10).expect("page"));
        for bad in ["x", "[1]", "[{}, 2]", "[\"a\", \"b\", \"c\"]"] {
            let p = page(&conn, "1 = 1", &[], s, bad, "", 0, 10).expect("page");
            assert_eq!(ids(&p), first, "cursor {bad}");
        }
    }
}
