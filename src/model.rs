//! The data every part of the pipeline shares: calls and their utterances,
//! tickets, the eleven norm keys and the findings that carry evidence.
//!
//! Only `input/` builds these from files, and only `report/` turns them into
//! output formats; everything in between (norms, workflow) works on these
//! types alone, which is what keeps the norms pure and testable.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDateTime};

/// Who spoke an utterance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Speaker {
    /// The hotline operator (话务员 / 坐席 / 客服).
    Agent,
    /// The citizen who called (来电人 / 市民 / 客户).
    Caller,
    /// Staff of the handling unit on a three-way call (承办单位).
    Unit,
}

impl Speaker {
    /// Parses a speaker label, accepting the spec's English keys and the
    /// Chinese and English aliases that hotline exports use.
    pub fn parse(label: &str) -> Option<Speaker> {
        const NAMES: [(&str, Speaker); 20] = [
            ("agent", Speaker::Agent),
            ("caller", Speaker::Caller),
            ("operator", Speaker::Agent),
            ("seat", Speaker::Agent),
            ("staff", Speaker::Agent),
            ("service", Speaker::Agent),
            ("话务员", Speaker::Agent),
            ("坐席", Speaker::Agent),
            ("客服", Speaker::Agent),
            ("座席", Speaker::Agent),
            ("customer", Speaker::Caller),
            ("citizen", Speaker::Caller),
            ("user", Speaker::Caller),
            ("client", Speaker::Caller),
            ("来电人", Speaker::Caller),
            ("市民", Speaker::Caller),
            ("客户", Speaker::Caller),
            ("来电者", Speaker::Caller),
            ("群众", Speaker::Caller),
            ("unit", Speaker::Unit),
        ];
        const UNIT: [&str; 4] = ["department", "承办单位", "单位", "部门"];
        // Called for every utterance: the spec's own keys first, then the
        // aliases compared in place, without a lower-cased copy.
        match label {
            "agent" => return Some(Speaker::Agent),
            "caller" => return Some(Speaker::Caller),
            _ => {}
        }
        let l = label.trim();
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(l))
            .map(|&(_, s)| s)
            .or_else(|| {
                UNIT.iter()
                    .any(|u| u.eq_ignore_ascii_case(l))
                    .then_some(Speaker::Unit)
            })
    }

    /// The stable English key used in outputs.
    pub fn key(self) -> &'static str {
        match self {
            Speaker::Agent => "agent",
            Speaker::Caller => "caller",
            Speaker::Unit => "unit",
        }
    }

    /// The Chinese label shown to people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Speaker::Agent => "话务员",
            Speaker::Caller => "来电人",
            Speaker::Unit => "承办单位",
        }
    }
}

/// Where a record came from, for rejects and error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file as the user named it.
    pub file: Arc<str>,
    /// 1-based line (JSONL line, or CSV/XLSX row counting the header as 1).
    pub line: u64,
}

/// One stretch of speech in a call. Its text is borrowed from the line
/// it was read from when that line holds it as is (no escapes), so that
/// reading a call copies none of its texts.
#[derive(Clone, Debug, PartialEq)]
pub struct Utterance<'a> {
    /// Who spoke.
    pub speaker: Speaker,
    /// Seconds from the start of the call.
    pub start: f64,
    /// Seconds from the start of the call, `end >= start`.
    pub end: f64,
    /// What was said, as the ASR wrote it.
    pub text: Cow<'a, str>,
    /// ASR confidence 0..1, when the export has it.
    pub confidence: Option<f64>,
    /// What the recognition service measured about this utterance, when
    /// the transcript carries it (spec §1.1's optional fields).
    pub measured: Measured,
}

/// The measurements a recognition service makes of an utterance, kept from
/// its result by `import` (spec §1.1: `speech_rate`, `silence_before`,
/// `emotion`). Compact: f32 is ample for a rate or a pause, and the hot path
/// holds one of these per utterance.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measured {
    /// Speech rate as the service measured it, characters a minute.
    pub speech_rate: Option<f32>,
    /// Silence before the utterance as the service measured it, seconds.
    pub silence_before: Option<f32>,
    /// The service's emotion label, normalised.
    pub emotion: Option<Emotion>,
}

