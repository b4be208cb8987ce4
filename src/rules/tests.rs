//! Every operator by table: what it must catch and what it must not; the
//! rule kinds, costs and severities; each kind of bad rule's message.

use super::*;
use crate::lexicon::directory::Directory;
use crate::model::{Call, Handling};
use crate::norms::testkit::call;
use crate::norms::Scorer;

/// A scorecard with one must-not rule on `process` whose `[rules.check]`
/// table is `check` (TOML lines).
fn card(check: &str) -> String {
    format!(
        "[[rules]]\nid = \"communication.t\"\nnorm = \"communication\"\ndescription = \"测试规则\"\nkind = \"must_not\"\n[rules.check]\n{check}\n"
    )
}

fn scorer(toml: &str) -> Scorer {
    let cfg = match Config::parse(toml, "t.toml") {
        Ok(c) => c,
        Err(e) => panic!("{e}\n{toml}"),
    };
    match Scorer::new(cfg, Directory::builtin()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// The utterances (None: the whole call) of the rule's findings.
fn found(toml: &str, c: &Call, t: Option<&Ticket>) -> Vec<Option<usize>> {
    let s = scorer(toml);
    s.score(c, t, &[])
        .findings
        .iter()
        .filter(|f| f.rule.ends_with(".t"))
        .map(|f| f.utterance_index)
        .collect()
}

type Row = (char, f64, f64, &'static str);

fn dial(rows: &[Row]) -> Call<'static> {
    call(rows)
}

const HELLO: Row = ('a', 0.5, 3.0, "您好！市长热线，请问有什么可以帮到您？");

fn dispatched() -> Ticket {
    Ticket {
        ticket_id: "T1".into(),
        call_id: Some("t".into()),
        category_raw: "求助".into(),
        category: Some(crate::model::Category::Help),
        subcategory: "市政设施".into(),
        handling_raw: "工单转办".into(),
        handling: Some(Handling::Dispatch),
        caller_name: "张先生".into(),
        content: "路灯坏了".into(),
        ..Ticket::default()
    }
}

/// (case, check lines, dialogue, ticket, expected finding places).
type Case = (
    &'static str,
    &'static str,
    &'static [Row],
    Option<fn() -> Ticket>,
    &'static [Option<usize>],
);

const CASES: &[Case] = &[
    (
        "phrase said by the agent",
        "phrases = [\"保证给您解决\"]",
        &[HELLO, ('c', 3.5, 5.0, "路灯坏了"), ('a', 5.5, 8.0, "我保证给您解决")],
        None,
        &[Some(2)],
    ),
    (
        "must not: the same phrase said by the caller",
        "phrases = [\"保证给您解决\"]",
        &[HELLO, ('c', 3.5, 5.0, "你要保证给您解决啊"), ('a', 5.5, 8.0, "好的")],
        None,
        &[],
    ),
    (
        "who = caller",
        "phrases = [\"投诉\"]\nwho = \"caller\"",
        &[HELLO, ('c', 3.5, 5.0, "我要投诉"), ('a', 5.5, 8.0, "投诉请讲")],
        None,
        &[Some(1)],
    ),
    (
        "who = any",
        "phrases = [\"投诉\"]\nwho = \"any\"",
        &[HELLO, ('c', 3.5, 5.0, "我要投诉"), ('a', 5.5, 8.0, "投诉请讲")],
        None,
        &[Some(1), Some(2)],
    ),
    (
        "must not: an exclusion context",
        "phrases = [\"保证\", \"!保证金\"]",
        &[HELLO, ('c', 3.5, 5.0, "押金"), ('a', 5.5, 8.0, "保证金会退的")],
        None,
        &[],
    ),
    (
        "re: pattern",
        "phrases = [\"re:[3-5三四五]个工作日\"]",
        &[HELLO, ('a', 5.5, 8.0, "三个工作日内回复您")],
        None,
        &[Some(1)],
    ),
    (
        "must not: re: pattern on another number",
        "phrases = [\"re:[3-5三四五]个工作日\"]",
        &[HELLO, ('a', 5.5, 8.0, "十个工作日内回复您")],
        None,
        &[],
    ),
    (
        "need = all: both heard",
        "phrases = [\"姓名\", \"电话\"]\nneed = \"all\"",
        &[HELLO, ('a', 5.5, 8.0, "请问您的姓名"), ('a', 8.5, 10.0, "联系电话是多少")],
        None,
        &[Some(1), Some(2)],
    ),
    (
        "must not: need = all with one missing",
        "phrases = [\"姓名\", \"电话\"]\nneed = \"all\"",
        &[HELLO, ('a', 5.5, 8.0, "请问您的姓名")],
        None,
        &[],
    ),
    (
        "at_least = 2 of 3",
        "phrases = [\"姓名\", \"电话\", \"地址\"]\nat_least = 2",
        &[HELLO, ('a', 5.5, 8.0, "您的姓名和地址")],
        None,
        &[Some(1), Some(1)],
    ),
    (
        "must not: at_least = 2 with one",
        "phrases = [\"姓名\", \"电话\", \"地址\"]\nat_least = 2",
        &[HELLO, ('a', 5.5, 8.0, "您的姓名是")],
        None,
        &[],
    ),
    (
        "fuzzy = 1 takes one ASR slip",
        "phrases = [\"肯定给您解决\"]\nfuzzy = 1",
        &[HELLO, ('a', 5.5, 8.0, "我肯定给你解决")],
        None,
        &[Some(1)],
    ),
    (
        "must not: exact only without fuzzy",
        "phrases = [\"肯定给您解决\"]",
        &[HELLO, ('a', 5.5, 8.0, "我肯定给你解决")],
        None,
        &[],
    ),
    (
        "must not: fuzzy = 1 against two slips",
        "phrases = [\"肯定给您解决\"]\nfuzzy = 1",
        &[HELLO, ('a', 5.5, 8.0, "我肯定会让你解决")],
        None,
        &[],
    ),
    (
        "must not: a fuzzy hit inside an exclusion context (fuzzy_hit_inside_an_exclusion_is_not_counted)",
        "phrases = [\"肯定给您解决\", \"!不敢说肯定给你解决\"]\nfuzzy = 1",
        &[HELLO, ('a', 5.5, 8.0, "我不敢说肯定给你解决")],
        None,
        &[],
    ),
    (
        "a fuzzy hit outside the exclusion context still counts",
        "phrases = [\"肯定给您解决\", \"!不敢说肯定给你解决\"]\nfuzzy = 1",
        &[HELLO, ('a', 5.5, 8.0, "我肯定给你解决，不敢说肯定给你解决")],
        None,
        &[Some(1)],
    ),
    (
        "must not: a fuzzy hit inside a re: exclusion context",
        "phrases = [\"肯定给您解决\", \"!re:不.{0,2}肯定给你解决\"]\nfuzzy = 1",
        &[HELLO, ('a', 5.5, 8.0, "这个不好说肯定给你解决")],
        None,
        &[],
    ),
    (
        "a built-in lexicon by key",
        "lexicon = \"wait_requests\"",
        &[HELLO, ('a', 5.5, 8.0, "请您稍等")],
        None,
        &[Some(1)],
    ),
    (
        "first = 1: only the agent's first utterance",
        "phrases = [\"您好\"]\nfirst = 1",
        &[HELLO, ('a', 5.5, 8.0, "您好，还在吗")],
        None,
        &[Some(0)],
    ),
    (
        "last = 1: only the agent's last utterance",
        "phrases = [\"您好\"]\nlast = 1",
        &[HELLO, ('a', 5.5, 8.0, "您好，还在吗")],
        None,
        &[Some(1)],
    ),
    (
        "to_s: a window from the start",
        "phrases = [\"您好\"]\nto_s = 4",
        &[HELLO, ('a', 5.5, 8.0, "您好，还在吗")],
        None,
        &[Some(0)],
    ),
    (
        "last_s: a window from the end",
        "phrases = [\"您好\"]\nlast_s = 3",
        &[HELLO, ('c', 3.5, 20.0, "嗯"), ('a', 25.5, 28.0, "您好，还在吗")],
        None,
        &[Some(2)],
    ),
    (
        "count = 2 over the call",
        "phrases = [\"哦\"]\ncount = 2",
        &[HELLO, ('a', 5.5, 8.0, "哦"), ('a', 8.5, 9.0, "哦，好")],
        None,
        &[Some(1), Some(2)],
    ),
    (
        "must not: count = 2 with one",
        "phrases = [\"哦\"]\ncount = 2",
        &[HELLO, ('a', 5.5, 8.0, "哦")],
        None,
        &[],
    ),
    (
        "after an anchor within 1 utterance",
        "phrases = [\"不归我们管\"]\nwithin = 1\n[rules.check.after]\nphrases = [\"投诉\"]\nwho = \"caller\"",
        &[HELLO, ('c', 3.5, 5.0, "我要投诉"), ('a', 5.5, 8.0, "这不归我们管")],
        None,
        &[Some(2)],
    ),
    (
        "must not: after an anchor, outside the window",
        "phrases = [\"不归我们管\"]\nwithin = 1\n[rules.check.after]\nphrases = [\"投诉\"]\nwho = \"caller\"",
        &[
            HELLO,
            ('c', 3.5, 5.0, "我要投诉"),
            ('a', 5.5, 8.0, "请讲"),
            ('c', 8.5, 9.0, "就是那个事"),
            ('a', 9.5, 12.0, "这不归我们管"),
        ],
        None,
        &[],
    ),
    (
        "must not: an anchor that comes later is not before",
        "phrases = [\"不归我们管\"]\n[rules.check.after]\nphrases = [\"投诉\"]\nwho = \"caller\"",
        &[HELLO, ('a', 3.5, 5.0, "这不归我们管"), ('c', 5.5, 8.0, "我要投诉")],
        None,
        &[],
    ),
    (
        "before an anchor within 5 seconds",
        "phrases = [\"还有其他问题吗\"]\nwithin_s = 5\n[rules.check.before]\nphrases = [\"再见\"]",
        &[HELLO, ('a', 5.5, 8.0, "还有其他问题吗"), ('a', 9.0, 10.0, "再见")],
        None,
        &[Some(1)],
    ),
    (
        "must not: before an anchor, too long before",
        "phrases = [\"还有其他问题吗\"]\nwithin_s = 5\n[rules.check.before]\nphrases = [\"再见\"]",
        &[HELLO, ('a', 5.5, 8.0, "还有其他问题吗"), ('a', 19.0, 20.0, "再见")],
        None,
        &[],
    ),
    (
        "not_after: a silence with no wait request before it",
        "metric = \"silence\"\nabove = 10\nwithin = 1\n[rules.check.not_after]\nlexicon = \"wait_requests\"",
        &[HELLO, ('c', 3.5, 5.0, "查一下我的工单"), ('a', 20.0, 22.0, "查到了")],
        None,
        &[Some(2)],
    ),
    (
        "must not: a silence after a wait request",
        "metric = \"silence\"\nabove = 10\nwithin = 1\n[rules.check.not_after]\nlexicon = \"wait_requests\"",
        &[HELLO, ('a', 3.5, 5.0, "请您稍等"), ('a', 20.0, 22.0, "查到了")],
        None,
        &[],
    ),
    (
        "speech rate above",
        "metric = \"speech_rate\"\nabove = 300",
        &[('a', 0.0, 1.0, "您好市长热线请问有什么可以帮到您")],
        None,
        &[None],
    ),
    (
        "must not: speech rate inside the band",
        "metric = \"speech_rate\"\nabove = 300",
        &[('a', 0.0, 5.0, "您好市长热线请问有什么可以帮到您")],
        None,
        &[],
    ),
    (
        "gap after the caller",
        "metric = \"gap\"\nabove = 5",
        &[HELLO, ('c', 3.5, 5.0, "路灯坏了"), ('a', 11.0, 12.0, "好的")],
        None,
        &[Some(2)],
    ),
    (
        "must not: a gap before the caller answers is not the agent's",
        "metric = \"gap\"\nabove = 5",
        &[HELLO, ('c', 13.5, 15.0, "路灯坏了"), ('a', 15.5, 16.0, "好的")],
        None,
        &[],
    ),
    (
        "overlap before the caller's end",
        "metric = \"overlap\"\nabove = 1",
        &[HELLO, ('c', 3.5, 8.0, "路灯坏了好几天了"), ('a', 6.0, 9.0, "哪里")],
        None,
        &[Some(2)],
    ),
    (
        "first agent utterance late",
        "metric = \"first_response\"\nabove = 3",
        &[('c', 0.5, 3.0, "喂"), ('a', 4.0, 6.0, "您好")],
        None,
        &[Some(1)],
    ),
    (
        "must not: first agent utterance in time",
        "metric = \"first_response\"\nabove = 3",
        &[HELLO],
        None,
        &[],
    ),
    (
        "call duration",
        "metric = \"duration\"\nabove = 10",
        &[HELLO, ('a', 5.5, 12.0, "好的")],
        None,
        &[None],
    ),
    (
        "the ticket's handling",
        "ticket = { handling = \"工单转办\" }",
        &[HELLO],
        Some(dispatched),
        &[None],
    ),
    (
        "must not: another handling",
        "ticket = { handling = \"直接办理\" }",
        &[HELLO],
        Some(dispatched),
        &[],
    ),
    (
        "must not: no ticket",
        "ticket = { handling = \"工单转办\" }",
        &[HELLO],
        None,
        &[],
    ),
    (
        "category in a list",
        "ticket = { category = [\"咨询\", \"求助\"] }",
        &[HELLO],
        Some(dispatched),
        &[None],
    ),
    (
        "a field empty",
        "ticket = { field = \"事件地点\", empty = true }",
        &[HELLO],
        Some(dispatched),
        &[None],
    ),
    (
        "must not: a filled field is not empty",
        "ticket = { field = \"caller_name\", empty = true }",
        &[HELLO],
        Some(dispatched),
        &[],
    ),
    (
        "content shorter than",
        "ticket = { field = \"content\", shorter_than = 10 }",
        &[HELLO],
        Some(dispatched),
        &[None],
    ),
    (
        "built-in: a number not in the directory",
        "builtin = \"number_not_in_directory\"",
        &[HELLO, ('c', 3.5, 5.0, "怎么联系"), ('a', 5.5, 9.0, "您可以拨打电话87654321咨询")],
        None,
        &[Some(2)],
    ),
    (
        "must not: a directory number",
        "builtin = \"number_not_in_directory\"",
        &[HELLO, ('c', 3.5, 5.0, "怎么联系"), ('a', 5.5, 9.0, "您可以拨打12348咨询")],
        None,
        &[],
    ),
    (
        "all: a ticket and words",
        "all = [ { ticket = { handling = \"工单转办\" } }, { phrases = [\"一定\"] } ]",
        &[HELLO, ('a', 5.5, 8.0, "一定处理")],
        Some(dispatched),
        &[Some(1)],
    ),
    (
        "must not: all with one part failing",
        "all = [ { ticket = { handling = \"直接办理\" } }, { phrases = [\"一定\"] } ]",
        &[HELLO, ('a', 5.5, 8.0, "一定处理")],
        Some(dispatched),
        &[],
    ),
    (
        "any: one part holding",
        "any = [ { phrases = [\"保证\"] }, { phrases = [\"一定\"] } ]",
        &[HELLO, ('a', 5.5, 8.0, "一定处理")],
        None,
        &[Some(1)],
    ),
    (
        "not: a phrase never said",
        "not = { phrases = [\"再见\"] }",
        &[HELLO],
        None,
        &[None],
    ),
    (
        "must not: not, the phrase said",
        "not = { phrases = [\"再见\"] }",
        &[HELLO, ('a', 5.5, 8.0, "再见")],
        None,
        &[],
    ),
];

#[test]
fn every_operator_catches_what_it_must_and_nothing_else() {
    let mut failed = Vec::new();
    for (name, check, rows, ticket, want) in CASES {
        let c = dial(rows);
        let t = ticket.map(|f| f());
        let got = found(&card(check), &c, t.as_ref());
        if got != *want {
            failed.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

const PROMISE: &str = "[[rules]]
id = \"communication.t\"
norm = \"沟通技巧\"
description = \"不得承诺办理结果\"
kind = \"must_not\"
words = true
per_finding = 2
check = { phrases = [\"保证\", \"一定处理\"] }
";

#[test]
fn findings_join_their_norm_with_evidence_and_per_finding_points() {
    let c = dial(&[
        HELLO,
        ('c', 3.5, 5.0, "路灯坏了"),
        ('a', 5.5, 8.0, "我保证，一定处理"),
        ('a', 8.5, 10.0, "感谢您的来电，再见！"),
    ]);
    let s = scorer(PROMISE).score(&c, None, &[]);
    let f: Vec<_> = s
        .findings
        .iter()
        .filter(|f| f.rule == "communication.t")
        .collect();
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].norm, NormId::Communication);
    assert_eq!(f[0].utterance_index, Some(2));
    assert_eq!(f[0].at_s, Some(5.5));
    assert_eq!(f[0].speaker, Some(Speaker::Agent));
    assert_eq!(f[0].excerpt, "我【保证】，一定处理");
    assert_eq!((f[0].points, f[1].points), (2.0, 2.0));
    assert_eq!(s.earned[NormId::Communication.index()], Some(6.0));
    // The interned id is the same string every time.
    let again = scorer(PROMISE).score(&c, None, &[]);
    assert!(std::ptr::eq(again.findings[0].rule, f[0].rule));
}

#[test]
fn points_cost_once_and_are_capped_by_what_the_norm_has_left() {
    let once = PROMISE.replace("per_finding = 2", "points = 3");
    let c = dial(&[HELLO, ('a', 5.5, 8.0, "我保证，一定处理")]);
    let s = scorer(&once).score(&c, None, &[]);
    let costs: Vec<f64> = s
        .findings
        .iter()
        .filter(|f| f.rule == "communication.t")
        .map(|f| f.points)
        .collect();
    assert_eq!(costs, vec![3.0, 0.0]);
    // Without points: as the norm deducts (all its 10 points at once).
    let norm_way = PROMISE.replace("per_finding = 2\n", "");
    let s = scorer(&norm_way).score(&c, None, &[]);
    assert_eq!(s.earned[NormId::Communication.index()], Some(0.0));
    // Capped: 4 findings of 3 points on a 10-point norm cost 3, 3, 3, 1.
    let each3 = PROMISE.replace("per_finding = 2", "per_finding = 3");
    let c = dial(&[HELLO, ('a', 5.5, 8.0, "保证保证保证保证")]);
    let s = scorer(&each3).score(&c, None, &[]);
    let costs: Vec<f64> = s
        .findings
        .iter()
        .filter(|f| f.rule == "communication.t")
        .map(|f| f.points)
        .collect();
    assert_eq!(costs, vec![3.0, 3.0, 3.0, 1.0]);
}

#[test]
fn a_red_line_rule_makes_the_call_zero_and_critical_is_kept() {
    let custom = |s: &crate::norms::ScoredCall| -> Finding {
        match s.findings.iter().find(|f| f.rule == "communication.t") {
            Some(f) => f.clone(),
            None => panic!("no finding of the rule: {:?}", s.findings),
        }
    };
    let red = PROMISE.replace("kind =", "severity = \"red_line\"\nkind =");
    let c = dial(&[HELLO, ('a', 5.5, 8.0, "我保证")]);
    let s = scorer(&red).score(&c, None, &[]);
    assert!(s.red_line);
    assert_eq!(s.score, 0.0);
    let crit = PROMISE.replace("kind =", "severity = \"critical\"\nkind =");
    let s = scorer(&crit).score(&c, None, &[]);
    assert!(!s.red_line);
    assert_eq!(custom(&s).severity, Severity::Critical);
}

#[test]
fn a_words_rule_in_an_uncertain_utterance_waits_for_review_and_a_metric_rule_does_not() {
    let mut c = dial(&[HELLO, ('a', 5.5, 8.0, "我保证")]);
    for u in &mut c.utterances {
        u.confidence = Some(0.9);
    }
    c.utterances[1].confidence = Some(0.4);
    let custom = |s: &crate::norms::ScoredCall| -> Finding {
        match s.findings.iter().find(|f| f.rule == "communication.t") {
            Some(f) => f.clone(),
            None => panic!("no finding of the rule: {:?}", s.findings),
        }
    };
    let s = scorer(PROMISE).score(&c, None, &[]);
    assert!(custom(&s).needs_review);
    assert_eq!(custom(&s).points, 0.0);
    let not_words = PROMISE.replace("words = true\n", "");
    let s = scorer(&not_words).score(&c, None, &[]);
    assert!(!custom(&s).needs_review);
    assert_eq!(custom(&s).points, 2.0);
}

#[test]
fn a_disabled_custom_rule_finds_nothing() {
    let off = format!("disabled_rules = [\"communication.t\"]\n{PROMISE}");
    let c = dial(&[HELLO, ('a', 5.5, 8.0, "我保证")]);
    let s = scorer(&off).score(&c, None, &[]);
    assert!(s.findings.iter().all(|f| f.rule != "communication.t"));
    // Must not: switched on, it finds the promise.
    let s = scorer(PROMISE).score(&c, None, &[]);
    assert!(s.findings.iter().any(|f| f.rule == "communication.t"));
}

const RECAP: &str = "[[rules]]
id = \"process.recap\"
norm = \"process\"
description = \"工单转办前要复述诉求\"
kind = \"must\"
when = { ticket = { handling = \"工单转办\" } }
check = { phrases = [\"您反映的是\"] }
";

#[test]
fn a_must_rule_is_violated_when_its_check_fails_and_assesses_its_norm_when_it_applies() {
    let without = dial(&[HELLO, ('a', 5.5, 8.0, "好的，再见")]);
    let with = dial(&[HELLO, ('a', 5.5, 8.0, "您反映的是路灯坏了")]);
    let t = dispatched();
    let s = scorer(RECAP).score(&without, Some(&t), &[]);
    let f: Vec<_> = s
        .findings
        .iter()
        .filter(|f| f.rule == "process.recap")
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].excerpt, "没有做到：工单转办前要复述诉求");
    assert_eq!(f[0].utterance_index, None);
    let s = scorer(RECAP).score(&with, Some(&t), &[]);
    assert!(s.findings.iter().all(|f| f.rule != "process.recap"));
    // Does not apply without a dispatched ticket: nothing found, and
    // process stays not assessed as without the rule.
    let s = scorer(RECAP).score(&without, None, &[]);
    assert!(s.findings.iter().all(|f| f.rule != "process.recap"));
    assert_eq!(s.earned[NormId::Process.index()], None);
}

#[test]
fn a_scorecard_with_rules_survives_the_trip_through_run_json() {
    let toml_text = format!("version = \"x\"\n{RECAP}{PROMISE}");
    let cfg = Config::parse(&toml_text, "t.toml").expect("parses");
    let written = toml::to_string(&cfg).expect("serialises");
    let back = Config::parse(&written, "run.json").expect("reads back");
    assert_eq!(back, cfg);
    // Without rules nothing new is written.
    let plain = toml::to_string(&Config::default()).expect("serialises");
    assert!(!plain.contains("[[rules]]"), "{plain}");
}

/// The message for a scorecard holding `rules`.
fn error(rules: &str) -> String {
    match Config::parse(rules, "评分表.toml") {
        Ok(_) => panic!("accepted:\n{rules}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_rule_that_cannot_compile_is_refused_with_file_line_and_key() {
    let base = "[[rules]]\nid = \"process.x\"\nnorm = \"process\"\ndescription = \"测试\"\nkind = \"must_not\"\n";
    for (case, rules, want) in [
        (
            "unknown operator",
            format!("{base}check = {{ builtin = \"magic\" }}\n"),
            "评分表 评分表.toml：第 6 行，键 rules[1].check.builtin：规则 process.x：没有“magic”这个内置算子",
        ),
        (
            "bad regex",
            format!("{base}check = {{ phrases = [\"好\", \"re:([\"] }}\n"),
            "第 6 行，键 rules[1].check.phrases：规则 process.x：第 2 项：正则表达式",
        ),
        (
            "missing lexicon file",
            format!("{base}check = {{ lexicon = \"没有这个词表.txt\" }}\n"),
            "第 6 行，键 rules[1].check.lexicon：规则 process.x：读不了词表文件 没有这个词表.txt",
        ),
        (
            "unknown norm key",
            base.replace("norm = \"process\"", "norm = \"speed\"") + "check = { phrases = [\"好\"] }\n",
            "第 3 行，键 rules[1].norm：规则 process.x：“speed”不是评分项",
        ),
        (
            "duplicate id",
            format!("{base}check = {{ phrases = [\"好\"] }}\n{base}check = {{ phrases = [\"好\"] }}\n"),
            "第 8 行，键 rules[2].id：规则 process.x：规则编号“process.x”和第 1 条规则重复",
        ),
        (
            "id of a built-in rule",
            base.replace("process.x", "process.legal_dispatched") + "check = { phrases = [\"好\"] }\n",
            "第 2 行，键 rules[1].id：规则 process.legal_dispatched：“process.legal_dispatched”是内置规则的编号",
        ),
        (
            "id not under its norm",
            base.replace("process.x", "taboo.x") + "check = { phrases = [\"好\"] }\n",
            "键 rules[1].id：规则 taboo.x：规则编号“taboo.x”应写成 评分项键.名字",
        ),
        (
            "points over the norm's",
            format!("{base}points = 20\ncheck = {{ phrases = [\"好\"] }}\n"),
            "第 6 行，键 rules[1].points：规则 process.x：20 超过了评分项 执行流程（process）的满分 15",
        ),
        (
            "unknown metric",
            format!("{base}check = {{ metric = \"loudness\", above = 1 }}\n"),
            "键 rules[1].check.metric：规则 process.x：没有“loudness”这个指标",
        ),
        (
            "two operators in one condition",
            format!("{base}check = {{ phrases = [\"好\"], metric = \"gap\", above = 1 }}\n"),
            "键 rules[1].check：规则 process.x：一个条件只能用一种算子",
        ),
        (
            "unknown kind",
            base.replace("must_not", "should") + "check = { phrases = [\"好\"] }\n",
            "第 5 行，键 rules[1].kind：规则 process.x：“should”应为 must",
        ),
        (
            "a bad ticket value",
            format!("{base}check = {{ ticket = {{ handling = \"转办\" }} }}\n"),
            "键 rules[1].check.ticket.handling：规则 process.x：“转办”不是办理方式的值",
        ),
        (
            "an unknown built-in parameter",
            format!("{base}check = {{ builtin = \"number_given\", params = {{ window = 3 }} }}\n"),
            "键 rules[1].check.params.window：规则 process.x：这个内置算子没有参数 window",
        ),
        (
            "a nested bad regex names its path",
            format!("{base}[rules.check]\nphrases = [\"好\"]\n[rules.check.after]\nphrases = [\"re:(\"]\n"),
            "第 9 行，键 rules[1].check.after.phrases：",
        ),
    ] {
        let e = error(&rules);
        assert!(e.contains(want), "{case}: {e}");
    }
    // An unknown key inside a rule: the TOML reader names line and key.
    let e = error(&format!(
        "{base}colour = 1\ncheck = {{ phrases = [\"好\"] }}\n"
    ));
    assert!(e.contains("第 6 行，键 rules[1].colour"), "{e}");
}

#[test]
fn a_rule_lexicon_file_is_read_relative_to_the_scorecard() {
    let dir = std::env::temp_dir().join(format!("hq-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("承诺.txt"), "# 承诺\n保证\n!保证金\n").expect("write");
    let card = dir.join("card.toml");
    std::fs::write(
        &card,
        "[[rules]]\nid = \"communication.t\"\nnorm = \"communication\"\ndescription = \"承诺\"\nkind = \"must_not\"\ncheck = { lexicon = \"承诺.txt\" }\n",
    )
    .expect("write");
    let cfg = Config::load(&card).expect("loads");
    let s = Scorer::new(cfg, Directory::builtin()).expect("scorer");
    let c = dial(&[HELLO, ('a', 5.5, 8.0, "保证金不退，我保证")]);
    let f: Vec<_> = s
        .score(&c, None, &[])
        .findings
        .into_iter()
        .filter(|f| f.rule == "communication.t")
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].excerpt, "保证金不退，我【保证】");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_commented_example_in_the_default_scorecard_compiles() {
    let text = crate::config::DEFAULT_TOML;
    let Some(at) = text.find("# [[rules]]") else {
        panic!("default-config.toml has no [[rules]] example");
    };
    let example: String = text[at..]
        .lines()
        .map_while(|l| l.strip_prefix("# "))
        .map(|l| format!("{l}\n"))
        .collect();
    let cfg = Config::parse(&example, "default-config.toml").expect("the example compiles");
    assert_eq!(cfg.rules.len(), 1);
    assert_eq!(cfg.rules[0].id, "process.no_time_limit");
}

#[test]
fn the_default_scorecard_writes_the_eleven_norms_as_op_rules_of_the_engine() {
    // The text `hotline-qa config` prints lists the eleven norms as
    // `[[rules]]` with `op`, in the order their findings are listed.
    let raw: toml::Table = toml::from_str(crate::config::DEFAULT_TOML).expect("toml");
    let ops: Vec<String> = raw["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r.get("op").and_then(|o| o.as_str()).map(String::from))
        .collect();
    let keys: Vec<String> = NormId::ALL.iter().map(|n| n.key().to_string()).collect();
    assert_eq!(ops, keys);
    // What Config::default() compiles runs them, in that order, as the
    // one path of the scorer; the parsed default is Config::default().
    let parsed = Config::parse(crate::config::DEFAULT_TOML, "default-config.toml").expect("ok");
    assert_eq!(parsed, Config::default());
    let set = RuleSet::compile(&Config::default()).expect("compiles");
    assert_eq!(set.norm_rules().collect::<Vec<_>>(), NormId::ALL.to_vec());
    let names: Vec<&str> = ops::NORMS.iter().map(|r| r.name).collect();
    assert_eq!(names, keys);
    assert!(NormId::ALL.iter().all(|n| ops::NORMS
        .iter()
        .any(|r| r.norm == *n && r.name == n.key() && !r.description.is_empty())));
}

#[test]
fn a_scorecard_writing_the_op_rules_records_and_scores_as_one_that_does_not() {
    let written = "[[rules]]\nnorm = \"taboo\"\nop = \"taboo\"\n[[rules]]\nid = \"greeting\"\nnorm = \"报读开头语\"\nop = \"greeting\"\ndescription = \"开头语\"\n";
    let cfg = Config::parse(written, "t.toml").expect("accepted");
    assert_eq!(cfg, Config::default());
    assert_eq!(
        toml::to_string(&cfg).expect("toml"),
        toml::to_string(&Config::default()).expect("toml")
    );
    let c = dial(&[
        ('a', 0.5, 3.0, "喂，什么事？"),
        ('c', 3.5, 6.0, "路灯坏了。"),
    ]);
    let with = scorer(written).score(&c, None, &[]);
    let without = scorer("").score(&c, None, &[]);
    assert_eq!(with, without);
    assert!(with
        .findings
        .iter()
        .any(|f| f.rule == "greeting.missing_part"));
}

#[test]
fn a_norm_left_out_of_the_items_or_switched_off_is_not_run_by_its_operator() {
    let off = Config::parse("[norms.greeting]\nenabled = false\n", "t.toml").expect("ok");
    let set = RuleSet::compile(&off).expect("compiles");
    assert!(!set.runs(NormId::Greeting));
    assert!(set.runs(NormId::Closing));
    assert_eq!(set.norm_rules().count(), 10);
    let c = dial(&[
        ('a', 0.5, 3.0, "喂，什么事？"),
        ('c', 3.5, 6.0, "路灯坏了。"),
    ]);
    let s = scorer("[norms.greeting]\nenabled = false\n");
    assert!(s
        .outcomes(&c, None)
        .iter()
        .all(|(n, _)| *n != NormId::Greeting));
    // The benchmarks' single-norm check still runs it.
    assert!(matches!(
        s.check_norm(NormId::Greeting, &c, None),
        Outcome::Assessed(f) if !f.is_empty()
    ));
}

#[test]
fn a_bad_op_rule_is_refused_with_file_line_and_key() {
    for (case, rules, want) in [
        (
            "unknown operator",
            "[[rules]]\nnorm = \"greeting\"\nop = \"hello\"\n",
            "第 3 行，键 rules[1].op：没有“hello”这个评分项算子，可用的：greeting、closing",
        ),
        (
            "operator of another norm",
            "[[rules]]\nnorm = \"closing\"\nop = \"greeting\"\n",
            "第 2 行，键 rules[1].norm：op = \"greeting\" 是评分项 greeting（报读开头语）的检查，norm 请写 \"greeting\"",
        ),
        (
            "a condition on an op rule",
            "[[rules]]\nnorm = \"greeting\"\nop = \"greeting\"\nkind = \"must\"\n",
            "第 4 行，键 rules[1].kind：评分项 greeting 的内置检查（op）只写 norm 和 op",
        ),
        (
            "points on an op rule",
            "[[rules]]\nnorm = \"greeting\"\nop = \"greeting\"\npoints = 3\n",
            "第 4 行，键 rules[1].points：评分项 greeting 的内置检查（op）只写 norm 和 op（可加 id、description）：分值、阈值和开关在 [norms.greeting] 里改",
        ),
        (
            "id other than the norm key",
            "[[rules]]\nid = \"greeting.all\"\nnorm = \"greeting\"\nop = \"greeting\"\n",
            "第 2 行，键 rules[1].id：规则 greeting.all：评分项 greeting 的内置检查，id 请写 \"greeting\" 或不写",
        ),
        (
            "written twice",
            "[[rules]]\nnorm = \"greeting\"\nop = \"greeting\"\n[[rules]]\nnorm = \"greeting\"\nop = \"greeting\"\n",
            "第 6 行，键 rules[2].op：评分项 greeting 的内置检查前面已经写过一次",
        ),
        (
            "norm dropped from the items",
            "[[items]]\nkey = \"closing\"\npoints = 100\n[[rules]]\nnorm = \"greeting\"\nop = \"greeting\"\n",
            "键 rules[1].norm：“greeting”不是本评分表的评分项：op = \"greeting\" 要求 [[items]] 里有 greeting",
        ),
        (
            "a custom rule without kind",
            "[[rules]]\nid = \"process.x\"\nnorm = \"process\"\ndescription = \"测试\"\ncheck = { phrases = [\"好\"] }\n",
            "键 rules[1].kind：规则 process.x：请写 kind = \"must\"",
        ),
        (
            "disabling an op rule by its id",
            "disabled_rules = [\"greeting\"]\n[[rules]]\nid = \"greeting\"\nnorm = \"greeting\"\nop = \"greeting\"\n",
            "键 disabled_rules：没有“greeting”这条规则",
        ),
    ] {
        let got = error(rules);
        assert!(got.contains(want), "{case}: {got}");
    }
    // Must not: a custom rule without a check still names the check.
    let got = error("[[rules]]\nid = \"process.x\"\nnorm = \"process\"\ndescription = \"测试\"\nkind = \"must\"\n");
    assert!(
        got.contains("rules[1].check：") && got.contains("条件里没有要查的东西"),
        "{got}"
    );
}

#[test]
fn the_core_scorer_and_the_rule_engine_do_not_import_the_review_feature() {
    // Reviews are applied to scored calls (`review::scored`): the scorer,
    // the norms and the rules (their code, tests aside) never reach into
    // `crate::review`.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for dir in ["norms", "rules", "rules/ops"] {
        for e in std::fs::read_dir(root.join(dir)).expect("src dir") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("tests.rs") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 20, "{files:?}");
    for p in files {
        let text = std::fs::read_to_string(&p).expect("source");
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        assert!(
            !code.contains("crate::review") && !code.contains("review::"),
            "{} imports the review feature",
            p.display()
        );
    }
}

#[test]
fn a_custom_rule_named_like_a_reviewers_addition_is_refused() {
    let got = error("[[rules]]\nid = \"taboo.manual\"\nnorm = \"taboo\"\ndescription = \"测试\"\nkind = \"must_not\"\ncheck = { phrases = [\"好\"] }\n");
    assert!(got.contains("“taboo.manual”是内置规则的编号"), "{got}");
    // Must not: the same name under another word is a rule of its own.
    assert!(Config::parse(
        "[[rules]]\nid = \"taboo.manual_x\"\nnorm = \"taboo\"\ndescription = \"测试\"\nkind = \"must_not\"\ncheck = { phrases = [\"好\"] }\n",
        "t.toml"
    )
    .is_ok());
}
