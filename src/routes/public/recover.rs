//! `GET /track/recover` and `POST /track/recover`: "I lost my tracking code". The tracking
//! links of the cases filed with an email address are mailed to that address, through the
//! outbox; the page answers the same whether or not the address is known, and shows no code.

use std::net::{IpAddr, Ipv6Addr};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::clock::now_utc;
use crate::db::{outbox, recovery, DbError};
use crate::domain::calendar::city_date;
use crate::domain::fields::{Email, FieldError};
use crate::domain::intake::FieldProblem;
use crate::errors::AppError;
use crate::extract::client::client_addr;
use crate::extract::csrf;
use crate::extract::form::{FormFields, PublicForm};
use crate::extract::locale::locale_of;
use crate::mail::messages::{self, RecoveredCase};
use crate::pages::public::RecoverPage;
use crate::pages::{render, PageContext};
use crate::state::AppState;

pub const PATH: &str = "/track/recover";
/// At most this many cases are listed in one message, newest first.
const MAX_CASES: i64 = 50;
const EMAIL_MAX: usize = 254;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RecoverForm {
    email: Option<String>,
}

impl FormFields for RecoverForm {}

async fn respond(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    email: String,
    error: Option<String>,
    sent: bool,
) -> Result<HttpResponse, AppError> {
    let pair = csrf::pair_for_page(req, &state.config);
    let page = RecoverPage {
        ctx: PageContext::new(req, PATH),
        csrf_token: pair.token.clone(),
        email,
        error,
        sent,
    };
    let mut response = render(status, &page);
    csrf::set_cookie(&mut response, &pair, &state.config)?;
    Ok(response)
}

#[tracing::instrument(skip_all)]
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    respond(&req, &state, StatusCode::OK, String::new(), None, false).await
}

/// The per-address limiter's key: a keyed hash of the address (case-folded, so that
/// spellings of one mailbox share a budget) in the shape the limiter takes. The limiter's
/// memory thus never holds an email address.
fn address_key(secret: &[u8], address: &str) -> IpAddr {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(b"recover-address\0");
    mac.update(address.to_lowercase().as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    IpAddr::V6(Ipv6Addr::from(first))
}

/// The cases filed with `address`, as the message lists them.
async fn cases_filed_with(
    state: &AppState,
    address: String,
) -> Result<Vec<RecoveredCase>, AppError> {
    let rows = state
        .db
        .read(move |conn| recovery::cases_filed_with(conn, &address, MAX_CASES))
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| RecoveredCase {
            tracking_code: row.tracking_code,
            filed_on: city_date(row.created_at),
        })
        .collect())
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    PublicForm(posted): PublicForm<RecoverForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    let client = client_addr(&req, &state.config.trusted_proxies);
    state
        .recover_client_limit
        .hit(client)
        .await
        .map_err(AppError::RateLimited)?;

    let typed = posted.form.email.unwrap_or_default();
    let parsed = if typed.trim().is_empty() {
        Err(FieldError::Required)
    } else {
        Email::parse(&typed)
    };
    let email = match parsed {
        Ok(email) => email,
        Err(problem) => {
            let locale = locale_of(&req);
            let message = crate::i18n::t_args(
                locale,
                &FieldProblem::Field(problem).message_key("email"),
                &[("max", &EMAIL_MAX.to_string())],
            );
            return respond(
                &req,
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                typed,
                Some(message),
                false,
            )
            .await;
        }
    };
    state
        .recover_address_limit
        .hit(address_key(&state.config.secret_key, email.as_str()))
        .await
        .map_err(AppError::RateLimited)?;

    let cases = cases_filed_with(&state, email.as_str().to_owned()).await?;
    let row = if cases.is_empty() {
        None
    } else {
        let message = messages::tracking_codes(
            &cases,
            locale_of(&req),
            email.as_str().to_owned(),
            &state.config.base_url,
        )?;
        Some(message.into_outbox_row(None, now))
    };
    let queued = row.is_some();
    // A write either way, so that a known address does not answer visibly slower.
    state
        .db
        .write(move |conn| -> Result<(), DbError> {
            if let Some(row) = &row {
                outbox::insert(conn, row)?;
            }
            Ok(())
        })
        .await?;
    if queued {
        state.mail_wakeup.notify_one();
    }
    tracing::info!("tracking codes requested by email");
    respond(&req, &state, StatusCode::OK, String::new(), None, true).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_key_is_keyed_and_case_folded() {
        let a = address_key(&[1; 64], "Zhang.San@example.com");
        assert_eq!(a, address_key(&[1; 64], "zhang.san@example.com"));
        assert_ne!(a, address_key(&[2; 64], "zhang.san@example.com"));
        assert_ne!(a, address_key(&[1; 64], "li.si@example.com"));
    }
}
