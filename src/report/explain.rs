//! `hotline-qa explain`: one call's dialogue with its findings marked
//! inline, for a QA reviewer reading in a terminal.

use std::fmt::Write;

use crate::input::time::fmt_local;
use crate::model::{Call, Severity, Ticket};
use crate::norms::ScoredCall;
use crate::report::num;
use crate::report::privacy::Masker;

/// Renders the call, its ticket and its score as plain text. With a
/// `masker` the dialogue lines are masked as every output is (the findings
/// of `scored` are masked by the caller, with the same masker); without
/// one (`--show-pii`) they are shown as said.
pub fn render(
    call: &Call,
    ticket: Option<&Ticket>,
    scored: &ScoredCall,
    items: &crate::config::Items,
    masker: Option<&Masker<'_>>,
) -> String {
    let mut out = String::new();
    let name = if call.operator_name.is_empty() {
        String::new()
    } else {
        format!(" {}", call.operator_name)
    };
    let team = if call.team.is_empty() {
        String::new()
    } else {
        format!("（{}）", call.team)
    };
    let ended = match call.ended_by {
        Some(s) => format!("，{}先挂机", s.label_zh()),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "通话 {}　话务员 {}{}{}　{}{}",
        call.call_id, call.operator_id, name, team, scored.started_at, ended
    );
    match ticket {
        Some(t) => {
            let _ = writeln!(
                out,
                "工单 {}：{} {}，{}，承办单位 {}，受理 {}",
                t.ticket_id,
                t.category_raw,
                t.subcategory,
                if t.handling_raw.is_empty() {
                    "办理方式为空"
                } else {
                    &t.handling_raw
                },
                if t.unit.is_empty() { "—" } else { &t.unit },
                t.accepted_at.map(fmt_local).unwrap_or_default()
            );
        }
        None => {
            let _ = writeln!(out, "（没有关联工单：执行流程、工单书写两项不评）");
        }
    }
    let verdict = if scored.red_line {
        "红线，一票否决".to_string()
    } else if scored.passed {
        "通过".to_string()
    } else {
        "未通过".to_string()
    };
    let _ = writeln!(
        out,
        "得分 {}（{}，{}）",
        num(scored.score),
        scored.grade,
        verdict
    );
    if scored.needs_review > 0 {
        let _ = writeln!(
            out,
            "待复核的扣分 {} 条（标“待复核”：那句话识别置信度低或与对方抢话，确认前不扣分）",
            scored.needs_review
        );
    }
    let _ = writeln!(
        out,
        "行首数字是句序号（从 0 起，复核表和 findings.csv 里的 utterance_index）\n"
    );
    let masked = masker.map(|m| m.mask_dialogue(call, ticket));
    for (i, u) in call.utterances.iter().enumerate() {
        let conf = u
            .confidence
            .map(|c| format!("  [置信度 {c:.2}]"))
            .unwrap_or_default();
        let text = match &masked {
            Some(lines) => lines.get(i).map_or("", String::as_str),
            None => &*u.text,
        };
        let _ = writeln!(
            out,
            "{:>3} [{:>6.1}s] {}　{}{}",
            i,
            u.start,
            u.speaker.label_zh(),
            text,
            conf
        );
        for f in scored
            .findings
            .iter()
            .filter(|f| f.utterance_index == Some(i))
        {
            let _ = writeln!(out, "{}", finding_line(f));
        }
    }
    let call_level: Vec<_> = scored
        .findings
        .iter()
        .filter(|f| f.utterance_index.is_none())
        .collect();
    if !call_level.is_empty() {
        let _ = writeln!(out, "\n整通电话 / 工单的问题：");
        for f in call_level {
            let _ = writeln!(out, "{}", finding_line(f));
        }
    }
    let _ = writeln!(out, "\n各项得分：");
    for (item, &earned) in items.iter().zip(scored.earned.iter()) {
        let n = item.norm;
        let manual = if scored.manual.contains(&n) {
            "（人工评分）"
        } else {
            ""
        };
        let shown = match earned {
            Some(e) => format!("{}/{}{}", num(e), num(item.points), manual),
            None => "不评".to_string(),
        };
        let _ = writeln!(out, "  {:<14} {:<10} {}", n.key(), n.name_zh(), shown);
    }
    out
}

fn finding_line(f: &crate::model::Finding) -> String {
    let mark = match f.severity {
        Severity::RedLine => "!! 红线",
        Severity::Critical => "!! 重大风险",
        Severity::Deduct => "  ✗",
    };
    let pending = if f.needs_review {
        "（待复核）"
    } else {
        ""
    };
    format!(
        "{mark} {} {}　−{} 分{pending}　{}",
        f.rule,
        f.norm.name_zh(),
        num(f.points),
        f.excerpt
    )
}
