//! The audit log's one server function: read, never write.

#[cfg(feature = "ssr")]
use crate::platform::{
    auth::{Permission, require},
    state::AppState,
};
use crate::{error::AppError, platform::audit::Action, ui::Page};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Entries on one page of the log.
pub const AUDIT_PAGE_SIZE: i64 = 50;

/// One change, as the log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    /// The staff member's email when they made the change.
    pub actor: String,
    pub action: Action,
    pub subject: String,
    pub summary: String,
    pub request_id: String,
    pub ip: String,
}

/// Entries, newest first: those of `action` (its name, such as `product.saved`), made by staff
/// whose email contains `actor`.
#[server(endpoint = "admin_audit")]
pub async fn admin_audit(
    action: Option<String>,
    actor: Option<String>,
    page: Option<i64>,
) -> Result<Page<AuditEntry>, AppError> {
    require(Permission::ReadAudit)?;
    let state = AppState::current()?;
    let action = match action.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => Some(
            Action::parse(name).ok_or_else(|| AppError::BadRequest("Unknown action.".into()))?,
        ),
    };
    let actor = actor.unwrap_or_default();
    let page = page.unwrap_or(1).clamp(1, 100_000);
    Ok(super::db::list(&state.db, action, actor.trim(), page).await?)
}
