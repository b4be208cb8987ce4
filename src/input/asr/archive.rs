//! Result files in a zip archive, as a centre downloads a day's results
//! from a console or packs its own servers' output. Entries are read one
//! at a time, straight from the archive (nothing is unpacked to disk, and
//! one entry is held at most: `MAX_FILE_BYTES`), in name order so that the
//! transcripts come out in the order the same files in a folder give.
//! Folders inside the archive are walked like folders; an entry that cannot
//! be read (damaged, encrypted, an unsupported compression) is a reject
//! naming `archive.zip!entry`, and the others are still read.

use std::borrow::Cow;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{import_docs, normalise_key, CallList, ImportOptions, ImportSummary};
use crate::input::{Reject, Skipped};

/// True for a `.zip` file.
pub(super) fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

/// An entry's name as text: UTF-8 when it is, else GBK — Windows in a
/// Chinese locale writes names in GBK without the zip's UTF-8 flag, and a
/// name read as CP437 would never match the call list's recording.
fn entry_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GBK.decode(raw).0.into_owned(),
    }
}

fn is_result(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".json") || n.ends_with(".jsonl")
}

/// Imports every result entry of the archive at `path`.
pub(super) fn import_zip(
    opts: &ImportOptions,
    path: &Path,
    list: &mut CallList,
    w: &mut dyn Write,
    summary: &mut ImportSummary,
) -> anyhow::Result<()> {
    let shown = path.display().to_string();
    let whole = |summary: &mut ImportSummary, reason: String| {
        summary.rejects.push(Reject {
            file: Arc::from(shown.as_str()),
            line: 0,
            record_id: normalise_key(&path.file_name().unwrap_or_default().to_string_lossy()),
            reason,
        })
    };
    let f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            whole(summary, format!("打不开：{}", crate::messages::io_zh(&e)));
            return Ok(());
        }
    };
    let mut zip = match zip::ZipArchive::new(BufReader::new(f)) {
        Ok(z) => z,
        Err(e) => {
            whole(
                summary,
                format!("不是能读的 zip 压缩包（{e}）：请重新下载或重新打包识别结果"),
            );
            return Ok(());
        }
    };
    // Entry indices in name order (the names as the archive decodes them,
    // which is enough for an order).
    let mut order: Vec<(String, usize)> = (0..zip.len())
        .map(|i| {
            let name = zip
                .name_for_index(i)
                .and_then(Result::ok)
                .map(Cow::into_owned)
                .unwrap_or_default();
            (name, i)
        })
        .collect();
    order.sort();
    for (listed, i) in order {
        let entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                let name = if listed.is_empty() {
                    format!("第 {} 个文件", i + 1)
                } else {
                    listed
                };
                summary.rejects.push(Reject {
                    file: Arc::from(format!("{shown}!{name}")),
                    line: 0,
                    record_id: normalise_key(&name),
                    reason: format!(
                        "压缩包里的这个文件读不了（{e}）：请解压后检查它，或重新打包（不加密码）"
                    ),
                });
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let name = entry_name(entry.name_raw());
        let label = format!("{shown}!{name}");
        if !is_result(&name) {
            summary.skipped.push(Skipped {
                path: PathBuf::from(&label),
                reason: "不是识别结果（.json 或 .jsonl），没有读取".into(),
            });
            continue;
        }
        let file: Arc<str> = Arc::from(label);
        import_docs(opts, &file, &name, entry, list, w, summary)?;
    }
    Ok(())
}
