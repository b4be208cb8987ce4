//! A deterministic generator of realistic test data with known answers:
//! `hotline-qa gen --calls N --seed S --out DIR`.
//!
//! [`generate`] writes one synthetic day of a 市长热线 centre into a folder:
//!
//! | file | content |
//! |---|---|
//! | `calls.jsonl` | N call transcripts (spec §1.1): Mandarin dialogue built from many templates and slot values over some twenty topics (噪音, 停水, 停电, 道路, 物业, 医保, 社保, 公积金, 户籍, 拖欠工资, 违建, 垃圾, 交通, 教育, 燃气, 供暖, 消费, 涉法涉诉, 违法乱纪, 表扬, 投诉工作人员), 6–20 utterances each, realistic timing and ASR confidence, three-way calls with a `unit` speaker |
//! | `tickets.csv` | the tickets (spec §1.2, English headers): one for about 85% of the calls, plus older tickets dispatched in the weeks before the day so that the timeliness rules have history |
//! | `directory.csv` | the units and hotlines (`name,phone`) the calls and tickets use |
//! | `truth_calls.csv` | per call, what the scorer must find for each norm: `violated`, `ok` or `na`, and the red line |
//! | `truth_tickets.csv` | per ticket, the status and the six timeliness flags at the as-of time (the day after `day`, 00:00:00) |
//!
//! Violations are injected at small known rates (see [`RATES`]),
//! independently of each other; every other call is clean by the README's
//! rules. The truth is computed from what was generated — the speech rate
//! from the characters and times written, the confidence mean from the
//! values written, gaps and interruptions from the timeline, and the
//! lexical norms from the template each utterance was drawn from (every
//! template is tagged: question, wait request, slang, forbidden phrase,
//! insult …) — not from the intent alone.
//!
//! Determinism: the generator has its own PRNG (xoshiro256** seeded by
//! splitmix64 per call and per ticket), so the same seed gives byte-identical
//! files on every platform and with every version of the dependencies.
//! Output is streamed call by call through buffered writers: memory does
//! not grow with N.
//!
//! Choices made where the rules leave room (kept out of the generated data
//! so that the truth is unambiguous):
//! - An overdue ticket without an urge is generated only once its urge
//!   window has closed at the as-of time, so `overdue_not_urged` never
//!   depends on how an urge window still open is read.
//! - A wrongly given number always names one unit next to one number; a
//!   unit and its sub-unit (市公安局 / 市公安局交警支队) are never confused on
//!   purpose.
//! - The greeting never carries the hotline's number (12345), which would
//!   make the accuracy norm assessable.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use crate::model::NormId;
use crate::workflow::calendar::Calendar;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenOptions {
    /// Number of calls (transcripts) to write.
    pub calls: u64,
    /// The seed: the same seed gives byte-identical files.
    pub seed: u64,
    /// The output folder (created when missing).
    pub out: PathBuf,
    /// The day of the calls; the truth of the tickets is for the as-of time
    /// 00:00:00 of the next day. Default 2026-11-27.
    pub day: NaiveDate,
}

impl GenOptions {
    /// Options for `calls` calls with `seed` into `out`, on the default day.
    pub fn new(calls: u64, seed: u64, out: impl Into<PathBuf>) -> GenOptions {
        GenOptions {
            calls,
            seed,
            out: out.into(),
            day: GenOptions::default_day(),
        }
    }

    /// The default day, 2026-11-27 (a Friday).
    pub fn default_day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap_or_default()
    }

    /// The seed of the day's calls and tickets. The roster comes from
    /// [`GenOptions::seed`] alone, so that the days of a month generated
    /// with one seed have the same operators and teams; the calls are
    /// drawn from the seed mixed with the day, so that those days are not
    /// the same calls with another date. The default day keeps the seed
    /// itself: its files are byte-identical to those of earlier versions.
    pub fn day_seed(&self) -> u64 {
        let offset = self
            .day
            .signed_duration_since(GenOptions::default_day())
            .num_days();
        if offset == 0 {
            return self.seed;
        }
        let mut x = self.seed ^ (offset as u64).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        splitmix(&mut x)
    }

    /// The as-of time the ticket truth is computed for: 00:00:00 of the day
    /// after [`GenOptions::day`] (local time).
    pub fn as_of(&self) -> NaiveDateTime {
        self.day
            .succ_opt()
            .unwrap_or(self.day)
            .and_time(NaiveTime::MIN)
    }
}

impl Default for GenOptions {
    fn default() -> GenOptions {
        GenOptions::new(1000, 1, "gen")
    }
}

/// What [`generate`] wrote: counts of calls and tickets, and of the
/// violations and ticket flags in the truth files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenSummary {
    /// Calls written to `calls.jsonl`.
    pub calls: u64,
    /// Calls that have a ticket.
    pub calls_with_ticket: u64,
    /// Tickets written to `tickets.csv` (this day's and older ones).
    pub tickets: u64,
    /// Of these, the older tickets (accepted before the day).
    pub older_tickets: u64,
    /// Per norm, in [`NormId::ALL`] order: calls where a violation of the
    /// norm was deliberately injected.
    pub injected: [u64; 11],
    /// Per norm: calls whose truth is `violated` (what the scorer must find).
    pub violated: [u64; 11],
    /// Per norm: calls whose truth is not `na` (assessable).
    pub assessed: [u64; 11],
    /// Calls with a red line (insult).
    pub red_lines: u64,
    /// Calls where some norm's truth differs from the plan: an injected
    /// violation that did not take, or a violation nobody planned. 0 by
    /// design (the truth files stay authoritative either way).
    pub off_plan: u64,
    /// Ticket statuses, in the order not_dispatched, on_time, late, open,
    /// open_overdue.
    pub statuses: [u64; 5],
    /// Tickets with each flag set, in [`TICKET_FLAGS`] order.
    pub flags: [u64; 6],
}

impl fmt::Display for GenSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "通话 {} 通（有工单 {}），工单 {} 张（其中往日工单 {}），红线 {} 通，偏离计划 {} 通",
            self.calls,
            self.calls_with_ticket,
            self.tickets,
            self.older_tickets,
            self.red_lines,
            self.off_plan
        )?;
        writeln!(f, "规范违规（注入 / 真值违规 / 可评）：")?;
        for n in NormId::ALL {
            let i = n.index();
            writeln!(
                f,
                "  {:<14} {:>8} {:>8} {:>8}",
                n.key(),
                self.injected[i],
                self.violated[i],
                self.assessed[i]
            )?;
        }
        // Chinese names first; the keys are the values and columns of tickets.csv.
        const STATUS_ZH: [&str; 5] = ["未派单", "按时办结", "超期办结", "办理中", "超期未办结"];
        const FLAG_ZH: [&str; 6] = [
            "超期未催办",
            "催办人不对",
            "应督办未督办",
            "回访不及时",
            "非受理人回访",
            "缺回访结果",
        ];
        let status: Vec<String> = STATUS_KEYS
            .iter()
            .zip(STATUS_ZH)
            .zip(self.statuses)
            .map(|((k, zh), c)| format!("{zh}（{k}）{c}"))
            .collect();
        writeln!(f, "工单状态：{}", status.join("，"))?;
        let flags: Vec<String> = TICKET_FLAGS
            .iter()
            .zip(FLAG_ZH)
            .zip(self.flags)
            .map(|((k, zh), c)| format!("{zh}（{k}）{c}"))
            .collect();
        writeln!(f, "时效标记：{}", flags.join("，"))
    }
}

/// The columns of `truth_calls.csv`: `call_id`, the eleven norm keys, and
/// `red_line`; cells are `violated`, `ok` or `na`.
pub const TRUTH_CALL_COLUMNS: [&str; 13] = [
    "call_id",
    "greeting",
    "closing",
    "courtesy",
    "pace",
    "clarity",
    "accuracy",
    "process",
    "communication",
    "attitude",
    "ticket",
    "taboo",
    "red_line",
];

/// The six timeliness flags, in the order of `tickets.csv`.
pub const TICKET_FLAGS: [&str; 6] = [
    "overdue_not_urged",
    "urged_by_wrong",
    "not_supervised",
    "callback_late",
    "callback_by_other",
    "callback_result_missing",
];

/// The columns of `truth_tickets.csv`: `ticket_id`, `status`, then the six
/// flags (`true`/`false`).
pub const TRUTH_TICKET_COLUMNS: [&str; 8] = [
    "ticket_id",
    "status",
    "overdue_not_urged",
    "urged_by_wrong",
    "not_supervised",
    "callback_late",
    "callback_by_other",
    "callback_result_missing",
];

const STATUS_KEYS: [&str; 5] = ["not_dispatched", "on_time", "late", "open", "open_overdue"];

/// The injection rates, per call (each drawn independently): `(what, rate)`.
/// Norm violations are injected only where the norm can be assessed (a
/// ticket is added when a ticket or process violation is drawn; a no-question
/// call gets 4+ caller utterances). About half of the closing injections end
/// with the caller hanging up after speaking last, which makes the closing
/// not assessable (spec §2) rather than violated.
pub const RATES: &[(&str, f64)] = &[
    ("greeting: a part missing", 0.03),
    ("closing: no standard closing", 0.04),
    ("courtesy: slang", 0.025),
    ("courtesy: 你 twice or more", 0.02),
    ("pace: too fast", 0.015),
    ("pace: too slow", 0.015),
    ("clarity: low ASR confidence", 0.02),
    ("clarity: two repeat requests", 0.02),
    ("accuracy: another unit's number", 0.015),
    ("accuracy: unknown number", 0.015),
    ("process: routing against the process", 0.03),
    ("communication: two interruptions", 0.02),
    ("communication: no question", 0.02),
    ("attitude: late first response", 0.02),
    ("attitude: slow response", 0.02),
    ("ticket: missing field / short content", 0.04),
    ("taboo: forbidden phrase or blame", 0.03),
    ("taboo: insult (red line)", 0.003),
    ("no agent speech at all", 0.002),
    ("near miss: one 你", 0.03),
    ("near miss: one repeat request", 0.03),
    ("near miss: one interruption", 0.03),
    ("near miss: long pause after a wait request", 0.12),
];

fn rate(name: &str) -> f64 {
    RATES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0.0, |(_, r)| *r)
}

/// Generates the files described in the module documentation.
///
/// # Errors
///
/// When the output folder cannot be created or a file cannot be written.
pub fn generate(opts: &GenOptions) -> anyhow::Result<GenSummary> {
    // Written into a staging folder and switched in whole (crate::outdir):
    // an interrupted run leaves no day whose truth files miss calls.
    let dir = crate::outdir::OutDir::begin(
        &opts.out,
        crate::outdir::GEN_FILES,
        crate::outdir::Mode::Replace,
    )?;
    let create = |name: &str| -> anyhow::Result<BufWriter<File>> {
        let path = dir.path().join(name);
        let f = File::create(&path).with_context(|| format!("{}：无法创建文件", path.display()))?;
        Ok(BufWriter::with_capacity(256 * 1024, f))
    };
    let mut dir_out = create("directory.csv")?;
    dir_out.write_all(b"name,phone\n")?;
    for (name, phone) in DIRECTORY {
        writeln!(dir_out, "{name},{phone}")?;
    }
    dir_out.flush()?;

    let mut calls_out = create("calls.jsonl")?;
    let mut tickets_out = csv::WriterBuilder::new().from_writer(create("tickets.csv")?);
    tickets_out.write_record(TICKET_HEADER)?;
    let mut truth_calls = create("truth_calls.csv")?;
    writeln!(truth_calls, "{}", TRUTH_CALL_COLUMNS.join(","))?;
    let mut truth_tickets = create("truth_tickets.csv")?;
    writeln!(truth_tickets, "{}", TRUTH_TICKET_COLUMNS.join(","))?;

    let ctx = Ctx::new(opts);
    let mut summary = GenSummary::default();

    // Older tickets first: they were accepted before the day.
    let day_seed = opts.day_seed();
    let older = opts.calls * 2 / 5;
    for j in 0..older {
        let mut rng = Rng::new(day_seed, STREAM_OLD, j);
        let t = old_ticket(&ctx, &mut rng, j, older);
        write_ticket(&ctx, &t, &mut tickets_out, &mut truth_tickets, &mut summary)?;
        summary.older_tickets += 1;
    }

    let mut line = String::with_capacity(8 * 1024);
    let mut ticket_seq = 0u64;
    for i in 0..opts.calls {
        let mut rng = Rng::new(day_seed, STREAM_CALL, i);
        let call = build_call(&ctx, &mut rng, i, opts.calls);
        line.clear();
        call.write_json(&ctx, &mut line);
        calls_out.write_all(line.as_bytes())?;
        let ticket = if call.has_ticket {
            ticket_seq += 1;
            let t = call_ticket(&ctx, &mut rng, &call, ticket_seq);
            summary.calls_with_ticket += 1;
            Some(t)
        } else {
            None
        };
        let truth = call_truth(&call, ticket.as_ref());
        let off_plan = call.injected.iter().enumerate().any(|(k, &planned)| {
            match (planned, truth.norms[k]) {
                // A closing left out while the caller hung up after speaking
                // last is not assessed: that is part of the plan.
                (true, Verdict::Na) => k != NormId::Closing.index(),
                (true, v) => v != Verdict::Violated,
                (false, v) => v == Verdict::Violated,
            }
        });
        summary.off_plan += u64::from(off_plan);
        write!(truth_calls, "{}", call.call_id)?;
        for (k, v) in truth.norms.iter().enumerate() {
            write!(truth_calls, ",{}", v.key())?;
            if *v == Verdict::Violated {
                summary.violated[k] += 1;
            }
            if *v != Verdict::Na {
                summary.assessed[k] += 1;
            }
        }
        writeln!(
            truth_calls,
            ",{}",
            if truth.red_line { "violated" } else { "ok" }
        )?;
        summary.red_lines += u64::from(truth.red_line);
        for (k, &inj) in call.injected.iter().enumerate() {
            summary.injected[k] += u64::from(inj);
        }
        summary.calls += 1;
        if let Some(t) = &ticket {
            write_ticket(&ctx, t, &mut tickets_out, &mut truth_tickets, &mut summary)?;
        }
    }
    calls_out.flush()?;
    tickets_out.flush()?;
    truth_calls.flush()?;
    truth_tickets.flush()?;
    drop((dir_out, calls_out, tickets_out, truth_calls, truth_tickets));
    dir.commit()?;
    Ok(summary)
}

// ---------------------------------------------------------------------------
// PRNG: xoshiro256**, seeded with splitmix64
// ---------------------------------------------------------------------------

const STREAM_CALL: u64 = 1;
const STREAM_OLD: u64 = 2;
const STREAM_ROSTER: u64 = 3;

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** (Blackman & Vigna), one independent stream per item.
struct Rng([u64; 4]);

impl Rng {
    fn new(seed: u64, stream: u64, index: u64) -> Rng {
        let mut x = seed;
        let a = splitmix(&mut x);
        let mut y = a ^ stream.wrapping_mul(0xA24B_AED4_963E_E407);
        let b = splitmix(&mut y);
        let mut z = b ^ index.wrapping_mul(0x9FB2_1C65_1E98_DF25);
        let mut s = [0u64; 4];
        for v in &mut s {
            *v = splitmix(&mut z);
        }
        Rng(s)
    }

    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut r = self.below(total.max(1));
        for (i, &w) in weights.iter().enumerate() {
            if r < u64::from(w) {
                return i;
            }
            r -= u64::from(w);
        }
        weights.len() - 1
    }
}

// ---------------------------------------------------------------------------
// Fixed data: directory, people, places
// ---------------------------------------------------------------------------

/// The units and hotlines written to `directory.csv`.
const DIRECTORY: [(&str, &str); 32] = [
    ("市长热线", "12345"),
    ("法律援助热线", "12348"),
    ("报警电话", "110"),
    ("火警电话", "119"),
    ("急救中心", "120"),
    ("交通事故报警", "122"),
    ("纪检监察举报", "12388"),
    ("市信访局", "2090304"),
    ("市自来水公司", "2618110"),
    ("市供电公司", "95598"),
    ("市燃气公司", "2621234"),
    ("市住建局", "2615080"),
    ("市城管局", "2612319"),
    ("市人社局", "12333"),
    ("市医保局", "2628800"),
    ("市公积金中心", "2639900"),
    ("市市场监管局", "12315"),
    ("市生态环境局", "12369"),
    ("市交通运输局", "12328"),
    ("市税务局", "12366"),
    ("市教育局", "2617700"),
    ("市卫健委", "12320"),
    ("市公安局", "2619110"),
    ("市公安局交警支队", "2619122"),
    ("市民政局", "2616020"),
    ("市自然资源局", "2634411"),
    ("市热力公司", "2655110"),
    ("市政务服务中心", "2688123"),
    ("城东区人民政府", "2701234"),
    ("城西区人民政府", "2713568"),
    ("高新区管委会", "2725610"),
    ("临江县人民政府", "5802311"),
];

fn phone_of(unit: &str) -> &'static str {
    DIRECTORY
        .iter()
        .find(|(n, _)| *n == unit)
        .map_or("12345", |(_, p)| p)
}

