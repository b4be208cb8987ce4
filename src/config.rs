//! The scorecard: every point value, threshold, lexicon file and rule
//! switch, with the spec's defaults built in, read from TOML and checked
//! before any input is read.
//!
//! `hotline-qa config` prints `default-config.toml`, the same defaults with
//! comments; a test keeps that file equal to [`Config::default`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::lexicon::{LexiconKind, Lexicons};
use crate::model::NormId;

/// The commented default scorecard.
pub const DEFAULT_TOML: &str = include_str!("../default-config.toml");

/// A scorecard that could not be used: the file, the line when known, the key and why.
#[derive(Debug, thiserror::Error)]
#[error("评分表 {file}：{place}{message}")]
pub struct ConfigError {
    /// The config file.
    pub file: String,
    /// `第 N 行，键 K：` or empty.
    pub place: String,
    /// What is wrong.
    pub message: String,
}

macro_rules! norm_config {
    ($(#[$doc:meta])* $name:ident, $points:expr, { $($(#[$m:meta])* $field:ident : $ty:ty = $default:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            /// The norm's points (100 in all by default).
            pub points: f64,
            /// 0: a norm with findings loses all its points, once. Above 0:
            /// each finding costs this much, up to the norm's points.
            pub per_finding: f64,
            /// false: the norm is never assessed.
            pub enabled: bool,
            $($(#[$m])* pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { points: $points, per_finding: 0.0, enabled: true, $($field: $default,)* }
            }
        }

        impl $name {
            fn common(&self) -> NormCommon {
                NormCommon { points: self.points, per_finding: self.per_finding, enabled: self.enabled }
            }
        }
    };
}

/// The settings every norm has.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormCommon {
    /// Points.
    pub points: f64,
    /// Deduction per finding (0 = all points once).
    pub per_finding: f64,
    /// Assessed at all.
    pub enabled: bool,
}

norm_config!(
    /// 报读开头语.
    GreetingConfig, 5.0, {
        /// The standard greeting.
        text: String = "您好！市长热线，请问有什么可以帮到您？".into(),
        /// Parts that must each be present; `|` separates accepted forms.
        parts: Vec<String> = vec!["您好".into(), "市长热线".into(), "有什么可以帮到您|有什么可以帮您".into()],
        /// Most edits (ASR slips) allowed inside a part of 4+ characters.
        part_max_edits: usize = 1,
        /// Most edits allowed between the greeting and the start of the agent's first turn, as a share of the greeting's length.
        max_distance_ratio: f64 = 0.25,
    }
);

norm_config!(
    /// 报读结束语.
    ClosingConfig, 5.0, {
        /// The standard closings.
        texts: Vec<String> = vec![
            "感谢您的来电，再见！".into(),
            "感谢您对我们工作的支持，您的问题我将会尽快帮您反映，再见。".into(),
            "感谢您对我们工作的支持，祝您生活愉快，再见。".into(),
        ],
        /// Most edits allowed against a closing, as a share of its length.
        max_distance_ratio: f64 = 0.25,
        /// How many of the agent's last utterances are searched.
        last_utterances: usize = 2,
    }
);

norm_config!(
    /// 文明规范用语.
    CourtesyConfig, 10.0, {
        /// Addressing the caller as 你 this many times or more is a violation.
        ni_limit: usize = 2,
    }
);

norm_config!(
    /// 语气、语调、语速.
    PaceConfig, 5.0, {
        /// Slowest acceptable rate, characters per minute.
        min_cpm: f64 = 120.0,
        /// Fastest acceptable rate, characters per minute.
        max_cpm: f64 = 300.0,
        /// Only agent utterances with at least this many characters count.
        min_chars: usize = 5,
        /// Whose speech rate wins when the transcript carries the service's
        /// (`speech_rate`): the one computed from characters and times, as
        /// the spec defines the norm (default), or the service's.
        rate_source: MeasureSource = MeasureSource::Computed,
    }
);

/// Which of two measurements of the same thing a norm uses: the one the
/// recognition service made (spec §1.1's optional utterance fields), when
/// the utterance has it, or the one computed from text and times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeasureSource {
    /// The service's measurement where the utterance has one, the computed
    /// one elsewhere.
    Service,
    /// Always the one computed from the transcript's text and times.
    Computed,
}

norm_config!(
    /// 吐字清晰、普通话.
    ClarityConfig, 5.0, {
        /// Mean ASR confidence of agent utterances below this is a violation.
        min_confidence: f64 = 0.75,
        /// This many caller utterances asking to repeat is a violation.
        repeat_requests: usize = 2,
    }
);

norm_config!(
    /// 业务要求.
    AccuracyConfig, 15.0, {
        /// Characters before/after a number searched for a cue that it is a phone number.
        cue_window_chars: usize = 12,
    }
);

norm_config!(
    /// 执行流程.
    ProcessConfig, 15.0, {
        /// Subcategory of 求助 that is litigation / economic dispute / 公检法.
        legal_subcategory: String = "涉法涉诉".into(),
        /// Subcategory of 投诉举报 that is illegal or disciplinary conduct.
        discipline_subcategory: String = "违法乱纪".into(),
        /// Subcategory of 表扬 that praises the hotline itself.
        praise_hotline_subcategory: String = "表扬热线".into(),
        /// Numbers that count as giving the 纪检 / 信访 channel (besides directory entries named 信访 or 纪检).
        discipline_numbers: Vec<String> = vec!["12388".into()],
        /// The ticket against the call (spec §2.1: risk_not_escalated, complaint_not_dispatched).
        against_call: bool = true,
        /// Words in content that record the caller's self-harm talk (besides lexicons/self_harm.txt).
        self_harm_words: Vec<String> = ["轻生", "自杀", "自残", "过激", "极端"].map(String::from).to_vec(),
        /// Words in content that record a collective or public action (besides lexicons/collective_action.txt).
        collective_words: Vec<String> = ["集体", "群体", "上访", "媒体", "曝光", "横幅", "舆情", "过激", "闹大", "网上"].map(String::from).to_vec(),
    }
);

