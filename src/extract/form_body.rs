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
    /// The upload slot the body was read in, held while the files are in memory.
    pub slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// How many multipart bodies this instance reads (and keeps in memory) at once: each may
/// be 26 MiB. One more waits up to `UPLOAD_WAIT` for a slot, then gets `503`.
pub const MAX_CONCURRENT_UPLOADS: usize = 4;
pub const UPLOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The field every form carries its CSRF token in.
pub const CSRF_FIELD: &str = "csrf_token";
/// The most text a multipart body may carry before its token (which forms send first).
const TEXT_BEFORE_TOKEN: usize = 4 * 1024;

#[derive(Debug, Default)]
pub struct FormBody {
    pub pairs: Vec<(String, String)>,
    pub uploads: Uploads,
    /// The first field whose name or value is not UTF-8 text (its pair holds the text
    /// with U+FFFD, only so that the CSRF token can still be found): the form is refused
    /// (`422` naming it), never stored mangled.
    pub not_utf8: Option<String>,
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

/// The media type of the body, lower-cased, without its parameters.
fn media_type(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or_default().trim();
    Some(essence.to_ascii_lowercase())
}

const URLENCODED: &str = "application/x-www-form-urlencoded";
const MULTIPART: &str = "multipart/form-data";

/// The longest field name a refusal quotes.
const QUOTED_NAME_CHARS: usize = 64;

fn quoted_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .take(QUOTED_NAME_CHARS)
        .collect()
}

/// Decodes an urlencoded body as `serde_urlencoded` would (`+` is a space, `%XX` a byte),
/// but strictly: the first field whose bytes are not UTF-8 text is reported (as the
/// second part) instead of being silently replaced by U+FFFD.
pub fn parse_urlencoded(bytes: &[u8]) -> (Vec<(String, String)>, Option<String>) {
    let decode = |raw: &[u8]| -> Result<String, String> {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        let decoded: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
        String::from_utf8(decoded).map_err(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    };
    let mut pairs = Vec::new();
    let mut not_utf8 = None;
    for piece in bytes.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &b""[..]),
        };
        let (name, name_ok) = match decode(name) {
            Ok(name) => (name, true),
            Err(lossy) => (lossy, false),
        };
        let (value, value_ok) = match decode(value) {
            Ok(value) => (value, true),
            Err(lossy) => (lossy, false),
        };
        if !(name_ok && value_ok) && not_utf8.is_none() {
            not_utf8 = Some(quoted_name(&name));
        }
        pairs.push((name, value));
    }
    (pairs, not_utf8)
}

fn too_large() -> AppError {
    AppError::PayloadTooLarge
}

/// How a form's CSRF token is checked while its body is read.
pub struct CsrfGate<'a> {
    /// Whether the request may hold a valid pair at all (the cookie, say), known before
    /// any of the body is read.
    pub possible: bool,
    /// Whether a token is the right one.
    pub token_ok: &'a dyn Fn(Option<&str>) -> bool,
    /// Upload slots (`MAX_CONCURRENT_UPLOADS`).
    pub uploads: &'a std::sync::Arc<tokio::sync::Semaphore>,
}

/// Reads a body as a form. A body that is neither urlencoded nor multipart is refused
/// (`415`) unread. Without `files` a multipart body is read as bytes like any other (and
/// holds no pairs): a form with no file field is never bigger than `URLENCODED_LIMIT`.
/// A multipart body is read only past `gate`: within an upload slot, and its files only
/// after a valid token.
pub async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
    files: bool,
    gate: CsrfGate<'_>,
) -> Result<FormBody, AppError> {
    let multipart = match media_type(req).as_deref() {
        Some(URLENCODED) => false,
        Some(MULTIPART) => true,
        _ => return Err(AppError::UnsupportedMediaType),
    };
    if files && multipart {
        read_multipart(req, payload, gate).await
    } else {
        let bytes = payload
            .to_bytes_limited(URLENCODED_LIMIT)
            .await
            .map_err(|_| too_large())?
            .map_err(|_| too_large())?;
        let (pairs, not_utf8) = if multipart {
            (Vec::new(), None)
        } else {
            parse_urlencoded(&bytes)
        };
        Ok(FormBody {
            pairs,
            not_utf8,
            ..Default::default()
        })
    }
}

