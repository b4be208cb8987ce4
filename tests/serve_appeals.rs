//! The workbench's appeal chain, review queue and ranking over real HTTP,
//! as each role: an operator appeals, the team leader passes it up or
//! rejects it, the QA lead decides; who may do which step; the reviewed
//! score and the ranking follow; the export gives `score --reviews` the
//! same reviewed scores, operators.csv and teams.csv; and one pass of the
//! chain in headless Chromium.

mod common;
#[path = "common/http.rs"]
mod http;
#[path = "common/wb.rs"]
mod wb;
#[path = "common/webdriver.rs"]
mod webdriver;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use http::{field, Client};
use wb::add_user;
use webdriver::{chromium, wd, Driver};

const BIN: &str = env!("CARGO_BIN_EXE_hotline-qa");
const PW: &str = "correct horse battery";
const AS_OF: &str = "2026-11-28T00:00:00+08:00";

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// A running workbench on the samples, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
    runs: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn signed_in(&self, name: &str) -> Client {
        let mut c = Client::new(&self.addr);
        let a = c.login(name, PW);
        assert_eq!(a.status, 303, "login as {name}: {}", a.body);
        c
    }
    fn findings(&self) -> Vec<BTreeMap<String, String>> {
        common::table(&self.runs.join("day1").join("findings.csv"))
    }
}

/// The built-in scorecard ranking operators from one call on (the samples
/// have at most 7 calls an operator, under the default minimum of 10), so
/// that the ranks themselves are compared.
fn scorecard(dir: &Path) -> PathBuf {
    let out = Command::new(BIN).arg("config").output().expect("config");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("min_calls_for_rank = 10"));
    let path = dir.join("scorecard.toml");
    std::fs::write(
        &path,
        text.replace("min_calls_for_rank = 10", "min_calls_for_rank = 1"),
    )
    .expect("write");
    path
}

/// Scores the samples into `runs/day1`, creates the accounts and starts
/// `serve` with `extra` options on a free loopback port.
fn start(extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().expect("tmp");
    let runs = dir.path().join("runs");
    std::fs::create_dir_all(&runs).expect("mkdir");
    let out = Command::new(BIN)
        .arg("score")
        .arg(samples())
        .arg("--out")
        .arg(runs.join("day1"))
        .arg("--config")
        .arg(scorecard(dir.path()))
        .args(["--quiet", "--no-reports", "--as-of", AS_OF])
        .output()
        .expect("run score");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = dir.path().join("wb.sqlite");
    add_user(&db, "qa", "质检员", &[]);
    add_user(&db, "qalead", "质检主管", &[]);
    add_user(&db, "manager", "管理", &[]);
    add_user(&db, "lead", "班长", &["--team", "A班"]);
    add_user(&db, "lead2", "班长", &["--team", "A班"]);
    add_user(&db, "leadc", "班长", &["--team", "C班"]);
    add_user(&db, "op", "话务员", &["--operator-id", "1024"]);
    add_user(&db, "op3006", "话务员", &["--operator-id", "3006"]);
    let (child, addr) = spawn(&db, &runs, extra);
    Server {
        child,
        addr,
        dir,
        runs,
    }
}

/// Starts `serve` on the database and returns it with its address.
fn spawn(db: &Path, runs: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--db")
        .arg(db)
        .arg("--runs")
        .arg(runs)
        .args(["--listen", "127.0.0.1:0", "--poll-seconds", "1"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("read");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (child, addr)
}

#[test]
fn ranking_keeps_reviews_made_before_the_reviewed_table_existed() {
    // A database of the first workbench has reviews but no call_reviewed
    // rows: the server computes them at start, or the ranking would show
    // the machine's figures for those calls.
    let mut s = start(&[]);
    let (call, _, _) = deducted(&s, "1024")[0].clone();
    let mut qa = s.signed_in("qa");
    let machine = rank_rows(&mut qa, "op", "data-id")["1024"]["data-reviewed-mean"].clone();
    let page = qa.get(&format!("/call?id={call}")).body;
    let csrf = qa.csrf();
    for rest in page.split("name=\"fid\" value=\"").skip(1) {
        let fid = rest.split('"').next().unwrap_or("").to_string();
        let version = field(rest, "version").unwrap_or_default();
        let a = qa.post(
            "/review",
            &[
                ("csrf", &csrf),
                ("call_id", &call),
                ("fid", &fid),
                ("version", &version),
                ("verdict", "dismissed"),
            ],
        );
        assert_eq!(a.status, 303);
    }
    let reviewed = rank_rows(&mut qa, "op", "data-id")["1024"]["data-reviewed-mean"].clone();
    assert_ne!(reviewed, machine);
    let _ = s.child.kill();
    let _ = s.child.wait();
    let db = s.dir.path().join("wb.sqlite");
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        assert!(
            conn.execute("DELETE FROM call_reviewed", [])
                .expect("delete")
                > 0
        );
    }
    let (child, addr) = spawn(&db, &s.runs, &[]);
    s.child = child;
    s.addr = addr;
    let mut qa = s.signed_in("qa");
    assert_eq!(
        rank_rows(&mut qa, "op", "data-id")["1024"]["data-reviewed-mean"],
        reviewed
    );
}

#[test]
fn a_call_in_two_runs_counts_once_in_the_ranking() {
    // The same day imported twice (a re-run): the database keeps the first
    // run's calls, and the ranking must not count them twice.
    let s = start(&[]);
    let mut m = s.signed_in("manager");
    let before = rank_rows(&mut m, "op", "data-id");
    let again = s.runs.join("day1-again");
    std::fs::create_dir_all(&again).expect("mkdir");
    for e in std::fs::read_dir(s.runs.join("day1")).expect("read") {
        let e = e.expect("entry");
        if e.path().is_file() {
            std::fs::copy(e.path(), again.join(e.file_name())).expect("copy");
        }
    }
    // Wait for the watcher (polling every second) to take the copy in.
    let mut imported = false;
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let conn = rusqlite::Connection::open(s.dir.path().join("wb.sqlite")).expect("open");
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
            .expect("count");
        if n == 2 {
            imported = true;
            break;
        }
    }
    assert!(imported, "the second run was imported");
    let after = rank_rows(&mut m, "op", "data-id");
    assert_eq!(after, before);
    assert!(before.values().all(|r| r["data-calls"] != "0"));
}

