//! `hotline-qa rescore`: scores a run's calls again with a changed
//! scorecard and compares, so that the effect of a rule change is seen
//! before the change is adopted.
//!
//! Everything but the scorecard is taken from the run's `run.json`
//! ([`crate::review::manifest`]): the same inputs (or the ones given, when
//! they moved), phone directory, manual scores, reviews, calendar, sheet,
//! PII setting and — so that ticket timeliness does not shift — the same
//! as-of time. The new run is an ordinary run folder (with its own
//! `run.json`); [`crate::review::diff::diff_runs`] then writes the diff
//! files into it.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};

use crate::config::Config;
use crate::input::transcripts::Limits;
use crate::lexicon::directory::Directory;
use crate::report::Lang;
use crate::review::diff::{diff_runs, DiffSummary};
use crate::review::manifest::{self, Manifest};
use crate::run::{self, ScoreOptions, Summary};

/// Refuses an output folder that is the run folder itself (same canonical
/// path): re-scoring into it would overwrite the run it is compared with.
pub fn check_out(run_dir: &Path, out: &Path) -> anyhow::Result<()> {
    let canon = |p: &Path| std::fs::canonicalize(p).ok();
    if let (Some(a), Some(b)) = (canon(run_dir), canon(out)) {
        if a == b {
            bail!(
                "--out {} 就是原运行的文件夹：重新评分会覆盖要比较的原结果。请另给一个输出文件夹，例如 --out {}-rescore",
                out.display(),
                run_dir.display()
            );
        }
    }
    Ok(())
}

/// A file named in run.json that must still exist; `hint` says what else
/// the user can do.
fn must_exist(p: &Path, what: &str, hint: &str, run_dir: &Path) -> anyhow::Result<()> {
    if p.exists() {
        return Ok(());
    }
    bail!(
        "{}：{what}已不存在（路径记录在 {}）。重新评分需要原来的这个文件：请把它放回原处{hint}",
        p.display(),
        run_dir.join(manifest::FILE).display()
    )
}

/// Re-scores the calls of the run in `run_dir` with `config` (read from
/// `config_file`, recorded in the new run.json) into `out`, then writes
/// the diff files into `out`. `inputs_override`, when not empty, replaces
/// the inputs recorded in run.json (for inputs that moved). `lang` is the
/// language of the new run's report.xlsx and report.html.
pub fn rescore(
    run_dir: &Path,
    config: Config,
    config_file: Option<PathBuf>,
    out: &Path,
    inputs_override: Vec<PathBuf>,
    lang: Lang,
) -> anyhow::Result<(Summary, DiffSummary)> {
    check_out(run_dir, out)?;
    if !run_dir.is_dir() {
        bail!(
            "{}：运行目录不存在，请检查路径，给出 hotline-qa score 写出的运行文件夹（里面有 run.json）",
            run_dir.display()
        );
    }
    if !run_dir.join(manifest::FILE).is_file() {
        bail!(
            "{}：不是可以重新评分的运行文件夹：里面没有 hotline-qa score 写出的 {}（旧版本写出的运行目录没有它，请用新评分表重新 score）",
            run_dir.display(),
            manifest::FILE
        );
    }
    let m = Manifest::read(run_dir).with_context(|| {
        format!(
            "{}：不是可以重新评分的运行文件夹（需要 hotline-qa score 写出的 {}）",
            run_dir.display(),
            manifest::FILE
        )
    })?;
    let inputs = if inputs_override.is_empty() {
        for p in &m.inputs {
            if !p.exists() {
                bail!(
                    "{}：原运行的输入已不存在（路径记录在 {}）。如果输入文件移动了，请在命令最后写出现在的输入文件或文件夹：\
                     hotline-qa rescore {} --config 新评分表.toml --out 输出文件夹 输入……",
                    p.display(),
                    run_dir.join(manifest::FILE).display(),
                    run_dir.display()
                );
            }
        }
        m.inputs.clone()
    } else {
        inputs_override
    };
    // The new scorecard's own directory is part of the change; otherwise
    // the run's.
    let directory_file = config.directory.clone().or_else(|| m.directory.clone());
    if let (None, Some(p)) = (&config.directory, &m.directory) {
        must_exist(
            p,
            "电话号码簿",
            "，或在新评分表里用 directory = \"文件\" 指定",
            run_dir,
        )?;
    }
    let directory = match &directory_file {
        Some(p) => Directory::load(p).map_err(|e| anyhow!("{e}"))?,
        None => Directory::builtin(),
    };
    for (p, what) in [
        (&m.manual, "人工评分文件"),
        (&m.reviews, "复核结论文件"),
        (&m.calendar, "节假日日历文件"),
    ] {
        if let Some(p) = p {
            must_exist(p, what, "", run_dir)?;
        }
    }
    let as_of = run::parse_as_of(&m.as_of, config.offset()).ok_or_else(|| {
        anyhow!(
            "{}：字段 as_of：“{}”不是时间",
            run_dir.join(manifest::FILE).display(),
            m.as_of
        )
    })?;
    // A run of `score --from` imports its recognition results again.
    let from = match &m.from {
        Some(f) => {
            for p in f.results.iter().chain(std::iter::once(&f.calls)) {
                must_exist(p, "识别结果或通话记录", "", run_dir)?;
            }
            Some(f.options().map_err(|e| {
                anyhow!("{}：字段 from：{e}", run_dir.join(manifest::FILE).display())
            })?)
        }
        None => None,
    };
    let min_calls = config.reports.min_calls_for_rank;
    let opts = ScoreOptions {
        inputs,
        out: out.to_path_buf(),
        config,
        directory,
        directory_file,
        config_file,
        manual: m.manual.clone(),
        reviews: m.reviews.clone(),
        calendar: m.calendar.clone(),
        as_of: Some(as_of),
        sheet: m.sheet.clone(),
        progress: false,
        limits: Limits::default(),
        batch: 4096,
        show_pii: m.show_pii,
        lang,
        reports: true,
        from,
    };
    // The new run and its diff files are one output: written into a
    // staging folder and switched in together (crate::outdir).
    let inputs = run::prepare(&opts)?;
    crate::outdir::check_inputs(out, &[(run_dir, "原运行文件夹")])?;
    let dir =
        crate::outdir::OutDir::begin(out, crate::outdir::RUN_FILES, crate::outdir::Mode::Replace)?;
    let summary = run::score_into(&opts, &inputs, dir.path())?;
    let mut diff = diff_runs(run_dir, dir.path(), dir.path(), min_calls)?;
    dir.commit()?;
    diff.out = out.to_path_buf();
    Ok((summary, diff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_folder_is_not_an_output() {
        let tmp = tempfile::tempdir().expect("tmp");
        let run = tmp.path().join("run");
        std::fs::create_dir_all(&run).expect("mkdir");
        let e = check_out(&run, &run.join(".")).expect_err("same folder");
        assert!(e.to_string().contains("就是原运行的文件夹"), "{e}");
        assert!(check_out(&run, &tmp.path().join("new")).is_ok());
    }

    #[test]
    fn a_folder_without_run_json_is_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let e = rescore(
            tmp.path(),
            Config::default(),
            None,
            &tmp.path().join("out"),
            Vec::new(),
            Lang::Zh,
        )
        .expect_err("no run.json");
        let text = format!("{e:#}");
        assert!(text.contains("不是可以重新评分的运行文件夹"), "{text}");
        assert!(text.contains("run.json"), "{text}");
    }
}
