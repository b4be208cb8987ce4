//! Norm 7, 执行流程: the ticket's routing must follow the process document.
//! Needs the call's ticket; not assessed without one.
//!
//! - 求助 on litigation, economic disputes or 公检法 matters (subcategory
//!   涉法涉诉, or such words in the caller's speech, lexicon
//!   `legal_matters`) is out of scope: not 工单转办, and the agent must
//!   point to the right channel (lexicon `legal_channels`: 12348, 110, 法院…).
//! - 投诉举报 on illegal or disciplinary conduct (subcategory 违法乱纪) is
//!   out of scope: not 工单转办, and the agent must give 12388 or the 信访
//!   number (a directory entry named 信访 / 纪检 / 纪委).
//! - 表扬 of the hotline (subcategory 表扬热线) is 直接办理; of a unit, 工单转办.
//! - 一般应急 and 重大应急 are 电话交办.
//! - The ticket against the call (spec §2.1, `norms::against`): a caller's
//!   self-harm or collective-action talk escalated and recorded, a
//!   complaint dispatched.

use crate::config::ProcessConfig;
use crate::lexicon::LexiconKind;
use crate::model::{Category, Finding, Handling, NormId, Speaker, Ticket, Urgency};
use crate::norms::accuracy::digit_runs;
use crate::norms::{CallView, Norm, Outcome};

pub(crate) struct Process {
    cfg: ProcessConfig,
}

impl Process {
    pub(crate) fn new(cfg: &ProcessConfig) -> Process {
        Process { cfg: cfg.clone() }
    }
}

fn describe(t: &Ticket) -> String {
    let handling = if t.handling_raw.is_empty() {
        "（空）"
    } else {
        &t.handling_raw
    };
    let sub = if t.subcategory.is_empty() {
        String::new()
    } else {
        format!("/{}", t.subcategory)
    };
    format!(
        "工单 {}：{}{}，办理方式 {}",
        t.ticket_id, t.category_raw, sub, handling
    )
}

fn ticket_finding(rule: &'static str, t: &Ticket, note: &str) -> Finding {
    Finding::new(NormId::Process, rule, format!("{}；{note}", describe(t)))
}

impl Norm for Process {
    fn id(&self) -> NormId {
        NormId::Process
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        let Some(t) = view.ticket else {
            return Outcome::NotAssessed;
        };
        let mut findings = Vec::new();
        let agent_says = |kind: LexiconKind| view.agent.iter().any(|&i| view.is_match(kind, i));
        if t.category == Some(Category::Help) {
            let legal_sub = !self.cfg.legal_subcategory.is_empty()
                && t.subcategory.contains(&self.cfg.legal_subcategory);
            let caller_words = view.call.utterances.iter().enumerate().find_map(|(i, u)| {
                if u.speaker != Speaker::Caller {
                    return None;
                }
                view.find(LexiconKind::LegalMatters, i)
                    .into_iter()
                    .next()
                    .map(|h| (i, h))
            });
            if legal_sub || caller_words.is_some() {
                let evidence = |rule: &'static str, note: &str| match &caller_words {
                    Some((i, h)) if !legal_sub => {
                        let mut f = view.finding_at(NormId::Process, rule, *i, h.start, h.end);
                        f.excerpt = format!("{}；{note}；来电人：{}", describe(t), f.excerpt);
                        f
                    }
                    _ => ticket_finding(rule, t, note),
                };
                if t.handling == Some(Handling::Dispatch) {
                    findings.push(evidence(
                        "process.legal_dispatched",
                        "涉法涉诉不在受理范围，不应工单转办",
                    ));
                }
                if !agent_says(LexiconKind::LegalChannels) {
                    findings.push(evidence(
                        "process.legal_no_guidance",
                        "话务员未引导 12348、110、法院、检察院等途径",
                    ));
                }
            }
        }
        if t.category == Some(Category::Complaint)
            && !self.cfg.discipline_subcategory.is_empty()
            && t.subcategory.contains(&self.cfg.discipline_subcategory)
        {
            if t.handling == Some(Handling::Dispatch) {
                findings.push(ticket_finding(
                    "process.discipline_dispatched",
                    t,
                    "违法乱纪不在受理范围，不应工单转办",
                ));
            }
            let channels: Vec<&str> = view
                .directory
                .entries()
                .iter()
                .filter(|e| {
                    ["信访", "纪检", "纪委", "监委"]
                        .iter()
                        .any(|k| e.name.contains(k))
                })
                .map(|e| e.phone.as_str())
                .chain(self.cfg.discipline_numbers.iter().map(String::as_str))
                .collect();
            let gave = view.agent.iter().any(|&i| {
                digit_runs(view.text(i)).iter().any(|(d, _, _)| {
                    channels
                        .iter()
                        .any(|c| crate::lexicon::directory::same_number(c, d))
                })
            });
            if !gave {
                findings.push(ticket_finding(
                    "process.discipline_no_channel",
                    t,
                    "话务员未提供 12388 或信访电话",
                ));
            }
        }
        if t.category == Some(Category::Praise) {
            let of_hotline = !self.cfg.praise_hotline_subcategory.is_empty()
                && t.subcategory.contains(&self.cfg.praise_hotline_subcategory);
            let want = if of_hotline {
                Handling::Direct
            } else {
                Handling::Dispatch
            };
            if t.handling != Some(want) {
                let note = if of_hotline {
                    "表扬市长热线应直接办理"
                } else {
                    "表扬承办单位应工单转办"
                };
                findings.push(ticket_finding("process.praise_handling", t, note));
            }
        }
        if matches!(
            t.urgency,
            Some(Urgency::Emergency | Urgency::MajorEmergency)
        ) && t.handling != Some(Handling::Phone)
        {
            let note = format!("{}事项应电话交办", t.urgency.map(|u| u.zh()).unwrap_or(""));
            findings.push(ticket_finding("process.emergency_handling", t, &note));
        }
        // The ticket against the call (spec §2.1): risk escalated,
        // complaints dispatched.
        findings.extend(crate::norms::against::process_rules(
            &crate::norms::against::Said::new(view.call, &view.texts),
            t,
            &self.cfg,
        ));
        Outcome::Assessed(findings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::norms::testkit::*;

    fn ticket(category: &str, sub: &str, handling: &str, urgency: &str) -> Ticket {
        Ticket {
            ticket_id: "T1".into(),
            category: Category::parse(category),
            category_raw: category.into(),
            subcategory: sub.into(),
            handling: Handling::parse(handling),
            handling_raw: handling.into(),
            urgency: Urgency::parse(urgency),
            ..Ticket::default()
        }
    }

    fn verdict(caller: &str, agent: &str, t: &Ticket) -> Option<Vec<&'static str>> {
        let c = call(&[
            GREETING,
            ('c', 5.0, 9.0, caller),
            ('a', 9.5, 14.0, agent),
            ('a', 14.5, 16.5, CLOSING),
        ]);
        rules(NormId::Process, &c, Some(t))
    }

