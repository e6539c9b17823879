//! Purchase orders as rows: the SELECT a PO is read with, its lines as one
//! JSON array, and the mapping into the shared models.

use super::snapshot::{LiveProduct, OwnTerms};
use super::*;
use crate::store::{json_objects_sql, to_bool, Backend};
use crate::{Error, Result};
use std::collections::HashMap;
use std::sync::OnceLock;

const PO_SELECT: &str = "SELECT p.id, p.number, p.status, p.version, p.vendor_id, v.name AS vendor_name, v.distributor AS vendor_distributor,
    p.company_id, c.name AS company_name, p.ticket_id, t.title AS ticket_title, p.project_id, pr.name AS project_name,
    p.currency, p.notes, p.total_cents, p.created_by, cu.name AS created_by_name, p.created_at, p.updated_at,
    p.approval_kind, p.approved_by, au.name AS approved_by_name, p.approved_at, p.approval_limit_cents, p.signature_id, s.sha256 AS signature_sha256,
    p.rejected_by, ru.name AS rejected_by_name, p.rejected_at, p.rejection_reason,
    p.cancelled_by, xu.name AS cancelled_by_name, p.cancelled_at, p.cancel_reason,
    p.qbo_id, p.qbo_pushed_at, p.qbo_error, p.procurement_status, p.self_approved,
    p.snapshot, p.revision, p.approvals_required, c.pax8_company_id AS company_pax8_id,
    p.first_approved_by, fu.name AS first_approved_by_name, p.first_approved_at, p.first_signature_id, fs.sha256 AS first_signature_sha256";

const PO_FROM: &str = "FROM purchase_orders p
  JOIN vendors v ON v.id = p.vendor_id
  JOIN companies c ON c.id = p.company_id
  LEFT JOIN tickets t ON t.id = p.ticket_id
  LEFT JOIN projects pr ON pr.id = p.project_id
  JOIN users cu ON cu.id = p.created_by
  LEFT JOIN users au ON au.id = p.approved_by
  LEFT JOIN users ru ON ru.id = p.rejected_by
  LEFT JOIN users xu ON xu.id = p.cancelled_by
  LEFT JOIN po_signatures s ON s.id = p.signature_id
  LEFT JOIN users fu ON fu.id = p.first_approved_by
  LEFT JOIN po_signatures fs ON fs.id = p.first_signature_id";

/// A line's fields, as [`LineRow`] reads them back.
const LINE_FIELDS: [&str; 16] = [
    "id",
    "line_no",
    "description",
    "quantity",
    "received_quantity",
    "unit_cost_cents",
    "product_id",
    "contract_line_id",
    "billing_term",
    "commitment_term_id",
    "provisioning_details",
    "catalog_unit_cost_cents",
    "change_subscription_id",
    "change_from_quantity",
    "change_to_quantity",
    "change_cancel_date",
];

/// Each line's catalog product as it is now (`cp`, joined on the line's
/// product where the PO shows catalog changes), read beside the line so
/// that a get compares it with what was approved without a second query.
const LIVE_FIELDS: [(&str, &str); 7] = [
    ("live_id", "cp.id"),
    ("live_name", "cp.name"),
    ("live_sku", "cp.sku"),
    ("live_distributor_product_id", "cp.distributor_product_id"),
    ("live_billing_term", "cp.billing_term"),
    ("live_commitment_term_id", "cp.commitment_term_id"),
    ("live_unit_cost_cents", "cp.unit_cost_cents"),
];

