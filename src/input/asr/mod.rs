//! Readers for the result files of speech-recognition services, turned
//! into spec §1.1 transcripts by `hotline-qa import` (issue #20).
//!
//! A centre does not have our JSON Lines: it has one recognition result per
//! recording, from a cloud service or an engine on its own servers, and the
//! call list of its phone system. This module reads both and joins them, so
//! that no centre has to write a converter before it can score a call.
//!
//! # Formats, and the pages they follow
//!
//! Each reader parses with serde into typed structs of the vendor's own
//! field names, never panics, and returns for every recording either its
//! sentences or the reason it cannot be used, with the service's own
//! message for a failed task. A failed task and an empty result are
//! rejects, never empty calls.
//!
//! - [`aliyun`]: 阿里云 智能语音交互 录音文件识别, GetTaskResult / callback
//!   JSON of version 4.0 (help.aliyun.com/document_detail/90727 「接口说明」,
//!   and the Alibaba Cloud page "api-reference-2" updated 2026-10-28):
//!   `TaskId`, `StatusCode` (21050000 success, 21050003
//!   SUCCESS_WITH_NO_VALID_FRAGMENT, 21050001/21050002 running/queueing,
//!   4xxxxxxx/5xxxxxxx failures), `StatusText`, `Result.Sentences` with
//!   `ChannelId`, `BeginTime`/`EndTime` (ms), `Text`, `SpeechRate` (字/分钟),
//!   `EmotionValue` (1–10), `SilenceDuration` (s). The lower-camel-case
//!   names of the older callback (`channelId`, `beginTime` …) are accepted.
//! - [`tencent`]: 腾讯云 语音识别 录音文件识别结果查询 DescribeTaskStatus,
//!   API 2019-06-14 (cloud.tencent.com/document/product/1093/37822; data
//!   types at tencentcloud.com/document/product/1118/66926, updated
//!   2025-10-30): `Response.Data` = TaskStatus with `TaskId`, `Status` (0
//!   waiting, 1 doing, 2 success, 3 failed), `StatusStr`, `ErrorMsg`,
//!   `ResultDetail` = [SentenceDetail] with `FinalSentence`,
//!   `StartMs`/`EndMs`, `SpeakerId`, `SpeechSpeed`, `EmotionalEnergy`,
//!   `EmotionType`, `SilenceTime`; also `Response.Error` (Code, Message).
//!   Word-level `Words` are not needed: sentences are what we score.
//!   Without `ResultDetail` (CreateRecTask `ResTextFormat` 0, "基础识别结果，
//!   仅包含有效人声时间戳", cloud.tencent.com/document/product/1093/37823)
//!   `Result` is a line a sentence, `[0:0.800,0:4.100,1]  text` (start,
//!   end, speaker id when diarised): those lines are read as the sentences;
//!   a `Result` not of that shape, or whose lines name no speaker, is
//!   rejected naming `ResTextFormat` ≥ 2 (and `SpeakerDiarization` /
//!   `ChannelNum`), never read as one sentence without times.
//! - [`huawei`]: 华为云 语音交互服务 SIS 录音文件识别, 获取录音文件识别结果
//!   CollectTranscriberJob, `GET /v1/{project_id}/asr/transcriber/jobs/{job_id}`
//!   (support.huaweicloud.com/api-sis/sis_03_0093.html, updated
//!   2026-02-03; request options at sis_03_0092.html, error codes at
//!   sis_03_0045.html): `status` (WAITING, FINISHED, ERROR), `job_id` (in a
//!   callback only), `segments` = [{`start_time`, `end_time` (ms),
//!   `result`: {`text`, `analysis_info`: {`role`, `emotion` (NORMAL, ANGRY,
//!   UNKNOWN), `speed` (字/秒)}}}], and the error body `error_code`
//!   (`SIS.xxxx`) / `error_msg`. `role` is AGENT / USER for 8k audio and
//!   16k two-channel audio (the request's `need_analysis_info.channel`
//!   LEFT_AGENT / RIGHT_AGENT says which channel is the agent's), and
//!   speaker1 … speaker10 for 16k mono with `diarization`.
//! - [`iflytek`]: 讯飞开放平台 录音文件转写 API v2, getResult
//!   (xfyun.cn/doc/asr/ifasr_new/API.html, read 2026-12): `code` ("000000"
//!   success), `descInfo`, `content.orderInfo` {`orderId`, `status` (0
//!   created, 3 processing, 4 done, -1 failed), `failType` (1 upload, 2
//!   transcoding, 3 recognition failed, 4 too long, 5 duration check, 6
//!   silent file, … 99 other)}, `content.orderResult` = a JSON string of
//!   {`lattice` (after 顺滑), `lattice2` (without), `label.rl_track`
//!   (role → track L/R)}, each lattice entry's `json_1best` again a JSON
//!   string of `st` {`bg`, `ed` (ms, as strings), `rl` (role, 1… when
//!   upload's `roleType`=1, 0 without), `sc`, `rt` → `ws` → `cw` → `w`
//!   (word), `wp` (n word, s filler, p punctuation, g paragraph)}. The
//!   words are folded into the sentence (first candidate of each, `g`
//!   dropped, punctuation kept). `rl_track` was read from the field list
//!   only: check it on one real two-channel export. The older API v1
//!   (xfyun.cn/doc/asr/lfasr/API.html, `raasr.xfyun.cn/api/getResult`) is
//!   read too: `ok` (0, or -1 failed), `err_no`, `failed`, and `data`, a
//!   JSON string of [{`bg`, `ed` (ms), `onebest`, `speaker` (0 without
//!   `has_seperate`, else 1, 2 …)}].
//! - [`funasr`]: FunASR `AutoModel.generate` output (FunASR tutorial at
//!   modelscope.github.io/FunASR, paraformer-zh with `spk_model="cam++"`):
//!   a list of `{key, text, sentence_info: [{text, start, end (ms), spk}]}`.
//! - [`whisper`]: openai-whisper's `--output_format json` (`{text,
//!   segments: [{id, seek, start, end (s), text, tokens, temperature,
//!   avg_logprob, compression_ratio, no_speech_prob}], language}`, as its
//!   `transcribe()` returns it, github.com/openai/whisper), the same
//!   segments from faster-whisper, and WhisperX's output, whose
//!   `assign_word_speakers` adds `speaker` ("SPEAKER_00" …) to each
//!   segment one of pyannote's turns overlaps, and leaves it off the others
//!   (github.com/m-bain/whisperX, whisperx/diarize.py, read 2026-12).
//!   Whisper writes no recording name: the file is named after the
//!   recording, or a JSON Lines line carries `key`. A `speaker` that is a
//!   bare number is read as a channel, for centres that transcribe the two
//!   channels apart and merge them.
//!
//! Sentence-level confidence: iFlytek's `st.sc` is kept when it is above 0
//! and at most 1 (0.00 is what it writes where nothing was scored). The
//! others publish none per sentence; Whisper's `avg_logprob` is a mean
//! token log-probability, not a calibrated confidence (its exp() sits under
//! the clarity norm's 0.75 for speech recognised well), so none is written
//! rather than a misleading one; the clarity norm then judges only the
//! caller's requests to repeat. The services' measurements are kept in
//! [`Measures`] and written as the utterance's `speech_rate` (字/分钟),
//! `silence_before` (s), `emotion` (neutral, happy, sad, angry, other) and
//! `emotion_raw` (the service's own value): Aliyun `SpeechRate`,
//! `SilenceDuration`, `EmotionValue` (an energy 1–10: raw only); Tencent
//! `SpeechSpeed` (字/秒, ×60), `SilenceTime`, `EmotionType` (or
//! `EmotionalEnergy`: raw only); Huawei `speed` (× 60), `emotion`.
//!
//! # Who is the agent
//!
//! Every sentence carries one id: Aliyun's `ChannelId`, Tencent's
//! `SpeakerId`, FunASR's `spk`, iFlytek's `rl` (its track's channel when
//! `rl_track` names one, else `rl` - 1), Huawei's speakerN (N - 1),
//! Whisper's `speaker` (SPEAKER_01 → 1). How it maps to roles is decided
//! per call:
//!
//! 0. Roles the service named itself (Huawei's AGENT / USER, given for
//!    two-channel and 8k audio from the request's channel setting): the
//!    AGENT sentences are the agent's whatever the call list's
//!    agent_channel says, since the result carries no channel to apply it
//!    to; but when the evidence of rule 2 decides for the USER side (it
//!    greets, the AGENT side does not), the call is rejected: the service
//!    was told the wrong channel.
//! 1. Dual-channel: the call list's `agent_channel` (0/1, left/right,
//!    左/右) names the agent's channel, or, when that cell is empty,
//!    `--agent-channel`. Sentences of that id are the agent's, all others
//!    the caller's.
//! 2. Diarised mono (`agent_channel` = auto / mono / 单声道, or empty with
//!    the default `--agent-channel auto`): by evidence. Each id's first two
//!    sentences score for the greeting's parts (市长热线 or 12345 or
//!    一二三四五: 2; 有什么可以帮: 2; 您好 at the start: 1) and its last two
//!    for the closings' (感谢您的来电 / 感谢您对我们工作的支持: 2). The id with
//!    the highest score, at least 2 and above every other id's, is the
//!    agent; the others are the caller. Confidence 0.95 when that id also
//!    speaks first, 0.75 when it does not. No such id (nobody greets or
//!    closes, or two ids tie), or a single id in the whole call: the call is
//!    rejected with that reason, rather than scored with the roles swapped;
//!    giving the call's `agent_channel` in the call list settles it.
//!
//! Tencent two-channel tasks (`ChannelNum` 2) are read with `SpeakerId` as
//! the channel; the pages read do not say so in as many words, so check it
//! on one real export before relying on `--agent-channel` there.
//!
//! A result that names no speaker at all (Whisper without diarisation,
//! iFlytek without 角色分离, Huawei without `need_analysis_info`, a
//! WhisperX segment no speaker turn covers) is rejected by its reader
//! whatever channel is named: it is one stream holding both parties, and a
//! named channel would make every sentence the agent's.
//!
//! A third party on the line (承办单位) cannot be told from the caller by
//! any of these services, so it is read as the caller.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::input::time::{default_offset, parse_instant};
use crate::input::Reject;
use crate::model::Speaker;

