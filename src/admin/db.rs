//! Admin queries: the dashboard's numbers, the product list, and the steps of saving products
//! and categories (`service` runs them in one transaction).

use super::{
    api::{AdminCategory, AdminProductRow, AdminProducts, LowStock, Overview, ProductFilter},
    model::{ProductForm, ProductInput, VariantForm},
};
use crate::{
    cart::db::{Deleted, note_deleted},
    catalog::{
        db::{LOW_STOCK, category_id},
        model::{ProductStatus, slugify},
    },
    platform::{
        audit::Entry,
        db::{Db, contains_pattern, now_ms, values_list},
        money::Money,
    },
    search::sync::record_change,
    ui::{Page, offset},
    webhooks::{self, EventKind},
};

/// Products on one page of the admin list.
pub const ADMIN_PAGE_SIZE: i64 = 50;

pub async fn overview(db: &Db) -> Result<Overview, sqlx::Error> {
    let (products, customers): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM products), (SELECT COUNT(*) FROM users WHERE role = 'customer')",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(Overview {
        products,
        customers,
    })
}

/// The lowest 50 variants of active products with `threshold` units or fewer, and how many
/// there are.
pub async fn low_stock(db: &Db, threshold: i64) -> Result<LowStock, sqlx::Error> {
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) {LOW_STOCK}"))
        .bind(threshold)
        .fetch_one(db.pool())
        .await?;
    let variants = sqlx::query_as(&format!(
        "SELECT p.id AS product_id, p.title, v.sku, v.stock {LOW_STOCK} \
         ORDER BY v.stock, p.title, v.sku LIMIT 50"
    ))
    .bind(threshold)
    .fetch_all(db.pool())
    .await?;
    Ok(LowStock {
        threshold,
        total,
        variants,
    })
}

#[derive(sqlx::FromRow)]
struct ListRow {
    id: i64,
    slug: String,
    title: String,
    brand: String,
    status: String,
    variants: i64,
    stock: i64,
    price_minor: Option<i64>,
}

/// One page of products, newest changes first, matching the filter's text (title or SKU).
pub async fn list_products(db: &Db, filter: &ProductFilter) -> Result<AdminProducts, sqlx::Error> {
    let text = filter.q.trim().to_lowercase();
    let pattern = contains_pattern(&text);
    let status = filter.status.as_deref().and_then(ProductStatus::parse);
    let conditions = "($1 = '' OR lower(p.title) LIKE $2 ESCAPE '\\' \
         OR EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.id AND lower(v.sku) LIKE $2 ESCAPE '\\')) \
         AND ($3 = '' OR p.status = $3)";
    let status_text = status.map_or("", ProductStatus::as_str);
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM products p WHERE {conditions}"
    ))
    .bind(&text)
    .bind(&pattern)
    .bind(status_text)
    .fetch_one(db.pool())
    .await?;
    let page = filter.page.max(1);
    let rows: Vec<ListRow> = sqlx::query_as(&format!(
        "SELECT p.id, p.slug, p.title, b.name AS brand, p.status, \
             CAST((SELECT COUNT(*) FROM product_variants v WHERE v.product_id = p.id) AS BIGINT) AS variants, \
             {} \
         FROM products p JOIN brands b ON b.id = p.brand_id WHERE {conditions} \
         ORDER BY p.updated_at DESC, p.id DESC LIMIT $4 OFFSET $5",
        crate::catalog::db::PRICE_AND_STOCK
    ))
    .bind(&text)
    .bind(&pattern)
    .bind(status_text)
    .bind(ADMIN_PAGE_SIZE)
    .bind(offset(page, ADMIN_PAGE_SIZE))
    .fetch_all(db.pool())
    .await?;
    let rows = rows
        .into_iter()
        .map(|r| AdminProductRow {
            id: r.id,
            slug: r.slug,
            title: r.title,
            brand: r.brand,
            status: r.status,
            variants: r.variants,
            stock: r.stock,
            price: r.price_minor.and_then(|m| Money::from_minor(m).ok()),
        })
        .collect();
    Ok(Page::new(rows, total, page, ADMIN_PAGE_SIZE))
}

#[derive(sqlx::FromRow)]
struct FormRow {
    title: String,
    slug: String,
    brand: String,
    category: String,
    description: String,
    status: String,
    image: String,
}

/// A product as its edit form shows it, and its uploaded picture's file name.
pub async fn product_form(db: &Db, id: i64) -> Result<Option<(ProductForm, String)>, sqlx::Error> {
    product_form_in(&mut *db.pool().acquire().await?, id).await
}

