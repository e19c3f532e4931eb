//! `GET /complaints/new` and `POST /complaints`: the public form. Checks run in the order
//! of DESIGN §4 — size, CSRF, honeypot, rate limit, validation — and nothing is written
//! before they all pass.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::clock::now_utc;
use crate::db::reference::{Named, ReferenceData};
use crate::domain::attachment::{safe_file_name, sniff};
use crate::domain::calendar::city_date;
use crate::domain::complaint::Channel;
use crate::domain::intake::{limits, ComplaintInput, FieldProblem, FieldProblems, NewComplaint};
use crate::errors::AppError;
use crate::extract::client::client_addr;
use crate::extract::csrf;
use crate::extract::form::{FormFields, Posted, PublicForm};
use crate::extract::form_body::{FileProblem, Uploads};
use crate::pages::public::{
    field_message, Choice, ComplaintFormPage, ComplaintFormParts, FormValues, TextField,
};
use crate::pages::{render, PageContext};
use crate::services::filing::{self, Attachment, FilingOutcome, FilingRequest, Submitter};
use crate::state::{AppState, DefaultDeadlines};

pub const FORM_PATH: &str = "/complaints/new";
/// Shown once on the tracking page after filing, then forgotten.
pub const RECEIPT_COOKIE: &str = "gc_receipt";
/// How long after filing the receipt (with its copy of what was submitted) can be shown.
const RECEIPT_MINUTES: i64 = 10;

/// The receipt cookie's value: `code.issued.mac`, the MAC keyed by `SECRET_KEY`, so that
/// only the browser that filed is shown the copy of what it submitted (a cookie typed by
/// someone who merely knows the code is not the server's).
pub fn receipt_value(key: &[u8], code: &str, now_unix: i64) -> String {
    use base64::Engine as _;
    use hmac::Mac as _;
    let mac = receipt_mac(key, code, now_unix).finalize().into_bytes();
    format!(
        "{code}.{now_unix}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac)
    )
}

/// Whether `value` is a receipt this server issued for `code` in the last minutes.
pub fn receipt_matches(key: &[u8], value: &str, code: &str, now_unix: i64) -> bool {
    use base64::Engine as _;
    use hmac::Mac as _;
    let mut parts = value.splitn(3, '.');
    let (Some(named), Some(issued), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(issued) = issued.parse::<i64>() else {
        return false;
    };
    let Ok(mac) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(mac) else {
        return false;
    };
    named == code
        && (0..=RECEIPT_MINUTES * 60).contains(&(now_unix - issued))
        && receipt_mac(key, code, issued).verify_slice(&mac).is_ok()
}

fn receipt_mac(key: &[u8], code: &str, issued: i64) -> hmac::Hmac<sha2::Sha256> {
    use hmac::Mac as _;
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"receipt\0");
    mac.update(code.as_bytes());
    mac.update(b"\0");
    mac.update(issued.to_string().as_bytes());
    mac
}

/// The form as posted: every field raw and optional, so that nothing a browser sends
/// (or leaves out) is a framework error. The CSRF token is the extractor's.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ComplaintForm {
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
    submission_id: Option<String>,
    website: Option<String>,
}

impl FormFields for ComplaintForm {
    const TAKES_FILES: bool = true;
}

impl ComplaintForm {
    pub(crate) fn submission_id(&self) -> Option<&str> {
        self.submission_id.as_deref()
    }

    pub(crate) fn input(&self) -> ComplaintInput<'_> {
        ComplaintInput {
            kind: self.kind.as_deref(),
            category: self.category.as_deref(),
            district: self.district.as_deref(),
            business_name: self.business_name.as_deref(),
            business_address: self.business_address.as_deref(),
            business_credit_code: self.business_credit_code.as_deref(),
            product: self.product.as_deref(),
            incident_date: self.incident_date.as_deref(),
            description: self.description.as_deref(),
            demand: self.demand.as_deref(),
            complainant_name: self.complainant_name.as_deref(),
            phone: self.phone.as_deref(),
            email: self.email.as_deref(),
            anonymous: is_checked(&self.anonymous),
            consent: is_checked(&self.consent),
        }
    }

    pub(crate) fn values(&self) -> FormValues {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let fields = [
            ("business_name", &self.business_name),
            ("business_address", &self.business_address),
            ("business_credit_code", &self.business_credit_code),
            ("product", &self.product),
            ("incident_date", &self.incident_date),
            ("description", &self.description),
            ("demand", &self.demand),
            ("complainant_name", &self.complainant_name),
            ("phone", &self.phone),
            ("email", &self.email),
        ]
        .into_iter()
        .map(|(name, value)| (name, text(value)))
        .collect();
        FormValues {
            kind: text(&self.kind),
            category: text(&self.category),
            district: text(&self.district),
            fields,
            anonymous: is_checked(&self.anonymous),
            consent: is_checked(&self.consent),
        }
    }
}

