//! Readers for every input format. This is the only code that knows the
//! input schemas (spec §1): call transcripts (JSON Lines, optionally
//! gzipped), ticket records (CSV in UTF-8 or GBK, or XLSX, with English or
//! Chinese headers), manual QA scores and the calendar/directory files.
//!
//! Readers never stop at a bad record: each one becomes a [`Reject`] with
//! its file, line and a reason in plain words, so that every input record
//! is either used or accounted for.

use std::borrow::Cow;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use encoding_rs::{Decoder, GB18030, UTF_8};

pub mod asr;
pub mod lines;
pub mod manual;
pub mod ticket_store;
pub mod tickets;
pub mod time;
pub mod transcripts;
pub mod workbook;

/// An input record that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The file as the user named it.
    pub file: Arc<str>,
    /// 1-based line (JSONL line or CSV/XLSX row, header = 1); 0 for the whole file.
    pub line: u64,
    /// call_id / ticket_id when it could be read.
    pub record_id: String,
    /// What is wrong, in plain words.
    pub reason: String,
}

/// What kind of input a path holds, by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// `.jsonl`, `.jsonl.gz`, `.json`, `.ndjson`: call transcripts.
    Transcripts,
    /// `.csv`, `.xlsx`, `.xls`: ticket records.
    Tickets,
}

/// Classifies a file by its name; `None` for files that are neither.
pub fn kind_of(path: &Path) -> Option<InputKind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if [
        ".jsonl",
        ".jsonl.gz",
        ".ndjson",
        ".ndjson.gz",
        ".json",
        ".json.gz",
    ]
    .iter()
    .any(|e| name.ends_with(e))
    {
        Some(InputKind::Transcripts)
    } else if name.ends_with(".csv") || name.ends_with(".xlsx") || name.ends_with(".xls") {
        Some(InputKind::Tickets)
    } else {
        None
    }
}

/// The inputs of a run, sorted into transcripts and tickets.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Transcript files, in the order given (folders expanded in name order).
    pub transcripts: Vec<PathBuf>,
    /// Ticket files, likewise.
    pub tickets: Vec<PathBuf>,
    /// Files and folders found in input folders and not read, with why.
    pub skipped: Vec<Skipped>,
}

/// A file or folder found in an input folder and not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// The path as found.
    pub path: PathBuf,
    /// Why, in plain words (Chinese, for the summary).
    pub reason: String,
}

/// Why a CSV or workbook in a folder is not read as tickets: `None` when
/// it is a ticket file, i.e. its first line (first row of the first, or
/// the `--sheet`, sheet) names the ticket_id / 工单编号 column and one of
/// operator_id / accepted_at, and is not the header of a file hotline-qa
/// writes (a run's own tickets.csv is not an export of tickets).
fn not_tickets(path: &Path, sheet: Option<&str>) -> Option<String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let headers = if ext == "xlsx" || ext == "xls" {
        match workbook::first_row(path, sheet) {
            Ok(h) => h,
            Err(why) => return Some(why),
        }
    } else {
        let mut head = vec![0u8; 8192];
        let n = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .unwrap_or(0);
        head.truncate(n);
        let text = decode_text(&head);
        let first = text.lines().next().unwrap_or("");
        first
            .split(',')
            .map(|h| h.trim().trim_matches('"').to_string())
            .collect()
    };
    if is_our_output(&headers) {
        return Some("hotline-qa 的输出文件，不当作输入".into());
    }
    // The ticket id and at least one more required column (operator,
    // accepted time): a list of ticket ids with other columns (such as the
    // generator's truth_tickets.csv, or a QA team's own notes) is not tickets.
    let missing = tickets::HeaderMap::new(&headers).missing_required();
    if !missing.contains(&"ticket_id") && missing.len() <= 1 {
        None
    } else if ext == "csv" {
        Some("第一行没有工单编号等表头，不是工单文件（如号码簿）".into())
    } else {
        Some("第一行没有工单编号等表头，不是工单表（如 report.xlsx、复核表）".into())
    }
}

