//! The application root: the HTML shell (server only), the routed `App` that hydrates, and
//! the header and footer around every page.

mod layout;

use crate::{
    accounts::pages::{
        AccountPage, CheckEmailPage, ForgotPasswordPage, LoginPage, PrivacyPage, RegisterPage,
        ResetPasswordPage, SecurityPage, SignInCodePage, VerifyBanner, VerifyEmailPage,
        provide_session,
    },
    admin::{
        pages::{AdminCategoriesPage, AdminPage, AdminProductPage, AdminProductsPage},
        promotions::AdminPromotionsPage,
    },
    analytics::pages::AdminAnalyticsPage,
    cart::pages::{WishlistPage, provide_cart},
    checkout::pages::{AddressesPage, CheckoutPage, InvoicePage, OrderPage, OrdersPage},
    customers::pages::AdminUsersPage,
    fulfilment::pages::{AdminOrderPage, AdminOrdersPage},
    notifications::pages::{NotificationsPage, provide_notifications},
    search::pages::{CategoryPage, SearchPage},
    storefront::pages::{HomePage, ProductPage, ShoppingCartPage},
    ui::NotFound,
};
use layout::{Footer, Header};
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Meta, MetaTags, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
    hooks::use_location,
};

/// The catalog's pages (home, product, category, search): the same for every shopper who is
/// not signed in and has no cart, so shared caches may keep them and search engines index them.
/// Every other page is someone's own (or a form) and is neither.
pub fn is_catalog_page(path: &str) -> bool {
    path == "/" || path == "/search" || path.starts_with("/p/") || path.starts_with("/c/")
}

/// Where shoppers' and staff's own pages live, which crawlers are asked to stay out of.
pub const PRIVATE_AREAS: &[&str] = &[
    "/account",
    "/admin",
    "/cart",
    "/checkout",
    "/orders",
    "/wishlist",
];

/// The document around the app, rendered on the server for every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.ico"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_session();
    provide_cart();
    provide_notifications();
    // Effects run only in the browser: this attribute tells tests (and curious people) that
    // the page is now interactive.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Router>
            <NotForSearchEngines/>
            <a href="#main" class="sr-only focus:not-sr-only">"Skip to content"</a>
            <Header/>
            <VerifyBanner/>
            <main id="main" class="mx-auto max-w-6xl px-4 py-8">
                // Pages that read data render in full before the response starts, so its status
                // is always right (404 for an unknown product or category, 500 when the database
                // fails, a real redirect or 403 behind sign-in) and search engines get whole pages.
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("p"), ParamSegment("slug")) view=ProductPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("search") view=SearchPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("c"), ParamSegment("slug")) view=CategoryPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("cart") view=ShoppingCartPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("wishlist") view=WishlistPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("checkout") view=CheckoutPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("orders"), ParamSegment("number")) view=OrderPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("orders"), ParamSegment("number"), StaticSegment("invoice")) view=InvoicePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("orders")) view=OrdersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("addresses")) view=AddressesPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view=LoginPage/>
                    <Route path=(StaticSegment("login"), StaticSegment("code")) view=SignInCodePage/>
                    <Route path=StaticSegment("register") view=RegisterPage/>
                    <Route path=StaticSegment("forgot-password") view=ForgotPasswordPage/>
                    <Route path=StaticSegment("reset-password") view=ResetPasswordPage/>
                    <Route path=StaticSegment("check-your-email") view=CheckEmailPage/>
                    <Route path=StaticSegment("verify-email") view=VerifyEmailPage/>
                    <Route path=(StaticSegment("account"), StaticSegment("security")) view=SecurityPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("privacy")) view=PrivacyPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("notifications")) view=NotificationsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("orders")) view=AdminOrdersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("analytics")) view=AdminAnalyticsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("users")) view=AdminUsersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("orders"), ParamSegment("number")) view=AdminOrderPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("admin") view=AdminPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("products")) view=AdminProductsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("categories")) view=AdminCategoriesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("promotions")) view=AdminPromotionsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("products"), ParamSegment("id")) view=AdminProductPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}

/// `noindex` on every page but the catalog's, also after navigating in the browser.
#[component]
fn NotForSearchEngines() -> impl IntoView {
    let path = use_location().pathname;
    move || {
        (!is_catalog_page(&path.read())).then(|| view! { <Meta name="robots" content="noindex"/> })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_catalog_is_for_everyone() {
        for path in ["/", "/search", "/p/blue-mug", "/c/kitchen"] {
            assert!(is_catalog_page(path), "{path}");
        }
        for path in [
            "/cart",
            "/checkout",
            "/account",
            "/admin/products",
            "/login",
            "/pizza",
            "/products",
        ] {
            assert!(!is_catalog_page(path), "{path}");
        }
        for area in PRIVATE_AREAS {
            assert!(!is_catalog_page(area), "{area}");
        }
    }
}
