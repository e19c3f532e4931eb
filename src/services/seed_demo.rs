//! `seed-demo`: realistic Chinese demo complaints written as history (DESIGN §7) — every
//! row a real filing writes plus the later steps, emails recorded as sent — in big batches.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::complaints::{CoHandlerRow, ComplaintRow, Filing, NewEventRow};
use crate::db::reference::ReferenceData;
use crate::db::users::{self, UserRow};
use crate::db::{AnyConnection, Database, DbError};
use crate::domain::calendar::{city_date, WorkCalendar};
use crate::domain::complaint::{ActorKind, ComplaintKind, ComplaintState, EventKind, Outcome};
use crate::domain::fields::{CreditCode, Phone};
use crate::domain::routing::route;
use crate::domain::search::index_terms;
use crate::domain::tracking_code::TrackingCode;
use crate::i18n::Locale;
use crate::mail::messages::{CaseContext, CaseUpdate, DepartmentNotice};
use crate::mail::OutgoingEmail;

/// Complaints per write transaction. Tracking codes, submission ids and contacts are
/// random keys, so every batch rewrites pages all over their indexes (in the WAL, then again
/// at the checkpoint): bigger batches touch each page once for more rows. At 1,000 per batch
/// a million complaints wrote about 70 KB per complaint.
const BATCH: usize = 5_000;
/// How far back the history reaches.
const HISTORY_DAYS: i64 = 730;
/// Calendar days after a reply in which a rating counts (the service's default).
const RATING_WINDOW_DAYS: i64 = 15;

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

/// An email as the history left it: handed over once, at the moment it was written.
struct SentEmailRow {
    complaint_id: Option<String>,
    recipient: String,
    recipient_kind: String,
    template: String,
    locale: String,
    subject: String,
    text_body: String,
    html_body: String,
    state: String,
    attempts: i32,
    due_at: NaiveDateTime,
    created_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
    last_attempt_at: Option<NaiveDateTime>,
}

impl SentEmailRow {
    fn from(email: OutgoingEmail, complaint_id: &str, at: NaiveDateTime) -> SentEmailRow {
        // A few seconds later, as the worker would have sent it.
        let sent = at + TimeDelta::seconds(2);
        SentEmailRow {
            complaint_id: Some(complaint_id.to_owned()),
            recipient: email.recipient,
            recipient_kind: email.recipient_kind.as_str().to_owned(),
            template: email.template.to_owned(),
            locale: email.locale.tag().to_owned(),
            subject: email.subject,
            text_body: email.text_body,
            html_body: email.html_body,
            state: crate::db::outbox::SENT.to_owned(),
            attempts: 1,
            due_at: at,
            created_at: at,
            sent_at: Some(sent),
            last_attempt_at: Some(sent),
        }
    }
}

struct SeededComplaint {
    filing: Filing,
    emails: Vec<SentEmailRow>,
}

/// Writes `options.complaints` complaints; demo staff accounts are created first if absent.
pub fn seed_demo(db: &Database, options: &SeedOptions) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    let reference = db
        .read_blocking(ReferenceData::load)
        .context("reading the reference data")?;
    let (staff, staff_created) = ensure_staff(db, &reference, &options.staff_password)?;
    let mut generator = Generator::new(&reference, staff, options)?;

    // The writer takes one batch while the next is generated.
    let (batches, received) = mpsc::sync_channel::<Vec<SeededComplaint>>(1);
    let writer_db = db.clone();
    let writer = std::thread::spawn(move || -> anyhow::Result<()> {
        let mut first = true;
        for batch in received {
            let tune = std::mem::take(&mut first);
            writer_db.write_blocking(move |conn| write_batch(conn, batch, tune))?;
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
    report.elapsed = started.elapsed();
    Ok(report)
}

fn write_batch(
    conn: &mut AnyConnection,
    batch: Vec<SeededComplaint>,
    tune: bool,
) -> Result<(), DbError> {
    if tune {
        if let AnyConnection::Sqlite(sqlite) = conn {
            // A bigger page cache for the writer of this process only: the random tracking
            // codes and contacts spread index inserts over the whole index.
            sqlite.batch_execute("PRAGMA cache_size = -262144;")?;
        }
    }
    let mut complaints = Vec::with_capacity(batch.len());
    let mut co_handlers = Vec::new();
    let mut events = Vec::new();
    let mut search = Vec::with_capacity(batch.len());
    let mut emails = Vec::new();
    for seeded in batch {
        let filing = seeded.filing;
        search.push(vec![
            Value::Text(filing.complaint.id.clone()),
            Value::Text(filing.search_terms),
        ]);
        complaints.push(complaint_values(filing.complaint));
        co_handlers.extend(filing.co_handlers.into_iter().map(|c| {
            vec![
                Value::Text(c.complaint_id),
                Value::Text(c.department_code),
                Value::Timestamp(c.added_at),
                Value::Date(c.opinion_due),
            ]
        }));
        events.extend(filing.events.into_iter().map(event_values));
        emails.extend(seeded.emails.into_iter().map(email_values));
    }
    insert_rows(conn, "complaints", COMPLAINT_COLUMNS, complaints)?;
    insert_rows(
        conn,
        "complaint_departments",
        &["complaint_id", "department_code", "added_at", "opinion_due"],
        co_handlers,
    )?;
    insert_rows(conn, "events", EVENT_COLUMNS, events)?;
    insert_rows(conn, "complaint_search", &["complaint_id", "terms"], search)?;
    insert_rows(conn, "outbox", EMAIL_COLUMNS, emails)?;
    Ok(())
}

/// One bound value of a multi-row `INSERT`.
enum Value {
    Text(String),
    NullableText(Option<String>),
    BigInt(Option<i64>),
    Integer(i32),
    NullableInteger(Option<i32>),
    Bool(bool),
    Date(NaiveDate),
    NullableDate(Option<NaiveDate>),
    Timestamp(NaiveDateTime),
    NullableTimestamp(Option<NaiveDateTime>),
}

/// Binds one chunk's values in order and runs it, on the backend's own connection.
macro_rules! run_chunk {
    ($conn:expr, $backend:ty, $sql:expr, $values:expr) => {{
        use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};
        let mut query = diesel::sql_query($sql).into_boxed::<$backend>();
        for value in $values {
            query = match value {
                Value::Text(v) => query.bind::<Text, _>(v),
                Value::NullableText(v) => query.bind::<Nullable<Text>, _>(v),
                Value::BigInt(v) => query.bind::<Nullable<BigInt>, _>(v),
                Value::Integer(v) => query.bind::<Integer, _>(v),
                Value::NullableInteger(v) => query.bind::<Nullable<Integer>, _>(v),
                Value::Bool(v) => query.bind::<Bool, _>(v),
                Value::Date(v) => query.bind::<Date, _>(v),
                Value::NullableDate(v) => query.bind::<Nullable<Date>, _>(v),
                Value::Timestamp(v) => query.bind::<Timestamp, _>(v),
                Value::NullableTimestamp(v) => query.bind::<Nullable<Timestamp>, _>(v),
            };
        }
        query.execute($conn)
    }};
}

/// Rows in multi-row `INSERT`s: diesel's batch insert does not compile through
/// `MultiConnection` (STACK §3), and one statement per row spends most of its time building
/// SQL. Placeholders differ by backend, hence the `match`.
fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), DbError> {
    // Well under both backends' limits on bound parameters (SQLite 32766, PostgreSQL 65535).
    const MAX_BINDS: usize = 16_000;
    let per_statement = (MAX_BINDS / columns.len()).clamp(1, 500);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let postgres = matches!(conn, AnyConnection::Postgresql(_));
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..row.len() {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                if postgres {
                    sql.push_str(&format!("${n}"));
                } else {
                    sql.push('?');
                }
            }
            sql.push(')');
        }
        let values = chunk.into_iter().flatten();
        match conn {
            AnyConnection::Sqlite(c) => run_chunk!(c, diesel::sqlite::Sqlite, sql, values)?,
            AnyConnection::Postgresql(c) => run_chunk!(c, diesel::pg::Pg, sql, values)?,
        };
    }
    Ok(())
}

