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
        pages::{
            AdminCategoriesPage, AdminImportPage, AdminPage, AdminProductPage, AdminProductsPage,
        },
        promotions::AdminPromotionsPage,
    },
    analytics::pages::AdminAnalyticsPage,
    audit::pages::AdminAuditPage,
    cart::pages::{WishlistPage, provide_cart},
    checkout::pages::{AddressesPage, CheckoutPage, InvoicePage, OrderPage, OrdersPage},
    customers::pages::AdminUsersPage,
    fulfilment::pages::{AdminOrderPage, AdminOrdersPage},
    integrations::pages::{
        AdminApiKeysPage, AdminApiReferencePage, AdminWebhookPage, AdminWebhooksPage,
    },
    notifications::pages::{NotificationsPage, provide_notifications},
    search::pages::{CategoryPage, SearchPage},
    storefront::pages::{HomePage, ProductPage, ShoppingCartPage},
    ui::NotFound,
};
use layout::{Footer, Header};
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Meta, MetaTags, provide_meta_context};
use leptos_router::{
    Lazy, LazyRoute, ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
    hooks::use_location,
    lazy_route,
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
                // Loaded when the browser is idle and at low priority, so the bundle does not
                // hold up the first paint; forms and links work before it too.
                <HydrationScripts options defer=true/>
                <MetaTags/>
            </head>
            <body class="min-h-screen bg-slate-50 text-slate-900">
                <App/>
            </body>
        </html>
    }
}

/// The shop's own pages (home, product, search, category, cart, checkout, sign-in and sign-up)
/// are in the main chunk of the browser bundle: nearly every shopper needs them, and splitting
/// them measured no smaller and made a product page fetch 225 files. Every other page (the
/// account's and the admin's) is a lazy route: its code is a chunk of its own, or shared with
/// the pages that use the same code, fetched when the page is first shown. The server renders
/// them all at once.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident,)*) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    WishlistRoute => WishlistPage,
    OrderRoute => OrderPage,
    InvoiceRoute => InvoicePage,
    OrdersRoute => OrdersPage,
    AddressesRoute => AddressesPage,
    SignInCodeRoute => SignInCodePage,
    ForgotPasswordRoute => ForgotPasswordPage,
    ResetPasswordRoute => ResetPasswordPage,
    CheckEmailRoute => CheckEmailPage,
    VerifyEmailRoute => VerifyEmailPage,
    SecurityRoute => SecurityPage,
    PrivacyRoute => PrivacyPage,
    AccountRoute => AccountPage,
    NotificationsRoute => NotificationsPage,
    AdminOrdersRoute => AdminOrdersPage,
    AdminAnalyticsRoute => AdminAnalyticsPage,
    AdminUsersRoute => AdminUsersPage,
    AdminOrderRoute => AdminOrderPage,
    AdminRoute => AdminPage,
    AdminProductsRoute => AdminProductsPage,
    AdminCategoriesRoute => AdminCategoriesPage,
    AdminPromotionsRoute => AdminPromotionsPage,
    AdminProductRoute => AdminProductPage,
    AdminApiKeysRoute => AdminApiKeysPage,
    AdminApiReferenceRoute => AdminApiReferencePage,
    AdminWebhooksRoute => AdminWebhooksPage,
    AdminWebhookRoute => AdminWebhookPage,
    AdminImportRoute => AdminImportPage,
    AdminAuditRoute => AdminAuditPage,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_session();
    provide_cart();
    provide_notifications();
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
                    <Route path=StaticSegment("wishlist") view={Lazy::<WishlistRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("checkout") view=CheckoutPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("orders"), ParamSegment("number")) view={Lazy::<OrderRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("orders"), ParamSegment("number"), StaticSegment("invoice")) view={Lazy::<InvoiceRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("orders")) view={Lazy::<OrdersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("addresses")) view={Lazy::<AddressesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view=LoginPage/>
                    <Route path=(StaticSegment("login"), StaticSegment("code")) view={Lazy::<SignInCodeRoute>::new()}/>
                    <Route path=StaticSegment("register") view=RegisterPage/>
                    <Route path=StaticSegment("forgot-password") view={Lazy::<ForgotPasswordRoute>::new()}/>
                    <Route path=StaticSegment("reset-password") view={Lazy::<ResetPasswordRoute>::new()}/>
                    <Route path=StaticSegment("check-your-email") view={Lazy::<CheckEmailRoute>::new()}/>
                    <Route path=StaticSegment("verify-email") view={Lazy::<VerifyEmailRoute>::new()}/>
                    <Route path=(StaticSegment("account"), StaticSegment("security")) view={Lazy::<SecurityRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("privacy")) view={Lazy::<PrivacyRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("account"), StaticSegment("notifications")) view={Lazy::<NotificationsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("orders")) view={Lazy::<AdminOrdersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("analytics")) view={Lazy::<AdminAnalyticsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("users")) view={Lazy::<AdminUsersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("orders"), ParamSegment("number")) view={Lazy::<AdminOrderRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=StaticSegment("admin") view={Lazy::<AdminRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("products")) view={Lazy::<AdminProductsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("categories")) view={Lazy::<AdminCategoriesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("promotions")) view={Lazy::<AdminPromotionsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("api-keys")) view={Lazy::<AdminApiKeysRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("audit")) view={Lazy::<AdminAuditRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("api")) view={Lazy::<AdminApiReferenceRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("webhooks")) view={Lazy::<AdminWebhooksRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("webhooks"), ParamSegment("id")) view={Lazy::<AdminWebhookRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("products"), ParamSegment("id")) view={Lazy::<AdminProductRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("products"), StaticSegment("import"), ParamSegment("id")) view={Lazy::<AdminImportRoute>::new()} ssr=SsrMode::Async/>
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
