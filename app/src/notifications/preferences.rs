//! The signed-in user's switch for notification email.

use super::{notification_preferences, SetNotificationPreferences};
use crate::components::{last_error, ErrorBanner};
use leptos::prelude::*;

#[component]
pub fn EmailPreference() -> impl IntoView {
    let set = ServerAction::<SetNotificationPreferences>::new();
    let prefs = Resource::new(move || set.version().get(), |_| notification_preferences());
    let error = last_error(set.value());
    view! {
        <div class="email-pref" data-testid="email-preference">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    prefs.await.ok().map(|p| view! {
                        <label class="check">
                            <input
                                type="checkbox"
                                name="email_notifications"
                                checked=p.email
                                prop:checked=p.email
                                on:change=move |ev| { set.dispatch(SetNotificationPreferences { email: event_target_checked(&ev) }); }
                            />
                            "Email me about purchase orders (approvals waiting for me, decisions on mine, failures)"
                        </label>
                    })
                })}
            </Transition>
            <ErrorBanner error />
        </div>
    }
}