const COMPLAINT_COLUMNS: &[&str] = &[
    "id",
    "tracking_code",
    "submission_id",
    "kind",
    "channel",
    "category_code",
    "district_code",
    "business_name",
    "business_address",
    "business_credit_code",
    "product",
    "incident_date",
    "description",
    "demand",
    "complainant_name",
    "phone",
    "email",
    "anonymous",
    "locale",
    "state",
    "lead_department",
    "routing_rule_id",
    "accept_due",
    "finish_due",
    "version",
    "created_at",
    "updated_at",
    "assignee",
    "designated",
    "returned_by",
    "paused_since",
    "info_requested_at",
    "accepted_at",
    "resolved_at",
    "outcome",
    "reopen_count",
    "flagged_to_office",
    "rating_score",
    "rating_comment",
    "rated_at",
    "current_due",
];

fn complaint_values(c: ComplaintRow) -> Vec<Value> {
    use Value::*;
    vec![
        Text(c.id),
        Text(c.tracking_code),
        NullableText(c.submission_id),
        Text(c.kind),
        Text(c.channel),
        Text(c.category_code),
        Text(c.district_code),
        Text(c.business_name),
        Text(c.business_address),
        NullableText(c.business_credit_code),
        NullableText(c.product),
        NullableDate(c.incident_date),
        Text(c.description),
        NullableText(c.demand),
        NullableText(c.complainant_name),
        NullableText(c.phone),
        NullableText(c.email),
        Bool(c.anonymous),
        Text(c.locale),
        Text(c.state),
        Text(c.lead_department),
        BigInt(c.routing_rule_id),
        Date(c.accept_due),
        NullableDate(c.finish_due),
        Integer(c.version),
        Timestamp(c.created_at),
        Timestamp(c.updated_at),
        NullableText(c.assignee),
        Bool(c.designated),
        NullableText(c.returned_by),
        NullableTimestamp(c.paused_since),
        NullableTimestamp(c.info_requested_at),
        NullableTimestamp(c.accepted_at),
        NullableTimestamp(c.resolved_at),
        NullableText(c.outcome),
        Integer(c.reopen_count),
        Bool(c.flagged_to_office),
        NullableInteger(c.rating_score),
        NullableText(c.rating_comment),
        NullableTimestamp(c.rated_at),
        NullableDate(c.current_due),
    ]
}

const EVENT_COLUMNS: &[&str] = &[
    "complaint_id",
    "at",
    "actor_kind",
    "actor_user",
    "kind",
    "from_state",
    "to_state",
    "department_code",
    "public_message",
    "internal_note",
    "is_opinion",
];

fn event_values(e: NewEventRow) -> Vec<Value> {
    use Value::*;
    vec![
        Text(e.complaint_id),
        Timestamp(e.at),
        Text(e.actor_kind),
        NullableText(e.actor_user),
        Text(e.kind),
        NullableText(e.from_state),
        NullableText(e.to_state),
        NullableText(e.department_code),
        NullableText(e.public_message),
        NullableText(e.internal_note),
        Bool(e.is_opinion),
    ]
}

const EMAIL_COLUMNS: &[&str] = &[
    "complaint_id",
    "recipient",
    "recipient_kind",
    "template",
    "locale",
    "subject",
    "text_body",
    "html_body",
    "state",
    "attempts",
    "due_at",
    "created_at",
    "sent_at",
    "last_attempt_at",
];

