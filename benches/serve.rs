//! The workbench at a year's scale (issue 21, BENCHMARKS.md "Workbench").
//!
//! ```sh
//! cargo bench --bench serve                        # build (once), pages, load test
//! cargo bench --bench serve -- build --calls 5000000
//! cargo bench --bench serve -- pages               # p95 of each page over HTTP
//! cargo bench --bench serve -- load --users 50 --seconds 60
//! ```
//!
//! `build` makes `--dir` (default `/tmp/hq-bench`): a real day of
//! `--real` generated calls (`gen` + `score`, imported by the workbench's
//! own import, so that their dialogues open from the transcript file), and
//! then `--calls` synthetic calls inserted straight into the same tables
//! (through the same schema and triggers), spread over a year of days, 600
//! operators in 30 teams, each synthetic call copying the score and
//! findings of a random real one (so findings come at the rates `score`
//! finds them). Scoring 5 million calls would take an hour; inserting
//! them takes a few minutes. `pages` and `load` start the release binary
//! on that database, on 127.0.0.1 only, and log in over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hotline_qa::serve::{self, db, Role};
use rusqlite::params;

const BIN: &str = env!("CARGO_BIN_EXE_hotline-qa");
const PASSWORD: &str = "bench-password-21";
const OPERATORS: u64 = 600;
const TEAMS: u64 = 30;

struct Args {
    what: String,
    dir: PathBuf,
    calls: u64,
    real: u64,
    users: usize,
    seconds: u64,
    reps: usize,
}

