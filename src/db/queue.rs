//! The staff queue's queries: which complaints a member may see (one function, used by the
//! list, the counts and the search), the filters, the full-text match and keyset pages.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::schema::{complaint_departments, complaints, users};
use super::{AnyConnection, Backend, DbError, MultiBackend};
use crate::domain::access::Role;
use crate::domain::complaint::{ComplaintKind, ComplaintState};
use crate::domain::fields::{CreditCode, Email, Phone};
use crate::domain::public_id::PublicId;
use crate::domain::search::QueryTerm;
use crate::domain::tracking_code::TrackingCode;

/// A complaints query that the filters, the order and the page are added to.
pub type ComplaintQuery = complaints::BoxedQuery<'static, MultiBackend>;

/// The states in which a case needs its department's action: the default view.
pub const OPEN_STATES: [ComplaintState; 3] = [
    ComplaintState::Assigned,
    ComplaintState::Accepted,
    ComplaintState::AwaitingInfo,
];

/// Who is looking: what they may see depends on nothing else.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: String,
    pub role: Role,
    pub department: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateFilter {
    /// Assigned, accepted and awaiting information.
    #[default]
    Open,
    All,
    Only(ComplaintState),
}

impl StateFilter {
    /// Running cases are worked by deadline; finished ones are looked up by filing date.
    pub fn order(self) -> Order {
        match self {
            StateFilter::Open => Order::ByDeadline,
            StateFilter::Only(state) if OPEN_STATES.contains(&state) => Order::ByDeadline,
            _ => Order::ByFiling,
        }
    }
}

/// How the department in focus stands to the case. A department's default view holds the
/// cases it co-handles too: their opinion deadlines are its own to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Involvement {
    Lead,
    CoHandling,
    #[default]
    Either,
}

/// What the search box was understood as. Contacts are looked up exactly, never by
/// fragment, and never an anonymous reporter's.
#[derive(Debug, Clone)]
pub enum Search {
    TrackingCode(TrackingCode),
    /// A public case number (`domain::public_id`).
    PublicId(PublicId),
    CreditCode(CreditCode),
    Phone(Phone),
    Email(Email),
    /// Never empty: a query without terms is not a search.
    Text(Vec<QueryTerm>),
}

/// Every filter of the queue, already parsed and checked against the reference data.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: StateFilter,
    pub kind: Option<ComplaintKind>,
    pub category: Option<String>,
    pub district: Option<String>,
    /// The department in focus for those who see every department; ignored for the others,
    /// whose focus is always their own department.
    pub department: Option<String>,
    pub involvement: Involvement,
    /// `complaints.assignee`: a user id.
    pub assignee: Option<String>,
    /// Only cases whose running deadline is before this (city) date: the overdue ones.
    pub due_before: Option<NaiveDate>,
    /// Filed at or after this UTC instant.
    pub filed_from: Option<NaiveDateTime>,
    /// Filed before this UTC instant.
    pub filed_before: Option<NaiveDateTime>,
    pub search: Option<Search>,
    /// Only cases with an escalated (督办) deadline still unmet.
    pub escalated: bool,
    /// Only cases returned to the office and not designated yet.
    pub returned: bool,
}

impl Search {
    /// A tracking code, credit code, phone or email names its cases exactly: such a look-up
    /// finds them whatever the other filters say.
    pub fn is_exact(&self) -> bool {
        !matches!(self, Search::Text(_))
    }
}

