//! A token for each call: the stored one while it is good, else one refresh
//! at a time under a lease, so that the refresh token Intuit rotates is saved
//! exactly once even with several server instances.

use super::{upstream, Access, Qbo, QBO, REFRESH_LEASE};
use crate::quickbooks::client::QboError;
use crate::store::integrations::sealed_in;
use crate::{Error, ErrorCode};

impl Qbo {
    /// A token for the next call. `refused` is a token QBO just refused: it
    /// is refreshed unless another caller already replaced it.
    pub async fn access(&self, refused: Option<&str>) -> std::result::Result<Access, AccessError> {
        let stored = self.load().await.map_err(AccessError::Store)?.ok_or(AccessError::NotConnected)?;
        if let Some(a) = stored.usable(refused) {
            return Ok(a);
        }
        // One refresh at a time, under a lease rather than a transaction:
        // Intuit rotates the refresh token, and the new one must be saved
        // before anyone uses the old one; but a transaction held while
        // Intuit answers would stall every other write (SQLite has one
        // writer). Whoever waits takes the token the holder saved.
        let ttl = chrono::Duration::from_std(self.client.app().timeout).unwrap_or_default() + chrono::Duration::seconds(30);
        let give_up = std::time::Instant::now() + ttl.to_std().unwrap_or_default();
        let lease = loop {
            if let Some(lease) = self.store.take_lease(REFRESH_LEASE, ttl).await.map_err(AccessError::Store)? {
                break lease;
            }
            if std::time::Instant::now() > give_up {
                return Err(AccessError::Store(Error::new(
                    ErrorCode::Upstream,
                    "QuickBooks is slow to renew its token; try again in a minute.",
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let seen = self.load().await.map_err(AccessError::Store)?.ok_or(AccessError::NotConnected)?;
            if let Some(a) = seen.usable(refused) {
                return Ok(a);
            }
        };
        // Run to the end even if the caller goes away (a closed page):
        // Intuit may already have rotated the refresh token, which must be
        // saved, and the lease must be given back.
        let (this, refused) = (self.clone(), refused.map(str::to_string));
        tokio::spawn(async move {
            let renewed = this.refresh_with(refused.as_deref()).await;
            if let Err(e) = this.store.release_lease(lease).await {
                tracing::warn!("QuickBooks refresh lease not released (it expires by itself): {}", e.message);
            }
            renewed
        })
        .await
        .map_err(|e| AccessError::Store(Error::internal_from("refreshing the QuickBooks token", e)))?
    }

    /// The refresh itself, by the lease's holder: reads the connection again
    /// (another holder may have just renewed it), asks Intuit, and saves the
    /// tokens unless the connection was removed or replaced meanwhile.
    async fn refresh_with(&self, refused: Option<&str>) -> std::result::Result<Access, AccessError> {
        let current = self.load().await.map_err(AccessError::Store)?.ok_or(AccessError::NotConnected)?;
        if let Some(a) = current.usable(refused) {
            return Ok(a);
        }
        let tokens = self
            .client
            .refresh(current.environment, &current.refresh_token)
            .await
            .map_err(AccessError::Qbo)?;
        let renewed = current.clone().with_tokens(&tokens);
        let mut tx = self.store.begin_write().await.map_err(AccessError::Store)?;
        let sealed = sealed_in(&mut *tx, QBO).await.map_err(AccessError::Store)?;
        let now = self.open(&sealed.ok_or(AccessError::NotConnected)?).map_err(AccessError::Store)?;
        if now.realm_id != current.realm_id || now.connected_at != current.connected_at {
            return Err(AccessError::NotConnected);
        }
        self.save(&mut tx, &renewed).await.map_err(AccessError::Store)?;
        tx.commit().await.map_err(|e| AccessError::Store(e.into()))?;
        tracing::info!(realm = %renewed.realm_id, "QuickBooks access token refreshed");
        Ok(Access {
            environment: renewed.environment,
            realm_id: renewed.realm_id,
            token: renewed.access_token,
        })
    }

    /// Runs `call` with a token; on 401 refreshes once and runs it again.
    pub async fn authed<T, F, Fut>(&self, call: F) -> std::result::Result<T, Error>
    where
        F: Fn(Access) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, QboError>>,
    {
        self.authed_raw(call).await.map_err(|e| e.into_error())
    }

    /// [`authed`](Self::authed), keeping QBO's error as it came.
    pub async fn authed_raw<T, F, Fut>(&self, call: F) -> std::result::Result<T, AccessError>
    where
        F: Fn(Access) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, QboError>>,
    {
        let a = self.access(None).await?;
        let token = a.token.clone();
        match call(a).await {
            Err(QboError::Unauthorized(_)) => {
                let again = self.access(Some(&token)).await?;
                call(again).await.map_err(AccessError::Qbo)
            }
            other => other.map_err(AccessError::Qbo),
        }
    }
}

/// Why a QuickBooks call could not be made or failed.
#[derive(Debug)]
pub enum AccessError {
    NotConnected,
    Store(Error),
    Qbo(QboError),
}

impl AccessError {
    pub fn plain(&self) -> String {
        match self {
            AccessError::NotConnected => NOT_CONNECTED.to_string(),
            AccessError::Store(e) => e.message.clone(),
            AccessError::Qbo(e) => e.plain(),
        }
    }

    pub fn into_error(self) -> Error {
        match self {
            AccessError::NotConnected => Error::validation("qbo", NOT_CONNECTED),
            AccessError::Store(e) => e,
            AccessError::Qbo(e) => upstream(&e),
        }
    }
}

pub const NOT_CONNECTED: &str = "QuickBooks is not connected: an admin connects it in Settings.";
