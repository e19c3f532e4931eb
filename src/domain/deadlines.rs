//! The deadline rules, in one place (DESIGN §3 "Deadlines"): which due dates a filing sets,
//! and how each transition starts, stops, moves or ends the clock. Pure: callers pass the
//! calendar, the category's rules and the city date of the change.

use chrono::NaiveDate;

use super::calendar::WorkCalendar;
use super::complaint::{ComplaintKind, ComplaintState, Effect, EventKind, Transition};
use super::ids::DepartmentCode;

text_enum! {
    /// What a tracked deadline is for: deciding on a case, finishing it, a co-handler's
    /// opinion, or telling a named reporter whether the report was taken up.
    DeadlineKind {
        Accept => "accept",
        Finish => "finish",
        Opinion => "opinion",
        Notify => "notify",
    }
}

/// A category's deadlines in working days (editable data, because the rules change: the
/// defaults come from SAMR Order 20).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineRules {
    /// Decide to accept or reject a complaint.
    pub complaint_accept_days: u32,
    /// End handling after acceptance (or after a reopening).
    pub complaint_finish_days: u32,
    /// Decide whether a report opens a case.
    pub report_accept_days: u32,
    /// Tell a named reporter whether the report was taken up, after that decision.
    pub report_notify_days: u32,
    /// A co-handling department's opinion, after it was added.
    pub assist_days: u32,
}

impl DeadlineRules {
    /// The rules from stored day counts; a negative count (never valid) counts as zero.
    pub fn from_stored(
        complaint_accept_days: i32,
        complaint_finish_days: i32,
        report_accept_days: i32,
        report_notify_days: i32,
        assist_days: i32,
    ) -> DeadlineRules {
        let days = |d: i32| u32::try_from(d).unwrap_or(0);
        DeadlineRules {
            complaint_accept_days: days(complaint_accept_days),
            complaint_finish_days: days(complaint_finish_days),
            report_accept_days: days(report_accept_days),
            report_notify_days: days(report_notify_days),
            assist_days: days(assist_days),
        }
    }

    /// The acceptance window of a complaint or a report.
    pub fn accept_days(&self, kind: ComplaintKind) -> u32 {
        match kind {
            ComplaintKind::Complaint => self.complaint_accept_days,
            ComplaintKind::Report => self.report_accept_days,
        }
    }
}

/// The due dates a new case starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilingDeadlines {
    pub accept_due: NaiveDate,
    /// For each co-handling department of the route.
    pub opinion_due: NaiveDate,
}

/// Deadlines of a case filed (or received by phone or visit) on the city date `received`:
/// the day of receipt does not count.
pub fn at_filing(
    calendar: &WorkCalendar,
    rules: &DeadlineRules,
    kind: ComplaintKind,
    received: NaiveDate,
) -> FilingDeadlines {
    FilingDeadlines {
        accept_due: calendar.add_working_days(received, rules.accept_days(kind)),
        opinion_due: opinion_due(calendar, rules, received),
    }
}

/// A co-handling department added on `added` owes its opinion by this day.
pub fn opinion_due(calendar: &WorkCalendar, rules: &DeadlineRules, added: NaiveDate) -> NaiveDate {
    calendar.add_working_days(added, rules.assist_days)
}

/// A named reporter is told by this day whether the report decided on `decided` was taken up.
pub fn notify_due(calendar: &WorkCalendar, rules: &DeadlineRules, decided: NaiveDate) -> NaiveDate {
    calendar.add_working_days(decided, rules.report_notify_days)
}

/// The clock as the case holds it before a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseClock {
    pub kind: ComplaintKind,
    pub accept_due: NaiveDate,
    pub finish_due: Option<NaiveDate>,
    /// The city date the clock stopped (information requested, or paused for testing).
    pub stopped_on: Option<NaiveDate>,
}

/// What a transition does to the due dates; `None` leaves a date as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClockChange {
    pub accept_due: Option<NaiveDate>,
    pub finish_due: Option<Option<NaiveDate>>,
    /// The deadline running now, for the queue: `Some(None)` when the clock stops or the
    /// case is over.
    pub current_due: Option<Option<NaiveDate>>,
    /// For a co-handling department added by this transition (or by the new route of a
    /// designation).
    pub opinion_due: Option<NaiveDate>,
    /// For telling a named reporter whether the report was taken up.
    pub notify_due: Option<NaiveDate>,
}

