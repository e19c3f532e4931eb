//! What the supervision bulletin reads (`domain::bulletin` counts it): the day tallies of a
//! period, kept added up in `bulletin_tallies` by the transaction that changes a case
//! (`refresh_case`), the deadlines still owed, and the score's weights.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::complaints::{ComplaintRow, Filing};
use super::deadlines::DeadlineRow;
use super::schema::{
    assessment_weights, bulletin_rollups, bulletin_state, bulletin_tallies, complaints, deadlines,
    digests_sent, events,
};
use super::{on_backend, AnyConnection, DbError, MultiBackend};
use crate::domain::bulletin::{
    tallies, CaseFact, DeadlineFact, Grain, Grouping, Happened, Measure, Owed, Period, Place,
    Tally, TallySum, Weights, HISTOGRAMS,
};
use crate::domain::calendar::{city_date, start_of_city_day_utc, WorkCalendar};
use crate::domain::complaint::{ComplaintState, EventKind, Outcome};
use crate::domain::deadlines::DeadlineKind;
use crate::domain::ids::{ComplaintId, DepartmentCode};

/// The UTC instants a period of city dates spans: `[from, until)`.
pub fn utc_span(period: Period) -> (NaiveDateTime, NaiveDateTime) {
    let until = period.to.succ_opt().unwrap_or(period.to);
    (
        start_of_city_day_utc(period.from),
        start_of_city_day_utc(until),
    )
}

/// Where a case's bulletin facts belong, and what of the case row decides them.
#[derive(Debug, Clone)]
pub struct CaseBasics {
    pub id: String,
    pub lead: DepartmentCode,
    pub returned_by: Option<DepartmentCode>,
    pub designated: bool,
    pub district: String,
    pub category: String,
    pub state: ComplaintState,
    /// Merged into another case: not received (the case it joined was).
    pub merged: bool,
    pub rating: Option<(i32, NaiveDateTime)>,
}

impl CaseBasics {
    pub fn of(row: &ComplaintRow) -> CaseBasics {
        CaseBasics {
            id: row.id.to_string(),
            lead: row.lead_department.clone(),
            returned_by: row.returned_by.clone(),
            designated: row.designated,
            district: row.district_code.clone(),
            category: row.category_code.clone(),
            state: row.state,
            merged: row.outcome == Some(Outcome::Duplicate),
            rating: row.rating_score.zip(row.rated_at),
        }
    }
}

/// The events the bulletin counts: returns, answers and reopenings.
pub const COUNTED_EVENTS: [EventKind; 3] =
    [EventKind::Returned, EventKind::Replied, EventKind::Reopened];

/// A case's bulletin facts from its row, deadline records and counted events (`at`).
pub fn facts_of_case(
    case: &CaseBasics,
    records: &[DeadlineRow],
    events: &[(EventKind, NaiveDateTime)],
) -> (Vec<DeadlineFact>, Vec<CaseFact>) {
    let place = |department: &DepartmentCode| Place {
        department: department.to_string(),
        district: case.district.clone(),
        category: case.category.clone(),
    };
    let deadlines = records
        .iter()
        .map(|d| DeadlineFact {
            complaint_id: case.id.clone(),
            kind: d.kind,
            place: place(&d.department_code),
            started_on: d.started_on,
            due_on: d.due_on,
            paused: d.paused_on.is_some(),
            met_on: d.met_at.map(city_date),
            superseded: d.superseded_at.is_some(),
            escalated_on: d.escalated_at.map(city_date),
            counted: case.state != ComplaintState::Withdrawn && !case.merged,
        })
        .collect();
    let mut facts = Vec::new();
    for (kind, at) in events {
        let (department, happened) = match (kind, &case.returned_by) {
            // A case is returned once; the office's designation, if made, decides it.
            (EventKind::Returned, Some(by)) => (
                by,
                Happened::Returned {
                    upheld: case.designated.then(|| case.lead != *by),
                },
            ),
            (EventKind::Replied, _) => (&case.lead, Happened::Resolved),
            (EventKind::Reopened, _) => (&case.lead, Happened::Reopened),
            _ => continue,
        };
        facts.push(CaseFact {
            day: city_date(*at),
            place: place(department),
            happened,
        });
    }
    if let Some((score, at)) = case.rating {
        facts.push(CaseFact {
            day: city_date(at),
            place: place(&case.lead),
            happened: Happened::Rated {
                score: u8::try_from(score.clamp(1, 5)).unwrap_or(5),
            },
        });
    }
    (deadlines, facts)
}

