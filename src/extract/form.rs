//! The extractors of a posted form, in the order of DESIGN §4: a form body (`415`
//! otherwise) within its limit (`413`), then the CSRF check (`403`), then text that is
//! UTF-8 (`422` naming the field), then the fields read into the form's type. A multipart
//! body is read only with a cookie that can make a pair, in an upload slot, and its files
//! only after the token (`form_body::CsrfGate`). What
//! follows — honeypot, rate limit, validation and its `422` page — is the handler's.

use std::collections::HashSet;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use super::app_state;
use super::csrf;
use super::form_body::{read_form, CsrfGate, FormBody, Uploads};
use super::session::Staff;
use crate::clock::now_utc;
use crate::errors::AppError;

pub use super::form_body::CSRF_FIELD;

/// A form type: raw fields (all strings, STYLE), every one optional and defaulted, so that
/// nothing a browser sends or leaves out fails to read. Unknown fields, the token among
/// them, are ignored.
pub trait FormFields: DeserializeOwned + Default + 'static {
    /// Whether the form takes files: only then is a multipart body read as one, within
    /// `MULTIPART_LIMIT`; any other form is held to `URLENCODED_LIMIT`.
    const TAKES_FILES: bool = false;
}

/// Every `name=value` pair as sent, repeated names kept: for a handler that reads fields
/// by name (the staff actions).
impl FormFields for Vec<(String, String)> {}

/// A form with no fields but its token (sign-out).
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoFields {}

impl FormFields for NoFields {}

/// A posted form, past its size and CSRF checks.
#[derive(Debug)]
pub struct Posted<F> {
    pub form: F,
    /// The body does not fit the form type (a field sent twice, say). `form` then holds the
    /// first value of each field, for the `422` page to show what was typed.
    pub malformed: bool,
    /// The files, for a form that takes them.
    pub uploads: Uploads,
}

impl<F: FormFields> Posted<F> {
    fn of(body: FormBody) -> Posted<F> {
        let (form, malformed) = match serde_urlencoded::from_str(&body.urlencoded()) {
            Ok(form) => (form, false),
            Err(_) => (first_values(&body.pairs), true),
        };
        Posted {
            form,
            malformed,
            uploads: body.uploads,
        }
    }
}

/// The form read from the first value of each field.
fn first_values<F: FormFields>(pairs: &[(String, String)]) -> F {
    let mut seen = HashSet::new();
    let first: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(name, _)| seen.insert(name.as_str()))
        .collect();
    serde_urlencoded::to_string(&first)
        .ok()
        .and_then(|text| serde_urlencoded::from_str(&text).ok())
        .unwrap_or_default()
}

/// A POST of a public form (and of the sign-in form): checked against the stateless CSRF
/// pair its page handed out (`extract::csrf`).
#[derive(Debug)]
pub struct PublicForm<F>(pub Posted<F>);

/// A POST of a signed-in member: the session first (`303` to sign-in without one), then the
/// body, then the session's CSRF token. The member comes with the form, so the session is
/// read once.
#[derive(Debug)]
pub struct StaffForm<F> {
    pub staff: Staff,
    pub posted: Posted<F>,
}

/// A field that is not UTF-8 text is refused by name (`422`), never stored mangled.
fn refuse_text_not_utf8(body: &FormBody) -> Result<(), AppError> {
    match &body.not_utf8 {
        Some(field) => Err(AppError::NotUtf8(field.clone())),
        None => Ok(()),
    }
}

fn take_payload(req: &HttpRequest, payload: &mut Payload) -> Result<web::Payload, AppError> {
    web::Payload::from_request(req, payload)
        .into_inner()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("taking the request body: {e}")))
}

async fn public_form<F: FormFields>(
    req: HttpRequest,
    payload: Result<web::Payload, AppError>,
) -> Result<PublicForm<F>, AppError> {
    let state = app_state(&req)?;
    let key = &state.config.secret_key;
    let now = now_utc().and_utc().timestamp();
    let secure = state.config.behind_tls();
    let token_ok = |token: Option<&str>| csrf::verify(&req, token, key, now, secure);
    let gate = CsrfGate {
        possible: csrf::has_fresh_cookie(&req, key, now, secure),
        token_ok: &token_ok,
        uploads: &state.uploads,
    };
    let body = read_form(&req, payload?, F::TAKES_FILES, gate).await?;
    // The token is found even in a body the form type cannot take.
    if !token_ok(body.field(CSRF_FIELD)) {
        return Err(AppError::Csrf);
    }
    refuse_text_not_utf8(&body)?;
    Ok(PublicForm(Posted::of(body)))
}

async fn staff_form<F: FormFields>(
    req: HttpRequest,
    payload: Result<web::Payload, AppError>,
) -> Result<StaffForm<F>, AppError> {
    let state = app_state(&req)?;
    let staff = Staff::extract(&req).await?;
    let token_ok = |token: Option<&str>| staff.verify_csrf(token).is_ok();
    let gate = CsrfGate {
        possible: true,
        token_ok: &token_ok,
        uploads: &state.uploads,
    };
    let body = read_form(&req, payload?, F::TAKES_FILES, gate).await?;
    staff.verify_csrf(body.field(CSRF_FIELD))?;
    refuse_text_not_utf8(&body)?;
    Ok(StaffForm {
        staff,
        posted: Posted::of(body),
    })
}

impl<F: FormFields> FromRequest for PublicForm<F> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(public_form(req.clone(), take_payload(req, payload)))
    }
}

impl<F: FormFields> FromRequest for StaffForm<F> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(staff_form(req.clone(), take_payload(req, payload)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct Sample {
        name: Option<String>,
        note: Option<String>,
    }

    impl FormFields for Sample {}

    fn posted(pairs: &[(&str, &str)]) -> Posted<Sample> {
        Posted::of(FormBody {
            pairs: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Default::default()
        })
    }

    #[test]
    fn a_repeated_field_is_malformed_and_keeps_the_first_values() {
        let fine = posted(&[("csrf_token", "t"), ("name", "Li"), ("other", "x")]);
        assert!(!fine.malformed);
        assert_eq!(fine.form.name.as_deref(), Some("Li"));
        assert_eq!(fine.form.note, None);

        let twice = posted(&[("name", "Li"), ("note", "n"), ("name", "Wang")]);
        assert!(twice.malformed);
        assert_eq!(twice.form.name.as_deref(), Some("Li"));
        assert_eq!(twice.form.note.as_deref(), Some("n"));
    }

    #[test]
    fn the_pairs_form_keeps_every_pair() {
        let body = FormBody {
            pairs: vec![("a".into(), "1".into()), ("a".into(), "2".into())],
            ..Default::default()
        };
        let pairs: Posted<Vec<(String, String)>> = Posted::of(body);
        assert!(!pairs.malformed);
        assert_eq!(pairs.form.len(), 2);
    }
}
