//! What a notification says: the mail (subject, plain text, HTML) and the
//! webhook bodies (generic JSON, Slack, Teams). Pure.

use super::{Audience, Event};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A notification as the outbox stored it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub event: Event,
    pub at: String,
    pub actor_name: String,
    pub message: String,
    pub about: About,
}

/// What a notification is about.
#[derive(Debug, Clone)]
pub enum About {
    Po(PoSummary),
    Subscription(SubscriptionSummary),
}

/// The PO as it was when the event happened.
#[derive(Debug, Clone, Deserialize)]
pub struct PoSummary {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub total_cents: i64,
    pub currency: String,
    pub company: Option<String>,
    pub vendor: Option<String>,
    pub created_by: Option<String>,
}

/// A subscription as it was when its notice was written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubscriptionSummary {
    pub id: i64,
    pub company_id: i64,
    pub company: String,
    pub vendor: String,
    pub product: String,
    pub quantity: i64,
    /// The commitment end (RFC 3339).
    pub commitment_end: String,
    /// Whole days from the notice to the commitment end.
    pub days_left: i64,
}

impl SubscriptionSummary {
    fn ends(&self) -> &str {
        self.commitment_end.get(..10).unwrap_or(&self.commitment_end)
    }

    fn in_days(&self) -> String {
        match self.days_left {
            0 => "today".into(),
            1 => "in 1 day".into(),
            d => format!("in {d} days"),
        }
    }
}

impl Stored {
    /// Where to act: `NEXOS_PUBLIC_URL/purchase-orders/<id>` (where the
    /// approver signs), or the subscription on its company's page.
    pub fn url(&self, public_url: &str) -> String {
        let base = public_url.trim_end_matches('/');
        match &self.about {
            About::Po(po) => format!("{base}/purchase-orders/{}", po.id),
            About::Subscription(s) => format!("{base}/companies/{}#subscription-{}", s.company_id, s.id),
        }
    }

    fn amount(po: &PoSummary) -> String {
        let n = crate::money::format_cents(po.total_cents);
        if po.currency == "USD" {
            format!("${n}")
        } else {
            format!("{n} {}", po.currency)
        }
    }

    fn company(po: &PoSummary) -> &str {
        po.company.as_deref().unwrap_or("no customer")
    }

    /// One line: what happened.
    pub fn headline(&self) -> String {
        let po = match &self.about {
            About::Po(po) => po,
            About::Subscription(s) => {
                return format!("{} for {}: the commitment ends {} ({})", s.product, s.company, s.in_days(), s.ends());
            }
        };
        let n = &po.number;
        match self.event {
            Event::PoSubmitted => format!("{n} is waiting for your approval"),
            Event::PoApproved => format!("{n} was approved by {}", self.actor_name),
            Event::PoRejected => format!("{n} was rejected by {}", self.actor_name),
            Event::PoCancelled => format!("{n} was cancelled by {}", self.actor_name),
            Event::DispatchFailed => format!("{n}: the order to Pax8 needs attention"),
            Event::DispatchProvisioned => format!("{n}: the subscriptions are active at Pax8"),
            Event::QboPushFailed => format!("{n}: the push to QuickBooks failed"),
            Event::SubscriptionRenewing => format!("{n}: a commitment ends soon"),
        }
    }

    /// The subject names the PO number, the customer and the total; a
    /// renewal notice, when, what and for whom.
    pub fn subject(&self) -> String {
        let po = match &self.about {
            About::Po(po) => po,
            About::Subscription(s) => {
                return format!("Commitment ends {}: {}, {}, {} seats", s.in_days(), s.product, s.company, s.quantity);
            }
        };
        let what = match self.event {
            Event::PoSubmitted => "needs your approval",
            Event::PoApproved => "approved",
            Event::PoRejected => "rejected",
            Event::PoCancelled => "cancelled",
            Event::DispatchFailed => "dispatch needs attention",
            Event::DispatchProvisioned => "provisioned",
            Event::QboPushFailed => "QuickBooks push failed",
            Event::SubscriptionRenewing => "commitment ends soon",
        };
        format!("{} {what}: {}, {}", po.number, Self::company(po), Self::amount(po))
    }

    fn facts(&self) -> Vec<(&'static str, String)> {
        match &self.about {
            About::Po(po) => vec![
                ("Customer", Self::company(po).to_string()),
                ("Vendor", po.vendor.clone().unwrap_or_else(|| "—".into())),
                ("Total", Self::amount(po)),
                ("Raised by", po.created_by.clone().unwrap_or_else(|| "—".into())),
            ],
            About::Subscription(s) => vec![
                ("Customer", s.company.clone()),
                ("Product", s.product.clone()),
                ("Vendor", s.vendor.clone()),
                ("Seats", s.quantity.to_string()),
                ("Commitment ends", s.ends().to_string()),
            ],
        }
    }

