//! Session and token secrets: made at random, stored only as a hash.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A random secret for a session cookie or an API token (256 bits).
pub(crate) fn new_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Secrets are stored only as their SHA-256.
pub(crate) fn secret_hash(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let d = Sha256::digest(secret.as_bytes());
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret("nxs_");
        assert!(a.starts_with("nxs_") && a.len() > 40);
        assert_ne!(a, new_secret("nxs_"));
        assert_eq!(secret_hash("abc").len(), 64);
    }
}
