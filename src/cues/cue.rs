//! The word cues of spec §2.1 in the caller's words: harm or danger to
//! people (`ticket.harm_omitted`), a matter reported before
//! (`ticket.repeat_omitted`), self-harm and collective or public action
//! (`process.risk_not_escalated`), and a purpose that fixes the category
//! (`ticket.category_mismatch`: 投诉 / 举报 → 投诉举报, 表扬 → 表扬).
//!
//! Each is a lexicon file under `lexicons/` (literals, `re:` patterns and
//! `!` exclusion contexts, as every lexicon of the project), and a hit is
//! dropped when it is negated: a negator (没有, 没, 不, 未, 别, 无:
//! `lexicons/negators.txt`) at most [`super::NEGATION_GAP`] chars before
//! it in the same clause (没有人受伤, 没受伤, 不想闹大, 不是投诉, 先不投诉),
//! unless the negator starts a word that negates nothing (不小心摔伤了).
//! A question about how to complain (怎么投诉, 去哪投诉, 投诉电话是多少) is
//! an exclusion context of `complaint.txt`. Whose words count (the
//! caller's, not the agent's 上访) is the rules' business.

use std::sync::OnceLock;

use super::{builtin, find_asserted, find_asserted_clean, Span};
use crate::lexicon::Lexicon;
use crate::text::CleanText;

pub(super) const HARM: &str = include_str!("../../lexicons/harm.txt");
pub(super) const REPEAT: &str = include_str!("../../lexicons/repeat_reports.txt");
pub(super) const SELF_HARM: &str = include_str!("../../lexicons/self_harm.txt");
pub(super) const COLLECTIVE: &str = include_str!("../../lexicons/collective_action.txt");
pub(super) const COMPLAINT: &str = include_str!("../../lexicons/complaint.txt");
pub(super) const PRAISE: &str = include_str!("../../lexicons/praise.txt");
pub(super) const REPEAT_RECORDED: &str = include_str!("../../lexicons/repeat_recorded.txt");

/// What a cue is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CueKind {
    /// Harm or danger to people (受伤, 起火, 差点摔倒).
    Harm,
    /// The matter was reported before (第三次, 又打, 之前反映过).
    Repeat,
    /// Self-harm (不想活了, 跳楼): the `critical` case.
    SelfHarm,
    /// Collective or public action (拉横幅, 上访, 找媒体, 闹大).
    Collective,
    /// The caller complains or reports (我要投诉, 我举报): 投诉举报.
    Complaint,
    /// The caller praises (我要表扬): 表扬.
    Praise,
}

impl CueKind {
    /// Every kind, in the order [`cues`] reports them at one place.
    pub const ALL: [CueKind; 6] = [
        CueKind::Harm,
        CueKind::Repeat,
        CueKind::SelfHarm,
        CueKind::Collective,
        CueKind::Complaint,
        CueKind::Praise,
    ];

    /// The lexicon file's name under `lexicons/`.
    pub fn file(self) -> &'static str {
        match self {
            CueKind::Harm => "harm.txt",
            CueKind::Repeat => "repeat_reports.txt",
            CueKind::SelfHarm => "self_harm.txt",
            CueKind::Collective => "collective_action.txt",
            CueKind::Complaint => "complaint.txt",
            CueKind::Praise => "praise.txt",
        }
    }

    fn text(self) -> &'static str {
        match self {
            CueKind::Harm => HARM,
            CueKind::Repeat => REPEAT,
            CueKind::SelfHarm => SELF_HARM,
            CueKind::Collective => COLLECTIVE,
            CueKind::Complaint => COMPLAINT,
            CueKind::Praise => PRAISE,
        }
    }

    fn lexicon(self) -> Option<&'static Lexicon> {
        static CELLS: [OnceLock<Option<Lexicon>>; 6] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        builtin(&CELLS[self as usize], self.text(), self.file())
    }
}

/// A cue found in an utterance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cue {
    /// What it is about.
    pub kind: CueKind,
    /// The lexicon entry that matched (受伤, or a `re:` pattern).
    pub entry: &'static str,
    /// Where it stands in the original text.
    pub span: Span,
}

/// The cues of `kind` in `text`, not negated, in text order.
pub fn find(kind: CueKind, text: &str) -> Vec<Cue> {
    as_cues(kind, find_asserted(kind.lexicon(), text))
}

/// As [`find`], with `text`'s clean form already made (`clean` must be
/// the clean form of `text`, as [`crate::text::CleanTexts`] holds it).
pub fn find_clean(kind: CueKind, text: &str, clean: CleanText<'_>) -> Vec<Cue> {
    as_cues(kind, find_asserted_clean(kind.lexicon(), text, clean))
}

