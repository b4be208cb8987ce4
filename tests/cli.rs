//! End-to-end tests of the `hotline-qa` binary: each runs it in a temporary
//! folder, as a user would, and checks its outputs and exit codes.
//!
//! Golden files of the run over `samples/` live in `tests/golden/samples/`;
//! after an intended change, regenerate them with
//! `UPDATE_GOLDEN=1 cargo test --test cli` and review the diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn samples(name: &str) -> PathBuf {
    root().join("samples").join(name)
}

const AS_OF: &str = "2026-11-28T00:00:00+08:00";

fn score(args: &[&str], out: &Path) -> Output {
    let mut cmd = bin();
    cmd.arg("score")
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--as-of")
        .arg(AS_OF);
    cmd.output().expect("run hotline-qa")
}

fn score_samples(out: &Path, threads: &str) -> Output {
    let mut cmd = bin();
    cmd.env("RAYON_NUM_THREADS", threads)
        .arg("score")
        .arg(samples("calls.jsonl"))
        .arg(samples("tickets.csv"))
        .arg("--directory")
        .arg(samples("directory.csv"))
        .arg("--as-of")
        .arg(AS_OF)
        .arg("--out")
        .arg(out);
    cmd.output().expect("run hotline-qa")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    r.records()
        .map(|x| x.expect("row").iter().map(str::to_string).collect())
        .collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const OUTPUTS: [&str; 6] = [
    "calls.csv",
    "findings.csv",
    "tickets.csv",
    "units.csv",
    "repeats.csv",
    "rejects.csv",
];

#[test]
fn samples_match_the_golden_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = score_samples(dir.path(), "2");
    assert!(o.status.success(), "{}", stderr(&o));
    let golden = root().join("tests/golden/samples");
    for name in OUTPUTS {
        let got = read(&dir.path().join(name));
        let path = golden.join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&path, &got).expect("write golden");
            continue;
        }
        let want = read(&path);
        assert!(
            got == want,
            "{name} differs from {}; rerun with UPDATE_GOLDEN=1 and review the diff",
            path.display()
        );
    }
}

#[test]
fn same_output_whatever_the_thread_count() {
    let one = tempfile::tempdir().expect("tmp");
    let two = tempfile::tempdir().expect("tmp");
    assert!(score_samples(one.path(), "1").status.success());
    assert!(score_samples(two.path(), "2").status.success());
    // Every file of the run, the workbooks, Parquet and run.json included.
    let mut names: Vec<String> = std::fs::read_dir(one.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() > 15, "{names:?}");
    for name in &names {
        assert_eq!(
            std::fs::read(one.path().join(name)).expect("read"),
            std::fs::read(two.path().join(name)).expect("read"),
            "{name}"
        );
    }
}

