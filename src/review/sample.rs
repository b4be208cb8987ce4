//! `hotline-qa sample`: picks calls of a run for manual review and writes
//! them as a review sheet (xlsx) that a QA lead fills in Excel and gives
//! back with `hotline-qa score … --reviews review_sheet.xlsx`.
//!
//! Why it exists: the machine's findings are only as good as the rules and
//! the ASR behind them, and nobody can re-listen to every call. A fair
//! review needs every operator represented (so an appraisal never rests on
//! calls nobody checked), while the calls where a machine error costs most
//! — red lines, failed calls, poorly recognised transcripts, findings that
//! wait for a human — should come up more often than the clean ones.
//!
//! How calls are picked: per operator, `N` calls (all of them when the
//! operator has fewer) by weighted sampling without replacement
//! (Efraimidis–Spirakis: each call gets the key `u^(1/w)` and the `N`
//! largest keys win). `u` comes from a hash of the seed and the call id
//! ([`uniform`]), not from a random generator fed in file order, so the
//! same seed picks the same calls whatever the order of calls.csv or the
//! number of threads. The weights are [`WEIGHT_BASE`] and the constants
//! after it; each sampled call is labelled with the strongest [`Reason`]
//! that applies.
//!
//! The sheet has three worksheets: `复核` (one row per machine finding of a
//! sampled call, one row per sampled call without findings, the six review
//! columns empty; headers that [`crate::review::reviews`] reads back),
//! `通话原文` (the dialogue of each sampled call, read from the run's inputs
//! in one pass) and `说明` (how to fill it in, in plain Chinese). The file
//! is byte-identical for the same run and seed: the workbook's creation
//! time is fixed (the run's as-of time), not the time it was written.

use std::borrow::Cow;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail};
use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, DocProperties,
    ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
};

use crate::config::Config;
use crate::input::transcripts::{self, Limits, LineReader};
use crate::input::{self, tickets};
use crate::lexicon::directory::Directory;
use crate::model::{NormId, Speaker, Ticket};
use crate::report::AtomicFile;
use crate::review::manifest::Manifest;
use crate::review::run_table::RunTable;

/// Every call's weight to begin with. A clean call can still be drawn:
/// the sheet must also show how often the machine misses problems in
/// calls it passed (added findings can only come from those).
pub const WEIGHT_BASE: f64 = 1.0;
/// Added for a red-line call (一票否决). A red line zeroes the call and
/// weighs on the operator's appraisal, so a wrong one does the most harm;
/// with weight 5 against 1 such a call is drawn about five times as readily
/// as a clean one, i.e. nearly always when the operator has few of them.
pub const WEIGHT_RED_LINE: f64 = 4.0;
/// Added for a call with a critical finding (重大风险: a caller's
/// self-harm not escalated, spec §2.1): as heavy as a red line, because it
/// is the finding a hotline office must act on the same day, and a wrong
/// one as costly for the operator.
pub const WEIGHT_CRITICAL: f64 = 4.0;
/// Added when the machine score is below the pass mark: failed calls move
/// the pass rate and the ranking, so their findings are worth checking
/// before they count.
pub const WEIGHT_FAILED: f64 = 2.0;
/// Added when the call's mean ASR confidence is low (below
/// `review.low_confidence` + [`CONFIDENCE_MARGIN`]): misrecognised words
/// cause false findings (a forbidden word that was never said) and hide
/// real ones, so these transcripts are where the machine is least sure.
pub const WEIGHT_LOW_CONFIDENCE: f64 = 2.0;
/// Added when the call has findings waiting for review (uncertain
/// utterance, overlapping speech): they cost nothing until a person
/// decides, so they need a person; a small weight, because the score
/// already leaves them out.
pub const WEIGHT_NEEDS_REVIEW: f64 = 1.0;
/// How far above `review.low_confidence` (an *utterance* threshold) a
/// call's *mean* confidence still counts as low. A mean hides the worst
/// utterances: a call whose mean is 0.72 has many utterances near or under
/// 0.6, while a mean below 0.6 is rare. With the default 0.6 the call
/// threshold is 0.75.
pub const CONFIDENCE_MARGIN: f64 = 0.15;

/// The review sheet's default file name inside the run folder.
pub const DEFAULT_FILE: &str = "review_sheet.xlsx";
/// The worksheet the reviews reader reads.
pub const SHEET_REVIEW: &str = "复核";
/// The worksheet with the dialogues.
pub const SHEET_DIALOGUE: &str = "通话原文";
/// The worksheet with the instructions.
pub const SHEET_HELP: &str = "说明";

/// The columns of the `复核` sheet, in order. The review columns (the last
/// six) and 通话编号, 规范, 规则, 句序号 are the names
/// [`crate::review::reviews`] recognises; the machine's points are
/// 机器扣分 — never 扣分 or points, which the reader would take as the
/// reviewer's deduction of an added finding.
pub const REVIEW_COLUMNS: [&str; 22] = [
    "通话编号",
    "话务员工号",
    "话务员",
    "班组",
    "通话时间",
    "机器得分",
    "抽样原因",
    "规范",
    "规则",
    "规则说明",
    "句序号",
    "时间(秒)",
    "说话人",
    "证据摘录",
    "机器扣分",
    "待复核",
    "复核结论",
    "申诉",
    "新增扣分",
    "复核人",
    "复核时间",
    "备注",
];

/// The columns of the `通话原文` sheet.
pub const DIALOGUE_COLUMNS: [&str; 7] = [
    "通话编号",
    "句序号",
    "开始(秒)",
    "结束(秒)",
    "说话人",
    "识别置信度",
    "原文",
];

/// Index of the first review column (复核结论) in [`REVIEW_COLUMNS`].
const FIRST_REVIEW_COL: u16 = 16;
/// Rows below the data that still get the dropdowns, for rows a reviewer
/// appends at the end (rows inserted in the middle inherit them anyway).
const SPARE_ROWS: u32 = 200;
/// The last row index Excel has (1,048,576 rows).
const EXCEL_MAX_ROW: u32 = 1_048_575;
/// Excel keeps at most 32,767 characters in a cell.
const EXCEL_MAX_CHARS: usize = 32_000;

/// Why a call was sampled: the strongest reason that applies (in this
/// order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// A call with a critical finding (重大风险).
    Critical,
    /// A red-line call (红线).
    RedLine,
    /// The machine score is below the pass mark (不及格).
    Failed,
    /// The mean ASR confidence is low (识别置信度低).
    LowConfidence,
    /// Findings wait for review (有待复核扣分).
    NeedsReview,
    /// None of the above (随机).
    Random,
}

/// How many reasons there are ([`Reason::ALL`]).
pub const REASONS: usize = 6;

impl Reason {
    /// All reasons, strongest first.
    pub const ALL: [Reason; REASONS] = [
        Reason::Critical,
        Reason::RedLine,
        Reason::Failed,
        Reason::LowConfidence,
        Reason::NeedsReview,
        Reason::Random,
    ];

