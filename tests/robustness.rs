//! Bad input never crashes a run or loses a record (issue 6), end to end:
//! each test runs the built binary in a temporary folder on inputs made to
//! be wrong in one defined way, and checks that every record ends up either
//! in the results or in `rejects.csv` (file, line, record id, reason), that
//! the summary's `读取 = 评分 + 拒收` holds, and the exit code.
//!
//! The readers' own unit tests (src/input/*.rs) check the reasons in
//! detail; `tests/cli.rs` covers the samples, GBK and XLSX tickets, gzip,
//! bad config and lexicon files. `tests/props.rs` feeds arbitrary bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

const AS_OF: &str = "2026-11-28T00:00:00+08:00";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
}

fn samples(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Runs `score INPUTS… --out OUT --as-of AS_OF` with the given thread count.
fn score_with(inputs: &[&Path], extra: &[&str], out: &Path, threads: &str) -> Output {
    let mut cmd = bin();
    cmd.env("RAYON_NUM_THREADS", threads)
        .arg("score")
        .args(inputs)
        .args(extra)
        .arg("--out")
        .arg(out)
        .arg("--as-of")
        .arg(AS_OF);
    cmd.output().expect("run hotline-qa")
}

fn score(inputs: &[&Path], extra: &[&str], out: &Path) -> Output {
    score_with(inputs, extra, out, "2")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The data rows of an output CSV (BOM and header skipped).
fn rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    r.records()
        .map(|x| x.expect("row").iter().map(str::to_string).collect())
        .collect()
}

/// The value of column `name` in each row of an output CSV.
fn column(path: &Path, name: &str) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().expect("header").clone();
    let i = headers
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}') == name)
        .unwrap_or_else(|| panic!("{}: no column {name}: {headers:?}", path.display()));
    r.records()
        .map(|x| x.expect("row").get(i).unwrap_or("").to_string())
        .collect()
}

/// (read, used, rejected) from the summary line that starts with `what`
/// (`通话` or `工单`), e.g. "通话：读取 7 条，评分 2 条，拒收 5 条".
fn counts(err: &str, what: &str) -> (u64, u64, u64) {
    let line = err
        .lines()
        .find(|l| l.starts_with(&format!("{what}：读取")))
        .unwrap_or_else(|| panic!("no {what} summary line in:\n{err}"));
    let nums: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|x| !x.is_empty())
        .filter_map(|x| x.parse().ok())
        .collect();
    assert!(nums.len() >= 3, "{line}");
    assert!(line.contains('✓'), "read ≠ used + rejected: {line}");
    (nums[0], nums[1], nums[2])
}

/// A well-formed call with the given utterances.
fn call(id: &str, utterances: Value) -> Value {
    json!({
        "call_id": id,
        "operator_id": "1024",
        "operator_name": "王芳",
        "team": "A班",
        "started_at": "2026-11-27T09:15:02+08:00",
        "ended_by": "agent",
        "utterances": utterances,
    })
}

fn good_utterances() -> Value {
    json!([
        {"speaker": "agent", "start": 0.8, "end": 4.8, "text": "您好！市长热线，请问有什么可以帮到您？", "confidence": 0.95},
        {"speaker": "caller", "start": 5.2, "end": 9.0, "text": "我家楼下的路灯坏了，晚上很黑。"},
        {"speaker": "agent", "start": 9.4, "end": 13.0, "text": "好的，请问是哪个小区几号楼？"},
        {"speaker": "caller", "start": 13.5, "end": 16.0, "text": "滨河花园三号楼。"},
        {"speaker": "agent", "start": 16.4, "end": 20.4, "text": "感谢您的来电，再见！"}
    ])
}

fn good(id: &str) -> String {
    call(id, good_utterances()).to_string()
}

/// `good(id)` with one field of the call replaced.
fn with_field(id: &str, key: &str, v: Value) -> String {
    let mut c = call(id, good_utterances());
    c[key] = v;
    c.to_string()
}

/// `good(id)` without one field.
fn without_field(id: &str, key: &str) -> String {
    let mut c = call(id, good_utterances());
    c.as_object_mut().expect("object").remove(key);
    c.to_string()
}

/// `good(id)` with field `key` of utterance 1 set to `v` (or removed when `v` is null).
fn with_utterance_field(id: &str, key: &str, v: Value) -> String {
    let mut u = good_utterances();
    if v.is_null() {
        u[1].as_object_mut().expect("object").remove(key);
    } else {
        u[1][key] = v;
    }
    call(id, u).to_string()
}

// ---------------------------------------------------------------------------
// Transcripts
// ---------------------------------------------------------------------------

/// One line of the mixed file: its bytes, and either `None` (scored) or
/// `Some((record_id, reason fragment))` (rejected).
type Case = (Vec<u8>, Option<(&'static str, &'static str)>);

