//! The transcript reader: JSON Lines (spec §1.1), plain or gzipped, one
//! call a line, read as a stream so that a file of any size works.
//!
//! Each line becomes a [`Call`] or a [`Reject`]. Lines are parsed into
//! borrowed typed structs (fast); only when that fails is the line parsed
//! again as a generic JSON value, to say which field is wrong.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use chrono::FixedOffset;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::input::time::parse_instant;
use crate::input::Reject;
use crate::model::{Call, Source, Speaker, Utterance};

mod fast;

/// Limits that keep one hostile record from exhausting memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The longest line accepted, in bytes (default 64 MiB). Longer lines are
    /// skipped without being held in memory and rejected.
    pub max_line_bytes: usize,
    /// The most utterances in one call (default 100,000).
    pub max_utterances: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_line_bytes: 64 * 1024 * 1024,
            max_utterances: 100_000,
        }
    }
}

/// One raw line of a transcript file.
#[derive(Debug)]
pub struct RawLine {
    /// 1-based line number.
    pub line: u64,
    /// The bytes, or the reason the line was not kept.
    pub bytes: Result<Vec<u8>, String>,
}

/// Reads lines of at most `max` bytes; a longer line is consumed and
/// dropped, so memory stays bounded whatever the input.
pub struct LineReader<R: BufRead> {
    inner: R,
    line: u64,
    max: usize,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a buffered reader.
    pub fn new(inner: R, max: usize) -> LineReader<R> {
        LineReader {
            inner,
            line: 0,
            max,
        }
    }

    /// The number of lines read so far.
    pub fn lines_read(&self) -> u64 {
        self.line
    }

    /// The next line (without its `\n` / `\r\n`), or `None` at the end.
    pub fn next_line(&mut self) -> io::Result<Option<RawLine>> {
        let mut buf = Vec::new();
        Ok(self.next_line_into(&mut buf)?.map(|(line, kept)| RawLine {
            line,
            bytes: kept.map(|(_, end)| {
                buf.truncate(end);
                buf
            }),
        }))
    }

    /// Appends the next line (without its `\n` / `\r\n`) to `buf` and
    /// returns its number and where it is in `buf` — or why it was not
    /// kept (too long; nothing is appended then) — or `None` at the end.
    pub fn next_line_into(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<(u64, Kept)>> {
        let start = buf.len();
        let mut too_long = false;
        let mut total = 0usize;
        let mut any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    buf.truncate(start);
                    return Err(e);
                }
            };
            if available.is_empty() {
                break;
            }
            any = true;
            let (chunk, found) = match memchr(b'\n', available) {
                Some(i) => (&available[..i], Some(i)),
                None => (available, None),
            };
            total += chunk.len();
            if !too_long {
                if total > self.max {
                    too_long = true;
                    buf.truncate(start);
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            let consumed = found.map_or(chunk.len(), |i| i + 1);
            self.inner.consume(consumed);
            if found.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        self.line += 1;
        if too_long {
            return Ok(Some((
                self.line,
                Err(format!(
                    "这一行有 {total} 字节，超过单行上限 {} 字节，未读取（line longer than the limit）",
                    self.max
                )),
            )));
        }
        if buf.len() > start && buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some((self.line, Ok((start, buf.len())))))
    }
}

/// Where a line is in a buffer (start, end), or why it was not kept.
pub type Kept = Result<(usize, usize), String>;

/// A batch of lines read into one buffer: no allocation per line, and the
/// buffer is used again for a later batch.
#[derive(Debug, Default)]
pub struct LineBatch {
    buf: Vec<u8>,
    /// Each line's number, and its bytes in `buf` or why it was not kept.
    lines: Vec<(u64, Kept)>,
    /// Bytes of the lines kept.
    bytes: usize,
}

