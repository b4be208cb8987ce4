//! Whisper-style JSON: openai-whisper's `--output_format json`, the same
//! shape written from faster-whisper's segments, and WhisperX's output with
//! `speaker` labels from its diarisation (see the module header of
//! `input::asr` for the pages read).
//!
//! Whisper writes no recording name into its output; its command line
//! names the file after the recording (`20261127-000103.wav` →
//! `20261127-000103.json`), which is how a file is joined with the call
//! list. A JSON Lines file of results needs a `key` (or `audio` / `file`)
//! on each line.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::{Measures, NumOrStr, Recording, Sentence};

#[derive(Deserialize)]
struct Output {
    #[serde(alias = "audio", alias = "file", alias = "audio_file")]
    key: Option<NumOrStr>,
    segments: Option<Vec<Segment>>,
    /// What a wrapper around the engine writes for a recording it could
    /// not transcribe: a message, or `{"message": ...}`.
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Segment {
    /// Seconds.
    start: f64,
    /// Seconds.
    end: f64,
    #[serde(default)]
    text: String,
    /// WhisperX: `SPEAKER_00`, `SPEAKER_01` …
    speaker: Option<NumOrStr>,
}

/// Parses a result document into its recordings: one output, an array of
/// outputs, or (as faster-whisper's segments are often dumped) a bare array
/// of segments.
pub fn parse(text: &str) -> Result<Vec<Recording>, String> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let v: Value = serde_json::from_str(t)
        .map_err(|e| format!("第 {} 行第 {} 列：{e}", e.line(), e.column()))?;
    let outputs: Vec<Value> = match v {
        Value::Array(items)
            if !items.is_empty()
                && items
                    .iter()
                    .all(|i| i.get("start").is_some() && i.get("segments").is_none()) =>
        {
            vec![serde_json::json!({ "segments": items })]
        }
        Value::Array(items) => items,
        one => vec![one],
    };
    outputs
        .into_iter()
        .map(|o| {
            let o: Output = serde_json::from_value(o).map_err(|e| e.to_string())?;
            if o.segments.is_none() && o.error.is_none() {
                return Err(
                    "没有 segments，不是 Whisper 的 JSON 结果（请用 --output_format json）"
                        .to_string(),
                );
            }
            Ok(recording(o))
        })
        .collect()
}

/// Seconds as milliseconds, to the microsecond: a time written with three
/// decimals comes back as the same number when divided by 1000 again.
fn ms(seconds: f64) -> f64 {
    (seconds * 1_000_000.0).round() / 1000.0
}

