//! The shapes of Open311 GeoReport v2 answers, in JSON and XML from the same values through
//! serde (`serde_json`, `quick-xml`): field names, nesting and XML roots as the
//! specification lays them out. No data access here; `services::open311` fills them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub fn parse(extension: &str) -> Option<Format> {
        match extension {
            "json" => Some(Format::Json),
            "xml" => Some(Format::Xml),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Xml => "text/xml; charset=utf-8",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    pub metadata: bool,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub keywords: String,
    pub group: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub variable: bool,
    pub code: &'static str,
    pub datatype: &'static str,
    pub required: bool,
    pub datatype_description: String,
    pub order: u32,
    pub description: String,
    pub values: Vec<AttributeValue>,
}

#[derive(Debug, Clone)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

/// A request (complaint) as the API may show it: never a description, a complainant's
/// name or contact, an internal note or a tracking code. `business_name` is an extension,
/// shown with a key only.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceRequest {
    pub service_request_id: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_notes: Option<String>,
    pub service_name: String,
    pub service_code: String,
    pub agency_responsible: String,
    pub requested_datetime: String,
    pub updated_datetime: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_datetime: Option<String>,
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business_name: Option<String>,
}

/// The answer to `POST requests`: the public case number at once, never a token.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    pub service_request_id: String,
    pub service_notice: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    pub code: u16,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct Discovery {
    pub changeset: String,
    pub contact: String,
    pub key_service: String,
    pub endpoints: Vec<Endpoint>,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub specification: &'static str,
    pub url: String,
    pub changeset: String,
    pub kind: &'static str,
    pub formats: Vec<&'static str>,
}

// The JSON forms: lists are arrays, nested lists arrays of objects.

#[derive(Serialize)]
struct DefinitionJson<'a> {
    service_code: &'a str,
    attributes: Vec<AttributeJson<'a>>,
}

#[derive(Serialize)]
struct AttributeJson<'a> {
    variable: bool,
    code: &'a str,
    datatype: &'a str,
    required: bool,
    datatype_description: &'a str,
    order: u32,
    description: &'a str,
    values: &'a [AttributeValue],
}

#[derive(Serialize)]
struct DiscoveryJson<'a> {
    changeset: &'a str,
    contact: &'a str,
    key_service: &'a str,
    endpoints: Vec<EndpointJson<'a>>,
}

#[derive(Serialize)]
struct EndpointJson<'a> {
    specification: &'a str,
    url: &'a str,
    changeset: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    formats: &'a [&'static str],
}

// The XML forms: each list is an element holding one element per item.

#[derive(Serialize)]
struct ServicesXml<'a> {
    service: &'a [Service],
}

#[derive(Serialize)]
struct RequestsXml<'a, T> {
    request: &'a [T],
}

#[derive(Serialize)]
struct ErrorsXml<'a> {
    error: &'a [ApiError],
}

#[derive(Serialize)]
struct DefinitionXml<'a> {
    service_code: &'a str,
    attributes: AttributesXml<'a>,
}

#[derive(Serialize)]
struct AttributesXml<'a> {
    attribute: Vec<AttributeXml<'a>>,
}

#[derive(Serialize)]
struct AttributeXml<'a> {
    variable: bool,
    code: &'a str,
    datatype: &'a str,
    required: bool,
    datatype_description: &'a str,
    order: u32,
    description: &'a str,
    values: ValuesXml<'a>,
}

#[derive(Serialize)]
struct ValuesXml<'a> {
    value: &'a [AttributeValue],
}

#[derive(Serialize)]
struct DiscoveryXml<'a> {
    changeset: &'a str,
    contact: &'a str,
    key_service: &'a str,
    endpoints: EndpointsXml<'a>,
}

#[derive(Serialize)]
struct EndpointsXml<'a> {
    endpoint: Vec<EndpointXml<'a>>,
}

#[derive(Serialize)]
struct EndpointXml<'a> {
    specification: &'a str,
    url: &'a str,
    changeset: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    formats: FormatsXml<'a>,
}

#[derive(Serialize)]
struct FormatsXml<'a> {
    format: &'a [&'static str],
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

fn xml<T: Serialize>(root: &str, value: &T) -> anyhow::Result<String> {
    let body = quick_xml::se::to_string_with_root(root, value)?;
    Ok(format!("{XML_DECLARATION}{body}"))
}

fn json<T: Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_json::to_string(value)?)
}

pub fn services(format: Format, services: &[Service]) -> anyhow::Result<String> {
    match format {
        Format::Json => json(&services),
        Format::Xml => xml("services", &ServicesXml { service: services }),
    }
}

