//! The QA workbench (`hotline-qa serve`) over real HTTP: roles and what
//! each may open, CSRF, escaping, sessions, the login rate limit, the
//! review loop back into `score --reviews`, and one pass in headless
//! Chromium through chromedriver.

mod common;
#[path = "common/http.rs"]
mod http;
#[path = "common/webdriver.rs"]
mod webdriver;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use http::{field, Client};
use webdriver::{chromium, wd, Driver};

const BIN: &str = env!("CARGO_BIN_EXE_hotline-qa");

fn samples(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// A call of operator 9001 (team X班) whose words hold markup.
const EVIL_ID: &str = "20261127-999001";
const EVIL_TEXT: &str = "<script>alert('x')</script><img src=x onerror=alert(1)>";

/// The samples plus one call holding markup, scored into `runs/day1`.
fn scored_runs(dir: &Path) -> PathBuf {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    let mut calls = std::fs::read_to_string(samples("calls.jsonl")).expect("samples");
    let first: serde_json::Value =
        serde_json::from_str(calls.lines().next().expect("a line")).expect("json");
    let mut evil = first.clone();
    evil["call_id"] = EVIL_ID.into();
    evil["operator_id"] = "9001".into();
    evil["team"] = "X班".into();
    evil["utterances"][1]["text"] = EVIL_TEXT.into();
    if !calls.ends_with('\n') {
        calls.push('\n');
    }
    calls.push_str(&evil.to_string());
    calls.push('\n');
    std::fs::write(input.join("calls.jsonl"), calls).expect("write");
    std::fs::copy(samples("tickets.csv"), input.join("tickets.csv")).expect("copy");
    let runs = dir.join("runs");
    std::fs::create_dir_all(&runs).expect("mkdir");
    let out = Command::new(BIN)
        .arg("score")
        .arg(&input)
        .arg("--out")
        .arg(runs.join("day1"))
        .args([
            "--quiet",
            "--no-reports",
            "--as-of",
            "2026-11-28T00:00:00+08:00",
        ])
        .output()
        .expect("run score");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    runs
}

fn add_user(db: &Path, name: &str, role: &str, extra: &[&str], password: &str) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--db")
        .arg(db)
        .args(["add-user", name, "--role", role, "--password-stdin"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("add-user");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write password");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const PW: &str = "correct horse battery";

/// A running workbench, stopped when dropped.
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
    fn client(&self) -> Client {
        Client::new(&self.addr)
    }
    fn signed_in(&self, name: &str) -> Client {
        let mut c = self.client();
        let a = c.login(name, PW);
        assert_eq!(a.status, 303, "login as {name}: {}", a.body);
        c
    }
}

/// Scores the runs, creates one account per role and starts the server
/// on a free loopback port.
fn start() -> Server {
    let dir = tempfile::tempdir().expect("tmp");
    let runs = scored_runs(dir.path());
    let db = dir.path().join("wb.sqlite");
    add_user(&db, "admin", "管理员", &[], PW);
    add_user(&db, "qa", "质检员", &[], PW);
    add_user(&db, "qa2", "reviewer", &[], PW);
    add_user(&db, "qalead", "质检主管", &[], PW);
    add_user(&db, "manager", "管理", &[], PW);
    add_user(&db, "lead", "班长", &["--team", "A班"], PW);
    add_user(&db, "op", "话务员", &["--operator-id", "1024"], PW);
    add_user(&db, "evil_op", "话务员", &["--operator-id", "9001"], PW);
    start_on(dir, runs)
}

fn start_on(dir: tempfile::TempDir, runs: PathBuf) -> Server {
    let (child, addr) = spawn_server(&dir.path().join("wb.sqlite"), &runs);
    Server {
        child,
        addr,
        dir,
        runs,
    }
}

/// Starts `serve` and returns it with the address it printed.
fn spawn_server(db: &Path, runs: &Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .arg("--db")
        .arg(db)
        .arg("--runs")
        .arg(runs)
        .args(["--listen", "127.0.0.1:0", "--poll-seconds", "1"])
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

impl Server {
    /// Stops the server and starts it again on the same database.
    fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, addr) = spawn_server(&self.dir.path().join("wb.sqlite"), &self.runs);
        self.child = child;
        self.addr = addr;
    }
}

/// A call id from `findings.csv` of operator `op` with a finding that costs points.
fn call_with_deduction(runs: &Path, op: &str) -> String {
    common::table(&runs.join("day1").join("findings.csv"))
        .into_iter()
        .find(|r| r["operator_id"] == op && r["points"] != "0" && !r["utterance_index"].is_empty())
        .map(|r| r["call_id"].clone())
        .expect("a deducted finding")
}

/// A call id of operator `op` from `calls.csv`.
fn any_call(runs: &Path, op: &str) -> String {
    common::table(&runs.join("day1").join("calls.csv"))
        .into_iter()
        .find(|r| r["operator_id"] == op)
        .map(|r| r["call_id"].clone())
        .expect("a call of that operator")
}

fn reviewed_score_on_page(body: &str) -> String {
    let key = "id=\"reviewed-score\">";
    let i = body.find(key).expect("reviewed score on the page") + key.len();
    body[i..].split('<').next().unwrap_or("").to_string()
}

/// (fid, version) of every review form on a call page.
fn review_forms(body: &str) -> Vec<(String, String)> {
    body.split("name=\"fid\" value=\"")
        .skip(1)
        .map(|rest| {
            let fid = rest.split('"').next().unwrap_or("").to_string();
            let version = field(rest, "version").unwrap_or_default();
            (fid, version)
        })
        .collect()
}

#[test]
fn each_role_logs_in_and_sees_only_its_pages() {
    let s = start();
    for name in ["admin", "qa", "qalead", "manager", "lead", "op"] {
        let mut c = s.signed_in(name);
        let home = c.get("/");
        assert_eq!(home.status, 303, "{name}");
        let calls = c.get("/calls");
        if name == "admin" {
            assert_eq!(
                calls.status, 403,
                "the administrator manages accounts, not calls"
            );
            assert_eq!(c.get("/admin/users").status, 200);
        } else {
            assert_eq!(calls.status, 200, "{name}: {}", calls.body);
            assert_eq!(
                c.get("/admin/users").status,
                403,
                "{name} is no administrator"
            );
        }
    }
    // The operator's list holds only their own calls; the team lead's only
    // their team's.
    let mut op = s.signed_in("op");
    let list = op.get("/calls").body;
    assert!(list.contains("<td>1024</td>"), "{list}");
    assert!(!list.contains("<td>3006</td>") && !list.contains(EVIL_ID));
    let mut lead = s.signed_in("lead");
    let list = lead.get("/calls").body;
    assert!(list.contains("<td>A班</td>"));
    assert!(!list.contains("<td>C班</td>") && !list.contains("<td>X班</td>"));
    // The manager sees everyone's, including the added call.
    let mut m = s.signed_in("manager");
    assert!(m.get("/calls?team=X%E7%8F%AD").body.contains(EVIL_ID));
}

#[test]
fn operator_opening_another_operators_call_by_url_is_refused() {
    let s = start();
    let mine = call_with_deduction(&s.runs, "1024");
    let theirs = any_call(&s.runs, "3006");
    let mut op = s.signed_in("op");
    let own = op.get(&format!("/call?id={mine}"));
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(
        own.body.contains("id=\"u0\""),
        "own call shows its dialogue"
    );
    let other = op.get(&format!("/call?id={theirs}"));
    assert_eq!(other.status, 404);
    assert!(!other.body.contains("id=\"u0\"") && !other.body.contains("3006"));
    // Nor may the operator review (even their own call), with a valid token.
    let csrf = op.csrf();
    let a = op.post(
        "/review",
        &[
            ("csrf", &csrf),
            ("call_id", &mine),
            ("fid", "1"),
            ("version", "0"),
            ("verdict", "dismissed"),
        ],
    );
    assert_eq!(a.status, 403);
    // A team lead cannot open a call of another team either.
    let mut lead = s.signed_in("lead");
    assert_eq!(lead.get(&format!("/call?id={theirs}")).status, 404);
    assert_eq!(lead.get(&format!("/call?id={mine}")).status, 200);
}

#[test]
fn post_without_csrf_token_is_refused() {
    let s = start();
    let id = call_with_deduction(&s.runs, "1024");
    let mut qa = s.signed_in("qa");
    let page = qa.get(&format!("/call?id={id}")).body;
    let (fid, version) = review_forms(&page)
        .into_iter()
        .next()
        .expect("a review form");
    let before = reviewed_score_on_page(&page);
    for csrf in [None, Some("0000"), Some("")] {
        let mut form = vec![
            ("call_id", id.as_str()),
            ("fid", fid.as_str()),
            ("version", version.as_str()),
            ("verdict", "dismissed"),
        ];
        if let Some(t) = csrf {
            form.push(("csrf", t));
        }
        let a = qa.post("/review", &form);
        assert_eq!(a.status, 403, "token {csrf:?}: {}", a.body);
    }
    let after = qa.get(&format!("/call?id={id}")).body;
    assert!(!after.contains("id=\"verdict-"), "nothing was saved");
    assert_eq!(reviewed_score_on_page(&after), before);
    // Logout without the token is refused too: the session stays.
    assert_eq!(qa.post("/logout", &[]).status, 403);
    assert_eq!(qa.get("/calls").status, 200);
    // Must-not: with the token the same review is saved.
    let csrf = qa.csrf();
    let ok = qa.post(
        "/review",
        &[
            ("csrf", &csrf),
            ("call_id", &id),
            ("fid", &fid),
            ("version", &version),
            ("verdict", "dismissed"),
        ],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
}

#[test]
fn transcript_holding_script_and_img_onerror_is_shown_escaped() {
    let s = start();
    for who in ["evil_op", "qa"] {
        let mut c = s.signed_in(who);
        let a = c.get(&format!("/call?id={EVIL_ID}"));
        assert_eq!(a.status, 200, "{who}: {}", a.body);
        assert!(!a.body.contains("<script>"), "raw script tag on the page");
        assert!(!a.body.contains("<img src=x"), "raw img tag on the page");
        assert!(a.body.contains("&lt;script&gt;"), "escaped text is shown");
        let csp = a.header("content-security-policy").expect("CSP header");
        assert!(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline"));
    }
}

#[test]
fn session_cookie_replayed_after_logout_is_refused() {
    let s = start();
    let mut qa = s.signed_in("qa");
    let stolen = qa.cookies.clone();
    assert_eq!(qa.get("/calls").status, 200);
    let csrf = qa.csrf();
    assert_eq!(qa.post("/logout", &[("csrf", &csrf)]).status, 303);
    let mut replay = s.client();
    replay.cookies = stolen;
    let a = replay.get("/calls");
    assert_eq!(a.status, 303, "redirected to the login page");
    assert_eq!(a.header("location"), Some("/login"));
    let p = replay.post("/review", &[("csrf", &csrf)]);
    assert_eq!(p.status, 403);
    // The cookie is HttpOnly and SameSite=Strict.
    let mut c = s.client();
    let login = c.login("qa", PW);
    let set = login
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("hq_session="))
        .map(|(_, v)| v.clone())
        .expect("session cookie");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
}

#[test]
fn login_form_stays_valid_when_a_second_login_page_is_loaded() {
    // Chromium asks for /favicon.ico, which led to the login page and a
    // new login token that made the form already shown stale.
    let s = start();
    let mut c = s.client();
    let first = c.get("/login");
    let csrf = field(&first.body, "csrf").expect("csrf");
    assert_eq!(c.get("/favicon.ico").status, 404);
    c.get("/login");
    c.get("/calls");
    let a = c.post(
        "/login",
        &[("name", "qa"), ("password", PW), ("csrf", &csrf)],
    );
    assert_eq!(a.status, 303, "{}", a.body);
    // Must-not: a form token that is not the browser's own is refused.
    let mut other = s.client();
    other.get("/login");
    let a = other.post(
        "/login",
        &[("name", "qa"), ("password", PW), ("csrf", &csrf)],
    );
    assert_eq!(a.status, 403);
}

#[test]
fn fifty_wrong_passwords_are_rate_limited() {
    let s = start();
    // Must-not: two mistakes, then the right password, signs in.
    let mut c = s.client();
    assert_eq!(c.login("manager", "wrong one!").status, 401);
    assert_eq!(c.login("manager", "wrong two!").status, 401);
    assert_eq!(c.login("manager", PW).status, 303);
    let mut attacker = s.client();
    let mut limited = 0;
    for k in 0..50 {
        let a = attacker.login("qa", &format!("guess number {k}"));
        assert!(a.status == 401 || a.status == 429, "{}", a.status);
        if a.status == 429 {
            limited += 1;
        }
    }
    assert!(limited >= 40, "only {limited} of 50 refused by the limit");
    // The right password is refused too while the account is locked.
    let mut owner = s.client();
    assert_eq!(owner.login("qa", PW).status, 429);
}

#[test]
fn reviews_exported_from_the_workbench_rescore_to_the_same_reviewed_score() {
    let s = start();
    let id = call_with_deduction(&s.runs, "1024");
    let mut qa = s.signed_in("qa");
    let page = qa.get(&format!("/call?id={id}")).body;
    let machine = reviewed_score_on_page(&page);
    let forms = review_forms(&page);
    assert!(!forms.is_empty());
    let csrf = qa.csrf();
    for (k, (fid, version)) in forms.iter().enumerate() {
        let verdict = if k == 0 && forms.len() > 1 {
            "confirmed"
        } else {
            "dismissed"
        };
        let a = qa.post(
            "/review",
            &[
                ("csrf", &csrf),
                ("call_id", &id),
                ("fid", fid),
                ("version", version),
                ("verdict", verdict),
                ("comment", "=听过录音"),
            ],
        );
        assert_eq!(a.status, 303, "{}", a.body);
    }
    let page = qa.get(&format!("/call?id={id}")).body;
    let shown = reviewed_score_on_page(&page);
    assert_ne!(shown, machine, "dismissing changed the reviewed score");
    assert!(page.contains("id=\"history\"") && page.contains("误判"));
    // The list shows the stored reviewed score too.
    assert!(qa
        .get("/calls?operator=1024")
        .body
        .contains(&format!("<td>{shown}</td>")));
    // A second reviewer acting on a stale page sees what changed; nothing is overwritten.
    let mut qa2 = s.signed_in("qa2");
    let csrf2 = qa2.csrf();
    let (fid, version) = &forms[0];
    let stale = qa2.post(
        "/review",
        &[
            ("csrf", &csrf2),
            ("call_id", &id),
            ("fid", fid),
            ("version", version),
            ("verdict", "dismissed"),
        ],
    );
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(stale.body.contains("id=\"conflict\"") && stale.body.contains("qa"));
    assert_eq!(
        reviewed_score_on_page(&qa.get(&format!("/call?id={id}")).body),
        shown
    );
    // Export, score again with it outside, compare.
    let csv = qa.get("/export/reviews.csv");
    assert_eq!(csv.status, 200);
    let file = s.dir.path().join("reviews.csv");
    std::fs::write(&file, &csv.body).expect("write");
    let out = s.dir.path().join("rescored");
    let run = Command::new(BIN)
        .arg("score")
        .arg(s.dir.path().join("in"))
        .arg("--out")
        .arg(&out)
        .arg("--reviews")
        .arg(&file)
        .args([
            "--quiet",
            "--no-reports",
            "--as-of",
            "2026-11-28T00:00:00+08:00",
        ])
        .output()
        .expect("score --reviews");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rows = common::table(&out.join("calls.csv"));
    let row = rows
        .iter()
        .find(|r| r["call_id"] == id)
        .expect("call in the rescored run");
    assert_eq!(
        row["reviewed_score"], shown,
        "workbench and score --reviews agree"
    );
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).expect("rejects");
    assert!(
        !rejects.contains("reviews.csv"),
        "every exported row was used: {rejects}"
    );
    // The operator may not export.
    let mut op = s.signed_in("op");
    assert_eq!(op.get("/export/reviews.csv").status, 403);
}

#[test]
fn reveal_needs_a_reason_and_is_logged() {
    let s = start();
    let id = call_with_deduction(&s.runs, "1024");
    let mut qa = s.signed_in("qa");
    let csrf = qa.csrf();
    let none = qa.post(
        "/reveal",
        &[("csrf", &csrf), ("call_id", &id), ("reason", "")],
    );
    assert_eq!(none.status, 400);
    let ok = qa.post(
        "/reveal",
        &[
            ("csrf", &csrf),
            ("call_id", &id),
            ("reason", "核对报错的号码"),
        ],
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("id=\"revealed\""));
    let mut op = s.signed_in("op");
    let c = op.csrf();
    assert_eq!(
        op.post(
            "/reveal",
            &[("csrf", &c), ("call_id", &id), ("reason", "想看")]
        )
        .status,
        403
    );
    let mut lead = s.signed_in("qalead");
    let log = lead.get("/audit").body;
    assert!(
        log.contains("reveal_pii") && log.contains("核对报错的号码"),
        "{log}"
    );
}

#[test]
fn runs_are_imported_once_and_staging_folders_wait() {
    let s = start();
    let mut m = s.signed_in("manager");
    let count = |c: &mut Client| {
        let b = c.get("/overview").body;
        let key = "id=\"calls\">";
        let i = b.find(key).expect("count") + key.len();
        b[i..].split('<').next().unwrap_or("").to_string()
    };
    let first = count(&mut m);
    assert_ne!(first, "0");
    // A staging folder (score still writing) is not imported, even with run.json.
    let staging = s.runs.join(".day2.hq-staging-123");
    copy_dir(&s.runs.join("day1"), &staging);
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert_eq!(count(&mut m), first);
    // Restarting the server does not import day1 again.
    let mut s = s;
    s.restart();
    let mut m = s.signed_in("manager");
    assert_eq!(count(&mut m), first);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read") {
        let e = e.expect("entry");
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

#[test]
fn reviewer_dismisses_a_finding_in_headless_chromium() {
    let Some((browser, driver)) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium or chromedriver is missing: .ci/run must install them (apt-get install chromium chromium-driver)"
        );
        eprintln!("SKIPPED reviewer_dismisses_a_finding_in_headless_chromium: Chromium or chromedriver is not installed");
        return;
    };
    let s = start();
    let id = call_with_deduction(&s.runs, "1024");
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
        // Elements are waited for (up to 10 s), not looked for once: after
        // a click that submits a form the next page may still be loading,
        // slowly when other tests run Chromium at the same time.
        wd(
            &wd_addr,
            "POST",
            &format!("/session/{sid}/timeouts"),
            Some(serde_json::json!({"implicit": 10000})),
        );
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
        go(format!("http://{}/login", s.addr));
        typ(&find("#name"), "qa");
        typ(&find("#password"), PW);
        click(&find("#login"));
        assert!(text(&find("#who")).contains("质检员"));
        go(format!("http://{}/calls?operator=1024", s.addr));
        click(&find(&format!("a.call[href$='{id}']")));
        assert_eq!(text(&find("#call-id")), id);
        let before = text(&find("#reviewed-score"));
        click(&find("form.review button.dismiss"));
        let verdict = text(&find(".verdict"));
        assert_eq!(verdict, "误判");
        let after = text(&find("#reviewed-score"));
        wd(&wd_addr, "DELETE", &format!("/session/{sid}"), None);
        (before, after)
    });
    drop(drv);
    let (before, after) = result.unwrap_or_else(|e| std::panic::resume_unwind(e));
    eprintln!("reviewed score in Chromium: {before} → {after}");
}

