//! Server functions of procurement (API.md, "Procurement"). All but
//! `procurement/status` answer 503 `encryption_key_missing` without the key.

use crate::error::ApiError;
use domain::procurement::{Dispatch, Problem, QueueItem, Remediation, RetryEdits};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub available: bool,
    pub reason: Option<String>,
    /// Pax8 is the project's local fake (demo mode).
    #[serde(default)]
    pub sandbox: bool,
}

pub use crate::messages::NO_KEY;

#[cfg(feature = "ssr")]
pub(crate) async fn ready(p: domain::users::Permission) -> Result<(crate::context::AppState, domain::users::User), ApiError> {
    let (st, user) = crate::context::authorized(p).await?;
    st.key()?;
    Ok((st, user))
}

/// Whether procurement can run here. Answers 200 either way.
#[server(endpoint = "procurement/status", input = Json, output = Json)]
pub async fn procurement_status() -> Result<Availability, ApiError> {
    let (st, _) = crate::context::authorized(domain::users::Permission::View).await?;
    Ok(if st.encryption_configured() {
        Availability {
            available: true,
            reason: None,
            sandbox: st.pax8_sandbox,
        }
    } else {
        Availability {
            available: false,
            reason: Some(NO_KEY.to_string()),
            sandbox: false,
        }
    })
}

#[server(endpoint = "procurement/queue", input = Json, output = Json)]
pub async fn procurement_queue(state: Option<String>) -> Result<Vec<QueueItem>, ApiError> {
    let (st, _) = ready(domain::users::Permission::View).await?;
    let state = match state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(domain::procurement::DispatchStatus::parse(s).ok_or_else(|| domain::Error::validation("state", "Unknown dispatch state."))?),
        None => None,
    };
    Ok(st.store.procurement_queue(state).await?)
}

#[server(endpoint = "procurement/dispatch", input = Json, output = Json)]
pub async fn dispatch_po(po_id: i64) -> Result<Dispatch, ApiError> {
    let (st, user) = ready(domain::users::Permission::Dispatch).await?;
    let d = st.store.request_dispatch(&user, po_id).await?;
    tracing::info!(po_id, by = user.id, status = d.status.as_str(), "dispatch requested");
    Ok(d)
}

/// A dispatch as the PO page shows it: with the names people know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoDispatch {
    #[serde(flatten)]
    pub dispatch: Dispatch,
    /// Catalog product name by distributor product id, for the
    /// subscriptions (absent: show the id).
    #[serde(default)]
    pub product_names: BTreeMap<String, String>,
    /// "Line 2 · Microsoft 365" by PO line id, for the problems.
    #[serde(default)]
    pub line_labels: BTreeMap<i64, String>,
}

impl PoDispatch {
    pub fn product_name(&self, distributor_product_id: &str) -> String {
        self.product_names
            .get(distributor_product_id)
            .cloned()
            .unwrap_or_else(|| distributor_product_id.to_string())
    }
}

/// "Line 2 · Microsoft 365" for each line of the PO.
#[cfg(feature = "ssr")]
fn line_labels(po: &domain::purchase_orders::PurchaseOrder) -> BTreeMap<i64, String> {
    po.lines.iter().map(|l| (l.id, format!("Line {} · {}", l.line_no, l.description))).collect()
}

#[server(endpoint = "procurement/get", input = Json, output = Json)]
pub async fn get_dispatch(po_id: i64) -> Result<PoDispatch, ApiError> {
    let (st, _) = ready(domain::users::Permission::View).await?;
    let dispatch = st.store.get_dispatch(po_id).await?;
    let mut out = PoDispatch {
        dispatch,
        product_names: BTreeMap::new(),
        line_labels: BTreeMap::new(),
    };
    let open_problems = out.dispatch.remediation.as_ref().is_some_and(|r| !r.problems.is_empty());
    if out.dispatch.subscriptions.is_empty() && !open_problems {
        return Ok(out);
    }
    let po = st.store.get_po(po_id).await?;
    out.line_labels = line_labels(&po);
    // A subscription is named by its line's catalog product when that is
    // the product ordered (an edit and retry may have changed it).
    for s in &out.dispatch.subscriptions {
        let Some(product_id) = po.lines.iter().find(|l| l.id == s.po_line_id).and_then(|l| l.product_id) else {
            continue;
        };
        if let Ok(p) = st.store.get_product(product_id).await {
            if p.distributor_product_id.as_deref() == Some(s.product_id.as_str()) {
                out.product_names.insert(s.product_id.clone(), p.name);
            }
        }
    }
    Ok(out)
}

/// A problem "Check with Pax8" found, with its PO line in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedProblem {
    pub field: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_line_id: Option<i64>,
    /// "Line 2 · Microsoft 365" when the problem names a PO line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// What "Check with Pax8" found: no problems means Pax8 would accept it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub problems: Vec<CheckedProblem>,
}

