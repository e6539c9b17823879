//! The QuickBooks connection: OAuth states awaiting Intuit's callback, the
//! realm and tokens sealed with the platform key (`integrations` row 'qbo'),
//! access tokens refreshed under a lease so that the rotated refresh token is
//! saved exactly once even with several server instances, and the mapping.
//!
//! This file holds connecting and disconnecting (authorize URL and state,
//! callback, token exchange, revoke, sealed storage); access.rs a token for
//! each call (the refresh under a lease); settings.rs the account mapping and
//! the company's setup; lists.rs the company's lists for the pickers.

mod access;
mod lists;
mod settings;

pub use access::{AccessError, NOT_CONNECTED};
use lists::VendorCache;

use super::client::{QboApp, QboClient, QboError, Tokens};
use super::{Environment, QboStatus};
use crate::crypto::EncryptionKey;
use crate::store::integrations::{open_sealed, put_sealed};
use crate::users::User;
use crate::{clock, Error, ErrorCode, Result, Store};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::sync::Arc;

const QBO: &str = "qbo";
/// How long an admin has to come back from Intuit.
const STATE_MINUTES: i64 = 10;
/// The lease under which one caller at a time renews the access token.
const REFRESH_LEASE: &str = "qbo-token-refresh";

/// What is sealed in the database. Its `Debug` shows no token.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Stored {
    pub realm_id: String,
    pub environment: Environment,
    pub company_name: String,
    pub connected_at: String,
    pub access_token: String,
    pub access_expires_at: String,
    pub refresh_token: String,
    pub refresh_expires_at: String,
}

impl std::fmt::Debug for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stored").field("realm_id", &self.realm_id).finish_non_exhaustive()
    }
}

impl Stored {
    pub(super) fn with_tokens(mut self, t: &Tokens) -> Stored {
        self.access_token = t.access_token.clone();
        self.access_expires_at = clock::from_now(chrono::Duration::seconds(t.expires_in as i64));
        self.refresh_token = t.refresh_token.clone();
        if t.x_refresh_token_expires_in > 0 {
            self.refresh_expires_at = clock::from_now(chrono::Duration::seconds(t.x_refresh_token_expires_in as i64));
        }
        self
    }

    /// The access token is good for at least another minute.
    fn fresh(&self) -> bool {
        clock::parse(&self.access_expires_at).is_some_and(|t| t > chrono::Utc::now() + chrono::Duration::seconds(60))
    }

    /// Its access token, if good for at least another minute and not the one QBO just refused.
    pub(super) fn usable(&self, refused: Option<&str>) -> Option<Access> {
        (self.fresh() && refused != Some(self.access_token.as_str())).then(|| Access {
            environment: self.environment,
            realm_id: self.realm_id.clone(),
            token: self.access_token.clone(),
        })
    }
}

/// Where a call goes, with a token good for it.
pub struct Access {
    pub environment: Environment,
    pub realm_id: String,
    pub token: String,
}

/// QuickBooks for this server: the store, the key, the Intuit app.
#[derive(Clone)]
pub struct Qbo {
    pub store: Store,
    key: EncryptionKey,
    client: Arc<QboClient>,
    /// QuickBooks is the project's local fake (demo mode).
    pub sandbox: bool,
    /// The company's vendors as last read (realm, when), for the picker.
    vendors: Arc<std::sync::Mutex<Option<VendorCache>>>,
}

impl std::fmt::Debug for Qbo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Qbo").field("app", self.client.app()).finish_non_exhaustive()
    }
}

pub(super) fn upstream(e: &QboError) -> Error {
    Error::new(ErrorCode::Upstream, e.plain())
}

impl Qbo {
    pub fn new(store: Store, key: EncryptionKey, app: QboApp, sandbox: bool) -> Qbo {
        Qbo {
            store,
            key,
            client: Arc::new(QboClient::new(app)),
            sandbox,
            vendors: Default::default(),
        }
    }

    pub fn client(&self) -> &QboClient {
        &self.client
    }

    pub(crate) async fn load(&self) -> Result<Option<Stored>> {
        self.store.sealed_integration(QBO).await?.map(|s| self.open(&s)).transpose()
    }

    pub(super) fn open(&self, sealed: &str) -> Result<Stored> {
        let plain = open_sealed(
            &self.key,
            QBO,
            sealed,
            "The stored QuickBooks connection cannot be decrypted with the configured key; connect QuickBooks again in Settings.",
        )?;
        serde_json::from_slice(&plain).map_err(|e| Error::internal_from("reading the stored QuickBooks connection", e))
    }

    pub(super) async fn save(&self, conn: &mut crate::store::Tx, stored: &Stored) -> Result<()> {
        let plain = serde_json::to_vec(stored).map_err(|e| Error::internal_from("writing the QuickBooks connection", e))?;
        put_sealed(&mut **conn, &self.key, QBO, &plain).await
    }

    /// Whether a connection is stored and readable (as [`status`](Self::status) counts it).
    pub async fn connected(&self) -> bool {
        matches!(self.load().await, Ok(Some(_)))
    }

