//! Per-unit and per-category totals of ticket timeliness: the rows of
//! `units.csv`.
//!
//! A hotline office judges its 承办单位 by a handful of rates (按时办结率,
//! 满意率, 回访及时率) and the counts behind them. [`UnitStats`] gathers them
//! one ticket at a time, from the ticket and its [`Timeliness`], so tickets
//! can be streamed and never held in memory; [`UnitStats::rows`] then lays
//! the totals out in a fixed, deterministic order (ordered maps, no hashing).
//!
//! Definitions (spec §4 and issue 3):
//! - every ticket counts in `tickets`; `dispatched` excludes
//!   [`Status::NotDispatched`];
//! - on-time rate = on_time / (on_time + late + open_overdue): open tickets
//!   not yet due are left out, they can still go either way;
//! - mean working days over the tickets with `working_days_taken` (the
//!   completed, dispatched ones);
//! - satisfaction rate = (满意 + 基本满意) / tickets with a callback result
//!   (the recorded result is counted even when `callback_at` is empty);
//! - callback on-time rate = callbacks on time / callbacks due, as
//!   [`Timeliness::callback_due`] and [`Timeliness::callback_on_time`] define
//!   them.
//!
//! A rate with nothing to divide by is `None` (an empty cell), never 0 or NaN.

use std::collections::BTreeMap;

use super::timeliness::{Status, Timeliness};
use crate::model::{CallbackResult, Category, Ticket};

/// The name shown for an empty unit or category.
pub const UNSPECIFIED: &str = "（未指定）";

/// The name of the unit row that totals all tickets.
pub const TOTAL: &str = "合计";

/// One row of `units.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitRow {
    /// `"unit"` or `"category"`.
    pub group: &'static str,
    /// The unit or category name; [`UNSPECIFIED`] when empty, [`TOTAL`] for
    /// the row over all tickets.
    pub name: String,
    /// Every ticket, dispatched or not.
    pub tickets: u64,
    /// Tickets sent to a unit (status other than not_dispatched).
    pub dispatched: u64,
    /// Completed by the due time.
    pub on_time: u64,
    /// Completed after the due time.
    pub late: u64,
    /// Open and not yet due.
    pub open: u64,
    /// Open past the due time.
    pub open_overdue: u64,
    /// on_time / (on_time + late + open_overdue).
    pub on_time_rate: Option<f64>,
    /// Mean working days taken over the completed dispatched tickets.
    pub mean_working_days: Option<f64>,
    /// Tickets with `urged_at` set.
    pub urged: u64,
    /// Tickets flagged overdue_not_urged.
    pub overdue_not_urged: u64,
    /// Tickets with `supervised_at` set.
    pub supervised: u64,
    /// Tickets flagged not_supervised (supervision required and missing).
    pub not_supervised: u64,
    /// Callbacks made (`callback_at` set).
    pub callbacks: u64,
    /// Callback result 满意.
    pub satisfied: u64,
    /// Callback result 基本满意.
    pub basically_satisfied: u64,
    /// Callback result 不满意.
    pub dissatisfied: u64,
    /// (满意 + 基本满意) / tickets with a callback result.
    pub satisfaction_rate: Option<f64>,
    /// Callbacks due (feedback received, and the callback made or its
    /// deadline passed).
    pub callbacks_due: u64,
    /// Callbacks due and made by the deadline.
    pub callbacks_on_time: u64,
    /// callbacks_on_time / callbacks_due.
    pub callback_on_time_rate: Option<f64>,
}

/// Column names of `units.csv`, in [`UnitRow`] field order.
pub const UNIT_COLUMNS: &[&str] = &[
    "group",
    "name",
    "tickets",
    "dispatched",
    "on_time",
    "late",
    "open",
    "open_overdue",
    "on_time_rate",
    "mean_working_days",
    "urged",
    "overdue_not_urged",
    "supervised",
    "not_supervised",
    "callbacks",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "satisfaction_rate",
    "callbacks_due",
    "callbacks_on_time",
    "callback_on_time_rate",
];

