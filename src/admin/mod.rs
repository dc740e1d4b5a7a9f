//! The admin dashboard (role admin only): products, categories and promotions.

pub mod api;
pub mod model;
pub mod pages;
pub mod promotions;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod service;
