//! The management pages, administrators only (DESIGN §4). The list / create / show / update
//! handlers are written once here, for every `Section`; each section's file says how its
//! pages look. Rules, writes and the audit trail: `services::manage`; queries: `db::manage`.

mod categories;
mod departments;
mod districts;
mod holidays;
mod home;
mod routing;
mod users;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;

use super::{field, form_pairs};
use crate::db::reference::{CategoryRow, DepartmentRow, DistrictRow, Named, ReferenceData};
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::i18n::Locale;
use crate::pages::admin::AdminContext;
use crate::pages::manage::{Choice, FormView, ListPage, RecordPage, RecordRow};
use crate::pages::{render, PageContext};
use crate::services::manage::form::{FieldErrors, RawForm};
use crate::services::manage::{Actor, ManageError, Manager, Record};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/manage", web::get().to(home::show))
        .route(
            "/admin/departments/{code}/office",
            web::post().to(departments::make_office),
        )
        .route("/admin/holidays", web::get().to(holidays::list))
        .route("/admin/holidays", web::post().to(holidays::add))
        .route("/admin/holidays/years", web::post().to(holidays::mark_year))
        .route(
            "/admin/holidays/{day}/delete",
            web::post().to(holidays::remove),
        )
        .route(
            "/admin/users/{username}/password",
            web::post().to(users::reset_password),
        )
        .route(
            "/admin/users/{username}/{status}",
            web::post().to(users::set_status),
        );
    section::<districts::Districts>(cfg);
    section::<departments::Departments>(cfg);
    section::<categories::Categories>(cfg);
    section::<routing::Routing>(cfg);
    section::<users::Users>(cfg);
}

/// `LIST` (GET: the list, POST: create) and `LIST/{key}` (GET: show, POST: update).
fn section<S: Section>(cfg: &mut web::ServiceConfig) {
    let record = format!("{}/{{key}}", S::LIST);
    cfg.route(S::LIST, web::get().to(list::<S>))
        .route(S::LIST, web::post().to(create::<S>))
        .route(&record, web::get().to(show::<S>))
        .route(&record, web::post().to(update::<S>));
}

/// One management request: the signed-in administrator and the service acting for them.
pub(super) struct Desk {
    req: HttpRequest,
    staff: Staff,
    manager: Manager,
}

impl Desk {
    /// Other staff may see that these pages exist (the frame hides the link) but not use
    /// them: the service refuses them (`403`).
    async fn open(req: HttpRequest, staff: Staff) -> Result<Desk, AppError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .ok_or_else(|| anyhow::anyhow!("no application state"))?;
        let reference = state.reference().await?;
        let actor = Actor::Staff {
            user_id: staff.user_id.clone(),
            role: staff.role,
        };
        let manager = Manager::new(
            state.db.clone(),
            reference,
            actor,
            state.sign_in.hashing.clone(),
        )
        .map_err(failed)?;
        Ok(Desk {
            req,
            staff,
            manager,
        })
    }

    fn reference(&self) -> &ReferenceData {
        self.manager.reference()
    }

    /// The query string's fields; a malformed one is read as empty rather than refused.
    fn query<F: RawForm>(&self) -> F {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(self.req.query_string()).unwrap_or_default();
        F::from_pairs(&pairs)
    }

    /// The frame of a management page, with the confirmation of the last change if any.
    fn frame(&self, path: &str) -> AdminContext {
        let reference = self.manager.reference();
        let mut admin = AdminContext::new(
            PageContext::new(&self.req, path),
            Some(&self.staff),
            Some(reference),
        );
        let saved: SavedQuery = self.query();
        if !saved.saved.is_empty() {
            admin.flash = Some(admin.ctx.t_args("manage.saved", &[("key", &saved.saved)]));
        }
        admin
    }

    fn locale(&self) -> Locale {
        crate::extract::locale::locale_of(&self.req)
    }

    fn t(&self, key: &str) -> &'static str {
        crate::i18n::t(self.locale(), key)
    }
}

/// A management page's request: the signed-in member (or `303` to sign in), an
/// administrator (or `403`).
impl FromRequest for Desk {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Desk, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let staff = Staff::from_request(&req, &mut Payload::None).await?;
            Desk::open(req, staff).await
        })
    }
}

/// A management POST: the body, the signed-in member, the CSRF token (`403`, nothing
/// changes), the role, then the typed form (the token is not part of it).
pub(super) struct Post<F>(Desk, F);

