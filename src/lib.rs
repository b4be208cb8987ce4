//! # hotline-qa
//!
//! Quality assurance for a city government service hotline (市长热线 /
//! 12345). The pipeline, in one paragraph: [`input`] reads call
//! transcripts (JSON Lines) and ticket records (CSV/XLSX), turning every
//! record into a [`model::Call`] / [`model::Ticket`] or a reject with its
//! reason; [`norms::Scorer`] applies the eleven service norms to each call
//! (in parallel, output in input order), each finding carrying the
//! utterance that caused it; [`workflow`] checks each ticket's timeliness
//! on the official working-day calendar; [`report`] writes `calls.csv`,
//! `findings.csv`, `tickets.csv`, `units.csv` and `rejects.csv`; [`pipeline`]
//! is the transcripts' stages (reading, scoring, sinks) that `score` and
//! `score --stdin` share; [`run`] ties these together for the command line.
//!
//! ```
//! use hotline_qa::{config::Config, lexicon::directory::Directory, norms::Scorer};
//! use hotline_qa::input::{time::default_offset, transcripts::{parse_line, Limits}};
//!
//! let line = r#"{"call_id":"c1","operator_id":"1024","started_at":"2026-11-27T09:15:02+08:00",
//!   "utterances":[
//!     {"speaker":"agent","start":0.8,"end":4.8,"text":"您好！市长热线，请问有什么可以帮到您？"},
//!     {"speaker":"caller","start":5.2,"end":8.0,"text":"我家楼下的路灯坏了"},
//!     {"speaker":"agent","start":8.4,"end":11.0,"text":"哦，请问是哪个小区？"},
//!     {"speaker":"agent","start":11.4,"end":13.4,"text":"感谢您的来电，再见！"}]}"#;
//! // The call borrows its texts from the line (`Call::into_owned` to keep it longer).
//! let line = line.replace('\n', "");
//! let call = parse_line(line.as_bytes(), &"calls.jsonl".into(), 1,
//!                       default_offset(), &Limits::default()).unwrap();
//! let scorer = Scorer::new(Config::default(), Directory::builtin()).unwrap();
//! let scored = scorer.score(&call, None, &[]);
//! // 哦 is a forbidden word: the taboo norm (10 of the 60 assessable points) is lost.
//! assert_eq!(scored.findings[0].rule, "taboo.forbidden_phrase");
//! assert_eq!(scored.findings[0].excerpt, "【哦】，请问是哪个小区？");
//! assert_eq!(scored.score, 83.33);
//! ```

#![deny(missing_docs)]

pub mod config;
pub mod cues;
pub mod gen;
pub mod input;
pub mod lexicon;
pub mod messages;
pub mod model;
pub mod norms;
pub mod outdir;
pub mod pipeline;
pub mod report;
pub mod review;
pub mod rules;
pub mod run;
pub mod serve;
pub mod stream;
pub mod text;
pub mod workflow;
