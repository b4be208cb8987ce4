//! The `hotline-qa` command: parses arguments, calls the library, prints
//! the summary and maps errors to exit codes (0 done, 1 nothing usable or
//! an output could not be written, 2 usage or config error).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: scoring allocates many small strings on two threads at once,
/// where glibc's allocator spent a sixth of the run (see BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use hotline_qa::config::{Config, DEFAULT_TOML};
use hotline_qa::input::transcripts::Limits;
use hotline_qa::lexicon::directory::Directory;
use hotline_qa::model::NormId;
use hotline_qa::norms::{Scorer, RULES};
use hotline_qa::report::{explain, num, Lang};
use hotline_qa::run::{self, ScoreOptions, Summary};

/// Quality assurance for a city service hotline (市长热线 / 12345):
/// scores every call against the eleven service norms and checks every
/// ticket's timeliness on the official working-day calendar.
#[derive(Parser)]
#[command(name = "hotline-qa", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Scorecard {
    /// A TOML scorecard overriding any default (`hotline-qa config` prints them).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The phone directory of units and hotlines (CSV name,phone), replacing the built-in one.
    #[arg(long, value_name = "FILE")]
    directory: Option<PathBuf>,
    /// Sheet of .xlsx ticket files to read (default: the first).
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Score transcripts (.jsonl/.jsonl.gz) and tickets (.csv/.xlsx): writes
    /// calls.csv, findings.csv, tickets.csv, units.csv and rejects.csv.
    Score {
        /// Files or folders of transcripts and tickets.
        #[arg(required_unless_present = "stdin", value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// The output folder (created if missing).
        #[arg(long, short, value_name = "DIR", required_unless_present = "stdin")]
        out: Option<PathBuf>,
        /// Read transcripts (JSON Lines) from standard input and write one line
        /// per input line to standard output (for Spark and other engines).
        #[arg(long, conflicts_with_all = ["inputs", "out", "manual", "reviews", "calendar", "as_of"])]
        stdin: bool,
        /// With --stdin: the output format (json, the default, or tsv).
        #[arg(long, value_enum)]
        format: Option<hotline_qa::stream::Format>,
        /// Ticket files or folders. With --stdin: readable on every worker;
        /// without: read as any INPUT that holds tickets.
        #[arg(long, value_name = "PATH")]
        tickets: Vec<PathBuf>,
        #[command(flatten)]
        scorecard: Scorecard,
        /// Manual QA scores (CSV call_id,norm,points,reviewer,comment).
        #[arg(long, value_name = "FILE")]
        manual: Option<PathBuf>,
        /// Review decisions and appeals (reviews.csv, or a review sheet
        /// written by `hotline-qa sample` and filled in Excel).
        #[arg(long, value_name = "FILE")]
        reviews: Option<PathBuf>,
        /// Holiday/working-day overrides (CSV date,kind,name,notice) added to the built-in calendar.
        #[arg(long, value_name = "FILE")]
        calendar: Option<PathBuf>,
        /// The time the report is as of, e.g. 2026-11-28T00:00:00+08:00 (default: now).
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
        /// No progress display.
        #[arg(long)]
        quiet: bool,
        /// Show callers' phone numbers and names unmasked in the reports.
        #[arg(long)]
        show_pii: bool,
        /// Write only the record-level outputs (CSV and Parquet), not the
        /// aggregate reports (operators.csv … report.html); for very large
        /// runs that are combined later with `hotline-qa report`.
        #[arg(long)]
        no_reports: bool,
        /// Language of report.xlsx and report.html.
        #[arg(long, value_enum, default_value = "zh")]
        lang: Lang,
    },
    /// Combine any number of runs (folders written by `score`, e.g. 30 days)
    /// into operator, team, norm, unit and trend reports, report.xlsx and report.html.
    Report {
        /// Run folders, oldest first (a later run's view of a ticket wins).
        #[arg(required = true, value_name = "RUN_DIR")]
        runs: Vec<PathBuf>,
        /// The output folder.
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
        /// The scorecard the runs were scored with (for points, pass mark, ranking minimum).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Language of report.xlsx and report.html.
        #[arg(long, value_enum, default_value = "zh")]
        lang: Lang,
    },
    /// Print one call's dialogue with its findings marked.
    Explain {
        /// The call to show.
        call_id: String,
        /// Files or folders of transcripts (and tickets).
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        scorecard: Scorecard,
    },
    /// Try a changed scorecard or lexicon on one dialogue (pasted, or a
    /// file) and show what it catches compared with the current scorecard.
    TryRule {
        /// The dialogue: one transcript JSON line, or plain text with one
        /// utterance a line (坐席：您好……). `-` or none reads standard input.
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        /// The changed scorecard (default: the built-in one).
        #[arg(long, value_name = "NEW.toml")]
        config: Option<PathBuf>,
        /// The current scorecard to compare with (default: the built-in one).
        #[arg(long, value_name = "OLD.toml")]
        baseline: Option<PathBuf>,
        /// The phone directory (CSV name,phone) for both, replacing the built-in one.
        #[arg(long, value_name = "FILE")]
        directory: Option<PathBuf>,
    },
    /// Score a run's calls again with a changed scorecard (same inputs and
    /// as-of time, from the run's run.json) and compare: writes the new run
    /// and diff_calls.csv, diff_operators.csv and diff_rules.csv into --out.
    Rescore {
        /// The run folder written by `score` (it holds run.json).
        #[arg(value_name = "RUN_DIR")]
        run_dir: PathBuf,
        /// The inputs, only when they moved since the run (default: those in run.json).
        #[arg(value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// The new scorecard (TOML).
        #[arg(long, value_name = "NEW.toml")]
        config: PathBuf,
        /// The output folder (not the run folder).
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
        /// Language of the new run's report.xlsx and report.html.
        #[arg(long, value_enum, default_value = "zh")]
        lang: Lang,
    },
    /// Pick calls of a run for manual review (N per operator; red lines, low
    /// scores and poorly recognised transcripts more likely) and write them
    /// as a review sheet (xlsx) to fill in Excel and give back with
    /// `score --reviews`.
    Sample {
        /// The run folder written by `score` (it holds run.json).
        #[arg(value_name = "RUN_DIR")]
        run_dir: PathBuf,
        /// Calls per operator (all of them when an operator has fewer).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
        per_operator: u32,
        /// Random seed: the same seed picks the same calls.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The review sheet to write (default: RUN_DIR/review_sheet.xlsx).
        #[arg(long, short, value_name = "FILE.xlsx")]
        out: Option<PathBuf>,
    },
    /// Rule precision from reviews: per rule, the findings reviewed,
    /// confirmed and dismissed, the precision with its 95% interval and the
    /// misses reviewers added; writes calibration.csv and
    /// calibration_unmatched.csv.
    Calibrate {
        /// Review decisions and appeals (reviews.csv, or a filled review sheet).
        #[arg(long, value_name = "FILE")]
        reviews: PathBuf,
        /// Run folders written by `score`, oldest first (a call in several counts from the last).
        #[arg(required = true, value_name = "RUN_DIR")]
        runs: Vec<PathBuf>,
        /// The output folder (default: the first RUN_DIR).
        #[arg(long, short, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The scorecard, for the points a review row may give (default: the built-in one).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Generate a realistic synthetic day (transcripts, tickets, directory)
    /// with known injected violations, and their ground truth.
    Gen {
        /// Number of calls.
        #[arg(long, default_value_t = 10_000)]
        calls: u64,
        /// Random seed: the same seed gives byte-identical files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The day the calls are on (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        day: Option<chrono::NaiveDate>,
        /// The output folder.
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
    },
    /// Benchmark floor: read and parse transcripts exactly as `score` does
    /// (same batches, same threads), without scoring or writing anything.
    #[command(hide = true)]
    ParseOnly {
        /// Transcript files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Print the built-in scorecard (TOML, commented) to copy and edit.
    Config,
    /// List the rule ids (for `disabled_rules` and findings.csv).
    Rules,
}

/// An error in how the program was called or configured: exit code 2.
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(UsageError(e.to_string()))
}

