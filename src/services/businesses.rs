//! Businesses behind the complaints: the link written in the filing transaction (with the
//! possible duplicates and related cases found there), `rebuild-businesses`, and the
//! hotspot and business pages with who may see what. Case changes stay in `services::case`.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDateTime};

pub use crate::db::businesses::Scope;
use crate::db::businesses::{self as db, BusinessCase, BusinessRow, HotspotPart};
use crate::db::complaints::ComplaintRow;
use crate::db::reference::ReferenceData;
use crate::db::{AnyConnection, Database, DbError};
use crate::domain::access::{Role, StaffMember};
use crate::domain::business::{BusinessKey, Contact};
use crate::domain::ids::ComplaintId;
use crate::services::ServiceError;

/// The city's own names, dropped from the start of a business name like a district's.
/// (The demo jurisdiction's city; the reference data holds districts only.)
pub const CITY_NAMES: &[&str] = &["上饶市", "上饒市", "上饶", "上饒"];

/// The link kinds, as stored and as the admin page marks them (`data-link`).
pub const POSSIBLE_DUPLICATE: &str = "possible_duplicate";
pub const RELATED: &str = "related";

/// How many earlier cases a filing links at most (the newest).
const MAX_LINKS_AT_FILING: i64 = 20;

/// The place names a business name may start with: the city, and every district in full
/// and without its last character (信州区, 信州).
pub fn places(reference: &ReferenceData) -> Vec<String> {
    let mut places: Vec<String> = CITY_NAMES.iter().map(|s| s.to_string()).collect();
    for d in &reference.districts {
        for name in [&d.name_zh_hans, &d.name_zh_hant] {
            places.push(name.clone());
            let chars: Vec<char> = name.chars().collect();
            if chars.len() > 2 {
                places.push(chars[..chars.len() - 1].iter().collect());
            }
        }
    }
    places
}

/// A filing's business: its key and name key, computed before the transaction.
#[derive(Debug, Clone)]
pub struct FilingBusiness {
    key: BusinessKey,
    name_key: String,
    window: Duration,
}

impl FilingBusiness {
    pub fn of(
        places: &[String],
        credit_code: Option<&str>,
        district: &str,
        name: &str,
        window_days: u32,
    ) -> FilingBusiness {
        FilingBusiness {
            key: BusinessKey::of(credit_code, district, name, places),
            name_key: crate::domain::business::name_key(name, places),
            window: Duration::days(i64::from(window_days)),
        }
    }
}

/// In the filing transaction, before the complaint row: finds or creates the filing's
/// business, whose id the row is inserted with (one write of the row, not an insert and an
/// update).
pub fn business_of_filing(
    conn: &mut AnyConnection,
    complaint: &ComplaintRow,
    business: &FilingBusiness,
) -> Result<i64, DbError> {
    db::find_or_create(
        conn,
        &business.key,
        &complaint.district_code,
        &business.name_key,
        &complaint.business_name,
        complaint.created_at,
    )
}

/// In the filing transaction, after the complaint row (inserted with `business_id`): counts
/// the case in its business's window, and links the earlier cases about the same business
/// and category within the window (`possible_duplicate` from the same contact, `related`
/// from anybody else). Nothing of this is told to the resident.
pub fn on_filing(
    conn: &mut AnyConnection,
    complaint: &ComplaintRow,
    business_id: i64,
    business: &FilingBusiness,
) -> Result<(), DbError> {
    db::count_new_case(conn, business_id, complaint.created_at)?;
    let contact = Contact::new(complaint.phone.as_deref(), complaint.email.as_deref());
    let earlier = db::earlier_cases(
        conn,
        business_id,
        &complaint.category_code,
        complaint.created_at - business.window,
        &complaint.id,
        MAX_LINKS_AT_FILING,
    )?;
    let links: Vec<(ComplaintId, &str)> = earlier
        .into_iter()
        .map(|case| {
            let kind =
                if contact.same_as(&Contact::new(case.phone.as_deref(), case.email.as_deref())) {
                    POSSIBLE_DUPLICATE
                } else {
                    RELATED
                };
            (case.id, kind)
        })
        .collect();
    db::insert_links_of_new_case(conn, &complaint.id, &links, complaint.created_at)
}

/// What `rebuild-businesses` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RebuildReport {
    pub businesses: i64,
    pub links_changed: u64,
}

impl std::fmt::Display for RebuildReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "businesses {}, links changed {}",
            self.businesses, self.links_changed
        )
    }
}

/// Cases per write transaction of a rebuild (the service keeps answering in between).
const REBUILD_BATCH: i64 = 2000;