fn email_values(e: SentEmailRow) -> Vec<Value> {
    use Value::*;
    vec![
        NullableText(e.complaint_id),
        Text(e.recipient),
        Text(e.recipient_kind),
        Text(e.template),
        Text(e.locale),
        Text(e.subject),
        Text(e.text_body),
        Text(e.html_body),
        Text(e.state),
        Integer(e.attempts),
        Timestamp(e.due_at),
        Timestamp(e.created_at),
        NullableTimestamp(e.sent_at),
        NullableTimestamp(e.last_attempt_at),
    ]
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
    let mut wanted: Vec<(String, &'static str, String)> = reference
        .departments
        .iter()
        .map(|d| (clerk_username(&d.code), "clerk", d.code.clone()))
        .collect();
    wanted.push((OFFICE_USERNAME.to_owned(), "coordinator", office));
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
                        id: uuid::Uuid::now_v7().to_string(),
                        username,
                        password_hash: hash.clone(),
                        role: role.to_owned(),
                        department_code: department,
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
        .filter(|u| u.role == "clerk")
        .map(|u| (u.department_code.clone(), u.id.clone()))
        .collect();
    Ok((Staff { clerks }, created))
}

struct Staff {
    /// Department code → the demo clerk's user id.
    clerks: std::collections::HashMap<String, String>,
}

impl Staff {
    fn clerk(&self, department: &str) -> Option<String> {
        self.clerks.get(department).cloned()
    }
}

struct Generator<'a> {
    reference: &'a ReferenceData,
    staff: Staff,
    rng: StdRng,
    office: String,
    base_url: String,
    now: NaiveDateTime,
    today: NaiveDate,
    first_day: NaiveDate,
    total: u64,
    categories: Vec<(&'static CategoryText, u32)>,
    districts: Vec<(String, String, u32)>,
    district_weights: Vec<(usize, u32)>,
}

impl<'a> Generator<'a> {
    fn new(
        reference: &'a ReferenceData,
        staff: Staff,
        options: &SeedOptions,
    ) -> anyhow::Result<Generator<'a>> {
        let office = reference
            .office()
            .map(|d| d.code.clone())
            .context("no coordination office")?;
        // Only categories and districts the service knows and takes; weights by how often
        // each comes up in a city's complaints.
        let categories: Vec<(&'static CategoryText, u32)> = CATEGORY_TEXTS
            .iter()
            .filter(|c| reference.category(c.code).is_some_and(|r| r.active))
            .map(|c| (c, c.weight))
            .collect();
        anyhow::ensure!(
            !categories.is_empty(),
            "none of the demo categories is active; seed-demo needs the demo jurisdiction"
        );
        let districts: Vec<(String, String, u32)> = reference
            .districts
            .iter()
            .filter(|d| d.active)
            .enumerate()
            .map(|(i, d)| {
                // The city's own district is the busiest.
                let weight = if i == 0 { 4 } else { 2 + (i as u32 % 3) };
                (d.code.clone(), d.name_zh_hans.clone(), weight)
            })
            .collect();
        anyhow::ensure!(!districts.is_empty(), "no active district");
        let district_weights = districts
            .iter()
            .enumerate()
            .map(|(i, (_, _, w))| (i, *w))
            .collect();
        let today = city_date(options.now);
        Ok(Generator {
            reference,
            staff,
            rng: StdRng::seed_from_u64(options.seed),
            office,
            base_url: options.base_url.clone(),
            now: options.now,
            today,
            first_day: today - TimeDelta::days(HISTORY_DAYS),
            total: options.complaints.max(1),
            categories,
            districts,
            district_weights,
        })
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn weighted<T: Copy>(&mut self, items: &[(T, u32)]) -> T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.random_range(0..total);
        for (item, weight) in items {
            if roll < *weight {
                return *item;
            }
            roll -= weight;
        }
        items[0].0
    }

    /// A moment on `day`, city time, mostly in office and shopping hours; as UTC.
    fn moment(&mut self, day: NaiveDate, from_hour: u32, to_hour: u32) -> NaiveDateTime {
        let seconds = self.rng.random_range(from_hour * 3600..to_hour * 3600);
        let city = day.and_time(NaiveTime::MIN) + TimeDelta::seconds(i64::from(seconds));
        city - TimeDelta::hours(8)
    }

    /// Filing times grow slowly over the two years (the channel becomes known) and run in
    /// order, so ids (UUIDv7) follow filing time as they do in service.
    fn filed_at(&mut self, index: u64) -> NaiveDateTime {
        let position = (index as f64 + 0.5) / self.total as f64;
        // Density rising from 0.6 to 1.4 over the period: invert the cumulative share.
        let a = 0.6;
        let b = 0.8;
        let share = (-a + (a * a + 2.0 * b * position).sqrt()) / b;
        let seconds = (share * HISTORY_DAYS as f64 * 86_400.0) as i64;
        let start = self.first_day.and_time(NaiveTime::MIN) - TimeDelta::hours(8);
        let at = start + TimeDelta::seconds(seconds);
        let latest = self.now - TimeDelta::minutes(1);
        at.min(latest)
    }

    fn complaint(&mut self, index: u64) -> anyhow::Result<SeededComplaint> {
        let created_at = self.filed_at(index);
        let text: &'static CategoryText = {
            let categories = self.categories.clone();
            self.weighted(&categories)
        };
        let (district, district_name) = {
            let weights = self.district_weights.clone();
            let i = self.weighted(&weights);
            (self.districts[i].0.clone(), self.districts[i].1.clone())
        };
        let kind = if self.rng.random_bool(0.75) {
            ComplaintKind::Complaint
        } else {
            ComplaintKind::Report
        };
        let anonymous = kind == ComplaintKind::Report && self.rng.random_bool(0.4);
        let locale = match self.rng.random_range(0..100) {
            0..=91 => Locale::ZhHans,
            92..=95 => Locale::ZhHant,
            _ => Locale::En,
        };
        let place = short_place(&district_name);
        let brand = *self.pick(BRANDS);
        let shop = *self.pick(text.shops);
        let business_name = format!("{place}{brand}{shop}");
        let road = *self.pick(ROADS);
        let number = self.rng.random_range(1..400);
        let business_address = format!("{district_name}{road}{number}号");
        let business_credit_code = self
            .rng
            .random_bool(0.3)
            .then(|| credit_code(&mut self.rng, &district));
        let product = *self.pick(text.products);
        let problem = *self.pick(text.problems);
        let detail = *self.pick(DETAILS);
        let received = city_date(created_at);
        let incident_date = self
            .rng
            .random_bool(0.7)
            .then(|| received - TimeDelta::days(self.rng.random_range(0..20)));
        let when = match incident_date {
            Some(day) => format!("{}月{}日", day.format("%-m"), day.format("%-d")),
            None => "前几天".to_owned(),
        };
        let also = *self.pick(DETAILS);
        let description = format!(
            "{when}我在{business_name}购买了{product}，{problem}。{detail}{}{}",
            if also == detail { "" } else { also },
            self.pick(CLOSINGS)
        );
        let demand = (kind == ComplaintKind::Complaint).then(|| (*self.pick(DEMANDS)).to_owned());
        let (complainant_name, phone, email) = if anonymous {
            let email = self.rng.random_bool(0.3).then(|| self.email_address(index));
            (None, None, email)
        } else {
            let name = format!("{}{}", self.pick(SURNAMES), self.pick(GIVEN_NAMES));
            let phone = self.phone();
            let email = self
                .rng
                .random_bool(0.55)
                .then(|| self.email_address(index));
            (Some(name), Some(phone), email)
        };

        let reference = self.reference;
        let route = route(
            &reference.rules,
            text.code,
            &district,
            &self.office,
            |code| reference.department(code).is_some_and(|d| d.active),
        );
        let category = reference
            .category(text.code)
            .context("a demo category vanished")?;
        let calendar = &reference.calendar;
        let accept_days = match kind {
            ComplaintKind::Complaint => category.complaint_accept_days,
            ComplaintKind::Report => category.report_accept_days,
        }
        .max(1) as u32;
        let finish_days = category.complaint_finish_days.max(1) as u32;
        let accept_due = calendar.add_working_days(received, accept_days);
        let opinion_due = calendar.add_working_days(received, category.assist_days.max(0) as u32);
        let id = uuid_at(&mut self.rng, created_at);
        let tracking_code = TrackingCode::generate(&mut self.rng);
        let search_terms = index_terms([business_name.as_str(), product, description.as_str()]);

        let mut row = ComplaintRow {
            id: id.clone(),
            tracking_code: tracking_code.as_str().to_owned(),
            submission_id: Some(uuid::Uuid::from_u128(self.rng.random()).to_string()),
            kind: kind.as_str().to_owned(),
            channel: match self.rng.random_range(0..20) {
                0 => "phone",
                1 => "visit",
                _ => "web",
            }
            .to_owned(),
            category_code: text.code.to_owned(),
            district_code: district.clone(),
            business_name: business_name.clone(),
            business_address,
            business_credit_code,
            product: Some(product.to_owned()),
            incident_date,
            description,
            demand,
            complainant_name,
            phone,
            email: email.clone(),
            anonymous,
            locale: locale.tag().to_owned(),
            state: ComplaintState::Assigned.as_str().to_owned(),
            lead_department: route.lead.clone(),
            routing_rule_id: route.rule_id,
            accept_due,
            finish_due: None,
            version: 1,
            created_at,
            updated_at: created_at,
            assignee: None,
            designated: false,
            returned_by: None,
            paused_since: None,
            info_requested_at: None,
            accepted_at: None,
            resolved_at: None,
            outcome: None,
            reopen_count: 0,
            flagged_to_office: false,
            rating_score: None,
            rating_comment: None,
            rated_at: None,
            current_due: Some(accept_due),
        };
        let co_handlers: Vec<CoHandlerRow> = route
            .co_handlers
            .iter()
            .map(|code| CoHandlerRow {
                complaint_id: id.clone(),
                department_code: code.clone(),
                added_at: created_at,
                opinion_due,
            })
            .collect();

        let mut history = History {
            id: id.clone(),
            events: Vec::new(),
            emails: Vec::new(),
        };
        history.event(
            created_at,
            ActorKind::Complainant,
            None,
            EventKind::Submitted,
            None,
            ComplaintState::Assigned,
        );
        history.events[0].to_state = Some(ComplaintState::Assigned.as_str().to_owned());
        history.event(
            created_at,
            ActorKind::System,
            None,
            EventKind::Routed,
            None,
            ComplaintState::Assigned,
        );
        history.events[1].department_code = Some(route.lead.clone());
        // What the filing itself mailed.
        let mut notices = vec![DepartmentNotice::NewCase];
        notices.extend(
            co_handlers
                .iter()
                .map(|co| DepartmentNotice::CoHandlingRequested {
                    department: co.department_code.clone(),
                    opinion_due,
                }),
        );
        history.tell(
            CaseContext::of(&row, reference, &self.base_url)?,
            Some(&CaseUpdate::Received),
            &notices,
            created_at,
        )?;

        self.live(
            &mut row,
            &mut history,
            &co_handlers,
            accept_days,
            finish_days,
            calendar,
        )?;
        row.version = 1 + (history.events.len() as i32 - 2);
        row.updated_at = history
            .events
            .last()
            .map(|e| e.at)
            .unwrap_or(row.created_at);
        Ok(SeededComplaint {
            filing: Filing {
                complaint: row,
                co_handlers,
                events: history.events,
                search_terms,
                attachments: Vec::new(),
            },
            emails: history.emails,
        })
    }

    /// Walks the case from filing up to now: decision, information request, reply,
    /// rating or closing — each step with its event, its email and its columns, as the
    /// service would have written them. A step that falls after now has not happened.
    #[allow(clippy::too_many_arguments)]
    fn live(
        &mut self,
        row: &mut ComplaintRow,
        history: &mut History,
        co_handlers: &[CoHandlerRow],
        accept_days: u32,
        finish_days: u32,
        calendar: &WorkCalendar,
    ) -> anyhow::Result<()> {
        let reference = self.reference;
        let base_url = self.base_url.clone();
        // What the service mails the complainant about a step of the case, sent at `at`.
        let tell = |history: &mut History,
                    row: &ComplaintRow,
                    update: CaseUpdate,
                    at: NaiveDateTime|
         -> anyhow::Result<()> {
            history.tell(
                CaseContext::of(row, reference, &base_url)?,
                Some(&update),
                &[],
                at,
            )
        };
        let received = city_date(row.created_at);
        let clerk = self.staff.clerk(&row.lead_department);
        let now = self.now;
        let roll = self.rng.random_range(0..100);

        // Withdrawn by the complainant within a few days.
        if roll < 3 {
            let at = row.created_at + TimeDelta::hours(self.rng.random_range(2..72));
            if at > now {
                return Ok(());
            }
            history.event(
                at,
                ActorKind::Complainant,
                None,
                EventKind::Withdrawn,
                Some(ComplaintState::Assigned),
                ComplaintState::Withdrawn,
            );
            history.tell(
                CaseContext::of(row, reference, &base_url)?,
                Some(&CaseUpdate::Withdrawn),
                &[DepartmentNotice::Withdrawn],
                at,
            )?;
            row.state = ComplaintState::Withdrawn.as_str().to_owned();
            row.current_due = None;
            return Ok(());
        }

        // The decision: mostly within the window, a few late.
        let late = self.rng.random_bool(0.04);
        let decision_day = if late {
            calendar.add_working_days(row.accept_due, self.rng.random_range(1..=5))
        } else {
            calendar.add_working_days(received, self.rng.random_range(1..=accept_days))
        };
        let decided_at = self.moment(decision_day, 9, 17).max(row.created_at);
        if decided_at > now {
            // Still waiting for a decision; past its deadline it has been flagged already.
            row.flagged_to_office = row.accept_due < self.today;
            return Ok(());
        }
        if roll < 9 {
            let reason = *self.pick(REJECT_REASONS);
            history.staff_event(
                decided_at,
                &clerk,
                EventKind::Rejected,
                ComplaintState::Assigned,
                ComplaintState::Rejected,
                Some(reason),
            );
            let update = CaseUpdate::Rejected {
                reason: reason.to_owned(),
            };
            tell(history, row, update, decided_at)?;
            row.state = ComplaintState::Rejected.as_str().to_owned();
            row.current_due = None;
            return Ok(());
        }
        let mut finish_due = calendar.add_working_days(decision_day, finish_days);
        history.staff_event(
            decided_at,
            &clerk,
            EventKind::Accepted,
            ComplaintState::Assigned,
            ComplaintState::Accepted,
            None,
        );
        let update = CaseUpdate::Accepted {
            message: None,
            finish_due: Some(finish_due),
        };
        tell(history, row, update, decided_at)?;
        row.state = ComplaintState::Accepted.as_str().to_owned();
        row.accepted_at = Some(decided_at);
        row.finish_due = Some(finish_due);
        row.current_due = Some(finish_due);
        if self.rng.random_bool(0.5) {
            let at = decided_at + TimeDelta::minutes(self.rng.random_range(1..90));
            if at <= now {
                if let Some(user) = &clerk {
                    history.staff_event(
                        at,
                        &clerk,
                        EventKind::Assigned,
                        ComplaintState::Accepted,
                        ComplaintState::Accepted,
                        None,
                    );
                    row.assignee = Some(user.clone());
                }
            }
        }
        // Co-handlers give their opinion as a note.
        for co in co_handlers {
            let day = calendar.add_working_days(decision_day, self.rng.random_range(1..=4));
            let at = self.moment(day, 9, 17);
            if at > now {
                continue;
            }
            let mut note = history.staff_event(
                at,
                &self.staff.clerk(&co.department_code),
                EventKind::Note,
                ComplaintState::Accepted,
                ComplaintState::Accepted,
                None,
            );
            note.is_opinion = true;
            note.internal_note = Some((*self.pick(OPINIONS)).to_owned());
            history.events.push(note);
        }

        // Sometimes more information is needed first: the clock stops meanwhile.
        let mut working_from = decision_day;
        if self.rng.random_bool(0.1) {
            let asked_day = calendar.add_working_days(decision_day, self.rng.random_range(1..=8));
            let asked_at = self.moment(asked_day, 9, 17);
            if asked_at > now {
                return self.running(row, finish_due);
            }
            let question = *self.pick(INFO_REQUESTS);
            history.staff_event(
                asked_at,
                &clerk,
                EventKind::InfoRequested,
                ComplaintState::Accepted,
                ComplaintState::AwaitingInfo,
                Some(question),
            );
            let update = CaseUpdate::InfoRequested {
                request: question.to_owned(),
            };
            tell(history, row, update, asked_at)?;
            let supplied_at = asked_at + TimeDelta::hours(self.rng.random_range(3..150));
            if supplied_at > now {
                row.state = ComplaintState::AwaitingInfo.as_str().to_owned();
                row.info_requested_at = Some(asked_at);
                row.current_due = None;
                return Ok(());
            }
            let mut supplied = history.staff_event(
                supplied_at,
                &None,
                EventKind::InfoSupplied,
                ComplaintState::AwaitingInfo,
                ComplaintState::Accepted,
                None,
            );
            supplied.actor_kind = ActorKind::Complainant.as_str().to_owned();
            supplied.internal_note = Some("已补充购物小票和照片。".to_owned());
            history.events.push(supplied);
            let stopped = calendar.working_days_between(asked_day, city_date(supplied_at));
            finish_due = calendar.add_working_days(finish_due, stopped);
            row.finish_due = Some(finish_due);
            row.current_due = Some(finish_due);
            working_from = city_date(supplied_at);
        }

        // The reply resolves the case.
        let late = self.rng.random_bool(0.06);
        let reply_day = if late {
            calendar.add_working_days(finish_due, self.rng.random_range(1..=10))
        } else {
            let available = calendar
                .working_days_between(working_from, finish_due)
                .max(1);
            let spent = self.rng.random_range(1..=available.min(30));
            calendar.add_working_days(working_from, spent)
        };
        let replied_at = self.moment(reply_day, 9, 18);
        if replied_at > now {
            return self.running(row, finish_due);
        }
        let outcome = self.weighted(&OUTCOMES);
        let reply = *self.pick(REPLIES);
        history.staff_event(
            replied_at,
            &clerk,
            EventKind::Replied,
            ComplaintState::Accepted,
            ComplaintState::Resolved,
            Some(reply),
        );
        let update = CaseUpdate::Resolved {
            reply: reply.to_owned(),
            outcome,
        };
        tell(history, row, update, replied_at)?;
        row.state = ComplaintState::Resolved.as_str().to_owned();
        row.resolved_at = Some(replied_at);
        row.outcome = Some(outcome.as_str().to_owned());
        row.current_due = None;

        // A rating closes the case; without one the case closes when the window ends.
        let rated = row.email.is_some() && self.rng.random_bool(0.6) || self.rng.random_bool(0.2);
        if rated {
            let at = replied_at + TimeDelta::hours(self.rng.random_range(1..(24 * 14)));
            if at > now {
                return Ok(());
            }
            // Dissatisfied ratings within the window reopen a case; the demo keeps to the
            // satisfied and the lukewarm, so that the history stays one pass.
            let score = self.weighted(&[(5u8, 50), (4, 32), (3, 18)]);
            let comment = (score >= 4).then(|| (*self.pick(COMMENTS)).to_owned());
            let mut event = history.staff_event(
                at,
                &None,
                EventKind::Rated,
                ComplaintState::Resolved,
                ComplaintState::Closed,
                None,
            );
            event.actor_kind = ActorKind::Complainant.as_str().to_owned();
            event.internal_note = comment.clone();
            history.events.push(event);
            tell(history, row, CaseUpdate::Closed, at)?;
            row.state = ComplaintState::Closed.as_str().to_owned();
            row.rating_score = Some(i32::from(score));
            row.rating_comment = comment;
            row.rated_at = Some(at);
        } else {
            let at = replied_at + TimeDelta::days(RATING_WINDOW_DAYS) + TimeDelta::minutes(5);
            if at > now {
                return Ok(());
            }
            let mut event = history.staff_event(
                at,
                &None,
                EventKind::Closed,
                ComplaintState::Resolved,
                ComplaintState::Closed,
                None,
            );
            event.actor_kind = ActorKind::System.as_str().to_owned();
            history.events.push(event);
            tell(history, row, CaseUpdate::Closed, at)?;
            row.state = ComplaintState::Closed.as_str().to_owned();
        }
        Ok(())
    }

    /// Accepted and still being handled; past its deadline it has been flagged already.
    fn running(&mut self, row: &mut ComplaintRow, finish_due: NaiveDate) -> anyhow::Result<()> {
        row.current_due = Some(finish_due);
        row.flagged_to_office = finish_due < self.today;
        Ok(())
    }

    fn phone(&mut self) -> String {
        let prefix = *self.pick(MOBILE_PREFIXES);
        let rest: u32 = self.rng.random_range(0..100_000_000);
        let raw = format!("{prefix}{rest:08}");
        Phone::parse(&raw)
            .map(|p| p.as_str().to_owned())
            .unwrap_or(raw)
    }

    fn email_address(&mut self, index: u64) -> String {
        let name = *self.pick(EMAIL_NAMES);
        let domain = *self.pick(&["example.com", "example.net", "example.org"]);
        format!("{name}{index}@{domain}")
    }
}

