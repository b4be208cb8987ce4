//! The ticket against the call (spec §2.1, issue #19): what the caller
//! said is the evidence, the ticket is what the operator wrote down.
//!
//! Eight rules, one pure function each of (call, ticket, config), so that
//! a rule engine can later wrap each as a named operator:
//!
//! - norm 10 (工单书写, called from `ticket.rs`): [`category_mismatch`],
//!   [`name_mismatch`], [`phone_mismatch`], [`place_missing`],
//!   [`harm_omitted`], [`repeat_omitted`];
//! - norm 7 (执行流程, called from `process.rs`): [`risk_not_escalated`],
//!   [`complaint_not_dispatched`].
//!
//! Only the caller's utterances (`Speaker::Caller`) are read: an agent or
//! a unit saying 投诉 or 上访 is not the caller complaining or threatening.
//! The words are read by the readers of `crate::cues` (negation, exclusion
//! contexts and the lexicon files live there, not here). Each finding's
//! excerpt holds both sides: the caller's words with the cue in 【】, then
//! ` ｜ ` and what the ticket says (工单记为：咨询). Personal data in the
//! excerpt (numbers, the caller's name) is masked later by the pipeline's
//! `privacy::Masker`, like every excerpt.

use crate::config::{ProcessConfig, TicketConfig};
use crate::cues::cue::{self, CueKind};
use crate::cues::{phone, place, surname, Span};
use crate::model::{Call, Category, Finding, Handling, NormId, Severity, Speaker, Ticket, Urgency};
use crate::text::{excerpt, excerpt_marked};

/// Separates the caller's side of the evidence from the ticket's.
const BETWEEN: &str = " ｜ ";

/// The caller's utterances: (index, text).
fn caller<'c>(call: &'c Call<'_>) -> impl Iterator<Item = (usize, &'c str)> {
    call.utterances
        .iter()
        .enumerate()
        .filter(|(_, u)| u.speaker == Speaker::Caller)
        .map(|(i, u)| (i, u.text.as_ref()))
}

/// Whether the caller speaks at all: every rule here needs the caller's words.
fn caller_speaks(call: &Call) -> bool {
    caller(call).next().is_some()
}

/// A finding at caller utterance `i` marking `span`, with the ticket's side.
fn at_caller(
    norm: NormId,
    rule: &'static str,
    call: &Call,
    i: usize,
    span: Span,
    ticket_side: &str,
) -> Finding {
    let text = call.utterances.get(i).map_or("", |u| u.text.as_ref());
    let said = excerpt_marked(text, span.start, span.end, 40);
    Finding::new(norm, rule, format!("{said}{BETWEEN}{ticket_side}")).at(call, i)
}

/// The first caller utterance where `read` finds something: (index, what).
fn first_in_caller<T>(call: &Call, read: impl Fn(&str) -> Option<T>) -> Option<(usize, T)> {
    caller(call).find_map(|(i, text)| read(text).map(|x| (i, x)))
}

/// The first cue of `kind` the caller says.
fn caller_cue(call: &Call, kind: CueKind) -> Option<(usize, cue::Cue)> {
    first_in_caller(call, |t| cue::find(kind, t).into_iter().next())
}

/// A field as shown in the evidence: its value, or （空）.
fn shown(value: &str) -> &str {
    if value.trim().is_empty() {
        "（空）"
    } else {
        value.trim()
    }
}

/// `text` without white space (ASR and ticket writers space names apart).
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            // Full-width digits and letters as ASCII: ３号楼 is 3号楼.
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            _ => c,
        })
        .collect::<String>()
        .to_lowercase()
}

