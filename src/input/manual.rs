//! Manual QA scores (spec §1.3): `manual.csv` with call_id, norm, points,
//! reviewer, comment. A reviewer's score for a norm replaces the automatic
//! one; the points must lie between 0 and the norm's points in the scorecard.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::input::{decode_text, Reject};
use crate::model::NormId;

/// One manual score.
#[derive(Clone, Debug, PartialEq)]
pub struct ManualScore {
    /// The norm scored.
    pub norm: NormId,
    /// Points given.
    pub points: f64,
    /// Who scored it.
    pub reviewer: String,
    /// Why.
    pub comment: String,
    /// Where it was read.
    pub line: u64,
}

/// Manual scores by call id, plus the rows that could not be used.
#[derive(Clone, Debug, Default)]
pub struct ManualScores {
    /// Scores by call id, in file order.
    pub by_call: HashMap<String, Vec<ManualScore>>,
    /// Rows read.
    pub read: u64,
    /// Rows rejected.
    pub rejects: Vec<Reject>,
    /// The file, for rejects found later (a call that does not exist).
    pub file: Option<Arc<str>>,
}

/// Reads `manual.csv` against the built-in norms; `max_points` gives each
/// norm's points in the scorecard. See [`read_items`] for a scorecard's own
/// items.
pub fn read(path: &Path, max_points: &dyn Fn(NormId) -> f64) -> anyhow::Result<ManualScores> {
    read_with(path, &|s| NormId::parse(s), max_points, &|| {
        "十一项规范之一（greeting … taboo）".to_string()
    })
}

/// Reads `manual.csv` against the items of the scorecard in use: its own
/// items (by key or Chinese name) are accepted, and a norm the scorecard
/// does not list (a dropped built-in one too) is rejected with the file,
/// line and column, naming the items it has.
pub fn read_items(path: &Path, items: &crate::config::Items) -> anyhow::Result<ManualScores> {
    read_with(
        path,
        &|s| items.parse(s),
        &|n| items.get(n).map_or(0.0, |i| i.points),
        &|| format!("本评分表的评分项之一：{}", items.keys_zh()),
    )
}

fn read_with(
    path: &Path,
    parse: &dyn Fn(&str) -> Option<NormId>,
    max_points: &dyn Fn(NormId) -> f64,
    known: &dyn Fn() -> String,
) -> anyhow::Result<ManualScores> {
    let file: Arc<str> = Arc::from(path.display().to_string());
    let bytes = std::fs::read(path).map_err(|e| {
        anyhow::anyhow!("{file}：读不了人工评分文件：{}", crate::messages::io_zh(&e))
    })?;
    let text = decode_text(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(crate::input::lines::LineCounted::new(text.as_bytes()));
    let headers = reader
        .headers()
        .map_err(|e| anyhow::anyhow!("{file} 第 1 行：读不了表头（cannot read the header: {e}）"))?
        .clone();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.trim()));
    let (Some(c_call), Some(c_norm), Some(c_points)) = (
        col(&["call_id", "通话编号"]),
        col(&["norm", "规范"]),
        col(&["points", "得分", "分数"]),
    ) else {
        anyhow::bail!("{file} 第 1 行：表头要有 call_id（通话编号）、norm（规范）、points（分数）三列，reviewer、comment 可选（the header needs call_id, norm, points）");
    };
    let c_reviewer = col(&["reviewer", "质检员"]);
    let c_comment = col(&["comment", "备注", "说明"]);
    let mut out = ManualScores {
        file: Some(file.clone()),
        ..ManualScores::default()
    };
    let mut seen = std::collections::HashSet::new();
    let mut rec = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                out.read += 1;
                let line = reader.get_mut().line_of(e.position());
                out.rejects.push(Reject {
                    file: file.clone(),
                    line,
                    record_id: String::new(),
                    reason: format!("无法读取这一行 CSV（{e}）"),
                });
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        out.read += 1;
        let line = reader.get_mut().line_of(rec.position());
        let get = |c: Option<usize>| c.and_then(|i| rec.get(i)).unwrap_or("").trim().to_string();
        let call_id = get(Some(c_call));
        let reject = |reason: String| Reject {
            file: file.clone(),
            line,
            record_id: call_id.clone(),
            reason,
        };
        if call_id.is_empty() {
            out.rejects.push(reject("缺少 call_id".into()));
            continue;
        }
        let norm_raw = get(Some(c_norm));
        let Some(norm) = parse(&norm_raw) else {
            out.rejects.push(reject(format!(
                "norm 列的“{norm_raw}”不是评分项，请改成{}（unknown norm）",
                known()
            )));
            continue;
        };
        let points_raw = get(Some(c_points));
        let max = max_points(norm);
        let points = match points_raw.parse::<f64>() {
            Ok(p) if p.is_finite() && (0.0..=max).contains(&p) => p,
            _ => {
                out.rejects.push(reject(format!(
                    "points \"{points_raw}\" 应为 0 到 {max} 之间的数字（{} 的满分）",
                    norm.key()
                )));
                continue;
            }
        };
        if !seen.insert((call_id.clone(), norm)) {
            out.rejects.push(reject(format!(
                "同一通电话的 {} 已有人工评分，保留第一条（duplicate）",
                norm.key()
            )));
            continue;
        }
        out.by_call.entry(call_id).or_default().push(ManualScore {
            norm,
            points,
            reviewer: get(c_reviewer),
            comment: get(c_comment),
            line,
        });
    }
    Ok(out)
}
