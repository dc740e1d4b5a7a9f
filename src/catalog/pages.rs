//! Catalog views the pages above it share.

use super::model::CategoryLink;
use leptos::prelude::*;

/// "Home › Department › Category" links above a product or a listing.
#[component]
pub fn Breadcrumb(trail: Vec<CategoryLink>) -> impl IntoView {
    view! {
        <nav aria-label="Breadcrumb" class="mb-4 text-sm text-slate-600">
            <ol class="flex flex-wrap gap-2">
                <li><a href="/" class="hover:text-brand-700">"Home"</a></li>
                {trail.into_iter().map(|c| view! {
                    <li aria-hidden="true">"›"</li>
                    <li><a href=format!("/c/{}", c.slug) class="hover:text-brand-700">{c.name}</a></li>
                }).collect_view()}
            </ol>
        </nav>
    }
}
