//! The pipeline as its stages, shared by `score` (and so `rescore`, which
//! scores through it) and `score --stdin` (and so the Spark job):
//!
//! 1. **reading** ([`Source`]): transcript lines from files, from the
//!    import of `score --from`, or from standard input, in order, each
//!    with the name of its source; a reader thread fills batches of lines
//!    ([`transcripts::for_each_batch`]);
//! 2. **scoring** ([`Scoring`]): each batch is cut into [`Chunk`]s of 64
//!    lines that the rayon pool parses, scores, masks and encodes
//!    ([`Encode`], on the scoring threads: the chunked encoding is what
//!    made `score` fast, see BENCHMARKS.md); the chunks keep input order;
//! 3. **the outputs** ([`Sink`]): a consumer on the calling thread hands
//!    every scored call and every reject, in input order, to its sinks.
//!
//! What a command adds is only its own: `score` its duplicate check and
//! the sinks of a run folder (run.rs), `--stdin` its framing and output
//! format (stream.rs).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::input::manual::ManualScores;
use crate::input::transcripts::{self, Limits, LineReader};
use crate::input::{self, Reject};
use crate::model::Ticket;
use crate::norms::{ScoredCall, Scorer};
use crate::report::privacy::Masker;
use crate::review::reviews::Reviews;

/// Where transcript lines come from.
pub enum Source<'a> {
    /// A transcript file (`.jsonl`, `.jsonl.gz`).
    File(&'a Path),
    /// The import of `score --from`: its recognition results, turned into
    /// transcript lines on their own thread as the run reads them.
    Import(&'a crate::input::asr::ImportOptions),
    /// An open stream (standard input for `--stdin`), with the name its
    /// rejects carry.
    Reader(Arc<str>, Box<dyn BufRead + Send + 'a>),
}

/// The tickets the scoring looks calls up in.
pub trait Tickets: Sync {
    /// The ticket of a call, if there is one.
    fn ticket(&self, call_id: &str) -> Option<Cow<'_, Ticket>>;
}

impl Tickets for crate::input::ticket_store::TicketStore {
    fn ticket(&self, call_id: &str) -> Option<Cow<'_, Ticket>> {
        self.get(call_id).map(Cow::Owned)
    }
}

impl Tickets for HashMap<String, Arc<Ticket>> {
    fn ticket(&self, call_id: &str) -> Option<Cow<'_, Ticket>> {
        self.get(call_id).map(|t| Cow::Borrowed(t.as_ref()))
    }
}

/// Renders a scored call or a reject into a chunk's two byte buffers, on
/// the scoring threads (what each buffer holds is the encoder's: calls.csv
/// and findings.csv rows for `score`, one JSON or TSV line for `--stdin`).
pub trait Encode: Sync {
    /// Encodes a scored call.
    fn call(&self, line: u64, s: &ScoredCall, bufs: &mut [Vec<u8>; 2]);
    /// Encodes a rejected line.
    fn reject(&self, r: &Reject, bufs: &mut [Vec<u8>; 2]);
}

/// A scored call as the sinks receive it.
pub struct ScoredLine {
    /// The scored call (ids and findings masked unless `--show-pii`).
    pub scored: Box<ScoredCall>,
    /// The utterances were not in time order.
    pub resorted: bool,
    /// A ticket was found for the call.
    pub has_ticket: bool,
    /// Its critical findings, with the ticket's id (almost always none).
    pub critical: Vec<crate::report::risk::CriticalFinding>,
    /// Its line in its source.
    pub line: u64,
}

/// One line's result after the scoring stage, with where its encoded rows
/// are in its [`Chunk`]'s buffers.
pub enum Scored {
    /// A scored call.
    Call(ScoredLine, [Range<usize>; 2]),
    /// A line that could not be scored.
    Reject(Reject, [Range<usize>; 2]),
}

/// Lines scored one after the other by one thread. Their encoded rows
/// share two buffers: no buffer per call to allocate on a scoring thread
/// and free on the consumer's.
pub struct Chunk {
    /// The lines' results, in order.
    pub results: Vec<Scored>,
    /// The encoded rows.
    pub bufs: [Vec<u8>; 2],
}

