//! Norm 1, 报读开头语: the agent's first turn must be the standard greeting
//! 「您好！市长热线，请问有什么可以帮到您？」.
//!
//! Judged on the first agent utterance, on its clean text (no punctuation,
//! spaces or digits), so ASR without punctuation passes. When that
//! utterance is only a piece of the greeting, the agent utterances that
//! follow it within 1.5 s, before anyone else speaks, join it while the
//! whole is still a piece (the ASR cut one greeting in two); a first
//! utterance that is something else (喂？, 稍等) fails however soon the
//! greeting follows. Each part
//! (您好 / 市长热线 / 有什么可以帮(到)您) must be present — parts of four or
//! more characters allow one ASR slip (市场热线) — and at most a quarter of
//! the greeting's characters may be missing or wrong, counted as the
//! characters of the greeting found in order in the turn (words inserted
//! between them, like 工号1024为您服务, cost nothing).

use crate::config::GreetingConfig;
use crate::model::{Finding, NormId, Speaker};
use crate::norms::{CallView, Norm, Outcome};
use crate::text::{prefix_distance, substring_distance};

pub(crate) struct Greeting {
    standard: Vec<char>,
    /// The standard greeting as a string, when every part has a form inside
    /// it: a turn holding it word for word then passes without alignment.
    exact: Option<String>,
    parts: Vec<(String, Vec<Vec<char>>)>,
    part_max_edits: usize,
    max_distance: usize,
}

/// The longest pause, in seconds, between two agent utterances that the
/// ASR cut out of one spoken greeting.
pub(crate) const SPLIT_GAP_S: f64 = 1.5;

/// Fillers an agent may say before the greeting without it counting as an edit.
const FILLERS: &[char] = &['嗯', '呃', '额', '啊'];

/// Clean form used for phrase comparison: letters only, digits dropped
/// (「您好，12345市长热线」 is the greeting with the hotline's number).
pub(crate) fn phrase_chars(clean: &str) -> Vec<char> {
    // Sized once for a phrase or utterance of the usual length (a char is
    // at least a byte) instead of grown by doubling; a huge one grows as it
    // needs.
    let mut out = Vec::with_capacity(clean.len().min(4096));
    out.extend(clean.chars().filter(|c| !c.is_ascii_digit()));
    out
}

impl Greeting {
    pub(crate) fn new(cfg: &GreetingConfig) -> Greeting {
        let standard = phrase_chars(&crate::text::NormText::new(&cfg.text).clean);
        let parts: Vec<(String, Vec<Vec<char>>)> = cfg
            .parts
            .iter()
            .map(|p| {
                let forms = p
                    .split('|')
                    .map(|f| phrase_chars(&crate::text::NormText::new(f).clean))
                    .filter(|f| !f.is_empty())
                    .collect();
                (p.split('|').next().unwrap_or(p).to_string(), forms)
            })
            .collect();
        let max_distance = (standard.len() as f64 * cfg.max_distance_ratio).floor() as usize;
        let text: String = standard.iter().collect();
        let exact = parts
            .iter()
            .all(|(_, forms)| {
                forms
                    .iter()
                    .any(|f| text.contains(f.iter().collect::<String>().as_str()))
            })
            .then_some(text)
            .filter(|t| !t.is_empty());
        Greeting {
            standard,
            exact,
            parts,
            part_max_edits: cfg.part_max_edits,
            max_distance,
        }
    }

    /// Whether a clean text is a piece of the greeting as the ASR may cut
    /// it: fillers only, or its letters found in the greeting with at most a
    /// quarter of them missing or wrong (as the communication norm tells a
    /// piece of the greeting from a question).
    fn is_piece(&self, clean: &str) -> bool {
        let chars = phrase_chars(clean);
        let start = chars
            .iter()
            .position(|c| !FILLERS.contains(c))
            .unwrap_or(chars.len());
        let chars = &chars[start..];
        chars.is_empty() || substring_distance(chars, &self.standard).0 <= chars.len() / 4
    }

    fn part_present(&self, forms: &[Vec<char>], region: &[char]) -> bool {
        forms.iter().any(|f| {
            let allowed = if f.len() >= 4 { self.part_max_edits } else { 0 };
            substring_distance(f, region).0 <= allowed
        })
    }

    /// Where the greeting ends in the agent's first utterance (bytes of
    /// the original text, trailing punctuation included), or None when the
    /// first utterance holds no greeting. The communication norm uses it so
    /// that the greeting's own 请问…？ is not counted as a question.
    pub(crate) fn greeting_end(
        standard: &[char],
        view: &CallView<'_>,
        first: usize,
    ) -> Option<usize> {
        let norm = view.texts.get(first);
        let (d, k) = {
            // The greeting word for word at the start: distance 0, its length.
            let exact: String = standard.iter().collect();
            if !exact.is_empty() && norm.clean.starts_with(exact.as_str()) {
                (0, standard.len())
            } else {
                let chars: Vec<char> = norm.chars().collect();
                prefix_distance(standard, &chars)
            }
        };
        if d > standard.len() / 2 {
            return None;
        }
        let text = view.text(first);
        let mut end = norm.original_end_of_chars(k);
        // Swallow the punctuation after the greeting (its ？).
        for (i, c) in text[end..].char_indices() {
            if crate::text::is_counted(c) {
                end += i;
                return Some(end);
            }
        }
        Some(text.len())
    }
}

