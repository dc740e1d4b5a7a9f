//! Sessions on the server: the middleware that authenticates every request (refreshing an
//! expired access token silently), the cookies, `require_user`/`require`, and the
//! account operations the server functions call.

use super::{
    db::{self, Refresh},
    model::{Email, check_password_length, parse_name},
    two_factor, verification,
};
use crate::{
    error::{AppError, BAD_CREDENTIALS, FieldError},
    platform::{
        auth::{Role, Session, SessionUser, current_session, require_user},
        config::Environment,
        db::{now_ms, violates},
        http::{client_ip, cookie, request_parts, set_cookie, set_response_cookies},
        limits::{self, Attempt, Limit},
        password,
        state::AppState,
        tokens::{ACCESS_TTL_SECS, REFRESH_TTL_SECS},
    },
};
use axum::{
    extract::{Request, State},
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

pub const ACCESS_COOKIE: &str = "emporium_access";
pub const REFRESH_COOKIE: &str = "emporium_refresh";

/// Failed sign-ins and sign-ups allowed per scope (IP, account) in a minute.
pub const FAILURES: Limit = Limit::in_minutes(5, 1);

/// Middleware: resolves the session from a bearer token, the access cookie, or, when the
/// access token is missing or expired, the refresh cookie (rotating it).
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let access = cookie(headers, ACCESS_COOKIE);
    let refresh = cookie(headers, REFRESH_COOKIE).map(str::to_owned);
    let secure = state.config.environment == Environment::Production;

    let mut set_cookies = Vec::new();
    let mut session = bearer
        .or(access)
        .and_then(|token| state.tokens.verify(token))
        .map(|(user_id, role)| Session { user_id, role });
    if session.is_none() && bearer.is_none() {
        if let Some(refresh) = refresh {
            match db::rotate(&state.db, &refresh, now_ms()).await {
                Ok(Refresh::Rotated {
                    user_id,
                    role,
                    token,
                }) => {
                    set_cookies = session_cookies(&state, user_id, role, &token);
                    session = Some(Session { user_id, role });
                }
                Ok(Refresh::JustRotated { user_id, role }) => {
                    session = Some(Session { user_id, role })
                }
                Ok(Refresh::Rejected) => set_cookies = cleared_cookies(secure),
                Err(error) => tracing::error!(%error, "refreshing a session failed"),
            }
        } else if access.is_some() {
            set_cookies = cleared_cookies(secure);
        }
    }
    // A token's staff role is checked against the account once per request, so a demotion
    // takes effect at once rather than when the 15-minute token runs out, and staff without
    // two-step sign-in act as customers.
    if let Some(Session { user_id, role }) = session
        && role.is_staff()
    {
        session = match db::find_user(&state.db, user_id).await {
            Ok(user) => user.map(|user| Session {
                user_id,
                role: user.rights(),
            }),
            Err(error) => {
                tracing::error!(%error, "reading a staff member's role failed");
                None
            }
        };
    }
    if let Some(session) = session {
        request.extensions_mut().insert(session);
    }
    let mut response = next.run(request).await;
    // A handler that signed out, or signed someone in, has decided the session: the refresh
    // made on the way in must not put the old one back after its cookies.
    let decided = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok()?.split_once('='))
        .any(|(name, _)| name == ACCESS_COOKIE || name == REFRESH_COOKIE);
    if !decided {
        for value in set_cookies {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn session_cookies(state: &AppState, user_id: i64, role: Role, refresh: &str) -> Vec<HeaderValue> {
    let secure = state.config.environment == Environment::Production;
    let access = state.tokens.issue(user_id, role, now_ms() / 1000);
    [
        set_cookie(ACCESS_COOKIE, &access, ACCESS_TTL_SECS, secure),
        set_cookie(REFRESH_COOKIE, refresh, REFRESH_TTL_SECS, secure),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn cleared_cookies(secure: bool) -> Vec<HeaderValue> {
    [
        set_cookie(ACCESS_COOKIE, "", 0, secure),
        set_cookie(REFRESH_COOKIE, "", 0, secure),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Counts an attempt in each scope before it is judged (429 when a scope has no failures
/// left); it stays counted unless `succeeded` gives it back.
pub(super) async fn attempt(state: &AppState, scopes: &[&str]) -> Result<Attempt, AppError> {
    FAILURES.take(&state.db, scopes, now_ms()).await
}

pub(super) async fn succeeded(state: &AppState, attempt: Attempt) -> Result<(), AppError> {
    Ok(limits::give_back(&state.db, attempt).await?)
}

/// Checks the current password of `user` for a change to their account, counted like a
/// sign-in (and given back when right).
pub(super) async fn password_is_right(
    state: &AppState,
    user: &db::UserRow,
    password: String,
) -> Result<bool, AppError> {
    let account_scope = format!("email:{}", user.email.to_lowercase());
    let attempt = attempt(state, &[&account_scope]).await?;
    let right = state
        .passwords
        .verify(password, Some(user.password_hash.clone()))
        .await?;
    if right {
        succeeded(state, attempt).await?;
    }
    Ok(right)
}

/// Signs in `user`, whose password or emailed link was right: at once, or after a code from
/// their app when they have two-step sign-in (then `None`, and this device goes to
/// `/login/code`).
pub(super) async fn sign_in(
    state: &AppState,
    user: &db::UserRow,
) -> Result<Option<SessionUser>, AppError> {
    if user.totp_secret.is_some() {
        two_factor::ask_for_code(state, user);
        return Ok(None);
    }
    start_session(state, user.id, user.role()).await?;
    Ok(Some(user.to_session_user()))
}

/// Starts a session for `user` on this response; the browser's guest cart and what it did
/// before signing in become theirs.
pub async fn start_session(state: &AppState, user_id: i64, role: Role) -> Result<(), AppError> {
    let refresh = db::start_family(&state.db, user_id, now_ms()).await?;
    set_response_cookies(session_cookies(state, user_id, role, &refresh));
    crate::cart::owner::adopt_guest_cart(state, user_id).await?;
    crate::events::adopt_visitor(&state.db, user_id).await?;
    Ok(())
}

/// Creates a customer account and emails a link to confirm its address; signs nobody in. The
/// answer is the same when the address has an account already, whose owner is told instead,
/// and takes as long (the password is hashed either way).
pub async fn register(
    state: &AppState,
    name: &str,
    email: &str,
    password: String,
) -> Result<(), AppError> {
    let ip_scope = format!("ip:{}", client_ip());
    // Every sign-up counts towards the hourly allowance of its network address, so nobody
    // makes accounts (or emails an address's owner) in bulk; failures count as below too.
    let sign_ups = Limit::in_minutes(state.config.sign_ups_per_hour, 60);
    let _counted = sign_ups
        .take(&state.db, &[&format!("sign-up:{}", client_ip())], now_ms())
        .await?;
    let attempt = attempt(state, &[&ip_scope]).await?;
    let name = parse_name(name).map_err(|m| AppError::BadRequest(m.into()))?;
    let email = Email::parse(email).map_err(|m| AppError::BadRequest(m.into()))?;
    check_password_length(&password).map_err(|m| AppError::BadRequest(m.into()))?;
    password::check_strength(&password, &[&name, email.as_str()]).map_err(AppError::BadRequest)?;
    let hash = state.passwords.hash(password).await?;
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    match db::sign_up(&mut tx, &email, &name, &hash, now).await {
        Ok(db::SignUp::New(user)) => {
            verification::send_link(&mut tx, &user, &user.email, now).await?
        }
        Ok(db::SignUp::Taken(owner)) => {
            verification::tell_owner_of_sign_up(&mut tx, &owner, now).await?
        }
        // Signed up a moment ago by a request of its own, which sent the link.
        Err(e) if violates(&e, "users_email_key", "users.email") => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    succeeded(state, attempt).await
}

/// Checks credentials and signs in (see `sign_in`). Unknown emails take as long as wrong
/// passwords.
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
) -> Result<Option<SessionUser>, AppError> {
    let ip_scope = format!("ip:{}", client_ip());
    let Ok(email) = Email::parse(email) else {
        let _counted = attempt(state, &[&ip_scope]).await?;
        return Err(AppError::BadRequest(BAD_CREDENTIALS.into()));
    };
    let account_scope = format!("email:{}", email.as_str().to_lowercase());
    let attempt = attempt(state, &[&ip_scope, &account_scope]).await?;
    let user = db::find_user_by_email(&state.db, &email).await?;
    let verified = state
        .passwords
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await?;
    match user {
        Some(user) if verified => {
            succeeded(state, attempt).await?;
            sign_in(state, &user).await
        }
        _ => Err(AppError::BadRequest(BAD_CREDENTIALS.into())),
    }
}

/// The refresh-token family of this device, if its cookie is known.
async fn current_family(state: &AppState) -> Result<Option<(i64, String)>, AppError> {
    let Some(parts) = request_parts() else {
        return Ok(None);
    };
    match cookie(&parts.headers, REFRESH_COOKIE) {
        Some(token) => Ok(db::family_of(&state.db, token).await?),
        None => Ok(None),
    }
}

/// Signs this device out: revokes its family and clears the cookies.
pub async fn logout(state: &AppState) -> Result<(), AppError> {
    if let Some((user, family)) = current_family(state).await? {
        db::revoke_family(&state.db, user, &family, now_ms()).await?;
    }
    clear_cookies(state);
    Ok(())
}

/// Clears this device's session cookies on the response.
pub(super) fn clear_cookies(state: &AppState) {
    set_response_cookies(cleared_cookies(
        state.config.environment == Environment::Production,
    ));
}

/// Changes the signed-in user's name, and asks to change their email: a new address needs
/// the current password (counted like a sign-in), and changes only once a link sent to it is
/// opened; the old address is told. Returns the address waiting to be confirmed, if any. An
/// address another account has gets the same answer and no email, so nothing is revealed.
pub async fn update_details(
    state: &AppState,
    name: &str,
    email: &str,
    current_password: String,
) -> Result<Option<String>, AppError> {
    let session = require_user()?;
    let user = db::find_user(&state.db, session.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let mut errors = Vec::new();
    let name = parse_name(name).map_err(|m| errors.push(FieldError::new("name", m)));
    let email = Email::parse(email).map_err(|m| errors.push(FieldError::new("email", m)));
    let (Ok(name), Ok(email)) = (name, email) else {
        return Err(AppError::Invalid(errors));
    };
    let changes_email = !email.as_str().eq_ignore_ascii_case(&user.email);
    if changes_email && !password_is_right(state, &user, current_password).await? {
        return Err(AppError::Invalid(vec![FieldError::new(
            "current_password",
            "Enter your current password to change your email.",
        )]));
    }
    let now = now_ms();
    db::set_name(&state.db, user.id, &name, now).await?;
    if !changes_email {
        return Ok(None);
    }
    if db::find_user_by_email(&state.db, &email).await?.is_none() {
        let mut tx = state.db.begin_write().await?;
        verification::send_link(&mut tx, &user, email.as_str(), now).await?;
        verification::tell_old_address(&mut tx, &user, email.as_str(), now).await?;
        tx.commit().await?;
    }
    Ok(Some(email.to_string()))
}

/// Changes the password (the current one is required) and signs out every other device.
pub async fn change_password(
    state: &AppState,
    current: String,
    new: String,
) -> Result<(), AppError> {
    let session = require_user()?;
    let user = db::find_user(&state.db, session.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if !password_is_right(state, &user, current).await? {
        return Err(AppError::BadRequest(
            "Your current password is not right.".into(),
        ));
    }
    check_password_length(&new).map_err(|m| AppError::BadRequest(m.into()))?;
    password::check_strength(&new, &[&user.name, &user.email]).map_err(AppError::BadRequest)?;
    let hash = state.passwords.hash(new).await?;
    let keep = this_device(state, user.id).await?;
    db::set_password(&state.db, user.id, &hash, keep.as_deref(), now_ms()).await?;
    Ok(())
}

/// The refresh-token family of this device when it is signed in as `user`: the one session a
/// change that signs `user` out everywhere else keeps.
pub(super) async fn this_device(state: &AppState, user: i64) -> Result<Option<String>, AppError> {
    Ok(current_family(state)
        .await?
        .filter(|(owner, _)| *owner == user)
        .map(|(_, f)| f))
}

/// Revokes every session of the signed-in user, this one included.
pub async fn sign_out_everywhere(state: &AppState) -> Result<(), AppError> {
    let session = require_user()?;
    db::sign_out_everywhere(&state.db, session.user_id, now_ms()).await?;
    clear_cookies(state);
    Ok(())
}

/// The signed-in user, read fresh from the database.
pub async fn current_user(state: &AppState) -> Result<Option<SessionUser>, AppError> {
    match current_session() {
        Some(session) => Ok(db::find_user(&state.db, session.user_id)
            .await?
            .map(|u| u.to_session_user())),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; emporium_access=tok; x_emporium_access=no"),
        );
        assert_eq!(cookie(&headers, ACCESS_COOKIE), Some("tok"));
        assert_eq!(cookie(&headers, REFRESH_COOKIE), None);
        headers.insert(header::COOKIE, HeaderValue::from_static("emporium_access="));
        assert_eq!(
            cookie(&headers, ACCESS_COOKIE),
            None,
            "an empty cookie is no cookie"
        );
    }

    #[test]
    fn session_cookies_are_http_only_and_same_site() {
        let value = set_cookie(ACCESS_COOKIE, "t", 900, true).unwrap();
        let text = value.to_str().unwrap();
        assert!(
            text.contains("HttpOnly")
                && text.contains("SameSite=Lax")
                && text.ends_with("; Secure"),
            "{text}"
        );
        let local = set_cookie(ACCESS_COOKIE, "t", 900, false).unwrap();
        assert!(!local.to_str().unwrap().contains("Secure"));
    }
}
