//! Admin server functions. Every one starts with `require_admin`.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The headline numbers on the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub products: i64,
    pub customers: i64,
}

#[server(endpoint = "admin_overview")]
pub async fn get_admin_overview() -> Result<Overview, AppError> {
    use crate::{accounts::session::require_admin, error::respond, server::state::AppState};
    require_admin().map_err(respond)?;
    let state = AppState::current()?;
    Ok(super::db::overview(&state.db).await?)
}
