//! Open311 GeoReport v2 (issue 12): categories as services, complaints as requests, API
//! keys. Filing goes through `services::filing`, the web form's own path; reading selects
//! only what the API may show (`db::open311`). No HTTP here: `routes::open311` parses and
//! answers, `pages::open311` gives the shapes.

use base64::Engine as _;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

use crate::config::Config;
use crate::db::api_keys::{self, ApiKeyRow};
use crate::db::open311::{self as queries, RequestFilter, RequestRow};
use crate::db::reference::{Named, ReferenceData};
use crate::db::Database;
use crate::domain::calendar::{city_date, city_time};
use crate::domain::complaint::{Channel, ComplaintKind, ComplaintState};
use crate::domain::intake::{ComplaintInput, FieldProblems, NewComplaint};
use crate::domain::public_id::PublicId;
use crate::i18n::{t, t_args, Locale};
use crate::pages::open311::{
    Attribute, AttributeValue, Created, Discovery, Endpoint, Service, ServiceDefinition,
    ServiceRequest,
};
use crate::services::filing::{self, FilingOutcome, FilingRequest};
use crate::services::ServiceError;

/// The specification's defaults: the last 90 days, at most 1,000 requests.
pub const DEFAULT_DAYS: i64 = 90;
pub const MAX_PAGE_SIZE: i64 = 1000;
/// The date of this API's last change (discovery's `changeset`).
pub const CHANGESET: &str = "2026-12-03T00:00:00+08:00";
/// Per hour, when `create-api-key` is given no `--limit-per-hour`.
pub const DEFAULT_LIMIT_PER_HOUR: i32 = 100;
pub const MAX_LIMIT_PER_HOUR: i32 = 100_000;
pub const MAX_KEY_NAME: usize = 100;
/// Reads with a key record its last use at most this often (a write per read would not do).
const TOUCH_EVERY_SECONDS: i64 = 60;

/// A moment as the API writes it: city time with its offset.
pub fn iso(utc: NaiveDateTime) -> String {
    format!("{}+08:00", city_time(utc).format("%Y-%m-%dT%H:%M:%S"))
}

/// A deadline as the API writes it: the end of its (city) day.
pub fn end_of_day(day: NaiveDate) -> String {
    format!("{}T23:59:59+08:00", day.format("%Y-%m-%d"))
}

pub fn is_open(state: ComplaintState) -> bool {
    matches!(
        state,
        ComplaintState::Assigned | ComplaintState::Accepted | ComplaintState::AwaitingInfo
    )
}

pub fn states_of(status: &str) -> Option<Vec<ComplaintState>> {
    let all = [
        ComplaintState::Assigned,
        ComplaintState::Accepted,
        ComplaintState::AwaitingInfo,
        ComplaintState::Resolved,
        ComplaintState::Closed,
        ComplaintState::Rejected,
        ComplaintState::Withdrawn,
    ];
    let open = match status {
        "open" => true,
        "closed" => false,
        _ => return None,
    };
    Some(all.into_iter().filter(|s| is_open(*s) == open).collect())
}

pub fn discovery(config: &Config) -> Discovery {
    Discovery {
        changeset: CHANGESET.into(),
        contact: config.base_url.clone(),
        key_service: format!("{}/admin/api-keys", config.base_url),
        endpoints: vec![Endpoint {
            specification: "http://wiki.open311.org/GeoReport_v2",
            url: format!("{}/open311/v2", config.base_url),
            changeset: CHANGESET.into(),
            kind: "production",
            formats: vec!["text/xml", "application/json"],
        }],
    }
}

pub fn services(reference: &ReferenceData, locale: Locale) -> Vec<Service> {
    reference
        .categories
        .iter()
        .filter(|c| c.active)
        .map(|c| Service {
            service_code: c.code.clone(),
            service_name: c.name(locale).to_owned(),
            description: t_args(
                locale,
                "open311.service.description",
                &[("name", c.name(locale))],
            ),
            metadata: true,
            kind: "realtime",
            keywords: String::new(),
            group: String::new(),
        })
        .collect()
}