/// A service's emotion label in one small set: services name emotions
/// differently (Tencent `angry`, Huawei `ANGRY`, a centre `愤怒`), and the
/// set is what a QA team looks for — an angry or upset caller or agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Emotion {
    /// Calm, no marked emotion (neutral, normal, 平静).
    Neutral,
    /// Pleased (happy, 高兴).
    Happy,
    /// Upset or sad (sad, 悲伤).
    Sad,
    /// Angry (angry, 生气, 愤怒).
    Angry,
    /// Any other label a service gives (surprise, fear …).
    Other,
}

impl Emotion {
    /// The stable key written in transcripts.
    pub fn key(self) -> &'static str {
        match self {
            Emotion::Neutral => "neutral",
            Emotion::Happy => "happy",
            Emotion::Sad => "sad",
            Emotion::Angry => "angry",
            Emotion::Other => "other",
        }
    }

    /// Normalises a label as services write it; `None` for an empty one.
    /// A label outside the set is `Other`, never an error: the emotion is
    /// information for people, no norm fails a call on it.
    pub fn parse(label: &str) -> Option<Emotion> {
        let l = label.trim();
        if l.is_empty() {
            return None;
        }
        const NAMES: [(&str, Emotion); 15] = [
            ("neutral", Emotion::Neutral),
            ("normal", Emotion::Neutral),
            ("calm", Emotion::Neutral),
            ("平静", Emotion::Neutral),
            ("中性", Emotion::Neutral),
            ("happy", Emotion::Happy),
            ("高兴", Emotion::Happy),
            ("开心", Emotion::Happy),
            ("sad", Emotion::Sad),
            ("悲伤", Emotion::Sad),
            ("难过", Emotion::Sad),
            ("angry", Emotion::Angry),
            ("anger", Emotion::Angry),
            ("生气", Emotion::Angry),
            ("愤怒", Emotion::Angry),
        ];
        Some(
            NAMES
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(l))
                .map_or(Emotion::Other, |&(_, e)| e),
        )
    }
}

/// One call transcript (its texts may borrow from the line it was read
/// from; see [`Utterance`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Call<'a> {
    /// Unique id of the call.
    pub call_id: String,
    /// The operator who took the call.
    pub operator_id: String,
    /// Shown in reports; may be empty.
    pub operator_name: String,
    /// 班组; may be empty.
    pub team: String,
    /// When the call started.
    pub started_at: DateTime<FixedOffset>,
    /// Who hung up, when known.
    pub ended_by: Option<Speaker>,
    /// The number the call came from as the phone system records it
    /// (主叫号码), when the transcript carries it. Personal data: masked in
    /// every output like any caller number.
    pub caller_number: Option<String>,
    /// The utterances in time order.
    pub utterances: Vec<Utterance<'a>>,
    /// True when the input listed the utterances out of time order and the
    /// reader sorted them.
    pub resorted: bool,
    /// Where the call was read from.
    pub source: Source,
}

impl Call<'_> {
    /// The same call owning its texts, to keep beyond its line.
    pub fn into_owned(self) -> Call<'static> {
        Call {
            utterances: self
                .utterances
                .into_iter()
                .map(|u| Utterance {
                    text: Cow::Owned(u.text.into_owned()),
                    speaker: u.speaker,
                    start: u.start,
                    end: u.end,
                    confidence: u.confidence,
                    measured: u.measured,
                })
                .collect(),
            call_id: self.call_id,
            operator_id: self.operator_id,
            operator_name: self.operator_name,
            team: self.team,
            started_at: self.started_at,
            ended_by: self.ended_by,
            caller_number: self.caller_number,
            resorted: self.resorted,
            source: self.source,
        }
    }
}

macro_rules! value_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $zh:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in the order the spec lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written in the spec and in ticket exports.
            pub fn zh(self) -> &'static str {
                match self {
                    $($name::$variant => $zh),+
                }
            }

            /// Parses the Chinese value, ignoring surrounding white space.
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.zh() == s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.zh())
            }
        }
    };
}

value_enum!(
    /// 诉求类别: the six request categories.
    Category {
        /// 建议
        Suggestion => "建议",
        /// 一般诉求
        General => "一般诉求",
        /// 求助
        Help => "求助",
        /// 投诉举报
        Complaint => "投诉举报",
        /// 咨询
        Inquiry => "咨询",
        /// 表扬
        Praise => "表扬",
    }
);