/// Events and emails of one case, in order.
struct History {
    id: String,
    events: Vec<NewEventRow>,
    emails: Vec<SentEmailRow>,
}

impl History {
    fn event(
        &mut self,
        at: NaiveDateTime,
        actor: ActorKind,
        user: Option<String>,
        kind: EventKind,
        from: Option<ComplaintState>,
        to: ComplaintState,
    ) {
        self.events.push(NewEventRow {
            complaint_id: self.id.clone(),
            at,
            actor_kind: actor.as_str().to_owned(),
            actor_user: user,
            kind: kind.as_str().to_owned(),
            from_state: from.map(|s| s.as_str().to_owned()),
            to_state: Some(to.as_str().to_owned()),
            department_code: None,
            public_message: None,
            internal_note: None,
            is_opinion: false,
        });
    }

    /// A staff step; state changes are pushed at once, the rest returned for the caller
    /// to complete and push.
    fn staff_event(
        &mut self,
        at: NaiveDateTime,
        user: &Option<String>,
        kind: EventKind,
        from: ComplaintState,
        to: ComplaintState,
        public_message: Option<&str>,
    ) -> NewEventRow {
        let event = NewEventRow {
            complaint_id: self.id.clone(),
            at,
            actor_kind: ActorKind::User.as_str().to_owned(),
            actor_user: user.clone(),
            kind: kind.as_str().to_owned(),
            from_state: Some(from.as_str().to_owned()),
            to_state: Some(to.as_str().to_owned()),
            department_code: None,
            public_message: public_message.map(str::to_owned),
            internal_note: None,
            is_opinion: false,
        };
        let pushed_later = matches!(
            kind,
            EventKind::Note | EventKind::InfoSupplied | EventKind::Rated | EventKind::Closed
        );
        if !pushed_later {
            self.events.push(event.clone());
        }
        event
    }

