//! The staff security pages: password reset by email and two-step sign-in (TOTP).

use askama::Template;

use super::admin::AdminContext;

/// `GET|POST /admin/password-reset`: the same page whether or not the account exists.
#[derive(Template)]
#[template(path = "admin/password_reset.html")]
pub struct ResetRequestPage {
    pub admin: AdminContext,
    pub csrf_token: String,
    pub username: String,
    pub error: Option<String>,
    pub sent: bool,
}

/// `GET|POST /admin/password-reset/{token}`: the new password, or why the link is dead.
#[derive(Template)]
#[template(path = "admin/password_reset_new.html")]
pub struct ResetPasswordPage {
    pub admin: AdminContext,
    pub csrf_token: String,
    /// `None`: the link is unknown, used or expired.
    pub action: Option<String>,
    pub error: Option<String>,
}

/// `GET /admin/security` before enrolment: the QR code, the key as text, the first code.
#[derive(Template)]
#[template(path = "admin/totp_enrol.html")]
pub struct TotpEnrolPage {
    pub admin: AdminContext,
    pub csrf_token: String,
    /// Built by `services::totp::qr_svg` from the enrolment link (program-made markup).
    pub qr_svg: String,
    pub secret_text: String,
    pub error: Option<String>,
    /// The role must enrol before anything else (`REQUIRE_TOTP_ROLES`).
    pub forced: bool,
}

/// `GET /admin/security` once enrolled.
#[derive(Template)]
#[template(path = "admin/totp_status.html")]
pub struct TotpStatusPage {
    pub admin: AdminContext,
    pub recovery_left: String,
}

/// The ten recovery codes, shown once, right after the first code was confirmed.
#[derive(Template)]
#[template(path = "admin/totp_recovery.html")]
pub struct RecoveryCodesPage {
    pub admin: AdminContext,
    pub codes: Vec<String>,
}

/// `GET|POST /admin/login/totp`: the second step after the password.
#[derive(Template)]
#[template(path = "admin/totp_step.html")]
pub struct TotpStepPage {
    pub admin: AdminContext,
    pub csrf_token: String,
    pub error: Option<String>,
}
