//! Recommendation queries: the behaviour and orders the engine learns from, the neighbour
//! table it fills and pages read, and the category and popularity fallbacks. Each looks at a
//! bounded window of recent behaviour, so its cost does not grow with history.

use super::{
    engine::{BOUGHT, CARTED, Interaction, VIEWED},
    model::{Build, PICKS},
};
use crate::{
    catalog::db::ON_SALE,
    checkout::model::SOLD_STATUSES,
    dates::DAY_MS,
    events::EventKind,
    platform::db::{Db, now_ms, values_list},
};
use std::collections::HashMap;

/// Behaviour older than this no longer shapes recommendations.
const WINDOW_MS: i64 = 90 * DAY_MS;
/// Candidates fetched, so that enough remain after inactive products are dropped.
const CANDIDATES: i64 = 2 * PICKS as i64;

/// What shows a shopper's interest in a product: viewing it or putting it in the cart.
const INTEREST: [EventKind; 2] = [EventKind::ProductView, EventKind::AddToCart];

/// The product on sale at `slug`, its category and the category's name.
pub async fn product_and_category(
    db: &Db,
    slug: &str,
) -> Result<Option<(i64, i64, String)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT p.id, p.category_id, c.name FROM products p \
         JOIN categories c ON c.id = p.category_id WHERE p.slug = $1 AND {ON_SALE}"
    ))
    .bind(slug)
    .fetch_optional(db.pool())
    .await
}

/// The best-rated, then newest, products of `category`.
pub async fn same_category(db: &Db, category: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT p.id FROM products p WHERE p.category_id = $1 AND {ON_SALE} \
         ORDER BY p.rating_total DESC, p.created_at DESC, p.id LIMIT $2"
    ))
    .bind(category)
    .bind(CANDIDATES)
    .fetch_all(db.pool())
    .await
}

/// The products of `category` shoppers did most with this week, as of the last rebuild.
pub async fn popular_in(db: &Db, category: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT w.product_id FROM product_popularity w \
         JOIN products p ON p.id = w.product_id AND p.category_id = w.category_id \
         WHERE w.category_id = $1 AND {ON_SALE} \
         ORDER BY w.score DESC, w.product_id LIMIT $2"
    ))
    .bind(category)
    .bind(CANDIDATES)
    .fetch_all(db.pool())
    .await
}

/// Products of the categories `user` viewed or carted lately, then of their sibling
/// categories, best-rated first, leaving out what they have already seen.
pub async fn from_browsing(db: &Db, user: i64) -> Result<Vec<i64>, sqlx::Error> {
    let interest = EventKind::sql_list(&INTEREST);
    sqlx::query_scalar(&format!(
        "WITH recent AS ( \
             SELECT product_id FROM events \
             WHERE user_id = $1 AND created_at >= $2 AND kind IN {interest} \
             ORDER BY created_at DESC LIMIT 50), \
         browsed AS ( \
             SELECT DISTINCT v.category_id AS id FROM products v JOIN recent ON recent.product_id = v.id), \
         near AS ( \
             SELECT id FROM browsed \
             UNION \
             SELECT c.id FROM categories c JOIN categories b ON b.parent_id = c.parent_id \
             WHERE b.id IN (SELECT id FROM browsed)) \
         SELECT p.id FROM products p \
         WHERE {ON_SALE} AND p.category_id IN (SELECT id FROM near) \
           AND p.id NOT IN ( \
                 SELECT product_id FROM events \
                 WHERE user_id = $1 AND created_at >= $2 AND product_id IS NOT NULL) \
         ORDER BY CASE WHEN p.category_id IN (SELECT id FROM browsed) THEN 0 ELSE 1 END, \
                  p.rating_total DESC, p.created_at DESC, p.id \
         LIMIT $3"
    ))
    .bind(user)
    .bind(now_ms() - WINDOW_MS)
    .bind(CANDIDATES)
    .fetch_all(db.pool())
    .await
}

/// The products shoppers did most with this week, as of the last rebuild.
pub async fn popular(db: &Db) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT w.product_id FROM product_popularity w JOIN products p ON p.id = w.product_id \
         WHERE {ON_SALE} ORDER BY w.score DESC, w.product_id LIMIT $1"
    ))
    .bind(CANDIDATES)
    .fetch_all(db.pool())
    .await
}

