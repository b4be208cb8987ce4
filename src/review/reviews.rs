//! Review decisions and appeals as data: `reviews.csv` (or a review sheet
//! written by `hotline-qa sample` and filled in Excel), read into rows
//! grouped by call, and [`apply`] that turns a call's rows into the review
//! state of its findings.
//!
//! A row names a finding by call, rule and (optionally) utterance index:
//! without an index it applies to every finding of that rule in the call.
//! The columns (English or Chinese headers, any order; other columns such
//! as the sheet's excerpt are ignored):
//!
//! | column | 中文 | meaning |
//! |---|---|---|
//! | call_id | 通话编号 | required |
//! | norm | 规范 | norm key or Chinese name; may be left out when rule is given |
//! | rule | 规则 | rule id; empty on an added finding means "this norm, no rule" |
//! | utterance_index | 句序号 | 0-based, as in findings.csv |
//! | verdict | 复核结论 | confirmed / dismissed / added (确认 / 误判 / 新增) |
//! | appeal | 申诉 | appealed / upheld / overturned (申诉中 / 维持 / 撤销) |
//! | points | 扣分 or 新增扣分 | added findings only: the deduction (default: as the norm deducts); ignored on other rows |
//! | reviewer | 复核人 | |
//! | reviewed_at | 复核时间 | orders several rows on one finding |
//! | comment | 备注 | (review_comment also) |
//!
//! Several rows on one finding are applied oldest first (by reviewed_at;
//! rows without a time before rows with one; ties in file order), so the
//! latest decision wins. A row with no verdict, appeal, reviewer or
//! comment is one nobody reviewed yet and is skipped (counted, not
//! rejected), so a review sheet or a copy of findings.csv can be handed
//! back with only some rows filled in.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::input::{decode_text, Reject};
use crate::model::{Appeal, Call, Finding, FindingReview, NormId, Verdict};
use crate::norms::RULES;

/// One review row.
#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    /// The call.
    pub call_id: String,
    /// The norm.
    pub norm: NormId,
    /// The rule id (`<norm>.manual` for an added finding without a rule).
    pub rule: &'static str,
    /// The utterance, when the row names one.
    pub utterance_index: Option<usize>,
    /// The reviewer's verdict.
    pub verdict: Option<Verdict>,
    /// The appeal status.
    pub appeal: Option<Appeal>,
    /// Deduction of an added finding (None: as the norm deducts).
    pub points: Option<f64>,
    /// Who.
    pub reviewer: String,
    /// When, as parsed (None: not given).
    pub reviewed_at: Option<NaiveDateTime>,
    /// Why.
    pub comment: String,
    /// Line (CSV) or row (XLSX) in the file.
    pub line: u64,
}

/// Review rows by call id, with what could not be used.
#[derive(Clone, Debug, Default)]
pub struct Reviews {
    /// Rows by call id, each call's rows in the order they apply.
    pub by_call: HashMap<String, Vec<Review>>,
    /// Data rows read (not counting skipped empty sheet rows).
    pub read: u64,
    /// Sheet rows with nothing filled in (not reviewed yet).
    pub unreviewed: u64,
    /// Rows that cannot be used, with the reason.
    pub rejects: Vec<Reject>,
    /// The file.
    pub file: Option<Arc<str>>,
}

/// `<norm>.manual`: the rule of a finding a reviewer added without naming one.
pub fn manual_rule(norm: NormId) -> &'static str {
    const MANUAL: [&str; 11] = [
        "greeting.manual",
        "closing.manual",
        "courtesy.manual",
        "pace.manual",
        "clarity.manual",
        "accuracy.manual",
        "process.manual",
        "communication.manual",
        "attitude.manual",
        "ticket.manual",
        "taboo.manual",
    ];
    match MANUAL.get(norm.index()) {
        Some(r) => r,
        None => norm.custom_manual_rule().unwrap_or(""),
    }
}