/// Recomputes every case's business from its name, district and credit code under the
/// current rules, in filing order, and drops records nothing points at any more. A second
/// run changes nothing.
pub fn rebuild(db: &Database, reference: &ReferenceData) -> anyhow::Result<RebuildReport> {
    let places = places(reference);
    let mut report = RebuildReport::default();
    let mut after: Option<(NaiveDateTime, ComplaintId)> = None;
    loop {
        let places = places.clone();
        let cursor = after.clone();
        let (changed, last) = db.write_blocking(move |conn| -> Result<_, DbError> {
            db::lock_window(conn)?;
            let cases = db::cases_after(conn, cursor, REBUILD_BATCH)?;
            let mut changed = 0u64;
            for case in &cases {
                let business = FilingBusiness::of(
                    &places,
                    case.credit_code.as_deref(),
                    &case.district_code,
                    &case.business_name,
                    0,
                );
                let id = db::find_or_create(
                    conn,
                    &business.key,
                    &case.district_code,
                    &business.name_key,
                    &case.business_name,
                    case.created_at,
                )?;
                if case.business_id != Some(id) {
                    db::set_business(conn, &case.id, case.created_at, case.business_id, id)?;
                    changed += 1;
                }
            }
            Ok((changed, cases.last().map(|c| (c.created_at, c.id.clone()))))
        })?;
        report.links_changed += changed;
        db.checkpoint_blocking()?;
        match last {
            Some(last) => after = Some(last),
            None => break,
        }
    }
    report.businesses = db.write_blocking(db::prune)?;
    Ok(report)
}

/// Day steps a sweep pass takes at most (a service stopped for longer than a year catches
/// up over its next passes).
const MAX_WINDOW_STEPS: usize = 400;

/// Moves the hotspot window's edge up to `now` (part of each sweep pass).
pub async fn advance_window(db: &Database, now: NaiveDateTime) -> Result<(), ServiceError> {
    for _ in 0..MAX_WINDOW_STEPS {
        if !db.write(move |conn| db::advance_window(conn, now)).await? {
            break;
        }
    }
    Ok(())
}

/// Which cases a staff member counts on these pages: the office and admins all, anyone
/// else those of their department (lead or co-handling).
pub fn scope_of(member: &StaffMember) -> Scope {
    match member.role {
        Role::Coordinator | Role::Admin => Scope::All,
        Role::Clerk | Role::Supervisor => Scope::Department(member.department.to_string()),
    }
}

/// The filter of the hotspot page, checked.
#[derive(Debug, Clone)]
pub struct HotspotQuery {
    pub days: u32,
    pub min: u32,
    pub district: Option<String>,
    pub category: Option<String>,
}

/// One business on the hotspot page.
#[derive(Debug, Clone)]
pub struct Hotspot {
    pub business: BusinessRow,
    pub count: i64,
    /// (category code, count), most first.
    pub by_category: Vec<(String, i64)>,
    /// (department code, count), most first.
    pub by_department: Vec<(String, i64)>,
    pub newest: NaiveDateTime,
}

/// At most this many rows on the page: the businesses with the most cases; a narrower
/// filter or the CSV shows more.
pub const PAGE_HOTSPOTS: u32 = 100;
/// At most this many rows in the CSV.
pub const CSV_HOTSPOTS: u32 = 500;

pub async fn hotspots(
    db: &Database,
    member: &StaffMember,
    query: &HotspotQuery,
    now: NaiveDateTime,
    limit: u32,
) -> Result<Vec<Hotspot>, ServiceError> {
    let limit = i64::from(limit);
    let scope = scope_of(member);
    let since = now - Duration::days(i64::from(query.days));
    let query = query.clone();
    let rows = db
        .read(move |conn| {
            let min = i64::from(query.min.max(1));
            let everything = matches!(scope, Scope::All)
                && query.district.is_none()
                && query.category.is_none()
                && query.days == db::KEPT_WINDOW_DAYS as u32;
            let kept = if everything {
                db::kept_hotspot_counts(conn, since, min, limit)?
            } else {
                None
            };
            let counts = match kept {
                Some(counts) => counts,
                None => db::hotspot_counts(
                    conn,
                    &scope,
                    since,
                    min,
                    query.district.as_deref(),
                    query.category.as_deref(),
                    limit,
                )?,
            };
            let ids: Vec<i64> = counts.iter().map(|(id, _)| *id).collect();
            let businesses = db::load_all(conn, &ids)?;
            let parts = db::hotspot_parts(
                conn,
                &scope,
                &ids,
                since,
                query.district.as_deref(),
                query.category.as_deref(),
            )?;
            Ok((counts, businesses, parts))
        })
        .await?;
    let (counts, businesses, parts) = rows;
    let mut by_business: HashMap<i64, Vec<HotspotPart>> = HashMap::new();
    for part in parts {
        if let Some(id) = part.business_id {
            by_business.entry(id).or_default().push(part);
        }
    }
    let records: HashMap<i64, BusinessRow> = businesses.into_iter().map(|b| (b.id, b)).collect();
    Ok(counts
        .into_iter()
        .filter_map(|(id, count)| {
            let business = records.get(&id)?.clone();
            let parts = by_business.remove(&id).unwrap_or_default();
            let newest = parts.iter().filter_map(|p| p.newest).max()?;
            Some(Hotspot {
                business,
                count,
                by_category: tally(parts.iter().map(|p| (p.category_code.as_str(), p.count))),
                by_department: tally(parts.iter().map(|p| (p.lead_department.as_str(), p.count))),
                newest,
            })
        })
        .collect())
}

