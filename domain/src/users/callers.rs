//! Who holds a session or an API token, remembered for a few seconds so that
//! a busy API client or page does not look its caller up in the database on
//! every request.
//!
//! Entries are keyed by the secret's SHA-256 (never the secret). Signing out,
//! revoking a token and changing or deactivating a user forget every entry at
//! once, so on one server (SQLite) such a change takes effect on the next
//! request; other instances sharing a PostgreSQL database notice it within
//! [`REMEMBER`].

use super::User;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a caller is remembered.
pub const REMEMBER: Duration = Duration::from_secs(5);
/// Beyond this many callers the memory starts over (a bound, not an LRU).
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub(crate) struct Callers {
    map: Mutex<HashMap<String, (User, Instant)>>,
}

impl Callers {
    pub fn get(&self, key: &str) -> Option<User> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).filter(|(_, until)| *until > Instant::now()).map(|(u, _)| u.clone())
    }

    pub fn put(&self, key: String, user: User) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (user, Instant::now() + REMEMBER));
    }

    pub fn forget_all(&self) {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::Role;

    #[test]
    fn remembers_until_forgotten() {
        let c = Callers::default();
        let u = User {
            id: 7,
            email: "a@b.c".into(),
            name: "A".into(),
            role: Role::Viewer,
            active: true,
            permissions: Role::Viewer.permissions().to_vec(),
        };
        assert!(c.get("k").is_none());
        c.put("k".into(), u);
        assert_eq!(c.get("k").map(|u| u.id), Some(7));
        c.forget_all();
        assert!(c.get("k").is_none());
    }
}
