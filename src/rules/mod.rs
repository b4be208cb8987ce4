//! The scorecard's own rules: a QA lead adds checks to the eleven norms in
//! the scorecard TOML (`[[rules]]`), and this engine compiles them once per
//! run and applies them to every call after the built-in norms.
//!
//! A rule is a condition over one call built from operators — phrases
//! (any / all / at least N of a list or a lexicon, with exclusions, `re:`
//! patterns and edit-distance matching), who said it, where (first / last
//! N utterances, a time window), context (after / before an anchor within
//! N utterances or S seconds), counts, metrics (speech rate, confidence,
//! gaps, overlap, silence, duration), the linked ticket's fields, the
//! built-in operators of [`ops`], and all / any / not — and a kind: `must`
//! (violated when the condition fails) or `must_not` (violated when it
//! holds, once per piece of evidence).
//!
//! Invariants: every pattern is compiled in [`RuleSet::compile`], into the
//! same automata the lexicons use, never while a call is scored; a rule
//! that cannot compile is refused with the rule, the key and why, before
//! any input is read; evaluation is pure and never panics. Rule ids are
//! interned once per distinct id ([`intern`]), so that a custom finding
//! carries a `&'static str` like a built-in one and the scoring path
//! allocates no id.

pub mod ops;
pub mod spec;

use std::path::Path;
use std::sync::Mutex;

use crate::config::Config;
use crate::lexicon::{Lexicon, LexiconKind};
use crate::model::{Finding, NormId, Severity, Speaker, Ticket};
use crate::norms::{CallView, Outcome};
use crate::text::count_chars;

pub use spec::{CondSpec, OneOrMany, RuleSpec, TicketSpec};

/// A rule that cannot compile: which rule (0-based, in file order), the
/// key inside it (`check.after.phrases`) and why, in Chinese.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileError {
    /// The rule's position among the `[[rules]]` tables.
    pub rule: usize,
    /// The rule's id as written (may be empty).
    pub id: String,
    /// The key inside the rule.
    pub key: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

/// One piece of evidence a condition found in a call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Event<'r> {
    /// The utterance, when the evidence is in one (None: the whole call
    /// or the ticket).
    pub utt: Option<usize>,
    /// Byte range of the words in the utterance's original text (empty
    /// for a metric).
    pub span: (usize, usize),
    /// The utterance's start and end, seconds.
    pub at: Option<(f64, f64)>,
    /// The measured value, for a metric.
    pub value: f64,
    /// Which entry of a phrase list matched (for `need` / `at_least`).
    pub entry: usize,
    /// How to show it.
    pub what: What<'r>,
}

/// How a piece of evidence is shown in a finding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum What<'r> {
    /// Words: the excerpt marks them with 【】.
    Words,
    /// A measured value.
    Metric(Metric),
    /// A fixed note (a ticket condition, a `not`).
    Note(&'r str),
}

impl<'r> Event<'r> {
    /// Evidence in utterance `i`, bytes `start..end`.
    pub fn at(view: &CallView<'_>, i: usize, start: usize, end: usize, what: What<'r>) -> Self {
        let u = &view.call.utterances[i];
        Event {
            utt: Some(i),
            span: (start, end),
            at: Some((u.start, u.end)),
            value: 0.0,
            entry: 0,
            what,
        }
    }

    /// Evidence about the whole call.
    pub fn whole(what: What<'r>) -> Self {
        Event {
            utt: None,
            span: (0, 0),
            at: None,
            value: 0.0,
            entry: 0,
            what,
        }
    }
}

/// The measured values a rule can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Counted characters a minute over the speaker's utterances.
    SpeechRate,
    /// Mean ASR confidence of the speaker's utterances.
    Confidence,
    /// Seconds between the other party's end and the speaker's start.
    Gap,
    /// Seconds the speaker starts before the other party's end.
    Overlap,
    /// Start of the speaker's first utterance, seconds into the call.
    FirstResponse,
    /// Seconds nobody speaks, before an utterance.
    Silence,
    /// The call's length in seconds.
    Duration,
}

impl Metric {
    const ALL: [(&'static str, Metric); 7] = [
        ("speech_rate", Metric::SpeechRate),
        ("confidence", Metric::Confidence),
        ("gap", Metric::Gap),
        ("overlap", Metric::Overlap),
        ("first_response", Metric::FirstResponse),
        ("silence", Metric::Silence),
        ("duration", Metric::Duration),
    ];

    /// The note shown with a finding.
    pub fn note(self, v: f64) -> String {
        match self {
            Metric::SpeechRate => format!("语速 {v:.0} 字/分钟"),
            Metric::Confidence => format!("平均识别置信度 {v:.2}"),
            Metric::Gap => format!("对方说完 {v:.1} 秒后才接话"),
            Metric::Overlap => format!("对方还没说完就开口（重叠 {v:.1} 秒）"),
            Metric::FirstResponse => format!("第一句话在接通后 {v:.1} 秒"),
            Metric::Silence => format!("静默 {v:.1} 秒"),
            Metric::Duration => format!("通话时长 {v:.0} 秒"),
        }
    }

    /// Who is measured when the rule does not say.
    fn default_who(self) -> Option<Speaker> {
        match self {
            Metric::Silence | Metric::Duration => None,
            _ => Some(Speaker::Agent),
        }
    }
}

/// How a custom rule's findings cost points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cost {
    /// As the norm deducts (its points at once, or its `per_finding`).
    Norm,
    /// The rule's findings cost this once, capped by what the norm has left.
    Once(f64),
    /// Each finding costs this, capped by what the norm has left.
    Each(f64),
}

thread_local! {
    /// How many times [`RuleSet::compile`] ran on this thread: a test shows
    /// with it that a run compiles its scorecard's rules once (the check
    /// when the scorecard is read is the compile the scorer uses). Per
    /// thread, so that tests running side by side do not count each other.
    static COMPILES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The number of rule-set compiles so far on this thread (for tests).
#[doc(hidden)]
pub fn compile_count() -> usize {
    COMPILES.with(|c| c.get())
}

/// The rules a scorecard was checked with when it was read, kept with the
/// [`Config`] so that the scorer does not compile them a second time.
/// They are used only while the scorecard is still the one they were
/// compiled from (its serialised text is compared), so a scorecard changed
/// in code after reading (try-rule, tests) is compiled afresh. Two
/// scorecards compare equal whatever their cache holds.
#[derive(Clone, Default)]
pub struct Compiled(Option<(String, std::sync::Arc<RuleSet>)>);

impl Compiled {
    /// The rules compiled from `config`, to keep in it.
    pub fn new(config: &Config, rules: RuleSet) -> Compiled {
        match toml::to_string(config) {
            Ok(text) => Compiled(Some((text, std::sync::Arc::new(rules)))),
            Err(_) => Compiled(None),
        }
    }

    /// The kept rules when `config` is still the scorecard they came from.
    pub fn fresh_for(&self, config: &Config) -> Option<std::sync::Arc<RuleSet>> {
        let (text, rules) = self.0.as_ref()?;
        let now = toml::to_string(config).ok()?;
        (now == *text).then(|| rules.clone())
    }
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Compiled(yes)"
        } else {
            "Compiled(no)"
        })
    }
}

impl PartialEq for Compiled {
    fn eq(&self, _: &Compiled) -> bool {
        true
    }
}