/// Adds up (key, count) pairs: most first, then by key.
fn tally<'a>(items: impl Iterator<Item = (&'a str, i64)>) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for (item, n) in items {
        *counts.entry(item).or_default() += n;
    }
    let mut out: Vec<(String, i64)> = counts.into_iter().map(|(k, n)| (k.to_owned(), n)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// A business as its page shows it to one staff member.
#[derive(Debug, Clone)]
pub struct BusinessView {
    pub business: BusinessRow,
    pub cases: Vec<BusinessCase>,
    /// The names its cases were filed under, with when each was first used.
    pub names: Vec<(String, NaiveDateTime)>,
    /// Whether this member may merge business records (the office and admins).
    pub may_merge: bool,
}

/// The page of business `id`: `NotFound` for a record that does not exist, was merged
/// away, or has no case the member may see.
pub async fn business(
    db: &Database,
    member: &StaffMember,
    id: i64,
) -> Result<BusinessView, ServiceError> {
    let scope = scope_of(member);
    let may_merge = matches!(scope, Scope::All);
    let found = db
        .read(move |conn| {
            let Some(business) = db::find(conn, id)? else {
                return Ok(None);
            };
            let cases = db::cases_of(conn, &scope, &[id], None, None, None)?;
            let names = if cases.is_empty() {
                Vec::new()
            } else {
                db::names_of(conn, id)?
            };
            Ok(Some((business, cases, names)))
        })
        .await?;
    let Some((business, cases, names)) = found else {
        return Err(ServiceError::NotFound);
    };
    if cases.is_empty() && !may_merge {
        return Err(ServiceError::NotFound);
    }
    // A clerk reads only the names of the cases it may see.
    let names = if may_merge {
        names
    } else {
        let seen: std::collections::HashSet<&str> =
            cases.iter().map(|c| c.business_name.as_str()).collect();
        names
            .into_iter()
            .filter(|(n, _)| seen.contains(n.as_str()))
            .collect()
    };
    Ok(BusinessView {
        business,
        cases,
        names,
        may_merge,
    })
}

/// Merges business record `from` into `into` (the office and admins), with a reason kept
/// in the audit log: every case of `from` then counts for `into`.
pub async fn merge(
    db: &Database,
    member: &StaffMember,
    from: i64,
    into: i64,
    reason: String,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    if !matches!(scope_of(member), Scope::All) {
        return Err(ServiceError::Forbidden);
    }
    let user = member.user_id.to_string();
    db.write(move |conn| -> Result<(), ServiceError> {
        let source = db::find(conn, from)?.ok_or(ServiceError::NotFound)?;
        if source.merged_into.is_some() {
            return Err(ServiceError::NotFound);
        }
        let target = db::find(conn, into)?;
        let target = match target {
            Some(t) if t.merged_into.is_none() && t.id != from => t,
            _ => {
                return Err(ServiceError::Argument(
                    crate::services::case::ArgumentProblem {
                        field: "into",
                        message_key: "business.merge.error.unknown",
                    },
                ))
            }
        };
        db::merge(conn, from, target.id)?;
        crate::db::manage::audit(
            conn,
            &crate::db::manage::Audit {
                at: now,
                user_id: Some(&user),
                entity: "business",
                entity_key: &from.to_string(),
                action: "merge",
                detail: format!("into {}: {reason}", target.id),
            },
        )?;
        Ok(())
    })
    .await
}

/// A case linked to another, as the viewer may see it.
#[derive(Debug, Clone)]
pub struct LinkedCase {
    pub row: ComplaintRow,
    pub kind: String,
}

/// The cases linked to `id` that `member` may see, oldest first (the others are left out
/// without a word: a clerk does not learn that a case it may not see exists).
pub async fn linked_cases(
    db: &Database,
    member: &StaffMember,
    id: &ComplaintId,
) -> Result<Vec<LinkedCase>, ServiceError> {
    let id = id.clone();
    let links = db.read(move |conn| db::links_of(conn, &id)).await?;
    let mut out = Vec::new();
    for (other, kind) in links {
        let Some(case) = crate::services::case::load(db, &other).await? else {
            continue;
        };
        if crate::domain::access::may_see(member.role, case.relation(&member.department)) {
            out.push(LinkedCase {
                row: case.row,
                kind,
            });
        }
    }
    out.sort_by_key(|link| link.row.created_at);
    Ok(out)
}
