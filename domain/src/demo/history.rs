//! The demo's history: about forty purchase orders over the last six
//! months, in every state a real MSP's list holds, so that every page and
//! chart has something to show on first start.
//!
//! Every PO is made by the real services (create, submit, approve, reject,
//! receive, cancel, dispatch through the procurement engine to the sandbox
//! Pax8, push to the sandbox QuickBooks), as the demo users, then each step
//! is back-dated (see `stamp.rs`). The same scenes in the same order every
//! time: the browser tests rely on what they make.

use crate::procurement::distributor::Distributor;
use crate::procurement::engine::{Engine, Timing};
use crate::purchase_orders::{LineInput, PoInput, PoStatus, PurchaseOrder, ReceiptLine};
use crate::quickbooks::push::Pusher;
use crate::quickbooks::Qbo;
use crate::settings::SettingsUpdate;
use crate::users::User;
use crate::{clock, Error, Result, Store};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// How a demo PO ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Draft,
    /// Waiting for an approver.
    Pending,
    /// Over the second-approval limit: approved (and signed) once, waiting
    /// for a second approver.
    PendingSecond,
    Approved {
        signed: bool,
    },
    Rejected(&'static str),
    Cancelled(&'static str),
    PartlyReceived,
    Received {
        signed: bool,
    },
    /// Dispatched to Pax8 and provisioned (contract lines activated).
    Provisioned,
    /// Dispatched to Pax8, refused: an open remediation entry.
    DispatchFailed,
    /// Dispatched, failed, then abandoned with this reason.
    Abandoned(&'static str),
    /// Dispatched to a distributor that cannot be provisioned automatically.
    NotProvisionable,
    /// Approved and pushed to QuickBooks.
    Pushed,
}

/// A line: a catalog product by SKU, or a free line with its price.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    pub item: &'static str,
    pub quantity: i64,
    /// A free line's unit cost; `None` for a catalog line (the catalog's).
    pub cents: Option<i64>,
    /// Links the company's contract line for the product.
    pub contract: bool,
}

const fn sku(item: &'static str, quantity: i64) -> Line {
    Line {
        item,
        quantity,
        cents: None,
        contract: false,
    }
}
const fn seats(item: &'static str, quantity: i64) -> Line {
    Line {
        item,
        quantity,
        cents: None,
        contract: true,
    }
}
const fn free(item: &'static str, quantity: i64, cents: i64) -> Line {
    Line {
        item,
        quantity,
        cents: Some(cents),
        contract: false,
    }
}

/// One demo PO: raised `days_ago` by the demo user `by`.
#[derive(Debug, Clone, Copy)]
pub struct Scene {
    pub days_ago: i64,
    pub by: &'static str,
    pub company: &'static str,
    pub vendor: &'static str,
    pub lines: &'static [Line],
    pub outcome: Outcome,
}

const TECH: &str = "tech@demo.msp";
const BUYER: &str = "purchaser@demo.msp";
const APPROVER: &str = "approver@demo.msp";
const HARBOR: &str = "Harbor Dental Group";
const NORTH: &str = "Northwind Logistics";
const CEDAR: &str = "Cedar & Pine Law";
const PAX8: &str = "Pax8";
const INGRAM: &str = "Ingram Micro";
const CDW: &str = "CDW";

const LAPTOP: &str = "DELL-LAT-5450";
const SWITCH: &str = "UBNT-USW-24-POE";
const TONER: &str = "HP-CF258A";
const BP: &str = "MST-365-BP";
const BS: &str = "MST-365-BS";
const ACRONIS: &str = "ACR-CPC";
const S1: &str = "S1-SING-CMP";
const VEEAM: &str = "VEE-M365";

/// The second-approval limit in force while the history is made ($5,000),
/// so that one PO waits for a second approver; the setting is put back.
const SECOND_LIMIT_CENTS: i64 = 500_000;

use Outcome::*;

/// The demo's purchase orders, oldest first.
pub const SCENES: &[Scene] = &[
    Scene {
        days_ago: 172,
        by: TECH,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(LAPTOP, 2)],
        outcome: Received { signed: true },
    },
    Scene {
        days_ago: 168,
        by: BUYER,
        company: NORTH,
        vendor: PAX8,
        lines: &[seats(BS, 40)],
        outcome: Provisioned,
    },
    Scene {
        days_ago: 165,
        by: TECH,
        company: CEDAR,
        vendor: CDW,
        lines: &[sku(TONER, 4)],
        outcome: Received { signed: false },
    },
    Scene {
        days_ago: 160,
        by: BUYER,
        company: HARBOR,
        vendor: INGRAM,
        lines: &[sku(VEEAM, 30)],
        outcome: NotProvisionable,
    },
    Scene {
        days_ago: 155,
        by: TECH,
        company: NORTH,
        vendor: CDW,
        lines: &[sku(SWITCH, 2)],
        outcome: Received { signed: false },
    },
    Scene {
        days_ago: 150,
        by: BUYER,
        company: CEDAR,
        vendor: CDW,
        lines: &[sku(LAPTOP, 1)],
        outcome: Rejected("Use the spare laptop in the Cedar office closet first."),
    },
    Scene {
        days_ago: 146,
        by: BUYER,
        company: HARBOR,
        vendor: PAX8,
        lines: &[seats(BP, 25)],
        outcome: Provisioned,
    },
    Scene {
        days_ago: 140,
        by: TECH,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(TONER, 2)],
        outcome: Received { signed: false },
    },
    Scene {
        days_ago: 135,
        by: BUYER,
        company: NORTH,
        vendor: INGRAM,
        lines: &[sku(VEEAM, 40)],
        outcome: Pushed,
    },
    Scene {
        days_ago: 130,
        by: TECH,
        company: CEDAR,
        vendor: CDW,
        lines: &[free("Cat6 patch cable, 3 ft", 20, 450)],
        outcome: Cancelled("Found spares in the stock room."),
    },
    Scene {
        days_ago: 125,
        by: BUYER,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(LAPTOP, 3)],
        outcome: Received { signed: true },
    },
    Scene {
        days_ago: 120,
        by: BUYER,
        company: NORTH,
        vendor: PAX8,
        lines: &[sku(ACRONIS, 40)],
        outcome: Provisioned,
    },
    Scene {
        days_ago: 115,
        by: TECH,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(SWITCH, 1), free("Cat6 patch cable, 3 ft", 24, 450)],
        outcome: Received { signed: false },
    },
    Scene {
        days_ago: 110,
        by: BUYER,
        company: CEDAR,
        vendor: PAX8,
        lines: &[sku(S1, 12)],
        outcome: Abandoned("Cedar & Pine keep their current antivirus until its renewal in spring."),
    },
    Scene {
        days_ago: 104,
        by: TECH,
        company: NORTH,
        vendor: CDW,
        lines: &[sku(LAPTOP, 2)],
        outcome: Received { signed: true },
    },
    Scene {
        days_ago: 98,
        by: BUYER,
        company: HARBOR,
        vendor: PAX8,
        lines: &[seats(BS, 5)],
        outcome: Provisioned,
    },
    Scene {
        days_ago: 92,
        by: TECH,
        company: CEDAR,
        vendor: CDW,
        lines: &[sku(TONER, 3)],
        outcome: Received { signed: false },
    },
    Scene {
        days_ago: 86,
        by: BUYER,
        company: NORTH,
        vendor: CDW,
        lines: &[sku(SWITCH, 4)],
        outcome: Received { signed: false },
    },
    Scene {
        days_ago: 80,
        by: BUYER,
        company: HARBOR,
        vendor: INGRAM,
        lines: &[sku(VEEAM, 25)],
        outcome: Approved { signed: false },
    },
    Scene {
        days_ago: 74,
        by: TECH,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(LAPTOP, 1)],
        outcome: Received { signed: false },
    },
    Scene {
        days_ago: 68,
        by: BUYER,
        company: NORTH,
        vendor: PAX8,
        lines: &[sku(BP, 10)],
        outcome: Provisioned,
    },
    Scene {
        days_ago: 62,
        by: TECH,
        company: CEDAR,
        vendor: CDW,
        lines: &[free("Dell 27 in monitor P2725H", 2, 24900)],
        outcome: Received { signed: false },
    },
    Scene {
        days_ago: 56,
        by: BUYER,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(SWITCH, 2)],
        outcome: Cancelled("The failing switch was replaced under warranty."),
    },
    Scene {
        days_ago: 50,
        by: TECH,
        company: NORTH,
        vendor: CDW,
        lines: &[sku(TONER, 6)],
        outcome: Rejected("Northwind's printers take the 26A cartridge, not the 58A: raise it again with the right part."),
    },
    Scene {
        days_ago: 44,
        by: BUYER,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(LAPTOP, 4)],
        outcome: PartlyReceived,
    },
    Scene {
        days_ago: 38,
        by: BUYER,
        company: NORTH,
        vendor: PAX8,
        lines: &[sku(ACRONIS, 10)],
        outcome: Provisioned,
    },
    Scene {
        days_ago: 32,
        by: TECH,
        company: CEDAR,
        vendor: CDW,
        lines: &[sku(LAPTOP, 2)],
        outcome: Received { signed: true },
    },
    Scene {
        days_ago: 27,
        by: BUYER,
        company: HARBOR,
        vendor: PAX8,
        lines: &[sku(S1, 30)],
        outcome: DispatchFailed,
    },
    Scene {
        days_ago: 22,
        by: TECH,
        company: NORTH,
        vendor: CDW,
        lines: &[sku(SWITCH, 1)],
        outcome: Approved { signed: true },
    },
    Scene {
        days_ago: 18,
        by: BUYER,
        company: CEDAR,
        vendor: INGRAM,
        lines: &[sku(VEEAM, 15)],
        outcome: NotProvisionable,
    },
    Scene {
        days_ago: 14,
        by: TECH,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(TONER, 2)],
        outcome: Received { signed: false },
    },
    Scene {
        days_ago: 11,
        by: BUYER,
        company: NORTH,
        vendor: CDW,
        lines: &[sku(LAPTOP, 5)],
        outcome: PendingSecond,
    },
    Scene {
        days_ago: 9,
        by: TECH,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(LAPTOP, 1), free("USB-C dock WD19S", 1, 21900)],
        outcome: Pending,
    },
    Scene {
        days_ago: 7,
        by: BUYER,
        company: CEDAR,
        vendor: CDW,
        lines: &[sku(SWITCH, 2)],
        outcome: Pending,
    },
    Scene {
        days_ago: 5,
        by: TECH,
        company: NORTH,
        vendor: CDW,
        lines: &[free("Zebra ZD421 label printer", 1, 38900)],
        outcome: Draft,
    },
    Scene {
        days_ago: 4,
        by: BUYER,
        company: HARBOR,
        vendor: PAX8,
        lines: &[sku(BP, 3)],
        outcome: Draft,
    },
    Scene {
        days_ago: 3,
        by: TECH,
        company: CEDAR,
        vendor: CDW,
        lines: &[free("Jabra Speak2 75 speakerphone", 1, 32900)],
        outcome: Cancelled("The client bought one locally."),
    },
    Scene {
        days_ago: 2,
        by: BUYER,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(SWITCH, 2)],
        outcome: PartlyReceived,
    },
    Scene {
        days_ago: 1,
        by: TECH,
        company: NORTH,
        vendor: INGRAM,
        lines: &[sku(VEEAM, 40)],
        outcome: Approved { signed: false },
    },
    Scene {
        days_ago: 1,
        by: TECH,
        company: HARBOR,
        vendor: CDW,
        lines: &[sku(TONER, 1)],
        outcome: Draft,
    },
];

