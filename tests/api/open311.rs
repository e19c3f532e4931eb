//! Open311 GeoReport v2 (issue 12) over HTTP: every method in JSON and XML against the
//! specification's shapes (XML parsed), filing with and without a key, revoked keys, the
//! per-key limit, malformed input, the same emails as a web filing, no personal data in
//! any answer, and the public case number on the pages and in the queue search.

use diesel::prelude::*;
use green_channel::db::schema::complaints;
use serde::Deserialize;
use serde_json::Value;

use crate::helpers::{select_text, spawn_app, valid_complaint, TestApp, ADMIN_PASSWORD};
use crate::sweeper::command;
use crate::triage::{act, emails_to};

const API: &str = "/open311/v2";

/// A POST's fields, as `serde_urlencoded` takes them.
type Fields = Vec<(&'static str, String)>;

/// Known personal data and secrets of the filings below: none may appear in any answer.
const NAME_LAST: &str = "欧阳";
const NAME_FIRST: &str = "娜娜";
const PHONE: &str = "13912345678";
const EMAIL: &str = "ouyang.nana@example.com";
const DESCRIPTION: &str = "买到的月饼发霉了，包装上的日期被涂改过。";

/// `green-channel create-api-key`, through the real binary: the key printed alone.
pub fn create_key(app: &TestApp, name: &str, limit: Option<&str>) -> String {
    let mut args = vec!["create-api-key", "--name", name];
    if let Some(limit) = limit {
        args.extend(["--limit-per-hour", limit]);
    }
    let output = command(app, &args).output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "the key alone on its line: {stdout:?}");
    let key = lines[0].to_owned();
    assert!(key.len() >= 40, "{key}");
    assert!(
        key.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{key}"
    );
    key
}

