//! Account server functions. Each delegates to `session`, which the integration tests also
//! drive over HTTP.

use crate::error::AppError;
use crate::platform::auth::SessionUser;
use leptos::prelude::*;

/// Creates an account, signs it in, and goes to `next` (a local path) or home.
#[server(endpoint = "register")]
pub async fn register(
    name: String,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<SessionUser, AppError> {
    use super::session;
    use crate::platform::http::safe_next;
    use crate::platform::state::AppState;
    let state = AppState::current()?;
    let user = session::register(&state, &name, &email, password).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(user)
}

/// Signs in and goes to `next` (a local path) or home.
#[server(endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<SessionUser, AppError> {
    use super::session;
    use crate::platform::http::safe_next;
    use crate::platform::state::AppState;
    let state = AppState::current()?;
    let user = session::login(&state, &email, password).await?;
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(user)
}

/// Signs this device out.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use super::session;
    use crate::platform::state::AppState;
    let state = AppState::current()?;
    session::logout(&state).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The signed-in user, or `None`.
#[server(endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<SessionUser>, AppError> {
    use super::session;
    use crate::platform::state::AppState;
    let state = AppState::current()?;
    session::current_user(&state).await
}

/// Changes the signed-in user's name and email (a new email needs the current password).
#[server(endpoint = "update_details")]
pub async fn update_details(
    name: String,
    email: String,
    current_password: Option<String>,
) -> Result<(), AppError> {
    use super::session;
    use crate::platform::state::AppState;
    let state = AppState::current()?;
    session::update_details(&state, &name, &email, current_password.unwrap_or_default()).await
}

/// Changes the password; every other device is signed out.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use super::session;
    use crate::platform::state::AppState;
    let state = AppState::current()?;
    session::change_password(&state, current_password, new_password).await
}

/// Signs the user out on every device, this one included.
#[server(endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    use super::session;
    use crate::platform::state::AppState;
    let state = AppState::current()?;
    session::sign_out_everywhere(&state).await?;
    leptos_axum::redirect("/login");
    Ok(())
}