// ---- 工单时效 and 规则 (issue 21: the units and rules pages) ----

/// Roles that may open 工单时效 and 规则, and those refused by URL.
#[test]
fn units_and_rules_pages_are_refused_by_url_to_other_roles() {
    let s = start();
    for (name, units, rules) in [
        ("manager", 200, 403),
        ("qalead", 200, 200),
        ("qa", 403, 200),
        ("lead", 403, 403),
        ("op", 403, 403),
        ("admin", 403, 403),
    ] {
        let mut c = s.signed_in(name);
        for path in [
            "/units",
            "/units/tickets?kind=all",
            "/units/units.csv",
            "/units/tickets?kind=overdue_not_urged&unit=%E5%90%88%E8%AE%A1",
        ] {
            assert_eq!(c.get(path).status, units, "{name} {path}");
        }
        for path in ["/rules", "/rules/scorecard.toml"] {
            let want = if path == "/rules/scorecard.toml" && rules == 200 {
                404 // nothing adopted yet
            } else {
                rules
            };
            assert_eq!(c.get(path).status, want, "{name} {path}");
        }
        let csrf = c.csrf();
        let tried = c.post(
            "/rules/try",
            &[("csrf", &csrf), ("dialogue", "坐席：您好\n来电人：你好")],
        );
        assert_eq!(tried.status, rules, "{name} try-rule");
        // The menu shows only the pages the role may open (the server
        // refuses the rest whatever the menu shows).
        let home = c.get("/password").body;
        assert_eq!(home.contains("href=\"/units\""), units == 200, "{name}");
        assert_eq!(home.contains("href=\"/rules\""), rules == 200, "{name}");
    }
    // Only the QA lead adopts, even with a valid token.
    let mut qa = s.signed_in("qa");
    let csrf = qa.csrf();
    let a = qa.post(
        "/rules/adopt",
        &[("csrf", &csrf), ("toml", "version = \"x\"")],
    );
    assert_eq!(a.status, 403);
    assert!(qa.get("/rules").body.contains("还没有采用过评分表"));
}

