//! Account queries: users, refresh-token families, and failed-attempt counts.

use super::model::Email;
use crate::platform::{
    audit::{Action, Entry},
    auth::{Role, SessionUser},
    db::{Backend, Db},
    tokens::{REFRESH_TTL_SECS, hash_token, new_token, random_hex},
};

/// A concurrent request may present a refresh token that another request rotated a moment
/// ago; within this window that is not treated as theft.
pub const ROTATION_GRACE_MS: i64 = 30_000;

/// A user row, with the password hash. Not `Serialize`: it never leaves the server.
#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub email_verified_at: Option<i64>,
    /// The base32 secret of the authenticator app, once two-step sign-in is on.
    pub totp_secret: Option<String>,
    /// The time step of the last one-time code accepted.
    pub totp_last_step: Option<i64>,
}

impl UserRow {
    pub fn role(&self) -> Role {
        // The column's check constraint admits only the known roles.
        Role::parse(&self.role).unwrap_or(Role::Customer)
    }

    /// What the account may do now: staff without two-step sign-in have a customer's rights
    /// until they turn it on.
    pub fn rights(&self) -> Role {
        match self.role() {
            role if role.is_staff() && self.totp_secret.is_none() => Role::Customer,
            role => role,
        }
    }

    pub fn to_session_user(&self) -> SessionUser {
        SessionUser {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
            role: self.role(),
            email_verified: self.email_verified_at.is_some(),
            two_factor: self.totp_secret.is_some(),
        }
    }
}

const USER_COLUMNS: &str =
    "id, email, name, password_hash, role, email_verified_at, totp_secret, totp_last_step";

const INSERT_USER: &str = "INSERT INTO users (email, name, password_hash, role, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $5) RETURNING id";

/// Inserts a user; a duplicate email surfaces as a violation of `users_email_key`.
pub async fn insert_user(
    db: &Db,
    email: &Email,
    name: &str,
    password_hash: &str,
    role: Role,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(INSERT_USER)
        .bind(email.as_str())
        .bind(name)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(now)
        .fetch_one(db.writer())
        .await
}

/// What a sign-up found: a new customer account, or the account that has the address already.
pub enum SignUp {
    New(UserRow),
    Taken(UserRow),
}

/// Creates a customer account for `email` in the caller's transaction, unless one has it.
pub async fn sign_up(
    tx: &mut sqlx::AnyConnection,
    email: &Email,
    name: &str,
    password_hash: &str,
    now: i64,
) -> Result<SignUp, sqlx::Error> {
    let existing: Option<UserRow> = sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1)"
    ))
    .bind(email.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(owner) = existing {
        return Ok(SignUp::Taken(owner));
    }
    let id = sqlx::query_scalar(INSERT_USER)
        .bind(email.as_str())
        .bind(name)
        .bind(password_hash)
        .bind(Role::Customer.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
    Ok(SignUp::New(UserRow {
        id,
        email: email.as_str().to_owned(),
        name: name.to_owned(),
        password_hash: password_hash.to_owned(),
        role: Role::Customer.as_str().to_owned(),
        email_verified_at: None,
        totp_secret: None,
        totp_last_step: None,
    }))
}

pub async fn find_user_by_email(db: &Db, email: &Email) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1)"
    ))
    .bind(email.as_str())
    .fetch_optional(db.pool())
    .await
}

/// When account `id` was made.
pub async fn created_at(db: &Db, id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT created_at FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
}

