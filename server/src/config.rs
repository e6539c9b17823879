//! Configuration from flags and environment (a `.env` file is read too).

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;

pub const DEFAULT_PAX8_API: &str = "https://api.pax8.com/v1";
pub const DEFAULT_QBO_API: &str = "https://quickbooks.api.intuit.com";

#[derive(Parser, Debug, Clone)]
#[command(name = "server", version, about = "NEXOS purchasing and procurement server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Serve the app (the default).
    Serve,
    /// Create an admin user (or reset an existing user's password and make it admin).
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// The password; prompted for on the terminal when left out.
        #[arg(long, env = "NEXOS_NEW_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Load the demo MSP into an empty database, then exit.
    SeedDemo,
    /// Print a new random encryption key (base64 of 32 bytes) for NEXOS_ENCRYPTION_KEY.
    GenKey,
}

#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Database: `sqlite://path/to/file.db` (embedded, the default) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/nexos.db", global = true)]
    pub database_url: String,

    /// Address to listen on.
    #[arg(long = "addr", env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000", global = true)]
    pub addr: SocketAddr,

    /// Where users reach the server (OAuth redirects; `https://` makes cookies Secure). Default: `http://` + the listen address.
    #[arg(long, env = "NEXOS_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Proxies in front of the server (comma-separated addresses or CIDR
    /// ranges, e.g. `127.0.0.1,10.0.0.0/8`): only from these is
    /// `X-Forwarded-For` believed, for the sign-in throttle. Default: none.
    #[arg(long, env = "NEXOS_TRUSTED_PROXIES", value_delimiter = ',', global = true)]
    pub trusted_proxies: Vec<String>,

    /// Base64 of 32 random bytes, to encrypt distributor and QuickBooks credentials. Without it procurement is unavailable.
    #[arg(long, env = "NEXOS_ENCRYPTION_KEY", hide_env_values = true, global = true)]
    pub encryption_key: Option<String>,

    /// Create this admin at start when the database has no users.
    #[arg(long, env = "NEXOS_ADMIN_EMAIL", global = true)]
    pub admin_email: Option<String>,

    /// The password of that admin.
    #[arg(long, env = "NEXOS_ADMIN_PASSWORD", hide_env_values = true, global = true)]
    pub admin_password: Option<String>,

    /// Count the database statements and transactions of every request, and
    /// answer their totals at `GET /debug/statements`; no worker runs, so
    /// that the counts are the requests' alone (for the benchmarks and the
    /// budget test, not for production).
    #[arg(long, env = "NEXOS_COUNT_STATEMENTS", global = true)]
    pub count_statements: bool,

    /// Seed a demo MSP (companies, vendors, catalog, one user per role) into an empty database.
    #[arg(long, env = "NEXOS_DEMO", global = true)]
    pub demo: bool,

    /// Pax8 partner API base. With --demo and this left as is, a local sandbox Pax8 is used.
    #[arg(long, env = "PAX8_API_URL", default_value = DEFAULT_PAX8_API, global = true)]
    pub pax8_api_url: String,

    /// Pax8 token endpoint.
    #[arg(long, env = "PAX8_TOKEN_URL", default_value = "https://api.pax8.com/v1/token", global = true)]
    pub pax8_token_url: String,

    /// Audience of Pax8 tokens for partner endpoints (Pax8's current value; the legacy one is api://p8p.client).
    #[arg(long, env = "PAX8_AUDIENCE", default_value = domain::procurement::pax8::DEFAULT_AUDIENCE, global = true)]
    pub pax8_audience: String,

    /// QuickBooks Online API base (production companies). With --demo and no QBO_CLIENT_ID, a local sandbox is used.
    #[arg(long, env = "QBO_API_URL", default_value = DEFAULT_QBO_API, global = true)]
    pub qbo_api_url: String,

    /// QuickBooks Online API base for sandbox companies.
    #[arg(long, env = "QBO_SANDBOX_API_URL", default_value = "https://sandbox-quickbooks.api.intuit.com", global = true)]
    pub qbo_sandbox_api_url: String,

    /// Intuit OAuth authorize URL.
    #[arg(long, env = "QBO_AUTH_URL", default_value = "https://appcenter.intuit.com/connect/oauth2", global = true)]
    pub qbo_auth_url: String,

    /// Intuit OAuth token URL.
    #[arg(
        long,
        env = "QBO_TOKEN_URL",
        default_value = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
        global = true
    )]
    pub qbo_token_url: String,

    /// Intuit OAuth revoke URL.
    #[arg(
        long,
        env = "QBO_REVOKE_URL",
        default_value = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
        global = true
    )]
    pub qbo_revoke_url: String,

    /// The Intuit app's production client id (production companies; QuickBooks is off without this or the sandbox pair).
    #[arg(long, env = "QBO_CLIENT_ID", global = true)]
    pub qbo_client_id: Option<String>,

    /// The Intuit app's production client secret.
    #[arg(long, env = "QBO_CLIENT_SECRET", hide_env_values = true, global = true)]
    pub qbo_client_secret: Option<String>,

    /// The Intuit app's development (sandbox) client id, for sandbox companies.
    #[arg(long, env = "QBO_SANDBOX_CLIENT_ID", global = true)]
    pub qbo_sandbox_client_id: Option<String>,

    /// The Intuit app's development (sandbox) client secret.
    #[arg(long, env = "QBO_SANDBOX_CLIENT_SECRET", hide_env_values = true, global = true)]
    pub qbo_sandbox_client_secret: Option<String>,

    /// The built site (wasm, JS, CSS), as `cargo leptos build` writes it.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site", global = true)]
    pub site_root: String,

    /// Seconds to wait after an unclear answer from Pax8 before checking its orders.
    #[arg(long, env = "NEXOS_RECONCILE_GRACE_SECONDS", default_value_t = 20.0, global = true)]
    pub reconcile_grace_seconds: f64,

    /// Seconds between checks of subscriptions that are not active yet.
    #[arg(long, env = "NEXOS_SUBSCRIPTION_POLL_SECONDS", default_value_t = 15.0, global = true)]
    pub subscription_poll_seconds: f64,

    /// Seconds a dispatch step's lease lasts unless its worker renews it; a worker that stops renewing (killed, paused) is taken over after it.
    #[arg(long, env = "NEXOS_DISPATCH_LEASE_SECONDS", default_value_t = 60.0, global = true)]
    pub dispatch_lease_seconds: f64,

    /// Days after a commitment renews in which a change held for the renewal (fewer seats) is still sent (Microsoft's window is 7).
    #[arg(long, env = "NEXOS_RENEWAL_WINDOW_DAYS", default_value_t = 7, global = true)]
    pub renewal_window_days: i64,

    /// Seconds between renewals of a dispatch lease while its calls run (at most half the lease; default a third of it).
    #[arg(long, env = "NEXOS_DISPATCH_LEASE_RENEW_SECONDS", global = true)]
    pub dispatch_lease_renew_seconds: Option<f64>,

    /// Seconds a Pax8 request may take before it counts as unanswered.
    #[arg(long, env = "PAX8_TIMEOUT_SECONDS", default_value_t = 20.0, global = true)]
    pub pax8_timeout_seconds: f64,

    /// The longest total wait, in seconds, honoured after Pax8 answers 429 (rate limited) before a call gives up.
    #[arg(long, env = "PAX8_RATE_WAIT_SECONDS", default_value_t = 60.0, global = true)]
    pub pax8_rate_wait_seconds: f64,

    /// Mail server for notifications: `smtp://host:port`, `smtp://host:587?tls=starttls`
    /// or `smtps://user:password@host:465`. Without it email is off (and with --demo it goes to a local sandbox mailbox).
    #[arg(long, env = "NEXOS_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,

    /// Sender of notification mail, e.g. `NEXOS Purchasing <purchasing@msp.example>`.
    #[arg(long, env = "NEXOS_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,

    /// Seconds before a failed notification's first retry (at least 1; doubling, at most an hour, for 24 hours).
    #[arg(long, env = "NEXOS_NOTIFY_RETRY_SECONDS", default_value_t = 60, global = true)]
    pub notify_retry_seconds: i64,

    /// Seconds a worker may hold a notification it is sending before another instance may send it.
    #[arg(long, env = "NEXOS_NOTIFY_LEASE_SECONDS", default_value_t = 120.0, global = true)]
    pub notify_lease_seconds: f64,

    /// Database connections in the pool.
    #[arg(long, env = "NEXOS_DB_CONNECTIONS", default_value_t = 16, global = true)]
    pub db_connections: u32,
}