fn mixed_transcript_cases() -> Vec<Case> {
    let mut bad_utf8 = good("U1").into_bytes();
    let at = bad_utf8
        .windows(3)
        .position(|w| w == "路".as_bytes())
        .expect("路");
    bad_utf8[at + 1] = 0xFF;
    let mut out_of_order = good_utterances();
    let arr = out_of_order.as_array_mut().expect("array");
    arr.swap(0, 3);
    let overlapping = json!([
        {"speaker": "agent", "start": 0.8, "end": 4.8, "text": "您好！市长热线，请问有什么可以帮到您？"},
        {"speaker": "caller", "start": 3.0, "end": 9.0, "text": "我家楼下的路灯坏了，晚上很黑。"},
        {"speaker": "agent", "start": 5.0, "end": 13.0, "text": "好的，请问是哪个小区几号楼？"},
        {"speaker": "agent", "start": 12.0, "end": 16.0, "text": "感谢您的来电，再见！"}
    ]);
    let mut crlf = good("CRLF").into_bytes();
    crlf.push(b'\r');
    let mut numeric_ids = call("x", good_utterances());
    numeric_ids["call_id"] = json!(20261127000999_u64);
    numeric_ids["operator_id"] = json!(1024);
    let mut bom_first = b"\xEF\xBB\xBF".to_vec();
    bom_first.extend_from_slice(good("BOM").as_bytes());

    let b = |s: &str| s.as_bytes().to_vec();
    vec![
        (bom_first, None),
        // Invalid JSON: a line cut off, trailing garbage, a number JSON cannot hold.
        (
            b(r#"{"call_id": "T1", "operator_id": "1024", "utteran"#),
            Some(("", "不是合法的 JSON")),
        ),
        (
            format!("{} x", good("T2")).into_bytes(),
            Some(("", "不是合法的 JSON")),
        ),
        (
            with_utterance_field("T3", "start", json!(1))
                .replace("\"start\":1,", "\"start\":1e400,")
                .into_bytes(),
            Some(("", "不是合法的 JSON")),
        ),
        // Not an object.
        (b("[1, 2, 3]"), Some(("", "不是 JSON 对象"))),
        (b("null"), Some(("", "不是 JSON 对象"))),
        // Missing or wrongly typed required fields.
        (
            without_field("M0", "call_id").into_bytes(),
            Some(("", "call_id")),
        ),
        (
            without_field("M1", "operator_id").into_bytes(),
            Some(("M1", "operator_id")),
        ),
        (
            without_field("M2", "started_at").into_bytes(),
            Some(("M2", "started_at")),
        ),
        (
            with_field("M3", "started_at", json!(20261127)).into_bytes(),
            Some(("M3", "started_at 应为字符串")),
        ),
        (
            with_field("M4", "started_at", json!("昨天下午")).into_bytes(),
            Some(("M4", "不是有效时间")),
        ),
        (
            without_field("M5", "utterances").into_bytes(),
            Some(("M5", "utterances")),
        ),
        (
            with_field("M6", "utterances", json!("你好")).into_bytes(),
            Some(("M6", "utterances 应为数组")),
        ),
        (
            with_field("M7", "utterances", json!([1])).into_bytes(),
            Some(("M7", "utterances[0] 应为对象")),
        ),
        (
            with_utterance_field("M8", "start", json!("5.2")).into_bytes(),
            Some(("M8", "utterances[1].start 应为数字")),
        ),
        (
            with_utterance_field("M9", "text", Value::Null).into_bytes(),
            Some(("M9", "utterances[1] 缺少 text")),
        ),
        (
            with_utterance_field("M10", "speaker", json!(1)).into_bytes(),
            Some(("M10", "utterances[1].speaker 应为字符串")),
        ),
        (
            with_field("M11", "ended_by", json!("nobody")).into_bytes(),
            Some(("M11", "ended_by")),
        ),
        (
            with_utterance_field("M12", "confidence", json!(1.5)).into_bytes(),
            Some(("M12", "confidence")),
        ),
        // Unknown speaker; negative and reversed times; an empty call.
        (
            with_utterance_field("S1", "speaker", json!("robot")).into_bytes(),
            Some(("S1", "robot")),
        ),
        (
            with_utterance_field("S2", "start", json!(-1.0)).into_bytes(),
            Some(("S2", "负数")),
        ),
        (
            with_utterance_field("S3", "end", json!(1.0)).into_bytes(),
            Some(("S3", "早于")),
        ),
        (
            with_field("S4", "utterances", json!([])).into_bytes(),
            Some(("S4", "没有任何发言")),
        ),
        // Invalid UTF-8 inside the text of a line; blank lines.
        (bad_utf8, Some(("", "UTF-8"))),
        (Vec::new(), Some(("", "空行"))),
        (b("   \t"), Some(("", "空行"))),
        // A duplicate: the first (line 1) is kept.
        (good("BOM").into_bytes(), Some(("BOM", "重复"))),
        // Scored: out of order (re-sorted), overlapping, numeric ids, CRLF.
        (call("ORDER", out_of_order).to_string().into_bytes(), None),
        (call("OVERLAP", overlapping).to_string().into_bytes(), None),
        (numeric_ids.to_string().into_bytes(), None),
        (crlf, None),
    ]
}

fn write_lines(path: &Path, lines: &[Vec<u8>]) {
    let mut bytes = Vec::new();
    for l in lines {
        bytes.extend_from_slice(l);
        bytes.push(b'\n');
    }
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn every_bad_transcript_kind_is_rejected_and_the_rest_scored() {
    let dir = tempfile::tempdir().expect("tmp");
    let cases = mixed_transcript_cases();
    let path = dir.path().join("mixed.jsonl");
    write_lines(
        &path,
        &cases.iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
    );
    let out = dir.path().join("out");
    let o = score(&[&path], &[], &out);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");

    let want_rejected: Vec<(u64, &str, &str)> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, (_, r))| r.map(|(id, why)| (i as u64 + 1, id, why)))
        .collect();
    let n = cases.len() as u64;
    let r = want_rejected.len() as u64;
    assert_eq!(counts(&err, "通话"), (n, n - r, r), "{err}");

    let rejects = rows(&out.join("rejects.csv"));
    assert_eq!(rejects.len() as u64, r, "{rejects:#?}");
    for (row, (line, id, why)) in rejects.iter().zip(&want_rejected) {
        assert_eq!(row[0], s(&path), "{row:?}");
        assert_eq!(row[1], line.to_string(), "{row:?}");
        assert_eq!(row[2], *id, "line {line}: {row:?}");
        assert!(row[3].contains(why), "line {line}: want {why:?} in {row:?}");
    }
    let ids = column(&out.join("calls.csv"), "call_id");
    assert_eq!(
        ids,
        ["BOM", "ORDER", "OVERLAP", "20261127000999", "CRLF"],
        "calls.csv in input order"
    );
    assert_eq!(rows(&out.join("calls.csv")).len() as u64, n - r);
    // The re-sorted call is named in the summary.
    assert!(err.contains("已按开始时间重新排序（如 ORDER）"), "{err}");
    assert!(err.contains("拒收的记录及原因见 rejects.csv"), "{err}");
}

