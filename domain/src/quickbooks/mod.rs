//! QuickBooks Online: the connection as the browser sees it, the account
//! mapping, and the pure translation of an approved PO into a QBO
//! `PurchaseOrder` body (which names any mapping still missing).
//! Behind `server`: the Intuit OAuth + Accounting client, the stored
//! connection (tokens sealed with the platform key) and the push.

use crate::Error;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[cfg(feature = "server")]
pub mod client;
#[cfg(feature = "server")]
pub mod connection;
#[cfg(feature = "server")]
pub mod push;
#[cfg(feature = "server")]
pub use connection::Qbo;
#[cfg(all(test, feature = "server"))]
mod push_tests;

/// Which Intuit API the connection talks to: a sandbox company or the real books.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Sandbox,
    #[default]
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Sandbox => "sandbox",
            Environment::Production => "production",
        }
    }
    pub fn parse(s: &str) -> Option<Environment> {
        match s.trim() {
            "sandbox" => Some(Environment::Sandbox),
            "production" => Some(Environment::Production),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Environment::Sandbox => "Sandbox",
            Environment::Production => "Production",
        }
    }
}

/// The QBO accounts lines are booked to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QboMapping {
    pub ap_account_id: Option<String>,
    pub expense_account_id: Option<String>,
}

/// `integrations/qbo/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QboStatus {
    /// The server has an Intuit app (client id and secret) and an encryption key.
    pub available: bool,
    /// Why not, in plain words, when not available (or when a stored
    /// connection cannot be read and must be made again).
    pub reason: Option<String>,
    pub connected: bool,
    pub realm_id: Option<String>,
    pub company_name: Option<String>,
    pub environment: Environment,
    pub connected_at: Option<String>,
    pub mapping: QboMapping,
    /// QuickBooks is the project's local fake (demo mode).
    #[serde(default)]
    pub sandbox: bool,
}

/// A QBO account, vendor or item, for the mapping pickers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QboEntity {
    pub id: String,
    pub name: String,
    /// The account type (`Accounts Payable`, `Expense`, ...); empty for vendors and items.
    #[serde(default)]
    pub kind: String,
}

/// What the connected company has, to map to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QboLists {
    pub accounts: Vec<QboEntity>,
    pub vendors: Vec<QboEntity>,
    pub items: Vec<QboEntity>,
}

/// One PO line as the push needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushLine {
    pub description: String,
    pub quantity: i64,
    pub unit_cost_cents: i64,
    /// The line's catalog product is mapped to this QBO item.
    pub qbo_item_id: Option<String>,
}

/// An approved PO with the mapping of its vendor and products.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushInput {
    pub number: String,
    pub vendor_name: String,
    pub qbo_vendor_id: Option<String>,
    pub company: String,
    pub ticket: Option<String>,
    pub project: Option<String>,
    pub notes: String,
    pub lines: Vec<PushLine>,
}

/// Whether a PO in this state can go to QuickBooks: approved, and not cancelled.
pub fn pushable(status: crate::purchase_orders::PoStatus) -> bool {
    use crate::purchase_orders::PoStatus::*;
    matches!(status, Approved | PartiallyReceived | Received)
}

/// QBO's longest memo.
const MAX_MEMO: usize = 4000;

/// Cents as QBO's decimal amount (exact for any realistic sum: f64 holds
/// integers to 2^53 and prints the shortest decimal that reads back).
pub fn amount(cents: i64) -> Value {
    serde_json::Number::from_f64(cents as f64 / 100.0).map(Value::Number).unwrap_or(Value::Null)
}

/// The memo: where the PO was raised, and its notes.
pub fn memo(input: &PushInput) -> String {
    let mut m = format!("NEXOS {} for {}", input.number, input.company);
    if let Some(t) = &input.ticket {
        m.push_str(&format!(" · ticket: {t}"));
    }
    if let Some(p) = &input.project {
        m.push_str(&format!(" · project: {p}"));
    }
    if !input.notes.trim().is_empty() {
        m.push_str(&format!(" · {}", input.notes.trim()));
    }
    m.chars().take(MAX_MEMO).collect()
}