pub mod aliyun;
mod archive;
pub mod funasr;
pub mod huawei;
pub mod iflytek;
mod sheet;
mod stream;
pub mod tencent;
pub mod whisper;

pub use stream::import_into;

/// The largest result file read (one recording's result is far smaller).
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The services whose result files are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    /// 阿里云 录音文件识别.
    Aliyun,
    /// 腾讯云 录音文件识别.
    Tencent,
    /// FunASR / Paraformer run on the centre's own servers.
    Funasr,
    /// 华为云 语音交互服务 SIS 录音文件识别.
    Huawei,
    /// 讯飞开放平台 录音文件转写.
    Iflytek,
    /// openai-whisper, faster-whisper or WhisperX JSON.
    Whisper,
}

impl FromStr for Vendor {
    type Err = String;
    fn from_str(s: &str) -> Result<Vendor, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "aliyun" | "alibaba" | "阿里云" => Ok(Vendor::Aliyun),
            "tencent" | "腾讯云" => Ok(Vendor::Tencent),
            "funasr" | "paraformer" => Ok(Vendor::Funasr),
            "huawei" | "华为云" => Ok(Vendor::Huawei),
            "iflytek" | "xfyun" | "讯飞" => Ok(Vendor::Iflytek),
            "whisper" | "whisperx" | "faster-whisper" => Ok(Vendor::Whisper),
            _ => Err(format!(
                "不认识的识别服务 {s}：请写 aliyun、tencent、huawei、iflytek、funasr 或 whisper（unknown service）"
            )),
        }
    }
}

impl Vendor {
    /// Parses one result document (a JSON object, or an array of them)
    /// into its recordings; `Err` when the text is not this vendor's shape.
    pub fn parse(self, text: &str) -> Result<Vec<Recording>, String> {
        match self {
            Vendor::Aliyun => aliyun::parse(text),
            Vendor::Tencent => tencent::parse(text),
            Vendor::Funasr => funasr::parse(text),
            Vendor::Huawei => huawei::parse(text),
            Vendor::Iflytek => iflytek::parse(text),
            Vendor::Whisper => whisper::parse(text),
        }
    }

    /// The name shown in messages.
    pub fn label(self) -> &'static str {
        match self {
            Vendor::Aliyun => "阿里云录音文件识别",
            Vendor::Tencent => "腾讯云录音文件识别",
            Vendor::Funasr => "FunASR",
            Vendor::Huawei => "华为云录音文件识别",
            Vendor::Iflytek => "讯飞录音文件转写",
            Vendor::Whisper => "Whisper",
        }
    }
}

/// What a service measured about a sentence, beyond its text, written by
/// `import` as spec §1.1's optional utterance fields (`speech_rate`,
/// `silence_before`, `emotion` normalised and `emotion_raw` as given).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measures {
    /// Speech rate, characters a minute.
    pub speech_rate: Option<f64>,
    /// The service's emotion label or energy, as it writes it.
    pub emotion: Option<String>,
    /// Silence before the sentence, seconds.
    pub silence_before: Option<f64>,
}