/// Units whose name and number carry no word of the legal-channel lexicon
/// and no discipline channel, safe to name in any call.
const PLAIN_UNITS: [&str; 17] = [
    "市自来水公司",
    "市供电公司",
    "市燃气公司",
    "市住建局",
    "市城管局",
    "市人社局",
    "市医保局",
    "市公积金中心",
    "市市场监管局",
    "市生态环境局",
    "市交通运输局",
    "市税务局",
    "市教育局",
    "市卫健委",
    "市民政局",
    "市自然资源局",
    "市热力公司",
];

const TEAMS: [&str; 8] = ["A班", "B班", "C班", "D班", "E班", "F班", "G班", "H班"];
const OPERATORS_PER_TEAM: usize = 30;

const SURNAMES: [&str; 60] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "韩", "冯", "邓", "曹", "彭", "曾", "萧",
    "田", "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "魏", "苏", "吕", "丁", "任", "沈",
    "姚", "卢", "钟", "姜", "崔", "谭", "陆", "范", "汪", "廖", "石", "金",
];

const GIVEN: [&str; 64] = [
    "芳", "静", "伟", "洋", "晓燕", "磊", "丽娜", "杰", "敏", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "婷", "雪", "慧", "颖", "琳", "鹏", "宇", "浩", "欣", "佳", "倩", "丹",
    "军", "勇", "艳", "萍", "红", "玲", "斌", "强", "莉", "燕", "辉", "峰", "雯", "晨", "蕾", "凯",
    "悦", "思远", "嘉怡", "子涵", "雨婷", "俊杰", "文博", "梦瑶", "志强", "海燕", "建华", "晓东",
    "春梅", "丽华", "国庆", "玉兰", "晓明", "秋菊",
];

const DISTRICTS: [&str; 4] = ["城东区", "城西区", "高新区", "临江县"];

const COMMUNITIES: [&str; 28] = [
    "滨河花园",
    "和平里小区",
    "翠苑小区",
    "阳光新城",
    "锦绣家园",
    "幸福里小区",
    "金桂苑",
    "春晖小区",
    "东湖名邸",
    "紫荆花园",
    "丽景湾",
    "望江苑",
    "香樟园",
    "南苑新村",
    "康乐小区",
    "御景华庭",
    "枫林小区",
    "新河湾",
    "书香门第",
    "银杏苑",
    "明珠花园",
    "青石巷小区",
    "龙湖春江",
    "世纪花城",
    "桃源居",
    "绿洲家园",
    "朝阳新村",
    "凤凰城",
];

const ROADS: [&str; 18] = [
    "建设路",
    "人民路",
    "解放路",
    "中山路",
    "滨江大道",
    "新华街",
    "文化路",
    "长江路",
    "胜利路",
    "学府路",
    "朝阳路",
    "环城北路",
    "工业大道",
    "光明路",
    "健康路",
    "迎宾大道",
    "青年路",
    "东风路",
];

const BUILDINGS: [&str; 14] = [
    "一", "二", "三", "五", "六", "七", "八", "九", "十", "十一", "十二", "十五", "十六", "十八",
];

/// (spoken by the caller, days before the day, ticket suffix)
const SINCE: [(&str, i64, &str); 8] = [
    ("今天早上开始的", 0, "早上起"),
    ("今天下午才发现的", 0, "下午"),
    ("从昨天晚上开始的", 1, "晚起"),
    ("前天就开始了", 2, "起"),
    ("差不多有三天了", 3, "起"),
    ("快一个星期了", 6, "起"),
    ("有半个多月了", 16, "起"),
    ("上个月就开始了，一直没解决", 30, "起"),
];

// ---------------------------------------------------------------------------
// Templates
//
// A template may start with tags before `|`:
//   Q question (communication)   W wait request (attitude)
//   X slang (courtesy)           F forbidden phrase or blame (taboo)
//   I insult (taboo, red line)   H legal channel named (process)
//   D discipline channel number (process)
//   L legal matter in the caller's words (process)
//   R caller's repeat request (clarity)
//   P gives the number {nphone} of {nunit} (accuracy)
// Untagged agent templates hold no question word, no 你, no slang, no
// forbidden word, no wait word; untagged caller templates hold no legal
// word and no repeat request.
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Dispatch,
    Consult,
    Emergency,
    Legal,
    Discipline,
    PraiseHotline,
    PraiseUnit,
    StaffComplaint,
}

struct Case {
    /// The caller's first words.
    opening: &'static str,
    /// The issue, as a noun phrase for the summary and the ticket.
    issue: &'static str,
    /// 诉求子类.
    sub: &'static str,
    /// A long extra sentence from the caller.
    detail: &'static str,
    /// A topic-specific question: (Q form, S form, the caller's answer).
    ask: Option<(&'static str, &'static str, &'static str)>,
    /// The agent's answer (consultations) or routing statement.
    info: &'static str,
    /// Located on a road rather than in a residential compound.
    road: bool,
    /// 急办.
    urgent: bool,
}

const fn case(opening: &'static str, issue: &'static str, sub: &'static str) -> Case {
    Case {
        opening,
        issue,
        sub,
        detail: "",
        ask: None,
        info: "",
        road: false,
        urgent: false,
    }
}

struct Topic {
    weight: u32,
    /// A problem of the neighbourhood (asking about neighbours and earlier
    /// reports makes sense).
    neighbourhood: bool,
    kind: Kind,
    category: &'static str,
    units: &'static [&'static str],
    cases: &'static [Case],
}

const NOISE: &[Case] = &[
    Case {
        detail: "每天晚上都要干到十二点以后，家里老人孩子都休息不好。",
        ..case(
            "你好，我要反映一下，我们{loc}旁边有个工地，天天晚上施工到半夜，打桩机响个不停，根本没法睡觉。",
            "工地夜间施工噪音扰民",
            "施工噪音",
        )
    },
    Case {
        detail: "音响就放在我们楼底下，窗户关上都挡不住。",
        ..case(
            "你好，我们{loc}门口的广场上每天晚上都有人跳广场舞，音响开得特别响，一直到十点多。",
            "广场舞音响噪音扰民",
            "生活噪音",
        )
    },
    Case {
        detail: "凌晨两三点还有人在外面喝酒划拳，整栋楼都被吵醒。",
        road: true,
        ..case(
            "你好，{road}上有家烧烤店，每天半夜还在外面摆桌子，吵得我们根本睡不着。",
            "烧烤店夜间占道经营噪音扰民",
            "商业噪音",
        )
    },
    Case {
        detail: "跟他们说了好几次也不听，物业也不管。",
        ..case(
            "喂，你好，我们楼上邻居装修，周末一大早七点就开始打电钻，一直打到晚上。",
            "周末早间装修噪音扰民",
            "装修噪音",
        )
    },
];

const WATER: &[Case] = &[
    Case {
        detail: "整个小区都没水，物业说他们也不清楚什么原因。",
        urgent: true,
        ..case(
            "你好，我们{loc}从早上开始就停水了，也没看到贴通知，现在做饭洗漱都不方便。",
            "小区突然停水",
            "停水",
        )
    },
    Case {
        detail: "放了好一会儿还是黄的，烧开了底下都是沉淀。",
        ..case(
            "你好，我家自来水出来是黄色的，还有一股铁锈味，我们{loc}好多户都是这样。",
            "自来水水质发黄有异味",
            "水质问题",
        )
    },
    Case {
        detail: "水已经漫到人行道上了，路过的车都绕着走。",
        road: true,
        urgent: true,
        ..case(
            "你好，{road}路边有根水管爆了，水一直往外冒，路面都淹了。",
            "路边供水管道破裂漏水",
            "管道漏水",
        )
    },
];

const POWER: &[Case] = &[
    Case {
        detail: "家里老人在用制氧机，现在只能用备用的小电池撑着。",
        urgent: true,
        ..case(
            "你好，我们{loc}突然停电了，已经两个多小时了，一直没来电，很着急。",
            "小区突然停电",
            "停电",
        )
    },
    Case {
        detail: "冰箱里的东西都坏了，电器也怕烧坏。",
        ..case(
            "你好，我们这栋楼最近老是跳闸停电，一天要停好多次。",
            "居民楼频繁停电",
            "频繁停电",
        )
    },
];

const ROAD: &[Case] = &[
    Case {
        detail: "昨天晚上下雨积了水，骑电动车的差点摔倒。",
        road: true,
        ..case(
            "你好，{road}靠近{road2}路口那里有好多大坑，路面坑坑洼洼的，很不安全。",
            "道路坑洼积水",
            "道路维修",
        )
    },
    Case {
        detail: "晚上黑漆漆的，老人孩子走路都不敢出门。",
        road: true,
        ..case(
            "你好，{road}上的路灯坏了一大片，晚上一点光都没有。",
            "路灯不亮",
            "路灯故障",
        )
    },
    Case {
        detail: "现在就用一个破桶挡着，晚上根本看不见。",
        road: true,
        urgent: true,
        ..case(
            "你好，{road}人行道上有个井盖没了，下面是好深的一个洞。",
            "人行道井盖缺失",
            "井盖缺失",
        )
    },
];

const PROPERTY: &[Case] = &[
    Case {
        detail: "物业一直说在等配件，我家住十八楼，老人根本下不了楼。",
        ..case(
            "你好，我们{loc}的电梯坏了快一个星期了，到现在都没修好。",
            "小区电梯长期故障未修",
            "电梯故障",
        )
    },
    Case {
        detail: "楼道里的垃圾好多天都没人清，物业费倒是一分不少收。",
        ..case(
            "你好，我要投诉我们{loc}的物业，什么事都不管。",
            "物业不履行保洁职责",
            "物业管理",
        )
    },
    Case {
        detail: "业主都不同意，物业说是业委会定的，业委会又说不知道。",
        ..case(
            "你好，我们{loc}的物业把小区绿地改成了停车位，还要收停车费。",
            "物业擅自占用绿地改建收费车位",
            "物业管理",
        )
    },
];

const MEDICAL: &[Case] = &[
    Case {
        ask: Some((
            "Q|请问您父亲参加的是职工医保还是城乡居民医保？",
            "请您说一下您父亲的参保类型。",
            "是职工医保，他已经退休了。",
        )),
        info: "退休职工可以通过国家医保服务平台线上办理异地就医备案，备案成功后在就医地的定点医院看病可以直接结算。",
        ..case(
            "你好，我想问一下，我父亲要去上海看病，医保异地就医要怎么备案？",
            "医保异地就医备案",
            "医保异地就医",
        )
    },
    Case {
        ask: Some((
            "Q|请问您是给自己缴费还是给家里人缴费？",
            "请您说一下是给谁缴费。",
            "给我家孩子交，他在上小学。",
        )),
        info: "城乡居民医保每年集中缴费期一般从九月开始到十二月底结束，可以通过税务部门的公众号或者银行网点缴费。",
        ..case(
            "你好，我想咨询一下，城乡居民医保明年的费用什么时候开始交？",
            "城乡居民医保缴费时间",
            "医保缴费",
        )
    },
    Case {
        ask: Some((
            "Q|请问您丢的是社保卡吗？",
            "请您说一下丢失的卡片类型。",
            "对，就是那张社保卡。",
        )),
        info: "社保卡丢失后请先办理挂失，然后带上身份证到银行网点或者社保服务窗口补办，一般当场就可以领取。",
        ..case(
            "你好，我的医保卡丢了，想问一下怎么补办？",
            "医保卡补办",
            "医保卡",
        )
    },
];

const SOCIAL: &[Case] = &[
    Case {
        ask: Some((
            "Q|请问您之前在外地交的是职工养老保险吗？",
            "请您说一下之前在外地参保的险种。",
            "是的，在深圳交了五年。",
        )),
        info: "养老保险关系转移可以在国家社会保险公共服务平台上申请，也可以带上身份证到本地社保经办窗口办理，转入地审核通过后会自动转移。",
        ..case(
            "你好，我在外地交过好多年社保，现在回来了，想问问社保怎么转过来？",
            "社保关系转移接续",
            "社保转移",
        )
    },
    Case {
        ask: Some((
            "Q|请问您是企业职工还是灵活就业人员？",
            "请您说一下您的参保身份。",
            "企业职工，单位让我自己先问问。",
        )),
        info: "企业职工退休一般由单位统一申报，需要准备身份证、户口本和档案材料，具体清单可以向单位人事部门或者社保经办机构确认。",
        ..case(
            "你好，我下个月就退休了，想问问退休手续要准备哪些材料？",
            "退休手续办理",
            "退休办理",
        )
    },
    Case {
        ask: Some((
            "Q|请问您之前的单位给您交了多长时间的失业保险？",
            "请您说一下失业保险的缴费时间。",
            "交了三年多了。",
        )),
        info: "失业保险金可以通过人社部门的网上服务平台或者手机应用申请，单位缴费满一年、非本人意愿中断就业的都可以申领。",
        ..case(
            "你好，我被单位辞退了，想问一下失业保险金怎么领？",
            "失业保险金申领",
            "失业保险",
        )
    },
];

const FUND: &[Case] = &[
    Case {
        ask: Some((
            "Q|请问您的房贷是商业贷款还是公积金贷款？",
            "请您说一下房贷的类型。",
            "是商业贷款，在银行贷的。",
        )),
        info: "偿还商业住房贷款提取公积金，需要身份证、借款合同和银行出具的还款明细，也可以在手机应用上直接申请。",
        ..case(
            "你好，我想问一下住房公积金提取需要什么材料？我想用来还房贷。",
            "住房公积金提取",
            "公积金提取",
        )
    },
    Case {
        ask: Some((
            "Q|请问您和配偶都在缴存公积金吗？",
            "请您说一下家庭缴存公积金的情况。",
            "都在交，交了六七年了。",
        )),
        info: "公积金贷款额度和缴存余额、缴存时间都有关系，夫妻双方都缴存的最高额度会高一些，具体可以用手机应用的贷款试算功能算一下。",
        ..case(
            "你好，我想咨询一下，公积金贷款最高能贷多少？",
            "公积金贷款额度",
            "公积金贷款",
        )
    },
];

const HUKOU: &[Case] = &[
    Case {
        ask: Some((
            "Q|请问孩子的父母双方都是本市户口吗？",
            "请您说一下孩子父母的户籍情况。",
            "对，我们都是本市户口。",
        )),
        info: "H|新生儿落户需要带出生医学证明、父母双方的户口本和身份证、结婚证，到户籍所在地的派出所户籍窗口办理。",
        ..case(
            "你好，我家孩子刚出生，想问一下新生儿落户要带什么材料？",
            "新生儿落户",
            "户籍办理",
        )
    },
    Case {
        ask: Some((
            "Q|请问您现在在哪个城市？",
            "请您说一下您现在所在的城市。",
            "我在杭州上班。",
        )),
        info: "H|居民身份证可以在全国范围内异地换领，您带上旧身份证到当地公安机关的户籍窗口办理就可以。",
        ..case(
            "你好，我身份证快过期了，想问问能不能在外地换证？",
            "身份证异地换领",
            "身份证办理",
        )
    },
];

const WAGES: &[Case] = &[
    Case {
        detail: "一共欠了我一万八千多块，老板现在电话也不接。",
        ..case(
            "你好，我在一个装修公司干活，老板已经三个月没发工资了，我们好多工友都是这样。",
            "装修公司拖欠农民工工资",
            "拖欠工资",
        )
    },
    Case {
        detail: "我们二十多个人，两个月的工资都没拿到，快过年了都等着用钱。",
        ..case(
            "你好，我们{loc}旁边那个工地的包工头跑了，工资一直没人给。",
            "工地包工头拖欠工资",
            "拖欠工资",
        )
    },
    Case {
        detail: "我去店里要了好多次，老板每次都说下个月再给。",
        road: true,
        ..case(
            "你好，我从{road}一家饭店辞职一个多月了，老板一直拖着不给结最后一个月工资。",
            "离职后工资未结清",
            "拖欠工资",
        )
    },
];

const ILLEGAL_BUILDING: &[Case] = &[
    Case {
        detail: "棚子又高又重，刮大风的时候一直响，怕掉下来砸到人。",
        ..case(
            "你好，我们{loc}有户人家在楼顶私自搭了一个大棚子，好多邻居都有意见。",
            "楼顶私搭乱建",
            "违章建筑",
        )
    },
    Case {
        detail: "看着像是要出租，已经砌了半个月了，也没人来管。",
        road: true,
        ..case(
            "你好，{road}边上有人在绿化带里砌了一排小平房。",
            "占用绿化带违法建房",
            "违章建筑",
        )
    },
];

const GARBAGE: &[Case] = &[
    Case {
        detail: "垃圾都堆到路边了，味道特别大，还招了好多苍蝇。",
        ..case(
            "你好，我们{loc}门口的垃圾桶已经满了好多天了，一直没人来清运。",
            "垃圾清运不及时",
            "垃圾清运",
        )
    },
    Case {
        detail: "一大堆砖头水泥块，把半条路都占了，晚上骑车很危险。",
        road: true,
        ..case(
            "你好，{road}边上有人偷偷倒了好多建筑垃圾。",
            "乱倒建筑垃圾",
            "建筑垃圾",
        )
    },
];

const TRAFFIC_SUGGEST: &[Case] = &[
    Case {
        detail: "早上上学的时候车特别多，孩子过马路太危险了。",
        road: true,
        ..case(
            "你好，我想提个建议，{road}和{road2}路口是学校上下学的必经之路，希望加个红绿灯。",
            "学校路口增设红绿灯",
            "交通设施",
        )
    },
    Case {
        detail: "现在上班要换乘两次，路上要一个半小时。",
        ..case(
            "你好，我想建议增开一条从{loc}到高新区的公交线路。",
            "增开公交线路",
            "公交线路",
        )
    },
];

