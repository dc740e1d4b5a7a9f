//! Promotions: discount codes and automatic promotions, the rules that decide whether one
//! applies to a cart, and the uses orders hold (limits that hold under concurrency). Checkout
//! asks for a cart's offer and takes a use in the transaction that places the order; the
//! admins manage promotions in `admin::promotions`.

pub mod model;

#[cfg(feature = "ssr")]
pub mod db;
