//! The storefront: pages composed from several domains (home, product page).

pub mod pages;
