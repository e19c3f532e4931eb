//! Languages (DESIGN §5): `Accept-Language` negotiation, the switch on every page and its
//! cookie, and that every message key the templates and the code use exists in every locale.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use green_channel::domain::access::Role;
use green_channel::domain::complaint::{
    Channel, ComplaintKind, ComplaintState, EventKind, Outcome, StaffAction,
};
use green_channel::domain::fields::FieldError;
use green_channel::domain::intake::FieldProblem;
use green_channel::errors::ErrorPageKind;
use green_channel::i18n::{has_key, parse_messages};

use crate::helpers::{
    cookie_value, select_attr, select_text, spawn_app, stored_complaint, valid_complaint, with,
    TestApp,
};

const HOME_TITLES: [(&str, &str); 3] = [
    ("zh-Hans", "产品和服务质量问题，有地方说"),
    ("zh-Hant", "產品和服務質量問題，有地方說"),
    (
        "en",
        "A place to be heard about product and service quality",
    ),
];

fn home_title(lang: &str) -> String {
    HOME_TITLES
        .iter()
        .find(|(tag, _)| *tag == lang)
        .map(|(_, title)| (*title).to_owned())
        .unwrap()
}

async fn page_language(
    app: &TestApp,
    path: &str,
    accept_language: Option<&str>,
) -> (String, String) {
    let response = match accept_language {
        Some(header) => app.get_in(path, header).await,
        None => app.get(path).await,
    };
    let html = response.text().await.unwrap();
    let lang = select_attr(&html, "html", "lang").expect("<html lang>");
    let h1 = select_text(&html, "h1").join(" ");
    (lang, h1)
}

#[tokio::test]
async fn the_language_is_negotiated_from_accept_language() {
    let app = spawn_app().await;
    for (header, lang) in [
        (Some("en"), "en"),
        (Some("en-US,en;q=0.9"), "en"),
        (Some("zh-TW"), "zh-Hant"),
        (Some("zh-HK,zh;q=0.9"), "zh-Hant"),
        (Some("zh-Hant"), "zh-Hant"),
        (Some("zh-CN"), "zh-Hans"),
        (Some("zh"), "zh-Hans"),
        (Some("fr-FR"), "zh-Hans"),
        (Some("fr-FR, en;q=0.5"), "en"),
        (Some("en;q=0.3, zh-TW;q=0.8"), "zh-Hant"),
        (Some("garbage;;q=x,,"), "zh-Hans"),
        (None, "zh-Hans"),
    ] {
        assert_eq!(
            page_language(&app, "/", header).await,
            (lang.to_owned(), home_title(lang)),
            "{header:?}"
        );
    }
}

#[tokio::test]
async fn the_switch_is_remembered_and_wins_over_accept_language() {
    let app = spawn_app().await;
    let response = app.get("/lang/zh-Hant?next=/complaints/new").await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/complaints/new");
    assert_eq!(
        cookie_value(&response, "gc_lang").as_deref(),
        Some("zh-Hant")
    );

    let (lang, h1) = page_language(&app, "/complaints/new", Some("en")).await;
    assert_eq!((lang.as_str(), h1.as_str()), ("zh-Hant", "提交投訴或舉報"));
    assert_eq!(
        page_language(&app, "/", Some("en")).await,
        ("zh-Hant".to_owned(), home_title("zh-Hant"))
    );
    let (lang, h1) = page_language(&app, "/no/such/page", Some("en")).await;
    assert_eq!((lang.as_str(), h1.as_str()), ("zh-Hant", "找不到這個頁面"));

    // Switching again replaces the choice.
    let response = app.get("/lang/en?next=/").await;
    assert_eq!(cookie_value(&response, "gc_lang").as_deref(), Some("en"));
    assert_eq!(
        page_language(&app, "/", Some("zh-CN")).await,
        ("en".to_owned(), home_title("en"))
    );
}

#[tokio::test]
async fn an_unknown_language_is_not_found_and_changes_nothing() {
    let app = spawn_app().await;
    let response = app.get("/lang/fr?next=/").await;
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(cookie_value(&response, "gc_lang"), None);
    assert_eq!(page_language(&app, "/", None).await.0, "zh-Hans");
}

#[tokio::test]
async fn a_complaint_filed_in_english_is_kept_in_english() {
    let app = spawn_app().await;
    let response = app.file_in(valid_complaint(), "en-GB,en;q=0.9").await;
    assert_eq!(response.status().as_u16(), 303);
    let code = crate::helpers::tracking_code_of(&response);
    assert_eq!(stored_complaint(&app, &code).await.locale, "en");
    let (lang, _) = page_language(&app, &format!("/track/{code}"), Some("en")).await;
    assert_eq!(lang, "en");
    let html = app
        .get_in(&format!("/track/{code}"), "en")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        select_text(&html, "#state"),
        vec!["Assigned, awaiting acceptance".to_owned()]
    );
}

