//! Notification server functions: the shopper's own notifications and preferences only.

use super::model::{Notification, Preferences};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::platform::{
    auth::{current_session, require_user},
    state::AppState,
};
use leptos::prelude::*;

/// The signed-in shopper's newest notifications.
#[server(endpoint = "notifications")]
pub async fn list_notifications() -> Result<Vec<Notification>, AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    Ok(super::db::list(&state.db, session.user_id).await?)
}

/// How many notifications the signed-in shopper has not read; 0 when signed out.
#[server(endpoint = "unread_notifications")]
pub async fn unread_notifications() -> Result<i64, AppError> {
    let Some(session) = current_session() else {
        return Ok(0);
    };
    let state = AppState::current()?;
    Ok(super::db::unread(&state.db, session.user_id).await?)
}

#[server(endpoint = "mark_notifications_read")]
pub async fn mark_notifications_read() -> Result<(), AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    Ok(super::db::mark_all_read(&state.db, session.user_id).await?)
}

#[server(endpoint = "notification_preferences")]
pub async fn notification_preferences() -> Result<Preferences, AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    Ok(super::db::preferences(&state.db, session.user_id).await?)
}

/// Saves the preferences form: a ticked box is present, an unticked one absent.
#[server(endpoint = "save_notification_preferences")]
pub async fn save_notification_preferences(
    orders_email: Option<String>,
    orders_app: Option<String>,
    news_email: Option<String>,
) -> Result<(), AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    let preferences = Preferences {
        orders_email: orders_email.is_some(),
        orders_app: orders_app.is_some(),
        news_email: news_email.is_some(),
    };
    Ok(super::db::save_preferences(&state.db, session.user_id, preferences).await?)
}
