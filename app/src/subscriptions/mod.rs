//! Subscriptions the product knows: the API, and a company's subscriptions
//! card (seats, terms, commitment end, status, drift, a sync with Pax8), and
//! the renewals page.

mod api;
mod card;
mod renewals_page;

pub use api::*;
pub use card::CompanySubscriptions;
pub use renewals_page::RenewalsPage;