value_enum!(
    /// 办理方式: how a ticket is handled.
    Handling {
        /// 直接办理: handled on the call.
        Direct => "直接办理",
        /// 电话交办: handed to a unit by phone.
        Phone => "电话交办",
        /// 工单转办: dispatched as a ticket.
        Dispatch => "工单转办",
    }
);

value_enum!(
    /// 紧急程度: urgency.
    Urgency {
        /// 普通
        Normal => "普通",
        /// 急办
        Urgent => "急办",
        /// 一般应急
        Emergency => "一般应急",
        /// 重大应急
        MajorEmergency => "重大应急",
    }
);

value_enum!(
    /// 回访结果: the caller's opinion at the callback.
    CallbackResult {
        /// 满意
        Satisfied => "满意",
        /// 基本满意
        MostlySatisfied => "基本满意",
        /// 不满意
        Dissatisfied => "不满意",
    }
);

/// One ticket (工单) record. Times are local wall-clock times.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ticket {
    /// 工单编号, unique.
    pub ticket_id: String,
    /// 通话编号, links to the transcript.
    pub call_id: Option<String>,
    /// 受理话务员.
    pub operator_id: String,
    /// 受理时间.
    pub accepted_at: Option<NaiveDateTime>,
    /// 诉求类别; `None` when empty or not one of the six values.
    pub category: Option<Category>,
    /// The category exactly as written, for messages.
    pub category_raw: String,
    /// 诉求子类 (free text).
    pub subcategory: String,
    /// 办理方式; `None` when empty or not a valid value.
    pub handling: Option<Handling>,
    /// The handling exactly as written.
    pub handling_raw: String,
    /// 紧急程度; `None` when empty.
    pub urgency: Option<Urgency>,
    /// 来电人姓名.
    pub caller_name: String,
    /// 联系电话.
    pub caller_phone: String,
    /// 事件时间 (free text).
    pub event_time: String,
    /// 事件地点.
    pub event_location: String,
    /// 诉求内容.
    pub content: String,
    /// 被投诉人姓名.
    pub complained_staff_name: String,
    /// 被投诉人工号.
    pub complained_staff_no: String,
    /// 承办单位.
    pub unit: String,
    /// 单位层级 (市直, 县级).
    pub unit_level: String,
    /// 热点难点.
    pub hot_issue: bool,
    /// 派单时间.
    pub dispatched_at: Option<NaiveDateTime>,
    /// 办结时限, when the export gives one.
    pub due_at: Option<NaiveDateTime>,
    /// 办结时间.
    pub completed_at: Option<NaiveDateTime>,
    /// 反馈时间.
    pub feedback_at: Option<NaiveDateTime>,
    /// 催办时间 (first urge).
    pub urged_at: Option<NaiveDateTime>,
    /// 催办人 (班长 or 办公室).
    pub urged_by: String,
    /// 督办时间.
    pub supervised_at: Option<NaiveDateTime>,
    /// 回访时间.
    pub callback_at: Option<NaiveDateTime>,
    /// 回访话务员.
    pub callback_operator_id: String,
    /// 回访结果.
    pub callback_result: Option<CallbackResult>,
    /// Values that make the record unusable for timeliness (an unknown
    /// category, say) but still tell the ticket-writing norm something.
    /// A ticket with problems goes to `rejects.csv` for timeliness and is
    /// still linked to its call.
    pub problems: Vec<String>,
    /// Where the ticket was read from.
    pub source: Option<Source>,
    /// An earlier ticket of the same caller about the same place or matter
    /// within the repeat window (spec §2.1 `ticket.repeat_omitted`, issue
    /// #19's repeat calls), when the ticket store linked one.
    pub prior: Option<PriorContact>,
}

/// The earlier contact a repeat ticket is linked to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PriorContact {
    /// The earlier ticket's 工单编号.
    pub ticket_id: String,
    /// The earlier ticket's call, when it has one.
    pub call_id: Option<String>,
    /// When the earlier ticket was accepted.
    pub accepted_at: Option<NaiveDateTime>,
    /// Whether the earlier ticket was completed (办结) before this one was
    /// accepted.
    pub closed_before: bool,
}