/// The tallies of one case as the database holds it now (empty when there is no such case).
pub fn case_tallies(
    conn: &mut AnyConnection,
    id: &ComplaintId,
    calendar: &WorkCalendar,
) -> Result<Vec<Tally>, DbError> {
    let Some(row) = super::complaints::find(conn, id)? else {
        return Ok(Vec::new());
    };
    let records = super::deadlines::of_complaint(conn, id)?;
    let happened: Vec<(EventKind, NaiveDateTime)> = events::table
        .filter(events::complaint_id.eq(id))
        .filter(events::kind.eq_any(COUNTED_EVENTS))
        .select((events::kind, events::at))
        .load(conn)?;
    let (deadlines, facts) = facts_of_case(&CaseBasics::of(&row), &records, &happened);
    Ok(tallies(&deadlines, &facts, calendar))
}

/// What new cases, written whole (a filing, a seeded history), add to the day tallies.
pub fn filing_tallies(filings: &[Filing], calendar: &WorkCalendar) -> DayTallies {
    let mut sums = DayTallies::default();
    for filing in filings {
        let records: Vec<DeadlineRow> = filing
            .deadlines
            .iter()
            .map(|d| DeadlineRow::from_new(0, d.clone()))
            .collect();
        let happened: Vec<(EventKind, NaiveDateTime)> = filing
            .events
            .iter()
            .filter(|e| COUNTED_EVENTS.contains(&e.kind))
            .map(|e| (e.kind, e.at))
            .collect();
        let (deadlines, facts) =
            facts_of_case(&CaseBasics::of(&filing.complaint), &records, &happened);
        sums.add(&tallies(&deadlines, &facts, calendar), 1);
    }
    sums
}

/// Brings the day tallies up to date with a case changed in this transaction: `before`
/// is what `case_tallies` said before the change.
pub fn refresh_case(
    conn: &mut AnyConnection,
    id: &ComplaintId,
    before: Vec<Tally>,
    calendar: &WorkCalendar,
) -> Result<(), DbError> {
    let after = case_tallies(conn, id, calendar)?;
    let mut delta = DayTallies::default();
    delta.add(&after, 1);
    delta.add(&before, -1);
    delta.write(conn)
}

/// The families of sums kept: one per grouping (each by department too, for a
/// supervisor's view) and the city's.
const CITY: &str = "city";