/// The static id of a known rule (from [`RULES`], `<norm>.manual`, or a
/// custom rule of a scorecard read in this run: `crate::rules`).
pub fn known_rule(id: &str) -> Option<&'static str> {
    let id = id.trim();
    RULES
        .iter()
        .map(|(r, _)| *r)
        .find(|r| *r == id)
        .or_else(|| {
            NormId::ALL
                .into_iter()
                .chain(NormId::customs())
                .map(manual_rule)
                .find(|r| *r == id)
        })
        .or_else(|| crate::rules::known_custom(id))
}

/// The norm a rule id belongs to (the part before the dot).
pub fn norm_of_rule(rule: &str) -> Option<NormId> {
    // A custom rule knows its item (a centre's own item, or a built-in one).
    crate::rules::custom_norm(rule.trim())
        .or_else(|| NormId::parse_known(rule.split('.').next().unwrap_or("")))
}

/// The header names each field is recognised by.
const COLUMNS: [(&str, &[&str]); 10] = [
    ("call_id", &["call_id", "通话编号"]),
    ("norm", &["norm", "规范"]),
    ("rule", &["rule", "规则", "规则编号"]),
    ("utterance_index", &["utterance_index", "句序号"]),
    ("verdict", &["verdict", "复核结论", "结论"]),
    ("appeal", &["appeal", "申诉", "申诉状态"]),
    ("points", &["points", "扣分", "新增扣分"]),
    ("reviewer", &["reviewer", "复核人", "质检员"]),
    ("reviewed_at", &["reviewed_at", "复核时间"]),
    ("comment", &["comment", "备注", "说明", "review_comment"]),
];

/// Reads a reviews file: CSV (UTF-8 or GBK) or XLSX (the sheet named
/// 复核 if there is one, else the first).
pub fn read(path: &Path, max_points: &dyn Fn(NormId) -> f64) -> anyhow::Result<Reviews> {
    let file: Arc<str> = Arc::from(path.display().to_string());
    let rows = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        xlsx_rows(path, &file)?
    } else {
        let bytes = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("{file}：读不了复核表：{}", crate::messages::io_zh(&e)))?;
        csv_rows(&decode_text(&bytes), &file)?
    };
    let mut rows = rows.into_iter();
    let Some((_, header)) = rows.next() else {
        anyhow::bail!(
            "{file}：文件是空的，第一行要是表头：call_id（通话编号）、norm（规范）、rule（规则）、verdict（复核结论）……（the file is empty）"
        );
    };
    let header = header.map_err(|e| {
        anyhow::anyhow!("{file} 第 1 行：读不了表头（cannot read the header: {e}）")
    })?;
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let cols: Vec<Option<usize>> = COLUMNS.iter().map(|(_, names)| find(names)).collect();
    if cols[0].is_none() || (cols[4].is_none() && cols[5].is_none()) {
        anyhow::bail!(
            "{file} 第 1 行：表头要有 call_id（通话编号），以及 verdict（复核结论）或 appeal（申诉）；\
             可选：norm、rule、utterance_index、points、reviewer、reviewed_at、comment（the header needs call_id and verdict or appeal）"
        );
    }
    let local = crate::input::time::default_offset();
    let mut out = Reviews {
        file: Some(file.clone()),
        ..Reviews::default()
    };
    for (line, row) in rows {
        let row = match row {
            Ok(r) => r,
            Err(reason) => {
                out.read += 1;
                out.rejects.push(Reject {
                    file: file.clone(),
                    line,
                    record_id: String::new(),
                    reason,
                });
                continue;
            }
        };
        // The apostrophe the program's own CSV files and review sheets put
        // before = + - @ (excel_safe) comes off: ids match the run's.
        let get = |k: usize| -> &str {
            cols[k]
                .and_then(|i| row.get(i))
                .map_or("", |s| crate::report::privacy::excel_unescape(s.trim()))
        };
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // A row nobody filled in (a review sheet's, or findings.csv's with
        // its machine points): not a decision, nothing to keep.
        if [4, 5, 7, 9].iter().all(|&k| get(k).is_empty()) {
            out.unreviewed += 1;
            continue;
        }
        out.read += 1;
        match parse_row(&get, line, max_points, local) {
            Ok(r) => out.by_call.entry(r.call_id.clone()).or_default().push(r),
            Err(reason) => out.rejects.push(Reject {
                file: file.clone(),
                line,
                record_id: get(0).to_string(),
                reason,
            }),
        }
    }
    for rows in out.by_call.values_mut() {
        // Oldest first: no time before any time, then by time, then file order.
        rows.sort_by(|a, b| a.reviewed_at.cmp(&b.reviewed_at).then(a.line.cmp(&b.line)));
    }
    Ok(out)
}

