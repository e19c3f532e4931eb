//! A form body, urlencoded or multipart, read within the limits of DESIGN §4 (64 KiB
//! urlencoded, 26 MiB multipart → `413` beyond). Files are kept as bytes; what they are
//! is decided by `domain::attachment`, not here.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt as _;

use crate::domain::attachment::{MAX_FILES, MAX_FILE_BYTES};
use crate::errors::AppError;

pub const URLENCODED_LIMIT: usize = 64 * 1024;
pub const MULTIPART_LIMIT: usize = 26 * 1024 * 1024;
/// The form field that carries files.
pub const FILE_FIELD: &str = "attachments";

#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A file problem the form shows beside its file field (422), rather than failing the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    TooLarge,
    TooMany,
}

/// The files of a multipart form, and what was wrong with any left out.
#[derive(Debug, Default)]
pub struct Uploads {
    pub files: Vec<UploadedFile>,
    pub problem: Option<FileProblem>,
}

#[derive(Debug, Default)]
pub struct FormBody {
    pub pairs: Vec<(String, String)>,
    pub uploads: Uploads,
}

/// The first value of `name` among a form's pairs, if sent.
pub fn first_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl FormBody {
    pub fn field(&self, name: &str) -> Option<&str> {
        first_value(&self.pairs, name)
    }

    /// The text fields as urlencoded bytes, for reading them into a form type with serde.
    pub fn urlencoded(&self) -> String {
        serde_urlencoded::to_string(&self.pairs).unwrap_or_default()
    }
}

fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

fn too_large() -> AppError {
    AppError::PayloadTooLarge
}

/// Reads a body as a form. Without `files` a multipart body is read as bytes like any other
/// (and holds no pairs): a form with no file field is never bigger than `URLENCODED_LIMIT`.
pub async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    files: bool,
) -> Result<FormBody, AppError> {
    if files && is_multipart(req) {
        read_multipart(req, payload).await
    } else {
        let bytes = payload
            .to_bytes_limited(URLENCODED_LIMIT)
            .await
            .map_err(|_| too_large())?
            .map_err(|_| too_large())?;
        Ok(FormBody {
            pairs: serde_urlencoded::from_bytes(&bytes).unwrap_or_default(),
            ..Default::default()
        })
    }
}

async fn read_multipart(req: &HttpRequest, payload: web::Payload) -> Result<FormBody, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MULTIPART_LIMIT) {
        return Err(too_large());
    }
    let mut multipart = Multipart::new(req.headers(), payload.into_inner());
    let mut body = FormBody::default();
    let mut total = 0usize;
    while let Some(part) = multipart.next().await {
        // A broken multipart body reads as an empty form: the caller answers 422.
        let Ok(mut part) = part else { break };
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        let mut bytes = Vec::new();
        let limit = if file_name.is_some() {
            MAX_FILE_BYTES
        } else {
            URLENCODED_LIMIT
        };
        let mut over = false;
        while let Some(chunk) = part.next().await {
            let Ok(chunk) = chunk else { break };
            total += chunk.len();
            if total > MULTIPART_LIMIT {
                return Err(too_large());
            }
            if bytes.len() + chunk.len() > limit {
                over = true;
            } else if !over {
                bytes.extend_from_slice(&chunk);
            }
        }
        match file_name {
            Some(file_name) if name == FILE_FIELD => {
                // Browsers send an empty part when no file was chosen.
                if file_name.is_empty() && bytes.is_empty() && !over {
                    continue;
                }
                let uploads = &mut body.uploads;
                if over {
                    uploads.problem = Some(FileProblem::TooLarge);
                } else if uploads.files.len() >= MAX_FILES {
                    uploads.problem = Some(FileProblem::TooMany);
                } else {
                    uploads.files.push(UploadedFile { file_name, bytes });
                }
            }
            Some(_) => {}
            None if over => return Err(too_large()),
            None => body
                .pairs
                .push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok(body)
}