type TallyKey = (&'static str, NaiveDate, String, String, Measure, i32);

/// Tallies added up by family, day and key, to be added to the table. Ordered: every
/// transaction updates the rows it shares with others in one order, so two instances
/// adding to the same days never wait on each other in a cycle (a deadlock on PostgreSQL).
#[derive(Debug, Default)]
pub struct DayTallies {
    counts: BTreeMap<TallyKey, i64>,
}

impl DayTallies {
    pub fn add(&mut self, tallies: &[Tally], sign: i64) {
        for t in tallies {
            let department = &t.place.department;
            let mut bump = |family: &'static str, department: &str, key: &str| {
                *self
                    .counts
                    .entry((
                        family,
                        t.day,
                        department.to_owned(),
                        key.to_owned(),
                        t.measure,
                        t.value,
                    ))
                    .or_default() += sign;
            };
            for grouping in Grouping::ALL {
                // Per department a case's first acceptance by that department is what counts.
                if *grouping == Grouping::Department && t.measure == Measure::ReceivedCase {
                    continue;
                }
                // A joint action's task has no district or category (issue 13).
                if t.place.key(*grouping).is_empty() {
                    continue;
                }
                bump(grouping.as_str(), department, t.place.key(*grouping));
            }
            if t.measure != Measure::ReceivedByDepartment {
                bump(CITY, "", "");
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.values().all(|n| *n == 0)
    }

    /// Adds another transaction's sums to these (one write for a group commit's filings).
    pub fn merge(&mut self, other: DayTallies) {
        for (key, n) in other.counts {
            *self.counts.entry(key).or_default() += n;
        }
    }

    /// Adds the sums to the table's (a row per key, created at its first count), and to
    /// their month's and week part's roll-ups.
    pub fn write(self, conn: &mut AnyConnection) -> Result<(), DbError> {
        let mut rollups: BTreeMap<RollupKey, i64> = BTreeMap::new();
        for ((family, day, department, key, measure, value), n) in &self.counts {
            if *n == 0 {
                continue;
            }
            for grain in ROLLED_UP {
                *rollups
                    .entry((
                        *family,
                        grain.as_str(),
                        grain.start_of(*day),
                        department.clone(),
                        key.clone(),
                        *measure,
                        *value,
                    ))
                    .or_default() += n;
            }
        }
        let rows: Vec<_> = self
            .counts
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|((family, day, department, key, measure, value), n)| {
                (
                    bulletin_tallies::family.eq(family),
                    bulletin_tallies::day.eq(day),
                    bulletin_tallies::department_code.eq(department),
                    bulletin_tallies::group_key.eq(key),
                    bulletin_tallies::measure.eq(measure),
                    bulletin_tallies::value.eq(value),
                    bulletin_tallies::count.eq(n),
                )
            })
            .collect();
        use diesel::upsert::excluded;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            on_backend!(conn, |c| diesel::insert_into(bulletin_tallies::table)
                .values(chunk)
                .on_conflict((
                    bulletin_tallies::family,
                    bulletin_tallies::day,
                    bulletin_tallies::department_code,
                    bulletin_tallies::group_key,
                    bulletin_tallies::measure,
                    bulletin_tallies::value,
                ))
                .do_update()
                .set(
                    bulletin_tallies::count
                        .eq(bulletin_tallies::count + excluded(bulletin_tallies::count))
                )
                .execute(c))?;
        }
        let rows: Vec<_> = rollups
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(
                |((family, grain, starts_on, department, key, measure, value), n)| {
                    (
                        bulletin_rollups::family.eq(family),
                        bulletin_rollups::grain.eq(grain),
                        bulletin_rollups::starts_on.eq(starts_on),
                        bulletin_rollups::department_code.eq(department),
                        bulletin_rollups::group_key.eq(key),
                        bulletin_rollups::measure.eq(measure),
                        bulletin_rollups::value.eq(value),
                        bulletin_rollups::count.eq(n),
                    )
                },
            )
            .collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            on_backend!(conn, |c| diesel::insert_into(bulletin_rollups::table)
                .values(chunk)
                .on_conflict((
                    bulletin_rollups::family,
                    bulletin_rollups::grain,
                    bulletin_rollups::starts_on,
                    bulletin_rollups::department_code,
                    bulletin_rollups::group_key,
                    bulletin_rollups::measure,
                    bulletin_rollups::value,
                ))
                .do_update()
                .set(
                    bulletin_rollups::count
                        .eq(bulletin_rollups::count + excluded(bulletin_rollups::count))
                )
                .execute(c))?;
        }
        Ok(())
    }
}

/// The coarser units the day tallies are also kept in (`bulletin_rollups`).
const ROLLED_UP: [Grain; 2] = [Grain::Month, Grain::WeekPart];

type RollupKey = (
    &'static str,
    &'static str,
    NaiveDate,
    String,
    String,
    Measure,
    i32,
);

/// Rows per statement: 7 or 8 parameters a row, far under both backends' limits.
const ROWS_PER_STATEMENT: usize = 500;

/// A family's sums over a span: by department and group key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumRow {
    pub department: String,
    pub sum: TallySum,
}

/// The sums of `span` in the family of `grouping` (`None`: the city's), by department and
/// group key: its whole months and week parts read from the roll-ups, the days left over
/// from the day rows.
pub fn sums(
    conn: &mut AnyConnection,
    grouping: Option<Grouping>,
    span: Period,
) -> Result<Vec<SumRow>, DbError> {
    sums_without(conn, grouping, span, &[])
}

