//! The ticket reader (spec §1.2): CSV in UTF-8 (BOM or not) or GBK/GB18030,
//! or the first (or a named) sheet of an XLSX workbook; headers in English
//! or Chinese; times in the spec's local form, RFC 3339, or what Excel
//! writes.
//!
//! A row missing a required field or holding a time that cannot be read is
//! rejected. A row with an unknown category, handling, urgency or callback
//! result is rejected for timeliness (its clock rules depend on those
//! values) but is still returned with its `problems`, because the
//! ticket-writing norm of its call must see the bad value.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{Duration, FixedOffset, NaiveDateTime};

use crate::input::time::{fmt_local, from_excel_serial, parse_local, Precision};
use crate::input::{DecodingReader, Reject};
use crate::model::{CallbackResult, Category, Handling, Source, Ticket, Urgency};

/// The columns of a ticket record, with their English and Chinese headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// 工单编号
    TicketId,
    /// 通话编号
    CallId,
    /// 受理话务员
    OperatorId,
    /// 受理时间
    AcceptedAt,
    /// 诉求类别
    Category,
    /// 诉求子类
    Subcategory,
    /// 办理方式
    Handling,
    /// 紧急程度
    Urgency,
    /// 来电人姓名
    CallerName,
    /// 联系电话
    CallerPhone,
    /// 事件时间
    EventTime,
    /// 事件地点
    EventLocation,
    /// 诉求内容
    Content,
    /// 被投诉人姓名
    ComplainedStaffName,
    /// 被投诉人工号
    ComplainedStaffNo,
    /// 承办单位
    Unit,
    /// 单位层级
    UnitLevel,
    /// 热点难点
    HotIssue,
    /// 派单时间
    DispatchedAt,
    /// 办结时限
    DueAt,
    /// 办结时间
    CompletedAt,
    /// 反馈时间
    FeedbackAt,
    /// 催办时间
    UrgedAt,
    /// 催办人
    UrgedBy,
    /// 督办时间
    SupervisedAt,
    /// 回访时间
    CallbackAt,
    /// 回访话务员
    CallbackOperatorId,
    /// 回访结果
    CallbackResult,
}

/// (column, English header, Chinese header), in the spec's order.
pub const COLUMNS: &[(Column, &str, &str)] = &[
    (Column::TicketId, "ticket_id", "工单编号"),
    (Column::CallId, "call_id", "通话编号"),
    (Column::OperatorId, "operator_id", "受理话务员"),
    (Column::AcceptedAt, "accepted_at", "受理时间"),
    (Column::Category, "category", "诉求类别"),
    (Column::Subcategory, "subcategory", "诉求子类"),
    (Column::Handling, "handling", "办理方式"),
    (Column::Urgency, "urgency", "紧急程度"),
    (Column::CallerName, "caller_name", "来电人姓名"),
    (Column::CallerPhone, "caller_phone", "联系电话"),
    (Column::EventTime, "event_time", "事件时间"),
    (Column::EventLocation, "event_location", "事件地点"),
    (Column::Content, "content", "诉求内容"),
    (
        Column::ComplainedStaffName,
        "complained_staff_name",
        "被投诉人姓名",
    ),
    (
        Column::ComplainedStaffNo,
        "complained_staff_no",
        "被投诉人工号",
    ),
    (Column::Unit, "unit", "承办单位"),
    (Column::UnitLevel, "unit_level", "单位层级"),
    (Column::HotIssue, "hot_issue", "热点难点"),
    (Column::DispatchedAt, "dispatched_at", "派单时间"),
    (Column::DueAt, "due_at", "办结时限"),
    (Column::CompletedAt, "completed_at", "办结时间"),
    (Column::FeedbackAt, "feedback_at", "反馈时间"),
    (Column::UrgedAt, "urged_at", "催办时间"),
    (Column::UrgedBy, "urged_by", "催办人"),
    (Column::SupervisedAt, "supervised_at", "督办时间"),
    (Column::CallbackAt, "callback_at", "回访时间"),
    (
        Column::CallbackOperatorId,
        "callback_operator_id",
        "回访话务员",
    ),
    (Column::CallbackResult, "callback_result", "回访结果"),
];

