//! End-to-end tests of `hotline-qa rescore` on `samples/`: a run is scored,
//! then re-scored with a scorecard that switches ONE rule off, and the diff
//! files are checked against a count made here, independently, from the
//! first run's calls.csv and findings.csv (which calls had the rule, what
//! their score becomes without it, how the operators then rank).

mod common;
use common::table;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const AS_OF: &str = "2026-11-28T00:00:00+08:00";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
}

fn samples(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run hotline-qa")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn cents(s: &str) -> i64 {
    (s.parse::<f64>()
        .unwrap_or_else(|_| panic!("not a number: {s}"))
        * 100.0)
        .round() as i64
}

/// A temporary folder with the sample inputs copied (so they can be moved)
/// and two scorecards: `v1.toml` (defaults) and `v2.toml` (one rule off).
struct Setup {
    tmp: tempfile::TempDir,
}

impl Setup {
    fn new(rule_off: &str) -> Setup {
        let tmp = tempfile::tempdir().expect("tmp");
        let inputs = tmp.path().join("in");
        std::fs::create_dir_all(&inputs).expect("mkdir");
        for f in ["calls.jsonl", "tickets.csv"] {
            std::fs::copy(samples(f), inputs.join(f)).expect("copy");
        }
        std::fs::create_dir_all(tmp.path().join("dir")).expect("mkdir");
        std::fs::copy(
            samples("directory.csv"),
            tmp.path().join("dir/directory.csv"),
        )
        .expect("copy");
        // Ranks need 3 calls (the samples have 3 to 6 per operator).
        std::fs::write(
            tmp.path().join("v1.toml"),
            "version = \"v1\"\n[reports]\nmin_calls_for_rank = 3\n",
        )
        .expect("write");
        std::fs::write(
            tmp.path().join("v2.toml"),
            format!(
                "version = \"v2\"\ndisabled_rules = [\"{rule_off}\"]\n[reports]\nmin_calls_for_rank = 3\n"
            ),
        )
        .expect("write");
        Setup { tmp }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    /// `score` of the copied samples with v1 into `run1`.
    fn score(&self) -> PathBuf {
        self.score_with(&[])
    }

    /// As [`Setup::score`], with `extra` arguments (`--reviews FILE`).
    fn score_with(&self, extra: &[&std::ffi::OsStr]) -> PathBuf {
        let out = self.path("run1");
        let o = run(bin()
            .arg("score")
            .arg(self.path("in/calls.jsonl"))
            .arg(self.path("in/tickets.csv"))
            .arg("--directory")
            .arg(self.path("dir/directory.csv"))
            .arg("--config")
            .arg(self.path("v1.toml"))
            .args(extra)
            .arg("--as-of")
            .arg(AS_OF)
            .arg("--quiet")
            .arg("--out")
            .arg(&out));
        assert!(o.status.success(), "score: {}", text(&o.stderr));
        out
    }

    fn rescore(&self, run_dir: &Path, config: &str, out: &str, inputs: &[PathBuf]) -> Output {
        run(bin()
            .arg("rescore")
            .arg(run_dir)
            .arg("--config")
            .arg(self.path(config))
            .arg("--out")
            .arg(self.path(out))
            .args(inputs))
    }
}

/// What the first run says about one call.
struct OldCall {
    operator_id: String,
    score: i64,
    passed: bool,
    red_line: bool,
    /// Norm key → points earned (assessed norms only).
    earned: BTreeMap<String, f64>,
}

/// The independent count: for every call that had `rule`, its expected
/// score without the rule; and the expected operator ranks.
struct Expected {
    /// call_id → (old cents, new cents, old passed, new passed, old red, new red).
    changed: BTreeMap<String, (i64, i64, bool, bool, bool, bool)>,
    findings: u64,
    points: i64,
    /// operator_id → (old rank, new rank).
    ranks: BTreeMap<String, (u32, u32)>,
}

fn expected(run1: &Path, rule: &str, pass_mark: f64, min_calls: usize) -> Expected {
    let norms = [
        "greeting",
        "closing",
        "courtesy",
        "pace",
        "clarity",
        "accuracy",
        "process",
        "communication",
        "attitude",
        "ticket",
        "taboo",
    ];
    let mut calls: BTreeMap<String, OldCall> = BTreeMap::new();
    for r in table(&run1.join("calls.csv")) {
        let earned = norms
            .iter()
            .filter(|n| !r[**n].is_empty())
            .map(|n| (n.to_string(), r[*n].parse::<f64>().expect("points")))
            .collect();
        calls.insert(
            r["call_id"].clone(),
            OldCall {
                operator_id: r["operator_id"].clone(),
                score: cents(&r["score"]),
                passed: r["passed"] == "true",
                red_line: r["red_line"] == "true",
                earned,
            },
        );
    }
    // call_id → its findings (norm, rule, points, severity).
    let mut findings: BTreeMap<String, Vec<(String, String, f64, String)>> = BTreeMap::new();
    for r in table(&run1.join("findings.csv")) {
        findings.entry(r["call_id"].clone()).or_default().push((
            r["norm"].clone(),
            r["rule"].clone(),
            r["points"].parse().expect("points"),
            r["severity"].clone(),
        ));
    }
    let mut e = Expected {
        changed: BTreeMap::new(),
        findings: 0,
        points: 0,
        ranks: BTreeMap::new(),
    };
    let mut new_scores: BTreeMap<String, (i64, bool)> = calls
        .iter()
        .map(|(id, c)| (id.clone(), (c.score, c.passed)))
        .collect();
    for (id, fs) in &findings {
        let hits: Vec<_> = fs.iter().filter(|f| f.1 == rule).collect();
        if hits.is_empty() {
            continue;
        }
        e.findings += hits.len() as u64;
        e.points += hits
            .iter()
            .map(|f| (f.2 * 100.0).round() as i64)
            .sum::<i64>();
        let c = &calls[id];
        let norm = hits[0].0.clone();
        // A norm's full points = earned + the points its findings cost;
        // with per_finding = 0 (the default) any remaining finding of the
        // norm still costs all of them.
        let full = |n: &str| -> f64 {
            c.earned[n] + fs.iter().filter(|f| f.0 == n).map(|f| f.2).sum::<f64>()
        };
        let rest: Vec<_> = fs.iter().filter(|f| f.1 != rule).collect();
        let possible: f64 = c.earned.keys().map(|n| full(n)).sum();
        let got: f64 = c
            .earned
            .iter()
            .map(|(n, &p)| {
                if *n == norm && !rest.iter().any(|f| f.0 == norm) {
                    full(n)
                } else {
                    p
                }
            })
            .sum();
        let red = rest.iter().any(|f| f.3 == "red_line");
        let score = if red {
            0.0
        } else {
            (got / possible * 100.0 * 100.0).round() / 100.0
        };
        let new = (score * 100.0).round() as i64;
        let passed = score >= pass_mark;
        e.changed.insert(
            id.clone(),
            (c.score, new, c.passed, passed, c.red_line, red),
        );
        new_scores.insert(id.clone(), (new, passed));
    }
    // Ranks: mean desc, pass rate desc, operator id; at least `min_calls` calls.
    let rank = |scores: &dyn Fn(&str) -> (i64, bool)| -> BTreeMap<String, u32> {
        let mut by_op: BTreeMap<&str, (i64, u64, u64)> = BTreeMap::new();
        for (id, c) in &calls {
            let (s, p) = scores(id);
            let o = by_op.entry(&c.operator_id).or_default();
            o.0 += s;
            o.1 += 1;
            o.2 += u64::from(p);
        }
        let mut ops: Vec<(&str, f64, f64)> = by_op
            .iter()
            .filter(|(_, o)| o.1 as usize >= min_calls)
            .map(|(id, o)| (*id, o.0 as f64 / o.1 as f64, o.2 as f64 / o.1 as f64))
            .collect();
        ops.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(b.2.total_cmp(&a.2))
                .then(a.0.cmp(b.0))
        });
        ops.iter()
            .enumerate()
            .map(|(i, o)| (o.0.to_string(), i as u32 + 1))
            .collect()
    };
    let old = rank(&|id| (calls[id].score, calls[id].passed));
    let new = rank(&|id| new_scores[id]);
    for (id, r) in old {
        e.ranks.insert(id.clone(), (r, new[&id]));
    }
    e
}

