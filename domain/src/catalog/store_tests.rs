//! The catalog in the store, on SQLite and PostgreSQL.

use super::*;
use crate::testing::store;

crate::both_backends!(reference_data_round_trips);
async fn reference_data_round_trips(b: &'static str) {
    let s = store(b).await;
    let acme = s
        .create_company(&CompanyInput {
            name: Some("Acme Dental".into()),
            pax8_company_id: None,
        })
        .await
        .unwrap();
    assert_eq!(
        s.create_company(&CompanyInput {
            name: Some("acme dental".into()),
            ..Default::default()
        })
        .await
        .unwrap_err()
        .field
        .as_deref(),
        Some("name"),
        "{b}"
    );
    s.create_company(&CompanyInput {
        name: Some("Globex 50%_".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(s.list_companies(Some("DENT")).await.unwrap(), vec![acme.clone()]);
    assert_eq!(s.list_companies(Some("%")).await.unwrap().len(), 1, "{b}: % is literal");
    let linked = s
        .update_company(
            acme.id,
            &CompanyInput {
                pax8_company_id: Some("c-123".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((linked.name.as_str(), linked.pax8_company_id.as_deref()), ("Acme Dental", Some("c-123")));
    let unlinked = s
        .update_company(
            acme.id,
            &CompanyInput {
                pax8_company_id: Some("".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(unlinked.pax8_company_id, None);
    assert_eq!(
        s.update_company(9999, &CompanyInput::default()).await.unwrap_err().code,
        crate::ErrorCode::NotFound
    );

    let t = s.create_ticket(acme.id, "Laptop for new hire").await.unwrap();
    assert_eq!(s.list_tickets(Some(acme.id), None).await.unwrap(), vec![t]);
    assert_eq!(s.create_ticket(999, "x").await.unwrap_err().field.as_deref(), Some("company_id"));
    let p = s.create_project(acme.id, "M365 migration").await.unwrap();
    assert_eq!(s.list_projects(None, Some("MIGRATION")).await.unwrap(), vec![p]);

    let pax8 = s
        .create_vendor(&VendorInput {
            name: Some("Pax8".into()),
            distributor: Some(Distributor::Pax8),
            qbo_vendor_id: None,
        })
        .await
        .unwrap();
    assert_eq!(pax8.distributor, Some(Distributor::Pax8));
    let v = s
        .update_vendor(
            pax8.id,
            &VendorInput {
                qbo_vendor_id: Some("56".into()),
                ..Default::default()
            },
            false,
        )
        .await
        .unwrap();
    assert_eq!((v.distributor, v.qbo_vendor_id.as_deref()), (Some(Distributor::Pax8), Some("56")));

    let input = ProductInput {
        vendor_id: Some(pax8.id),
        name: Some("Microsoft 365 Business Premium".into()),
        sku: Some("MST-365-BP".into()),
        unit_cost_cents: Some(2200),
        distributor_product_id: Some("a1b2".into()),
        billing_term: Some("Monthly".into()),
        commitment_term_id: Some("ct-1".into()),
        qbo_item_id: None,
    };
    let prod = s.create_product(&input).await.unwrap();
    assert_eq!(s.create_product(&input).await.unwrap_err().field.as_deref(), Some("sku"), "{b}");
    assert_eq!(s.list_products(Some(pax8.id), Some("premium")).await.unwrap(), vec![prod.clone()]);
    let upd = s
        .update_product(
            prod.id,
            &ProductInput {
                unit_cost_cents: Some(2100),
                commitment_term_id: Some("".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (upd.unit_cost_cents, upd.commitment_term_id, upd.billing_term.as_deref()),
        (2100, None, Some("Monthly"))
    );

    let c = s.create_contract(acme.id, "Managed M365").await.unwrap();
    let line = s
        .add_contract_line(
            c.id,
            &ContractLineInput {
                product_id: Some(prod.id),
                description: "M365 BP seats".into(),
                quantity: 10,
                unit_price_cents: 2600,
            },
        )
        .await
        .unwrap();
    assert_eq!(line.status, ContractLineStatus::Pending);
    let got = s.get_contract(c.id).await.unwrap();
    assert_eq!(got.lines, vec![line]);
    let list = s.list_contracts(Some(acme.id)).await.unwrap();
    assert_eq!(
        (list[0].line_count, list[0].pending_lines, list[0].company_name.as_str()),
        (1, 1, "Acme Dental")
    );
}
