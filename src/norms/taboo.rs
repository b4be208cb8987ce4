//! Norm 11, 通话禁忌: the agent must not use a forbidden phrase (lexicon
//! `forbidden`: 喂 as an interjection, 哦, 我不知道, 这是规定我没办法,
//! 你自己去…问吧, 说完了没有), nor blame, scold or mock the caller (lexicon
//! `blame`). Insulting the caller (lexicon `insults`) is a red line: the
//! call's total is 0. Only the agent's words count.
//!
//! Mocking (讽刺挖苦) includes the rhetorical questions put to a caller who
//! cannot do something (您不会自己上网查吗？ 这都不会？ 你是不是听不懂 难道您不知道),
//! while sincere questions (您会不会用微信？ 您不会介意吧 不会的) are not. The
//! process document lists 讽刺挖苦 with 埋怨责怪 in 通话禁忌 (2), apart from
//! the words that hurt the caller's dignity, and §2 rule 11 makes only
//! insults a red line: mockery is `taboo.blame`, a deduction.

use crate::config::TabooConfig;
use crate::lexicon::LexiconKind;
use crate::model::NormId;
use crate::norms::{CallView, Norm, Outcome};

pub(crate) struct Taboo {
    red_line: bool,
}

impl Taboo {
    pub(crate) fn new(cfg: &TabooConfig) -> Taboo {
        Taboo {
            red_line: cfg.insult_is_red_line,
        }
    }
}

impl Norm for Taboo {
    fn id(&self) -> NormId {
        NormId::Taboo
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        if view.agent.is_empty() {
            return Outcome::NotAssessed;
        }
        let lists = [
            (LexiconKind::Forbidden, "taboo.forbidden_phrase"),
            (LexiconKind::Blame, "taboo.blame"),
            (LexiconKind::Insults, "taboo.insult"),
        ];
        let mut findings = Vec::new();
        for &i in &view.agent {
            for (kind, rule) in lists {
                for h in view.find(kind, i) {
                    let mut f = view.finding_at(NormId::Taboo, rule, i, h.start, h.end);
                    if kind == LexiconKind::Insults && self.red_line {
                        f = f.red_line();
                    }
                    findings.push(f);
                }
            }
        }
        Outcome::Assessed(findings)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{NormId, Severity};
    use crate::norms::testkit::*;

    fn verdict(agent: &str) -> Vec<&'static str> {
        let c = call(&[
            GREETING,
            ('c', 5.0, 8.0, "喂？喂？我不知道该找谁，你说完了没有"),
            ('a', 8.5, 12.0, agent),
        ]);
        rules(NormId::Taboo, &c, None).expect("assessed")
    }

    #[test]
    fn forbidden_phrases_are_caught() {
        for t in [
            "喂，您还在吗？",
            "喂？",
            "喂您好，请讲",
            "喂喂，听得到吗",
            "哦，这个事情啊",
            "这个我不知道",
            "这是规定，我没办法",
            "你自己去交警队问吧",
            "你说完了没有",
        ] {
            assert_eq!(verdict(t).first(), Some(&"taboo.forbidden_phrase"), "{t}");
        }
    }

    #[test]
    fn feeding_is_not_hello() {
        for t in [
            "有人在小区投喂流浪猫是吧",
            "喂养宠物需要办证",
            "您说的是喂食野鸽子的问题",
            "孩子喂奶的时间",
            "每天都有人喂猫",
        ] {
            assert_eq!(verdict(t), Vec::<&str>::new(), "{t}");
        }
    }

    #[test]
    fn blame_and_mockery() {
        for t in [
            "刚才不是告诉你了吗",
            "这不关我的事",
            "你听不懂吗",
            "爱找谁找谁",
        ] {
            assert_eq!(verdict(t), vec!["taboo.blame"], "{t}");
        }
    }

    #[test]
    fn mocking_rhetorical_questions_are_caught() {
        for t in [
            "您不会自己上网查吗？",
            "您不会自己看吗",
            "你不会自己去问吗？",
            "您不会打12345问问吗？",
            "您不会用手机吗？",
            "你不会看通知吗",
            "您难道不会看吗",
            "你自己不会看一下吗",
            "这都不会？",
            "这个您都不会啊",
            "连这个都不知道",
            "这么简单都不懂",
            "这么简单的事都不会？",
            "这么简单的东西您都看不懂啊",
            "你是不是听不懂",
            "您是不是听不明白啊",
            "你到底懂不懂",
            "难道您不知道吗？",
            "您难道没看到通知吗",
            "你没长眼睛吗？",
            "你不识字吗",
            "这还用问吗",
            "三岁小孩都知道",
            "有那么难吗？",
            "想得美",
            "这有什么难的",
            "您是听不懂吗？",
            "你就不会自己看看吗？",
            "您自己不会上网查一下吗",
            "您连这个都不会吗？",
        ] {
            let v = verdict(t);
            assert!(!v.is_empty(), "{t}");
            assert!(v.iter().all(|r| *r == "taboo.blame"), "{t}: {v:?}");
        }
    }

    #[test]
    fn sincere_questions_are_not_mockery() {
        for t in [
            "您不会介意吧？",
            "您会不会用微信？",
            "您不会有事吧？",
            "不会的，您放心。",
            "您放心，不会收费的。",
            "您不会用的话，可以让家里人帮您操作吗？",
            "如果您不会操作，可以到窗口办理。",
            "您是不是听不清楚？我大点声。",
            "您是不是没听清？我再说一遍。",
            "难道是水管破了吗？",
            "这个政策比较复杂，很多人都不太清楚，我给您解释一下。",
            "您不会被罚款的。",
            "系统不会自动退款吗？我帮您查一下。",
            "您是第一次反映这个问题吗？",
            "您不会用什么方式联系他们？",
            "您不会是记错了吧？",
            "孩子们都知道这个活动吗？",
            "没有什么难的，我教您。",
            "这个没有那么难的，您放心。",
            "您有什么不会的可以问我。",
            "这个也不知道具体时间，施工方还没说。",
        ] {
            assert_eq!(verdict(t), Vec::<&str>::new(), "{t}");
        }
    }

    #[test]
    fn mockery_is_not_a_red_line() {
        let c = call(&[
            GREETING,
            ('c', 5.0, 8.0, "我不会上网，家里也没人会弄"),
            ('a', 8.5, 12.0, "您不会自己上网查吗？"),
        ]);
        let f = findings(NormId::Taboo, &c, None);
        assert!(!f.is_empty());
        assert!(f.iter().all(|f| f.severity != Severity::RedLine), "{f:?}");
    }

    #[test]
    fn insults_are_red_lines() {
        let c = call(&[
            GREETING,
            ('c', 5.0, 8.0, "你们怎么还不处理"),
            ('a', 8.5, 12.0, "你是不是神经病"),
        ]);
        let f = findings(NormId::Taboo, &c, None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, "taboo.insult");
        assert_eq!(f[0].severity, Severity::RedLine);
        assert_eq!(f[0].excerpt, "你是不是【神经病】");
    }

    #[test]
    fn callers_words_never_count() {
        assert_eq!(verdict("好的，请您说一下具体地址"), Vec::<&str>::new());
    }

    #[test]
    fn neurology_is_not_an_insult() {
        assert_eq!(verdict("您可以去市医院神经内科看看"), Vec::<&str>::new());
    }
}