impl LineBatch {
    /// How many lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Line `k` of the batch: its number in the file, and its bytes or why
    /// it was not kept.
    pub fn get(&self, k: usize) -> (u64, Result<&[u8], &str>) {
        let (line, kept) = &self.lines[k];
        let bytes = match kept {
            Ok((s, e)) => Ok(&self.buf[*s..*e]),
            Err(reason) => Err(reason.as_str()),
        };
        (*line, bytes)
    }

    fn clear(&mut self) {
        self.buf.clear();
        self.lines.clear();
        self.bytes = 0;
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

/// A batch ends at this many bytes of lines if it has not reached its line
/// count, so that a file of very long lines still runs in bounded memory.
pub const BATCH_BYTES: usize = 256 * 1024 * 1024;

/// The start of the reason of the line a read error ends a batch with.
pub const READ_ERROR: &str = "读取文件出错";

/// Reads the next batch: up to `max_lines` lines or [`BATCH_BYTES`]. A read
/// error (a truncated .gz) ends the file: what was read is kept and the
/// error becomes the batch's last line, a reject. Returns the batch and
/// whether the file is done.
pub fn read_batch<R: BufRead>(
    lines: &mut LineReader<R>,
    max_lines: usize,
    batch: &mut LineBatch,
) -> bool {
    batch.clear();
    while batch.lines.len() < max_lines && batch.bytes < BATCH_BYTES {
        match lines.next_line_into(&mut batch.buf) {
            Ok(Some((line, kept))) => {
                if let Ok((s, e)) = kept {
                    batch.bytes += e - s;
                }
                batch.lines.push((line, kept));
            }
            Ok(None) => return true,
            Err(e) => {
                batch.lines.push((
                    lines.lines_read() + 1,
                    Err(format!("{READ_ERROR}，文件其余部分未读取（{e}）")),
                ));
                return true;
            }
        }
    }
    false
}

/// Reads `lines` in batches (see [`read_batch`]) on a reader thread and
/// hands each batch, in order, to `each` on the calling thread: reading the
/// next batch overlaps the work on this one. At most one batch waits
/// between the two, so memory stays bounded, and spent batches go back to
/// the reader to be filled again. An error from `each` stops the reading
/// and is returned.
pub fn for_each_batch<R: BufRead + Send>(
    mut lines: LineReader<R>,
    max_lines: usize,
    mut each: impl FnMut(&LineBatch) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<LineBatch>(1);
        let (spent_tx, spent_rx) = std::sync::mpsc::channel::<LineBatch>();
        std::thread::Builder::new()
            .name("hq-reader".into())
            .spawn_scoped(s, move || loop {
                let mut batch = spent_rx.try_recv().unwrap_or_default();
                let done = read_batch(&mut lines, max_lines, &mut batch);
                // A closed channel: the consumer stopped on an error.
                if batch.is_empty() || tx.send(batch).is_err() || done {
                    break;
                }
            })
            .map_err(|e| anyhow::anyhow!("无法启动读取线程，请关闭其他程序后重试（cannot start the reading thread: {e}）"))?;
        for batch in rx {
            each(&batch)?;
            // A buffer grown by very long lines is not kept for the rest of
            // the file. The reader may have finished: then the batch is
            // just dropped.
            if batch.buf.capacity() <= 64 * 1024 * 1024 {
                let _ = spent_tx.send(batch);
            }
        }
        Ok(())
    })
}

/// Opens a transcript file, gunzipping `.gz` files.
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead + Send>> {
    let file = File::open(path)?;
    let is_gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if is_gz {
        let dec = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, file));
        Ok(Box::new(BufReader::with_capacity(256 * 1024, dec)))
    } else {
        Ok(Box::new(BufReader::with_capacity(256 * 1024, file)))
    }
}

/// Opens any reader (for `--stdin` and tests).
pub fn from_reader<R: Read + Send + 'static>(r: R) -> Box<dyn BufRead + Send> {
    Box::new(BufReader::with_capacity(256 * 1024, r))
}

