//! Reports: operator ranking and unit figures checked against values
//! computed here independently from calls.csv / tickets.csv; the workbook
//! re-opened with calamine; the HTML page checked for escaping and, where
//! Chromium is installed, rendered headless.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{open_workbook_auto, Data, Reader};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
}

fn samples(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn score(calls: &Path, tickets: &Path, out: &Path, extra: &[&str]) -> Output {
    let o = bin()
        .arg("score")
        .arg(calls)
        .arg(tickets)
        .arg("--directory")
        .arg(samples("directory.csv"))
        .args(["--as-of", "2026-11-29T00:00:00+08:00", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

fn records(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers: Vec<String> = r
        .headers()
        .expect("h")
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .cloned()
                .zip(rec.expect("row").iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn f(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// Checks operators.csv and the teams' total row of a run against figures
/// computed here from its calls.csv; returns operators.csv.
fn check_operators(out: &Path) -> Vec<BTreeMap<String, String>> {
    let calls = records(&out.join("calls.csv"));
    let mut by_op: BTreeMap<String, Vec<(f64, bool, bool)>> = BTreeMap::new();
    for c in &calls {
        by_op.entry(c["operator_id"].clone()).or_default().push((
            f(&c["score"]),
            c["passed"] == "true",
            c["red_line"] == "true",
        ));
    }
    let stats = |v: &[(f64, bool, bool)]| {
        let mut scores: Vec<f64> = v.iter().map(|x| x.0).collect();
        scores.sort_by(f64::total_cmp);
        let n = scores.len();
        let mean = scores.iter().sum::<f64>() / n as f64;
        let median = if n % 2 == 1 {
            scores[n / 2]
        } else {
            (scores[n / 2 - 1] + scores[n / 2]) / 2.0
        };
        let pass = v.iter().filter(|x| x.1).count() as f64 / n as f64;
        let red = v.iter().filter(|x| x.2).count();
        (n, mean, median, scores[0], pass, red)
    };
    let same = |o: &BTreeMap<String, String>, v: &[(f64, bool, bool)]| {
        let (n, mean, median, min, pass, red) = stats(v);
        assert_eq!(f(&o["calls"]) as usize, n, "{o:?}");
        assert!((f(&o["mean_score"]) - mean).abs() < 0.006, "{o:?}");
        assert!((f(&o["median_score"]) - median).abs() < 0.006, "{o:?}");
        assert!((f(&o["min_score"]) - min).abs() < 0.006, "{o:?}");
        assert!((f(&o["pass_rate"]) - pass).abs() < 0.0001, "{o:?}");
        assert_eq!(f(&o["red_lines"]) as usize, red, "{o:?}");
    };
    let ops = records(&out.join("operators.csv"));
    assert_eq!(ops.len(), by_op.len());
    for o in &ops {
        same(o, &by_op[&o["operator_id"]]);
    }
    let all: Vec<(f64, bool, bool)> = by_op.values().flatten().copied().collect();
    let teams = records(&out.join("teams.csv"));
    let total = teams.last().expect("total row");
    assert_eq!(total["team"], "合计", "{total:?}");
    same(total, &all);
    ops
}

#[test]
fn operator_figures_match_an_independent_computation() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("run");
    score(&samples("calls.jsonl"), &samples("tickets.csv"), &out, &[]);
    let ops = check_operators(&out);
    // Every sample operator has fewer than 10 calls: listed, not ranked.
    assert!(ops.iter().all(|o| o["rank"].is_empty()), "{ops:?}");
    // 2025 陈晓燕 has the red-line call 000311 among 4 calls.
    let chen = ops
        .iter()
        .find(|o| o["operator_id"] == "2025")
        .expect("2025");
    assert_eq!(chen["red_lines"], "1");
    // Norm failure rate: courtesy failed in 3 of 49 calls (a fourth, 000250's
    // 你 spoken over the caller, waits for a reviewer).
    let norms = records(&out.join("norms.csv"));
    let courtesy = norms
        .iter()
        .find(|n| n["norm"] == "courtesy")
        .expect("courtesy");
    assert_eq!(
        (courtesy["assessed"].as_str(), courtesy["failed"].as_str()),
        ("49", "3")
    );
    // Callbacks: operator 1031's ticket GD20260929087 was called back by 2025.
    let li = ops
        .iter()
        .find(|o| o["operator_id"] == "1031")
        .expect("1031");
    assert_eq!(
        (
            li["callbacks_due"].as_str(),
            li["callbacks_by_other"].as_str()
        ),
        ("1", "1")
    );
}

#[test]
fn ranking_with_a_low_minimum() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[reports]\nmin_calls_for_rank = 5\n").expect("write");
    let out = dir.path().join("run");
    score(
        &samples("calls.jsonl"),
        &samples("tickets.csv"),
        &out,
        &["--config", cfg.to_str().expect("utf8")],
    );
    let ops = records(&out.join("operators.csv"));
    let ranked: Vec<(String, f64, f64)> = ops
        .iter()
        .filter(|o| !o["rank"].is_empty())
        .map(|o| (o["rank"].clone(), f(&o["mean_score"]), f(&o["pass_rate"])))
        .collect();
    assert!(!ranked.is_empty());
    for (i, w) in ranked.windows(2).enumerate() {
        assert_eq!(w[0].0, (i + 1).to_string());
        assert!(
            w[0].1 > w[1].1 || (w[0].1 == w[1].1 && w[0].2 >= w[1].2),
            "{w:?}"
        );
    }
    for o in ops.iter().filter(|o| o["rank"].is_empty()) {
        assert!(f(&o["calls"]) < 5.0);
    }
}

/// The sample day moved to 2026-11-28 with new ids (the older tickets keep theirs).
fn second_day(dir: &Path) -> (PathBuf, PathBuf) {
    let calls = std::fs::read_to_string(samples("calls.jsonl"))
        .expect("read")
        .replace("2026-11-27", "2026-11-28")
        .replace("20261127-", "20261128-");
    let tickets = std::fs::read_to_string(samples("tickets.csv"))
        .expect("read")
        .replace("2026-11-27", "2026-11-28")
        .replace("20261127-", "20261128-")
        .replace("GD20261127", "GD20261128");
    let (c, t) = (dir.join("calls2.jsonl"), dir.join("tickets2.csv"));
    std::fs::write(&c, calls).expect("write");
    std::fs::write(&t, tickets).expect("write");
    (c, t)
}

#[test]
fn report_combines_runs_and_agrees_with_each_run() {
    let dir = tempfile::tempdir().expect("tmp");
    let day1 = dir.path().join("day1");
    let day2 = dir.path().join("day2");
    score(&samples("calls.jsonl"), &samples("tickets.csv"), &day1, &[]);
    let (c2, t2) = second_day(dir.path());
    score(&c2, &t2, &day2, &[]);
    // One run through `report` gives the same units.csv as `score` (two implementations).
    let single = dir.path().join("single");
    let o = bin()
        .arg("report")
        .arg(&day1)
        .arg("--out")
        .arg(&single)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(day1.join("units.csv")).expect("a"),
        std::fs::read(single.join("units.csv")).expect("b")
    );
    assert_eq!(
        std::fs::read(day1.join("operators.csv")).expect("a"),
        std::fs::read(single.join("operators.csv")).expect("b")
    );
    // Two days.
    let both = dir.path().join("both");
    let o = bin()
        .arg("report")
        .arg(&day1)
        .arg(&day2)
        .arg("--out")
        .arg(&both)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let daily = records(&both.join("daily.csv"));
    assert_eq!(
        daily
            .iter()
            .map(|d| (d["date"].clone(), d["calls"].clone()))
            .collect::<Vec<_>>(),
        vec![
            ("2026-11-27".to_string(), "49".to_string()),
            ("2026-11-28".to_string(), "49".to_string()),
        ]
    );
    let ops = records(&both.join("operators.csv"));
    let total: f64 = ops.iter().map(|o| f(&o["calls"])).sum();
    assert_eq!(total, 98.0);
    // Tickets: 43 per day, plus the 4 older ones reported by both runs, counted once.
    let units = records(&both.join("units.csv"));
    let sum = units.iter().find(|u| u["name"] == "合计").expect("total");
    assert_eq!(sum["tickets"], "90");
    let trend = records(&both.join("trend_operators.csv"));
    assert_eq!(
        trend.iter().filter(|t| t["operator_id"] == "1024").count(),
        2
    );
    assert!(both.join("report.xlsx").exists() && both.join("report.html").exists());
}

#[test]
fn workbook_has_its_sheets_and_figures() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("run");
    score(&samples("calls.jsonl"), &samples("tickets.csv"), &out, &[]);
    let mut wb = open_workbook_auto(out.join("report.xlsx")).expect("open");
    let names = wb.sheet_names();
    assert_eq!(
        names,
        vec![
            "摘要",
            "重大风险",
            "话务员排名",
            "班组小计",
            "规范违规率",
            "承办单位",
            "每日趋势",
            "通话",
            "违规明细",
            "工单"
        ]
    );
    let summary = wb.worksheet_range("摘要").expect("summary");
    let calls_row = summary
        .rows()
        .find(|r| r.first() == Some(&Data::String("评分通话数".into())))
        .expect("row");
    assert_eq!(calls_row[1], Data::Float(49.0));
    let calls = wb.worksheet_range("通话").expect("calls");
    assert_eq!(calls.height(), 50);
    let ops = wb.worksheet_range("话务员排名").expect("ops");
    assert_eq!(ops.height(), 9);
    // English titles on request.
    let en = dir.path().join("en");
    score(
        &samples("calls.jsonl"),
        &samples("tickets.csv"),
        &en,
        &["--lang", "en"],
    );
    let wb = open_workbook_auto(en.join("report.xlsx")).expect("open");
    assert_eq!(wb.sheet_names()[0], "Summary");
}

fn hostile_call(dir: &Path) -> PathBuf {
    let line = r#"{"call_id":"=HYPERLINK(\"http://x\")","operator_id":"@9","operator_name":"<b>王</b>","team":"A班","started_at":"2026-11-27T09:00:00+08:00","utterances":[{"speaker":"agent","start":0.5,"end":4.5,"text":"您好！市长热线，请问有什么可以帮到您？"},{"speaker":"caller","start":5,"end":8,"text":"我的电话是13912345678"},{"speaker":"agent","start":8.5,"end":12,"text":"哦<script>alert(1)</script>，您的电话是13912345678"},{"speaker":"agent","start":12.5,"end":15,"text":"=1+1 感谢您的来电，再见！"}]}"#;
    let p = dir.join("hostile.jsonl");
    std::fs::write(&p, format!("{line}\n")).expect("write");
    p
}

#[test]
fn formulas_markup_and_phone_numbers_are_neutralised() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("run");
    let o = bin()
        .arg("score")
        .arg(hostile_call(dir.path()))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let findings = std::fs::read_to_string(out.join("findings.csv")).expect("read");
    assert!(findings.contains("'=HYPERLINK"), "{findings}");
    assert!(findings.contains("139****5678"), "{findings}");
    assert!(!findings.contains("13912345678"), "{findings}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("read");
    assert!(!html.contains("<script>alert(1)"), "markup must be escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<b>王</b>"));
    let mut wb = open_workbook_auto(out.join("report.xlsx")).expect("open");
    let calls = wb.worksheet_range("通话").expect("calls");
    // A string cell, never a formula, escaped as in the CSV files (issue #17).
    assert_eq!(
        calls.get((1, 1)),
        Some(&Data::String("'=HYPERLINK(\"http://x\")".into()))
    );
    let formulas = wb.worksheet_formula("通话").expect("formulas");
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
    // --show-pii keeps the number.
    let out2 = dir.path().join("pii");
    let o = bin()
        .arg("score")
        .arg(hostile_call(dir.path()))
        .arg("--show-pii")
        .arg("--out")
        .arg(&out2)
        .output()
        .expect("run");
    assert!(o.status.success());
    assert!(std::fs::read_to_string(out2.join("findings.csv"))
        .expect("read")
        .contains("13912345678"));
}

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        // In CI a missing browser is an error: a test that cannot run its
        // real component must not pass quietly there.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium is not installed: .ci/run must install it (apt-get install chromium)"
        );
        eprintln!("SKIPPED html_report_renders_in_headless_chromium: Chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("run");
    score(&samples("calls.jsonl"), &samples("tickets.csv"), &out, &[]);
    let url = format!("file://{}", out.join("report.html").display());
    let profile = dir.path().join("profile");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ];
    let o = Command::new(&browser)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium");
    let dom = String::from_utf8_lossy(&o.stdout);
    let log = stderr(&o);
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page script did not finish; log:\n{log}"
    );
    for id in [
        "chart-histogram",
        "chart-operators",
        "chart-norms",
        "chart-units",
        "chart-trend",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    let console_errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") && (l.contains("Error") || l.contains("Uncaught")))
        .collect();
    assert!(console_errors.is_empty(), "{console_errors:?}");
    let shot = dir.path().join("shot.png");
    let o = Command::new(&browser)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,2400")
        .arg(&url)
        .output()
        .expect("chromium");
    assert!(
        shot.exists() && std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0) > 10_000,
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_run_from_before_the_review_columns_is_named_not_a_polars_error() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tmp");
    let run = dir.path().join("old");
    score(&samples("calls.jsonl"), &samples("tickets.csv"), &run, &[]);
    // Make it look like an older run: calls.parquet without reviewed_score.
    let path = run.join("calls.parquet");
    let df = ParquetReader::new(std::fs::File::open(&path).expect("open"))
        .finish()
        .expect("read");
    let mut df = df.drop("reviewed_score").expect("drop");
    ParquetWriter::new(std::fs::File::create(&path).expect("create"))
        .finish(&mut df)
        .expect("write");
    let o = bin()
        .arg("report")
        .arg(&run)
        .arg("--out")
        .arg(dir.path().join("r"))
        .output()
        .expect("run");
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("是旧版本 hotline-qa 写的"), "{err}");
    assert!(err.contains("calls.parquet"), "{err}");
}

