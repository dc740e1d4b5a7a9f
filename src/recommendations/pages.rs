//! Rows of recommended products: under a product, on the home page and in the cart. Each loads
//! in the browser once the page is up, so no page waits for it; a failure leaves the row out
//! rather than spoiling the page.

use super::{
    api::{
        Picked, bought_together, recently_viewed, recommended_for_you, recommended_with,
        with_your_cart,
    },
    model::{Picks, Together},
};
use crate::{
    cart::{
        api::AddBothToCart,
        pages::{ProductTile, cart, cart_changed},
    },
    error::AppError,
    ui::{
        InBrowser,
        forms::{FormError, error_of},
    },
};
use leptos::prelude::*;
use std::future::Future;

/// What `fetch` brings, shown by `show` once it has come; only in the browser, after
/// hydration, so that the server never renders it and hydration never meets it.
fn after_load<T, Fut, V>(
    fetch: impl Fn() -> Fut + Clone + Send + Sync + 'static,
    show: fn(T) -> Option<V>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + 'static,
    V: IntoView + 'static,
{
    view! {
        <InBrowser>
            {
                let data = LocalResource::new(fetch.clone());
                view! {
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move { data.await.ok().and_then(show) })}
                    </Suspense>
                }
            }
        </InBrowser>
    }
}

/// `picks` as a row in a section labelled by `id`; nothing when it is empty. Following a
/// product counts as a click on the row.
fn picks_row(picks: Picks, id: &'static str) -> Option<impl IntoView> {
    let picked = ServerAction::<Picked>::new();
    let row = picks.row;
    (!picks.products.is_empty()).then(|| {
        view! {
            <section aria-labelledby=id class="mt-12" data-testid=id>
                <h2 id=id class="mb-4 text-xl font-semibold">{picks.heading}</h2>
                <ul class="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
                    {picks.products.into_iter().map(|product| {
                        let slug = product.slug.clone();
                        let on_open = Callback::new(move |()| {
                            picked.dispatch(Picked { row, slug: slug.clone() });
                        });
                        view! { <ProductTile product on_open/> }
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

/// Under the product at `slug`: what else its shoppers looked at, carted or bought, or what is
/// popular in its category.
#[component]
pub fn AlsoViewed(slug: String) -> impl IntoView {
    after_load(
        move || recommended_with(slug.clone()),
        |picks| picks_row(picks, "also-viewed"),
    )
}

/// On the home page: picks from the shopper's browsing, or this week's popular products.
#[component]
pub fn ForYou() -> impl IntoView {
    after_load(recommended_for_you, |picks| picks_row(picks, "for-you"))
}

/// What this visitor looked at last (but the product at `except`, the page they are on).
#[component]
pub fn RecentlyViewed(except: Option<String>) -> impl IntoView {
    after_load(
        move || recently_viewed(except.clone()),
        |picks| picks_row(picks, "recently-viewed"),
    )
}

/// Under the cart: what goes with what is in it, asked again whenever the cart changes.
#[component]
pub fn WithYourCart() -> impl IntoView {
    let context = cart();
    after_load(
        move || {
            context.changes();
            with_your_cart()
        },
        |picks| picks_row(picks, "with-your-cart"),
    )
}

/// Under the product at `slug`: the product and what is most often bought with it, with "Add
/// both to cart"; nothing when there is no pair.
#[component]
pub fn BoughtTogether(slug: String) -> impl IntoView {
    after_load(
        move || bought_together(slug.clone()),
        |pair| pair.map(|pair| view! { <Pair pair/> }),
    )
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