/// A scorecard item (评分项): one of the eleven built-in service norms, in
/// the spec's order, or an item a centre's scorecard defines itself
/// (`[[items]]`, see [`crate::config::Items`]).
///
/// A small copyable id rather than an enum so that the findings of a
/// centre's own items carry their item like a built-in finding does; the
/// eleven keep their names as associated constants (usable in `match`).
/// A custom item's key and name are interned once per process
/// ([`NormId::custom`]), as custom rule ids are.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NormId(u16);

/// The built-in norms' Rust names, for `Debug`.
const BUILTIN_DEBUG: [&str; 11] = [
    "Greeting",
    "Closing",
    "Courtesy",
    "Pace",
    "Clarity",
    "Accuracy",
    "Process",
    "Communication",
    "Attitude",
    "Ticket",
    "Taboo",
];

/// How many custom items one process can intern (a scorecard holds at
/// most [`MAX_ITEMS`]; this bounds what many scorecards read by one
/// long-running process leak).
const MAX_CUSTOM: usize = 1024;

/// Interned custom items: (key, Chinese name, `fail_<key>`, `<key>.manual`), slot `i` is `NormId(11 + i)`.
/// Read without a lock on every finding written; written under `CUSTOM_LOCK`.
#[allow(clippy::type_complexity)]
static CUSTOM: [std::sync::OnceLock<(&'static str, &'static str, &'static str, &'static str)>;
    MAX_CUSTOM] = [const { std::sync::OnceLock::new() }; MAX_CUSTOM];
static CUSTOM_LOCK: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

/// The most items a scorecard may have. Per-item values live in fixed
/// arrays of this size ([`PerItem`]) so that scoring a call allocates no
/// per-item vector.
pub const MAX_ITEMS: usize = 32;

#[allow(non_upper_case_globals)]
impl NormId {
    /// 报读开头语
    pub const Greeting: NormId = NormId(0);
    /// 报读结束语
    pub const Closing: NormId = NormId(1);
    /// 文明规范用语
    pub const Courtesy: NormId = NormId(2);
    /// 语气、语调、语速
    pub const Pace: NormId = NormId(3);
    /// 吐字清晰、普通话
    pub const Clarity: NormId = NormId(4);
    /// 业务要求
    pub const Accuracy: NormId = NormId(5);
    /// 执行流程
    pub const Process: NormId = NormId(6);
    /// 沟通技巧
    pub const Communication: NormId = NormId(7);
    /// 服务态度
    pub const Attitude: NormId = NormId(8);
    /// 工单书写
    pub const Ticket: NormId = NormId(9);
    /// 通话禁忌
    pub const Taboo: NormId = NormId(10);

    /// The eleven built-in norms in the spec's order (the default
    /// scorecard's items, the order of the columns in `calls.csv`).
    pub const ALL: [NormId; 11] = [
        NormId::Greeting,
        NormId::Closing,
        NormId::Courtesy,
        NormId::Pace,
        NormId::Clarity,
        NormId::Accuracy,
        NormId::Process,
        NormId::Communication,
        NormId::Attitude,
        NormId::Ticket,
        NormId::Taboo,
    ];

    /// Position in [`NormId::ALL`] for a built-in norm; 11 and above for
    /// a custom item (not a position in any scorecard: see
    /// [`crate::config::Items::position`]).
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// True for one of the eleven built-in norms.
    pub fn is_builtin(self) -> bool {
        (self.0 as usize) < 11
    }

    /// The id of a centre's own item with this key and Chinese name,
    /// interned once per distinct pair; None when the process has
    /// interned too many already.
    pub fn custom(key: &str, name_zh: &str) -> Option<NormId> {
        let mut n = CUSTOM_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        for (i, slot) in CUSTOM.iter().enumerate().take(*n) {
            if let Some((k, z, _, _)) = slot.get() {
                if *k == key && *z == name_zh {
                    return Some(NormId((11 + i) as u16));
                }
            }
        }
        let i = *n;
        let slot = CUSTOM.get(i)?;
        let key: &'static str = Box::leak(key.into());
        let name: &'static str = Box::leak(name_zh.into());
        let fail: &'static str = Box::leak(format!("fail_{key}").into());
        let manual: &'static str = Box::leak(format!("{key}.manual").into());
        let _ = slot.set((key, name, fail, manual));
        *n += 1;
        Some(NormId((11 + i) as u16))
    }

