//! Renewal notices: approvers and purchasing hear of a commitment that ends
//! soon, 30 days before its end and again 7 days before, once each. After
//! the end the vendor bills the new term in full, so a seat count nobody
//! looked at costs a year of unused seats.
//!
//! The worker asks every few minutes; each notice has a unique key (the
//! subscription, its commitment end and the threshold), so two instances
//! asking at once write it once, and a commitment that renews (a new end)
//! is told again.

use super::outbox::{record_renewal, Renewing};
use super::render::SubscriptionSummary;
use super::Event;
use crate::{Result, Store};

/// The thresholds, in days before the commitment ends.
pub const NOTICE_DAYS: [i64; 2] = [30, 7];

/// The notice due for a commitment `days_left` whole days away: the 7-day
/// one within a week, the 30-day one within a month, none past the end. A
/// subscription first seen 5 days before its end gets the 7-day notice
/// only, never a late "30 days".
pub fn notice_due(days_left: i64) -> Option<i64> {
    if days_left < 0 {
        return None;
    }
    NOTICE_DAYS.iter().copied().filter(|d| days_left <= *d).min()
}

/// The most renewing subscriptions one pass looks at.
const PASS_LIMIT: i64 = 5_000;

impl Store {
    /// Writes the renewal notices due now that were not written before;
    /// the number written.
    pub async fn send_renewal_notices(&self) -> Result<usize> {
        let now = chrono::Utc::now();
        let ending = self.commitments_ending(now, NOTICE_DAYS[0], PASS_LIMIT).await?;
        let due: Vec<_> = ending.into_iter().filter_map(|r| notice_due(r.days_left).map(|d| (r, d))).collect();
        if due.is_empty() {
            return Ok(0);
        }
        // What was written before, read in one go so that a quiet pass
        // writes nothing.
        let ids = due.iter().map(|(r, _)| r.subscription.id.to_string()).collect::<Vec<_>>().join(", ");
        let sent: std::collections::HashSet<String> = sqlx::query_scalar::<_, String>(&format!(
            "SELECT once_key FROM notifications WHERE event = $1 AND once_key IS NOT NULL AND subscription_id IN ({ids})"
        ))
        .bind(Event::SubscriptionRenewing.as_str())
        .fetch_all(self.pool())
        .await?
        .into_iter()
        .collect();
        let vendors: std::collections::HashMap<i64, String> = sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM vendors")
            .fetch_all(self.pool())
            .await?
            .into_iter()
            .collect();
        let mut written = 0;
        let mut tx = None;
        for (r, days) in due {
            let s = r.subscription;
            let Some(end) = s.commitment_end else { continue };
            let summary = SubscriptionSummary {
                id: s.id,
                company_id: s.company_id,
                company: s.company_name,
                vendor: vendors.get(&s.vendor_id).cloned().unwrap_or_else(|| "the vendor".into()),
                product: s.product_name,
                quantity: s.quantity,
                commitment_end: end,
                days_left: r.days_left,
            };
            let notice = Renewing {
                summary: &summary,
                notice_days: days,
            };
            if sent.contains(&notice.once_key()) {
                continue;
            }
            if tx.is_none() {
                tx = Some(self.begin_write().await?);
            }
            if let Some(tx) = tx.as_mut() {
                if record_renewal(tx, &notice).await?.is_some() {
                    written += 1;
                }
            }
        }
        if let Some(tx) = tx {
            tx.commit().await?;
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::notice_due;

    #[test]
    fn one_notice_a_threshold_never_a_late_one() {
        assert_eq!(notice_due(45), None);
        assert_eq!(notice_due(31), None);
        assert_eq!(notice_due(30), Some(30));
        assert_eq!(notice_due(8), Some(30));
        assert_eq!(notice_due(7), Some(7));
        assert_eq!(notice_due(5), Some(7), "first seen inside a week: the 7-day notice only");
        assert_eq!(notice_due(0), Some(7));
        assert_eq!(notice_due(-1), None, "past the end");
    }
}
