//! Emporium: an online shop as one Leptos app. The server renders every page and the browser
//! hydrates it into a single-page app. Each feature lives in its own domain module.

pub mod accounts;
pub mod admin;
pub mod analytics;
pub mod app;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod customers;
pub mod dates;
pub mod error;
#[cfg(feature = "ssr")]
pub mod events;
pub mod fulfilment;
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

#[cfg(feature = "ssr")]
pub mod server;

/// Entry point of the WASM bundle: attaches the app to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
