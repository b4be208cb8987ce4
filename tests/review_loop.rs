//! `score --reviews`: dismissed findings stop costing points, added ones
//! cost, confirmed uncertain ones cost, appeals are counted by outcome, and
//! every review row is either used or in rejects.csv. Expected figures are
//! worked out by hand from samples/ (see the comments), not recomputed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn score(out: &Path, extra: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
        .arg("score")
        .arg(samples())
        .args(["--as-of", "2026-11-28T00:00:00+08:00", "--quiet", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{err}");
    err
}

fn records(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("read");
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = r.headers().expect("headers").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("record");
            headers
                .iter()
                .map(str::to_string)
                .zip(rec.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn call<'a>(calls: &'a [BTreeMap<String, String>], id: &str) -> &'a BTreeMap<String, String> {
    calls
        .iter()
        .find(|c| c["call_id"] == format!("20261127-{id}"))
        .unwrap_or_else(|| panic!("call {id}"))
}

const REVIEWS: &str = "\
call_id,norm,rule,utterance_index,verdict,appeal,points,reviewer,reviewed_at,comment
20261127-000142,accuracy,accuracy.wrong_unit_number,4,dismissed,,,李青,2026-11-28 09:00,95598 是自来水公司报修电话
20261127-000204,taboo,taboo.forbidden_phrase,2,dismissed,,,李青,2026-11-28 09:05,语气词，不是禁用语
20261127-000250,courtesy,courtesy.ni,,confirmed,,,李青,2026-11-28 09:10,听了录音确实是“你”
20261127-000311,taboo,taboo.insult,4,,overturned,,王主任,2026-11-29 10:00,申诉成立
20261127-000311,taboo,taboo.insult,4,,appealed,,陈晓燕,2026-11-28 11:00,
20261127-000268,courtesy,courtesy.slang,2,,upheld,,王主任,2026-11-29 10:05,维持
20261127-000275,courtesy,courtesy.slang,4,,appealed,,,2026-11-28 12:00,
20261127-000103,taboo,taboo.forbidden_phrase,1,added,,,李青,2026-11-28 09:20,录音里有“喂”，转写漏了
20261127-000117,courtesy,,,added,,3,李青,,口气生硬
20261127-000126,taboo,taboo.blame,5,added,,,李青,2026-11-28 09:30,埋怨来电人
20261127-000126,taboo,taboo.blame,5,,overturned,,王主任,2026-11-29 10:10,申诉成立
20261127-000142,courtesy,courtesy.ni,,confirmed,,,李青,,
20261127-999999,taboo,taboo.blame,,dismissed,,,李青,,
20261127-000126,taboo,taboo.blame,,maybe,,,李青,,
20261127-000131,,,,,,,,,
";

#[test]
fn reviews_change_the_reviewed_score_and_keep_the_machine_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let reviews = dir.path().join("reviews.csv");
    std::fs::write(&reviews, REVIEWS).expect("write");
    let out = dir.path().join("run");
    let err = score(&out, &["--reviews", reviews.to_str().expect("utf-8")]);
    let calls = records(&out.join("calls.csv"));
    let reviewed = |id: &str| {
        let c = call(&calls, id);
        (c["score"].clone(), c["reviewed_score"].clone())
    };
    // 000142: its only finding (15 of 100 points) dismissed.
    assert_eq!(reviewed("000142"), ("85".into(), "100".into()));
    // 000204: 哦 three times; dismissing the first leaves two, taboo still lost.
    assert_eq!(reviewed("000204"), ("88.24".into(), "88.24".into()));
    // 000250: 你 spoken over the caller waits for review (machine keeps the
    // 10 courtesy points); confirmed, courtesy is lost too: 85 − 10 − 10 of 85.
    assert_eq!(reviewed("000250"), ("88.24".into(), "76.47".into()));
    // 000311: the insult's appeal was overturned (the later row wins, though
    // it comes first in the file): no red line, nothing else found.
    assert_eq!(reviewed("000311"), ("0".into(), "100".into()));
    assert_eq!(call(&calls, "000311")["red_line"], "true");
    assert_eq!(call(&calls, "000311")["reviewed_red_line"], "false");
    // 000268: appeal upheld, the finding stands.
    assert_eq!(reviewed("000268"), ("90".into(), "90".into()));
    // 000103: a forbidden word added; accuracy not assessed, so 75 of 85.
    assert_eq!(reviewed("000103"), ("100".into(), "88.24".into()));
    // 000117: a courtesy finding added with its own deduction of 3 of 100.
    assert_eq!(reviewed("000117"), ("100".into(), "97".into()));
    // 000126: an added finding withdrawn on appeal costs nothing.
    assert_eq!(reviewed("000126"), ("100".into(), "100".into()));
    // Untouched calls keep their score.
    assert_eq!(reviewed("000155"), ("82.35".into(), "82.35".into()));
    assert_eq!(call(&calls, "000311")["appeals"], "1");

    let findings = records(&out.join("findings.csv"));
    let f = |id: &str, rule: &str, utt: &str| {
        findings
            .iter()
            .find(|f| {
                f["call_id"] == format!("20261127-{id}")
                    && f["rule"] == rule
                    && f["utterance_index"] == utt
            })
            .unwrap_or_else(|| panic!("finding {id} {rule} {utt}"))
            .clone()
    };
    let d = f("000204", "taboo.forbidden_phrase", "2");
    assert_eq!(
        (
            d["points"].as_str(),
            d["reviewed_points"].as_str(),
            d["verdict"].as_str()
        ),
        ("10", "0", "dismissed")
    );
    assert_eq!(d["review_comment"], "语气词，不是禁用语");
    // The next 哦 now carries the norm's loss.
    let next = f("000204", "taboo.forbidden_phrase", "4");
    assert_eq!(
        (next["points"].as_str(), next["reviewed_points"].as_str()),
        ("0", "10")
    );
    let added = f("000103", "taboo.forbidden_phrase", "1");
    assert_eq!(
        (
            added["points"].as_str(),
            added["reviewed_points"].as_str(),
            added["verdict"].as_str()
        ),
        ("0", "10", "added")
    );
    assert!(added["excerpt"].contains("转写漏了"), "{added:?}");
    let manual = f("000117", "courtesy.manual", "");
    assert_eq!(manual["reviewed_points"], "3");
    let ni = f("000250", "courtesy.ni", "2");
    assert_eq!(
        (
            ni["needs_review"].as_str(),
            ni["points"].as_str(),
            ni["reviewed_points"].as_str()
        ),
        ("true", "0", "10")
    );
    assert_eq!(f("000311", "taboo.insult", "4")["appeal"], "overturned");
    assert_eq!(f("000275", "courtesy.slang", "4")["appeal"], "appealed");

    // Rows that could not be used are in rejects.csv with the reason.
    let rejects = records(&out.join("rejects.csv"));
    let reasons: Vec<(String, String)> = rejects
        .iter()
        .filter(|r| r["file"].ends_with("reviews.csv"))
        .map(|r| (r["line"].clone(), r["reason"].clone()))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons
        .iter()
        .any(|(l, r)| l == "13" && r.contains("没有 courtesy.ni 的扣分")));
    assert!(reasons
        .iter()
        .any(|(l, r)| l == "14" && r.contains("转写文件里没有这通电话")));
    assert!(reasons
        .iter()
        .any(|(l, r)| l == "15" && r.contains("\"maybe\"")));
    // 15 data rows: one blank sheet row skipped, 11 used, 3 rejected.
    assert!(
        err.contains(
            "复核结论：读取 14 条，使用 11 条，拒收 3 条（见 rejects.csv）；未填写的复核表行 1 条"
        ),
        "{err}"
    );
    assert!(err.contains("申诉：处理中 1，维持 1，撤销 2"), "{err}");

    // The operator report counts appeals and ranks on the reviewed score.
    let ops = records(&out.join("operators.csv"));
    let op = |id: &str| {
        ops.iter()
            .find(|o| o["operator_id"] == id)
            .unwrap_or_else(|| panic!("operator {id}"))
            .clone()
    };
    let chen = op("2025");
    assert_eq!(
        (
            chen["appeals"].as_str(),
            chen["appeals_pending"].as_str(),
            chen["appeals_upheld"].as_str(),
            chen["appeals_overturned"].as_str()
        ),
        ("2", "0", "1", "1")
    );
    assert_eq!(op("2038")["appeals_pending"], "1");
    // 2025's reviewed mean differs from the machine's by 000311 (0 → 100).
    let m: f64 = chen["mean_score"].parse().expect("mean");
    let r: f64 = chen["reviewed_mean_score"].parse().expect("reviewed mean");
    let n: f64 = chen["calls"].parse().expect("calls");
    assert!((r - m - 100.0 / n).abs() < 0.01, "{chen:?}");
}

