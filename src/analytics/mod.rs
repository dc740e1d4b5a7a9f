//! Analytics for admins: sales from the orders, and shopper behaviour (the funnel from viewing
//! to buying, what people search for and do not find) from the events.

pub mod api;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod export;
