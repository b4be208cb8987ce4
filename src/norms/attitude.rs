//! Norm 9, 服务态度 (及时接话): the agent's first utterance must start
//! within `first_response_s` (3 s) of the call's start, and after a caller
//! utterance the agent must answer within `max_gap_s` (5 s) — unless the
//! agent's previous utterance asked the caller to wait (lexicon
//! `wait_requests`: 稍等, 稍候, 查(询)一下). A gap runs from the end of a
//! caller utterance to the start of the next utterance when that is the
//! agent's; a unit's reply on a three-way call is not the agent's delay.
//!
//! With `gap_source = "service"` the gap before an agent utterance that
//! carries the recognition service's `silence_before` is that silence. It
//! is not the default: on a dual-channel recording a service measures the
//! silence within the agent's own channel, which includes the caller's
//! speech, so the gap computed from the times is the one a QA team means.

use crate::config::{AttitudeConfig, MeasureSource};
use crate::lexicon::LexiconKind;
use crate::model::{Finding, NormId, Speaker};
use crate::norms::{CallView, Norm, Outcome};

pub(crate) struct Attitude {
    first: f64,
    gap: f64,
    service_gap: bool,
}

impl Attitude {
    pub(crate) fn new(cfg: &AttitudeConfig) -> Attitude {
        Attitude {
            first: cfg.first_response_s,
            gap: cfg.max_gap_s,
            service_gap: cfg.gap_source == MeasureSource::Service,
        }
    }
}

impl Norm for Attitude {
    fn id(&self) -> NormId {
        NormId::Attitude
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        let utts = &view.call.utterances;
        let Some(&first) = view.agent.first() else {
            return Outcome::Assessed(vec![Finding::new(
                NormId::Attitude,
                "attitude.no_agent_speech",
                "话务员全程没有接话",
            )]);
        };
        let mut findings = Vec::new();
        if utts[first].start > self.first + 1e-9 {
            let note = format!(
                "接通 {:.1} 秒后才开口（标准 {:.0} 秒内）",
                utts[first].start, self.first
            );
            findings.push(view.finding_quoting(
                NormId::Attitude,
                "attitude.late_first_response",
                first,
                &note,
            ));
        }
        // The agent's most recent utterance before utterance i.
        let mut last_agent: Option<usize> = None;
        for i in 0..utts.len().saturating_sub(1) {
            let (c, a) = (&utts[i], &utts[i + 1]);
            if c.speaker == Speaker::Agent {
                last_agent = Some(i);
            }
            if c.speaker != Speaker::Caller || a.speaker != Speaker::Agent {
                continue;
            }
            let gap = match a.measured.silence_before {
                Some(s) if self.service_gap => f64::from(s),
                _ => a.start - c.end,
            };
            if gap <= self.gap + 1e-9 {
                continue;
            }
            let asked_to_wait =
                last_agent.is_some_and(|j| view.is_match(LexiconKind::WaitRequests, j));
            if asked_to_wait {
                continue;
            }
            let note = format!(
                "来电人说完 {gap:.1} 秒后才接话（标准 {:.0} 秒内）",
                self.gap
            );
            findings.push(view.finding_quoting(
                NormId::Attitude,
                "attitude.slow_response",
                i + 1,
                &note,
            ));
        }
        Outcome::Assessed(findings)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::NormId;
    use crate::norms::testkit::*;

    #[test]
    fn late_first_response() {
        let c = call(&[('a', 5.0, 9.0, "您好！市长热线，请问有什么可以帮到您？")]);
        assert_eq!(
            rules(NormId::Attitude, &c, None),
            Some(vec!["attitude.late_first_response"])
        );
        let c = call(&[('a', 3.0, 7.0, "您好！市长热线，请问有什么可以帮到您？")]);
        assert_eq!(rules(NormId::Attitude, &c, None), Some(vec![]));
    }

    #[test]
    fn long_silence_after_the_caller() {
        let rows = [
            GREETING,
            ('c', 5.0, 8.0, "我家停水了"),
            ('a', 17.0, 19.0, "请问是哪个小区"),
        ];
        assert_eq!(
            rules(NormId::Attitude, &call(&rows), None),
            Some(vec!["attitude.slow_response"])
        );
        let rows = [
            GREETING,
            ('c', 5.0, 8.0, "我家停水了"),
            ('a', 13.0, 15.0, "请问是哪个小区"),
        ];
        assert_eq!(rules(NormId::Attitude, &call(&rows), None), Some(vec![]));
    }

    #[test]
    fn the_services_silence_counts_only_when_chosen() {
        let rows = [
            GREETING,
            ('c', 5.0, 8.0, "我家停水了"),
            ('a', 10.0, 12.0, "请问是哪个小区"),
        ];
        let mut c = call(&rows);
        // A 2 s gap by the times; the service measured 7 s of silence on
        // the agent's channel.
        c.utterances[2].measured.silence_before = Some(7.0);
        assert_eq!(rules(NormId::Attitude, &c, None), Some(vec![]));
        let mut cfg = crate::config::Config::default();
        cfg.norms.attitude.gap_source = crate::config::MeasureSource::Service;
        assert_eq!(
            rules_with(&cfg, NormId::Attitude, &c, None),
            Some(vec!["attitude.slow_response"])
        );
        // Must not: a caller's silence, or an agent utterance without the
        // field, read as the agent's delay.
        let mut c = call(&rows);
        c.utterances[1].measured.silence_before = Some(9.0);
        assert_eq!(rules_with(&cfg, NormId::Attitude, &c, None), Some(vec![]));
    }

    #[test]
    fn long_pause_after_asking_to_wait_is_fine() {
        for wait in ["请您稍等，我帮您查询一下", "稍等", "我查一下", "请稍候"]
        {
            let rows = [
                GREETING,
                ('c', 5.0, 8.0, "我想问公积金提取"),
                ('a', 8.5, 11.0, wait),
                ('c', 11.2, 11.5, "好的"),
                ('a', 31.5, 35.0, "查到了，您需要带身份证"),
            ];
            assert_eq!(
                rules(NormId::Attitude, &call(&rows), None),
                Some(vec![]),
                "{wait}"
            );
        }
        let rows = [
            GREETING,
            ('c', 5.0, 8.0, "我想问公积金提取"),
            ('a', 8.5, 11.0, "好的"),
            ('c', 11.2, 11.5, "嗯"),
            ('a', 31.5, 35.0, "您需要带身份证"),
        ];
        assert_eq!(
            rules(NormId::Attitude, &call(&rows), None),
            Some(vec!["attitude.slow_response"])
        );
    }

    #[test]
    fn units_reply_on_a_three_way_call_is_not_the_agents_delay() {
        let rows = [
            GREETING,
            ('c', 5.0, 8.0, "有煤气味"),
            ('a', 8.5, 10.0, "我帮您联系燃气公司"),
            ('c', 10.5, 11.0, "好"),
            ('u', 25.0, 28.0, "燃气公司，请讲"),
            ('a', 28.5, 31.0, "这里有位市民反映煤气泄漏"),
        ];
        assert_eq!(rules(NormId::Attitude, &call(&rows), None), Some(vec![]));
    }

    #[test]
    fn no_agent_speech() {
        let c = call(&[('c', 0.5, 2.0, "喂？有人吗")]);
        assert_eq!(
            rules(NormId::Attitude, &c, None),
            Some(vec!["attitude.no_agent_speech"])
        );
    }
}