    /// The label written into the sheet (抽样原因).
    pub fn label_zh(self) -> &'static str {
        match self {
            Reason::Critical => "重大风险",
            Reason::RedLine => "红线",
            Reason::Failed => "不及格",
            Reason::LowConfidence => "识别置信度低",
            Reason::NeedsReview => "有待复核扣分",
            Reason::Random => "随机",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What the sampler needs to know of a call (one row of calls.csv).
#[derive(Clone, Debug, PartialEq)]
pub struct CallInfo {
    /// The call.
    pub call_id: String,
    /// The operator (the stratum).
    pub operator_id: String,
    /// The operator's name.
    pub operator_name: String,
    /// The team (班组).
    pub team: String,
    /// When the call started, as in calls.csv.
    pub started_at: String,
    /// The machine score.
    pub score: f64,
    /// Red line.
    pub red_line: bool,
    /// A machine finding of the call is critical (severity `critical` in
    /// findings.csv).
    pub critical: bool,
    /// Findings waiting for review.
    pub needs_review: u32,
    /// Mean ASR confidence, when the transcript had it.
    pub confidence: Option<f64>,
}

/// The scorecard values the weights depend on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// A call passes with a score at least this.
    pub pass_mark: f64,
    /// The scorecard's `review.low_confidence` (per utterance).
    pub low_confidence: f64,
}

impl Thresholds {
    /// The thresholds of a scorecard.
    pub fn of(config: &Config) -> Thresholds {
        Thresholds {
            pass_mark: config.pass_mark,
            low_confidence: config.review.low_confidence,
        }
    }

    fn is_low_confidence(&self, c: &CallInfo) -> bool {
        c.confidence
            .is_some_and(|x| x < self.low_confidence + CONFIDENCE_MARGIN)
    }

    /// The call's sampling weight (see [`WEIGHT_BASE`] and the constants
    /// after it).
    pub fn weight(&self, c: &CallInfo) -> f64 {
        let mut w = WEIGHT_BASE;
        if c.critical {
            w += WEIGHT_CRITICAL;
        }
        if c.red_line {
            w += WEIGHT_RED_LINE;
        }
        if c.score < self.pass_mark {
            w += WEIGHT_FAILED;
        }
        if self.is_low_confidence(c) {
            w += WEIGHT_LOW_CONFIDENCE;
        }
        if c.needs_review > 0 {
            w += WEIGHT_NEEDS_REVIEW;
        }
        w
    }

    /// The strongest reason that applies to the call.
    pub fn reason(&self, c: &CallInfo) -> Reason {
        if c.critical {
            Reason::Critical
        } else if c.red_line {
            Reason::RedLine
        } else if c.score < self.pass_mark {
            Reason::Failed
        } else if self.is_low_confidence(c) {
            Reason::LowConfidence
        } else if c.needs_review > 0 {
            Reason::NeedsReview
        } else {
            Reason::Random
        }
    }
}

/// FNV-1a, 64 bits: a hash of the id that never changes between
/// versions, platforms or runs (std's `RandomState` does).
fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64's output function: mixes every input bit into every output bit.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The call's uniform number in (0, 1) for this seed: SplitMix64 over
/// the (mixed) seed XOR a stable hash of the call id. Depends on nothing
/// else, so neither file order nor thread count changes a selection.
pub fn uniform(seed: u64, call_id: &str) -> f64 {
    let x = splitmix64(splitmix64(seed) ^ fnv1a(call_id));
    // 53 random bits, centred in their interval: never 0, never 1.
    ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// The Efraimidis–Spirakis key of a call, as its logarithm: `ln(u) / w`
/// orders calls exactly as `u^(1/w)` does, without underflow for large
/// weights. Larger keys are taken first.
pub fn key(seed: u64, call_id: &str, weight: f64) -> f64 {
    uniform(seed, call_id).ln() / weight
}

struct Candidate {
    key: f64,
    call: CallInfo,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        // Ties (practically never) go to the smaller call id.
        self.key
            .total_cmp(&other.key)
            .then_with(|| other.call.call_id.cmp(&self.call.call_id))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Candidate {}

#[derive(Default)]
struct Pool {
    calls: u64,
    /// The best `per_operator` candidates so far, worst on top.
    best: BinaryHeap<Reverse<Candidate>>,
}

/// Streams calls in and keeps, per operator, the `per_operator` calls with
/// the largest keys: memory is operators × N, not the size of the run.
pub struct Sampler {
    per_operator: usize,
    seed: u64,
    thresholds: Thresholds,
    operators: HashMap<String, Pool>,
    population: u64,
    population_by_reason: [u64; REASONS],
}

impl Sampler {
    /// A sampler taking `per_operator` calls per operator.
    pub fn new(per_operator: usize, seed: u64, thresholds: Thresholds) -> Sampler {
        Sampler {
            per_operator,
            seed,
            thresholds,
            operators: HashMap::new(),
            population: 0,
            population_by_reason: [0; REASONS],
        }
    }

    /// Offers one call.
    pub fn push(&mut self, call: CallInfo) {
        self.population += 1;
        self.population_by_reason[self.thresholds.reason(&call).index()] += 1;
        let w = self.thresholds.weight(&call);
        let cand = Candidate {
            key: key(self.seed, &call.call_id, w),
            call,
        };
        let pool = self
            .operators
            .entry(cand.call.operator_id.clone())
            .or_default();
        pool.calls += 1;
        if self.per_operator == 0 {
            return;
        }
        if pool.best.len() < self.per_operator {
            pool.best.push(Reverse(cand));
        } else if pool.best.peek().is_some_and(|Reverse(worst)| cand > *worst) {
            pool.best.pop();
            pool.best.push(Reverse(cand));
        }
    }

    /// The selection: sampled calls ordered by operator id, then start
    /// time, then call id (independent of the order calls came in).
    pub fn finish(self) -> Selection {
        let thresholds = self.thresholds;
        let operators = self.operators.len();
        let mut sampled: Vec<Sampled> = self
            .operators
            .into_values()
            .flat_map(|p| p.best.into_iter())
            .map(|Reverse(c)| Sampled {
                reason: thresholds.reason(&c.call),
                weight: thresholds.weight(&c.call),
                call: c.call,
            })
            .collect();
        sampled.sort_by(|a, b| {
            (&a.call.operator_id, &a.call.started_at, &a.call.call_id).cmp(&(
                &b.call.operator_id,
                &b.call.started_at,
                &b.call.call_id,
            ))
        });
        Selection {
            sampled,
            operators,
            population: self.population,
            population_by_reason: self.population_by_reason,
        }
    }
}

/// A sampled call.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampled {
    /// The call.
    pub call: CallInfo,
    /// Why (the strongest reason that applies).
    pub reason: Reason,
    /// Its sampling weight.
    pub weight: f64,
}

/// The outcome of sampling.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// Sampled calls, by operator id, start time, call id.
    pub sampled: Vec<Sampled>,
    /// Operators in the run.
    pub operators: usize,
    /// Calls in the run.
    pub population: u64,
    /// Calls in the run by strongest reason (index: [`Reason::ALL`]).
    pub population_by_reason: [u64; REASONS],
}

impl Selection {
    /// Sampled calls by reason (index: [`Reason::ALL`]).
    pub fn by_reason(&self) -> [usize; REASONS] {
        let mut n = [0; REASONS];
        for s in &self.sampled {
            n[s.reason.index()] += 1;
        }
        n
    }
}

/// Samples `calls`: `per_operator` per operator (all when fewer).
pub fn select(
    calls: impl IntoIterator<Item = CallInfo>,
    per_operator: usize,
    seed: u64,
    thresholds: Thresholds,
) -> Selection {
    let mut s = Sampler::new(per_operator, seed, thresholds);
    for c in calls {
        s.push(c);
    }
    s.finish()
}

/// What `hotline-qa sample` is asked to do.
#[derive(Clone, Debug)]
pub struct SampleOptions {
    /// The run folder written by `score`.
    pub run_dir: PathBuf,
    /// Calls per operator.
    pub per_operator: usize,
    /// The seed.
    pub seed: u64,
    /// The sheet to write (default: `RUN_DIR/review_sheet.xlsx`).
    pub out: Option<PathBuf>,
}

/// What was written, for the terminal.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The sheet written.
    pub out: PathBuf,
    /// Calls per operator asked for.
    pub per_operator: usize,
    /// The seed.
    pub seed: u64,
    /// Operators in the run.
    pub operators: usize,
    /// Calls in the run.
    pub population: u64,
    /// Calls sampled.
    pub sampled: usize,
    /// Calls sampled by reason (index: [`Reason::ALL`]).
    pub by_reason: [usize; REASONS],
    /// Calls in the run by reason (index: [`Reason::ALL`]).
    pub population_by_reason: [u64; REASONS],
    /// Rows of the `复核` sheet holding a machine finding.
    pub finding_rows: usize,
    /// Rows of the `复核` sheet for calls without findings.
    pub empty_rows: usize,
    /// Sampled calls whose dialogue is in the `通话原文` sheet.
    pub dialogues: usize,
    /// Things the user should know (inputs gone, a call not found …).
    pub warnings: Vec<String>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "抽样完成：{} 名话务员，抽取 {} 通电话（运行中共 {} 通；每人最多 {} 通，不足的全抽；种子 {}）",
            self.operators, self.sampled, self.population, self.per_operator, self.seed
        )?;
        let parts: Vec<String> = Reason::ALL
            .iter()
            .map(|r| {
                let i = r.index();
                format!(
                    "{} {}（运行中 {}）",
                    r.label_zh(),
                    self.by_reason[i],
                    self.population_by_reason[i]
                )
            })
            .collect();
        writeln!(f, "按抽样原因：{}", parts.join("，"))?;
        writeln!(
            f,
            "复核表 {} 行：机器扣分 {} 条，没有扣分的电话 {} 通（各一行，用来补漏判）；通话原文 {} 通",
            self.finding_rows + self.empty_rows,
            self.finding_rows,
            self.empty_rows,
            self.dialogues
        )?;
        for w in &self.warnings {
            writeln!(f, "注意：{w}")?;
        }
        writeln!(f, "已写入 {}", self.out.display())?;
        writeln!(
            f,
            "填好“复核结论”等列后交回：hotline-qa score <原来的输入> --out <新文件夹> --reviews {}",
            self.out.display()
        )
    }
}