    /// What the service mails about `update` and `notices`, sent at `at`.
    fn tell(
        &mut self,
        case: CaseContext<'_>,
        update: Option<&CaseUpdate>,
        notices: &[DepartmentNotice],
        at: NaiveDateTime,
    ) -> anyhow::Result<()> {
        for email in case.emails(update, notices)? {
            self.emails.push(SentEmailRow::from(email, &self.id, at));
        }
        Ok(())
    }
}

/// A UUIDv7 of the filing moment, as `Uuid::now_v7()` would have made it then.
fn uuid_at(rng: &mut StdRng, at: NaiveDateTime) -> String {
    let utc = at.and_utc();
    let millis = utc.timestamp_millis().max(0) as u64;
    let mut bytes: [u8; 16] = rng.random();
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = 0x70 | (bytes[6] & 0x0F);
    bytes[8] = 0x80 | (bytes[8] & 0x3F);
    uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
}

/// A valid unified social credit code of a company registered in `district`.
fn credit_code(rng: &mut StdRng, district: &str) -> String {
    const ORG: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = format!("91{district}");
    for _ in 0..9 {
        body.push(char::from(ORG[rng.random_range(0..ORG.len())]));
    }
    // The check character is whatever makes the code parse.
    ORG.iter()
        .map(|&c| format!("{body}{}", char::from(c)))
        .find(|code| CreditCode::parse(code).is_ok())
        .unwrap_or(body)
}

