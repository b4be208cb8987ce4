//! The eleven service norms (spec §2), one file each behind the [`Norm`]
//! trait, and the [`Scorer`] that applies a scorecard's rules to a call.
//! The norms run as operators of the rule engine (`crate::rules::ops`,
//! `op = "greeting"`): the scorer has one path, compiled rules → findings
//! → tally.
//!
//! Invariants: norms do no I/O and never panic on odd input; everything a
//! norm needs (lexicons, directory, thresholds) is compiled once in
//! [`Scorer::new`], never inside `check`. A norm speaks only of its own
//! evidence; points, red lines and manual overrides are the scorer's job.

use crate::config::Config;
use crate::config::Items;
use crate::input::manual::ManualScore;
use crate::lexicon::directory::Directory;
use crate::lexicon::{Hit, LexiconError, LexiconKind, Lexicons, ScanMatch, SCAN_GROUPS};
use crate::model::{Call, Finding, NormId, PerItem, Severity, Speaker, Ticket};
use crate::text::CleanTexts;

pub(crate) mod accuracy;
pub mod against;
pub(crate) mod attitude;
pub(crate) mod clarity;
pub(crate) mod closing;
pub(crate) mod communication;
pub(crate) mod courtesy;
pub(crate) mod greeting;
pub(crate) mod pace;
pub(crate) mod process;
pub(crate) mod taboo;
pub(crate) mod ticket;

pub use accuracy::{phone_numbers, PhoneMention};

/// Every rule id with what it means, for `hotline-qa rules`, the config's
/// `disabled_rules`, and the docs.
pub const RULES: &[(&str, &str)] = &[
    (
        "greeting.no_agent_speech",
        "话务员全程没有说话，没有报读开头语",
    ),
    (
        "greeting.missing_part",
        "开头语缺少“您好”“市长热线”“有什么可以帮(到)您”中的一部分",
    ),
    ("greeting.not_standard", "开头语与标准开头语相差太大"),
    ("closing.missing", "话务员最后两句话里没有标准结束语"),
    (
        "courtesy.slang",
        "使用网络用语或过于随意的用语（亲、酱紫、OK……）",
    ),
    ("courtesy.ni", "多次用“你”称呼来电人（“你们”不算）"),
    ("pace.too_fast", "语速快于上限（默认 300 字/分钟）"),
    ("pace.too_slow", "语速慢于下限（默认 120 字/分钟）"),
    (
        "clarity.low_confidence",
        "话务员发言的平均识别置信度低于阈值（默认 0.75）",
    ),
    ("clarity.repeat_requests", "来电人多次表示听不清或要求重复"),
    (
        "accuracy.unknown_number",
        "告知来电人的电话号码不在单位与热线通讯录中",
    ),
    (
        "accuracy.wrong_unit_number",
        "说出某单位时给的是通讯录里另一单位的号码",
    ),
    (
        "process.legal_dispatched",
        "涉法涉诉/经济纠纷/公检法求助被工单转办（不在受理范围）",
    ),
    (
        "process.legal_no_guidance",
        "涉法涉诉求助，话务员未引导正确途径（12348、110、法院、检察院……）",
    ),
    (
        "process.discipline_dispatched",
        "违法乱纪举报被工单转办（不在受理范围）",
    ),
    (
        "process.discipline_no_channel",
        "违法乱纪举报，话务员未提供 12388 或信访电话",
    ),
    (
        "process.praise_handling",
        "表扬热线应直接办理，表扬承办单位应工单转办",
    ),
    ("process.emergency_handling", "一般应急、重大应急应电话交办"),
    (
        "communication.interruptions",
        "多次打断来电人（在来电人说完前 1 秒以上开口）",
    ),
    (
        "communication.no_question",
        "来电人说了 4 句以上，话务员一个问题也没问",
    ),
    ("attitude.no_agent_speech", "话务员全程没有接话"),
    ("attitude.late_first_response", "第一句话晚于接通后 3 秒"),
    (
        "attitude.slow_response",
        "来电人说完后超过 5 秒才接话（之前未请来电人稍等）",
    ),
    ("ticket.invalid_category", "诉求类别为空或不是六类之一"),
    ("ticket.invalid_handling", "办理方式为空或不是有效值"),
    (
        "ticket.missing_field",
        "转办/交办工单缺少来电人姓名、联系电话、事件时间或事件地点",
    ),
    (
        "ticket.content_too_short",
        "诉求内容太短（转办/交办 20 字，直接办理 10 字）",
    ),
    (
        "ticket.missing_staff",
        "投诉工作人员态度的工单缺少被投诉人姓名或工号",
    ),
    (
        "ticket.category_mismatch",
        "来电人说明要投诉举报或表扬，工单诉求类别却记成别的（如把投诉记成咨询）",
    ),
    (
        "ticket.name_mismatch",
        "来电人报的姓与工单来电人姓名不符（同音字如张/章为疑似识别错误，待复核）",
    ),
    (
        "ticket.phone_mismatch",
        "来电人报的联系电话（或“就这个号”时的来电号码）与工单联系电话不符",
    ),
    (
        "ticket.place_missing",
        "来电人说了事发地点（小区、路、村……），工单事件地点和诉求内容都没有",
    ),
    (
        "ticket.harm_omitted",
        "来电人说有人受伤或有人身危险，工单诉求内容没有提到",
    ),
    (
        "ticket.repeat_omitted",
        "来电人说已反映过（或关联到此前工单），工单诉求内容未写明重复反映",
    ),
    (
        "process.risk_not_escalated",
        "来电人有轻生言论或集体上访、拉横幅等行动，工单未标热点难点或提高紧急程度，或内容未记录（轻生为严重 critical）",
    ),
    (
        "process.complaint_not_dispatched",
        "投诉举报工单直接办理（违法乱纪、涉法涉诉除外），应转承办单位",
    ),
    (
        "taboo.forbidden_phrase",
        "使用禁用语（喂、哦、我不知道、这是规定我没办法……）",
    ),
    ("taboo.blame", "埋怨责怪、顶撞训斥、讽刺挖苦来电人"),
    (
        "taboo.insult",
        "辱骂来电人（红线，一票否决：整通电话 0 分）",
    ),
];

