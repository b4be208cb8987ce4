//! Aggregation over one or many runs with polars: the operator ranking,
//! team subtotals, norm failure rates, unit timeliness, daily trends and
//! the worst calls, read lazily from the runs' Parquet files so that a year
//! of daily runs fits on one machine.
//!
//! When several runs report the same ticket or the same call, the one
//! given last wins (pass the run folders in date order: a later day knows
//! more about a ticket, and a re-run with reviews more about a call), so
//! `report A A` counts each call once; the calls dropped are counted.
//! A call's findings come from the run its call row comes from.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::config::Config;
use crate::model::NormId;
use crate::workflow::units::UnitRow;

/// One operator's (or team's) figures.
#[derive(Clone, Debug, PartialEq)]
pub struct OperatorRow {
    /// Operator id (empty on team rows).
    pub operator_id: String,
    /// Name.
    pub operator_name: String,
    /// 班组.
    pub team: String,
    /// Calls scored.
    pub calls: u64,
    /// Mean score.
    pub mean: f64,
    /// Median score.
    pub median: f64,
    /// Lowest score.
    pub min: f64,
    /// Share of calls passed.
    pub pass_rate: f64,
    /// Calls with a red line.
    pub red_lines: u64,
    /// Per item (in the order of [`ReportData::norms`]): calls that lost
    /// points / calls assessed (None: never assessed).
    pub fail_rates: Vec<Option<f64>>,
    /// Callbacks due on tickets this operator accepted.
    pub callbacks_due: u64,
    /// Of those, made on time.
    pub callbacks_on_time: u64,
    /// Callbacks on this operator's tickets made by someone else.
    pub callbacks_by_other: u64,
    /// Rank by mean reviewed score then reviewed pass rate; None below the minimum of calls.
    pub rank: Option<u32>,
    /// Mean score after the reviews (equal to `mean` without reviews).
    pub reviewed_mean: f64,
    /// Share of calls passed after the reviews.
    pub reviewed_pass_rate: f64,
    /// Findings still waiting for a reviewer.
    pub needs_review: u64,
    /// Appeals: pending, upheld (finding stands), overturned (withdrawn).
    pub appeals: [u64; 3],
    /// Open critical findings (重大风险: not dismissed, not overturned),
    /// counted by [`crate::report::risk::count_into`].
    pub critical: u64,
}

/// One norm's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct NormRow {
    /// The norm.
    pub norm: NormId,
    /// Calls where it was assessed.
    pub assessed: u64,
    /// Calls where it lost points.
    pub failed: u64,
    /// failed / assessed.
    pub fail_rate: Option<f64>,
    /// Findings.
    pub findings: u64,
    /// Points lost.
    pub points_lost: f64,
}

/// One day's figures, or one (day, key) pair of a trend.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendRow {
    /// YYYY-MM-DD.
    pub date: String,
    /// Operator id or unit (empty for the whole hotline).
    pub key: String,
    /// Calls or tickets.
    pub count: u64,
    /// Mean score, or on-time rate.
    pub value: Option<f64>,
    /// Pass rate (calls); None for units.
    pub pass_rate: Option<f64>,
}

/// One of the worst calls, with its findings.
#[derive(Clone, Debug, PartialEq)]
pub struct WorstCall {
    /// Call id.
    pub call_id: String,
    /// Operator id.
    pub operator_id: String,
    /// Operator name.
    pub operator_name: String,
    /// The machine's score.
    pub score: f64,
    /// The machine found a red line.
    pub red_line: bool,
    /// The score after the reviews (the machine's without any): what the
    /// worst calls are ranked by, as the operators are.
    pub reviewed_score: f64,
    /// A red line stands after the reviews.
    pub reviewed_red_line: bool,
    /// Each finding, in file order.
    pub findings: Vec<WorstFinding>,
}

/// A finding of one of the worst calls.
#[derive(Clone, Debug, PartialEq)]
pub struct WorstFinding {
    /// Rule id.
    pub rule: String,
    /// The excerpt.
    pub excerpt: String,
    /// A reviewer dismissed it, or an appeal overturned it: it costs
    /// nothing after the reviews.
    pub withdrawn: bool,
    /// A reviewer added it (the machine did not find it).
    pub added: bool,
}

/// Everything the reports show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReportData {
    /// First and last day of the calls.
    pub period: (String, String),
    /// Number of runs combined.
    pub runs: usize,
    /// Calls scored.
    pub calls: u64,
    /// Mean score.
    pub mean: Option<f64>,
    /// Share passed.
    pub pass_rate: Option<f64>,
    /// Red lines.
    pub red_lines: u64,
    /// Findings.
    pub findings: u64,
    /// Mean score after the reviews.
    pub reviewed_mean: Option<f64>,
    /// Share passed after the reviews.
    pub reviewed_pass_rate: Option<f64>,
    /// Findings waiting for a reviewer.
    pub needs_review: u64,
    /// Appeals: pending, upheld, overturned.
    pub appeals: [u64; 3],
    /// Calls per score band 0–9, 10–19 … 90–100.
    pub histogram: [u64; 10],
    /// Operators, ranked ones first by rank, then the unranked (in the same order: reviewed mean, reviewed pass rate, id).
    pub operators: Vec<OperatorRow>,
    /// Team subtotals, then the hotline's total (team "合计").
    pub teams: Vec<OperatorRow>,
    /// The eleven norms.
    pub norms: Vec<NormRow>,
    /// The hotline per day.
    pub days: Vec<TrendRow>,
    /// Each operator per day.
    pub operator_trend: Vec<TrendRow>,
    /// Each unit per day of dispatch (on-time rate).
    pub unit_trend: Vec<TrendRow>,
    /// Units and categories (as units.csv).
    pub units: Vec<UnitRow>,
    /// Tickets (after de-duplication across runs).
    pub tickets: u64,
    /// Call rows dropped because a later run given has the same call.
    pub duplicate_calls: u64,
    /// First and last day tickets were accepted (None without tickets):
    /// tickets of other years than the calls have their own period.
    pub ticket_period: Option<(String, String)>,
    /// Years the tickets' timeliness needed that the working-day calendar
    /// does not cover (counted as plain weekends), from the runs' tickets.
    pub calendar_unknown_years: Vec<i32>,
    /// The lowest-scoring calls.
    pub worst: Vec<WorstCall>,
    /// Every critical finding (重大风险), open ones first
    /// ([`crate::report::risk::sort`]); withdrawn ones are kept, marked.
    pub critical: Vec<crate::report::risk::CriticalFinding>,
    /// First-call resolution per operator, team, unit and category (issue
    /// #19), from the runs' repeat links (`report::repeats`).
    pub first_calls: crate::workflow::repeats::Fcr,
    /// The scorecard of each run that has a run.json, when they are not
    /// all the same (empty otherwise): the report says so instead of
    /// mixing them silently.
    pub mixed_scorecards: Vec<RunScorecard>,
}