    /// The connection. One stored under another key counts as not
    /// connected (with the reason), so that an admin can connect again.
    pub async fn status(&self) -> Result<QboStatus> {
        let (stored, reason) = match self.load().await {
            Ok(s) => (s, None),
            Err(e) if e.code == ErrorCode::EncryptionKeyMissing => (None, Some(e.message)),
            Err(e) => return Err(e),
        };
        let connected = stored.is_some();
        Ok(QboStatus {
            available: true,
            reason,
            connected,
            realm_id: stored.as_ref().map(|s| s.realm_id.clone()),
            company_name: stored.as_ref().map(|s| s.company_name.clone()).filter(|n| !n.is_empty()),
            environment: stored.as_ref().map(|s| s.environment).unwrap_or_default(),
            connected_at: stored.map(|s| s.connected_at),
            mapping: self.mapping().await?,
            sandbox: self.sandbox,
            environments: self.client.app().environments(),
            company: if connected { self.company().await? } else { None },
        })
    }

    /// Starts the OAuth flow for `admin`: the URL their browser goes to.
    pub async fn begin_connect(&self, admin: &User, environment: Environment) -> Result<String> {
        if self.client.app().keys(environment).is_none() {
            return Err(Error::validation("environment", QboError::NoKeys(environment).plain()));
        }
        let state = crate::users::secrets::new_secret("");
        let stale = clock::from_now(-chrono::Duration::minutes(STATE_MINUTES));
        self.store
            .execute_write(sqlx::query("DELETE FROM oauth_states WHERE created_at < $1").bind(&stale))
            .await?;
        self.store
            .execute_write(
                sqlx::query("INSERT INTO oauth_states (state, user_id, environment, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&state)
                    .bind(admin.id)
                    .bind(environment.as_str())
                    .bind(clock::now()),
            )
            .await?;
        self.client.authorize_url(environment, &state).map_err(|e| upstream(&e))
    }

    /// Intuit's callback: checks `state` (once, same admin, in time), trades
    /// the code for tokens and stores the connection.
    pub async fn complete_connect(&self, admin: &User, code: &str, state: &str, realm_id: &str) -> Result<QboStatus> {
        let row = sqlx::query("DELETE FROM oauth_states WHERE state = $1 RETURNING user_id, environment, created_at")
            .bind(state)
            .fetch_optional(self.store.pool())
            .await?;
        let refused = || {
            Error::validation(
                "state",
                "This QuickBooks sign-in link is not valid (expired, used already, or started by someone else). Start again with Connect QuickBooks.",
            )
        };
        let Some(row) = row else { return Err(refused()) };
        let user_id: i64 = row.try_get("user_id")?;
        let created: String = row.try_get("created_at")?;
        let in_time = clock::parse(&created).is_some_and(|t| t > chrono::Utc::now() - chrono::Duration::minutes(STATE_MINUTES));
        if user_id != admin.id || !in_time {
            return Err(refused());
        }
        let realm_id = crate::validate::required_text("realmId", realm_id, 40)?;
        if code.trim().is_empty() {
            return Err(Error::validation("code", "Intuit sent no authorization code."));
        }
        let environment = Environment::parse(&row.try_get::<String, _>("environment")?).unwrap_or_default();
        let tokens = self.client.exchange_code(environment, code.trim()).await.map_err(|e| upstream(&e))?;
        let access = Access {
            environment,
            realm_id: realm_id.clone(),
            token: tokens.access_token.clone(),
        };
        let (company_name, company) = match self.read_company(&access).await {
            Ok((name, c)) => (name, Some(c)),
            Err(e) => {
                tracing::warn!("QuickBooks company settings not read (read again from Settings): {}", e.plain());
                (String::new(), None)
            }
        };
        let stored = Stored {
            realm_id,
            environment,
            company_name,
            connected_at: clock::now(),
            access_token: String::new(),
            access_expires_at: String::new(),
            refresh_token: String::new(),
            refresh_expires_at: String::new(),
        }
        .with_tokens(&tokens);
        let mut tx = self.store.begin_write().await?;
        self.save(&mut tx, &stored).await?;
        tx.commit().await?;
        self.save_company(company.as_ref()).await?;
        tracing::info!(by = admin.id, realm = %stored.realm_id, environment = environment.as_str(), "QuickBooks connected");
        self.status().await
    }

    /// Revokes the grant at Intuit and forgets the tokens. A revoke that
    /// fails is logged; the tokens are forgotten either way.
    pub async fn disconnect(&self) -> Result<QboStatus> {
        if let Some(s) = self.load().await? {
            if let Err(e) = self.client.revoke(s.environment, &s.refresh_token).await {
                tracing::warn!("QuickBooks revoke failed, forgetting the tokens anyway: {}", e.plain());
            }
            self.store.remove_integration(QBO).await?;
            self.save_company(None).await?;
            tracing::info!(realm = %s.realm_id, "QuickBooks disconnected");
        }
        self.status().await
    }
}