/// Which neighbours: of the same shoppers' behaviour, or of the same orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Neighbours {
    Viewed,
    Bought,
}

impl Neighbours {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewed => "viewed",
            Self::Bought => "bought",
        }
    }
}

/// Who (an account, or a visitor), which product, what kind, when.
type EventRow = (Option<i64>, Option<String>, i64, String, i64);

/// Views and cart adds of the last `WINDOW_MS` by accounts and by visitors who never signed
/// in, and what accounts' paid orders held, as the engine reads them.
pub async fn interactions(db: &Db, now: i64) -> Result<Vec<Interaction>, sqlx::Error> {
    let (view, cart) = (EventKind::ProductView.sql(), EventKind::AddToCart.sql());
    let rows: Vec<EventRow> = sqlx::query_as(&format!(
        "SELECT user_id, visitor, product_id, kind, created_at FROM events \
         WHERE kind IN ({view}, {cart}) AND product_id IS NOT NULL AND created_at >= $1 \
           AND (user_id IS NOT NULL OR visitor IS NOT NULL) \
         UNION ALL \
         SELECT o.user_id, NULL, l.product_id, 'purchase', o.created_at \
         FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE o.status IN {SOLD_STATUSES} AND o.user_id IS NOT NULL \
           AND l.product_id IS NOT NULL AND o.created_at >= $1"
    ))
    .bind(now - WINDOW_MS)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(user, visitor, item, kind, at)| {
            Some(Interaction {
                actor: user.or_else(|| visitor_actor(visitor.as_deref()?))?,
                item,
                weight: match kind.as_str() {
                    "purchase" => BOUGHT,
                    "add_to_cart" => CARTED,
                    _ => VIEWED,
                },
                at,
            })
        })
        .collect())
}

/// A visitor as the engine counts shoppers: a negative number (accounts are positive), from
/// both halves of its 128-bit id.
fn visitor_actor(visitor: &str) -> Option<i64> {
    let half = |range| u64::from_str_radix(visitor.get(range)?, 16).ok();
    let mixed = half(0..16)? ^ half(16..32)?;
    Some(-((mixed & i64::MAX as u64) as i64) - 1)
}

/// The products of each paid order of the last `WINDOW_MS`, an order standing for a shopper.
pub async fn baskets(db: &Db, now: i64) -> Result<Vec<Interaction>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT l.order_id, l.product_id, o.created_at \
         FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE o.status IN {SOLD_STATUSES} AND l.product_id IS NOT NULL AND o.created_at >= $1"
    ))
    .bind(now - WINDOW_MS)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(actor, item, at)| Interaction {
            actor,
            item,
            weight: BOUGHT,
            at,
        })
        .collect())
}

/// One row of `product_neighbours`.
pub struct NeighbourRow {
    pub product: i64,
    pub kind: Neighbours,
    pub rank: i64,
    pub neighbour: i64,
    /// Similarity × 1,000,000.
    pub score: i64,
}

/// Rows per INSERT (five parameters each).
const ROWS_PER_INSERT: usize = 500;

/// Replaces every neighbour row with `rows` and every product's popularity with `popularity`
/// (product, score) and records `build`, in one transaction: pages read the old rows or the new
/// ones, never a mixture.
pub async fn replace(
    db: &Db,
    rows: &[NeighbourRow],
    popularity: &[(i64, i64)],
    build: Build,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    for table in ["product_neighbours", "product_popularity"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO product_neighbours (product_id, kind, rank, neighbour_id, score) VALUES {}",
            values_list(chunk.len(), "(?, ?, ?, ?, ?)")
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(row.product)
                .bind(row.kind.as_str())
                .bind(row.rank)
                .bind(row.neighbour)
                .bind(row.score);
        }
        query.execute(&mut *tx).await?;
    }
    // The category is copied from the product as it is now; reading checks it still holds.
    for chunk in popularity.chunks(ROWS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO product_popularity (product_id, category_id, score) \
             SELECT p.id, p.category_id, w.column2 FROM products p \
             JOIN (VALUES {}) AS w ON w.column1 = p.id",
            values_list(chunk.len(), "(?, ?)")
        );
        let mut query = sqlx::query(&sql);
        for (product, score) in chunk {
            query = query.bind(product).bind(score);
        }
        query.execute(&mut *tx).await?;
    }
    sqlx::query(
        "INSERT INTO recommendation_builds (built_at, interactions, products, took_ms) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(build.built_at)
    .bind(build.interactions)
    .bind(build.products)
    .bind(build.took_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// `product`'s nearest `kind` neighbours that are on sale, nearest first.
pub async fn neighbours(db: &Db, product: i64, kind: Neighbours) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT n.neighbour_id FROM product_neighbours n JOIN products p ON p.id = n.neighbour_id \
         WHERE n.product_id = $1 AND n.kind = $2 AND {ON_SALE} \
         ORDER BY n.rank LIMIT $3"
    ))
    .bind(product)
    .bind(kind.as_str())
    .bind(CANDIDATES)
    .fetch_all(db.pool())
    .await
}