/// Every uploaded file must be a JPEG, PNG or PDF by its bytes, within the limits.
pub fn check_files(uploads: &Uploads) -> Result<Vec<Attachment>, FieldProblem> {
    match uploads.problem {
        Some(FileProblem::TooLarge) => return Err(FieldProblem::FileTooLarge),
        Some(FileProblem::TooMany) => return Err(FieldProblem::TooManyFiles),
        None => {}
    }
    uploads
        .files
        .iter()
        .map(|file| {
            let kind = sniff(&file.bytes).ok_or(FieldProblem::FileType)?;
            Ok(Attachment {
                file_name: safe_file_name(&file.file_name, kind),
                kind,
                bytes: file.bytes.clone(),
            })
        })
        .collect()
}

fn is_checked(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.is_empty())
}

pub(crate) fn valid_submission_id(raw: Option<&str>) -> Option<String> {
    raw.and_then(|s| uuid::Uuid::parse_str(s.trim()).ok())
        .map(|u| u.hyphenated().to_string())
}

/// The form page, fresh or re-rendered with what was typed and what is wrong.
pub(crate) struct FormRender<'a> {
    pub values: FormValues,
    pub problems: Option<&'a FieldProblems>,
    pub form_error: Option<&'static str>,
    pub submission_id: String,
}

