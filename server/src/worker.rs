//! The background worker: runs due dispatch steps with the stored Pax8
//! credentials. Every server instance runs one; leases in the database keep
//! them from stepping on each other, and in-flight work is picked up again
//! after a restart.
//!
//! A Pax8 call takes a round trip of a few hundred milliseconds and Pax8
//! limits calls per minute, so one step at a time would leave most of the
//! rate limit unused: the worker runs [`SLOTS`] slots, each claiming its
//! next step as soon as it is free. Each slot is its own lease owner, so
//! the per-company lock still lets only one step of a company run at a
//! time, across slots as across instances.

use app::context::AppState;
use domain::procurement::engine::{Engine, Timing};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Dispatch steps run at once by one server instance.
pub const SLOTS: usize = 8;

/// How often the worker purges what has expired.
const PURGE_EVERY: Duration = Duration::from_secs(600);

/// How often every linked company's subscriptions are read from Pax8.
const SYNC_EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(24);

pub struct Worker {
    pub state: AppState,
    pub timing: Timing,
    pub every: Duration,
}

impl Worker {
    /// Runs until `stop` turns true, finishing the steps under way. Each
    /// slot claims its next step as soon as it is free, so that one slow
    /// call at Pax8 holds up only its own slot.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        let owner = owner("dispatch");
        // The engines are rebuilt only when the stored credentials change,
        // so that the Pax8 token stays cached.
        let (engines, _) = watch::channel::<Option<Arc<Vec<Arc<Engine>>>>>(None);
        let mut slots = tokio::task::JoinSet::new();
        for slot in 0..SLOTS {
            let (mut current, mut stop, every) = (engines.subscribe(), stop.clone(), self.every);
            slots.spawn(async move {
                loop {
                    if *stop.borrow() {
                        break;
                    }
                    let engine = current.borrow_and_update().as_ref().map(|e| e[slot].clone());
                    let worked = match engine {
                        Some(engine) => match engine.run_once().await {
                            Ok(worked) => worked,
                            Err(e) => {
                                tracing::error!("dispatch step failed: {}", e.message);
                                false
                            }
                        },
                        None => false,
                    };
                    if !worked {
                        tokio::select! {
                            _ = tokio::time::sleep(every) => {}
                            _ = current.changed() => {}
                            _ = stop.changed() => {}
                        }
                    }
                }
            });
        }
        let mut sealed_now: Option<String> = None;
        let mut purged: Option<std::time::Instant> = None;
        let mut sync_tried: Option<std::time::Instant> = None;
        let mut stop = stop;
        loop {
            // Housekeeping every ten minutes: expired and idle sessions, old
            // sign-in counts, used OAuth states; renewal notices.
            if purged.is_none_or(|p| p.elapsed() > PURGE_EVERY) {
                match self.state.store.purge_expired().await {
                    Ok(n) if n > 0 => tracing::info!(rows = n, "purged expired sessions, sign-in counts and OAuth states"),
                    Ok(_) => {}
                    Err(e) => tracing::error!("purge: {}", e.message),
                }
                // Commitments that end soon: notices 30 and 7 days before.
                match self.state.store.send_renewal_notices().await {
                    Ok(n) if n > 0 => tracing::info!(notices = n, "renewal notices written"),
                    Ok(_) => {}
                    Err(e) => tracing::error!("renewal notices: {}", e.message),
                }
                purged = Some(std::time::Instant::now());
            }
            if self.state.encryption_configured() {
                match self.state.store.pax8_sealed().await {
                    Ok(Some(sealed)) if sealed_now.as_ref() != Some(&sealed) => match self.state.pax8().await {
                        Ok(pax8) => {
                            let pax8: Arc<dyn domain::procurement::distributor::Distributor> = Arc::new(pax8);
                            let built = (0..SLOTS)
                                .map(|slot| {
                                    Arc::new(Engine {
                                        store: self.state.store.clone(),
                                        distributor: pax8.clone(),
                                        owner: format!("{owner}-{slot}"),
                                        timing: self.timing.clone(),
                                    })
                                })
                                .collect();
                            engines.send_replace(Some(Arc::new(built)));
                            sealed_now = Some(sealed);
                        }
                        Err(e) => {
                            tracing::warn!("dispatch worker idle: {}", e.0.message);
                            engines.send_replace(None);
                            sealed_now = None;
                        }
                    },
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        engines.send_replace(None);
                        sealed_now = None;
                    }
                    Err(e) => tracing::error!("dispatch worker: {}", e.message),
                }
            }
            // The daily sync of subscriptions: the lease marks the day's run
            // taken, across instances.
            // Asked every ten minutes, so that the lease costs no write a loop.
            let pax8 = engines.borrow().as_ref().map(|e| e[0].distributor.clone());
            if let Some(pax8) = pax8.filter(|_| sync_tried.is_none_or(|t| t.elapsed() > PURGE_EVERY)) {
                sync_tried = Some(std::time::Instant::now());
                match self.state.store.take_lease("subscriptions-daily-sync", SYNC_EVERY).await {
                    Ok(Some(_)) => match self.state.store.sync_all_subscriptions(pax8.as_ref()).await {
                        Ok(o) => tracing::info!(imported = o.imported, updated = o.updated, drifted = o.drifted, "daily subscription sync"),
                        Err(e) => tracing::error!("daily subscription sync: {}", e.message),
                    },
                    Ok(None) => {}
                    Err(e) => tracing::error!("daily subscription sync: {}", e.message),
                }
            }
            // QuickBooks pushes whose transient failure is due for a retry.
            if let Some(qbo) = &self.state.qbo {
                if let Err(e) = qbo.retry_due().await {
                    tracing::error!("QuickBooks retry: {}", e.message);
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = stop.changed() => break,
            }
        }
        while let Some(done) = slots.join_next().await {
            if let Err(e) = done {
                tracing::error!("dispatch slot ended: {e}");
            }
        }
    }
}

/// A lease owner's name: host, process, a random token (two instances in
/// containers may share a host name and a pid), and what works under it.
pub fn owner(what: &str) -> String {
    static TOKEN: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let token = TOKEN.get_or_init(rand::random::<u32>);
    format!(
        "{}-{}-{token:08x}-{what}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "nexos".into()),
        std::process::id()
    )
}

/// The notification worker: sends due deliveries a batch at a time, apart
/// from the dispatch loop so that a slow Pax8 never holds up a mail; rests
/// `every` when nothing is due, and stops between batches when asked.
pub async fn notify(notifier: Arc<domain::notifications::deliver::Notifier>, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        let sent = match notifier.run_once().await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!("notifications: {}", e.message);
                0
            }
        };
        if *stop.borrow() {
            break;
        }
        if sent > 0 {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => break,
        }
    }
}