fn as_cues(kind: CueKind, hits: Vec<crate::lexicon::Hit<'static>>) -> Vec<Cue> {
    hits.into_iter()
        .map(|h| Cue {
            kind,
            entry: h.entry,
            span: Span {
                start: h.start,
                end: h.end,
            },
        })
        .collect()
}

/// Whether a ticket's content says the matter was reported before: one of
/// `words` (the scorecard's `repeat_words`: 再次, 多次, 重复, 此前 …) or a
/// pattern of `lexicons/repeat_recorded.txt` (第N次, 曾…反映). Negation is
/// not looked at: content that speaks of an earlier report at all has
/// recorded it, and the rule must not fire on a ticket that did.
pub fn repeat_recorded(content: &str, words: &[String]) -> bool {
    static CELL: OnceLock<Option<Lexicon>> = OnceLock::new();
    let content_nows: String = content.chars().filter(|c| !c.is_whitespace()).collect();
    words
        .iter()
        .any(|w| !w.trim().is_empty() && content_nows.contains(w.trim()))
        || !super::find(
            builtin(&CELL, REPEAT_RECORDED, "repeat_recorded.txt"),
            content,
        )
        .is_empty()
}

/// The cues of every kind in `text`, in text order.
pub fn cues(text: &str) -> Vec<Cue> {
    let mut out: Vec<Cue> = CueKind::ALL.iter().flat_map(|&k| find(k, text)).collect();
    out.sort_by_key(|c| (c.span, c.kind));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(kind: CueKind, text: &str) -> Vec<String> {
        find(kind, text)
            .into_iter()
            .map(|c| c.span.of(text).to_string())
            .collect()
    }

    /// Each row: the kind, a text, and the marked cue ("" for none).
    fn check(rows: &[(CueKind, &str, &str)]) {
        for &(kind, text, want) in rows {
            let got = hits(kind, text);
            if want.is_empty() {
                assert_eq!(got, Vec::<String>::new(), "{kind:?} {text}");
            } else {
                assert!(got.iter().any(|g| g == want), "{kind:?} {text}: {got:?}");
            }
        }
    }

    #[test]
    fn harm_is_read_unless_negated() {
        use CueKind::Harm;
        check(&[
            (Harm, "我家孩子受伤了", "受伤"),
            (Harm, "老人摔伤了腿", "摔伤"),
            (Harm, "骨折了，现在住院", "骨折"),
            (Harm, "楼里起火了", "起火"),
            (Harm, "煤气漏气了", "漏气"),
            (Harm, "有人触电", "触电"),
            (Harm, "墙塌了", "塌"),
            (Harm, "花盆砸到人了", "砸到"),
            (Harm, "孩子差点摔下去", "差点摔"),
            (Harm, "差一点被车撞了", "差一点被车撞"),
            // GovInsight case-002: a near fall of a blind pedestrian.
            (Harm, "刚才我看见个盲人差点绊倒，太危险了", "差点绊"),
            (Harm, "老人在台阶上跌倒了", "跌倒"),
            (Harm, "不小心摔伤了", "摔伤"),
            (Harm, "没想到孩子受伤了", "受伤"),
            // Must not.
            (Harm, "还好没有人受伤", ""),
            (Harm, "没受伤，就是吓到了", ""),
            (Harm, "没有任何人受伤", ""),
            // Denied after the cue, the clause ending there.
            (Harm, "受伤倒是没有，就是那个坑太大了", ""),
            (Harm, "受伤是没有的", ""),
            (Harm, "孩子受伤没有人管", "受伤"),
            (Harm, "去住院部办手续", ""),
            (Harm, "车胎漏气了", ""),
            (Harm, "差点忘了说，路灯坏了", ""),
            (Harm, "差点就放弃了，还好找到了", ""),
            (Harm, "差点没赶上电梯", ""),
            (Harm, "差点忘了充电", ""),
            (Harm, "孩子差点被电到", "差点被电"),
            (Harm, "路灯坏了", ""),
            (Harm, "堵得一塌糊涂", ""),
            (Harm, "离那边两三公里，没看到有人受伤", ""),
            (Harm, "没发现有人受伤", ""),
            (Harm, "房子塌了", "塌"),
            // More ways of saying someone was hurt or in danger.
            (Harm, "我妈过马路被车撞了", "被车撞"),
            (Harm, "孩子从楼梯上摔下来了", "摔下来"),
            (Harm, "他受了伤还没人管", "受了伤"),
            (Harm, "楼里发生火灾", "火灾"),
            (Harm, "老人在电梯里晕过去了", "晕过去"),
            (Harm, "赶紧叫了救护车", "叫了救护车"),
            (Harm, "消防通道堵了，救护车都进不来", ""),
            // A smell is a suspicion the ticket words its own way (燃气气味): no cue.
            (Harm, "一股煤气味", ""),
            (Harm, "险些把人撞了", "险些把人撞"),
            (Harm, "有人溺水了", "溺水"),
            (Harm, "孩子被开水烫着了", "烫着了"),
            (Harm, "小心别摔着了", ""),
            // Must not: a denial through 造成, a hazard named, a thing hurt.
            (Harm, "还好没有造成人员伤亡", ""),
            (Harm, "未造成人员受伤", ""),
            (Harm, "消防通道堵了，有火灾隐患", ""),
            (Harm, "护栏被撞坏了", ""),
        ]);
    }

    #[test]
    fn a_report_made_before_is_read() {
        use CueKind::Repeat;
        check(&[
            (Repeat, "这是我第三次打电话了", "第三次打"),
            (Repeat, "第2次反映", "第2次反映"),
            (Repeat, "我反映了好几次", "反映了好几次"),
            (Repeat, "多次反映都没人管", "多次反映"),
            (Repeat, "打了好几次电话", "打了好几次"),
            (Repeat, "我又打电话来了", "又打电话"),
            (Repeat, "又来反映这个事", "又来反映"),
            (Repeat, "上次反映的还没解决", "上次反映"),
            (Repeat, "我之前打过你们电话", "之前打过"),
            (Repeat, "我打来不止一次了", "打来不止一次"),
            // GovInsight case-003: the count right after the verb.
            (Repeat, "我都投诉三次了！三次了！", "投诉三次"),
            (Repeat, "反映过两次都没人管", "反映过两次"),
            (Repeat, "打了三次电话都没人接", "打了三次电话"),
            (Repeat, "我上个月就打过电话", "上个月就打过"),
            (Repeat, "去年就反映过这个事", "去年就反映过"),
            (Repeat, "我都打了三次了", "打了三次了"),
            (Repeat, "这是第二回打了", "第二回打"),
            (Repeat, "我再次反映一下", "再次反映"),
            (Repeat, "找了你们好几次", "找了你们好几次"),
            (Repeat, "打了好几遍都没用", "打了好几遍"),
            (Repeat, "这个事我反映过了，没人管", "我反映过"),
            (Repeat, "我们早就投诉过", "我们早就投诉过"),
            (Repeat, "我这不是第一次打了", "不是第一次打"),
            (Repeat, "我没反映过", ""),
            (Repeat, "我打过电话问社区", ""),
            (Repeat, "这种事不是第一次了", ""),
            // Must not.
            (Repeat, "上个月打过电话给物业", ""),
            (Repeat, "我之前没打过", ""),
            (Repeat, "楼道又脏又乱", ""),
            (Repeat, "他又打了人", ""),
            (Repeat, "我之前没反映过", ""),
            (Repeat, "第一次打", ""),
            (Repeat, "好几次我都没赶上", ""),
            (Repeat, "他打了我好几次", ""),
            (Repeat, "已经打过疫苗了", ""),
            (Repeat, "我之前打过官司", ""),
            (Repeat, "一天停了好几次水", ""),
            (Repeat, "他打了我三次", ""),
            (Repeat, "孩子一天要打三次针", ""),
            (Repeat, "一天停三次水", ""),
        ]);
    }

    #[test]
    fn self_harm_and_collective_action_are_read_unless_negated() {
        use CueKind::{Collective, SelfHarm};
        check(&[
            (SelfHarm, "我真的不想活了", "不想活了"),
            (SelfHarm, "再不解决我就跳楼", "跳楼"),
            (SelfHarm, "我要跟他同归于尽", "同归于尽"),
            (SelfHarm, "逼得我想喝药", "喝药"),
            (SelfHarm, "活不下去了", "活不下去"),
            (SelfHarm, "商场跳楼价", ""),
            (SelfHarm, "我妈要按时喝药", ""),
            (SelfHarm, "我没想过自杀", ""),
            (Collective, "我们要去拉横幅", "拉横幅"),
            (Collective, "我们集体上访", "集体上访"),
            (Collective, "我就去上访", "上访"),
            (Collective, "我要找媒体曝光", "找媒体"),
            (Collective, "发到网上让大家看看", "发到网上"),
            (Collective, "我就把事情闹大", "闹大"),
            (Collective, "明天去堵门", "堵门"),
            (Collective, "我也不想闹大", ""),
            (Collective, "再不修我就去上访", "上访"),
            (SelfHarm, "你们不管我就跳楼", "跳楼"),
            (Collective, "我不会去上访的", ""),
            (Collective, "他的车堵门口了", ""),
            (SelfHarm, "我也不活了", "不活了"),
            (SelfHarm, "她说要寻短见", "寻短见"),
            (Collective, "我们准备打横幅", "打横幅"),
            (Collective, "明天就去市政府门口", "去市政府门口"),
            (Collective, "我就闹到市里去", "闹到市里"),
            (Collective, "我就发到抖音上", "发到抖音"),
            (SelfHarm, "大不了一死", "大不了一死"),
            // Must not: noise until midnight, or the agent's words (the
            // rule's business, not the reader's).
            (Collective, "装修闹到半夜", ""),
            (Collective, "政府门口的路灯坏了", ""),
            (Collective, "就在市政府门口那个路口", ""),
            (SelfHarm, "吵得我天天吃安眠药", ""),
        ]);
    }

    #[test]
    fn a_purpose_that_fixes_the_category_is_read() {
        use CueKind::{Complaint, Praise};
        check(&[
            (Complaint, "我要投诉你们物业", "我要投诉"),
            (Complaint, "我举报他们违规施工", "我举报"),
            (Complaint, "我想投诉一下", "我想投诉"),
            (Complaint, "想举报一个餐馆", "想举报"),
            (Complaint, "这个事我投诉一下", "我投诉"),
            (Complaint, "我来就是举报的，有人电鱼", "就是举报的"),
            (Complaint, "我是来举报的", "来举报"),
            (Complaint, "我们举报他们偷排污水", "我们举报"),
            (Complaint, "我就是投诉的", "就是投诉的"),
            (Complaint, "对，投诉。", "对，投诉。"),
            (Complaint, "投诉！", "投诉！"),
            (Complaint, "这个必须投诉", "必须投诉"),
            (Complaint, "我要实名投诉", "实名投诉"),
            (Praise, "我是专门来表扬的", "来表扬"),
            (Praise, "我打电话就是为了表扬他们", "为了表扬"),
            // Must not: negated, or a question about how to complain.
            (Complaint, "这就是投诉电话吗", ""),
            (Complaint, "我们不举报", ""),
            (Complaint, "我上次投诉的事", ""),
            (Complaint, "投诉电话多少？", ""),
            (Complaint, "我这不是投诉", ""),
            (Complaint, "我不想投诉", ""),
            (Complaint, "先不投诉了", ""),
            (Complaint, "我不是要投诉", ""),
            (Complaint, "请问怎么投诉", ""),
            (Complaint, "去哪投诉啊", ""),
            (Complaint, "投诉电话是多少", ""),
            (Complaint, "我要投诉的话电话是多少", "我要投诉"),
            (Complaint, "我要投诉你们物业", "我要投诉"),
            // Said to the agent on the line, not the call's purpose.
            (Complaint, "我要投诉你！", ""),
            (Complaint, "我就投诉你", ""),
            (Praise, "我要表扬你们的师傅", "我要表扬"),
            (Praise, "想表扬一下", "想表扬"),
            (Praise, "不是表扬", ""),
            (Praise, "怎么表扬他", ""),
        ]);
    }

    #[test]
    fn content_that_records_a_repeat_is_read() {
        let words: Vec<String> = crate::config::TicketConfig::default().repeat_words;
        for (content, want) in [
            ("来电人再次反映小区停水", true),
            ("该问题已多次反映", true),
            ("来电人第三次来电反映", true),
            ("来电人第2次反映", true),
            ("来电人曾于11月20日来电反映", true),
            ("来电人曾向热线反映过此事", true),
            ("重复来电，路灯仍未修好", true),
            ("此前已反映，至今未处理", true),
            ("来电人已经反映过两次", true),
            ("二次来电，问题仍未解决", true),
            ("来电人数次反映无果", true),
            ("来电人再度来电", true),
            // Must not.
            ("来电人反映小区停水，要求处理", false),
            ("来电人反映楼道又脏又乱", false),
            ("曾先生反映路灯坏了", false),
            ("第一次来电", false),
            ("一次来电解决", false),
        ] {
            assert_eq!(repeat_recorded(content, &words), want, "{content}");
        }
    }

    #[test]
    fn cues_of_every_kind_come_in_text_order() {
        let text = "第三次打了，孩子受伤了，我要投诉";
        let kinds: Vec<CueKind> = cues(text).into_iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [CueKind::Repeat, CueKind::Harm, CueKind::Complaint]);
    }
}