/// The header and rows of a CSV answer (BOM stripped).
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start_matches('\u{feff}');
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn units_page_figures_equal_the_runs_units_csv() {
    let s = start();
    let mut m = s.signed_in("manager");
    let page = m.get("/units");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"units\"") && page.body.contains("id=\"categories\""));
    // The page's table, downloaded, is units.csv's (its first 22 columns:
    // the first-call ones need report's repeat links).
    let export = m.get("/units/units.csv");
    assert_eq!(export.status, 200);
    let got = csv_rows(&export.body);
    let (header, rows) = common::header_and_rows(&s.runs.join("day1").join("units.csv"));
    let n = got[0].len();
    assert_eq!(n, 22);
    assert_eq!(got[0], header[..n].to_vec());
    let want: Vec<Vec<String>> = rows.iter().map(|r| r[..n].to_vec()).collect();
    assert_eq!(
        got[1..].to_vec(),
        want,
        "the workbench's figures are units.csv's"
    );
    // The lists behind the counts: overdue not urged and not supervised
    // hold exactly the tickets tickets.csv flags.
    let tickets = common::table(&s.runs.join("day1").join("tickets.csv"));
    for (kind, flag) in [
        ("overdue_not_urged", "overdue_not_urged"),
        ("not_supervised", "not_supervised"),
    ] {
        let mut want: Vec<String> = tickets
            .iter()
            .filter(|t| t[flag] == "true")
            .map(|t| t["ticket_id"].clone())
            .collect();
        want.sort();
        assert!(!want.is_empty(), "the samples have {flag} tickets");
        let body = m.get(&format!("/units/tickets?kind={kind}")).body;
        let mut shown: Vec<String> = body
            .split("<td class=\"ticket\">")
            .skip(1)
            .map(|r| r.split('<').next().unwrap_or("").to_string())
            .collect();
        shown.sort();
        assert_eq!(shown, want, "{kind}");
    }
    // Tickets link to their calls (when the call is in the workbench), and
    // no caller number is shown whole.
    let all = m.get("/units/tickets?kind=all").body;
    assert!(all.contains("<a class=\"call\" href=\""), "{all}");
    let input = common::table(&samples("tickets.csv"));
    let phones: Vec<&String> = input
        .iter()
        .map(|t| &t["caller_phone"])
        .filter(|p| p.len() >= 7)
        .collect();
    assert!(!phones.is_empty());
    for p in phones {
        assert!(
            !all.contains(p.as_str()),
            "caller number {p} shown unmasked"
        );
    }
    // A day range without tickets shows none; a unit filter keeps only its row.
    let none = csv_rows(&m.get("/units/units.csv?from=2030-01-01&to=2030-01-31").body);
    assert!(
        none.iter().any(|r| r[1] == "合计" && r[2] == "0"),
        "{none:?}"
    );
    let unit = &rows[0][1];
    let one = csv_rows(
        &m.get(&format!("/units/units.csv?unit={}", http::enc(unit)))
            .body,
    );
    let units: Vec<&String> = one
        .iter()
        .filter(|r| r[0] == "unit")
        .map(|r| &r[1])
        .collect();
    assert_eq!(units, vec![unit, &"合计".to_string()]);
    assert_eq!(
        one[1][2..],
        rows[0][2..n],
        "the unit's figures do not change"
    );
    // Must-not: a date that is not one is refused in Chinese.
    let bad = m.get("/units?from=27.11.2026");
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("不是日期"));
}

