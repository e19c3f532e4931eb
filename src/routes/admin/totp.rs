//! Two-step sign-in for staff (TOTP): `GET|POST /admin/security` (enrolment: QR code and
//! key, a first code, then ten recovery codes shown once) and `GET|POST /admin/login/totp`
//! (the second step). After a right password, an enrolled member — or one whose role is in
//! `REQUIRE_TOTP_ROLES` and is not enrolled yet — gets a pending sign-in (cookie
//! `gc_pending`, 10 minutes), not a session: the session starts only after the code (or,
//! for a forced enrolment, after the first code). Codes are throttled with the sign-in
//! counters of the username and the address (`services::sign_in`).

use std::collections::HashSet;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDateTime};
use serde::Deserialize;

use crate::clock::now_utc;
use crate::db::totp::{self as store, EnrolmentRow, PendingSignInRow};
use crate::db::users::{self, UserRow};
use crate::errors::AppError;
use crate::extract::client::client_addr;
use crate::extract::csrf;
use crate::extract::form::{FormFields, PublicForm};
use crate::extract::session::{self, Staff};
use crate::pages::admin::AdminContext;
use crate::pages::security::{RecoveryCodesPage, TotpEnrolPage, TotpStatusPage, TotpStepPage};
use crate::pages::{render, PageContext};
use crate::services::sign_in::Checked;
use crate::services::totp;
use crate::state::AppState;

pub const PENDING_COOKIE: &str = "gc_pending";
pub const SECURITY_PATH: &str = "/admin/security";
pub const STEP_PATH: &str = "/admin/login/totp";
/// How long the second step may wait after the password.
const PENDING_MINUTES: i64 = 10;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CodeForm {
    code: Option<String>,
}

impl FormFields for CodeForm {}

fn pending_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(PENDING_COOKIE, value)
        .path("/admin")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

fn pending_removal() -> Cookie<'static> {
    let mut cookie = Cookie::build(PENDING_COOKIE, "").path("/admin").finish();
    cookie.make_removal();
    cookie
}

fn unix_seconds(at: NaiveDateTime) -> u64 {
    at.and_utc().timestamp().max(0) as u64
}

/// Where a right password leads `user`: `None` straight into a session; the second step
/// for an enrolled member; the enrolment for a role that must have one.
pub(super) async fn after_password(
    state: &AppState,
    user: &UserRow,
) -> Result<Option<&'static str>, AppError> {
    let id = user.id.to_string();
    let enrolment = state
        .db
        .read(move |conn| store::enrolment(conn, &id))
        .await?;
    let enrolled = enrolment.is_some_and(|e| e.confirmed_at.is_some());
    Ok(if enrolled {
        Some(STEP_PATH)
    } else if state.config.require_totp_roles.contains(&user.role) {
        Some(SECURITY_PATH)
    } else {
        None
    })
}

/// A pending sign-in for `user` (the password was right), as a `303` to `next`.
pub(super) async fn start_pending(
    state: &AppState,
    user: &UserRow,
    next: &str,
) -> Result<HttpResponse, AppError> {
    let (value, id_hash) = session::new_session_id();
    let now = now_utc();
    let row = PendingSignInRow {
        id_hash: id_hash.clone(),
        user_id: user.id.to_string(),
        created_at: now,
    };
    let expired = now - Duration::minutes(PENDING_MINUTES);
    state
        .db
        .write(move |conn| {
            store::delete_pending(conn, "", expired)?;
            store::insert_pending(conn, &row)
        })
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(pending_cookie(value, state.config.behind_tls()))
        .finish())
}

