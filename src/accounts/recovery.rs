//! "Forgot your password?": a single-use link by email (256 random bits, stored only as a hash,
//! valid 30 minutes) that sets a new password, signs every device out and this one in. The
//! answer to the request is the same whether or not the address has an account.

use super::{
    db::{self, LinkPurpose, UserRow},
    model::{Email, check_password_length},
    session::sign_in,
};
use crate::{
    error::AppError,
    notifications::db::{EmailKind, OutboxEmail, queue_email},
    platform::{
        auth::SessionUser,
        db::now_ms,
        http::client_ip,
        limits::Limit,
        password,
        state::AppState,
        tokens::{hash_token, new_token},
    },
};

/// Reset links asked for per address and per network address in 15 minutes.
const RESET_REQUESTS: Limit = Limit::in_minutes(5, 15);

/// What a used, expired or made-up link gets.
pub const DEAD_LINK: &str =
    "This link has expired or has been used already. Ask for a new one below.";

/// Sends a reset link to `email` if it has an account. Rate limited per address and per
/// network address, whether or not the account exists.
pub async fn request_reset(state: &AppState, email: &str) -> Result<(), AppError> {
    let email = Email::parse(email).map_err(|m| AppError::BadRequest(m.into()))?;
    let scopes = [
        format!("reset-email:{}", email.as_str().to_lowercase()),
        format!("reset-ip:{}", client_ip()),
    ];
    let scopes = [scopes[0].as_str(), scopes[1].as_str()];
    let now = now_ms();
    // Counted whatever follows, so it is never given back.
    let _counted = RESET_REQUESTS.take(&state.db, &scopes, now).await?;
    let Some(user) = db::find_user_by_email(&state.db, &email).await? else {
        return Ok(());
    };
    let mut tx = state.db.begin_write().await?;
    let text = format!(
        "Hello {},\n\nSomeone, hopefully you, asked to reset the password of your Emporium \
         account. The link below sets a new one; it works once, for 30 minutes. If it wasn't \
         you, ignore this email: your password stays as it is.",
        user.name
    );
    let link = Link {
        purpose: LinkPurpose::ResetPassword,
        email: &user.email,
        kind: EmailKind::PasswordReset,
        subject: "Reset your Emporium password",
        path: "/reset-password",
    };
    link.send(&mut tx, &user, text, now).await?;
    tx.commit().await?;
    Ok(())
}

/// An emailed single-use link: what it is for, where it goes, and its email.
pub struct Link<'a> {
    pub purpose: LinkPurpose,
    /// The address it is sent to.
    pub email: &'a str,
    pub kind: EmailKind,
    pub subject: &'a str,
    /// The page it opens, which gets `?token=…`.
    pub path: &'a str,
}

impl Link<'_> {
    /// Makes the link for `user` (256 random bits, only the hash kept) and queues its email with
    /// `text`, in the caller's transaction.
    pub async fn send(
        &self,
        tx: &mut sqlx::AnyConnection,
        user: &UserRow,
        text: String,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let token = new_token();
        db::insert_link(
            tx,
            self.purpose,
            user.id,
            self.email,
            &hash_token(&token),
            now,
        )
        .await?;
        let message = OutboxEmail {
            subject: self.subject.into(),
            text,
            link: format!("{}?token={token}", self.path),
        };
        queue_email(tx, self.kind, self.email, &message, now).await
    }
}

/// True when `token` is a `purpose` link that still works.
pub async fn link_works(
    state: &AppState,
    purpose: LinkPurpose,
    token: &str,
) -> Result<bool, AppError> {
    Ok(
        db::link_user(&state.db, purpose, &hash_token(token), now_ms())
            .await?
            .is_some(),
    )
}

/// Sets a new password with the reset link `token`: every session of the account ends, and
/// this device signs in (see `session::sign_in`).
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new: String,
) -> Result<Option<SessionUser>, AppError> {
    let hash = hash_token(token);
    let (user, _) = db::link_user(&state.db, LinkPurpose::ResetPassword, &hash, now_ms())
        .await?
        .ok_or_else(|| AppError::BadRequest(DEAD_LINK.into()))?;
    check_password_length(&new).map_err(|m| AppError::BadRequest(m.into()))?;
    password::check_strength(&new, &[&user.name, &user.email]).map_err(AppError::BadRequest)?;
    let password_hash = state.passwords.hash(new).await?;
    if !db::reset_password(&state.db, &hash, user.id, &password_hash, now_ms()).await? {
        return Err(AppError::BadRequest(DEAD_LINK.into()));
    }
    sign_in(state, &user).await
}
