//! Ticket timeliness: the rules of spec §3 applied to one ticket.
//!
//! A 工单 that reaches a unit starts several clocks: the unit must finish by
//! the due time, the 班长 (or the 办公室 for a hot issue) must urge it within
//! a working day once it is overdue, the 办公室 must supervise the ones that
//! went wrong, and the accepting operator must call the citizen back within
//! three working days of the unit's feedback. [`assess`] reads those clocks
//! off a [`Ticket`] for a given as-of time and returns a [`Timeliness`]: the
//! status, the due time, the working days taken and one flag per rule broken
//! (the columns of `tickets.csv`). `units.rs` aggregates the same results.
//!
//! Invariants: pure (no I/O, no clock — the as-of time is an argument, so a
//! report is reproducible), and total: no input makes it panic. Times are
//! local wall-clock times; deadlines are the end of a day, 23:59:59. A ticket
//! never sent to a unit gets no due date and no flags at all, whatever else
//! its record holds.
//!
//! Readings the spec leaves open, decided here:
//! - "Past" a deadline means strictly after it: a completion, urge or
//!   callback at exactly 23:59:59 of the last day is in time.
//! - `overdue_not_urged` follows the issue's words literally: an overdue
//!   ticket with no urge on or before the end of the urge window is flagged,
//!   even while that window is still open at the as-of time (the office
//!   sees at once which overdue tickets nobody has urged yet).
//! - `working_days_taken` counts working days after the dispatch date up to
//!   the completion date even when `count_dispatch_day` is set: that switch
//!   moves the due date only.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

use super::calendar::Calendar;
use crate::config::WorkflowConfig;
use crate::model::{CallbackResult, Handling, Ticket, Urgency};

/// Where a ticket stands at the as-of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// Never sent to a unit: handled directly (直接办理), or `dispatched_at`
    /// is empty. No due date and no flags.
    NotDispatched,
    /// Completed on or before the due time.
    OnTime,
    /// Completed after the due time.
    Late,
    /// Not completed, and the due time has not passed at the as-of time.
    Open,
    /// Not completed, and the due time has passed at the as-of time.
    OpenOverdue,
}

impl Status {
    /// Every status, in the order reports list them.
    pub const ALL: [Status; 5] = [
        Status::NotDispatched,
        Status::OnTime,
        Status::Late,
        Status::Open,
        Status::OpenOverdue,
    ];

    /// The stable English key written to `tickets.csv`.
    pub fn key(self) -> &'static str {
        match self {
            Status::NotDispatched => "not_dispatched",
            Status::OnTime => "on_time",
            Status::Late => "late",
            Status::Open => "open",
            Status::OpenOverdue => "open_overdue",
        }
    }

    /// The Chinese label shown to people.
    pub fn zh(self) -> &'static str {
        match self {
            Status::NotDispatched => "未派单",
            Status::OnTime => "按时办结",
            Status::Late => "超期办结",
            Status::Open => "办理中",
            Status::OpenOverdue => "超期未办结",
        }
    }

    /// Done late or still open past due: the states that call for an urge
    /// and for supervision.
    pub fn is_overdue(self) -> bool {
        matches!(self, Status::Late | Status::OpenOverdue)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Flag column names in tickets.csv order.
pub const FLAGS: [&str; 6] = [
    "overdue_not_urged",
    "urged_by_wrong",
    "not_supervised",
    "callback_late",
    "callback_by_other",
    "callback_result_missing",
];

/// The timeliness of one ticket at an as-of time: what `tickets.csv` shows
/// and what `units.csv` counts.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeliness {
    /// Where the ticket stands.
    pub status: Status,
    /// The due time: the input's `due_at` when given, else computed from the
    /// calendar and the configured limits. `None` when not dispatched.
    pub due_at: Option<NaiveDateTime>,
    /// Working days `d` with dispatch date < `d` ≤ completion date; `None`
    /// while open and when not dispatched.
    pub working_days_taken: Option<i64>,
    /// Overdue (late or open past due) and no urge by the end of the urge
    /// window, once that window has closed.
    pub overdue_not_urged: bool,
    /// Urged, but not by 办公室 (hot issue) or 班长 (otherwise).
    pub urged_by_wrong: bool,
    /// Supervision was required (callback 不满意, hot issue, or overdue) and
    /// `supervised_at` is empty.
    pub not_supervised: bool,
    /// Feedback received and the callback came after the deadline, or has not
    /// come and the deadline has passed at the as-of time.
    pub callback_late: bool,
    /// A callback was made by someone other than the accepting operator.
    pub callback_by_other: bool,
    /// A callback was made and no result recorded.
    pub callback_result_missing: bool,
    /// End of the urge window (23:59:59 of the `urge_within_working_days`th
    /// working day after the due date), when the ticket is overdue.
    pub urge_deadline: Option<NaiveDateTime>,
    /// End of the callback window (23:59:59 of the
    /// `callback_within_working_days`th working day after the feedback
    /// date), when `feedback_at` is set.
    pub callback_deadline: Option<NaiveDateTime>,
    /// The callback is due for reporting: feedback received, and either the
    /// callback was made or its deadline has passed at the as-of time.
    pub callback_due: bool,
    /// The callback is due and was made by its deadline.
    pub callback_on_time: bool,
    /// Years the computation looked up that the calendar has no holiday data
    /// for (only the weekend rule applied there), ascending; empty normally.
    pub outside_calendar: Vec<i32>,
}

impl Timeliness {
    /// The flags in [`FLAGS`] order.
    pub fn flags(&self) -> [bool; 6] {
        [
            self.overdue_not_urged,
            self.urged_by_wrong,
            self.not_supervised,
            self.callback_late,
            self.callback_by_other,
            self.callback_result_missing,
        ]
    }

    /// The result for a ticket never sent to a unit: nothing to time.
    pub fn not_dispatched() -> Timeliness {
        Timeliness {
            status: Status::NotDispatched,
            due_at: None,
            working_days_taken: None,
            overdue_not_urged: false,
            urged_by_wrong: false,
            not_supervised: false,
            callback_late: false,
            callback_by_other: false,
            callback_result_missing: false,
            urge_deadline: None,
            callback_deadline: None,
            callback_due: false,
            callback_on_time: false,
            outside_calendar: Vec::new(),
        }
    }
}

/// Who must urge a hot-issue ticket, and everything else.
const URGER_HOT: &str = "办公室";
const URGER_NORMAL: &str = "班长";

