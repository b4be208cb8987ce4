//! Reading back the CSV files of a run folder (calls.csv, findings.csv) by
//! column name, for the tools that work on finished runs (`calibrate`,
//! `sample`, `rescore`'s diff). Columns are found by header name, so
//! columns added after the spec's ones do not disturb older readers, and
//! every error names the file, the line and the field.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::anyhow;

use crate::input::lines::LineCounted;

/// A CSV file of a run folder with the positions of the wanted columns.
pub(crate) struct RunTable {
    file: String,
    reader: csv::Reader<LineCounted<BufReader<File>>>,
    /// The line the last record read starts on.
    line: u64,
    names: Vec<&'static str>,
    cols: Vec<Option<usize>>,
}

impl RunTable {
    /// Opens `path`; the `required` columns must be in the header, the
    /// `optional` ones may be missing (they then read as empty). Field `i`
    /// is the i-th of `required` followed by `optional`.
    pub(crate) fn open(
        path: &Path,
        required: &[&'static str],
        optional: &[&'static str],
    ) -> anyhow::Result<RunTable> {
        let file = path.display().to_string();
        let f = File::open(path).map_err(|e| {
            anyhow!(
                "{file}：无法打开：{}；这个文件夹是 hotline-qa score 的输出吗？请给出 score 的输出文件夹",
                crate::messages::io_zh(&e)
            )
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(LineCounted::new(BufReader::with_capacity(256 * 1024, f)));
        let header = reader
            .headers()
            .map_err(|e| anyhow!("{file}：第 1 行（表头）：无法读取（{e}）"))?
            .clone();
        let find = |want: &str| {
            header
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}').trim() == want)
        };
        let mut cols = Vec::with_capacity(required.len() + optional.len());
        for want in required {
            cols.push(Some(find(want).ok_or_else(|| {
                anyhow!("{file}：第 1 行（表头）：缺少列 {want}；这个文件是 hotline-qa score 写出的吗？")
            })?));
        }
        cols.extend(optional.iter().map(|w| find(w)));
        Ok(RunTable {
            file,
            reader,
            line: 1,
            names: required.iter().chain(optional).copied().collect(),
            cols,
        })
    }

    /// Reads the next record into `rec`; false at the end.
    pub(crate) fn next(&mut self, rec: &mut csv::StringRecord) -> anyhow::Result<bool> {
        match self.reader.read_record(rec) {
            Ok(more) => {
                self.line = self.reader.get_mut().line_of(rec.position());
                Ok(more)
            }
            Err(e) => {
                let line = self.reader.get_mut().line_of(e.position());
                Err(anyhow!("{}：第 {line} 行：无法读取（{e}）", self.file))
            }
        }
    }

    /// Field `i` as the run had it: the apostrophe the CSV puts before a
    /// value starting with = + - @ (see [`crate::report::privacy::excel_safe`])
    /// is taken off again. "" for a missing optional column.
    pub(crate) fn field<'r>(
        &self,
        rec: &'r csv::StringRecord,
        i: usize,
    ) -> anyhow::Result<&'r str> {
        match self.cols[i] {
            None => Ok(""),
            Some(c) => rec
                .get(c)
                .map(excel_unescape)
                .ok_or_else(|| self.error(rec, i, "这一行缺少这个字段")),
        }
    }

    /// Field `i`, trimmed.
    pub(crate) fn word<'r>(&self, rec: &'r csv::StringRecord, i: usize) -> anyhow::Result<&'r str> {
        self.field(rec, i).map(str::trim)
    }

    /// An error about field `i` of `rec` (the record last read): file,
    /// line, field and what.
    pub(crate) fn error(&self, _rec: &csv::StringRecord, i: usize, what: &str) -> anyhow::Error {
        let line = self.line;
        anyhow!(
            "{}：第 {line} 行，字段 {}：{what}",
            self.file,
            self.names[i]
        )
    }

    /// A number, or None when the field is empty.
    pub(crate) fn number(&self, rec: &csv::StringRecord, i: usize) -> anyhow::Result<Option<f64>> {
        match self.word(rec, i)? {
            "" => Ok(None),
            s => match s.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Some(x)),
                _ => Err(self.error(rec, i, &format!("“{s}”不是数字"))),
            },
        }
    }

    /// A number that must be there.
    pub(crate) fn required_number(&self, rec: &csv::StringRecord, i: usize) -> anyhow::Result<f64> {
        self.number(rec, i)?
            .ok_or_else(|| self.error(rec, i, "为空，应为数字"))
    }

    /// A number with at most two decimals, in hundredths.
    pub(crate) fn cents(&self, rec: &csv::StringRecord, i: usize) -> anyhow::Result<i64> {
        let s = self.word(rec, i)?;
        match s.parse::<f64>() {
            Ok(x) if x.is_finite() && x.abs() < 1e12 => Ok((x * 100.0).round() as i64),
            _ => Err(self.error(rec, i, &format!("“{s}”不是数字"))),
        }
    }

    /// true / false (or 1 / 0).
    pub(crate) fn boolean(&self, rec: &csv::StringRecord, i: usize) -> anyhow::Result<bool> {
        let s = self.word(rec, i)?;
        if s.eq_ignore_ascii_case("true") || s == "1" {
            Ok(true)
        } else if s.eq_ignore_ascii_case("false") || s == "0" {
            Ok(false)
        } else {
            Err(self.error(rec, i, &format!("“{s}”不是 true 或 false")))
        }
    }
}

/// Undoes [`crate::report::privacy::excel_safe`]: the CSV files put an
/// apostrophe before a value starting with = + - @ (that is not a number).
pub(crate) fn excel_unescape(s: &str) -> &str {
    crate::report::privacy::excel_unescape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_excel_apostrophe_comes_off_only_where_excel_safe_put_it() {
        for s in [
            "=SUM(A1)",
            "-abc",
            "+1x",
            "@x",
            "20261127-000103",
            "'abc",
            "-12",
        ] {
            let written = crate::report::privacy::excel_safe(s);
            assert_eq!(excel_unescape(&written), s, "{s}");
        }
    }

    #[test]
    fn errors_name_the_file_line_and_field() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("calls.csv");
        std::fs::write(&p, "\u{feff}call_id,score\nc1,abc\n").expect("write");
        let mut t = RunTable::open(&p, &["call_id", "score"], &["confidence"]).expect("open");
        let mut rec = csv::StringRecord::new();
        assert!(t.next(&mut rec).expect("row"));
        assert_eq!(t.field(&rec, 2).expect("optional"), "");
        let e = t.number(&rec, 1).expect_err("not a number").to_string();
        assert!(
            e.contains("calls.csv：第 2 行，字段 score：“abc”不是数字"),
            "{e}"
        );
        let e = RunTable::open(&p, &["operator_id"], &[])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("缺少列 operator_id"), "{e}");
    }
}