/// The rules whose findings rest on recognised words (a lexicon or pattern
/// match, or words missing from a standard phrase): an ASR error can make
/// them wrong, so in an uncertain utterance they wait for a reviewer.
/// Rules that judge times, speech rate, confidence or overlap themselves
/// (pace, clarity, interruptions, attitude) and ticket fields alone are
/// not here; the rules that hold the ticket against the caller's words
/// (spec §2.1) are.
/// A finding that points at no utterance (no question in the whole call,
/// process findings judged on the ticket) is never marked.
pub const WORD_RULES: &[&str] = &[
    "greeting.missing_part",
    "greeting.not_standard",
    "closing.missing",
    "courtesy.slang",
    "courtesy.ni",
    "accuracy.unknown_number",
    "accuracy.wrong_unit_number",
    "process.legal_dispatched",
    "process.legal_no_guidance",
    "process.discipline_dispatched",
    "process.discipline_no_channel",
    "process.praise_handling",
    "process.emergency_handling",
    "communication.no_question",
    "ticket.category_mismatch",
    "ticket.name_mismatch",
    "ticket.phone_mismatch",
    "ticket.place_missing",
    "ticket.harm_omitted",
    "ticket.repeat_omitted",
    "process.risk_not_escalated",
    "taboo.forbidden_phrase",
    "taboo.blame",
    "taboo.insult",
];

/// A norm's verdict on one call.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The norm does not apply (no ticket, no number given, caller hung up first…).
    NotAssessed,
    /// Assessed: no findings is a pass.
    Assessed(Vec<Finding>),
}

/// One independent check applied to a single call.
pub trait Norm: Send + Sync {
    /// Which norm this is.
    fn id(&self) -> NormId;
    /// Pure: no I/O, never panics on odd input.
    fn check(&self, call: &CallView<'_>) -> Outcome;
}

/// A view's buffers, kept by each thread for its next view: six
/// allocations a call fewer, and memory that is still in the cache.
#[derive(Default)]
struct ViewBuffers {
    texts: CleanTexts,
    agent: Vec<usize>,
    scans: Vec<[std::cell::OnceCell<(usize, usize)>; SCAN_GROUPS]>,
    scanned: Vec<ScanMatch>,
}

impl ViewBuffers {
    /// The bytes the buffers hold.
    fn capacity_bytes(&self) -> usize {
        self.texts.capacity_bytes()
            + self.agent.capacity() * std::mem::size_of::<usize>()
            + self.scans.capacity()
                * std::mem::size_of::<[std::cell::OnceCell<(usize, usize)>; SCAN_GROUPS]>()
            + self.scanned.capacity() * std::mem::size_of::<ScanMatch>()
    }
}

/// Buffers above this size (an unusually long call) are freed, not kept.
const KEPT_VIEW_BYTES: usize = 1 << 20;

thread_local! {
    static VIEW_BUFFERS: std::cell::Cell<Option<ViewBuffers>> = const { std::cell::Cell::new(None) };
}

impl Drop for CallView<'_> {
    fn drop(&mut self) {
        let kept = ViewBuffers {
            texts: std::mem::take(&mut self.texts),
            agent: std::mem::take(&mut self.agent),
            scans: std::mem::take(&mut self.scans),
            scanned: std::mem::take(self.scanned.get_mut()),
        };
        if kept.capacity_bytes() > KEPT_VIEW_BYTES {
            return;
        }
        // During a thread's exit the slot may be gone: the buffers are freed.
        let _ = VIEW_BUFFERS.try_with(|b| b.set(Some(kept)));
    }
}

/// What every norm may look at: the call, its ticket, the clean form of
/// each utterance (computed once) and the compiled lexicons and directory.
pub struct CallView<'a> {
    /// The call.
    pub call: &'a Call<'a>,
    /// Its ticket, when one is linked by call_id.
    pub ticket: Option<&'a Ticket>,
    /// Clean text of each utterance, by index.
    pub texts: CleanTexts,
    /// Indexes of the agent's utterances, in time order.
    pub agent: Vec<usize>,
    /// The lexicons.
    pub lexicons: &'a Lexicons,
    /// The phone directory.
    pub directory: &'a Directory,
    /// Where each utterance's lexicon matches are in `scanned`: one scan per
    /// scan group, on first use.
    scans: Vec<[std::cell::OnceCell<(usize, usize)>; SCAN_GROUPS]>,
    /// The scans themselves, one after the other: one buffer per call.
    scanned: std::cell::RefCell<Vec<ScanMatch>>,
}

impl<'a> CallView<'a> {
    /// Prepares a call for the norms.
    pub fn new(
        call: &'a Call,
        ticket: Option<&'a Ticket>,
        lexicons: &'a Lexicons,
        directory: &'a Directory,
    ) -> Self {
        // The buffers of this thread's last view, refilled.
        let ViewBuffers {
            mut texts,
            mut agent,
            mut scans,
            mut scanned,
        } = VIEW_BUFFERS
            .try_with(|b| b.take())
            .ok()
            .flatten()
            .unwrap_or_default();
        texts.refill(call.utterances.iter().map(|u| u.text.as_ref()));
        agent.clear();
        agent.extend(
            call.utterances
                .iter()
                .enumerate()
                .filter(|(_, u)| u.speaker == Speaker::Agent)
                .map(|(i, _)| i),
        );
        scans.clear();
        scans.resize_with(call.utterances.len(), Default::default);
        scanned.clear();
        // Room for a typical call's lexicon matches, instead of growing
        // four or five times.
        scanned.reserve(64);
        CallView {
            call,
            ticket,
            scans,
            scanned: std::cell::RefCell::new(scanned),
            texts,
            agent,
            lexicons,
            directory,
        }
    }

