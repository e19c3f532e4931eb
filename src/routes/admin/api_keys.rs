//! `/admin/api-keys` (administrators): the Open311 keys; `POST` creates one and answers with
//! the page showing it, once; `POST /admin/api-keys/{id}/revoke` revokes one at once.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::clock::now_utc;
use crate::db::api_keys;
use crate::domain::access;
use crate::errors::AppError;
use crate::extract::form::{FormFields, NoFields, StaffForm};
use crate::extract::session::Staff;
use crate::pages::admin::AdminContext;
use crate::pages::api_keys::{ApiKeyView, ApiKeysPage};
use crate::pages::{city_minute, render, PageContext};
use crate::services::open311::{self, KeyProblem};
use crate::state::AppState;

const PATH: &str = "/admin/api-keys";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewKeyForm {
    name: Option<String>,
    limit_per_hour: Option<String>,
}

impl FormFields for NewKeyForm {}

struct Shown {
    new_key: Option<String>,
    error: Option<&'static str>,
    name: String,
    limit: String,
}

async fn page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    shown: Shown,
) -> Result<HttpResponse, AppError> {
    let keys = state.db.read(api_keys::all).await?;
    let keys = keys
        .into_iter()
        .map(|k| ApiKeyView {
            id: k.id,
            name: k.name,
            limit_per_hour: k.limit_per_hour,
            created_at: city_minute(k.created_at),
            last_used: k.last_used_at.map(city_minute),
            revoked: k.revoked_at.is_some(),
        })
        .collect();
    let reference = state.reference().await?;
    let admin = AdminContext::new(PageContext::new(req, PATH), Some(staff), Some(&reference));
    let mut response = render(
        status,
        &ApiKeysPage {
            admin,
            keys,
            new_key: shown.new_key,
            error: shown.error,
            name: shown.name,
            limit: shown.limit,
        },
    );
    // The one page that holds a key: kept by no cache.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    if !access::may_manage(staff.role) {
        return Err(AppError::Forbidden);
    }
    let shown = Shown {
        new_key: None,
        error: None,
        name: String::new(),
        limit: open311::DEFAULT_LIMIT_PER_HOUR.to_string(),
    };
    page(&req, &state, &staff, StatusCode::OK, shown).await
}

#[tracing::instrument(skip_all, fields(user = %posted.staff.username))]
pub async fn create(
    req: HttpRequest,
    posted: StaffForm<NewKeyForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let staff = posted.staff;
    if !access::may_manage(staff.role) {
        return Err(AppError::Forbidden);
    }
    let form = posted.posted.form;
    let name = form.name.unwrap_or_default();
    let limit = form.limit_per_hour.unwrap_or_default();
    let parsed = if posted.posted.malformed {
        Err(KeyProblem::Name)
    } else {
        open311::parse_key_settings(&name, Some(&limit))
    };
    let (name_ok, limit_ok) = match parsed {
        Ok(ok) => ok,
        Err(problem) => {
            let error = match problem {
                KeyProblem::Name => "admin.api_keys.error.name",
                KeyProblem::Limit => "admin.api_keys.error.limit",
            };
            let shown = Shown {
                new_key: None,
                error: Some(error),
                name,
                limit,
            };
            return page(
                &req,
                &state,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                shown,
            )
            .await;
        }
    };
    let (id, key) = open311::create_key(&state.db, name_ok, limit_ok, now_utc()).await?;
    tracing::info!(api_key = id, "API key created");
    let shown = Shown {
        new_key: Some(key),
        error: None,
        name: String::new(),
        limit: open311::DEFAULT_LIMIT_PER_HOUR.to_string(),
    };
    page(&req, &state, &staff, StatusCode::OK, shown).await
}

#[tracing::instrument(skip_all, fields(user = %posted.staff.username))]
pub async fn revoke(
    id: web::Path<String>,
    posted: StaffForm<NoFields>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if !access::may_manage(posted.staff.role) {
        return Err(AppError::Forbidden);
    }
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let now = now_utc();
    let revoked = state
        .db
        .write(move |conn| api_keys::revoke(conn, id, now))
        .await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    tracing::info!(api_key = id, "API key revoked");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, PATH))
        .finish())
}