/// The scorecard's compiled rules: the built-in norms' checks (the
/// operators of [`ops::NORMS`]) and the centre's own rules, applied by
/// [`RuleSet::outcomes`], the scorer's one path from a call to findings.
#[derive(Default)]
pub struct RuleSet {
    /// The eleven norms' checks, in [`ops::NORMS`] order (all eleven are
    /// built, for [`RuleSet::check_norm`]; `runs` says which score).
    norms: Vec<NormRule>,
    /// Which built-in norm runs, by [`NormId::index`]: enabled and one of
    /// the scorecard's items.
    runs: [bool; 11],
    /// The centre's own items, in scorecard order: their rules decide.
    custom_items: Vec<NormId>,
    /// The scorecard's item count (the outcomes' usual length).
    items: usize,
    /// `disabled_rules`: findings of these ids are dropped.
    disabled: Vec<String>,
    /// The centre's own rules, in scorecard order.
    rules: Vec<Rule>,
}

/// A built-in norm's check as a rule of the engine.
struct NormRule {
    norm: NormId,
    check: Box<dyn crate::norms::Norm>,
}

struct Rule {
    id: &'static str,
    norm: NormId,
    description: &'static str,
    severity: Severity,
    cost: Cost,
    words: bool,
    must: bool,
    when: Option<Cond>,
    check: Cond,
}

/// What a compiled rule is, for `hotline-qa rules` and the tools.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RuleInfo {
    /// The interned id.
    pub id: &'static str,
    /// Its norm.
    pub norm: NormId,
    /// Its description.
    pub description: &'static str,
}

struct Cond {
    source: Source,
    who: Option<Speaker>,
    first: Option<usize>,
    last: Option<usize>,
    from_s: Option<f64>,
    to_s: Option<f64>,
    last_s: Option<f64>,
    context: Vec<(Ctx, Cond)>,
    within: Option<usize>,
    within_s: Option<f64>,
    count: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    After,
    Before,
    NotAfter,
    NotBefore,
}

enum Source {
    Phrases(Phrases),
    Metric {
        metric: Metric,
        above: Option<f64>,
        below: Option<f64>,
    },
    Ticket(TicketCond),
    Builtin(Box<dyn ops::Operator>),
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
}

struct Phrases {
    /// The rule's own phrases and lexicon file, compiled as a lexicon.
    own: Option<Lexicon>,
    /// A built-in lexicon of the scorecard, searched as the norms search it.
    kind: Option<LexiconKind>,
    /// Every entry must be heard.
    need_all: bool,
    /// At least this many different entries must be heard.
    at_least: usize,
    /// Edits allowed for literal entries (0: exact only).
    fuzzy: usize,
    /// The own literals' clean chars, for the fuzzy match.
    fuzzy_entries: Vec<Vec<char>>,
    /// The own exclusion contexts (`!保证金`), as positive entries: a
    /// fuzzy hit inside one does not count, as an exact hit does not
    /// (the lexicon applies them to its exact hits itself).
    fuzzy_exclusions: Option<Box<Lexicon>>,
    /// Entries in all (own, then the built-in lexicon's), for `need = "all"`.
    entries: usize,
}

struct TicketCond {
    checks: Vec<TicketCheck>,
    label: String,
}

enum TicketCheck {
    In(Field, Vec<String>),
    Empty(Field, bool),
    Shorter(Field, usize),
    Longer(Field, usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Category,
    Subcategory,
    Handling,
    Urgency,
    CallerName,
    CallerPhone,
    EventTime,
    EventLocation,
    Content,
    StaffName,
    StaffNo,
    Unit,
    UnitLevel,
}

const FIELDS: [(&str, &str, Field); 13] = [
    ("category", "诉求类别", Field::Category),
    ("subcategory", "诉求子类", Field::Subcategory),
    ("handling", "办理方式", Field::Handling),
    ("urgency", "紧急程度", Field::Urgency),
    ("caller_name", "来电人姓名", Field::CallerName),
    ("caller_phone", "联系电话", Field::CallerPhone),
    ("event_time", "事件时间", Field::EventTime),
    ("event_location", "事件地点", Field::EventLocation),
    ("content", "诉求内容", Field::Content),
    ("complained_staff_name", "被投诉人姓名", Field::StaffName),
    ("complained_staff_no", "被投诉人工号", Field::StaffNo),
    ("unit", "承办单位", Field::Unit),
    ("unit_level", "单位层级", Field::UnitLevel),
];

impl Field {
    fn parse(s: &str) -> Option<Field> {
        let s = s.trim();
        FIELDS
            .iter()
            .find(|(k, zh, _)| k.eq_ignore_ascii_case(s) || *zh == s)
            .map(|f| f.2)
    }

    fn zh(self) -> &'static str {
        FIELDS.iter().find(|f| f.2 == self).map_or("", |f| f.1)
    }

    fn get(self, t: &Ticket) -> &str {
        match self {
            Field::Category => &t.category_raw,
            Field::Subcategory => &t.subcategory,
            Field::Handling => &t.handling_raw,
            Field::Urgency => t.urgency.map_or("", |u| u.zh()),
            Field::CallerName => &t.caller_name,
            Field::CallerPhone => &t.caller_phone,
            Field::EventTime => &t.event_time,
            Field::EventLocation => &t.event_location,
            Field::Content => &t.content,
            Field::StaffName => &t.complained_staff_name,
            Field::StaffNo => &t.complained_staff_no,
            Field::Unit => &t.unit,
            Field::UnitLevel => &t.unit_level,
        }
    }
}

// ---------------------------------------------------------------------
// Interned ids.

struct Known {
    id: &'static str,
    norm: NormId,
    description: &'static str,
}

/// Every custom rule id compiled in this process, with its norm and its
/// latest description: at most one leaked string per distinct id and
/// description, so bounded by the rules of the scorecards read.
static KNOWN: Mutex<Vec<Known>> = Mutex::new(Vec::new());

/// Interns a custom rule id (and its description), returning the
/// `&'static str` its findings carry.
pub fn intern(id: &str, norm: NormId, description: &str) -> (&'static str, &'static str) {
    let mut known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(k) = known.iter_mut().find(|k| k.id == id) {
        if k.description != description {
            k.description = Box::leak(description.into());
        }
        k.norm = norm;
        return (k.id, k.description);
    }
    let id: &'static str = Box::leak(id.into());
    let description: &'static str = Box::leak(description.into());
    known.push(Known {
        id,
        norm,
        description,
    });
    (id, description)
}

/// The interned id of a custom rule a scorecard read in this process
/// defined (reviews.csv, calibrate and rescore accept it like a built-in id).
pub fn known_custom(id: &str) -> Option<&'static str> {
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    known.iter().find(|k| k.id == id.trim()).map(|k| k.id)
}

/// What a custom rule checks, as its scorecard describes it.
pub fn custom_description(id: &str) -> Option<&'static str> {
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    known.iter().find(|k| k.id == id).map(|k| k.description)
}

/// The norm of a custom rule, if one was compiled.
pub fn custom_norm(id: &str) -> Option<NormId> {
    let known = KNOWN.lock().unwrap_or_else(|e| e.into_inner());
    known.iter().find(|k| k.id == id).map(|k| k.norm)
}

/// A rule's description: the built-in list, then the custom rules.
pub fn describe(id: &str) -> &'static str {
    crate::norms::RULES
        .iter()
        .find(|(r, _)| *r == id)
        .map(|(_, d)| *d)
        .or_else(|| custom_description(id))
        .unwrap_or("")
}

// ---------------------------------------------------------------------
// Compiling.

type Bad = (String, String);

