//! The supervision bulletin of a period for someone who may see it: the facts read from
//! the database, counted by `domain::bulletin`, ranked, with the weekly trend.

use chrono::{NaiveDate, NaiveDateTime};

use super::ServiceError;
use crate::db::reference::ReferenceData;
use crate::db::{bulletin as queries, Database};
use crate::domain::access::{bulletin_view, BulletinView, StaffMember};
use crate::domain::bulletin::{
    figures, figures_of_all, ranked, CaseFact, DeadlineFact, Figures, Grouping, Period, Weights,
};

/// What a bulletin is asked for.
#[derive(Debug, Clone, Copy)]
pub struct BulletinRequest {
    pub period: Period,
    pub grouping: Grouping,
}

/// The bulletin as the page, the CSV and the digest show it.
#[derive(Debug, Clone)]
pub struct Bulletin {
    pub request: BulletinRequest,
    pub weights: Weights,
    /// When the weights were last changed (`None`: the defaults as shipped).
    pub weights_changed_at: Option<NaiveDateTime>,
    /// Rows with something due, by score, highest first.
    pub ranked: Vec<(String, Figures)>,
    /// Rows with nothing due in the period, listed after.
    pub unranked: Vec<(String, Figures)>,
    /// All rows together, week by week.
    pub weeks: Vec<(Period, Figures)>,
    /// Limited to one department (a supervisor's view).
    pub department: Option<String>,
}

/// The rows a grouping has: every active department, district or category.
fn group_keys(reference: &ReferenceData, grouping: Grouping, only: Option<&str>) -> Vec<String> {
    match (grouping, only) {
        (Grouping::Department, Some(department)) => vec![department.to_owned()],
        (Grouping::Department, None) => {
            active(reference.departments.iter().map(|d| (&d.code, d.active)))
        }
        (Grouping::District, _) => active(reference.districts.iter().map(|d| (&d.code, d.active))),
        (Grouping::Category, _) => active(reference.categories.iter().map(|c| (&c.code, c.active))),
    }
}

fn active<'a>(records: impl Iterator<Item = (&'a String, bool)>) -> Vec<String> {
    records
        .filter(|(_, on)| *on)
        .map(|(code, _)| code.clone())
        .collect()
}

/// Sums rows into one (the trend's points): counts add up, medians do not.
pub fn total<'a>(rows: impl Iterator<Item = &'a Figures>) -> Figures {
    rows.fold(Figures::default(), |mut sum, f| {
        sum.received += f.received;
        sum.accepted.due += f.accepted.due;
        sum.accepted.kept += f.accepted.kept;
        sum.finished.due += f.finished.due;
        sum.finished.kept += f.finished.kept;
        sum.overdue_now += f.overdue_now;
        sum.returns += f.returns;
        sum.upheld += f.upheld;
        sum.not_upheld += f.not_upheld;
        sum.escalations += f.escalations;
        sum.resolved += f.resolved;
        sum.reopened += f.reopened;
        sum.ratings += f.ratings;
        sum.rating_total += f.rating_total;
        sum
    })
}

/// What a period's bulletin is counted from, read once (the digest counts several
/// bulletins from it).
#[derive(Debug, Clone)]
pub struct PeriodFacts {
    pub period: Period,
    pub today: NaiveDate,
    pub weights: Weights,
    pub weights_changed_at: Option<NaiveDateTime>,
    pub deadlines: Vec<DeadlineFact>,
    pub facts: Vec<CaseFact>,
}

pub async fn period_facts(
    db: &Database,
    period: Period,
    today: NaiveDate,
) -> Result<PeriodFacts, ServiceError> {
    let ((weights, weights_changed_at), deadlines, facts) = db
        .read(move |conn| {
            Ok((
                queries::weights(conn)?,
                queries::deadline_facts(conn, period, today)?,
                queries::case_facts(conn, period)?,
            ))
        })
        .await?;
    Ok(PeriodFacts {
        period,
        today,
        weights,
        weights_changed_at,
        deadlines,
        facts,
    })
}

