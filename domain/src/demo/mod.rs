//! Demo data: a small, realistic MSP to try the product with. Seeded only
//! into a database without companies, so it never mixes with real data.
//! [`history`] then gives it six months of purchase orders in every state.

pub mod history;
mod stamp;

use crate::catalog::{CompanyInput, ContractLineInput, Distributor, ProductInput, VendorInput};
use crate::users::{NewUser, Role};
use crate::{Result, Store};

/// The demo's Pax8 product whose orders need a provisioning detail the
/// catalog does not carry: its sandbox refuses an order without it, which
/// gives the demo a failed dispatch to remediate.
pub const DETAIL_PRODUCT_ID: &str = "5e1f0c2d-7a8b-4c9d-8e0f-5e0100000004";
/// The provisioning detail that product needs.
pub const DETAIL_KEY: &str = "siteName";

/// Every demo user signs in with this password.
pub const DEMO_PASSWORD: &str = "demo-password";

/// The demo users: one per role.
pub fn demo_users() -> Vec<(&'static str, &'static str, Role)> {
    vec![
        ("admin@demo.msp", "Alex Admin", Role::Admin),
        ("approver@demo.msp", "Avery Approver", Role::Approver),
        ("purchaser@demo.msp", "Pat Purchaser", Role::Purchaser),
        ("tech@demo.msp", "Taylor Technician", Role::Technician),
        ("viewer@demo.msp", "Vic Viewer", Role::Viewer),
    ]
}