/// The one query a PO is read with: the PO, its names, and its lines with
/// their catalog products now as one JSON array (`lines_json`). Built once
/// per dialect.
pub(super) fn po_by_id_sql(backend: Backend) -> &'static str {
    static SQLITE: OnceLock<String> = OnceLock::new();
    static POSTGRES: OnceLock<String> = OnceLock::new();
    let cell = match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    };
    cell.get_or_init(|| {
        let fields: Vec<(&str, String)> = LINE_FIELDS
            .iter()
            .map(|f| (*f, format!("x.{f}")))
            .chain(LIVE_FIELDS.iter().map(|(name, expr)| (*name, expr.to_string())))
            .collect();
        // The products only for a PO that shows its catalog changes; for
        // the others the live fields are null and cost no lookup.
        let source = format!(
            "po_lines x LEFT JOIN products cp ON cp.id = x.product_id AND {} WHERE x.po_id = p.id",
            super::read::shows_catalog_changes_sql()
        );
        let lines = json_objects_sql(backend, &fields, &source, "x.line_no");
        format!("{PO_SELECT}, ({lines}) AS lines_json {PO_FROM} WHERE p.id = $1")
    })
}

/// Per PO line (by id), its own terms and its catalog product now (`None`:
/// the product was deleted); lines without a product are not in it.
pub(super) type LiveLines = HashMap<i64, (OwnTerms, Option<LiveProduct>)>;

/// One line as [`po_by_id_sql`] gives it ([`LINE_FIELDS`], and the
/// [`LIVE_FIELDS`] where the query joins them).
#[derive(serde::Deserialize)]
struct LineRow {
    id: i64,
    line_no: i64,
    description: String,
    quantity: i64,
    received_quantity: i64,
    unit_cost_cents: i64,
    product_id: Option<i64>,
    contract_line_id: Option<i64>,
    billing_term: Option<String>,
    commitment_term_id: Option<String>,
    provisioning_details: String,
    catalog_unit_cost_cents: Option<i64>,
    change_subscription_id: Option<i64>,
    change_from_quantity: Option<i64>,
    change_to_quantity: Option<i64>,
    change_cancel_date: Option<String>,
    live_id: Option<i64>,
    live_name: Option<String>,
    live_sku: Option<String>,
    live_distributor_product_id: Option<String>,
    live_billing_term: Option<String>,
    live_commitment_term_id: Option<String>,
    live_unit_cost_cents: Option<i64>,
}

impl LineRow {
    /// A change line's change; one without the seats it changes from did
    /// not read back.
    fn change(&self) -> Result<Option<LineChange>> {
        let Some(subscription_id) = self.change_subscription_id else {
            return Ok(None);
        };
        let from_quantity = self
            .change_from_quantity
            .ok_or_else(|| Error::internal_from("reading a change line", "a change without the seats it changes from"))?;
        Ok(Some(LineChange {
            subscription_id,
            from_quantity,
            to_quantity: self.change_to_quantity,
            cancel: self.change_to_quantity.is_none(),
            cancel_date: self.change_cancel_date.clone(),
        }))
    }

    /// The catalog product now; a product row without its name or price
    /// did not read back.
    fn live(&self) -> Result<Option<LiveProduct>> {
        let Some(_) = self.live_id else { return Ok(None) };
        let missing = |what| Error::internal_from("reading a PO line's catalog product", what);
        Ok(Some(LiveProduct {
            name: self.live_name.clone().ok_or_else(|| missing("a product without its name"))?,
            sku: self.live_sku.clone().ok_or_else(|| missing("a product without its SKU"))?,
            distributor_product_id: self.live_distributor_product_id.clone(),
            billing_term: self.live_billing_term.clone(),
            commitment_term_id: self.live_commitment_term_id.clone(),
            unit_cost_cents: self.live_unit_cost_cents.ok_or_else(|| missing("a product without its cost"))?,
        }))
    }
}

pub(super) fn person(id: Option<i64>, name: Option<String>) -> Option<Person> {
    name.map(|name| Person { id, name })
}

/// A stored dispatch status; one this version does not know is an error.
pub(super) fn dispatch_status_of(s: Option<String>) -> Result<Option<DispatchStatus>> {
    s.map(|s| DispatchStatus::from_stored(&s)).transpose()
}