/// The deadline effects of `transition`, taken on the city date `today`.
pub fn after(
    transition: &Transition,
    clock: &CaseClock,
    rules: &DeadlineRules,
    calendar: &WorkCalendar,
    today: NaiveDate,
) -> ClockChange {
    let mut change = ClockChange::default();
    match &transition.effect {
        Effect::None
        | Effect::LeadBecomesOffice
        | Effect::Assign { .. }
        | Effect::RecordRating { .. } => {}
        Effect::StartFinishClock => {
            let finish = calendar.add_working_days(today, rules.complaint_finish_days);
            change.finish_due = Some(Some(finish));
            change.current_due = Some(Some(finish));
        }
        Effect::Designate { .. } => {
            // The designated department gets a fresh acceptance window from today.
            let accept = calendar.add_working_days(today, rules.accept_days(clock.kind));
            change.accept_due = Some(accept);
            change.current_due = Some(Some(accept));
            change.opinion_due = Some(opinion_due(calendar, rules, today));
        }
        Effect::AddCoHandler { .. } => {
            change.opinion_due = Some(opinion_due(calendar, rules, today));
        }
        Effect::StopClock => change.current_due = Some(None),
        Effect::RestartClock => {
            let finish = clock
                .finish_due
                .map(|due| moved_by_stop(calendar, due, clock.stopped_on, today));
            change.finish_due = Some(finish);
            change.current_due = Some(finish);
        }
        Effect::Resolve { .. } => change.current_due = Some(None),
        Effect::Reopen { .. } => {
            let finish = calendar.add_working_days(today, rules.complaint_finish_days);
            change.finish_due = Some(Some(finish));
            change.current_due = Some(Some(finish));
        }
    }
    // A report's decision (opened or not) must be told to a named reporter in time.
    let decided = transition.from == ComplaintState::Assigned
        && matches!(
            transition.to,
            ComplaintState::Accepted | ComplaintState::Rejected
        );
    if decided && clock.kind == ComplaintKind::Report {
        change.notify_due = Some(notify_due(calendar, rules, today));
    }
    if !transition.to.is_open() {
        change.current_due = Some(None);
    }
    change
}

/// A due date moved by the working days the clock stood still (stopped on `stopped_on`,
/// running again on `today`).
pub fn moved_by_stop(
    calendar: &WorkCalendar,
    due: NaiveDate,
    stopped_on: Option<NaiveDate>,
    today: NaiveDate,
) -> NaiveDate {
    let stopped = stopped_on.map_or(0, |since| calendar.working_days_between(since, today));
    calendar.add_working_days(due, stopped)
}

/// A deadline record the case still runs against (neither met nor superseded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDeadline {
    pub id: i64,
    pub kind: DeadlineKind,
    pub department: DepartmentCode,
    pub due_on: NaiveDate,
    /// The city date the clock stopped; `None` while it runs.
    pub paused_on: Option<NaiveDate>,
}

/// What a change does to the deadline records of its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordChange {
    /// A new deadline from today.
    Start(NewDeadline),
    Meet(i64),
    /// No longer owed: the case left the department or ended otherwise.
    Supersede(i64),
    /// The clock stopped today.
    Pause(i64),
    /// The clock runs again; the due date moved by the working days it stood still.
    Resume {
        id: i64,
        due_on: NaiveDate,
    },
}

/// A deadline a change starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeadline {
    pub kind: DeadlineKind,
    pub department: DepartmentCode,
    pub due_on: NaiveDate,
    /// Kept by the change itself: a decision mailed to a named reporter is the notice the
    /// `notify` deadline asks for.
    pub met: bool,
}

/// Who the case concerns around a change, for its records.
#[derive(Debug, Clone, Copy)]
pub struct RecordParties<'a> {
    /// The lead department before and after the change.
    pub lead_before: &'a DepartmentCode,
    pub lead_after: &'a DepartmentCode,
    /// The department of the staff member acting (`None`: complainant or service).
    pub acting_department: Option<&'a DepartmentCode>,
    /// The complainant of a report gave their name (an anonymous tip is told nothing);
    /// `Some(true)` when they gave an address too, so the decision email tells them.
    pub named_reporter_with_email: Option<bool>,
}

