//! Leases: "one at a time" for slow work (a call to another service) across
//! tasks and server instances, without a transaction held over it. A lease
//! expires by itself, so a holder that dies frees it.
//!
//! A lease is not a lock (Kleppmann, "How to do distributed locking"): a
//! holder can outlive it (a slow call, a paused process). So every claim
//! takes a fencing token that grows with each claim, and every write of the
//! holder checks it ([`Store::hold`]): once another has taken over, the old
//! holder's writes change nothing. A holder whose work may outlast the
//! lease renews it while it works ([`Renewal`]).
//!
//! Two kinds, one mechanism:
//! - row leases on the rows of a work queue ([`Leased`]: dispatches,
//!   deliveries), each row with `lease_owner`, `lease_until`, `lease_token`;
//! - named leases in `leases` (the QuickBooks token refresh, the
//!   per-company dispatch locks), each with `owner`, `lease_until`, `token`.

use super::{Backend, Store, Tx};
use crate::{clock, Error, ErrorCode, Result};
use chrono::Duration;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A work-queue table whose rows are claimed under a lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leased {
    Dispatches,
    Deliveries,
}

impl Leased {
    fn table(self) -> &'static str {
        match self {
            Leased::Dispatches => "dispatches",
            Leased::Deliveries => "deliveries",
        }
    }
}

/// Proof of a claim: the row, who claimed it and the claim's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub table: Leased,
    pub id: i64,
    pub owner: String,
    pub token: i64,
}

/// A named lease this caller holds until [`Store::release_lease`] or its expiry.
#[derive(Debug, Clone)]
pub struct Lease {
    name: String,
    owner: String,
    token: i64,
}

/// The error of a write refused because another holder took over.
pub fn lease_lost() -> Error {
    Error::new(ErrorCode::Stale, "Another worker took this work over; this one stopped.")
}

/// Whether `e` is a [`lease_lost`] refusal (logged where it happened).
pub fn is_lease_lost(e: &Error) -> bool {
    e.code == ErrorCode::Stale
}