#[test]
fn sample_findings_are_the_designed_ones() {
    let dir = tempfile::tempdir().expect("tmp");
    assert!(score_samples(dir.path(), "2").status.success());
    let mut got: Vec<(String, String)> = rows(&dir.path().join("findings.csv"))
        .into_iter()
        .map(|r| {
            (
                r[0].trim_start_matches("20261127-").to_string(),
                r[3].clone(),
            )
        })
        .collect();
    got.dedup();
    // One row per (call, rule) as designed in samples/EXPECTED.md.
    let want = [
        ("000142", "accuracy.wrong_unit_number"),
        // Issue #19 (spec §2.1): the caller says 我要投诉, the ticket says 一般诉求.
        ("000150", "ticket.category_mismatch"),
        ("000155", "greeting.missing_part"),
        ("000155", "ticket.missing_field"),
        ("000155", "ticket.content_too_short"),
        ("000155", "ticket.place_missing"),
        ("000185", "attitude.late_first_response"),
        ("000204", "taboo.forbidden_phrase"),
        ("000219", "closing.missing"),
        ("000219", "courtesy.slang"),
        ("000250", "courtesy.ni"),
        ("000250", "communication.interruptions"),
        ("000250", "ticket.category_mismatch"),
        ("000268", "courtesy.slang"),
        ("000275", "courtesy.slang"),
        ("000275", "pace.too_fast"),
        ("000283", "pace.too_slow"),
        ("000283", "clarity.repeat_requests"),
        ("000290", "clarity.low_confidence"),
        ("000290", "communication.no_question"),
        ("000298", "accuracy.unknown_number"),
        ("000298", "attitude.slow_response"),
        ("000305", "process.legal_dispatched"),
        ("000305", "process.legal_no_guidance"),
        ("000311", "taboo.insult"),
        // The calls of issue #19: one rule of spec §2.1 broken in each
        // (000402, 000406, 000410 and 000412 keep them and their traps).
        ("000401", "ticket.category_mismatch"),
        ("000403", "ticket.name_mismatch"),
        ("000404", "ticket.name_mismatch"),
        ("000405", "ticket.phone_mismatch"),
        ("000407", "ticket.place_missing"),
        ("000408", "ticket.harm_omitted"),
        ("000409", "ticket.repeat_omitted"),
        ("000411", "process.risk_not_escalated"),
        ("000413", "process.complaint_not_dispatched"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
    let calls = rows(&dir.path().join("calls.csv"));
    let red: Vec<&str> = calls
        .iter()
        .filter(|r| r[7] == "true")
        .map(|r| r[0].as_str())
        .collect();
    assert_eq!(red, vec!["20261127-000311"]);
    let score_of = |id: &str| {
        calls
            .iter()
            .find(|r| r[0] == id)
            .map(|r| r[5].clone())
            .unwrap_or_default()
    };
    assert_eq!(score_of("20261127-000311"), "0");
    // 000250 interrupts the caller and says 你 twice while talking over them:
    // words heard over another speaker wait for a reviewer (issue #7), so the
    // machine score keeps courtesy's points until someone confirms.
    assert_eq!(score_of("20261127-000250"), "88.24");
    // closing not assessed when the caller hung up first and spoke last.
    let c226 = calls
        .iter()
        .find(|r| r[0] == "20261127-000226")
        .expect("226");
    assert_eq!(c226[9], "");
}

#[test]
fn explain_marks_findings_inline() {
    let o = bin()
        .args(["explain", "20261127-000204"])
        .arg(samples("calls.jsonl"))
        .arg(samples("tickets.csv"))
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(
        s.contains("taboo.forbidden_phrase 通话禁忌　−10 分　【哦】"),
        "{s}"
    );
    assert!(s.contains("工单 GD20261127014"), "{s}");
    let o = bin()
        .args(["explain", "nope"])
        .arg(samples("calls.jsonl"))
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nope"));
}

#[test]
fn config_prints_a_scorecard_that_loads() {
    let o = bin().arg("config").output().expect("run");
    assert!(o.status.success());
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("c.toml");
    let text = String::from_utf8_lossy(&o.stdout).replace("pass_mark = 80.0", "pass_mark = 95.0");
    std::fs::write(&cfg, text).expect("write");
    let out = dir.path().join("out");
    let o = score(
        &[
            samples("calls.jsonl").to_str().expect("utf8"),
            "--config",
            cfg.to_str().expect("utf8"),
        ],
        &out,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("及格（≥ 95）"), "{}", stderr(&o));
}

#[test]
fn bad_config_is_a_usage_error_naming_file_line_and_key() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "pass_mark = 80\n[norms.pace]\nmax_cmp = 250\n").expect("write");
    let out = dir.path().join("out");
    let o = score(
        &[
            samples("calls.jsonl").to_str().expect("utf8"),
            "--config",
            cfg.to_str().expect("utf8"),
        ],
        &out,
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("bad.toml：第 3 行，键 ") && e.contains("没有 max_cmp 这个键"),
        "{e}"
    );
    // Nothing was read or written.
    assert!(!out.join("calls.csv").exists());
}

