//! Repeat calls and first-call resolution end to end (issue #19): the
//! built binary scores small days in a temporary folder; repeats.csv, the
//! first-call columns and the masking of the caller's number are checked
//! in one run, across runs with `report`, and for any thread count.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
}

const NUMBER: &str = "13812345678";
const TICKET_HEADER: &str = "ticket_id,call_id,operator_id,accepted_at,category,subcategory,handling,urgency,caller_name,caller_phone,event_time,event_location,content,unit,dispatched_at,completed_at";

/// A short call: greeting, the caller's matter, closing.
fn call(
    id: &str,
    operator: &str,
    team: &str,
    at: &str,
    number: Option<&str>,
    said: &str,
) -> String {
    let number = number.map_or(String::new(), |n| format!(r#""caller_number":"{n}","#));
    format!(
        r#"{{"call_id":"{id}","operator_id":"{operator}","operator_name":"王芳","team":"{team}","started_at":"{at}",{number}"utterances":[{{"speaker":"agent","start":0.5,"end":4.0,"text":"您好！市长热线，请问有什么可以帮到您？"}},{{"speaker":"caller","start":4.5,"end":9.0,"text":"{said}"}},{{"speaker":"agent","start":9.5,"end":12.0,"text":"感谢您的来电，再见！"}}]}}"#
    )
}

fn ticket(
    id: &str,
    call: &str,
    operator: &str,
    at: &str,
    phone: &str,
    place: &str,
    done: &str,
) -> String {
    format!(
        "{id},{call},{operator},{at},一般诉求,噪音扰民,工单转办,普通,张先生,{phone},近期,{place},来电人反映{place}夜间施工噪音扰民，影响休息，请求相关部门尽快处理。,市城管局,{at},{done}"
    )
}

/// Writes `calls.jsonl` and `tickets.csv` into `dir`.
fn day(dir: &Path, calls: &[String], tickets: &[String]) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let c = dir.join("calls.jsonl");
    let t = dir.join("tickets.csv");
    std::fs::write(&c, calls.join("\n") + "\n").expect("write");
    std::fs::write(&t, format!("{TICKET_HEADER}\n{}\n", tickets.join("\n"))).expect("write");
    (c, t)
}

fn score(inputs: &(PathBuf, PathBuf), out: &Path, threads: &str) -> Output {
    let o = bin()
        .env("RAYON_NUM_THREADS", threads)
        .arg("score")
        .arg(&inputs.0)
        .arg(&inputs.1)
        .arg("--as-of")
        .arg("2026-12-31T00:00:00+08:00")
        .arg("--out")
        .arg(out)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    r.records()
        .map(|x| x.expect("row").iter().map(str::to_string).collect())
        .collect()
}

fn header(path: &Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    r.headers()
        .expect("header")
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect()
}

/// The value of `column` in each row of a CSV file.
fn column(path: &Path, column: &str) -> Vec<String> {
    let h = header(path);
    let i = h
        .iter()
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("{column} in {h:?}"));
    rows(path).into_iter().map(|r| r[i].clone()).collect()
}

/// Day one: a first call about 长青小区 (the number given as +86 with
/// dashes), a call from another number, and a call from the same number
/// about another place. Day two (five days later): the same caller about
/// 长青小区 again, the number only in the transcript's caller_number (the
/// ticket's caller_phone is empty), and three more days later a third call.
fn two_days(root: &Path) -> ((PathBuf, PathBuf), (PathBuf, PathBuf)) {
    let one = day(
        &root.join("in1"),
        &[
            call(
                "C1",
                "1024",
                "A班",
                "2026-11-02T09:00:00+08:00",
                Some("+86-138-1234-5678"),
                "我们长青小区晚上工地施工太吵了。",
            ),
            call(
                "C2",
                "1031",
                "A班",
                "2026-11-02T10:00:00+08:00",
                Some("13900001111"),
                "长青小区晚上很吵。",
            ),
            call(
                "C3",
                "1031",
                "A班",
                "2026-11-02T11:00:00+08:00",
                None,
                "建设路晚上很吵。",
            ),
        ],
        &[
            ticket(
                "T1",
                "C1",
                "1024",
                "2026-11-02 09:05:00",
                "+86-138-1234-5678",
                "西城区长青小区",
                "2026-11-05 10:00:00",
            ),
            ticket(
                "T2",
                "C2",
                "1031",
                "2026-11-02 10:05:00",
                "13900001111",
                "西城区长青小区",
                "",
            ),
            ticket(
                "T3",
                "C3",
                "1031",
                "2026-11-02 11:05:00",
                NUMBER,
                "建设路",
                "",
            ),
        ],
    );
    let two = day(
        &root.join("in2"),
        &[
            call(
                "C4",
                "2012",
                "B班",
                "2026-11-07T09:00:00+08:00",
                Some(NUMBER),
                "我又打来了，长青小区还是很吵。",
            ),
            call(
                "C5",
                "2012",
                "B班",
                "2026-11-10T09:00:00+08:00",
                Some(NUMBER),
                "长青小区还是很吵。",
            ),
        ],
        &[
            ticket(
                "T4",
                "C4",
                "2012",
                "2026-11-07 09:05:00",
                "",
                "长青小区",
                "",
            ),
            ticket(
                "T5",
                "C5",
                "2012",
                "2026-11-10 09:05:00",
                "0138 1234 5678",
                "长青小区",
                "",
            ),
        ],
    );
    (one, two)
}