/// The record changes of `transition` given the case's open deadlines, the clock change
/// `after` computed, and the co-handlers it adds (department, opinion due).
pub fn records_after(
    transition: &Transition,
    open: &[OpenDeadline],
    clock: &ClockChange,
    parties: RecordParties<'_>,
    added_co_handlers: &[(DepartmentCode, NaiveDate)],
    calendar: &WorkCalendar,
    today: NaiveDate,
) -> Vec<RecordChange> {
    let mut out = Vec::new();
    let open_of = |kind: DeadlineKind| open.iter().filter(move |d| d.kind == kind);
    let start = |kind, department: &DepartmentCode, due_on| {
        RecordChange::Start(NewDeadline {
            kind,
            department: department.clone(),
            due_on,
            met: false,
        })
    };
    let decided = transition.from == ComplaintState::Assigned
        && matches!(
            transition.to,
            ComplaintState::Accepted | ComplaintState::Rejected
        );
    if decided {
        out.extend(open_of(DeadlineKind::Accept).map(|d| RecordChange::Meet(d.id)));
    }
    match &transition.effect {
        Effect::StartFinishClock => {
            if let Some(Some(finish)) = clock.finish_due {
                out.push(start(DeadlineKind::Finish, parties.lead_after, finish));
            }
        }
        Effect::Reopen { .. } => {
            out.extend(open_of(DeadlineKind::Finish).map(|d| RecordChange::Supersede(d.id)));
            if let Some(Some(finish)) = clock.finish_due {
                out.push(start(DeadlineKind::Finish, parties.lead_after, finish));
            }
        }
        Effect::LeadBecomesOffice => {
            // The office designates within what is left of the acceptance window.
            for d in open_of(DeadlineKind::Accept) {
                out.push(RecordChange::Supersede(d.id));
                out.push(start(DeadlineKind::Accept, parties.lead_after, d.due_on));
            }
        }
        Effect::Designate { .. } => {
            out.extend(
                open.iter()
                    .filter(|d| d.kind != DeadlineKind::Notify)
                    .map(|d| RecordChange::Supersede(d.id)),
            );
            if let Some(accept) = clock.accept_due {
                out.push(start(DeadlineKind::Accept, parties.lead_after, accept));
            }
        }
        Effect::StopClock => out.extend(
            open_of(DeadlineKind::Finish)
                .filter(|d| d.paused_on.is_none())
                .map(|d| RecordChange::Pause(d.id)),
        ),
        Effect::RestartClock => {
            out.extend(open_of(DeadlineKind::Finish).map(|d| RecordChange::Resume {
                id: d.id,
                due_on: moved_by_stop(calendar, d.due_on, d.paused_on, today),
            }))
        }
        Effect::Resolve { .. } => {
            out.extend(open_of(DeadlineKind::Finish).map(|d| RecordChange::Meet(d.id)));
            out.extend(open_of(DeadlineKind::Opinion).map(|d| RecordChange::Supersede(d.id)));
        }
        Effect::None
        | Effect::AddCoHandler { .. }
        | Effect::Assign { .. }
        | Effect::RecordRating { .. } => {}
    }
    for (department, due_on) in added_co_handlers {
        out.push(start(DeadlineKind::Opinion, department, *due_on));
    }
    if transition.event == EventKind::Note {
        // A co-handler's note is its opinion.
        out.extend(
            open_of(DeadlineKind::Opinion)
                .filter(|d| Some(&d.department) == parties.acting_department)
                .map(|d| RecordChange::Meet(d.id)),
        );
    }
    // Any later step the lead department records counts as having told the reporter
    // (by the phone number they left) once the decision is made.
    if !decided && parties.acting_department == Some(parties.lead_before) {
        out.extend(open_of(DeadlineKind::Notify).map(|d| RecordChange::Meet(d.id)));
    }
    if let (Some(notify_due), Some(told)) = (clock.notify_due, parties.named_reporter_with_email) {
        out.push(RecordChange::Start(NewDeadline {
            kind: DeadlineKind::Notify,
            department: parties.lead_before.clone(),
            due_on: notify_due,
            met: told,
        }));
    }
    if !transition.to.is_open() {
        let settled: Vec<i64> = out
            .iter()
            .filter_map(|c| match c {
                RecordChange::Meet(id) | RecordChange::Supersede(id) => Some(*id),
                _ => None,
            })
            .collect();
        out.extend(
            open.iter()
                .filter(|d| d.kind != DeadlineKind::Notify && !settled.contains(&d.id))
                .map(|d| RecordChange::Supersede(d.id)),
        );
    }
    out
}

/// Where a running deadline stands on a city date, in working days, as pages show it
/// beside the date ("due in 3 working days", "overdue by 2 working days").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Working days left before the due date (at least 1).
    DueIn(u32),
    /// Due today, or on the next working day after a run of rest days.
    DueToday,
    /// Working days since the due date (at least 1, also on a rest day after it).
    Overdue(u32),
}

pub fn standing(calendar: &WorkCalendar, due: NaiveDate, today: NaiveDate) -> Standing {
    if today > due {
        Standing::Overdue(calendar.working_days_between(due, today).max(1))
    } else {
        match calendar.working_days_between(today, due) {
            0 => Standing::DueToday,
            n => Standing::DueIn(n),
        }
    }
}

/// A reminder goes out when a running deadline is this many working days away or less.
pub const REMIND_WITHIN_WORKING_DAYS: u32 = 2;