/// One sentence of a recognition result.
#[derive(Clone, Debug, PartialEq)]
pub struct Sentence {
    /// The channel or speaker id the service gave it.
    pub id: Option<i64>,
    /// Milliseconds from the start of the recording.
    pub start_ms: f64,
    /// Milliseconds from the start of the recording.
    pub end_ms: f64,
    /// The text, punctuation as the service gave it.
    pub text: String,
    /// Recognition confidence 0..1, when the service gives one.
    pub confidence: Option<f64>,
    /// The service's other measurements.
    pub measures: Measures,
}

/// One recording's result: its ids and its sentences, or why it cannot be
/// used (the service's own message for a failed task).
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// Ids that name the recording in the call list (task id, file key).
    pub keys: Vec<String>,
    /// The sentences, or the reason for a reject.
    pub outcome: Result<Vec<Sentence>, String>,
}

/// A number a service writes as a number or as a string ("80", "5.7").
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum NumOrStr {
    Num(f64),
    Str(String),
}

impl NumOrStr {
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            NumOrStr::Num(n) => Some(*n),
            NumOrStr::Str(s) => s.trim().parse().ok(),
        }
    }

    pub(crate) fn as_key(&self) -> String {
        match self {
            NumOrStr::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            NumOrStr::Num(n) => n.to_string(),
            NumOrStr::Str(s) => s.trim().to_string(),
        }
    }
}

/// Parses a JSON document holding one `T` or an array of them.
pub(crate) fn one_or_many<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let r = if t.starts_with('[') {
        serde_json::from_str::<Vec<T>>(t)
    } else {
        serde_json::from_str::<T>(t).map(|one| vec![one])
    };
    r.map_err(|e| format!("第 {} 行第 {} 列：{e}", e.line(), e.column()))
}

/// Which channel is the agent's, or `Auto` to decide by what is said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentChannel {
    /// Diarised mono: decide by evidence (module header).
    Auto,
    /// Dual channel: this channel (0 = left, 1 = right) is the agent's.
    Channel(i64),
}

impl FromStr for AgentChannel {
    type Err = String;
    fn from_str(s: &str) -> Result<AgentChannel, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "mono" | "diarised" | "diarized" | "单声道" | "自动" => {
                Ok(AgentChannel::Auto)
            }
            "0" | "left" | "l" | "左" | "左声道" => Ok(AgentChannel::Channel(0)),
            "1" | "right" | "r" | "右" | "右声道" => Ok(AgentChannel::Channel(1)),
            _ => Err(format!(
                "话务员声道 {s} 看不懂：请写 0、1、left、right（左、右）或 auto（单声道按说话内容判断）（unknown agent channel）"
            )),
        }
    }
}

/// How the roles of a call were decided.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Roles {
    /// The id whose sentences are the agent's.
    pub agent: i64,
    /// How sure the rule is, 0..1 (1 for a named channel).
    pub confidence: f64,
    /// True when decided by evidence rather than a named channel.
    pub by_evidence: bool,
}

/// The text without punctuation and spaces, for the evidence phrases.
fn bare(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric() || !(c.is_ascii() || c.is_whitespace()))
        .filter(|c| !"，。！？、；：“”‘’（）…—《》·～".contains(*c))
        .collect()
}

fn greeting_score(text: &str) -> u32 {
    let t = bare(text);
    let mut s = 0;
    if t.contains("市长热线") || t.contains("12345") || t.contains("一二三四五") {
        s += 2;
    }
    if t.contains("有什么可以帮") {
        s += 2;
    }
    if t.starts_with("您好") {
        s += 1;
    }
    s
}

fn closing_score(text: &str) -> u32 {
    let t = bare(text);
    if t.contains("感谢您的来电") || t.contains("感谢您对我们工作的支持") {
        2
    } else {
        0
    }
}

/// The id a reader gives the sentences a service itself marked as the
/// agent's (Huawei's `AGENT`), whatever the call list says: see
/// "Who is the agent", rule 0.
pub const NAMED_AGENT: i64 = -1;
/// The id of the sentences a service itself marked as the caller's
/// (Huawei's `USER`).
pub const NAMED_CALLER: i64 = -2;

/// Roles the service named itself, believed unless what is said decides
/// the other way (then the service was told the wrong channel).
fn named_roles(sentences: &[Sentence]) -> Result<Roles, String> {
    let as_ids: Vec<Sentence> = sentences
        .iter()
        .map(|s| Sentence {
            id: Some(if s.id == Some(NAMED_AGENT) { 0 } else { 1 }),
            ..s.clone()
        })
        .collect();
    if let Ok(Roles { agent: 1, .. }) = decide_roles(&as_ids, AgentChannel::Auto) {
        return Err("识别服务标为坐席的一方和说话内容不符：标为用户的一方说了开头语或结束语，坐席一方没有说；请检查提交识别任务时的声道设置（华为云 need_analysis_info.channel 的 LEFT_AGENT / RIGHT_AGENT）是否和录音一致（service roles contradict the greeting）".into());
    }
    Ok(Roles {
        agent: NAMED_AGENT,
        confidence: 1.0,
        by_evidence: false,
    })
}