    fn custom_parts(self) -> (&'static str, &'static str, &'static str, &'static str) {
        (self.0 as usize)
            .checked_sub(11)
            .and_then(|i| CUSTOM.get(i))
            .and_then(|s| s.get())
            .copied()
            .unwrap_or(("", "", "", ""))
    }

    /// The custom items interned in this process, oldest first.
    pub fn customs() -> impl Iterator<Item = NormId> {
        CUSTOM
            .iter()
            .enumerate()
            .take_while(|(_, s)| s.get().is_some())
            .map(|(i, _)| NormId((11 + i) as u16))
    }

    /// A custom item's `<key>.manual` rule (a reviewer's addition);
    /// None for a built-in norm (`review::reviews::manual_rule`).
    pub fn custom_manual_rule(self) -> Option<&'static str> {
        (!self.is_builtin()).then(|| self.custom_parts().3)
    }

    /// A built-in norm by key or Chinese name, else the custom item of a
    /// scorecard read in this process with that key or name (the latest
    /// one read, when several scorecards used it): reviews.csv and
    /// calibrate read the norm column with it.
    pub fn parse_known(s: &str) -> Option<NormId> {
        let s = s.trim();
        NormId::parse(s).or_else(|| {
            let all: Vec<NormId> = NormId::customs().collect();
            all.into_iter()
                .rev()
                .find(|n| n.key().eq_ignore_ascii_case(s) || n.name_zh() == s)
        })
    }

    /// The name of the item's `fail_<key>` column (calls.parquet).
    pub fn fail_column(self) -> &'static str {
        const FAIL: [&str; 11] = [
            "fail_greeting",
            "fail_closing",
            "fail_courtesy",
            "fail_pace",
            "fail_clarity",
            "fail_accuracy",
            "fail_process",
            "fail_communication",
            "fail_attitude",
            "fail_ticket",
            "fail_taboo",
        ];
        match FAIL.get(self.index()) {
            Some(f) => f,
            None => self.custom_parts().2,
        }
    }

    /// The stable English key (CSV column, config table).
    pub fn key(self) -> &'static str {
        match self {
            NormId::Greeting => "greeting",
            NormId::Closing => "closing",
            NormId::Courtesy => "courtesy",
            NormId::Pace => "pace",
            NormId::Clarity => "clarity",
            NormId::Accuracy => "accuracy",
            NormId::Process => "process",
            NormId::Communication => "communication",
            NormId::Attitude => "attitude",
            NormId::Ticket => "ticket",
            NormId::Taboo => "taboo",
            _ => self.custom_parts().0,
        }
    }

    /// The norm's name in the hotline's document (a custom item's name
    /// in its scorecard).
    pub fn name_zh(self) -> &'static str {
        match self {
            NormId::Greeting => "报读开头语",
            NormId::Closing => "报读结束语",
            NormId::Courtesy => "文明规范用语",
            NormId::Pace => "语气、语调、语速",
            NormId::Clarity => "吐字清晰、普通话",
            NormId::Accuracy => "业务要求",
            NormId::Process => "执行流程",
            NormId::Communication => "沟通技巧",
            NormId::Attitude => "服务态度",
            NormId::Ticket => "工单书写",
            NormId::Taboo => "通话禁忌",
            _ => self.custom_parts().1,
        }
    }

    /// Parses a built-in norm key (English key, or the Chinese name). A
    /// scorecard's own items are parsed by [`crate::config::Items::parse`].
    pub fn parse(s: &str) -> Option<NormId> {
        let s = s.trim();
        NormId::ALL
            .iter()
            .copied()
            .find(|n| n.key().eq_ignore_ascii_case(s) || n.name_zh() == s)
    }
}

impl fmt::Debug for NormId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match BUILTIN_DEBUG.get(self.index()) {
            Some(n) => f.write_str(n),
            None => write!(f, "Custom({})", self.key()),
        }
    }
}

