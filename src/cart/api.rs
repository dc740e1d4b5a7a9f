//! Cart and wishlist server functions. The cart needs no account (guests have one too); the
//! wishlist does.

use super::model::{CartView, WishlistItem};
#[cfg(feature = "ssr")]
use super::{
    db::{self, Owner},
    model::Quantity,
    owner::{current_owner, owner_for_write},
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::events::EventKind;
#[cfg(feature = "ssr")]
use crate::platform::{auth::require_user, state::AppState};
use leptos::prelude::*;

/// The cart of this browser or user, with today's prices.
#[server(endpoint = "cart")]
pub async fn get_cart() -> Result<CartView, AppError> {
    let state = AppState::current()?;
    match current_owner() {
        Some(owner) => Ok(db::view(&state.db, &owner).await?),
        None => Ok(CartView::default()),
    }
}

/// Units in the cart, for the header badge.
#[server(endpoint = "cart_count")]
pub async fn get_cart_count() -> Result<i64, AppError> {
    let state = AppState::current()?;
    match current_owner() {
        Some(owner) => Ok(db::count(&state.db, &owner).await?),
        None => Ok(0),
    }
}

/// Puts `quantity` of the variant `sku` in the cart.
#[server(endpoint = "add_to_cart")]
pub async fn add_to_cart(sku: String, quantity: String) -> Result<(), AppError> {
    let state = AppState::current()?;
    let max = state.config.max_line_quantity;
    let quantity = Quantity::parse(&quantity, max).map_err(AppError::BadRequest)?;
    let owner = owner_for_write(&state);
    let product = db::add_line(&state.db, &owner, &sku, quantity.get(), max).await?;
    record(
        &state,
        EventKind::AddToCart,
        product,
        &sku,
        Some(quantity.get()),
    );
    Ok(())
}

/// Adds one of each of two items (say, a product and what is often bought with it), both or
/// neither.
#[server(endpoint = "add_both_to_cart")]
pub async fn add_both_to_cart(first: String, second: String) -> Result<(), AppError> {
    let state = AppState::current()?;
    let owner = owner_for_write(&state);
    let items = [(first.as_str(), 1), (second.as_str(), 1)];
    let products = db::add_lines(&state.db, &owner, &items, state.config.max_line_quantity).await?;
    for (product, (sku, _)) in products.into_iter().zip(items) {
        record(&state, EventKind::AddToCart, product, sku, Some(1));
    }
    Ok(())
}

/// Changes how many of `sku` the cart holds.
#[server(endpoint = "update_cart_line")]
pub async fn update_cart_line(sku: String, quantity: String) -> Result<(), AppError> {
    let state = AppState::current()?;
    let max = state.config.max_line_quantity;
    let quantity = Quantity::parse(&quantity, max).map_err(AppError::BadRequest)?;
    let owner = current_owner().ok_or(AppError::NotFound)?;
    db::set_quantity(&state.db, &owner, &sku, quantity.get(), max).await
}

/// Takes `sku` out of the cart.
#[server(endpoint = "remove_from_cart")]
pub async fn remove_from_cart(sku: String) -> Result<(), AppError> {
    let state = AppState::current()?;
    if let Some(owner) = current_owner()
        && let Some(product) = db::remove_line(&state.db, &owner, &sku).await?
    {
        record(&state, EventKind::RemoveFromCart, product, &sku, None);
    }
    Ok(())
}

/// Moves `sku` from the cart to the signed-in shopper's wishlist.
#[server(endpoint = "move_to_wishlist")]
pub async fn move_to_wishlist(sku: String) -> Result<(), AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    let product = db::add_to_wishlist(&state.db, session.user_id, &sku).await?;
    db::remove_line(&state.db, &Owner::User(session.user_id), &sku).await?;
    record(&state, EventKind::WishlistAdd, product, &sku, None);
    Ok(())
}

/// The signed-in shopper's wishlist.
#[server(endpoint = "wishlist")]
pub async fn get_wishlist() -> Result<Vec<WishlistItem>, AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    Ok(super::db::wishlist(&state.db, session.user_id).await?)
}

/// Saves `sku` on the signed-in shopper's wishlist.
#[server(endpoint = "add_to_wishlist")]
pub async fn add_to_wishlist(sku: String) -> Result<(), AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    let product = super::db::add_to_wishlist(&state.db, session.user_id, &sku).await?;
    record(&state, EventKind::WishlistAdd, product, &sku, None);
    Ok(())
}

/// Takes `sku` off the signed-in shopper's wishlist.
#[server(endpoint = "remove_from_wishlist")]
pub async fn remove_from_wishlist(sku: String) -> Result<(), AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    Ok(super::db::remove_from_wishlist(&state.db, session.user_id, &sku).await?)
}

/// Records a cart or wishlist event for recommendations and analytics.
#[cfg(feature = "ssr")]
fn record(
    state: &crate::platform::state::AppState,
    kind: EventKind,
    product: i64,
    sku: &str,
    quantity: Option<i64>,
) {
    use crate::{events::Event, platform::auth::current_session};
    state.events.record(Event {
        user_id: current_session().map(|s| s.user_id),
        product_id: Some(product),
        payload: serde_json::json!({ "sku": sku, "quantity": quantity }).to_string(),
        ..Event::new(kind)
    });
}
