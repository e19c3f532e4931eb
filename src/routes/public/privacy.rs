//! `GET /privacy`: how the service uses a resident's personal data, and whom to ask. The
//! text is the operator's `PRIVACY_NOTICE_FILE` when set, else the built-in notice.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use crate::pages::public::PrivacyPage;
use crate::pages::{render, PageContext};

pub const PATH: &str = "/privacy";

/// The built-in notice, paragraph by paragraph (`{name}` is the operator).
const BUILT_IN: [&str; 6] = [
    "resident.privacy.who",
    "resident.privacy.what",
    "resident.privacy.why",
    "resident.privacy.who_sees",
    "resident.privacy.how_long",
    "resident.privacy.rights",
];

#[tracing::instrument(skip_all)]
pub async fn show(req: HttpRequest) -> HttpResponse {
    let ctx = PageContext::new(&req, PATH);
    let name = ctx.operator_name().to_owned();
    let paragraphs = match &ctx.site.privacy_notice {
        Some(paragraphs) => paragraphs.clone(),
        None => BUILT_IN
            .iter()
            .map(|key| ctx.t_args(key, &[("name", &name)]))
            .collect(),
    };
    let contact = ctx.t_args(
        "resident.privacy.contact",
        &[("name", &name), ("phone", ctx.operator_phone())],
    );
    let page = PrivacyPage {
        paragraphs,
        contact,
        ctx,
    };
    render(StatusCode::OK, &page)
}