/// One value per scorecard item, by the item's position in the scorecard
/// ([`crate::config::Items`]), in a fixed array: scoring a call allocates
/// no per-item vector (it was `[Option<f64>; 11]` on the stack before a
/// scorecard could define its items). Derefs to a slice of `len` values.
#[derive(Clone, Copy)]
pub struct PerItem<T: Copy> {
    len: u8,
    vals: [T; MAX_ITEMS],
}

impl<T: Copy> PerItem<T> {
    /// `len` values (at most [`MAX_ITEMS`]), each `v`.
    pub fn new(len: usize, v: T) -> PerItem<T> {
        PerItem {
            len: len.min(MAX_ITEMS) as u8,
            vals: [v; MAX_ITEMS],
        }
    }
}

impl<T: Copy> std::ops::Deref for PerItem<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.vals[..self.len as usize]
    }
}

impl<T: Copy> std::ops::DerefMut for PerItem<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.vals[..self.len as usize]
    }
}

impl<T: Copy + PartialEq> PartialEq for PerItem<T> {
    fn eq(&self, other: &PerItem<T>) -> bool {
        **self == **other
    }
}

impl<T: Copy + fmt::Debug> fmt::Debug for PerItem<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl fmt::Display for NormId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// How much a finding weighs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// Costs the norm's points.
    Deduct,
    /// Costs the norm's points like a deduction, and is a risk a manager
    /// must see the same day (self-harm not escalated, spec §2.1): reported
    /// apart in every report. Not a red line: that is about the agent's own
    /// words.
    Critical,
    /// 一票否决: the call's total is 0.
    RedLine,
}

impl Severity {
    /// The stable key written to `findings.csv`.
    pub fn key(self) -> &'static str {
        match self {
            Severity::Deduct => "deduct",
            Severity::Critical => "critical",
            Severity::RedLine => "red_line",
        }
    }
}

/// One violation of a norm, with the evidence a reviewer checks.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The norm it belongs to.
    pub norm: NormId,
    /// The rule's stable id, `norm.rule` (e.g. `taboo.forbidden_phrase`).
    pub rule: &'static str,
    /// Deduction or red line.
    pub severity: Severity,
    /// The points this finding cost (set by the scorer).
    pub points: f64,
    /// When it happened, seconds from the start of the call.
    pub at_s: Option<f64>,
    /// Index of the utterance in the call (0-based, time order).
    pub utterance_index: Option<usize>,
    /// Who spoke that utterance.
    pub speaker: Option<Speaker>,
    /// The words that caused it, with the matched part in 【】, or the
    /// measured value for metric rules.
    pub excerpt: String,
    /// Rests on words heard with low ASR confidence or over another
    /// speaker: a person must confirm it (by default it costs nothing until then).
    pub needs_review: bool,
    /// What a reviewer decided about it (reviews.csv), if anything.
    pub review: Option<Box<FindingReview>>,
    /// The points it costs after the reviews (set by the scorer).
    pub reviewed_points: f64,
}

/// A reviewer's decision on a finding (reviews.csv, spec'd in issue #7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// The finding is right.
    Confirmed,
    /// The finding is wrong: it costs nothing.
    Dismissed,
    /// A finding no rule caught, added by a reviewer: it costs points.
    Added,
}

impl Verdict {
    /// The stable key written to the outputs.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Confirmed => "confirmed",
            Verdict::Dismissed => "dismissed",
            Verdict::Added => "added",
        }
    }

    /// Parses the English key or a Chinese word a reviewer would type.
    pub fn parse(s: &str) -> Option<Verdict> {
        match s.trim().to_lowercase().as_str() {
            "confirmed" | "confirm" | "确认" | "属实" | "成立" | "正确" => {
                Some(Verdict::Confirmed)
            }
            "dismissed" | "dismiss" | "误判" | "不属实" | "不成立" | "错误" | "排除" => {
                Some(Verdict::Dismissed)
            }
            "added" | "add" | "新增" | "补充" | "漏判" | "补扣" => Some(Verdict::Added),
            _ => None,
        }
    }
}

/// An operator's appeal (申诉) on a finding, and its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Appeal {
    /// Appealed, not decided yet: the finding still counts.
    Appealed,
    /// Decided against the operator: the finding stands (维持).
    Upheld,
    /// Decided for the operator: the finding is withdrawn (撤销).
    Overturned,
}

