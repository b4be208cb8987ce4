//! 华为云 语音交互服务 SIS 录音文件识别 results: the CollectTranscriberJob
//! response or its callback (see the module header of `input::asr` for the
//! pages read).

use serde::Deserialize;

use super::{one_or_many, Measures, NumOrStr, Recording, Sentence, NAMED_AGENT, NAMED_CALLER};

#[derive(Deserialize)]
struct Job {
    /// Only in a callback; the query by GET does not repeat it.
    job_id: Option<NumOrStr>,
    /// WAITING, FINISHED or ERROR.
    status: Option<String>,
    segments: Option<Vec<Segment>>,
    /// The error body of a failed call (`SIS.xxxx`), or of a failed job.
    error_code: Option<String>,
    error_msg: Option<String>,
}

#[derive(Deserialize)]
struct Segment {
    start_time: NumOrStr,
    end_time: NumOrStr,
    result: Option<TranscriberResult>,
}

#[derive(Deserialize)]
struct TranscriberResult {
    #[serde(default)]
    text: String,
    analysis_info: Option<AnalysisInfo>,
}

#[derive(Deserialize)]
struct AnalysisInfo {
    role: Option<String>,
    emotion: Option<String>,
    /// Characters a second.
    speed: Option<NumOrStr>,
}

/// Parses a result document into its recordings.
pub fn parse(text: &str) -> Result<Vec<Recording>, String> {
    let jobs: Vec<Job> = one_or_many(text)?;
    if jobs
        .iter()
        .any(|j| j.status.is_none() && j.segments.is_none() && j.error_code.is_none())
    {
        return Err("没有 status、segments 或 error_code，不是录音文件识别的查询结果".into());
    }
    Ok(jobs.into_iter().map(recording).collect())
}

/// The id a sentence's role is read as: the service's own AGENT / USER
/// (dual-channel or 8k audio) as named roles, `speakerN` (16k mono with
/// diarisation) as speaker N - 1, so that the first speaker is 0 as in the
/// other readers.
fn role_id(role: &str) -> Option<i64> {
    let r = role.trim();
    if r.eq_ignore_ascii_case("AGENT") {
        return Some(NAMED_AGENT);
    }
    if r.eq_ignore_ascii_case("USER") {
        return Some(NAMED_CALLER);
    }
    let n: i64 = r
        .to_ascii_lowercase()
        .strip_prefix("speaker")?
        .trim()
        .parse()
        .ok()?;
    (n >= 1).then_some(n - 1)
}

fn recording(j: Job) -> Recording {
    let keys: Vec<String> = j.job_id.iter().map(NumOrStr::as_key).collect();
    let status = j.status.clone().unwrap_or_default();
    let said = |what: &str| {
        let mut s = format!(
            "华为云识别任务{what}（status {}",
            if status.is_empty() { "无" } else { &status }
        );
        if let Some(c) = &j.error_code {
            s.push_str(&format!("，error_code {c}"));
        }
        if let Some(m) = j.error_msg.as_deref().filter(|m| !m.is_empty()) {
            s.push_str(&format!("，error_msg {m}"));
        }
        s.push('）');
        s
    };
    let outcome = match status.to_ascii_uppercase().as_str() {
        _ if j.error_code.is_some() => Err(said("失败")),
        "ERROR" => Err(said("失败")),
        "WAITING" | "PROCESSING" | "RUNNING" => Err(said("还没有完成，请等任务完成后再导出结果")),
        "FINISHED" | "" => sentences(&j.segments.unwrap_or_default(), &said),
        _ => Err(said("状态不明")),
    };
    Recording { keys, outcome }
}

