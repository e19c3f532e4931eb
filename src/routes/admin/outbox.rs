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

/// `text` with every email address in it masked as `mask_address` does: a mail server's
/// refusal often echoes the recipient, who may be an anonymous reporter.
fn redact_addresses(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let in_local = |c: char| c.is_alphanumeric() || "._%+-!#$&'*/=?^`{|}~".contains(c);
    let in_domain = |c: char| c.is_alphanumeric() || c == '.' || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '@' {
            i += 1;
            continue;
        }
        let mut start = i;
        while start > copied && in_local(chars[start - 1]) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < chars.len() && in_domain(chars[end]) {
            end += 1;
        }
        if start < i && end > i + 1 {
            out.extend(&chars[copied..start]);
            let address: String = chars[start..end].iter().collect();
            out.push_str(&mask_address(&address));
            copied = end;
        }
        i = end.max(i + 1);
    }
    out.extend(&chars[copied..]);
    out
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
            reason: redact_addresses(&TrackingCode::mask_in(
                row.last_error.as_deref().unwrap_or_default(),
            )),
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

    #[test]
    fn addresses_in_a_servers_reason_are_masked() {
        for (reason, shown) in [
            (
                "550 5.1.1 <anon.reporter@example.org>: Recipient address rejected",
                "550 5.1.1 <a***@example.org>: Recipient address rejected",
            ),
            (
                "to a@b.cn and x+y@例子.中国, not @alone or trailing@",
                "to a***@b.cn and x***@例子.中国, not @alone or trailing@",
            ),
            ("no address here", "no address here"),
            ("", ""),
        ] {
            assert_eq!(super::redact_addresses(reason), shown, "{reason}");
        }
    }
}
