//! The fake's Accounting API: creating a purchase order, as QuickBooks
//! checks it (references, required fields, the AP account).

use super::*;

pub(super) async fn create_po(
    State(st): State<Shared>,
    headers: HeaderMap,
    Path(realm): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let after = match before(&st, QboRoute::CreatePurchaseOrder, &headers, true).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Err(r) = api_auth(&st, &headers, &realm) {
        return r;
    }
    let (status, body) = {
        let mut s = lock(&st);
        let key = q.get("requestid").map(|id| format!("{realm}/{id}"));
        match key.as_ref().and_then(|k| s.replies.get(k).cloned()) {
            Some(first) => first,
            None => {
                let answer = match create(&mut s, &body) {
                    Ok(po) => (200, json!({"PurchaseOrder": po, "time": now()})),
                    Err(fault) => (400, fault),
                };
                if let Some(k) = key {
                    s.replies.insert(k, answer.clone());
                }
                answer
            }
        }
    };
    match after {
        Some(QboFault::LoseReply(d)) => {
            tokio::time::sleep(d).await;
            reply(status, body)
        }
        Some(QboFault::BadBody) => bad_body(),
        _ => reply(status, body),
    }
}

pub(super) fn ref_val(r: Option<&Value>) -> Option<String> {
    r.and_then(|r| r.get("value"))
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

/// Validates a PurchaseOrder as QBO does (first error wins) and stores it.
pub(super) fn create(s: &mut St, body: &[u8]) -> Result<Value, Value> {
    let bad_prop = "Request has invalid or unsupported property";
    let mut po = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        Ok(_) => {
            return Err(invalid(
                "4000",
                bad_prop,
                "Property Name:PurchaseOrder must be a JSON object specified is unsupported or invalid",
                "",
            ))
        }
        Err(e) => return Err(invalid("4000", bad_prop, &format!("Property Name:{e} specified is unsupported or invalid"), "")),
    };
    let Some(vendor) = ref_val(po.get("VendorRef")) else {
        return Err(invalid("2020", MISSING, "Required parameter VendorRef is missing in the request", "VendorRef"));
    };
    let Some(vendor_row) = s.vendors.iter().find(|v| v.0 == vendor).cloned() else {
        let detail = format!(
            "{BAD_REF} : Vendor assigned to this transaction has been deleted. Before you can modify this transaction, you must restore {vendor} (Vendor)."
        );
        return Err(invalid("2500", BAD_REF, &detail, "VendorRef"));
    };
    let vendor_name = vendor_row.1.clone();
    let ap = match ref_val(po.get("APAccountRef")) {
        None => s.accounts.iter().find(|a| a.2 == AP),
        Some(id) => match s.accounts.iter().find(|a| a.0 == id) {
            Some(a) if a.2 == AP => Some(a),
            found => {
                let detail = match found {
                    Some(a) => format!("{BAD_REF} : Account {id} ({}) is of type {}, not an Accounts Payable account.", a.1, a.2),
                    None => format!("{BAD_REF} : Account assigned to this transaction has been deleted. Before you can modify this transaction, you must restore {id} (Account)."),
                };
                return Err(invalid("2500", BAD_REF, &detail, "APAccountRef"));
            }
        },
    };
    let ap = ap.map(|a| json!({"value": a.0, "name": a.1}));
    let mut lines = match po.get("Line").and_then(Value::as_array) {
        Some(l) if !l.is_empty() => l.clone(),
        _ => return Err(invalid("2020", MISSING, "Required parameter Line is missing in the request", "Line")),
    };
    let mut total = 0.0;
    for (i, line) in lines.iter_mut().enumerate() {
        let n = i + 1;
        let (detail_key, ref_key, name) = match line.get("DetailType").and_then(Value::as_str) {
            Some("AccountBasedExpenseLineDetail") => {
                let id = ref_val(line.pointer("/AccountBasedExpenseLineDetail/AccountRef")).unwrap_or_default();
                let Some(a) = s.accounts.iter().find(|a| a.0 == id && a.2 != AP) else {
                    let detail = format!("{BAD_REF} : Line {n}: AccountRef '{id}' is not an existing expense account.");
                    return Err(invalid("2500", BAD_REF, &detail, "Line.AccountBasedExpenseLineDetail.AccountRef"));
                };
                ("AccountBasedExpenseLineDetail", "AccountRef", a.1.clone())
            }
            Some("ItemBasedExpenseLineDetail") => {
                let id = ref_val(line.pointer("/ItemBasedExpenseLineDetail/ItemRef")).unwrap_or_default();
                let Some(item) = s.items.iter().find(|it| it.0 == id) else {
                    let detail = format!("{BAD_REF} : Line {n}: ItemRef '{id}' is not an existing item.");
                    return Err(invalid("2500", BAD_REF, &detail, "Line.ItemBasedExpenseLineDetail.ItemRef"));
                };
                ("ItemBasedExpenseLineDetail", "ItemRef", item.1.clone())
            }
            other => {
                let detail = format!("Required parameter Line.DetailType is missing or unsupported in the request (line {n}: {other:?})");
                return Err(invalid("2020", MISSING, &detail, "Line.DetailType"));
            }
        };
        let Some(amount) = line.get("Amount").and_then(Value::as_f64).filter(|a| *a >= 0.0) else {
            return Err(invalid(
                "2050",
                "Invalid Amount",
                &format!("Line {n}: Amount must be a number greater than or equal to 0"),
                "Line.Amount",
            ));
        };
        total += amount;
        line[detail_key][ref_key]["name"] = name.into();
        line["Id"] = n.to_string().into();
        line["LineNum"] = n.into();
    }
    if let Some(doc) = po.get("DocNumber").and_then(Value::as_str) {
        if doc.chars().count() > 21 {
            let msg = "A business validation error has occurred while processing your request";
            return Err(invalid("6000", msg, "Business Validation Error: DocNumber is too long (max 21)", "DocNumber"));
        }
        let taken = s.pos.iter().find(|p| p["DocNumber"].as_str() == Some(doc));
        if let Some(other) = taken.filter(|_| s.forbid_duplicates) {
            let msg = "Duplicate Document Number Error";
            let detail = format!("{msg} : You must specify a different number. This number has already been used. DocNumber={doc} is assigned to TxnType=Purchase Order with TxnId={}", other["Id"].as_str().unwrap_or(""));
            return Err(invalid("6140", msg, &detail, "DocNumber"));
        }
    }
    let currency = company::check_setup(&s.company, &po, &vendor_row)?;
    let (id, t) = (s.next_po.to_string(), now());
    s.next_po += 1;
    let total = (total * 100.0).round() / 100.0;
    po.insert("Line".into(), Value::Array(lines));
    for (k, v) in [
        ("Id", json!(id)),
        ("SyncToken", json!("0")),
        ("domain", json!("QBO")),
        ("sparse", json!(false)),
        ("POStatus", json!("Open")),
        ("TotalAmt", json!(total)),
        ("VendorRef", json!({"value": vendor, "name": vendor_name})),
        ("MetaData", json!({"CreateTime": t, "LastUpdatedTime": t})),
    ] {
        po.insert(k.into(), v);
    }
    if let Some(ap) = ap {
        po.insert("APAccountRef".into(), ap);
    }
    po.entry("TxnDate").or_insert_with(|| json!(&t[..10]));
    po.insert("CurrencyRef".into(), currency);
    let po = Value::Object(po);
    s.pos.push(po.clone());
    Ok(po)
}
