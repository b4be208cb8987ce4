//! `report.xlsx`: the workbook supervisors and the office open. Sheets for
//! the summary, operator ranking, team subtotals, norm failure rates,
//! units, daily trend, calls, findings and tickets; frozen header row,
//! autofilter, column widths, number formats for scores and rates, scores
//! coloured. Titles in Chinese (`--lang en` for English). Text is always
//! written as a string cell, so nothing from a transcript runs as a formula,
//! and escaped as the CSV files are (`privacy::excel_safe`).

use std::path::{Path, PathBuf};

use polars::prelude::*;
use rust_xlsxwriter::{
    Color, ConditionalFormatCell, ConditionalFormatCellRule, Format, FormatAlign, Workbook,
    Worksheet,
};

use crate::config::Config;
use crate::model::NormId;
use crate::report::aggregate::{OperatorRow, ReportData};
use crate::report::privacy::excel_safe;
use crate::report::Lang;

/// Rows of a detail sheet at most; the CSV files hold everything.
pub const MAX_DETAIL_ROWS: usize = 50_000;

struct Formats {
    header: Format,
    score: Format,
    rate: Format,
    int: Format,
    text: Format,
    bad: Format,
    warn: Format,
    good: Format,
    title: Format,
    /// A withdrawn critical finding: struck out.
    struck: Format,
}

fn formats() -> Formats {
    Formats {
        header: Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xD9E1F2))
            .set_align(FormatAlign::Center),
        score: Format::new().set_num_format("0.00"),
        rate: Format::new().set_num_format("0.0%"),
        int: Format::new().set_num_format("0"),
        text: Format::new(),
        bad: Format::new()
            .set_background_color(Color::RGB(0xFFC7CE))
            .set_font_color(Color::RGB(0x9C0006)),
        warn: Format::new()
            .set_background_color(Color::RGB(0xFFEB9C))
            .set_font_color(Color::RGB(0x9C5700)),
        good: Format::new()
            .set_background_color(Color::RGB(0xC6EFCE))
            .set_font_color(Color::RGB(0x006100)),
        title: Format::new().set_bold().set_font_size(14),
        struck: Format::new().set_font_strikethrough(),
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Text,
    /// A call score (0–100): coloured red, amber, green in the summary
    /// sheets.
    Score,
    /// Any other number with decimals (points, working days): never coloured.
    Number,
    Rate,
    Int,
}

enum Cell {
    S(String),
    N(Option<f64>),
}

struct Table {
    headers: Vec<(String, Kind, f64)>,
    rows: Vec<Vec<Cell>>,
}

fn t(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

/// Writes a summary table; its score columns are coloured. They are found
/// from the headers' kinds, not from numbers written beside the table: a
/// fixed column number coloured the operators' call counts red (issue 17)
/// once a column was added before them.
fn write_table(ws: &mut Worksheet, f: &Formats, table: &Table) -> anyhow::Result<()> {
    let score_cols = score_columns(&table.headers);
    write_rows(
        ws,
        f,
        &table.headers,
        table.rows.len(),
        |r, c| match table.rows[r].get(c) {
            Some(Cell::S(s)) => CellRef::S(s),
            Some(Cell::N(x)) => CellRef::N(*x),
            None => CellRef::N(None),
        },
        table.rows.iter().map(Vec::len).max().unwrap_or(0),
        &score_cols,
    )
}

/// The columns of a summary table that hold call scores.
fn score_columns(headers: &[(String, Kind, f64)]) -> Vec<usize> {
    headers
        .iter()
        .enumerate()
        .filter(|(_, h)| matches!(h.1, Kind::Score))
        .map(|(i, _)| i)
        .collect()
}

/// A cell to write, borrowed from a [`Table`] or a frame's columns.
#[derive(Clone, Copy)]
enum CellRef<'a> {
    S(&'a str),
    N(Option<f64>),
}

/// The header row, then `rows` rows of `width` cells (`cell(row, column)`),
/// frozen header, autofilter and the score colours.
fn write_rows<'a>(
    ws: &mut Worksheet,
    f: &Formats,
    headers: &[(String, Kind, f64)],
    rows: usize,
    cell: impl Fn(usize, usize) -> CellRef<'a>,
    width: usize,
    score_cols: &[usize],
) -> anyhow::Result<()> {
    for (c, (h, _, w)) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &f.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    for r in 0..rows {
        let row = r as u32 + 1;
        for c in 0..width {
            let kind = headers.get(c).map_or(Kind::Text, |h| h.1);
            let fmt = match kind {
                Kind::Text => &f.text,
                Kind::Score | Kind::Number => &f.score,
                Kind::Rate => &f.rate,
                Kind::Int => &f.int,
            };
            match cell(r, c) {
                // Text takes the default format: written without one, the
                // same bytes, without rust_xlsxwriter hashing the format
                // for every cell.
                // Escaped as the CSV fields are (excel_safe): a text cell
                // does not run, but the same value must read the same in
                // both, and stay text when someone edits the cell.
                CellRef::S(s) if !s.is_empty() && matches!(kind, Kind::Text) => {
                    ws.write_string(row, c as u16, excel_safe(s))?;
                }
                CellRef::S(s) if !s.is_empty() => {
                    ws.write_string_with_format(row, c as u16, excel_safe(s), fmt)?;
                }
                CellRef::N(Some(x)) => {
                    ws.write_number_with_format(row, c as u16, x, fmt)?;
                }
                _ => {}
            }
        }
    }
    let last = rows as u32;
    if !headers.is_empty() {
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, last.max(1), headers.len() as u16 - 1)?;
    }
    if last > 0 {
        for &c in score_cols {
            let c = c as u16;
            ws.add_conditional_format(
                1,
                c,
                last,
                c,
                &ConditionalFormatCell::new()
                    .set_rule(ConditionalFormatCellRule::LessThan(60.0))
                    .set_format(&f.bad),
            )?;
            ws.add_conditional_format(
                1,
                c,
                last,
                c,
                &ConditionalFormatCell::new()
                    .set_rule(ConditionalFormatCellRule::Between(60.0, 79.995))
                    .set_format(&f.warn),
            )?;
            ws.add_conditional_format(
                1,
                c,
                last,
                c,
                &ConditionalFormatCell::new()
                    .set_rule(ConditionalFormatCellRule::GreaterThanOrEqualTo(90.0))
                    .set_format(&f.good),
            )?;
        }
    }
    Ok(())
}

