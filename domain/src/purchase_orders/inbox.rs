//! The approval inbox: the POs waiting for the signed-in approver, oldest
//! first, as the policy decides (not their own unless the settings allow
//! it, not a second approval of their own first).

use serde::{Deserialize, Serialize};

/// How long something has waited, in words ("12 min", "3 h", "2 days").
pub fn waited(minutes: i64) -> String {
    match minutes {
        m if m < 1 => "just now".into(),
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h", m / 60),
        m => format!("{} days", m / (24 * 60)),
    }
}

/// A PO waiting for an approver's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxItem {
    pub id: i64,
    pub number: String,
    pub company: String,
    pub vendor: String,
    pub total_cents: i64,
    pub currency: String,
    /// When it was (last) sent for approval.
    pub waiting_since: String,
    /// Minutes since then, when the list was read.
    pub waiting_minutes: i64,
    pub raised_by: String,
    pub approvals_required: i64,
    /// Approvals given so far (1 of 2 waits for the second).
    pub approvals_given: i64,
}

#[cfg(feature = "server")]
mod store {
    use super::super::policy::{self, Rules};
    use super::super::rules::{Action, PoFacts};
    use super::super::{EventKind, PoStatus};
    use super::InboxItem;
    use crate::users::{Permission, User};
    use crate::{Result, Store};
    use sqlx::Row;

    impl Store {
        /// The POs `user` may approve now, oldest first (empty for those
        /// without the approve permission).
        pub async fn approval_inbox(&self, user: &User) -> Result<Vec<InboxItem>> {
            if !user.can(Permission::Approve) {
                return Ok(Vec::new());
            }
            let rules = Rules::from(&self.settings().await?);
            let rows = sqlx::query(&format!(
                "SELECT p.id, p.number, p.total_cents, p.currency, p.created_by, p.approvals_required, p.first_approved_by, p.created_at,
                        c.name AS company, v.name AS vendor, u.name AS raised_by,
                        (SELECT MAX(e.at) FROM po_events e WHERE e.po_id = p.id AND e.kind IN ({waits})) AS waiting_since
                 FROM purchase_orders p
                 JOIN companies c ON c.id = p.company_id
                 JOIN vendors v ON v.id = p.vendor_id
                 LEFT JOIN users u ON u.id = p.created_by
                 WHERE p.status = $1
                 ORDER BY p.id",
                waits = EventKind::sql_list(|k| matches!(k, EventKind::Submitted | EventKind::RevisionRequested)),
            ))
            .bind(PoStatus::PendingApproval.as_str())
            .fetch_all(self.pool())
            .await?;
            let mut out = Vec::new();
            for r in rows {
                let first: Option<i64> = r.try_get("first_approved_by")?;
                let facts = PoFacts {
                    status: PoStatus::PendingApproval,
                    created_by: r.try_get("created_by")?,
                    approvals_required: r.try_get("approvals_required")?,
                    first_approver: first,
                    ..Default::default()
                };
                if !policy::may(user, &facts, rules, Action::Approve) {
                    continue;
                }
                let created: String = r.try_get("created_at")?;
                let since = r.try_get::<Option<String>, _>("waiting_since")?.unwrap_or(created);
                let minutes = crate::clock::parse(&since).map(|t| (chrono::Utc::now() - t).num_minutes().max(0)).unwrap_or(0);
                out.push(InboxItem {
                    id: r.try_get("id")?,
                    number: r.try_get("number")?,
                    company: r.try_get("company")?,
                    vendor: r.try_get("vendor")?,
                    total_cents: r.try_get("total_cents")?,
                    currency: r.try_get("currency")?,
                    waiting_since: since,
                    waiting_minutes: minutes,
                    raised_by: r.try_get::<Option<String>, _>("raised_by")?.unwrap_or_default(),
                    approvals_required: facts.approvals_required,
                    approvals_given: i64::from(first.is_some()),
                });
            }
            out.sort_by(|a, b| a.waiting_since.cmp(&b.waiting_since).then(a.id.cmp(&b.id)));
            Ok(out)
        }
    }
}
