//! The eleven service norms (spec §2), one file each behind the [`Norm`]
//! trait, and the [`Scorer`] that applies them to a call.
//!
//! Invariants: norms do no I/O and never panic on odd input; everything a
//! norm needs (lexicons, directory, thresholds) is compiled once in
//! [`Scorer::new`], never inside `check`. A norm speaks only of its own
//! evidence; points, red lines and manual overrides are the scorer's job.

use crate::config::Config;
use crate::input::manual::ManualScore;
use crate::lexicon::directory::Directory;
use crate::lexicon::{LexiconError, Lexicons};
use crate::model::{Call, Finding, NormId, Severity, Speaker, Ticket};
use crate::text::NormText;

mod accuracy;
mod attitude;
mod clarity;
mod closing;
mod communication;
mod courtesy;
mod greeting;
mod pace;
mod process;
mod taboo;
mod ticket;

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
        "taboo.forbidden_phrase",
        "使用禁用语（喂、哦、我不知道、这是规定我没办法……）",
    ),
    ("taboo.blame", "埋怨责怪、顶撞训斥、讽刺挖苦来电人"),
    (
        "taboo.insult",
        "辱骂来电人（红线，一票否决：整通电话 0 分）",
    ),
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

/// What every norm may look at: the call, its ticket, the clean form of
/// each utterance (computed once) and the compiled lexicons and directory.
pub struct CallView<'a> {
    /// The call.
    pub call: &'a Call,
    /// Its ticket, when one is linked by call_id.
    pub ticket: Option<&'a Ticket>,
    /// Clean text of each utterance, by index.
    pub texts: Vec<NormText>,
    /// Indexes of the agent's utterances, in time order.
    pub agent: Vec<usize>,
    /// The lexicons.
    pub lexicons: &'a Lexicons,
    /// The phone directory.
    pub directory: &'a Directory,
}

impl<'a> CallView<'a> {
    /// Prepares a call for the norms.
    pub fn new(
        call: &'a Call,
        ticket: Option<&'a Ticket>,
        lexicons: &'a Lexicons,
        directory: &'a Directory,
    ) -> Self {
        let texts = call
            .utterances
            .iter()
            .map(|u| NormText::new(&u.text))
            .collect();
        let agent = call
            .utterances
            .iter()
            .enumerate()
            .filter(|(_, u)| u.speaker == Speaker::Agent)
            .map(|(i, _)| i)
            .collect();
        CallView {
            call,
            ticket,
            texts,
            agent,
            lexicons,
            directory,
        }
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
    /// Points earned per norm (None = not assessed), in [`NormId::ALL`] order.
    pub earned: [Option<f64>; 11],
    /// Every finding, in norm order then time order, with the points each cost.
    pub findings: Vec<Finding>,
    /// Norms scored by a reviewer (manual.csv).
    pub manual: Vec<NormId>,
}

/// Applies the scorecard's norms to calls.
pub struct Scorer {
    config: Config,
    lexicons: Lexicons,
    directory: Directory,
    norms: Vec<Box<dyn Norm>>,
}

impl Scorer {
    /// Compiles the scorecard: lexicons (from the config's files or the
    /// built-in ones), the directory and every norm.
    pub fn new(config: Config, directory: Directory) -> Result<Scorer, LexiconError> {
        let lexicons = config.lexicons()?;
        Ok(Scorer::with_parts(config, lexicons, directory))
    }

    /// Builds a scorer from already compiled parts.
    pub fn with_parts(config: Config, lexicons: Lexicons, directory: Directory) -> Scorer {
        let n = &config.norms;
        let norms: Vec<Box<dyn Norm>> = vec![
            Box::new(greeting::Greeting::new(&n.greeting)),
            Box::new(closing::Closing::new(&n.closing)),
            Box::new(courtesy::Courtesy::new(&n.courtesy)),
            Box::new(pace::Pace::new(&n.pace)),
            Box::new(clarity::Clarity::new(&n.clarity)),
            Box::new(accuracy::Accuracy::new(&n.accuracy)),
            Box::new(process::Process::new(&n.process)),
            Box::new(communication::Communication::new(
                &n.communication,
                &n.greeting,
            )),
            Box::new(attitude::Attitude::new(&n.attitude)),
            Box::new(ticket::TicketNorm::new(&n.ticket)),
            Box::new(taboo::Taboo::new(&n.taboo)),
        ];
        Scorer {
            config,
            lexicons,
            directory,
            norms,
        }
    }