/// The running counts behind one row. Public so that counts summed
/// elsewhere from the same per-ticket outcomes (the workbench sums its
/// imported tickets in SQL) become a row with the same rates
/// ([`Tally::row`]), not a second copy of their definitions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// As [`UnitRow`]'s `tickets`.
    pub tickets: u64,
    /// As [`UnitRow`]'s `dispatched`.
    pub dispatched: u64,
    /// As [`UnitRow`]'s `on_time`.
    pub on_time: u64,
    /// As [`UnitRow`]'s `late`.
    pub late: u64,
    /// As [`UnitRow`]'s `open`.
    pub open: u64,
    /// As [`UnitRow`]'s `open_overdue`.
    pub open_overdue: u64,
    /// Sum of working days taken; wide so that no input can overflow it.
    pub working_days_sum: i128,
    /// Tickets with working days taken (the divisor of the mean).
    pub working_days_count: u64,
    /// As [`UnitRow`]'s `urged`.
    pub urged: u64,
    /// As [`UnitRow`]'s `overdue_not_urged`.
    pub overdue_not_urged: u64,
    /// As [`UnitRow`]'s `supervised`.
    pub supervised: u64,
    /// As [`UnitRow`]'s `not_supervised`.
    pub not_supervised: u64,
    /// As [`UnitRow`]'s `callbacks`.
    pub callbacks: u64,
    /// As [`UnitRow`]'s `satisfied`.
    pub satisfied: u64,
    /// As [`UnitRow`]'s `basically_satisfied`.
    pub basically_satisfied: u64,
    /// As [`UnitRow`]'s `dissatisfied`.
    pub dissatisfied: u64,
    /// As [`UnitRow`]'s `callbacks_due`.
    pub callbacks_due: u64,
    /// As [`UnitRow`]'s `callbacks_on_time`.
    pub callbacks_on_time: u64,
}

fn count(flag: bool) -> u64 {
    u64::from(flag)
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Tally {
    fn add(&mut self, t: &Ticket, r: &Timeliness) {
        self.tickets += 1;
        self.dispatched += count(r.status != Status::NotDispatched);
        self.on_time += count(r.status == Status::OnTime);
        self.late += count(r.status == Status::Late);
        self.open += count(r.status == Status::Open);
        self.open_overdue += count(r.status == Status::OpenOverdue);
        if let Some(days) = r.working_days_taken {
            self.working_days_sum += i128::from(days);
            self.working_days_count += 1;
        }
        self.urged += count(t.urged_at.is_some());
        self.overdue_not_urged += count(r.overdue_not_urged);
        self.supervised += count(t.supervised_at.is_some());
        self.not_supervised += count(r.not_supervised);
        self.callbacks += count(t.callback_at.is_some());
        self.satisfied += count(t.callback_result == Some(CallbackResult::Satisfied));
        self.basically_satisfied +=
            count(t.callback_result == Some(CallbackResult::MostlySatisfied));
        self.dissatisfied += count(t.callback_result == Some(CallbackResult::Dissatisfied));
        self.callbacks_due += count(r.callback_due);
        self.callbacks_on_time += count(r.callback_on_time);
    }

    /// Adds the counts of `o`, as if its tickets had been added here.
    pub fn merge(&mut self, o: &Tally) {
        self.tickets += o.tickets;
        self.dispatched += o.dispatched;
        self.on_time += o.on_time;
        self.late += o.late;
        self.open += o.open;
        self.open_overdue += o.open_overdue;
        self.working_days_sum += o.working_days_sum;
        self.working_days_count += o.working_days_count;
        self.urged += o.urged;
        self.overdue_not_urged += o.overdue_not_urged;
        self.supervised += o.supervised;
        self.not_supervised += o.not_supervised;
        self.callbacks += o.callbacks;
        self.satisfied += o.satisfied;
        self.basically_satisfied += o.basically_satisfied;
        self.dissatisfied += o.dissatisfied;
        self.callbacks_due += o.callbacks_due;
        self.callbacks_on_time += o.callbacks_on_time;
    }

    /// The row of these counts, with the rates of the module docs.
    pub fn row(&self, group: &'static str, name: &str) -> UnitRow {
        let with_result = self.satisfied + self.basically_satisfied + self.dissatisfied;
        UnitRow {
            group,
            name: name.to_string(),
            tickets: self.tickets,
            dispatched: self.dispatched,
            on_time: self.on_time,
            late: self.late,
            open: self.open,
            open_overdue: self.open_overdue,
            on_time_rate: ratio(self.on_time, self.on_time + self.late + self.open_overdue),
            mean_working_days: (self.working_days_count > 0)
                .then(|| self.working_days_sum as f64 / self.working_days_count as f64),
            urged: self.urged,
            overdue_not_urged: self.overdue_not_urged,
            supervised: self.supervised,
            not_supervised: self.not_supervised,
            callbacks: self.callbacks,
            satisfied: self.satisfied,
            basically_satisfied: self.basically_satisfied,
            dissatisfied: self.dissatisfied,
            satisfaction_rate: ratio(self.satisfied + self.basically_satisfied, with_result),
            callbacks_due: self.callbacks_due,
            callbacks_on_time: self.callbacks_on_time,
            callback_on_time_rate: ratio(self.callbacks_on_time, self.callbacks_due),
        }
    }
}

/// How a ticket's category is grouped: the six values in the spec's order,
/// then any other text alphabetically (the derived order does both).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum CategoryKey {
    Known(Category),
    Other(String),
}

