//! What the supervision bulletin reads for a period (`domain::bulletin` counts it): the
//! deadline records that started, fell due, were met or escalated in it or are overdue now,
//! the returns, answers, reopenings and ratings of its days, and the score's weights.
//! Each read goes through an index on the date it selects by (migration `bulletin`).

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{assessment_weights, complaints, deadlines, digests_sent, events};
use super::{AnyConnection, DbError, MultiBackend};
use crate::domain::bulletin::{CaseFact, DeadlineFact, Period, Place, Weights};
use crate::domain::calendar::{city_date, start_of_city_day_utc};
use crate::domain::complaint::{ComplaintState, EventKind};
use crate::domain::deadlines::DeadlineKind;
use crate::domain::ids::DepartmentCode;

/// The UTC instants a period of city dates spans: `[from, until)`.
pub fn utc_span(period: Period) -> (NaiveDateTime, NaiveDateTime) {
    let until = period.to.succ_opt().unwrap_or(period.to);
    (
        start_of_city_day_utc(period.from),
        start_of_city_day_utc(until),
    )
}

type FactRow = (
    i64,
    String,
    DepartmentCode,
    DeadlineKind,
    NaiveDate,
    NaiveDate,
    Option<NaiveDate>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    String,
    String,
    ComplaintState,
);

/// Which records a read selects, each by its own index.
enum Selects {
    DueIn(NaiveDate, NaiveDate),
    StartedIn(NaiveDate, NaiveDate),
    MetIn(NaiveDateTime, NaiveDateTime),
    EscalatedIn(NaiveDateTime, NaiveDateTime),
    OverdueBefore(NaiveDate),
}

fn deadline_rows(conn: &mut AnyConnection, selects: Selects) -> Result<Vec<FactRow>, DbError> {
    let mut query = deadlines::table
        .inner_join(complaints::table)
        .into_boxed::<MultiBackend>();
    query = match selects {
        Selects::DueIn(from, to) => query.filter(deadlines::due_on.between(from, to)),
        Selects::StartedIn(from, to) => query.filter(deadlines::started_on.between(from, to)),
        Selects::MetIn(from, until) => query
            .filter(deadlines::met_at.ge(from))
            .filter(deadlines::met_at.lt(until)),
        Selects::EscalatedIn(from, until) => query
            .filter(deadlines::escalated_at.ge(from))
            .filter(deadlines::escalated_at.lt(until)),
        Selects::OverdueBefore(today) => query
            .filter(deadlines::met_at.is_null())
            .filter(deadlines::superseded_at.is_null())
            .filter(deadlines::due_on.lt(today)),
    };
    Ok(query
        .select((
            deadlines::id,
            deadlines::complaint_id,
            deadlines::department_code,
            deadlines::kind,
            deadlines::started_on,
            deadlines::due_on,
            deadlines::paused_on,
            deadlines::met_at,
            deadlines::superseded_at,
            deadlines::escalated_at,
            complaints::district_code,
            complaints::category_code,
            complaints::state,
        ))
        .load::<FactRow>(conn)?)
}

/// Every deadline record the bulletin of `period` counts, once each, as of `today`.
pub fn deadline_facts(
    conn: &mut AnyConnection,
    period: Period,
    today: NaiveDate,
) -> Result<Vec<DeadlineFact>, DbError> {
    let (from, until) = utc_span(period);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for selects in [
        Selects::DueIn(period.from, period.to),
        Selects::StartedIn(period.from, period.to),
        Selects::MetIn(from, until),
        Selects::EscalatedIn(from, until),
        Selects::OverdueBefore(today),
    ] {
        for row in deadline_rows(conn, selects)? {
            if !seen.insert(row.0) {
                continue;
            }
            let (_, complaint_id, department, kind, started_on, due_on, paused_on) =
                (row.0, row.1, row.2, row.3, row.4, row.5, row.6);
            out.push(DeadlineFact {
                complaint_id,
                kind,
                place: Place {
                    department: department.to_string(),
                    district: row.10,
                    category: row.11,
                },
                started_on,
                due_on,
                paused: paused_on.is_some(),
                met_on: row.7.map(city_date),
                superseded: row.8.is_some(),
                escalated_on: row.9.map(city_date),
                counted: row.12 != ComplaintState::Withdrawn,
            });
        }
    }
    Ok(out)
}

/// The returns, answers and reopenings recorded in the period, and the ratings given in it.
pub fn case_facts(conn: &mut AnyConnection, period: Period) -> Result<Vec<CaseFact>, DbError> {
    let (from, until) = utc_span(period);
    type EventFact = (
        EventKind,
        DepartmentCode,
        Option<DepartmentCode>,
        bool,
        String,
        String,
    );
    let happened: Vec<EventFact> = events::table
        .inner_join(complaints::table)
        .filter(events::kind.eq_any([EventKind::Returned, EventKind::Replied, EventKind::Reopened]))
        .filter(events::at.ge(from))
        .filter(events::at.lt(until))
        .select((
            events::kind,
            complaints::lead_department,
            complaints::returned_by,
            complaints::designated,
            complaints::district_code,
            complaints::category_code,
        ))
        .load(conn)?;
    let mut out = Vec::with_capacity(happened.len());
    for (kind, lead, returned_by, designated, district, category) in happened {
        let place = |department: &DepartmentCode| Place {
            department: department.to_string(),
            district: district.clone(),
            category: category.clone(),
        };
        out.push(match (kind, returned_by) {
            // A case is returned once; the office's designation, if made, decides it.
            (EventKind::Returned, Some(by)) => CaseFact::Returned {
                place: place(&by),
                upheld: designated.then(|| lead != by),
            },
            (EventKind::Returned, None) => continue,
            (EventKind::Replied, _) => CaseFact::Resolved {
                place: place(&lead),
            },
            _ => CaseFact::Reopened {
                place: place(&lead),
            },
        });
    }
    let rated: Vec<(i32, DepartmentCode, String, String)> = complaints::table
        .filter(complaints::rated_at.ge(from))
        .filter(complaints::rated_at.lt(until))
        .filter(complaints::rating_score.is_not_null())
        .select((
            complaints::rating_score.assume_not_null(),
            complaints::lead_department,
            complaints::district_code,
            complaints::category_code,
        ))
        .load(conn)?;
    out.extend(
        rated
            .into_iter()
            .map(|(score, lead, district, category)| CaseFact::Rated {
                place: Place {
                    department: lead.to_string(),
                    district,
                    category,
                },
                score: u8::try_from(score.clamp(1, 5)).unwrap_or(5),
            }),
    );
    Ok(out)
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
