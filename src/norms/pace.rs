//! Norm 4, 语气、语调、语速: the agent's speech rate — characters
//! (punctuation and spaces excluded) over speaking time, counting only
//! utterances of `min_chars`+ characters — must lie within
//! `min_cpm`..=`max_cpm` characters per minute (default 120–300).
//!
//! When an utterance carries the recognition service's own `speech_rate`
//! and `rate_source` is `service`, that rate is the utterance's: the
//! service measures it on the audio, without the pauses inside the
//! sentence that its start and end times include. The call's rate is then
//! the time-weighted mean of the utterances' rates (which, for computed
//! rates alone, is exactly characters over seconds). The default is
//! `computed`: the spec defines the norm by characters and times, and a
//! call then scores the same whichever service (or person) transcribed it.

use crate::config::{MeasureSource, PaceConfig};
use crate::model::{Finding, NormId};
use crate::norms::{CallView, Norm, Outcome};

pub(crate) struct Pace {
    min_cpm: f64,
    max_cpm: f64,
    min_chars: usize,
    service_rate: bool,
}

impl Pace {
    pub(crate) fn new(cfg: &PaceConfig) -> Pace {
        Pace {
            min_cpm: cfg.min_cpm,
            max_cpm: cfg.max_cpm,
            min_chars: cfg.min_chars,
            service_rate: cfg.rate_source == MeasureSource::Service,
        }
    }
}

impl Norm for Pace {
    fn id(&self) -> NormId {
        NormId::Pace
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        let mut chars = 0usize;
        let mut seconds = 0.0;
        // Characters a minute times seconds, summed over the utterances
        // measured by the service (None while there is none, so that a
        // transcript without the field takes exactly the old arithmetic).
        let mut serviced: Option<f64> = None;
        // The utterance farthest outside the range is the evidence.
        let mut worst: Option<(usize, f64)> = None;
        for &i in &view.agent {
            let n = view.texts.get(i).char_len();
            if n < self.min_chars {
                continue;
            }
            let u = &view.call.utterances[i];
            let d = u.end - u.start;
            let service = u
                .measured
                .speech_rate
                .filter(|_| self.service_rate)
                .map(f64::from);
            match service {
                Some(r) => *serviced.get_or_insert(0.0) += r * d,
                None => chars += n,
            }
            seconds += d;
            if d > 0.0 {
                let rate = service.unwrap_or(n as f64 / d * 60.0);
                let off = if rate > self.max_cpm {
                    rate - self.max_cpm
                } else {
                    self.min_cpm - rate
                };
                if worst.is_none_or(|(_, w)| off > w) {
                    worst = Some((i, off));
                }
            }
        }
        if (chars == 0 && serviced.is_none()) || seconds <= 0.0 {
            return Outcome::NotAssessed;
        }
        let rate = match serviced {
            None => chars as f64 / seconds * 60.0,
            Some(s) => (s + chars as f64 * 60.0) / seconds,
        };
        let rule = if rate > self.max_cpm {
            "pace.too_fast"
        } else if rate < self.min_cpm {
            "pace.too_slow"
        } else {
            return Outcome::Assessed(Vec::new());
        };
        let note = match serviced {
            None => format!(
                "语速 {:.0} 字/分钟（{} 字 / {:.1} 秒，标准 {:.0}–{:.0}）",
                rate, chars, seconds, self.min_cpm, self.max_cpm
            ),
            Some(_) => format!(
                "语速 {:.0} 字/分钟（识别服务测得，{:.1} 秒，标准 {:.0}–{:.0}）",
                rate, seconds, self.min_cpm, self.max_cpm
            ),
        };
        let f = match worst {
            Some((i, _)) => view.finding_quoting(NormId::Pace, rule, i, &note),
            None => Finding::new(NormId::Pace, rule, note),
        };
        Outcome::Assessed(vec![f])
    }
}

#[cfg(test)]
mod tests {
    use crate::model::NormId;
    use crate::norms::testkit::*;

