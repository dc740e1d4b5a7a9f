//! Recommendation queries over the behaviour events and the orders. Each looks at a bounded
//! window (recent events, a capped number of shoppers) so its cost does not grow with history.

use super::api::PICKS;
use crate::{
    catalog::db::ON_SALE,
    checkout::model::SOLD_STATUSES,
    events::EventKind,
    platform::db::{Db, now_ms},
};

const DAY_MS: i64 = 86_400_000;
/// Behaviour older than this no longer shapes recommendations.
const WINDOW_MS: i64 = 90 * DAY_MS;
/// At most this many of a product's most recent shoppers are looked at (1,000 took 0.4–0.6 s
/// per request at 200,000 events; see BENCHMARKS.md).
const SHOPPERS: i64 = 200;
/// Candidates fetched, so that enough remain after inactive products are dropped.
const CANDIDATES: i64 = 2 * PICKS as i64;

/// What shows a shopper's interest in a product: viewing it or putting it in the cart.
const INTEREST: [EventKind; 2] = [EventKind::ProductView, EventKind::AddToCart];

/// Products scored by the shoppers they share with `product`: each shopper who viewed both
/// counts 1 (2 when they carted the other one), and each paid order holding both counts 3.
pub async fn bought_or_viewed_with(db: &Db, product: i64) -> Result<Vec<i64>, sqlx::Error> {
    let (cart, interest) = (EventKind::AddToCart.sql(), EventKind::sql_list(&INTEREST));
    let rows: Vec<(i64, i64)> = sqlx::query_as(&format!(
        "SELECT product_id, CAST(SUM(weight) AS BIGINT) AS score FROM ( \
             SELECT e.product_id, MAX(CASE e.kind WHEN {cart} THEN 2 ELSE 1 END) AS weight \
             FROM events e \
             WHERE e.user_id IN ( \
                     SELECT user_id FROM events \
                     WHERE product_id = $1 AND user_id IS NOT NULL AND created_at >= $2 \
                       AND kind IN {interest} \
                     GROUP BY user_id ORDER BY MAX(created_at) DESC LIMIT $3) \
               AND e.product_id <> $1 AND e.created_at >= $2 \
               AND e.kind IN {interest} \
             GROUP BY e.user_id, e.product_id \
             UNION ALL \
             SELECT DISTINCT l2.product_id, 3 AS weight \
             FROM order_lines l1 \
             JOIN orders o ON o.id = l1.order_id \
             JOIN order_lines l2 ON l2.order_id = l1.order_id \
             WHERE l1.product_id = $1 AND l2.product_id <> $1 AND o.created_at >= $2 \
               AND o.status IN {SOLD_STATUSES} \
         ) AS signals \
         WHERE product_id IS NOT NULL \
         GROUP BY product_id ORDER BY score DESC, product_id LIMIT $4"
    ))
    .bind(product)
    .bind(now_ms() - WINDOW_MS)
    .bind(SHOPPERS)
    .bind(CANDIDATES)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(id, _)| id).collect())
}

/// The best-rated, then newest, other products of `product`'s category.
pub async fn same_category(db: &Db, product: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT p.id FROM products p \
         WHERE p.category_id = (SELECT category_id FROM products WHERE id = $1) \
           AND p.id <> $1 AND {ON_SALE} \
         ORDER BY p.rating_total DESC, p.created_at DESC, p.id LIMIT $2"
    ))
    .bind(product)
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

/// The products viewed most in the last seven days.
pub async fn popular(db: &Db) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT product_id FROM events \
         WHERE kind = {} AND created_at >= $1 AND product_id IS NOT NULL \
         GROUP BY product_id ORDER BY COUNT(*) DESC, product_id LIMIT $2",
        EventKind::ProductView.sql()
    ))
    .bind(now_ms() - 7 * DAY_MS)
    .bind(CANDIDATES)
    .fetch_all(db.pool())
    .await
}