fn sentences(segments: &[Segment], said: &dyn Fn(&str) -> String) -> Result<Vec<Sentence>, String> {
    let mut out = Vec::new();
    for (n, seg) in segments.iter().enumerate() {
        let Some(r) = &seg.result else { continue };
        if r.text.trim().is_empty() {
            continue;
        }
        let info = r.analysis_info.as_ref();
        let role = info.and_then(|a| a.role.as_deref());
        let id = match role {
            None => None,
            Some(role) => match role_id(role) {
                Some(id) => Some(id),
                None => {
                    return Err(said(&format!(
                    "第 {} 句的角色 role “{role}”看不懂（应为 AGENT、USER 或 speaker1…speaker10）",
                    n + 1
                )))
                }
            },
        };
        let (Some(start_ms), Some(end_ms)) = (seg.start_time.as_f64(), seg.end_time.as_f64())
        else {
            return Err(said(&format!(
                "第 {} 句的时间（start_time、end_time）看不懂",
                n + 1
            )));
        };
        out.push(Sentence {
            id,
            start_ms,
            end_ms,
            text: r.text.clone(),
            confidence: None,
            measures: Measures {
                // speed is characters a second; Measures keeps a minute's.
                speech_rate: info
                    .and_then(|a| a.speed.as_ref())
                    .and_then(NumOrStr::as_f64)
                    .map(|v| v * 60.0),
                emotion: info.and_then(|a| a.emotion.clone()),
                silence_before: None,
            },
        });
    }
    if out.is_empty() {
        return Err(said("成功但结果是空的（segments 没有一句话）"));
    }
    // Without a role on every sentence nothing tells the agent from the
    // caller: the channel setting would name a channel the result does
    // not carry, so the call is not guessed.
    if let Some(n) = out.iter().position(|s| s.id.is_none()) {
        return Err(said(&format!(
            "第 {} 句没有说话人角色（analysis_info.role）：请在提交任务时设 config.need_analysis_info，双声道录音设 channel 为 LEFT_AGENT 或 RIGHT_AGENT，单声道录音设 diarization 为 true",
            n + 1
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_times_speed_and_emotion_are_kept() {
        let text = r#"{"status":"FINISHED","audio_duration":9000,"segments":[
          {"start_time":800,"end_time":4100,"result":{"text":"您好，市长热线。",
           "analysis_info":{"role":"AGENT","emotion":"NORMAL","speed":5.5}}},
          {"start_time":4600,"end_time":6000,"result":{"text":"喂？",
           "analysis_info":{"role":"USER","emotion":"ANGRY","speed":2}}}]}"#;
        let r = parse(text).expect("huawei");
        let s = r[0].outcome.as_ref().expect("ok");
        assert_eq!(
            (s[0].id, s[0].start_ms, s[0].end_ms),
            (Some(NAMED_AGENT), 800.0, 4100.0)
        );
        assert_eq!(s[1].id, Some(NAMED_CALLER));
        assert_eq!(s[1].measures.emotion.as_deref(), Some("ANGRY"));
        assert_eq!(s[0].measures.speech_rate, Some(330.0));
        assert_eq!(role_id("speaker2"), Some(1));
        // Must not: a speaker numbered from 0 or a stray label read as a role.
        assert_eq!(role_id("speaker0"), None);
        assert_eq!(role_id("AGENTS"), None);
    }

    #[test]
    fn failed_waiting_empty_and_roleless_jobs_are_rejects_with_the_services_words() {
        let api = r#"{"error_code":"SIS.0001","error_msg":"connect obs failed"}"#;
        let e = parse(api).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("api");
        assert!(
            e.contains("SIS.0001") && e.contains("connect obs failed"),
            "{e}"
        );
        let failed = r#"{"status":"ERROR","create_time":"2026-11-27T01:00:00Z"}"#;
        let e = parse(failed).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("failed");
        assert!(e.contains("ERROR"), "{e}");
        let waiting = r#"{"status":"WAITING"}"#;
        let e = parse(waiting).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("waiting");
        assert!(e.contains("还没有完成"), "{e}");
        let empty = r#"{"status":"FINISHED","segments":[]}"#;
        let e = parse(empty).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("empty");
        assert!(e.contains("结果是空的"), "{e}");
        let roleless = r#"{"status":"FINISHED","segments":[{"start_time":0,"end_time":900,"result":{"text":"您好"}}]}"#;
        let e = parse(roleless).expect("doc")[0]
            .outcome
            .clone()
            .expect_err("roleless");
        assert!(e.contains("need_analysis_info"), "{e}");
        // Must not: another service's result read as an empty Huawei job.
        assert!(parse(r#"{"TaskId":"t","StatusCode":21050000}"#).is_err());
    }
}
