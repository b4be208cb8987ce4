//! Issue #17, "nothing leaks, nothing executes": the built binary run over
//! crafted input, its outputs checked as a user would open them. No cell of
//! any CSV file or workbook starts a formula; no caller number, in any form
//! the number readers know, appears unmasked in findings.csv, report.xlsx,
//! report.html, the review sheet or `explain`; the wrong number an agent
//! gave stays readable.

use std::path::Path;
use std::process::{Command, Output};

use calamine::{open_workbook_auto, Data, Reader};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The caller's numbers, as said in the crafted call: none may show.
const CALLER_NUMBERS: [&str; 7] = [
    "138 1234 5678",
    "13812345678",
    "138-8765-4321",
    "13887654321",
    "138.1234.5678",
    "１３９１２３４５６７８",
    "幺三八幺二三四五六七八",
];

/// The wrong number the agent gave: it must stay readable for the reviewer.
const GIVEN: &str = "26181191";

fn utterance(speaker: &str, start: f64, text: &str) -> String {
    format!(
        r#"{{"speaker": "{speaker}", "start": {start}, "end": {}, "text": "{text}", "confidence": 0.95}}"#,
        start + 2.0
    )
}

/// A call with hostile ids and the caller's number in every form, read
/// back by the agent in utterances the taboo rule flags (喂), and a wrong
/// number the agent gives.
fn hostile_call() -> String {
    let u = [
        utterance("agent", 0.5, "您好！市长热线，请问有什么可以帮到您？"),
        utterance(
            "caller",
            3.0,
            "我的电话是138 1234 5678，另一个138-8765-4321，还有138.1234.5678",
        ),
        utterance(
            "caller",
            6.0,
            "我爱人的是１３９１２３４５６７８，或者幺三八幺二三四五六七八",
        ),
        utterance("agent", 9.0, "喂，您的电话是138 1234 5678对吧"),
        utterance("agent", 12.0, "喂，另一个是138-8765-4321"),
        utterance("agent", 15.0, "喂，还有138.1234.5678"),
        utterance("agent", 18.0, "喂，您爱人的是１３９１２３４５６７８"),
        utterance("agent", 21.0, "喂，或者幺三八幺二三四五六七八"),
        utterance("agent", 24.0, "您可以拨打物业电话26181191问一下"),
        utterance("agent", 27.0, "感谢您的来电，再见！"),
    ];
    format!(
        r#"{{"call_id": "=1+1", "operator_id": "+nan", "operator_name": "-infinity", "team": "-inf", "started_at": "2026-11-27T09:15:02+08:00", "ended_by": "caller", "utterances": [{}]}}"#,
        u.join(", ")
    )
}

const TICKET_HEADER: &str = "ticket_id,call_id,operator_id,accepted_at,category,subcategory,handling,urgency,caller_name,caller_phone,event_time,event_location,content,complained_staff_name,complained_staff_no,unit,unit_level,hot_issue,dispatched_at,due_at,completed_at,feedback_at,urged_at,urged_by,supervised_at,callback_at,callback_operator_id,callback_result";

/// Writes the crafted inputs into `dir`: the transcripts in a file named
/// `=1+1.jsonl` (with a bad line whose call id is a formula), the tickets
/// with one whose id is a formula and whose date is wrong.
fn write_inputs(dir: &Path) {
    let bad = r#"{"call_id": "=HYPERLINK(\"http://x\")", "operator_id": "1", "started_at": "nope", "utterances": []}"#;
    std::fs::write(
        dir.join("=1+1.jsonl"),
        format!("{}\n{bad}\n", hostile_call()),
    )
    .expect("write");
    let good = "GD20261127901,=1+1,+nan,2026-11-27 09:20:00,一般诉求,噪音扰民,工单转办,普通,黄小明,13812345678,2026年11月27日,城西区滨河花园,回电138-8765-4321,,,市生态环境局,市直,否,2026-11-27 09:30:00,,,,,,,,,";
    let bad = "\"=HYPERLINK(\"\"http://x\"\")\",c9,1,not a date,一般诉求,噪音扰民,工单转办,普通,,,,,内容,,,市生态环境局,市直,否,,,,,,,,,,";
    std::fs::write(
        dir.join("tickets.csv"),
        format!("{TICKET_HEADER}\n{good}\n{bad}\n"),
    )
    .expect("write");
}

/// Runs `score` in `dir` on the relative file names (as a user in that
/// folder would), results into `dir/out`.
fn score(dir: &Path, extra: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .args(["score", "=1+1.jsonl", "tickets.csv", "--out", "out"])
        .args(["--as-of", "2026-11-28T00:00:00+08:00", "--quiet"])
        .args(extra)
        .output()
        .expect("run hotline-qa")
}

/// Whether Excel would take `s` for a formula: it starts with = + - @, a
/// tab or a carriage return and is not a plain decimal number.
fn starts_a_formula(s: &str) -> bool {
    let plain = |t: &str| {
        let (int, frac) = t.split_once('.').unwrap_or((t, "0"));
        !int.is_empty()
            && !frac.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
    };
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'@' | b'\t' | b'\r') => true,
        Some(b'-') => !plain(&s[1..]),
        _ => false,
    }
}