const BUS: &[Case] = &[Case {
    detail: "早高峰的时候等四十分钟都等不到一辆，上班天天迟到。",
    road: true,
    ..case(
        "你好，{road}上的公交车经常不按点来，站牌上写的时间根本不准。",
        "公交车发车不准时",
        "公交服务",
    )
}];

const EDUCATION: &[Case] = &[
    Case {
        ask: Some((
            "Q|请问您家的房产证和户口都在这个小区吗？",
            "请您说一下房产和户口的情况。",
            "都在，户口和房子都在一起。",
        )),
        info: "小学入学划片每年由教育部门统一公布，一般在四月份左右，您可以关注教育部门的官方网站或者公众号。",
        ..case(
            "你好，我想问一下，我家孩子明年上小学，我们{loc}是划到哪个学校的？",
            "小学入学划片",
            "入学咨询",
        )
    },
    Case {
        ask: Some((
            "Q|请问孩子是从外地转回本市吗？",
            "请您说一下孩子转学的去向。",
            "对，从外省转回来。",
        )),
        info: "转学需要先向转入学校提出申请，转入学校同意后，再到转出学校办理学籍转接，具体材料以转入学校的要求为准。",
        ..case(
            "你好，我想问一下孩子转学需要办哪些手续？",
            "中小学转学手续",
            "转学咨询",
        )
    },
];

const GAS_EMERGENCY: &[Case] = &[Case {
    detail: "味道是从楼道那边传过来的，越来越大了。",
    ..case(
        "你好，我们楼道里有很大的煤气味，好像是哪家的燃气管道漏气了，我有点害怕。",
        "楼道燃气泄漏",
        "燃气泄漏",
    )
}];

const GAS_CONSULT: &[Case] = &[Case {
    ask: Some((
        "Q|请问您的燃气户头办过实名登记吗？",
        "请您说一下燃气户头的登记情况。",
        "办过的，开户的时候就登记了。",
    )),
    info:
        "燃气费可以通过燃气公司的公众号、手机支付的生活缴费或者银行网点缴纳，缴费后一般当天到账。",
    ..case(
        "你好，我想问一下燃气费可以在网上交吗？",
        "燃气费缴纳方式",
        "燃气缴费",
    )
}];

const HEATING: &[Case] = &[
    Case {
        detail: "屋里才十五六度，家里有老人和孩子，晚上都冻醒了。",
        ..case(
            "你好，我们{loc}的暖气一点都不热，交了采暖费跟没交一样。",
            "暖气不热",
            "供暖问题",
        )
    },
    Case {
        detail: "地板都泡了，楼下邻居家天花板也在滴水，找物业也没人来。",
        urgent: true,
        ..case(
            "你好，我家暖气片漏水了，水一直往外流。",
            "暖气片漏水",
            "供暖问题",
        )
    },
];

const MARKET: &[Case] = &[
    Case {
        detail: "超市说过期的不退不换，还说我是故意找茬。",
        road: true,
        ..case(
            "你好，我在{road}一家超市买的牛奶，回家一看已经过期了。",
            "超市销售过期食品",
            "食品安全",
        )
    },
    Case {
        detail: "卡里还有两千多块钱，好多人都办了卡。",
        ..case(
            "你好，我在{loc}附近一家理发店办了会员卡，现在店关门了，老板联系不上。",
            "预付卡商家关门停业",
            "预付卡消费",
        )
    },
];

const LEGAL: &[Case] = &[
    Case {
        ask: Some((
            "Q|请问这个钱是什么时候借给他的？",
            "请您说一下借钱的经过。",
            "前年借的，当时写了借条。",
        )),
        info: "HP|您反映的是民间借贷纠纷，属于涉法涉诉事项，不在市长热线的受理范围，建议您拨打{nunit}{nphone}咨询，或者直接向法院提起诉讼。",
        ..case(
            "L|你好，我借给朋友五万块钱，现在他欠钱不还，电话也不接，我想问问怎么起诉他。",
            "借款纠纷求助",
            "涉法涉诉",
        )
    },
    Case {
        ask: Some((
            "Q|请问你们现在分居了吗？",
            "请您说一下目前的家庭情况。",
            "已经分居一年多了。",
        )),
        info: "HP|离婚纠纷需要通过诉讼途径解决，不在市长热线的受理范围，您可以向法院起诉，也可以拨打{nunit}{nphone}咨询。",
        ..case(
            "L|你好，我想离婚，对方一直不同意，我想问问去哪里打官司。",
            "离婚诉讼求助",
            "涉法涉诉",
        )
    },
    Case {
        ask: Some((
            "Q|请问合同上约定的交房时间是什么时候？",
            "请您说一下合同约定的交房时间。",
            "合同上写的是今年六月，现在都十一月了。",
        )),
        info: "HP|您反映的属于合同纠纷，需要通过司法途径解决，建议您咨询律师或者拨打{nunit}{nphone}，也可以直接向法院起诉。",
        ..case(
            "L|你好，我买的房子开发商一直不交房，我们业主想打官司，不知道该找谁。",
            "购房合同纠纷求助",
            "涉法涉诉",
        )
    },
];

const DISCIPLINE: &[Case] = &[
    Case {
        ask: Some((
            "Q|请问您说的是哪个镇的工作人员？",
            "请您说一下这位工作人员所在的单位。",
            "临江县白沙镇的，我不想说我的名字，怕被打击报复。",
        )),
        info: "DP|我理解您的顾虑，您可以匿名反映。您举报的是公职人员违纪违法问题，不在市长热线的受理范围，建议您拨打{nunit}电话{nphone}进行举报。",
        ..case(
            "你好，我要举报我们镇上的一个干部，他在征地补偿款里面动手脚，还经常拿公款吃喝。",
            "举报干部违纪违法",
            "违法乱纪",
        )
    },
    Case {
        ask: Some((
            "Q|请问您说的是哪个村的村干部？",
            "请您说一下村干部所在的村子。",
            "城东区河口村的，全村都知道这个事。",
        )),
        info: "DP|您反映的是村干部违纪问题，不在市长热线的受理范围，建议您拨打{nunit}电话{nphone}进行举报，纪检监察机关会依法处理。",
        ..case(
            "你好，我要反映我们村的村主任，低保名额都给了他自己的亲戚。",
            "举报村干部优亲厚友",
            "违法乱纪",
        )
    },
];

const PRAISE_HOTLINE: &[Case] = &[
    Case {
        info: "感谢您对我们工作的认可，我们会继续努力做好服务。",
        ..case(
            "你好，我上个星期打过你们热线反映停水的事，第二天就解决了，特别感谢你们。",
            "表扬市长热线办理及时",
            "表扬热线",
        )
    },
    Case {
        info: "感谢您的肯定，您的表扬我们会转达给这位同事。",
        ..case(
            "你好，上次接我电话的那个姑娘态度特别好，耐心听我说了半天，我专门打电话来表扬一下。",
            "表扬市长热线话务员服务态度好",
            "表扬热线",
        )
    },
];

const PRAISE_UNIT: &[Case] = &[Case {
    ask: Some((
        "Q|请问您还记得这位工作人员的姓名吗？",
        "请您说一下这位工作人员的姓名。",
        "好像姓{staffsur}，大家都叫他{staffsur}师傅。",
    )),
    info: "好的，您对{unit}工作人员的表扬我已经记录，会转达给相关单位。",
    ..case(
        "你好，我想表扬一下{unit}的工作人员，上次我们{loc}的问题他们当天就来处理了，态度特别好。",
        "表扬承办单位工作人员",
        "表扬单位",
    )
}];

const STAFF: &[Case] = &[Case {
    ask: Some((
        "Q|请问您记得这位工作人员的姓名或者工号吗？",
        "请您提供一下这位工作人员的姓名和工号。",
        "他胸牌上写的是{staff}，工号{staffno}。",
    )),
    detail: "我排了一个多小时的队，轮到我了他还在玩手机。",
    ..case(
        "你好，我要投诉{unit}服务大厅的一个工作人员，我去办事他一直在玩手机，问他话也爱答不理。",
        "服务窗口工作人员态度差",
        "工作人员态度",
    )
}];

const TOPICS: &[Topic] = &[
    Topic {
        neighbourhood: true,
        weight: 14,
        kind: Kind::Dispatch,
        category: "投诉举报",
        units: &["市生态环境局", "市城管局"],
        cases: NOISE,
    },
    Topic {
        neighbourhood: true,
        weight: 9,
        kind: Kind::Dispatch,
        category: "求助",
        units: &["市自来水公司"],
        cases: WATER,
    },
    Topic {
        neighbourhood: true,
        weight: 7,
        kind: Kind::Dispatch,
        category: "求助",
        units: &["市供电公司"],
        cases: POWER,
    },
    Topic {
        neighbourhood: true,
        weight: 9,
        kind: Kind::Dispatch,
        category: "一般诉求",
        units: &[
            "市城管局",
            "市住建局",
            "城东区人民政府",
            "城西区人民政府",
            "高新区管委会",
        ],
        cases: ROAD,
    },
    Topic {
        neighbourhood: true,
        weight: 8,
        kind: Kind::Dispatch,
        category: "投诉举报",
        units: &["市住建局"],
        cases: PROPERTY,
    },
    Topic {
        neighbourhood: false,
        weight: 8,
        kind: Kind::Consult,
        category: "咨询",
        units: &["市医保局"],
        cases: MEDICAL,
    },
    Topic {
        neighbourhood: false,
        weight: 7,
        kind: Kind::Consult,
        category: "咨询",
        units: &["市人社局"],
        cases: SOCIAL,
    },
    Topic {
        neighbourhood: false,
        weight: 6,
        kind: Kind::Consult,
        category: "咨询",
        units: &["市公积金中心"],
        cases: FUND,
    },
    Topic {
        neighbourhood: false,
        weight: 4,
        kind: Kind::Consult,
        category: "咨询",
        units: &["市公安局"],
        cases: HUKOU,
    },
    Topic {
        neighbourhood: false,
        weight: 6,
        kind: Kind::Dispatch,
        category: "投诉举报",
        units: &["市人社局"],
        cases: WAGES,
    },
    Topic {
        neighbourhood: true,
        weight: 5,
        kind: Kind::Dispatch,
        category: "投诉举报",
        units: &["市城管局", "市自然资源局", "临江县人民政府"],
        cases: ILLEGAL_BUILDING,
    },
    Topic {
        neighbourhood: true,
        weight: 6,
        kind: Kind::Dispatch,
        category: "一般诉求",
        units: &["市城管局"],
        cases: GARBAGE,
    },
    Topic {
        neighbourhood: false,
        weight: 3,
        kind: Kind::Dispatch,
        category: "建议",
        units: &["市公安局交警支队", "市交通运输局"],
        cases: TRAFFIC_SUGGEST,
    },
    Topic {
        neighbourhood: false,
        weight: 3,
        kind: Kind::Dispatch,
        category: "投诉举报",
        units: &["市交通运输局"],
        cases: BUS,
    },
    Topic {
        neighbourhood: false,
        weight: 5,
        kind: Kind::Consult,
        category: "咨询",
        units: &["市教育局"],
        cases: EDUCATION,
    },
    Topic {
        neighbourhood: false,
        weight: 2,
        kind: Kind::Emergency,
        category: "求助",
        units: &["市燃气公司"],
        cases: GAS_EMERGENCY,
    },
    Topic {
        neighbourhood: false,
        weight: 3,
        kind: Kind::Consult,
        category: "咨询",
        units: &["市燃气公司"],
        cases: GAS_CONSULT,
    },
    Topic {
        neighbourhood: true,
        weight: 6,
        kind: Kind::Dispatch,
        category: "一般诉求",
        units: &["市热力公司"],
        cases: HEATING,
    },
    Topic {
        neighbourhood: false,
        weight: 4,
        kind: Kind::Dispatch,
        category: "投诉举报",
        units: &["市市场监管局"],
        cases: MARKET,
    },
    Topic {
        neighbourhood: false,
        weight: 2,
        kind: Kind::Legal,
        category: "求助",
        units: &["法律援助热线"],
        cases: LEGAL,
    },
    Topic {
        neighbourhood: false,
        weight: 1,
        kind: Kind::Discipline,
        category: "投诉举报",
        units: &["纪检监察举报"],
        cases: DISCIPLINE,
    },
    Topic {
        neighbourhood: false,
        weight: 1,
        kind: Kind::PraiseHotline,
        category: "表扬",
        units: &["市长热线"],
        cases: PRAISE_HOTLINE,
    },
    Topic {
        neighbourhood: false,
        weight: 1,
        kind: Kind::PraiseUnit,
        category: "表扬",
        units: &["市城管局", "市供电公司", "市自来水公司", "市燃气公司"],
        cases: PRAISE_UNIT,
    },
    Topic {
        neighbourhood: false,
        weight: 2,
        kind: Kind::StaffComplaint,
        category: "投诉举报",
        units: &["市人社局", "市医保局", "市公积金中心", "市政务服务中心"],
        cases: STAFF,
    },
];

/// A generic question with its statement form and the caller's answers.
struct Ask {
    q: &'static [&'static str],
    s: &'static [&'static str],
    answers: &'static [&'static str],
}

const ASK_LOC: Ask = Ask {
    q: &[
        "Q|请问您说的是哪个小区？",
        "Q|请问具体是在哪个位置？",
        "Q|请问是在哪个小区几号楼？",
    ],
    s: &["请您说一下具体的位置。", "麻烦您讲一下详细地址。"],
    answers: &[
        "在{loc}，{bldg}号楼。",
        "{loc}，就在{bldg}号楼这边。",
        "我们是{loc}的，{bldg}号楼。",
    ],
};

const ASK_LOC_ROAD: Ask = Ask {
    q: &[
        "Q|请问具体是在哪个路段？",
        "Q|请问是在哪条路上？具体在什么位置？",
    ],
    s: &["请您说一下具体的路段。"],
    answers: &[
        "就在{road}和{road2}交叉口附近，{district}这边。",
        "{district}{road}，靠近{road2}路口。",
    ],
};

const ASK_SINCE: Ask = Ask {
    q: &[
        "Q|请问这个情况持续多久了？",
        "Q|请问是从什么时候开始的？",
        "Q|这种情况有多少天了？",
    ],
    s: &["请您说一下这个情况持续的时间。"],
    answers: &["{since}。", "{since}，{detail}"],
};

const ASK_REPORTED: Ask = Ask {
    q: &[
        "Q|之前有没有向物业或者社区反映过？",
        "Q|请问之前向有关部门反映过吗？",
    ],
    s: &["请您讲一下之前反映处理的情况。"],
    answers: &[
        "之前跟物业说过好多次了，一直没人管。",
        "还没反映过，这是第一次打电话。",
        "问过社区了，社区说他们也管不了，让我打市长热线。",
    ],
};

const ASK_NEIGHBOURS: Ask = Ask {
    q: &["Q|周边的住户也受影响吗？", "Q|请问受影响的住户多不多？"],
    s: &["请您说一下周边住户受影响的情况。"],
    answers: &[
        "周围好多住户都有意见，大家都受影响。",
        "是的，整栋楼都受影响。",
        "我们这个单元的都有意见。",
    ],
};

const ASK_NAME: Ask = Ask {
    q: &["Q|请问您贵姓？", "Q|请问怎么称呼您？"],
    s: &["麻烦您留一下姓氏。"],
    answers: &["我姓{surname}。", "免贵姓{surname}。"],
};

const ANON_ANSWERS: [&str; 2] = ["名字就不留了吧。", "我不想留名字，可以吗？"];

const ASK_PHONE: Ask = Ask {
    q: &[
        "Q|方便留一个联系电话吗？",
        "Q|请问您的联系电话是多少？",
        "Q|请问方便留个电话吗？后续处理结果会给您回复。",
    ],
    s: &["请您留一个联系电话，方便后续回访。"],
    answers: &[
        "{phone}。",
        "我的电话是{phone}。",
        "就是我现在打的这个号码，{phone}。",
    ],
};

const READBACK_Q: [&str; 2] = [
    "Q|好的，您的联系电话是{phone}，对吗？",
    "Q|跟您核对一下，您的联系电话是{phone}，对吗？",
];
const READBACK_S: [&str; 1] = ["好的，您的联系电话是{phone}，我记下了。"];
const READBACK_ANSWERS: [&str; 3] = ["对，没错。", "对的。", "是的。"];

const SUMMARIES: [&str; 4] = [
    "好的，{title_c}您反映的{issue}问题我已经详细记录，会尽快转交{unit}处理，处理结果会及时反馈给您。",
    "{title_c}您反映的情况我已经记录清楚了，我们会把工单派发给{unit}，承办单位会在规定时限内与您联系。",
    "好的，您反映的{issue}问题我这边已经登记，会转交{unit}核实处理，请您保持电话畅通。",
    "非常理解您的心情，{title_c}您反映的{issue}问题我会如实记录，尽快转交{unit}处理。",
];

const EMPATHY: [&str; 4] = [
    "好的，您别着急，请您慢慢说。",
    "明白，您的心情我非常理解。",
    "好的，这个情况我了解了。",
    "好的，我这边先记录一下。",
];

const CALLER_ACKS: [&str; 5] = [
    "好的，谢谢。",
    "好的，麻烦你们了。",
    "行，那我等你们消息。",
    "好的，那就麻烦你们尽快处理一下。",
    "好，谢谢你们。",
];