/// True when `headers` are those of a CSV file hotline-qa writes.
fn is_our_output(headers: &[String]) -> bool {
    use crate::report::csv_out;
    let tickets = csv_out::tickets_header();
    let ours: [&[&str]; 6] = [
        &csv_out::calls_header(),
        &csv_out::FINDING_COLUMNS,
        &csv_out::REJECT_COLUMNS,
        &csv_out::units_header(),
        &tickets,
        &csv_out::REPEAT_COLUMNS,
    ];
    let h: Vec<&str> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}'))
        .collect();
    // Also a tickets.csv of another version: its first columns are ours;
    // and a calls.csv of any scorecard (its item columns are the
    // scorecard's, issue #18): the fixed columns before them are ours.
    let calls = csv_out::CALL_COLUMNS;
    ours.iter().any(|o| h == *o)
        || (h.len() > 4 && h[..4] == tickets[..4])
        || (h.len() > calls.len()
            && h[..calls.len()] == calls[..]
            && h.ends_with(&["caller_number"]))
}

/// The manifest of a folder that is a hotline-qa run: its files are that
/// run's outputs (and the review sheets of it), never inputs.
fn is_run_folder(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join(crate::review::manifest::FILE))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("tool")?.as_str().map(|t| t.starts_with("hotline-qa")))
        .unwrap_or(false)
}

/// Expands the command line's INPUT arguments: files are taken as they are
/// (an unknown extension is an error), folders are searched recursively for
/// known files in name order, so that a run is reproducible.
pub fn collect_inputs(args: &[PathBuf]) -> anyhow::Result<Inputs> {
    collect_inputs_in_sheet(args, None)
}

/// As [`collect_inputs`], sniffing workbooks in folders on `sheet` (the
/// `--sheet` option) rather than their first sheet.
pub fn collect_inputs_in_sheet(args: &[PathBuf], sheet: Option<&str>) -> anyhow::Result<Inputs> {
    let mut inputs = Inputs::default();
    for arg in args {
        let meta = std::fs::metadata(arg).map_err(|e| {
            anyhow::anyhow!(
                "{}：打不开输入，请检查路径：{}",
                arg.display(),
                crate::messages::io_zh(&e)
            )
        })?;
        if meta.is_dir() {
            let mut files = Vec::new();
            let mut walk = Walk::default();
            walk.dir(arg, &mut files, &mut inputs.skipped)?;
            files.sort();
            for f in files {
                match kind_of(&f) {
                    Some(InputKind::Transcripts) => inputs.transcripts.push(f),
                    // A folder may hold other CSV files (a directory, manual
                    // scores) and workbooks (reports, review sheets): only
                    // those with a ticket header are tickets.
                    Some(InputKind::Tickets) => match not_tickets(&f, sheet) {
                        None => inputs.tickets.push(f),
                        Some(reason) => inputs.skipped.push(Skipped { path: f, reason }),
                    },
                    None => {}
                }
            }
        } else {
            match kind_of(arg) {
                Some(InputKind::Transcripts) => inputs.transcripts.push(arg.clone()),
                Some(InputKind::Tickets) => inputs.tickets.push(arg.clone()),
                None => anyhow::bail!(
                    "{}：不是本程序能读的输入（通话转写：.jsonl 或 .jsonl.gz；工单：.csv、.xlsx 或 .xls）（not an input this program reads）",
                    arg.display()
                ),
            }
        }
    }
    Ok(inputs)
}

/// The files below `dir` this program may read (by [`kind_of`]), following
/// links with loops guarded, as `score` finds them ([`Walk`]); and what was
/// passed over, with why. Other readers of folders (`import`) use this too.
pub(crate) fn list_folder(dir: &Path) -> anyhow::Result<(Vec<PathBuf>, Vec<Skipped>)> {
    let (mut files, mut skipped) = (Vec::new(), Vec::new());
    Walk::default().dir(dir, &mut files, &mut skipped)?;
    files.sort();
    Ok((files, skipped))
}

/// A recursive folder listing that follows symbolic links, to files and
/// to folders, and guards against loops by the canonical paths seen.
#[derive(Default)]
struct Walk {
    folders: std::collections::HashSet<PathBuf>,
    /// Canonical path → (the path it is read under, whether that is a link).
    files: std::collections::HashMap<PathBuf, (PathBuf, bool)>,
}

