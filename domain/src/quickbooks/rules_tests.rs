//! The pure QuickBooks rules: amounts, notes, vendor matching and the
//! purchase order body.

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
        currency: "USD".into(),
        vendor_currency: None,
    }
}

fn us() -> QboCompany {
    QboCompany {
        country: "US".into(),
        home_currency: "USD".into(),
        ..Default::default()
    }
}

fn uk() -> QboCompany {
    QboCompany {
        country: "GB".into(),
        home_currency: "GBP".into(),
        multicurrency: true,
        read_at: String::new(),
    }
}

fn mapping() -> QboMapping {
    QboMapping {
        ap_account_id: Some("33".into()),
        expense_account_id: Some("7".into()),
        tax_code_id: None,
    }
}

#[test]
fn a_po_becomes_a_qbo_purchase_order() {
    let b = purchase_order_body(&input(), &mapping(), &us()).unwrap();
    assert_eq!(b["DocNumber"], "PO-2026-007");
    assert_eq!(b["VendorRef"]["value"], "56");
    assert_eq!(b["APAccountRef"]["value"], "33");
    assert_eq!(b["Line"][0]["DetailType"], "AccountBasedExpenseLineDetail");
    assert_eq!(b["Line"][0]["AccountBasedExpenseLineDetail"]["AccountRef"]["value"], "7");
    assert_eq!(b["Line"][0]["Amount"].to_string(), "66.3");
    assert_eq!(b["Line"][1]["ItemBasedExpenseLineDetail"]["ItemRef"]["value"], "11");
    assert_eq!(b["Line"][1]["ItemBasedExpenseLineDetail"]["UnitPrice"].to_string(), "1299.99");
    assert_eq!(b["PrivateNote"], "NEXOS PO-2026-007 for Acme · ticket: #12 New laptop · urgent");
    assert!(b.get("Memo").is_none(), "the memo is printed for the vendor: nothing internal goes there");
    assert!(
        b.get("GlobalTaxCalculation").is_none() && b.get("CurrencyRef").is_none(),
        "a US company gets neither"
    );
    assert!(b["Line"][0]["AccountBasedExpenseLineDetail"].get("TaxCodeRef").is_none());
}

#[test]
fn a_non_us_multicurrency_company_gets_tax_and_currency() {
    let mut m = mapping();
    let mut i = input();
    i.currency = "GBP".into();
    i.vendor_currency = Some("GBP".into());
    let e = purchase_order_body(&i, &m, &uk()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("tax_code_id"), "{}", e.message);
    assert!(e.message.contains("GB"), "{}", e.message);
    m.tax_code_id = Some("3".into());
    let b = purchase_order_body(&i, &m, &uk()).unwrap();
    assert_eq!(b["GlobalTaxCalculation"], "TaxExcluded");
    assert_eq!(b["CurrencyRef"]["value"], "GBP");
    assert_eq!(b["Line"][0]["AccountBasedExpenseLineDetail"]["TaxCodeRef"]["value"], "3");
    assert_eq!(b["Line"][1]["ItemBasedExpenseLineDetail"]["TaxCodeRef"]["value"], "3");
    // A vendor billed in dollars cannot take a PO in pounds.
    i.vendor_currency = Some("USD".into());
    let e = purchase_order_body(&i, &m, &uk()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("currency"));
    assert!(e.message.contains("billed in USD") && e.message.contains("in GBP"), "{}", e.message);
    // Without multicurrency only the home currency goes.
    let e = purchase_order_body(&input(), &m, &QboCompany { multicurrency: false, ..uk() }).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("currency"), "{}", e.message);
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
    let e = purchase_order_body(&i, &QboMapping::default(), &us()).unwrap_err();
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
        tax_code_id: None,
    };
    assert!(purchase_order_body(&i, &m, &us()).is_ok());
    let e = purchase_order_body(&input(), &m, &us()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("expense_account_id"));
}

#[test]
fn vendors_are_suggested_by_name() {
    let v = |id: &str, name: &str| QboEntity {
        id: id.into(),
        name: name.into(),
        kind: String::new(),
    };
    let list = vec![v("56", "Pax8 Inc"), v("57", "Ingram Micro"), v("58", "Ingram Micro Cloud"), v("59", "CDW")];
    assert_eq!(suggest_vendor("Pax8", &list).map(|e| e.id), Some("56".into()));
    assert_eq!(suggest_vendor("cdw, llc", &list).map(|e| e.id), Some("59".into()));
    assert_eq!(suggest_vendor("Ingram Micro", &list).map(|e| e.id), Some("57".into()), "the same name wins");
    assert_eq!(suggest_vendor("Ingram", &list), None, "two start with it: no guess");
    assert_eq!(suggest_vendor("Dell", &list), None);
    assert_eq!(search_vendors("micro ingram", &list, 10).len(), 2);
    assert_eq!(search_vendors("", &list, 3).len(), 3);
}