/// Decides who the agent is (module header, "Who is the agent").
pub fn decide_roles(sentences: &[Sentence], rule: AgentChannel) -> Result<Roles, String> {
    if sentences
        .iter()
        .any(|s| matches!(s.id, Some(NAMED_AGENT | NAMED_CALLER)))
    {
        return named_roles(sentences);
    }
    if let AgentChannel::Channel(c) = rule {
        if !sentences.iter().any(|s| s.id.unwrap_or(0) == c) {
            return Err(format!(
                "指定的话务员声道 {c} 上没有一句话，请检查通话记录的 agent_channel 或 --agent-channel（no sentence on the agent channel）"
            ));
        }
        return Ok(Roles {
            agent: c,
            confidence: 1.0,
            by_evidence: false,
        });
    }
    let mut ids: Vec<i64> = Vec::new();
    for s in sentences {
        let id = s.id.unwrap_or(0);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() < 2 {
        return Err("只识别出一个说话人，分不清话务员和来电人：请在识别时开启说话人分离，或在通话记录的 agent_channel 列写明话务员声道（only one speaker）".into());
    }
    let mut scores: Vec<(i64, u32)> = ids
        .iter()
        .map(|&id| {
            let own: Vec<&Sentence> = sentences
                .iter()
                .filter(|s| s.id.unwrap_or(0) == id)
                .collect();
            let first: u32 = own.iter().take(2).map(|s| greeting_score(&s.text)).sum();
            let last: u32 = own
                .iter()
                .rev()
                .take(2)
                .map(|s| closing_score(&s.text))
                .sum();
            (id, first + last)
        })
        .collect();
    scores.sort_by_key(|&(_, s)| std::cmp::Reverse(s));
    let (best, top) = scores[0];
    let runner_up = scores[1].1;
    if top < 2 || top == runner_up {
        return Err(format!(
            "分不清哪一方是话务员：{}，请在通话记录的 agent_channel 列写明话务员声道（roles cannot be decided）",
            if top < 2 {
                "没有一方说开头语（您好…市长热线…有什么可以帮您）或结束语（感谢您的来电…）"
            } else {
                "两方都像话务员（都说了开头语或结束语）"
            }
        ));
    }
    let first_speaker = sentences
        .iter()
        .min_by(|a, b| a.start_ms.total_cmp(&b.start_ms))
        .and_then(|s| s.id)
        .unwrap_or(0);
    Ok(Roles {
        agent: best,
        confidence: if first_speaker == best { 0.95 } else { 0.75 },
        by_evidence: true,
    })
}

/// One row of the phone system's call list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRow {
    /// 通话编号.
    pub call_id: String,
    /// 坐席工号.
    pub operator_id: String,
    /// 坐席姓名.
    pub operator_name: String,
    /// 班组.
    pub team: String,
    /// 开始时间, as RFC 3339.
    pub started_at: String,
    /// 主叫号码.
    pub caller_number: String,
    /// 挂机方.
    pub ended_by: Option<Speaker>,
    /// 话务员声道; `None` = the `--agent-channel` default.
    pub agent_channel: Option<AgentChannel>,
    /// Where the row is, for rejects.
    pub line: u64,
}

/// The call list's columns: (field, accepted headers).
const CALL_LIST_COLUMNS: [(&str, &[&str]); 9] = [
    (
        "recording",
        &[
            "recording",
            "recording_file",
            "task_id",
            "录音文件",
            "录音文件名",
            "录音编号",
            "任务编号",
            "任务ID",
            "录音",
        ],
    ),
    ("call_id", &["call_id", "通话编号", "通话ID", "呼叫编号"]),
    (
        "operator_id",
        &[
            "operator_id",
            "坐席工号",
            "话务员工号",
            "工号",
            "受理话务员",
        ],
    ),
    (
        "operator_name",
        &["operator_name", "坐席姓名", "话务员姓名", "姓名"],
    ),
    ("team", &["team", "班组"]),
    (
        "started_at",
        &["started_at", "开始时间", "通话开始时间", "呼入时间"],
    ),
    ("caller_number", &["caller_number", "主叫号码", "来电号码"]),
    ("ended_by", &["ended_by", "挂机方"]),
    (
        "agent_channel",
        &["agent_channel", "坐席声道", "话务员声道"],
    ),
];

/// The call list, keyed by recording (file name without folder and
/// extension, or task id) and by call id.
#[derive(Debug, Default)]
pub struct CallList {
    rows: Vec<CallRow>,
    by_key: HashMap<String, usize>,
    used: Vec<bool>,
}

/// A recording name or task id as the call list and the results both write
/// it: without folders, and without a file extension.
pub fn normalise_key(s: &str) -> String {
    let s = s.trim();
    let base = s.rsplit(['/', '\\']).next().unwrap_or(s);
    match base.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
                && ext.chars().any(|c| c.is_ascii_alphabetic()) =>
        {
            stem.to_string()
        }
        _ => base.to_string(),
    }
}

impl CallList {
    /// Reads a call list, CSV (UTF-8 or GBK) or .xlsx / .xls (first
    /// sheet), with English or Chinese headers; a row that cannot be used
    /// becomes a reject.
    pub fn read(path: &Path, rejects: &mut Vec<Reject>) -> anyhow::Result<CallList> {
        let file: Arc<str> = path.display().to_string().into();
        let (headers, rows) = sheet::open(path, CALL_LIST_COLUMNS[5].1)?;
        let col = |field: &str| -> Option<usize> {
            let names = CALL_LIST_COLUMNS.iter().find(|(f, _)| *f == field)?.1;
            headers
                .iter()
                .position(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
        };
        let idx: Vec<Option<usize>> = CALL_LIST_COLUMNS.iter().map(|(f, _)| col(f)).collect();
        let missing: Vec<&str> = [("call_id", 1), ("operator_id", 2), ("started_at", 5)]
            .iter()
            .filter(|(_, i)| idx[*i].is_none())
            .map(|(f, _)| *f)
            .collect();
        if !missing.is_empty() {
            anyhow::bail!(
                "{}：第 1 行缺少通话记录的列 {}（中文表头：通话编号、坐席工号、开始时间），请补上这些列（call list lacks columns）",
                path.display(),
                missing.join("、")
            );
        }
        let mut list = CallList::default();
        for (line, rec) in rows {
            let reject = |rejects: &mut Vec<Reject>, id: &str, reason: String| {
                rejects.push(Reject {
                    file: file.clone(),
                    line,
                    record_id: id.to_string(),
                    reason,
                })
            };
            let rec = match rec {
                Ok(r) => r,
                Err(why) => {
                    reject(rejects, "", why);
                    continue;
                }
            };
            let get = |i: usize| -> String {
                idx[i]
                    .and_then(|c| rec.get(c))
                    .map_or("", String::as_str)
                    .trim()
                    .to_string()
            };
            let call_id = get(1);
            let recording = get(0);
            if call_id.is_empty() {
                reject(
                    rejects,
                    &recording,
                    "通话编号（call_id）是空的，请补上".into(),
                );
                continue;
            }
            let operator_id = get(2);
            if operator_id.is_empty() {
                reject(
                    rejects,
                    &call_id,
                    "坐席工号（operator_id）是空的，请补上".into(),
                );
                continue;
            }
            let started = get(5);
            let Some(started_at) = parse_instant(&started, default_offset()) else {
                reject(
                    rejects,
                    &call_id,
                    format!("开始时间（started_at）“{started}”看不懂，请写成 2026-11-27 09:15:02 或 RFC 3339"),
                );
                continue;
            };
            let ended = get(7);
            let ended_by = match ended.as_str() {
                "" => None,
                e => match Speaker::parse(e).or(match e {
                    "用户" | "主叫" => Some(Speaker::Caller),
                    "被叫" => Some(Speaker::Agent),
                    _ => None,
                }) {
                    Some(s) => Some(s),
                    None => {
                        reject(rejects, &call_id, format!("挂机方（ended_by）“{e}”看不懂，请写 坐席 或 来电人（agent / caller）"));
                        continue;
                    }
                },
            };
            let channel = get(8);
            let agent_channel = if channel.is_empty() {
                None
            } else {
                match channel.parse::<AgentChannel>() {
                    Ok(c) => Some(c),
                    Err(why) => {
                        reject(rejects, &call_id, why);
                        continue;
                    }
                }
            };
            let keys: Vec<String> = [normalise_key(&recording), normalise_key(&call_id)]
                .into_iter()
                .filter(|k| !k.is_empty())
                .collect();
            if let Some(k) = keys.iter().find(|k| list.by_key.contains_key(*k)) {
                let first = list.by_key.get(k).map_or(0, |&i| list.rows[i].line);
                reject(
                    rejects,
                    &call_id,
                    format!("录音或通话编号 {k} 与第 {first} 行重复，只用第一行"),
                );
                continue;
            }
            let i = list.rows.len();
            for k in keys {
                list.by_key.insert(k, i);
            }
            list.rows.push(CallRow {
                call_id,
                operator_id,
                operator_name: get(3),
                team: get(4),
                started_at: started_at.to_rfc3339(),
                caller_number: get(6),
                ended_by,
                agent_channel,
                line,
            });
            list.used.push(false);
        }
        Ok(list)
    }

    /// The row a recording belongs to (first of its keys that matches), and
    /// marks it used; `Err` with the row's call id when it was used already.
    fn take(&mut self, keys: &[String]) -> Option<Result<usize, String>> {
        let i = keys
            .iter()
            .find_map(|k| self.by_key.get(&normalise_key(k)).copied())?;
        if self.used[i] {
            return Some(Err(self.rows[i].call_id.clone()));
        }
        self.used[i] = true;
        Some(Ok(i))
    }
}

/// What `import` needs to know.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Which service wrote the results.
    pub vendor: Vendor,
    /// Result files or folders.
    pub results: Vec<PathBuf>,
    /// The phone system's call list.
    pub calls: PathBuf,
    /// The transcripts to write (`.jsonl`, or `.jsonl.gz`).
    pub out: PathBuf,
    /// The agent's channel when the call list does not say.
    pub agent_channel: AgentChannel,
}

