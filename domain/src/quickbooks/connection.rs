//! The QuickBooks connection: OAuth states awaiting Intuit's callback, the
//! realm and tokens sealed with the platform key (`integrations` row 'qbo'),
//! access tokens refreshed under a lease so that the rotated refresh token is
//! saved exactly once even with several server instances, and the mapping.
//!
//! Over 400 lines on purpose: connecting is one protocol (authorize URL and
//! state, callback, token exchange, refresh, revoke, sealed storage) that reads
//! best in order.

use super::client::{QboApp, QboClient, QboError, Tokens};
use super::{Environment, QboCompany, QboEntity, QboLists, QboMapping, QboStatus, QboVendorChoices};
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
    fn with_tokens(mut self, t: &Tokens) -> Stored {
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
    fn usable(&self, refused: Option<&str>) -> Option<Access> {
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

/// The company's vendors as read: (realm, when, vendors).
type VendorCache = (String, std::time::Instant, Vec<QboEntity>);

/// How long the vendor picker trusts the vendors it read.
const VENDOR_CACHE: std::time::Duration = std::time::Duration::from_secs(60);

impl std::fmt::Debug for Qbo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Qbo").field("app", self.client.app()).finish_non_exhaustive()
    }
}

fn upstream(e: &QboError) -> Error {
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

    fn open(&self, sealed: &str) -> Result<Stored> {
        let plain = open_sealed(
            &self.key,
            QBO,
            sealed,
            "The stored QuickBooks connection cannot be decrypted with the configured key; connect QuickBooks again in Settings.",
        )?;
        serde_json::from_slice(&plain).map_err(|e| Error::internal_from("reading the stored QuickBooks connection", e))
    }

    async fn save(&self, conn: &mut crate::store::Tx, stored: &Stored) -> Result<()> {
        let plain = serde_json::to_vec(stored).map_err(|e| Error::internal_from("writing the QuickBooks connection", e))?;
        put_sealed(&mut **conn, &self.key, QBO, &plain).await
    }

    pub async fn mapping(&self) -> Result<QboMapping> {
        let s = self.store.qbo_settings().await?;
        Ok(QboMapping {
            ap_account_id: s.ap_account_id,
            expense_account_id: s.expense_account_id,
            tax_code_id: s.tax_code_id,
        })
    }

    /// Sets the A/P and expense accounts and the tax code (blank clears one).
    pub async fn save_mapping(&self, m: &QboMapping) -> Result<QboMapping> {
        let ap = crate::validate::optional_text("ap_account_id", m.ap_account_id.as_deref(), 50)?;
        let expense = crate::validate::optional_text("expense_account_id", m.expense_account_id.as_deref(), 50)?;
        let tax = crate::validate::optional_text("tax_code_id", m.tax_code_id.as_deref(), 50)?;
        self.store.set_qbo_accounts(ap, expense, tax).await?;
        self.mapping().await
    }

    /// The connected company's setup, as last read.
    pub async fn company(&self) -> Result<Option<QboCompany>> {
        let s = self.store.qbo_settings().await?;
        let Some(read_at) = s.company_read_at else {
            return Ok(None);
        };
        Ok(Some(QboCompany {
            country: s.country.unwrap_or_default(),
            home_currency: s.home_currency.unwrap_or_default(),
            multicurrency: s.multicurrency.unwrap_or(false),
            read_at,
        }))
    }

    pub(crate) async fn save_company(&self, c: Option<&QboCompany>) -> Result<()> {
        self.store
            .set_qbo_company(c.map(|c| (c.country.as_str(), c.home_currency.as_str(), c.multicurrency, c.read_at.as_str())))
            .await
    }

    /// Reads the company's `CompanyInfo` and `Preferences` with `access`.
    pub(crate) async fn read_company(&self, a: &Access) -> std::result::Result<(String, QboCompany), QboError> {
        let info = self.client.company_info(a.environment, &a.realm_id, &a.token).await?;
        let prefs = self.client.preferences(a.environment, &a.realm_id, &a.token).await?;
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().trim().to_string();
        let country = Some(text(&info["Country"]))
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| text(&info["CompanyAddr"]["Country"]));
        let company = QboCompany {
            country: country.to_uppercase(),
            home_currency: text(&prefs["CurrencyPrefs"]["HomeCurrency"]["value"]).to_uppercase(),
            multicurrency: prefs["CurrencyPrefs"]["MultiCurrencyEnabled"].as_bool().unwrap_or(false),
            read_at: clock::now(),
        };
        Ok((text(&info["CompanyName"]), company))
    }

    /// Reads the company's setup again from QuickBooks and keeps it.
    pub async fn refresh_company(&self) -> Result<QboCompany> {
        let (_, company) = self.authed(|a| async move { self.read_company(&a).await }).await?;
        self.save_company(Some(&company)).await?;
        tracing::info!(country = %company.country, currency = %company.home_currency, multicurrency = company.multicurrency, "QuickBooks company settings read");
        Ok(company)
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
            self.store
                .execute_write(sqlx::query("DELETE FROM integrations WHERE name = $1").bind(QBO))
                .await?;
            self.save_company(None).await?;
            tracing::info!(realm = %s.realm_id, "QuickBooks disconnected");
        }
        self.status().await
    }

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
        let sealed: Option<String> = sqlx::query_scalar("SELECT sealed FROM integrations WHERE name = $1")
            .bind(QBO)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| AccessError::Store(e.into()))?;
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

    /// Every row of `entity` in the company, read page by page.
    pub async fn query_all(&self, entity: &str, filter: &str) -> std::result::Result<Vec<serde_json::Value>, AccessError> {
        self.authed_raw(|a| async move { self.client.query_all(a.environment, &a.realm_id, &a.token, entity, filter).await })
            .await
    }

    async fn entities(&self, entity: &str, name: &str, kind: &str) -> Result<Vec<QboEntity>> {
        let rows = self.query_all(entity, "").await.map_err(AccessError::into_error)?;
        Ok(rows
            .iter()
            .map(|e| QboEntity {
                id: e["Id"].as_str().unwrap_or_default().to_string(),
                name: e[name].as_str().unwrap_or_default().to_string(),
                kind: e.get(kind).and_then(|k| k.as_str()).unwrap_or_default().to_string(),
            })
            .collect())
    }

    /// The company's accounts, vendors, items and tax codes, for the mapping pickers.
    pub async fn lists(&self) -> Result<QboLists> {
        let vendors = self.entities("Vendor", "DisplayName", "").await?;
        self.keep_vendors(&vendors).await;
        Ok(QboLists {
            accounts: self.entities("Account", "Name", "AccountType").await?,
            vendors,
            items: self.entities("Item", "Name", "").await?,
            tax_codes: self.entities("TaxCode", "Name", "").await?,
        })
    }

    async fn keep_vendors(&self, vendors: &[QboEntity]) {
        if let Ok(Some(s)) = self.load().await {
            *self.vendors.lock().unwrap_or_else(|e| e.into_inner()) = Some((s.realm_id, std::time::Instant::now(), vendors.to_vec()));
        }
    }

    /// QuickBooks vendors whose name has every word of `q` (at most 20), and
    /// the best match for the NEXOS vendor name `name`. The company's vendors
    /// are read (all pages) at most once a minute.
    pub async fn vendor_choices(&self, q: &str, name: &str) -> Result<QboVendorChoices> {
        let realm = self.load().await?.map(|s| s.realm_id).ok_or_else(|| AccessError::NotConnected.into_error())?;
        let cached = self
            .vendors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|(r, at, _)| *r == realm && at.elapsed() < VENDOR_CACHE)
            .map(|(_, _, v)| v.clone());
        let all = match cached {
            Some(v) => v,
            None => {
                let v = self.entities("Vendor", "DisplayName", "").await?;
                self.keep_vendors(&v).await;
                v
            }
        };
        Ok(QboVendorChoices {
            vendors: super::search_vendors(q, &all, 20),
            suggestion: super::suggest_vendor(name, &all),
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
