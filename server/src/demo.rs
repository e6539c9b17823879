//! Demo mode: a sandbox Pax8 (the project's fake) in the same process, and
//! an encryption key kept in the data folder, so that a new user can
//! dispatch end to end without any account anywhere.

use app::context::AppState;
use fakes::pax8::{FakePax8, ProductRule};
use fakes::qbo::FakeQbo;

const DEMO_KEY_FILE: &str = "data/demo-encryption.key";
pub const DEMO_CLIENT_ID: &str = "demo-client";
const DEMO_CLIENT_SECRET: &str = "demo-secret";

/// The demo's encryption key: the one in the data folder, or a new one.
pub fn demo_key() -> anyhow::Result<String> {
    if let Ok(k) = std::fs::read_to_string(DEMO_KEY_FILE) {
        return Ok(k.trim().to_string());
    }
    let key = domain::crypto::EncryptionKey::generate();
    if let Some(dir) = std::path::Path::new(DEMO_KEY_FILE).parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Readable by its owner only (0600), whatever the umask.
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(DEMO_KEY_FILE)?;
        f.write_all(key.as_bytes())?;
    }
    #[cfg(not(unix))]
    std::fs::write(DEMO_KEY_FILE, &key)?;
    tracing::warn!("demo mode: generated an encryption key in {DEMO_KEY_FILE} (for trying the product only)");
    Ok(key)
}

/// Starts the sandbox Pax8 with the demo's companies and products, points
/// the state at it and stores the demo credentials.
pub async fn sandbox_pax8(state: &mut AppState) -> anyhow::Result<FakePax8> {
    let fake = FakePax8::start(0, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).await?;
    fake.activate_after(2);
    for c in state.store.list_companies(None).await? {
        if let Some(id) = c.pax8_company_id {
            fake.add_company_named(&id, &c.name, "Active");
        }
    }
    for p in state.store.list_products(None, None).await? {
        if let Some(id) = p.distributor_product_id {
            // Products sold with a commitment term require one, as at Pax8.
            fake.add_product(
                &id,
                ProductRule {
                    requires_commitment: p.commitment_term_id.is_some(),
                    // One product needs a detail the catalog lacks (a failed dispatch to remediate).
                    required_details: if id == domain::demo::DETAIL_PRODUCT_ID {
                        vec![domain::demo::DETAIL_KEY.to_string()]
                    } else {
                        Vec::new()
                    },
                    name: p.name.clone(),
                    commitments: p.commitment_term_id.iter().map(|c| (c.clone(), "Annual".to_string())).collect(),
                    ..Default::default()
                },
            );
        }
    }
    // Customers at Pax8 not linked yet, to pick from on a company's page.
    fake.add_company_named("b7c1d7e2-5f0a-4c1e-9d55-3a1f0c2e9b11", "Northwind Dental", "Active");
    fake.add_company_named("c2e8a4f0-1b7d-4e3a-8c66-9d2b5e7f1a22", "Old Mill Bakery", "Inactive");
    state.pax8_api_url = fake.base.clone();
    state.pax8_token_url = fake.token_url();
    state.pax8_sandbox = true;
    if let Some(key) = &state.encryption_key {
        if state.store.pax8_sealed().await?.is_none() {
            let creds = domain::procurement::credentials::Pax8Credentials {
                client_id: DEMO_CLIENT_ID.into(),
                client_secret: DEMO_CLIENT_SECRET.into(),
            };
            state.store.save_pax8_credentials(key, &creds).await.map_err(|e| anyhow::anyhow!(e.message))?;
        }
    }
    tracing::info!(url = %fake.base, "demo mode: Pax8 is a local sandbox");
    Ok(fake)
}

/// Starts the sandbox Intuit (OAuth and QuickBooks) for the demo, with the
/// demo's vendors known to it, and the Intuit app pointing at it.
pub async fn sandbox_qbo(config: &crate::config::Config, store: &domain::Store) -> anyhow::Result<(FakeQbo, domain::quickbooks::client::QboApp)> {
    let fake = FakeQbo::start(0, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET).await?;
    // The sandbox company has a vendor for each of the demo's, to map to.
    for v in store.list_vendors().await? {
        fake.add_vendor(&(100 + v.id).to_string(), &v.name);
    }
    let app = domain::quickbooks::client::QboApp {
        api_url: fake.api_url(),
        sandbox_api_url: fake.api_url(),
        auth_url: fake.auth_url(),
        token_url: fake.token_url(),
        revoke_url: fake.revoke_url(),
        // The local Intuit is a sandbox: only sandbox companies are offered.
        production: None,
        sandbox: Some(domain::quickbooks::client::QboKeys {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: DEMO_CLIENT_SECRET.into(),
        }),
        redirect_uri: format!("{}/integrations/qbo/callback", config.public_url()),
        timeout: std::time::Duration::from_secs(10),
    };
    tracing::info!(url = %fake.api_url(), "demo mode: QuickBooks is a local sandbox");
    Ok((fake, app))
}

