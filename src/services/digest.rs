//! The weekly digest: from Monday 08:00 city time, one email per recipient and ISO week —
//! the coordination office's inbox and every supervisor with an address — however many
//! instances or `green-channel digest` commands try. The `digests_sent` row is written in
//! the transaction of the outbox row; a second writer finds it (or, racing on PostgreSQL,
//! hits its key) and sends nothing.

use chrono::{Datelike as _, Days, NaiveDate, NaiveDateTime, Timelike as _, Weekday};

use super::bulletin::{assemble, period_facts, Bulletin};
use super::ServiceError;
use crate::db::deadlines::DeadlineRow;
use crate::db::reference::{Named, ReferenceData};
use crate::db::{bulletin as queries, outbox, users, Database};
use crate::domain::bulletin::{Figures, Grouping, Period};
use crate::domain::calendar::city_time;
use crate::mail::messages::digest::{digest, Digest, DigestFigures, OverdueCase};
use crate::mail::OutgoingEmail;

/// The digest of a week goes from this hour of its Monday (city time).
pub const DIGEST_HOUR: u32 = 8;

/// How many lowest scores the office's digest lists.
const LOWEST: usize = 3;

/// The ISO week of a city date, as the digest's key: `2026-W49`.
pub fn iso_week(day: NaiveDate) -> String {
    let week = day.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// Whether the service sends the week's digest at `now`: on Monday from 08:00 city time.
/// A service that was down all Monday sends none that week (a fresh install on a Thursday
/// does not mail a digest of an empty week); `green-channel digest` sends it any day.
pub fn is_due(now: NaiveDateTime) -> bool {
    let city = city_time(now);
    city.weekday() == Weekday::Mon && city.hour() >= DIGEST_HOUR
}

fn shown(cell: Option<f64>, percent: bool) -> String {
    match (cell, percent) {
        (Some(v), true) => format!("{:.1}%", v * 100.0),
        (Some(v), false) => format!("{v:.1}"),
        (None, _) => "—".to_owned(),
    }
}

fn figures_of(name: String, f: &Figures, bulletin: &Bulletin) -> DigestFigures {
    DigestFigures {
        name,
        received: f.received.to_string(),
        accepted_on_time: shown(f.accepted.share(), true),
        finished_on_time: shown(f.finished.share(), true),
        overdue_now: f.overdue_now.to_string(),
        escalations: f.escalations.to_string(),
        score: shown(f.score(&bulletin.weights), false),
    }
}

fn department_name(reference: &ReferenceData, code: &str) -> String {
    reference.department(code).map_or_else(
        || code.to_owned(),
        |d| d.name(crate::i18n::Locale::ZhHans).to_owned(),
    )
}

/// Deadlines overdue now, of one department or all, escalated first, oldest first.
fn overdue(
    reference: &ReferenceData,
    records: &[DeadlineRow],
    department: Option<&str>,
) -> Vec<OverdueCase> {
    let mut cases: Vec<OverdueCase> = records
        .iter()
        .filter(|d| department.is_none_or(|own| d.department_code.as_str() == own))
        .map(|d| OverdueCase {
            complaint_id: d.complaint_id.to_string(),
            department: department_name(reference, d.department_code.as_str()),
            deadline: d.kind,
            due_on: d.due_on,
            escalated: d.escalated_at.is_some(),
        })
        .collect();
    cases.sort_by(|a, b| b.escalated.cmp(&a.escalated).then(a.due_on.cmp(&b.due_on)));
    cases
}

/// One digest to write: its recipient and message.
struct Outgoing {
    recipient: String,
    email: OutgoingEmail,
}

/// Sends the digests of the week `now` falls in that have not gone yet; returns how many
/// were written. `force` skips the Monday-08:00 rule (the `digest` command).
pub async fn send_digests(
    db: &Database,
    reference: &ReferenceData,
    base_url: &str,
    now: NaiveDateTime,
    force: bool,
) -> Result<u32, ServiceError> {
    if !force && !is_due(now) {
        return Ok(0);
    }
    let today = city_time(now).date();
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let week = iso_week(monday);
    let office = reference.office();
    let supervisors = db.read(users::all_supervisor_emails).await?;
    let mut recipients: Vec<String> = supervisors.iter().map(|(_, _, e)| e.clone()).collect();
    recipients.extend(office.map(|o| o.inbox_email.clone()));
    let already = {
        let (week, recipients) = (week.clone(), recipients.clone());
        db.read(move |conn| queries::digests_sent_of(conn, &week, recipients))
            .await?
    };
    let wanted = |recipient: &str| !already.iter().any(|r| r == recipient);
    if !recipients.iter().any(|r| wanted(r)) {
        return Ok(0);
    }

    let last_week = Period {
        from: monday - Days::new(7),
        to: monday - Days::new(1),
    };
    let loaded = period_facts(db, last_week, Grouping::Department, today).await?;
    let overdue_records = db
        .read(move |conn| crate::db::deadlines::overdue(conn, today))
        .await?;
    let mut outgoing = Vec::new();
    if let Some(office) = office.filter(|o| wanted(&o.inbox_email)) {
        let bulletin = assemble(reference, &loaded, None);
        let all: Figures = super::bulletin::total(
            bulletin
                .ranked
                .iter()
                .chain(&bulletin.unranked)
                .map(|(_, f)| f),
        );
        let mut lowest: Vec<&(String, Figures)> = bulletin.ranked.iter().collect();
        lowest.reverse();
        let message = Digest {
            week: week.clone(),
            from: last_week.from,
            to: last_week.to,
            department: None,
            addressee: office.name(crate::i18n::Locale::ZhHans).to_owned(),
            figures: vec![figures_of(
                crate::i18n::t(crate::i18n::Locale::ZhHans, "stats.city").to_owned(),
                &all,
                &bulletin,
            )],
            lowest: lowest
                .into_iter()
                .take(LOWEST)
                .map(|(code, f)| figures_of(department_name(reference, code), f, &bulletin))
                .collect(),
            overdue: overdue(reference, &overdue_records, None),
        };
        outgoing.push(Outgoing {
            recipient: office.inbox_email.clone(),
            email: digest(&message, office.inbox_email.clone(), base_url)?,
        });
    }
    for (department, username, email) in supervisors.iter().filter(|(_, _, e)| wanted(e)) {
        let code = department.to_string();
        let bulletin = assemble(reference, &loaded, Some(&code));
        let name = department_name(reference, &code);
        let figures = bulletin
            .ranked
            .iter()
            .chain(&bulletin.unranked)
            .map(|(_, f)| figures_of(name.clone(), f, &bulletin))
            .collect();
        let message = Digest {
            week: week.clone(),
            from: last_week.from,
            to: last_week.to,
            department: Some(name),
            addressee: username.clone(),
            figures,
            lowest: Vec::new(),
            overdue: overdue(reference, &overdue_records, Some(&code)),
        };
        outgoing.push(Outgoing {
            recipient: email.clone(),
            email: digest(&message, email.clone(), base_url)?,
        });
    }

    let mut sent = 0;
    for Outgoing { recipient, email } in outgoing {
        let week = week.clone();
        let written = db
            .write(move |conn| {
                if !queries::mark_digest_sent(conn, &recipient, &week, now)? {
                    return Ok(false);
                }
                outbox::insert(conn, &email.into_outbox_row(None, now))?;
                Ok::<_, crate::db::DbError>(true)
            })
            .await;
        match written {
            Ok(true) => sent += 1,
            Ok(false) => {}
            // Another instance wrote it between our look and our write (PostgreSQL).
            Err(error) if error.is_unique_violation() => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_week_and_the_hour() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(iso_week(day(11, 30)), "2026-W49");
        assert_eq!(iso_week(day(12, 6)), "2026-W49");
        assert_eq!(
            iso_week(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
            "2026-W53"
        );
        // Monday Nov 30, 2026: 07:59 city time is 23:59 UTC the day before.
        let utc = |d: NaiveDate, h, m| d.and_hms_opt(h, m, 0).unwrap();
        assert!(!is_due(utc(day(11, 29), 23, 59)));
        assert!(is_due(utc(day(11, 30), 0, 0)), "08:00 city time");
        assert!(is_due(utc(day(11, 30), 15, 59)), "23:59 city time");
        assert!(!is_due(utc(day(11, 30), 16, 0)), "Tuesday in the city");
        assert!(!is_due(utc(day(12, 3), 3, 0)));
    }
}
