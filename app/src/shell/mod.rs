//! The document, the routes, and the frame around every signed-in page.

mod layout;
mod not_found;

use crate::auth::LoginPage;
use crate::procurement::ProcurementPage;
use crate::purchase_orders::{EditPoPage, NewPoPage, PoPage, PoPrintPage, PurchaseOrdersPage};
use crate::reference::{CompaniesPage, CompanyPage, ContractPage, ContractsPage, ProductsPage, VendorsPage};
use crate::settings::SettingsPage;
use layout::Layout;
pub use layout::{use_session, Session};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;
pub use not_found::NotFound;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="data:," />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the page as hydrated, for browser tests. Suspense contents
    // hydrate asynchronously after this effect; a frame and a macrotask later
    // they are done (their data came with the page).
    Effect::new(move |_| {
        request_animation_frame(|| {
            set_timeout(
                || {
                    if let Some(body) = document().body() {
                        let _ = body.set_attribute("data-hydrated", "true");
                    }
                },
                std::time::Duration::from_millis(0),
            )
        });
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/nexos.css" />
        <Title formatter=|t: String| if t.is_empty() { "NEXOS Purchasing".to_string() } else { format!("{t} · NEXOS Purchasing") } />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view=LoginPage />
                <Route path=path!("/purchase-orders/:id/print") view=PoPrintPage />
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("") view=|| view! { <Redirect path="/purchase-orders" /> } />
                    <Route path=path!("purchase-orders") view=PurchaseOrdersPage />
                    <Route path=path!("purchase-orders/new") view=NewPoPage />
                    <Route path=path!("purchase-orders/:id") view=PoPage />
                    <Route path=path!("purchase-orders/:id/edit") view=EditPoPage />
                    <Route path=path!("procurement") view=ProcurementPage />
                    <Route path=path!("companies") view=CompaniesPage />
                    <Route path=path!("companies/:id") view=CompanyPage />
                    <Route path=path!("vendors") view=VendorsPage />
                    <Route path=path!("products") view=ProductsPage />
                    <Route path=path!("contracts") view=ContractsPage />
                    <Route path=path!("contracts/:id") view=ContractPage />
                    <Route path=path!("settings") view=SettingsPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
