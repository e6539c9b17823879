//! What server functions get from the server: the store and settings
//! (through Leptos context), and who is calling (session cookie or token).

use crate::error::ApiError;
use domain::users::{Permission, User};
use domain::{Error, Store};
use leptos::prelude::*;

pub const SESSION_COOKIE: &str = "nexos_session";
/// Under https the cookie is `__Host-` prefixed: the browser keeps it only
/// if it is `Secure`, for this host, on `/` (a sibling subdomain cannot set
/// or shadow it).
pub const SECURE_SESSION_COOKIE: &str = "__Host-nexos_session";

/// The session cookie's name for a deployment (`secure`: over https).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Handed to every server function and page render by the server: one
/// shared [`AppStateInner`], so that the many clones a request makes (each
/// `use_context`, each handler's state) are a reference count, not a copy
/// of every URL and setting in it.
#[derive(Clone, Debug)]
pub struct AppState(std::sync::Arc<AppStateInner>);

impl From<AppStateInner> for AppState {
    fn from(inner: AppStateInner) -> Self {
        AppState(std::sync::Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// Changed only while the server is set up, before anything shares it.
impl std::ops::DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut AppStateInner {
        std::sync::Arc::make_mut(&mut self.0)
    }
}

/// What [`AppState`] holds.
#[derive(Clone, Debug)]
pub struct AppStateInner {
    pub store: Store,
    /// Cookies get `Secure` when users reach the server over https.
    pub secure_cookies: bool,
    /// The platform's encryption key; without it procurement is unavailable.
    pub encryption_key: Option<domain::crypto::EncryptionKey>,
    /// Pax8 partner API base and token endpoint.
    pub pax8_api_url: String,
    pub pax8_token_url: String,
    /// The token's audience (`PAX8_AUDIENCE`).
    pub pax8_audience: String,
    /// Per Pax8 request (`PAX8_TIMEOUT_SECONDS`).
    pub pax8_timeout: std::time::Duration,
    /// The longest wait honoured after Pax8's 429s (`PAX8_RATE_WAIT_SECONDS`).
    pub pax8_max_wait: std::time::Duration,
    /// Shown in the UI when Pax8 is the project's fake (demo mode).
    pub pax8_sandbox: bool,
    /// QuickBooks, when the server has an Intuit app and an encryption key.
    pub qbo: Option<domain::quickbooks::Qbo>,
    /// Proxies whose `X-Forwarded-For` is believed (`NEXOS_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpRange>,
    /// How notification mail goes out (SMTP, the demo's sandbox, or off).
    pub mailer: domain::notifications::mail::Mailer,
    /// Where users reach the server (`NEXOS_PUBLIC_URL`), for links in mail.
    pub public_url: String,
}

/// An address or a CIDR range (`10.0.0.0/8`, `::1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRange {
    net: std::net::IpAddr,
    bits: u8,
}

impl IpRange {
    pub fn parse(s: &str) -> Option<IpRange> {
        let (addr, bits) = match s.trim().split_once('/') {
            Some((a, b)) => (a.parse::<std::net::IpAddr>().ok()?, Some(b.parse::<u8>().ok()?)),
            None => (s.trim().parse().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(IpRange { net: addr, bits })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let (a, b, width) = match (self.net, ip) {
            (std::net::IpAddr::V4(n), std::net::IpAddr::V4(i)) => (u128::from(u32::from(n)), u128::from(u32::from(i)), 32),
            (std::net::IpAddr::V6(n), std::net::IpAddr::V6(i)) => (u128::from(n), u128::from(i), 128),
            _ => return false,
        };
        let shift = width - u32::from(self.bits);
        shift >= 128 || (a >> shift) == (b >> shift)
    }
}

/// The client's address: the TCP peer, or, when the peer is a trusted
/// proxy, the nearest address in `X-Forwarded-For` that is not one.
pub fn client_address_of(peer: std::net::IpAddr, forwarded_for: Option<&str>, trusted: &[IpRange]) -> std::net::IpAddr {
    let is_trusted = |ip: std::net::IpAddr| trusted.iter().any(|r| r.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<std::net::IpAddr> = forwarded_for.unwrap_or_default().split(',').filter_map(|h| h.trim().parse().ok()).collect();
    hops.into_iter().rev().find(|ip| !is_trusted(*ip)).unwrap_or(peer)
}

impl AppState {
    pub fn encryption_configured(&self) -> bool {
        self.encryption_key.is_some()
    }

    /// The key, or 503 `encryption_key_missing` saying how to fix it.
    pub fn key(&self) -> Result<&domain::crypto::EncryptionKey, ApiError> {
        self.encryption_key
            .as_ref()
            .ok_or_else(|| ApiError(Error::new(domain::ErrorCode::EncryptionKeyMissing, crate::messages::NO_KEY)))
    }

    /// QuickBooks, or why it is off here.
    pub fn qbo(&self) -> Result<&domain::quickbooks::Qbo, ApiError> {
        self.key()?;
        self.qbo
            .as_ref()
            .ok_or_else(|| ApiError(Error::new(domain::ErrorCode::Conflict, crate::messages::QBO_OFF)))
    }

    /// A Pax8 client with the stored credentials.
    pub async fn pax8(&self) -> Result<domain::procurement::pax8::Pax8, ApiError> {
        let creds = self.store.pax8_credentials(self.key()?).await?.ok_or_else(|| {
            ApiError(Error::validation(
                "client_id",
                "Pax8 is not connected yet: enter the client id and secret in Settings.",
            ))
        })?;
        Ok(domain::procurement::pax8::Pax8::new(domain::procurement::pax8::Pax8Config {
            api_url: self.pax8_api_url.clone(),
            token_url: self.pax8_token_url.clone(),
            audience: self.pax8_audience.clone(),
            client_id: creds.client_id,
            client_secret: creds.client_secret,
            timeout: self.pax8_timeout,
            max_wait: self.pax8_max_wait,
        }))
    }
}

pub fn state() -> Result<AppState, ApiError> {
    use_context::<AppState>().ok_or_else(|| ApiError(Error::internal()))
}

fn parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The value of the cookie `name` in this request, if any.
fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_string())
        })
}