impl QueueFilter {
    /// Running cases are worked by deadline and finished ones looked up by filing date; a
    /// text search lists its hits newest first, on SQLite in the full-text index's own order.
    pub fn order(&self, backend: Backend) -> Order {
        match (&self.search, backend) {
            (Some(Search::Text(_)), Backend::Sqlite) => Order::ByHit,
            (Some(Search::Text(_)), Backend::Postgres) => Order::ByFiling,
            _ => self.state.order(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// `current_due` ascending, stopped clocks last, then id.
    ByDeadline,
    /// Newest filing first, then id descending.
    ByFiling,
    /// A text search on SQLite: newest hit first, in the order the complaints were filed
    /// (the full-text table's rowid, given in the filing transaction).
    ByHit,
}

/// Where the next page starts: the key of the last row shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKey {
    Deadline {
        due: Option<NaiveDate>,
        id: String,
    },
    Filing {
        at: NaiveDateTime,
        id: String,
    },
    /// The full-text rowid the next page of a text search starts below.
    Hit {
        before: i64,
    },
}

const FILED_FORMAT: &str = "%Y%m%dT%H%M%S%.f";

impl PageKey {
    pub fn order(&self) -> Order {
        match self {
            PageKey::Deadline { .. } => Order::ByDeadline,
            PageKey::Filing { .. } => Order::ByFiling,
            PageKey::Hit { .. } => Order::ByHit,
        }
    }

    /// The URL form: `due.2026-12-01.{id}`, `due.none.{id}` or `filed.{timestamp}.{id}`.
    pub fn encode(&self) -> String {
        match self {
            PageKey::Deadline { due: Some(due), id } => format!("due.{due}.{id}"),
            PageKey::Deadline { due: None, id } => format!("due.none.{id}"),
            PageKey::Filing { at, id } => format!("filed.{}.{id}", at.format(FILED_FORMAT)),
            PageKey::Hit { before } => format!("hit.{before}"),
        }
    }

    /// `None` for anything `encode` did not make; the id must be a UUID, so nothing else
    /// reaches the query.
    pub fn parse(text: &str) -> Option<PageKey> {
        if let Some(digits) = text.strip_prefix("hit.") {
            // Only digits: `parse` alone would take a sign.
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let before: i64 = digits.parse().ok()?;
            return Some(PageKey::Hit { before });
        }
        let (kind, rest) = text.split_once('.')?;
        let (value, id) = rest.rsplit_once('.')?;
        let id = uuid::Uuid::parse_str(id).ok()?.hyphenated().to_string();
        match kind {
            "due" if value == "none" => Some(PageKey::Deadline { due: None, id }),
            "due" => {
                let due = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
                Some(PageKey::Deadline { due: Some(due), id })
            }
            "filed" => {
                let at = NaiveDateTime::parse_from_str(value, FILED_FORMAT).ok()?;
                Some(PageKey::Filing { at, id })
            }
            _ => None,
        }
    }
}

/// One row of the list: what the queue shows, contacts still unmasked (the page masks them).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = complaints)]
pub struct QueueRow {
    pub id: String,
    pub tracking_code: String,
    pub public_id: String,
    pub kind: String,
    pub category_code: String,
    pub district_code: String,
    pub business_name: String,
    pub state: String,
    pub lead_department: String,
    pub current_due: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub assignee: Option<String>,
    pub returned_by: Option<String>,
    pub designated: bool,
    pub complainant_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub anonymous: bool,
    /// Issue 16: the version the page shows, for the bulk form's optimistic check.
    pub version: i32,
    /// Issue 16: the description's first characters (one more than the queue shows, to
    /// know whether it was cut), read in the database so a row never carries the whole.
    #[diesel(select_expression = diesel::dsl::sql::<diesel::sql_types::Text>("substr(complaints.description, 1, 61)"))]
    #[diesel(select_expression_type = diesel::expression::SqlLiteral<diesel::sql_types::Text>)]
    pub excerpt: String,
}

impl QueueRow {
    /// Returned to the office, waiting for its designation.
    pub fn is_returned(&self) -> bool {
        self.returned_by.is_some()
            && !self.designated
            && self.state == ComplaintState::Assigned.as_str()
    }

    pub fn key(&self, order: Order) -> PageKey {
        match order {
            Order::ByDeadline => PageKey::Deadline {
                due: self.current_due,
                id: self.id.clone(),
            },
            Order::ByFiling | Order::ByHit => PageKey::Filing {
                at: self.created_at,
                id: self.id.clone(),
            },
        }
    }
}

pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    /// Set when there is a next page: the key of the last row shown.
    pub next: Option<PageKey>,
}

type CoHandledBy = diesel::dsl::Select<
    diesel::dsl::Filter<
        diesel::dsl::Filter<
            complaint_departments::table,
            diesel::dsl::Eq<complaint_departments::department_code, String>,
        >,
        diesel::dsl::EqAny<complaint_departments::case_state, Vec<&'static str>>,
    >,
    complaint_departments::complaint_id,
>;

/// Ids of the complaints a department co-handles in one of `states`, as a subquery, from
/// the co-handling rows' copy of the case's state (kept by triggers, migration
/// co_handled_state). Not boxed: a boxed subquery cannot sit inside `IN (…)` on the
/// multi-backend connection.
fn co_handled_by(department: String, states: &[ComplaintState]) -> CoHandledBy {
    let states: Vec<&'static str> = states.iter().map(|s| s.as_str()).collect();
    complaint_departments::table
        .filter(complaint_departments::department_code.eq(department))
        .filter(complaint_departments::case_state.eq_any(states))
        .select(complaint_departments::complaint_id)
}

/// One of the disjoint parts a view is read in: the union of a viewer's scopes is what
/// they may see and have in focus. A department's set is "leads OR co-handles", and an OR
/// across two tables has no index: a clerk's default view and its counts read every open
/// case of the city (issue 15). Each scope has an index of its own, so each part is read
/// from its index and the parts are put together in Rust.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Everything,
    Leads(String),
    CoHandles(String),
    /// Co-handled and led by another department: with `Leads` of the same department, the
    /// two are disjoint, so their counts add up.
    CoHandlesOnly(String),
}

impl Scope {
    /// For a co-handled scope: the department, and whether the cases it leads are left out.
    fn co_handling(&self) -> Option<(&str, bool)> {
        match self {
            Scope::CoHandles(d) => Some((d, false)),
            Scope::CoHandlesOnly(d) => Some((d, true)),
            Scope::Everything | Scope::Leads(_) => None,
        }
    }

    /// The scope's cases in one of `states` (a co-handled case's state is also read from
    /// the department's own index).
    fn query(&self, states: &[ComplaintState]) -> ComplaintQuery {
        let all = complaints::table.into_boxed();
        match self {
            Scope::Everything => all,
            Scope::Leads(d) => all.filter(complaints::lead_department.eq(d.clone())),
            Scope::CoHandles(d) => {
                all.filter(complaints::id.eq_any(co_handled_by(d.clone(), states)))
            }
            Scope::CoHandlesOnly(d) => all
                .filter(complaints::id.eq_any(co_handled_by(d.clone(), states)))
                .filter(complaints::lead_department.ne(d.clone())),
        }
    }
}

/// Isolation (DESIGN §4, "Who may do what"): the office and administrators see every
/// complaint; everyone else only those their department leads or co-handles. Every query of
/// the queue starts here, so a filter can narrow this set but never widen it. The
/// department in focus (a member's own; the one the office picked) and how it stands to
/// the case choose the parts; an exact look-up keeps only the visible set.
fn scopes(viewer: &Viewer, filter: &QueueFilter) -> Vec<Scope> {
    let exact = filter.search.as_ref().is_some_and(Search::is_exact);
    let focus = match (viewer.role.sees_all(), exact) {
        (true, true) => None,
        (true, false) => filter.department.clone(),
        (false, _) => Some(viewer.department.clone()),
    };
    let involvement = if exact {
        Involvement::Either
    } else {
        filter.involvement
    };
    match focus {
        None => vec![Scope::Everything],
        Some(d) => match involvement {
            Involvement::Lead => vec![Scope::Leads(d)],
            Involvement::CoHandling => vec![Scope::CoHandles(d)],
            Involvement::Either => vec![Scope::Leads(d.clone()), Scope::CoHandlesOnly(d)],
        },
    }
}