    /// The hits of lexicon `kind` in utterance `i` (the same as
    /// `lexicons.get(kind).find(text, clean)`, from one scan of the
    /// utterance shared by every lexicon).
    pub fn find(&self, kind: LexiconKind, i: usize) -> Vec<Hit<'a>> {
        let group = kind.scan_group();
        let &(from, to) = self.scans[i][group].get_or_init(|| {
            let mut all = self.scanned.borrow_mut();
            let from = all.len();
            self.lexicons
                .scan_text_into(group, self.texts.get(i), &mut all);
            (from, all.len())
        });
        let all = self.scanned.borrow();
        self.lexicons.get(kind).find_scanned(
            self.text(i),
            self.texts.get(i),
            Lexicons::of_kind(&all[from..to], kind),
        )
    }

    /// Whether lexicon `kind` has a hit in utterance `i`.
    pub fn is_match(&self, kind: LexiconKind, i: usize) -> bool {
        !self.find(kind, i).is_empty()
    }

    /// The original text of utterance `i`.
    pub fn text(&self, i: usize) -> &str {
        &self.call.utterances[i].text
    }

    /// A finding at utterance `i` whose excerpt marks bytes `start..end`.
    pub fn finding_at(
        &self,
        norm: NormId,
        rule: &'static str,
        i: usize,
        start: usize,
        end: usize,
    ) -> Finding {
        Finding::new(
            norm,
            rule,
            crate::text::excerpt_marked(self.text(i), start, end, 60),
        )
        .at(self.call, i)
    }

    /// A finding at utterance `i` quoting it, prefixed by `note`.
    pub fn finding_quoting(
        &self,
        norm: NormId,
        rule: &'static str,
        i: usize,
        note: &str,
    ) -> Finding {
        let quote = crate::text::excerpt(self.text(i), 50);
        let excerpt = if note.is_empty() {
            quote
        } else {
            format!("{note}：{quote}")
        };
        Finding::new(norm, rule, excerpt).at(self.call, i)
    }
}

/// The result of scoring one call.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoredCall {
    /// The call's id.
    pub call_id: String,
    /// The operator.
    pub operator_id: String,
    /// The operator's name.
    pub operator_name: String,
    /// The operator's team.
    pub team: String,
    /// Start time, RFC 3339.
    pub started_at: String,
    /// 0–100.
    pub score: f64,
    /// score ≥ pass mark.
    pub passed: bool,
    /// An insult was found: the score is 0.
    pub red_line: bool,
    /// 优秀 / 良好 / 合格 / 不合格.
    pub grade: &'static str,
    /// Points earned per item (None = not assessed), by position in the
    /// scorecard's items ([`crate::config::Items`]; the eleven norms in
    /// [`NormId::ALL`] order for a scorecard without `[[items]]`).
    pub earned: PerItem<Option<f64>>,
    /// Every finding, in norm order then time order, with the points each cost.
    pub findings: Vec<Finding>,
    /// Norms scored by a reviewer (manual.csv).
    pub manual: Vec<NormId>,
    /// The score after the reviews (equal to `score` without any).
    pub reviewed_score: f64,
    /// reviewed_score ≥ pass mark.
    pub reviewed_passed: bool,
    /// A red line stands after the reviews.
    pub reviewed_red_line: bool,
    /// Findings that need review and have none yet.
    pub needs_review: u32,
    /// Appeals: pending, upheld, overturned.
    pub appeals: [u32; 3],
    /// Mean ASR confidence of the call's utterances (None: not given).
    pub confidence: Option<f64>,
    /// Review rows that matched no finding: (line, reason).
    pub review_unmatched: Vec<(u64, String)>,
    /// The number the call came from (transcript caller_number), masked
    /// by `privacy::Masker` unless --show-pii; empty when not given.
    pub caller_number: String,
    /// The keyed hash of that number (`workflow::repeats::link_key`),
    /// filled by the run that knows the salt; empty otherwise.
    pub caller_link: String,
}

/// Applies the scorecard's norms to calls.
pub struct Scorer {
    config: Config,
    lexicons: Lexicons,
    directory: Directory,
    /// Every rule of the scorecard, compiled: the eleven norms' operators
    /// and the centre's own rules (the scorer's one path to findings).
    rules: std::sync::Arc<crate::rules::RuleSet>,
    /// The scorecard's items, in order (built once).
    items: Items,
}

impl Scorer {
    /// Compiles the scorecard: lexicons (from the config's files or the
    /// built-in ones), the directory and every norm.
    pub fn new(config: Config, directory: Directory) -> Result<Scorer, LexiconError> {
        let lexicons = config.lexicons()?;
        Scorer::with_parts(config, lexicons, directory)
    }

    /// Builds a scorer from already compiled parts, compiling the
    /// scorecard's own rules (a scorecard read by [`Config::load`] has had
    /// them checked already, with the file's line in the error).
    pub fn with_parts(
        config: Config,
        lexicons: Lexicons,
        directory: Directory,
    ) -> Result<Scorer, LexiconError> {
        // The rules compiled when the scorecard was read, when it has not
        // changed since; else compiled here.
        let rules = match config.compiled.fresh_for(&config) {
            Some(rules) => rules,
            None => std::sync::Arc::new(crate::rules::RuleSet::compile(&config).map_err(|e| {
                LexiconError {
                    source_name: "评分表".into(),
                    line: 0,
                    message: format!(
                        "第 {} 条规则 {}，键 {}：{}",
                        e.rule + 1,
                        e.id,
                        e.key,
                        e.message
                    ),
                }
            })?),
        };
        let items = config.items();
        Ok(Scorer {
            config,
            lexicons,
            directory,
            rules,
            items,
        })
    }