/// Checks `--out`: it must be an .xlsx file (the reviews reader reads a
/// workbook only by that extension).
pub fn check_out(out: &Path) -> Result<(), String> {
    if out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    {
        Ok(())
    } else {
        Err(format!(
            "--out {}: 复核表要存为 .xlsx 文件（如 review_sheet.xlsx）",
            out.display()
        ))
    }
}

/// `hotline-qa sample`: reads the run, samples, writes the sheet.
pub fn sample(opts: &SampleOptions) -> anyhow::Result<Summary> {
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| opts.run_dir.join(DEFAULT_FILE));
    check_out(&out).map_err(|e| anyhow!(e))?;
    let m = Manifest::read(&opts.run_dir)?;
    let config = m.config(&opts.run_dir)?;
    let thresholds = Thresholds::of(&config);
    let mut sampler = Sampler::new(opts.per_operator, opts.seed, thresholds);
    let critical = read_critical(&opts.run_dir.join("findings.csv"))?;
    read_calls(&opts.run_dir.join("calls.csv"), &mut |mut c| {
        c.critical = critical.contains(c.call_id.as_str());
        sampler.push(c)
    })?;
    let selection = sampler.finish();
    let ids: HashSet<&str> = selection
        .sampled
        .iter()
        .map(|s| s.call.call_id.as_str())
        .collect();
    let findings = read_findings(&opts.run_dir.join("findings.csv"), &ids)?;
    let mut warnings = Vec::new();
    let dialogues = read_dialogues(&m, &config, &ids, &mut warnings);
    let info = SheetInfo {
        per_operator: opts.per_operator,
        seed: opts.seed,
        scorecard_version: &m.scorecard_version,
        as_of: &m.as_of,
        thresholds,
    };
    let written = write_workbook(&out, &selection, &findings, &dialogues, &info)?;
    if let Dialogues::Found(d) = &dialogues {
        let missing = selection
            .sampled
            .iter()
            .filter(|s| !d.contains_key(&s.call.call_id))
            .count();
        if missing > 0 {
            warnings.push(format!(
                "{missing} 通抽中的电话在输入里没有找到原文（输入文件换过？），“{SHEET_DIALOGUE}”表里已注明"
            ));
        }
    }
    Ok(Summary {
        out,
        per_operator: opts.per_operator,
        seed: opts.seed,
        operators: selection.operators,
        population: selection.population,
        sampled: selection.sampled.len(),
        by_reason: selection.by_reason(),
        population_by_reason: selection.population_by_reason,
        finding_rows: written.finding_rows,
        empty_rows: written.empty_rows,
        dialogues: written.dialogues,
        warnings,
    })
}

const CALL_FIELDS: &[&str] = &[
    "call_id",
    "operator_id",
    "operator_name",
    "team",
    "started_at",
    "score",
    "red_line",
    "needs_review",
    "confidence",
];

fn read_calls(path: &Path, each: &mut dyn FnMut(CallInfo)) -> anyhow::Result<()> {
    let mut t = RunTable::open(path, CALL_FIELDS, &[])?;
    let mut rec = csv::StringRecord::new();
    while t.next(&mut rec)? {
        let call_id = t.field(&rec, 0)?;
        if call_id.is_empty() {
            return Err(t.error(&rec, 0, "通话编号为空"));
        }
        let needs_review = t.field(&rec, 7)?.trim();
        let needs_review = needs_review
            .parse::<u32>()
            .map_err(|_| t.error(&rec, 7, &format!("“{needs_review}”不是 0 或正整数")))?;
        let confidence = t.number(&rec, 8)?;
        each(CallInfo {
            call_id: call_id.to_string(),
            operator_id: t.field(&rec, 1)?.to_string(),
            operator_name: t.field(&rec, 2)?.to_string(),
            team: t.field(&rec, 3)?.to_string(),
            started_at: t.field(&rec, 4)?.to_string(),
            score: t.required_number(&rec, 5)?,
            red_line: t.boolean(&rec, 6)?,
            // Set from findings.csv by the caller (`read_critical`).
            critical: false,
            needs_review,
            confidence,
        });
    }
    Ok(())
}

/// The calls with a critical machine finding (severity `critical`; a
/// finding a reviewer added is no machine finding): calls.csv has no
/// column for it, and these calls are few.
fn read_critical(path: &Path) -> anyhow::Result<HashSet<String>> {
    let mut t = RunTable::open(path, &["call_id", "severity", "verdict"], &[])?;
    let mut rec = csv::StringRecord::new();
    let mut out = HashSet::new();
    while t.next(&mut rec)? {
        if t.field(&rec, 1)?.trim() == "critical"
            && !t.field(&rec, 2)?.trim().eq_ignore_ascii_case("added")
        {
            out.insert(t.field(&rec, 0)?.to_string());
        }
    }
    Ok(out)
}

