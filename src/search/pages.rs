//! `/search` and `/c/{slug}`: the same listing, with filters, facets, sorting and pages in the
//! URL. The filter form is a GET form, so it works before hydration too.

use super::{
    api::{search_products, suggest_products},
    model::{FacetCount, RawSearch, SearchRequest, SearchResults, Sort, Suggestion, dollars},
};
use crate::{
    cart::pages::ProductTile,
    catalog::pages::Breadcrumb,
    ui::{ErrorPage, PageTitle, absolute},
};
use leptos::prelude::*;
use leptos_meta::{Link, Meta};
use leptos_router::{
    components::Form,
    hooks::{use_navigate, use_params_map, use_query_map},
};
use std::time::Duration;

/// The URL's query string as a `RawSearch`.
fn raw_search() -> Memo<RawSearch> {
    let query = use_query_map();
    Memo::new(move |_| {
        let query = query.read();
        RawSearch::from_lookup(|key| query.get(key))
    })
}

/// `/search?q=…`.
#[component]
pub fn SearchPage() -> impl IntoView {
    let raw = raw_search();
    let results = Resource::new(move || raw.get(), |raw| search_products(raw, None));
    view! { <Listing results/> }
}

/// `/c/{slug}`: the listing scoped to a category and its descendants.
#[component]
pub fn CategoryPage() -> impl IntoView {
    let raw = raw_search();
    let params = use_params_map();
    let results = Resource::new(
        move || (raw.get(), params.read().get("slug")),
        |(raw, slug)| search_products(raw, slug),
    );
    view! { <Listing results/> }
}

#[component]
fn Listing(results: Resource<Result<SearchResults, crate::error::AppError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="text-slate-500">"Searching…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorPage errors/> }>
                {move || Suspend::new(async move { results.await.map(|results| view! { <ResultsView results/> }) })}
            </ErrorBoundary>
        </Transition>
    }
}

fn heading(results: &SearchResults) -> String {
    match (results.request.text.as_str(), results.trail.last()) {
        ("", Some(category)) => category.name.clone(),
        ("", None) => "All products".to_owned(),
        (text, _) => format!("Results for “{text}”"),
    }
}

/// The listing's summary for search engines' result pages.
fn description(results: &SearchResults) -> String {
    let count = match results.total {
        1 => "1 product".to_owned(),
        n => format!("{n} products"),
    };
    match (results.request.text.as_str(), results.trail.last()) {
        ("", Some(category)) => format!(
            "Shop {} at Emporium: {count} with prices, ratings and stock.",
            category.name
        ),
        ("", None) => format!("Every product at Emporium: {count} with prices, ratings and stock."),
        (text, _) => format!("{count} at Emporium for “{text}”, with prices, ratings and stock."),
    }
}

