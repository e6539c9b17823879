//! Web hardening around every route: cookie-carrying API calls from other
//! sites are refused before anything runs, and every answer carries the
//! security headers (CSP with the page's nonce, no framing, no sniffing,
//! HSTS under https, no caching of anything but hashed assets).

use app::context::session_cookie;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use domain::{Error, ErrorCode};

/// What the middlewares need to know of the deployment.
#[derive(Clone, Debug)]
pub struct Site {
    /// `NEXOS_PUBLIC_URL`'s origin (`https://nexos.example.com`), also
    /// accepted as a request's `Origin`.
    pub public_origin: String,
    /// Served over https (behind a TLS proxy): HSTS.
    pub https: bool,
}

/// The origin (`scheme://host[:port]`) of a URL.
pub fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or_default()),
        None => String::new(),
    }
}

/// Why a request must be refused as cross-site, if it must. A request that
/// carries the session cookie (and no bearer token), or signs in, must come
/// from this origin as JSON: its `Origin` (when sent) is this server's, its
/// `Sec-Fetch-Site` (when sent) is not `cross-site` or `same-site` (a
/// sibling subdomain such as the helpdesk is another site here), and its
/// `Content-Type` is `application/json` (a plain HTML form cannot send it).
/// A client that sends neither header (a script with a cookie jar) passes
/// with JSON.
pub fn cross_site(headers: &HeaderMap, path: &str, site: &Site) -> Option<&'static str> {
    let bearer = headers.contains_key(header::AUTHORIZATION);
    let guarded = (!bearer && session_cookie(headers).is_some()) || path == "/api/auth/login";
    if !guarded {
        return None;
    }
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = text("origin") {
        let host = text("host").unwrap_or_default();
        let own = origin.split_once("://").is_some_and(|(_, h)| h == host) || origin == site.public_origin;
        if !own {
            return Some("it comes from another origin");
        }
    }
    if matches!(text("sec-fetch-site"), Some("cross-site" | "same-site")) {
        return Some("the browser says it comes from another site");
    }
    let json = text("content-type").is_some_and(|c| c.trim().to_ascii_lowercase().starts_with("application/json"));
    if !json {
        return Some("it is not JSON");
    }
    None
}

/// An API refusal made before any function runs: `err` as the API's JSON
/// error, with the status its code stands for.
pub(crate) fn refusal(err: &Error) -> Response {
    Response::builder()
        .status(err.status())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::to_vec(err).unwrap_or_default()))
        .unwrap_or_default()
}

/// Refuses cross-site API calls (403 `cross_site`, nothing runs).
pub async fn same_site_api(site: Site, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") {
        if let Some(why) = cross_site(req.headers(), path, &site) {
            tracing::warn!(path = %path, why, "cross-site API call refused");
            let err = Error::new(
                ErrorCode::CrossSite,
                format!("Refused: {why}. The API takes JSON from this site's pages, or a bearer token."),
            );
            return refusal(&err);
        }
    }
    next.run(req).await
}

/// The largest body a route takes: the approval (a signature PNG of at
/// most 512 KB, base64 in JSON) 1 MiB; raising or editing a PO (200 lines)
/// 512 KiB; any other API call 64 KiB; anything else 16 KiB.
pub fn body_limit_for(path: &str) -> usize {
    match path {
        "/api/purchase-orders/approve" => 1 << 20,
        "/api/purchase-orders/create" | "/api/purchase-orders/update" => 512 << 10,
        p if p.starts_with("/api/") => 64 << 10,
        _ => 16 << 10,
    }
}

/// Refuses a body larger than its route takes (413 `too_large`): at once
/// when `Content-Length` says so, else as it is read.
pub async fn body_limit(req: Request, next: Next) -> Response {
    let limit = body_limit_for(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let err = Error::new(
            ErrorCode::TooLarge,
            format!("The request is larger than this takes (at most {} KB).", limit / 1024),
        );
        return refusal(&err);
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// Security headers on every answer; `no-store` on everything but the
/// hashed assets (which set their own caching): pages, API answers and
/// signature images must not stay on a shared tablet after sign-out.
pub async fn headers(site: Site, req: Request, next: Next) -> Response {
    let asset = req.uri().path().starts_with("/pkg/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        // Answers that are not pages (API, images): nothing may run or frame
        // them. (Pages set theirs with their nonce: app::context::content_security_policy.)
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
        );
    }
    if site.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if !asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            public_origin: "https://nexos.example.com".into(),
            https: true,
        }
    }

    fn h(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn cookie_calls_must_be_same_origin_json() {
        let cookie = ("cookie", "nexos_session=abc");
        let json = ("content-type", "application/json");
        let host = ("host", "127.0.0.1:3000");
        let p = "/api/companies/create";
        assert_eq!(cross_site(&h(&[cookie, json, host]), p, &site()), None, "a script with a cookie jar");
        assert_eq!(cross_site(&h(&[cookie, json, host, ("origin", "http://127.0.0.1:3000")]), p, &site()), None);
        assert_eq!(cross_site(&h(&[cookie, json, host, ("origin", "https://nexos.example.com")]), p, &site()), None);
        assert!(cross_site(&h(&[cookie, json, host, ("origin", "http://evil.example")]), p, &site()).is_some());
        assert!(cross_site(&h(&[cookie, json, host, ("origin", "null")]), p, &site()).is_some());
        assert!(cross_site(&h(&[cookie, json, host, ("sec-fetch-site", "same-site")]), p, &site()).is_some());
        assert!(cross_site(&h(&[cookie, ("content-type", "text/plain"), host]), p, &site()).is_some());
        assert!(cross_site(&h(&[cookie, ("content-type", "application/x-www-form-urlencoded"), host]), p, &site()).is_some());
        // Bearer calls and calls without a session are not a browser's.
        assert_eq!(
            cross_site(&h(&[cookie, ("authorization", "Bearer nxs_x"), ("content-type", "text/plain")]), p, &site()),
            None
        );
        assert_eq!(cross_site(&h(&[("content-type", "text/plain"), host]), p, &site()), None);
        // Signing in is guarded with or without a cookie.
        assert!(cross_site(&h(&[json, host, ("origin", "http://evil.example")]), "/api/auth/login", &site()).is_some());
        assert_eq!(origin_of("https://nexos.example.com/x/y"), "https://nexos.example.com");
    }
}