/// The samples moved to the next day (ids and times), scored into `runs/day2`.
fn second_day(s: &Server) -> PathBuf {
    let input = s.dir.path().join("in2");
    std::fs::create_dir_all(&input).expect("mkdir");
    for name in ["calls.jsonl", "tickets.csv"] {
        let text = std::fs::read_to_string(samples().join(name)).expect("samples");
        let moved = text
            .replace("20261127", "20261128")
            .replace("2026-11-27", "2026-11-28");
        std::fs::write(input.join(name), moved).expect("write");
    }
    let out = Command::new(BIN)
        .arg("score")
        .arg(&input)
        .arg("--out")
        .arg(s.runs.join("day2"))
        .arg("--config")
        .arg(s.dir.path().join("scorecard.toml"))
        .args([
            "--quiet",
            "--no-reports",
            "--as-of",
            "2026-11-29T00:00:00+08:00",
        ])
        .output()
        .expect("score day 2");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let conn = rusqlite::Connection::open(s.dir.path().join("wb.sqlite")).expect("open");
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
            .expect("count");
        if n == 2 {
            return input;
        }
    }
    panic!("day 2 was not imported");
}

#[test]
fn ranking_over_two_days_is_the_report_of_both_days_rescored() {
    let s = start(&["--appeal-days", "36500"]);
    let day2 = second_day(&s);
    let mut qa = s.signed_in("qa");
    // A dismissal on each day, and a pending appeal on day 2.
    let (call1, _, _) = deducted(&s, "1024")[0].clone();
    let call2 = call1.replace("20261127", "20261128");
    for call in [&call1, &call2] {
        let page = qa.get(&format!("/call?id={call}")).body;
        let rest = page
            .split("name=\"fid\" value=\"")
            .nth(1)
            .expect("a review form");
        let fid = rest.split('"').next().unwrap_or("").to_string();
        let version = field(rest, "version").unwrap_or_default();
        let csrf = qa.csrf();
        let a = qa.post(
            "/review",
            &[
                ("csrf", &csrf),
                ("call_id", call),
                ("fid", &fid),
                ("version", &version),
                ("verdict", "dismissed"),
            ],
        );
        assert_eq!(a.status, 303);
    }
    let (c2, rule2, utt2) = deducted(&s, "1031")[0].clone();
    let c2 = c2.replace("20261127", "20261128");
    let mut m = s.signed_in("manager");
    let p = m.get(&format!("/call?id={c2}")).body;
    let fid2 = row_of(&appeal_rows(&p), &rule2, &utt2)["data-fid"].clone();
    add_user(
        &s.dir.path().join("wb.sqlite"),
        "op1031",
        "话务员",
        &["--operator-id", "1031"],
    );
    let mut op1031 = s.signed_in("op1031");
    let csrf = op1031.csrf();
    let a = op1031.post(
        "/appeal",
        &[
            ("csrf", &csrf),
            ("call_id", &c2),
            ("fid", &fid2),
            ("reason", "第二天的申诉"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    // The two days, rescored outside with the export and combined by report.
    let file = s.dir.path().join("reviews.csv");
    std::fs::write(&file, qa.get("/export/reviews.csv").body).expect("write");
    let mut rescored = Vec::new();
    for (k, (input, as_of)) in [(samples(), AS_OF), (day2, "2026-11-29T00:00:00+08:00")]
        .into_iter()
        .enumerate()
    {
        let out = s.dir.path().join(format!("r{k}"));
        let run = Command::new(BIN)
            .arg("score")
            .arg(&input)
            .arg("--out")
            .arg(&out)
            .arg("--reviews")
            .arg(&file)
            .arg("--config")
            .arg(s.dir.path().join("scorecard.toml"))
            .args(["--quiet", "--no-reports", "--as-of", as_of])
            .output()
            .expect("score --reviews");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        rescored.push(out);
    }
    let rep = s.dir.path().join("report");
    let run = Command::new(BIN)
        .arg("report")
        .args(&rescored)
        .arg("--out")
        .arg(&rep)
        .arg("--config")
        .arg(s.dir.path().join("scorecard.toml"))
        .output()
        .expect("report");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let page = m.get("/rank?from=2026-11-27&to=2026-11-28").body;
    assert!(
        page.contains("<svg class=\"spark\""),
        "two days draw a trend line"
    );
    let shown = rank_rows_of(&page, "op", "data-id");
    let ops = common::table(&rep.join("operators.csv"));
    assert_eq!(shown.len(), ops.len());
    for o in &ops {
        let w = &shown[&o["operator_id"]];
        assert_eq!(w["data-rank"], o["rank"], "{}", o["operator_id"]);
        assert_eq!(w["data-calls"], o["calls"]);
        assert_eq!(
            w["data-reviewed-mean"], o["reviewed_mean_score"],
            "{}",
            o["operator_id"]
        );
        assert_eq!(w["data-reviewed-pass"], o["reviewed_pass_rate"]);
        assert_eq!(
            w["data-appeals"],
            format!(
                "{}/{}/{}",
                o["appeals_pending"], o["appeals_upheld"], o["appeals_overturned"]
            )
        );
    }
    assert_eq!(shown["1031"]["data-appeals"], "1/0/0");
    // Each day of the trend is that day's reviewed mean, as its own run says.
    let trend = page
        .split("data-id=\"1024\"")
        .nth(1)
        .and_then(|rest| attr(rest, "data-trend"))
        .expect("1024's trend");
    let day_mean = |k: usize| {
        common::table(&rescored[k].join("calls.csv"))
            .iter()
            .filter(|r| r["operator_id"] == "1024")
            .map(|r| r["reviewed_score"].parse::<f64>().expect("score"))
            .collect::<Vec<_>>()
    };
    let mean = |v: Vec<f64>| {
        let cents: i64 = v.iter().map(|x| (x * 100.0).round() as i64).sum();
        cents as f64 / 100.0 / v.len() as f64
    };
    let want: Vec<String> = (0..2)
        .map(|k| {
            let day = ["2026-11-27", "2026-11-28"][k];
            let x = mean(day_mean(k));
            // As the report prints numbers: two decimals, no trailing zeros.
            let t = format!("{x:.2}");
            let t = t.trim_end_matches('0').trim_end_matches('.');
            format!("{day}:{t}")
        })
        .collect();
    assert_eq!(trend, want.join(" "));
    // A one-day range is that day alone.
    let one = rank_rows_of(
        &m.get("/rank?from=2026-11-28&to=2026-11-28").body,
        "op",
        "data-id",
    );
    assert_eq!(one["1024"]["data-calls"], "7");
}

/// `key="value"` inside `text`.
fn attr(text: &str, key: &str) -> Option<String> {
    let k = format!("{key}=\"");
    let i = text.find(&k)? + k.len();
    Some(text[i..].split('"').next().unwrap_or("").to_string())
}

/// Each row of the call page's appeal table: its attributes.
fn appeal_rows(page: &str) -> Vec<BTreeMap<&'static str, String>> {
    page.split("class=\"appeal-row\"")
        .skip(1)
        .map(|rest| {
            let tag = rest.split('>').next().unwrap_or("");
            let end = rest.find("</tr>").unwrap_or(rest.len());
            let mut m = BTreeMap::new();
            for k in [
                "data-fid",
                "data-rule",
                "data-utt",
                "data-appeal",
                "data-version",
                "data-state",
            ] {
                m.insert(k, attr(tag, k).unwrap_or_default());
            }
            m.insert("row", rest[..end].to_string());
            m
        })
        .collect()
}

fn reviewed_score_on_page(body: &str) -> String {
    let key = "id=\"reviewed-score\">";
    let i = body.find(key).expect("reviewed score on the page") + key.len();
    body[i..].split('<').next().unwrap_or("").to_string()
}

/// The ranking's operator rows (as the signed-in user sees them) by id:
/// their data attributes.
fn rank_rows(c: &mut Client, cls: &str, key: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let page = c.get("/rank");
    assert_eq!(page.status, 200, "{}", page.body);
    rank_rows_of(&page.body, cls, key)
}

/// The ranking rows of a /rank page.
fn rank_rows_of(page: &str, cls: &str, key: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    page.split(&format!("<tr class=\"{cls}\""))
        .skip(1)
        .map(|rest| {
            let tag = rest.split('>').next().unwrap_or("");
            let mut m = BTreeMap::new();
            for k in [
                "data-rank",
                "data-calls",
                "data-reviewed-mean",
                "data-reviewed-pass",
                "data-appeals",
            ] {
                m.insert(k.to_string(), attr(tag, k).unwrap_or_default());
            }
            (attr(tag, key).unwrap_or_default(), m)
        })
        .collect()
}

/// Findings of operator `op` that cost points after the machine (not
/// waiting for review), as (call id, rule, utterance).
fn deducted(s: &Server, op: &str) -> Vec<(String, String, String)> {
    s.findings()
        .into_iter()
        .filter(|r| {
            r["operator_id"] == op
                && r["points"] != "0"
                && r["needs_review"] == "false"
                && !r["utterance_index"].is_empty()
        })
        .map(|r| {
            (
                r["call_id"].clone(),
                r["rule"].clone(),
                r["utterance_index"].clone(),
            )
        })
        .collect()
}

/// The appeal row of `rule` at `utt` on a call page.
fn row_of<'a>(
    rows: &'a [BTreeMap<&'static str, String>],
    rule: &str,
    utt: &str,
) -> &'a BTreeMap<&'static str, String> {
    rows.iter()
        .find(|r| r["data-rule"] == rule && r["data-utt"] == utt)
        .unwrap_or_else(|| panic!("no appeal row for {rule} {utt}: {rows:?}"))
}