type AwaitingDesignation = diesel::dsl::And<
    diesel::dsl::And<
        diesel::dsl::IsNotNull<complaints::returned_by>,
        diesel::dsl::Eq<complaints::designated, bool>,
    >,
    diesel::dsl::Eq<complaints::state, &'static str>,
>;

/// Returned to the office and not designated yet (`QueueRow::is_returned` in SQL): a case
/// is returned once, and the office's designation ends the wait.
fn awaiting_designation() -> AwaitingDesignation {
    complaints::returned_by
        .is_not_null()
        .and(complaints::designated.eq(false))
        .and(complaints::state.eq(ComplaintState::Assigned.as_str()))
}

/// How many returned cases wait for the office's designation (up to `COUNT_CAP + 1`).
pub fn count_returned(conn: &mut AnyConnection, viewer: &Viewer) -> Result<i64, DbError> {
    let waiting = QueueFilter {
        state: StateFilter::All,
        returned: true,
        ..QueueFilter::default()
    };
    let mut total = 0;
    for scope in scopes(viewer, &waiting) {
        let found: Vec<i32> = matching_in(conn, &scope, &waiting)
            .select(sql::<diesel::sql_types::Integer>("1"))
            .limit(COUNT_CAP + 1)
            .load(conn)?;
        total += found.len() as i64;
    }
    Ok(total.min(COUNT_CAP + 1))
}

type Condition = Box<dyn BoxableExpression<complaints::table, MultiBackend, SqlType = Bool>>;

/// `complaints.state IN (…)`. A co-handled part is read through its list of ids, but
/// SQLite, without statistics, would rather walk a state index through the whole city
/// looking for them (a second for the clerk of a department that co-handles nothing, issue
/// 15): there the state is compared as `+state`, which no index serves.
fn in_states(conn: &AnyConnection, scope: &Scope, states: &[ComplaintState]) -> Condition {
    let states: Vec<&'static str> = states.iter().map(|s| s.as_str()).collect();
    match (conn, scope) {
        (AnyConnection::Sqlite(_), Scope::CoHandles(_) | Scope::CoHandlesOnly(_)) => {
            Box::new(sql::<Text>("+complaints.state").eq_any(states))
        }
        _ => Box::new(complaints::state.eq_any(states)),
    }
}

/// One scope of the visible set narrowed by every filter (no order, no page). An exact
/// look-up narrows the visible set by itself alone.
fn matching_in(conn: &AnyConnection, scope: &Scope, filter: &QueueFilter) -> ComplaintQuery {
    if let Some(search) = filter.search.as_ref().filter(|s| s.is_exact()) {
        return with_search(conn, scope.query(ComplaintState::ALL), search);
    }
    let mut query = match filter.state {
        StateFilter::Open => scope
            .query(&OPEN_STATES)
            .filter(in_states(conn, scope, &OPEN_STATES)),
        StateFilter::All => scope.query(ComplaintState::ALL),
        StateFilter::Only(state) => scope
            .query(&[state])
            .filter(in_states(conn, scope, &[state])),
    };
    if let Some(kind) = filter.kind {
        query = query.filter(complaints::kind.eq(kind.as_str()));
    }
    if let Some(category) = &filter.category {
        query = query.filter(complaints::category_code.eq(category.clone()));
    }
    if let Some(district) = &filter.district {
        query = query.filter(complaints::district_code.eq(district.clone()));
    }
    if let Some(user) = &filter.assignee {
        query = query.filter(complaints::assignee.eq(user.clone()));
    }
    if let Some(day) = filter.due_before {
        query = query.filter(complaints::current_due.lt(day));
    }
    if filter.returned {
        query = query.filter(awaiting_designation());
    }
    if filter.escalated {
        // `DeadlineRow::is_escalated` in SQL: escalated, neither met nor superseded.
        query = query.filter(sql::<Bool>(
            "complaints.id IN (SELECT complaint_id FROM deadlines WHERE escalated_at IS NOT NULL \
             AND met_at IS NULL AND superseded_at IS NULL)",
        ));
    }
    if let Some(from) = filter.filed_from {
        query = query.filter(complaints::created_at.ge(from));
    }
    if let Some(before) = filter.filed_before {
        query = query.filter(complaints::created_at.lt(before));
    }
    match &filter.search {
        Some(search) => with_search(conn, query, search),
        None => query,
    }
}

/// Narrows `query` to the complaints a search finds. Free text goes through the backend's
/// own full-text index (DESIGN §6), the one place where the SQL differs by backend; the
/// match expression is a bound parameter, never part of the SQL text.
pub fn with_search(conn: &AnyConnection, query: ComplaintQuery, search: &Search) -> ComplaintQuery {
    match search {
        Search::TrackingCode(code) => {
            query.filter(complaints::tracking_code.eq(code.as_str().to_owned()))
        }
        Search::PublicId(id) => query.filter(complaints::public_id.eq(id.as_str().to_owned())),
        Search::CreditCode(code) => {
            query.filter(complaints::business_credit_code.eq(code.as_str().to_owned()))
        }
        // An anonymous reporter's contact is never searchable (none is stored for a phone,
        // but the rule should not rest on that).
        Search::Phone(phone) => query
            .filter(complaints::phone.eq(phone.as_str().to_owned()))
            .filter(complaints::anonymous.eq(false)),
        Search::Email(email) => query
            .filter(complaints::email.eq(email.as_str().to_owned()))
            .filter(complaints::anonymous.eq(false)),
        Search::Text(terms) => {
            let condition = match conn {
                AnyConnection::Sqlite(_) => sql::<Bool>(
                    "complaints.id IN (SELECT complaint_id FROM complaint_search \
                     WHERE complaint_search MATCH ",
                )
                .bind::<Text, _>(fts5_expression(terms))
                .sql(")"),
                // A cast, not to_tsquery: the lexemes are the stored terms as they are
                // (migration search_lexemes), never re-parsed by the database's locale.
                AnyConnection::Postgresql(_) => sql::<Bool>(
                    "complaints.id IN (SELECT complaint_id FROM complaint_search \
                     WHERE terms_tsv @@ CAST(",
                )
                .bind::<Text, _>(tsquery_expression(terms))
                .sql(" AS tsquery))"),
            };
            query.filter(condition)
        }
    }
}

