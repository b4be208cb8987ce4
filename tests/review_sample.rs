//! End-to-end tests of `hotline-qa sample` with the built binary: a
//! generated day (2000 calls) is scored, sampled with `--per-operator 3`,
//! and the sheet is checked against calls.csv, findings.csv and the
//! transcripts read here independently: per-operator counts, determinism,
//! over-representation of red lines and low scores, the dialogues — and
//! the round trip: the sheet filled in and given to `score --reviews`
//! changes exactly the reviewed findings, the untouched sheet nothing.

mod common;
use common::table;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use calamine::{open_workbook, Data, Reader, Xlsx};

const AS_OF: &str = "2026-11-28T00:00:00+08:00";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run hotline-qa");
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A worksheet as rows of maps header → cell text.
fn sheet(path: &Path, name: &str) -> Vec<BTreeMap<String, String>> {
    let mut wb: Xlsx<_> = open_workbook(path).expect("open workbook");
    let range = wb.worksheet_range(name).expect("sheet");
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    rows.map(|r| header.iter().cloned().zip(r.iter().map(text)).collect())
        .collect()
}

fn text(c: &Data) -> String {
    match c {
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// The generated inputs and their scored run, made once for all tests.
struct Setup {
    root: PathBuf,
}

impl Setup {
    fn gen(&self) -> PathBuf {
        self.root.join("gen")
    }
    fn run_dir(&self) -> PathBuf {
        self.root.join("run")
    }
    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("review_sample");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("mkdir");
        let s = Setup { root };
        run(bin()
            .args(["gen", "--calls", "2000", "--seed", "3", "--out"])
            .arg(s.gen()));
        score(&s, &s.run_dir(), None);
        s
    })
}

fn score(s: &Setup, out: &Path, reviews: Option<&Path>) -> Output {
    let mut cmd = bin();
    cmd.arg("score").arg(s.gen()).arg("--out").arg(out).args([
        "--as-of",
        AS_OF,
        "--quiet",
        "--no-reports",
    ]);
    if let Some(r) = reviews {
        cmd.arg("--reviews").arg(r);
    }
    run(&mut cmd)
}

fn sample(run_dir: &Path, seed: u64, out: &Path) -> Output {
    run(bin()
        .arg("sample")
        .arg(run_dir)
        .args(["--per-operator", "3", "--seed", &seed.to_string(), "--out"])
        .arg(out))
}

/// The distinct call ids of a review sheet, by operator.
fn sampled_by_operator(rows: &[BTreeMap<String, String>]) -> BTreeMap<String, BTreeSet<String>> {
    let mut by: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows {
        by.entry(r["话务员工号"].clone())
            .or_default()
            .insert(r["通话编号"].clone());
    }
    by
}

