//! Purchase orders as rows: the SELECT a PO is read with, its lines as one
//! JSON array, and the mapping into the shared models.

use super::*;
use crate::store::to_bool;
use crate::{Error, Result};
use sqlx::any::AnyRow;
use sqlx::Row;

pub(super) const PO_SELECT: &str = "SELECT p.id, p.number, p.status, p.version, p.vendor_id, v.name AS vendor_name, v.distributor AS vendor_distributor,
    p.company_id, c.name AS company_name, p.ticket_id, t.title AS ticket_title, p.project_id, pr.name AS project_name,
    p.currency, p.notes, p.total_cents, p.created_by, cu.name AS created_by_name, p.created_at, p.updated_at,
    p.approval_kind, p.approved_by, au.name AS approved_by_name, p.approved_at, p.approval_limit_cents, p.signature_id, s.sha256 AS signature_sha256,
    p.rejected_by, ru.name AS rejected_by_name, p.rejected_at, p.rejection_reason,
    p.cancelled_by, xu.name AS cancelled_by_name, p.cancelled_at, p.cancel_reason,
    p.qbo_id, p.qbo_pushed_at, p.qbo_error, p.procurement_status, p.self_approved,
    p.snapshot, p.revision, p.approvals_required, c.pax8_company_id AS company_pax8_id,
    p.first_approved_by, fu.name AS first_approved_by_name, p.first_approved_at, p.first_signature_id, fs.sha256 AS first_signature_sha256";

pub(super) const PO_FROM: &str = "FROM purchase_orders p
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
pub(super) const LINE_FIELDS: [&str; 12] = [
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
];

/// One line as [`LINE_FIELDS`] give it.
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
}

pub(super) fn person(id: Option<i64>, name: Option<String>) -> Option<Person> {
    name.map(|name| Person { id, name })
}

/// A stored dispatch status; one this version does not know is an error.
pub(super) fn dispatch_status_of(s: Option<String>) -> Result<Option<DispatchStatus>> {
    s.map(|s| {
        DispatchStatus::parse(&s).ok_or_else(|| {
            tracing::error!(status = %s, "a stored dispatch status is not one this version knows");
            Error::internal()
        })
    })
    .transpose()
}

pub(super) fn status_of(s: &str) -> Result<PoStatus> {
    PoStatus::parse(s).ok_or_else(Error::internal)
}

pub(super) fn po_from_row(r: &AnyRow, lines: Vec<PoLine>) -> Result<PurchaseOrder> {
    let id: i64 = r.try_get("id")?;
    let approval = match r.try_get::<Option<String>, _>("approval_kind")?.as_deref() {
        Some(kind) => Some(Approval {
            kind: if kind == "auto" { ApprovalKind::Auto } else { ApprovalKind::Manual },
            by: person(r.try_get("approved_by")?, r.try_get("approved_by_name")?),
            at: r.try_get::<Option<String>, _>("approved_at")?.unwrap_or_default(),
            limit_cents: r.try_get("approval_limit_cents")?,
            signature_url: r
                .try_get::<Option<i64>, _>("signature_id")?
                .map(|_| format!("/purchase-orders/{id}/signature.png")),
            signature_sha256: r.try_get("signature_sha256")?,
        }),
        None => None,
    };
    let first = match r.try_get::<Option<String>, _>("first_approved_at")? {
        Some(at) => Some(Approval {
            kind: ApprovalKind::Manual,
            by: person(r.try_get("first_approved_by")?, r.try_get("first_approved_by_name")?),
            at,
            limit_cents: None,
            signature_url: r
                .try_get::<Option<i64>, _>("first_signature_id")?
                .map(|_| format!("/purchase-orders/{id}/signature.png?approval=1")),
            signature_sha256: r.try_get("first_signature_sha256")?,
        }),
        None => None,
    };
    let approvals = first.into_iter().chain(approval.clone()).collect();
    let rejection = match r.try_get::<Option<String>, _>("rejection_reason")? {
        Some(reason) => Some(Rejection {
            by: person(r.try_get("rejected_by")?, r.try_get("rejected_by_name")?).unwrap_or(Person {
                id: None,
                name: "unknown".into(),
            }),
            at: r.try_get::<Option<String>, _>("rejected_at")?.unwrap_or_default(),
            reason,
        }),
        None => None,
    };
    let cancellation = match r.try_get::<Option<String>, _>("cancelled_at")? {
        Some(at) => Some(Cancellation {
            by: person(r.try_get("cancelled_by")?, r.try_get("cancelled_by_name")?).unwrap_or(Person {
                id: None,
                name: "unknown".into(),
            }),
            at,
            reason: r.try_get("cancel_reason")?,
        }),
        None => None,
    };
    let (qbo_id, qbo_pushed_at, qbo_error): (Option<String>, Option<String>, Option<String>) =
        (r.try_get("qbo_id")?, r.try_get("qbo_pushed_at")?, r.try_get("qbo_error")?);
    let qbo = (qbo_id.is_some() || qbo_error.is_some()).then_some(QboState {
        id: qbo_id,
        pushed_at: qbo_pushed_at,
        error: qbo_error,
    });
    let distributor: Option<String> = r.try_get("vendor_distributor")?;
    Ok(PurchaseOrder {
        id,
        number: r.try_get("number")?,
        status: status_of(&r.try_get::<String, _>("status")?)?,
        version: r.try_get("version")?,
        vendor: VendorRef {
            id: r.try_get("vendor_id")?,
            name: r.try_get("vendor_name")?,
            distributor: distributor.as_deref().and_then(crate::catalog::Distributor::parse),
        },
        company: Named {
            id: r.try_get("company_id")?,
            name: r.try_get("company_name")?,
        },
        ticket: match r.try_get::<Option<i64>, _>("ticket_id")? {
            Some(id) => Some(Named {
                id,
                name: r.try_get("ticket_title")?,
            }),
            None => None,
        },
        project: match r.try_get::<Option<i64>, _>("project_id")? {
            Some(id) => Some(Named {
                id,
                name: r.try_get("project_name")?,
            }),
            None => None,
        },
        lines,
        total_cents: r.try_get("total_cents")?,
        currency: r.try_get("currency")?,
        notes: r.try_get("notes")?,
        created_by: Person {
            id: r.try_get("created_by")?,
            name: r.try_get("created_by_name")?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        approval,
        rejection,
        cancellation,
        qbo,
        procurement_status: dispatch_status_of(r.try_get("procurement_status")?)?,
        self_approved: to_bool(r.try_get("self_approved")?),
        approvals_required: r.try_get("approvals_required")?,
        approvals,
        snapshot: match r.try_get::<Option<String>, _>("snapshot")? {
            Some(j) => Some(crate::store::from_json(&j, "PO snapshot")?),
            None => None,
        },
        catalog_changes: vec![],
        revision: match r.try_get::<Option<String>, _>("revision")? {
            Some(j) => Some(crate::store::from_json(&j, "PO revision")?),
            None => None,
        },
    })
}

pub(super) fn lines_from_json(json: &str) -> Result<Vec<PoLine>> {
    let rows: Vec<LineRow> = serde_json::from_str(json).map_err(|e| {
        tracing::error!(error = %e, "a PO's lines did not read back from their JSON");
        Error::internal()
    })?;
    rows.into_iter()
        .map(|r| {
            Ok(PoLine {
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
        .collect()
}
