//! Catalog server functions and the wire types they return.

use super::model::HomeCatalog;
use crate::error::AppError;
use leptos::prelude::*;

/// How many products the home page shows.
pub const HOME_PRODUCTS: i64 = 12;

/// Departments and new arrivals for the home page.
#[server(endpoint = "load_home_catalog")]
pub async fn load_home_catalog() -> Result<HomeCatalog, AppError> {
    use super::db;
    use crate::server::state::AppState;

    let state = AppState::current()?;
    let (departments, featured) = tokio::try_join!(
        db::departments(&state.db),
        db::newest_products(&state.db, HOME_PRODUCTS)
    )?;
    Ok(HomeCatalog {
        departments,
        featured,
    })
}
