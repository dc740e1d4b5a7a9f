//! Whose cart a request works on: the signed-in user's, or the guest cart named by the
//! `emporium_cart` cookie (an opaque random token; the database keeps only its hash).

use super::db::{GUEST_CART_TTL_MS, Owner, merge_guest_cart};
use crate::platform::{
    auth::current_session,
    config::Environment,
    http::{cookie, request_parts, set_cookie, set_response_cookies},
    state::AppState,
    tokens::{hash_token, new_token},
};

pub const CART_COOKIE: &str = "emporium_cart";

/// The guest token in the request, if it looks like one we issue (64 hex digits). Anything else,
/// forged or mangled, is ignored: the visitor simply has no cart yet.
fn guest_token() -> Option<String> {
    let parts = request_parts()?;
    let token = cookie(&parts.headers, CART_COOKIE)?;
    (token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())).then(|| token.to_owned())
}

/// The owner of the cart this request sees; None for a guest without a cart.
pub fn current_owner() -> Option<Owner> {
    match current_session() {
        Some(session) => Some(Owner::User(session.user_id)),
        None => guest_token().map(|token| Owner::Guest(hash_token(&token))),
    }
}

fn guest_cookie(state: &AppState, token: &str, max_age_secs: i64) {
    let secure = state.config.environment == Environment::Production;
    set_response_cookies(
        set_cookie(CART_COOKIE, token, max_age_secs, secure)
            .into_iter()
            .collect(),
    );
}

/// The products in the cart this request sees, for pages that suggest something else.
pub async fn products_in_cart(state: &AppState) -> Result<Vec<i64>, sqlx::Error> {
    match current_owner() {
        Some(owner) => super::db::products_in_cart(&state.db, &owner).await,
        None => Ok(Vec::new()),
    }
}

/// The owner of the cart this request changes. A guest without a cart gets a new token; a
/// guest's cookie is renewed, so the cart lasts 30 days from the last change.
pub fn owner_for_write(state: &AppState) -> Owner {
    if let Some(session) = current_session() {
        return Owner::User(session.user_id);
    }
    let token = guest_token().unwrap_or_else(new_token);
    guest_cookie(state, &token, GUEST_CART_TTL_MS / 1000);
    Owner::Guest(hash_token(&token))
}

/// On sign-in: the guest cart of this browser joins the user's cart, and the cookie goes.
pub async fn adopt_guest_cart(state: &AppState, user_id: i64) -> Result<(), sqlx::Error> {
    let Some(token) = guest_token() else {
        return Ok(());
    };
    merge_guest_cart(
        &state.db,
        &Owner::Guest(hash_token(&token)),
        user_id,
        state.config.max_line_quantity,
    )
    .await?;
    guest_cookie(state, "", 0);
    Ok(())
}
