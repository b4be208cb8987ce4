//! `hotline-qa try-rule`: before a changed lexicon or threshold goes into
//! the scorecard, a QA lead tries it on one dialogue — pasted from a
//! transcript viewer or given as a file — and sees what the changed
//! scorecard catches and how that differs from the current one.
//!
//! Two parts: a forgiving dialogue reader ([`read_dialogue`]: one
//! transcript JSON line as in the spec, or plain text `坐席：您好……` one
//! utterance a line, with optional times) and the Chinese rendering of the
//! comparison ([`try_rule`]). Nothing here decides a violation: both
//! scorecards are applied by [`Scorer::score`] exactly as `score` does.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use chrono::DateTime;

use crate::input::time::default_offset;
use crate::input::transcripts::{parse_line, Limits};
use crate::model::{Call, Finding, NormId, Severity, Source, Speaker, Ticket, Utterance};
use crate::norms::{ScoredCall, Scorer};
use crate::report::num;
use crate::text::count_chars;

/// The call id every pasted plain-text dialogue gets.
pub const CALL_ID: &str = "try-rule";
/// The operator id every pasted plain-text dialogue gets.
pub const OPERATOR_ID: &str = "-";
/// The start time every pasted plain-text dialogue gets: fixed, so that
/// the output never depends on when it was run.
pub const STARTED_AT: &str = "2026-01-05T09:00:00+08:00";
/// Speaking speed used to synthesise missing times, in counted characters
/// a second (270 字/分钟, inside the default pace band).
pub const CHARS_PER_SECOND: f64 = 4.5;
/// Pause between utterances when times are synthesised, in seconds; the
/// first utterance starts this long into the call.
pub const GAP_SECONDS: f64 = 0.5;

/// Speaker labels accepted in pasted text (compared ignoring ASCII case).
const LABELS: &[(&str, Speaker)] = &[
    ("话务员", Speaker::Agent),
    ("坐席", Speaker::Agent),
    ("座席", Speaker::Agent),
    ("客服", Speaker::Agent),
    ("agent", Speaker::Agent),
    ("operator", Speaker::Agent),
    ("A", Speaker::Agent),
    ("来电人", Speaker::Caller),
    ("来电者", Speaker::Caller),
    ("来电", Speaker::Caller),
    ("市民", Speaker::Caller),
    ("群众", Speaker::Caller),
    ("客户", Speaker::Caller),
    ("caller", Speaker::Caller),
    ("customer", Speaker::Caller),
    ("C", Speaker::Caller),
    ("承办单位", Speaker::Unit),
    ("单位", Speaker::Unit),
    ("部门", Speaker::Unit),
    ("unit", Speaker::Unit),
    ("U", Speaker::Unit),
];

/// The label help shown with a line that has none.
const LABEL_HELP: &str = "每行应是“说话人：说的话”，说话人写 坐席/话务员/客服/agent/A、\
来电人/市民/群众/caller/C 或 单位/unit/U，冒号用中文“：”或英文“:”都可以，\
前面可加时间如 [00:12]、[00:12-00:15] 或 12.5-15.0。";

/// The most bytes read from a file or standard input (one call is far less).
const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// A dialogue read for `try-rule`, with what the reader had to assume.
#[derive(Clone, Debug, PartialEq)]
pub struct Dialogue {
    /// The call built from the text.
    pub call: Call<'static>,
    /// Plain-language notes (in Chinese) on what was assumed — synthesised
    /// times, reordering — shown above the dialogue.
    pub notes: Vec<String>,
}

/// Reads one dialogue: a transcript JSON line exactly as in the spec, or
/// plain text with one utterance a line. `source` names the input in
/// errors (a file name, or 标准输入).
pub fn parse_dialogue(text: &str, source: &str) -> anyhow::Result<Call<'static>> {
    read_dialogue(text, source).map(|d| d.call)
}

/// Like [`parse_dialogue`], keeping the notes on what was assumed.
pub fn read_dialogue(text: &str, source: &str) -> anyhow::Result<Dialogue> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text
        .lines()
        .enumerate()
        .find(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    match first {
        None => bail!("{source}：没有读到对话（空的，或只有注释行）。{LABEL_HELP}"),
        Some((i, l)) if l.trim_start().starts_with('{') => read_json(text, source, i + 1),
        Some(_) => read_plain(text, source),
    }
}

/// Reads the dialogue from a file, or from standard input when `file` is
/// `None` or `-` (so that a QA lead can paste it).
pub fn load_dialogue(file: Option<&Path>) -> anyhow::Result<Dialogue> {
    let mut bytes = Vec::new();
    let source = match file {
        Some(p) if p.as_os_str() != "-" => {
            let name = p.display().to_string();
            let f = std::fs::File::open(p).with_context(|| format!("{name}：打不开对话文件"))?;
            f.take(MAX_BYTES + 1)
                .read_to_end(&mut bytes)
                .with_context(|| format!("{name}：读不了对话文件"))?;
            name
        }
        _ => {
            std::io::stdin()
                .lock()
                .take(MAX_BYTES + 1)
                .read_to_end(&mut bytes)
                .context("标准输入：读不了粘贴的对话")?;
            "标准输入".to_string()
        }
    };
    if bytes.len() as u64 > MAX_BYTES {
        bail!("{source}：超过 64 MiB，不像是一通电话；请只给要试的那一通");
    }
    let text = crate::input::decode_text(&bytes);
    read_dialogue(&text, &source)
}