/// The first-call columns (issue #19) at the end of the operators, teams
/// and units sheets, as at the end of their CSV files.
fn fcr_headers(lang: Lang) -> [(String, Kind, f64); 3] {
    [
        (t(lang, "首次来电", "first_calls"), Kind::Int, 9.0),
        (t(lang, "重复来电", "repeated"), Kind::Int, 9.0),
        (
            t(lang, "首呼解决率", "first_call_resolution"),
            Kind::Rate,
            11.0,
        ),
    ]
}

fn fcr_cells(f: Option<&crate::workflow::repeats::FirstCalls>) -> [Cell; 3] {
    let f = f.copied().unwrap_or_default();
    [
        Cell::N(Some(f.first_calls as f64)),
        Cell::N(Some(f.repeated as f64)),
        Cell::N(f.rate()),
    ]
}

fn operator_table(
    rows: &[OperatorRow],
    items: &[NormId],
    lang: Lang,
    team_rows: bool,
    fcr: &crate::workflow::repeats::Fcr,
) -> Table {
    let mut headers = Vec::new();
    if !team_rows {
        headers.push((t(lang, "排名", "rank"), Kind::Int, 6.0));
        headers.push((t(lang, "工号", "operator_id"), Kind::Text, 10.0));
        headers.push((t(lang, "姓名", "operator_name"), Kind::Text, 10.0));
    }
    headers.push((t(lang, "班组", "team"), Kind::Text, 8.0));
    for (zh, en, k, w) in [
        ("通话数", "calls", Kind::Int, 8.0),
        ("平均分", "mean_score", Kind::Score, 9.0),
        ("中位数", "median_score", Kind::Score, 9.0),
        ("最低分", "min_score", Kind::Score, 9.0),
        ("及格率", "pass_rate", Kind::Rate, 9.0),
        ("红线", "red_lines", Kind::Int, 6.0),
        ("复核后平均分", "reviewed_mean_score", Kind::Score, 11.0),
        ("复核后及格率", "reviewed_pass_rate", Kind::Rate, 11.0),
        ("待复核", "needs_review", Kind::Int, 8.0),
        ("申诉", "appeals", Kind::Int, 6.0),
        ("申诉中", "appeals_pending", Kind::Int, 8.0),
        ("申诉维持", "appeals_upheld", Kind::Int, 9.0),
        ("申诉撤销", "appeals_overturned", Kind::Int, 9.0),
    ] {
        headers.push((t(lang, zh, en), k, w));
    }
    for n in items {
        headers.push((
            t(
                lang,
                &format!("{}违规率", n.name_zh()),
                &format!("fail_rate_{}", n.key()),
            ),
            Kind::Rate,
            11.0,
        ));
    }
    if !team_rows {
        for (zh, en) in [
            ("应回访", "callbacks_due"),
            ("按时回访", "callbacks_on_time"),
            ("他人回访", "callbacks_by_other"),
        ] {
            headers.push((t(lang, zh, en), Kind::Int, 9.0));
        }
    }
    headers.push((t(lang, "重大风险", "critical"), Kind::Int, 9.0));
    headers.extend(fcr_headers(lang));
    let rows = rows
        .iter()
        .map(|o| {
            let mut r = Vec::new();
            if !team_rows {
                r.push(Cell::N(o.rank.map(f64::from)));
                r.push(Cell::S(o.operator_id.clone()));
                r.push(Cell::S(o.operator_name.clone()));
            }
            r.push(Cell::S(o.team.clone()));
            r.push(Cell::N(Some(o.calls as f64)));
            r.push(Cell::N(Some(o.mean)));
            r.push(Cell::N(Some(o.median)));
            r.push(Cell::N(Some(o.min)));
            r.push(Cell::N(Some(o.pass_rate)));
            r.push(Cell::N(Some(o.red_lines as f64)));
            r.push(Cell::N(Some(o.reviewed_mean)));
            r.push(Cell::N(Some(o.reviewed_pass_rate)));
            r.push(Cell::N(Some(o.needs_review as f64)));
            r.push(Cell::N(Some(o.appeals.iter().sum::<u64>() as f64)));
            r.extend(o.appeals.iter().map(|a| Cell::N(Some(*a as f64))));
            r.extend(o.fail_rates.iter().map(|x| Cell::N(*x)));
            if !team_rows {
                r.push(Cell::N(Some(o.callbacks_due as f64)));
                r.push(Cell::N(Some(o.callbacks_on_time as f64)));
                r.push(Cell::N(Some(o.callbacks_by_other as f64)));
            }
            r.push(Cell::N(Some(o.critical as f64)));
            r.extend(fcr_cells(if team_rows {
                crate::report::aggregate::team_fcr(o, fcr)
            } else {
                fcr.operators.get(&o.operator_id)
            }));
            r
        })
        .collect();
    Table { headers, rows }
}

