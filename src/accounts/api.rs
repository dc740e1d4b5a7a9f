//! Account server functions. Each delegates to `session`, which the integration tests also
//! drive over HTTP.

use super::model::{TwoFactorSetup, TwoFactorStatus};
#[cfg(feature = "ssr")]
use super::session;
use crate::error::AppError;
use crate::platform::auth::SessionUser;
#[cfg(feature = "ssr")]
use crate::{
    platform::{auth::require_user, state::AppState},
    ui::safe_next,
};
use leptos::prelude::*;

/// Creates an account and emails a link that confirms its address and signs it in; goes to
/// the page that says so. The answer is the same for an address that has an account.
#[server(endpoint = "register")]
pub async fn register(name: String, email: String, password: String) -> Result<(), AppError> {
    let state = AppState::current()?;
    session::register(&state, &name, &email, password).await?;
    leptos_axum::redirect("/check-your-email");
    Ok(())
}

/// Where a sign-in goes: to `next`, or first to the code page when the account has two-step
/// sign-in (`user` is `None`).
#[cfg(feature = "ssr")]
fn go_on(user: &Option<SessionUser>, next: &str) {
    use crate::{ui::encode_query, ui::safe_next};
    let next = safe_next(Some(next));
    match user {
        Some(_) => leptos_axum::redirect(&next),
        None => leptos_axum::redirect(&format!("/login/code?next={}", encode_query(&next))),
    }
}

/// Signs in and goes to `next` (a local path) or home; to the code page first when the account
/// has two-step sign-in (then the answer is `None`).
#[server(endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<Option<SessionUser>, AppError> {
    let state = AppState::current()?;
    let user = session::login(&state, &email, password).await?;
    go_on(&user, next.as_deref().unwrap_or("/"));
    Ok(user)
}

/// The second step of signing in: a code from the authenticator app, or a recovery code.
#[server(endpoint = "sign_in_code")]
pub async fn sign_in_code(code: String, next: Option<String>) -> Result<SessionUser, AppError> {
    let state = AppState::current()?;
    let user = super::two_factor::finish_sign_in(&state, &code).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(user)
}

/// Whether the signed-in user has two-step sign-in.
#[server(endpoint = "two_factor")]
pub async fn get_two_factor() -> Result<TwoFactorStatus, AppError> {
    super::two_factor::status(&AppState::current()?).await
}

/// Starts enrolling an authenticator app: its QR code and secret.
#[server(endpoint = "start_two_factor")]
pub async fn start_two_factor() -> Result<TwoFactorSetup, AppError> {
    super::two_factor::start(&AppState::current()?).await
}

/// Turns two-step sign-in on with a code from the app and the current password; returns the
/// recovery codes, shown once.
#[server(endpoint = "confirm_two_factor")]
pub async fn confirm_two_factor(code: String, password: String) -> Result<Vec<String>, AppError> {
    super::two_factor::confirm(&AppState::current()?, &code, password).await
}

/// Replaces the recovery codes (the current password is required); returns the new ones.
#[server(endpoint = "new_recovery_codes")]
pub async fn new_recovery_codes(password: String) -> Result<Vec<String>, AppError> {
    super::two_factor::renew_recovery_codes(&AppState::current()?, password).await
}

/// Turns two-step sign-in off (customers only; the current password is required).
#[server(endpoint = "turn_off_two_factor")]
pub async fn turn_off_two_factor(password: String) -> Result<(), AppError> {
    super::two_factor::turn_off(&AppState::current()?, password).await
}

/// Signs this device out.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let state = AppState::current()?;
    session::logout(&state).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The signed-in user, or `None`.
#[server(endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<SessionUser>, AppError> {
    let state = AppState::current()?;
    session::current_user(&state).await
}

/// Changes the signed-in user's name, and asks to change the email (which needs the current
/// password and changes once the new address confirms it). Returns that address, if any.
#[server(endpoint = "update_details")]
pub async fn update_details(
    name: String,
    email: String,
    current_password: Option<String>,
) -> Result<Option<String>, AppError> {
    let state = AppState::current()?;
    session::update_details(&state, &name, &email, current_password.unwrap_or_default()).await
}

/// Changes the password; every other device is signed out.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let state = AppState::current()?;
    session::change_password(&state, current_password, new_password).await
}

/// Signs the user out on every device, this one included.
#[server(endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let state = AppState::current()?;
    session::sign_out_everywhere(&state).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Sends a link to set a new password to `email`, if it has an account; the answer is the same
/// either way.
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    let state = AppState::current()?;
    super::recovery::request_reset(&state, &email).await
}

/// True when the reset link `token` still works (unused, unexpired).
#[server(endpoint = "reset_link")]
pub async fn check_reset_link(token: String) -> Result<bool, AppError> {
    let state = AppState::current()?;
    super::recovery::link_works(&state, super::db::LinkPurpose::ResetPassword, &token).await
}

/// Sets a new password with a reset link: every device is signed out, this one signed in
/// (after a code, with two-step sign-in).
#[server(endpoint = "reset_password")]
pub async fn reset_password(
    token: String,
    password: String,
) -> Result<Option<SessionUser>, AppError> {
    let state = AppState::current()?;
    let user = super::recovery::reset_password(&state, &token, password).await?;
    go_on(&user, "/account");
    Ok(user)
}

/// True when the confirmation link `token` still works (unused, unexpired).
#[server(endpoint = "verify_link")]
pub async fn check_verify_link(token: String) -> Result<bool, AppError> {
    let state = AppState::current()?;
    super::recovery::link_works(&state, super::db::LinkPurpose::VerifyEmail, &token).await
}

/// Confirms the address a link was sent to and signs this device in (after a code, with
/// two-step sign-in); goes home.
#[server(endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<Option<SessionUser>, AppError> {
    let state = AppState::current()?;
    let user = super::verification::confirm(&state, &token).await?;
    go_on(&user, "/");
    Ok(user)
}

/// Sends the signed-in shopper a new link to confirm their address.
#[server(endpoint = "resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    super::verification::resend(&state, session.user_id).await
}

/// Deletes the signed-in customer's account (current password, and "DELETE" typed to confirm);
/// signed out, goes home.
#[server(endpoint = "delete_account")]
pub async fn delete_account(password: String, confirm: String) -> Result<(), AppError> {
    let state = AppState::current()?;
    super::privacy::delete_account(&state, password, &confirm).await?;
    leptos_axum::redirect("/");
    Ok(())
}