/// Every field of a CSV file (BOM stripped), with its column name.
fn fields(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = text.trim_start_matches('\u{feff}');
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    let mut out = Vec::new();
    for rec in r.records() {
        for (h, v) in header.iter().zip(rec.expect("row").iter()) {
            out.push((h.clone(), v.to_string()));
        }
    }
    out
}

fn assert_no_formula_in_csvs(dir: &Path) {
    let mut seen = 0;
    for e in std::fs::read_dir(dir).expect("out") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "csv") {
            for (h, v) in fields(&p) {
                assert!(!starts_a_formula(&v), "{}: {h} = {v:?}", p.display());
            }
            seen += 1;
        }
    }
    assert!(seen >= 5, "only {seen} CSV files in {}", dir.display());
}

fn assert_no_caller_number(what: &str, text: &str) {
    for n in CALLER_NUMBERS {
        assert!(!text.contains(n), "{what} shows the caller's {n}:\n{text}");
    }
}

/// Every string cell of every sheet of a workbook, and whether any sheet
/// holds a formula.
fn workbook_cells(path: &Path) -> (Vec<String>, bool) {
    let mut wb = open_workbook_auto(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cells = Vec::new();
    let mut formulas = false;
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).expect("sheet");
        for c in range.used_cells() {
            if let (_, _, Data::String(s)) = c {
                cells.push(s.clone());
            }
        }
        formulas |= wb
            .worksheet_formula(&name)
            .is_ok_and(|f| f.used_cells().any(|(_, _, f)| !f.is_empty()));
    }
    (cells, formulas)
}

