//! Public case numbers (`complaints.public_id`): what a case is called in public, in the
//! Open311 API and between staff. Granting nothing, they are neither the tracking code (the
//! resident's key) nor derived from it or from the internal id. No storage or lookup here.

use std::fmt;

use chrono::NaiveDate;
use rand::Rng;

use super::tracking_code::ALPHABET;

/// Random symbols after the date: 31⁷ ≈ 2.8 × 10¹⁰ numbers per day, drawn again on a clash.
const SYMBOLS: usize = 7;
const DATE_LEN: usize = 6;
const REJECT_FROM: usize = 256 / ALPHABET.len() * ALPHABET.len();

/// `YYMMDD-XXXXXX`: the city date of filing and seven symbols of the tracking-code alphabet,
/// e.g. `261203-K7QX3MN`; only `[0-9A-Z-]`, so it is safe in a path as it is.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicId(String);

impl PublicId {
    pub fn generate<R: Rng + ?Sized>(rng: &mut R, filed_on: NaiveDate) -> PublicId {
        let symbols: String = (0..SYMBOLS)
            .map(|_| loop {
                let byte = usize::from(rng.random::<u8>());
                if byte < REJECT_FROM {
                    break char::from(ALPHABET[byte % ALPHABET.len()]);
                }
            })
            .collect();
        PublicId(format!("{}-{symbols}", filed_on.format("%y%m%d")))
    }

    /// Accepts any case and surrounding whitespace; anything else is not a case number.
    pub fn parse(input: &str) -> Option<PublicId> {
        let text = input.trim().to_ascii_uppercase();
        let (date, symbols) = text.split_once('-')?;
        let date_ok = date.len() == DATE_LEN && date.bytes().all(|b| b.is_ascii_digit());
        let symbols_ok = symbols.len() == SYMBOLS && symbols.bytes().all(|b| ALPHABET.contains(&b));
        (date_ok && symbols_ok).then_some(PublicId(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicId").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tracking_code::TrackingCode;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    #[test]
    fn a_generated_number_is_path_safe_dated_and_parses_back() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let id = PublicId::generate(&mut rng, day());
            assert!(id.as_str().starts_with("261203-"), "{id}");
            assert_eq!(id.as_str().len(), 14);
            assert!(id
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b == b'-'));
            assert_eq!(
                PublicId::parse(&id.as_str().to_lowercase()),
                Some(id.clone())
            );
            // Never mistaken for a tracking code, in either direction.
            assert_eq!(TrackingCode::parse(id.as_str()), None);
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for raw in [
            "",
            "261203",
            "261203-",
            "261203-K7QX3M",
            "261203-K7QX3MNP",
            "26120-K7QX3MN",
            "2612O3-K7QX3MN",
            "261203-K7QX3MO",
            "261203_K7QX3MN",
            "K7QX3-MNAPR-2D9WT",
            "261203-K7QX3MN/..",
        ] {
            assert_eq!(PublicId::parse(raw), None, "{raw:?}");
        }
    }
}
