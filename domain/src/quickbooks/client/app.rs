//! The Intuit app this server is registered as: its URLs and key pairs, and
//! the tokens Intuit's token endpoint answers.

use super::super::Environment;
use serde::Deserialize;
use std::time::Duration;

/// The Intuit app this server is registered as, and where Intuit lives.
#[derive(Clone)]
pub struct QboApp {
    /// Production API base, `https://quickbooks.api.intuit.com`.
    pub api_url: String,
    /// Sandbox API base, `https://sandbox-quickbooks.api.intuit.com`.
    pub sandbox_api_url: String,
    pub auth_url: String,
    pub token_url: String,
    pub revoke_url: String,
    /// Intuit's keys for production companies, and for sandbox companies
    /// (Intuit issues one pair for each); a company type without keys
    /// cannot be connected.
    pub production: Option<QboKeys>,
    pub sandbox: Option<QboKeys>,
    /// `{NEXOS_PUBLIC_URL}/integrations/qbo/callback`, as registered with Intuit.
    pub redirect_uri: String,
    /// Per request.
    pub timeout: Duration,
}

/// One Intuit key pair. Its `Debug` shows no secret.
#[derive(Clone)]
pub struct QboKeys {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for QboKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QboKeys").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for QboApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QboApp")
            .field("api_url", &self.api_url)
            .field("sandbox_api_url", &self.sandbox_api_url)
            .field("auth_url", &self.auth_url)
            .field("production", &self.production)
            .field("sandbox", &self.sandbox)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl QboApp {
    /// The key pair for companies of this type.
    pub fn keys(&self, env: Environment) -> Option<&QboKeys> {
        match env {
            Environment::Production => self.production.as_ref(),
            Environment::Sandbox => self.sandbox.as_ref(),
        }
    }

    /// The company types this server has keys for, production first.
    pub fn environments(&self) -> Vec<Environment> {
        [Environment::Production, Environment::Sandbox]
            .into_iter()
            .filter(|e| self.keys(*e).is_some())
            .collect()
    }
}

/// What Intuit's token endpoint answers.
#[derive(Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    #[serde(default = "hour")]
    pub expires_in: u64,
    #[serde(default)]
    pub x_refresh_token_expires_in: u64,
}

fn hour() -> u64 {
    3600
}
