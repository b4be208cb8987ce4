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

// The std printing macros panic when a write fails (exit 101 on a closed
// pipe: `hotline-qa rules | head -1`). These shadow them in this file:
// standard output ends the program quietly on a closed pipe (exit 0, as
// ripgrep does) and with exit 1 and a message on any other write error (a
// full disk); standard error, the summary, is best effort.
macro_rules! print {
    ($($t:tt)*) => { emit_stdout(format_args!($($t)*), false) };
}
macro_rules! println {
    ($($t:tt)*) => { emit_stdout(format_args!($($t)*), true) };
}
macro_rules! eprint {
    ($($t:tt)*) => { emit_stderr(format_args!($($t)*), false) };
}
macro_rules! eprintln {
    ($($t:tt)*) => { emit_stderr(format_args!($($t)*), true) };
}

fn emit_stdout(args: std::fmt::Arguments<'_>, newline: bool) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| {
            if newline {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush());
    if let Err(e) = written {
        drop(out);
        std::process::exit(write_error_exit(&e));
    }
}

fn emit_stderr(args: std::fmt::Arguments<'_>, newline: bool) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| {
        if newline {
            err.write_all(b"\n")
        } else {
            Ok(())
        }
    });
}

/// The exit code for a failed write to standard output: 0 for a reader
/// that closed the pipe (it has what it wanted), 1 for anything else,
/// said on standard error.
fn write_error_exit(e: &std::io::Error) -> i32 {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return 0;
    }
    emit_stderr(
        format_args!("hotline-qa: 错误：无法写出结果到标准输出，结果不完整：请检查磁盘空间或输出重定向（cannot write to standard output: {e}）"),
        true,
    );
    1
}

/// False when standard output was closed (`>&-`). The standard library
/// then opens /dev/null read-write in its place at start-up, and what is
/// printed is dropped without an error: a run would exit 0 having
/// delivered nothing. A /dev/null the shell opened (`> /dev/null`) is
/// write-only, so it is told apart by its access mode (Linux only).
fn stdout_is_open() -> bool {
    #[cfg(target_os = "linux")]
    {
        let null = std::fs::read_link("/proc/self/fd/1")
            .is_ok_and(|p| p == std::path::Path::new("/dev/null"));
        if null {
            let info = std::fs::read_to_string("/proc/self/fdinfo/1").unwrap_or_default();
            let flags = info
                .lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|f| u32::from_str_radix(f.trim(), 8).ok());
            // O_RDWR: opened by the standard library, not by the shell.
            return flags.is_none_or(|f| f & 3 != 2);
        }
    }
    true
}

/// 市长热线（12345）通话质检与工单时效：按十一项工作规范给每通电话打分，
/// 按国家法定节假日日历检查每张工单是否按时办结（Quality assurance for a
/// city service hotline）。
#[derive(Parser)]
#[command(
    name = "hotline-qa",
    version,
    about = "市长热线（12345）通话质检与工单时效：按十一项工作规范给每通电话打分，按国家法定节假日日历检查每张工单是否按时办结",
    long_about = None,
    disable_help_flag = true,
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// 显示帮助（Print help）
    #[arg(short, long, action = clap::ArgAction::Help, global = true)]
    help: Option<bool>,
    /// 显示版本（Print version）
    #[arg(short = 'V', long, action = clap::ArgAction::Version)]
    version: Option<bool>,
}

