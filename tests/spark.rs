//! The Spark job (`deploy/spark/score_job.py`) gives the results of a
//! direct `hotline-qa score`: the same calls in the same order with the same
//! scores, points, findings and red lines, the same review columns (reviewed
//! score, findings that need review, appeals, confidence), the same rejects
//! (file, line, reason), Chinese text intact under `LANG=C`, and `hotline-qa
//! report` produces identical reports from either, as do the job's own
//! operators.csv, teams.csv and units.csv; a scorer that dies half way
//! through a partition fails the job with a clear message.
//!
//! Runs only where `python3 -c "import pyspark"` and `java -version` work
//! (`.ci/run` installs pyspark); elsewhere each test prints
//! `SKIPPED spark tests: <reason>` and passes, except when `CI` is set:
//! there a missing component fails the test. Spark runs in local[2]; the
//! tests run two at a time (about two minutes on two cores).

mod common;
use common::header_and_rows as read_csv;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use polars::prelude::*;

const AS_OF: &str = "2026-11-28T00:00:00+08:00";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_hotline-qa")
}

fn job_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/spark/score_job.py")
}

fn text(o: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Why the Spark tests cannot run here, if they cannot.
fn unavailable() -> Option<String> {
    let quiet = |c: &mut Command| {
        c.stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !quiet(Command::new("python3").args(["-c", "import pyspark"])) {
        return Some("python3 cannot import pyspark (pip install pyspark==3.5.7)".into());
    }
    if !quiet(Command::new("java").arg("-version")) {
        return Some("no working `java` (Spark needs Java 8/11/17)".into());
    }
    None
}

macro_rules! require_spark {
    () => {
        if let Some(why) = unavailable() {
            // In CI a missing Spark is an error, never a quiet pass.
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but the Spark tests cannot run: {why}; .ci/run must install it"
            );
            println!("SKIPPED spark tests: {why}");
            return;
        }
    };
}

fn run(cmd: &mut Command) -> Output {
    let o = cmd.output().expect("start");
    assert!(o.status.success(), "{cmd:?} failed:\n{}", text(&o));
    o
}

/// The job under a bare C locale: LANG/LC_* removed, LANG=C, and Python's
/// C-locale coercion off, so that the JVMs really start with ASCII defaults.
fn job(args: &[&str]) -> Command {
    let mut c = Command::new("python3");
    c.arg(job_script()).args(args);
    for (k, _) in std::env::vars() {
        if k == "LANG" || k == "LANGUAGE" || k.starts_with("LC_") {
            c.env_remove(&k);
        }
    }
    c.env("LANG", "C")
        .env("PYTHONCOERCECLOCALE", "0")
        .env("SPARK_LOCAL_IP", "127.0.0.1")
        .args(["--conf", "spark.ui.enabled=false"]);
    c
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// Every Parquet file under `path` (a file or a folder, in path order, as
/// `hotline-qa report` reads them), stacked.
fn read_parquet(path: &Path) -> DataFrame {
    let mut files = Vec::new();
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        let mut e: Vec<PathBuf> = std::fs::read_dir(d)
            .expect("list")
            .map(|e| e.expect("entry").path())
            .collect();
        e.sort();
        for f in e {
            if f.is_dir() {
                walk(&f, out);
            } else if f.extension().is_some_and(|x| x == "parquet") {
                out.push(f);
            }
        }
    }
    if path.is_dir() {
        walk(path, &mut files);
    } else {
        files.push(path.to_path_buf());
    }
    assert!(!files.is_empty(), "{}: no Parquet files", path.display());
    let mut df: Option<DataFrame> = None;
    for f in files {
        let part = ParquetReader::new(std::fs::File::open(&f).expect("open"))
            .finish()
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        match &mut df {
            None => df = Some(part),
            Some(d) => {
                d.vstack_mut(&part)
                    .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            }
        }
    }
    df.expect("frame")
}

/// Same columns, types and values, row by row; the first difference named.
fn assert_same_frame(what: &str, job: &DataFrame, direct: &DataFrame) {
    let names = |d: &DataFrame| -> Vec<(String, DataType)> {
        d.columns()
            .iter()
            .map(|c| (c.name().to_string(), c.dtype().clone()))
            .collect()
    };
    assert_eq!(names(job), names(direct), "{what}: columns or types differ");
    assert_eq!(job.height(), direct.height(), "{what}: row counts differ");
    for (a, b) in job.columns().iter().zip(direct.columns()) {
        if !a.equals_missing(b) {
            let row = (0..a.len())
                .find(|&i| a.get(i).ok() != b.get(i).ok())
                .unwrap_or(0);
            panic!(
                "{what}: column {} differs first at row {row}: job {:?}, direct {:?}",
                a.name(),
                a.get(row),
                b.get(row)
            );
        }
    }
}

fn strings(df: &DataFrame, col: &str) -> Vec<String> {
    let c = df.column(col).expect("column");
    let ca = c.str().expect("string column");
    (0..ca.len())
        .map(|i| ca.get(i).unwrap_or("").to_string())
        .collect()
}

/// The sum of an integer column, or the number of `true` in a boolean one.
fn total(df: &DataFrame, col: &str) -> i64 {
    let c = df
        .column(col)
        .expect("column")
        .cast(&DataType::Int64)
        .expect("cast");
    let ca = c.i64().expect("i64");
    (0..ca.len()).filter_map(|i| ca.get(i)).sum()
}

/// The job's own aggregates are byte-identical to `hotline-qa report`'s.
fn assert_same_reports(job_out: &Path, report: &Path, files: &[&str]) {
    for f in files {
        let a = String::from_utf8(std::fs::read(job_out.join(f)).expect(f)).expect("utf-8");
        let b = String::from_utf8(std::fs::read(report.join(f)).expect(f)).expect("utf-8");
        assert_eq!(a, b, "the job's {f} differs from hotline-qa report's");
    }
}

/// rejects.csv of a direct run, or the job's rejects/*.json, as
/// (file name, line, record_id, reason).
fn direct_rejects(dir: &Path) -> Vec<(String, u64, String, String)> {
    let mut r = csv::Reader::from_path(dir.join("rejects.csv")).expect("rejects.csv");
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            (
                file_name(&rec[0]),
                rec[1].parse().expect("line"),
                rec[2].to_string(),
                rec[3].to_string(),
            )
        })
        .collect()
}