#[test]
fn rules_page_precision_equals_calibrate_output() {
    let s = start();
    let id = call_with_deduction(&s.runs, "1024");
    let mut qa = s.signed_in("qa");
    let page = qa.get(&format!("/call?id={id}")).body;
    let csrf = qa.csrf();
    for (fid, version) in review_forms(&page) {
        let a = qa.post(
            "/review",
            &[
                ("csrf", &csrf),
                ("call_id", &id),
                ("fid", &fid),
                ("version", &version),
                ("verdict", "dismissed"),
            ],
        );
        assert_eq!(a.status, 303, "{}", a.body);
    }
    let rules = qa.get("/rules");
    assert_eq!(rules.status, 200, "{}", rules.body);
    // The same reviews through the command line.
    let file = s.dir.path().join("reviews.csv");
    std::fs::write(&file, qa.get("/export/reviews.csv").body).expect("write");
    let out = s.dir.path().join("cal");
    let run = Command::new(BIN)
        .arg("calibrate")
        .arg("--reviews")
        .arg(&file)
        .arg(s.runs.join("day1"))
        .arg("--out")
        .arg(&out)
        .output()
        .expect("calibrate");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let cal = common::table(&out.join("calibration.csv"));
    let pct = |v: &str| {
        v.parse::<f64>()
            .map(|x| format!("{:.1}%", x * 100.0))
            .unwrap_or_else(|_| "—".into())
    };
    let mut reviewed = 0;
    for row in &cal {
        let key = format!("<td class=\"rule\">{}</td>", row["rule"]);
        let i = rules
            .body
            .find(&key)
            .unwrap_or_else(|| panic!("rule {} on the page", row["rule"]));
        let tr = rules.body[i..].split("</tr>").next().unwrap_or("");
        let cells: Vec<&str> = tr
            .split("<td")
            .skip(1)
            .map(|c| {
                c.split_once('>')
                    .map_or("", |x| x.1)
                    .trim_end_matches("</td>")
            })
            .collect();
        assert_eq!(cells[2], row["findings"], "{tr}");
        assert_eq!(cells[4], row["reviewed"], "{tr}");
        assert_eq!(cells[6], row["dismissed"], "{tr}");
        assert!(cells[7].starts_with(&pct(&row["precision"])), "{tr}");
        if row["reviewed"] != "0" {
            reviewed += 1;
            let ci = format!("{}–{}", pct(&row["ci_low"]), pct(&row["ci_high"]));
            assert_eq!(cells[8], ci, "{tr}");
        }
    }
    assert!(reviewed > 0, "the dismissed findings' rules are reviewed");
}

