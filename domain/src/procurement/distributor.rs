//! The one trait a distributor implements. Adding a distributor is one new
//! module with one implementation of it.

use super::{OrderRequest, Problem};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An order the distributor holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedOrder {
    pub id: String,
    pub company_id: String,
    /// The day it was made. Pax8's `createdDate` is a plain date
    /// (`format: date`); a date-time is read as its UTC day. `None` when
    /// missing or unreadable: such an order is never dropped for its date.
    pub created_on: Option<NaiveDate>,
    pub lines: Vec<PlacedLine>,
}

/// One line of a placed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedLine {
    pub product_id: String,
    pub quantity: i64,
    /// Pax8 may answer an order before it has made the subscription.
    pub subscription_id: Option<String>,
}

/// What a company's order list at the distributor held just before a send:
/// its size and the ids it showed at both ends. An unclear outcome is then
/// settled by reading the ends again (where a new order lands whatever the
/// list's order), not every page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCensus {
    pub total: u64,
    pub seen: Vec<String>,
    /// When it was taken (RFC 3339): orders made from the day before are
    /// looked at. Kept across the attempts of one dispatch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
}

/// Where a subscription stands, from the distributor's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Provisioned (Pax8: `Active`, `Activated`, `Trial`, `Converted`).
    Provisioned,
    /// Still being provisioned (Pax8: `PendingManual`, `PendingAutomated`,
    /// `PendingActivation`; also any status Pax8 may add later).
    Pending,
    /// The distributor waits for provisioning details (`WaitingForDetails`).
    WaitingForDetails,
    /// Cancelled or being cancelled (`Cancelled`, `PendingCancel`).
    Cancelled,
}

/// A subscription's state at the distributor: what the subscriptions the
/// product knows are kept from.
pub use crate::subscriptions::Reading as SubscriptionState;

impl SubscriptionState {
    /// Pax8's `Subscription.status` enum (partner OpenAPI): `Active,
    /// Cancelled, PendingManual, PendingAutomated, PendingCancel,
    /// WaitingForDetails, Trial, Converted, PendingActivation, Activated`.
    pub fn phase(&self) -> Phase {
        match self.status.to_ascii_lowercase().as_str() {
            "active" | "activated" | "trial" | "converted" => Phase::Provisioned,
            "waitingfordetails" => Phase::WaitingForDetails,
            "cancelled" | "pendingcancel" => Phase::Cancelled,
            _ => Phase::Pending,
        }
    }
}

/// What a commitment allows while it runs (Pax8's `Commitment` in
/// `/products/{id}/dependencies`, which Pax8 calls dynamic: read each time,
/// never stored). A flag Pax8 leaves out is read as not allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentRules {
    pub commitment_id: String,
    pub term: String,
    pub allow_increase: bool,
    pub allow_decrease: bool,
    pub allow_early_cancellation: bool,
    pub cancellation_fee: bool,
    pub auto_renew: bool,
    /// Days after the term ends while it may still be changed (a renewal window).
    pub window_days_after: Option<i64>,
}

/// A company at the distributor, for the picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCompany {
    pub id: String,
    pub name: String,
    /// Pax8: `Active`, `Inactive` (missing contacts) or `Deleted`; only
    /// `Active` companies can be ordered for. `None` when not given.
    pub status: Option<String>,
}

impl RemoteCompany {
    pub fn orderable(&self) -> bool {
        self.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("active"))
    }
}

/// A product at the distributor, for the picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteProduct {
    pub id: String,
    pub name: String,
    pub vendor_name: Option<String>,
    pub sku: Option<String>,
    pub requires_commitment: bool,
}

/// One page of a list at the distributor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemotePage<T> {
    pub items: Vec<T>,
    pub page: u64,
    pub total_pages: u64,
    pub total: u64,
}

/// A provisioning detail a product asks for (Pax8's `ProvisioningDetail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetailSpec {
    pub key: String,
    pub label: String,
    pub description: Option<String>,
    /// `Input`, `Single-Value` or `Multi-Value`.
    pub value_type: String,
    /// Null for `Input` in Pax8's answer; empty here.
    pub possible_values: Vec<String>,
}

/// A commitment term a product offers (Pax8's `Commitment`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentOption {
    pub id: String,
    pub term: String,
}

/// What an order of a product must carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRequirements {
    pub details: Vec<DetailSpec>,
    pub commitments: Vec<CommitmentOption>,
    /// Billing terms the product is priced for.
    pub billing_terms: Vec<String>,
}

/// How a call to a distributor failed, which decides what the engine does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistError {
    /// The distributor refused the request (validation): fix and retry; never retried as is.
    Rejected { problems: Vec<Problem>, status: u16 },
    /// The request may or may not have taken effect (timeout, reset, 408,
    /// 5xx, any status not documented, unreadable reply): reconcile
    /// against the distributor before sending again.
    Unknown(String),
    /// Nothing was sent, or nothing happened (connection refused, DNS, a
    /// read that kept failing): safe to try again later.
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

