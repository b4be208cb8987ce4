//! End-to-end tests of `hotline-qa try-rule`, run as a QA lead would: copy
//! the forbidden-phrase lexicon, add a phrase, point a scorecard at it, and
//! try it on a dialogue given as a file or pasted on standard input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The phrase the QA lead adds. Not an entry of the built-in lexicons (the
/// built-in forbidden list only has it inside 这是规定我没办法).
const NEW_PHRASE: &str = "没办法";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hotline-qa"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A folder with `my-forbidden.txt` (the built-in list plus [`NEW_PHRASE`])
/// and `new.toml` pointing at it.
fn changed_scorecard() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tmp");
    let builtin =
        std::fs::read_to_string(root().join("lexicons/forbidden.txt")).expect("built-in lexicon");
    assert!(
        !builtin.lines().any(|l| l.trim() == NEW_PHRASE),
        "{NEW_PHRASE} is already a built-in forbidden phrase: pick another"
    );
    std::fs::write(
        dir.path().join("my-forbidden.txt"),
        format!("{builtin}\n# 新加\n{NEW_PHRASE}\n"),
    )
    .expect("lexicon");
    let config = dir.path().join("new.toml");
    std::fs::write(
        &config,
        "version = \"试用-没办法\"\n\n[lexicons]\nforbidden = \"my-forbidden.txt\"\n",
    )
    .expect("config");
    (dir, config)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

