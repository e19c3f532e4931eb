//! The supervision bulletin (督查通报, DESIGN §7): per department, district or category, what
//! a period came to — read from the deadline records and a few events, never from a case
//! row's latest dates — and the assessment score (考核) with its editable weights.
//!
//! Pure: `db::bulletin` reads the facts of a period, this module counts them.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::calendar::WorkCalendar;
use super::deadlines::DeadlineKind;

text_enum! {
    /// What the rows of the bulletin are.
    Grouping {
        Department => "department",
        District => "district",
        Category => "category",
    }
}

// The text enums' macro takes no `#[default]` on a variant.
#[allow(clippy::derivable_impls)]
impl Default for Grouping {
    fn default() -> Self {
        Grouping::Department
    }
}

/// City dates, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// The calendar month before the one `today` is in: the bulletin's default.
    pub fn previous_month(today: NaiveDate) -> Period {
        use chrono::Datelike as _;
        let first_of_this = today.with_day(1).unwrap_or(today);
        let to = first_of_this.pred_opt().unwrap_or(first_of_this);
        Period {
            from: to.with_day(1).unwrap_or(to),
            to,
        }
    }

    /// The twelve calendar months up to the one `today` is in (that one to `today`).
    pub fn last_twelve_months(today: NaiveDate) -> Period {
        use chrono::Datelike as _;
        let first = today.with_day(1).unwrap_or(today);
        let from = first
            .checked_sub_months(chrono::Months::new(11))
            .unwrap_or(first);
        Period { from, to: today }
    }

    /// The calendar months that meet the period, each cut to it.
    pub fn months(&self) -> Vec<Period> {
        use chrono::Datelike as _;
        let mut out = Vec::new();
        let mut start = self.from;
        while start <= self.to {
            let next = start
                .with_day(1)
                .and_then(|first| first.checked_add_months(chrono::Months::new(1)));
            let end = next
                .and_then(|n| n.pred_opt())
                .unwrap_or(self.to)
                .min(self.to);
            out.push(Period {
                from: start,
                to: end,
            });
            match next {
                Some(n) => start = n,
                None => break,
            }
        }
        out
    }

    /// The units the period's tallies are read from, coarsest first: every whole month,
    /// then every whole week part of what is left, then the days left over. Each day of the
    /// period lies in exactly one unit, so the units' sums add up to the days' exactly.
    pub fn units(&self) -> Vec<(Grain, NaiveDate)> {
        let mut out = Vec::new();
        let mut day = self.from;
        while day <= self.to {
            let unit = [Grain::Month, Grain::WeekPart, Grain::Day]
                .into_iter()
                .find(|g| g.start_of(day) == day && g.end_of(day) <= self.to)
                .unwrap_or(Grain::Day);
            out.push((unit, day));
            match unit.end_of(day).succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        out
    }

    /// The Monday-to-Sunday weeks that meet the period, each cut to it: the trend's points.
    pub fn weeks(&self) -> Vec<Period> {
        use chrono::Datelike as _;
        let mut out = Vec::new();
        let mut start = self.from;
        while start <= self.to {
            let days_to_sunday = 6 - start.weekday().num_days_from_monday();
            let end = (start + chrono::Days::new(u64::from(days_to_sunday))).min(self.to);
            out.push(Period {
                from: start,
                to: end,
            });
            match end.succ_opt() {
                Some(next) => start = next,
                None => break,
            }
        }
        out
    }
}

text_enum! {
    /// How finely the tallies are kept: by day, and rolled up by calendar month and by
    /// week part (a Monday-to-Sunday week cut at the month's ends, so that both a month
    /// and each of its trend weeks are whole units).
    Grain {
        Day => "day",
        WeekPart => "week",
        Month => "month",
    }
}

impl Grain {
    /// The first day of the unit of this grain that holds `day`.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        use chrono::Datelike as _;
        let month = day.with_day(1).unwrap_or(day);
        match self {
            Grain::Day => day,
            Grain::Month => month,
            Grain::WeekPart => {
                let back = chrono::Days::new(u64::from(day.weekday().num_days_from_monday()));
                day.checked_sub_days(back).unwrap_or(month).max(month)
            }
        }
    }

    /// The last day of the unit of this grain that starts on `start`.
    fn end_of(self, start: NaiveDate) -> NaiveDate {
        use chrono::Datelike as _;
        let month_end = start
            .with_day(1)
            .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
            .and_then(|next| next.pred_opt())
            .unwrap_or(start);
        match self {
            Grain::Day => start,
            Grain::Month => month_end,
            Grain::WeekPart => {
                let ahead =
                    chrono::Days::new(u64::from(6 - start.weekday().num_days_from_monday()));
                start
                    .checked_add_days(ahead)
                    .unwrap_or(month_end)
                    .min(month_end)
            }
        }
    }
}

/// Where a case belongs in each grouping.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    /// The department the fact concerns (the record's, or the case's lead).
    pub department: String,
    pub district: String,
    pub category: String,
}

