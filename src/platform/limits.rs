//! Rate limits, counted in the database (`rate_limit_hits`) so that every node behind a balancer
//! sees the same hits. A scope names who is counted (`ip:…`, `email:…`, `order-user:…`).

use super::{
    db::{Backend, Db},
    tokens::random_hex,
};
use crate::error::AppError;

/// Hits older than this are forgotten; no window may be longer.
const KEPT_MS: i64 = 60 * 60 * 1000;

/// At most `max` hits per scope within `window_ms`.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max: i64,
    pub window_ms: i64,
}

/// Attempts counted by `Limit::take`; `give_back` uncounts them when they turn out fine.
#[must_use = "an attempt that succeeds should be given back"]
pub struct Attempt {
    ticket: String,
}

impl Limit {
    /// At most `max` hits in `minutes` minutes.
    pub const fn in_minutes(max: i64, minutes: i64) -> Self {
        Self {
            max,
            window_ms: minutes * 60_000,
        }
    }

    fn refused(self) -> AppError {
        AppError::TooManyAttempts {
            retry_after_secs: u64::try_from(self.window_ms / 1000).unwrap_or(60),
        }
    }

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
                return Err(self.refused());
            }
        }
        Ok(())
    }

    /// Counts an attempt in every scope before it is judged, or refuses (429) when any scope
    /// has used up the limit. Counting and checking are one transaction, one at a time per
    /// scope (SQLite has one writer; PostgreSQL takes a transaction lock on each scope, in
    /// order), so however many attempts arrive at once, at most `max` get through.
    pub async fn take(self, db: &Db, scopes: &[&str], now: i64) -> Result<Attempt, AppError> {
        let mut sorted = scopes.to_vec();
        sorted.sort_unstable();
        let ticket = random_hex(12);
        let mut tx = db.begin_write().await?;
        if db.backend() == Backend::Postgres {
            for scope in &sorted {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(*scope)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        for scope in &sorted {
            let hits: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM rate_limit_hits WHERE scope = $1 AND at >= $2",
            )
            .bind(*scope)
            .bind(now - self.window_ms)
            .fetch_one(&mut *tx)
            .await?;
            if hits >= self.max {
                return Err(self.refused());
            }
            sqlx::query("INSERT INTO rate_limit_hits (scope, at, ticket) VALUES ($1, $2, $3)")
                .bind(*scope)
                .bind(now)
                .bind(&ticket)
                .execute(&mut *tx)
                .await?;
        }
        forget_old(&mut tx, now).await?;
        tx.commit().await?;
        Ok(Attempt { ticket })
    }

    /// Counts a hit against `scope` in the caller's transaction when the window has room for
    /// it; false (nothing counted) when it has not. For things done quietly at most so often,
    /// like a notice that must not become a way to flood someone's inbox.
    pub async fn allow_in(
        self,
        tx: &mut sqlx::AnyConnection,
        scope: &str,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let hits: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM rate_limit_hits WHERE scope = $1 AND at >= $2",
        )
        .bind(scope)
        .bind(now - self.window_ms)
        .fetch_one(&mut *tx)
        .await?;
        if hits >= self.max {
            return Ok(false);
        }
        sqlx::query("INSERT INTO rate_limit_hits (scope, at) VALUES ($1, $2)")
            .bind(scope)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        Ok(true)
    }
}

/// Uncounts an attempt that turned out fine (the right password, say).
pub async fn give_back(db: &Db, attempt: Attempt) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rate_limit_hits WHERE ticket = $1")
        .bind(&attempt.ticket)
        .execute(db.writer())
        .await?;
    Ok(())
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
    forget_old(&mut tx, now).await?;
    tx.commit().await
}

async fn forget_old(tx: &mut sqlx::AnyConnection, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM rate_limit_hits WHERE at < $1")
        .bind(now - KEPT_MS)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
