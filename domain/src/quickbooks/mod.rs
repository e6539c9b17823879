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
mod company_tests;
#[cfg(all(test, feature = "server"))]
mod push_tests;
#[cfg(test)]
mod rules_tests;

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

/// The QBO accounts lines are booked to, and the tax code of every line
/// (needed by non-US companies).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QboMapping {
    pub ap_account_id: Option<String>,
    pub expense_account_id: Option<String>,
    #[serde(default)]
    pub tax_code_id: Option<String>,
}

/// How the connected company is set up, as read from its `CompanyInfo`
/// and `Preferences` at connect (and on demand).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QboCompany {
    /// `CompanyInfo.Country`: `US`, `GB`, `CA`, `AU`, ...
    pub country: String,
    /// `Preferences.CurrencyPrefs.HomeCurrency`.
    pub home_currency: String,
    /// `Preferences.CurrencyPrefs.MultiCurrencyEnabled`.
    pub multicurrency: bool,
    pub read_at: String,
}

impl QboCompany {
    /// A US company (an unknown country counts as US: QBO's default locale).
    pub fn is_us(&self) -> bool {
        self.country.is_empty() || self.country.eq_ignore_ascii_case("US")
    }
}

/// `integrations/qbo/vendors`: QuickBooks vendors matching a search, and the
/// one whose name best matches a NEXOS vendor's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QboVendorChoices {
    pub vendors: Vec<QboEntity>,
    pub suggestion: Option<QboEntity>,
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
    /// The company types this server has Intuit keys for (what Connect offers).
    #[serde(default)]
    pub environments: Vec<Environment>,
    /// The connected company's setup, once read.
    #[serde(default)]
    pub company: Option<QboCompany>,
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
    #[serde(default)]
    pub tax_codes: Vec<QboEntity>,
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
    /// The PO's currency (ISO 4217).
    pub currency: String,
    /// The QBO vendor's `CurrencyRef` (read when the company has multicurrency).
    pub vendor_currency: Option<String>,
}

/// Whether a PO in this state can go to QuickBooks: approved, and not cancelled.
pub fn pushable(status: crate::purchase_orders::PoStatus) -> bool {
    use crate::purchase_orders::PoStatus::*;
    matches!(status, Approved | PartiallyReceived | Received)
}

/// QBO's longest `PrivateNote`.
const MAX_NOTE: usize = 4000;

/// Cents as QBO's decimal amount (exact for any realistic sum: f64 holds
/// integers to 2^53 and prints the shortest decimal that reads back).
pub fn amount(cents: i64) -> Value {
    serde_json::Number::from_f64(cents as f64 / 100.0).map(Value::Number).unwrap_or(Value::Null)
}

/// The internal note (`PrivateNote`, not printed on what the vendor gets):
/// where the PO was raised, and its notes. `Memo` is printed on the PO the
/// vendor receives; NEXOS has no vendor-facing note, so it sends none.
pub fn private_note(input: &PushInput) -> String {
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
    m.chars().take(MAX_NOTE).collect()
}

/// A vendor name reduced for comparing: lower case, letters and digits,
/// without a company-form word at the end (Inc, LLC, Ltd, ...).
fn name_key(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let forms = [
        "inc",
        "llc",
        "ltd",
        "limited",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "gmbh",
        "pty",
        "sa",
        "bv",
    ];
    let mut n = words.len();
    while n > 1 && forms.contains(&words[n - 1].as_str()) {
        n -= 1;
    }
    words[..n].join(" ")
}

/// The QuickBooks vendor whose name best matches `name`: the same name
/// (company forms aside), else the one name starting with the other.
pub fn suggest_vendor(name: &str, vendors: &[QboEntity]) -> Option<QboEntity> {
    let key = name_key(name);
    if key.is_empty() {
        return None;
    }
    let keyed: Vec<(String, &QboEntity)> = vendors.iter().map(|v| (name_key(&v.name), v)).collect();
    keyed
        .iter()
        .find(|(k, _)| *k == key)
        .or_else(|| {
            let near: Vec<_> = keyed
                .iter()
                .filter(|(k, _)| !k.is_empty() && (k.starts_with(&format!("{key} ")) || key.starts_with(&format!("{k} "))))
                .collect();
            (near.len() == 1).then(|| near[0])
        })
        .map(|(_, v)| (*v).clone())
}

