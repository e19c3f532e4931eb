//! Password hashing with Argon2id (the crate's defaults: m=19456 KiB, t=2, p=1).

use argon2::password_hash::phc::PasswordHash;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

pub fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

pub fn verify(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random password that is easy to copy: 20 characters from an unambiguous alphabet.
pub fn generate() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hash_verifies_only_its_password() {
        let hash = super::hash("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(super::verify("correct horse", &hash));
        assert!(!super::verify("wrong", &hash));
        assert!(!super::verify("correct horse", "not a hash"));
    }
}
