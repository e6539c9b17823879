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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a caller is remembered.
pub const REMEMBER: Duration = Duration::from_secs(5);
/// Beyond this many callers the memory starts over (a bound, not an LRU).
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub(crate) struct Callers {
    map: Mutex<HashMap<String, (User, Instant)>>,
    /// Bumped by [`Callers::forget_all`]: a lookup that began before a
    /// change must not put back what the change made the store forget.
    generation: AtomicU64,
}

impl Callers {
    /// Taken before reading the database; handed to [`Callers::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn get(&self, key: &str) -> Option<User> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key).filter(|(_, until)| *until > Instant::now()).map(|(u, _)| u.clone())
    }

    /// Remembers `user` unless something was forgotten since `generation`.
    pub fn put(&self, generation: u64, key: String, user: User) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if self.generation() != generation {
            return;
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, (user, Instant::now() + REMEMBER));
    }

    pub fn forget_all(&self) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }
}

impl crate::Store {
    /// This server's memory of who holds a session or token.
    pub(crate) fn callers(&self) -> std::sync::Arc<Callers> {
        self.extension::<Callers>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::Role;

    fn viewer() -> User {
        User {
            id: 7,
            email: "a@b.c".into(),
            name: "A".into(),
            role: Role::Viewer,
            active: true,
            permissions: Role::Viewer.permissions().to_vec(),
        }
    }

    #[test]
    fn remembers_until_forgotten() {
        let c = Callers::default();
        let u = viewer();
        assert!(c.get("k").is_none());
        c.put(c.generation(), "k".into(), u);
        assert_eq!(c.get("k").map(|u| u.id), Some(7));
        c.forget_all();
        assert!(c.get("k").is_none());
    }

    #[test]
    fn a_lookup_older_than_a_change_is_not_remembered() {
        let c = Callers::default();
        let u = viewer();
        let before = c.generation();
        // A sign-out (say) lands while the lookup reads the database.
        c.forget_all();
        c.put(before, "k".into(), u);
        assert!(c.get("k").is_none());
    }
}