impl Norm for Greeting {
    fn id(&self) -> NormId {
        NormId::Greeting
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        let Some(&first) = view.agent.first() else {
            return Outcome::Assessed(vec![Finding::new(
                NormId::Greeting,
                "greeting.no_agent_speech",
                "话务员全程没有说话",
            )]);
        };
        // The greeting is judged on the first agent utterance (§2 rule 1).
        // The ASR may cut one spoken greeting into pieces (「您好！市长热线，」
        // then 「请问有什么可以帮到您？」 0.2 s later), so the next agent
        // utterance joins it while what the agent has said so far is itself
        // a piece of the greeting, nobody else spoke in between and the pause
        // is at most SPLIT_GAP_S. A first utterance that is not a piece of the
        // greeting (喂？, 稍等, 您好请稍等) is judged alone: a greeting after it
        // is too late. Borrowed while it is one utterance (the usual case),
        // copied only when a second one joins it.
        let utts = &view.call.utterances;
        let mut turn = std::borrow::Cow::Borrowed(view.texts.get(first).clean);
        let mut last = first;
        while let Some(u) = utts.get(last + 1) {
            if u.speaker != Speaker::Agent
                || u.start - utts[last].end > SPLIT_GAP_S
                || turn.chars().count() > self.standard.len() * 3
                || !self.is_piece(&turn)
            {
                break;
            }
            last += 1;
            turn.to_mut().push_str(view.texts.get(last).clean);
        }
        if let Some(exact) = &self.exact {
            // Word for word (fillers, 工号 or punctuation aside): every part
            // is present and nothing is missing, without the alignments.
            let found = if turn.bytes().any(|b| b.is_ascii_digit()) {
                let mut plain = String::with_capacity(turn.len());
                plain.extend(turn.chars().filter(|c| !c.is_ascii_digit()));
                plain.contains(exact.as_str())
            } else {
                turn.contains(exact.as_str())
            };
            if found {
                return Outcome::Assessed(Vec::new());
            }
        }
        let chars = phrase_chars(&turn);
        let start = chars
            .iter()
            .position(|c| !FILLERS.contains(c))
            .unwrap_or(chars.len());
        let chars = &chars[start..];
        // Words inserted into the greeting (工号1024为您服务) do not make it
        // less standard; what counts is how much of the greeting is there,
        // in order.
        let distance = self.standard.len() - crate::text::lcs_len(&self.standard, chars);
        let region = chars;
        let mut findings = Vec::new();
        let missing: Vec<&str> = self
            .parts
            .iter()
            .filter(|(_, forms)| !self.part_present(forms, region))
            .map(|(name, _)| name.as_str())
            .collect();
        if !missing.is_empty() {
            let note = format!("开头语缺少“{}”", missing.join("”“"));
            findings.push(view.finding_quoting(
                NormId::Greeting,
                "greeting.missing_part",
                first,
                &note,
            ));
        } else if distance > self.max_distance {
            let note = format!("开头语缺少或说错了标准开头语中的 {distance} 个字");
            findings.push(view.finding_quoting(
                NormId::Greeting,
                "greeting.not_standard",
                first,
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

    fn verdict(first: &str) -> Option<Vec<&'static str>> {
        let c = call(&[('a', 0.5, 4.0, first), ('c', 4.5, 6.0, "我想咨询一下")]);
        rules(NormId::Greeting, &c, None)
    }

    #[test]
    fn must_pass() {
        for g in [
            "您好！市长热线，请问有什么可以帮到您？",
            "您好市长热线请问有什么可以帮到您",
            "您好 市长热线 请问有什么可以帮到您",
            "嗯，您好，市长热线，请问有什么可以帮到您？",
            "您好，市场热线，请问有什么可以帮到您？",
            "您好，市长热线，请问有什么可以帮您？",
            "您好，这里是市长热线，请问有什么可以帮到您？",
            "您好，12345市长热线，请问有什么可以帮到您？",
            "您好！市长热线，请问有什么可以帮到您？我是12号话务员",
            "您好！市长热线，工号1024为您服务，请问有什么可以帮到您？",
        ] {
            assert_eq!(verdict(g), Some(vec![]), "{g}");
        }
    }

    #[test]
    fn must_catch() {
        for g in [
            "市长热线，请问有什么可以帮到您？",
            "您好，请问有什么可以帮到您？",
            "您好，市长热线。",
            "喂，什么事？",
            "你好，市长热线，请问有什么可以帮到您？",
            "您好，12345政务服务热线，请问有什么可以帮到您？",
        ] {
            assert_eq!(verdict(g), Some(vec!["greeting.missing_part"]), "{g}");
        }
    }

    #[test]
    fn parts_scrambled_far_from_the_standard() {
        let v = verdict("有什么可以帮到您，市长热线这边，您好您好您好");
        assert_eq!(v, Some(vec!["greeting.not_standard"]));
    }

    #[test]
    fn greeting_split_over_two_agent_utterances_passes() {
        let c = call(&[
            ('a', 0.5, 1.5, "您好！"),
            ('a', 1.6, 4.0, "市长热线，请问有什么可以帮到您？"),
            ('c', 4.5, 6.0, "喂"),
        ]);
        assert_eq!(rules(NormId::Greeting, &c, None), Some(vec![]));
    }

    #[test]
    fn greeting_in_the_second_agent_utterance_fails() {
        for (first, gap) in [
            ("喂？", 0.2),
            ("喂？", 2.0),
            ("稍等", 0.3),
            ("稍等一下。", 3.0),
            ("您好，请稍等。", 0.3),
            ("喂，您好", 0.2),
            ("嗯嗯，好的", 0.5),
        ] {
            let c = call(&[
                ('a', 0.5, 1.5, first),
                (
                    'a',
                    1.5 + gap,
                    4.0 + gap,
                    "您好！市长热线，请问有什么可以帮到您？",
                ),
                ('c', 4.5 + gap, 6.0 + gap, "我想咨询一下"),
            ]);
            assert_eq!(
                rules(NormId::Greeting, &c, None),
                Some(vec!["greeting.missing_part"]),
                "{first} {gap}"
            );
        }
    }

    #[test]
    fn greeting_after_the_callers_first_words_is_late() {
        let c = call(&[
            ('a', 0.5, 1.0, "喂？"),
            ('c', 1.2, 1.8, "喂，你好"),
            ('a', 2.0, 4.5, "您好！市长热线，请问有什么可以帮到您？"),
        ]);
        assert_eq!(
            rules(NormId::Greeting, &c, None),
            Some(vec!["greeting.missing_part"])
        );
        // A piece of the greeting, the caller, then the rest: not one greeting.
        let c = call(&[
            ('a', 0.5, 1.0, "您好！"),
            ('c', 1.1, 1.5, "喂？"),
            ('a', 1.6, 4.0, "市长热线，请问有什么可以帮到您？"),
        ]);
        assert_eq!(
            rules(NormId::Greeting, &c, None),
            Some(vec!["greeting.missing_part"])
        );
    }

    #[test]
    fn asr_pieces_of_one_greeting_pass() {
        for pieces in [
            &["您好！市长热线，", "请问有什么可以帮到您？"][..],
            &["您好", "市长热线", "请问有什么可以帮到您"][..],
            &["嗯，", "您好！市长热线，请问有什么可以帮到您？"][..],
            &["您好，市场热线，", "请问有什么可以帮您？"][..],
        ] {
            let mut u = Vec::new();
            let mut t = 0.5;
            for p in pieces {
                u.push(('a', t, t + 1.0, *p));
                t += 1.2;
            }
            u.push(('c', t + 0.5, t + 2.0, "我想咨询一下"));
            let c = call(&u);
            assert_eq!(
                rules(NormId::Greeting, &c, None),
                Some(vec![]),
                "{pieces:?}"
            );
        }
        // A pause longer than the ASR cuts at: two utterances, the first not the greeting.
        let c = call(&[
            ('a', 0.5, 1.5, "您好！市长热线，"),
            ('a', 4.0, 6.0, "请问有什么可以帮到您？"),
            ('c', 6.5, 8.0, "我想咨询一下"),
        ]);
        assert_eq!(
            rules(NormId::Greeting, &c, None),
            Some(vec!["greeting.missing_part"])
        );
    }

    #[test]
    fn a_greeting_with_12345_instead_of_the_hotlines_name_fails() {
        for g in [
            "您好，12345，请问有什么可以帮到您？",
            "您好，12345热线，请问有什么可以帮到您？",
        ] {
            assert_eq!(verdict(g), Some(vec!["greeting.missing_part"]), "{g}");
        }
    }

    #[test]
    fn caller_speaking_first_does_not_matter_only_the_agents_first_turn() {
        let c = call(&[
            ('c', 0.2, 1.0, "喂？"),
            ('a', 1.2, 4.0, "您好！市长热线，请问有什么可以帮到您？"),
        ]);
        assert_eq!(rules(NormId::Greeting, &c, None), Some(vec![]));
    }

    #[test]
    fn no_agent_speech() {
        let c = call(&[('c', 0.2, 1.0, "喂？有人吗？")]);
        assert_eq!(
            rules(NormId::Greeting, &c, None),
            Some(vec!["greeting.no_agent_speech"])
        );
    }
}