fn bad<T>(key: &str, message: impl Into<String>) -> Result<T, Bad> {
    Err((key.to_string(), message.into()))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn parse_who(s: &str) -> Option<Option<Speaker>> {
    match s.trim() {
        "any" | "任何人" | "任意" | "所有人" => Some(None),
        "agent" | "话务员" | "坐席" => Some(Some(Speaker::Agent)),
        "caller" | "来电人" | "市民" => Some(Some(Speaker::Caller)),
        "unit" | "承办单位" | "单位" => Some(Some(Speaker::Unit)),
        _ => None,
    }
}

fn check_seconds(key: &str, v: Option<f64>) -> Result<Option<f64>, Bad> {
    match v {
        Some(x) if !x.is_finite() || x < 0.0 => bad(
            key,
            format!("{x} 应为 0 或更多秒（must be 0 or more seconds）"),
        ),
        v => Ok(v),
    }
}

impl RuleSet {
    /// No rules of the centre's own: what a scorecard without `[[rules]]`
    /// (beyond the eleven norms' `op` rules) compiles to.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether built-in norm `n` is checked: enabled and one of the items.
    pub fn runs(&self, n: NormId) -> bool {
        self.runs.get(n.index()).copied().unwrap_or(false)
    }

    /// The built-in norms' rules that run, in the order of their findings.
    pub fn norm_rules(&self) -> impl Iterator<Item = NormId> + '_ {
        self.norms.iter().map(|r| r.norm).filter(|n| self.runs(*n))
    }

    fn enabled(&self, id: &str) -> bool {
        !self.disabled.iter().any(|r| r == id)
    }

    /// Every rule on a call, before points are given: the built-in norms'
    /// operators (disabled rules' findings removed), the centre's own items
    /// unassessed, then the centre's rules joining their norms' findings.
    /// The outcomes are in the order findings are listed: the built-in
    /// norms in [`ops::NORMS`] order, then the centre's items.
    pub fn outcomes(&self, view: &CallView<'_>) -> Vec<(NormId, Outcome)> {
        let mut out = Vec::with_capacity(self.norms.len().max(self.items));
        out.extend(self.norms.iter().filter(|r| self.runs(r.norm)).map(|r| {
            let o = match r.check.check(view) {
                Outcome::Assessed(mut f) => {
                    f.retain(|f| self.enabled(f.rule));
                    Outcome::Assessed(f)
                }
                o => o,
            };
            (r.norm, o)
        }));
        out.extend(self.custom_items.iter().map(|n| (*n, Outcome::NotAssessed)));
        if !self.rules.is_empty() {
            self.apply(view, &mut out);
        }
        out
    }

    /// One built-in norm's check on a call, whether it runs or not (for
    /// benchmarks and tools).
    pub fn check_norm(&self, id: NormId, view: &CallView<'_>) -> Outcome {
        match self.norms.iter().find(|r| r.norm == id) {
            Some(r) => r.check.check(view),
            None => Outcome::NotAssessed,
        }
    }

    /// The compiled rules, in scorecard order.
    pub fn infos(&self) -> Vec<RuleInfo> {
        self.rules
            .iter()
            .map(|r| RuleInfo {
                id: r.id,
                norm: r.norm,
                description: r.description,
            })
            .collect()
    }

    /// Compiles the scorecard's `[[rules]]` (lexicon paths as the
    /// scorecard gives them, already made relative to its folder by
    /// [`Config::load`]). Rules switched off in `disabled_rules` are
    /// checked and their ids known, but not applied.
    pub fn compile(config: &Config) -> Result<RuleSet, CompileError> {
        COMPILES.with(|c| c.set(c.get() + 1));
        let mut rules = Vec::with_capacity(config.rules.len());
        // The norms whose `op` rule the scorecard wrote (each at most once).
        let mut written: Vec<NormId> = Vec::new();
        for (k, spec) in config.rules.iter().enumerate() {
            if spec.op.is_some() {
                let norm = check_norm_rule(spec, config, &written).map_err(|(key, message)| {
                    CompileError {
                        rule: k,
                        id: spec.id.clone(),
                        key,
                        message,
                    }
                })?;
                written.push(norm);
                continue;
            }
            let rule =
                compile_rule(spec, config, &config.rules[..k]).map_err(|(key, message)| {
                    CompileError {
                        rule: k,
                        id: spec.id.clone(),
                        key,
                        message,
                    }
                })?;
            if config.rule_enabled(rule.id) {
                rules.push(rule);
            }
        }
        // Every built-in item is checked by its norm's operator, written
        // in the scorecard or not: a scorecard of before the `op` rules
        // (and the default one) scores as it always did.
        let items = config.items();
        let mut runs = [false; 11];
        for n in NormId::ALL {
            runs[n.index()] = config.norms.common(n).enabled && items.position(n).is_some();
        }
        Ok(RuleSet {
            norms: ops::NORMS
                .iter()
                .map(|r| NormRule {
                    norm: r.norm,
                    check: (r.build)(config),
                })
                .collect(),
            runs,
            custom_items: items.norms().filter(|n| !n.is_builtin()).collect(),
            items: items.len(),
            disabled: config.disabled_rules.clone(),
            rules,
        })
    }

    /// Applies every rule whose norm is assessed in `out` (the built-in
    /// norms' outcomes, enabled norms only): a rule's findings join its
    /// norm's; a norm the built-in check did not assess becomes assessed
    /// when a rule found something on it, or when a rule with a `when`
    /// applied to the call.
    pub fn apply(&self, view: &CallView<'_>, out: &mut [(NormId, Outcome)]) {
        for r in &self.rules {
            let Some((_, slot)) = out.iter_mut().find(|(n, _)| *n == r.norm) else {
                continue;
            };
            let mut anchors = Vec::new();
            if let Some(w) = &r.when {
                if !w.eval(view, &mut anchors) {
                    continue;
                }
            }
            let found = r.findings(view, &anchors);
            // A centre's own item has no built-in check: its rules assess
            // it on every call they apply to (a clean call earns its points).
            let assess = !found.is_empty() || r.when.is_some() || !r.norm.is_builtin();
            match slot {
                Outcome::Assessed(f) => f.extend(found),
                Outcome::NotAssessed if assess => *slot = Outcome::Assessed(found),
                Outcome::NotAssessed => {}
            }
        }
    }

    /// How a finding of `rule` costs, when it is one of these rules (the
    /// interned id is compared by address first).
    pub fn cost(&self, rule: &str) -> Option<Cost> {
        self.find(rule).map(|r| r.cost)
    }

    /// Whether `rule` is one of these rules and rests on words.
    pub fn is_word_rule(&self, rule: &str) -> bool {
        self.find(rule).is_some_and(|r| r.words)
    }

    fn find(&self, rule: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| std::ptr::eq(r.id, rule))
            .or_else(|| self.rules.iter().find(|r| r.id == rule))
    }
}

