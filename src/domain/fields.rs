//! Parsing and normalisation of the public complaint form's fields (text, phone, email, ...).
//! Pure functions only: no I/O, HTTP or SQL, and no knowledge of which field uses which rule.

use chrono::{Months, NaiveDate};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldError {
    Required,
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// A line break in a single-line field.
    LineBreak,
    /// Any other control or invisible formatting character.
    ControlCharacter,
    /// Wrong format (phone, email, credit code, date).
    Invalid,
    InFuture,
    TooOld,
}

impl FieldError {
    /// Stable identifier for templates and API responses.
    pub fn code(&self) -> &'static str {
        match self {
            FieldError::Required => "required",
            FieldError::TooShort { .. } => "too_short",
            FieldError::TooLong { .. } => "too_long",
            FieldError::LineBreak => "line_break",
            FieldError::ControlCharacter => "control_character",
            FieldError::Invalid => "invalid",
            FieldError::InFuture => "in_future",
            FieldError::TooOld => "too_old",
        }
    }
}

/// Invisible characters that can hide or reorder text in front of the staff reading a complaint
/// (bidi overrides, zero-width characters) or act as line breaks where none are expected.
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Trims, NFC-normalises, rejects \r and \n (LineBreak) and control characters; counts length in
/// chars (Unicode scalar values) AFTER trimming and NFC. Empty after trimming (or None) → Ok(None)
/// when min == 0, Err(Required) otherwise. Length < min → TooShort{min}; > max → TooLong{max}.
pub fn single_line(
    raw: Option<&str>,
    min: usize,
    max: usize,
) -> Result<Option<String>, FieldError> {
    text(raw.unwrap_or(""), min, max, false)
}

/// Same, but line breaks are allowed: "\r\n" and lone "\r" become "\n"; tab is allowed; other
/// control chars rejected. Trims the whole text.
pub fn multi_line(raw: Option<&str>, min: usize, max: usize) -> Result<Option<String>, FieldError> {
    let unified = raw.unwrap_or("").replace("\r\n", "\n").replace('\r', "\n");
    text(&unified, min, max, true)
}

fn text(raw: &str, min: usize, max: usize, multi: bool) -> Result<Option<String>, FieldError> {
    let text: String = raw.trim().nfc().collect();
    for c in text.chars() {
        match c {
            '\n' | '\t' if multi => {}
            '\n' | '\r' => return Err(FieldError::LineBreak),
            c if is_forbidden_control(c) => return Err(FieldError::ControlCharacter),
            _ => {}
        }
    }
    match text.chars().count() {
        0 if min == 0 => Ok(None),
        0 => Err(FieldError::Required),
        len if len < min => Err(FieldError::TooShort { min }),
        len if len > max => Err(FieldError::TooLong { max }),
        _ => Ok(Some(text)),
    }
}

/// A mainland mobile ("13800138000") or landline ("0571-87654321", "0571-87654321-8001") number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn parse(raw: &str) -> Result<Phone, FieldError> {
        let raw = raw.trim();
        // A full-width plus is what a Chinese IME in full-width mode types.
        let (plus, rest) = match raw.strip_prefix(['+', '\u{FF0B}']) {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        // Digit groups between separators; the grouping matters only for landline extensions.
        let mut groups = vec![String::new()];
        for c in rest.chars() {
            match c {
                '0'..='9' => push_digit(&mut groups, c),
                '\u{FF10}'..='\u{FF19}' => push_digit(
                    &mut groups,
                    char::from(b'0' + (u32::from(c) - 0xFF10) as u8),
                ),
                ' ' | '-' | '\u{3000}' | '\u{FF0D}' => {
                    if groups.last().is_some_and(|g| !g.is_empty()) {
                        groups.push(String::new());
                    }
                }
                _ => return Err(FieldError::Invalid),
            }
        }
        groups.retain(|g| !g.is_empty());
        if let Some(mobile) = mobile(&groups.concat(), plus) {
            return Ok(Phone(mobile));
        }
        // Landlines are accepted only in national form (leading 0), never after +86.
        match plus {
            true => Err(FieldError::Invalid),
            false => landline(&groups).map(Phone).ok_or(FieldError::Invalid),
        }
    }
}