#[test]
fn bad_lexicon_is_rejected_before_reading_input() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("slang.txt"), "# mine\n亲\nre:(unclosed\n").expect("write");
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[lexicons]\nslang = \"slang.txt\"\n").expect("write");
    let o = score(
        &[
            samples("calls.jsonl").to_str().expect("utf8"),
            "--config",
            cfg.to_str().expect("utf8"),
        ],
        &dir.path().join("o"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("slang.txt 第 3 行：正则表达式 `(unclosed` 写错了"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unknown_option_is_exit_2() {
    let o = bin().args(["score", "--frobnicate"]).output().expect("run");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn tickets_given_with_the_tickets_flag_are_scored_as_inputs() {
    let dir = tempfile::tempdir().expect("tmp");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let calls = samples("calls.jsonl");
    let tickets = samples("tickets.csv");
    let (calls, tickets) = (
        calls.to_str().expect("utf8"),
        tickets.to_str().expect("utf8"),
    );
    let o = score(&[calls, tickets], &a);
    assert!(o.status.success(), "{}", stderr(&o));
    // `--tickets` outside --stdin used to be accepted and then ignored.
    let o = score(&[calls, "--tickets", tickets], &b);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!rows(&b.join("tickets.csv")).is_empty());
    for name in OUTPUTS {
        assert_eq!(read(&a.join(name)), read(&b.join(name)), "{name}");
    }
}

#[test]
fn a_stdin_only_flag_without_stdin_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let calls = samples("calls.jsonl");
    let o = score(
        &[calls.to_str().expect("utf8"), "--format", "tsv"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--format"), "{}", stderr(&o));
}

#[test]
fn bad_records_are_rejected_and_counted() {
    let dir = tempfile::tempdir().expect("tmp");
    let good = read(&samples("calls.jsonl"));
    let first = good.lines().next().expect("line").to_string();
    let mut lines = vec![
        first.clone(),
        "{\"call_id\": \"broken".to_string(),
        String::new(),
        first.clone(),
        first.replace("\"agent\"", "\"robot\"").replace("20261127-000103", "X1"),
        "{\"call_id\":\"X2\",\"operator_id\":\"1\",\"started_at\":\"2026-11-27T09:00:00+08:00\",\"utterances\":[]}".to_string(),
    ];
    lines.push(first.replace("20261127-000103", "X3"));
    let path = dir.path().join("day.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let out = dir.path().join("out");
    let o = score(&[path.to_str().expect("utf8")], &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("读取 7 条，评分 2 条，拒收 5 条"),
        "{}",
        stderr(&o)
    );
    let rejects = rows(&out.join("rejects.csv"));
    let lines_and_ids: Vec<(String, String)> = rejects
        .iter()
        .map(|r| (r[1].clone(), r[2].clone()))
        .collect();
    assert_eq!(
        lines_and_ids,
        vec![
            ("2".into(), "".into()),
            ("3".into(), "".into()),
            ("4".into(), "20261127-000103".into()),
            ("5".into(), "X1".into()),
            ("6".into(), "X2".into()),
        ]
    );
    assert!(rejects[2][3].contains("重复"));
    assert!(rejects[3][3].contains("robot"));
}

#[test]
fn nothing_usable_is_exit_1() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("bad.jsonl");
    std::fs::write(&path, "not json\n{}\n").expect("write");
    let o = score(&[path.to_str().expect("utf8")], &dir.path().join("out"));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(rows(&dir.path().join("out/rejects.csv")).len(), 2);
}

#[test]
fn gzipped_transcripts_score_the_same() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tmp");
    let gz = dir.path().join("calls.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create"),
        flate2::Compression::fast(),
    );
    enc.write_all(read(&samples("calls.jsonl")).as_bytes())
        .expect("gz");
    enc.finish().expect("gz");
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    assert!(score(&[samples("calls.jsonl").to_str().expect("utf8")], &a)
        .status
        .success());
    assert!(score(&[gz.to_str().expect("utf8")], &b).status.success());
    assert_eq!(read(&a.join("calls.csv")), read(&b.join("calls.csv")));
}

/// The sample tickets with Chinese headers, in GBK.
fn gbk_tickets(dir: &Path) -> PathBuf {
    let text = read(&samples("tickets.csv"));
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let zh: Vec<&str> = header
        .split(',')
        .map(|h| {
            hotline_qa::input::tickets::COLUMNS
                .iter()
                .find(|(_, en, _)| *en == h)
                .map(|(_, _, zh)| *zh)
                .unwrap_or(h)
        })
        .collect();
    let body: Vec<&str> = lines.collect();
    let utf8 = format!("{}\n{}\n", zh.join(","), body.join("\n"));
    let (gbk, _, bad) = encoding_rs::GBK.encode(&utf8);
    assert!(!bad);
    let path = dir.join("工单.csv");
    std::fs::write(&path, &gbk).expect("write");
    path
}

#[test]
fn gbk_tickets_with_chinese_headers_give_the_same_result() {
    let dir = tempfile::tempdir().expect("tmp");
    let gbk = gbk_tickets(dir.path());
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    assert!(score(&[samples("tickets.csv").to_str().expect("utf8")], &a)
        .status
        .success());
    let o = score(&[gbk.to_str().expect("utf8")], &b);
    assert!(o.status.success(), "{}", stderr(&o));
    for name in ["tickets.csv", "units.csv"] {
        assert_eq!(read(&a.join(name)), read(&b.join(name)), "{name}");
    }
}

#[test]
fn xlsx_tickets_give_the_same_result() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = read(&samples("tickets.csv"));
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers: Vec<String> = r.headers().expect("h").iter().map(str::to_string).collect();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("工单").expect("name");
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, h).expect("write");
    }
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (i, rec) in r.records().enumerate() {
        let rec = rec.expect("row");
        for (c, v) in rec.iter().enumerate() {
            let row = i as u32 + 1;
            // Times as real Excel dates, the way an export writes them.
            if headers[c].ends_with("_at") && !v.is_empty() {
                let dt = rust_xlsxwriter::ExcelDateTime::parse_from_str(v).expect("time");
                ws.write_datetime_with_format(row, c as u16, &dt, &fmt)
                    .expect("write");
            } else if !v.is_empty() {
                ws.write_string(row, c as u16, v).expect("write");
            }
        }
    }
    let path = dir.path().join("tickets.xlsx");
    wb.save(&path).expect("save");
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    assert!(score(&[samples("tickets.csv").to_str().expect("utf8")], &a)
        .status
        .success());
    let o = score(&[path.to_str().expect("utf8"), "--sheet", "工单"], &b);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read(&a.join("tickets.csv")), read(&b.join("tickets.csv")));
    let o = score(
        &[path.to_str().expect("utf8"), "--sheet", "nope"],
        &dir.path().join("c"),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--sheet \"nope\""), "{}", stderr(&o));
}