norm_config!(
    /// 沟通技巧.
    CommunicationConfig, 10.0, {
        /// An agent utterance starting at least this many seconds before the caller's ends is an interruption.
        interrupt_overlap_s: f64 = 1.0,
        /// This many interruptions is a violation.
        interruptions: usize = 2,
        /// A call with this many caller utterances needs at least one question from the agent.
        min_caller_utterances: usize = 4,
    }
);

norm_config!(
    /// 服务态度.
    AttitudeConfig, 10.0, {
        /// The first agent utterance must start within this many seconds.
        first_response_s: f64 = 3.0,
        /// Longest silence after a caller utterance before the agent answers.
        max_gap_s: f64 = 5.0,
        /// Which silence before the agent's answer counts: the gap computed
        /// from the times (default) or the service's `silence_before`.
        gap_source: MeasureSource = MeasureSource::Computed,
    }
);

norm_config!(
    /// 工单书写.
    TicketConfig, 10.0, {
        /// Least content characters for 工单转办 and 电话交办.
        min_content_dispatched: usize = 20,
        /// Least content characters for 直接办理.
        min_content_direct: usize = 10,
        /// Subcategory of complaints about staff, which need the staff's name and number.
        staff_complaint_subcategory: String = "工作人员态度".into(),
        /// The ticket against the call (spec §2.1: the six ticket.* rules of issue #19).
        against_call: bool = true,
        /// Words in content that say the matter was reported before (besides lexicons/repeat_recorded.txt: 第N次, 曾…反映).
        repeat_words: Vec<String> = ["再次", "多次", "重复", "此前", "屡次", "反复", "又一次", "又来电", "上次", "之前", "以前"].map(String::from).to_vec(),
        /// Words in content that record harm or danger to people (besides lexicons/harm.txt).
        harm_words: Vec<String> = ["伤", "危险", "隐患", "险情", "泄漏", "火灾", "着火", "事故", "身亡", "死亡", "人身安全"].map(String::from).to_vec(),
    }
);

norm_config!(
    /// 通话禁忌.
    TabooConfig, 10.0, {
        /// Insults make the call's total 0 (一票否决).
        insult_is_red_line: bool = true,
    }
);

/// The eleven norms' settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NormsConfig {
    /// 报读开头语
    pub greeting: GreetingConfig,
    /// 报读结束语
    pub closing: ClosingConfig,
    /// 文明规范用语
    pub courtesy: CourtesyConfig,
    /// 语气、语调、语速
    pub pace: PaceConfig,
    /// 吐字清晰、普通话
    pub clarity: ClarityConfig,
    /// 业务要求
    pub accuracy: AccuracyConfig,
    /// 执行流程
    pub process: ProcessConfig,
    /// 沟通技巧
    pub communication: CommunicationConfig,
    /// 服务态度
    pub attitude: AttitudeConfig,
    /// 工单书写
    pub ticket: TicketConfig,
    /// 通话禁忌
    pub taboo: TabooConfig,
}

impl NormsConfig {
    /// Sets a built-in norm's points and deduction to its `[[items]]`
    /// values, where written: the parsed scorecard then holds one number
    /// in both places, so that the scorecard written back (run.json's copy,
    /// read again by `report`, `rescore` and the workbench) reads back
    /// instead of being refused for conflicting points.
    fn set_common(&mut self, id: NormId, points: Option<f64>, per_finding: Option<f64>) {
        macro_rules! set {
            ($c:expr) => {{
                if let Some(p) = points {
                    $c.points = p;
                }
                if let Some(d) = per_finding {
                    $c.per_finding = d;
                }
            }};
        }
        match id {
            NormId::Greeting => set!(self.greeting),
            NormId::Closing => set!(self.closing),
            NormId::Courtesy => set!(self.courtesy),
            NormId::Pace => set!(self.pace),
            NormId::Clarity => set!(self.clarity),
            NormId::Accuracy => set!(self.accuracy),
            NormId::Process => set!(self.process),
            NormId::Communication => set!(self.communication),
            NormId::Attitude => set!(self.attitude),
            NormId::Ticket => set!(self.ticket),
            NormId::Taboo => set!(self.taboo),
            // A centre's own item keeps its numbers in its [[items]] entry.
            _ => {}
        }
    }

    /// Points, deduction and switch of one norm.
    pub fn common(&self, id: NormId) -> NormCommon {
        match id {
            NormId::Greeting => self.greeting.common(),
            NormId::Closing => self.closing.common(),
            NormId::Courtesy => self.courtesy.common(),
            NormId::Pace => self.pace.common(),
            NormId::Clarity => self.clarity.common(),
            NormId::Accuracy => self.accuracy.common(),
            NormId::Process => self.process.common(),
            NormId::Communication => self.communication.common(),
            NormId::Attitude => self.attitude.common(),
            NormId::Ticket => self.ticket.common(),
            NormId::Taboo => self.taboo.common(),
            // A centre's own item has no [norms] table: its points are in
            // its [[items]] entry (`Config::items`).
            _ => NormCommon {
                points: 0.0,
                per_finding: 0.0,
                enabled: false,
            },
        }
    }
}

/// Grade bands (score at least the value).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Grades {
    /// 优秀
    pub excellent: f64,
    /// 良好
    pub good: f64,
    /// 合格
    pub qualified: f64,
}

impl Default for Grades {
    fn default() -> Grades {
        Grades {
            excellent: 90.0,
            good: 80.0,
            qualified: 60.0,
        }
    }
}