fn job_rejects(dir: &Path) -> Vec<(String, u64, String, String)> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("rejects"))
        .expect("rejects/")
        .map(|e| e.expect("entry").path())
        .filter(|f| f.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for f in files {
        for line in std::fs::read_to_string(&f).expect("read").lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json");
            out.push((
                file_name(v["file"].as_str().unwrap_or("")),
                v["line"].as_u64().expect("line"),
                v["record_id"].as_str().unwrap_or("").to_string(),
                v["reason"].as_str().unwrap_or("").to_string(),
            ));
        }
    }
    out
}

fn file_name(s: &str) -> String {
    Path::new(s)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn gzip(from: &Path, to: &Path) {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(to).expect("create"),
        flate2::Compression::fast(),
    );
    enc.write_all(&std::fs::read(from).expect("read"))
        .expect("write");
    enc.finish().expect("finish");
}

/// A generated day split into two inputs in `通话记录/`: `a.jsonl` (a broken
/// line in it) and `b.jsonl.gz` (a truncated line, a duplicate call and a
/// blank line at its end).
struct Day {
    dir: tempfile::TempDir,
    inputs: Vec<PathBuf>,
    first_ids: Vec<String>,
}

fn day(calls: u32, seed: u32, split_at: usize) -> Day {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = dir.path().join("gen");
    run(Command::new(bin()).args([
        "gen",
        "--calls",
        &calls.to_string(),
        "--seed",
        &seed.to_string(),
        "--out",
        p(&g),
    ]));
    let all = std::fs::read_to_string(g.join("calls.jsonl")).expect("calls.jsonl");
    let lines: Vec<&str> = all.lines().collect();
    let first_ids: Vec<String> = lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("generated json");
            v["call_id"].as_str().expect("id").to_string()
        })
        .collect();
    // a: the first `split_at` calls, a broken line after three quarters of them.
    // A folder with a Chinese name: the JVMs must open it under LANG=C too.
    let inputs = dir.path().join("通话记录");
    std::fs::create_dir(&inputs).expect("mkdir");
    let a = inputs.join("a.jsonl");
    let mut a_lines: Vec<&str> = lines[..split_at].to_vec();
    if split_at > 0 {
        a_lines.insert(split_at * 3 / 4, "not json");
    }
    std::fs::write(&a, a_lines.join("\n") + "\n").expect("a");
    let b_plain = inputs.join("b.jsonl");
    let mut b = lines[split_at..].join("\n");
    b.push_str("\n{\"call_id\": \"broken-1\", \"utterances\": [\n");
    b.push_str(lines[7]);
    b.push_str("\n\n");
    std::fs::write(&b_plain, b).expect("b");
    let bz = inputs.join("b.jsonl.gz");
    gzip(&b_plain, &bz);
    std::fs::remove_file(&b_plain).expect("rm");
    Day {
        inputs: vec![a, bz],
        first_ids,
        dir,
    }
}