#[test]
fn pasted_dialogue_holding_script_is_shown_escaped_with_numbers_masked() {
    let s = start();
    let mut qa = s.signed_in("qa");
    let dialogue = format!(
        "坐席：您好，市民热线，请讲。{EVIL_TEXT}\n来电人：我的电话是13812345678，你们能不能快点\n坐席：好的，再见"
    );
    let csrf = qa.csrf();
    let a = qa.post("/rules/try", &[("csrf", &csrf), ("dialogue", &dialogue)]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("id=\"try-output\""));
    assert!(!a.body.contains("<script>") && !a.body.contains("<img src=x"));
    assert!(
        a.body.contains("&lt;script&gt;"),
        "the text is shown, escaped"
    );
    assert!(!a.body.contains("13812345678"), "caller number masked");
    assert!(a.body.contains("138****5678"), "{}", a.body);
    // Without the token nothing runs.
    for form in [
        vec![("dialogue", dialogue.as_str())],
        vec![("csrf", "0000"), ("dialogue", dialogue.as_str())],
    ] {
        assert_eq!(qa.post("/rules/try", &form).status, 403);
    }
    // A pasted scorecard with an error is named by line and key, in Chinese.
    let bad = qa.post(
        "/rules/try",
        &[
            ("csrf", &csrf),
            ("dialogue", &dialogue),
            (
                "toml",
                "version = \"t\"\n[norms.greeting]\npoints = \"五\"\n",
            ),
        ],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.body.contains("第 3 行") && bad.body.contains("norms.greeting.points"),
        "{}",
        bad.body
    );
}

