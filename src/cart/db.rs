//! Cart and wishlist queries. Every cart query is scoped to its owner's cart, so one shopper can
//! never reach another's lines by naming a SKU.

use super::model::{CartLine, CartView, MAX_LINES, WishlistItem};
use crate::{
    catalog::{
        db::ON_SALE,
        model::{options_label, parse_options},
    },
    error::AppError,
    platform::{
        db::{Db, now_ms},
        money::Money,
    },
};

/// Guest carts untouched for this long are gone.
pub const GUEST_CART_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Whose cart: a signed-in user's, or a guest's (by the SHA-256 of the cookie's token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    User(i64),
    Guest(String),
}

/// The owner's cart, if it has one (an expired guest cart counts as none).
pub async fn find_cart(
    executor: &mut sqlx::AnyConnection,
    owner: &Owner,
) -> Result<Option<i64>, sqlx::Error> {
    match owner {
        Owner::User(user) => {
            sqlx::query_scalar("SELECT id FROM carts WHERE user_id = $1")
                .bind(user)
                .fetch_optional(executor)
                .await
        }
        Owner::Guest(hash) => {
            sqlx::query_scalar("SELECT id FROM carts WHERE token_hash = $1 AND updated_at >= $2")
                .bind(hash)
                .bind(now_ms() - GUEST_CART_TTL_MS)
                .fetch_optional(executor)
                .await
        }
    }
}

/// The products in the owner's cart.
pub async fn products_in_cart(db: &Db, owner: &Owner) -> Result<Vec<i64>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let Some(cart) = find_cart(&mut conn, owner).await? else {
        return Ok(Vec::new());
    };
    sqlx::query_scalar(
        "SELECT DISTINCT v.product_id FROM cart_lines l \
         JOIN product_variants v ON v.id = l.variant_id WHERE l.cart_id = $1",
    )
    .bind(cart)
    .fetch_all(&mut *conn)
    .await
}

/// The owner's cart, created when missing, marked as just used.
async fn ensure_cart(tx: &mut sqlx::AnyConnection, owner: &Owner) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    match owner {
        Owner::User(user) => {
            sqlx::query_scalar(
                "INSERT INTO carts (user_id, created_at, updated_at) VALUES ($1, $2, $2) \
                 ON CONFLICT (user_id) DO UPDATE SET updated_at = excluded.updated_at RETURNING id",
            )
            .bind(user)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
        }
        Owner::Guest(hash) => {
            // An expired cart is not revived.
            sqlx::query("DELETE FROM carts WHERE token_hash = $1 AND updated_at < $2")
                .bind(hash)
                .bind(now - GUEST_CART_TTL_MS)
                .execute(&mut *tx)
                .await?;
            sqlx::query_scalar(
                "INSERT INTO carts (token_hash, created_at, updated_at) VALUES ($1, $2, $2) \
                 ON CONFLICT (token_hash) DO UPDATE SET updated_at = excluded.updated_at RETURNING id",
            )
            .bind(hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
        }
    }
}

/// A variant that can be put in a cart: on sale, with its price and stock.
struct ForSale {
    id: i64,
    product: i64,
    price: i64,
    stock: i64,
}

async fn variant_for_sale(
    tx: &mut sqlx::AnyConnection,
    sku: &str,
) -> Result<Option<ForSale>, sqlx::Error> {
    let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT v.id, v.product_id, v.price_minor, v.stock FROM product_variants v JOIN products p ON p.id = v.product_id \
         WHERE v.sku = $1 AND {ON_SALE}"
    ))
    .bind(sku)
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|(id, product, price, stock)| ForSale {
        id,
        product,
        price,
        stock,
    }))
}

fn unavailable() -> AppError {
    AppError::BadRequest("Sorry, that item isn't available any more.".into())
}

