//! `GET /admin/outbox` and `POST /admin/outbox/{id}/retry` (the office and administrators):
//! the messages that will not be delivered without an operator — failed, given up or
//! suppressed — with the reason, and a button to send one again. Nothing is ever deleted.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::clock::now_utc;
use crate::db::outbox;
use crate::domain::access;
use crate::domain::tracking_code::TrackingCode;
use crate::errors::AppError;
use crate::extract::form::{NoFields, StaffForm};
use crate::extract::session::Staff;
use crate::pages::admin::{AdminContext, OutboxPage, UndeliveredRow};
use crate::pages::{city_minute, render, PageContext};
use crate::state::AppState;

const PAGE_SIZE: i64 = 100;

/// `z***@example.com`: enough to recognise, not enough to read off a stranger's address.
fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    if !access::may_see_outbox(staff.role) {
        return Err(AppError::Forbidden);
    }
    let before = req
        .query_string()
        .strip_prefix("before=")
        .and_then(|v| v.parse::<i64>().ok());
    let (stats, rows) = state
        .db
        .read(move |conn| {
            Ok((
                outbox::stats(conn)?,
                outbox::undelivered(conn, PAGE_SIZE + 1, before)?,
            ))
        })
        .await?;
    let next_before = (rows.len() as i64 > PAGE_SIZE).then(|| rows[PAGE_SIZE as usize - 1].id);
    let rows = rows
        .into_iter()
        .take(PAGE_SIZE as usize)
        .map(|row| UndeliveredRow {
            id: row.id,
            created: city_minute(row.created_at),
            recipient: if row.recipient_kind == "department" {
                row.recipient.clone()
            } else {
                mask_address(&row.recipient)
            },
            // A complainant's subject carries their tracking code: never shown to staff.
            subject: TrackingCode::mask_in(&row.subject),
            state: row.state.clone(),
            attempts: row.attempts,
            reason: TrackingCode::mask_in(row.last_error.as_deref().unwrap_or_default()),
        })
        .collect();
    let reference = state.reference().await?;
    let mut admin = AdminContext::new(
        PageContext::new(&req, "/admin/outbox"),
        Some(&staff),
        Some(&reference),
    );
    if req.query_string() == "retried=1" {
        admin.flash = Some(admin.t("admin.outbox.retried").to_owned());
    }
    Ok(render(
        StatusCode::OK,
        &OutboxPage {
            admin,
            counts: stats.by_state,
            rows,
            next_before,
        },
    ))
}

#[tracing::instrument(skip_all, fields(user = %posted.staff.username))]
pub async fn retry(
    id: web::Path<String>,
    posted: StaffForm<NoFields>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let staff = posted.staff;
    if !access::may_see_outbox(staff.role) {
        return Err(AppError::Forbidden);
    }
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let now = now_utc();
    let retried = state
        .db
        .write(move |conn| outbox::retry(conn, id, now))
        .await?;
    if !retried {
        // Unknown, already pending or already sent: nothing to do.
        return Err(AppError::NotFound);
    }
    state.mail_wakeup.notify_one();
    tracing::info!(user = %staff.username, outbox = id, "email retry requested");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin/outbox?retried=1"))
        .finish())
}

#[cfg(test)]
mod tests {
    #[test]
    fn complainant_addresses_are_masked() {
        assert_eq!(
            super::mask_address("zhang.san@example.com"),
            "z***@example.com"
        );
        assert_eq!(super::mask_address("nonsense"), "***");
    }
}