/// Lines per [`Chunk`]: enough to share the buffers, few enough that the
/// two scoring threads share a batch of 4,096 lines evenly.
const CHUNK_LINES: usize = 64;

/// The outputs: each receives every scored call and every reject, in input
/// order, on the consumer's thread.
pub trait Sink {
    /// A scored call, with its rows as the encoder rendered them.
    fn call(&mut self, file: &Arc<str>, c: &ScoredLine, rows: [&[u8]; 2]) -> anyhow::Result<()>;
    /// A line that could not be scored.
    fn reject(&mut self, r: &Reject, rows: [&[u8]; 2]) -> anyhow::Result<()>;
    /// The end of a batch (a Parquet row group, a flush, the progress).
    fn batch_done(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// The scoring stage: parse, look the ticket up, score (with the manual
/// scores and reviews of `score`), link key, masking.
pub struct Scoring<'a, T: Tickets> {
    /// The scorer of the run's scorecard.
    pub scorer: &'a Scorer,
    /// The tickets, by call id.
    pub tickets: &'a T,
    /// Manual QA scores (`score --manual`).
    pub manual: Option<&'a ManualScores>,
    /// Review decisions and appeals (`score --reviews`).
    pub reviews: Option<&'a Reviews>,
    /// Unless `--show-pii`: the one masking step of every output.
    pub masker: Option<Masker<'a>>,
    /// Reader limits.
    pub limits: &'a Limits,
}

impl<T: Tickets> Scoring<'_, T> {
    /// One line: parsed, scored, encoded into the chunk.
    fn line(
        &self,
        file: &Arc<str>,
        (line, bytes): (u64, Result<&[u8], &str>),
        local: chrono::FixedOffset,
        enc: &impl Encode,
        chunk: &mut Chunk,
    ) -> Scored {
        let at = |bufs: &[Vec<u8>; 2]| [bufs[0].len(), bufs[1].len()];
        let spans = |from: [usize; 2], bufs: &[Vec<u8>; 2]| {
            [from[0]..bufs[0].len(), from[1]..bufs[1].len()]
        };
        let call = match bytes {
            Ok(b) => transcripts::parse_line(b, file, line, local, self.limits),
            Err(reason) => Err(Reject {
                file: file.clone(),
                line,
                record_id: String::new(),
                reason: reason.to_string(),
            }),
        };
        let call = match call {
            Ok(c) => c,
            Err(r) => {
                let from = at(&chunk.bufs);
                enc.reject(&r, &mut chunk.bufs);
                return Scored::Reject(r, spans(from, &chunk.bufs));
            }
        };
        let owned = self.tickets.ticket(&call.call_id);
        let ticket = owned.as_deref();
        let m = self
            .manual
            .and_then(|m| m.by_call.get(&call.call_id))
            .map_or(&[][..], Vec::as_slice);
        let r = self
            .reviews
            .and_then(|r| r.by_call.get(&call.call_id))
            .map_or(&[][..], Vec::as_slice);
        let (resorted, line) = (call.resorted, call.source.line);
        let salt = self.scorer.config().privacy.link_salt.as_str();
        let scored = self
            .scorer
            .score_reviewed_owned_then(call, ticket, m, r, |s, call| {
                // Hashed before the number is masked.
                s.caller_link = crate::workflow::repeats::link_key_of(
                    salt,
                    call.caller_number.as_deref().unwrap_or(""),
                );
                if let Some(masker) = &self.masker {
                    masker.mask_findings(s, call, ticket);
                }
            });
        let from = at(&chunk.bufs);
        enc.call(line, &scored, &mut chunk.bufs);
        let rows = spans(from, &chunk.bufs);
        let critical = crate::report::risk::of_call(&scored, ticket.map(|t| t.ticket_id.as_str()));
        Scored::Call(
            ScoredLine {
                scored: Box::new(scored),
                resorted,
                has_ticket: ticket.is_some(),
                critical,
                line,
            },
            rows,
        )
    }