/// The three links of the language switch, `(hreflang, href)`.
fn language_links(html: &str) -> Vec<(String, String)> {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("nav.lang a").unwrap();
    document
        .select(&selector)
        .map(|a| {
            (
                a.value().attr("hreflang").unwrap_or_default().to_owned(),
                a.value().attr("href").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_page_has_the_three_language_links_back_to_itself() {
    let app = spawn_app().await;
    let code = app.file_valid(valid_complaint()).await;
    let tracking = format!("/track/{code}");
    let withdraw = format!("/track/{code}/withdraw");
    // (page, where its switch leads back to, its HTML)
    let mut pages: Vec<(String, String, String)> = Vec::new();
    for (path, back_to, status) in [
        ("/", "/", 200),
        ("/complaints/new", "/complaints/new", 200),
        ("/track", "/track", 200),
        ("/track?code=garbage", "/track", 422),
        (tracking.as_str(), tracking.as_str(), 200),
        ("/no/such/page", "/", 404),
        // An unknown code answers on the look-up form.
        ("/track/K7QX3-MNAPR-2D9WT", "/track", 404),
        (withdraw.as_str(), withdraw.as_str(), 200),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), status, "{path}");
        let html = response.text().await.unwrap();
        pages.push((path.to_owned(), back_to.to_owned(), html));
    }
    let refused = app
        .file_complaint(with(valid_complaint(), "phone", "12800138000"))
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    pages.push((
        "the refused form".into(),
        "/complaints/new".into(),
        refused.text().await.unwrap(),
    ));
    let forged = app
        .post_form("/complaints", &[("csrf_token", "forged".to_owned())])
        .await;
    assert_eq!(forged.status().as_u16(), 403);
    pages.push((
        "the CSRF page".into(),
        "/".into(),
        forged.text().await.unwrap(),
    ));

    for (page, back_to, html) in &pages {
        let next = serde_urlencoded::to_string([("next", back_to)]).unwrap();
        assert_eq!(
            language_links(html),
            vec![
                ("zh-Hans".to_owned(), format!("/lang/zh-Hans?{next}")),
                ("zh-Hant".to_owned(), format!("/lang/zh-Hant?{next}")),
                ("en".to_owned(), format!("/lang/en?{next}")),
            ],
            "{page}"
        );
        assert_eq!(
            select_attr(html, "nav.lang a[aria-current]", "hreflang").as_deref(),
            Some("zh-Hans"),
            "{page}: the current language is marked"
        );
    }
}

// Every message key in use exists in every locale.

fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every message of every `locales/*.toml` file; a key without all three locales (or
/// defined twice) fails here.
fn all_messages() -> HashMap<String, [String; 3]> {
    let mut all = HashMap::new();
    let files = files_under(&crate_root().join("locales"), "toml");
    assert!(!files.is_empty());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let messages = parse_messages(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (key, texts) in messages {
            assert!(
                all.insert(key.clone(), texts).is_none(),
                "{key} is defined twice ({})",
                file.display()
            );
        }
    }
    all
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The string literal at the start of `text`, if it starts with one.
fn leading_literal(text: &str) -> Option<&str> {
    let rest = text.strip_prefix('"')?;
    rest.find('"').map(|end| &rest[..end])
}

/// The keys passed to `t(` and `t_args(` (also as `ctx.t(`, `i18n::t(`) in `text`: the
/// first argument, or the second after a locale; a key built at run time with
/// `&format!("page.{kind}.title")` is given as its pattern.
fn keys_of_calls(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for call in ["t(", "t_args("] {
        for (at, _) in text.match_indices(call) {
            if text[..at].chars().next_back().is_some_and(is_ident_char) {
                continue;
            }
            let args = text[at + call.len()..].trim_start();
            let mut candidates = vec![args];
            if let Some((first, rest)) = args.split_once(',') {
                if first
                    .trim()
                    .chars()
                    .all(|c| is_ident_char(c) || c == ':' || c == '.')
                {
                    candidates.push(rest.trim_start());
                }
            }
            for candidate in candidates {
                if let Some(key) = leading_literal(candidate) {
                    keys.push(key.to_owned());
                    break;
                }
                if let Some(pattern) = candidate
                    .strip_prefix("&format!(")
                    .and_then(leading_literal)
                {
                    keys.push(pattern.to_owned());
                    break;
                }
            }
        }
    }
    keys
}

/// Every string literal in `text` shaped like a message key of one of `namespaces`
/// (`"track.lookup.invalid"`, `"state.{}"`), wherever it is passed on from.
fn key_shaped_literals(text: &str, namespaces: &BTreeSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    for namespace in namespaces {
        for (at, _) in text.match_indices(&format!("\"{namespace}.")) {
            if let Some(literal) = leading_literal(&text[at..]) {
                let shaped = literal
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.{}-".contains(c));
                if shaped {
                    found.push(literal.to_owned());
                }
            }
        }
    }
    found
}

/// The code of `path` without its unit tests.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// The string literals of `text` between `start` and the first `end` after it.
fn literals_between(text: &str, start: &str, end: &str) -> Vec<String> {
    let Some(at) = text.find(start) else {
        return Vec::new();
    };
    let block = &text[at + start.len()..];
    let block = &block[..block.find(end).unwrap_or(block.len())];
    block
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The same pattern whatever its placeholders are called: `"event.{kind}"` is `"event.{}"`.
fn normalised(pattern: &str) -> String {
    let mut out = String::new();
    let mut in_placeholder = false;
    for c in pattern.chars() {
        match c {
            '{' => {
                in_placeholder = true;
                out.push_str("{}");
            }
            '}' => in_placeholder = false,
            c if !in_placeholder => out.push(c),
            _ => {}
        }
    }
    out
}

fn fill(pattern: &str, values: impl IntoIterator<Item = impl ToString>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| pattern.replacen("{}", &v.to_string(), 1))
        .collect()
}

/// The keys a pattern built at run time in the code of `place` can produce, enumerated from
/// the values that fill it in; `None` for a pattern nobody has enumerated yet.
fn keys_of_pattern(pattern: &str, place: &Path) -> Option<Vec<String>> {
    let code = || code_of(place);
    let text_fields = [
        "business_name",
        "business_address",
        "business_credit_code",
        "product",
        "incident_date",
        "description",
        "demand",
        "complainant_name",
        "phone",
        "email",
    ];
    let keys = match pattern {
        "state.{}" => fill(pattern, ComplaintState::ALL),
        "kind.{}" => fill(pattern, ComplaintKind::ALL),
        "event.{}" => fill(pattern, EventKind::ALL),
        "channel.{}" => fill(pattern, Channel::ALL),
        "admin.outbox.state.{}" => fill(pattern, green_channel::db::outbox::STATES),
        "manage.role.{}" => fill(pattern, Role::ALL.iter().map(|r| r.as_str())),
        // DESIGN §4: a rating is a score from 1 to 5.
        "track.rating.score_{}" => fill(pattern, 1..=5),
        "outcome.{}" | "email.outcome.{}" => fill(pattern, Outcome::ALL),
        "business.done.{}" => fill(pattern, ["merge", "link", "unlink"]),
        "business.link.{}" => fill(
            pattern,
            [
                green_channel::services::businesses::POSSIBLE_DUPLICATE,
                green_channel::services::businesses::RELATED,
            ],
        ),
        "admin.action.{}.title" | "admin.action.{}.submit" | "admin.action.{}.done" => {
            fill(pattern, StaffAction::ALL)
        }
        "page.{}.title" | "page.{}.message" => {
            fill(pattern, ErrorPageKind::ALL.iter().map(|k| k.name()))
        }
        "form.{}.label" => fill(pattern, text_fields),
        // Messages name their field (issue 16).
        "resident.noun.{}" => fill(pattern, green_channel::pages::public::NAMED_FIELDS),
        // The name is shown without a hint.
        "form.{}.hint" => fill(
            pattern,
            text_fields.iter().filter(|f| **f != "complainant_name"),
        ),
        // Only the fields with a format of their own can be `Invalid`.
        "error.invalid.{}" => ["business_credit_code", "incident_date", "phone", "email"]
            .iter()
            .map(|f| FieldProblem::Field(FieldError::Invalid).message_key(f))
            .collect(),
        "error.{}" => [
            FieldError::Required,
            FieldError::TooShort { min: 1 },
            FieldError::TooLong { max: 1 },
            FieldError::LineBreak,
            FieldError::ControlCharacter,
            FieldError::InFuture,
            FieldError::TooOld,
        ]
        .iter()
        .map(|e| FieldProblem::Field(*e).message_key("any"))
        .collect(),
        // Status emails: `StatusUpdate { key: "accepted", .. }`.
        "email.{}.subject" | "email.{}.body" => {
            let code = code();
            let mut keys: Vec<String> = code
                .match_indices("key: \"")
                .filter_map(|(at, _)| leading_literal(&code[at + 5..]))
                .map(str::to_owned)
                .collect();
            keys.sort();
            keys.dedup();
            fill(pattern, keys)
        }
        "manage.field.{}" => fill(pattern, literals_between(&code(), "const DAY_FIELDS", "];")),
        "queue.role.{}" => fill(pattern, literals_between(&code(), "roles: [", "]")),
        "stats.by.{}" => fill(pattern, green_channel::domain::bulletin::Grouping::ALL),
        "reports.group.{}" => fill(pattern, green_channel::domain::bulletin::Grouping::ALL),
        "reports.weight.{}" => fill(pattern, green_channel::domain::bulletin::Weights::NAMES),
        // The attributes of an Open311 service definition and their datatypes.
        "open311.attribute.{}" => fill(pattern, ["kind", "district", "business_name"]),
        "open311.datatype.{}" => fill(pattern, ["singlevaluelist", "string"]),
        _ => return None,
    };
    assert!(
        !keys.is_empty(),
        "no values found for \"{pattern}\" in {}",
        place.display()
    );
    Some(keys)
}

#[tokio::test]
async fn every_message_key_the_templates_and_the_code_use_exists_in_every_locale() {
    let messages = all_messages();
    let namespaces: BTreeSet<String> = messages
        .keys()
        .map(|k| k.split('.').next().unwrap().to_owned())
        .collect();
    // (where, key) and (where, pattern)
    let mut used: Vec<(String, String)> = Vec::new();
    let mut patterns: Vec<(PathBuf, String)> = Vec::new();
    let mut record = |file: &Path, key: String| {
        if key.contains('{') {
            patterns.push((file.to_path_buf(), normalised(&key)));
        } else {
            used.push((file.display().to_string(), key));
        }
    };

    let templates = files_under(&crate_root().join("templates"), "html");
    for file in &templates {
        for key in keys_of_calls(&std::fs::read_to_string(file).unwrap()) {
            record(file, key);
        }
    }
    for file in files_under(&crate_root().join("src"), "rs") {
        let code = code_of(&file);
        for key in keys_of_calls(&code) {
            record(&file, key);
        }
        for key in key_shaped_literals(&code, &namespaces) {
            record(&file, key);
        }
    }
    // The scans find what they are meant to find.
    for expected in [
        "site.name",
        "form.consent.label",
        "track.lookup.invalid",
        "error.malformed_form",
        "page.back_form",
        "track.deadline.report_accept",
    ] {
        assert!(
            used.iter().any(|(_, k)| k == expected),
            "the scan finds {expected}"
        );
    }
    for expected in [
        "state.{}",
        "page.{}.title",
        "form.{}.label",
        "error.invalid.{}",
    ] {
        assert!(
            patterns.iter().any(|(_, p)| p == expected),
            "the scan finds {expected}"
        );
    }

    let mut unknown = BTreeSet::new();
    for (place, pattern) in &patterns {
        match keys_of_pattern(pattern, place) {
            Some(keys) => used.extend(
                keys.into_iter()
                    .map(|k| (format!("{} (\"{pattern}\")", place.display()), k)),
            ),
            None => {
                unknown.insert(format!("\"{pattern}\" in {}", place.display()));
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "message keys built at run time: enumerate their values in keys_of_pattern: {unknown:#?}"
    );

    let missing: BTreeSet<String> = used
        .iter()
        .filter(|(_, key)| !messages.contains_key(key) || !has_key(key))
        .map(|(place, key)| format!("{key} (used in {place})"))
        .collect();
    assert!(missing.is_empty(), "missing messages: {missing:#?}");
}

#[tokio::test]
async fn every_event_kind_has_a_timeline_label_in_every_locale() {
    // The tracking page labels each event of the timeline `event.{kind}`.
    let messages = all_messages();
    let missing: Vec<String> = EventKind::ALL
        .iter()
        .map(|kind| format!("event.{kind}"))
        .filter(|key| !messages.contains_key(key) || !has_key(key))
        .collect();
    assert!(missing.is_empty(), "missing messages: {missing:?}");
}

#[tokio::test]
async fn a_message_file_missing_a_locale_is_refused() {
    let text = std::fs::read_to_string(crate_root().join("locales/messages.toml")).unwrap();
    assert!(parse_messages(&text).is_ok());
    let without_english = text.replacen("en = \"Quality Complaint Green Channel\"\n", "", 1);
    assert_ne!(without_english, text);
    let error = parse_messages(&without_english).unwrap_err();
    assert!(error.contains("site.name"), "{error}");
}
