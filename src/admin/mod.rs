//! The admin dashboard: products (with their CSV export and import), categories and
//! promotions.

pub mod api;
pub mod model;
pub mod pages;
pub mod promotions;

#[cfg(feature = "ssr")]
pub mod csv;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod import;
#[cfg(feature = "ssr")]
pub mod service;