impl<F: RawForm + 'static> FromRequest for Post<F> {
    /// The body's own errors (too large: `413`) stay actix's, as for any `web::Bytes`.
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Post<F>, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (req, body) = (req.clone(), web::Bytes::from_request(req, payload));
        Box::pin(async move {
            let body = body.await?;
            let staff = Staff::from_request(&req, &mut Payload::None).await?;
            let pairs = form_pairs(&body);
            staff.verify_csrf(field(&pairs, "csrf_token"))?;
            let desk = Desk::open(req, staff).await?;
            Ok(Post(desk, F::from_pairs(&pairs)))
        })
    }
}

crate::services::manage::form::raw_form! {
    /// `?saved=KEY`: what the last change saved, named in the page's confirmation.
    pub struct SavedQuery {
        text: [saved],
        checkbox: [],
        list: [],
    }
}

/// A `ManageError` that is not a page's problem, as the handler's answer.
fn failed(error: ManageError) -> AppError {
    match error {
        ManageError::Forbidden => AppError::Forbidden,
        ManageError::NotFound => AppError::NotFound,
        ManageError::Busy => AppError::Busy,
        ManageError::Db(error) => error.into(),
        ManageError::Unexpected(error) => AppError::Unexpected(error),
        ManageError::Invalid(errors) => AppError::Unexpected(anyhow::anyhow!(
            "form problems not shown on a page: {errors}"
        )),
    }
}

/// What a change came to: done, the form's problems for its page again (`422`), or an error.
fn refused<T>(result: Result<T, ManageError>) -> Result<Result<T, FieldErrors>, AppError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(ManageError::Invalid(errors)) => Ok(Err(errors)),
        Err(error) => Err(failed(error)),
    }
}

/// Back to a list after a change, naming what was saved for the page's confirmation.
fn saved(list: &str, key: &str) -> HttpResponse {
    see_other(list, &[("saved", key)])
}

pub(super) use crate::routes::bridge::see_other;

/// How a section's records are read and written through the service.
pub(super) trait Store: Sized {
    type Form: RawForm + Clone;
    async fn find(manager: &Manager, key: &str) -> Result<Self, ManageError>;
    /// Creates one; its key.
    async fn create(manager: &Manager, form: Self::Form) -> Result<String, ManageError>;
    /// Changes the one of page key `key`; its key.
    async fn update(manager: &Manager, key: &str, form: Self::Form) -> Result<String, ManageError>;
}

impl<R: Record> Store for R
where
    R::Form: Clone,
{
    type Form = R::Form;

    async fn find(manager: &Manager, key: &str) -> Result<R, ManageError> {
        manager.find(key).await
    }

    async fn create(manager: &Manager, form: R::Form) -> Result<String, ManageError> {
        manager.create::<R>(form).await
    }

    async fn update(manager: &Manager, key: &str, form: R::Form) -> Result<String, ManageError> {
        manager.update::<R>(key, form).await
    }
}

/// A management page with a list of records and a page per record.
pub(super) trait Section: 'static {
    /// The list's path; a record's page is `{LIST}/{key}`.
    const LIST: &'static str;
    /// The list's title and introduction, and the record pages' link back (message keys).
    const TEXTS: [&'static str; 3];
    /// The list's columns (message keys).
    const COLUMNS: &'static [&'static str];
    type Record: Store;

    /// The creation form as a fresh list page shows it.
    fn blank() -> Form<Self> {
        Form::<Self>::default()
    }
    /// A record's form as stored, for its page.
    fn stored(record: &Self::Record) -> Form<Self>;
    async fn list_page(
        desk: &Desk,
        create: &Form<Self>,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError>;
    async fn record_page(
        desk: &Desk,
        record: &Self::Record,
        edit: &Form<Self>,
        errors: &FieldErrors,
        status: StatusCode,
    ) -> Result<HttpResponse, AppError>;
}

type Form<S> = <<S as Section>::Record as Store>::Form;

#[tracing::instrument(skip_all, fields(page = S::LIST))]
async fn list<S: Section>(desk: Desk) -> Result<HttpResponse, AppError> {
    S::list_page(&desk, &S::blank(), &FieldErrors::default(), StatusCode::OK).await
}

