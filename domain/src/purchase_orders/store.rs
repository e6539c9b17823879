//! Purchase orders in the store. Every change is one transaction that locks
//! the PO (SQLite: the write lock; PostgreSQL: `FOR UPDATE`), checks the
//! lifecycle rules, bumps `version` and appends to the timeline.

use super::policy;
use super::rules::{self, Action, PoFacts};
use super::*;
use crate::store::{fts_trigrams, like_pattern, to_bool, Backend, Tx};
use crate::users::User;
use crate::{clock, Error, ErrorCode, Result, Store};
use chrono::Datelike;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;
/// How many of the newest POs a search on SQLite reads before it asks the
/// trigram index (see `list_pos`).
const NEWEST_FIRST: i64 = 500;

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

/// A list row's fields, as the list's JSON page names them.
const SUMMARY_FIELDS: [&str; 15] = [
    "id",
    "number",
    "status",
    "vendor_id",
    "vendor_name",
    "company_id",
    "company_name",
    "ticket_id",
    "project_id",
    "total_cents",
    "currency",
    "created_at",
    "created_by",
    "created_by_name",
    "procurement_status",
];

#[derive(serde::Deserialize)]
struct SummaryRow {
    id: i64,
    number: String,
    status: String,
    vendor_id: i64,
    vendor_name: String,
    company_id: i64,
    company_name: String,
    ticket_id: Option<i64>,
    project_id: Option<i64>,
    total_cents: i64,
    currency: String,
    created_at: String,
    created_by: i64,
    created_by_name: String,
    procurement_status: Option<String>,
}

/// A line's fields, as [`LineRow`] reads them back.
const LINE_FIELDS: [&str; 12] = [
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

/// `SELECT` of the rows of `source` (aliased `x`) as one JSON array of
/// objects with `fields`, in `order`: one row to hand over instead of many
/// (sqlx passes each row of a SQLite result between threads on its own).
pub(super) fn json_rows_sql(backend: Backend, fields: &[&str], source: &str, order: &str) -> String {
    let pairs = fields.iter().map(|f| format!("'{f}', x.{f}")).collect::<Vec<_>>().join(", ");
    match backend {
        Backend::Sqlite => format!("SELECT json_group_array(json_object({pairs}) ORDER BY {order}) FROM {source}"),
        Backend::Postgres => format!("SELECT COALESCE(json_agg(json_build_object({pairs}) ORDER BY {order}), '[]')::text FROM {source}"),
    }
}

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

fn person(id: Option<i64>, name: Option<String>) -> Option<Person> {
    name.map(|name| Person { id, name })
}

fn status_of(s: &str) -> Result<PoStatus> {
    PoStatus::parse(s).ok_or_else(Error::internal)
}

fn po_from_row(r: &AnyRow, lines: Vec<PoLine>) -> Result<PurchaseOrder> {
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
            distributor: distributor.as_deref().and_then(crate::reference::Distributor::parse),
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
        procurement_status: r.try_get("procurement_status")?,
        self_approved: to_bool(r.try_get("self_approved")?),
        approvals_required: r.try_get("approvals_required")?,
        approvals,
        snapshot: match r.try_get::<Option<String>, _>("snapshot")? {
            Some(j) => Some(super::snapshot_store::from_json(&j, "PO snapshot")?),
            None => None,
        },
        catalog_changes: vec![],
        revision: match r.try_get::<Option<String>, _>("revision")? {
            Some(j) => Some(super::snapshot_store::from_json(&j, "PO revision")?),
            None => None,
        },
    })
}

fn lines_from_json(json: &str) -> Result<Vec<PoLine>> {
    let rows: Vec<LineRow> = serde_json::from_str(json).map_err(|e| {
        tracing::error!(error = %e, "a PO's lines did not read back from their JSON");
        Error::internal()
    })?;
    Ok(rows
        .into_iter()
        .map(|r| PoLine {
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
            provisioning_details: serde_json::from_str(&r.provisioning_details).unwrap_or_default(),
            catalog_unit_cost_cents: r.catalog_unit_cost_cents,
        })
        .collect())
}

/// The company, ticket and project a PO is raised against, checked.
struct Target {
    company_id: i64,
    company_name: String,
    ticket: Option<(i64, String)>,
    project: Option<(i64, String)>,
}

/// The locked state of a PO inside a change.
struct Locked {
    version: i64,
    facts: PoFacts,
}

/// What a create or edit stores, checked.
struct Checked {
    target: Target,
    vendor: crate::reference::Vendor,
    lines: Vec<LineInput>,
    /// Per line, the catalog's unit cost (a catalog line).
    catalog_cents: Vec<Option<i64>>,
    notes: String,
}

impl Checked {
    fn total(&self) -> i64 {
        rules::po_total(self.lines.iter().map(|l| (l.quantity, l.unit_cost_cents))).unwrap_or_default()
    }

    /// The lines priced differently from the catalog, for the timeline.
    fn overrides(&self) -> Vec<serde_json::Value> {
        self.lines
            .iter()
            .zip(&self.catalog_cents)
            .enumerate()
            .filter_map(|(i, (l, c))| {
                c.filter(|c| *c != l.unit_cost_cents)
                    .map(|c| json!({"line_no": i + 1, "unit_cost_cents": l.unit_cost_cents, "catalog_unit_cost_cents": c}))
            })
            .collect()
    }

