//! Rows of recommended products: under a product, and on the home page.

use super::api::{
    Picks, Together, bought_together, recently_viewed, recommended_for_you, recommended_with,
};
use crate::{
    cart::{
        api::AddBothToCart,
        pages::{ProductTile, cart_changed},
    },
    ui::{
        InBrowser,
        forms::{FormError, error_of},
    },
};
use leptos::prelude::*;

#[component]
fn PicksRow(picks: Picks, id: &'static str) -> impl IntoView {
    (!picks.products.is_empty()).then(|| {
        view! {
            <section aria-labelledby=id class="mt-12" data-testid=id>
                <h2 id=id class="mb-4 text-xl font-semibold">{picks.heading}</h2>
                <ul class="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
                    {picks.products.into_iter().map(|product| view! { <ProductTile product/> }).collect_view()}
                </ul>
            </section>
        }
    })
}

/// Under the product at `slug`: what else its shoppers looked at, carted or bought. Loaded in
/// the browser once the page is up, so the product page never waits for it (the query reads
/// the events: tens to hundreds of milliseconds on a busy shop, see BENCHMARKS.md). A failure
/// leaves the row out rather than spoiling the page.
#[component]
pub fn AlsoViewed(slug: String) -> impl IntoView {
    let picks = LocalResource::new(move || recommended_with(slug.clone()));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                picks.await.ok().map(|picks| view! { <PicksRow picks id="also-viewed"/> })
            })}
        </Suspense>
    }
}

/// On the home page: picks from the shopper's browsing, or this week's most viewed products.
#[component]
pub fn ForYou() -> impl IntoView {
    let picks = Resource::new(|| (), |_| recommended_for_you());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                picks.await.ok().map(|picks| view! { <PicksRow picks id="for-you"/> })
            })}
        </Suspense>
    }
}

/// What this visitor looked at last (but the product at `except`, the page they are on).
/// Loaded in the browser once the page is up.
#[component]
pub fn RecentlyViewed(except: Option<String>) -> impl IntoView {
    view! {
        <InBrowser>
            {
                let except = except.clone();
                let picks = LocalResource::new(move || recently_viewed(except.clone()));
                view! {
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            picks.await.ok().map(|picks| view! { <PicksRow picks id="recently-viewed"/> })
                        })}
                    </Suspense>
                }
            }
        </InBrowser>
    }
}

/// Under the product at `slug`: the product and what is most often bought with it, with "Add
/// both to cart". Loaded in the browser once the page is up; nothing when there is no pair.
#[component]
pub fn BoughtTogether(slug: String) -> impl IntoView {
    view! {
        <InBrowser>
            {
                let slug = slug.clone();
                let pair = LocalResource::new(move || bought_together(slug.clone()));
                view! {
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            pair.await.ok().flatten().map(|pair| view! { <Pair pair/> })
                        })}
                    </Suspense>
                }
            }
        </InBrowser>
    }
}

#[component]
fn Pair(pair: Together) -> impl IntoView {
    let add = ServerAction::<AddBothToCart>::new();
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(()))) {
            cart_changed();
        }
    });
    let added = move || matches!(add.value().get(), Some(Ok(())));
    let first = pair.this.only_sku.clone().unwrap_or_default();
    let second = pair.other.only_sku.clone().unwrap_or_default();
    view! {
        <section aria-labelledby="bought-together" class="mt-12" data-testid="bought-together">
            <h2 id="bought-together" class="mb-4 text-xl font-semibold">"Frequently bought together"</h2>
            <ul class="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
                <ProductTile product=pair.this/>
                <ProductTile product=pair.other/>
            </ul>
            <ActionForm action=add attr:class="mt-4 max-w-sm">
                <input type="hidden" name="first" value=first/>
                <input type="hidden" name="second" value=second/>
                <FormError error=error_of(add)/>
                <button type="submit" class="w-full rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800">
                    "Add both to cart"
                </button>
            </ActionForm>
            <Show when=added>
                <p role="status" class="mt-2 text-brand-700">"Added both to your cart."</p>
            </Show>
        </section>
    }
}