#[derive(clap::Args)]
struct Scorecard {
    /// 评分表（TOML），可改任何默认值；hotline-qa config 打印默认评分表
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// 单位与热线电话通讯录（CSV：name,phone），替换内置的样例通讯录
    #[arg(long, value_name = "FILE")]
    directory: Option<PathBuf>,
    /// 读 .xlsx 工单时用哪个工作表（默认第一个）
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// 评分：读通话转写（.jsonl/.jsonl.gz）和工单（.csv/.xlsx），写出
    /// calls.csv、findings.csv、tickets.csv、units.csv、rejects.csv 和报表
    Score {
        /// 转写和工单文件或文件夹
        #[arg(required_unless_present = "stdin", value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// 输出目录（不存在会创建）
        #[arg(long, short, value_name = "DIR", required_unless_present = "stdin")]
        out: Option<PathBuf>,
        /// 从标准输入读转写（JSON Lines），每行向标准输出写一行结果（供 Spark 等平台用）
        #[arg(long, conflicts_with_all = ["inputs", "out", "manual", "reviews", "calendar", "as_of"])]
        stdin: bool,
        /// 只用于 --stdin：输出格式（json，默认；或 tsv）
        #[arg(long, value_enum)]
        format: Option<hotline_qa::stream::Format>,
        /// 工单文件或文件夹（与写在输入里的工单一样读取；--stdin 时工单只能这样给出）
        #[arg(long, value_name = "PATH")]
        tickets: Vec<PathBuf>,
        #[command(flatten)]
        scorecard: Scorecard,
        /// 人工评分（CSV：call_id,norm,points,reviewer,comment）
        #[arg(long, value_name = "FILE")]
        manual: Option<PathBuf>,
        /// 复核结论和申诉（reviews.csv，或 hotline-qa sample 生成、在 Excel 里填好的复核表）
        #[arg(long, value_name = "FILE")]
        reviews: Option<PathBuf>,
        /// 节假日补充/覆盖（CSV：date,kind,name,notice），加到内置日历上
        #[arg(long, value_name = "FILE")]
        calendar: Option<PathBuf>,
        /// 时效统计截至的时间，如 2026-11-28T00:00:00+08:00（默认：运行时刻）
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
        /// 直接读语音识别结果（aliyun、tencent、funasr …）：这时 INPUT 是识别结果（文件夹、.json、.jsonl 或 .zip），
        /// 工单用 --tickets 给出；和先 import 再 score 的结果相同
        #[arg(
            long,
            value_name = "SERVICE",
            requires = "calls",
            conflicts_with = "stdin"
        )]
        from: Option<hotline_qa::input::asr::Vendor>,
        /// 只用于 --from：电话系统的通话记录（CSV 或 XLSX）
        #[arg(long, value_name = "CALLS.csv", requires = "from")]
        calls: Option<PathBuf>,
        /// 只用于 --from：通话记录没写声道时话务员的声道（0/left、1/right 或 auto，默认 auto）
        #[arg(long, value_name = "CHANNEL", requires = "from")]
        agent_channel: Option<hotline_qa::input::asr::AgentChannel>,
        /// 不显示进度
        #[arg(long)]
        quiet: bool,
        /// 报表中显示来电人完整的电话号码和姓名（默认打码）
        #[arg(long)]
        show_pii: bool,
        /// 只写逐条记录的输出（CSV 和 Parquet），不写汇总报表（operators.csv … report.html）；
        /// 之后用 hotline-qa report 合并出报表
        #[arg(long)]
        no_reports: bool,
        /// report.xlsx、report.html 的标题语言
        #[arg(long, value_enum, default_value = "zh")]
        lang: Lang,
    },
    /// 合并多次 score 的结果（例如 30 天），写出话务员排名、班组、规范、承办单位、
    /// 每日趋势，以及 report.xlsx、report.html
    Report {
        /// score 的输出文件夹，按日期从早到晚（同一工单以后给出的为准）
        #[arg(required = true, value_name = "RUN_DIR")]
        runs: Vec<PathBuf>,
        /// 输出目录
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
        /// 评分时用的评分表（分值、及格线、排名所需通话数）
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// report.xlsx、report.html 的标题语言
        #[arg(long, value_enum, default_value = "zh")]
        lang: Lang,
    },
    /// 显示一通电话的全部对话，扣分标在引起它的那句话下面
    Explain {
        /// 通话编号
        call_id: String,
        /// 转写（和工单）文件或文件夹
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        scorecard: Scorecard,
        /// Show callers' phone numbers and names unmasked (noted on standard error).
        #[arg(long)]
        show_pii: bool,
    },
    /// 改规则前试一试：拿一段对话（粘贴或文件）比较新旧评分表各抓到什么
    TryRule {
        /// 对话文件：转写的一行 JSON，或一行一句的纯文本（坐席：您好……）；不写或写 - 读标准输入
        #[arg(value_name = "FILE")]
        file: Option<PathBuf>,
        /// 改后的评分表（默认：内置评分表）
        #[arg(long, value_name = "NEW.toml")]
        config: Option<PathBuf>,
        /// 现行的评分表（默认：内置评分表）
        #[arg(long, value_name = "OLD.toml")]
        baseline: Option<PathBuf>,
        /// 两边都用的通讯录（CSV：name,phone），替换内置通讯录
        #[arg(long, value_name = "FILE")]
        directory: Option<PathBuf>,
        /// 不试单段对话，而是在一次运行（score 的输出文件夹）的全部通话上试：
        /// 多少通会新增命中，举五个例子
        #[arg(long, value_name = "RUN_DIR", conflicts_with = "file")]
        run: Option<PathBuf>,
    },
    /// 用新评分表重评一次运行的全部通话（输入和截至时间取自 run.json）并比较，
    /// 写出新的运行和 diff_calls.csv、diff_operators.csv、diff_rules.csv
    Rescore {
        /// score 写出的运行文件夹（里面有 run.json）
        #[arg(value_name = "RUN_DIR")]
        run_dir: PathBuf,
        /// 输入文件，只在它们挪了地方时才写（默认：run.json 里记的）
        #[arg(value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// 新评分表（TOML）
        #[arg(long, value_name = "NEW.toml")]
        config: PathBuf,
        /// 输出目录（不能是原运行文件夹）
        #[arg(long, short, value_name = "DIR")]
        out: PathBuf,
        /// 新运行的 report.xlsx、report.html 的标题语言
        #[arg(long, value_enum, default_value = "zh")]
        lang: Lang,
    },
    /// 按话务员抽样复核（每人 N 通，红线、不及格、识别不清的多抽），写出复核表 xlsx，
    /// 在 Excel 里填好后交给 score --reviews
    Sample {
        /// score 写出的运行文件夹（里面有 run.json）
        #[arg(value_name = "RUN_DIR")]
        run_dir: PathBuf,
        /// 每位话务员抽几通（不够的全抽）
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
        per_operator: u32,
        /// 抽样种子：同一个种子抽出同样的电话
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 复核表存到哪里（默认：运行文件夹/review_sheet.xlsx）
        #[arg(long, short, value_name = "FILE.xlsx")]
        out: Option<PathBuf>,
    },
    /// 用复核结论算每条规则的准确率（带 95% 区间）和漏判，写出 calibration.csv
    /// 和 calibration_unmatched.csv
    Calibrate {
        /// 复核结论和申诉（reviews.csv，或填好的复核表）
        #[arg(long, value_name = "FILE")]
        reviews: PathBuf,
        /// score 的输出文件夹，按日期从早到晚（同一通电话按最后一个算）
        #[arg(required = true, value_name = "RUN_DIR")]
        runs: Vec<PathBuf>,
        /// 输出目录（默认：第一个运行文件夹）
        #[arg(long, short, value_name = "DIR")]
        out: Option<PathBuf>,
        /// 评分表，用来检查新增扣分的分数（默认：内置评分表）
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// 导入语音识别结果（阿里云、腾讯云、华为云录音文件识别，讯飞录音文件转写，FunASR，Whisper），按通话记录补上话务员、
    /// 开始时间等，写成转写 calls.jsonl；用不了的结果和通话记录写到 calls.jsonl.rejects.csv
    Import {
        /// 识别服务：aliyun、tencent、huawei、iflytek、funasr 或 whisper
        #[arg(long, value_name = "SERVICE")]
        from: hotline_qa::input::asr::Vendor,
        /// 识别结果文件（.json，或一行一个结果的 .jsonl）或文件夹
        #[arg(required = true, value_name = "RESULTS")]
        results: Vec<PathBuf>,
        /// 电话系统的通话记录（CSV，UTF-8 或 GBK；录音文件/任务编号、通话编号、坐席工号、开始时间……）
        #[arg(long, value_name = "CALLS.csv")]
        calls: PathBuf,
        /// 写出的转写（.jsonl 或 .jsonl.gz）
        #[arg(long, short, value_name = "calls.jsonl")]
        out: PathBuf,
        /// 通话记录没写声道时话务员的声道：0/left、1/right，或 auto（单声道，按谁说开头语判断）
        #[arg(long, value_name = "CHANNEL", default_value = "auto")]
        agent_channel: hotline_qa::input::asr::AgentChannel,
    },
    /// 生成一天的合成数据（转写、工单、通讯录），并写明注入了哪些违规
    Gen {
        /// 通话数
        #[arg(long, default_value_t = 10_000)]
        calls: u64,
        /// 随机种子：同一个种子生成逐字节相同的文件
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 通话的日期（YYYY-MM-DD）
        #[arg(long, value_name = "DATE")]
        day: Option<chrono::NaiveDate>,
        /// 输出目录
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
    /// 质检工作台：网页上看通话、复核扣分、导出复核结论（见 README「质检工作台」）
    Serve {
        #[command(subcommand)]
        action: Option<ServeAction>,
        /// 数据库文件（SQLite，不存在会创建）
        #[arg(long, value_name = "FILE", required_unless_present = "demo")]
        db: Option<PathBuf>,
        /// 放 score 运行结果的文件夹：每个带 run.json 的子文件夹导入一次，之后定时查看新的
        #[arg(long, value_name = "DIR")]
        runs: Option<PathBuf>,
        /// 监听的地址和端口（默认 127.0.0.1:8345，只有本机能访问）
        #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8345")]
        listen: std::net::SocketAddr,
        /// 在 HTTPS 反向代理后面：会话 Cookie 加 Secure
        #[arg(long)]
        behind_tls_proxy: bool,
        /// 每隔几秒查看一次 --runs 里的新运行
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        poll_seconds: u64,
        /// 多少分钟没有操作就要重新登录
        #[arg(long, value_name = "MINUTES", default_value_t = 30)]
        idle_minutes: u64,
        /// 申诉期限：通话当天起几天内（含第 N 天）话务员可以申诉
        #[arg(long, value_name = "N", default_value_t = 7)]
        appeal_days: u32,
        /// 复核队列的每日抽样计划：每位话务员每天抽几通（同 sample --per-operator）
        #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
        sample_per_operator: u32,
        /// 演示：给 samples/ 评分，建临时数据库和演示账号（打印一次性密码），然后启动
        #[arg(long, conflicts_with_all = ["db", "runs"])]
        demo: bool,
        /// 只用于 --demo：样例文件夹
        #[arg(long, value_name = "DIR", default_value = "samples")]
        samples: PathBuf,
    },
    /// 打印内置评分表（带中文注释的 TOML），复制后修改即可用 --config 加载
    Config,
    /// 列出全部规则编号及含义（findings.csv 的 rule 列、评分表的 disabled_rules）
    Rules {
        /// 评分表：它的自定义规则（[[rules]]）列在内置规则之后，标“自定义”
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// `hotline-qa serve --db FILE ACTION`.
#[derive(Subcommand)]
enum ServeAction {
    /// 建账号（第一个管理员也这样建）：默认生成一次性密码并打印，首次登录后须改密码
    AddUser {
        /// 登录用的账号名
        name: String,
        /// 角色：话务员、班长、质检员、质检主管、管理、管理员（或 operator、lead、reviewer、qa-lead、manager、admin）
        #[arg(long)]
        role: String,
        /// 话务员的工号（只看得到这个工号的通话）
        #[arg(long, value_name = "ID", default_value = "")]
        operator_id: String,
        /// 班长的班组（只看得到这个班组的通话）
        #[arg(long, value_name = "T", default_value = "")]
        team: String,
        /// 从标准输入读一行作为密码（不生成一次性密码）
        #[arg(long)]
        password_stdin: bool,
    },
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
    // Critical findings (重大风险) before anything else: a manager acts on them today.
    for line in hotline_qa::report::risk::summary_lines(&s.critical) {
        eprintln!("{line}");
    }
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
        eprintln!("输入文件夹里没有读取的文件：");
        for k in s.skipped_inputs.iter().take(10) {
            eprintln!("  {}：{}", k.path.display(), k.reason);
        }
        if s.skipped_inputs.len() > 10 {
            eprintln!("  …… 共 {} 个", s.skipped_inputs.len());
        }
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
            "平均分 {}，及格（≥ {}）{} 通（{:.1}%），红线 {} 通，重大风险 {} 条，违规 {} 条",
            num(mean),
            num(config.pass_mark),
            s.passed,
            pct,
            s.red_lines,
            hotline_qa::report::risk::open_count(&s.critical),
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
        // The scorecard's items (not a fixed eleven), most failed first.
        let mut norms: Vec<(NormId, u64, u64)> =
            s.norm_counts.iter().copied().filter(|c| c.2 > 0).collect();
        norms.sort_by_key(|c| std::cmp::Reverse(c.2));
        if !norms.is_empty() {
            eprintln!("违规最多的规范（违规通数 / 可评通数）：");
            for (n, assessed, failed) in norms.iter().take(5) {
                eprintln!(
                    "  {:<14} {:<10} {:>6} / {}",
                    n.key(),
                    n.name_zh(),
                    failed,
                    assessed
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
    // With nothing usable, main says so instead (exit 1): no file to open.
    if s.calls.scored + s.tickets.scored > 0 {
        eprintln!("{}", open_hint(&s.out, s.report.is_some()));
    }
}

/// The summary's last line: which file to open next. Without reports it
/// says that none were written and how to make them.
fn open_hint(out: &std::path::Path, reports: bool) -> String {
    let f = |name: &str| out.join(name).display().to_string();
    if reports {
        format!(
            "请打开 {}（Excel）或 {}（浏览器）查看报表；逐条扣分见 {}",
            f("report.xlsx"),
            f("report.html"),
            f("findings.csv")
        )
    } else {
        format!(
            "没有写汇总报表（用了 --no-reports）；逐条结果见 {}、{}。要报表请运行：hotline-qa report {} --out {}-report",
            f("calls.csv"),
            f("findings.csv"),
            out.display(),
            out.display()
        )
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
        Command::Import {
            from,
            results,
            calls,
            out,
            agent_channel,
        } => {
            let summary = hotline_qa::input::asr::import(&hotline_qa::input::asr::ImportOptions {
                vendor: from,
                results,
                calls,
                out: out.clone(),
                agent_channel,
            })?;
            eprint!("{summary}");
            if summary.written == 0 {
                eprintln!(
                    "hotline-qa: 错误：没有写出一通电话，原因见 {}",
                    summary.rejects_path.display()
                );
                return Ok(ExitCode::from(1));
            }
            eprintln!(
                "下一步评分：hotline-qa score {} --out 结果文件夹",
                out.display()
            );
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
            let dir = opts.out.display();
            println!(
                "已写入 {dir}：calls.jsonl（转写）、tickets.csv（工单）、directory.csv（通讯录），注入了哪些违规见 truth_calls.csv、truth_tickets.csv；下一步评分：hotline-qa score {dir} --out 结果文件夹"
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::ParseOnly { inputs } => {
            let (read, ok) = run::parse_only(&inputs)?;
            eprintln!("parsed {ok} of {read} lines");
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            action,
            db,
            runs,
            listen,
            behind_tls_proxy,
            poll_seconds,
            idle_minutes,
            appeal_days,
            sample_per_operator,
            demo,
            samples,
        } => {
            use hotline_qa::serve;
            if demo {
                serve::demo(&samples, listen)?;
                return Ok(ExitCode::SUCCESS);
            }
            let db = db.ok_or_else(|| usage("请用 --db 指定数据库文件（--db required）"))?;
            match action {
                Some(ServeAction::AddUser {
                    name,
                    role,
                    operator_id,
                    team,
                    password_stdin,
                }) => {
                    let role = serve::Role::parse(&role).ok_or_else(|| {
                        usage(format!("角色 {role} 不对：请写 话务员、班长、质检员、质检主管、管理 或 管理员（unknown role）"))
                    })?;
                    let password = if password_stdin {
                        let mut line = String::new();
                        std::io::stdin().read_line(&mut line)?;
                        Some(line.trim_end_matches(['\r', '\n']).to_string())
                    } else {
                        None
                    };
                    let otp = serve::add_user(
                        &db,
                        &name,
                        role,
                        &operator_id,
                        &team,
                        password.as_deref(),
                    )?;
                    match otp {
                        Some(p) => println!("已建账号 {name}（{}），一次性密码：{p}\n首次登录后须改密码；这个密码只显示这一次。", role.name_zh()),
                        None => println!("已建账号 {name}（{}）。", role.name_zh()),
                    }
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    let mut opts = serve::ServeOptions::new(db);
                    opts.runs = runs;
                    opts.listen = listen;
                    opts.secure_cookies = behind_tls_proxy;
                    opts.poll = std::time::Duration::from_secs(poll_seconds.max(1));
                    opts.idle = std::time::Duration::from_secs(idle_minutes.max(1) * 60);
                    opts.workflow = serve::appeals::Settings {
                        appeal_days: i64::from(appeal_days),
                        sample_per_operator: sample_per_operator as usize,
                    };
                    serve::serve(&opts)?;
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Rules { config } => {
            let config = match &config {
                Some(p) => Config::load(p).map_err(usage)?,
                None => Config::default(),
            };
            // The rules of the scorecard's items only: a dropped norm's
            // checks do not run.
            let items = config.items();
            for (id, what) in RULES {
                if hotline_qa::review::reviews::norm_of_rule(id)
                    .is_some_and(|n| items.position(n).is_some())
                {
                    println!("{id:<34}{what}");
                }
            }
            for r in &config.rules {
                let norm = items.parse(&r.norm).map_or("", |n| n.name_zh());
                let off = if config.rule_enabled(r.id.trim()) {
                    ""
                } else {
                    "（已关闭）"
                };
                println!(
                    "{:<34}自定义·{norm}{off}：{}",
                    r.id.trim(),
                    r.description.trim()
                );
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
            let data = hotline_qa::report::report_runs(&runs, &out, &config, lang)?;
            for line in hotline_qa::report::risk::summary_lines(&data.critical) {
                eprintln!("{line}");
            }
            eprintln!(
                "已合并 {} 次运行（{} — {}）：{} 通电话，{} 张工单，重大风险 {} 条。报表在 {}",
                data.runs,
                data.period.0,
                data.period.1,
                data.calls,
                data.tickets,
                hotline_qa::report::risk::open_count(&data.critical),
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
            eprintln!(
                "请打开 {}（Excel）或 {}（浏览器）查看报表",
                out.join("report.xlsx").display(),
                out.join("report.html").display()
            );
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
            // A review sheet already there may be filled in: never replaced.
            let target = out
                .clone()
                .unwrap_or_else(|| run_dir.join(sample::DEFAULT_FILE));
            if target.exists() {
                anyhow::bail!(
                    "{} 已存在，里面可能已经填了复核结论，不覆盖：请用 --out 另给一个文件名，或先把它移走（the review sheet exists）",
                    target.display()
                );
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
            eprintln!("{}", open_hint(&s.out, true));
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
            // The runs' own scorecards make their items and rules known to
            // the reviews (a centre's own items, issue #18).
            for r in &runs {
                if let Ok(m) = hotline_qa::review::manifest::Manifest::read(r) {
                    let _ = m.config(r);
                }
            }
            let items = config.items();
            let points = |n: NormId| items.get(n).map_or(100.0, |i| i.points);
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
            // The two files go into `out`: never over the reviews being read.
            let reviews_at = hotline_qa::outdir::resolved(&reviews);
            for name in [calibrate::FILE, calibrate::UNMATCHED_FILE] {
                if hotline_qa::outdir::resolved(&out.join(name)) == reviews_at {
                    return Err(usage(format!(
                        "--reviews {} 会被写出的 {name} 覆盖：请把复核文件换个名字或换一个 --out（the output would overwrite the reviews）",
                        reviews.display()
                    )));
                }
            }
            let file = calibrate::write(&c, &out)?;
            print!("{}", calibrate::render_zh(&c));
            eprintln!(
                "每条规则的数字已写入 {}（请用 Excel 打开）；未用上的复核行见 {}",
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
            from,
            calls,
            agent_channel,
        } => {
            if stdin {
                let (config, directory) = load_scorecard(&scorecard)?;
                let by_call = hotline_qa::stream::load_tickets(
                    &tickets,
                    scorecard.sheet.as_deref(),
                    &config,
                )?;
                let scorer = Scorer::new(config, directory)?;
                // Not the lock: the pipeline reads on its own thread.
                let stdin = std::io::BufReader::with_capacity(256 * 1024, std::io::stdin());
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
            // With --from the positional inputs are the recognition results,
            // and the tickets come by --tickets.
            let (mut inputs, from) = match (from, calls) {
                (Some(vendor), Some(calls)) => (
                    Vec::new(),
                    Some(hotline_qa::input::asr::ImportOptions {
                        vendor,
                        results: inputs,
                        calls,
                        out: PathBuf::new(),
                        agent_channel: agent_channel
                            .unwrap_or(hotline_qa::input::asr::AgentChannel::Auto),
                    }),
                ),
                _ => (inputs, None),
            };
            inputs.extend(tickets);
            let out = out.ok_or_else(|| {
                usage("请用 --out 给出输出目录，例如 --out out（--out DIR is required）")
            })?;
            if let Some(sheet) = &scorecard.sheet {
                let found = hotline_qa::input::collect_inputs_in_sheet(&inputs, Some(sheet))
                    .map_err(usage)?;
                hotline_qa::input::tickets::check_sheet(&found.tickets, sheet).map_err(usage)?;
            }
            let (config, directory) = load_scorecard(&scorecard)?;
            let as_of = match as_of {
                Some(s) => Some(run::parse_as_of(&s, config.offset()).ok_or_else(|| {
                    usage(hotline_qa::input::time::bad_time_reason(
                        "--as-of",
                        &s,
                        config.offset(),
                        format!("--as-of “{s}”不是时间，请写成 2026-11-28T00:00:00+08:00 或 2026-11-28 00:00（not a time）"),
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
                from,
            };
            let summary = run::score(&opts)?;
            print_summary(&summary, &config);
            let read = summary.calls.read + summary.tickets.read;
            let used = summary.calls.scored + summary.tickets.scored;
            if read > 0 && used == 0 {
                eprintln!(
                    "hotline-qa: 错误：没有一条记录可以使用，请打开 {} 看每条记录的原因，改好输入后重新运行",
                    summary.out.join("rejects.csv").display()
                );
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain {
            call_id,
            inputs,
            scorecard,
            show_pii,
        } => {
            let (config, directory) = load_scorecard(&scorecard)?;
            let (call, ticket) =
                run::find_call(&inputs, &call_id, &config, scorecard.sheet.as_deref())?;
            let scorer = Scorer::new(config.clone(), directory)?;
            let mut scored = scorer.score(&call, ticket.as_ref(), &[]);
            // Masked by default, as every output (privacy::Masker).
            let masker = if show_pii {
                eprintln!("注意：按 --show-pii 显示了来电人完整的电话号码和姓名，请勿外传（PII shown: --show-pii）");
                None
            } else {
                let m = hotline_qa::report::privacy::Masker::new(&scorer);
                m.mask_findings(&mut scored, &call, ticket.as_ref());
                Some(m)
            };
            print!(
                "{}",
                explain::render(
                    &call,
                    ticket.as_ref(),
                    &scored,
                    scorer.items(),
                    masker.as_ref()
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::TryRule {
            file,
            config,
            baseline,
            directory,
            run,
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
            if let Some(run_dir) = run {
                use hotline_qa::review::try_run;
                let trial = try_run::try_run(&run_dir, &current, &changed)?;
                print!("{}", try_run::render(&run_dir, &trial, &current, &changed));
                return Ok(ExitCode::SUCCESS);
            }
            let from_stdin = file.as_deref().is_none_or(|p| p.as_os_str() == "-");
            if from_stdin && std::io::stdin().is_terminal() {
                eprintln!("请粘贴对话，一行一句（如“坐席：您好！市长热线……”），粘贴完按 Ctrl+D（Windows 按 Ctrl+Z 再回车）：");
            }
            let dialogue =
                try_rule::load_dialogue(file.as_deref()).map_err(|e| usage(error_chain_zh(&e)))?;
            print!(
                "{}",
                try_rule::try_rule_dialogue(&dialogue, None, &current, &changed)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A clap usage error in Chinese: what is wrong, what to write instead,
/// the usage line and where to see every option, then clap's own English
/// first line in parentheses for the logs. `--help` and `--version` are
/// not errors and are printed by clap as they are.
fn clap_zh(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let get = |k: ContextKind| e.get(k).map(|v| v.to_string()).unwrap_or_default();
    let list = |k: ContextKind| match e.get(k) {
        Some(ContextValue::Strings(v)) => v.join("、"),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    // `--lang <LANG>` reads as `--lang` in a sentence.
    let arg = get(ContextKind::InvalidArg);
    let arg = match arg.split_once(' ') {
        Some((a, _)) if a.starts_with('-') => a.to_string(),
        _ => arg,
    };
    let value = get(ContextKind::InvalidValue);
    let sub = subcommand_in_args();
    let mut suggested_arg = get(ContextKind::SuggestedArg);
    if suggested_arg.is_empty() && arg.starts_with("--") {
        suggested_arg = similar_option(sub.as_deref(), &arg).unwrap_or_default();
    }
    let mut zh = match e.kind() {
        ErrorKind::UnknownArgument if arg.starts_with('-') => {
            let mut m = format!("没有 {arg} 这个选项");
            if !suggested_arg.is_empty() {
                m.push_str(&format!("，你是不是想写 {suggested_arg}？"));
            } else {
                m.push_str("，请检查拼写。");
            }
            m
        }
        ErrorKind::UnknownArgument => {
            format!("多了一个参数“{arg}”：这个命令不收这样的参数，请检查是不是漏写了选项名（如 --out）或多打了空格。")
        }
        ErrorKind::InvalidSubcommand => {
            let sub = get(ContextKind::InvalidSubcommand);
            let mut m = format!("没有“{sub}”这个命令");
            match get(ContextKind::SuggestedSubcommand) {
                s if !s.is_empty() => m.push_str(&format!(
                    "，你是不是想写 {}？",
                    list(ContextKind::SuggestedSubcommand)
                )),
                _ => m.push_str("。命令有 score、report、explain、sample、calibrate、try-rule、rescore、gen、config、rules。"),
            }
            m
        }
        ErrorKind::MissingRequiredArgument => format!(
            "缺少必须写的参数：{}。请补上后再运行。",
            list(ContextKind::InvalidArg)
        ),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "请写一个命令，例如 hotline-qa score 输入文件 --out 输出目录。".to_string()
        }
        ErrorKind::InvalidValue if value.is_empty() => {
            format!("{arg} 后面要写一个值。")
        }
        ErrorKind::InvalidValue => {
            let mut m = format!("{arg} 的值“{value}”不是可选的值");
            let valid = list(ContextKind::ValidValue);
            if !valid.is_empty() {
                m.push_str(&format!("，可选：{valid}"));
            }
            match get(ContextKind::SuggestedValue) {
                s if !s.is_empty() => m.push_str(&format!("。你是不是想写 {s}？")),
                _ => m.push('。'),
            }
            m
        }
        ErrorKind::ValueValidation => {
            let source = std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_default();
            let range = source
                .split_once(" is not in ")
                .and_then(|(_, r)| r.split_once("..="))
                .map(|(lo, hi)| (lo.trim().to_string(), hi.trim().to_string()));
            let why = if let Some((lo, hi)) = range {
                if hi.len() > 6 {
                    format!("太小：应为不小于 {lo} 的整数")
                } else {
                    format!("超出范围：应在 {lo} 到 {hi} 之间")
                }
            } else if source.contains("invalid digit") || source.contains("cannot parse integer") {
                "不是整数：应为整数（如 3）".to_string()
            } else if source.contains("too large") || source.contains("too small") {
                "超出允许的范围".to_string()
            } else if arg == "--day" {
                "不是日期：应为日期，如 2026-11-27".to_string()
            } else if source.contains("empty") {
                "不能是空的".to_string()
            } else {
                "写法不对".to_string()
            };
            format!("{arg} 的值“{value}”{why}。")
        }
        ErrorKind::TooManyValues => {
            format!("{arg} 只能给一个值，多出来的“{value}”请删掉（或给它加上选项名）。")
        }
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("{arg} 的值的个数不对。")
        }
        ErrorKind::ArgumentConflict => {
            let prior = list(ContextKind::PriorArg);
            if prior.is_empty() || prior == get(ContextKind::InvalidArg) {
                format!("{arg} 只能写一次。")
            } else {
                format!("{arg} 不能和 {prior} 一起用，请去掉其中一个。")
            }
        }
        ErrorKind::NoEquals => format!("{arg} 的值要用等号连着写，例如 {arg}=值。"),
        ErrorKind::InvalidUtf8 => "命令行里有不是 UTF-8 编码的字符，请检查路径和文字。".to_string(),
        _ => "命令行用法不对。".to_string(),
    };
    // clap's own tip for a value that looks like an option.
    if e.kind() == ErrorKind::UnknownArgument && suggested_arg.is_empty() && arg.starts_with('-') {
        zh.push_str(&format!(
            "如果 {arg} 是一个值（比如以 - 开头的文件名），请在它前面写 --，例如 -- {arg}。"
        ));
    }
    let english = e.render().to_string();
    let mut lines = english.lines();
    let mut first = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .trim()
        .to_string();
    // clap lists the missing arguments on the next lines.
    if first.ends_with(':') {
        let more: Vec<&str> = lines
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        first = format!("{first} {}", more.join(", "));
    }
    let mut out = format!("hotline-qa: 错误：{zh}（{first}）\n");
    let usage = get(ContextKind::Usage);
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    if !usage.is_empty() {
        out.push_str(&format!("用法：{usage}\n"));
        // The command path is the usage's words up to the first placeholder or option.
        let path: Vec<&str> = usage
            .split_whitespace()
            .take_while(|w| !w.starts_with(['[', '<', '-']))
            .collect();
        out.push_str(&format!("查看全部选项：{} --help\n", path.join(" ")));
    } else if let Some(sub) = sub {
        out.push_str(&format!("查看全部选项：hotline-qa {sub} --help\n"));
    } else {
        out.push_str("查看全部命令和选项：hotline-qa --help\n");
    }
    out
}

/// The subcommand named on the command line, if any: the first argument
/// that is one of the program's commands.
fn subcommand_in_args() -> Option<String> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    std::env::args().skip(1).find(|a| {
        cmd.get_subcommands()
            .any(|s| s.get_name() == a && !s.is_hide_set())
    })
}

/// The long option of `sub` closest to a mistyped `--ouput` (at most two
/// letters added, dropped or changed, or a prefix of it), for 你是不是想写.
/// clap suggests only above its own similarity threshold, which misses
/// common slips such as `--ouput` for `--out`.
fn similar_option(sub: Option<&str>, typed: &str) -> Option<String> {
    use clap::CommandFactory;
    let cli = Cli::command();
    let cmd = match sub {
        Some(s) => cli.find_subcommand(s)?.clone(),
        None => cli,
    };
    let typed = typed.trim_start_matches('-');
    let typed = typed.split('=').next().unwrap_or(typed);
    cmd.get_arguments()
        .filter_map(|a| a.get_long())
        .map(|long| (edit_distance(typed, long), long))
        .filter(|(d, long)| *d <= 2 || (typed.len() >= 3 && long.starts_with(typed)))
        .min()
        .map(|(_, long)| format!("--{long}"))
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The error chain as one line, each cause after `：`; an I/O error in
/// the chain reads in Chinese with what to do (文件不存在…), the English
/// kept in parentheses.
fn error_chain_zh(e: &anyhow::Error) -> String {
    let parts: Vec<String> = e
        .chain()
        .map(|c| match c.downcast_ref::<std::io::Error>() {
            Some(io) => hotline_qa::messages::io_zh(io),
            None => c.to_string(),
        })
        .collect();
    parts.join("：")
}

/// clap's help in Chinese: its headings (Usage, Arguments, Options,
/// Commands) are set here for the command and every subcommand; the texts
/// of the options are the doc comments above.
fn chinese_help(cmd: clap::Command) -> clap::Command {
    const TEMPLATE: &str =
        "{before-help}{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}";
    cmd.help_template(TEMPLATE)
        .subcommand_help_heading("命令")
        .mut_args(|a| {
            if a.get_help_heading().is_some() {
                a
            } else if a.is_positional() {
                a.help_heading("参数")
            } else {
                a.help_heading("选项")
            }
        })
        .mut_subcommands(chinese_help)
}

fn main() -> ExitCode {
    let cli = match chinese_help(<Cli as clap::CommandFactory>::command())
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m))
    {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            match e.kind() {
                // Help and version are what the user asked for: clap prints them as they are.
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    return ExitCode::SUCCESS;
                }
                // A bare `hotline-qa` (or a command without its arguments
                // that asks for help) shows the help after a Chinese line.
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    eprintln!("hotline-qa: 请写一个命令，例如 hotline-qa score 输入文件 --out 输出目录；全部命令如下。");
                    let _ = e.print();
                    return ExitCode::from(2);
                }
                _ => {
                    eprint!("{}", clap_zh(&e));
                    return ExitCode::from(2);
                }
            }
        }
    };
    let to_stdout = matches!(
        cli.command,
        Command::Score { stdin: true, .. }
            | Command::Config
            | Command::Rules { .. }
            | Command::Explain { .. }
    );
    if to_stdout && !stdout_is_open() {
        eprintln!("hotline-qa: 错误：标准输出已关闭，结果无处可写：请把输出重定向到文件或管道（standard output is closed）");
        return ExitCode::from(1);
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // A reader that closed the pipe early is not an error (exit 0);
            // any other failed write to standard output is (exit 1).
            let io = e.chain().find_map(|c| c.downcast_ref::<std::io::Error>());
            if io.is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
                return ExitCode::SUCCESS;
            }
            eprintln!("hotline-qa: 错误：{}", error_chain_zh(&e));
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