/// Checks a built-in norm's rule (`op = "greeting"`): the operator is one
/// of the eleven, its norm is the one written, and nothing else is written
/// (its parameters are the norm's `[norms.KEY]` table). Returns its norm.
fn check_norm_rule(spec: &RuleSpec, config: &Config, written: &[NormId]) -> Result<NormId, Bad> {
    let op = spec.op.as_deref().unwrap_or("").trim();
    let Some(reg) = ops::find_norm(op) else {
        let names: Vec<&str> = ops::NORMS.iter().map(|r| r.name).collect();
        return bad(
            "op",
            format!(
                "没有“{op}”这个评分项算子，可用的：{}；要自己写条件请去掉 op，写 kind 和 check（unknown norm operator）",
                names.join("、")
            ),
        );
    };
    let items = config.items();
    let key = reg.norm.key();
    match items.parse(&spec.norm) {
        Some(n) if n == reg.norm => {}
        Some(_) => {
            return bad(
                "norm",
                format!(
                    "op = \"{op}\" 是评分项 {key}（{}）的检查，norm 请写 \"{key}\"（the operator belongs to another norm）",
                    reg.norm.name_zh()
                ),
            )
        }
        None => {
            return bad(
                "norm",
                format!(
                    "“{}”不是本评分表的评分项：op = \"{op}\" 要求 [[items]] 里有 {key}，或去掉这条规则（unknown norm）",
                    spec.norm
                ),
            )
        }
    }
    let id = spec.id.trim();
    if !id.is_empty() && id != key {
        return bad(
            "id",
            format!("评分项 {key} 的内置检查，id 请写 \"{key}\" 或不写（an op rule's id is its norm key）"),
        );
    }
    let extra = [
        ("kind", !spec.kind.trim().is_empty()),
        ("check", spec.check != CondSpec::default()),
        ("when", spec.when.is_some()),
        ("points", spec.points.is_some()),
        ("per_finding", spec.per_finding.is_some()),
        ("words", spec.words),
        ("severity", spec.severity.trim() != "deduct"),
    ];
    if let Some((k, _)) = extra.iter().find(|(_, on)| *on) {
        return bad(
            k,
            format!(
                "评分项 {key} 的内置检查（op）只写 norm 和 op（可加 id、description）：分值、阈值和开关在 [norms.{key}] 里改，逐条关闭写 disabled_rules（an op rule takes no {k}）"
            ),
        );
    }
    if written.contains(&reg.norm) {
        return bad(
            "op",
            format!(
                "评分项 {key} 的内置检查前面已经写过一次，请删掉重复的这条（duplicate op rule）"
            ),
        );
    }
    Ok(reg.norm)
}

fn compile_rule(spec: &RuleSpec, config: &Config, before: &[RuleSpec]) -> Result<Rule, Bad> {
    let items = config.items();
    let norm = items.parse(&spec.norm).ok_or_else(|| {
        let dropped = NormId::parse(&spec.norm)
            .map(|n| {
                format!(
                    "“{}”是内置评分项，但本评分表的 [[items]] 没有列它；",
                    n.name_zh()
                )
            })
            .unwrap_or_default();
        (
            "norm".to_string(),
            format!(
                "“{}”不是评分项，{dropped}请写本评分表评分项之一的键或中文名：{}（unknown norm）",
                spec.norm,
                items.keys_zh()
            ),
        )
    })?;
    let id = spec.id.trim();
    let name = id
        .strip_prefix(norm.key())
        .and_then(|r| r.strip_prefix('.'));
    let good_name = name.is_some_and(|n| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    });
    if !good_name {
        return bad(
            "id",
            format!(
                "规则编号“{id}”应写成 评分项键.名字，如 {}.my_rule（名字用字母、数字、下划线；rule ids are norm.name）",
                norm.key()
            ),
        );
    }
    // `KEY.manual` is the rule of a finding a reviewer adds on a built-in
    // norm without naming one (reviews.csv).
    if crate::norms::RULES.iter().any(|(r, _)| *r == id)
        || norm.is_builtin() && name == Some("manual")
    {
        return bad(
            "id",
            format!("“{id}”是内置规则的编号，请另起一个名字（hotline-qa rules 列出内置规则；id clashes with a built-in rule）"),
        );
    }
    if let Some(k) = before.iter().position(|r| r.id.trim() == id) {
        return bad(
            "id",
            format!(
                "规则编号“{id}”和第 {} 条规则重复，请改成不同的编号（duplicate rule id）",
                k + 1
            ),
        );
    }
    if spec.description.trim().is_empty() {
        return bad(
            "description",
            "请写上这条规则查什么（中文，显示在扣分明细里；description is required）",
        );
    }
    let severity = match spec.severity.trim() {
        "deduct" | "扣分" => Severity::Deduct,
        "critical" | "重大风险" | "重大" => Severity::Critical,
        "red_line" | "红线" | "一票否决" => Severity::RedLine,
        s => {
            return bad(
                "severity",
                format!(
                    "“{s}”应为 deduct（扣分）、critical（重大风险）或 red_line（红线，一票否决）"
                ),
            )
        }
    };
    let must = match spec.kind.trim() {
        "must" | "必须" => true,
        "must_not" | "不得" | "禁止" => false,
        "" => {
            return bad(
                "kind",
                "请写 kind = \"must\"（必须做到，没做到扣分）或 kind = \"must_not\"（不得出现，出现就扣分）（kind is required）",
            )
        }
        k => {
            return bad(
                "kind",
                format!(
                    "“{k}”应为 must（必须做到，没做到扣分）或 must_not（不得出现，出现就扣分）"
                ),
            )
        }
    };
    let norm_points = items.get(norm).map_or(0.0, |i| i.points);
    let cost = match (spec.points, spec.per_finding) {
        (Some(_), Some(_)) => {
            return bad(
                "points",
                "points（一次扣多少）和 per_finding（每条扣多少）只能写一个",
            )
        }
        (Some(p), None) | (None, Some(p)) => {
            let key = if spec.points.is_some() {
                "points"
            } else {
                "per_finding"
            };
            if !p.is_finite() || p < 0.0 {
                return bad(key, format!("{p} 应为 0 或更大的数（must be 0 or more）"));
            }
            if p > norm_points {
                return bad(
                    key,
                    format!(
                        "{p} 超过了评分项 {}（{}）的满分 {norm_points}，请改小或调高 {}（more than the norm's points）",
                        norm.name_zh(),
                        norm.key(),
                        if config.items.is_empty() {
                            format!("norms.{}.points", norm.key())
                        } else {
                            format!("[[items]] 里 {} 的 points", norm.key())
                        }
                    ),
                );
            }
            if spec.points.is_some() {
                Cost::Once(p)
            } else {
                Cost::Each(p)
            }
        }
        (None, None) => Cost::Norm,
    };
    let when = match &spec.when {
        Some(w) => Some(compile_cond(w, "when", config)?),
        None => None,
    };
    let check = compile_cond(&spec.check, "check", config)?;
    let (id, description) = intern(id, norm, spec.description.trim());
    Ok(Rule {
        id,
        norm,
        description,
        severity,
        cost,
        words: spec.words,
        must,
        when,
        check,
    })
}

