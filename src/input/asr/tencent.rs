//! 腾讯云 录音文件识别 results: the DescribeTaskStatus response (API
//! 2019-06-14; see the module header of `input::asr` for the pages read).

use serde::Deserialize;
use serde_json::Value;

use super::{one_or_many, Measures, NumOrStr, Recording, Sentence};

/// The response as the API returns it (`{"Response": {...}}`), or its
/// `Data` alone, or the TaskStatus alone.
#[derive(Deserialize)]
struct Document {
    #[serde(rename = "Response")]
    response: Option<Response>,
    #[serde(rename = "Data")]
    data: Option<TaskStatus>,
    #[serde(flatten)]
    bare: TaskStatus,
}

#[derive(Deserialize)]
struct Response {
    #[serde(rename = "Data")]
    data: Option<TaskStatus>,
    #[serde(rename = "Error")]
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(rename = "Code", default)]
    code: String,
    #[serde(rename = "Message", default)]
    message: String,
}

#[derive(Deserialize, Default)]
struct TaskStatus {
    #[serde(rename = "TaskId")]
    task_id: Option<NumOrStr>,
    #[serde(rename = "Status")]
    status: Option<i64>,
    #[serde(rename = "StatusStr")]
    status_str: Option<String>,
    #[serde(rename = "ErrorMsg")]
    error_msg: Option<String>,
    #[serde(rename = "ResultDetail")]
    result_detail: Option<Vec<SentenceDetail>>,
    #[serde(rename = "Result")]
    result: Option<String>,
}

#[derive(Deserialize)]
struct SentenceDetail {
    #[serde(rename = "FinalSentence")]
    final_sentence: Option<String>,
    #[serde(rename = "StartMs")]
    start_ms: Option<f64>,
    #[serde(rename = "EndMs")]
    end_ms: Option<f64>,
    #[serde(rename = "SpeakerId")]
    speaker_id: Option<i64>,
    #[serde(rename = "SpeechSpeed")]
    speech_speed: Option<NumOrStr>,
    #[serde(rename = "EmotionalEnergy")]
    emotional_energy: Option<NumOrStr>,
    #[serde(rename = "EmotionType")]
    emotion_type: Option<Value>,
    #[serde(rename = "SilenceTime")]
    silence_time: Option<NumOrStr>,
}

/// Parses a result document into its recordings.
pub fn parse(text: &str) -> Result<Vec<Recording>, String> {
    let docs: Vec<Document> = one_or_many(text)?;
    docs.into_iter().map(recording).collect()
}

fn recording(d: Document) -> Result<Recording, String> {
    if let Some(Response {
        error: Some(e),
        data,
    }) = &d.response
    {
        let keys = data
            .as_ref()
            .and_then(|t| t.task_id.as_ref())
            .map(NumOrStr::as_key)
            .into_iter()
            .collect();
        return Ok(Recording {
            keys,
            outcome: Err(format!("腾讯云接口返回错误（{}：{}）", e.code, e.message)),
        });
    }
    let t = d.response.and_then(|r| r.data).or(d.data).unwrap_or(d.bare);
    if t.status.is_none() && t.result_detail.is_none() {
        return Err(
            "没有 Response.Data、Status 或 ResultDetail，不是 DescribeTaskStatus 的结果".into(),
        );
    }
    let keys: Vec<String> = t.task_id.iter().map(NumOrStr::as_key).collect();
    let said = |what: &str| {
        let msg = t.error_msg.as_deref().filter(|m| !m.is_empty());
        format!(
            "腾讯云识别任务{what}（Status {}，StatusStr {}{}）",
            t.status.map_or_else(|| "无".into(), |s| s.to_string()),
            t.status_str.as_deref().unwrap_or("无"),
            msg.map(|m| format!("，ErrorMsg {m}")).unwrap_or_default()
        )
    };
    let outcome = match t.status {
        Some(3) => Err(said("失败")),
        Some(0) | Some(1) => Err(said("还没有完成，请等任务完成后再导出结果")),
        Some(s) if s != 2 => Err(said("状态不明")),
        _ => {
            let sentences: Vec<Sentence> = t
                .result_detail
                .iter()
                .flatten()
                .filter_map(|s| {
                    let text = s.final_sentence.clone().unwrap_or_default();
                    if text.trim().is_empty() {
                        return None;
                    }
                    Some(Sentence {
                        id: s.speaker_id,
                        start_ms: s.start_ms?,
                        end_ms: s.end_ms?,
                        text,
                        confidence: None,
                        measures: Measures {
                            // SpeechSpeed is characters a second; Measures keeps a minute's.
                            speech_rate: s
                                .speech_speed
                                .as_ref()
                                .and_then(NumOrStr::as_f64)
                                .map(|v| v * 60.0),
                            emotion: s
                                .emotion_type
                                .as_ref()
                                .map(|v| v.to_string())
                                .or_else(|| s.emotional_energy.as_ref().map(NumOrStr::as_key)),
                            silence_before: s.silence_time.as_ref().and_then(NumOrStr::as_f64),
                        },
                    })
                })
                .collect();
            let text = t.result.as_deref().unwrap_or("");
            if !sentences.is_empty() {
                Ok(sentences)
            } else if !text.trim().is_empty() {
                // ResTextFormat 0 gives no ResultDetail, but its Result is a
                // line a sentence with the sentence's times (and speaker):
                // read those, and only those; a text without them cannot be
                // cut into sentences honestly.
                match result_lines(text) {
                    Some(lines) if lines.iter().all(|s| s.id.is_some()) => Ok(lines),
                    Some(_) => Err(said("的逐句文本（Result）没有说话人编号：请在创建任务（CreateRecTask）时单声道录音设 SpeakerDiarization 为 1、双声道录音设 ChannelNum 为 2，并设 ResTextFormat 为 2 或以上（逐句带标点的 ResultDetail）再识别")),
                    None => Err(said("只有整段文本，没有逐句结果（ResultDetail）：请在创建任务（CreateRecTask）时设 ResTextFormat 为 2 或以上（逐句带标点）再识别")),
                }
            } else {
                Err(said("成功但结果是空的（ResultDetail 没有一句话）"))
            }
        }
    };
    Ok(Recording { keys, outcome })
}