impl Grades {
    /// The grade of a score.
    pub fn grade(&self, score: f64) -> &'static str {
        if score >= self.excellent {
            "优秀"
        } else if score >= self.good {
            "良好"
        } else if score >= self.qualified {
            "合格"
        } else {
            "不合格"
        }
    }
}

/// Workflow time limits (spec §3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkflowConfig {
    /// Working days a unit has after dispatch, unless a rule below applies.
    pub due_working_days: u32,
    /// Working days by category (咨询 = 3).
    pub due_working_days_by_category: BTreeMap<String, u32>,
    /// Working days by urgency (none by default).
    pub due_working_days_by_urgency: BTreeMap<String, u32>,
    /// Hours by urgency, counted from dispatch (急办 = 24); wins over days.
    pub due_hours_by_urgency: BTreeMap<String, u32>,
    /// An overdue ticket must be urged by the end of this many working days after the due date.
    pub urge_within_working_days: u32,
    /// The callback must be made by the end of this many working days after the feedback date.
    pub callback_within_working_days: u32,
    /// true: the dispatch day itself counts as the first working day (some
    /// cities count inclusively). The spec's default is false.
    pub count_dispatch_day: bool,
}

impl Default for WorkflowConfig {
    fn default() -> WorkflowConfig {
        WorkflowConfig {
            due_working_days: 5,
            due_working_days_by_category: BTreeMap::from([("咨询".to_string(), 3)]),
            due_working_days_by_urgency: BTreeMap::new(),
            due_hours_by_urgency: BTreeMap::from([("急办".to_string(), 24)]),
            urge_within_working_days: 1,
            callback_within_working_days: 3,
            count_dispatch_day: false,
        }
    }
}

/// Report settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportsConfig {
    /// Operators with fewer calls are listed but not ranked.
    pub min_calls_for_rank: u64,
    /// How many of the lowest-scoring calls the HTML report lists.
    pub worst_calls: usize,
    /// Units with fewer tickets are left out of report.html's on-time
    /// chart (they stay in the tables): 0 % or 100 % of one ticket says
    /// nothing a manager can act on.
    pub min_tickets_for_unit_chart: u64,
    /// How many units the chart shows: those with the lowest on-time rates.
    pub unit_chart_units: usize,
}

impl Default for ReportsConfig {
    fn default() -> ReportsConfig {
        ReportsConfig {
            min_calls_for_rank: 10,
            worst_calls: 50,
            min_tickets_for_unit_chart: 10,
            unit_chart_units: 20,
        }
    }
}

/// Which findings wait for a person (issue #7): a finding that rests on
/// words (a lexicon or pattern match) in an utterance the ASR was unsure
/// of, or spoken over the other party, is marked `needs_review`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewConfig {
    /// An utterance with ASR confidence below this is uncertain (0 = never).
    pub low_confidence: f64,
    /// An utterance overlapping another speaker's by more than this many
    /// seconds is uncertain.
    pub overlap_s: f64,
    /// false: a finding that needs review costs nothing until a reviewer
    /// confirms it; true: it costs points at once.
    pub needs_review_costs_points: bool,
}

impl Default for ReviewConfig {
    fn default() -> ReviewConfig {
        ReviewConfig {
            low_confidence: 0.6,
            overlap_s: 0.5,
            needs_review_costs_points: false,
        }
    }
}

/// Repeat calls (issue #19): contacts of one number about one matter
/// within the window are linked (`workflow::repeats`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RepeatsConfig {
    /// A contact repeats an earlier one accepted at most this many days before.
    pub window_days: u32,
}

impl Default for RepeatsConfig {
    fn default() -> RepeatsConfig {
        RepeatsConfig { window_days: 30 }
    }
}

/// The built-in salt of the callers' link keys: the same in every copy of
/// the program, so a centre sets its own (`[privacy] link_salt`).
pub const DEFAULT_LINK_SALT: &str = "hotline-qa-default-link-salt";

/// Privacy settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// The key of the hash that stands for a caller's number in the runs'
    /// Parquet files (`workflow::repeats::link_key`). Kept out of run.json
    /// (it is not serialised): whoever has it can test numbers against
    /// the hashes.
    #[serde(skip_serializing)]
    pub link_salt: String,
}

impl Default for PrivacyConfig {
    fn default() -> PrivacyConfig {
        PrivacyConfig {
            link_salt: DEFAULT_LINK_SALT.into(),
        }
    }
}

/// The whole scorecard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// A name for this version of the scorecard, written into the run's outputs.
    pub version: String,
    /// A call passes with a score at least this.
    pub pass_mark: f64,
    /// Offset of local time for times written without one.
    pub utc_offset: String,
    /// Rules switched off, by id (see `hotline-qa rules`).
    pub disabled_rules: Vec<String>,
    /// Grade bands.
    pub grades: Grades,
    /// Lexicon files replacing the built-in ones, by lexicon key.
    pub lexicons: BTreeMap<String, PathBuf>,
    /// A phone directory file (`name,phone`) replacing the built-in one.
    pub directory: Option<PathBuf>,
    /// The norms.
    pub norms: NormsConfig,
    /// Workflow time limits.
    pub workflow: WorkflowConfig,
    /// Report settings.
    pub reports: ReportsConfig,
    /// Findings that wait for a reviewer.
    pub review: ReviewConfig,
    /// Repeat calls.
    pub repeats: RepeatsConfig,
    /// Privacy settings.
    pub privacy: PrivacyConfig,
    /// The centre's own rules (`[[rules]]`), applied after the built-in
    /// checks of their norms (see `crate::rules`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<crate::rules::RuleSpec>,
    /// The scorecard's items (`[[items]]`), in column order; empty: the
    /// eleven built-in norms (see [`Config::items`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemSpec>,
    /// The rules as compiled when the scorecard was read (not part of the
    /// scorecard: never written, and ignored when comparing scorecards).
    #[serde(skip)]
    pub compiled: crate::rules::Compiled,
}