/// Chinese titles of the machine column names that detail sheets show.
fn column_title(name: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return name.to_string();
    }
    if let Some(n) = NormId::parse(name) {
        return n.name_zh().to_string();
    }
    let zh = match name {
        "date" => "日期",
        "call_id" => "通话编号",
        "operator_id" => "工号",
        "operator_name" => "姓名",
        "team" => "班组",
        "started_at" => "开始时间",
        "score" => "得分",
        "passed" => "及格",
        "red_line" => "红线",
        "grade" => "等级",
        "findings" => "违规条数",
        "norm" => "规范",
        "rule" => "规则",
        "severity" => "性质",
        "points" => "扣分",
        "at_s" => "时间点(秒)",
        "utterance_index" => "第几句",
        "speaker" => "说话人",
        "excerpt" => "原话",
        "ticket_id" => "工单编号",
        "status" => "状态",
        "due_at" => "办结时限",
        "working_days_taken" => "用时(工作日)",
        "overdue_not_urged" => "超期未催办",
        "urged_by_wrong" => "催办人不对",
        "not_supervised" => "应督办未督办",
        "callback_late" => "回访超时",
        "callback_by_other" => "非受理人回访",
        "callback_result_missing" => "回访无结果",
        "category" => "诉求类别",
        "urgency" => "紧急程度",
        "unit" => "承办单位",
        "hot_issue" => "热点难点",
        "dispatched_at" => "派单时间",
        "completed_at" => "办结时间",
        "accepted_at" => "受理时间",
        "handling" => "办理方式",
        "callback_result" => "回访结果",
        // A scorecard's own item (interned from the runs' run.json by
        // `aggregate::intern_run_items`): its Chinese name, as the
        // built-in norms have theirs, not the bare key.
        other => match NormId::parse_known(other).filter(|n| n.key() == other) {
            Some(n) => n.name_zh(),
            None => other,
        },
    };
    zh.to_string()
}