fn act(c: &mut Client, appeal: &str, version: &str, action: &str, comment: &str) -> http::Answer {
    let csrf = c.csrf();
    c.post(
        "/appeal/act",
        &[
            ("csrf", &csrf),
            ("appeal_id", appeal),
            ("version", version),
            ("action", action),
            ("comment", comment),
        ],
    )
}

#[test]
fn appeal_chain_changes_reviewed_score_and_ranking_and_export_rescores_the_same() {
    let s = start(&["--appeal-days", "36500"]);
    let mine = deducted(&s, "1024");
    // Three different calls' findings: one overturned, one rejected by the
    // team leader, one left pending.
    let mut calls_seen = Vec::new();
    let picked: Vec<_> = mine
        .iter()
        .filter(|(c, _, _)| {
            let fresh = !calls_seen.contains(c);
            calls_seen.push(c.clone());
            fresh
        })
        .take(3)
        .cloned()
        .collect();
    assert!(
        picked.len() >= 2,
        "operator 1024 has deducted findings on two calls: {mine:?}"
    );
    let (call, rule, utt) = picked[0].clone();
    let mut op = s.signed_in("op");
    let mut manager = s.signed_in("manager");
    let before_rank = rank_rows(&mut op, "op", "data-id");
    assert_eq!(before_rank.len(), 1, "the operator sees only their own row");
    assert!(before_rank.contains_key("1024"));
    let before_all = rank_rows(&mut manager, "op", "data-id");
    assert!(before_all.len() > 1, "管理 sees every operator");
    let page = op.get(&format!("/call?id={call}")).body;
    let machine = reviewed_score_on_page(&page);
    let rows = appeal_rows(&page);
    let fid = row_of(&rows, &rule, &utt)["data-fid"].clone();
    assert!(
        page.contains("class=\"file-appeal\""),
        "the operator may appeal"
    );
    // Without the CSRF token: refused, nothing stored.
    let a = op.post(
        "/appeal",
        &[
            ("call_id", &call),
            ("fid", &fid),
            ("reason", "我说的不是这个意思"),
        ],
    );
    assert_eq!(a.status, 403);
    // Another operator's call: refused as not found, whatever the finding.
    let theirs: Vec<(String, String, String)> = s
        .findings()
        .into_iter()
        .filter(|r| r["operator_id"] != "1024" && r["points"] != "0")
        .map(|r| {
            (
                r["call_id"].clone(),
                r["rule"].clone(),
                r["utterance_index"].clone(),
            )
        })
        .collect();
    let csrf = op.csrf();
    let a = op.post(
        "/appeal",
        &[
            ("csrf", &csrf),
            ("call_id", &theirs[0].0),
            ("fid", &fid),
            ("reason", "想申诉"),
        ],
    );
    assert_eq!(a.status, 404, "{}", a.body);
    let mut other = s.signed_in("op3006");
    let c2 = other.csrf();
    let a = other.post(
        "/appeal",
        &[
            ("csrf", &c2),
            ("call_id", &call),
            ("fid", &fid),
            ("reason", "替别人申诉"),
        ],
    );
    assert_eq!(a.status, 404);
    // A reason is required.
    let a = op.post(
        "/appeal",
        &[
            ("csrf", &csrf),
            ("call_id", &call),
            ("fid", &fid),
            ("reason", ""),
        ],
    );
    assert_eq!(a.status, 400);
    // Must-not: a team leader or the QA lead cannot file an operator's appeal.
    let mut lead = s.signed_in("lead");
    let lc = lead.csrf();
    assert_eq!(
        lead.post(
            "/appeal",
            &[
                ("csrf", &lc),
                ("call_id", &call),
                ("fid", &fid),
                ("reason", "代申诉")
            ]
        )
        .status,
        403
    );
    assert!(op.get("/appeals").body.contains("没有这类申诉"));
    // The operator files it.
    let a = op.post(
        "/appeal",
        &[
            ("csrf", &csrf),
            ("call_id", &call),
            ("fid", &fid),
            ("reason", "=我说的是“神经紧张”"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    // Once only.
    let again = op.post(
        "/appeal",
        &[
            ("csrf", &csrf),
            ("call_id", &call),
            ("fid", &fid),
            ("reason", "再申诉一次"),
        ],
    );
    assert_eq!(again.status, 409);
    let page = op.get(&format!("/call?id={call}")).body;
    let row = row_of(&appeal_rows(&page), &rule, &utt).clone();
    assert_eq!(row["data-state"], "lead");
    assert!(row["row"].contains("提出申诉") && row["row"].contains("神经紧张"));
    assert_eq!(
        reviewed_score_on_page(&page),
        machine,
        "a pending appeal still costs points"
    );
    let (aid, v0) = (row["data-appeal"].clone(), row["data-version"].clone());
    // The operator may neither pass nor decide.
    for action in ["pass", "reject", "uphold", "overturn"] {
        assert_eq!(
            act(&mut op, &aid, &v0, action, "自己批准").status,
            403,
            "{action}"
        );
    }
    // A team leader of another team sees nothing of it.
    let mut leadc = s.signed_in("leadc");
    assert_eq!(act(&mut leadc, &aid, &v0, "pass", "").status, 404);
    // The team leader cannot decide, only pass or reject.
    assert_eq!(act(&mut lead, &aid, &v0, "overturn", "撤销吧").status, 403);
    assert!(
        lead.get("/appeals").body.contains(&call),
        "waiting for the team leader"
    );
    // Without the token: refused.
    let a = lead.post(
        "/appeal/act",
        &[("appeal_id", &aid), ("version", &v0), ("action", "pass")],
    );
    assert_eq!(a.status, 403);
    assert_eq!(
        act(&mut lead, &aid, &v0, "pass", "请主管听录音").status,
        303
    );
    // A second team leader on the stale page sees what changed; nothing is overwritten.
    let mut lead2 = s.signed_in("lead2");
    let stale = act(&mut lead2, &aid, &v0, "reject", "不成立");
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains("id=\"conflict\"") && stale.body.contains("转质检主管"));
    // The reviewer cannot decide either.
    let mut qa = s.signed_in("qa");
    let v1 = row_of(
        &appeal_rows(&qa.get(&format!("/call?id={call}")).body),
        &rule,
        &utt,
    )["data-version"]
        .clone();
    assert_eq!(act(&mut qa, &aid, &v1, "overturn", "撤销").status, 403);
    // 管理 reads every appeal but acts on none.
    assert!(manager.get("/appeals").body.contains(&call));
    assert_eq!(act(&mut manager, &aid, &v1, "overturn", "撤销").status, 403);
    // The QA lead sees it waiting, and overturns it (a comment is required).
    let mut qalead = s.signed_in("qalead");
    assert!(qalead.get("/appeals").body.contains(&call));
    assert!(
        qalead.get("/queue").body.contains(&call),
        "the queue lists appeals waiting"
    );
    assert_eq!(act(&mut qalead, &aid, &v1, "overturn", "").status, 400);
    assert_eq!(
        act(&mut qalead, &aid, &v1, "overturn", "听录音确认是误识别").status,
        303
    );
    let page = op.get(&format!("/call?id={call}")).body;
    let row = row_of(&appeal_rows(&page), &rule, &utt).clone();
    assert_eq!(row["data-state"], "overturned");
    for step in ["提出申诉", "转质检主管", "撤销", "听录音确认是误识别"] {
        assert!(
            row["row"].contains(step),
            "history shows {step}: {}",
            row["row"]
        );
    }
    let after = reviewed_score_on_page(&page);
    assert_ne!(after, machine, "an overturned appeal costs nothing");
    // A second appeal, rejected by the team leader (upheld); a third left pending.
    if let Some((call2, rule2, utt2)) = picked.get(1).cloned() {
        let p = op.get(&format!("/call?id={call2}")).body;
        let fid2 = row_of(&appeal_rows(&p), &rule2, &utt2)["data-fid"].clone();
        let c = op.csrf();
        let a = op.post(
            "/appeal",
            &[
                ("csrf", &c),
                ("call_id", &call2),
                ("fid", &fid2),
                ("reason", "当时来电人先骂人"),
            ],
        );
        assert_eq!(a.status, 303);
        let p = lead.get(&format!("/call?id={call2}")).body;
        let r = row_of(&appeal_rows(&p), &rule2, &utt2).clone();
        assert_eq!(
            act(
                &mut lead,
                &r["data-appeal"],
                &r["data-version"],
                "reject",
                ""
            )
            .status,
            400,
            "驳回 needs a reason"
        );
        assert_eq!(
            act(
                &mut lead,
                &r["data-appeal"],
                &r["data-version"],
                "reject",
                "录音里确实说了"
            )
            .status,
            303
        );
    }
    if let Some((call3, rule3, utt3)) = picked.get(2).cloned() {
        let p = op.get(&format!("/call?id={call3}")).body;
        let fid3 = row_of(&appeal_rows(&p), &rule3, &utt3)["data-fid"].clone();
        let c = op.csrf();
        let a = op.post(
            "/appeal",
            &[
                ("csrf", &c),
                ("call_id", &call3),
                ("fid", &fid3),
                ("reason", "等主管看"),
            ],
        );
        assert_eq!(a.status, 303);
    }
    // The ranking follows.
    let now = rank_rows(&mut op, "op", "data-id");
    assert_ne!(
        now["1024"]["data-reviewed-mean"], before_rank["1024"]["data-reviewed-mean"],
        "the overturned appeal raises the reviewed mean"
    );
    let want = format!(
        "{}/{}/1",
        usize::from(picked.len() > 2),
        usize::from(picked.len() > 1)
    );
    assert_eq!(now["1024"]["data-appeals"], want);
    // A reviewer's dismissal elsewhere goes along in the same export.
    let theirs_call = &theirs[0].0;
    let p = qa.get(&format!("/call?id={theirs_call}")).body;
    let fidv = p
        .split("name=\"fid\" value=\"")
        .nth(1)
        .map(|rest| {
            (
                rest.split('"').next().unwrap_or("").to_string(),
                field(rest, "version").unwrap_or_default(),
            )
        })
        .expect("a review form");
    let c = qa.csrf();
    let a = qa.post(
        "/review",
        &[
            ("csrf", &c),
            ("call_id", theirs_call),
            ("fid", &fidv.0),
            ("version", &fidv.1),
            ("verdict", "dismissed"),
        ],
    );
    assert_eq!(a.status, 303);
    // Export, score again with it outside, compare everything.
    let csv = qa.get("/export/reviews.csv");
    assert_eq!(csv.status, 200);
    assert!(csv
        .body
        .starts_with("call_id,rule,utterance_index,verdict,appeal,reviewer,reviewed_at,comment"));
    assert!(csv.body.contains(",overturned,") && csv.body.contains(",appealed,"));
    let file = s.dir.path().join("reviews.csv");
    std::fs::write(&file, &csv.body).expect("write");
    let out = s.dir.path().join("rescored");
    let run = Command::new(BIN)
        .arg("score")
        .arg(samples())
        .arg("--out")
        .arg(&out)
        .arg("--reviews")
        .arg(&file)
        .arg("--config")
        .arg(s.dir.path().join("scorecard.toml"))
        .args(["--quiet", "--as-of", AS_OF])
        .output()
        .expect("score --reviews");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).expect("rejects");
    assert!(
        !rejects.contains("reviews.csv"),
        "every exported row was used: {rejects}"
    );
    let rescored = common::table(&out.join("calls.csv"));
    let row = rescored
        .iter()
        .find(|r| r["call_id"] == call)
        .expect("call");
    assert_eq!(
        row["reviewed_score"], after,
        "workbench and score --reviews agree on the call"
    );
    let ops = common::table(&out.join("operators.csv"));
    let shown = rank_rows(&mut manager, "op", "data-id");
    assert_eq!(shown.len(), ops.len());
    assert!(
        ops.iter().all(|o| !o["rank"].is_empty()),
        "every operator ranked"
    );
    for o in &ops {
        let w = &shown[&o["operator_id"]];
        assert_eq!(w["data-rank"], o["rank"], "{}", o["operator_id"]);
        assert_eq!(w["data-calls"], o["calls"]);
        assert_eq!(
            w["data-reviewed-mean"], o["reviewed_mean_score"],
            "{}",
            o["operator_id"]
        );
        assert_eq!(w["data-reviewed-pass"], o["reviewed_pass_rate"]);
        assert_eq!(
            w["data-appeals"],
            format!(
                "{}/{}/{}",
                o["appeals_pending"], o["appeals_upheld"], o["appeals_overturned"]
            ),
            "{}",
            o["operator_id"]
        );
    }
    let teams = common::table(&out.join("teams.csv"));
    let shown = rank_rows(&mut manager, "team", "data-team");
    assert_eq!(shown.len(), teams.len());
    for t in &teams {
        let w = &shown[&t["team"]];
        assert_eq!(w["data-calls"], t["calls"]);
        assert_eq!(
            w["data-reviewed-mean"], t["reviewed_mean_score"],
            "{}",
            t["team"]
        );
        assert_eq!(w["data-reviewed-pass"], t["reviewed_pass_rate"]);
        assert_eq!(
            w["data-appeals"],
            format!(
                "{}/{}/{}",
                t["appeals_pending"], t["appeals_upheld"], t["appeals_overturned"]
            )
        );
    }
    // The team leader's ranking holds only their team; the audit log has the chain.
    let lead_rows = rank_rows(&mut lead, "op", "data-id");
    assert!(lead_rows.contains_key("1024") && !lead_rows.contains_key("3006"));
    let log = qalead.get("/audit").body;
    for action in [
        "appeal_filed",
        "appeal_pass",
        "appeal_overturn",
        "appeal_reject",
    ] {
        assert!(log.contains(action), "{action} in the audit log");
    }
    // The list filter for appealed calls.
    let list = manager.get("/calls?appealed=1").body;
    assert!(list.contains(&call) && !list.contains(theirs_call.as_str()));
}

#[test]
fn appeal_outside_the_window_is_refused() {
    // The samples are calls of 2026-11-27; a window of 7 days has passed.
    let s = start(&[]);
    let (call, rule, utt) = deducted(&s, "1024")[0].clone();
    let mut op = s.signed_in("op");
    let page = op.get(&format!("/call?id={call}")).body;
    assert!(
        page.contains("id=\"appeal-closed\""),
        "the page says the window is closed"
    );
    assert!(!page.contains("class=\"file-appeal\""));
    let fid = row_of(&appeal_rows(&page), &rule, &utt)["data-fid"].clone();
    let csrf = op.csrf();
    let a = op.post(
        "/appeal",
        &[
            ("csrf", &csrf),
            ("call_id", &call),
            ("fid", &fid),
            ("reason", "太晚了也想申诉"),
        ],
    );
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("已过申诉期限"));
    assert!(op.get("/appeals").body.contains("没有这类申诉"));
}

