//! The limits the service is measured against: a minimal actix-web handler per page with
//! plain SQL through a small pool, and one thread inserting straight into SQLite.

use std::path::Path;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sql_types::{Nullable, Text};
use diesel::SqliteConnection;
use rand::Rng as _;

/// The service's own SQLite settings (src/db/mod.rs): WAL, `synchronous=FULL`.
const PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

#[derive(Debug)]
struct Pragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(PRAGMAS)
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;

/// "A small connection pool".
const POOL_SIZE: u32 = 4;

fn pool(db: &Path) -> anyhow::Result<SqlitePool> {
    Ok(Pool::builder()
        .max_size(POOL_SIZE)
        .connection_customizer(Box::new(Pragmas))
        .build(ConnectionManager::new(db.to_string_lossy()))?)
}

/// The form as posted, parsed the same way (every field optional), nothing checked.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PlainForm {
    kind: Option<String>,
    category: Option<String>,
    district: Option<String>,
    business_name: Option<String>,
    business_address: Option<String>,
    business_credit_code: Option<String>,
    product: Option<String>,
    incident_date: Option<String>,
    description: Option<String>,
    demand: Option<String>,
    complainant_name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    anonymous: Option<String>,
    consent: Option<String>,
    csrf_token: Option<String>,
    submission_id: Option<String>,
    website: Option<String>,
}

/// Email bodies as long as the service's (about 200 and 630 characters).
fn email_bodies(code: &str) -> (String, String, String) {
    let subject = format!("已收到您的投诉（查询码 {code}）");
    let text = format!(
        "您好：\n\n您的投诉已收到，查询码 {code}。被投诉经营者：信州区好又多超市。我们已将它转交食品药品监督管理局，\
         该部门将在 2026-12-08 之前决定是否受理。\n\n查询办理进度：http://gc.bench/track/{code}\n\n\
         质量投诉绿色通道\n这是一封自动发送的邮件，请不要直接回复。"
    );
    let html = format!(
        "<!DOCTYPE html><html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
         <body style=\"font-family: sans-serif; line-height: 1.5\"><p>您好：</p><p>您的投诉已收到，查询码 {code}。\
         被投诉经营者：信州区好又多超市。我们已将它转交食品药品监督管理局，该部门将在 2026-12-08 之前决定是否受理。</p>\
         <p><a href=\"http://gc.bench/track/{code}\">查询办理进度</a></p><hr><p style=\"color: #555\">质量投诉绿色通道<br>\
         这是一封自动发送的邮件，请不要直接回复。</p></body></html>"
    );
    (subject, text, html)
}

fn tracking_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    let mut code = String::with_capacity(17);
    for i in 0..15 {
        if i > 0 && i % 5 == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    code
}

fn now_text() -> String {
    chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

/// The rows of one filing — a complaint, one event, two emails — with plain SQL (the
/// minimal transaction of issue 15's independent run). Returns
/// the tracking code.
pub fn insert_filing(conn: &mut SqliteConnection, form: &PlainForm) -> QueryResult<String> {
    let id = uuid::Uuid::now_v7().to_string();
    let code = tracking_code();
    let now = now_text();
    let text = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    diesel::sql_query(
        "INSERT INTO complaints (id, tracking_code, submission_id, kind, channel, category_code, \
         district_code, business_name, business_address, business_credit_code, product, \
         description, demand, complainant_name, phone, email, anonymous, locale, state, \
         lead_department, accept_due, version, created_at, updated_at, current_due, public_id) \
         VALUES (?, ?, ?, ?, 'web', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'zh-Hans', 'assigned', \
         'food-drug', '2026-12-08', 1, ?, ?, '2026-12-08', ?)",
    )
    .bind::<Text, _>(&id)
    .bind::<Text, _>(&code)
    .bind::<Nullable<Text>, _>(text(&form.submission_id))
    .bind::<Text, _>(form.kind.clone().unwrap_or_default())
    .bind::<Text, _>(form.category.clone().unwrap_or_else(|| "food".into()))
    .bind::<Text, _>(form.district.clone().unwrap_or_else(|| "361102".into()))
    .bind::<Text, _>(form.business_name.clone().unwrap_or_default())
    .bind::<Text, _>(form.business_address.clone().unwrap_or_default())
    .bind::<Nullable<Text>, _>(text(&form.business_credit_code))
    .bind::<Nullable<Text>, _>(text(&form.product))
    .bind::<Text, _>(form.description.clone().unwrap_or_default())
    .bind::<Nullable<Text>, _>(text(&form.demand))
    .bind::<Nullable<Text>, _>(text(&form.complainant_name))
    .bind::<Nullable<Text>, _>(text(&form.phone))
    .bind::<Nullable<Text>, _>(text(&form.email))
    .bind::<Text, _>(&now)
    .bind::<Text, _>(&now)
    // Unique (an index since Open311's public case numbers); the id is, and costs nothing.
    .bind::<Text, _>(&id)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO events (complaint_id, at, actor_kind, kind, to_state) \
         VALUES (?, ?, 'complainant', 'submitted', 'assigned')",
    )
    .bind::<Text, _>(&id)
    .bind::<Text, _>(&now)
    .execute(conn)?;
    let (subject, text_body, html_body) = email_bodies(&code);
    let recipients = [
        (
            form.email
                .clone()
                .unwrap_or_else(|| "resident@example.com".into()),
            "complainant",
            "received",
        ),
        (
            "food-drug@green-channel.invalid".to_owned(),
            "department",
            "new_case",
        ),
    ];
    for (recipient, kind, template) in recipients {
        diesel::sql_query(
            "INSERT INTO outbox (complaint_id, recipient, recipient_kind, template, locale, \
             subject, text_body, html_body, state, attempts, due_at, created_at) \
             VALUES (?, ?, ?, ?, 'zh-Hans', ?, ?, ?, 'pending', 0, ?, ?)",
        )
        .bind::<Text, _>(&id)
        .bind::<Text, _>(recipient)
        .bind::<Text, _>(kind)
        .bind::<Text, _>(template)
        .bind::<Text, _>(&subject)
        .bind::<Text, _>(&text_body)
        .bind::<Text, _>(&html_body)
        .bind::<Text, _>(&now)
        .bind::<Text, _>(&now)
        .execute(conn)?;
    }
    Ok(code)
}