/// An unmet overdue deadline is escalated to the office (督办) this many working days after
/// the day it went overdue (at once for a case the office designated).
pub const ESCALATE_AFTER_WORKING_DAYS: u32 = 2;

/// Which of the sweeper's effects an open deadline has come to on the city date `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DueEffects {
    /// Due within `REMIND_WITHIN_WORKING_DAYS`, not yet past.
    pub remind: bool,
    /// Past its due date (from the next calendar day).
    pub overdue: bool,
    /// Overdue for `ESCALATE_AFTER_WORKING_DAYS` working days after the day it went
    /// overdue, or overdue at all on a case the office designated.
    pub escalate: bool,
}

/// A stopped clock (the case waits for information or a test) owes nothing.
pub fn due_effects(
    calendar: &WorkCalendar,
    due_on: NaiveDate,
    paused: bool,
    designated: bool,
    today: NaiveDate,
) -> DueEffects {
    if paused {
        return DueEffects::default();
    }
    let overdue = today > due_on;
    let went_overdue = due_on.succ_opt().unwrap_or(due_on);
    DueEffects {
        remind: !overdue
            && calendar.working_days_between(today, due_on) <= REMIND_WITHIN_WORKING_DAYS,
        overdue,
        escalate: overdue
            && (designated
                || today >= calendar.add_working_days(went_overdue, ESCALATE_AFTER_WORKING_DAYS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::complaint::{EventKind, Outcome};

    /// Working days counted from the 2026 calendar: rest days never count, make-up
    /// Saturdays do, and a rest day after the due date is already overdue.
    #[test]
    fn standing_counts_working_days_either_side_of_the_due_date() {
        let calendar = WorkCalendar::official_2026();
        let table = [
            // (due, today, standing)
            (day(3, 6), day(3, 2), Standing::DueIn(4)),
            (day(3, 6), day(3, 6), Standing::DueToday),
            (day(3, 6), day(3, 9), Standing::Overdue(1)),
            // Saturday after a Friday due date: overdue, though no working day passed.
            (day(3, 6), day(3, 7), Standing::Overdue(1)),
            // Due on the first working day after the National Day rest: from Oct 3 it is 1.
            (day(10, 8), day(10, 3), Standing::DueIn(1)),
            // Due on a rest day, seen the working day before: nothing lies between.
            (day(10, 4), day(9, 30), Standing::DueToday),
            // Across the Spring Festival, Saturdays Feb 14 and 28 worked: 14, 24–28.
            (day(2, 13), day(2, 28), Standing::Overdue(6)),
        ];
        for (due, today, expected) in table {
            assert_eq!(standing(&calendar, due, today), expected, "{due} {today}");
        }
    }

    /// The sweeper's moments around a due date, with rest days and a designated case.
    #[test]
    fn due_effects_follow_working_days() {
        let calendar = WorkCalendar::official_2026();
        let effects = |remind, overdue, escalate| DueEffects {
            remind,
            overdue,
            escalate,
        };
        let table = [
            // (due, today, paused, designated, effects)
            // Due Friday Mar 6: Mon–Wed are 3+ working days away, Wed is 2.
            (
                day(3, 6),
                day(3, 3),
                false,
                false,
                effects(false, false, false),
            ),
            (
                day(3, 6),
                day(3, 4),
                false,
                false,
                effects(true, false, false),
            ),
            (
                day(3, 6),
                day(3, 6),
                false,
                false,
                effects(true, false, false),
            ),
            // Saturday after: overdue; escalation 2 working days after Sat = Tue Mar 10.
            (
                day(3, 6),
                day(3, 7),
                false,
                false,
                effects(false, true, false),
            ),
            (
                day(3, 6),
                day(3, 9),
                false,
                false,
                effects(false, true, false),
            ),
            (
                day(3, 6),
                day(3, 10),
                false,
                false,
                effects(false, true, true),
            ),
            // A designated case is escalated the day it goes overdue.
            (
                day(3, 6),
                day(3, 7),
                false,
                true,
                effects(false, true, true),
            ),
            // Due Apr 3 (Fri) before the Qingming rest Apr 4–6: escalated on Apr 8.
            (
                day(4, 3),
                day(4, 7),
                false,
                false,
                effects(false, true, false),
            ),
            (
                day(4, 3),
                day(4, 8),
                false,
                false,
                effects(false, true, true),
            ),
            // Two working days away across the May Day rest (May 1–5; Apr 30, May 6).
            (
                day(5, 6),
                day(4, 29),
                false,
                false,
                effects(true, false, false),
            ),
            // A stopped clock owes nothing, however late.
            (
                day(3, 6),
                day(3, 20),
                true,
                false,
                effects(false, false, false),
            ),
        ];
        for (due, today, paused, designated, expected) in table {
            assert_eq!(
                due_effects(&calendar, due, paused, designated, today),
                expected,
                "{due} {today} paused={paused} designated={designated}"
            );
        }
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    const RULES: DeadlineRules = DeadlineRules {
        complaint_accept_days: 7,
        complaint_finish_days: 45,
        report_accept_days: 15,
        report_notify_days: 5,
        assist_days: 5,
    };

    fn transition(from: ComplaintState, to: ComplaintState, effect: Effect) -> Transition {
        Transition {
            from,
            to,
            event: EventKind::Note,
            effect,
        }
    }

    fn clock(kind: ComplaintKind) -> CaseClock {
        CaseClock {
            kind,
            accept_due: day(3, 10),
            finish_due: Some(day(5, 8)),
            stopped_on: None,
        }
    }

    #[test]
    fn stored_counts_below_zero_count_as_zero() {
        let rules = DeadlineRules::from_stored(-1, 45, 15, -3, 5);
        assert_eq!(rules.complaint_accept_days, 0);
        assert_eq!(rules.report_notify_days, 0);
        assert_eq!(rules.complaint_finish_days, 45);
    }

    /// Filing dates in the 2026 calendar: the day of receipt never counts, holidays and
    /// weekends are skipped, make-up Saturdays count.
    #[test]
    fn filing_deadlines_count_working_days_after_receipt() {
        let calendar = WorkCalendar::official_2026();
        let table = [
            // (received, kind, accept due, opinion due)
            // A Friday before the Spring Festival (Feb 15–23 rest, Saturdays Feb 14 and 28
            // worked): 14, 24, 25, 26, 27, 28, Mar 2.
            (day(2, 13), ComplaintKind::Complaint, day(3, 2), day(2, 27)),
            // Saturday Feb 14 is a make-up working day: counting starts on Tuesday 24th.
            (day(2, 14), ComplaintKind::Complaint, day(3, 3), day(2, 28)),
            (day(2, 13), ComplaintKind::Report, day(3, 12), day(2, 27)),
            // New Year's Eve of 2025: Jan 1–3 rest, Sunday Jan 4 worked.
            (
                NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
                ComplaintKind::Complaint,
                day(1, 12),
                day(1, 8),
            ),
            // Filed on a holiday: counting starts at the first working day after it
            // (Oct 8), and Saturday Oct 10 is worked.
            (
                day(10, 3),
                ComplaintKind::Complaint,
                day(10, 15),
                day(10, 13),
            ),
        ];
        for (received, kind, accept, opinion) in table {
            let got = at_filing(&calendar, &RULES, kind, received);
            assert_eq!(
                (got.accept_due, got.opinion_due),
                (accept, opinion),
                "{received} {kind}"
            );
        }
    }

    #[test]
    fn each_effect_moves_the_clock_as_the_rules_say() {
        use ComplaintState::*;
        let calendar = WorkCalendar::official_2026();
        let today = day(3, 2); // a Monday
        let complaint = clock(ComplaintKind::Complaint);
        let table: Vec<(Transition, ClockChange)> = vec![
            (
                transition(Assigned, Accepted, Effect::StartFinishClock),
                ClockChange {
                    finish_due: Some(Some(day(5, 8))),
                    current_due: Some(Some(day(5, 8))),
                    ..Default::default()
                },
            ),
            (
                transition(Assigned, Rejected, Effect::None),
                ClockChange {
                    current_due: Some(None),
                    ..Default::default()
                },
            ),
            (
                transition(Assigned, Assigned, Effect::LeadBecomesOffice),
                ClockChange::default(),
            ),
            (
                transition(
                    Assigned,
                    Assigned,
                    Effect::Designate {
                        department: "food-drug".into(),
                    },
                ),
                ClockChange {
                    accept_due: Some(day(3, 11)),
                    current_due: Some(Some(day(3, 11))),
                    opinion_due: Some(day(3, 9)),
                    ..Default::default()
                },
            ),
            (
                transition(
                    Accepted,
                    Accepted,
                    Effect::AddCoHandler {
                        department: "agriculture".into(),
                    },
                ),
                ClockChange {
                    opinion_due: Some(day(3, 9)),
                    ..Default::default()
                },
            ),
            (
                transition(Accepted, AwaitingInfo, Effect::StopClock),
                ClockChange {
                    current_due: Some(None),
                    ..Default::default()
                },
            ),
            (
                transition(
                    Accepted,
                    Resolved,
                    Effect::Resolve {
                        outcome: Outcome::Refund,
                    },
                ),
                ClockChange {
                    current_due: Some(None),
                    ..Default::default()
                },
            ),
            (
                transition(Resolved, Accepted, Effect::Reopen { flag_office: true }),
                ClockChange {
                    finish_due: Some(Some(day(5, 8))),
                    current_due: Some(Some(day(5, 8))),
                    ..Default::default()
                },
            ),
            (
                transition(Resolved, Closed, Effect::RecordRating { score: 4 }),
                ClockChange {
                    current_due: Some(None),
                    ..Default::default()
                },
            ),
        ];
        for (t, expected) in table {
            assert_eq!(
                after(&t, &complaint, &RULES, &calendar, today),
                expected,
                "{:?}",
                t.effect
            );
        }
    }

    #[test]
    fn a_report_decision_starts_the_notify_deadline() {
        let calendar = WorkCalendar::official_2026();
        let report = clock(ComplaintKind::Report);
        for (to, effect) in [
            (ComplaintState::Accepted, Effect::StartFinishClock),
            (ComplaintState::Rejected, Effect::None),
        ] {
            let t = transition(ComplaintState::Assigned, to, effect);
            let change = after(&t, &report, &RULES, &calendar, day(3, 2));
            assert_eq!(change.notify_due, Some(day(3, 9)), "{to}");
            let complaint = clock(ComplaintKind::Complaint);
            assert_eq!(
                after(&t, &complaint, &RULES, &calendar, day(3, 2)).notify_due,
                None
            );
        }
        // A designated report's acceptance window is the report's, not the complaint's.
        let t = transition(
            ComplaintState::Assigned,
            ComplaintState::Assigned,
            Effect::Designate {
                department: "x".into(),
            },
        );
        assert_eq!(
            after(&t, &report, &RULES, &calendar, day(3, 2)).accept_due,
            Some(day(3, 23))
        );
    }

    /// Restarting moves the finish date by the working days stopped, holidays excluded.
    #[test]
    fn a_restart_moves_the_finish_date_by_the_working_days_stopped() {
        let calendar = WorkCalendar::official_2026();
        let table = [
            // (finish due, stopped on, restarted on, new due)
            (day(5, 8), None, day(3, 2), day(5, 8)),
            (day(5, 8), Some(day(3, 2)), day(3, 2), day(5, 8)),
            // Mon → Fri: 4 working days, and Saturday May 9 is worked.
            (day(5, 8), Some(day(3, 2)), day(3, 6), day(5, 13)),
            // Across the Qingming rest (Apr 4–6): Apr 3 (Fri) → Apr 8 (Wed) is 2 days.
            (day(5, 8), Some(day(4, 3)), day(4, 8), day(5, 11)),
            // Across May Day: the new due date skips May 1–5, May 9 is worked.
            (day(4, 29), Some(day(4, 27)), day(4, 29), day(5, 6)),
        ];
        for (due, stopped, today, expected) in table {
            assert_eq!(
                moved_by_stop(&calendar, due, stopped, today),
                expected,
                "{due} {stopped:?} {today}"
            );
            let t = transition(
                ComplaintState::AwaitingInfo,
                ComplaintState::Accepted,
                Effect::RestartClock,
            );
            let c = CaseClock {
                finish_due: Some(due),
                stopped_on: stopped,
                ..clock(ComplaintKind::Complaint)
            };
            assert_eq!(
                after(&t, &c, &RULES, &calendar, today).finish_due,
                Some(Some(expected))
            );
        }
    }

    /// What each step does to the records: which it meets, supersedes, pauses or moves, and
    /// which it starts — one row a case, read as "on this step, with these open records".
    #[test]
    fn records_after_each_step_meet_start_stop_and_move_the_right_records() {
        use ComplaintState::*;
        use RecordChange::*;
        let calendar = WorkCalendar::official_2026();
        let (food, police, office) = (
            DepartmentCode::from("food-drug"),
            DepartmentCode::from("public-security"),
            DepartmentCode::from("quality-office"),
        );
        let record = |id, kind, department: &DepartmentCode, due_on, paused_on| OpenDeadline {
            id,
            kind,
            department: department.clone(),
            due_on,
            paused_on,
        };
        let accept = record(1, DeadlineKind::Accept, &food, day(3, 10), None);
        let finish = record(2, DeadlineKind::Finish, &food, day(5, 8), None);
        let opinion = record(3, DeadlineKind::Opinion, &police, day(3, 9), None);
        let notify = record(4, DeadlineKind::Notify, &food, day(3, 9), None);
        // Paused on the Friday before the Spring Festival, resumed on the first working
        // Tuesday after it: Saturday Feb 14 (make-up) and Tuesday Feb 24 stood still.
        let paused = record(2, DeadlineKind::Finish, &food, day(3, 20), Some(day(2, 13)));
        let start = |kind, department: &DepartmentCode, due_on, met| {
            Start(NewDeadline {
                kind,
                department: department.clone(),
                due_on,
                met,
            })
        };
        let step = |from, to, event, effect| Transition {
            from,
            to,
            event,
            effect,
        };
        let finish_clock = ClockChange {
            finish_due: Some(Some(day(5, 8))),
            notify_due: None,
            ..Default::default()
        };
        let none = ClockChange::default();
        struct Row {
            what: &'static str,
            transition: Transition,
            open: Vec<OpenDeadline>,
            clock: ClockChange,
            lead_after: DepartmentCode,
            acting: Option<DepartmentCode>,
            reporter: Option<bool>,
            added: Vec<(DepartmentCode, NaiveDate)>,
            today: NaiveDate,
            expected: Vec<RecordChange>,
        }
        let row = |what, transition, open: &[&OpenDeadline], clock, expected| Row {
            what,
            transition,
            open: open.iter().map(|d| (*d).clone()).collect(),
            clock,
            lead_after: food.clone(),
            acting: Some(food.clone()),
            reporter: None,
            added: Vec::new(),
            today: day(3, 2),
            expected,
        };
        let table =
            vec![
            row(
                "accept meets acceptance, starts the finish deadline",
                step(Assigned, Accepted, EventKind::Accepted, Effect::StartFinishClock),
                &[&accept, &opinion],
                finish_clock,
                vec![Meet(1), start(DeadlineKind::Finish, &food, day(5, 8), false)],
            ),
            row(
                "reject meets acceptance, and the case over, the opinion is no longer owed",
                step(Assigned, Rejected, EventKind::Rejected, Effect::None),
                &[&accept, &opinion],
                none,
                vec![Meet(1), Supersede(3)],
            ),
            Row {
                lead_after: police.clone(),
                acting: Some(office.clone()),
                ..row(
                    "designation supersedes all but notify, a fresh acceptance for the new lead",
                    step(
                        Assigned,
                        Assigned,
                        EventKind::Transferred,
                        Effect::Designate {
                            department: "public-security".into(),
                        },
                    ),
                    &[&accept, &opinion, &notify],
                    ClockChange {
                        accept_due: Some(day(3, 11)),
                        ..Default::default()
                    },
                    vec![
                        Supersede(1),
                        Supersede(3),
                        start(DeadlineKind::Accept, &police, day(3, 11), false),
                    ],
                )
            },
            Row {
                lead_after: office.clone(),
                ..row(
                    "a return hands what is left of acceptance to the office",
                    step(
                        Assigned,
                        Assigned,
                        EventKind::Returned,
                        Effect::LeadBecomesOffice,
                    ),
                    &[&accept],
                    none,
                    vec![
                        Supersede(1),
                        start(DeadlineKind::Accept, &office, day(3, 10), false),
                    ],
                )
            },
            row(
                "a pause stops the finish clock",
                step(Accepted, Accepted, EventKind::Paused, Effect::StopClock),
                &[&finish, &opinion],
                none,
                vec![Pause(2)],
            ),
            row(
                "a clock already stopped is not paused twice",
                step(Accepted, AwaitingInfo, EventKind::InfoRequested, Effect::StopClock),
                &[&paused],
                none,
                vec![],
            ),
            Row {
                today: day(2, 24),
                ..row(
                    "a resume moves the date by the working days stood still, holidays not",
                    step(Accepted, Accepted, EventKind::Resumed, Effect::RestartClock),
                    &[&paused],
                    none,
                    vec![Resume {
                        id: 2,
                        // Friday Mar 20 plus two working days.
                        due_on: day(3, 24),
                    }],
                )
            },
            row(
                "a reply meets the finish deadline; an opinion not given is no longer owed",
                step(
                    Accepted,
                    Resolved,
                    EventKind::Replied,
                    Effect::Resolve {
                        outcome: Outcome::Refund,
                    },
                ),
                &[&finish, &opinion],
                none,
                vec![Meet(2), Supersede(3)],
            ),
            Row {
                acting: Some(office.clone()),
                ..row(
                    "a reopening starts a fresh finish deadline",
                    step(
                        Resolved,
                        Accepted,
                        EventKind::Reopened,
                        Effect::Reopen { flag_office: false },
                    ),
                    &[],
                    finish_clock,
                    vec![start(DeadlineKind::Finish, &food, day(5, 8), false)],
                )
            },
            Row {
                acting: Some(police.clone()),
                ..row(
                    "a co-handler's note is its opinion",
                    step(Accepted, Accepted, EventKind::Note, Effect::None),
                    &[&finish, &opinion],
                    none,
                    vec![Meet(3)],
                )
            },
            Row {
                acting: Some(DepartmentCode::from("agriculture")),
                ..row(
                    "another department's note meets nothing",
                    step(Accepted, Accepted, EventKind::Note, Effect::None),
                    &[&finish, &opinion],
                    none,
                    vec![],
                )
            },
            Row {
                added: vec![(police.clone(), day(3, 9))],
                ..row(
                    "adding a co-handler starts its opinion deadline",
                    step(
                        Accepted,
                        Accepted,
                        EventKind::AssistAdded,
                        Effect::AddCoHandler {
                            department: "public-security".into(),
                        },
                    ),
                    &[&finish],
                    none,
                    vec![start(DeadlineKind::Opinion, &police, day(3, 9), false)],
                )
            },
            Row {
                reporter: Some(true),
                ..row(
                    "a named reporter with an email is told by the decision email itself",
                    step(Assigned, Accepted, EventKind::Accepted, Effect::StartFinishClock),
                    &[&accept],
                    ClockChange {
                        notify_due: Some(day(3, 9)),
                        ..finish_clock
                    },
                    vec![
                        Meet(1),
                        start(DeadlineKind::Finish, &food, day(5, 8), false),
                        start(DeadlineKind::Notify, &food, day(3, 9), true),
                    ],
                )
            },
            Row {
                reporter: Some(false),
                ..row(
                    "a named reporter without an email is owed a call",
                    step(Assigned, Rejected, EventKind::Rejected, Effect::None),
                    &[&accept],
                    ClockChange {
                        notify_due: Some(day(3, 9)),
                        ..Default::default()
                    },
                    vec![
                        Meet(1),
                        start(DeadlineKind::Notify, &food, day(3, 9), false),
                    ],
                )
            },
            row(
                "an anonymous tip is owed nothing",
                step(Assigned, Rejected, EventKind::Rejected, Effect::None),
                &[&accept],
                ClockChange {
                    notify_due: Some(day(3, 9)),
                    ..Default::default()
                },
                vec![Meet(1)],
            ),
            row(
                "the lead's next step after the decision counts as having told the reporter",
                step(Accepted, Accepted, EventKind::Note, Effect::None),
                &[&finish, &notify],
                none,
                vec![Meet(4)],
            ),
            Row {
                acting: None,
                ..row(
                    "a withdrawal ends what is owed, but not the reporter's notice",
                    step(Accepted, Withdrawn, EventKind::Withdrawn, Effect::None),
                    &[&finish, &opinion, &notify],
                    none,
                    vec![Supersede(2), Supersede(3)],
                )
            },
        ];
        for case in table {
            let got = records_after(
                &case.transition,
                &case.open,
                &case.clock,
                RecordParties {
                    lead_before: &food,
                    lead_after: &case.lead_after,
                    acting_department: case.acting.as_ref(),
                    named_reporter_with_email: case.reporter,
                },
                &case.added,
                &calendar,
                case.today,
            );
            assert_eq!(got, case.expected, "{}", case.what);
        }
    }

    /// The example timeline of the README's "Deadlines" section, date for date.
    #[test]
    fn the_readme_timeline() {
        let calendar = WorkCalendar::official_2026();
        let rules = DeadlineRules::from_stored(7, 45, 15, 5, 5);
        let filed = day(9, 18); // a Friday, before Mid-Autumn and National Day
        let accept_due = at_filing(&calendar, &rules, ComplaintKind::Complaint, filed).accept_due;
        assert_eq!(accept_due, day(9, 29));
        let effects = |due, today| due_effects(&calendar, due, false, false, today);
        assert!(!effects(accept_due, day(9, 23)).remind);
        assert!(
            effects(accept_due, day(9, 24)).remind,
            "two working days ahead"
        );
        assert_eq!(
            standing(&calendar, accept_due, day(9, 24)),
            Standing::DueIn(2)
        );

        let finish_due = calendar.add_working_days(day(9, 28), rules.complaint_finish_days);
        assert_eq!(finish_due, day(12, 4));
        // Paused on Wednesday Sep 30 for a laboratory test, resumed on Friday Oct 9: the
        // National Day week does not count, Oct 8 and 9 do.
        let resumed = moved_by_stop(&calendar, finish_due, Some(day(9, 30)), day(10, 9));
        assert_eq!(resumed, day(12, 8));
        assert!(effects(resumed, day(12, 4)).remind);
        let overdue = effects(resumed, day(12, 9));
        assert!(overdue.overdue && !overdue.escalate);
        assert_eq!(
            standing(&calendar, resumed, day(12, 10)),
            Standing::Overdue(2)
        );
        assert!(!effects(resumed, day(12, 10)).escalate);
        assert!(
            effects(resumed, day(12, 11)).escalate,
            "督办 on Friday Dec 11"
        );
        let designated = due_effects(&calendar, resumed, false, true, day(12, 9));
        assert!(
            designated.escalate,
            "at once for a case the office designated"
        );
    }
}