/// Scores, re-scores with `rule` switched off and checks the three diff
/// files and the summary against [`expected`]. Returns the setup and the
/// summary printed.
fn check_rule_off(rule: &str) -> (Setup, String) {
    let s = Setup::new(rule);
    let run1 = s.score();
    let o = s.rescore(&run1, "v2.toml", "run2", &[]);
    assert!(o.status.success(), "rescore: {}", text(&o.stderr));
    let summary = text(&o.stdout);
    let run2 = s.path("run2");
    let exp = expected(&run1, rule, 80.0, 3);
    assert!(
        !exp.changed.is_empty(),
        "the samples must have findings of {rule}"
    );

    // diff_calls.csv: exactly the calls that had the rule, sorted by delta then id.
    let rows = table(&run2.join("diff_calls.csv"));
    let ids: BTreeSet<&str> = rows.iter().map(|r| r["call_id"].as_str()).collect();
    let want: BTreeSet<&str> = exp.changed.keys().map(String::as_str).collect();
    assert_eq!(ids, want, "calls in diff_calls.csv");
    let mut last = (i64::MIN, String::new());
    for r in &rows {
        let (old, new, old_p, new_p, old_red, new_red) = exp.changed[&r["call_id"]];
        assert_eq!(cents(&r["old_score"]), old, "{r:?}");
        assert_eq!(cents(&r["new_score"]), new, "{r:?}");
        assert_eq!(cents(&r["delta"]), new - old, "{r:?}");
        assert_eq!(r["old_passed"], old_p.to_string(), "{r:?}");
        assert_eq!(r["new_passed"], new_p.to_string(), "{r:?}");
        assert_eq!(r["old_red_line"], old_red.to_string(), "{r:?}");
        assert_eq!(r["new_red_line"], new_red.to_string(), "{r:?}");
        assert_eq!(r["rules_lost"], rule, "{r:?}");
        assert_eq!(r["rules_gained"], "", "{r:?}");
        assert_eq!(r["status"], "changed", "{r:?}");
        let key = (new - old, r["call_id"].clone());
        assert!(key > last, "diff_calls.csv is not sorted: {r:?}");
        last = key;
    }
    // The new run's own calls.csv says the same.
    for r in table(&run2.join("calls.csv")) {
        if let Some(&(_, new, ..)) = exp.changed.get(&r["call_id"]) {
            assert_eq!(cents(&r["score"]), new, "run2/calls.csv {r:?}");
        }
    }

    // diff_rules.csv: the rule lost all its findings; nothing else moved.
    let rules = table(&run2.join("diff_rules.csv"));
    assert_eq!(rules[0]["rule"], rule, "largest change first");
    for r in &rules {
        if r["rule"] == rule {
            let n = exp.changed.len().to_string();
            assert_eq!(r["old_findings"], exp.findings.to_string());
            assert_eq!(r["new_findings"], "0");
            assert_eq!(r["delta"], format!("-{}", exp.findings));
            assert_eq!(
                (r["old_calls"].as_str(), r["new_calls"].as_str()),
                (n.as_str(), "0")
            );
            assert_eq!(
                (r["calls_gained"].as_str(), r["calls_lost"].as_str()),
                ("0", n.as_str())
            );
            assert_eq!(cents(&r["old_points"]), exp.points);
            assert_eq!(r["new_points"], "0");
        } else {
            assert_eq!(r["delta"], "0", "{r:?}");
            assert_eq!(r["calls_gained"], "0", "{r:?}");
            assert_eq!(r["calls_lost"], "0", "{r:?}");
        }
    }

    // diff_operators.csv: ranks as counted here, and as each run's operators.csv.
    let ops = table(&run2.join("diff_operators.csv"));
    let report_rank = |dir: &Path| -> BTreeMap<String, String> {
        table(&dir.join("operators.csv"))
            .into_iter()
            .map(|r| (r["operator_id"].clone(), r["rank"].clone()))
            .collect()
    };
    let (rank1, rank2) = (report_rank(&run1), report_rank(&run2));
    let mut changed_ops: BTreeMap<String, usize> = BTreeMap::new();
    let operator_of: BTreeMap<String, String> = table(&run1.join("calls.csv"))
        .into_iter()
        .map(|r| (r["call_id"].clone(), r["operator_id"].clone()))
        .collect();
    for id in exp.changed.keys() {
        *changed_ops.entry(operator_of[id].clone()).or_default() += 1;
    }
    let mut moved = 0;
    for r in &ops {
        let id = &r["operator_id"];
        let (old, new) = exp.ranks[id];
        assert_eq!(r["old_rank"], old.to_string(), "{r:?}");
        assert_eq!(r["new_rank"], new.to_string(), "{r:?}");
        assert_eq!(
            r["rank_change"],
            (i64::from(old) - i64::from(new)).to_string()
        );
        assert_eq!(r["old_rank"], rank1[id], "old rank = run1/operators.csv");
        assert_eq!(r["new_rank"], rank2[id], "new rank = run2/operators.csv");
        assert_eq!(
            r["calls_changed"],
            changed_ops.get(id).copied().unwrap_or(0).to_string(),
            "{r:?}"
        );
        moved += usize::from(old != new);
    }
    assert_eq!(ops.len(), exp.ranks.len());
    let new_ranks: Vec<u32> = ops
        .iter()
        .map(|r| r["new_rank"].parse().expect("rank"))
        .collect();
    assert!(
        new_ranks.windows(2).all(|w| w[0] < w[1]),
        "sorted by new rank"
    );

    assert!(summary.contains("评分表 v1 → v2"), "{summary}");
    assert!(
        summary.contains(&format!("49 通电话中 {} 通结果有变化", exp.changed.len())),
        "{summary}"
    );
    let up = exp.changed.values().filter(|c| c.1 > c.0).count();
    let down = exp.changed.values().filter(|c| c.1 < c.0).count();
    assert!(
        summary.contains(&format!("分数上升 {up} 通，下降 {down} 通")),
        "{summary}"
    );
    if moved == 0 {
        assert!(summary.contains("话务员排名没有变化"), "{summary}");
    } else {
        assert!(summary.contains("排名变化的话务员"), "{summary}");
    }
    (s, summary)
}

