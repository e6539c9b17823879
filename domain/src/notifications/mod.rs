//! Notifications: who hears of what happens to a PO, by email and by
//! webhook (generic JSON, Slack, Teams), through a transactional outbox.
//!
//! - The models and the webhook rules here are pure and shared with the
//!   browser.
//! - Behind `server`: [`outbox`] writes an event's deliveries in the
//!   transaction of the change that causes it; [`deliver`] is the worker
//!   that sends them (leases, retries with back-off); [`mail`] and
//!   [`webhook`] render and send; [`store`] is what the admin pages read.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};

#[cfg(feature = "server")]
pub mod deliver;
#[cfg(feature = "server")]
pub mod mail;
#[cfg(feature = "server")]
pub mod outbox;
#[cfg(feature = "server")]
mod render;
#[cfg(all(test, feature = "server"))]
mod renewal_notice_tests;
#[cfg(feature = "server")]
pub mod renewal_notices;
#[cfg(feature = "server")]
pub use render::SubscriptionSummary;
#[cfg(feature = "server")]
mod rows;
#[cfg(feature = "server")]
mod store;
#[cfg(all(test, feature = "server"))]
mod store_tests;
#[cfg(feature = "server")]
pub mod webhook;

/// What is worth telling someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    #[serde(rename = "po.submitted")]
    PoSubmitted,
    #[serde(rename = "po.approved")]
    PoApproved,
    #[serde(rename = "po.rejected")]
    PoRejected,
    #[serde(rename = "po.cancelled")]
    PoCancelled,
    #[serde(rename = "dispatch.failed")]
    DispatchFailed,
    #[serde(rename = "dispatch.provisioned")]
    DispatchProvisioned,
    #[serde(rename = "qbo.push_failed")]
    QboPushFailed,
    /// A subscription's commitment ends soon (30 and 7 days before).
    #[serde(rename = "subscription.renewing")]
    SubscriptionRenewing,
}

crate::named_enum!(Event {
    PoSubmitted = "po.submitted", "Waiting for approval";
    PoApproved = "po.approved", "Approved";
    PoRejected = "po.rejected", "Rejected";
    PoCancelled = "po.cancelled", "Cancelled";
    DispatchFailed = "dispatch.failed", "Dispatch needs attention";
    DispatchProvisioned = "dispatch.provisioned", "Provisioned at Pax8";
    QboPushFailed = "qbo.push_failed", "QuickBooks push failed";
    SubscriptionRenewing = "subscription.renewing", "Commitment ends soon";
});

/// How a webhook's receiver wants its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKind {
    /// Our JSON, signed with the webhook's secret.
    Generic,
    /// A Slack incoming webhook.
    Slack,
    /// A Teams workflow ("when a Teams webhook request is received").
    Teams,
}

crate::named_enum!(WebhookKind {
    Generic = "generic", "JSON (signed)";
    Slack = "slack", "Slack";
    Teams = "teams", "Microsoft Teams";
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Webhook,
}

crate::named_enum!(Channel {
    Email = "email";
    Webhook = "webhook";
});

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    Delivered,
    /// Given up: refused for good, or still failing after 24 hours.
    Failed,
    /// Never tried: email is not set up on this server.
    NotSent,
}

crate::named_enum!(DeliveryStatus {
    Pending = "pending", "Pending";
    Delivered = "delivered", "Delivered";
    Failed = "failed", "Failed";
    NotSent = "not_sent", "Not sent";
});

/// A webhook as the API shows it: never its URL's secret parts nor its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: i64,
    pub kind: WebhookKind,
    /// Scheme and host, the path hidden (`https://hooks.slack.com/…`).
    pub url: String,
    /// The events it receives; empty: all of them.
    pub events: Vec<Event>,
    pub signed: bool,
    pub created_at: String,
    /// Its latest deliveries, newest first.
    #[serde(default)]
    pub recent: Vec<Delivery>,
}

/// One notification to one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    /// The stable id: `X-Nexos-Delivery`, and the mail's Message-ID.
    pub key: String,
    pub event: Event,
    pub channel: Channel,
    /// The email address, or the webhook's shown URL.
    pub recipient: String,
    pub webhook_id: Option<i64>,
    /// The PO it is about, or (a renewal notice) the subscription.
    pub po_id: Option<i64>,
    pub po_number: Option<String>,
    pub subscription_id: Option<i64>,
    /// The subscription's company, for the link to it.
    pub company_id: Option<i64>,
    /// What it is about in a few words: the PO number, or the product and
    /// company of a subscription.
    pub about: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// The receiver's HTTP status or the SMTP reply code of the last attempt.
    pub last_code: Option<i64>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

