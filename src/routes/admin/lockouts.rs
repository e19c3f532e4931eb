//! `GET /admin/lockouts` (the office and administrators): the sign-in lock-outs of the last
//! 24 hours — a username locked at every address that failed, or at one address — so that
//! an attack on an account is seen, not only felt by the clerk who cannot get in.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Duration;

use crate::clock::now_utc;
use crate::db::sessions;
use crate::domain::access;
use crate::domain::login::FORGET_AFTER_HOURS;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::pages::admin::{AdminContext, LockoutRow, LockoutsPage};
use crate::pages::{city_minute, render, PageContext};
use crate::state::AppState;

const SHOWN: i64 = 200;

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    if !access::may_see_outbox(staff.role) {
        return Err(AppError::Forbidden);
    }
    let now = now_utc();
    let since = now - Duration::hours(FORGET_AFTER_HOURS);
    let rows = state
        .db
        .read(move |conn| sessions::recent_lockouts(conn, since, SHOWN))
        .await?;
    let rows = rows
        .into_iter()
        .map(|row| LockoutRow {
            still_locked: row.locked_until > now,
            username: row.username,
            address: row.address,
            failures: row.failures,
            last_failure: city_minute(row.last_failure_at),
            locked_until: city_minute(row.locked_until),
        })
        .collect();
    let reference = state.reference().await?;
    let admin = AdminContext::new(
        PageContext::new(&req, "/admin/lockouts"),
        Some(&staff),
        Some(&reference),
    );
    Ok(render(StatusCode::OK, &LockoutsPage { admin, rows }))
}
