#![recursion_limit = "256"]
//! The NEXOS purchasing UI (Leptos) and its server functions. Server
//! functions are thin: they authenticate, authorise and call `domain`.

pub mod auth;
pub mod catalog;
pub mod company;
pub mod components;
pub mod error;
pub mod messages;
pub mod notifications;
pub mod procurement;
pub mod purchase_orders;
pub mod quickbooks;
pub mod reports;
pub mod session;
pub mod settings;
pub mod shell;
pub mod subscriptions;
pub mod users;

#[cfg(feature = "ssr")]
pub mod context;

pub use shell::{shell, App};

/// Every server function of the API, for the server to list at start.
pub const API_PREFIX: &str = "/api";