#[test]
fn each_operator_gets_n_and_the_same_seed_the_same_calls() {
    let s = setup();
    let a = s.path("seed7.xlsx");
    let b = s.path("seed7-again.xlsx");
    let c = s.path("seed8.xlsx");
    let out = sample(&s.run_dir(), 7, &a);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("抽样完成"), "{said}");
    assert!(
        said.contains("按抽样原因：重大风险 0（运行中 0），红线"),
        "{said}"
    );
    sample(&s.run_dir(), 7, &b);
    sample(&s.run_dir(), 8, &c);
    assert_eq!(
        std::fs::read(&a).expect("a"),
        std::fs::read(&b).expect("b"),
        "same run and seed: byte-identical sheet"
    );
    let calls = table(&s.run_dir().join("calls.csv"));
    let mut per_op: HashMap<String, usize> = HashMap::new();
    for r in &calls {
        *per_op.entry(r["operator_id"].clone()).or_default() += 1;
    }
    let rows = sheet(&a, "复核");
    let by = sampled_by_operator(&rows);
    assert_eq!(by.len(), per_op.len(), "every operator is in the sheet");
    for (op, ids) in &by {
        assert_eq!(ids.len(), per_op[op].min(3), "operator {op}");
    }
    assert!(
        per_op.values().any(|&n| n < 3),
        "some operator has fewer than 3"
    );
    // Rows: each machine finding of a sampled call, or one empty row.
    let findings = table(&s.run_dir().join("findings.csv"));
    let mut n_findings: HashMap<&str, usize> = HashMap::new();
    for f in &findings {
        *n_findings.entry(f["call_id"].as_str()).or_default() += 1;
    }
    let mut rows_of: HashMap<&str, Vec<&BTreeMap<String, String>>> = HashMap::new();
    for r in &rows {
        rows_of.entry(r["通话编号"].as_str()).or_default().push(r);
    }
    for (id, rs) in &rows_of {
        match n_findings.get(id) {
            Some(&n) => {
                assert_eq!(rs.len(), n, "call {id}");
                assert!(rs
                    .iter()
                    .all(|r| !r["规则"].is_empty() && !r["规则说明"].is_empty()));
            }
            None => {
                assert_eq!(rs.len(), 1, "call {id}");
                assert!(rs[0]["规范"].is_empty() && rs[0]["规则"].is_empty());
            }
        }
        for r in rs {
            for col in ["复核结论", "申诉", "新增扣分", "复核人", "复核时间", "备注"]
            {
                assert!(r[col].is_empty(), "{col} is for the reviewer");
            }
        }
    }
    let other: BTreeSet<String> = sheet(&c, "复核")
        .iter()
        .map(|r| r["通话编号"].clone())
        .collect();
    let mine: BTreeSet<String> = rows_of.keys().map(|k| k.to_string()).collect();
    assert_ne!(mine, other, "another seed picks other calls");
    assert_eq!(mine.len(), other.len(), "but as many");
}

#[test]
fn red_lines_and_low_scores_are_over_represented() {
    let s = setup();
    let path = s.path("seed11.xlsx");
    sample(&s.run_dir(), 11, &path);
    let rows = sheet(&path, "复核");
    let chosen: BTreeSet<&str> = rows.iter().map(|r| r["通话编号"].as_str()).collect();
    let calls = table(&s.run_dir().join("calls.csv"));
    let reason_of: HashMap<&str, &str> = rows
        .iter()
        .map(|r| (r["通话编号"].as_str(), r["抽样原因"].as_str()))
        .collect();
    let rate = |pred: &dyn Fn(&BTreeMap<String, String>) -> bool| {
        let pool: Vec<_> = calls.iter().filter(|c| pred(c)).collect();
        assert!(!pool.is_empty());
        let hit = pool
            .iter()
            .filter(|c| chosen.contains(c["call_id"].as_str()))
            .count();
        hit as f64 / pool.len() as f64
    };
    let overall = chosen.len() as f64 / calls.len() as f64;
    let red = rate(&|c| c["red_line"] == "true");
    let failed =
        rate(&|c| c["red_line"] == "false" && c["score"].parse::<f64>().expect("score") < 80.0);
    let plain = rate(&|c| {
        c["red_line"] == "false"
            && c["score"].parse::<f64>().expect("score") >= 80.0
            && c["needs_review"] == "0"
            && c["confidence"].parse::<f64>().map_or(true, |x| x >= 0.75)
    });
    // About a third of all calls are sampled (many operators have ≤ 3).
    assert!(red > overall * 1.5, "red lines {red} vs overall {overall}");
    assert!(
        failed > overall * 1.3,
        "failed {failed} vs overall {overall}"
    );
    assert!(plain < overall, "plain {plain} vs overall {overall}");
    // The reason column says the strongest reason.
    for c in &calls {
        let Some(reason) = reason_of.get(c["call_id"].as_str()) else {
            continue;
        };
        let score: f64 = c["score"].parse().expect("score");
        let expected = if c["red_line"] == "true" {
            "红线"
        } else if score < 80.0 {
            "不及格"
        } else if c["confidence"].parse::<f64>().is_ok_and(|x| x < 0.75) {
            "识别置信度低"
        } else if c["needs_review"] != "0" {
            "有待复核扣分"
        } else {
            "随机"
        };
        assert_eq!(*reason, expected, "call {}", c["call_id"]);
    }
}

