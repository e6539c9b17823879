//! Named leases: "one at a time" for slow work (a call to another service)
//! across tasks and server instances, without a transaction held open over
//! it. A lease expires by itself, so a holder that dies frees it.

use super::Store;
use crate::{clock, Result};

/// A lease this caller holds until [`Lease::release`] or its expiry.
#[derive(Debug)]
pub struct Lease {
    name: String,
    owner: String,
}

impl Store {
    /// Takes lease `name` for `ttl` if it is free or expired; `None` if
    /// another caller holds it.
    pub async fn take_lease(&self, name: &str, ttl: chrono::Duration) -> Result<Option<Lease>> {
        let owner = format!("{:032x}", rand::random::<u128>());
        let now = clock::now();
        let got = self
            .execute_write(
                sqlx::query(
                    "INSERT INTO leases (name, owner, lease_until) VALUES ($1, $2, $3)
                     ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
                     WHERE leases.lease_until < $4",
                )
                .bind(name)
                .bind(&owner)
                .bind(clock::from_now(ttl))
                .bind(&now),
            )
            .await?;
        Ok((super::affected(&got) == 1).then(|| Lease { name: name.to_string(), owner }))
    }

    /// Gives `lease` back (a no-op if it expired and someone else took it).
    pub async fn release_lease(&self, lease: Lease) -> Result<()> {
        self.execute_write(
            sqlx::query("DELETE FROM leases WHERE name = $1 AND owner = $2")
                .bind(&lease.name)
                .bind(&lease.owner),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
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
        s.release_lease(short.unwrap()).await.unwrap();
        assert!(s.take_lease("job", minute).await.unwrap().is_none(), "{b}: still the new holder's");
    }
}