    /// The scorecard's items, in order: the columns of every per-item output.
    pub fn items(&self) -> &Items {
        &self.items
    }

    /// The scorecard's rules, compiled (the eleven norms' and its own).
    pub fn rules(&self) -> &crate::rules::RuleSet {
        &self.rules
    }

    /// The scorecard.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The directory in use.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The compiled lexicons.
    pub fn lexicons(&self) -> &Lexicons {
        &self.lexicons
    }

    /// Runs every rule of the scorecard on a call and returns each norm's
    /// outcome (disabled rules removed), before points are given.
    pub fn outcomes(&self, call: &Call, ticket: Option<&Ticket>) -> Vec<(NormId, Outcome)> {
        let view = CallView::new(call, ticket, &self.lexicons, &self.directory);
        self.rules.outcomes(&view)
    }

    /// Runs one norm on a call (for benchmarks and `try-rule`-style tools).
    pub fn check_norm(&self, id: NormId, call: &Call, ticket: Option<&Ticket>) -> Outcome {
        let view = CallView::new(call, ticket, &self.lexicons, &self.directory);
        self.rules.check_norm(id, &view)
    }

    /// Scores a call by the machine: findings, points per item, red line,
    /// total. The reviewed fields equal the machine's: reviews are applied
    /// to the scored call afterwards, by the review feature
    /// (`Scorer::score_reviewed`, in the review feature's `scored.rs`).
    pub fn score(
        &self,
        call: &Call,
        ticket: Option<&Ticket>,
        manual: &[ManualScore],
    ) -> ScoredCall {
        let mut s = self.score_without_ids(call, ticket, manual);
        s.call_id.clone_from(&call.call_id);
        s.operator_id.clone_from(&call.operator_id);
        s.operator_name.clone_from(&call.operator_name);
        s.team.clone_from(&call.team);
        s
    }