impl Place {
    pub fn key(&self, grouping: Grouping) -> &str {
        match grouping {
            Grouping::Department => &self.department,
            Grouping::District => &self.district,
            Grouping::Category => &self.category,
        }
    }
}

/// One deadline record as the bulletin reads it (dates in city time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineFact {
    pub complaint_id: String,
    pub kind: DeadlineKind,
    pub place: Place,
    pub started_on: NaiveDate,
    pub due_on: NaiveDate,
    pub paused: bool,
    pub met_on: Option<NaiveDate>,
    pub superseded: bool,
    pub escalated_on: Option<NaiveDate>,
    /// The case counts as received: not withdrawn (nor merged into another).
    pub counted: bool,
}

impl DeadlineFact {
    fn is_open(&self) -> bool {
        self.met_on.is_none() && !self.superseded
    }
}

/// Something a case's timeline says happened on `day`, with where the case belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFact {
    pub day: NaiveDate,
    pub place: Place,
    pub happened: Happened,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happened {
    /// The department in `place` returned the case to the office; `upheld` once the office
    /// designated it elsewhere (`Some(true)`) or back to the same department (`Some(false)`).
    Returned {
        upheld: Option<bool>,
    },
    /// Answered (resolved) by the lead department.
    Resolved,
    Reopened,
    Rated {
        score: u8,
    },
}

text_enum! {
    /// What a settled fact adds to the figures of its day. The service keeps these added
    /// up by day (`db::bulletin`), in the transaction that changes the case, so a period's
    /// bulletin reads a few thousand sums instead of a month of records.
    Measure {
        ReceivedByDepartment => "received_by_department",
        ReceivedCase => "received_case",
        AcceptDue => "accept_due",
        AcceptKept => "accept_kept",
        FinishDue => "finish_due",
        FinishKept => "finish_kept",
        DaysToAccept => "days_to_accept",
        DaysToFinish => "days_to_finish",
        Escalated => "escalated",
        ReturnPending => "return_pending",
        ReturnUpheld => "return_upheld",
        ReturnNotUpheld => "return_not_upheld",
        Resolved => "resolved",
        Reopened => "reopened",
        Rating => "rating",
        JointTaskDue => "joint_task_due",
        JointTaskKept => "joint_task_kept",
    }
}

/// The histograms of working days, which only the medians read. A sum of rows (the weekly
/// trend's points) has no median, so it is counted without them: they are most of a
/// period's sums.
pub const HISTOGRAMS: [Measure; 2] = [Measure::DaysToAccept, Measure::DaysToFinish];

/// One settled fact's mark on a day: `value` is the working days of a `DaysTo…` measure
/// and the score of a `Rating` (0 otherwise), so that medians and means add up by day.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tally {
    pub day: NaiveDate,
    pub place: Place,
    pub measure: Measure,
    pub value: i32,
}

/// Tallies added up over a span, for one row of the bulletin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallySum {
    pub key: String,
    pub measure: Measure,
    pub value: i32,
    pub count: i64,
}

/// Deadlines still owed whose clock runs, by due date: the part of the figures that
/// depends on `today` and is therefore never added up ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owed {
    pub key: String,
    pub kind: DeadlineKind,
    pub due_on: NaiveDate,
    pub count: i64,
}

/// Which "received" a set of rows counts: per department a case each department received,
/// otherwise each case once (a case designated to a second department is one case of its
/// district).
pub fn received_measure(grouping: Grouping, one_department: bool) -> Measure {
    if grouping == Grouping::Department || one_department {
        Measure::ReceivedByDepartment
    } else {
        Measure::ReceivedCase
    }
}