/// What `import` did.
#[derive(Clone, Debug, Default)]
pub struct ImportSummary {
    /// Recordings read from the result files.
    pub recordings: u64,
    /// Calls written.
    pub written: u64,
    /// Calls whose roles were decided by evidence, and of them those with
    /// confidence under 0.9 (the agent did not speak first).
    pub by_evidence: u64,
    /// See `by_evidence`.
    pub low_confidence: u64,
    /// Everything not written, with why (results and call-list rows).
    pub rejects: Vec<Reject>,
    /// Where the rejects were written.
    pub rejects_path: PathBuf,
    /// Files of the result folders passed over (broken links, loops), with why.
    pub skipped: Vec<crate::input::Skipped>,
}

/// `calls.jsonl` → `calls.jsonl.rejects.csv`, beside it.
pub fn rejects_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".rejects.csv");
    out.with_file_name(name)
}

fn same_file(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| -> PathBuf {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
            let dir = parent
                .and_then(|d| std::fs::canonicalize(d).ok())
                .unwrap_or_else(|| parent.map(Path::to_path_buf).unwrap_or_default());
            dir.join(p.file_name().unwrap_or_default())
        })
    };
    canon(a) == canon(b)
}

/// The result files named by the arguments: files as given, folders
/// searched recursively for `.json` / `.jsonl` in name order, by the walk
/// `score` uses (links followed, loops and broken links passed over and
/// listed in `skipped`).
fn result_files(
    args: &[PathBuf],
    skipped: &mut Vec<crate::input::Skipped>,
) -> anyhow::Result<Vec<PathBuf>> {
    let is_result = |p: &Path| {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_ascii_lowercase();
        name.ends_with(".json") || name.ends_with(".jsonl") || name.ends_with(".zip")
    };
    let mut out = Vec::new();
    for a in args {
        let meta = std::fs::metadata(a).map_err(|e| {
            anyhow::anyhow!(
                "{}：打不开识别结果，请检查路径：{}",
                a.display(),
                crate::messages::io_zh(&e)
            )
        })?;
        if meta.is_dir() {
            let (files, passed) = crate::input::list_folder(a)?;
            out.extend(files.into_iter().filter(|p| is_result(p)));
            skipped.extend(passed);
        } else {
            out.push(a.clone());
        }
    }
    Ok(out)
}

/// One utterance as spec §1.1 writes it.
#[derive(Serialize)]
struct OutUtterance<'a> {
    speaker: &'static str,
    start: f64,
    end: f64,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    speech_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    silence_before: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    emotion: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    emotion_raw: Option<String>,
}

/// The service's emotion as written in the transcript: the normalised
/// label (spec §1.1 `emotion`) when the service gave a label, and what it
/// wrote, always (`emotion_raw`). Tencent's `EmotionType` is an array of
/// labels (its first is taken); Aliyun's `EmotionValue` is an energy 1–10,
/// not a label, so it is kept as raw only.
fn emotion_fields(raw: Option<&str>) -> (Option<&'static str>, Option<String>) {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return (None, None);
    };
    let label = match serde_json::from_str::<Vec<String>>(raw) {
        Ok(list) => list.into_iter().find(|l| !l.trim().is_empty()),
        Err(_) if raw.parse::<f64>().is_ok() => None,
        Err(_) => Some(raw.to_string()),
    };
    let emotion = label
        .as_deref()
        .and_then(crate::model::Emotion::parse)
        .map(crate::model::Emotion::key);
    // An empty list says nothing: no raw value either.
    let raw = (raw != "[]").then(|| raw.to_string());
    (emotion, raw)
}

/// A measurement as written: finite and not negative, rounded to `places`
/// decimals so that a rate converted from characters a second reads 312,
/// not 312.00000000000006.
fn measurement(v: Option<f64>, places: i32) -> Option<f64> {
    let scale = 10f64.powi(places);
    v.filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| (v * scale).round() / scale)
}

/// One call as spec §1.1 writes it.
#[derive(Serialize)]
struct OutCall<'a> {
    call_id: &'a str,
    operator_id: &'a str,
    operator_name: &'a str,
    team: &'a str,
    started_at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended_by: Option<&'static str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    caller_number: &'a str,
    utterances: Vec<OutUtterance<'a>>,
}

