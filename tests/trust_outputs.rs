//! Data is never lost or mixed (issue 17), end to end: a run's outputs
//! appear together or not at all, one output folder is used by one run at
//! a time, inputs are never overwritten nor outputs taken for inputs,
//! links and workbooks in input folders are read or listed, an empty input
//! is an error, and standard output errors are told apart from a reader
//! that has seen enough. Each test runs the built binary in a temporary
//! folder.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

const AS_OF: &str = "2026-11-28T00:00:00+08:00";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
}

fn samples(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn score(inputs: &[&Path], out: &Path) -> Output {
    bin()
        .arg("score")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .args(["--as-of", AS_OF, "--quiet"])
        .output()
        .expect("run hotline-qa")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file under `dir` (relative path → bytes), to compare folders.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).expect("ls") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).expect("under root").to_path_buf();
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The names in `dir`.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A copy of the samples folder in `dir`.
fn copy_samples(dir: &Path) -> PathBuf {
    let d = dir.join("exports");
    std::fs::create_dir_all(&d).expect("mkdir");
    for n in ["calls.jsonl", "tickets.csv", "directory.csv"] {
        std::fs::copy(samples(n), d.join(n)).expect("copy");
    }
    d
}

#[test]
fn score_into_the_input_folder_is_refused_and_the_inputs_kept() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = copy_samples(tmp.path());
    let before = snapshot(&d);
    // The folder itself, a folder inside it, the folder holding it.
    for out in [d.clone(), d.join("out"), tmp.path().to_path_buf()] {
        let o = score(&[&d], &out);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{}: {}",
            out.display(),
            stderr(&o)
        );
        assert!(stderr(&o).contains("请换一个"), "{}", stderr(&o));
    }
    // Files given one by one: the message names the input file.
    let o = score(&[&d.join("calls.jsonl"), &d.join("tickets.csv")], &d);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("calls.jsonl"), "{}", stderr(&o));
    // A --reviews or --manual file inside the output folder likewise.
    let o = bin()
        .arg("score")
        .arg(samples("calls.jsonl"))
        .arg("--manual")
        .arg(d.join("tickets.csv"))
        .arg("--out")
        .arg(&d)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("人工评分文件"), "{}", stderr(&o));
    assert_eq!(snapshot(&d), before, "an input was touched");
    assert_eq!(names(&d), ["calls.jsonl", "directory.csv", "tickets.csv"]);
    // Must not: an output folder beside the inputs is fine.
    let o = score(&[&d], &tmp.path().join("out"));
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_failed_run_leaves_the_previous_run_byte_identical() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    assert!(
        score(&[&samples("calls.jsonl"), &samples("tickets.csv")], &out)
            .status
            .success()
    );
    let before = snapshot(&out);
    // A run that fails after writing its outputs (it read no record).
    let empty = tmp.path().join("empty.jsonl");
    std::fs::write(&empty, "").expect("write");
    let o = score(&[&empty], &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(snapshot(&out), before);
    assert!(
        names(tmp.path()).iter().all(|n| !n.contains("staging")),
        "{:?}",
        names(tmp.path())
    );
}

