//! `/admin/api-keys`: the Open311 keys, the form to create one, and a new key shown once.

use askama::Template;

use super::admin::AdminContext;

pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    pub limit_per_hour: i32,
    pub created_at: String,
    pub last_used: Option<String>,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "admin/api_keys.html")]
pub struct ApiKeysPage {
    pub admin: AdminContext,
    pub keys: Vec<ApiKeyView>,
    /// The key just created: on the page the POST answers with, and never again.
    pub new_key: Option<String>,
    pub error: Option<&'static str>,
    pub name: String,
    pub limit: String,
}
