//! Businesses and the links between cases: find-or-create by key inside the caller's
//! transaction, the cases filed earlier about one business, and the hotspot counts.
//! Who may see what is decided in `services::businesses`, not here.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::Bool;
use diesel::IntoSql;

use super::schema::{
    businesses, complaint_departments, complaint_links, complaints, hotspot_window,
};
use super::{on_backend, AnyConnection, DbError, MultiBackend};
use crate::domain::business::BusinessKey;
use crate::domain::ids::ComplaintId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = businesses)]
pub struct BusinessRow {
    pub id: i64,
    pub credit_code: Option<String>,
    pub district_code: String,
    pub name_key: String,
    pub name: String,
    pub first_seen: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub merged_into: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = businesses)]
struct NewBusinessRow<'a> {
    credit_code: Option<&'a str>,
    district_code: &'a str,
    name_key: &'a str,
    name: &'a str,
    first_seen: NaiveDateTime,
    last_seen: NaiveDateTime,
}

/// Merge chains are short (a person merges two records at a time); this bounds a loop
/// that a damaged row could make endless.
const MAX_MERGE_HOPS: usize = 16;

fn find_by_key(conn: &mut AnyConnection, key: &BusinessKey) -> Result<Option<i64>, DbError> {
    let found = match key {
        BusinessKey::CreditCode(code) => businesses::table
            .filter(businesses::credit_code.eq(code))
            .select(businesses::id)
            .first::<i64>(conn)
            .optional()?,
        BusinessKey::Name { district, name_key } => {
            // A record without a code first; else a coded one of the same name there.
            businesses::table
                .filter(businesses::district_code.eq(district))
                .filter(businesses::name_key.eq(name_key))
                .order((businesses::credit_code.is_not_null(), businesses::id))
                .select(businesses::id)
                .first::<i64>(conn)
                .optional()?
        }
    };
    Ok(found)
}

/// The record that continues `id` (itself unless it was merged into another).
pub fn surviving(conn: &mut AnyConnection, mut id: i64) -> Result<i64, DbError> {
    for _ in 0..MAX_MERGE_HOPS {
        let next = businesses::table
            .find(id)
            .select(businesses::merged_into)
            .first::<Option<i64>>(conn)?;
        match next {
            Some(next) if next != id => id = next,
            _ => break,
        }
    }
    Ok(id)
}

