//! `GET/POST /admin/complaints/new`: hotline staff and visitors' desks file for people who
//! phone or walk in — the public form's validation and routing, the channel recorded, the
//! tracking code shown to read out and emailed when an address is given.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::domain::calendar::city_date;
use crate::domain::complaint::Channel;
use crate::domain::intake::{FieldProblem, FieldProblems, NewComplaint};
use crate::errors::AppError;
use crate::extract::form_body::read_form;
use crate::extract::session::Staff;
use crate::pages::admin::{AdminContext, FileComplaintPage, FiledPage};
use crate::pages::public::FormValues;
use crate::pages::{render, PageContext};
use crate::routes::public::complaint_form::{
    check_files, form_parts, valid_submission_id, ComplaintForm, FormRender,
};
use crate::services::filing::{self, FilingOutcome, FilingRequest};
use crate::services::now_utc;
use crate::state::AppState;

const PATH: &str = "/admin/complaints/new";

async fn page(
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    status: StatusCode,
    form: FormRender<'_>,
    channel: String,
) -> Result<HttpResponse, AppError> {
    let reference = state.reference().await?;
    let ctx = PageContext::new(req, PATH);
    let admin = AdminContext::new(ctx.clone(), Some(staff), Some(&reference));
    let parts = form_parts(&ctx, &reference, String::new(), form, "admin.file.consent");
    Ok(render(
        status,
        &FileComplaintPage {
            admin,
            ctx,
            form: parts,
            channel,
        },
    ))
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let form = FormRender {
        values: FormValues::default(),
        problems: None,
        form_error: None,
        submission_id: uuid::Uuid::new_v4().to_string(),
    };
    page(&req, &state, &staff, StatusCode::OK, form, "phone".into()).await
}

pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    let body = read_form(&req, payload).await?;
    staff.verify_csrf(body.field("csrf_token"))?;
    let channel_text = body.field("channel").unwrap_or_default().to_owned();
    let channel =
        Channel::parse(&channel_text).filter(|c| matches!(c, Channel::Phone | Channel::Visit));
    let parsed_form = serde_urlencoded::from_str::<ComplaintForm>(&body.urlencoded());
    let submission_id = parsed_form
        .as_ref()
        .ok()
        .and_then(|f| valid_submission_id(f.submission_id()));
    let form = parsed_form.unwrap_or_default();
    let reference = state.reference().await?;
    let mut problems = match NewComplaint::parse(&form.input(), &*reference, city_date(now)) {
        Ok(_) => FieldProblems::new(),
        Err(problems) => problems,
    };
    let files = check_files(&body);
    if let Err(problem) = &files {
        problems.insert("attachments", *problem);
    }
    if channel.is_none() {
        problems.insert("channel", FieldProblem::NotAChoice);
    }
    let (Some(channel), Some(submission_id), Ok(complaint), Ok(attachments)) = (
        channel,
        submission_id.clone(),
        NewComplaint::parse(&form.input(), &*reference, city_date(now)),
        files,
    ) else {
        let render = FormRender {
            values: form.values(),
            problems: Some(&problems),
            form_error: submission_id.is_none().then_some("error.malformed_form"),
            submission_id: submission_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        };
        return page(
            &req,
            &state,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            render,
            channel_text,
        )
        .await;
    };
    let request = FilingRequest {
        complaint,
        locale: crate::extract::locale::locale_of(&req),
        channel,
        submission_id: Some(submission_id),
        attachments,
        filed_by: Some(staff.user_id.as_str().into()),
    };
    let code =
        match filing::file(&state.db, &reference, request, &state.config.base_url, now).await? {
            FilingOutcome::Filed { tracking_code, .. } => tracking_code.to_string(),
            FilingOutcome::AlreadyFiled { tracking_code } => tracking_code,
        };
    state.mail_wakeup.notify_one();
    tracing::info!(user = %staff.username, channel = channel.as_str(), "complaint filed for a caller");
    // Shown here rather than after a redirect: the filer may not belong to the department
    // the case went to. Posting again answers with the same code (the submission id).
    let ctx = PageContext::new(&req, PATH);
    let admin = AdminContext::new(ctx, Some(&staff), Some(&reference));
    Ok(render(StatusCode::OK, &FiledPage { admin, code }))
}