/// One item of a centre's own scorecard (`[[items]]`), as the TOML writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    /// The item's key: a built-in norm's (`greeting` …, its checks run) or
    /// a new one (`restate`: its findings come from `[[rules]]`).
    pub key: String,
    /// The Chinese name (required for a new item; for a built-in one, if
    /// written, its own name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The item's points (for a built-in one, instead of `[norms.KEY] points`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<f64>,
    /// 0: any finding costs all the item's points, once; above 0: each costs this much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_finding: Option<f64>,
}

/// One item of the scorecard in use, resolved: its id, points and way of
/// deducting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Item {
    /// The item (a built-in norm, or an interned custom item).
    pub norm: NormId,
    /// Its points.
    pub points: f64,
    /// 0 = all points once; above 0 = each finding costs this much.
    pub per_finding: f64,
    /// false: never assessed (a built-in norm's `enabled = false`).
    pub enabled: bool,
}

impl Item {
    /// The stable key (CSV column suffix).
    pub fn key(&self) -> &'static str {
        self.norm.key()
    }

    /// The Chinese name.
    pub fn name_zh(&self) -> &'static str {
        self.norm.name_zh()
    }

    /// The built-in norm whose code checks it, if any.
    pub fn builtin(&self) -> Option<NormId> {
        self.norm.is_builtin().then_some(self.norm)
    }
}

/// The scorecard's items in order: the table every per-item output
/// (calls.csv columns, Parquet, reports) takes its columns from, built
/// once per run from the [`Config`]. Scored calls hold per-item values by
/// position in it ([`crate::model::PerItem`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Items {
    list: Vec<Item>,
    /// Position of each item by `NormId::index()`; `u8::MAX`: not an item.
    pos: Vec<u8>,
}

impl Items {
    /// The default scorecard's items: the eleven built-in norms.
    pub fn default_eleven() -> Items {
        Config::default().items()
    }

    /// A table of these items, in this order.
    pub fn new(list: Vec<Item>) -> Items {
        let size = list.iter().map(|i| i.norm.index() + 1).max().unwrap_or(0);
        let mut pos = vec![u8::MAX; size];
        for (p, i) in list.iter().enumerate() {
            pos[i.norm.index()] = p as u8;
        }
        Items { list, pos }
    }

    /// The items, in order.
    pub fn list(&self) -> &[Item] {
        &self.list
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// No items (never for a scorecard that passed validation).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Iterates the items in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Item> {
        self.list.iter()
    }

    /// The item ids in order.
    pub fn norms(&self) -> impl Iterator<Item = NormId> + '_ {
        self.list.iter().map(|i| i.norm)
    }

    /// Where `norm` is in the scorecard; None when it is not one of its items.
    #[inline]
    pub fn position(&self, norm: NormId) -> Option<usize> {
        match self.pos.get(norm.index()) {
            Some(&p) if p != u8::MAX => Some(p as usize),
            _ => None,
        }
    }

    /// The item `norm`, if the scorecard has it.
    pub fn get(&self, norm: NormId) -> Option<&Item> {
        self.position(norm).map(|p| &self.list[p])
    }

    /// An item by key or Chinese name (reviews.csv's norm column, a rule's
    /// `norm`).
    pub fn parse(&self, s: &str) -> Option<NormId> {
        let s = s.trim();
        self.list
            .iter()
            .find(|i| i.key().eq_ignore_ascii_case(s) || i.name_zh() == s)
            .map(|i| i.norm)
    }

    /// True when the items are the eleven built-in norms in their order
    /// (a scorecard without `[[items]]`).
    pub fn is_builtin_eleven(&self) -> bool {
        self.list.len() == 11 && self.list.iter().zip(NormId::ALL).all(|(i, n)| i.norm == n)
    }

    /// The items' keys joined by 、 (for messages).
    pub fn keys_zh(&self) -> String {
        let keys: Vec<String> = self
            .list
            .iter()
            .map(|i| format!("{}（{}）", i.key(), i.name_zh()))
            .collect();
        keys.join("、")
    }
}

/// The built-in norm whose English key `k` is.
fn builtin_key(k: &str) -> Option<NormId> {
    let k = k.trim();
    NormId::ALL.iter().copied().find(|n| n.key() == k)
}

/// The line of key `key` (`items[3].points`) in a TOML text: in the
/// `n`th `[[items]]` table when it writes that field, else its header.
fn item_line(text: &str, n: usize, key: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[items]]")
        .map(|(i, _)| i)
        .nth(n)?;
    let leaf = key.rsplit('.').next().unwrap_or(key);
    let found = lines[header + 1..]
        .iter()
        .take_while(|l| !l.trim_start().starts_with('['))
        .position(|l| {
            let t = l.trim_start();
            t.starts_with(leaf) && t[leaf.len()..].trim_start().starts_with('=')
        });
    Some(header + 1 + found.map_or(0, |i| i + 1))
}

/// A key a centre may give its own item: ASCII letters, digits and `_`,
/// starting with a letter (it becomes a column name and a rule id prefix).
fn good_item_key(k: &str) -> bool {
    k.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Default for Config {
    fn default() -> Config {
        Config {
            version: "builtin-1".into(),
            pass_mark: 80.0,
            utc_offset: "+08:00".into(),
            disabled_rules: Vec::new(),
            grades: Grades::default(),
            lexicons: BTreeMap::new(),
            directory: None,
            norms: NormsConfig::default(),
            workflow: WorkflowConfig::default(),
            reports: ReportsConfig::default(),
            review: ReviewConfig::default(),
            repeats: RepeatsConfig::default(),
            privacy: PrivacyConfig::default(),
            rules: Vec::new(),
            items: Vec::new(),
            compiled: crate::rules::Compiled::default(),
        }
    }
}

fn line_of(text: &str, key: &str) -> Option<usize> {
    let leaf = key.rsplit('.').next().unwrap_or(key);
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.starts_with(leaf) && l[leaf.len()..].trim_start().starts_with('=')
        })
        .map(|i| i + 1)
}

