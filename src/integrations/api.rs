//! The admin's server functions for API keys: list, make, revoke.

use super::model::{ApiKeyForm, ApiKeyView, IssuedKey};
use crate::error::AppError;
use leptos::prelude::*;

/// Every key, newest first.
#[server(endpoint = "admin_api_keys")]
pub async fn admin_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use crate::platform::{auth::require_admin, state::AppState};
    require_admin()?;
    let state = AppState::current()?;
    super::service::list(&state.db).await
}

/// Makes a key; the answer holds the whole key, which is never shown again.
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(key: ApiKeyForm) -> Result<IssuedKey, AppError> {
    use crate::platform::{auth::require_admin, db::now_ms, state::AppState};
    let admin = require_admin()?;
    let state = AppState::current()?;
    super::service::issue(&state.db, &key, Some(admin.user_id), now_ms()).await
}

/// Revokes a key: the next request with it gets 401.
#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    use crate::platform::{auth::require_admin, db::now_ms, state::AppState};
    require_admin()?;
    let state = AppState::current()?;
    super::service::revoke(&state.db, id, now_ms()).await
}