    /// As [`Scorer::score`], taking the call: `then` runs on the result
    /// while the call is still there (the reviews, then the privacy
    /// masking, read its utterances), and its ids and names then move into
    /// the result instead of being copied.
    pub fn score_owned_then(
        &self,
        call: Call<'_>,
        ticket: Option<&Ticket>,
        manual: &[ManualScore],
        then: impl FnOnce(&mut ScoredCall, &Call<'_>),
    ) -> ScoredCall {
        let mut s = self.score_without_ids(&call, ticket, manual);
        then(&mut s, &call);
        s.call_id = call.call_id;
        s.operator_id = call.operator_id;
        s.operator_name = call.operator_name;
        s.team = call.team;
        s
    }

    /// The machine's scored call, its ids and names left empty.
    fn score_without_ids(
        &self,
        call: &Call,
        ticket: Option<&Ticket>,
        manual: &[ManualScore],
    ) -> ScoredCall {
        let outcomes = self.outcomes(call, ticket);
        let mut findings = Vec::with_capacity(
            outcomes
                .iter()
                .map(|(_, o)| match o {
                    Outcome::Assessed(f) => f.len(),
                    _ => 0,
                })
                .sum(),
        );
        let mut assessed = PerItem::new(self.items.len(), false);
        for (id, outcome) in outcomes {
            if let Outcome::Assessed(f) = outcome {
                if let Some(p) = self.items.position(id) {
                    assessed[p] = true;
                }
                findings.extend(f);
            }
        }
        let rc = &self.config.review;
        for f in &mut findings {
            // A norm may have marked a finding itself (a surname of the
            // same pinyin, probably ASR): the mark stays.
            f.needs_review = f.needs_review
                || (WORD_RULES.contains(&f.rule) || self.rules.is_word_rule(f.rule))
                    && f.utterance_index
                        .is_some_and(|i| uncertain(call, i, rc.low_confidence, rc.overlap_s));
            if f.rule == "taboo.insult" && self.config.norms.taboo.insult_is_red_line {
                f.severity = Severity::RedLine;
            }
        }
        // Findings are listed grouped by item, in the items' order of
        // creation (a stable sort: within an item, time order stays).
        findings.sort_by_key(|f| f.norm.index());
        let costs_pending = rc.needs_review_costs_points;
        let machine = self.tally(&mut findings, &assessed, manual, false, |f| {
            costs_pending || !f.needs_review
        });
        // Without reviews the reviewed tally is the machine's.
        for f in &mut findings {
            f.reviewed_points = f.points;
        }
        // Mean ASR confidence, without a Vec per call on the hot path.
        let (sum, n) = call
            .utterances
            .iter()
            .filter_map(|u| u.confidence)
            .fold((0.0, 0usize), |(s, n), c| (s + c, n + 1));
        let confidence = (n > 0).then(|| sum / n as f64);
        ScoredCall {
            call_id: String::new(),
            operator_id: String::new(),
            operator_name: String::new(),
            team: String::new(),
            started_at: call.started_at.to_rfc3339(),
            score: machine.score,
            passed: machine.score >= self.config.pass_mark,
            red_line: machine.red_line,
            grade: self.config.grades.grade(machine.score),
            earned: machine.earned,
            reviewed_score: machine.score,
            reviewed_passed: machine.score >= self.config.pass_mark,
            reviewed_red_line: machine.red_line,
            needs_review: findings.iter().filter(|f| f.needs_review).count() as u32,
            appeals: [0; 3],
            confidence,
            review_unmatched: Vec::new(),
            caller_number: call.caller_number.clone().unwrap_or_default(),
            caller_link: String::new(),
            findings,
            // The scorecard's items in order (the eleven under the default
            // one), a centre's own items included: a reviewer may score those too.
            manual: self
                .items
                .iter()
                .filter(|c| c.enabled && (!c.norm.is_builtin() || self.rules.runs(c.norm)))
                .map(|c| c.norm)
                .filter(|n| manual.iter().any(|m| m.norm == *n))
                .collect(),
        }
    }

    /// A second count of a scored call's points over its findings (the
    /// reviewed score, the review feature's `scored.rs`): `assessed` by item,
    /// `active` saying which findings cost; a finding's own
    /// `review.points` replaces its cost, and each cost is written into
    /// `reviewed_points`. Returns the score and whether a red line stands.
    pub fn tally_reviewed(
        &self,
        findings: &mut [Finding],
        assessed: &[bool],
        manual: &[ManualScore],
        active: impl Fn(&Finding) -> bool,
    ) -> (f64, bool) {
        let t = self.tally(findings, assessed, manual, true, active);
        (t.score, t.red_line)
    }

    /// Gives points: per norm, the active findings (in order) cost the
    /// norm's points, all at once or `per_finding` each; a manual score
    /// replaces the norm's; an active red line makes the total 0. Writes
    /// each finding's cost into `points` (machine) or `reviewed_points`.
    fn tally(
        &self,
        findings: &mut [Finding],
        assessed: &[bool],
        manual: &[ManualScore],
        reviewed: bool,
        active: impl Fn(&Finding) -> bool,
    ) -> Tally {
        let mut earned = PerItem::new(self.items.len(), None);
        let mut red_line = false;
        let (mut possible, mut got) = (0.0, 0.0);
        for (pos, common) in self.items.iter().enumerate() {
            let id = common.norm;
            let reviewer = manual.iter().find(|m| m.norm == id);
            // A manual score assesses a norm the machine could not.
            if !common.enabled || !(assessed[pos] || reviewer.is_some()) {
                continue;
            }
            let mut left = common.points;
            // Custom rules that cost `points` once and have already cost them.
            let mut charged: Vec<&str> = Vec::new();
            for f in findings.iter_mut().filter(|f| f.norm == id) {
                let on = active(f) && reviewer.is_none();
                // A reviewer's points count in the reviewed tally only: the
                // machine's cost of a finding never depends on its review.
                let review_points = if reviewed {
                    f.review.as_ref().and_then(|r| r.points)
                } else {
                    None
                };
                let cost = if !on {
                    0.0
                } else if let Some(p) = review_points {
                    p.min(left)
                } else if let Some(c) = (!self.rules.is_empty())
                    .then(|| self.rules.cost(f.rule))
                    .flatten()
                    .filter(|c| *c != crate::rules::Cost::Norm)
                {
                    match c {
                        crate::rules::Cost::Once(_) if charged.contains(&f.rule) => 0.0,
                        crate::rules::Cost::Once(p) => {
                            charged.push(f.rule);
                            p.min(left)
                        }
                        crate::rules::Cost::Each(p) => p.min(left),
                        crate::rules::Cost::Norm => left,
                    }
                } else if common.per_finding > 0.0 {
                    common.per_finding.min(left)
                } else {
                    left
                };
                left -= cost;
                if on && f.severity == Severity::RedLine {
                    red_line = true;
                }
                if reviewed {
                    f.reviewed_points = cost;
                } else {
                    f.points = cost;
                }
            }
            let p = reviewer.map_or(left, |m| m.points);
            earned[pos] = Some(p);
            possible += common.points;
            got += p;
        }
        let mut score = if possible > 0.0 {
            got / possible * 100.0
        } else {
            100.0
        };
        if red_line {
            score = 0.0;
        }
        Tally {
            score: (score * 100.0).round() / 100.0,
            earned,
            red_line,
        }
    }
}

/// One way of counting a call's points (machine or reviewed).
struct Tally {
    score: f64,
    earned: PerItem<Option<f64>>,
    red_line: bool,
}

/// Whether utterance `i` was heard uncertainly: ASR confidence below
/// `low`, or spoken over another speaker for more than `overlap_s` seconds.
pub fn uncertain(call: &Call, i: usize, low: f64, overlap_s: f64) -> bool {
    let Some(u) = call.utterances.get(i) else {
        return false;
    };
    if u.confidence.is_some_and(|c| c < low) {
        return true;
    }
    call.utterances
        .iter()
        .any(|o| o.speaker != u.speaker && (u.end.min(o.end) - u.start.max(o.start)) > overlap_s)
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Builds calls for the norm tables.
    use super::*;
    use crate::model::{Source, Utterance};

    /// `(speaker, start, end, text)` rows → a call.
    pub fn call(rows: &[(char, f64, f64, &str)]) -> Call<'static> {
        Call {
            call_id: "t".into(),
            operator_id: "1".into(),
            operator_name: String::new(),
            team: String::new(),
            started_at: chrono::DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00")
                .expect("time"),
            ended_by: None,
            caller_number: None,
            utterances: rows
                .iter()
                .map(|&(s, start, end, text)| Utterance {
                    speaker: match s {
                        'a' => Speaker::Agent,
                        'c' => Speaker::Caller,
                        _ => Speaker::Unit,
                    },
                    start,
                    end,
                    text: text.to_string().into(),
                    confidence: None,
                    measured: Default::default(),
                })
                .collect(),
            resorted: false,
            source: Source {
                file: "t".into(),
                line: 1,
            },
        }
    }

