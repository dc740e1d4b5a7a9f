//! Admin pages.

use super::api::get_admin_overview;
use crate::{
    accounts::pages::RequireUser,
    ui::{ErrorPage, PageTitle},
};
use leptos::prelude::*;

/// `/admin`: signed-out visitors go to sign in; customers get the 403 page.
#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <PageTitle text="Admin — Emporium"/>
        <RequireUser>
            <Dashboard/>
        </RequireUser>
    }
}

#[component]
fn Dashboard() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_admin_overview());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                {move || Suspend::new(async move {
                    overview.await.map(|o| view! {
                        <h1 class="mb-6 text-2xl font-bold">"Admin dashboard"</h1>
                        <dl class="grid grid-cols-2 gap-4 sm:max-w-md">
                            <div class="rounded-lg border border-slate-200 bg-white p-4">
                                <dt class="text-sm text-slate-600">"Products"</dt>
                                <dd class="text-2xl font-semibold">{o.products}</dd>
                            </div>
                            <div class="rounded-lg border border-slate-200 bg-white p-4">
                                <dt class="text-sm text-slate-600">"Customers"</dt>
                                <dd class="text-2xl font-semibold">{o.customers}</dd>
                            </div>
                        </dl>
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}