impl Appeal {
    /// The stable key written to the outputs.
    pub fn key(self) -> &'static str {
        match self {
            Appeal::Appealed => "appealed",
            Appeal::Upheld => "upheld",
            Appeal::Overturned => "overturned",
        }
    }

    /// Parses the English key or a Chinese word.
    pub fn parse(s: &str) -> Option<Appeal> {
        match s.trim().to_lowercase().as_str() {
            "appealed" | "appeal" | "申诉" | "申诉中" | "已申诉" | "待处理" => {
                Some(Appeal::Appealed)
            }
            "upheld" | "维持" | "维持原判" | "申诉驳回" | "驳回" | "申诉不成立" => {
                Some(Appeal::Upheld)
            }
            "overturned" | "改判" | "撤销" | "撤销扣分" | "申诉成立" | "申诉成功" => {
                Some(Appeal::Overturned)
            }
            _ => None,
        }
    }
}

/// The review state of one finding after all review rows were applied.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingReview {
    /// The last verdict (None: only appealed so far).
    pub verdict: Option<Verdict>,
    /// The appeal's last status, if appealed.
    pub appeal: Option<Appeal>,
    /// Who decided last.
    pub reviewer: String,
    /// Their comment.
    pub comment: String,
    /// The deduction a reviewer gave an added finding (None: as the norm deducts).
    pub points: Option<f64>,
    /// A reviewer added the finding (no rule caught it): it never counts
    /// in the machine's tally, whatever later rows say of it.
    pub by_reviewer: bool,
}

impl Finding {
    /// A finding of `rule` on `norm` with no evidence position yet.
    pub fn new(norm: NormId, rule: &'static str, excerpt: impl Into<String>) -> Finding {
        Finding {
            norm,
            rule,
            severity: Severity::Deduct,
            points: 0.0,
            at_s: None,
            utterance_index: None,
            speaker: None,
            excerpt: excerpt.into(),
            needs_review: false,
            review: None,
            reviewed_points: 0.0,
        }
    }

    /// The verdict on this finding, if reviewed.
    pub fn verdict(&self) -> Option<Verdict> {
        self.review.as_ref().and_then(|r| r.verdict)
    }

    /// Whether a reviewer added this finding (it is not the machine's).
    pub fn by_reviewer(&self) -> bool {
        self.review.as_ref().is_some_and(|r| r.by_reviewer)
    }

    /// The appeal status, if appealed.
    pub fn appeal(&self) -> Option<Appeal> {
        self.review.as_ref().and_then(|r| r.appeal)
    }

    /// Places the finding at utterance `index` of `call`.
    pub fn at(mut self, call: &Call, index: usize) -> Finding {
        if let Some(u) = call.utterances.get(index) {
            self.at_s = Some(u.start);
            self.utterance_index = Some(index);
            self.speaker = Some(u.speaker);
        }
        self
    }

    /// Marks the finding as a red line.
    pub fn red_line(mut self) -> Finding {
        self.severity = Severity::RedLine;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speaker_labels_in_any_case_and_their_aliases() {
        for (label, speaker) in [
            ("agent", Speaker::Agent),
            ("caller", Speaker::Caller),
            (" Agent ", Speaker::Agent),
            ("CALLER", Speaker::Caller),
            ("坐席", Speaker::Agent),
            ("市民", Speaker::Caller),
            ("Unit", Speaker::Unit),
            ("承办单位", Speaker::Unit),
        ] {
            assert_eq!(Speaker::parse(label), Some(speaker), "{label:?}");
        }
        for label in ["", "agents", "来电", "robot"] {
            assert_eq!(Speaker::parse(label), None, "{label:?}");
        }
    }

    /// The hot path holds every utterance of a batch: the services'
    /// measurements must stay a few bytes, not a heap allocation each.
    #[test]
    fn the_services_measurements_keep_an_utterance_compact() {
        assert_eq!(std::mem::size_of::<Measured>(), 20);
        assert!(
            std::mem::size_of::<Utterance<'_>>() <= 80,
            "{}",
            std::mem::size_of::<Utterance<'_>>()
        );
    }
}