const CONSULT_ACKS: [&str; 4] = [
    "好的，我知道了，谢谢。",
    "明白了，谢谢你。",
    "好的，那我抽空去办一下。",
    "行，我清楚了，谢谢。",
];

const CLOSINGS: [&str; 6] = [
    "C|感谢您的来电，再见！",
    "C|感谢您对我们工作的支持，您的问题我将会尽快帮您反映，再见。",
    "C|感谢您对我们工作的支持，祝您生活愉快，再见。",
    "C|感谢您的来电，再见。",
    "C|感谢您对我们工作的支持，您的问题我将会尽快帮您反映，再见！",
    "C|感谢您对我们工作的支持祝您生活愉快再见",
];

const BAD_CLOSINGS: [&str; 5] = [
    "好的，那先这样。",
    "好的，您的问题已经记录了。",
    "好的，谢谢，再见。",
    "嗯，那就这样，再见。",
    "行，您等通知吧。",
];

const CALLER_BYES: [&str; 3] = ["好的，再见。", "再见。", "好，拜拜。"];

const GREETINGS_OK: [&str; 6] = [
    "G|您好！市长热线，请问有什么可以帮到您？",
    "G|您好！市长热线，请问有什么可以帮到您？",
    "G|您好！市长热线，请问有什么可以帮到您？",
    "G|您好，市长热线，请问有什么可以帮您？",
    "G|您好市长热线请问有什么可以帮到您",
    "G|嗯，您好！市长热线，请问有什么可以帮到您？",
];

/// ASR slip in a part of four or more characters: still a correct greeting.
const GREETING_SLIP: &str = "G|您好！市场热线，请问有什么可以帮到您？";

const GREETINGS_BAD: [&str; 5] = [
    "G|你好，市长热线，请问有什么可以帮到您？",
    "G|您好，请问有什么可以帮到您？",
    "G|您好，市长热线。",
    "G|市长热线，请问有什么可以帮到您？",
    "G|您好，这里是热线，您请讲。",
];

const NUMBER_TEMPLATES: [&str; 4] = [
    "P|您也可以拨打{nunit}的电话{nphone}咨询。",
    "P|如果还有疑问，您可以致电{nunit}，电话是{nphone}。",
    "P|{nunit}的咨询电话是{nphone}，工作日都可以打。",
    "P|具体情况您可以拨打{nunit}电话{nphone}进一步了解。",
];

const CALLER_NUMBER_ACKS: [&str; 3] = [
    "{nphone}是吧？好的，我记下了。",
    "好的，我记一下。",
    "好，知道了。",
];

const WAIT_ASKS: [&str; 3] = [
    "W|请您稍等，我帮您查询一下。",
    "W|好的，请您稍等，我帮您查一下相关政策。",
    "W|请您稍候，我这边查询一下。",
];
const WAIT_OKS: [&str; 2] = ["好的。", "嗯，好。"];
const WAIT_BACK: [&str; 2] = ["让您久等了，", "感谢您的耐心等待，"];

const FOLLOWUPS: [(&str, &str); 3] = [
    (
        "那线上办不了的话怎么办？",
        "线上办理有困难的话，也可以到服务大厅的窗口现场办理，工作人员会现场指导您。",
    ),
    (
        "需要本人亲自去吗？",
        "原则上需要本人办理，特殊情况可以委托家属带上委托书和双方身份证代办。",
    ),
    (
        "大概要多长时间能办好？",
        "一般材料齐全的话窗口当场就能受理，办理进度可以在线上随时查看。",
    ),
];

const SLANG_INSERTS: [&str; 8] = [
    "X|亲，您别着急，我这边马上给您登记。",
    "X|好滴，我这边给您记下来。",
    "X|OK，这个情况我了解了。",
    "X|妥妥的，您放心，我们会处理的。",
    "X|这个木有问题，我马上给您登记。",
    "X|酱紫的话，我帮您转给相关部门。",
    "X|ok，没问题，我记下了。",
    "X|给力，您反映得很详细。",
];

const TABOO_INSERTS: [&str; 9] = [
    "F|哦，这样啊，我记下了。",
    "F|这是规定我没办法，只能按流程来。",
    "F|这个具体情况我不知道，您等通知就行。",
    "F|喂，您那边还在线吧。",
    "F|您自己去社区问吧，我这边管不了。",
    "F|这不归我们管，您去找物业。",
    "F|有完没完，您说重点就行。",
    "F|刚才已经跟您说了，这事跟我没关系。",
    "F|这不关我的事，这是上面定的。",
];

const INSULT_INSERTS: [&str; 4] = [
    "I|神经病，一个问题说了半天都说不清楚。",
    "I|您脑子进水了吧，这种事也打热线。",
    "I|真是蠢货，跟您说了也白说。",
    "I|白痴一样，说了半天都听不明白。",
];

const REPEAT_REQUESTS: [&str; 6] = [
    "R|喂？我这边听不清，您再说一遍。",
    "R|不好意思，刚才没听清，您说的是什么？",
    "R|您大点声，声音太小了。",
    "R|啊？您再说一遍？",
    "R|信号不太好，能再说一次吗？",
    "R|声音有点小，我听不太清。",
];

const LEGAL_NO_GUIDANCE: [&str; 2] = [
    "这个情况我先帮您记录下来，会转给相关部门。",
    "好的，您反映的情况我已经记录，会尽快转交相关单位。",
];

const LEGAL_MISROUTE: [&str; 3] = ["城东区人民政府", "城西区人民政府", "市民政局"];
const DISCIPLINE_SECOND: &str = "DP|您也可以拨打{nunit}的电话{nphone}反映。";
const DISCIPLINE_NO_CHANNEL: &str = "这个情况我先帮您记录下来，会转给相关部门核实。";
const DISCIPLINE_CALLER_Q: &str = "{nphone}，好，打这个电话也可以匿名吗？";
const DISCIPLINE_REASSURE: &str = "可以的，纪检监察机关会对举报人的信息严格保密，请您放心。";

const SILENT_CALLER: [&str; 3] = ["喂？", "喂，你好？有人吗？", "怎么没人说话……"];

// ---------------------------------------------------------------------------
// Context: roster and day
// ---------------------------------------------------------------------------

struct Operator {
    id: String,
    name: String,
    team: &'static str,
}

struct Ctx {
    day: NaiveDate,
    day_str: String,
    as_of: NaiveDateTime,
    operators: Vec<Operator>,
    calendar: Calendar,
    /// Cumulative call-load weights per hour (a day's CDF in 24 steps).
    hour_cdf: [f64; 25],
}

impl Ctx {
    fn new(opts: &GenOptions) -> Ctx {
        let mut rng = Rng::new(opts.seed, STREAM_ROSTER, 0);
        let mut operators = Vec::new();
        for (t, team) in TEAMS.iter().enumerate() {
            for k in 0..OPERATORS_PER_TEAM {
                let id = 1001 + t * OPERATORS_PER_TEAM + k;
                let name = format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN));
                operators.push(Operator {
                    id: id.to_string(),
                    name,
                    team,
                });
            }
        }
        const LOAD: [f64; 24] = [
            2.0, 1.2, 0.8, 0.6, 0.6, 1.0, 2.5, 5.0, 9.0, 11.0, 11.0, 10.0, 8.0, 8.5, 10.0, 10.0,
            9.5, 8.5, 7.0, 6.5, 6.0, 5.0, 3.5, 2.5,
        ];
        let total: f64 = LOAD.iter().sum();
        let mut hour_cdf = [0.0; 25];
        for h in 0..24 {
            hour_cdf[h + 1] = hour_cdf[h] + LOAD[h] / total;
        }
        Ctx {
            day: opts.day,
            day_str: opts.day.format("%Y%m%d").to_string(),
            as_of: opts.as_of(),
            operators,
            calendar: Calendar::builtin(),
            hour_cdf,
        }
    }

    /// Seconds after midnight of call `i` of `n`: increasing with i, spread
    /// like a hotline's daily load.
    fn call_second(&self, rng: &mut Rng, i: u64, n: u64) -> i64 {
        let f = ((i as f64) + rng.unit()) / (n.max(1) as f64);
        let mut h = 0;
        while h < 23 && self.hour_cdf[h + 1] <= f {
            h += 1;
        }
        let span = self.hour_cdf[h + 1] - self.hour_cdf[h];
        let within = if span > 0.0 {
            ((f - self.hour_cdf[h]) / span).clamp(0.0, 0.999_999)
        } else {
            0.0
        };
        (h as i64) * 3600 + (within * 3600.0) as i64
    }

    /// An operator on shift at `hour`.
    fn operator_at(&self, rng: &mut Rng, hour: i64) -> usize {
        let teams: &[usize] = match hour {
            0..=7 => &[4, 5],
            8..=15 => &[0, 1, 6],
            _ => &[2, 3, 7],
        };
        let team = *rng.pick(teams);
        team * OPERATORS_PER_TEAM + rng.below(OPERATORS_PER_TEAM as u64) as usize
    }
}

// ---------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Agent,
    Caller,
    Unit,
}

impl Who {
    fn key(self) -> &'static str {
        match self {
            Who::Agent => "agent",
            Who::Caller => "caller",
            Who::Unit => "unit",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tags {
    question: bool,
    wait: bool,
    slang: bool,
    taboo: bool,
    insult: bool,
    legal_channel: bool,
    discipline_channel: bool,
    legal_words: bool,
    repeat: bool,
    number: bool,
    greeting: bool,
    closing: bool,
    /// Said again after a repeat request.
    repeated: bool,
}

fn split_tags(t: &str) -> (Tags, &str) {
    let mut tags = Tags::default();
    let Some((head, rest)) = t.split_once('|') else {
        return (tags, t);
    };
    if head.is_empty() || !head.bytes().all(|b| b.is_ascii_uppercase()) {
        return (tags, t);
    }
    for b in head.bytes() {
        match b {
            b'Q' => tags.question = true,
            b'W' => tags.wait = true,
            b'X' => tags.slang = true,
            b'F' => tags.taboo = true,
            b'I' => tags.insult = true,
            b'H' => tags.legal_channel = true,
            b'D' => tags.discipline_channel = true,
            b'L' => tags.legal_words = true,
            b'R' => tags.repeat = true,
            b'P' => tags.number = true,
            b'G' => tags.greeting = true,
            b'C' => tags.closing = true,
            _ => {}
        }
    }
    (tags, rest)
}

/// How an utterance starts relative to what came before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gap {
    /// A normal turn-taking pause.
    Normal,
    /// A long pause after a wait request (excused).
    AfterWait,
    /// A long pause without a wait request (attitude violation).
    Slow,
    /// Starts this many tenths of a second before the previous (caller)
    /// utterance ends.
    Overlap(i64),
    /// A three-way transfer: the unit picks up after ringing.
    Ring,
}

#[derive(Clone, Debug)]
struct Utt {
    who: Who,
    text: String,
    tags: Tags,
    /// A number given: Some(true) correct, Some(false) wrong or unknown.
    number_ok: Option<bool>,
    gap: Gap,
    /// Tenths of a second.
    start: i64,
    end: i64,
    /// Hundredths.
    conf: Option<u32>,
}

/// Deliberate violations of one call.
#[derive(Clone, Copy, Debug, Default)]
struct Plan {
    silent: bool,
    greeting_bad: bool,
    closing_bad: bool,
    slang: bool,
    ni: u8,
    pace: i8,
    low_conf: bool,
    repeats: u8,
    number_bad: u8,
    process_bad: Option<u8>,
    interrupts: u8,
    no_question: bool,
    late_first: bool,
    slow: bool,
    ticket_bad: bool,
    taboo: bool,
    insult: bool,
}

/// A generated call with what the ticket and the truth need.
struct Call {
    call_id: String,
    op: usize,
    started: NaiveDateTime,
    ended_by: Option<Who>,
    utts: Vec<Utt>,
    has_ticket: bool,
    injected: [bool; 11],
    // For the ticket:
    topic: &'static Topic,
    case: &'static Case,
    unit: &'static str,
    handling: &'static str,
    title: String,
    named: bool,
    phone: String,
    where_: String,
    event_time: String,
    staff: String,
    staff_no: String,
    ticket_bad: bool,
    plan: Plan,
}

struct Builder<'c> {
    rng: &'c mut Rng,
    utts: Vec<Utt>,
    no_question: bool,
    // slots
    loc: String,
    district: &'static str,
    road: &'static str,
    road2: &'static str,
    bldg: &'static str,
    since: &'static str,
    detail: &'static str,
    surname: &'static str,
    title: String,
    phone: String,
    unit: &'static str,
    issue: &'static str,
    staff: String,
    staff_sur: &'static str,
    staff_no: String,
    nunit: &'static str,
    nphone: String,
}

impl Builder<'_> {
    fn fill(&self, t: &str) -> String {
        let mut out = String::with_capacity(t.len() + 32);
        let mut rest = t;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let key = &after[..close];
            let title_c = if self.title.is_empty() {
                String::new()
            } else {
                format!("{}，", self.title)
            };
            let v: &str = match key {
                "loc" => &self.loc,
                "district" => self.district,
                "road" => self.road,
                "road2" => self.road2,
                "bldg" => self.bldg,
                "since" => self.since,
                "detail" => self.detail,
                "surname" => self.surname,
                "title_c" => &title_c,
                "phone" => &self.phone,
                "unit" => self.unit,
                "issue" => self.issue,
                "staff" => &self.staff,
                "staffsur" => self.staff_sur,
                "staffno" => &self.staff_no,
                "nunit" => self.nunit,
                "nphone" => &self.nphone,
                _ => "",
            };
            out.push_str(v);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn push(&mut self, who: Who, template: &str) -> usize {
        let (tags, t) = split_tags(template);
        let text = self.fill(t);
        self.utts.push(Utt {
            who,
            text,
            tags,
            number_ok: None,
            gap: Gap::Normal,
            start: 0,
            end: 0,
            conf: None,
        });
        self.utts.len() - 1
    }

    fn agent(&mut self, template: &str) -> usize {
        self.push(Who::Agent, template)
    }

    fn caller(&mut self, template: &str) -> usize {
        self.push(Who::Caller, template)
    }

    fn unit_says(&mut self, template: &str) -> usize {
        self.push(Who::Unit, template)
    }

    /// Asks one of `ask`'s questions (or its statement form) and records
    /// the caller's answer.
    fn ask(&mut self, ask: &Ask) {
        let t = if self.no_question {
            *self.rng.pick(ask.s)
        } else {
            *self.rng.pick(ask.q)
        };
        self.agent(t);
        let a = *self.rng.pick(ask.answers);
        self.caller(a);
    }

    /// The agent gives a number; `correct` picks it from the directory.
    fn give_number(&mut self, template: &str, unit: &'static str, bad: u8) -> usize {
        self.nunit = unit;
        self.nphone = match bad {
            1 => wrong_number(self.rng, unit).to_string(),
            2 => unknown_number(self.rng),
            _ => phone_of(unit).to_string(),
        };
        let i = self.agent(template);
        self.utts[i].number_ok = Some(bad == 0);
        i
    }
}

/// Another unit's number, never one of the discipline or legal channels and
/// never a unit that shares a name with `unit`.
fn wrong_number(rng: &mut Rng, unit: &str) -> &'static str {
    loop {
        let other = *rng.pick(&PLAIN_UNITS);
        if other != unit && phone_of(other) != phone_of(unit) {
            return phone_of(other);
        }
    }
}

/// A number in no directory entry.
fn unknown_number(rng: &mut Rng) -> String {
    loop {
        let n = if rng.chance(0.7) {
            format!("26{:05}", rng.below(100_000))
        } else {
            format!("123{:02}", rng.below(100))
        };
        if !DIRECTORY.iter().any(|(_, p)| *p == n) {
            return n;
        }
    }
}

fn mobile(rng: &mut Rng) -> String {
    let second = *rng.pick(&['3', '5', '7', '8', '9']);
    format!("1{second}{:09}", rng.below(1_000_000_000))
}

fn draw_plan(rng: &mut Rng) -> Plan {
    let mut p = Plan {
        silent: rng.chance(rate("no agent speech at all")),
        ..Plan::default()
    };
    if p.silent {
        return p;
    }
    p.greeting_bad = rng.chance(rate("greeting: a part missing"));
    p.closing_bad = rng.chance(rate("closing: no standard closing"));
    p.slang = rng.chance(rate("courtesy: slang"));
    p.ni = if rng.chance(rate("courtesy: 你 twice or more")) {
        2
    } else if rng.chance(rate("near miss: one 你")) {
        1
    } else {
        0
    };
    p.pace = if rng.chance(rate("pace: too fast")) {
        1
    } else if rng.chance(rate("pace: too slow")) {
        -1
    } else {
        0
    };
    p.low_conf = rng.chance(rate("clarity: low ASR confidence"));
    p.repeats = if rng.chance(rate("clarity: two repeat requests")) {
        2
    } else if rng.chance(rate("near miss: one repeat request")) {
        1
    } else {
        0
    };
    p.number_bad = if rng.chance(rate("accuracy: another unit's number")) {
        1
    } else if rng.chance(rate("accuracy: unknown number")) {
        2
    } else {
        0
    };
    if rng.chance(rate("process: routing against the process")) {
        p.process_bad = Some(rng.below(7) as u8);
    }
    p.interrupts = if rng.chance(rate("communication: two interruptions")) {
        2
    } else if rng.chance(rate("near miss: one interruption")) {
        1
    } else {
        0
    };
    p.no_question = rng.chance(rate("communication: no question"));
    p.late_first = rng.chance(rate("attitude: late first response"));
    p.slow = rng.chance(rate("attitude: slow response"));
    p.ticket_bad = rng.chance(rate("ticket: missing field / short content"));
    p.taboo = rng.chance(rate("taboo: forbidden phrase or blame"));
    p.insult = rng.chance(rate("taboo: insult (red line)"));
    p
}

