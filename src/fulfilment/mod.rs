//! After checkout: the admins' order desk (find orders, move them through shipping, delivery or
//! cancellation) and the shopper being told of each change.

pub mod api;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod service;