/// The business of a filing at `at`, created when new; the name as written and the
/// first and last sightings follow the filing. Call inside a write transaction.
pub fn find_or_create(
    conn: &mut AnyConnection,
    key: &BusinessKey,
    district: &str,
    name_key: &str,
    name: &str,
    at: NaiveDateTime,
) -> Result<i64, DbError> {
    let found = match find_by_key(conn, key)? {
        Some(id) => Some(id),
        None => {
            let credit_code = match key {
                BusinessKey::CreditCode(code) => Some(code.as_str()),
                BusinessKey::Name { .. } => None,
            };
            let row = NewBusinessRow {
                credit_code,
                district_code: district,
                name_key,
                name,
                first_seen: at,
                last_seen: at,
            };
            // Another instance may create the same business at the same moment: its row
            // then stands, and this filing links to it (never refused over it).
            on_backend!(conn, |c| diesel::insert_into(businesses::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(c))?;
            find_by_key(conn, key)?
        }
    };
    let id = found.ok_or(DbError::Query(diesel::result::Error::NotFound))?;
    let id = surviving(conn, id)?;
    touch(conn, id, key, name_key, name, at)?;
    Ok(id)
}

/// Keeps the name as last written and the first and last sightings.
fn touch(
    conn: &mut AnyConnection,
    id: i64,
    key: &BusinessKey,
    name_key: &str,
    name: &str,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    let coded = matches!(key, BusinessKey::CreditCode(_));
    let later = diesel::update(
        businesses::table
            .find(id)
            .filter(businesses::last_seen.le(at)),
    );
    if coded {
        // A coded record's name key is only what it is called now.
        later
            .set((
                businesses::name.eq(name),
                businesses::name_key.eq(name_key),
                businesses::last_seen.eq(at),
            ))
            .execute(conn)?;
    } else {
        later
            .set((businesses::name.eq(name), businesses::last_seen.eq(at)))
            .execute(conn)?;
    }
    diesel::update(
        businesses::table
            .find(id)
            .filter(businesses::first_seen.gt(at)),
    )
    .set(businesses::first_seen.eq(at))
    .execute(conn)?;
    Ok(())
}

/// Links a case filed at `at` to `business` (from `before`, when it had one), keeping the
/// businesses' counts of the window (a case filed before the window's edge counts on none).
pub fn set_business(
    conn: &mut AnyConnection,
    complaint: &ComplaintId,
    at: NaiveDateTime,
    before: Option<i64>,
    business: i64,
) -> Result<(), DbError> {
    if before == Some(business) {
        return Ok(());
    }
    diesel::update(complaints::table.find(complaint))
        .set(complaints::business_id.eq(Some(business)))
        .execute(conn)?;
    if let Some(before) = before {
        add_recent(conn, before, at, -1)?;
    }
    add_recent(conn, business, at, 1)
}

/// Counts a new case, filed at `at` with `business` already on its row, in the business's
/// window count (`set_business` for a case that had another or none).
pub fn count_new_case(
    conn: &mut AnyConnection,
    business: i64,
    at: NaiveDateTime,
) -> Result<(), DbError> {
    add_recent(conn, business, at, 1)
}

/// Adds `n` to the window count of `business` for a case filed at `at`, if the window
/// covers it.
fn add_recent(
    conn: &mut AnyConnection,
    business: i64,
    at: NaiveDateTime,
    n: i64,
) -> Result<(), DbError> {
    let covered = hotspot_window::table
        .filter(hotspot_window::days.eq(KEPT_WINDOW_DAYS))
        .filter(hotspot_window::edge.le(at));
    diesel::update(
        businesses::table
            .find(business)
            .filter(diesel::dsl::exists(covered)),
    )
    .set(businesses::recent_count.eq(businesses::recent_count + n))
    .execute(conn)?;
    Ok(())
}

/// The window whose counts each business keeps: its cases filed since the edge, which the
/// sweeper keeps at most a minute or so behind `now - KEPT_WINDOW_DAYS`.
pub const KEPT_WINDOW_DAYS: i32 = 30;

/// How far the edge may lag the asked start for the kept counts to answer: the cases in
/// between are read and taken off, and after a long pause that is no cheaper than counting.
const MAX_EDGE_LAG: Duration = Duration::days(1);

/// The kept window's edge (`None` on a database without one).
pub fn window_edge(conn: &mut AnyConnection) -> Result<Option<NaiveDateTime>, DbError> {
    Ok(hotspot_window::table
        .find(KEPT_WINDOW_DAYS)
        .select(hotspot_window::edge)
        .first(conn)
        .optional()?)
}

/// Holds the window's row until the transaction ends, so that moving the edge and moving
/// cases between businesses (merge, rebuild) never interleave on PostgreSQL.
pub fn lock_window(conn: &mut AnyConnection) -> Result<(), DbError> {
    diesel::update(hotspot_window::table.find(KEPT_WINDOW_DAYS))
        .set(hotspot_window::edge.eq(hotspot_window::edge))
        .execute(conn)?;
    Ok(())
}

/// Cases filed in `[from, until)` per business.
fn filed_between(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<HashMap<i64, i64>, DbError> {
    use diesel::dsl::count_star;
    let rows: Vec<(Option<i64>, i64)> = complaints::table
        .filter(complaints::created_at.ge(from))
        .filter(complaints::created_at.lt(until))
        .filter(complaints::business_id.is_not_null())
        .group_by(complaints::business_id)
        .select((complaints::business_id, count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n)))
        .collect())
}