fn topic_for(rng: &mut Rng, plan: &Plan) -> (&'static Topic, Option<u8>) {
    if let Some(v) = plan.process_bad {
        let kind = match v {
            0 | 1 => Kind::Legal,
            2 | 3 => Kind::Discipline,
            4 => Kind::PraiseHotline,
            5 => Kind::PraiseUnit,
            _ => Kind::Emergency,
        };
        if let Some(t) = TOPICS.iter().find(|t| t.kind == kind) {
            return (t, Some(v));
        }
    }
    let weights: Vec<u32> = TOPICS.iter().map(|t| t.weight).collect();
    (&TOPICS[rng.weighted(&weights)], None)
}

/// How a call ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// Agent closes and hangs up.
    AgentCloses,
    /// Agent closes, the caller says goodbye and hangs up.
    CallerBye,
    /// Agent closes, the caller hangs up at once.
    CallerHangsUp,
    /// Agent closes, the caller says goodbye, the agent says 再见.
    BothBye,
    /// The caller hangs up after speaking last, before any closing.
    CallerCutsShort,
}

const NQ_CALLER: [&str; 3] = [
    "嗯，我明白了。",
    "好的，我知道了。",
    "这样啊，那我再想想办法。",
];
const NQ_AGENT: [&str; 2] = [
    "好的，您反映的情况我这边也做了记录。",
    "好的，如果后续还有困难，您可以再次来电。",
];
const NI_LINES: [&str; 3] = [
    "你别着急，慢慢说。",
    "你说的情况我记下了。",
    "你反映的问题我这边登记一下。",
];
const CONSULT_WRAP: [&str; 2] = [
    "好的，如果还有其他问题，欢迎您随时来电。",
    "好的，您按这个方式办理就可以。",
];
const FILLER: &str = "，我们这边真的很着急，希望你们尽快帮忙处理一下。";

fn build_call(ctx: &Ctx, rng: &mut Rng, i: u64, n: u64) -> Call {
    let mut plan = draw_plan(rng);
    let second = ctx.call_second(rng, i, n);
    let op = ctx.operator_at(rng, second / 3600);
    let started = ctx.day.and_time(NaiveTime::MIN) + Duration::seconds(second);
    let call_id = format!("{}-{:06}", ctx.day_str, i + 1);
    let (topic, variant) = topic_for(rng, &plan);
    let case: &'static Case = rng.pick(topic.cases);
    let unit = *rng.pick(topic.units);
    let district = *rng.pick(&DISTRICTS);
    let community = *rng.pick(&COMMUNITIES);
    let road = *rng.pick(&ROADS);
    let road2 = loop {
        let r = *rng.pick(&ROADS);
        if r != road {
            break r;
        }
    };
    let bldg = *rng.pick(&BUILDINGS);
    let since = *rng.pick(&SINCE);
    let surname = *rng.pick(&SURNAMES);
    let title_full = format!("{surname}{}", if rng.chance(0.5) { "女士" } else { "先生" });
    let phone = mobile(rng);
    let staff_sur = *rng.pick(&SURNAMES);
    let staff = format!("{staff_sur}{}", rng.pick(&GIVEN));
    let staff_no = format!("{}", rng.range(10_000, 99_999));
    let event_date = ctx.day - Duration::days(since.1);
    let event_time = format!(
        "{}年{}月{}日{}",
        event_date.year(),
        event_date.month(),
        event_date.day(),
        since.2
    );
    let where_ = if case.road {
        format!("{district}{road}与{road2}交叉口附近")
    } else {
        format!("{district}{community}{bldg}号楼")
    };
    let mut has_ticket = rng.chance(0.85) || plan.ticket_bad || variant.is_some();

    let mut b = Builder {
        rng,
        utts: Vec::with_capacity(24),
        no_question: plan.no_question,
        loc: format!("{district}{community}"),
        district,
        road,
        road2,
        bldg,
        since: since.0,
        detail: case.detail,
        surname,
        title: String::new(),
        phone: phone.clone(),
        unit,
        issue: case.issue,
        staff: staff.clone(),
        staff_sur,
        staff_no: staff_no.clone(),
        nunit: "",
        nphone: String::new(),
    };

    let mut handling = match topic.kind {
        Kind::Dispatch | Kind::PraiseUnit | Kind::StaffComplaint => "工单转办",
        Kind::Emergency => "电话交办",
        _ => "直接办理",
    };
    let mut ended_by = Some(Who::Agent);
    let mut named = false;

    if plan.silent {
        has_ticket = false;
        let k = b.rng.range(2, 3) as usize;
        for t in SILENT_CALLER.iter().take(k) {
            b.caller(t);
        }
        plan = Plan {
            silent: true,
            ..Plan::default()
        };
        ended_by = Some(Who::Caller);
    } else {
        // Greeting.
        if plan.greeting_bad {
            let g = *b.rng.pick(&GREETINGS_BAD);
            b.agent(g);
        } else if b.rng.chance(0.01) {
            b.agent(GREETING_SLIP);
        } else if b.rng.chance(0.01) {
            b.agent("G|您好！市长热线，");
            b.agent("G|请问有什么可以帮到您？");
        } else {
            let g = *b.rng.pick(&GREETINGS_OK);
            b.agent(g);
        }
        b.caller(case.opening);
        if b.rng.chance(0.15) {
            let e = *b.rng.pick(&EMPATHY);
            b.agent(e);
        }

        // Optional extras, decided before the number of questions.
        let number_wanted = plan.number_bad > 0
            || match topic.kind {
                Kind::Dispatch | Kind::StaffComplaint => b.rng.chance(0.12),
                Kind::Consult => b.rng.chance(0.6),
                _ => false,
            };
        let injected_lines = usize::from(plan.slang)
            + usize::from(plan.taboo)
            + usize::from(plan.insult)
            + 2 * usize::from(plan.repeats);
        let ending_extra = 2;

        match topic.kind {
            Kind::Dispatch | Kind::StaffComplaint | Kind::PraiseUnit => {
                let three_way = topic.kind == Kind::Dispatch && case.urgent && b.rng.chance(0.3);
                if three_way {
                    handling = "电话交办";
                }
                if let Some((q, s, a)) = case.ask {
                    let t = if b.no_question { s } else { q };
                    b.agent(t);
                    b.caller(a);
                }
                // Generic questions: location first, then a subset in order.
                let mut asks: Vec<&Ask> = Vec::new();
                if topic.kind == Kind::Dispatch {
                    asks.push(if case.road { &ASK_LOC_ROAD } else { &ASK_LOC });
                    asks.push(&ASK_SINCE);
                    if topic.neighbourhood && b.rng.chance(0.5) {
                        asks.push(if b.rng.chance(0.5) {
                            &ASK_REPORTED
                        } else {
                            &ASK_NEIGHBOURS
                        });
                    }
                }
                let ask_name = b.rng.chance(0.8);
                let ask_phone = b.rng.chance(0.8);
                let used = b.utts.len()
                    + injected_lines
                    + ending_extra
                    + 3
                    + if number_wanted { 2 } else { 0 }
                    + if three_way { 5 } else { 0 };
                let room = 20usize.saturating_sub(used) / 2;
                let mut wanted = asks.len() + usize::from(ask_name) + usize::from(ask_phone);
                let min = if b.no_question { 2 } else { 1 };
                while wanted > room.max(min) && asks.len() > 1 {
                    asks.pop();
                    wanted -= 1;
                }
                let mut room_left = room.saturating_sub(asks.len());
                for a in &asks {
                    b.ask(a);
                }
                if ask_name && room_left > 0 {
                    room_left -= 1;
                    if b.rng.chance(0.12) {
                        let t = if b.no_question {
                            ASK_NAME.s[0]
                        } else {
                            *b.rng.pick(ASK_NAME.q)
                        };
                        b.agent(t);
                        let a = *b.rng.pick(&ANON_ANSWERS);
                        b.caller(a);
                    } else {
                        b.ask(&ASK_NAME);
                        b.title = title_full.clone();
                        named = true;
                    }
                }
                if ask_phone && room_left > 0 {
                    room_left -= 1;
                    b.ask(&ASK_PHONE);
                    if room_left > 0 && b.rng.chance(0.3) {
                        let t = if b.no_question {
                            READBACK_S[0]
                        } else {
                            *b.rng.pick(&READBACK_Q)
                        };
                        b.agent(t);
                        let a = *b.rng.pick(&READBACK_ANSWERS);
                        b.caller(a);
                    }
                }
                if three_way {
                    b.agent("W|这个情况比较急，我现在帮您联系{unit}，请您稍等，不要挂断。");
                    b.utts.push(Utt::blank(Who::Unit));
                    let k = b.utts.len() - 1;
                    b.utts[k].text = b.fill("您好，{unit}。");
                    b.utts[k].gap = Gap::Ring;
                    b.agent("您好，这里是市长热线，来电市民反映{loc}{issue}，情况比较急，请你们尽快安排人员处理。");
                    b.unit_says("好的，我们已经记下了，马上安排人员过去处理。");
                    b.agent("{title_c}{unit}已经安排人员过去了，请您保持电话畅通。");
                }
                if number_wanted {
                    let nunit =
                        if plan.number_bad > 0 && !PLAIN_UNITS.contains(&unit) && b.rng.chance(0.5)
                        {
                            *b.rng.pick(&PLAIN_UNITS)
                        } else {
                            unit
                        };
                    let t = *b.rng.pick(&NUMBER_TEMPLATES);
                    b.give_number(t, nunit, plan.number_bad);
                    let a = *b.rng.pick(&CALLER_NUMBER_ACKS);
                    b.caller(a);
                }
                match topic.kind {
                    Kind::PraiseUnit => {
                        b.agent(case.info);
                    }
                    _ if three_way => {
                        b.agent("{title_c}您反映的{issue}问题我这边也已经登记，后续处理情况我们会继续跟进。");
                    }
                    _ => {
                        let s = *b.rng.pick(&SUMMARIES);
                        b.agent(s);
                    }
                }
            }
            Kind::Consult => {
                let wait = b.rng.chance(0.3);
                let followup = b.rng.chance(0.4) || b.no_question;
                if let Some((q, s, a)) = case.ask {
                    let t = if b.no_question { s } else { q };
                    b.agent(t);
                    b.caller(a);
                }
                if wait {
                    let w = *b.rng.pick(&WAIT_ASKS);
                    b.agent(w);
                    let ok = *b.rng.pick(&WAIT_OKS);
                    b.caller(ok);
                    let back = *b.rng.pick(&WAIT_BACK);
                    // Keep the info's tags in front.
                    let t = match case.info.split_once('|') {
                        Some((head, rest)) if head.bytes().all(|c| c.is_ascii_uppercase()) => {
                            format!("{head}|{back}{rest}")
                        }
                        _ => format!("{back}{}", case.info),
                    };
                    b.agent(&t);
                } else {
                    b.agent(case.info);
                }
                if followup {
                    let (q, a) = *b.rng.pick(&FOLLOWUPS);
                    b.caller(q);
                    b.agent(a);
                }
                if number_wanted {
                    let t = *b.rng.pick(&NUMBER_TEMPLATES);
                    b.give_number(t, unit, plan.number_bad);
                    let a = *b.rng.pick(&CALLER_NUMBER_ACKS);
                    b.caller(a);
                    let w = *b.rng.pick(&CONSULT_WRAP);
                    b.agent(w);
                }
            }
            Kind::Emergency => {
                let t = if b.no_question {
                    "请您不要慌，请您说一下具体的小区和楼号。"
                } else {
                    "Q|请您不要慌，请问您现在在什么位置？是哪个小区几号楼？"
                };
                b.agent(t);
                b.caller("{loc}{bldg}号楼，{detail}");
                b.agent("W|好的，请您千万不要开关电灯和电器，不要使用明火，先打开窗户通风，尽快离开楼道。我现在马上为您接通{unit}，请您稍等，不要挂断。");
                b.caller("好，好，我不挂。");
                b.utts.push(Utt::blank(Who::Unit));
                let k = b.utts.len() - 1;
                b.utts[k].text = b.fill("你好，{unit}抢修中心。");
                b.utts[k].gap = Gap::Ring;
                b.agent("您好，这里是市长热线，{loc}{bldg}号楼楼道有明显的燃气泄漏气味，来电市民正在现场，请你们尽快安排抢修人员上门处理。");
                b.unit_says("好的，我们马上派抢修人员过去。请问报修人怎么称呼？联系电话多少？");
                b.caller("我姓{surname}，电话{phone}。");
                b.title = title_full.clone();
                named = true;
                b.unit_says(
                    "好的，{title_c}请您先开窗通风，人员撤离到楼外，我们的师傅大概二十分钟到。",
                );
                b.caller("好的好的，谢谢。");
                if b.rng.chance(0.5) {
                    b.give_number(
                        "P|{title_c}抢修师傅马上就到，请您在楼外安全的地方等候。如果味道越来越大或者出现明火，请立即拨打{nunit}{nphone}。",
                        "火警电话",
                        0,
                    );
                } else {
                    b.agent("{title_c}抢修师傅马上就到，请您在楼外安全的地方等候，注意安全。");
                }
                if variant == Some(6) {
                    handling = "工单转办";
                }
            }
            Kind::Legal => {
                if let Some((q, s, a)) = case.ask {
                    let t = if b.no_question { s } else { q };
                    b.agent(t);
                    b.caller(a);
                }
                if variant == Some(1) {
                    let t = *b.rng.pick(&LEGAL_NO_GUIDANCE);
                    b.agent(t);
                } else {
                    b.give_number(case.info, "法律援助热线", 0);
                }
                if variant == Some(0) {
                    handling = "工单转办";
                }
            }
            Kind::Discipline => {
                if let Some((q, s, a)) = case.ask {
                    let t = if b.no_question { s } else { q };
                    b.agent(t);
                    b.caller(a);
                }
                if variant == Some(3) {
                    b.agent(DISCIPLINE_NO_CHANNEL);
                } else {
                    b.give_number(case.info, "纪检监察举报", 0);
                    if b.rng.chance(0.4) {
                        b.give_number(DISCIPLINE_SECOND, "市信访局", 0);
                    }
                    b.nphone = "12388".into();
                    b.caller(DISCIPLINE_CALLER_Q);
                    b.agent(DISCIPLINE_REASSURE);
                }
                if variant == Some(2) {
                    handling = "工单转办";
                }
            }
            Kind::PraiseHotline => {
                b.agent(case.info);
                b.caller("你们辛苦了。");
                if b.no_question {
                    b.agent("如果后续还有需要，欢迎您随时来电。");
                } else {
                    b.agent("Q|请问还有其他需要帮助的吗？");
                }
                b.caller("没有了，谢谢。");
                if variant == Some(4) {
                    handling = "工单转办";
                }
            }
        }
        if topic.kind == Kind::PraiseUnit && variant == Some(5) {
            handling = "直接办理";
        }
        // A wrong number in a call whose flow had no place for one.
        if plan.number_bad > 0 && !b.utts.iter().any(|u| u.number_ok == Some(false)) {
            let nunit = *b.rng.pick(&PLAIN_UNITS);
            let t = *b.rng.pick(&NUMBER_TEMPLATES);
            b.give_number(t, nunit, plan.number_bad);
        }
        // The caller speaks at least 4 times when no question is planned.
        if b.no_question {
            // The closing acknowledgement is the 4th, except after praise.
            let want = if topic.kind == Kind::PraiseHotline {
                4
            } else {
                3
            };
            while b.utts.iter().filter(|u| u.who == Who::Caller).count() < want {
                let c = *b.rng.pick(&NQ_CALLER);
                b.caller(c);
                let a = *b.rng.pick(&NQ_AGENT);
                b.agent(a);
            }
        }
        // The ending.
        let ack = if matches!(topic.kind, Kind::Consult | Kind::Legal | Kind::Discipline) {
            *b.rng.pick(&CONSULT_ACKS)
        } else {
            *b.rng.pick(&CALLER_ACKS)
        };
        if b.utts.last().is_some_and(|u| u.who != Who::Caller) {
            b.caller(ack);
        }
        let ending = if plan.closing_bad {
            if b.rng.chance(0.5) {
                Ending::CallerCutsShort
            } else {
                Ending::AgentCloses
            }
        } else {
            match b.rng.weighted(&[600, 200, 100, 50, 15]) {
                0 => Ending::AgentCloses,
                1 => Ending::CallerBye,
                2 => Ending::CallerHangsUp,
                3 => Ending::BothBye,
                _ => Ending::CallerCutsShort,
            }
        };
        if plan.closing_bad {
            let t = *b.rng.pick(&BAD_CLOSINGS);
            b.agent(t);
            if ending == Ending::CallerCutsShort {
                b.caller("好。");
                ended_by = Some(Who::Caller);
            } else {
                ended_by = Some(if b.rng.chance(0.7) {
                    Who::Agent
                } else {
                    Who::Caller
                });
            }
        } else {
            match ending {
                Ending::CallerCutsShort => ended_by = Some(Who::Caller),
                _ => {
                    let c = *b.rng.pick(&CLOSINGS);
                    b.agent(c);
                    match ending {
                        Ending::AgentCloses => {
                            ended_by = if b.rng.chance(0.01) {
                                None
                            } else {
                                Some(Who::Agent)
                            };
                        }
                        Ending::CallerBye => {
                            let t = *b.rng.pick(&CALLER_BYES);
                            b.caller(t);
                            ended_by = Some(Who::Caller);
                        }
                        Ending::CallerHangsUp => ended_by = Some(Who::Caller),
                        Ending::BothBye => {
                            b.caller("好的，谢谢你，再见。");
                            b.agent("再见。");
                            ended_by = Some(Who::Agent);
                        }
                        Ending::CallerCutsShort => {}
                    }
                }
            }
        }
        // Injected agent lines, each right after a caller utterance.
        let mut inserts: Vec<&'static str> = Vec::new();
        if plan.slang {
            inserts.push(*b.rng.pick(&SLANG_INSERTS));
        }
        if plan.taboo {
            inserts.push(*b.rng.pick(&TABOO_INSERTS));
        }
        if plan.insult {
            inserts.push(*b.rng.pick(&INSULT_INSERTS));
        }
        // Injected lines go before the closing, never after it.
        let end_of = |utts: &[Utt]| {
            utts.iter()
                .position(|u| u.tags.closing)
                .unwrap_or(utts.len())
        };
        for t in inserts {
            let spots: Vec<usize> = (1..end_of(&b.utts))
                .filter(|&k| {
                    b.utts[k - 1].who == Who::Caller
                        && b.utts[k].who == Who::Agent
                        && !b.utts[k].tags.closing
                })
                .collect();
            if spots.is_empty() {
                continue;
            }
            let at = *b.rng.pick(&spots);
            let (tags, text) = split_tags(t);
            let mut u = Utt::blank(Who::Agent);
            u.tags = tags;
            u.text = text.to_string();
            b.utts.insert(at, u);
        }
        // Repeat requests: the caller cannot hear, the agent says it again.
        for _ in 0..plan.repeats {
            let spot = |b: &Builder<'_>, k: usize, again: bool| {
                let u = &b.utts[k];
                u.who == Who::Agent
                    && !u.tags.greeting
                    && !u.tags.closing
                    && u.number_ok.is_none()
                    && !u.tags.slang
                    && !u.tags.taboo
                    && !u.tags.insult
                    && u.tags.repeated == again
                    && b.utts[k + 1].who == Who::Caller
            };
            let n = b.utts.len().saturating_sub(1);
            let mut spots: Vec<usize> = (0..n).filter(|&k| spot(&b, k, false)).collect();
            let mut twice = false;
            if spots.is_empty() {
                // The caller asks again about the line just repeated.
                spots = (0..n).filter(|&k| spot(&b, k, true)).collect();
                twice = true;
            }
            if spots.is_empty() {
                break;
            }
            let at = *b.rng.pick(&spots);
            let r = *b.rng.pick(&REPEAT_REQUESTS);
            let (tags, text) = split_tags(r);
            let mut ask = Utt::blank(Who::Caller);
            ask.tags = tags;
            ask.text = text.to_string();
            let mut again = b.utts[at].clone();
            again.text = if twice {
                format!("我再说一遍，{}", again.text.trim_start_matches("好的，"))
            } else {
                format!("好的，{}", again.text)
            };
            again.gap = Gap::Normal;
            again.tags.repeated = true;
            b.utts[at].tags.repeated = true;
            b.utts.insert(at + 1, ask);
            b.utts.insert(at + 2, again);
        }
        // 你 instead of 您.
        // A near miss stays a near miss: one 你 in all, the greeting's included.
        if plan.ni == 1
            && b.utts
                .iter()
                .any(|u| u.who == Who::Agent && u.text.contains('你'))
        {
            plan.ni = 0;
        }
        if plan.ni > 0 {
            let mut spots: Vec<usize> = (0..b.utts.len())
                .filter(|&k| {
                    let u = &b.utts[k];
                    u.who == Who::Agent
                        && !u.tags.greeting
                        && !u.tags.closing
                        && u.text.contains('您')
                })
                .collect();
            let mut extra = 0;
            for _ in 0..plan.ni {
                if spots.is_empty() {
                    extra += 1;
                    continue;
                }
                let j = b.rng.below(spots.len() as u64) as usize;
                let k = spots.swap_remove(j);
                b.utts[k].text = b.utts[k].text.replacen('您', "你", 1);
            }
            // Too few utterances to change: the agent adds a line with 你.
            for _ in 0..extra {
                let spots: Vec<usize> = (1..end_of(&b.utts))
                    .filter(|&k| {
                        b.utts[k - 1].who == Who::Caller
                            && b.utts[k].who == Who::Agent
                            && !b.utts[k].tags.closing
                    })
                    .collect();
                if spots.is_empty() {
                    break;
                }
                let at = *b.rng.pick(&spots);
                let mut u = Utt::blank(Who::Agent);
                u.text = (*b.rng.pick(&NI_LINES)).to_string();
                b.utts.insert(at, u);
            }
        }
    }

    let rng = b.rng;
    let mut utts = b.utts;
    let title = b.title;

    // Interruptions need long caller utterances before agent ones.
    if plan.interrupts > 0 {
        let mut long = 0;
        for k in 1..utts.len() {
            if utts[k - 1].who == Who::Caller
                && utts[k].who == Who::Agent
                && crate::text::count_chars(&utts[k - 1].text) >= 20
            {
                long += 1;
            }
        }
        let mut k = 1;
        while long < usize::from(plan.interrupts) && k < utts.len() {
            if utts[k - 1].who == Who::Caller
                && utts[k].who == Who::Agent
                && crate::text::count_chars(&utts[k - 1].text) < 20
            {
                let t = utts[k - 1]
                    .text
                    .trim_end_matches(['。', '？', '！'])
                    .to_string();
                utts[k - 1].text = format!("{t}{FILLER}");
                long += 1;
            }
            k += 1;
        }
    }

    // Some ASR exports carry no punctuation.
    if rng.chance(0.04) {
        for u in &mut utts {
            u.text = u.text.chars().filter(|c| c.is_alphanumeric()).collect();
        }
    }

    layout(rng, &mut utts, &plan);

    let mut injected = [false; 11];
    injected[NormId::Greeting.index()] = plan.greeting_bad || plan.silent;
    injected[NormId::Closing.index()] = plan.closing_bad;
    injected[NormId::Courtesy.index()] = plan.slang || plan.ni >= 2;
    injected[NormId::Pace.index()] = plan.pace != 0;
    injected[NormId::Clarity.index()] = plan.low_conf || plan.repeats >= 2;
    injected[NormId::Accuracy.index()] = plan.number_bad > 0;
    injected[NormId::Process.index()] = variant.is_some();
    injected[NormId::Communication.index()] = plan.interrupts >= 2 || plan.no_question;
    injected[NormId::Attitude.index()] = plan.late_first || plan.slow || plan.silent;
    injected[NormId::Ticket.index()] = plan.ticket_bad;
    injected[NormId::Taboo.index()] = plan.taboo || plan.insult;

    Call {
        call_id,
        op,
        started,
        ended_by,
        utts,
        has_ticket,
        injected,
        topic,
        case,
        unit,
        handling,
        title,
        named,
        phone,
        where_,
        event_time,
        staff,
        staff_no,
        ticket_bad: plan.ticket_bad,
        plan,
    }
}

