//! The generator (`hotline-qa gen`) against the scorer: generate a day of
//! calls and tickets with known answers, score them, and require the
//! scorer's verdicts to equal the truth files exactly.
//!
//! On a mismatch the test prints, per norm, a confusion table (truth ×
//! scorer) and the first disagreeing calls with their transcript and
//! findings, so that one can tell a generator slip from a scorer bug.

mod common;
use common::table as rows;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use hotline_qa::config::Config;
use hotline_qa::gen::{generate, GenOptions, TICKET_FLAGS, TRUTH_CALL_COLUMNS};
use hotline_qa::input::transcripts::Limits;
use hotline_qa::lexicon::directory::Directory;
use hotline_qa::model::NormId;
use hotline_qa::run::{score, ScoreOptions};

const CALLS: u64 = 3000;
const SEED: u64 = 20_261_127;

fn score_dir(gen: &Path, out: &Path) {
    let directory = Directory::load(&gen.join("directory.csv")).expect("directory");
    let opts = ScoreOptions {
        inputs: vec![gen.join("calls.jsonl"), gen.join("tickets.csv")],
        out: out.to_path_buf(),
        // The truth says which rules were broken; whether a person must
        // confirm a finding (words over the caller's speech, issue #7) is a
        // separate question, so pending findings count here.
        config: Config {
            review: hotline_qa::config::ReviewConfig {
                needs_review_costs_points: true,
                ..Default::default()
            },
            ..Config::default()
        },
        directory,
        directory_file: Some(gen.join("directory.csv")),
        config_file: None,
        manual: None,
        reviews: None,
        calendar: None,
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 28).and_then(|d| d.and_hms_opt(0, 0, 0)),
        sheet: None,
        progress: false,
        limits: Limits::default(),
        batch: 512,
        show_pii: true,
        lang: Default::default(),
        reports: true,
        from: None,
    };
    let summary = score(&opts).expect("score");
    assert_eq!(summary.calls.rejected, 0, "no call may be rejected");
    assert_eq!(summary.tickets.rejected, 0, "no ticket may be rejected");
}

/// The scorer's verdict from a calls.csv cell: empty = na, full points = ok.
fn verdict(cell: &str, full: f64) -> &'static str {
    if cell.is_empty() {
        return "na";
    }
    let v: f64 = cell.parse().unwrap_or(-1.0);
    if v < full - 1e-9 {
        "violated"
    } else {
        "ok"
    }
}

fn transcript_lines(path: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(path).expect("calls.jsonl");
    text.lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            (
                v["call_id"].as_str().unwrap_or("").to_string(),
                l.to_string(),
            )
        })
        .collect()
}

fn show_call(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).expect("json");
    let mut s = format!("  ended_by={}\n", v["ended_by"]);
    for u in v["utterances"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "    {:<6} {:>6}-{:<6} {} ({})\n",
            u["speaker"].as_str().unwrap_or(""),
            u["start"],
            u["end"],
            u["text"].as_str().unwrap_or(""),
            u["confidence"]
        ));
    }
    s
}