/// `product_form` inside a transaction.
pub async fn product_form_in(
    conn: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<Option<(ProductForm, String)>, sqlx::Error> {
    let product: Option<FormRow> = sqlx::query_as(
        "SELECT p.title, p.slug, b.name AS brand, c.slug AS category, p.description, p.status, p.image \
         FROM products p JOIN brands b ON b.id = p.brand_id JOIN categories c ON c.id = p.category_id \
         WHERE p.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = product else {
        return Ok(None);
    };
    let variants: Vec<(i64, String, String, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT id, sku, options, price_minor, compare_at_minor, stock FROM product_variants \
         WHERE product_id = $1 ORDER BY position, id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let amount = |minor: i64| {
        Money::from_minor(minor)
            .map(|m| m.amount())
            .unwrap_or_default()
    };
    let form = ProductForm {
        id: Some(id),
        title: row.title,
        slug: row.slug,
        brand: row.brand,
        category: row.category,
        description: row.description,
        status: row.status,
        variants: variants
            .into_iter()
            .map(|(id, sku, options, price, compare_at, stock)| VariantForm {
                id: Some(id),
                sku,
                options,
                price: amount(price),
                compare_at: compare_at.map(amount).unwrap_or_default(),
                stock: stock.to_string(),
                remove: None,
            })
            .collect(),
    };
    Ok(Some((form, row.image)))
}

/// What a product's save would clash with: its category's id (None when there is no such
/// category), whether another product has its slug, and which of its SKUs other products have.
pub struct Clashes {
    pub category: Option<i64>,
    pub slug_taken: bool,
    pub skus_taken: Vec<String>,
}

pub async fn clashes(
    tx: &mut sqlx::AnyConnection,
    input: &ProductInput,
) -> Result<Clashes, sqlx::Error> {
    let category = category_id(tx, &input.category).await?;
    let this = input.id.unwrap_or(0);
    let slug_taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM products WHERE slug = $1 AND id <> $2")
            .bind(&input.slug)
            .bind(this)
            .fetch_optional(&mut *tx)
            .await?;
    let skus = input.variants.len();
    let sql = format!(
        "SELECT sku FROM product_variants WHERE sku IN ({}) AND product_id <> ${}",
        values_list(skus, "?"),
        skus + 1
    );
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for variant in &input.variants {
        query = query.bind(&variant.sku);
    }
    let skus_taken = query.bind(this).fetch_all(&mut *tx).await?;
    Ok(Clashes {
        category,
        slug_taken: slug_taken.is_some(),
        skus_taken,
    })
}

/// Writes a product and its variants in `category`, and records the change for search.
/// Returns the product's id; None when the product, or one of the variants named, is not there
/// (nothing of another product changes).
pub async fn write_product(
    tx: &mut sqlx::AnyConnection,
    input: &ProductInput,
    category: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let brand = brand_id(tx, &input.brand).await?;
    let now = now_ms();
    let id = match input.id {
        Some(id) => {
            let updated = sqlx::query(
                "UPDATE products SET title = $1, slug = $2, brand_id = $3, category_id = $4, \
                 description = $5, status = $6, updated_at = $7 WHERE id = $8",
            )
            .bind(&input.title)
            .bind(&input.slug)
            .bind(brand)
            .bind(category)
            .bind(&input.description)
            .bind(input.status.as_str())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                return Ok(None);
            }
            id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO products (title, slug, brand_id, category_id, description, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(&input.title)
            .bind(&input.slug)
            .bind(brand)
            .bind(category)
            .bind(&input.description)
            .bind(input.status.as_str())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    for removed in &input.removed {
        let deleted = Deleted::Variant {
            product: id,
            variant: *removed,
        };
        note_deleted(tx, deleted).await?;
        sqlx::query("DELETE FROM product_variants WHERE id = $1 AND product_id = $2")
            .bind(removed)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    for (position, variant) in input.variants.iter().enumerate() {
        let position = i64::try_from(position).unwrap_or(i64::MAX);
        let compare_at = variant.compare_at.map(Money::minor);
        match variant.id {
            Some(variant_id) => {
                let updated = sqlx::query(
                    "UPDATE product_variants SET sku = $1, options = $2, price_minor = $3, \
                     compare_at_minor = $4, stock = $5, position = $6 WHERE id = $7 AND product_id = $8",
                )
                .bind(&variant.sku)
                .bind(&variant.options)
                .bind(variant.price.minor())
                .bind(compare_at)
                .bind(variant.stock)
                .bind(position)
                .bind(variant_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if updated.rows_affected() == 0 {
                    return Ok(None);
                }
            }
            None => {
                sqlx::query(
                    "INSERT INTO product_variants (product_id, sku, options, price_minor, compare_at_minor, stock, position) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(&variant.sku)
                .bind(&variant.options)
                .bind(variant.price.minor())
                .bind(compare_at)
                .bind(variant.stock)
                .bind(position)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    record_change(tx, Some(id)).await?;
    Ok(Some(id))
}

/// The id of the brand named `name` (matched by its slug), created when new.
async fn brand_id(tx: &mut sqlx::AnyConnection, name: &str) -> Result<i64, sqlx::Error> {
    let slug = slugify(name);
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM brands WHERE slug = $1")
        .bind(&slug)
        .fetch_optional(&mut *tx)
        .await?;
    match existing {
        Some(id) => Ok(id),
        None => {
            sqlx::query_scalar("INSERT INTO brands (slug, name) VALUES ($1, $2) RETURNING id")
                .bind(&slug)
                .bind(name)
                .fetch_one(&mut *tx)
                .await
        }
    }
}

/// Moves a product to `status`. False when there is no such product.
pub async fn set_status(
    db: &Db,
    id: i64,
    status: ProductStatus,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let updated = sqlx::query("UPDATE products SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 1 {
        webhooks::emit(&mut tx, EventKind::ProductUpdated, id, now).await?;
        entry.write(&mut tx).await?;
    }
    record_change(&mut tx, Some(id)).await?;
    tx.commit().await?;
    Ok(updated.rows_affected() == 1)
}

/// Deletes a product and its variants; the picture it had (`None` when there is no such
/// product), for the media store to let go of once the deletion is committed.
pub async fn delete_product(
    db: &Db,
    id: i64,
    entry: &Entry,
) -> Result<Option<String>, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let deleted = delete_product_in(&mut tx, id).await?;
    if deleted.is_some() {
        entry.write(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

/// `delete_product` inside a transaction.
pub async fn delete_product_in(
    tx: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    note_deleted(tx, Deleted::Product(id)).await?;
    let image = sqlx::query_scalar("DELETE FROM products WHERE id = $1 RETURNING image")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    record_change(tx, Some(id)).await?;
    Ok(image)
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    id: i64,
    slug: String,
    name: String,
    parent: Option<String>,
    label: String,
    products: i64,
    children: i64,
}

/// Every category in tree order, labelled with its path, with its product and child counts.
pub async fn categories(db: &Db) -> Result<Vec<AdminCategory>, sqlx::Error> {
    let rows: Vec<CategoryRow> = sqlx::query_as(
        "WITH RECURSIVE tree (id, label) AS ( \
             SELECT id, name FROM categories WHERE parent_id IS NULL \
             UNION ALL \
             SELECT c.id, t.label || ' › ' || c.name FROM categories c JOIN tree t ON c.parent_id = t.id \
         ) \
         SELECT c.id, c.slug, c.name, p.slug AS parent, t.label, \
             CAST((SELECT COUNT(*) FROM products x WHERE x.category_id = c.id) AS BIGINT) AS products, \
             CAST((SELECT COUNT(*) FROM categories k WHERE k.parent_id = c.id) AS BIGINT) AS children \
         FROM categories c JOIN tree t ON t.id = c.id LEFT JOIN categories p ON p.id = c.parent_id \
         ORDER BY t.label",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AdminCategory {
            id: r.id,
            slug: r.slug,
            name: r.name,
            parent: r.parent,
            label: r.label,
            products: r.products,
            children: r.children,
        })
        .collect())
}

/// Renames and moves category `id`. False when there is no such category.
pub async fn update_category(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    name: &str,
    parent: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query("UPDATE categories SET name = $1, parent_id = $2 WHERE id = $3")
        .bind(name)
        .bind(parent)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(updated.rows_affected() == 1)
}

/// Adds a category named `name` under `parent`, with a slug made from its name (numbered when
/// taken). Returns its id.
pub async fn insert_category(
    tx: &mut sqlx::AnyConnection,
    name: &str,
    parent: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let base = slugify(name);
    let taken: Vec<String> =
        sqlx::query_scalar("SELECT slug FROM categories WHERE slug = $1 OR slug LIKE $2")
            .bind(&base)
            .bind(format!("{base}-%"))
            .fetch_all(&mut *tx)
            .await?;
    let slug = (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or(base);
    sqlx::query_scalar(
        "INSERT INTO categories (parent_id, slug, name, position) VALUES ($1, $2, $3, 0) RETURNING id",
    )
    .bind(parent)
    .bind(&slug)
    .bind(name)
    .fetch_one(&mut *tx)
    .await
}

/// How many products and subcategories category `id` holds.
pub async fn category_usage(
    tx: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM products WHERE category_id = $1), \
                (SELECT COUNT(*) FROM categories WHERE parent_id = $1)",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await
}

/// Deletes category `id`. False when there is no such category.
pub async fn delete_category(tx: &mut sqlx::AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM categories WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(deleted.rows_affected() == 1)
}

/// The id of the product with `slug`, whatever its status.
pub async fn product_id_by_slug(
    conn: &mut sqlx::AnyConnection,
    slug: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM products WHERE slug = $1")
        .bind(slug)
        .fetch_optional(conn)
        .await
}