/// The form's fields for `ctx`'s language, with what was typed and what is wrong.
pub(crate) fn form_parts(
    ctx: &PageContext,
    reference: &ReferenceData,
    csrf_token: String,
    form: FormRender<'_>,
    consent_key: &str,
) -> ComplaintFormParts {
    let deadlines = DefaultDeadlines::of(reference);
    let deadlines_args = deadlines.args();
    let locale = ctx.locale;
    let message = |field: &str| -> Option<String> {
        let problem = form.problems?.get(field)?;
        Some(field_message(locale, field, problem))
    };
    let field = |name: &'static str,
                 required: bool,
                 multiline: bool,
                 max: usize,
                 input_type: &'static str,
                 autocomplete: Option<&'static str>,
                 hinted: bool| TextField {
        name,
        label: ctx.t(&format!("form.{name}.label")),
        hint: hinted.then(|| ctx.t(&format!("form.{name}.hint"))),
        value: form.values.fields.get(name).cloned().unwrap_or_default(),
        error: message(name),
        // The contact fields say what a complaint and a report need of them.
        requirement: match name {
            "complainant_name" => Some(ctx.t("resident.contact.name")),
            "phone" | "email" => Some(ctx.t("resident.contact.phone_or_email")),
            _ => None,
        },
        required,
        multiline,
        max,
        input_type,
        autocomplete,
    };
    let business_fields = vec![
        field(
            "business_name",
            true,
            false,
            limits::BUSINESS_NAME,
            "text",
            Some("off"),
            true,
        ),
        field(
            "business_address",
            true,
            false,
            limits::BUSINESS_ADDRESS,
            "text",
            Some("off"),
            true,
        ),
        field(
            "business_credit_code",
            false,
            false,
            18,
            "text",
            Some("off"),
            true,
        ),
    ];
    let problem_fields = vec![
        field(
            "product",
            false,
            false,
            limits::PRODUCT,
            "text",
            Some("off"),
            true,
        ),
        field("incident_date", false, false, 10, "date", Some("off"), true),
        field(
            "description",
            true,
            true,
            limits::DESCRIPTION,
            "text",
            None,
            true,
        ),
        field("demand", false, true, limits::DEMAND, "text", None, true),
    ];
    let contact_fields = vec![
        field(
            "complainant_name",
            false,
            false,
            limits::COMPLAINANT_NAME,
            "text",
            Some("name"),
            false,
        ),
        field(
            "phone",
            false,
            false,
            limits::PHONE,
            "tel",
            Some("tel"),
            true,
        ),
        field("email", false, false, 254, "email", Some("email"), true),
    ];
    let order = [
        "channel",
        "kind",
        "category",
        "district",
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
        "attachments",
        "consent",
    ];
    let mut errors: Vec<(&'static str, String)> = order
        .iter()
        .filter_map(|&name| message(name).map(|m| (name, m)))
        .collect();
    if let Some(key) = form.form_error {
        errors.insert(0, ("kind", ctx.t(key).to_owned()));
    }
    let categories = reference
        .categories
        .iter()
        .filter(|c| c.active)
        .map(|c| Choice {
            code: c.code.clone(),
            name: c.name(locale).to_owned(),
        })
        .collect();
    let districts = reference
        .districts
        .iter()
        .filter(|d| d.active)
        .map(|d| Choice {
            code: d.code.clone(),
            name: d.name(locale).to_owned(),
        })
        .collect();
    ComplaintFormParts {
        deadlines_text: ctx.t_args("form.deadlines", &deadlines_args),
        csrf_token,
        submission_id: form.submission_id,
        values: form.values,
        errors,
        categories,
        districts,
        business_fields,
        problem_fields,
        contact_fields,
        consent_label: ctx.t(consent_key),
    }
}

async fn respond_with_form(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    form: FormRender<'_>,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let pair = csrf::pair_for_page(req, &state.config);
    let ctx = PageContext::new(req, FORM_PATH);
    let form = form_parts(
        &ctx,
        &reference,
        pair.token.clone(),
        form,
        "form.consent.label",
    );
    let page = ComplaintFormPage { ctx, form };
    let mut response = render(status, &page);
    csrf::set_cookie(&mut response, &pair, &state.config)?;
    Ok(response)
}

#[tracing::instrument(skip_all)]
pub async fn show(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let form = FormRender {
        values: FormValues::default(),
        problems: None,
        form_error: None,
        submission_id: uuid::Uuid::new_v4().to_string(),
    };
    respond_with_form(&req, &state, StatusCode::OK, form).await
}

fn see_tracking_page(code: &str, receipt: Option<&[u8]>, secure: bool) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, format!("/track/{code}")));
    if let Some(key) = receipt {
        let value = receipt_value(key, code, now_utc().and_utc().timestamp());
        response.cookie(
            Cookie::build(RECEIPT_COOKIE, value)
                .path("/track")
                .http_only(true)
                .secure(secure)
                .same_site(SameSite::Strict)
                .max_age(actix_web::cookie::time::Duration::minutes(RECEIPT_MINUTES))
                .finish(),
        );
    }
    response.finish()
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    PublicForm(posted): PublicForm<ComplaintForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    // A repeated field, say: answered with the form and a general message, keeping what
    // was typed (the first value of each field).
    let Posted {
        form,
        malformed,
        uploads,
    } = posted;
    if form
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        return Err(AppError::Honeypot);
    }
    let secure = state.config.behind_tls();
    let submission_id = valid_submission_id(form.submission_id.as_deref());
    // The form's id bound to this visitor's CSRF cookie (present: the pair was checked):
    // only they are answered with an earlier filing of it.
    let submission_key = submission_id
        .as_deref()
        .zip(csrf::posted_cookie(&req, &state.config))
        .map(|(id, cookie)| {
            filing::submission_key(
                &state.config.secret_key,
                id,
                Submitter::Visitor {
                    csrf_cookie: &cookie,
                },
            )
        });
    // An earlier filing of this form, and the reference data, in one trip to the database.
    let lookup = submission_key.clone();
    let cache = state.reference_cache.clone();
    let (earlier, reference) = state
        .db
        .read(move |conn| {
            let earlier = match &lookup {
                Some(id) => crate::db::complaints::tracking_code_for_submission(conn, id)?,
                None => None,
            };
            Ok((earlier, cache.get(conn)?))
        })
        .await?;
    if let Some(code) = earlier {
        return Ok(see_tracking_page(&code, None, secure));
    }
    let client = client_addr(&req, &state.config.trusted_proxies);
    state
        .submit_limit
        .check(client)
        .await
        .map_err(AppError::RateLimited)?;

    let parsed = if malformed || submission_id.is_none() {
        None
    } else {
        let complaint = NewComplaint::parse(&form.input(), &*reference, city_date(now));
        let files = check_files(&uploads);
        Some(match (complaint, files) {
            (Ok(complaint), Ok(files)) => Ok((complaint, files)),
            (Ok(_), Err(problem)) => Err(FieldProblems::from([("attachments", problem)])),
            (Err(mut problems), files) => {
                if let Err(problem) = files {
                    problems.insert("attachments", problem);
                }
                Err(problems)
            }
        })
    };
    let (complaint, attachments) = match parsed {
        Some(Ok(parsed)) => parsed,
        Some(Err(problems)) => {
            let render = FormRender {
                values: form.values(),
                problems: Some(&problems),
                form_error: None,
                submission_id: submission_id.unwrap_or_default(),
            };
            return respond_with_form(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, render).await;
        }
        None => {
            let render = FormRender {
                values: form.values(),
                problems: None,
                form_error: Some("error.malformed_form"),
                submission_id: uuid::Uuid::new_v4().to_string(),
            };
            return respond_with_form(&req, &state, StatusCode::UNPROCESSABLE_ENTITY, render).await;
        }
    };
    let request = FilingRequest {
        complaint,
        locale: crate::extract::locale::locale_of(&req),
        channel: Channel::Web,
        submission_id: submission_key,
        attachments,
        filed_by: None,
    };
    let outcome = filing::file(
        &state.db,
        &reference,
        request,
        &state.config.base_url,
        state.config.duplicate_window_days,
        now,
    )
    .await?;
    match outcome {
        FilingOutcome::Filed { tracking_code, .. } => {
            state.submit_limit.record(client).await;
            tracing::info!(code = %tracking_code.redacted(), "complaint filed");
            state.mail_wakeup.notify_one();
            Ok(see_tracking_page(
                tracking_code.as_str(),
                Some(&state.config.secret_key),
                secure,
            ))
        }
        FilingOutcome::AlreadyFiled { tracking_code } => {
            Ok(see_tracking_page(&tracking_code, None, secure))
        }
    }
}