/// The aggregation runs on polars' streaming engine, whose morsels meet its
/// threads in no fixed order: on a generated day of several Parquet row
/// groups, `report` must give the same bytes with one thread or four, and
/// figures equal to those computed here from calls.csv.
#[test]
fn report_of_a_generated_day_is_exact_and_the_same_whatever_the_threads() {
    let dir = tempfile::tempdir().expect("tmp");
    let gen = dir.path().join("gen");
    let o = bin()
        .args(["gen", "--calls", "30000", "--seed", "7", "--out"])
        .arg(&gen)
        .output()
        .expect("gen");
    assert!(o.status.success(), "{}", stderr(&o));
    let run = dir.path().join("run");
    let o = bin()
        .arg("score")
        .arg(gen.join("calls.jsonl"))
        .arg(gen.join("tickets.csv"))
        .arg("--directory")
        .arg(gen.join("directory.csv"))
        .args([
            "--as-of",
            "2026-11-28T00:00:00+08:00",
            "--no-reports",
            "--out",
        ])
        .arg(&run)
        .output()
        .expect("score");
    assert!(o.status.success(), "{}", stderr(&o));
    let report = |threads: &str| {
        let out = dir.path().join(format!("report{threads}"));
        let o = bin()
            .env("POLARS_MAX_THREADS", threads)
            .arg("report")
            .arg(&run)
            .arg("--out")
            .arg(&out)
            .output()
            .expect("report");
        assert!(o.status.success(), "{}", stderr(&o));
        out
    };
    let (one, four) = (report("1"), report("4"));
    let mut names: Vec<String> = std::fs::read_dir(&one)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.iter().any(|n| n == "report.xlsx"), "{names:?}");
    for name in &names {
        assert!(
            std::fs::read(one.join(name)).expect("read")
                == std::fs::read(four.join(name)).expect("read"),
            "{name} differs between one and four polars threads"
        );
    }
    // The figures themselves, against calls.csv (copied beside them).
    std::fs::copy(run.join("calls.csv"), one.join("calls.csv")).expect("copy");
    let ops = check_operators(&one);
    assert_eq!(ops.len(), 240, "the generated day's operators");
    assert!(ops.iter().filter(|o| !o["rank"].is_empty()).count() > 200);
    // The worst calls: lowest score, then call id, each with its findings
    // in file order; also when more are asked for than there are calls.
    let calls = records(&run.join("calls.csv"));
    let findings = records(&run.join("findings.csv"));
    let mut by_score: Vec<(f64, String)> = calls
        .iter()
        .map(|c| (f(&c["score"]), c["call_id"].clone()))
        .collect();
    by_score.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for worst in [1, 25, 30_010] {
        let data = hotline_qa::report::aggregate::aggregate(
            std::slice::from_ref(&run),
            &hotline_qa::config::Config::default(),
            10,
            worst,
        )
        .expect("aggregate");
        let got: Vec<(f64, String)> = data
            .worst
            .iter()
            .map(|w| (w.score, w.call_id.clone()))
            .collect();
        assert_eq!(got, by_score[..worst.min(by_score.len())], "worst {worst}");
        for w in data.worst.iter().take(25) {
            let expected: Vec<(String, String)> = findings
                .iter()
                .filter(|x| x["call_id"] == w.call_id)
                .map(|x| (x["rule"].clone(), x["excerpt"].clone()))
                .collect();
            let got: Vec<(String, String)> = w
                .findings
                .iter()
                .map(|x| (x.rule.clone(), x.excerpt.clone()))
                .collect();
            assert_eq!(got, expected, "{}", w.call_id);
        }
    }
}

