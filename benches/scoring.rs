//! Benchmarks of each norm, of parse + score per call, and of the whole
//! `score` run, on generated data (`hotline-qa gen --seed 1`, written to a
//! temporary folder when the benchmarks start) and, for the norms, on the
//! hand-written sample day as well. Run with `cargo bench --bench scoring`;
//! results and the end-to-end runs are in BENCHMARKS.md.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hotline_qa::config::Config;
use hotline_qa::gen::{generate, GenOptions};
use hotline_qa::input::time::default_offset;
use hotline_qa::input::transcripts::{parse_line, Limits};
use hotline_qa::lexicon::directory::Directory;
use hotline_qa::model::{Call, NormId};
use hotline_qa::norms::Scorer;
use hotline_qa::run::{score, ScoreOptions};

const SAMPLE: &str = include_str!("../samples/calls.jsonl");

/// Calls of the generated day used per iteration of the per-call benches.
const GENERATED_CALLS: u64 = 2_000;
/// Calls of the generated day scored per iteration of the whole-run bench.
const RUN_CALLS: u64 = 20_000;

fn parse_all<'a>(text: &'a str, name: &str) -> Vec<Call<'a>> {
    let file: Arc<str> = Arc::from(name);
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            parse_line(
                l.as_bytes(),
                &file,
                i as u64 + 1,
                default_offset(),
                &Limits::default(),
            )
            .ok()
        })
        .collect()
}

/// Generates a day of `calls` calls into `dir` and returns its folder.
fn generated_day(dir: &Path, calls: u64) -> PathBuf {
    let out = dir.join(format!("gen{calls}"));
    generate(&GenOptions::new(calls, 1, &out)).expect("generate a day");
    out
}

fn norms(c: &mut Criterion) {
    let scorer = Scorer::new(Config::default(), Directory::builtin()).expect("scorer");
    let tmp = tempfile::tempdir().expect("temporary folder");
    let day = generated_day(tmp.path(), GENERATED_CALLS);
    let text = std::fs::read_to_string(day.join("calls.jsonl")).expect("generated calls");
    for (group, calls) in [
        ("norm", parse_all(&text, "calls.jsonl")),
        ("norm_sample_day", parse_all(SAMPLE, "samples/calls.jsonl")),
    ] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(calls.len() as u64));
        for id in NormId::ALL {
            g.bench_function(id.key(), |b| {
                b.iter(|| {
                    for call in &calls {
                        black_box(scorer.check_norm(id, call, None));
                    }
                })
            });
        }
        g.finish();
    }
}

fn pipeline(c: &mut Criterion) {
    let scorer = Scorer::new(Config::default(), Directory::builtin()).expect("scorer");
    let tmp = tempfile::tempdir().expect("temporary folder");
    let day = generated_day(tmp.path(), GENERATED_CALLS);
    let text = std::fs::read_to_string(day.join("calls.jsonl")).expect("generated calls");
    let file: Arc<str> = Arc::from("calls.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    let mut g = c.benchmark_group("per_call");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for (i, l) in lines.iter().enumerate() {
                black_box(
                    parse_line(
                        l.as_bytes(),
                        &file,
                        i as u64,
                        default_offset(),
                        &Limits::default(),
                    )
                    .ok(),
                );
            }
        })
    });
    g.bench_function("parse_and_score", |b| {
        b.iter(|| {
            for (i, l) in lines.iter().enumerate() {
                if let Ok(call) = parse_line(
                    l.as_bytes(),
                    &file,
                    i as u64,
                    default_offset(),
                    &Limits::default(),
                ) {
                    black_box(scorer.score(&call, None, &[]));
                }
            }
        })
    });
    g.finish();
}

/// The whole `score` run (read, parse, score, write CSV and Parquet, no
/// summary reports) over a generated day, as `score --no-reports` does it.
fn whole_run(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("temporary folder");
    let day = generated_day(tmp.path(), RUN_CALLS);
    let calls = day.join("calls.jsonl");
    let bytes = std::fs::metadata(&calls).expect("generated calls").len();
    let mut g = c.benchmark_group("run");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("score_no_reports", |b| {
        b.iter(|| {
            let opts = ScoreOptions {
                inputs: vec![calls.clone()],
                out: tmp.path().join("out"),
                config: Config::default(),
                directory: Directory::builtin(),
                directory_file: None,
                config_file: None,
                manual: None,
                reviews: None,
                calendar: None,
                as_of: GenOptions::new(RUN_CALLS, 1, &day).as_of().into(),
                sheet: None,
                progress: false,
                limits: Limits::default(),
                batch: 4096,
                show_pii: false,
                lang: Default::default(),
                reports: false,
                from: None,
            };
            black_box(score(&opts).expect("score"));
        })
    });
    g.finish();
}

criterion_group!(benches, norms, pipeline, whole_run);
criterion_main!(benches);