/// The bulletin of the facts' period, of every department or of one.
pub fn assemble(
    reference: &ReferenceData,
    loaded: &PeriodFacts,
    grouping: Grouping,
    department: Option<&str>,
) -> Bulletin {
    let own = |place_department: &str| department.is_none_or(|d| d == place_department);
    let deadlines: Vec<DeadlineFact> = loaded
        .deadlines
        .iter()
        .filter(|d| own(&d.place.department))
        .cloned()
        .collect();
    let facts: Vec<CaseFact> = loaded
        .facts
        .iter()
        .filter(|f| own(&f.place().department))
        .cloned()
        .collect();
    let keys = group_keys(reference, grouping, department);
    let count = |span: Period| {
        figures(
            grouping,
            &keys,
            span,
            loaded.today,
            &reference.calendar,
            &deadlines,
            &facts,
        )
    };
    let rows = count(loaded.period);
    let (ranked_rows, unranked_rows) = ranked(&rows, &loaded.weights);
    let owned = |rows: Vec<(&str, &Figures)>| {
        rows.into_iter()
            .map(|(k, f)| (k.to_owned(), f.clone()))
            .collect()
    };
    let weeks = loaded
        .period
        .weeks()
        .into_iter()
        .map(|week| (week, total(count(week).values())))
        .collect();
    Bulletin {
        request: BulletinRequest {
            period: loaded.period,
            grouping,
        },
        weights: loaded.weights,
        weights_changed_at: loaded.weights_changed_at,
        ranked: owned(ranked_rows),
        unranked: owned(unranked_rows),
        weeks,
        department: department.map(str::to_owned),
    }
}

/// The bulletin `member` may see, as of `today`: `Forbidden` for a clerk.
pub async fn bulletin(
    db: &Database,
    reference: &ReferenceData,
    member: &StaffMember,
    request: BulletinRequest,
    today: NaiveDate,
) -> Result<Bulletin, ServiceError> {
    let department = match bulletin_view(member.role).ok_or(ServiceError::Forbidden)? {
        BulletinView::Everything => None,
        BulletinView::OwnDepartment => Some(member.department.to_string()),
    };
    let loaded = period_facts(db, request.period, today).await?;
    Ok(assemble(
        reference,
        &loaded,
        request.grouping,
        department.as_deref(),
    ))
}

/// The weights in force and when they were last changed.
pub async fn weights(db: &Database) -> Result<(Weights, Option<NaiveDateTime>), ServiceError> {
    Ok(db.read(queries::weights).await?)
}

/// Administrators set the weights; the change is audited in its own transaction and
/// applies to every bulletin shown after it, whatever its period.
pub async fn set_weights(
    db: &Database,
    member: &StaffMember,
    weights: Weights,
    now: NaiveDateTime,
) -> Result<(), ServiceError> {
    if !crate::domain::access::may_manage(member.role) {
        return Err(ServiceError::Forbidden);
    }
    let user = member.user_id.to_string();
    db.write(move |conn| {
        let (before, _) = queries::weights(conn)?;
        queries::set_weights(conn, &weights, now)?;
        let list = |w: &Weights| {
            w.parts()
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        crate::db::manage::audit(
            conn,
            &crate::db::manage::Audit {
                at: now,
                user_id: Some(&user),
                entity: "assessment_weights",
                entity_key: "1",
                action: "update",
                detail: format!("{} → {}", list(&before), list(&weights)),
            },
        )?;
        Ok::<_, ServiceError>(())
    })
    .await
}

/// The public figures (`GET /stats`): the city and each department, category and district
/// over the last twelve months, and the city month by month. Counts only: no case, no
/// business, no person.
#[derive(Debug, Clone)]
pub struct PublicStats {
    pub period: Period,
    pub city: Figures,
    pub groups: Vec<(Grouping, Vec<(String, Figures)>)>,
    pub months: Vec<(Period, Figures)>,
}

pub async fn public_stats(
    db: &Database,
    reference: &ReferenceData,
    today: NaiveDate,
) -> Result<PublicStats, ServiceError> {
    let period = Period::last_twelve_months(today);
    let (deadlines, facts) = db
        .read(move |conn| {
            Ok((
                queries::deadline_facts(conn, period, today)?,
                queries::case_facts(conn, period)?,
            ))
        })
        .await?;
    let count = |grouping: Grouping, span: Period| {
        let keys = group_keys(reference, grouping, None);
        figures(
            grouping,
            &keys,
            span,
            today,
            &reference.calendar,
            &deadlines,
            &facts,
        )
    };
    let groups: Vec<(Grouping, Vec<(String, Figures)>)> = Grouping::ALL
        .iter()
        .map(|&grouping| (grouping, count(grouping, period).into_iter().collect()))
        .collect();
    let all = |span: Period| figures_of_all(span, today, &reference.calendar, &deadlines, &facts);
    let city = all(period);
    let months = period
        .months()
        .into_iter()
        .map(|month| (month, all(month)))
        .collect();
    Ok(PublicStats {
        period,
        city,
        groups,
        months,
    })
}