fn read_json(text: &str, source: &str, line: usize) -> anyhow::Result<Dialogue> {
    let trimmed = text.trim();
    let one_line = match serde_json::from_str::<serde_json::Value>(trimmed) {
        Ok(v) => v.to_string(),
        Err(e) => {
            let json_lines = text
                .lines()
                .filter(|l| {
                    let l = l.trim();
                    !l.is_empty() && serde_json::from_str::<serde_json::Value>(l).is_ok()
                })
                .count();
            if json_lines > 1 {
                bail!(
                    "{source}：有 {json_lines} 行通话记录（JSON Lines），try-rule 一次只试一通电话；\
                     请只留下要试的那一行（看文件里的某通电话也可以用 hotline-qa explain 通话编号 文件）"
                );
            }
            bail!(
                "{source} 第 {} 行第 {} 列：不是合法的 JSON（{e}）",
                line + e.line().saturating_sub(1),
                e.column()
            );
        }
    };
    let file: Arc<str> = source.into();
    let call = parse_line(
        one_line.as_bytes(),
        &file,
        line as u64,
        default_offset(),
        &Limits::default(),
    )
    .map_err(|r| anyhow!("{} 第 {} 行：{}", r.file, r.line, r.reason))?
    .into_owned();
    let mut notes = Vec::new();
    if call.resorted {
        notes.push(
            "发言不是按时间顺序给出的，已按开始时间重新排序（句子编号按排序后的顺序）".into(),
        );
    }
    Ok(Dialogue { call, notes })
}

/// Times given on one line: a start, and an end when a range was given.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Times {
    start: f64,
    end: Option<f64>,
}

/// One plain-text line, read.
#[derive(Debug, PartialEq)]
struct Line {
    speaker: Speaker,
    times: Option<Times>,
    words: String,
}

/// Why a plain-text line could not be read (without the line number).
#[derive(Debug, PartialEq)]
enum LineError {
    NoLabel,
    NoWords,
    TwoTimes,
    BadTime(String),
}

fn read_plain(text: &str, source: &str) -> anyhow::Result<Dialogue> {
    let mut lines: Vec<(usize, Line)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let shown = crate::text::excerpt(trimmed, 60);
        let line = parse_text_line(trimmed).map_err(|e| match e {
            LineError::NoLabel => {
                anyhow!("{source} 第 {n} 行：认不出说话人：「{shown}」。{LABEL_HELP}")
            }
            LineError::NoWords => {
                anyhow!("{source} 第 {n} 行：只有说话人，没有说的话：「{shown}」。没说话的行请删掉")
            }
            LineError::TwoTimes => {
                anyhow!("{source} 第 {n} 行：说话人前后各有一个时间，只能写一个：「{shown}」")
            }
            LineError::BadTime(why) => anyhow!("{source} 第 {n} 行：{why}：「{shown}」"),
        })?;
        lines.push((n, line));
        if lines.len() > Limits::default().max_utterances {
            bail!(
                "{source}：超过 {} 句，不像是一通电话",
                Limits::default().max_utterances
            );
        }
    }
    let Some(&(first_line, _)) = lines.first() else {
        bail!("{source}：没有读到对话（空的，或只有注释行）。{LABEL_HELP}");
    };
    let (utterances, mut notes) = place_in_time(&lines);
    let mut call = Call {
        call_id: CALL_ID.into(),
        operator_id: OPERATOR_ID.into(),
        operator_name: String::new(),
        team: String::new(),
        started_at: DateTime::parse_from_rfc3339(STARTED_AT).context("try-rule 的固定开始时间")?,
        ended_by: None,
        caller_number: None,
        utterances,
        resorted: false,
        source: Source {
            file: source.into(),
            line: first_line as u64,
        },
    };
    if call.utterances.windows(2).any(|w| w[1].start < w[0].start) {
        call.utterances.sort_by(|a, b| a.start.total_cmp(&b.start));
        call.resorted = true;
        notes.push(
            "发言不是按时间顺序给出的，已按开始时间重新排序（句子编号按排序后的顺序）".into(),
        );
    }
    Ok(Dialogue { call, notes })
}