#[component]
fn ResultsView(results: SearchResults) -> impl IntoView {
    let request = results.request.clone();
    let title = heading(&results);
    let pages = results.pages();
    let total = results.total;
    let trail = results.trail.clone();
    let has_trail = !trail.is_empty();
    let filters = view! { <Filters request=request.clone() results=results.clone()/> };
    view! {
        <PageTitle text=format!("{title} — Emporium")/>
        <Meta name="description" content=description(&results)/>
        <Link rel="canonical" href=absolute(&request.canonical())/>
        <Show when=move || has_trail>
            <Breadcrumb trail=trail.clone()/>
        </Show>
        <h1 class="mb-2 text-2xl font-bold">{title}</h1>
        <p class="mb-4 text-slate-600" data-testid="result-count">
            {match total { 1 => "1 result".to_owned(), n => format!("{n} results") }}
        </p>
        {results.notices.iter().map(|n| view! {
            <p role="status" class="mb-2 rounded-md bg-amber-50 px-3 py-2 text-amber-900">{n.clone()}</p>
        }).collect_view()}
        <div class="grid gap-8 lg:grid-cols-[16rem_1fr]">
            <aside class="space-y-6">
                {filters}
            </aside>
            <section aria-label="Results">
                {if results.items.is_empty() {
                    view! {
                        <div class="rounded-lg border border-slate-200 bg-white p-8 text-center">
                            <p class="text-lg font-medium">"No products match your search."</p>
                            {results.did_you_mean.clone().map(|better| {
                                let href = request.url_with(|r| {
                                    r.text = better.clone();
                                    r.page = 1;
                                });
                                view! {
                                    <p class="mt-2 text-lg">"Did you mean " <a href=href class="font-medium text-brand-700 underline">{better.clone()}</a>"?"</p>
                                }
                            })}
                            <p class="mt-2 text-slate-600">"Check the spelling, use fewer words, or remove a filter."</p>
                            <a href="/search" class="mt-4 inline-block font-medium text-brand-700 underline">"See all products"</a>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <ul class="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3">
                            {results.items.into_iter().map(|p| view! { <ProductTile product=p/> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <Pagination request pages/>
            </section>
        </div>
    }
}

const LABEL: &str = "mb-1 block text-sm font-medium";
const INPUT: &str = "w-full rounded-md border border-slate-300 px-2 py-1";

#[component]
fn Filters(request: SearchRequest, results: SearchResults) -> impl IntoView {
    let facets = results.facets.clone();
    let links = request.clone();
    let (category, brand, rating) = (
        request.category.clone(),
        request.brand.clone(),
        request.rating,
    );
    let price = |m: Option<crate::platform::money::Money>| m.map(dollars).unwrap_or_default();
    let category_options = {
        let mut options = facets.categories.clone();
        // The chosen category itself stays selectable alongside its children.
        if let Some(current) = results.trail.last()
            && !options.iter().any(|o| o.key == current.slug)
        {
            options.insert(
                0,
                super::model::FacetCount {
                    key: current.slug.clone(),
                    label: current.name.clone(),
                    count: results.total,
                },
            );
        }
        options
    };
    // Each field shows what the URL says (`prop:`), also after Back, when the browser would
    // otherwise keep what was typed.
    view! {
        <Form method="GET" action="/search" attr:class="space-y-4 rounded-lg border border-slate-200 bg-white p-4">
            <input type="hidden" name="q" value=request.text.clone()/>
            <FacetSelect id="filter-category" name="category" label="Category" any="All categories" options=category_options selected=category/>
            <FacetSelect id="filter-brand" name="brand" label="Brand" any="All brands" options=facets.brands.clone() selected=brand/>
            <div class="grid grid-cols-2 gap-2">
                <div>
                    <label for="filter-min" class=LABEL>"Min price"</label>
                    <input id="filter-min" name="min_price" inputmode="decimal" value=price(request.min_price) prop:value=price(request.min_price) class=INPUT/>
                </div>
                <div>
                    <label for="filter-max" class=LABEL>"Max price"</label>
                    <input id="filter-max" name="max_price" inputmode="decimal" value=price(request.max_price) prop:value=price(request.max_price) class=INPUT/>
                </div>
            </div>
            <FacetSelect
                id="filter-rating"
                name="rating"
                label="Minimum rating"
                any="Any rating"
                options=facets.ratings.clone()
                selected=rating.map(|stars| stars.to_string())
            />
            <div class="flex items-center gap-2">
                <input id="filter-stock" type="checkbox" name="in_stock" value="1" checked=request.in_stock prop:checked=request.in_stock/>
                <label for="filter-stock" class="text-sm font-medium">"In stock only"</label>
            </div>
            <div>
                <label for="filter-sort" class=LABEL>"Sort by"</label>
                <select id="filter-sort" name="sort" class=INPUT>
                    {Sort::ALL.into_iter().map(|s| view! { <option value=s.key() selected=request.sort == s>{s.label()}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit" class="w-full rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800">"Apply filters"</button>
        </Form>
        <nav aria-label="Price bands" class="rounded-lg border border-slate-200 bg-white p-4 text-sm">
            <h2 class="mb-2 font-medium">"Price"</h2>
            <ul class="space-y-1">
                {facets.price_bands.iter().filter(|b| b.count > 0).map(|band| {
                    let label = match (band.min, band.max) {
                        (None, Some(max)) => format!("Under {max}"),
                        (Some(min), Some(max)) => format!("{min} to {max}"),
                        (Some(min), None) => format!("{min} and above"),
                        (None, None) => "Any price".to_owned(),
                    };
                    let href = links.url_with(|r| {
                        r.min_price = band.min;
                        r.max_price = band.max.and_then(|m| crate::platform::money::Money::from_minor(m.minor() - 1).ok());
                        r.page = 1;
                    });
                    view! { <li><a href=href class="hover:text-brand-700">{format!("{label} ({})", band.count)}</a></li> }
                }).collect_view()}
            </ul>
        </nav>
    }
}

/// A labelled `<select>` of facet values with their counts, plus an "any" choice.
#[component]
fn FacetSelect(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    any: &'static str,
    options: Vec<FacetCount>,
    selected: Option<String>,
) -> impl IntoView {
    view! {
        <div>
            <label for=id class=LABEL>{label}</label>
            <select id=id name=name class=INPUT>
                <option value="" selected=selected.is_none()>{any}</option>
                {options.into_iter().map(|option| {
                    let chosen = selected.as_deref() == Some(option.key.as_str());
                    view! { <option value=option.key selected=chosen>{format!("{} ({})", option.label, option.count)}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
fn Pagination(request: SearchRequest, pages: usize) -> impl IntoView {
    let page = request.page;
    let previous = (page > 1).then(|| request.url_with(|r| r.page = page - 1));
    let next = (page < pages).then(|| request.url_with(|r| r.page = page + 1));
    view! {
        <nav aria-label="Pages" class="mt-6 flex items-center justify-between">
            {previous.map(|href| view! { <a href=href rel="prev" class="font-medium text-brand-700 underline">"Previous"</a> })}
            <span class="text-slate-600">{format!("Page {page} of {pages}")}</span>
            {next.map(|href| view! { <a href=href rel="next" class="font-medium text-brand-700 underline">"Next"</a> })}
        </nav>
    }
}

/// The header's search box: a GET form to `/search` that, once hydrated, suggests products as
/// you type (an ARIA combobox: arrows move, Enter opens the highlighted product, Escape closes).
#[component]
pub fn SearchBox() -> impl IntoView {
    // The search being shown, as the box's initial value. A plain attribute, not a bound
    // property: hydration must not overwrite what someone typed before the page was interactive.
    let initial = use_query_map()
        .read_untracked()
        .get("q")
        .unwrap_or_default();
    let suggestions = RwSignal::new(Vec::<Suggestion>::new());
    let active = RwSignal::new(None::<usize>);
    let open = move || !suggestions.read().is_empty();
    let pending = StoredValue::new(None::<TimeoutHandle>);
    // Numbers each request, so an answer that arrives after a newer request was sent is dropped.
    let latest = StoredValue::new(0_u64);
    // True while the newest request is unanswered: the list is about to change.
    let busy = RwSignal::new(false);
    let navigate = use_navigate();

    let close = move || {
        latest.update_value(|n| *n += 1);
        busy.set(false);
        suggestions.set(Vec::new());
        active.set(None);
    };
    let request = move |value: String| {
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        if value.trim().chars().count() < 2 {
            close();
            return;
        }
        latest.update_value(|n| *n += 1);
        let this_request = latest.get_value();
        busy.set(true);
        // Wait for a pause in typing before asking the server.
        let handle = set_timeout_with_handle(
            move || {
                leptos::task::spawn_local(async move {
                    let found = suggest_products(value).await;
                    if latest.get_value() != this_request {
                        return;
                    }
                    busy.set(false);
                    if let Ok(found) = found {
                        if found != suggestions.get_untracked() {
                            active.set(None);
                        }
                        suggestions.set(found);
                    }
                });
            },
            Duration::from_millis(150),
        );
        pending.set_value(handle.ok());
    };
    let open_product = {
        let navigate = navigate.clone();
        move |slug: String| {
            close();
            navigate(&format!("/p/{slug}"), Default::default());
        }
    };
    let on_keydown = {
        let open_product = open_product.clone();
        move |ev: leptos::ev::KeyboardEvent| {
            let count = suggestions.read().len();
            match ev.key().as_str() {
                "ArrowDown" if count > 0 => {
                    ev.prevent_default();
                    active.update(|a| *a = Some(a.map_or(0, |i| (i + 1) % count)));
                }
                "ArrowUp" if count > 0 => {
                    ev.prevent_default();
                    active.update(|a| *a = Some(a.map_or(count - 1, |i| (i + count - 1) % count)));
                }
                "Enter" => {
                    let chosen = active
                        .get()
                        .and_then(|i| suggestions.read().get(i).map(|s| s.slug.clone()));
                    if let Some(slug) = chosen {
                        ev.prevent_default();
                        open_product(slug);
                    } else {
                        close();
                    }
                }
                "Escape" => close(),
                _ => {}
            }
        }
    };
    view! {
        <Form method="GET" action="/search" attr:role="search" attr:class="order-last flex w-full gap-2 md:order-none md:w-auto md:flex-1">
            <label for="site-search" class="sr-only">"Search"</label>
            <div class="relative w-full">
                <input
                    id="site-search"
                    name="q"
                    type="search"
                    placeholder="Search products"
                    autocomplete="off"
                    role="combobox"
                    aria-autocomplete="list"
                    aria-controls="search-suggestions"
                    aria-expanded=move || open().to_string()
                    aria-activedescendant=move || active.get().map(|i| format!("suggestion-{i}"))
                    value=initial
                    on:input=move |ev| request(event_target_value(&ev))
                    on:keydown=on_keydown
                    on:blur=move |_| close()
                    class="w-full rounded-md border border-slate-300 px-3 py-2"
                />
                <ul
                    id="search-suggestions"
                    role="listbox"
                    aria-label="Suggestions"
                    aria-busy=move || busy.get().to_string()
                    class=move || if open() { "absolute z-10 mt-1 w-full overflow-hidden rounded-md border border-slate-200 bg-white shadow-lg" } else { "hidden" }
                >
                    {move || suggestions.get().into_iter().enumerate().map(|(i, s)| {
                        let open_product = open_product.clone();
                        let slug = s.slug.clone();
                        view! {
                            <li
                                id=format!("suggestion-{i}")
                                role="option"
                                aria-selected=move || (active.get() == Some(i)).to_string()
                                class=move || if active.get() == Some(i) { "cursor-pointer bg-brand-700 px-3 py-2 text-white" } else { "cursor-pointer px-3 py-2 hover:bg-slate-100" }
                                // mousedown, not click: it comes before the input's blur closes the list.
                                on:mousedown=move |ev| {
                                    ev.prevent_default();
                                    open_product(slug.clone());
                                }
                            >
                                {s.title}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
            <button type="submit" class="rounded-md bg-brand-700 px-4 py-2 font-medium text-white hover:bg-brand-800">"Go"</button>
        </Form>
    }
}
