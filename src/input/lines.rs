//! Line numbers for CSV records, right for LF, CRLF and quoted fields.
//!
//! The csv crate's `Position::line` is one too low after a CRLF line break
//! (it counts the `\n`, which it consumes only when the next record
//! starts: BurntSushi/rust-csv#395), so a file saved by Excel had every
//! reject one row above its record. Its byte offsets are right, so every
//! CSV reader wraps its input in [`LineCounted`], which notes where each
//! line's first character is, and asks it for the line of the first
//! character at or after the record's byte offset: the line the record
//! starts on, whatever blank lines or terminator bytes come before it and
//! however many lines its quoted fields span.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A reader that counts lines as the bytes go through it. `\n`, `\r\n`
/// and a lone `\r` each end a line, as they end a CSV record.
#[derive(Debug)]
pub struct LineCounted<R> {
    inner: R,
    /// Offset of the next byte read.
    offset: u64,
    /// The line the next byte is on (1-based).
    line: u64,
    /// The last byte was `\r` (a `\n` right after it ends no new line).
    after_cr: bool,
    /// The next byte is the first of its line.
    at_start: bool,
    /// (offset, line) of the first character of every line read and not
    /// yet asked about: only the lines the csv reader holds in its buffer.
    starts: VecDeque<(u64, u64)>,
}

impl<R: Read> LineCounted<R> {
    /// Wraps `inner`, counting from line 1 at offset 0.
    pub fn new(inner: R) -> LineCounted<R> {
        LineCounted {
            inner,
            offset: 0,
            line: 1,
            after_cr: false,
            at_start: true,
            starts: VecDeque::new(),
        }
    }

    /// The line of the first character at or after byte `offset` (a csv
    /// record's or error's `Position::byte`). Offsets asked must not go
    /// down: the lines before one asked are forgotten.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        while self.starts.front().is_some_and(|&(o, _)| o < offset) {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.line, |&(_, l)| l)
    }

    /// The line of a csv position (0 when there is none).
    pub fn line_of(&mut self, pos: Option<&csv::Position>) -> u64 {
        pos.map_or(0, |p| self.line_at(p.byte()))
    }

    fn note(&mut self, bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\n' => {
                    if !self.after_cr {
                        self.line += 1;
                    }
                    self.after_cr = false;
                    self.at_start = true;
                }
                b'\r' => {
                    self.line += 1;
                    self.after_cr = true;
                    self.at_start = true;
                }
                _ => {
                    self.after_cr = false;
                    if self.at_start {
                        self.at_start = false;
                        self.starts.push_back((self.offset + i as u64, self.line));
                    }
                }
            }
        }
        self.offset += bytes.len() as u64;
    }
}

impl<R: Read> Read for LineCounted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.note(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, first field) of every record of `text`, read as the CSV
    /// readers read.
    fn lines(text: &str) -> Vec<(u64, String)> {
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(LineCounted::new(text.as_bytes()));
        let mut rec = csv::StringRecord::new();
        let mut out = Vec::new();
        while r.read_record(&mut rec).expect("csv") {
            let line = r.get_mut().line_of(rec.position());
            out.push((line, rec.get(0).unwrap_or("").to_string()));
        }
        out
    }

    #[test]
    fn crlf_records_are_on_the_lines_lf_ones_are() {
        let lf = "h,x\na,1\nb,2\n\nc,3\n";
        let want: Vec<(u64, String)> = [(1, "h"), (2, "a"), (3, "b"), (5, "c")]
            .map(|(l, s)| (l, s.to_string()))
            .to_vec();
        assert_eq!(lines(lf), want);
        assert_eq!(lines(&lf.replace('\n', "\r\n")), want);
        assert_eq!(lines(&lf.replace('\n', "\r")), want);
        // No final line break.
        assert_eq!(lines("h,x\r\na,1\r\nb,2"), want[..3].to_vec());
    }

    #[test]
    fn a_record_spanning_lines_is_on_the_line_it_starts() {
        let lf = "h,x\n\"a\nstill a\",1\nb,2\n";
        let want: Vec<(u64, String)> =
            vec![(1, "h".into()), (2, "a\nstill a".into()), (4, "b".into())];
        assert_eq!(lines(lf), want);
        let crlf: Vec<(u64, String)> = lines(&lf.replace('\n', "\r\n"))
            .into_iter()
            .map(|(l, s)| (l, s.replace("\r\n", "\n")))
            .collect();
        assert_eq!(crlf, want);
    }
}
