//! The supervision bulletin of a period for someone who may see it: the facts read from
//! the database, counted by `domain::bulletin`, ranked, with the weekly trend.

use chrono::{NaiveDate, NaiveDateTime};

use super::ServiceError;
use crate::db::bulletin::{OwedRow, SumRow};
use crate::db::reference::ReferenceData;
use crate::db::{bulletin as queries, Database, DbError};
use crate::domain::access::{bulletin_view, BulletinView, StaffMember};
use crate::domain::bulletin::{
    add_owed_tasks, figures, figures_of_all, ranked, received_measure, Figures, Grouping, Owed,
    OwedTask, Period, TallySum, Weights,
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
        sum.joint_tasks.due += f.joint_tasks.due;
        sum.joint_tasks.kept += f.joint_tasks.kept;
        sum
    })
}

/// What a period's bulletin is counted from, read once (the digest counts several
/// bulletins from it): the day tallies of the period and of each of its weeks (without
/// the histograms: a week is only ever added up) added up by department and group key,
/// and the deadlines owed as of `today`.
#[derive(Debug, Clone)]
pub struct PeriodFacts {
    pub period: Period,
    pub grouping: Grouping,
    pub today: NaiveDate,
    pub weights: Weights,
    pub weights_changed_at: Option<NaiveDateTime>,
    pub sums: Vec<SumRow>,
    pub weeks: Vec<(Period, Vec<SumRow>)>,
    pub owed: Vec<OwedRow>,
    /// Joint-action tasks still owed (issue 13).
    pub owed_tasks: Vec<OwedTask>,
}

pub async fn period_facts(
    db: &Database,
    period: Period,
    grouping: Grouping,
    today: NaiveDate,
) -> Result<PeriodFacts, ServiceError> {
    let ((weights, weights_changed_at), sums, weeks, owed, owed_tasks) = db
        .read(move |conn| {
            let weeks = period
                .weeks()
                .into_iter()
                .map(|week| Ok((week, queries::counts(conn, Some(grouping), week)?)))
                .collect::<Result<Vec<_>, DbError>>()?;
            Ok((
                queries::weights(conn)?,
                queries::sums(conn, Some(grouping), period)?,
                weeks,
                queries::owed(conn, Some(grouping), today)?,
                crate::db::joint_actions::owed_tasks(conn, today)?,
            ))
        })
        .await?;
    Ok(PeriodFacts {
        period,
        grouping,
        today,
        weights,
        weights_changed_at,
        sums,
        weeks,
        owed,
        owed_tasks,
    })
}

/// The bulletin of the facts' period, of every department or of one.
pub fn assemble(
    reference: &ReferenceData,
    loaded: &PeriodFacts,
    department: Option<&str>,
) -> Bulletin {
    let grouping = loaded.grouping;
    let own = |of: &str| department.is_none_or(|d| d == of);
    let sums_of = |rows: &[SumRow]| -> Vec<TallySum> {
        rows.iter()
            .filter(|r| own(&r.department))
            .map(|r| r.sum.clone())
            .collect()
    };
    let owed: Vec<Owed> = loaded
        .owed
        .iter()
        .filter(|r| own(&r.department))
        .map(|r| r.owed.clone())
        .collect();
    let keys = group_keys(reference, grouping, department);
    let received = received_measure(grouping, department.is_some());
    let count = |span: Period, rows: &[SumRow]| {
        figures(&keys, received, span, loaded.today, &sums_of(rows), &owed)
    };
    let mut rows = count(loaded.period, &loaded.sums);
    if grouping == Grouping::Department {
        let owed_tasks: Vec<OwedTask> = loaded
            .owed_tasks
            .iter()
            .filter(|t| own(&t.department))
            .cloned()
            .collect();
        add_owed_tasks(&mut rows, loaded.period, loaded.today, &owed_tasks);
    }
    let (ranked_rows, unranked_rows) = ranked(&rows, &loaded.weights);
    let owned = |rows: Vec<(&str, &Figures)>| {
        rows.into_iter()
            .map(|(k, f)| (k.to_owned(), f.clone()))
            .collect()
    };
    let weeks = loaded
        .weeks
        .iter()
        .map(|(week, rows)| (*week, total(count(*week, rows).values())))
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
    let loaded = period_facts(db, request.period, request.grouping, today).await?;
    Ok(assemble(reference, &loaded, department.as_deref()))
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
    let months = period.months();
    type Read = (
        Vec<(Grouping, Vec<SumRow>, Vec<OwedRow>)>,
        Vec<SumRow>,
        Vec<OwedRow>,
        Vec<(Period, Vec<SumRow>)>,
    );
    let (by_grouping, city_sums, city_owed, by_month): Read = db
        .read(move |conn| {
            let by_grouping = Grouping::ALL
                .iter()
                .map(|&g| {
                    Ok((
                        g,
                        queries::sums(conn, Some(g), period)?,
                        queries::owed(conn, Some(g), today)?,
                    ))
                })
                .collect::<Result<Vec<_>, DbError>>()?;
            let by_month = months
                .into_iter()
                .map(|month| Ok((month, queries::sums(conn, None, month)?)))
                .collect::<Result<Vec<_>, DbError>>()?;
            Ok((
                by_grouping,
                queries::sums(conn, None, period)?,
                queries::owed(conn, None, today)?,
                by_month,
            ))
        })
        .await?;
    let plain = |rows: &[SumRow]| rows.iter().map(|r| r.sum.clone()).collect::<Vec<_>>();
    let city_owed: Vec<Owed> = city_owed.into_iter().map(|r| r.owed).collect();
    let groups: Vec<(Grouping, Vec<(String, Figures)>)> = by_grouping
        .into_iter()
        .map(|(grouping, sums, owed)| {
            let keys = group_keys(reference, grouping, None);
            let owed: Vec<Owed> = owed.into_iter().map(|r| r.owed).collect();
            let rows = figures(
                &keys,
                received_measure(grouping, false),
                period,
                today,
                &plain(&sums),
                &owed,
            );
            (grouping, rows.into_iter().collect())
        })
        .collect();
    let city = figures_of_all(period, today, &plain(&city_sums), &city_owed);
    let months = by_month
        .into_iter()
        .map(|(month, sums)| {
            (
                month,
                figures_of_all(month, today, &plain(&sums), &city_owed),
            )
        })
        .collect();
    Ok(PublicStats {
        period,
        city,
        groups,
        months,
    })
}
