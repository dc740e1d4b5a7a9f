//! The shop's other systems (an ERP, a warehouse, an email tool): API keys made by an admin,
//! the REST API under `/api/v1` they open, and the webhooks that tell them what happened.

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
mod webhook_db;
#[cfg(feature = "ssr")]
pub mod webhooks;
#[cfg(feature = "ssr")]
mod writes;