/// `ticket.category_mismatch`: the caller says they complain or report
/// (我要投诉, 我举报) and the ticket is not 投诉举报, or they praise (我要
/// 表扬) and it is not 表扬. A negated cue (不是投诉, 先不投诉) or a
/// question about how to complain (怎么投诉) fixes nothing (the cue
/// reader drops them). A ticket whose category is not a valid value is
/// `ticket.invalid_category`'s, not this rule's. When the caller both
/// complains and praises, either category is the caller's.
pub fn category_mismatch(call: &Call, t: &Ticket) -> Option<Finding> {
    let category = t.category?;
    let complaint = caller_cue(call, CueKind::Complaint);
    let praise = caller_cue(call, CueKind::Praise);
    let fixed: Vec<(Category, &(usize, cue::Cue))> = [
        complaint.as_ref().map(|c| (Category::Complaint, c)),
        praise.as_ref().map(|c| (Category::Praise, c)),
    ]
    .into_iter()
    .flatten()
    .collect();
    if fixed.is_empty() || fixed.iter().any(|(c, _)| *c == category) {
        return None;
    }
    let (want, (i, c)) = fixed[0];
    Some(at_caller(
        NormId::Ticket,
        "ticket.category_mismatch",
        call,
        *i,
        c.span,
        &format!("工单记为：{}（应为{}）", shown(&t.category_raw), want.zh()),
    ))
}

/// Whether `name` is anonymous (匿名, 匿名用户).
fn is_anonymous(name: &str) -> bool {
    name.starts_with("匿名") || name == "不详"
}

/// `ticket.name_mismatch`: the caller gives a surname (我姓X, 免贵姓X,
/// 我叫X…) and caller_name does not start with it (老X / 小X, as a
/// ticket may write a name, start with it too). 匿名 is a mismatch unless
/// the caller asked not to give a name (匿名, 不方便透露, 不留名). A
/// different char of the same pinyin (张/章) is probably ASR: the finding
/// is `needs_review`, and costs nothing until a reviewer confirms it. An
/// empty caller_name is `ticket.missing_field`'s.
pub fn name_mismatch(call: &Call, t: &Ticket) -> Option<Finding> {
    let name = t.caller_name.trim();
    if name.is_empty() {
        return None;
    }
    let stated: Vec<(usize, surname::Surname)> = caller(call)
        .flat_map(|(i, text)| surname::surnames(text).into_iter().map(move |s| (i, s)))
        .collect();
    let (i, first) = stated.first()?;
    let rule = "ticket.name_mismatch";
    if is_anonymous(name) {
        if first_in_caller(call, surname::anonymous).is_some() {
            return None;
        }
        return Some(at_caller(
            NormId::Ticket,
            rule,
            call,
            *i,
            first.span,
            &format!("工单姓名：{name}（来电人报了姓，未要求匿名）"),
        ));
    }
    let bare = name
        .strip_prefix('老')
        .or_else(|| name.strip_prefix('小'))
        .unwrap_or(name);
    if stated
        .iter()
        .any(|(_, s)| name.starts_with(&s.surname) || bare.starts_with(&s.surname))
    {
        return None;
    }
    let homophone = stated.iter().find(|(_, s)| {
        [name, bare].iter().any(|n| {
            let head: String = n.chars().take(s.surname.chars().count()).collect();
            surname::same_pinyin(&head, &s.surname)
        })
    });
    Some(match homophone {
        Some((i, s)) => {
            let mut f = at_caller(
                NormId::Ticket,
                rule,
                call,
                *i,
                s.span,
                &format!("工单姓名：{name}（同音，可能是识别错误）"),
            );
            f.needs_review = true;
            f
        }
        None => at_caller(
            NormId::Ticket,
            rule,
            call,
            *i,
            first.span,
            &format!("工单姓名：{name}"),
        ),
    })
}

/// Whether a number the caller said is one the ticket records: the same
/// digits, or the same local part (a landline with or without its area
/// code).
fn same_phone(said: &phone::PhoneNumber, recorded: &[phone::PhoneNumber], digits: &str) -> bool {
    recorded
        .iter()
        .any(|r| r.digits == said.digits || r.local() == said.local())
        || (!digits.is_empty() && (digits == said.digits || digits == said.local()))
}

/// Whether an agent's or a unit's utterance before `i` holds `digits`.
fn said_before_by_others(call: &Call, i: usize, digits: &str) -> bool {
    call.utterances[..i.min(call.utterances.len())]
        .iter()
        .filter(|u| u.speaker != Speaker::Caller)
        .any(|u| {
            phone::phone_numbers(&u.text)
                .iter()
                .any(|p| p.digits == digits)
        })
}