impl Config {
    /// The Intuit app, when a key pair (production or sandbox) is set.
    pub fn qbo_app(&self) -> Option<domain::quickbooks::client::QboApp> {
        let pair = |id: &Option<String>, secret: &Option<String>| {
            let id = id.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
            let secret = secret.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
            Some(domain::quickbooks::client::QboKeys {
                client_id: id.to_string(),
                client_secret: secret.to_string(),
            })
        };
        let production = pair(&self.qbo_client_id, &self.qbo_client_secret);
        let sandbox = pair(&self.qbo_sandbox_client_id, &self.qbo_sandbox_client_secret);
        if production.is_none() && sandbox.is_none() {
            return None;
        }
        Some(domain::quickbooks::client::QboApp {
            api_url: self.qbo_api_url.clone(),
            sandbox_api_url: self.qbo_sandbox_api_url.clone(),
            auth_url: self.qbo_auth_url.clone(),
            token_url: self.qbo_token_url.clone(),
            revoke_url: self.qbo_revoke_url.clone(),
            production,
            sandbox,
            redirect_uri: format!("{}/integrations/qbo/callback", self.public_url()),
            timeout: std::time::Duration::from_secs(30),
        })
    }

    /// The dispatch engine's timing, with this grace and poll interval.
    pub fn timing(&self, grace: f64, poll: f64) -> domain::procurement::engine::Timing {
        let ms = |s: f64| chrono::Duration::milliseconds((s * 1000.0).round() as i64);
        domain::procurement::engine::Timing {
            lease: ms(self.dispatch_lease_seconds),
            renew_every: ms(self.dispatch_lease_renew_seconds.unwrap_or(self.dispatch_lease_seconds / 3.0)),
            reconcile_grace: ms(grace),
            poll_every: ms(poll),
            retry_after: chrono::Duration::seconds(30),
            renewal_window: chrono::Duration::days(self.renewal_window_days.clamp(1, 90)),
            ..Default::default()
        }
    }