/// The scorecard a run was scored with, as its run.json records it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunScorecard {
    /// The run folder, as given.
    pub run: String,
    /// The scorecard's `version`.
    pub version: String,
    /// The first 8 hex digits of the SHA-256 of the scorecard as run.json
    /// stores it (items, rules, points and switches included): two
    /// scorecards of one version that differ in content differ here.
    pub digest: String,
}

/// The scorecards of the runs, when they differ (see
/// [`ReportData::mixed_scorecards`]). A run without a readable run.json
/// (a Spark job's output) has nothing to compare and is left out.
pub fn scorecards_of(runs: &[PathBuf]) -> Vec<RunScorecard> {
    use sha2::{Digest, Sha256};
    let cards: Vec<RunScorecard> = runs
        .iter()
        .filter(|r| r.join("run.json").is_file())
        .filter_map(|r| {
            let m = crate::review::manifest::Manifest::read(r).ok()?;
            let digest = Sha256::digest(m.config_toml.as_bytes())
                .iter()
                .take(4)
                .map(|b| format!("{b:02x}"))
                .collect();
            Some(RunScorecard {
                run: r.display().to_string(),
                version: m.scorecard_version,
                digest,
            })
        })
        .collect();
    let first = cards.first().map(|c| (&c.version, &c.digest));
    if cards.iter().all(|c| Some((&c.version, &c.digest)) == first) {
        return Vec::new();
    }
    cards
}

/// The first-call figures of a teams.csv row: its team, or over all first
/// calls on the total row (合计).
pub fn team_fcr<'a>(
    t: &OperatorRow,
    fcr: &'a crate::workflow::repeats::Fcr,
) -> Option<&'a crate::workflow::repeats::FirstCalls> {
    if t.team == "合计" {
        Some(&fcr.total)
    } else {
        fcr.teams.get(&t.team)
    }
}

fn parquet_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            anyhow::anyhow!(
                "{}：无法列出文件夹里的文件（cannot list: {e}）",
                dir.display()
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            parquet_files(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "parquet") {
            out.push(p);
        }
    }
    Ok(())
}

/// Scans `name` in every run: a Parquet file written by `score`, or a
/// folder of Parquet files (a Spark job's partitioned output). `required`
/// runs must all have it; otherwise the runs lacking it are passed over.
fn scan_runs(runs: &[PathBuf], name: &str, required: bool) -> anyhow::Result<Option<LazyFrame>> {
    let mut frames = Vec::new();
    for (k, r) in runs.iter().enumerate() {
        let p = r.join(name);
        let mut files = Vec::new();
        if p.is_dir() {
            parquet_files(&p, &mut files)?;
        } else if p.exists() {
            files.push(p.clone());
        } else if required {
            anyhow::bail!(
                "{}：找不到这个文件；{} 是 hotline-qa score（或 Spark 作业）写出的文件夹吗？请给出 score 的输出文件夹（not found）",
                p.display(),
                r.display()
            );
        }
        for f in files {
            let path = PlRefPath::new(f.to_string_lossy().as_ref());
            let mut lf = LazyFrame::scan_parquet(path, ScanArgsParquet::default())?;
            // A run written before the review columns existed cannot be
            // combined with newer ones: say so, rather than polars' column error.
            if name == "calls.parquet" && !lf.collect_schema()?.contains("reviewed_score") {
                anyhow::bail!(
                    "{}：是旧版本 hotline-qa 写的（没有 reviewed_score 列），请用这个版本重新 score 一次 {}（written by an older hotline-qa）",
                    f.display(),
                    r.display()
                );
            }
            // A run written before tickets kept the calendar's missing
            // years has none to tell; without the column its frame could
            // not be stacked with a newer run's.
            if name == "tickets.parquet" && !lf.collect_schema()?.contains("calendar_unknown_years")
            {
                lf = lf.with_column(lit("").alias("calendar_unknown_years"));
            }
            // Runs written before repeat calls were linked (issue #19), and
            // Spark's calls, have no link columns: empty ones let their
            // frames stack with newer runs' (they simply link nothing).
            let schema = lf.collect_schema()?;
            let missing: &[&str] = match name {
                "tickets.parquet" => &["caller_link", "caller_masked", "places", "matter"],
                "calls.parquet" => &["caller_number", "caller_link"],
                _ => &[],
            };
            let missing: Vec<Expr> = missing
                .iter()
                .filter(|c| !schema.contains(c))
                .map(|c| lit("").alias(*c))
                .collect();
            if !missing.is_empty() {
                lf = lf.with_columns(missing);
            }
            // Which run a row is from, for the de-duplication of calls.
            frames.push(lf.with_column(lit(k as i64).alias(RUN)));
        }
    }
    if frames.is_empty() {
        return Ok(None);
    }
    // Runs scored with different items (a centre's own 评分表, or one
    // changed between days) have different `<key>`/`fail_<key>` columns:
    // stacked by name, each item's columns are empty for the calls of a
    // run that does not have it, so that its fail rate is over the calls
    // that were assessed on it (the report says the scorecards differ:
    // [`scorecards_of`]). Runs of one scorecard are stacked as they are.
    let mut schemas = Vec::with_capacity(frames.len());
    for f in &mut frames {
        schemas.push(f.collect_schema()?);
    }
    if schemas.windows(2).any(|w| w[0] != w[1]) {
        // Every column of any run, in the order they first appear.
        let mut union: Vec<(PlSmallStr, DataType)> = Vec::new();
        for schema in &schemas {
            for (name, dtype) in schema.iter() {
                if !union.iter().any(|(n, _)| n == name) {
                    union.push((name.clone(), dtype.clone()));
                }
            }
        }
        frames = frames
            .into_iter()
            .zip(&schemas)
            .map(|(f, schema)| {
                let cols: Vec<Expr> = union
                    .iter()
                    .map(|(name, dtype)| match schema.contains(name) {
                        true => col(name.clone()),
                        false => lit(NULL).cast(dtype.clone()).alias(name.clone()),
                    })
                    .collect();
                f.select(cols)
            })
            .collect();
    }
    Ok(Some(concat(frames, UnionArgs::default())?))
}

pub(crate) fn scan(runs: &[PathBuf], name: &str) -> anyhow::Result<Option<LazyFrame>> {
    scan_runs(runs, name, name == "calls.parquet")
}

