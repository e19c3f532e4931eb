//! The reads of the Open311 API: requests (complaints) by public number or by filters, and
//! the latest public message of each. Only the columns the API may show are selected:
//! descriptions, contacts, notes and tracking codes never leave the database here.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::{complaints, events};
use super::{AnyConnection, DbError};
use crate::domain::complaint::{ActorKind, ComplaintState, EventKind};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = complaints)]
pub struct RequestRow {
    pub id: String,
    pub public_id: String,
    pub category_code: String,
    pub district_code: String,
    pub business_name: String,
    pub business_address: String,
    pub state: ComplaintState,
    pub lead_department: String,
    pub current_due: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What `GET requests` asks for, already parsed. `ids` overrides the rest.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub ids: Option<Vec<String>>,
    pub service_codes: Option<Vec<String>>,
    /// Filed at or after (UTC).
    pub from: Option<NaiveDateTime>,
    /// Filed at or before (UTC).
    pub to: Option<NaiveDateTime>,
    /// The states of `open` or of `closed`.
    pub states: Option<Vec<ComplaintState>>,
    pub offset: i64,
    pub limit: i64,
}

/// Newest filing first.
pub fn requests(
    conn: &mut AnyConnection,
    filter: &RequestFilter,
) -> Result<Vec<RequestRow>, DbError> {
    let mut query = complaints::table
        .select(RequestRow::as_select())
        .into_boxed();
    if let Some(ids) = &filter.ids {
        query = query.filter(complaints::public_id.eq_any(ids.clone()));
    } else {
        if let Some(codes) = &filter.service_codes {
            query = query.filter(complaints::category_code.eq_any(codes.clone()));
        }
        if let Some(from) = filter.from {
            query = query.filter(complaints::created_at.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(complaints::created_at.le(to));
        }
        if let Some(states) = &filter.states {
            query = query.filter(complaints::state.eq_any(states.clone()));
        }
    }
    Ok(query
        .order((complaints::created_at.desc(), complaints::id.desc()))
        .offset(filter.offset)
        .limit(filter.limit)
        .load(conn)?)
}

/// The latest message the handling departments wrote to the public on each of these
/// complaints, by complaint id. What a complainant wrote (information supplied, a reason to
/// withdraw, a rating's comment) is theirs and never listed.
pub fn latest_public_messages(
    conn: &mut AnyConnection,
    complaint_ids: &[String],
) -> Result<std::collections::HashMap<String, String>, DbError> {
    let mut latest = std::collections::HashMap::new();
    if complaint_ids.is_empty() {
        return Ok(latest);
    }
    let rows: Vec<(String, EventKind, ActorKind, Option<String>)> = events::table
        .filter(events::complaint_id.eq_any(complaint_ids.to_vec()))
        .filter(events::public_message.is_not_null())
        .filter(events::actor_kind.ne(ActorKind::Complainant))
        .order((events::at.asc(), events::id.asc()))
        .select((
            events::complaint_id,
            events::kind,
            events::actor_kind,
            events::public_message,
        ))
        .load(conn)?;
    for (id, kind, _, message) in rows {
        if let (true, Some(message)) = (kind.is_public(), message) {
            latest.insert(id, message);
        }
    }
    Ok(latest)
}