/// An FTS5 query: each group a quoted phrase of its bigrams (a single character a quoted
/// prefix), groups ANDed. Everything the user typed ends up inside double quotes, where
/// FTS5 has no operators, so no input can change the query's structure.
pub fn fts5_expression(terms: &[QueryTerm]) -> String {
    let quote = |text: &str| format!("\"{}\"", text.replace('"', "\"\""));
    let groups: Vec<String> = terms
        .iter()
        .map(|term| match term {
            QueryTerm::Phrase(words) => quote(&words.join(" ")),
            QueryTerm::Prefix(start) => format!("{}*", quote(start)),
        })
        .collect();
    groups.join(" AND ")
}

/// A PostgreSQL `tsquery`, read by the type's own input (no text parser, no configuration):
/// each group its bigrams joined by `<->` (adjacent, in order), a single character a prefix
/// `:*`, groups ANDed. Every lexeme is single-quoted with quotes and backslashes escaped, so
/// no input is read as an operator.
pub fn tsquery_expression(terms: &[QueryTerm]) -> String {
    let quote = |text: &str| format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"));
    let groups: Vec<String> = terms
        .iter()
        .map(|term| match term {
            QueryTerm::Phrase(words) => {
                let words: Vec<String> = words.iter().map(|w| quote(w)).collect();
                format!("({})", words.join(" <-> "))
            }
            QueryTerm::Prefix(start) => format!("{}:*", quote(start)),
        })
        .collect();
    groups.join(" & ")
}

/// One page of the queue after `after` (the first page without it), at most `size` rows.
///
/// Keyset pagination: the next page starts where the last row's key left off, so a deep
/// page costs what the first one does. By deadline it reads in two runs, the dated cases
/// (in the order of the `current_due, id` indexes) and then the stopped clocks, rather than
/// one `ORDER BY current_due IS NULL` that no index can serve.
pub fn page(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    filter: &QueueFilter,
    after: Option<&PageKey>,
    size: i64,
) -> Result<QueuePage, DbError> {
    let order = filter.order(backend_of(conn));
    let after = after.filter(|key| key.order() == order);
    if let Some(terms) = hits_to_walk(conn, filter) {
        let before = match after {
            Some(PageKey::Hit { before }) => *before,
            _ => i64::MAX,
        };
        return page_of_hits(conn, viewer, filter, terms, before, size);
    }
    let wanted = size + 1;
    // Each scope's first rows after the key, then the first of them all: the scopes are
    // disjoint, so no row is shown twice.
    let mut rows: Vec<QueueRow> = Vec::new();
    for scope in scopes(viewer, filter) {
        rows.extend(first_rows(conn, &scope, filter, order, after, wanted)?);
    }
    rows.sort_by(|a, b| in_order(order, a, b));
    let has_more = rows.len() as i64 > size;
    rows.truncate(usize::try_from(size).unwrap_or(0));
    let next = if has_more {
        rows.last().map(|row| row.key(order))
    } else {
        None
    };
    Ok(QueuePage { rows, next })
}

/// The first `wanted` cases a department co-handles (`Scope::co_handling`) in the running
/// states of `state`, by deadline after `after`: read in deadline order from the
/// department's own rows' copy of each case (migration co_handled_state), then the cases
/// themselves by id. Through `id IN (…)` every open co-handled case was read and sorted
/// for each page (4,500 for public security at a million complaints).
fn first_co_handled(
    conn: &mut AnyConnection,
    co_handling: (&str, bool),
    state: StateFilter,
    after: Option<&PageKey>,
    wanted: i64,
) -> Result<Vec<QueueRow>, DbError> {
    let states: Vec<ComplaintState> = match state {
        StateFilter::Only(state) => vec![state],
        StateFilter::Open | StateFilter::All => OPEN_STATES.to_vec(),
    };
    let (dated_after, undated_after) = deadline_bounds(after);
    let mut ids: Vec<String> = Vec::new();
    if undated_after.is_none() {
        let mut dated = co_handling_rows(co_handling, &states)
            .filter(complaint_departments::case_due.is_not_null());
        if let Some((due, id)) = dated_after {
            dated = dated
                .filter(complaint_departments::case_due.ge(due))
                .filter(
                    complaint_departments::case_due
                        .gt(due)
                        .or(complaint_departments::case_due
                            .eq(due)
                            .and(complaint_departments::complaint_id.gt(id))),
                );
        }
        ids = dated
            .order((
                complaint_departments::case_due.asc(),
                complaint_departments::complaint_id.asc(),
            ))
            .select(complaint_departments::complaint_id)
            .limit(wanted)
            .load(conn)?;
    }
    let missing = wanted - ids.len() as i64;
    if missing > 0 {
        let mut undated = co_handling_rows(co_handling, &states)
            .filter(complaint_departments::case_due.is_null());
        if let Some(id) = undated_after {
            undated = undated.filter(complaint_departments::complaint_id.gt(id));
        }
        ids.extend(
            undated
                .order(complaint_departments::complaint_id.asc())
                .select(complaint_departments::complaint_id)
                .limit(missing)
                .load::<String>(conn)?,
        );
    }
    let mut found: HashMap<String, QueueRow> = complaints::table
        .filter(complaints::id.eq_any(ids.clone()))
        .select(QueueRow::as_select())
        .load::<QueueRow>(conn)?
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// The order of a page: by filing, newest first; by deadline, the earliest first and the
/// stopped clocks last; the id breaks ties (as in the SQL of `first_rows`).
fn in_order(order: Order, a: &QueueRow, b: &QueueRow) -> std::cmp::Ordering {
    match order {
        Order::ByDeadline => (a.current_due.is_none(), a.current_due, &a.id).cmp(&(
            b.current_due.is_none(),
            b.current_due,
            &b.id,
        )),
        Order::ByFiling | Order::ByHit => (b.created_at, &b.id).cmp(&(a.created_at, &a.id)),
    }
}

/// A department's co-handling rows whose copy of the case is in one of `states`
/// (`without_own_leads`: and led by another department), as `Scope::co_handling` names
/// them.
fn co_handling_rows(
    (department, without_own_leads): (&str, bool),
    states: &[ComplaintState],
) -> complaint_departments::BoxedQuery<'static, MultiBackend> {
    let states: Vec<&'static str> = states.iter().map(|s| s.as_str()).collect();
    let mut rows = complaint_departments::table
        .filter(complaint_departments::department_code.eq(department.to_owned()))
        .filter(complaint_departments::case_state.eq_any(states))
        .into_boxed();
    if without_own_leads {
        rows = rows.filter(complaint_departments::case_lead.ne(department.to_owned()));
    }
    rows
}

