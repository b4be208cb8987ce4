//! Norm 10, 工单书写: the ticket must be written completely. Needs the
//! call's ticket; not assessed without one.
//!
//! category and handling must be valid values. For 工单转办 and 电话交办:
//! caller_name, caller_phone, event_time and event_location non-empty and
//! content of `min_content_dispatched` (20)+ characters; for 直接办理,
//! content of `min_content_direct` (10)+. Complaints about staff
//! (subcategory 工作人员态度) need complained_staff_name and _no too.
//! Characters are counted without punctuation and white space.
//!
//! Then the ticket against the call (spec §2.1, `norms::against`):
//! category, name, phone, place, harm and repeat as the caller said them.

use crate::config::TicketConfig;
use crate::model::{Finding, Handling, NormId, Ticket};
use crate::norms::{CallView, Norm, Outcome};
use crate::text::count_chars;

pub(crate) struct TicketNorm {
    cfg: TicketConfig,
}

impl TicketNorm {
    pub(crate) fn new(cfg: &TicketConfig) -> TicketNorm {
        TicketNorm { cfg: cfg.clone() }
    }
}

fn finding(rule: &'static str, t: &Ticket, note: String) -> Finding {
    Finding::new(
        NormId::Ticket,
        rule,
        format!("工单 {}：{note}", t.ticket_id),
    )
}

impl Norm for TicketNorm {
    fn id(&self) -> NormId {
        NormId::Ticket
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        let Some(t) = view.ticket else {
            return Outcome::NotAssessed;
        };
        let mut out = Vec::new();
        if t.category.is_none() {
            let v = if t.category_raw.is_empty() {
                "为空".to_string()
            } else {
                format!("“{}”不是有效值", t.category_raw)
            };
            out.push(finding(
                "ticket.invalid_category",
                t,
                format!("诉求类别{v}"),
            ));
        }
        if t.handling.is_none() {
            let v = if t.handling_raw.is_empty() {
                "为空".to_string()
            } else {
                format!("“{}”不是有效值", t.handling_raw)
            };
            out.push(finding(
                "ticket.invalid_handling",
                t,
                format!("办理方式{v}"),
            ));
        }
        let content = count_chars(&t.content);
        match t.handling {
            Some(Handling::Dispatch | Handling::Phone) => {
                for (value, name) in [
                    (&t.caller_name, "来电人姓名 caller_name"),
                    (&t.caller_phone, "联系电话 caller_phone"),
                    (&t.event_time, "事件时间 event_time"),
                    (&t.event_location, "事件地点 event_location"),
                ] {
                    if value.trim().is_empty() {
                        out.push(finding("ticket.missing_field", t, format!("缺少{name}")));
                    }
                }
                if content < self.cfg.min_content_dispatched {
                    out.push(finding(
                        "ticket.content_too_short",
                        t,
                        format!(
                            "诉求内容只有 {content} 字（转办/交办至少 {} 字）：{}",
                            self.cfg.min_content_dispatched, t.content
                        ),
                    ));
                }
            }
            Some(Handling::Direct) | None => {
                if content < self.cfg.min_content_direct {
                    out.push(finding(
                        "ticket.content_too_short",
                        t,
                        format!(
                            "诉求内容只有 {content} 字（至少 {} 字）：{}",
                            self.cfg.min_content_direct, t.content
                        ),
                    ));
                }
            }
        }
        if !self.cfg.staff_complaint_subcategory.is_empty()
            && t.subcategory
                .contains(&self.cfg.staff_complaint_subcategory)
        {
            for (value, name) in [
                (
                    &t.complained_staff_name,
                    "被投诉人姓名 complained_staff_name",
                ),
                (&t.complained_staff_no, "被投诉人工号 complained_staff_no"),
            ] {
                if value.trim().is_empty() {
                    out.push(finding(
                        "ticket.missing_staff",
                        t,
                        format!("投诉工作人员态度，缺少{name}"),
                    ));
                }
            }
        }
        // The ticket against the call (spec §2.1): what the caller said
        // must be what was written down.
        out.extend(crate::norms::against::ticket_rules(
            &crate::norms::against::Said::new(view.call, &view.texts),
            t,
            &self.cfg,
        ));
        Outcome::Assessed(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Category;
    use crate::norms::testkit::*;

    fn full() -> Ticket {
        Ticket {
            ticket_id: "T1".into(),
            category: Some(Category::General),
            category_raw: "一般诉求".into(),
            handling: Some(Handling::Dispatch),
            handling_raw: "工单转办".into(),
            caller_name: "匿名".into(),
            caller_phone: "13900001111".into(),
            event_time: "11月26日晚上".into(),
            event_location: "幸福小区3栋".into(),
            content: "来电人反映幸福小区3栋楼下餐馆每晚经营到凌晨，噪音扰民，要求处理。".into(),
            ..Ticket::default()
        }
    }

    fn verdict(t: &Ticket) -> Option<Vec<&'static str>> {
        rules(NormId::Ticket, &call(&[GREETING]), Some(t))
    }

    #[test]
    fn complete_ticket_passes_and_anonymous_is_a_name() {
        assert_eq!(verdict(&full()), Some(vec![]));
    }

    #[test]
    fn missing_fields_for_dispatched_tickets() {
        let mut t = full();
        t.event_location.clear();
        assert_eq!(verdict(&t), Some(vec!["ticket.missing_field"]));
        t = full();
        t.content = "噪音扰民，要求处理。".into();
        assert_eq!(verdict(&t), Some(vec!["ticket.content_too_short"]));
    }

    #[test]
    fn direct_handling_needs_only_ten_characters() {
        let mut t = full();
        t.handling = Some(Handling::Direct);
        t.caller_name.clear();
        t.event_location.clear();
        t.content = "咨询公积金提取所需材料。".into();
        assert_eq!(verdict(&t), Some(vec![]));
        t.content = "咨询公积金。".into();
        assert_eq!(verdict(&t), Some(vec!["ticket.content_too_short"]));
    }

    #[test]
    fn punctuation_is_not_content() {
        let mut t = full();
        t.handling = Some(Handling::Direct);
        // 9 characters and lots of punctuation.
        t.content = "咨询，公积金，提取材料！！！……".into();
        assert_eq!(verdict(&t), Some(vec!["ticket.content_too_short"]));
    }

    #[test]
    fn staff_complaints_need_name_and_number() {
        let mut t = full();
        t.subcategory = "工作人员态度".into();
        t.complained_staff_name = "张某".into();
        assert_eq!(verdict(&t), Some(vec!["ticket.missing_staff"]));
        t.complained_staff_no = "A0231".into();
        assert_eq!(verdict(&t), Some(vec![]));
    }

    #[test]
    fn invalid_values() {
        let mut t = full();
        t.category = None;
        t.category_raw = "其他".into();
        t.handling = None;
        t.handling_raw = String::new();
        assert_eq!(
            verdict(&t),
            Some(vec!["ticket.invalid_category", "ticket.invalid_handling"])
        );
    }
}
