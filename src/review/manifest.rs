//! `run.json`: what a `score` run read and with which scorecard, written
//! into the run folder so that `hotline-qa rescore` can score the same
//! calls again with a changed scorecard and compare.
//!
//! Paths are stored absolute. The scorecard is stored whole (as TOML), so a
//! run can be re-scored with its own scorecard even after the file changed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The manifest's file name inside a run folder.
pub const FILE: &str = "run.json";

/// What a run read and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The program and version that wrote the run.
    pub tool: String,
    /// The scorecard's `version`.
    pub scorecard_version: String,
    /// Transcript and ticket files or folders, as given (made absolute).
    pub inputs: Vec<PathBuf>,
    /// The scorecard file given with --config, if any.
    pub config_file: Option<PathBuf>,
    /// The whole scorecard used, as TOML.
    pub config_toml: String,
    /// The phone directory file, if not the built-in one.
    pub directory: Option<PathBuf>,
    /// Manual scores file.
    pub manual: Option<PathBuf>,
    /// Reviews file.
    pub reviews: Option<PathBuf>,
    /// Calendar overrides file.
    pub calendar: Option<PathBuf>,
    /// The as-of time used, local, `YYYY-MM-DDTHH:MM:SS`.
    pub as_of: String,
    /// Sheet of XLSX ticket files.
    pub sheet: Option<String>,
    /// Whether PII was shown unmasked.
    pub show_pii: bool,
}

/// `p` made absolute (relative to the current folder), unchanged on error.
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Manifest {
    /// The scorecard stored in the manifest.
    pub fn config(&self, run_dir: &Path) -> anyhow::Result<Config> {
        let name = run_dir.join(FILE).display().to_string();
        Config::parse(&self.config_toml, &name).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Writes `dir/run.json` (atomically).
    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let (file, mut w) = crate::report::AtomicFile::create(dir, FILE)?;
        serde_json::to_writer_pretty(&mut w, self)?;
        std::io::Write::write_all(&mut w, b"\n")?;
        file.commit(w)?;
        Ok(())
    }

    /// Reads `dir/run.json`.
    pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
        let path = dir.join(FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "{}：读不了这次运行的 run.json：{}；请给出 hotline-qa score 写出的运行文件夹。\
                 旧版本写出的运行目录没有 run.json，不能重新评分或抽样，请重新 score 一次（cannot read the run's manifest）",
                path.display(),
                crate::messages::io_zh(&e)
            )
        })?;
        serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{} 第 {} 行：不是 hotline-qa 写的 run.json（not a run manifest: {e}）",
                path.display(),
                e.line()
            )
        })
    }
}
