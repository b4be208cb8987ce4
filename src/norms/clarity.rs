//! Norm 5, 吐字清晰、普通话: the mean ASR confidence of the agent's
//! utterances must be at least `min_confidence` (when the transcript has
//! confidence values), and the caller must not ask the agent to repeat or
//! say they cannot hear `repeat_requests` times or more (lexicon
//! `repeat_requests`, counted per caller utterance). Assessed in every call
//! with agent speech.

use crate::config::ClarityConfig;
use crate::lexicon::LexiconKind;
use crate::model::{Finding, NormId, Speaker};
use crate::norms::{CallView, Norm, Outcome};

pub(crate) struct Clarity {
    min_confidence: f64,
    repeat_requests: usize,
}

impl Clarity {
    pub(crate) fn new(cfg: &ClarityConfig) -> Clarity {
        Clarity {
            min_confidence: cfg.min_confidence,
            repeat_requests: cfg.repeat_requests.max(1),
        }
    }
}

impl Norm for Clarity {
    fn id(&self) -> NormId {
        NormId::Clarity
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        if view.agent.is_empty() {
            return Outcome::NotAssessed;
        }
        let mut findings = Vec::new();
        // The agent's confidences: their sum and count, and the first
        // lowest one (in one pass, without a list).
        let (sum, n, lowest) = view
            .agent
            .iter()
            .filter_map(|&i| view.call.utterances[i].confidence.map(|c| (i, c)))
            .fold((0.0, 0usize, None), |(sum, n, low), (i, c)| {
                let low = match low {
                    Some((_, l)) if c >= l => low,
                    _ => Some((i, c)),
                };
                (sum + c, n + 1, low)
            });
        if let Some((lowest, c)) = lowest {
            let mean = sum / n as f64;
            if mean < self.min_confidence {
                let note = format!(
                    "话务员发言平均识别置信度 {:.2}（低于 {:.2}；最低一句 {:.2}）",
                    mean, self.min_confidence, c
                );
                findings.push(view.finding_quoting(
                    NormId::Clarity,
                    "clarity.low_confidence",
                    lowest,
                    &note,
                ));
            }
        }
        let mut asks: Vec<Finding> = Vec::new();
        for (i, u) in view.call.utterances.iter().enumerate() {
            if u.speaker != Speaker::Caller {
                continue;
            }
            if let Some(h) = view.find(LexiconKind::RepeatRequests, i).first() {
                asks.push(view.finding_at(
                    NormId::Clarity,
                    "clarity.repeat_requests",
                    i,
                    h.start,
                    h.end,
                ));
            }
        }
        if asks.len() >= self.repeat_requests {
            findings.extend(asks);
        }
        Outcome::Assessed(findings)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::NormId;
    use crate::norms::testkit::*;

    #[test]
    fn low_mean_confidence() {
        let mut c = call(&[
            GREETING,
            ('c', 5.0, 7.0, "我要反映问题"),
            ('a', 7.5, 10.0, "请问您在哪个小区"),
        ]);
        c.utterances[0].confidence = Some(0.7);
        c.utterances[2].confidence = Some(0.72);
        assert_eq!(
            rules(NormId::Clarity, &c, None),
            Some(vec!["clarity.low_confidence"])
        );
        c.utterances[2].confidence = Some(0.8);
        // mean 0.75: not under the threshold.
        assert_eq!(rules(NormId::Clarity, &c, None), Some(vec![]));
    }

    #[test]
    fn callers_low_confidence_does_not_count() {
        let mut c = call(&[GREETING, ('c', 5.0, 7.0, "我要反映问题")]);
        c.utterances[0].confidence = Some(0.95);
        c.utterances[1].confidence = Some(0.3);
        assert_eq!(rules(NormId::Clarity, &c, None), Some(vec![]));
    }

    #[test]
    fn two_repeat_requests_are_caught_one_is_not() {
        let rows = [
            GREETING,
            ('c', 5.0, 7.0, "喂？我听不清，您再说一遍"),
            ('a', 7.5, 10.0, "请问您在哪个小区"),
            ('c', 10.5, 12.0, "声音太小了"),
        ];
        assert_eq!(
            rules(NormId::Clarity, &call(&rows), None),
            Some(vec!["clarity.repeat_requests", "clarity.repeat_requests"])
        );
        assert_eq!(
            rules(NormId::Clarity, &call(&rows[..3]), None),
            Some(vec![])
        );
    }

    #[test]
    fn agent_saying_the_words_does_not_count() {
        let rows = [
            GREETING,
            ('a', 5.0, 7.0, "您那边听不清的话我再说一遍"),
            ('a', 7.5, 10.0, "声音太小您告诉我"),
        ];
        assert_eq!(rules(NormId::Clarity, &call(&rows), None), Some(vec![]));
    }

    #[test]
    fn no_news_is_not_a_repeat_request() {
        let rows = [
            GREETING,
            ('c', 5.0, 7.0, "到现在都没听到任何消息"),
            ('c', 7.5, 10.0, "一直听不到回音"),
        ];
        assert_eq!(rules(NormId::Clarity, &call(&rows), None), Some(vec![]));
    }
}