async fn read_multipart(
    req: &HttpRequest,
    payload: web::Payload,
    gate: CsrfGate<'_>,
) -> Result<FormBody, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MULTIPART_LIMIT) {
        return Err(too_large());
    }
    // Nothing of the body is read for a request that cannot hold a valid pair.
    if !gate.possible {
        return Err(AppError::Csrf);
    }
    let slot = tokio::time::timeout(UPLOAD_WAIT, gate.uploads.clone().acquire_owned())
        .await
        .map_err(|_| AppError::UploadsBusy)?
        .map_err(|_| AppError::UploadsBusy)?;
    let mut multipart = Multipart::new(req.headers(), payload.into_inner());
    let mut body = FormBody::default();
    body.uploads.slot = Some(slot);
    let mut total = 0usize;
    let mut token_checked = false;
    let mut text_before_token = 0usize;
    while let Some(part) = multipart.next().await {
        // A broken multipart body reads as an empty form: the caller answers 422.
        let Ok(mut part) = part else { break };
        let name = part.name().unwrap_or_default().to_owned();
        let file_name = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        // Files come only after the token has been checked, and little text before it.
        if !token_checked && (file_name.is_some() || text_before_token > TEXT_BEFORE_TOKEN) {
            return Err(AppError::Csrf);
        }
        let mut bytes = Vec::new();
        let limit = match (&file_name, token_checked) {
            (Some(_), _) => MAX_FILE_BYTES,
            (None, true) => URLENCODED_LIMIT,
            (None, false) => TEXT_BEFORE_TOKEN,
        };
        let mut over = false;
        while let Some(chunk) = part.next().await {
            let Ok(chunk) = chunk else { break };
            total += chunk.len();
            if total > MULTIPART_LIMIT {
                return Err(too_large());
            }
            if bytes.len() + chunk.len() > limit {
                if !token_checked {
                    // Text before the token, and too much of it: read no further.
                    return Err(AppError::Csrf);
                }
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
            None => {
                if !token_checked {
                    text_before_token += bytes.len();
                    if name == CSRF_FIELD {
                        let token = std::str::from_utf8(&bytes).ok();
                        if !(gate.token_ok)(token) {
                            return Err(AppError::Csrf);
                        }
                        token_checked = true;
                    }
                }
                let value = String::from_utf8(bytes).unwrap_or_else(|e| {
                    if body.not_utf8.is_none() {
                        body.not_utf8 = Some(quoted_name(&name));
                    }
                    String::from_utf8_lossy(e.as_bytes()).into_owned()
                });
                body.pairs.push((name, value));
            }
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(body: &[u8]) -> (Vec<(String, String)>, Option<String>) {
        parse_urlencoded(body)
    }

    #[test]
    fn urlencoded_pairs_read_as_serde_urlencoded_reads_them() {
        for body in [
            &b"a=1&b=%E4%B8%AD+%E6%96%87&&c&d=x%3Dy=z&a=2"[..],
            b"",
            b"=v&k=",
            b"name=%zz%",
        ] {
            let expected: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap();
            assert_eq!(pairs(body), (expected, None), "{body:?}");
        }
    }

    #[test]
    fn a_field_that_is_not_utf8_is_named() {
        // GBK for 投诉, raw and percent-encoded; a lone continuation byte; a bad name.
        assert_eq!(
            pairs(b"a=1&description=\xcd\xb6\xcb\xdf").1.as_deref(),
            Some("description")
        );
        assert_eq!(
            pairs(b"a=1&product=%CD%B6%CB%DF&x=%FF").1.as_deref(),
            Some("product")
        );
        assert_eq!(pairs(b"phone=%80").1.as_deref(), Some("phone"));
        let (read, bad) = pairs(b"csrf_token=t&n%FFame=v");
        assert_eq!(bad.as_deref(), Some("n\u{fffd}ame"));
        assert_eq!(
            read[0],
            ("csrf_token".to_owned(), "t".to_owned()),
            "the token is still found"
        );
    }
}