#[test]
fn a_json_array_is_not_a_call() {
    // serde reads a struct from a JSON array too, by position; a transcript
    // line must be an object with named fields.
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("arr.jsonl");
    let lines = [
        good("G1").into_bytes(),
        r#"["A1","1024",null,null,"2026-11-27T09:00:00+08:00",null,[["agent",0,1,"您好",null]]]"#
            .as_bytes()
            .to_vec(),
    ];
    write_lines(&path, &lines);
    let out = dir.path().join("out");
    let o = score(&[&path], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(counts(&err, "通话"), (2, 1, 1), "{err}");
    let rejects = rows(&out.join("rejects.csv"));
    assert_eq!(rejects[0][1], "2");
    assert!(rejects[0][3].contains("不是 JSON 对象"), "{:?}", rejects[0]);
}

#[test]
fn mixed_bad_input_gives_the_same_bytes_with_one_or_two_threads() {
    let dir = tempfile::tempdir().expect("tmp");
    let cases = mixed_transcript_cases();
    let path = dir.path().join("mixed.jsonl");
    write_lines(
        &path,
        &cases.iter().map(|c| c.0.clone()).collect::<Vec<_>>(),
    );
    let tickets = dir.path().join("tickets.csv");
    std::fs::write(
        &tickets,
        "ticket_id,call_id,operator_id,accepted_at,category,handling\n\
         T1,BOM,1024,2026-11-27 09:20,咨询,直接办理\n\
         T1,ORDER,1024,2026-11-27 09:20,咨询,直接办理\n\
         T2,ORDER,1024,2026/11/27 9:21,其他,直接办理\n\
         T3,,1024,,咨询,直接办理\n",
    )
    .expect("write");
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    let a = score_with(&[&tickets, &path], &[], &one, "1");
    let b = score_with(&[&tickets, &path], &[], &two, "2");
    assert!(a.status.success(), "{}", stderr(&a));
    assert!(b.status.success(), "{}", stderr(&b));
    for name in [
        "calls.csv",
        "findings.csv",
        "tickets.csv",
        "units.csv",
        "rejects.csv",
    ] {
        assert_eq!(
            std::fs::read(one.join(name)).expect("read"),
            std::fs::read(two.join(name)).expect("read"),
            "{name}"
        );
    }
}

#[test]
fn batches_keep_line_numbers_order_and_first_of_duplicates() {
    // More lines than one parallel batch (4096), with duplicates across the
    // batch boundary and bad lines on both sides of it.
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("many.jsonl");
    let short = json!([
        {"speaker": "agent", "start": 0.5, "end": 4.5, "text": "您好！市长热线，请问有什么可以帮到您？"},
        {"speaker": "agent", "start": 5.0, "end": 8.0, "text": "我不知道，感谢您的来电，再见！"}
    ]);
    let n = 4_500u64;
    // (line, the earlier line it duplicates): 4100 and 4200 are in the second batch.
    let duplicates = [(998u64, 5u64), (4100, 4090), (4200, 10)];
    let broken = [1000u64, 4096, 4097];
    let mut f = BufWriter::new(File::create(&path).expect("create"));
    let mut want_rejects = Vec::new();
    let mut want_ids = Vec::new();
    for line in 1..=n {
        if broken.contains(&line) {
            writeln!(f, "{{\"call_id\": \"broken{line}").expect("write");
            want_rejects.push((line, String::new()));
        } else if let Some((_, first)) = duplicates.iter().find(|(l, _)| *l == line) {
            let id = format!("C{first}");
            writeln!(f, "{}", call(&id, short.clone())).expect("write");
            want_rejects.push((line, id));
        } else {
            let id = format!("C{line}");
            writeln!(f, "{}", call(&id, short.clone())).expect("write");
            want_ids.push(id);
        }
    }
    f.flush().expect("flush");
    drop(f);
    let out = dir.path().join("out");
    let o = score(&[&path], &["--quiet"], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let r = want_rejects.len() as u64;
    assert_eq!(counts(&err, "通话"), (n, n - r, r));
    let got: Vec<(u64, String)> = rows(&out.join("rejects.csv"))
        .into_iter()
        .map(|row| (row[1].parse().expect("line"), row[2].clone()))
        .collect();
    assert_eq!(got, want_rejects);
    assert_eq!(column(&out.join("calls.csv"), "call_id"), want_ids);
    // Every kept call has the same findings (the same dialogue), in call
    // order; a rejected duplicate's findings are not written.
    let findings = column(&out.join("findings.csv"), "call_id");
    let each = findings.iter().filter(|id| *id == "C1").count();
    assert!(each > 0, "the dialogue has no finding to follow");
    let want: Vec<&String> = want_ids
        .iter()
        .flat_map(|id| std::iter::repeat_n(id, each))
        .collect();
    let first_wrong = findings.iter().zip(&want).position(|(a, b)| a != *b);
    assert_eq!(
        (findings.len(), first_wrong),
        (want.len(), None),
        "findings.csv rows: (count, first out of place)"
    );
}

#[test]
fn a_duplicate_call_id_in_a_second_file_is_rejected_there() {
    let dir = tempfile::tempdir().expect("tmp");
    let a = dir.path().join("a.jsonl");
    write_lines(&a, &[good("D1").into_bytes(), good("D2").into_bytes()]);
    let b = dir.path().join("b.jsonl.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    writeln!(enc, "{}\n{}", good("D3"), good("D1")).expect("gz");
    std::fs::write(&b, enc.finish().expect("gz")).expect("write");
    let out = dir.path().join("out");
    let o = score(&[&a, &b], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(counts(&err, "通话"), (4, 3, 1));
    assert_eq!(
        column(&out.join("calls.csv"), "call_id"),
        ["D1", "D2", "D3"]
    );
    let rejects = rows(&out.join("rejects.csv"));
    assert_eq!(
        (
            rejects[0][0].as_str(),
            rejects[0][1].as_str(),
            rejects[0][2].as_str()
        ),
        (s(&b), "2", "D1")
    );
    assert!(rejects[0][3].contains("重复"), "{:?}", rejects[0]);
}

#[test]
fn a_line_over_64_mib_is_rejected_and_the_lines_after_it_scored() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("huge.jsonl");
    {
        let mut f = BufWriter::with_capacity(1 << 20, File::create(&path).expect("create"));
        writeln!(f, "{}", good("BEFORE")).expect("write");
        // 65 MiB of one string value, written a mebibyte at a time.
        write!(
            f,
            "{{\"call_id\": \"HUGE\", \"operator_id\": \"1\", \"text\": \""
        )
        .expect("write");
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..65 {
            f.write_all(&chunk).expect("write");
        }
        writeln!(f, "\"}}").expect("write");
        writeln!(f, "{}", good("AFTER1")).expect("write");
        writeln!(f, "{}", good("AFTER2")).expect("write");
        f.flush().expect("flush");
    }
    assert!(std::fs::metadata(&path).expect("meta").len() > 65 << 20);
    let out = dir.path().join("out");
    let o = score(&[&path], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(counts(&err, "通话"), (4, 3, 1));
    let rejects = rows(&out.join("rejects.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0][1], "2");
    assert!(rejects[0][3].contains("超过单行上限"), "{:?}", rejects[0]);
    assert!(rejects[0][3].contains("67108864"), "{:?}", rejects[0]);
    assert_eq!(
        column(&out.join("calls.csv"), "call_id"),
        ["BEFORE", "AFTER1", "AFTER2"]
    );
}

/// A call of `n` alternating utterances, built in a loop.
fn call_of(id: &str, n: usize) -> String {
    let mut line = String::with_capacity(n * 64 + 200);
    line.push_str(&format!(
        "{{\"call_id\":\"{id}\",\"operator_id\":\"1\",\"started_at\":\"2026-11-27T09:00:00+08:00\",\"utterances\":["
    ));
    for i in 0..n {
        if i > 0 {
            line.push(',');
        }
        let speaker = if i % 2 == 0 { "agent" } else { "caller" };
        let t = i as f64 * 2.0;
        line.push_str(&format!(
            "{{\"speaker\":\"{speaker}\",\"start\":{t},\"end\":{},\"text\":\"好的请问\"}}",
            t + 1.5
        ));
    }
    line.push_str("]}");
    line
}

#[test]
fn a_call_of_100001_utterances_is_rejected_against_the_limit() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("long.jsonl");
    let lines = [
        good("A").into_bytes(),
        call_of("TOO_LONG", 100_001).into_bytes(),
        good("B").into_bytes(),
    ];
    write_lines(&path, &lines);
    let out = dir.path().join("out");
    let o = score(&[&path], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(counts(&err, "通话"), (3, 2, 1));
    let rejects = rows(&out.join("rejects.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(
        (rejects[0][1].as_str(), rejects[0][2].as_str()),
        ("2", "TOO_LONG")
    );
    assert!(rejects[0][3].contains("100001"), "{:?}", rejects[0]);
    assert!(rejects[0][3].contains("100000"), "{:?}", rejects[0]);
    assert_eq!(column(&out.join("calls.csv"), "call_id"), ["A", "B"]);
}

#[test]
fn a_truncated_gzip_keeps_the_lines_before_the_cut_and_rejects_the_rest() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(samples("calls.jsonl")).expect("samples");
    let all_ids: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("json")["call_id"]
                .as_str()
                .expect("id")
                .to_string()
        })
        .collect();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).expect("gz");
    let gz = enc.finish().expect("gz");
    let path = dir.path().join("cut.jsonl.gz");
    std::fs::write(&path, &gz[..gz.len() * 6 / 10]).expect("write");
    let out = dir.path().join("out");
    let o = score(&[&path], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let (read, scored, rejected) = counts(&err, "通话");
    assert!(scored >= 5 && scored < all_ids.len() as u64, "{err}");
    assert_eq!(rejected, 1, "{err}");
    assert_eq!(read, scored + 1);
    // The calls scored are exactly the first ones of the file, in order.
    let ids = column(&out.join("calls.csv"), "call_id");
    assert_eq!(ids[..], all_ids[..ids.len()]);
    let rejects = rows(&out.join("rejects.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0][0], s(&path));
    assert!(rejects[0][3].contains("读取文件出错"), "{:?}", rejects[0]);
}

#[test]
fn a_gzip_that_is_not_gzip_is_a_reject_not_a_crash() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("plain.jsonl.gz");
    std::fs::write(&path, good("P1")).expect("write");
    let out = dir.path().join("out");
    let o = score(&[&path, &samples("tickets.csv")], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(counts(&err, "通话"), (1, 0, 1));
    let rejects = rows(&out.join("rejects.csv"));
    assert_eq!(rejects.len(), 1);
    assert!(rejects[0][3].contains("读取文件出错"), "{:?}", rejects[0]);
}

// ---------------------------------------------------------------------------
// Tickets
// ---------------------------------------------------------------------------

const HEADER: &str =
    "ticket_id,call_id,operator_id,accepted_at,category,handling,unit,dispatched_at,completed_at";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// tickets.csv as a map from ticket_id to column `name`.
fn ticket_col(out: &Path, name: &str) -> Vec<(String, String)> {
    let ids = column(&out.join("tickets.csv"), "ticket_id");
    let vals = column(&out.join("tickets.csv"), name);
    ids.into_iter().zip(vals).collect()
}

#[test]
fn a_ticket_file_without_a_final_line_break_is_read_whole() {
    // Many exports end the last row without a line break. UTF-8 and GBK.
    let dir = tempfile::tempdir().expect("tmp");
    let text = format!(
        "{HEADER}\n\
         T1,,1024,2026-11-27 09:05,咨询,直接办理,,,\n\
         T2,,1024,2026-11-27 09:06,咨询,直接办理,,,"
    );
    let utf8 = write(dir.path(), "utf8.csv", &text);
    let gbk = dir.path().join("gbk.csv");
    std::fs::write(&gbk, encoding_rs::GBK.encode(&text).0).expect("write");
    for t in [utf8, gbk] {
        let out = dir.path().join("out");
        let o = score(&[&t], &[], &out);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{}: {err}", t.display());
        assert_eq!(counts(&err, "工单"), (2, 2, 0));
        assert_eq!(
            ticket_col(&out, "category"),
            [("T1".into(), "咨询".into()), ("T2".into(), "咨询".into())]
        );
    }
}

#[test]
fn duplicate_ticket_id_keeps_the_first_and_rejects_the_others() {
    let dir = tempfile::tempdir().expect("tmp");
    let t = write(
        dir.path(),
        "t.csv",
        &format!(
            "{HEADER}\n\
             T1,C1,1024,2026-11-27 09:05,咨询,直接办理,,,\n\
             T1,C2,2048,2026-11-27 10:05,求助,工单转办,市水务局,2026-11-27 10:30,\n\
             T2,C3,1024,2026-11-27 11:05,咨询,直接办理,,,\n\
             T1,C4,4096,2026-11-27 12:05,咨询,直接办理,,,\n"
        ),
    );
    let out = dir.path().join("out");
    let o = score(&[&t], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(counts(&err, "工单"), (4, 2, 2));
    assert_eq!(
        ticket_col(&out, "operator_id"),
        [("T1".into(), "1024".into()), ("T2".into(), "1024".into())]
    );
    let rejects = rows(&out.join("rejects.csv"));
    let got: Vec<(&str, &str)> = rejects
        .iter()
        .map(|r| (r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(got, [("3", "T1"), ("5", "T1")]);
    assert!(rejects.iter().all(|r| r[3].contains("重复")), "{rejects:?}");
}

#[test]
fn duplicate_ticket_id_across_two_files_keeps_the_first_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let a = write(
        dir.path(),
        "a.csv",
        &format!("{HEADER}\nT1,C1,1024,2026-11-27 09:05,咨询,直接办理,,,\n"),
    );
    let b = write(
        dir.path(),
        "b.csv",
        &format!("{HEADER}\nT1,C1,2048,2026-11-27 09:05,咨询,直接办理,,,\n"),
    );
    let out = dir.path().join("out");
    let o = score(&[&a, &b], &[], &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(counts(&stderr(&o), "工单"), (2, 1, 1));
    assert_eq!(
        ticket_col(&out, "operator_id"),
        [("T1".into(), "1024".into())]
    );
    let rejects = rows(&out.join("rejects.csv"));
    assert_eq!(
        (rejects[0][0].as_str(), rejects[0][1].as_str()),
        (s(&b), "2")
    );
}

#[test]
fn a_ticket_whose_call_has_no_transcript_is_still_timed() {
    let dir = tempfile::tempdir().expect("tmp");
    let t = write(
        dir.path(),
        "t.csv",
        &format!(
            "{HEADER}\n\
             T1,NO_SUCH_CALL,1024,2026-11-27 09:05,求助,工单转办,市水务局,2026-11-27 09:30,2026-11-27 15:00\n\
             T2,G1,1024,2026-11-27 09:20,咨询,直接办理,,,\n"
        ),
    );
    let calls = dir.path().join("calls.jsonl");
    write_lines(&calls, &[good("G1").into_bytes()]);
    let out = dir.path().join("out");
    let o = score(&[&t, &calls], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(counts(&err, "工单"), (2, 2, 0));
    assert_eq!(counts(&err, "通话"), (1, 1, 0));
    assert_eq!(
        ticket_col(&out, "status"),
        [
            ("T1".into(), "on_time".into()),
            ("T2".into(), "not_dispatched".into())
        ]
    );
    assert_eq!(ticket_col(&out, "call_id")[0].1, "NO_SUCH_CALL");
    assert!(rows(&out.join("rejects.csv")).is_empty());
    // Tickets only, no transcripts at all: the same.
    let only = dir.path().join("only");
    let o = score(&[&t], &[], &only);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("tickets.csv")).expect("read"),
        std::fs::read(only.join("tickets.csv")).expect("read")
    );
}

#[test]
fn ticket_rows_with_too_many_or_too_few_fields_are_rejected_with_their_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let t = write(
        dir.path(),
        "t.csv",
        &format!(
            "{HEADER}\n\
             T1,C1,1024,2026-11-27 09:05,咨询,直接办理,,,\n\
             T2,C2,1024,2026-11-27 09:05,咨询,直接办理,,,,extra\n\
             T3,C3,1024,2026-11-27 09:05\n\
             T4,C4,1024,2026-11-27 09:05,咨询,直接办理,\"单位,\n含逗号和换行\",,\n\
             T5,C5,1024,2026-11-27 09:05,咨询,直接办理,市水务局,2026-11-27 09:06,2026-11-27 09:07,\n\
             T6,C6,1024,2026-11-27 09:05,咨询,直接办理,,,\n"
        ),
    );
    let out = dir.path().join("out");
    let o = score(&[&t], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(counts(&err, "工单"), (6, 3, 3));
    let ids: Vec<String> = ticket_col(&out, "ticket_id")
        .into_iter()
        .map(|x| x.0)
        .collect();
    assert_eq!(ids, ["T1", "T4", "T6"]);
    let rejects = rows(&out.join("rejects.csv"));
    let got: Vec<(&str, &str)> = rejects
        .iter()
        .map(|r| (r[1].as_str(), r[2].as_str()))
        .collect();
    // T4's quoted field spans lines 5–6, so T5 is on line 7.
    assert_eq!(got, [("3", "T2"), ("4", "T3"), ("7", "T5")]);
    for r in &rejects {
        assert!(r[3].contains("个字段，表头有 9 个"), "{r:?}");
    }
}

#[test]
fn excel_date_formats_in_csv_are_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let t = write(
        dir.path(),
        "t.csv",
        &format!(
            "{HEADER}\n\
             T1,,1024,2026/11/27 9:05,求助,工单转办,市水务局,2026/11/27 9:06,2026-11-27 09:05:00.000\n\
             T2,,1024,2026-11-27 09:05:00.000,求助,工单转办,市水务局,2026-11-27 09:06:30.250,2026/11/30 17:00:00\n\
             T3,,1024,2026年11月27日 9:05,求助,工单转办,市水务局,2026-11-27T09:06:00+08:00,2026-11-27T01:07:00Z\n\
             T4,,1024,2026-11-27 09:05,求助,工单转办,市水务局,27/11/2026 09:06,\n"
        ),
    );
    let out = dir.path().join("out");
    let o = score(&[&t], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(counts(&err, "工单"), (4, 3, 1));
    assert_eq!(
        ticket_col(&out, "dispatched_at"),
        [
            ("T1".into(), "2026-11-27 09:06:00".into()),
            ("T2".into(), "2026-11-27 09:06:30".into()),
            ("T3".into(), "2026-11-27 09:06:00".into()),
        ]
    );
    let completed: Vec<String> = ticket_col(&out, "completed_at")
        .into_iter()
        .map(|x| x.1)
        .collect();
    assert_eq!(
        completed,
        [
            "2026-11-27 09:05:00",
            "2026-11-30 17:00:00",
            "2026-11-27 09:07:00"
        ]
    );
    let rejects = rows(&out.join("rejects.csv"));
    assert_eq!(
        (rejects[0][1].as_str(), rejects[0][2].as_str()),
        ("5", "T4")
    );
    assert!(rejects[0][3].contains("dispatched_at"), "{:?}", rejects[0]);
    assert!(
        rejects[0][3].contains("27/11/2026 09:06"),
        "{:?}",
        rejects[0]
    );
}

#[test]
fn xlsx_serial_numbers_strings_and_date_cells_are_all_times() {
    let dir = tempfile::tempdir().expect("tmp");
    let headers: Vec<&str> = HEADER.split(',').collect();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("write");
    }
    let text = |ws: &mut rust_xlsxwriter::Worksheet, r: u32, vals: &[&str]| {
        for (c, v) in vals.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r, c as u16, *v).expect("write");
            }
        }
    };
    // T1: accepted_at and dispatched_at as bare serial numbers (no date format).
    text(
        ws,
        1,
        &["T1", "", "1024", "", "求助", "工单转办", "市水务局"],
    );
    ws.write_number(1, 3, 46353.375).expect("write");
    ws.write_number(1, 7, 46353.4).expect("write");
    // T2: times as text the way Excel shows them.
    text(
        ws,
        2,
        &[
            "T2",
            "",
            "1024",
            "2026/11/27 9:05",
            "求助",
            "工单转办",
            "市水务局",
            "2026-11-27 09:06:00.000",
        ],
    );
    // T3: real date cells.
    text(
        ws,
        3,
        &["T3", "", "1024", "", "求助", "工单转办", "市水务局"],
    );
    let fmt = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d h:mm");
    let dt = rust_xlsxwriter::ExcelDateTime::parse_from_str("2026-11-27 09:05:00").expect("dt");
    ws.write_datetime_with_format(3, 3, &dt, &fmt)
        .expect("write");
    let dt = rust_xlsxwriter::ExcelDateTime::parse_from_str("2026-11-27 09:07:00").expect("dt");
    ws.write_datetime_with_format(3, 7, &dt, &fmt)
        .expect("write");
    // T4: a number in a time column that no date can be.
    text(
        ws,
        4,
        &["T4", "", "1024", "", "求助", "工单转办", "市水务局"],
    );
    ws.write_number(4, 3, -5.0).expect("write");
    let path = dir.path().join("t.xlsx");
    wb.save(&path).expect("save");

    let out = dir.path().join("out");
    let o = score(&[&path], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert_eq!(counts(&err, "工单"), (4, 3, 1));
    assert_eq!(
        ticket_col(&out, "dispatched_at"),
        [
            ("T1".into(), "2026-11-27 09:36:00".into()),
            ("T2".into(), "2026-11-27 09:06:00".into()),
            ("T3".into(), "2026-11-27 09:07:00".into()),
        ]
    );
    let rejects = rows(&out.join("rejects.csv"));
    assert_eq!(
        (rejects[0][1].as_str(), rejects[0][2].as_str()),
        ("5", "T4")
    );
    assert!(rejects[0][3].contains("accepted_at"), "{:?}", rejects[0]);
}

#[test]
fn a_stray_invalid_byte_in_a_utf8_ticket_file_does_not_garble_the_other_rows() {
    // One bad byte in row 3 of an otherwise UTF-8 export. The other rows
    // must be read as UTF-8 (their category 咨询 is valid), not the whole
    // file re-decoded as GBK.
    let dir = tempfile::tempdir().expect("tmp");
    let mut bytes = format!(
        "{HEADER}\n\
         T1,,1024,2026-11-27 09:05,咨询,直接办理,市水务局,,\n\
         T2,,1024,2026-11-27 09:05,咨询,直接办理,市水务局,,\n\
         T3,,1024,2026-11-27 09:05,咨询,直接办理,市水务局,,\n"
    )
    .into_bytes();
    let t2 = bytes.windows(2).position(|w| w == b"T2").expect("T2");
    let unit = t2
        + bytes[t2..]
            .windows("水务".len())
            .position(|w| w == "水务".as_bytes())
            .expect("unit");
    bytes[unit + 1] = 0xFF;
    let t = dir.path().join("t.csv");
    std::fs::write(&t, &bytes).expect("write");
    let out = dir.path().join("out");
    let o = score(&[&t], &[], &out);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let (read, used, rejected) = counts(&err, "工单");
    assert_eq!(read, 3, "{err}");
    assert!(used >= 2, "the good rows must be used: {err}");
    assert_eq!(read, used + rejected);
    let units = ticket_col(&out, "unit");
    assert_eq!(units[0], ("T1".into(), "市水务局".into()), "{units:?}");
    assert_eq!(units.last().expect("T3").1, "市水务局", "{units:?}");
}

/// A minimal stored (uncompressed) zip archive of `files`.
fn zip(files: &[(&str, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let mut crc = flate2::Crc::new();
        crc.update(data.as_bytes());
        let offset = out.len() as u32;
        let size = data.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&0u16.to_le_bytes()); // stored
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            v.extend_from_slice(&crc.sum().to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data.as_bytes());
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        common(&mut central);
        central.extend_from_slice(&[0; 8]); // comment, disk, internal, (2 of external)
        central.extend_from_slice(&[0; 2]); // rest of external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A one-sheet workbook whose ticket cell in row 2 has the reference `cell`.
fn workbook_with_cell_ref(cell: &str) -> Vec<u8> {
    let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let pkg = "http://schemas.openxmlformats.org/package/2006";
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    let text = |r: &str, t: &str| format!(r#"<c r="{r}" t="inlineStr"><is><t>{t}</t></is></c>"#);
    zip(&[
        (
            "[Content_Types].xml",
            format!(
                r#"{xml}<Types xmlns="{pkg}/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/></Types>"#
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"{xml}<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"{xml}<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"{xml}<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"{xml}<worksheet xmlns="{main}"><sheetData><row r="1">{}{}{}</row><row r="2">{}{}<c r="C2"><v>46353.375</v></c></row></sheetData></worksheet>"#,
                text("A1", "ticket_id"),
                text("B1", "operator_id"),
                text("C1", "accepted_at"),
                text(cell, "T1"),
                text("B2", "1024"),
            ),
        ),
    ])
}

#[test]
fn a_damaged_xlsx_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().expect("tmp");
    // The hand-made workbook is read as it should be…
    let ok = dir.path().join("ok.xlsx");
    std::fs::write(&ok, workbook_with_cell_ref("A2")).expect("write");
    let o = score(&[&ok], &[], &dir.path().join("a"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(counts(&stderr(&o), "工单"), (1, 1, 0));
    // …but a cell reference too long for any sheet (found by tests/props.rs)
    // made calamine overflow and panic: the run must end with exit 1 and
    // the file's name, as for any workbook that cannot be read.
    let bad = dir.path().join("bad.xlsx");
    std::fs::write(&bad, workbook_with_cell_ref("AAAAAAAAAAAAAAA2")).expect("write");
    let out = dir.path().join("b");
    let o = score(&[&bad], &[], &out);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // Named on the terminal (cannot be read) or in rejects.csv (a row
    // without a usable ticket_id): either is a defined outcome.
    let named = err.contains("bad.xlsx")
        || std::fs::read_to_string(out.join("rejects.csv")).is_ok_and(|r| r.contains("bad.xlsx"));
    assert!(named, "{err}");
    // Not a workbook at all.
    let junk = write(dir.path(), "junk.xlsx", "ticket_id,operator_id\n");
    let o = score(&[&junk], &[], &dir.path().join("c"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("junk.xlsx"), "{}", stderr(&o));
}

#[test]
fn an_xlsx_with_a_value_in_the_far_corner_is_read_in_bounded_memory() {
    // One stray value in the sheet's last cell (XFD1048576). Reading the
    // sheet as one dense range would need 2^34 cells and abort the program
    // ("memory allocation of … bytes failed", exit 134).
    let dir = tempfile::tempdir().expect("tmp");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["ticket_id", "operator_id", "accepted_at"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).expect("write");
    }
    ws.write_string(1, 0, "T1").expect("write");
    ws.write_string(1, 1, "1024").expect("write");
    ws.write_string(1, 2, "2026-11-27 09:00").expect("write");
    ws.write_string(1_048_575, 16_383, "x").expect("write");
    let path = dir.path().join("far.xlsx");
    wb.save(&path).expect("save");
    let out = dir.path().join("out");
    let o = score(&[&path], &[], &out);
    let err = stderr(&o);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "a crash, not a defined outcome: {:?}\n{err}",
        o.status
    );
    assert!(o.status.success(), "{err}");
    assert_eq!(
        ticket_col(&out, "operator_id"),
        [("T1".into(), "1024".into())]
    );
}

// ---------------------------------------------------------------------------
// Exit codes and atomic outputs
// ---------------------------------------------------------------------------

#[test]
fn an_output_path_that_is_a_regular_file_is_exit_1() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = write(dir.path(), "out", "not a folder\n");
    let o = score(&[&samples("calls.jsonl")], &[], &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The io error reads in Chinese, says what to do, and keeps the English.
    assert!(
        stderr(&o)
            .contains("无法创建输出文件夹：已经存在同名的文件或文件夹，请换一个名字或先移走它"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("os error 17"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        "not a folder\n"
    );
    // A folder below a regular file cannot be made either.
    let o = score(&[&samples("calls.jsonl")], &[], &out.join("sub"));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn a_missing_input_file_is_exit_1() {
    let dir = tempfile::tempdir().expect("tmp");
    let o = score(
        &[&dir.path().join("nope.jsonl")],
        &[],
        &dir.path().join("out"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("nope.jsonl"), "{}", stderr(&o));
}

#[test]
fn a_bad_calendar_file_is_exit_2_before_any_input_is_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let cal = write(
        dir.path(),
        "cal.csv",
        "date,kind,name,notice\n2027-01-01,holiday,元旦,\n2027-13-01,holiday,坏日期,\n",
    );
    let out = dir.path().join("out");
    // The input does not exist: the calendar error must come first.
    let missing = dir.path().join("nope.jsonl");
    let o = score(&[&missing], &["--calendar", s(&cal)], &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cal.csv"), "{}", stderr(&o));
    assert!(!out.exists(), "nothing may be written");
    let o = score(&[&samples("calls.jsonl")], &["--calendar", s(&cal)], &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!out.exists(), "nothing may be written");
    let kind = write(
        dir.path(),
        "kind.csv",
        "date,kind,name,notice\n2027-01-01,maybe,元旦,\n",
    );
    let o = score(&[&samples("calls.jsonl")], &["--calendar", s(&kind)], &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = score(
        &[&samples("calls.jsonl")],
        &["--calendar", s(&dir.path().join("no-such-calendar.csv"))],
        &out,
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!out.exists(), "nothing may be written");
}

#[test]
fn a_bad_directory_or_as_of_is_exit_2_before_any_input_is_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let missing = dir.path().join("nope.jsonl");
    let d = write(dir.path(), "dir.csv", "name,phone\n市水务局,电话\n");
    let o = score(&[&missing], &["--directory", s(&d)], &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("dir.csv"), "{}", stderr(&o));
    let mut cmd = bin();
    let o = cmd
        .arg("score")
        .arg(&missing)
        .arg("--out")
        .arg(&out)
        .args(["--as-of", "明天"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!out.exists(), "nothing may be written");
}

#[test]
fn a_failed_run_leaves_the_previous_outputs_whole() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    let o = score(
        &[&samples("calls.jsonl"), &samples("tickets.csv")],
        &[],
        &out,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let snapshot = |d: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
            .expect("ls")
            .map(|e| {
                let e = e.expect("entry");
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("read"),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = snapshot(&out);
    for name in [
        "calls.csv",
        "findings.csv",
        "tickets.csv",
        "units.csv",
        "rejects.csv",
    ] {
        assert!(before.iter().any(|(n, _)| n == name), "{name} missing");
    }
    assert!(before.iter().all(|(n, _)| !n.ends_with(".partial")));
    let bad_cal = write(dir.path(), "cal.csv", "date,kind\nsoon,holiday\n");
    let o = score(
        &[&samples("calls.jsonl")],
        &["--calendar", s(&bad_cal)],
        &out,
    );
    assert_eq!(o.status.code(), Some(2));
    let o = score(
        &[&samples("calls.jsonl")],
        &["--manual", s(&dir.path().join("no-such-manual.csv"))],
        &out,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        snapshot(&out),
        before,
        "outputs changed or partial files left"
    );
}
