//! Workbooks beside the streaming .xlsx reader of [`crate::input::tickets`]:
//! the header row of an .xlsx or .xls sheet, so that a workbook in an input
//! folder is sniffed like a CSV file (a report.xlsx or a review sheet is
//! listed and skipped, not read as tickets and failed), and the reader of
//! the old Excel 97–2003 `.xls` format, which some ticket systems still
//! export. An .xls sheet has at most 65,536 rows, so it is read whole.

use std::path::Path;
use std::sync::Arc;

use calamine::{open_workbook, Data, Reader, Xls, Xlsx};
use chrono::FixedOffset;

use crate::input::tickets::{cell_text, SheetRows};
use crate::input::Reject;
use crate::model::Ticket;

fn is_xls(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xls"))
}

/// The sheet to read: `sheet`, or the first; `Err` says why in Chinese.
fn pick(names: &[String], sheet: Option<&str>) -> Result<String, String> {
    match sheet {
        Some(s) if names.iter().any(|n| n == s) => Ok(s.to_string()),
        Some(s) => Err(format!(
            "没有名为“{s}”的工作表（有：{}），跳过",
            names.join("、")
        )),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| "工作簿里没有工作表，跳过".to_string()),
    }
}

/// The cells of the first non-empty row of the workbook's first (or
/// `sheet`) sheet, as text; `Err` says in Chinese why it cannot be read.
pub fn first_row(path: &Path, sheet: Option<&str>) -> Result<Vec<String>, String> {
    let unreadable = |e: &dyn std::fmt::Display| format!("无法作为 Excel 工作簿打开（{e}），跳过");
    // calamine can panic on a damaged file: that is a file we cannot read.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if is_xls(path) {
            let mut wb: Xls<_> = open_workbook(path).map_err(|e| unreadable(&e))?;
            let name = pick(&wb.sheet_names(), sheet)?;
            let range = wb.worksheet_range(&name).map_err(|e| unreadable(&e))?;
            let row = range
                .rows()
                .find(|r| r.iter().any(|c| !matches!(c, Data::Empty)))
                .unwrap_or(&[]);
            return Ok(row.iter().map(|c| cell_text(c, false)).collect());
        }
        let mut wb: Xlsx<_> = open_workbook(path).map_err(|e| unreadable(&e))?;
        let name = pick(&wb.sheet_names(), sheet)?;
        let mut cells = wb
            .worksheet_cells_reader(&name)
            .map_err(|e| unreadable(&e))?;
        // Cells come row by row: the first row holding a value, up to the next row.
        let mut row: Vec<String> = Vec::new();
        let mut at = None;
        while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
            let (r, c) = cell.get_position();
            let text = cell_text(&Data::from(cell.get_value().clone()), false);
            if at.is_some_and(|a| a != r) {
                break;
            }
            if text.trim().is_empty() {
                continue;
            }
            at = Some(r);
            let c = c as usize;
            if c >= 16_384 {
                continue;
            }
            if row.len() <= c {
                row.resize(c + 1, String::new());
            }
            row[c] = text;
        }
        Ok(row)
    }))
    .unwrap_or_else(|_| Err("工作簿已损坏，无法读取，跳过".into()))
}

/// True for an `.xls` file, which [`read_xls`] reads.
pub fn handles(path: &Path) -> bool {
    is_xls(path)
}

/// Reads the ticket rows of an `.xls` workbook's first (or `sheet`)
/// sheet, as the .xlsx reader does: the first non-empty row is the header.
pub fn read_xls(
    path: &Path,
    file: &Arc<str>,
    sheet: Option<&str>,
    local: FixedOffset,
    each: &mut dyn FnMut(Result<Ticket, Reject>),
) -> anyhow::Result<()> {
    let mut wb: Xls<_> = open_workbook(path).map_err(|e| {
        anyhow::anyhow!(
            "{file}：无法作为 .xls 工作簿打开；如果它来自其他软件，请用 Excel 另存为 .xlsx 再试（cannot open the workbook: {e}）"
        )
    })?;
    let name = pick(&wb.sheet_names(), sheet).map_err(|e| anyhow::anyhow!("{file}：{e}"))?;
    let range =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wb.worksheet_range(&name)))
            .map_err(|_| {
                anyhow::anyhow!(
                    "{file}：工作表“{name}”已损坏，无法读取；请用 Excel 另存为 .xlsx 再试"
                )
            })?
            .map_err(|e| {
                anyhow::anyhow!(
                    "{file}：工作表“{name}”无法读取（{e}）；请用 Excel 另存为 .xlsx 再试"
                )
            })?;
    let first = range.start().map_or(0, |(r, _)| u64::from(r));
    let mut rows = SheetRows::default();
    for (k, cells) in range.rows().enumerate() {
        // 1-based sheet row, as Excel shows it.
        rows.row(cells, file, &name, first + k as u64 + 1, local, each)?;
    }
    Ok(())
}