/// "信州区" → "信州", "德兴市" → "德兴": how a business name starts.
fn short_place(district: &str) -> String {
    let chars: Vec<char> = district.chars().collect();
    if chars.len() > 2 {
        chars[..chars.len() - 1].iter().collect()
    } else {
        district.to_owned()
    }
}

struct CategoryText {
    code: &'static str,
    weight: u32,
    shops: &'static [&'static str],
    products: &'static [&'static str],
    problems: &'static [&'static str],
}

const CATEGORY_TEXTS: &[CategoryText] = &[
    CategoryText {
        code: "food",
        weight: 22,
        shops: &[
            "超市",
            "生鲜超市",
            "食品店",
            "副食品商行",
            "便利店",
            "烘焙坊",
            "餐饮店",
        ],
        products: &[
            "婴儿奶粉",
            "酸奶",
            "月饼",
            "散装白酒",
            "速冻水饺",
            "食用油",
            "腊肉",
            "袋装大米",
            "鲜牛奶",
            "辣条",
            "冷冻牛排",
            "桶装水",
        ],
        problems: &[
            "回家才发现已经过期了",
            "打开后有一股异味",
            "里面吃出了异物",
            "包装上没有生产日期",
            "孩子吃了以后腹泻",
            "标签上的配料和实物不符",
            "称重明显不足",
        ],
    },
    CategoryText {
        code: "drugs",
        weight: 6,
        shops: &["大药房", "医药连锁店", "诊所", "医疗器械店"],
        products: &[
            "感冒药",
            "血压计",
            "医用口罩",
            "血糖试纸",
            "助听器",
            "中药饮片",
            "体温计",
        ],
        problems: &[
            "说明书和包装不一致",
            "使用几天就坏了",
            "药品批号查不到",
            "店员推销的保健品冒充药品",
            "测量结果误差很大",
        ],
    },
    CategoryText {
        code: "special-equipment",
        weight: 7,
        shops: &[
            "电梯工程有限公司",
            "物业服务有限公司",
            "游乐场",
            "燃气有限公司",
        ],
        products: &["住宅电梯", "自动扶梯", "燃气锅炉", "游乐设施", "液化气钢瓶"],
        problems: &[
            "电梯经常困人",
            "电梯运行时抖动厉害还有异响",
            "检验合格证已经过期",
            "钢瓶没有检验标志",
            "设备漏气没人处理",
        ],
    },
    CategoryText {
        code: "industrial-products",
        weight: 12,
        shops: &["家电商场", "电器商行", "五金店", "电动车行", "数码城"],
        products: &[
            "电热水壶",
            "电动自行车",
            "电饭煲",
            "手机充电器",
            "电暖器",
            "插线板",
            "儿童玩具",
            "燃气灶",
        ],
        problems: &[
            "用了不到一个月就冒烟",
            "插上电就跳闸",
            "外壳发烫还有焦味",
            "没有3C认证标志",
            "电池鼓包",
            "说明书上的参数和实物不符",
        ],
    },
    CategoryText {
        code: "building-materials",
        weight: 6,
        shops: &["建材市场", "建材商行", "瓷砖店", "钢材经营部"],
        products: &["瓷砖", "防水涂料", "螺纹钢", "电线电缆", "水泥", "实木地板"],
        problems: &[
            "铺上后大面积开裂",
            "甲醛味道一直散不掉",
            "线径明显比标称的细",
            "强度达不到标准",
            "质检报告是假的",
        ],
    },
    CategoryText {
        code: "construction-works",
        weight: 6,
        shops: &["装饰工程有限公司", "建筑工程有限公司", "房地产开发有限公司"],
        products: &["新房装修", "外墙保温", "小区道路", "商品房"],
        problems: &[
            "交房后墙体渗水",
            "装修完一个月就起皮脱落",
            "卫生间防水没做好楼下漏水",
            "承重墙被擅自拆改",
        ],
    },
    CategoryText {
        code: "counterfeits",
        weight: 8,
        shops: &["服装店", "烟酒商行", "鞋业店", "化妆品店", "数码城"],
        products: &[
            "名牌运动鞋",
            "高档白酒",
            "品牌化妆品",
            "名牌手提包",
            "品牌耳机",
        ],
        problems: &[
            "经鉴定是假货",
            "防伪码查询显示不存在",
            "商标明显是仿冒的",
            "做工和正品差很多",
        ],
    },
    CategoryText {
        code: "metrology",
        weight: 6,
        shops: &["农贸市场", "加油站", "水果店", "海鲜市场"],
        products: &["猪肉", "汽油", "水果", "海鲜", "电子秤"],
        problems: &[
            "回家复秤少了好几两",
            "加油机计量不准",
            "电子秤被动了手脚",
            "缺斤少两很严重",
        ],
    },
    CategoryText {
        code: "services",
        weight: 15,
        shops: &[
            "美容美发店",
            "汽车维修厂",
            "培训学校",
            "健身房",
            "洗衣店",
            "快递网点",
        ],
        products: &[
            "会员卡",
            "汽车保养",
            "培训课程",
            "健身年卡",
            "干洗服务",
            "预付卡",
        ],
        problems: &[
            "收了钱以后店就关门了",
            "办卡后拒绝退款",
            "维修后问题更严重",
            "实际服务和宣传不一致",
            "强制消费",
        ],
    },
    CategoryText {
        code: "agricultural-inputs",
        weight: 4,
        shops: &["农资店", "种子站", "农药经营部"],
        products: &["水稻种子", "复合肥", "除草剂", "农药", "饲料"],
        problems: &[
            "种下去发芽率很低",
            "施肥后庄稼烧苗",
            "农药没有登记证号",
            "有效成分含量不足",
        ],
    },
    CategoryText {
        code: "imported-goods",
        weight: 3,
        shops: &["进口商品店", "跨境商品体验店", "进口食品超市"],
        products: &["进口奶粉", "进口红酒", "进口化妆品", "进口保健品"],
        problems: &[
            "没有中文标签",
            "查不到检验检疫证明",
            "生产日期被涂改",
            "疑似走私货",
        ],
    },
    CategoryText {
        code: "other",
        weight: 5,
        shops: &["商行", "经营部", "门市部", "网店"],
        products: &["日用品", "家具", "窗帘", "床上用品"],
        problems: &["质量很差", "用了几天就坏了", "商家不给退换", "和样品不一样"],
    },
];

