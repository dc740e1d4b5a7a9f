//! Recommendations from behaviour: what shoppers who looked at, carted or bought a product also
//! looked at, carted or bought; and, on the home page, picks from the categories a shopper has
//! been browsing, or what is popular this week.

pub mod api;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod evaluation;
#[cfg(feature = "ssr")]
pub mod rebuild;
#[cfg(feature = "ssr")]
pub mod serve;
