//! Catalog pages.

use super::{
    api::load_home_catalog,
    model::{CategoryLink, ProductCard},
};
use crate::ui::ErrorPage;
use leptos::prelude::*;
use leptos_meta::Title;

/// `/`: departments and new arrivals, read from the database and rendered on the server.
#[component]
pub fn HomePage() -> impl IntoView {
    let catalog = Resource::new(|| (), |_| load_home_catalog());
    view! {
        <Title text="Emporium — everything, delivered"/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading the shop…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                {move || Suspend::new(async move {
                    catalog.await.map(|catalog| view! {
                        <section aria-labelledby="departments-heading" class="mb-10">
                            <h2 id="departments-heading" class="mb-4 text-xl font-semibold">"Shop by department"</h2>
                            <ul class="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
                                {catalog.departments.into_iter().map(|c| view! { <DepartmentTile category=c/> }).collect_view()}
                            </ul>
                        </section>
                        <section aria-labelledby="new-heading">
                            <h2 id="new-heading" class="mb-4 text-xl font-semibold">"New arrivals"</h2>
                            <ul class="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
                                {catalog.featured.into_iter().map(|p| view! { <ProductTile product=p/> }).collect_view()}
                            </ul>
                        </section>
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[component]
fn DepartmentTile(category: CategoryLink) -> impl IntoView {
    view! {
        <li>
            <a
                href=format!("/c/{}", category.slug)
                class="block rounded-lg border border-slate-200 bg-white px-4 py-3 text-center font-medium hover:border-brand-600 hover:text-brand-700"
            >
                {category.name}
            </a>
        </li>
    }
}

/// A product in a listing: picture, title, brand, price and stock.
#[component]
pub fn ProductTile(product: ProductCard) -> impl IntoView {
    let href = format!("/p/{}", product.slug);
    let stock = match product.stock {
        0 => "Out of stock".to_owned(),
        n @ 1..=5 => format!("Only {n} left"),
        _ => "In stock".to_owned(),
    };
    view! {
        <li class="flex flex-col overflow-hidden rounded-lg border border-slate-200 bg-white">
            <img src=product.image_url() alt="" width="400" height="300" loading="lazy" class="aspect-[4/3] w-full object-cover"/>
            <div class="flex flex-1 flex-col gap-1 p-4">
                <a href=href class="font-medium text-slate-900 hover:text-brand-700">{product.title}</a>
                <p class="text-sm text-slate-600">{product.brand}</p>
                <p class="mt-auto text-lg font-semibold">{product.price.to_string()}</p>
                <p class="text-sm text-slate-600">{stock}</p>
            </div>
        </li>
    }
}