pub async fn find_user(db: &Db, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

/// Sets a user's password and signs out every device of theirs but `keep_family`, in one
/// transaction.
pub async fn set_password(
    db: &Db,
    user_id: i64,
    password_hash: &str,
    keep_family: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    replace_password(&mut tx, user_id, password_hash, keep_family, now).await?;
    tx.commit().await
}

/// Sets `user`'s password and signs out every device of theirs but `keep_family`, in `tx`.
async fn replace_password(
    tx: &mut sqlx::AnyConnection,
    user: i64,
    password_hash: &str,
    keep_family: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(password_hash)
        .bind(now)
        .bind(user)
        .execute(&mut *tx)
        .await?;
    revoke_user_families(tx, user, keep_family, now).await
}

/// Changes a user's name.
pub async fn set_name(db: &Db, user_id: i64, name: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET name = $1, updated_at = $2 WHERE id = $3")
        .bind(name)
        .bind(now)
        .bind(user_id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Makes an owner of an existing account (with a new password, ending its sessions), or creates
/// one, as `emporium create-admin` does: one transaction, logged as the command line's. Returns
/// true when created.
pub async fn upsert_admin(
    db: &Db,
    email: &Email,
    password_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let existing: Option<(i64, String)> =
        sqlx::query_as("SELECT id, role FROM users WHERE lower(email) = lower($1)")
            .bind(email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let created = existing.is_none();
    let (id, before) = match existing {
        Some((id, role)) => {
            sqlx::query(
                "UPDATE users SET role = 'owner', password_hash = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(password_hash)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            // New rights and a new password: every session from before ends.
            revoke_user_families(&mut tx, id, None, now).await?;
            let role = Role::parse(&role).unwrap_or(Role::Customer);
            (id, format!("{}, new password", role.label()))
        }
        None => {
            let id: i64 = sqlx::query_scalar(INSERT_USER)
                .bind(email.as_str())
                .bind("Administrator")
                .bind(password_hash)
                .bind(Role::Owner.as_str())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            // Made by whoever runs the server: the address needs no link to prove it.
            sqlx::query("UPDATE users SET email_verified_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            (id, "New account".to_owned())
        }
    };
    Entry::command_line(Action::RoleChanged)
        .about(format!("account {id}"), format!("{before} → Owner"))
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(created)
}

/// A new sign-in: a new family and its first refresh token (returned in the clear, once).
pub async fn start_family(db: &Db, user_id: i64, now: i64) -> Result<String, sqlx::Error> {
    let token = new_token();
    sqlx::query(
        "INSERT INTO refresh_tokens (user_id, family, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(random_hex(16))
    .bind(hash_token(&token))
    .bind(now)
    .bind(now + REFRESH_TTL_SECS * 1000)
    .execute(db.writer())
    .await?;
    Ok(token)
}

/// What presenting a refresh token led to.
#[derive(Debug, PartialEq, Eq)]
pub enum Refresh {
    /// The token was good: here is its successor.
    Rotated {
        user_id: i64,
        role: Role,
        token: String,
    },
    /// Another request rotated it a moment ago: the session stands, no new token.
    JustRotated { user_id: i64, role: Role },
    /// Unknown, expired or revoked, or reused after rotation (then its family is revoked now).
    Rejected,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    user_id: i64,
    family: String,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
    role: String,
}

const TOKEN_ROW: &str = "SELECT t.id, t.user_id, t.family, t.expires_at, t.used_at, t.revoked_at, u.role \
     FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1";

/// What a presented refresh token calls for.
enum Step {
    Reject,
    /// Rotated by a parallel request a moment ago: the session stands, nothing to write.
    Keep {
        user_id: i64,
        role: Role,
    },
    /// Presented again after its rotation: theft, its family is revoked.
    Revoke,
    Rotate,
}

impl TokenRow {
    fn step(&self, now: i64) -> Step {
        if self.revoked_at.is_some() || self.expires_at <= now {
            return Step::Reject;
        }
        match self.used_at {
            None => Step::Rotate,
            Some(used_at) if now - used_at <= ROTATION_GRACE_MS => Step::Keep {
                user_id: self.user_id,
                role: Role::parse(&self.role).unwrap_or(Role::Customer),
            },
            Some(_) => Step::Revoke,
        }
    }
}

/// Uses a refresh token: rotates it, or detects its reuse and revokes its family. The token is
/// looked up before anything is written, so a made-up or dead cookie never waits for (or holds)
/// SQLite's one writer.
pub async fn rotate(db: &Db, presented: &str, now: i64) -> Result<Refresh, sqlx::Error> {
    let hash = hash_token(presented);
    let seen: Option<TokenRow> = sqlx::query_as(TOKEN_ROW)
        .bind(&hash)
        .fetch_optional(db.pool())
        .await?;
    match seen.map(|row| row.step(now)) {
        None | Some(Step::Reject) => return Ok(Refresh::Rejected),
        Some(Step::Keep { user_id, role }) => return Ok(Refresh::JustRotated { user_id, role }),
        Some(Step::Revoke | Step::Rotate) => {}
    }
    // Read again under the write lock: a parallel request may have rotated it since. On
    // PostgreSQL the account's row is locked first, as a sign-out locks it before revoking: one
    // account's refreshes and sign-outs take turns (SQLite's writer lock already makes them),
    // so a refresh either finds its token revoked or stores its new one before a sign-out or a
    // detected theft revokes the family. The lock is a statement of its own: the read after it
    // then sees what a sign-out committed while this one waited.
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query(
            "SELECT u.id FROM users u JOIN refresh_tokens t ON t.user_id = u.id \
             WHERE t.token_hash = $1 FOR NO KEY UPDATE OF u",
        )
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
    }
    let Some(row): Option<TokenRow> = sqlx::query_as(TOKEN_ROW)
        .bind(&hash)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(Refresh::Rejected);
    };
    let role = Role::parse(&row.role).unwrap_or(Role::Customer);
    match row.step(now) {
        Step::Reject => return Ok(Refresh::Rejected),
        Step::Keep { user_id, role } => return Ok(Refresh::JustRotated { user_id, role }),
        Step::Revoke => {
            tracing::warn!(
                user_id = row.user_id,
                "refresh token reused; revoking its family"
            );
            revoke_family_in(&mut tx, &row.family, now).await?;
            tx.commit().await?;
            return Ok(Refresh::Rejected);
        }
        Step::Rotate => {}
    }
    let claimed =
        sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(row.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if claimed == 0 {
        return Ok(Refresh::JustRotated {
            user_id: row.user_id,
            role,
        });
    }
    let token = new_token();
    sqlx::query(
        "INSERT INTO refresh_tokens (user_id, family, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(row.user_id)
    .bind(&row.family)
    .bind(hash_token(&token))
    .bind(now)
    .bind(now + REFRESH_TTL_SECS * 1000)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Refresh::Rotated {
        user_id: row.user_id,
        role,
        token,
    })
}

async fn revoke_family_in(
    tx: &mut sqlx::AnyConnection,
    family: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family)
    .execute(tx)
    .await?;
    Ok(())
}

/// The family a presented refresh token belongs to, if the token is known.
pub async fn family_of(db: &Db, presented: &str) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT user_id, family FROM refresh_tokens WHERE token_hash = $1")
        .bind(hash_token(presented))
        .fetch_optional(db.pool())
        .await
}

/// Signs one device out: `user`'s refresh-token family `family`. Like a sign-out everywhere, it
/// writes the account's row first, so a refresh of this device in progress stores its new token
/// before the family is revoked.
pub async fn revoke_family(db: &Db, user: i64, family: &str, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    touch_user(&mut tx, user, now).await?;
    revoke_family_in(&mut tx, family, now).await?;
    tx.commit().await
}

/// Writes `user`'s row, which waits for any refresh of theirs in progress (`rotate` locks the
/// row) and holds the next one off until the transaction ends.
async fn touch_user(tx: &mut sqlx::AnyConnection, user: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user)
        .execute(tx)
        .await?;
    Ok(())
}

/// Signs a user out on every device, in a transaction of its own.
pub async fn sign_out_everywhere(db: &Db, user: i64, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    revoke_user_families(&mut tx, user, None, now).await?;
    tx.commit().await
}

/// Signs a user out everywhere, except (optionally) the family of the current device. The
/// account's row is written first, so a refresh in progress stores its new token before the
/// tokens are revoked, and that one is revoked too.
pub async fn revoke_user_families(
    tx: &mut sqlx::AnyConnection,
    user_id: i64,
    keep_family: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    touch_user(tx, user_id, now).await?;
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 \
         WHERE user_id = $2 AND revoked_at IS NULL AND family <> $3",
    )
    .bind(now)
    .bind(user_id)
    .bind(keep_family.unwrap_or(""))
    .execute(tx)
    .await?;
    Ok(())
}

/// What an emailed single-use link does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Sets a new password; works 30 minutes.
    ResetPassword,
    /// Confirms an address (a new account's, or the new one of an email change); works 24 hours.
    VerifyEmail,
}

impl LinkPurpose {
    /// The name stored in `account_tokens.purpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResetPassword => "reset_password",
            Self::VerifyEmail => "verify_email",
        }
    }

    fn lifetime_ms(self) -> i64 {
        match self {
            Self::ResetPassword => 30 * 60 * 1000,
            Self::VerifyEmail => 24 * 60 * 60 * 1000,
        }
    }
}