fn is_time_column(c: Column) -> bool {
    matches!(
        c,
        Column::AcceptedAt
            | Column::DispatchedAt
            | Column::DueAt
            | Column::CompletedAt
            | Column::FeedbackAt
            | Column::UrgedAt
            | Column::SupervisedAt
            | Column::CallbackAt
    )
}

fn names(c: Column) -> (&'static str, &'static str) {
    COLUMNS
        .iter()
        .find(|(col, _, _)| *col == c)
        .map(|(_, en, zh)| (*en, *zh))
        .unwrap_or(("?", "?"))
}

/// Maps header cells to columns; unknown headers are ignored (exports carry extras).
#[derive(Clone, Debug)]
pub struct HeaderMap {
    index: Vec<Option<usize>>,
    width: usize,
}

impl HeaderMap {
    /// Builds the map from the header cells.
    pub fn new(headers: &[String]) -> HeaderMap {
        let mut index = vec![None; COLUMNS.len()];
        for (i, h) in headers.iter().enumerate() {
            let h = h.trim().trim_start_matches('\u{feff}');
            if let Some(pos) = COLUMNS
                .iter()
                .position(|(_, en, zh)| en.eq_ignore_ascii_case(h) || *zh == h)
            {
                if index[pos].is_none() {
                    index[pos] = Some(i);
                }
            }
        }
        HeaderMap {
            index,
            width: headers.len(),
        }
    }

    fn get<'r>(&self, row: &'r [String], c: Column) -> &'r str {
        let pos = COLUMNS
            .iter()
            .position(|(col, _, _)| *col == c)
            .unwrap_or(0);
        self.index[pos]
            .and_then(|i| row.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }

    /// The required columns the header lacks.
    pub fn missing_required(&self) -> Vec<&'static str> {
        [Column::TicketId, Column::OperatorId, Column::AcceptedAt]
            .into_iter()
            .filter(|c| {
                let pos = COLUMNS.iter().position(|(col, _, _)| col == c).unwrap_or(0);
                self.index[pos].is_none()
            })
            .map(|c| names(c).0)
            .collect()
    }

    pub(crate) fn time_columns(&self) -> Vec<usize> {
        COLUMNS
            .iter()
            .zip(&self.index)
            .filter(|((c, _, _), _)| is_time_column(*c))
            .filter_map(|(_, i)| *i)
            .collect()
    }
}

/// Parses a 是/否 field; `None` for a value that is neither.
pub fn parse_yes_no(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "否" | "n" | "no" | "false" | "0" | "不是" => Some(false),
        "是" | "y" | "yes" | "true" | "1" => Some(true),
        _ => None,
    }
}