#[test]
fn no_reviews_means_reviewed_equals_machine() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("run");
    score(&out, &[]);
    for c in records(&out.join("calls.csv")) {
        assert_eq!(c["score"], c["reviewed_score"], "{c:?}");
        assert_eq!(c["appeals"], "0");
    }
}

#[test]
fn a_filled_xlsx_sheet_with_chinese_headers_and_words_is_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let sheet = dir.path().join("复核表.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("复核").expect("name");
    let rows: [[&str; 8]; 3] = [
        [
            "通话编号",
            "规范",
            "规则",
            "句序号",
            "复核结论",
            "申诉",
            "复核人",
            "备注",
        ],
        [
            "20261127-000142",
            "业务要求",
            "accuracy.wrong_unit_number",
            "4",
            "误判",
            "",
            "李青",
            "",
        ],
        [
            "20261127-000311",
            "",
            "taboo.insult",
            "",
            "",
            "撤销",
            "王主任",
            "申诉成立",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).expect("cell");
        }
    }
    wb.save(&sheet).expect("save");
    let out = dir.path().join("run");
    score(&out, &["--reviews", sheet.to_str().expect("utf-8")]);
    let calls = records(&out.join("calls.csv"));
    assert_eq!(call(&calls, "000142")["reviewed_score"], "100");
    assert_eq!(call(&calls, "000311")["reviewed_score"], "100");
}

