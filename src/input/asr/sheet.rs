//! The rows of a call list: a CSV file (UTF-8 or GBK, decoded as ticket
//! files are) read as a stream, or the first sheet of an .xlsx / .xls
//! workbook, which phone systems export as often. Both give the header and
//! then each row's cells as text with its line (the CSV line, or the sheet
//! row as Excel shows it), so that `CallList::read` has one row step.

use std::fs::File;
use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};

use crate::input::tickets::cell_text;
use crate::input::DecodingReader;

/// A call list being read.
pub(crate) enum Rows {
    Csv(Box<csv::StringRecordsIntoIter<DecodingReader<File>>>),
    Sheet(std::vec::IntoIter<(u64, Vec<String>)>),
}

fn is_workbook(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["xlsx", "xlsm", "xls"]
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    })
}

/// Opens a call list: its header (trimmed, without a BOM) and its rows.
/// `started` names the start-time column's accepted headers: a workbook
/// cell there holding an Excel date number is read as a local time.
pub(crate) fn open(path: &Path, started: &[&str]) -> anyhow::Result<(Vec<String>, Rows)> {
    let clean = |h: &str| h.trim().trim_start_matches('\u{feff}').to_string();
    if !is_workbook(path) {
        let f = File::open(path).map_err(|e| {
            anyhow::anyhow!(
                "{}：打不开通话记录，请检查 --calls 的路径：{}",
                path.display(),
                crate::messages::io_zh(&e)
            )
        })?;
        let decoded = DecodingReader::new(f)
            .map_err(|e| anyhow::anyhow!("{}：读不了通话记录：{e}", path.display()))?;
        let mut r = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(decoded);
        let headers: Vec<String> = r
            .headers()
            .map_err(|e| anyhow::anyhow!("{}：第 1 行（表头）读不了：{e}", path.display()))?
            .iter()
            .map(clean)
            .collect();
        return Ok((headers, Rows::Csv(Box::new(r.into_records()))));
    }
    let cannot = |e: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "{}：通话记录无法作为 Excel 工作簿打开（{e}）；请用 Excel 另存为 .xlsx 或 .csv 再试（cannot open the call list workbook）",
            path.display()
        )
    };
    // calamine can panic on a damaged file: that is a file we cannot read.
    let range = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut wb = open_workbook_auto(path).map_err(|e| cannot(&e))?;
        let name = wb
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| cannot(&"工作簿里没有工作表"))?;
        wb.worksheet_range(&name).map_err(|e| cannot(&e))
    }))
    .unwrap_or_else(|_| Err(cannot(&"工作簿已损坏")))?;
    let first = range.start().map_or(0, |(r, _)| u64::from(r));
    let mut rows = range
        .rows()
        .enumerate()
        .map(|(k, cells)| (first + k as u64 + 1, cells))
        .skip_while(|(_, cells)| cells.iter().all(|c| matches!(c, Data::Empty)));
    let Some((_, header)) = rows.next() else {
        anyhow::bail!(
            "{}：通话记录的第一个工作表是空的，请把通话记录放在第一个工作表（empty call list）",
            path.display()
        );
    };
    let headers: Vec<String> = header.iter().map(|c| clean(&cell_text(c, false))).collect();
    let time_col = headers
        .iter()
        .position(|h| started.iter().any(|n| n.eq_ignore_ascii_case(h)));
    let body: Vec<(u64, Vec<String>)> = rows
        .filter(|(_, cells)| cells.iter().any(|c| !matches!(c, Data::Empty)))
        .map(|(line, cells)| {
            let texts = cells
                .iter()
                .enumerate()
                .map(|(i, c)| cell_text(c, Some(i) == time_col))
                .collect();
            (line, texts)
        })
        .collect();
    Ok((headers, Rows::Sheet(body.into_iter())))
}

impl Iterator for Rows {
    /// The row's line, and its cells or why the row cannot be read.
    type Item = (u64, Result<Vec<String>, String>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Rows::Csv(records) => {
                let rec = records.next()?;
                // The line the record starts on (the header is line 1).
                Some(match rec {
                    Ok(r) => (
                        r.position().map_or(0, |p| p.line()),
                        Ok(r.iter().map(str::to_string).collect()),
                    ),
                    Err(e) => (
                        e.position().map_or(0, |p| p.line()),
                        Err(format!("这一行读不了（CSV 格式不对）：{e}")),
                    ),
                })
            }
            Rows::Sheet(rows) => rows.next().map(|(line, cells)| (line, Ok(cells))),
        }
    }
}