#[test]
fn the_ticket_against_the_call_shows_both_sides_masked() {
    // Issue #19: each finding quotes the caller (cue in 【】) and the ticket
    // after ｜, and personal data is masked on both sides as in every
    // excerpt: the spoken number, the recorded number and the name.
    let dir = tempfile::tempdir().expect("tmp");
    assert!(score_samples(dir.path(), "2").status.success());
    let findings = rows(&dir.path().join("findings.csv"));
    let of = |call: &str, rule: &str| -> Vec<String> {
        findings
            .iter()
            .find(|r| r[0] == format!("20261127-{call}") && r[3] == rule)
            .unwrap_or_else(|| panic!("{call} {rule}: {findings:?}"))
            .clone()
    };
    let phone = of("000405", "ticket.phone_mismatch");
    let excerpt = &phone[9];
    assert!(
        excerpt.contains("【") && excerpt.contains(" ｜ 工单电话："),
        "{excerpt}"
    );
    assert!(
        excerpt.contains("138****1943"),
        "the ticket's number masked: {excerpt}"
    );
    for visible in ["13857261943", "五七二六", "13857261934"] {
        assert!(!excerpt.contains(visible), "{visible} in {excerpt}");
    }
    assert_eq!((phone[8].as_str(), phone[7].as_str()), ("caller", "5"));
    let name = of("000403", "ticket.name_mismatch");
    assert!(name[9].contains("我姓【王】"), "{}", name[9]);
    assert!(name[9].contains("工单姓名：黄**"), "{}", name[9]);
    assert!(!name[9].contains("黄先生"), "{}", name[9]);
    // Same pinyin: waits for a reviewer and costs nothing yet.
    let homophone = of("000404", "ticket.name_mismatch");
    assert_eq!(
        (homophone[10].as_str(), homophone[5].as_str()),
        ("true", "0")
    );
    // Self-harm not escalated is critical, and costs the norm's points.
    let risk = of("000411", "process.risk_not_escalated");
    assert_eq!((risk[4].as_str(), risk[5].as_str()), ("critical", "15"));
    // The calls that keep the rules and their traps have no finding of them.
    for call in ["000402", "000406", "000410", "000412"] {
        assert!(
            !findings.iter().any(|r| r[0] == format!("20261127-{call}")),
            "{call}: {findings:?}"
        );
    }
}

