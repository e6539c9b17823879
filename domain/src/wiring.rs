//! Which feature follows which, wired once per store: the events a lower
//! feature raises and the higher features that act on them (see
//! [`crate::store::follow`]). A store opened any other way would approve
//! without resuming a waiting dispatch: open stores with [`Store::open`].

use crate::Store;

/// Registers every follower that needs nothing but the store. QuickBooks'
/// auto-push needs the server's Intuit app and key: the server adds it
/// ([`crate::quickbooks::Qbo::push_on_approval`]).
pub fn wire(store: &Store) {
    // An approval resumes a dispatch that waited for it (an edit and retry).
    store.follow::<crate::purchase_orders::Approved, _>(crate::procurement::ResumeDispatch);
    // A rename rewrites what its POs are found by.
    store.follow::<crate::catalog::Renamed, _>(crate::purchase_orders::SearchText);
}

impl Store {
    /// Opens the database at `url` with every follower wired; does not
    /// migrate (see [`Store::connect`]).
    pub async fn open(url: &str, max_connections: u32) -> std::result::Result<Store, sqlx::Error> {
        let store = Store::connect(url, max_connections).await?;
        wire(&store);
        Ok(store)
    }
}