/// Seconds a text takes at [`CHARS_PER_SECOND`], to 0.1 s, at least 0.1 s.
fn duration(text: &str) -> f64 {
    round1((count_chars(text).max(1) as f64 / CHARS_PER_SECOND).max(0.1))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Gives every line a start and an end, synthesising what is missing, and
/// says in the notes what was synthesised.
fn place_in_time(lines: &[(usize, Line)]) -> (Vec<Utterance<'static>>, Vec<String>) {
    let mut notes = Vec::new();
    let none_timed = lines.iter().all(|(_, l)| l.times.is_none());
    let mut no_time = Vec::new();
    let mut start_only = Vec::new();
    let mut out: Vec<Utterance> = Vec::with_capacity(lines.len());
    for (i, (_, l)) in lines.iter().enumerate() {
        // The next given start, so that an estimated end never runs into
        // the next utterance (which would look like an interruption).
        let next_start = lines[i + 1..]
            .iter()
            .find_map(|(_, l)| l.times.map(|t| t.start));
        let cap = |start: f64, end: f64| match next_start {
            Some(n) if n >= start => end.min(n),
            _ => end,
        };
        let (start, end) = match l.times {
            Some(Times {
                start,
                end: Some(end),
            }) => (start, end),
            Some(Times { start, end: None }) => {
                start_only.push(i);
                (start, cap(start, start + duration(&l.words)))
            }
            None => {
                no_time.push(i);
                let start = round1(out.last().map_or(0.0, |u| u.end) + GAP_SECONDS);
                (start, cap(start, start + duration(&l.words)))
            }
        };
        out.push(Utterance {
            speaker: l.speaker,
            start,
            end: end.max(start),
            text: l.words.clone().into(),
            confidence: None,
            measured: Default::default(),
        });
    }
    let pace = format!("每秒 {} 个字", num(CHARS_PER_SECOND));
    if none_timed {
        notes.push(format!(
            "对话没有给出时间：按{pace}、句间停顿 {} 秒推算了每句的起止时间（第一句从 {} 秒开始）。\
             语速、服务态度（接话慢）、沟通技巧（打断）这几项按推算的时间评，只能说明规则怎么判，不代表真实通话",
            num(GAP_SECONDS),
            num(GAP_SECONDS)
        ));
    } else {
        if !start_only.is_empty() {
            notes.push(format!(
                "句序号 {} 只给了开始时间：结束时间按{pace}推算（不超过下一句的开始）",
                list(&start_only)
            ));
        }
        if !no_time.is_empty() {
            notes.push(format!(
                "句序号 {} 没有时间：接在上一句之后 {} 秒开始，按{pace}推算",
                list(&no_time),
                num(GAP_SECONDS)
            ));
        }
    }
    (out, notes)
}

fn list(ns: &[usize]) -> String {
    let shown: Vec<String> = ns.iter().take(10).map(|n| n.to_string()).collect();
    let more = if ns.len() > 10 { " 等" } else { "" };
    format!("{}{more}", shown.join("、"))
}

/// Reads `[时间] 说话人 [时间]：说的话` (the line already trimmed).
fn parse_text_line(line: &str) -> Result<Line, LineError> {
    let (before, rest) = take_time(line, true)?;
    let rest = rest.trim_start();
    let (speaker, rest) = take_label(rest).ok_or(LineError::NoLabel)?;
    let rest = rest.trim_start();
    let (after, rest) = take_time(rest, true)?;
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix(':')
        .or_else(|| rest.strip_prefix('：'))
        .ok_or(LineError::NoLabel)?;
    let rest = rest.trim_start();
    // After the colon only a bracketed time counts: "10-20 个工作日" is words.
    let (in_words, rest) = take_time(rest, false)?;
    let words = rest.trim();
    let mut given = [before, after, in_words].into_iter().flatten();
    let times = given.next();
    if given.next().is_some() {
        return Err(LineError::TwoTimes);
    }
    if words.is_empty() {
        return Err(LineError::NoWords);
    }
    Ok(Line {
        speaker,
        times,
        words: words.to_string(),
    })
}

/// The longest speaker label `s` starts with.
fn take_label(s: &str) -> Option<(Speaker, &str)> {
    LABELS
        .iter()
        .filter(|(label, _)| {
            s.get(..label.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(label))
        })
        .max_by_key(|(label, _)| label.len())
        .map(|(label, speaker)| (*speaker, &s[label.len()..]))
}

const OPEN: &[char] = &['[', '【'];
const CLOSE: &[char] = &[']', '】'];
const DASHES: &[char] = &['-', '–', '—', '~', '～', '至'];

/// Takes a time at the start of `s`: `[12.5]`, `[00:12]`, `[00:12-00:15]`,
/// `[12.5-15.0]`, and when `bare` also `12.5-15.0` or `00:12-00:15`
/// without brackets (a bare time must be a range, so that a numbered line
/// is not read as a time). Returns the rest of `s` after it.
fn take_time(s: &str, bare: bool) -> Result<(Option<Times>, &str), LineError> {
    if let Some(inner_start) = s.strip_prefix(OPEN) {
        let Some(close) = inner_start.find(CLOSE) else {
            return Ok((None, s));
        };
        let inner = &inner_start[..close];
        let close_len = inner_start[close..]
            .chars()
            .next()
            .map_or(1, char::len_utf8);
        let rest = &inner_start[close + close_len..];
        // A bracket that holds no digits is not meant as a time.
        if !inner.chars().any(|c| c.is_ascii_digit()) {
            return Ok((None, s));
        }
        return match parse_range(inner.trim()) {
            Some(times) => check(times).map(|t| (Some(t), rest)),
            // After the colon, "[2号楼]" is words; before it, a time was meant.
            None if !bare => Ok((None, s)),
            None => Err(LineError::BadTime(format!(
                "方括号里的“{inner}”不是时间（写成 [00:12]、[00:12-00:15] 或 [12.5-15.0]）"
            ))),
        };
    }
    if !bare {
        return Ok((None, s));
    }
    let end = s
        .char_indices()
        .find(|&(_, c)| {
            !(c.is_ascii_digit() || c == '.' || c == ':' || c == ' ' || DASHES.contains(&c))
        })
        .map_or(s.len(), |(i, _)| i);
    let token = s[..end].trim_end();
    // A bare time needs a dash between two times; a lone number is not one.
    if token.is_empty()
        || !token.contains(DASHES)
        || !token.starts_with(|c: char| c.is_ascii_digit())
    {
        return Ok((None, s));
    }
    match parse_range(token) {
        Some(t) if t.end.is_some() => check(t).map(|t| (Some(t), &s[token.len()..])),
        _ => Ok((None, s)),
    }
}

fn check(t: Times) -> Result<Times, LineError> {
    match t.end {
        Some(end) if end < t.start => Err(LineError::BadTime(format!(
            "结束时间 {} 秒早于开始时间 {} 秒",
            num(end),
            num(t.start)
        ))),
        _ => Ok(t),
    }
}

/// `T` or `T-T`, where `T` is seconds (`12.5`, `12.5s`), `mm:ss` or `h:mm:ss`.
fn parse_range(s: &str) -> Option<Times> {
    match s.split_once(DASHES) {
        Some((a, b)) => Some(Times {
            start: parse_time(a.trim())?,
            end: Some(parse_time(b.trim())?),
        }),
        None => Some(Times {
            start: parse_time(s)?,
            end: None,
        }),
    }
}

fn parse_time(s: &str) -> Option<f64> {
    let s = s
        .strip_suffix('s')
        .or_else(|| s.strip_suffix('秒'))
        .unwrap_or(s)
        .trim_end();
    let number = |p: &str| -> Option<f64> {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        p.parse::<f64>().ok().filter(|x| x.is_finite())
    };
    let whole = |p: &str| -> Option<f64> {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        p.parse::<u32>().ok().map(f64::from)
    };
    let parts: Vec<&str> = s.split(':').collect();
    match parts.as_slice() {
        [sec] => number(sec),
        [m, sec] => {
            let sec = number(sec).filter(|x| *x < 60.0)?;
            Some(whole(m)? * 60.0 + sec)
        }
        [h, m, sec] => {
            let sec = number(sec).filter(|x| *x < 60.0)?;
            let m = whole(m).filter(|x| *x < 60.0)?;
            Some(whole(h)? * 3600.0 + m * 60.0 + sec)
        }
        _ => None,
    }
}

/// Renders, in Chinese, the dialogue numbered with its times, what the
/// `changed` scorecard finds in it and its score, and the difference from
/// the `baseline` scorecard: 新增命中, 不再命中 and both scores.
pub fn try_rule(
    call: &Call,
    ticket: Option<&Ticket>,
    baseline: &Scorer,
    changed: &Scorer,
) -> String {
    render(call, &[], ticket, baseline, changed)
}

/// [`try_rule`] for a dialogue read by [`read_dialogue`], with its notes
/// (synthesised times …) shown above the dialogue.
pub fn try_rule_dialogue(
    dialogue: &Dialogue,
    ticket: Option<&Ticket>,
    baseline: &Scorer,
    changed: &Scorer,
) -> String {
    render(&dialogue.call, &dialogue.notes, ticket, baseline, changed)
}

fn render(
    call: &Call,
    notes: &[String],
    ticket: Option<&Ticket>,
    baseline: &Scorer,
    changed: &Scorer,
) -> String {
    let new = changed.score(call, ticket, &[]);
    let old = baseline.score(call, ticket, &[]);
    let mut out = String::new();

    let id = if call.call_id == CALL_ID {
        String::new()
    } else {
        format!("（通话 {}）", call.call_id)
    };
    let _ = writeln!(
        out,
        "对话{id}，共 {} 句（句序号从 0 起，与 findings.csv、复核表相同）：",
        call.utterances.len()
    );
    for note in notes {
        let _ = writeln!(out, "  注意：{note}。");
    }
    for (i, u) in call.utterances.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:>3}  [{:>6.1}–{:>6.1}s]  {}：{}",
            i,
            u.start,
            u.end,
            u.speaker.label_zh(),
            u.text
        );
    }
    if ticket.is_none() {
        // The ticket norms the new scorecard has (a centre's own may drop them).
        let needs: Vec<&str> = [NormId::Process, NormId::Ticket]
            .into_iter()
            .filter(|n| changed.items().position(*n).is_some())
            .map(|n| n.name_zh())
            .collect();
        match needs.len() {
            2 => {
                let _ = writeln!(out, "  （没有工单：执行流程、工单书写两项不评）");
            }
            1 => {
                let _ = writeln!(out, "  （没有工单：{}不评）", needs[0]);
            }
            _ => {}
        }
    }

    let _ = writeln!(
        out,
        "\n改后的评分表（{}）找到 {} 条问题：",
        version(changed),
        new.findings.len()
    );
    if new.findings.is_empty() {
        let _ = writeln!(out, "  （没有）");
    }
    for f in &new.findings {
        finding_block(&mut out, call, f, true);
    }
    let _ = writeln!(out, "得分：{}", verdict(changed, &new));
    let not_assessed: Vec<&str> = changed
        .items()
        .iter()
        .zip(new.earned.iter())
        .filter(|(_, e)| e.is_none())
        .map(|(i, _)| i.name_zh())
        .collect();
    if !not_assessed.is_empty() {
        let _ = writeln!(out, "不评（不适用或已关闭）：{}", not_assessed.join("、"));
    }

    let _ = writeln!(out, "\n与现行评分表（{}）相比：", version(baseline));
    let added = unmatched(&new.findings, &old.findings);
    let removed = unmatched(&old.findings, &new.findings);
    // The items of both scorecards: the new one's in order, then any the
    // old one had and the new one dropped.
    let mut both: Vec<NormId> = changed.items().norms().collect();
    both.extend(
        baseline
            .items()
            .norms()
            .filter(|n| changed.items().position(*n).is_none()),
    );
    let norms_changed: Vec<String> = both
        .iter()
        .filter(|n| earned_of(changed, &new, **n) != earned_of(baseline, &old, **n))
        .map(|n| {
            format!(
                "{} {} → {}",
                n.name_zh(),
                earned(baseline, &old, *n),
                earned(changed, &new, *n)
            )
        })
        .collect();
    let same_score = new.score == old.score && new.red_line == old.red_line;
    if added.is_empty() && removed.is_empty() && same_score && norms_changed.is_empty() {
        let _ = writeln!(
            out,
            "  没有差别：两份评分表在这段对话上命中的问题完全相同，得分都是 {}。",
            verdict(changed, &new)
        );
        return out;
    }
    let _ = writeln!(
        out,
        "  新增命中（改后有、现行没有）：{}",
        count_or_none(added.len())
    );
    for f in &added {
        finding_block(&mut out, call, f, false);
    }
    let _ = writeln!(
        out,
        "  不再命中（现行有、改后没有）：{}",
        count_or_none(removed.len())
    );
    for f in &removed {
        finding_block(&mut out, call, f, false);
    }
    if added.is_empty() && removed.is_empty() {
        let _ = writeln!(
            out,
            "  命中的问题相同，得分不同（分值、扣分方式或评哪几项改了）。"
        );
    }
    let _ = writeln!(
        out,
        "  得分：现行 {} → 改后 {}",
        verdict(baseline, &old),
        verdict(changed, &new)
    );
    if !norms_changed.is_empty() {
        let _ = writeln!(out, "  分项：{}", norms_changed.join("；"));
    }
    out
}