fn push_digit(groups: &mut [String], digit: char) {
    if let Some(group) = groups.last_mut() {
        group.push(digit);
    }
}

/// `1[3-9]\d{9}`, optionally after a country code 86.
fn mobile(digits: &str, plus: bool) -> Option<String> {
    let national = if plus || digits.len() == 13 {
        digits.strip_prefix("86")?
    } else {
        digits
    };
    let b = national.as_bytes();
    (b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1])).then(|| national.to_owned())
}

fn landline(groups: &[String]) -> Option<String> {
    // The last group is an extension when it is short and what precedes it is a complete number;
    // otherwise separators are just grouping ("010 6234 5678").
    if let [number @ .., ext] = groups {
        if !number.is_empty() && (1..=6).contains(&ext.len()) {
            if let Some(number) = area_and_local(&number.concat()) {
                return Some(format!("{number}-{ext}"));
            }
        }
    }
    area_and_local(&groups.concat())
}

fn area_and_local(digits: &str) -> Option<String> {
    let b = digits.as_bytes();
    // "00" is the international dialling prefix, not an area code.
    if b.len() < 2 || b[0] != b'0' || b[1] == b'0' {
        return None;
    }
    let area_len = if matches!(b[1], b'1' | b'2') { 3 } else { 4 };
    let (area, local) = digits.split_at_checked(area_len)?;
    let valid = matches!(local.len(), 7 | 8) && !local.starts_with(['0', '1']);
    valid.then(|| format!("{area}-{local}"))
}

const EMAIL_MAX_LEN: usize = 254;

/// An ASCII-only email address, safe to put into a mail header as is.
///
/// Internationalised addresses are rejected: every character of an accepted address is plain
/// printable ASCII, so it cannot break or smuggle content into a header, and mail servers on the
/// way (SMTPUTF8 support is patchy) will deliver it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn parse(raw: &str) -> Result<Email, FieldError> {
        let raw = raw.trim();
        if raw.chars().count() > EMAIL_MAX_LEN {
            return Err(FieldError::TooLong { max: EMAIL_MAX_LEN });
        }
        let (local, domain) = raw.split_once('@').ok_or(FieldError::Invalid)?;
        if !is_dot_atom(local) || !is_domain(domain) {
            return Err(FieldError::Invalid);
        }
        // Domains are case-insensitive; the local part may not be, so it stays as typed.
        Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
}

/// RFC 5322 dot-atom, 1–64 characters.
fn is_dot_atom(local: &str) -> bool {
    let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b);
    local.len() <= 64
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.bytes().all(atext))
}

fn is_domain(domain: &str) -> bool {
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let tld = domain.rsplit('.').next().unwrap_or("");
    domain.contains('.')
        && domain.split('.').all(label_ok)
        && !tld.bytes().all(|b| b.is_ascii_digit())
}

/// Unified social credit code (统一社会信用代码, GB 32100-2015), uppercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditCode(String);

const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

impl CreditCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn parse(raw: &str) -> Result<CreditCode, FieldError> {
        let code = raw.trim().to_ascii_uppercase();
        match code.as_bytes() {
            [body @ .., check] if body.len() == 17 && credit_check_char(body) == Some(*check) => {
                Ok(CreditCode(code))
            }
            _ => Err(FieldError::Invalid),
        }
    }
}

/// The check character for the first 17 characters; None if one is outside the alphabet.
fn credit_check_char(body: &[u8]) -> Option<u8> {
    let mut sum = 0;
    for (&c, weight) in body.iter().zip(CREDIT_WEIGHTS) {
        let value = CREDIT_ALPHABET.iter().position(|&a| a == c)? as u32;
        sum += value * weight;
    }
    Some(CREDIT_ALPHABET[((31 - sum % 31) % 31) as usize])
}

/// `raw` is YYYY-MM-DD (trimmed). A real calendar date, not after `today`, not more than 3 years
/// before it
/// (today minus 3 years, same month/day, Feb 29 → Feb 28, is still allowed; one day earlier is
/// TooOld).
pub fn incident_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    let date = strict_iso_date(raw.trim()).ok_or(FieldError::Invalid)?;
    if date > today {
        return Err(FieldError::InFuture);
    }
    // Subtracting months clamps Feb 29 to Feb 28, which is exactly the rule.
    let earliest = today
        .checked_sub_months(Months::new(36))
        .unwrap_or(NaiveDate::MIN);
    if date < earliest {
        return Err(FieldError::TooOld);
    }
    Ok(date)
}

