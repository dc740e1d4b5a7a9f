//! Views that know no domain: the page title, error pages, paged tables, forms, and who is
//! signed in.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

pub mod forms;
pub mod session;

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

/// `path` as an absolute address of this shop, as canonical links must be: the configured
/// public address while the server renders, the page's own origin in the browser.
pub fn absolute(path: &str) -> String {
    #[cfg(feature = "ssr")]
    let origin = crate::platform::state::AppState::current()
        .map(|state| state.config.public_url.clone())
        .unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let origin = window().location().origin().unwrap_or_default();
    format!("{origin}{path}")
}

/// A bar as wide as its container, filled to `percent` (0–100) with the colour of `fill` (a
/// Tailwind `fill-*` class), drawn in SVG: the pages' security policy blocks inline styles, and
/// SVG attributes are none. The percentage width keeps its 100:1 shape from widening the page.
#[component]
pub fn Bar(percent: i64, class: &'static str, fill: &'static str) -> impl IntoView {
    view! {
        <svg aria-hidden="true" class=class width="100%" viewBox="0 0 100 1" preserveAspectRatio="none">
            <rect width=percent.clamp(0, 100) height="1" class=fill/>
        </svg>
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
        | AppError::Unavailable(_)
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

/// One page of a list: its rows, how many rows match in all, this page's number (from 1) and
/// how many pages there are (at least one, so an empty list still has a first page).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

impl<T> Page<T> {
    pub fn new(rows: Vec<T>, total: i64, page: i64, per_page: i64) -> Self {
        Self {
            rows,
            total,
            page,
            pages: ((total + per_page - 1) / per_page).max(1),
        }
    }
}

impl<T> Default for Page<T> {
    fn default() -> Self {
        Self::new(Vec::new(), 0, 1, 1)
    }
}

/// Where a page of `per_page` rows starts, for `LIMIT per_page OFFSET offset(page, per_page)`.
pub fn offset(page: i64, per_page: i64) -> i64 {
    (page.max(1) - 1).saturating_mul(per_page)
}

/// A list page's table: how many rows there are, the table under `headings` with `children`
/// as its rows (scrollable, and reachable by keyboard when it is wider than the screen), and
/// links to the pages around `page`, whose addresses `link` makes.
#[component]
pub fn PagedTable(
    #[prop(into)] count: String,
    label: &'static str,
    headings: &'static [&'static str],
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
            <table class="w-full border-collapse bg-white text-left">
                <thead class="border-b border-slate-300 text-sm text-slate-600">
                    <tr>{headings.iter().map(|h| view! { <th class="p-2">{*h}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
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

/// Where to go after a form (signing in, say): only a path on this site, never another origin.
pub fn safe_next(next: Option<&str>) -> String {
    match next.map(str::trim) {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Shows `children` only in the browser, once the page has hydrated: for parts that load there
/// and have nothing to say on the server (the server renders nothing for them, so no resource
/// of theirs is ever created or waited for during server rendering).
#[component]
pub fn InBrowser(children: ChildrenFn) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    move || hydrated.get().then(|| children())
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

#[cfg(test)]
mod tests {
    use super::{Page, count_of, encode_query, offset, safe_next};

    #[test]
    fn pages_cover_every_row_and_never_number_zero() {
        assert_eq!(Page::<()>::new(Vec::new(), 0, 1, 50).pages, 1);
        assert_eq!(Page::<()>::new(Vec::new(), 50, 1, 50).pages, 1);
        assert_eq!(Page::<()>::new(Vec::new(), 51, 2, 50).pages, 2);
        assert_eq!(offset(1, 50), 0);
        assert_eq!(offset(3, 50), 100);
        assert_eq!(offset(0, 50), 0);
    }

    #[test]
    fn query_values_are_encoded_readably() {
        assert_eq!(encode_query("/account/security"), "/account/security");
        assert_eq!(encode_query("red shoes & socks"), "red+shoes+%26+socks");
        assert_eq!(encode_query("a=b?c#d"), "a%3Db%3Fc%23d");
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/account/security")), "/account/security");
        assert_eq!(safe_next(Some("/search?q=a")), "/search?q=a");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "/a\nb",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count_of(1, "order", "orders"), "1 order");
        assert_eq!(count_of(0, "order", "orders"), "0 orders");
        assert_eq!(count_of(12, "account", "accounts"), "12 accounts");
    }
}