/// The built-in scorecard with the courtesy norm switched off.
fn changed_scorecard() -> String {
    let out = Command::new(BIN).arg("config").output().expect("config");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let text = text.replacen("version = \"builtin-1\"", "version = \"试用-无礼貌\"", 1);
    let i = text.find("[norms.courtesy]").expect("courtesy table");
    let j = i + text[i..].find("enabled = true").expect("enabled");
    format!(
        "{}enabled = false{}",
        &text[..j],
        &text[j + "enabled = true".len()..]
    )
}

#[test]
fn rescore_preview_shows_the_diff_and_only_the_qa_lead_adopts() {
    let s = start();
    let toml = changed_scorecard();
    let mut qa = s.signed_in("qa");
    let csrf = qa.csrf();
    let form = |csrf: &str, from: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("from".to_string(), from.to_string()),
            ("to".to_string(), "2026-11-27".to_string()),
            ("toml".to_string(), toml.clone()),
        ]
    };
    let post = |c: &mut Client, f: &[(String, String)], path: &str| {
        let f: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        c.post(path, &f)
    };
    let a = post(&mut qa, &form(&csrf, "2026-11-27"), "/rules/preview");
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("id=\"preview-rules\""));
    assert!(
        !a.body.contains("id=\"adopt\""),
        "a reviewer is offered no adoption"
    );
    // The same change through the command line: the page's courtesy
    // figures are diff_rules.csv's.
    let file = s.dir.path().join("新评分表.toml");
    std::fs::write(&file, &toml).expect("write");
    let out = s.dir.path().join("rescored");
    let run = Command::new(BIN)
        .arg("rescore")
        .arg(s.runs.join("day1"))
        .arg("--config")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("rescore");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let diff = common::table(&out.join("diff_rules.csv"));
    let changed: Vec<_> = diff
        .iter()
        .filter(|r| r["old_findings"] != r["new_findings"])
        .collect();
    assert!(!changed.is_empty());
    for r in changed {
        let key = format!("<td class=\"rule\">{}</td>", r["rule"]);
        let i = a
            .body
            .find(&key)
            .unwrap_or_else(|| panic!("{} on the page", r["rule"]));
        let tr = a.body[i..].split("</tr>").next().unwrap_or("");
        assert!(
            tr.contains(&format!(
                "<td>{}</td><td>{}</td>",
                r["old_findings"], r["new_findings"]
            )),
            "{tr}"
        );
    }
    // No runs in the range, or no range: refused with what to do.
    let none = post(&mut qa, &form(&csrf, "2030-01-01"), "/rules/preview");
    assert_eq!(none.status, 400);
    let none = post(&mut qa, &form(&csrf, "2026-11-28"), "/rules/preview");
    assert!(none.body.contains("没有导入的运行"), "{}", none.body);
    // The reviewer may not adopt; the QA lead does, and it is kept and logged.
    let adopt = [
        ("csrf".to_string(), csrf.clone()),
        ("toml".to_string(), toml.clone()),
    ];
    assert_eq!(post(&mut qa, &adopt, "/rules/adopt").status, 403);
    let mut lead = s.signed_in("qalead");
    let lcsrf = lead.csrf();
    let p = post(&mut lead, &form(&lcsrf, "2026-11-27"), "/rules/preview");
    assert!(
        p.body.contains("id=\"adopt\""),
        "the QA lead is offered adoption"
    );
    let no_token = [("toml".to_string(), toml.clone())];
    assert_eq!(post(&mut lead, &no_token, "/rules/adopt").status, 403);
    let adopt = [
        ("csrf".to_string(), lcsrf.clone()),
        ("toml".to_string(), toml.clone()),
    ];
    assert_eq!(post(&mut lead, &adopt, "/rules/adopt").status, 303);
    let page = lead.get("/rules").body;
    assert!(
        page.contains("id=\"adopted-version\"") && page.contains("试用-无礼貌"),
        "{page}"
    );
    let dl = lead.get("/rules/scorecard.toml");
    assert_eq!(dl.status, 200);
    assert_eq!(dl.body, toml.trim());
    assert!(lead.get("/audit").body.contains("scorecard_adopted"));
    // try-rule now compares with the adopted scorecard when none is pasted.
    let t = lead.post(
        "/rules/try",
        &[("csrf", &lcsrf), ("dialogue", "坐席：您好\n来电人：你好")],
    );
    assert!(
        t.body.contains("已采用的评分表（版本 试用-无礼貌"),
        "{}",
        t.body
    );
}