#[tracing::instrument(skip_all, fields(page = S::LIST))]
async fn create<S: Section>(Post(desk, form): Post<Form<S>>) -> Result<HttpResponse, AppError> {
    match refused(S::Record::create(&desk.manager, form.clone()).await)? {
        Ok(key) => Ok(saved(S::LIST, &key)),
        Err(errors) => S::list_page(&desk, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

#[tracing::instrument(skip_all, fields(page = S::LIST, key = %key))]
async fn show<S: Section>(key: web::Path<String>, desk: Desk) -> Result<HttpResponse, AppError> {
    let record = S::Record::find(&desk.manager, &key).await.map_err(failed)?;
    let form = S::stored(&record);
    let none = FieldErrors::default();
    S::record_page(&desk, &record, &form, &none, StatusCode::OK).await
}

#[tracing::instrument(skip_all, fields(page = S::LIST, key = %key))]
async fn update<S: Section>(
    key: web::Path<String>,
    Post(desk, form): Post<Form<S>>,
) -> Result<HttpResponse, AppError> {
    match refused(S::Record::update(&desk.manager, &key, form.clone()).await)? {
        Ok(saved_key) => Ok(saved(S::LIST, &saved_key)),
        Err(errors) => {
            let record = S::Record::find(&desk.manager, &key).await.map_err(failed)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            S::record_page(&desk, &record, &form, &errors, status).await
        }
    }
}

// What the sections' pages share.

/// A section's list page: its rows and the creation form.
fn list_page<S: Section>(
    admin: AdminContext,
    rows: Vec<RecordRow>,
    create: FormView,
    status: StatusCode,
) -> HttpResponse {
    let [title, intro, _] = S::TEXTS;
    let page = ListPage {
        title: admin.t(title).to_owned(),
        intro: Some(admin.t(intro).to_owned()),
        warnings: Vec::new(),
        columns: S::COLUMNS.iter().map(|k| admin.t(k).to_owned()).collect(),
        rows,
        create: Some(create),
        admin,
    };
    render(status, &page)
}

/// What a record's page shows besides its frame: title, facts, forms, warnings.
struct RecordView {
    title: String,
    warnings: Vec<String>,
    facts: Vec<(String, String)>,
    forms: Vec<FormView>,
}

/// A record's page, with a link back to its section's list.
fn record_page<S: Section>(
    admin: AdminContext,
    view: RecordView,
    status: StatusCode,
) -> HttpResponse {
    let page = RecordPage {
        title: view.title,
        back_href: S::LIST.to_owned(),
        back_label: admin.t(S::TEXTS[2]).to_owned(),
        warnings: view.warnings,
        facts: view.facts,
        forms: view.forms,
        admin,
    };
    render(status, &page)
}

/// A list row: the record's key (first cell, linked to its page) and its other cells.
fn row(list: &str, key: &str, active: bool, cells: Vec<String>) -> RecordRow {
    let mut all = vec![key.to_owned()];
    all.extend(cells);
    RecordRow {
        key: key.to_owned(),
        href: format!("{list}/{key}"),
        active,
        cells: all,
        flags: Vec::new(),
    }
}

/// A record's name with its code, for select lists.
fn choice(code: &str, record: &impl Named, locale: Locale) -> Choice {
    Choice {
        value: code.to_owned(),
        label: format!("{} ({code})", record.name(locale)),
    }
}

/// An empty first option saying what it means (none, any, choose), then `choices`.
fn after(label: &str, choices: Vec<Choice>) -> Vec<Choice> {
    let mut all = vec![Choice {
        value: String::new(),
        label: label.to_owned(),
    }];
    all.extend(choices);
    all
}

/// Every district (an inactive one stays choosable for existing records).
fn district_choices(reference: &ReferenceData, locale: Locale) -> Vec<Choice> {
    let districts: &[DistrictRow] = &reference.districts;
    districts
        .iter()
        .map(|d| choice(&d.code, d, locale))
        .collect()
}

fn category_choices(reference: &ReferenceData, locale: Locale) -> Vec<Choice> {
    let categories: &[CategoryRow] = &reference.categories;
    categories
        .iter()
        .map(|c| choice(&c.code, c, locale))
        .collect()
}

/// Active departments as options, for leads, co-handlers and users.
fn department_choices(reference: &ReferenceData, locale: Locale) -> Vec<Choice> {
    let departments: &[DepartmentRow] = &reference.departments;
    departments
        .iter()
        .filter(|d| d.active)
        .map(|d| choice(&d.code, d, locale))
        .collect()
}

/// Active departments, and first the stored one if it is no longer active, so the page
/// says what is stored.
fn department_choices_keeping(
    reference: &ReferenceData,
    locale: Locale,
    stored: &str,
) -> Vec<Choice> {
    let mut choices = department_choices(reference, locale);
    if !choices.iter().any(|c| c.value == stored) {
        let label = department_name(reference, stored, locale);
        choices.insert(
            0,
            Choice {
                value: stored.to_owned(),
                label,
            },
        );
    }
    choices
}

/// A department's name in the page's language, or its code if it is unknown.
fn department_name(reference: &ReferenceData, code: &str, locale: Locale) -> String {
    reference
        .department(code)
        .map_or_else(|| code.to_owned(), |d| d.name(locale).to_owned())
}

fn yes_no(admin: &AdminContext, value: bool) -> String {
    admin
        .t(if value { "manage.yes" } else { "manage.no" })
        .to_owned()
}