fn compile_cond(spec: &CondSpec, path: &str, config: &Config) -> Result<Cond, Bad> {
    let key = |k: &str| join(path, k);
    let has_phrases = !spec.phrases.is_empty() || spec.lexicon.is_some();
    let sources = [
        has_phrases,
        spec.metric.is_some(),
        spec.ticket.is_some(),
        spec.builtin.is_some(),
        !spec.all.is_empty(),
        !spec.any.is_empty(),
        spec.not.is_some(),
    ];
    let n = sources.iter().filter(|s| **s).count();
    if n == 0 {
        return bad(
            path,
            "条件里没有要查的东西：请写 phrases、lexicon、metric、ticket、builtin、all、any、not 中的一个（no operator）",
        );
    }
    if n > 1 {
        return bad(
            path,
            "一个条件只能用一种算子（phrases/lexicon、metric、ticket、builtin、all、any、not 选一个），要同时满足几样请写 all = [ {…}, {…} ]（one operator per condition）",
        );
    }
    if !has_phrases && (spec.need.is_some() || spec.at_least.is_some() || spec.fuzzy.is_some()) {
        return bad(
            &key("need"),
            "need、at_least、fuzzy 只能和 phrases 或 lexicon 一起写",
        );
    }
    if spec.metric.is_none() && (spec.above.is_some() || spec.below.is_some()) {
        return bad(&key("above"), "above、below 只能和 metric 一起写");
    }
    if spec.builtin.is_none() && !spec.params.is_empty() {
        return bad(&key("params"), "params 只能和 builtin 一起写");
    }
    let mut who = match &spec.who {
        Some(w) => Some(parse_who(w).ok_or_else(|| {
            (
                key("who"),
                format!(
                    "“{w}”应为 agent（话务员）、caller（来电人）、unit（承办单位）或 any（任何人）"
                ),
            )
        })?),
        None => None,
    };
    let source = if has_phrases {
        who.get_or_insert(Some(Speaker::Agent));
        Source::Phrases(compile_phrases(spec, path, config)?)
    } else if let Some(m) = &spec.metric {
        let metric = Metric::ALL
            .iter()
            .find(|(k, _)| k == &m.trim())
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|(k, _)| *k).collect();
                (
                    key("metric"),
                    format!(
                        "没有“{m}”这个指标，可用的：{}（unknown metric）",
                        names.join("、")
                    ),
                )
            })?;
        if spec.above.is_none() && spec.below.is_none() {
            return bad(
                &key("metric"),
                "指标要写 above（高于多少算）或 below（低于多少算）",
            );
        }
        for (k, v) in [("above", spec.above), ("below", spec.below)] {
            if v.is_some_and(|x| !x.is_finite()) {
                return bad(&key(k), "应为一个数");
            }
        }
        who.get_or_insert(metric.default_who());
        Source::Metric {
            metric,
            above: spec.above,
            below: spec.below,
        }
    } else if let Some(t) = &spec.ticket {
        Source::Ticket(compile_ticket(t, &key("ticket"))?)
    } else if let Some(b) = &spec.builtin {
        let op = ops::find(b).ok_or_else(|| {
            let names: Vec<&str> = ops::REGISTRY.iter().map(|r| r.name).collect();
            (
                key("builtin"),
                format!(
                    "没有“{b}”这个内置算子，可用的：{}（unknown operator）",
                    names.join("、")
                ),
            )
        })?;
        Source::Builtin(
            (op.build)(&spec.params).map_err(|(k, m)| (key(&format!("params.{k}")), m))?,
        )
    } else if !spec.all.is_empty() {
        Source::All(compile_list(&spec.all, &key("all"), config)?)
    } else if !spec.any.is_empty() {
        Source::Any(compile_list(&spec.any, &key("any"), config)?)
    } else {
        let inner = spec.not.as_deref().unwrap_or(&CondSpec::default()).clone();
        Source::Not(Box::new(compile_cond(&inner, &key("not"), config)?))
    };
    if spec.first.is_some() && spec.last.is_some() {
        return bad(&key("first"), "first 和 last 只能写一个");
    }
    for (k, v) in [
        ("first", spec.first),
        ("last", spec.last),
        ("count", spec.count),
    ] {
        if v == Some(0) {
            return bad(&key(k), "应为 1 或更大的整数");
        }
    }
    let from_s = check_seconds(&key("from_s"), spec.from_s)?;
    let to_s = check_seconds(&key("to_s"), spec.to_s)?;
    let last_s = check_seconds(&key("last_s"), spec.last_s)?;
    let within_s = check_seconds(&key("within_s"), spec.within_s)?;
    let mut context = Vec::new();
    for (k, ctx, c) in [
        ("after", Ctx::After, &spec.after),
        ("before", Ctx::Before, &spec.before),
        ("not_after", Ctx::NotAfter, &spec.not_after),
        ("not_before", Ctx::NotBefore, &spec.not_before),
    ] {
        if let Some(c) = c {
            context.push((ctx, compile_cond(c, &key(k), config)?));
        }
    }
    if context.is_empty() && (spec.within.is_some() || spec.within_s.is_some()) {
        return bad(
            &key("within"),
            "within、within_s 是上下文的范围，要和 after、before、not_after 或 not_before 一起写",
        );
    }
    Ok(Cond {
        source,
        who: who.flatten(),
        first: spec.first,
        last: spec.last,
        from_s,
        to_s,
        last_s,
        context,
        within: spec.within,
        within_s,
        count: spec.count.unwrap_or(1),
    })
}

fn compile_list(specs: &[CondSpec], path: &str, config: &Config) -> Result<Vec<Cond>, Bad> {
    specs
        .iter()
        .enumerate()
        .map(|(i, c)| compile_cond(c, &format!("{path}[{}]", i + 1), config))
        .collect()
}

fn compile_phrases(spec: &CondSpec, path: &str, config: &Config) -> Result<Phrases, Bad> {
    let key = |k: &str| join(path, k);
    let mut text = String::new();
    let mut kind = None;
    if let Some(l) = &spec.lexicon {
        if let Some(k) = LexiconKind::ALL.iter().find(|k| k.key() == l.trim()) {
            kind = Some(*k);
        } else {
            let p = Path::new(l.trim());
            let lex_text = std::fs::read(p)
                .map_err(|e| {
                    (
                        key("lexicon"),
                        format!(
                            "读不了词表文件 {}：{}；请检查路径（相对评分表所在文件夹），或写内置词表的键：{}（cannot read the lexicon）",
                            p.display(),
                            crate::messages::io_zh(&e),
                            LexiconKind::ALL.map(|k| k.key()).join("、")
                        ),
                    )
                })
                .and_then(|b| {
                    String::from_utf8(b).map_err(|_| {
                        (
                            key("lexicon"),
                            format!("词表文件 {} 不是 UTF-8 编码，请另存为 UTF-8", p.display()),
                        )
                    })
                })?;
            // Checked alone first, so that an error names the file's own line.
            Lexicon::parse(&lex_text, &p.display().to_string())
                .map_err(|e| (key("lexicon"), e.to_string()))?;
            text.push_str(&lex_text);
            text.push('\n');
        }
    }
    let from_file = text.lines().count();
    for (i, p) in spec.phrases.iter().enumerate() {
        if p.contains('\n') {
            return bad(
                &key("phrases"),
                format!("第 {} 项里有换行，请一项写一个词", i + 1),
            );
        }
        if p.trim().is_empty() {
            return bad(&key("phrases"), format!("第 {} 项是空的，请删掉", i + 1));
        }
        text.push_str(p);
        text.push('\n');
    }
    let own = if text.trim().is_empty() {
        None
    } else {
        Some(Lexicon::parse(&text, "phrases").map_err(|e| {
            let item = e.line.saturating_sub(from_file);
            (
                key("phrases"),
                if item > 0 {
                    format!("第 {item} 项：{}", e.message)
                } else {
                    e.message
                },
            )
        })?)
    };
    let own_entries = own.as_ref().map_or(0, Lexicon::len);
    let kind_entries = kind.map_or(0, |k| {
        config
            .lexicons
            .get(k.key())
            .and_then(|p| Lexicon::load(p).ok())
            .or_else(|| Lexicon::parse(k.builtin(), k.key()).ok())
            .map_or(0, |l| l.len())
    });
    let entries = own_entries + kind_entries;
    if entries == 0 {
        return bad(
            &key("phrases"),
            "没有可找的词条（只有排除项 ! 或注释），请至少写一个词",
        );
    }
    let need_all = match spec.need.as_deref().map(str::trim) {
        None | Some("any") | Some("任一") => false,
        Some("all") | Some("全部") => true,
        Some(n) => {
            return bad(
                &key("need"),
                format!("“{n}”应为 any（说到任何一个）或 all（每个都要说到）；至少说到几个请用 at_least = N"),
            )
        }
    };
    let at_least = spec.at_least.unwrap_or(1);
    if at_least == 0 || at_least > entries {
        return bad(&key("at_least"), format!("应在 1 到词条数 {entries} 之间"));
    }
    let fuzzy = spec.fuzzy.unwrap_or(0);
    if fuzzy > 5 {
        return bad(
            &key("fuzzy"),
            "最多允许 5 处差异（fuzzy 0–5），差异太多什么都能匹配上",
        );
    }
    let fuzzy_entries = match (&own, fuzzy) {
        (Some(l), f) if f > 0 => l.literals().map(|(_, c)| c.chars().collect()).collect(),
        _ => Vec::new(),
    };
    // The exclusions were checked with the lexicon above, so this cannot
    // fail on a line the lexicon accepted; it is built only when fuzzy
    // matching is on, the one place the lexicon's own check does not reach.
    let fuzzy_exclusions = if fuzzy > 0 {
        let excl: String = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix('!'))
            .map(|l| format!("{}\n", l.trim()))
            .collect();
        if excl.trim().is_empty() {
            None
        } else {
            Some(Box::new(Lexicon::parse(&excl, "phrases").map_err(|e| {
                (key("phrases"), format!("排除项：{}", e.message))
            })?))
        }
    } else {
        None
    };
    Ok(Phrases {
        own,
        kind,
        need_all,
        at_least,
        fuzzy,
        fuzzy_entries,
        fuzzy_exclusions,
        entries,
    })
}

