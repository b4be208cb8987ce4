//! Benchmarks of each norm and of parse + score per call, on the sample
//! day (36 realistic calls). Run with `cargo bench --bench scoring`;
//! results and the end-to-end runs are in BENCHMARKS.md.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hotline_qa::config::Config;
use hotline_qa::input::time::default_offset;
use hotline_qa::input::transcripts::{parse_line, Limits};
use hotline_qa::lexicon::directory::Directory;
use hotline_qa::model::{Call, NormId};
use hotline_qa::norms::Scorer;

const SAMPLE: &str = include_str!("../samples/calls.jsonl");

fn calls() -> Vec<Call> {
    let file: Arc<str> = Arc::from("samples/calls.jsonl");
    SAMPLE
        .lines()
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

fn norms(c: &mut Criterion) {
    let scorer = Scorer::new(Config::default(), Directory::builtin()).expect("scorer");
    let calls = calls();
    let mut g = c.benchmark_group("norm");
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

fn pipeline(c: &mut Criterion) {
    let scorer = Scorer::new(Config::default(), Directory::builtin()).expect("scorer");
    let file: Arc<str> = Arc::from("samples/calls.jsonl");
    let lines: Vec<&str> = SAMPLE.lines().collect();
    let mut g = c.benchmark_group("per_call");
    g.throughput(Throughput::Bytes(SAMPLE.len() as u64));
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

criterion_group!(benches, norms, pipeline);
criterion_main!(benches);