/// A machine finding of a sampled call, as findings.csv has it.
#[derive(Clone, Debug, PartialEq)]
struct FindingRow {
    norm: NormId,
    rule: String,
    points: Option<f64>,
    at_s: Option<f64>,
    utterance_index: Option<f64>,
    speaker: String,
    excerpt: String,
    needs_review: bool,
}

const FINDING_FIELDS: &[&str] = &[
    "call_id",
    "norm",
    "rule",
    "points",
    "at_s",
    "utterance_index",
    "speaker",
    "excerpt",
    "needs_review",
    "verdict",
];

/// The machine findings of the calls in `ids`, in file order per call;
/// findings a reviewer added (verdict `added`) are left out.
fn read_findings(
    path: &Path,
    ids: &HashSet<&str>,
) -> anyhow::Result<HashMap<String, Vec<FindingRow>>> {
    let mut t = RunTable::open(path, FINDING_FIELDS, &[])?;
    let mut rec = csv::StringRecord::new();
    let mut out: HashMap<String, Vec<FindingRow>> = HashMap::new();
    while t.next(&mut rec)? {
        let call_id = t.field(&rec, 0)?;
        if !ids.contains(call_id) {
            continue;
        }
        if t.field(&rec, 9)?.trim().eq_ignore_ascii_case("added") {
            continue;
        }
        let norm_raw = t.field(&rec, 1)?;
        let norm = NormId::parse_known(norm_raw)
            .ok_or_else(|| t.error(&rec, 1, &format!("“{norm_raw}”不是评分表的评分项")))?;
        let row = FindingRow {
            norm,
            rule: t.field(&rec, 2)?.to_string(),
            points: t.number(&rec, 3)?,
            at_s: t.number(&rec, 4)?,
            utterance_index: t.number(&rec, 5)?,
            speaker: t.field(&rec, 6)?.to_string(),
            excerpt: t.field(&rec, 7)?.to_string(),
            needs_review: t.boolean(&rec, 8)?,
        };
        out.entry(call_id.to_string()).or_default().push(row);
    }
    Ok(out)
}

/// One utterance of the `通话原文` sheet (text already masked).
#[derive(Clone, Debug, PartialEq)]
struct Line {
    start: f64,
    end: f64,
    speaker: Speaker,
    confidence: Option<f64>,
    text: String,
}

/// The dialogues of the sampled calls, or why there are none.
enum Dialogues {
    /// By call id (calls not found are absent).
    Found(HashMap<String, Vec<Line>>),
    /// The note written instead.
    Unavailable(String),
}

/// Reads the dialogues of the calls in `ids` from the run's inputs in one
/// pass over the transcripts (and one over the tickets, for the caller
/// names to mask). Never fails: what cannot be read becomes a warning and
/// a note in the sheet.
fn read_dialogues(
    m: &Manifest,
    config: &Config,
    ids: &HashSet<&str>,
    warnings: &mut Vec<String>,
) -> Dialogues {
    let missing: Vec<String> = m
        .inputs
        .iter()
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !missing.is_empty() || m.inputs.is_empty() {
        let note = if m.inputs.is_empty() {
            "运行记录（run.json）里没有输入文件，无法附上通话原文".to_string()
        } else {
            format!(
                "评分时的输入已不在原处（{}），无法附上通话原文；复核时请到原系统听录音或查看转写",
                missing.join("、")
            )
        };
        warnings.push(note.clone());
        return Dialogues::Unavailable(note);
    }
    let inputs = match input::collect_inputs(&m.inputs) {
        Ok(i) => i,
        Err(e) => {
            let note = format!("无法读取评分时的输入（{e:#}），没有附上通话原文");
            warnings.push(note.clone());
            return Dialogues::Unavailable(note);
        }
    };
    let local = config.offset();
    let directory = match &m.directory {
        Some(p) => Directory::load(p).unwrap_or_else(|e| {
            warnings.push(format!(
                "通讯录 {} 无法读取（{e}），用内置通讯录判断哪些号码是公开号码",
                p.display()
            ));
            Directory::builtin()
        }),
        None => Directory::builtin(),
    };
    // The one masking step of every output (privacy::Masker), with the
    // run's scorecard; should its lexicons no longer load, every number but
    // the directory's is masked.
    let fallback_directory = directory.clone();
    let scorer = match crate::norms::Scorer::new(config.clone(), directory) {
        Ok(s) => Some(s),
        Err(e) => {
            if !m.show_pii {
                warnings.push(format!(
                    "评分表的词表无法读取（{e}），通话原文里除通讯录号码外的号码都已遮盖"
                ));
            }
            None
        }
    };
    let masker = scorer.as_ref().map(crate::report::privacy::Masker::new);
    let scorer_directory = scorer
        .as_ref()
        .map_or(&fallback_directory, |s| s.directory());
    // The callers' names are on the tickets: read only the sampled calls'.
    let mut ticket_of: HashMap<String, Ticket> = HashMap::new();
    if !m.show_pii {
        for path in &inputs.tickets {
            let r = tickets::read_file(path, m.sheet.as_deref(), local, &mut |row| {
                if let Ok(t) = row {
                    if let Some(id) = t.call_id.as_deref().filter(|id| ids.contains(id)) {
                        if !ticket_of.contains_key(id) {
                            ticket_of.insert(id.to_string(), t);
                        }
                    }
                }
            });
            if let Err(e) = r {
                warnings.push(format!(
                    "工单 {} 无法读取（{e:#}），原文里来电人的姓名可能没有遮盖",
                    path.display()
                ));
            }
        }
    }
    // A cheap pre-filter: only lines that contain a sampled id are parsed.
    let ids_list: Vec<&str> = ids.iter().copied().collect();
    let filter = aho_corasick::AhoCorasick::new(&ids_list).ok();
    let limits = Limits::default();
    let mut found: HashMap<String, Vec<Line>> = HashMap::new();
    'files: for path in &inputs.transcripts {
        let file: Arc<str> = Arc::from(path.display().to_string());
        let reader = match transcripts::open(path) {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!("{file}：无法打开（{e}），其中的通话原文没有附上"));
                continue;
            }
        };
        let mut lines = LineReader::new(reader, limits.max_line_bytes);
        loop {
            if found.len() == ids.len() {
                break 'files;
            }
            let raw = match lines.next_line() {
                Ok(Some(raw)) => raw,
                Ok(None) => break,
                Err(e) => {
                    warnings.push(format!(
                        "{file}：第 {} 行之后无法读取（{e}），其后的通话原文没有附上",
                        lines.lines_read()
                    ));
                    break;
                }
            };
            let Ok(bytes) = &raw.bytes else { continue };
            if filter.as_ref().is_some_and(|f| !f.is_match(bytes)) {
                continue;
            }
            let Ok(call) = transcripts::parse_line(bytes, &file, raw.line, local, &limits) else {
                continue;
            };
            // The first of duplicate ids is the one that was scored.
            if !ids.contains(call.call_id.as_str()) || found.contains_key(&call.call_id) {
                continue;
            }
            let ticket = ticket_of.get(&call.call_id);
            let masked = match (&masker, m.show_pii) {
                (Some(masker), false) => Some(masker.mask_dialogue(&call, ticket)),
                _ => None,
            };
            let lines_of = call
                .utterances
                .iter()
                .enumerate()
                .map(|(i, u)| Line {
                    start: u.start,
                    end: u.end,
                    speaker: u.speaker,
                    confidence: u.confidence,
                    text: match &masked {
                        _ if m.show_pii => u.text.to_string(),
                        Some(lines) => lines.get(i).cloned().unwrap_or_default(),
                        None => {
                            crate::report::privacy::mask_text(&u.text, ticket, scorer_directory)
                        }
                    },
                })
                .collect();
            found.insert(call.call_id, lines_of);
        }
    }
    Dialogues::Found(found)
}

