//! Product search and category browsing: an embedded tantivy index derived from the database
//! (the source of truth), with typo tolerance, filters, facet counts, sorting and pages.

pub mod api;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod index;
#[cfg(feature = "ssr")]
pub mod sync;