/// A deadline page key split by the run it continues: after a dated row, or after an
/// undated one (a key without a date is already among the stopped clocks: no dated run).
fn deadline_bounds(after: Option<&PageKey>) -> (Option<(NaiveDate, String)>, Option<String>) {
    match after {
        Some(PageKey::Deadline { due: Some(due), id }) => (Some((*due, id.clone())), None),
        Some(PageKey::Deadline { due: None, id }) => (None, Some(id.clone())),
        _ => (None, None),
    }
}

/// The first `wanted` rows of one scope after `after`, in the page's order.
fn first_rows(
    conn: &mut AnyConnection,
    scope: &Scope,
    filter: &QueueFilter,
    order: Order,
    after: Option<&PageKey>,
    wanted: i64,
) -> Result<Vec<QueueRow>, DbError> {
    if let (Some(co_handling), Order::ByDeadline) = (scope.co_handling(), order) {
        if narrows_by_state_only(filter) {
            return first_co_handled(conn, co_handling, filter.state, after, wanted);
        }
    }
    let mut rows: Vec<QueueRow> = Vec::new();
    match after {
        Some(PageKey::Filing { at, id }) => {
            let (at, id) = (*at, id.clone());
            // The first condition repeats what the second implies: without it SQLite 3.53
            // reads the OR as no bound on the index and walks it from the newest entry
            // (page 200 of a category took 11 ms against page 1's 0.5, issue 6).
            let query = matching_in(conn, scope, filter)
                .filter(complaints::created_at.le(at))
                .filter(
                    complaints::created_at
                        .lt(at)
                        .or(complaints::created_at.eq(at).and(complaints::id.lt(id))),
                );
            rows = newest_first(conn, query, filter)
                .then_order_by(complaints::id.desc())
                .limit(wanted)
                .select(QueueRow::as_select())
                .load(conn)?;
        }
        None if order == Order::ByFiling => {
            rows = newest_first(conn, matching_in(conn, scope, filter), filter)
                .then_order_by(complaints::id.desc())
                .limit(wanted)
                .select(QueueRow::as_select())
                .load(conn)?;
        }
        _ => {
            let (dated_after, undated_after) = deadline_bounds(after);
            if undated_after.is_none() {
                let mut dated =
                    matching_in(conn, scope, filter).filter(complaints::current_due.is_not_null());
                if let Some((due, id)) = dated_after {
                    // The bound first, for the index (as by filing date, above).
                    dated = dated.filter(complaints::current_due.ge(due)).filter(
                        complaints::current_due
                            .gt(due)
                            .or(complaints::current_due.eq(due).and(complaints::id.gt(id))),
                    );
                }
                rows = dated
                    .order((complaints::current_due.asc(), complaints::id.asc()))
                    .limit(wanted)
                    .select(QueueRow::as_select())
                    .load(conn)?;
            }
            let missing = wanted - rows.len() as i64;
            if missing > 0 {
                let mut undated =
                    matching_in(conn, scope, filter).filter(complaints::current_due.is_null());
                if let Some(id) = undated_after {
                    undated = undated.filter(complaints::id.gt(id));
                }
                let more: Vec<QueueRow> = undated
                    .order(complaints::id.asc())
                    .limit(missing)
                    .select(QueueRow::as_select())
                    .load(conn)?;
                rows.extend(more);
            }
        }
    }
    Ok(rows)
}

fn backend_of(conn: &AnyConnection) -> Backend {
    match conn {
        AnyConnection::Sqlite(_) => Backend::Sqlite,
        AnyConnection::Postgresql(_) => Backend::Postgres,
    }
}

/// The terms of a text search whose hits are walked in the index's order (`walk_hits`):
/// one on SQLite (`QueueFilter::order`).
fn hits_to_walk<'f>(conn: &AnyConnection, filter: &'f QueueFilter) -> Option<&'f [QueryTerm]> {
    match (filter.order(backend_of(conn)), &filter.search) {
        (Order::ByHit, Some(Search::Text(terms))) => Some(terms),
        _ => None,
    }
}

/// How many full-text hits one page, or one count, reads at most. A search that other
/// filters narrow to a few of its hits would otherwise read them all (tens of thousands for
/// a common word at a million complaints); past this a page ends early with a link to go on.
const HIT_BUDGET: usize = 4096;

