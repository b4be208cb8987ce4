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

pub mod manual;
pub mod ticket_store;
pub mod tickets;
pub mod time;
pub mod transcripts;

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
    /// `.csv`, `.xlsx`: ticket records.
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
    } else if name.ends_with(".csv") || name.ends_with(".xlsx") {
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
    /// CSV files found in folders that are not ticket files (no ticket header).
    pub skipped: Vec<PathBuf>,
}

/// True for an .xlsx file, or a CSV file whose first line names the
/// ticket_id / 工单编号 column and one of operator_id / accepted_at.
fn is_ticket_file(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        return true;
    }
    let mut head = vec![0u8; 8192];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    head.truncate(n);
    let text = decode_text(&head);
    let first = text.lines().next().unwrap_or("");
    let headers: Vec<String> = first
        .split(',')
        .map(|h| h.trim().trim_matches('"').to_string())
        .collect();
    // The ticket id and at least one more required column (operator,
    // accepted time): a list of ticket ids with other columns (such as the
    // generator's truth_tickets.csv, or a QA team's own notes) is not tickets.
    let missing = tickets::HeaderMap::new(&headers).missing_required();
    !missing.contains(&"ticket_id") && missing.len() <= 1
}

/// Expands the command line's INPUT arguments: files are taken as they are
/// (an unknown extension is an error), folders are searched recursively for
/// known files in name order, so that a run is reproducible.
pub fn collect_inputs(args: &[PathBuf]) -> anyhow::Result<Inputs> {
    let mut inputs = Inputs::default();
    for arg in args {
        let meta = std::fs::metadata(arg).map_err(|e| {
            anyhow::anyhow!(
                "{}：打不开输入：{}",
                arg.display(),
                crate::messages::io_zh(&e)
            )
        })?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(arg, &mut files)?;
            files.sort();
            for f in files {
                match kind_of(&f) {
                    Some(InputKind::Transcripts) => inputs.transcripts.push(f),
                    // A folder may hold other CSV files (a directory, manual
                    // scores): only those with a ticket header are tickets.
                    Some(InputKind::Tickets) if is_ticket_file(&f) => inputs.tickets.push(f),
                    Some(InputKind::Tickets) => inputs.skipped.push(f),
                    None => {}
                }
            }
        } else {
            match kind_of(arg) {
                Some(InputKind::Transcripts) => inputs.transcripts.push(arg.clone()),
                Some(InputKind::Tickets) => inputs.tickets.push(arg.clone()),
                None => anyhow::bail!(
                    "{}：不是本程序能读的输入（转写：.jsonl 或 .jsonl.gz；工单：.csv 或 .xlsx），请检查文件名（not an input this program reads）",
                    arg.display()
                ),
            }
        }
    }
    Ok(inputs)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        anyhow::anyhow!(
            "{}：无法列出文件夹里的文件：{}",
            dir.display(),
            crate::messages::io_zh(&e)
        )
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| {
            anyhow::anyhow!(
                "{}：无法列出文件夹里的文件：{}",
                dir.display(),
                crate::messages::io_zh(&e)
            )
        })?;
        let path = entry.path();
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if ft.is_file() {
            out.push(path);
        }
    }
    Ok(())
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
        assert_eq!(
            names(&found.skipped),
            vec!["directory.csv", "truth_tickets.csv"]
        );
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
