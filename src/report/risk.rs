//! 重大风险: the findings of severity `critical` (spec §2.1: a caller who
//! speaks of self-harm and a ticket that does not escalate it), reported
//! apart from the scores so that a manager sees them the same day: first
//! in the terminal summary, a sheet of their own in report.xlsx (right
//! after 摘要), a section at the top of report.html, and a `critical`
//! count per operator and team.
//!
//! Everything here is decided by the severity, never by a rule id: a rule
//! that gives a finding `Severity::Critical` is reported here without any
//! change to this file. A critical finding costs points like a deduction;
//! it is not a red line (the call's score is not 0).
//!
//! A finding counts as an open risk unless a reviewer dismissed it or an
//! appeal overturned it; a finding waiting for review (low ASR confidence)
//! is open: a person must look at it today all the same. Withdrawn ones
//! stay in the lists, struck out, and are not counted.

use polars::prelude::*;

use crate::model::{Appeal, Finding, Severity, Verdict};
use crate::norms::ScoredCall;
use crate::report::aggregate::OperatorRow;

/// What the hotline does with an open critical finding, as the reports
/// say it: the shift leader (班长) and the hotline office (热线办公室) are
/// told the same day, the caller's safety is checked (a call back, the
/// local 属地 unit, 110 / 120 when in doubt), and the ticket is corrected
/// (urgent, hot issue) so that it reaches a unit.
pub const ACTION_ZH: &str = "请今天通知班长和热线办公室：当天回拨或联系属地核实来电人安全（情况紧急的报 110 / 120），并把工单改为紧急、标为热点后重新派单";

/// The same, in English (`--lang en`).
pub const ACTION_EN: &str = "Tell the shift leader and the hotline office today: call back or ask the local unit to check on the caller (110 / 120 when urgent), and mark the ticket urgent and hot before dispatching it again";

/// What the period's reports say when there is no critical finding.
pub const NONE_ZH: &str = "本期没有重大风险";

/// How a reviewer left a critical finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewState {
    /// Nobody has looked at it yet.
    Unreviewed,
    /// Rests on words heard badly: a person must confirm it.
    NeedsReview,
    /// A reviewer confirmed it.
    Confirmed,
    /// A reviewer added it (the machine did not find it).
    Added,
    /// A reviewer dismissed it: withdrawn.
    Dismissed,
    /// The operator appealed; not decided yet.
    Appealed,
    /// The appeal was rejected: the finding stands.
    Upheld,
    /// The appeal was granted: withdrawn.
    Overturned,
}

impl ReviewState {
    /// From the columns `needs_review`, `verdict` and `appeal` of
    /// findings.csv / findings.parquet. The appeal's outcome decides over
    /// the verdict, as the scorer's reviewed score does.
    pub fn of(needs_review: bool, verdict: Option<Verdict>, appeal: Option<Appeal>) -> Self {
        match (appeal, verdict) {
            (Some(Appeal::Overturned), _) => ReviewState::Overturned,
            (Some(Appeal::Upheld), _) => ReviewState::Upheld,
            (_, Some(Verdict::Dismissed)) => ReviewState::Dismissed,
            (Some(Appeal::Appealed), _) => ReviewState::Appealed,
            (_, Some(Verdict::Added)) => ReviewState::Added,
            (_, Some(Verdict::Confirmed)) => ReviewState::Confirmed,
            _ if needs_review => ReviewState::NeedsReview,
            _ => ReviewState::Unreviewed,
        }
    }

    /// Dismissed or overturned: no longer an open risk.
    pub fn withdrawn(self) -> bool {
        matches!(self, ReviewState::Dismissed | ReviewState::Overturned)
    }