impl Day {
    fn gen(&self, name: &str) -> PathBuf {
        self.dir.path().join("gen").join(name)
    }

    fn direct(&self) -> PathBuf {
        let out = self.dir.path().join("direct");
        run(Command::new(bin())
            .arg("score")
            .args(&self.inputs)
            .arg(self.gen("tickets.csv"))
            .arg("--directory")
            .arg(self.gen("directory.csv"))
            .args(["--as-of", AS_OF, "--quiet", "--out"])
            .arg(&out));
        out
    }

    fn job_args(&self, out: &Path, binary: &str) -> Vec<String> {
        let input: Vec<&str> = self.inputs.iter().map(|i| p(i)).collect();
        [
            "--input",
            &input.join(","),
            "--binary",
            binary,
            "--tickets",
            p(&self.gen("tickets.csv")),
            "--directory",
            p(&self.gen("directory.csv")),
            "--as-of",
            AS_OF,
            "--out",
            p(out),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
}

fn report(run_dir: &Path, out: &Path) {
    run(Command::new(bin())
        .arg("report")
        .arg(run_dir)
        .arg("--out")
        .arg(out));
}

#[test]
fn spark_job_gives_the_direct_results() {
    require_spark!();
    let d = day(3000, 11, 2000);
    let direct = d.direct();
    let out = d.dir.path().join("spark");
    // At least four tasks: a.jsonl is read as several splits.
    let mut args = d.job_args(&out, bin());
    args.extend(["--partitions".to_string(), "4".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&mut job(&args));
    let log = text(&o);
    assert!(
        log.contains("read 3004 lines") && log.contains("scored 3000, rejected 4"),
        "{log}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("_job.json")).expect("_job.json"))
            .expect("json");
    let splits = summary["input_splits"].as_u64().expect("input_splits");
    assert!(splits >= 4, "{summary}");
    assert_eq!(summary["partitions"].as_u64(), Some(splits), "{summary}");

    // Calls: same ids in input order (first of a duplicate kept), same
    // columns, types and values, Chinese intact.
    let calls = read_parquet(&out.join("calls.parquet"));
    let direct_calls = read_parquet(&direct.join("calls.parquet"));
    assert_eq!(
        strings(&calls, "call_id"),
        d.first_ids,
        "ids or order differ"
    );
    assert_same_frame("calls.parquet", &calls, &direct_calls);
    let names = strings(&calls, "operator_name");
    assert!(
        names
            .iter()
            .any(|n| n.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))),
        "no Chinese operator names: {:?}",
        &names[..5]
    );
    assert!(
        !names
            .iter()
            .chain(strings(&calls, "team").iter())
            .any(|n| n.contains('?') || n.contains('\u{fffd}')),
        "mangled text"
    );
    let findings = read_parquet(&out.join("findings.parquet"));
    assert!(findings.height() > 100, "too few findings");
    assert_same_frame(
        "findings.parquet",
        &findings,
        &read_parquet(&direct.join("findings.parquet")),
    );
    // The review columns are compared above; some findings need review
    // (uncertain words), so the comparison is not between two zeros.
    assert!(total(&calls, "needs_review") > 0, "no call needs review");
    assert_eq!(
        total(&calls, "needs_review"),
        total(&findings, "needs_review"),
        "calls' and findings' needs_review disagree"
    );
    assert!(
        calls.column("confidence").expect("confidence").null_count() < calls.height(),
        "no confidence"
    );
    assert_same_frame(
        "tickets.parquet",
        &read_parquet(&out.join("tickets.parquet")),
        &read_parquet(&direct.join("tickets.parquet")),
    );

    // Rejects: the same file, line, id and reason as rejects.csv. a.jsonl
    // is read as several splits: the line number of its broken line counts
    // the lines of the splits before its own.
    let rejects = job_rejects(&out);
    assert_eq!(rejects, direct_rejects(&direct));
    assert_eq!(rejects.len(), 4, "{rejects:?}");
    assert_eq!((rejects[0].0.as_str(), rejects[0].1), ("a.jsonl", 1501));

    // hotline-qa report reads the job's folders like a run of its own.
    let (r1, r2) = (d.dir.path().join("r1"), d.dir.path().join("r2"));
    report(&out, &r1);
    report(&direct, &r2);
    for f in [
        "operators.csv",
        "units.csv",
        "teams.csv",
        "norms.csv",
        "daily.csv",
    ] {
        let a = std::fs::read(r1.join(f)).expect(f);
        assert_eq!(a, std::fs::read(r2.join(f)).expect(f), "report {f} differs");
    }
    // And the job's own Spark SQL aggregates match them byte for byte.
    assert_same_reports(&out, &r2, &["operators.csv", "teams.csv", "units.csv"]);
    let (header, rows) = read_csv(&out.join("operators.csv"));
    let at = |c: &str| header.iter().position(|h| h == c).expect(c);
    let ranked = rows.iter().filter(|r| !r[at("rank")].is_empty()).count();
    assert!(
        ranked > 1,
        "nobody ranked: the ranking order is not checked"
    );
    let pending: u64 = rows
        .iter()
        .map(|r| r[at("needs_review")].parse::<u64>().expect("needs_review"))
        .sum();
    assert!(pending > 0, "operators.csv: no findings need review");
}

/// The sample day: call 20261127-000250 has two findings on words heard
/// over the caller (needs_review, no points yet). With a ranking minimum of
/// 4 calls, six operators are ranked and two listed after.
#[test]
fn spark_job_gives_the_review_columns_of_the_sample_day() {
    require_spark!();
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[reports]\nmin_calls_for_rank = 4\n").expect("config");
    let direct = dir.path().join("direct");
    run(Command::new(bin())
        .arg("score")
        .arg(samples.join("calls.jsonl"))
        .arg(samples.join("tickets.csv"))
        .arg("--directory")
        .arg(samples.join("directory.csv"))
        .arg("--config")
        .arg(&config)
        .args(["--as-of", AS_OF, "--quiet", "--out"])
        .arg(&direct));
    let out = dir.path().join("spark");
    run(&mut job(&[
        "--input",
        p(&samples.join("calls.jsonl")),
        "--binary",
        bin(),
        "--tickets",
        p(&samples.join("tickets.csv")),
        "--directory",
        p(&samples.join("directory.csv")),
        "--config",
        p(&config),
        "--as-of",
        AS_OF,
        "--partitions",
        "2",
        "--out",
        p(&out),
    ]));

    let calls = read_parquet(&out.join("calls.parquet"));
    assert_same_frame(
        "calls.parquet",
        &calls,
        &read_parquet(&direct.join("calls.parquet")),
    );
    let findings = read_parquet(&out.join("findings.parquet"));
    assert_same_frame(
        "findings.parquet",
        &findings,
        &read_parquet(&direct.join("findings.parquet")),
    );
    let the_call = calls
        .clone()
        .lazy()
        .filter(col("call_id").eq(lit("20261127-000250")))
        .collect()
        .expect("filter");
    // 000250: two 你 and the caller's 我要投诉 (ticket.category_mismatch,
    // issue #19) spoken over the other party; 000404: a same-pinyin surname.
    assert_eq!(total(&the_call, "needs_review"), 3, "{the_call}");
    let pending = findings
        .clone()
        .lazy()
        .filter(col("needs_review"))
        .collect()
        .expect("filter");
    assert_eq!(
        strings(&pending, "call_id"),
        [
            "20261127-000250",
            "20261127-000250",
            "20261127-000250",
            "20261127-000404"
        ]
    );
    assert_eq!(
        strings(&pending, "rule"),
        [
            "courtesy.ni",
            "courtesy.ni",
            "ticket.category_mismatch",
            "ticket.name_mismatch"
        ]
    );
    for c in ["verdict", "appeal", "reviewer", "review_comment"] {
        assert!(strings(&findings, c).iter().all(String::is_empty), "{c}");
    }

    let report_dir = dir.path().join("report");
    run(Command::new(bin())
        .arg("report")
        .arg(&direct)
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&report_dir));
    assert_same_reports(
        &out,
        &report_dir,
        &["operators.csv", "teams.csv", "units.csv"],
    );
    let (header, rows) = read_csv(&out.join("operators.csv"));
    let at = |c: &str| header.iter().position(|h| h == c).expect(c);
    let ranks: Vec<&str> = rows.iter().map(|r| r[at("rank")].as_str()).collect();
    // Every sample operator has 5 calls or more since issue #19's calls.
    assert_eq!(ranks, ["1", "2", "3", "4", "5", "6", "7", "8"], "{rows:?}");
    let zhang = rows
        .iter()
        .find(|r| r[at("operator_id")] == "1047")
        .expect("operator 1047");
    assert_eq!(zhang[at("needs_review")], "3", "{zhang:?}");
    assert_eq!(zhang[at("appeals")], "0", "{zhang:?}");
    assert_eq!(zhang[at("reviewed_mean_score")], zhang[at("mean_score")]);
    let (header, rows) = read_csv(&out.join("teams.csv"));
    let at = |c: &str| header.iter().position(|h| h == c).expect(c);
    let teams: Vec<&str> = rows.iter().map(|r| r[at("team")].as_str()).collect();
    assert_eq!(teams, ["A班", "B班", "C班", "合计"]);
    // A班: 000250's three; 合计: and 000404's (2025, B班).
    assert_eq!(rows[0][at("needs_review")], "3");
    assert_eq!(rows[3][at("needs_review")], "4");
}

#[test]
fn spark_job_keeps_order_when_it_repartitions_one_gz_file() {
    require_spark!();
    // All of b in one .gz: one input split, spread over three tasks.
    let d = day(600, 5, 0);
    let d = Day {
        inputs: vec![d.inputs[1].clone()],
        ..d
    };
    let direct = d.direct();
    let out = d.dir.path().join("spark");
    let mut args = d.job_args(&out, bin());
    args.extend(["--partitions".to_string(), "3".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = run(&mut job(&args));
    assert!(text(&o).contains("in 3 partitions"), "{}", text(&o));
    let calls = read_parquet(&out.join("calls.parquet"));
    assert_eq!(strings(&calls, "call_id"), d.first_ids);
    assert_same_frame(
        "calls.parquet",
        &calls,
        &read_parquet(&direct.join("calls.parquet")),
    );
    assert_eq!(job_rejects(&out), direct_rejects(&direct));
}

#[test]
fn spark_job_fails_loudly_when_the_scorer_dies_mid_partition() {
    require_spark!();
    let d = day(600, 3, 600);
    let wrapper = d.dir.path().join("dies-after-100.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n\
             # Scores the first 100 lines of its input, then dies with exit code 3.\n\
             tmp=$(mktemp); cat > \"$tmp\"; n=$(wc -l < \"$tmp\")\n\
             head -n 100 \"$tmp\" | '{}' \"$@\"; rm -f \"$tmp\"\n\
             if [ \"$n\" -gt 100 ]; then echo 'dies-after-100: simulated crash' >&2; exit 3; fi\n",
            bin()
        ),
    )
    .expect("wrapper");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let out = d.dir.path().join("spark");
    let args = d.job_args(&out, p(&wrapper));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = job(&args).output().expect("start");
    let log = text(&o);
    assert!(!o.status.success(), "the job should fail:\n{log}");
    assert_eq!(o.status.code(), Some(1), "{log}");
    assert!(
        log.contains("FAILED: the scorer exited with code 3"),
        "no clear message:\n{log}"
    );
    assert!(
        !out.join("calls.parquet").exists(),
        "results written after a failure"
    );

    // A relative binary is refused before Spark starts.
    let args = d.job_args(&out, "target/release/hotline-qa");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = job(&args).output().expect("start");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not an absolute path"), "{}", text(&o));
}

/// First-call resolution (issue #19): the job's Spark SQL links repeat
/// calls as `hotline-qa report` does — a number in several forms, a
/// ticket without a number linked through its call's caller_number, a
/// second place not linked, a first call still in its window left out —
/// and writes the same operators.csv, teams.csv and units.csv; the
/// calls.parquet of both carry the same masked number and link key.
#[test]
fn spark_job_counts_first_calls_as_report_does() {
    require_spark!();
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/repeats");
    let dir = tempfile::tempdir().expect("tempdir");
    let as_of = "2026-12-31T00:00:00+08:00";
    let direct = dir.path().join("direct");
    run(Command::new(bin())
        .arg("score")
        .arg(data.join("calls.jsonl"))
        .arg(data.join("tickets.csv"))
        .args(["--as-of", as_of, "--quiet", "--out"])
        .arg(&direct));
    let out = dir.path().join("spark");
    run(&mut job(&[
        "--input",
        p(&data.join("calls.jsonl")),
        "--binary",
        bin(),
        "--tickets",
        p(&data.join("tickets.csv")),
        "--as-of",
        as_of,
        "--partitions",
        "2",
        "--out",
        p(&out),
    ]));
    assert_same_frame(
        "calls.parquet",
        &read_parquet(&out.join("calls.parquet")),
        &read_parquet(&direct.join("calls.parquet")),
    );
    let report_dir = dir.path().join("report");
    report(&direct, &report_dir);
    assert_same_reports(
        &out,
        &report_dir,
        &["operators.csv", "teams.csv", "units.csv"],
    );
    // Not all zeros: 1024's first call was repeated, 1031's two were not.
    let (header, rows) = read_csv(&out.join("operators.csv"));
    let at = |c: &str| header.iter().position(|h| h == c).expect(c);
    let fcr: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r[at("operator_id")].as_str(),
                r[at("first_calls")].as_str(),
                r[at("first_call_resolution")].as_str(),
            )
        })
        .collect();
    assert!(fcr.contains(&("1024", "1", "0.0000")), "{fcr:?}");
    assert!(fcr.contains(&("1031", "2", "1.0000")), "{fcr:?}");
    assert!(fcr.contains(&("2025", "0", "")), "{fcr:?}");
}

