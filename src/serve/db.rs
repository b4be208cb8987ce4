//! The workbench's database: one SQLite file holding the accounts, the
//! sessions, the append-only audit log, the imported runs' calls and
//! findings, and the reviews made in the browser.
//!
//! Calls and findings are copied from each run's `calls.csv` and
//! `findings.csv` (not from Parquet) because the list pages filter and
//! sort on a handful of columns that SQLite indexes directly (the indexes
//! and the per-day summary are in [`super::stats`]); the dialogue itself
//! stays in the run's input files, and [`super::sources`] records where.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use rusqlite::{params, Connection, OptionalExtension};

use crate::report::privacy::excel_unescape;
use crate::review::manifest::Manifest;

/// The schema. `IF NOT EXISTS` everywhere: opening an existing database
/// is the same call as creating one.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users(
  id INTEGER PRIMARY KEY,
  name TEXT UNIQUE NOT NULL,
  role TEXT NOT NULL,
  operator_id TEXT NOT NULL DEFAULT '',
  team TEXT NOT NULL DEFAULT '',
  hash TEXT NOT NULL,
  must_change INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions(
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  csrf TEXT NOT NULL,
  created INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  addr TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit(
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  user TEXT NOT NULL,
  action TEXT NOT NULL,
  call_id TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  addr TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY,
  path TEXT UNIQUE NOT NULL,
  imported_at TEXT NOT NULL,
  calls INTEGER NOT NULL,
  findings INTEGER NOT NULL,
  duplicates INTEGER NOT NULL,
  seconds REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS calls(
  call_id TEXT PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  day TEXT NOT NULL,
  started_at TEXT NOT NULL,
  operator_id TEXT NOT NULL,
  operator_name TEXT NOT NULL,
  team TEXT NOT NULL,
  score REAL NOT NULL,
  passed INTEGER NOT NULL,
  red_line INTEGER NOT NULL,
  reviewed_score REAL NOT NULL,
  needs_review INTEGER NOT NULL,
  critical INTEGER NOT NULL,
  findings INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS findings(
  id INTEGER PRIMARY KEY,
  call_id TEXT NOT NULL,
  norm TEXT NOT NULL,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  points REAL NOT NULL,
  utterance_index INTEGER,
  needs_review INTEGER NOT NULL,
  verdict TEXT NOT NULL DEFAULT '',
  reviewer TEXT NOT NULL DEFAULT '',
  comment TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS findings_call ON findings(call_id);
CREATE INDEX IF NOT EXISTS findings_rule ON findings(rule, call_id);
CREATE INDEX IF NOT EXISTS findings_norm ON findings(norm, call_id);
CREATE TABLE IF NOT EXISTS reviews(
  id INTEGER PRIMARY KEY,
  finding_id INTEGER NOT NULL REFERENCES findings(id),
  call_id TEXT NOT NULL,
  rule TEXT NOT NULL,
  utterance_index INTEGER,
  verdict TEXT NOT NULL,
  reviewer TEXT NOT NULL,
  comment TEXT NOT NULL,
  reviewed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_call ON reviews(call_id);
";

/// Opens (creating when needed) the database at `path`.
pub fn open(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open(path).with_context(|| {
        format!(
            "打不开数据库 {}：请检查路径和权限（cannot open the database）",
            path.display()
        )
    })?;
    // WAL: the run importer writes while the pages read. The busy timeout
    // lets one wait for the other instead of failing.
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // A bounded page cache per connection (64 MiB; SQLite's default is
    // 2 MiB, which on a 5-million-call database sends most index pages
    // back to the kernel for every page of the list). The server's memory
    // is this per connection (two: pages and the run importer) plus the
    // runs' scorers; BENCHMARKS.md has the measured peak.
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    let schema = [
        SCHEMA,
        super::web::units::SCHEMA,
        super::web::rules_page::SCHEMA,
        super::sources::SCHEMA,
    ]
    .concat();
    let not_ours = || {
        format!(
            "{} 不是质检工作台的数据库，或已损坏（not a workbench database）",
            path.display()
        )
    };
    conn.execute_batch(&schema).with_context(not_ours)?;
    super::stats::migrate(&conn).with_context(not_ours)?;
    super::appeals::schema(&conn).with_context(not_ours)?;
    Ok(conn)
}

/// A read-only connection for the pages that only read (the call list,
/// the overview, a call's row): several of them beside the one connection
/// that writes, so that readers do not queue behind one another or behind
/// a write (WAL lets them read the last committed state meanwhile). Opened
/// after [`open`] has made the schema. Each has its own page cache (32 MiB).
pub fn open_reader(path: &Path) -> anyhow::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| {
        format!(
            "打不开数据库 {}（只读）：请检查路径和权限（cannot open the database for reading）",
            path.display()
        )
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "cache_size", -32_768)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

/// Now, UTC, RFC 3339 to the second: the audit log's clock.
pub fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Appends one line to the audit log.
pub fn audit(
    conn: &Connection,
    user: &str,
    action: &str,
    call_id: &str,
    detail: &str,
    addr: &str,
) -> anyhow::Result<()> {
    conn.execute(
        "INSERT INTO audit(at, user, action, call_id, detail, addr) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![now_utc(), user, action, call_id, detail, addr],
    )?;
    Ok(())
}

/// What one import did.
#[derive(Debug, Default)]
pub struct Imported {
    /// Calls stored.
    pub calls: u64,
    /// Findings stored.
    pub findings: u64,
    /// Calls already in the database from an earlier run (kept as they were).
    pub duplicates: u64,
    /// Seconds taken.
    pub seconds: f64,
    /// Calls whose transcript line was located in the inputs.
    pub located: u64,
    /// Why the locations were not recorded ("" when they were).
    pub note: String,
}

/// Whether `dir` is a complete run: it has its run.json and it is not a
/// staging folder (`.NAME.hq-staging-PID`) that `score` is still writing.
pub fn is_complete_run(dir: &Path) -> bool {
    let staging = dir
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') || n.contains(".hq-staging-"));
    !staging && dir.join(crate::review::manifest::FILE).is_file()
}

/// The runs under `runs` not imported yet, in name order (a nightly job
/// names them by day).
pub fn pending_runs(conn: &Connection, runs: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(runs).with_context(|| {
        format!(
            "读不了运行文件夹 {}：请检查 --runs（cannot list the runs folder）",
            runs.display()
        )
    })?;
    for e in entries.flatten() {
        let p = e.path();
        if !p.is_dir() || !is_complete_run(&p) {
            continue;
        }
        let key = crate::review::manifest::absolute(&p).display().to_string();
        let known: Option<i64> = conn
            .query_row("SELECT id FROM runs WHERE path = ?1", [&key], |r| r.get(0))
            .optional()?;
        if known.is_none() {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// The index of `name` in a CSV header, or an error naming the file.
fn column(header: &csv::StringRecord, name: &str, file: &Path) -> anyhow::Result<usize> {
    header.iter().position(|h| h == name).ok_or_else(|| {
        anyhow::anyhow!(
            "{}：没有 {name} 列，不是 hotline-qa score 写出的文件（missing column {name}）",
            file.display()
        )
    })
}

/// Imports one run folder in one transaction: its calls and findings, or
/// nothing (a run that fails half-way leaves no half of it behind); then
/// records where their dialogues are.
pub fn import_run(conn: &mut Connection, dir: &Path) -> anyhow::Result<Imported> {
    let started = Instant::now();
    // run.json says which inputs the run read: where each call's line and
    // ticket are in them is recorded below (the detail page reads only those).
    let manifest = Manifest::read(dir)?;
    let key = crate::review::manifest::absolute(dir).display().to_string();
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO runs(path, imported_at, calls, findings, duplicates, seconds) VALUES (?1, ?2, 0, 0, 0, 0)",
        params![key, now_utc()],
    )?;
    let run_id = tx.last_insert_rowid();
    let mut done = Imported::default();
    let mut fresh: HashSet<String> = HashSet::new();
    {
        let calls_path = dir.join("calls.csv");
        let mut rd = csv::Reader::from_path(&calls_path)
            .with_context(|| format!("读不了 {}（cannot read calls.csv）", calls_path.display()))?;
        let h = rd.headers()?.clone();
        let [id, op, name, team, at, score, passed, red, rscore, needs] = [
            "call_id",
            "operator_id",
            "operator_name",
            "team",
            "started_at",
            "score",
            "passed",
            "red_line",
            "reviewed_score",
            "needs_review",
        ]
        .map(|c| column(&h, c, &calls_path));
        let (id, op, name, team, at, score, passed, red, rscore, needs) = (
            id?, op?, name?, team?, at?, score?, passed?, red?, rscore?, needs?,
        );
        let mut ins = tx.prepare(
            "INSERT OR IGNORE INTO calls(call_id, run_id, day, started_at, operator_id, operator_name, team,
               score, passed, red_line, reviewed_score, needs_review, critical, findings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, 0)",
        )?;
        for (k, rec) in rd.records().enumerate() {
            let rec =
                rec.with_context(|| format!("{} 第 {} 行读不了", calls_path.display(), k + 2))?;
            let f = |i: usize| excel_unescape(rec.get(i).unwrap_or("")).to_string();
            let num = |i: usize| {
                rec.get(i)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0)
            };
            let call_id = f(id);
            let started_at = f(at);
            let day: String = started_at.chars().take(10).collect();
            let n = ins.execute(params![
                call_id,
                run_id,
                day,
                started_at,
                f(op),
                f(name),
                f(team),
                num(score),
                rec.get(passed) == Some("true"),
                rec.get(red) == Some("true"),
                num(rscore),
                num(needs) as i64,
            ])?;
            if n == 0 {
                done.duplicates += 1;
            } else {
                done.calls += 1;
                fresh.insert(call_id);
            }
        }
    }
    {
        let path = dir.join("findings.csv");
        let mut rd = csv::Reader::from_path(&path)
            .with_context(|| format!("读不了 {}（cannot read findings.csv）", path.display()))?;
        let h = rd.headers()?.clone();
        let [id, norm, rule, sev, points, utt, needs] = [
            "call_id",
            "norm",
            "rule",
            "severity",
            "points",
            "utterance_index",
            "needs_review",
        ]
        .map(|c| column(&h, c, &path));
        let (id, norm, rule, sev, points, utt, needs) =
            (id?, norm?, rule?, sev?, points?, utt?, needs?);
        let verdict = h.iter().position(|c| c == "verdict");
        let mut ins = tx.prepare(
            "INSERT INTO findings(call_id, norm, rule, severity, points, utterance_index, needs_review)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (k, rec) in rd.records().enumerate() {
            let rec = rec.with_context(|| format!("{} 第 {} 行读不了", path.display(), k + 2))?;
            let f = |i: usize| excel_unescape(rec.get(i).unwrap_or("")).to_string();
            let call_id = f(id);
            // Added findings (verdict=added) exist only through a reviews
            // file; the workbench keeps the machine's findings and its own
            // reviews.
            if !fresh.contains(&call_id) || verdict.and_then(|v| rec.get(v)) == Some("added") {
                continue;
            }
            let utterance: Option<i64> = rec.get(utt).and_then(|v| v.parse().ok());
            ins.execute(params![
                call_id,
                f(norm),
                f(rule),
                f(sev),
                rec.get(points)
                    .and_then(|v| v.parse::<f64>().ok())
                    .unwrap_or(0.0),
                utterance,
                rec.get(needs) == Some("true"),
            ])?;
            done.findings += 1;
        }
    }
    tx.execute(
        "UPDATE calls SET
           critical = (SELECT COUNT(*) FROM findings f WHERE f.call_id = calls.call_id AND f.severity = 'critical'),
           findings = (SELECT COUNT(*) FROM findings f WHERE f.call_id = calls.call_id)
         WHERE run_id = ?1",
        [run_id],
    )?;
    // The tickets' outcomes (工单时效) and the run's days and scorecard
    // version (规则) come in with the same transaction.
    super::web::units::import_tickets(&tx, dir, run_id)?;
    super::web::rules_page::note_run(&tx, dir, run_id)?;
    done.seconds = started.elapsed().as_secs_f64();
    tx.execute(
        "UPDATE runs SET calls = ?2, findings = ?3, duplicates = ?4, seconds = ?5 WHERE id = ?1",
        params![
            run_id,
            done.calls as i64,
            done.findings as i64,
            done.duplicates as i64,
            done.seconds
        ],
    )?;
    tx.commit()?;
    super::list::calls_changed();
    // Where each call's dialogue and ticket are, recorded once the run's
    // calls are in (in transactions of their own, see `sources::record`).
    // Inputs moved away since `score` ran leave the calls imported: the
    // detail page then says it cannot find the dialogue.
    let local = manifest.config(dir).map(|c| c.offset());
    let rec = local.and_then(|local| {
        super::sources::record(
            conn,
            run_id,
            &manifest.inputs,
            manifest.sheet.as_deref(),
            local,
            &fresh,
        )
    });
    match rec {
        Ok(r) => done.located = r.dialogues,
        Err(e) => done.note = format!("；没能记下对话在输入文件里的位置，打开通话时会较慢：{e:#}"),
    }
    done.seconds = started.elapsed().as_secs_f64();
    conn.execute(
        "UPDATE runs SET seconds = ?2 WHERE id = ?1",
        params![run_id, done.seconds],
    )?;
    super::stats::after_import(conn)?;
    Ok(done)
}

/// Imports every pending run under `runs`, returning a line per run for the log.
pub fn import_pending(conn: &mut Connection, runs: &Path) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::new();
    for dir in pending_runs(conn, runs)? {
        match import_run(conn, &dir) {
            Ok(i) => lines.push(format!(
                "已导入运行 {}：{} 通电话、{} 条扣分，{} 通已在库里（跳过），用时 {:.2} 秒{}",
                dir.display(),
                i.calls,
                i.findings,
                i.duplicates,
                i.seconds,
                i.note
            )),
            Err(e) => lines.push(format!(
                "导入运行 {} 失败，下次轮询再试：{e:#}（import failed）",
                dir.display()
            )),
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_log_refuses_updates_and_deletes() {
        let dir = tempfile::tempdir().expect("tmp");
        let conn = open(&dir.path().join("a.sqlite")).expect("open");
        audit(&conn, "qa", "review", "c1", "dismissed", "127.0.0.1").expect("append");
        assert!(conn.execute("UPDATE audit SET user = 'x'", []).is_err());
        assert!(conn.execute("DELETE FROM audit", []).is_err());
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM audit WHERE user = 'qa'", [], |r| {
                r.get(0)
            })
            .expect("count");
        assert_eq!(n, 1);
    }

    #[test]
    fn staging_folders_and_folders_without_run_json_are_not_complete_runs() {
        let dir = tempfile::tempdir().expect("tmp");
        let run = dir.path().join("2026-11-27");
        let staging = dir.path().join(".2026-11-28.hq-staging-4242");
        let bare = dir.path().join("2026-11-29");
        for d in [&run, &staging, &bare] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(run.join("run.json"), "{}").expect("write");
        std::fs::write(staging.join("run.json"), "{}").expect("write");
        assert!(is_complete_run(&run));
        assert!(!is_complete_run(&staging));
        assert!(!is_complete_run(&bare));
    }
}
