//! The owner's server functions for API keys (list, make, revoke) and webhook endpoints (list,
//! make, pause or resume, delete, read the delivery log, send a delivery again).

use super::model::{
    ApiKeyForm, ApiKeyView, ApiOperation, IssuedKey, IssuedWebhook, WebhookForm, WebhookLog,
    WebhookView,
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::platform::{
    audit::{self, Action},
    auth::{Permission, require},
    db::now_ms,
    state::AppState,
};
use leptos::prelude::*;

/// Every key, newest first.
#[server(endpoint = "admin_api_keys")]
pub async fn admin_api_keys() -> Result<Vec<ApiKeyView>, AppError> {
    require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    super::service::list(&state.db).await
}

/// Makes a key; the answer holds the whole key, which is never shown again.
#[server(endpoint = "create_api_key")]
pub async fn create_api_key(key: ApiKeyForm) -> Result<IssuedKey, AppError> {
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    let issued = super::service::issue(&state.db, &key, Some(owner.user_id), now_ms()).await?;
    let view = &issued.view;
    let scopes: Vec<&str> = view.scopes.iter().map(|scope| scope.as_str()).collect();
    let summary = format!("“{}” {}, {}", view.name, view.prefix, scopes.join(" "));
    audit::record(
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
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    super::service::revoke(&state.db, id, now_ms()).await?;
    audit::record(
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
    require(Permission::ManageIntegrations)?;
    Ok(super::rest::reference())
}

/// Every webhook endpoint, newest first.
#[server(endpoint = "admin_webhooks")]
pub async fn admin_webhooks() -> Result<Vec<WebhookView>, AppError> {
    require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    super::webhooks::list(&state.db).await
}

/// Registers an endpoint; the answer holds its signing secret, which is never shown again.
#[server(endpoint = "create_webhook")]
pub async fn create_webhook(webhook: WebhookForm) -> Result<IssuedWebhook, AppError> {
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    let issued =
        super::webhooks::create(&state.db, &webhook, Some(owner.user_id), now_ms()).await?;
    let view = &issued.view;
    let events: Vec<&str> = view.events.iter().map(|kind| kind.as_str()).collect();
    let summary = format!("{} for {}", view.url, events.join(" "));
    audit::record(
        owner.user_id,
        Action::WebhookCreated,
        &format!("webhook {}", view.id),
        &summary,
    )
    .await?;
    Ok(issued)
}

/// Pauses (`active` false) or resumes an endpoint.
#[server(endpoint = "set_webhook_active")]
pub async fn set_webhook_active(id: i64, active: bool) -> Result<(), AppError> {
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    super::webhooks::set_active(&state.db, id, active).await?;
    let summary = if active { "resumed" } else { "paused" };
    audit::record(
        owner.user_id,
        Action::WebhookChanged,
        &format!("webhook {id}"),
        summary,
    )
    .await?;
    Ok(())
}

/// Deletes an endpoint and its delivery log; goes back to the list.
#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    super::webhooks::delete(&state.db, id).await?;
    audit::record(
        owner.user_id,
        Action::WebhookDeleted,
        &format!("webhook {id}"),
        "deleted",
    )
    .await?;
    leptos_axum::redirect("/admin/webhooks");
    Ok(())
}

/// An endpoint with its newest deliveries.
#[server(endpoint = "admin_webhook")]
pub async fn admin_webhook(id: i64) -> Result<WebhookLog, AppError> {
    require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    super::webhooks::log(&state.db, id).await
}

/// Queues a copy of one of endpoint `endpoint`'s deliveries (the same event and body), at once.
#[server(endpoint = "resend_webhook")]
pub async fn resend_webhook(endpoint: i64, delivery: i64) -> Result<(), AppError> {
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    super::webhooks::resend(&state.db, endpoint, delivery, now_ms()).await?;
    audit::record(
        owner.user_id,
        Action::WebhookResent,
        &format!("webhook {endpoint}"),
        &format!("delivery {delivery} sent again"),
    )
    .await?;
    Ok(())
}
