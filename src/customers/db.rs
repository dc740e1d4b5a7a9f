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
