//! Norm 4, 语气、语调、语速: the agent's speech rate — characters
//! (punctuation and spaces excluded) over speaking time, counting only
//! utterances of `min_chars`+ characters — must lie within
//! `min_cpm`..=`max_cpm` characters per minute (default 120–300).

use crate::config::PaceConfig;
use crate::model::{Finding, NormId};
use crate::norms::{CallView, Norm, Outcome};

pub(crate) struct Pace {
    min_cpm: f64,
    max_cpm: f64,
    min_chars: usize,
}

impl Pace {
    pub(crate) fn new(cfg: &PaceConfig) -> Pace {
        Pace {
            min_cpm: cfg.min_cpm,
            max_cpm: cfg.max_cpm,
            min_chars: cfg.min_chars,
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
        // The utterance farthest outside the range is the evidence.
        let mut worst: Option<(usize, f64)> = None;
        for &i in &view.agent {
            let n = view.texts.get(i).char_len();
            if n < self.min_chars {
                continue;
            }
            let u = &view.call.utterances[i];
            let d = u.end - u.start;
            chars += n;
            seconds += d;
            if d > 0.0 {
                let rate = n as f64 / d * 60.0;
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
        if chars == 0 || seconds <= 0.0 {
            return Outcome::NotAssessed;
        }
        let rate = chars as f64 / seconds * 60.0;
        let rule = if rate > self.max_cpm {
            "pace.too_fast"
        } else if rate < self.min_cpm {
            "pace.too_slow"
        } else {
            return Outcome::Assessed(Vec::new());
        };
        let note = format!(
            "语速 {:.0} 字/分钟（{} 字 / {:.1} 秒，标准 {:.0}–{:.0}）",
            rate, chars, seconds, self.min_cpm, self.max_cpm
        );
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