/// One row per ticket: when several runs report a ticket, the last run's
/// view wins. A single run has each ticket once already (`score` rejects
/// duplicate ids), and skipping the de-duplication there keeps a run of a
/// million tickets from holding them all in memory.
pub fn dedupe_tickets(lf: LazyFrame, runs: usize) -> LazyFrame {
    if runs > 1 {
        lf.unique_stable_generic(Some(vec![col("ticket_id")]), UniqueKeepStrategy::Last)
    } else {
        lf
    }
}

/// The column telling which run (its place among the runs given) a row
/// of a scan comes from.
pub const RUN: &str = "hq_run";

/// The runs' calls and findings, each call once: when several runs have a
/// call (`report A A`, a day and its re-run with reviews), the row of the
/// last run given wins, and its findings are those of that run. The
/// findings of several runs carry `row`, their place in the runs' files,
/// to be put back in file order after the join that picks them (a single
/// run's are read as they are, without it: the usual case stays as fast).
pub struct Calls {
    /// calls.parquet of the runs (None when no run has one).
    pub calls: Option<LazyFrame>,
    /// findings.parquet of the runs, with `row` when `deduplicated`.
    pub findings: Option<LazyFrame>,
    /// Several runs were combined: the frames above were de-duplicated, and
    /// their rows' order is that of a join (sort by `row` for file order).
    pub deduplicated: bool,
}

/// Scans calls and findings, de-duplicated as [`Calls`] says. A single run
/// has each call once already (`score` rejects duplicate ids), and is read
/// as it is.
pub fn scan_calls(runs: &[PathBuf]) -> anyhow::Result<Calls> {
    let calls = scan(runs, "calls.parquet")?;
    let findings = scan(runs, "findings.parquet")?;
    // Runs of different days share no call: counting the distinct ids (the
    // ids alone are held) tells, and the usual month of daily runs is then
    // read as it is, in bounded memory, as a single run is.
    if runs.len() <= 1 || duplicate_calls(runs)? == 0 {
        return Ok(Calls {
            calls,
            findings,
            deduplicated: false,
        });
    }
    // Which run each call id is taken from: the last that has it. Only the
    // ids and run numbers are held for this (not whole rows, as a
    // `unique` over the calls would: 2.2 GB for two runs of a million
    // calls), and the calls and findings are joined against it in their
    // file order.
    let keep = |lf: LazyFrame, last: LazyFrame| {
        lf.join(
            last,
            [col("call_id"), col(RUN)],
            [col("call_id"), col(RUN)],
            JoinArgs {
                maintain_order: MaintainOrderJoin::Left,
                ..JoinArgs::new(JoinType::Inner)
            },
        )
    };
    let last = calls.as_ref().map(|c| {
        c.clone()
            .select([col("call_id"), col(RUN)])
            .group_by([col("call_id")])
            .agg([col(RUN).max()])
    });
    let findings = match (&last, findings) {
        (Some(l), Some(f)) => Some(keep(f.with_row_index("row", None), l.clone())),
        (_, f) => f,
    };
    let calls = match (calls, last) {
        (Some(c), Some(l)) => Some(keep(c, l)),
        (c, _) => c,
    };
    Ok(Calls {
        calls,
        findings,
        deduplicated: true,
    })
}

/// How many call rows of the runs repeat a call id seen in another run
/// (0 for a single run).
fn duplicate_calls(runs: &[PathBuf]) -> anyhow::Result<u64> {
    if runs.len() <= 1 || !may_share_calls(runs)? {
        return Ok(0);
    }
    let Some(calls) = scan(runs, "calls.parquet")? else {
        return Ok(0);
    };
    let n = collect(calls.select([
        len().cast(DataType::Int64).alias("rows"),
        col("call_id").n_unique().cast(DataType::Int64).alias("ids"),
    ]))?;
    let rows = u64s(&n, "rows")?.first().copied().unwrap_or(0);
    let ids = u64s(&n, "ids")?.first().copied().unwrap_or(0);
    Ok(rows.saturating_sub(ids))
}

/// False when no two runs can have a call in common: each run's smallest
/// and largest call id (read in constant memory) span ranges that do not
/// overlap, as daily runs' ids (20261127-…, 20261128-…) do. Then nothing
/// needs holding the ids to find duplicates, however many runs there are.
fn may_share_calls(runs: &[PathBuf]) -> anyhow::Result<bool> {
    let mut spans: Vec<(String, String)> = Vec::with_capacity(runs.len());
    for run in runs {
        let Some(calls) = scan(std::slice::from_ref(run), "calls.parquet")? else {
            continue;
        };
        let df = collect(calls.select([
            col("call_id").cast(DataType::String).min().alias("lo"),
            col("call_id").cast(DataType::String).max().alias("hi"),
        ]))?;
        let lo = strs(&df, "lo")?;
        let hi = strs(&df, "hi")?;
        if let (Some(lo), Some(hi)) = (lo.first(), hi.first()) {
            if df.column("lo")?.null_count() == 0 {
                spans.push((lo.clone(), hi.clone()));
            }
        }
    }
    spans.sort();
    Ok(spans.windows(2).any(|w| w[1].0 <= w[0].1))
}

/// Scans `name` in the runs that have it (None when none has).
pub fn scan_optional(runs: &[PathBuf], name: &str) -> anyhow::Result<Option<LazyFrame>> {
    scan_runs(runs, name, false)
}

pub(crate) fn strs(df: &DataFrame, name: &str) -> anyhow::Result<Vec<String>> {
    let c = df.column(name)?.cast(&DataType::String)?;
    let ca = c.str()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).unwrap_or("").to_string())
        .collect())
}

fn f64s(df: &DataFrame, name: &str) -> anyhow::Result<Vec<Option<f64>>> {
    let c = df.column(name)?.cast(&DataType::Float64)?;
    let ca = c.f64()?;
    Ok((0..ca.len()).map(|i| ca.get(i)).collect())
}

/// A count column (nulls and negatives as 0).
fn u64s(df: &DataFrame, name: &str) -> anyhow::Result<Vec<u64>> {
    Ok(i64s(df, name)?
        .into_iter()
        .map(|v| v.max(0) as u64)
        .collect())
}

/// Runs a query on polars' streaming engine: the rows of the runs pass
/// through in morsels, so memory stays flat however many calls there are
/// (the in-memory engine held every column of a million calls at once,
/// 400+ MB). Only aggregations whose result cannot depend on how the
/// morsels met the threads go through it: counts, sums of integers (and of
/// 0/1), min, max and last (ordered by the rows' sequence). Scores are
/// summed as whole hundredths ([`cents`]), medians come from per-score counts.
fn collect(lf: LazyFrame) -> anyhow::Result<DataFrame> {
    Ok(lf.collect_with_engine(Engine::Streaming)?.unwrap_single())
}

