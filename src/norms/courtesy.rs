//! Norm 3, 文明规范用语: no internet slang or over-casual words from the
//! agent (lexicon `slang`: 亲 as a form of address, 酱紫, 木有, OK …), and
//! the caller is addressed as 您: saying 你 (not 你们) `ni_limit` times or
//! more in a call is a violation. The caller's own words never count.

use crate::config::CourtesyConfig;
use crate::lexicon::LexiconKind;
use crate::model::NormId;
use crate::norms::{CallView, Norm, Outcome};

pub(crate) struct Courtesy {
    ni_limit: usize,
}

impl Courtesy {
    pub(crate) fn new(cfg: &CourtesyConfig) -> Courtesy {
        Courtesy {
            ni_limit: cfg.ni_limit.max(1),
        }
    }
}

impl Norm for Courtesy {
    fn id(&self) -> NormId {
        NormId::Courtesy
    }

    fn check(&self, view: &CallView<'_>) -> Outcome {
        if view.agent.is_empty() {
            return Outcome::NotAssessed;
        }
        let mut findings = Vec::new();
        let mut ni_hits = Vec::new();
        for &i in &view.agent {
            for h in view.find(LexiconKind::Slang, i) {
                findings.push(view.finding_at(
                    NormId::Courtesy,
                    "courtesy.slang",
                    i,
                    h.start,
                    h.end,
                ));
            }
            for h in view.find(LexiconKind::AddressNi, i) {
                ni_hits.push(view.finding_at(NormId::Courtesy, "courtesy.ni", i, h.start, h.end));
            }
        }
        if ni_hits.len() >= self.ni_limit {
            findings.extend(ni_hits);
        }
        findings.sort_by_key(|f| f.utterance_index);
        Outcome::Assessed(findings)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::NormId;
    use crate::norms::testkit::*;

    fn verdict(agent: &[&str]) -> Vec<&'static str> {
        let mut rows = vec![
            GREETING,
            ('c', 5.0, 7.0, "你好，你们那边能不能管一下，你知道吗"),
        ];
        for (k, t) in agent.iter().enumerate() {
            let s = 8.0 + k as f64 * 5.0;
            rows.push(('a', s, s + 4.0, t));
        }
        let mut r = rules(NormId::Courtesy, &call(&rows), None).expect("assessed");
        r.dedup();
        r
    }

    #[test]
    fn slang_is_caught() {
        for t in [
            "亲，您的问题已经记录了",
            "好的亲",
            "OK，我帮您登记",
            "好的ok",
            "这个木有问题",
            "妥妥的，放心吧",
            "酱紫啊，那我帮您记下",
        ] {
            assert_eq!(verdict(&[t]), vec!["courtesy.slang"], "{t}");
        }
    }

    #[test]
    fn words_containing_qin_are_not_slang() {
        for t in [
            "您母亲的医保可以由亲属代办",
            "需要您亲自到窗口办理",
            "您父亲的户口",
            "请您的亲戚带身份证",
            "Look，不是英文单词就不算",
        ] {
            assert_eq!(verdict(&[t]), Vec::<&str>::new(), "{t}");
        }
    }

    #[test]
    fn ni_twice_is_caught_once_is_not() {
        assert_eq!(verdict(&["你先别急，你说一下地址"]), vec!["courtesy.ni"]);
        assert_eq!(
            verdict(&["你先别急", "请你说一下地址"]),
            vec!["courtesy.ni"]
        );
        assert_eq!(verdict(&["你先别急，您说一下地址"]), Vec::<&str>::new());
    }

    #[test]
    fn nimen_is_not_ni() {
        assert_eq!(
            verdict(&[
                "你们小区的物业电话是多少",
                "你们那边停水几天了",
                "你们楼栋号是多少"
            ]),
            Vec::<&str>::new()
        );
        assert_eq!(verdict(&["你们小区在哪", "你说一下"]), Vec::<&str>::new());
    }

    #[test]
    fn callers_words_do_not_count() {
        // The caller says 你 three times in the setup utterance.
        assert_eq!(verdict(&["您好，请您说一下地址"]), Vec::<&str>::new());
    }
}