#[test]
fn repeats_csv_has_its_columns_and_one_row_per_chain() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (one, two) = two_days(tmp.path());
    // Both days in one run.
    let both = day(
        &tmp.path().join("in"),
        &[one.0.clone(), two.0.clone()]
            .iter()
            .map(|p| {
                std::fs::read_to_string(p)
                    .expect("read")
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>(),
        &[one.1.clone(), two.1.clone()]
            .iter()
            .flat_map(|p| {
                std::fs::read_to_string(p)
                    .expect("read")
                    .lines()
                    .skip(1)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>(),
    );
    let out = tmp.path().join("run");
    score(&both, &out, "2");
    let repeats = out.join("repeats.csv");
    assert_eq!(
        header(&repeats),
        [
            "chain_id",
            "caller_number",
            "calls",
            "tickets",
            "first_at",
            "last_at",
            "count",
            "closed_before_repeat",
            "key",
            "window_days"
        ]
    );
    assert_eq!(
        rows(&repeats),
        [[
            "R-T1",
            "138****5678",
            "C1;C4;C5",
            "T1;T4;T5",
            "2026-11-02 09:05:00",
            "2026-11-10 09:05:00",
            "3",
            // T1 was completed on 11-05, before the repeat of 11-07.
            "true",
            "地点:长青小区",
            "30"
        ]]
    );
    // calls.csv: caller_number is the last column, masked.
    let calls = out.join("calls.csv");
    assert_eq!(
        header(&calls).last().map(String::as_str),
        Some("caller_number")
    );
    assert_eq!(
        column(&calls, "caller_number"),
        [
            "138****5678",
            "139****1111",
            "",
            "138****5678",
            "138****5678"
        ]
    );
}

#[test]
fn repeats_are_linked_across_runs_by_report() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (one, two) = two_days(tmp.path());
    let (r1, r2) = (tmp.path().join("run1"), tmp.path().join("run2"));
    score(&one, &r1, "2");
    score(&two, &r2, "2");
    // Each day alone: day two's first contact repeats a contact it cannot see.
    assert_eq!(rows(&r1.join("repeats.csv")).len(), 0);
    assert_eq!(
        column(&r2.join("repeats.csv"), "tickets"),
        ["T4;T5"],
        "day two alone links its own two contacts"
    );
    let rep = tmp.path().join("report");
    let o = bin()
        .arg("report")
        .arg(&r1)
        .arg(&r2)
        .arg("--out")
        .arg(&rep)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(column(&rep.join("repeats.csv"), "tickets"), ["T1;T4;T5"]);
    assert_eq!(column(&rep.join("repeats.csv"), "calls"), ["C1;C4;C5"]);
    // First calls: T1 (1024, repeated), T2 and T3 (1031: their windows end
    // 12-02, after the data's last contact of 11-10, so they are pending).
    let ops = rep.join("operators.csv");
    let by_op: Vec<(String, String, String, String)> = rows(&ops)
        .into_iter()
        .map(|r| {
            let n = r.len();
            (
                r[1].clone(),
                r[n - 3].clone(),
                r[n - 2].clone(),
                r[n - 1].clone(),
            )
        })
        .collect();
    let h = header(&ops);
    assert_eq!(
        h[h.len() - 3..],
        ["first_calls", "repeated", "first_call_resolution"]
    );
    assert!(
        by_op.contains(&("1024".into(), "1".into(), "1".into(), "0.0000".into())),
        "{by_op:?}"
    );
    assert!(
        by_op.contains(&("1031".into(), "0".into(), "0".into(), String::new())),
        "{by_op:?}"
    );
    let teams = rep.join("teams.csv");
    let h = header(&teams);
    assert_eq!(
        h[h.len() - 3..],
        ["first_calls", "repeated", "first_call_resolution"]
    );
    let units = rep.join("units.csv");
    let h = header(&units);
    assert_eq!(
        h[h.len() - 3..],
        ["first_calls", "repeated", "first_call_resolution"]
    );
    let unit = rows(&units)
        .into_iter()
        .find(|r| r[1] == "市城管局")
        .expect("unit row");
    assert_eq!(unit[unit.len() - 3..], ["1", "1", "0.0000"]);
}

#[test]
fn repeats_are_the_same_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (one, _) = two_days(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    score(&one, &a, "1");
    score(&one, &b, "2");
    for name in [
        "repeats.csv",
        "calls.csv",
        "calls.parquet",
        "tickets.parquet",
        "units.csv",
        "operators.csv",
    ] {
        assert_eq!(
            std::fs::read(a.join(name)).expect("read"),
            std::fs::read(b.join(name)).expect("read"),
            "{name}"
        );
    }
}

/// Every file of a folder, read whole.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("list") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            let bytes = std::fs::read(&p).expect("read");
            out.push((p, bytes));
        }
    }
    out
}