/// The entries of a zip file (an .xlsx), by name, inflated: read from the
/// central directory with flate2, so the test needs no zip crate.
fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    use std::io::Read;
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
    let u32_at = |i: usize| {
        u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as usize
    };
    let eocd = (0..bytes.len() - 21)
        .rev()
        .find(|&i| bytes[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .expect("end of central directory");
    let (count, mut at) = (u16_at(eocd + 10), u32_at(eocd + 16));
    let mut out = BTreeMap::new();
    for _ in 0..count {
        assert_eq!(bytes[at..at + 4], [0x50, 0x4b, 0x01, 0x02], "central entry");
        let method = u16_at(at + 10);
        let size = u32_at(at + 20);
        let (name_len, extra, comment) = (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32));
        let local = u32_at(at + 42);
        let name = String::from_utf8_lossy(&bytes[at + 46..at + 46 + name_len]).into_owned();
        let data = local + 30 + u16_at(local + 26) + u16_at(local + 28);
        let raw = &bytes[data..data + size];
        let body = match method {
            0 => raw.to_vec(),
            8 => {
                let mut v = Vec::new();
                flate2::read::DeflateDecoder::new(raw)
                    .read_to_end(&mut v)
                    .expect("inflate");
                v
            }
            m => panic!("{name}: compression method {m}"),
        };
        out.insert(name, body);
        at += 46 + name_len + extra + comment;
    }
    out
}

