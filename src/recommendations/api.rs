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
    use crate::{catalog::db::product_cards, platform::state::AppState};
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
    let mut products = product_cards(&state.db, &ids).await?;
    products.truncate(PICKS);
    Ok(Picks {
        heading: if from_behaviour {
            "Customers who viewed this also viewed".into()
        } else {
            "More like this".into()
        },
        products,
    })
}

/// For the home page: picks from the categories the signed-in shopper has been browsing, or,
/// without that history, what shoppers looked at most this week. Empty when neither exists.
#[server(endpoint = "recommended_for_you")]
pub async fn recommended_for_you() -> Result<Picks, AppError> {
    use crate::{
        catalog::db::product_cards,
        platform::{auth::current_session, state::AppState},
    };
    let state = AppState::current()?;
    if let Some(session) = current_session() {
        let ids = super::db::from_browsing(&state.db, session.user_id).await?;
        if !ids.is_empty() {
            let mut products = product_cards(&state.db, &ids).await?;
            products.truncate(PICKS);
            return Ok(Picks {
                heading: "Inspired by your browsing".into(),
                products,
            });
        }
    }
    let ids = super::db::popular(&state.db).await?;
    let mut products = product_cards(&state.db, &ids).await?;
    products.truncate(PICKS);
    Ok(Picks {
        heading: "Popular this week".into(),
        products,
    })
}
