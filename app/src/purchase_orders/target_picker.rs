//! Whom a PO is for: a company, a ticket or a project, found by typing.

use crate::catalog::{list_companies, list_projects, list_tickets};
use crate::components::{non_blank, PickerMatch, PickerMenu};
use crate::error::ApiError;
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Company,
    Ticket,
    Project,
}

#[component]
pub(super) fn TargetPicker(
    kind: RwSignal<Kind>,
    target: RwSignal<Option<i64>>,
    target_label: RwSignal<String>,
    company_id: RwSignal<Option<i64>>,
) -> impl IntoView {
    let text = RwSignal::new(target_label.get_untracked());
    let open = RwSignal::new(false);
    Effect::new(move |_| text.set(target_label.get()));
    let matches = Resource::new(
        move || (kind.get(), text.get(), open.get()),
        |(k, q, open)| async move {
            if !open {
                return Ok(Vec::new());
            }
            let q = non_blank(q);
            let m = |id, label, company_id| PickerMatch { id, label, company_id };
            let items: Vec<PickerMatch> = match k {
                Kind::Company => list_companies(q).await?.into_iter().map(|c| m(c.id, c.name, c.id)).collect(),
                Kind::Ticket => list_tickets(None, q)
                    .await?
                    .into_iter()
                    .map(|t| m(t.id, format!("#{} {}", t.id, t.title), t.company_id))
                    .collect(),
                Kind::Project => list_projects(None, q).await?.into_iter().map(|p| m(p.id, p.name, p.company_id)).collect(),
            };
            Ok::<_, ApiError>(items.into_iter().take(8).collect::<Vec<_>>())
        },
    );
    let placeholder = move || match kind.get() {
        Kind::Company => "Search companies",
        Kind::Ticket => "Search tickets by title",
        Kind::Project => "Search projects",
    };
    view! {
        <div class="picker">
            <input
                type="search"
                name="target"
                autocomplete="off"
                aria-label=placeholder
                placeholder=placeholder
                bind:value=text
                on:focus=move |_| open.set(true)
                on:input=move |_| { open.set(true); target.set(None); company_id.set(None); }
            />
            <Show when=move || target.get().is_some()>
                <span class="picked" data-testid="picked">"✓ " {move || target_label.get()}</span>
            </Show>
            <PickerMenu
                open
                matches
                empty=Signal::stored("No matches")
                on_pick=Callback::new(move |m: PickerMatch| {
                    target.set(Some(m.id));
                    target_label.set(m.label);
                    company_id.set(Some(m.company_id));
                })
            />
        </div>
    }
}
