//! The background worker: runs due dispatch steps with the stored Pax8
//! credentials. Every server instance runs one; leases in the database keep
//! them from stepping on each other, and in-flight work is picked up again
//! after a restart.

use app::context::AppState;
use domain::procurement::engine::{Engine, Timing};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub struct Worker {
    pub state: AppState,
    pub timing: Timing,
    pub every: Duration,
}

impl Worker {
    /// Runs until `stop` turns true, finishing the step under way.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let owner = format!("{}-{}", std::env::var("HOSTNAME").unwrap_or_else(|_| "nexos".into()), std::process::id());
        // The engine is rebuilt only when the stored credentials change, so
        // that the Pax8 token stays cached.
        let mut current: Option<(String, Engine)> = None;
        loop {
            if self.state.encryption_configured() {
                match self.state.store.pax8_sealed().await {
                    Ok(Some(sealed)) => {
                        if current.as_ref().is_none_or(|(s, _)| *s != sealed) {
                            current = match self.state.pax8().await {
                                Ok(pax8) => Some((
                                    sealed,
                                    Engine {
                                        store: self.state.store.clone(),
                                        distributor: Arc::new(pax8),
                                        owner: owner.clone(),
                                        timing: self.timing.clone(),
                                    },
                                )),
                                Err(e) => {
                                    tracing::warn!("dispatch worker idle: {}", e.0.message);
                                    None
                                }
                            };
                        }
                        if let Some((_, engine)) = &current {
                            if let Err(e) = engine.drain().await {
                                tracing::error!("dispatch step failed: {}", e.message);
                            }
                        }
                    }
                    Ok(None) => current = None,
                    Err(e) => tracing::error!("dispatch worker: {}", e.message),
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
    }
}
