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
    /// `score --from`: the recognition results and call list imported
    /// (absent for a run of transcripts, so older run.json files still read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ImportedFrom>,
}

/// What `score --from` imported, for `rescore` to import it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportedFrom {
    /// The service, as `--from` names it (`aliyun` …).
    pub service: String,
    /// Result files or folders (made absolute).
    pub results: Vec<PathBuf>,
    /// The call list (made absolute).
    pub calls: PathBuf,
    /// The `--agent-channel` default (`auto`, `0`, `1`).
    pub agent_channel: String,
}

impl ImportedFrom {
    /// The record of `opts`.
    pub fn of(opts: &crate::input::asr::ImportOptions) -> ImportedFrom {
        ImportedFrom {
            // The variant's name is the service's `--from` key (a test
            // keeps every one parsing back), so a service added to the
            // list needs nothing here.
            service: format!("{:?}", opts.vendor).to_ascii_lowercase(),
            results: opts.results.iter().map(|p| absolute(p)).collect(),
            calls: absolute(&opts.calls),
            agent_channel: match opts.agent_channel {
                crate::input::asr::AgentChannel::Auto => "auto".into(),
                crate::input::asr::AgentChannel::Channel(c) => c.to_string(),
            },
        }
    }

    /// The import options again; `Err` says which field cannot be read.
    pub fn options(&self) -> Result<crate::input::asr::ImportOptions, String> {
        Ok(crate::input::asr::ImportOptions {
            vendor: self.service.parse()?,
            results: self.results.clone(),
            calls: self.calls.clone(),
            out: PathBuf::new(),
            agent_channel: self.agent_channel.parse()?,
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::asr::{AgentChannel, ImportOptions, Vendor};

    #[test]
    fn an_import_recorded_in_run_json_reads_back_for_every_service() {
        for vendor in [Vendor::Aliyun, Vendor::Tencent, Vendor::Funasr] {
            for channel in [AgentChannel::Auto, AgentChannel::Channel(1)] {
                let opts = ImportOptions {
                    vendor,
                    results: vec![PathBuf::from("/r")],
                    calls: PathBuf::from("/c.csv"),
                    out: PathBuf::new(),
                    agent_channel: channel,
                };
                let back = ImportedFrom::of(&opts).options().expect("reads back");
                assert_eq!((back.vendor, back.agent_channel), (vendor, channel));
            }
        }
    }
}