    /// A batch of lines, scored in parallel chunks, in input order.
    fn batch(
        &self,
        file: &Arc<str>,
        batch: &transcripts::LineBatch,
        enc: &impl Encode,
    ) -> Vec<Chunk> {
        let local = self.scorer.config().offset();
        (0..batch.len().div_ceil(CHUNK_LINES))
            .into_par_iter()
            .map(|c| {
                let lines = c * CHUNK_LINES..((c + 1) * CHUNK_LINES).min(batch.len());
                let mut chunk = Chunk {
                    results: Vec::with_capacity(lines.len()),
                    bufs: [
                        Vec::with_capacity(lines.len() * 256),
                        Vec::with_capacity(lines.len() * 128),
                    ],
                };
                for k in lines {
                    let scored = self.line(file, batch.get(k), local, enc, &mut chunk);
                    chunk.results.push(scored);
                }
                chunk
            })
            .collect()
    }
}

/// What the stages report besides the outputs.
#[derive(Default)]
pub struct Stages {
    /// Files the import of `score --from` passed over.
    pub skipped_by_import: Vec<input::Skipped>,
    /// Time spent reading lines, and scoring (overlapped with the sinks).
    pub spent: [std::time::Duration; 2],
}

/// A reader whose I/O error ends the run instead of becoming a reject
/// (standard input: a broken pipe upstream is the job's failure, not a
/// record's).
struct Fatal<'a> {
    inner: Box<dyn BufRead + Send + 'a>,
    error: Arc<std::sync::Mutex<Option<std::io::Error>>>,
}

impl std::io::Read for Fatal<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| self.keep(e))
    }
}

impl BufRead for Fatal<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let error = &self.error;
        self.inner.fill_buf().inspect_err(|e| keep(error, e))
    }
    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
    }
}

impl Fatal<'_> {
    fn keep(&self, e: &std::io::Error) {
        keep(&self.error, e);
    }
}

/// Keeps the first I/O error of a [`Fatal`] reader.
fn keep(slot: &std::sync::Mutex<Option<std::io::Error>>, e: &std::io::Error) {
    if let Ok(mut slot) = slot.lock() {
        slot.get_or_insert_with(|| std::io::Error::new(e.kind(), e.to_string()));
    }
}