fn args() -> Args {
    let mut a = Args {
        what: "all".into(),
        dir: PathBuf::from("/tmp/hq-bench"),
        calls: 5_000_000,
        real: 5_000,
        users: 50,
        seconds: 60,
        reps: 40,
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < v.len() {
        let next = v.get(i + 1).cloned().unwrap_or_default();
        match v[i].as_str() {
            "--dir" => a.dir = PathBuf::from(&next),
            "--calls" => a.calls = next.parse().unwrap_or(a.calls),
            "--real" => a.real = next.parse().unwrap_or(a.real),
            "--users" => a.users = next.parse().unwrap_or(a.users),
            "--seconds" => a.seconds = next.parse().unwrap_or(a.seconds).min(600),
            "--reps" => a.reps = next.parse().unwrap_or(a.reps),
            "build" | "pages" | "load" | "all" => {
                a.what = v[i].clone();
                i += 1;
                continue;
            }
            // `cargo bench` passes --bench.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    a
}

/// splitmix64: the synthetic rows are the same on every build.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run hotline-qa");
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn db_path(a: &Args) -> PathBuf {
    a.dir.join("bench.sqlite")
}

/// A real call of the generated day (it opens from the transcript).
struct RealCall {
    call_id: String,
    score: f64,
    passed: bool,
    red_line: bool,
    needs_review: i64,
    critical: i64,
    findings: Vec<(String, String, String, f64, Option<i64>, bool)>,
}

fn build(a: &Args) {
    let done = a.dir.join(format!("built-{}-{}", a.calls, a.real));
    if done.is_file() {
        println!("database already built: {}", db_path(a).display());
        return;
    }
    let _ = std::fs::remove_dir_all(&a.dir);
    std::fs::create_dir_all(&a.dir).expect("mkdir");
    let t0 = Instant::now();
    let input = a.dir.join("in");
    run(Command::new(BIN)
        .args(["gen", "--seed", "21", "--day", "2026-11-27", "--calls"])
        .arg(a.real.to_string())
        .arg("--out")
        .arg(&input));
    let runs = a.dir.join("runs");
    run(Command::new(BIN)
        .arg("score")
        .arg(input.join("calls.jsonl"))
        .arg(input.join("tickets.csv"))
        .arg("--directory")
        .arg(input.join("directory.csv"))
        .arg("--out")
        .arg(runs.join("2026-11-27"))
        .args([
            "--quiet",
            "--no-reports",
            "--as-of",
            "2026-11-28T00:00:00+08:00",
        ]));
    println!(
        "real day: {} calls generated and scored in {:.1} s",
        a.real,
        t0.elapsed().as_secs_f64()
    );
    let mut conn = db::open(&db_path(a)).expect("open db");
    let t1 = Instant::now();
    let imp = db::import_run(&mut conn, &runs.join("2026-11-27")).expect("import");
    println!(
        "import of the real day: {} calls, {} findings, {} located, {:.2} s",
        imp.calls,
        imp.findings,
        imp.located,
        t1.elapsed().as_secs_f64()
    );
    // The real calls, each a template for synthetic ones.
    let mut real: Vec<RealCall> = {
        let mut st = conn
            .prepare("SELECT call_id, score, passed, red_line, needs_review, critical FROM calls ORDER BY call_id")
            .expect("sql");
        st.query_map([], |r| {
            Ok(RealCall {
                call_id: r.get(0)?,
                score: r.get(1)?,
                passed: r.get(2)?,
                red_line: r.get(3)?,
                needs_review: r.get(4)?,
                critical: r.get(5)?,
                findings: Vec::new(),
            })
        })
        .expect("sql")
        .collect::<Result<_, _>>()
        .expect("rows")
    };
    {
        let mut st = conn
            .prepare("SELECT call_id, norm, rule, severity, points, utterance_index, needs_review FROM findings ORDER BY id")
            .expect("sql");
        let mut rows = st.query([]).expect("sql");
        let index: std::collections::HashMap<String, usize> = real
            .iter()
            .enumerate()
            .map(|(i, c)| (c.call_id.clone(), i))
            .collect();
        while let Some(r) = rows.next().expect("row") {
            let id: String = r.get(0).expect("id");
            if let Some(&i) = index.get(&id) {
                real[i].findings.push((
                    r.get(1).expect("norm"),
                    r.get(2).expect("rule"),
                    r.get(3).expect("severity"),
                    r.get(4).expect("points"),
                    r.get(5).expect("utt"),
                    r.get(6).expect("needs"),
                ));
            }
        }
    }
    let t2 = Instant::now();
    conn.pragma_update(None, "cache_size", -1_000_000)
        .expect("pragma");
    conn.pragma_update(None, "synchronous", "OFF")
        .expect("pragma");
    conn.execute(
        "INSERT INTO runs(path, imported_at, calls, findings, duplicates, seconds) VALUES ('(合成)', ?1, ?2, 0, 0, 0)",
        params![db::now_utc(), a.calls as i64],
    )
    .expect("run row");
    let run_id = conn.last_insert_rowid();
    let mut rng = Rng(21);
    let days = 365u64;
    let per_day = a.calls.div_ceil(days);
    let start = chrono::NaiveDate::from_ymd_opt(2025, 11, 27).expect("date");
    let mut n = 0u64;
    let mut findings = 0u64;
    while n < a.calls {
        let tx = conn.transaction().expect("tx");
        {
            let mut call = tx
                .prepare(
                    "INSERT INTO calls(call_id, run_id, day, started_at, operator_id, operator_name, team,
                       score, passed, red_line, reviewed_score, needs_review, critical, findings)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?8, ?11, ?12, ?13)",
                )
                .expect("sql");
            let mut find = tx
                .prepare(
                    "INSERT INTO findings(call_id, norm, rule, severity, points, utterance_index, needs_review)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .expect("sql");
            let end = (n + 250_000).min(a.calls);
            while n < end {
                let d = n / per_day;
                let k = n % per_day;
                let day = start + chrono::Days::new(d);
                // Calls of a day spread over 07:00–23:00, in order.
                let secs = 7 * 3600 + k * 16 * 3600 / per_day;
                let started = format!(
                    "{day}T{:02}:{:02}:{:02}+08:00",
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60
                );
                let op = rng.below(OPERATORS);
                let team = format!("第{:02}班", op % TEAMS + 1);
                let t = &real[rng.below(real.len() as u64) as usize];
                let id = format!("S{}-{:06}", day.format("%Y%m%d"), k);
                call.execute(params![
                    id,
                    run_id,
                    day.to_string(),
                    started,
                    format!("S{:04}", op + 1),
                    format!("话务员{:04}", op + 1),
                    team,
                    t.score,
                    t.passed,
                    t.red_line,
                    t.needs_review,
                    t.critical,
                    t.findings.len() as i64
                ])
                .expect("insert call");
                for f in &t.findings {
                    find.execute(params![id, f.0, f.1, f.2, f.3, f.4, f.5])
                        .expect("insert finding");
                    findings += 1;
                }
                n += 1;
            }
        }
        tx.commit().expect("commit");
        println!(
            "  {n} synthetic calls, {findings} findings, {:.0} s",
            t2.elapsed().as_secs_f64()
        );
    }
    conn.execute(
        "UPDATE runs SET findings = ?2 WHERE id = ?1",
        params![run_id, findings as i64],
    )
    .expect("run row");
    let t3 = Instant::now();
    conn.execute_batch("ANALYZE").expect("analyze");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint");
    println!(
        "synthetic: {n} calls and {findings} findings in {:.0} s, ANALYZE {:.0} s",
        t3.duration_since(t2).as_secs_f64(),
        t3.elapsed().as_secs_f64()
    );
    drop(conn);
    let size = std::fs::metadata(db_path(a)).map_or(0, |m| m.len());
    println!("database: {:.2} GB", size as f64 / 1e9);
    // The accounts: one per role the pages are measured as, and the load
    // test's users.
    for (name, role, op, team) in [
        ("bench-qa", Role::Reviewer, "", ""),
        ("bench-lead", Role::Lead, "", "第07班"),
        ("bench-op", Role::Operator, "S0007", ""),
    ] {
        serve::add_user(&db_path(a), name, role, op, team, Some(PASSWORD)).expect("user");
    }
    std::fs::write(&done, "").expect("marker");
    println!("built in {:.0} s", t0.elapsed().as_secs_f64());
}

/// An HTTP answer: status and body.
struct Answer {
    status: u16,
    body: String,
}

/// A client with a cookie jar, one connection per request (as the test
/// client); errors are returned, not panics, so the load test counts them.
#[derive(Clone)]
struct Client {
    addr: String,
    cookies: Vec<(String, String)>,
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn field(body: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let i = body.find(&key)? + key.len();
    let j = body[i..].find('"')?;
    Some(body[i..i + j].to_string())
}

impl Client {
    fn send(&mut self, method: &str, path: &str, body: &str) -> std::io::Result<Answer> {
        let mut s = TcpStream::connect(&self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if !cookie.is_empty() {
            req.push_str(&format!("Cookie: {}\r\n", cookie.join("; ")));
        }
        if method == "POST" {
            req.push_str(&format!(
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes())?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        let text = String::from_utf8_lossy(&raw).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                if k.trim().eq_ignore_ascii_case("set-cookie") {
                    let first = v.trim().split(';').next().unwrap_or("");
                    if let Some((name, value)) = first.split_once('=') {
                        self.cookies.retain(|(k, _)| k != name);
                        if !value.is_empty() && !v.contains("Max-Age=0") {
                            self.cookies.push((name.to_string(), value.to_string()));
                        }
                    }
                }
            }
        }
        Ok(Answer {
            status,
            body: body.to_string(),
        })
    }

    fn login(addr: &str, name: &str) -> std::io::Result<Client> {
        let mut c = Client {
            addr: addr.to_string(),
            cookies: Vec::new(),
        };
        let page = c.send("GET", "/login", "")?;
        let csrf = field(&page.body, "csrf").unwrap_or_default();
        let body = format!(
            "name={}&password={}&csrf={}",
            enc(name),
            enc(PASSWORD),
            enc(&csrf)
        );
        let a = c.send("POST", "/login", &body)?;
        if a.status != 303 {
            return Err(std::io::Error::other(format!(
                "login {name}: status {}",
                a.status
            )));
        }
        Ok(c)
    }
}

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Peak and current resident memory of the server, from /proc.
    fn memory(&self) -> String {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let get = |k: &str| {
            status
                .lines()
                .find(|l| l.starts_with(k))
                .map(|l| l[k.len()..].trim().to_string())
                .unwrap_or_default()
        };
        format!("peak RSS {}, now {}", get("VmHWM:"), get("VmRSS:"))
    }
}

fn start(a: &Args) -> Server {
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--db")
        .arg(db_path(a))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
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
    Server { child, addr }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

/// What the pages are asked: real call ids, operator ids, rules, and the
/// sort keys of rows deep in the list (for keyset links).
struct Sample {
    real: Vec<String>,
    rules: Vec<String>,
    deep_time: Vec<String>,
    deep_score: Vec<String>,
}

fn sample(a: &Args) -> Sample {
    let conn = db::open(&db_path(a)).expect("open");
    let real: Vec<String> = conn
        .prepare("SELECT call_id FROM calls WHERE call_id NOT LIKE 'S%' ORDER BY call_id")
        .and_then(|mut st| {
            let v = st.query_map([], |r| r.get(0))?.collect();
            v
        })
        .expect("real ids");
    let rules: Vec<String> = conn
        .prepare("SELECT rule FROM findings WHERE call_id NOT LIKE 'S%' GROUP BY rule ORDER BY COUNT(*) DESC")
        .and_then(|mut st| {
            let v = st.query_map([], |r| r.get(0))?.collect();
            v
        })
        .expect("rules");
    let total: i64 = conn
        .query_row("SELECT COUNT(*) FROM calls", [], |r| r.get(0))
        .expect("count");
    let mut deep_time = Vec::new();
    let mut deep_score = Vec::new();
    for k in 1..=4 {
        let off = total * k / 5;
        let (t, id, s): (String, String, f64) = conn
            .query_row(
                "SELECT started_at, call_id, reviewed_score FROM calls ORDER BY started_at DESC, call_id DESC LIMIT 1 OFFSET ?1",
                [off],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("deep row");
        deep_time.push(serde_json::json!([t, id]).to_string());
        deep_score.push(serde_json::json!([s, id]).to_string());
    }
    Sample {
        real,
        rules,
        deep_time,
        deep_score,
    }
}

fn pages(a: &Args) {
    let s = sample(a);
    let server = start(a);
    let addr = server.addr.clone();
    let mut qa = Client::login(&addr, "bench-qa").expect("login qa");
    let mut lead = Client::login(&addr, "bench-lead").expect("login lead");
    let mut op = Client::login(&addr, "bench-op").expect("login op");
    let mut rng = Rng(7);
    let n = a.reps;
    let common = &s.rules[..s.rules.len().min(3)];
    let rare = &s.rules[s.rules.len().saturating_sub(3)..];
    type Gen<'a> = Box<dyn Fn(&mut Rng) -> String + 'a>;
    let cases: Vec<(&str, &str, Gen)> = vec![
        (
            "list, unfiltered, newest first",
            "qa",
            Box::new(|_| "/calls".into()),
        ),
        (
            "list, operator",
            "qa",
            Box::new(|r| format!("/calls?operator=S{:04}", r.below(OPERATORS) + 1)),
        ),
        (
            "list, team",
            "qa",
            Box::new(|r| {
                format!(
                    "/calls?team={}",
                    enc(&format!("第{:02}班", r.below(TEAMS) + 1))
                )
            }),
        ),
        (
            "list, day",
            "qa",
            Box::new(|r| {
                format!(
                    "/calls?day=2026-{:02}-{:02}",
                    r.below(9) + 1,
                    r.below(28) + 1
                )
            }),
        ),
        (
            "list, norm",
            "qa",
            Box::new(|r| {
                format!(
                    "/calls?norm={}",
                    ["greeting", "closing", "courtesy", "taboo", "ticket", "process", "attitude"]
                        [r.below(7) as usize]
                )
            }),
        ),
        (
            "list, common rule",
            "qa",
            Box::new(move |r| {
                format!(
                    "/calls?rule={}",
                    common[r.below(common.len() as u64) as usize]
                )
            }),
        ),
        (
            "list, rare rule",
            "qa",
            Box::new(move |r| format!("/calls?rule={}", rare[r.below(rare.len() as u64) as usize])),
        ),
        (
            "list, score 60–70",
            "qa",
            Box::new(|r| format!("/calls?min={}&max={}", 50 + r.below(20), 70 + r.below(10))),
        ),
        (
            "list, needs_review",
            "qa",
            Box::new(|_| "/calls?needs_review=1".into()),
        ),
        (
            "list, sorted by score",
            "qa",
            Box::new(|r| {
                format!(
                    "/calls?sort={}",
                    ["score", "score_desc", "operator", "needs", "time_asc"][r.below(5) as usize]
                )
            }),
        ),
        (
            "list, team + rule + score sort",
            "qa",
            Box::new(move |r| {
                format!(
                    "/calls?team={}&rule={}&sort=score",
                    enc(&format!("第{:02}班", r.below(TEAMS) + 1)),
                    common[0]
                )
            }),
        ),
        (
            "list, deep page (keyset, 1M–4M rows in)",
            "qa",
            Box::new(|r| {
                let k = r.below(4) as usize;
                if r.below(2) == 0 {
                    format!("/calls?page=20000&after={}", enc(&s.deep_time[k]))
                } else {
                    format!(
                        "/calls?sort=score_desc&page=20000&after={}",
                        enc(&s.deep_score[k])
                    )
                }
            }),
        ),
        (
            "list, page 20 by number (OFFSET)",
            "qa",
            Box::new(|r| format!("/calls?page={}", 2 + r.below(19))),
        ),
        ("list, as team lead", "lead", Box::new(|_| "/calls".into())),
        (
            "list, as operator",
            "op",
            Box::new(|_| "/calls?sort=score".into()),
        ),
        (
            "概览 (overview), all calls",
            "qa",
            Box::new(|_| "/overview".into()),
        ),
        ("概览, team lead", "lead", Box::new(|_| "/overview".into())),
        ("概览, operator", "op", Box::new(|_| "/overview".into())),
        (
            "通话详情 (detail)",
            "qa",
            Box::new(|r| {
                format!(
                    "/call?id={}",
                    enc(&s.real[r.below(s.real.len() as u64) as usize])
                )
            }),
        ),
    ];
    println!("\n| page | requests | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|");
    for (name, who, make) in &cases {
        let c = match *who {
            "lead" => &mut lead,
            "op" => &mut op,
            _ => &mut qa,
        };
        let mut times = Vec::new();
        for _ in 0..n {
            let path = make(&mut rng);
            let t = Instant::now();
            let ans = c.send("GET", &path, "").expect("request");
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            let head: String = ans.body.chars().take(500).collect();
            assert_eq!(ans.status, 200, "{path}: {head}");
            // A detail page must show the dialogue, not say it cannot.
            assert!(
                !path.starts_with("/call?") || ans.body.contains("class=\"utt"),
                "{path}: no dialogue: {head}"
            );
        }
        let max = times.iter().cloned().fold(0.0, f64::max);
        let p50 = pct(&mut times, 0.5);
        let p95 = pct(&mut times, 0.95);
        println!("| {name} | {n} | {p50:.1} | {p95:.1} | {max:.1} |");
    }
    // Saving a review scores the call again: measured on real calls.
    let mut times = Vec::new();
    for k in 0..n * 50 {
        if times.len() >= n {
            break;
        }
        let id = &s.real[(k * 37) % s.real.len()];
        let page = qa
            .send("GET", &format!("/call?id={}", enc(id)), "")
            .expect("page");
        let (Some(fid), Some(version), Some(csrf)) = (
            field(&page.body, "fid"),
            field(&page.body, "version"),
            field(&page.body, "csrf"),
        ) else {
            continue;
        };
        let body = format!(
            "csrf={}&call_id={}&fid={fid}&version={version}&verdict=confirmed&comment=bench",
            enc(&csrf),
            enc(id)
        );
        let t = Instant::now();
        let ans = qa.send("POST", "/review", &body).expect("review");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(
            ans.status == 303 || ans.status == 409,
            "review: {}",
            ans.status
        );
    }
    if !times.is_empty() {
        let n = times.len();
        let max = times.iter().cloned().fold(0.0, f64::max);
        let p50 = pct(&mut times, 0.5);
        let p95 = pct(&mut times, 0.95);
        println!("| 保存复核 (save a review) | {n} | {p50:.1} | {p95:.1} | {max:.1} |");
    }
    println!("\nserver memory: {}", server.memory());
}

/// The page's 下一页 link, unescaped as a browser would.
fn next_link(body: &str) -> Option<String> {
    let p = body.split("href=\"").find(|p| p.contains("id=\"next\""))?;
    let href = p.split('"').next()?;
    Some(
        href.replace("&#x2f;", "/")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
}

/// The load test's accounts, made when missing: one in five a team lead,
/// one in five an operator, the rest reviewers.
fn load_users(a: &Args) {
    let conn = db::open(&db_path(a)).expect("open");
    for u in 0..a.users {
        let name = format!("load{u:03}");
        let known: i64 = conn
            .query_row("SELECT COUNT(*) FROM users WHERE name = ?1", [&name], |r| {
                r.get(0)
            })
            .expect("users");
        if known > 0 {
            continue;
        }
        let (role, op, team) = match u % 5 {
            0 => (Role::Lead, String::new(), format!("第{:02}班", u % 30 + 1)),
            1 => (Role::Operator, format!("S{:04}", u + 1), String::new()),
            _ => (Role::Reviewer, String::new(), String::new()),
        };
        serve::add_user(&db_path(a), &name, role, &op, &team, Some(PASSWORD)).expect("user");
    }
}

fn load(a: &Args) {
    load_users(a);
    let s = Arc::new(sample(a));
    let server = start(a);
    let addr = server.addr.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let times = Arc::new(Mutex::new(Vec::<f64>::new()));
    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let t0 = Instant::now();
    let deadline = Duration::from_secs(a.seconds);
    let threads: Vec<_> = (0..a.users)
        .map(|u| {
            let (s, stop, times, errors, addr) = (
                s.clone(),
                stop.clone(),
                times.clone(),
                errors.clone(),
                addr.clone(),
            );
            std::thread::spawn(move || {
                let mut rng = Rng(1000 + u as u64);
                let name = format!("load{u:03}");
                let t = Instant::now();
                let mut c = match Client::login(&addr, &name) {
                    Ok(c) => c,
                    Err(e) => {
                        errors.lock().expect("lock").push(format!("{name}: {e}"));
                        return;
                    }
                };
                let mut mine = vec![t.elapsed().as_secs_f64() * 1000.0];
                let mut next: Option<String> = None;
                // Operators and team leads see only their own calls: they
                // browse their lists; reviewers open the real calls too.
                let reviewer = u % 5 >= 2;
                while !stop.load(Ordering::Relaxed) {
                    let path = match rng.below(10) {
                        0 => "/overview".to_string(),
                        1..=4 if !reviewer => "/calls?sort=score".to_string(),
                        1..=4 => format!(
                            "/call?id={}",
                            enc(&s.real[rng.below(s.real.len() as u64) as usize])
                        ),
                        5 => next.take().unwrap_or_else(|| "/calls".into()),
                        6 => format!(
                            "/calls?team={}",
                            enc(&format!("第{:02}班", rng.below(TEAMS) + 1))
                        ),
                        7 => format!(
                            "/calls?rule={}&sort=score",
                            s.rules[rng.below(s.rules.len().min(8) as u64) as usize]
                        ),
                        8 => format!("/calls?operator=S{:04}", rng.below(OPERATORS) + 1),
                        _ => format!("/calls?min=40&max={}&sort=score_desc", 60 + rng.below(20)),
                    };
                    let t = Instant::now();
                    match c.send("GET", &path, "") {
                        Ok(ans)
                            if ans.status == 200
                                && (!path.starts_with("/call?")
                                    || ans.body.contains("class=\"utt")) =>
                        {
                            mine.push(t.elapsed().as_secs_f64() * 1000.0);
                            if path.starts_with("/calls") {
                                next = next_link(&ans.body);
                            }
                        }
                        Ok(ans) => errors.lock().expect("lock").push(format!(
                            "{name} {path}: status {} or no dialogue",
                            ans.status
                        )),
                        Err(e) => errors
                            .lock()
                            .expect("lock")
                            .push(format!("{name} {path}: {e}")),
                    }
                }
                times.lock().expect("lock").extend(mine);
            })
        })
        .collect();
    while t0.elapsed() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let wall = t0.elapsed().as_secs_f64();
    let mut v = times.lock().expect("lock").clone();
    let errors = errors.lock().expect("lock").clone();
    let n = v.len();
    let max = v.iter().cloned().fold(0.0, f64::max);
    println!(
        "\nload: {} users for {:.0} s: {n} requests ({:.0}/s), {} errors; p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        a.users,
        wall,
        n as f64 / wall,
        errors.len(),
        pct(&mut v, 0.5),
        pct(&mut v, 0.95),
        pct(&mut v, 0.99),
        max
    );
    for e in errors.iter().take(10) {
        println!("  error: {e}");
    }
    println!("server memory: {}", server.memory());
}

fn main() {
    let a = args();
    match a.what.as_str() {
        "build" => build(&a),
        "pages" => pages(&a),
        "load" => load(&a),
        _ => {
            build(&a);
            pages(&a);
            load(&a);
        }
    }
}