/// The sums of `span` without the histograms of working days: enough for figures that are
/// added up (the weekly trend), which have no median.
pub fn counts(
    conn: &mut AnyConnection,
    grouping: Option<Grouping>,
    span: Period,
) -> Result<Vec<SumRow>, DbError> {
    sums_without(conn, grouping, span, &HISTOGRAMS)
}

fn sums_without(
    conn: &mut AnyConnection,
    grouping: Option<Grouping>,
    span: Period,
    left_out: &[Measure],
) -> Result<Vec<SumRow>, DbError> {
    let family = grouping.map_or(CITY, Grouping::as_str);
    let units = span.units();
    let starts = |grain: Grain| -> Vec<NaiveDate> {
        units
            .iter()
            .filter(|(g, _)| *g == grain)
            .map(|(_, first)| *first)
            .collect()
    };
    let total = || diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(SUM(count) AS BIGINT)");
    let mut parts: Vec<(String, String, Measure, i32, i64)> = Vec::new();
    let days = starts(Grain::Day);
    if !days.is_empty() {
        parts.extend(
            bulletin_tallies::table
                .filter(bulletin_tallies::family.eq(family))
                .filter(bulletin_tallies::day.eq_any(days))
                .filter(bulletin_tallies::measure.ne_all(left_out))
                .group_by((
                    bulletin_tallies::department_code,
                    bulletin_tallies::group_key,
                    bulletin_tallies::measure,
                    bulletin_tallies::value,
                ))
                .select((
                    bulletin_tallies::department_code,
                    bulletin_tallies::group_key,
                    bulletin_tallies::measure,
                    bulletin_tallies::value,
                    total(),
                ))
                .load::<(String, String, Measure, i32, i64)>(conn)?,
        );
    }
    for grain in ROLLED_UP {
        let firsts = starts(grain);
        if firsts.is_empty() {
            continue;
        }
        parts.extend(
            bulletin_rollups::table
                .filter(bulletin_rollups::family.eq(family))
                .filter(bulletin_rollups::grain.eq(grain.as_str()))
                .filter(bulletin_rollups::starts_on.eq_any(firsts))
                .filter(bulletin_rollups::measure.ne_all(left_out))
                .group_by((
                    bulletin_rollups::department_code,
                    bulletin_rollups::group_key,
                    bulletin_rollups::measure,
                    bulletin_rollups::value,
                ))
                .select((
                    bulletin_rollups::department_code,
                    bulletin_rollups::group_key,
                    bulletin_rollups::measure,
                    bulletin_rollups::value,
                    total(),
                ))
                .load::<(String, String, Measure, i32, i64)>(conn)?,
        );
    }
    let mut added: BTreeMap<(String, String, Measure, i32), i64> = BTreeMap::new();
    for (department, key, measure, value, count) in parts {
        *added.entry((department, key, measure, value)).or_default() += count;
    }
    Ok(added
        .into_iter()
        .map(|((department, key, measure, value), count)| SumRow {
            department,
            sum: TallySum {
                key,
                measure,
                value,
                count,
            },
        })
        .collect())
}

/// A family's owed deadlines: by department, group key, kind and due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwedRow {
    pub department: String,
    pub owed: Owed,
}

// The owed deadlines of a district or category: grouped by columns of both tables.
diesel::allow_columns_to_appear_in_same_group_by_clause!(
    deadlines::department_code,
    deadlines::kind,
    deadlines::due_on,
    complaints::district_code,
    complaints::category_code,
);