/// Runs the stages: every source in order, read in batches of
/// `batch_lines`, scored, and handed in order to `sink` on this thread.
/// The scoring runs on its own thread, so that it never waits while a
/// sink encodes a Parquet row group; at most two batches of results wait.
pub fn run<T: Tickets>(
    sources: Vec<Source<'_>>,
    scoring: &Scoring<'_, T>,
    enc: &impl Encode,
    batch_lines: usize,
    max_line_bytes: usize,
    sink: &mut dyn Sink,
) -> anyhow::Result<Stages> {
    std::thread::scope(|sc| -> anyhow::Result<Stages> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(Arc<str>, Vec<Chunk>)>(2);
        let scoring_thread = std::thread::Builder::new()
            .name("hq-score".into())
            .spawn_scoped(sc, move || -> anyhow::Result<Stages> {
                let mut stages = Stages::default();
                let send = |file: &Arc<str>, chunks: Vec<Chunk>| {
                    tx.send((file.clone(), chunks))
                        .map_err(|_| anyhow::anyhow!("写出线程已停止（the writer stopped）"))
                };
                for source in sources {
                    let mut fatal = None;
                    let (file, reader, import) = match source {
                        Source::File(path) => {
                            let file: Arc<str> = Arc::from(path.display().to_string());
                            let reader = transcripts::open(path).map_err(|e| {
                                anyhow::anyhow!(
                                    "{file}：打不开转写文件：{}",
                                    crate::messages::io_zh(&e)
                                )
                            })?;
                            (file, reader, None)
                        }
                        Source::Reader(file, r) => {
                            let error = Arc::new(std::sync::Mutex::new(None));
                            fatal = Some(error.clone());
                            let r: Box<dyn BufRead + Send + '_> =
                                Box::new(Fatal { inner: r, error });
                            (file, r, None)
                        }
                        Source::Import(imp) => {
                            let results: Vec<String> =
                                imp.results.iter().map(|p| p.display().to_string()).collect();
                            let file: Arc<str> = Arc::from(format!(
                                "{}（{}识别结果导入的转写）",
                                results.join("、"),
                                imp.vendor.label()
                            ));
                            let (mut w, r) = crate::run::pipe();
                            let handle = std::thread::Builder::new()
                                .name("hq-import".into())
                                .spawn_scoped(sc, move || crate::input::asr::import_into(imp, &mut w))
                                .map_err(|e| anyhow::anyhow!("无法启动导入线程，请关闭其他程序后重试（cannot start the import thread: {e}）"))?;
                            (file, transcripts::from_reader(r), Some(handle))
                        }
                    };
                    let lines = LineReader::new(reader, max_line_bytes);
                    let mut tr = std::time::Instant::now();
                    let batches = transcripts::for_each_batch(lines, batch_lines, |batch| {
                        stages.spent[0] += tr.elapsed();
                        // A read error on a stream ends the run before the
                        // batch that holds it is written.
                        // (The error is the batch's own when its last
                        // line is the reader's note of it: the reader may
                        // already be on the next batch.)
                        let ends_in_error = !batch.is_empty()
                            && batch
                                .get(batch.len() - 1)
                                .1
                                .is_err_and(|r| r.starts_with(transcripts::READ_ERROR));
                        if ends_in_error {
                            if let Some(e) = fatal.as_ref().and_then(|f| f.lock().ok()?.take()) {
                                anyhow::bail!("{file}：读取失败：{}", crate::messages::io_zh(&e));
                            }
                        }
                        let tp = std::time::Instant::now();
                        let chunks = scoring.batch(&file, batch, enc);
                        stages.spent[1] += tp.elapsed();
                        send(&file, chunks)?;
                        tr = std::time::Instant::now();
                        Ok(())
                    });
                    if let Some(handle) = import {
                        let summary = handle.join().unwrap_or_else(|_| {
                            Err(anyhow::anyhow!(
                                "程序内部错误：导入线程崩溃，请把命令和输入报告给维护者（internal error: the import thread panicked）"
                            ))
                        });
                        // The import's own error explains a stopped stream.
                        let summary = summary?;
                        batches?;
                        // What the import could not use counts among the
                        // lines read, after the calls it made.
                        let mut chunk = Chunk {
                            results: Vec::new(),
                            bufs: [Vec::new(), Vec::new()],
                        };
                        for r in summary.rejects {
                            let from = [chunk.bufs[0].len(), chunk.bufs[1].len()];
                            enc.reject(&r, &mut chunk.bufs);
                            let rows = [from[0]..chunk.bufs[0].len(), from[1]..chunk.bufs[1].len()];
                            chunk.results.push(Scored::Reject(r, rows));
                        }
                        send(&file, vec![chunk])?;
                        stages.skipped_by_import.extend(summary.skipped);
                    } else {
                        batches?;
                    }
                }
                Ok(stages)
            })
            .map_err(|e| anyhow::anyhow!("无法启动评分线程，请关闭其他程序后重试（cannot start the scoring thread: {e}）"))?;
        let consumed = (|| -> anyhow::Result<()> {
            for (file, chunks) in rx.iter() {
                for chunk in chunks {
                    let rows = |r: &[Range<usize>; 2]| {
                        [&chunk.bufs[0][r[0].clone()], &chunk.bufs[1][r[1].clone()]]
                    };
                    for r in &chunk.results {
                        match r {
                            Scored::Reject(r, at) => sink.reject(r, rows(at))?,
                            Scored::Call(c, at) => sink.call(&file, c, rows(at))?,
                        }
                    }
                }
                sink.batch_done()?;
            }
            Ok(())
        })();
        // A stopped consumer lets the scoring thread's send fail.
        drop(rx);
        let scored = scoring_thread.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "程序内部错误：评分线程崩溃，请把命令和输入报告给维护者（internal error: the scoring thread panicked）"
            ))
        });
        // The sink's own error (a full disk) explains a failed send.
        consumed?;
        scored
    })
}