impl CategoryKey {
    fn of(t: &Ticket) -> CategoryKey {
        match t.category {
            Some(c) => CategoryKey::Known(c),
            None => CategoryKey::Other(name_or_unspecified(&t.category_raw)),
        }
    }

    fn name(&self) -> &str {
        match self {
            CategoryKey::Known(c) => c.zh(),
            CategoryKey::Other(s) => s,
        }
    }
}

pub(crate) fn name_or_unspecified(s: &str) -> String {
    trimmed_or_unspecified(s).to_string()
}

/// [`name_or_unspecified`], borrowed.
fn trimmed_or_unspecified(s: &str) -> &str {
    let s = s.trim();
    if s.is_empty() {
        UNSPECIFIED
    } else {
        s
    }
}

/// The running totals behind `units.csv`: feed it every ticket with
/// [`UnitStats::add`], then read [`UnitStats::rows`].
#[derive(Clone, Debug, Default)]
pub struct UnitStats {
    units: BTreeMap<String, Tally>,
    total: Tally,
    categories: BTreeMap<CategoryKey, Tally>,
}

impl UnitStats {
    /// Counts one ticket and its assessment under its unit (trimmed;
    /// [`UNSPECIFIED`] when empty), under its category, and in the total.
    pub fn add(&mut self, t: &Ticket, r: &Timeliness) {
        // Looked up by the borrowed name: a unit's name is copied once,
        // when it is first seen, not for every ticket.
        let unit = trimmed_or_unspecified(&t.unit);
        match self.units.get_mut(unit) {
            Some(tally) => tally.add(t, r),
            None => self.units.entry(unit.to_string()).or_default().add(t, r),
        }
        self.categories
            .entry(CategoryKey::of(t))
            .or_default()
            .add(t, r);
        self.total.add(t, r);
    }

    /// Adds the counts of `other`, as if its tickets had been added here
    /// (for totals gathered in parallel).
    pub fn merge(&mut self, other: &UnitStats) {
        for (name, tally) in &other.units {
            self.units.entry(name.clone()).or_default().merge(tally);
        }
        for (key, tally) in &other.categories {
            self.categories.entry(key.clone()).or_default().merge(tally);
        }
        self.total.merge(&other.total);
    }

    /// The rows of `units.csv`: the units sorted by name (code-point order),
    /// then the [`TOTAL`] unit row over all tickets, then the categories
    /// present in the order 建议, 一般诉求, 求助, 投诉举报, 咨询, 表扬, then any
    /// other category text sorted. With no tickets, only the total row.
    pub fn rows(&self) -> Vec<UnitRow> {
        let mut rows = Vec::with_capacity(self.units.len() + self.categories.len() + 1);
        rows.extend(self.units.iter().map(|(name, t)| t.row("unit", name)));
        rows.push(self.total.row("unit", TOTAL));
        rows.extend(
            self.categories
                .iter()
                .map(|(key, t)| t.row("category", key.name())),
        );
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").expect("test time")
    }

