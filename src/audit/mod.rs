//! The audit log as the owner reads it: `/admin/audit`, filtered by what was done and by whom.
//! Entries are written by `platform::audit`, from every admin change.

pub mod api;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod db;