impl Store {
    /// ` FOR UPDATE SKIP LOCKED` on PostgreSQL (a claim's select passes over
    /// rows another instance is claiming); nothing on SQLite, whose one
    /// writer already keeps claims apart.
    pub fn skip_locked(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        }
    }

    /// Claims row `id` of `table` for `owner` until `ttl` from now if its
    /// lease is free or expired, with a new token. `None`: someone holds it.
    pub async fn take_row_lease(&self, tx: &mut Tx, table: Leased, id: i64, owner: &str, ttl: Duration) -> Result<Option<Fence>> {
        let token: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE {} SET lease_owner = $1, lease_until = $2, lease_token = lease_token + 1
             WHERE id = $3 AND (lease_until IS NULL OR lease_until < $4) RETURNING lease_token",
            table.table()
        ))
        .bind(owner)
        .bind(clock::from_now(ttl))
        .bind(id)
        .bind(clock::now())
        .fetch_optional(&mut **tx)
        .await?;
        Ok(token.map(|token| Fence {
            table,
            id,
            owner: owner.to_string(),
            token,
        }))
    }

    /// Checks, inside a write, that `fence` still holds its row, and extends
    /// the lease by `ttl`. `Err(lease_lost())` when a newer claim took it:
    /// the caller's transaction must then change nothing.
    pub async fn hold(&self, tx: &mut Tx, fence: &Fence, ttl: Duration) -> Result<()> {
        let n = sqlx::query(&format!(
            "UPDATE {} SET lease_until = $1 WHERE id = $2 AND lease_token = $3 AND lease_owner = $4",
            fence.table.table()
        ))
        .bind(clock::from_now(ttl))
        .bind(fence.id)
        .bind(fence.token)
        .bind(&fence.owner)
        .execute(&mut **tx)
        .await?;
        if super::affected(&n) == 1 {
            Ok(())
        } else {
            Err(lease_lost())
        }
    }

    /// Extends the row lease by `ttl` if `fence` still holds it; `false` when
    /// another claim took it over.
    pub async fn renew_row_lease(&self, fence: &Fence, ttl: Duration) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        match self.hold(&mut tx, fence, ttl).await {
            Ok(()) => {
                tx.commit().await?;
                Ok(true)
            }
            Err(e) if is_lease_lost(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Gives the row back (nothing when another claim holds it now).
    pub async fn release_row_lease(&self, tx: &mut Tx, fence: &Fence) -> Result<()> {
        sqlx::query(&format!(
            "UPDATE {} SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_token = $2",
            fence.table.table()
        ))
        .bind(fence.id)
        .bind(fence.token)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Takes lease `name` for `ttl` if it is free or expired; `None` if
    /// another caller holds it.
    pub async fn take_lease(&self, name: &str, ttl: Duration) -> Result<Option<Lease>> {
        let owner = format!("{:032x}", rand::random::<u128>());
        let mut tx = self.begin_write().await?;
        let got = self.take_lease_as(&mut tx, name, &owner, ttl).await?;
        tx.commit().await?;
        Ok(got)
    }

    /// Takes lease `name` for `owner` inside a write: free, expired, or
    /// already this owner's (then renewed, same token).
    pub async fn take_lease_as(&self, tx: &mut Tx, name: &str, owner: &str, ttl: Duration) -> Result<Option<Lease>> {
        let token: Option<i64> = sqlx::query_scalar(
            "INSERT INTO leases (name, owner, lease_until, token) VALUES ($1, $2, $3, 1)
             ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until,
                 token = CASE WHEN leases.owner = excluded.owner THEN leases.token ELSE leases.token + 1 END
             WHERE leases.lease_until < $4 OR leases.owner = excluded.owner
             RETURNING token",
        )
        .bind(name)
        .bind(owner)
        .bind(clock::from_now(ttl))
        .bind(clock::now())
        .fetch_optional(&mut **tx)
        .await?;
        Ok(token.map(|token| Lease {
            name: name.to_string(),
            owner: owner.to_string(),
            token,
        }))
    }

    /// Extends a named lease if `lease` still holds it.
    pub async fn renew_lease(&self, lease: &Lease, ttl: Duration) -> Result<bool> {
        let n = self
            .execute_write(
                sqlx::query("UPDATE leases SET lease_until = $1 WHERE name = $2 AND owner = $3 AND token = $4")
                    .bind(clock::from_now(ttl))
                    .bind(lease.name.clone())
                    .bind(lease.owner.clone())
                    .bind(lease.token),
            )
            .await?;
        Ok(super::affected(&n) == 1)
    }

    /// Gives `lease` back (a no-op if it expired and someone else took it).
    pub async fn release_lease(&self, lease: Lease) -> Result<()> {
        let mut tx = self.begin_write().await?;
        self.release_lease_in(&mut tx, &lease).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Store::release_lease`] inside a write.
    pub async fn release_lease_in(&self, tx: &mut Tx, lease: &Lease) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND owner = $2 AND token = $3")
            .bind(&lease.name)
            .bind(&lease.owner)
            .bind(lease.token)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// Keeps leases alive while their holder works: renews them every `every`
/// for `ttl`, until dropped. When a renewal finds the row taken over it
/// stops and [`Renewal::lost`] turns true (the holder's next write is
/// refused by its fence anyway).
pub struct Renewal {
    lost: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Renewal {
    pub fn start(store: &Store, fence: Fence, named: Vec<Lease>, ttl: Duration, every: std::time::Duration) -> Renewal {
        let lost = Arc::new(AtomicBool::new(false));
        let (store, flag) = (store.clone(), lost.clone());
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match store.renew_row_lease(&fence, ttl).await {
                    Ok(true) => {}
                    Ok(false) => {
                        flag.store(true, Ordering::SeqCst);
                        return;
                    }
                    // A database hiccup: try again at the next beat; the
                    // fence still guards every write.
                    Err(e) => tracing::warn!(table = fence.table.table(), id = fence.id, "lease renewal failed: {}", e.message),
                }
                for l in &named {
                    if let Err(e) = store.renew_lease(l, ttl).await {
                        tracing::warn!(lease = %l.name, "lease renewal failed: {}", e.message);
                    }
                }
            }
        });
        Renewal { lost, task }
    }

    /// Another claim took the row over.
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for Renewal {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::store;

    crate::both_backends!(a_lease_is_held_once_until_released_or_expired);
    async fn a_lease_is_held_once_until_released_or_expired(b: &'static str) {
        let s = store(b).await;
        let minute = chrono::Duration::minutes(1);
        let held = s.take_lease("job", minute).await.unwrap().expect("free at first");
        assert!(s.take_lease("job", minute).await.unwrap().is_none(), "{b}: held");
        assert!(s.take_lease("other", minute).await.unwrap().is_some(), "{b}: names are apart");
        s.release_lease(held).await.unwrap();
        let short = s.take_lease("job", chrono::Duration::milliseconds(-1)).await.unwrap();
        assert!(short.is_some(), "{b}: free again after release");
        // Already past its expiry: the next caller takes it, and the old
        // holder's release does not free the new holder's lease.
        let next = s.take_lease("job", minute).await.unwrap();
        assert!(next.is_some(), "{b}: an expired lease is taken over");
        assert!(
            !s.renew_lease(short.as_ref().unwrap(), minute).await.unwrap(),
            "{b}: the old holder cannot renew"
        );
        s.release_lease(short.unwrap()).await.unwrap();
        assert!(s.take_lease("job", minute).await.unwrap().is_none(), "{b}: still the new holder's");
    }

    crate::both_backends!(a_row_claim_fences_the_holder_it_replaced);
    async fn a_row_claim_fences_the_holder_it_replaced(b: &'static str) {
        let w = crate::fixtures::pax8::world(b, true, crate::catalog::Distributor::Pax8).await;
        let s = w.s.clone();
        s.execute_write(
            sqlx::query("INSERT INTO dispatches (po_id, status, distributor, company_key, request, next_run_at, created_at, updated_at) VALUES ($1, 'queued', 'pax8', 'c', '{}', '', '', '')")
                .bind(w.po),
        )
        .await
        .unwrap();
        let id: i64 = sqlx::query_scalar("SELECT id FROM dispatches WHERE po_id = $1")
            .bind(w.po)
            .fetch_one(s.pool())
            .await
            .unwrap();
        let (gone, minute) = (Duration::milliseconds(-1), Duration::minutes(1));
        let mut tx = s.begin_write().await.unwrap();
        let old = s.take_row_lease(&mut tx, Leased::Dispatches, id, "a", gone).await.unwrap().expect("free");
        tx.commit().await.unwrap();
        let mut tx = s.begin_write().await.unwrap();
        s.hold(&mut tx, &old, gone).await.expect("nobody else claimed it: still the holder's");
        let new = s
            .take_row_lease(&mut tx, Leased::Dispatches, id, "b", minute)
            .await
            .unwrap()
            .expect("expired: taken over");
        tx.commit().await.unwrap();
        assert!(new.token > old.token, "{b}: the token grows with each claim");
        let mut tx = s.begin_write().await.unwrap();
        assert!(
            s.take_row_lease(&mut tx, Leased::Dispatches, id, "c", minute).await.unwrap().is_none(),
            "{b}: held"
        );
        let refused = s.hold(&mut tx, &old, minute).await.unwrap_err();
        assert!(is_lease_lost(&refused), "{b}: the replaced holder's write is refused");
        s.hold(&mut tx, &new, minute).await.expect("the new holder writes");
        tx.commit().await.unwrap();
        assert!(!s.renew_row_lease(&old, minute).await.unwrap(), "{b}: the old holder cannot renew");
        assert!(s.renew_row_lease(&new, minute).await.unwrap(), "{b}: the new holder renews");
        let mut tx = s.begin_write().await.unwrap();
        s.release_row_lease(&mut tx, &old).await.unwrap();
        tx.commit().await.unwrap();
        let owner: Option<String> = sqlx::query_scalar("SELECT lease_owner FROM dispatches WHERE id = $1")
            .bind(id)
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_eq!(owner.as_deref(), Some("b"), "{b}: the old holder's release frees nothing");
    }
}
