//! Who is signed in, for every page: loaded once per page load (the shell
//! provides it) and read with [`use_session`].

use crate::error::ApiError;
use domain::users::{Permission, User};
use leptos::prelude::*;

/// The signed-in user, loaded once per page load and shared by every page.
#[derive(Clone, Copy)]
pub struct Session(pub Resource<Result<User, ApiError>>);

pub fn use_session() -> Session {
    expect_context::<Session>()
}

impl Session {
    /// Whether the user (once loaded) holds `p`; false while loading.
    pub fn can(&self, p: Permission) -> bool {
        self.0.get().and_then(|r| r.ok()).is_some_and(|u| u.can(p))
    }
}