/// The 0-based column of a cell reference such as `F2`.
fn column_of(cell: &str) -> usize {
    cell.chars()
        .take_while(char::is_ascii_uppercase)
        .fold(0, |n, c| n * 26 + (c as usize - 'A' as usize + 1))
        - 1
}

/// Issue 17: on 话务员排名 the score colouring was on the call-count
/// column (every call count red) and the mean score had none. In every
/// sheet of the workbook, each conditional format lies on a score column
/// and spans its data rows, and every score column has one.
#[test]
fn score_colouring_is_on_the_score_columns_of_every_sheet() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("run");
    score(&samples("calls.jsonl"), &samples("tickets.csv"), &out, &[]);
    let files = unzip(&std::fs::read(out.join("report.xlsx")).expect("read"));
    let mut wb = open_workbook_auto(out.join("report.xlsx")).expect("open");
    let scores = [
        "平均分",
        "中位数",
        "最低分",
        "复核后平均分",
        "得分",
        "reviewed_score",
    ];
    let mut coloured_sheets = Vec::new();
    for (k, name) in wb.sheet_names().iter().enumerate() {
        let xml = String::from_utf8_lossy(&files[&format!("xl/worksheets/sheet{}.xml", k + 1)])
            .into_owned();
        let range = wb.worksheet_range(name).expect("sheet");
        let header: Vec<String> = range
            .rows()
            .next()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .unwrap_or_default();
        let mut coloured = std::collections::BTreeSet::new();
        for part in xml.split("<conditionalFormatting sqref=\"").skip(1) {
            let sqref = part.split('"').next().expect("sqref");
            let (from, to) = sqref.split_once(':').unwrap_or((sqref, sqref));
            let c = column_of(from);
            assert_eq!(c, column_of(to), "{name}: {sqref} spans columns");
            let title = header.get(c).cloned().unwrap_or_default();
            assert!(
                scores.contains(&title.as_str()),
                "{name}: {sqref} colours column {title:?}"
            );
            assert_eq!(
                from.trim_start_matches(char::is_alphabetic),
                "2",
                "{name}: {sqref}"
            );
            assert_eq!(
                to.trim_start_matches(char::is_alphabetic),
                range.height().to_string(),
                "{name}: {sqref}"
            );
            coloured.insert(c);
        }
        // Every score column of a summary or calls sheet is coloured (the
        // 摘要 sheet is a list of figures, not a table).
        if *name != "摘要" {
            for (c, h) in header.iter().enumerate() {
                if scores.contains(&h.as_str()) && range.height() > 1 {
                    assert!(coloured.contains(&c), "{name}: column {h} is not coloured");
                }
            }
        }
        if !coloured.is_empty() {
            coloured_sheets.push(name.clone());
        }
    }
    assert_eq!(
        coloured_sheets,
        ["话务员排名", "班组小计", "每日趋势", "通话"],
        "the sheets with score columns"
    );
}