    fn action(&self) -> &'static str {
        match self.event {
            Event::SubscriptionRenewing => "Change or cancel it",
            Event::PoSubmitted => "Review and sign",
            Event::DispatchFailed => "Fix it on the PO",
            Event::QboPushFailed => "Push it again from the PO",
            _ => "Open the PO",
        }
    }

    fn why_you(&self) -> &'static str {
        match self.event.audience() {
            Audience::Approvers => "you approve purchase orders",
            Audience::Creator => "you raised this purchase order",
            Audience::Buyers => "you look after purchasing",
            Audience::ApproversAndBuyers => "you approve or look after purchasing",
        }
    }

    /// The mail's plain-text part.
    pub fn text(&self, public_url: &str) -> String {
        let mut out = format!("{}\n\n", self.headline());
        for (k, v) in self.facts() {
            out.push_str(&format!("{k}: {v}\n"));
        }
        if !self.message.is_empty() {
            out.push_str(&format!("\n{}\n", self.message));
        }
        out.push_str(&format!("\n{}: {}\n", self.action(), self.url(public_url)));
        out.push_str(&format!(
            "\n--\nNEXOS Purchasing. You get this because {}; you can turn these emails off in Settings, Your account.\n",
            self.why_you()
        ));
        out
    }

    /// The mail's HTML part.
    pub fn html(&self, public_url: &str) -> String {
        let rows: String = self
            .facts()
            .into_iter()
            .map(|(k, v)| format!("<tr><th align=\"left\" style=\"padding:2px 12px 2px 0\">{k}</th><td>{}</td></tr>", esc(&v)))
            .collect();
        let message = if self.message.is_empty() {
            String::new()
        } else {
            format!("<p>{}</p>", esc(&self.message))
        };
        format!(
            "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;color:#1b1f24\">\
             <h1 style=\"font-size:18px\">{}</h1><table>{rows}</table>{message}\
             <p><a href=\"{url}\" style=\"display:inline-block;padding:10px 16px;background:#1f5fbf;color:#fff;border-radius:6px;text-decoration:none\">{}</a></p>\
             <p style=\"color:#57606a;font-size:12px\">NEXOS Purchasing. You get this because {}; you can turn these emails off in Settings, Your account.</p>\
             </body></html>",
            esc(&self.headline()),
            self.action(),
            self.why_you(),
            url = esc(&self.url(public_url)),
        )
    }

    /// Our own JSON: `{id, event, at, po: {id, number, status, total_cents,
    /// currency, company, vendor, url}}`, or for a renewal notice
    /// `subscription: {id, company_id, company, vendor, product, quantity,
    /// commitment_end, days_left, url}` in place of `po`.
    pub fn generic(&self, public_url: &str) -> Value {
        let url = self.url(public_url);
        match &self.about {
            About::Po(po) => json!({
                "id": self.key,
                "event": self.event.as_str(),
                "at": self.at,
                "po": {
                    "id": po.id,
                    "number": po.number,
                    "status": po.status,
                    "total_cents": po.total_cents,
                    "currency": po.currency,
                    "company": po.company,
                    "vendor": po.vendor,
                    "url": url,
                }
            }),
            About::Subscription(s) => json!({
                "id": self.key,
                "event": self.event.as_str(),
                "at": self.at,
                "subscription": {
                    "id": s.id,
                    "company_id": s.company_id,
                    "company": s.company,
                    "vendor": s.vendor,
                    "product": s.product,
                    "quantity": s.quantity,
                    "commitment_end": s.commitment_end,
                    "days_left": s.days_left,
                    "url": url,
                }
            }),
        }
    }

    /// A Slack incoming webhook's message: `text` (required; the
    /// notification's fallback) and a `section` block in mrkdwn, where `&`,
    /// `<` and `>` are escaped and a link is `<url|text>` (Slack, "Sending
    /// messages using incoming webhooks", "Formatting text for app surfaces").
    pub fn slack(&self, public_url: &str) -> Value {
        let url = self.url(public_url);
        let facts: Vec<String> = self.facts().into_iter().map(|(k, v)| format!("*{k}:* {}", slack_esc(&v))).collect();
        let mut text = format!("*<{}|{}>*\n{}", url, slack_esc(&self.headline()), facts.join("\n"));
        if !self.message.is_empty() {
            text.push_str(&format!("\n>{}", slack_esc(&self.message)));
        }
        json!({
            "text": format!("{} ({})", slack_esc(&self.headline()), url),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
        })
    }

    /// A Teams workflow's "post to a channel when a webhook request is
    /// received": a message with one Adaptive Card attachment
    /// (`contentType: application/vnd.microsoft.card.adaptive`, card 1.4).
    pub fn teams(&self, public_url: &str) -> Value {
        let facts: Vec<Value> = self.facts().into_iter().map(|(k, v)| json!({"title": k, "value": v})).collect();
        let mut body = vec![
            json!({"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": true, "text": self.headline()}),
            json!({"type": "FactSet", "facts": facts}),
        ];
        if !self.message.is_empty() {
            body.push(json!({"type": "TextBlock", "wrap": true, "text": self.message}));
        }
        json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                    "actions": [{"type": "Action.OpenUrl", "title": self.action(), "url": self.url(public_url)}]
                }
            }]
        })
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn slack_esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(event: Event) -> Stored {
        Stored {
            key: "dlv_1".into(),
            event,
            at: "2026-12-01T10:00:00Z".into(),
            actor_name: "Ann Approver".into(),
            message: "Rejected: <script>not this</script> & that".into(),
            about: About::Po(PoSummary {
                id: 7,
                number: "PO-2026-0007".into(),
                status: "rejected".into(),
                total_cents: 123456,
                currency: "USD".into(),
                company: Some("Acme Dental".into()),
                vendor: Some("Pax8".into()),
                created_by: Some("Tess Tech".into()),
            }),
        }
    }

    #[test]
    fn the_mail_names_the_po_customer_and_total_and_links_to_it() {
        let s = stored(Event::PoSubmitted);
        assert_eq!(s.subject(), "PO-2026-0007 needs your approval: Acme Dental, $1,234.56");
        assert!(s.text("https://po.example/").contains("Review and sign: https://po.example/purchase-orders/7"));
        let html = s.html("https://po.example");
        assert!(html.contains("href=\"https://po.example/purchase-orders/7\""));
        assert!(html.contains("&lt;script&gt;") && !html.contains("<script>"), "the reason is escaped");
    }

    #[test]
    fn webhook_bodies_follow_their_formats() {
        let s = stored(Event::PoRejected);
        let g = s.generic("https://po.example");
        assert_eq!(g["event"], "po.rejected");
        assert_eq!(g["id"], "dlv_1");
        assert_eq!(g["po"]["url"], "https://po.example/purchase-orders/7");
        assert_eq!(g["po"]["total_cents"], 123456);
        let slack = s.slack("https://po.example");
        let text = slack["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(text.starts_with("*<https://po.example/purchase-orders/7|PO-2026-0007 was rejected"));
        assert!(text.contains("&lt;script&gt;") && text.contains("&amp; that"));
        let teams = s.teams("https://po.example");
        assert_eq!(teams["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(teams["attachments"][0]["content"]["type"], "AdaptiveCard");
    }

    #[test]
    fn a_renewal_notice_names_the_subscription_and_links_to_it() {
        let s = Stored {
            key: "dlv_2".into(),
            event: Event::SubscriptionRenewing,
            at: "2026-12-01T10:00:00Z".into(),
            actor_name: "NEXOS".into(),
            message: "Change its seats or cancel it before then.".into(),
            about: About::Subscription(SubscriptionSummary {
                id: 3,
                company_id: 2,
                company: "Acme <Dental>".into(),
                vendor: "Pax8".into(),
                product: "M365 Business Premium".into(),
                quantity: 25,
                commitment_end: "2026-12-31T00:00:00Z".into(),
                days_left: 30,
            }),
        };
        assert_eq!(s.subject(), "Commitment ends in 30 days: M365 Business Premium, Acme <Dental>, 25 seats");
        let text = s.text("https://po.example/");
        assert!(text.contains("Commitment ends: 2026-12-31"), "{text}");
        assert!(text.contains("Change or cancel it: https://po.example/companies/2#subscription-3"), "{text}");
        assert!(text.contains("you approve or look after purchasing"), "{text}");
        assert!(s.html("https://po.example").contains("Acme &lt;Dental&gt;"), "escaped");
        let g = s.generic("https://po.example");
        assert!(g.get("po").is_none());
        assert_eq!(g["subscription"]["days_left"], 30);
        let slack = s.slack("https://po.example");
        assert!(slack["blocks"][0]["text"]["text"].as_str().unwrap().starts_with(
            "*<https://po.example/companies/2#subscription-3|M365 Business Premium for Acme &lt;Dental&gt;: the commitment ends in 30 days (2026-12-31)"
        ));
        let teams = s.teams("https://po.example");
        assert_eq!(teams["attachments"][0]["content"]["actions"][0]["title"], "Change or cancel it");
    }
}
