//! The supervision bulletin (督查通报, DESIGN §7): per department, district or category, what
//! a period came to — read from the deadline records and a few events, never from a case
//! row's latest dates — and the assessment score (考核) with its editable weights.
//!
//! Pure: `db::bulletin` reads the facts of a period, this module counts them.

use std::collections::{BTreeMap, HashSet};

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

/// Where a case belongs in each grouping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The department the fact concerns (the record's, or the case's lead).
    pub department: String,
    pub district: String,
    pub category: String,
}

impl Place {
    fn key(&self, grouping: Grouping) -> &str {
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

/// Something a case's timeline says happened in the period, with where the case belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseFact {
    /// The department in `place` returned the case to the office; `upheld` once the office
    /// designated it elsewhere (`Some(true)`) or back to the same department (`Some(false)`).
    Returned {
        place: Place,
        upheld: Option<bool>,
    },
    /// Answered (resolved) by the lead department.
    Resolved {
        place: Place,
    },
    Reopened {
        place: Place,
    },
    Rated {
        place: Place,
        score: u8,
    },
}

impl CaseFact {
    pub fn place(&self) -> &Place {
        match self {
            CaseFact::Returned { place, .. }
            | CaseFact::Resolved { place }
            | CaseFact::Reopened { place }
            | CaseFact::Rated { place, .. } => place,
        }
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

/// Counts the facts of `period` into one row per group key in `keys` (every active
/// department, district or category: a row with nothing is all zeros). `today` decides
/// which open deadlines are overdue now and which have not fallen due yet.
pub fn figures(
    grouping: Grouping,
    keys: &[String],
    period: Period,
    today: NaiveDate,
    calendar: &WorkCalendar,
    deadlines: &[DeadlineFact],
    facts: &[CaseFact],
) -> BTreeMap<String, Figures> {
    figures_by(
        |place| place.key(grouping),
        keys,
        period,
        today,
        calendar,
        deadlines,
        facts,
    )
}

/// The figures of every fact together (the city's), medians included.
pub fn figures_of_all(
    period: Period,
    today: NaiveDate,
    calendar: &WorkCalendar,
    deadlines: &[DeadlineFact],
    facts: &[CaseFact],
) -> Figures {
    let all = [String::new()];
    figures_by(|_| "", &all, period, today, calendar, deadlines, facts)
        .remove("")
        .unwrap_or_default()
}

fn figures_by<'f>(
    key_of: impl Fn(&'f Place) -> &'f str,
    keys: &[String],
    period: Period,
    today: NaiveDate,
    calendar: &WorkCalendar,
    deadlines: &'f [DeadlineFact],
    facts: &'f [CaseFact],
) -> BTreeMap<String, Figures> {
    let mut rows: BTreeMap<String, Figures> = keys
        .iter()
        .map(|k| (k.clone(), Figures::default()))
        .collect();
    let mut received: HashSet<(&str, &str)> = HashSet::new();
    let mut to_accept: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let mut to_finish: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for d in deadlines {
        let key = key_of(&d.place);
        let Some(row) = rows.get_mut(key) else {
            continue;
        };
        if d.kind == DeadlineKind::Accept && d.counted && period.contains(d.started_on) {
            received.insert((key, d.complaint_id.as_str()));
        }
        if d.escalated_on.is_some_and(|day| period.contains(day)) {
            row.escalations += 1;
        }
        if d.is_open() && !d.paused && d.due_on < today {
            row.overdue_now += 1;
        }
        let on_time = match d.kind {
            DeadlineKind::Accept => &mut row.accepted,
            DeadlineKind::Finish => &mut row.finished,
            DeadlineKind::Opinion | DeadlineKind::Notify => continue,
        };
        // Fell due in the period and was owed to the end: kept or not. A stopped clock, or
        // a date still ahead, has not fallen due.
        let fell_due = period.contains(d.due_on)
            && !d.superseded
            && (d.met_on.is_some() || (!d.paused && d.due_on < today));
        if fell_due {
            on_time.due += 1;
            if d.met_on.is_some_and(|met| met <= d.due_on) {
                on_time.kept += 1;
            }
        }
        if let (Some(met), false) = (d.met_on, d.superseded) {
            if period.contains(met) {
                let days = calendar.working_days_between(d.started_on, met);
                match d.kind {
                    DeadlineKind::Accept => to_accept.entry(key).or_default().push(days),
                    _ => to_finish.entry(key).or_default().push(days),
                }
            }
        }
    }
    for (key, _) in &received {
        if let Some(row) = rows.get_mut(*key) {
            row.received += 1;
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
    for fact in facts {
        let Some(row) = rows.get_mut(key_of(fact.place())) else {
            continue;
        };
        match fact {
            CaseFact::Returned { upheld, .. } => {
                row.returns += 1;
                match upheld {
                    Some(true) => row.upheld += 1,
                    Some(false) => row.not_upheld += 1,
                    None => {}
                }
            }
            CaseFact::Resolved { .. } => row.resolved += 1,
            CaseFact::Reopened { .. } => row.reopened += 1,
            CaseFact::Rated { score, .. } => {
                row.ratings += 1;
                row.rating_total += u32::from(*score);
            }
        }
    }
    rows
}

fn median(mut values: Vec<u32>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        f64::from(values[middle])
    } else {
        (f64::from(values[middle - 1]) + f64::from(values[middle])) / 2.0
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
        let rows = figures(
            Grouping::Department,
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
