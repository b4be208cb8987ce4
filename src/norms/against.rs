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
use crate::text::{excerpt, excerpt_marked, CleanTexts};
use std::borrow::Cow;

/// Separates the caller's side of the evidence from the ticket's.
const BETWEEN: &str = " ｜ ";

/// A call as these rules read it: the call and the clean form of each of
/// its utterances. The scorer has cleaned every utterance already
/// (`CallView::texts`); the rules borrow those instead of cleaning each
/// caller utterance again for each of the eight rules' cues, which made a
/// day with tickets twice as slow to score.
pub struct Said<'a> {
    call: &'a Call<'a>,
    texts: Cow<'a, CleanTexts>,
}

impl<'a> Said<'a> {
    /// The call with the clean texts the scorer made (`texts` must hold
    /// the clean form of each of `call`'s utterances, by index).
    pub fn new(call: &'a Call<'a>, texts: &'a CleanTexts) -> Said<'a> {
        Said {
            call,
            texts: Cow::Borrowed(texts),
        }
    }

    /// The call, its utterances cleaned here (for callers without a view).
    pub fn cleaning(call: &'a Call<'a>) -> Said<'a> {
        let texts = CleanTexts::new(call.utterances.iter().map(|u| u.text.as_ref()));
        Said {
            call,
            texts: Cow::Owned(texts),
        }
    }

