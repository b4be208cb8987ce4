//! Agreement with independently written, labelled sets of calls
//! (`tests/data/labelled/`, 155 calls, and `tests/data/labelled2/`, 150
//! longer calls: each written from the spec by someone who had not read the
//! code, with a verdict — violated / ok / na — per norm). Every verdict and
//! every red line must agree.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

const NORMS: [(&str, f64); 11] = [
    ("greeting", 5.0),
    ("closing", 5.0),
    ("courtesy", 10.0),
    ("pace", 5.0),
    ("clarity", 5.0),
    ("accuracy", 15.0),
    ("process", 15.0),
    ("communication", 10.0),
    ("attitude", 10.0),
    ("ticket", 10.0),
    ("taboo", 10.0),
];

fn table(path: &std::path::Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers: Vec<String> = r
        .headers()
        .expect("h")
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    r.records()
        .map(|rec| {
            let m: BTreeMap<String, String> = headers
                .iter()
                .cloned()
                .zip(rec.expect("row").iter().map(str::to_string))
                .collect();
            (m["call_id"].clone(), m)
        })
        .collect()
}

#[test]
fn verdicts_agree_with_the_first_labelled_set() {
    check("tests/data/labelled");
}

#[test]
fn verdicts_agree_with_the_second_labelled_set() {
    check("tests/data/labelled2");
}

fn check(set: &str) {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(set);
    let out = tempfile::tempdir().expect("tmp");
    // The labels say which rules were broken, reading the words as written;
    // whether a person must confirm a finding first (words over the other
    // party's speech, issue #7) is a separate question, so pending findings
    // count here.
    let config = out.path().join("scorecard.toml");
    std::fs::write(&config, "[review]\nneeds_review_costs_points = true\n").expect("config");
    let o = Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
        .arg("score")
        .arg("--config")
        .arg(&config)
        .arg(data.join("calls.jsonl"))
        .arg(data.join("tickets.csv"))
        .arg("--directory")
        .arg(data.join("directory.csv"))
        .arg("--out")
        .arg(out.path().join("run"))
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let labels = table(&data.join("labels.csv"));
    let got = table(&out.path().join("run").join("calls.csv"));
    assert_eq!(labels.len(), got.len());
    let mut wrong = Vec::new();
    for (id, l) in &labels {
        let g = &got[id];
        for (norm, full) in NORMS {
            let v = g[norm].as_str();
            let verdict = if v.is_empty() {
                "na"
            } else if v.parse::<f64>().expect("points") < full {
                "violated"
            } else {
                "ok"
            };
            if verdict != l[norm] {
                wrong.push(format!(
                    "{id} {norm}: label {} tool {verdict} ({})",
                    l[norm], l["note"]
                ));
            }
        }
        if g["red_line"] != l["red_line"] {
            wrong.push(format!(
                "{id} red_line: label {} tool {}",
                l["red_line"], g["red_line"]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
