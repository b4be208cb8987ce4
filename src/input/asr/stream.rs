//! `score --from`: the import written into any writer instead of a file,
//! so that `score` reads the transcripts as they are made (a day is one
//! command) — one result document and one call line at a time, never the
//! whole day in memory or on disk. The transcripts are exactly those
//! `import` writes, so the scores are those of `import` then `score`.

use std::io::Write;
use std::sync::Arc;

use super::{import_file, result_files, CallList, ImportOptions, ImportSummary};
use crate::input::Reject;

/// Writes the transcripts of `opts.results` joined with `opts.calls` to
/// `w`, and returns what happened, with every recording and every call-list
/// row that was not written among the rejects (`opts.out` is not used).
pub fn import_into(opts: &ImportOptions, w: &mut dyn Write) -> anyhow::Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    let files = result_files(&opts.results, &mut summary.skipped)?;
    if files.is_empty() {
        anyhow::bail!(
            "{}：没有找到识别结果（.json、.jsonl 或 .zip 文件），请检查 --from 后面给的路径（no result files）",
            opts.results
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join("、")
        );
    }
    let mut list = CallList::read(&opts.calls, &mut summary.rejects)?;
    for path in &files {
        import_file(opts, path, &mut list, w, &mut summary)?;
    }
    w.flush()?;
    unused_rows(opts, &list, &mut summary);
    Ok(summary)
}

/// The call-list rows no result was found for, as rejects.
pub(super) fn unused_rows(opts: &ImportOptions, list: &CallList, summary: &mut ImportSummary) {
    let calls_file: Arc<str> = opts.calls.display().to_string().into();
    for (row, used) in list.rows.iter().zip(&list.used) {
        if !used {
            summary.rejects.push(Reject {
                file: calls_file.clone(),
                line: row.line,
                record_id: row.call_id.clone(),
                reason: "通话记录里有这通电话，但识别结果里没有它的录音：请检查录音是否送去识别，或录音文件名/任务编号是否写对".into(),
            });
        }
    }
}