/// An id that exports write as a string or as a number.
#[derive(Debug, PartialEq)]
struct Id(String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Id;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The fields of a call line, as `RawCall` names them; the last holds the
/// utterances, the others a string (the ids: or a number).
const CALL_FIELDS: [&str; 8] = [
    "call_id",
    "operator_id",
    "operator_name",
    "team",
    "started_at",
    "ended_by",
    "caller_number",
    "utterances",
];

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct RawCall<'a> {
    call_id: Option<Id>,
    operator_id: Option<Id>,
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    operator_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    team: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    started_at: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    ended_by: Option<Cow<'a, str>>,
    /// A string or, as some phone systems write it, a JSON number.
    #[serde(default)]
    caller_number: Option<Id>,
    #[serde(borrow)]
    utterances: Option<Vec<RawUtterance<'a>>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct RawUtterance<'a> {
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    speaker: Option<Cow<'a, str>>,
    start: Option<f64>,
    end: Option<f64>,
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    text: Option<Cow<'a, str>>,
    confidence: Option<f64>,
    /// The service's measurements (spec §1.1, optional).
    speech_rate: Option<f64>,
    silence_before: Option<f64>,
    #[serde(borrow, default, deserialize_with = "opt_cow")]
    emotion: Option<Cow<'a, str>>,
}

/// An optional string that borrows from the line when it has no escapes.
/// (serde's `borrow` does not reach through an `Option`: an
/// `Option<Cow<str>>` field is always a fresh allocation.)
fn opt_cow<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Borrowed<'a>(#[serde(borrow)] Cow<'a, str>);
    Ok(Option::<Borrowed<'a>>::deserialize(d)?.map(|b| b.0))
}