/// How a walk through a text search's hits ended.
enum HitsEnd {
    /// Every hit was read.
    Exhausted,
    /// The visitor had enough.
    Stopped,
    /// `HIT_BUDGET` hits read; the rest are below this rowid.
    OutOfBudget { before: i64 },
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    complaint_id: String,
}

/// Walks a text search's hits below `before`, newest first, in chunks straight from the
/// FTS5 index (which reads its rowids in order and stops at the `LIMIT`), and hands `visit`
/// the id and state of each hit that passes `filter` (the visible set and every other
/// filter) until it answers `false`. Each chunk is sized from how many more hits the visitor
/// `wants` and how many of those read so far passed. Sorting every hit of a common word
/// before taking the first page took 300 ms at a million complaints (issue 6's benchmark).
fn walk_hits(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    filter: &QueueFilter,
    terms: &[QueryTerm],
    mut before: i64,
    wants: usize,
    mut visit: impl FnMut(i64, String, String) -> bool,
) -> Result<HitsEnd, DbError> {
    let expression = fts5_expression(terms);
    let others = QueueFilter {
        search: None,
        ..filter.clone()
    };
    let (mut read, mut passed) = (0usize, 0usize);
    loop {
        let missing = wants.saturating_sub(passed).max(1);
        let expected = missing * (read + 1) / (passed + 1);
        let chunk = (expected + expected / 8).clamp(64, 1024) as i64;
        let AnyConnection::Sqlite(sqlite) = &mut *conn else {
            unreachable!("the hit order is SQLite's alone (QueueFilter::order)");
        };
        let hits: Vec<Hit> = diesel::sql_query(
            "SELECT rowid AS seq, complaint_id FROM complaint_search \
             WHERE complaint_search MATCH ? AND rowid < ? ORDER BY rowid DESC LIMIT ?",
        )
        .bind::<Text, _>(&expression)
        .bind::<diesel::sql_types::BigInt, _>(before)
        .bind::<diesel::sql_types::BigInt, _>(chunk)
        .load(sqlite)?;
        let Some(last) = hits.last() else {
            return Ok(HitsEnd::Exhausted);
        };
        before = last.seq;
        read += hits.len();
        let ids: Vec<&str> = hits.iter().map(|h| h.complaint_id.as_str()).collect();
        let mut passing: HashMap<String, String> = HashMap::new();
        for scope in scopes(viewer, &others) {
            passing.extend(
                matching_in(conn, &scope, &others)
                    .filter(complaints::id.eq_any(ids.clone()))
                    .select((complaints::id, complaints::state))
                    .load::<(String, String)>(conn)?,
            );
        }
        for hit in &hits {
            if let Some(state) = passing.remove(&hit.complaint_id) {
                passed += 1;
                if !visit(hit.seq, hit.complaint_id.clone(), state) {
                    return Ok(HitsEnd::Stopped);
                }
            }
        }
        if (hits.len() as i64) < chunk {
            return Ok(HitsEnd::Exhausted);
        }
        if read >= HIT_BUDGET {
            return Ok(HitsEnd::OutOfBudget { before });
        }
    }
}

/// One page of a text search on SQLite, newest hit first (`walk_hits`).
fn page_of_hits(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    filter: &QueueFilter,
    terms: &[QueryTerm],
    before: i64,
    size: i64,
) -> Result<QueuePage, DbError> {
    let size = usize::try_from(size).unwrap_or(0);
    let mut hits: Vec<(i64, String)> = Vec::new();
    let end = walk_hits(
        conn,
        viewer,
        filter,
        terms,
        before,
        size + 1,
        |seq, id, _| {
            hits.push((seq, id));
            hits.len() <= size
        },
    )?;
    let next = if hits.len() > size {
        hits.truncate(size);
        hits.last().map(|(seq, _)| PageKey::Hit { before: *seq })
    } else {
        match end {
            HitsEnd::OutOfBudget { before } => Some(PageKey::Hit { before }),
            HitsEnd::Exhausted | HitsEnd::Stopped => None,
        }
    };
    let ids: Vec<&str> = hits.iter().map(|(_, id)| id.as_str()).collect();
    let mut found: HashMap<String, QueueRow> = complaints::table
        .filter(complaints::id.eq_any(ids))
        .select(QueueRow::as_select())
        .load::<QueueRow>(conn)?
        .into_iter()
        .map(|row| (row.id.clone(), row))
        .collect();
    let rows = hits.iter().filter_map(|(_, id)| found.remove(id)).collect();
    Ok(QueuePage { rows, next })
}

/// Newest filing first (the caller adds the id as the tie-break). A search finds few rows,
/// but SQLite's planner, without statistics, would rather walk the `created_at` index
/// backwards through the whole table looking for them (1.5 s for a phone number at a million
/// complaints, the benchmark of issue 6); the unary `+` takes the index out of the order, so
/// the search's own index leads and its hits are sorted.
fn newest_first(
    conn: &AnyConnection,
    query: ComplaintQuery,
    filter: &QueueFilter,
) -> ComplaintQuery {
    match conn {
        AnyConnection::Sqlite(_) if filter.search.is_some() => {
            query.order(sql::<diesel::sql_types::Timestamp>("+complaints.created_at").desc())
        }
        _ => query.order(complaints::created_at.desc()),
    }
}

/// Counts stop here; past it the page says "more than" (`count_by_state`).
pub const COUNT_CAP: i64 = 1000;

/// A text search on SQLite counts its newest hits up to here, each read from the table
/// (about 8 µs a hit at a million complaints); past it the counts are lower bounds.
pub const SEARCH_COUNT_CAP: i64 = 500;

/// How many visible complaints are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateCounts {
    pub by_state: HashMap<String, i64>,
    /// False when a text search counted only its newest `SEARCH_COUNT_CAP` hits (or `HIT_BUDGET`
    /// read): each number is then a lower bound.
    pub complete: bool,
}

