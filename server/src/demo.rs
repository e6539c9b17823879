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