/// Standard base64 (the WebDriver screenshot), decoded.
fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let digits: Vec<u32> = s.bytes().filter_map(val).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, d)| acc | (d << (18 - 6 * i)));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

#[test]
fn base64_of_the_screenshots_decodes() {
    assert_eq!(base64_decode("aGVsbG8="), b"hello");
    assert_eq!(base64_decode("aGVsbG8h"), b"hello!");
    assert_eq!(base64_decode("aGk="), b"hi");
}

/// The README's screenshots: 概览, 通话, 通话详情, 工单时效 and 规则 on the
/// samples (the demo's data), as the QA lead sees them, taken in headless
/// Chromium. `UPDATE_SCREENSHOTS=1` writes them to docs/screenshots/.
#[test]
fn screenshots_of_the_main_pages_in_headless_chromium() {
    let Some((browser, driver)) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium or chromedriver is missing: .ci/run must install them (apt-get install chromium chromium-driver)"
        );
        eprintln!("SKIPPED screenshots_of_the_main_pages_in_headless_chromium: Chromium or chromedriver is not installed");
        return;
    };
    // The samples alone, as `serve --demo` scores them.
    let dir = tempfile::tempdir().expect("tmp");
    let runs = dir.path().join("runs");
    let out = Command::new(BIN)
        .arg("score")
        .arg(samples(""))
        .arg("--out")
        .arg(runs.join("samples"))
        .args([
            "--quiet",
            "--no-reports",
            "--as-of",
            "2026-11-28T00:00:00+08:00",
        ])
        .output()
        .expect("score");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = dir.path().join("wb.sqlite");
    add_user(&db, "qalead", "质检主管", &[], PW);
    let (mut server, addr) = spawn_server(&db, &runs);
    let calls = common::table(&runs.join("samples").join("findings.csv"));
    let id = calls
        .iter()
        .find(|r| r["points"] != "0" && !r["utterance_index"].is_empty())
        .map(|r| r["call_id"].clone())
        .expect("a deducted call");
    // A few reviews, so that the 规则 page shows precision figures.
    let mut c = Client::new(&addr);
    assert_eq!(c.login("qalead", PW).status, 303);
    let csrf = c.csrf();
    for (k, call) in calls.iter().map(|r| &r["call_id"]).take(6).enumerate() {
        let page = c.get(&format!("/call?id={call}")).body;
        for (fid, version) in review_forms(&page) {
            let verdict = if k % 3 == 0 { "dismissed" } else { "confirmed" };
            let form = [
                ("csrf", csrf.as_str()),
                ("call_id", call.as_str()),
                ("fid", fid.as_str()),
                ("version", version.as_str()),
                ("verdict", verdict),
            ];
            assert_eq!(c.post("/review", &form).status, 303);
        }
    }
    // Stopped when dropped, after the test's result is known.
    let drv = Driver::start(&driver);
    let wd_addr = drv.addr.clone();
    let result = std::panic::catch_unwind(|| {
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {"binary": browser, "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1366,900", "--lang=zh-CN"]}
        }}});
        let session = wd(&wd_addr, "POST", "/session", Some(caps));
        let sid = session["value"]["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        // Elements are waited for (up to 10 s), not looked for once: after
        // a click that submits a form the next page may still be loading,
        // slowly when other tests run Chromium at the same time.
        wd(
            &wd_addr,
            "POST",
            &format!("/session/{sid}/timeouts"),
            Some(serde_json::json!({"implicit": 10000})),
        );
        let go = |path: &str| {
            wd(
                &wd_addr,
                "POST",
                &format!("/session/{sid}/url"),
                Some(serde_json::json!({"url": format!("http://{addr}{path}")})),
            );
        };
        let find = |css: &str| -> String {
            let v = wd(
                &wd_addr,
                "POST",
                &format!("/session/{sid}/element"),
                Some(serde_json::json!({"using": "css selector", "value": css})),
            );
            v["value"]["element-6066-11e4-a52e-4f735466cecf"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| panic!("no element {css}: {v}"))
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
        go("/login");
        typ(&find("#name"), "qalead");
        typ(&find("#password"), PW);
        click(&find("#login"));
        // Signed in before the first page is asked for.
        find("#who");
        let mut shots = Vec::new();
        for (name, path, marker) in [
            ("overview", "/overview".to_string(), "#calls"),
            ("calls", "/calls".to_string(), "table#calls"),
            ("call", format!("/call?id={id}"), "#reviewed-score"),
            ("units", "/units".to_string(), "table#units"),
            ("rules", "/rules".to_string(), "table#calibration"),
        ] {
            go(&path);
            find(marker);
            let v = wd(&wd_addr, "GET", &format!("/session/{sid}/screenshot"), None);
            let png = base64_decode(v["value"].as_str().expect("screenshot"));
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}: not a PNG");
            assert!(
                png.len() > 10_000,
                "{name}: {} bytes, an empty page?",
                png.len()
            );
            shots.push((name, png));
        }
        wd(&wd_addr, "DELETE", &format!("/session/{sid}"), None);
        shots
    });
    drop(drv);
    let _ = server.kill();
    let _ = server.wait();
    let shots = result.unwrap_or_else(|e| std::panic::resume_unwind(e));
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        let to = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&to).expect("mkdir");
        for (name, png) in &shots {
            std::fs::write(to.join(format!("{name}.png")), png).expect("write screenshot");
        }
    }
}