const BRANDS: &[&str] = &[
    "华联",
    "鑫源",
    "永辉",
    "百佳",
    "金穗",
    "恒信",
    "天和",
    "福满",
    "宏达",
    "润发",
    "嘉禾",
    "万家",
    "顺达",
    "光明",
    "新世纪",
    "好又多",
    "利民",
    "兴隆",
    "东方",
    "惠民",
    "鸿运",
    "佳佳",
    "家乐",
    "安康",
    "盛源",
    "丰泰",
    "瑞祥",
    "信达",
    "广源",
    "正大",
];

const ROADS: &[&str] = &[
    "解放路",
    "中山路",
    "滨江大道",
    "五三大道",
    "凤凰大道",
    "带湖路",
    "庆丰路",
    "胜利路",
    "人民路",
    "建设路",
    "新华路",
    "站前路",
    "文化路",
    "青年路",
    "三清山大道",
];

const DETAILS: &[&str] = &[
    "我当时就找了商家，商家不承认。",
    "店员说是正常现象，让我自己想办法，态度很差。",
    "商家答应三天内给答复，到现在也没有消息。",
    "我在网上查了一下，发现很多人都有类似的遭遇。",
    "家里老人和小孩都受到了影响，希望引起重视。",
    "我要求退货，商家说已经拆封不能退。",
    "打电话给客服一直没人处理。",
    "已经和店主协商了两次，没有结果。",
    "发票和购物小票都还保留着。",
    "拍了照片和视频作为证据。",
    "周围好几个邻居也遇到了同样的问题。",
    "",
];

