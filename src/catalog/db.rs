//! Catalog queries. Portable SQL for SQLite and PostgreSQL through `sqlx::Any`.

use super::model::{CategoryLink, Money, ProductCard};
use crate::server::db::Db;

#[derive(sqlx::FromRow)]
struct CategoryRow {
    slug: String,
    name: String,
}

#[derive(sqlx::FromRow)]
struct ProductCardRow {
    slug: String,
    title: String,
    brand: String,
    price_minor: i64,
    stock: i64,
}

impl From<ProductCardRow> for ProductCard {
    fn from(row: ProductCardRow) -> Self {
        Self {
            slug: row.slug,
            title: row.title,
            brand: row.brand,
            // The column has a `price_minor >= 0` check, so a negative value cannot be stored.
            price: Money::from_minor(row.price_minor).unwrap_or_default(),
            stock: row.stock,
        }
    }
}

/// Top-level categories in their display order.
pub async fn departments(db: &Db) -> Result<Vec<CategoryLink>, sqlx::Error> {
    let rows: Vec<CategoryRow> = sqlx::query_as(
        "SELECT slug, name FROM categories WHERE parent_id IS NULL ORDER BY position, name",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CategoryLink {
            slug: r.slug,
            name: r.name,
        })
        .collect())
}

/// The newest active products. Prices and stock are aggregated only for the rows returned.
pub async fn newest_products(db: &Db, limit: i64) -> Result<Vec<ProductCard>, sqlx::Error> {
    let rows: Vec<ProductCardRow> = sqlx::query_as(
        "SELECT p.slug, p.title, b.name AS brand, \
             CAST((SELECT MIN(v.price_minor) FROM product_variants v WHERE v.product_id = p.id) AS BIGINT) AS price_minor, \
             CAST((SELECT COALESCE(SUM(v.stock), 0) FROM product_variants v WHERE v.product_id = p.id) AS BIGINT) AS stock \
         FROM products p JOIN brands b ON b.id = p.brand_id \
         WHERE p.status = 'active' AND EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id) \
         ORDER BY p.created_at DESC, p.id DESC \
         LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(ProductCard::from).collect())
}
