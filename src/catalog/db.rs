//! Catalog queries. Portable SQL for SQLite and PostgreSQL through `sqlx::Any`.

use super::model::{
    CategoryLink, CategoryOption, ProductCard, ProductDetail, VariantView, average_tenths,
    parse_options,
};
use crate::platform::{
    db::{Db, values_list},
    money::Money,
};

#[derive(sqlx::FromRow)]
struct CategoryRow {
    slug: String,
    name: String,
}

/// Selects `price_minor` (the lowest variant price, NULL without variants) and `stock` (units
/// across variants) for the product aliased `p`. Aggregated per returned row only.
pub const PRICE_AND_STOCK: &str = "\
    CAST((SELECT MIN(v.price_minor) FROM product_variants v WHERE v.product_id = p.id) AS BIGINT) AS price_minor, \
    CAST((SELECT COALESCE(SUM(v.stock), 0) FROM product_variants v WHERE v.product_id = p.id) AS BIGINT) AS stock";

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

/// The condition a product must meet for shoppers to see and buy it, on `products p`.
pub const ON_SALE: &str = "p.status = 'active'";

/// The variants on sale (`v`, of product `p`) with at most `$1` in stock, as a `FROM … WHERE`.
pub const LOW_STOCK: &str = "FROM product_variants v JOIN products p ON p.id = v.product_id \
     WHERE p.status = 'active' AND v.stock <= $1";

/// The id of the product on sale at `slug`.
pub async fn product_on_sale(db: &Db, slug: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT p.id FROM products p WHERE p.slug = $1 AND {ON_SALE}"
    ))
    .bind(slug)
    .fetch_optional(db.pool())
    .await
}

/// The newest active products that can be bought.
pub async fn newest_products(db: &Db, limit: i64) -> Result<Vec<ProductCard>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT p.id FROM products p \
         WHERE {ON_SALE} AND EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id) \
         ORDER BY p.created_at DESC, p.id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    product_cards(db, &ids).await
}

#[derive(sqlx::FromRow)]
struct ProductRow {
    id: i64,
    slug: String,
    title: String,
    brand: String,
    description: String,
    category_id: i64,
    rating_count: i64,
    rating_total: i64,
    image: String,
}

#[derive(sqlx::FromRow)]
struct VariantRow {
    sku: String,
    options: String,
    price_minor: i64,
    compare_at_minor: Option<i64>,
    stock: i64,
}

/// An active product with its id, for the product page. `json_ld` is left empty for the caller.
pub async fn product_detail(
    db: &Db,
    slug: &str,
) -> Result<Option<(i64, ProductDetail)>, sqlx::Error> {
    let product: Option<ProductRow> = sqlx::query_as(&format!(
        "SELECT p.id, p.slug, p.title, b.name AS brand, p.description, p.category_id, p.rating_count, p.rating_total, p.image \
         FROM products p JOIN brands b ON b.id = p.brand_id WHERE p.slug = $1 AND {ON_SALE}"
    ))
    .bind(slug)
    .fetch_optional(db.pool())
    .await?;
    let Some(product) = product else {
        return Ok(None);
    };
    let trail: Vec<CategoryRow> = sqlx::query_as(
        "WITH RECURSIVE trail (id, parent_id, slug, name, depth) AS ( \
             SELECT id, parent_id, slug, name, 0 FROM categories WHERE id = $1 \
             UNION ALL \
             SELECT c.id, c.parent_id, c.slug, c.name, t.depth + 1 FROM categories c JOIN trail t ON c.id = t.parent_id \
         ) SELECT slug, name FROM trail ORDER BY depth DESC",
    )
    .bind(product.category_id)
    .fetch_all(db.pool())
    .await?;
    let variants: Vec<VariantRow> = sqlx::query_as(
        "SELECT sku, options, price_minor, compare_at_minor, stock FROM product_variants \
         WHERE product_id = $1 ORDER BY position, id",
    )
    .bind(product.id)
    .fetch_all(db.pool())
    .await?;
    if variants.is_empty() {
        return Ok(None);
    }
    let attributes: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, value FROM product_attributes WHERE product_id = $1 ORDER BY position, name",
    )
    .bind(product.id)
    .fetch_all(db.pool())
    .await?;
    let detail = ProductDetail {
        slug: product.slug,
        title: product.title,
        brand: product.brand,
        description: product.description,
        trail: trail
            .into_iter()
            .map(|r| CategoryLink {
                slug: r.slug,
                name: r.name,
            })
            .collect(),
        variants: variants
            .into_iter()
            .map(|v| VariantView {
                sku: v.sku,
                options: parse_options(&v.options),
                // Check constraints keep stored prices non-negative.
                price: Money::from_minor(v.price_minor).unwrap_or_default(),
                compare_at: v.compare_at_minor.and_then(|m| Money::from_minor(m).ok()),
                stock: v.stock,
            })
            .collect(),
        attributes,
        rating_count: product.rating_count,
        rating_tenths: average_tenths(product.rating_total, product.rating_count),
        json_ld: String::new(),
        image: product.image,
    };
    Ok(Some((product.id, detail)))
}

