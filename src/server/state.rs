//! Application state: built once at start-up, shared by axum handlers (`State`) and by server
//! functions and pages (Leptos context).

use super::{config::Config, db::Db, secret::Secret};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub secret: Secret,
    pub leptos: LeptosOptions,
}

impl AppState {
    /// The state of the current request, inside a server function or a page.
    pub fn current() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<Self>()
            .ok_or_else(|| crate::error::internal(&"AppState missing from the Leptos context"))
    }
}
