//! The admins' view of the people using the shop: find accounts, see their orders, change
//! their role.

pub mod api;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod db;