impl Utt {
    fn blank(who: Who) -> Utt {
        Utt {
            who,
            text: String::new(),
            tags: Tags::default(),
            number_ok: None,
            gap: Gap::Normal,
            start: 0,
            end: 0,
            conf: None,
        }
    }
}

/// Durations from characters and speaking rates, gaps, and ASR confidence.
fn layout(rng: &mut Rng, utts: &mut [Utt], plan: &Plan) {
    let agent_rate = match plan.pace {
        1 => 335.0 + 65.0 * rng.unit(),
        -1 => 80.0 + 25.0 * rng.unit(),
        _ => 185.0 + 70.0 * rng.unit(),
    };
    let mut dur = Vec::with_capacity(utts.len());
    for u in utts.iter() {
        let chars = crate::text::count_chars(&u.text) as f64;
        let rate = match u.who {
            Who::Agent => agent_rate * (0.93 + 0.14 * rng.unit()),
            Who::Caller => 190.0 + 100.0 * rng.unit(),
            Who::Unit => 200.0 + 60.0 * rng.unit(),
        };
        dur.push(((chars * 600.0 / rate).round() as i64).max(4));
    }
    // Transitions caller → agent, and who spoke before.
    let last_agent_before = |utts: &[Utt], i: usize| -> Option<usize> {
        (0..i).rev().find(|&j| utts[j].who == Who::Agent)
    };
    let mut candidates: Vec<usize> = Vec::new();
    for k in 1..utts.len() {
        if utts[k - 1].who == Who::Caller && utts[k].who == Who::Agent {
            let waited = last_agent_before(utts, k - 1).is_some_and(|j| utts[j].tags.wait);
            if waited {
                if rng.chance(0.75) {
                    utts[k].gap = Gap::AfterWait;
                }
            } else {
                candidates.push(k);
            }
        }
    }
    // Interruptions on the longest caller utterances.
    let mut long: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&k| dur[k - 1] >= 25)
        .collect();
    let mut cuts = usize::from(plan.interrupts);
    while cuts > 0 && !long.is_empty() {
        let j = rng.below(long.len() as u64) as usize;
        let k = long.swap_remove(j);
        let max = (dur[k - 1] - 8).min(20);
        utts[k].gap = Gap::Overlap(rng.range(12, max.max(12)));
        candidates.retain(|&c| c != k);
        cuts -= 1;
    }
    // A slight overlap now and then, under a second: not an interruption.
    if rng.chance(0.03) {
        if let Some(&k) = candidates.iter().find(|&&k| dur[k - 1] >= 15) {
            utts[k].gap = Gap::Overlap(rng.range(3, 7));
            candidates.retain(|&c| c != k);
        }
    }
    if plan.slow && !candidates.is_empty() {
        let k = *rng.pick(&candidates);
        utts[k].gap = Gap::Slow;
    }
    let mut cursor: i64 = 0;
    for k in 0..utts.len() {
        let start = if k == 0 {
            if utts[0].who == Who::Agent && plan.late_first {
                rng.range(35, 75)
            } else {
                rng.range(3, 25)
            }
        } else {
            match utts[k].gap {
                Gap::Overlap(o) => utts[k - 1].end - o,
                Gap::Slow => cursor + rng.range(60, 120),
                Gap::AfterWait => cursor + rng.range(60, 250),
                Gap::Ring => cursor + rng.range(30, 80),
                Gap::Normal => {
                    let lo_hi = match (utts[k - 1].who, utts[k].who) {
                        (Who::Agent, Who::Agent) => (3, 12),
                        (Who::Unit, _) | (_, Who::Unit) => (4, 12),
                        _ => (3, 18),
                    };
                    cursor + rng.range(lo_hi.0, lo_hi.1)
                }
            }
        };
        // The first agent utterance of a call where the caller spoke first
        // keeps its planned lateness relative to the call start.
        utts[k].start = start;
        utts[k].end = start + dur[k];
        cursor = cursor.max(utts[k].end);
    }
    // Confidence.
    let mode = rng.weighted(&[95, 3, 2]);
    let mode = if plan.low_conf && mode == 1 { 0 } else { mode };
    let base = if plan.low_conf {
        0.55 + 0.13 * rng.unit()
    } else {
        0.85 + 0.09 * rng.unit()
    };
    let mut any_agent_conf = false;
    for u in utts.iter_mut() {
        let missing = match mode {
            1 => true,
            2 => rng.chance(0.35),
            _ => false,
        };
        let c = match u.who {
            Who::Agent => {
                let (lo, hi) = if plan.low_conf {
                    (0.45, 0.72)
                } else {
                    (0.80, 0.98)
                };
                (base + 0.08 * rng.unit() - 0.04).clamp(lo, hi)
            }
            Who::Caller => 0.78 + 0.19 * rng.unit(),
            Who::Unit => 0.80 + 0.15 * rng.unit(),
        };
        if !missing {
            u.conf = Some((c * 100.0).round() as u32);
            any_agent_conf |= u.who == Who::Agent;
        }
    }
    if plan.low_conf && !any_agent_conf {
        if let Some(u) = utts.iter_mut().find(|u| u.who == Who::Agent) {
            u.conf = Some(60);
        }
    }
}

// ---------------------------------------------------------------------------
// Writing a call
// ---------------------------------------------------------------------------

fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                use fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_tenths(out: &mut String, t: i64) {
    use fmt::Write as _;
    let _ = write!(out, "{}.{}", t / 10, t % 10);
}

fn push_hundredths(out: &mut String, h: u32) {
    use fmt::Write as _;
    if h.is_multiple_of(10) {
        let _ = write!(out, "{}.{}", h / 100, (h % 100) / 10);
    } else {
        let _ = write!(out, "{}.{:02}", h / 100, h % 100);
    }
}

fn fmt_time(t: NaiveDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl Call {
    fn write_json(&self, ctx: &Ctx, out: &mut String) {
        use fmt::Write as _;
        let op = &ctx.operators[self.op];
        out.push_str("{\"call_id\": ");
        push_json_str(out, &self.call_id);
        out.push_str(", \"operator_id\": ");
        push_json_str(out, &op.id);
        out.push_str(", \"operator_name\": ");
        push_json_str(out, &op.name);
        out.push_str(", \"team\": ");
        push_json_str(out, op.team);
        let s = self.started;
        let _ = write!(
            out,
            ", \"started_at\": \"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00\"",
            s.year(),
            s.month(),
            s.day(),
            s.hour(),
            s.minute(),
            s.second()
        );
        if let Some(w) = self.ended_by {
            let _ = write!(out, ", \"ended_by\": \"{}\"", w.key());
        }
        out.push_str(", \"utterances\": [");
        for (k, u) in self.utts.iter().enumerate() {
            if k > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{{\"speaker\": \"{}\", \"start\": ", u.who.key());
            push_tenths(out, u.start);
            out.push_str(", \"end\": ");
            push_tenths(out, u.end);
            out.push_str(", \"text\": ");
            push_json_str(out, &u.text);
            if let Some(c) = u.conf {
                out.push_str(", \"confidence\": ");
                push_hundredths(out, c);
            }
            out.push('}');
        }
        out.push_str("]}\n");
    }

    /// Seconds from the call start to its last utterance's end.
    fn length_s(&self) -> i64 {
        self.utts.iter().map(|u| u.end).max().unwrap_or(0) / 10 + 1
    }
}

// ---------------------------------------------------------------------------
// Tickets
// ---------------------------------------------------------------------------

const TICKET_HEADER: [&str; 28] = [
    "ticket_id",
    "call_id",
    "operator_id",
    "accepted_at",
    "category",
    "subcategory",
    "handling",
    "urgency",
    "caller_name",
    "caller_phone",
    "event_time",
    "event_location",
    "content",
    "complained_staff_name",
    "complained_staff_no",
    "unit",
    "unit_level",
    "hot_issue",
    "dispatched_at",
    "due_at",
    "completed_at",
    "feedback_at",
    "urged_at",
    "urged_by",
    "supervised_at",
    "callback_at",
    "callback_operator_id",
    "callback_result",
];

#[derive(Clone, Debug, Default)]
struct GenTicket {
    ticket_id: String,
    call_id: String,
    operator_id: String,
    accepted_at: NaiveDateTime,
    category: &'static str,
    subcategory: &'static str,
    handling: &'static str,
    urgency: &'static str,
    caller_name: String,
    caller_phone: String,
    event_time: String,
    event_location: String,
    content: String,
    staff_name: String,
    staff_no: String,
    unit: &'static str,
    hot: bool,
    dispatched_at: Option<NaiveDateTime>,
    due_at: Option<NaiveDateTime>,
    completed_at: Option<NaiveDateTime>,
    feedback_at: Option<NaiveDateTime>,
    urged_at: Option<NaiveDateTime>,
    urged_by: &'static str,
    supervised_at: Option<NaiveDateTime>,
    callback_at: Option<NaiveDateTime>,
    callback_operator_id: String,
    callback_result: &'static str,
}

fn unit_level(unit: &str) -> &'static str {
    if unit.is_empty() {
        ""
    } else if unit.starts_with('市') {
        "市直"
    } else {
        "县级"
    }
}

/// What a ticket's content is written from.
#[derive(Clone, Copy)]
struct ContentSlots<'a> {
    kind: Kind,
    case: &'a Case,
    where_: &'a str,
    event_time: &'a str,
    unit: &'a str,
    staff: &'a str,
    staff_no: &'a str,
    /// The agent pointed to the right channel (涉法涉诉, 违法乱纪).
    guided: bool,
}

fn content_for(rng: &mut Rng, c: &ContentSlots<'_>) -> String {
    // The danger the caller speaks of (怕掉下来砸到人, 差点摔倒) is part of
    // the matter: a ticket that leaves it out breaks ticket.harm_omitted.
    let danger =
        if crate::cues::cue::find(crate::cues::cue::CueKind::Harm, c.case.detail).is_empty() {
            ""
        } else {
            "来电人称存在人身安全隐患。"
        };
    let content = content_of(rng, c);
    format!("{content}{danger}")
}