fn version(s: &Scorer) -> String {
    format!("版本 {}", s.config().version)
}

fn count_or_none(n: usize) -> String {
    if n == 0 {
        "无".into()
    } else {
        format!("{n} 条")
    }
}

/// `90（良好，及格）`, or the red line.
fn verdict(s: &Scorer, c: &ScoredCall) -> String {
    let cfg = s.config();
    if c.red_line {
        return format!("{}（红线，一票否决）", num(c.score));
    }
    let pass = if c.score >= cfg.pass_mark {
        "及格"
    } else {
        "不及格"
    };
    format!(
        "{}（{}，{}，及格线 {}）",
        num(c.score),
        cfg.grades.grade(c.score),
        pass,
        num(cfg.pass_mark)
    )
}

/// The points `c` earned on item `n` of `s`'s scorecard (None: not
/// assessed, or not one of its items).
fn earned_of(s: &Scorer, c: &ScoredCall, n: NormId) -> Option<f64> {
    s.items()
        .position(n)
        .and_then(|p| c.earned.get(p).copied().flatten())
}

fn earned(s: &Scorer, c: &ScoredCall, n: NormId) -> String {
    match (earned_of(s, c, n), s.items().get(n)) {
        (Some(e), Some(i)) => format!("{}/{}", num(e), num(i.points)),
        (_, None) => "不在评分表".into(),
        (None, _) => "不评".into(),
    }
}

