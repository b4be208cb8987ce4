//! The held-out set of issue #19 (`tests/data/heldout19/`, 130 linked calls
//! and tickets): written from spec §2.1 and the process document by someone
//! who had not read the cue readers, each call labelled for each of the
//! eight rules of §2.1 as violated / ok / na (`labels.csv`; `gen.py` wrote
//! the files). A call is flagged for a rule when findings.csv has a row of
//! that rule, as the issue judges it; a `needs_review` finding (the 章/张
//! homophone) is in findings.csv too, and is labelled violated.
//!
//! Before the readers were fixed the set scored F1 0.71 (place_missing) to
//! 1.0; every rule now agrees on every call but one known case (below,
//! place_missing F1 0.92), and no rule finds anything on a call where it
//! cannot be assessed. The test asserts exact agreement apart from the
//! known case, and F1 ≥ 0.9 per rule, so that a later change cannot lose
//! them silently; it reports each rule's precision, recall and F1 when it
//! fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

fn rows(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .cloned()
                .zip(rec.expect("row").iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[test]
fn the_eight_rules_agree_with_the_held_out_set_of_issue_19() {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/heldout19");
    let out = tempfile::tempdir().expect("tmp");
    let run = out.path().join("run");
    // The command the issue judges by, default scorecard.
    let o = Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
        .arg("score")
        .arg(data.join("calls.jsonl"))
        .arg(data.join("tickets.csv"))
        .arg("--directory")
        .arg(data.join("directory.csv"))
        .arg("--out")
        .arg(&run)
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let labels = rows(&data.join("labels.csv"));
    let mut flagged: BTreeSet<(String, String)> = BTreeSet::new();
    for f in rows(&run.join("findings.csv")) {
        flagged.insert((f["call_id"].clone(), f["rule"].clone()));
    }
    let rules: BTreeSet<String> = labels.iter().map(|l| l["rule"].clone()).collect();
    assert_eq!(rules.len(), 8, "{rules:?}");

    // Where the rules knowingly judge otherwise than the label, and why.
    // H19-071: the caller says 青年路幸福巷口 and the ticket 幸福巷口. The
    // label asks for every place of an address; place_missing asks for any
    // place the caller named (a caller names places that are not the
    // matter's: 我在人民医院上班，我们长青小区停水了), so 幸福巷 is enough.
    let known: BTreeSet<(&str, &str)> = [("H19-071", "ticket.place_missing")].into();

    let mut report = Vec::new();
    let mut wrong = Vec::new();
    for rule in &rules {
        let (mut tp, mut fp, mut fn_, mut na_hits) = (0u32, 0u32, 0u32, 0u32);
        for l in labels.iter().filter(|l| &l["rule"] == rule) {
            let got = flagged.contains(&(l["call_id"].clone(), rule.clone()));
            let what = match (l["label"].as_str(), got) {
                ("na", true) => {
                    na_hits += 1;
                    "finding on a call where the rule cannot be assessed"
                }
                ("violated", true) => {
                    tp += 1;
                    continue;
                }
                ("violated", false) => {
                    fn_ += 1;
                    "missed"
                }
                ("ok", true) => {
                    fp += 1;
                    "false finding"
                }
                ("ok" | "na", false) => continue,
                (other, _) => panic!("label {other} of {}", l["call_id"]),
            };
            if known.contains(&(l["call_id"].as_str(), rule.as_str())) {
                continue;
            }
            wrong.push(format!("{} {rule}: {what} ({})", l["call_id"], l["note"]));
        }
        let p = if tp + fp == 0 {
            1.0
        } else {
            f64::from(tp) / f64::from(tp + fp)
        };
        let r = if tp + fn_ == 0 {
            1.0
        } else {
            f64::from(tp) / f64::from(tp + fn_)
        };
        let f1 = if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        };
        report.push(format!(
            "{rule}: P {p:.2} R {r:.2} F1 {f1:.2} (tp {tp}, fp {fp}, fn {fn_}, on na {na_hits})"
        ));
        // Every rule has cases that break it: a rule that never fires here
        // would pass vacuously.
        if tp == 0 {
            wrong.push(format!("{rule}: no violated case found"));
        }
        // The issue's bar, whatever the known disagreements.
        if f1 < 0.9 || na_hits > 0 {
            wrong.push(format!("{rule}: F1 {f1:.2}, {na_hits} findings on na"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}\n\nper rule:\n{}",
        wrong.len(),
        wrong.join("\n"),
        report.join("\n")
    );
}