/// What the records and events of cases add to the figures, day by day: everything but
/// the deadlines still owed (see [`owed`]). A case's tallies change only when the case
/// does, so the service subtracts its old ones and adds its new ones in that transaction.
pub fn tallies(
    deadlines: &[DeadlineFact],
    facts: &[CaseFact],
    calendar: &WorkCalendar,
) -> Vec<Tally> {
    let mut out = Vec::new();
    let tally = |day: NaiveDate, place: &Place, measure: Measure, value: i32| Tally {
        day,
        place: place.clone(),
        measure,
        value,
    };
    // Received: the first acceptance each department was asked for, and each case's first.
    let mut first_by_department: BTreeMap<(&str, &str), &DeadlineFact> = BTreeMap::new();
    let mut first_of_case: BTreeMap<&str, &DeadlineFact> = BTreeMap::new();
    for d in deadlines
        .iter()
        .filter(|d| d.kind == DeadlineKind::Accept && d.counted)
    {
        let earlier = |other: &&DeadlineFact| other.started_on <= d.started_on;
        let by_department = first_by_department
            .entry((d.complaint_id.as_str(), d.place.department.as_str()))
            .or_insert(d);
        if !earlier(by_department) {
            *by_department = d;
        }
        let of_case = first_of_case.entry(d.complaint_id.as_str()).or_insert(d);
        if !earlier(of_case) {
            *of_case = d;
        }
    }
    for d in first_by_department.values() {
        out.push(tally(
            d.started_on,
            &d.place,
            Measure::ReceivedByDepartment,
            0,
        ));
    }
    for d in first_of_case.values() {
        out.push(tally(d.started_on, &d.place, Measure::ReceivedCase, 0));
    }
    for d in deadlines {
        if let Some(day) = d.escalated_on {
            out.push(tally(day, &d.place, Measure::Escalated, 0));
        }
        // Owed deadlines are counted as of today ([`owed`]); a superseded one never fell due.
        let (Some(met), false) = (d.met_on, d.superseded) else {
            continue;
        };
        let (due, kept, days) = match d.kind {
            DeadlineKind::Accept => (
                Measure::AcceptDue,
                Measure::AcceptKept,
                Measure::DaysToAccept,
            ),
            DeadlineKind::Finish => (
                Measure::FinishDue,
                Measure::FinishKept,
                Measure::DaysToFinish,
            ),
            DeadlineKind::Opinion | DeadlineKind::Notify => continue,
        };
        out.push(tally(d.due_on, &d.place, due, 0));
        if met <= d.due_on {
            out.push(tally(d.due_on, &d.place, kept, 0));
        }
        let working_days = calendar.working_days_between(d.started_on, met);
        out.push(tally(
            met,
            &d.place,
            days,
            i32::try_from(working_days).unwrap_or(i32::MAX),
        ));
    }
    for fact in facts {
        let (measure, value) = match fact.happened {
            Happened::Returned { upheld: None } => (Measure::ReturnPending, 0),
            Happened::Returned { upheld: Some(true) } => (Measure::ReturnUpheld, 0),
            Happened::Returned {
                upheld: Some(false),
            } => (Measure::ReturnNotUpheld, 0),
            Happened::Resolved => (Measure::Resolved, 0),
            Happened::Reopened => (Measure::Reopened, 0),
            Happened::Rated { score } => (Measure::Rating, i32::from(score)),
        };
        out.push(tally(fact.day, &fact.place, measure, value));
    }
    out
}

/// A joint action's member task as the bulletin reads it (issue 13): the department owing
/// it, its due date, and when it was reported or ended unreported (city dates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFact {
    pub department: String,
    pub due_on: NaiveDate,
    pub reported_on: Option<NaiveDate>,
    /// The action ended (concluded or cancelled) with the task unreported.
    pub ended_on: Option<NaiveDate>,
}

/// What a settled task adds, on its due date: due once reported, or once its action ended
/// after the date passed unreported (ended before, it never fell due); kept when reported
/// by the date. A task still owed is counted as of today ([`add_owed_tasks`]). A task has
/// no district or category: it counts per department and for the city only.
pub fn task_tallies(task: &TaskFact) -> Vec<Tally> {
    let place = Place {
        department: task.department.clone(),
        district: String::new(),
        category: String::new(),
    };
    let tally = |measure| Tally {
        day: task.due_on,
        place: place.clone(),
        measure,
        value: 0,
    };
    match (task.reported_on, task.ended_on) {
        (Some(reported), _) if reported <= task.due_on => {
            vec![tally(Measure::JointTaskDue), tally(Measure::JointTaskKept)]
        }
        (Some(_), _) => vec![tally(Measure::JointTaskDue)],
        (None, Some(ended)) if ended > task.due_on => vec![tally(Measure::JointTaskDue)],
        (None, _) => Vec::new(),
    }
}

/// Tasks still owed (unreported, their action open) by department and due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedTask {
    pub department: String,
    pub due_on: NaiveDate,
    pub count: i64,
}

/// Adds to `rows` the owed tasks that fell due in the period before `today`: due, not kept.
pub fn add_owed_tasks(
    rows: &mut BTreeMap<String, Figures>,
    period: Period,
    today: NaiveDate,
    owed: &[OwedTask],
) {
    for task in owed {
        if task.due_on >= today || !period.contains(task.due_on) {
            continue;
        }
        if let Some(row) = rows.get_mut(&task.department) {
            row.joint_tasks.due += u32::try_from(task.count).unwrap_or(0);
        }
    }
}

/// The deadlines of `deadlines` still owed with their clock running, by group key.
pub fn owed(deadlines: &[DeadlineFact], grouping: Grouping) -> Vec<Owed> {
    deadlines
        .iter()
        .filter(|d| d.is_open() && !d.paused)
        .map(|d| Owed {
            key: d.place.key(grouping).to_owned(),
            kind: d.kind,
            due_on: d.due_on,
            count: 1,
        })
        .collect()
}

/// Adds up the tallies of `span` by group key (what the database does for the service).
pub fn sum(tallies: &[Tally], span: Period, grouping: Grouping) -> Vec<TallySum> {
    let mut sums: BTreeMap<(&str, Measure, i32), i64> = BTreeMap::new();
    for t in tallies.iter().filter(|t| span.contains(t.day)) {
        *sums
            .entry((t.place.key(grouping), t.measure, t.value))
            .or_default() += 1;
    }
    sums.into_iter()
        .map(|((key, measure, value), count)| TallySum {
            key: key.to_owned(),
            measure,
            value,
            count,
        })
        .collect()
}

