//! The search server function.

use super::model::{RawSearch, SearchResults, Suggestion};
#[cfg(feature = "ssr")]
use super::{
    index::{SearchError, SearchIndex},
    model::{MAX_QUERY_CHARS, MAX_SUGGESTIONS, SearchRequest},
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    catalog::db::product_cards,
    error::internal,
    events::{Event, EventKind},
    platform::{auth::current_session, state::AppState},
};
use leptos::prelude::*;

/// Every place for a search on this node is taken.
#[cfg(feature = "ssr")]
fn busy() -> AppError {
    AppError::Unavailable("Search is busy right now. Please try again in a moment.".into())
}

/// The node's index is being built after a start without one.
pub const WARMING_UP: &str = "Search is warming up after a restart. Please try again in a minute.";

/// Searches the catalog. `scope` is the category of a `/c/{slug}` page (unknown → not found);
/// bad filter values never fail, they come back as notices. Records a `search` event.
#[server(endpoint = "search")]
pub async fn search_products(
    // Absent when the URL has no query string at all.
    #[server(default)] raw: RawSearch,
    scope: Option<String>,
) -> Result<SearchResults, AppError> {
    let state = AppState::current()?;
    if SearchIndex::of(&state).is_warming() {
        return Err(AppError::Unavailable(WARMING_UP.into()));
    }
    let (mut request, notices) = SearchRequest::parse(&raw);
    if let Some(slug) = scope {
        if !SearchIndex::of(&state).has_category(&slug) {
            return Err(AppError::NotFound);
        }
        request.category = Some(slug);
    }
    let index = SearchIndex::of(&state).clone();
    let place = index.admit().ok_or_else(busy)?;
    let search_request = request.clone();
    let (hits, did_you_mean) = tokio::task::spawn_blocking(move || {
        let _place = place;
        let hits = index.search(&search_request)?;
        let did_you_mean = if hits.total == 0 && !search_request.text.is_empty() {
            index.did_you_mean(&search_request.text)?
        } else {
            None
        };
        Ok::<_, SearchError>((hits, did_you_mean))
    })
    .await
    .map_err(|e| internal(&e))?
    .map_err(|e| internal(&e))?;
    let items = product_cards(&state.db, &hits.ids).await?;
    state.events.record(Event {
        user_id: current_session().map(|s| s.user_id),
        payload: serde_json::json!({
            "query": request.text,
            "results": hits.total,
            "category": request.category,
            "brand": request.brand,
            "min_price": request.min_price.map(|m| m.minor()),
            "max_price": request.max_price.map(|m| m.minor()),
            "rating": request.rating,
            "in_stock": request.in_stock,
            "sort": request.sort.key(),
            "page": request.page,
        })
        .to_string(),
        ..Event::new(EventKind::Search)
    });
    Ok(SearchResults {
        request,
        notices,
        total: hits.total,
        items,
        facets: hits.facets,
        trail: hits.trail,
        did_you_mean,
    })
}

/// Up to eight products for what has been typed in the search box so far.
#[server(endpoint = "suggest")]
pub async fn suggest_products(q: String) -> Result<Vec<Suggestion>, AppError> {
    let state = AppState::current()?;
    let text: String = q.chars().take(MAX_QUERY_CHARS).collect();
    let index = SearchIndex::of(&state).clone();
    if index.is_warming() {
        return Ok(Vec::new());
    }
    let place = index.admit().ok_or_else(busy)?;
    tokio::task::spawn_blocking(move || {
        let _place = place;
        index.suggest(&text, MAX_SUGGESTIONS)
    })
    .await
    .map_err(|e| internal(&e))?
    .map_err(|e| internal(&e))
}