/// A score (or points) in hundredths, as an integer. Scores are rounded to
/// two decimals when they are computed, so this is exact, and a sum of
/// these is the same in any order.
fn cents(name: &str) -> Expr {
    (col(name) * lit(100.0) + lit(0.5)).cast(DataType::Int64)
}

/// Sum of [`cents`] of a column, named `<name>_cents`.
fn cents_sum(name: &str) -> Expr {
    cents(name).sum().alias(format!("{name}_cents").as_str())
}

/// The mean of a column summed with [`cents_sum`] over `n` rows.
fn mean_of(cents: i64, n: u64) -> Option<f64> {
    (n > 0).then(|| cents as f64 / 100.0 / n as f64)
}

fn sum_bool(name: &str) -> Expr {
    col(name).cast(DataType::Int64).sum().alias(name)
}

/// Share of calls passed.
fn pass_rate() -> Expr {
    col("passed")
        .cast(DataType::Float64)
        .mean()
        .alias("pass_rate")
}

/// Calls, summed score and pass rate of a trend row (a day, or a day and an operator).
fn trend_aggs() -> Vec<Expr> {
    vec![
        len().cast(DataType::Int64).alias("count"),
        cents_sum("score"),
        pass_rate(),
    ]
}

/// The reviewed score, pending reviews and appeals of a group of calls.
fn review_aggs() -> Vec<Expr> {
    vec![
        cents_sum("reviewed_score"),
        col("reviewed_passed")
            .cast(DataType::Float64)
            .mean()
            .alias("reviewed_pass_rate"),
        col("needs_review").sum().alias("needs_review"),
        col("appeals_pending").sum().alias("appeals_pending"),
        col("appeals_upheld").sum().alias("appeals_upheld"),
        col("appeals_overturned").sum().alias("appeals_overturned"),
    ]
}

/// The items of the runs' scorecard, from calls.parquet's `fail_<key>`
/// columns in their order (so that `report` follows the scorecard the
/// runs were scored with, not a fixed list of eleven): a key of the
/// scorecard in use, a built-in norm's, or else a custom item named by
/// its key.
fn items_of(calls: &LazyFrame, config: &Config) -> anyhow::Result<Vec<NormId>> {
    let schema = calls.clone().collect_schema()?;
    let known = config.items();
    let mut items = Vec::new();
    for name in schema.iter_names() {
        let Some(key) = name.as_str().strip_prefix("fail_") else {
            continue;
        };
        if !schema.contains(key) {
            continue;
        }
        let n = known
            .parse(key)
            .or_else(|| NormId::ALL.into_iter().find(|n| n.key() == key))
            .or_else(|| NormId::parse_known(key).filter(|n| n.key() == key))
            .or_else(|| NormId::custom(key, key));
        if let Some(n) = n {
            items.push(n);
        }
    }
    Ok(items)
}

/// Makes the Chinese names of the runs' own items known to this process,
/// from the scorecard each run.json stores, so that a merged report shows
/// 「复述诉求」 and not the bare key `restate` (the report's `--config` is
/// usually not the scorecard the runs were scored with). Only the
/// `[[items]]` tables are read: the rest of a stored scorecard may name
/// lexicon files that have moved since, which does not matter here.
pub fn intern_run_items(runs: &[PathBuf]) {
    for run in runs {
        let Ok(m) = crate::review::manifest::Manifest::read(run) else {
            continue;
        };
        let Ok(doc) = m.config_toml.parse::<toml::Table>() else {
            continue;
        };
        let Some(items) = doc.get("items").and_then(|v| v.as_array()) else {
            continue;
        };
        for item in items {
            let key = item.get("key").and_then(|v| v.as_str()).unwrap_or("");
            let name = item.get("name").and_then(|v| v.as_str()).unwrap_or("");
            // A built-in norm keeps its own name; an item without a name
            // was refused when the run was scored, so it cannot be here.
            if !key.is_empty() && !name.is_empty() && NormId::parse(key).is_none() {
                let _ = NormId::custom(key.trim(), name.trim());
            }
        }
    }
}

/// The items of the runs in `runs` ([`items_of`] on their calls.parquet);
/// the scorecard's own when no run has calls.
pub fn items_of_runs(runs: &[PathBuf], config: &Config) -> anyhow::Result<Vec<NormId>> {
    intern_run_items(runs);
    match scan(runs, "calls.parquet")? {
        Some(lf) => items_of(&lf, config),
        None => Ok(config.items().norms().collect()),
    }
}

fn score_aggs(by_team: bool, items: &[NormId]) -> Vec<Expr> {
    let mut aggs = vec![col("operator_name").last().alias("operator_name")];
    if !by_team {
        aggs.push(col("team").last().alias("team"));
    }
    aggs.extend([
        len().cast(DataType::Int64).alias("calls"),
        cents_sum("score"),
        pass_rate(),
        sum_bool("red_line"),
    ]);
    aggs.extend(review_aggs());
    for n in items {
        let f = n.fail_column();
        aggs.push(col(f).cast(DataType::Float64).mean().alias(f));
    }
    aggs
}

/// How many calls had each score (in hundredths), lowest first: the
/// median and minimum of a group, exact, without holding its calls.
#[derive(Clone, Debug, Default)]
struct Scores(std::collections::BTreeMap<i64, u64>);

impl Scores {
    fn add(&mut self, cents: i64, calls: u64) {
        *self.0.entry(cents).or_default() += calls;
    }

    fn min(&self) -> Option<f64> {
        self.0.keys().next().map(|&c| c as f64 / 100.0)
    }

    /// The `k`-th lowest score (0-based).
    fn nth(&self, k: u64) -> Option<f64> {
        let mut seen = 0;
        for (&c, &n) in &self.0 {
            seen += n;
            if k < seen {
                return Some(c as f64 / 100.0);
            }
        }
        None
    }

    /// The median, as polars computes it (the mean of the two middle
    /// scores when the count is even).
    fn median(&self) -> Option<f64> {
        let n: u64 = self.0.values().sum();
        if n == 0 {
            return None;
        }
        let lo = self.nth((n - 1) / 2)?;
        let hi = self.nth(n / 2)?;
        Some(lo + (hi - lo) * 0.5)
    }
}

/// Score counts of the calls per operator, per team and in all.
#[derive(Default)]
struct Distributions {
    operators: std::collections::HashMap<String, Scores>,
    teams: std::collections::HashMap<String, Scores>,
    all: Scores,
}