impl Walk {
    fn dir(
        &mut self,
        dir: &Path,
        out: &mut Vec<PathBuf>,
        skipped: &mut Vec<Skipped>,
    ) -> anyhow::Result<()> {
        let canon = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if !self.folders.insert(canon) {
            skipped.push(Skipped {
                path: dir.to_path_buf(),
                reason: "符号链接指回已读过的文件夹（循环），跳过".into(),
            });
            return Ok(());
        }
        if is_run_folder(dir) {
            skipped.push(Skipped {
                path: dir.to_path_buf(),
                reason: "hotline-qa 的运行结果文件夹（有 run.json），其中的文件不当作输入".into(),
            });
            return Ok(());
        }
        let list_err = |e: std::io::Error| {
            anyhow::anyhow!(
                "{}：无法列出文件夹内容（cannot list the folder: {e}）",
                dir.display()
            )
        };
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(list_err)? {
            entries.push(entry.map_err(list_err)?.path());
        }
        // Name order, so that which of two links to one file is read is reproducible.
        entries.sort();
        for path in entries {
            // The staging and set-aside folders of a run (crate::outdir),
            // finished or not, are never inputs.
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if name.is_some_and(|n| {
                n.starts_with('.') && (n.contains(".hq-staging-") || n.contains(".hq-old-"))
            }) {
                skipped.push(Skipped {
                    path,
                    reason: "hotline-qa 运行时的临时输出文件夹，不当作输入".into(),
                });
                continue;
            }
            // Follows a symbolic link; a broken one is listed, not an error.
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    let link =
                        std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
                    skipped.push(Skipped {
                        path,
                        reason: if link {
                            "符号链接指向的文件不存在（断开的链接），跳过".into()
                        } else {
                            format!("无法读取（{e}），跳过")
                        },
                    });
                    continue;
                }
            };
            if meta.is_dir() {
                self.dir(&path, out, skipped)?;
            } else if meta.is_file() && kind_of(&path).is_some() {
                let canon = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                let link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_symlink());
                if let Some((first, first_link)) = self.files.get_mut(&canon) {
                    // One file reached twice is read once, under its own
                    // name rather than a link's when both are seen.
                    let (read, other) = if *first_link && !link {
                        if let Some(slot) = out.iter_mut().find(|p| **p == *first) {
                            *slot = path.clone();
                        }
                        let old = std::mem::replace(first, path);
                        *first_link = false;
                        (first.clone(), old)
                    } else {
                        (first.clone(), path)
                    };
                    skipped.push(Skipped {
                        reason: format!("与 {} 是同一个文件（符号链接），只读一次", read.display()),
                        path: other,
                    });
                    continue;
                }
                self.files.insert(canon, (path.clone(), link));
                out.push(path);
            }
        }
        Ok(())
    }
}

/// True when `bytes` is UTF-8, allowing a multi-byte character cut off at
/// the very end (the sample may end in the middle of one).
fn looks_utf8(bytes: &[u8], more_follows: bool) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => more_follows && e.error_len().is_none() && bytes.len() - e.valid_up_to() < 4,
    }
}

/// True when `bytes` is mostly UTF-8: its multi-byte characters outnumber
/// its malformed sequences four to one. GBK text read as UTF-8 is mostly
/// malformed; a UTF-8 export with a stray bad byte is not.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut multibyte, mut malformed) = (0usize, 0usize);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                multibyte += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let ok = &rest[..e.valid_up_to()];
                multibyte += std::str::from_utf8(ok)
                    .map_or(0, |s| s.chars().filter(|c| !c.is_ascii()).count());
                malformed += 1;
                match e.error_len() {
                    Some(n) => rest = &rest[e.valid_up_to() + n..],
                    None => break,
                }
            }
        }
    }
    multibyte >= 4 * malformed
}

/// Decodes a whole small file (or the head of one): UTF-8 (BOM or not),
/// or GB18030 (a superset of GBK, which Chinese systems export) when that
/// explains the bytes better, as [`DecodingReader`] decides for tickets. A
/// UTF-8 file with a stray bad byte, or a head cut inside a character,
/// stays UTF-8, the bad bytes replaced by U+FFFD; read as GBK, every
/// Chinese character of it would be garbled.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) if mostly_utf8(bytes) => String::from_utf8_lossy(bytes),
        Err(_) => {
            let (text, _, _) = GB18030.decode(bytes);
            text
        }
    }
}