impl StateCounts {
    pub fn get(&self, state: ComplaintState) -> i64 {
        self.by_state.get(state.as_str()).copied().unwrap_or(0)
    }
}

/// How many visible complaints are in each state, under every filter but the state one, so
/// that the counts say where the other cases of the same view are.
///
/// An exact count of a department's or a category's whole history reads every one of its
/// rows: 60–300 ms at a million complaints (the benchmark of issue 6), on every queue page,
/// to say how many hundred thousand cases are closed. So a broad view (a department, a
/// category, a district…) counts each state apart, each only up to `COUNT_CAP + 1`, from
/// the `(lead_department, state)` and `(state, category_code)` indexes. A narrow view (a
/// search, the overdue cases) is counted exactly in one pass: its own index finds its few
/// rows, and a per-state count would lead the planner to the state indexes instead.
pub fn count_by_state(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    filter: &QueueFilter,
) -> Result<StateCounts, DbError> {
    let all_states = QueueFilter {
        state: StateFilter::All,
        ..filter.clone()
    };
    if let Some(terms) = hits_to_walk(conn, filter) {
        return count_hits(conn, viewer, &all_states, terms);
    }
    if filter.search.is_some() {
        return newest_hits_counts(conn, viewer, &all_states);
    }
    if filter.due_before.is_some() {
        return Ok(StateCounts {
            by_state: exact_counts(conn, viewer, &all_states)?,
            complete: true,
        });
    }
    let mut counts = HashMap::new();
    for state in ComplaintState::ALL {
        let mut total = 0;
        for scope in scopes(viewer, &all_states) {
            let in_state = QueueFilter {
                state: StateFilter::Only(*state),
                ..all_states.clone()
            };
            // A department's co-handled cases in a state are counted from its own rows'
            // copy of each case alone: `id IN (…)` is built whole first (SQLite makes a
            // table of 66,000 ids for public security's closed co-handled cases).
            let found: Vec<i32> = match scope.co_handling() {
                Some(co_handling) if narrows_by_state_only(&in_state) => {
                    co_handling_rows(co_handling, &[*state])
                        .select(sql::<diesel::sql_types::Integer>("1"))
                        .limit(COUNT_CAP + 1)
                        .load(conn)?
                }
                _ => matching_in(conn, &scope, &in_state)
                    .select(sql::<diesel::sql_types::Integer>("1"))
                    .limit(COUNT_CAP + 1)
                    .load(conn)?,
            };
            total += found.len() as i64;
        }
        counts.insert(state.as_str().to_owned(), total.min(COUNT_CAP + 1));
    }
    Ok(StateCounts {
        by_state: counts,
        complete: true,
    })
}

/// Whether `filter` narrows the view by nothing but the state (and the department in
/// focus, which the scopes carry): a department's default view.
fn narrows_by_state_only(filter: &QueueFilter) -> bool {
    // Every field named, so that a new filter must be placed here.
    let QueueFilter {
        state: _,
        department: _,
        involvement: _,
        kind,
        category,
        district,
        assignee,
        due_before,
        filed_from,
        filed_before,
        search,
        escalated,
        returned,
    } = filter;
    kind.is_none()
        && category.is_none()
        && district.is_none()
        && assignee.is_none()
        && due_before.is_none()
        && filed_from.is_none()
        && filed_before.is_none()
        && search.is_none()
        && !escalated
        && !returned
}

/// A text search's counts on SQLite: its newest hits, up to `SEARCH_COUNT_CAP` of them.
fn count_hits(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    all_states: &QueueFilter,
    terms: &[QueryTerm],
) -> Result<StateCounts, DbError> {
    let mut by_state: HashMap<String, i64> = HashMap::new();
    let mut seen = 0;
    let cap = SEARCH_COUNT_CAP as usize;
    let end = walk_hits(
        conn,
        viewer,
        all_states,
        terms,
        i64::MAX,
        cap,
        |_, _, state| {
            *by_state.entry(state).or_default() += 1;
            seen += 1;
            seen < cap
        },
    )?;
    Ok(StateCounts {
        by_state,
        complete: matches!(end, HitsEnd::Exhausted),
    })
}

/// A search's counts where its hits are not walked one by one (PostgreSQL, an exact
/// look-up): the states of at most `SEARCH_COUNT_CAP` of its hits, so that a common word
/// never makes every queue page count every case it is in; past the cap each count is a
/// lower bound ("at least"). SQLite counts its newest hits, in filing order, keeping its
/// planner off the `created_at` index (`newest_first`); PostgreSQL counts the first hits
/// its index finds: the newest 500 of a common word meant walking the newest cases one by
/// one (40,000 probes of their terms for 奶粉 at a million complaints), for counts that are
/// lower bounds either way.
fn newest_hits_counts(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    all_states: &QueueFilter,
) -> Result<StateCounts, DbError> {
    let mut hits: Vec<(NaiveDateTime, String, String)> = Vec::new();
    for scope in scopes(viewer, all_states) {
        let query = match conn {
            AnyConnection::Postgresql(_) => matching_in(conn, &scope, all_states),
            AnyConnection::Sqlite(_) => {
                newest_first(conn, matching_in(conn, &scope, all_states), all_states)
                    .then_order_by(complaints::id.desc())
            }
        };
        hits.extend(
            query
                .select((complaints::created_at, complaints::id, complaints::state))
                .limit(SEARCH_COUNT_CAP + 1)
                .load::<(NaiveDateTime, String, String)>(conn)?,
        );
    }
    hits.sort_by(|a, b| (&b.0, &b.1).cmp(&(&a.0, &a.1)));
    let states: Vec<String> = hits
        .into_iter()
        .take(SEARCH_COUNT_CAP as usize + 1)
        .map(|(_, _, state)| state)
        .collect();
    let complete = states.len() as i64 <= SEARCH_COUNT_CAP;
    let mut by_state: HashMap<String, i64> = HashMap::new();
    for state in states.into_iter().take(SEARCH_COUNT_CAP as usize) {
        *by_state.entry(state).or_default() += 1;
    }
    Ok(StateCounts { by_state, complete })
}