    /// Runs one norm with the default scorecard; returns the rule ids found,
    /// or None when not assessed.
    pub fn rules(norm: NormId, call: &Call, ticket: Option<&Ticket>) -> Option<Vec<&'static str>> {
        rules_with(&Config::default(), norm, call, ticket)
    }

    /// Runs one norm with the scorecard `config`, as [`rules`] does.
    pub fn rules_with(
        config: &Config,
        norm: NormId,
        call: &Call,
        ticket: Option<&Ticket>,
    ) -> Option<Vec<&'static str>> {
        let scorer = Scorer::new(config.clone(), Directory::builtin()).expect("scorer");
        let out = scorer.outcomes(call, ticket);
        match out.into_iter().find(|(id, _)| *id == norm).map(|(_, o)| o) {
            Some(Outcome::Assessed(f)) => Some(f.iter().map(|f| f.rule).collect()),
            _ => None,
        }
    }

    /// The findings of one norm.
    pub fn findings(norm: NormId, call: &Call, ticket: Option<&Ticket>) -> Vec<Finding> {
        let scorer = Scorer::new(Config::default(), Directory::builtin()).expect("scorer");
        match scorer
            .outcomes(call, ticket)
            .into_iter()
            .find(|(id, _)| *id == norm)
            .map(|(_, o)| o)
        {
            Some(Outcome::Assessed(f)) => f,
            _ => Vec::new(),
        }
    }

    /// The standard greeting utterance at 0.5–4.5 s.
    pub const GREETING: (char, f64, f64, &str) =
        ('a', 0.5, 4.5, "您好！市长热线，请问有什么可以帮到您？");
    /// A standard closing.
    pub const CLOSING: &str = "感谢您的来电，再见！";
}

#[cfg(test)]
mod tests {
    use super::testkit::*;
    use super::*;
    use crate::input::manual::ManualScore;
    use crate::model::Verdict;

    fn scorer() -> Scorer {
        Scorer::new(Config::default(), Directory::builtin()).expect("scorer")
    }

    #[test]
    fn a_thread_keeps_a_usual_views_buffers_and_frees_a_huge_ones() {
        // Each case on a thread of its own, whose buffers start empty.
        let kept_after = |rows: Vec<(char, f64, f64, &'static str)>| {
            std::thread::spawn(move || {
                let s = scorer();
                let c = call(&rows);
                let first = s.outcomes(&c, None);
                let kept = VIEW_BUFFERS.with(|b| b.take());
                let bytes = kept.as_ref().map(ViewBuffers::capacity_bytes);
                VIEW_BUFFERS.with(|b| b.set(kept));
                // A view built over kept buffers judges as a new one.
                assert_eq!(s.outcomes(&c, None), first);
                bytes
            })
            .join()
            .expect("thread")
        };
        let usual = vec![
            ('a', 0.5, 3.0, "您好！市长热线，请问有什么可以帮到您？"),
            ('c', 3.5, 6.0, "我家楼下的路灯坏了"),
        ];
        assert!(kept_after(usual).is_some_and(|b| b > 0 && b <= KEPT_VIEW_BYTES));
        // 100,000 utterances: their scan slots alone are over the limit.
        let huge: Vec<_> = (0..100_000)
            .map(|i| {
                (
                    if i % 2 == 0 { 'a' } else { 'c' },
                    i as f64,
                    i as f64 + 0.5,
                    "好",
                )
            })
            .collect();
        assert_eq!(kept_after(huge), None);
    }