fn parse_row<'a>(
    get: &dyn Fn(usize) -> &'a str,
    line: u64,
    max_points: &dyn Fn(NormId) -> f64,
    local: chrono::FixedOffset,
) -> Result<Review, String> {
    let call_id = get(0);
    if call_id.is_empty() {
        return Err("缺少通话编号 call_id".into());
    }
    let verdict = match get(4) {
        "" => None,
        v => Some(Verdict::parse(v).ok_or_else(|| {
            format!("verdict（复核结论）\"{v}\" 应为 confirmed / dismissed / added（确认 / 误判 / 新增）")
        })?),
    };
    let appeal = match get(5) {
        "" => None,
        v => Some(Appeal::parse(v).ok_or_else(|| {
            format!(
                "appeal（申诉）\"{v}\" 应为 appealed / upheld / overturned（申诉中 / 维持 / 撤销）"
            )
        })?),
    };
    if verdict.is_none() && appeal.is_none() {
        return Err("没有复核结论 verdict，也没有申诉状态 appeal".into());
    }
    let norm_raw = get(1);
    let rule_raw = get(2);
    let norm = match (norm_raw, rule_raw) {
        ("", "") => return Err("缺少规范 norm 和规则 rule（至少填一个）".into()),
        ("", r) => norm_of_rule(r)
            .ok_or_else(|| format!("rule（规则）\"{r}\" 不是已知规则（见 hotline-qa rules）"))?,
        (n, _) => NormId::parse_known(n).ok_or_else(|| {
            format!("norm（规范）\"{n}\" 不是评分表的评分项（greeting … taboo、评分表 [[items]] 里的键，或中文名）")
        })?,
    };
    let rule = match rule_raw {
        "" if verdict == Some(Verdict::Added) => manual_rule(norm),
        "" => {
            return Err(format!(
            "缺少规则 rule：确认、误判或申诉要指明是哪条规则的扣分（{} 的规则见 hotline-qa rules）",
            norm.key()
        ))
        }
        r => known_rule(r)
            .ok_or_else(|| format!("rule（规则）\"{r}\" 不是已知规则（见 hotline-qa rules）"))?,
    };
    if norm_of_rule(rule) != Some(norm) {
        return Err(format!(
            "规则 {rule} 不属于规范 {}（规则编号的前半部分就是规范）",
            norm.key()
        ));
    }
    let utterance_index = match get(3) {
        "" => None,
        u => Some(
            u.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e9)
                .map(|f| f as usize)
                .ok_or_else(|| format!("utterance_index（句序号）\"{u}\" 应为 0 或正整数"))?,
        ),
    };
    let points = match get(6) {
        "" => None,
        p => {
            let max = max_points(norm);
            match p.parse::<f64>() {
                Ok(v) if v.is_finite() && (0.0..=max).contains(&v) => Some(v),
                _ => {
                    return Err(format!(
                        "points（扣分）\"{p}\" 应为 0 到 {max} 之间的数字（{} 的满分）",
                        norm.key()
                    ))
                }
            }
        }
    };
    // Only an added finding takes its deduction from the row: on other rows
    // the column is the machine's points (a findings.csv filled in Excel).
    let points = points.filter(|_| verdict == Some(Verdict::Added));
    let reviewed_at = match get(8) {
        "" => None,
        t => Some(
            crate::input::time::parse_local(t, local)
                .map(|(t, _)| t)
                .ok_or_else(|| {
                    crate::input::time::bad_time_reason(
                        "reviewed_at（复核时间）",
                        t,
                        local,
                        format!("reviewed_at（复核时间）\"{t}\" 不是时间（如 2026-11-28 10:30）"),
                    )
                })?,
        ),
    };
    Ok(Review {
        call_id: call_id.to_string(),
        norm,
        rule,
        utterance_index,
        verdict,
        appeal,
        points,
        reviewer: get(7).to_string(),
        reviewed_at,
        comment: get(9).to_string(),
        line,
    })
}

