//! Review queries. Every change recounts the product's ratings in the same transaction, after
//! locking the product's row, so concurrent reviews never lose a count.

use super::model::{REVIEWS_PAGE_SIZE, RatingSummary, Review, ReviewInput, public_name};
use crate::{
    checkout::db::has_bought,
    platform::{
        audit::Entry,
        db::{Db, now_ms},
    },
    search::sync::record_change,
};

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: i64,
    name: String,
    rating: i64,
    title: String,
    body: String,
    verified: i64,
    created_at: i64,
}

impl From<ReviewRow> for Review {
    fn from(row: ReviewRow) -> Self {
        Self {
            id: row.id,
            author: public_name(&row.name),
            rating: row.rating,
            title: row.title,
            body: row.body,
            verified: row.verified == 1,
            created_at: row.created_at,
        }
    }
}

/// A deleted account's name reads as empty, which `public_name` shows as a former customer.
const REVIEW_COLUMNS: &str = "r.id, CASE WHEN u.deleted_at IS NULL THEN u.name ELSE '' END AS name, \
     r.rating, r.title, r.body, r.verified, r.created_at FROM reviews r JOIN users u ON u.id = r.user_id";

/// How many ratings of each number of stars `product` has.
pub async fn summary(db: &Db, product: i64) -> Result<RatingSummary, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT rating, COUNT(*) FROM reviews WHERE product_id = $1 GROUP BY rating",
    )
    .bind(product)
    .fetch_all(db.pool())
    .await?;
    let mut by_stars = [0; 5];
    for (rating, count) in rows {
        if let Some(slot) = usize::try_from(rating - 1)
            .ok()
            .and_then(|i| by_stars.get_mut(i))
        {
            *slot = count;
        }
    }
    Ok(RatingSummary::from_counts(by_stars))
}

/// One page (from 1) of `product`'s reviews, newest first.
pub async fn page(db: &Db, product: i64, page: i64) -> Result<Vec<Review>, sqlx::Error> {
    let rows: Vec<ReviewRow> = sqlx::query_as(&format!(
        "SELECT {REVIEW_COLUMNS} WHERE r.product_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2 OFFSET $3"
    ))
    .bind(product)
    .bind(REVIEWS_PAGE_SIZE)
    .bind((page - 1) * REVIEWS_PAGE_SIZE)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Review::from).collect())
}

/// `user`'s review of `product`.
pub async fn review_by(db: &Db, product: i64, user: i64) -> Result<Option<Review>, sqlx::Error> {
    let row: Option<ReviewRow> = sqlx::query_as(&format!(
        "SELECT {REVIEW_COLUMNS} WHERE r.product_id = $1 AND r.user_id = $2"
    ))
    .bind(product)
    .bind(user)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Review::from))
}

/// Waits for any other transaction changing `product`'s reviews (PostgreSQL locks the row; on
/// SQLite the write transaction already excludes every other writer). False when there is no
/// such product.
async fn lock_product(tx: &mut sqlx::AnyConnection, product: i64) -> Result<bool, sqlx::Error> {
    let locked = sqlx::query("UPDATE products SET rating_count = rating_count WHERE id = $1")
        .bind(product)
        .execute(&mut *tx)
        .await?;
    Ok(locked.rows_affected() == 1)
}

/// Sets the product's rating aggregates from its reviews, and has search pick them up.
async fn recount(tx: &mut sqlx::AnyConnection, product: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE products SET \
           rating_count = (SELECT COUNT(*) FROM reviews WHERE product_id = $1), \
           rating_total = (SELECT COALESCE(CAST(SUM(rating) AS BIGINT), 0) FROM reviews WHERE product_id = $1) \
         WHERE id = $1",
    )
    .bind(product)
    .execute(&mut *tx)
    .await?;
    record_change(tx, Some(product)).await
}