#[test]
fn the_dialogue_sheet_has_each_sampled_call() {
    let s = setup();
    let path = s.path("seed5.xlsx");
    sample(&s.run_dir(), 5, &path);
    let chosen: BTreeSet<String> = sheet(&path, "复核")
        .iter()
        .map(|r| r["通话编号"].clone())
        .collect();
    let mut lines: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    for r in sheet(&path, "通话原文") {
        lines.entry(r["通话编号"].clone()).or_default().push(r);
    }
    assert_eq!(lines.keys().cloned().collect::<BTreeSet<_>>(), chosen);
    let text = std::fs::read_to_string(s.gen().join("calls.jsonl")).expect("jsonl");
    let (mut checked, mut masked) = (0, 0);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let id = v["call_id"].as_str().expect("id");
        let Some(rows) = lines.get(id) else { continue };
        let utts = v["utterances"].as_array().expect("utterances");
        assert_eq!(rows.len(), utts.len(), "call {id}");
        for (i, (r, u)) in rows.iter().zip(utts).enumerate() {
            assert_eq!(r["句序号"], i.to_string());
            let speaker = match u["speaker"].as_str() {
                Some("agent") => "话务员",
                Some("caller") => "来电人",
                _ => "承办单位",
            };
            assert_eq!(r["说话人"], speaker, "call {id} line {i}");
            // As said, but phone numbers and the caller's name masked (*).
            let said: Vec<char> = u["text"].as_str().expect("text").chars().collect();
            let shown: Vec<char> = r["原文"].chars().collect();
            assert_eq!(shown.len(), said.len(), "call {id} line {i}");
            assert!(
                shown.iter().zip(&said).all(|(a, b)| a == b || *a == '*'),
                "call {id} line {i}: {} vs {}",
                r["原文"],
                u["text"]
            );
            masked += usize::from(shown != said);
        }
        checked += 1;
    }
    assert_eq!(checked, chosen.len());
    assert!(masked > 0, "callers' numbers and names are masked");
}

/// Writes `rows` (with `header`) as a 复核 sheet, as Excel would save it
/// after a reviewer filled it in.
fn write_filled(path: &Path, header: &[String], rows: &[Vec<Data>]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("复核").expect("name");
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, h).expect("header");
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell {
                Data::String(s) => {
                    ws.write_string(r, c, s).expect("cell");
                }
                Data::Float(f) => {
                    ws.write_number(r, c, *f).expect("cell");
                }
                Data::Empty => {}
                other => panic!("unexpected cell {other:?}"),
            }
        }
    }
    wb.save(path).expect("save");
}

