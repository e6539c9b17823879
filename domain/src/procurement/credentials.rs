//! Distributor credentials, stored sealed with the platform's key.

use crate::crypto::EncryptionKey;
use crate::store::integrations::{open_sealed, put_sealed};
use crate::{Error, Result, Store};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
pub struct Pax8Credentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for Pax8Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pax8Credentials").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

const PAX8: &str = "pax8";

impl Store {
    pub async fn save_pax8_credentials(&self, key: &EncryptionKey, creds: &Pax8Credentials) -> Result<()> {
        let client_id = crate::validate::required_text("client_id", &creds.client_id, 200)?;
        let client_secret = crate::validate::required_text("client_secret", &creds.client_secret, 500)?;
        let plain = serde_json::to_vec(&Pax8Credentials { client_id, client_secret }).map_err(|e| Error::internal_from("writing the Pax8 credentials", e))?;
        let _turn = self.write_turn().await?;
        put_sealed(self.pool(), key, PAX8, &plain).await
    }

    /// The sealed value, to notice changes without decrypting.
    pub async fn pax8_sealed(&self) -> Result<Option<String>> {
        self.sealed_integration(PAX8).await
    }

    pub async fn pax8_credentials(&self, key: &EncryptionKey) -> Result<Option<Pax8Credentials>> {
        let Some(sealed) = self.pax8_sealed().await? else { return Ok(None) };
        let plain = open_sealed(
            key,
            PAX8,
            &sealed,
            "The stored Pax8 credentials cannot be decrypted with the configured key; enter them again in Settings.",
        )?;
        Ok(serde_json::from_slice(&plain).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::both_backends!(stored_sealed_and_read_back);
    async fn stored_sealed_and_read_back(b: &'static str) {
        let s = crate::testing::store(b).await;
        let key = EncryptionKey::from_base64(&EncryptionKey::generate()).unwrap();
        assert!(s.pax8_credentials(&key).await.unwrap().is_none());
        let creds = Pax8Credentials {
            client_id: "cid".into(),
            client_secret: "very secret".into(),
        };
        assert_eq!(
            s.save_pax8_credentials(
                &key,
                &Pax8Credentials {
                    client_secret: " ".into(),
                    ..creds.clone()
                }
            )
            .await
            .unwrap_err()
            .field
            .as_deref(),
            Some("client_secret")
        );
        s.save_pax8_credentials(&key, &creds).await.unwrap();
        let sealed = s.pax8_sealed().await.unwrap().unwrap();
        assert!(!sealed.contains("very secret"), "{b}: stored encrypted");
        assert_eq!(s.pax8_credentials(&key).await.unwrap().unwrap().client_secret, "very secret");
        assert!(!format!("{creds:?}").contains("very secret"));
        let other = EncryptionKey::from_base64(&EncryptionKey::generate()).unwrap();
        assert_eq!(s.pax8_credentials(&other).await.unwrap_err().code, crate::ErrorCode::EncryptionKeyMissing);
    }
}
