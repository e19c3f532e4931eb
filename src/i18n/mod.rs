//! The three languages of the service and their messages (`locales/messages.toml`, built
//! into the binary): negotiation from `Accept-Language`, and lookup with `{name}` arguments.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    ZhHans,
    ZhHant,
    En,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::ZhHans, Locale::ZhHant, Locale::En];

    /// The BCP 47 tag used in `lang` attributes, cookies and the database.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhHans => "zh-Hans",
            Locale::ZhHant => "zh-Hant",
            Locale::En => "en",
        }
    }

    /// The language's own name, for the switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::ZhHans => "简体中文",
            Locale::ZhHant => "繁體中文",
            Locale::En => "English",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Reads a language tag, including the regional forms browsers send (zh-CN, zh-TW…).
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = tag.split('-');
        match parts.next()? {
            "en" => Some(Locale::En),
            "zh" => {
                let rest: Vec<&str> = parts.collect();
                let traditional = rest
                    .iter()
                    .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"));
                Some(if traditional && !rest.contains(&"hans") {
                    Locale::ZhHant
                } else {
                    Locale::ZhHans
                })
            }
            _ => None,
        }
    }

    /// The best supported language of an `Accept-Language` header, by quality.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut best: Option<(f32, Locale)> = None;
        for item in accept_language.split(',') {
            let mut pieces = item.split(';');
            let tag = pieces.next().unwrap_or("");
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if quality <= 0.0 {
                continue;
            }
            if let Some(locale) = Locale::from_tag(tag) {
                if best.is_none_or(|(q, _)| quality > q) {
                    best = Some((quality, locale));
                }
            }
        }
        best.map(|(_, locale)| locale)
    }
}

/// The message files: the public side and emails, and the admin pages.
pub const MESSAGE_FILES: &[(&str, &str)] = &[
    (
        "locales/messages.toml",
        include_str!("../../locales/messages.toml"),
    ),
    (
        "locales/admin.toml",
        include_str!("../../locales/admin.toml"),
    ),
    (
        "locales/queue.toml",
        include_str!("../../locales/queue.toml"),
    ),
    (
        "locales/manage.toml",
        include_str!("../../locales/manage.toml"),
    ),
    (
        "locales/open311.toml",
        include_str!("../../locales/open311.toml"),
    ),
    (
        "locales/reports.toml",
        include_str!("../../locales/reports.toml"),
    ),
    (
        "locales/businesses.toml",
        include_str!("../../locales/businesses.toml"),
    ),
    (
        "locales/joint_actions.toml",
        include_str!("../../locales/joint_actions.toml"),
    ),
    (
        "locales/security.toml",
        include_str!("../../locales/security.toml"),
    ),
    (
        "locales/resident.toml",
        include_str!("../../locales/resident.toml"),
    ),
    ("locales/desk.toml", include_str!("../../locales/desk.toml")),
];

/// key → text in each locale (index by `Locale::index`).
static MESSAGES: LazyLock<HashMap<String, [String; 3]>> = LazyLock::new(|| {
    let mut all = HashMap::new();
    for (name, text) in MESSAGE_FILES {
        let messages = parse_messages(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        all.extend(messages);
    }
    all
});

/// Flattens the nested tables of the messages file; a leaf table holds one text per locale.
pub fn parse_messages(text: &str) -> Result<HashMap<String, [String; 3]>, String> {
    let root: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut messages = HashMap::new();
    collect(&root, String::new(), &mut messages)?;
    Ok(messages)
}

fn collect(
    table: &toml::Table,
    prefix: String,
    out: &mut HashMap<String, [String; 3]>,
) -> Result<(), String> {
    let is_leaf = table.values().all(|v| v.is_str());
    if is_leaf {
        let text = |locale: Locale| -> Result<String, String> {
            match table.get(locale.tag()).and_then(|v| v.as_str()) {
                Some(t) if !t.trim().is_empty() => Ok(t.to_owned()),
                _ => Err(format!("{prefix}: no {} text", locale.tag())),
            }
        };
        if table.len() != 3 {
            return Err(format!(
                "{prefix}: expected exactly zh-Hans, zh-Hant and en"
            ));
        }
        out.insert(
            prefix.clone(),
            [
                text(Locale::ZhHans)?,
                text(Locale::ZhHant)?,
                text(Locale::En)?,
            ],
        );
        return Ok(());
    }
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => collect(inner, path, out)?,
            _ => return Err(format!("{path}: a text beside nested keys")),
        }
    }
    Ok(())
}

