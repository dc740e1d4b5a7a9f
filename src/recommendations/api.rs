//! Recommendation server functions.

use crate::{catalog::model::ProductCard, error::AppError};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Products shown in one row.
pub const PICKS: usize = 8;

/// A row of recommended products and why they are there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picks {
    pub heading: String,
    pub products: Vec<ProductCard>,
}

/// For the product page at `slug`: the nearest neighbours the engine found in what the same
/// shoppers viewed, carted and bought, topped up from the product's category when behaviour
/// says too little. A lookup: the engine runs in the background (`rebuild`).
#[server(endpoint = "recommended_with")]
pub async fn recommended_with(slug: String) -> Result<Picks, AppError> {
    use super::db::{self, Neighbours};
    use crate::platform::state::AppState;
    let state = AppState::current()?;
    let product = crate::catalog::db::product_on_sale(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut ids = db::neighbours(&state.db, product, Neighbours::Viewed).await?;
    let from_behaviour = !ids.is_empty();
    if ids.len() < PICKS {
        let more = db::same_category(&state.db, product).await?;
        ids.extend(
            more.into_iter()
                .filter(|id| !ids.contains(id))
                .collect::<Vec<_>>(),
        );
    }
    let products = worth_showing(&state, &ids).await?;
    Ok(Picks {
        heading: if from_behaviour {
            "Customers who viewed this also viewed".into()
        } else {
            "More like this".into()
        },
        products,
    })
}

/// The products of `ids` worth suggesting, in order: on sale, in stock, not in the cart; at most
/// `PICKS`.
#[cfg(feature = "ssr")]
async fn worth_showing(
    state: &crate::platform::state::AppState,
    ids: &[i64],
) -> Result<Vec<ProductCard>, AppError> {
    let in_cart = crate::cart::owner::products_in_cart(state).await?;
    let ids: Vec<i64> = ids
        .iter()
        .filter(|id| !in_cart.contains(id))
        .copied()
        .collect();
    let mut products = crate::catalog::db::product_cards(&state.db, &ids).await?;
    products.retain(|product| product.stock > 0);
    products.truncate(PICKS);
    Ok(products)
}

/// A product and the one most often bought with it, both with a single variant, in stock and
/// not in the cart, so "Add both to cart" needs no choices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Together {
    pub this: ProductCard,
    pub other: ProductCard,
}

/// For the product page at `slug`: what is most often bought with it, when that makes a pair.
#[server(endpoint = "bought_together")]
pub async fn bought_together(slug: String) -> Result<Option<Together>, AppError> {
    use super::db::{self, Neighbours};
    use crate::platform::state::AppState;
    let state = AppState::current()?;
    let product = crate::catalog::db::product_on_sale(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let one_variant = |card: &ProductCard| card.only_sku.is_some();
    let Some(this) = crate::catalog::db::product_cards(&state.db, &[product])
        .await?
        .into_iter()
        .find(|card| one_variant(card) && card.stock > 0)
    else {
        return Ok(None);
    };
    let ids = db::neighbours(&state.db, product, Neighbours::Bought).await?;
    let other = worth_showing(&state, &ids)
        .await?
        .into_iter()
        .find(one_variant);
    Ok(other.map(|other| Together { this, other }))
}

/// What this visitor looked at last, latest first, but for the product at `except` (the page
/// they are on).
#[server(endpoint = "recently_viewed")]
pub async fn recently_viewed(except: Option<String>) -> Result<Picks, AppError> {
    use crate::platform::{auth::current_session, state::AppState};
    let state = AppState::current()?;
    let visitor = crate::events::current_visitor();
    let mut ids = super::db::recently_viewed(
        &state.db,
        visitor.as_ref().map(|v| v.id.as_str()),
        current_session().map(|s| s.user_id),
    )
    .await?;
    if let Some(slug) = except
        && let Some(here) = crate::catalog::db::product_on_sale(&state.db, &slug).await?
    {
        ids.retain(|&id| id != here);
    }
    let mut products = crate::catalog::db::product_cards(&state.db, &ids).await?;
    products.truncate(PICKS);
    Ok(Picks {
        heading: "Recently viewed".into(),
        products,
    })
}

/// For the home page: the nearest neighbours of what this visitor looked at lately (the latest
/// weighing most), else products of the categories a signed-in shopper has been browsing, else
/// what shoppers looked at most this week. Empty when none of these exists.
#[server(endpoint = "recommended_for_you")]
pub async fn recommended_for_you() -> Result<Picks, AppError> {
    use super::{db, engine::blend};
    use crate::platform::{auth::current_session, state::AppState};
    let state = AppState::current()?;
    let visitor = crate::events::current_visitor();
    let user = current_session().map(|s| s.user_id);
    let recent =
        db::recently_viewed(&state.db, visitor.as_ref().map(|v| v.id.as_str()), user).await?;
    let mut ids = Vec::new();
    if !recent.is_empty() {
        let neighbours = db::neighbours_of_all(&state.db, &recent).await?;
        let history: Vec<(i64, f32)> = recent
            .iter()
            .zip(1..)
            .map(|(&id, n)| (id, 1.0 / n as f32))
            .collect();
        let seen = recent.iter().copied().collect();
        ids = blend(&history, &neighbours, &seen, 2 * PICKS);
    }
    if let (true, Some(user)) = (ids.is_empty(), user) {
        ids = db::from_browsing(&state.db, user).await?;
    }
    if !ids.is_empty() {
        return Ok(Picks {
            heading: "Inspired by your browsing".into(),
            products: worth_showing(&state, &ids).await?,
        });
    }
    let ids = db::popular(&state.db).await?;
    Ok(Picks {
        heading: "Popular this week".into(),
        products: worth_showing(&state, &ids).await?,
    })
}