#[test]
fn review_queue_plans_the_days_sample_as_sample_does() {
    let s = start(&["--sample-per-operator", "2"]);
    let mut qa = s.signed_in("qa");
    let q = qa.get("/queue");
    assert_eq!(q.status, 200, "{}", q.body);
    // The finding waiting for review in the samples (README: 20261127-000250).
    assert!(
        q.body.contains("20261127-000250"),
        "needs_review finding listed"
    );
    // The plan is `sample --per-operator 2 --seed 20261127`'s selection.
    let sheet = s.dir.path().join("plan.xlsx");
    let out = Command::new(BIN)
        .arg("sample")
        .arg(s.runs.join("day1"))
        .args(["--per-operator", "2", "--seed", "20261127", "--out"])
        .arg(&sheet)
        .output()
        .expect("sample");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(&sheet).expect("open sheet");
    let range = wb.worksheet_range("复核").expect("复核 sheet");
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let k = header
        .iter()
        .position(|h| h == "通话编号")
        .expect("通话编号 column");
    let mut want: Vec<String> = rows.map(|r| r[k].to_string()).collect();
    want.dedup();
    let planned: Vec<String> = q
        .body
        .split("class=\"planned ")
        .skip(1)
        .filter_map(|rest| attr(rest, "data-call"))
        .collect();
    assert_eq!(planned, want, "same calls, same order (operator, time)");
    assert!(q.body.contains(&format!(
        "还剩 <strong id=\"plan-open\">{}</strong> 通",
        want.len()
    )));
    // Marking one done takes it off the open count; the plan stays.
    let csrf = qa.csrf();
    let a = qa.post(
        "/queue/done",
        &[
            ("csrf", &csrf),
            ("call_id", &want[0]),
            ("day", "2026-11-27"),
        ],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    let q = qa.get("/queue?day=2026-11-27").body;
    assert!(q.contains(&format!(
        "还剩 <strong id=\"plan-open\">{}</strong> 通",
        want.len() - 1
    )));
    // Confirming the waiting finding takes it off the first list.
    let page = qa.get("/call?id=20261127-000250").body;
    let needs: Vec<(String, String)> = page
        .split("class=\"warn\">待复核</span>")
        .skip(1)
        .filter_map(|rest| Some((field(rest, "fid")?, field(rest, "version")?)))
        .collect();
    assert!(
        !needs.is_empty(),
        "a finding waiting for review on the page"
    );
    for (fid, version) in &needs {
        let a = qa.post(
            "/review",
            &[
                ("csrf", &csrf),
                ("call_id", "20261127-000250"),
                ("fid", fid),
                ("version", version),
                ("verdict", "confirmed"),
            ],
        );
        assert_eq!(a.status, 303);
    }
    let q = qa.get("/queue").body;
    let list = q
        .split("id=\"queue-needs\"")
        .nth(1)
        .unwrap_or("")
        .split("</table>")
        .next()
        .unwrap_or("");
    assert!(!list.contains("20261127-000250"), "{list}");
    // Operators and team leaders have no queue.
    let mut op = s.signed_in("op");
    assert_eq!(op.get("/queue").status, 403);
    let mut lead = s.signed_in("lead");
    assert_eq!(lead.get("/queue").status, 403);
    let c = lead.csrf();
    assert_eq!(
        lead.post("/queue/done", &[("csrf", &c), ("call_id", &want[0])])
            .status,
        403
    );
}

#[test]
fn appeal_chain_in_headless_chromium() {
    let Some((browser, driver)) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium or chromedriver is missing: .ci/run must install them (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "SKIPPED appeal_chain_in_headless_chromium: Chromium or chromedriver is not installed"
        );
        return;
    };
    let s = start(&["--appeal-days", "36500"]);
    let (call, rule, utt) = deducted(&s, "1024")[0].clone();
    let fid = {
        let mut op = s.signed_in("op");
        let page = op.get(&format!("/call?id={call}")).body;
        row_of(&appeal_rows(&page), &rule, &utt)["data-fid"].clone()
    };
    // Stopped when dropped, after the test's result is known.
    let drv = Driver::start(&driver);
    let wd_addr = drv.addr.clone();
    let result = std::panic::catch_unwind(|| {
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {"binary": browser, "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]}
        }}});
        let session = wd(&wd_addr, "POST", "/session", Some(caps));
        let sid = session["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        let go = |url: String| {
            wd(
                &wd_addr,
                "POST",
                &format!("/session/{sid}/url"),
                Some(serde_json::json!({"url": url})),
            );
        };
        let find = |css: &str| -> String {
            let v = wd(
                &wd_addr,
                "POST",
                &format!("/session/{sid}/element"),
                Some(serde_json::json!({"using": "css selector", "value": css})),
            );
            let el = v["value"]["element-6066-11e4-a52e-4f735466cecf"].as_str();
            el.map(str::to_string).unwrap_or_else(|| {
                let src = wd(&wd_addr, "GET", &format!("/session/{sid}/source"), None);
                panic!("no element {css}: {v}\npage: {}", src["value"])
            })
        };
        let typ = |el: &str, text: &str| {
            wd(
                &wd_addr,
                "POST",
                &format!("/session/{sid}/element/{el}/value"),
                Some(serde_json::json!({"text": text})),
            );
        };
        let click = |el: &str| {
            wd(
                &wd_addr,
                "POST",
                &format!("/session/{sid}/element/{el}/click"),
                Some(serde_json::json!({})),
            );
        };
        let text = |el: &str| -> String {
            wd(
                &wd_addr,
                "GET",
                &format!("/session/{sid}/element/{el}/text"),
                None,
            )["value"]
                .as_str()
                .unwrap_or("")
                .to_string()
        };
        // A click on a submit button may return before the next page has
        // loaded: the state is read until it shows (or 10 s pass).
        let wait_text = |css: &str, needle: &str| -> String {
            let mut last = String::new();
            for _ in 0..100 {
                let v = wd(
                    &wd_addr,
                    "POST",
                    &format!("/session/{sid}/element"),
                    Some(serde_json::json!({"using": "css selector", "value": css})),
                );
                if let Some(el) = v["value"]["element-6066-11e4-a52e-4f735466cecf"].as_str() {
                    last = text(el);
                    if last.contains(needle) {
                        return last;
                    }
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let src = wd(&wd_addr, "GET", &format!("/session/{sid}/source"), None);
            panic!(
                "{css} shows {last:?}, not {needle:?}\npage: {}",
                src["value"]
            )
        };
        let login = |name: &str| {
            go(format!("http://{}/login", s.addr));
            typ(&find("#name"), name);
            typ(&find("#password"), PW);
            click(&find("#login"));
            wait_text("#who", name);
            go(format!("http://{}/call?id={call}", s.addr));
        };
        let row = format!("#appeal-f{fid}");
        // The operator appeals.
        login("op");
        let before = text(&find("#reviewed-score"));
        typ(
            &find(&format!("{row} input[name=reason]")),
            "我说的是“神经紧张”",
        );
        click(&find(&format!("{row} button.file-appeal")));
        wait_text(&format!("{row} .appeal-state"), "待班长处理");
        click(&find("form.logout button"));
        // The team leader passes it up.
        login("lead");
        typ(
            &find(&format!("{row} form.appeal-act input[name=comment]")),
            "请主管听录音",
        );
        click(&find(&format!("{row} button.act-pass")));
        wait_text(&format!("{row} .appeal-state"), "待质检主管裁决");
        click(&find("form.logout button"));
        // The QA lead overturns it.
        login("qalead");
        let inputs = wd(
            &wd_addr,
            "POST",
            &format!("/session/{sid}/elements"),
            Some(
                serde_json::json!({"using": "css selector", "value": format!("{row} form.appeal-act")}),
            ),
        );
        assert_eq!(
            inputs["value"].as_array().map_or(0, Vec::len),
            2,
            "维持 and 撤销"
        );
        let overturn_form = format!("{row} form.appeal-act:nth-of-type(2)");
        typ(
            &find(&format!("{overturn_form} input[name=comment]")),
            "听录音确认是误识别",
        );
        click(&find(&format!("{overturn_form} button.act-overturn")));
        wait_text(&format!("{row} .appeal-state"), "撤销");
        // The finding in the dialogue says where its appeal stands.
        wait_text(&format!("#f{fid} .verdict"), "申诉撤销");
        let after = text(&find("#reviewed-score"));
        // The ranking shows the operator's new reviewed mean.
        go(format!("http://{}/rank", s.addr));
        let mean = text(&find("tr.op[data-id='1024'] td.reviewed-mean"));
        wd(&wd_addr, "DELETE", &format!("/session/{sid}"), None);
        (before, after, mean)
    });
    drop(drv);
    let (before, after, mean) = result.unwrap_or_else(|e| std::panic::resume_unwind(e));
    assert_ne!(
        before, after,
        "the overturned appeal changed the reviewed score"
    );
    assert!(!mean.is_empty());
    eprintln!("reviewed score in Chromium: {before} → {after}; 1024's reviewed mean {mean}");
}
