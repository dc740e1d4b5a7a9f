//! Accounts: sign-up, sign-in and the middleware that turns tokens into each request's
//! `platform::auth::Session`, rotating refresh tokens, account details and security pages.

pub mod api;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod privacy;
#[cfg(feature = "ssr")]
pub mod recovery;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod two_factor;
#[cfg(feature = "ssr")]
pub mod verification;