/// A session cookie of either name, if any: what the cross-site guard
/// looks for (any cookie that could sign the request in).
pub fn session_cookie(headers: &http::HeaderMap) -> Option<String> {
    cookie(headers, SECURE_SESSION_COOKIE).or_else(|| cookie(headers, SESSION_COOKIE))
}

/// The session this deployment signs in with: under https only the
/// `__Host-` cookie (a sibling subdomain can set a plain one for the whole
/// domain, but not that), else the plain one.
pub fn session_cookie_for(headers: &http::HeaderMap, secure: bool) -> Option<String> {
    cookie(headers, session_cookie_name(secure))
}

/// The user behind a request's bearer token or session cookie.
pub async fn user_from_headers(store: &Store, headers: &http::HeaderMap, secure: bool) -> Result<Option<User>, Error> {
    if let Some(auth) = headers.get(http::header::AUTHORIZATION) {
        let token = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim).unwrap_or("");
        // A wrong token is an error even when a cookie is also present.
        return match store.user_by_token(token).await? {
            Some(u) => Ok(Some(u)),
            None => Err(Error::new(domain::ErrorCode::Unauthenticated, "The API token is not valid or was revoked.")),
        };
    }
    match session_cookie_for(headers, secure) {
        Some(c) => store.user_by_session(&c).await,
        None => Ok(None),
    }
}

/// The signed-in caller, or 401.
pub async fn signed_in() -> Result<(AppState, User), ApiError> {
    let st = state()?;
    let parts = parts().ok_or_else(|| ApiError(Error::internal()))?;
    // A page render: the sign-in gate already found the user.
    if let Some(user) = parts.extensions.get::<User>() {
        return Ok((st, user.clone()));
    }
    let user = user_from_headers(&st.store, &parts.headers, st.secure_cookies)
        .await?
        .ok_or_else(|| ApiError(Error::unauthenticated()))?;
    Ok((st, user))
}

/// The caller authenticated with a bearer token (not a session).
pub fn by_token() -> bool {
    parts().is_some_and(|p| p.headers.contains_key(http::header::AUTHORIZATION))
}

/// The signed-in caller holding `p`, or 401/403.
pub async fn authorized(p: Permission) -> Result<(AppState, User), ApiError> {
    let (st, user) = signed_in().await?;
    user.require(p)?;
    Ok((st, user))
}

/// The Content-Security-Policy of a page whose inline scripts carry
/// `nonce`: scripts only from here (and the wasm they compile), no plugins,
/// no framing, forms only to here. Styles may be inline (Leptos sets style
/// attributes); scripts may not.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets a response header (cookies on sign-in and sign-out).
pub fn set_header(name: http::HeaderName, value: &str) {
    if let (Some(opts), Ok(v)) = (use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(value)) {
        opts.append_header(name, v);
    }
}

/// The caller's address, for the login throttle (see [`client_address_of`]).
pub async fn client_address() -> String {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let Ok(ConnectInfo(addr)) = leptos_axum::extract::<ConnectInfo<SocketAddr>>().await else {
        return "unknown".to_string();
    };
    let st = state().ok();
    let trusted = st.as_ref().map(|s| s.trusted_proxies.as_slice()).unwrap_or_default();
    let forwarded = parts().and_then(|p| p.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).map(str::to_string));
    client_address_of(addr.ip(), forwarded.as_deref(), trusted).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_https_only_the_host_cookie_signs_in() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::COOKIE, "nexos_session=tossed; other=1".parse().unwrap());
        assert_eq!(session_cookie_for(&h, true), None, "a plain cookie a sibling subdomain set");
        assert_eq!(session_cookie_for(&h, false).as_deref(), Some("tossed"));
        h.insert(http::header::COOKIE, "nexos_session=tossed; __Host-nexos_session=mine".parse().unwrap());
        assert_eq!(session_cookie_for(&h, true).as_deref(), Some("mine"));
        assert_eq!(session_cookie(&h).as_deref(), Some("mine"), "the guard sees any session cookie");
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = vec![IpRange::parse("10.0.0.0/8").unwrap(), IpRange::parse("127.0.0.1").unwrap()];
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        // An untrusted peer's header is ignored: it could say anything.
        assert_eq!(client_address_of(ip("203.0.113.9"), Some("1.2.3.4"), &trusted), ip("203.0.113.9"));
        // Through the proxy: the nearest hop that is not a proxy.
        assert_eq!(
            client_address_of(ip("127.0.0.1"), Some("1.2.3.4, 198.51.100.7, 10.1.2.3"), &trusted),
            ip("198.51.100.7")
        );
        assert_eq!(client_address_of(ip("10.9.9.9"), None, &trusted), ip("10.9.9.9"));
        assert!(IpRange::parse("::1/128").unwrap().contains(ip("::1")));
        assert!(IpRange::parse("10.0.0.0/33").is_none() && IpRange::parse("nope").is_none());
    }
}