    /// The words the reports show.
    pub fn zh(self) -> &'static str {
        match self {
            ReviewState::Unreviewed => "未复核",
            ReviewState::NeedsReview => "待复核（识别不清，请听录音确认）",
            ReviewState::Confirmed => "复核确认",
            ReviewState::Added => "复核补充",
            ReviewState::Dismissed => "复核误判，已撤销",
            ReviewState::Appealed => "申诉中",
            ReviewState::Upheld => "申诉维持",
            ReviewState::Overturned => "申诉撤销",
        }
    }

    /// In English.
    pub fn en(self) -> &'static str {
        match self {
            ReviewState::Unreviewed => "not reviewed",
            ReviewState::NeedsReview => "needs review (heard badly)",
            ReviewState::Confirmed => "confirmed",
            ReviewState::Added => "added by a reviewer",
            ReviewState::Dismissed => "dismissed (withdrawn)",
            ReviewState::Appealed => "appealed",
            ReviewState::Upheld => "appeal upheld",
            ReviewState::Overturned => "appeal overturned (withdrawn)",
        }
    }
}

/// One critical finding, with what a manager needs to act on it.
#[derive(Clone, Debug, PartialEq)]
pub struct CriticalFinding {
    /// The call.
    pub call_id: String,
    /// When the call started, as calls.csv writes it.
    pub started_at: String,
    /// Seconds from the start of the call (None: the whole call).
    pub at_s: Option<f64>,
    /// The operator who took it.
    pub operator_id: String,
    /// Their name.
    pub operator_name: String,
    /// Their team (班组).
    pub team: String,
    /// Rule id.
    pub rule: String,
    /// The words, masked as in findings.csv.
    pub excerpt: String,
    /// The linked ticket (empty: none).
    pub ticket_id: String,
    /// How reviewers left it.
    pub state: ReviewState,
}

impl CriticalFinding {
    /// Still an open risk (not dismissed, not overturned).
    pub fn open(&self) -> bool {
        !self.state.withdrawn()
    }

    /// The rule's description in Chinese ([`describe`]).
    pub fn description(&self) -> String {
        describe(&self.rule)
    }
}

/// A rule's description as `hotline-qa rules` lists it; a reviewer's
/// added finding (`<norm>.manual`) and a rule this version does not know
/// (a run of a newer version) are named by their norm or id.
pub fn describe(rule: &str) -> String {
    if let Some((_, what)) = crate::norms::RULES.iter().find(|(id, _)| *id == rule) {
        return (*what).to_string();
    }
    let norm = rule.split('.').next().unwrap_or(rule);
    match crate::model::NormId::parse(norm) {
        Some(n) if rule.ends_with(".manual") => format!("复核人补充的{}扣分", n.name_zh()),
        Some(n) => format!("{}：{rule}", n.name_zh()),
        None => rule.to_string(),
    }
}

fn critical_of(s: &ScoredCall, f: &Finding, ticket_id: &str) -> CriticalFinding {
    CriticalFinding {
        call_id: s.call_id.clone(),
        started_at: s.started_at.clone(),
        at_s: f.at_s,
        operator_id: s.operator_id.clone(),
        operator_name: s.operator_name.clone(),
        team: s.team.clone(),
        rule: f.rule.to_string(),
        excerpt: f.excerpt.clone(),
        ticket_id: ticket_id.to_string(),
        state: ReviewState::of(f.needs_review, f.verdict(), f.appeal()),
    }
}

/// The critical findings of one scored call (its excerpts already masked),
/// in its findings' order. Empty, without allocating, for almost every call.
pub fn of_call(s: &ScoredCall, ticket_id: Option<&str>) -> Vec<CriticalFinding> {
    s.findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .map(|f| critical_of(s, f, ticket_id.unwrap_or("")))
        .collect()
}

/// The order every report lists them in: open risks first, then by the
/// call's start time and id; a call's own findings keep their order (the
/// sort is stable), so the order does not depend on threads.
pub fn sort(list: &mut [CriticalFinding]) {
    list.sort_by(|a, b| {
        b.open()
            .cmp(&a.open())
            .then_with(|| a.started_at.cmp(&b.started_at))
            .then_with(|| a.call_id.cmp(&b.call_id))
    });
}

/// How many open risks.
pub fn open_count(list: &[CriticalFinding]) -> u64 {
    list.iter().filter(|c| c.open()).count() as u64
}

