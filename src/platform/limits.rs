//! Rate limits, counted in the database (`rate_limit_hits`) so that every node behind a balancer
//! sees the same hits. A scope names who is counted (`ip:…`, `email:…`, `order-user:…`).

use super::db::Db;
use crate::error::AppError;

/// Hits older than this are forgotten; no window may be longer.
const KEPT_MS: i64 = 60 * 60 * 1000;

/// At most `max` hits per scope within `window_ms`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max: i64,
    pub window_ms: i64,
}

impl Limit {
    /// Refuses (429, with the window as Retry-After) when any scope has used up the limit.
    pub async fn check(self, db: &Db, scopes: &[&str], now: i64) -> Result<(), AppError> {
        for scope in scopes {
            let hits: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM rate_limit_hits WHERE scope = $1 AND at >= $2",
            )
            .bind(*scope)
            .bind(now - self.window_ms)
            .fetch_one(db.pool())
            .await?;
            if hits >= self.max {
                return Err(AppError::TooManyAttempts {
                    retry_after_secs: u64::try_from(self.window_ms / 1000).unwrap_or(60),
                });
            }
        }
        Ok(())
    }
}

/// Two limits on one kind of request: per signed-in user, and per network address (which
/// several users may share).
#[derive(Clone, Copy, Debug)]
pub struct PerUserAndAddress {
    /// Names the kind of request in its scopes: `order` counts `order-user:7` and `order-ip:…`.
    pub kind: &'static str,
    pub per_user: Limit,
    pub per_address: Limit,
}

impl PerUserAndAddress {
    /// The two scopes a request by `user` from `address` counts against.
    pub fn scopes(self, user: i64, address: &str) -> [String; 2] {
        [
            format!("{}-user:{user}", self.kind),
            format!("{}-ip:{address}", self.kind),
        ]
    }

    /// Refuses (429) when either scope has used up its limit.
    pub async fn check(self, db: &Db, scopes: &[String; 2], now: i64) -> Result<(), AppError> {
        self.per_user.check(db, &[&scopes[0]], now).await?;
        self.per_address.check(db, &[&scopes[1]], now).await
    }

    /// Counts one hit against both scopes.
    pub async fn record(self, db: &Db, scopes: &[String; 2], now: i64) -> Result<(), sqlx::Error> {
        record(db, &[&scopes[0], &scopes[1]], now).await
    }
}

/// Counts one hit against each scope, and forgets hits older than an hour.
pub async fn record(db: &Db, scopes: &[&str], now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    for scope in scopes {
        sqlx::query("INSERT INTO rate_limit_hits (scope, at) VALUES ($1, $2)")
            .bind(*scope)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM rate_limit_hits WHERE at < $1")
        .bind(now - KEPT_MS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
