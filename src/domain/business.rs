//! Which business a complaint is about: the key that makes ten residents' spellings of one
//! supermarket one record. Pure text rules; the place names come from the caller.

use unicode_normalization::UnicodeNormalization;

/// Legal-form words that say nothing about which shop it is, longest first (Simplified
/// and Traditional; Latin after NFKC and lower-casing, punctuation already gone).
const LEGAL_FORMS: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "个体工商户",
    "個體工商戶",
    "有限公司",
    "分公司",
    "总公司",
    "總公司",
    "个体户",
    "個體戶",
    "公司",
    "coltd",
    "ltd",
    "inc",
    "llc",
];

/// How a business is recognised: by its unified social credit code wherever it operates,
/// else by its name key within a district.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BusinessKey {
    CreditCode(String),
    Name { district: String, name_key: String },
}

impl BusinessKey {
    /// The key of a filing; `places` are the city's and districts' names to drop from the
    /// start of a name.
    pub fn of(credit_code: Option<&str>, district: &str, name: &str, places: &[String]) -> Self {
        match credit_code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => BusinessKey::CreditCode(code.to_uppercase()),
            None => BusinessKey::Name {
                district: district.to_owned(),
                name_key: name_key(name, places),
            },
        }
    }
}

/// The normalised name: NFKC, lower case, no bracketed text, no spaces or punctuation,
/// no leading city or district name, no legal-form suffix. Never empty for a name with
/// any letter or digit in it: when the rules would remove everything, the name stays.
pub fn name_key(name: &str, places: &[String]) -> String {
    let normal: String = name.nfkc().flat_map(char::to_lowercase).collect();
    let plain: String = without_brackets(&normal)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    let mut places: Vec<String> = places
        .iter()
        .map(|p| {
            p.nfkc()
                .flat_map(char::to_lowercase)
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|p| !p.is_empty())
        .collect();
    // Longest first, so that "信州区" goes before "信州" can leave a stray "区".
    places.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
    let mut key = plain.as_str();
    loop {
        let before = key;
        // Only the longest form or place that fits is tried: "有限公司" alone is a name,
        // not "有限" plus a form.
        if let Some(rest) = LEGAL_FORMS.iter().find_map(|f| key.strip_suffix(f)) {
            if !rest.is_empty() {
                key = rest;
            }
        }
        if let Some(rest) = places.iter().find_map(|p| key.strip_prefix(p.as_str())) {
            if rest.chars().count() >= 2 {
                key = rest;
            }
        }
        if key == before {
            break;
        }
    }
    if key.is_empty() {
        normal.trim().to_owned()
    } else {
        key.to_owned()
    }
}

/// A contact as compared between cases: a phone as its digits (a leading country code 86
/// dropped), an email in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    phone: Option<String>,
    email: Option<String>,
}

impl Contact {
    pub fn new(phone: Option<&str>, email: Option<&str>) -> Contact {
        let phone = phone
            .map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>())
            .map(|d| match d.strip_prefix("86") {
                Some(rest) if d.len() == 13 => rest.to_owned(),
                _ => d,
            })
            .filter(|d| !d.is_empty());
        let email = email
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty());
        Contact { phone, email }
    }

    /// Whether two cases came from the same person: the same phone or the same email.
    pub fn same_as(&self, other: &Contact) -> bool {
        let same =
            |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a == b);
        same(&self.phone, &other.phone) || same(&self.email, &other.email)
    }
}