/// Sets `critical` on the operator rows and the team rows (the last team
/// row being the hotline's total, as [`crate::report::aggregate`] makes
/// them): open critical findings, by operator id and by team.
pub fn count_into(
    list: &[CriticalFinding],
    operators: &mut [OperatorRow],
    teams: &mut [OperatorRow],
) {
    let (total, teams) = match teams.split_last_mut() {
        Some((t, rest)) => (Some(t), rest),
        None => (None, teams),
    };
    for c in list.iter().filter(|c| c.open()) {
        if let Some(o) = operators
            .iter_mut()
            .find(|o| o.operator_id == c.operator_id)
        {
            o.critical += 1;
        }
        if let Some(t) = teams.iter_mut().find(|t| t.team == c.team) {
            t.critical += 1;
        }
    }
    if let Some(t) = total {
        t.critical = open_count(list);
    }
}

fn strs(df: &DataFrame, name: &str) -> anyhow::Result<Vec<String>> {
    let c = df.column(name)?.cast(&DataType::String)?;
    let ca = c.str()?;
    Ok(ca.iter().map(|v| v.unwrap_or("").to_string()).collect())
}

/// The critical findings of the runs' findings Parquet (their `severity`
/// column), each call once as [`crate::report::aggregate::scan_calls`]
/// de-duplicates them; the call's start time from its calls row, the
/// ticket from the runs' tickets (the first of the call, as `score`
/// links them). Only the few critical rows are held, never the findings.
pub fn from_runs(
    calls: &crate::report::aggregate::Calls,
    tickets: Option<&LazyFrame>,
) -> anyhow::Result<Vec<CriticalFinding>> {
    let Some(findings) = &calls.findings else {
        return Ok(Vec::new());
    };
    let findings = if calls.deduplicated {
        findings.clone()
    } else {
        findings.clone().with_row_index("row", None)
    };
    let df = findings
        .filter(col("severity").eq(lit(Severity::Critical.key())))
        .select([
            col("row"),
            col("call_id"),
            col("operator_id"),
            col("operator_name"),
            col("team"),
            col("rule"),
            col("at_s"),
            col("excerpt"),
            col("needs_review"),
            col("verdict"),
            col("appeal"),
        ])
        .sort(["row"], Default::default())
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    if df.height() == 0 {
        return Ok(Vec::new());
    }
    let ids = strs(&df, "call_id")?;
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    let wanted = DataFrame::new(
        unique.len(),
        vec![Column::new("call_id".into(), unique.clone())],
    )?
    .lazy();
    let pick = |lf: LazyFrame, value: &str| -> anyhow::Result<Vec<(String, String)>> {
        let df = lf
            .with_row_index("hq_order", None)
            .join(
                wanted.clone(),
                [col("call_id")],
                [col("call_id")],
                JoinArgs::new(JoinType::Inner),
            )
            .select([col("hq_order"), col("call_id"), col(value)])
            .sort(["hq_order"], Default::default())
            .collect()?;
        Ok(strs(&df, "call_id")?
            .into_iter()
            .zip(strs(&df, value)?)
            .collect())
    };
    // The first value of each call, in the files' order.
    let first = |pairs: Vec<(String, String)>| {
        let mut m = std::collections::HashMap::new();
        for (k, v) in pairs {
            m.entry(k).or_insert(v);
        }
        m
    };
    let started = match &calls.calls {
        Some(c) => first(pick(c.clone(), "started_at")?),
        None => Default::default(),
    };
    let ticket = match tickets {
        Some(t) => first(pick(
            t.clone().filter(col("call_id").neq(lit(""))),
            "ticket_id",
        )?),
        None => Default::default(),
    };
    let (ops, names, teams) = (
        strs(&df, "operator_id")?,
        strs(&df, "operator_name")?,
        strs(&df, "team")?,
    );
    let (rules, excerpts) = (strs(&df, "rule")?, strs(&df, "excerpt")?);
    let (verdicts, appeals) = (strs(&df, "verdict")?, strs(&df, "appeal")?);
    let at = df.column("at_s")?.cast(&DataType::Float64)?;
    let at = at.f64()?;
    let pending = df.column("needs_review")?.cast(&DataType::Boolean)?;
    let pending = pending.bool()?;
    let mut list: Vec<CriticalFinding> = (0..df.height())
        .map(|i| CriticalFinding {
            call_id: ids[i].clone(),
            started_at: started.get(&ids[i]).cloned().unwrap_or_default(),
            at_s: at.get(i),
            operator_id: ops[i].clone(),
            operator_name: names[i].clone(),
            team: teams[i].clone(),
            rule: rules[i].clone(),
            excerpt: excerpts[i].clone(),
            ticket_id: ticket.get(&ids[i]).cloned().unwrap_or_default(),
            state: ReviewState::of(
                pending.get(i).unwrap_or(false),
                Verdict::parse(&verdicts[i]),
                Appeal::parse(&appeals[i]),
            ),
        })
        .collect();
    sort(&mut list);
    Ok(list)
}