fn filing(key: Option<&str>) -> Vec<(&'static str, String)> {
    let mut fields: Vec<(&'static str, String)> = [
        ("service_code", "food"),
        ("attribute[kind]", "complaint"),
        ("attribute[district]", "361102"),
        ("attribute[business_name]", "信州区好又多超市"),
        ("address_string", "信州区中山路 88 号"),
        ("lat", "28.45"),
        ("long", "117.94"),
        ("description", DESCRIPTION),
        ("last_name", NAME_LAST),
        ("first_name", NAME_FIRST),
        ("phone", PHONE),
        ("email", EMAIL),
        ("media_url", "http://127.0.0.1:9/never-fetched.jpg"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    if let Some(key) = key {
        fields.push(("api_key", key.to_owned()));
    }
    fields
}

fn with_field(
    mut fields: Vec<(&'static str, String)>,
    name: &'static str,
    value: Option<&str>,
) -> Vec<(&'static str, String)> {
    fields.retain(|(k, _)| *k != name);
    if let Some(value) = value {
        fields.push((name, value.to_owned()));
    }
    fields
}

async fn post(app: &TestApp, format: &str, fields: &[(&str, String)]) -> reqwest::Response {
    app.client
        .post(app.url(&format!("{API}/requests.{format}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(fields).unwrap())
        .send()
        .await
        .unwrap()
}

/// Status, content type and body of a GET.
async fn get(app: &TestApp, path: &str) -> (u16, String, String) {
    let response = app.get(&format!("{API}/{path}")).await;
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let (status, content_type, body) = get(app, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    serde_json::from_str(&body).unwrap()
}

async fn get_xml<T: for<'de> Deserialize<'de>>(app: &TestApp, path: &str) -> (T, String) {
    let (status, content_type, body) = get(app, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert!(content_type.starts_with("text/xml"), "{content_type}");
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    (
        quick_xml::de::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}\n{body}")),
        body,
    )
}

/// Files through the API with `key`; the new case's public number.
async fn file_through_api(app: &TestApp, key: &str) -> String {
    let response = post(app, "json", &filing(Some(key))).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    let list = body.as_array().expect("a list of one");
    assert_eq!(list.len(), 1);
    assert!(list[0].get("token").is_none());
    list[0]["service_request_id"].as_str().unwrap().to_owned()
}

async fn row_of(app: &TestApp, public_id: &str) -> green_channel::db::complaints::ComplaintRow {
    let public_id = public_id.to_owned();
    app.db
        .read(move |conn| {
            Ok(complaints::table
                .filter(complaints::public_id.eq(public_id))
                .select(green_channel::db::complaints::ComplaintRow::as_select())
                .first(conn)?)
        })
        .await
        .unwrap()
}

fn assert_no_personal_data(body: &str, tracking_code: &str) {
    for secret in [
        NAME_LAST,
        NAME_FIRST,
        PHONE,
        EMAIL,
        DESCRIPTION,
        tracking_code,
        "138 0013 8000",
        "13800138000",
        "zhang.san@example.com",
        "张三",
        "买到的奶粉",
    ] {
        assert!(!body.contains(secret), "{secret:?} in {body}");
    }
}

fn is_iso_city_moment(text: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(text).is_ok() && text.ends_with("+08:00")
}

// XML shapes of the specification, parsed.

#[derive(Debug, Deserialize)]
struct ServicesXml {
    service: Vec<ServiceXml>,
}

#[derive(Debug, Deserialize)]
struct ServiceXml {
    service_code: String,
    service_name: String,
    description: String,
    metadata: bool,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Debug, Deserialize)]
struct DefinitionXml {
    service_code: String,
    attributes: AttributesXml,
}

#[derive(Debug, Deserialize)]
struct AttributesXml {
    attribute: Vec<AttributeXml>,
}

#[derive(Debug, Deserialize)]
struct AttributeXml {
    variable: bool,
    code: String,
    datatype: String,
    required: bool,
    order: u32,
    values: Option<ValuesXml>,
}

#[derive(Debug, Deserialize)]
struct ValuesXml {
    #[serde(default)]
    value: Vec<ValueXml>,
}

#[derive(Debug, Deserialize)]
struct ValueXml {
    key: String,
    name: String,
}

#[derive(Debug, Deserialize)]
struct RequestsXml {
    #[serde(default)]
    request: Vec<RequestXml>,
}

#[derive(Debug, Deserialize)]
struct RequestXml {
    service_request_id: String,
    status: Option<String>,
    status_notes: Option<String>,
    service_code: Option<String>,
    service_name: Option<String>,
    agency_responsible: Option<String>,
    requested_datetime: Option<String>,
    expected_datetime: Option<String>,
    address: Option<String>,
    service_notice: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorsXml {
    error: Vec<ErrorXml>,
}

#[derive(Debug, Deserialize)]
struct ErrorXml {
    code: u16,
    description: String,
}

#[derive(Debug, Deserialize)]
struct DiscoveryXml {
    changeset: String,
    endpoints: EndpointsXml,
}

#[derive(Debug, Deserialize)]
struct EndpointsXml {
    endpoint: Vec<EndpointXml>,
}

#[derive(Debug, Deserialize)]
struct EndpointXml {
    specification: String,
    url: String,
    #[serde(rename = "type")]
    kind: String,
    formats: FormatsXml,
}

#[derive(Debug, Deserialize)]
struct FormatsXml {
    format: Vec<String>,
}

#[tokio::test]
async fn discovery_services_and_definitions_follow_the_specification_in_both_formats() {
    let app = spawn_app().await;

    let discovery = get_json(&app, "discovery.json").await;
    assert!(is_iso_city_moment(discovery["changeset"].as_str().unwrap()));
    let endpoint = &discovery["endpoints"][0];
    assert_eq!(endpoint["type"], "production");
    assert_eq!(
        endpoint["url"],
        format!("{}/open311/v2", app.config.base_url)
    );
    assert_eq!(
        endpoint["formats"],
        serde_json::json!(["text/xml", "application/json"])
    );
    let (discovery, _) = get_xml::<DiscoveryXml>(&app, "discovery.xml").await;
    assert!(is_iso_city_moment(&discovery.changeset));
    let endpoint = &discovery.endpoints.endpoint[0];
    assert_eq!(endpoint.kind, "production");
    assert!(endpoint.specification.contains("GeoReport_v2"));
    assert!(endpoint.url.ends_with("/open311/v2"));
    assert_eq!(endpoint.formats.format, ["text/xml", "application/json"]);

    // Services are the active categories, in the language asked for.
    let services = get_json(&app, "services.json?locale=en").await;
    let services = services.as_array().unwrap();
    let food = services
        .iter()
        .find(|s| s["service_code"] == "food")
        .expect("food is a service");
    assert_eq!(food["metadata"], true);
    assert_eq!(food["type"], "realtime");
    for field in ["service_name", "description", "keywords", "group"] {
        assert!(food[field].is_string(), "{field}");
    }
    let english = food["service_name"].as_str().unwrap().to_owned();
    let response = app
        .client
        .get(app.url(&format!("{API}/services.json")))
        .header("accept-language", "zh-CN")
        .send()
        .await
        .unwrap();
    let chinese: Value = response.json().await.unwrap();
    let chinese = chinese
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "food")
        .unwrap()["service_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(english, chinese);
    let (xml, _) = get_xml::<ServicesXml>(&app, "services.xml?locale=en").await;
    assert_eq!(xml.service.len(), services.len());
    let food_xml = xml
        .service
        .iter()
        .find(|s| s.service_code == "food")
        .unwrap();
    assert_eq!(food_xml.service_name, english);
    assert!(food_xml.metadata && food_xml.kind == "realtime" && !food_xml.description.is_empty());

    // The definition: kind and district as lists, business_name as a string, all required.
    let definition = get_json(&app, "services/food.json").await;
    assert_eq!(definition["service_code"], "food");
    let attributes = definition["attributes"].as_array().unwrap();
    let codes: Vec<&str> = attributes
        .iter()
        .map(|a| a["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["kind", "district", "business_name"]);
    for attribute in attributes {
        assert_eq!(attribute["variable"], true);
        assert_eq!(attribute["required"], true);
        assert!(attribute["order"].is_u64());
        assert!(attribute["description"].is_string());
        assert!(attribute["datatype_description"].is_string());
    }
    assert_eq!(attributes[0]["datatype"], "singlevaluelist");
    assert_eq!(attributes[1]["datatype"], "singlevaluelist");
    assert_eq!(attributes[2]["datatype"], "string");
    let kinds: Vec<&str> = attributes[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["complaint", "report"]);
    assert!(attributes[1]["values"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["key"] == "361102" && v["name"].is_string()));
    let (xml, _) = get_xml::<DefinitionXml>(&app, "services/food.xml").await;
    assert_eq!(xml.service_code, "food");
    let attributes = &xml.attributes.attribute;
    assert_eq!(attributes.len(), 3);
    assert!(attributes.iter().all(|a| a.variable && a.required));
    assert_eq!(attributes[0].code, "kind");
    assert_eq!(attributes[0].datatype, "singlevaluelist");
    assert_eq!(attributes[2].datatype, "string");
    assert_eq!(attributes[2].order, 3);
    let districts = &attributes[1].values.as_ref().unwrap().value;
    assert!(districts
        .iter()
        .any(|v| v.key == "361102" && !v.name.is_empty()));

    // Unknown services and every token: 404 in the specification's error shape.
    for path in [
        "services/nope",
        "tokens/anything",
        "requests/261203-K7QX3MN",
    ] {
        let (status, _, body) = get(&app, &format!("{path}.json")).await;
        assert_eq!(status, 404, "{path}");
        let errors: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(errors[0]["code"], 404);
        assert!(errors[0]["description"].is_string());
        let (status, _, body) = get(&app, &format!("{path}.xml")).await;
        assert_eq!(status, 404, "{path}");
        let errors: ErrorsXml = quick_xml::de::from_str(&body).unwrap();
        assert_eq!(errors.error[0].code, 404);
        assert!(!errors.error[0].description.is_empty());
    }
    // Another jurisdiction is not served here; this one is.
    let (status, _, _) = get(&app, "services.json?jurisdiction_id=elsewhere.example").await;
    assert_eq!(status, 404);
    let (status, _, _) = get(&app, "services.json?jurisdiction_id=green-channel.test").await;
    assert_eq!(status, 200);
    // Formats other than the two are not methods.
    let (status, _, _) = get(&app, "services.csv").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_filing_through_the_api_is_read_back_without_personal_data() {
    let app = spawn_app().await;
    let key = create_key(&app, "12345 hotline", None);

    // As JSON and as XML: the public case number at once, never a token.
    let public_id = file_through_api(&app, &key).await;
    let response = post(&app, "xml", &filing(Some(&key))).await;
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    let created: RequestsXml = quick_xml::de::from_str(&body).unwrap();
    assert_eq!(created.request.len(), 1);
    assert!(created.request[0].service_notice.is_some());
    let second_id = created.request[0].service_request_id.clone();
    assert_ne!(second_id, public_id);

    let row = row_of(&app, &public_id).await;
    assert_eq!(row.channel.as_str(), "open311");
    assert_eq!(row.complainant_name.as_deref(), Some("欧阳娜娜"));
    assert_eq!(row.business_address, "信州区中山路 88 号");
    assert_eq!(row.phone.as_deref(), Some(PHONE));
    assert_eq!(row.state.as_str(), "assigned");
    assert!(!public_id.contains(&row.tracking_code[..5]));
    assert_no_personal_data(&body, &row.tracking_code);

    // Without a key: the district as the address, no business.
    let list = get_json(&app, &format!("requests/{public_id}.json")).await;
    let request = &list.as_array().unwrap()[0];
    assert_eq!(request["service_request_id"], public_id.as_str());
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "food");
    assert!(request["service_name"].is_string());
    assert!(request["agency_responsible"].is_string());
    for field in ["requested_datetime", "updated_datetime"] {
        assert!(
            is_iso_city_moment(request[field].as_str().unwrap()),
            "{field}"
        );
    }
    let expected = request["expected_datetime"].as_str().unwrap();
    assert!(expected.ends_with("T23:59:59+08:00"), "{expected}");
    assert!(expected.starts_with(&row.accept_due.to_string()));
    assert!(request.get("business_name").is_none());
    assert!(request.get("status_notes").is_none());
    let address = request["address"].as_str().unwrap();
    assert!(!address.contains("中山路"), "{address}");
    for field in [
        "description",
        "token",
        "email",
        "phone",
        "first_name",
        "last_name",
    ] {
        assert!(request.get(field).is_none(), "{field}");
    }
    let (xml, body) = get_xml::<RequestsXml>(&app, &format!("requests/{public_id}.xml")).await;
    assert_eq!(xml.request.len(), 1);
    assert_eq!(xml.request[0].service_request_id, public_id);
    assert_eq!(xml.request[0].status.as_deref(), Some("open"));
    assert_eq!(xml.request[0].service_code.as_deref(), Some("food"));
    assert!(xml.request[0].service_name.is_some() && xml.request[0].agency_responsible.is_some());
    assert!(is_iso_city_moment(
        xml.request[0].requested_datetime.as_deref().unwrap()
    ));
    assert!(!body.contains("business_name") && !body.contains("信州区好又多超市"));

    // A clerk's public reply and the clock: with a key, the business and the latest
    // public message; while the clock stands, no expected time.
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let accepted = act(
        &app,
        &admin,
        row.id.as_str(),
        "accept",
        &[("message", "已受理，将尽快核查")],
    )
    .await;
    assert_eq!(accepted.status().as_u16(), 303);
    let paused = act(
        &app,
        &admin,
        row.id.as_str(),
        "pause",
        &[("reason", "送检测机构检验")],
    )
    .await;
    assert_eq!(paused.status().as_u16(), 303);
    let list = get_json(&app, &format!("requests/{public_id}.json?api_key={key}")).await;
    let request = &list[0];
    assert_eq!(request["business_name"], "信州区好又多超市");
    assert!(request["address"]
        .as_str()
        .unwrap()
        .contains("中山路 88 号"));
    // The pause's reason is the latest message to the public.
    assert_eq!(request["status_notes"], "送检测机构检验");
    assert!(request.get("expected_datetime").is_none(), "{request}");
    let (xml, _) =
        get_xml::<RequestsXml>(&app, &format!("requests/{public_id}.xml?api_key={key}")).await;
    assert_eq!(
        xml.request[0].status_notes.as_deref(),
        Some("送检测机构检验")
    );
    assert!(xml.request[0].expected_datetime.is_none());
    assert!(xml.request[0]
        .address
        .as_deref()
        .unwrap()
        .contains("中山路"));

    // Rejected: closed.
    let other = row_of(&app, &second_id).await;
    let rejected = act(
        &app,
        &admin,
        other.id.as_str(),
        "reject",
        &[("reason", "不属于受理范围")],
    )
    .await;
    assert_eq!(rejected.status().as_u16(), 303);
    let list = get_json(&app, &format!("requests/{second_id}.json")).await;
    assert_eq!(list[0]["status"], "closed");

    // No answer, with or without a key, in either format, holds personal data.
    let web_code = app.file_valid(valid_complaint()).await;
    for key_part in ["", &format!("&api_key={key}")] {
        for format in ["json", "xml"] {
            for path in [
                format!("requests.{format}?status=open"),
                format!("requests.{format}?service_request_id={public_id},{second_id}"),
                format!("requests.{format}"),
                format!("requests/{public_id}.{format}?locale=en"),
            ] {
                let (status, _, body) = get(
                    &app,
                    &format!(
                        "{path}{}",
                        key_part.replacen('&', if path.contains('?') { "&" } else { "?" }, 1)
                    ),
                )
                .await;
                assert_eq!(status, 200, "{path}");
                assert_no_personal_data(&body, &row.tracking_code);
                assert_no_personal_data(&body, &other.tracking_code);
                assert_no_personal_data(&body, &web_code);
            }
        }
    }
}

#[tokio::test]
async fn an_api_filing_sends_the_emails_a_web_filing_sends() {
    let app = spawn_app().await;
    let key = create_key(&app, "civic app", Some("10"));
    let web_code = app.file_valid(valid_complaint()).await;
    let web = crate::triage::complaint(&app, &web_code).await;
    let public_id = file_through_api(&app, &key).await;
    let api = row_of(&app, &public_id).await;
    let web_emails = emails_to(&app, web.id.as_str()).await;
    let api_emails = emails_to(&app, api.id.as_str()).await;
    let templates = |emails: &[(String, String)]| -> Vec<String> {
        emails.iter().map(|(_, t)| t.clone()).collect()
    };
    assert!(!web_emails.is_empty());
    assert_eq!(templates(&api_emails), templates(&web_emails));
    assert!(api_emails.iter().any(|(to, _)| to == EMAIL));
    // The tracking code went to the resident by email, as for the web form.
    let code = api.tracking_code.clone();
    let id = api.id.to_string();
    let bodies: Vec<String> = app
        .db
        .read(move |conn| {
            use green_channel::db::schema::outbox;
            Ok(outbox::table
                .filter(outbox::complaint_id.eq(id))
                .filter(outbox::recipient.eq(EMAIL))
                .select(outbox::text_body)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert!(bodies.iter().any(|b| b.contains(&code)));
    // Routed, with deadlines and events, like any filing.
    assert_eq!(api.lead_department, web.lead_department);
    assert_eq!(api.accept_due, web.accept_due);
    assert_eq!(
        crate::sweeper::event_kinds(&app, api.id.as_str()).await,
        crate::sweeper::event_kinds(&app, web.id.as_str()).await
    );
}

#[tokio::test]
async fn keys_are_required_revocable_at_once_and_limited_per_hour() {
    let app = spawn_app().await;

    // No key, an unknown key: 403 in the error shape; nothing stored.
    let before = app.stored_rows().await;
    for fields in [
        filing(None),
        filing(Some("gc_not-a-key-at-all-but-long-enough-0000000")),
    ] {
        for format in ["json", "xml"] {
            let response = post(&app, format, &fields).await;
            assert_eq!(response.status().as_u16(), 403);
            let body = response.text().await.unwrap();
            if format == "json" {
                let errors: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(errors[0]["code"], 403);
            } else {
                let errors: ErrorsXml = quick_xml::de::from_str(&body).unwrap();
                assert_eq!(errors.error[0].code, 403);
            }
        }
    }
    // A read with an invalid key is refused too, rather than quietly shown less.
    let (status, _, _) = get(&app, "requests.json?api_key=nope").await;
    assert_eq!(status, 403);
    assert_eq!(app.stored_rows().await, before);

    // The admin page: a key is created with a name and shown once, on the POST's answer.
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let token = app.admin_csrf(&admin, "/admin/api-keys").await;
    let response = admin
        .post(app.url("/admin/api-keys"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "城市 App"),
            ("limit_per_hour", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.unwrap();
    let key = select_text(&page, "#new-api-key")
        .pop()
        .expect("the new key");
    assert!(key.len() >= 40);
    let later = app.html_as(&admin, "/admin/api-keys").await;
    assert!(!later.contains(&key), "shown once");
    assert!(later.contains("城市 App"));
    let stored: Vec<String> = app
        .db
        .read(|conn| {
            use green_channel::db::schema::api_keys;
            Ok(api_keys::table.select(api_keys::key_hash).load(conn)?)
        })
        .await
        .unwrap();
    assert!(!stored.contains(&key), "stored hashed");

    // Its limit: two filings an hour, then 429 in the specification's error shape.
    file_through_api(&app, &key).await;
    file_through_api(&app, &key).await;
    let before = app.stored_rows().await;
    let response = post(&app, "json", &filing(Some(&key))).await;
    assert_eq!(response.status().as_u16(), 429);
    let errors: Value = response.json().await.unwrap();
    assert_eq!(errors[0]["code"], 429);
    assert!(errors[0]["description"].as_str().unwrap().contains('2'));
    let response = post(&app, "xml", &filing(Some(&key))).await;
    assert_eq!(response.status().as_u16(), 429);
    let errors: ErrorsXml = quick_xml::de::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(errors.error[0].code, 429);
    assert_eq!(app.stored_rows().await, before);
    // Last use recorded.
    let last_used: Vec<Option<chrono::NaiveDateTime>> = app
        .db
        .read(|conn| {
            use green_channel::db::schema::api_keys;
            Ok(api_keys::table
                .filter(api_keys::name.eq("城市 App"))
                .select(api_keys::last_used_at)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert!(last_used[0].is_some());

    // A key from the command, revoked on the page: refused at once by the running service.
    let cli_key = create_key(&app, "journalists", None);
    file_through_api(&app, &cli_key).await;
    let page = app.html_as(&admin, "/admin/api-keys").await;
    let id = crate::helpers::select_attr(
        &page,
        "tr[data-api-key]:not([data-revoked])",
        "data-api-key",
    )
    .expect("a key row");
    let token = app.admin_csrf(&admin, "/admin/api-keys").await;
    let response = admin
        .post(app.url(&format!("/admin/api-keys/{id}/revoke")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let page = app.html_as(&admin, "/admin/api-keys").await;
    assert!(page.contains(&format!("data-api-key=\"{id}\" data-revoked")));
    let response = post(&app, "json", &filing(Some(&cli_key))).await;
    assert_eq!(response.status().as_u16(), 403);
    // Revoking twice, or a key that does not exist: 404; without the token: refused.
    for path in [
        format!("/admin/api-keys/{id}/revoke"),
        "/admin/api-keys/999999/revoke".into(),
        "/admin/api-keys/x/revoke".into(),
    ] {
        let response = admin
            .post(app.url(&path))
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 404, "{path}");
    }
    let response = admin
        .post(app.url("/admin/api-keys"))
        .form(&[("name", "no token")])
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error());

    // Only administrators manage keys.
    app.create_user("office", "coordinator", "quality-office")
        .await;
    let coordinator = app.login("office", crate::helpers::STAFF_PASSWORD).await;
    let response = coordinator
        .get(app.url("/admin/api-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

#[tokio::test]
async fn malformed_filings_get_400_naming_the_parameter_and_store_nothing() {
    let app = spawn_app().await;
    let key = create_key(&app, "table", Some("1000"));
    let base = filing(Some(&key));
    let long = "好".repeat(5_001);
    let cases: Vec<(&str, Fields, &str)> = vec![
        (
            "no service",
            with_field(base.clone(), "service_code", None),
            "service_code",
        ),
        (
            "unknown service",
            with_field(base.clone(), "service_code", Some("nope")),
            "service_code",
        ),
        (
            "no kind",
            with_field(base.clone(), "attribute[kind]", None),
            "attribute[kind]",
        ),
        (
            "bad kind",
            with_field(base.clone(), "attribute[kind]", Some("praise")),
            "attribute[kind]",
        ),
        (
            "no district",
            with_field(base.clone(), "attribute[district]", None),
            "attribute[district]",
        ),
        (
            "bad district",
            with_field(base.clone(), "attribute[district]", Some("999999")),
            "attribute[district]",
        ),
        (
            "no business",
            with_field(base.clone(), "attribute[business_name]", None),
            "attribute[business_name]",
        ),
        (
            "blank business",
            with_field(base.clone(), "attribute[business_name]", Some("   ")),
            "attribute[business_name]",
        ),
        (
            "no address",
            with_field(base.clone(), "address_string", None),
            "address_string",
        ),
        (
            "no description",
            with_field(base.clone(), "description", None),
            "description",
        ),
        (
            "short description",
            with_field(base.clone(), "description", Some("坏了")),
            "description",
        ),
        (
            "long description",
            with_field(base.clone(), "description", Some(&long)),
            "description",
        ),
        (
            "bad email",
            with_field(base.clone(), "email", Some("not-an-email")),
            "email",
        ),
        (
            "bad phone",
            with_field(base.clone(), "phone", Some("12")),
            "phone",
        ),
        (
            "no name",
            with_field(
                with_field(base.clone(), "last_name", None),
                "first_name",
                None,
            ),
            "last_name",
        ),
        (
            "no contact",
            with_field(with_field(base.clone(), "phone", None), "email", None),
            "phone",
        ),
        (
            "control characters",
            with_field(base.clone(), "attribute[business_name]", Some("a\u{0}b")),
            "attribute[business_name]",
        ),
    ];
    let before = app.stored_rows().await;
    for (what, fields, parameter) in cases {
        for format in ["json", "xml"] {
            let response = post(&app, format, &fields).await;
            assert_eq!(response.status().as_u16(), 400, "{what} ({format})");
            let body = response.text().await.unwrap();
            let descriptions: Vec<String> = if format == "json" {
                let errors: Value = serde_json::from_str(&body).unwrap();
                errors
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        assert_eq!(e["code"], 400);
                        e["description"].as_str().unwrap().to_owned()
                    })
                    .collect()
            } else {
                let errors: ErrorsXml = quick_xml::de::from_str(&body).unwrap();
                errors.error.into_iter().map(|e| e.description).collect()
            };
            assert!(
                descriptions.iter().any(|d| d.starts_with(parameter)),
                "{what}: {descriptions:?}"
            );
        }
    }
    // Bodies that are not a form at all, and a body over the limit.
    for body in ["%%%", "service_code=%FF%FE", "a=1&&&=="] {
        let response = app
            .client
            .post(app.url(&format!("{API}/requests.json")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!(status == 400 || status == 403, "{body:?}: {status}");
    }
    let response = post(
        &app,
        "json",
        &with_field(base.clone(), "description", Some(&"x".repeat(70_000))),
    )
    .await;
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(app.stored_rows().await, before);

    // Reads: malformed filters are 400 naming the parameter, never a 5xx.
    for (query, parameter) in [
        ("start_date=yesterday", "start_date"),
        ("end_date=2026-13-01T00:00:00Z", "end_date"),
        ("status=pending", "status"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page_size=1001", "page_size"),
        ("page_size=-1", "page_size"),
    ] {
        for format in ["json", "xml"] {
            let (status, _, body) = get(&app, &format!("requests.{format}?{query}")).await;
            assert_eq!(status, 400, "{query}");
            assert!(body.contains(parameter), "{query}: {body}");
        }
    }
    // Odd but harmless: empty parameters count as absent; unknown ids find nothing.
    for query in [
        "status=&service_code=",
        "service_request_id=../../etc,<x>",
        "service_request_id=%00",
    ] {
        let (status, _, _) = get(&app, &format!("requests.json?{query}")).await;
        assert_eq!(status, 200, "{query}");
    }
    for id in ["..%2F..", "%3Cscript%3E", "261203-K7QX3MN"] {
        let (status, _, _) = get(&app, &format!("requests/{id}.json")).await;
        assert_eq!(status, 404, "{id}");
    }
}

#[tokio::test]
async fn the_list_filters_by_id_service_dates_status_and_pages() {
    let app = spawn_app().await;
    let key = create_key(&app, "filters", Some("100"));
    let first = file_through_api(&app, &key).await;
    let second = file_through_api(&app, &key).await;
    let drug = post(
        &app,
        "json",
        &with_field(filing(Some(&key)), "service_code", Some("drugs")),
    )
    .await;
    assert_eq!(drug.status().as_u16(), 200);
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
            .collect()
    };

    let all = get_json(&app, "requests.json").await;
    assert_eq!(ids(&all).len(), 3);
    // Newest first.
    assert_eq!(ids(&all)[ids(&all).len() - 1], first);

    let food = get_json(&app, "requests.json?service_code=food").await;
    assert_eq!(ids(&food).len(), 2);
    let by_id = get_json(
        &app,
        &format!("requests.json?service_request_id={first}&service_code=nope"),
    )
    .await;
    assert_eq!(
        ids(&by_id),
        std::slice::from_ref(&first),
        "the id list overrides the other filters"
    );
    let both = get_json(
        &app,
        &format!(
            "requests.json?service_request_id={first},{}",
            second.to_lowercase()
        ),
    )
    .await;
    assert_eq!(ids(&both).len(), 2);

    let closed = get_json(&app, "requests.json?status=closed").await;
    assert!(ids(&closed).is_empty());
    let open = get_json(&app, "requests.json?status=open").await;
    assert_eq!(ids(&open).len(), ids(&all).len());

    let page_one = get_json(&app, "requests.json?page_size=1").await;
    let page_two = get_json(&app, "requests.json?page_size=1&page=2").await;
    assert_eq!(ids(&page_one).len(), 1);
    assert_eq!(ids(&page_two).len(), 1);
    assert_ne!(ids(&page_one), ids(&page_two));

    let future = get_json(&app, "requests.json?start_date=2099-01-01T00:00:00%2B08:00").await;
    assert!(ids(&future).is_empty());
    let past = get_json(&app, "requests.json?end_date=2000-01-01T00:00:00Z").await;
    assert!(ids(&past).is_empty());
    let window = get_json(
        &app,
        "requests.json?start_date=2000-01-01T00:00:00Z&end_date=2099-01-01T00:00:00%2B08:00",
    )
    .await;
    assert_eq!(ids(&window).len(), ids(&all).len());

    let (xml, _) = get_xml::<RequestsXml>(&app, "requests.xml?service_code=food").await;
    assert_eq!(xml.request.len(), 2);
    let (xml, _) = get_xml::<RequestsXml>(&app, "requests.xml?status=closed").await;
    assert!(xml.request.is_empty());
}

#[tokio::test]
async fn the_public_case_number_is_shown_and_searchable_but_grants_nothing() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let row = crate::triage::complaint(&app, &code).await;
    let public_id = row.public_id.clone();
    assert!(
        green_channel::domain::public_id::PublicId::parse(&public_id).is_some(),
        "{public_id}"
    );
    assert!(!public_id.contains(&code[..5]));

    // The tracking page shows it beside the tracking code.
    let page = app.get_html(&format!("/track/{code}")).await;
    assert_eq!(
        select_text(&page, "#public-id"),
        std::slice::from_ref(&public_id)
    );
    // It is not a key to the tracking page.
    let response = app.get(&format!("/track/{public_id}")).await;
    assert_ne!(response.status().as_u16(), 200);

    // The admin pages call the case by it, and the queue finds it (any case).
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let queue = app
        .html_as(&admin, &format!("/admin?q={}", public_id.to_lowercase()))
        .await;
    let references = select_text(&queue, "td a.code");
    assert_eq!(references, std::slice::from_ref(&public_id), "{queue}");
    let detail = app
        .html_as(&admin, &format!("/admin/complaints/{}", row.id))
        .await;
    assert!(select_text(&detail, "h1").join(" ").contains(&public_id));
    assert!(!select_text(&detail, "h1").join(" ").contains(&code[..5]));
}

#[tokio::test]
async fn the_migration_numbers_every_existing_case_once() {
    use diesel::connection::SimpleConnection as _;
    use green_channel::db::DatabaseLocation;
    let app = spawn_app().await;
    for _ in 0..3 {
        app.file_valid(valid_complaint()).await;
    }
    // The cases as they were before the migration: no number (all the same one).
    let backend = match app.config.database {
        DatabaseLocation::Postgres(_) => "postgres",
        _ => "sqlite",
    };
    let up = std::fs::read_to_string(format!(
        "{}/migrations/{backend}/2026-12-03-000020_open311/up.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let backfill: String = up
        .lines()
        .filter(|l| l.starts_with("UPDATE complaints") || l.starts_with("CREATE UNIQUE INDEX"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(backfill.lines().count(), 5, "{backfill}");
    app.db
        .write(move |conn| -> Result<(), green_channel::db::DbError> {
            conn.batch_execute(
                "DROP INDEX complaints_public_id; UPDATE complaints SET public_id = 'X';",
            )?;
            conn.batch_execute(&backfill)?;
            Ok(())
        })
        .await
        .unwrap();
    let rows: Vec<(String, chrono::NaiveDateTime)> = app
        .db
        .read(|conn| {
            Ok(complaints::table
                .select((complaints::public_id, complaints::created_at))
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    let mut seen = std::collections::HashSet::new();
    for (public_id, created_at) in rows {
        assert!(
            green_channel::domain::public_id::PublicId::parse(&public_id).is_some(),
            "{public_id}"
        );
        let city_day = green_channel::domain::calendar::city_date(created_at);
        assert!(
            public_id.starts_with(&city_day.format("%y%m%d-").to_string()),
            "{public_id}"
        );
        assert!(seen.insert(public_id));
    }
}