pub(super) fn status_of(s: &str) -> Result<PoStatus> {
    PoStatus::from_stored(s)
}

/// A PO as [`PO_SELECT`] gives it, with its lines as one JSON array
/// (`lines_json`); [`PoRow::into_model`] makes the shared model of it.
#[derive(sqlx::FromRow)]
pub(super) struct PoRow {
    id: i64,
    number: String,
    status: String,
    version: i64,
    vendor_id: i64,
    vendor_name: String,
    vendor_distributor: Option<String>,
    company_id: i64,
    company_name: String,
    ticket_id: Option<i64>,
    ticket_title: Option<String>,
    project_id: Option<i64>,
    project_name: Option<String>,
    currency: String,
    notes: String,
    total_cents: i64,
    created_by: i64,
    created_by_name: String,
    created_at: String,
    updated_at: String,
    approval_kind: Option<String>,
    approved_by: Option<i64>,
    approved_by_name: Option<String>,
    approved_at: Option<String>,
    approval_limit_cents: Option<i64>,
    signature_id: Option<i64>,
    signature_sha256: Option<String>,
    rejected_by: Option<i64>,
    rejected_by_name: Option<String>,
    rejected_at: Option<String>,
    rejection_reason: Option<String>,
    cancelled_by: Option<i64>,
    cancelled_by_name: Option<String>,
    cancelled_at: Option<String>,
    cancel_reason: Option<String>,
    qbo_id: Option<String>,
    qbo_pushed_at: Option<String>,
    qbo_error: Option<String>,
    procurement_status: Option<String>,
    self_approved: i64,
    snapshot: Option<String>,
    revision: Option<String>,
    approvals_required: i64,
    /// The company's Pax8 id now (beside the snapshot's).
    pub(super) company_pax8_id: Option<String>,
    first_approved_by: Option<i64>,
    first_approved_by_name: Option<String>,
    first_approved_at: Option<String>,
    first_signature_id: Option<i64>,
    first_signature_sha256: Option<String>,
    lines_json: String,
}

/// Someone named on a PO whose name may be gone: "unknown".
fn named_or_unknown(id: Option<i64>, name: Option<String>) -> Person {
    person(id, name).unwrap_or(Person {
        id: None,
        name: "unknown".into(),
    })
}