/// `hotline-qa report RUN…` into `out`; its stderr.
fn report(runs: &[&Path], out: &Path) -> String {
    let o = bin()
        .arg("report")
        .args(runs)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    stderr(&o)
}

/// Every sheet of a workbook as text rows.
fn sheets(path: &Path) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut wb = open_workbook_auto(path).expect("open");
    let mut out = BTreeMap::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).expect("sheet");
        let rows = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        out.insert(name, rows);
    }
    out
}

/// The summary sheet's value for `label`.
fn summary_value(sheets: &BTreeMap<String, Vec<Vec<String>>>, label: &str) -> Vec<String> {
    sheets["摘要"]
        .iter()
        .filter(|r| r.first().map(String::as_str) == Some(label))
        .map(|r| r.get(1).cloned().unwrap_or_default())
        .collect()
}

const REPORT_CSVS: [&str; 7] = [
    "operators.csv",
    "teams.csv",
    "norms.csv",
    "daily.csv",
    "trend_operators.csv",
    "trend_units.csv",
    "units.csv",
];

/// The rows of report.html's table `id`.
fn html_table(html: &str, id: &str) -> Vec<String> {
    let start = html
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let body = &html[start..];
    let body = &body[..body.find("</table>").expect("end")];
    body.split("<tr>").skip(2).map(str::to_string).collect()
}