/// Whether two numbers as written are the same (a caller_number may carry
/// +86 or 0 before a mobile).
fn same_digits(a: &str, b: &str) -> bool {
    let (a, b) = (crate::text::digits(a), crate::text::digits(b));
    let (long, short) = if a.len() >= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    short.len() >= 7 && long.ends_with(short.as_str())
}

/// `ticket.phone_mismatch`: the caller states a contact number (a mobile
/// or a landline, in digits or spoken numerals, in groups or not) and
/// caller_phone holds none of the numbers said; or the caller says the
/// number is the one calling (就这个号, 来电号码, 本机), the transcript
/// carries `caller_number`, and caller_phone is another. A number the
/// caller gives as someone else's (物业电话…) is not theirs
/// ([`phone::contact_numbers`]), nor one the agent or a unit said before
/// and the caller reads back (拨打2628800 → 2628800是吧). An empty caller_phone is
/// `ticket.missing_field`'s.
pub fn phone_mismatch(call: &Call, t: &Ticket) -> Option<Finding> {
    let digits = crate::text::digits(&t.caller_phone);
    if digits.is_empty() {
        return None;
    }
    let recorded = phone::phone_numbers(&t.caller_phone);
    let mut said: Vec<(usize, phone::PhoneNumber)> = caller(call)
        .flat_map(|(i, text)| {
            phone::contact_numbers(text)
                .into_iter()
                .map(move |p| (i, p))
        })
        .collect();
    // A number the agent or a unit said before is read back, not given
    // (具体您可以拨打2628800 → 2628800是吧？): it is no contact number.
    said.retain(|(i, p)| !said_before_by_others(call, *i, &p.digits));
    let own = call
        .caller_number
        .as_deref()
        .filter(|n| !crate::text::digits(n).is_empty())
        .and_then(|n| first_in_caller(call, phone::own_number_cue).map(|cue| (n, cue)));
    if said.iter().any(|(_, p)| same_phone(p, &recorded, &digits)) {
        return None;
    }
    let rule = "ticket.phone_mismatch";
    match own {
        Some((n, _)) if same_digits(n, &t.caller_phone) => None,
        Some((n, (i, span))) if said.is_empty() => Some(at_caller(
            NormId::Ticket,
            rule,
            call,
            i,
            span,
            &format!("工单电话：{}（来电号码 {n}）", t.caller_phone.trim()),
        )),
        _ => said.first().map(|(i, p)| {
            at_caller(
                NormId::Ticket,
                rule,
                call,
                *i,
                p.span,
                &format!("工单电话：{}", t.caller_phone.trim()),
            )
        }),
    }
}

/// `ticket.place_missing`: the caller names a place (a proper name ending
/// in 小区, 路, 村, 医院, 号楼 …: [`place::places`]) and neither
/// event_location nor content holds the distinctive part of any place the
/// caller named (长青 of 长青小区). A caller may name several places, one
/// of them not the matter's (我在人民医院上班，我们长青小区停水了): a
/// ticket that holds one of them has recorded the place. Assessed on
/// tickets sent to a unit (工单转办, 电话交办), which must hold the place;
/// one handled on the call (直接办理) needs none.
pub fn place_missing(call: &Call, t: &Ticket) -> Option<Finding> {
    // A ticket handled on the call needs no place (spec §2 norm 10): a
    // consultation's 我住江南街道 / 哪条路 is no place a unit must go to.
    if !matches!(t.handling, Some(Handling::Dispatch | Handling::Phone)) {
        return None;
    }
    let named: Vec<(usize, place::Place)> = caller(call)
        .flat_map(|(i, text)| place::places(text).into_iter().map(move |p| (i, p)))
        .collect();
    let (i, first) = named.first()?;
    let recorded = compact(&format!("{} {}", t.event_location, t.content));
    if named
        .iter()
        .any(|(_, p)| recorded.contains(&compact(&p.distinctive)))
    {
        return None;
    }
    Some(at_caller(
        NormId::Ticket,
        "ticket.place_missing",
        call,
        *i,
        first.span,
        &format!(
            "工单地点：{}；诉求内容未提到“{}”",
            shown(&t.event_location),
            first.distinctive
        ),
    ))
}

