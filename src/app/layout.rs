//! The frame around every page: the header (shop name, search, cart, account menu) and footer.

use crate::{accounts::pages::UserMenu, cart::pages::CartLink, search::pages::SearchBox};
use leptos::prelude::*;

/// The top bar: shop name, search, and account links. The menu button collapses the links on
/// narrow screens; it works once the page is hydrated.
#[component]
pub fn Header() -> impl IntoView {
    let (menu_open, set_menu_open) = signal(false);
    view! {
        <header class="border-b border-slate-200 bg-white print:hidden">
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
                        if menu_open.get() { "flex w-full flex-wrap gap-x-4 gap-y-2 md:w-auto" } else { "hidden gap-4 md:flex" }
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
        <footer class="mt-16 border-t border-slate-200 bg-white print:hidden">
            <div class="mx-auto max-w-6xl px-4 py-6 text-sm text-slate-600">
                "Emporium — an open-source shop. Prices in US dollars."
            </div>
        </footer>
    }
}