#[derive(sqlx::FromRow)]
struct CardRow {
    id: i64,
    slug: String,
    title: String,
    brand: String,
    price_minor: Option<i64>,
    stock: i64,
    only_sku: Option<String>,
    image: String,
}

/// Listing cards for `ids`, in the order given. Unknown or inactive ids are skipped.
pub async fn product_cards(db: &Db, ids: &[i64]) -> Result<Vec<ProductCard>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT p.id, p.slug, p.title, b.name AS brand, p.image, {PRICE_AND_STOCK}, \
             (SELECT MIN(v.sku) FROM product_variants v WHERE v.product_id = p.id \
              HAVING COUNT(*) = 1) AS only_sku \
         FROM products p JOIN brands b ON b.id = p.brand_id \
         WHERE {ON_SALE} AND p.id IN ({})",
        values_list(ids.len(), "?")
    );
    let mut query = sqlx::query_as::<_, CardRow>(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    let mut rows: std::collections::HashMap<i64, ProductCard> = query
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .filter_map(|row| {
            let price = Money::from_minor(row.price_minor?).ok()?;
            Some((
                row.id,
                ProductCard {
                    slug: row.slug,
                    title: row.title,
                    brand: row.brand,
                    price,
                    stock: row.stock,
                    only_sku: row.only_sku,
                    image: row.image,
                },
            ))
        })
        .collect();
    Ok(ids.iter().filter_map(|id| rows.remove(id)).collect())
}

/// Every category, labelled with its path ("Clothing › Men › Shoes"), in path order.
pub async fn category_options(db: &Db) -> Result<Vec<CategoryOption>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "WITH RECURSIVE tree (id, slug, label) AS ( \
             SELECT id, slug, name FROM categories WHERE parent_id IS NULL \
             UNION ALL \
             SELECT c.id, c.slug, t.label || ' › ' || c.name FROM categories c JOIN tree t ON c.parent_id = t.id \
         ) SELECT slug, label FROM tree ORDER BY label",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(slug, label)| CategoryOption { slug, label })
        .collect())
}

/// The id of the category at `slug`.
pub async fn category_id(
    tx: &mut sqlx::AnyConnection,
    slug: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM categories WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *tx)
        .await
}

/// True when `other` is `category` itself or one of its descendants.
pub async fn is_within(
    tx: &mut sqlx::AnyConnection,
    other: i64,
    category: i64,
) -> Result<bool, sqlx::Error> {
    let inside: i64 = sqlx::query_scalar(
        "WITH RECURSIVE below (id) AS ( \
             SELECT id FROM categories WHERE id = $1 \
             UNION ALL \
             SELECT c.id FROM categories c JOIN below b ON c.parent_id = b.id \
         ) SELECT COUNT(*) FROM below WHERE id = $2",
    )
    .bind(category)
    .bind(other)
    .fetch_one(&mut *tx)
    .await?;
    Ok(inside > 0)
}

/// The slug of category `id`.
pub async fn category_slug(db: &Db, id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT slug FROM categories WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

#[cfg(test)]
mod tests {
    use super::ON_SALE;
    use crate::catalog::model::ProductStatus;

    #[test]
    fn on_sale_means_the_active_status() {
        assert_eq!(
            ON_SALE,
            format!("p.status = '{}'", ProductStatus::Active.as_str())
        );
    }
}

/// A part of the sitemap's product list: the products on sale whose ids fall in one block of
/// `block` ids, and when the latest of them changed.
#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductBlock {
    pub block: i64,
    pub updated_at: i64,
}

/// The blocks of `size` ids that hold a product on sale, in order: one pass over the table.
pub async fn product_blocks(db: &Db, size: i64) -> Result<Vec<ProductBlock>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT p.id / $1 AS block, MAX(p.updated_at) AS updated_at FROM products p \
         WHERE {ON_SALE} GROUP BY 1 ORDER BY 1"
    ))
    .bind(size)
    .fetch_all(db.pool())
    .await
}

