//! Application state: built once at start-up, shared by axum handlers (`State`) and by server
//! functions and pages (Leptos context).

use super::{config::Config, db::Db};
use crate::{
    accounts::{password::Passwords, tokens::TokenKeys},
    checkout::{
        payment::{PaymentProvider, TestGateway},
        stripe::Stripe,
    },
    events::EventSink,
    search::index::SearchIndex,
};
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
    /// This node's search index, derived from the database.
    pub search: Arc<SearchIndex>,
    /// The payment gateway: the offline test gateway unless Stripe is configured.
    pub payments: Arc<dyn PaymentProvider>,
    pub leptos: LeptosOptions,
}

impl AppState {
    /// The state over `db`, with an empty search index (`search::sync::Follower` fills it), the
    /// event writer started, and the payment gateway the configuration names.
    pub fn new(
        db: Db,
        config: Config,
        secret: &[u8],
    ) -> Result<Self, crate::search::index::SearchError> {
        let payments: Arc<dyn PaymentProvider> = match config.stripe.clone() {
            Some(settings) => Arc::new(Stripe::new(settings)),
            None => Arc::new(TestGateway),
        };
        Ok(Self {
            events: EventSink::start(db.clone()),
            db,
            leptos: config.leptos.clone(),
            config: Arc::new(config),
            tokens: TokenKeys::new(secret),
            passwords: Passwords::new(),
            search: Arc::new(SearchIndex::new()?),
            payments,
        })
    }

    /// The state of the current request, inside a server function or a page.
    pub fn current() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<Self>()
            .ok_or_else(|| crate::error::internal(&"AppState missing from the Leptos context"))
    }
}
