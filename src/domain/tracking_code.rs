//! Tracking codes, a resident's secret key to a complaint: generate, parse, redact for logs.
//! No storage, lookup or logging here; a whole code must never reach a log (use `redacted`).

use std::borrow::Cow;
use std::fmt;

use rand::Rng;

/// 31 symbols: no 0/O, 1/I/L, which are confused when read out or typed.
pub const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

const SYMBOLS: usize = 15;
const GROUP_LEN: usize = 5;
/// Largest multiple of the alphabet size that fits in a byte; bytes at or above it are redrawn.
const REJECT_FROM: usize = 256 / ALPHABET.len() * ALPHABET.len();

/// Canonical form: 15 symbols in three groups of five joined by '-', e.g. "K7QX3-MNAPR-2D9WT"
/// (≈74 bits).
///
/// `Debug` shows only the redacted form, so a code inside a logged struct does not leak.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TrackingCode(String);

impl TrackingCode {
    /// Uniform over the alphabet (rejection sampling, no modulo bias).
    pub fn generate<R: Rng + ?Sized>(rng: &mut R) -> TrackingCode {
        let symbols: Vec<u8> = (0..SYMBOLS)
            .map(|_| loop {
                let byte = usize::from(rng.random::<u8>());
                if byte < REJECT_FROM {
                    break ALPHABET[byte % ALPHABET.len()];
                }
            })
            .collect();
        Self::from_symbols(&symbols)
    }

    /// Accepts what a person types: any case, spaces/dashes anywhere (also full-width － and U+3000
    /// space), surrounding whitespace. Returns None for anything that is not 15 alphabet symbols
    /// (including confusable letters O, I, L, 0, 1 — do not silently map them).
    pub fn parse(input: &str) -> Option<TrackingCode> {
        let mut symbols = Vec::with_capacity(SYMBOLS);
        for c in input.trim().chars() {
            // Full-width ASCII forms (Ａ, ７, －) come from a Chinese IME in full-width mode.
            let c = match u32::from(c) {
                0xFF01..=0xFF5E => char::from_u32(u32::from(c) - 0xFEE0)?,
                _ => c,
            };
            if matches!(c, ' ' | '-' | '\u{3000}') {
                continue;
            }
            let symbol = u8::try_from(c).ok()?.to_ascii_uppercase();
            if symbols.len() == SYMBOLS || !ALPHABET.contains(&symbol) {
                return None;
            }
            symbols.push(symbol);
        }
        (symbols.len() == SYMBOLS).then(|| Self::from_symbols(&symbols))
    }

    fn from_symbols(symbols: &[u8]) -> TrackingCode {
        let mut code = String::with_capacity(SYMBOLS + SYMBOLS / GROUP_LEN);
        for (i, &symbol) in symbols.iter().enumerate() {
            if i > 0 && i % GROUP_LEN == 0 {
                code.push('-');
            }
            code.push(char::from(symbol));
        }
        TrackingCode(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First four symbols followed by '…', for logs (never log a whole code).
    /// `text` with every tracking code in it cut to its first group (`K7QX3-*****-*****`),
    /// for wherever staff read what was mailed to a complainant (the outbox page): the code
    /// is the resident's key, and staff have no use for it.
    pub fn mask_in(text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let is_symbol = |c: char| u8::try_from(c).is_ok_and(|b| ALPHABET.contains(&b));
        let code_len = SYMBOLS + SYMBOLS / GROUP_LEN - 1;
        let is_code_at = |at: usize| {
            at + code_len <= chars.len()
                && (0..code_len).all(|i| {
                    if (i + 1) % (GROUP_LEN + 1) == 0 {
                        chars[at + i] == '-'
                    } else {
                        is_symbol(chars[at + i])
                    }
                })
        };
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        while at < chars.len() {
            if is_code_at(at) {
                out.extend(&chars[at..at + GROUP_LEN]);
                out.push_str("-*****-*****");
                at += code_len;
            } else {
                out.push(chars[at]);
                at += 1;
            }
        }
        out
    }

    pub fn redacted(&self) -> String {
        format!("{}…", &self.0[..4])
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TrackingCode")
            .field(&self.redacted())
            .finish()
    }
}

/// For the access log: replaces every path segment (and query value) that, percent-decoded, parses
/// as a tracking code with its first four symbols + "…".
pub fn redact_path(path: &str) -> String {
    let (path, query) = match path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path, None),
    };
    let segments: Vec<Cow<str>> = path
        .split('/')
        .map(|s| redact_component(s, false))
        .collect();
    let mut out = segments.join("/");
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, value)) => format!("{key}={}", redact_component(value, true)),
                None => redact_component(pair, true).into_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