fn distributions(calls: &LazyFrame) -> anyhow::Result<Distributions> {
    let df = collect(
        calls
            .clone()
            .group_by([col("operator_id"), col("team"), cents("score").alias("c")])
            .agg([len().cast(DataType::Int64).alias("n")]),
    )?;
    let (ops, teams) = (strs(&df, "operator_id")?, strs(&df, "team")?);
    let c = df.column("c")?.cast(&DataType::Int64)?;
    let c = c.i64()?;
    let n = u64s(&df, "n")?;
    let mut d = Distributions::default();
    for i in 0..df.height() {
        let Some(c) = c.get(i) else { continue };
        d.operators.entry(ops[i].clone()).or_default().add(c, n[i]);
        d.teams.entry(teams[i].clone()).or_default().add(c, n[i]);
        d.all.add(c, n[i]);
    }
    Ok(d)
}

/// An integer column (nulls as 0).
fn i64s(df: &DataFrame, name: &str) -> anyhow::Result<Vec<i64>> {
    let c = df.column(name)?.cast(&DataType::Int64)?;
    let ca = c.i64()?;
    Ok((0..ca.len()).map(|i| ca.get(i).unwrap_or(0)).collect())
}

fn operator_rows<'d>(
    df: &DataFrame,
    items: &[NormId],
    key: &str,
    scores: &dyn Fn(&str) -> Option<&'d Scores>,
) -> anyhow::Result<Vec<OperatorRow>> {
    let keys = strs(df, key)?;
    let names = strs(df, "operator_name")?;
    let teams = strs(df, "team")?;
    let calls = u64s(df, "calls")?;
    let score = i64s(df, "score_cents")?;
    let pass = f64s(df, "pass_rate")?;
    let red = u64s(df, "red_line")?;
    let rscore = i64s(df, "reviewed_score_cents")?;
    let rpass = f64s(df, "reviewed_pass_rate")?;
    let pending = u64s(df, "needs_review")?;
    let appeals = [
        u64s(df, "appeals_pending")?,
        u64s(df, "appeals_upheld")?,
        u64s(df, "appeals_overturned")?,
    ];
    let mut fails = Vec::new();
    for n in items {
        fails.push(f64s(df, n.fail_column())?);
    }
    Ok((0..df.height())
        .map(|i| {
            let dist = scores(&keys[i]);
            OperatorRow {
                operator_id: if key == "operator_id" {
                    keys[i].clone()
                } else {
                    String::new()
                },
                operator_name: if key == "operator_id" {
                    names[i].clone()
                } else {
                    String::new()
                },
                team: if key == "team" {
                    keys[i].clone()
                } else {
                    teams[i].clone()
                },
                calls: calls[i],
                mean: mean_of(score[i], calls[i]).unwrap_or(0.0),
                median: dist.and_then(Scores::median).unwrap_or(0.0),
                min: dist.and_then(Scores::min).unwrap_or(0.0),
                pass_rate: pass[i].unwrap_or(0.0),
                red_lines: red[i],
                fail_rates: fails.iter().map(|f| f[i]).collect(),
                callbacks_due: 0,
                callbacks_on_time: 0,
                callbacks_by_other: 0,
                rank: None,
                reviewed_mean: mean_of(rscore[i], calls[i]).unwrap_or(0.0),
                reviewed_pass_rate: rpass[i].unwrap_or(0.0),
                needs_review: pending[i],
                appeals: std::array::from_fn(|k| appeals[k][i]),
                critical: 0,
            }
        })
        .collect())
}

fn sort_by(lf: LazyFrame, by: &[&str]) -> LazyFrame {
    let names: Vec<PlSmallStr> = by.iter().map(|s| PlSmallStr::from(*s)).collect();
    lf.sort(
        names,
        SortMultipleOptions::default().with_maintain_order(true),
    )
}

/// The operator rows (by operator id) and team rows (by team, then the
/// total 合计) of `calls`, unranked and without the callbacks and critical
/// findings that [`aggregate`] adds from the tickets and findings: the
/// figures of operators.csv and teams.csv that come from the calls alone.
/// `calls` needs the columns of calls.parquet that [`score_aggs`] reads.
/// The workbench ranks with this (its reviewed columns in place of the
/// run's), so that its numbers are the report's by construction.
pub fn operator_team_rows(
    calls: &LazyFrame,
    config: &Config,
) -> anyhow::Result<(Vec<OperatorRow>, Vec<OperatorRow>)> {
    let dist = distributions(calls)?;
    let items = items_of(calls, config)?;
    rows_with(calls, &items, &dist)
}

fn rows_with(
    calls: &LazyFrame,
    items: &[NormId],
    dist: &Distributions,
) -> anyhow::Result<(Vec<OperatorRow>, Vec<OperatorRow>)> {
    let ops = collect(sort_by(
        calls
            .clone()
            .group_by([col("operator_id")])
            .agg(score_aggs(false, items)),
        &["operator_id"],
    ))?;
    let operators = operator_rows(&ops, items, "operator_id", &|k| dist.operators.get(k))?;
    let teams = collect(sort_by(
        calls
            .clone()
            .group_by([col("team")])
            .agg(score_aggs(true, items)),
        &["team"],
    ))?;
    let mut team_rows = operator_rows(&teams, items, "team", &|k| dist.teams.get(k))?;
    let mut all = collect(calls.clone().select(score_aggs(true, items)))?;
    let team_col = Column::new("team".into(), vec!["合计".to_string(); all.height()]);
    all.with_column(team_col)?;
    team_rows.extend(operator_rows(&all, items, "team", &|_| Some(&dist.all))?);
    Ok((operators, team_rows))
}

/// Each operator's calls and mean *reviewed* score per day (`value`; the
/// reviewed pass rate in `pass_rate`), by operator then day: the trend the
/// workbench's ranking shows beside each operator (trend_operators.csv
/// has the machine's).
pub fn reviewed_operator_trend(calls: &LazyFrame) -> anyhow::Result<Vec<TrendRow>> {
    let df = collect(sort_by(
        calls
            .clone()
            .group_by([col("date"), col("operator_id")])
            .agg([
                len().cast(DataType::Int64).alias("count"),
                cents_sum("reviewed_score").alias("score_cents"),
                col("reviewed_passed")
                    .cast(DataType::Float64)
                    .mean()
                    .alias("pass_rate"),
            ]),
        &["operator_id", "date"],
    ))?;
    trend_rows(&df, Some("operator_id"))
}

/// Ranks operators: by mean reviewed score, then reviewed pass rate, then
/// id (a finding a reviewer dismissed must not cost a place; without
/// reviews these equal the machine's); those with fewer than `min_calls`
/// calls are listed after, unranked.
pub fn rank(rows: &mut [OperatorRow], min_calls: u64) {
    rows.sort_by(|a, b| {
        let ra = a.calls >= min_calls;
        let rb = b.calls >= min_calls;
        rb.cmp(&ra)
            .then(b.reviewed_mean.total_cmp(&a.reviewed_mean))
            .then(b.reviewed_pass_rate.total_cmp(&a.reviewed_pass_rate))
            .then(a.operator_id.cmp(&b.operator_id))
    });
    let mut next = 1;
    for r in rows.iter_mut() {
        if r.calls >= min_calls {
            r.rank = Some(next);
            next += 1;
        }
    }
}

