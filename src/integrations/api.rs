//! The owner's server functions for API keys (list, make, revoke) and webhook endpoints (list,
//! make, pause or resume, delete, read the delivery log, send a delivery again).

use super::model::{
    ApiKeyForm, ApiKeyView, ApiOperation, IssuedKey, IssuedWebhook, WebhookForm, WebhookLog,
    WebhookView,
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::platform::{
    audit::{Action, Entry},
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
    let entry = Entry::staff(owner.user_id, Action::ApiKeyCreated);
    super::service::issue(&state.db, &key, entry, now_ms()).await
}

/// Revokes a key: the next request with it gets 401.
#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    let entry = Entry::staff(owner.user_id, Action::ApiKeyRevoked)
        .about(format!("API key {id}"), "revoked");
    super::service::revoke(&state.db, id, now_ms(), &entry).await
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
    let entry = Entry::staff(owner.user_id, Action::WebhookCreated);
    super::webhooks::create(&state.db, &webhook, entry, now_ms()).await
}

/// Pauses (`active` false) or resumes an endpoint.
#[server(endpoint = "set_webhook_active")]
pub async fn set_webhook_active(id: i64, active: bool) -> Result<(), AppError> {
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    let summary = if active { "resumed" } else { "paused" };
    let entry =
        Entry::staff(owner.user_id, Action::WebhookChanged).about(format!("webhook {id}"), summary);
    super::webhooks::set_active(&state.db, id, active, &entry).await
}

/// Deletes an endpoint and its delivery log; goes back to the list.
#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    let owner = require(Permission::ManageIntegrations)?;
    let state = AppState::current()?;
    let entry = Entry::staff(owner.user_id, Action::WebhookDeleted)
        .about(format!("webhook {id}"), "deleted");
    super::webhooks::delete(&state.db, id, &entry).await?;
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
    let entry = Entry::staff(owner.user_id, Action::WebhookResent).about(
        format!("webhook {endpoint}"),
        format!("delivery {delivery} sent again"),
    );
    super::webhooks::resend(&state.db, endpoint, delivery, now_ms(), &entry).await
}