/// Why the distributor would take no order for this company, if so: the
/// problem to show and its summary ("the company is not active at Pax8").
/// `Err` when the distributor could not be asked. Used before the first
/// send and by "Check with Pax8".
pub async fn company_problem(d: &dyn Distributor, company: &str) -> Result<Option<(Problem, &'static str)>, DistError> {
    match d.company(company).await {
        Ok(found) if found.orderable() => Ok(None),
        Ok(found) => {
            let status = found.status.unwrap_or_else(|| "without a status".into());
            let problem = Problem::new(
                "pax8_company_id",
                format!("The company {company} is {status} at Pax8; Pax8 takes orders only for Active companies."),
            );
            Ok(Some((problem, "the company is not active at Pax8")))
        }
        Err(DistError::Rejected { .. }) => Ok(Some((
            Problem::new("pax8_company_id", format!("Pax8 has no company {company}.")),
            "the company is not at Pax8",
        ))),
        Err(e) => Err(e),
    }
}

/// A distributor that provisions subscriptions.
pub trait Distributor: Send + Sync {
    /// A name for people ("Pax8").
    fn name(&self) -> &'static str;

    /// The longest a [`Distributor::place_order`] call can run, every
    /// timeout and retry of the client counted: past it no request of the
    /// call is in flight from this side. A worker taking over a send waits
    /// this (plus the reconcile grace) from the recorded intent.
    fn longest_call(&self) -> std::time::Duration;

    /// Fetches a token and makes one API call with it, so that credentials
    /// that get a token but no access (audience, scope) show here.
    fn test_connection(&self) -> BoxFuture<'_, Result<(), DistError>>;

    /// Sends the order. Not idempotent at Pax8: the engine records intent
    /// first and reconciles unknown outcomes with [`Distributor::new_orders`].
    fn place_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<PlacedOrder, DistError>>;

    /// Validates the order without placing it (Pax8: `POST /orders?isMock=true`).
    fn validate_order<'a>(&'a self, order: &'a OrderRequest) -> BoxFuture<'a, Result<(), DistError>>;

    /// What the company's order list holds now (taken before each send).
    fn order_census<'a>(&'a self, company_id: &'a str) -> BoxFuture<'a, Result<OrderCensus, DistError>>;

    /// The company's orders that were not there at `before` (every order
    /// made on or after `since` when there is no census).
    fn new_orders<'a>(&'a self, company_id: &'a str, before: Option<&'a OrderCensus>, since: NaiveDate) -> BoxFuture<'a, Result<Vec<PlacedOrder>, DistError>>;

    /// One order, read again (its lines may have gained subscription ids).
    fn order<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<PlacedOrder, DistError>>;

    /// The current state of one subscription.
    fn subscription<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<SubscriptionState, DistError>>;

    /// Sets a subscription's seat count (Pax8: `PUT /subscriptions/{id}` with
    /// only `{quantity}`: price, partner cost and currency are writable
    /// there, and sending them back would overwrite the customer's rate).
    /// Not idempotent and no key: an unclear outcome is read back, never sent blind.
    fn change_seats<'a>(&'a self, id: &'a str, quantity: i64) -> BoxFuture<'a, Result<SubscriptionState, DistError>>;

    /// Cancels a subscription, on `cancel_date` (RFC 3339) when given
    /// (Pax8: `DELETE /subscriptions/{id}?cancelDate=`, 204).
    fn cancel_subscription<'a>(&'a self, id: &'a str, cancel_date: Option<&'a str>) -> BoxFuture<'a, Result<(), DistError>>;

    /// A subscription's earlier states, newest first (Pax8: `/history`).
    fn subscription_history<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Vec<SubscriptionState>, DistError>>;

    /// The product's commitment rules now (Pax8: `/products/{id}/dependencies`).
    fn commitment_rules<'a>(&'a self, product_id: &'a str) -> BoxFuture<'a, Result<Vec<CommitmentRules>, DistError>>;

    /// Every subscription of the company at the distributor (every page).
    fn company_subscriptions<'a>(&'a self, company_id: &'a str) -> BoxFuture<'a, Result<Vec<SubscriptionState>, DistError>>;

    /// One company (its status decides whether it can be ordered for).
    fn company<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<RemoteCompany, DistError>>;

    /// Companies whose name contains `query` (all when empty), by name.
    fn find_companies<'a>(&'a self, query: &'a str) -> BoxFuture<'a, Result<Vec<RemoteCompany>, DistError>>;

    /// A page of products matching `query`.
    fn find_products<'a>(&'a self, query: &'a str, page: u64) -> BoxFuture<'a, Result<RemotePage<RemoteProduct>, DistError>>;

    /// What an order of the product must carry.
    fn product_requirements<'a>(&'a self, product_id: &'a str) -> BoxFuture<'a, Result<ProductRequirements, DistError>>;
}