/// Which text encoding a stream turned out to have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without BOM.
    Utf8,
    /// GBK / GB18030.
    Gb18030,
}

/// A reader that yields UTF-8 from a stream in UTF-8 or GB18030, deciding
/// from the first 64 KiB, so that a ticket export of any size is decoded
/// without loading it whole.
pub struct DecodingReader<R: Read> {
    inner: R,
    decoder: Decoder,
    pending: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
    finished: bool,
    /// The detected encoding.
    pub encoding: Encoding,
}

impl<R: Read> DecodingReader<R> {
    /// Wraps `inner`, reading ahead to detect the encoding.
    pub fn new(mut inner: R) -> io::Result<DecodingReader<R>> {
        let mut head = vec![0u8; 64 * 1024];
        let mut filled = 0;
        while filled < head.len() {
            let n = inner.read(&mut head[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        let more_follows = filled == head.len();
        head.truncate(filled);
        let (encoding, decoder) = if head.starts_with(b"\xEF\xBB\xBF")
            || looks_utf8(&head, more_follows)
            // A UTF-8 file with a stray bad byte is still UTF-8: GBK only
            // when it explains the bytes better.
            || mostly_utf8(&head)
        {
            (Encoding::Utf8, UTF_8.new_decoder_with_bom_removal())
        } else {
            (
                Encoding::Gb18030,
                GB18030.new_decoder_without_bom_handling(),
            )
        };
        Ok(DecodingReader {
            inner,
            decoder,
            pending: head,
            out: Vec::new(),
            out_pos: 0,
            eof: false,
            finished: false,
            encoding,
        })
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() && !self.finished {
            if self.pending.is_empty() && !self.eof {
                let mut buf = vec![0u8; 64 * 1024];
                let n = self.inner.read(&mut buf)?;
                buf.truncate(n);
                self.eof = n == 0;
                self.pending = buf;
            }
            let last = self.eof;
            let cap = self
                .decoder
                .max_utf8_buffer_length(self.pending.len())
                .unwrap_or(self.pending.len() * 3 + 16)
                .max(16);
            self.out.resize(cap, 0);
            let (_, read, written, _) =
                self.decoder
                    .decode_to_utf8(&self.pending, &mut self.out, last);
            self.pending.drain(..read);
            self.out.truncate(written);
            if last && self.pending.is_empty() {
                // The decoder has been told the input ended: it must not be
                // called again (encoding_rs panics).
                self.finished = true;
                break;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos >= self.out.len() {
            self.refill()?;
            if self.out.is_empty() {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calls_csv_of_a_centres_own_scorecard_is_our_output() {
        let h = |cols: &[&str]| cols.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let mut custom = crate::report::csv_out::CALL_COLUMNS.to_vec();
        custom.extend(["greeting", "restate", "reviewed_score", "caller_number"]);
        assert!(is_our_output(&h(&custom)));
        assert!(is_our_output(&h(&crate::report::csv_out::calls_header())));
        // Must not: the fixed columns alone, or a ticket-like file.
        assert!(!is_our_output(&h(&crate::report::csv_out::CALL_COLUMNS)));
        assert!(!is_our_output(&h(&[
            "call_id",
            "operator_id",
            "caller_number"
        ])));
    }

    #[test]
    fn a_folder_yields_only_real_ticket_files() {
        let dir = tempfile::tempdir().expect("tmp");
        let put =
            |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
        put(
            "tickets.csv",
            "ticket_id,operator_id,accepted_at\nT1,1,2026-11-27 09:00\n",
        );
        put("工单.csv", "工单编号,受理时间\nT2,2026-11-27 09:00\n");
        // The generator's ground truth: ticket ids, but not tickets.
        put(
            "truth_tickets.csv",
            "ticket_id,status,overdue_not_urged\nT1,on_time,false\n",
        );
        put("directory.csv", "name,phone\n市自来水公司,96116\n");
        let found = collect_inputs(&[dir.path().to_path_buf()]).expect("inputs");
        let names = |v: &[PathBuf]| -> Vec<String> {
            v.iter()
                .filter_map(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(names(&found.tickets), vec!["tickets.csv", "工单.csv"]);
        let skipped: Vec<PathBuf> = found.skipped.iter().map(|s| s.path.clone()).collect();
        assert_eq!(names(&skipped), vec!["directory.csv", "truth_tickets.csv"]);
    }

    #[test]
    fn a_runs_staging_folder_in_an_input_folder_is_not_read() {
        let dir = tempfile::tempdir().expect("tmp");
        let staging = dir.path().join(".out.hq-staging-4242");
        std::fs::create_dir(&staging).expect("mkdir");
        std::fs::write(staging.join("calls.jsonl"), "{}\n").expect("write");
        std::fs::write(dir.path().join("calls.jsonl"), "{}\n").expect("write");
        let found = collect_inputs(&[dir.path().to_path_buf()]).expect("inputs");
        assert_eq!(found.transcripts, vec![dir.path().join("calls.jsonl")]);
        assert_eq!(found.skipped.len(), 1);
        assert_eq!(found.skipped[0].path, staging);
    }

    #[test]
    fn a_utf8_ticket_file_is_found_whatever_its_sniffed_head_cuts() {
        // Chinese headers and rows, so long that the 8 KiB read to sniff
        // the header ends inside a character: still UTF-8, still tickets.
        let mut text = String::from("工单编号,受理话务员,受理时间,诉求内容\n");
        let mut i = 0;
        while text.len() < 8192 || text.is_char_boundary(8192) {
            text.push_str(&format!("T{i},1001,2026-11-27 09:00,楼下餐馆噪音扰民\n"));
            i += 1;
        }
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("工单.csv"), &text).expect("write");
        let found = collect_inputs(&[dir.path().to_path_buf()]).expect("inputs");
        assert_eq!(found.tickets.len(), 1, "skipped: {:?}", found.skipped);
    }

    #[test]
    fn small_files_with_a_stray_bad_byte_stay_utf8() {
        // A directory exported as UTF-8 with one damaged byte: the other
        // lines must not be read as GBK.
        let mut bytes = "name,phone\n市自来水公司,96116\n".as_bytes().to_vec();
        bytes.push(0xFF);
        bytes.extend_from_slice("\n区城管局,12319\n".as_bytes());
        let text = decode_text(&bytes);
        assert!(text.contains("市自来水公司,96116"), "{text}");
        assert!(text.contains("区城管局,12319"), "{text}");
        assert!(text.contains('\u{fffd}'), "{text}");
        // Cut inside a character (a sniffed head): the rest is kept.
        let whole = "工单编号,受理时间\n".as_bytes();
        assert_eq!(
            decode_text(&whole[..whole.len() - 2]),
            "工单编号,受理时\u{fffd}"
        );
        // GBK is still GBK, and plain UTF-8 is borrowed as it is.
        let (gbk, _, _) = GB18030.encode("name,phone\n市自来水公司,96116\n");
        assert_eq!(decode_text(&gbk), "name,phone\n市自来水公司,96116\n");
        assert!(matches!(
            decode_text("名称\n".as_bytes()),
            Cow::Borrowed("名称\n")
        ));
    }

    #[test]
    fn gbk_stream_is_detected_and_decoded() {
        let (gbk, _, _) = GB18030.encode("工单编号,受理话务员\nT1,王芳\n");
        let mut r = DecodingReader::new(&gbk[..]).expect("reader");
        assert_eq!(r.encoding, Encoding::Gb18030);
        let mut s = String::new();
        r.read_to_string(&mut s).expect("decoded");
        assert_eq!(s, "工单编号,受理话务员\nT1,王芳\n");
    }

    #[test]
    fn utf8_bom_is_removed() {
        let bytes = "\u{feff}ticket_id\nT1\n".as_bytes();
        let mut r = DecodingReader::new(bytes).expect("reader");
        let mut s = String::new();
        r.read_to_string(&mut s).expect("decoded");
        assert_eq!(r.encoding, Encoding::Utf8);
        assert_eq!(s, "ticket_id\nT1\n");
    }

    #[test]
    fn kinds_by_extension() {
        assert_eq!(
            kind_of(Path::new("a/calls.jsonl.gz")),
            Some(InputKind::Transcripts)
        );
        assert_eq!(kind_of(Path::new("t.CSV")), Some(InputKind::Tickets));
        assert_eq!(kind_of(Path::new("notes.txt")), None);
    }
}
