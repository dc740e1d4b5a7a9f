//! Serving the rows: each is a few indexed lookups in what the rebuild stored (neighbours and
//! this week's popularity) and in the shopper's own recent views, never a pass over everyone's
//! behaviour. The server functions in `api` and the benchmark both call these.

use super::{
    db::{self, Neighbours},
    engine::blend,
    model::{PICKS, Picks, Row, Together},
};
use crate::{
    catalog::{db::product_cards, model::ProductCard},
    platform::db::Db,
};
use std::collections::HashSet;

/// Who is asking: their browser, their account, and the products in their cart (never
/// suggested).
#[derive(Clone, Debug, Default)]
pub struct Shopper {
    pub visitor: Option<String>,
    pub user: Option<i64>,
    pub in_cart: Vec<i64>,
}

/// Under the product at `slug`: its nearest neighbours in behaviour, topped up with what is
/// popular in its category, then its category's best rated. `None` when no such product is on
/// sale.
pub async fn also_viewed(
    db: &Db,
    slug: &str,
    shopper: &Shopper,
) -> Result<Option<Picks>, sqlx::Error> {
    let Some((product, category, category_name)) = db::product_and_category(db, slug).await? else {
        return Ok(None);
    };
    let mut ids = db::neighbours(db, product, Neighbours::Viewed).await?;
    let from_behaviour = !ids.is_empty();
    let wanted = PICKS + shopper.in_cart.len();
    if ids.len() < wanted {
        top_up(&mut ids, db::popular_in(db, category).await?, product);
    }
    if ids.len() < wanted {
        top_up(&mut ids, db::same_category(db, category).await?, product);
    }
    let products = worth_showing(db, &ids, shopper).await?;
    Ok(Some(if from_behaviour {
        Picks::new(Row::AlsoViewed, products)
    } else {
        Picks {
            heading: format!("Popular in {category_name}"),
            ..Picks::new(Row::PopularInCategory, products)
        }
    }))
}

/// Adds the products of `more` not yet in `ids`, but never `product` itself.
fn top_up(ids: &mut Vec<i64>, more: Vec<i64>, product: i64) {
    for id in more {
        if id != product && !ids.contains(&id) {
            ids.push(id);
        }
    }
}

/// For the product at `slug`: the product and what is most often bought with it, when both
/// have one variant, are in stock and not in the cart.
pub async fn bought_together(
    db: &Db,
    slug: &str,
    shopper: &Shopper,
) -> Result<Option<Together>, sqlx::Error> {
    let Some((product, _, _)) = db::product_and_category(db, slug).await? else {
        return Ok(None);
    };
    let one_variant = |card: &ProductCard| card.only_sku.is_some();
    let Some(this) = product_cards(db, &[product])
        .await?
        .into_iter()
        .find(|card| one_variant(card) && card.stock > 0)
    else {
        return Ok(None);
    };
    let ids = db::neighbours(db, product, Neighbours::Bought).await?;
    let other = worth_showing(db, &ids, shopper)
        .await?
        .into_iter()
        .find(one_variant);
    Ok(other.map(|other| Together { this, other }))
}

/// What the shopper looked at last, latest first, but for `except` (the product they are on)
/// and what is no longer worth showing.
pub async fn recently_viewed(
    db: &Db,
    shopper: &Shopper,
    except: Option<&str>,
) -> Result<Picks, sqlx::Error> {
    let mut ids = db::recently_viewed(db, shopper.visitor.as_deref(), shopper.user).await?;
    if let Some(slug) = except
        && let Some((here, _, _)) = db::product_and_category(db, slug).await?
    {
        ids.retain(|&id| id != here);
    }
    let products = worth_showing(db, &ids, shopper).await?;
    Ok(Picks::new(Row::RecentlyViewed, products))
}

/// For the home page: the neighbours of what the shopper looked at lately (the latest weighing
/// most), else products of the categories a signed-in shopper has been browsing, else what is
/// popular this week.
pub async fn for_you(db: &Db, shopper: &Shopper) -> Result<Picks, sqlx::Error> {
    let recent = db::recently_viewed(db, shopper.visitor.as_deref(), shopper.user).await?;
    let mut ids = nearest_to(db, &recent, Neighbours::Viewed, &recent).await?;
    if let (true, Some(user)) = (ids.is_empty(), shopper.user) {
        ids = db::from_browsing(db, user).await?;
    }
    if !ids.is_empty() {
        let products = worth_showing(db, &ids, shopper).await?;
        return Ok(Picks::new(Row::InspiredByBrowsing, products));
    }
    let ids = db::popular(db).await?;
    Ok(Picks::new(
        Row::PopularThisWeek,
        worth_showing(db, &ids, shopper).await?,
    ))
}

/// For the cart page: what shoppers bought with the cart's products, then what they viewed
/// with them.
pub async fn with_your_cart(db: &Db, shopper: &Shopper) -> Result<Picks, sqlx::Error> {
    let cart = &shopper.in_cart;
    let mut ids = nearest_to(db, cart, Neighbours::Bought, cart).await?;
    if ids.len() < PICKS {
        let viewed = nearest_to(db, cart, Neighbours::Viewed, cart).await?;
        top_up(&mut ids, viewed, 0);
    }
    Ok(Picks::new(
        Row::WithYourCart,
        worth_showing(db, &ids, shopper).await?,
    ))
}

/// The products whose `kind` neighbours `history` (latest or first most important) points at
/// most, leaving out `seen`.
async fn nearest_to(
    db: &Db,
    history: &[i64],
    kind: Neighbours,
    seen: &[i64],
) -> Result<Vec<i64>, sqlx::Error> {
    if history.is_empty() {
        return Ok(Vec::new());
    }
    let neighbours = db::neighbours_of_all(db, history, kind).await?;
    let weighted: Vec<(i64, f32)> = history
        .iter()
        .zip(1..)
        .map(|(&id, n)| (id, 1.0 / n as f32))
        .collect();
    let seen: HashSet<i64> = seen.iter().copied().collect();
    Ok(blend(&weighted, &neighbours, &seen, 2 * PICKS))
}

/// The products of `ids` worth suggesting, in order: on sale, in stock, not in the cart; at most
/// `PICKS`.
async fn worth_showing(
    db: &Db,
    ids: &[i64],
    shopper: &Shopper,
) -> Result<Vec<ProductCard>, sqlx::Error> {
    let ids: Vec<i64> = ids
        .iter()
        .filter(|id| !shopper.in_cart.contains(id))
        .copied()
        .collect();
    let mut products = product_cards(db, &ids).await?;
    products.retain(|product| product.stock > 0);
    products.truncate(PICKS);
    Ok(products)
}

#[cfg(test)]
mod tests {
    use super::top_up;

    #[test]
    fn topping_up_keeps_the_order_and_skips_repeats_and_the_product_itself() {
        let mut ids = vec![3, 1];
        top_up(&mut ids, vec![1, 7, 9, 3, 5], 9);
        assert_eq!(ids, [3, 1, 7, 5]);
    }
}