#[test]
fn spark_job_follows_a_centres_own_items() {
    require_spark!();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let samples = root.join("samples");
    // Ten items: seven of the eleven, three new ones (issue #18).
    let config = root.join("docs/examples/本中心评分表.toml");
    let dir = tempfile::tempdir().expect("tempdir");
    let direct = dir.path().join("direct");
    run(Command::new(bin())
        .arg("score")
        .arg(samples.join("calls.jsonl"))
        .arg(samples.join("tickets.csv"))
        .arg("--directory")
        .arg(samples.join("directory.csv"))
        .arg("--config")
        .arg(&config)
        .args(["--as-of", AS_OF, "--quiet", "--out"])
        .arg(&direct));
    let out = dir.path().join("spark");
    run(&mut job(&[
        "--input",
        p(&samples.join("calls.jsonl")),
        "--binary",
        bin(),
        "--tickets",
        p(&samples.join("tickets.csv")),
        "--directory",
        p(&samples.join("directory.csv")),
        "--config",
        p(&config),
        "--as-of",
        AS_OF,
        "--partitions",
        "2",
        "--out",
        p(&out),
    ]));
    let calls = read_parquet(&out.join("calls.parquet"));
    for c in ["restate", "fail_no_promise"] {
        assert!(calls.column(c).is_ok(), "{c}");
    }
    assert!(calls.column("pace").is_err());
    assert_same_frame(
        "calls.parquet",
        &calls,
        &read_parquet(&direct.join("calls.parquet")),
    );
    assert_same_frame(
        "findings.parquet",
        &read_parquet(&out.join("findings.parquet")),
        &read_parquet(&direct.join("findings.parquet")),
    );
    let report_dir = dir.path().join("report");
    run(Command::new(bin())
        .arg("report")
        .arg(&direct)
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&report_dir));
    assert_same_reports(&out, &report_dir, &["operators.csv", "teams.csv"]);
    let (header, _) = read_csv(&out.join("operators.csv"));
    assert!(
        header.iter().any(|h| h == "fail_rate_restate"),
        "{header:?}"
    );
}