fn load_scorecard(s: &Scorecard) -> anyhow::Result<(Config, Directory)> {
    let config = match &s.config {
        Some(p) => Config::load(p).map_err(usage)?,
        None => Config::default(),
    };
    // Compile the lexicons now, so that a bad lexicon is reported before any input is read.
    config.lexicons().map_err(usage)?;
    let dir_path = s.directory.clone().or_else(|| config.directory.clone());
    let directory = match dir_path {
        Some(p) => Directory::load(&p).map_err(usage)?,
        None => Directory::builtin(),
    };
    Ok((config, directory))
}

fn print_summary(s: &Summary, config: &Config) {
    let check = |c: &run::Counts| if c.balanced() { "✓" } else { "✗" };
    eprintln!("评分完成，输出在 {}", s.out.display());
    eprintln!(
        "通话：读取 {} 条，评分 {} 条，拒收 {} 条（读取 = 评分 + 拒收 {}）",
        s.calls.read,
        s.calls.scored,
        s.calls.rejected,
        check(&s.calls)
    );
    eprintln!(
        "工单：读取 {} 条，计算时效 {} 条，拒收 {} 条（读取 = 计算 + 拒收 {}）",
        s.tickets.read,
        s.tickets.scored,
        s.tickets.rejected,
        check(&s.tickets)
    );
    if !s.skipped_inputs.is_empty() {
        let names: Vec<String> = s
            .skipped_inputs
            .iter()
            .take(5)
            .map(|p| p.display().to_string())
            .collect();
        let more = match s.skipped_inputs.len() {
            n if n > 5 => format!(" 等 {n} 个"),
            _ => String::new(),
        };
        eprintln!(
            "没有当作工单读取的 CSV 文件（第一行没有工单编号等表头，如号码簿）：{}{more}",
            names.join("、")
        );
    }
    if s.manual.read > 0 {
        eprintln!(
            "人工评分：读取 {} 条，使用 {} 条，拒收 {} 条",
            s.manual.read, s.manual.scored, s.manual.rejected
        );
    }
    if s.reviews.read > 0 || s.reviews_unreviewed > 0 {
        eprintln!(
            "复核结论：读取 {} 条，使用 {} 条，拒收 {} 条（见 rejects.csv）；未填写的复核表行 {} 条",
            s.reviews.read, s.reviews.scored, s.reviews.rejected, s.reviews_unreviewed
        );
    }
    if let Some(mean) = s.mean_score() {
        let pct = s.passed as f64 / s.calls.scored as f64 * 100.0;
        eprintln!(
            "平均分 {}，及格（≥ {}）{} 通（{:.1}%），红线 {} 通，违规 {} 条",
            num(mean),
            num(config.pass_mark),
            s.passed,
            pct,
            s.red_lines,
            s.findings
        );
        if s.reviews.scored > 0 {
            eprintln!(
                "复核后平均分 {}（机器评分 {}）",
                num(s.reviewed_score_sum / s.calls.scored as f64),
                num(mean)
            );
        }
        if s.needs_review > 0 {
            eprintln!(
                "待复核的扣分 {} 条（识别置信度低或与对方抢话，确认前{}扣分；见 findings.csv 的 needs_review 列）",
                s.needs_review,
                if config.review.needs_review_costs_points { "照常" } else { "不" }
            );
        }
        let [pending, upheld, overturned] = s.appeals;
        if pending + upheld + overturned > 0 {
            eprintln!("申诉：处理中 {pending}，维持 {upheld}，撤销 {overturned}");
        }
        let mut norms: Vec<NormId> = NormId::ALL
            .iter()
            .copied()
            .filter(|n| s.norm_failed[n.index()] > 0)
            .collect();
        norms.sort_by_key(|n| std::cmp::Reverse(s.norm_failed[n.index()]));
        if !norms.is_empty() {
            eprintln!("违规最多的规范（违规通数 / 可评通数）：");
            for n in norms.iter().take(5) {
                eprintln!(
                    "  {:<14} {:<10} {:>6} / {}",
                    n.key(),
                    n.name_zh(),
                    s.norm_failed[n.index()],
                    s.norm_assessed[n.index()]
                );
            }
        }
    }
    if s.tickets.scored > 0 {
        let c = s.status_counts;
        eprintln!(
            "工单状态：按时办结 {}，超期办结 {}，办理中 {}，超期未办结 {}，未派单 {}",
            c[1], c[2], c[3], c[4], c[0]
        );
    }
    if let Some(t) = s.as_of {
        eprintln!("时效统计截至（as-of）：{}", t.format("%Y-%m-%d %H:%M:%S"));
    }
    if !s.calendar_unknown_years.is_empty() {
        let years: Vec<String> = s
            .calendar_unknown_years
            .iter()
            .map(|y| y.to_string())
            .collect();
        let known = match (s.calendar_years.first(), s.calendar_years.last()) {
            (Some(a), Some(b)) => format!("{a}–{b}"),
            _ => "无".into(),
        };
        eprintln!(
            "注意：工单日期落在 {} 年，内置节假日日历只覆盖 {} 年；这些年份按普通周末计算工作日。请用 --calendar 提供该年的放假安排。",
            years.join("、"),
            known
        );
    }
    if !s.resorted.is_empty() {
        let shown: Vec<&str> = s.resorted.iter().take(5).map(String::as_str).collect();
        eprintln!(
            "注意：{} 通电话的发言不是按时间顺序给出的，已按开始时间重新排序（如 {}）",
            s.resorted.len(),
            shown.join("、")
        );
    }
    if s.calls.rejected + s.tickets.rejected + s.manual.rejected > 0 {
        eprintln!("拒收的记录及原因见 rejects.csv");
    }
    if let Some(data) = &s.report {
        print_operators(data);
    }
}