/// The ticket's content as shown in the evidence.
fn content_shown(t: &Ticket) -> String {
    format!("工单内容：{}", excerpt(shown(&t.content), 30))
}

/// `ticket.harm_omitted`: the caller reports harm or danger to people
/// (受伤, 骨折, 起火, 漏气, 差点摔倒 …, not negated: 没有人受伤 is none)
/// and content mentions none of it: neither the caller's cue, nor any
/// harm cue, nor a word of the scorecard's `harm_words` (伤, 危险, 隐患 …).
pub fn harm_omitted(call: &Call, t: &Ticket, cfg: &TicketConfig) -> Option<Finding> {
    let (i, c) = caller_cue(call, CueKind::Harm)?;
    let said = call
        .utterances
        .get(i)
        .map_or("", |u| c.span.of(u.text.as_ref()));
    let content = compact(&t.content);
    let recorded = (!said.is_empty() && content.contains(&compact(said)))
        || !cue::find(CueKind::Harm, &t.content).is_empty()
        || cfg
            .harm_words
            .iter()
            .any(|w| !w.trim().is_empty() && content.contains(w.trim()));
    if recorded {
        return None;
    }
    Some(at_caller(
        NormId::Ticket,
        "ticket.harm_omitted",
        call,
        i,
        c.span,
        &format!("{}（未提到人身伤害或危险）", content_shown(t)),
    ))
}

/// `ticket.repeat_omitted`: the caller says the matter was reported
/// before (第三次, 好几次, 又打电话, 上次反映 …; 又脏又乱 is not), or the
/// ticket store linked an earlier ticket of the same caller and matter
/// (`Ticket::prior`), and content does not say so (再次, 多次, 第N次, 重复,
/// 此前, 曾…反映: [`cue::repeat_recorded`]). With a linked ticket the
/// evidence names it. A 表扬 ticket is not assessed: thanks for an earlier
/// report's handling is no repeat.
pub fn repeat_omitted(call: &Call, t: &Ticket, cfg: &TicketConfig) -> Option<Finding> {
    // Praise of how an earlier report was handled (上次反映的问题很快就
    // 解决了) is no repeat of a matter.
    if t.category == Some(Category::Praise) {
        return None;
    }
    let said = caller_cue(call, CueKind::Repeat);
    if said.is_none() && t.prior.is_none() {
        return None;
    }
    if cue::repeat_recorded(&t.content, &cfg.repeat_words) {
        return None;
    }
    let prior = t.prior.as_ref().map(|p| {
        let when = p
            .accepted_at
            .map(|a| format!("，{}", a.format("%Y-%m-%d")))
            .unwrap_or_default();
        format!("；此前工单 {}{when}", p.ticket_id)
    });
    let ticket_side = format!(
        "{}（未写明重复反映）{}",
        content_shown(t),
        prior.unwrap_or_default()
    );
    let rule = "ticket.repeat_omitted";
    Some(match said {
        Some((i, c)) => at_caller(NormId::Ticket, rule, call, i, c.span, &ticket_side),
        None => Finding::new(NormId::Ticket, rule, ticket_side),
    })
}

/// Whether the ticket escalates: 热点难点 是, or an urgency above 普通.
fn escalated(t: &Ticket) -> bool {
    t.hot_issue
        || matches!(
            t.urgency,
            Some(Urgency::Urgent | Urgency::Emergency | Urgency::MajorEmergency)
        )
}

