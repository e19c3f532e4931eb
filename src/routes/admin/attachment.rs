//! `GET /admin/attachments/{id}`: a file of a complaint the member may see, always as a
//! download (never rendered inline), with `nosniff`.

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{web, HttpResponse};

use crate::db::attachments;
use crate::domain::ids::ComplaintId;
use crate::errors::AppError;
use crate::extract::session::Staff;
use crate::routes::bridge::member;
use crate::services::case;
use crate::state::AppState;

#[tracing::instrument(skip_all, fields(user = %staff.username))]
pub async fn download(
    id: web::Path<String>,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let (info, data) = state
        .db
        .read(move |conn| attachments::find_with_data(conn, &id))
        .await?
        .ok_or(AppError::NotFound)?;
    // Seeing the file needs seeing its complaint: otherwise it does not exist.
    let complaint = ComplaintId::from(info.complaint_id.as_str());
    case::load_visible(&state.db, &member(&staff), &complaint).await?;
    let ascii_name: String = info
        .file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii_name),
            DispositionParam::FilenameExt(header::ExtendedValue {
                charset: header::Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: info.file_name.clone().into_bytes(),
            }),
        ],
    };
    Ok(HttpResponse::Ok()
        .content_type(info.content_type)
        .insert_header(disposition)
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .body(data))
}