    #[test]
    fn no_ticket_is_not_assessed() {
        let c = call(&[GREETING]);
        assert_eq!(rules(NormId::Process, &c, None), None);
    }

    #[test]
    fn legal_help_must_not_be_dispatched_and_needs_guidance() {
        let caller = "我借给别人钱，他欠钱不还，我想打官司";
        let good = "这类经济纠纷建议您向法院起诉，也可以拨打12348法律援助热线";
        assert_eq!(
            verdict(caller, good, &ticket("求助", "", "直接办理", "普通")),
            Some(vec![])
        );
        assert_eq!(
            verdict(caller, good, &ticket("求助", "", "工单转办", "普通")),
            Some(vec!["process.legal_dispatched"])
        );
        assert_eq!(
            verdict(
                caller,
                "好的我帮您登记转给相关部门",
                &ticket("求助", "", "工单转办", "普通")
            ),
            Some(vec![
                "process.legal_dispatched",
                "process.legal_no_guidance"
            ])
        );
        // By subcategory alone, without the words.
        assert_eq!(
            verdict(
                "我的事情想请你们帮帮忙",
                "好的我帮您登记",
                &ticket("求助", "涉法涉诉", "直接办理", "普通")
            ),
            Some(vec!["process.legal_no_guidance"])
        );
    }

    #[test]
    fn ordinary_help_is_fine_and_legal_words_from_the_agent_do_not_trigger() {
        let t = ticket("求助", "拖欠工资", "工单转办", "普通");
        assert_eq!(
            verdict(
                "老板拖欠工资三个月了",
                "我帮您转人社局劳动监察处理，不用去法院",
                &t
            ),
            Some(vec![])
        );
    }

    #[test]
    fn discipline_reports() {
        let t = ticket("投诉举报", "违法乱纪", "直接办理", "普通");
        assert_eq!(
            verdict(
                "我要举报村干部贪污",
                "这类问题请您拨打12388纪检监察举报电话",
                &t
            ),
            Some(vec![])
        );
        assert_eq!(
            verdict("我要举报村干部贪污", "您可以拨打信访电话2090304反映", &t),
            Some(vec![])
        );
        assert_eq!(
            verdict("我要举报村干部贪污", "好的我帮您记录", &t),
            Some(vec!["process.discipline_no_channel"])
        );
        let t = ticket("投诉举报", "违法乱纪", "工单转办", "普通");
        assert_eq!(
            verdict("我要举报村干部贪污", "请您拨打12388", &t),
            Some(vec!["process.discipline_dispatched"])
        );
    }

    #[test]
    fn praise_routing() {
        assert_eq!(
            verdict(
                "谢谢你们热线",
                "感谢您的认可",
                &ticket("表扬", "表扬热线", "直接办理", "普通")
            ),
            Some(vec![])
        );
        assert_eq!(
            verdict(
                "谢谢你们热线",
                "感谢您的认可",
                &ticket("表扬", "表扬热线", "工单转办", "普通")
            ),
            Some(vec!["process.praise_handling"])
        );
        assert_eq!(
            verdict(
                "表扬城管局",
                "好的",
                &ticket("表扬", "表扬单位", "工单转办", "普通")
            ),
            Some(vec![])
        );
        assert_eq!(
            verdict(
                "表扬城管局",
                "好的",
                &ticket("表扬", "表扬单位", "直接办理", "普通")
            ),
            Some(vec!["process.praise_handling"])
        );
    }

    #[test]
    fn emergencies_are_handed_over_by_phone() {
        assert_eq!(
            verdict(
                "闻到煤气味",
                "我马上联系燃气公司",
                &ticket("求助", "燃气泄漏", "电话交办", "一般应急")
            ),
            Some(vec![])
        );
        assert_eq!(
            verdict(
                "闻到煤气味",
                "我马上联系燃气公司",
                &ticket("求助", "燃气泄漏", "工单转办", "重大应急")
            ),
            Some(vec!["process.emergency_handling"])
        );
    }
}
