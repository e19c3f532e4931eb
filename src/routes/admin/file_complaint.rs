//! `GET/POST /admin/complaints/new`: hotline staff and visitors' desks file for people who
//! phone or walk in — the public form's validation and routing, the channel recorded, the
//! tracking code shown to read out and emailed when an address is given.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::clock::now_utc;
use crate::domain::calendar::city_date;
use crate::domain::complaint::Channel;
use crate::domain::intake::{FieldProblem, NewComplaint};
use crate::errors::AppError;
use crate::extract::form::{FormFields, Posted, StaffForm};
use crate::extract::session::Staff;
use crate::pages::admin::{AdminContext, FileComplaintPage, FiledPage};
use crate::pages::public::FormValues;
use crate::pages::{render, PageContext};
use crate::routes::public::complaint_form::{
    check_files, form_parts, valid_submission_id, ComplaintForm, FormRender,
};
use crate::services::filing::{self, FilingOutcome, FilingRequest, Submitter};
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

#[tracing::instrument(skip_all, fields(user = %staff.username))]
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

/// The public form's fields and the channel the case came in by.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StaffFilingForm {
    channel: Option<String>,
    #[serde(flatten)]
    complaint: ComplaintForm,
}

impl FormFields for StaffFilingForm {
    const TAKES_FILES: bool = true;
}

#[tracing::instrument(skip_all, fields(user = %posted.staff.username))]
pub async fn submit(
    req: HttpRequest,
    posted: StaffForm<StaffFilingForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let now = now_utc();
    let StaffForm { staff, posted } = posted;
    let Posted {
        form: StaffFilingForm {
            channel,
            complaint: form,
        },
        malformed,
        uploads,
    } = posted;
    let channel_text = channel.unwrap_or_default();
    let channel =
        Channel::parse(&channel_text).filter(|c| matches!(c, Channel::Phone | Channel::Visit));
    // A malformed form (a field sent twice) is refused with the general message.
    let submission_id = if malformed {
        None
    } else {
        valid_submission_id(form.submission_id())
    };
    let reference = state.reference().await?;
    let complaint = NewComplaint::parse(&form.input(), &*reference, city_date(now));
    let mut problems = complaint.as_ref().err().cloned().unwrap_or_default();
    let files = check_files(&uploads);
    if let Err(problem) = &files {
        problems.insert("attachments", *problem);
    }
    if channel.is_none() {
        problems.insert("channel", FieldProblem::NotAChoice);
    }
    let (Some(channel), Some(submission_id), Ok(complaint), Ok(attachments)) =
        (channel, submission_id.clone(), complaint, files)
    else {
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
        submission_id: Some(filing::submission_key(
            &state.config.secret_key,
            &submission_id,
            Submitter::Staff {
                user_id: staff.user_id.as_str(),
            },
        )),
        attachments,
        filed_by: Some(staff.user_id.as_str().into()),
    };
    let code = match filing::file(
        &state.db,
        &reference,
        request,
        &state.config.base_url,
        state.config.duplicate_window_days,
        now,
    )
    .await?
    {
        FilingOutcome::Filed { tracking_code, .. } => tracking_code.to_string(),
        FilingOutcome::AlreadyFiled { tracking_code } => tracking_code,
    };
    state.mail_wakeup.notify_one();
    tracing::info!(user = %staff.username, channel = channel.as_str(), "complaint filed for a caller");
    // Shown here rather than after a redirect: the filer may not belong to the department
    // the case went to. Posting again answers with the same code (the submission id), to
    // the same member of staff only.
    let ctx = PageContext::new(&req, PATH);
    let admin = AdminContext::new(ctx, Some(&staff), Some(&reference));
    Ok(render(StatusCode::OK, &FiledPage { admin, code }))
}

#[cfg(test)]
mod tests {
    use super::StaffFilingForm;

    #[test]
    fn the_channel_and_the_public_fields_read_together_and_a_repeat_is_malformed() {
        let form: StaffFilingForm =
            serde_urlencoded::from_str("channel=visit&kind=complaint&csrf_token=t").unwrap();
        assert_eq!(form.channel.as_deref(), Some("visit"));
        assert_eq!(form.complaint.values().kind, "complaint");
        assert!(serde_urlencoded::from_str::<StaffFilingForm>("kind=a&kind=b").is_err());
        assert!(serde_urlencoded::from_str::<StaffFilingForm>("channel=a&channel=b").is_err());
    }
}