impl PartialOrd for Measure {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Measure {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// Of the deadlines that fell due: how many, and how many were kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OnTime {
    pub due: u32,
    pub kept: u32,
}

impl OnTime {
    pub fn share(&self) -> Option<f64> {
        (self.due > 0).then(|| f64::from(self.kept) / f64::from(self.due))
    }
}

/// One row of the bulletin.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    pub received: u32,
    pub accepted: OnTime,
    pub finished: OnTime,
    pub overdue_now: u32,
    pub median_days_to_accept: Option<f64>,
    pub median_days_to_finish: Option<f64>,
    pub returns: u32,
    pub upheld: u32,
    pub not_upheld: u32,
    pub escalations: u32,
    pub resolved: u32,
    pub reopened: u32,
    pub ratings: u32,
    pub rating_total: u32,
    /// Joint-action tasks (issue 13) that fell due, and those reported by their date. Not
    /// part of the score.
    pub joint_tasks: OnTime,
}

impl Figures {
    /// Reopened ÷ resolved in the period.
    pub fn reopen_rate(&self) -> Option<f64> {
        (self.resolved > 0).then(|| f64::from(self.reopened) / f64::from(self.resolved))
    }

    /// Mean score of the ratings given, 1–5.
    pub fn satisfaction(&self) -> Option<f64> {
        (self.ratings > 0).then(|| f64::from(self.rating_total) / f64::from(self.ratings))
    }

    /// Of the returns the office has decided, the share it did not uphold.
    pub fn returns_not_upheld(&self) -> Option<f64> {
        let decided = self.upheld + self.not_upheld;
        (decided > 0).then(|| f64::from(self.not_upheld) / f64::from(decided))
    }

    /// Anything fell due in the period: the row is ranked.
    pub fn has_due(&self) -> bool {
        self.accepted.due + self.finished.due > 0
    }

    /// The score's parts, each 0–1 or n/a, in the order of `Weights::parts`.
    pub fn score_parts(&self) -> [Option<f64>; 5] {
        [
            self.finished.share(),
            self.accepted.share(),
            self.satisfaction().map(|s| s / 5.0),
            self.reopen_rate().map(|r| 1.0 - r.min(1.0)),
            self.returns_not_upheld().map(|r| 1.0 - r),
        ]
    }

    /// 0–100: the weighted mean of the parts there are, the missing parts' weights spread
    /// over the others; n/a when no part has anything to count.
    pub fn score(&self, weights: &Weights) -> Option<f64> {
        let (sum, total) = self
            .score_parts()
            .iter()
            .zip(weights.parts())
            .filter_map(|(part, weight)| part.map(|value| (value, f64::from(weight))))
            .fold((0.0, 0.0), |(sum, total), (value, weight)| {
                (sum + value * weight, total + weight)
            });
        (total > 0.0).then(|| 100.0 * sum / total)
    }
}

/// The assessment score's weights (DESIGN §7's default: 40, 20, 20, 10, 10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    pub finished_on_time: u32,
    pub accepted_on_time: u32,
    pub satisfaction: u32,
    pub not_reopened: u32,
    pub returns_upheld: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            finished_on_time: 40,
            accepted_on_time: 20,
            satisfaction: 20,
            not_reopened: 10,
            returns_upheld: 10,
        }
    }
}

impl Weights {
    /// The names of the parts, as form fields and message keys use them.
    pub const NAMES: [&'static str; 5] = [
        "finished_on_time",
        "accepted_on_time",
        "satisfaction",
        "not_reopened",
        "returns_upheld",
    ];

    pub fn parts(&self) -> [u32; 5] {
        [
            self.finished_on_time,
            self.accepted_on_time,
            self.satisfaction,
            self.not_reopened,
            self.returns_upheld,
        ]
    }

    /// The weights as typed in the form: whole numbers 0–100, not all zero. `Err` is the
    /// message key of the problem.
    pub fn parse_parts(typed: &[String; 5]) -> Result<Weights, &'static str> {
        let mut parts = [0u32; 5];
        for (part, text) in parts.iter_mut().zip(typed) {
            *part = text
                .parse::<u32>()
                .ok()
                .filter(|w| *w <= 100 && !text.starts_with('+'))
                .ok_or("reports.weights.problem.number")?;
        }
        if parts.iter().all(|w| *w == 0) {
            return Err("reports.weights.problem.all_zero");
        }
        Ok(Weights::from_parts(parts))
    }

    pub fn from_parts(parts: [u32; 5]) -> Weights {
        let [finished_on_time, accepted_on_time, satisfaction, not_reopened, returns_upheld] =
            parts;
        Weights {
            finished_on_time,
            accepted_on_time,
            satisfaction,
            not_reopened,
            returns_upheld,
        }
    }
}

