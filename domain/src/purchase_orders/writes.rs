//! Every change of a `purchase_orders` row after it was raised: the one way
//! its status changes ([`transition`]), and the setters the features above
//! use for the columns they keep on it (the dispatch's status, the revision
//! an edit and retry asks approval for, QuickBooks' push, the search text).
//! No other module writes this table.

use super::rules;
use super::{DispatchStatus, PoStatus};
use crate::store::{Param, Params, Tx};
use crate::{clock, Result, Store};

/// A value a column is set to.
pub(crate) enum Value {
    Int(i64),
    Text(String),
    Null,
    /// An expression of the row's own columns (`version + 1`).
    Raw(&'static str),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// The columns a change sets besides the status, the version and the time.
#[derive(Default)]
pub(crate) struct Sets(Vec<(&'static str, Value)>);

impl Sets {
    pub(crate) fn new() -> Self {
        Sets::default()
    }

    /// Sets `column` (again: the last value given wins).
    pub(crate) fn set(mut self, column: &'static str, value: impl Into<Value>) -> Self {
        self.0.retain(|(c, _)| *c != column);
        self.0.push((column, value.into()));
        self
    }

    /// Clears an approval (and its first half): the PO needs a new approval
    /// of what it orders.
    pub(crate) fn withdraw_approval(self) -> Self {
        self.set("approval_kind", Value::Null)
            .set("approved_by", Value::Null)
            .set("approved_at", Value::Null)
            .set("approval_limit_cents", Value::Null)
            .set("signature_id", Value::Null)
            .set("self_approved", 0)
            .clear_first_approval()
    }

    /// Clears a rejection (a PO submitted again).
    pub(crate) fn clear_rejection(self) -> Self {
        self.set("rejected_by", Value::Null)
            .set("rejected_at", Value::Null)
            .set("rejection_reason", Value::Null)
    }

    /// Clears the first approval of two.
    pub(crate) fn clear_first_approval(self) -> Self {
        self.set("first_approved_by", Value::Null)
            .set("first_approved_at", Value::Null)
            .set("first_signature_id", Value::Null)
    }

    /// `a = $1, b = NULL, …` with the values kept in `params`.
    fn sql(self, params: &mut Params) -> String {
        self.0
            .into_iter()
            .map(|(column, value)| match value {
                Value::Int(i) => format!("{column} = {}", params.add(Param::Int(i))),
                Value::Text(s) => format!("{column} = {}", params.add(Param::Text(s))),
                Value::Null => format!("{column} = NULL"),
                Value::Raw(expr) => format!("{column} = {expr}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Runs `UPDATE purchase_orders SET {sets} WHERE id = {id}{and}`; returns
/// the rows changed.
async fn update(tx: &mut Tx, id: i64, sets: Sets, and: &str) -> Result<u64> {
    let mut params = Params::default();
    let assignments = sets.sql(&mut params);
    let sql = format!("UPDATE purchase_orders SET {assignments} WHERE id = {}{and}", params.add(Param::Int(id)));
    let q = Params::bind_query(params.values(), sqlx::query(&sql));
    Ok(q.execute(&mut **tx).await?.rows_affected())
}

/// The one way a PO's status changes: to `to`, with the columns that
/// change with it, as a new version at `now`.
pub(super) async fn transition(tx: &mut Tx, id: i64, to: PoStatus, sets: Sets, now: &str) -> Result<()> {
    change(tx, id, sets.set("status", to.as_str()), now).await
}

/// A change people see (an edit, a status, a first approval of two): a new
/// version at `now`.
pub(super) async fn change(tx: &mut Tx, id: i64, sets: Sets, now: &str) -> Result<()> {
    let sets = sets.set("updated_at", now).set("version", Value::Raw("version + 1"));
    update(tx, id, sets, "").await?;
    Ok(())
}

/// The PO's dispatch status, kept beside the dispatch's own (the list
/// shows it without reading dispatches).
pub(crate) async fn set_procurement_status(tx: &mut Tx, po_id: i64, status: DispatchStatus) -> Result<()> {
    update(tx, po_id, Sets::new().set("procurement_status", status.as_str()), "").await?;
    Ok(())
}

/// An edit and retry changed what is bought: back to approval with the
/// revised lines' `total`, `snapshot` and `revision` (JSON), at `at`.
pub(crate) async fn send_revision_for_approval(tx: &mut Tx, po_id: i64, total: i64, snapshot: &str, revision: &str, at: &str) -> Result<()> {
    let second = Store::second_approval_limit(tx).await?;
    let sets = Sets::new()
        .withdraw_approval()
        .set("approvals_required", rules::approvals_required(total, second))
        .set("total_cents", total)
        .set("snapshot", snapshot)
        .set("revision", revision);
    transition(tx, po_id, PoStatus::PendingApproval, sets, at).await
}

/// A change order's line revised from the subscription as the distributor
/// shows it now: the seats it changes from and the seats it adds (its
/// quantity), before the revision goes back to approval.
pub(crate) async fn revise_change_line(tx: &mut Tx, po_id: i64, po_line_id: i64, from: i64, quantity: i64) -> Result<()> {
    sqlx::query("UPDATE po_lines SET change_from_quantity = $1, quantity = $2 WHERE id = $3 AND po_id = $4 AND change_subscription_id IS NOT NULL")
        .bind(from)
        .bind(quantity)
        .bind(po_line_id)
        .bind(po_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What the PO is found by now (a vendor or company renamed).
pub(crate) async fn set_search_text(tx: &mut Tx, po_id: i64, text: &str) -> Result<()> {
    // `$1` is the text: a PO whose text is already right is not written.
    update(tx, po_id, Sets::new().set("search_text", text), " AND search_text <> $1").await?;
    Ok(())
}

/// Stages a state in a test (a retry come due, an approval back-dated):
/// `sets` on PO `id`, or on every PO.
#[cfg(test)]
pub(crate) async fn stage(store: &Store, id: Option<i64>, sets: Sets) {
    let mut tx = store.begin_write().await.unwrap();
    match id {
        Some(id) => update(&mut tx, id, sets, "").await.unwrap(),
        None => update(&mut tx, 0, sets, " OR id <> 0").await.unwrap(),
    };
    tx.commit().await.unwrap();
}

/// The columns QuickBooks' push keeps on a PO.
pub(crate) mod qbo {
    use super::*;

    /// The push's requestid and attempt, as it starts (no retry pending).
    pub(crate) async fn record_attempt(tx: &mut Tx, po_id: i64, request_id: &str, attempt: i64) -> Result<()> {
        let sets = Sets::new()
            .set("qbo_request_id", request_id)
            .set("qbo_attempts", attempt)
            .set("qbo_retry_at", Value::Null);
        update(tx, po_id, sets, "").await?;
        Ok(())
    }

    /// The PO is in QuickBooks as `qbo_id`; false when an earlier push had
    /// already recorded one (nothing changes).
    pub(crate) async fn record_pushed(tx: &mut Tx, po_id: i64, qbo_id: &str) -> Result<bool> {
        let sets = Sets::new()
            .set("qbo_id", qbo_id)
            .set("qbo_pushed_at", clock::now())
            .set("qbo_error", Value::Null)
            .set("qbo_retry_at", Value::Null);
        Ok(update(tx, po_id, sets, " AND qbo_id IS NULL").await? == 1)
    }

    /// A failed push: its message, when it retries by itself (if it does),
    /// and whether the next push needs a new requestid.
    pub(crate) async fn record_failure(tx: &mut Tx, po_id: i64, message: &str, retry_at: Option<&str>, new_request: bool) -> Result<()> {
        let mut sets = Sets::new().set("qbo_error", message).set("qbo_retry_at", retry_at);
        if new_request {
            sets = sets.set("qbo_request_id", Value::Null).set("qbo_attempts", 0);
        }
        update(tx, po_id, sets, "").await?;
        Ok(())
    }

    /// Claims a retry due at `at`: whoever clears it first runs it (several
    /// instances); false when another did.
    pub(crate) async fn claim_retry(store: &Store, po_id: i64, at: &str) -> Result<bool> {
        let r = store
            .execute_write(
                sqlx::query("UPDATE purchase_orders SET qbo_retry_at = NULL WHERE id = $1 AND qbo_retry_at = $2")
                    .bind(po_id)
                    .bind(at.to_string()),
            )
            .await?;
        Ok(r.rows_affected() == 1)
    }
}
