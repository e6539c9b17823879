//! Sending a webhook: the body for its kind, the headers, and the
//! signature (`X-Nexos-Signature: sha256=<hex HMAC-SHA256 of the body>`).

use super::render::Stored;
use super::WebhookKind;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// The signature header's value for `body` signed with `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Whether `header` is `body`'s signature with `secret`, compared in
/// constant time (for receivers written in Rust, and our tests).
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.strip_prefix("sha256=") else { return false };
    let Some(expected) = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The HTTP client webhooks are sent with: no redirects followed (a
/// receiver that moved answers 3xx, which is retried and shown), 15 s.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .user_agent("NEXOS-Webhooks/1")
        .build()
        .expect("the webhook client builds")
}

/// What a receiver answered.
pub enum Answer {
    Ok(u16),
    /// Refused for good (4xx other than 408 and 429).
    Refused(u16, String),
    /// Try again (the status, if any; the receiver's Retry-After, if any).
    Again(Option<u16>, Option<u64>, String),
}

/// Posts the notification to a webhook.
pub async fn send(http: &reqwest::Client, url: &str, kind: WebhookKind, secret: Option<&str>, n: &Stored, public_url: &str) -> Answer {
    let body = match kind {
        WebhookKind::Generic => n.generic(public_url),
        WebhookKind::Slack => n.slack(public_url),
        WebhookKind::Teams => n.teams(public_url),
    }
    .to_string();
    let mut req = http
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Nexos-Event", n.event.as_str())
        .header("X-Nexos-Delivery", &n.key);
    if let Some(s) = secret {
        req = req.header("X-Nexos-Signature", signature(s, body.as_bytes()));
    }
    match req.body(body).send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if res.status().is_success() {
                return Answer::Ok(status);
            }
            let text: String = res.text().await.unwrap_or_default().chars().take(200).collect();
            let what = format!(
                "HTTP {status}{}",
                if text.trim().is_empty() {
                    String::new()
                } else {
                    format!(": {}", text.trim())
                }
            );
            if super::http_status_is_final_refusal(status) {
                Answer::Refused(status, what)
            } else {
                Answer::Again(Some(status), retry_after, what)
            }
        }
        Err(e) if e.is_timeout() => Answer::Again(None, None, "no answer within 15 seconds".into()),
        Err(e) if e.is_connect() => Answer::Again(None, None, "could not connect to the receiver".into()),
        Err(_) => Answer::Again(None, None, "the request failed".into()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signatures_verify_and_tampering_fails() {
        let sig = super::signature("a secret of sixteen", b"{\"a\":1}");
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(super::verify("a secret of sixteen", b"{\"a\":1}", &sig));
        assert!(!super::verify("a secret of sixteen", b"{\"a\":2}", &sig));
        assert!(!super::verify("another secret....", b"{\"a\":1}", &sig));
        // RFC 4231 test case 2.
        assert_eq!(
            super::signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