/// Turns one row into a ticket, or a reject.
pub fn parse_row(
    row: &[String],
    map: &HeaderMap,
    file: &Arc<str>,
    line: u64,
    local: FixedOffset,
) -> Result<Ticket, Reject> {
    let id = map.get(row, Column::TicketId).to_string();
    let reject = |reason: String| Reject {
        file: file.clone(),
        line,
        record_id: id.clone(),
        reason,
    };
    if row.iter().all(|c| c.trim().is_empty()) {
        return Err(reject("空行（empty row）".into()));
    }
    if row.len() != map.width {
        return Err(reject(format!(
            "这一行有 {} 个字段，表头有 {} 个（wrong number of fields），可能是内容里的逗号或换行没有加引号",
            row.len(),
            map.width
        )));
    }
    let missing = map.missing_required();
    if !missing.is_empty() {
        return Err(reject(format!(
            "文件表头缺少必需的列：{}，请在第一行加上这些列后重新导出",
            missing.join("、")
        )));
    }
    for c in [Column::TicketId, Column::OperatorId, Column::AcceptedAt] {
        if map.get(row, c).is_empty() {
            let (en, zh) = names(c);
            return Err(reject(format!(
                "缺少必填字段 {en}（{zh}），请填上后重新导出"
            )));
        }
    }
    let time = |c: Column| -> Result<Option<NaiveDateTime>, Reject> {
        let v = map.get(row, c);
        if v.is_empty() {
            return Ok(None);
        }
        match parse_local(v, local) {
            // A deadline written as a bare date means the close of that day.
            Some((t, Precision::Date)) if c == Column::DueAt => {
                Ok(Some(t + Duration::seconds(86_399)))
            }
            Some((t, _)) => Ok(Some(t)),
            None => {
                let (en, zh) = names(c);
                Err(reject(crate::input::time::bad_time_reason(
                    &format!("字段 {en}（{zh}）"),
                    v,
                    local,
                    format!(
                    "字段 {en}（{zh}）\"{v}\" 不是有效时间（应为 YYYY-MM-DD HH:MM[:SS] 或 RFC 3339）"
                ),
                )))
            }
        }
    };
    let mut problems = Vec::new();
    let category_raw = map.get(row, Column::Category).to_string();
    let category = Category::parse(&category_raw);
    if category.is_none() && !category_raw.is_empty() {
        problems.push(format!(
            "诉求类别 category \"{category_raw}\" 不是有效值（建议、一般诉求、求助、投诉举报、咨询、表扬）"
        ));
    }
    let handling_raw = map.get(row, Column::Handling).to_string();
    let handling = Handling::parse(&handling_raw);
    if handling.is_none() && !handling_raw.is_empty() {
        problems.push(format!(
            "办理方式 handling \"{handling_raw}\" 不是有效值（直接办理、电话交办、工单转办）"
        ));
    }
    let urgency_raw = map.get(row, Column::Urgency);
    let urgency = Urgency::parse(urgency_raw);
    if urgency.is_none() && !urgency_raw.is_empty() {
        problems.push(format!(
            "紧急程度 urgency \"{urgency_raw}\" 不是有效值（普通、急办、一般应急、重大应急）"
        ));
    }
    let result_raw = map.get(row, Column::CallbackResult);
    let callback_result = CallbackResult::parse(result_raw);
    if callback_result.is_none() && !result_raw.is_empty() {
        problems.push(format!(
            "回访结果 callback_result \"{result_raw}\" 不是有效值（满意、基本满意、不满意）"
        ));
    }
    let hot_raw = map.get(row, Column::HotIssue);
    let hot_issue = match parse_yes_no(hot_raw) {
        Some(b) => b,
        None => {
            problems.push(format!("热点难点 hot_issue \"{hot_raw}\" 应为 是 或 否"));
            false
        }
    };
    let call_id = map.get(row, Column::CallId);
    Ok(Ticket {
        ticket_id: id.clone(),
        call_id: (!call_id.is_empty()).then(|| call_id.to_string()),
        operator_id: map.get(row, Column::OperatorId).to_string(),
        accepted_at: time(Column::AcceptedAt)?,
        category,
        category_raw,
        subcategory: map.get(row, Column::Subcategory).to_string(),
        handling,
        handling_raw,
        urgency,
        caller_name: map.get(row, Column::CallerName).to_string(),
        caller_phone: map.get(row, Column::CallerPhone).to_string(),
        event_time: map.get(row, Column::EventTime).to_string(),
        event_location: map.get(row, Column::EventLocation).to_string(),
        content: map.get(row, Column::Content).to_string(),
        complained_staff_name: map.get(row, Column::ComplainedStaffName).to_string(),
        complained_staff_no: map.get(row, Column::ComplainedStaffNo).to_string(),
        unit: map.get(row, Column::Unit).to_string(),
        unit_level: map.get(row, Column::UnitLevel).to_string(),
        hot_issue,
        dispatched_at: time(Column::DispatchedAt)?,
        due_at: time(Column::DueAt)?,
        completed_at: time(Column::CompletedAt)?,
        feedback_at: time(Column::FeedbackAt)?,
        urged_at: time(Column::UrgedAt)?,
        urged_by: map.get(row, Column::UrgedBy).to_string(),
        supervised_at: time(Column::SupervisedAt)?,
        callback_at: time(Column::CallbackAt)?,
        callback_operator_id: map.get(row, Column::CallbackOperatorId).to_string(),
        callback_result,
        problems,
        source: Some(Source {
            file: file.clone(),
            line,
        }),
        // Linked by the ticket store once every ticket is read.
        prior: None,
    })
}

/// Reads a ticket file (CSV or XLSX), calling `each` for every data row in
/// file order. Returns an error only when the file cannot be opened or is
/// not a table at all; bad rows are rejects.
pub fn read_file(
    path: &Path,
    sheet: Option<&str>,
    local: FixedOffset,
    each: &mut dyn FnMut(Result<Ticket, Reject>),
) -> anyhow::Result<()> {
    let file: Arc<str> = Arc::from(path.display().to_string());
    let is_xlsx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if is_xlsx {
        read_xlsx(path, &file, sheet, local, each)
    } else if crate::input::workbook::handles(path) {
        crate::input::workbook::read_xls(path, &file, sheet, local, each)
    } else {
        read_csv(path, &file, local, each)
    }
}

