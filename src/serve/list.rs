//! One page of the call list, read by keyset: the next page starts after
//! the last row shown (its sort key is in the link), so that page 50 000
//! costs what page 1 costs; `LIMIT … OFFSET` would step over every row
//! before it (seconds at 5 million calls, BENCHMARKS.md, workbench).

use std::time::{Duration, Instant};

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
    /// The index in this order (`stats::SCHEMA`).
    pub index: &'static str,
}

/// The sorts offered; only these reach the query.
pub const SORTS: [Sort; 6] = [
    Sort {
        key: "time",
        label: "开始时间（新的在前）",
        cols: &["started_at", "call_id"],
        desc: true,
        index: "calls_time",
    },
    Sort {
        key: "time_asc",
        label: "开始时间（早的在前）",
        cols: &["started_at", "call_id"],
        desc: false,
        index: "calls_time",
    },
    Sort {
        key: "score",
        label: "复核后得分（低的在前）",
        cols: &["reviewed_score", "call_id"],
        desc: false,
        index: "calls_by_score",
    },
    Sort {
        key: "score_desc",
        label: "复核后得分（高的在前）",
        cols: &["reviewed_score", "call_id"],
        desc: true,
        index: "calls_by_score",
    },
    Sort {
        key: "operator",
        label: "工号",
        cols: &["operator_id", "started_at", "call_id"],
        desc: false,
        index: "calls_operator_time",
    },
    Sort {
        key: "needs",
        label: "待复核多的在前",
        cols: &["needs_review", "started_at", "call_id"],
        desc: true,
        index: "calls_needs_all",
    },
];

/// The sort for a URL key (the first, newest first, for anything else).
pub fn sort(key: &str) -> &'static Sort {
    SORTS.iter().find(|s| s.key == key).unwrap_or(&SORTS[0])
}

/// How many calls match, as far as it was worth counting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Total {
    /// Exactly this many.
    Exact(i64),
    /// More than this many (the count stopped there).
    More(i64),
    /// Not counted: counting took longer than the page may.
    Many,
}

impl Total {
    /// Whether few enough calls match that reading them all and sorting
    /// them is cheaper than walking the sort's index until a page is full.
    pub fn few(self) -> bool {
        matches!(self, Total::Exact(n) if n <= FEW)
    }

    /// The count as the page says it.
    pub fn label(self) -> String {
        match self {
            Total::Exact(n) => n.to_string(),
            Total::More(n) => format!("超过 {n}"),
            Total::Many => "很多（没有数完）".to_string(),
        }
    }

    /// The number of pages, when known.
    pub fn pages(self, size: i64) -> Option<i64> {
        match self {
            Total::Exact(n) => Some(((n + size - 1) / size).max(1)),
            _ => None,
        }
    }
}

/// Below this many matches a filter's own index and a sort are cheapest;
/// above it, an index in the sort's order is walked (at most
/// size × 5M / FEW rows at 5 million calls).
const FEW: i64 = 10_000;

/// The index a page is read along, if SQLite is not to choose: when many
/// calls match (see [`walk`]), and for a sort by time with the day,
/// operator or team given, whose own index is then in the sort's order
/// whatever the count (SQLite took another and sorted: 22 ms a page for
/// one operator's 8,000 calls where the index gives them in 2).
pub fn plan(total: Total, s: &Sort, equal: &[&str]) -> Option<&'static str> {
    let own = walk(s, equal);
    (!total.few() || own != s.index).then_some(own)
}

/// The index to walk when many calls match: for a sort by time with the
/// day, operator or team given (by a filter or the role's scope), the one
/// that starts with it (its rows are then in time order); else the sort's.
/// Walking the time index for one day in March reads every call after it.
pub fn walk(s: &Sort, equal: &[&str]) -> &'static str {
    if s.cols[0] == "started_at" {
        for (col, index) in [
            ("day", "calls_day_time"),
            ("operator_id", "calls_operator_time"),
            ("team", "calls_team_time"),
        ] {
            if equal.contains(&col) {
                return index;
            }
        }
    }
    s.index
}