    /// Why these settings cannot work together, naming the setting to
    /// change; `None` when they add up.
    pub fn problem(&self) -> Option<String> {
        if let Some(p) = self.timing(self.reconcile_grace_seconds, self.subscription_poll_seconds).problem() {
            return Some(p);
        }
        if self.pax8_timeout_seconds.is_nan() || self.pax8_timeout_seconds < 0.1 {
            return Some("PAX8_TIMEOUT_SECONDS must be at least 0.1".into());
        }
        if self.pax8_rate_wait_seconds.is_nan() || self.pax8_rate_wait_seconds < 0.0 {
            return Some("PAX8_RATE_WAIT_SECONDS must not be negative".into());
        }
        if self.subscription_poll_seconds < 0.0 {
            return Some("NEXOS_SUBSCRIPTION_POLL_SECONDS must not be negative".into());
        }
        if self.notify_lease_seconds.is_nan() || self.notify_lease_seconds < 2.0 {
            return Some("NEXOS_NOTIFY_LEASE_SECONDS must be at least 2 (a delivery attempt ends within half of it)".into());
        }
        None
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr))
            .trim_end_matches('/')
            .to_string()
    }

    /// A config for tests: defaults, with these flags.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Config {
        Cli::parse_from(std::iter::once("server".to_string()).chain(args)).config
    }
}