#[test]
fn a_folder_input_finds_transcripts_and_tickets_and_skips_other_csv() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = score(
        &[
            root().join("samples").to_str().expect("utf8"),
            "--directory",
            samples("directory.csv").to_str().expect("utf8"),
        ],
        &dir.path().join("out"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("通话：读取 49 条"), "{}", stderr(&o));
    assert!(stderr(&o).contains("工单：读取 47 条"), "{}", stderr(&o));
    // The folder's directory.csv is not tickets, and the summary says so.
    let skipped = stderr(&o)
        .lines()
        .find(|l| l.contains("不是工单文件"))
        .map(str::to_string);
    assert!(
        skipped
            .as_deref()
            .is_some_and(|l| l.contains("directory.csv")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn no_partial_files_are_left() {
    let dir = tempfile::tempdir().expect("tmp");
    assert!(score_samples(dir.path(), "2").status.success());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.ends_with(".partial")), "{names:?}");
}

#[test]
fn no_reports_writes_only_record_level_outputs() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = score(
        &[
            samples("calls.jsonl").to_str().expect("utf8"),
            "--no-reports",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("calls.csv").exists() && dir.path().join("calls.parquet").exists());
    assert!(!dir.path().join("operators.csv").exists() && !dir.path().join("report.xlsx").exists());
}

// ---------------------------------------------------------------------------
// Messages for people who are not programmers (issue 17)
// ---------------------------------------------------------------------------

#[test]
fn clap_usage_errors_are_chinese_with_exit_2() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("o");
    // (arguments, what the Chinese message must say)
    let cases: [(&[&str], &[&str]); 5] = [
        (
            &["score", "samples", "--ouput", "x"],
            &[
                "没有 --ouput 这个选项，你是不是想写 --out？",
                "查看全部选项：hotline-qa score --help",
            ],
        ),
        (&["scor"], &["没有“scor”这个命令，你是不是想写", "score"]),
        (
            &["score"],
            &["缺少必须写的参数：", "--out", "用法：hotline-qa score"],
        ),
        (
            &["score", "samples", "--lang", "fr"],
            &["--lang 的值“fr”不是可选的值，可选：zh、en"],
        ),
        (
            &["sample", "r", "--per-operator", "0"],
            &["--per-operator 的值“0”太小：应为不小于 1 的整数"],
        ),
    ];
    for (args, wanted) in cases {
        let o = bin()
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("run");
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {e}");
        assert!(e.starts_with("hotline-qa: 错误："), "{args:?}: {e}");
        for w in wanted {
            assert!(e.contains(w), "{args:?}: no {w:?} in\n{e}");
        }
        // Must not: clap's English text as the message (it stays only in parentheses).
        assert!(!e.contains("\nerror:") && !e.starts_with("error:"), "{e}");
        assert!(!e.contains("For more information, try"), "{e}");
    }
    assert!(!out.exists());
    // Must not: --help and --version are not errors; the help's headings
    // are Chinese too (clap's Usage/Options/Commands were English).
    let o = bin().args(["score", "--help"]).output().expect("run");
    assert_eq!(o.status.code(), Some(0));
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(help.contains("用法：hotline-qa score"), "{help}");
    assert!(
        help.contains("选项:") && !help.contains("Options:"),
        "{help}"
    );
    let top = bin().arg("--help").output().expect("run");
    let top = String::from_utf8_lossy(&top.stdout);
    assert!(top.starts_with("市长热线（12345）通话质检"), "{top}");
    assert!(top.contains("命令:") && !top.contains("Commands:"), "{top}");
    assert!(
        help.contains("输出目录"),
        "the options are described in Chinese: {help}"
    );
    let o = bin().arg("--version").output().expect("run");
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("hotline-qa "));
}

#[test]
fn toml_type_error_names_file_line_and_key_in_chinese() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = dir.path().join("现行评分表.toml");
    std::fs::write(
        &cfg,
        "version = \"2026-11\"\n\n[reports]\nmin_calls_for_rank = \"3\"\n",
    )
    .expect("write");
    let out = dir.path().join("o");
    let o = score(
        &[
            samples("calls.jsonl").to_str().expect("utf8"),
            "--config",
            cfg.to_str().expect("utf8"),
        ],
        &out,
    );
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("现行评分表.toml：第 4 行，键 reports.min_calls_for_rank：应为不小于 0 的整数（不加引号，如 3），写的是文字 \"3\""),
        "{e}"
    );
    assert!(!out.join("calls.csv").exists());
}

#[test]
fn missing_input_reports_the_io_error_kind_in_chinese() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = score(&["nope.jsonl"], &dir.path().join("o"));
    let e = stderr(&o);
    assert_ne!(o.status.code(), Some(0), "{e}");
    assert!(e.contains("nope.jsonl"), "{e}");
    assert!(e.contains("文件或文件夹不存在，请检查路径是否写对"), "{e}");
}