type Rows = Vec<(u64, Result<Vec<String>, String>)>;

fn csv_rows(text: &str, file: &str) -> anyhow::Result<Rows> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(crate::input::lines::LineCounted::new(text.as_bytes()));
    let mut rows = Vec::new();
    let mut r = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut r) {
            Ok(false) => break,
            Ok(true) => rows.push((
                reader.get_mut().line_of(r.position()),
                Ok(r.iter().map(str::to_string).collect()),
            )),
            Err(e) => {
                let line = reader.get_mut().line_of(e.position());
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    anyhow::bail!("{file} 第 {line} 行：读取失败（cannot read: {e}）");
                }
                rows.push((line, Err(format!("无法读取这一行 CSV（{e}）"))));
            }
        }
    }
    Ok(rows)
}

fn xlsx_rows(path: &Path, file: &str) -> anyhow::Result<Rows> {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(path)
        .map_err(|e| anyhow::anyhow!("{file}：打不开这个 Excel 文件，可能已损坏或不是 .xlsx（cannot open the workbook: {e}）"))?;
    let names = wb.sheet_names();
    let name = names
        .iter()
        .find(|n| n.as_str() == "复核")
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| {
            anyhow::anyhow!("{file}：这个 Excel 文件里没有工作表（the workbook has no sheets）")
        })?;
    // calamine can panic on a damaged workbook: that is an unreadable file.
    let range =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| wb.worksheet_range(&name)))
            .map_err(|_| anyhow::anyhow!("{file} 工作表“{name}”：文件已损坏，请用 Excel 打开后另存一份再试（the workbook is damaged）"))?
            .map_err(|e| anyhow::anyhow!("{file} 工作表“{name}”：读不了（cannot read: {e}）"))?;
    let start = range.start().map_or(0, |(r, _)| r);
    let header: Vec<String> = range
        .rows()
        .next()
        .map(|r| {
            r.iter()
                .map(|c| crate::input::tickets::cell_text(c, false))
                .collect()
        })
        .unwrap_or_default();
    let time_col = header
        .iter()
        .position(|h| COLUMNS[8].1.iter().any(|n| h.trim() == *n));
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, r)| {
            let cells = r
                .iter()
                .enumerate()
                .map(|(j, c)| crate::input::tickets::cell_text(c, Some(j) == time_col && i > 0))
                .collect();
            (u64::from(start) + i as u64 + 1, Ok(cells))
        })
        .collect())
}

/// The outcome of applying a call's review rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Applied {
    /// Rows that matched no finding: (line, reason).
    pub unmatched: Vec<(u64, String)>,
}