#[test]
fn rejects_and_every_csv_escape_formulas_from_ids_and_file_names() {
    let dir = tempfile::tempdir().expect("tmp");
    write_inputs(dir.path());
    let o = score(dir.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("out");
    assert_no_formula_in_csvs(&out);
    let rejects = common::table(&out.join("rejects.csv"));
    let files: Vec<&str> = rejects.iter().map(|r| r["file"].as_str()).collect();
    assert!(files.contains(&"'=1+1.jsonl"), "{files:?}");
    let ids: Vec<&str> = rejects.iter().map(|r| r["record_id"].as_str()).collect();
    assert!(ids.contains(&"'=HYPERLINK(\"http://x\")"), "{ids:?}");
    // Text that parses as a float is escaped as well; the call's own
    // fields come back exactly when read as the run reads them.
    let calls = common::table(&out.join("calls.csv"));
    let c = &calls[0];
    assert_eq!(
        [
            &c["call_id"],
            &c["operator_id"],
            &c["operator_name"],
            &c["team"]
        ],
        ["'=1+1", "'+nan", "'-infinity", "'-inf"]
    );
    // Plain decimal numbers are written as numbers.
    assert!(!c["score"].starts_with('\''), "{}", c["score"]);
}

#[test]
fn caller_numbers_are_masked_in_every_form_and_the_given_number_is_not() {
    let dir = tempfile::tempdir().expect("tmp");
    write_inputs(dir.path());
    let o = score(dir.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("out");
    let findings = std::fs::read_to_string(out.join("findings.csv")).expect("findings");
    // The agent read back each form: five 喂 findings quote them.
    let taboo = findings.matches("taboo.").count();
    assert!(taboo >= 5, "{taboo} taboo findings:\n{findings}");
    assert_no_caller_number("findings.csv", &findings);
    assert!(findings.contains("138 **** 5678"), "{findings}");
    assert!(findings.contains("幺三八****五六七八"), "{findings}");
    assert!(findings.contains(&format!("【{GIVEN}】")), "{findings}");
    // The ticket's content, quoted by the ticket rule, is masked too.
    assert!(findings.contains("ticket.content_too_short"), "{findings}");
    let html = std::fs::read_to_string(out.join("report.html")).expect("html");
    assert_no_caller_number("report.html", &html);
    let (cells, formulas) = workbook_cells(&out.join("report.xlsx"));
    assert!(!formulas, "report.xlsx holds a formula");
    for c in &cells {
        assert!(!starts_a_formula(c), "report.xlsx cell {c:?}");
        assert_no_caller_number("report.xlsx", c);
    }
    assert!(cells.iter().any(|c| c == "'=1+1"), "{cells:?}");
    assert!(cells.iter().any(|c| c.contains(GIVEN)), "{cells:?}");
    // With --show-pii the numbers are there: the check above can fail.
    let o = score(dir.path(), &["--show-pii"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = std::fs::read_to_string(out.join("findings.csv")).expect("findings");
    assert!(shown.contains("138 1234 5678"), "{shown}");
}

#[test]
fn stdin_results_are_masked_as_the_files_are() {
    use std::io::Write;
    let mut child = bin()
        .args(["score", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{}\n", hostile_call()).as_bytes())
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("taboo.forbidden_phrase"), "{text}");
    assert_no_caller_number("score --stdin", &text);
    assert!(text.contains(GIVEN), "{text}");
}

#[test]
fn explain_masks_by_default_and_says_when_pii_is_shown() {
    let dir = tempfile::tempdir().expect("tmp");
    write_inputs(dir.path());
    let explain = |extra: &[&str]| {
        bin()
            .current_dir(dir.path())
            .args(["explain", "=1+1", "=1+1.jsonl", "tickets.csv"])
            .args(extra)
            .output()
            .expect("run")
    };
    let o = explain(&[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert_no_caller_number("explain", &text);
    assert!(text.contains("138 **** 5678"), "{text}");
    assert!(text.contains(GIVEN), "{text}");
    assert!(!stderr(&o).contains("show-pii"), "{}", stderr(&o));
    let o = explain(&["--show-pii"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("138 1234 5678"), "{}", stdout(&o));
    assert!(stderr(&o).contains("--show-pii"), "{}", stderr(&o));
}

#[test]
fn review_sheet_escapes_ids_masks_the_dialogue_and_reads_back() {
    let dir = tempfile::tempdir().expect("tmp");
    write_inputs(dir.path());
    let o = score(dir.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sheet = dir.path().join("sheet.xlsx");
    let o = bin()
        .current_dir(dir.path())
        .args(["sample", "out", "-o"])
        .arg(&sheet)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let (cells, formulas) = workbook_cells(&sheet);
    assert!(!formulas);
    for c in &cells {
        assert!(!starts_a_formula(c), "review sheet cell {c:?}");
        assert_no_caller_number("review sheet", c);
    }
    assert!(cells.iter().any(|c| c == "'=1+1"), "{cells:?}");
    // findings.csv filled in as a reviews file: its escaped ids match the call.
    let findings = std::fs::read_to_string(dir.path().join("out/findings.csv")).expect("f");
    let mut lines = findings.lines();
    let header = lines.next().expect("header");
    let row = lines
        .find(|l| l.contains("taboo."))
        .expect("a taboo finding");
    let verdict = header
        .split(',')
        .position(|h| h == "verdict")
        .expect("verdict column");
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(row.as_bytes());
    let mut rec: Vec<String> = r
        .records()
        .next()
        .expect("row")
        .expect("csv")
        .iter()
        .map(String::from)
        .collect();
    rec[verdict] = "dismissed".into();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header.trim_start_matches('\u{feff}').split(','))
        .expect("w");
    w.write_record(&rec).expect("w");
    std::fs::write(dir.path().join("reviews.csv"), w.into_inner().expect("csv")).expect("write");
    let o = score(dir.path(), &["--reviews", "reviews.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = common::table(&dir.path().join("out/findings.csv"));
    assert!(
        rows.iter()
            .any(|r| r["call_id"] == "'=1+1" && r["verdict"] == "dismissed"),
        "the review of call =1+1 did not match: {rows:?}\n{}",
        stderr(&o)
    );
}

mod common;

/// A number typed into the wrong field (a start time, a speaker, an
/// utterance's start) is quoted in the reject's reason: masked there as
/// everywhere, in rejects.csv and in `--stdin`'s rejected lines, while
/// the reason still names the field and the line.
#[test]
fn reject_reasons_mask_a_number_quoted_from_a_bad_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ok = hostile_call();
    let bad_time = ok.replacen(
        "\"started_at\": \"2026-11-27T09:15:02+08:00\"",
        "\"started_at\": \"13912345678\"",
        1,
    );
    assert_ne!(bad_time, ok, "the crafted call has that start time");
    let bad_start = "{\"call_id\": \"R2\", \"operator_id\": \"1\", \"operator_name\": \"王\", \"team\": \"A\", \"started_at\": \"2026-11-27T09:00:00+08:00\", \"utterances\": [{\"speaker\": \"agent\", \"start\": \"13512345678\", \"end\": 2.0, \"text\": \"您好\"}]}".to_string();
    let calls = dir.path().join("calls.jsonl");
    std::fs::write(&calls, format!("{ok}\n{bad_time}\n{bad_start}\n")).expect("write");
    let out = dir.path().join("out");
    let o = bin()
        .arg("score")
        .arg(&calls)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", stderr(&o));
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).expect("rejects.csv");
    assert!(
        rejects.contains("started_at") && rejects.contains("139****5678"),
        "{rejects}"
    );
    assert!(
        rejects.contains("utterances[0].start") && rejects.contains("135****5678"),
        "{rejects}"
    );
    for n in ["13912345678", "13512345678"] {
        assert!(
            !rejects.contains(n),
            "{n} unmasked in rejects.csv:\n{rejects}"
        );
    }
    // The example time of the message is outside the quotes: kept.
    assert!(rejects.contains("2026-11-27T09:15:02+08:00"), "{rejects}");

    let mut child = bin()
        .args(["score", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{bad_time}").expect("write");
    }
    let o = child.wait_with_output().expect("wait");
    let out = stdout(&o);
    assert!(
        out.contains("rejected") && out.contains("139****5678"),
        "{out}"
    );
    assert!(!out.contains("13912345678"), "{out}");
}
