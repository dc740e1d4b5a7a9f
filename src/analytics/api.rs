//! The analytics server function, for admins only.

use super::model::Analytics;
#[cfg(feature = "ssr")]
use super::model::PERIODS;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::platform::{
    auth::{Permission, require},
    db::now_ms,
    state::AppState,
};
use leptos::prelude::*;

/// Sales and behaviour over the last `days` days (7, 30 or 90; 30 when absent).
#[server(endpoint = "admin_analytics")]
pub async fn admin_analytics(days: Option<i64>) -> Result<Analytics, AppError> {
    require(Permission::ReadAnalytics)?;
    let days = days.unwrap_or(30);
    if !PERIODS.contains(&days) {
        return Err(AppError::BadRequest(
            "Choose a period of 7, 30 or 90 days.".into(),
        ));
    }
    let state = AppState::current()?;
    Ok(super::db::analytics(&state.db, days, now_ms(), Some(super::db::TOP)).await?)
}
