//! `POST requests`: a filing by other software, with an API key instead of CSRF, the
//! honeypot and the per-address limit; the same validation, routing and emails as the form.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::{answer, check, refuse, refuse_all, Checked};
use crate::clock::now_utc;
use crate::errors::AppError;
use crate::i18n::{t, t_args};
use crate::pages::open311 as shapes;
use crate::services::open311::{self as api, FilingParams, FilingRefusal};
use crate::state::AppState;

/// The form's own limit (DESIGN §4): a 5,000-character Chinese description fits.
const BODY_LIMIT: usize = 64 * 1024;

#[tracing::instrument(skip_all)]
pub async fn create(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let format = super::format_of(&req);
    let bytes = match body.to_bytes_limited(BODY_LIMIT).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            return refuse(
                format,
                StatusCode::BAD_REQUEST,
                t_args(
                    crate::extract::locale::locale_of(&req),
                    "open311.error.parameter",
                    &[("parameter", "body")],
                ),
            );
        }
        Err(_) => return Ok(HttpResponse::PayloadTooLarge().finish()),
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(text) => text,
        Err(_) => {
            return refuse(
                format,
                StatusCode::BAD_REQUEST,
                t_args(
                    crate::extract::locale::locale_of(&req),
                    "open311.error.parameter",
                    &[("parameter", "body")],
                ),
            );
        }
    };
    let Checked { params, locale, .. } = match check(&req, &state, Some(text)).await {
        Ok(c) => c,
        Err(response) => return Ok(response),
    };
    let own = |name: &str| params.get(name).map(str::to_owned);
    let filing = FilingParams {
        service_code: own("service_code"),
        kind: own("attribute[kind]"),
        district: own("attribute[district]"),
        business_name: own("attribute[business_name]"),
        address_string: own("address_string"),
        description: own("description"),
        first_name: own("first_name"),
        last_name: own("last_name"),
        phone: own("phone"),
        email: own("email"),
        account_id: own("account_id"),
    };
    let reference = state.reference().await?;
    let now = now_utc();
    let key = params.get("api_key");
    match api::file(
        &state.db,
        &reference,
        &state.config,
        key,
        &filing,
        locale,
        now,
    )
    .await
    {
        Ok((public_id, _)) => {
            tracing::info!(case = %public_id, "complaint filed through Open311");
            state.mail_wakeup.notify_one();
            let created = [api::created(&public_id, &filing, locale)];
            answer(format, StatusCode::OK, shapes::created(format, &created))
        }
        Err(FilingRefusal::Key) => refuse(
            format,
            StatusCode::FORBIDDEN,
            t(locale, "open311.error.api_key").to_owned(),
        ),
        Err(FilingRefusal::Limit(limit)) => refuse(
            format,
            StatusCode::TOO_MANY_REQUESTS,
            t_args(
                locale,
                "open311.error.limit",
                &[("limit", &limit.to_string())],
            ),
        ),
        Err(FilingRefusal::Fields(problems)) => refuse_all(
            format,
            StatusCode::BAD_REQUEST,
            problems
                .into_iter()
                .map(|(parameter, message)| {
                    t_args(
                        locale,
                        "open311.error.field",
                        &[("parameter", parameter), ("message", &message)],
                    )
                })
                .collect(),
        ),
        Err(FilingRefusal::Failed(error)) => Err(error.into()),
    }
}