/// The last second of a day: deadlines close at 23:59:59.
const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 59) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// A spanned range longer than this many years is absurd input; only its end
/// years are reported in `outside_calendar`, to keep the list short.
const MAX_REPORTED_SPAN: i32 = 100;

fn end_of_day(d: NaiveDate) -> NaiveDateTime {
    d.and_time(END_OF_DAY)
}

/// Collects the years a computation looked up that the calendar does not know.
#[derive(Default)]
struct Years(BTreeSet<i32>);

impl Years {
    /// Records the years from `a` to `b` (either order) that are unknown.
    fn span(&mut self, cal: &Calendar, a: NaiveDate, b: NaiveDate) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let (ylo, yhi) = (lo.year(), hi.year());
        let unknown = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).is_none_or(|d| !cal.knows(d));
        if yhi - ylo > MAX_REPORTED_SPAN {
            self.0
                .extend([ylo, yhi].into_iter().filter(|y| unknown(*y)));
        } else {
            self.0.extend((ylo..=yhi).filter(|y| unknown(*y)));
        }
    }

    /// `n` working days after `from`, recording the years looked up.
    fn nth_after(&mut self, cal: &Calendar, from: NaiveDate, n: u32) -> NaiveDate {
        let to = cal.nth_working_day_after(from, n);
        self.span(cal, from, to);
        to
    }
}

/// The due time of a dispatched ticket whose record gives none.
///
/// Precedence: hours by urgency, then working days by urgency, then by
/// category, then the default number of working days.
fn computed_due(
    t: &Ticket,
    dispatched: NaiveDateTime,
    cal: &Calendar,
    cfg: &WorkflowConfig,
    years: &mut Years,
) -> NaiveDateTime {
    let urgency = t.urgency.map(Urgency::zh);
    if let Some(hours) = urgency.and_then(|u| cfg.due_hours_by_urgency.get(u)) {
        // Past the last representable time the ticket can never be overdue.
        return TimeDelta::try_hours(i64::from(*hours))
            .and_then(|d| dispatched.checked_add_signed(d))
            .unwrap_or_else(|| end_of_day(NaiveDate::MAX));
    }
    let n = urgency
        .and_then(|u| cfg.due_working_days_by_urgency.get(u))
        .or_else(|| {
            t.category
                .and_then(|c| cfg.due_working_days_by_category.get(c.zh()))
        })
        .copied()
        .unwrap_or(cfg.due_working_days);
    let day = dispatched.date();
    // Counting inclusively, a working dispatch day is day 1 of the N.
    let n = if cfg.count_dispatch_day && cal.is_working_day(day) {
        n.saturating_sub(1)
    } else {
        n
    };
    end_of_day(years.nth_after(cal, day, n))
}

