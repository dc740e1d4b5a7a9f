//! The shop's other systems (an ERP, a warehouse, an email tool): API keys made by an admin,
//! and the REST API under `/api/v1` they open.

pub mod api;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
mod idempotency;
#[cfg(feature = "ssr")]
pub mod rest;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod writes;
