//! What shoppers are told, and how they want to be told: in-app notifications, emails through
//! the outbox, and the preferences that choose between them.

pub mod api;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod mail;