/// Converts one recording into a transcript line, or the reason not to.
fn convert(
    row: &CallRow,
    sentences: &[Sentence],
    default: AgentChannel,
) -> Result<(String, Roles), String> {
    let rule = row.agent_channel.unwrap_or(default);
    let roles = decide_roles(sentences, rule)?;
    let mut utterances: Vec<OutUtterance<'_>> = sentences
        .iter()
        .map(|s| {
            let (emotion, emotion_raw) = emotion_fields(s.measures.emotion.as_deref());
            OutUtterance {
                speaker: if s.id.unwrap_or(0) == roles.agent {
                    "agent"
                } else {
                    "caller"
                },
                start: s.start_ms / 1000.0,
                end: s.end_ms / 1000.0,
                text: &s.text,
                confidence: s.confidence,
                speech_rate: measurement(s.measures.speech_rate, 1),
                silence_before: measurement(s.measures.silence_before, 3),
                emotion,
                emotion_raw,
            }
        })
        .collect();
    // Two channels are recognised apart and listed one after the other by
    // some services: the spec wants time order.
    utterances.sort_by(|a, b| a.start.total_cmp(&b.start));
    let call = OutCall {
        call_id: &row.call_id,
        operator_id: &row.operator_id,
        operator_name: &row.operator_name,
        team: &row.team,
        started_at: &row.started_at,
        ended_by: row.ended_by.map(Speaker::key),
        caller_number: &row.caller_number,
        utterances,
    };
    serde_json::to_string(&call)
        .map(|s| (s, roles))
        .map_err(|e| format!("写不出这通电话：{e}"))
}

/// Reads the result files one at a time, joins each recording with its
/// call-list row and writes the transcripts; every recording and every
/// call-list row is written or in the rejects file.
pub fn import(opts: &ImportOptions) -> anyhow::Result<ImportSummary> {
    let mut skipped = Vec::new();
    let files = result_files(&opts.results, &mut skipped)?;
    if files.is_empty() {
        anyhow::bail!(
            "{}：没有找到识别结果（.json、.jsonl 或 .zip 文件），请检查路径（no result files）",
            opts.results
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join("、")
        );
    }
    let rejects_at = rejects_path(&opts.out);
    for input in files.iter().chain(std::iter::once(&opts.calls)) {
        for (out, what) in [(&opts.out, "--out"), (&rejects_at, "拒收文件")] {
            if same_file(input, out) {
                anyhow::bail!(
                    "{what} {} 是输入文件 {}，会把它覆盖：请换一个输出文件名（--out would overwrite an input）",
                    out.display(),
                    input.display()
                );
            }
        }
    }
    let mut summary = ImportSummary {
        rejects_path: rejects_at.clone(),
        skipped,
        ..ImportSummary::default()
    };
    let mut list = CallList::read(&opts.calls, &mut summary.rejects)?;
    if let Some(dir) = opts.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            anyhow::anyhow!(
                "{}：无法创建输出文件夹：{}",
                dir.display(),
                crate::messages::io_zh(&e)
            )
        })?;
    }
    let tmp = {
        let mut name = opts.out.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".tmp-{}", std::process::id()));
        opts.out.with_file_name(name)
    };
    let create = |p: &Path| {
        std::fs::File::create(p).map_err(|e| {
            anyhow::anyhow!("{}：无法写出：{}", p.display(), crate::messages::io_zh(&e))
        })
    };
    let file = create(&tmp)?;
    let gz = opts
        .out
        .to_string_lossy()
        .to_ascii_lowercase()
        .ends_with(".gz");
    let written = write_calls(opts, &files, &mut list, file, gz, &mut summary);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.context(format!("{}：写出失败", opts.out.display())));
    }
    stream::unused_rows(opts, &list, &mut summary);
    if let Err(e) = write_rejects(&rejects_at, &summary.rejects) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &opts.out).map_err(|e| {
        anyhow::anyhow!(
            "{}：无法写出：{}",
            opts.out.display(),
            crate::messages::io_zh(&e)
        )
    })?;
    Ok(summary)
}

/// Writes the transcripts of every result file to `file`, gzipped or not.
fn write_calls(
    opts: &ImportOptions,
    files: &[PathBuf],
    list: &mut CallList,
    file: std::fs::File,
    gz: bool,
    summary: &mut ImportSummary,
) -> anyhow::Result<()> {
    let buffered = io::BufWriter::new(file);
    if gz {
        let mut w = flate2::write::GzEncoder::new(buffered, flate2::Compression::default());
        for path in files {
            import_file(opts, path, list, &mut w, summary)?;
        }
        // finish() writes the gzip trailer and reports a failed write,
        // which dropping the encoder would not.
        w.finish()?.flush()?;
    } else {
        let mut w = buffered;
        for path in files {
            import_file(opts, path, list, &mut w, summary)?;
        }
        w.flush()?;
    }
    Ok(())
}

fn write_rejects(path: &Path, rejects: &[Reject]) -> anyhow::Result<()> {
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut bytes);
        w.write_record(crate::report::csv_out::REJECT_COLUMNS)?;
        for r in rejects {
            w.write_record([
                &*r.file,
                &r.line.to_string(),
                &r.record_id,
                &crate::report::privacy::mask_reason(&r.reason),
            ])?;
        }
        w.flush()?;
    }
    std::fs::write(path, bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}：无法写出：{}",
            path.display(),
            crate::messages::io_zh(&e)
        )
    })
}

fn import_file(
    opts: &ImportOptions,
    path: &Path,
    list: &mut CallList,
    w: &mut dyn Write,
    summary: &mut ImportSummary,
) -> anyhow::Result<()> {
    if archive::is_zip(path) {
        return archive::import_zip(opts, path, list, w, summary);
    }
    let file: Arc<str> = path.display().to_string().into();
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    match std::fs::File::open(path) {
        Ok(f) => import_docs(opts, &file, &name, f, list, w, summary),
        Err(e) => {
            summary.rejects.push(Reject {
                file,
                line: 0,
                record_id: normalise_key(&name),
                reason: format!("打不开：{}", crate::messages::io_zh(&e)),
            });
            Ok(())
        }
    }
}