/// The user of the request's live pending sign-in, and its id hash.
async fn pending_user(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<(UserRow, String)>, AppError> {
    let Some(cookie) = req.cookie(PENDING_COOKIE) else {
        return Ok(None);
    };
    let hash = session::hash_session_id(cookie.value());
    let since = now_utc() - Duration::minutes(PENDING_MINUTES);
    let key = hash.clone();
    let found = state
        .db
        .read(move |conn| {
            let Some(pending) = store::pending(conn, &key, since)? else {
                return Ok(None);
            };
            users::find_by_id(conn, &pending.user_id)
        })
        .await?;
    Ok(found.filter(|u| u.active).map(|u| (u, hash)))
}

/// Turns the pending sign-in into a session: the session cookie, the pending one removed.
async fn finish_sign_in(
    req: &HttpRequest,
    state: &AppState,
    user: &UserRow,
    pending_hash: String,
    response: &mut HttpResponse,
) -> Result<(), AppError> {
    let now = now_utc();
    let client = client_addr(req, &state.config.trusted_proxies);
    let old = req
        .cookie(session::SESSION_COOKIE)
        .map(|c| session::hash_session_id(c.value()));
    let value = super::login::sign_in(state, user, old, client, now).await?;
    let expired = now - Duration::minutes(PENDING_MINUTES);
    state
        .db
        .write(move |conn| store::delete_pending(conn, &pending_hash, expired))
        .await?;
    response
        .add_cookie(&session::session_cookie(value, state.config.behind_tls()))
        .map_err(|e| anyhow::anyhow!("setting the session cookie: {e}"))?;
    response
        .add_cookie(&pending_removal())
        .map_err(|e| anyhow::anyhow!("removing the pending cookie: {e}"))?;
    tracing::info!(user = %user.username, "signed in with a second factor");
    Ok(())
}

fn see_other(path: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, path))
        .finish()
}

// The second step.

fn step_page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let pair = csrf::pair_for_page(req, &state.config);
    let page = TotpStepPage {
        admin: AdminContext::new(PageContext::new(req, STEP_PATH), None, None),
        csrf_token: pair.token.clone(),
        error,
    };
    let mut response = render(status, &page);
    csrf::set_cookie(&mut response, &pair, &state.config)?;
    Ok(response)
}

#[tracing::instrument(skip_all)]
pub async fn show_step(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    match pending_user(&req, &state).await? {
        Some(_) => step_page(&req, &state, StatusCode::OK, None),
        None => Ok(see_other("/admin/login")),
    }
}

/// What a right code proved, to be taken once in the database.
enum Proof {
    Step(i64),
    Recovery(String),
}

#[tracing::instrument(skip_all)]
pub async fn submit_step(
    req: HttpRequest,
    PublicForm(posted): PublicForm<CodeForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let Some((user, pending_hash)) = pending_user(&req, &state).await? else {
        return Ok(see_other("/admin/login"));
    };
    let locale = crate::extract::locale::locale_of(&req);
    let wrong = || crate::i18n::t(locale, "admin.totp.wrong_code").to_owned();
    let code: String = posted
        .form
        .code
        .unwrap_or_default()
        .chars()
        .take(32)
        .collect();
    if posted.malformed || code.trim().is_empty() {
        return step_page(
            &req,
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(wrong()),
        );
    }
    let id = user.id.to_string();
    let (enrolment, recovery) = state
        .db
        .read(move |conn| {
            use crate::db::schema::totp_recovery_codes as r;
            use diesel::prelude::*;
            let enrolment = store::enrolment(conn, &id)?;
            let hashes: Vec<String> = r::table
                .filter(r::user_id.eq(&id))
                .filter(r::used_at.is_null())
                .select(r::code_hash)
                .load(conn)?;
            Ok((enrolment, hashes))
        })
        .await?;
    let Some(enrolment) = enrolment.filter(|e| e.confirmed_at.is_some()) else {
        return Ok(see_other("/admin/login"));
    };
    let secret = totp::open(
        &state.config.secret_key,
        &enrolment.user_id,
        &enrolment.sealed_secret,
    )
    .ok_or_else(|| anyhow::anyhow!("the TOTP secret of {} does not open", user.username))?;
    let recovery: HashSet<String> = recovery.into_iter().collect();
    let (secret_key, user_id) = (state.config.secret_key.clone(), enrolment.user_id.clone());
    let now = now_utc();
    let last_step = enrolment.last_step;
    let client = client_addr(&req, &state.config.trusted_proxies);
    let checked = state
        .sign_in
        .check(&state.db, &user.username, client, move || {
            if totp::looks_like_recovery_code(&code) {
                let hash = totp::recovery_code_hash(&secret_key, &user_id, &code);
                recovery.contains(&hash).then_some(Proof::Recovery(hash))
            } else {
                totp::accepted_step(&secret, &code, unix_seconds(now), last_step).map(Proof::Step)
            }
        })
        .await?;
    match checked {
        Checked::Passed(proof) => {
            let id = user.id.to_string();
            let taken = state
                .db
                .write(move |conn| match &proof {
                    Proof::Step(step) => store::take_step(conn, &id, *step),
                    Proof::Recovery(hash) => store::use_recovery_code(conn, &id, hash, now),
                })
                .await?;
            if !taken {
                // A racing request took the same code first.
                return step_page(&req, &state, StatusCode::UNAUTHORIZED, Some(wrong()));
            }
            let mut response = see_other("/admin");
            finish_sign_in(&req, &state, &user, pending_hash, &mut response).await?;
            Ok(response)
        }
        Checked::Failed => step_page(&req, &state, StatusCode::UNAUTHORIZED, Some(wrong())),
        Checked::RateLimited(retry) => Err(AppError::RateLimited(retry)),
        Checked::Busy => Err(AppError::Busy),
        Checked::Locked { until } => {
            let wait = (until - now_utc()).num_seconds().max(1);
            let minutes = (wait + 59) / 60;
            let message = crate::i18n::t_args(
                locale,
                "admin.totp.locked",
                &[("minutes", &minutes.to_string())],
            );
            let mut response =
                step_page(&req, &state, StatusCode::TOO_MANY_REQUESTS, Some(message))?;
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(wait as u64));
            Ok(response)
        }
    }
}