fn content_of(rng: &mut Rng, c: &ContentSlots<'_>) -> String {
    let ContentSlots {
        kind,
        case,
        where_,
        event_time,
        unit,
        staff,
        staff_no,
        guided,
    } = *c;
    match kind {
        Kind::Dispatch => match rng.below(3) {
            0 => format!(
                "来电人反映{where_}{}，{event_time}至今未解决，请求相关部门尽快核实处理。",
                case.issue
            ),
            1 => format!(
                "来电人反映{}，地点位于{where_}，请求{unit}尽快处理并答复来电人。",
                case.issue
            ),
            _ => format!(
                "来电人称{where_}{}，影响周边居民正常生活，请求相关部门尽快处理。",
                case.issue
            ),
        },
        Kind::Emergency => format!(
            "来电人反映{where_}有明显燃气泄漏气味，已三方通话转{unit}抢修，并提醒来电人开窗通风、撤离楼道。"
        ),
        Kind::Consult => {
            if rng.chance(0.5) {
                format!("来电人咨询{}，已告知相关政策和办理方式。", case.issue)
            } else {
                format!(
                    "来电人咨询{}，已按政策口径答复并告知{unit}的办理渠道。",
                    case.issue
                )
            }
        }
        Kind::Legal => {
            if guided {
                format!(
                    "来电人反映{}，属涉法涉诉事项，已告知拨打法律援助热线或向法院起诉。",
                    case.issue
                )
            } else {
                format!("来电人反映{}，已作记录。", case.issue)
            }
        }
        Kind::Discipline => {
            // The place the caller names when asked (临江县白沙镇的) is the
            // matter's place: the ticket records it (ticket.place_missing).
            let place = case
                .ask
                .and_then(|(_, _, a)| {
                    crate::cues::place::places(a)
                        .first()
                        .map(|p| format!("{}，", p.span.of(a)))
                })
                .unwrap_or_default();
            if guided {
                format!(
                    "来电人举报{place}{}，已告知拨打纪检监察举报电话12388反映。",
                    case.issue
                )
            } else {
                format!(
                    "来电人举报{place}{}，已记录并告知将转相关部门。",
                    case.issue
                )
            }
        }
        Kind::PraiseHotline => format!("来电人{}，对热线服务表示感谢。", case.issue),
        Kind::PraiseUnit => format!(
            "来电人表扬{unit}工作人员处理问题及时、服务热情，请求转达表扬。"
        ),
        Kind::StaffComplaint => format!(
            "来电人投诉{unit}服务大厅工作人员{staff}（工号{staff_no}）办事时玩手机、态度冷淡，请求核实处理。"
        ),
    }
}

fn short_content(handling: &str, issue: &str) -> String {
    if handling == "直接办理" {
        format!("咨询{}", issue.chars().take(4).collect::<String>())
    } else {
        format!("反映{}", issue.chars().take(8).collect::<String>())
    }
}

/// Moves a time outside office hours (08:00–20:00) to the next morning,
/// keeping its minutes: units, 班长 and callbacks work in the day.
fn office(t: NaiveDateTime) -> NaiveDateTime {
    let h = t.hour();
    let at = |d: NaiveDate, h: u32| {
        d.and_hms_opt(h, t.minute(), t.second())
            .unwrap_or_else(|| d.and_time(NaiveTime::MIN))
    };
    if h < 8 {
        at(t.date(), 8 + h % 2)
    } else if h >= 20 {
        at(t.date().succ_opt().unwrap_or(t.date()), 8 + (h - 20) % 3)
    } else {
        t
    }
}

fn minutes(rng: &mut Rng, lo: i64, hi: i64) -> Duration {
    Duration::seconds(rng.range(lo * 60, hi * 60))
}

fn callback_result(rng: &mut Rng) -> &'static str {
    match rng.weighted(&[70, 16, 6, 8]) {
        0 => "满意",
        1 => "基本满意",
        2 => "不满意",
        _ => "",
    }
}

fn other_operator(ctx: &Ctx, rng: &mut Rng, op: &str) -> String {
    if rng.chance(0.25) {
        return String::new();
    }
    loop {
        let o = &ctx.operators[rng.below(ctx.operators.len() as u64) as usize].id;
        if o != op {
            return o.clone();
        }
    }
}

/// The ticket of a call of the day.
fn call_ticket(ctx: &Ctx, rng: &mut Rng, call: &Call, seq: u64) -> GenTicket {
    let kind = call.topic.kind;
    let direct = call.handling == "直接办理";
    let op = ctx.operators[call.op].id.clone();
    let accepted =
        call.started + Duration::seconds(call.length_s()) + Duration::seconds(rng.range(30, 240));
    let guided = !matches!(
        (kind, call.plan.process_bad),
        (Kind::Legal, Some(1)) | (Kind::Discipline, Some(3))
    );
    let urgency = if kind == Kind::Emergency {
        "一般应急"
    } else if call.case.urgent && !direct {
        "急办"
    } else {
        "普通"
    };
    let misroute = *rng.pick(&LEGAL_MISROUTE);
    let unit = match kind {
        _ if direct => "",
        Kind::Legal => misroute,
        Kind::Discipline => "市信访局",
        Kind::PraiseHotline => "市政务服务中心",
        _ => call.unit,
    };
    let located = !direct || rng.chance(0.2);
    let mut t = GenTicket {
        ticket_id: format!("GD{}{:06}", ctx.day_str, seq),
        call_id: call.call_id.clone(),
        operator_id: op.clone(),
        accepted_at: accepted,
        category: call.topic.category,
        subcategory: call.case.sub,
        handling: call.handling,
        urgency,
        caller_name: if call.named {
            call.title.clone()
        } else if direct && rng.chance(0.5) {
            String::new()
        } else {
            "匿名".into()
        },
        caller_phone: call.phone.clone(),
        event_time: if located {
            call.event_time.clone()
        } else {
            String::new()
        },
        event_location: if located {
            call.where_.clone()
        } else {
            String::new()
        },
        content: content_for(
            rng,
            &ContentSlots {
                kind,
                case: call.case,
                where_: &call.where_,
                event_time: &call.event_time,
                unit,
                staff: &call.staff,
                staff_no: &call.staff_no,
                guided,
            },
        ),
        staff_name: if kind == Kind::StaffComplaint {
            call.staff.clone()
        } else {
            String::new()
        },
        staff_no: if kind == Kind::StaffComplaint {
            call.staff_no.clone()
        } else {
            String::new()
        },
        unit,
        ..GenTicket::default()
    };
    if call.ticket_bad {
        let mut options: Vec<u8> = if direct { vec![4] } else { vec![0, 1, 2, 3, 4] };
        if kind == Kind::StaffComplaint {
            options.extend([5, 6]);
        }
        match *rng.pick(&options) {
            0 => t.caller_name.clear(),
            1 => t.caller_phone.clear(),
            2 => t.event_time.clear(),
            3 => t.event_location.clear(),
            4 => t.content = short_content(t.handling, call.case.issue),
            5 => t.staff_no.clear(),
            _ => t.staff_name.clear(),
        }
    }
    if direct {
        return t;
    }
    // This day's clock: dispatched today (or tomorrow morning, i.e. not yet
    // at the as-of time), rarely finished today.
    let dispatched = if t.handling == "电话交办" {
        accepted + Duration::seconds(rng.range(60, 180))
    } else {
        office(accepted + minutes(rng, 5, 180))
    };
    if dispatched >= ctx.as_of - Duration::seconds(60) {
        return t;
    }
    t.dispatched_at = Some(dispatched);
    t.hot = rng.chance(0.04);
    let limit = ctx.as_of - Duration::seconds(60);
    let done = if kind == Kind::Emergency {
        Some(dispatched + minutes(rng, 40, 180))
    } else if rng.chance(0.06) {
        Some(office(dispatched + minutes(rng, 60, 480)))
    } else {
        None
    };
    if let Some(done) = done.filter(|d| *d < limit) {
        t.completed_at = Some(done);
        let fb = done + minutes(rng, 10, 60);
        if fb < limit {
            t.feedback_at = Some(fb);
            let cb = office(fb + minutes(rng, 30, 240));
            if cb < limit && rng.chance(0.7) {
                t.callback_at = Some(cb);
                t.callback_operator_id = if rng.chance(0.96) {
                    op.clone()
                } else {
                    other_operator(ctx, rng, &op)
                };
                t.callback_result = callback_result(rng);
            }
        }
    }
    let needs_supervision = t.hot || t.callback_result == "不满意";
    if needs_supervision && rng.chance(0.92) {
        let from = t.callback_at.unwrap_or(dispatched);
        let s = office(from + minutes(rng, 20, 240));
        t.supervised_at = Some(if s < limit { s } else { limit });
    }
    t
}

/// An older ticket, accepted in the weeks before the day.
fn old_ticket(ctx: &Ctx, rng: &mut Rng, j: u64, n: u64) -> GenTicket {
    let days_back = 1 + (40 * (n - 1 - j.min(n - 1))) / n.max(1);
    let date = ctx.day - Duration::days(days_back as i64);
    let accepted =
        date.and_time(NaiveTime::MIN) + Duration::seconds(rng.range(7 * 3600, 22 * 3600));
    // A dispatched topic, or now and then a consultation handled directly.
    let direct = rng.chance(0.07);
    let topic = loop {
        let weights: Vec<u32> = TOPICS.iter().map(|t| t.weight).collect();
        let t = &TOPICS[rng.weighted(&weights)];
        let ok = if direct {
            t.kind == Kind::Consult
        } else {
            matches!(t.kind, Kind::Dispatch | Kind::StaffComplaint)
        };
        if ok {
            break t;
        }
    };
    let case: &Case = rng.pick(topic.cases);
    let unit = if direct { "" } else { *rng.pick(topic.units) };
    let district = *rng.pick(&DISTRICTS);
    let where_ = if case.road {
        format!(
            "{district}{}与{}交叉口附近",
            rng.pick(&ROADS),
            rng.pick(&ROADS)
        )
    } else {
        format!(
            "{district}{}{}号楼",
            rng.pick(&COMMUNITIES),
            rng.pick(&BUILDINGS)
        )
    };
    let event_time = format!("{}年{}月{}日", date.year(), date.month(), date.day());
    let op = ctx.operators[rng.below(ctx.operators.len() as u64) as usize]
        .id
        .clone();
    let staff = format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN));
    let staff_no = format!("{}", rng.range(10_000, 99_999));
    let surname = *rng.pick(&SURNAMES);
    let handling = if direct {
        "直接办理"
    } else if rng.chance(0.04) {
        "电话交办"
    } else {
        "工单转办"
    };
    let mut t = GenTicket {
        ticket_id: format!("GD{}{:06}", date.format("%Y%m%d"), j + 1),
        call_id: if rng.chance(0.1) {
            String::new()
        } else {
            format!("{}-{:06}", date.format("%Y%m%d"), 900_000 + j)
        },
        operator_id: op.clone(),
        accepted_at: accepted,
        category: topic.category,
        subcategory: case.sub,
        handling,
        urgency: if !direct && rng.chance(0.05) {
            "急办"
        } else {
            "普通"
        },
        caller_name: if rng.chance(0.1) {
            "匿名".into()
        } else {
            format!("{surname}{}", if rng.chance(0.5) { "女士" } else { "先生" })
        },
        caller_phone: mobile(rng),
        event_time: if direct {
            String::new()
        } else {
            event_time.clone()
        },
        event_location: if direct {
            String::new()
        } else {
            where_.clone()
        },
        content: content_for(
            rng,
            &ContentSlots {
                kind: topic.kind,
                case,
                where_: &where_,
                event_time: &event_time,
                unit,
                staff: &staff,
                staff_no: &staff_no,
                guided: true,
            },
        ),
        staff_name: if topic.kind == Kind::StaffComplaint {
            staff.clone()
        } else {
            String::new()
        },
        staff_no: if topic.kind == Kind::StaffComplaint {
            staff_no.clone()
        } else {
            String::new()
        },
        unit,
        ..GenTicket::default()
    };
    if direct {
        return t;
    }
    let cal = &ctx.calendar;
    let as_of = ctx.as_of;
    let limit = as_of - Duration::seconds(60);
    let dispatched = office(accepted + minutes(rng, 10, 240));
    t.dispatched_at = Some(dispatched);
    t.hot = rng.chance(0.06);
    let due = due_of(&t, dispatched, cal);
    if rng.chance(0.1) {
        t.due_at = Some(due);
    }
    let urge_end = end_of_day(cal.nth_working_day_after(due.date(), 1));
    // Outcome.
    let past_due = due < as_of;
    let window_closed = urge_end < as_of;
    let outcome = if past_due {
        match rng.weighted(&[82, 10, 8]) {
            0 => 0, // on time
            1 => 1, // late
            _ => 2, // open overdue
        }
    } else if rng.chance(0.45) {
        0
    } else {
        3 // open
    };
    let mut completed = None;
    match outcome {
        0 => {
            let hi = if due < limit { due } else { limit };
            let span = (hi - dispatched).num_minutes();
            if span > 90 {
                completed = Some(office(dispatched + minutes(rng, 60, span)).min(limit));
            }
        }
        1 => {
            let hi = (due + Duration::days(10)).min(limit);
            let span = (hi - due).num_minutes();
            if span > 90 {
                completed = Some(office(due + minutes(rng, 60, span)).min(limit));
            }
        }
        _ => {}
    }
    t.completed_at = completed;
    let overdue = match completed {
        Some(c) => c > due,
        None => as_of > due,
    };
    // Urge.
    if overdue {
        let last = completed.unwrap_or(limit).min(urge_end).min(limit);
        let choice = rng.weighted(&[60, 25, 15]);
        let in_time_span = (last - due).num_minutes();
        if choice == 1 && window_closed {
            // Not urged.
        } else if choice == 2
            && window_closed
            && completed.is_none()
            && urge_end + Duration::hours(2) < limit
        {
            let span = (limit - urge_end).num_minutes().min(60 * 24 * 5);
            t.urged_at = Some(office(urge_end + minutes(rng, 60, span.max(61))).min(limit));
        } else if in_time_span > 10 {
            t.urged_at = Some(office(due + minutes(rng, 5, in_time_span)).min(limit));
        } else {
            t.urged_at = Some(due + Duration::seconds(rng.range(1, 240)));
        }
    } else if rng.chance(0.08) {
        let hi = completed.unwrap_or(limit).min(due).min(limit);
        let span = (hi - dispatched).num_minutes();
        if span > 30 {
            t.urged_at = Some(office(dispatched + minutes(rng, 10, span)).min(limit));
        }
    }
    if t.urged_at.is_some() {
        let right = if t.hot { "办公室" } else { "班长" };
        let wrong = if t.hot { "班长" } else { "办公室" };
        t.urged_by = if rng.chance(0.25) { wrong } else { right };
    }
    // Feedback and callback.
    if let Some(c) = completed {
        let fb = office(c + minutes(rng, 10, 240));
        if fb < limit {
            t.feedback_at = Some(fb);
            let deadline = end_of_day(cal.nth_working_day_after(fb.date(), 3));
            let choice = rng.weighted(&[88, 6, 6]);
            let cb = match choice {
                0 => {
                    let hi = deadline.min(limit);
                    let span = (hi - fb).num_minutes();
                    (span > 40).then(|| office(fb + minutes(rng, 30, span)).min(limit))
                }
                1 => {
                    let from = deadline + Duration::hours(1);
                    let span = (limit - from).num_minutes().min(60 * 24 * 4);
                    (span > 10).then(|| office(from + minutes(rng, 1, span)).min(limit))
                }
                _ => None,
            };
            if let Some(cb) = cb {
                t.callback_at = Some(cb);
                t.callback_operator_id = if rng.chance(0.9) {
                    op.clone()
                } else {
                    other_operator(ctx, rng, &op)
                };
                t.callback_result = callback_result(rng);
            }
        }
    }
    // Supervision.
    let required = t.hot || overdue || t.callback_result == "不满意";
    if (required && rng.chance(0.75)) || (!required && rng.chance(0.01)) {
        let from = if overdue { due } else { dispatched };
        let s = office(from + minutes(rng, 60, 60 * 30));
        t.supervised_at = Some(if s < limit { s } else { limit });
    }
    t
}

fn end_of_day(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(23, 59, 59)
        .unwrap_or_else(|| d.and_time(NaiveTime::MIN))
}

/// The due time of a dispatched ticket (README: 急办 24 hours; 咨询 3
/// working days; else 5; counted from the day after dispatch, ending at
/// 23:59:59), or the ticket's own `due_at`.
fn due_of(t: &GenTicket, dispatched: NaiveDateTime, cal: &Calendar) -> NaiveDateTime {
    if let Some(d) = t.due_at {
        return d;
    }
    if t.urgency == "急办" {
        return dispatched + Duration::hours(24);
    }
    let n = if t.category == "咨询" { 3 } else { 5 };
    end_of_day(cal.nth_working_day_after(dispatched.date(), n))
}