/// As [`read_file`], with the reading and parsing on a thread of their
/// own, a few batches of rows ahead of `each`, which runs on the calling
/// thread, in file order. `prepare` runs on the reading thread, on each
/// row in turn, and what it returns is handed to `each` with the row: work
/// that needs nothing but the row is done there, off the calling thread.
/// `each` borrows the rows: a `Ticket` is some 560 bytes, and moving each
/// one out of its batch cost more than reading it.
pub fn read_file_ahead<P: Send>(
    path: &Path,
    sheet: Option<&str>,
    local: FixedOffset,
    prepare: &(dyn Fn(&Result<Ticket, Reject>) -> P + Sync),
    each: &mut dyn FnMut(&Result<Ticket, Reject>, P),
) -> anyhow::Result<()> {
    const BATCH: usize = 1024;
    type Batch<P> = Vec<(Result<Ticket, Reject>, Option<P>)>;
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch<P>>(4);
        let reader = std::thread::Builder::new()
            .name("hq-tickets".into())
            .spawn_scoped(s, move || {
                let mut batch = Vec::with_capacity(BATCH);
                let mut open = true;
                let read = read_file(path, sheet, local, &mut |row| {
                    if !open {
                        return;
                    }
                    let p = prepare(&row);
                    batch.push((row, Some(p)));
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        open = tx.send(full).is_ok();
                    }
                });
                if open && !batch.is_empty() {
                    // A closed channel: the consumer has gone.
                    let _ = tx.send(batch);
                }
                read
            })
            .map_err(|e| anyhow::anyhow!("无法启动读取工单的线程，请关闭其他程序后重试（cannot start the ticket reading thread: {e}）"))?;
        for mut batch in rx {
            for (row, p) in &mut batch {
                if let Some(p) = p.take() {
                    each(row, p);
                }
            }
        }
        reader.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "程序内部错误：读取工单的线程崩溃，请把命令和输入报告给维护者（internal error: the ticket reading thread panicked）"
            ))
        })
    })
}

