//! README.md's examples, run: every shell command in a code block that
//! starts with `hotline-qa` or `cargo run --release --` (also after a `$ `
//! prompt in a text block) runs with the built binary, in document order,
//! in a temporary copy of the files a clean clone has, and must exit 0 as
//! the README says. Where the README shows what a command prints, every
//! line shown must be a line the program prints now; the summary of the
//! first command must be exactly what the program prints. So an example
//! that names a file the repository does not ship, or an output that a
//! message change made stale, fails here.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Commands that cannot run as they are written, with the reason.
const NOT_RUN: [(&str, &str); 6] = [
    (
        "hotline-qa calibrate --reviews 复核/reviews.csv 结果/2026-11-01",
        "a syntax template: placeholders (……, [--out 准确率/]) rather than files; \
         the runnable calibrate example is the one on docs/examples/reviews.csv",
    ),
    (
        "hotline-qa rescore 原运行目录",
        "a syntax template: 原运行目录 and [输入…] are placeholders; \
         the runnable rescore example follows it",
    ),
    (
        "hotline-qa gen --calls 300 --seed 1 --day $d",
        "a line of a shell loop over 30 days ($d); tests/serve_month.rs runs \
         the same gen and score for each day (tests/common/wb.rs month)",
    ),
    (
        "hotline-qa score 合成/$d",
        "a line of a shell loop over 30 days ($d); tests/serve_month.rs runs it",
    ),
    (
        "hotline-qa serve --db 工作台.sqlite add-user 张主任 --role 质检主管",
        "the month example's account, after the README's first add-user of the \
         same name; tests/serve_month.rs creates its accounts the same way",
    ),
    (
        "hotline-qa serve --db 工作台.sqlite --runs 结果 --appeal-days",
        "starts the server, which runs until stopped; tests/serve_month.rs starts it",
    ),
];

/// Commands that run (and must exit 0) but whose output shown in the
/// README is not compared, with the reason.
const OUTPUT_NOT_COMPARED: [(&str, &str); 1] = [(
    "hotline-qa score 转写 --out 11月27日-复核后",
    "the README shows the run after a QA lead filled 7 rows of the review \
     sheet in Excel; the sheet `sample` writes is unfilled",
)];

/// One command of the README: its line, the command, and the output lines
/// the README shows after it (text blocks only).
struct Example {
    line: usize,
    command: String,
    shown: Vec<String>,
}

fn examples(readme: &str) -> Vec<Example> {
    let mut out: Vec<Example> = Vec::new();
    let mut in_block = false;
    let mut prompt_block = false;
    let mut collecting = false;
    for (i, raw) in readme.lines().enumerate() {
        let l = raw.trim();
        if l.starts_with("```") {
            in_block = !in_block;
            prompt_block = false;
            collecting = false;
            continue;
        }
        if !in_block {
            continue;
        }
        let (cmd, prompt) = match l.strip_prefix("$ ") {
            Some(c) => (c, true),
            None => (l, false),
        };
        if prompt {
            prompt_block = true;
        }
        if cmd.starts_with("hotline-qa ") || cmd.starts_with("cargo run --release -- ") {
            // A trailing `# comment` is not part of the command.
            let cmd = match cmd.find("  #") {
                Some(at) => &cmd[..at],
                None => cmd,
            };
            out.push(Example {
                line: i + 1,
                command: cmd.trim().to_string(),
                shown: Vec::new(),
            });
            collecting = prompt;
        } else if prompt {
            collecting = false;
        } else if collecting && prompt_block && !l.is_empty() {
            if let Some(e) = out.last_mut() {
                e.shown.push(raw.trim_end().to_string());
            }
        }
    }
    out
}