    #[test]
    fn insult_is_a_red_line_and_scores_zero() {
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我要投诉"),
            ('a', 6.5, 9.0, "你是不是神经病啊"),
            ('a', 9.5, 11.0, CLOSING),
        ]);
        let s = scorer().score(&c, None, &[]);
        assert!(s.red_line);
        assert_eq!(s.score, 0.0);
        assert!(!s.passed);
    }

    /// A critical finding (重大风险) costs its norm's points and is reported
    /// apart; it is not a red line: the call's score is not 0.
    #[test]
    fn a_critical_finding_is_not_a_red_line() {
        let scorer = scorer();
        let mut critical = Finding::new(NormId::Process, "process.x", "我【不想活了】");
        critical.severity = Severity::Critical;
        let mut findings = vec![critical];
        let t = scorer.tally(&mut findings, &[true; 11], &[], false, |_| true);
        assert!(!t.red_line);
        let process = scorer.config.norms.common(NormId::Process).points;
        assert_eq!(findings[0].points, process);
        assert_eq!(t.earned[NormId::Process.index()], Some(0.0));
        assert!(t.score > 0.0 && t.score < 100.0, "{}", t.score);
        // Must-catch counterpart: the same finding as a red line is 0.
        findings[0].severity = Severity::RedLine;
        let t = scorer.tally(&mut findings, &[true; 11], &[], false, |_| true);
        assert!(t.red_line);
        assert_eq!(t.score, 0.0);
    }

    #[test]
    fn not_assessed_norms_are_left_out_of_the_total() {
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我想问一下公积金"),
            ('a', 6.5, 12.0, "好的，我帮您看一下情况哈"),
            ('a', 12.5, 14.5, CLOSING),
        ]);
        let s = scorer().score(&c, None, &[]);
        // No ticket: process and ticket not assessed; no number: accuracy not assessed.
        assert_eq!(s.earned[NormId::Process.index()], None);
        assert_eq!(s.earned[NormId::Ticket.index()], None);
        assert_eq!(s.earned[NormId::Accuracy.index()], None);
        assert_eq!(s.score, 100.0);
    }

    #[test]
    fn a_norm_loses_its_points_once_and_findings_show_the_cost() {
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我家停水了"),
            ('a', 6.5, 9.5, "哦，哦，我记下了，请问在哪个小区"),
            ('a', 10.0, 12.0, CLOSING),
        ]);
        let s = scorer().score(&c, None, &[]);
        let taboo: Vec<f64> = s
            .findings
            .iter()
            .filter(|f| f.norm == NormId::Taboo)
            .map(|f| f.points)
            .collect();
        assert_eq!(taboo, vec![10.0, 0.0]);
        assert_eq!(s.earned[NormId::Taboo.index()], Some(0.0));
        // 10 of 60 assessable points lost.
        assert_eq!(s.score, 83.33);
    }

    #[test]
    fn manual_score_replaces_the_automatic_one() {
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我家停水了"),
            ('a', 6.5, 9.5, "哦，我记下了，请问在哪个小区"),
            ('a', 10.0, 12.0, CLOSING),
        ]);
        let m = ManualScore {
            norm: NormId::Taboo,
            points: 8.0,
            reviewer: "李".into(),
            comment: String::new(),
            line: 2,
        };
        let m2 = ManualScore {
            norm: NormId::Accuracy,
            points: 15.0,
            reviewer: "李".into(),
            comment: String::new(),
            line: 3,
        };
        let s = scorer().score(&c, None, &[m, m2]);
        assert_eq!(s.earned[NormId::Taboo.index()], Some(8.0));
        assert_eq!(s.earned[NormId::Accuracy.index()], Some(15.0));
        assert_eq!(s.manual, vec![NormId::Accuracy, NormId::Taboo]);
    }

    #[test]
    fn disabled_rule_finds_nothing() {
        let mut cfg = Config::default();
        cfg.disabled_rules.push("taboo.forbidden_phrase".into());
        let s = Scorer::new(cfg, Directory::builtin()).expect("scorer");
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我家停水了"),
            ('a', 6.5, 9.5, "哦，我记下了，请问在哪个小区"),
            ('a', 10.0, 12.0, CLOSING),
        ]);
        assert_eq!(s.score(&c, None, &[]).score, 100.0);
    }

    #[test]
    fn per_finding_deduction() {
        let mut cfg = Config::default();
        cfg.norms.taboo.per_finding = 3.0;
        let s = Scorer::new(cfg, Directory::builtin()).expect("scorer");
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我家停水了"),
            ('a', 6.5, 9.5, "哦，哦，哦，哦，我记下了，请问在哪个小区"),
            ('a', 10.0, 12.0, CLOSING),
        ]);
        let r = s.score(&c, None, &[]);
        assert_eq!(r.earned[NormId::Taboo.index()], Some(0.0));
        let costs: Vec<f64> = r
            .findings
            .iter()
            .filter(|f| f.norm == NormId::Taboo)
            .map(|f| f.points)
            .collect();
        assert_eq!(costs, vec![3.0, 3.0, 3.0, 1.0]);
    }

    /// Every utterance heard at 0.9, utterance `i` at `conf`.
    fn with_confidence(mut c: Call, i: usize, conf: f64) -> Call {
        for u in &mut c.utterances {
            u.confidence = Some(0.9);
        }
        c.utterances[i].confidence = Some(conf);
        c
    }

    #[test]
    fn a_word_finding_in_an_uncertain_utterance_waits_for_review() {
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我家停水了"),
            ('a', 6.5, 9.5, "哦，我记下了，请问在哪个小区"),
            ('a', 10.0, 12.0, CLOSING),
        ]);
        // Heard clearly: it costs.
        let sure = scorer().score(&with_confidence(c.clone(), 2, 0.9), None, &[]);
        assert_eq!(sure.score, 83.33);
        assert!(!sure.findings[0].needs_review);
        // Heard with confidence 0.5 < 0.6: marked, costs nothing until confirmed.
        let unsure = scorer().score(&with_confidence(c.clone(), 2, 0.5), None, &[]);
        let f = &unsure.findings[0];
        assert_eq!(
            (f.rule, f.needs_review, f.points),
            ("taboo.forbidden_phrase", true, 0.0)
        );
        assert_eq!(unsure.score, 100.0);
        assert_eq!(unsure.needs_review, 1);
        // A low confidence elsewhere (the caller's line) changes nothing.
        let other = scorer().score(&with_confidence(c.clone(), 1, 0.3), None, &[]);
        assert!(!other.findings[0].needs_review);
        // Configured to cost at once: marked and costing.
        let mut cfg = Config::default();
        cfg.review.needs_review_costs_points = true;
        let s = Scorer::new(cfg, Directory::builtin()).expect("scorer");
        let costly = s.score(&with_confidence(c, 2, 0.5), None, &[]);
        assert!(costly.findings[0].needs_review);
        assert_eq!(costly.score, 83.33);
    }

    #[test]
    fn words_over_the_callers_speech_wait_but_the_interruption_itself_does_not() {
        let c = call(&[
            GREETING,
            ('c', 4.0, 9.0, "我家停水了三天了，物业也不管"),
            ('a', 7.5, 10.0, "你说的是哪个小区"),
            ('c', 10.5, 15.0, "幸福小区，我跟你说这个事情很急"),
            ('a', 13.0, 16.0, "行，你留个电话吧"),
            ('a', 16.5, 18.5, CLOSING),
        ]);
        let s = scorer().score(&c, None, &[]);
        let marks: Vec<(&str, bool)> = s
            .findings
            .iter()
            .map(|f| (f.rule, f.needs_review))
            .collect();
        assert!(marks.contains(&("courtesy.ni", true)), "{marks:?}");
        assert!(
            marks.contains(&("communication.interruptions", false)),
            "{marks:?}"
        );
        assert_eq!(s.earned[NormId::Courtesy.index()], Some(10.0));
        assert_eq!(s.earned[NormId::Communication.index()], Some(0.0));
    }

    #[test]
    fn a_short_overlap_or_a_metric_rule_is_not_uncertain() {
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我家停水了"),
            // 0.3 s over the caller's last words: below overlap_s 0.5.
            ('a', 5.7, 9.5, "哦，我记下了，请问在哪个小区"),
            ('a', 10.0, 12.0, CLOSING),
        ]);
        let s = scorer().score(&c, None, &[]);
        assert!(!s.findings[0].needs_review, "{:?}", s.findings);
        // clarity judges confidence itself: never marked.
        let mut low = call(&[
            GREETING,
            ('c', 4.0, 6.0, "喂？"),
            ('a', 6.5, 9.0, "您好，请讲"),
        ]);
        for u in &mut low.utterances {
            u.confidence = Some(0.4);
        }
        let s = scorer().score(&low, None, &[]);
        let clarity: Vec<&Finding> = s
            .findings
            .iter()
            .filter(|f| f.norm == NormId::Clarity)
            .collect();
        assert!(!clarity.is_empty());
        assert!(clarity.iter().all(|f| !f.needs_review));
    }

    #[test]
    fn scoring_a_call_it_takes_gives_the_same_result() {
        let mut c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我要投诉"),
            ('a', 6.5, 9.0, "你是不是神经病啊"),
            ('a', 9.5, 11.0, CLOSING),
        ]);
        c.operator_name = "王芳".into();
        c.team = "A班".into();
        let by_ref = scorer().score_reviewed(&c, None, &[], &[]);
        assert_eq!(
            (by_ref.call_id.as_str(), by_ref.team.as_str()),
            ("t", "A班")
        );
        assert_eq!(scorer().score_reviewed_owned(c, None, &[], &[]), by_ref);
    }

    #[test]
    fn an_uncertain_insult_is_not_a_red_line_until_confirmed() {
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我要投诉"),
            ('a', 6.5, 9.0, "你是不是神经病啊"),
            ('a', 9.5, 11.0, CLOSING),
        ]);
        let s = scorer().score(&with_confidence(c.clone(), 2, 0.4), None, &[]);
        assert!(!s.red_line);
        assert!(!s.reviewed_red_line);
        let confirm = crate::review::reviews::Review {
            call_id: "t".into(),
            norm: NormId::Taboo,
            rule: "taboo.insult",
            utterance_index: Some(2),
            verdict: Some(Verdict::Confirmed),
            appeal: None,
            points: None,
            reviewer: "李".into(),
            reviewed_at: None,
            comment: String::new(),
            line: 2,
        };
        let s = scorer().score_reviewed(&with_confidence(c, 2, 0.4), None, &[], &[confirm]);
        assert!(!s.red_line, "the machine's score stays as it was");
        assert!(s.reviewed_red_line);
        assert_eq!(s.reviewed_score, 0.0);
    }

    fn added(
        norm: NormId,
        rule: &'static str,
        points: Option<f64>,
    ) -> crate::review::reviews::Review {
        crate::review::reviews::Review {
            call_id: "t".into(),
            norm,
            rule,
            utterance_index: None,
            verdict: Some(Verdict::Added),
            appeal: None,
            points,
            reviewer: "李".into(),
            reviewed_at: None,
            comment: String::new(),
            line: 2,
        }
    }

    #[test]
    fn a_confirmed_or_dismissed_addition_stays_out_of_the_machine_score() {
        // proptest found it: an added insult, then a row confirming it, made
        // it a machine finding (a red line: machine score 0 instead of 81.82).
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我家停水了"),
            ('a', 9.5, 11.0, CLOSING),
        ]);
        let plain = scorer().score(&c, None, &[]);
        let confirm = crate::review::reviews::Review {
            verdict: Some(Verdict::Confirmed),
            ..added(NormId::Taboo, "taboo.insult", None)
        };
        let s = scorer().score_reviewed(
            &c,
            None,
            &[],
            &[added(NormId::Taboo, "taboo.insult", None), confirm.clone()],
        );
        assert_eq!(s.score, plain.score, "the machine's score stays as it was");
        assert!(!s.red_line);
        assert!(
            s.reviewed_red_line,
            "the reviewer's confirmed addition counts"
        );
        let f = s
            .findings
            .iter()
            .find(|f| f.rule == "taboo.insult")
            .expect("added");
        assert_eq!(f.verdict(), Some(Verdict::Added), "still an addition");
        // Dismissed afterwards: costs nothing anywhere.
        let dismiss = crate::review::reviews::Review {
            verdict: Some(Verdict::Dismissed),
            ..confirm
        };
        let s = scorer().score_reviewed(
            &c,
            None,
            &[],
            &[added(NormId::Taboo, "taboo.insult", None), dismiss],
        );
        assert_eq!(s.score, plain.score);
        assert!(!s.red_line && !s.reviewed_red_line);
        assert_eq!(s.reviewed_score, plain.score);
    }

    #[test]
    fn a_finding_added_on_a_norm_the_machine_did_not_assess_leaves_the_machine_score() {
        // No number given: accuracy is not assessed by the machine.
        let c = call(&[
            GREETING,
            ('c', 4.0, 6.0, "我家停水了"),
            ('a', 6.5, 9.0, "好的，我记下了，您别急"),
            ('a', 9.5, 11.0, CLOSING),
        ]);
        let plain = scorer().score(&c, None, &[]);
        assert_eq!(plain.earned[NormId::Accuracy.index()], None);
        let s = scorer().score_reviewed(
            &c,
            None,
            &[],
            &[added(NormId::Accuracy, "accuracy.manual", None)],
        );
        assert_eq!(s.score, plain.score, "the machine's score stays as it was");
        assert_eq!(s.earned, plain.earned, "accuracy stays not assessed");
        assert!(
            s.reviewed_score < plain.score,
            "{} {}",
            s.reviewed_score,
            plain.score
        );
    }

    #[test]
    fn points_given_when_adding_what_the_machine_found_do_not_change_its_cost() {
        // No greeting: the machine finds it and takes the norm's points.
        let c = call(&[
            ('a', 0.5, 2.0, "喂"),
            ('c', 4.0, 6.0, "我家停水了"),
            ('a', 6.5, 9.0, "好的，我记下了"),
            ('a', 9.5, 11.0, CLOSING),
        ]);
        let plain = scorer().score(&c, None, &[]);
        let Some(f) = plain.findings.first() else {
            panic!("the call has a finding");
        };
        let s = scorer().score_reviewed(&c, None, &[], &[added(f.norm, f.rule, Some(0.5))]);
        assert_eq!(s.findings[0].points, plain.findings[0].points);
        assert_eq!(s.score, plain.score);
        assert_eq!(s.findings[0].reviewed_points, 0.5);
    }
}
