//! Catalog views the pages above it share.

use super::model::{CategoryLink, Picture};
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

/// How a product picture is loaded: below the fold only when the shopper scrolls near it, or,
/// for the product page's own, first and at high priority (it is what that page paints largest).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loading {
    Lazy,
    Hero,
}

/// A product's picture. `sizes` says how wide it is drawn, so the browser downloads the copy
/// that fits; `size` is the box it is drawn in (its own size when `None`), which the page keeps
/// free while it loads.
#[component]
pub fn ProductImage(
    picture: Picture,
    #[prop(into)] alt: String,
    sizes: &'static str,
    size: Option<(u32, u32)>,
    loading: Loading,
    class: &'static str,
) -> impl IntoView {
    let (width, height) = size.unwrap_or((picture.width, picture.height));
    let sizes = picture.srcset.is_some().then_some(sizes);
    let hero = loading == Loading::Hero;
    view! {
        <img
            src=picture.src
            srcset=picture.srcset
            sizes=sizes
            width=width
            height=height
            alt=alt
            loading=(!hero).then_some("lazy")
            fetchpriority=hero.then_some("high")
            class=class
        />
    }
}
