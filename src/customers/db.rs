//! Account management queries.

use super::api::{Account, USERS_PAGE_SIZE};
use crate::{
    accounts::db::revoke_user_families,
    platform::{
        auth::Role,
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

/// Gives `user` the role `role` and signs them out of every device. Returns the role they had,
/// or None when there is no such account.
pub async fn set_role(db: &Db, user: i64, role: Role) -> Result<Option<Role>, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let before: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(before) = before else {
        return Ok(None);
    };
    sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(now)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    revoke_user_families(db, user, None, now).await?;
    Ok(Some(Role::parse(&before).unwrap_or(Role::Customer)))
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
