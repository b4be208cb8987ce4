//! Fuzzes the transcript reader: the input is a whole transcript file.
//! It is split into lines by the bounded line reader (with a small line
//! limit, so the too-long path is reached), every line is parsed, and every
//! call that is accepted is scored. Nothing may panic; an accepted call
//! must keep the reader's promises and score between 0 and 100.
#![no_main]

use std::io::BufReader;
use std::sync::{Arc, OnceLock};

use hotline_qa::config::Config;
use hotline_qa::input::time::default_offset;
use hotline_qa::input::transcripts::{parse_line, Limits, LineReader};
use hotline_qa::lexicon::directory::Directory;
use hotline_qa::norms::Scorer;
use libfuzzer_sys::fuzz_target;

fn scorer() -> &'static Scorer {
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    SCORER.get_or_init(|| {
        Scorer::new(Config::default(), Directory::builtin()).expect("built-in scorecard")
    })
}

fuzz_target!(|data: &[u8]| {
    let file: Arc<str> = Arc::from("fuzz.jsonl");
    let limits = Limits {
        max_line_bytes: 4096,
        max_utterances: 64,
    };
    let mut lines = LineReader::new(BufReader::with_capacity(64, data), limits.max_line_bytes);
    let mut n = 0;
    while let Some(raw) = lines.next_line().expect("reading memory cannot fail") {
        n += 1;
        assert_eq!(raw.line, n);
        let Ok(bytes) = raw.bytes else { continue };
        assert!(bytes.len() <= limits.max_line_bytes);
        match parse_line(&bytes, &file, raw.line, default_offset(), &limits) {
            Ok(call) => {
                assert!(!call.call_id.is_empty() && !call.operator_id.is_empty());
                assert!(!call.utterances.is_empty());
                assert!(call.utterances.len() <= limits.max_utterances);
                assert!(call
                    .utterances
                    .iter()
                    .all(|u| u.start >= 0.0 && u.end >= u.start && u.end.is_finite()));
                assert!(call.utterances.windows(2).all(|w| w[0].start <= w[1].start));
                let s = scorer().score(&call, None, &[]);
                assert!((0.0..=100.0).contains(&s.score), "score {}", s.score);
            }
            Err(r) => {
                assert_eq!(r.line, raw.line);
                assert!(!r.reason.is_empty());
            }
        }
    }
});