/// Issue 17: `report A A` counted every call twice while tickets were
/// counted once, so operators crossed the ranking threshold on doubled
/// counts. Each call is counted once: every figure, table and sheet equals
/// `report A`'s, and the summary says how many were dropped.
#[test]
fn report_of_the_same_run_twice_counts_each_call_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let a = dir.path().join("a");
    score(&samples("calls.jsonl"), &samples("tickets.csv"), &a, &[]);
    let (once, twice) = (dir.path().join("once"), dir.path().join("twice"));
    let err_once = report(&[&a], &once);
    let err_twice = report(&[&a, &a], &twice);
    for name in REPORT_CSVS {
        assert_eq!(
            std::fs::read_to_string(once.join(name)).expect("once"),
            std::fs::read_to_string(twice.join(name)).expect("twice"),
            "{name}"
        );
    }
    let (x1, x2) = (
        sheets(&once.join("report.xlsx")),
        sheets(&twice.join("report.xlsx")),
    );
    for (name, rows) in &x1 {
        if name != "摘要" {
            assert_eq!(rows, &x2[name], "sheet {name}");
        }
    }
    assert_eq!(summary_value(&x1, "评分通话数"), ["49"]);
    assert_eq!(summary_value(&x2, "评分通话数"), ["49"]);
    assert_eq!(summary_value(&x1, "重复通话（只计一次）"), ["0"]);
    assert_eq!(summary_value(&x2, "重复通话（只计一次）"), ["49"]);
    assert!(summary_value(&x2, "注意")
        .iter()
        .any(|w| w.contains("49 通电话")));
    assert!(
        err_twice.contains("49 通电话在多次运行中重复出现"),
        "{err_twice}"
    );
    assert!(!err_once.contains("重复出现"), "{err_once}");
    let (h1, h2) = (
        std::fs::read_to_string(once.join("report.html")).expect("html"),
        std::fs::read_to_string(twice.join("report.html")).expect("html"),
    );
    for id in [
        "table-operators",
        "table-worst",
        "table-norms",
        "table-units",
    ] {
        assert_eq!(html_table(&h1, id), html_table(&h2, id), "{id}");
    }
}

/// A day's run and its re-run with reviews: the run given last wins for
/// the calls both have, as for tickets, findings included.
#[test]
fn report_of_overlapping_runs_takes_the_later_runs_calls() {
    let dir = tempfile::tempdir().expect("tmp");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    score(&samples("calls.jsonl"), &samples("tickets.csv"), &a, &[]);
    let reviews = dir.path().join("reviews.csv");
    std::fs::write(
        &reviews,
        "call_id,rule,verdict,reviewer\n\
         20261127-000155,greeting.missing_part,dismissed,李\n\
         20261127-000103,attitude.manual,added,李\n",
    )
    .expect("write");
    score(
        &samples("calls.jsonl"),
        &samples("tickets.csv"),
        &b,
        &["--reviews", reviews.to_str().expect("utf-8")],
    );
    let only = |run: &Path, name: &str| {
        let out = dir.path().join(format!("only-{name}"));
        report(&[run], &out);
        out
    };
    let (only_a, only_b) = (only(&a, "a"), only(&b, "b"));
    let (ab, ba) = (dir.path().join("ab"), dir.path().join("ba"));
    report(&[&a, &b], &ab);
    report(&[&b, &a], &ba);
    let ops = |d: &Path| std::fs::read_to_string(d.join("operators.csv")).expect("ops");
    assert_ne!(ops(&only_a), ops(&only_b), "the reviews change the figures");
    assert_eq!(ops(&ab), ops(&only_b), "A then B: B's calls");
    assert_eq!(ops(&ba), ops(&only_a), "B then A: A's calls");
    // The findings sheet holds B's findings (the added one), once each.
    let x = sheets(&ab.join("report.xlsx"));
    let xb = sheets(&only_b.join("report.xlsx"));
    assert_eq!(x["违规明细"], xb["违规明细"]);
    assert_eq!(x["通话"], xb["通话"]);
}