/// The body of `POST /v3/company/{realm}/purchaseorder`, or a validation
/// error listing every mapping that is missing (its field is the first).
pub fn purchase_order_body(input: &PushInput, mapping: &QboMapping) -> Result<Value, Error> {
    let blank = |v: &Option<String>| v.as_deref().map(str::trim).is_none_or(str::is_empty);
    let mut missing: Vec<(&str, String)> = Vec::new();
    if blank(&input.qbo_vendor_id) {
        missing.push((
            "qbo_vendor_id",
            format!("the vendor {} to a QuickBooks vendor (Vendors page)", input.vendor_name),
        ));
    }
    if blank(&mapping.ap_account_id) {
        missing.push(("ap_account_id", "an A/P account (Settings, QuickBooks)".to_string()));
    }
    let needs_expense = input.lines.iter().any(|l| blank(&l.qbo_item_id));
    if needs_expense && blank(&mapping.expense_account_id) {
        missing.push((
            "expense_account_id",
            "an expense account for lines without a QuickBooks item (Settings, QuickBooks), or each line's product to an item".to_string(),
        ));
    }
    if let Some((field, _)) = missing.first() {
        let what: Vec<String> = missing.iter().map(|(_, m)| m.clone()).collect();
        return Err(Error::validation(*field, format!("Before pushing to QuickBooks, map {}.", what.join("; "))));
    }
    let expense = mapping.expense_account_id.clone().unwrap_or_default();
    let lines: Vec<Value> = input
        .lines
        .iter()
        .map(|l| {
            let total = l.quantity * l.unit_cost_cents;
            match l.qbo_item_id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
                Some(item) => json!({
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "Amount": amount(total),
                    "Description": l.description,
                    "ItemBasedExpenseLineDetail": {"ItemRef": {"value": item}, "Qty": l.quantity, "UnitPrice": amount(l.unit_cost_cents)}
                }),
                None => json!({
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "Amount": amount(total),
                    "Description": l.description,
                    "AccountBasedExpenseLineDetail": {"AccountRef": {"value": expense.trim()}}
                }),
            }
        })
        .collect();
    Ok(json!({
        "DocNumber": input.number,
        "VendorRef": {"value": input.qbo_vendor_id.as_deref().unwrap_or_default().trim()},
        "APAccountRef": {"value": mapping.ap_account_id.as_deref().unwrap_or_default().trim()},
        "Line": lines,
        "Memo": memo(input),
        "POStatus": "Open",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PushInput {
        PushInput {
            number: "PO-2026-007".into(),
            vendor_name: "Pax8".into(),
            qbo_vendor_id: Some("56".into()),
            company: "Acme".into(),
            ticket: Some("#12 New laptop".into()),
            project: None,
            notes: "urgent".into(),
            lines: vec![
                PushLine {
                    description: "M365 Business Premium".into(),
                    quantity: 3,
                    unit_cost_cents: 2210,
                    qbo_item_id: None,
                },
                PushLine {
                    description: "Laptop".into(),
                    quantity: 1,
                    unit_cost_cents: 129_999,
                    qbo_item_id: Some("11".into()),
                },
            ],
        }
    }

    fn mapping() -> QboMapping {
        QboMapping {
            ap_account_id: Some("33".into()),
            expense_account_id: Some("7".into()),
        }
    }

    #[test]
    fn a_po_becomes_a_qbo_purchase_order() {
        let b = purchase_order_body(&input(), &mapping()).unwrap();
        assert_eq!(b["DocNumber"], "PO-2026-007");
        assert_eq!(b["VendorRef"]["value"], "56");
        assert_eq!(b["APAccountRef"]["value"], "33");
        assert_eq!(b["Line"][0]["DetailType"], "AccountBasedExpenseLineDetail");
        assert_eq!(b["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"], "7");
        assert_eq!(b["Line"][0]["Amount"].to_string(), "66.3");
        assert_eq!(b["Line"][1]["ItemBasedExpenseLineDetail"]["ItemRef"]["value"], "11");
        assert_eq!(b["Line"][1]["ItemBasedExpenseLineDetail"]["UnitPrice"].to_string(), "1299.99");
        assert_eq!(b["Memo"], "NEXOS PO-2026-007 for Acme · ticket: #12 New laptop · urgent");
    }

    #[test]
    fn amounts_are_exact_decimals() {
        for (cents, text) in [
            (1, "0.01"),
            (10, "0.1"),
            (123_456_789_012, "1234567890.12"),
            (0, "0.0"),
            (9_999_999_999_999, "99999999999.99"),
        ] {
            assert_eq!(amount(cents).to_string(), text);
        }
    }

    #[test]
    fn missing_mapping_is_named() {
        let mut i = input();
        i.qbo_vendor_id = None;
        let e = purchase_order_body(&i, &QboMapping::default()).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("qbo_vendor_id"));
        assert!(
            e.message.contains("vendor Pax8") && e.message.contains("A/P account") && e.message.contains("expense account"),
            "{}",
            e.message
        );
        // Lines all on items need no expense account.
        let mut i = input();
        for l in &mut i.lines {
            l.qbo_item_id = Some("11".into());
        }
        let m = QboMapping {
            ap_account_id: Some("33".into()),
            expense_account_id: None,
        };
        assert!(purchase_order_body(&i, &m).is_ok());
        let e = purchase_order_body(&input(), &m).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("expense_account_id"));
    }
}