/// Applies a call's review rows (oldest first) to its findings: sets each
/// matched finding's review state and appends the added findings, placed
/// at their utterance when one is named. `findings` stay grouped by norm.
pub fn apply(call: &Call, findings: &mut Vec<Finding>, rows: &[Review]) -> Applied {
    let mut applied = Applied::default();
    for r in rows {
        let matches: Vec<usize> = findings
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                f.rule == r.rule
                    && (r.utterance_index.is_none() || f.utterance_index == r.utterance_index)
            })
            .map(|(i, _)| i)
            .collect();
        let mut targets = matches;
        if targets.is_empty() {
            if r.verdict == Some(Verdict::Added) {
                let mut f = added_finding(call, r);
                f.review = Some(Box::new(FindingReview {
                    verdict: Some(Verdict::Added),
                    appeal: None,
                    reviewer: String::new(),
                    comment: String::new(),
                    points: None,
                    by_reviewer: true,
                }));
                findings.push(f);
                targets.push(findings.len() - 1);
            } else {
                let what = match r.utterance_index {
                    Some(i) => format!("第 {i} 句（utterance_index）的 {}", r.rule),
                    None => r.rule.to_string(),
                };
                applied.unmatched.push((
                    r.line,
                    format!("这通电话没有 {what} 的扣分，复核结论未使用（规则或句序号填错了？）"),
                ));
                continue;
            }
        }
        for i in targets {
            let f = &mut findings[i];
            let state = f.review.get_or_insert_with(|| {
                Box::new(FindingReview {
                    verdict: None,
                    appeal: None,
                    reviewer: String::new(),
                    comment: String::new(),
                    points: None,
                    by_reviewer: false,
                })
            });
            match r.verdict {
                // Adding what the machine already found confirms it.
                Some(Verdict::Added) if state.verdict != Some(Verdict::Added) => {
                    state.verdict = Some(Verdict::Confirmed)
                }
                // Confirming a reviewer's own addition keeps it an addition:
                // it must not turn into a machine finding.
                Some(Verdict::Confirmed) if state.by_reviewer => {
                    state.verdict = Some(Verdict::Added)
                }
                Some(v) => state.verdict = Some(v),
                None => {}
            }
            match r.appeal {
                Some(Appeal::Upheld) if state.verdict != Some(Verdict::Added) => {
                    state.verdict = Some(Verdict::Confirmed)
                }
                Some(Appeal::Overturned) if state.verdict != Some(Verdict::Added) => {
                    state.verdict = Some(Verdict::Dismissed)
                }
                _ => {}
            }
            if let Some(a) = r.appeal {
                state.appeal = Some(a);
            }
            if !r.reviewer.is_empty() {
                state.reviewer = r.reviewer.clone();
            }
            if !r.comment.is_empty() {
                state.comment = r.comment.clone();
            }
            if r.verdict == Some(Verdict::Added) && r.points.is_some() {
                state.points = r.points;
            }
        }
    }
    // Keep findings grouped by norm (added ones after the machine's).
    findings.sort_by_key(|f| f.norm.index());
    applied
}

