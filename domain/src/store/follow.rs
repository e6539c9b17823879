//! What one feature's change sets off in a feature above it, without the
//! lower one calling up: the lower feature names the event (a type) and
//! raises it; the higher one registers a follower for it, once per store
//! ([`crate::wiring`]). A follower runs inside the transaction that raised
//! the event (what must commit with it), after it committed (what calls
//! out and cannot be undone), or both.

use super::Tx;
use crate::{Result, Store};
use std::any::TypeId;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

/// A follower's work for one event.
pub type Step<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// Follows events of type `E`.
pub trait Follows<E>: Send + Sync + 'static {
    /// Inside the transaction that raised `event`: an error undoes it.
    fn within<'a>(&'a self, _store: &'a Store, _tx: &'a mut Tx, _event: &'a E) -> Step<'a> {
        Box::pin(async { Ok(()) })
    }

    /// After the transaction committed: an error is logged, the event stands.
    fn after<'a>(&'a self, _store: &'a Store, _event: &'a E) -> Step<'a> {
        Box::pin(async { Ok(()) })
    }
}

/// A follower of `E`, under the type it was registered as.
type Registered<E> = (TypeId, Arc<dyn Follows<E>>);

/// The followers of `E` in one store, each kind of follower once.
struct Followers<E>(Mutex<Vec<Registered<E>>>);

impl<E> Default for Followers<E> {
    fn default() -> Self {
        Followers(Mutex::new(Vec::new()))
    }
}

impl Store {
    /// Registers `follower` for events `E`; registering the same kind of
    /// follower again replaces it (a store is wired once, tests may re-wire).
    pub fn follow<E: 'static, F: Follows<E>>(&self, follower: F) {
        let list = self.extension::<Followers<E>>();
        let mut list = list.0.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|(kind, _)| *kind != TypeId::of::<F>());
        list.push((TypeId::of::<F>(), Arc::new(follower)));
    }

    fn followers<E: 'static>(&self) -> Vec<Arc<dyn Follows<E>>> {
        let list = self.extension::<Followers<E>>();
        let list = list.0.lock().unwrap_or_else(|e| e.into_inner());
        list.iter().map(|(_, f)| f.clone()).collect()
    }

    /// Runs every follower of `event` inside `tx`, in the order registered.
    pub(crate) async fn raise_within<E: 'static>(&self, tx: &mut Tx, event: &E) -> Result<()> {
        for f in self.followers::<E>() {
            f.within(self, tx, event).await?;
        }
        Ok(())
    }

    /// Runs every follower of `event` after its commit; returns whether one
    /// ran (the caller reads again what they may have changed).
    pub(crate) async fn raise_after<E: 'static>(&self, event: &E) -> bool {
        let followers = self.followers::<E>();
        for f in &followers {
            if let Err(e) = f.after(self, event).await {
                tracing::warn!(event = std::any::type_name::<E>(), error = %e.message, "a follower failed after its event committed");
            }
        }
        !followers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Raised(i64);
    struct Counts(Arc<AtomicUsize>);
    impl Follows<Raised> for Counts {
        fn within<'a>(&'a self, _store: &'a Store, _tx: &'a mut Tx, e: &'a Raised) -> Step<'a> {
            self.0.fetch_add(e.0 as usize, Ordering::SeqCst);
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn a_follower_runs_once_however_often_it_is_registered() {
        let s = crate::testing::store("sqlite").await;
        let n = Arc::new(AtomicUsize::new(0));
        s.follow(Counts(n.clone()));
        s.follow(Counts(n.clone()));
        let mut tx = s.begin_write().await.unwrap();
        s.raise_within(&mut tx, &Raised(2)).await.unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(n.load(Ordering::SeqCst), 2);
        // Its `after` is the default: nothing more, but it counts as run.
        assert!(s.raise_after(&Raised(1)).await);
        assert_eq!(n.load(Ordering::SeqCst), 2);
    }
}
