//! A workbench on generated days, as the README tells a user to make one:
//! `gen --day` for each day, `score` each into the folder `serve` watches,
//! accounts from the command line, `serve` on a free loopback port.
#![allow(dead_code)] // Each test file uses a different part.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::http::Client;

pub const BIN: &str = env!("CARGO_BIN_EXE_hotline-qa");
pub const PW: &str = "correct horse battery";

/// Runs the program, panicking with its messages when it fails.
pub fn run(args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(BIN).args(args).output().expect("run");
    assert!(
        out.status.success(),
        "{:?}: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Generates `days` days of `calls` calls from 2026-11-01 (seed 1) and
/// scores each into `runs/DAY`. Returns the days.
pub fn month(dir: &Path, days: u32, calls: u32) -> Vec<String> {
    let mut out = Vec::new();
    let first = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
    for i in 0..days {
        let d = first + chrono::Duration::days(i64::from(i));
        let day = d.to_string();
        let next = (d + chrono::Duration::days(1)).to_string();
        let input = dir.join("gen").join(&day);
        let n = calls.to_string();
        run(&[
            "gen".as_ref(),
            "--calls".as_ref(),
            n.as_ref(),
            "--seed".as_ref(),
            "1".as_ref(),
            "--day".as_ref(),
            day.as_ref(),
            "--out".as_ref(),
            input.as_os_str(),
        ]);
        let as_of = format!("{next}T00:00:00+08:00");
        run(&[
            "score".as_ref(),
            input.as_os_str(),
            "--out".as_ref(),
            dir.join("runs").join(&day).as_os_str(),
            "--quiet".as_ref(),
            "--as-of".as_ref(),
            as_of.as_ref(),
        ]);
        out.push(day);
    }
    out
}

/// Creates an account with a known password.
pub fn add_user(db: &Path, name: &str, role: &str, extra: &[&str]) {
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
        .write_all(format!("{PW}\n").as_bytes())
        .expect("write password");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running workbench, stopped when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `serve` on `dir/wb.sqlite` watching `dir/runs`.
    pub fn start(dir: tempfile::TempDir, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .arg("serve")
            .arg("--db")
            .arg(dir.path().join("wb.sqlite"))
            .arg("--runs")
            .arg(dir.path().join("runs"))
            .args(["--listen", "127.0.0.1:0"])
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
        Server { child, addr, dir }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("wb.sqlite")
    }

    pub fn runs(&self) -> PathBuf {
        self.dir.path().join("runs")
    }

    pub fn signed_in(&self, name: &str) -> Client {
        let mut c = Client::new(&self.addr);
        let a = c.login(name, PW);
        assert_eq!(a.status, 303, "login as {name}: {}", a.body);
        c
    }
}

/// Every findings.csv row of the runs, with its run's day.
pub fn findings(runs: &Path, days: &[String]) -> Vec<std::collections::BTreeMap<String, String>> {
    days.iter()
        .flat_map(|d| super::common::table(&runs.join(d).join("findings.csv")))
        .collect()
}

/// The value of attribute `key` in an HTML tag's text.
pub fn attr(tag: &str, key: &str) -> Option<String> {
    let k = format!("{key}=\"");
    let i = tag.find(&k)? + k.len();
    let j = tag[i..].find('"')?;
    Some(tag[i..i + j].to_string())
}

/// The appeal rows of a call page: data-fid, data-rule, data-utt,
/// data-appeal, data-version, data-state.
pub fn appeal_rows(page: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    page.split("<tr id=\"appeal-f")
        .skip(1)
        .map(|rest| {
            let tag = rest.split('>').next().unwrap_or("");
            [
                "data-fid",
                "data-rule",
                "data-utt",
                "data-appeal",
                "data-version",
                "data-state",
            ]
            .iter()
            .map(|k| (k.to_string(), attr(tag, k).unwrap_or_default()))
            .collect()
        })
        .collect()
}

/// (fid, version) of every review form on a call page.
pub fn review_forms(body: &str) -> Vec<(String, String)> {
    body.split("name=\"fid\" value=\"")
        .skip(1)
        .map(|rest| {
            let fid = rest.split('"').next().unwrap_or("").to_string();
            let version = super::http::field(rest, "version").unwrap_or_default();
            (fid, version)
        })
        .collect()
}

pub fn reviewed_score_on_page(body: &str) -> String {
    let key = "id=\"reviewed-score\">";
    let i = body.find(key).expect("reviewed score on the page") + key.len();
    body[i..].split('<').next().unwrap_or("").to_string()
}
