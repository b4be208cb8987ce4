//! The README cookbook's five custom rules (docs/examples/自定义规则.toml),
//! end to end: each catches the dialogue the README shows it catching and
//! not the one it must not; and the tools follow the custom ids (`score`'s
//! findings.csv, `rules --config`, `try-rule`, `try-rule --run`,
//! reviews.csv).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use hotline_qa::config::Config;
use hotline_qa::lexicon::directory::Directory;
use hotline_qa::model::{Handling, Ticket};
use hotline_qa::norms::Scorer;
use hotline_qa::review::try_rule::parse_dialogue;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cookbook() -> PathBuf {
    root().join("docs/examples/自定义规则.toml")
}

fn scorer() -> Scorer {
    let cfg = match Config::load(&cookbook()) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    match Scorer::new(cfg, Directory::builtin()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn dispatched() -> Ticket {
    Ticket {
        ticket_id: "T1".into(),
        call_id: Some("try-rule".into()),
        handling_raw: "工单转办".into(),
        handling: Some(Handling::Dispatch),
        category_raw: "求助".into(),
        category: Some(hotline_qa::model::Category::Help),
        content: "幸福小区三号楼路灯坏了好几天".into(),
        ..Ticket::default()
    }
}

/// The rule ids the cookbook scorecard finds in `dialogue`.
fn rules_found(s: &Scorer, dialogue: &str, ticket: Option<&Ticket>) -> Vec<&'static str> {
    let call = match parse_dialogue(dialogue, "test") {
        Ok(c) => c,
        Err(e) => panic!("{e:#}\n{dialogue}"),
    };
    s.score(&call, ticket, &[])
        .findings
        .iter()
        .map(|f| f.rule)
        .collect()
}

/// (rule, dialogue it catches, dialogue it must not, with a dispatched ticket).
const COOKBOOK: [(&str, &str, &str, bool); 5] = [
    (
        "communication.recap_demand",
        "坐席：您好！市长热线，请问有什么可以帮到您？
来电人：我家楼下的路灯坏了好几天了
坐席：好的，请问在哪个小区
来电人：幸福小区三号楼
坐席：感谢您的来电，再见！",
        "坐席：您好！市长热线，请问有什么可以帮到您？
来电人：我家楼下的路灯坏了好几天了
坐席：好的，请问在哪个小区
来电人：幸福小区三号楼
坐席：您反映的是幸福小区三号楼的路灯坏了，对吧
来电人：对
坐席：感谢您的来电，再见！",
        true,
    ),
    (
        "process.no_time_limit",
        "坐席：您好！市长热线，请问有什么可以帮到您？
来电人：我家楼下的路灯坏了
坐席：好的，我们会转给相关单位处理
坐席：感谢您的来电，再见！",
        "坐席：您好！市长热线，请问有什么可以帮到您？
来电人：我家楼下的路灯坏了
坐席：好的，我们转给相关单位，三到五个工作日内给您回复
坐席：感谢您的来电，再见！",
        true,
    ),
    (
        "communication.promise_result",
        "坐席：您好！市长热线，请问有什么可以帮到您？
来电人：这个事你们到底管不管
坐席：您放心，我保证给您解决
坐席：感谢您的来电，再见！",
        "坐席：您好！市长热线，请问有什么可以帮到您？
来电人：押金什么时候退，你能保证吗
坐席：保证金的事我不能保证，我们会尽快转给单位核实
坐席：感谢您的来电，再见！",
        false,
    ),
    (
        "attitude.silence_without_wait",
        "[00:00-00:03] 坐席：您好！市长热线，请问有什么可以帮到您？
[00:04-00:07] 来电人：我想问一下上周反映的事
[00:08-00:10] 坐席：好的
[00:22-00:25] 坐席：查到了，已经在办理了
[00:26-00:28] 坐席：感谢您的来电，再见！",
        "[00:00-00:03] 坐席：您好！市长热线，请问有什么可以帮到您？
[00:04-00:07] 来电人：我想问一下上周反映的事
[00:08-00:10] 坐席：好的，请您稍等，我查一下
[00:22-00:25] 坐席：查到了，已经在办理了
[00:26-00:28] 坐席：感谢您的来电，再见！",
        false,
    ),
    (
        "process.ask_name_and_number",
        "坐席：您好！市长热线，请问有什么可以帮到您？
来电人：我家楼下的路灯坏了
坐席：请问您怎么称呼
来电人：姓张
坐席：感谢您的来电，再见！",
        "坐席：您好！市长热线，请问有什么可以帮到您？
来电人：我家楼下的路灯坏了
坐席：请问您怎么称呼，留一个联系电话
来电人：姓张，13800001111
坐席：感谢您的来电，再见！",
        true,
    ),
];

#[test]
fn each_cookbook_rule_catches_its_dialogue_and_not_the_other() {
    let s = scorer();
    let t = dispatched();
    for (rule, catches, must_not, with_ticket) in COOKBOOK {
        let ticket = with_ticket.then_some(&t);
        let hit = rules_found(&s, catches, ticket);
        assert!(
            hit.contains(&rule),
            "{rule} should catch:\n{catches}\n{hit:?}"
        );
        let miss = rules_found(&s, must_not, ticket);
        assert!(
            !miss.contains(&rule),
            "{rule} must not catch:\n{must_not}\n{miss:?}"
        );
    }
}

#[test]
fn the_dispatch_rules_do_not_apply_without_a_dispatched_ticket() {
    let s = scorer();
    let (_, catches, _, _) = COOKBOOK[1];
    assert!(!rules_found(&s, catches, None).contains(&"process.no_time_limit"));
    let direct = Ticket {
        handling_raw: "直接办理".into(),
        handling: Some(Handling::Direct),
        ..dispatched()
    };
    assert!(!rules_found(&s, catches, Some(&direct)).contains(&"process.no_time_limit"));
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run hotline-qa");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn samples(name: &str) -> PathBuf {
    root().join("samples").join(name)
}

fn score(out: &Path, config: Option<&Path>) {
    let mut cmd = bin();
    cmd.arg("score")
        .arg(samples("calls.jsonl"))
        .arg(samples("tickets.csv"))
        .arg("--directory")
        .arg(samples("directory.csv"))
        .arg("--out")
        .arg(out)
        .arg("--as-of")
        .arg("2026-11-28T00:00:00+08:00");
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    run_ok(&mut cmd);
}

#[test]
fn custom_rule_ids_go_through_score_rules_and_try_rule() {
    let tmp = tempfile::tempdir().expect("tmp");
    let base = tmp.path().join("base");
    let custom = tmp.path().join("custom");
    score(&base, None);
    score(&custom, Some(&cookbook()));
    // findings.csv carries the custom ids, and the built-in findings stay.
    let plain = std::fs::read_to_string(base.join("findings.csv")).expect("findings");
    let with = std::fs::read_to_string(custom.join("findings.csv")).expect("findings");
    assert!(!plain.contains("process.no_time_limit"));
    assert!(with.contains("process.no_time_limit"), "{with}");
    for line in plain.lines().skip(1) {
        assert!(
            with.contains(line),
            "a built-in finding went missing: {line}"
        );
    }
    // `rules --config` lists them after the built-in ones, marked.
    let listed = run_ok(bin().arg("rules").arg("--config").arg(cookbook()));
    let builtin = run_ok(bin().arg("rules"));
    assert!(listed.starts_with(&builtin));
    assert!(
        listed.contains("自定义·执行流程：工单转办时没有告知办理时限"),
        "{listed}"
    );
    // try-rule on the whole run: how many calls, examples with evidence.
    let tried = run_ok(
        bin()
            .arg("try-rule")
            .arg("--config")
            .arg(cookbook())
            .arg("--run")
            .arg(&base),
    );
    assert!(tried.contains("新增命中的通话："), "{tried}");
    assert!(tried.contains("process.no_time_limit："), "{tried}");
    assert!(tried.contains("例子（前 "), "{tried}");
    // Must not: the same scorecard on both sides finds no difference.
    let same = run_ok(
        bin()
            .arg("try-rule")
            .arg("--config")
            .arg(cookbook())
            .arg("--baseline")
            .arg(cookbook())
            .arg("--run")
            .arg(&base),
    );
    assert!(same.contains("新增命中的通话：0 通"), "{same}");
    // try-rule on a pasted dialogue shows the custom rule's description.
    let dialogue = tmp.path().join("d.txt");
    std::fs::write(&dialogue, COOKBOOK[2].1).expect("write");
    let one = run_ok(
        bin()
            .arg("try-rule")
            .arg(&dialogue)
            .arg("--config")
            .arg(cookbook()),
    );
    assert!(
        one.contains("规则：向来电人承诺办理结果（保证、肯定给您解决、一定处理）"),
        "{one}"
    );
}

#[test]
fn reviews_and_rescore_accept_custom_rule_ids() {
    let tmp = tempfile::tempdir().expect("tmp");
    let custom = tmp.path().join("custom");
    score(&custom, Some(&cookbook()));
    let findings = std::fs::read_to_string(custom.join("findings.csv")).expect("findings");
    let header: Vec<&str> = findings.lines().next().unwrap_or("").split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}') == name)
    };
    let (Some(c_call), Some(c_rule), Some(c_utt)) =
        (col("call_id"), col("rule"), col("utterance_index"))
    else {
        panic!("findings.csv header: {header:?}");
    };
    let row = findings
        .lines()
        .find(|l| l.contains("process.no_time_limit"))
        .expect("a custom finding");
    let cells: Vec<&str> = row.split(',').collect();
    let reviews = tmp.path().join("reviews.csv");
    std::fs::write(
        &reviews,
        format!(
            "call_id,rule,utterance_index,verdict,reviewer\n{},{},{},dismissed,李\n",
            cells[c_call], cells[c_rule], cells[c_utt]
        ),
    )
    .expect("write");
    let reviewed = tmp.path().join("reviewed");
    let mut cmd = bin();
    cmd.arg("score")
        .arg(samples("calls.jsonl"))
        .arg(samples("tickets.csv"))
        .arg("--directory")
        .arg(samples("directory.csv"))
        .arg("--config")
        .arg(cookbook())
        .arg("--reviews")
        .arg(&reviews)
        .arg("--out")
        .arg(&reviewed)
        .arg("--as-of")
        .arg("2026-11-28T00:00:00+08:00");
    run_ok(&mut cmd);
    let rejects = std::fs::read_to_string(reviewed.join("rejects.csv")).unwrap_or_default();
    assert!(
        !rejects.contains("不是已知规则"),
        "a custom id in reviews.csv was refused: {rejects}"
    );
    let out = std::fs::read_to_string(reviewed.join("findings.csv")).expect("findings");
    assert!(
        out.lines()
            .any(|l| l.contains("process.no_time_limit") && l.contains("dismissed")),
        "{out}"
    );
    // calibrate reads the custom id from the run's own scorecard.
    let cal = tmp.path().join("cal");
    run_ok(
        bin()
            .arg("calibrate")
            .arg("--reviews")
            .arg(&reviews)
            .arg(&reviewed)
            .arg("--out")
            .arg(&cal),
    );
    let table = std::fs::read_to_string(cal.join("calibration.csv")).expect("calibration");
    assert!(table.contains("process.no_time_limit"), "{table}");
    // rescore without the custom rules: the diff names the rule that went.
    let plain_card = tmp.path().join("plain.toml");
    std::fs::write(&plain_card, "version = \"无自定义\"\n").expect("write");
    let re = tmp.path().join("re");
    run_ok(
        bin()
            .arg("rescore")
            .arg(&custom)
            .arg("--config")
            .arg(&plain_card)
            .arg("--out")
            .arg(&re),
    );
    let diff = std::fs::read_to_string(re.join("diff_rules.csv")).expect("diff_rules");
    assert!(diff.contains("process.no_time_limit"), "{diff}");
}