impl PoRow {
    /// The PO, and beside it its lines' catalog products now.
    pub(super) fn into_model(self) -> Result<(PurchaseOrder, LiveLines)> {
        let id = self.id;
        let (lines, live) = lines_from_json(&self.lines_json)?;
        let approval = match self.approval_kind.as_deref() {
            Some(kind) => Some(Approval {
                kind: ApprovalKind::from_stored(kind)?,
                by: person(self.approved_by, self.approved_by_name.clone()),
                at: self
                    .approved_at
                    .clone()
                    .ok_or_else(|| Error::internal_from("reading a PO's approval", "an approval without its time"))?,
                limit_cents: self.approval_limit_cents,
                signature_url: self.signature_id.map(|_| format!("/purchase-orders/{id}/signature.png")),
                signature_sha256: self.signature_sha256.clone(),
            }),
            None => None,
        };
        let first = self.first_approved_at.clone().map(|at| Approval {
            kind: ApprovalKind::Manual,
            by: person(self.first_approved_by, self.first_approved_by_name.clone()),
            at,
            limit_cents: None,
            signature_url: self.first_signature_id.map(|_| format!("/purchase-orders/{id}/signature.png?approval=1")),
            signature_sha256: self.first_signature_sha256.clone(),
        });
        let approvals = first.into_iter().chain(approval.clone()).collect();
        let rejection = match self.rejection_reason {
            Some(reason) => Some(Rejection {
                by: named_or_unknown(self.rejected_by, self.rejected_by_name),
                at: self
                    .rejected_at
                    .ok_or_else(|| Error::internal_from("reading a PO's rejection", "a rejection without its time"))?,
                reason,
            }),
            None => None,
        };
        let cancellation = self.cancelled_at.map(|at| Cancellation {
            by: named_or_unknown(self.cancelled_by, self.cancelled_by_name),
            at,
            reason: self.cancel_reason,
        });
        let qbo = (self.qbo_id.is_some() || self.qbo_error.is_some()).then_some(QboState {
            id: self.qbo_id,
            pushed_at: self.qbo_pushed_at,
            error: self.qbo_error,
        });
        let po = PurchaseOrder {
            id,
            number: self.number,
            status: status_of(&self.status)?,
            version: self.version,
            vendor: VendorRef {
                id: self.vendor_id,
                name: self.vendor_name,
                distributor: self.vendor_distributor.as_deref().map(crate::catalog::Distributor::from_stored).transpose()?,
            },
            company: Named {
                id: self.company_id,
                name: self.company_name,
            },
            ticket: self.ticket_id.map(|id| Named {
                id,
                name: self.ticket_title.unwrap_or_default(),
            }),
            project: self.project_id.map(|id| Named {
                id,
                name: self.project_name.unwrap_or_default(),
            }),
            lines,
            total_cents: self.total_cents,
            currency: self.currency,
            notes: self.notes,
            created_by: Person {
                id: Some(self.created_by),
                name: self.created_by_name,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
            approval,
            rejection,
            cancellation,
            qbo,
            procurement_status: dispatch_status_of(self.procurement_status)?,
            self_approved: to_bool(self.self_approved),
            approvals_required: self.approvals_required,
            approvals,
            snapshot: self.snapshot.map(|j| crate::store::from_json(&j, "PO snapshot")).transpose()?,
            catalog_changes: vec![],
            revision: self.revision.map(|j| crate::store::from_json(&j, "PO revision")).transpose()?,
        };
        Ok((po, live))
    }
}

fn lines_from_json(json: &str) -> Result<(Vec<PoLine>, LiveLines)> {
    let rows: Vec<LineRow> = crate::store::from_json(json, "a PO's lines")?;
    let mut live = LiveLines::new();
    let lines = rows
        .into_iter()
        .map(|r| {
            if r.product_id.is_some() {
                let own = OwnTerms {
                    billing_term: r.billing_term.clone(),
                    commitment_term_id: r.commitment_term_id.clone(),
                };
                live.insert(r.id, (own, r.live()?));
            }
            let change = r.change()?;
            Ok(PoLine {
                change,
                id: r.id,
                line_no: r.line_no,
                description: r.description,
                quantity: r.quantity,
                received_quantity: r.received_quantity,
                unit_cost_cents: r.unit_cost_cents,
                total_cents: r.quantity * r.unit_cost_cents,
                product_id: r.product_id,
                contract_line_id: r.contract_line_id,
                billing_term: r.billing_term,
                commitment_term_id: r.commitment_term_id,
                provisioning_details: crate::store::from_json(&r.provisioning_details, "provisioning details")?,
                catalog_unit_cost_cents: r.catalog_unit_cost_cents,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((lines, live))
}

/// The columns [`EventRow`] reads from `po_events`.
pub(super) const EVENT_COLUMNS: &str = "id, at, actor_id, actor_name, kind, message, data";

/// A timeline entry as stored.
#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    id: i64,
    at: String,
    actor_id: Option<i64>,
    actor_name: String,
    kind: String,
    message: String,
    data: String,
}

impl EventRow {
    pub(super) fn into_model(self) -> Result<TimelineEvent> {
        Ok(TimelineEvent {
            id: self.id,
            at: self.at,
            actor: Person {
                id: self.actor_id,
                name: self.actor_name,
            },
            kind: EventKind::from_stored(&self.kind)?,
            message: self.message,
            data: crate::store::from_json(&self.data, "timeline event data")?,
        })
    }
}
