//! Emporium: an online shop as one Leptos app. The server renders every page and the browser
//! hydrates it into a single-page app. Each feature lives in its own domain module.

// Hydrating a page that waits for its lazy chunk nests the async types of every view in it;
// the release build of the order pages goes past the default depth of 128.
#![recursion_limit = "256"]

pub mod accounts;
pub mod admin;
pub mod analytics;
pub mod app;
pub mod audit;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod customers;
pub mod dates;
pub mod error;
#[cfg(feature = "ssr")]
pub mod events;
pub mod fulfilment;
pub mod integrations;
#[cfg(test)]
mod layers;
pub mod notifications;
pub mod platform;
pub mod promotions;
pub mod recommendations;
pub mod reviews;
pub mod search;
pub mod storefront;
pub mod ui;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: attaches the app to the server-rendered page. A lazy page
/// hydrates once its chunk has arrived; then the body's `data-hydrated` attribute tells tests
/// (and curious people) that all of the page is interactive.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::document;
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        offer_reload();
    }));
    let Some(body) = document().body() else {
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let app = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        let _ = body.set_attribute("data-hydrated", "true");
        app.forget();
    });
}

/// After a panic the app no longer answers (most often a page's chunk failed to download): say
/// so at the top of the page, with a link that loads it again (`rel="external"`, so the dead
/// router leaves it to the browser).
#[cfg(feature = "hydrate")]
fn offer_reload() {
    use leptos::prelude::document;
    let document = document();
    let (Some(body), Ok(notice)) = (document.body(), document.create_element("div")) else {
        return;
    };
    let _ = notice.set_attribute("role", "alert");
    let _ = notice.set_attribute(
        "class",
        "fixed inset-x-0 top-0 z-50 bg-red-700 px-4 py-3 text-center text-white",
    );
    notice.set_inner_html(
        "This page stopped working, perhaps because the connection dropped while it loaded. \
         <a href=\"\" rel=\"external\" class=\"font-semibold underline\">Reload the page</a>",
    );
    let _ = body.prepend_with_node_1(&notice);
}