/// One row per group key in `keys` (every active department, district or category: a
/// row with nothing is all zeros) from the tallies of `period` added up by key and the
/// deadlines still owed. `today` decides which owed deadlines have fallen due.
pub fn figures(
    keys: &[String],
    received: Measure,
    period: Period,
    today: NaiveDate,
    sums: &[TallySum],
    owed: &[Owed],
) -> BTreeMap<String, Figures> {
    let mut rows: BTreeMap<String, Figures> = keys
        .iter()
        .map(|k| (k.clone(), Figures::default()))
        .collect();
    let mut to_accept: BTreeMap<&str, Vec<(i32, i64)>> = BTreeMap::new();
    let mut to_finish: BTreeMap<&str, Vec<(i32, i64)>> = BTreeMap::new();
    for t in sums {
        let Some(row) = rows.get_mut(&t.key) else {
            continue;
        };
        let n = u32::try_from(t.count).unwrap_or(0);
        match t.measure {
            m if m == received => row.received += n,
            Measure::ReceivedByDepartment | Measure::ReceivedCase => {}
            Measure::AcceptDue => row.accepted.due += n,
            Measure::AcceptKept => row.accepted.kept += n,
            Measure::FinishDue => row.finished.due += n,
            Measure::FinishKept => row.finished.kept += n,
            Measure::DaysToAccept => to_accept
                .entry(&t.key)
                .or_default()
                .push((t.value, t.count)),
            Measure::DaysToFinish => to_finish
                .entry(&t.key)
                .or_default()
                .push((t.value, t.count)),
            Measure::Escalated => row.escalations += n,
            Measure::ReturnPending => row.returns += n,
            Measure::ReturnUpheld => {
                row.returns += n;
                row.upheld += n;
            }
            Measure::ReturnNotUpheld => {
                row.returns += n;
                row.not_upheld += n;
            }
            Measure::Resolved => row.resolved += n,
            Measure::Reopened => row.reopened += n,
            Measure::Rating => {
                row.ratings += n;
                row.rating_total += n * u32::try_from(t.value).unwrap_or(0);
            }
            Measure::JointTaskDue => row.joint_tasks.due += n,
            Measure::JointTaskKept => row.joint_tasks.kept += n,
        }
    }
    for d in owed {
        let Some(row) = rows.get_mut(&d.key) else {
            continue;
        };
        if d.due_on >= today {
            continue;
        }
        let n = u32::try_from(d.count).unwrap_or(0);
        row.overdue_now += n;
        // Fell due in the period and not kept: a stopped clock never gets here, and a date
        // still ahead has not fallen due.
        if period.contains(d.due_on) {
            match d.kind {
                DeadlineKind::Accept => row.accepted.due += n,
                DeadlineKind::Finish => row.finished.due += n,
                DeadlineKind::Opinion | DeadlineKind::Notify => {}
            }
        }
    }
    for (key, days) in to_accept {
        if let Some(row) = rows.get_mut(key) {
            row.median_days_to_accept = median(days);
        }
    }
    for (key, days) in to_finish {
        if let Some(row) = rows.get_mut(key) {
            row.median_days_to_finish = median(days);
        }
    }
    rows
}

/// The figures of every fact together (the city's), medians included.
pub fn figures_of_all(
    period: Period,
    today: NaiveDate,
    sums: &[TallySum],
    owed: &[Owed],
) -> Figures {
    let all = [String::new()];
    let sums: Vec<TallySum> = sums
        .iter()
        .map(|t| TallySum {
            key: String::new(),
            ..t.clone()
        })
        .collect();
    let owed: Vec<Owed> = owed
        .iter()
        .map(|d| Owed {
            key: String::new(),
            ..d.clone()
        })
        .collect();
    figures(&all, Measure::ReceivedCase, period, today, &sums, &owed)
        .remove("")
        .unwrap_or_default()
}

/// The median of a histogram of (value, how many).
fn median(mut histogram: Vec<(i32, i64)>) -> Option<f64> {
    histogram.retain(|(_, n)| *n > 0);
    histogram.sort_unstable();
    let total: i64 = histogram.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // The value at a 0-based rank.
    let at = |rank: i64| {
        let mut seen = 0;
        for (value, n) in &histogram {
            seen += n;
            if rank < seen {
                return f64::from(*value);
            }
        }
        f64::from(histogram.last().map_or(0, |(v, _)| *v))
    };
    Some(if total % 2 == 1 {
        at(total / 2)
    } else {
        (at(total / 2 - 1) + at(total / 2)) / 2.0
    })
}

/// A row of the bulletin: its group key and figures.
pub type Row<'a> = (&'a str, &'a Figures);

