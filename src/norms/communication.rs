//! Norm 8, 沟通技巧: the agent must not interrupt the caller — start
//! speaking at least `interrupt_overlap_s` (1 s) before the caller's
//! utterance ends — `interruptions` (2) times or more; and in a call where
//! the caller speaks `min_caller_utterances` (4) times or more, the agent
//! must ask at least one question (lexicon `questions`; the greeting's own
//! 请问…？ does not count).

use crate::config::{CommunicationConfig, GreetingConfig};
use crate::lexicon::LexiconKind;
use crate::model::{Finding, NormId, Speaker};
use crate::norms::greeting::{phrase_chars, Greeting};
use crate::norms::{CallView, Norm, Outcome};
use crate::text::{substring_distance, NormText};

pub(crate) struct Communication {
    overlap: f64,
    interruptions: usize,
    min_caller: usize,
    greeting: Vec<char>,
}

impl Communication {
    pub(crate) fn new(cfg: &CommunicationConfig, greeting: &GreetingConfig) -> Communication {
        Communication {
            overlap: cfg.interrupt_overlap_s,
            interruptions: cfg.interruptions.max(1),
            min_caller: cfg.min_caller_utterances,
            greeting: phrase_chars(&NormText::new(&greeting.text).clean),
        }
    }

    /// The byte offset from which an agent utterance may hold questions:
    /// past the greeting for utterances of the opening turn.
    fn question_start(&self, view: &CallView<'_>, i: usize, in_opening: bool) -> Option<usize> {
        if !in_opening {
            return Some(0);
        }
        let chars = phrase_chars(view.texts.get(i).clean);
        // An utterance that is just a piece of the greeting (ASR split it).
        if !chars.is_empty() && substring_distance(&chars, &self.greeting).0 <= chars.len() / 4 {
            return None;
        }
        Some(Greeting::greeting_end(&self.greeting, view, i).unwrap_or(0))
    }
}

impl Norm for Communication {
    fn id(&self) -> NormId {
        NormId::Communication
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        if view.agent.is_empty() {
            return Outcome::NotAssessed;
        }
        let utts = &view.call.utterances;
        let mut findings = Vec::new();
        let mut cuts = Vec::new();
        // Utterances are sorted by start and agent starts only grow, so one
        // pointer walks the callers that started before each agent
        // utterance, keeping the one that ends last: linear, whatever the
        // call's length.
        let mut p = 0;
        let mut longest: Option<usize> = None;
        for &a in &view.agent {
            let s = utts[a].start;
            while p < utts.len() && utts[p].start < s {
                if utts[p].speaker == Speaker::Caller
                    && longest.is_none_or(|l| utts[p].end > utts[l].end)
                {
                    longest = Some(p);
                }
                p += 1;
            }
            let cut = longest
                .map(|l| &utts[l])
                .filter(|c| s <= c.end - self.overlap + 1e-9);
            if let Some(c) = cut {
                let note = format!("来电人还没说完（还剩 {:.1} 秒）就开口", c.end - s);
                cuts.push(view.finding_quoting(
                    NormId::Communication,
                    "communication.interruptions",
                    a,
                    &note,
                ));
            }
        }
        if cuts.len() >= self.interruptions {
            findings.extend(cuts);
        }
        let caller_count = utts.iter().filter(|u| u.speaker == Speaker::Caller).count();
        if caller_count >= self.min_caller && self.min_caller > 0 {
            let first = view.agent[0];
            let mut opening = true;
            let mut asked = false;
            for (i, u) in utts.iter().enumerate().skip(first) {
                if u.speaker != Speaker::Agent {
                    opening = false;
                    continue;
                }
                let Some(from) = self.question_start(view, i, opening) else {
                    continue;
                };
                if view
                    .find(LexiconKind::Questions, i)
                    .iter()
                    .any(|h| h.start >= from)
                {
                    asked = true;
                    break;
                }
            }
            if !asked {
                findings.push(Finding::new(
                    NormId::Communication,
                    "communication.no_question",
                    format!("来电人说了 {caller_count} 句，话务员没有提任何问题"),
                ));
            }
        }
        Outcome::Assessed(findings)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::NormId;
    use crate::norms::testkit::*;

    #[test]
    fn two_interruptions_are_caught_one_is_not() {
        let rows = [
            GREETING,
            ('c', 5.0, 10.0, "我家楼下的餐馆每天晚上都很吵"),
            ('a', 8.0, 9.5, "请问是哪个小区"),
            ('c', 10.0, 15.0, "就是幸福小区那边，一直到凌晨"),
            ('a', 13.5, 16.0, "好的我知道了"),
        ];
        assert_eq!(
            rules(NormId::Communication, &call(&rows), None),
            Some(vec!["communication.interruptions"; 2])
        );
        assert_eq!(
            rules(NormId::Communication, &call(&rows[..4]), None),
            Some(vec![])
        );
    }

    #[test]
    fn short_overlap_and_backchannel_after_the_end_are_not_interruptions() {
        let rows = [
            GREETING,
            ('c', 5.0, 10.0, "我家楼下的餐馆每天晚上都很吵"),
            ('a', 9.5, 11.0, "请问是哪个小区"),
            ('c', 11.5, 15.0, "就是幸福小区那边"),
            ('a', 14.2, 16.0, "好的我知道了"),
        ];
        // 0.5 s and 0.8 s before the end: under 1 s.
        assert_eq!(
            rules(NormId::Communication, &call(&rows), None),
            Some(vec![])
        );
    }

    #[test]
    fn caller_interrupting_the_agent_is_not_the_agents_fault() {
        let rows = [
            GREETING,
            (
                'a',
                5.0,
                10.0,
                "您反映的问题我们会转给相关部门处理请问还有别的吗",
            ),
            ('c', 6.0, 9.0, "那要多久"),
            ('c', 9.5, 10.0, "快点"),
        ];
        assert_eq!(
            rules(NormId::Communication, &call(&rows), None),
            Some(vec![])
        );
    }

    fn chat(agent: &[&str]) -> Option<Vec<&'static str>> {
        let mut rows = vec![GREETING];
        for k in 0..4 {
            let s = 5.0 + k as f64 * 10.0;
            rows.push(('c', s, s + 4.0, "嗯，就是那个事情"));
            if let Some(t) = agent.get(k) {
                rows.push(('a', s + 4.5, s + 9.0, t));
            }
        }
        rules(NormId::Communication, &call(&rows), None)
    }