/// The command's words, shell-style enough for the README: double quotes
/// group, `> FILE` redirects standard output.
fn words(cmd: &str) -> (Vec<String>, Option<String>) {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in cmd.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    let mut redirect = None;
    if let Some(at) = words.iter().position(|w| w == ">") {
        redirect = words.get(at + 1).cloned();
        words.truncate(at);
    }
    (words, redirect)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

#[test]
fn readme_commands_run_from_a_clean_clone_and_print_what_it_shows() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let tmp = tempfile::tempdir().expect("tmp");
    // What the commands read from a clone: the samples, the examples and
    // the lexicons (the calendar and the default scorecard are built in).
    for d in ["samples", "docs", "lexicons"] {
        copy_dir(&root.join(d), &tmp.path().join(d));
    }
    let all = examples(&readme);
    assert!(
        all.len() >= 10,
        "too few README commands found: {}",
        all.len()
    );
    let mut ran = 0;
    let mut first_summary = None;
    for ex in &all {
        if let Some((_, why)) = NOT_RUN.iter().find(|(p, _)| ex.command.starts_with(p)) {
            eprintln!("README.md:{}: not run ({why}): {}", ex.line, ex.command);
            continue;
        }
        let (mut args, redirect) = words(&ex.command);
        let skip = if args[0] == "cargo" { 4 } else { 1 };
        args.drain(..skip);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline-qa"));
        cmd.args(&args).current_dir(tmp.path());
        // try-rule without a file reads the pasted dialogue.
        let paste = args.first().is_some_and(|a| a == "try-rule")
            && !args
                .iter()
                .any(|a| a.ends_with(".txt") || a.ends_with(".jsonl"));
        cmd.stdin(if paste {
            Stdio::from(
                std::fs::File::open(tmp.path().join("docs/examples/对话.txt")).expect("对话.txt"),
            )
        } else {
            Stdio::null()
        });
        let o = cmd.output().expect("run hotline-qa");
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            o.status.success(),
            "README.md:{}: `{}` exited {:?}\n{stderr}",
            ex.line,
            ex.command,
            o.status.code()
        );
        if let Some(file) = redirect {
            std::fs::write(tmp.path().join(file), &o.stdout).expect("redirect");
        }
        ran += 1;
        if first_summary.is_none() {
            first_summary = Some(stderr.clone());
        }
        if OUTPUT_NOT_COMPARED
            .iter()
            .any(|(p, _)| ex.command.starts_with(p))
        {
            continue;
        }
        let printed: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
        for want in &ex.shown {
            // Placeholders for output the README leaves out.
            if want.contains("略") || want.trim() == "……" {
                continue;
            }
            assert!(
                printed.iter().any(|l| l.trim_end() == want),
                "README.md:{}: `{}` no longer prints the line\n{want}\nit printed:\n{stdout}{stderr}",
                ex.line,
                ex.command
            );
        }
    }
    assert!(ran >= 10, "only {ran} README commands ran");

    // The summary of command 1, shown right after “终端上会打印一段摘要”.
    let after = readme
        .split_once("终端上会打印一段摘要")
        .expect("the summary paragraph")
        .1;
    let block = after
        .split("```")
        .nth(1)
        .expect("the summary block")
        .trim_start_matches('\n');
    assert_eq!(
        first_summary.as_deref(),
        Some(block),
        "README's summary of command 1 differs from what the program prints"
    );
}

#[test]
fn readme_points_only_to_files_the_repository_ships() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    // Must not: a path outside the repository.
    assert!(
        !readme.contains("../shared"),
        "README points outside the repository"
    );
    for f in [
        "docs/spec.md",
        "docs/domain/process-and-norms.zh.txt",
        "docs/domain/README.md",
        "docs/examples/reviews.csv",
        "docs/examples/现行评分表.toml",
        "docs/examples/新评分表.toml",
        "docs/examples/评分表-试用.toml",
        "docs/examples/对话.txt",
        "samples/EXPECTED.md",
        "lexicons/README.md",
        "docs/screenshots/overview.png",
        "docs/screenshots/calls.png",
        "docs/screenshots/call.png",
        "docs/screenshots/units.png",
        "docs/screenshots/rules.png",
    ] {
        assert!(readme.contains(f), "README no longer mentions {f}");
        assert!(
            root.join(f).is_file(),
            "{f} is named in README but not shipped"
        );
    }
    // The demo review table has the 18 rows the README describes.
    let reviews =
        std::fs::read_to_string(root.join("docs/examples/reviews.csv")).expect("reviews.csv");
    assert_eq!(reviews.lines().count(), 1 + 18);
}