/// Moves the window's edge towards `now - KEPT_WINDOW_DAYS`, a day at most (a short
/// transaction after a long pause; call again while it answers `true`), and takes the
/// cases it passes off their businesses' counts. A pass of another instance that moved it
/// first leaves this one nothing to do.
pub fn advance_window(conn: &mut AnyConnection, now: NaiveDateTime) -> Result<bool, DbError> {
    let Some(edge) = window_edge(conn)? else {
        return Ok(false);
    };
    let target = now - Duration::days(i64::from(KEPT_WINDOW_DAYS));
    if target <= edge {
        return Ok(false);
    }
    let next = target.min(edge + MAX_EDGE_LAG);
    // The claim: a concurrent pass waits on this row, then finds the edge moved.
    let claimed = diesel::update(
        hotspot_window::table
            .find(KEPT_WINDOW_DAYS)
            .filter(hotspot_window::edge.eq(edge)),
    )
    .set(hotspot_window::edge.eq(next))
    .execute(conn)?;
    if claimed == 0 {
        return Ok(false);
    }
    for (business, n) in filed_between(conn, edge, next)? {
        diesel::update(businesses::table.find(business))
            .set(businesses::recent_count.eq(businesses::recent_count - n))
            .execute(conn)?;
    }
    Ok(true)
}

