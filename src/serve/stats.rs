//! What keeps the pages fast on a year of calls (BENCHMARKS.md, workbench):
//! the indexes the call list's filters and sorts use, and `day_stats`, the
//! calls summed per day, operator and team, kept by triggers, that 概览
//! reads instead of the calls themselves (a year of a large city is some
//! 36 million calls; its summary is some 200 thousand rows).

use rusqlite::Connection;

/// Indexes and the summary table. Every sort of the call list has an index
/// in its own order ending in `call_id` (so that a page is read from the
/// index and the next page starts where the last one ended, instead of
/// counting past the rows before it); the filters by operator, team, day
/// and needs_review have one in time order too. The score index also holds
/// the team, operator and day, so that a team's calls by score are found
/// in the index without reading each row (1/30 of the rows match).
///
/// The `DROP`s remove the first version's indexes (replaced by these); a
/// name is never reused, or every open would drop and rebuild an index
/// of millions of rows.
pub const SCHEMA: &str = "
DROP INDEX IF EXISTS calls_day;
DROP INDEX IF EXISTS calls_operator;
DROP INDEX IF EXISTS calls_team;
DROP INDEX IF EXISTS calls_score;
DROP INDEX IF EXISTS calls_needs;
CREATE INDEX IF NOT EXISTS calls_time ON calls(started_at, call_id);
CREATE INDEX IF NOT EXISTS calls_day_time ON calls(day, started_at, call_id);
CREATE INDEX IF NOT EXISTS calls_operator_time ON calls(operator_id, started_at, call_id);
CREATE INDEX IF NOT EXISTS calls_team_time ON calls(team, started_at, call_id);
DROP INDEX IF EXISTS calls_reviewed;
CREATE INDEX IF NOT EXISTS calls_by_score ON calls(reviewed_score, call_id, team, operator_id, day);
DROP INDEX IF EXISTS calls_needs_time;
CREATE INDEX IF NOT EXISTS calls_needs_all ON calls(needs_review, started_at, call_id);
CREATE TABLE IF NOT EXISTS day_stats(
  day TEXT NOT NULL,
  operator_id TEXT NOT NULL,
  team TEXT NOT NULL,
  calls INTEGER NOT NULL,
  score REAL NOT NULL,
  reviewed_score REAL NOT NULL,
  passed INTEGER NOT NULL,
  red_line INTEGER NOT NULL,
  critical INTEGER NOT NULL,
  needs_review INTEGER NOT NULL,
  PRIMARY KEY(day, operator_id, team)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS day_stats_operator ON day_stats(operator_id, day);
CREATE INDEX IF NOT EXISTS day_stats_team ON day_stats(team, day);
CREATE TRIGGER IF NOT EXISTS calls_stats_insert AFTER INSERT ON calls BEGIN
  INSERT INTO day_stats VALUES (NEW.day, NEW.operator_id, NEW.team, 1, NEW.score,
    NEW.reviewed_score, NEW.passed, NEW.red_line, NEW.critical, NEW.needs_review)
  ON CONFLICT(day, operator_id, team) DO UPDATE SET calls = calls + 1,
    score = score + excluded.score, reviewed_score = reviewed_score + excluded.reviewed_score,
    passed = passed + excluded.passed, red_line = red_line + excluded.red_line,
    critical = critical + excluded.critical, needs_review = needs_review + excluded.needs_review;
END;
CREATE TRIGGER IF NOT EXISTS calls_stats_delete AFTER DELETE ON calls BEGIN
  UPDATE day_stats SET calls = calls - 1, score = score - OLD.score,
    reviewed_score = reviewed_score - OLD.reviewed_score, passed = passed - OLD.passed,
    red_line = red_line - OLD.red_line, critical = critical - OLD.critical,
    needs_review = needs_review - OLD.needs_review
  WHERE day = OLD.day AND operator_id = OLD.operator_id AND team = OLD.team;
END;
CREATE TRIGGER IF NOT EXISTS calls_stats_update AFTER UPDATE OF day, operator_id, team, score,
    reviewed_score, passed, red_line, critical, needs_review ON calls BEGIN
  UPDATE day_stats SET calls = calls - 1, score = score - OLD.score,
    reviewed_score = reviewed_score - OLD.reviewed_score, passed = passed - OLD.passed,
    red_line = red_line - OLD.red_line, critical = critical - OLD.critical,
    needs_review = needs_review - OLD.needs_review
  WHERE day = OLD.day AND operator_id = OLD.operator_id AND team = OLD.team;
  INSERT INTO day_stats VALUES (NEW.day, NEW.operator_id, NEW.team, 1, NEW.score,
    NEW.reviewed_score, NEW.passed, NEW.red_line, NEW.critical, NEW.needs_review)
  ON CONFLICT(day, operator_id, team) DO UPDATE SET calls = calls + 1,
    score = score + excluded.score, reviewed_score = reviewed_score + excluded.reviewed_score,
    passed = passed + excluded.passed, red_line = red_line + excluded.red_line,
    critical = critical + excluded.critical, needs_review = needs_review + excluded.needs_review;
END;
";

/// Creates the indexes and the summary, filling the summary from the calls
/// of a database made before it existed.
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    let (has_stats, has_calls): (bool, bool) = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM day_stats), EXISTS(SELECT 1 FROM calls)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if has_calls && !has_stats {
        conn.execute_batch(
            "INSERT INTO day_stats SELECT day, operator_id, team, COUNT(*), SUM(score),
               SUM(reviewed_score), SUM(passed), SUM(red_line), SUM(critical), SUM(needs_review)
             FROM calls GROUP BY day, operator_id, team",
        )?;
    }
    Ok(())
}