/// Every state's count in one pass over the matching rows.
fn exact_counts(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    all_states: &QueueFilter,
) -> Result<HashMap<String, i64>, DbError> {
    use diesel::dsl::{case_when, count};
    use diesel::sql_types::Integer;
    use ComplaintState::*;
    // One conditional count per state: diesel cannot group a boxed query, and seven
    // separate counts would evaluate the filters (and a search) seven times.
    const STATES: [ComplaintState; 7] = [
        Assigned,
        Accepted,
        AwaitingInfo,
        Resolved,
        Closed,
        Rejected,
        Withdrawn,
    ];
    const _: () = assert!(
        ComplaintState::ALL.len() == STATES.len(),
        "a state is not counted"
    );
    let in_state = |state: ComplaintState| {
        count(case_when(
            complaints::state.eq(state.as_str()),
            1.into_sql::<Integer>(),
        ))
    };
    let mut totals = [0i64; STATES.len()];
    for scope in scopes(viewer, all_states) {
        let (a, b, c, d, e, f, g): (i64, i64, i64, i64, i64, i64, i64) =
            matching_in(conn, &scope, all_states)
                .select((
                    in_state(STATES[0]),
                    in_state(STATES[1]),
                    in_state(STATES[2]),
                    in_state(STATES[3]),
                    in_state(STATES[4]),
                    in_state(STATES[5]),
                    in_state(STATES[6]),
                ))
                .get_result(conn)?;
        for (total, n) in totals.iter_mut().zip([a, b, c, d, e, f, g]) {
            *total += n;
        }
    }
    Ok(STATES
        .iter()
        .map(|s| s.as_str().to_owned())
        .zip(totals)
        .collect())
}

/// User id → username, for the assignee column.
pub fn usernames(
    conn: &mut AnyConnection,
    ids: Vec<String>,
) -> Result<HashMap<String, String>, DbError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let names: Vec<(String, String)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::username))
        .load(conn)?;
    Ok(names.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::search::query_terms;

    #[test]
    fn fts5_expressions_quote_every_group() {
        assert_eq!(
            fts5_expression(&query_terms("电热水壶")),
            "\"电热 热水 水壶\""
        );
        assert_eq!(fts5_expression(&query_terms("电")), "\"电\"*");
        assert_eq!(
            fts5_expression(&query_terms("奶粉 过期 A")),
            "\"奶粉\" AND \"过期\" AND \"a\""
        );
        let hostile = [
            "\"",
            "a\" OR \"b",
            "NEAR(奶粉 过期)",
            "奶粉 AND OR NOT",
            "*",
            "(奶",
            "col:奶粉",
            "^奶粉",
            "奶粉'; DROP TABLE complaints; --",
        ];
        for text in hostile {
            let expression = fts5_expression(&query_terms(text));
            // Outside quotes only the ANDs and prefix stars we put there.
            let outside: String = expression
                .split('"')
                .step_by(2)
                .collect::<Vec<_>>()
                .join("");
            assert!(
                outside
                    .replace("AND", "")
                    .chars()
                    .all(|c| c == ' ' || c == '*'),
                "{text} → {expression}"
            );
        }
    }

    #[test]
    fn tsquery_expressions_quote_every_lexeme() {
        assert_eq!(
            tsquery_expression(&query_terms("电热水壶")),
            "('电热' <-> '热水' <-> '水壶')"
        );
        assert_eq!(tsquery_expression(&query_terms("电")), "'电':*");
        assert_eq!(
            tsquery_expression(&query_terms("奶粉 iPhone")),
            "('奶粉') & ('iphone')"
        );
        let quoted = tsquery_expression(&[QueryTerm::Phrase(vec!["it's\\".into()])]);
        assert_eq!(quoted, "('it''s\\\\')");
    }

    #[test]
    fn page_keys_round_trip_and_refuse_anything_else() {
        let id = "0193a2b4-7c1d-7e2f-8a3b-4c5d6e7f8a9b".to_owned();
        let keys = [
            PageKey::Deadline {
                due: NaiveDate::from_ymd_opt(2026, 12, 1),
                id: id.clone(),
            },
            PageKey::Deadline {
                due: None,
                id: id.clone(),
            },
            PageKey::Filing {
                at: NaiveDate::from_ymd_opt(2026, 11, 28)
                    .unwrap()
                    .and_hms_micro_opt(3, 4, 5, 123_456)
                    .unwrap(),
                id: id.clone(),
            },
            PageKey::Filing {
                at: NaiveDate::from_ymd_opt(2026, 11, 28)
                    .unwrap()
                    .and_hms_opt(3, 4, 5)
                    .unwrap(),
                id: id.clone(),
            },
            PageKey::Hit { before: 1 },
            PageKey::Hit { before: i64::MAX },
        ];
        for key in keys {
            assert_eq!(
                PageKey::parse(&key.encode()),
                Some(key.clone()),
                "{}",
                key.encode()
            );
        }
        for bad in [
            "",
            "due",
            "due.2026-13-01.0193a2b4-7c1d-7e2f-8a3b-4c5d6e7f8a9b",
            "due.2026-12-01.x' OR 1=1",
            "filed.yesterday.0193a2b4-7c1d-7e2f-8a3b-4c5d6e7f8a9b",
            "other.none.0193a2b4-7c1d-7e2f-8a3b-4c5d6e7f8a9b",
            "hit.",
            "hit.-5",
            "hit.+5",
            "hit.5x",
            "hit.99999999999999999999",
        ] {
            assert_eq!(PageKey::parse(bad), None, "{bad}");
        }
    }
}
