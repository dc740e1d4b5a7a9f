//! Review server functions.

use super::model::{ReviewForm, ReviewsView};
#[cfg(feature = "ssr")]
use super::{db, model::REVIEWS_PAGE_SIZE};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    events::{Event, EventKind},
    platform::{
        audit::{Action, Entry},
        auth::{Permission, current_session, require, require_user},
        state::AppState,
    },
    search::sync::reindex_now,
};
use leptos::prelude::*;

/// A product's rating summary and one page (from 1) of its reviews, newest first, plus the
/// signed-in shopper's own review.
#[server(endpoint = "product_reviews")]
pub async fn product_reviews(slug: String, page: Option<i64>) -> Result<ReviewsView, AppError> {
    let state = AppState::current()?;
    let product = crate::catalog::db::product_on_sale(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let session = current_session();
    let summary = db::summary(&state.db, product).await?;
    let pages = ((summary.count + REVIEWS_PAGE_SIZE - 1) / REVIEWS_PAGE_SIZE).max(1);
    let page = page.unwrap_or(1).clamp(1, pages);
    let (reviews, mine) = tokio::try_join!(db::page(&state.db, product, page), async {
        match &session {
            Some(session) => db::review_by(&state.db, product, session.user_id).await,
            None => Ok(None),
        }
    })?;
    Ok(ReviewsView {
        summary,
        reviews,
        page,
        pages,
        mine,
        signed_in: session.is_some(),
        moderator: session.is_some_and(|s| s.role.can(Permission::EditCatalog)),
    })
}

/// Writes the signed-in shopper's review of the product at `slug`, replacing their earlier one.
#[server(endpoint = "save_review")]
pub async fn save_review(slug: String, review: ReviewForm) -> Result<(), AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    let review = review.check().map_err(AppError::Invalid)?;
    let product = crate::catalog::db::product_on_sale(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if !db::save(&state.db, product, session.user_id, &review).await? {
        return Err(AppError::NotFound);
    }
    reindex_now(&state, product).await;
    state.events.record(Event {
        user_id: Some(session.user_id),
        product_id: Some(product),
        payload: serde_json::json!({ "rating": review.rating }).to_string(),
        ..Event::new(EventKind::Review)
    });
    Ok(())
}

/// Deletes the signed-in shopper's own review of the product at `slug`.
#[server(endpoint = "delete_review")]
pub async fn delete_review(slug: String) -> Result<(), AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    let product = crate::catalog::db::product_on_sale(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if db::remove_own(&state.db, product, session.user_id).await? {
        reindex_now(&state, product).await;
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Removes any shopper's review: for staff moderating the shop.
#[server(endpoint = "remove_review")]
pub async fn remove_review(id: String) -> Result<(), AppError> {
    let staff = require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::NotFound)?;
    let entry = |product| {
        Entry::staff(staff.user_id, Action::ReviewRemoved).about(
            format!("review {id}"),
            format!("removed from product {product}"),
        )
    };
    if let Some(product) = db::remove(&state.db, id, entry).await? {
        reindex_now(&state, product).await;
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