fn read_csv(
    path: &Path,
    file: &Arc<str>,
    local: FixedOffset,
    each: &mut dyn FnMut(Result<Ticket, Reject>),
) -> anyhow::Result<()> {
    let f = File::open(path)
        .map_err(|e| anyhow::anyhow!("{file}：打不开工单文件：{}", crate::messages::io_zh(&e)))?;
    let decoded = DecodingReader::new(f)
        .map_err(|e| anyhow::anyhow!("{file}：读不了工单文件：{}", crate::messages::io_zh(&e)))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(crate::input::lines::LineCounted::new(decoded));
    let mut map: Option<HeaderMap> = None;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = reader.get_mut().line_of(record.position());
                let row: Vec<String> = record.iter().map(str::to_string).collect();
                match &map {
                    None => {
                        let m = HeaderMap::new(&row);
                        if m.missing_required().len() == 3 {
                            anyhow::bail!(
                                "{file} 第 {line} 行：第一行不是工单表头，表头要有 ticket_id/工单编号、operator_id/受理话务员、accepted_at/受理时间（the first row is not a ticket header）"
                            );
                        }
                        map = Some(m);
                    }
                    Some(m) => each(parse_row(&row, m, file, line, local)),
                }
            }
            Err(e) => {
                let line = reader.get_mut().line_of(e.position());
                each(Err(Reject {
                    file: file.clone(),
                    line,
                    record_id: String::new(),
                    reason: format!("无法读取这一行 CSV（{e}）"),
                }));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Checks that every .xlsx ticket file among `paths` has a sheet named
/// `sheet`, so that a mistyped `--sheet` is reported before anything runs.
pub fn check_sheet(paths: &[std::path::PathBuf], sheet: &str) -> Result<(), String> {
    // Both workbook kinds the readers take: .xlsx and the older .xls.
    for p in paths {
        let ext = p
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let names = match ext.as_deref() {
            Some("xlsx") => open_workbook::<Xlsx<_>, _>(p)
                .ok()
                .map(|wb| wb.sheet_names()),
            Some("xls") => open_workbook::<calamine::Xls<_>, _>(p)
                .ok()
                .map(|wb| wb.sheet_names()),
            _ => None,
        };
        if let Some(names) = names {
            if !names.iter().any(|n| n == sheet) {
                return Err(format!(
                    "--sheet \"{sheet}\"：{} 里没有这个工作表，有的工作表：{}（no such sheet）",
                    p.display(),
                    names.join(", ")
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn cell_text(cell: &Data, is_time: bool) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) if is_time => from_excel_serial(*f)
            .map(fmt_local)
            .unwrap_or_else(|| f.to_string()),
        Data::Int(i) if is_time => from_excel_serial(*i as f64)
            .map(fmt_local)
            .unwrap_or_else(|| i.to_string()),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                f.to_string()
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => from_excel_serial(dt.as_f64())
            .map(fmt_local)
            .unwrap_or_default(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// The most columns a worksheet can have (XFD); cells beyond are ignored.
const XLSX_MAX_COLUMNS: usize = 16_384;

fn read_xlsx(
    path: &Path,
    file: &Arc<str>,
    sheet: Option<&str>,
    local: FixedOffset,
    each: &mut dyn FnMut(Result<Ticket, Reject>),
) -> anyhow::Result<()> {
    let mut wb: Xlsx<_> = open_workbook(path)
        .map_err(|e| anyhow::anyhow!("{file}：打不开这个 Excel 文件，可能已损坏或不是 .xlsx，请用 Excel 打开后另存为 .xlsx（cannot open the workbook: {e}）"))?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) => {
            if !names.iter().any(|n| n == s) {
                anyhow::bail!(
                    "{file}：没有名为“{s}”的工作表，有的工作表：{}（no such sheet）",
                    names.join(", ")
                );
            }
            s.to_string()
        }
        None => names.first().cloned().ok_or_else(|| {
            anyhow::anyhow!("{file}：这个 Excel 文件里没有工作表（the workbook has no sheets）")
        })?,
    };
    // calamine can panic on a damaged sheet (an overflowing cell reference):
    // that is a workbook that cannot be read, not a crash of the run.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_sheet(&mut wb, file, &name, local, each)
    }))
    .unwrap_or_else(|_| {
        Err(anyhow::anyhow!(
            "{file} 工作表“{name}”：文件已损坏，读不了，请用 Excel 打开后另存一份再试（the workbook is damaged）"
        ))
    })
}

/// Streams the cells of one sheet row by row, so that memory is one row
/// whatever the sheet's extent (a stray value in XFD1048576 must not make
/// a dense range of 2^34 cells).
fn read_sheet<RS: std::io::Read + std::io::Seek>(
    wb: &mut Xlsx<RS>,
    file: &Arc<str>,
    name: &str,
    local: FixedOffset,
    each: &mut dyn FnMut(Result<Ticket, Reject>),
) -> anyhow::Result<()> {
    let err = |e: calamine::XlsxError| {
        anyhow::anyhow!("{file} 工作表“{name}”：读不了（cannot read: {e}）")
    };
    let mut cells = wb.worksheet_cells_reader(name).map_err(err)?;
    let mut rows = SheetRows::default();
    let mut row_no: Option<u32> = None;
    let mut row: Vec<Data> = Vec::new();
    loop {
        let cell = cells.next_cell().map_err(err)?;
        let pos = cell.as_ref().map(|c| c.get_position());
        if pos.map(|p| p.0) != row_no {
            if let Some(r) = row_no {
                rows.row(&row, file, name, u64::from(r) + 1, local, each)?;
            }
            row.clear();
            row_no = pos.map(|p| p.0);
        }
        let Some(cell) = cell else { break };
        let col = cell.get_position().1 as usize;
        if col < rows.width() {
            if row.len() <= col {
                row.resize(col + 1, Data::Empty);
            }
            row[col] = Data::from(cell.get_value().clone());
        }
    }
    Ok(())
}

/// The rows of one ticket sheet, as the .xlsx and .xls readers share them:
/// the first non-empty row must be a ticket header; after it every row is
/// read to the header's width, and a row with no text is skipped.
#[derive(Default)]
pub(crate) struct SheetRows {
    map: Option<HeaderMap>,
    time_cols: Vec<usize>,
}

impl SheetRows {
    /// How many columns are kept: the header's, or the sheet's limit
    /// before the header is read.
    pub(crate) fn width(&self) -> usize {
        self.map.as_ref().map_or(XLSX_MAX_COLUMNS, |m| m.width)
    }

    /// Reads one sheet row (`line` as Excel numbers it): the header, or a
    /// ticket given to `each`. A first row that is not a ticket header is
    /// an error naming the file, the sheet and the row.
    pub(crate) fn row(
        &mut self,
        cells: &[Data],
        file: &Arc<str>,
        name: &str,
        line: u64,
        local: FixedOffset,
        each: &mut dyn FnMut(Result<Ticket, Reject>),
    ) -> anyhow::Result<()> {
        let cells = &cells[..cells.len().min(self.width())];
        if cells.iter().all(|c| matches!(c, Data::Empty)) {
            return Ok(());
        }
        match &self.map {
            None => {
                let texts: Vec<String> = cells.iter().map(|c| cell_text(c, false)).collect();
                let m = HeaderMap::new(&texts);
                if m.missing_required().len() == 3 {
                    anyhow::bail!(
                        "{file} 工作表“{name}”第 {line} 行：不是工单表头，表头要有 ticket_id/工单编号、operator_id/受理话务员、accepted_at/受理时间（not a ticket header）"
                    );
                }
                self.time_cols = m.time_columns();
                self.map = Some(m);
            }
            Some(m) => {
                let texts: Vec<String> = (0..m.width)
                    .map(|j| {
                        cells
                            .get(j)
                            .map_or_else(String::new, |c| cell_text(c, self.time_cols.contains(&j)))
                    })
                    .collect();
                if !texts.iter().all(|c| c.trim().is_empty()) {
                    each(parse_row(&texts, m, file, line, local));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::time::default_offset;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn chinese_headers_and_values() {
        let map = HeaderMap::new(&row(&[
            "工单编号",
            "受理话务员",
            "受理时间",
            "诉求类别",
            "办结时限",
        ]));
        let t = parse_row(
            &row(&["T1", "1024", "2026/11/27 9:05", "咨询", "2026-12-01"]),
            &map,
            &Arc::from("t.csv"),
            2,
            default_offset(),
        )
        .expect("valid");
        assert_eq!(t.category, Some(Category::Inquiry));
        assert_eq!(
            t.accepted_at.map(fmt_local).as_deref(),
            Some("2026-11-27 09:05:00")
        );
        assert_eq!(
            t.due_at.map(fmt_local).as_deref(),
            Some("2026-12-01 23:59:59")
        );
    }

    #[test]
    fn bad_rows_are_rejected_with_reason() {
        let map = HeaderMap::new(&row(&[
            "ticket_id",
            "operator_id",
            "accepted_at",
            "completed_at",
        ]));
        let f: Arc<str> = Arc::from("t.csv");
        let r = parse_row(
            &row(&["T1", "", "2026-11-27 09:00", ""]),
            &map,
            &f,
            3,
            default_offset(),
        );
        assert!(r.expect_err("missing").reason.contains("operator_id"));
        let r = parse_row(
            &row(&["T2", "1", "2026-11-27 09:00", "明天"]),
            &map,
            &f,
            4,
            default_offset(),
        );
        let r = r.expect_err("bad date");
        assert_eq!((r.line, r.record_id.as_str()), (4, "T2"));
        assert!(r.reason.contains("completed_at"));
        let r = parse_row(
            &row(&["T3", "1", "2026-11-27 09:00"]),
            &map,
            &f,
            5,
            default_offset(),
        );
        assert!(r.expect_err("short").reason.contains("字段"));
    }

    #[test]
    fn unknown_category_is_a_problem_not_a_loss() {
        let map = HeaderMap::new(&row(&[
            "ticket_id",
            "operator_id",
            "accepted_at",
            "category",
        ]));
        let t = parse_row(
            &row(&["T1", "1", "2026-11-27 09:00", "其他"]),
            &map,
            &Arc::from("t"),
            2,
            default_offset(),
        )
        .expect("kept");
        assert_eq!(t.category, None);
        assert_eq!(t.problems.len(), 1);
    }
}