pub fn definition(
    reference: &ReferenceData,
    locale: Locale,
    service_code: &str,
) -> Option<ServiceDefinition> {
    reference.category(service_code).filter(|c| c.active)?;
    let kinds = [ComplaintKind::Complaint, ComplaintKind::Report]
        .into_iter()
        .map(|k| AttributeValue {
            key: k.as_str().to_owned(),
            name: t(locale, &format!("kind.{}", k.as_str())).to_owned(),
        })
        .collect();
    let districts = reference
        .districts
        .iter()
        .filter(|d| d.active)
        .map(|d| AttributeValue {
            key: d.code.clone(),
            name: d.name(locale).to_owned(),
        })
        .collect();
    let attribute = |code: &'static str, datatype: &'static str, order, values| Attribute {
        variable: true,
        code,
        datatype,
        required: true,
        datatype_description: t(locale, &format!("open311.datatype.{datatype}")).to_owned(),
        order,
        description: t(locale, &format!("open311.attribute.{code}")).to_owned(),
        values,
    };
    Some(ServiceDefinition {
        service_code: service_code.to_owned(),
        attributes: vec![
            attribute("kind", "singlevaluelist", 1, kinds),
            attribute("district", "singlevaluelist", 2, districts),
            attribute("business_name", "string", 3, Vec::new()),
        ],
    })
}

/// One request as the API shows it; the business and the latest public message only to a
/// key holder (an unproven allegation must not publish a business's name).
pub fn request_view(
    row: &RequestRow,
    reference: &ReferenceData,
    locale: Locale,
    with_key: bool,
    status_notes: Option<&String>,
) -> ServiceRequest {
    let category = reference.category(&row.category_code);
    let district = reference
        .district(&row.district_code)
        .map_or(row.district_code.as_str(), |d| d.name(locale));
    let open = is_open(row.state);
    ServiceRequest {
        service_request_id: row.public_id.clone(),
        status: if open { "open" } else { "closed" },
        status_notes: status_notes.filter(|_| with_key).cloned(),
        service_name: category.map_or(row.category_code.clone(), |c| c.name(locale).to_owned()),
        service_code: row.category_code.clone(),
        agency_responsible: reference
            .department(&row.lead_department)
            .map_or(row.lead_department.clone(), |d| d.name(locale).to_owned()),
        requested_datetime: iso(row.created_at),
        updated_datetime: iso(row.updated_at),
        expected_datetime: row.current_due.filter(|_| open).map(end_of_day),
        address: if with_key {
            format!("{district} {}", row.business_address)
        } else {
            district.to_owned()
        },
        business_name: with_key.then(|| row.business_name.clone()),
    }
}

pub async fn requests(
    db: &Database,
    reference: &ReferenceData,
    locale: Locale,
    filter: RequestFilter,
    with_key: bool,
) -> Result<Vec<ServiceRequest>, ServiceError> {
    let (rows, notes) = db
        .read(move |conn| {
            let rows = queries::requests(conn, &filter)?;
            let notes = if with_key {
                let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
                queries::latest_public_messages(conn, &ids)?
            } else {
                Default::default()
            };
            Ok((rows, notes))
        })
        .await?;
    Ok(rows
        .iter()
        .map(|row| request_view(row, reference, locale, with_key, notes.get(&row.id)))
        .collect())
}

/// The window of `GET requests` when it names none: the last 90 days, up to now.
pub fn default_window(
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
) -> (NaiveDateTime, Option<NaiveDateTime>) {
    match (from, to) {
        (Some(from), to) => (from, to),
        (None, Some(to)) => (to - Duration::days(DEFAULT_DAYS), Some(to)),
        (None, None) => (crate::clock::now_utc() - Duration::days(DEFAULT_DAYS), None),
    }
}

// ---- API keys ----

/// A new key: 32 random bytes, URL-safe base64 behind a recognisable prefix (46 characters).
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "gc_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What is stored of a key: it has 256 random bits, so a plain SHA-256 is enough.
pub fn hash_key(key: &str) -> String {
    Sha256::digest(key.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    Name,
    Limit,
}

/// Checks a key's name and limit as typed (the page and the command share the rules).
pub fn parse_key_settings(name: &str, limit: Option<&str>) -> Result<(String, i32), KeyProblem> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_KEY_NAME || name.chars().any(char::is_control)
    {
        return Err(KeyProblem::Name);
    }
    let limit = match limit.map(str::trim).filter(|l| !l.is_empty()) {
        None => DEFAULT_LIMIT_PER_HOUR,
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT_PER_HOUR).contains(n))
            .ok_or(KeyProblem::Limit)?,
    };
    Ok((name.to_owned(), limit))
}