fn compile_ticket(t: &TicketSpec, path: &str) -> Result<TicketCond, Bad> {
    let key = |k: &str| join(path, k);
    let mut checks = Vec::new();
    let mut label = Vec::new();
    for (k, field, v) in [
        ("category", Field::Category, &t.category),
        ("subcategory", Field::Subcategory, &t.subcategory),
        ("handling", Field::Handling, &t.handling),
        ("urgency", Field::Urgency, &t.urgency),
    ] {
        let Some(v) = v else { continue };
        let values: Vec<String> = v.values().iter().map(|s| s.trim().to_string()).collect();
        for s in &values {
            let known = match field {
                Field::Category => crate::model::Category::parse(s).is_some(),
                Field::Handling => crate::model::Handling::parse(s).is_some(),
                Field::Urgency => crate::model::Urgency::parse(s).is_some(),
                _ => true,
            };
            if !known {
                let hint = match field {
                    Field::Category => "建议、一般诉求、求助、投诉举报、咨询、表扬",
                    Field::Handling => "直接办理、电话交办、工单转办",
                    _ => "普通、急办、一般应急、重大应急",
                };
                return bad(&key(k), format!("“{s}”不是{}的值（{hint}）", field.zh()));
            }
        }
        label.push(format!("{} {}", field.zh(), values.join("/")));
        checks.push(TicketCheck::In(field, values));
    }
    let ops_given = t.equals.is_some()
        || !t.one_of.is_empty()
        || t.empty.is_some()
        || t.shorter_than.is_some()
        || t.longer_than.is_some();
    match &t.field {
        None if ops_given => {
            return bad(
                &key("field"),
                "equals、in、empty、shorter_than、longer_than 要和 field（哪个字段）一起写",
            )
        }
        None => {}
        Some(f) => {
            let field = Field::parse(f).ok_or_else(|| {
                let names: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
                (
                    key("field"),
                    format!("没有“{f}”这个工单字段，可用的：{}", names.join("、")),
                )
            })?;
            if !ops_given {
                return bad(
                    &key("field"),
                    "请写这个字段要满足什么：equals、in、empty、shorter_than 或 longer_than",
                );
            }
            let zh = field.zh();
            if let Some(e) = &t.equals {
                label.push(format!("{zh} 为 {e}"));
                checks.push(TicketCheck::In(field, vec![e.trim().to_string()]));
            }
            if !t.one_of.is_empty() {
                label.push(format!("{zh} 为 {}", t.one_of.join("/")));
                checks.push(TicketCheck::In(
                    field,
                    t.one_of.iter().map(|s| s.trim().to_string()).collect(),
                ));
            }
            if let Some(e) = t.empty {
                label.push(format!("{zh}{}", if e { "为空" } else { "已填写" }));
                checks.push(TicketCheck::Empty(field, e));
            }
            if let Some(n) = t.shorter_than {
                label.push(format!("{zh}不足 {n} 字"));
                checks.push(TicketCheck::Shorter(field, n));
            }
            if let Some(n) = t.longer_than {
                label.push(format!("{zh}超过 {n} 字"));
                checks.push(TicketCheck::Longer(field, n));
            }
        }
    }
    if checks.is_empty() {
        return bad(
            path,
            "工单条件是空的：请写 category、subcategory、handling、urgency，或 field 加 equals/in/empty/shorter_than/longer_than",
        );
    }
    Ok(TicketCond {
        checks,
        label: format!("工单：{}", label.join("，")),
    })
}

// ---------------------------------------------------------------------
// Evaluating.