#[test]
fn a_killed_run_leaves_the_previous_run_and_the_next_run_clears_its_staging() {
    let tmp = tempfile::tempdir().expect("tmp");
    let day = tmp.path().join("day");
    let g = bin()
        .args(["gen", "--calls", "3000", "--out"])
        .arg(&day)
        .output()
        .expect("gen");
    assert!(g.status.success(), "{}", stderr(&g));
    let out = tmp.path().join("out");
    assert!(score(&[&samples("calls.jsonl")], &out).status.success());
    let before = snapshot(&out);
    let mut child = bin()
        .arg("score")
        .arg(day.join("calls.jsonl"))
        .arg(day.join("tickets.csv"))
        .arg("--out")
        .arg(&out)
        .args(["--as-of", AS_OF, "--quiet"])
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let staging = tmp.path().join(format!(".out.hq-staging-{}", child.id()));
    let t0 = std::time::Instant::now();
    // Killed as soon as it has started writing: seconds before it ends.
    while !std::fs::read_dir(&staging).is_ok_and(|mut d| d.next().is_some())
        && t0.elapsed().as_secs() < 20
    {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().expect("kill"); // SIGKILL: nothing of the run can clean up.
    let status = child.wait().expect("wait");
    assert!(!status.success(), "the run ended before it was killed");
    assert!(staging.exists(), "the killed run had started writing");
    assert_eq!(snapshot(&out), before, "the killed run touched the output");
    // The next run takes the lock and removes the dead run's staging folder.
    let o = score(&[&samples("calls.jsonl")], &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!staging.exists());
    assert_eq!(
        snapshot(&out).keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
}

#[test]
fn a_second_run_into_a_locked_out_refuses_naming_the_pid() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    // This test holds the lock as a running `score` would.
    let mut lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp.path().join(".out.hq-lock"))
        .expect("lock file");
    lock.try_lock().expect("lock");
    write!(lock, "{}", std::process::id()).expect("pid");
    let o = score(&[&samples("calls.jsonl")], &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let msg = stderr(&o);
    assert!(
        msg.contains(&format!("PID {}", std::process::id())),
        "{msg}"
    );
    assert!(!out.exists(), "the refused run wrote something");
    // Released, the same run goes through.
    drop(lock);
    assert!(score(&[&samples("calls.jsonl")], &out).status.success());
}

#[test]
fn two_concurrent_runs_into_one_out_never_mix() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let spawn = || {
        bin()
            .arg("score")
            .arg(samples("calls.jsonl"))
            .arg(samples("tickets.csv"))
            .arg("--out")
            .arg(&out)
            .args(["--as-of", AS_OF, "--quiet"])
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    // At least one succeeds; one that failed says why (the lock).
    assert!(a.status.success() || b.status.success());
    for o in [&a, &b] {
        if !o.status.success() {
            assert!(stderr(o).contains("正在被"), "{}", stderr(o));
        }
    }
    let (header, rows) = common::header_and_rows(&out.join("tickets.csv"));
    assert!(rows.iter().all(|r| r.len() == header.len()));
    assert_eq!(rows.len(), 47);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).expect("run.json"))
            .expect("run.json is JSON");
    assert!(run.get("inputs").is_some());
}

#[test]
fn an_out_folder_holding_other_files_is_refused_and_kept() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("月报.docx"), "keep me").expect("write");
    let o = score(&[&samples("calls.jsonl")], &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("月报.docx"), "{}", stderr(&o));
    assert_eq!(names(&out), ["月报.docx"]);
    // Must not: a previous run's folder is replaced whole, files of the
    // earlier run that this run does not write (report.html with
    // --no-reports) included, so nothing of two runs is mixed.
    let out = tmp.path().join("run");
    assert!(score(&[&samples("calls.jsonl")], &out).status.success());
    assert!(out.join("report.html").exists());
    let o = bin()
        .arg("score")
        .arg(samples("calls.jsonl"))
        .arg("--out")
        .arg(&out)
        .args(["--as-of", AS_OF, "--quiet", "--no-reports"])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.join("report.html").exists());
}

#[test]
fn report_into_one_of_its_runs_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = tmp.path().join("run");
    assert!(score(&[&samples("calls.jsonl")], &run).status.success());
    let before = snapshot(&run);
    let o = bin()
        .arg("report")
        .arg(&run)
        .arg("--out")
        .arg(&run)
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(snapshot(&run), before);
    let rep = tmp.path().join("rep");
    let o = bin()
        .arg("report")
        .arg(&run)
        .arg("--out")
        .arg(&rep)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(rep.join("report.xlsx").exists());
    assert!(names(tmp.path()).iter().all(|n| !n.contains("staging")));
}