    /// The caller's utterances: (index, text).
    fn caller(&self) -> impl Iterator<Item = (usize, &'a str)> + '_ {
        let call: &'a Call<'a> = self.call;
        call.utterances
            .iter()
            .enumerate()
            .filter(|(_, u)| u.speaker == Speaker::Caller)
            .map(|(i, u)| (i, u.text.as_ref()))
    }

    /// Whether the caller speaks at all: every rule here needs the
    /// caller's words.
    fn caller_speaks(&self) -> bool {
        self.caller().next().is_some()
    }

    /// The first caller utterance where `read` finds something: (index, what).
    fn first_in_caller<T>(&self, read: impl Fn(&str) -> Option<T>) -> Option<(usize, T)> {
        self.caller()
            .find_map(|(i, text)| read(text).map(|x| (i, x)))
    }

    /// The first cue of `kind` the caller says.
    fn caller_cue(&self, kind: CueKind) -> Option<(usize, cue::Cue)> {
        self.caller().find_map(|(i, text)| {
            cue::find_clean(kind, text, self.texts.get(i))
                .into_iter()
                .next()
                .map(|c| (i, c))
        })
    }

    /// A finding at caller utterance `i` marking `span`, with the ticket's side.
    fn at_caller(
        &self,
        norm: NormId,
        rule: &'static str,
        i: usize,
        span: Span,
        ticket_side: &str,
    ) -> Finding {
        let text = self.call.utterances.get(i).map_or("", |u| u.text.as_ref());
        let said = excerpt_marked(text, span.start, span.end, 40);
        Finding::new(norm, rule, format!("{said}{BETWEEN}{ticket_side}")).at(self.call, i)
    }

    /// The text of utterance `i` that `span` covers.
    fn said_at(&self, i: usize, span: Span) -> &'a str {
        let call: &'a Call<'a> = self.call;
        call.utterances
            .get(i)
            .map_or("", |u| span.of(u.text.as_ref()))
    }
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
pub fn category_mismatch(s: &Said, t: &Ticket) -> Option<Finding> {
    let category = t.category?;
    // The caller's complaint fixes the category first, praise second (the
    // finding names the first that disagrees); a lexicon is read only when
    // its answer can change the outcome: a 投诉举报 ticket whose caller
    // complains is right whatever else was said.
    let (first, second) = if category == Category::Praise {
        (Category::Praise, Category::Complaint)
    } else {
        (Category::Complaint, Category::Praise)
    };
    let cue_of = |c: Category| {
        s.caller_cue(if c == Category::Complaint {
            CueKind::Complaint
        } else {
            CueKind::Praise
        })
    };
    let found = match cue_of(first) {
        Some(_) if first == category => return None,
        Some(c) => (first, c),
        None => match cue_of(second) {
            Some(_) if second == category => return None,
            Some(c) => (second, c),
            None => return None,
        },
    };
    let (want, (i, c)) = found;
    Some(s.at_caller(
        NormId::Ticket,
        "ticket.category_mismatch",
        i,
        c.span,
        &format!("工单记为：{}（应为{}）", shown(&t.category_raw), want.zh()),
    ))
}

/// Whether `name` is anonymous (匿名, 匿名用户).
fn is_anonymous(name: &str) -> bool {
    name.starts_with("匿名") || name == "不详"
}

/// What an agent says asking the caller's own name (请问您贵姓, 怎么称呼您).
const ASKS_NAME: &[&str] = &[
    "贵姓",
    "怎么称呼",
    "如何称呼",
    "称呼您",
    "您姓",
    "你姓",
    "您的姓名",
    "你的姓名",
    "您叫什么",
    "你叫什么",
    "留个姓",
    "留一下姓",
    "姓什么",
    "您的名字",
    "你的名字",
];

/// What in that question makes the name asked for someone else's (那位
/// 工作人员的姓名, 哪位民警, 他姓什么).
const ASKS_OTHERS: &[&str] = &[
    "那位",
    "哪位",
    "这位",
    "工作人员",
    "他",
    "她",
    "对方",
    "民警",
    "师傅",
    "司机",
    "医生",
    "被投诉",
];

/// Whether the last agent utterance before caller utterance `i` asks for
/// the caller's own name: then a bare 姓王 answers it.
fn asked_for_callers_name(call: &Call, i: usize) -> bool {
    call.utterances[..i.min(call.utterances.len())]
        .iter()
        .rev()
        .find(|u| u.speaker == Speaker::Agent)
        .is_some_and(|u| {
            let t = u.text.as_ref();
            ASKS_NAME.iter().any(|w| t.contains(w)) && !ASKS_OTHERS.iter().any(|w| t.contains(w))
        })
}

/// `ticket.name_mismatch`: the caller gives a surname (我姓X, 免贵姓X,
/// 我叫X…) and caller_name does not start with it (老X / 小X, as a
/// ticket may write a name, start with it too). 匿名 is a mismatch unless
/// the caller asked not to give a name (匿名, 不方便透露, 不留名). A
/// different char of the same pinyin (张/章) is probably ASR: the finding
/// is `needs_review`, and costs nothing until a reviewer confirms it. An
/// empty caller_name is `ticket.missing_field`'s.
pub fn name_mismatch(s: &Said, t: &Ticket) -> Option<Finding> {
    let name = t.caller_name.trim();
    if name.is_empty() {
        return None;
    }
    let mut stated: Vec<(usize, surname::Surname)> = s
        .caller()
        .flat_map(|(i, text)| surname::surnames(text).into_iter().map(move |s| (i, s)))
        .collect();
    // A bare 姓王 answers the agent's question: the caller's own surname
    // only when the agent asked for it (请问您贵姓), not 哪位民警.
    stated.retain(|(i, sn)| !sn.answer || asked_for_callers_name(s.call, *i));
    let (i, first) = stated.first()?;
    let rule = "ticket.name_mismatch";
    if is_anonymous(name) {
        if s.first_in_caller(surname::anonymous).is_some() {
            return None;
        }
        return Some(s.at_caller(
            NormId::Ticket,
            rule,
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
        Some((i, sn)) => {
            let mut f = s.at_caller(
                NormId::Ticket,
                rule,
                *i,
                sn.span,
                &format!("工单姓名：{name}（同音，可能是识别错误）"),
            );
            f.needs_review = true;
            f
        }
        None => s.at_caller(
            NormId::Ticket,
            rule,
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
/// caller_phone holds none of the numbers said (after the caller's
/// corrections: [`phone::stated_numbers`]); or the caller says the
/// number is the one calling (就这个号, 来电号码, 本机), the transcript
/// carries `caller_number`, and caller_phone is another. A number the
/// caller gives as someone else's (物业电话…) is not theirs
/// ([`phone::contact_numbers`]), nor one the agent or a unit said before
/// and the caller reads back (拨打2628800 → 2628800是吧). An empty caller_phone is
/// `ticket.missing_field`'s.
pub fn phone_mismatch(s: &Said, t: &Ticket) -> Option<Finding> {
    let digits = crate::text::digits(&t.caller_phone);
    if digits.is_empty() {
        return None;
    }
    let recorded = phone::phone_numbers(&t.caller_phone);
    // The numbers the caller gives, a number taken back (不对，是…) no
    // longer among them.
    let mut said = phone::stated_numbers(s.caller());
    // A number the agent or a unit said before is read back, not given
    // (具体您可以拨打2628800 → 2628800是吧？): it is no contact number.
    said.retain(|(i, p)| !said_before_by_others(s.call, *i, &p.digits));
    if said.iter().any(|(_, p)| same_phone(p, &recorded, &digits)) {
        return None;
    }
    let own = s
        .call
        .caller_number
        .as_deref()
        .filter(|n| !crate::text::digits(n).is_empty())
        .and_then(|n| {
            s.caller()
                .find_map(|(i, text)| {
                    phone::own_number_cue_clean(text, s.texts.get(i)).map(|x| (i, x))
                })
                .map(|cue| (n, cue))
        });
    let rule = "ticket.phone_mismatch";
    match own {
        Some((n, _)) if same_digits(n, &t.caller_phone) => None,
        Some((n, (i, span))) if said.is_empty() => Some(s.at_caller(
            NormId::Ticket,
            rule,
            i,
            span,
            &format!("工单电话：{}（来电号码 {n}）", t.caller_phone.trim()),
        )),
        _ => said.first().map(|(i, p)| {
            s.at_caller(
                NormId::Ticket,
                rule,
                *i,
                p.span,
                &format!("工单电话：{}", t.caller_phone.trim()),
            )
        }),
    }
}

/// Whether `recorded` (compacted) holds the place: its distinctive part,
/// or, when the caller said more before the name (城西滨河花园, 江北长青路:
/// an area without 区 that the walk back keeps), the name's last two chars
/// with its suffix (滨河花园, 长青路), which the ticket writes when it
/// puts the area apart (城西区 / 滨河花园).
fn holds_place(recorded: &str, p: &place::Place) -> bool {
    let part = compact(&p.distinctive);
    if recorded.contains(&part) {
        return true;
    }
    let chars: Vec<char> = part.chars().collect();
    chars.len() >= 3 && {
        let tail: String = chars[chars.len() - 2..].iter().collect();
        recorded.contains(&format!("{tail}{}", compact(&p.suffix)))
    }
}

/// `ticket.place_missing`: the caller names a place (a proper name ending
/// in 小区, 路, 村, 医院, 号楼 …: [`place::places`]) and neither
/// event_location nor content holds the distinctive part of any place the
/// caller named (长青 of 长青小区). A caller may name several places, one
/// of them not the matter's (我在人民医院上班，我们长青小区停水了): a
/// ticket that holds one of them has recorded the place. Assessed on
/// tickets sent to a unit (工单转办, 电话交办), which must hold the place;
/// one handled on the call (直接办理) needs none, nor does praise.
pub fn place_missing(s: &Said, t: &Ticket) -> Option<Finding> {
    // A ticket handled on the call needs no place (spec §2 norm 10): a
    // consultation's 我住江南街道 / 哪条路 is no place a unit must go to.
    // Praise (上次我们南苑新村的问题他们当天就来处理了) names where the
    // praised work was done, not a matter's place.
    if !matches!(t.handling, Some(Handling::Dispatch | Handling::Phone))
        || t.category == Some(Category::Praise)
    {
        return None;
    }
    let named: Vec<(usize, place::Place)> = s
        .caller()
        .flat_map(|(i, text)| {
            place::places_clean(text, s.texts.get(i))
                .into_iter()
                .map(move |p| (i, p))
        })
        .collect();
    let (i, first) = named.first()?;
    let recorded = compact(&format!("{} {}", t.event_location, t.content));
    if named.iter().any(|(_, p)| holds_place(&recorded, p)) {
        return None;
    }
    Some(s.at_caller(
        NormId::Ticket,
        "ticket.place_missing",
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
pub fn harm_omitted(s: &Said, t: &Ticket, cfg: &TicketConfig) -> Option<Finding> {
    let (i, c) = s.caller_cue(CueKind::Harm)?;
    let said = s.said_at(i, c.span);
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
    Some(s.at_caller(
        NormId::Ticket,
        "ticket.harm_omitted",
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
pub fn repeat_omitted(s: &Said, t: &Ticket, cfg: &TicketConfig) -> Option<Finding> {
    // Praise of how an earlier report was handled (上次反映的问题很快就
    // 解决了) is no repeat of a matter.
    if t.category == Some(Category::Praise) {
        return None;
    }
    let said = s.caller_cue(CueKind::Repeat);
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
        Some((i, c)) => s.at_caller(NormId::Ticket, rule, i, c.span, &ticket_side),
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
pub fn risk_not_escalated(s: &Said, t: &Ticket, cfg: &ProcessConfig) -> Vec<Finding> {
    let mut out = Vec::new();
    // Made once, and only when the caller speaks of a risk (rarely).
    let mut content: Option<String> = None;
    for (kind, words, what) in [
        (CueKind::SelfHarm, &cfg.self_harm_words, "轻生、自伤言论"),
        (CueKind::Collective, &cfg.collective_words, "集体或公开行动"),
    ] {
        let Some((i, c)) = s.caller_cue(kind) else {
            continue;
        };
        let said = s.said_at(i, c.span);
        let content = content.get_or_insert_with(|| compact(&t.content));
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
        let mut f = s.at_caller(
            NormId::Process,
            "process.risk_not_escalated",
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
pub fn complaint_not_dispatched(s: &Said, t: &Ticket, cfg: &ProcessConfig) -> Option<Finding> {
    if t.category != Some(Category::Complaint) || t.handling != Some(Handling::Direct) {
        return None;
    }
    let exempt = [&cfg.discipline_subcategory, &cfg.legal_subcategory]
        .iter()
        .any(|s| !s.is_empty() && t.subcategory.contains(s.as_str()));
    if exempt || !s.caller_speaks() {
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
    Some(match s.caller_cue(CueKind::Complaint) {
        Some((i, c)) => s.at_caller(NormId::Process, rule, i, c.span, &ticket_side),
        None => Finding::new(NormId::Process, rule, ticket_side),
    })
}

/// The six norm-10 rules, in the order of spec §2.1. Not assessed without
/// the caller's speech (the ticket norm itself is assessed on the ticket).
pub fn ticket_rules(s: &Said, t: &Ticket, cfg: &TicketConfig) -> Vec<Finding> {
    if !cfg.against_call || !s.caller_speaks() {
        return Vec::new();
    }
    [
        category_mismatch(s, t),
        name_mismatch(s, t),
        phone_mismatch(s, t),
        place_missing(s, t),
        harm_omitted(s, t, cfg),
        repeat_omitted(s, t, cfg),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The two norm-7 rules, in the order of spec §2.1.
pub fn process_rules(s: &Said, t: &Ticket, cfg: &ProcessConfig) -> Vec<Finding> {
    if !cfg.against_call || !s.caller_speaks() {
        return Vec::new();
    }
    let mut out = risk_not_escalated(s, t, cfg);
    out.extend(complaint_not_dispatched(s, t, cfg));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PriorContact;
    use crate::norms::testkit::*;

    // The rules as the tests call them: on a call alone, its utterances
    // cleaned here (the scorer passes the ones it made).
    fn category_mismatch(c: &Call, t: &Ticket) -> Option<Finding> {
        super::category_mismatch(&Said::cleaning(c), t)
    }
    fn name_mismatch(c: &Call, t: &Ticket) -> Option<Finding> {
        super::name_mismatch(&Said::cleaning(c), t)
    }
    fn phone_mismatch(c: &Call, t: &Ticket) -> Option<Finding> {
        super::phone_mismatch(&Said::cleaning(c), t)
    }
    fn place_missing(c: &Call, t: &Ticket) -> Option<Finding> {
        super::place_missing(&Said::cleaning(c), t)
    }
    fn harm_omitted(c: &Call, t: &Ticket, cfg: &TicketConfig) -> Option<Finding> {
        super::harm_omitted(&Said::cleaning(c), t, cfg)
    }
    fn repeat_omitted(c: &Call, t: &Ticket, cfg: &TicketConfig) -> Option<Finding> {
        super::repeat_omitted(&Said::cleaning(c), t, cfg)
    }
    fn risk_not_escalated(c: &Call, t: &Ticket, cfg: &ProcessConfig) -> Vec<Finding> {
        super::risk_not_escalated(&Said::cleaning(c), t, cfg)
    }
    fn complaint_not_dispatched(c: &Call, t: &Ticket, cfg: &ProcessConfig) -> Option<Finding> {
        super::complaint_not_dispatched(&Said::cleaning(c), t, cfg)
    }

    /// A dispatched ticket that agrees with [`said`]'s defaults.
    fn ticket(category: &str, handling: &str) -> Ticket {
        Ticket {
            ticket_id: "T1".into(),
            category: Category::parse(category),
            category_raw: category.into(),
            handling: Handling::parse(handling),
            handling_raw: handling.into(),
            urgency: Some(Urgency::Normal),
            caller_name: "张先生".into(),
            caller_phone: "13812345678".into(),
            event_time: "11月26日".into(),
            event_location: "西城区长青小区3号楼".into(),
            content: "来电人反映长青小区3号楼楼下餐馆油烟扰民，请求处理。".into(),
            ..Ticket::default()
        }
    }

    /// A call where the caller says `caller` and the agent `agent`.
    fn said(caller: &str, agent: &str) -> Call<'static> {
        call(&[
            GREETING,
            ('c', 5.0, 9.0, caller),
            ('a', 9.5, 14.0, agent),
            ('a', 14.5, 16.5, CLOSING),
        ])
    }

    fn rule_of(f: Option<Finding>) -> Option<&'static str> {
        f.map(|f| f.rule)
    }

    #[test]
    fn a_complaint_written_down_as_another_category_is_caught() {
        let cat = |caller: &str, agent: &str, category: &str| {
            rule_of(category_mismatch(
                &said(caller, agent),
                &ticket(category, "工单转办"),
            ))
        };
        let hit = Some("ticket.category_mismatch");
        for (caller, agent, category, want) in [
            ("我要投诉他们物业，天天不管事", "好的", "咨询", hit),
            ("我举报他们违规施工", "好的", "建议", hit),
            ("想举报一个餐馆无证经营", "好的", "一般诉求", hit),
            ("我要表扬你们的维修师傅", "好的", "一般诉求", hit),
            // Must not: the category agrees, or the cue fixes nothing.
            ("我要投诉他们物业", "好的", "投诉举报", None),
            ("我要表扬你们的维修师傅", "好的", "表扬", None),
            ("我这不是投诉，就是问问", "好的", "咨询", None),
            ("我不想投诉，就想问问", "好的", "咨询", None),
            ("先不投诉了，你们先帮我问问", "好的", "咨询", None),
            ("请问怎么投诉他们", "好的", "咨询", None),
            ("去哪投诉比较好", "好的", "咨询", None),
            ("投诉电话是多少", "好的", "咨询", None),
            ("我要投诉你！", "好的", "咨询", None),
            // The agent or a unit saying 投诉 is not the caller complaining.
            (
                "我想问问公积金怎么提取",
                "您也可以投诉到住建局",
                "咨询",
                None,
            ),
        ] {
            assert_eq!(cat(caller, agent, category), want, "{caller} / {category}");
        }
        // An invalid category is ticket.invalid_category's.
        let mut t = ticket("咨询", "工单转办");
        t.category = None;
        assert_eq!(category_mismatch(&said("我要投诉", "好的"), &t), None);
    }

    #[test]
    fn the_evidence_names_both_sides() {
        let f = category_mismatch(
            &said("我要投诉他们物业，天天不管事", "好的"),
            &ticket("咨询", "工单转办"),
        );
        let Some(f) = f else {
            panic!("a finding");
        };
        assert_eq!(
            f.excerpt,
            "【我要投诉】他们物业，天天不管事 ｜ 工单记为：咨询（应为投诉举报）"
        );
        assert_eq!(
            (f.utterance_index, f.at_s, f.speaker, f.norm),
            (Some(1), Some(5.0), Some(Speaker::Caller), NormId::Ticket)
        );
    }

    #[test]
    fn a_surname_not_recorded_is_caught_and_a_homophone_waits_for_review() {
        let name = |caller: &str, recorded: &str| {
            let mut t = ticket("一般诉求", "工单转办");
            t.caller_name = recorded.into();
            name_mismatch(&said(caller, "好的"), &t).map(|f| (f.rule, f.needs_review))
        };
        let hit = Some(("ticket.name_mismatch", false));
        let homophone = Some(("ticket.name_mismatch", true));
        for (caller, recorded, want) in [
            ("我姓王", "张先生", hit),
            ("免贵姓李", "王女士", hit),
            ("我叫刘建国", "陈先生", hit),
            ("我姓欧阳", "欧先生", hit),
            ("我姓王", "匿名", hit),
            ("我姓章，立早章", "张先生", homophone),
            ("我姓理", "李女士", homophone),
            // Must not.
            ("我姓张", "张先生", None),
            ("我叫张建国", "张建国", None),
            ("我姓张", "老张", None),
            ("我姓欧阳", "欧阳女士", None),
            ("我姓王，我想匿名反映", "匿名", None),
            ("我姓王，名字不方便透露", "匿名", None),
            ("我就是想反映个问题", "匿名", None),
            ("我邻居姓王", "张先生", None),
            ("我叫王师傅来修过", "张先生", None),
            ("我姓张", "", None),
        ] {
            assert_eq!(name(caller, recorded), want, "{caller} / {recorded}");
        }
    }

    #[test]
    fn a_bare_surname_answers_the_agents_question_for_the_callers_name_only() {
        let name = |asked: &str, caller: &str, recorded: &str| {
            let c = call(&[
                GREETING,
                ('c', 4.6, 6.0, "我反映个事情"),
                ('a', 6.5, 8.0, asked),
                ('c', 8.5, 10.0, caller),
                ('a', 10.5, 12.0, CLOSING),
            ]);
            let mut t = ticket("一般诉求", "工单转办");
            t.caller_name = recorded.into();
            rule_of(name_mismatch(&c, &t))
        };
        let hit = Some("ticket.name_mismatch");
        for (asked, caller, recorded, want) in [
            ("请问您贵姓？", "姓王，电话13812345678", "张先生", hit),
            ("怎么称呼您？", "嗯，姓冯", "陈女士", hit),
            ("请问您贵姓？", "对，姓欧阳", "欧先生", hit),
            // Must not: recorded right, or the name of someone else asked.
            ("请问您贵姓？", "姓王，电话13812345678", "王先生", None),
            (
                "请问您记得是哪位民警吗？",
                "姓张，大家都叫他张警官",
                "何先生",
                None,
            ),
            (
                "请问您记得那位工作人员的姓名和工号吗？",
                "姓刘，叫刘波，工号是3306",
                "林女士",
                None,
            ),
            ("好的", "姓王", "张先生", None),
        ] {
            assert_eq!(name(asked, caller, recorded), want, "{asked} / {caller}");
        }
    }

    #[test]
    fn a_number_the_caller_gave_that_the_ticket_does_not_hold_is_caught() {
        let phone = |caller: &str, recorded: &str, from: Option<&str>| {
            let mut c = call(&[
                GREETING,
                ('a', 4.6, 5.0, "请问您的联系电话是多少？"),
                ('c', 5.0, 9.0, caller),
                ('a', 9.5, 14.0, "好的"),
            ]);
            c.caller_number = from.map(String::from);
            let mut t = ticket("一般诉求", "工单转办");
            t.caller_phone = recorded.into();
            rule_of(phone_mismatch(&c, &t))
        };
        let hit = Some("ticket.phone_mismatch");
        for (caller, recorded, from, want) in [
            ("13812345678", "13812345679", None, hit),
            ("幺三八 幺二三四 五六七八", "13900001111", None, hit),
            ("我座机是0571-87193366", "87193367", None, hit),
            ("就打这个号码吧", "13900001111", Some("13812345678"), hit),
            ("来电号码就行", "13900001111", Some("+8613812345678"), hit),
            // GovInsight case-001's words, with a ticket number other than the calling one.
            (
                "我免贵姓王，电话就是现在打的这个",
                "13900001111",
                Some("13812345678"),
                hit,
            ),
            // Must not.
            ("13812345678", "13812345678", None, None),
            ("幺三八，幺二三四，五六七八", "138-1234-5678", None, None),
            ("一三八一二三四五六七八", "13812345678", None, None),
            ("我座机是0571-87193366", "87193366", None, None),
            ("座机87193366", "0571-87193366", None, None),
            ("就打这个号码吧", "13812345678", Some("13812345678"), None),
            (
                "我免贵姓王，电话就是现在打的这个",
                "13812345678",
                Some("13812345678"),
                None,
            ),
            (
                "就打这个号码吧",
                "13812345678",
                Some("+86 138 1234 5678"),
                None,
            ),
            // Without caller_number 就这个号 cannot be checked.
            ("就打这个号码吧", "13900001111", None, None),
            ("物业电话87654321打不通", "13900001111", None, None),
            ("我不方便留电话", "13900001111", None, None),
            // No number recorded is ticket.missing_field's.
            ("13812345678", "", None, None),
        ] {
            assert_eq!(phone(caller, recorded, from), want, "{caller} / {recorded}");
        }
        // A number the agent gave, read back by the caller, is not theirs.
        let c = call(&[
            GREETING,
            ('a', 4.6, 8.0, "您可以拨打市医保局电话2628800"),
            ('c', 8.5, 10.0, "2628800是吧？好的"),
        ]);
        assert_eq!(phone_mismatch(&c, &ticket("咨询", "直接办理")), None);
    }

    #[test]
    fn a_place_the_caller_named_that_the_ticket_does_not_hold_is_caught() {
        let place = |caller: &str, location: &str, content: &str, handling: &str| {
            let mut t = ticket("一般诉求", handling);
            t.event_location = location.into();
            t.content = content.into();
            rule_of(place_missing(&said(caller, "好的"), &t))
        };
        let hit = Some("ticket.place_missing");
        let c = "来电人反映楼下餐馆油烟扰民，请求处理。";
        for (caller, location, content, handling, want) in [
            ("我住长青小区，楼下油烟很大", "西城区", c, "工单转办", hit),
            ("建设路上有个大坑", "东城区幸福路", c, "电话交办", hit),
            ("王家村的垃圾没人清", "", c, "工单转办", hit),
            // Must not: the distinctive part is in the location or the content.
            (
                "我住长青小区，楼下油烟很大",
                "西城区长青小区",
                c,
                "工单转办",
                None,
            ),
            ("我住长青 小区", "长青小区3栋", c, "工单转办", None),
            (
                "建设路上有个大坑",
                "",
                "来电人反映建设路有坑",
                "工单转办",
                None,
            ),
            (
                "我在人民医院上班，长青小区停水了",
                "长青小区",
                c,
                "工单转办",
                None,
            ),
            ("马路上全是水", "", c, "工单转办", None),
            ("我们小区停水了", "", c, "工单转办", None),
            // An area said before the name without 区, the ticket putting
            // it apart.
            ("我住城西滨河花园", "城西区滨河花园", c, "工单转办", None),
            ("江北长青路有个坑", "江北区长青路", c, "工单转办", None),
            // Must still catch: the name's tail without its suffix is not
            // the place (滨河 alone could be 滨河路).
            ("我住城西滨河花园", "城西区滨河路", c, "工单转办", hit),
            // A ticket handled on the call needs no place.
            (
                "我住长青小区，想问问公积金",
                "",
                "咨询公积金提取",
                "直接办理",
                None,
            ),
        ] {
            assert_eq!(place(caller, location, content, handling), want, "{caller}");
        }
        // Praise names where the praised work was done, not a matter's place.
        let mut t = ticket("表扬", "工单转办");
        t.event_location.clear();
        t.content = "来电人表扬自来水公司工作人员处理及时。".into();
        let praise = said("上次我们南苑新村的问题他们当天就来处理了", "好的");
        assert_eq!(place_missing(&praise, &t), None);
        t.category = Category::parse("一般诉求");
        assert_eq!(rule_of(place_missing(&praise, &t)), hit);
    }

    #[test]
    fn harm_the_content_leaves_out_is_caught() {
        let harm = |caller: &str, content: &str| {
            let mut t = ticket("一般诉求", "工单转办");
            t.content = content.into();
            rule_of(harm_omitted(
                &said(caller, "好的"),
                &t,
                &TicketConfig::default(),
            ))
        };
        let hit = Some("ticket.harm_omitted");
        let c = "来电人反映小区井盖缺失，请求尽快处理。";
        for (caller, content, want) in [
            ("井盖没了，我家孩子掉下去摔伤了", c, hit),
            ("昨天有个老人在那里骨折了，现在还住院", c, hit),
            ("楼道里起火了", c, hit),
            ("孩子差点摔下去", c, hit),
            // GovInsight case-002: the ticket kept only 影响通行.
            (
                "刚才我看见个盲人差点绊倒，太危险了",
                "市民反映建设路人行道有共享单车乱停放，影响通行。",
                hit,
            ),
            // Must not: recorded, or no harm said.
            (
                "刚才我看见个盲人差点绊倒，太危险了",
                "市民反映单车堵塞盲道，险些造成盲人受伤。",
                None,
            ),
            (
                "井盖没了，我家孩子掉下去摔伤了",
                "来电人反映井盖缺失，其孩子摔伤，请求处理。",
                None,
            ),
            ("孩子差点摔下去", "来电人反映井盖缺失，存在安全隐患。", None),
            ("还好没有人受伤", c, None),
            ("没受伤，就是吓了一跳", c, None),
            ("路口堵得一塌糊涂", c, None),
            ("不小心说错了，井盖是没了", c, None),
        ] {
            assert_eq!(harm(caller, content), want, "{caller} / {content}");
        }
        // The agent asking about injuries is not the caller reporting one.
        let c2 = call(&[
            GREETING,
            ('c', 5.0, 9.0, "井盖没了"),
            ('a', 9.5, 14.0, "有没有人受伤？"),
        ]);
        assert_eq!(
            harm_omitted(
                &c2,
                &ticket("一般诉求", "工单转办"),
                &TicketConfig::default()
            ),
            None
        );
    }

    #[test]
    fn a_repeat_the_content_does_not_say_is_caught() {
        let cfg = TicketConfig::default();
        let repeat = |caller: &str, content: &str| {
            let mut t = ticket("一般诉求", "工单转办");
            t.content = content.into();
            rule_of(repeat_omitted(&said(caller, "好的"), &t, &cfg))
        };
        let hit = Some("ticket.repeat_omitted");
        let c = "来电人反映小区路灯不亮，请求处理。";
        for (caller, content, want) in [
            ("这是我第三次打电话了，路灯还是不亮", c, hit),
            ("我都反映了好几次了", c, hit),
            ("我又打电话来了，还是没人修", c, hit),
            ("上次反映的路灯还没修", c, hit),
            // GovInsight case-003's words; with 再次来电 in content (its
            // ticket) the repeat is recorded, the count is not required.
            ("我都投诉三次了！三次了！", c, hit),
            ("我之前打过你们电话", c, hit),
            // Must not: recorded, or no repeat said.
            (
                "这是我第三次打电话了",
                "来电人第三次来电反映路灯不亮。",
                None,
            ),
            ("我都反映了好几次了", "来电人再次反映路灯不亮。", None),
            (
                "上次反映的路灯还没修",
                "来电人曾于11月20日来电反映，至今未修。",
                None,
            ),
            ("上次反映的路灯还没修", "此前已反映，路灯仍不亮。", None),
            (
                "我都投诉三次了！三次了！",
                "市民再次来电反映城南化工园区有异味，要求再次核查。",
                None,
            ),
            ("楼道又脏又乱", c, None),
            ("好几次我都差点没看见路", c, None),
            ("第一次打你们电话", c, None),
        ] {
            assert_eq!(repeat(caller, content), want, "{caller} / {content}");
        }
    }

    #[test]
    fn a_linked_earlier_ticket_makes_a_repeat_too() {
        let cfg = TicketConfig::default();
        let mut t = ticket("一般诉求", "工单转办");
        t.prior = Some(PriorContact {
            ticket_id: "GD20261101000007".into(),
            call_id: Some("c0".into()),
            accepted_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 1)
                .and_then(|d| d.and_hms_opt(9, 0, 0)),
            closed_before: true,
        });
        let c = said("小区路灯不亮", "好的");
        let f = repeat_omitted(&c, &t, &cfg);
        let Some(f) = f else {
            panic!("a finding");
        };
        assert!(
            f.excerpt.contains("此前工单 GD20261101000007，2026-11-01"),
            "{}",
            f.excerpt
        );
        assert_eq!(f.utterance_index, None);
        // With the caller's words, those are the evidence and the earlier ticket is named.
        let f = repeat_omitted(&said("上次反映过，还是不亮", "好的"), &t, &cfg);
        assert!(f.is_some_and(|f| f.utterance_index == Some(1)
            && f.excerpt.contains("【上次反映】")
            && f.excerpt.contains("GD20261101000007")));
        // Content that says so: none.
        t.content = "来电人再次反映小区路灯不亮，请求处理。".into();
        assert_eq!(repeat_omitted(&c, &t, &cfg), None);
        // A praise ticket is no repeat.
        let mut p = ticket("表扬", "直接办理");
        p.prior = t.prior.clone();
        assert_eq!(
            repeat_omitted(&said("上次反映的问题很快就解决了", "好的"), &p, &cfg),
            None
        );
    }

    #[test]
    fn risk_talk_must_be_escalated_and_recorded() {
        let cfg = ProcessConfig::default();
        let risk = |caller: &str, agent: &str, hot: bool, urgency: &str, content: &str| {
            let mut t = ticket("一般诉求", "工单转办");
            t.hot_issue = hot;
            t.urgency = Urgency::parse(urgency);
            t.content = content.into();
            risk_not_escalated(&said(caller, agent), &t, &cfg)
                .into_iter()
                .map(|f| (f.rule, f.severity))
                .collect::<Vec<_>>()
        };
        let crit = vec![("process.risk_not_escalated", Severity::Critical)];
        let deduct = vec![("process.risk_not_escalated", Severity::Deduct)];
        let c = "来电人反映拖欠工资，请求处理。";
        for (caller, agent, hot, urgency, content, want) in [
            (
                "再不解决我就跳楼",
                "您别激动",
                false,
                "普通",
                c,
                crit.clone(),
            ),
            ("我真的不想活了", "您别激动", true, "普通", c, crit.clone()),
            (
                "我真的不想活了",
                "您别激动",
                false,
                "普通",
                "来电人情绪激动，称不想活了。",
                crit.clone(),
            ),
            ("我们明天去拉横幅", "好的", false, "普通", c, deduct.clone()),
            ("我要找媒体曝光", "好的", false, "急办", c, deduct.clone()),
            ("再不修我就去上访", "好的", false, "普通", c, deduct.clone()),
            // Must not: escalated and recorded, negated, or the agent's words.
            (
                "再不解决我就跳楼",
                "您别激动",
                true,
                "普通",
                "来电人称要跳楼，情绪激动。",
                vec![],
            ),
            (
                "我真的不想活了",
                "您别激动",
                false,
                "急办",
                "来电人有轻生言论。",
                vec![],
            ),
            (
                "我们明天去拉横幅",
                "好的",
                true,
                "普通",
                "来电人称将集体拉横幅。",
                vec![],
            ),
            ("我也不想闹大，就想解决", "好的", false, "普通", c, vec![]),
            ("我不会去上访的", "好的", false, "普通", c, vec![]),
            (
                "我想问问工资的事",
                "您不要去上访，我们帮您反映",
                false,
                "普通",
                c,
                vec![],
            ),
            ("商场跳楼价", "好的", false, "普通", c, vec![]),
        ] {
            assert_eq!(risk(caller, agent, hot, urgency, content), want, "{caller}");
        }
        // Both kinds: one finding each.
        assert_eq!(
            risk("不解决我就跳楼，还要拉横幅", "好的", false, "普通", c).len(),
            2
        );
    }

    #[test]
    fn a_complaint_handled_on_the_call_is_caught() {
        let cfg = ProcessConfig::default();
        let dispatched = |sub: &str, handling: &str| {
            let mut t = ticket("投诉举报", handling);
            t.subcategory = sub.into();
            rule_of(complaint_not_dispatched(
                &said("我要投诉他们物业", "好的"),
                &t,
                &cfg,
            ))
        };
        let hit = Some("process.complaint_not_dispatched");
        assert_eq!(dispatched("物业管理", "直接办理"), hit);
        assert_eq!(dispatched("", "直接办理"), hit);
        // Must not: dispatched, or a matter that must not be dispatched.
        assert_eq!(dispatched("物业管理", "工单转办"), None);
        assert_eq!(dispatched("物业管理", "电话交办"), None);
        assert_eq!(dispatched("违法乱纪", "直接办理"), None);
        assert_eq!(dispatched("涉法涉诉", "直接办理"), None);
        let mut t = ticket("咨询", "直接办理");
        t.subcategory = "物业管理".into();
        assert_eq!(
            complaint_not_dispatched(&said("我要投诉", "好的"), &t, &cfg),
            None
        );
        // No caller speech: not assessed.
        let t = ticket("投诉举报", "直接办理");
        assert_eq!(complaint_not_dispatched(&call(&[GREETING]), &t, &cfg), None);
    }

    #[test]
    fn the_rules_belong_to_norms_ten_and_seven_and_need_a_ticket() {
        let c = said("我要投诉他们物业，我姓王，再不管我就跳楼", "好的");
        let mut t = ticket("咨询", "直接办理");
        t.content = "来电人咨询物业管理相关问题。".into();
        let ticket_rules = rules(NormId::Ticket, &c, Some(&t)).unwrap_or_default();
        assert!(
            ticket_rules.contains(&"ticket.category_mismatch"),
            "{ticket_rules:?}"
        );
        assert!(
            ticket_rules.contains(&"ticket.name_mismatch"),
            "{ticket_rules:?}"
        );
        let process = rules(NormId::Process, &c, Some(&t)).unwrap_or_default();
        assert_eq!(process, vec!["process.risk_not_escalated"]);
        assert_eq!(rules(NormId::Ticket, &c, None), None);
        assert_eq!(rules(NormId::Process, &c, None), None);
        // The switch turns them off.
        let cfg = TicketConfig {
            against_call: false,
            ..TicketConfig::default()
        };
        assert!(super::ticket_rules(&Said::cleaning(&c), &t, &cfg).is_empty());
    }

    #[test]
    fn every_rule_is_registered_and_word_based() {
        for id in [
            "ticket.category_mismatch",
            "ticket.name_mismatch",
            "ticket.phone_mismatch",
            "ticket.place_missing",
            "ticket.harm_omitted",
            "ticket.repeat_omitted",
            "process.risk_not_escalated",
            "process.complaint_not_dispatched",
        ] {
            assert!(crate::norms::RULES.iter().any(|(r, _)| *r == id), "{id}");
            let word = id != "process.complaint_not_dispatched";
            assert_eq!(crate::norms::WORD_RULES.contains(&id), word, "{id}");
        }
    }
}