/// Lines shown at most in the terminal; the rest are in the reports.
pub const TERMINAL_MAX: usize = 20;

/// The terminal summary's first lines: the open risks, each with its
/// call, time, operator, team, rule and masked words, and what to do;
/// then the withdrawn ones in one line. Nothing when there is none (the
/// figures line says 重大风险 0 条).
pub fn summary_lines(list: &[CriticalFinding]) -> Vec<String> {
    let mut out = Vec::new();
    let open: Vec<&CriticalFinding> = list.iter().filter(|c| c.open()).collect();
    if !open.is_empty() {
        out.push(format!(
            "!! 重大风险 {} 条（来电人的人身安全有风险，工单没有升级，须当天处理）。{ACTION_ZH}：",
            open.len()
        ));
        for c in open.iter().take(TERMINAL_MAX) {
            let ticket = if c.ticket_id.is_empty() {
                "没有关联工单".to_string()
            } else {
                format!("工单 {}", c.ticket_id)
            };
            let at = c
                .at_s
                .map(|s| format!(" 第 {} 秒", crate::report::num(s)))
                .unwrap_or_default();
            out.push(format!(
                "  通话 {}（{}{at}），话务员 {} {}（{}），{ticket}，{}",
                c.call_id,
                c.started_at,
                c.operator_id,
                c.operator_name,
                if c.team.is_empty() {
                    "未分班组"
                } else {
                    &c.team
                },
                c.state.zh()
            ));
            out.push(format!("    {}：{}", c.rule, c.description()));
            out.push(format!("    原话：{}", c.excerpt));
        }
        if open.len() > TERMINAL_MAX {
            out.push(format!(
                "  …… 共 {} 条，完整列表见 report.xlsx 的“重大风险”表",
                open.len()
            ));
        }
    }
    let withdrawn: Vec<&str> = list
        .iter()
        .filter(|c| !c.open())
        .map(|c| c.call_id.as_str())
        .collect();
    if !withdrawn.is_empty() {
        let shown: Vec<&str> = withdrawn.iter().take(5).copied().collect();
        out.push(format!(
            "已撤销的重大风险 {} 条（复核误判或申诉撤销，不计入）：通话 {}{}",
            withdrawn.len(),
            shown.join("、"),
            if withdrawn.len() > 5 { " ……" } else { "" }
        ));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{FindingReview, NormId};

    /// A scored call of `operator` in `team` with one finding per
    /// severity given, each on utterance 0.
    pub(crate) fn scored(
        call_id: &str,
        operator: &str,
        team: &str,
        severities: &[Severity],
    ) -> ScoredCall {
        let findings = severities
            .iter()
            .map(|&sev| {
                let mut f = Finding::new(
                    NormId::Process,
                    "process.some_rule",
                    "我【不想活了】，电话138****5678",
                );
                f.severity = sev;
                f.points = 10.0;
                f.reviewed_points = 10.0;
                f.at_s = Some(12.5);
                f.utterance_index = Some(3);
                f
            })
            .collect();
        ScoredCall {
            call_id: call_id.into(),
            operator_id: operator.into(),
            operator_name: format!("名{operator}"),
            team: team.into(),
            started_at: format!("2026-11-27T09:{}:00+08:00", &call_id[call_id.len() - 2..]),
            score: 90.0,
            passed: true,
            red_line: false,
            grade: "优秀",
            earned: crate::model::PerItem::new(11, Some(10.0)),
            findings,
            manual: Vec::new(),
            reviewed_score: 90.0,
            reviewed_passed: true,
            reviewed_red_line: false,
            needs_review: 0,
            appeals: [0; 3],
            confidence: None,
            review_unmatched: Vec::new(),
            caller_number: String::new(),
            caller_link: String::new(),
        }
    }

    /// Marks every finding of `s` with `verdict`.
    pub(crate) fn review_all(s: &mut ScoredCall, verdict: Verdict) {
        for f in &mut s.findings {
            f.review = Some(Box::new(FindingReview {
                verdict: Some(verdict),
                appeal: None,
                reviewer: "李".into(),
                comment: String::new(),
                points: None,
                by_reviewer: false,
            }));
        }
    }

    #[test]
    fn only_critical_findings_are_taken_whatever_the_rule() {
        let s = scored(
            "c-01",
            "1024",
            "A班",
            &[Severity::Deduct, Severity::Critical, Severity::RedLine],
        );
        let got = of_call(&s, Some("T1"));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].rule, "process.some_rule");
        assert_eq!(got[0].ticket_id, "T1");
        assert_eq!(got[0].team, "A班");
        assert_eq!(got[0].at_s, Some(12.5));
        assert!(got[0].open());
        // Must not: a call with deductions and a red line only has none.
        let plain = scored(
            "c-02",
            "1024",
            "A班",
            &[Severity::Deduct, Severity::RedLine],
        );
        assert!(of_call(&plain, None).is_empty());
    }

    #[test]
    fn review_states_and_what_is_withdrawn() {
        use ReviewState as R;
        let cases = [
            (false, None, None, R::Unreviewed, false),
            (true, None, None, R::NeedsReview, false),
            (true, Some(Verdict::Confirmed), None, R::Confirmed, false),
            (false, Some(Verdict::Dismissed), None, R::Dismissed, true),
            (false, Some(Verdict::Added), None, R::Added, false),
            (false, None, Some(Appeal::Appealed), R::Appealed, false),
            (
                false,
                Some(Verdict::Confirmed),
                Some(Appeal::Upheld),
                R::Upheld,
                false,
            ),
            (
                false,
                Some(Verdict::Confirmed),
                Some(Appeal::Overturned),
                R::Overturned,
                true,
            ),
        ];
        for (pending, v, a, want, withdrawn) in cases {
            let got = ReviewState::of(pending, v, a);
            assert_eq!(got, want, "{pending} {v:?} {a:?}");
            assert_eq!(got.withdrawn(), withdrawn, "{want:?}");
        }
    }

    #[test]
    fn open_risks_come_first_then_by_time() {
        let mut late = of_call(&scored("c-30", "1", "A班", &[Severity::Critical]), None);
        let mut early_dismissed = scored("c-10", "1", "A班", &[Severity::Critical]);
        review_all(&mut early_dismissed, Verdict::Dismissed);
        let mut list = of_call(&early_dismissed, None);
        list.append(&mut late);
        list.extend(of_call(
            &scored("c-20", "2", "B班", &[Severity::Critical]),
            None,
        ));
        sort(&mut list);
        let order: Vec<&str> = list.iter().map(|c| c.call_id.as_str()).collect();
        assert_eq!(order, ["c-20", "c-30", "c-10"]);
        assert_eq!(open_count(&list), 2);
    }

    fn row(id: &str, team: &str) -> OperatorRow {
        OperatorRow {
            operator_id: id.into(),
            operator_name: String::new(),
            team: team.into(),
            calls: 1,
            mean: 0.0,
            median: 0.0,
            min: 0.0,
            pass_rate: 0.0,
            red_lines: 0,
            fail_rates: vec![None; 11],
            callbacks_due: 0,
            callbacks_on_time: 0,
            callbacks_by_other: 0,
            rank: None,
            reviewed_mean: 0.0,
            reviewed_pass_rate: 0.0,
            needs_review: 0,
            appeals: [0; 3],
            critical: 0,
        }
    }

    #[test]
    fn counted_per_operator_and_team_without_the_withdrawn() {
        let mut dismissed = scored("c-03", "2", "B班", &[Severity::Critical]);
        review_all(&mut dismissed, Verdict::Dismissed);
        let mut list = of_call(
            &scored(
                "c-01",
                "1",
                "A班",
                &[Severity::Critical, Severity::Critical],
            ),
            None,
        );
        list.extend(of_call(&dismissed, None));
        list.extend(of_call(
            &scored("c-02", "3", "B班", &[Severity::Critical]),
            None,
        ));
        let mut ops = vec![row("1", "A班"), row("2", "B班"), row("3", "B班")];
        let mut teams = vec![row("", "A班"), row("", "B班"), row("", "合计")];
        count_into(&list, &mut ops, &mut teams);
        let c = |rows: &[OperatorRow]| rows.iter().map(|r| r.critical).collect::<Vec<_>>();
        assert_eq!(c(&ops), [2, 0, 1]);
        assert_eq!(c(&teams), [2, 1, 3]);
    }

    #[test]
    fn the_summary_lists_each_open_risk_and_what_to_do() {
        let mut dismissed = scored("c-09", "2", "B班", &[Severity::Critical]);
        review_all(&mut dismissed, Verdict::Dismissed);
        let mut list = of_call(
            &scored("c-01", "1024", "A班", &[Severity::Critical]),
            Some("T7"),
        );
        list.extend(of_call(&dismissed, None));
        sort(&mut list);
        let lines = summary_lines(&list);
        assert!(lines[0].starts_with("!! 重大风险 1 条"), "{lines:?}");
        assert!(lines[0].contains("通知班长和热线办公室"), "{lines:?}");
        assert!(lines[1].contains("通话 c-01") && lines[1].contains("1024 名1024（A班）"));
        assert!(lines[1].contains("工单 T7") && lines[1].contains("第 12.5 秒"));
        assert!(lines[2].contains("process.some_rule"));
        assert_eq!(lines[3], "    原话：我【不想活了】，电话138****5678");
        assert!(lines[4].starts_with("已撤销的重大风险 1 条") && lines[4].contains("c-09"));
        assert_eq!(lines.len(), 5);
        // Must not: nothing printed for a period without any.
        assert!(summary_lines(&[]).is_empty());
    }

    /// Writes a run folder as `score` does (calls, findings and, when
    /// given, tickets Parquet) from scored calls; tickets are (ticket id,
    /// call id).
    fn write_run(dir: &std::path::Path, calls: &[ScoredCall], tickets: &[(&str, &str)]) {
        use crate::report::parquet;
        std::fs::create_dir_all(dir).expect("dir");
        // Every norm worth 10 points, as the calls' earned values.
        let items = crate::config::Items::new(
            crate::model::NormId::ALL
                .iter()
                .map(|&norm| crate::config::Item {
                    norm,
                    points: 10.0,
                    per_finding: 0.0,
                    enabled: true,
                })
                .collect(),
        );
        let mut c = parquet::calls(dir, &items).expect("calls");
        let mut f = parquet::findings(dir).expect("findings");
        for s in calls {
            c.add_call(s, &items);
            f.add_findings(s);
        }
        c.commit().expect("commit");
        f.commit().expect("commit");
        if !tickets.is_empty() {
            let mut t = parquet::tickets(dir).expect("tickets");
            for (ticket, call) in tickets {
                let ticket = crate::model::Ticket {
                    ticket_id: (*ticket).into(),
                    call_id: Some((*call).into()),
                    ..Default::default()
                };
                let r = crate::workflow::timeliness::Timeliness::not_dispatched();
                t.add_ticket(&ticket, &r, "2026-11-30 00:00:00", None)
                    .expect("add");
            }
            t.commit().expect("commit");
        }
    }

    fn reports(
        runs: &[std::path::PathBuf],
        out: &std::path::Path,
    ) -> crate::report::aggregate::ReportData {
        crate::report::build_reports(
            runs,
            out,
            &crate::config::Config::default(),
            crate::report::Lang::Zh,
            true,
            None,
        )
        .expect("reports")
    }

    /// The rows of a CSV file by column name.
    fn csv_rows(p: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
        let text = std::fs::read_to_string(p).expect("read");
        let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let headers = r.headers().expect("headers").clone();
        r.records()
            .map(|rec| {
                let rec = rec.expect("record");
                headers
                    .iter()
                    .zip(rec.iter())
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }

    fn sheet(out: &std::path::Path, name: &str) -> Vec<Vec<String>> {
        use calamine::Reader;
        let mut wb = calamine::open_workbook_auto(out.join("report.xlsx")).expect("open");
        let range = wb.worksheet_range(name).expect("sheet");
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    /// A run of three calls: c-01 (operator 1, A班) with a critical finding
    /// whose words try to run a script, and a deduction; c-02 (operator 2,
    /// B班) with a critical finding a reviewer dismissed; c-03 clean.
    fn hostile_run(dir: &std::path::Path) {
        let mut c1 = scored("c-01", "1", "A班", &[Severity::Critical, Severity::Deduct]);
        c1.findings[0].excerpt = "我【不想活了】<script>alert(1)</script>=1+1".into();
        let mut c2 = scored("c-02", "2", "B班", &[Severity::Critical]);
        review_all(&mut c2, Verdict::Dismissed);
        let c3 = scored("c-03", "2", "B班", &[]);
        write_run(dir, &[c1, c2, c3], &[("T-1", "c-01"), ("T-2", "c-02")]);
    }

    #[test]
    fn critical_findings_are_reported_apart_in_every_output() {
        let tmp = tempfile::tempdir().expect("tmp");
        let run = tmp.path().join("run");
        hostile_run(&run);
        let out = tmp.path().join("out");
        let data = reports(std::slice::from_ref(&run), &out);
        let ids: Vec<(&str, bool, &str)> = data
            .critical
            .iter()
            .map(|c| (c.call_id.as_str(), c.open(), c.ticket_id.as_str()))
            .collect();
        assert_eq!(ids, [("c-01", true, "T-1"), ("c-02", false, "T-2")]);
        assert_eq!(data.critical[0].started_at, "2026-11-27T09:01:00+08:00");
        assert_eq!(data.critical[1].state, ReviewState::Dismissed);
        // operators.csv and teams.csv: a `critical` column at the end,
        // the dismissed one not counted.
        for (file, key, want) in [
            ("operators.csv", "operator_id", vec![("1", "1"), ("2", "0")]),
            (
                "teams.csv",
                "team",
                vec![("A班", "1"), ("B班", "0"), ("合计", "1")],
            ),
        ] {
            let text = std::fs::read_to_string(out.join(file)).expect("read");
            let header = text.lines().next().expect("header");
            // After every older column; the first-call columns follow it.
            assert!(
                header.ends_with(",critical,first_calls,repeated,first_call_resolution"),
                "{file}: {header}"
            );
            let mut got: Vec<(String, String)> = csv_rows(&out.join(file))
                .into_iter()
                .map(|r| (r[key].clone(), r["critical"].clone()))
                .collect();
            got.sort();
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            assert_eq!(got, want, "{file}");
        }
        // The workbook: the sheet right after 摘要, open one first, the
        // withdrawn one marked; the figure in 摘要.
        {
            use calamine::Reader;
            let wb = calamine::open_workbook_auto(out.join("report.xlsx")).expect("open");
            assert_eq!(
                wb.sheet_names()[..2],
                ["摘要".to_string(), "重大风险".to_string()]
            );
        }
        let rows = sheet(&out, "重大风险");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][0], "处理");
        assert_eq!(
            rows[1][..3],
            ["待处理", "c-01", "2026-11-27T09:01:00+08:00"]
        );
        assert_eq!(rows[1][4..8], ["1", "名1", "A班", "process.some_rule"]);
        // The words as findings.csv writes them: text, with the apostrophe
        // a formula-looking text gets (none here: it starts with 我).
        assert_eq!(rows[1][9], "我【不想活了】<script>alert(1)</script>=1+1");
        assert_eq!(rows[1][10], "T-1");
        assert!(rows[1][12].contains("通知班长和热线办公室"));
        assert_eq!(rows[2][0], "已撤销，不计入");
        assert_eq!(rows[2][11], "复核误判，已撤销");
        let summary = sheet(&out, "摘要");
        let figure = summary
            .iter()
            .find(|r| r.first().map(String::as_str) == Some("重大风险（未撤销）"))
            .expect("figure");
        assert_eq!(figure[1], "1");
        let ops = sheet(&out, "话务员排名");
        // Before the first-call columns, after every older one.
        let at = ops[0]
            .iter()
            .position(|h| h == "重大风险")
            .expect("重大风险 column");
        assert_eq!(ops[0].get(at + 1).map(String::as_str), Some("首次来电"));
        // The page: the section before the first chart, escaped, the
        // withdrawn one struck out.
        let html = std::fs::read_to_string(out.join("report.html")).expect("html");
        let section = html.find(r#"<section id="critical""#).expect("section");
        assert!(section < html.find("得分分布").expect("chart"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>alert(1)"));
        assert!(html.contains(r#"<tr class="withdrawn"><td><del>c-02</del>"#));
        assert!(html.contains("通知班长和热线办公室"));
        assert!(!html.contains(NONE_ZH));
    }

    #[test]
    fn a_period_without_critical_findings_says_so() {
        let tmp = tempfile::tempdir().expect("tmp");
        let run = tmp.path().join("run");
        let c = scored("c-01", "1", "A班", &[Severity::Deduct, Severity::RedLine]);
        write_run(&run, &[c], &[]);
        let out = tmp.path().join("out");
        let data = reports(std::slice::from_ref(&run), &out);
        assert!(data.critical.is_empty());
        assert_eq!(sheet(&out, "重大风险"), [[NONE_ZH.to_string()]]);
        let html = std::fs::read_to_string(out.join("report.html")).expect("html");
        assert!(html.contains(NONE_ZH) && !html.contains("table-critical"));
        let ops = csv_rows(&out.join("operators.csv"));
        assert_eq!(ops[0]["critical"], "0");
    }

    #[test]
    fn report_over_two_runs_counts_each_call_once_from_the_last_run() {
        let tmp = tempfile::tempdir().expect("tmp");
        // Day 1: c-01 open; day 2 (other ids): c-05 open.
        let day1 = tmp.path().join("day1");
        write_run(
            &day1,
            &[scored("c-01", "1", "A班", &[Severity::Critical])],
            &[("T-1", "c-01")],
        );
        let day2 = tmp.path().join("day2");
        write_run(
            &day2,
            &[scored("c-05", "1", "A班", &[Severity::Critical])],
            &[],
        );
        let out = tmp.path().join("both");
        let data = reports(&[day1.clone(), day2.clone()], &out);
        let ids: Vec<&str> = data.critical.iter().map(|c| c.call_id.as_str()).collect();
        assert_eq!(ids, ["c-01", "c-05"]);
        assert_eq!(data.critical[0].ticket_id, "T-1");
        assert_eq!(data.operators[0].critical, 2);
        // Day 1 re-run with the reviews: c-01 dismissed. Given last, it
        // wins over day 1's row: one open risk, c-01 kept struck out.
        let rerun = tmp.path().join("day1-reviewed");
        let mut c1 = scored("c-01", "1", "A班", &[Severity::Critical]);
        review_all(&mut c1, Verdict::Dismissed);
        write_run(&rerun, &[c1], &[("T-1", "c-01")]);
        let out = tmp.path().join("all");
        let data = reports(&[day1, day2, rerun], &out);
        let ids: Vec<(&str, bool)> = data
            .critical
            .iter()
            .map(|c| (c.call_id.as_str(), c.open()))
            .collect();
        assert_eq!(ids, [("c-05", true), ("c-01", false)]);
        assert_eq!(data.operators[0].critical, 1);
        assert_eq!(data.teams.last().map(|t| t.critical), Some(1));
        assert_eq!(data.critical[1].ticket_id, "T-1");
    }

    #[test]
    fn rules_are_described_even_when_unknown() {
        assert_eq!(
            describe("greeting.no_agent_speech"),
            "话务员全程没有说话，没有报读开头语"
        );
        assert!(describe("process.manual").contains("复核人补充"));
        assert_eq!(describe("zzz"), "zzz");
    }
}
