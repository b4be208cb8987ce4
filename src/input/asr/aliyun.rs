//! 阿里云 录音文件识别 results (GetTaskResult or callback, version 4.0; see
//! the module header of `input::asr` for the page read).

use serde::Deserialize;

use super::{one_or_many, Measures, NumOrStr, Recording, Sentence};

/// Success.
const SUCCESS: i64 = 21_050_000;
/// Success, but the recording held no speech the service could use.
const NO_VALID_FRAGMENT: i64 = 21_050_003;

#[derive(Deserialize)]
struct TaskResult {
    #[serde(rename = "TaskId", alias = "taskId", alias = "task_id")]
    task_id: Option<NumOrStr>,
    #[serde(rename = "StatusCode", alias = "statusCode", alias = "status_code")]
    status_code: Option<NumOrStr>,
    #[serde(rename = "StatusText", alias = "statusText", alias = "status_text")]
    status_text: Option<String>,
    #[serde(rename = "Result", alias = "result")]
    result: Option<Body>,
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "Sentences", alias = "sentences", default)]
    sentences: Option<Vec<AliSentence>>,
}

#[derive(Deserialize)]
struct AliSentence {
    #[serde(rename = "ChannelId", alias = "channelId")]
    channel_id: Option<i64>,
    #[serde(rename = "BeginTime", alias = "beginTime")]
    begin_time: f64,
    #[serde(rename = "EndTime", alias = "endTime")]
    end_time: f64,
    #[serde(rename = "Text", alias = "text", default)]
    text: String,
    #[serde(rename = "SpeechRate", alias = "speechRate")]
    speech_rate: Option<NumOrStr>,
    #[serde(rename = "EmotionValue", alias = "emotionValue")]
    emotion_value: Option<NumOrStr>,
    #[serde(rename = "SilenceDuration", alias = "silenceDuration")]
    silence_duration: Option<NumOrStr>,
}

/// Parses a result document into its recordings.
pub fn parse(text: &str) -> Result<Vec<Recording>, String> {
    let tasks: Vec<TaskResult> = one_or_many(text)?;
    if tasks.iter().any(|t| {
        t.task_id.is_none()
            && t.status_code.is_none()
            && t.status_text.is_none()
            && t.result.is_none()
    }) {
        return Err("没有 TaskId、StatusCode、StatusText 或 Result，不是录音文件识别的结果".into());
    }
    Ok(tasks.into_iter().map(recording).collect())
}

fn recording(t: TaskResult) -> Recording {
    let keys: Vec<String> = t.task_id.iter().map(NumOrStr::as_key).collect();
    let status = t.status_text.clone().unwrap_or_default();
    let code = t
        .status_code
        .as_ref()
        .and_then(NumOrStr::as_f64)
        .map(|c| c as i64);
    let said = |what: &str| {
        format!(
            "阿里云识别任务{what}（StatusCode {}，StatusText {}）",
            code.map_or_else(|| "无".to_string(), |c| c.to_string()),
            if status.is_empty() { "无" } else { &status }
        )
    };
    let outcome = match code {
        Some(NO_VALID_FRAGMENT) => Err(said("没有识别出有效语音，录音可能是静音或不是人声")),
        Some(c) if c != SUCCESS && (21_050_000..21_060_000).contains(&c) => {
            Err(said("还没有完成，请等任务完成后再导出结果"))
        }
        Some(c) if c != SUCCESS => Err(said("失败")),
        None if !status.is_empty() && !status.eq_ignore_ascii_case("SUCCESS") => Err(said("失败")),
        _ => {
            let sentences: Vec<Sentence> = t
                .result
                .and_then(|r| r.sentences)
                .unwrap_or_default()
                .into_iter()
                .filter(|s| !s.text.trim().is_empty())
                .map(|s| Sentence {
                    id: s.channel_id,
                    start_ms: s.begin_time,
                    end_ms: s.end_time,
                    text: s.text,
                    confidence: None,
                    measures: Measures {
                        speech_rate: s.speech_rate.as_ref().and_then(NumOrStr::as_f64),
                        emotion: s.emotion_value.as_ref().map(NumOrStr::as_key),
                        silence_before: s.silence_duration.as_ref().and_then(NumOrStr::as_f64),
                    },
                })
                .collect();
            if sentences.is_empty() {
                Err(said("成功但结果是空的（Result.Sentences 没有一句话）"))
            } else {
                Ok(sentences)
            }
        }
    };
    Recording { keys, outcome }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_keep_channel_times_and_measures() {
        let text = r#"{"TaskId":"t1","StatusCode":21050000,"StatusText":"SUCCESS",
          "Result":{"Sentences":[{"ChannelId":0,"BeginTime":760,"EndTime":3020,
          "Text":"您好！市长热线。","SpeechRate":212,"EmotionValue":6.1,"SilenceDuration":0}]}}"#;
        let r = parse(text).expect("aliyun");
        assert_eq!(r[0].keys, vec!["t1"]);
        let s = &r[0].outcome.as_ref().expect("ok")[0];
        assert_eq!((s.id, s.start_ms, s.end_ms), (Some(0), 760.0, 3020.0));
        assert_eq!(s.measures.speech_rate, Some(212.0));
        assert_eq!(s.measures.emotion.as_deref(), Some("6.1"));
    }

    #[test]
    fn failed_empty_and_unfinished_tasks_carry_the_services_words() {
        let failed =
            r#"{"TaskId":"t2","StatusCode":41050008,"StatusText":"UNSUPPORTED_SAMPLE_RATE"}"#;
        let e = parse(failed).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("failed");
        assert!(
            e.contains("UNSUPPORTED_SAMPLE_RATE") && e.contains("41050008"),
            "{e}"
        );
        let empty = r#"{"TaskId":"t3","StatusCode":21050003,"StatusText":"SUCCESS_WITH_NO_VALID_FRAGMENT"}"#;
        let e = parse(empty).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("empty");
        assert!(e.contains("没有识别出有效语音"), "{e}");
        let blank = r#"{"TaskId":"t4","StatusCode":21050000,"StatusText":"SUCCESS","Result":{"Sentences":[]}}"#;
        assert!(parse(blank).expect("doc")[0].outcome.is_err());
        let running = r#"{"TaskId":"t5","StatusCode":21050001,"StatusText":"RUNNING"}"#;
        let e = parse(running).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("running");
        assert!(e.contains("还没有完成"), "{e}");
    }

    #[test]
    fn lower_camel_case_callbacks_and_string_numbers_are_read() {
        let text = r#"[{"taskId":"t6","statusCode":"21050000","result":{"sentences":[
          {"channelId":1,"beginTime":1020,"endTime":1770,"text":"您好","speechRate":"80","emotionValue":"5.7","silenceDuration":"0"}]}}]"#;
        let r = parse(text).expect("callback");
        assert_eq!(r[0].outcome.as_ref().map(|s| s[0].id), Ok(Some(1)));
        // Must not: a document of another shape read as an empty success.
        assert!(parse(r#"{"TaskId":"t7","Result":{"Sentences":[{"Text":"x"}]}}"#).is_err());
    }
}