/// Parses one transcript line into a call, or says why it cannot be used.
pub fn parse_line<'a>(
    bytes: &'a [u8],
    file: &Arc<str>,
    line: u64,
    local: FixedOffset,
    limits: &Limits,
) -> Result<Call<'a>, Reject> {
    let reject = |id: &str, reason: String| Reject {
        file: file.clone(),
        line,
        record_id: id.to_string(),
        reason,
    };
    let bytes = if line == 1 {
        bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
    } else {
        bytes
    };
    // The SIMD check first (the std one was a twentieth of a run); std's
    // only for the error's position.
    let checked = simdutf8::basic::from_utf8(bytes).ok();
    let text = checked
        .map_or_else(|| std::str::from_utf8(bytes), Ok)
        .map_err(|e| {
            reject(
                "",
                format!(
                    "这一行不是合法的 UTF-8 文本（第 {} 字节起，invalid UTF-8）",
                    e.valid_up_to() + 1
                ),
            )
        })?;
    if text.trim().is_empty() {
        return Err(reject("", "空行（empty line）".into()));
    }
    // The usual line by the fast reader, anything else by serde_json (see
    // `fast`: both give the same RawCall).
    let raw: RawCall<'_> = match fast::raw_call(text) {
        Some(raw) => raw,
        None => match serde_json::from_str(text) {
            // serde also reads a struct from an array, by position: not a call.
            Ok(_) if !text.trim_start().starts_with('{') => {
                return Err(reject("", "这一行不是 JSON 对象，而是数组".into()))
            }
            Ok(raw) => raw,
            Err(e) => return Err(diagnose(text, e, &reject)),
        },
    };
    let id = raw.call_id.map(|i| i.0).unwrap_or_default();
    let call_id = id.trim().to_string();
    if call_id.is_empty() {
        return Err(reject("", "缺少必填字段 call_id（missing call_id）".into()));
    }
    let rj = |reason: String| reject(&call_id, reason);
    let operator_id = raw
        .operator_id
        .map(|i| i.0.trim().to_string())
        .unwrap_or_default();
    if operator_id.is_empty() {
        return Err(rj("缺少必填字段 operator_id（missing operator_id）".into()));
    }
    let started_raw = raw.started_at.unwrap_or_default();
    if started_raw.trim().is_empty() {
        return Err(rj("缺少必填字段 started_at（missing started_at）".into()));
    }
    let started_at = parse_instant(&started_raw, local).ok_or_else(|| {
        rj(crate::input::time::bad_time_reason(
            "started_at",
            &started_raw,
            local,
            format!("started_at \"{started_raw}\" 不是有效时间（应为 RFC 3339，如 2026-11-27T09:15:02+08:00）"),
        ))
    })?;
    let ended_by = match raw.ended_by.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(Speaker::parse(s).ok_or_else(|| {
            rj(format!(
                "ended_by \"{s}\" 不是 agent 或 caller（unknown ended_by）"
            ))
        })?),
    };
    let Some(raw_utts) = raw.utterances else {
        return Err(rj("缺少必填字段 utterances（missing utterances）".into()));
    };
    if raw_utts.is_empty() {
        return Err(rj(
            "utterances 为空：这通电话没有任何发言，无法评分（empty call）".into(),
        ));
    }
    if raw_utts.len() > limits.max_utterances {
        return Err(rj(format!(
            "发言 {} 条，超过单通电话上限 {} 条（too many utterances）",
            raw_utts.len(),
            limits.max_utterances
        )));
    }
    let mut utterances = Vec::with_capacity(raw_utts.len());
    for (i, u) in raw_utts.into_iter().enumerate() {
        let speaker_raw = u
            .speaker
            .ok_or_else(|| rj(format!("utterances[{i}] 缺少 speaker")))?;
        let speaker = Speaker::parse(&speaker_raw).ok_or_else(|| {
            rj(format!(
                "utterances[{i}].speaker \"{speaker_raw}\" 不是已知的说话人（应为 agent、caller 或 unit）"
            ))
        })?;
        let start = u
            .start
            .ok_or_else(|| rj(format!("utterances[{i}] 缺少 start")))?;
        let end = u
            .end
            .ok_or_else(|| rj(format!("utterances[{i}] 缺少 end")))?;
        if !start.is_finite() || !end.is_finite() || start < 0.0 {
            return Err(rj(format!(
                "utterances[{i}] 的 start {start} 为负数或无效（negative time）"
            )));
        }
        if end < start {
            return Err(rj(format!(
                "utterances[{i}] 的 end {end} 早于 start {start}（reversed times）"
            )));
        }
        let text = u
            .text
            .ok_or_else(|| rj(format!("utterances[{i}] 缺少 text")))?;
        if let Some(c) = u.confidence {
            if !(0.0..=1.0).contains(&c) {
                return Err(rj(format!(
                    "utterances[{i}].confidence {c} 不在 0 到 1 之间（confidence out of range）"
                )));
            }
        }
        // A measurement that cannot be one is rejected like a confidence
        // out of range: it would move the pace or attitude verdict. (Most
        // transcripts have none: one test of both on the hot path.)
        if u.speech_rate.is_some() || u.silence_before.is_some() {
            for (key, v) in [
                ("speech_rate", u.speech_rate),
                ("silence_before", u.silence_before),
            ] {
                if let Some(v) = v.filter(|v| !v.is_finite() || *v < 0.0) {
                    return Err(rj(format!(
                        "utterances[{i}].{key} {v} 为负数或无效，请检查识别结果或删掉这个字段（negative {key}）"
                    )));
                }
            }
        }
        utterances.push(Utterance {
            speaker,
            start,
            end,
            text,
            confidence: u.confidence,
            measured: crate::model::Measured {
                speech_rate: u.speech_rate.map(|v| v as f32),
                silence_before: u.silence_before.map(|v| v as f32),
                emotion: u.emotion.as_deref().and_then(crate::model::Emotion::parse),
            },
        });
    }
    let resorted = utterances.windows(2).any(|w| w[1].start < w[0].start);
    if resorted {
        // Stable: utterances that start together keep their input order.
        utterances.sort_by(|a, b| a.start.total_cmp(&b.start));
    }
    Ok(Call {
        call_id,
        operator_id,
        operator_name: raw
            .operator_name
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        team: raw.team.map(|s| s.trim().to_string()).unwrap_or_default(),
        started_at,
        ended_by,
        caller_number: raw
            .caller_number
            .map(|i| i.0.trim().to_string())
            .filter(|n| !n.is_empty()),
        utterances,
        resorted,
        source: Source {
            file: file.clone(),
            line,
        },
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "布尔值",
        Value::Number(_) => "数字",
        Value::String(_) => "字符串",
        Value::Array(_) => "数组",
        Value::Object(_) => "对象",
    }
}

