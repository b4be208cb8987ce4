//! The review and appeal chain on generated days, as the judge
//! tries it: days made by `gen --day`, scored into the folder `serve`
//! watches; decisions of every kind made in the workbench (confirm,
//! dismiss, a stale second reviewer, confirm and dismiss of findings
//! waiting for review, appeals overturned, upheld, rejected, pending with
//! the team leader and with the QA lead, a dismissal of an appealed
//! finding); the reviews file exported; each day scored again outside with
//! `score --reviews` and combined by `report`; and every call's reviewed
//! score in the list, the touched calls' detail pages, the overview's days
//! and the ranking compared with those outputs exactly.

mod common;
#[path = "common/http.rs"]
mod http;
#[path = "common/wb.rs"]
mod wb;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use http::Client;
use wb::{Server, BIN};

type Row = BTreeMap<String, String>;

/// Every call of the list for `day` as (call id → reviewed score shown),
/// following the list's next-page links.
fn list_scores(c: &mut Client, day: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut next = Some(format!("/calls?day={day}"));
    while let Some(path) = next.take() {
        let page = c.get(&path).body;
        for row in page.split("<tr><td><a class=\"call\"").skip(1) {
            let cells: Vec<&str> = row
                .split("<td>")
                .map(|x| x.split('<').next().unwrap_or(""))
                .collect();
            let id = row
                .split('>')
                .nth(1)
                .and_then(|x| x.split('<').next())
                .unwrap_or("")
                .to_string();
            // call, started, operator id, name, team, machine, reviewed.
            out.insert(id, cells[6].to_string());
        }
        next = page
            .split("id=\"next\"")
            .next()
            .filter(|_| page.contains("id=\"next\""))
            .and_then(|before| before.rsplit("href=\"").next())
            .map(|x| {
                x.split('"')
                    .next()
                    .unwrap_or("")
                    .replace("&#x2f;", "/")
                    .replace("&amp;", "&")
            });
    }
    out
}

/// The ranking's rows of class `cls` keyed by `key`, with their data-*.
fn rank_rows(page: &str, cls: &str, key: &str) -> BTreeMap<String, Row> {
    page.split(&format!("<tr class=\"{cls}\" "))
        .skip(1)
        .map(|rest| {
            let tag = rest.split('>').next().unwrap_or("");
            let mut m = Row::new();
            for k in [
                "data-rank",
                "data-calls",
                "data-reviewed-mean",
                "data-reviewed-pass",
                "data-appeals",
            ] {
                m.insert(k.into(), wb::attr(tag, k).unwrap_or_default());
            }
            (wb::attr(tag, key).unwrap_or_default(), m)
        })
        .collect()
}