#[test]
fn the_filled_sheet_goes_back_into_score() {
    let s = setup();
    let path = s.path("seed1.xlsx");
    sample(&s.run_dir(), 1, &path);
    let mut wb: Xlsx<_> = open_workbook(&path).expect("open");
    let range = wb.worksheet_range("复核").expect("sheet");
    let mut it = range.rows();
    let header: Vec<String> = it
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let mut rows: Vec<Vec<Data>> = it
        .map(|r| {
            let mut v = r.to_vec();
            v.resize(header.len(), Data::Empty);
            v
        })
        .collect();
    let id_of = |r: &Vec<Data>| r[col("通话编号")].to_string();
    let mut rows_per_call: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        *rows_per_call.entry(id_of(r)).or_default() += 1;
    }
    let base_findings = table(&s.run_dir().join("findings.csv"));
    let base_calls = table(&s.run_dir().join("calls.csv"));
    // Calls with exactly one finding that costs points: dismissed, they score 100.
    let mut dismissed: Vec<String> = Vec::new();
    let mut added: Option<String> = None;
    let mut confirmed: Option<String> = None;
    for r in rows.iter_mut() {
        let id = id_of(r);
        let has_rule = !r[col("规则")].to_string().is_empty();
        let single = rows_per_call[&id] == 1;
        let costs = matches!(r[col("机器扣分")], Data::Float(p) if p > 0.0);
        let pending = r[col("待复核")] == Data::String("是".into());
        if has_rule && single && costs && !pending && dismissed.len() < 5 {
            r[col("复核结论")] = Data::String("误判".into());
            r[col("复核人")] = Data::String("质检张".into());
            r[col("复核时间")] = Data::String("2026-11-28 10:30".into());
            r[col("备注")] = Data::String("录音里没有这句".into());
            dismissed.push(id);
        } else if !has_rule && added.is_none() {
            r[col("规范")] = Data::String("通话禁忌".into());
            r[col("复核结论")] = Data::String("新增".into());
            r[col("复核人")] = Data::String("质检张".into());
            added = Some(id);
        } else if has_rule && !single && costs && !pending && confirmed.is_none() {
            r[col("复核结论")] = Data::String("确认".into());
            confirmed = Some(id);
        }
    }
    assert_eq!(dismissed.len(), 5, "enough single-finding calls to dismiss");
    let added = added.expect("a call without findings");
    let confirmed = confirmed.expect("a call with several findings");
    let filled = s.path("filled.xlsx");
    write_filled(&filled, &header, &rows);
    let reviewed = s.path("run-reviewed");
    score(s, &reviewed, Some(&filled));
    let calls = table(&reviewed.join("calls.csv"));
    let findings = table(&reviewed.join("findings.csv"));
    // (The generator's truth_tickets.csv is rejected as a ticket file in
    // every run; no row of the sheet may be.)
    let sheet_name = filled.display().to_string();
    let rejected: Vec<_> = table(&reviewed.join("rejects.csv"))
        .into_iter()
        .filter(|r| r["file"] == sheet_name)
        .collect();
    assert!(rejected.is_empty(), "no sheet row rejected: {rejected:?}");
    for id in &dismissed {
        let fs: Vec<_> = findings.iter().filter(|f| &f["call_id"] == id).collect();
        assert_eq!(fs.len(), 1, "call {id}");
        assert_eq!(fs[0]["verdict"], "dismissed");
        assert_eq!(fs[0]["reviewed_points"], "0");
        assert_eq!(fs[0]["reviewer"], "质检张");
        assert_eq!(fs[0]["review_comment"], "录音里没有这句");
        assert_ne!(fs[0]["points"], "0", "the machine's points stay");
        let c = calls.iter().find(|c| &c["call_id"] == id).expect("call");
        let before = base_calls
            .iter()
            .find(|c| &c["call_id"] == id)
            .expect("call");
        assert!(before["score"].parse::<f64>().expect("score") < 100.0);
        assert_eq!(c["score"], before["score"], "the machine score stays");
        assert_eq!(
            c["reviewed_score"], "100",
            "call {id}: nothing left to deduct"
        );
    }
    let fs: Vec<_> = findings.iter().filter(|f| f["call_id"] == added).collect();
    assert_eq!(fs.len(), 1);
    assert_eq!(fs[0]["verdict"], "added");
    assert_eq!(fs[0]["rule"], "taboo.manual");
    let c = calls.iter().find(|c| c["call_id"] == added).expect("call");
    assert!(c["reviewed_score"].parse::<f64>().expect("score") < 100.0);
    assert!(findings
        .iter()
        .any(|f| f["call_id"] == confirmed && f["verdict"] == "confirmed"));
    // Every other call is as it was.
    let touched: BTreeSet<&str> = dismissed
        .iter()
        .map(String::as_str)
        .chain([added.as_str(), confirmed.as_str()])
        .collect();
    assert_eq!(calls.len(), base_calls.len());
    for (a, b) in calls.iter().zip(&base_calls) {
        assert_eq!(a["call_id"], b["call_id"]);
        if !touched.contains(a["call_id"].as_str()) {
            assert_eq!(a, b, "call {} unchanged", a["call_id"]);
        }
    }
    assert_eq!(
        findings
            .iter()
            .filter(|f| !touched.contains(f["call_id"].as_str()))
            .count(),
        base_findings
            .iter()
            .filter(|f| !touched.contains(f["call_id"].as_str()))
            .count()
    );

    // The untouched sheet changes nothing: every row is unreviewed.
    let untouched = s.path("run-untouched");
    score(s, &untouched, Some(&path));
    for name in ["calls.csv", "findings.csv", "rejects.csv"] {
        assert_eq!(
            std::fs::read(untouched.join(name)).expect("new"),
            std::fs::read(s.run_dir().join(name)).expect("base"),
            "{name} unchanged by an untouched sheet"
        );
    }
}

