//! Sign-in, sign-out and who am I.

mod api;
mod login_page;
mod next;

pub use api::*;
pub use login_page::LoginPage;
pub use next::safe_next;