/// Stores a `purpose` link sent to `email` for `user` (only its token's hash) in the caller's
/// transaction; their earlier unused links for the same purpose stop working.
pub async fn insert_link(
    tx: &mut sqlx::AnyConnection,
    purpose: LinkPurpose,
    user: i64,
    email: &str,
    token_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE account_tokens SET used_at = $1 \
         WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user)
    .bind(purpose.as_str())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(user)
    .bind(purpose.as_str())
    .bind(email)
    .bind(now + purpose.lifetime_ms())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The user whose unused, unexpired `purpose` link has the hash `token_hash`, and the address
/// the link was sent to.
pub async fn link_user(
    db: &Db,
    purpose: LinkPurpose,
    token_hash: &str,
    now: i64,
) -> Result<Option<(UserRow, String)>, sqlx::Error> {
    let email: Option<(i64, String)> = sqlx::query_as(
        "SELECT user_id, email FROM account_tokens \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(db.pool())
    .await?;
    let Some((user, email)) = email else {
        return Ok(None);
    };
    Ok(find_user(db, user).await?.map(|row| (row, email)))
}

/// Uses the `purpose` link `token_hash` of `user` in the caller's transaction: false when it was
/// used or ran out meanwhile.
async fn use_link(
    tx: &mut sqlx::AnyConnection,
    purpose: LinkPurpose,
    token_hash: &str,
    user: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let used = sqlx::query(
        "UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND user_id = $3 \
         AND purpose = $4 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(token_hash)
    .bind(user)
    .bind(purpose.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(used.rows_affected() == 1)
}

/// Uses the reset link `token_hash` to set `user`'s new password and signs every device of
/// theirs out, in one transaction. False when the link was used or expired meanwhile.
pub async fn reset_password(
    db: &Db,
    token_hash: &str,
    user: i64,
    password_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    if !use_link(&mut tx, LinkPurpose::ResetPassword, token_hash, user, now).await? {
        return Ok(false);
    }
    replace_password(&mut tx, user, password_hash, None, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Uses the confirmation link `token_hash` of `user`: `email` becomes their confirmed address,
/// in one transaction. False when the link was used or expired meanwhile; an address another
/// account took meanwhile surfaces as a violation of `users_email_key`.
pub async fn confirm_email(
    db: &Db,
    token_hash: &str,
    user: i64,
    email: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    if !use_link(&mut tx, LinkPurpose::VerifyEmail, token_hash, user, now).await? {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE users SET email = $1, email_verified_at = $2, updated_at = $2 WHERE id = $3",
    )
    .bind(email)
    .bind(now)
    .bind(user)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Erases a deleted account's own data in the caller's transaction: its sessions and links go,
/// and the row keeps only an anonymous name and address that can never sign in (orders and
/// reviews still point at it).
pub async fn anonymise(
    tx: &mut sqlx::AnyConnection,
    user: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    for statement in [
        "DELETE FROM refresh_tokens WHERE user_id = $1",
        "DELETE FROM account_tokens WHERE user_id = $1",
        "DELETE FROM recovery_codes WHERE user_id = $1",
    ] {
        sqlx::query(statement).bind(user).execute(&mut *tx).await?;
    }
    sqlx::query(
        "UPDATE users SET name = 'Former customer', email = 'deleted-' || CAST(id AS TEXT) || '@deleted.invalid', \
             password_hash = '!', email_verified_at = NULL, totp_secret = NULL, totp_pending = NULL, notify_orders_email = 0, \
             notify_orders_app = 0, notify_news_email = 0, deleted_at = $1, updated_at = $1 \
         WHERE id = $2",
    )
    .bind(now)
    .bind(user)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Keeps the secret an authenticator app is being enrolled with until a code from it arrives.
pub async fn set_pending_totp(
    db: &Db,
    user_id: i64,
    secret: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET totp_pending = $1, updated_at = $2 WHERE id = $3")
        .bind(secret)
        .bind(now)
        .bind(user_id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// The secret waiting for its first code, if any.
pub async fn pending_totp(db: &Db, user_id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT totp_pending FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await
        .map(Option::flatten)
}

/// Turns two-step sign-in on with the pending secret `secret` (false when another enrolment
/// replaced it meanwhile), `step` being the code just entered, and replaces the recovery codes.
pub async fn enable_totp(
    tx: &mut sqlx::AnyConnection,
    user_id: i64,
    secret: &str,
    step: i64,
    recovery_hashes: &[String],
    now: i64,
) -> Result<bool, sqlx::Error> {
    let enabled = sqlx::query(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1, \
         updated_at = $2 WHERE id = $3 AND totp_pending = $4",
    )
    .bind(step)
    .bind(now)
    .bind(user_id)
    .bind(secret)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if enabled == 0 {
        return Ok(false);
    }
    replace_recovery_codes(tx, user_id, recovery_hashes, now).await?;
    Ok(true)
}

/// Turns two-step sign-in off and drops the recovery codes.
pub async fn disable_totp(
    tx: &mut sqlx::AnyConnection,
    user_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL, \
         updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    replace_recovery_codes(tx, user_id, &[], now).await
}

/// Accepts the code of time step `step` unless a code of that step or a later one was accepted
/// already: of two requests with the same code, one wins.
pub async fn claim_step(db: &Db, user_id: i64, step: i64) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_secret IS NOT NULL \
         AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(db.writer())
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

/// Replaces the account's recovery codes with those whose hashes are given.
pub async fn replace_recovery_codes(
    tx: &mut sqlx::AnyConnection,
    user_id: i64,
    hashes: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for hash in hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Uses up the recovery code with hash `hash`: false when unknown or used already.
pub async fn use_recovery_code(
    db: &Db,
    user_id: i64,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let used = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(hash)
    .execute(db.writer())
    .await?
    .rows_affected();
    Ok(used == 1)
}

/// How many of the account's recovery codes are unused.
pub async fn recovery_codes_left(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(db.pool())
        .await
}