/// After an import: refreshes the planner's statistics where they are
/// stale (`PRAGMA optimize` runs ANALYZE only on tables that changed
/// enough), so that a filter picks the index that answers it.
pub fn after_import(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("PRAGMA analysis_limit = 2000; PRAGMA optimize = 0x10002;")
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    fn sums(conn: &Connection, from: &str) -> Vec<(String, String, i64, i64, i64, i64)> {
        let (calls, rs, needs, passed) = if from == "calls" {
            (
                "COUNT(*)",
                "SUM(reviewed_score)",
                "SUM(needs_review)",
                "SUM(passed)",
            )
        } else {
            (
                "SUM(calls)",
                "SUM(reviewed_score)",
                "SUM(needs_review)",
                "SUM(passed)",
            )
        };
        conn.prepare(&format!(
            "SELECT day, operator_id, {calls}, CAST(ROUND({rs} * 10) AS INTEGER), {needs}, {passed}
             FROM {from} GROUP BY day, operator_id HAVING {calls} > 0 ORDER BY day, operator_id"
        ))
        .and_then(|mut st| {
            let v = st
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?
                .collect();
            v
        })
        .expect("sums")
    }

    #[test]
    fn day_summary_follows_inserts_reviews_and_deletes() {
        let dir = tempfile::tempdir().expect("tmp");
        let conn = super::super::db::open(&dir.path().join("db.sqlite")).expect("open");
        conn.execute(
            "INSERT INTO runs(path, imported_at, calls, findings, duplicates, seconds) VALUES ('r', '', 0, 0, 0, 0)",
            [],
        )
        .expect("run");
        for k in 0..40 {
            conn.execute(
                "INSERT INTO calls(call_id, run_id, day, started_at, operator_id, operator_name, team,
                   score, passed, red_line, reviewed_score, needs_review, critical, findings)
                 VALUES (?1, 1, ?2, ?2, ?3, '', 'T', ?4, ?5, 0, ?4, ?6, 0, 0)",
                rusqlite::params![
                    format!("c{k}"),
                    format!("2026-11-{:02}", 20 + k % 3),
                    format!("op{}", k % 4),
                    60.0 + f64::from(k),
                    k % 2,
                    k % 3
                ],
            )
            .expect("insert");
        }
        assert_eq!(sums(&conn, "calls"), sums(&conn, "day_stats"));
        // A review changes the reviewed score and the open count; a call
        // moved to another operator; a call deleted.
        conn.execute(
            "UPDATE calls SET reviewed_score = 99.5, needs_review = 0 WHERE call_id IN ('c1', 'c5')",
            [],
        )
        .expect("review");
        conn.execute(
            "UPDATE calls SET operator_id = 'op9' WHERE call_id = 'c7'",
            [],
        )
        .expect("move");
        conn.execute("DELETE FROM calls WHERE call_id = 'c8'", [])
            .expect("delete");
        assert_eq!(sums(&conn, "calls"), sums(&conn, "day_stats"));
        // Must not: the summary is not simply recomputed on open; a
        // database made before it is filled once.
        conn.execute_batch("DELETE FROM day_stats").expect("empty");
        drop(conn);
        let conn = super::super::db::open(&dir.path().join("db.sqlite")).expect("reopen");
        assert_eq!(sums(&conn, "calls"), sums(&conn, "day_stats"));
    }
}
