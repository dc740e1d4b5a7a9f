//! Account management server functions, for admins only.

use crate::{error::AppError, platform::auth::Role, ui::Page};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Accounts on one page of the list.
pub const USERS_PAGE_SIZE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub orders: i64,
    pub created_at: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPage {
    pub accounts: Page<Account>,
    /// The admin looking, whose own role cannot be changed here.
    pub me: i64,
}

/// Accounts, newest first, found by name or email.
#[server(endpoint = "admin_users")]
pub async fn admin_users(q: Option<String>, page: Option<i64>) -> Result<AccountPage, AppError> {
    use crate::platform::{auth::require_admin, state::AppState};
    let admin = require_admin()?;
    let state = AppState::current()?;
    let q = q.unwrap_or_default();
    let page = page.unwrap_or(1).clamp(1, 100_000);
    Ok(AccountPage {
        accounts: super::db::list(&state.db, q.trim(), page).await?,
        me: admin.user_id,
    })
}

/// Makes an account an admin or a customer. Its refresh tokens are revoked, so the new role
/// applies from its next sign-in, and at the latest when its access token expires (15 minutes).
/// Admins cannot change their own role (a shop always keeps the admin doing this).
#[server(endpoint = "set_user_role")]
pub async fn set_user_role(id: String, role: String) -> Result<(), AppError> {
    use crate::platform::{auth::require_admin, state::AppState};
    let admin = require_admin()?;
    let state = AppState::current()?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::NotFound)?;
    let role = Role::parse(role.trim())
        .ok_or_else(|| AppError::BadRequest("Choose customer or admin.".into()))?;
    if id == admin.user_id {
        return Err(AppError::BadRequest(
            "You can't change your own role.".into(),
        ));
    }
    if super::db::set_role(&state.db, id, role).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
