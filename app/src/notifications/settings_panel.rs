//! Settings → Notifications (admins): how mail goes out (with a test
//! mail), the demo's sandbox mailbox, webhooks with their last deliveries,
//! and deliveries that failed, with "Send again".

use super::{notifications_status, sandbox_mailbox, CreateWebhook, DeleteWebhook, RetryDelivery, SendTestMail};
use crate::components::{last_error, when, ErrorBanner, FieldError, LoadError};
use domain::notifications::{Delivery, DeliveryStatus, Event, MailStatus, SandboxMail, Webhook, WebhookKind};
use leptos::prelude::*;

#[component]
pub fn NotificationsPanel() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let retry = ServerAction::<RetryDelivery>::new();
    let test = ServerAction::<SendTestMail>::new();
    let refresh = RwSignal::new(0u32);
    let status = Resource::new(
        move || {
            (
                create.version().get(),
                delete.version().get(),
                retry.version().get(),
                test.version().get(),
                refresh.get(),
            )
        },
        |_| notifications_status(),
    );
    // Created here, outside the suspense, so that server and browser number it alike.
    let mailbox = Resource::new(move || test.version().get(), |_| sandbox_mailbox());
    let ready = crate::components::hydrated_flag();
    view! {
        <section class="card" data-testid="notifications" data-ready=ready>
            <div class="card-head">
                <h2>"Notifications"</h2>
                <button class="button ghost" type="button" on:click=move |_| refresh.update(|r| *r += 1)>"Refresh"</button>
            </div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match status.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(v) => view! {
                            <MailSection mail=v.mail.clone() test mailbox />
                            <h3>"Webhooks"</h3>
                            <WebhookList hooks=v.webhooks delete />
                            {if v.webhooks_available {
                                view! { <WebhookForm create /> }.into_any()
                            } else {
                                view! { <p class="muted">"Webhooks need the encryption key (their URLs and secrets are kept encrypted); see the README."</p> }.into_any()
                            }}
                            <h3>"Failed deliveries"</h3>
                            <FailedList failed=v.failed retry />
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn MailSection(mail: MailStatus, test: ServerAction<SendTestMail>, mailbox: Resource<Result<Vec<SandboxMail>, crate::error::ApiError>>) -> impl IntoView {
    let error = last_error(test.value());
    let sandbox = mail.mode == "sandbox";
    let (label, detail) = match mail.mode.as_str() {
        "smtp" => (
            "Email: SMTP",
            format!("{} · from {}", mail.server.clone().unwrap_or_default(), mail.from.clone().unwrap_or_default()),
        ),
        "sandbox" => (
            "Email: sandbox mailbox (demo)",
            "Mail stays on this machine, in the mailbox below: see what approvers would receive.".to_string(),
        ),
        _ => (
            "Email: off",
            "Set NEXOS_SMTP_URL and NEXOS_MAIL_FROM to send mail; until then email notifications are recorded as not sent.".to_string(),
        ),
    };
    view! {
        <div class="mail-status" data-testid="mail-status">
            <p><strong>{label}</strong></p>
            <p class="muted small">{detail}</p>
            {move || test.value().get().and_then(|r| r.ok()).map(|to| view! {
                <div class="banner success" role="status">{format!("Test mail sent to {to}.")}</div>
            })}
            <ErrorBanner error />
            <button class="button" type="button" on:click=move |_| { test.dispatch(SendTestMail {}); } disabled=move || test.pending().get()>"Send test mail"</button>
            {sandbox.then(|| view! { <SandboxMailbox mail=mailbox /> })}
        </div>
    }
}

#[component]
fn SandboxMailbox(mail: Resource<Result<Vec<SandboxMail>, crate::error::ApiError>>) -> impl IntoView {
    view! {
        <div class="sandbox-mailbox" data-testid="sandbox-mailbox">
            <h3>"Sandbox mailbox " <span class="badge">"demo: nothing is sent"</span></h3>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match mail.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(l) if l.is_empty() => view! { <p class="muted">"No mail yet. Submit a PO over the auto-approve limit and the approvers' mail lands here."</p> }.into_any(),
                        Ok(l) => view! {
                            <ul class="mailbox">
                                {l.into_iter().map(|m| view! {
                                    <li>
                                        <details>
                                            <summary><strong>{m.subject}</strong><span class="muted small">{format!(" to {} · {}", m.to, when(&m.at))}</span></summary>
                                            <pre class="mail-text">{m.text}</pre>
                                        </details>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

fn events_in_words(events: &[Event]) -> String {
    if events.is_empty() {
        "all events".into()
    } else {
        events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")
    }
}

fn status_class(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Delivered => "badge po-approved",
        DeliveryStatus::Pending => "badge po-pending_approval",
        DeliveryStatus::Failed | DeliveryStatus::NotSent => "badge po-rejected",
    }
}

#[component]
fn WebhookList(hooks: Vec<Webhook>, delete: ServerAction<DeleteWebhook>) -> impl IntoView {
    let error = last_error(delete.value());
    if hooks.is_empty() {
        return view! { <p class="muted">"No webhooks. Add one to post to Slack, Teams or your own endpoint."</p> }.into_any();
    }
    view! {
        <ErrorBanner error />
        <ul class="webhooks" data-testid="webhooks">
            {hooks.into_iter().map(|w| {
                let id = w.id;
                view! {
                    <li class="webhook">
                        <div class="webhook-head">
                            <span><strong>{w.kind.label()}</strong> " " <code>{w.url.clone()}</code></span>
                            <span class="muted small">{format!("{}{}", events_in_words(&w.events), if w.signed { " · signed" } else { "" })}</span>
                            <button class="button ghost small" type="button" aria-label=format!("Delete the webhook to {}", w.url) on:click=move |_| { delete.dispatch(DeleteWebhook { id }); }>"Delete"</button>
                        </div>
                        <DeliveryTable deliveries=w.recent empty="No deliveries yet." />
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn DeliveryTable(deliveries: Vec<Delivery>, empty: &'static str, #[prop(optional)] retry: Option<ServerAction<RetryDelivery>>) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="muted small">{empty}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="table deliveries" data-testid="deliveries">
                <thead><tr><th>"Event"</th><th>"About"</th><th>"To"</th><th>"Status"</th><th class="num">"Attempts"</th><th>"Last answer"</th>{retry.map(|_| view! { <th><span class="sr-only">"Actions"</span></th> })}</tr></thead>
                <tbody>
                    {deliveries.into_iter().map(|d| {
                        let id = d.id;
                        let answer = match (d.last_code, d.last_error.clone()) {
                            (Some(c), Some(e)) if !e.starts_with("HTTP") => format!("{c}: {e}"),
                            (_, Some(e)) => e,
                            (Some(c), None) => c.to_string(),
                            (None, None) => "—".into(),
                        };
                        view! {
                            <tr>
                                <td>{d.event.as_str()}</td>
                                <td><a href=about_link(&d)>{d.about.clone()}</a></td>
                                <td class="wrap">{d.recipient.clone()}</td>
                                <td><span class=status_class(d.status)>{d.status.label()}</span></td>
                                <td class="num">{d.attempts}</td>
                                <td class="wrap small">{answer}</td>
                                {retry.map(|r| view! {
                                    <td><button class="button small" type="button" on:click=move |_| { r.dispatch(RetryDelivery { id }); }>"Send again"</button></td>
                                })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn FailedList(failed: Vec<Delivery>, retry: ServerAction<RetryDelivery>) -> impl IntoView {
    let error = last_error(retry.value());
    view! {
        <div data-testid="failed-deliveries">
            <ErrorBanner error />
            <DeliveryTable deliveries=failed empty="None: every notification went out." retry />
        </div>
    }
}

#[component]
fn WebhookForm(create: ServerAction<CreateWebhook>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let kind = RwSignal::new("generic".to_string());
    let secret = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<String>::new());
    let error = last_error(create.value());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            url.set(String::new());
            secret.set(String::new());
            chosen.set(Vec::new());
        }
    });
    view! {
        <form class="inline-form webhook-form" on:submit=move |ev| {
            ev.prevent_default();
            let events = chosen.get_untracked();
            let s = secret.get_untracked();
            create.dispatch(CreateWebhook {
                url: url.get_untracked(),
                kind: kind.get_untracked(),
                events: (!events.is_empty()).then_some(events),
                secret: (!s.trim().is_empty()).then_some(s),
            });
        }>
            <ErrorBanner error=Signal::derive(move || error.get().filter(|e| e.field().is_none())) />
            <div class="fields">
                <label class="wide">"Webhook URL"<input name="webhook_url" type="url" inputmode="url" placeholder="https://hooks.slack.com/services/…" bind:value=url /><FieldError error field="url" /></label>
                <label>"Kind"
                    <select name="webhook_kind" on:change=move |ev| kind.set(event_target_value(&ev)) prop:value=move || kind.get()>
                        {WebhookKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                    </select>
                    <FieldError error field="kind" />
                </label>
                <label>"Signing secret (optional)"<input name="webhook_secret" type="password" autocomplete="off" bind:value=secret /><FieldError error field="secret" /></label>
            </div>
            <fieldset class="events">
                <legend>"Events (none ticked: all)"</legend>
                {Event::ALL.into_iter().map(|e| {
                    let name = e.as_str().to_string();
                    let n2 = name.clone();
                    view! {
                        <label class="check">
                            <input type="checkbox" name="webhook_events" value=name.clone()
                                prop:checked=move || chosen.get().contains(&n2)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    let name = name.clone();
                                    chosen.update(|c| { c.retain(|x| *x != name); if on { c.push(name); } });
                                } />
                            {format!("{} ({})", e.label(), e.as_str())}
                        </label>
                    }
                }).collect_view()}
                <FieldError error field="events" />
            </fieldset>
            <button class="button primary" type="submit" disabled=move || create.pending().get()>"Add webhook"</button>
        </form>
    }
}

/// Where a delivery's subject is shown: its PO, or the subscription on its
/// company's page.
fn about_link(d: &Delivery) -> String {
    match (d.po_id, d.subscription_id, d.company_id) {
        (Some(po), _, _) => format!("/purchase-orders/{po}"),
        (None, Some(s), Some(c)) => format!("/companies/{c}#subscription-{s}"),
        _ => "/renewals".into(),
    }
}