/// Drops text in brackets of any kind (after NFKC, full-width brackets are ASCII ones,
/// except the CJK lenticular and tortoise-shell ones; title marks 《》 are kept). An unclosed bracket drops nothing.
fn without_brackets(text: &str) -> String {
    const PAIRS: &[(char, char)] = &[
        ('(', ')'),
        ('[', ']'),
        ('{', '}'),
        ('【', '】'),
        ('〔', '〕'),
        ('〖', '〗'),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((index, open)) = rest
        .char_indices()
        .find(|(_, c)| PAIRS.iter().any(|p| p.0 == *c))
    {
        let close = PAIRS
            .iter()
            .find(|p| p.0 == open)
            .map(|p| p.1)
            .unwrap_or(')');
        let after = &rest[index + open.len_utf8()..];
        match after.find(close) {
            Some(end) => {
                out.push_str(&rest[..index]);
                rest = &after[end + close.len_utf8()..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Vec<String> {
        [
            "上饶市",
            "上饶",
            "上饒市",
            "信州区",
            "信州區",
            "信州",
            "广丰区",
            "广丰",
            "广信区",
            "广信",
            "玉山县",
            "玉山",
            "婺源县",
            "婺源",
            "德兴市",
            "德兴",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn key(name: &str) -> String {
        name_key(name, &places())
    }

    /// Pairs that are one business.
    const SAME: &[(&str, &str)] = &[
        ("好又多超市有限公司", "好又多超市"),
        ("信州区好又多超市", "好又多超市"),
        ("好又多超市（有限公司）", "好又多超市"),
        ("好又多超市(有限公司)", "好又多超市有限公司"),
        ("上饶市好又多超市有限责任公司", "好又多超市"),
        ("上饶好又多超市", "信州区好又多超市"),
        ("好 又 多 超 市", "好又多超市"),
        ("好又多超市。", "好又多超市"),
        ("「好又多」超市", "好又多超市"),
        ("ＡＢＣ电器商行", "abc电器商行"),
        ("ABC 电器商行", "abc电器商行"),
        ("万家福家电股份有限公司", "万家福家电"),
        ("万家福家电【总店】", "万家福家电"),
        ("信州区万家福家电个体工商户", "万家福家电"),
        ("老王水果店（个体户）", "老王水果店"),
        ("老王水果店个体户", "老王水果店"),
        ("上饒市好又多超市有限責任公司", "好又多超市"),
        ("德兴市铜都大药房有限公司", "铜都大药房"),
        ("婺源县茶乡农资经营部", "茶乡农资经营部"),
        ("玉山县  博士眼镜店", "玉山县博士眼镜店"),
        ("GreenMart Co., Ltd.", "greenmart"),
        ("GreenMart Ltd", "greenmart"),
        ("广丰区华联超市有限公司（东街店）", "华联超市"),
        (
            "苏宁易购集团股份有限公司上饶分公司",
            "苏宁易购集团股份有限公司上饶",
        ),
        ("好又多超市有限公司 ", "好又多超市"),
        ("〔广信区〕好又多超市", "好又多超市"),
    ];

    /// Pairs that are different businesses.
    const DIFFERENT: &[(&str, &str)] = &[
        ("好又多超市", "好又多便利店"),
        ("华联超市", "联华超市"),
        ("好又多超市一店", "好又多超市二店"),
        ("万家福家电", "万家福家具"),
        ("老王水果店", "老李水果店"),
        ("信州大药房", "铜都大药房"),
        ("abc电器商行", "abd电器商行"),
        ("好又多超市", "好又多"),
        ("上饶师范学院超市", "上饶职业学院超市"),
        ("婺源茶行", "婺源茶庄"),
        ("信州区", "广丰区"),
        ("德兴铜矿商店", "铜矿商店一部"),
    ];

    #[test]
    fn spellings_of_one_business_share_a_key() {
        for (a, b) in SAME {
            assert_eq!(key(a), key(b), "{a} / {b}");
        }
    }

    #[test]
    fn different_businesses_keep_different_keys() {
        for (a, b) in DIFFERENT {
            assert_ne!(key(a), key(b), "{a} / {b}");
        }
        assert!(SAME.len() + DIFFERENT.len() >= 30);
    }

    #[test]
    fn a_name_that_is_all_form_or_place_is_kept() {
        assert_eq!(key("有限公司"), "有限公司");
        assert_eq!(key("信州区"), "信州区");
        assert_eq!(key("上饶市信州"), "信州");
        assert_eq!(key("（）"), "()");
        assert_eq!(key("好又多（未写完"), "好又多未写完");
    }

    #[test]
    fn contacts_match_by_phone_or_email_normalised() {
        let a = Contact::new(Some("138 0013 8000"), None);
        assert!(a.same_as(&Contact::new(Some("+86 13800138000"), Some("x@y.cn"))));
        assert!(a.same_as(&Contact::new(Some("13800138000"), None)));
        assert!(!a.same_as(&Contact::new(Some("13800138001"), None)));
        let b = Contact::new(None, Some(" Li@Example.CN"));
        assert!(b.same_as(&Contact::new(None, Some("li@example.cn"))));
        assert!(!b.same_as(&Contact::new(None, None)));
        assert!(!Contact::new(None, None).same_as(&Contact::new(None, None)));
    }

    #[test]
    fn a_credit_code_wins_over_the_name_and_district() {
        let a = BusinessKey::of(Some("91350100M000100Y43"), "361102", "好又多", &places());
        let b = BusinessKey::of(Some("91350100m000100y43 "), "361103", "别的名字", &places());
        assert_eq!(a, b);
        let c = BusinessKey::of(None, "361102", "好又多超市", &places());
        let d = BusinessKey::of(Some(""), "361103", "好又多超市", &places());
        assert_ne!(c, d);
        assert_eq!(
            c,
            BusinessKey::of(None, "361102", "信州区好又多超市有限公司", &places())
        );
    }
}