/// Issue 17: after `--reviews` the lowest-scores table showed the machine's
/// score (88.24 for a call reviewed to a fail) and the dismissed findings
/// as if they stood. It now ranks by the reviewed score, as the operator
/// ranking does, shows both scores and strikes out withdrawn findings.
#[test]
fn worst_calls_show_the_reviewed_score_and_strike_out_dismissed_findings() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = dir.path().join("run");
    let reviews = dir.path().join("reviews.csv");
    std::fs::write(
        &reviews,
        "call_id,rule,verdict,reviewer,points\n\
         20261127-000155,greeting.missing_part,dismissed,李,\n\
         20261127-000103,attitude.manual,added,李,\n\
         20261127-000103,courtesy.manual,added,李,\n",
    )
    .expect("write");
    score(
        &samples("calls.jsonl"),
        &samples("tickets.csv"),
        &run,
        &["--reviews", reviews.to_str().expect("utf-8")],
    );
    let calls = records(&run.join("calls.csv"));
    let mut by_reviewed: Vec<(f64, String)> = calls
        .iter()
        .map(|c| (f(&c["reviewed_score"]), c["call_id"].clone()))
        .collect();
    by_reviewed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let html = std::fs::read_to_string(run.join("report.html")).expect("html");
    let rows = html_table(&html, "table-worst");
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r["<td>".len()..r.find("</td>").expect("td")].to_string())
        .collect();
    let want: Vec<String> = by_reviewed.iter().map(|x| x.1.clone()).collect();
    assert_eq!(ids, want[..ids.len()], "ranked by reviewed score");
    let row = |id: &str| {
        rows.iter()
            .find(|r| r.starts_with(&format!("<td>{id}</td>")))
            .unwrap_or_else(|| panic!("{id} not among the worst"))
            .clone()
    };
    let call = |id: &str| calls.iter().find(|c| c["call_id"] == id).expect("call");
    // Reviewed down: listed at its reviewed score, the machine's beside it.
    let down = call("20261127-000103");
    assert!(f(&down["reviewed_score"]) < f(&down["score"]), "{down:?}");
    let r = row("20261127-000103");
    let cells: Vec<&str> = r.split("<td>").skip(1).collect();
    assert!(cells[2].starts_with(&down["reviewed_score"]), "{r}");
    assert!(cells[3].starts_with(&down["score"]), "{r}");
    assert!(r.contains("复核补充"), "{r}");
    // Dismissed: struck out and marked.
    let r = row("20261127-000155");
    assert!(
        r.contains("<del><b>greeting.missing_part</b>") && r.contains("已撤销"),
        "{r}"
    );
    assert!(!r.contains("<del><b>ticket.missing_field</b>"), "{r}");
}

/// Issue 17: on tickets of other years the report gave the calls' week as
/// the period, left out the calendar warning the terminal printed, and
/// drew every unit (hundreds, by name, without counts). The tickets have
/// their own period, the warning is at the top of report.html and in the
/// 摘要 sheet — also for `report` over the runs — and the chart shows the
/// lowest on-time rates among units with enough tickets, with counts.
#[test]
fn tickets_of_other_years_get_their_period_the_calendar_warning_and_a_chart_of_the_worst_units() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut rows = vec![
        "ticket_id,operator_id,accepted_at,category,handling,unit,dispatched_at,completed_at"
            .to_string(),
    ];
    let mut k = 0;
    for u in 0..30 {
        // 25 units of 12 tickets, 5 of a single late one (0 %).
        let n = if u < 25 { 12 } else { 1 };
        for i in 0..n {
            k += 1;
            let late = i % (u % 5 + 2) == 0;
            let done = if late {
                "2015-03-20 10:00"
            } else {
                "2015-03-03 10:00"
            };
            rows.push(format!(
                "T{k},1024,2015-03-02 09:00,一般诉求,工单转办,单位{u:02},2015-03-02 10:00,{done}"
            ));
        }
    }
    rows.push("T0,1024,2013-06-01 09:00,咨询,直接办理,,,".into());
    let tickets = dir.path().join("tickets.csv");
    std::fs::write(&tickets, rows.join("\n") + "\n").expect("write");
    let run = dir.path().join("run");
    score(&samples("calls.jsonl"), &tickets, &run, &[]);
    let rep = dir.path().join("rep");
    report(&[&run], &rep);
    for out in [&run, &rep] {
        let html = std::fs::read_to_string(out.join("report.html")).expect("html");
        let warn = html.find("class=\"warn\"").expect("a warning box");
        assert!(
            warn < html.find("<h2>").expect("h2"),
            "the warning is at the top"
        );
        assert!(
            html[warn..].starts_with("class=\"warn\" role=\"alert\">注意：工单日期落在 2015 年")
        );
        assert!(
            html.contains("工单受理期间 2013-06-01 — 2015-03-02"),
            "ticket period"
        );
        assert!(html.contains("通话统计期间 2026-11-27 — 2026-11-27"));
        let chart = &html[html.find("<svg id=\"chart-units\"").expect("chart")..];
        let chart = &chart[..chart.find("</svg>").expect("end")];
        let bars: Vec<&str> = chart
            .split("<title>")
            .skip(1)
            .map(|t| &t[..t.find("</title>").expect("title")])
            .collect();
        assert_eq!(bars.len(), 20, "the top 20: {bars:?}");
        // Lowest rates first, each with its counts; no unit of one ticket.
        assert!(bars[0].ends_with("50.0%（6/12）"), "{bars:?}");
        assert!(bars.iter().all(|b| b.ends_with("/12）")), "{bars:?}");
        let rates: Vec<f64> = bars
            .iter()
            .map(|b| {
                let p = b.split(' ').nth(1).expect("rate");
                p[..p.find('%').expect("%")].parse().expect("number")
            })
            .collect();
        assert!(rates.windows(2).all(|w| w[0] <= w[1]), "{rates:?}");
        // Every unit stays in the table, the single-ticket ones included.
        let table = html_table(&html, "table-units");
        assert!(table.iter().any(|r| r.contains("单位29")));
        let x = sheets(&out.join("report.xlsx"));
        assert_eq!(
            summary_value(&x, "工单受理期间"),
            ["2013-06-01 — 2015-03-02"]
        );
        assert!(
            summary_value(&x, "注意").iter().any(|w| w.contains("2015")),
            "{:?}",
            x["摘要"]
        );
    }
}