/// The most of `variant` a line may hold: the stock, and the configured limit.
fn limit_message(limit: i64, in_cart: i64) -> AppError {
    let mut message = format!("You can have at most {limit} of this item in your cart");
    if in_cart > 0 {
        message.push_str(&format!(" (you have {in_cart})"));
    }
    message.push('.');
    AppError::BadRequest(message)
}

/// Adds `quantity` of the variant `sku` to the owner's cart; an existing line grows. Never
/// above stock or `max_line`; at most `MAX_LINES` lines. Returns the product's id.
pub async fn add_line(
    db: &Db,
    owner: &Owner,
    sku: &str,
    quantity: i64,
    max_line: i64,
) -> Result<i64, AppError> {
    Ok(add_lines(db, owner, &[(sku, quantity)], max_line).await?[0])
}

/// Adds each (sku, quantity) as `add_line` does, all or none, in one transaction. Returns the
/// products' ids.
pub async fn add_lines(
    db: &Db,
    owner: &Owner,
    items: &[(&str, i64)],
    max_line: i64,
) -> Result<Vec<i64>, AppError> {
    let mut tx = db.begin_write().await?;
    let cart = ensure_cart(&mut tx, owner).await?;
    let mut products = Vec::with_capacity(items.len());
    for &(sku, quantity) in items {
        products.push(add_in(&mut tx, cart, sku, quantity, max_line).await?);
    }
    tx.commit().await?;
    Ok(products)
}

async fn add_in(
    tx: &mut sqlx::AnyConnection,
    cart: i64,
    sku: &str,
    quantity: i64,
    max_line: i64,
) -> Result<i64, AppError> {
    let variant = variant_for_sale(&mut *tx, sku)
        .await?
        .ok_or_else(unavailable)?;
    if variant.stock == 0 {
        return Err(AppError::BadRequest(
            "Sorry, that item is out of stock.".into(),
        ));
    }
    let (in_cart, lines): (Option<i64>, i64) = sqlx::query_as(
        "SELECT (SELECT quantity FROM cart_lines WHERE cart_id = $1 AND variant_id = $2), \
                (SELECT COUNT(*) FROM cart_lines WHERE cart_id = $1)",
    )
    .bind(cart)
    .bind(variant.id)
    .fetch_one(&mut *tx)
    .await?;
    if in_cart.is_none() && lines >= MAX_LINES {
        return Err(AppError::BadRequest(format!(
            "Your cart is full: it can hold {MAX_LINES} different items."
        )));
    }
    let limit = variant.stock.min(max_line);
    let in_cart = in_cart.unwrap_or(0);
    if in_cart + quantity > limit {
        return Err(limit_message(limit, in_cart));
    }
    // Concurrent adds of one variant meet on the primary key and add up; the guard keeps the
    // sum within the limit even when another request added in between.
    let written = sqlx::query(
        "INSERT INTO cart_lines (cart_id, variant_id, quantity, added_price_minor, added_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = cart_lines.quantity + excluded.quantity \
         WHERE cart_lines.quantity + excluded.quantity <= $6",
    )
    .bind(cart)
    .bind(variant.id)
    .bind(quantity)
    .bind(variant.price)
    .bind(now_ms())
    .bind(limit)
    .execute(&mut *tx)
    .await?;
    if written.rows_affected() == 0 {
        return Err(limit_message(limit, in_cart));
    }
    Ok(variant.product)
}

/// Sets the quantity of the owner's line for `sku`.
pub async fn set_quantity(
    db: &Db,
    owner: &Owner,
    sku: &str,
    quantity: i64,
    max_line: i64,
) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let cart = find_cart(&mut tx, owner).await?.ok_or(AppError::NotFound)?;
    let variant = variant_for_sale(&mut tx, sku)
        .await?
        .ok_or_else(unavailable)?;
    let limit = variant.stock.min(max_line);
    if quantity > limit {
        return Err(if variant.stock == 0 {
            AppError::BadRequest("Sorry, that item is out of stock.".into())
        } else {
            limit_message(limit, 0)
        });
    }
    let updated =
        sqlx::query("UPDATE cart_lines SET quantity = $1 WHERE cart_id = $2 AND variant_id = $3")
            .bind(quantity)
            .bind(cart)
            .bind(variant.id)
            .execute(&mut *tx)
            .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    touch(&mut tx, cart).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes the owner's line for `sku`. Returns the product's id when there was such a line.