/// The full key (`norms.pace.min_cpm`) of the `key = value` line holding
/// byte `at` of a TOML text, from the line's key and the last `[table]`
/// header above it; `None` on a header or a line that is not `key = value`.
/// Errors name it so that the author finds the field without counting lines.
fn key_at(text: &str, at: usize) -> Option<String> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = text[line_start..line_end].trim();
    let leaf = line.split_once('=')?.0.trim().trim_matches('"');
    if leaf.is_empty() || line.starts_with('[') || line.starts_with('#') {
        return None;
    }
    let table = text[..line_start].lines().rev().find_map(|l| {
        let l = l.trim();
        let name = l.strip_prefix('[')?.split(']').next()?;
        Some(name.trim_matches(['[', ' ']).to_string())
    });
    Some(match table {
        Some(t) if !t.is_empty() => format!("{}.{leaf}", numbered(&text[..line_start], &t)),
        _ => leaf.to_string(),
    })
}

/// `rules.check` as `rules[5].check` when `rules` is an array of tables
/// (`[[rules]]`, `[[items]]`): the N-th table above the line, counted from
/// 1 as the compile errors count rules, so that a QA lead finds which rule
/// the misspelt key is in.
fn numbered(before: &str, table: &str) -> String {
    let (top, rest) = match table.split_once('.') {
        Some((t, r)) => (t, Some(r)),
        None => (table, None),
    };
    let header = format!("[[{top}]]");
    let n = before.lines().filter(|l| l.trim() == header).count();
    if n == 0 {
        return table.to_string();
    }
    match rest {
        Some(r) => format!("{top}[{n}].{r}"),
        None => format!("{top}[{n}]"),
    }
}

impl Config {
    /// Reads and checks a scorecard file. Relative lexicon and directory
    /// paths are taken relative to the file's folder.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            place: String::new(),
            message: format!("读不了评分表：{}", crate::messages::io_zh(&e)),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut cfg = Config::parse_at(&text, &file, Some(base))?;
        for p in cfg.lexicons.values_mut() {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        if let Some(p) = cfg.directory.as_mut() {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(cfg)
    }

    /// Parses and checks a scorecard text; `file` names it in errors.
    /// Lexicon files of its rules are read relative to the working folder.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        Config::parse_at(text, file, None)
    }

    /// As [`Config::parse`], the rules' lexicon files relative to `base`
    /// (the scorecard's folder) when given. The rules are compiled here,
    /// once, to refuse a rule that cannot compile before any input is read.
    fn parse_at(text: &str, file: &str, base: Option<&Path>) -> Result<Config, ConfigError> {
        let mut cfg: Config = toml::from_str(text).map_err(|e| {
            let place = match e.span() {
                Some(s) => {
                    let start = s.start.min(text.len());
                    let line = text[..start].matches('\n').count() + 1;
                    match key_at(text, start) {
                        Some(key) => format!("第 {line} 行，键 {key}："),
                        None => format!("第 {line} 行："),
                    }
                }
                None => String::new(),
            };
            ConfigError {
                file: file.to_string(),
                place,
                message: crate::messages::serde_zh(e.message()),
            }
        })?;
        cfg.validate().map_err(|(key, message)| ConfigError {
            file: file.to_string(),
            place: match line_of(text, &key) {
                Some(l) => format!("第 {l} 行，键 {key}："),
                None => format!("键 {key}："),
            },
            message,
        })?;
        if !cfg.items.is_empty() {
            let raw: Option<toml::Table> = toml::from_str(text).ok();
            cfg.check_items(raw.as_ref())
                .map_err(|(n, key, message)| ConfigError {
                    file: file.to_string(),
                    place: match n.and_then(|n| item_line(text, n, &key)) {
                        Some(l) => format!("第 {l} 行，键 {key}："),
                        None => format!("键 {key}："),
                    },
                    message,
                })?;
            for it in cfg.items.clone() {
                if let Some(n) = builtin_key(&it.key) {
                    cfg.norms.set_common(n, it.points, it.per_finding);
                }
            }
        }
        if let Some(base) = base {
            crate::rules::resolve_paths(&mut cfg.rules, base);
        }
        let compiled = crate::rules::RuleSet::compile(&cfg).map_err(|e| {
            let n = e.rule + 1;
            let key = format!("rules[{n}].{}", e.key);
            let id = if e.id.trim().is_empty() {
                String::new()
            } else {
                format!("规则 {}：", e.id.trim())
            };
            ConfigError {
                file: file.to_string(),
                place: match crate::rules::line_of(text, e.rule, &e.key) {
                    Some(l) => format!("第 {l} 行，键 {key}："),
                    None => format!("键 {key}："),
                },
                message: format!("{id}{}", e.message),
            }
        })?;
        // The eleven norms' `op` rules are implied by their items: checked
        // above, then left out, so that a scorecard writing them (the
        // default one) is the same scorecard as one that does not, in
        // run.json too.
        cfg.rules.retain(|r| r.op.is_none());
        // Kept for the scorer: the rules are compiled once per run. The
        // `op` rules left out above change nothing in the compiled set
        // (each item implies its own).
        cfg.compiled = crate::rules::Compiled::new(&cfg, compiled);
        Ok(cfg)
    }