/// Creates a key; the key itself is returned once and never stored.
pub async fn create_key(
    db: &Database,
    name: String,
    limit_per_hour: i32,
    now: NaiveDateTime,
) -> Result<(i64, String), ServiceError> {
    let key = new_key();
    let hash = hash_key(&key);
    let id = db
        .write(move |conn| api_keys::insert(conn, &name, &hash, limit_per_hour, now))
        .await?;
    Ok((id, key))
}

/// The valid key a request carries, if any; its use is recorded now and then.
pub async fn key_for_read(
    db: &Database,
    key: &str,
    now: NaiveDateTime,
) -> Result<Option<ApiKeyRow>, ServiceError> {
    let hash = hash_key(key);
    let found = db
        .read(move |conn| api_keys::valid_by_hash(conn, &hash))
        .await?;
    if let Some(row) = &found {
        let stale = row
            .last_used_at
            .is_none_or(|at| now - at >= Duration::seconds(TOUCH_EVERY_SECONDS));
        if stale {
            let id = row.id;
            db.write(move |conn| api_keys::touch(conn, id, now)).await?;
        }
    }
    Ok(found)
}

// ---- Filing ----

/// The parameters of `POST requests` that a filing uses, as sent (first value of each).
#[derive(Debug, Default, Clone)]
pub struct FilingParams {
    pub service_code: Option<String>,
    pub kind: Option<String>,
    pub district: Option<String>,
    pub business_name: Option<String>,
    pub address_string: Option<String>,
    pub description: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub account_id: Option<String>,
}