fn recording(o: Output) -> Recording {
    let keys: Vec<String> = o.key.iter().map(NumOrStr::as_key).collect();
    if let Some(e) = &o.error {
        let msg = match e {
            Value::String(s) => s.clone(),
            Value::Object(m) => m
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| e.to_string()),
            other => other.to_string(),
        };
        return Recording {
            keys,
            outcome: Err(format!("Whisper 识别失败（{msg}）")),
        };
    }
    let segments = o.segments.unwrap_or_default();
    let said: Vec<&Segment> = segments
        .iter()
        .filter(|s| !s.text.trim().is_empty())
        .collect();
    let outcome = if said.is_empty() {
        Err("Whisper 结果是空的（segments 没有一句话）".to_string())
    } else if said.iter().all(|s| s.speaker.is_none()) {
        // One stream of text with both parties in it: no channel named in
        // the call list can say which segment is whose, so the call is
        // rejected rather than read as all agent or all caller.
        Err("Whisper 结果没有说话人（speaker）：单声道录音请用 WhisperX 加 --diarize 识别，得到每段的说话人；通话记录的话务员声道在这里用不上，因为整段文字混着双方的话".to_string())
    } else if let Some(s) = said.iter().find(|s| s.speaker.is_none()) {
        Err(format!(
            "Whisper 结果第 {:.2} 秒起的一段“{}”没有说话人（speaker），分不清是谁说的：请重新做说话人分离",
            s.start,
            s.text.trim()
        ))
    } else {
        // SPEAKER_00 is 0, SPEAKER_01 1 …; other labels are numbered in
        // the order they first speak.
        let mut names: HashMap<String, i64> = HashMap::new();
        let mut next = 1000;
        let mut id = |label: &NumOrStr| -> i64 {
            let k = label.as_key();
            let digits: String = k.chars().rev().take_while(char::is_ascii_digit).collect();
            let prefix = &k[..k.len() - digits.len()];
            if !digits.is_empty() && (prefix.is_empty() || prefix.eq_ignore_ascii_case("SPEAKER_"))
            {
                let n: String = digits.chars().rev().collect();
                if let Ok(n) = n.parse::<i64>() {
                    return n;
                }
            }
            *names.entry(k).or_insert_with(|| {
                next += 1;
                next
            })
        };
        Ok(said
            .into_iter()
            .map(|s| Sentence {
                id: s.speaker.as_ref().map(&mut id),
                start_ms: ms(s.start),
                end_ms: ms(s.end),
                text: s.text.trim().to_string(),
                // avg_logprob is a mean token log-probability, not a
                // calibrated confidence: exp() of it sits well under the
                // clarity norm's threshold for speech recognised well, so
                // none is written rather than a misleading one.
                confidence: None,
                measures: Measures::default(),
            })
            .collect())
    };
    Recording { keys, outcome }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whisperx_segments_keep_speakers_and_times_in_ms() {
        let text = r#"{"segments":[
          {"start":0.2,"end":0.6,"text":" 喂？","speaker":"SPEAKER_01","words":[]},
          {"start":0.8,"end":4.1,"text":"您好，市长热线。","speaker":"SPEAKER_00","avg_logprob":-0.21}],
          "language":"zh"}"#;
        let r = parse(text).expect("whisper");
        let s = r[0].outcome.as_ref().expect("ok");
        assert_eq!(
            (s[0].id, s[0].start_ms, s[0].end_ms),
            (Some(1), 200.0, 600.0)
        );
        assert_eq!(s[0].text, "喂？");
        assert_eq!(s[1].id, Some(0));
        assert_eq!(s[1].confidence, None);
        // Times with three decimals survive the trip through milliseconds.
        assert_eq!(ms(12.345) / 1000.0, 12.345);
        assert_eq!(ms(0.3) / 1000.0, 0.3);
    }

    #[test]
    fn a_bare_array_of_segments_is_one_recording() {
        let text = r#"[{"id":0,"start":0.0,"end":1.0,"text":"您好","speaker":"A"},
          {"id":1,"start":1.2,"end":2.0,"text":"喂","speaker":"B"}]"#;
        let r = parse(text).expect("whisper");
        assert_eq!(r.len(), 1);
        let s = r[0].outcome.as_ref().expect("ok");
        assert!(s[0].id != s[1].id);
    }

    #[test]
    fn no_speakers_failed_and_empty_results_are_rejects() {
        let plain = r#"{"text":"您好喂","segments":[{"start":0,"end":1,"text":"您好"},{"start":1,"end":2,"text":"喂"}]}"#;
        let e = parse(plain).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("no speakers");
        assert!(e.contains("--diarize"), "{e}");
        let partly = r#"{"segments":[{"start":0,"end":1,"text":"您好","speaker":"SPEAKER_00"},{"start":1,"end":2,"text":"喂"}]}"#;
        let e = parse(partly).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("partly");
        assert!(e.contains("1.00 秒"), "{e}");
        let failed = r#"{"key":"a","error":{"message":"ffmpeg: invalid data"}}"#;
        let e = parse(failed).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("failed");
        assert!(e.contains("ffmpeg: invalid data"), "{e}");
        let empty = r#"{"text":"","segments":[]}"#;
        assert!(parse(empty).expect("doc")[0].outcome.is_err());
        // Must not: another service's result read as an empty Whisper one.
        assert!(parse(r#"{"key":"x","text":"","sentence_info":[]}"#).is_err());
    }
}