#[test]
fn rules_are_compiled_once_when_a_scorecard_is_read_and_scored() {
    let path = root().join("tests/data/centre/评分表.toml");
    let before = hotline_qa::rules::compile_count();
    let cfg = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    // Reading checks every rule, so that a bad one is refused before any
    // input is read: that is the one compile.
    assert_eq!(hotline_qa::rules::compile_count(), before + 1);
    // The scorer (a run clones the scorecard into it) uses those rules.
    let s = match Scorer::new(cfg.clone(), Directory::builtin()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(hotline_qa::rules::compile_count(), before + 1);
    let has = |s: &Scorer| {
        s.rules()
            .infos()
            .iter()
            .any(|r| r.id == "urgent_notice.say_urgent")
    };
    assert!(has(&s));
    // Must not: a scorecard changed after reading is compiled afresh, never
    // judged with the rules of the scorecard it was.
    let mut changed = cfg;
    changed.rules.retain(|r| r.id != "urgent_notice.say_urgent");
    changed.items.retain(|i| i.key != "urgent_notice");
    // The points freed by the dropped item go to the first one, so that
    // the changed scorecard still adds up to 100.
    changed.items[0].points = Some(10.0 + 5.0);
    let s = match Scorer::new(changed, Directory::builtin()) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(hotline_qa::rules::compile_count(), before + 2);
    assert!(!has(&s));
}

// Each kind of bad rule in a centre's own scorecard (tests/data/centre) is
// refused by `score` before any input is read: the input named does not
// exist, so a message about the scorecard shows the scorecard was checked
// first, and no output folder is made.

/// The centre's scorecard with `from` replaced by `to`, refused by `score`:
/// the message.
fn refused_by_score(from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(root().join("tests/data/centre/评分表.toml")).expect("card");
    assert!(text.contains(from), "{from}");
    let tmp = tempfile::tempdir().expect("tmp");
    let card = tmp.path().join("本中心.toml");
    std::fs::write(&card, text.replacen(from, to, 1)).expect("write");
    let out_dir = tmp.path().join("out");
    let out = bin()
        .arg("score")
        .arg(tmp.path().join("没有这个文件.jsonl"))
        .arg("--config")
        .arg(&card)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(!out_dir.exists(), "an output folder was made");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("评分表 ") && err.contains("本中心.toml"),
        "{err}"
    );
    assert!(
        !err.contains("没有这个文件"),
        "the input was read first: {err}"
    );
    err
}