/// A time of the Result text, `m:s.mmm` (or `h:m:s.mmm`), in ms.
fn clock_ms(t: &str) -> Option<f64> {
    let mut ms = 0.0;
    for part in t.trim().split(':') {
        let v: f64 = part.trim().parse().ok()?;
        if !v.is_finite() || v < 0.0 {
            return None;
        }
        ms = ms * 60.0 + v;
    }
    Some((ms * 1000.0).round())
}

/// The sentences of a Result text of ResTextFormat 0, one a line:
/// `[0:0.800,0:4.100,1]  您好…` (start, end, speaker id when diarised).
/// `None` when any line is not of that shape.
fn result_lines(text: &str) -> Option<Vec<Sentence>> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (head, said) = line.strip_prefix('[')?.split_once(']')?;
        let mut f = head.split(',');
        let start_ms = clock_ms(f.next()?)?;
        let end_ms = clock_ms(f.next()?)?;
        let id = match f.next() {
            Some(id) => Some(id.trim().parse::<i64>().ok()?),
            None => None,
        };
        if f.next().is_some() || said.trim().is_empty() {
            return None;
        }
        out.push(Sentence {
            id,
            start_ms,
            end_ms,
            text: said.trim().to_string(),
            confidence: None,
            measures: Measures::default(),
        });
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_details_keep_speaker_and_times() {
        let text = r#"{"Response":{"RequestId":"r","Data":{"TaskId":4500055927,"Status":2,
          "StatusStr":"success","ErrorMsg":"","ResultDetail":[{"FinalSentence":"您好，市长热线。",
          "StartMs":800,"EndMs":4100,"SpeakerId":1,"SpeechSpeed":5.2,"EmotionType":["neutral"],
          "SilenceTime":0}]}}}"#;
        let r = parse(text).expect("tencent");
        assert_eq!(r[0].keys, vec!["4500055927"]);
        let s = &r[0].outcome.as_ref().expect("ok")[0];
        assert_eq!((s.id, s.start_ms, s.end_ms), (Some(1), 800.0, 4100.0));
        assert_eq!(s.measures.emotion.as_deref(), Some(r#"["neutral"]"#));
        // Characters a second, kept as characters a minute.
        let rate = s.measures.speech_rate.expect("rate");
        assert!((rate - 312.0).abs() < 1e-9, "{rate}");
    }

    #[test]
    fn failed_and_empty_tasks_are_rejects_with_the_message() {
        let failed = r#"{"Response":{"Data":{"TaskId":7,"Status":3,"StatusStr":"failed",
          "ErrorMsg":"Failed to download audio file!","ResultDetail":null}}}"#;
        let e = parse(failed).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("failed");
        assert!(e.contains("Failed to download audio file!"), "{e}");
        let empty = r#"{"Data":{"TaskId":8,"Status":2,"StatusStr":"success","Result":"","ResultDetail":[]}}"#;
        let e = parse(empty).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("empty");
        assert!(e.contains("结果是空的"), "{e}");
        let api = r#"{"Response":{"Error":{"Code":"InvalidParameter","Message":"TaskId not found"},"RequestId":"x"}}"#;
        let e = parse(api).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("api");
        assert!(e.contains("TaskId not found"), "{e}");
        // ResTextFormat 0: no ResultDetail, but a Result of timed lines.
        let lines = r#"{"Data":{"TaskId":9,"Status":2,"StatusStr":"success","ResultDetail":null,
          "Result":"[0:0.200,0:0.600,0]  喂？\n[1:0:4.600,1:0:8.000,1]  我要反映噪音。\n"}}"#;
        let got = parse(lines).expect("doc")[0]
            .outcome
            .clone()
            .expect("lines");
        assert_eq!(
            got.iter()
                .map(|s| (s.id, s.start_ms, s.end_ms))
                .collect::<Vec<_>>(),
            vec![(Some(0), 200.0, 600.0), (Some(1), 3_604_600.0, 3_608_000.0)]
        );
        assert_eq!(got[1].text, "我要反映噪音。");
        // Must not: a text without times, or timed lines without speakers,
        // read as sentences.
        let blob = r#"{"Data":{"TaskId":10,"Status":2,"Result":"您好市长热线。喂？"}}"#;
        let e = parse(blob).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("blob");
        assert!(e.contains("ResTextFormat 为 2 或以上"), "{e}");
        let nospk = r#"{"Data":{"TaskId":11,"Status":2,"Result":"[0:0.200,0:0.600]  喂？"}}"#;
        let e = parse(nospk).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("no speakers");
        assert!(e.contains("SpeakerDiarization"), "{e}");
        // Must not: an Aliyun result read as an empty Tencent success.
        assert!(parse(r#"{"TaskId":"t","StatusCode":21050000}"#).is_err());
    }
}