#[test]
fn switching_off_a_deduction_rule_matches_a_manual_count() {
    check_rule_off("courtesy.slang");
}

#[test]
fn switching_off_a_red_line_rule_moves_ranks_as_counted() {
    let (s, summary) = check_rule_off("taboo.insult");
    // On the samples the insult is the only red line, on an operator's
    // fourth call: without it she moves up.
    assert!(summary.contains("红线 1 → 0 通"), "{summary}");
    let ops = table(&s.path("run2/diff_operators.csv"));
    assert!(
        ops.iter()
            .any(|r| r["rank_change"].parse::<i64>().expect("rank change") > 0),
        "{ops:?}"
    );
}

#[test]
fn the_same_scorecard_gives_an_empty_diff() {
    let s = Setup::new("courtesy.ni");
    let run1 = s.score();
    let o = s.rescore(&run1, "v1.toml", "same", &[]);
    assert!(o.status.success(), "rescore: {}", text(&o.stderr));
    let calls = std::fs::read_to_string(s.path("same/diff_calls.csv")).expect("read");
    assert_eq!(
        calls,
        "\u{feff}call_id,operator_id,operator_name,old_score,new_score,delta,old_passed,new_passed,\
         old_red_line,new_red_line,rules_gained,rules_lost,status\n"
    );
    let ops = table(&s.path("same/diff_operators.csv"));
    assert!(!ops.is_empty());
    for r in &ops {
        assert_eq!(r["calls_changed"], "0", "{r:?}");
        assert!(
            r["rank_change"] == "0" || r["rank_change"].is_empty(),
            "{r:?}"
        );
        assert_eq!(r["old_rank"], r["new_rank"], "{r:?}");
    }
    for r in table(&s.path("same/diff_rules.csv")) {
        assert_eq!(r["delta"], "0", "{r:?}");
    }
    let out = text(&o.stdout);
    assert!(out.contains("两次评分结果相同"), "{out}");
    assert!(out.contains("话务员排名没有变化"), "{out}");
    // The new run keeps the as-of time: tickets are identical.
    assert_eq!(
        std::fs::read(run1.join("tickets.csv")).expect("read"),
        std::fs::read(s.path("same/tickets.csv")).expect("read")
    );
}