    #[test]
    fn no_question_in_a_long_call() {
        assert_eq!(
            chat(&[
                "好的",
                "我记下了",
                "我们会转给相关部门",
                "感谢您的来电，再见"
            ]),
            Some(vec!["communication.no_question"])
        );
        assert_eq!(
            chat(&["好的", "请问您在哪个小区", "我们会转给相关部门"]),
            Some(vec![])
        );
        assert_eq!(
            chat(&["好的", "是在幸福小区吗", "我们会转给相关部门"]),
            Some(vec![])
        );
        assert_eq!(
            chat(&["好的", "您住几楼", "我们会转给相关部门"]),
            Some(vec![])
        );
        assert_eq!(
            chat(&["好的", "是什么时候开始的", "我们会转给相关部门"]),
            Some(vec![])
        );
        assert_eq!(
            chat(&["好的", "您说的是什么问题", "我们会转给相关部门"]),
            Some(vec![])
        );
    }

    #[test]
    fn a_rhetorical_what_is_not_a_question() {
        // Blame phrases (lexicon blame) with 什么 ask nothing; taboo
        // deducts them, and they must not count as the question.
        for blame in [
            "我有什么办法",
            "你急什么",
            "你嚷什么",
            "你吵什么",
            "冲我发什么火",
            "早干什么去了",
            "你到底想干什么",
        ] {
            assert_eq!(
                chat(&["好的", blame, "我们会转给相关部门"]),
                Some(vec!["communication.no_question"]),
                "{blame}"
            );
        }
        // With a question mark it is a question as written.
        assert_eq!(
            chat(&["好的", "这事我有什么办法呢？", "我们会转给相关部门"]),
            Some(vec![])
        );
    }

    #[test]
    fn the_greetings_own_question_does_not_count() {
        let mut rows = vec![('a', 0.5, 4.5, "您好！市长热线，请问有什么可以帮到您？")];
        for k in 0..4 {
            let s = 5.0 + k as f64 * 5.0;
            rows.push(('c', s, s + 4.0, "嗯，就是那个事情"));
        }
        assert_eq!(
            rules(NormId::Communication, &call(&rows), None),
            Some(vec!["communication.no_question"])
        );
        // Split by the ASR into two utterances: still the greeting.
        rows[0] = ('a', 0.5, 1.5, "您好！");
        rows.insert(1, ('a', 1.6, 4.5, "市长热线，请问有什么可以帮到您？"));
        assert_eq!(
            rules(NormId::Communication, &call(&rows), None),
            Some(vec!["communication.no_question"])
        );
    }

    #[test]
    fn a_question_after_the_greeting_in_the_same_utterance_counts() {
        let mut rows = vec![(
            'a',
            0.5,
            6.5,
            "您好！市长热线，请问有什么可以帮到您？是上次那个事情吗？",
        )];
        for k in 0..4 {
            let s = 7.0 + k as f64 * 5.0;
            rows.push(('c', s, s + 4.0, "嗯，就是那个事情"));
        }
        assert_eq!(
            rules(NormId::Communication, &call(&rows), None),
            Some(vec![])
        );
    }

    #[test]
    fn few_caller_utterances_need_no_question() {
        assert_eq!(chat(&["好的"]).map(|_| ()), Some(()));
        let rows = [
            GREETING,
            ('c', 5.0, 9.0, "我要表扬你们"),
            ('a', 9.5, 12.0, "感谢您的认可"),
        ];
        assert_eq!(
            rules(NormId::Communication, &call(&rows), None),
            Some(vec![])
        );
    }
}
