//! Account management queries.

use super::api::{Account, USERS_PAGE_SIZE};
use crate::{
    accounts::db::revoke_user_families,
    platform::{
        audit::Entry,
        auth::{Permission, Role},
        db::{Db, contains_pattern, now_ms},
    },
    ui::{Page, offset},
};

pub async fn list(db: &Db, q: &str, page: i64) -> Result<Page<Account>, sqlx::Error> {
    let text = q.to_lowercase();
    let pattern = contains_pattern(&text);
    let conditions =
        "($1 = '' OR lower(u.name) LIKE $2 ESCAPE '\\' OR lower(u.email) LIKE $2 ESCAPE '\\')";
    let total: i64 =
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users u WHERE {conditions}"))
            .bind(&text)
            .bind(&pattern)
            .fetch_one(db.pool())
            .await?;
    let rows: Vec<(i64, String, String, String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT u.id, u.name, u.email, u.role, \
             CAST((SELECT COUNT(*) FROM orders o WHERE o.user_id = u.id) AS BIGINT), u.created_at \
         FROM users u WHERE {conditions} ORDER BY u.created_at DESC, u.id DESC LIMIT $3 OFFSET $4"
    ))
    .bind(&text)
    .bind(&pattern)
    .bind(USERS_PAGE_SIZE)
    .bind(offset(page, USERS_PAGE_SIZE))
    .fetch_all(db.pool())
    .await?;
    let rows = rows
        .into_iter()
        .map(|(id, name, email, role, orders, created_at)| Account {
            id,
            name,
            email,
            // The column's check constraint admits only the known roles.
            role: Role::parse(&role).unwrap_or(Role::Customer),
            orders,
            created_at,
        })
        .collect();
    Ok(Page::new(rows, total, page, USERS_PAGE_SIZE))
}

/// What became of a role change.
pub enum RoleChange {
    Changed,
    NoSuchAccount,
    /// The one changing it may no longer manage staff (someone took that away meanwhile).
    NotAllowed,
}

/// `by` gives `user` the role `role`, signs them out of every device and logs the entry `entry`
/// makes of the role they had, in one transaction. Both accounts are read in it (their rows
/// locked on PostgreSQL, in id order; SQLite's write transaction holds the whole database), so
/// of two owners demoting each other at once the second finds it may no longer.
pub async fn set_role(
    db: &Db,
    by: i64,
    user: i64,
    role: Role,
    entry: impl FnOnce(Role) -> Entry,
) -> Result<RoleChange, sqlx::Error> {
    let now = now_ms();
    let lock = db.row_lock();
    let mut tx = db.begin_write().await?;
    let roles: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT id, role FROM users WHERE id IN ($1, $2) ORDER BY id{lock}"
    ))
    .bind(by)
    .bind(user)
    .fetch_all(&mut *tx)
    .await?;
    let role_of = |id: i64| {
        roles
            .iter()
            .find(|(row, _)| *row == id)
            .map(|(_, role)| Role::parse(role).unwrap_or(Role::Customer))
    };
    if !role_of(by).is_some_and(|r| r.can(Permission::ManageStaff)) {
        return Ok(RoleChange::NotAllowed);
    }
    let Some(before) = role_of(user) else {
        return Ok(RoleChange::NoSuchAccount);
    };
    sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(now)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    revoke_user_families(&mut tx, user, None, now).await?;
    entry(before).write(&mut tx).await?;
    tx.commit().await?;
    Ok(RoleChange::Changed)
}

/// An account as the REST API gives it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CustomerRecord {
    pub id: i64,
    pub email: String,
    pub name: String,
    /// `customer`, or a staff role.
    pub role: String,
    /// When the address was confirmed; null while it is not.
    pub email_verified_at: Option<i64>,
    /// True when they agreed to news and offers by email (off unless they opted in).
    pub accepts_news: bool,
    /// Orders placed, whatever became of them.
    pub orders: i64,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: i64,
    email: String,
    name: String,
    role: String,
    email_verified_at: Option<i64>,
    news: i64,
    orders: i64,
    created_at: i64,
}

/// Up to `limit` accounts (not deleted) with ids above `after`, in id order.
pub async fn customer_records(
    db: &Db,
    after: i64,
    limit: i64,
) -> Result<Vec<CustomerRecord>, sqlx::Error> {
    let rows: Vec<CustomerRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.name, u.role, u.email_verified_at, u.notify_news_email AS news, \
             CAST((SELECT COUNT(*) FROM orders o WHERE o.user_id = u.id) AS BIGINT) AS orders, \
             u.created_at \
         FROM users u WHERE u.id > $1 AND u.deleted_at IS NULL ORDER BY u.id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| CustomerRecord {
            id: row.id,
            email: row.email,
            name: row.name,
            role: row.role,
            email_verified_at: row.email_verified_at,
            accepts_news: row.news == 1,
            orders: row.orders,
            created_at: row.created_at,
        })
        .collect())
}
