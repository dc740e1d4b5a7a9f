//! Server-only app root: the router that mounts every domain's routes on the platform's
//! middleware, the command line that starts it all, and the demo shop's customers.

pub mod cli;
pub mod demo;
pub mod router;

use crate::{
    checkout::{
        payment::{PaymentProvider, TestGateway},
        stripe::Stripe,
    },
    platform::{config::Config, db::Db, media::MediaStore, state::AppState},
    search::index::{SearchError, SearchIndex},
};
use std::sync::Arc;

/// The whole application state over `db`: the platform's, plus each domain's service — an
/// empty search index (`search::sync::Follower` fills it) and the payment gateway the
/// configuration names.
pub fn app_state(db: Db, config: Config, secret: &[u8]) -> Result<AppState, SearchError> {
    let payments: Arc<dyn PaymentProvider> = match config.stripe.clone() {
        Some(settings) => Arc::new(Stripe::new(settings)),
        None => Arc::new(TestGateway),
    };
    // Counted from the first moment on: metrics recorded before a recorder exists are lost.
    crate::platform::prometheus::recorder();
    let mut services = http::Extensions::new();
    services.insert(Arc::new(SearchIndex::open(
        &config.data_dir.join("search"),
    )?));
    services.insert(payments);
    services.insert(MediaStore::new(
        &config.data_dir,
        config.media_bucket.as_ref(),
    ));
    Ok(AppState::new(db, config, secret, services))
}