pub async fn remove_line(db: &Db, owner: &Owner, sku: &str) -> Result<Option<i64>, AppError> {
    let mut tx = db.begin_write().await?;
    let Some(cart) = find_cart(&mut tx, owner).await? else {
        return Ok(None);
    };
    let line: Option<(i64, i64)> = sqlx::query_as(
        "SELECT l.variant_id, v.product_id FROM cart_lines l JOIN product_variants v ON v.id = l.variant_id \
         WHERE l.cart_id = $1 AND v.sku = $2",
    )
    .bind(cart)
    .bind(sku)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((variant, _)) = line {
        sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1 AND variant_id = $2")
            .bind(cart)
            .bind(variant)
            .execute(&mut *tx)
            .await?;
        touch(&mut tx, cart).await?;
    }
    tx.commit().await?;
    Ok(line.map(|(_, product)| product))
}

async fn touch(tx: &mut sqlx::AnyConnection, cart: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE carts SET updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(cart)
        .execute(tx)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LineRow {
    variant_id: i64,
    sku: String,
    options: String,
    price_minor: i64,
    stock: i64,
    slug: String,
    title: String,
    status: String,
    quantity: i64,
    added_price_minor: i64,
    image: String,
}

/// What the catalog deleted: every variant of a product, or one variant of it.
#[derive(Clone, Copy, Debug)]
pub enum Deleted {
    Product(i64),
    Variant { product: i64, variant: i64 },
}

/// Remembers the cart lines a deletion is about to take away (the foreign key cascades), so the
/// shopper is told on their next look at the cart. Call it in the deleting transaction.
pub async fn note_deleted(
    tx: &mut sqlx::AnyConnection,
    deleted: Deleted,
) -> Result<(), sqlx::Error> {
    let (product, variant) = match deleted {
        Deleted::Product(product) => (product, None),
        Deleted::Variant { product, variant } => (product, Some(variant)),
    };
    let sql = format!(
        "INSERT INTO cart_removals (cart_id, title, options, created_at) \
         SELECT l.cart_id, p.title, v.options, $2 \
         FROM cart_lines l JOIN product_variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id \
         WHERE v.product_id = $1{}",
        if variant.is_some() {
            " AND v.id = $3"
        } else {
            ""
        }
    );
    let mut query = sqlx::query(&sql).bind(product).bind(now_ms());
    if let Some(variant) = variant {
        query = query.bind(variant);
    }
    query.execute(&mut *tx).await?;
    Ok(())
}

/// Tells the shopper which lines left the cart because the catalog deleted their variant, once.
async fn take_removals(db: &Db, cart: i64) -> Result<Vec<String>, sqlx::Error> {
    let removed: Vec<(String, String)> = sqlx::query_as(
        "SELECT title, options FROM cart_removals WHERE cart_id = $1 ORDER BY created_at",
    )
    .bind(cart)
    .fetch_all(db.pool())
    .await?;
    if removed.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query("DELETE FROM cart_removals WHERE cart_id = $1")
        .bind(cart)
        .execute(db.writer())
        .await?;
    Ok(removed
        .into_iter()
        .map(|(title, options)| {
            let name = match options_label(&parse_options(&options)) {
                label if label.is_empty() => title,
                label => format!("{title} ({label})"),
            };
            format!("{name} is no longer sold, so it was removed from your cart.")
        })
        .collect())
}

/// The owner's cart with today's prices and stock. Lines whose product is no longer sold are
/// removed, and the shopper is told.
pub async fn view(db: &Db, owner: &Owner) -> Result<CartView, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let Some(cart) = find_cart(&mut conn, owner).await? else {
        return Ok(CartView::default());
    };
    drop(conn);
    let mut view = CartView {
        notices: take_removals(db, cart).await?,
        ..CartView::default()
    };
    let rows: Vec<LineRow> = sqlx::query_as(
        "SELECT l.variant_id, v.sku, v.options, v.price_minor, v.stock, p.slug, p.title, p.status, \
                l.quantity, l.added_price_minor, p.image \
         FROM cart_lines l JOIN product_variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id \
         WHERE l.cart_id = $1 ORDER BY l.added_at, l.variant_id",
    )
    .bind(cart)
    .fetch_all(db.pool())
    .await?;
    for row in rows {
        if row.status != "active" {
            sqlx::query("DELETE FROM cart_lines WHERE cart_id = $1 AND variant_id = $2")
                .bind(cart)
                .bind(row.variant_id)
                .execute(db.writer())
                .await?;
            view.notices.push(format!(
                "{} is no longer sold, so it was removed from your cart.",
                row.title
            ));
            continue;
        }
        view.lines.push(CartLine {
            variant: options_label(&parse_options(&row.options)),
            sku: row.sku,
            slug: row.slug,
            title: row.title,
            unit_price: Money::from_minor(row.price_minor).unwrap_or_default(),
            added_price: Money::from_minor(row.added_price_minor).unwrap_or_default(),
            quantity: row.quantity,
            stock: row.stock,
            image: row.image,
        });
    }
    Ok(view)
}