/// Counts the matching calls up to `cap`, for at most `budget`: an exact
/// count of 5 million calls alone takes longer than a page may (0.5 s),
/// and no one reads a number past ten thousand. Remembered until the
/// database changes.
pub fn count(
    conn: &mut Connection,
    where_sql: &str,
    params: &[String],
    cap: i64,
    budget: Duration,
) -> rusqlite::Result<Total> {
    let data_version = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
    count_at(conn, data_version, where_sql, params, cap, budget)
}

/// [`count`] on a read-only connection, with the `data_version` of the
/// connection that writes. The same filter again (the next page, another
/// user) is answered from the last count while no call changed: the
/// writer's data_version moves with other connections' commits (the runs
/// watcher's imports), and [`calls_changed`] with the writer's own. Not
/// the reader's data_version, nor total_changes(): every page writes its
/// session's last_seen through the writer, which would forget every count.
pub fn count_at(
    conn: &mut Connection,
    data_version: i64,
    where_sql: &str,
    params: &[String],
    cap: i64,
    budget: Duration,
) -> rusqlite::Result<Total> {
    let version: (i64, i64) = (
        data_version,
        i64::try_from(GENERATION.load(std::sync::atomic::Ordering::SeqCst)).unwrap_or(0),
    );
    let key = format!(
        "{}\u{1}{where_sql}\u{1}{cap}\u{1}{}",
        conn.path().unwrap_or(""),
        params.join("\u{1}")
    );
    if let Some((v, t)) = counts().get(&key) {
        if *v == version {
            return Ok(*t);
        }
    }
    let start = Instant::now();
    conn.progress_handler(2_000, Some(move || start.elapsed() > budget))?;
    let n = conn.query_row(
        &format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM calls WHERE {where_sql} LIMIT {})",
            cap + 1
        ),
        rusqlite::params_from_iter(params.iter()),
        |r| r.get::<_, i64>(0),
    );
    conn.progress_handler(0, None::<fn() -> bool>)?;
    let total = match n {
        Ok(n) if n > cap => Total::More(cap),
        Ok(n) => Total::Exact(n),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::OperationInterrupted =>
        {
            Total::Many
        }
        Err(e) => return Err(e),
    };
    let mut cache = counts();
    // Bounded: forgotten all at once when full (a few hundred filters).
    if cache.len() >= 512 {
        cache.clear();
    }
    cache.insert(key, (version, total));
    Ok(total)
}

type Counts = std::collections::HashMap<String, ((i64, i64), Total)>;

static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Says that calls were added or changed through a connection of this
/// process (an import, a review's new reviewed score): the remembered
/// counts are stale. Every write to `calls` calls it.
pub fn calls_changed() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

fn counts() -> std::sync::MutexGuard<'static, Counts> {
    static COUNTS: std::sync::OnceLock<std::sync::Mutex<Counts>> = std::sync::OnceLock::new();
    let m = COUNTS.get_or_init(Default::default);
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The condition (one `?`, the value) for calls with a finding whose
/// `column` (`rule` or `norm`) is the value. A rare one is read from the
/// findings' index into a list (`IN`); a common one is checked call by
/// call as the list is read in order (a correlated subquery), which finds
/// a page in a few thousand steps where building the list of its hundreds
/// of thousands of calls takes most of a second. Not `EXISTS`: SQLite 3.54
/// turns that into the same list (measured: 700 ms a page).
pub fn finding_filter(
    conn: &Connection,
    column: &str,
    value: &str,
) -> rusqlite::Result<&'static str> {
    let (col, rare, common) = match column {
        "norm" => (
            "norm",
            "calls.call_id IN (SELECT call_id FROM findings WHERE norm = ?)",
            "(SELECT 1 FROM findings f WHERE f.call_id = calls.call_id AND f.norm = ? LIMIT 1) IS NOT NULL",
        ),
        _ => (
            "rule",
            "calls.call_id IN (SELECT call_id FROM findings WHERE rule = ?)",
            "(SELECT 1 FROM findings f WHERE f.call_id = calls.call_id AND f.rule = ? LIMIT 1) IS NOT NULL",
        ),
    };
    let n: i64 = conn.query_row(
        &format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM findings WHERE {col} = ?1 LIMIT {})",
            RARE + 1
        ),
        [value],
        |r| r.get(0),
    )?;
    Ok(if n <= RARE { rare } else { common })
}

