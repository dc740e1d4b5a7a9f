//! The `api_keys` table.

use super::model::{ApiKeyView, Scope};
use crate::platform::{
    audit::{self, Entry},
    db::Db,
};

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    name: String,
    prefix: String,
    scopes: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<KeyRow> for ApiKeyView {
    fn from(row: KeyRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            scopes: row.scopes.split(' ').filter_map(Scope::parse).collect(),
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        }
    }
}

const COLUMNS: &str = "id, name, prefix, scopes, created_at, last_used_at, revoked_at";

/// Stores a key by its prefix and the digest of the whole key.
pub async fn insert(
    tx: &mut sqlx::AnyConnection,
    name: &str,
    prefix: &str,
    digest: &str,
    scopes: &[Scope],
    created_by: Option<i64>,
    now: i64,
) -> Result<ApiKeyView, sqlx::Error> {
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let row: KeyRow = sqlx::query_as(&format!(
        "INSERT INTO api_keys (name, prefix, secret_digest, scopes, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    ))
    .bind(name)
    .bind(prefix)
    .bind(digest)
    .bind(scopes.join(" "))
    .bind(created_by)
    .bind(now)
    .fetch_one(tx)
    .await?;
    Ok(row.into())
}

/// Every key, newest first.
pub async fn all(db: &Db) -> Result<Vec<ApiKeyView>, sqlx::Error> {
    let rows: Vec<KeyRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_keys ORDER BY id DESC"))
            .fetch_all(db.pool())
            .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The key with this prefix, not revoked, with the digest it was stored with.
pub async fn live(db: &Db, prefix: &str) -> Result<Option<(ApiKeyView, String)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct LiveRow {
        #[sqlx(flatten)]
        key: KeyRow,
        secret_digest: String,
    }
    let row: Option<LiveRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, secret_digest FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL"
    ))
    .bind(prefix)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(|row| (row.key.into(), row.secret_digest)))
}

/// Notes a use, at most once a minute per key (not a write per request); true when it did.
pub async fn touch(db: &Db, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let noted = sqlx::query(
        "UPDATE api_keys SET last_used_at = $1 \
         WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $1 - 60000)",
    )
    .bind(now)
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(noted.rows_affected() == 1)
}

/// Counts one request of key `id` in the window starting at `window`; the window's count so far
/// (one statement, so requests on any node at once each get their own number).
pub async fn count_request(db: &Db, id: i64, window: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO api_key_usage (key_id, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (key_id, window_start) DO UPDATE SET hits = api_key_usage.hits + 1 \
         RETURNING hits",
    )
    .bind(id)
    .bind(window)
    .fetch_one(db.writer())
    .await
}

/// Forgets the windows of key `id` before `before`.
pub async fn forget_usage(db: &Db, id: i64, before: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM api_key_usage WHERE key_id = $1 AND window_start < $2")
        .bind(id)
        .bind(before)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Revokes a key, logging `entry`; false when there is no such key. Revoking twice keeps the
/// first time.
pub async fn revoke(db: &Db, id: i64, now: i64, entry: &Entry) -> Result<bool, sqlx::Error> {
    let change =
        sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2")
            .bind(now)
            .bind(id);
    audit::change_one(db, change, entry).await
}