/// Units in the owner's cart, for the header badge.
pub async fn count(db: &Db, owner: &Owner) -> Result<i64, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    let Some(cart) = find_cart(&mut conn, owner).await? else {
        return Ok(0);
    };
    sqlx::query_scalar(&format!(
        "SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM cart_lines l \
         JOIN product_variants v ON v.id = l.variant_id JOIN products p ON p.id = v.product_id \
         WHERE l.cart_id = $1 AND {ON_SALE}"
    ))
    .bind(cart)
    .fetch_one(&mut *conn)
    .await
}

/// Moves a guest's lines into the user's cart: the same variant adds up, capped by stock and
/// `max_line`; lines beyond `MAX_LINES` or no longer sold are dropped. The guest cart is deleted.
pub async fn merge_guest_cart(
    db: &Db,
    guest: &Owner,
    user: i64,
    max_line: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let Some(guest_cart) = find_cart(&mut tx, guest).await? else {
        return Ok(());
    };
    let user_cart = ensure_cart(&mut tx, &Owner::User(user)).await?;
    let lines: Vec<(i64, i64, i64, i64, Option<i64>)> = sqlx::query_as(&format!(
        "SELECT g.variant_id, g.quantity, g.added_price_minor, v.stock, u.quantity \
         FROM cart_lines g JOIN product_variants v ON v.id = g.variant_id JOIN products p ON p.id = v.product_id \
         LEFT JOIN cart_lines u ON u.cart_id = $2 AND u.variant_id = g.variant_id \
         WHERE g.cart_id = $1 AND {ON_SALE} ORDER BY g.added_at, g.variant_id"
    ))
    .bind(guest_cart)
    .bind(user_cart)
    .fetch_all(&mut *tx)
    .await?;
    let mut distinct: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM cart_lines WHERE cart_id = $1")
            .bind(user_cart)
            .fetch_one(&mut *tx)
            .await?;
    let now = now_ms();
    for (variant, quantity, added_price, stock, existing) in lines {
        let wanted = (existing.unwrap_or(0) + quantity).min(stock).min(max_line);
        if wanted < 1 || (existing.is_none() && distinct >= MAX_LINES) {
            continue;
        }
        if existing.is_none() {
            distinct += 1;
        }
        sqlx::query(
            "INSERT INTO cart_lines (cart_id, variant_id, quantity, added_price_minor, added_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (cart_id, variant_id) DO UPDATE SET quantity = excluded.quantity",
        )
        .bind(user_cart)
        .bind(variant)
        .bind(wanted)
        .bind(added_price)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM carts WHERE id = $1")
        .bind(guest_cart)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Deletes guest carts nobody has touched for `GUEST_CART_TTL_MS`. Returns how many.
pub async fn delete_expired_guest_carts(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM carts WHERE token_hash IS NOT NULL AND updated_at < $1")
        .bind(now - GUEST_CART_TTL_MS)
        .execute(db.writer())
        .await?;
    Ok(deleted.rows_affected())
}

/// Saves the variant `sku` on the user's wishlist (again is fine). Returns the product's id.
pub async fn add_to_wishlist(db: &Db, user: i64, sku: &str) -> Result<i64, AppError> {
    let mut tx = db.begin_write().await?;
    let variant = variant_for_sale(&mut tx, sku)
        .await?
        .ok_or_else(unavailable)?;
    sqlx::query(
        "INSERT INTO wishlist_items (user_id, variant_id, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, variant_id) DO NOTHING",
    )
    .bind(user)
    .bind(variant.id)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(variant.product)
}

/// Takes `sku` off the user's wishlist.
pub async fn remove_from_wishlist(db: &Db, user: i64, sku: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM wishlist_items WHERE user_id = $1 \
         AND variant_id IN (SELECT id FROM product_variants WHERE sku = $2)",
    )
    .bind(user)
    .bind(sku)
    .execute(db.writer())
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct WishRow {
    sku: String,
    options: String,
    price_minor: i64,
    stock: i64,
    slug: String,
    title: String,
    image: String,
}

/// The user's wishlist, newest first, with today's prices and stock; items no longer sold are
/// left out.
pub async fn wishlist(db: &Db, user: i64) -> Result<Vec<WishlistItem>, sqlx::Error> {
    let rows: Vec<WishRow> = sqlx::query_as(&format!(
        "SELECT v.sku, v.options, v.price_minor, v.stock, p.slug, p.title, p.image \
         FROM wishlist_items w JOIN product_variants v ON v.id = w.variant_id JOIN products p ON p.id = v.product_id \
         WHERE w.user_id = $1 AND {ON_SALE} ORDER BY w.added_at DESC, v.id"
    ))
    .bind(user)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| WishlistItem {
            variant: options_label(&parse_options(&row.options)),
            sku: row.sku,
            slug: row.slug,
            title: row.title,
            price: Money::from_minor(row.price_minor).unwrap_or_default(),
            stock: row.stock,
            image: row.image,
        })
        .collect())
}

/// Takes the variants of a paid order out of `user`'s cart, inside the transaction that marks
/// it paid.
pub async fn remove_bought(
    tx: &mut sqlx::AnyConnection,
    user: i64,
    variants: &[i64],
) -> Result<(), sqlx::Error> {
    if variants.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM cart_lines WHERE cart_id IN (SELECT id FROM carts WHERE user_id = $1) \
         AND variant_id IN ({})",
        (2..variants.len() + 2)
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut query = sqlx::query(&sql).bind(user);
    for variant in variants {
        query = query.bind(variant);
    }
    query.execute(&mut *tx).await?;
    Ok(())
}

/// Forgets the cart and wishlist of a deleted account, in the caller's transaction.
pub async fn forget_user(tx: &mut sqlx::AnyConnection, user: i64) -> Result<(), sqlx::Error> {
    for statement in [
        "DELETE FROM carts WHERE user_id = $1",
        "DELETE FROM wishlist_items WHERE user_id = $1",
    ] {
        sqlx::query(statement).bind(user).execute(&mut *tx).await?;
    }
    Ok(())
}
