//! Application state: built once at start-up, shared by axum handlers (`State`) and by server
//! functions and pages (Leptos context).

use super::{config::Config, db::Db, password::Passwords, tokens::TokenKeys};
use crate::events::EventSink;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// Signs and verifies access tokens; built once from the server secret.
    pub tokens: TokenKeys,
    /// Argon2 hashing, bounded so sign-ins cannot starve page rendering.
    pub passwords: Passwords,
    /// Behaviour events, written in batches off the request path.
    pub events: EventSink,
    /// The domains' own services (the search index, the payment gateway), put in by the app
    /// root at start-up and fetched by their domain with `service`.
    pub services: Arc<http::Extensions>,
    pub leptos: LeptosOptions,
}

impl AppState {
    /// The platform's state over `db`, with the event writer started, and the domains'
    /// services.
    pub fn new(db: Db, config: Config, secret: &[u8], services: http::Extensions) -> Self {
        Self {
            events: EventSink::start(db.clone()),
            db,
            leptos: config.leptos.clone(),
            config: Arc::new(config),
            tokens: TokenKeys::new(secret),
            passwords: Passwords::new(),
            services: Arc::new(services),
        }
    }

    /// The domain service of type `T`.
    pub fn service<T: Clone + Send + Sync + 'static>(&self) -> &T {
        // The app root registers every service before the state is shared (`server::app_state`),
        // so a missing one is a wiring bug that the first test touching it reports.
        self.services
            .get::<T>()
            .expect("every domain service is registered by server::app_state")
    }

    /// The state of the current request, inside a server function or a page.
    pub fn current() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<Self>()
            .ok_or_else(|| crate::error::internal(&"AppState missing from the Leptos context"))
    }
}