/// Writes `user`'s review of `product`, replacing their earlier one. Marked verified when they
/// have bought the product. False when the product is gone.
pub async fn save(
    db: &Db,
    product: i64,
    user: i64,
    review: &ReviewInput,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    if !lock_product(&mut tx, product).await? {
        return Ok(false);
    }
    let bought = i64::from(has_bought(&mut tx, user, product).await?);
    let now = now_ms();
    sqlx::query(
        "INSERT INTO reviews (product_id, user_id, rating, title, body, verified, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (product_id, user_id) DO UPDATE SET rating = excluded.rating, title = excluded.title, \
           body = excluded.body, verified = excluded.verified, updated_at = excluded.updated_at",
    )
    .bind(product)
    .bind(user)
    .bind(review.rating)
    .bind(&review.title)
    .bind(&review.body)
    .bind(bought.min(1))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    recount(&mut tx, product).await?;
    tx.commit().await?;
    Ok(true)
}

/// A review written elsewhere: by the demo shop's customers.
pub struct ImportedReview {
    pub product: i64,
    pub user: i64,
    pub rating: i64,
    pub title: String,
    pub body: String,
    pub at: i64,
}

/// Writes `reviews` in one transaction, each verified when its author bought the product, none
/// replacing a review the author had written already, and recounts their products' ratings.
/// Returns how many were written.
pub async fn import(db: &Db, reviews: &[ImportedReview]) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let mut written = 0;
    for review in reviews {
        let bought = has_bought(&mut tx, review.user, review.product).await?;
        written += sqlx::query(
            "INSERT INTO reviews (product_id, user_id, rating, title, body, verified, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (product_id, user_id) DO NOTHING",
        )
        .bind(review.product)
        .bind(review.user)
        .bind(review.rating)
        .bind(&review.title)
        .bind(&review.body)
        .bind(i64::from(bought))
        .bind(review.at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    let products: std::collections::BTreeSet<i64> = reviews.iter().map(|r| r.product).collect();
    for product in products {
        recount(&mut tx, product).await?;
    }
    tx.commit().await?;
    Ok(written)
}

/// Deletes the review `id` (any author's: for admins), logging the entry `entry` makes of its
/// product. Returns the product, or `None` when there is no such review.
pub async fn remove(
    db: &Db,
    id: i64,
    entry: impl FnOnce(i64) -> Entry,
) -> Result<Option<i64>, sqlx::Error> {
    let product: Option<i64> = sqlx::query_scalar("SELECT product_id FROM reviews WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    match product {
        Some(product) => Ok(
            delete_where(db, product, "id = $2", id, Some(entry(product)))
                .await?
                .then_some(product),
        ),
        None => Ok(None),
    }
}

/// Deletes `user`'s review of `product`. False when they had none.
pub async fn remove_own(db: &Db, product: i64, user: i64) -> Result<bool, sqlx::Error> {
    delete_where(db, product, "user_id = $2", user, None).await
}

async fn delete_where(
    db: &Db,
    product: i64,
    filter: &str,
    value: i64,
    entry: Option<Entry>,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    lock_product(&mut tx, product).await?;
    let deleted = sqlx::query(&format!(
        "DELETE FROM reviews WHERE product_id = $1 AND {filter}"
    ))
    .bind(product)
    .bind(value)
    .execute(&mut *tx)
    .await?;
    if deleted.rows_affected() == 0 {
        return Ok(false);
    }
    recount(&mut tx, product).await?;
    if let Some(entry) = entry {
        entry.write(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// A review as its author's data export lists it.
#[derive(Debug, serde::Serialize)]
pub struct OwnReview {
    pub product: String,
    pub rating: i64,
    pub title: String,
    pub body: String,
    pub created_at: i64,
}

/// Every review `user` wrote, oldest first.
pub async fn by_user(db: &Db, user: i64) -> Result<Vec<OwnReview>, sqlx::Error> {
    let rows: Vec<(String, i64, String, String, i64)> = sqlx::query_as(
        "SELECT p.title, r.rating, r.title, r.body, r.created_at FROM reviews r \
         JOIN products p ON p.id = r.product_id WHERE r.user_id = $1 ORDER BY r.id",
    )
    .bind(user)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(product, rating, title, body, created_at)| OwnReview {
            product,
            rating,
            title,
            body,
            created_at,
        })
        .collect())
}