/// A rule or norm with at most this many findings is rare (see
/// [`finding_filter`]).
const RARE: i64 = 50_000;

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
/// `walk`: an index to read along (many matches, see [`walk`]), rather
/// than let SQLite pick a filter's index and sort what it finds (few).
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
    walk: Option<&str>,
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
    // SQLite's planner, even with ANALYZE, picks a filter's index and
    // sorts 170 000 rows for a team sorted by score (1.4 s at 5 million
    // calls) where walking the score index takes 3 ms: told which way.
    let indexed = walk.map(|i| format!(" INDEXED BY {i}")).unwrap_or_default();
    let mut sql = format!("SELECT {COLS} FROM calls{indexed} WHERE {where_sql}");
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
    sql.push_str(&format!(
        " ORDER BY {} LIMIT {}",
        order.join(", "),
        size + 1
    ));
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
        (first.filter(|_| more).map(cursor), last.map(cursor))
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

    /// The list counts on a read-only connection with the writer's
    /// data_version: the sessions the writer touches on every page do not
    /// make it count again; another connection's change to the calls does.
    #[test]
    fn count_on_a_reader_keeps_its_memory_across_the_writers_session_writes() {
        let dir = tempfile::tempdir().expect("tmp");
        let writer = db(dir.path());
        let path = dir.path().join("db.sqlite");
        let mut reader = super::super::db::open_reader(&path).expect("reader");
        let long = Duration::from_secs(60);
        let w = "operator_id = 'op2' AND 2 = 2";
        let version = |c: &Connection| -> i64 {
            c.query_row("PRAGMA data_version", [], |r| r.get(0))
                .expect("version")
        };
        let c =
            |reader: &mut Connection, v| count_at(reader, v, w, &[], 1000, long).expect("count");
        let first = c(&mut reader, version(&writer));
        // A session's last_seen written by the writer, as every page does.
        writer
            .execute(
                "INSERT INTO users(name, role, operator_id, team, hash, must_change, disabled, created_at) VALUES ('u', 'admin', '', '', 'h', 0, 0, '')",
                [],
            )
            .expect("user");
        let n: i64 = reader
            .query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
            .expect("reader sees the write");
        assert_eq!(n, 1);
        // Remembered: a call removed without calls_changed() (which every
        // write to calls through the writer calls) is not seen.
        writer
            .execute("DELETE FROM calls WHERE operator_id = 'op2' AND call_id = (SELECT MIN(call_id) FROM calls WHERE operator_id = 'op2')", [])
            .expect("delete");
        assert_eq!(c(&mut reader, version(&writer)), first, "from memory");
        // Must-not: another connection's change (the runs watcher) is.
        let other = rusqlite::Connection::open(&path).expect("open");
        other
            .execute("DELETE FROM calls WHERE operator_id = 'op2' AND call_id = (SELECT MIN(call_id) FROM calls WHERE operator_id = 'op2')", [])
            .expect("delete");
        let Total::Exact(before) = first else {
            panic!("{first:?}")
        };
        assert_eq!(c(&mut reader, version(&writer)), Total::Exact(before - 2));
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
        for (s, walk) in SORTS.iter().flat_map(|s| [(s, false), (s, true)]) {
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
            let mut p =
                page(&conn, w, &ps, s, "", "", 0, 10, walk.then_some(s.index)).expect("page");
            assert!(p.prev.is_none(), "{}: no page before the first", s.key);
            loop {
                seen.extend(ids(&p));
                pages.push(ids(&p));
                match p.next.clone() {
                    Some(k) => {
                        p = page(&conn, w, &ps, s, &k, "", 0, 10, walk.then_some(s.index))
                            .expect("next")
                    }
                    None => break,
                }
            }
            assert_eq!(seen, all, "sort {} (walking its index: {walk})", s.key);
            // Back from the last page, one page at a time.
            let mut back = pages.len() - 1;
            while let Some(k) = p.prev.clone() {
                p = page(&conn, w, &ps, s, "", &k, 0, 10, walk.then_some(s.index)).expect("prev");
                back -= 1;
                assert_eq!(ids(&p), pages[back], "sort {} page {back}", s.key);
            }
            assert_eq!(back, 0, "sort {}: back to the first page", s.key);
            // A bare page number still works, from the top.
            let third =
                page(&conn, w, &ps, s, "", "", 20, 10, walk.then_some(s.index)).expect("offset");
            assert_eq!(ids(&third), pages[2]);
        }
    }

    #[test]
    fn count_stops_at_the_cap_and_says_more() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut conn = db(dir.path());
        let long = Duration::from_secs(60);
        let c =
            |conn: &mut Connection, w: &str, cap| count(conn, w, &[], cap, long).expect("count");
        assert_eq!(c(&mut conn, "1 = 1", 1000), Total::Exact(137));
        assert_eq!(c(&mut conn, "1 = 1", 137), Total::Exact(137));
        assert_eq!(c(&mut conn, "1 = 1", 136), Total::More(136));
        assert_eq!(
            c(&mut conn, "1 = 1", 1000),
            Total::Exact(137),
            "from memory"
        );
        assert_eq!(c(&mut conn, "operator_id = 'op1'", 1000), Total::Exact(34));
        // Must not answer from memory once a call is added or removed.
        conn.execute("DELETE FROM calls WHERE call_id = 'c000'", [])
            .expect("delete");
        calls_changed();
        assert_eq!(c(&mut conn, "1 = 1", 1000), Total::Exact(136));
        let other = rusqlite::Connection::open(dir.path().join("db.sqlite")).expect("open");
        other
            .execute("DELETE FROM calls WHERE call_id = 'c001'", [])
            .expect("delete");
        assert_eq!(c(&mut conn, "1 = 1", 1000), Total::Exact(135));
        assert_eq!(Total::More(136).pages(50), None);
        assert_eq!(Total::Exact(101).pages(50), Some(3));
        assert_eq!(Total::Exact(0).pages(50), Some(1));
        // The progress handler is removed afterwards: a long statement on
        // the same connection is not cut short by an old budget.
        assert!(count(&mut conn, "1 = 1", &[], 1000, Duration::ZERO).is_ok());
        let n: i64 = conn
            .query_row(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT COUNT(*) FROM n",
                [],
                |r| r.get(0),
            )
            .expect("not interrupted");
        assert_eq!(n, 200_000);
    }

    #[test]
    fn few_matches_are_left_to_sqlite_unless_an_index_is_in_the_sort_order() {
        let time = sort("time");
        assert_eq!(plan(Total::Exact(10), time, &[]), None);
        assert_eq!(
            plan(Total::Exact(10), time, &["operator_id"]),
            Some("calls_operator_time")
        );
        assert_eq!(plan(Total::More(10_000), time, &[]), Some("calls_time"));
        assert_eq!(
            plan(Total::Many, sort("score"), &["team"]),
            Some("calls_by_score")
        );
        assert_eq!(plan(Total::Exact(10), sort("score"), &["team"]), None);
    }

    #[test]
    fn a_day_operator_or_team_sorted_by_time_walks_its_own_index() {
        let time = sort("time");
        assert_eq!(walk(time, &[]), "calls_time");
        assert_eq!(walk(time, &["team", "day"]), "calls_day_time");
        assert_eq!(walk(time, &["team", "operator_id"]), "calls_operator_time");
        assert_eq!(walk(sort("time_asc"), &["team"]), "calls_team_time");
        // Must not: another sort keeps its own order's index.
        assert_eq!(walk(sort("score"), &["day"]), "calls_by_score");
        assert_eq!(walk(sort("needs"), &["team"]), "calls_needs_all");
        // Every index named exists.
        let dir = tempfile::tempdir().expect("tmp");
        let conn = db(dir.path());
        for s in &SORTS {
            for i in [
                s.index,
                walk(s, &["day"]),
                walk(s, &["operator_id"]),
                walk(s, &["team"]),
            ] {
                let n: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                        [i],
                        |r| r.get(0),
                    )
                    .expect("schema");
                assert_eq!(n, 1, "{i}");
            }
        }
    }

    #[test]
    fn edited_cursor_shows_the_first_page() {
        let dir = tempfile::tempdir().expect("tmp");
        let conn = db(dir.path());
        let s = sort("time");
        let first = ids(&page(&conn, "1 = 1", &[], s, "", "", 0, 10, None).expect("page"));
        for bad in ["x", "[1]", "[{}, 2]", "[\"a\", \"b\", \"c\"]"] {
            let p = page(&conn, "1 = 1", &[], s, bad, "", 0, 10, None).expect("page");
            assert_eq!(ids(&p), first, "cursor {bad}");
        }
    }
}
