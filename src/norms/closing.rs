//! Norm 2, 报读结束语: one of the agent's last two utterances must hold one
//! of the three standard closings, judged like the greeting (punctuation
//! and ASR slips do not matter; 感谢/谢谢 and 再见 must be there).
//!
//! A standard closing passes whoever hung up. Only when there is none, the
//! caller hung up (`ended_by` = caller) and the caller spoke last is the
//! norm not assessed: the agent had no chance to close.

use crate::config::ClosingConfig;
use crate::model::{NormId, Speaker};
use crate::norms::greeting::phrase_chars;
use crate::norms::{CallView, Norm, Outcome};
use crate::text::{substring_distance, NormText};

pub(crate) struct Closing {
    closings: Vec<(Vec<char>, usize)>,
    /// The closings as strings, for the exact-match fast path.
    exact: Vec<String>,
    last: usize,
}

impl Closing {
    pub(crate) fn new(cfg: &ClosingConfig) -> Closing {
        let closings: Vec<(Vec<char>, usize)> = cfg
            .texts
            .iter()
            .map(|t| {
                let chars = phrase_chars(&NormText::new(t).clean);
                let allowed = (chars.len() as f64 * cfg.max_distance_ratio).floor() as usize;
                (chars, allowed)
            })
            .collect();
        let exact = closings.iter().map(|(c, _)| c.iter().collect()).collect();
        Closing {
            closings,
            exact,
            last: cfg.last_utterances.max(1),
        }
    }

    fn is_closing(&self, clean: &str) -> bool {
        // 在见 is the ASR's homophone slip for 再见.
        let bye = clean.contains("再见") || clean.contains("在见");
        if !bye || !(clean.contains("感谢") || clean.contains("谢谢")) {
            return false;
        }
        // Nearly every call ends with a standard closing word for word: a
        // distance of 0, found without the edit-distance table.
        if self
            .exact
            .iter()
            .any(|c| !c.is_empty() && clean.contains(c.as_str()))
        {
            return true;
        }
        let chars = phrase_chars(clean);
        self.closings
            .iter()
            .any(|(c, allowed)| substring_distance(c, &chars).0 <= *allowed)
    }
}

impl Norm for Closing {
    fn id(&self) -> NormId {
        NormId::Closing
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        if view.agent.is_empty() {
            return Outcome::NotAssessed;
        }
        let last_agent: Vec<usize> = view.agent.iter().rev().take(self.last).copied().collect();
        if last_agent
            .iter()
            .any(|&i| self.is_closing(view.texts.get(i).clean))
        {
            return Outcome::Assessed(Vec::new());
        }
        let caller_last = view
            .call
            .utterances
            .last()
            .is_some_and(|u| u.speaker == Speaker::Caller);
        if view.call.ended_by == Some(Speaker::Caller) && caller_last {
            return Outcome::NotAssessed;
        }
        let at = last_agent.first().copied().unwrap_or(0);
        let f = view.finding_quoting(
            NormId::Closing,
            "closing.missing",
            at,
            "最后没有标准结束语，最后一句是",
        );
        Outcome::Assessed(vec![f])
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{NormId, Speaker};
    use crate::norms::testkit::*;

    fn verdict(
        last: &str,
        ended_by: Option<Speaker>,
        caller_last: bool,
    ) -> Option<Vec<&'static str>> {
        let mut rows = vec![
            GREETING,
            ('c', 5.0, 7.0, "好的谢谢"),
            ('a', 7.5, 10.0, last),
        ];
        if caller_last {
            rows.push(('c', 10.5, 11.0, "嗯"));
        }
        let mut c = call(&rows);
        c.ended_by = ended_by;
        rules(NormId::Closing, &c, None)
    }

    #[test]
    fn must_pass() {
        for t in [
            "感谢您的来电，再见！",
            "感谢您的来电再见",
            "好的，感谢您对我们工作的支持，您的问题我将会尽快帮您反映，再见。",
            "感谢您对我们工作的支持，祝您生活愉快，再见。",
            "谢谢您的来电，再见",
            "感谢您的来电，在见！",
        ] {
            assert_eq!(verdict(t, None, false), Some(vec![]), "{t}");
        }
    }

    #[test]
    fn must_catch() {
        for t in ["好的，拜拜", "就这样吧", "感谢您的来电", "好的再见"] {
            assert_eq!(
                verdict(t, Some(Speaker::Agent), false),
                Some(vec!["closing.missing"]),
                "{t}"
            );
        }
    }

    #[test]
    fn closing_in_second_to_last_agent_utterance_passes() {
        let c = call(&[
            GREETING,
            ('c', 5.0, 7.0, "好的"),
            ('a', 7.5, 10.0, CLOSING),
            ('c', 10.2, 10.8, "再见"),
            ('a', 11.0, 11.5, "嗯嗯"),
        ]);
        assert_eq!(rules(NormId::Closing, &c, None), Some(vec![]));
    }

    #[test]
    fn closing_three_utterances_back_is_too_early() {
        let c = call(&[
            GREETING,
            ('a', 5.0, 7.0, CLOSING),
            ('a', 7.5, 8.0, "嗯嗯"),
            ('a', 8.5, 9.0, "好的"),
        ]);
        assert_eq!(
            rules(NormId::Closing, &c, None),
            Some(vec!["closing.missing"])
        );
    }

    #[test]
    fn caller_hung_up_first_is_not_assessed() {
        assert_eq!(
            verdict("好的，我帮您记录", Some(Speaker::Caller), true),
            None
        );
    }

    #[test]
    fn caller_hung_up_but_agent_spoke_last_is_assessed() {
        assert_eq!(
            verdict("好的，我帮您记录", Some(Speaker::Caller), false),
            Some(vec!["closing.missing"])
        );
    }

    #[test]
    fn closing_passes_even_when_caller_hung_up() {
        assert_eq!(verdict(CLOSING, Some(Speaker::Caller), true), Some(vec![]));
    }
}