#[test]
fn the_callers_number_is_never_in_clear_in_any_output() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (one, two) = two_days(tmp.path());
    let (r1, r2) = (tmp.path().join("run1"), tmp.path().join("run2"));
    score(&one, &r1, "2");
    score(&two, &r2, "2");
    let rep = tmp.path().join("report");
    let o = bin()
        .arg("report")
        .arg(&r1)
        .arg(&r2)
        .arg("--out")
        .arg(&rep)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The middle digits appear in no form: not whole, not after +86, not
    // as the part a mask hides. The default salt is not in run.json either.
    let mut checked = 0;
    for dir in [&r1, &r2, &rep] {
        for (path, bytes) in files(dir) {
            for needle in [
                "13812345678",
                "1381234",
                "12345678",
                "1234-5678",
                "hotline-qa-default-link-salt",
            ] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} holds {needle}",
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked}");
    // Must-not: the masked form is there, so the test can fail.
    let calls = std::fs::read_to_string(r2.join("calls.csv")).expect("read");
    assert!(calls.contains("138****5678"), "{calls}");
}

/// `score` links a run's repeat calls from the contacts it holds in
/// memory; `report` links them from the run's Parquet files. Both must
/// give the same chains and first-call figures: here on one day holding
/// both days of [`two_days`] (a ticket without a number of its own linked
/// by its call's number, two teams), plus a ticket accepted at a fraction
/// of a second (Parquet keeps whole seconds) and one whose call is not in
/// the transcripts.
#[test]
fn score_links_repeats_as_report_does_from_the_runs_parquet() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (one, two) = two_days(tmp.path());
    let read = |p: &Path| std::fs::read_to_string(p).expect("read");
    let calls: Vec<String> = [read(&one.0), read(&two.0)]
        .iter()
        .flat_map(|s| s.lines().map(str::to_string).collect::<Vec<_>>())
        .collect();
    let mut tickets: Vec<String> = [read(&one.1), read(&two.1)]
        .iter()
        .flat_map(|s| s.lines().skip(1).map(str::to_string).collect::<Vec<_>>())
        .collect();
    tickets.push(ticket(
        "T6",
        "C9",
        "2012",
        "2026-11-12 09:05:00.750",
        NUMBER,
        "长青小区",
        "2026-11-12 09:05:00.250",
    ));
    // A first ticket completed half a second after its repeat was
    // accepted: within the same second, so closed before it as whole
    // seconds compare.
    tickets.push(ticket(
        "T7",
        "C10",
        "3001",
        "2026-11-20 09:00:00",
        "13700000000",
        "和平街",
        "2026-11-21 10:00:00.500",
    ));
    tickets.push(ticket(
        "T8",
        "C11",
        "3001",
        "2026-11-21 10:00:00",
        "13700000000",
        "和平街",
        "",
    ));
    let both = day(&tmp.path().join("both"), &calls, &tickets);
    let run = tmp.path().join("run");
    score(&both, &run, "2");
    assert_eq!(
        column(&run.join("repeats.csv"), "tickets"),
        ["T1;T4;T5;T6", "T7;T8"],
        "one chain over the two days' contacts, and T7's"
    );
    let rep = tmp.path().join("report");
    let o = bin()
        .arg("report")
        .arg(&run)
        .arg("--out")
        .arg(&rep)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        read(&run.join("repeats.csv")),
        read(&rep.join("repeats.csv")),
        "repeats.csv"
    );
    for name in ["operators.csv", "teams.csv", "units.csv"] {
        let last3 = |p: &Path| -> Vec<Vec<String>> {
            rows(p)
                .into_iter()
                .map(|r| r[r.len() - 3..].to_vec())
                .collect()
        };
        let (s, r) = (last3(&run.join(name)), last3(&rep.join(name)));
        assert_eq!(s, r, "{name}");
        assert!(
            s.iter().any(|r| r[0] != "0"),
            "{name} counts first calls: {s:?}"
        );
    }
}
