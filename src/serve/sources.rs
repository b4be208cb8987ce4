//! Where each imported call's dialogue and ticket are, recorded at import
//! so that opening a call (and saving a review, which scores it again)
//! reads one line instead of the run's whole input files.
//!
//! - A plain `.jsonl` transcript: the line's byte offset and length in the
//!   file, with a 64-bit FNV-1a hash of its bytes. The detail page seeks,
//!   reads those bytes and checks the hash, so that a file changed since
//!   import is reported rather than showing another call's dialogue.
//! - A `.jsonl.gz` transcript cannot be seeked into (an offset in the
//!   decompressed stream means decompressing everything before it), so
//!   the line itself is kept, deflate-compressed, in the database.
//! - A CSV ticket file (UTF-8 or GB18030): the ticket row's cells are kept
//!   (deflate-compressed JSON) with the file's header, and parsed again
//!   with the same `tickets::parse_row` that `score` used. A seek offset
//!   would not do here: a GB18030 file's decoded offsets are not its
//!   bytes', and a cell may hold a newline.
//! - An `.xlsx`/`.xls` ticket file cannot be seeked into either; only which
//!   file holds the call's ticket is recorded, and that one file is read
//!   when the call is opened (see README 还没有的).
//!
//! BENCHMARKS.md (workbench) has the measurements behind these choices.

