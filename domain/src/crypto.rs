//! The platform's encryption key: AES-256-GCM for the distributor and
//! QuickBooks credentials stored in the database.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// A 32-byte key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct EncryptionKey(Aes256Gcm);

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey(..)")
    }
}

impl EncryptionKey {
    /// Reads base64 of exactly 32 bytes (what `server gen-key` prints).
    pub fn from_base64(s: &str) -> Result<EncryptionKey, String> {
        let bytes = STANDARD
            .decode(s.trim())
            .map_err(|_| "NEXOS_ENCRYPTION_KEY is not base64; generate one with `server gen-key`.".to_string())?;
        if bytes.len() != 32 {
            return Err(format!(
                "NEXOS_ENCRYPTION_KEY must be 32 bytes (base64 of 32 random bytes), not {}; generate one with `server gen-key`.",
                bytes.len()
            ));
        }
        Ok(EncryptionKey(Aes256Gcm::new_from_slice(&bytes).map_err(|_| "bad key length".to_string())?))
    }

    /// A new random key, as base64.
    pub fn generate() -> String {
        let bytes: [u8; 32] = rand::random();
        STANDARD.encode(bytes)
    }

    /// `base64(nonce ‖ ciphertext ‖ tag)`. `context` (e.g. `"pax8"`) is bound
    /// as associated data, so a secret cannot be moved to another slot.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let nonce: [u8; 12] = rand::random();
        let ct = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption does not fail for in-memory data");
        let mut out = nonce.to_vec();
        out.extend(ct);
        STANDARD.encode(out)
    }

    /// Opens what [`seal`](Self::seal) made with the same key and context.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, String> {
        let bytes = STANDARD.decode(sealed).map_err(|_| "sealed value is not base64".to_string())?;
        if bytes.len() < 12 + 16 {
            return Err("sealed value is too short".into());
        }
        let (nonce, ct) = bytes.split_at(12);
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| "cannot decrypt: a different encryption key, or the value was altered".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_key_and_context() {
        let k = EncryptionKey::from_base64(&EncryptionKey::generate()).unwrap();
        let sealed = k.seal(b"client-secret", "pax8");
        assert!(!sealed.contains("client-secret"));
        assert_ne!(sealed, k.seal(b"client-secret", "pax8"), "a fresh nonce each time");
        assert_eq!(k.open(&sealed, "pax8").unwrap(), b"client-secret");
        assert!(k.open(&sealed, "qbo").is_err());
        let other = EncryptionKey::from_base64(&EncryptionKey::generate()).unwrap();
        assert!(other.open(&sealed, "pax8").is_err());
        assert_eq!(format!("{k:?}"), "EncryptionKey(..)");
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(EncryptionKey::from_base64("not base64!").unwrap_err().contains("gen-key"));
        assert!(EncryptionKey::from_base64(&STANDARD.encode([0u8; 16])).unwrap_err().contains("not 16"));
    }
}