const CLOSINGS: &[&str] = &[
    "希望有关部门尽快处理。",
    "请相关部门调查一下。",
    "希望监管部门能管一管。",
    "请帮忙维护消费者的合法权益。",
    "",
];

const DEMANDS: &[&str] = &[
    "退货退款",
    "更换商品并赔偿损失",
    "按照规定三倍赔偿",
    "退还预付款",
    "维修并承担检测费用",
    "赔礼道歉",
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "余", "叶", "程", "汪", "江", "姜", "傅", "欧阳",
];

const GIVEN_NAMES: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "志强", "晓燕",
    "春梅", "海燕", "国平", "小龙", "子涵", "浩然", "雨欣",
];

const EMAIL_NAMES: &[&str] = &[
    "zhang", "wang", "li", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun",
];

const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
    "157", "158", "159", "177", "180", "181", "182", "186", "187", "188", "189", "199",
];

const REJECT_REASONS: &[&str] = &[
    "经核实，该事项属于民事合同纠纷，请通过人民法院解决。",
    "投诉人未能提供购买凭证，无法核实。",
    "同一事项已经处理完毕，不再重复受理。",
    "被投诉方不在本市，已告知向所在地部门反映。",
];

const INFO_REQUESTS: &[&str] = &[
    "请补充购物小票或付款记录。",
    "请提供商品照片和包装照片。",
    "请说明与商家协商的具体经过。",
];

const OPINIONS: &[&str] = &[
    "我局已配合开展现场检查，未发现其他问题。",
    "建议对该批次产品抽样检验。",
    "已将相关线索纳入专项行动台账。",
];

const REPLIES: &[&str] = &[
    "经调解，商家同意退货退款，双方已达成一致。",
    "经现场检查，已责令商家整改，并依法立案调查。",
    "经抽样检验，产品符合标准，未发现违法行为。",
    "商家已为您更换商品并承担检测费用。",
    "双方未能达成一致，调解终止，建议通过诉讼途径解决。",
];

const COMMENTS: &[&str] = &[
    "处理很及时，谢谢！",
    "工作人员态度很好。",
    "问题解决了，满意。",
    "效率很高，点赞。",
];

const OUTCOMES: [(Outcome, u32); 8] = [
    (Outcome::MediatedAgreement, 30),
    (Outcome::Refund, 20),
    (Outcome::ReplacementOrRepair, 12),
    (Outcome::Compensation, 8),
    (Outcome::ViolationFound, 10),
    (Outcome::NoViolationFound, 10),
    (Outcome::TerminatedWithoutAgreement, 6),
    (Outcome::Other, 4),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_contacts_and_codes_parse_as_the_form_would_take_them() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let code = credit_code(&mut rng, "361102");
            assert!(CreditCode::parse(&code).is_ok(), "{code}");
        }
        assert_eq!(short_place("信州区"), "信州");
        let at = NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap();
        let id = uuid::Uuid::parse_str(&uuid_at(&mut rng, at)).unwrap();
        assert_eq!(id.get_version_num(), 7);
        let (secs, _) = id.get_timestamp().unwrap().to_unix();
        assert_eq!(secs as i64, at.and_utc().timestamp());
    }
}