fn immediate<T>(
    conn: &mut SqliteConnection,
    work: impl FnOnce(&mut SqliteConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    conn.batch_execute("BEGIN IMMEDIATE")?;
    match work(conn) {
        Ok(value) => {
            conn.batch_execute("COMMIT")?;
            Ok(value)
        }
        Err(error) => {
            let _ = conn.batch_execute("ROLLBACK");
            Err(error)
        }
    }
}

async fn file(pool: web::Data<SqlitePool>, form: web::Form<PlainForm>) -> HttpResponse {
    let result = web::block(move || -> anyhow::Result<String> {
        let mut conn = pool.get()?;
        Ok(immediate(&mut conn, |c| insert_filing(c, &form))?)
    })
    .await;
    match result {
        Ok(Ok(code)) => HttpResponse::SeeOther()
            .insert_header(("Location", format!("/track/{code}")))
            .finish(),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

#[derive(QueryableByName)]
struct TrackedCase {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    category_code: String,
    #[diesel(sql_type = Text)]
    district_code: String,
    #[diesel(sql_type = Text)]
    business_name: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Text)]
    created_at: String,
    #[diesel(sql_type = Text)]
    accept_due: String,
}

#[derive(QueryableByName)]
struct TrackedEvent {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    at: String,
    #[diesel(sql_type = Nullable<Text>)]
    public_message: Option<String>,
}

async fn track(pool: web::Data<SqlitePool>, code: web::Path<String>) -> HttpResponse {
    let code = code.into_inner();
    let result = web::block(move || -> anyhow::Result<Option<String>> {
        let mut conn = pool.get()?;
        let case: Option<TrackedCase> = diesel::sql_query(
            "SELECT id, kind, category_code, district_code, business_name, state, created_at, \
             accept_due FROM complaints WHERE tracking_code = ?",
        )
        .bind::<Text, _>(&code)
        .get_result(&mut conn)
        .optional()?;
        let Some(case) = case else { return Ok(None) };
        let events: Vec<TrackedEvent> = diesel::sql_query(
            "SELECT kind, at, public_message FROM events WHERE complaint_id = ? ORDER BY id",
        )
        .bind::<Text, _>(&case.id)
        .load(&mut conn)?;
        let mut html = format!(
            "<!DOCTYPE html><html><body><h1>{}</h1><p id=\"state\" data-state=\"{}\">{}</p>\
             <p>{} {} {} {}</p><ol>",
            case.business_name,
            case.state,
            case.state,
            case.kind,
            case.category_code,
            case.district_code,
            case.created_at
        );
        for event in events {
            html.push_str(&format!(
                "<li>{} {} {}</li>",
                event.at,
                event.kind,
                event.public_message.unwrap_or_default()
            ));
        }
        html.push_str(&format!("</ol><p>{}</p></body></html>", case.accept_due));
        Ok(Some(html))
    })
    .await;
    match result {
        Ok(Ok(Some(html))) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(html),
        Ok(Ok(None)) => HttpResponse::NotFound().finish(),
        _ => HttpResponse::InternalServerError().finish(),
    }
}

/// Serves the two minimal handlers on `port` until killed (run in a child process).
pub fn serve(db: &Path, port: u16) -> anyhow::Result<()> {
    let pool = web::Data::new(pool(db)?);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(pool.clone())
                .route("/complaints", web::post().to(file))
                .route("/track/{code}", web::get().to(track))
        })
        .bind(("127.0.0.1", port))?
        .run()
        .await
    })?;
    Ok(())
}

/// The storage ceiling: one thread, no HTTP, the same rows in batches of 32 per
/// transaction for `duration`; complaints per second.
pub fn storage_ceiling(db: &Path, duration: Duration) -> anyhow::Result<(u64, Duration)> {
    let mut conn = SqliteConnection::establish(&db.to_string_lossy())?;
    conn.batch_execute(PRAGMAS)?;
    let started = Instant::now();
    let mut filed = 0u64;
    while started.elapsed() < duration {
        immediate(&mut conn, |c| {
            for _ in 0..32 {
                let fields: Vec<(&str, String)> = super::complaint_fields(filed);
                let mut form: PlainForm = serde_urlencoded::from_str(
                    &serde_urlencoded::to_string(&fields).expect("fields encode"),
                )
                .expect("the form parses");
                form.submission_id = Some(uuid::Uuid::new_v4().to_string());
                insert_filing(c, &form)?;
                filed += 1;
            }
            Ok(())
        })?;
    }
    Ok((filed, started.elapsed()))
}