/// Seeds the demo MSP into a new database. Returns false (and changes
/// nothing) when the demo is there already; refuses (and changes nothing) a
/// database that has other users: the demo's known passwords never join
/// real accounts.
pub async fn seed(store: &Store) -> Result<bool> {
    let users = store.user_count().await?;
    let demo: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'admin@demo.msp'")
        .fetch_one(store.pool())
        .await?;
    if users > 0 && demo == 0 {
        return Err(crate::Error::conflict(format!(
            "This database has {users} user(s), so the demo (with its well-known passwords) is not loaded into it. \
             Start a fresh demo with a database of its own, e.g. DATABASE_URL=sqlite://data/demo.db scripts/run --demo"
        )));
    }
    if !store.list_companies(None).await?.is_empty() {
        return Ok(false);
    }
    for (email, name, role) in demo_users() {
        if store
            .create_user(NewUser {
                email: email.into(),
                name: name.into(),
                password: DEMO_PASSWORD.into(),
                role,
            })
            .await
            .is_err()
        {
            tracing::info!(email, "demo user exists already; left as it is");
        }
    }

    let company = |name: &str, pax8: Option<&str>| CompanyInput {
        name: Some(name.into()),
        pax8_company_id: pax8.map(Into::into),
    };
    let harbor = store
        .create_company(&company("Harbor Dental Group", Some("7b2f1c8e-1d2a-4c1e-9b9e-2f6c0c7d1a01")))
        .await?;
    let north = store
        .create_company(&company("Northwind Logistics", Some("3c9d2e4f-8a7b-4e21-b5c3-9d1e2f3a4b02")))
        .await?;
    let cedar = store.create_company(&company("Cedar & Pine Law", None)).await?;

    store.create_ticket(harbor.id, "Laptop for new front-desk hire").await?;
    store.create_ticket(harbor.id, "Replace failing switch in operatory 3").await?;
    store.create_ticket(north.id, "Dock scanners: add two licences").await?;
    store.create_ticket(cedar.id, "Printer toner and drum").await?;
    store.create_project(harbor.id, "Microsoft 365 migration").await?;
    store.create_project(north.id, "Warehouse Wi-Fi refresh").await?;
    store.create_project(cedar.id, "Backup and DR rollout").await?;

    let vendor = |name: &str, d: Option<Distributor>| VendorInput {
        name: Some(name.into()),
        distributor: d,
        qbo_vendor_id: None,
    };
    let pax8 = store.create_vendor(&vendor("Pax8", Some(Distributor::Pax8))).await?;
    let ingram = store.create_vendor(&vendor("Ingram Micro", Some(Distributor::IngramMicro))).await?;
    let cdw = store.create_vendor(&vendor("CDW", None)).await?;

    let product = |vendor_id: i64, name: &str, sku: &str, cents: i64, pid: Option<&str>, term: Option<&str>, commit: Option<&str>| ProductInput {
        vendor_id: Some(vendor_id),
        name: Some(name.into()),
        sku: Some(sku.into()),
        unit_cost_cents: Some(cents),
        distributor_product_id: pid.map(Into::into),
        billing_term: term.map(Into::into),
        commitment_term_id: commit.map(Into::into),
        qbo_item_id: None,
    };
    let m365bp = store
        .create_product(&product(
            pax8.id,
            "Microsoft 365 Business Premium",
            "MST-365-BP",
            2200,
            Some("f3a1c2d4-0b1e-4d5f-8a9b-365b00000001"),
            Some("Monthly"),
            Some("c0mm1t00-0000-4000-8000-000000000001"),
        ))
        .await?;
    let m365bs = store
        .create_product(&product(
            pax8.id,
            "Microsoft 365 Business Standard",
            "MST-365-BS",
            1250,
            Some("f3a1c2d4-0b1e-4d5f-8a9b-365b00000002"),
            Some("Monthly"),
            Some("c0mm1t00-0000-4000-8000-000000000001"),
        ))
        .await?;
    store
        .create_product(&product(
            pax8.id,
            "Acronis Cyber Protect Cloud",
            "ACR-CPC",
            450,
            Some("a7c0b1d2-5e6f-4a3b-9c8d-acr000000003"),
            Some("Monthly"),
            None,
        ))
        .await?;
    store
        .create_product(&product(
            pax8.id,
            "SentinelOne Singularity Complete",
            "S1-SING-CMP",
            650,
            Some(DETAIL_PRODUCT_ID),
            Some("Monthly"),
            None,
        ))
        .await?;
    store
        .create_product(&product(
            ingram.id,
            "Veeam Backup for Microsoft 365",
            "VEE-M365",
            300,
            Some("ING-VEEAM-365"),
            Some("Annual"),
            None,
        ))
        .await?;
    store
        .create_product(&product(cdw.id, "Dell Latitude 5450 laptop", "DELL-LAT-5450", 119900, None, None, None))
        .await?;
    store
        .create_product(&product(cdw.id, "Ubiquiti UniFi Switch 24 PoE", "UBNT-USW-24-POE", 37900, None, None, None))
        .await?;
    store
        .create_product(&product(cdw.id, "HP 58A toner cartridge", "HP-CF258A", 12900, None, None, None))
        .await?;

    let contract = store.create_contract(harbor.id, "Managed Microsoft 365").await?;
    store
        .add_contract_line(
            contract.id,
            &ContractLineInput {
                product_id: Some(m365bp.id),
                description: "Microsoft 365 Business Premium seats".into(),
                quantity: 25,
                unit_price_cents: 2640,
            },
        )
        .await?;
    store
        .add_contract_line(
            contract.id,
            &ContractLineInput {
                product_id: Some(m365bs.id),
                description: "Microsoft 365 Business Standard seats".into(),
                quantity: 5,
                unit_price_cents: 1500,
            },
        )
        .await?;
    let c2 = store.create_contract(north.id, "Managed workplace").await?;
    store
        .add_contract_line(
            c2.id,
            &ContractLineInput {
                product_id: Some(m365bs.id),
                description: "Microsoft 365 Business Standard seats".into(),
                quantity: 40,
                unit_price_cents: 1500,
            },
        )
        .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use crate::testing::store;

    crate::both_backends!(seeds_once);
    async fn seeds_once(b: &'static str) {
        let s = store(b).await;
        assert!(super::seed(&s).await.unwrap());
        assert!(!super::seed(&s).await.unwrap(), "{b}: a second seed changes nothing");
        // A database with real users refuses the demo, changing nothing.
        let real = store(b).await;
        real.create_user(crate::testing::new_user("owner@msp.test", crate::users::Role::Admin))
            .await
            .unwrap();
        let e = super::seed(&real).await.unwrap_err();
        assert!(e.message.contains("Start a fresh demo"), "{b}: {}", e.message);
        assert_eq!(
            (real.user_count().await.unwrap(), real.list_companies(None).await.unwrap().len()),
            (1, 0),
            "{b}"
        );
        assert_eq!(s.list_users().await.unwrap().len(), 5);
        assert_eq!(s.list_companies(None).await.unwrap().len(), 3);
        assert!(s
            .list_vendors()
            .await
            .unwrap()
            .iter()
            .any(|v| v.distributor == Some(crate::catalog::Distributor::Pax8)));
        assert!(s.login("tech@demo.msp", super::DEMO_PASSWORD, "127.0.0.1").await.is_ok());
    }
}