/// What the sheet is about, for the `说明` worksheet.
struct SheetInfo<'a> {
    per_operator: usize,
    seed: u64,
    scorecard_version: &'a str,
    as_of: &'a str,
    thresholds: Thresholds,
}

#[derive(Default)]
struct Written {
    finding_rows: usize,
    empty_rows: usize,
    dialogues: usize,
}

struct Formats {
    header: Format,
    review_header: Format,
    id: Format,
    text: Format,
    wrap: Format,
    score: Format,
    number: Format,
    int: Format,
    review: Format,
    review_time: Format,
    hit: Format,
    hit_wrap: Format,
    title: Format,
    note: Format,
}

fn formats() -> Formats {
    let review_fill = Color::RGB(0xFFF2CC);
    Formats {
        header: Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xD9E1F2))
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center),
        review_header: Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xFFD966))
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center),
        // "@": text, so Excel keeps 20261127-000103 and 0123 as written.
        id: Format::new()
            .set_num_format("@")
            .set_align(FormatAlign::Top),
        text: Format::new().set_align(FormatAlign::Top),
        wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        score: Format::new()
            .set_num_format("0.##")
            .set_align(FormatAlign::Top),
        number: Format::new()
            .set_num_format("0.0#")
            .set_align(FormatAlign::Top),
        int: Format::new()
            .set_num_format("0")
            .set_align(FormatAlign::Top),
        review: Format::new()
            .set_background_color(review_fill)
            .set_align(FormatAlign::Top),
        review_time: Format::new()
            .set_background_color(review_fill)
            .set_num_format("yyyy-mm-dd hh:mm")
            .set_align(FormatAlign::Top),
        hit: Format::new().set_background_color(Color::RGB(0xFCE4D6)),
        hit_wrap: Format::new()
            .set_background_color(Color::RGB(0xFCE4D6))
            .set_text_wrap(),
        title: Format::new().set_bold().set_font_size(14),
        note: Format::new().set_text_wrap().set_align(FormatAlign::Top),
    }
}

/// Text for a cell: Excel holds at most 32,767 characters.
fn cell(s: &str) -> Cow<'_, str> {
    // Escaped as every cell the program writes (excel_safe); reading the
    // sheet back (reviews::read) takes the apostrophe off again.
    match s.char_indices().nth(EXCEL_MAX_CHARS) {
        Some((i, _)) => Cow::Owned(
            crate::report::privacy::excel_safe(&format!("{}…（已截断）", &s[..i])).into_owned(),
        ),
        None => crate::report::privacy::excel_safe(s),
    }
}

/// `2026-11-27T09:15:02+08:00` → `2026-11-27 09:15:02` (local time as
/// written); anything else as it is.
fn display_time(s: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        Err(_) => s.to_string(),
    }
}

fn rule_description(rule: &str) -> &'static str {
    crate::rules::describe(rule)
}

fn speaker_label(key: &str) -> Cow<'_, str> {
    match Speaker::parse(key) {
        Some(s) => Cow::Borrowed(s.label_zh()),
        None => Cow::Borrowed(key),
    }
}

/// Writes the workbook to `out` (atomically: a partial file renamed on
/// success).
fn write_workbook(
    out: &Path,
    selection: &Selection,
    findings: &HashMap<String, Vec<FindingRow>>,
    dialogues: &Dialogues,
    info: &SheetInfo<'_>,
) -> anyhow::Result<Written> {
    let name = out
        .file_name()
        .ok_or_else(|| anyhow!("--out {}: 不是文件名", out.display()))?
        .to_string_lossy()
        .into_owned();
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!("{}：文件夹不存在", dir.display());
    }
    let f = formats();
    let mut wb = Workbook::new();
    // A fixed creation time (the run's as-of), so the same run and seed
    // give a byte-identical file.
    let created = ExcelDateTime::parse_from_str(info.as_of)
        .or_else(|_| ExcelDateTime::from_ymd(2000, 1, 1))
        .map_err(|e| anyhow!("{e}"))?;
    wb.set_properties(
        &DocProperties::new()
            .set_title("12345 热线抽样复核表")
            .set_author("hotline-qa")
            .set_creation_datetime(&created),
    );
    let mut written = Written::default();
    {
        let ws = wb.add_worksheet();
        ws.set_name(SHEET_REVIEW)?;
        write_review_sheet(ws, &f, selection, findings, &mut written)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(SHEET_DIALOGUE)?;
        written.dialogues = write_dialogue_sheet(ws, &f, selection, findings, dialogues)?;
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(SHEET_HELP)?;
        write_help_sheet(ws, &f, selection, info)?;
    }
    let (guard, mut writer) = AtomicFile::create(&dir, &name)?;
    wb.save_to_writer(&mut writer)
        .map_err(|e| anyhow!("{}：无法写入复核表（cannot write: {e}）", out.display()))?;
    guard.commit(writer)?;
    Ok(written)
}