/// Imports the result documents read from `r`, a result file or an entry
/// of a zip archive named `name` (its file name, which may be a recording's
/// key), with `file` the place its rejects name.
fn import_docs(
    opts: &ImportOptions,
    file: &Arc<str>,
    name: &str,
    r: impl Read,
    list: &mut CallList,
    w: &mut dyn Write,
    summary: &mut ImportSummary,
) -> anyhow::Result<()> {
    let reject = |summary: &mut ImportSummary, line: u64, id: &str, reason: String| {
        summary.rejects.push(Reject {
            file: file.clone(),
            line,
            record_id: id.to_string(),
            reason,
        })
    };
    let stem = normalise_key(name);
    let jsonl = name.to_ascii_lowercase().ends_with(".jsonl");
    // A result file is one document; a JSON Lines file of results is one
    // document a line. Either way one document is held at a time.
    let docs: Box<dyn Iterator<Item = (u64, io::Result<String>)>> = if jsonl {
        // Lines are bounded like a whole result file: a line longer than
        // that is skipped in bounded memory and rejected, and a read error
        // ends the file after one reject rather than repeating.
        let mut lines =
            crate::input::transcripts::LineReader::new(BufReader::new(r), MAX_FILE_BYTES as usize);
        let mut failed = false;
        Box::new(
            std::iter::from_fn(move || {
                if failed {
                    return None;
                }
                match lines.next_line() {
                    Ok(None) => None,
                    Ok(Some(raw)) => Some((
                        raw.line,
                        raw.bytes.map_err(io::Error::other).and_then(|b| {
                            String::from_utf8(b).map_err(|e| {
                                io::Error::other(format!(
                                    "这一行不是 UTF-8 文本（第 {} 字节起），请把结果存成 UTF-8",
                                    e.utf8_error().valid_up_to() + 1
                                ))
                            })
                        }),
                    )),
                    Err(e) => {
                        failed = true;
                        Some((lines.lines_read() + 1, Err(e)))
                    }
                }
            })
            .filter(|(_, l)| !matches!(l, Ok(l) if l.trim().is_empty())),
        )
    } else {
        let mut text = String::new();
        let read = r
            .take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .and_then(|n| {
                if n as u64 > MAX_FILE_BYTES {
                    Err(io::Error::other(format!(
                        "文件超过 {} MiB，不像一个识别结果",
                        MAX_FILE_BYTES >> 20
                    )))
                } else {
                    Ok(text)
                }
            });
        Box::new(std::iter::once((0, read)))
    };
    for (line, doc) in docs {
        let text = match doc {
            Ok(t) => t,
            Err(e) => {
                reject(summary, line, &stem, format!("读不了：{e}"));
                continue;
            }
        };
        let recordings = match opts.vendor.parse(&text) {
            Ok(r) => r,
            Err(why) => {
                reject(
                    summary,
                    line,
                    &stem,
                    format!(
                        "不是{}的结果：{why}；请检查 --from 是否写对",
                        opts.vendor.label()
                    ),
                );
                continue;
            }
        };
        if recordings.is_empty() {
            reject(summary, line, &stem, "文件里没有识别结果".into());
        }
        let single = recordings.len() == 1 && !jsonl;
        for rec in recordings {
            summary.recordings += 1;
            let mut keys = rec.keys.clone();
            if single {
                keys.push(stem.clone());
            }
            let name = keys.first().cloned().unwrap_or_else(|| stem.clone());
            let sentences = match rec.outcome {
                Ok(s) => s,
                Err(why) => {
                    let id = match list.take(&keys) {
                        Some(Ok(i)) => list.rows[i].call_id.clone(),
                        _ => name,
                    };
                    reject(summary, line, &id, why);
                    continue;
                }
            };
            let row = match list.take(&keys) {
                Some(Ok(i)) => &list.rows[i],
                Some(Err(call_id)) => {
                    reject(
                        summary,
                        line,
                        &call_id,
                        format!("通话 {call_id} 的录音有两个识别结果，只用第一个"),
                    );
                    continue;
                }
                None => {
                    reject(
                        summary,
                        line,
                        &name,
                        format!(
                            "通话记录里找不到录音 {}：请在通话记录的录音文件或任务编号列写上它",
                            keys.join(" / ")
                        ),
                    );
                    continue;
                }
            };
            match convert(row, &sentences, opts.agent_channel) {
                Ok((json, roles)) => {
                    w.write_all(json.as_bytes())?;
                    w.write_all(b"\n")?;
                    summary.written += 1;
                    if roles.by_evidence {
                        summary.by_evidence += 1;
                        if roles.confidence < 0.9 {
                            summary.low_confidence += 1;
                        }
                    }
                }
                Err(why) => {
                    let id = row.call_id.clone();
                    reject(summary, line, &id, why);
                }
            }
        }
    }
    Ok(())
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "导入完成：识别结果 {} 个，写出通话 {} 通，拒收 {} 条（见 {}）",
            self.recordings,
            self.written,
            self.rejects.len(),
            self.rejects_path.display()
        )?;
        if !self.skipped.is_empty() {
            writeln!(f, "结果文件夹里没有读取的：")?;
            for s in &self.skipped {
                writeln!(f, "  {}：{}", s.path.display(), s.reason)?;
            }
        }
        if self.by_evidence > 0 {
            writeln!(
                f,
                "按说话内容判断话务员的单声道通话 {} 通，其中话务员不是先开口的 {} 通（可信度较低，建议在通话记录写明 agent_channel）",
                self.by_evidence, self.low_confidence
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(id: i64, start: f64, text: &str) -> Sentence {
        Sentence {
            id: Some(id),
            start_ms: start,
            end_ms: start + 1000.0,
            text: text.into(),
            confidence: None,
            measures: Measures::default(),
        }
    }

    #[test]
    fn the_speaker_who_greets_is_the_agent_whatever_their_id() {
        let call = [
            s(1, 500.0, "您好！市长热线，请问有什么可以帮到您？"),
            s(0, 3000.0, "你好，我要反映噪音。"),
            s(1, 6000.0, "感谢您的来电，再见！"),
        ];
        let r = decide_roles(&call, AgentChannel::Auto).expect("decided");
        assert_eq!(r.agent, 1);
        assert!(r.by_evidence && r.confidence > 0.9);
        // The caller speaking first lowers the confidence, not the answer.
        let call = [
            s(0, 0.0, "喂？"),
            s(1, 500.0, "您好，市长热线，请问有什么可以帮您？"),
        ];
        let r = decide_roles(&call, AgentChannel::Auto).expect("decided");
        assert_eq!((r.agent, r.confidence), (1, 0.75));
    }

    #[test]
    fn a_call_nobody_greets_or_with_one_speaker_is_not_guessed() {
        let none = [s(0, 0.0, "喂？"), s(1, 500.0, "你说。")];
        let e = decide_roles(&none, AgentChannel::Auto).expect_err("undecided");
        assert!(e.contains("分不清哪一方是话务员"), "{e}");
        let one = [s(0, 0.0, "您好，市长热线"), s(0, 900.0, "喂？")];
        let e = decide_roles(&one, AgentChannel::Auto).expect_err("one speaker");
        assert!(e.contains("只识别出一个说话人"), "{e}");
        // Must not: a caller asking for 市长热线 outweighing the agent's greeting.
        let call = [
            s(0, 0.0, "喂，是市长热线吗？"),
            s(1, 500.0, "您好！市长热线，请问有什么可以帮到您？"),
        ];
        assert_eq!(
            decide_roles(&call, AgentChannel::Auto).map(|r| r.agent),
            Ok(1)
        );
    }

    #[test]
    fn a_named_channel_decides_without_evidence() {
        let call = [s(0, 0.0, "喂？"), s(1, 500.0, "你说。")];
        let r = decide_roles(&call, AgentChannel::Channel(1)).expect("named");
        assert_eq!((r.agent, r.by_evidence), (1, false));
        let e = decide_roles(&[s(0, 0.0, "喂")], AgentChannel::Channel(1)).expect_err("empty");
        assert!(e.contains("声道 1 上没有一句话"), "{e}");
    }

    #[test]
    fn roles_the_service_named_win_over_the_channel_unless_the_greeting_contradicts_them() {
        // Huawei's AGENT / USER: the named agent is the agent whatever
        // channel the call list names, and though it never greets.
        let call = [
            s(NAMED_CALLER, 0.0, "喂？"),
            s(NAMED_AGENT, 500.0, "您好，请讲。"),
        ];
        for rule in [AgentChannel::Auto, AgentChannel::Channel(1)] {
            let r = decide_roles(&call, rule).expect("named");
            assert_eq!((r.agent, r.by_evidence), (NAMED_AGENT, false));
        }
        // Must not: a USER who gives the hotline's greeting, to an AGENT
        // who does not, scored with the roles as named.
        let swapped = [
            s(NAMED_CALLER, 0.0, "您好！市长热线，请问有什么可以帮到您？"),
            s(NAMED_AGENT, 3000.0, "我要反映噪音。"),
        ];
        let e = decide_roles(&swapped, AgentChannel::Auto).expect_err("contradicted");
        assert!(e.contains("LEFT_AGENT"), "{e}");
    }

    #[test]
    fn recording_keys_ignore_folders_and_extensions() {
        assert_eq!(
            normalise_key("录音/2026/20261127-000103.wav"),
            "20261127-000103"
        );
        assert_eq!(normalise_key("C:\\rec\\a.MP3"), "a");
        assert_eq!(normalise_key("4500055927"), "4500055927");
        // Must not: a version-like id loses its tail.
        assert_eq!(normalise_key("call.2026"), "call.2026");
    }

    #[test]
    fn emotions_are_normalised_and_energies_kept_raw_only() {
        assert_eq!(
            emotion_fields(Some(r#"["angry"]"#)),
            (Some("angry"), Some(r#"["angry"]"#.to_string()))
        );
        assert_eq!(
            emotion_fields(Some("NORMAL")),
            (Some("neutral"), Some("NORMAL".to_string()))
        );
        assert_eq!(
            emotion_fields(Some("surprise")),
            (Some("other"), Some("surprise".to_string()))
        );
        // Must not: Aliyun's energy read as a label, or an empty list kept.
        assert_eq!(emotion_fields(Some("6.1")), (None, Some("6.1".to_string())));
        assert_eq!(emotion_fields(Some("[]")), (None, None));
        assert_eq!(emotion_fields(None), (None, None));
        // Rates converted from characters a second read as whole numbers;
        // a negative or NaN measurement is not written.
        assert_eq!(measurement(Some(5.2 * 60.0), 1), Some(312.0));
        assert_eq!(measurement(Some(-1.0), 1), None);
        assert_eq!(measurement(Some(f64::NAN), 3), None);
    }

    #[test]
    fn agent_channel_names() {
        assert_eq!("left".parse(), Ok(AgentChannel::Channel(0)));
        assert_eq!("右".parse(), Ok(AgentChannel::Channel(1)));
        assert_eq!("单声道".parse(), Ok(AgentChannel::Auto));
        assert!("2".parse::<AgentChannel>().is_err());
    }

    #[test]
    fn a_gbk_call_list_with_chinese_headers_is_read() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/asr/通话记录-gbk.csv");
        let mut rejects = Vec::new();
        let list = CallList::read(&path, &mut rejects).expect("call list");
        assert!(rejects.is_empty(), "{rejects:?}");
        assert_eq!(list.rows.len(), 5);
        let dual = &list.rows[0];
        assert_eq!(
            (
                dual.call_id.as_str(),
                dual.operator_name.as_str(),
                dual.team.as_str()
            ),
            ("20261127-900001", "王芳", "A班")
        );
        assert_eq!(dual.started_at, "2026-11-27T09:15:02+08:00");
        assert_eq!(dual.agent_channel, Some(AgentChannel::Channel(1)));
        assert_eq!(dual.ended_by, Some(Speaker::Agent));
        assert_eq!(list.rows[1].ended_by, Some(Speaker::Caller));
        assert_eq!(list.rows[1].agent_channel, None);
        assert_eq!(list.by_key.get("mono"), Some(&1));
        assert_eq!(list.by_key.get("20261127-900002"), Some(&1));
    }

    #[test]
    fn call_list_rows_that_cannot_be_used_are_rejected_with_the_field() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("calls.csv");
        std::fs::write(
            &path,
            "recording,call_id,operator_id,started_at,agent_channel\n\
             a.wav,C1,,2026-11-27 09:00,\n\
             b.wav,C2,1001,昨天,\n\
             c.wav,C3,1001,2026-11-27 09:00,3\n\
             d.wav,C4,1001,2026-11-27 09:00,left\n\
             d.wav,C5,1001,2026-11-27 09:00,\n",
        )
        .expect("write");
        let mut rejects = Vec::new();
        let list = CallList::read(&path, &mut rejects).expect("call list");
        assert_eq!(list.rows.len(), 1);
        let got: Vec<(u64, &str)> = rejects
            .iter()
            .map(|r| (r.line, r.record_id.as_str()))
            .collect();
        assert_eq!(got, vec![(2, "C1"), (3, "C2"), (4, "C3"), (6, "C5")]);
        assert!(rejects[0].reason.contains("坐席工号"));
        assert!(rejects[1].reason.contains("开始时间"));
        assert!(rejects[2].reason.contains("话务员声道"));
        assert!(rejects[3].reason.contains("与第 5 行重复"));
        // Must not: a list without the operator column is read at all.
        std::fs::write(&path, "call_id,started_at\nC1,2026-11-27 09:00\n").expect("write");
        let e = CallList::read(&path, &mut Vec::new()).expect_err("no operator column");
        assert!(e.to_string().contains("operator_id"), "{e}");
    }
}