#[test]
fn moved_inputs_must_be_given_and_the_diff_is_deterministic() {
    let s = Setup::new("courtesy.slang");
    let run1 = s.score();
    let o = s.rescore(&run1, "v2.toml", "a", &[]);
    assert!(o.status.success(), "rescore: {}", text(&o.stderr));
    std::fs::rename(s.path("in"), s.path("moved")).expect("move");
    let o = s.rescore(&run1, "v2.toml", "b", &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("原运行的输入已不存在"), "{err}");
    assert!(err.contains("calls.jsonl"), "{err}");
    assert!(
        err.contains("请在命令最后写出现在的输入文件或文件夹"),
        "{err}"
    );
    let moved = [s.path("moved/calls.jsonl"), s.path("moved/tickets.csv")];
    let o = s.rescore(&run1, "v2.toml", "b", &moved);
    assert!(o.status.success(), "rescore: {}", text(&o.stderr));
    for f in ["diff_calls.csv", "diff_operators.csv", "diff_rules.csv"] {
        assert_eq!(
            std::fs::read(s.path("a").join(f)).expect("read"),
            std::fs::read(s.path("b").join(f)).expect("read"),
            "{f} differs between two re-scorings"
        );
    }
    // The summary too (but for the folder it names).
    let again = s.rescore(&run1, "v2.toml", "c", &moved);
    let summary =
        |o: &Output, dir: &str| text(&o.stdout).replace(&s.path(dir).display().to_string(), "OUT");
    assert_eq!(summary(&o, "b"), summary(&again, "c"));
}