/// The findings of `a` that `b` has not, matched by (rule, utterance,
/// excerpt) and counted, so that a second identical hit is not hidden.
fn unmatched<'a>(a: &'a [Finding], b: &[Finding]) -> Vec<&'a Finding> {
    unmatched_at(a, b).into_iter().map(|k| &a[k]).collect()
}

/// As [`unmatched`], by index into `a` (`try-rule --run` keeps the
/// indices to show the findings with their call).
pub(crate) fn unmatched_at(a: &[Finding], b: &[Finding]) -> Vec<usize> {
    let mut used = vec![false; b.len()];
    let mut out = Vec::new();
    for (k, f) in a.iter().enumerate() {
        let found = b.iter().enumerate().position(|(j, g)| {
            !used[j]
                && g.rule == f.rule
                && g.utterance_index == f.utterance_index
                && g.excerpt == f.excerpt
        });
        match found {
            Some(j) => used[j] = true,
            None => out.push(k),
        }
    }
    out
}

fn describe(rule: &str) -> &'static str {
    crate::rules::describe(rule)
}

fn finding_block(out: &mut String, call: &Call, f: &Finding, with_points: bool) {
    let indent = if with_points { "  " } else { "    " };
    let place = match f.utterance_index {
        Some(i) => {
            let who = call
                .utterances
                .get(i)
                .map(|u| u.speaker.label_zh())
                .unwrap_or("");
            format!("句序号 {i} {who}")
        }
        None => "整通电话".into(),
    };
    let mark = match f.severity {
        Severity::RedLine => "!! 红线",
        Severity::Critical => "!! 重大风险",
        Severity::Deduct => "✗",
    };
    let points = if with_points {
        format!("　−{} 分", num(f.points))
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{indent}{mark} {}（{}）{place}{points}",
        f.rule,
        f.norm.name_zh()
    );
    let what = describe(f.rule);
    if !what.is_empty() {
        let _ = writeln!(out, "{indent}    规则：{what}");
    }
    let _ = writeln!(out, "{indent}    证据：{}", f.excerpt);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::lexicon::directory::Directory;

    fn line(s: &str) -> Result<Line, LineError> {
        parse_text_line(s)
    }

    #[test]
    fn labels_and_colons() {
        let cases: &[(&str, Speaker, &str)] = &[
            ("坐席：您好", Speaker::Agent, "您好"),
            ("坐席:您好", Speaker::Agent, "您好"),
            ("话务员 ： 您好", Speaker::Agent, "您好"),
            ("客服:您好", Speaker::Agent, "您好"),
            ("座席：您好", Speaker::Agent, "您好"),
            ("agent: hello", Speaker::Agent, "hello"),
            ("Agent：您好", Speaker::Agent, "您好"),
            ("A: 您好", Speaker::Agent, "您好"),
            ("a：您好", Speaker::Agent, "您好"),
            ("来电人：路灯坏了", Speaker::Caller, "路灯坏了"),
            ("来电：路灯坏了", Speaker::Caller, "路灯坏了"),
            ("市民:路灯坏了", Speaker::Caller, "路灯坏了"),
            ("群众：路灯坏了", Speaker::Caller, "路灯坏了"),
            ("caller: 路灯坏了", Speaker::Caller, "路灯坏了"),
            ("C：路灯坏了", Speaker::Caller, "路灯坏了"),
            ("单位：我们去看", Speaker::Unit, "我们去看"),
            ("承办单位：我们去看", Speaker::Unit, "我们去看"),
            ("unit: 我们去看", Speaker::Unit, "我们去看"),
            ("U：我们去看", Speaker::Unit, "我们去看"),
            // The words may hold colons of their own.
            (
                "坐席：时间是 10:30：请记好",
                Speaker::Agent,
                "时间是 10:30：请记好",
            ),
        ];
        for (input, speaker, words) in cases {
            let l = line(input).unwrap_or_else(|e| panic!("{input}: {e:?}"));
            assert_eq!(l.speaker, *speaker, "{input}");
            assert_eq!(l.words, *words, "{input}");
            assert_eq!(l.times, None, "{input}");
        }
    }

    #[test]
    fn time_formats() {
        let t = |start: f64, end: Option<f64>| Some(Times { start, end });
        let cases: &[(&str, Option<Times>)] = &[
            ("[00:12] 坐席：您好", t(12.0, None)),
            ("[01:02-01:05.5] 坐席：您好", t(62.0, Some(65.5))),
            ("[1:00:00-1:00:02] 坐席：您好", t(3600.0, Some(3602.0))),
            ("[12.5-15.0] 坐席：您好", t(12.5, Some(15.0))),
            ("[12.5 - 15] 坐席：您好", t(12.5, Some(15.0))),
            ("【12.5-15.0】坐席：您好", t(12.5, Some(15.0))),
            ("[12.5s-15s] 坐席：您好", t(12.5, Some(15.0))),
            ("[12.5] 坐席：您好", t(12.5, None)),
            ("12.5-15.0 坐席：您好", t(12.5, Some(15.0))),
            ("12.5–15.0 坐席：您好", t(12.5, Some(15.0))),
            ("00:12-00:15 坐席：您好", t(12.0, Some(15.0))),
            ("坐席 [00:12-00:15]：您好", t(12.0, Some(15.0))),
            ("坐席 12.5-15.0：您好", t(12.5, Some(15.0))),
            ("坐席[00:12]:您好", t(12.0, None)),
            ("坐席：[00:12] 您好", t(12.0, None)),
            // Not times: a bare number, a bare range after the colon, a
            // bracket that is not a time.
            ("坐席：10-20 个工作日", None),
            ("坐席：[注意] 您好", None),
            ("坐席：[2号楼] 您好", None),
        ];
        for (input, times) in cases {
            let l = line(input).unwrap_or_else(|e| panic!("{input}: {e:?}"));
            assert_eq!(l.times, *times, "{input}");
            assert_eq!(l.speaker, Speaker::Agent, "{input}");
        }
    }

    #[test]
    fn bad_lines() {
        let cases: &[(&str, LineError)] = &[
            ("您好，市长热线", LineError::NoLabel),
            ("坐席 您好", LineError::NoLabel),
            ("1. 坐席：您好", LineError::NoLabel),
            ("12.5 坐席：您好", LineError::NoLabel),
            ("老王：您好", LineError::NoLabel),
            ("坐席：", LineError::NoWords),
            ("[00:01] 坐席 [00:02]：您好", LineError::TwoTimes),
        ];
        for (input, err) in cases {
            assert_eq!(line(input).err().as_ref(), Some(err), "{input}");
        }
        for input in [
            "[00:15-00:12] 坐席：您好",
            "[00:75] 坐席：您好",
            "[1.2.3] 坐席：您好",
        ] {
            assert!(matches!(line(input), Err(LineError::BadTime(_))), "{input}");
        }
    }

    #[test]
    fn bad_line_errors_name_the_line() {
        let text = "# 试一试\n坐席：您好！市长热线\n\n您好，我要反映\n";
        let e = format!("{:#}", parse_dialogue(text, "d.txt").expect_err("an error"));
        assert!(e.contains("d.txt 第 4 行"), "{e}");
        assert!(e.contains("「您好，我要反映」"), "{e}");
        let e = format!(
            "{:#}",
            parse_dialogue("坐席：您好\n[00:09-00:03] 来电人：嗯\n", "p").expect_err("an error")
        );
        assert!(
            e.contains("p 第 2 行：结束时间 3 秒早于开始时间 9 秒"),
            "{e}"
        );
        let e = format!(
            "{:#}",
            parse_dialogue("\n# 只有注释\n", "p").expect_err("an error")
        );
        assert!(e.contains("没有读到对话"), "{e}");
    }

    #[test]
    fn synthesised_times() {
        let text = "坐席：您好！市长热线，请问有什么可以帮到您？\n来电人：路灯坏了\n坐席：好的\n";
        let d = read_dialogue(text, "p").expect("dialogue");
        let times: Vec<(f64, f64)> = d.call.utterances.iter().map(|u| (u.start, u.end)).collect();
        // 16 counted characters → 3.6 s; 4 → 0.9 s; 2 → 0.4 s.
        assert_eq!(times, vec![(0.5, 4.1), (4.6, 5.5), (6.0, 6.4)]);
        assert_eq!(d.notes.len(), 1);
        assert!(d.notes[0].contains("没有给出时间"), "{:?}", d.notes);
        assert_eq!(d.call.call_id, "try-rule");
        assert_eq!(d.call.operator_id, "-");
        assert_eq!(d.call.started_at.to_rfc3339(), "2026-01-05T09:00:00+08:00");
        assert_eq!(d.call.source.line, 1);
    }

    #[test]
    fn partly_given_times() {
        let text = "[00:01] 坐席：您好！市长热线，请问有什么可以帮到您？\n\
                    [00:03-00:08] 来电人：路灯坏了\n坐席：好的，请问在哪里？\n";
        let d = read_dialogue(text, "p").expect("dialogue");
        let times: Vec<(f64, f64)> = d.call.utterances.iter().map(|u| (u.start, u.end)).collect();
        // The first end is capped at the next start (3 s), not 1 + 3.6.
        assert_eq!(times, vec![(1.0, 3.0), (3.0, 8.0), (8.5, 10.1)]);
        assert_eq!(d.notes.len(), 2, "{:?}", d.notes);
        assert!(
            d.notes[0].starts_with("句序号 0 只给了开始时间"),
            "{:?}",
            d.notes
        );
        assert!(d.notes[1].starts_with("句序号 2 没有时间"), "{:?}", d.notes);
    }

    #[test]
    fn out_of_order_times_are_sorted_and_said() {
        let text = "[00:05-00:06] 来电人：嗯\n[00:01-00:04] 坐席：您好\n";
        let d = read_dialogue(text, "p").expect("dialogue");
        assert_eq!(d.call.utterances[0].speaker, Speaker::Agent);
        assert!(d.call.resorted);
        assert!(d.notes.iter().any(|n| n.contains("重新排序")));
    }

    #[test]
    fn json_line_input() {
        let json = r#"{"call_id":"c9","operator_id":"1024","started_at":"2026-11-27T09:15:02+08:00","utterances":[{"speaker":"agent","start":0.8,"end":4.8,"text":"您好！市长热线，请问有什么可以帮到您？","confidence":0.9},{"speaker":"caller","start":5.2,"end":8.0,"text":"路灯坏了"}]}"#;
        let call = parse_dialogue(&format!("\n{json}\n"), "c.jsonl").expect("call");
        assert_eq!(call.call_id, "c9");
        assert_eq!(call.utterances.len(), 2);
        assert_eq!(call.utterances[0].confidence, Some(0.9));
        assert_eq!(call.source.line, 2);
        // Pretty-printed JSON of one call is read too.
        let pretty = serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(json).expect("json"),
        )
        .expect("pretty");
        assert_eq!(
            parse_dialogue(&pretty, "c.json").expect("call").call_id,
            "c9"
        );
        // A wrong field is named with the line.
        let e = format!(
            "{:#}",
            parse_dialogue(&json.replace("\"agent\"", "\"boss\""), "c.jsonl")
                .expect_err("an error")
        );
        assert!(e.starts_with("c.jsonl 第 1 行："), "{e}");
        // Several calls: one at a time.
        let e = format!(
            "{:#}",
            parse_dialogue(&format!("{json}\n{json}\n"), "c.jsonl").expect_err("an error")
        );
        assert!(e.contains("有 2 行通话记录"), "{e}");
        let e = format!(
            "{:#}",
            parse_dialogue("{\"call_id\": ", "c.jsonl").expect_err("an error")
        );
        assert!(e.contains("不是合法的 JSON"), "{e}");
    }

    fn scorer(config: Config) -> Scorer {
        Scorer::new(config, Directory::builtin()).expect("scorer")
    }

    const DIALOGUE: &str = "坐席：您好！市长热线，请问有什么可以帮到您？\n\
                            来电人：我家楼下的路灯坏了\n\
                            坐席：哦，请问是哪个小区？\n\
                            来电人：阳光小区\n\
                            坐席：感谢您的来电，再见！\n";

    #[test]
    fn render_without_difference() {
        let d = read_dialogue(DIALOGUE, "p").expect("dialogue");
        let s = scorer(Config::default());
        let out = try_rule_dialogue(&d, None, &s, &s);
        assert!(out.contains("注意：对话没有给出时间"), "{out}");
        assert!(
            out.contains("    2  [   7.1–   8.9s]  话务员：哦，请问是哪个小区？"),
            "{out}"
        );
        assert!(
            out.contains("✗ taboo.forbidden_phrase（通话禁忌）句序号 2 话务员　−10 分"),
            "{out}"
        );
        assert!(out.contains("证据：【哦】，请问是哪个小区？"), "{out}");
        assert!(out.contains("没有差别"), "{out}");
        assert!(!out.contains("新增命中"), "{out}");
    }

    #[test]
    fn render_difference_both_ways() {
        let d = read_dialogue(DIALOGUE, "p").expect("dialogue");
        let base = scorer(Config::default());
        let mut cfg = Config {
            version: "试用".into(),
            disabled_rules: vec!["taboo.forbidden_phrase".into()],
            ..Config::default()
        };
        cfg.norms.pace.max_cpm = 200.0;
        let changed = scorer(cfg);
        let out = try_rule_dialogue(&d, None, &base, &changed);
        let added = out.find("新增命中").expect("added");
        let removed = out.find("不再命中").expect("removed");
        let pace = out.rfind("pace.too_fast").expect("pace");
        let taboo = out.rfind("taboo.forbidden_phrase").expect("taboo");
        assert!(added < pace && pace < removed, "{out}");
        assert!(removed < taboo, "{out}");
        assert!(out.contains("改后的评分表（版本 试用）"), "{out}");
        assert!(out.contains("分项："), "{out}");
        // try_rule on the bare call says nothing about synthesised times.
        assert!(!try_rule(&d.call, None, &base, &changed).contains("注意"));
    }

    #[test]
    fn unmatched_counts_duplicates() {
        let f = Finding::new(NormId::Taboo, "taboo.forbidden_phrase", "【哦】");
        let two = vec![f.clone(), f.clone()];
        assert_eq!(unmatched(&two, std::slice::from_ref(&f)).len(), 1);
        assert_eq!(unmatched(std::slice::from_ref(&f), &two).len(), 0);
    }
}