/// The top and bottom operators as a table.
fn print_operators(data: &hotline_qa::report::aggregate::ReportData) {
    let ranked: Vec<_> = data.operators.iter().filter(|o| o.rank.is_some()).collect();
    if ranked.is_empty() {
        if !data.operators.is_empty() {
            eprintln!("话务员排名：没有人达到排名所需的通话数（见 operators.csv）");
        }
        return;
    }
    // The ranking is on the reviewed score; with reviews, both are shown.
    let reviewed = data
        .operators
        .iter()
        .any(|o| (o.reviewed_mean - o.mean).abs() > 1e-9);
    let line = |o: &hotline_qa::report::aggregate::OperatorRow| {
        let extra = if reviewed {
            format!(" {:>10}", num(o.reviewed_mean))
        } else {
            String::new()
        };
        eprintln!(
            "  {:>4}  {:<8} {:<6} {:<5} {:>5} {:>8} {:>7.1}% {:>4}{extra}",
            o.rank.unwrap_or(0),
            o.operator_id,
            o.operator_name,
            o.team,
            o.calls,
            num(o.mean),
            o.pass_rate * 100.0,
            o.red_lines
        );
    };
    eprintln!("话务员排名（前 5 / 后 5，完整见 operators.csv、report.xlsx）：");
    eprintln!(
        "  {:>4}  {:<8} {:<6} {:<5} {:>5} {:>8} {:>8} {:>4}{}",
        "排名",
        "工号",
        "姓名",
        "班组",
        "通话",
        "平均分",
        "及格率",
        "红线",
        if reviewed { "  复核后平均分" } else { "" }
    );
    let n = ranked.len();
    for o in ranked.iter().take(5) {
        line(o);
    }
    if n > 10 {
        eprintln!("  …");
    }
    for o in ranked.iter().skip(5.max(n.saturating_sub(5))) {
        line(o);
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Config => {
            print!("{DEFAULT_TOML}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Gen {
            calls,
            seed,
            day,
            out,
        } => {
            let mut opts = hotline_qa::gen::GenOptions::new(calls, seed, out);
            if let Some(d) = day {
                opts.day = d;
            }
            let summary = hotline_qa::gen::generate(&opts)?;
            print!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::ParseOnly { inputs } => {
            let (read, ok) = run::parse_only(&inputs)?;
            eprintln!("parsed {ok} of {read} lines");
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules => {
            for (id, what) in RULES {
                println!("{id:<34}{what}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Report {
            runs,
            out,
            config,
            lang,
        } => {
            let config = match &config {
                Some(p) => Config::load(p).map_err(usage)?,
                None => Config::default(),
            };
            let data = hotline_qa::report::build_reports(&runs, &out, &config, lang, true)?;
            eprintln!(
                "已合并 {} 次运行（{} — {}）：{} 通电话，{} 张工单。报表在 {}",
                data.runs,
                data.period.0,
                data.period.1,
                data.calls,
                data.tickets,
                out.display()
            );
            if let Some((a, b)) = &data.ticket_period {
                eprintln!("工单受理期间：{a} — {b}");
            }
            // The duplicates dropped and the calendar's missing years, as
            // the report's summary and warning box say them.
            if data.duplicate_calls == 0 && data.runs > 1 {
                eprintln!("重复通话：0 通");
            }
            for w in hotline_qa::report::html::warnings(&data, lang) {
                eprintln!("{w}");
            }
            print_operators(&data);
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample {
            run_dir,
            per_operator,
            seed,
            out,
        } => {
            use hotline_qa::review::sample;
            if let Some(p) = &out {
                sample::check_out(p).map_err(usage)?;
            }
            let summary = sample::sample(&sample::SampleOptions {
                run_dir,
                per_operator: per_operator as usize,
                seed,
                out,
            })?;
            eprint!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Rescore {
            run_dir,
            inputs,
            config: config_file,
            out,
            lang,
        } => {
            use hotline_qa::review::{diff, rescore};
            let config = Config::load(&config_file).map_err(usage)?;
            config.lexicons().map_err(usage)?;
            if let Some(p) = &config.directory {
                Directory::load(p).map_err(usage)?;
            }
            rescore::check_out(&run_dir, &out).map_err(usage)?;
            let (s, d) = rescore::rescore(&run_dir, config, Some(config_file), &out, inputs, lang)?;
            eprintln!(
                "重新评分完成，输出在 {}：通话读取 {} 条，评分 {} 条，拒收 {} 条",
                s.out.display(),
                s.calls.read,
                s.calls.scored,
                s.calls.rejected
            );
            print!("{}", diff::render_zh(&d));
            Ok(ExitCode::SUCCESS)
        }
        Command::Calibrate {
            reviews,
            runs,
            out,
            config,
        } => {
            use hotline_qa::review::calibrate;
            let config = match &config {
                Some(p) => Config::load(p).map_err(usage)?,
                None => Config::default(),
            };
            let points = |n: NormId| config.norms.common(n).points;
            let rows = hotline_qa::review::reviews::read(&reviews, &points).map_err(usage)?;
            let c = calibrate::calibrate(&rows, &runs)?;
            let out = match out.or_else(|| runs.first().cloned()) {
                Some(o) => o,
                None => {
                    return Err(usage(
                        "至少要给一个运行文件夹 RUN_DIR（hotline-qa score 的输出）",
                    ))
                }
            };
            let file = calibrate::write(&c, &out)?;
            print!("{}", calibrate::render_zh(&c));
            eprintln!(
                "每条规则的数字已写入 {}；未用上的复核行见 {}",
                file.display(),
                out.join(calibrate::UNMATCHED_FILE).display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Score {
            inputs,
            out,
            scorecard,
            manual,
            reviews,
            calendar,
            as_of,
            quiet,
            show_pii,
            lang,
            stdin,
            format,
            tickets,
            no_reports,
        } => {
            if stdin {
                let (config, directory) = load_scorecard(&scorecard)?;
                let by_call = hotline_qa::stream::load_tickets(
                    &tickets,
                    scorecard.sheet.as_deref(),
                    config.offset(),
                )?;
                let scorer = Scorer::new(config, directory)?;
                let stdin = std::io::stdin().lock();
                let stdout = std::io::BufWriter::new(std::io::stdout().lock());
                let c = hotline_qa::stream::run(
                    stdin,
                    stdout,
                    &scorer,
                    &by_call,
                    format.unwrap_or_default(),
                    show_pii,
                    &Limits::default(),
                )?;
                if !quiet {
                    eprintln!(
                        "hotline-qa --stdin: 读取 {} 行，评分 {}，拒收 {}",
                        c.read, c.scored, c.rejected
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            // A flag of --stdin alone is refused rather than silently
            // ignored; --tickets is a ticket input like any other.
            if format.is_some() {
                return Err(usage(
                    "--format 只用于 --stdin 模式（--format only applies with --stdin）",
                ));
            }
            let mut inputs = inputs;
            inputs.extend(tickets);
            let out = out.ok_or_else(|| usage("--out DIR is required"))?;
            if let Some(sheet) = &scorecard.sheet {
                let found = hotline_qa::input::collect_inputs(&inputs).map_err(usage)?;
                hotline_qa::input::tickets::check_sheet(&found.tickets, sheet).map_err(usage)?;
            }
            let (config, directory) = load_scorecard(&scorecard)?;
            let as_of = match as_of {
                Some(s) => Some(run::parse_as_of(&s, config.offset()).ok_or_else(|| {
                    usage(hotline_qa::input::time::bad_time_reason(
                        "--as-of",
                        &s,
                        config.offset(),
                        format!("--as-of \"{s}\" is not a time (use 2026-11-28T00:00:00+08:00 or 2026-11-28 00:00)"),
                    ))
                })?),
                None => None,
            };
            if let Some(p) = &calendar {
                let mut c = hotline_qa::workflow::calendar::Calendar::builtin();
                c.load_overrides(p).map_err(usage)?;
            }
            let directory_file = scorecard
                .directory
                .clone()
                .or_else(|| config.directory.clone());
            let opts = ScoreOptions {
                inputs,
                out,
                directory,
                directory_file,
                config_file: scorecard.config.clone(),
                manual,
                reviews,
                calendar,
                as_of,
                sheet: scorecard.sheet.clone(),
                progress: !quiet && std::io::stderr().is_terminal(),
                limits: Limits::default(),
                batch: 4096,
                config: config.clone(),
                show_pii,
                lang,
                reports: !no_reports,
            };
            let summary = run::score(&opts)?;
            print_summary(&summary, &config);
            let read = summary.calls.read + summary.tickets.read;
            let used = summary.calls.scored + summary.tickets.scored;
            if read > 0 && used == 0 {
                eprintln!("错误：没有一条记录可以使用（见 rejects.csv）");
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain {
            call_id,
            inputs,
            scorecard,
        } => {
            let (config, directory) = load_scorecard(&scorecard)?;
            let (call, ticket) =
                run::find_call(&inputs, &call_id, &config, scorecard.sheet.as_deref())?;
            let scorer = Scorer::new(config.clone(), directory)?;
            let scored = scorer.score(&call, ticket.as_ref(), &[]);
            let points = |n: NormId| config.norms.common(n).points;
            print!(
                "{}",
                explain::render(&call, ticket.as_ref(), &scored, &points)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::TryRule {
            file,
            config,
            baseline,
            directory,
        } => {
            use hotline_qa::review::try_rule;
            // Both scorecards and their lexicons are checked before the dialogue is read.
            let card = |config| Scorecard {
                config,
                directory: directory.clone(),
                sheet: None,
            };
            let (new_config, new_directory) = load_scorecard(&card(config))?;
            let (old_config, old_directory) = load_scorecard(&card(baseline))?;
            let changed = Scorer::new(new_config, new_directory).map_err(usage)?;
            let current = Scorer::new(old_config, old_directory).map_err(usage)?;
            let from_stdin = file.as_deref().is_none_or(|p| p.as_os_str() == "-");
            if from_stdin && std::io::stdin().is_terminal() {
                eprintln!("请粘贴对话，一行一句（如“坐席：您好！市长热线……”），粘贴完按 Ctrl+D（Windows 按 Ctrl+Z 再回车）：");
            }
            let dialogue =
                try_rule::load_dialogue(file.as_deref()).map_err(|e| usage(format!("{e:#}")))?;
            print!(
                "{}",
                try_rule::try_rule_dialogue(&dialogue, None, &current, &changed)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                if io.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            eprintln!("hotline-qa: 错误：{e:#}");
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
