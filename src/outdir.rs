//! Output folders that appear whole or not at all, used by one run at a time.
//!
//! Every command that writes a folder (`score`, `report`, `rescore`,
//! `calibrate`, `gen`) writes into a staging folder beside the output,
//! `PARENT/.NAME.hq-staging-PID`, in the same file system, and switches it
//! in at the end ([`OutDir::commit`]): the previous folder is renamed
//! aside to `PARENT/.NAME.hq-old-PID`, the staging folder renamed to
//! `NAME`, and the old one removed. A run that fails or is killed before
//! that leaves the previous complete run untouched; so a `run.json` beside
//! outputs of another run, or a complete-looking `calls.csv` of a run that
//! never finished, cannot happen.
//!
//! One output folder is used by one run at a time: [`OutDir::begin`] takes
//! an exclusive lock on `PARENT/.NAME.hq-lock` (an OS file lock, released
//! by the kernel when the process ends, however it ends), which holds the
//! PID of the process that has it, so a second run refuses at once and says
//! who holds it. The lock file stays: removing it would let two runs lock
//! two different files of the same name. Holding the lock, a run removes
//! the staging folders of dead runs, and puts back an old folder that a
//! run killed between its two renames left aside.
//!
//! An output folder is only replaced when everything in it is a file
//! hotline-qa writes: a folder holding anything else (a user's exports, a
//! filled review sheet) is refused, never deleted.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};

/// Every file that `score`, `report`, `rescore` and `calibrate` write into
/// their output folder: a folder holding only these (and
/// [`ignorable`] system files) is a previous output and may be replaced.
pub const RUN_FILES: &[&str] = &[
    "run.json",
    "calls.csv",
    "findings.csv",
    "tickets.csv",
    "units.csv",
    "repeats.csv",
    "rejects.csv",
    "calls.parquet",
    "findings.parquet",
    "tickets.parquet",
    "operators.csv",
    "teams.csv",
    "norms.csv",
    "daily.csv",
    "trend_operators.csv",
    "trend_units.csv",
    "report.xlsx",
    "report.html",
    "diff_calls.csv",
    "diff_operators.csv",
    "diff_rules.csv",
    "calibration.csv",
    "calibration_unmatched.csv",
];

/// What `gen` writes.
pub const GEN_FILES: &[&str] = &[
    "directory.csv",
    "calls.jsonl",
    "tickets.csv",
    "truth_calls.csv",
    "truth_tickets.csv",
];

/// Files a desktop or an older hotline-qa leaves in any folder, which may
/// go with the folder: Finder and Explorer metadata, the `.partial` files
/// of versions that wrote them in place, Excel's `~$` lock files.
fn ignorable(name: &str) -> bool {
    name == ".DS_Store"
        || name.eq_ignore_ascii_case("Thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
        || name.starts_with("._")
        || name.starts_with("~$")
        || (name.starts_with('.') && name.ends_with(".partial"))
}

/// How [`OutDir::commit`] puts the staged files in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The staging folder replaces the output folder whole.
    Replace,
    /// The staged files are moved into an existing folder beside what it
    /// holds (`calibrate`'s two files into a run folder).
    AddTo,
}

/// An output folder being written: see the module docs.
pub struct OutDir {
    target: PathBuf,
    staging: PathBuf,
    mode: Mode,
    committed: bool,
    /// Held for the life of the value; the OS releases the lock on close.
    _lock: File,
}

/// The would-be canonical path of `p`: canonical if it exists, else the
/// canonical path of its nearest existing ancestor joined with the rest.
pub fn resolved(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    if let Ok(c) = std::fs::canonicalize(&abs) {
        return c;
    }
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        match (cur.file_name(), cur.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                cur = parent;
                if let Ok(mut c) = std::fs::canonicalize(cur) {
                    for n in rest.iter().rev() {
                        c.push(n);
                    }
                    return c;
                }
            }
            _ => return abs,
        }
    }
}