fn redact_component(raw: &str, in_query: bool) -> Cow<'_, str> {
    match percent_decode(raw, in_query)
        .as_deref()
        .and_then(TrackingCode::parse)
    {
        Some(code) => Cow::Owned(code.redacted()),
        None => Cow::Borrowed(raw),
    }
}

/// Percent-decodes (and, in a query, reads '+' as a space); None if the result is not UTF-8.
fn percent_decode(raw: &str, plus_is_space: bool) -> Option<String> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
            (b'+', ..) if plus_is_space => out.push(b' '),
            (b, ..) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn alphabet_has_no_confusables() {
        assert_eq!(ALPHABET.len(), 31);
        assert_eq!(
            TrackingCode::mask_in("您的投诉已受理（查询码 K7QX3-MNAPR-2D9WT）"),
            "您的投诉已受理（查询码 K7QX3-*****-*****）"
        );
        assert_eq!(
            TrackingCode::mask_in("K7QX3-MNAPR-2D9WT, K7QX3-MNAPR-2D9WT"),
            "K7QX3-*****-*****, K7QX3-*****-*****"
        );
        for kept in ["no code here", "K7QX3-MNAPR-2D9W", "k7qx3-mnapr-2d9wt", ""] {
            assert_eq!(TrackingCode::mask_in(kept), kept);
        }
        assert_eq!(REJECT_FROM, 248);
        for c in b"01ILO" {
            assert!(!ALPHABET.contains(c));
        }
    }

    #[test]
    fn parse_cases() {
        let valid = [
            "K7QX3-MNAPR-2D9WT",
            "k7qx3-mnapr-2d9wt",
            "K7QX3MNAPR2D9WT",
            "  K7QX3 MNAPR 2D9WT\n",
            "K7-QX3MN--APR2 D9W T",
            "K7QX3\u{FF0D}MNAPR\u{3000}2D9WT",
            "Ｋ７ＱＸ３－ｍｎａｐｒ－２Ｄ９ＷＴ",
        ];
        for raw in valid {
            assert_eq!(
                TrackingCode::parse(raw).as_ref().map(TrackingCode::as_str),
                Some("K7QX3-MNAPR-2D9WT"),
                "{raw:?}"
            );
        }
        let invalid = [
            "",
            "K7QX3-MNAPR-2D9W",
            "K7QX3-MNAPR-2D9WTA",
            "O7QX3-MNAPR-2D9WT",
            "I7QX3-MNAPR-2D9WT",
            "L7QX3-MNAPR-2D9WT",
            "07QX3-MNAPR-2D9WT",
            "17QX3-MNAPR-2D9WT",
            "K7QX3_MNAPR_2D9WT",
            "K7QX3.MNAPR.2D9WT",
            "K7QX3-MNAPR-2D9W\u{0}T",
            "K7QX3-MNAPR-2D9WÉ",
            "K7QX3\tMNAPR-2D9WT",
        ];
        for raw in invalid {
            assert_eq!(TrackingCode::parse(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn display_and_redaction() {
        let code = TrackingCode::parse("k7qx3mnapr2d9wt").unwrap();
        assert_eq!(code.to_string(), "K7QX3-MNAPR-2D9WT");
        assert_eq!(code.redacted(), "K7QX…");
        assert_eq!(format!("{code:?}"), "TrackingCode(\"K7QX…\")");
    }

    #[test]
    fn redact_path_cases() {
        let cases = [
            ("/track/K7QX3-MNAPR-2D9WT/withdraw", "/track/K7QX…/withdraw"),
            ("/track/k7qx3mnapr2d9wt", "/track/K7QX…"),
            ("/track/K7QX3%20MNAPR%202D9WT", "/track/K7QX…"),
            ("/track/K7QX3%2dMNAPR%2D2D9WT/", "/track/K7QX…/"),
            ("/track?code=K7QX3+MNAPR+2D9WT&x=1", "/track?code=K7QX…&x=1"),
            ("/track?K7QX3-MNAPR-2D9WT", "/track?K7QX…"),
            (
                "/track/K7QX3-MNAPR-2D9WT.json",
                "/track/K7QX3-MNAPR-2D9WT.json",
            ),
            ("/complaints/new", "/complaints/new"),
            ("/static/%ZZ%", "/static/%ZZ%"),
            ("/a/%E3%80%80/b", "/a/%E3%80%80/b"),
            ("", ""),
            ("/", "/"),
        ];
        for (path, expected) in cases {
            assert_eq!(redact_path(path), expected, "{path:?}");
        }
    }

    /// Yields the given bytes as `next_u32` values, to drive the rejection loop.
    struct Scripted(std::vec::IntoIter<u8>);

    impl rand::RngCore for Scripted {
        fn next_u32(&mut self) -> u32 {
            self.0.next().map_or(0, u32::from)
        }
        fn next_u64(&mut self) -> u64 {
            u64::from(self.next_u32())
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            dst.iter_mut().for_each(|b| *b = self.next_u32() as u8);
        }
    }

    #[test]
    fn generate_rejects_biased_bytes() {
        // 248..=255 are redrawn; 247 % 31 = 30 is the last symbol, 31 wraps to the first.
        let mut bytes = vec![248, 255, 247, 31, 0];
        bytes.extend([1; 12]);
        let code = TrackingCode::generate(&mut Scripted(bytes.into_iter()));
        assert_eq!(code.as_str(), "Z2233-33333-33333");
    }

    #[test]
    fn generated_symbols_are_roughly_uniform() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut counts = [0u32; 31];
        for _ in 0..2000 {
            for b in TrackingCode::generate(&mut rng)
                .as_str()
                .bytes()
                .filter(|&b| b != b'-')
            {
                counts[ALPHABET.iter().position(|&a| a == b).unwrap()] += 1;
            }
        }
        // 30,000 draws, ≈968 each; a modulo-biased or broken generator drifts far beyond this.
        assert!(
            counts.iter().all(|&n| (800..1140).contains(&n)),
            "{counts:?}"
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(raw in "\\PC*") {
            let _ = TrackingCode::parse(&raw);
        }

        #[test]
        fn generated_codes_parse(seed in any::<u64>()) {
            let code = TrackingCode::generate(&mut StdRng::seed_from_u64(seed));
            prop_assert_eq!(code.as_str().len(), 17);
            prop_assert_eq!(TrackingCode::parse(code.as_str()), Some(code.clone()));
            let typed = code.as_str().to_lowercase().replace('-', " ");
            prop_assert_eq!(TrackingCode::parse(&typed), Some(code.clone()));
        }

        #[test]
        fn redact_path_never_leaks_a_code(
            seed in any::<u64>(),
            prefix in "[a-z/]{0,10}",
            suffix in "[a-z/]{0,10}",
        ) {
            let code = TrackingCode::generate(&mut StdRng::seed_from_u64(seed));
            let path = format!("/{prefix}/{code}/{suffix}");
            let redacted = redact_path(&path);
            prop_assert!(!redacted.contains(code.as_str()));
            prop_assert!(redacted.contains(&code.redacted()));
        }

        #[test]
        fn redact_path_never_panics(path in "\\PC*") {
            let _ = redact_path(&path);
        }
    }
}