/// A detail sheet: the frame's columns as they are (numbers, 是/否 for
/// booleans, text), its score column coloured. Cells are read from the
/// columns in place, without a copy of each value.
fn write_frame(ws: &mut Worksheet, f: &Formats, df: &DataFrame, lang: Lang) -> anyhow::Result<()> {
    let mut headers = Vec::new();
    let mut score_cols = Vec::new();
    let mut cast = Vec::new();
    for (i, c) in df.columns().iter().enumerate() {
        let name = c.name().as_str();
        let (kind, as_type) = match c.dtype() {
            DataType::Float64 | DataType::Float32 => (Kind::Number, DataType::Float64),
            DataType::Int64 | DataType::Int32 | DataType::UInt32 | DataType::UInt64 => {
                (Kind::Int, DataType::Float64)
            }
            DataType::Boolean => (Kind::Text, DataType::Boolean),
            _ => (Kind::Text, DataType::String),
        };
        // The machine's score and the reviewed one; the norms' points and
        // the other numbers are not scores out of 100.
        if name == "score" || name == "reviewed_score" {
            score_cols.push(i);
        }
        let width = match name {
            "excerpt" => 60.0,
            "started_at" | "due_at" | "dispatched_at" | "completed_at" | "accepted_at" => 19.0,
            "call_id" | "ticket_id" | "rule" => 18.0,
            _ => 10.0,
        };
        headers.push((column_title(name, lang), kind, width));
        cast.push(c.cast(&as_type)?);
    }
    enum Values<'a> {
        Numbers(Vec<Option<f64>>),
        Flags(Vec<Option<bool>>),
        Texts(Vec<Option<&'a str>>),
    }
    let columns = cast
        .iter()
        .map(|c| {
            Ok(match c.dtype() {
                DataType::Float64 => Values::Numbers(c.f64()?.iter().collect()),
                DataType::Boolean => Values::Flags(c.bool()?.iter().collect()),
                _ => Values::Texts(c.str()?.iter().collect()),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (yes, no) = if lang == Lang::Zh {
        ("是", "否")
    } else {
        ("true", "false")
    };
    write_rows(
        ws,
        f,
        &headers,
        df.height(),
        |r, c| match columns.get(c) {
            Some(Values::Numbers(v)) => CellRef::N(v.get(r).copied().flatten()),
            Some(Values::Flags(v)) => CellRef::S(match v.get(r).copied().flatten() {
                Some(true) => yes,
                Some(false) => no,
                None => "",
            }),
            Some(Values::Texts(v)) => CellRef::S(v.get(r).copied().flatten().unwrap_or("")),
            None => CellRef::N(None),
        },
        columns.len(),
        &score_cols,
    )
}

fn detail(runs: &[PathBuf], name: &str, select: &[&str]) -> anyhow::Result<Option<DataFrame>> {
    let Some(lf) = crate::report::aggregate::scan_optional(runs, name)? else {
        return Ok(None);
    };
    let lf = match name {
        "tickets.parquet" => crate::report::aggregate::dedupe_tickets(lf, runs.len()),
        // Each call once, its findings from the same run, in file order.
        "calls.parquet" | "findings.parquet" => {
            let c = crate::report::aggregate::scan_calls(runs)?;
            match (name, c.calls, c.findings) {
                ("calls.parquet", Some(calls), _) => calls,
                (_, _, Some(f)) if c.deduplicated => f.sort(["row"], Default::default()),
                (_, _, Some(f)) => f,
                _ => lf,
            }
        }
        _ => lf,
    };
    let cols: Vec<Expr> = select.iter().map(|c| col(*c)).collect();
    Ok(Some(
        lf.select(cols)
            .limit(MAX_DETAIL_ROWS as IdxSize)
            .collect()?,
    ))
}

/// HOTLINE_QA_TIMING: a function that prints the time since its last call
/// (the time of each detail sheet and of the save).
fn lap_timer() -> impl FnMut(&str) {
    let timing = std::env::var_os("HOTLINE_QA_TIMING").is_some();
    let mut lap = std::time::Instant::now();
    move |what: &str| {
        if timing {
            eprintln!(
                "[timing]     xlsx {what}: {:.2} s",
                lap.elapsed().as_secs_f64()
            );
            lap = std::time::Instant::now();
        }
    }
}

/// `report.xlsx` begun. Its detail sheets (calls, findings, tickets) need
/// only the runs' Parquet files, not the figures, so they can be written
/// ([`write_details`]) on another thread while the figures are aggregated;
/// [`Book::finish`] then adds the summary sheets before them and saves.
pub struct Book {
    wb: Workbook,
    /// Blank sheets for the details: a constant-memory sheet must be made
    /// by its workbook, which stays on this thread.
    blank: Vec<Worksheet>,
}

impl Book {
    /// A new workbook whose cell formats are already numbered.
    pub fn new() -> anyhow::Result<Book> {
        let mut wb = Workbook::new();
        let f = formats();
        // A cell format is numbered when a sheet first uses it. Used here
        // once, in the order in which the summary sheet first uses them,
        // the numbers are the same as when one thread writes every sheet
        // in order, whatever the timing of the threads: the workbook is
        // byte-identical either way.
        let mut scratch = wb.new_worksheet_with_constant_memory();
        for (c, fmt) in [
            &f.title, &f.header, &f.text, &f.int, &f.score, &f.rate, &f.struck,
        ]
        .into_iter()
        .enumerate()
        {
            scratch.write_blank(0, c as u16, fmt)?;
        }
        drop(scratch);
        let blank = (0..3)
            .map(|_| wb.new_worksheet_with_constant_memory())
            .collect();
        Ok(Book { wb, blank })
    }

    /// The blank detail sheets, for [`write_details`].
    pub fn detail_sheets(&mut self) -> Vec<Worksheet> {
        std::mem::take(&mut self.blank)
    }
}

/// Writes the detail sheets (calls, findings, tickets: the first
/// [`MAX_DETAIL_ROWS`] rows of each) into the blanks of
/// [`Book::detail_sheets`]. Returns the sheets that have a Parquet file
/// to show, in that order.
pub fn write_details(
    blank: Vec<Worksheet>,
    runs: &[PathBuf],
    lang: Lang,
) -> anyhow::Result<Vec<Worksheet>> {
    let f = formats();
    let mut mark = lap_timer();
    // calls.csv's first columns, the day before them, the grade after.
    let mut call_cols = vec!["date"];
    call_cols.extend(crate::report::csv_out::CALL_COLUMNS);
    call_cols.push("grade");
    // The runs' items (calls.parquet's columns), not a fixed eleven.
    let items = crate::report::aggregate::items_of_runs(runs, &crate::config::Config::default())?;
    call_cols.extend(items.iter().map(|n| n.key()));
    let finding_cols = vec![
        "call_id",
        "operator_id",
        "operator_name",
        "norm",
        "rule",
        "severity",
        "points",
        "at_s",
        "speaker",
        "excerpt",
    ];
    let mut ticket_cols = vec![
        "ticket_id",
        "call_id",
        "operator_id",
        "category",
        "urgency",
        "unit",
        "accepted_at",
        "dispatched_at",
        "due_at",
        "completed_at",
        "status",
        "working_days_taken",
    ];
    ticket_cols.extend(crate::workflow::timeliness::FLAGS);
    ticket_cols.push("callback_result");
    let details = [
        ("calls.parquet", call_cols, "通话", "Calls", "calls sheet"),
        (
            "findings.parquet",
            finding_cols,
            "违规明细",
            "Findings",
            "findings sheet",
        ),
        (
            "tickets.parquet",
            ticket_cols,
            "工单",
            "Tickets",
            "tickets sheet",
        ),
    ];
    let mut sheets = Vec::new();
    for ((file, cols, zh, en, what), mut ws) in details.into_iter().zip(blank) {
        if let Some(df) = detail(runs, file, &cols)? {
            ws.set_name(t(lang, zh, en))?;
            write_frame(&mut ws, &f, &df, lang)?;
            sheets.push(ws);
            mark(what);
        }
    }
    Ok(sheets)
}

impl Book {
    /// Adds the summary sheets, then the detail sheets of
    /// [`write_details`], and saves the workbook at `path`.
    pub fn finish(
        self,
        path: &Path,
        data: &ReportData,
        details: Vec<Worksheet>,
        config: &Config,
        lang: Lang,
    ) -> anyhow::Result<()> {
        let Book { mut wb, .. } = self;
        summary_sheets(&mut wb, data, config, lang)?;
        let mut mark = lap_timer();
        for ws in details {
            wb.push_worksheet(ws);
        }
        wb.save(path)?;
        mark("save (zip)");
        Ok(())
    }
}

/// The 重大风险 sheet, right after 摘要: one row per critical finding,
/// open ones first; a withdrawn one (dismissed, appeal overturned) struck
/// out and marked in the 处理 column. Without any, the sheet says
/// 本期没有重大风险, so that an empty sheet is not taken for a failed one.
fn critical_sheet(
    wb: &mut Workbook,
    f: &Formats,
    list: &[crate::report::risk::CriticalFinding],
    lang: Lang,
) -> anyhow::Result<()> {
    use crate::report::risk;
    let ws = wb.add_worksheet_with_constant_memory();
    ws.set_name(t(lang, "重大风险", "Critical"))?;
    if list.is_empty() {
        ws.write_string_with_format(
            0,
            0,
            t(lang, risk::NONE_ZH, "No critical finding in this period"),
            &f.title,
        )?;
        ws.set_column_width(0, 30)?;
        return Ok(());
    }
    let headers: Vec<(String, f64)> = [
        ("处理", "action", 12.0),
        ("通话编号", "call_id", 18.0),
        ("开始时间", "started_at", 22.0),
        ("时间点(秒)", "at_s", 9.0),
        ("工号", "operator_id", 10.0),
        ("姓名", "operator_name", 10.0),
        ("班组", "team", 8.0),
        ("规则", "rule", 26.0),
        ("规则说明", "description", 36.0),
        ("原话", "excerpt", 60.0),
        ("工单编号", "ticket_id", 16.0),
        ("复核状态", "review", 18.0),
        ("要做的事", "what_to_do", 60.0),
    ]
    .iter()
    .map(|(zh, en, w)| (t(lang, zh, en), *w))
    .collect();
    for (c, (h, w)) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &f.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    for (i, c) in list.iter().enumerate() {
        let row = i as u32 + 1;
        let fmt = if c.open() { &f.text } else { &f.struck };
        let action = match (c.open(), lang) {
            (true, Lang::Zh) => "待处理",
            (true, Lang::En) => "open",
            (false, Lang::Zh) => "已撤销，不计入",
            (false, Lang::En) => "withdrawn",
        };
        let what = match (c.open(), lang) {
            (true, Lang::Zh) => risk::ACTION_ZH,
            (true, Lang::En) => risk::ACTION_EN,
            (false, _) => "",
        };
        let state = match lang {
            Lang::Zh => c.state.zh(),
            Lang::En => c.state.en(),
        };
        let description = c.description();
        let texts = [
            (0, action),
            (1, c.call_id.as_str()),
            (2, c.started_at.as_str()),
            (4, c.operator_id.as_str()),
            (5, c.operator_name.as_str()),
            (6, c.team.as_str()),
            (7, c.rule.as_str()),
            (8, description.as_str()),
            (9, c.excerpt.as_str()),
            (10, c.ticket_id.as_str()),
            (11, state),
            (12, what),
        ];
        for (col, v) in texts {
            if !v.is_empty() {
                ws.write_string_with_format(row, col, excel_safe(v), fmt)?;
            }
            if col == 2 {
                if let Some(at) = c.at_s {
                    ws.write_number_with_format(row, 3, at, &f.score)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, list.len() as u32, headers.len() as u16 - 1)?;
    Ok(())
}

/// The summary sheets: summary, operators, teams, norms, units, daily trend.
fn summary_sheets(
    wb: &mut Workbook,
    data: &ReportData,
    config: &Config,
    lang: Lang,
) -> anyhow::Result<()> {
    let f = formats();
    // A fixed creation time (the last day of the calls), not the clock's:
    // the same runs give a byte-identical workbook.
    let created = rust_xlsxwriter::ExcelDateTime::parse_from_str(&data.period.1)
        .or_else(|_| rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title(t(lang, "市长热线质检报告", "Hotline QA report"))
            .set_author("hotline-qa")
            .set_creation_datetime(&created),
    );
    // Summary.
    {
        let ws = wb.add_worksheet_with_constant_memory();
        ws.set_name(t(lang, "摘要", "Summary"))?;
        ws.write_string_with_format(
            0,
            0,
            t(lang, "市长热线质检报告", "Hotline QA report"),
            &f.title,
        )?;
        let total_units = data
            .units
            .iter()
            .find(|u| u.group == "unit" && u.name == crate::workflow::units::TOTAL);
        let mut items: Vec<(String, Cell, Kind)> = vec![
            (
                t(lang, "通话统计期间", "Calls period"),
                Cell::S(format!("{} — {}", data.period.0, data.period.1)),
                Kind::Text,
            ),
            (
                t(lang, "工单受理期间", "Tickets accepted"),
                Cell::S(
                    data.ticket_period
                        .as_ref()
                        .map(|(a, b)| format!("{a} — {b}"))
                        .unwrap_or_default(),
                ),
                Kind::Text,
            ),
            (
                t(lang, "合并的运行数", "Runs combined"),
                Cell::N(Some(data.runs as f64)),
                Kind::Int,
            ),
            (
                t(lang, "评分通话数", "Calls scored"),
                Cell::N(Some(data.calls as f64)),
                Kind::Int,
            ),
            (
                t(lang, "平均分", "Mean score"),
                Cell::N(data.mean),
                Kind::Score,
            ),
            (
                t(lang, "及格率", "Pass rate"),
                Cell::N(data.pass_rate),
                Kind::Rate,
            ),
            (
                t(lang, "及格线", "Pass mark"),
                Cell::N(Some(config.pass_mark)),
                Kind::Score,
            ),
            (
                t(lang, "红线通话", "Red-line calls"),
                Cell::N(Some(data.red_lines as f64)),
                Kind::Int,
            ),
            (
                t(lang, "重大风险（未撤销）", "Critical findings (open)"),
                Cell::N(Some(crate::report::risk::open_count(&data.critical) as f64)),
                Kind::Int,
            ),
            (
                t(lang, "违规条数", "Findings"),
                Cell::N(Some(data.findings as f64)),
                Kind::Int,
            ),
            (
                t(lang, "工单数", "Tickets"),
                Cell::N(Some(data.tickets as f64)),
                Kind::Int,
            ),
            (
                t(lang, "按时办结率", "On-time rate"),
                Cell::N(total_units.and_then(|u| u.on_time_rate)),
                Kind::Rate,
            ),
            (
                t(lang, "满意率", "Satisfaction rate"),
                Cell::N(total_units.and_then(|u| u.satisfaction_rate)),
                Kind::Rate,
            ),
            (
                t(lang, "回访及时率", "Callback on-time rate"),
                Cell::N(total_units.and_then(|u| u.callback_on_time_rate)),
                Kind::Rate,
            ),
            (
                t(lang, "评分表版本", "Scorecard version"),
                Cell::S(config.version.clone()),
                Kind::Text,
            ),
            (
                t(
                    lang,
                    "重复通话（只计一次）",
                    "Duplicate calls (counted once)",
                ),
                Cell::N(Some(data.duplicate_calls as f64)),
                Kind::Int,
            ),
        ];
        // The same warnings as report.html's box: a reader of the workbook
        // alone must see them too.
        for w in crate::report::html::warnings(data, lang) {
            items.push((t(lang, "注意", "Warning"), Cell::S(w), Kind::Text));
        }
        for (i, (k, v, kind)) in items.into_iter().enumerate() {
            let r = i as u32 + 2;
            ws.write_string_with_format(r, 0, &k, &f.header)?;
            let fmt = match kind {
                Kind::Score | Kind::Number => &f.score,
                Kind::Rate => &f.rate,
                Kind::Int => &f.int,
                Kind::Text => &f.text,
            };
            match v {
                Cell::S(s) => {
                    ws.write_string_with_format(r, 1, excel_safe(&s), fmt)?;
                }
                Cell::N(Some(x)) => {
                    ws.write_number_with_format(r, 1, x, fmt)?;
                }
                Cell::N(None) => {}
            }
        }
        ws.set_column_width(0, 18)?;
        ws.set_column_width(1, 26)?;
    }
    critical_sheet(wb, &f, &data.critical, lang)?;
    let sheet = |wb: &mut Workbook, zh: &str, en: &str, table: &Table| -> anyhow::Result<()> {
        let ws = wb.add_worksheet_with_constant_memory();
        ws.set_name(t(lang, zh, en))?;
        write_table(ws, &f, table)
    };
    // The runs' items, as aggregate found them, and the points of those
    // the scorecard in use knows.
    let norm_ids: Vec<NormId> = data.norms.iter().map(|n| n.norm).collect();
    let items = config.items();
    let ops = operator_table(&data.operators, &norm_ids, lang, false, &data.first_calls);
    sheet(wb, "话务员排名", "Operators", &ops)?;
    let teams = operator_table(&data.teams, &norm_ids, lang, true, &data.first_calls);
    sheet(wb, "班组小计", "Teams", &teams)?;
    let norms = Table {
        headers: vec![
            (t(lang, "规范", "norm"), Kind::Text, 16.0),
            (t(lang, "名称", "name"), Kind::Text, 16.0),
            (t(lang, "分值", "points"), Kind::Number, 8.0),
            (t(lang, "可评通数", "assessed"), Kind::Int, 10.0),
            (t(lang, "违规通数", "failed"), Kind::Int, 10.0),
            (t(lang, "违规率", "fail_rate"), Kind::Rate, 10.0),
            (t(lang, "违规条数", "findings"), Kind::Int, 10.0),
        ],
        rows: data
            .norms
            .iter()
            .map(|n| {
                vec![
                    Cell::S(n.norm.key().into()),
                    Cell::S(n.norm.name_zh().into()),
                    Cell::N(items.get(n.norm).map(|i| i.points)),
                    Cell::N(Some(n.assessed as f64)),
                    Cell::N(Some(n.failed as f64)),
                    Cell::N(n.fail_rate),
                    Cell::N(Some(n.findings as f64)),
                ]
            })
            .collect(),
    };
    sheet(wb, "规范违规率", "Norms", &norms)?;
    let mut unit_headers = Vec::new();
    for name in crate::workflow::units::UNIT_COLUMNS {
        let kind = if name.ends_with("_rate") {
            Kind::Rate
        } else if *name == "mean_working_days" {
            Kind::Number
        } else if *name == "group" || *name == "name" {
            Kind::Text
        } else {
            Kind::Int
        };
        let zh = match *name {
            "group" => "分组",
            "name" => "名称",
            "tickets" => "工单数",
            "dispatched" => "已派单",
            "on_time" => "按时办结",
            "late" => "超期办结",
            "open" => "办理中",
            "open_overdue" => "超期未办结",
            "on_time_rate" => "按时办结率",
            "mean_working_days" => "平均用时(工作日)",
            "urged" => "已催办",
            "overdue_not_urged" => "超期未催办",
            "supervised" => "已督办",
            "not_supervised" => "应督办未督办",
            "callbacks" => "已回访",
            "satisfied" => "满意",
            "basically_satisfied" => "基本满意",
            "dissatisfied" => "不满意",
            "satisfaction_rate" => "满意率",
            "callbacks_due" => "应回访",
            "callbacks_on_time" => "按时回访",
            "callback_on_time_rate" => "回访及时率",
            other => other,
        };
        unit_headers.push((
            t(lang, zh, name),
            kind,
            if *name == "name" { 18.0 } else { 10.0 },
        ));
    }
    unit_headers.extend(fcr_headers(lang));
    let units = Table {
        headers: unit_headers,
        rows: data
            .units
            .iter()
            .map(|u| {
                let group = if lang == Lang::Zh {
                    if u.group == "unit" {
                        "承办单位"
                    } else {
                        "诉求类别"
                    }
                } else {
                    u.group
                };
                let mut r = vec![
                    Cell::S(group.to_string()),
                    Cell::S(u.name.clone()),
                    Cell::N(Some(u.tickets as f64)),
                    Cell::N(Some(u.dispatched as f64)),
                    Cell::N(Some(u.on_time as f64)),
                    Cell::N(Some(u.late as f64)),
                    Cell::N(Some(u.open as f64)),
                    Cell::N(Some(u.open_overdue as f64)),
                    Cell::N(u.on_time_rate),
                    Cell::N(u.mean_working_days),
                    Cell::N(Some(u.urged as f64)),
                    Cell::N(Some(u.overdue_not_urged as f64)),
                    Cell::N(Some(u.supervised as f64)),
                    Cell::N(Some(u.not_supervised as f64)),
                    Cell::N(Some(u.callbacks as f64)),
                    Cell::N(Some(u.satisfied as f64)),
                    Cell::N(Some(u.basically_satisfied as f64)),
                    Cell::N(Some(u.dissatisfied as f64)),
                    Cell::N(u.satisfaction_rate),
                    Cell::N(Some(u.callbacks_due as f64)),
                    Cell::N(Some(u.callbacks_on_time as f64)),
                    Cell::N(u.callback_on_time_rate),
                ];
                r.extend(fcr_cells(crate::report::csv_out::unit_fcr(
                    u,
                    &data.first_calls,
                )));
                r
            })
            .collect(),
    };
    sheet(wb, "承办单位", "Units", &units)?;
    let trend = Table {
        headers: vec![
            (t(lang, "日期", "date"), Kind::Text, 12.0),
            (t(lang, "工号", "operator_id"), Kind::Text, 10.0),
            (t(lang, "通话数", "calls"), Kind::Int, 8.0),
            (t(lang, "平均分", "mean_score"), Kind::Score, 9.0),
            (t(lang, "及格率", "pass_rate"), Kind::Rate, 9.0),
        ],
        rows: data
            .days
            .iter()
            .chain(data.operator_trend.iter())
            .map(|d| {
                let key = if d.key.is_empty() {
                    t(lang, "全部", "all")
                } else {
                    d.key.clone()
                };
                vec![
                    Cell::S(d.date.clone()),
                    Cell::S(key),
                    Cell::N(Some(d.count as f64)),
                    Cell::N(d.value),
                    Cell::N(d.pass_rate),
                ]
            })
            .collect(),
    };
    sheet(wb, "每日趋势", "Daily trend", &trend)?;
    Ok(())
}