/// `process.risk_not_escalated`: the caller speaks of self-harm (不想活了,
/// 跳楼, 喝药 …) or of a collective or public action (拉横幅, 上访, 找媒体,
/// 闹大 …; not negated: 不想闹大 is none), and the ticket has neither
/// hot_issue 是 nor an urgency above 普通, or its content does not record
/// it (a cue of the same kind, or a word of the scorecard's
/// `self_harm_words` / `collective_words`). Self-harm is `critical`;
/// collective action a deduction. One finding per kind said.
pub fn risk_not_escalated(call: &Call, t: &Ticket, cfg: &ProcessConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    let content = compact(&t.content);
    for (kind, words, what) in [
        (CueKind::SelfHarm, &cfg.self_harm_words, "轻生、自伤言论"),
        (CueKind::Collective, &cfg.collective_words, "集体或公开行动"),
    ] {
        let Some((i, c)) = caller_cue(call, kind) else {
            continue;
        };
        let said = call
            .utterances
            .get(i)
            .map_or("", |u| c.span.of(u.text.as_ref()));
        let recorded = (!said.is_empty() && content.contains(&compact(said)))
            || !cue::find(kind, &t.content).is_empty()
            || words
                .iter()
                .any(|w| !w.trim().is_empty() && content.contains(w.trim()));
        let up = escalated(t);
        if up && recorded {
            continue;
        }
        let mut missing = Vec::new();
        if !up {
            missing.push(format!(
                "热点难点 否，紧急程度 {}",
                t.urgency.map_or("（空）", |u| u.zh())
            ));
        }
        if !recorded {
            missing.push(format!("诉求内容未记录{what}"));
        }
        let mut f = at_caller(
            NormId::Process,
            "process.risk_not_escalated",
            call,
            i,
            c.span,
            &format!("工单 {}：{}", t.ticket_id, missing.join("；")),
        );
        if kind == CueKind::SelfHarm {
            f.severity = Severity::Critical;
        }
        out.push(f);
    }
    out
}

/// `process.complaint_not_dispatched`: a ticket of category 投诉举报
/// handled 直接办理 whose subcategory is not one that must not be
/// dispatched (违法乱纪, 涉法涉诉: the scorecard's `discipline_subcategory`
/// and `legal_subcategory`, §2 rule 7): a complaint goes to a unit (the
/// process document's 投诉举报 ⑵). Needs the caller's speech like every
/// rule of §2.1; the evidence quotes the caller's complaint when there is
/// one.
pub fn complaint_not_dispatched(call: &Call, t: &Ticket, cfg: &ProcessConfig) -> Option<Finding> {
    if t.category != Some(Category::Complaint) || t.handling != Some(Handling::Direct) {
        return None;
    }
    let exempt = [&cfg.discipline_subcategory, &cfg.legal_subcategory]
        .iter()
        .any(|s| !s.is_empty() && t.subcategory.contains(s.as_str()));
    if exempt || !caller_speaks(call) {
        return None;
    }
    let sub = if t.subcategory.trim().is_empty() {
        String::new()
    } else {
        format!("/{}", t.subcategory.trim())
    };
    let ticket_side = format!(
        "工单记为：{}{sub}，办理方式 {}（投诉举报应转承办单位）",
        t.category_raw, t.handling_raw
    );
    let rule = "process.complaint_not_dispatched";
    Some(match caller_cue(call, CueKind::Complaint) {
        Some((i, c)) => at_caller(NormId::Process, rule, call, i, c.span, &ticket_side),
        None => Finding::new(NormId::Process, rule, ticket_side),
    })
}

/// The six norm-10 rules, in the order of spec §2.1. Not assessed without
/// the caller's speech (the ticket norm itself is assessed on the ticket).
pub fn ticket_rules(call: &Call, t: &Ticket, cfg: &TicketConfig) -> Vec<Finding> {
    if !cfg.against_call || !caller_speaks(call) {
        return Vec::new();
    }
    [
        category_mismatch(call, t),
        name_mismatch(call, t),
        phone_mismatch(call, t),
        place_missing(call, t),
        harm_omitted(call, t, cfg),
        repeat_omitted(call, t, cfg),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The two norm-7 rules, in the order of spec §2.1.
pub fn process_rules(call: &Call, t: &Ticket, cfg: &ProcessConfig) -> Vec<Finding> {
    if !cfg.against_call || !caller_speaks(call) {
        return Vec::new();
    }
    let mut out = risk_not_escalated(call, t, cfg);
    out.extend(complaint_not_dispatched(call, t, cfg));
    out
}