const URGENT_CHECK: &str = "check = { phrases = [\"加急\"] }";

#[test]
fn a_rule_with_an_unknown_operator_is_refused_before_input() {
    let e = refused_by_score(URGENT_CHECK, "check = { builtin = \"magic\" }");
    assert!(e.contains("第 100 行，键 rules[5].check.builtin：规则 urgent_notice.say_urgent：没有“magic”这个内置算子"), "{e}");
}

#[test]
fn a_rule_with_a_bad_pattern_is_refused_before_input() {
    let e = refused_by_score(URGENT_CHECK, "check = { phrases = [\"re:加急(\"] }");
    assert!(e.contains("第 100 行，键 rules[5].check.phrases：规则 urgent_notice.say_urgent：第 1 项：正则表达式 `加急(` 写错了"), "{e}");
}

#[test]
fn a_rule_with_a_missing_lexicon_file_is_refused_before_input() {
    let e = refused_by_score(URGENT_CHECK, "check = { lexicon = \"加急词表.txt\" }");
    assert!(
        e.contains(
            "第 100 行，键 rules[5].check.lexicon：规则 urgent_notice.say_urgent：读不了词表文件"
        ),
        "{e}"
    );
    assert!(e.contains("加急词表.txt"), "{e}");
}

#[test]
fn a_rule_with_an_undefined_norm_key_is_refused_before_input() {
    // The item then has no rule: the message names the rule whose norm is
    // misspelt, not only the item.
    let e = refused_by_score("norm = \"quick_answer\"", "norm = \"quick\"");
    assert!(
        e.contains("键 items[9].key：新评分项 quick_answer（及时应答）没有规则"),
        "{e}"
    );
    assert!(
        e.contains("第 4 条规则 quick_answer.first_response 写的 norm = \"quick\" 不是评分项"),
        "{e}"
    );
    // A rule on an item the scorecard does not list at all.
    let e = refused_by_score("norm = \"报工号\"", "norm = \"attitude\"");
    assert!(
        e.contains("rules[2].norm") || e.contains("第 2 条规则 staff_id.first_two"),
        "{e}"
    );
}

