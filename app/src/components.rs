//! Small pieces every page uses.

use crate::error::ApiError;
use domain::users::Permission;
use leptos::prelude::*;

/// A resource's fetch, boxed: on the server a server function's future
/// holds its whole call into the domain (kilobytes of state), and Leptos
/// moves a resource's future by value several times as it wraps it (a
/// profile of the list page put a fifth of its instructions in `memcpy`).
pub fn boxed<T>(fetch: impl std::future::Future<Output = T> + Send + 'static) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>> {
    Box::pin(fetch)
}

/// The error of the last attempt, if it failed.
pub fn last_error<T, S>(v: S) -> Signal<Option<ApiError>>
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, ApiError>>> + Send + Sync + 'static,
{
    Signal::derive(move || v.get().and_then(|r| r.err()))
}

/// A banner with an error's message, shown only when there is one.
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <div class="banner error" role="alert">
                    {e.message().to_string()}
                </div>
            }
        })
    }
}

/// The message under a field when the error names it.
#[component]
pub fn FieldError(#[prop(into)] error: Signal<Option<ApiError>>, #[prop(into)] field: String) -> impl IntoView {
    move || {
        let field = field.clone();
        error.get().filter(|e| e.field() == Some(field.as_str())).map(|e| {
            view! { <p class="field-error" data-field=field>{e.message().to_string()}</p> }
        })
    }
}

/// A whole-page error (when a list or record could not load).
#[component]
pub fn LoadError(error: ApiError) -> impl IntoView {
    view! {
        <div class="banner error" role="alert">
            {error.message().to_string()}
        </div>
    }
}

/// Shows `children` only to users holding `permission`.
#[component]
pub fn IfCan(permission: Permission, children: ChildrenFn) -> impl IntoView {
    let session = crate::session::use_session();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let allowed = session.0.await.map(|u| u.can(permission)).unwrap_or(false);
                allowed.then(|| children.read_value()())
            })}
        </Suspense>
    }
}

#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    #[prop(optional, into)] subtitle: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title.clone() />
        <div class="page-header">
            <div>
                <h1>{title}</h1>
                {subtitle.map(|s| view! { <p class="muted">{s}</p> })}
            </div>
            <div class="page-actions">{children.map(|c| c())}</div>
        </div>
    }
}

#[component]
pub fn EmptyState(#[prop(into)] title: String, #[prop(into)] text: String) -> impl IntoView {
    view! {
        <div class="empty">
            <p class="empty-title">{title}</p>
            <p class="muted">{text}</p>
        </div>
    }
}

/// `"false"` when rendered on the server, `"true"` once this part of the
/// page is hydrated (its handlers work): for `data-ready` attributes.
pub fn hydrated_flag() -> Signal<&'static str> {
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    Signal::derive(move || if ready.get() { "true" } else { "false" })
}

/// Dollars as people read them: `$1,234.56`.
pub fn dollars(cents: i64) -> String {
    let mut out = String::with_capacity(16);
    out.push('$');
    domain::money::push_cents(&mut out, cents);
    out
}

/// Reads an `<input>` or `<select>` value from an event.
pub fn value_of(ev: &leptos::ev::Event) -> String {
    event_target_value(ev)
}

/// `Some(text)` for a non-blank text, else `None`.
pub fn non_blank(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// One match offered by a search-as-you-type picker.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PickerMatch {
    pub id: i64,
    pub label: String,
    /// The company the match belongs to (a company's own id for a company).
    pub company_id: i64,
}

impl Pickable for PickerMatch {
    fn label(&self) -> String {
        self.label.clone()
    }
}

/// What a search-as-you-type picker offers.
pub trait Pickable: Clone + Send + Sync + 'static {
    /// The text of the option.
    fn label(&self) -> String;
    /// A second, quieter text (a status, a SKU).
    fn note(&self) -> Option<String> {
        None
    }
    /// Why it cannot be picked; shown, and the option disabled.
    fn unavailable(&self) -> Option<String> {
        None
    }
}