#[test]
fn outputs_in_an_input_folder_are_not_taken_for_inputs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = copy_samples(tmp.path());
    let run = tmp.path().join("run");
    assert!(score(&[&d], &run).status.success());
    // Yesterday's run folder, a report.xlsx and a run's tickets.csv in the exports.
    let old = d.join("yesterday");
    std::fs::create_dir(&old).expect("mkdir");
    for n in ["run.json", "calls.csv", "tickets.csv", "rejects.csv"] {
        std::fs::copy(run.join(n), old.join(n)).expect("copy");
    }
    std::fs::copy(run.join("report.xlsx"), d.join("report.xlsx")).expect("copy");
    std::fs::copy(run.join("tickets.csv"), d.join("results.csv")).expect("copy");
    let o = score(&[&d], &tmp.path().join("out"));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("通话：读取 49 条"), "{err}");
    assert!(err.contains("工单：读取 47 条"), "{err}");
    let line = |name: &str| err.lines().find(|l| l.contains(name)).map(str::to_string);
    assert!(
        line("yesterday").is_some_and(|l| l.contains("运行结果文件夹")),
        "{err}"
    );
    assert!(
        line("report.xlsx").is_some_and(|l| l.contains("不是工单表")),
        "{err}"
    );
    assert!(
        line("results.csv").is_some_and(|l| l.contains("hotline-qa 的输出文件")),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn links_in_an_input_folder_are_followed_and_loops_and_broken_ones_listed() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path().join("in");
    std::fs::create_dir(&d).expect("mkdir");
    symlink(samples("calls.jsonl"), d.join("calls.jsonl")).expect("link");
    let sub = tmp.path().join("tickets");
    std::fs::create_dir(&sub).expect("mkdir");
    std::fs::copy(samples("tickets.csv"), sub.join("tickets.csv")).expect("copy");
    symlink(&sub, d.join("tickets")).expect("link");
    symlink(&d, d.join("loop")).expect("link");
    symlink(tmp.path().join("gone.csv"), d.join("gone.csv")).expect("link");
    let o = score(&[&d], &tmp.path().join("out"));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("通话：读取 49 条"), "{err}");
    assert!(err.contains("工单：读取 47 条"), "{err}");
    let line = |name: &str| err.lines().find(|l| l.contains(name)).map(str::to_string);
    assert!(
        line("gone.csv").is_some_and(|l| l.contains("断开的链接")),
        "{err}"
    );
    assert!(line("loop").is_some_and(|l| l.contains("循环")), "{err}");
}

#[test]
fn a_non_ticket_workbook_in_a_folder_is_skipped_and_xls_tickets_are_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = tmp.path().join("run");
    assert!(score(&[&samples("calls.jsonl")], &run).status.success());
    let o = bin()
        .arg("sample")
        .arg(&run)
        .arg("--out")
        .arg(tmp.path().join("review_sheet.xlsx"))
        .output()
        .expect("sample");
    assert!(o.status.success(), "{}", stderr(&o));
    let d = tmp.path().join("in");
    std::fs::create_dir(&d).expect("mkdir");
    std::fs::copy(samples("calls.jsonl"), d.join("calls.jsonl")).expect("copy");
    std::fs::copy(tmp.path().join("review_sheet.xlsx"), d.join("复核表.xlsx")).expect("copy");
    let xls = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/xls/tickets.xls");
    std::fs::copy(&xls, d.join("工单.xls")).expect("copy");
    let o = score(&[&d], &tmp.path().join("out"));
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("工单：读取 47 条，计算时效 47 条"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.contains("复核表.xlsx") && l.contains("不是工单表")),
        "{err}"
    );
    // The .xls gives what the CSV gives.
    let csv = tmp.path().join("csv");
    assert!(
        score(&[&samples("calls.jsonl"), &samples("tickets.csv")], &csv)
            .status
            .success()
    );
    let xo = tmp.path().join("xls");
    let o = score(&[&samples("calls.jsonl"), &xls], &xo);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["calls.csv", "tickets.csv", "units.csv"] {
        assert_eq!(
            std::fs::read(csv.join(f)).expect("csv"),
            std::fs::read(xo.join(f)).expect("xls"),
            "{f}"
        );
    }
}

#[test]
fn no_record_read_is_exit_1_naming_the_files() {
    let tmp = tempfile::tempdir().expect("tmp");
    let empty = tmp.path().join("empty.jsonl");
    std::fs::write(&empty, "").expect("write");
    let header = tmp.path().join("tickets.csv");
    std::fs::write(&header, "ticket_id,operator_id,accepted_at\n").expect("write");
    let out = tmp.path().join("out");
    let o = score(&[&empty, &header], &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("输入里没有一条记录"), "{err}");
    assert!(err.contains("empty.jsonl 是空文件"), "{err}");
    assert!(err.contains("tickets.csv 只有表头"), "{err}");
    assert!(!out.exists(), "outputs of an empty run were switched in");
    // Must not: one record is enough.
    let o = score(&[&samples("calls.jsonl"), &empty], &out);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `hotline-qa ARGS` with its standard output read by a reader that
/// closes it at once; the input on stdin, if any.
fn closed_pipe(args: &[&str], input: Option<Vec<u8>>) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    if let (Some(mut w), Some(bytes)) = (child.stdin.take(), input) {
        // The program may stop reading once its output is closed.
        let _ = w.write_all(&bytes);
    }
    child.wait_with_output().expect("wait")
}

