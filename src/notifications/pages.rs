//! The notifications page, the header link with the unread count, and the preferences form.

use super::{
    api::{
        MarkNotificationsRead, SaveNotificationPreferences, list_notifications,
        notification_preferences, unread_notifications,
    },
    model::Notification,
};
use crate::{
    dates::{iso_date, long_date},
    error::AppError,
    ui::{
        ErrorPage, PageTitle,
        forms::{FormError, error_of},
        session::{RequireUser, SessionContext},
    },
};
use leptos::prelude::*;

/// The unread count and the action that clears it. Provided once by `App`.
#[derive(Clone, Copy)]
pub struct NotificationsContext {
    pub unread: Resource<Result<i64, AppError>>,
    pub mark_read: ServerAction<MarkNotificationsRead>,
}

/// Creates the context; the count is read with every page, after signing in or out, and after
/// "Mark all as read". Call after `provide_session`.
pub fn provide_notifications() {
    let mark_read = ServerAction::<MarkNotificationsRead>::new();
    let session: SessionContext = expect_context();
    let unread = Resource::new(
        move || (mark_read.version().get(), session.generation.get()),
        |_| unread_notifications(),
    );
    provide_context(NotificationsContext { unread, mark_read });
}

/// "Notifications" in the header, with how many are unread. The header reads the count in the
/// same suspense as the user (a suspense of its own inside the header's broke hydration).
#[component]
pub fn NotificationsLink(unread: i64) -> impl IntoView {
    view! {
        <a href="/account/notifications" class="font-medium hover:text-brand-700">
            "Notifications"
            {(unread > 0).then(|| view! {
                <span class="ml-1 rounded-full bg-brand-700 px-2 text-sm text-white" data-testid="notification-count">
                    {unread}<span class="sr-only">" unread"</span>
                </span>
            })}
        </a>
    }
}

/// `/account/notifications`.
#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! {
        <PageTitle text="Notifications — Emporium"/>
        <RequireUser>
            <NotificationList/>
        </RequireUser>
    }
}

#[component]
fn NotificationList() -> impl IntoView {
    let NotificationsContext { mark_read, .. } = expect_context();
    let notifications = Resource::new(move || mark_read.version().get(), |_| list_notifications());
    view! {
        <div class="mb-6 flex flex-wrap items-center justify-between gap-4">
            <h1 class="text-2xl font-bold">"Notifications"</h1>
            <ActionForm action=mark_read>
                <button type="submit" class="rounded-md border border-slate-300 px-3 py-1">"Mark all as read"</button>
            </ActionForm>
        </div>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                {move || Suspend::new(async move {
                    notifications.await.map(|list| {
                        if list.is_empty() {
                            view! { <p>"Nothing new. We'll tell you here when your orders ship."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="space-y-3">
                                    {list.into_iter().map(|n| view! { <NotificationItem notification=n/> }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn NotificationItem(notification: Notification) -> impl IntoView {
    let class = if notification.read {
        "rounded-lg border border-slate-200 bg-white p-4"
    } else {
        "rounded-lg border-2 border-brand-600 bg-white p-4"
    };
    view! {
        <li class=class data-testid="notification">
            <p class="font-semibold">
                {(!notification.read).then(|| view! { <span class="mr-2 text-sm text-brand-700">"New"</span> })}
                {if notification.link.is_empty() {
                    view! { <span>{notification.title.clone()}</span> }.into_any()
                } else {
                    view! { <a href=notification.link.clone() class="underline">{notification.title.clone()}</a> }.into_any()
                }}
            </p>
            <p>{notification.body.clone()}</p>
            <p class="text-sm text-slate-600">
                <time datetime=iso_date(notification.created_at)>{long_date(notification.created_at)}</time>
            </p>
        </li>
    }
}

/// The notification preferences form of the account page.
#[component]
pub fn PreferencesForm() -> impl IntoView {
    let save = ServerAction::<SaveNotificationPreferences>::new();
    let error = error_of(save);
    let preferences = Resource::new(|| (), |_| notification_preferences());
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    view! {
        <section aria-labelledby="preferences-heading" class="space-y-3">
            <h2 id="preferences-heading" class="text-xl font-semibold">"Notifications"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                    {move || Suspend::new(async move {
                        preferences.await.map(|p| view! {
                            <ActionForm action=save attr:class="space-y-2">
                                <label class="flex items-center gap-2">
                                    <input type="checkbox" name="orders_email" checked=p.orders_email/>
                                    "Order updates by email"
                                </label>
                                <label class="flex items-center gap-2">
                                    <input type="checkbox" name="orders_app" checked=p.orders_app/>
                                    "Order updates in the shop"
                                </label>
                                <label class="flex items-center gap-2">
                                    <input type="checkbox" name="news_email" checked=p.news_email/>
                                    "News and offers by email"
                                </label>
                                <FormError error/>
                                <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800">"Save preferences"</button>
                            </ActionForm>
                        })
                    })}
                </ErrorBoundary>
            </Transition>
            <Show when=saved>
                <p role="status" class="text-brand-700">"Preferences saved."</p>
            </Show>
        </section>
    }
}