fn added_finding(call: &Call, r: &Review) -> Finding {
    let note = if r.comment.is_empty() {
        "复核人补充的扣分".to_string()
    } else {
        format!("复核人补充：{}", r.comment)
    };
    let mut f = Finding::new(r.norm, r.rule, note);
    if let Some(i) = r.utterance_index {
        f = f.at(call, i);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::norms::testkit::call;

    fn read_text(text: &str) -> Reviews {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("reviews.csv");
        std::fs::write(&p, text).expect("write");
        read(&p, &|_| 10.0).expect("read")
    }

    fn reasons(r: &Reviews) -> Vec<(u64, String)> {
        r.rejects
            .iter()
            .map(|x| (x.line, x.reason.clone()))
            .collect()
    }

    #[test]
    fn english_and_chinese_headers_and_words() {
        let en =
            read_text("call_id,rule,verdict,reviewer\nc1,taboo.forbidden_phrase,dismissed,李\n");
        let zh = read_text("通话编号,规则,复核结论,复核人\nc1,taboo.forbidden_phrase,误判,李\n");
        for r in [en, zh] {
            let rows = &r.by_call["c1"];
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].norm, NormId::Taboo);
            assert_eq!(rows[0].verdict, Some(Verdict::Dismissed));
            assert_eq!(rows[0].reviewer, "李");
            assert!(r.rejects.is_empty());
        }
    }

    #[test]
    fn bad_rows_are_rejected_with_their_line_and_reason() {
        let r = read_text(
            "call_id,norm,rule,utterance_index,verdict,appeal,points,reviewed_at\n\
             ,taboo,taboo.blame,,confirmed,,,\n\
             c1,taboo,taboo.nothing,,confirmed,,,\n\
             c1,courtesy,taboo.blame,,confirmed,,,\n\
             c1,taboo,taboo.blame,-1,confirmed,,,\n\
             c1,taboo,taboo.blame,,perhaps,,,\n\
             c1,taboo,taboo.blame,,,later,,\n\
             c1,taboo,,,confirmed,,,\n\
             c1,taboo,,,added,,11,\n\
             c1,taboo,taboo.blame,,confirmed,,,yesterday\n\
             c1,taboo,taboo.blame,,confirmed,,,2026-11-28 10:00\n",
        );
        let got = reasons(&r);
        let expect = [
            (2, "缺少通话编号"),
            (3, "\"taboo.nothing\" 不是已知规则"),
            (4, "规则 taboo.blame 不属于规范 courtesy"),
            (5, "\"-1\" 应为 0 或正整数"),
            (6, "\"perhaps\""),
            (7, "\"later\""),
            (8, "缺少规则 rule"),
            (9, "\"11\" 应为 0 到 10 之间"),
            (10, "\"yesterday\" 不是时间"),
        ];
        assert_eq!(got.len(), expect.len(), "{got:?}");
        for ((line, reason), (want_line, want)) in got.iter().zip(expect) {
            assert_eq!(*line, want_line);
            assert!(reason.contains(want), "line {line}: {reason}");
        }
        assert_eq!(r.read, 10);
        assert_eq!(r.by_call["c1"].len(), 1);
    }

    #[test]
    fn an_empty_sheet_row_is_unreviewed_not_rejected() {
        let r = read_text(
            "call_id,rule,utterance_index,verdict,reviewer,comment\n\
             c1,taboo.blame,3,,,\n\
             c1,taboo.blame,3,,,看过了\n",
        );
        assert_eq!(r.unreviewed, 1);
        assert_eq!(r.read, 1);
        assert!(reasons(&r)[0].1.contains("没有复核结论"));
    }

    #[test]
    fn rows_apply_oldest_first_by_time_then_file_order() {
        let r = read_text(
            "call_id,rule,verdict,reviewed_at\n\
             c1,taboo.blame,confirmed,2026-11-29 09:00\n\
             c1,taboo.blame,dismissed,2026-11-28 09:00\n\
             c1,taboo.blame,dismissed,\n",
        );
        let order: Vec<u64> = r.by_call["c1"].iter().map(|x| x.line).collect();
        assert_eq!(order, vec![4, 3, 2]);
        // Applied: the last (confirmed, latest time) wins.
        let c = call(&[('a', 0.0, 2.0, "x"), ('a', 3.0, 4.0, "y")]);
        let mut f = vec![Finding::new(NormId::Taboo, "taboo.blame", "e").at(&c, 1)];
        apply(&c, &mut f, &r.by_call["c1"]);
        assert_eq!(f[0].verdict(), Some(Verdict::Confirmed));
    }

    fn row(
        rule: &'static str,
        utt: Option<usize>,
        v: Option<Verdict>,
        a: Option<Appeal>,
    ) -> Review {
        Review {
            call_id: "t".into(),
            norm: norm_of_rule(rule).expect("norm"),
            rule,
            utterance_index: utt,
            verdict: v,
            appeal: a,
            points: None,
            reviewer: "李".into(),
            reviewed_at: None,
            comment: String::new(),
            line: 2,
        }
    }

    #[test]
    fn a_row_without_utterance_matches_every_finding_of_its_rule() {
        let c = call(&[
            ('a', 0.0, 1.0, "哦"),
            ('a', 2.0, 3.0, "哦"),
            ('a', 4.0, 5.0, "亲"),
        ]);
        // In norm order, as the scorer gives them.
        let mut f = vec![
            Finding::new(NormId::Courtesy, "courtesy.slang", "c").at(&c, 2),
            Finding::new(NormId::Taboo, "taboo.forbidden_phrase", "a").at(&c, 0),
            Finding::new(NormId::Taboo, "taboo.forbidden_phrase", "b").at(&c, 1),
        ];
        let a = apply(
            &c,
            &mut f,
            &[row(
                "taboo.forbidden_phrase",
                None,
                Some(Verdict::Dismissed),
                None,
            )],
        );
        assert!(a.unmatched.is_empty());
        let v: Vec<_> = f.iter().map(Finding::verdict).collect();
        assert_eq!(
            v,
            vec![None, Some(Verdict::Dismissed), Some(Verdict::Dismissed)]
        );
        // With an index, only that one.
        let mut f2 = f.clone();
        for x in &mut f2 {
            x.review = None;
        }
        apply(
            &c,
            &mut f2,
            &[row(
                "taboo.forbidden_phrase",
                Some(1),
                Some(Verdict::Confirmed),
                None,
            )],
        );
        assert_eq!(f2[1].verdict(), None);
        assert_eq!(f2[2].verdict(), Some(Verdict::Confirmed));
    }

    #[test]
    fn appeals_decide_the_verdict_and_keep_their_status() {
        let c = call(&[('a', 0.0, 1.0, "哦")]);
        let base = vec![Finding::new(NormId::Taboo, "taboo.forbidden_phrase", "a").at(&c, 0)];
        let r = "taboo.forbidden_phrase";
        for (rows, verdict, appeal) in [
            (
                vec![row(r, None, None, Some(Appeal::Appealed))],
                None,
                Some(Appeal::Appealed),
            ),
            (
                vec![
                    row(r, None, Some(Verdict::Confirmed), None),
                    row(r, None, None, Some(Appeal::Appealed)),
                ],
                Some(Verdict::Confirmed),
                Some(Appeal::Appealed),
            ),
            (
                vec![row(r, None, None, Some(Appeal::Upheld))],
                Some(Verdict::Confirmed),
                Some(Appeal::Upheld),
            ),
            (
                vec![
                    row(r, None, None, Some(Appeal::Appealed)),
                    row(r, None, None, Some(Appeal::Overturned)),
                ],
                Some(Verdict::Dismissed),
                Some(Appeal::Overturned),
            ),
        ] {
            let mut f = base.clone();
            apply(&c, &mut f, &rows);
            assert_eq!(
                (f[0].verdict(), f[0].appeal()),
                (verdict, appeal),
                "{rows:?}"
            );
        }
    }

    #[test]
    fn added_findings_are_new_unless_the_machine_found_them() {
        let c = call(&[('a', 0.0, 1.0, "喂"), ('a', 2.0, 3.0, "好的")]);
        let mut f = vec![Finding::new(NormId::Taboo, "taboo.forbidden_phrase", "a").at(&c, 0)];
        let added = |utt| {
            row(
                "taboo.forbidden_phrase",
                Some(utt),
                Some(Verdict::Added),
                None,
            )
        };
        apply(&c, &mut f, &[added(0), added(1)]);
        assert_eq!(f.len(), 2);
        // Adding what the machine found confirms it…
        assert_eq!(f[0].verdict(), Some(Verdict::Confirmed));
        // …adding elsewhere is a new finding at that utterance.
        assert_eq!(f[1].verdict(), Some(Verdict::Added));
        assert_eq!(f[1].utterance_index, Some(1));
        assert_eq!(f[1].at_s, Some(2.0));
    }

    #[test]
    fn a_row_matching_nothing_is_reported() {
        let c = call(&[('a', 0.0, 1.0, "好的")]);
        let mut f = Vec::new();
        let a = apply(
            &c,
            &mut f,
            &[row("taboo.blame", Some(0), Some(Verdict::Dismissed), None)],
        );
        assert_eq!(a.unmatched.len(), 1);
        assert!(a.unmatched[0]
            .1
            .contains("第 0 句（utterance_index）的 taboo.blame"));
        assert!(f.is_empty());
    }
}
