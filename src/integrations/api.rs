//! The admin's server functions for API keys: list, make, revoke.

use super::model::{ApiKeyForm, ApiKeyView, ApiOperation, IssuedKey};
use crate::error::AppError;
use leptos::prelude::*;

/// Every key, newest first.
#[server(endpoint = "admin_api_keys")]
pub async fn admin_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    use crate::platform::{
        auth::{Permission, require},
        state::AppState,
    };
    require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    super::service::list(&state.db).await
}

/// Makes a key; the answer holds the whole key, which is never shown again.
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(key: ApiKeyForm) -> Result<IssuedKey, AppError> {
    use crate::platform::{
        audit::{self, Action},
        auth::{Permission, require},
        db::now_ms,
        state::AppState,
    };
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    let issued = super::service::issue(&state.db, &key, Some(owner.user_id), now_ms()).await?;
    let view = &issued.view;
    let scopes: Vec<&str> = view.scopes.iter().map(|scope| scope.as_str()).collect();
    let summary = format!("“{}” {}, {}", view.name, view.prefix, scopes.join(" "));
    audit::record(
        &state.db,
        owner.user_id,
        Action::ApiKeyCreated,
        &format!("API key {}", view.id),
        &summary,
    )
    .await?;
    Ok(issued)
}

/// Revokes a key: the next request with it gets 401.
#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    use crate::platform::{
        audit::{self, Action},
        auth::{Permission, require},
        db::now_ms,
        state::AppState,
    };
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    super::service::revoke(&state.db, id, now_ms()).await?;
    audit::record(
        &state.db,
        owner.user_id,
        Action::ApiKeyRevoked,
        &format!("API key {id}"),
        "revoked",
    )
    .await?;
    Ok(())
}

/// The REST API's routes, read from its OpenAPI document, for the reference page.
#[server(endpoint = "api_reference")]
pub async fn api_reference() -> Result<Vec<ApiOperation>, AppError> {
    use crate::platform::auth::{Permission, require};
    require(Permission::ManageIntegrations)?;
    Ok(super::rest::reference())
}