/// Up to `limit` products on sale with ids after `after` and below `before`, by id: their
/// slugs and when they last changed.
pub async fn product_slugs_between(
    db: &Db,
    after: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<(i64, String, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT p.id, p.slug, p.updated_at FROM products p \
         WHERE p.id > $1 AND p.id < $2 AND {ON_SALE} ORDER BY p.id LIMIT $3"
    ))
    .bind(after)
    .bind(before)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Every category's slug.
pub async fn category_slugs(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT slug FROM categories ORDER BY id")
        .fetch_all(db.pool())
        .await
}

/// A category as the REST API gives it.
#[derive(serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct CategoryRecord {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The parent's slug; null for a top-level department.
    pub parent: Option<String>,
    /// Its place among its siblings.
    pub position: i64,
}

/// Up to `limit` categories with ids above `after`, in id order.
pub async fn category_records(
    db: &Db,
    after: i64,
    limit: i64,
) -> Result<Vec<CategoryRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.slug, c.name, p.slug AS parent, c.position FROM categories c \
         LEFT JOIN categories p ON p.id = c.parent_id WHERE c.id > $1 ORDER BY c.id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// A product as the REST API gives it (`integrations::rest`), whatever its status.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ProductRecord {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub brand: String,
    /// The category's slug.
    pub category: String,
    pub description: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub variants: Vec<VariantRecord>,
    /// The uploaded picture's file name; empty for the generated one (not in the API).
    #[serde(skip)]
    pub image: String,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    slug: String,
    title: String,
    brand: String,
    category: String,
    description: String,
    status: String,
    created_at: i64,
    updated_at: i64,
    image: String,
}

/// A variant as the REST API gives it; money in minor units.
#[derive(serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct VariantRecord {
    #[serde(skip)]
    product_id: i64,
    pub id: i64,
    pub sku: String,
    /// "Size=M; Colour=Red".
    pub options: String,
    pub price_minor: i64,
    pub compare_at_minor: Option<i64>,
    pub stock: i64,
}

#[cfg(test)]
impl VariantRecord {
    pub fn new(sku: &str, options: &str, price: i64, compare_at: Option<i64>, stock: i64) -> Self {
        Self {
            product_id: 0,
            id: 0,
            sku: sku.into(),
            options: options.into(),
            price_minor: price,
            compare_at_minor: compare_at,
            stock,
        }
    }
}

const RECORD: &str = "SELECT p.id, p.slug, p.title, b.name AS brand, c.slug AS category, \
     p.description, p.status, p.created_at, p.updated_at, p.image \
     FROM products p JOIN brands b ON b.id = p.brand_id JOIN categories c ON c.id = p.category_id";

/// Up to `limit` products with ids above `after`, in id order, with their variants.
pub async fn product_records(
    db: &Db,
    after: i64,
    limit: i64,
) -> Result<Vec<ProductRecord>, sqlx::Error> {
    let rows: Vec<RecordRow> =
        sqlx::query_as(&format!("{RECORD} WHERE p.id > $1 ORDER BY p.id LIMIT $2"))
            .bind(after)
            .bind(limit)
            .fetch_all(db.pool())
            .await?;
    with_variants(&mut *db.pool().acquire().await?, rows).await
}

/// Product `id` with its variants.
pub async fn product_record(db: &Db, id: i64) -> Result<Option<ProductRecord>, sqlx::Error> {
    product_record_in(&mut *db.pool().acquire().await?, id).await
}

/// `product_record` inside a transaction (to compare with what a write expects).
pub async fn product_record_in(
    conn: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<Option<ProductRecord>, sqlx::Error> {
    let rows: Vec<RecordRow> = sqlx::query_as(&format!("{RECORD} WHERE p.id = $1"))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(with_variants(conn, rows).await?.pop())
}

async fn with_variants(
    conn: &mut sqlx::AnyConnection,
    rows: Vec<RecordRow>,
) -> Result<Vec<ProductRecord>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT product_id, id, sku, options, price_minor, compare_at_minor, stock \
         FROM product_variants WHERE product_id IN ({}) ORDER BY position, id",
        values_list(rows.len(), "?")
    );
    let mut query = sqlx::query_as::<_, VariantRecord>(&sql);
    for row in &rows {
        query = query.bind(row.id);
    }
    let mut variants = query.fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|row| ProductRecord {
            variants: variants
                .extract_if(.., |v| v.product_id == row.id)
                .collect(),
            id: row.id,
            slug: row.slug,
            title: row.title,
            brand: row.brand,
            category: row.category,
            description: row.description,
            status: row.status,
            created_at: row.created_at,
            updated_at: row.updated_at,
            image: row.image,
        })
        .collect())
}
