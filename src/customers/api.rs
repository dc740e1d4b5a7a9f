//! Account management server functions, for admins only.

#[cfg(feature = "ssr")]
use crate::platform::{
    audit::{Action, Entry},
    auth::{Permission, require},
    state::AppState,
};
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
    /// The staff member looking, whose own role cannot be changed here.
    pub me: i64,
    /// Whether the one looking may give accounts roles.
    pub can_change_roles: bool,
}

/// Accounts, newest first, found by name or email.
#[server(endpoint = "admin_users")]
pub async fn admin_users(q: Option<String>, page: Option<i64>) -> Result<AccountPage, AppError> {
    let viewer = require(Permission::ReadCustomers)?;
    let state = AppState::current()?;
    let q = q.unwrap_or_default();
    let page = page.unwrap_or(1).clamp(1, 100_000);
    Ok(AccountPage {
        accounts: super::db::list(&state.db, q.trim(), page).await?,
        me: viewer.user_id,
        can_change_roles: viewer.role.can(Permission::ManageStaff),
    })
}

/// Gives an account a role (customer or one of the staff roles). Its refresh tokens are revoked,
/// so it signs in again with the new role (a staff role is checked on every request anyway).
/// Nobody changes their own role (a shop always keeps the owner doing this).
#[server(endpoint = "set_user_role")]
pub async fn set_user_role(id: String, role: String) -> Result<(), AppError> {
    let owner = require(Permission::ManageStaff)?;
    let state = AppState::current()?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::NotFound)?;
    let role = Role::parse(role.trim())
        .ok_or_else(|| AppError::BadRequest("Choose one of the roles.".into()))?;
    if id == owner.user_id {
        return Err(AppError::BadRequest(
            "You can't change your own role.".into(),
        ));
    }
    let entry = |before: Role| {
        Entry::staff(owner.user_id, Action::RoleChanged).about(
            format!("account {id}"),
            format!("{} → {}", before.label(), role.label()),
        )
    };
    match super::db::set_role(&state.db, owner.user_id, id, role, entry).await? {
        super::db::RoleChange::Changed => Ok(()),
        super::db::RoleChange::NoSuchAccount => Err(AppError::NotFound),
        super::db::RoleChange::NotAllowed => Err(AppError::Forbidden),
    }
}