/// Exactly `DDDD-DD-DD`: chrono's `%Y-%m-%d` alone would also take "2026-1-5" or "+2026-01-05".
fn strict_iso_date(s: &str) -> Option<NaiveDate> {
    let shape = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shape
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn error_codes() {
        let cases = [
            (FieldError::Required, "required"),
            (FieldError::TooShort { min: 3 }, "too_short"),
            (FieldError::TooLong { max: 3 }, "too_long"),
            (FieldError::LineBreak, "line_break"),
            (FieldError::ControlCharacter, "control_character"),
            (FieldError::Invalid, "invalid"),
            (FieldError::InFuture, "in_future"),
            (FieldError::TooOld, "too_old"),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code);
        }
    }

    /// Input, min, max, expected.
    type TextCase<'a> = (
        Option<&'a str>,
        usize,
        usize,
        Result<Option<&'a str>, FieldError>,
    );

    #[test]
    fn single_line_cases() {
        use FieldError::*;
        let cases: &[TextCase] = &[
            (None, 0, 10, Ok(None)),
            (None, 1, 10, Err(Required)),
            (Some("   "), 0, 10, Ok(None)),
            (Some(" \u{3000} "), 1, 10, Err(Required)),
            (Some("  张三  "), 1, 10, Ok(Some("张三"))),
            (Some("ab"), 3, 10, Err(TooShort { min: 3 })),
            (Some("abcd"), 1, 3, Err(TooLong { max: 3 })),
            (Some("abc"), 3, 3, Ok(Some("abc"))),
            // Trailing line breaks are trimmed away; inner ones are rejected.
            (Some("abc\r\n"), 1, 10, Ok(Some("abc"))),
            (Some("a\nb"), 1, 10, Err(LineBreak)),
            (Some("a\rb"), 1, 10, Err(LineBreak)),
            (Some("a\tb"), 1, 10, Err(ControlCharacter)),
            (Some("a\u{0}b"), 1, 10, Err(ControlCharacter)),
            (Some("a\u{7f}b"), 1, 10, Err(ControlCharacter)),
            (Some("a\u{85}b"), 1, 10, Err(ControlCharacter)),
            (Some("a\u{2028}b"), 1, 10, Err(ControlCharacter)),
            (Some("a\u{200B}b"), 1, 10, Err(ControlCharacter)),
            (Some("a\u{202E}b"), 1, 10, Err(ControlCharacter)),
            (Some("a\u{2067}b"), 1, 10, Err(ControlCharacter)),
            (Some("\u{FEFF}abc"), 1, 10, Err(ControlCharacter)),
            // "e" + combining acute is one char after NFC.
            (Some("cafe\u{301}"), 1, 4, Ok(Some("caf\u{e9}"))),
            (Some("😀😀"), 1, 2, Ok(Some("😀😀"))),
        ];
        for &(raw, min, max, expected) in cases {
            let expected = expected.map(|o| o.map(str::to_owned));
            assert_eq!(single_line(raw, min, max), expected, "{raw:?}");
        }
    }

    #[test]
    fn multi_line_cases() {
        use FieldError::*;
        let cases: &[TextCase] = &[
            (None, 0, 10, Ok(None)),
            (Some("\r\n \n"), 1, 10, Err(Required)),
            (
                Some("  a\r\nb\rc\nd\t!  \n"),
                1,
                20,
                Ok(Some("a\nb\nc\nd\t!")),
            ),
            // "\r\n" counts as one char.
            (Some("ab\r\ncd"), 1, 5, Ok(Some("ab\ncd"))),
            (Some("ab\r\ncde"), 1, 5, Err(TooLong { max: 5 })),
            (Some("a\u{b}b"), 1, 10, Err(ControlCharacter)),
            (Some("a\u{2029}b"), 1, 10, Err(ControlCharacter)),
            (Some("a\u{202D}b"), 1, 10, Err(ControlCharacter)),
            (Some("x"), 2, 10, Err(TooShort { min: 2 })),
        ];
        for &(raw, min, max, expected) in cases {
            let expected = expected.map(|o| o.map(str::to_owned));
            assert_eq!(multi_line(raw, min, max), expected, "{raw:?}");
        }
    }

    #[test]
    fn phone_cases() {
        let valid = [
            ("13800138000", "13800138000"),
            ("138 0013-8000", "13800138000"),
            ("+86 138 0013 8000", "13800138000"),
            ("+86-13800138000", "13800138000"),
            ("8613800138000", "13800138000"),
            ("86 138-0013-8000", "13800138000"),
            (
                "\u{FF0B}86\u{3000}１３８\u{FF0D}００１３８０００",
                "13800138000",
            ),
            ("  19912345678 ", "19912345678"),
            ("0571-87654321", "0571-87654321"),
            ("057187654321", "0571-87654321"),
            ("0571 8765 4321", "0571-87654321"),
            ("010-62345678", "010-62345678"),
            ("01062345678", "010-62345678"),
            ("010 6234 5678", "010-62345678"),
            ("021-2345678", "021-2345678"),
            ("0571-87654321-8001", "0571-87654321-8001"),
            ("0571 87654321 8001", "0571-87654321-8001"),
            ("057187654321-123456", "0571-87654321-123456"),
            ("0571-8765432-1", "0571-8765432-1"),
            ("０５７１－８７６５４３２１", "0571-87654321"),
        ];
        for (raw, normalised) in valid {
            assert_eq!(
                Phone::parse(raw).map(|p| p.0),
                Ok(normalised.to_owned()),
                "{raw:?}"
            );
        }
        let invalid = [
            "",
            "   ",
            "-",
            "12800138000",  // 12x is not a mobile prefix
            "1380013800",   // 10 digits
            "138001380001", // 12 digits
            "+8613800138000 1",
            "+1 13800138000",
            "+86 0571 87654321", // landlines are national only
            "138-0013-800O",     // letter O
            "13800138000a",
            "tel:13800138000",
            "(0571) 87654321",
            "0571+87654321",
            "0571-07654321",  // local number starting with 0
            "0571-17654321",  // local number starting with 1
            "0571-876543",    // 6-digit local number
            "0571-876543210", // 9-digit local number
            "057187654321001",
            "0571-87654321-1234567", // 7-digit extension
            "0012-87654321",
            "+",
            "138\n00138000",
        ];
        for raw in invalid {
            assert_eq!(Phone::parse(raw), Err(FieldError::Invalid), "{raw:?}");
        }
    }

    #[test]
    fn email_cases() {
        let valid = [
            ("a@example.com", "a@example.com"),
            ("  Zhang.San@Example.COM ", "Zhang.San@example.com"),
            ("o'neil+tag@mail.example.cn", "o'neil+tag@mail.example.cn"),
            ("x!#$%&*/=?^_`{|}~-@a-b.c0", "x!#$%&*/=?^_`{|}~-@a-b.c0"),
            ("a@123.example", "a@123.example"),
        ];
        for (raw, normalised) in valid {
            assert_eq!(
                Email::parse(raw).map(|e| e.0),
                Ok(normalised.to_owned()),
                "{raw:?}"
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_label = format!("a@{}.com", "a".repeat(64));
        let invalid = [
            "",
            "a",
            "@example.com",
            "a@",
            "a@@example.com",
            "a@b@example.com",
            "a@localhost",
            "a@example.com.",
            "a@.example.com",
            "a@example..com",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "a b@example.com",
            "\"a\"@example.com",
            "<a@example.com>",
            "a,b@example.com",
            "a@example.com,b@example.com",
            "a@exa mple.com",
            "a\r\nBcc: x@example.com",
            "a@example.com\r\nBcc: x@example.com",
            "a@-example.com",
            "a@example-.com",
            "a@exa_mple.com",
            "a@1.2.3.4",
            "a@[127.0.0.1]",
            "张三@example.com",
            "a@例子.中国",
            "a@xn--fsqu00a.xn--fiqs8s\u{0}",
            long_local.as_str(),
            long_label.as_str(),
        ];
        for raw in invalid {
            assert_eq!(Email::parse(raw), Err(FieldError::Invalid), "{raw:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(64))).is_ok());
        assert!(Email::parse("a@xn--fsqu00a.xn--fiqs8s").is_ok());
    }

    #[test]
    fn email_length_limit() {
        let domain = |len: usize| {
            format!(
                "{}.{}.{}.com",
                "a".repeat(63),
                "b".repeat(63),
                "c".repeat(len)
            )
        };
        let at_limit = format!("{}@{}", "x".repeat(64), domain(57));
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok());
        let over = format!("{}@{}", "x".repeat(64), domain(58));
        assert_eq!(Email::parse(&over), Err(FieldError::TooLong { max: 254 }));
    }

    /// Published codes of registered organisations, used as test vectors.
    const VALID_CREDIT_CODES: [&str; 6] = [
        "91350100M000100Y43",
        "91440300708461136T",
        "91110108551385082Q",
        "91110000802100433B",
        "91110105771583283D",
        "911101077776591113",
    ];

    #[test]
    fn credit_check_characters() {
        for code in VALID_CREDIT_CODES {
            let (body, check) = code.as_bytes().split_at(17);
            assert_eq!(credit_check_char(body), Some(check[0]), "{code}");
        }
        // Σ = 0 → check value 0; Σ = 1 → 30 ('Y').
        assert_eq!(credit_check_char(b"00000000000000000"), Some(b'0'));
        assert_eq!(credit_check_char(b"10000000000000000"), Some(b'Y'));
        // All ones: Σ = sum of the weights = 305, 305 mod 31 = 26, (31 − 26) mod 31 = 5.
        // Catches a wrong weight anywhere (the real codes above all have zeros in places).
        assert_eq!(credit_check_char(b"11111111111111111"), Some(b'5'));
        assert_eq!(credit_check_char(b"I0000000000000000"), None);
    }

    #[test]
    fn credit_code_cases() {
        for code in VALID_CREDIT_CODES {
            assert_eq!(CreditCode::parse(code).map(|c| c.0), Ok(code.to_owned()));
        }
        assert_eq!(
            CreditCode::parse(" 91350100m000100y43\t").map(|c| c.0),
            Ok("91350100M000100Y43".to_owned())
        );
        let invalid = [
            "",
            "91350100M000100Y4",
            "91350100M000100Y433",
            "91350100M000100Y44",
            "91350100M000 100Y43",
            "91350100I000100Y43",
            "91350100O000100Y43",
            "９1350100M000100Y43",
            "91350100M000100Y4３",
        ];
        for raw in invalid {
            assert_eq!(CreditCode::parse(raw), Err(FieldError::Invalid), "{raw:?}");
        }
    }

    #[test]
    fn incident_date_cases() {
        use FieldError::*;
        let cases = [
            ("2026-03-10", "2026-03-10", Ok("2026-03-10")),
            (" 2026-03-09 ", "2026-03-10", Ok("2026-03-09")),
            ("2026-03-11", "2026-03-10", Err(InFuture)),
            ("2023-03-10", "2026-03-10", Ok("2023-03-10")),
            ("2023-03-09", "2026-03-10", Err(TooOld)),
            // Three years before Feb 29 is Feb 28.
            ("2025-02-28", "2028-02-29", Ok("2025-02-28")),
            ("2025-02-27", "2028-02-29", Err(TooOld)),
            ("2024-02-29", "2026-03-10", Ok("2024-02-29")),
            ("2025-02-29", "2026-03-10", Err(Invalid)),
            ("2026-02-30", "2026-03-10", Err(Invalid)),
            ("2026-13-01", "2026-03-10", Err(Invalid)),
            ("2026-3-1", "2026-03-10", Err(Invalid)),
            ("+2026-03-01", "2026-03-10", Err(Invalid)),
            ("2026/03/01", "2026-03-10", Err(Invalid)),
            ("2026-03-01T00:00", "2026-03-10", Err(Invalid)),
            ("２０２６-03-01", "2026-03-10", Err(Invalid)),
            ("", "2026-03-10", Err(Invalid)),
        ];
        for (raw, today, expected) in cases {
            assert_eq!(
                incident_date(raw, date(today)),
                expected.map(date),
                "{raw:?}"
            );
        }
    }

    fn credit_code_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(CREDIT_ALPHABET.to_vec()), 17).prop_map(
            |mut body| {
                let check = credit_check_char(&body).unwrap();
                body.push(check);
                String::from_utf8(body).unwrap()
            },
        )
    }

    proptest! {
        #[test]
        fn text_parsers_never_panic_and_are_idempotent(
            raw in any::<String>(),
            min in 0usize..5,
            max in 0usize..50,
        ) {
            for parse in [single_line, multi_line] {
                if let Ok(Some(text)) = parse(Some(&raw), min, max) {
                    prop_assert_eq!(parse(Some(&text), min, max), Ok(Some(text.clone())));
                }
            }
        }

        #[test]
        fn phone_never_panics_and_normalised_parses_to_itself(
            raw in "[+＋0-9０-９ \\-－\u{3000}]{0,24}|\\PC*",
        ) {
            if let Ok(phone) = Phone::parse(&raw) {
                prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone()));
            }
        }

        #[test]
        fn landline_numbers_parse(
            area in "0[1-2][0-9]|0[3-9][0-9]{2}",
            local in "[2-9][0-9]{6,7}",
            ext in proptest::option::of("[0-9]{1,6}"),
        ) {
            let raw = match &ext {
                Some(ext) => format!("{area} {local}-{ext}"),
                None => format!("{area}{local}"),
            };
            let expected = match &ext {
                Some(ext) => format!("{area}-{local}-{ext}"),
                None => format!("{area}-{local}"),
            };
            prop_assert_eq!(Phone::parse(&raw).map(|p| p.0), Ok(expected));
        }

        #[test]
        fn email_never_panics_and_normalised_parses_to_itself(
            raw in "[a-zA-Z0-9.@+_-]{0,20}@[a-zA-Z0-9.-]{0,20}|\\PC*",
        ) {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
            }
        }

        #[test]
        fn credit_code_never_panics(raw in "[0-9A-Za-z ]{0,20}|\\PC*") {
            if let Ok(code) = CreditCode::parse(&raw) {
                prop_assert_eq!(CreditCode::parse(code.as_str()), Ok(code.clone()));
            }
        }

        #[test]
        fn credit_code_single_substitution_is_rejected(
            code in credit_code_strategy(),
            pos in 0usize..18,
            replacement in any::<char>(),
        ) {
            prop_assert!(CreditCode::parse(&code).is_ok());
            let mut chars: Vec<char> = code.chars().collect();
            prop_assume!(chars[pos] != replacement.to_ascii_uppercase());
            chars[pos] = replacement;
            let mutated: String = chars.into_iter().collect();
            prop_assert_eq!(CreditCode::parse(&mutated), Err(FieldError::Invalid));
        }

        #[test]
        fn credit_code_alphabet_substitution_is_rejected(
            code in credit_code_strategy(),
            pos in 0usize..18,
            replacement in proptest::sample::select(CREDIT_ALPHABET.to_vec()),
        ) {
            let mut bytes = code.clone().into_bytes();
            prop_assume!(bytes[pos] != replacement);
            bytes[pos] = replacement;
            let mutated = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(CreditCode::parse(&mutated), Err(FieldError::Invalid));
        }

        #[test]
        fn incident_date_never_panics(
            raw in "[0-9]{4}-[0-9]{2}-[0-9]{2}|\\PC*",
            offset in 0i64..3000,
        ) {
            let today = date("2026-06-15") + chrono::TimeDelta::days(offset);
            let _ = incident_date(&raw, today);
        }

        #[test]
        fn formatted_dates_round_trip(back in 0i64..2000, offset in 0i64..3000) {
            let today = date("2026-06-15") + chrono::TimeDelta::days(offset);
            let day = today - chrono::TimeDelta::days(back);
            let parsed = incident_date(&day.format("%Y-%m-%d").to_string(), today);
            if back <= 365 * 3 {
                prop_assert_eq!(parsed, Ok(day));
            } else if back > 366 * 3 {
                prop_assert_eq!(parsed, Err(FieldError::TooOld));
            }
        }
    }
}