    /// An assessment with the given status and working days, no flags.
    fn assessed(status: Status, working_days_taken: Option<i64>) -> Timeliness {
        Timeliness {
            status,
            due_at: None,
            working_days_taken,
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

    fn ticket(unit: &str, category: Option<Category>, raw: &str) -> Ticket {
        Ticket {
            unit: unit.into(),
            category,
            category_raw: raw.into(),
            ..Ticket::default()
        }
    }

    /// Six tickets whose totals are worked out by hand in [`expected`].
    fn sample() -> Vec<(Ticket, Timeliness)> {
        // 1: 市城管局 一般诉求, on time in 3 days, called back on time, 满意.
        let t1 = Ticket {
            callback_at: Some(dt("2026-11-10 10:00:00")),
            callback_result: Some(CallbackResult::Satisfied),
            ..ticket("市城管局", Some(Category::General), "一般诉求")
        };
        let r1 = Timeliness {
            callback_due: true,
            callback_on_time: true,
            ..assessed(Status::OnTime, Some(3))
        };
        // 2: the same unit (written with spaces) 投诉举报, late in 7 days,
        // urged and supervised, called back late, 基本满意.
        let t2 = Ticket {
            urged_at: Some(dt("2026-11-10 10:00:00")),
            supervised_at: Some(dt("2026-11-11 10:00:00")),
            callback_at: Some(dt("2026-11-20 10:00:00")),
            callback_result: Some(CallbackResult::MostlySatisfied),
            ..ticket(" 市城管局 ", Some(Category::Complaint), "投诉举报")
        };
        let r2 = Timeliness {
            callback_due: true,
            callback_late: true,
            ..assessed(Status::Late, Some(7))
        };
        // 3: 市城管局 一般诉求, open overdue, neither urged nor supervised.
        let t3 = ticket("市城管局", Some(Category::General), "一般诉求");
        let r3 = Timeliness {
            overdue_not_urged: true,
            not_supervised: true,
            ..assessed(Status::OpenOverdue, None)
        };
        // 4: 城东区人民政府 咨询, open.
        let t4 = ticket("城东区人民政府", Some(Category::Inquiry), "咨询");
        let r4 = assessed(Status::Open, None);
        // 5: no unit, no category, not dispatched.
        let t5 = ticket("", None, "");
        let r5 = assessed(Status::NotDispatched, None);
        // 6: 城东区人民政府, category text 其他 (not one of the six), on time in
        // 1 day, called back on time, 不满意 and not supervised.
        let t6 = Ticket {
            callback_at: Some(dt("2026-11-12 10:00:00")),
            callback_result: Some(CallbackResult::Dissatisfied),
            ..ticket("城东区人民政府", None, " 其他 ")
        };
        let r6 = Timeliness {
            not_supervised: true,
            callback_due: true,
            callback_on_time: true,
            ..assessed(Status::OnTime, Some(1))
        };
        vec![(t1, r1), (t2, r2), (t3, r3), (t4, r4), (t5, r5), (t6, r6)]
    }

    /// (group, name, counts, rates): the counts are tickets, dispatched,
    /// on_time, late, open, open_overdue, urged, overdue_not_urged,
    /// supervised, not_supervised, callbacks, satisfied, basically_satisfied,
    /// dissatisfied, callbacks_due, callbacks_on_time; the rates are
    /// on_time_rate, mean_working_days, satisfaction_rate,
    /// callback_on_time_rate.
    type Expected = (&'static str, &'static str, [u64; 16], [Option<f64>; 4]);

    fn flatten(r: &UnitRow) -> (&'static str, &str, [u64; 16], [Option<f64>; 4]) {
        (
            r.group,
            &r.name,
            [
                r.tickets,
                r.dispatched,
                r.on_time,
                r.late,
                r.open,
                r.open_overdue,
                r.urged,
                r.overdue_not_urged,
                r.supervised,
                r.not_supervised,
                r.callbacks,
                r.satisfied,
                r.basically_satisfied,
                r.dissatisfied,
                r.callbacks_due,
                r.callbacks_on_time,
            ],
            [
                r.on_time_rate,
                r.mean_working_days,
                r.satisfaction_rate,
                r.callback_on_time_rate,
            ],
        )
    }

    #[rustfmt::skip]
    fn expected() -> Vec<Expected> {
        vec![
            // Units in code-point order: 城 (U+57CE) < 市 (U+5E02) < （ (U+FF08).
            ("unit", "城东区人民政府", [2, 2, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1],
             [Some(1.0), Some(1.0), Some(0.0), Some(1.0)]),
            ("unit", "市城管局", [3, 3, 1, 1, 0, 1, 1, 1, 1, 1, 2, 1, 1, 0, 2, 1],
             [Some(1.0 / 3.0), Some(5.0), Some(1.0), Some(0.5)]),
            ("unit", "（未指定）", [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
             [None, None, None, None]),
            // 2 on time of 4 decided; (3 + 7 + 1) / 3 days; 2 of 3 satisfied;
            // 2 of 3 callbacks on time.
            ("unit", "合计", [6, 5, 2, 1, 1, 1, 1, 1, 1, 2, 3, 1, 1, 1, 3, 2],
             [Some(0.5), Some(11.0 / 3.0), Some(2.0 / 3.0), Some(2.0 / 3.0)]),
            // Categories in the spec's order, then other text by code point:
            // 其 (U+5176) < （ (U+FF08).
            ("category", "一般诉求", [2, 2, 1, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1],
             [Some(0.5), Some(3.0), Some(1.0), Some(1.0)]),
            ("category", "投诉举报", [1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0],
             [Some(0.0), Some(7.0), Some(1.0), Some(0.0)]),
            ("category", "咨询", [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
             [None, None, None, None]),
            ("category", "其他", [1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1],
             [Some(1.0), Some(1.0), Some(0.0), Some(1.0)]),
            ("category", "（未指定）", [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
             [None, None, None, None]),
        ]
    }

    fn assert_rows(got: &[UnitRow], want: &[Expected]) {
        let names: Vec<(&str, &str)> = got.iter().map(|r| (r.group, r.name.as_str())).collect();
        let want_names: Vec<(&str, &str)> = want.iter().map(|w| (w.0, w.1)).collect();
        assert_eq!(names, want_names);
        for (g, w) in got.iter().zip(want) {
            let (group, name, counts, rates) = flatten(g);
            assert_eq!((group, name, counts), (w.0, w.1, w.2), "{name}");
            for (i, (a, b)) in rates.into_iter().zip(w.3).enumerate() {
                let close = match (a, b) {
                    (Some(a), Some(b)) => (a - b).abs() < 1e-12,
                    (a, b) => a == b,
                };
                assert!(close, "{name} rate #{i}: {a:?}, expected {b:?}");
            }
        }
    }

    #[test]
    fn aggregates_by_unit_and_category() {
        let mut stats = UnitStats::default();
        for (t, r) in sample() {
            stats.add(&t, &r);
        }
        assert_rows(&stats.rows(), &expected());
    }

    #[test]
    fn merging_equals_adding() {
        let sample = sample();
        let (a, b) = sample.split_at(2);
        let mut left = UnitStats::default();
        let mut right = UnitStats::default();
        for (t, r) in a {
            left.add(t, r);
        }
        for (t, r) in b {
            right.add(t, r);
        }
        left.merge(&right);
        assert_rows(&left.rows(), &expected());
    }

    #[test]
    fn categories_follow_the_spec_order() {
        let mut stats = UnitStats::default();
        // Added in reverse, plus text that is not a category.
        let mut cats: Vec<Category> = Category::ALL.to_vec();
        cats.reverse();
        for c in cats {
            stats.add(&ticket("u", Some(c), c.zh()), &assessed(Status::Open, None));
        }
        stats.add(
            &ticket("u", None, "其它诉求"),
            &assessed(Status::Open, None),
        );
        stats.add(&ticket("u", None, "Other"), &assessed(Status::Open, None));
        let names: Vec<String> = stats
            .rows()
            .into_iter()
            .filter(|r| r.group == "category")
            .map(|r| r.name)
            .collect();
        assert_eq!(
            names,
            [
                "建议",
                "一般诉求",
                "求助",
                "投诉举报",
                "咨询",
                "表扬",
                "Other",
                "其它诉求"
            ]
        );
    }

    #[test]
    fn no_tickets_gives_an_empty_total() {
        let rows = UnitStats::default().rows();
        assert_rows(&rows, &[("unit", TOTAL, [0; 16], [None, None, None, None])]);
    }

    #[test]
    fn columns_follow_the_row_fields() {
        assert_eq!(UNIT_COLUMNS.len(), 22);
        // The Debug form lists the fields in declaration order.
        let debug = format!("{:?}", UnitStats::default().rows()[0]);
        let mut at = 0;
        for col in UNIT_COLUMNS {
            let found = debug[at..].find(&format!(" {col}: ")).map(|i| i + at);
            assert!(found.is_some(), "{col} out of order in {debug}");
            at = found.unwrap_or(at) + col.len();
        }
    }
}