pub fn requests(format: Format, requests: &[ServiceRequest]) -> anyhow::Result<String> {
    match format {
        Format::Json => json(&requests),
        Format::Xml => xml("service_requests", &RequestsXml { request: requests }),
    }
}

pub fn created(format: Format, created: &[Created]) -> anyhow::Result<String> {
    match format {
        Format::Json => json(&created),
        Format::Xml => xml("service_requests", &RequestsXml { request: created }),
    }
}

pub fn errors(format: Format, errors: &[ApiError]) -> anyhow::Result<String> {
    match format {
        Format::Json => json(&errors),
        Format::Xml => xml("errors", &ErrorsXml { error: errors }),
    }
}

pub fn definition(format: Format, definition: &ServiceDefinition) -> anyhow::Result<String> {
    match format {
        Format::Json => json(&DefinitionJson {
            service_code: &definition.service_code,
            attributes: definition
                .attributes
                .iter()
                .map(|a| AttributeJson {
                    variable: a.variable,
                    code: a.code,
                    datatype: a.datatype,
                    required: a.required,
                    datatype_description: &a.datatype_description,
                    order: a.order,
                    description: &a.description,
                    values: &a.values,
                })
                .collect(),
        }),
        Format::Xml => xml(
            "service_definition",
            &DefinitionXml {
                service_code: &definition.service_code,
                attributes: AttributesXml {
                    attribute: definition
                        .attributes
                        .iter()
                        .map(|a| AttributeXml {
                            variable: a.variable,
                            code: a.code,
                            datatype: a.datatype,
                            required: a.required,
                            datatype_description: &a.datatype_description,
                            order: a.order,
                            description: &a.description,
                            values: ValuesXml { value: &a.values },
                        })
                        .collect(),
                },
            },
        ),
    }
}

pub fn discovery(format: Format, discovery: &Discovery) -> anyhow::Result<String> {
    match format {
        Format::Json => json(&DiscoveryJson {
            changeset: &discovery.changeset,
            contact: &discovery.contact,
            key_service: &discovery.key_service,
            endpoints: discovery
                .endpoints
                .iter()
                .map(|e| EndpointJson {
                    specification: e.specification,
                    url: &e.url,
                    changeset: &e.changeset,
                    kind: e.kind,
                    formats: &e.formats,
                })
                .collect(),
        }),
        Format::Xml => xml(
            "discovery",
            &DiscoveryXml {
                changeset: &discovery.changeset,
                contact: &discovery.contact,
                key_service: &discovery.key_service,
                endpoints: EndpointsXml {
                    endpoint: discovery
                        .endpoints
                        .iter()
                        .map(|e| EndpointXml {
                            specification: e.specification,
                            url: &e.url,
                            changeset: &e.changeset,
                            kind: e.kind,
                            formats: FormatsXml { format: &e.formats },
                        })
                        .collect(),
                },
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> ServiceRequest {
        ServiceRequest {
            service_request_id: "261203-K7QX3MN".into(),
            status: "open",
            status_notes: None,
            service_name: "食品 & <饮料>".into(),
            service_code: "food".into(),
            agency_responsible: "市场监管局".into(),
            requested_datetime: "2026-12-03T10:00:00+08:00".into(),
            updated_datetime: "2026-12-03T10:00:00+08:00".into(),
            expected_datetime: Some("2026-12-10T23:59:59+08:00".into()),
            address: "信州区".into(),
            business_name: None,
        }
    }

    #[test]
    fn requests_in_xml_are_escaped_elements_under_service_requests() {
        let text = requests(Format::Xml, &[request(), request()]).unwrap();
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests><request><service_request_id>261203-K7QX3MN</service_request_id><status>open</status>"), "{text}");
        assert!(
            text.contains("<service_name>食品 &amp; &lt;饮料&gt;</service_name>"),
            "{text}"
        );
        assert_eq!(text.matches("<request>").count(), 2);
        assert!(!text.contains("status_notes") && !text.contains("business_name"));
    }

    #[test]
    fn an_empty_list_is_an_empty_root() {
        let text = requests(Format::Xml, &[]).unwrap();
        assert!(
            text.ends_with("<service_requests/>")
                || text.ends_with("<service_requests></service_requests>"),
            "{text}"
        );
        assert_eq!(requests(Format::Json, &[]).unwrap(), "[]");
    }

    #[test]
    fn errors_are_a_list_of_code_and_description() {
        let list = [ApiError {
            code: 400,
            description: "service_code: required".into(),
        }];
        assert_eq!(
            errors(Format::Json, &list).unwrap(),
            r#"[{"code":400,"description":"service_code: required"}]"#
        );
        assert!(errors(Format::Xml, &list)
            .unwrap()
            .ends_with("<errors><error><code>400</code><description>service_code: required</description></error></errors>"));
    }
}