/// Refuses an output folder that is an input, holds an input, or lies
/// inside an input folder, before anything is written. `inputs` are
/// (path, what it is) pairs, e.g. (`tickets.csv`, "输入文件").
pub fn check_inputs(out: &Path, inputs: &[(&Path, &str)]) -> anyhow::Result<()> {
    let o = resolved(out);
    for (input, what) in inputs {
        let i = resolved(input);
        if o == i {
            bail!(
                "输出目录 {} 就是{what} {}：输出会覆盖它，请换一个输出目录（--out is an input）",
                out.display(),
                input.display()
            );
        }
        if i.starts_with(&o) {
            bail!(
                "输出目录 {} 里有{what} {}：写出结果会覆盖或删除它，请换一个输出目录（--out holds an input）",
                out.display(),
                input.display()
            );
        }
        if o.starts_with(&i) {
            bail!(
                "输出目录 {} 在{what} {} 里面：结果会混进输入，请换一个不在输入文件夹里的输出目录（--out is inside an input folder）",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

impl OutDir {
    /// Locks `out`, clears what dead runs left, checks that `out` is
    /// empty, missing or a previous output (only names in `known`), and
    /// creates the staging folder.
    pub fn begin(out: &Path, known: &[&str], mode: Mode) -> anyhow::Result<OutDir> {
        let target = resolved(out);
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            bail!(
                "{}：不能用作输出目录，请给一个文件夹名，例如 --out out（not a folder name）",
                out.display()
            );
        };
        let name = name.to_string_lossy().into_owned();
        std::fs::create_dir_all(parent).map_err(|e| {
            anyhow!(
                "{}：无法创建输出目录的上级文件夹，请检查路径和权限（cannot create the folder: {e}）",
                parent.display()
            )
        })?;
        let lock = lock(parent, &name, out)?;
        recover(parent, &name, &target)?;
        if let Ok(meta) = std::fs::symlink_metadata(&target) {
            if !meta.is_dir() {
                bail!(
                    "{}：已存在，但不是文件夹，请换一个输出目录（--out exists and is not a folder）",
                    out.display()
                );
            }
            if mode == Mode::Replace {
                check_replaceable(&target, out, known)?;
            }
        }
        let staging = parent.join(format!(".{name}.hq-staging-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)
                .map_err(|e| anyhow!("{}：无法清理（cannot remove: {e}）", staging.display()))?;
        }
        std::fs::create_dir(&staging).map_err(|e| {
            anyhow!(
                "{}：无法创建临时输出文件夹，请检查权限和磁盘空间（cannot create the staging folder: {e}）",
                staging.display()
            )
        })?;
        Ok(OutDir {
            target,
            staging,
            mode,
            committed: false,
            _lock: lock,
        })
    }

    /// The folder to write into (the staging folder).
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Switches the staged outputs in: see the module docs.
    pub fn commit(mut self) -> anyhow::Result<PathBuf> {
        // Scratch files (the ticket store, a writer's temporary) are never outputs.
        if let Ok(entries) = std::fs::read_dir(&self.staging) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().ends_with(".partial") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let rename = |from: &Path, to: &Path| {
            std::fs::rename(from, to).map_err(|e| {
                anyhow!(
                    "{}：无法移到 {}（cannot rename: {e}）",
                    from.display(),
                    to.display()
                )
            })
        };
        let exists = self.target.is_dir();
        if self.mode == Mode::AddTo && exists {
            let entries = std::fs::read_dir(&self.staging).map_err(|e| {
                anyhow!(
                    "{}：无法读取临时输出文件夹（cannot list: {e}）",
                    self.staging.display()
                )
            })?;
            for e in entries {
                let e = e.map_err(|e| {
                    anyhow!(
                        "{}：无法读取临时输出文件夹（cannot list: {e}）",
                        self.staging.display()
                    )
                })?;
                rename(&e.path(), &self.target.join(e.file_name()))?;
            }
            let _ = std::fs::remove_dir(&self.staging);
        } else if exists {
            let old = aside(&self.target, std::process::id());
            rename(&self.target, &old)?;
            if let Err(e) = rename(&self.staging, &self.target) {
                // Put the previous run back: it must survive a failed switch.
                let _ = std::fs::rename(&old, &self.target);
                return Err(e);
            }
            self.committed = true;
            std::fs::remove_dir_all(&old).map_err(|e| {
                anyhow!(
                    "{}：新结果已就位，但无法删除上次的结果，请手动删除（cannot remove the previous output: {e}）",
                    old.display()
                )
            })?;
        } else {
            rename(&self.staging, &self.target)?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Where the previous folder waits while the new one is switched in.
fn aside(target: &Path, pid: u32) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.hq-old-{pid}"))
}

/// Takes the lock of the output folder `parent/name`, or says who has it.
fn lock(parent: &Path, name: &str, out: &Path) -> anyhow::Result<File> {
    let path = parent.join(format!(".{name}.hq-lock"));
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| {
            anyhow!(
                "{}：无法创建锁文件，请检查输出目录所在文件夹的权限（cannot create the lock file: {e}）",
                path.display()
            )
        })?;
    match f.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = f.read_to_string(&mut pid);
            let pid = pid.trim();
            let who = if pid.is_empty() {
                "另一个 hotline-qa 进程".to_string()
            } else {
                format!("另一个 hotline-qa 进程（PID {pid}）")
            };
            bail!(
                "输出目录 {} 正在被{who}使用：请等它结束，或换一个输出目录（--out is locked by process {}）",
                out.display(),
                if pid.is_empty() { "?" } else { pid }
            );
        }
        Err(std::fs::TryLockError::Error(e)) => {
            bail!("{}：无法加锁（cannot lock: {e}）", path.display())
        }
    }
    // The PID, for the message of a run that finds the folder locked.
    let _ = f.set_len(0);
    let _ = f.seek(std::io::SeekFrom::Start(0));
    let _ = write!(f, "{}", std::process::id());
    let _ = f.flush();
    Ok(f)
}

/// With the lock held, every staging or old folder of `name` is a dead
/// run's: staging folders are removed; an old folder is put back when the
/// run died between its two renames (no `name` folder), removed otherwise.
fn recover(parent: &Path, name: &str, target: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    let staging = format!(".{name}.hq-staging-");
    let old = format!(".{name}.hq-old-");
    let mut olds = Vec::new();
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with(&staging) {
            let _ = std::fs::remove_dir_all(e.path());
        } else if n.starts_with(&old) {
            olds.push(e.path());
        }
    }
    for o in olds {
        if !target.exists() {
            std::fs::rename(&o, target).map_err(|e| {
                anyhow!(
                    "{}：上次中断的运行留下的结果无法放回 {}（cannot restore: {e}）",
                    o.display(),
                    target.display()
                )
            })?;
        } else {
            let _ = std::fs::remove_dir_all(&o);
        }
    }
    Ok(())
}

/// Refuses to replace a folder that holds anything but `known` files.
fn check_replaceable(dir: &Path, out: &Path, known: &[&str]) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        anyhow!(
            "{}：无法读取输出目录（cannot list the folder: {e}）",
            out.display()
        )
    })?;
    let mut foreign = Vec::new();
    for e in entries {
        let e = e.map_err(|e| {
            anyhow!(
                "{}：无法读取输出目录（cannot list the folder: {e}）",
                out.display()
            )
        })?;
        let n = e.file_name().to_string_lossy().into_owned();
        let is_file = e.file_type().is_ok_and(|t| t.is_file());
        let ours = is_file && known.contains(&n.as_str());
        if !ours && !ignorable(&n) {
            foreign.push(n);
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let more = if foreign.len() > 5 {
        format!(" 等 {} 个", foreign.len())
    } else {
        String::new()
    };
    foreign.truncate(5);
    bail!(
        "输出目录 {} 里有不是 hotline-qa 写出的文件或文件夹：{}{more}。为了不删除它们，本次不写入：请换一个输出目录，或先把这些文件移走（--out holds files this program did not write）",
        out.display(),
        foreign.join("、")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_run_leaves_the_previous_output_and_no_staging() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = tmp.path().join("out");
        let d = OutDir::begin(&out, RUN_FILES, Mode::Replace).expect("begin");
        std::fs::write(d.path().join("calls.csv"), "first").expect("write");
        d.commit().expect("commit");
        let d = OutDir::begin(&out, RUN_FILES, Mode::Replace).expect("begin");
        std::fs::write(d.path().join("calls.csv"), "second").expect("write");
        drop(d);
        assert_eq!(
            std::fs::read_to_string(out.join("calls.csv")).expect("read"),
            "first"
        );
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .expect("ls")
            .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains("staging")), "{names:?}");
    }

    #[test]
    fn a_second_run_on_a_locked_folder_is_refused_naming_the_pid() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = tmp.path().join("out");
        let first = OutDir::begin(&out, RUN_FILES, Mode::Replace).expect("begin");
        let e = OutDir::begin(&out, RUN_FILES, Mode::Replace)
            .err()
            .expect("locked");
        let text = e.to_string();
        assert!(text.contains("正在被"), "{text}");
        assert!(
            text.contains(&format!("PID {}", std::process::id())),
            "{text}"
        );
        drop(first);
        assert!(OutDir::begin(&out, RUN_FILES, Mode::Replace).is_ok());
    }

    #[test]
    fn a_folder_with_foreign_files_is_refused_and_kept() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = tmp.path().join("out");
        std::fs::create_dir(&out).expect("mkdir");
        std::fs::write(out.join("calls.csv"), "x").expect("write");
        std::fs::write(out.join("我的笔记.docx"), "x").expect("write");
        let e = OutDir::begin(&out, RUN_FILES, Mode::Replace)
            .err()
            .expect("refused");
        assert!(e.to_string().contains("我的笔记.docx"), "{e}");
        assert!(out.join("我的笔记.docx").exists());
        // Adding files beside them is fine.
        let d = OutDir::begin(&out, RUN_FILES, Mode::AddTo).expect("add");
        std::fs::write(d.path().join("calibration.csv"), "c").expect("write");
        d.commit().expect("commit");
        assert!(out.join("calibration.csv").exists() && out.join("我的笔记.docx").exists());
    }

    #[test]
    fn an_old_folder_left_between_the_renames_is_put_back() {
        let tmp = tempfile::tempdir().expect("tmp");
        let out = tmp.path().join("out");
        let old = tmp.path().join(".out.hq-old-999999");
        std::fs::create_dir(&old).expect("mkdir");
        std::fs::write(old.join("calls.csv"), "kept").expect("write");
        std::fs::create_dir(tmp.path().join(".out.hq-staging-999999")).expect("mkdir");
        let d = OutDir::begin(&out, RUN_FILES, Mode::Replace).expect("begin");
        assert_eq!(
            std::fs::read_to_string(out.join("calls.csv")).expect("read"),
            "kept"
        );
        assert!(!tmp.path().join(".out.hq-staging-999999").exists());
        drop(d);
    }

    #[test]
    fn inputs_and_outputs_do_not_overlap() {
        let tmp = tempfile::tempdir().expect("tmp");
        let data = tmp.path().join("data");
        std::fs::create_dir(&data).expect("mkdir");
        let f = data.join("tickets.csv");
        std::fs::write(&f, "x").expect("write");
        let e = check_inputs(&data, &[(&f, "输入文件")]).expect_err("holds");
        assert!(e.to_string().contains("tickets.csv"), "{e}");
        assert!(check_inputs(&data, &[(&data, "输入文件夹")]).is_err());
        assert!(check_inputs(&data.join("out"), &[(&data, "输入文件夹")]).is_err());
        assert!(check_inputs(&tmp.path().join("out"), &[(&f, "输入文件")]).is_ok());
    }
}