#[test]
fn refusals_and_errors() {
    let s = Setup::new("courtesy.ni");
    let run1 = s.score();
    let before = std::fs::read(run1.join("calls.csv")).expect("read");

    // --out is the run folder: refused (usage error), nothing overwritten.
    let o = s.rescore(&run1, "v2.toml", "run1", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("就是原运行的文件夹"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read(run1.join("calls.csv")).expect("read"), before);
    // … also when spelled differently.
    let o = run(bin()
        .arg("rescore")
        .arg(&run1)
        .arg("--config")
        .arg(s.path("v2.toml"))
        .arg("--out")
        .arg(run1.join("..").join("run1").join(".")));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));

    // No run.json: a clear error naming the file.
    std::fs::create_dir_all(s.path("old")).expect("mkdir");
    let o = s.rescore(&s.path("old"), "v2.toml", "x", &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("不是可以重新评分的运行文件夹"), "{err}");
    assert!(err.contains(&s.path("old").display().to_string()), "{err}");
    assert!(
        err.contains("没有 hotline-qa score 写出的 run.json"),
        "{err}"
    );

    // A bad scorecard: exit 2, before anything is scored.
    std::fs::write(s.path("bad.toml"), "disabled_rules = [\"no.such_rule\"]\n").expect("write");
    let o = s.rescore(&run1, "bad.toml", "y", &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(!s.path("y").exists());

    // The config is required.
    let o = run(bin()
        .arg("rescore")
        .arg(&run1)
        .arg("--out")
        .arg(s.path("z")));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn ranks_follow_operators_csv_when_the_run_had_reviews() {
    // 000311's insult overturned on appeal: 2025's reviewed mean rises by a
    // quarter of 100, which moves her up in operators.csv; the diff's ranks
    // must be operators.csv's, in both runs (rescore applies the same reviews).
    let s = Setup::new("closing.missing");
    let reviews = s.path("reviews.csv");
    std::fs::write(
        &reviews,
        "call_id,rule,appeal\n20261127-000311,taboo.insult,overturned\n",
    )
    .expect("write");
    let run1 = s.score_with(&["--reviews".as_ref(), reviews.as_os_str()]);
    let o = s.rescore(&run1, "v2.toml", "run2", &[]);
    assert!(o.status.success(), "rescore: {}", text(&o.stderr));
    let rank_of = |dir: &Path| -> BTreeMap<String, String> {
        table(&dir.join("operators.csv"))
            .into_iter()
            .map(|r| (r["operator_id"].clone(), r["rank"].clone()))
            .collect()
    };
    let (rank1, rank2) = (rank_of(&run1), rank_of(&s.path("run2")));
    // The review matters here: 2025's reviewed mean is above her machine mean.
    let chen = table(&run1.join("operators.csv"))
        .into_iter()
        .find(|r| r["operator_id"] == "2025")
        .expect("2025");
    assert_ne!(chen["mean_score"], chen["reviewed_mean_score"], "{chen:?}");
    for r in table(&s.path("run2/diff_operators.csv")) {
        let id = &r["operator_id"];
        assert_eq!(
            r["old_rank"], rank1[id],
            "{id}: old rank = run1/operators.csv"
        );
        assert_eq!(
            r["new_rank"], rank2[id],
            "{id}: new rank = run2/operators.csv"
        );
    }
}
