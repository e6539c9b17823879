//! Pax8's orders and subscriptions: placing and validating an order, the
//! census of a company's orders and the orders new since it (to reconcile
//! an unclear send), and reading an order or a subscription.

use super::distributor::*;
use super::pax8::{segment, Pax8};
use super::pax8_wire::{self as wire, MAX_PAGE};
use super::OrderRequest;
use chrono::NaiveDate;
use std::collections::HashSet;

/// Orders gathered from pages, each once.
#[derive(Default)]
struct Gathered {
    ids: HashSet<String>,
    orders: Vec<PlacedOrder>,
}

impl Gathered {
    fn add(&mut self, orders: Vec<PlacedOrder>) {
        for o in orders {
            if self.ids.insert(o.id.clone()) {
                self.orders.push(o);
            }
        }
    }
}

impl Pax8 {
    /// One page of the company's orders, at Pax8's largest page size.
    async fn orders_page(&self, company_id: &str, page: u64) -> Result<(Vec<PlacedOrder>, wire::Listed), DistError> {
        let v = self
            .get(
                "/orders",
                &[
                    ("companyId", company_id.to_string()),
                    ("page", page.to_string()),
                    ("size", MAX_PAGE.to_string()),
                ],
            )
            .await?;
        let listed = wire::listed(&v, MAX_PAGE);
        let orders = listed.content.iter().filter_map(wire::order).collect();
        Ok((orders, listed))
    }

    /// `POST /orders`, cut at `longest_call`; anything unclear is `Unknown`.
    pub(super) async fn place(&self, order: &OrderRequest) -> Result<PlacedOrder, DistError> {
        // The whole call, retries included, ends within `longest_call`,
        // so that a worker taking the send over knows how long to wait.
        let body = wire::order_body(order);
        let call = self.call(reqwest::Method::POST, "/orders", &[], Some(&body), Some(order));
        let v = match tokio::time::timeout(self.longest_call(), call).await {
            Ok(v) => v?,
            Err(_) => return Err(DistError::Unknown(format!("no answer from Pax8 within {} s", self.longest_call().as_secs()))),
        };
        wire::order(&v).ok_or_else(|| DistError::Unknown("Pax8's order reply has no id".into()))
    }

    /// `POST /orders?isMock=true`: what Pax8 would refuse, nothing placed.
    pub(super) async fn validate(&self, order: &OrderRequest) -> Result<(), DistError> {
        // isMock: "Perform validations only. Skip any interactions with the database."
        match self
            .call(
                reqwest::Method::POST,
                "/orders",
                &[("isMock", "true".into())],
                Some(&wire::order_body(order)),
                Some(order),
            )
            .await
        {
            Ok(_) => Ok(()),
            // Nothing is placed by a mock: an unclear answer only means "not checked".
            Err(DistError::Unknown(m)) => Err(DistError::Unreachable(m)),
            Err(e) => Err(e),
        }
    }

    /// The company's order count and the ids on the first and last pages,
    /// taken before a send so that the orders new since can be found.
    pub(super) async fn census(&self, company_id: &str) -> Result<OrderCensus, DistError> {
        let (first, listed) = self.orders_page(company_id, 0).await?;
        let mut seen: Vec<String> = first.into_iter().map(|o| o.id).collect();
        if listed.total_pages > 1 {
            let (last, _) = self.orders_page(company_id, listed.total_pages - 1).await?;
            seen.extend(last.into_iter().map(|o| o.id));
        }
        Ok(OrderCensus {
            total: listed.total,
            seen,
            taken_at: None,
        })
    }

    /// The company's orders not in `before`, made on or after `since`.
    pub(super) async fn orders_since(&self, company_id: &str, before: Option<&OrderCensus>, since: NaiveDate) -> Result<Vec<PlacedOrder>, DistError> {
        let (first, listed) = self.orders_page(company_id, 0).await?;
        let mut read = HashSet::from([0u64]);
        let mut got = Gathered::default();
        got.add(first);
        let unseen = |g: &Gathered, b: &OrderCensus| g.orders.iter().filter(|o| !b.seen.contains(&o.id)).count() as u64;
        let mut complete = false;
        if let Some(b) = before {
            let added = listed.total.saturating_sub(b.total);
            if added == 0 {
                complete = true;
            } else {
                // No order is documented for this list: a new order is at
                // the front (newest first) or in the last pages (oldest
                // first). Read the pages that hold the last `added`.
                let from = (listed.total - added) / MAX_PAGE;
                for page in from..listed.total_pages {
                    if read.insert(page) {
                        got.add(self.orders_page(company_id, page).await?.0);
                    }
                }
                complete = unseen(&got, b) >= added;
            }
        }
        if !complete {
            // Somewhere in the middle (or nothing known before): every page.
            for page in 0..listed.total_pages.min(1_000) {
                if read.insert(page) {
                    got.add(self.orders_page(company_id, page).await?.0);
                }
            }
        }
        Ok(got
            .orders
            .into_iter()
            .filter(|o| before.is_none_or(|b| !b.seen.contains(&o.id)))
            .filter(|o| o.created_on.is_none_or(|d| d >= since))
            .collect())
    }

    /// `GET /orders/{id}`.
    pub(super) async fn order_by_id(&self, id: &str) -> Result<PlacedOrder, DistError> {
        let v = self.get(&format!("/orders/{}", segment(id)), &[]).await?;
        wire::order(&v).ok_or_else(|| DistError::Unreachable("Pax8's order has no id".into()))
    }

    /// `GET /subscriptions/{id}`.
    pub(super) async fn subscription_state(&self, id: &str) -> Result<SubscriptionState, DistError> {
        let v = self.get(&format!("/subscriptions/{}", segment(id)), &[]).await?;
        wire::subscription(&v).ok_or_else(|| DistError::Unreachable("Pax8's subscription has no id".into()))
    }

    /// `GET /subscriptions?companyId=`, every page of 200. No order is
    /// documented and a subscription made while paging shifts the pages:
    /// one seen twice is kept once.
    pub(super) async fn subscriptions_of(&self, company_id: &str) -> Result<Vec<SubscriptionState>, DistError> {
        let mut all: Vec<SubscriptionState> = Vec::new();
        let mut page = 0;
        loop {
            let v = self
                .get(
                    "/subscriptions",
                    &[
                        ("companyId", company_id.to_string()),
                        ("page", page.to_string()),
                        ("size", MAX_PAGE.to_string()),
                    ],
                )
                .await?;
            let listed = wire::listed(&v, MAX_PAGE);
            for s in listed.content.iter().filter_map(wire::subscription) {
                if !all.iter().any(|x| x.id == s.id) {
                    all.push(s);
                }
            }
            page += 1;
            if page >= listed.total_pages.min(1_000) || listed.content.is_empty() {
                return Ok(all);
            }
        }
    }
}
