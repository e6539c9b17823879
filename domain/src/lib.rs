//! The business of NEXOS purchasing: typed models and rules shared with the
//! browser, and (behind the `server` feature) the store and services.

pub mod error;
pub mod money;
pub mod procurement;
pub mod purchase_orders;
pub mod quickbooks;
pub mod reference;
pub mod settings;
pub mod users;
pub mod validate;

pub use error::{Error, ErrorCode, Result};

#[cfg(feature = "server")]
pub mod clock;
#[cfg(feature = "server")]
pub mod crypto;
#[cfg(feature = "server")]
pub mod demo;
#[cfg(feature = "server")]
pub mod store;
#[cfg(feature = "server")]
pub mod testing;

#[cfg(feature = "server")]
pub use store::Store;