    /// The scorecard.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The directory in use.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Runs every enabled norm on a call and returns each norm's outcome
    /// (disabled rules removed), before points are given.
    pub fn outcomes(&self, call: &Call, ticket: Option<&Ticket>) -> Vec<(NormId, Outcome)> {
        let view = CallView::new(call, ticket, &self.lexicons, &self.directory);
        self.norms
            .iter()
            .filter(|n| self.config.norms.common(n.id()).enabled)
            .map(|n| {
                let out = match n.check(&view) {
                    Outcome::Assessed(mut f) => {
                        f.retain(|f| self.config.rule_enabled(f.rule));
                        Outcome::Assessed(f)
                    }
                    o => o,
                };
                (n.id(), out)
            })
            .collect()
    }

    /// Runs one norm on a call (for benchmarks and `try-rule`-style tools).
    pub fn check_norm(&self, id: NormId, call: &Call, ticket: Option<&Ticket>) -> Outcome {
        let view = CallView::new(call, ticket, &self.lexicons, &self.directory);
        match self.norms.iter().find(|n| n.id() == id) {
            Some(n) => n.check(&view),
            None => Outcome::NotAssessed,
        }
    }

    /// Scores a call: findings, points per norm, red line, total.
    pub fn score(
        &self,
        call: &Call,
        ticket: Option<&Ticket>,
        manual: &[ManualScore],
    ) -> ScoredCall {
        let mut earned = [None; 11];
        let mut findings = Vec::new();
        let mut red_line = false;
        let mut manual_norms = Vec::new();
        let mut possible = 0.0;
        let mut got = 0.0;
        let mut outcomes = self.outcomes(call, ticket);
        for (id, outcome) in outcomes.iter_mut() {
            let common = self.config.norms.common(*id);
            let reviewer = manual.iter().find(|m| m.norm == *id);
            let mut norm_findings = match outcome {
                Outcome::Assessed(f) => std::mem::take(f),
                Outcome::NotAssessed => Vec::new(),
            };
            if norm_findings
                .iter()
                .any(|f| f.severity == Severity::RedLine)
                && reviewer.is_none()
            {
                red_line = true;
            }
            let points = if let Some(m) = reviewer {
                manual_norms.push(*id);
                for f in &mut norm_findings {
                    f.points = 0.0;
                }
                Some(m.points)
            } else if matches!(outcome, Outcome::NotAssessed) {
                None
            } else {
                let mut left = common.points;
                for f in &mut norm_findings {
                    let cost = if common.per_finding > 0.0 {
                        common.per_finding.min(left)
                    } else {
                        left
                    };
                    f.points = cost;
                    left -= cost;
                }
                Some(left)
            };
            if let Some(p) = points {
                earned[id.index()] = Some(p);
                possible += common.points;
                got += p;
            }
            findings.extend(norm_findings);
        }
        let mut score = if possible > 0.0 {
            got / possible * 100.0
        } else {
            100.0
        };
        if red_line {
            score = 0.0;
        }
        let score = (score * 100.0).round() / 100.0;
        ScoredCall {
            call_id: call.call_id.clone(),
            operator_id: call.operator_id.clone(),
            operator_name: call.operator_name.clone(),
            team: call.team.clone(),
            started_at: call.started_at.to_rfc3339(),
            score,
            passed: score >= self.config.pass_mark,
            red_line,
            grade: self.config.grades.grade(score),
            earned,
            findings,
            manual: manual_norms,
        }
    }
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Builds calls for the norm tables.
    use super::*;
    use crate::model::{Source, Utterance};

    /// `(speaker, start, end, text)` rows → a call.
    pub fn call(rows: &[(char, f64, f64, &str)]) -> Call {
        Call {
            call_id: "t".into(),
            operator_id: "1".into(),
            operator_name: String::new(),
            team: String::new(),
            started_at: chrono::DateTime::parse_from_rfc3339("2026-11-27T09:00:00+08:00")
                .expect("time"),
            ended_by: None,
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
                    text: text.into(),
                    confidence: None,
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
        let scorer = Scorer::new(Config::default(), Directory::builtin()).expect("scorer");
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

    fn scorer() -> Scorer {
        Scorer::new(Config::default(), Directory::builtin()).expect("scorer")
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
}