fn write_review_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    selection: &Selection,
    findings: &HashMap<String, Vec<FindingRow>>,
    written: &mut Written,
) -> anyhow::Result<()> {
    const WIDTHS: [f64; 22] = [
        17.0, 10.0, 8.0, 7.0, 19.0, 8.0, 12.0, 16.0, 26.0, 30.0, 7.0, 8.0, 8.0, 50.0, 8.0, 7.0,
        10.0, 9.0, 9.0, 9.0, 16.0, 24.0,
    ];
    for (c, (h, w)) in REVIEW_COLUMNS.iter().zip(WIDTHS).enumerate() {
        let c = c as u16;
        let header = if c >= FIRST_REVIEW_COL {
            &f.review_header
        } else {
            &f.header
        };
        ws.write_string_with_format(0, c, *h, header)?;
        ws.set_column_width(c, w)?;
    }
    // Typed ids stay text; the reviewer's columns are shaded.
    ws.set_column_format(0, &f.id)?;
    ws.set_column_format(1, &f.id)?;
    for c in FIRST_REVIEW_COL..REVIEW_COLUMNS.len() as u16 {
        let fmt = if REVIEW_COLUMNS[c as usize] == "复核时间" {
            &f.review_time
        } else {
            &f.review
        };
        ws.set_column_format(c, fmt)?;
    }
    let total: usize = selection
        .sampled
        .iter()
        .map(|s| findings.get(&s.call.call_id).map_or(1, |v| v.len().max(1)))
        .sum();
    if total as u64 > u64::from(EXCEL_MAX_ROW) {
        bail!(
            "复核表会有 {total} 行，超过 Excel 一张表的上限（1,048,575 行）；请减小 --per-operator"
        );
    }
    let mut r: u32 = 1;
    for s in &selection.sampled {
        let c = &s.call;
        let rows: &[FindingRow] = findings.get(&c.call_id).map_or(&[], |v| v.as_slice());
        let call_cells = |ws: &mut Worksheet, r: u32| -> anyhow::Result<()> {
            ws.write_string_with_format(r, 0, cell(&c.call_id), &f.id)?;
            ws.write_string_with_format(r, 1, cell(&c.operator_id), &f.id)?;
            ws.write_string_with_format(r, 2, cell(&c.operator_name), &f.text)?;
            ws.write_string_with_format(r, 3, cell(&c.team), &f.text)?;
            ws.write_string_with_format(r, 4, display_time(&c.started_at), &f.text)?;
            ws.write_number_with_format(r, 5, c.score, &f.score)?;
            ws.write_string_with_format(r, 6, s.reason.label_zh(), &f.text)?;
            Ok(())
        };
        if rows.is_empty() {
            call_cells(ws, r)?;
            written.empty_rows += 1;
            r += 1;
            continue;
        }
        for fr in rows {
            call_cells(ws, r)?;
            ws.write_string_with_format(r, 7, fr.norm.name_zh(), &f.text)?;
            ws.write_string_with_format(r, 8, cell(&fr.rule), &f.text)?;
            ws.write_string_with_format(r, 9, rule_description(&fr.rule), &f.wrap)?;
            if let Some(i) = fr.utterance_index {
                ws.write_number_with_format(r, 10, i, &f.int)?;
            }
            if let Some(t) = fr.at_s {
                ws.write_number_with_format(r, 11, t, &f.number)?;
            }
            if !fr.speaker.is_empty() {
                ws.write_string_with_format(r, 12, speaker_label(&fr.speaker), &f.text)?;
            }
            if !fr.excerpt.is_empty() {
                ws.write_string_with_format(r, 13, cell(&fr.excerpt), &f.wrap)?;
            }
            if let Some(p) = fr.points {
                ws.write_number_with_format(r, 14, p, &f.score)?;
            }
            if fr.needs_review {
                ws.write_string_with_format(r, 15, "是", &f.text)?;
            }
            written.finding_rows += 1;
            r += 1;
        }
    }
    let last_data = r.saturating_sub(1).max(1);
    let last = (last_data + SPARE_ROWS).min(EXCEL_MAX_ROW);
    let col = |name: &str| {
        REVIEW_COLUMNS
            .iter()
            .position(|h| *h == name)
            .map_or(0, |i| i as u16)
    };
    let verdict = DataValidation::new()
        .allow_list_strings(&["确认", "误判", "新增"])?
        .set_input_title("复核结论")?
        .set_input_message("确认：扣分对；误判：不该扣；新增：机器漏判，要补扣（同时填规范）")?
        .set_error_title("复核结论")?
        .set_error_message("请从下拉列表选：确认、误判、新增")?;
    ws.add_data_validation(1, col("复核结论"), last, col("复核结论"), &verdict)?;
    let appeal = DataValidation::new()
        .allow_list_strings(&["申诉中", "维持", "撤销"])?
        .set_input_title("申诉")?
        .set_input_message(
            "话务员申诉时填“申诉中”；有结果后改为“维持”（仍扣分）或“撤销”（不扣分）",
        )?
        .set_error_title("申诉")?
        .set_error_message("请从下拉列表选：申诉中、维持、撤销")?;
    ws.add_data_validation(1, col("申诉"), last, col("申诉"), &appeal)?;
    // The built-in norms and the items of the scorecards read (the run's).
    let norms: Vec<&str> = NormId::ALL
        .into_iter()
        .chain(NormId::customs())
        .map(|n| n.name_zh())
        .collect();
    let norm = DataValidation::new()
        .allow_list_strings(&norms)?
        .set_error_style(DataValidationErrorStyle::Warning)
        .set_error_title("规范")?
        .set_error_message("规范应为十一项规范之一（从下拉列表选）")?;
    ws.add_data_validation(1, col("规范"), last, col("规范"), &norm)?;
    let points = DataValidation::new()
        .allow_decimal_number(DataValidationRule::Between(0.0, 100.0))
        .set_input_title("新增扣分")?
        .set_input_message("只在复核结论为“新增”、且扣分和该规范平常扣的不同时填；留空按该规范扣")?
        .set_error_title("新增扣分")?
        .set_error_message("应为 0 到该规范满分之间的数字")?;
    ws.add_data_validation(1, col("新增扣分"), last, col("新增扣分"), &points)?;
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, last_data, REVIEW_COLUMNS.len() as u16 - 1)?;
    Ok(())
}

/// Writes the dialogues; returns the number of calls written.
fn write_dialogue_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    selection: &Selection,
    findings: &HashMap<String, Vec<FindingRow>>,
    dialogues: &Dialogues,
) -> anyhow::Result<usize> {
    const WIDTHS: [f64; 7] = [17.0, 7.0, 9.0, 9.0, 9.0, 10.0, 80.0];
    for (c, (h, w)) in DIALOGUE_COLUMNS.iter().zip(WIDTHS).enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &f.header)?;
        ws.set_column_width(c as u16, w)?;
    }
    ws.set_column_format(0, &f.id)?;
    ws.set_freeze_panes(1, 0)?;
    let found = match dialogues {
        Dialogues::Unavailable(note) => {
            ws.write_string_with_format(1, 6, cell(note), &f.note)?;
            return Ok(0);
        }
        Dialogues::Found(d) => d,
    };
    let mut r: u32 = 1;
    let mut calls = 0;
    for s in &selection.sampled {
        if r >= EXCEL_MAX_ROW {
            ws.write_string_with_format(
                EXCEL_MAX_ROW,
                6,
                "已到 Excel 一张表的行数上限，其余通话的原文没有写入",
                &f.note,
            )?;
            break;
        }
        let id = &s.call.call_id;
        let Some(lines) = found.get(id) else {
            ws.write_string_with_format(r, 0, cell(id), &f.id)?;
            ws.write_string_with_format(r, 6, "（输入里没有找到这通电话的原文）", &f.note)?;
            r += 1;
            continue;
        };
        // Utterances with a finding are shaded, as in the 复核 sheet's 句序号.
        let hits: HashSet<usize> = findings
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|fr| fr.utterance_index)
            .map(|i| i as usize)
            .collect();
        calls += 1;
        for (i, u) in lines.iter().enumerate() {
            if r >= EXCEL_MAX_ROW {
                break;
            }
            let hit = hits.contains(&i);
            let (plain, wrap) = if hit {
                (&f.hit, &f.hit_wrap)
            } else {
                (&f.text, &f.wrap)
            };
            ws.write_string_with_format(r, 0, cell(id), &f.id)?;
            ws.write_number_with_format(r, 1, i as f64, plain)?;
            ws.write_number_with_format(r, 2, u.start, plain)?;
            ws.write_number_with_format(r, 3, u.end, plain)?;
            ws.write_string_with_format(r, 4, u.speaker.label_zh(), plain)?;
            if let Some(c) = u.confidence {
                ws.write_number_with_format(r, 5, c, plain)?;
            }
            ws.write_string_with_format(r, 6, cell(&u.text), wrap)?;
            r += 1;
        }
    }
    if r > 1 {
        ws.autofilter(0, 0, r - 1, DIALOGUE_COLUMNS.len() as u16 - 1)?;
    }
    Ok(calls)
}