/// Assesses one ticket at `as_of` (a local wall-clock time, usually the end
/// of the reporting period).
///
/// The flags follow spec §3 and the readings in the module documentation. A
/// ticket with handling 直接办理, or without `dispatched_at`, is
/// [`Status::NotDispatched`] with no due date and every flag false.
pub fn assess(
    t: &Ticket,
    cal: &Calendar,
    cfg: &WorkflowConfig,
    as_of: NaiveDateTime,
) -> Timeliness {
    let dispatched = match (t.handling, t.dispatched_at) {
        (Some(Handling::Direct), _) | (_, None) => return Timeliness::not_dispatched(),
        (_, Some(d)) => d,
    };
    let mut years = Years::default();

    let due = match t.due_at {
        Some(given) => given,
        None => computed_due(t, dispatched, cal, cfg, &mut years),
    };
    let status = match t.completed_at {
        Some(done) if done <= due => Status::OnTime,
        Some(_) => Status::Late,
        None if as_of > due => Status::OpenOverdue,
        None => Status::Open,
    };
    let working_days_taken = t.completed_at.map(|done| {
        years.span(cal, dispatched.date(), done.date());
        cal.working_days_in(dispatched.date(), done.date())
    });

    let overdue = status.is_overdue();
    let urge_deadline =
        overdue.then(|| end_of_day(years.nth_after(cal, due.date(), cfg.urge_within_working_days)));
    let overdue_not_urged = match (urge_deadline, t.urged_at) {
        (None, _) => false,
        (Some(deadline), Some(urged)) => urged > deadline,
        (Some(_), None) => true,
    };
    let urged_by_wrong = t.urged_at.is_some() && {
        let required = if t.hot_issue { URGER_HOT } else { URGER_NORMAL };
        t.urged_by.trim() != required
    };
    let not_supervised =
        (t.callback_result == Some(CallbackResult::Dissatisfied) || t.hot_issue || overdue)
            && t.supervised_at.is_none();

    let callback_deadline = t.feedback_at.map(|feedback| {
        end_of_day(years.nth_after(cal, feedback.date(), cfg.callback_within_working_days))
    });
    let (callback_due, callback_on_time, callback_late) = match (callback_deadline, t.callback_at) {
        (None, _) => (false, false, false),
        (Some(deadline), Some(called)) => (true, called <= deadline, called > deadline),
        (Some(deadline), None) => (as_of > deadline, false, as_of > deadline),
    };
    let callback_by_other =
        t.callback_at.is_some() && t.callback_operator_id.trim() != t.operator_id.trim();
    let callback_result_missing = t.callback_at.is_some() && t.callback_result.is_none();

    Timeliness {
        status,
        due_at: Some(due),
        working_days_taken,
        overdue_not_urged,
        urged_by_wrong,
        not_supervised,
        callback_late,
        callback_by_other,
        callback_result_missing,
        urge_deadline,
        callback_deadline,
        callback_due,
        callback_on_time,
        outside_calendar: years.0.into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Category;
    use std::collections::BTreeMap;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("test time")
    }

    fn cfg() -> WorkflowConfig {
        WorkflowConfig::default()
    }

    /// 一般诉求 / 工单转办 / 普通, accepted by 1031, dispatched Mon 2026-11-02
    /// 09:00 (due Mon 2026-11-09 23:59:59), completed Fri 2026-11-06 10:00.
    fn base() -> Ticket {
        Ticket {
            ticket_id: "GD1".into(),
            operator_id: "1031".into(),
            category: Some(Category::General),
            category_raw: "一般诉求".into(),
            handling: Some(Handling::Dispatch),
            handling_raw: "工单转办".into(),
            urgency: Some(Urgency::Normal),
            unit: "市城管局".into(),
            dispatched_at: Some(dt("2026-11-02 09:00:00")),
            completed_at: Some(dt("2026-11-06 10:00:00")),
            ..Ticket::default()
        }
    }

    /// A record that breaks all six rules once dispatched.
    fn everything_wrong() -> Ticket {
        Ticket {
            hot_issue: true,
            // Due Nov 9; done late.
            completed_at: Some(dt("2026-11-12 10:00:00")),
            // After the urge window (ends Nov 10 23:59:59), and by 班长 on a hot issue.
            urged_at: Some(dt("2026-11-11 00:00:00")),
            urged_by: "班长".into(),
            // Callback deadline Tue Nov 17 23:59:59 (Nov 13, 16, 17).
            feedback_at: Some(dt("2026-11-12 11:00:00")),
            callback_at: Some(dt("2026-11-18 09:00:00")),
            callback_operator_id: "2025".into(),
            callback_result: None,
            ..base()
        }
    }

    const AS_OF: &str = "2026-11-27 12:00:00";

    /// A change to [`base`] for one case of a table.
    type Edit = fn(&mut Ticket);

    #[test]
    fn status_keys_and_labels() {
        let table = [
            (Status::NotDispatched, "not_dispatched", "未派单"),
            (Status::OnTime, "on_time", "按时办结"),
            (Status::Late, "late", "超期办结"),
            (Status::Open, "open", "办理中"),
            (Status::OpenOverdue, "open_overdue", "超期未办结"),
        ];
        assert_eq!(Status::ALL.len(), table.len());
        for (status, key, zh) in table {
            assert_eq!((status.key(), status.zh()), (key, zh));
            assert_eq!(status.to_string(), key);
        }
    }

    /// (dispatched_at, category, urgency, count_dispatch_day, expected due)
    type DueCase = (&'static str, Category, Urgency, bool, &'static str);

    #[rustfmt::skip]
    #[test]
    fn due_dates() {
        use Category::{General, Inquiry};
        use Urgency::{Emergency, Normal, Urgent};
        let table: &[DueCase] = &[
            // 国庆 2024: Oct 1–7 off; Sun Sep 29 and Sat Oct 12 are workdays.
            // A dispatch on the make-up Sunday does not count: Sep 30, Oct 8, 9, 10, 11.
            ("2024-09-29 10:00:00", General, Normal, false, "2024-10-11 23:59:59"),
            ("2024-09-29 10:00:00", Inquiry, Normal, false, "2024-10-09 23:59:59"),
            // Counted inclusively it is day 1: Sep 30, Oct 8, 9, 10.
            ("2024-09-29 10:00:00", General, Normal, true,  "2024-10-10 23:59:59"),
            ("2024-09-30 17:30:00", General, Normal, false, "2024-10-12 23:59:59"),
            // Dispatched on a holiday: Oct 8, 9, 10, 11 and the make-up Saturday Oct 12.
            ("2024-10-03 08:00:00", General, Normal, false, "2024-10-12 23:59:59"),
            // 国庆 2025: Oct 1–8 off; Sun Sep 28 and Sat Oct 11 are workdays.
            ("2025-09-26 16:00:00", General, Normal, false, "2025-10-10 23:59:59"),
            ("2025-09-26 16:00:00", Inquiry, Normal, false, "2025-09-30 23:59:59"),
            ("2025-09-27 09:00:00", General, Normal, false, "2025-10-10 23:59:59"),
            // A Saturday off is not day 1 even when counting inclusively.
            ("2025-09-27 09:00:00", General, Normal, true,  "2025-10-10 23:59:59"),
            ("2025-09-28 09:00:00", General, Normal, false, "2025-10-11 23:59:59"),
            ("2025-09-28 09:00:00", General, Normal, true,  "2025-10-10 23:59:59"),
            ("2025-09-30 11:00:00", General, Normal, false, "2025-10-14 23:59:59"),
            ("2025-10-03 11:00:00", General, Normal, false, "2025-10-14 23:59:59"),
            ("2025-10-03 11:00:00", Inquiry, Normal, false, "2025-10-11 23:59:59"),
            // 中秋 2026 Sep 25–27 and 国庆 2026 Oct 1–7 off; Sun Sep 20 and
            // Sat Oct 10 are workdays.
            ("2026-09-19 10:00:00", General, Normal, false, "2026-09-24 23:59:59"),
            ("2026-09-24 10:00:00", General, Normal, false, "2026-10-09 23:59:59"),
            ("2026-09-24 10:00:00", Inquiry, Normal, false, "2026-09-30 23:59:59"),
            ("2026-09-29 15:30:00", General, Normal, false, "2026-10-12 23:59:59"),
            ("2026-09-30 15:30:00", General, Normal, false, "2026-10-13 23:59:59"),
            ("2026-09-30 15:30:00", Inquiry, Normal, false, "2026-10-10 23:59:59"),
            // 春节 2025: Jan 28–Feb 4 off; Sun Jan 26 and Sat Feb 8 are workdays.
            ("2025-01-24 14:00:00", General, Normal, false, "2025-02-07 23:59:59"),
            ("2025-01-24 14:00:00", Inquiry, Normal, false, "2025-02-05 23:59:59"),
            ("2025-01-27 14:00:00", General, Normal, false, "2025-02-10 23:59:59"),
            ("2025-01-30 14:00:00", General, Normal, false, "2025-02-10 23:59:59"),
            // 春节 2026: Feb 15–23 off; Sat Feb 14 and Sat Feb 28 are workdays.
            ("2026-02-13 14:00:00", General, Normal, false, "2026-02-27 23:59:59"),
            ("2026-02-13 14:00:00", Inquiry, Normal, false, "2026-02-25 23:59:59"),
            ("2026-02-14 14:00:00", General, Normal, false, "2026-02-28 23:59:59"),
            ("2026-02-14 14:00:00", General, Normal, true,  "2026-02-27 23:59:59"),
            // Dispatched inside the holiday: Feb 24–27 and the make-up Saturday Feb 28.
            ("2026-02-18 14:00:00", General, Normal, false, "2026-02-28 23:59:59"),
            ("2026-02-25 14:00:00", General, Normal, false, "2026-03-03 23:59:59"),
            // Ordinary weeks (Mon 2026-11-02, Sat 2026-11-07, Fri 2026-11-27).
            ("2026-11-02 09:00:00", General, Normal, false, "2026-11-09 23:59:59"),
            ("2026-11-02 09:00:00", General, Normal, true,  "2026-11-06 23:59:59"),
            ("2026-11-02 09:00:00", Inquiry, Normal, true,  "2026-11-04 23:59:59"),
            ("2026-11-07 09:00:00", General, Normal, false, "2026-11-13 23:59:59"),
            ("2026-11-07 09:00:00", General, Normal, true,  "2026-11-13 23:59:59"),
            ("2026-11-27 11:40:05", Inquiry, Normal, false, "2026-12-02 23:59:59"),
            // 一般应急 has no limit of its own by default: 5 working days.
            ("2026-11-27 07:02:08", General, Emergency, false, "2026-12-04 23:59:59"),
            // 急办: 24 hours, whatever the category, the switch and the calendar.
            ("2025-09-30 10:15:00", General, Urgent, false, "2025-10-01 10:15:00"),
            ("2025-09-30 10:15:00", Inquiry, Urgent, true,  "2025-10-01 10:15:00"),
            ("2025-10-03 23:30:00", General, Urgent, false, "2025-10-04 23:30:00"),
        ];
        let cal = Calendar::builtin();
        for (dispatched, category, urgency, count, expected) in table {
            let t = Ticket {
                category: Some(*category),
                urgency: Some(*urgency),
                dispatched_at: Some(dt(dispatched)),
                completed_at: None,
                ..base()
            };
            let cfg = WorkflowConfig { count_dispatch_day: *count, ..cfg() };
            let r = assess(&t, &cal, &cfg, dt(dispatched));
            assert_eq!(
                r.due_at,
                Some(dt(expected)),
                "{dispatched} {category} {urgency} count_dispatch_day={count}"
            );
            assert_eq!(r.status, Status::Open);
            assert!(r.outside_calendar.is_empty());
        }
    }

    #[rustfmt::skip]
    #[test]
    fn given_due_at_is_used_as_is() {
        let cal = Calendar::builtin();
        // (urgency, given due_at, completed_at, status)
        let table: &[(Urgency, &str, &str, Status)] = &[
            (Urgency::Normal, "2026-11-03 12:00:00", "2026-11-03 12:00:00", Status::OnTime),
            (Urgency::Normal, "2026-11-03 12:00:00", "2026-11-03 12:00:01", Status::Late),
            (Urgency::Urgent, "2026-11-20 18:00:00", "2026-11-19 09:00:00", Status::OnTime),
            // A given due date on a Sunday is not moved.
            (Urgency::Normal, "2026-11-08 09:00:00", "2026-11-08 09:30:00", Status::Late),
        ];
        for (urgency, due, done, status) in table {
            let t = Ticket {
                urgency: Some(*urgency),
                due_at: Some(dt(due)),
                completed_at: Some(dt(done)),
                ..base()
            };
            let r = assess(&t, &cal, &cfg(), dt(AS_OF));
            assert_eq!((r.due_at, r.status), (Some(dt(due)), *status), "{due} {done}");
        }
    }

    #[rustfmt::skip]
    #[test]
    fn due_limits_follow_the_configured_precedence() {
        let cal = Calendar::builtin();
        let cfg = WorkflowConfig {
            due_working_days: 10,
            due_working_days_by_category: BTreeMap::from([
                ("咨询".to_string(), 3),
                ("投诉举报".to_string(), 2),
            ]),
            due_working_days_by_urgency: BTreeMap::from([
                ("一般应急".to_string(), 1),
                ("重大应急".to_string(), 9),
            ]),
            due_hours_by_urgency: BTreeMap::from([
                ("急办".to_string(), 48),
                ("重大应急".to_string(), 2),
            ]),
            ..WorkflowConfig::default()
        };
        // Dispatched Mon 2026-11-02 09:00. (category, urgency, due)
        let table: &[(Option<Category>, Option<Urgency>, &str)] = &[
            // The default: Nov 3, 4, 5, 6, 9, 10, 11, 12, 13, 16.
            (Some(Category::General), Some(Urgency::Normal), "2026-11-16 23:59:59"),
            (None, None, "2026-11-16 23:59:59"),
            // By category.
            (Some(Category::Complaint), Some(Urgency::Normal), "2026-11-04 23:59:59"),
            (Some(Category::Inquiry), None, "2026-11-05 23:59:59"),
            // Days by urgency win over the category.
            (Some(Category::Inquiry), Some(Urgency::Emergency), "2026-11-03 23:59:59"),
            // Hours by urgency win over days by urgency and the category.
            (Some(Category::Inquiry), Some(Urgency::MajorEmergency), "2026-11-02 11:00:00"),
            (Some(Category::Complaint), Some(Urgency::Urgent), "2026-11-04 09:00:00"),
        ];
        for (category, urgency, expected) in table {
            let t = Ticket { category: *category, urgency: *urgency, completed_at: None, ..base() };
            let r = assess(&t, &cal, &cfg, dt("2026-11-02 09:00:00"));
            assert_eq!(r.due_at, Some(dt(expected)), "{category:?} {urgency:?}");
        }
    }

    /// (dispatched_at, completed_at, as_of, status, working_days_taken)
    type StatusCase = (
        &'static str,
        Option<&'static str>,
        &'static str,
        Status,
        Option<i64>,
    );

    #[rustfmt::skip]
    #[test]
    fn status_and_working_days_taken() {
        let cal = Calendar::builtin();
        let table: &[StatusCase] = &[
            // Due Mon 2026-11-09 23:59:59.
            ("2026-11-02 09:00:00", Some("2026-11-02 15:00:00"), AS_OF, Status::OnTime, Some(0)),
            ("2026-11-02 09:00:00", Some("2026-11-06 18:00:00"), AS_OF, Status::OnTime, Some(4)),
            ("2026-11-02 09:00:00", Some("2026-11-07 10:00:00"), AS_OF, Status::OnTime, Some(4)),
            ("2026-11-02 09:00:00", Some("2026-11-09 23:59:59"), AS_OF, Status::OnTime, Some(5)),
            ("2026-11-02 09:00:00", Some("2026-11-10 00:00:00"), AS_OF, Status::Late, Some(6)),
            ("2026-11-02 09:00:00", Some("2026-11-16 10:00:00"), AS_OF, Status::Late, Some(10)),
            // Completion recorded before dispatch: no working day in between.
            ("2026-11-02 09:00:00", Some("2026-11-01 10:00:00"), AS_OF, Status::OnTime, Some(0)),
            // A completion later than the as-of time still counts as completed.
            ("2026-11-02 09:00:00", Some("2026-11-05 10:00:00"), "2026-11-03 00:00:00", Status::OnTime, Some(3)),
            ("2026-11-02 09:00:00", None, "2026-11-02 09:00:00", Status::Open, None),
            ("2026-11-02 09:00:00", None, "2026-11-09 23:59:59", Status::Open, None),
            ("2026-11-02 09:00:00", None, "2026-11-10 00:00:00", Status::OpenOverdue, None),
            ("2026-11-02 09:00:00", None, AS_OF, Status::OpenOverdue, None),
            // Across 国庆 2026 (due Mon Oct 12): Sep 30, Oct 8, Oct 9.
            ("2026-09-29 15:30:00", Some("2026-10-09 11:20:00"), AS_OF, Status::OnTime, Some(3)),
            // Sep 30, Oct 8, 9, 10 (Sat, workday), 12, 13.
            ("2026-09-29 15:30:00", Some("2026-10-13 08:00:00"), AS_OF, Status::Late, Some(6)),
            // 春节 2025, dispatched on a holiday (due Mon Feb 10): Feb 5, 6, 7, 8.
            ("2025-01-30 10:00:00", Some("2025-02-08 10:00:00"), AS_OF, Status::OnTime, Some(4)),
            // 春节 2026, dispatched on the make-up Saturday (due Sat Feb 28):
            // Feb 24, 25, 26, 27, 28, Mar 2.
            ("2026-02-14 10:00:00", Some("2026-03-02 10:00:00"), AS_OF, Status::Late, Some(6)),
        ];
        for (dispatched, done, as_of, status, taken) in table {
            let t = Ticket {
                dispatched_at: Some(dt(dispatched)),
                completed_at: done.map(dt),
                ..base()
            };
            let r = assess(&t, &cal, &cfg(), dt(as_of));
            assert_eq!(
                (r.status, r.working_days_taken),
                (*status, *taken),
                "{dispatched} → {done:?} as of {as_of}"
            );
        }
    }

    #[rustfmt::skip]
    #[test]
    fn not_dispatched() {
        let cal = Calendar::builtin();
        // (handling, dispatched_at, status)
        let table: &[(Option<Handling>, Option<&str>, Status)] = &[
            (Some(Handling::Direct), Some("2026-11-02 09:00:00"), Status::NotDispatched),
            (Some(Handling::Direct), None, Status::NotDispatched),
            (Some(Handling::Dispatch), None, Status::NotDispatched),
            (Some(Handling::Phone), None, Status::NotDispatched),
            (None, None, Status::NotDispatched),
            // Sent to a unit: everything_wrong() is done late.
            (Some(Handling::Phone), Some("2026-11-02 09:00:00"), Status::Late),
            (None, Some("2026-11-02 09:00:00"), Status::Late),
        ];
        for (handling, dispatched, status) in table {
            // Everything else in the record would break every rule.
            let t = Ticket {
                handling: *handling,
                dispatched_at: dispatched.map(dt),
                ..everything_wrong()
            };
            let r = assess(&t, &cal, &cfg(), dt(AS_OF));
            assert_eq!(r.status, *status, "{handling:?} {dispatched:?}");
            if *status == Status::NotDispatched {
                assert_eq!(r, Timeliness::not_dispatched(), "{handling:?} {dispatched:?}");
                assert_eq!(r.flags(), [false; 6]);
            } else {
                assert_eq!(r.flags(), [true; 6]);
            }
        }
    }

    #[rustfmt::skip]
    #[test]
    fn flags() {
        let cal = Calendar::builtin();
        let none = [false; 6];
        // (what, edit of base(), as_of, [overdue_not_urged, urged_by_wrong,
        //  not_supervised, callback_late, callback_by_other, callback_result_missing])
        let table: &[(&str, Edit, &str, [bool; 6])] = &[
            ("on time, nothing else", |_| {}, AS_OF, none),
            // --- overdue_not_urged: due Mon Nov 9, window ends Tue Nov 10 23:59:59.
            ("late, never urged", |t| t.completed_at = Some(dt("2026-11-12 10:00:00")), AS_OF,
             [true, false, true, false, false, false]),
            ("late, urged at the end of the window", |t| {
                t.completed_at = Some(dt("2026-11-12 10:00:00"));
                t.urged_at = Some(dt("2026-11-10 23:59:59"));
                t.urged_by = "班长".into();
            }, AS_OF, [false, false, true, false, false, false]),
            ("late, urged one second late", |t| {
                t.completed_at = Some(dt("2026-11-12 10:00:00"));
                t.urged_at = Some(dt("2026-11-11 00:00:00"));
                t.urged_by = "班长".into();
            }, AS_OF, [true, false, true, false, false, false]),
            ("late, urged before it was due", |t| {
                t.completed_at = Some(dt("2026-11-12 10:00:00"));
                t.urged_at = Some(dt("2026-11-06 09:00:00"));
                t.urged_by = "班长".into();
            }, AS_OF, [false, false, true, false, false, false]),
            ("late, urged and supervised", |t| {
                t.completed_at = Some(dt("2026-11-12 10:00:00"));
                t.urged_at = Some(dt("2026-11-10 09:00:00"));
                t.urged_by = "班长".into();
                t.supervised_at = Some(dt("2026-11-11 09:00:00"));
            }, AS_OF, none),
            ("open overdue, urge window still open", |t| t.completed_at = None,
             "2026-11-10 12:00:00", [true, false, true, false, false, false]),
            ("open overdue, as of the end of the urge window", |t| t.completed_at = None,
             "2026-11-10 23:59:59", [true, false, true, false, false, false]),
            ("open overdue, urge window closed", |t| t.completed_at = None,
             "2026-11-11 00:00:00", [true, false, true, false, false, false]),
            ("open overdue, urged in time, supervised", |t| {
                t.completed_at = None;
                t.urged_at = Some(dt("2026-11-10 08:00:00"));
                t.urged_by = "班长".into();
                t.supervised_at = Some(dt("2026-11-10 09:00:00"));
            }, AS_OF, none),
            ("open, not yet due, never urged", |t| t.completed_at = None,
             "2026-11-09 12:00:00", none),
            ("overdue across 国庆: due Wed Sep 30, urge window ends Thu Oct 8", |t| {
                t.dispatched_at = Some(dt("2026-09-22 10:00:00"));
                t.completed_at = None;
                t.urged_at = Some(dt("2026-10-08 23:59:59"));
                t.urged_by = "班长".into();
                t.supervised_at = Some(dt("2026-10-09 10:00:00"));
            }, AS_OF, none),
            // --- urged_by_wrong
            ("urged by 班长, not hot", |t| {
                t.urged_at = Some(dt("2026-11-05 10:00:00"));
                t.urged_by = "班长".into();
            }, AS_OF, none),
            ("urged by ' 班长 ' with spaces", |t| {
                t.urged_at = Some(dt("2026-11-05 10:00:00"));
                t.urged_by = " 班长 ".into();
            }, AS_OF, none),
            ("urged by 办公室, not hot", |t| {
                t.urged_at = Some(dt("2026-11-05 10:00:00"));
                t.urged_by = "办公室".into();
            }, AS_OF, [false, true, false, false, false, false]),
            ("urged, nobody named", |t| t.urged_at = Some(dt("2026-11-05 10:00:00")), AS_OF,
             [false, true, false, false, false, false]),
            ("hot, urged by 办公室, not supervised", |t| {
                t.hot_issue = true;
                t.urged_at = Some(dt("2026-11-05 10:00:00"));
                t.urged_by = "办公室".into();
            }, AS_OF, [false, false, true, false, false, false]),
            ("hot, urged by 班长", |t| {
                t.hot_issue = true;
                t.urged_at = Some(dt("2026-11-05 10:00:00"));
                t.urged_by = "班长".into();
                t.supervised_at = Some(dt("2026-11-04 10:00:00"));
            }, AS_OF, [false, true, false, false, false, false]),
            ("hot, urged by 办公室, supervised", |t| {
                t.hot_issue = true;
                t.urged_at = Some(dt("2026-11-05 10:00:00"));
                t.urged_by = "办公室".into();
                t.supervised_at = Some(dt("2026-11-04 10:00:00"));
            }, AS_OF, none),
            ("urger named but never urged", |t| t.urged_by = "办公室".into(), AS_OF, none),
            // --- not_supervised
            ("不满意, not supervised", |t| {
                t.feedback_at = Some(dt("2026-11-06 12:00:00"));
                t.callback_at = Some(dt("2026-11-09 10:00:00"));
                t.callback_operator_id = "1031".into();
                t.callback_result = Some(CallbackResult::Dissatisfied);
            }, AS_OF, [false, false, true, false, false, false]),
            ("不满意, supervised", |t| {
                t.feedback_at = Some(dt("2026-11-06 12:00:00"));
                t.callback_at = Some(dt("2026-11-09 10:00:00"));
                t.callback_operator_id = "1031".into();
                t.callback_result = Some(CallbackResult::Dissatisfied);
                t.supervised_at = Some(dt("2026-11-10 10:00:00"));
            }, AS_OF, none),
            ("基本满意 needs no supervision", |t| {
                t.feedback_at = Some(dt("2026-11-06 12:00:00"));
                t.callback_at = Some(dt("2026-11-09 10:00:00"));
                t.callback_operator_id = "1031".into();
                t.callback_result = Some(CallbackResult::MostlySatisfied);
            }, AS_OF, none),
            ("a hot issue alone needs supervision", |t| t.hot_issue = true, AS_OF,
             [false, false, true, false, false, false]),
            // --- callback_late: feedback Thu Nov 5, deadline Tue Nov 10 23:59:59.
            ("callback exactly at the deadline", |t| {
                t.feedback_at = Some(dt("2026-11-05 10:00:00"));
                t.callback_at = Some(dt("2026-11-10 23:59:59"));
                t.callback_operator_id = "1031".into();
                t.callback_result = Some(CallbackResult::Satisfied);
            }, AS_OF, none),
            ("callback one second late", |t| {
                t.feedback_at = Some(dt("2026-11-05 10:00:00"));
                t.callback_at = Some(dt("2026-11-11 00:00:00"));
                t.callback_operator_id = "1031".into();
                t.callback_result = Some(CallbackResult::Satisfied);
            }, AS_OF, [false, false, false, true, false, false]),
            ("no callback yet, as of the deadline", |t| t.feedback_at = Some(dt("2026-11-05 10:00:00")),
             "2026-11-10 23:59:59", none),
            ("no callback, deadline passed", |t| t.feedback_at = Some(dt("2026-11-05 10:00:00")),
             "2026-11-11 00:00:00", [false, false, false, true, false, false]),
            ("a callback without feedback is never late", |t| {
                t.callback_at = Some(dt("2026-11-27 10:00:00"));
                t.callback_operator_id = "1031".into();
                t.callback_result = Some(CallbackResult::Satisfied);
            }, AS_OF, none),
            ("callback deadline on the 国庆 make-up Saturday Oct 10", |t| {
                t.dispatched_at = Some(dt("2026-09-28 10:00:00"));
                t.completed_at = Some(dt("2026-09-30 09:00:00"));
                t.feedback_at = Some(dt("2026-09-30 10:00:00"));
                t.callback_at = Some(dt("2026-10-10 23:59:59"));
                t.callback_operator_id = "1031".into();
                t.callback_result = Some(CallbackResult::Satisfied);
            }, AS_OF, none),
            ("callback the Sunday after that deadline", |t| {
                t.dispatched_at = Some(dt("2026-09-28 10:00:00"));
                t.completed_at = Some(dt("2026-09-30 09:00:00"));
                t.feedback_at = Some(dt("2026-09-30 10:00:00"));
                t.callback_at = Some(dt("2026-10-11 00:00:00"));
                t.callback_operator_id = "1031".into();
                t.callback_result = Some(CallbackResult::Satisfied);
            }, AS_OF, [false, false, false, true, false, false]),
            // --- callback_by_other (as samples/ GD20260929087: deadline Oct 13).
            ("callback by another operator", |t| {
                t.dispatched_at = Some(dt("2026-09-29 15:30:00"));
                t.completed_at = Some(dt("2026-10-09 11:20:00"));
                t.feedback_at = Some(dt("2026-10-09 16:05:00"));
                t.callback_at = Some(dt("2026-10-12 10:15:00"));
                t.callback_operator_id = "2025".into();
                t.callback_result = Some(CallbackResult::Satisfied);
            }, AS_OF, [false, false, false, false, true, false]),
            ("callback by the same operator, spaces around", |t| {
                t.callback_at = Some(dt("2026-11-09 10:00:00"));
                t.callback_operator_id = " 1031 ".into();
                t.callback_result = Some(CallbackResult::Satisfied);
            }, AS_OF, none),
            ("callback with no operator recorded", |t| {
                t.callback_at = Some(dt("2026-11-09 10:00:00"));
                t.callback_result = Some(CallbackResult::Satisfied);
            }, AS_OF, [false, false, false, false, true, false]),
            ("other operator named, no callback made", |t| t.callback_operator_id = "2025".into(),
             AS_OF, none),
            // --- callback_result_missing
            ("callback without a result", |t| {
                t.callback_at = Some(dt("2026-11-09 10:00:00"));
                t.callback_operator_id = "1031".into();
            }, AS_OF, [false, false, false, false, false, true]),
            ("no callback, no result, callback not yet due", |t| {
                t.feedback_at = Some(dt("2026-11-20 10:00:00"));
            }, "2026-11-25 23:59:59", none),
            // --- all at once
            ("every rule broken", |t| *t = everything_wrong(), AS_OF, [true; 6]),
        ];
        for (what, edit, as_of, expected) in table {
            let mut t = base();
            edit(&mut t);
            let r = assess(&t, &cal, &cfg(), dt(as_of));
            assert_eq!(r.flags(), *expected, "{what}: {r:?}");
            assert_ne!(r.status, Status::NotDispatched, "{what}");
        }
    }

    #[test]
    fn flag_names_follow_the_fields() {
        let flags = |r: Timeliness| r.flags().iter().position(|f| *f);
        let none = Timeliness::not_dispatched;
        let table = [
            (
                flags(Timeliness {
                    overdue_not_urged: true,
                    ..none()
                }),
                "overdue_not_urged",
            ),
            (
                flags(Timeliness {
                    urged_by_wrong: true,
                    ..none()
                }),
                "urged_by_wrong",
            ),
            (
                flags(Timeliness {
                    not_supervised: true,
                    ..none()
                }),
                "not_supervised",
            ),
            (
                flags(Timeliness {
                    callback_late: true,
                    ..none()
                }),
                "callback_late",
            ),
            (
                flags(Timeliness {
                    callback_by_other: true,
                    ..none()
                }),
                "callback_by_other",
            ),
            (
                flags(Timeliness {
                    callback_result_missing: true,
                    ..none()
                }),
                "callback_result_missing",
            ),
        ];
        for (position, name) in table {
            assert_eq!(position.map(|i| FLAGS[i]), Some(name));
        }
    }

    /// (what, edit, as_of, urge_deadline, callback_deadline, callback_due, callback_on_time)
    type DeadlineCase = (
        &'static str,
        Edit,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        bool,
        bool,
    );

    #[rustfmt::skip]
    #[test]
    fn deadlines_and_callback_counts() {
        let cal = Calendar::builtin();
        let table: &[DeadlineCase] = &[
            ("on time, no feedback", |_| {}, AS_OF, None, None, false, false),
            ("late: urge window", |t| t.completed_at = Some(dt("2026-11-12 10:00:00")), AS_OF,
             Some("2026-11-10 23:59:59"), None, false, false),
            ("feedback, callback pending, not due yet", |t| t.feedback_at = Some(dt("2026-11-05 10:00:00")),
             "2026-11-10 23:59:59", None, Some("2026-11-10 23:59:59"), false, false),
            ("feedback, callback pending past deadline", |t| t.feedback_at = Some(dt("2026-11-05 10:00:00")),
             "2026-11-11 00:00:00", None, Some("2026-11-10 23:59:59"), true, false),
            ("callback made before the deadline passed", |t| {
                t.feedback_at = Some(dt("2026-11-05 10:00:00"));
                t.callback_at = Some(dt("2026-11-06 10:00:00"));
            }, "2026-11-06 12:00:00", None, Some("2026-11-10 23:59:59"), true, true),
            ("callback exactly at the deadline", |t| {
                t.feedback_at = Some(dt("2026-11-05 10:00:00"));
                t.callback_at = Some(dt("2026-11-10 23:59:59"));
            }, AS_OF, None, Some("2026-11-10 23:59:59"), true, true),
            ("callback made late", |t| {
                t.feedback_at = Some(dt("2026-11-05 10:00:00"));
                t.callback_at = Some(dt("2026-11-11 10:00:00"));
            }, AS_OF, None, Some("2026-11-10 23:59:59"), true, false),
            ("callback without feedback is not counted", |t| t.callback_at = Some(dt("2026-11-06 10:00:00")),
             AS_OF, None, None, false, false),
            // 春节 2025: feedback Mon Jan 27 → Feb 5, 6, 7.
            ("feedback before 春节", |t| t.feedback_at = Some(dt("2025-01-27 16:00:00")),
             AS_OF, None, Some("2025-02-07 23:59:59"), true, false),
        ];
        for (what, edit, as_of, urge, callback, due, on_time) in table {
            let mut t = base();
            edit(&mut t);
            let r = assess(&t, &cal, &cfg(), dt(as_of));
            assert_eq!(
                (r.urge_deadline, r.callback_deadline, r.callback_due, r.callback_on_time),
                (urge.map(dt), callback.map(dt), *due, *on_time),
                "{what}"
            );
        }
    }

    #[test]
    fn configured_windows() {
        let cal = Calendar::builtin();
        let cfg = WorkflowConfig {
            urge_within_working_days: 2,
            callback_within_working_days: 5,
            ..WorkflowConfig::default()
        };
        let t = Ticket {
            completed_at: Some(dt("2026-11-12 10:00:00")),
            urged_at: Some(dt("2026-11-11 12:00:00")),
            urged_by: "班长".into(),
            supervised_at: Some(dt("2026-11-11 12:00:00")),
            feedback_at: Some(dt("2026-11-05 10:00:00")),
            callback_at: Some(dt("2026-11-12 10:00:00")),
            callback_operator_id: "1031".into(),
            callback_result: Some(CallbackResult::Satisfied),
            ..base()
        };
        let r = assess(&t, &cal, &cfg, dt(AS_OF));
        // Due Nov 9: urge by Nov 11; feedback Nov 5: Nov 6, 9, 10, 11, 12.
        assert_eq!(r.urge_deadline, Some(dt("2026-11-11 23:59:59")));
        assert_eq!(r.callback_deadline, Some(dt("2026-11-12 23:59:59")));
        assert_eq!(r.status, Status::Late);
        assert_eq!(r.flags(), [false; 6]);
    }

    /// (dispatched_at, due_at given, completed_at, due, outside_calendar)
    type YearsCase = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
        &'static [i32],
    );

    #[rustfmt::skip]
    #[test]
    fn years_outside_the_calendar() {
        let cal = Calendar::builtin();
        let table: &[YearsCase] = &[
            ("2026-11-02 09:00:00", None, None, "2026-11-09 23:59:59", &[]),
            // Dec 29, 30, 31, Fri 2027-01-01 (weekend rule only), Mon Jan 4.
            ("2026-12-28 09:00:00", None, None, "2027-01-04 23:59:59", &[2027]),
            // Dec 31, Jan 2 (Jan 1 is 元旦), Jan 3, Jan 6, Jan 7.
            ("2019-12-30 09:00:00", None, None, "2020-01-07 23:59:59", &[2019]),
            // A given due date in 2030, done late: working days and the
            // urge window run through years nobody has published.
            ("2026-11-02 09:00:00", Some("2030-01-01 12:00:00"), Some("2030-01-02 10:00:00"),
             "2030-01-01 12:00:00", &[2027, 2028, 2029, 2030]),
        ];
        for (dispatched, given, done, due, years) in table {
            let t = Ticket {
                dispatched_at: Some(dt(dispatched)),
                due_at: given.map(dt),
                completed_at: done.map(dt),
                ..base()
            };
            let r = assess(&t, &cal, &cfg(), dt(dispatched));
            assert_eq!(r.due_at, Some(dt(due)), "{dispatched}");
            assert_eq!(r.outside_calendar, *years, "{dispatched}");
        }
    }

    #[test]
    fn extreme_times_do_not_panic() {
        let cal = Calendar::builtin();
        let max = NaiveDateTime::MAX;
        let min = NaiveDateTime::MIN;
        for urgency in [Urgency::Normal, Urgency::Urgent] {
            let t = Ticket {
                urgency: Some(urgency),
                dispatched_at: Some(max),
                completed_at: Some(min),
                feedback_at: Some(max),
                urged_at: Some(min),
                callback_at: Some(max),
                ..base()
            };
            let r = assess(&t, &cal, &cfg(), max);
            assert_eq!(r.due_at, Some(end_of_day(NaiveDate::MAX)), "{urgency}");
            assert_eq!(r.status, Status::OnTime);
            assert_eq!(r.working_days_taken, Some(0));
            assert_eq!(r.callback_deadline, Some(end_of_day(NaiveDate::MAX)));
            assert_eq!(
                r.outside_calendar,
                vec![NaiveDate::MIN.year(), NaiveDate::MAX.year()]
            );

            let t = Ticket {
                urgency: Some(urgency),
                dispatched_at: Some(min),
                completed_at: Some(max),
                ..base()
            };
            let cfg = WorkflowConfig {
                count_dispatch_day: true,
                ..cfg()
            };
            let r = assess(&t, &cal, &cfg, min);
            assert_eq!(r.status, Status::Late);
            assert!(r.working_days_taken.is_some_and(|d| d > 0));
            assert!(r.urge_deadline.is_some());
        }
    }

    mod props {
        use super::*;
        use chrono::DateTime;
        use proptest::prelude::*;

        /// Any representable time, or (more often) one in 2019–2027.
        fn time() -> impl Strategy<Value = NaiveDateTime> {
            let lo = NaiveDateTime::MIN.and_utc().timestamp();
            let hi = NaiveDateTime::MAX.and_utc().timestamp();
            prop_oneof![
                1 => lo..=hi,
                4 => 1_545_000_000_i64..1_830_000_000,
            ]
            .prop_map(|s| {
                DateTime::from_timestamp(s, 0)
                    .map(|d| d.naive_utc())
                    .unwrap_or_default()
            })
        }

        fn opt_time() -> impl Strategy<Value = Option<NaiveDateTime>> {
            proptest::option::of(time())
        }

        prop_compose! {
            fn ticket()(
                handling in proptest::option::of(proptest::sample::select(Handling::ALL)),
                urgency in proptest::option::of(proptest::sample::select(Urgency::ALL)),
                category in proptest::option::of(proptest::sample::select(Category::ALL)),
                result in proptest::option::of(proptest::sample::select(CallbackResult::ALL)),
                hot in any::<bool>(),
                times in (opt_time(), opt_time(), opt_time(), opt_time(),
                          opt_time(), opt_time(), opt_time()),
                urged_by in proptest::sample::select(vec!["", "班长", "办公室", " x "]),
                cb_op in proptest::sample::select(vec!["", "1031", "2025"]),
            ) -> Ticket {
                let (dispatched_at, due_at, completed_at, feedback_at,
                     urged_at, supervised_at, callback_at) = times;
                Ticket {
                    handling, urgency, category, callback_result: result, hot_issue: hot,
                    dispatched_at, due_at, completed_at, feedback_at, urged_at,
                    supervised_at, callback_at,
                    urged_by: urged_by.into(), callback_operator_id: cb_op.into(),
                    ..base()
                }
            }
        }

        proptest! {
            #[test]
            fn assess_is_total_and_consistent(
                t in ticket(),
                as_of in time(),
                count in any::<bool>(),
                days in 0_u32..12,
            ) {
                let cal = Calendar::builtin();
                let cfg = WorkflowConfig {
                    count_dispatch_day: count,
                    due_working_days: days,
                    urge_within_working_days: days % 3,
                    ..WorkflowConfig::default()
                };
                let r = assess(&t, &cal, &cfg, as_of);
                if r.status == Status::NotDispatched {
                    prop_assert_eq!(r.flags(), [false; 6]);
                    prop_assert!(r.due_at.is_none() && r.working_days_taken.is_none());
                } else {
                    let due = r.due_at.expect("dispatched tickets have a due time");
                    let expected = match t.completed_at {
                        Some(c) if c <= due => Status::OnTime,
                        Some(_) => Status::Late,
                        None if as_of > due => Status::OpenOverdue,
                        None => Status::Open,
                    };
                    prop_assert_eq!(r.status, expected);
                    prop_assert_eq!(r.working_days_taken.is_some(), t.completed_at.is_some());
                    prop_assert!(r.working_days_taken.unwrap_or(0) >= 0);
                    prop_assert!(!r.overdue_not_urged || r.status.is_overdue());
                    prop_assert_eq!(r.urge_deadline.is_some(), r.status.is_overdue());
                }
                prop_assert!(!r.callback_on_time || r.callback_due);
                prop_assert!(!(r.callback_on_time && r.callback_late));
                let called_back = t.feedback_at.is_some() && t.callback_at.is_some();
                if called_back && r.status != Status::NotDispatched {
                    prop_assert!(r.callback_on_time != r.callback_late);
                }
                prop_assert!(r.outside_calendar.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }
}