/// Vendors whose name contains every word of `q` (any case), at most `limit`.
pub fn search_vendors(q: &str, vendors: &[QboEntity], limit: usize) -> Vec<QboEntity> {
    let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    vendors
        .iter()
        .filter(|v| {
            let n = v.name.to_lowercase();
            words.iter().all(|w| n.contains(w.as_str()))
        })
        .take(limit)
        .cloned()
        .collect()
}

/// The body of `POST /v3/company/{realm}/purchaseorder`, or a validation
/// error listing every mapping that is missing (its field is the first), or
/// saying why the currencies do not agree. A non-US company gets
/// `GlobalTaxCalculation` and the mapped tax code on each line; a
/// multicurrency one the vendor's `CurrencyRef`.
pub fn purchase_order_body(input: &PushInput, mapping: &QboMapping, company: &QboCompany) -> Result<Value, Error> {
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
    if !company.is_us() && blank(&mapping.tax_code_id) {
        missing.push((
            "tax_code_id",
            format!(
                "a tax code for purchase lines (Settings, QuickBooks): the company is in {} and QuickBooks needs one on every line",
                company.country
            ),
        ));
    }
    if let Some((field, _)) = missing.first() {
        let what: Vec<String> = missing.iter().map(|(_, m)| m.clone()).collect();
        return Err(Error::validation(*field, format!("Before pushing to QuickBooks, map {}.", what.join("; "))));
    }
    let currency = input.currency.trim().to_uppercase();
    let home = company.home_currency.trim().to_uppercase();
    let txn_currency = if company.multicurrency {
        // A vendor without a CurrencyRef is in the home currency.
        let vendor = input
            .vendor_currency
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_uppercase)
            .unwrap_or(home.clone());
        if !vendor.is_empty() && vendor != currency {
            return Err(Error::validation(
                "currency",
                format!(
                    "The QuickBooks vendor for {} is billed in {vendor}, and this PO is in {currency}: QuickBooks records a purchase order in its vendor's currency. Map the vendor to a QuickBooks vendor in {currency} (Vendors page).",
                    input.vendor_name
                ),
            ));
        }
        Some(currency.clone())
    } else {
        if !home.is_empty() && home != currency {
            return Err(Error::validation(
                "currency",
                format!("The QuickBooks company keeps its books in {home} without multicurrency, and this PO is in {currency}; it cannot go to QuickBooks as it is."),
            ));
        }
        None
    };
    let tax = (!company.is_us()).then(|| mapping.tax_code_id.as_deref().unwrap_or_default().trim().to_string());
    let expense = mapping.expense_account_id.clone().unwrap_or_default();
    let lines: Vec<Value> = input
        .lines
        .iter()
        .map(|l| {
            let total = l.quantity * l.unit_cost_cents;
            let mut line = match l.qbo_item_id.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
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
            };
            if let Some(tax) = &tax {
                let detail = line["DetailType"].as_str().unwrap_or_default().to_string();
                line[detail]["TaxCodeRef"] = json!({"value": tax});
            }
            line
        })
        .collect();
    let mut body = json!({
        "DocNumber": input.number,
        "VendorRef": {"value": input.qbo_vendor_id.as_deref().unwrap_or_default().trim()},
        "APAccountRef": {"value": mapping.ap_account_id.as_deref().unwrap_or_default().trim()},
        "Line": lines,
        "PrivateNote": private_note(input),
        "POStatus": "Open",
    });
    if tax.is_some() {
        body["GlobalTaxCalculation"] = "TaxExcluded".into();
    }
    if let Some(c) = txn_currency {
        body["CurrencyRef"] = json!({"value": c});
    }
    Ok(body)
}
