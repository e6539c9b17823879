use crate::auth::{logout, me, Logout};
use crate::session::Session;
use domain::users::Permission;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

const NAV: [(&str, &str, &str); 9] = [
    ("/purchase-orders", "Purchase orders", "M4 4h16v16H4z M8 8h8 M8 12h8 M8 16h5"),
    ("/spend", "Spend", "M4 20V10 M10 20V4 M16 20v-7 M22 20H2"),
    ("/procurement", "Procurement", "M3 7h13l5 5v5h-3 M3 7v10h2 M8 17h7 M6.5 19a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z M16.5 19a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z"),
    ("/renewals", "Renewals", "M4 12a8 8 0 0 1 14-5.3L20 9 M20 4v5h-5 M20 12a8 8 0 0 1-14 5.3L4 15 M4 20v-5h5"),
    ("/companies", "Companies", "M4 20V6l8-3 8 3v14 M9 20v-5h6v5 M8 9h.01 M12 9h.01 M16 9h.01"),
    ("/vendors", "Vendors", "M3 9l2-5h14l2 5 M4 9v11h16V9 M9 20v-6h6v6"),
    ("/products", "Products", "M12 3l8 4.5v9L12 21l-8-4.5v-9z M12 12l8-4.5 M12 12v9 M12 12L4 7.5"),
    ("/contracts", "Contracts", "M6 3h9l4 4v14H6z M14 3v5h5 M9 13h7 M9 17h5"),
    ("/settings", "Settings", "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z M19 12a7 7 0 0 0-.1-1.2l2-1.6-2-3.4-2.4 1a7 7 0 0 0-2-1.2L14 3h-4l-.5 2.6a7 7 0 0 0-2 1.2l-2.4-1-2 3.4 2 1.6a7 7 0 0 0 0 2.4l-2 1.6 2 3.4 2.4-1a7 7 0 0 0 2 1.2L10 21h4l.5-2.6a7 7 0 0 0 2-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z"),
];

#[component]
pub fn Layout() -> impl IntoView {
    let session = Session(Resource::new(|| (), |_| crate::components::boxed(me())));
    provide_context(session);
    // The count of POs waiting for the signed-in approver, asked again
    // every 20 seconds and on each page change. Only in the browser, once
    // the page is hydrated: the server renders no inbox entry, so that a
    // count that changed in between can never make hydration mismatch.
    let tick = RwSignal::new(0u32);
    crate::components::every(20_000, move || tick.update(|t| *t += 1));
    let location = leptos_router::hooks::use_location();
    let waiting = RwSignal::new(0usize);
    let mounted = RwSignal::new(false);
    Effect::new(move |_| {
        tick.track();
        location.pathname.track();
        mounted.set(true);
        if session.can(Permission::Approve) {
            leptos::task::spawn_local(async move {
                if let Ok(n) = crate::notifications::approval_count().await {
                    waiting.set(n);
                }
            });
        }
    });
    let menu_open = RwSignal::new(false);
    let signout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = signout.value().get() {
            let _ = window().location().set_href("/login");
        }
    });
    let _ = logout;

    view! {
        <div class="app" class:menu-open=move || menu_open.get()>
            <header class="topbar">
                <button
                    class="icon-button menu-toggle"
                    aria-label="Menu"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| menu_open.update(|o| *o = !*o)
                >
                    <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 6h16M4 12h16M4 18h16" /></svg>
                </button>
                <a class="brand" href="/purchase-orders">
                    <span class="brand-mark">"NEXOS"</span>
                    <span class="brand-sub">"Purchasing"</span>
                </a>
                <div class="spacer"></div>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.0.await {
                            Ok(u) => view! {
                                <div class="who" data-testid="who">
                                    <span class="who-name">{u.name.clone()}</span>
                                    <span class=format!("role role-{}", u.role.as_str())>{u.role.label()}</span>
                                </div>
                            }.into_any(),
                            Err(_) => view! { <a href="/login">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Suspense>
                <button class="button ghost" data-testid="sign-out" on:click=move |_| { signout.dispatch(Logout {}); }>"Sign out"</button>
            </header>
            <nav class="sidebar" aria-label="Main" on:click=move |_| menu_open.set(false)>
                {NAV[..1].iter().map(|(href, label, icon)| view! {
                    <A href=*href attr:class="nav-link">
                        <svg viewBox="0 0 24 24" aria-hidden="true"><path d=*icon /></svg>
                        <span>{*label}</span>
                    </A>
                }).collect_view()}
                {move || (mounted.get() && session.can(Permission::Approve)).then(|| view! { <ApprovalsLink count=waiting current=Signal::derive(move || location.pathname.get() == "/approvals") /> })}
                {NAV[1..].iter().map(|(href, label, icon)| view! {
                    <A href=*href attr:class="nav-link">
                        <svg viewBox="0 0 24 24" aria-hidden="true"><path d=*icon /></svg>
                        <span>{*label}</span>
                    </A>
                }).collect_view()}
            </nav>
            <div class="scrim" on:click=move |_| menu_open.set(false)></div>
            <main class="content">
                <Outlet />
            </main>
        </div>
    }
}

/// The inbox's entry, with the count of POs waiting for the signed-in approver.
#[component]
fn ApprovalsLink(count: RwSignal<usize>, current: Signal<bool>) -> impl IntoView {
    // A plain link (the router still navigates in the page): `<A>` with a
    // reactive child cost the first load 8 KB of its own.
    view! {
        <a href="/approvals" class="nav-link" aria-current=move || current.get().then_some("page")>
            <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M9 11l3 3 8-8 M20 12v7a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1h11" /></svg>
            <span>"Approvals"</span>
            {move || Some(count.get()).filter(|n| *n > 0).map(|n| view! {
                <span class="nav-badge" data-testid="approvals-badge">{n}<span class="sr-only">" waiting"</span></span>
            })}
        </a>
    }
}