/// The nearest `kind` neighbours of each of `products` (the first `CANDIDATES` of each), with
/// their similarity.
pub async fn neighbours_of_all(
    db: &Db,
    products: &[i64],
    kind: Neighbours,
) -> Result<HashMap<i64, Vec<(i64, f32)>>, sqlx::Error> {
    let sql = format!(
        "SELECT product_id, neighbour_id, score FROM product_neighbours \
         WHERE product_id IN ({}) AND kind = '{}' AND rank <= {CANDIDATES} \
         ORDER BY product_id, rank",
        values_list(products.len(), "?"),
        kind.as_str()
    );
    let mut query = sqlx::query_as::<_, (i64, i64, i64)>(&sql);
    for product in products {
        query = query.bind(*product);
    }
    let mut all: HashMap<i64, Vec<(i64, f32)>> = HashMap::new();
    for (product, neighbour, score) in query.fetch_all(db.pool()).await? {
        all.entry(product)
            .or_default()
            .push((neighbour, score as f32 / 1e6));
    }
    Ok(all)
}

/// The last rebuild, if any.
pub async fn last_build(db: &Db) -> Result<Option<Build>, sqlx::Error> {
    let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT built_at, interactions, products, took_ms FROM recommendation_builds \
         ORDER BY built_at DESC, id DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    Ok(
        row.map(|(built_at, interactions, products, took_ms)| Build {
            built_at,
            interactions,
            products,
            took_ms,
        }),
    )
}

/// The products the `visitor` (or the signed-in `user`) looked at last, latest first. Two
/// indexed reads, one per column, rather than one `OR` that would read every event.
pub async fn recently_viewed(
    db: &Db,
    visitor: Option<&str>,
    user: Option<i64>,
) -> Result<Vec<i64>, sqlx::Error> {
    let view = EventKind::ProductView.sql();
    sqlx::query_scalar(&format!(
        "SELECT product_id FROM ( \
             SELECT product_id, created_at FROM events \
             WHERE visitor = $2 AND created_at >= $1 AND kind = {view} AND product_id IS NOT NULL \
             UNION ALL \
             SELECT product_id, created_at FROM events \
             WHERE user_id = $3 AND created_at >= $1 AND kind = {view} AND product_id IS NOT NULL \
         ) AS viewed \
         GROUP BY product_id ORDER BY MAX(created_at) DESC, product_id LIMIT $4"
    ))
    .bind(now_ms() - WINDOW_MS)
    .bind(visitor)
    .bind(user)
    .bind(CANDIDATES)
    .fetch_all(db.pool())
    .await
}

#[cfg(test)]
mod tests {
    use super::visitor_actor;

    #[test]
    fn visitors_are_negative_and_told_apart_by_either_half_of_their_id() {
        let a = visitor_actor("000000000000002a0000000000000001").unwrap();
        let b = visitor_actor("000000000000002a0000000000000002").unwrap();
        let c = visitor_actor("100000000000002a0000000000000001").unwrap();
        assert!(a < 0 && b < 0 && c < 0);
        assert!(a != b && a != c && b != c);
        assert_eq!(visitor_actor("short"), None);
        assert_eq!(visitor_actor(&"z".repeat(32)), None);
    }
}