impl Rule {
    fn findings(&self, view: &CallView<'_>, anchors: &[Event<'_>]) -> Vec<Finding> {
        let mut events = Vec::new();
        let holds = self.check.eval(view, &mut events);
        if self.must {
            if holds {
                return Vec::new();
            }
            let note = format!("没有做到：{}", self.description);
            let f = match anchors.iter().find_map(|e| e.utt) {
                Some(i) => view.finding_quoting(self.norm, self.id, i, &note),
                None => Finding::new(self.norm, self.id, note),
            };
            return vec![self.weigh(f)];
        }
        if !holds {
            return Vec::new();
        }
        // Evidence in utterances is what a reviewer checks; evidence about
        // the whole call (a ticket field) makes one finding only when
        // there is none in an utterance.
        let mut placed: Vec<&Event<'_>> = events.iter().filter(|e| e.utt.is_some()).collect();
        placed.sort_by_key(|e| (e.utt, e.span));
        placed.dedup_by(|a, b| a.utt == b.utt && a.span == b.span);
        if placed.is_empty() {
            let note = events
                .iter()
                .find_map(|e| match e.what {
                    What::Metric(m) => Some(m.note(e.value)),
                    What::Note(n) if !n.is_empty() => Some(n.to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| self.description.to_string());
            return vec![self.weigh(Finding::new(self.norm, self.id, note))];
        }
        placed
            .into_iter()
            .map(|e| {
                let i = e.utt.unwrap_or(0);
                let f = match e.what {
                    What::Words if e.span.1 > e.span.0 => {
                        view.finding_at(self.norm, self.id, i, e.span.0, e.span.1)
                    }
                    What::Metric(m) => {
                        view.finding_quoting(self.norm, self.id, i, &m.note(e.value))
                    }
                    What::Note(n) => view.finding_quoting(self.norm, self.id, i, n),
                    What::Words => view.finding_quoting(self.norm, self.id, i, ""),
                };
                self.weigh(f)
            })
            .collect()
    }

    fn weigh(&self, mut f: Finding) -> Finding {
        f.severity = self.severity;
        f
    }
}

impl Cond {
    /// Appends the condition's evidence to `out` and says whether it holds.
    fn eval<'r>(&'r self, view: &CallView<'_>, out: &mut Vec<Event<'r>>) -> bool {
        let from = out.len();
        let mut holds = true;
        match &self.source {
            Source::Phrases(p) => p.events(view, self.who, out),
            Source::Metric {
                metric,
                above,
                below,
            } => metric_events(view, *metric, self.who, *above, *below, out),
            Source::Ticket(t) => {
                if t.holds(view.ticket) {
                    out.push(Event::whole(What::Note(&t.label)));
                }
            }
            Source::Builtin(op) => op.events(view, out),
            Source::All(cs) => {
                for c in cs {
                    holds &= c.eval(view, out);
                }
                if !holds {
                    out.truncate(from);
                }
            }
            Source::Any(cs) => {
                holds = false;
                for c in cs {
                    let at = out.len();
                    if c.eval(view, out) {
                        holds = true;
                    } else {
                        out.truncate(at);
                    }
                }
            }
            Source::Not(c) => {
                let mut inner = Vec::new();
                holds = !c.eval(view, &mut inner);
                if holds {
                    out.push(Event::whole(What::Note("")));
                }
            }
        }
        self.filter(view, from, out);
        if let Source::Phrases(p) = &self.source {
            let mut seen: Vec<usize> = out[from..].iter().map(|e| e.entry).collect();
            seen.sort_unstable();
            seen.dedup();
            let wanted = if p.need_all { p.entries } else { p.at_least };
            if seen.len() < wanted {
                out.truncate(from);
            }
        }
        holds &= out.len() - from >= self.count;
        if !holds {
            out.truncate(from);
        }
        holds
    }

    /// Keeps the evidence from `from` on that passes who / where / context.
    fn filter(&self, view: &CallView<'_>, from: usize, out: &mut Vec<Event<'_>>) {
        let utts = &view.call.utterances;
        if let Some(w) = self.who {
            retain_from(out, from, |e| e.utt.is_none_or(|i| utts[i].speaker == w));
        }
        if self.first.is_some() || self.last.is_some() {
            // Rank of each utterance among the speaker's (or everyone's).
            let of_speaker: Vec<usize> = (0..utts.len())
                .filter(|&i| self.who.is_none_or(|w| utts[i].speaker == w))
                .collect();
            let n = of_speaker.len();
            let keep = |i: usize| match of_speaker.binary_search(&i) {
                Ok(rank) => match (self.first, self.last) {
                    (Some(f), _) => rank < f,
                    (_, Some(l)) => rank + l >= n,
                    _ => true,
                },
                Err(_) => false,
            };
            retain_from(out, from, |e| e.utt.is_none_or(keep));
        }
        if self.from_s.is_some() || self.to_s.is_some() || self.last_s.is_some() {
            let length = utts.iter().map(|u| u.end).fold(0.0, f64::max);
            retain_from(out, from, |e| {
                e.at.is_none_or(|(s, end)| {
                    self.from_s.is_none_or(|f| s >= f)
                        && self.to_s.is_none_or(|t| s <= t)
                        && self.last_s.is_none_or(|l| end >= length - l)
                })
            });
        }
        for (ctx, anchor) in &self.context {
            let mut anchors = Vec::new();
            anchor.eval(view, &mut anchors);
            let near = |e: &Event<'_>, a: &Event<'_>, after: bool| -> bool {
                // Evidence or an anchor about the whole call has no place:
                // the context is the whole call.
                let (Some(ei), Some(ai)) = (e.utt, a.utt) else {
                    return true;
                };
                let ordered = if after {
                    ai < ei || (ai == ei && a.span.0 <= e.span.0)
                } else {
                    ei < ai || (ai == ei && e.span.0 <= a.span.0)
                };
                let in_turns = self.within.is_none_or(|w| ei.abs_diff(ai) <= w);
                let in_seconds = match (self.within_s, e.at, a.at) {
                    (Some(s), Some((es, ee)), Some((as_, ae))) => {
                        if after {
                            es - ae <= s
                        } else {
                            as_ - ee <= s
                        }
                    }
                    _ => true,
                };
                ordered && in_turns && in_seconds
            };
            let ctx = *ctx;
            retain_from(out, from, |e| {
                let after = matches!(ctx, Ctx::After | Ctx::NotAfter);
                let found = anchors.iter().any(|a| near(e, a, after));
                match ctx {
                    Ctx::After | Ctx::Before => found,
                    Ctx::NotAfter | Ctx::NotBefore => !found,
                }
            });
        }
    }
}

fn retain_from<'r>(out: &mut Vec<Event<'r>>, from: usize, keep: impl Fn(&Event<'r>) -> bool) {
    let mut i = from;
    let mut k = from;
    while i < out.len() {
        if keep(&out[i]) {
            out.swap(k, i);
            k += 1;
        }
        i += 1;
    }
    out.truncate(k);
}

impl Phrases {
    fn events<'r>(&'r self, view: &CallView<'_>, who: Option<Speaker>, out: &mut Vec<Event<'r>>) {
        let own_len = self.own.as_ref().map_or(0, Lexicon::len);
        for (i, u) in view.call.utterances.iter().enumerate() {
            if who.is_some_and(|w| u.speaker != w) {
                continue;
            }
            let text = view.text(i);
            let clean = view.texts.get(i);
            let at = out.len();
            if let Some(lex) = &self.own {
                for h in lex.find_clean(text, clean) {
                    let mut e = Event::at(view, i, h.start, h.end, What::Words);
                    e.entry = entry_index(lex, h.entry);
                    out.push(e);
                }
            }
            if let Some(k) = self.kind {
                let lex = view.lexicons.get(k);
                for h in view.find(k, i) {
                    let mut e = Event::at(view, i, h.start, h.end, What::Words);
                    e.entry = own_len + entry_index(lex, h.entry);
                    out.push(e);
                }
            }
            if self.fuzzy > 0 {
                let chars: Vec<char> = clean.chars().collect();
                let excluded: Vec<(usize, usize)> = self
                    .fuzzy_exclusions
                    .as_ref()
                    .map(|x| {
                        x.find_clean(text, clean)
                            .iter()
                            .map(|h| (h.start, h.end))
                            .collect()
                    })
                    .unwrap_or_default();
                for (k, pattern) in self.fuzzy_entries.iter().enumerate() {
                    // A short entry within `fuzzy` edits would match nearly
                    // anything: those are matched exactly only.
                    if pattern.len() <= 2 * self.fuzzy || out[at..].iter().any(|e| e.entry == k) {
                        continue;
                    }
                    // The best match first; when it lies inside an exclusion
                    // context, the text before and after it is searched
                    // again, so that a slip outside the context is still
                    // found. Without exclusions this is one search, as before.
                    let mut ranges = vec![(0, chars.len())];
                    while let Some((lo, hi)) = ranges.pop() {
                        if hi <= lo {
                            continue;
                        }
                        let (d, rel_end) = crate::text::substring_distance(pattern, &chars[lo..hi]);
                        if d > self.fuzzy || rel_end == 0 {
                            continue;
                        }
                        let end = lo + rel_end;
                        let start = end.saturating_sub(pattern.len()).max(lo);
                        let (s, e) = clean.original_span(
                            clean.clean_start_of_char(start),
                            clean.clean_start_of_char(end),
                        );
                        if excluded.iter().any(|&(xs, xe)| xs <= s && e <= xe) {
                            ranges.push((end, hi));
                            ranges.push((lo, start));
                            continue;
                        }
                        let mut ev = Event::at(view, i, s, e, What::Words);
                        ev.entry = k;
                        out.push(ev);
                        break;
                    }
                }
            }
        }
    }
}