#[test]
fn summary_ends_by_naming_the_file_to_open() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("o");
    let o = score_samples(&out, "1");
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    let last = e.lines().last().expect("a summary");
    assert_eq!(
        last,
        format!(
            "请打开 {}（Excel）或 {}（浏览器）查看报表；逐条扣分见 {}",
            out.join("report.xlsx").display(),
            out.join("report.html").display(),
            out.join("findings.csv").display()
        )
    );
    // With --no-reports: no report to open, and how to make one.
    let out2 = dir.path().join("p");
    let o = score(
        &[
            samples("calls.jsonl").to_str().expect("utf8"),
            "--no-reports",
        ],
        &out2,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    let last = e.lines().last().expect("a summary");
    assert!(
        last.starts_with("没有写汇总报表（用了 --no-reports）"),
        "{e}"
    );
    assert!(
        last.contains(&format!("hotline-qa report {}", out2.display())),
        "{e}"
    );
    assert!(!out2.join("report.xlsx").exists());
}

/// A critical finding (重大风险) is listed before everything else in the
/// summaries of `score` and `report`, counted per operator, and is not a
/// red line; a day without one says so, rather than leaving a manager to
/// wonder whether the check ran.
#[test]
fn a_critical_finding_comes_first_in_every_output() {
    // samples/ 000411: the caller says 不想活了, the ticket is 普通 and not
    // a hot issue (spec §2.1 process.risk_not_escalated, critical).
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("o");
    let o = score_samples(&out, "1");
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.starts_with("!! 重大风险 1 条"),
        "the risk block comes first: {e}"
    );
    let (risk, rest) = e.split_once("评分完成").expect("summary");
    assert!(
        risk.contains("20261127-000411") && risk.contains("GD20261127041"),
        "{risk}"
    );
    assert!(risk.contains("【不想活了】"), "{risk}");
    assert!(rest.contains("红线 1 通，重大风险 1 条，"), "{rest}");
    // Not a red line: the call keeps its score.
    let calls = rows(&out.join("calls.csv"));
    let c = calls
        .iter()
        .find(|r| r[0] == "20261127-000411")
        .expect("000411");
    assert_ne!(c[5], "0", "{c:?}");
    assert_eq!(c[7], "false", "{c:?}");
    let html = read(&out.join("report.html"));
    assert!(!html.contains("本期没有重大风险"));
    assert!(html.contains("20261127-000411"));
    let header = rows_with_header(&out.join("operators.csv"));
    let at = header
        .0
        .iter()
        .position(|h| h == "critical")
        .expect("critical column");
    for r in &header.1 {
        let want = if r[1] == "2038" { "1" } else { "0" };
        assert_eq!(r[at], want, "{r:?}");
    }
    let combined = dir.path().join("r");
    let o = bin()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&combined)
        .output()
        .expect("run hotline-qa");
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.starts_with("!! 重大风险 1 条"), "{e}");
    assert!(e.contains("重大风险 1 条"), "{e}");
}

fn rows_with_header(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let h = r
        .headers()
        .expect("header")
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    (h, rows(path))
}

#[test]
fn a_day_without_critical_findings_says_so_everywhere() {
    // samples/ without the one call that has a critical finding.
    let dir = tempfile::tempdir().expect("tmp");
    let calls = dir.path().join("calls.jsonl");
    let kept: String = read(&samples("calls.jsonl"))
        .lines()
        .filter(|l| !l.contains("20261127-000411"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&calls, kept).expect("write");
    let out = dir.path().join("o");
    let o = bin()
        .arg("score")
        .arg(&calls)
        .arg(samples("tickets.csv"))
        .arg("--directory")
        .arg(samples("directory.csv"))
        .arg("--as-of")
        .arg(AS_OF)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run hotline-qa");
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.starts_with("评分完成"), "no risk block before it: {e}");
    assert!(!e.contains("!! 重大风险"), "{e}");
    assert!(e.contains("红线 1 通，重大风险 0 条，"), "{e}");
    assert!(read(&out.join("report.html")).contains("本期没有重大风险"));
    let (header, teams) = rows_with_header(&out.join("teams.csv"));
    let at = header
        .iter()
        .position(|h| h == "critical")
        .expect("critical column");
    for r in teams {
        assert_eq!(r[at], "0", "{r:?}");
    }
    let combined = dir.path().join("r");
    let o = bin()
        .arg("report")
        .arg(&out)
        .arg("--out")
        .arg(&combined)
        .output()
        .expect("run hotline-qa");
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.starts_with("已合并 1 次运行") && e.contains("重大风险 0 条"),
        "{e}"
    );
}