#[test]
fn without_the_inputs_the_sheet_is_still_written() {
    let s = setup();
    let root = s.path("moved");
    let gen = root.join("gen");
    run(bin()
        .args(["gen", "--calls", "60", "--seed", "4", "--out"])
        .arg(&gen));
    let run_dir = root.join("run");
    run(bin()
        .arg("score")
        .arg(&gen)
        .arg("--out")
        .arg(&run_dir)
        .args(["--as-of", AS_OF, "--quiet", "--no-reports"]));
    std::fs::remove_dir_all(&gen).expect("rm inputs");
    let out = run(bin().arg("sample").arg(&run_dir));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("注意：评分时的输入已不在原处"), "{said}");
    let path = run_dir.join("review_sheet.xlsx");
    assert!(!sheet(&path, "复核").is_empty());
    let note = sheet(&path, "通话原文");
    assert_eq!(note.len(), 1);
    assert!(note[0]["原文"].contains("无法附上通话原文"));
    // A wrong --out is a usage error.
    let bad = bin()
        .arg("sample")
        .arg(&run_dir)
        .args(["--out", "sheet.csv"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    let bad = bin()
        .arg("sample")
        .arg(&run_dir)
        .args(["--per-operator", "0"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
}

/// A call with a critical finding (samples/ 000411: a caller's self-harm
/// not escalated) is sampled as 重大风险, the strongest reason, and the
/// summary counts it first.
#[test]
fn a_critical_call_is_sampled_as_critical() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("review_sample_critical");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("mkdir");
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let run_dir = root.join("run");
    run(bin()
        .arg("score")
        .arg(samples.join("calls.jsonl"))
        .arg(samples.join("tickets.csv"))
        .arg("--directory")
        .arg(samples.join("directory.csv"))
        .arg("--out")
        .arg(&run_dir)
        .args(["--as-of", AS_OF, "--quiet", "--no-reports"]));
    let findings = table(&run_dir.join("findings.csv"));
    let critical: BTreeSet<&str> = findings
        .iter()
        .filter(|f| f["severity"] == "critical")
        .map(|f| f["call_id"].as_str())
        .collect();
    assert_eq!(critical.len(), 1, "samples/ has one critical call");
    // Every call of every operator is drawn, so each one's reason shows.
    let path = root.join("all.xlsx");
    let out = run(bin()
        .arg("sample")
        .arg(&run_dir)
        .args(["--per-operator", "100", "--seed", "1", "--out"])
        .arg(&path));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("按抽样原因：重大风险 1（运行中 1）"),
        "{said}"
    );
    for r in sheet(&path, "复核") {
        let is_critical = critical.contains(r["通话编号"].as_str());
        assert_eq!(
            r["抽样原因"] == "重大风险",
            is_critical,
            "call {}",
            r["通话编号"]
        );
    }
}
