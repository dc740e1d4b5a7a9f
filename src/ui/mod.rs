//! The page shell shared by every route: header, footer, and error pages.

use crate::{
    accounts::pages::UserMenu, cart::pages::CartLink, catalog::model::CategoryLink,
    error::AppError, search::pages::SearchBox,
};
use leptos::prelude::*;
use leptos_meta::Title;

pub mod forms;

/// Sets the document title. `leptos_meta` writes the title into server-rendered HTML without
/// escaping it, so a product called `</title><script>…` could inject markup; the server copy is
/// escaped here (the browser's `document.title` takes plain text and needs no escaping).
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    let formatter = |text: String| {
        if cfg!(feature = "ssr") {
            text.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        } else {
            text
        }
    };
    view! { <Title text formatter/> }
}

/// The top bar: shop name, search, and account links. The menu button collapses the links on
/// narrow screens; it works once the page is hydrated.
#[component]
pub fn Header() -> impl IntoView {
    let (menu_open, set_menu_open) = signal(false);
    view! {
        <header class="border-b border-slate-200 bg-white">
            <div class="mx-auto flex max-w-6xl flex-wrap items-center gap-4 px-4 py-3">
                <a href="/" class="text-2xl font-bold text-brand-700">"Emporium"</a>
                <SearchBox/>
                <div class="ml-auto"><CartLink/></div>
                <button
                    type="button"
                    class="rounded-md border border-slate-300 px-3 py-2 md:hidden"
                    aria-controls="site-menu"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| set_menu_open.update(|open| *open = !*open)
                >
                    "Menu"
                </button>
                <nav
                    id="site-menu"
                    aria-label="Account"
                    class=move || {
                        if menu_open.get() { "flex w-full gap-4 md:w-auto" } else { "hidden gap-4 md:flex" }
                    }
                    // Following a link or pressing a button in the menu closes it.
                    on:click=move |_| set_menu_open.set(false)
                >
                    <UserMenu/>
                </nav>
            </div>
        </header>
    }
}

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="mt-16 border-t border-slate-200 bg-white">
            <div class="mx-auto max-w-6xl px-4 py-6 text-sm text-slate-600">
                "Emporium — an open-source shop. Prices in US dollars."
            </div>
        </footer>
    }
}

/// Shows the errors from an `ErrorBoundary` and, during server rendering, sets the response
/// status from the first of them.
#[component]
pub fn ErrorPage(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let errors: Vec<AppError> = errors
        .get_untracked()
        .into_iter()
        .map(|(_, e)| {
            e.downcast_ref::<AppError>()
                .cloned()
                .unwrap_or_else(|| crate::error::internal(&e))
        })
        .collect();
    let first = errors.first().cloned().unwrap_or(AppError::NotFound);
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(first.status());
    }
    let heading = match first {
        AppError::NotFound => "Page not found",
        AppError::Unauthorized => "Please sign in",
        AppError::Forbidden => "Access denied",
        AppError::BadRequest(_)
        | AppError::Invalid(_)
        | AppError::PaymentDeclined(_)
        | AppError::Conflict(_)
        | AppError::TooManyAttempts { .. } => "That didn't work",
        AppError::Network | AppError::Internal { .. } => "Something went wrong",
    };
    view! {
        <PageTitle text=heading/>
        <section class="mx-auto max-w-xl py-16 text-center">
            <h1 class="mb-4 text-3xl font-bold">{heading}</h1>
            {errors.into_iter().map(|e| view! { <p class="text-slate-700">{e.to_string()}</p> }).collect_view()}
            <a href="/" class="mt-6 inline-block font-medium text-brand-700 underline">"Back to the shop"</a>
        </section>
    }
}

/// The router's fallback: a real 404 page with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    let errors = ArcRwSignal::new(Errors::default());
    errors.update(|e| e.insert_with_default_key(AppError::NotFound));
    view! { <ErrorPage errors/> }
}

/// A list page's table: how many rows there are, the table (scrollable, and reachable by
/// keyboard when it is wider than the screen), and links to the pages around `page`, whose
/// addresses `link` makes.
#[component]
pub fn PagedTable(
    #[prop(into)] count: String,
    label: &'static str,
    page: i64,
    pages: i64,
    link: Callback<i64, String>,
    children: Children,
) -> impl IntoView {
    let previous = (page > 1).then(|| link.run(page - 1));
    let next = (page < pages).then(|| link.run(page + 1));
    view! {
        <p class="mb-2 text-slate-600">{count}</p>
        <div class="overflow-x-auto" tabindex="0" role="region" aria-label=label>
            {children()}
        </div>
        <nav aria-label="Pages" class="mt-4 flex gap-4">
            {previous.map(|href| view! { <a href=href rel="prev" class="underline">"Previous"</a> })}
            {next.map(|href| view! { <a href=href rel="next" class="underline">"Next"</a> })}
        </nav>
    }
}

/// "1 order", "12 orders".
pub fn count_of(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Percent-encodes a query-string value. `/` stays readable (it is allowed in a query) and a
/// space becomes `+`.
pub fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(b).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

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

#[cfg(test)]
mod tests {
    use super::{count_of, encode_query};

    #[test]
    fn query_values_are_encoded_readably() {
        assert_eq!(encode_query("/account/security"), "/account/security");
        assert_eq!(encode_query("red shoes & socks"), "red+shoes+%26+socks");
        assert_eq!(encode_query("a=b?c#d"), "a%3Db%3Fc%23d");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count_of(1, "order", "orders"), "1 order");
        assert_eq!(count_of(0, "order", "orders"), "0 orders");
        assert_eq!(count_of(12, "account", "accounts"), "12 accounts");
    }
}