    fn verdict(rows: &[(char, f64, f64, &str)]) -> Option<Vec<&'static str>> {
        rules(NormId::Pace, &call(rows), None)
    }

    #[test]
    fn rates_inside_and_outside() {
        // 16 chars in 4 s = 240/min.
        assert_eq!(verdict(&[GREETING]), Some(vec![]));
        // 16 chars in 2 s = 480/min.
        assert_eq!(
            verdict(&[('a', 0.5, 2.5, "您好！市长热线，请问有什么可以帮到您？")]),
            Some(vec!["pace.too_fast"])
        );
        // 16 chars in 10 s = 96/min.
        assert_eq!(
            verdict(&[('a', 0.5, 10.5, "您好！市长热线，请问有什么可以帮到您？")]),
            Some(vec!["pace.too_slow"])
        );
    }

    #[test]
    fn boundaries_are_inside() {
        // 10 chars in 2 s = 300/min exactly; 10 chars in 5 s = 120/min.
        assert_eq!(
            verdict(&[('a', 0.0, 2.0, "一二三四五六七八九十")]),
            Some(vec![])
        );
        assert_eq!(
            verdict(&[('a', 0.0, 5.0, "一二三四五六七八九十")]),
            Some(vec![])
        );
    }

    #[test]
    fn short_utterances_and_punctuation_do_not_count() {
        // "好的。" (2 chars) in 3 s would be very slow; it is left out.
        assert_eq!(
            verdict(&[
                GREETING,
                ('a', 6.0, 9.0, "好的。"),
                ('a', 10.0, 10.2, "嗯嗯")
            ]),
            Some(vec![])
        );
        // Only short utterances: nothing to measure.
        assert_eq!(
            verdict(&[
                ('a', 0.0, 3.0, "好的"),
                ('c', 3.0, 5.0, "我要投诉一下你们的服务")
            ]),
            None
        );
    }

    /// `(speaker, start, end, text, service rate)` rows → pace rules.
    fn with_rates(
        rows: &[(char, f64, f64, &str, Option<f32>)],
        source: &str,
    ) -> Option<Vec<&'static str>> {
        let plain: Vec<(char, f64, f64, &str)> =
            rows.iter().map(|&(s, a, b, t, _)| (s, a, b, t)).collect();
        let mut c = call(&plain);
        for (u, r) in c.utterances.iter_mut().zip(rows) {
            u.measured.speech_rate = r.4;
        }
        let mut cfg = crate::config::Config::default();
        cfg.norms.pace.rate_source = match source {
            "service" => crate::config::MeasureSource::Service,
            _ => crate::config::MeasureSource::Computed,
        };
        rules_with(&cfg, NormId::Pace, &c, None)
    }

    #[test]
    fn the_services_speech_rate_wins_when_chosen() {
        // 16 chars in 2 s = 480/min by the times; the service heard 250
        // (the sentence's times hold a pause): chosen, the service's wins.
        let fast_by_times = [(
            'a',
            0.5,
            2.5,
            "您好！市长热线，请问有什么可以帮到您？",
            Some(250.0),
        )];
        assert_eq!(with_rates(&fast_by_times, "service"), Some(vec![]));
        // The default scorecard keeps the spec's computed rate.
        let plain: Vec<(char, f64, f64, &str)> = fast_by_times
            .iter()
            .map(|&(s, a, b, t, _)| (s, a, b, t))
            .collect();
        let mut c = call(&plain);
        c.utterances[0].measured.speech_rate = Some(250.0);
        assert_eq!(rules(NormId::Pace, &c, None), Some(vec!["pace.too_fast"]));
        assert_eq!(
            with_rates(&fast_by_times, "computed"),
            Some(vec!["pace.too_fast"])
        );
        // The service measuring a slow agent fails a call the times pass.
        let slow = [(
            'a',
            0.5,
            4.5,
            "您好！市长热线，请问有什么可以帮到您？",
            Some(100.0),
        )];
        assert_eq!(with_rates(&slow, "service"), Some(vec!["pace.too_slow"]));
        assert_eq!(with_rates(&slow, "computed"), Some(vec![]));
        // Mixed: the measured utterance's rate and the other's computed one
        // (10 chars in 2 s = 300), weighted by time: (60×4 + 300×2) / 6 =
        // 140, inside, though the measured one alone (60) is too slow.
        let mixed = [
            (
                'a',
                0.5,
                4.5,
                "您好！市长热线，请问有什么可以帮到您？",
                Some(60.0),
            ),
            ('a', 5.0, 7.0, "一二三四五六七八九十", None),
        ];
        assert_eq!(
            with_rates(&mixed[..1], "service"),
            Some(vec!["pace.too_slow"])
        );
        assert_eq!(with_rates(&mixed, "service"), Some(vec![]));
        // Must not: a caller's measured rate, or one on a short utterance.
        let others = [
            GREETING_WITH_NO_RATE,
            ('c', 5.0, 6.0, "我家门口那条路上有个大坑", Some(900.0)),
            ('a', 6.0, 6.5, "好的", Some(900.0)),
        ];
        assert_eq!(with_rates(&others, "service"), Some(vec![]));
    }

    const GREETING_WITH_NO_RATE: (char, f64, f64, &str, Option<f32>) =
        (GREETING.0, GREETING.1, GREETING.2, GREETING.3, None);

    #[test]
    fn callers_speed_does_not_count() {
        assert_eq!(
            verdict(&[
                GREETING,
                ('c', 5.0, 6.0, "我家门口那条路上有个大坑好几天了没人管")
            ]),
            Some(vec![])
        );
    }
}