/// Status index (STATUS_KEYS) and the six flags at the as-of time.
fn ticket_truth(t: &GenTicket, cal: &Calendar, as_of: NaiveDateTime) -> (usize, [bool; 6]) {
    let Some(dispatched) = t.dispatched_at.filter(|_| t.handling != "直接办理") else {
        return (0, [false; 6]);
    };
    let due = due_of(t, dispatched, cal);
    let status = match t.completed_at {
        Some(c) if c <= due => 1,
        Some(_) => 2,
        None if as_of > due => 4,
        None => 3,
    };
    let overdue = status == 2 || status == 4;
    let urge_end = end_of_day(cal.nth_working_day_after(due.date(), 1));
    let overdue_not_urged = overdue && t.urged_at.is_none_or(|u| u > urge_end);
    let urged_by_wrong =
        t.urged_at.is_some() && t.urged_by != if t.hot { "办公室" } else { "班长" };
    let not_supervised =
        (t.callback_result == "不满意" || t.hot || overdue) && t.supervised_at.is_none();
    let callback_late = match t.feedback_at {
        None => false,
        Some(fb) => {
            let deadline = end_of_day(cal.nth_working_day_after(fb.date(), 3));
            match t.callback_at {
                Some(cb) => cb > deadline,
                None => as_of > deadline,
            }
        }
    };
    let by_other = t.callback_at.is_some() && t.callback_operator_id != t.operator_id;
    let result_missing = t.callback_at.is_some() && t.callback_result.is_empty();
    (
        status,
        [
            overdue_not_urged,
            urged_by_wrong,
            not_supervised,
            callback_late,
            by_other,
            result_missing,
        ],
    )
}

fn write_ticket<W: Write>(
    ctx: &Ctx,
    t: &GenTicket,
    out: &mut csv::Writer<W>,
    truth: &mut BufWriter<File>,
    summary: &mut GenSummary,
) -> anyhow::Result<()> {
    let time = |x: Option<NaiveDateTime>| x.map(fmt_time).unwrap_or_default();
    out.write_record([
        t.ticket_id.as_str(),
        &t.call_id,
        &t.operator_id,
        &fmt_time(t.accepted_at),
        t.category,
        t.subcategory,
        t.handling,
        t.urgency,
        &t.caller_name,
        &t.caller_phone,
        &t.event_time,
        &t.event_location,
        &t.content,
        &t.staff_name,
        &t.staff_no,
        t.unit,
        unit_level(t.unit),
        if t.hot { "是" } else { "否" },
        &time(t.dispatched_at),
        &time(t.due_at),
        &time(t.completed_at),
        &time(t.feedback_at),
        &time(t.urged_at),
        t.urged_by,
        &time(t.supervised_at),
        &time(t.callback_at),
        &t.callback_operator_id,
        t.callback_result,
    ])?;
    let (status, flags) = ticket_truth(t, &ctx.calendar, ctx.as_of);
    write!(truth, "{},{}", t.ticket_id, STATUS_KEYS[status])?;
    for (k, f) in flags.iter().enumerate() {
        write!(truth, ",{f}")?;
        summary.flags[k] += u64::from(*f);
    }
    writeln!(truth)?;
    summary.statuses[status] += 1;
    summary.tickets += 1;
    Ok(())
}

// ---------------------------------------------------------------------------
// The truth of a call
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Na,
    Ok,
    Violated,
}

impl Verdict {
    fn key(self) -> &'static str {
        match self {
            Verdict::Na => "na",
            Verdict::Ok => "ok",
            Verdict::Violated => "violated",
        }
    }

    fn of(violated: bool) -> Verdict {
        if violated {
            Verdict::Violated
        } else {
            Verdict::Ok
        }
    }
}

struct CallTruth {
    norms: [Verdict; 11],
    red_line: bool,
}

/// What the scorer must find, computed from the call as generated.
fn call_truth(call: &Call, ticket: Option<&GenTicket>) -> CallTruth {
    use Verdict::{Na, Violated};
    let utts = &call.utts;
    let agent: Vec<&Utt> = utts.iter().filter(|u| u.who == Who::Agent).collect();
    let mut v = [Na; 11];
    let set = |v: &mut [Verdict; 11], n: NormId, x: Verdict| v[n.index()] = x;
    if agent.is_empty() {
        set(&mut v, NormId::Greeting, Violated);
        set(&mut v, NormId::Attitude, Violated);
    } else {
        // 1 greeting: by construction.
        set(
            &mut v,
            NormId::Greeting,
            Verdict::of(call.plan.greeting_bad),
        );
        // 2 closing.
        let closed = agent.iter().rev().take(2).any(|u| u.tags.closing);
        let caller_last = utts.last().is_some_and(|u| u.who == Who::Caller);
        set(
            &mut v,
            NormId::Closing,
            if closed {
                Verdict::Ok
            } else if call.ended_by == Some(Who::Caller) && caller_last {
                Na
            } else {
                Violated
            },
        );
        // 3 courtesy: slang, or 你 (not 你们) twice or more.
        let mut ni = 0;
        for u in &agent {
            let chars: Vec<char> = u.text.chars().filter(|c| c.is_alphanumeric()).collect();
            for (k, &c) in chars.iter().enumerate() {
                if c == '你' && chars.get(k + 1) != Some(&'们') {
                    ni += 1;
                }
            }
        }
        set(
            &mut v,
            NormId::Courtesy,
            Verdict::of(agent.iter().any(|u| u.tags.slang) || ni >= 2),
        );
        // 4 pace: measured.
        let mut chars = 0usize;
        let mut secs = 0.0f64;
        for u in &agent {
            let n = crate::text::count_chars(&u.text);
            if n >= 5 {
                chars += n;
                secs += u.end as f64 / 10.0 - u.start as f64 / 10.0;
            }
        }
        if chars > 0 && secs > 0.0 {
            let rate = chars as f64 / secs * 60.0;
            set(
                &mut v,
                NormId::Pace,
                Verdict::of(!(120.0..=300.0).contains(&rate)),
            );
        }
        // 5 clarity: measured mean confidence, repeat requests.
        let confs: Vec<f64> = agent
            .iter()
            .filter_map(|u| u.conf.map(|c| f64::from(c) / 100.0))
            .collect();
        let low = !confs.is_empty() && confs.iter().sum::<f64>() / (confs.len() as f64) < 0.75;
        let repeats = utts
            .iter()
            .filter(|u| u.who == Who::Caller && u.tags.repeat)
            .count();
        set(&mut v, NormId::Clarity, Verdict::of(low || repeats >= 2));
        // 6 accuracy.
        let numbers: Vec<bool> = agent.iter().filter_map(|u| u.number_ok).collect();
        if !numbers.is_empty() {
            set(
                &mut v,
                NormId::Accuracy,
                Verdict::of(numbers.iter().any(|ok| !ok)),
            );
        }
        // 8 communication: measured interruptions; questions by tag.
        let mut cuts = 0;
        for a in &agent {
            if utts
                .iter()
                .any(|c| c.who == Who::Caller && c.start < a.start && a.start <= c.end - 10)
            {
                cuts += 1;
            }
        }
        let callers = utts.iter().filter(|u| u.who == Who::Caller).count();
        let asked = agent.iter().any(|u| u.tags.question);
        set(
            &mut v,
            NormId::Communication,
            Verdict::of(cuts >= 2 || (callers >= 4 && !asked)),
        );
        // 9 attitude: measured.
        let first_late = agent[0].start > 30;
        let mut slow = false;
        for k in 0..utts.len().saturating_sub(1) {
            let (c, a) = (&utts[k], &utts[k + 1]);
            if c.who != Who::Caller || a.who != Who::Agent || a.start - c.end <= 50 {
                continue;
            }
            let waited = utts[..k]
                .iter()
                .rev()
                .find(|u| u.who == Who::Agent)
                .is_some_and(|u| u.tags.wait);
            if !waited {
                slow = true;
            }
        }
        set(&mut v, NormId::Attitude, Verdict::of(first_late || slow));
        // 11 taboo.
        set(
            &mut v,
            NormId::Taboo,
            Verdict::of(agent.iter().any(|u| u.tags.taboo || u.tags.insult)),
        );
    }
    if let Some(t) = ticket {
        // 7 process.
        let dispatched = t.handling == "工单转办";
        let mut bad = false;
        if t.category == "求助"
            && (t.subcategory.contains("涉法涉诉")
                || utts
                    .iter()
                    .any(|u| u.who == Who::Caller && u.tags.legal_words))
        {
            bad |= dispatched || !agent.iter().any(|u| u.tags.legal_channel);
        }
        if t.category == "投诉举报" && t.subcategory.contains("违法乱纪") {
            bad |= dispatched || !agent.iter().any(|u| u.tags.discipline_channel);
        }
        if t.category == "表扬" {
            let want = if t.subcategory.contains("表扬热线") {
                "直接办理"
            } else {
                "工单转办"
            };
            bad |= t.handling != want;
        }
        if matches!(t.urgency, "一般应急" | "重大应急") {
            bad |= t.handling != "电话交办";
        }
        set(&mut v, NormId::Process, Verdict::of(bad));
        // 10 ticket.
        let content = crate::text::count_chars(&t.content);
        let mut bad = false;
        if t.handling == "直接办理" {
            bad |= content < 10;
        } else {
            bad |= [
                &t.caller_name,
                &t.caller_phone,
                &t.event_time,
                &t.event_location,
            ]
            .iter()
            .any(|s| s.trim().is_empty());
            bad |= content < 20;
        }
        if t.subcategory.contains("工作人员态度") {
            bad |= t.staff_name.trim().is_empty() || t.staff_no.trim().is_empty();
        }
        set(&mut v, NormId::Ticket, Verdict::of(bad));
    }
    CallTruth {
        norms: v,
        red_line: agent.iter().any(|u| u.tags.insult),
    }
}

#[cfg(test)]
mod tests {
    //! Template lint: every tag agrees with the built-in lexicons, with
    //! and without punctuation, so that the truth built from tags is the
    //! truth the rules give.
    use super::*;
    use crate::lexicon::{LexiconKind, Lexicons};
    use crate::text::NormText;

    fn sample(t: &str) -> String {
        let mut rng = Rng::new(1, 99, 0);
        let b = Builder {
            rng: &mut rng,
            utts: Vec::new(),
            no_question: false,
            loc: "城东区滨河花园".into(),
            district: "城东区",
            road: "建设路",
            road2: "人民路",
            bldg: "六",
            since: SINCE[5].0,
            detail: NOISE[0].detail,
            surname: "黄",
            title: "黄先生".into(),
            phone: "13857261934".into(),
            unit: "市城管局",
            issue: "路灯不亮",
            staff: "李明".into(),
            staff_sur: "李",
            staff_no: "20318".into(),
            nunit: "市医保局",
            nphone: "2628800".into(),
        };
        b.fill(t)
    }

    fn agent_templates() -> Vec<&'static str> {
        let mut v: Vec<&'static str> = Vec::new();
        for a in [
            &ASK_LOC,
            &ASK_LOC_ROAD,
            &ASK_SINCE,
            &ASK_REPORTED,
            &ASK_NEIGHBOURS,
            &ASK_NAME,
            &ASK_PHONE,
        ] {
            v.extend(a.q);
            v.extend(a.s);
        }
        v.extend(READBACK_Q);
        v.extend(READBACK_S);
        v.extend(SUMMARIES);
        v.extend(EMPATHY);
        v.extend(CLOSINGS);
        v.extend(BAD_CLOSINGS);
        v.extend(NUMBER_TEMPLATES);
        v.extend(WAIT_ASKS);
        v.extend(FOLLOWUPS.iter().map(|f| f.1));
        v.extend(SLANG_INSERTS);
        v.extend(TABOO_INSERTS);
        v.extend(INSULT_INSERTS);
        v.extend(LEGAL_NO_GUIDANCE);
        v.extend([
            DISCIPLINE_SECOND,
            DISCIPLINE_NO_CHANNEL,
            DISCIPLINE_REASSURE,
        ]);
        v.extend(NQ_AGENT);
        v.extend(CONSULT_WRAP);
        v.extend([
            "请您不要慌，请您说一下具体的小区和楼号。",
            "Q|请您不要慌，请问您现在在什么位置？是哪个小区几号楼？",
            "W|好的，请您千万不要开关电灯和电器，不要使用明火，先打开窗户通风，尽快离开楼道。我现在马上为您接通{unit}，请您稍等，不要挂断。",
            "您好，这里是市长热线，{loc}{bldg}号楼楼道有明显的燃气泄漏气味，来电市民正在现场，请你们尽快安排抢修人员上门处理。",
            "P|{title_c}抢修师傅马上就到，请您在楼外安全的地方等候。如果味道越来越大或者出现明火，请立即拨打{nunit}{nphone}。",
            "{title_c}抢修师傅马上就到，请您在楼外安全的地方等候，注意安全。",
            "W|这个情况比较急，我现在帮您联系{unit}，请您稍等，不要挂断。",
            "您好，这里是市长热线，来电市民反映{loc}{issue}，情况比较急，请你们尽快安排人员处理。",
            "{title_c}{unit}已经安排人员过去了，请您保持电话畅通。",
            "{title_c}您反映的{issue}问题我这边也已经登记，后续处理情况我们会继续跟进。",
            "如果后续还有需要，欢迎您随时来电。",
            "Q|请问还有其他需要帮助的吗？",
        ]);
        for t in TOPICS {
            for c in t.cases {
                if let Some((q, s, _)) = c.ask {
                    v.push(q);
                    v.push(s);
                }
                if !c.info.is_empty() {
                    v.push(c.info);
                }
            }
        }
        v
    }

    fn caller_templates() -> Vec<&'static str> {
        let mut v: Vec<&'static str> = Vec::new();
        for a in [
            &ASK_LOC,
            &ASK_LOC_ROAD,
            &ASK_SINCE,
            &ASK_REPORTED,
            &ASK_NEIGHBOURS,
            &ASK_NAME,
            &ASK_PHONE,
        ] {
            v.extend(a.answers);
        }
        v.extend(ANON_ANSWERS);
        v.extend(READBACK_ANSWERS);
        v.extend(CALLER_ACKS);
        v.extend(CONSULT_ACKS);
        v.extend(CALLER_BYES);
        v.extend(CALLER_NUMBER_ACKS);
        v.extend(WAIT_OKS);
        v.extend(FOLLOWUPS.iter().map(|f| f.0));
        v.extend(REPEAT_REQUESTS);
        v.extend(NQ_CALLER);
        v.extend(SILENT_CALLER);
        v.extend([
            DISCIPLINE_CALLER_Q,
            FILLER,
            "好。",
            "好的，谢谢你，再见。",
            "你们辛苦了。",
            "没有了，谢谢。",
        ]);
        for t in TOPICS {
            for c in t.cases {
                v.push(c.opening);
                if !c.detail.is_empty() {
                    v.push(c.detail);
                }
                if let Some((_, _, a)) = c.ask {
                    v.push(a);
                }
            }
        }
        v
    }

    fn hit(lex: &Lexicons, kind: LexiconKind, text: &str) -> bool {
        let stripped: String = text.chars().filter(|c| c.is_alphanumeric()).collect();
        let a = lex.get(kind).is_match(text, &NormText::new(text));
        let b = lex.get(kind).is_match(&stripped, &NormText::new(&stripped));
        assert_eq!(a, b, "punctuation changes the {kind:?} verdict of {text}");
        a
    }

    #[test]
    fn agent_tags_agree_with_the_lexicons() {
        let lex = Lexicons::builtin().expect("lexicons");
        let mut wrong = Vec::new();
        for t in agent_templates() {
            let (tags, raw) = split_tags(t);
            let text = sample(raw);
            let checks = [
                (
                    "question",
                    !tags.greeting && tags.question,
                    !tags.greeting && hit(&lex, LexiconKind::Questions, &text),
                ),
                (
                    "wait",
                    tags.wait,
                    hit(&lex, LexiconKind::WaitRequests, &text),
                ),
                ("slang", tags.slang, hit(&lex, LexiconKind::Slang, &text)),
                (
                    "taboo",
                    tags.taboo,
                    hit(&lex, LexiconKind::Forbidden, &text)
                        || hit(&lex, LexiconKind::Blame, &text),
                ),
                (
                    "insult",
                    tags.insult,
                    hit(&lex, LexiconKind::Insults, &text),
                ),
                (
                    "legal channel",
                    tags.legal_channel,
                    hit(&lex, LexiconKind::LegalChannels, &text),
                ),
                ("你", false, hit(&lex, LexiconKind::AddressNi, &text)),
            ];
            for (what, tagged, found) in checks {
                if tagged != found {
                    wrong.push(format!("{what}: tagged {tagged}, lexicon {found}: {text}"));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn caller_tags_agree_with_the_lexicons() {
        let lex = Lexicons::builtin().expect("lexicons");
        let mut wrong = Vec::new();
        for t in caller_templates() {
            let (tags, raw) = split_tags(t);
            let text = sample(raw);
            if tags.repeat != hit(&lex, LexiconKind::RepeatRequests, &text) {
                wrong.push(format!("repeat request: tagged {}: {text}", tags.repeat));
            }
            if tags.legal_words != hit(&lex, LexiconKind::LegalMatters, &text) {
                wrong.push(format!("legal words: tagged {}: {text}", tags.legal_words));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn rng_is_stable() {
        let mut r = Rng::new(42, 1, 7);
        let v: Vec<u64> = (0..3).map(|_| r.below(1000)).collect();
        let mut r2 = Rng::new(42, 1, 7);
        let w: Vec<u64> = (0..3).map(|_| r2.below(1000)).collect();
        assert_eq!(v, w);
    }
}
