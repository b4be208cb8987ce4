//! FunASR / Paraformer results: what `AutoModel.generate` returns, saved
//! as JSON (see the module header of `input::asr` for the page read).

use serde::Deserialize;

use super::{one_or_many, Measures, NumOrStr, Recording, Sentence};

#[derive(Deserialize)]
struct Output {
    key: Option<NumOrStr>,
    #[serde(default)]
    text: String,
    sentence_info: Option<Vec<SentenceInfo>>,
    /// What a service wrapper around FunASR writes for a failed recording:
    /// `code` ≠ 0 with `msg` / `message`, or `error`.
    code: Option<i64>,
    #[serde(alias = "message")]
    msg: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct SentenceInfo {
    #[serde(default)]
    text: String,
    start: f64,
    end: f64,
    spk: Option<i64>,
}

/// Parses a result document into its recordings.
pub fn parse(text: &str) -> Result<Vec<Recording>, String> {
    let outputs: Vec<Output> = one_or_many(text)?;
    if outputs.iter().any(|o| {
        o.key.is_none()
            && o.sentence_info.is_none()
            && o.text.is_empty()
            && o.code.is_none()
            && o.error.is_none()
    }) {
        return Err("没有 key、text 或 sentence_info，不是 FunASR 的结果".into());
    }
    Ok(outputs.into_iter().map(recording).collect())
}

fn recording(o: Output) -> Recording {
    let keys: Vec<String> = o.key.iter().map(NumOrStr::as_key).collect();
    let failure = o.error.clone().or_else(|| {
        o.code
            .filter(|&c| c != 0)
            .map(|c| format!("code {c}：{}", o.msg.clone().unwrap_or_default()))
    });
    let outcome = if let Some(why) = failure {
        Err(format!("FunASR 识别失败（{why}）"))
    } else {
        let sentences: Vec<Sentence> = o
            .sentence_info
            .iter()
            .flatten()
            .filter(|s| !s.text.trim().is_empty())
            .map(|s| Sentence {
                id: s.spk,
                start_ms: s.start,
                end_ms: s.end,
                text: s.text.clone(),
                confidence: None,
                measures: Measures::default(),
            })
            .collect();
        if !sentences.is_empty() {
            Ok(sentences)
        } else if !o.text.trim().is_empty() {
            Err("FunASR 结果只有整段文本，没有 sentence_info：请用 vad_model、punc_model 和 spk_model=\"cam++\" 识别，得到逐句的说话人和时间".into())
        } else {
            Err("FunASR 结果是空的（text 和 sentence_info 都没有内容）".into())
        }
    };
    Recording { keys, outcome }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_info_keeps_speaker_and_times() {
        let text = r#"[{"key":"20261127-000103","text":"您好。喂。","sentence_info":[
          {"text":"您好，市长热线。","start":880,"end":4100,"timestamp":[[880,1100]],"spk":0},
          {"text":"喂？","start":4600,"end":5000,"spk":1}]}]"#;
        let r = parse(text).expect("funasr");
        assert_eq!(r[0].keys, vec!["20261127-000103"]);
        let s = r[0].outcome.as_ref().expect("ok");
        assert_eq!(
            (s[1].id, s[1].start_ms, s[1].end_ms),
            (Some(1), 4600.0, 5000.0)
        );
    }

    #[test]
    fn failed_empty_and_text_only_results_are_rejects() {
        let failed = r#"{"key":"a","code":500,"msg":"audio decode failed"}"#;
        let e = parse(failed).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("failed");
        assert!(e.contains("audio decode failed"), "{e}");
        let empty = r#"{"key":"b","text":"","sentence_info":[]}"#;
        assert!(parse(empty).expect("doc")[0].outcome.is_err());
        let text_only = r#"{"key":"c","text":"您好市长热线"}"#;
        let e = parse(text_only).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("no sentences");
        assert!(e.contains("sentence_info"), "{e}");
    }
}