#[test]
fn a_reviews_file_without_the_needed_columns_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let reviews = dir.path().join("reviews.csv");
    std::fs::write(&reviews, "call_id,comment\n20261127-000142,ok\n").expect("write");
    let o = Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
        .arg("score")
        .arg(samples())
        .args(["--quiet", "--out"])
        .arg(dir.path().join("run"))
        .arg("--reviews")
        .arg(&reviews)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("reviews.csv 第 1 行：表头要有 call_id（通话编号）"),
        "{err}"
    );
    assert!(err.contains("verdict"), "{err}");
}

#[test]
fn findings_csv_with_a_verdict_column_filled_is_a_reviews_file() {
    // A QA lead opens findings.csv in Excel, types dismissed in the verdict
    // column of one row and saves it: that file works as --reviews.
    let dir = tempfile::tempdir().expect("tmp");
    let first = dir.path().join("run");
    score(&first, &[]);
    let text = std::fs::read_to_string(first.join("findings.csv")).expect("read");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<&str> = lines[0].trim_start_matches('\u{feff}').split(',').collect();
    let verdict = header
        .iter()
        .position(|h| *h == "verdict")
        .expect("verdict column");
    let row = lines
        .iter()
        .position(|l| l.starts_with("20261127-000142,") && l.contains("accuracy.wrong_unit_number"))
        .expect("000142's finding");
    // The excerpt has no comma in this row, so splitting on commas is safe here.
    let mut cells: Vec<String> = lines[row].split(',').map(str::to_string).collect();
    assert_eq!(cells.len(), header.len(), "{}", lines[row]);
    cells[verdict] = "dismissed".into();
    lines[row] = cells.join(",");
    let reviews = dir.path().join("reviews.csv");
    std::fs::write(&reviews, lines.join("\n") + "\n").expect("write");
    let out = dir.path().join("reviewed");
    let err = score(&out, &["--reviews", reviews.to_str().expect("utf-8")]);
    let n = lines.len() - 2;
    assert!(
        err.contains(&format!(
            "复核结论：读取 1 条，使用 1 条，拒收 0 条（见 rejects.csv）；未填写的复核表行 {n} 条"
        )),
        "{err}"
    );
    let calls = records(&out.join("calls.csv"));
    assert_eq!(call(&calls, "000142")["reviewed_score"], "100");
}