/// The `worst` lowest-scoring calls by reviewed score, as the operator
/// ranking counts (lowest first, then call id): only the calls at or below
/// the `worst`-th lowest score are read and sorted.
fn worst_calls(calls: &LazyFrame, worst: usize) -> anyhow::Result<Vec<WorstCall>> {
    let counts = collect(
        calls
            .clone()
            .group_by([cents("reviewed_score").alias("c")])
            .agg([len().cast(DataType::Int64).alias("n")]),
    )?;
    let mut all = Scores::default();
    for (c, n) in i64s(&counts, "c")?.into_iter().zip(u64s(&counts, "n")?) {
        all.add(c, n);
    }
    let Some(bar) = (worst > 0)
        .then(|| {
            all.nth(worst as u64 - 1)
                .or_else(|| all.0.keys().last().map(|&c| c as f64 / 100.0))
        })
        .flatten()
    else {
        return Ok(Vec::new());
    };
    let few = collect(
        calls
            .clone()
            .filter(col("reviewed_score").lt_eq(lit(bar + 0.001)))
            .select([
                col("call_id"),
                col("operator_id"),
                col("operator_name"),
                col("score"),
                col("red_line"),
                col("reviewed_score"),
                col("reviewed_red_line"),
            ]),
    )?;
    let w = sort_by(few.lazy(), &["reviewed_score", "call_id"])
        .limit(worst as IdxSize)
        .collect()?;
    let ids = strs(&w, "call_id")?;
    let ops = strs(&w, "operator_id")?;
    let names = strs(&w, "operator_name")?;
    let scores = f64s(&w, "score")?;
    let reds = u64s(&w, "red_line")?;
    let reviewed = f64s(&w, "reviewed_score")?;
    let reviewed_reds = u64s(&w, "reviewed_red_line")?;
    Ok((0..w.height())
        .map(|i| WorstCall {
            call_id: ids[i].clone(),
            operator_id: ops[i].clone(),
            operator_name: names[i].clone(),
            score: scores[i].unwrap_or(0.0),
            red_line: reds[i] > 0,
            reviewed_score: reviewed[i].or(scores[i]).unwrap_or(0.0),
            reviewed_red_line: reviewed_reds[i] > 0,
            findings: Vec::new(),
        })
        .collect())
}

