//! "Your data": everything the shop holds about a shopper, as one JSON file they download from
//! `/account/privacy` (GET `/account/privacy/data.json`, for the signed-in shopper only), and
//! deleting the account.

use super::{
    db,
    session::{clear_cookies, password_is_right},
};
use crate::{
    cart::model::WishlistItem,
    checkout::model::{Address, OrderView},
    error::{AppError, FieldError},
    events::RecordedEvent,
    notifications::model::{Notification, Preferences},
    platform::{
        auth::{Role, Session, require_user},
        db::now_ms,
        state::AppState,
    },
    reviews::db::OwnReview,
};
use axum::{
    Extension,
    extract::State,
    http::header,
    response::{IntoResponse, Redirect, Response},
};
use serde::Serialize;

/// The account itself.
#[derive(Serialize)]
pub struct Profile {
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub role: Role,
    pub created_at: i64,
}

/// Everything the shop holds about one shopper.
#[derive(Serialize)]
pub struct Export {
    pub exported_at: i64,
    pub profile: Profile,
    pub preferences: Preferences,
    pub addresses: Vec<Address>,
    pub orders: Vec<OrderView>,
    pub reviews: Vec<OwnReview>,
    pub wishlist: Vec<WishlistItem>,
    pub notifications: Vec<Notification>,
    pub events: Vec<RecordedEvent>,
}

/// Gathers `user`'s data from every domain that keeps some.
pub async fn export(state: &AppState, user: i64) -> Result<Export, AppError> {
    let row = db::find_user(&state.db, user)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let created_at = db::created_at(&state.db, user).await?;
    let mut orders = Vec::new();
    // One query per order: an export is rare, and each order comes whole, as its page shows it.
    for summary in crate::checkout::db::orders_of(&state.db, user).await? {
        let order = crate::checkout::db::order(
            &state.db,
            &summary.number,
            Some(user),
            state.config.return_days,
        )
        .await?;
        orders.extend(order);
    }
    Ok(Export {
        exported_at: now_ms(),
        profile: Profile {
            name: row.name.clone(),
            email: row.email.clone(),
            email_verified: row.email_verified_at.is_some(),
            role: row.role(),
            created_at,
        },
        preferences: crate::notifications::db::preferences(&state.db, user).await?,
        addresses: crate::checkout::db::addresses(&state.db, user).await?,
        orders,
        reviews: crate::reviews::db::by_user(&state.db, user).await?,
        wishlist: crate::cart::db::wishlist(&state.db, user).await?,
        notifications: crate::notifications::db::list(&state.db, user).await?,
        events: crate::events::of_user(&state.db, user).await?,
    })
}

/// GET `/account/privacy/data.json`: the signed-in shopper's data as a download; anyone else is
/// sent to sign in.
pub async fn download(
    State(state): State<AppState>,
    session: Option<Extension<Session>>,
) -> Response {
    let Some(Extension(session)) = session else {
        return Redirect::to("/login?next=/account/privacy").into_response();
    };
    match export(&state, session.user_id).await {
        Ok(data) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"emporium-data.json\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            serde_json::to_string_pretty(&data).unwrap_or_default(),
        )
            .into_response(),
        Err(error) => (error.status(), error.to_string()).into_response(),
    }
}

/// Deletes the signed-in customer's account, with their current password and "DELETE" typed to
/// confirm. In one transaction every domain forgets them: addresses, cart, wishlist,
/// notifications and their emails go, events become anonymous, orders stay for the books with
/// the customer anonymised, reviews show a former customer, and the account keeps no name,
/// address, password or session. This device is signed out. Admin accounts are refused: another
/// admin must make them a customer first, so a shop never loses its last admin this way.
pub async fn delete_account(
    state: &AppState,
    password: String,
    confirm: &str,
) -> Result<(), AppError> {
    let session = require_user()?;
    let user = db::find_user(&state.db, session.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if user.role().is_staff() {
        return Err(AppError::Conflict(
            "A staff account cannot be deleted: the shop's owner must make it a customer first."
                .into(),
        ));
    }
    let mut errors = Vec::new();
    if !password_is_right(state, &user, password).await? {
        errors.push(FieldError::new("password", "Your password is not right."));
    }
    if confirm.trim() != "DELETE" {
        errors.push(FieldError::new("confirm", "Type DELETE to confirm."));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    crate::checkout::db::forget_customer(&mut tx, user.id).await?;
    crate::cart::db::forget_user(&mut tx, user.id).await?;
    crate::notifications::db::forget_user(&mut tx, user.id, &user.email).await?;
    crate::events::forget_user(&mut tx, user.id).await?;
    db::anonymise(&mut tx, user.id, now).await?;
    tx.commit().await?;
    clear_cookies(state);
    Ok(())
}
