//! Integration tests: one binary, every test run against SQLite and PostgreSQL, each with a
//! database of its own.

mod support;

mod accounts;
mod admin;
mod analytics;
mod api_keys;
mod api_writes;
mod cart;
mod catalog;
mod checkout;
mod crawlers;
mod customers;
mod fulfilment;
mod mail;
mod platform;
mod privacy;
mod product_csv;
mod promotions;
mod recommendations;
mod recovery;
mod refunds;
mod returns;
mod reviews;
mod search;
mod staff;
mod stripe;
mod two_factor;
mod verification;
mod webhooks;
