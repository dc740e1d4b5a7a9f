//! Recommendation server functions: who is asking, then a lookup in `serve`. Every row served
//! with products counts as shown, and `picked` counts a click, so the admin sees each row's
//! click-through.

use super::model::{Picks, Row, Together};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{events::EventKind, platform::state::AppState};
use leptos::prelude::*;

/// The shopper of this request: their visitor id, account and cart.
#[cfg(feature = "ssr")]
async fn shopper(
    state: &crate::platform::state::AppState,
) -> Result<super::serve::Shopper, AppError> {
    Ok(super::serve::Shopper {
        visitor: crate::events::current_visitor().map(|v| v.id),
        user: crate::platform::auth::current_session().map(|s| s.user_id),
        in_cart: crate::cart::owner::products_in_cart(state).await?,
    })
}

/// Records that `row` was shown with `products` in it, by `kind`.
#[cfg(feature = "ssr")]
fn count(
    state: &crate::platform::state::AppState,
    kind: crate::events::EventKind,
    row: Row,
    product: Option<i64>,
) {
    use crate::events::Event;
    state.events.record(Event {
        user_id: crate::platform::auth::current_session().map(|s| s.user_id),
        product_id: product,
        payload: serde_json::json!({ "row": row.as_str() }).to_string(),
        ..Event::new(kind)
    });
}

/// `picks`, counted as shown when it holds any product.
#[cfg(feature = "ssr")]
fn shown(state: &crate::platform::state::AppState, picks: Picks) -> Picks {
    if !picks.products.is_empty() {
        count(
            state,
            crate::events::EventKind::RecommendationShown,
            picks.row,
            None,
        );
    }
    picks
}

/// For the product page at `slug`: what the same shoppers viewed, carted and bought, topped up
/// from its category.
#[server(endpoint = "recommended_with")]
pub async fn recommended_with(slug: String) -> Result<Picks, AppError> {
    let state = AppState::current()?;
    let picks = super::serve::also_viewed(&state.db, &slug, &shopper(&state).await?)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(shown(&state, picks))
}

/// For the product page at `slug`: what is most often bought with it, when that makes a pair.
#[server(endpoint = "bought_together")]
pub async fn bought_together(slug: String) -> Result<Option<Together>, AppError> {
    let state = AppState::current()?;
    let pair = super::serve::bought_together(&state.db, &slug, &shopper(&state).await?).await?;
    if pair.is_some() {
        count(
            &state,
            EventKind::RecommendationShown,
            Row::BoughtTogether,
            None,
        );
    }
    Ok(pair)
}

/// What this visitor looked at last, latest first, but for the product at `except` (the page
/// they are on).
#[server(endpoint = "recently_viewed")]
pub async fn recently_viewed(except: Option<String>) -> Result<Picks, AppError> {
    let state = AppState::current()?;
    let shopper = shopper(&state).await?;
    let picks = super::serve::recently_viewed(&state.db, &shopper, except.as_deref()).await?;
    Ok(shown(&state, picks))
}

/// For the home page: picks from this visitor's browsing, or what is popular this week.
#[server(endpoint = "recommended_for_you")]
pub async fn recommended_for_you() -> Result<Picks, AppError> {
    let state = AppState::current()?;
    let picks = super::serve::for_you(&state.db, &shopper(&state).await?).await?;
    Ok(shown(&state, picks))
}

/// For the cart page: what goes with what is in the cart.
#[server(endpoint = "with_your_cart")]
pub async fn with_your_cart() -> Result<Picks, AppError> {
    let state = AppState::current()?;
    let picks = super::serve::with_your_cart(&state.db, &shopper(&state).await?).await?;
    Ok(shown(&state, picks))
}

/// A shopper followed the product at `slug` from `row`.
#[server(endpoint = "picked")]
pub async fn picked(row: Row, slug: String) -> Result<(), AppError> {
    let state = AppState::current()?;
    let product = crate::catalog::db::product_on_sale(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    count(&state, EventKind::RecommendationClicked, row, Some(product));
    Ok(())
}