// Enrolment.

/// Who is enrolling: a signed-in member, or one whose role forces enrolment at sign-in
/// (with the pending sign-in's hash).
enum Enrolling {
    SignedIn(Staff),
    Forced(UserRow, String),
}

async fn enrolling(
    req: &HttpRequest,
    state: &AppState,
    staff: Option<Staff>,
) -> Result<Option<(Enrolling, UserRow)>, AppError> {
    if let Some(staff) = staff {
        let id = staff.user_id.clone();
        let user = state
            .db
            .read(move |conn| users::find_by_id(conn, &id))
            .await?
            .ok_or(AppError::Unauthenticated)?;
        return Ok(Some((Enrolling::SignedIn(staff), user)));
    }
    Ok(pending_user(req, state)
        .await?
        .filter(|(user, _)| state.config.require_totp_roles.contains(&user.role))
        .map(|(user, hash)| (Enrolling::Forced(user.clone(), hash), user)))
}

async fn frame(
    req: &HttpRequest,
    state: &AppState,
    who: &Enrolling,
) -> Result<AdminContext, AppError> {
    let ctx = PageContext::new(req, SECURITY_PATH);
    Ok(match who {
        Enrolling::SignedIn(staff) => {
            let reference = state.reference().await?;
            AdminContext::new(ctx, Some(staff), Some(&reference))
        }
        Enrolling::Forced(..) => AdminContext::new(ctx, None, None),
    })
}

async fn enrol_page(
    req: &HttpRequest,
    state: &AppState,
    who: &Enrolling,
    user: &UserRow,
    enrolment: &EnrolmentRow,
    status: StatusCode,
    error: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let secret = totp::open(
        &state.config.secret_key,
        &enrolment.user_id,
        &enrolment.sealed_secret,
    )
    .ok_or_else(|| anyhow::anyhow!("the TOTP secret of {} does not open", user.username))?;
    let admin = frame(req, state, who).await?;
    let pair = csrf::pair_for_page(req, &state.config);
    let page = TotpEnrolPage {
        error: error.map(|key| admin.t(key).to_owned()),
        admin,
        csrf_token: pair.token.clone(),
        qr_svg: totp::qr_svg(&totp::otpauth_url(&secret, &user.username))?,
        secret_text: totp::secret_text(&secret),
        forced: matches!(who, Enrolling::Forced(..)),
    };
    let mut response = render(status, &page);
    csrf::set_cookie(&mut response, &pair, &state.config)?;
    Ok(response)
}

