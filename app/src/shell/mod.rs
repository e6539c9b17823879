//! The document, the routes, and the frame around every signed-in page.

mod layout;
mod not_found;

#[cfg(not(feature = "split"))]
use crate::auth::LoginPage;
#[cfg(not(feature = "split"))]
use crate::catalog::{CompaniesPage, ContractPage, ContractsPage, ProductsPage, VendorsPage};
#[cfg(not(feature = "split"))]
use crate::company::CompanyPage;
#[cfg(not(feature = "split"))]
use crate::notifications::ApprovalsPage;
#[cfg(not(feature = "split"))]
use crate::procurement::ProcurementPage;
use crate::purchase_orders::PurchaseOrdersPage;
#[cfg(not(feature = "split"))]
use crate::purchase_orders::{EditPoPage, NewPoPage, PoPage, PoPrintPage};
#[cfg(not(feature = "split"))]
use crate::reports::SpendPage;
pub use crate::session::{use_session, Session};
#[cfg(not(feature = "split"))]
use crate::settings::SettingsPage;
#[cfg(not(feature = "split"))]
use crate::subscriptions::RenewalsPage;
use layout::Layout;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::path;
#[cfg(feature = "split")]
use leptos_router::Lazy;
pub use not_found::NotFound;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's Content-Security-Policy names the nonce its inline scripts
    // carry (the hydration script and the streamed data; leptos_axum makes
    // one per request).
    #[cfg(feature = "ssr")]
    if let Some(nonce) = leptos::nonce::use_nonce() {
        crate::context::set_header(http::header::CONTENT_SECURITY_POLICY, &crate::context::content_security_policy(&nonce));
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="data:," />
                <AutoReload options=options.clone() />
                // The stylesheet's name carries a hash of its contents
                // (cargo-leptos `hash-files`), read on the server only.
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Marks the page as hydrated (`data-hydrated` on <body>), for browser tests
/// and benchmarks; the browser entry point calls it once the page has
/// hydrated. Suspense contents hydrate asynchronously after; a frame and a
/// macrotask later they are done (their data came with the page).
pub fn mark_hydrated() {
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
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|t: String| if t.is_empty() { "NEXOS Purchasing".to_string() } else { format!("{t} · NEXOS Purchasing") } />
        <Router>
            <Routes fallback=|| view! { <NotFound /> }>
                <Route path=path!("/login") view={page!(LoginRoute, LoginPage)} />
                <Route path=path!("/purchase-orders/:id/print") view={page!(PoPrintRoute, PoPrintPage)} />
                <ParentRoute path=path!("") view=Layout>
                    <Route path=path!("") view=|| view! { <Redirect path="/purchase-orders" /> } />
                    <Route path=path!("purchase-orders") view=PurchaseOrdersPage />
                    <Route path=path!("purchase-orders/new") view={page!(NewPoRoute, NewPoPage)} />
                    <Route path=path!("purchase-orders/:id") view={page!(PoRoute, PoPage)} />
                    <Route path=path!("purchase-orders/:id/edit") view={page!(EditPoRoute, EditPoPage)} />
                    <Route path=path!("procurement") view={page!(ProcurementRoute, ProcurementPage)} />
                    <Route path=path!("companies") view={page!(CompaniesRoute, CompaniesPage)} />
                    <Route path=path!("companies/:id") view={page!(CompanyRoute, CompanyPage)} />
                    <Route path=path!("vendors") view={page!(VendorsRoute, VendorsPage)} />
                    <Route path=path!("products") view={page!(ProductsRoute, ProductsPage)} />
                    <Route path=path!("contracts") view={page!(ContractsRoute, ContractsPage)} />
                    <Route path=path!("contracts/:id") view={page!(ContractRoute, ContractPage)} />
                    <Route path=path!("settings") view={page!(SettingsRoute, SettingsPage)} />
                    <Route path=path!("approvals") view={page!(ApprovalsRoute, ApprovalsPage)} />
                    <Route path=path!("spend") view={page!(SpendRoute, SpendPage)} />
                    <Route path=path!("renewals") view={page!(RenewalsRoute, RenewalsPage)} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

// With the `split` feature (release builds: `cargo leptos build --split
// --features split`), the pages other than the list of purchase orders (the
// landing page) are lazily loaded, in groups: a PO's page and its print, the
// editor (new, edit), the approvals inbox, the other pages of the app, and
// sign-in, so that a page loads only what it shows (the PO page an approver
// opens from a mail does not download the editor, nor the inbox the rest
// of the app; bench/FINDINGS.md, "First load per page"). The code
// of each group goes to wasm chunks the browser fetches only when it shows a
// page of that group; the server names the chunks of the page it renders in
// the page head, so they load alongside the main wasm. Few groups, because
// wasm-split makes a chunk for each set of groups sharing code: one lazy
// route per page made 130 chunks (requests) for the list alone; five
// groups make fifteen. Pages load
// their own data, as before. Without the feature (a build without `--split`)
// every page is in the one wasm.
#[cfg(feature = "split")]
macro_rules! page {
    ($route:ident, $page:ident) => {
        Lazy::<lazy_pages::$route>::new()
    };
}
#[cfg(not(feature = "split"))]
macro_rules! page {
    ($route:ident, $page:ident) => {
        $page
    };
}
use page;

#[cfg(feature = "split")]
mod lazy_pages {
    use crate::auth::LoginPage;
    use crate::catalog::{CompaniesPage, ContractPage, ContractsPage, ProductsPage, VendorsPage};
    use crate::company::CompanyPage;
    use crate::notifications::ApprovalsPage;
    use crate::procurement::ProcurementPage;
    use crate::purchase_orders::{EditPoPage, NewPoPage, PoPage, PoPrintPage};
    use crate::reports::SpendPage;
    use crate::settings::SettingsPage;
    use crate::subscriptions::RenewalsPage;
    use leptos::prelude::*;
    use leptos_router::LazyRoute;

    /// A lazily loaded page; its group's function renders it.
    #[derive(Clone, Copy)]
    #[repr(u8)]
    pub enum Page {
        Login,
        Po,
        NewPo,
        EditPo,
        PoPrint,
        Procurement,
        Companies,
        Company,
        Vendors,
        Products,
        Contracts,
        Contract,
        Settings,
        Approvals,
        Spend,
        Renewals,
    }

    #[leptos::lazy]
    fn sign_in_pages(page: Page) -> AnyView {
        match page {
            Page::Login => view! { <LoginPage /> }.into_any(),
            _ => ().into_any(),
        }
    }

    #[leptos::lazy]
    fn po_view_pages(page: Page) -> AnyView {
        match page {
            Page::Po => view! { <PoPage /> }.into_any(),
            Page::PoPrint => view! { <PoPrintPage /> }.into_any(),
            _ => ().into_any(),
        }
    }

    #[leptos::lazy]
    fn po_editor_pages(page: Page) -> AnyView {
        match page {
            Page::NewPo => view! { <NewPoPage /> }.into_any(),
            Page::EditPo => view! { <EditPoPage /> }.into_any(),
            _ => ().into_any(),
        }
    }

    #[leptos::lazy]
    fn inbox_pages(page: Page) -> AnyView {
        match page {
            Page::Approvals => view! { <ApprovalsPage /> }.into_any(),
            _ => ().into_any(),
        }
    }

    #[leptos::lazy]
    fn other_pages(page: Page) -> AnyView {
        match page {
            Page::Procurement => view! { <ProcurementPage /> }.into_any(),
            Page::Companies => view! { <CompaniesPage /> }.into_any(),
            Page::Company => view! { <CompanyPage /> }.into_any(),
            Page::Vendors => view! { <VendorsPage /> }.into_any(),
            Page::Products => view! { <ProductsPage /> }.into_any(),
            Page::Contracts => view! { <ContractsPage /> }.into_any(),
            Page::Contract => view! { <ContractPage /> }.into_any(),
            Page::Settings => view! { <SettingsPage /> }.into_any(),
            Page::Spend => view! { <SpendPage /> }.into_any(),
            Page::Renewals => view! { <RenewalsPage /> }.into_any(),
            _ => ().into_any(),
        }
    }

    // The router loads a lazy route's code (`preload`) before it renders or
    // hydrates the route, so that hydration finds the page's view ready.
    // A route whose page leads to a page of another group (the editor, on
    // save, to the PO's page) names that group too (`+ group`): its code
    // is fetched in the background once the route's own is in, so that
    // leaving the editor shows the PO at once, never the editor again.
    macro_rules! lazy_route {
        ($($route:ident => $group:ident($page:ident) $preload:ident $(+ $next:ident)?,)*) => {$(
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn preload() {
                    #[cfg(target_arch = "wasm32")]
                    {
                        $preload().await;
                        $(leptos::task::spawn_local($next());)?
                    }
                }

                async fn view(_this: Self) -> AnyView {
                    $group(Page::$page).await
                }
            }
        )*};
    }

    lazy_route! {
        LoginRoute => sign_in_pages(Login) __preload_sign_in_pages,
        PoRoute => po_view_pages(Po) __preload_po_view_pages,
        NewPoRoute => po_editor_pages(NewPo) __preload_po_editor_pages + __preload_po_view_pages,
        EditPoRoute => po_editor_pages(EditPo) __preload_po_editor_pages + __preload_po_view_pages,
        PoPrintRoute => po_view_pages(PoPrint) __preload_po_view_pages,
        ProcurementRoute => other_pages(Procurement) __preload_other_pages,
        CompaniesRoute => other_pages(Companies) __preload_other_pages,
        CompanyRoute => other_pages(Company) __preload_other_pages,
        VendorsRoute => other_pages(Vendors) __preload_other_pages,
        ProductsRoute => other_pages(Products) __preload_other_pages,
        ContractsRoute => other_pages(Contracts) __preload_other_pages,
        ContractRoute => other_pages(Contract) __preload_other_pages,
        SettingsRoute => other_pages(Settings) __preload_other_pages,
        ApprovalsRoute => inbox_pages(Approvals) __preload_inbox_pages,
        SpendRoute => other_pages(Spend) __preload_other_pages,
        RenewalsRoute => other_pages(Renewals) __preload_other_pages,
    }
}