/// The type of a JSON value and, for a scalar, the value as written (cut
/// at 30 characters), so that a reason reads `应为数字（不加引号），实际为字符串 "0.5"`.
fn shown(v: &Value) -> String {
    match v {
        Value::Array(_) | Value::Object(_) | Value::Null => type_name(v).to_string(),
        _ => {
            let text = v.to_string();
            let cut: String = text.chars().take(30).collect();
            let more = if cut.len() < text.len() { "…" } else { "" };
            format!("{} {cut}{more}", type_name(v))
        }
    }
}

/// Explains why a line did not parse: invalid JSON, or which field has the
/// wrong type.
fn diagnose(text: &str, err: serde_json::Error, reject: &dyn Fn(&str, String) -> Reject) -> Reject {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return reject(
                "",
                format!(
                    "不是合法的 JSON，可能是被截断的行，请检查导出是否完整（invalid JSON: {e}）"
                ),
            )
        }
    };
    let Some(obj) = value.as_object() else {
        return reject(
            "",
            format!("这一行不是 JSON 对象，而是{}", type_name(&value)),
        );
    };
    let id = match obj.get("call_id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let expect_str = |key: &str| match obj.get(key) {
        None | Some(Value::Null) | Some(Value::String(_)) => None,
        Some(Value::Number(_)) if key.ends_with("_id") => None,
        Some(v) => Some(format!("字段 {key} 应为字符串，实际为{}", shown(v))),
    };
    for key in &CALL_FIELDS[..6] {
        if let Some(msg) = expect_str(key) {
            return reject(&id, msg);
        }
    }
    match obj.get("utterances") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, u) in items.iter().enumerate() {
                let Some(u) = u.as_object() else {
                    return reject(
                        &id,
                        format!("utterances[{i}] 应为对象，实际为{}", type_name(u)),
                    );
                };
                for key in ["speaker", "text", "emotion"] {
                    if let Some(v) = u.get(key) {
                        if !v.is_string() && !v.is_null() {
                            return reject(
                                &id,
                                format!("utterances[{i}].{key} 应为字符串，实际为{}", shown(v)),
                            );
                        }
                    }
                }
                for key in [
                    "start",
                    "end",
                    "confidence",
                    "speech_rate",
                    "silence_before",
                ] {
                    if let Some(v) = u.get(key) {
                        if !v.is_number() && !v.is_null() {
                            return reject(
                                &id,
                                format!(
                                    "utterances[{i}].{key} 应为数字（不加引号），实际为{}",
                                    shown(v)
                                ),
                            );
                        }
                    }
                }
            }
        }
        Some(v) => {
            return reject(
                &id,
                format!("字段 utterances 应为数组，实际为{}", type_name(v)),
            )
        }
    }
    reject(&id, format!("无法读取这条记录（{err}）"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::time::default_offset;

    /// Strings without escapes are borrowed from the line (no allocation);
    /// escaped ones are decoded; null and absent fields are None.
    #[test]
    fn optional_strings_borrow_from_the_line() {
        let u: RawUtterance<'_> =
            serde_json::from_str(r#"{"speaker":"agent","text":"您\"好\u4f60"}"#).expect("json");
        assert!(matches!(u.speaker, Some(Cow::Borrowed("agent"))));
        assert!(matches!(u.text.as_deref(), Some("您\"好你")));
        assert!(matches!(u.text, Some(Cow::Owned(_))));
        let u: RawUtterance<'_> = serde_json::from_str(r#"{"speaker":null}"#).expect("json");
        assert!(u.speaker.is_none() && u.text.is_none());
    }

    fn parse(s: &str) -> Result<Call<'_>, Reject> {
        parse_line(
            s.as_bytes(),
            &Arc::from("t.jsonl"),
            7,
            default_offset(),
            &Limits::default(),
        )
    }

    const OK: &str = r#"{"call_id":"c1","operator_id":1024,"started_at":"2026-11-27T09:15:02+08:00","utterances":[{"speaker":"坐席","start":0.8,"end":4.1,"text":"您好"},{"speaker":"市民","start":4.6,"end":6.0,"text":"喂"}]}"#;

    /// A call's texts are the line's own bytes unless they hold escapes,
    /// and `into_owned` keeps them beyond the line.
    #[test]
    fn utterance_texts_borrow_from_the_line() {
        let line = OK.replace(r#""text":"喂""#, r#""text":"喂\n喂""#);
        let c = parse(&line).expect("valid");
        assert!(matches!(c.utterances[0].text, Cow::Borrowed("您好")));
        assert!(matches!(&c.utterances[1].text, Cow::Owned(t) if t == "喂\n喂"));
        let owned = c.into_owned();
        drop(line);
        assert_eq!(owned.utterances[0].text, "您好");
        assert_eq!(owned.utterances[1].text, "喂\n喂");
    }

    #[test]
    fn parses_aliases_and_numeric_ids() {
        let c = parse(OK).expect("valid");
        assert_eq!(c.operator_id, "1024");
        assert_eq!(c.utterances[0].speaker, Speaker::Agent);
        assert_eq!(c.utterances[1].speaker, Speaker::Caller);
        assert_eq!(c.source.line, 7);
    }

    #[test]
    fn wrong_types_name_the_field() {
        let s = OK.replace(r#""start":0.8"#, r#""start":"0.8""#);
        let r = parse(&s).expect_err("bad type");
        assert_eq!(r.record_id, "c1");
        assert!(
            r.reason.contains("utterances[0].start 应为数字"),
            "{}",
            r.reason
        );
        // The reason is Chinese first and shows what was written.
        assert_eq!(
            r.reason,
            "utterances[0].start 应为数字（不加引号），实际为字符串 \"0.8\""
        );
    }

    #[test]
    fn truncated_json_is_rejected() {
        let r = parse(&OK[..50]).expect_err("truncated");
        assert!(r.reason.contains("不是合法的 JSON"), "{}", r.reason);
    }

    #[test]
    fn unknown_speaker_reversed_times_and_empty_calls() {
        let r = parse(&OK.replace("市民", "robot")).expect_err("speaker");
        assert!(r.reason.contains("robot"));
        let r = parse(&OK.replace(r#""end":4.1"#, r#""end":0.1"#)).expect_err("reversed");
        assert!(r.reason.contains("早于"));
        let r = parse(&OK.replace(r#""start":0.8"#, r#""start":-1"#)).expect_err("negative");
        assert!(r.reason.contains("负数"));
        let empty = r#"{"call_id":"c2","operator_id":"1","started_at":"2026-11-27T09:00:00+08:00","utterances":[]}"#;
        assert!(parse(empty)
            .expect_err("empty")
            .reason
            .contains("没有任何发言"));
    }

    #[test]
    fn the_services_measurements_are_kept_and_bad_ones_rejected() {
        let line = OK.replace(
            r#""text":"您好"}"#,
            r#""text":"您好","speech_rate":212,"silence_before":0.5,"emotion":"ANGRY","emotion_raw":"x"}"#,
        );
        let c = parse(&line).expect("valid");
        let m = c.utterances[0].measured;
        assert_eq!(
            (m.speech_rate, m.silence_before, m.emotion),
            (Some(212.0), Some(0.5), Some(crate::model::Emotion::Angry))
        );
        assert_eq!(c.utterances[1].measured, crate::model::Measured::default());
        let r = parse(&line.replace("212", "-212")).expect_err("negative rate");
        assert!(
            r.reason.contains("utterances[0].speech_rate"),
            "{}",
            r.reason
        );
        let r = parse(&line.replace("0.5,", "\"0.5\",")).expect_err("a string");
        assert!(
            r.reason.contains("utterances[0].silence_before 应为数字"),
            "{}",
            r.reason
        );
        // Must not: a label outside the set reject the call.
        let other = line.replace("ANGRY", "惊讶");
        let c = parse(&other).expect("valid");
        assert_eq!(
            c.utterances[0].measured.emotion,
            Some(crate::model::Emotion::Other)
        );
    }

    #[test]
    fn out_of_order_utterances_are_sorted() {
        let s = r#"{"call_id":"c3","operator_id":"1","started_at":"2026-11-27 09:00:00","utterances":[{"speaker":"caller","start":5,"end":6,"text":"b"},{"speaker":"agent","start":1,"end":2,"text":"a"}]}"#;
        let c = parse(s).expect("valid");
        assert!(c.resorted);
        assert_eq!(c.utterances[0].text, "a");
        assert_eq!(c.started_at.to_rfc3339(), "2026-11-27T09:00:00+08:00");
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        let mut bytes = OK.as_bytes().to_vec();
        bytes[60] = 0xff;
        let r = parse_line(
            &bytes,
            &Arc::from("t"),
            1,
            default_offset(),
            &Limits::default(),
        );
        assert!(r.expect_err("utf8").reason.contains("UTF-8"));
    }

    #[test]
    fn overlong_lines_are_skipped_in_bounded_memory() {
        let data = format!("{}\n{}\nshort\n", "x".repeat(100), "y".repeat(10));
        let mut r = LineReader::new(io::BufReader::with_capacity(8, data.as_bytes()), 50);
        let first = r.next_line().expect("io").expect("line");
        assert!(first.bytes.is_err());
        let second = r.next_line().expect("io").expect("line");
        assert_eq!(second.bytes.as_deref().ok(), Some(&b"yyyyyyyyyy"[..]));
        assert_eq!(second.line, 2);
        assert!(r.next_line().expect("io").is_some());
        assert!(r.next_line().expect("io").is_none());
    }

    /// A batch in one buffer holds what reading line by line gives, across
    /// batches that reuse their buffer.
    #[test]
    fn batches_hold_what_lines_hold() {
        let data = format!(
            "a\r\n\n{}\r\nb c\n\r\n{}\nlast",
            "x".repeat(60),
            "y".repeat(50)
        );
        let mut one = LineReader::new(io::BufReader::with_capacity(8, data.as_bytes()), 50);
        let mut expect = Vec::new();
        while let Some(l) = one.next_line().expect("io") {
            expect.push((l.line, l.bytes));
        }
        assert_eq!(expect.len(), 7);
        let mut r = LineReader::new(io::BufReader::with_capacity(8, data.as_bytes()), 50);
        let mut got = Vec::new();
        let mut batch = LineBatch::default();
        loop {
            let done = read_batch(&mut r, 3, &mut batch);
            for k in 0..batch.len() {
                let (line, bytes) = batch.get(k);
                got.push((line, bytes.map(<[u8]>::to_vec).map_err(str::to_string)));
            }
            if done {
                break;
            }
        }
        assert_eq!(got, expect);
        assert_eq!(got[0].1.as_deref().ok(), Some(&b"a"[..]));
        assert!(got[2].1.is_err(), "60 bytes > 50");
        assert_eq!(got[4].1.as_deref().ok(), Some(&b""[..]));
    }
}
