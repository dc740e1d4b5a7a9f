//! Confirmed addresses. A new account's address, and the new address of an email change, are
//! confirmed by a single-use link sent to them (24 hours); until then the account works but is
//! asked to confirm. Sign-up answers the same whether or not the address has an account: the
//! owner of a taken address is told that someone tried.

use super::{
    db::{self, LinkPurpose, UserRow},
    recovery::{DEAD_LINK, Link},
    session::sign_in,
};
use crate::{
    error::AppError,
    notifications::db::{EmailKind, OutboxEmail, queue_email},
    platform::{
        auth::SessionUser,
        db::{now_ms, violates},
        limits::Limit,
        state::AppState,
        tokens::hash_token,
    },
};

/// "Someone tried to sign up" notices one address gets in an hour: more sign-ups with it are
/// answered the same and tell nobody, so the notice cannot flood an inbox.
const SIGN_UP_NOTICES: Limit = Limit::in_minutes(1, 60);

/// Confirmation links one account may ask to be sent again in 15 minutes.
const RESENDS: Limit = Limit::in_minutes(3, 15);

/// Emails `user` a link confirming `email` (their address, or the one they are changing to), in
/// the caller's transaction.
pub async fn send_link(
    tx: &mut sqlx::AnyConnection,
    user: &UserRow,
    email: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let text = format!(
        "Hello {},\n\nPlease confirm that {email} is your email address by opening the link \
         below. It works once, for 24 hours. If you did not ask for this, ignore this email.",
        user.name
    );
    let link = Link {
        purpose: LinkPurpose::VerifyEmail,
        email,
        kind: EmailKind::VerifyEmail,
        subject: "Confirm your email address",
        path: "/verify-email",
    };
    link.send(tx, user, text, now).await
}

/// Tells the owner of `user`'s address that someone tried to sign up with it (which the sign-up
/// page does not say), once an hour at most, in the caller's transaction.
pub async fn tell_owner_of_sign_up(
    tx: &mut sqlx::AnyConnection,
    user: &UserRow,
    now: i64,
) -> Result<(), sqlx::Error> {
    let scope = format!("sign-up-notice:{}", user.id);
    if !SIGN_UP_NOTICES.allow_in(tx, &scope, now).await? {
        return Ok(());
    }
    let message = OutboxEmail {
        subject: "Someone tried to sign up with your email".into(),
        text: format!(
            "Hello {},\n\nSomeone tried to create an Emporium account with this address, which \
             already has one. If it was you, sign in instead, or reset your password from the \
             sign-in page. If it wasn't, you need do nothing.",
            user.name
        ),
        link: "/login".into(),
    };
    queue_email(tx, EmailKind::SignUpAttempt, &user.email, &message, now).await
}

/// Tells `user`'s current address that the account asked to change to `new` (the change waits
/// for the new address to confirm it), in the caller's transaction.
pub async fn tell_old_address(
    tx: &mut sqlx::AnyConnection,
    user: &UserRow,
    new: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let message = OutboxEmail {
        subject: "Your Emporium email is about to change".into(),
        text: format!(
            "Hello {},\n\nYour account asked to change its email address to {new}. It changes \
             once that address confirms it. If this wasn't you, sign in and change your password \
             at once.",
            user.name
        ),
        link: "/account/security".into(),
    };
    queue_email(tx, EmailKind::EmailChange, &user.email, &message, now).await
}

/// Confirms the address the link `token` was sent to, and signs this device in (see
/// `session::sign_in`).
pub async fn confirm(state: &AppState, token: &str) -> Result<Option<SessionUser>, AppError> {
    let hash = hash_token(token);
    let now = now_ms();
    let (user, email) = db::link_user(&state.db, LinkPurpose::VerifyEmail, &hash, now)
        .await?
        .ok_or_else(|| AppError::BadRequest(DEAD_LINK.into()))?;
    match db::confirm_email(&state.db, &hash, user.id, &email, now).await {
        Ok(true) => {}
        Ok(false) => return Err(AppError::BadRequest(DEAD_LINK.into())),
        Err(e) if violates(&e, "users_email_key", "users.email") => {
            return Err(AppError::Conflict(
                "Another account uses that address now, so it cannot become yours.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let user = db::find_user(&state.db, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    sign_in(state, &user).await
}

/// Sends the signed-in `user` a new link for their unconfirmed address (three in 15 minutes).
pub async fn resend(state: &AppState, user: i64) -> Result<(), AppError> {
    let user = db::find_user(&state.db, user)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if user.email_verified_at.is_some() {
        return Err(AppError::BadRequest(
            "Your email address is confirmed already.".into(),
        ));
    }
    let scope = format!("confirm-user:{}", user.id);
    let now = now_ms();
    // Counted whatever follows, so it is never given back.
    let _counted = RESENDS.take(&state.db, &[&scope], now).await?;
    let mut tx = state.db.begin_write().await?;
    send_link(&mut tx, &user, &user.email, now).await?;
    tx.commit().await?;
    Ok(())
}
