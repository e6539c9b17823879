//! Sign-in, sign-out and who am I.

mod api;
mod login_page;

pub use api::*;
pub use login_page::LoginPage;