/// A case filed earlier about the same business and category, with its contact.
#[derive(Debug, Clone, Queryable)]
pub struct EarlierCase {
    pub id: ComplaintId,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The newest cases (at most `limit`) about `business` in `category` filed since `since`,
/// other than `except`.
pub fn earlier_cases(
    conn: &mut AnyConnection,
    business: i64,
    category: &str,
    since: NaiveDateTime,
    except: &ComplaintId,
    limit: i64,
) -> Result<Vec<EarlierCase>, DbError> {
    Ok(complaints::table
        .filter(complaints::business_id.eq(business))
        .filter(complaints::created_at.ge(since))
        .filter(complaints::category_code.eq(category))
        .filter(complaints::id.ne(except))
        .order(complaints::created_at.desc())
        .limit(limit)
        .select((complaints::id, complaints::phone, complaints::email))
        .load(conn)?)
}

/// Links two cases (from the later to the earlier); a pair already linked either way
/// keeps its first kind.
pub fn insert_link(
    conn: &mut AnyConnection,
    complaint: &ComplaintId,
    other: &ComplaintId,
    kind: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    if link_kind(conn, complaint, other)?.is_some() {
        return Ok(false);
    }
    diesel::insert_into(complaint_links::table)
        .values((
            complaint_links::complaint_id.eq(complaint),
            complaint_links::other_id.eq(other),
            complaint_links::kind.eq(kind),
            complaint_links::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Links a new case to earlier ones, `(other, kind)` each. Nothing can link to a case in
/// its own filing transaction, so no pair is checked first. A row per statement: the one
/// statement stays prepared (a statement of all the rows would be parsed every time).
pub fn insert_links_of_new_case(
    conn: &mut AnyConnection,
    complaint: &ComplaintId,
    others: &[(ComplaintId, &str)],
    at: NaiveDateTime,
) -> Result<(), DbError> {
    for (other, kind) in others {
        diesel::insert_into(complaint_links::table)
            .values((
                complaint_links::complaint_id.eq(complaint),
                complaint_links::other_id.eq(other),
                complaint_links::kind.eq(*kind),
                complaint_links::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Removes the link between two cases, whichever way it was written.
pub fn delete_link(
    conn: &mut AnyConnection,
    a: &ComplaintId,
    b: &ComplaintId,
) -> Result<usize, DbError> {
    let one = diesel::delete(
        complaint_links::table
            .filter(complaint_links::complaint_id.eq(a))
            .filter(complaint_links::other_id.eq(b)),
    )
    .execute(conn)?;
    let two = diesel::delete(
        complaint_links::table
            .filter(complaint_links::complaint_id.eq(b))
            .filter(complaint_links::other_id.eq(a)),
    )
    .execute(conn)?;
    Ok(one + two)
}

pub fn link_kind(
    conn: &mut AnyConnection,
    a: &ComplaintId,
    b: &ComplaintId,
) -> Result<Option<String>, DbError> {
    Ok(complaint_links::table
        .filter(
            complaint_links::complaint_id
                .eq(a)
                .and(complaint_links::other_id.eq(b))
                .or(complaint_links::complaint_id
                    .eq(b)
                    .and(complaint_links::other_id.eq(a))),
        )
        .select(complaint_links::kind)
        .first::<String>(conn)
        .optional()?)
}

/// Every case linked to `id`, either way, with the link's kind.
pub fn links_of(
    conn: &mut AnyConnection,
    id: &ComplaintId,
) -> Result<Vec<(ComplaintId, String)>, DbError> {
    let mut out: Vec<(ComplaintId, String)> = complaint_links::table
        .filter(complaint_links::complaint_id.eq(id))
        .select((complaint_links::other_id, complaint_links::kind))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(other, kind)| (ComplaintId::from(other), kind))
        .collect();
    out.extend(
        complaint_links::table
            .filter(complaint_links::other_id.eq(id))
            .select((complaint_links::complaint_id, complaint_links::kind))
            .load::<(String, String)>(conn)?
            .into_iter()
            .map(|(other, kind)| (ComplaintId::from(other), kind)),
    );
    Ok(out)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<BusinessRow>, DbError> {
    Ok(businesses::table
        .find(id)
        .select(BusinessRow::as_select())
        .first(conn)
        .optional()?)
}

/// One case of a business, as the hotspot and business pages count and list it.
#[derive(Debug, Clone, Queryable)]
pub struct BusinessCase {
    pub id: ComplaintId,
    pub public_id: String,
    pub business_id: Option<i64>,
    pub business_name: String,
    pub district_code: String,
    pub category_code: String,
    pub lead_department: String,
    pub state: String,
    pub created_at: NaiveDateTime,
}

type CaseColumns = (
    complaints::id,
    complaints::public_id,
    complaints::business_id,
    complaints::business_name,
    complaints::district_code,
    complaints::category_code,
    complaints::lead_department,
    complaints::state,
    complaints::created_at,
);

const CASE_COLUMNS: CaseColumns = (
    complaints::id,
    complaints::public_id,
    complaints::business_id,
    complaints::business_name,
    complaints::district_code,
    complaints::category_code,
    complaints::lead_department,
    complaints::state,
    complaints::created_at,
);

/// Which cases a reader counts: all, or those a department leads or co-handles.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Department(String),
}

type CaseCondition = Box<dyn BoxableExpression<complaints::table, MultiBackend, SqlType = Bool>>;

/// The cases a reader of businesses counts and lists: in the scope (every case, or those
/// a department leads or co-handles), the district and the category given. A condition,
/// not a boxed query, so that the counts can group by it.
fn cases_within(scope: &Scope, district: Option<&str>, category: Option<&str>) -> CaseCondition {
    let mut condition: CaseCondition = Box::new(true.into_sql::<Bool>());
    if let Some(district) = district {
        condition = Box::new(condition.and(complaints::district_code.eq(district.to_owned())));
    }
    if let Some(category) = category {
        condition = Box::new(condition.and(complaints::category_code.eq(category.to_owned())));
    }
    if let Scope::Department(code) = scope {
        condition = Box::new(
            condition.and(
                complaints::lead_department
                    .eq(code.clone())
                    .or(complaints::id.eq_any(
                        complaint_departments::table
                            .filter(complaint_departments::department_code.eq(code.clone()))
                            .select(complaint_departments::complaint_id),
                    )),
            ),
        );
    }
    condition
}

/// The businesses with at least `min` cases filed since `since` (in the scope, district
/// and category given), with the count of each: (business, count), most first.
pub fn hotspot_counts(
    conn: &mut AnyConnection,
    scope: &Scope,
    since: NaiveDateTime,
    min: i64,
    district: Option<&str>,
    category: Option<&str>,
    limit: i64,
) -> Result<Vec<(i64, i64)>, DbError> {
    use diesel::dsl::count_star;
    let rows: Vec<(Option<i64>, i64)> = complaints::table
        .filter(complaints::created_at.ge(since))
        .filter(complaints::business_id.is_not_null())
        .filter(cases_within(scope, district, category))
        .group_by(complaints::business_id)
        .having(count_star().ge(min))
        .select((complaints::business_id, count_star()))
        .order((count_star().desc(), complaints::business_id))
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n)))
        .collect())
}

/// What `hotspot_counts` answers, from the kept counts of the window: `None` when they
/// cannot answer it (the edge lags `since` by more than `MAX_EDGE_LAG`, or is past it).
/// Only for every case of every department and place (the office's view).
pub fn kept_hotspot_counts(
    conn: &mut AnyConnection,
    since: NaiveDateTime,
    min: i64,
    limit: i64,
) -> Result<Option<Vec<(i64, i64)>>, DbError> {
    let Some(edge) = window_edge(conn)? else {
        return Ok(None);
    };
    if edge > since || since - edge > MAX_EDGE_LAG {
        return Ok(None);
    }
    // The cases filed between the edge and `since` are still on the counts: taken off
    // here. They can only lower counts, so enough more rows are read to fill `limit`.
    let early = filed_between(conn, edge, since)?;
    let rows: Vec<(i64, i64)> = businesses::table
        .filter(businesses::merged_into.is_null())
        .filter(businesses::recent_count.ge(min))
        .order((businesses::recent_count.desc(), businesses::id))
        .limit(limit + early.len() as i64)
        .select((businesses::id, businesses::recent_count))
        .load(conn)?;
    let mut counts: Vec<(i64, i64)> = rows
        .into_iter()
        .map(|(id, n)| (id, n - early.get(&id).copied().unwrap_or(0)))
        .filter(|(_, n)| *n >= min)
        .collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts.truncate(limit.max(0) as usize);
    Ok(Some(counts))
}

/// One business's cases since the start of the window, by category and lead department.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct HotspotPart {
    pub business_id: Option<i64>,
    pub category_code: String,
    pub lead_department: String,
    pub count: i64,
    pub newest: Option<NaiveDateTime>,
}

/// The given businesses' cases filed since `since` (in the scope, district and category
/// given), counted by category and lead department.
pub fn hotspot_parts(
    conn: &mut AnyConnection,
    scope: &Scope,
    business_ids: &[i64],
    since: NaiveDateTime,
    district: Option<&str>,
    category: Option<&str>,
) -> Result<Vec<HotspotPart>, DbError> {
    use diesel::dsl::{count_star, max};
    Ok(complaints::table
        .filter(complaints::business_id.eq_any(business_ids.to_vec()))
        .filter(complaints::created_at.ge(since))
        .filter(cases_within(scope, district, category))
        .group_by((
            complaints::business_id,
            complaints::category_code,
            complaints::lead_department,
        ))
        .select((
            complaints::business_id,
            complaints::category_code,
            complaints::lead_department,
            count_star(),
            max(complaints::created_at),
        ))
        .load(conn)?)
}

/// The cases of the given businesses filed since `since` (in the scope, district and
/// category given), newest first.
pub fn cases_of(
    conn: &mut AnyConnection,
    scope: &Scope,
    business_ids: &[i64],
    since: Option<NaiveDateTime>,
    district: Option<&str>,
    category: Option<&str>,
) -> Result<Vec<BusinessCase>, DbError> {
    let mut query = complaints::table
        .filter(complaints::business_id.eq_any(business_ids.to_vec()))
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(complaints::created_at.ge(since));
    }
    query = query.filter(cases_within(scope, district, category));
    Ok(query
        .order(complaints::created_at.desc())
        .select(CASE_COLUMNS)
        .load(conn)?)
}

pub fn load_all(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<BusinessRow>, DbError> {
    Ok(businesses::table
        .filter(businesses::id.eq_any(ids.to_vec()))
        .select(BusinessRow::as_select())
        .load(conn)?)
}

/// The names a business's cases were filed under, with the first time each was used.
pub fn names_of(
    conn: &mut AnyConnection,
    business: i64,
) -> Result<Vec<(String, NaiveDateTime)>, DbError> {
    use diesel::dsl::min;
    let rows: Vec<(String, Option<NaiveDateTime>)> = complaints::table
        .filter(complaints::business_id.eq(business))
        .group_by(complaints::business_name)
        .select((complaints::business_name, min(complaints::created_at)))
        .load(conn)?;
    let mut names: Vec<(String, NaiveDateTime)> = rows
        .into_iter()
        .filter_map(|(name, at)| at.map(|at| (name, at)))
        .collect();
    names.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(names)
}

/// What `rebuild-businesses` reads of a case.
#[derive(Debug, Clone, Queryable)]
pub struct CaseBusiness {
    pub id: ComplaintId,
    pub district_code: String,
    pub business_name: String,
    pub credit_code: Option<String>,
    pub business_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// The next `limit` cases in filing order after `(at, id)`.
pub fn cases_after(
    conn: &mut AnyConnection,
    after: Option<(NaiveDateTime, ComplaintId)>,
    limit: i64,
) -> Result<Vec<CaseBusiness>, DbError> {
    let mut query = complaints::table.into_boxed();
    if let Some((at, id)) = after {
        // The bound stated outright as well: SQLite does not take the `OR` alone as one,
        // and each batch would walk the index from the oldest case.
        query = query.filter(complaints::created_at.ge(at)).filter(
            complaints::created_at
                .gt(at)
                .or(complaints::created_at.eq(at).and(complaints::id.gt(id))),
        );
    }
    Ok(query
        .order((complaints::created_at, complaints::id))
        .limit(limit)
        .select((
            complaints::id,
            complaints::district_code,
            complaints::business_name,
            complaints::business_credit_code,
            complaints::business_id,
            complaints::created_at,
        ))
        .load(conn)?)
}

/// Deletes the records no case points at and none was merged into (what a change of the
/// name rules leaves behind); returns how many are left that continue (not merged).
pub fn prune(conn: &mut AnyConnection) -> Result<i64, DbError> {
    use std::collections::HashSet;
    let used: HashSet<i64> = complaints::table
        .filter(complaints::business_id.is_not_null())
        .select(complaints::business_id.assume_not_null())
        .distinct()
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let targets: HashSet<i64> = businesses::table
        .filter(businesses::merged_into.is_not_null())
        .select(businesses::merged_into.assume_not_null())
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let continuing: Vec<i64> = businesses::table
        .filter(businesses::merged_into.is_null())
        .select(businesses::id)
        .load(conn)?;
    let orphans: Vec<i64> = continuing
        .iter()
        .copied()
        .filter(|id| !used.contains(id) && !targets.contains(id))
        .collect();
    for chunk in orphans.chunks(500) {
        diesel::delete(businesses::table.filter(businesses::id.eq_any(chunk.to_vec())))
            .execute(conn)?;
    }
    Ok((continuing.len() - orphans.len()) as i64)
}

/// Merges business `from` into `into`: its cases follow, and its record points at `into`.
pub fn merge(conn: &mut AnyConnection, from: i64, into: i64) -> Result<usize, DbError> {
    lock_window(conn)?;
    let recent: i64 = businesses::table
        .find(from)
        .select(businesses::recent_count)
        .first(conn)?;
    diesel::update(businesses::table.find(into))
        .set(businesses::recent_count.eq(businesses::recent_count + recent))
        .execute(conn)?;
    diesel::update(businesses::table.find(from))
        .set(businesses::recent_count.eq(0))
        .execute(conn)?;
    let moved = diesel::update(complaints::table.filter(complaints::business_id.eq(from)))
        .set(complaints::business_id.eq(Some(into)))
        .execute(conn)?;
    diesel::update(businesses::table.find(from))
        .set(businesses::merged_into.eq(Some(into)))
        .execute(conn)?;
    Ok(moved)
}