/// The position of a hit's entry in its lexicon (literals first, then
/// patterns), so that `need = "all"` counts different entries.
fn entry_index(lex: &Lexicon, entry: &str) -> usize {
    lex.literals()
        .position(|(e, _)| e == entry)
        .unwrap_or_else(|| {
            // A pattern: its text, hashed into the slots after the literals.
            lex.literals().count() + pattern_slot(entry)
        })
}

fn pattern_slot(pattern: &str) -> usize {
    // Distinct patterns get distinct slots in practice; a clash only
    // merges two patterns for the `need`/`at_least` count.
    pattern
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize))
        % 1_000_003
}

impl TicketCond {
    fn holds(&self, ticket: Option<&Ticket>) -> bool {
        let Some(t) = ticket else {
            return false;
        };
        self.checks.iter().all(|c| match c {
            TicketCheck::In(f, values) => {
                let v = f.get(t).trim();
                values.iter().any(|x| x == v)
            }
            TicketCheck::Empty(f, e) => f.get(t).trim().is_empty() == *e,
            TicketCheck::Shorter(f, n) => count_chars(f.get(t)) < *n,
            TicketCheck::Longer(f, n) => count_chars(f.get(t)) > *n,
        })
    }
}

fn metric_events(
    view: &CallView<'_>,
    metric: Metric,
    who: Option<Speaker>,
    above: Option<f64>,
    below: Option<f64>,
    out: &mut Vec<Event<'_>>,
) {
    let passes = |v: f64| above.is_none_or(|a| v > a) && below.is_none_or(|b| v < b);
    let utts = &view.call.utterances;
    let of = |i: usize| who.is_none_or(|w| utts[i].speaker == w);
    let push_at = |i: usize, v: f64, out: &mut Vec<Event<'_>>| {
        let mut e = Event::at(view, i, 0, 0, What::Metric(metric));
        e.value = v;
        out.push(e);
    };
    match metric {
        Metric::SpeechRate => {
            let (mut chars, mut secs) = (0usize, 0.0);
            for (i, u) in utts.iter().enumerate() {
                if of(i) && u.end > u.start {
                    chars += count_chars(&u.text);
                    secs += u.end - u.start;
                }
            }
            if secs > 0.0 {
                let v = chars as f64 / secs * 60.0;
                if passes(v) {
                    let mut e = Event::whole(What::Metric(metric));
                    e.value = v;
                    out.push(e);
                }
            }
        }
        Metric::Confidence => {
            let (sum, n) = utts
                .iter()
                .enumerate()
                .filter(|(i, _)| of(*i))
                .filter_map(|(_, u)| u.confidence)
                .fold((0.0, 0usize), |(s, n), c| (s + c, n + 1));
            if n > 0 && passes(sum / n as f64) {
                let mut e = Event::whole(What::Metric(metric));
                e.value = sum / n as f64;
                out.push(e);
            }
        }
        Metric::Gap | Metric::Overlap => {
            for i in 1..utts.len() {
                let (p, u) = (&utts[i - 1], &utts[i]);
                if !of(i) || p.speaker == u.speaker {
                    continue;
                }
                let v = if metric == Metric::Gap {
                    u.start - p.end
                } else {
                    p.end - u.start
                };
                if v >= 0.0 && passes(v) {
                    push_at(i, v, out);
                }
            }
        }
        Metric::FirstResponse => {
            if let Some(i) = (0..utts.len()).find(|&i| of(i)) {
                if passes(utts[i].start) {
                    push_at(i, utts[i].start, out);
                }
            }
        }
        Metric::Silence => {
            let mut heard_until = 0.0f64;
            for (i, u) in utts.iter().enumerate() {
                let v = u.start - heard_until;
                if i > 0 && of(i) && v > 0.0 && passes(v) {
                    push_at(i, v, out);
                }
                heard_until = heard_until.max(u.end);
            }
        }
        Metric::Duration => {
            let v = utts.iter().map(|u| u.end).fold(0.0, f64::max);
            if passes(v) {
                let mut e = Event::whole(What::Metric(metric));
                e.value = v;
                out.push(e);
            }
        }
    }
}

// ---------------------------------------------------------------------
// Places in the TOML text, for errors.

/// The line of `key` (a dotted path inside the rule, whose last part is
/// looked for) in the `rule`-th `[[rules]]` table of `text`, or that
/// table's header line.
pub fn line_of(text: &str, rule: usize, key: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "[[rules]]")
        .map(|(i, _)| i)
        .nth(rule)?;
    let end = lines[header + 1..]
        .iter()
        .position(|l| l.trim() == "[[rules]]")
        .map_or(lines.len(), |k| header + 1 + k);
    let leaf = key
        .rsplit('.')
        .next()
        .unwrap_or(key)
        .split('[')
        .next()
        .unwrap_or(key);
    let assigns = |l: &str, k: &str| {
        let t = l.trim_start();
        !t.starts_with('#')
            && ((t.starts_with(k) && t[k.len()..].trim_start().starts_with('='))
                || t.contains(&format!("{{ {k} ="))
                || t.contains(&format!("{{{k} ="))
                || t.contains(&format!(", {k} =")))
    };
    // Start at the part of the rule the key is in (`[rules.check]`,
    // `check = {…}`, `when = …`), so that a key both parts have is found
    // in the right one.
    // The deepest `[rules.a.b]` header the key is under, else the line
    // assigning its first part.
    let tables: Vec<&str> = key
        .split('.')
        .map(|s| s.split('[').next().unwrap_or(s))
        .collect();
    let tables = &tables[..tables.len().saturating_sub(1)];
    let under = (1..=tables.len()).rev().find_map(|k| {
        let h = format!("[rules.{}]", tables[..k].join("."));
        lines[header..end]
            .iter()
            .position(|l| l.trim() == h)
            .map(|p| header + p)
    });
    let part = tables.first().copied().unwrap_or("");
    let start = under.unwrap_or_else(|| {
        lines[header..end]
            .iter()
            .position(|l| !part.is_empty() && assigns(l, part))
            .map_or(header, |k| header + k)
    });
    let found = lines[start..end].iter().position(|l| assigns(l, leaf));
    Some(found.map_or(start, |k| start + k) + 1)
}

/// Makes the lexicon file paths of every rule relative to `base` (the
/// scorecard's folder), leaving built-in lexicon keys as they are.
pub fn resolve_paths(rules: &mut [RuleSpec], base: &Path) {
    fn walk(c: &mut CondSpec, base: &Path) {
        if let Some(l) = c.lexicon.as_mut() {
            let is_key = LexiconKind::ALL.iter().any(|k| k.key() == l.trim());
            if !is_key && Path::new(l.trim()).is_relative() {
                *l = base.join(l.trim()).display().to_string();
            }
        }
        for c in c.all.iter_mut().chain(c.any.iter_mut()) {
            walk(c, base);
        }
        for c in [
            &mut c.not,
            &mut c.after,
            &mut c.before,
            &mut c.not_after,
            &mut c.not_before,
        ]
        .into_iter()
        .flatten()
        {
            walk(c, base);
        }
    }
    for r in rules {
        if let Some(w) = r.when.as_mut() {
            walk(w, base);
        }
        walk(&mut r.check, base);
    }
}

#[cfg(test)]
mod tests;