#[derive(Debug)]
pub enum FilingRefusal {
    /// No key, an unknown or a revoked one (`403`).
    Key,
    /// The key filed its hourly limit (`429`).
    Limit(i32),
    /// Field problems, each with the parameter it concerns (`400`).
    Fields(Vec<(&'static str, String)>),
    Failed(ServiceError),
}

impl From<ServiceError> for FilingRefusal {
    fn from(error: ServiceError) -> Self {
        FilingRefusal::Failed(error)
    }
}

/// The parameter of `POST requests` that carries a field of the web form.
pub fn parameter_of(field: &str) -> &'static str {
    match field {
        "kind" => "attribute[kind]",
        "category" => "service_code",
        "district" => "attribute[district]",
        "business_name" => "attribute[business_name]",
        "business_address" => "address_string",
        "description" => "description",
        "complainant_name" => "last_name",
        "phone" => "phone",
        "email" => "email",
        _ => "request",
    }
}

/// `last_name` + `first_name`, in Chinese order: run together between Chinese characters,
/// a space between anything else.
pub fn full_name(last: Option<&str>, first: Option<&str>) -> Option<String> {
    let last = last.map(str::trim).filter(|s| !s.is_empty());
    let first = first.map(str::trim).filter(|s| !s.is_empty());
    let wide = |c: Option<char>| c.is_some_and(|c| c >= '\u{2E80}');
    match (last, first) {
        (None, None) => None,
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (Some(last), Some(first)) if wide(last.chars().last()) && wide(first.chars().next()) => {
            Some(format!("{last}{first}"))
        }
        (Some(last), Some(first)) => Some(format!("{last} {first}")),
    }
}

fn field_messages(problems: &FieldProblems, locale: Locale) -> Vec<(&'static str, String)> {
    problems
        .iter()
        .map(|(field, problem)| {
            let limit = problem.limit().map(|n| n.to_string()).unwrap_or_default();
            let message = t_args(
                locale,
                &problem.message_key(field),
                &[("min", &limit), ("max", &limit)],
            );
            (parameter_of(field), message)
        })
        .collect()
}

/// Files a request through the web form's own path (validation, routing, events, deadlines,
/// emails); consent is the key holder's, the limit the key's.
pub async fn file(
    db: &Database,
    reference: &ReferenceData,
    config: &Config,
    key: Option<&str>,
    params: &FilingParams,
    locale: Locale,
    now: NaiveDateTime,
) -> Result<(PublicId, bool), FilingRefusal> {
    let Some(key) = key.map(str::trim).filter(|k| !k.is_empty()) else {
        return Err(FilingRefusal::Key);
    };
    let hash = hash_key(key);
    let key = db
        .read(move |conn| api_keys::valid_by_hash(conn, &hash))
        .await
        .map_err(ServiceError::from)?
        .ok_or(FilingRefusal::Key)?;
    let name = full_name(params.last_name.as_deref(), params.first_name.as_deref());
    let input = ComplaintInput {
        kind: params.kind.as_deref(),
        category: params.service_code.as_deref(),
        district: params.district.as_deref(),
        business_name: params.business_name.as_deref(),
        business_address: params.address_string.as_deref(),
        description: params.description.as_deref(),
        complainant_name: name.as_deref(),
        phone: params.phone.as_deref(),
        email: params.email.as_deref(),
        consent: true,
        ..Default::default()
    };
    let complaint = NewComplaint::parse(&input, reference, city_date(now))
        .map_err(|problems| FilingRefusal::Fields(field_messages(&problems, locale)))?;
    let slot_key = key.clone();
    let granted = db
        .write(move |conn| api_keys::take_filing_slot(conn, &slot_key, now))
        .await
        .map_err(ServiceError::from)?;
    if !granted {
        return Err(FilingRefusal::Limit(key.limit_per_hour));
    }
    let request = FilingRequest {
        complaint,
        locale,
        channel: Channel::Open311,
        submission_id: None,
        attachments: Vec::new(),
        filed_by: None,
    };
    match filing::file(
        db,
        reference,
        request,
        &config.base_url,
        config.duplicate_window_days,
        now,
    )
    .await?
    {
        FilingOutcome::Filed {
            public_id, emailed, ..
        } => Ok((public_id, emailed)),
        // Only a submission id can find an earlier filing, and the API sends none.
        FilingOutcome::AlreadyFiled { .. } => Err(FilingRefusal::Failed(ServiceError::Unexpected(
            anyhow::anyhow!("an API filing was taken for an earlier one"),
        ))),
    }
}

/// The answer to a filing.
pub fn created(public_id: &PublicId, params: &FilingParams, locale: Locale) -> Created {
    Created {
        service_request_id: public_id.to_string(),
        service_notice: t(locale, "open311.notice").to_owned(),
        account_id: params.account_id.clone().filter(|a| !a.trim().is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_chinese_order() {
        assert_eq!(full_name(Some("张"), Some("三")).as_deref(), Some("张三"));
        assert_eq!(
            full_name(Some("Smith"), Some("Jo")).as_deref(),
            Some("Smith Jo")
        );
        assert_eq!(full_name(Some(" 李 "), None).as_deref(), Some("李"));
        assert_eq!(full_name(Some(" "), Some("")), None);
    }

    #[test]
    fn keys_are_long_url_safe_and_hashed_apart() {
        let key = new_key();
        assert!(key.len() >= 40);
        assert!(key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(hash_key(&key), key);
        assert_eq!(hash_key(&key).len(), 64);
        assert_ne!(new_key(), key);
    }

    #[test]
    fn key_settings_are_checked() {
        assert_eq!(
            parse_key_settings(" 12345 ", None),
            Ok(("12345".into(), 100))
        );
        assert_eq!(parse_key_settings("x", Some("5")), Ok(("x".into(), 5)));
        assert_eq!(parse_key_settings("", None), Err(KeyProblem::Name));
        assert_eq!(parse_key_settings("x", Some("0")), Err(KeyProblem::Limit));
        assert_eq!(parse_key_settings("x", Some("abc")), Err(KeyProblem::Limit));
        assert_eq!(parse_key_settings("a\u{0}b", None), Err(KeyProblem::Name));
    }

    #[test]
    fn status_groups_split_the_states() {
        let open = states_of("open").unwrap();
        let closed = states_of("closed").unwrap();
        assert_eq!(open.len() + closed.len(), 7);
        assert!(closed.contains(&ComplaintState::Withdrawn));
        assert_eq!(states_of("pending"), None);
    }
}