use std::collections::HashSet;
use std::io::{BufRead, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use chrono::FixedOffset;
use rusqlite::{params, Connection, OptionalExtension};

use crate::input::tickets::{self, HeaderMap};
use crate::input::transcripts::{self, Limits};
use crate::model::{Call, Ticket};

/// The tables. Separate from `calls` so that a database made before them
/// gains them by `CREATE TABLE IF NOT EXISTS`; a call without a row here
/// (imported before) is found by reading the inputs, as it was then.
/// Ordinary rowid tables, not WITHOUT ROWID: their rows hold kilobyte
/// blobs, which a WITHOUT ROWID b-tree spills into overflow pages (a
/// gzipped day took 367 MB so, against 89 MB of compressed lines).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS source_files(
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  path TEXT NOT NULL,
  kind TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime INTEGER NOT NULL,
  header TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS call_sources(
  call_id TEXT PRIMARY KEY,
  file_id INTEGER NOT NULL,
  line INTEGER NOT NULL,
  offset INTEGER,
  len INTEGER NOT NULL,
  hash INTEGER NOT NULL,
  packed BLOB
);
CREATE TABLE IF NOT EXISTS call_tickets(
  call_id TEXT PRIMARY KEY,
  file_id INTEGER NOT NULL,
  line INTEGER NOT NULL,
  cells BLOB
);
";

/// 64-bit FNV-1a: a stable hash of a line's bytes (std's hasher may change
/// between Rust versions, and the hash is stored).
pub fn fnv1a(bytes: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

fn deflate(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

fn inflate(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .take(256 * 1024 * 1024)
        .read_to_end(&mut out)
        .context("数据库里存的对话解不开，数据库可能已损坏（cannot inflate）")?;
    Ok(out)
}

fn mtime(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn is_gz(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

fn is_book(p: &Path) -> bool {
    p.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
        || crate::input::workbook::handles(p)
}

/// What [`record`] kept.
#[derive(Debug, Default)]
pub struct Recorded {
    /// Calls whose transcript line was located.
    pub dialogues: u64,
    /// Calls whose ticket was located.
    pub tickets: u64,
}

/// Records where the `fresh` calls' lines and tickets are in the run's
/// inputs (`inputs` as run.json lists them). The first line of a call id
/// and its first readable ticket, in file order, as `run::find_call`
/// picks them.
pub fn record(
    conn: &Connection,
    run_id: i64,
    inputs: &[PathBuf],
    sheet: Option<&str>,
    local: FixedOffset,
    fresh: &HashSet<String>,
) -> anyhow::Result<Recorded> {
    // In transactions of a few thousand rows, so that the pages' own
    // writes (sessions, the audit log) go in between instead of waiting
    // for a whole day's lines to be parsed (a debug build takes 15 s for
    // 100 000 calls). A recording cut short keeps what it committed.
    conn.execute_batch("BEGIN")?;
    match record_in_batches(conn, run_id, inputs, sheet, local, fresh) {
        Ok(r) => {
            conn.execute_batch("COMMIT")?;
            Ok(r)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn record_in_batches(
    conn: &Connection,
    run_id: i64,
    inputs: &[PathBuf],
    sheet: Option<&str>,
    local: FixedOffset,
    fresh: &HashSet<String>,
) -> anyhow::Result<Recorded> {
    let inputs = crate::input::collect_inputs(inputs)?;
    let mut done = Recorded::default();
    let mut files = conn.prepare(
        "INSERT INTO source_files(run_id, path, kind, size, mtime, header) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut ins = conn.prepare(
        "INSERT OR IGNORE INTO call_sources(call_id, file_id, line, offset, len, hash, packed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let limits = Limits::default();
    // Tickets first: a call whose line is recorded has its ticket recorded
    // too (or has none), so that a recording cut short leaves calls that
    // are searched for in the inputs, never a call shown without its
    // ticket.
    let mut rows = 0usize;
    let mut tins = conn.prepare(
        "INSERT OR IGNORE INTO call_tickets(call_id, file_id, line, cells) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for path in &inputs.tickets {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("{}：读不了工单文件（cannot stat）", path.display()))?;
        let name = path.display().to_string();
        let file: Arc<str> = Arc::from(name.as_str());
        if is_book(path) {
            files.execute(params![
                run_id,
                name,
                "tickets.book",
                i64::try_from(meta.len()).unwrap_or(i64::MAX),
                mtime(&meta),
                ""
            ])?;
            let file_id = conn.last_insert_rowid();
            let mut err = None;
            tickets::read_file(path, sheet, local, &mut |row| {
                if err.is_some() {
                    return;
                }
                if let Ok(t) = row {
                    if let Some(id) = t.call_id.as_deref().filter(|id| fresh.contains(*id)) {
                        let line = t.source.as_ref().map_or(0, |s| s.line as i64);
                        match tins.execute(params![id, file_id, line, Option::<Vec<u8>>::None]) {
                            Ok(n) => done.tickets += n as u64,
                            Err(e) => err = Some(e),
                        }
                    }
                }
            })?;
            if let Some(e) = err {
                return Err(e.into());
            }
            continue;
        }
        // The CSV read as `tickets::read_file` reads it (same decoding,
        // same reader settings, same line numbers), keeping the cells.
        let f = std::fs::File::open(path).map_err(|e| {
            anyhow::anyhow!("{file}：打不开工单文件：{}", crate::messages::io_zh(&e))
        })?;
        let decoded = crate::input::DecodingReader::new(f).map_err(|e| {
            anyhow::anyhow!("{file}：读不了工单文件：{}", crate::messages::io_zh(&e))
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(crate::input::lines::LineCounted::new(decoded));
        let mut record = csv::StringRecord::new();
        let mut map: Option<(HeaderMap, i64)> = None;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let line = reader.get_mut().line_of(record.position());
                    let row: Vec<String> = record.iter().map(str::to_string).collect();
                    match &map {
                        None => {
                            files.execute(params![
                                run_id,
                                name,
                                "tickets.csv",
                                i64::try_from(meta.len()).unwrap_or(i64::MAX),
                                mtime(&meta),
                                serde_json::to_string(&row)?
                            ])?;
                            map = Some((HeaderMap::new(&row), conn.last_insert_rowid()));
                        }
                        Some((m, file_id)) => {
                            let Ok(t) = tickets::parse_row(&row, m, &file, line, local) else {
                                continue;
                            };
                            let Some(id) = t.call_id.as_deref().filter(|id| fresh.contains(*id))
                            else {
                                continue;
                            };
                            let cells = deflate(serde_json::to_string(&row)?.as_bytes())?;
                            done.tickets +=
                                tins.execute(params![id, file_id, line as i64, cells])? as u64;
                            rows += 1;
                            if rows.is_multiple_of(BATCH) {
                                conn.execute_batch("COMMIT; BEGIN")?;
                            }
                        }
                    }
                }
                // A row that cannot be read is a reject of `score`'s, and
                // an I/O error ends the file there, as in `read_csv`.
                Err(e) => {
                    if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                        break;
                    }
                }
            }
        }
    }
    // The tickets are in before any line is.
    conn.execute_batch("COMMIT; BEGIN")?;
    for path in &inputs.transcripts {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("{}：读不了转写文件（cannot stat）", path.display()))?;
        let gz = is_gz(path);
        let name = path.display().to_string();
        files.execute(params![
            run_id,
            name,
            if gz { "jsonl.gz" } else { "jsonl" },
            i64::try_from(meta.len()).unwrap_or(i64::MAX),
            mtime(&meta),
            ""
        ])?;
        let file_id = conn.last_insert_rowid();
        let file: Arc<str> = Arc::from(name.as_str());
        let mut reader = transcripts::open(path).map_err(|e| {
            anyhow::anyhow!("{file}：打不开转写文件：{}", crate::messages::io_zh(&e))
        })?;
        let mut buf = Vec::new();
        let (mut offset, mut line) = (0u64, 0u64);
        let cap = limits.max_line_bytes as u64 + 2;
        // Lines are parsed a batch at a time on the rayon threads (parsing
        // is most of an import's time), then stored in file order, so that
        // the first line of a call id is the one kept.
        let mut batch: Vec<(u64, u64, Vec<u8>)> = Vec::with_capacity(BATCH);
        loop {
            buf.clear();
            let n = (&mut reader).take(cap).read_until(b'\n', &mut buf)? as u64;
            if n == 0 {
                break;
            }
            let start = offset;
            offset += n;
            line += 1;
            if !buf.ends_with(b"\n") && n == cap {
                // Too long for `score` (it rejected the line): skipped
                // without holding it.
                loop {
                    let (skip, end) = {
                        let b = reader.fill_buf()?;
                        match memchr::memchr(b'\n', b) {
                            Some(i) => (i + 1, true),
                            None => (b.len(), b.is_empty()),
                        }
                    };
                    reader.consume(skip);
                    offset += skip as u64;
                    if end {
                        break;
                    }
                }
                continue;
            }
            let mut content = buf.as_slice();
            if let Some(c) = content.strip_suffix(b"\n") {
                content = c;
            }
            if let Some(c) = content.strip_suffix(b"\r") {
                content = c;
            }
            batch.push((line, start, content.to_vec()));
            if batch.len() == BATCH {
                let lines = std::mem::take(&mut batch);
                done.dialogues += store_lines(&mut ins, file_id, &file, gz, lines, local, fresh)?;
                conn.execute_batch("COMMIT; BEGIN")?;
            }
        }
        done.dialogues += store_lines(&mut ins, file_id, &file, gz, batch, local, fresh)?;
    }
    Ok(done)
}

/// Lines parsed together (as `score` reads them, 4096 at a time).
const BATCH: usize = 4096;

/// Parses a batch of (line number, byte offset, bytes) on the rayon
/// threads and stores the fresh calls' locations in order; returns how
/// many were stored.
fn store_lines(
    ins: &mut rusqlite::Statement<'_>,
    file_id: i64,
    file: &Arc<str>,
    gz: bool,
    lines: Vec<(u64, u64, Vec<u8>)>,
    local: FixedOffset,
    fresh: &HashSet<String>,
) -> anyhow::Result<u64> {
    use rayon::prelude::*;
    let limits = Limits::default();
    type Found = Option<(String, i64, Option<Vec<u8>>)>;
    let found: Vec<anyhow::Result<Found>> = lines
        .par_iter()
        .map(|(line, _, bytes)| {
            let Ok(call) = transcripts::parse_line(bytes, file, *line, local, &limits) else {
                return Ok(None);
            };
            if !fresh.contains(call.call_id.as_str()) {
                return Ok(None);
            }
            let packed = if gz { Some(deflate(bytes)?) } else { None };
            Ok(Some((call.call_id, fnv1a(bytes), packed)))
        })
        .collect();
    let mut n = 0u64;
    for ((line, start, bytes), f) in lines.iter().zip(found) {
        let Some((id, hash, packed)) = f? else {
            continue;
        };
        let len = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        // A gz line is kept (no offset); a plain one is found by offset.
        let offset = if packed.is_some() {
            None
        } else {
            i64::try_from(*start).ok()
        };
        n += ins.execute(params![
            id,
            file_id,
            *line as i64,
            offset,
            len,
            hash,
            packed
        ])? as u64;
    }
    Ok(n)
}

/// A source file's row.
struct FileRow {
    path: String,
    size: i64,
    mtime: i64,
    header: String,
}

fn file_row(conn: &Connection, id: i64) -> anyhow::Result<FileRow> {
    conn.query_row(
        "SELECT path, size, mtime, header FROM source_files WHERE id = ?1",
        [id],
        |r| {
            Ok(FileRow {
                path: r.get(0)?,
                size: r.get(1)?,
                mtime: r.get(2)?,
                header: r.get(3)?,
            })
        },
    )
    .with_context(|| format!("数据库里没有输入文件 {id} 的记录，数据库可能已损坏"))
}

/// What the database says about one call's dialogue and ticket, read under
/// the database lock; the files are read after it is released.
pub struct Located {
    dialogue: Dialogue,
    ticket: Option<TicketAt>,
}

enum Dialogue {
    InFile {
        file: FileRow,
        line: u64,
        offset: u64,
        len: usize,
        hash: i64,
    },
    Packed {
        file: String,
        line: u64,
        bytes: Vec<u8>,
        hash: i64,
    },
}

enum TicketAt {
    Cells {
        file: String,
        header: String,
        line: u64,
        cells: Vec<u8>,
    },
    Book {
        file: String,
    },
}

/// The call's recorded locations, or None for a call imported before
/// they were recorded.
pub fn locate(conn: &Connection, call_id: &str) -> anyhow::Result<Option<Located>> {
    type Row = (i64, i64, Option<i64>, i64, i64, Option<Vec<u8>>);
    let src: Option<Row> = conn
        .query_row(
            "SELECT file_id, line, offset, len, hash, packed FROM call_sources WHERE call_id = ?1",
            [call_id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()?;
    let Some((file_id, line, offset, len, hash, packed)) = src else {
        return Ok(None);
    };
    let file = file_row(conn, file_id)?;
    let line = u64::try_from(line).unwrap_or(0);
    let dialogue = match (packed, offset) {
        (Some(bytes), _) => Dialogue::Packed {
            file: file.path,
            line,
            bytes,
            hash,
        },
        (None, Some(offset)) => Dialogue::InFile {
            file,
            line,
            offset: u64::try_from(offset).unwrap_or(0),
            len: usize::try_from(len).unwrap_or(0),
            hash,
        },
        (None, None) => anyhow::bail!("数据库里通话 {call_id} 的位置记录不全，数据库可能已损坏"),
    };
    let t: Option<(i64, i64, Option<Vec<u8>>)> = conn
        .query_row(
            "SELECT file_id, line, cells FROM call_tickets WHERE call_id = ?1",
            [call_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let ticket = match t {
        None => None,
        Some((file_id, line, cells)) => {
            let f = file_row(conn, file_id)?;
            Some(match cells {
                Some(cells) => TicketAt::Cells {
                    file: f.path,
                    header: f.header,
                    line: u64::try_from(line).unwrap_or(0),
                    cells,
                },
                None => TicketAt::Book { file: f.path },
            })
        }
    };
    Ok(Some(Located { dialogue, ticket }))
}

/// Reads the located call and its ticket. `Err` says in Chinese what is
/// wrong and what to do (a changed file is never read as another call).
pub fn read(
    at: Located,
    call_id: &str,
    local: FixedOffset,
    sheet: Option<&str>,
) -> anyhow::Result<(Call<'static>, Option<Ticket>)> {
    let limits = Limits::default();
    let (name, line, bytes, hash) = match at.dialogue {
        Dialogue::Packed {
            file,
            line,
            bytes,
            hash,
        } => (file, line, inflate(&bytes)?, hash),
        Dialogue::InFile {
            file,
            line,
            offset,
            len,
            hash,
        } => {
            let changed = |why: &str| {
                anyhow::anyhow!(
                    "转写文件 {} 在导入后改过（{why}），第 {line} 行已不是导入时的那一行，为免显示别的通话，这里不显示对话：请把导入时的文件放回原处（transcript changed since import）",
                    file.path
                )
            };
            let mut f = std::fs::File::open(&file.path).map_err(|e| {
                anyhow::anyhow!(
                    "打不开转写文件 {}：{}",
                    file.path,
                    crate::messages::io_zh(&e)
                )
            })?;
            let meta = f.metadata()?;
            let same_stamp =
                i64::try_from(meta.len()).ok() == Some(file.size) && mtime(&meta) == file.mtime;
            let mut bytes = vec![0u8; len];
            f.seek(SeekFrom::Start(offset))?;
            if f.read_exact(&mut bytes).is_err() {
                return Err(changed("文件变短了"));
            }
            if fnv1a(&bytes) != hash {
                return Err(changed(if same_stamp {
                    "内容不同"
                } else {
                    "大小或修改时间不同"
                }));
            }
            (file.path, line, bytes, hash)
        }
    };
    if fnv1a(&bytes) != hash {
        anyhow::bail!("数据库里存的通话 {call_id} 的对话校验不对，数据库可能已损坏");
    }
    let file: Arc<str> = Arc::from(name.as_str());
    let call = match transcripts::parse_line(&bytes, &file, line, local, &limits) {
        Ok(c) if c.call_id == call_id => c.into_owned(),
        Ok(c) => anyhow::bail!(
            "{name} 第 {line} 行是通话 {}，不是 {call_id}：文件在导入后改过，请把导入时的文件放回原处",
            c.call_id
        ),
        Err(r) => anyhow::bail!("{name} 第 {line} 行：通话 {call_id} 无法评分：{}", crate::report::privacy::mask_reason(&r.reason)),
    };
    let ticket = match at.ticket {
        None => None,
        Some(TicketAt::Cells {
            file,
            header,
            line,
            cells,
        }) => {
            let header: Vec<String> = serde_json::from_str(&header)
                .context("数据库里存的工单表头读不了，数据库可能已损坏")?;
            let row: Vec<String> = serde_json::from_slice(&inflate(&cells)?)
                .context("数据库里存的工单读不了，数据库可能已损坏")?;
            let map = HeaderMap::new(&header);
            let f: Arc<str> = Arc::from(file.as_str());
            tickets::parse_row(&row, &map, &f, line, local).ok()
        }
        Some(TicketAt::Book { file }) => {
            let mut found = None;
            tickets::read_file(Path::new(&file), sheet, local, &mut |row| {
                if let Ok(t) = row {
                    if found.is_none() && t.call_id.as_deref() == Some(call_id) {
                        found = Some(t);
                    }
                }
            })?;
            found
        }
    };
    Ok((call, ticket))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn samples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
    }

    /// A database holding one run row, and the samples copied to `dir/in`.
    fn setup(dir: &Path, gz: bool) -> (Connection, Vec<PathBuf>, HashSet<String>) {
        let input = dir.join("in");
        std::fs::create_dir_all(&input).expect("mkdir");
        let calls = std::fs::read(samples().join("calls.jsonl")).expect("samples");
        if gz {
            use std::io::Write;
            let f = std::fs::File::create(input.join("calls.jsonl.gz")).expect("create");
            let mut e = flate2::write::GzEncoder::new(f, flate2::Compression::default());
            e.write_all(&calls).expect("write");
            e.finish().expect("finish");
        } else {
            std::fs::write(input.join("calls.jsonl"), &calls).expect("write");
        }
        std::fs::copy(samples().join("tickets.csv"), input.join("tickets.csv")).expect("copy");
        let conn = super::super::db::open(&dir.join("db.sqlite")).expect("open");
        conn.execute(
            "INSERT INTO runs(path, imported_at, calls, findings, duplicates, seconds) VALUES ('r', '', 0, 0, 0, 0)",
            [],
        )
        .expect("run");
        let ids: HashSet<String> = String::from_utf8_lossy(&calls)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["call_id"].as_str().map(str::to_string))
            .collect();
        (conn, vec![input], ids)
    }

    fn local() -> FixedOffset {
        Config::default().offset()
    }

    #[test]
    fn recorded_line_and_ticket_read_back_as_the_whole_file_scan_finds_them() {
        for gz in [false, true] {
            let dir = tempfile::tempdir().expect("tmp");
            let (conn, inputs, ids) = setup(dir.path(), gz);
            let rec = record(&conn, 1, &inputs, None, local(), &ids).expect("record");
            assert_eq!(rec.dialogues as usize, ids.len());
            assert!(rec.tickets > 0);
            let config = Config::default();
            for id in &ids {
                let at = locate(&conn, id).expect("locate").expect("recorded");
                let fast = read(at, id, local(), None).expect("read");
                let slow = crate::run::find_call(&inputs, id, &config, None).expect("scan");
                assert_eq!(fast.0, slow.0, "call {id} (gz {gz})");
                assert_eq!(fast.1, slow.1, "ticket of {id} (gz {gz})");
            }
            // Must not: a call that was not imported has no location.
            assert!(locate(&conn, "no-such-call").expect("locate").is_none());
        }
    }

    #[test]
    fn only_the_imported_calls_are_located() {
        let dir = tempfile::tempdir().expect("tmp");
        let (conn, inputs, ids) = setup(dir.path(), false);
        let one: HashSet<String> = ids.iter().take(1).cloned().collect();
        let rec = record(&conn, 1, &inputs, None, local(), &one).expect("record");
        assert_eq!(rec.dialogues, 1);
        let other = ids.iter().find(|i| !one.contains(*i)).expect("two calls");
        assert!(locate(&conn, other).expect("locate").is_none());
    }

    #[test]
    fn transcript_changed_since_import_is_reported_not_shown_as_another_call() {
        let dir = tempfile::tempdir().expect("tmp");
        let (conn, inputs, ids) = setup(dir.path(), false);
        record(&conn, 1, &inputs, None, local(), &ids).expect("record");
        let path = dir.path().join("in").join("calls.jsonl");
        let text = std::fs::read_to_string(&path).expect("read");
        let mut lines: Vec<&str> = text.lines().collect();
        let first: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
        let first_id = first["call_id"].as_str().expect("id").to_string();
        // Lines appended after import: the recorded line is unchanged and
        // still read (must not be refused).
        std::fs::write(&path, format!("{text}\n")).expect("append");
        let at = locate(&conn, &first_id).expect("locate").expect("recorded");
        assert_eq!(
            read(at, &first_id, local(), None).expect("read").0.call_id,
            first_id
        );
        // The first two lines swapped: the offset now holds another call.
        lines.swap(0, 1);
        std::fs::write(&path, lines.join("\n") + "\n").expect("rewrite");
        let at = locate(&conn, &first_id).expect("locate").expect("recorded");
        let err = match read(at, &first_id, local(), None) {
            Ok((c, _)) => panic!("showed call {} for {first_id}", c.call_id),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains("导入后改过"), "{err}");
        // The file cut short.
        std::fs::write(&path, "").expect("truncate");
        let at = locate(&conn, &first_id).expect("locate").expect("recorded");
        assert!(format!(
            "{:#}",
            read(at, &first_id, local(), None)
                .map(|_| ())
                .expect_err("refused")
        )
        .contains("导入后改过"));
    }

    #[test]
    fn gzipped_dialogue_is_kept_in_the_database() {
        let dir = tempfile::tempdir().expect("tmp");
        let (conn, inputs, ids) = setup(dir.path(), true);
        record(&conn, 1, &inputs, None, local(), &ids).expect("record");
        let packed: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM call_sources WHERE packed IS NOT NULL AND offset IS NULL",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(packed as usize, ids.len());
        // The compressed file itself is not needed to open a call.
        std::fs::remove_file(dir.path().join("in").join("calls.jsonl.gz")).expect("rm");
        let id = ids.iter().next().expect("a call");
        let at = locate(&conn, id).expect("locate").expect("recorded");
        assert_eq!(&read(at, id, local(), None).expect("read").0.call_id, id);
    }

    #[test]
    fn recording_cut_short_keeps_tickets_and_no_line_without_its_ticket() {
        let dir = tempfile::tempdir().expect("tmp");
        let (conn, inputs, ids) = setup(dir.path(), true);
        // A gzip whose data is damaged after its header: the tickets are
        // read first and kept; no line is recorded, so every call is
        // searched for in the inputs (and says why it cannot be read)
        // rather than shown without its ticket.
        let gz = dir.path().join("in").join("calls.jsonl.gz");
        let mut bytes = std::fs::read(&gz).expect("read");
        for b in bytes.iter_mut().skip(20) {
            *b = 0xff;
        }
        std::fs::write(&gz, bytes).expect("write");
        assert!(record(&conn, 1, &inputs, None, local(), &ids).is_err());
        let count = |t: &str| -> i64 {
            conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .expect("count")
        };
        assert!(count("call_tickets") > 0);
        assert_eq!(count("call_sources"), 0);
        let id = ids.iter().next().expect("a call");
        assert!(locate(&conn, id).expect("locate").is_none());
        // The connection is usable afterwards (no transaction left open).
        conn.execute_batch("BEGIN; COMMIT;")
            .expect("no open transaction");
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // The hash is stored: it must not change between builds.
        assert_eq!(fnv1a(b"") as u64, 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a") as u64, 0xaf63_dc4c_8601_ec8c);
    }
}
