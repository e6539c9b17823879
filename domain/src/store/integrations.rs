//! Secrets of integrations (Pax8 credentials, the QuickBooks connection),
//! one row each in `integrations`, sealed with the platform key and bound to
//! the row's name, so that a sealed value cannot be moved to another row.

use super::Store;
use crate::crypto::EncryptionKey;
use crate::{clock, Error, ErrorCode, Result};

impl Store {
    /// The sealed value of integration `name`, to notice changes without decrypting.
    pub async fn sealed_integration(&self, name: &str) -> Result<Option<String>> {
        sealed_in(self.pool(), name).await
    }

    /// Forgets integration `name` (its secret goes with it).
    pub async fn remove_integration(&self, name: &str) -> Result<()> {
        self.execute_write(sqlx::query("DELETE FROM integrations WHERE name = $1").bind(name))
            .await
            .map(|_| ())
    }
}

/// The sealed value of integration `name` (through a pool, or inside the
/// caller's transaction to change it only if it is still the one read).
pub(crate) async fn sealed_in<'e, E>(executor: E, name: &str) -> Result<Option<String>>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    Ok(sqlx::query_scalar("SELECT sealed FROM integrations WHERE name = $1")
        .bind(name)
        .fetch_optional(executor)
        .await?)
}

/// Seals `plain` and stores it as integration `name` (through a pool or inside a transaction).
pub(crate) async fn put_sealed<'e, E>(executor: E, key: &EncryptionKey, name: &str, plain: &[u8]) -> Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query("INSERT INTO integrations (name, sealed, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at")
        .bind(name)
        .bind(key.seal(plain, name))
        .bind(clock::now())
        .execute(executor)
        .await?;
    Ok(())
}

/// Opens a sealed value of integration `name`; `unreadable` tells the user
/// what to do when the configured key cannot open it.
pub(crate) fn open_sealed(key: &EncryptionKey, name: &str, sealed: &str, unreadable: &str) -> Result<Vec<u8>> {
    key.open(sealed, name).map_err(|e| {
        tracing::error!("stored {name} secret cannot be read: {e}");
        Error::new(ErrorCode::EncryptionKeyMissing, unreadable)
    })
}
