//! Carts (for guests and signed-in shoppers, merged on sign-in) and wishlists.

pub mod api;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod owner;
