//! Server-only wiring: configuration, database, HTTP stack and the command line.

pub mod cli;
pub mod config;
pub mod db;
pub mod http;
pub mod secret;
pub mod state;