#[tracing::instrument(skip_all)]
pub async fn show_security(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Option<Staff>,
) -> Result<HttpResponse, AppError> {
    let Some((who, user)) = enrolling(&req, &state, staff).await? else {
        return Ok(see_other("/admin/login"));
    };
    let now = now_utc();
    let id = user.id.to_string();
    let sealed = totp::seal(&state.config.secret_key, &id, &totp::new_secret())?;
    let fresh = EnrolmentRow {
        user_id: id.clone(),
        sealed_secret: sealed,
        confirmed_at: None,
        last_step: None,
        created_at: now,
    };
    let (enrolment, left) = state
        .db
        .write(move |conn| -> Result<_, crate::db::DbError> {
            let enrolment = store::start_enrolment(conn, &fresh)?;
            let left = store::unused_recovery_codes(conn, &id)?;
            Ok((enrolment, left))
        })
        .await?;
    if enrolment.confirmed_at.is_some() {
        let admin = frame(&req, &state, &who).await?;
        let recovery_left = admin
            .ctx
            .t_args("admin.totp.recovery_left", &[("count", &left.to_string())]);
        return Ok(render(
            StatusCode::OK,
            &TotpStatusPage {
                admin,
                recovery_left,
            },
        ));
    }
    enrol_page(&req, &state, &who, &user, &enrolment, StatusCode::OK, None).await
}

#[tracing::instrument(skip_all)]
pub async fn submit_security(
    req: HttpRequest,
    PublicForm(posted): PublicForm<CodeForm>,
    state: web::Data<AppState>,
    staff: Option<Staff>,
) -> Result<HttpResponse, AppError> {
    let Some((who, user)) = enrolling(&req, &state, staff).await? else {
        return Ok(see_other("/admin/login"));
    };
    let id = user.id.to_string();
    let enrolment = state
        .db
        .read(move |conn| store::enrolment(conn, &id))
        .await?;
    let Some(enrolment) = enrolment.filter(|e| e.confirmed_at.is_none()) else {
        // Already enrolled (or never started): the page says where things stand.
        return Ok(see_other(SECURITY_PATH));
    };
    let secret = totp::open(
        &state.config.secret_key,
        &enrolment.user_id,
        &enrolment.sealed_secret,
    )
    .ok_or_else(|| anyhow::anyhow!("the TOTP secret of {} does not open", user.username))?;
    let now = now_utc();
    let code = posted.form.code.unwrap_or_default();
    let step = (!posted.malformed)
        .then(|| totp::accepted_step(&secret, &code, unix_seconds(now), None))
        .flatten();
    let Some(step) = step else {
        return enrol_page(
            &req,
            &state,
            &who,
            &user,
            &enrolment,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("admin.totp.wrong_code"),
        )
        .await;
    };
    let codes = totp::new_recovery_codes();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| totp::recovery_code_hash(&state.config.secret_key, &enrolment.user_id, c))
        .collect();
    let id = enrolment.user_id.clone();
    let confirmed = state
        .db
        .write(move |conn| -> Result<bool, crate::db::DbError> {
            if !store::confirm(conn, &id, step, now)? {
                return Ok(false);
            }
            store::replace_recovery_codes(conn, &id, &hashes)?;
            Ok(true)
        })
        .await?;
    if !confirmed {
        return Ok(see_other(SECURITY_PATH));
    }
    tracing::info!(user = %user.username, "second factor enrolled");
    let admin = frame(&req, &state, &who).await?;
    let mut response = render(StatusCode::OK, &RecoveryCodesPage { admin, codes });
    if let Enrolling::Forced(user, pending_hash) = who {
        finish_sign_in(&req, &state, &user, pending_hash, &mut response).await?;
    }
    Ok(response)
}