    /// "; price override on line 1: $0.00 instead of the catalog's $22.00".
    fn overrides_in_words(&self) -> String {
        self.overrides()
            .iter()
            .map(|o| {
                format!(
                    "; price override on line {}: {} instead of the catalog's {}",
                    o["line_no"],
                    dollars(o["unit_cost_cents"].as_i64().unwrap_or_default()),
                    dollars(o["catalog_unit_cost_cents"].as_i64().unwrap_or_default())
                )
            })
            .collect()
    }
}

/// Clears an approval (and its first half) and the snapshot: the PO needs
/// a new approval of what it orders.
const WITHDRAW_APPROVAL: &str =
    "approval_kind = NULL, approved_by = NULL, approved_at = NULL, approval_limit_cents = NULL, signature_id = NULL, self_approved = 0,
    first_approved_by = NULL, first_approved_at = NULL, first_signature_id = NULL";

async fn event(tx: &mut Tx, po_id: i64, actor: Option<&User>, kind: &str, message: &str, data: serde_json::Value) -> Result<()> {
    timeline_event(tx, po_id, actor, "System", kind, message, data).await
}

/// Appends to a PO's timeline; `system` names the actor when no user acted.
pub(crate) async fn timeline_event(
    tx: &mut Tx,
    po_id: i64,
    actor: Option<&User>,
    system: &str,
    kind: &str,
    message: &str,
    data: serde_json::Value,
) -> Result<()> {
    sqlx::query("INSERT INTO po_events (po_id, at, actor_id, actor_name, kind, message, data) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(po_id)
        .bind(clock::now())
        .bind(actor.map(|a| a.id))
        .bind(actor.map(|a| a.name.clone()).unwrap_or_else(|| system.to_string()))
        .bind(kind)
        .bind(message)
        .bind(data.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A bound argument of a query built from filters.
enum Arg {
    Int(i64),
    Text(String),
}

impl Arg {
    fn bind<'q, O>(
        &self,
        q: sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        match self {
            Arg::Int(v) => q.bind(*v),
            Arg::Text(v) => q.bind(v.clone()),
        }
    }
}

fn dollars(cents: i64) -> String {
    format!("${}", crate::money::format_cents(cents))
}

impl Store {
    async fn resolve_target(&self, input: &PoInput) -> Result<Target> {
        let given = [input.company_id.is_some(), input.ticket_id.is_some(), input.project_id.is_some()]
            .iter()
            .filter(|b| **b)
            .count();
        if given != 1 {
            return Err(Error::validation(
                "company_id",
                "Raise the purchase order against exactly one of a company, a ticket or a project.",
            ));
        }
        if let Some(id) = input.ticket_id {
            let t = self
                .get_ticket(id)
                .await
                .map_err(|_| Error::validation("ticket_id", "No ticket has this id."))?;
            let c = self.get_company(t.company_id).await?;
            return Ok(Target {
                company_id: c.id,
                company_name: c.name,
                ticket: Some((t.id, t.title)),
                project: None,
            });
        }
        if let Some(id) = input.project_id {
            let p = self
                .get_project(id)
                .await
                .map_err(|_| Error::validation("project_id", "No project has this id."))?;
            let c = self.get_company(p.company_id).await?;
            return Ok(Target {
                company_id: c.id,
                company_name: c.name,
                ticket: None,
                project: Some((p.id, p.name)),
            });
        }
        let c = self
            .get_company(input.company_id.unwrap_or_default())
            .await
            .map_err(|_| Error::validation("company_id", "No company has this id."))?;
        Ok(Target {
            company_id: c.id,
            company_name: c.name,
            ticket: None,
            project: None,
        })
    }

    /// Checks everything a create or edit depends on; returns what to store.
    /// A catalog line's product belongs to the PO's vendor; its catalog price
    /// is kept beside the line's (a different one is an override).
    async fn checked_input(&self, input: &PoInput) -> Result<Checked> {
        let vendor = self
            .get_vendor(input.vendor_id)
            .await
            .map_err(|_| Error::validation("vendor_id", "Choose a vendor: no vendor has this id."))?;
        let target = self.resolve_target(input).await?;
        let lines = rules::validate_lines(&input.lines)?;
        let mut catalog_cents = Vec::with_capacity(lines.len());
        for (i, l) in lines.iter().enumerate() {
            let product = match l.product_id {
                Some(p) => Some(
                    self.get_product(p)
                        .await
                        .map_err(|_| Error::validation(format!("lines[{i}].product_id"), "No product has this id."))?,
                ),
                None => None,
            };
            if let Some(p) = &product {
                if p.vendor_id != vendor.id {
                    let owner = self.get_vendor(p.vendor_id).await.map(|v| v.name).unwrap_or_default();
                    return Err(Error::validation(
                        format!("lines[{i}].product_id"),
                        format!(
                            "Line {}: {} is a catalog product of {owner}, not of {}; choose one of {}'s products or another vendor.",
                            i + 1,
                            p.name,
                            vendor.name,
                            vendor.name
                        ),
                    ));
                }
            }
            catalog_cents.push(product.map(|p| p.unit_cost_cents));
            if let Some(cl) = l.contract_line_id {
                let line = self
                    .get_contract_line(cl)
                    .await
                    .map_err(|_| Error::validation(format!("lines[{i}].contract_line_id"), "No contract line has this id."))?;
                let contract = self.get_contract(line.contract_id).await?;
                if contract.company_id != target.company_id {
                    return Err(Error::validation(
                        format!("lines[{i}].contract_line_id"),
                        "This contract line belongs to another company's contract.",
                    ));
                }
            }
        }
        let notes = crate::validate::optional_text("notes", input.notes.as_deref(), rules::MAX_NOTES)?.unwrap_or_default();
        Ok(Checked {
            target,
            vendor,
            lines,
            catalog_cents,
            notes,
        })
    }

    fn search_text(number: &str, vendor: &str, target: &Target, lines: &[LineInput]) -> String {
        let titles = target.ticket.iter().chain(target.project.iter()).map(|(_, t)| t.as_str());
        super::search::search_text(
            [number, vendor, &target.company_name]
                .into_iter()
                .chain(titles)
                .chain(lines.iter().map(|l| l.description.as_str())),
        )
    }

    /// All the lines in one statement (at most `MAX_LINES` × 10 values, within
    /// both databases' limits): fewer round trips while the write lock is held.
    async fn insert_lines(tx: &mut Tx, po_id: i64, lines: &[LineInput], catalog_cents: &[Option<i64>]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let values = (0..lines.len())
            .map(|i| {
                let n = i * 11;
                let p: Vec<String> = (1..=11).map(|k| format!("${}", n + k)).collect();
                format!("({}, {}, {}, {}, 0, {})", p[0], p[1], p[2], p[3], p[4..].join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO po_lines (po_id, line_no, description, quantity, received_quantity, unit_cost_cents, product_id, contract_line_id, billing_term, commitment_term_id, provisioning_details, catalog_unit_cost_cents)
             VALUES {values}"
        );
        let mut q = sqlx::query(&sql);
        for (i, (l, c)) in lines.iter().zip(catalog_cents).enumerate() {
            q = q
                .bind(po_id)
                .bind(i as i64 + 1)
                .bind(l.description.clone())
                .bind(l.quantity)
                .bind(l.unit_cost_cents)
                .bind(l.product_id)
                .bind(l.contract_line_id)
                .bind(l.billing_term.clone())
                .bind(l.commitment_term_id.clone())
                .bind(serde_json::to_string(&l.provisioning_details).unwrap_or_else(|_| "[]".into()))
                .bind(*c);
        }
        q.execute(&mut **tx).await?;
        Ok(())
    }

    /// Raises a PO with the next number of the year; submits it when asked.
    pub async fn create_po(&self, actor: &User, input: &PoInput, submit: bool) -> Result<PurchaseOrder> {
        let checked = self.checked_input(input).await?;
        let total = checked.total();
        let Checked {
            target,
            vendor,
            lines,
            catalog_cents,
            notes,
        } = &checked;
        let currency = self.settings().await?.currency;
        let now = clock::now();
        let year = chrono::Utc::now().year();
        let mut tx = self.begin_write().await?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO po_counters (year, last) VALUES ($1, 1) ON CONFLICT (year) DO UPDATE SET last = po_counters.last + 1 RETURNING last",
        )
        .bind(year as i64)
        .fetch_one(&mut *tx)
        .await?;
        let number = rules::format_number(year, seq);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO purchase_orders (number, status, version, vendor_id, company_id, ticket_id, project_id, currency, notes, total_cents, search_text, created_by, created_at, updated_at)
             VALUES ($1, 'draft', 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
        )
        .bind(&number)
        .bind(vendor.id)
        .bind(target.company_id)
        .bind(target.ticket.as_ref().map(|t| t.0))
        .bind(target.project.as_ref().map(|p| p.0))
        .bind(&currency)
        .bind(notes)
        .bind(total)
        .bind(Self::search_text(&number, &vendor.name, target, lines))
        .bind(actor.id)
        .bind(&now)
        .fetch_one(&mut *tx)
        .await?;
        Self::insert_lines(&mut tx, id, lines, catalog_cents).await?;
        event(
            &mut tx,
            id,
            Some(actor),
            "created",
            &format!(
                "Raised {number} for {} ({} lines, {}){}",
                vendor.name,
                lines.len(),
                dollars(total),
                checked.overrides_in_words()
            ),
            json!({"total_cents": total, "price_overrides": checked.overrides()}),
        )
        .await?;
        if submit {
            self.submit_locked(&mut tx, actor, id, total).await?;
        }
        tx.commit().await?;
        self.get_po(id).await
    }

    /// Replaces a draft or rejected PO's content; `version` must match (409
    /// `stale` otherwise). An approved PO nothing followed yet is revisable:
    /// the edit withdraws its approval (back to draft, or submitted anew).
    pub async fn update_po(&self, actor: &User, id: i64, version: i64, input: &PoInput, submit: bool) -> Result<PurchaseOrder> {
        let checked = self.checked_input(input).await?;
        let total = checked.total();
        let (mut tx, locked) = self.begin_change(actor, id, Action::Edit).await?;
        Self::check_version(&locked, version, "edit")?;
        let withdrawn = locked.facts.status == PoStatus::Approved;
        let number: String = sqlx::query_scalar("SELECT number FROM purchase_orders WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let withdraw = if withdrawn {
            format!(", status = 'draft', snapshot = NULL, {WITHDRAW_APPROVAL}")
        } else {
            String::new()
        };
        sqlx::query(&format!(
            "UPDATE purchase_orders SET vendor_id = $1, company_id = $2, ticket_id = $3, project_id = $4, notes = $5, total_cents = $6, search_text = $7,
                version = version + 1, updated_at = $8{withdraw} WHERE id = $9"
        ))
        .bind(checked.vendor.id)
        .bind(checked.target.company_id)
        .bind(checked.target.ticket.as_ref().map(|t| t.0))
        .bind(checked.target.project.as_ref().map(|p| p.0))
        .bind(&checked.notes)
        .bind(total)
        .bind(Self::search_text(&number, &checked.vendor.name, &checked.target, &checked.lines))
        .bind(clock::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM po_lines WHERE po_id = $1").bind(id).execute(&mut *tx).await?;
        Self::insert_lines(&mut tx, id, &checked.lines, &checked.catalog_cents).await?;
        let (kind, what) = if withdrawn {
            (
                "edited_after_approval",
                "Edited after approval: the approval is withdrawn and it needs a new one",
            )
        } else {
            ("edited", "Edited")
        };
        event(
            &mut tx,
            id,
            Some(actor),
            kind,
            &format!("{what} ({} lines, {}){}", checked.lines.len(), dollars(total), checked.overrides_in_words()),
            json!({"total_cents": total, "price_overrides": checked.overrides()}),
        )
        .await?;
        if submit {
            self.submit_locked(&mut tx, actor, id, total).await?;
        }
        tx.commit().await?;
        self.get_po(id).await
    }

    /// Begins a change of PO `id` by `actor`: takes the lock and asks the
    /// policy whether `actor` may do `action` to the PO as it is now (403 or
    /// 409 otherwise).
    async fn begin_change(&self, actor: &User, id: i64, action: Action) -> Result<(Tx, Locked)> {
        let mut tx = self.begin_write().await?;
        let locked = self.lock(&mut tx, id).await?;
        let allow: i64 = sqlx::query_scalar("SELECT allow_self_approval FROM settings WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let rules = policy::Rules {
            allow_self_approval: to_bool(allow),
        };
        policy::check(actor, &locked.facts, rules, action)?;
        Ok((tx, locked))
    }

    /// Locks a PO for a change and reads what the policy needs.
    async fn lock(&self, tx: &mut Tx, id: i64) -> Result<Locked> {
        let r = sqlx::query(&format!(
            "SELECT status, version, created_by, procurement_status, approvals_required, first_approved_by, qbo_id,
                (SELECT v.distributor FROM vendors v WHERE v.id = vendor_id) AS distributor
             FROM purchase_orders WHERE id = $1{}",
            self.for_update()
        ))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| Error::not_found("The purchase order"))?;
        let received: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(SUM(received_quantity), 0) AS BIGINT) FROM po_lines WHERE po_id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?;
        let status = status_of(&r.try_get::<String, _>("status")?)?;
        Ok(Locked {
            version: r.try_get("version")?,
            facts: PoFacts {
                status,
                created_by: Some(r.try_get("created_by")?),
                anything_received: received > 0,
                procurement_status: r.try_get("procurement_status")?,
                approvals_required: r.try_get("approvals_required")?,
                first_approver: if status == PoStatus::PendingApproval {
                    r.try_get("first_approved_by")?
                } else {
                    None
                },
                distributor: r.try_get::<Option<String>, _>("distributor")?.is_some(),
                qbo_pushed: r.try_get::<Option<String>, _>("qbo_id")?.is_some(),
            },
        })
    }

    /// 409 `stale` unless the caller acts on the `version` they saw.
    fn check_version(locked: &Locked, version: i64, verb: &str) -> Result<()> {
        if locked.version == version {
            return Ok(());
        }
        Err(Error {
            code: ErrorCode::Stale,
            message: format!(
                "This purchase order changed since you opened it (version {} now, yours {version}). Reload it and look again before you {verb} it.",
                locked.version
            ),
            field: Some("version".into()),
        })
    }

    /// Submit inside a transaction that holds the PO: keeps the snapshot of
    /// what it orders, fixes how many approvals it needs, and approves it at
    /// once under the auto-approve limit (never with a price override or
    /// when it needs two approvals).
    async fn submit_locked(&self, tx: &mut Tx, actor: &User, id: i64, total: i64) -> Result<()> {
        let r = sqlx::query("SELECT auto_approve_limit_cents, second_approval_limit_cents FROM settings WHERE id = 1")
            .fetch_one(&mut **tx)
            .await?;
        let (limit, second): (i64, i64) = (r.try_get("auto_approve_limit_cents")?, r.try_get("second_approval_limit_cents")?);
        let overrides: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM po_lines WHERE po_id = $1 AND catalog_unit_cost_cents IS NOT NULL AND catalog_unit_cost_cents <> unit_cost_cents",
        )
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
        let required = rules::approvals_required(total, second);
        let snapshot = Self::take_snapshot(tx, id).await?;
        Self::keep_snapshot(tx, id, &snapshot).await?;
        let now = clock::now();
        if overrides == 0 && required == 1 && rules::auto_approves(total, limit) {
            sqlx::query(
                "UPDATE purchase_orders SET status = 'approved', approval_kind = 'auto', approved_by = NULL, approved_at = $1, approval_limit_cents = $2, signature_id = NULL,
                    self_approved = 0, first_approved_by = NULL, first_approved_at = NULL, first_signature_id = NULL, approvals_required = 1, revision = NULL,
                    rejected_by = NULL, rejected_at = NULL, rejection_reason = NULL, version = version + 1, updated_at = $1 WHERE id = $3",
            )
            .bind(&now)
            .bind(limit)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            event(tx, id, Some(actor), "submitted", "Submitted for approval", json!({})).await?;
            event(
                tx,
                id,
                None,
                "auto_approved",
                &format!("Approved automatically (under {} limit)", dollars(limit)),
                json!({"limit_cents": limit, "total_cents": total}),
            )
            .await?;
        } else {
            sqlx::query(&format!(
                "UPDATE purchase_orders SET status = 'pending_approval', {WITHDRAW_APPROVAL}, approvals_required = $1, revision = NULL,
                    version = version + 1, updated_at = $2 WHERE id = $3"
            ))
            .bind(required)
            .bind(&now)
            .bind(id)
            .execute(&mut **tx)
            .await?;
            let why = if overrides > 0 {
                "a price differs from the catalog, so an approver decides".to_string()
            } else if required > 1 {
                format!("{} is above the {} second approval limit", dollars(total), dollars(second))
            } else if limit == 0 {
                "auto-approval is off".to_string()
            } else {
                format!("{} is not under the {} limit", dollars(total), dollars(limit))
            };
            let two = if required > 1 { "; it needs two approvals" } else { "" };
            event(
                tx,
                id,
                Some(actor),
                "submitted",
                &format!("Submitted for approval ({why}{two})"),
                json!({"limit_cents": limit, "total_cents": total, "approvals_required": required, "price_overrides": overrides}),
            )
            .await?;
        }
        Ok(())
    }

    pub async fn submit_po(&self, actor: &User, id: i64) -> Result<PurchaseOrder> {
        let (mut tx, _) = self.begin_change(actor, id, Action::Submit).await?;
        let total: i64 = sqlx::query_scalar("SELECT total_cents FROM purchase_orders WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        self.submit_locked(&mut tx, actor, id, total).await?;
        tx.commit().await?;
        self.get_po(id).await
    }

    /// Approves a PO waiting for approval, at the `version` the approver saw
    /// (who may: [`policy::check`]). `signature` is a checked PNG. A PO that
    /// needs two approvals stays pending after the first; the second
    /// approves it. A dispatch waiting for this approval (a revision) resumes.
    pub async fn approve_po(&self, actor: &User, id: i64, version: i64, signature: Option<Vec<u8>>) -> Result<PurchaseOrder> {
        let require = self.settings().await?.require_signature;
        if require && signature.is_none() {
            return Err(Error::validation("signature_png", "A signature is required to approve: sign on the pad."));
        }
        let (mut tx, locked) = self.begin_change(actor, id, Action::Approve).await?;
        Self::check_version(&locked, version, "approve")?;
        let self_approval = locked.facts.created_by == Some(actor.id);
        let now = clock::now();
        let (signature_id, sha) = match &signature {
            Some(png) => {
                let sha = super::signature::sha256_hex(png);
                let sid: i64 =
                    sqlx::query_scalar("INSERT INTO po_signatures (po_id, png, sha256, signed_by, signed_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                        .bind(id)
                        .bind(png.clone())
                        .bind(&sha)
                        .bind(actor.id)
                        .bind(&now)
                        .fetch_one(&mut *tx)
                        .await?;
                (Some(sid), Some(sha))
            }
            None => (None, None),
        };
        let two = locked.facts.approvals_required > 1;
        if two && locked.facts.first_approver.is_none() {
            sqlx::query(
                "UPDATE purchase_orders SET first_approved_by = $1, first_approved_at = $2, first_signature_id = $3, version = version + 1, updated_at = $2 WHERE id = $4",
            )
            .bind(actor.id)
            .bind(&now)
            .bind(signature_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let message = if sha.is_some() {
                "First approval of two, with signature: a second approver must approve"
            } else {
                "First approval of two: a second approver must approve"
            };
            let url = signature_id.map(|_| format!("/purchase-orders/{id}/signature.png?approval=1"));
            event(
                &mut tx,
                id,
                Some(actor),
                "approved_first",
                message,
                json!({"signature_sha256": sha, "signature_url": url, "approval": 1}),
            )
            .await?;
            tx.commit().await?;
            return self.get_po(id).await;
        }
        sqlx::query(
            "UPDATE purchase_orders SET status = 'approved', approval_kind = 'manual', approved_by = $1, approved_at = $2, approval_limit_cents = NULL, signature_id = $3,
                self_approved = $4, revision = NULL, version = version + 1, updated_at = $2 WHERE id = $5",
        )
        .bind(actor.id)
        .bind(&now)
        .bind(signature_id)
        .bind(i64::from(self_approval))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let message = format!(
            "{}{}{}",
            if two { "Second approval: approved" } else { "Approved" },
            if sha.is_some() { " with signature" } else { "" },
            if self_approval { " (self-approval)" } else { "" }
        );
        let mut data = json!({"signature_sha256": sha, "signature_url": signature_id.map(|_| format!("/purchase-orders/{id}/signature.png"))});
        if self_approval {
            data["self_approval"] = json!(true);
        }
        if two {
            data["approval"] = json!(2);
        }
        event(&mut tx, id, Some(actor), "approved", &message, data).await?;
        self.resume_after_approval(&mut tx, actor, id).await?;
        tx.commit().await?;
        self.get_po(id).await
    }

    /// Rejects a PO waiting for approval, at the `version` the approver saw.
    /// A first approval of two is void with it.
    pub async fn reject_po(&self, actor: &User, id: i64, version: i64, reason: &str) -> Result<PurchaseOrder> {
        let reason = rules::reason("reason", Some(reason), true)?.unwrap_or_default();
        let (mut tx, locked) = self.begin_change(actor, id, Action::Reject).await?;
        Self::check_version(&locked, version, "reject")?;
        let self_rejection = locked.facts.created_by == Some(actor.id);
        let now = clock::now();
        sqlx::query(
            "UPDATE purchase_orders SET status = 'rejected', rejected_by = $1, rejected_at = $2, rejection_reason = $3,
                first_approved_by = NULL, first_approved_at = NULL, first_signature_id = NULL, version = version + 1, updated_at = $2 WHERE id = $4",
        )
        .bind(actor.id)
        .bind(&now)
        .bind(&reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let data = if self_rejection {
            json!({"reason": reason, "self_approval": true})
        } else {
            json!({"reason": reason})
        };
        event(&mut tx, id, Some(actor), "rejected", &format!("Rejected: {reason}"), data).await?;
        tx.commit().await?;
        self.get_po(id).await
    }

    pub async fn cancel_po(&self, actor: &User, id: i64, reason: Option<&str>) -> Result<PurchaseOrder> {
        let reason = rules::reason("reason", reason, false)?;
        let (mut tx, _) = self.begin_change(actor, id, Action::Cancel).await?;
        let now = clock::now();
        sqlx::query("UPDATE purchase_orders SET status = 'cancelled', cancelled_by = $1, cancelled_at = $2, cancel_reason = $3, version = version + 1, updated_at = $2 WHERE id = $4")
            .bind(actor.id)
            .bind(&now)
            .bind(&reason)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let message = match &reason {
            Some(r) => format!("Cancelled: {r}"),
            None => "Cancelled".to_string(),
        };
        event(&mut tx, id, Some(actor), "cancelled", &message, json!({"reason": reason})).await?;
        tx.commit().await?;
        self.get_po(id).await
    }

    /// Records goods received now, per line, added to what came before.
    pub async fn receive_po(&self, actor: &User, id: i64, receipt: &[ReceiptLine]) -> Result<PurchaseOrder> {
        if receipt.is_empty() {
            return Err(Error::validation("lines", "Say which lines arrived and how many."));
        }
        let (mut tx, _) = self.begin_change(actor, id, Action::Receive).await?;
        let rows = sqlx::query("SELECT id, line_no, description, quantity, received_quantity FROM po_lines WHERE po_id = $1 ORDER BY line_no")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        let mut lines: Vec<(i64, i64, String, i64, i64)> = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("line_no")?,
                    r.try_get("description")?,
                    r.try_get("quantity")?,
                    r.try_get("received_quantity")?,
                ))
            })
            .collect::<Result<_>>()?;
        let mut received_now = Vec::new();
        for (i, rl) in receipt.iter().enumerate() {
            if receipt[..i].iter().any(|o| o.line_id == rl.line_id) {
                return Err(Error::validation(
                    format!("lines[{i}].line_id"),
                    "This line is listed twice; give its quantity once.",
                ));
            }
            let Some(line) = lines.iter_mut().find(|l| l.0 == rl.line_id) else {
                return Err(Error::validation(format!("lines[{i}].line_id"), "This line is not on the purchase order."));
            };
            rules::check_receipt(i, line.3, line.4, rl.quantity)?;
            line.4 += rl.quantity;
            received_now.push(
                json!({"line_id": line.0, "line_no": line.1, "description": line.2, "quantity": rl.quantity, "received_total": line.4, "ordered": line.3}),
            );
        }
        for l in &lines {
            sqlx::query("UPDATE po_lines SET received_quantity = $1 WHERE id = $2")
                .bind(l.4)
                .bind(l.0)
                .execute(&mut *tx)
                .await?;
        }
        let status = rules::status_after_receipt(&lines.iter().map(|l| (l.3, l.4)).collect::<Vec<_>>());
        let now = clock::now();
        sqlx::query("UPDATE purchase_orders SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3")
            .bind(status.as_str())
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let summary = receipt.iter().map(|r| r.quantity).sum::<i64>();
        let message = format!(
            "Received {summary} item{} ({})",
            if summary == 1 { "" } else { "s" },
            status.label().to_lowercase()
        );
        event(
            &mut tx,
            id,
            Some(actor),
            "received",
            &message,
            json!({"lines": received_now, "status": status.as_str()}),
        )
        .await?;
        tx.commit().await?;
        self.get_po(id).await
    }

    /// PO `id` when `actor` may do `action` to it now ([`policy::check`]);
    /// the refusal otherwise. For actions outside this store (dispatch,
    /// retry, push), which check the PO's state again as they change it.
    pub async fn authorize(&self, actor: &User, id: i64, action: Action) -> Result<PurchaseOrder> {
        let po = self.get_po(id).await?;
        let rules = policy::Rules::from(&self.settings().await?);
        policy::check(actor, &po.facts(), rules, action)?;
        Ok(po)
    }

    pub async fn get_po(&self, id: i64) -> Result<PurchaseOrder> {
        // The PO and its lines (as one JSON array) in one query.
        let lines = json_rows_sql(self.backend(), &LINE_FIELDS, "po_lines x WHERE x.po_id = p.id", "x.line_no");
        let row = sqlx::query(&format!("{PO_SELECT}, ({lines}) AS lines_json {PO_FROM} WHERE p.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| Error::not_found("The purchase order"))?;
        let mut po = po_from_row(&row, lines_from_json(&row.try_get::<String, _>("lines_json")?)?)?;
        // The catalog now, beside what was approved, until it is sent.
        let unsent = !matches!(po.procurement_status.as_deref(), Some("provisioned" | "not_provisionable" | "abandoned"));
        if let (Some(snapshot), true) = (&po.snapshot, unsent && (po.status == PoStatus::PendingApproval || po.status.is_committed())) {
            let company: Option<String> = row.try_get("company_pax8_id")?;
            po.catalog_changes = self.catalog_changes(id, snapshot, company.as_deref()).await?;
        }
        Ok(po)
    }

    /// Newest first, by keyset on id; filters use their indexes.
    pub async fn list_pos(&self, f: &PoFilter) -> Result<PoPage> {
        crate::validate::search_query(f.q.as_deref())?;
        let limit = f.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::validation("limit", format!("Limit must be between 1 and {MAX_PAGE}.")));
        }
        let cursor = match f.cursor.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(
                c.parse::<i64>()
                    .map_err(|_| Error::validation("cursor", "The cursor is not one this API gave out."))?,
            ),
            None => None,
        };
        // Clauses with numbered placeholders, built from the filters given, so
        // that each query uses the index of its filter.
        let filter_count = [f.company_id, f.vendor_id, f.ticket_id, f.project_id].iter().flatten().count();
        let mut clauses: Vec<String> = Vec::new();
        let mut args: Vec<Arg> = Vec::new();
        let mut push = |sql: &str, arg: Arg| {
            args.push(arg);
            clauses.push(sql.replace('?', &format!("${}", args.len())));
        };
        for (sql, v) in [
            ("p.company_id = ?", f.company_id),
            ("p.vendor_id = ?", f.vendor_id),
            ("p.ticket_id = ?", f.ticket_id),
            ("p.project_id = ?", f.project_id),
        ] {
            if let Some(v) = v {
                push(sql, Arg::Int(v));
            }
        }
        let q = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        // A whole PO number finds that PO by its index (its pieces `po-`,
        // `-20`, `202` are in every PO, which costs a trigram index dearly).
        let number = q.and_then(rules::as_po_number);
        let q = q.filter(|_| number.is_none());
        if let Some(n) = number {
            push("p.number = ?", Arg::Text(n));
        }
        if let Some(s) = f.status {
            push("p.status = ?", Arg::Text(s.as_str().to_string()));
        }
        // The cursor's clause names the column the page is walked by.
        let cursor_at = cursor.map(|c| {
            args.push(Arg::Int(c));
            args.len()
        });
        let base = clauses.clone();
        let with_cursor = |key: &str, mut c: Vec<String>| {
            c.extend(cursor_at.map(|n| format!("{key} < ${n}")));
            c
        };
        let mut like = None;
        if let Some(q) = q {
            args.push(Arg::Text(like_pattern(q)));
            like = Some(format!("p.search_text LIKE ${} ESCAPE '\\'", args.len()));
        }
        // `q` is a substring of the search text. On SQLite, three characters
        // or more: the newest 500 POs are read first, and only when they do not
        // fill the page does the trigram index (po_search) find the rest,
        // newest first (a common word is found at once; a rare one would
        // read every PO). PostgreSQL's trigram index serves the LIKE itself.
        let mut fts = None;
        if let Some(t) = q.and_then(fts_trigrams).filter(|_| self.backend() == Backend::Sqlite) {
            args.push(Arg::Text(t));
            fts = Some(format!("po_search MATCH ${}", args.len()));
        }
        let limit_at = args.len() + 1;
        let where_of = |c: Vec<String>| if c.is_empty() { String::new() } else { format!("WHERE {}", c.join(" AND ")) };
        let page_sql = |from: &str, key: &str, clauses: Vec<String>| {
            let inner = format!(
                "SELECT p.id, p.number, p.status, p.vendor_id, v.name AS vendor_name, p.company_id, c.name AS company_name, p.ticket_id, p.project_id, p.total_cents, p.currency,
                        p.created_at, p.created_by, u.name AS created_by_name, p.procurement_status
                 FROM {from} JOIN vendors v ON v.id = p.vendor_id JOIN companies c ON c.id = p.company_id JOIN users u ON u.id = p.created_by
                 {} ORDER BY {key} DESC LIMIT ${limit_at}",
                where_of(clauses)
            );
            // The page as one JSON array in one row.
            json_rows_sql(self.backend(), &SUMMARY_FIELDS, &format!("({inner}) x"), "x.id DESC")
        };
        let attempts = match &fts {
            None => vec![page_sql(
                "purchase_orders p",
                "p.id",
                with_cursor("p.id", base.iter().cloned().chain(like.clone()).collect()),
            )],
            Some(m) => vec![
                page_sql(
                    "purchase_orders p",
                    "p.id",
                    with_cursor(
                        "p.id",
                        base.iter()
                            .cloned()
                            .chain([format!(
                                "p.id >= (SELECT MIN(w.id) FROM (SELECT p.id FROM purchase_orders p {} ORDER BY p.id DESC LIMIT {NEWEST_FIRST}) w)",
                                where_of(with_cursor("p.id", base.clone()))
                            )])
                            .chain(like.clone())
                            .collect(),
                    ),
                ),
                page_sql(
                    "po_search CROSS JOIN purchase_orders p ON p.id = po_search.rowid",
                    "po_search.rowid",
                    with_cursor(
                        "po_search.rowid",
                        [m.clone()].into_iter().chain(base.iter().cloned()).chain(like.clone()).collect(),
                    ),
                ),
            ],
        };
        let mut json = String::new();
        for (i, sql) in attempts.iter().enumerate() {
            // (On SQLite with a trigram query: the newest POs, then the index.)
            let mut query = sqlx::query_scalar::<_, String>(sql);
            for a in &args {
                query = a.bind(query);
            }
            json = query.bind(limit + 1).fetch_one(self.pool()).await?;
            // The newest POs filled the page: no need to ask the index.
            if i == 0 && attempts.len() > 1 && serde_json::from_str::<Vec<serde_json::Value>>(&json).map_or(0, |v| v.len()) as i64 > limit {
                break;
            }
        }
        let rows: Vec<SummaryRow> = serde_json::from_str(&json).map_err(|e| {
            tracing::error!(error = %e, "a page of POs did not read back from its JSON");
            Error::internal()
        })?;
        let mut items = rows
            .into_iter()
            .map(|r| {
                Ok(PurchaseOrderSummary {
                    id: r.id,
                    number: r.number,
                    status: status_of(&r.status)?,
                    vendor: Named {
                        id: r.vendor_id,
                        name: r.vendor_name,
                    },
                    company: Named {
                        id: r.company_id,
                        name: r.company_name,
                    },
                    ticket_id: r.ticket_id,
                    project_id: r.project_id,
                    total_cents: r.total_cents,
                    currency: r.currency,
                    created_at: r.created_at,
                    created_by: Person {
                        id: Some(r.created_by),
                        name: r.created_by_name,
                    },
                    procurement_status: r.procurement_status,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|i| i.id.to_string())
        } else {
            None
        };
        // Committed cost of what the company/ticket/project/vendor filters
        // select: one filter reads the total kept for it (migration 0008),
        // several are summed from the index.
        let scopes = [
            ("company", f.company_id),
            ("vendor", f.vendor_id),
            ("ticket", f.ticket_id),
            ("project", f.project_id),
        ];
        let given: Vec<(&str, i64)> = scopes.iter().filter_map(|(s, v)| v.map(|v| (*s, v))).collect();
        let committed_cents = match given.as_slice() {
            [] => 0,
            [(scope, id)] => sqlx::query_scalar::<_, i64>("SELECT cents FROM committed_totals WHERE scope = $1 AND scope_id = $2")
                .bind(*scope)
                .bind(*id)
                .fetch_optional(self.pool())
                .await?
                .unwrap_or(0),
            _ => {
                let sql = format!(
                    "SELECT CAST(COALESCE(SUM(p.total_cents), 0) AS BIGINT) FROM purchase_orders p WHERE {} AND p.status IN ('approved', 'partially_received', 'received')",
                    clauses[..filter_count].join(" AND ")
                );
                let mut q = sqlx::query_scalar::<_, i64>(&sql);
                for a in &args[..filter_count] {
                    if let Arg::Int(v) = a {
                        q = q.bind(*v);
                    }
                }
                q.fetch_one(self.pool()).await?
            }
        };
        Ok(PoPage {
            items,
            next_cursor,
            committed_cents,
        })
    }

    pub async fn po_timeline(&self, id: i64) -> Result<Vec<TimelineEvent>> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM purchase_orders WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        exists.ok_or_else(|| Error::not_found("The purchase order"))?;
        let rows = sqlx::query("SELECT id, at, actor_id, actor_name, kind, message, data FROM po_events WHERE po_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let data: String = r.try_get("data")?;
                Ok(TimelineEvent {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: Person {
                        id: r.try_get("actor_id")?,
                        name: r.try_get("actor_name")?,
                    },
                    kind: r.try_get("kind")?,
                    message: r.try_get("message")?,
                    data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    /// The PNG of the PO's current approval signature (`first`: of the
    /// first of two approvals).
    pub async fn po_signature(&self, id: i64, first: bool) -> Result<Option<Vec<u8>>> {
        let column = if first { "first_signature_id" } else { "signature_id" };
        Ok(sqlx::query_scalar(&format!(
            "SELECT s.png FROM purchase_orders p JOIN po_signatures s ON s.id = p.{column} WHERE p.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }
}