#[test]
fn scorer_agrees_with_the_generated_truth() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let gen = tmp.path().join("gen");
    let out = tmp.path().join("out");
    let summary = generate(&GenOptions::new(CALLS, SEED, &gen)).expect("generate");
    eprintln!("{summary}");
    assert_eq!(summary.calls, CALLS);
    assert_eq!(
        summary.off_plan, 0,
        "calls whose truth differs from the plan"
    );
    score_dir(&gen, &out);

    let config = Config::default();
    let truth = rows(&gen.join("truth_calls.csv"));
    let scored: HashMap<String, BTreeMap<String, String>> = rows(&out.join("calls.csv"))
        .into_iter()
        .map(|r| (r["call_id"].clone(), r))
        .collect();
    assert_eq!(truth.len() as u64, CALLS);
    assert_eq!(scored.len() as u64, CALLS);

    let mut findings: HashMap<String, Vec<String>> = HashMap::new();
    for f in rows(&out.join("findings.csv")) {
        findings
            .entry(f["call_id"].clone())
            .or_default()
            .push(format!("{} [{}] {}", f["rule"], f["points"], f["excerpt"]));
    }

    // Per column: (truth, scorer) → count, and the first disagreeing calls.
    let mut confusion: BTreeMap<&str, BTreeMap<(String, String), u64>> = BTreeMap::new();
    let mut wrong: BTreeMap<&str, Vec<(String, String, String)>> = BTreeMap::new();
    for t in &truth {
        let id = &t["call_id"];
        let s = scored.get(id).unwrap_or_else(|| panic!("{id} not scored"));
        for col in &TRUTH_CALL_COLUMNS[1..] {
            let want = t[*col].clone();
            let got = if *col == "red_line" {
                if s["red_line"] == "true" {
                    "violated"
                } else {
                    "ok"
                }
                .to_string()
            } else {
                let n = NormId::parse(col).expect("norm");
                verdict(&s[*col], config.norms.common(n).points).to_string()
            };
            *confusion
                .entry(col)
                .or_default()
                .entry((want.clone(), got.clone()))
                .or_default() += 1;
            if want != got {
                wrong.entry(col).or_default().push((id.clone(), want, got));
            }
        }
    }

    let mut report = String::new();
    if !wrong.is_empty() {
        let lines = transcript_lines(&gen.join("calls.jsonl"));
        for (col, table) in &confusion {
            report.push_str(&format!("{col:<14}"));
            for ((w, g), c) in table {
                report.push_str(&format!("  truth {w} / scorer {g}: {c};"));
            }
            report.push('\n');
        }
        for (col, list) in &wrong {
            report.push_str(&format!("\n== {col}: {} disagreements\n", list.len()));
            for (id, want, got) in list.iter().take(4) {
                report.push_str(&format!("{id}: truth {want}, scorer {got}\n"));
                if let Some(l) = lines.get(id) {
                    report.push_str(&show_call(l));
                }
                for f in findings.get(id).into_iter().flatten() {
                    report.push_str(&format!("    finding: {f}\n"));
                }
            }
        }
    }

    // Tickets: status and the six flags.
    let ttruth = rows(&gen.join("truth_tickets.csv"));
    let tscored: HashMap<String, BTreeMap<String, String>> = rows(&out.join("tickets.csv"))
        .into_iter()
        .map(|r| (r["ticket_id"].clone(), r))
        .collect();
    assert_eq!(ttruth.len() as u64, summary.tickets);
    assert_eq!(tscored.len(), ttruth.len());
    let mut tickets_wrong = Vec::new();
    for t in &ttruth {
        let id = &t["ticket_id"];
        let s = tscored
            .get(id)
            .unwrap_or_else(|| panic!("ticket {id} missing"));
        for col in std::iter::once("status").chain(TICKET_FLAGS) {
            if t[col] != s[col] {
                tickets_wrong.push(format!(
                    "{id} {col}: truth {}, scorer {} (due {} dispatched {} completed {} urge_deadline {} callback_deadline {})",
                    t[col], s[col], s["due_at"], s["dispatched_at"], s["completed_at"], s["urge_deadline"], s["callback_deadline"]
                ));
            }
        }
    }
    if !tickets_wrong.is_empty() {
        report.push_str(&format!(
            "\n== tickets: {} disagreements\n{}\n",
            tickets_wrong.len(),
            tickets_wrong
                .iter()
                .take(20)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        ));
    }
    assert!(
        wrong.is_empty() && tickets_wrong.is_empty(),
        "the scorer disagrees with the truth:\n{report}"
    );

    // Every norm and every flag is exercised.
    for n in NormId::ALL {
        assert!(
            summary.violated[n.index()] > 0,
            "no violation of {}",
            n.key()
        );
        assert!(
            summary.assessed[n.index()] > summary.violated[n.index()],
            "no pass of {}",
            n.key()
        );
    }
    assert!(summary.red_lines > 0, "no red line");
    for (k, f) in TICKET_FLAGS.iter().enumerate() {
        assert!(summary.flags[k] > 0, "no ticket with {f}");
    }
    for (k, c) in summary.statuses.iter().enumerate() {
        assert!(*c > 0, "no ticket with status #{k}");
    }
}

fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| {
            let p = e.expect("entry").path();
            let bytes = std::fs::read(&p).expect("read");
            (PathBuf::from(p.file_name().expect("name")), bytes)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn same_seed_same_bytes_other_seed_other_calls() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let c = tmp.path().join("c");
    let sa = generate(&GenOptions::new(400, 7, &a)).expect("a");
    let sb = generate(&GenOptions::new(400, 7, &b)).expect("b");
    generate(&GenOptions::new(400, 8, &c)).expect("c");
    assert_eq!(sa, sb);
    let fa = files(&a);
    assert_eq!(fa.len(), 5);
    assert_eq!(fa, files(&b), "same seed, different bytes");
    let calls = |d: &Path| std::fs::read(d.join("calls.jsonl")).expect("calls");
    assert_ne!(calls(&a), calls(&c), "another seed gave the same calls");
    // Utterance counts stay within 6–20 (except calls where the agent never
    // spoke), and no template markup is left in the text.
    for line in String::from_utf8(calls(&a)).expect("utf8").lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json");
        let u = v["utterances"].as_array().expect("utterances");
        for x in u {
            let t = x["text"].as_str().expect("text");
            assert!(
                !t.contains(['|', '{', '}']),
                "{}: markup in {t}",
                v["call_id"]
            );
        }
        let agent = u.iter().any(|x| x["speaker"] == "agent");
        if agent {
            assert!(
                (6..=20).contains(&u.len()),
                "{}: {} utterances",
                v["call_id"],
                u.len()
            );
        }
    }
}

/// Days of a month generated with one seed used to be the same calls with
/// another date (the same dialogues, faults and scores every day), which
/// made a month in the workbench a flat line.
#[test]
fn days_of_one_seed_share_the_roster_but_not_the_calls() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let day = |d: &str, out: &str| {
        let mut o = GenOptions::new(200, 3, tmp.path().join(out));
        o.day = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
        generate(&o).expect("gen");
        let text =
            std::fs::read_to_string(tmp.path().join(out).join("calls.jsonl")).expect("calls");
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json"))
            .collect::<Vec<_>>()
    };
    let a = day("2026-11-02", "a");
    let b = day("2026-11-03", "b");
    let roster = |v: &[serde_json::Value]| {
        v.iter()
            .map(|c| {
                (
                    c["operator_id"].to_string(),
                    c["operator_name"].to_string(),
                    c["team"].to_string(),
                )
            })
            .collect::<std::collections::BTreeSet<_>>()
    };
    // The same operators keep their names and teams from day to day.
    let (ra, rb) = (roster(&a), roster(&b));
    let ids_b: std::collections::BTreeMap<_, _> = rb
        .iter()
        .map(|(i, n, t)| (i.clone(), (n.clone(), t.clone())))
        .collect();
    let shared = ra
        .iter()
        .filter(|(i, n, t)| ids_b.get(i).is_some_and(|x| x == &(n.clone(), t.clone())))
        .count();
    assert!(shared > 10, "only {shared} operators in common");
    assert!(
        ra.iter()
            .all(|(i, n, t)| ids_b.get(i).is_none_or(|x| x == &(n.clone(), t.clone()))),
        "an operator changed name or team between days"
    );
    // Must-not: the second day is not the first one's dialogues again.
    let words = |v: &[serde_json::Value]| {
        v.iter()
            .map(|c| c["utterances"].to_string())
            .collect::<Vec<_>>()
    };
    let (wa, wb) = (words(&a), words(&b));
    let same = wa.iter().zip(&wb).filter(|(x, y)| x == y).count();
    assert!(
        same < wa.len() / 10,
        "{same} of {} calls repeat the other day's",
        wa.len()
    );
    // Must-not: the same day and seed still give the same bytes.
    let a2 = day("2026-11-02", "a2");
    assert_eq!(words(&a), words(&a2));
}