fn write_help_sheet(
    ws: &mut Worksheet,
    f: &Formats,
    selection: &Selection,
    info: &SheetInfo<'_>,
) -> anyhow::Result<()> {
    let t = info.thresholds;
    let lines: Vec<String> = vec![
        "怎么填这张复核表".to_string(),
        String::new(),
        "一、这张表是什么".to_string(),
        format!(
            "“{SHEET_REVIEW}”表是从一次评分结果里抽出来、要人工复核的电话：每位话务员抽 {} 通（不足 {} 通的全抽）。\
             红线、不及格、识别置信度低、有待复核扣分的电话被抽中的机会更大，“抽样原因”列写了最主要的一条。",
            info.per_operator, info.per_operator
        ),
        format!(
            "抽样权重：每通电话基础 {}；红线 +{}；得分低于及格线 {} +{}；平均识别置信度低于 {} +{}；有待复核扣分 +{}。\
             权重 5 的电话被先抽中的机会约是权重 1 的 5 倍。同一次评分、同一个种子，抽出的电话完全相同。",
            crate::report::num(WEIGHT_BASE),
            crate::report::num(WEIGHT_RED_LINE),
            crate::report::num(t.pass_mark),
            crate::report::num(WEIGHT_FAILED),
            crate::report::num(t.low_confidence + CONFIDENCE_MARGIN),
            crate::report::num(WEIGHT_LOW_CONFIDENCE),
            crate::report::num(WEIGHT_NEEDS_REVIEW),
        ),
        "每一行是机器的一条扣分（规范、规则、第几句、证据摘录、机器扣分）。没有扣分的电话也占一行，规范和规则是空的，用来补机器漏掉的扣分。\
         “通话原文”表是这些电话的全文，有扣分的句子标了底色。"
            .to_string(),
        String::new(),
        "二、怎么填（只填右边黄色的六列）".to_string(),
        "复核结论：确认 = 这条扣分对；误判 = 这条扣分不对，不该扣（重新评分时不扣这条的分）；新增 = 机器漏判、要补扣。".to_string(),
        "补一条漏判：在这通电话的空行（或把这通电话的任一行复制一行）填“规范”（下拉选择），知道规则编号就填“规则”（hotline-qa rules 可查），\
         “复核结论”选“新增”；知道在第几句就填“句序号”。扣分和该规范平常扣的不同时，在“新增扣分”填分数（0 到该规范满分），否则留空。"
            .to_string(),
        "句序号从 0 开始数，和 findings.csv 一样：第一句是 0，第二句是 1。对照“通话原文”表的“句序号”列。".to_string(),
        "申诉：话务员对一条扣分提出申诉时填“申诉中”（结果出来前照样扣分）；有结果后改成“维持”（扣分成立）或“撤销”（不扣分）。".to_string(),
        "复核人、复核时间（如 2026-11-28 10:30）、备注：建议填写。同一条扣分有几次结论时（如先误判、后来又确认），把这一行复制一行，\
         填不同的复核时间，以时间最晚的为准。"
            .to_string(),
        "不要改“通话编号”“规范”“规则”“句序号”这几列（补漏判的行除外）：程序靠它们找到对应的扣分。其他列（得分、摘录、机器扣分等）只是参考，改了也不影响结果。"
            .to_string(),
        "可以排序、筛选、增加或删除行；不要改工作表名“复核”和第一行表头。一行都没填的行算“未复核”，会被跳过；只填了复核人却没填结论的行会被拒收并说明原因。"
            .to_string(),
        String::new(),
        "三、交回".to_string(),
        "保存（仍存为 .xlsx），然后用原来的输入重新评分，并带上这张表：".to_string(),
        "hotline-qa score <原来的转写和工单> --out <新文件夹> --reviews review_sheet.xlsx".to_string(),
        "结果：findings.csv 的 verdict、reviewed_points 列是复核后的状态和扣分，calls.csv 的 reviewed_score、reviewed_passed 是复核后的得分；\
         填错的行（如规则写错、句序号对不上）在 rejects.csv 里，写明行号和原因。"
            .to_string(),
        String::new(),
        "四、本表信息".to_string(),
        format!(
            "评分表版本 {}；评分截至 {}；抽样种子 {}；每人 {} 通；话务员 {} 人，抽取 {} 通（运行中共 {} 通）。",
            info.scorecard_version,
            info.as_of,
            info.seed,
            info.per_operator,
            selection.operators,
            selection.sampled.len(),
            selection.population
        ),
    ];
    ws.set_column_width(0, 110)?;
    for (r, line) in lines.iter().enumerate() {
        let fmt = if r == 0 {
            &f.title
        } else if line.starts_with(['一', '二', '三', '四']) {
            &f.header
        } else {
            &f.note
        };
        if !line.is_empty() {
            ws.write_string_with_format(r as u32, 0, line, fmt)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds {
        pass_mark: 80.0,
        low_confidence: 0.6,
    };

    fn call(id: &str, op: &str) -> CallInfo {
        CallInfo {
            call_id: id.to_string(),
            operator_id: op.to_string(),
            operator_name: format!("姓名{op}"),
            team: "A班".to_string(),
            started_at: format!("2026-11-27T09:{:02}:00+08:00", id.len() % 60),
            score: 95.0,
            red_line: false,
            critical: false,
            needs_review: 0,
            confidence: Some(0.9),
        }
    }

    /// A population: `ops` operators × `per` calls; every 20th call a red
    /// line, every 10th (offset 3) below the pass mark.
    fn population(ops: usize, per: usize) -> Vec<CallInfo> {
        let mut v = Vec::new();
        for o in 0..ops {
            for i in 0..per {
                let n = o * per + i;
                let mut c = call(&format!("20261127-{n:06}"), &format!("{:04}", 1000 + o));
                if n.is_multiple_of(20) {
                    c.red_line = true;
                    c.score = 0.0;
                } else if n % 10 == 3 {
                    c.score = 60.0;
                }
                v.push(c);
            }
        }
        v
    }

    fn ids(s: &Selection) -> Vec<String> {
        s.sampled.iter().map(|x| x.call.call_id.clone()).collect()
    }

    #[test]
    fn weights_and_reasons() {
        let mut c = call("a", "1");
        assert_eq!(T.weight(&c), 1.0);
        assert_eq!(T.reason(&c), Reason::Random);
        c.needs_review = 2;
        assert_eq!(T.weight(&c), 2.0);
        assert_eq!(T.reason(&c), Reason::NeedsReview);
        c.confidence = Some(0.74);
        assert_eq!(T.weight(&c), 4.0);
        assert_eq!(T.reason(&c), Reason::LowConfidence);
        c.score = 79.99;
        assert_eq!(T.weight(&c), 6.0);
        assert_eq!(T.reason(&c), Reason::Failed);
        c.red_line = true;
        assert_eq!(T.weight(&c), 10.0);
        assert_eq!(T.reason(&c), Reason::RedLine);
        c.critical = true;
        assert_eq!(T.weight(&c), 14.0);
        assert_eq!(T.reason(&c), Reason::Critical);
        // A critical finding alone weighs as a red line does.
        let mut e = call("c", "1");
        e.critical = true;
        assert_eq!(T.weight(&e), 5.0);
        assert_eq!(T.reason(&e), Reason::Critical);
        // No confidence is not low confidence; 0.75 itself is not below.
        let mut d = call("b", "1");
        d.confidence = None;
        assert_eq!(T.weight(&d), 1.0);
        d.confidence = Some(0.75);
        assert_eq!(T.weight(&d), 1.0);
    }

    #[test]
    fn uniform_is_stable_and_in_range() {
        // Pinned: a change here changes every selection ever made.
        assert!((uniform(1, "20261127-000001") - 0.096_757_500_059_213_96).abs() < 1e-15);
        assert_ne!(uniform(1, "20261127-000001"), uniform(2, "20261127-000001"));
        assert_ne!(uniform(1, "20261127-000001"), uniform(1, "20261127-000002"));
        let mut sum = 0.0;
        for i in 0..10_000 {
            let u = uniform(7, &format!("c{i}"));
            assert!(u > 0.0 && u < 1.0);
            sum += u;
        }
        let mean = sum / 10_000.0;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn same_seed_same_selection_whatever_the_order() {
        let calls = population(30, 17);
        let a = select(calls.clone(), 5, 42, T);
        let mut reversed = calls.clone();
        reversed.reverse();
        let b = select(reversed, 5, 42, T);
        // A deterministic shuffle (by a hash of the id).
        let mut shuffled = calls.clone();
        shuffled.sort_by_key(|c| fnv1a(&c.call_id).rotate_left(17));
        let c = select(shuffled, 5, 42, T);
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.sampled.len(), 30 * 5);
        let d = select(calls, 5, 43, T);
        assert_ne!(ids(&a), ids(&d), "another seed picks other calls");
    }

    #[test]
    fn operators_with_fewer_calls_get_all_of_them() {
        let mut calls = population(3, 10);
        calls.push(call("x1", "9001"));
        calls.push(call("x2", "9001"));
        let s = select(calls, 4, 1, T);
        let of = |op: &str| {
            s.sampled
                .iter()
                .filter(|x| x.call.operator_id == op)
                .count()
        };
        assert_eq!(of("9001"), 2);
        assert_eq!(of("1000"), 4);
        assert_eq!(s.operators, 4);
        assert_eq!(s.population, 32);
        // Ordered by operator, then time, then id.
        let keys: Vec<_> = s
            .sampled
            .iter()
            .map(|x| {
                (
                    x.call.operator_id.clone(),
                    x.call.started_at.clone(),
                    x.call.call_id.clone(),
                )
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert!(select(Vec::new(), 4, 1, T).sampled.is_empty());
    }

    #[test]
    fn weighting_over_represents_red_lines_and_low_scores() {
        // 200 operators × 50 calls, 5 each: 10% of calls sampled overall.
        let calls = population(200, 50);
        let s = select(calls.clone(), 5, 2026, T);
        let chosen: HashSet<&str> = s.sampled.iter().map(|x| x.call.call_id.as_str()).collect();
        let rate = |pred: &dyn Fn(&CallInfo) -> bool| {
            let pool: Vec<&CallInfo> = calls.iter().filter(|c| pred(c)).collect();
            let hit = pool
                .iter()
                .filter(|c| chosen.contains(c.call_id.as_str()))
                .count();
            hit as f64 / pool.len() as f64
        };
        let overall = s.sampled.len() as f64 / calls.len() as f64;
        let red = rate(&|c| c.red_line);
        let failed = rate(&|c| !c.red_line && c.score < 80.0);
        let clean = rate(&|c| !c.red_line && c.score >= 80.0);
        assert!((overall - 0.1).abs() < 1e-9);
        // With seed 2026: 0.43 (red), 0.20 (failed), 0.07 (clean).
        assert!(red > 2.5 * overall, "red {red} overall {overall}");
        assert!(failed > 1.6 * overall, "failed {failed} overall {overall}");
        assert!(clean < overall, "clean {clean} overall {overall}");
        assert!(red > failed && failed > clean);
        let by = s.by_reason();
        assert_eq!(by.iter().sum::<usize>(), s.sampled.len());
        assert_eq!(s.population_by_reason[Reason::RedLine.index()], 500);
    }

    #[test]
    fn excel_escapes_are_undone() {
        assert_eq!(
            display_time("2026-11-27T09:15:02+08:00"),
            "2026-11-27 09:15:02"
        );
        assert_eq!(display_time("昨天"), "昨天");
        let long = "长".repeat(EXCEL_MAX_CHARS + 5);
        assert!(cell(&long).ends_with("…（已截断）"));
        assert_eq!(cell("短"), "短");
    }

    /// A sheet written here reads back through the reviews reader: every
    /// row unreviewed, nothing rejected; filled in, the rows are decisions.
    #[test]
    fn the_sheet_round_trips_through_the_reviews_reader() {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut a = call("20261127-000103", "0123");
        a.score = 60.0;
        let b = call("20261127-000104", "0123");
        let selection = select(vec![a, b], 5, 1, T);
        let mut findings = HashMap::new();
        findings.insert(
            "20261127-000103".to_string(),
            vec![FindingRow {
                norm: NormId::Taboo,
                rule: "taboo.blame".into(),
                points: Some(10.0),
                at_s: Some(53.2),
                utterance_index: Some(8.0),
                speaker: "agent".into(),
                excerpt: "【有完没完】，您说重点就行。".into(),
                needs_review: false,
            }],
        );
        let info = SheetInfo {
            per_operator: 5,
            seed: 1,
            scorecard_version: "builtin-1",
            as_of: "2026-11-28T00:00:00",
            thresholds: T,
        };
        let path = tmp.path().join("s.xlsx");
        let dialogues = Dialogues::Unavailable("gone".into());
        let w = write_workbook(&path, &selection, &findings, &dialogues, &info).expect("write");
        assert_eq!((w.finding_rows, w.empty_rows, w.dialogues), (1, 1, 0));
        let max = |_| 10.0;
        let r = crate::review::reviews::read(&path, &max).expect("read");
        assert_eq!((r.read, r.unreviewed), (0, 2));
        assert!(r.rejects.is_empty() && r.by_call.is_empty());
        // Byte-identical when written again.
        let again = tmp.path().join("t.xlsx");
        write_workbook(&again, &selection, &findings, &dialogues, &info).expect("write");
        assert_eq!(
            std::fs::read(&path).expect("read"),
            std::fs::read(&again).expect("read")
        );
        // Ids stay text, with the leading zero.
        use calamine::{open_workbook, Data, Reader, Xlsx};
        let mut wb: Xlsx<_> = open_workbook(&path).expect("open");
        assert_eq!(
            wb.sheet_names(),
            vec![SHEET_REVIEW, SHEET_DIALOGUE, SHEET_HELP]
        );
        let range = wb.worksheet_range(SHEET_REVIEW).expect("sheet");
        let header: Vec<String> = range
            .rows()
            .next()
            .expect("header")
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(header, REVIEW_COLUMNS);
        let row = range.rows().nth(1).expect("row");
        assert_eq!(row[0], Data::String("20261127-000103".into()));
        assert_eq!(row[1], Data::String("0123".into()));
        assert_eq!(row[6], Data::String("不及格".into()));
        assert_eq!(row[7], Data::String("通话禁忌".into()));
        assert_eq!(row[10], Data::Float(8.0));
        assert_eq!(row[14], Data::Float(10.0));
        let note = wb.worksheet_range(SHEET_DIALOGUE).expect("sheet");
        assert_eq!(note.get_value((1, 6)), Some(&Data::String("gone".into())));
    }

    #[test]
    fn out_must_be_xlsx() {
        assert!(check_out(Path::new("a/review.xlsx")).is_ok());
        assert!(check_out(Path::new("a/review.XLSX")).is_ok());
        assert!(check_out(Path::new("a/review.csv")).is_err());
        assert!(check_out(Path::new("a/review")).is_err());
    }
}