/// The open list of a search-as-you-type picker: its matches as buttons, or
/// `empty` when there are none (the error's message when the search failed).
#[component]
pub fn PickerMenu<T>(
    open: RwSignal<bool>,
    matches: Resource<Result<Vec<T>, ApiError>>,
    #[prop(into)] empty: Signal<&'static str>,
    on_pick: Callback<T>,
) -> impl IntoView
where
    T: Pickable,
{
    view! {
        <Show when=move || open.get()>
            <ul class="picker-menu" role="listbox">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let items = match matches.await {
                            Ok(items) => items,
                            Err(e) => return view! { <li class="picker-empty field-error" role="alert">{e.message().to_string()}</li> }.into_any(),
                        };
                        if items.is_empty() {
                            return view! { <li class="muted picker-empty">{empty.get_untracked()}</li> }.into_any();
                        }
                        items.into_iter().map(|m| {
                            let label = m.label();
                            let note = m.note();
                            let unavailable = m.unavailable();
                            let disabled = unavailable.is_some();
                            view! {
                                <li role="option" aria-disabled=disabled.then_some("true")>
                                    <button type="button" class="picker-item" disabled=disabled on:click=move |_| {
                                        on_pick.run(m.clone());
                                        open.set(false);
                                    }>
                                        {label}
                                        {note.map(|n| view! { <span class="muted small">" · "{n}</span> })}
                                        {unavailable.map(|u| view! { <span class="picker-why small">" · "{u}</span> })}
                                    </button>
                                </li>
                            }
                        }).collect_view().into_any()
                    })}
                </Transition>
            </ul>
        </Show>
    }
}

/// `2026-11-27T09:30:00.000000Z` → `2026-11-27 09:30 UTC`.
pub fn when(at: &str) -> String {
    match (at.get(..10), at.get(11..16)) {
        (Some(d), Some(t)) => {
            let mut out = String::with_capacity(20);
            out.push_str(d);
            out.push(' ');
            out.push_str(t);
            out.push_str(" UTC");
            out
        }
        _ => at.to_string(),
    }
}

/// Re-runs `f` every `ms` milliseconds in the browser (not on the server).
pub fn every(ms: u64, f: impl Fn() + Clone + 'static) {
    Effect::new(move |_| {
        let f = f.clone();
        if let Ok(handle) = set_interval_with_handle(f, std::time::Duration::from_millis(ms)) {
            on_cleanup(move || handle.clear());
        }
    });
}

/// What one server render of a page has read already, for a resource made
/// in a body that Leptos's `Suspense` builds two or three times on the
/// server before it streams it (its checks walk the body again): every
/// build after the first waits for the first's fetch, finished or still
/// under way, instead of asking the database again. Server only: in the
/// browser every fetch is a fresh one.
#[cfg(feature = "ssr")]
pub struct RenderOnce<T>(std::sync::Arc<tokio::sync::OnceCell<T>>);

#[cfg(feature = "ssr")]
impl<T> Clone for RenderOnce<T> {
    fn clone(&self) -> Self {
        RenderOnce(self.0.clone())
    }
}

#[cfg(feature = "ssr")]
impl<T> Default for RenderOnce<T> {
    fn default() -> Self {
        RenderOnce(Default::default())
    }
}

#[cfg(feature = "ssr")]
impl<T: Clone> RenderOnce<T> {
    /// The answer of this render's first `fetch` (run now if none ran).
    pub async fn get_or_fetch<F: std::future::Future<Output = T>>(&self, fetch: impl FnOnce() -> F) -> T {
        self.0.get_or_init(fetch).await.clone()
    }
}

/// What the PO page provides to the panels in it (procurement,
/// QuickBooks), to reload the PO and its timeline after their actions.
/// Bumped by every action, to reload the PO and its timeline.
#[derive(Clone, Copy)]
pub struct Changed(pub RwSignal<u32>);

/// Bumped to reload only the timeline (a check that changed nothing else).
#[derive(Clone, Copy)]
pub struct TimelineChanged(pub RwSignal<u32>);