/// The deadlines still owed, their clock running, that fell due before `today`, grouped
/// as `grouping` asks (`None`: the city's, every one under one key).
pub fn owed(
    conn: &mut AnyConnection,
    grouping: Option<Grouping>,
    today: NaiveDate,
) -> Result<Vec<OwedRow>, DbError> {
    let open = deadlines::table
        .filter(deadlines::met_at.is_null())
        .filter(deadlines::superseded_at.is_null())
        .filter(deadlines::paused_on.is_null())
        .filter(deadlines::due_on.lt(today));
    let count = || diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(COUNT(*) AS BIGINT)");
    let rows: Vec<(DepartmentCode, String, DeadlineKind, NaiveDate, i64)> = match grouping {
        Some(Grouping::District) => open
            .inner_join(complaints::table)
            .group_by((
                deadlines::department_code,
                complaints::district_code,
                deadlines::kind,
                deadlines::due_on,
            ))
            .select((
                deadlines::department_code,
                complaints::district_code,
                deadlines::kind,
                deadlines::due_on,
                count(),
            ))
            .load(conn)?,
        Some(Grouping::Category) => open
            .inner_join(complaints::table)
            .group_by((
                deadlines::department_code,
                complaints::category_code,
                deadlines::kind,
                deadlines::due_on,
            ))
            .select((
                deadlines::department_code,
                complaints::category_code,
                deadlines::kind,
                deadlines::due_on,
                count(),
            ))
            .load(conn)?,
        // By department (the city's rows are keyed after).
        _ => open
            .group_by((
                deadlines::department_code,
                deadlines::kind,
                deadlines::due_on,
            ))
            .select((
                deadlines::department_code,
                deadlines::department_code,
                deadlines::kind,
                deadlines::due_on,
                count(),
            ))
            .load::<(DepartmentCode, DepartmentCode, DeadlineKind, NaiveDate, i64)>(conn)?
            .into_iter()
            .map(|(department, key, kind, due_on, n)| {
                (department, key.to_string(), kind, due_on, n)
            })
            .collect(),
    };
    Ok(rows
        .into_iter()
        .map(|(department, key, kind, due_on, count)| OwedRow {
            department: department.to_string(),
            owed: Owed {
                key: if grouping.is_some() {
                    key
                } else {
                    String::new()
                },
                kind,
                due_on,
                count,
            },
        })
        .collect())
}

/// Cases read per step of a rebuild.
const REBUILD_CHUNK: i64 = 2_000;

/// Recomputes every day tally from the cases' rows (after a migration added the table, or
/// after rows were written by other means). Returns how many cases were read.
pub fn rebuild(conn: &mut AnyConnection, calendar: &WorkCalendar) -> Result<u64, DbError> {
    diesel::delete(bulletin_tallies::table).execute(conn)?;
    diesel::delete(bulletin_rollups::table).execute(conn)?;
    let mut after: Option<String> = None;
    let mut cases = 0u64;
    loop {
        let mut query = complaints::table
            .order(complaints::id.asc())
            .limit(REBUILD_CHUNK)
            .select(ComplaintRow::as_select())
            .into_boxed::<MultiBackend>();
        if let Some(last) = &after {
            query = query.filter(complaints::id.gt(last.clone()));
        }
        let rows: Vec<ComplaintRow> = query.load(conn)?;
        let Some(last) = rows.last() else {
            break;
        };
        after = Some(last.id.to_string());
        let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
        let mut records: HashMap<String, Vec<DeadlineRow>> = HashMap::new();
        for d in super::deadlines::of_complaints(conn, ids.clone())? {
            records
                .entry(d.complaint_id.to_string())
                .or_default()
                .push(d);
        }
        let mut happened: HashMap<String, Vec<(EventKind, NaiveDateTime)>> = HashMap::new();
        let counted: Vec<(String, EventKind, NaiveDateTime)> = events::table
            .filter(events::complaint_id.eq_any(&ids))
            .filter(events::kind.eq_any(COUNTED_EVENTS))
            .select((events::complaint_id, events::kind, events::at))
            .load(conn)?;
        for (id, kind, at) in counted {
            happened.entry(id).or_default().push((kind, at));
        }
        let mut sums = DayTallies::default();
        for row in &rows {
            let id = row.id.to_string();
            let (deadlines, facts) = facts_of_case(
                &CaseBasics::of(row),
                records.get(&id).map_or(&[][..], Vec::as_slice),
                happened.get(&id).map_or(&[][..], Vec::as_slice),
            );
            sums.add(&tallies(&deadlines, &facts, calendar), 1);
        }
        sums.write(conn)?;
        cases += rows.len() as u64;
    }
    // Joint actions' member tasks (issue 13).
    let mut sums = DayTallies::default();
    sums.add(&super::joint_actions::all_task_tallies(conn)?, 1);
    sums.write(conn)?;
    diesel::update(bulletin_state::table)
        .set(bulletin_state::tallies_built.eq(true))
        .execute(conn)?;
    Ok(cases)
}