/// Reads the runs and computes everything the reports show.
pub fn aggregate(
    runs: &[PathBuf],
    config: &Config,
    min_calls: u64,
    worst: usize,
) -> anyhow::Result<ReportData> {
    let mut data = ReportData {
        runs: runs.len(),
        ..ReportData::default()
    };
    let Calls {
        calls,
        findings,
        deduplicated,
    } = scan_calls(runs)?;
    data.duplicate_calls = duplicate_calls(runs)?;
    data.mixed_scorecards = scorecards_of(runs);
    intern_run_items(runs);
    let tickets = scan(runs, "tickets.parquet")?.map(|lf| dedupe_tickets(lf, runs.len()));
    if let Some(calls) = &calls {
        let items = items_of(calls, config)?;
        let total = collect(
            calls.clone().select(
                [
                    len().cast(DataType::Int64).alias("calls"),
                    cents_sum("score"),
                    pass_rate(),
                    sum_bool("red_line"),
                    col("findings").sum().alias("findings"),
                    col("date").min().alias("first"),
                    col("date").max().alias("last"),
                ]
                .into_iter()
                .chain(review_aggs())
                .collect::<Vec<_>>(),
            ),
        )?;
        let first_i64 = |name: &str| -> anyhow::Result<i64> {
            Ok(i64s(&total, name)?.first().copied().unwrap_or(0))
        };
        data.calls = u64s(&total, "calls")?.first().copied().unwrap_or(0);
        data.mean = mean_of(first_i64("score_cents")?, data.calls);
        data.reviewed_mean = mean_of(first_i64("reviewed_score_cents")?, data.calls);
        data.reviewed_pass_rate = f64s(&total, "reviewed_pass_rate")?
            .first()
            .copied()
            .flatten();
        data.needs_review = u64s(&total, "needs_review")?.first().copied().unwrap_or(0);
        for (k, name) in ["appeals_pending", "appeals_upheld", "appeals_overturned"]
            .iter()
            .enumerate()
        {
            data.appeals[k] = u64s(&total, name)?.first().copied().unwrap_or(0);
        }
        data.pass_rate = f64s(&total, "pass_rate")?.first().copied().flatten();
        data.red_lines = u64s(&total, "red_line")?.first().copied().unwrap_or(0);
        data.findings = u64s(&total, "findings")?.first().copied().unwrap_or(0);
        data.period = (
            strs(&total, "first")?.first().cloned().unwrap_or_default(),
            strs(&total, "last")?.first().cloned().unwrap_or_default(),
        );
        let dist = distributions(calls)?;
        // Score bands 0–9 … 90–100, from the score counts.
        for (&c, &n) in &dist.all.0 {
            data.histogram[usize::try_from(c / 1000).unwrap_or(0).min(9)] += n;
        }
        (data.operators, data.teams) = rows_with(calls, &items, &dist)?;
        // Norm failure rates.
        let mut norm_aggs = Vec::new();
        for &n in &items {
            norm_aggs.push(
                col(n.key())
                    .is_not_null()
                    .cast(DataType::Int64)
                    .sum()
                    .alias(n.key()),
            );
            let f = n.fail_column();
            norm_aggs.push(col(f).cast(DataType::Int64).sum().alias(f));
        }
        let nf = collect(calls.clone().select(norm_aggs))?;
        for &n in &items {
            let assessed = u64s(&nf, n.key())?.first().copied().unwrap_or(0);
            let failed = u64s(&nf, n.fail_column())?.first().copied().unwrap_or(0);
            data.norms.push(NormRow {
                norm: n,
                assessed,
                failed,
                fail_rate: (assessed > 0).then(|| failed as f64 / assessed as f64),
                findings: 0,
                points_lost: 0.0,
            });
        }
        let days = collect(sort_by(
            calls.clone().group_by([col("date")]).agg(trend_aggs()),
            &["date"],
        ))?;
        data.days = trend_rows(&days, None)?;
        let ot = collect(sort_by(
            calls
                .clone()
                .group_by([col("date"), col("operator_id")])
                .agg(trend_aggs()),
            &["operator_id", "date"],
        ))?;
        data.operator_trend = trend_rows(&ot, Some("operator_id"))?;
        // The worst calls and their findings.
        data.worst = worst_calls(calls, worst)?;
        if let (Some(findings), false) = (&findings, data.worst.is_empty()) {
            let ids: Vec<String> = data.worst.iter().map(|w| w.call_id.clone()).collect();
            let worst_ids =
                DataFrame::new(ids.len(), vec![Column::new("call_id".into(), ids)])?.lazy();
            // Joined on the streaming engine, then put back in file order.
            let wf = collect(
                (if deduplicated {
                    findings.clone()
                } else {
                    findings.clone().with_row_index("row", None)
                })
                .join(
                    worst_ids,
                    [col("call_id")],
                    [col("call_id")],
                    JoinArgs::new(JoinType::Inner),
                )
                .select([
                    col("row"),
                    col("call_id"),
                    col("rule"),
                    col("excerpt"),
                    col("verdict"),
                    col("appeal"),
                ]),
            )?;
            let wf = sort_by(wf.lazy(), &["row"]).collect()?;
            let (fc, fr, fe) = (
                strs(&wf, "call_id")?,
                strs(&wf, "rule")?,
                strs(&wf, "excerpt")?,
            );
            let (fv, fa) = (strs(&wf, "verdict")?, strs(&wf, "appeal")?);
            for i in 0..wf.height() {
                if let Some(c) = data.worst.iter_mut().find(|c| c.call_id == fc[i]) {
                    c.findings.push(WorstFinding {
                        rule: fr[i].clone(),
                        excerpt: fe[i].clone(),
                        withdrawn: fv[i] == crate::model::Verdict::Dismissed.key()
                            || fa[i] == crate::model::Appeal::Overturned.key(),
                        added: fv[i] == crate::model::Verdict::Added.key(),
                    });
                }
            }
        }
    }
    if let Some(findings) = &findings {
        let by = collect(
            findings
                .clone()
                .group_by([col("norm")])
                .agg([len().cast(DataType::Int64).alias("n"), cents_sum("points")]),
        )?;
        let (norms, n, pts) = (
            strs(&by, "norm")?,
            u64s(&by, "n")?,
            i64s(&by, "points_cents")?,
        );
        for i in 0..by.height() {
            if let Some(row) = data.norms.iter_mut().find(|r| r.norm.key() == norms[i]) {
                row.findings = n[i];
                row.points_lost = pts[i] as f64 / 100.0;
            }
        }
    }
    if let Some(tickets) = &tickets {
        data.tickets = u64s(
            &collect(
                tickets
                    .clone()
                    .select([len().cast(DataType::Int64).alias("n")]),
            )?,
            "n",
        )?
        .first()
        .copied()
        .unwrap_or(0);
        let cb = collect(tickets.clone().group_by([col("operator_id")]).agg([
            sum_bool("callback_due"),
            sum_bool("callback_on_time"),
            {
                col("callback_made")
                    .and(col("callback_by_other"))
                    .cast(DataType::Int64)
                    .sum()
                    .alias("by_other")
            },
        ]))?;
        let (ids, due, ontime, other) = (
            strs(&cb, "operator_id")?,
            u64s(&cb, "callback_due")?,
            u64s(&cb, "callback_on_time")?,
            u64s(&cb, "by_other")?,
        );
        for i in 0..cb.height() {
            if let Some(o) = data.operators.iter_mut().find(|o| o.operator_id == ids[i]) {
                o.callbacks_due = due[i];
                o.callbacks_on_time = ontime[i];
                o.callbacks_by_other = other[i];
            }
        }
        let period = collect(tickets.clone().select([
            col("accepted_at").min().alias("first"),
            col("accepted_at").max().alias("last"),
        ]))?;
        let day = |name: &str| -> anyhow::Result<String> {
            Ok(strs(&period, name)?
                .first()
                .map(|t| t.get(..10).unwrap_or(t).to_string())
                .unwrap_or_default())
        };
        let (first, last) = (day("first")?, day("last")?);
        if !first.is_empty() {
            data.ticket_period = Some((first, last));
        }
        // Runs written before the column existed have no years to tell.
        if tickets
            .clone()
            .collect_schema()?
            .contains("calendar_unknown_years")
        {
            let years = collect(
                tickets
                    .clone()
                    .filter(col("calendar_unknown_years").neq(lit("")))
                    .group_by([col("calendar_unknown_years")])
                    .agg([len().alias("n")]),
            )?;
            let mut set = std::collections::BTreeSet::new();
            for v in strs(&years, "calendar_unknown_years")? {
                set.extend(v.split(',').filter_map(|y| y.trim().parse::<i32>().ok()));
            }
            data.calendar_unknown_years = set.into_iter().collect();
        }
        data.units = unit_rows(tickets)?;
        let ut = collect(sort_by(
            tickets
                .clone()
                .filter(col("dispatched"))
                .group_by([col("dispatched_date"), col("unit")])
                .agg([
                    len().cast(DataType::Int64).alias("count"),
                    col("status")
                        .eq(lit("on_time"))
                        .cast(DataType::Int64)
                        .sum()
                        .alias("on_time"),
                    col("status")
                        .eq(lit("late"))
                        .cast(DataType::Int64)
                        .sum()
                        .alias("late"),
                    col("status")
                        .eq(lit("open_overdue"))
                        .cast(DataType::Int64)
                        .sum()
                        .alias("open_overdue"),
                ]),
            &["unit", "dispatched_date"],
        ))?;
        let (dates, units, count) = (
            strs(&ut, "dispatched_date")?,
            strs(&ut, "unit")?,
            u64s(&ut, "count")?,
        );
        let (on, late, ov) = (
            u64s(&ut, "on_time")?,
            u64s(&ut, "late")?,
            u64s(&ut, "open_overdue")?,
        );
        data.unit_trend = (0..ut.height())
            .map(|i| {
                let denom = on[i] + late[i] + ov[i];
                TrendRow {
                    date: dates[i].clone(),
                    key: units[i].clone(),
                    count: count[i],
                    value: (denom > 0).then(|| on[i] as f64 / denom as f64),
                    pass_rate: None,
                }
            })
            .collect();
    }
    // The critical findings, reported apart, and their count per operator
    // and team (the last team row is the total).
    data.critical = crate::report::risk::from_runs(
        &Calls {
            calls,
            findings,
            deduplicated,
        },
        tickets.as_ref(),
    )?;
    crate::report::risk::count_into(&data.critical, &mut data.operators, &mut data.teams);
    let _ = config;
    rank(&mut data.operators, min_calls);
    Ok(data)
}