/// The PO line a problem concerns: the one the distributor named, or the
/// order line its field names (`lines[1].billing_term`).
pub fn problem_line(p: &Problem, order: &domain::procurement::OrderRequest) -> Option<i64> {
    p.po_line_id.or_else(|| {
        let i: usize = p.field.strip_prefix("lines[")?.split(']').next()?.parse().ok()?;
        order.lines.get(i).map(|l| l.po_line_id)
    })
}

impl CheckedProblem {
    pub fn from(p: Problem, order: &domain::procurement::OrderRequest, labels: &BTreeMap<i64, String>) -> Self {
        let po_line_id = problem_line(&p, order);
        CheckedProblem {
            line: po_line_id.and_then(|id| labels.get(&id).cloned()),
            field: p.field,
            message: p.message,
            po_line_id,
        }
    }
}

/// "Check with Pax8": our rules, the company's status at Pax8 and Pax8's
/// own validation of the order, without placing it. On the timeline.
#[server(endpoint = "procurement/check", input = Json, output = Json)]
pub async fn check_po(po_id: i64) -> Result<CheckResult, ApiError> {
    let (st, user) = ready(domain::users::Permission::Dispatch).await?;
    let po = st.store.get_po(po_id).await?;
    if po.vendor.distributor != Some(domain::catalog::Distributor::Pax8) {
        return Err(domain::Error::conflict("Only purchase orders of a Pax8 vendor can be checked with Pax8.").into());
    }
    let pax8 = st.pax8().await?;
    let problems = st.store.check_with_distributor(&user, &pax8, po_id).await?;
    tracing::info!(po_id, by = user.id, problems = problems.len(), "checked with Pax8");
    let order = st.store.order_to_send(po_id).await?;
    let labels = line_labels(&po);
    Ok(CheckResult {
        problems: problems.into_iter().map(|p| CheckedProblem::from(p, &order, &labels)).collect(),
    })
}

#[server(endpoint = "procurement/retry", input = Json, output = Json)]
pub async fn retry_dispatch(remediation_id: i64, edits: Option<RetryEdits>) -> Result<Dispatch, ApiError> {
    let (st, user) = ready(domain::users::Permission::Remediate).await?;
    Ok(st.store.retry_dispatch(&user, remediation_id, edits.as_ref()).await?)
}

#[server(endpoint = "procurement/abandon", input = Json, output = Json)]
pub async fn abandon_dispatch(remediation_id: i64, reason: String) -> Result<Remediation, ApiError> {
    let (st, user) = ready(domain::users::Permission::Remediate).await?;
    Ok(st.store.abandon_dispatch(&user, remediation_id, &reason).await?)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configured {
    pub configured: bool,
}

/// Stores the Pax8 client id and secret (sealed; never returned).
#[server(endpoint = "integrations/pax8/configure", input = Json, output = Json)]
pub async fn configure_pax8(client_id: String, client_secret: String) -> Result<Configured, ApiError> {
    let (st, admin) = ready(domain::users::Permission::Admin).await?;
    st.store
        .save_pax8_credentials(st.key()?, &domain::procurement::credentials::Pax8Credentials { client_id, client_secret })
        .await?;
    tracing::info!(by = admin.id, "Pax8 credentials stored");
    Ok(Configured { configured: true })
}

/// Fetches a token with the stored credentials.
#[server(endpoint = "integrations/pax8/test", input = Json, output = Json)]
pub async fn test_pax8() -> Result<Configured, ApiError> {
    use domain::procurement::distributor::Distributor;
    let (st, _) = ready(domain::users::Permission::Admin).await?;
    let pax8 = st.pax8().await?;
    pax8.test_connection()
        .await
        .map_err(|e| ApiError(domain::Error::new(domain::ErrorCode::Upstream, format!("Pax8 connection failed: {e}"))))?;
    Ok(Configured { configured: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::procurement::{OrderLine, OrderRequest};

    #[test]
    fn a_problem_names_its_po_line_by_pax8_or_by_its_field() {
        let line = |po_line_id| OrderLine {
            po_line_id,
            product_id: Some("p".into()),
            quantity: 1,
            billing_term: None,
            commitment_term_id: None,
            provisioning_details: vec![],
        };
        let order = OrderRequest {
            company_id: None,
            changes: vec![],
            lines: vec![line(11), line(12)],
        };
        let labels = BTreeMap::from([(12, "Line 2 · M365".to_string())]);
        let by_field = CheckedProblem::from(Problem::new("lines[1].billing_term", "Needs a term."), &order, &labels);
        assert_eq!((by_field.po_line_id, by_field.line.as_deref()), (Some(12), Some("Line 2 · M365")));
        let named = Problem {
            po_line_id: Some(11),
            ..Problem::new("", "line 1: no")
        };
        assert_eq!(problem_line(&named, &order), Some(11));
        assert_eq!(problem_line(&Problem::new("pax8_company_id", "x"), &order), None);
        assert_eq!(problem_line(&Problem::new("lines[9].quantity", "x"), &order), None);
    }
}