#[test]
fn a_closed_pipe_ends_quietly_and_a_failed_write_is_exit_1() {
    let calls = std::fs::read(samples("calls.jsonl")).expect("calls");
    // Some 3 MB of output: more than any pipe holds.
    let many: Vec<u8> = calls
        .iter()
        .copied()
        .cycle()
        .take(calls.len() * 40)
        .collect();
    let explain_dir = samples("");
    let first_id = {
        let line = String::from_utf8_lossy(&calls)
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let v: serde_json::Value = serde_json::from_str(&line).expect("json");
        v["call_id"].as_str().expect("id").to_string()
    };
    let explain = [
        "explain",
        first_id.as_str(),
        explain_dir.to_str().expect("utf8"),
    ];
    for (args, input) in [
        (vec!["rules"], None),
        (vec!["config"], None),
        (explain.to_vec(), None),
        (vec!["score", "--stdin"], Some(many.clone())),
    ] {
        let o = closed_pipe(&args, input);
        let code = o.status.code();
        assert!(
            matches!(code, Some(0) | Some(141)),
            "{args:?}: {code:?} {}",
            stderr(&o)
        );
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
    // A full disk is not a closed pipe: exit 1, said.
    if Path::new("/dev/full").exists() {
        for (args, input) in [
            (vec!["rules"], None),
            (vec!["score", "--stdin"], Some(calls.clone())),
        ] {
            let mut child = bin()
                .args(&args)
                .stdin(if input.is_some() {
                    Stdio::piped()
                } else {
                    Stdio::null()
                })
                .stdout(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open("/dev/full")
                        .expect("full"),
                )
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn");
            if let (Some(mut w), Some(bytes)) = (child.stdin.take(), input) {
                let _ = w.write_all(&bytes);
            }
            let o = child.wait_with_output().expect("wait");
            assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
            assert!(stderr(&o).contains("错误"), "{args:?}: {}", stderr(&o));
        }
    }
}

#[cfg(unix)]
#[test]
fn score_stdin_with_stdout_closed_is_exit_1() {
    let o = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" score --stdin < \"$1\" >&-")
        .arg(env!("CARGO_BIN_EXE_hotline-qa"))
        .arg(samples("calls.jsonl"))
        .output()
        .expect("sh");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("标准输出已关闭"), "{}", stderr(&o));
    // Must not: an output thrown away on purpose is not a closed one.
    let o = bin()
        .args(["score", "--stdin", "--quiet"])
        .stdin(std::fs::File::open(samples("calls.jsonl")).expect("calls"))
        .stdout(Stdio::null())
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn sampling_again_never_overwrites_a_review_sheet() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = tmp.path().join("run");
    assert!(score(&[&samples("calls.jsonl")], &run).status.success());
    let sample = || bin().arg("sample").arg(&run).output().expect("sample");
    let o = sample();
    assert!(o.status.success(), "{}", stderr(&o));
    let sheet = run.join("review_sheet.xlsx");
    // The reviewer's work, as far as this test is concerned.
    std::fs::write(&sheet, "filled in").expect("write");
    let o = sample();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("review_sheet.xlsx 已存在"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&sheet).expect("read"), b"filled in");
    // Nor is the run folder, holding it now, replaced by a new score.
    let o = score(&[&samples("calls.jsonl")], &run);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("review_sheet.xlsx"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&sheet).expect("read"), b"filled in");
}

#[test]
fn a_sheet_missing_from_an_xls_workbook_is_a_usage_error() {
    // `--sheet` was checked against .xlsx files only: an .xls without that
    // sheet was read from its first sheet without a word.
    let dir = tempfile::tempdir().expect("tmp");
    let xls = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/xls/tickets.xls");
    let o = bin()
        .arg("score")
        .arg(&xls)
        .args(["--sheet", "没有这个表", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("没有这个工作表"), "{}", stderr(&o));
    assert!(!dir.path().join("out").exists());
}
