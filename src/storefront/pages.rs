//! The storefront: the home page, the product page and the cart page, where the catalog meets
//! the cart, reviews and recommendations.

use crate::{
    cart::pages::{AddToCartForm, AddToWishlistButton, CartPage, ProductTile},
    catalog::pages::{Breadcrumb, Loading, ProductImage},
    catalog::{
        api::{get_product, load_home_catalog},
        model::{CategoryLink, ProductDetail, stock_status},
    },
    recommendations::pages::{AlsoViewed, BoughtTogether, ForYou, RecentlyViewed, WithYourCart},
    reviews::{
        model::{format_tenths, stars},
        pages::ProductReviews,
    },
    ui::{ErrorPage, PageTitle, absolute},
};
use leptos::prelude::*;
use leptos_meta::{Link, Meta};
use leptos_router::hooks::use_params_map;

/// `/`: departments and new arrivals, read from the database and rendered on the server.
#[component]
pub fn HomePage() -> impl IntoView {
    let catalog = Resource::new(|| (), |_| load_home_catalog());
    view! {
        <PageTitle text="Emporium — everything, delivered"/>
        <Meta name="description" content="Emporium, the open-source shop: browse the departments and new arrivals, read reviews from verified buyers, and check out in a few steps."/>
        <Link rel="canonical" href=absolute("/")/>
        <h1 class="sr-only">"Emporium: everything, delivered"</h1>
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
                        <ForYou/>
                        <RecentlyViewed except=None/>
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

/// `/cart`: the cart, and what goes with it.
#[component]
pub fn ShoppingCartPage() -> impl IntoView {
    view! {
        <CartPage/>
        <WithYourCart/>
    }
}

/// `/p/{slug}`: one product, its variants, description and attributes.
#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let product = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        get_product,
    );
    view! {
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                {move || Suspend::new(async move {
                    product.await.map(|product| view! { <ProductView product/> })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

/// The first 160 characters of the description, cut at a word.
fn summary(text: &str) -> String {
    if text.chars().count() <= 160 {
        return text.to_owned();
    }
    let cut: String = text.chars().take(157).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
}

#[component]
fn ProductView(product: ProductDetail) -> impl IntoView {
    let selected = RwSignal::new(0_usize);
    let variants = StoredValue::new(product.variants.clone());
    let current = move || variants.with_value(|v| v[selected.get().min(v.len() - 1)].clone());
    let option_name = product
        .variants
        .first()
        .and_then(|v| v.options.first())
        .map(|(name, _)| name.clone())
        .unwrap_or_else(|| "Option".into());
    let has_choice = product.variants.len() > 1;
    view! {
        <PageTitle text=format!("{} — Emporium", product.title)/>
        <Meta name="description" content=summary(&product.description)/>
        <Link rel="canonical" href=absolute(&format!("/p/{}", product.slug))/>
        <script type="application/ld+json" inner_html=product.json_ld.clone()></script>
        <Breadcrumb trail=product.trail.clone()/>
        <article class="grid gap-8 md:grid-cols-2">
            <ProductImage picture=product.picture() alt=product.title.clone() sizes="(min-width: 768px) 50vw, 100vw" size=None loading=Loading::Hero class="w-full rounded-lg border border-slate-200"/>
            <div class="space-y-4">
                <h1 class="text-3xl font-bold">{product.title.clone()}</h1>
                <p class="text-slate-600">"by " {product.brand.clone()}</p>
                {product.rating_tenths.map(|tenths| view! {
                    <a href="#reviews" class="block text-sm">
                        <span aria-hidden="true" class="mr-1 text-amber-500">{stars((tenths + 5) / 10)}</span>
                        {format!("{} out of 5 ({})", format_tenths(tenths), product.rating_count)}
                    </a>
                })}
                <p class="flex items-baseline gap-3">
                    <span class="text-2xl font-semibold" data-testid="price">{move || current().price.to_string()}</span>
                    {move || current().compare_at.map(|was| view! {
                        <span class="text-slate-500 line-through">
                            <span class="sr-only">"Was "</span>{was.to_string()}
                        </span>
                    })}
                </p>
                <p data-testid="stock" class="font-medium">{move || stock_status(current().stock)}</p>
                <AddToCartForm single=(!has_choice).then(|| product.variants[0].sku.clone())>
                <Show when=move || has_choice>
                    <fieldset>
                        <legend class="mb-2 font-medium">{option_name.clone()}</legend>
                        <div class="flex flex-wrap gap-2">
                            {variants.with_value(|all| all.iter().enumerate().map(|(i, v)| {
                                let id = format!("variant-{}", v.sku);
                                let text = v.options.iter().map(|(_, value)| value.as_str()).collect::<Vec<_>>().join(" / ");
                                view! {
                                    <div>
                                        <input
                                            type="radio"
                                            id=id.clone()
                                            name="sku"
                                            value=v.sku.clone()
                                            class="peer sr-only"
                                            checked=i == 0
                                            on:change=move |_| selected.set(i)
                                        />
                                        <label for=id class="cursor-pointer rounded-md border border-slate-300 px-3 py-1 peer-checked:border-brand-700 peer-checked:bg-brand-700 peer-checked:text-white peer-focus-visible:ring-2 peer-focus-visible:ring-brand-600">
                                            {if text.is_empty() { v.sku.clone() } else { text }}
                                        </label>
                                    </div>
                                }
                            }).collect_view())}
                        </div>
                    </fieldset>
                </Show>
                </AddToCartForm>
                <AddToWishlistButton slug=product.slug.clone() current=Signal::derive(current)/>
                <p class="text-sm text-slate-600">"SKU " {move || current().sku}</p>
                <p class="leading-relaxed">{product.description.clone()}</p>
                <Show when={
                    let empty = product.attributes.is_empty();
                    move || !empty
                }>
                    <table class="w-full text-left text-sm">
                        <caption class="mb-2 text-left font-medium">"Details"</caption>
                        <tbody>
                            {product.attributes.iter().map(|(name, value)| view! {
                                <tr class="border-t border-slate-200">
                                    <th scope="row" class="py-2 pr-4 font-medium">{name.clone()}</th>
                                    <td class="py-2">{value.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </Show>
            </div>
        </article>
        <ProductReviews slug=product.slug.clone()/>
        <BoughtTogether slug=product.slug.clone()/>
        <AlsoViewed slug=product.slug.clone()/>
        <RecentlyViewed except=Some(product.slug.clone())/>
    }
}