/// The text of `key`; a missing key shows itself (and a test keeps that from shipping).
pub fn t(locale: Locale, key: &str) -> &'static str {
    match MESSAGES.get(key) {
        Some(texts) => &texts[locale.index()],
        None => {
            tracing::warn!(key, "missing message");
            // Leaking is bounded: keys are program constants, not user input.
            Box::leak(key.to_owned().into_boxed_str())
        }
    }
}

/// The text of `key` with each `{name}` replaced by its value (see [`fill`]).
pub fn t_args(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    fill(t(locale, key), args)
}

/// `template` with each `{name}` that `args` names replaced by its value, in one pass:
/// values are copied as they are, so a business name holding `{department}` stays
/// literal instead of being expanded by a later argument. Braces around anything else
/// are kept as written.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let named = after.find('}').and_then(|close| {
            let name = &after[..close];
            let (_, value) = args.iter().find(|(n, _)| *n == name)?;
            Some((value, &after[close + 1..]))
        });
        match named {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

pub fn has_key(key: &str) -> bool {
    MESSAGES.contains_key(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_all_three_locales() {
        let mut total = 0;
        for (name, text) in MESSAGE_FILES {
            let messages = parse_messages(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            total += messages.len();
        }
        assert!(total > 100);
        let bad = "[a]\nzh-Hans = \"x\"\nen = \"y\"\n";
        assert!(parse_messages(bad).unwrap_err().contains("a"));
    }

    #[test]
    fn arguments_match_across_locales() {
        let messages: HashMap<String, [String; 3]> = MESSAGE_FILES
            .iter()
            .flat_map(|(_, text)| parse_messages(text).unwrap())
            .collect();
        let args = |text: &str| {
            let mut names: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            names.sort();
            names
        };
        for (key, texts) in &messages {
            assert_eq!(args(&texts[0]), args(&texts[1]), "{key}");
            assert_eq!(args(&texts[0]), args(&texts[2]), "{key}");
        }
    }

    #[test]
    fn arguments_are_filled_in_one_pass_and_values_stay_literal() {
        let args = [
            ("business", "{department} & {code}"),
            ("department", "市场监管局"),
        ];
        assert_eq!(
            fill("{business} → {department}", &args),
            "{department} & {code} → 市场监管局"
        );
        // Unknown names, lone and nested braces are kept as written.
        assert_eq!(fill("{a{department}} {x} {", &args), "{a市场监管局} {x} {");
        assert_eq!(fill("no arguments", &[]), "no arguments");
        let new_case = t_args(
            Locale::En,
            "email.case_facts",
            &[("business", "Shop {department}"), ("department", "Bureau")],
        );
        assert!(
            new_case.contains("business: Shop {department}."),
            "{new_case}"
        );
    }

    #[test]
    fn accept_language_is_negotiated_by_quality() {
        let table = [
            ("en-US,en;q=0.9", Some(Locale::En)),
            ("zh-TW,zh;q=0.9,en;q=0.8", Some(Locale::ZhHant)),
            ("zh-HK", Some(Locale::ZhHant)),
            ("zh-Hant-TW", Some(Locale::ZhHant)),
            ("zh-CN", Some(Locale::ZhHans)),
            ("zh", Some(Locale::ZhHans)),
            ("fr-FR,en;q=0.5,zh;q=0.7", Some(Locale::ZhHans)),
            ("fr, de", None),
            ("en;q=0", None),
            ("", None),
        ];
        for (header, expected) in table {
            assert_eq!(Locale::negotiate(header), expected, "{header}");
        }
    }
}