fn trend_rows(df: &DataFrame, key: Option<&str>) -> anyhow::Result<Vec<TrendRow>> {
    let dates = strs(df, "date")?;
    let keys = match key {
        Some(k) => strs(df, k)?,
        None => vec![String::new(); df.height()],
    };
    let (count, cents, pass) = (
        u64s(df, "count")?,
        i64s(df, "score_cents")?,
        f64s(df, "pass_rate")?,
    );
    Ok((0..df.height())
        .map(|i| TrendRow {
            date: dates[i].clone(),
            key: keys[i].clone(),
            count: count[i],
            value: mean_of(cents[i], count[i]),
            pass_rate: pass[i],
        })
        .collect())
}

const UNIT_SUMS: [&str; 13] = [
    "on_time",
    "late",
    "open",
    "open_overdue",
    "urged",
    "overdue_not_urged",
    "supervised",
    "not_supervised",
    "callback_made",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "callback_due",
];

fn unit_aggs() -> Vec<Expr> {
    let mut v = vec![
        len().cast(DataType::Int64).alias("tickets"),
        sum_bool("dispatched"),
        col("working_days_taken").mean().alias("mean_working_days"),
        sum_bool("callback_on_time"),
    ];
    for s in ["on_time", "late", "open", "open_overdue"] {
        v.push(
            col("status")
                .eq(lit(s))
                .cast(DataType::Int64)
                .sum()
                .alias(s),
        );
    }
    for s in [
        "urged",
        "overdue_not_urged",
        "supervised",
        "not_supervised",
        "callback_made",
        "callback_due",
    ] {
        v.push(sum_bool(s));
    }
    for (name, value) in [
        ("satisfied", "满意"),
        ("basically_satisfied", "基本满意"),
        ("dissatisfied", "不满意"),
    ] {
        v.push(
            col("callback_result")
                .eq(lit(value))
                .cast(DataType::Int64)
                .sum()
                .alias(name),
        );
    }
    v
}

fn rows_of(
    df: &DataFrame,
    group: &'static str,
    names: Vec<String>,
) -> anyhow::Result<Vec<UnitRow>> {
    let get = |c: &str| u64s(df, c);
    let tickets = get("tickets")?;
    let dispatched = get("dispatched")?;
    let mwd = f64s(df, "mean_working_days")?;
    let on_time_cb = get("callback_on_time")?;
    let mut sums = Vec::new();
    for s in UNIT_SUMS {
        sums.push(get(s)?);
    }
    let s = |k: usize, i: usize| sums[k][i];
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    Ok((0..df.height())
        .map(|i| {
            let (on_time, late, ov) = (s(0, i), s(1, i), s(3, i));
            let (sat, basic, dis) = (s(9, i), s(10, i), s(11, i));
            UnitRow {
                group,
                name: names[i].clone(),
                tickets: tickets[i],
                dispatched: dispatched[i],
                on_time,
                late,
                open: s(2, i),
                open_overdue: ov,
                on_time_rate: ratio(on_time, on_time + late + ov),
                mean_working_days: mwd[i],
                urged: s(4, i),
                overdue_not_urged: s(5, i),
                supervised: s(6, i),
                not_supervised: s(7, i),
                callbacks: s(8, i),
                satisfied: sat,
                basically_satisfied: basic,
                dissatisfied: dis,
                satisfaction_rate: ratio(sat + basic, sat + basic + dis),
                callbacks_due: s(12, i),
                callbacks_on_time: on_time_cb[i],
                callback_on_time_rate: ratio(on_time_cb[i], s(12, i)),
            }
        })
        .collect())
}

fn unit_rows(tickets: &LazyFrame) -> anyhow::Result<Vec<UnitRow>> {
    use crate::workflow::units::{name_or_unspecified, TOTAL};
    let by_unit = collect(sort_by(
        tickets.clone().group_by([col("unit")]).agg(unit_aggs()),
        &["unit"],
    ))?;
    let names: Vec<String> = strs(&by_unit, "unit")?
        .iter()
        .map(|n| name_or_unspecified(n))
        .collect();
    let mut rows = rows_of(&by_unit, "unit", names)?;
    // Same order as units.csv of a run: by name.
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let total = collect(tickets.clone().select(unit_aggs()))?;
    rows.extend(rows_of(&total, "unit", vec![TOTAL.to_string()])?);
    let by_cat = collect(tickets.clone().group_by([col("category")]).agg(unit_aggs()))?;
    let cats: Vec<String> = strs(&by_cat, "category")?
        .iter()
        .map(|n| name_or_unspecified(n))
        .collect();
    let mut cat_rows = rows_of(&by_cat, "category", cats)?;
    let order = |c: &str| {
        crate::model::Category::ALL
            .iter()
            .position(|k| k.zh() == c)
            .unwrap_or(usize::MAX)
    };
    cat_rows.sort_by(|a, b| {
        order(&a.name)
            .cmp(&order(&b.name))
            .then(a.name.cmp(&b.name))
    });
    rows.extend(cat_rows);
    Ok(rows)
}

/// True when `dir` holds a run's Parquet files.
pub fn is_run_dir(dir: &Path) -> bool {
    dir.join("calls.parquet").exists()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn of(cents: &[i64]) -> Scores {
        let mut s = Scores::default();
        for &c in cents {
            s.add(c, 1);
        }
        s
    }

    #[test]
    fn median_and_min_of_score_counts() {
        assert_eq!(of(&[]).median(), None);
        assert_eq!(of(&[]).min(), None);
        assert_eq!(of(&[9412]).median(), Some(94.12));
        // Even count: halfway between the two middle scores.
        assert_eq!(of(&[10000, 8824, 9412, 7647]).median(), Some(91.18));
        assert_eq!(of(&[10000, 8824, 9412, 7647]).min(), Some(76.47));
        // Counts, not values: 100 twice and 0 once.
        let mut s = Scores::default();
        s.add(10000, 2);
        s.add(0, 1);
        assert_eq!(s.median(), Some(100.0));
        assert_eq!(s.nth(0), Some(0.0));
        assert_eq!(s.nth(2), Some(100.0));
        assert_eq!(s.nth(3), None);
    }

    proptest! {
        /// Median, minimum and k-th score equal those of the sorted scores.
        #[test]
        fn counts_agree_with_sorting(mut v in proptest::collection::vec(0i64..=10_000, 1..60), k in 0usize..80) {
            let s = of(&v);
            v.sort_unstable();
            let x = |c: i64| c as f64 / 100.0;
            let n = v.len();
            let median = if n % 2 == 1 {
                x(v[n / 2])
            } else {
                x(v[n / 2 - 1]) + (x(v[n / 2]) - x(v[n / 2 - 1])) * 0.5
            };
            prop_assert_eq!(s.median(), Some(median));
            prop_assert_eq!(s.min(), Some(x(v[0])));
            prop_assert_eq!(s.nth(k as u64), v.get(k).map(|&c| x(c)));
        }
    }
}