/// The bulletin's order: ranked rows (something fell due) by score, highest first, then
/// the rows with nothing due, each part by key for a stable order.
pub fn ranked<'a>(
    rows: &'a BTreeMap<String, Figures>,
    weights: &Weights,
) -> (Vec<Row<'a>>, Vec<Row<'a>>) {
    let (mut ranked, unranked): (Vec<_>, Vec<_>) = rows
        .iter()
        .map(|(k, f)| (k.as_str(), f))
        .partition(|(_, f)| f.has_due());
    ranked.sort_by(|a, b| {
        let score = |f: &Figures| f.score(weights).unwrap_or(-1.0);
        score(b.1).total_cmp(&score(a.1)).then(a.0.cmp(b.0))
    });
    (ranked, unranked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn a_period_reads_whole_months_then_week_parts_then_days_each_day_once() {
        let start = NaiveDate::from_ymd_opt(2026, 9, 20).unwrap();
        for from_offset in 0..45u64 {
            for length in 0..80u64 {
                let from = start + chrono::Days::new(from_offset);
                let period = Period {
                    from,
                    to: from + chrono::Days::new(length),
                };
                let mut days = Vec::new();
                for (grain, first) in period.units() {
                    assert_eq!(grain.start_of(first), first, "{period:?}");
                    let mut d = first;
                    while d <= grain.end_of(first) {
                        days.push(d);
                        d = d.succ_opt().unwrap();
                    }
                }
                let expected: Vec<NaiveDate> =
                    (0..=length).map(|n| from + chrono::Days::new(n)).collect();
                assert_eq!(days, expected, "{period:?}");
            }
        }
    }

    #[test]
    fn a_month_is_one_unit_and_its_trend_weeks_are_week_parts() {
        let october = Period {
            from: day(10, 1),
            to: day(10, 31),
        };
        assert_eq!(october.units(), vec![(Grain::Month, day(10, 1))]);
        for week in october.weeks() {
            assert_eq!(week.units(), vec![(Grain::WeekPart, week.from)], "{week:?}");
        }
        // 2026-10-15 is a Thursday, 2026-11-20 a Friday.
        let odd = Period {
            from: day(10, 15),
            to: day(11, 20),
        };
        let units = odd.units();
        assert_eq!(units.first(), Some(&(Grain::Day, day(10, 15))));
        assert!(units.contains(&(Grain::WeekPart, day(10, 19))));
        assert!(units.contains(&(Grain::WeekPart, day(11, 1))));
        assert!(units.contains(&(Grain::WeekPart, day(11, 2))));
        assert_eq!(units.last(), Some(&(Grain::Day, day(11, 20))));
        assert!(!units.iter().any(|(g, _)| *g == Grain::Month));
    }

    fn place(department: &str) -> Place {
        Place {
            department: department.into(),
            district: "361102".into(),
            category: "food".into(),
        }
    }

    fn record(id: &str, kind: DeadlineKind, due: NaiveDate) -> DeadlineFact {
        DeadlineFact {
            complaint_id: id.into(),
            kind,
            place: place("food-drug"),
            started_on: day(9, 1),
            due_on: due,
            paused: false,
            met_on: None,
            superseded: false,
            escalated_on: None,
            counted: true,
        }
    }

    /// What the service does with a period's facts: tallies added up, and the owed ones.
    fn count(
        keys: &[String],
        period: Period,
        today: NaiveDate,
        calendar: &WorkCalendar,
        deadlines: &[DeadlineFact],
        facts: &[CaseFact],
    ) -> BTreeMap<String, Figures> {
        let sums = sum(
            &tallies(deadlines, facts, calendar),
            period,
            Grouping::Department,
        );
        let owed = owed(deadlines, Grouping::Department);
        figures(
            keys,
            Measure::ReceivedByDepartment,
            period,
            today,
            &sums,
            &owed,
        )
    }

    #[test]
    fn a_case_is_received_once_by_each_department_and_once_by_its_district() {
        let calendar = WorkCalendar::official_2026();
        let period = Period {
            from: day(9, 1),
            to: day(9, 30),
        };
        // Returned, designated back to the same department, then to another.
        let first = record("a", DeadlineKind::Accept, day(9, 10));
        let again = DeadlineFact {
            started_on: day(9, 5),
            ..record("a", DeadlineKind::Accept, day(9, 14))
        };
        let other = DeadlineFact {
            place: place("market-regulation"),
            started_on: day(9, 7),
            ..record("a", DeadlineKind::Accept, day(9, 16))
        };
        let all = tallies(&[first, again, other], &[], &calendar);
        let by_department = sum(&all, period, Grouping::Department);
        let received = |key: &str, measure: Measure| {
            by_department
                .iter()
                .filter(|t| t.key == key && t.measure == measure)
                .map(|t| t.count)
                .sum::<i64>()
        };
        assert_eq!(received("food-drug", Measure::ReceivedByDepartment), 1);
        assert_eq!(
            received("market-regulation", Measure::ReceivedByDepartment),
            1
        );
        let by_district = sum(&all, period, Grouping::District);
        let rows = figures(
            &["361102".into()],
            received_measure(Grouping::District, false),
            period,
            day(9, 20),
            &by_district,
            &[],
        );
        assert_eq!(rows["361102"].received, 1, "one case");
        // Counted on the day of the first acceptance asked for.
        assert_eq!(
            sum(
                &all,
                Period {
                    from: day(9, 1),
                    to: day(9, 1)
                },
                Grouping::District
            )
            .iter()
            .filter(|t| t.measure == Measure::ReceivedCase)
            .count(),
            1
        );
    }

    #[test]
    fn a_joint_task_counts_on_its_due_date_once_reported_or_past_due() {
        let task = |reported: Option<NaiveDate>, ended: Option<NaiveDate>| TaskFact {
            department: "food-drug".into(),
            due_on: day(9, 10),
            reported_on: reported,
            ended_on: ended,
        };
        let measures = |t: TaskFact| {
            task_tallies(&t)
                .into_iter()
                .map(|t| (t.day, t.measure))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            measures(task(Some(day(9, 10)), None)),
            [
                (day(9, 10), Measure::JointTaskDue),
                (day(9, 10), Measure::JointTaskKept)
            ]
        );
        assert_eq!(
            measures(task(Some(day(9, 11)), Some(day(9, 20)))),
            [(day(9, 10), Measure::JointTaskDue)]
        );
        assert_eq!(measures(task(None, Some(day(9, 10)))), []);
        assert_eq!(
            measures(task(None, Some(day(9, 11)))),
            [(day(9, 10), Measure::JointTaskDue)]
        );
        assert_eq!(measures(task(None, None)), []);
        let period = Period {
            from: day(9, 1),
            to: day(9, 30),
        };
        let mut rows: BTreeMap<String, Figures> =
            [("food-drug".to_owned(), Figures::default())].into();
        let owed = |due_on| OwedTask {
            department: "food-drug".into(),
            due_on,
            count: 2,
        };
        add_owed_tasks(
            &mut rows,
            period,
            day(9, 15),
            &[owed(day(9, 14)), owed(day(9, 15)), owed(day(8, 31))],
        );
        assert_eq!(rows["food-drug"].joint_tasks, OnTime { due: 2, kept: 0 });
        assert_eq!(rows["food-drug"].score(&Weights::default()), None);
    }

    #[test]
    fn medians_come_from_the_days_added_up() {
        let sums = |values: &[(i32, i64)]| {
            values
                .iter()
                .map(|&(value, count)| TallySum {
                    key: "k".into(),
                    measure: Measure::DaysToFinish,
                    value,
                    count,
                })
                .collect::<Vec<_>>()
        };
        let median_of = |values: &[(i32, i64)]| {
            let period = Period {
                from: day(1, 1),
                to: day(1, 31),
            };
            figures(
                &["k".into()],
                Measure::ReceivedByDepartment,
                period,
                day(2, 1),
                &sums(values),
                &[],
            )["k"]
                .median_days_to_finish
        };
        assert_eq!(median_of(&[]), None);
        assert_eq!(median_of(&[(4, 1)]), Some(4.0));
        assert_eq!(median_of(&[(9, 1), (3, 2)]), Some(3.0), "3, 3, 9");
        assert_eq!(median_of(&[(2, 1), (8, 1)]), Some(5.0));
        assert_eq!(median_of(&[(1, 2), (5, 3), (7, 0)]), Some(5.0), "1 1 5 5 5");
        assert_eq!(median_of(&[(1, 2), (5, 2)]), Some(3.0), "1 1 5 5");
    }

    #[test]
    fn a_missing_figure_leaves_its_weight_to_the_others() {
        let weights = Weights::default();
        let all = Figures {
            accepted: OnTime { due: 4, kept: 3 },
            finished: OnTime { due: 2, kept: 1 },
            resolved: 4,
            reopened: 1,
            ratings: 2,
            rating_total: 8,
            upheld: 1,
            not_upheld: 1,
            ..Figures::default()
        };
        // 40×0.5 + 20×0.75 + 20×0.8 + 10×0.75 + 10×0.5 = 63.5
        assert!((all.score(&weights).unwrap() - 63.5).abs() < 1e-9);
        // Nothing rated, nothing returned: (40×0.5 + 20×0.75 + 10×0.75) ÷ 70 × 100 = 60.71…
        let some = Figures {
            ratings: 0,
            rating_total: 0,
            upheld: 0,
            not_upheld: 0,
            ..all.clone()
        };
        assert!((some.score(&weights).unwrap() - 42.5 / 70.0 * 100.0).abs() < 1e-9);
        // The README's worked example: no ratings and no returns decided.
        let readme = Figures {
            finished: OnTime { due: 3, kept: 1 },
            accepted: OnTime { due: 4, kept: 2 },
            resolved: 2,
            reopened: 1,
            ..Figures::default()
        };
        assert_eq!(format!("{:.1}", readme.score(&weights).unwrap()), "40.5");
        assert_eq!(Figures::default().score(&weights), None, "nothing to count");
        assert_eq!(
            Figures::default().accepted.share(),
            None,
            "n/a, not 0 % or 100 %"
        );
    }

    #[test]
    fn on_time_counts_only_what_fell_due_and_was_still_owed() {
        let calendar = WorkCalendar::official_2026();
        let period = Period {
            from: day(9, 1),
            to: day(9, 30),
        };
        let today = day(9, 20);
        let kept = DeadlineFact {
            met_on: Some(day(9, 9)),
            ..record("a", DeadlineKind::Accept, day(9, 10))
        };
        let late = DeadlineFact {
            met_on: Some(day(9, 11)),
            ..record("b", DeadlineKind::Accept, day(9, 10))
        };
        let missed = record("c", DeadlineKind::Accept, day(9, 15));
        let ahead = record("d", DeadlineKind::Accept, day(9, 25));
        let moved_away = DeadlineFact {
            superseded: true,
            ..record("e", DeadlineKind::Accept, day(9, 10))
        };
        let stopped = DeadlineFact {
            paused: true,
            ..record("f", DeadlineKind::Finish, day(9, 12))
        };
        let before = DeadlineFact {
            started_on: day(8, 1),
            met_on: Some(day(8, 5)),
            ..record("g", DeadlineKind::Accept, day(8, 10))
        };
        let escalated = DeadlineFact {
            escalated_on: Some(day(9, 18)),
            ..record("h", DeadlineKind::Finish, day(9, 14))
        };
        let withdrawn = DeadlineFact {
            counted: false,
            superseded: true,
            ..record("i", DeadlineKind::Accept, day(9, 10))
        };
        let rows = count(
            &["food-drug".into(), "agriculture".into()],
            period,
            today,
            &calendar,
            &[
                kept, late, missed, ahead, moved_away, stopped, before, escalated, withdrawn,
            ],
            &[],
        );
        let food = &rows["food-drug"];
        assert_eq!(food.accepted, OnTime { due: 3, kept: 1 });
        assert_eq!(food.finished, OnTime { due: 1, kept: 0 });
        // a, b, c, d, e started in September; g in August; i was withdrawn.
        assert_eq!(food.received, 5);
        assert_eq!(food.overdue_now, 2, "c and h; f's clock is stopped");
        assert_eq!(food.escalations, 1);
        // Sep 1 → Sep 9: 6 working days; Sep 1 → Sep 11: 8.
        assert_eq!(food.median_days_to_accept, Some(7.0));
        assert_eq!(rows["agriculture"], Figures::default(), "a row of zeros");
        let (ranked, unranked) = ranked(&rows, &Weights::default());
        assert_eq!(ranked.len(), 1);
        assert_eq!(unranked[0].0, "agriculture");
    }

    #[test]
    fn weights_are_whole_numbers_from_0_to_100_not_all_zero() {
        let typed = |parts: [&str; 5]| parts.map(str::to_owned);
        assert_eq!(
            Weights::parse_parts(&typed(["40", "20", "20", "10", "10"])),
            Ok(Weights::default())
        );
        assert!(Weights::parse_parts(&typed(["0", "0", "0", "0", "100"])).is_ok());
        for bad in [
            ["", "20", "20", "10", "10"],
            ["-1", "20", "20", "10", "10"],
            ["101", "20", "20", "10", "10"],
            ["4.5", "20", "20", "10", "10"],
            ["+4", "20", "20", "10", "10"],
            ["４０", "20", "20", "10", "10"],
            ["99999999999", "20", "20", "10", "10"],
            ["forty", "20", "20", "10", "10"],
        ] {
            assert_eq!(
                Weights::parse_parts(&typed(bad)),
                Err("reports.weights.problem.number"),
                "{bad:?}"
            );
        }
        assert_eq!(
            Weights::parse_parts(&typed(["0"; 5])),
            Err("reports.weights.problem.all_zero")
        );
    }

    #[test]
    fn the_previous_month_and_its_weeks() {
        let period = Period::previous_month(day(3, 15));
        assert_eq!(
            period,
            Period {
                from: day(2, 1),
                to: day(2, 28)
            }
        );
        let january = Period::previous_month(day(1, 3));
        assert_eq!(january.from, NaiveDate::from_ymd_opt(2025, 12, 1).unwrap());
        let weeks = period.weeks();
        // Feb 1 2026 is a Sunday: a one-day first week.
        assert_eq!(
            weeks[0],
            Period {
                from: day(2, 1),
                to: day(2, 1)
            }
        );
        assert_eq!(
            weeks[1],
            Period {
                from: day(2, 2),
                to: day(2, 8)
            }
        );
        assert_eq!(weeks.last().unwrap().to, day(2, 28));
        assert_eq!(weeks.len(), 5);

        let year = Period::last_twelve_months(day(3, 15));
        assert_eq!(year.from, NaiveDate::from_ymd_opt(2025, 4, 1).unwrap());
        let months = year.months();
        assert_eq!(months.len(), 12);
        assert_eq!(
            months[10],
            Period {
                from: day(2, 1),
                to: day(2, 28)
            }
        );
        assert_eq!(
            months[11],
            Period {
                from: day(3, 1),
                to: day(3, 15)
            }
        );
    }
}