/// How this server sends mail, for Settings → Notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailStatus {
    /// `smtp`, `sandbox` (the demo's local mailbox) or `off`.
    pub mode: String,
    /// The server without its password (`smtp://mail.example.com:587, STARTTLS`).
    pub server: Option<String>,
    pub from: Option<String>,
}

/// Settings → Notifications in one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsView {
    pub mail: MailStatus,
    pub webhooks: Vec<Webhook>,
    /// Deliveries that failed or were not sent, newest first.
    pub failed: Vec<Delivery>,
    /// Encryption is needed to keep a webhook's URL and secret.
    pub webhooks_available: bool,
}

/// A message in the demo's sandbox mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxMail {
    pub id: i64,
    pub at: String,
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// What creates a webhook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookInput {
    pub url: String,
    pub kind: String,
    pub events: Option<Vec<String>>,
    pub secret: Option<String>,
}

/// A webhook input checked: each refusal names its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedWebhook {
    pub url: String,
    pub shown: String,
    pub kind: WebhookKind,
    pub events: Vec<Event>,
    pub secret: Option<String>,
}

/// Checks a webhook: `https`, or `http` to a loopback address only; a known
/// kind and known events; a secret of 16 to 256 characters when given.
pub fn check_webhook(input: &WebhookInput) -> Result<CheckedWebhook> {
    let url = input.url.trim();
    if url.contains('\\') {
        return Err(Error::validation("url", "The URL is not valid (a backslash)."));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| Error::validation("url", "Enter the receiver's full URL, starting with https://."))?;
    if authority(rest).contains('@') {
        return Err(Error::validation(
            "url",
            "Leave user names and passwords out of the URL; use the signing secret.",
        ));
    }
    let host = host_of(rest).ok_or_else(|| Error::validation("url", "The URL has no host."))?;
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(Error::validation(
                "url",
                "Webhooks are sent over https only (plain http is allowed to this machine's own addresses, for development).",
            ))
        }
        _ => return Err(Error::validation("url", "A webhook URL starts with https://.")),
    }
    if url.len() > 2000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::validation(
            "url",
            "The URL is not valid (spaces, control characters, or over 2,000 characters).",
        ));
    }
    let kind = WebhookKind::parse(input.kind.trim()).ok_or_else(|| Error::validation("kind", "The kind is generic, slack or teams."))?;
    let mut events = Vec::new();
    for (i, e) in input.events.iter().flatten().enumerate() {
        let ev = Event::parse(e.trim()).ok_or_else(|| {
            Error::validation(
                format!("events[{i}]"),
                format!(
                    "Unknown event {e:?}; the events are {}.",
                    Event::ALL.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        if !events.contains(&ev) {
            events.push(ev);
        }
    }
    let secret = input.secret.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(s) = &secret {
        if s.chars().count() < 16 || s.chars().count() > 256 {
            return Err(Error::validation("secret", "A signing secret is 16 to 256 characters."));
        }
    }
    Ok(CheckedWebhook {
        url: url.to_string(),
        shown: format!(
            "{}://{}{}",
            scheme.to_ascii_lowercase(),
            host_and_port(rest),
            if has_path(rest) { "/…" } else { "" }
        ),
        kind,
        events,
        secret,
    })
}

/// The part after `scheme://` up to the path.
fn authority(rest: &str) -> &str {
    &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())]
}

/// `host:port` of the part after `scheme://` (user info is refused before).
fn host_and_port(rest: &str) -> &str {
    authority(rest)
}

fn has_path(rest: &str) -> bool {
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    !rest[end..].trim_start_matches('/').is_empty()
}

/// The host, lowercased, without port or brackets.
fn host_of(rest: &str) -> Option<String> {
    let hp = host_and_port(rest);
    let host = if let Some(v6) = hp.strip_prefix('[') {
        v6.split(']').next()?.to_string()
    } else {
        hp.split(':').next()?.to_string()
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Who hears of an event by email (the person who acted never does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Active approvers and admins, except the creator and a first approver.
    Approvers,
    /// The PO's creator.
    Creator,
    /// Purchasers and admins.
    Buyers,
    /// Approvers, purchasers and admins: what both must act on in time.
    ApproversAndBuyers,
}

impl Event {
    pub fn audience(self) -> Audience {
        match self {
            Event::PoSubmitted => Audience::Approvers,
            Event::PoApproved | Event::PoRejected | Event::PoCancelled | Event::DispatchProvisioned => Audience::Creator,
            Event::DispatchFailed | Event::QboPushFailed => Audience::Buyers,
            Event::SubscriptionRenewing => Audience::ApproversAndBuyers,
        }
    }
}

/// The back-off before attempt `n + 1` after `n` failed ones: one minute
/// (or `base_seconds`), doubling, at most an hour.
pub fn backoff_seconds(failed_attempts: i64, base_seconds: i64) -> i64 {
    let n = failed_attempts.clamp(1, 20) - 1;
    base_seconds.saturating_mul(1i64 << n).min(3600)
}

/// Whether `host` (as an HTTP client reads a URL's host) is this machine.
pub fn host_is_loopback(host: &str) -> bool {
    is_loopback(host.trim_start_matches('[').trim_end_matches(']'))
}

/// Whether a receiver's HTTP status means: stop trying. 2xx is success;
/// 4xx other than 408 and 429 stops; anything else is tried again.
pub fn http_status_is_final_refusal(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str, kind: &str) -> WebhookInput {
        WebhookInput {
            url: url.into(),
            kind: kind.into(),
            ..Default::default()
        }
    }

    #[test]
    fn webhook_urls_are_https_or_loopback_http() {
        let ok = check_webhook(&input("https://hooks.slack.com/services/T1/B2/xyz", "slack")).unwrap();
        assert_eq!(ok.shown, "https://hooks.slack.com/…", "the path (a credential) is hidden");
        assert_eq!(ok.kind, WebhookKind::Slack);
        assert!(check_webhook(&input("http://127.0.0.1:9000/hook", "generic")).is_ok());
        assert!(check_webhook(&input("http://[::1]:9000/hook", "generic")).is_ok());
        assert!(check_webhook(&input("http://localhost/hook", "generic")).is_ok());
        for bad in [
            "http://example.com/hook",
            "ftp://example.com/x",
            "example.com/hook",
            "https://",
            "javascript://alert(1)",
        ] {
            let e = check_webhook(&input(bad, "generic")).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("url"), "{bad}");
        }
        // Neither user info nor a backslash can make a remote host look local.
        for tricky in [
            "http://127.0.0.1@evil.example/x",
            "http://evil.example\\@127.0.0.1/x",
            "https://u:p@hooks.example/x",
        ] {
            assert_eq!(check_webhook(&input(tricky, "generic")).unwrap_err().field.as_deref(), Some("url"), "{tricky}");
        }
        assert_eq!(check_webhook(&input("https://a.example", "email")).unwrap_err().field.as_deref(), Some("kind"));
    }

    #[test]
    fn events_are_known_and_secrets_long_enough() {
        let mut i = input("https://a.example/h", "generic");
        i.events = Some(vec!["po.approved".into(), "po.exploded".into()]);
        assert_eq!(check_webhook(&i).unwrap_err().field.as_deref(), Some("events[1]"));
        i.events = Some(vec!["po.approved".into(), "po.approved".into()]);
        assert_eq!(check_webhook(&i).unwrap().events, vec![Event::PoApproved]);
        i.secret = Some("short".into());
        assert_eq!(check_webhook(&i).unwrap_err().field.as_deref(), Some("secret"));
    }

    #[test]
    fn retries_back_off_from_a_minute_to_an_hour() {
        assert_eq!(backoff_seconds(1, 60), 60);
        assert_eq!(backoff_seconds(2, 60), 120);
        assert_eq!(backoff_seconds(6, 60), 1920);
        assert_eq!(backoff_seconds(7, 60), 3600);
        assert_eq!(backoff_seconds(40, 60), 3600);
        assert!(http_status_is_final_refusal(410));
        assert!(http_status_is_final_refusal(400));
        assert!(!http_status_is_final_refusal(429));
        assert!(!http_status_is_final_refusal(408));
        assert!(!http_status_is_final_refusal(500));
        assert!(!http_status_is_final_refusal(302));
    }
}