/// Rebuilds the tallies once, after the migration that added them (instances starting
/// together: the first to claim the flag builds, in its transaction).
pub fn build_tallies_once(conn: &mut AnyConnection) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let claimed = diesel::update(bulletin_state::table)
            .filter(bulletin_state::tallies_built.eq(false))
            .set(bulletin_state::tallies_built.eq(true))
            .execute(conn)?;
        if claimed == 1 {
            let calendar = super::reference::ReferenceData::load(conn)?.calendar;
            rebuild(conn, &calendar)?;
        }
        Ok(())
    })
}

type WeightColumns = (
    assessment_weights::finished_on_time,
    assessment_weights::accepted_on_time,
    assessment_weights::satisfaction,
    assessment_weights::not_reopened,
    assessment_weights::returns_upheld,
);

const WEIGHTS: WeightColumns = (
    assessment_weights::finished_on_time,
    assessment_weights::accepted_on_time,
    assessment_weights::satisfaction,
    assessment_weights::not_reopened,
    assessment_weights::returns_upheld,
);

type WeightRow = (i32, i32, i32, i32, i32);

fn to_weights(row: WeightRow) -> Weights {
    let part = |v: i32| u32::try_from(v).unwrap_or(0);
    Weights::from_parts([
        part(row.0),
        part(row.1),
        part(row.2),
        part(row.3),
        part(row.4),
    ])
}

/// The weights in force, and when they were last changed (`None`: the defaults as shipped).
pub fn weights(conn: &mut AnyConnection) -> Result<(Weights, Option<NaiveDateTime>), DbError> {
    let row: Option<(WeightRow, Option<NaiveDateTime>)> = assessment_weights::table
        .filter(assessment_weights::id.eq(1))
        .select((WEIGHTS, assessment_weights::updated_at))
        .first(conn)
        .optional()?;
    Ok(row.map_or((Weights::default(), None), |(parts, at)| {
        (to_weights(parts), at)
    }))
}

pub fn set_weights(
    conn: &mut AnyConnection,
    weights: &Weights,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let part = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    diesel::update(assessment_weights::table.filter(assessment_weights::id.eq(1)))
        .set((
            assessment_weights::finished_on_time.eq(part(weights.finished_on_time)),
            assessment_weights::accepted_on_time.eq(part(weights.accepted_on_time)),
            assessment_weights::satisfaction.eq(part(weights.satisfaction)),
            assessment_weights::not_reopened.eq(part(weights.not_reopened)),
            assessment_weights::returns_upheld.eq(part(weights.returns_upheld)),
            assessment_weights::updated_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The recipients among `recipients` whose digest of `week` has gone.
pub fn digests_sent_of(
    conn: &mut AnyConnection,
    week: &str,
    recipients: Vec<String>,
) -> Result<Vec<String>, DbError> {
    Ok(digests_sent::table
        .filter(digests_sent::week.eq(week))
        .filter(digests_sent::recipient.eq_any(recipients))
        .select(digests_sent::recipient)
        .load(conn)?)
}

/// Records that `recipient` has their digest of `week`: `false` when it already had it.
/// Call inside the transaction that writes the digest's outbox row.
pub fn mark_digest_sent(
    conn: &mut AnyConnection,
    recipient: &str,
    week: &str,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let sent: i64 = digests_sent::table
        .filter(digests_sent::recipient.eq(recipient))
        .filter(digests_sent::week.eq(week))
        .count()
        .get_result(conn)?;
    if sent > 0 {
        return Ok(false);
    }
    diesel::insert_into(digests_sent::table)
        .values((
            digests_sent::recipient.eq(recipient),
            digests_sent::week.eq(week),
            digests_sent::sent_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}