fn run(args: &[&std::ffi::OsStr], stdin: Option<&str>) -> Output {
    let mut cmd = bin();
    cmd.arg("try-rule").args(args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run hotline-qa");
    {
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("wait")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The part of the output after 「新增命中」 and before 「不再命中」.
fn added_section(out: &str) -> &str {
    let start = out.find("新增命中").expect("新增命中 section");
    let end = out.find("不再命中").expect("不再命中 section");
    &out[start..end]
}

const WITH_PHRASE: &str = "\
# 市民反映垃圾清运
坐席：您好！市长热线，请问有什么可以帮到您？
来电人：我们小区门口的垃圾好几天没人清了。
坐席：这个我们也没办法，您再等等吧。
来电人：那好吧。
坐席：感谢您的来电，再见！
";

const WITHOUT_PHRASE: &str = "\
坐席：您好！市长热线，请问有什么可以帮到您？
来电人：我们小区门口的垃圾好几天没人清了。
坐席：好的，我马上帮您反映给城管部门，请问是哪个小区？
来电人：阳光小区。
坐席：感谢您的来电，再见！
";

#[test]
fn new_phrase_shows_under_added() {
    let (dir, config) = changed_scorecard();
    let dialogue = write(dir.path(), "d.txt", WITH_PHRASE);
    let o = run(
        &[
            "--config".as_ref(),
            config.as_os_str(),
            dialogue.as_os_str(),
        ],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.contains("    3  ["), "numbered dialogue: {out}");
    assert!(out.contains("改后的评分表（版本 试用-没办法）"), "{out}");
    let added = added_section(&out);
    assert!(
        added.contains("新增命中（改后有、现行没有）：1 条"),
        "{out}"
    );
    assert!(
        added.contains("taboo.forbidden_phrase（通话禁忌）句序号 2 话务员"),
        "{out}"
    );
    assert!(
        added.contains("证据：这个我们也【没办法】，您再等等吧。"),
        "{out}"
    );
    assert!(out.contains("不再命中（现行有、改后没有）：无"), "{out}");
    assert!(
        out.contains("得分：现行 100（优秀，及格，及格线 80） → 改后 83.33"),
        "{out}"
    );
    // Times were not given: the output says they were synthesised.
    assert!(out.contains("对话没有给出时间"), "{out}");
}

#[test]
fn no_difference_without_the_phrase() {
    let (dir, config) = changed_scorecard();
    let dialogue = write(dir.path(), "d.txt", WITHOUT_PHRASE);
    let o = run(
        &[
            "--config".as_ref(),
            config.as_os_str(),
            dialogue.as_os_str(),
        ],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.contains("没有差别"), "{out}");
    assert!(!out.contains("新增命中"), "{out}");
}

#[test]
fn agent_words_caught_caller_words_not() {
    let (dir, config) = changed_scorecard();
    // Only the caller says it: nothing new.
    let caller_only = write(
        dir.path(),
        "caller.txt",
        "坐席：您好！市长热线，请问有什么可以帮到您？\n\
         来电人：我实在没办法了才打的电话。\n\
         坐席：请问是什么事情？\n\
         来电人：楼上漏水。\n\
         坐席：感谢您的来电，再见！\n",
    );
    let o = run(
        &[
            "--config".as_ref(),
            config.as_os_str(),
            caller_only.as_os_str(),
        ],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.contains("没有差别"), "{out}");
    // Both say it: one new finding, on the agent's utterance.
    let both = write(
        dir.path(),
        "both.txt",
        "坐席：您好！市长热线，请问有什么可以帮到您？\n\
         来电人：我实在没办法了才打的电话。\n\
         坐席：这个我们也没办法。\n\
         坐席：感谢您的来电，再见！\n",
    );
    let o = run(
        &["--config".as_ref(), config.as_os_str(), both.as_os_str()],
        None,
    );
    let out = stdout(&o);
    let added = added_section(&out);
    assert!(added.contains("：1 条"), "{out}");
    assert!(added.contains("句序号 2 话务员"), "{out}");
    assert!(!added.contains("句序号 1"), "{out}");
}

#[test]
fn pasted_on_stdin() {
    let (_dir, config) = changed_scorecard();
    for extra in [None, Some("-")] {
        let mut args = vec!["--config".as_ref(), config.as_os_str()];
        if let Some(dash) = extra {
            args.push(dash.as_ref());
        }
        let o = run(&args, Some(WITH_PHRASE));
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            added_section(&out).contains("【没办法】"),
            "{extra:?}: {out}"
        );
    }
}

#[test]
fn baseline_flag_shows_removed() {
    // The changed scorecard is the built-in one, the current one has the
    // phrase: its hit is no longer caught.
    let (dir, config) = changed_scorecard();
    let dialogue = write(dir.path(), "d.txt", WITH_PHRASE);
    let o = run(
        &[
            "--baseline".as_ref(),
            config.as_os_str(),
            dialogue.as_os_str(),
        ],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.contains("新增命中（改后有、现行没有）：无"), "{out}");
    let removed = &out[out.find("不再命中").expect("不再命中")..];
    assert!(removed.contains("【没办法】"), "{out}");
}

#[test]
fn timed_lines_and_json_line() {
    let (dir, config) = changed_scorecard();
    let timed = write(
        dir.path(),
        "timed.txt",
        "[00:01-00:04] 坐席：您好！市长热线，请问有什么可以帮到您？\n\
         [00:05-00:09] 来电人：我们小区门口的垃圾好几天没人清了。\n\
         坐席 [00:20-00:23]：这个我们也没办法，您再等等吧。\n\
         [00:24-00:26] 坐席：感谢您的来电，再见！\n",
    );
    let o = run(
        &["--config".as_ref(), config.as_os_str(), timed.as_os_str()],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!out.contains("没有给出时间"), "{out}");
    assert!(out.contains("[  20.0–  23.0s]  话务员"), "{out}");
    // The 11 s wait is judged on the given times, by both scorecards.
    assert!(out.contains("attitude.slow_response"), "{out}");
    let json = write(
        dir.path(),
        "call.jsonl",
        r#"{"call_id":"20261127-000123","operator_id":"1024","started_at":"2026-11-27T09:15:02+08:00","utterances":[{"speaker":"agent","start":0.8,"end":4.1,"text":"您好！市长热线，请问有什么可以帮到您？"},{"speaker":"caller","start":4.6,"end":8.0,"text":"路灯坏了"},{"speaker":"agent","start":8.4,"end":10.0,"text":"这个没办法。"},{"speaker":"agent","start":10.4,"end":12.0,"text":"感谢您的来电，再见！"}]}"#,
    );
    let o = run(
        &["--config".as_ref(), config.as_os_str(), json.as_os_str()],
        None,
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.starts_with("对话（通话 20261127-000123）"), "{out}");
    assert!(added_section(&out).contains("句序号 2 话务员"), "{out}");
}

#[test]
fn bad_dialogue_line_is_a_usage_error() {
    let (dir, config) = changed_scorecard();
    let dialogue = write(
        dir.path(),
        "bad.txt",
        "坐席：您好！市长热线，请问有什么可以帮到您？\n\n小区垃圾没人清\n",
    );
    let o = run(
        &[
            "--config".as_ref(),
            config.as_os_str(),
            dialogue.as_os_str(),
        ],
        None,
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.txt 第 3 行"), "{err}");
    assert!(err.contains("「小区垃圾没人清」"), "{err}");
    assert!(stdout(&o).is_empty());
    // Pasted: named as standard input.
    let o = run(&[], Some("坐席：您好\n老王：你好\n"));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("标准输入 第 2 行"), "{err}");
    // A missing file.
    let o = run(&[dir.path().join("none.txt").as_os_str()], None);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("none.txt"), "{}", stderr(&o));
}

#[test]
fn bad_lexicon_is_reported_before_the_dialogue_is_read() {
    let (dir, config) = changed_scorecard();
    write(dir.path(), "my-forbidden.txt", "没办法\nre:(没办法\n");
    // The dialogue file does not exist: the lexicon error must come first.
    let o = run(
        &[
            "--config".as_ref(),
            config.as_os_str(),
            dir.path().join("none.txt").as_os_str(),
        ],
        None,
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("my-forbidden.txt"), "{err}");
    assert!(err.contains("第 2 行"), "{err}");
    assert!(!err.contains("none.txt"), "{err}");
    // A config that is not TOML.
    let bad = write(dir.path(), "bad.toml", "pass_mark = \"高\"\n");
    let o = run(&["--baseline".as_ref(), bad.as_os_str()], Some(WITH_PHRASE));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.toml"), "{}", stderr(&o));
}