/// What makes the history: the store, the (sandbox) distributor the engine
/// dispatches to, and QuickBooks when connected.
pub struct Maker<'a> {
    pub store: &'a Store,
    pub distributor: Arc<dyn Distributor>,
    pub qbo: Option<&'a Qbo>,
}

impl Maker<'_> {
    /// Makes the history into a database that has the demo MSP and no
    /// purchase order yet. Returns the number of POs made (0: there were
    /// POs already, nothing changed).
    pub async fn seed(&self) -> Result<usize> {
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM purchase_orders").fetch_one(self.store.pool()).await?;
        if existing > 0 {
            return Ok(0);
        }
        let before = self.store.settings().await?;
        self.store
            .update_settings(&SettingsUpdate {
                second_approval_limit_cents: Some(SECOND_LIMIT_CENTS),
                ..Default::default()
            })
            .await?;
        let made = self.scenes().await;
        self.store
            .update_settings(&SettingsUpdate {
                second_approval_limit_cents: Some(before.second_approval_limit_cents),
                ..Default::default()
            })
            .await?;
        let ids = made?;
        self.keep_current_notifications(&ids).await?;
        Ok(ids.len())
    }

    async fn scenes(&self) -> Result<Vec<(i64, Outcome)>> {
        let now = Utc::now();
        let mut made = Vec::with_capacity(SCENES.len());
        for (i, scene) in SCENES.iter().enumerate() {
            // Working hours, a little apart, never in the future.
            let start = now - Duration::days(scene.days_ago) - Duration::hours(10) + Duration::minutes(17 * (i as i64 % 5));
            let po = self.play(scene, start, now).await.map_err(|e| Error {
                message: format!("demo PO {} ({} days ago): {}", i + 1, scene.days_ago, e.message),
                ..e
            })?;
            made.push((po, scene.outcome));
        }
        Ok(made)
    }

    async fn user(&self, email: &str) -> Result<User> {
        self.store
            .list_users()
            .await?
            .into_iter()
            .find(|u| u.email == email)
            .ok_or_else(|| Error::not_found(format!("The demo user {email}")))
    }

    async fn input(&self, scene: &Scene) -> Result<PoInput> {
        let company = self
            .store
            .list_companies(None)
            .await?
            .into_iter()
            .find(|c| c.name == scene.company)
            .ok_or_else(|| Error::not_found(scene.company))?;
        let vendor = self
            .store
            .list_vendors()
            .await?
            .into_iter()
            .find(|v| v.name == scene.vendor)
            .ok_or_else(|| Error::not_found(scene.vendor))?;
        let products = self.store.list_products(Some(vendor.id), None).await?;
        let contract_lines = self.store.contract_lines_of_company(company.id).await?;
        let mut lines = Vec::new();
        for l in scene.lines {
            let line = match l.cents {
                Some(cents) => LineInput {
                    description: l.item.into(),
                    quantity: l.quantity,
                    unit_cost_cents: cents,
                    ..Default::default()
                },
                None => {
                    let p = products
                        .iter()
                        .find(|p| p.sku == l.item)
                        .ok_or_else(|| Error::not_found(format!("The demo product {}", l.item)))?;
                    let contract_line_id = if l.contract {
                        contract_lines.iter().find(|c| c.description.starts_with(&p.name)).map(|c| c.id)
                    } else {
                        None
                    };
                    LineInput {
                        description: p.name.clone(),
                        quantity: l.quantity,
                        unit_cost_cents: p.unit_cost_cents,
                        product_id: Some(p.id),
                        contract_line_id,
                        billing_term: p.billing_term.clone(),
                        commitment_term_id: p.commitment_term_id.clone(),
                        provisioning_details: Vec::new(),
                        change: None,
                    }
                }
            };
            lines.push(line);
        }
        Ok(PoInput {
            vendor_id: vendor.id,
            company_id: Some(company.id),
            ticket_id: None,
            project_id: None,
            lines,
            notes: None,
        })
    }

    /// Plays one scene from `start`; returns the PO's id.
    async fn play(&self, scene: &Scene, start: DateTime<Utc>, now: DateTime<Utc>) -> Result<i64> {
        let at = |hours: i64| clock::format((start + Duration::hours(hours)).min(now - Duration::minutes(5)));
        let by = self.user(scene.by).await?;
        let approver = self.user(APPROVER).await?;
        let buyer = self.user(BUYER).await?;
        let input = self.input(scene).await?;

        let since = clock::now();
        let po = self.store.create_po(&by, &input, scene.outcome != Draft).await?;
        self.store.stamp(po.id, &since, &at(0)).await?;
        let id = po.id;
        let signature = |signed: bool| signed.then(|| crate::purchase_orders::signature::sample_png(480, 160, true));

        match scene.outcome {
            Draft | Pending => {}
            PendingSecond => {
                self.step(id, at(3), self.store.approve_po(&approver, id, po.version, signature(true))).await?;
            }
            Rejected(reason) => {
                self.step(id, at(5), self.store.reject_po(&approver, id, po.version, reason)).await?;
            }
            Cancelled(reason) => {
                self.step(id, at(26), self.store.cancel_po(&by, id, Some(reason))).await?;
            }
            outcome => {
                let signed = matches!(outcome, Approved { signed: true } | Received { signed: true });
                let po = self.approved(&po, &approver, signature(signed), at(3)).await?;
                match outcome {
                    Received { .. } => {
                        let all = receipt(&po, false);
                        self.step(id, at(24 * 5), self.store.receive_po(&buyer, id, &all)).await?;
                    }
                    PartlyReceived => {
                        let half = receipt(&po, true);
                        self.step(id, at(24 * 4), self.store.receive_po(&buyer, id, &half)).await?;
                    }
                    Provisioned | DispatchFailed | NotProvisionable => self.dispatch(id, &buyer, at(4)).await?,
                    Abandoned(reason) => {
                        self.dispatch(id, &buyer, at(4)).await?;
                        let remediation: i64 = sqlx::query_scalar("SELECT id FROM remediations WHERE po_id = $1 AND resolved_at IS NULL ORDER BY id DESC")
                            .bind(id)
                            .fetch_one(self.store.pool())
                            .await?;
                        self.step(id, at(28), self.store.abandon_dispatch(&buyer, remediation, reason)).await?;
                    }
                    Pushed => {
                        if let Some(qbo) = self.qbo {
                            if qbo.connected().await {
                                self.step(id, at(5), qbo.push(Pusher::User(&approver), id)).await?;
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(id)
    }

    /// Runs `change` now and back-dates what it wrote to `at`.
    async fn step<T>(&self, po_id: i64, at: String, change: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        // `change` has not started yet: futures run only when awaited.
        let since = clock::now();
        let out = change.await?;
        self.store.stamp(po_id, &since, &at).await?;
        Ok(out)
    }

    /// The PO approved: as submitted under the limit, or by the approver.
    async fn approved(&self, po: &PurchaseOrder, approver: &User, signature: Option<Vec<u8>>, at: String) -> Result<PurchaseOrder> {
        if po.status == PoStatus::Approved {
            return Ok(po.clone());
        }
        self.step(po.id, at, self.store.approve_po(approver, po.id, po.version, signature)).await
    }

    /// Requests the dispatch and runs the engine against the distributor
    /// until nothing is due (the sandbox provisions in a few polls).
    async fn dispatch(&self, po_id: i64, buyer: &User, at: String) -> Result<()> {
        let since = clock::now();
        self.store.request_dispatch(buyer, po_id).await?;
        let engine = Engine {
            store: self.store.clone(),
            distributor: self.distributor.clone(),
            owner: "demo-history".into(),
            timing: Timing {
                reconcile_grace: Duration::zero(),
                poll_every: Duration::zero(),
                retry_after: Duration::zero(),
                poll_max: Duration::zero(),
                ..Timing::default()
            },
        };
        // A handful of steps: send, then a poll per subscription read.
        for _ in 0..40 {
            if !engine.run_once().await? {
                break;
            }
        }
        self.store.stamp(po_id, &since, &at).await
    }

    /// The history's notifications were sent long ago: only those about
    /// what is still waiting (approval requests, a failed dispatch) stay in
    /// the outbox, for the sandbox mailbox to show.
    async fn keep_current_notifications(&self, made: &[(i64, Outcome)]) -> Result<()> {
        let mut tx = self.store.begin_write().await?;
        for (po_id, outcome) in made {
            let keep = match outcome {
                Pending | PendingSecond => "po.submitted",
                DispatchFailed => "dispatch.failed",
                _ => "",
            };
            sqlx::query("DELETE FROM deliveries WHERE notification_id IN (SELECT id FROM notifications WHERE po_id = $1 AND event <> $2)")
                .bind(po_id)
                .bind(keep)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM notifications WHERE po_id = $1 AND event <> $2")
                .bind(po_id)
                .bind(keep)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Everything outstanding, or half of it (at least one) per line.
fn receipt(po: &PurchaseOrder, half: bool) -> Vec<ReceiptLine> {
    po.lines
        .iter()
        .map(|l| ReceiptLine {
            line_id: l.id,
            quantity: if half { (l.quantity / 2).max(1) } else { l.quantity - l.received_quantity },
        })
        .collect()
}
