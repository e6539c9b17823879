//! Pax8's subscription writes and what decides them: a seat change (`PUT`
//! with only `{quantity}`), a cancellation (`DELETE ?cancelDate=`), a
//! subscription's history, and its product's commitment rules. Neither
//! write takes a key: whoever calls them records the intent first and reads
//! the subscription back after an unclear outcome.

use super::distributor::*;
use super::pax8::{segment, Pax8};
use super::pax8_wire as wire;
use serde_json::json;

impl Pax8 {
    /// `PUT /subscriptions/{id}` `{quantity}`: nothing else, since price,
    /// partnerCost and currencyCode are writable there.
    pub(super) async fn put_quantity(&self, id: &str, quantity: i64) -> Result<SubscriptionState, DistError> {
        let body = json!({ "quantity": quantity });
        let v = self
            .call(reqwest::Method::PUT, &format!("/subscriptions/{}", segment(id)), &[], Some(&body), None)
            .await?;
        wire::subscription(&v).ok_or_else(|| DistError::Unknown("Pax8 answered the change without the subscription".into()))
    }

    /// `DELETE /subscriptions/{id}`, with `cancelDate` when given.
    pub(super) async fn delete_subscription(&self, id: &str, cancel_date: Option<&str>) -> Result<(), DistError> {
        let query: Vec<(&str, String)> = cancel_date.map(|d| ("cancelDate", d.to_string())).into_iter().collect();
        self.call(reqwest::Method::DELETE, &format!("/subscriptions/{}", segment(id)), &query, None, None)
            .await?;
        Ok(())
    }

    /// `GET /subscriptions/{id}/history`: `{content: [Subscription]}`, not paged.
    pub(super) async fn history_of(&self, id: &str) -> Result<Vec<SubscriptionState>, DistError> {
        let v = self.get(&format!("/subscriptions/{}/history", segment(id)), &[]).await?;
        Ok(v.get("content")
            .and_then(|c| c.as_array())
            .map(|a| a.iter().filter_map(wire::subscription).collect())
            .unwrap_or_default())
    }

    /// `GET /products/{id}/dependencies`: each commitment's rules.
    pub(super) async fn rules_of(&self, product_id: &str) -> Result<Vec<CommitmentRules>, DistError> {
        let v = self.get(&format!("/products/{}/dependencies", segment(product_id)), &[]).await?;
        Ok(wire::commitment_rules(&v))
    }
}
