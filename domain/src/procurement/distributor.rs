//! The one trait a distributor implements. Adding a distributor is one new
//! module with one implementation of it.

use super::{OrderRequest, Problem};
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An order the distributor holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    pub id: String,
    pub company_id: String,
    pub created_at: String,
    /// `(product id, quantity, subscription id)` per line, in order.
    pub lines: Vec<(String, i64, Option<String>)>,
}

/// A subscription's state at the distributor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    pub id: String,
    pub product_id: String,
    pub quantity: i64,
    /// Pax8: `Active`, `PendingAutomated`, `PendingManual`, `Cancelled`, ...
    pub status: String,
}

impl SubscriptionState {
    pub fn active(&self) -> bool {
        self.status.eq_ignore_ascii_case("active")
    }
}

/// How a call to a distributor failed, which decides what the engine does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistError {
    /// The distributor refused the request (validation): fix and retry; never retried as is.
    Rejected { problems: Vec<Problem>, status: u16 },
    /// The request may or may not have taken effect (timeout, reset, 5xx,
    /// unreadable reply): reconcile against the distributor before sending again.
    Unknown(String),
    /// Nothing was sent (connection refused, DNS): safe to try again later.
    Unreachable(String),
    /// The credentials were refused (after one token refresh).
    Unauthorized(String),
}

impl std::fmt::Display for DistError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DistError::Rejected { problems, status } => write!(f, "refused ({status}): {}", super::in_words(problems)),
            DistError::Unknown(m) => write!(f, "no clear answer: {m}"),
            DistError::Unreachable(m) => write!(f, "unreachable: {m}"),
            DistError::Unauthorized(m) => write!(f, "credentials refused: {m}"),
        }
    }
}

/// A distributor that provisions subscriptions.
pub trait Distributor: Send + Sync {
    /// A name for people ("Pax8").
    fn name(&self) -> &'static str;

    /// Fetches a token (or otherwise proves the credentials work).
    fn test_connection(&self) -> BoxFuture<'_, Result<(), DistError>>;

    /// Sends the order. Not idempotent at Pax8: the engine records intent
    /// first and reconciles unknown outcomes with [`Distributor::orders_since`].
    fn place_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<PlacedOrder, DistError>>;

    /// The company's orders created at or after `since` (RFC 3339).
    fn orders_since<'a>(&'a self, company_id: &'a str, since: &'a str) -> BoxFuture<'a, Result<Vec<PlacedOrder>, DistError>>;

    /// The current state of one subscription.
    fn subscription<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<SubscriptionState, DistError>>;
}