/// Issue 17: an `added` finding on accuracy, which the machine had not
/// assessed on 20261127-000219, moved its machine score 82.35 → 85. With
/// any reviews, calls.csv's machine columns (score, passed, red_line, the
/// norms' points) are those of the run without them; only reviewed_* move.
#[test]
fn reviews_never_move_the_machine_columns_of_calls_csv() {
    let dir = tempfile::tempdir().expect("tmp");
    let (plain, reviewed) = (dir.path().join("plain"), dir.path().join("reviewed"));
    score(
        &samples("calls.jsonl"),
        &samples("tickets.csv"),
        &plain,
        &[],
    );
    let reviews = dir.path().join("reviews.csv");
    std::fs::write(
        &reviews,
        "call_id,rule,verdict,reviewer,points\n\
         20261127-000219,accuracy.manual,added,李,\n\
         20261127-000275,accuracy.manual,added,李,3\n\
         20261127-000155,greeting.missing_part,added,李,1\n\
         20261127-000155,ticket.missing_field,dismissed,李,\n\
         20261127-000311,taboo.manual,added,李,\n",
    )
    .expect("write");
    score(
        &samples("calls.jsonl"),
        &samples("tickets.csv"),
        &reviewed,
        &["--reviews", reviews.to_str().expect("utf-8")],
    );
    let machine: Vec<&str> = [
        "call_id",
        "score",
        "passed",
        "red_line",
        "greeting",
        "closing",
        "courtesy",
        "pace",
        "clarity",
        "accuracy",
        "process",
        "communication",
        "attitude",
        "ticket",
        "taboo",
    ]
    .to_vec();
    let cols = |d: &Path| -> Vec<Vec<String>> {
        records(&d.join("calls.csv"))
            .iter()
            .map(|r| machine.iter().map(|c| r[*c].clone()).collect())
            .collect()
    };
    assert_eq!(cols(&plain), cols(&reviewed));
    let r = records(&reviewed.join("calls.csv"));
    let c = r
        .iter()
        .find(|c| c["call_id"] == "20261127-000219")
        .expect("call");
    assert_eq!((c["score"].as_str(), c["accuracy"].as_str()), ("82.35", ""));
    assert!(f(&c["reviewed_score"]) < 82.35, "{c:?}");
}

/// A run written before tickets.parquet kept the calendar's missing years
/// still combines with a newer one (its frame gets an empty column).
#[test]
fn a_run_from_before_the_calendar_years_column_still_combines() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().expect("tmp");
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    score(&samples("calls.jsonl"), &samples("tickets.csv"), &old, &[]);
    let (c2, t2) = second_day(dir.path());
    score(&c2, &t2, &new, &[]);
    let path = old.join("tickets.parquet");
    let df = ParquetReader::new(std::fs::File::open(&path).expect("open"))
        .finish()
        .expect("read");
    let mut df = df.drop("calendar_unknown_years").expect("drop");
    ParquetWriter::new(std::fs::File::create(&path).expect("create"))
        .finish(&mut df)
        .expect("write");
    let out = dir.path().join("r");
    report(&[&old, &new], &out);
    let units = records(&out.join("units.csv"));
    let sum = units.iter().find(|u| u["name"] == "合计").expect("total");
    assert_eq!(sum["tickets"], "90");
}
