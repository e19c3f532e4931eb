//! The staff second factor (TOTP, RFC 6238: SHA-1, 6 digits, 30-second steps, one step of
//! skew either way): secrets sealed for the database, codes checked against the last step
//! taken, recovery codes and their keyed hashes, and the QR code of the enrolment link.
//! No HTTP and no SQL here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chacha20poly1305::aead::Aead;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: usize = 6;
pub const RECOVERY_CODES: usize = 10;
/// The name authenticator apps show beside the account.
pub const ISSUER: &str = "Green Channel";

/// A fresh 160-bit secret (RFC 4226's recommendation).
pub fn new_secret() -> Vec<u8> {
    rand::random::<[u8; 20]>().to_vec()
}

fn key_for(secret_key: &[u8], purpose: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key).expect("HMAC takes any key length");
    mac.update(purpose);
    mac.finalize().into_bytes().into()
}

fn cipher(secret_key: &[u8]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new_from_slice(&key_for(secret_key, b"totp-secret-seal\0"))
        .expect("a 32-byte key")
}

/// The secret as stored: ChaCha20-Poly1305 under a key derived from `SECRET_KEY`, bound to
/// the user (the id is the associated data), as base64 of nonce and ciphertext. A copy of
/// the database alone gives no codes.
pub fn seal(secret_key: &[u8], user_id: &str, secret: &[u8]) -> anyhow::Result<String> {
    let nonce: [u8; 12] = rand::random();
    let sealed = cipher(secret_key)
        .encrypt(
            &nonce.into(),
            chacha20poly1305::aead::Payload {
                msg: secret,
                aad: user_id.as_bytes(),
            },
        )
        .map_err(|_| anyhow::anyhow!("sealing a TOTP secret"))?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Ok(URL_SAFE_NO_PAD.encode(out))
}

/// The secret `seal` stored for `user_id`; `None` if it was not sealed for them with this key.
pub fn open(secret_key: &[u8], user_id: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, body) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    cipher(secret_key)
        .decrypt(
            &nonce.into(),
            chacha20poly1305::aead::Payload {
                msg: body,
                aad: user_id.as_bytes(),
            },
        )
        .ok()
}

fn totp(secret: &[u8]) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP_SECONDS, secret.to_vec()).ok()
}

/// The code of the step that holds `unix_seconds` (for tests and for the enrolment check).
pub fn code_at(secret: &[u8], unix_seconds: u64) -> Option<String> {
    totp(secret).map(|t| t.generate(unix_seconds))
}

/// The time step `code` belongs to, within one step of `unix_seconds`, if it is later than
/// `last_step` (a code, once taken, is never taken again, nor any before it).
pub fn accepted_step(
    secret: &[u8],
    code: &str,
    unix_seconds: u64,
    last_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret)?;
    let now_step = (unix_seconds / STEP_SECONDS) as i64;
    let mut found = None;
    for step in [now_step - 1, now_step, now_step + 1] {
        if step < 0 || last_step.is_some_and(|last| step <= last) {
            continue;
        }
        let expected = totp.generate(step as u64 * STEP_SECONDS);
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

/// The secret in base32, as typed into an app by hand.
pub fn secret_text(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// The `otpauth://` link authenticator apps read from the QR code.
pub fn otpauth_url(secret: &[u8], username: &str) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(ISSUER),
        enc(username),
        secret_text(secret),
        enc(ISSUER),
    )
}

/// The QR code of `url` as an inline `<svg>` element (no XML declaration, no style
/// attribute: the CSP forbids inline styles), drawn on the server.
pub fn qr_svg(url: &str) -> anyhow::Result<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(url.as_bytes())?;
    let image = code.render::<svg::Color>().min_dimensions(220, 220).build();
    let start = image.find("<svg").unwrap_or(0);
    Ok(image[start..].to_owned())
}

/// Ten recovery codes, `xxxxx-xxxxx` from an unambiguous alphabet (50 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut code: String = (0..10)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            code.insert(5, '-');
            code
        })
        .collect()
}

/// A recovery code as stored: HMAC-SHA256 under a key derived from `SECRET_KEY`, of the
/// user and the code (lower case, without spaces or dashes). The codes are random, so a
/// keyed hash is enough; Argon2 would cost ten runs per enrolment for nothing.
pub fn recovery_code_hash(secret_key: &[u8], user_id: &str, code: &str) -> String {
    let normalised: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key_for(secret_key, b"totp-recovery\0"))
        .expect("HMAC takes any key length");
    mac.update(user_id.as_bytes());
    mac.update(b"\0");
    mac.update(normalised.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `text` is shaped like a recovery code rather than a six-digit code.
pub fn looks_like_recovery_code(text: &str) -> bool {
    let letters = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .count();
    letters == 10
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ')
}

/// `green-channel reset-totp --username U`: removes the user's enrolment and recovery
/// codes (they enrol again at their next sign-in if their role requires it); whether there
/// was one. An unknown username is an error.
pub fn reset(db: &crate::db::Database, username: &str) -> anyhow::Result<bool> {
    let username = username.to_owned();
    db.write_blocking(move |conn| -> anyhow::Result<bool> {
        let user = crate::db::users::find_by_username(conn, &username)?
            .ok_or_else(|| anyhow::anyhow!("no user named {username}"))?;
        Ok(crate::db::totp::remove(conn, user.id.as_str())?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_user_and_key() {
        let secret = new_secret();
        let sealed = seal(&[7; 64], "user-1", &secret).unwrap();
        assert_eq!(open(&[7; 64], "user-1", &sealed), Some(secret));
        assert_eq!(open(&[7; 64], "user-2", &sealed), None);
        assert_eq!(open(&[8; 64], "user-1", &sealed), None);
        assert_eq!(open(&[7; 64], "user-1", "not sealed"), None);
    }

    #[test]
    fn a_code_is_taken_once_within_one_step_of_now() {
        // RFC 6238, appendix B: SHA-1 at 59 s gives 94287082 with eight digits; six here.
        let secret = b"12345678901234567890".to_vec();
        let now = 1_111_111_109;
        let code = code_at(&secret, now).unwrap();
        let step = (now / STEP_SECONDS) as i64;
        assert_eq!(accepted_step(&secret, &code, now, None), Some(step));
        assert_eq!(accepted_step(&secret, &code, now + 30, None), Some(step));
        assert_eq!(accepted_step(&secret, &code, now + 90, None), None);
        assert_eq!(
            accepted_step(&secret, &code, now, Some(step)),
            None,
            "replayed"
        );
        assert_eq!(accepted_step(&secret, "12345", now, None), None);
        assert_eq!(accepted_step(&secret, "abcdef", now, None), None);
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
    }

    #[test]
    fn recovery_codes_hash_by_user_whatever_their_spelling() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes.iter().all(|c| looks_like_recovery_code(c)));
        let hash = recovery_code_hash(&[1; 64], "u", &codes[0]);
        assert_eq!(
            hash,
            recovery_code_hash(&[1; 64], "u", &codes[0].to_uppercase().replace('-', " "))
        );
        assert_ne!(hash, recovery_code_hash(&[1; 64], "v", &codes[0]));
    }

    #[test]
    fn the_qr_code_is_an_inline_svg_without_styles() {
        let svg = qr_svg(&otpauth_url(&new_secret(), "admin")).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("style="));
    }
}