#[test]
fn items_whose_points_do_not_add_up_are_refused_before_input() {
    let e = refused_by_score(
        "key = \"greeting\"\npoints = 10",
        "key = \"greeting\"\npoints = 15",
    );
    assert!(
        e.contains("第 5 行，键 items：各评分项的分值合计应为 100，现在是 105"),
        "{e}"
    );
}

#[test]
fn a_rule_with_an_unknown_field_is_refused_before_input() {
    let e = refused_by_score(
        URGENT_CHECK,
        "check = { ticket = { field = \"颜色\", empty = true } }",
    );
    assert!(e.contains("第 100 行，键 rules[5].check.ticket.field：规则 urgent_notice.say_urgent：没有“颜色”这个工单字段"), "{e}");
    // An unknown key in a rule's condition: the TOML reader's error names
    // the rule's number too.
    let e = refused_by_score(URGENT_CHECK, "check = { phrases = [\"加急\"], colour = 1 }");
    assert!(
        e.contains("第 100 行，键 rules[5].check：没有 colour 这个键"),
        "{e}"
    );
}

#[test]
fn the_tools_follow_a_centres_own_rules() {
    let centre = |f: &str| root().join("tests/data/centre").join(f);
    let card = centre("评分表.toml");
    let tmp = tempfile::tempdir().expect("tmp");
    let run = tmp.path().join("run");
    run_ok(
        bin()
            .arg("score")
            .arg(centre("calls.jsonl"))
            .arg(centre("tickets.csv"))
            .arg("--out")
            .arg(&run)
            .arg("--quiet"),
    );
    let new = [
        "no_promise.guarantee",
        "staff_id.first_two",
        "complaint_ack.record",
        "quick_answer.first_response",
        "urgent_notice.say_urgent",
    ];
    // rules: every rule of the scorecard with its description; dropped
    // norms' rules are not listed.
    let listed = run_ok(bin().arg("rules").arg("--config").arg(&card));
    for id in new {
        assert!(
            listed
                .lines()
                .any(|l| l.starts_with(id) && l.contains("自定义·")),
            "{id}: {listed}"
        );
    }
    assert!(
        listed.contains("向来电人打包票（包您满意、绝对解决）"),
        "{listed}"
    );
    assert!(!listed.contains("attitude."), "{listed}");
    // try-rule on the whole run (made under the default scorecard): calls
    // hit per new rule, as many as labelled, and five examples.
    let tried = run_ok(
        bin()
            .arg("try-rule")
            .arg("--config")
            .arg(&card)
            .arg("--run")
            .arg(&run),
    );
    let labelled = common::table(&centre("expected.csv"));
    for id in new {
        let n = labelled.iter().filter(|r| r["rule"] == id).count();
        assert!(
            tried.contains(&format!("{id}：{n} 通电话")),
            "{id} {n}: {tried}"
        );
    }
    assert_eq!(tried.matches("  通话 DH-").count(), 5, "{tried}");
    // rescore the run with the centre's scorecard: the per-rule diff lists
    // the new rules.
    let re = tmp.path().join("rescored");
    run_ok(
        bin()
            .arg("rescore")
            .arg(&run)
            .arg("--config")
            .arg(&card)
            .arg("--out")
            .arg(&re),
    );
    let diff = std::fs::read_to_string(re.join("diff_rules.csv")).expect("diff_rules.csv");
    for id in new {
        assert!(diff.contains(id), "{id}: {diff}");
    }
    // calibrate per rule id, a custom one included.
    let reviews = tmp.path().join("reviews.csv");
    std::fs::write(
        &reviews,
        "call_id,norm,rule,utterance_index,verdict,appeal,reviewer,comment\n\
         DH-002,no_promise,no_promise.guarantee,7,confirmed,,李敏,\n\
         DH-004,no_promise,no_promise.guarantee,11,dismissed,,李敏,\n",
    )
    .expect("write reviews");
    run_ok(
        bin()
            .arg("calibrate")
            .arg("--reviews")
            .arg(&reviews)
            .arg("--config")
            .arg(&card)
            .arg(&re),
    );
    let cal = common::table(&re.join("calibration.csv"));
    let row = cal
        .iter()
        .find(|r| r["rule"] == "no_promise.guarantee")
        .unwrap_or_else(|| panic!("{cal:?}"));
    assert_eq!(
        (
            row["reviewed"].as_str(),
            row["confirmed"].as_str(),
            row["dismissed"].as_str()
        ),
        ("2", "1", "1")
    );
    assert_eq!(row["precision"], "0.500");
}