/// Connects the sandbox QuickBooks at each demo start, as an admin would by
/// Connect QuickBooks: the sandbox starts empty with every run, so a
/// connection kept from an earlier run names tokens it never issued. Maps
/// the accounts (unless mapped) and Ingram Micro to its sandbox vendor, so
/// the demo's history can push a PO.
pub async fn link_sandbox_qbo(state: &AppState, fake: &FakeQbo) -> anyhow::Result<()> {
    let Some(qbo) = &state.qbo else { return Ok(()) };
    let fail = |e: domain::Error| anyhow::anyhow!("demo QuickBooks: {}", e.message);
    let admin = state
        .store
        .list_users()
        .await
        .map_err(fail)?
        .into_iter()
        .find(|u| u.email == "admin@demo.msp" && u.active);
    let Some(admin) = admin else { return Ok(()) };
    if qbo.connected().await {
        qbo.disconnect().await.map_err(fail)?;
    }
    let url = qbo.begin_connect(&admin, domain::quickbooks::Environment::Sandbox).await.map_err(fail)?;
    let back = fake.consent(&url).map_err(|e| anyhow::anyhow!("demo QuickBooks consent: {e}"))?;
    let query: std::collections::HashMap<String, String> = form_urlencoded::parse(back.split_once('?').map(|(_, q)| q).unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| query.get(k).cloned().unwrap_or_default();
    qbo.complete_connect(&admin, &get("code"), &get("state"), &get("realmId")).await.map_err(fail)?;
    let mapping = qbo.mapping().await.map_err(fail)?;
    if mapping.ap_account_id.is_none() {
        // The sandbox company's Accounts Payable and a cost-of-goods account.
        qbo.save_mapping(&domain::quickbooks::QboMapping {
            ap_account_id: Some("33".into()),
            expense_account_id: Some("7".into()),
            tax_code_id: None,
        })
        .await
        .map_err(fail)?;
    }
    for v in state.store.list_vendors().await.map_err(fail)? {
        if v.name == "Ingram Micro" && v.qbo_vendor_id.is_none() {
            let input = domain::catalog::VendorInput {
                name: None,
                distributor: None,
                qbo_vendor_id: Some((100 + v.id).to_string()),
            };
            state.store.update_vendor(v.id, &input, false).await.map_err(fail)?;
        }
    }
    Ok(())
}

/// Six months of purchase orders (see `domain::demo::history`), made once
/// into a demo without any.
pub async fn seed_history(state: &AppState) -> anyhow::Result<()> {
    let pax8 = state.pax8().await.map_err(|e| anyhow::anyhow!("demo Pax8: {}", e.0.message))?;
    let maker = domain::demo::history::Maker {
        store: &state.store,
        distributor: std::sync::Arc::new(pax8),
        qbo: state.qbo.as_ref(),
    };
    let made = maker.seed().await.map_err(|e| anyhow::anyhow!("demo history: {}", e.message))?;
    if made > 0 {
        tracing::info!(purchase_orders = made, "seeded the demo's six months of purchase orders");
    }
    Ok(())
}

/// Subscriptions the demo's customers already have at Pax8 (made before
/// NEXOS, the same ids at every start), read in by a sync: one whose
/// commitment ends within 30 days (the renewals to come), and one whose
/// seats were then changed in Pax8's portal (drift on the company's page).
pub async fn seed_subscriptions(state: &AppState, fake: &FakePax8) -> anyhow::Result<()> {
    let companies = state.store.list_companies(None).await?;
    let Some(company) = companies.iter().find_map(|c| c.pax8_company_id.clone()) else {
        return Ok(());
    };
    let products = state.store.list_products(None, None).await?;
    // A product sold with a commitment (its rules at Pax8 allow fewer seats
    // only at the renewal), else any of Pax8's.
    let Some(product) = products
        .iter()
        .filter(|p| p.commitment_term_id.is_some())
        .chain(products.iter())
        .find_map(|p| p.distributor_product_id.clone())
    else {
        return Ok(());
    };
    let renews = (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y-%m-%dT00:00:00Z").to_string();
    fake.add_subscription_as(
        "5b5c0a01-0000-4000-8000-000000000001",
        &company,
        &product,
        25,
        "Annual",
        Some(("1-Year", &renews)),
    );
    fake.add_subscription_as("5b5c0a01-0000-4000-8000-000000000002", &company, &product, 10, "Monthly", None);
    let pax8 = state.pax8().await.map_err(|e| anyhow::anyhow!("demo Pax8: {}", e.0.message))?;
    state
        .store
        .sync_all_subscriptions(&pax8)
        .await
        .map_err(|e| anyhow::anyhow!("demo subscriptions: {}", e.message))?;
    fake.change_in_portal("5b5c0a01-0000-4000-8000-000000000002", 12);
    state
        .store
        .sync_all_subscriptions(&pax8)
        .await
        .map_err(|e| anyhow::anyhow!("demo subscriptions: {}", e.message))?;
    held_decrease(state).await
}

/// Five leavers on the committed subscription: a change order to 20 seats,
/// approved and dispatched, which the engine holds for the renewal (Pax8
/// allows fewer seats only then).
async fn held_decrease(state: &AppState) -> anyhow::Result<()> {
    use domain::purchase_orders::{ChangeInput, LineInput, PoInput};
    let users = state.store.list_users().await?;
    let by = |email: &str| users.iter().find(|u| u.email == email).cloned();
    let (Some(buyer), Some(approver)) = (by("purchaser@demo.msp"), by("approver@demo.msp")) else {
        return Ok(());
    };
    let subs = state.store.list_subscriptions(None, None).await?;
    let Some(sub) = subs.iter().find(|s| s.distributor_subscription_id == "5b5c0a01-0000-4000-8000-000000000001") else {
        return Ok(());
    };
    // Once: a restarted demo keeps the one it made.
    if !state.store.change_orders_of(sub.id).await?.is_empty() {
        return Ok(());
    }
    let input = PoInput {
        lines: vec![LineInput {
            change: Some(ChangeInput {
                subscription_id: sub.id,
                quantity: Some(20),
                ..Default::default()
            }),
            ..Default::default()
        }],
        notes: Some("Five leavers: 20 seats from the renewal on.".into()),
        ..Default::default()
    };
    let po = state.store.create_po(&buyer, &input, true).await?;
    let po = state.store.approve_po(&approver, po.id, po.version, None).await?;
    state.store.request_dispatch(&buyer, po.id).await?;
    Ok(())
}