/// A mean of two-decimal scores as the reports print it: summed as whole
/// hundredths, two decimals, no trailing zeros.
fn report_mean(scores: &[f64]) -> String {
    let cents: i64 = scores.iter().map(|x| (x * 100.0).round() as i64).sum();
    let x = cents as f64 / 100.0 / scores.len() as f64;
    let t = format!("{x:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn post_review(c: &mut Client, call: &str, fid: &str, version: &str, verdict: &str) -> u16 {
    let csrf = c.csrf();
    c.post(
        "/review",
        &[
            ("csrf", &csrf),
            ("call_id", call),
            ("fid", fid),
            ("version", version),
            ("verdict", verdict),
            ("comment", "月度复核"),
        ],
    )
    .status
}

/// (fid → version) of a call's review forms, seen by a reviewer.
fn versions(c: &mut Client, call: &str) -> BTreeMap<String, String> {
    wb::review_forms(&c.get(&format!("/call?id={call}")).body)
        .into_iter()
        .collect()
}

/// The fid of finding (rule, utterance) on a call page.
fn fid_of(c: &mut Client, call: &str, rule: &str, utt: &str) -> (String, Row) {
    let page = c.get(&format!("/call?id={call}")).body;
    let row = wb::appeal_rows(&page)
        .into_iter()
        .find(|r| r["data-rule"] == rule && r["data-utt"] == utt)
        .unwrap_or_else(|| panic!("{call}: no finding {rule} {utt}"));
    (row["data-fid"].clone(), row)
}

fn act(c: &mut Client, call: &str, rule: &str, utt: &str, action: &str) {
    let (_, row) = fid_of(c, call, rule, utt);
    let csrf = c.csrf();
    let a = c.post(
        "/appeal/act",
        &[
            ("csrf", &csrf),
            ("appeal_id", &row["data-appeal"]),
            ("version", &row["data-version"]),
            ("action", action),
            ("comment", "月度申诉处理意见"),
        ],
    );
    assert_eq!(a.status, 303, "{action} on {call}: {}", a.body);
}

#[test]
fn review_and_appeal_chain_over_generated_days_equals_score_reviews_and_report() {
    let dir = tempfile::tempdir().expect("tmp");
    let days = wb::month(dir.path(), 5, 120);
    let runs = dir.path().join("runs");
    let calls: Vec<Row> = days
        .iter()
        .flat_map(|d| common::table(&runs.join(d).join("calls.csv")))
        .collect();
    let call_of: BTreeMap<String, Row> = calls
        .iter()
        .map(|c| (c["call_id"].clone(), c.clone()))
        .collect();
    let found = wb::findings(&runs, &days);
    let appealable: Vec<&Row> = found
        .iter()
        .filter(|r| {
            r["points"] != "0" && r["needs_review"] == "false" && !r["utterance_index"].is_empty()
        })
        .collect();
    // Six appeals by six operators, on calls of different days: overturned,
    // upheld, rejected, pending with the team leader, pending with the QA
    // lead, and pending then dismissed by a reviewer.
    let mut used_ops = BTreeSet::new();
    let mut used_calls = BTreeSet::new();
    let mut appeals: Vec<&Row> = Vec::new();
    for d in days.iter().cycle().take(days.len() * 3) {
        if appeals.len() == 6 {
            break;
        }
        let day_id = d.replace('-', "");
        if let Some(f) = appealable.iter().find(|f| {
            f["call_id"].starts_with(&day_id)
                && !used_ops.contains(&f["operator_id"])
                && !used_calls.contains(&f["call_id"])
        }) {
            used_ops.insert(f["operator_id"].clone());
            used_calls.insert(f["call_id"].clone());
            appeals.push(f);
        }
    }
    assert_eq!(appeals.len(), 6, "six appealable findings");
    let db = dir.path().join("wb.sqlite");
    wb::add_user(&db, "qa", "质检员", &[]);
    wb::add_user(&db, "qa2", "质检员", &[]);
    wb::add_user(&db, "qalead", "质检主管", &[]);
    wb::add_user(&db, "manager", "管理", &[]);
    let mut teams = BTreeSet::new();
    for f in &appeals {
        let op = &f["operator_id"];
        wb::add_user(&db, &format!("op{op}"), "话务员", &["--operator-id", op]);
        teams.insert(call_of[&f["call_id"]]["team"].clone());
    }
    for t in &teams {
        wb::add_user(&db, &format!("lead{t}"), "班长", &["--team", t]);
    }
    let s = Server::start(dir, &["--appeal-days", "36500"]);
    let mut qa = s.signed_in("qa");
    let mut qa2 = s.signed_in("qa2");
    let mut qalead = s.signed_in("qalead");
    let mut manager = s.signed_in("manager");

    // The appeals, each filed by its operator and taken along the chain.
    let plan = [
        &["pass", "overturn"][..],
        &["pass", "uphold"][..],
        &["reject"][..],
        &[][..],
        &["pass"][..],
        // Pending with the team leader, then dismissed by a reviewer.
        &[][..],
    ];
    for (f, steps) in appeals.iter().zip(plan) {
        let (call, rule, utt) = (&f["call_id"], &f["rule"], &f["utterance_index"]);
        let mut op = s.signed_in(&format!("op{}", f["operator_id"]));
        let (fid, _) = fid_of(&mut op, call, rule, utt);
        let csrf = op.csrf();
        let a = op.post(
            "/appeal",
            &[
                ("csrf", &csrf),
                ("call_id", call),
                ("fid", &fid),
                ("reason", "我当时是这样说的"),
            ],
        );
        assert_eq!(a.status, 303, "{}", a.body);
        let team = &call_of[call]["team"];
        let mut lead = s.signed_in(&format!("lead{team}"));
        for step in steps {
            let who = if matches!(*step, "pass" | "reject") {
                &mut lead
            } else {
                &mut qalead
            };
            act(who, call, rule, utt, step);
        }
    }
    let (f6, _) = fid_of(
        &mut qa,
        &appeals[5]["call_id"],
        &appeals[5]["rule"],
        &appeals[5]["utterance_index"],
    );
    let v = versions(&mut qa, &appeals[5]["call_id"]);
    assert_eq!(
        post_review(&mut qa, &appeals[5]["call_id"], &f6, &v[&f6], "dismissed"),
        303
    );

    // Reviews on other calls of every day: dismissals and confirmations,
    // findings waiting for review confirmed (then they cost points) and
    // dismissed, and a second reviewer on a stale page.
    let mut reviewed = BTreeSet::new();
    let others: Vec<&Row> = found
        .iter()
        .filter(|r| !used_calls.contains(&r["call_id"]) && r["points"] != "0")
        .collect();
    let waiting: Vec<&&Row> = others
        .iter()
        .filter(|r| r["needs_review"] == "true")
        .collect();
    let plain: Vec<&&Row> = others
        .iter()
        .filter(|r| r["needs_review"] == "false")
        .collect();
    let mut jobs: Vec<(&Row, &str)> = Vec::new();
    for (k, d) in days.iter().enumerate() {
        let day_id = d.replace('-', "");
        let mut of_day = plain.iter().filter(|r| r["call_id"].starts_with(&day_id));
        for verdict in ["dismissed", "confirmed", "dismissed"] {
            if let Some(r) = of_day.next() {
                jobs.push((r, verdict));
            }
        }
        if let Some(r) = waiting.get(k) {
            jobs.push((r, if k % 2 == 0 { "confirmed" } else { "dismissed" }));
        }
    }
    assert!(jobs.len() >= 12, "{} reviews planned", jobs.len());
    let mut stale = None;
    for (r, verdict) in &jobs {
        let call = &r["call_id"];
        let (fid, _) = fid_of(&mut qa, call, &r["rule"], &r["utterance_index"]);
        let v = versions(&mut qa, call);
        if stale.is_none() {
            stale = Some((call.clone(), fid.clone(), v[&fid].clone()));
        }
        assert_eq!(post_review(&mut qa, call, &fid, &v[&fid], verdict), 303);
        reviewed.insert(call.clone());
    }
    // The second reviewer's page was opened before the first decided: the
    // answer shows the conflict and stores nothing; decided again on the
    // fresh page, it is stored.
    let (call, fid, old) = stale.expect("a review");
    assert_eq!(post_review(&mut qa2, &call, &fid, &old, "confirmed"), 409);
    let v = versions(&mut qa2, &call);
    assert_eq!(
        post_review(&mut qa2, &call, &fid, &v[&fid], "confirmed"),
        303
    );

    // The export, scored again outside day by day and combined.
    let export = manager.get("/export/reviews.csv");
    assert_eq!(export.status, 200);
    for kind in [
        ",overturned,",
        ",upheld,",
        ",appealed,",
        ",dismissed,",
        ",confirmed,",
    ] {
        assert!(export.body.contains(kind), "{kind} in the export");
    }
    let file = s.dir.path().join("reviews.csv");
    std::fs::write(&file, &export.body).expect("write");
    let mut rescored = Vec::new();
    for d in &days {
        let next = (chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("day")
            + chrono::Duration::days(1))
        .to_string();
        let out = s.dir.path().join("rescored").join(d);
        let run = Command::new(BIN)
            .arg("score")
            .arg(s.dir.path().join("gen").join(d))
            .arg("--out")
            .arg(&out)
            .arg("--reviews")
            .arg(&file)
            .args(["--quiet", "--no-reports", "--as-of"])
            .arg(format!("{next}T00:00:00+08:00"))
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
        .output()
        .expect("report");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // Every call's reviewed score: the list pages, day by day, and the
    // detail page of every call decided on.
    let mut changed = 0;
    for (d, out) in days.iter().zip(&rescored) {
        let want: BTreeMap<String, Row> = common::table(&out.join("calls.csv"))
            .into_iter()
            .map(|r| (r["call_id"].clone(), r))
            .collect();
        let shown = list_scores(&mut manager, d);
        assert_eq!(
            shown.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{d}: the list holds the day's calls"
        );
        for (id, r) in &want {
            assert_eq!(
                shown[id], r["reviewed_score"],
                "{id}: list vs score --reviews"
            );
            if r["reviewed_score"] != r["score"] {
                changed += 1;
            }
            if reviewed.contains(id) || used_calls.contains(id) {
                let page = manager.get(&format!("/call?id={id}")).body;
                assert_eq!(
                    wb::reviewed_score_on_page(&page),
                    r["reviewed_score"],
                    "{id}: detail vs score --reviews"
                );
            }
        }
    }
    assert!(
        changed >= 5,
        "only {changed} calls changed by the decisions"
    );

    // The overview's days: the reviewed mean of each day's rescored calls.
    let overview = manager.get("/overview").body;
    for (d, out) in days.iter().zip(&rescored) {
        let scores: Vec<f64> = common::table(&out.join("calls.csv"))
            .iter()
            .map(|r| r["reviewed_score"].parse().expect("score"))
            .collect();
        let tag = overview
            .split(&format!("<tr class=\"day\" data-day=\"{d}\""))
            .nth(1)
            .and_then(|x| x.split('>').next())
            .unwrap_or_else(|| panic!("{d} on the overview"));
        assert_eq!(
            wb::attr(tag, "data-reviewed-mean").as_deref(),
            Some(report_mean(&scores).as_str()),
            "{d}: overview vs score --reviews"
        );
        assert_eq!(
            wb::attr(tag, "data-calls"),
            Some(scores.len().to_string()),
            "{d}"
        );
    }

    // The ranking over the whole range is report's operators.csv and
    // teams.csv of the rescored days.
    let range = format!("/rank?from={}&to={}", days[0], days[days.len() - 1]);
    let page = manager.get(&range).body;
    let shown = rank_rows(&page, "op", "data-id");
    let ops = common::table(&rep.join("operators.csv"));
    assert_eq!(shown.len(), ops.len());
    for o in &ops {
        let w = &shown[&o["operator_id"]];
        let id = &o["operator_id"];
        assert_eq!(w["data-rank"], o["rank"], "{id}");
        assert_eq!(w["data-calls"], o["calls"], "{id}");
        assert_eq!(w["data-reviewed-mean"], o["reviewed_mean_score"], "{id}");
        assert_eq!(w["data-reviewed-pass"], o["reviewed_pass_rate"], "{id}");
        assert_eq!(
            w["data-appeals"],
            format!(
                "{}/{}/{}",
                o["appeals_pending"], o["appeals_upheld"], o["appeals_overturned"]
            ),
            "{id}"
        );
    }
    let teams_csv = common::table(&rep.join("teams.csv"));
    let shown_t = rank_rows(&page, "team", "data-team");
    assert_eq!(shown_t.len(), teams_csv.len());
    for t in &teams_csv {
        let w = &shown_t[&t["team"]];
        assert_eq!(w["data-calls"], t["calls"], "{}", t["team"]);
        assert_eq!(
            w["data-reviewed-mean"], t["reviewed_mean_score"],
            "{}",
            t["team"]
        );
        assert_eq!(
            w["data-reviewed-pass"], t["reviewed_pass_rate"],
            "{}",
            t["team"]
        );
    }
    // Each appealing operator sees their own row, with the same rank.
    for f in &appeals {
        let id = &f["operator_id"];
        let mut op = s.signed_in(&format!("op{id}"));
        let mine = rank_rows(&op.get(&range).body, "op", "data-id");
        assert_eq!(mine.len(), 1, "{id} sees one row");
        assert_eq!(mine[id], shown[id], "{id}");
    }
}