/// Polls `f` for up to 20 s (the server imports every second).
fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..80 {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    false
}

/// Scores the test's inputs again into `runs/NAME` as of `as_of`.
fn score_again(s: &Server, name: &str, as_of: &str) {
    let out = Command::new(BIN)
        .arg("score")
        .arg(s.dir.path().join("in"))
        .arg("--out")
        .arg(s.runs.join(name))
        .args(["--quiet", "--no-reports", "--as-of", as_of])
        .output()
        .expect("score");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn ticket_in_two_runs_keeps_the_outcome_of_the_latest_as_of() {
    let s = start();
    let mut m = s.signed_in("manager");
    let units = |m: &mut Client| csv_rows(&m.get("/units/units.csv").body);
    let first = units(&mut m);
    // A later run (its name sorts first: it is imported after day1 all the
    // same) sees the same tickets three weeks on: more are overdue.
    score_again(&s, "day0", "2026-12-20T00:00:00+08:00");
    let (_, later) = common::header_and_rows(&s.runs.join("day0").join("units.csv"));
    let later: Vec<Vec<String>> = later.iter().map(|r| r[..22].to_vec()).collect();
    assert_ne!(
        later,
        first[1..].to_vec(),
        "the later as-of changes the figures"
    );
    assert!(
        eventually(|| units(&mut m)[1..] == later[..]),
        "the workbench shows the later run's outcomes"
    );
    // Must-not: a run imported afterwards but as of an earlier time does
    // not take the tickets back.
    score_again(&s, "day2", "2026-11-27T20:00:00+08:00");
    let mut qa = s.signed_in("qa");
    assert!(eventually(|| qa.get("/rules").body.contains("day2")));
    assert_eq!(units(&mut m)[1..], later[..]);
}

#[test]
fn rescore_preview_over_too_many_runs_is_refused() {
    let s = start();
    for k in 0..8 {
        copy_dir(&s.runs.join("day1"), &s.runs.join(format!("copy{k}")));
    }
    let mut qa = s.signed_in("qa");
    assert!(eventually(|| qa.get("/rules").body.contains("copy7")));
    let csrf = qa.csrf();
    let toml = changed_scorecard();
    let a = qa.post(
        "/rules/preview",
        &[
            ("csrf", &csrf),
            ("from", "2026-11-27"),
            ("to", "2026-11-27"),
            ("toml", &toml),
        ],
    );
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(
        a.body.contains("范围太大") && a.body.contains("最多 7 次运行"),
        "{}",
        a.body
    );
}

#[test]
fn unit_name_holding_script_is_shown_escaped_on_the_units_pages() {
    let s = start();
    // The samples' tickets plus one whose unit holds markup, scored as a
    // second run.
    let input = s.dir.path().join("in2");
    std::fs::create_dir_all(&input).expect("mkdir");
    std::fs::copy(samples("calls.jsonl"), input.join("calls.jsonl")).expect("copy");
    let mut tickets = std::fs::read_to_string(samples("tickets.csv")).expect("tickets");
    let second = tickets.lines().nth(1).expect("a ticket").to_string();
    let evil = second
        .replacen("GD20261127001", "GD20261127999", 1)
        .replace("市生态环境局", "<script>alert(1)</script>市局");
    if !tickets.ends_with('\n') {
        tickets.push('\n');
    }
    tickets.push_str(&evil);
    tickets.push('\n');
    std::fs::write(input.join("tickets.csv"), tickets).expect("write");
    let out = Command::new(BIN)
        .arg("score")
        .arg(&input)
        .arg("--out")
        .arg(s.runs.join("day3"))
        .args([
            "--quiet",
            "--no-reports",
            "--as-of",
            "2026-11-29T00:00:00+08:00",
        ])
        .output()
        .expect("score");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut m = s.signed_in("manager");
    assert!(eventually(|| m.get("/units").body.contains("市局")));
    for path in [
        "/units".to_string(),
        format!(
            "/units/tickets?kind=all&unit={}",
            http::enc("<script>alert(1)</script>市局")
        ),
    ] {
        let a = m.get(&path);
        assert_eq!(a.status, 200, "{path}");
        assert!(!a.body.contains("<script>"), "{path}: raw script tag");
        assert!(a.body.contains("&lt;script&gt;"), "{path}: shown escaped");
    }
    let list = m
        .get(&format!(
            "/units/tickets?kind=all&unit={}",
            http::enc("<script>alert(1)</script>市局")
        ))
        .body;
    assert!(list.contains("GD20261127999"), "{list}");
}

#[test]
fn call_page_says_so_when_the_transcript_changed_after_import() {
    let s = start();
    let id = any_call(&s.runs, "1024");
    let mut qa = s.signed_in("qa");
    let url = format!("/call?id={}", http::enc(&id));
    let page = qa.get(&url);
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("dialogue-error") && page.body.contains("class=\"utt"),
        "{}",
        page.body
    );
    // The same lines in the opposite order: every recorded offset now
    // holds another call's line (or the middle of one).
    let path = s.dir.path().join("in").join("calls.jsonl");
    let text = std::fs::read_to_string(&path).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.reverse();
    std::fs::write(&path, lines.join("\n") + "\n").expect("rewrite");
    let page = qa.get(&url);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("导入后改过"), "{}", page.body);
    assert!(
        !page.body.contains("class=\"utt"),
        "no dialogue shown: {}",
        page.body
    );
}
