//! `seed-demo`: realistic Chinese demo complaints written as history (DESIGN §7) — every
//! row a real filing writes plus the later steps, emails recorded as sent — in big batches.
//! `lifecycle` lives each case through the service's own rules, `corpus` holds the words,
//! `db::bulk` writes the rows.

mod corpus;
mod lifecycle;

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;

use crate::db::bulk::{self, SentEmailRow};
use crate::db::reference::ReferenceData;
use crate::db::users::{self, UserRow};
use crate::db::{AnyConnection, Database, DbError};
use crate::domain::access::Role;
use crate::domain::calendar::WorkCalendar;
use crate::domain::ids::{DepartmentCode, UserId};
use lifecycle::{Generator, SeededComplaint};

/// Complaints per write transaction. Tracking codes, submission ids and contacts are
/// random keys, so every batch rewrites pages all over their indexes (in the WAL, then again
/// at the checkpoint): bigger batches touch each page once for more rows. At 1,000 per batch
/// a million complaints wrote about 70 KB per complaint.
const BATCH: usize = 5_000;
/// How far back the history reaches.
const HISTORY_DAYS: i64 = 730;
/// Calendar days after a reply in which a rating counts (the service's default).
const RATING_WINDOW_DAYS: u32 = 15;

pub struct SeedOptions {
    pub complaints: u64,
    /// Same seed, same data (given an empty database and the same `now`).
    pub seed: u64,
    pub now: NaiveDateTime,
    pub base_url: String,
    /// Password of the demo staff accounts created on the first run.
    pub staff_password: String,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SeedReport {
    pub complaints: u64,
    pub events: u64,
    pub emails: u64,
    pub staff_created: usize,
    pub elapsed: Duration,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} complaints, {} events, {} emails (recorded as sent) in {:.1} s ({:.0} complaints/s)",
            self.complaints,
            self.events,
            self.emails,
            self.elapsed.as_secs_f64(),
            self.complaints as f64 / self.elapsed.as_secs_f64().max(1e-9)
        )
    }
}

/// The demo staff: one clerk per department and a coordinator of the office, so that the
/// history has people behind its steps and the queue can be tried at once.
pub fn clerk_username(department: &str) -> String {
    format!("demo-clerk-{department}")
}
pub const OFFICE_USERNAME: &str = "demo-office";

/// Writes `options.complaints` complaints; demo staff accounts are created first if absent.
pub fn seed_demo(db: &Database, options: &SeedOptions) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let reference = db
        .read_blocking(ReferenceData::load)
        .context("reading the reference data")?;
    let (staff, staff_created) = ensure_staff(db, &reference, &options.staff_password)?;
    let mut generator = Generator::new(&reference, staff, options, RATING_WINDOW_DAYS)?;

    // The writer takes one batch while the next is generated.
    let (batches, received) = mpsc::sync_channel::<Vec<SeededComplaint>>(1);
    let writer_db = db.clone();
    let calendar = reference.calendar.clone();
    let writer = std::thread::spawn(move || -> anyhow::Result<()> {
        let mut first = true;
        for batch in received {
            let tune = std::mem::take(&mut first);
            let calendar = calendar.clone();
            writer_db.write_blocking(move |conn| write_batch(conn, batch, tune, &calendar))?;
            writer_db.checkpoint_blocking()?;
        }
        Ok(())
    });
    let mut report = SeedReport {
        staff_created,
        ..SeedReport::default()
    };
    let mut batch = Vec::with_capacity(BATCH);
    for index in 0..options.complaints {
        let seeded = generator.complaint(index)?;
        report.complaints += 1;
        report.events += seeded.filing.events.len() as u64;
        report.emails += seeded.emails.len() as u64;
        batch.push(seeded);
        if batch.len() == BATCH {
            if batches
                .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                .is_err()
            {
                break;
            }
            if report.complaints % 100_000 < BATCH as u64 {
                tracing::info!(complaints = report.complaints, "seeding");
            }
        }
    }
    if !batch.is_empty() {
        let _ = batches.send(batch);
    }
    drop(batches);
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("the seeding writer panicked"))??;
    // The businesses of the new cases (the bulk rows carry none), as filing would link them.
    crate::services::businesses::rebuild(db, &reference).context("linking the businesses")?;
    report.elapsed = started.elapsed();
    Ok(report)
}

fn write_batch(
    conn: &mut AnyConnection,
    batch: Vec<SeededComplaint>,
    tune: bool,
    calendar: &WorkCalendar,
) -> Result<(), DbError> {
    if tune {
        if let AnyConnection::Sqlite(sqlite) = conn {
            // A bigger page cache for the writer of this process only: the random tracking
            // codes and contacts spread index inserts over the whole index.
            sqlite.batch_execute("PRAGMA cache_size = -262144;")?;
        }
    }
    let mut filings = Vec::with_capacity(batch.len());
    let mut emails = Vec::new();
    for seeded in batch {
        let id = seeded.filing.complaint.id.clone();
        emails.extend(
            seeded
                .emails
                .into_iter()
                .map(|(email, at)| SentEmailRow::sent(email.into_outbox_row(Some(&id), at))),
        );
        filings.push(seeded.filing);
    }
    bulk::insert_histories(conn, filings, emails, calendar)
}

/// The demo accounts by department code, plus the office's coordinator; returns how many
/// were created now.
fn ensure_staff(
    db: &Database,
    reference: &ReferenceData,
    password: &str,
) -> anyhow::Result<(Staff, usize)> {
    let office = reference
        .office()
        .map(|d| d.code.clone())
        .context("no coordination office")?;
    let mut wanted: Vec<(String, Role, String)> = reference
        .departments
        .iter()
        .map(|d| (clerk_username(&d.code), Role::Clerk, d.code.clone()))
        .collect();
    wanted.push((OFFICE_USERNAME.to_owned(), Role::Coordinator, office));
    let hash = crate::passwords::hash(password)?;
    let now = crate::services::now_utc();
    let (users, created) = db.write_blocking(move |conn| -> anyhow::Result<_> {
        let mut users = Vec::new();
        let mut created = 0;
        for (username, role, department) in wanted {
            let user = match users::find_by_username(conn, &username)? {
                Some(user) => user,
                None => {
                    let row = UserRow {
                        id: uuid::Uuid::now_v7().to_string().into(),
                        username,
                        password_hash: hash.clone(),
                        role,
                        department_code: department.into(),
                        email: None,
                        active: true,
                        created_at: now,
                    };
                    users::insert(conn, &row)?;
                    created += 1;
                    row
                }
            };
            users.push(user);
        }
        Ok((users, created))
    })?;
    let clerks = users
        .iter()
        .filter(|u| u.role == Role::Clerk)
        .map(|u| (u.department_code.clone(), u.id.clone()))
        .collect();
    Ok((Staff { clerks }, created))
}

struct Staff {
    /// Department code → the demo clerk's user id.
    clerks: HashMap<DepartmentCode, UserId>,
}

impl Staff {
    fn clerk(&self, department: &DepartmentCode) -> Option<UserId> {
        self.clerks.get(department).cloned()
    }
}