    /// Checks values that TOML types cannot: ranges, known rule ids and lexicon keys.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let bad = |k: &str, m: String| Err((k.to_string(), m));
        if !(0.0..=100.0).contains(&self.pass_mark) {
            return bad(
                "pass_mark",
                format!(
                    "{} 应在 0 到 100 之间（must be between 0 and 100）",
                    self.pass_mark
                ),
            );
        }
        if crate::input::time::parse_offset(&self.utc_offset).is_none() {
            return bad(
                "utc_offset",
                format!(
                    "“{}”不是时区，请写成 +08:00 这样（not an offset like +08:00）",
                    self.utc_offset
                ),
            );
        }
        let g = &self.grades;
        if !(g.excellent >= g.good && g.good >= g.qualified) {
            return bad(
                "grades",
                "等级分数线应满足 优秀 excellent ≥ 良好 good ≥ 合格 qualified（bands must satisfy excellent >= good >= qualified）".into(),
            );
        }
        for id in NormId::ALL {
            let c = self.norms.common(id);
            let key = format!("norms.{}.points", id.key());
            if !c.points.is_finite() || c.points < 0.0 {
                return bad(
                    &key,
                    format!(
                        "{} 应为 0 或更大的数（must be a number of 0 or more）",
                        c.points
                    ),
                );
            }
            if !c.per_finding.is_finite() || c.per_finding < 0.0 {
                return bad(
                    &format!("norms.{}.per_finding", id.key()),
                    "应为 0 或更大的数（must be 0 or more）".into(),
                );
            }
        }
        if self.norms.pace.min_cpm >= self.norms.pace.max_cpm {
            return bad(
                "norms.pace.min_cpm",
                "应小于 norms.pace.max_cpm（语速下限要低于上限；must be below norms.pace.max_cpm）"
                    .into(),
            );
        }
        if !(0.0..=1.0).contains(&self.norms.clarity.min_confidence) {
            return bad(
                "norms.clarity.min_confidence",
                "应在 0 到 1 之间（must be between 0 and 1）".into(),
            );
        }
        if !(0.0..=1.0).contains(&self.review.low_confidence) {
            return bad(
                "review.low_confidence",
                format!(
                    "{} 应在 0 到 1 之间（must be between 0 and 1）",
                    self.review.low_confidence
                ),
            );
        }
        if !(1..=3650).contains(&self.repeats.window_days) {
            return bad(
                "repeats.window_days",
                format!(
                    "{} 应在 1 到 3650 天之间（must be 1 to 3650 days）",
                    self.repeats.window_days
                ),
            );
        }
        if self.privacy.link_salt.trim().is_empty() {
            return bad(
                "privacy.link_salt",
                "不能为空：请写一串只有本中心知道的字符，或删掉这一行用内置值（must not be empty）"
                    .into(),
            );
        }
        if self.review.overlap_s.is_nan() || self.review.overlap_s < 0.0 {
            return bad(
                "review.overlap_s",
                format!(
                    "{} 应为 0 或更多秒（must be 0 or more seconds）",
                    self.review.overlap_s
                ),
            );
        }
        if self
            .norms
            .greeting
            .parts
            .iter()
            .any(|p| p.trim().is_empty())
        {
            return bad(
                "norms.greeting.parts",
                "有一项是空的，请删掉空的那一项（a part is empty）".into(),
            );
        }
        if self.norms.closing.texts.is_empty() {
            return bad(
                "norms.closing.texts",
                "至少要有一句结束语（needs at least one closing）".into(),
            );
        }
        for r in &self.disabled_rules {
            if !crate::norms::RULES.iter().any(|(id, _)| id == r)
                && !self
                    .rules
                    .iter()
                    .any(|c| c.op.is_none() && c.id.trim() == r)
            {
                return bad(
                    "disabled_rules",
                    format!("没有“{r}”这条规则，请检查拼写（hotline-qa rules 列出全部规则编号；unknown rule）"),
                );
            }
        }
        for k in self.lexicons.keys() {
            if !LexiconKind::ALL.iter().any(|l| l.key() == k) {
                let known: Vec<&str> = LexiconKind::ALL.iter().map(|l| l.key()).collect();
                return bad(
                    &format!("lexicons.{k}"),
                    format!(
                        "没有这个词表，可用的词表：{}（unknown lexicon）",
                        known.join("、")
                    ),
                );
            }
        }
        let wf = &self.workflow;
        for k in wf.due_working_days_by_category.keys() {
            if crate::model::Category::parse(k).is_none() {
                return bad(
                    "workflow.due_working_days_by_category",
                    format!("“{k}”不是诉求类别（建议、一般诉求、求助、投诉举报、咨询、表扬；not a category）"),
                );
            }
        }
        for (key, map) in [
            (
                "workflow.due_working_days_by_urgency",
                &wf.due_working_days_by_urgency,
            ),
            ("workflow.due_hours_by_urgency", &wf.due_hours_by_urgency),
        ] {
            if let Some(k) = map
                .keys()
                .find(|k| crate::model::Urgency::parse(k).is_none())
            {
                return bad(
                    key,
                    format!("“{k}”不是紧急程度（普通、急办、一般应急、重大应急；not an urgency）"),
                );
            }
        }
        // Working-day limits beyond a year are typing mistakes, and the
        // calendar walks day by day.
        let days = [
            wf.due_working_days,
            wf.urge_within_working_days,
            wf.callback_within_working_days,
        ]
        .into_iter()
        .chain(wf.due_working_days_by_category.values().copied())
        .chain(wf.due_working_days_by_urgency.values().copied());
        if days.into_iter().any(|d| d > 250) {
            return bad(
                "workflow",
                "工作日时限最多 250 个工作日（一年的工作日；working-day limits must be at most 250）".into(),
            );
        }
        if wf.due_hours_by_urgency.values().any(|&h| h > 24 * 366) {
            return bad(
                "workflow.due_hours_by_urgency",
                "最多 8784 小时（一年；at most 8784 hours）".into(),
            );
        }
        Ok(())
    }

    /// The scorecard's items in order: `[[items]]`, or the eleven built-in
    /// norms when it has none (every scorecard written before items were
    /// data). A built-in item's points and deduction are its `[[items]]`
    /// values when written there, else `[norms.KEY]`'s.
    pub fn items(&self) -> Items {
        if self.items.is_empty() {
            return Items::new(
                NormId::ALL
                    .iter()
                    .map(|&n| {
                        let c = self.norms.common(n);
                        Item {
                            norm: n,
                            points: c.points,
                            per_finding: c.per_finding,
                            enabled: c.enabled,
                        }
                    })
                    .collect(),
            );
        }
        let list = self
            .items
            .iter()
            .filter_map(|s| match builtin_key(&s.key) {
                Some(n) => {
                    let c = self.norms.common(n);
                    Some(Item {
                        norm: n,
                        points: s.points.unwrap_or(c.points),
                        per_finding: s.per_finding.unwrap_or(c.per_finding),
                        enabled: c.enabled,
                    })
                }
                None => Some(Item {
                    norm: NormId::custom(s.key.trim(), s.name.as_deref().unwrap_or("").trim())?,
                    points: s.points.unwrap_or(0.0),
                    per_finding: s.per_finding.unwrap_or(0.0),
                    enabled: true,
                }),
            })
            .collect();
        Items::new(list)
    }

    /// Checks `[[items]]` against each other, the built-in norms and the
    /// rules: (item number from 0 or None, key, message). `raw` is the
    /// scorecard as TOML values, to see what `[norms.KEY]` wrote.
    fn check_items(
        &self,
        raw: Option<&toml::Table>,
    ) -> Result<(), (Option<usize>, String, String)> {
        if self.items.is_empty() {
            return Ok(());
        }
        let err =
            |k: usize, key: &str, m: String| Err((Some(k), format!("items[{}].{key}", k + 1), m));
        if self.items.len() > crate::model::MAX_ITEMS {
            return Err((
                None,
                "items".into(),
                format!(
                    "最多 {} 个评分项，这里写了 {} 个（at most {} items）",
                    crate::model::MAX_ITEMS,
                    self.items.len(),
                    crate::model::MAX_ITEMS
                ),
            ));
        }
        let mut total = 0.0;
        for (k, it) in self.items.iter().enumerate() {
            let key = it.key.trim();
            for (field, v) in [("points", it.points), ("per_finding", it.per_finding)] {
                if let Some(v) = v {
                    if !v.is_finite() || v < 0.0 {
                        return err(
                            k,
                            field,
                            format!("{v} 应为 0 或更大的数（must be 0 or more）"),
                        );
                    }
                }
            }
            if let Some(d) = self.items[..k].iter().position(|o| {
                o.key.trim() == key
                    || (o.name.is_some()
                        && it.name.is_some()
                        && o.name.as_deref().map(str::trim) == it.name.as_deref().map(str::trim))
            }) {
                return err(
                    k,
                    "key",
                    format!(
                        "评分项“{key}”和第 {} 个评分项重复（键或名字相同），每个评分项只写一次（duplicate item）",
                        d + 1
                    ),
                );
            }
            if let Some(n) = builtin_key(key) {
                if let Some(name) = it.name.as_deref().map(str::trim) {
                    if name != n.name_zh() {
                        return err(
                            k,
                            "name",
                            format!(
                                "{key} 是内置评分项“{}”，不能改名为“{name}”：它的检查是“{}”的检查。要新的评分项请另起一个键（如 my_item），并用 [[rules]] 写它的规则（built-in item redefined）",
                                n.name_zh(),
                                n.name_zh()
                            ),
                        );
                    }
                }
                // One place for a built-in item's points: the item or
                // [norms.KEY], not two different numbers.
                for field in ["points", "per_finding"] {
                    let mine = if field == "points" {
                        it.points
                    } else {
                        it.per_finding
                    };
                    let theirs = raw
                        .and_then(|t| t.get("norms"))
                        .and_then(|t| t.get(n.key()))
                        .and_then(|t| t.get(field))
                        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)));
                    if let (Some(a), Some(b)) = (mine, theirs) {
                        if (a - b).abs() > 1e-9 {
                            return err(
                                k,
                                field,
                                format!(
                                    "{a} 和 [norms.{}] 里的 {field} = {b} 不一致，请只在一处写（conflicting {field}）",
                                    n.key()
                                ),
                            );
                        }
                    }
                }
                let c = self.norms.common(n);
                total += it.points.unwrap_or(c.points);
                continue;
            }
            if NormId::parse(key).is_some() {
                return err(
                    k,
                    "key",
                    format!(
                        "“{key}”是内置评分项的中文名，key 请写它的英文键 {}（use the English key）",
                        NormId::parse(key).map_or("", |n| n.key())
                    ),
                );
            }
            if !good_item_key(key) {
                return err(
                    k,
                    "key",
                    format!(
                        "“{key}”不能作评分项的键：请用小写英文字母开头，只用小写字母、数字和下划线，如 restate（它是 calls.csv 的列名和规则编号的前缀；item keys are lowercase ASCII）"
                    ),
                );
            }
            let name = it.name.as_deref().map(str::trim).unwrap_or("");
            if name.is_empty() {
                return err(k, "name", format!("新评分项 {key} 要写中文名，如 name = \"复述诉求\"（a new item needs a name）"));
            }
            if let Some(n) = NormId::parse(name) {
                return err(
                    k,
                    "name",
                    format!(
                        "“{name}”是内置评分项 {} 的名字；要用内置的检查请写 key = \"{}\"，新的评分项请另起名字（clashes with a built-in item）",
                        n.key(),
                        n.key()
                    ),
                );
            }
            let Some(points) = it.points else {
                return err(
                    k,
                    "points",
                    format!("新评分项 {key} 要写分值，如 points = 10（a new item needs points）"),
                );
            };
            total += points;
            let has_rule = self.rules.iter().any(|r| {
                let n = r.norm.trim();
                n == key || n == name
            });
            if !has_rule {
                // Most often the item's rule is there with its norm misspelt:
                // name that rule, or the QA lead looks for a missing one.
                let listed = |n: &str| {
                    self.items.iter().any(|it| {
                        let k = it.key.trim();
                        k == n
                            || it.name.as_deref().map(str::trim) == Some(n)
                            || builtin_key(k).is_some_and(|b| b.name_zh() == n)
                    })
                };
                let stray: Vec<String> = self
                    .rules
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.op.is_none() && !listed(r.norm.trim()))
                    .map(|(i, r)| {
                        format!(
                            "第 {} 条规则 {} 写的 norm = \"{}\"",
                            i + 1,
                            r.id.trim(),
                            r.norm.trim()
                        )
                    })
                    .collect();
                let hint = if stray.is_empty() {
                    String::new()
                } else {
                    format!(
                        "；{} 不是评分项，是不是想写 norm = \"{key}\"？",
                        stray.join("、")
                    )
                };
                return err(
                    k,
                    "key",
                    format!(
                        "新评分项 {key}（{name}）没有规则：没有规则它永远不会扣分。请加 [[rules]]，写 norm = \"{key}\"，或删掉这一项{hint}（an item without rules can lose no points）"
                    ),
                );
            }
            if NormId::custom(key, name).is_none() {
                return err(k, "key", "本程序读过的评分表里新评分项太多，请重新启动（too many custom items in one process）".into());
            }
        }
        if (total - 100.0).abs() > 1e-6 {
            let list: Vec<String> = self
                .items
                .iter()
                .map(|it| {
                    let p = it.points.unwrap_or_else(|| {
                        builtin_key(&it.key).map_or(0.0, |n| self.norms.common(n).points)
                    });
                    format!("{} {p}", it.key.trim())
                })
                .collect();
            return Err((
                Some(0),
                "items".into(),
                format!(
                    "各评分项的分值合计应为 100，现在是 {total}（{}）；请调整 points（points must add up to 100）",
                    list.join("、")
                ),
            ));
        }
        Ok(())
    }

    /// The local time offset.
    pub fn offset(&self) -> chrono::FixedOffset {
        crate::input::time::parse_offset(&self.utc_offset)
            .unwrap_or_else(crate::input::time::default_offset)
    }

    /// Compiles the lexicons this scorecard names (built-in where it names none).
    pub fn lexicons(&self) -> Result<Lexicons, crate::lexicon::LexiconError> {
        Lexicons::load(&|k| self.lexicons.get(k.key()).cloned())
    }

    /// True when rule `id` is switched on.
    pub fn rule_enabled(&self, id: &str) -> bool {
        !self.disabled_rules.iter().any(|r| r == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_toml_matches_built_in_defaults() {
        let parsed = Config::parse(DEFAULT_TOML, "default-config.toml").expect("default parses");
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn default_points_add_to_100() {
        let c = Config::default();
        let total: f64 = NormId::ALL.iter().map(|&n| c.norms.common(n).points).sum();
        assert_eq!(total, 100.0);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = Config::parse("pass_mark = 80\n\n[norms.pace]\nmax_cmp = 250\n", "my.toml")
            .expect_err("typo");
        let s = e.to_string();
        assert!(
            s.starts_with("评分表 my.toml：第 4 行，键 norms.pace.max_cmp：没有 max_cmp 这个键"),
            "{s}"
        );
    }

    #[test]
    fn wrong_type_is_an_error() {
        let e = Config::parse("[norms.pace]\nmin_cpm = \"fast\"\n", "c.toml").expect_err("type");
        assert!(
            e.to_string()
                .contains("第 2 行，键 norms.pace.min_cpm：应为"),
            "{e}"
        );
    }

    #[test]
    fn toml_type_error_names_line_and_key_in_chinese() {
        let text = "version = \"x\"\n\n[reports]\nmin_calls_for_rank = \"3\"\n";
        let e = Config::parse(text, "现行评分表.toml").expect_err("type");
        let s = e.to_string();
        assert!(
            s.starts_with(
                "评分表 现行评分表.toml：第 4 行，键 reports.min_calls_for_rank：应为不小于 0 的整数（不加引号，如 3），写的是文字 \"3\""
            ),
            "{s}"
        );
        // The English stays for the logs.
        assert!(s.contains("invalid type: string \"3\", expected"), "{s}");
        // Must not: a top-level key has no table prefix.
        let e = Config::parse("pass_mark = \"80\"\n", "c.toml").expect_err("type");
        assert!(
            e.to_string()
                .starts_with("评分表 c.toml：第 1 行，键 pass_mark：应为数字"),
            "{e}"
        );
    }

    #[test]
    fn validation_names_the_key() {
        let e = Config::parse("[norms.pace]\nmin_cpm = 400\n", "c.toml").expect_err("range");
        assert_eq!(
            e.to_string(),
            "评分表 c.toml：第 2 行，键 norms.pace.min_cpm：应小于 norms.pace.max_cpm（语速下限要低于上限；must be below norms.pace.max_cpm）"
        );
        let e = Config::parse("disabled_rules = [\"taboo.nope\"]\n", "c.toml").expect_err("rule");
        assert!(e.to_string().contains("taboo.nope"));
    }
}
