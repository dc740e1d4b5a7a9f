//! Addresses and orders. Every query names its owner (`user_id`), so ids from the browser never
//! reach another shopper's rows.

use super::model::{
    Address, AddressForm, MAX_UNPAID_ORDERS, OrderLine, OrderStatus, OrderSummary, OrderView,
    SOLD_STATUSES, ShippingMethod, ShippingRates, Totals, order_number, price, status_label,
};
use super::payment::{PaymentProvider, TestGateway};
use crate::{
    cart::db::remove_bought,
    catalog::{
        db::ON_SALE,
        model::{options_label, parse_options},
    },
    dates::DAY_MS,
    error::{AppError, FieldError},
    notifications::db::{EmailKind, OrderMessage, OutboxEmail, notify_order, queue_email},
    platform::{
        db::{Backend, Db, now_ms, values_list, violates},
        money::Money,
    },
    promotions::{
        db::{self as promotions, Item},
        model::Offer,
    },
    webhooks::{self, EventKind},
};
use rand::Rng;
use std::collections::BTreeMap;

#[derive(sqlx::FromRow)]
struct AddressRow {
    id: i64,
    full_name: String,
    line1: String,
    line2: String,
    city: String,
    region: String,
    postal_code: String,
    country: String,
    phone: String,
    is_default: i64,
}

impl From<AddressRow> for Address {
    fn from(r: AddressRow) -> Self {
        Address {
            id: r.id,
            full_name: r.full_name,
            line1: r.line1,
            line2: r.line2,
            city: r.city,
            region: r.region,
            postal_code: r.postal_code,
            country: r.country,
            phone: r.phone,
            is_default: r.is_default == 1,
        }
    }
}

const ADDRESS_COLUMNS: &str =
    "id, full_name, line1, line2, city, region, postal_code, country, phone, is_default";

/// The user's addresses, the default first.
pub async fn addresses(db: &Db, user: i64) -> Result<Vec<Address>, sqlx::Error> {
    let rows: Vec<AddressRow> = sqlx::query_as(&format!(
        "SELECT {ADDRESS_COLUMNS} FROM addresses WHERE user_id = $1 ORDER BY is_default DESC, id"
    ))
    .bind(user)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(Address::from).collect())
}

/// Saves a new address (`id` None) or changes one of the user's. The first address, or one
/// saved with `make_default`, becomes the default. Returns its id.
pub async fn save_address(
    db: &Db,
    user: i64,
    id: Option<i64>,
    address: &AddressForm,
    make_default: bool,
) -> Result<i64, AppError> {
    let mut tx = db.begin_write().await?;
    let id = match id {
        Some(id) => {
            let updated = sqlx::query(
                "UPDATE addresses SET full_name = $1, line1 = $2, line2 = $3, city = $4, region = $5, \
                 postal_code = $6, country = $7, phone = $8 WHERE id = $9 AND user_id = $10",
            )
            .bind(&address.full_name)
            .bind(&address.line1)
            .bind(&address.line2)
            .bind(&address.city)
            .bind(&address.region)
            .bind(&address.postal_code)
            .bind(&address.country)
            .bind(&address.phone)
            .bind(id)
            .bind(user)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                return Err(AppError::NotFound);
            }
            id
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO addresses (user_id, full_name, line1, line2, city, region, postal_code, country, phone, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(user)
            .bind(&address.full_name)
            .bind(&address.line1)
            .bind(&address.line2)
            .bind(&address.city)
            .bind(&address.region)
            .bind(&address.postal_code)
            .bind(&address.country)
            .bind(&address.phone)
            .bind(now_ms())
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let has_default: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM addresses WHERE user_id = $1 AND is_default = 1")
            .bind(user)
            .fetch_one(&mut *tx)
            .await?;
    if make_default || has_default == 0 {
        make_default_address(&mut tx, user, id).await?;
    }
    tx.commit().await?;
    Ok(id)
}

async fn make_default_address(
    tx: &mut sqlx::AnyConnection,
    user: i64,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE addresses SET is_default = CASE WHEN id = $1 THEN 1 ELSE 0 END \
         WHERE user_id = $2 AND EXISTS (SELECT 1 FROM addresses a WHERE a.id = $1 AND a.user_id = $2)",
    )
    .bind(id)
    .bind(user)
    .execute(tx)
    .await?;
    Ok(updated.rows_affected() > 0)
}

/// Makes one of the user's addresses the default. False when it is not theirs.
pub async fn set_default_address(db: &Db, user: i64, id: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let done = make_default_address(&mut tx, user, id).await?;
    tx.commit().await?;
    Ok(done)
}

/// Deletes one of the user's addresses. False when it is not theirs.
pub async fn delete_address(db: &Db, user: i64, id: i64) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("DELETE FROM addresses WHERE id = $1 AND user_id = $2")
        .bind(id)
        .bind(user)
        .execute(db.writer())
        .await?;
    Ok(deleted.rows_affected() == 1)
}

/// What "Place order" leads to.
#[derive(Debug, PartialEq, Eq)]
pub enum Placement {
    /// An order (new, or a failed one reopened) that is waiting for its payment.
    Charge {
        order_id: i64,
        number: String,
        total: Money,
    },
    /// This key's order already exists and is paid or being paid: nothing to charge.
    Existing { number: String },
}

/// How the order is to be shipped, taxed and discounted.
pub struct OrderTerms<'a> {
    pub address_id: i64,
    /// The discount code the shopper typed; without one the best automatic promotion applies.
    pub code: Option<&'a str>,
    pub method: ShippingMethod,
    pub rates: &'a ShippingRates,
    pub tax_rates: &'a BTreeMap<String, i64>,
    /// How long the order holds its stock while it waits for payment, in milliseconds.
    pub reservation_ms: i64,
}

#[derive(sqlx::FromRow)]
struct CartRow {
    variant_id: i64,
    product_id: i64,
    category_id: i64,
    sku: String,
    options: String,
    title: String,
    price_minor: i64,
    quantity: i64,
}

/// The user's cart lines that are on sale, in the cart's order.
async fn cart_rows(tx: &mut sqlx::AnyConnection, user: i64) -> Result<Vec<CartRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT v.id AS variant_id, p.id AS product_id, p.category_id, v.sku, v.options, p.title, v.price_minor, l.quantity \
         FROM carts c JOIN cart_lines l ON l.cart_id = c.id JOIN product_variants v ON v.id = l.variant_id \
         JOIN products p ON p.id = v.product_id \
         WHERE c.user_id = $1 AND {ON_SALE} ORDER BY l.added_at, l.variant_id"
    ))
    .bind(user)
    .fetch_all(&mut *tx)
    .await
}

fn items_of(lines: &[CartRow]) -> Vec<Item> {
    lines
        .iter()
        .map(|l| Item {
            category_id: l.category_id,
            total: l.price_minor * l.quantity,
        })
        .collect()
}

/// A digest of what the user's cart holds now (each line's variant, quantity and price, in
/// order): a checkout page's key is signed for it, so a page shown for another cart, or before
/// a price changed, cannot place an order.
pub async fn cart_digest(db: &Db, user: i64) -> Result<String, sqlx::Error> {
    use sha2::{Digest, Sha256};
    let mut conn = db.pool().acquire().await?;
    let lines = cart_rows(&mut conn, user).await?;
    let mut hash = Sha256::new();
    for line in lines {
        hash.update(format!(
            "{}:{}:{};",
            line.variant_id, line.quantity, line.price_minor
        ));
    }
    Ok(hex::encode(hash.finalize()))
}

/// True when `user` has an order placed with `key`.
pub async fn has_order_with_key(db: &Db, user: i64, key: &str) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM orders WHERE user_id = $1 AND idempotency_key = $2")
            .bind(user)
            .bind(key)
            .fetch_optional(db.pool())
            .await?;
    Ok(found.is_some())
}

/// The promotion the user's cart gets now: the code's, or without one the best automatic
/// promotion (`promotions::db::offer_for`). Its lines are in the cart's order.
pub async fn cart_offer(
    db: &Db,
    user: i64,
    code: Option<&str>,
    rates: &ShippingRates,
) -> Result<Option<Offer>, AppError> {
    let mut conn = db.pool().acquire().await?;
    let items = items_of(&cart_rows(&mut conn, user).await?);
    let subtotal = Money::from_minor(items.iter().map(|i| i.total).sum()).unwrap_or_default();
    let shipping = rates.price(ShippingMethod::Standard, subtotal);
    let offer = promotions::offer_for(&mut conn, user, code, &items, shipping, now_ms()).await?;
    Ok(offer.map(|(_, offer)| offer))
}

fn out_of_stock(title: &str, stock: i64) -> AppError {
    AppError::Conflict(if stock > 0 {
        format!("Sorry, only {stock} of “{title}” left. Please change the quantity in your cart.")
    } else {
        format!("Sorry, “{title}” is out of stock. Please remove it from your cart.")
    })
}

/// Turns the user's cart into an order in one transaction: prices are read from the catalog,
/// stock is taken with conditional updates (never below zero), and lines and the address are
/// copied into the order. A key seen before finds its order instead: a failed one is reopened
/// (its stock taken again) for another payment, any other is returned as it is.
pub async fn place_order(
    db: &Db,
    user: i64,
    key: &str,
    terms: &OrderTerms<'_>,
) -> Result<Placement, AppError> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        // One shopper's orders are placed one at a time (SQLite's write transactions already
        // are), so what this transaction reads — an order with this key, the unpaid orders
        // counted below — stays true until it commits.
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind(user)
            .execute(&mut *tx)
            .await?;
    }
    let existing: Option<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, number, status, total_minor FROM orders WHERE user_id = $1 AND idempotency_key = $2",
    )
    .bind(user)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((order_id, number, status, total)) = existing {
        // The conditional status change goes first: of retries racing on PostgreSQL, the one
        // whose update moves the order takes its stock; the others wait for its row and then
        // find it no longer failed.
        let now = now_ms();
        let reopened = status == OrderStatus::PaymentFailed.as_str()
            && move_order(
                &mut tx,
                order_id,
                OrderStatus::PaymentFailed,
                OrderStatus::PendingPayment,
                now,
            )
            .await?;
        if !reopened {
            return Ok(Placement::Existing { number });
        }
        take_stock_again(&mut tx, order_id).await?;
        promotions::take_back(&mut tx, order_id)
            .await?
            .map_err(AppError::Conflict)?;
        sqlx::query("UPDATE orders SET reserved_until = $1 WHERE id = $2")
            .bind(now + terms.reservation_ms)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(Placement::Charge {
            order_id,
            number,
            total: Money::from_minor(total).unwrap_or_default(),
        });
    }

    let unpaid: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE user_id = $1 AND status = $2")
            .bind(user)
            .bind(OrderStatus::PendingPayment.as_str())
            .fetch_one(&mut *tx)
            .await?;
    if unpaid >= MAX_UNPAID_ORDERS {
        return Err(AppError::Conflict(format!(
            "You have {unpaid} orders waiting for payment. Pay for one of them, or wait until \
             they expire, before placing another."
        )));
    }

    let address: Option<AddressRow> = sqlx::query_as(&format!(
        "SELECT {ADDRESS_COLUMNS} FROM addresses WHERE id = $1 AND user_id = $2"
    ))
    .bind(terms.address_id)
    .bind(user)
    .fetch_optional(&mut *tx)
    .await?;
    let address = address.ok_or_else(|| {
        AppError::Invalid(vec![FieldError::new(
            "address_id",
            "Choose one of your addresses.",
        )])
    })?;
    let lines = cart_rows(&mut tx, user).await?;
    if lines.is_empty() {
        return Err(AppError::BadRequest(
            "Your cart is empty. Add something before checking out.".into(),
        ));
    }
    for line in &lines {
        let taken = sqlx::query(
            "UPDATE product_variants SET stock = stock - $1 WHERE id = $2 AND stock >= $1",
        )
        .bind(line.quantity)
        .bind(line.variant_id)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() == 0 {
            let left: i64 = sqlx::query_scalar("SELECT stock FROM product_variants WHERE id = $1")
                .bind(line.variant_id)
                .fetch_one(&mut *tx)
                .await?;
            // Dropping the transaction puts back what earlier lines took.
            return Err(out_of_stock(&line.title, left));
        }
    }
    let now = now_ms();
    let items = items_of(&lines);
    let line_totals: Vec<i64> = items.iter().map(|i| i.total).collect();
    let subtotal = Money::from_minor(line_totals.iter().sum()).unwrap_or_default();
    let shipping = terms.rates.price(terms.method, subtotal);
    let offer = promotions::offer_for(&mut tx, user, terms.code, &items, shipping, now).await?;
    let tax_rate = terms.tax_rates.get(&address.country).copied().unwrap_or(0);
    let (totals, discount) = price(
        &line_totals,
        offer.as_ref().map(|(_, offer)| offer),
        terms.rates,
        terms.method,
        tax_rate,
    );
    let number = order_number(rand::rng().random::<u64>());
    let inserted = sqlx::query_scalar(
        "INSERT INTO orders (number, user_id, idempotency_key, status, subtotal_minor, shipping_minor, tax_minor, \
             total_minor, shipping_method, ship_full_name, ship_line1, ship_line2, ship_city, ship_region, \
             ship_postal_code, ship_country, ship_phone, created_at, updated_at, reserved_until, \
             discount_minor, promotion_id, promotion_label) \
         VALUES ($1, $2, $3, $18, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $19, $20, $21, $22) \
         RETURNING id",
    )
    .bind(&number)
    .bind(user)
    .bind(key)
    .bind(totals.subtotal.minor())
    .bind(totals.shipping.minor())
    .bind(totals.tax.minor())
    .bind(totals.total.minor())
    .bind(terms.method.as_str())
    .bind(&address.full_name)
    .bind(&address.line1)
    .bind(&address.line2)
    .bind(&address.city)
    .bind(&address.region)
    .bind(&address.postal_code)
    .bind(&address.country)
    .bind(&address.phone)
    .bind(now)
    .bind(OrderStatus::PendingPayment.as_str())
    .bind(now + terms.reservation_ms)
    .bind(totals.discount.minor())
    .bind(offer.as_ref().map(|(id, _)| *id))
    .bind(offer.as_ref().map(|(_, o)| o.label()).unwrap_or_default())
    .fetch_one(&mut *tx)
    .await;
    let order_id: i64 = match inserted {
        Ok(id) => id,
        // The same key, placed at the same moment by another request, won the race.
        Err(e)
            if violates(
                &e,
                "orders_idempotency_key",
                "orders.user_id, orders.idempotency_key",
            ) =>
        {
            drop(tx);
            let number: String = sqlx::query_scalar(
                "SELECT number FROM orders WHERE user_id = $1 AND idempotency_key = $2",
            )
            .bind(user)
            .bind(key)
            .fetch_one(db.pool())
            .await?;
            return Ok(Placement::Existing { number });
        }
        Err(e) => return Err(e.into()),
    };
    if let Some((promotion, offer)) = &offer
        && !promotions::redeem(&mut tx, *promotion, order_id, user, now).await?
    {
        let named = offer.code.clone().unwrap_or_else(|| offer.name.clone());
        return Err(AppError::Invalid(vec![FieldError::new(
            "code",
            format!("{named} has just been used up. Remove it to place the order without it."),
        )]));
    }
    let sql = format!(
        "INSERT INTO order_lines (order_id, position, variant_id, product_id, sku, title, options, unit_price_minor, quantity, discount_minor) VALUES {}",
        values_list(lines.len(), "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
    );
    let mut insert = sqlx::query(&sql);
    for ((position, line), line_discount) in lines.iter().enumerate().zip(&discount.lines) {
        insert = insert
            .bind(order_id)
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .bind(line.variant_id)
            .bind(line.product_id)
            .bind(&line.sku)
            .bind(&line.title)
            .bind(&line.options)
            .bind(line.price_minor)
            .bind(line.quantity)
            .bind(*line_discount);
    }
    insert.execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Placement::Charge {
        order_id,
        number,
        total: totals.total,
    })
}

/// Takes the stock of a failed order's lines again, before another payment attempt.
async fn take_stock_again(tx: &mut sqlx::AnyConnection, order_id: i64) -> Result<(), AppError> {
    let lines: Vec<(Option<i64>, String, i64)> = sqlx::query_as(
        "SELECT variant_id, title, quantity FROM order_lines WHERE order_id = $1 ORDER BY position",
    )
    .bind(order_id)
    .fetch_all(&mut *tx)
    .await?;
    for (variant, title, quantity) in lines {
        let taken = sqlx::query(
            "UPDATE product_variants SET stock = stock - $1 WHERE id = $2 AND stock >= $1",
        )
        .bind(quantity)
        .bind(variant)
        .execute(&mut *tx)
        .await?;
        if taken.rows_affected() == 0 {
            return Err(out_of_stock(&title, 0));
        }
    }
    Ok(())
}

/// Remembers the gateway's id for the payment an order waits on.
pub async fn set_payment_reference(
    db: &Db,
    order_id: i64,
    reference: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET payment_reference = $1 WHERE id = $2")
        .bind(reference)
        .bind(order_id)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// An order waiting for its payment: its id, user, total and the gateway's reference.
#[derive(sqlx::FromRow)]
pub struct Waiting {
    pub id: i64,
    pub user_id: i64,
    pub number: String,
    pub total_minor: i64,
    pub payment_reference: String,
}

/// The order `number` (of `user`, unless None) if it waits for a payment with a reference.
pub async fn waiting_by_number(
    db: &Db,
    number: &str,
    user: Option<i64>,
) -> Result<Option<Waiting>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, number, total_minor, payment_reference FROM orders \
         WHERE number = $1 AND ($2 = 0 OR user_id = $2) AND status = $3 AND payment_reference <> ''",
    )
    .bind(number)
    .bind(user.unwrap_or(0))
    .bind(OrderStatus::PendingPayment.as_str())
    .fetch_optional(db.pool())
    .await
}

/// Orders still waiting for payment whose reservation ran out before `now`, oldest first (a
/// hundred at a time).
pub async fn overdue(db: &Db, now: i64) -> Result<Vec<Waiting>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, number, total_minor, payment_reference FROM orders \
         WHERE status = $1 AND reserved_until < $2 ORDER BY reserved_until LIMIT 100",
    )
    .bind(OrderStatus::PendingPayment.as_str())
    .bind(now)
    .fetch_all(db.pool())
    .await
}

/// Expires a waiting order, once: its stock goes back, its history says so, and the shopper
/// is told (`held` says how long the items were kept). False when it no longer waited.
pub async fn expire(db: &Db, order: &Waiting, held: &str, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let (from, to) = (OrderStatus::PendingPayment, OrderStatus::Expired);
    if !change_order(&mut tx, order.id, from, to, None, now).await? {
        return Ok(false);
    }
    restock(&mut tx, order.id).await?;
    let link = format!("/orders/{}", order.number);
    let message = OrderMessage {
        kind: EmailKind::OrderExpired,
        title: format!("Order {} expired unpaid", order.number),
        body: format!(
            "We held your items for {held}, but the payment was not finished, so the order is \
             closed and nothing was charged. They are still in your cart if you want them."
        ),
        link: &link,
    };
    notify_order(&mut tx, order.user_id, &message).await?;
    tx.commit().await?;
    Ok(true)
}

/// The order waiting for the payment `reference`.
pub async fn waiting_by_reference(
    db: &Db,
    reference: &str,
) -> Result<Option<Waiting>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, number, total_minor, payment_reference FROM orders \
         WHERE payment_reference = $1 AND status = $2",
    )
    .bind(reference)
    .bind(OrderStatus::PendingPayment.as_str())
    .fetch_optional(db.pool())
    .await
}

/// A payment as recorded.
pub struct PaymentRecord<'a> {
    pub provider: &'a str,
    pub reference: &'a str,
    pub amount: Money,
}

/// Marks a waiting order paid, once: records the payment, queues the confirmation email, and
/// takes the ordered items out of the cart. Returns true when this call made it paid.
pub async fn mark_paid(
    db: &Db,
    order_id: i64,
    payment: &PaymentRecord<'_>,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let now = now_ms();
    let paid = move_order(
        &mut tx,
        order_id,
        OrderStatus::PendingPayment,
        OrderStatus::Paid,
        now,
    )
    .await?;
    record_payment(&mut tx, order_id, payment, "succeeded", "").await?;
    if paid {
        let (number, email, user, total, discount, promotion): (
            String,
            String,
            i64,
            i64,
            i64,
            String,
        ) = sqlx::query_as(
            "SELECT o.number, u.email, u.id, o.total_minor, o.discount_minor, o.promotion_label \
                 FROM orders o JOIN users u ON u.id = o.user_id WHERE o.id = $1",
        )
        .bind(order_id)
        .fetch_one(&mut *tx)
        .await?;
        let saved = match discount {
            0 => String::new(),
            _ => format!(" ({promotion} took {} off)", money(discount)),
        };
        let confirmation = OutboxEmail {
            subject: format!("Thank you for your order {number}"),
            text: format!(
                "We have your payment of {}{saved} and will tell you when your order ships.",
                money(total)
            ),
            link: format!("/orders/{number}"),
        };
        queue_email(
            &mut tx,
            EmailKind::OrderConfirmation,
            &email,
            &confirmation,
            now,
        )
        .await?;
        let ordered: Vec<i64> =
            sqlx::query_scalar("SELECT variant_id FROM order_lines WHERE order_id = $1")
                .bind(order_id)
                .fetch_all(&mut *tx)
                .await?;
        remove_bought(&mut tx, user, &ordered).await?;
        issue_invoice(&mut tx, order_id, now).await?;
    }
    tx.commit().await?;
    Ok(paid)
}

/// The next number of a document `series` ("INV", "CN") for the year of `now`, such as
/// `INV-2026-000042`: numbers run from 1 each year with no gaps. The counter row is taken by an
/// upsert, so concurrent transactions wait for each other, and one that rolls back gives its
/// number back with everything else it wrote.
pub async fn next_document_number(
    tx: &mut sqlx::AnyConnection,
    series: &str,
    now: i64,
) -> Result<String, sqlx::Error> {
    let (year, ..) = crate::dates::civil(now);
    let last: i64 = sqlx::query_scalar(
        "INSERT INTO document_counters (series, year, last) VALUES ($1, $2, 1) \
         ON CONFLICT (series, year) DO UPDATE SET last = document_counters.last + 1 RETURNING last",
    )
    .bind(series)
    .bind(year)
    .fetch_one(&mut *tx)
    .await?;
    Ok(format!("{series}-{year}-{last:06}"))
}

/// Gives a paid order its invoice, numbered in the paying transaction.
pub async fn issue_invoice(
    tx: &mut sqlx::AnyConnection,
    order_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    let number = next_document_number(tx, "INV", now).await?;
    sqlx::query("INSERT INTO invoices (order_id, number, issued_at) VALUES ($1, $2, $3)")
        .bind(order_id)
        .bind(&number)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Marks a waiting order's payment failed and puts its stock back.
pub async fn mark_failed(
    db: &Db,
    order_id: i64,
    payment: &PaymentRecord<'_>,
    failure: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let failed = move_order(
        &mut tx,
        order_id,
        OrderStatus::PendingPayment,
        OrderStatus::PaymentFailed,
        now_ms(),
    )
    .await?;
    if failed {
        restock(&mut tx, order_id).await?;
    }
    record_payment(&mut tx, order_id, payment, "failed", failure).await?;
    tx.commit().await
}

/// Puts the units of an order back in stock (variants deleted since are skipped).
pub async fn restock(tx: &mut sqlx::AnyConnection, order_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE product_variants SET stock = stock + \
           (SELECT CAST(SUM(l.quantity) AS BIGINT) FROM order_lines l WHERE l.order_id = $1 AND l.variant_id = product_variants.id) \
         WHERE id IN (SELECT variant_id FROM order_lines WHERE order_id = $1)",
    )
    .bind(order_id)
    .execute(tx)
    .await?;
    Ok(())
}

/// Puts units of order `order` back in stock: those of `lines` (`refund_lines` or
/// `return_lines`, both keyed by the line's position) whose `key` column is `id`.
pub async fn put_back(
    tx: &mut sqlx::AnyConnection,
    lines: &str,
    key: &str,
    id: i64,
    order: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE product_variants SET stock = stock + \
           (SELECT CAST(SUM(u.quantity) AS BIGINT) FROM {lines} u JOIN order_lines l \
              ON l.order_id = $2 AND l.position = u.position \
            WHERE u.{key} = $1 AND l.variant_id = product_variants.id) \
         WHERE id IN (SELECT l.variant_id FROM {lines} u JOIN order_lines l \
              ON l.order_id = $2 AND l.position = u.position WHERE u.{key} = $1)"
    ))
    .bind(id)
    .bind(order)
    .execute(tx)
    .await?;
    Ok(())
}

async fn record_payment(
    tx: &mut sqlx::AnyConnection,
    order_id: i64,
    payment: &PaymentRecord<'_>,
    status: &str,
    failure: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payments (order_id, provider, reference, status, amount_minor, failure, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (provider, reference) DO NOTHING",
    )
    .bind(order_id)
    .bind(payment.provider)
    .bind(payment.reference)
    .bind(status)
    .bind(payment.amount.minor())
    .bind(failure)
    .bind(now_ms())
    .execute(tx)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: i64,
    number: String,
    status: String,
    subtotal_minor: i64,
    shipping_minor: i64,
    tax_minor: i64,
    discount_minor: i64,
    total_minor: i64,
    shipping_method: String,
    ship_full_name: String,
    ship_line1: String,
    ship_line2: String,
    ship_city: String,
    ship_region: String,
    ship_postal_code: String,
    ship_country: String,
    ship_phone: String,
    created_at: i64,
    test_payments: i64,
    promotion_label: String,
    invoice: Option<String>,
    invoiced_at: Option<i64>,
    refunded_minor: i64,
}

fn money(minor: i64) -> Money {
    Money::from_minor(minor).unwrap_or_default()
}

/// The order `number` if `user` may see it (its owner; any order when `user` is None, for
/// admins), with what may still be returned within `return_days` of its delivery.
pub async fn order(
    db: &Db,
    number: &str,
    user: Option<i64>,
    return_days: i64,
) -> Result<Option<OrderView>, sqlx::Error> {
    let row: Option<OrderRow> = sqlx::query_as(
        "SELECT orders.id, orders.number, status, subtotal_minor, shipping_minor, tax_minor, discount_minor, \
             total_minor, shipping_method, ship_full_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, \
             ship_country, ship_phone, created_at, promotion_label, refunded_minor, \
             (SELECT COUNT(*) FROM payments p WHERE p.order_id = orders.id AND p.provider = $3 AND p.status = 'succeeded') \
               AS test_payments, \
             i.number AS invoice, i.issued_at AS invoiced_at \
         FROM orders LEFT JOIN invoices i ON i.order_id = orders.id \
         WHERE orders.number = $1 AND ($2 = 0 OR orders.user_id = $2)",
    )
    .bind(number)
    .bind(user.unwrap_or(0))
    .bind(TestGateway.name())
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (returnable, return_until) =
        super::returns::window(db, row.id, &row.status, return_days).await?;
    let lines: Vec<(String, String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT sku, title, options, unit_price_minor, quantity, discount_minor FROM order_lines \
         WHERE order_id = $1 ORDER BY position",
    )
    .bind(row.id)
    .fetch_all(db.pool())
    .await?;
    let address = Address {
        id: 0,
        full_name: row.ship_full_name,
        line1: row.ship_line1,
        line2: row.ship_line2,
        city: row.ship_city,
        region: row.ship_region,
        postal_code: row.ship_postal_code,
        country: row.ship_country,
        phone: row.ship_phone,
        is_default: false,
    };
    Ok(Some(OrderView {
        number: row.number,
        status: status_label(&row.status).to_owned(),
        lines: lines
            .into_iter()
            .map(
                |(sku, title, options, price, quantity, discount)| OrderLine {
                    sku,
                    title,
                    variant: options_label(&parse_options(&options)),
                    unit_price: money(price),
                    quantity,
                    discount: money(discount),
                },
            )
            .collect(),
        totals: Totals {
            subtotal: money(row.subtotal_minor),
            discount: money(row.discount_minor),
            shipping: money(row.shipping_minor),
            tax: money(row.tax_minor),
            total: money(row.total_minor),
        },
        shipping_method: ShippingMethod::parse(&row.shipping_method)
            .map_or("", ShippingMethod::label)
            .to_owned(),
        address: address.lines(),
        created_at: row.created_at,
        test_payment: row.test_payments > 0,
        promotion: row.promotion_label,
        invoice: row.invoice.zip(row.invoiced_at),
        refunded: money(row.refunded_minor),
        shipments: super::shipments::shipments_of(db, row.id).await?,
        returns: super::returns::returns_of(db, row.id, user.is_none()).await?,
        returnable,
        return_until,
    }))
}

/// The lines of order `number` of `user` as (SKU, title, quantity), in order; None when the
/// order is not theirs.
pub async fn ordered_items(
    db: &Db,
    number: &str,
    user: i64,
) -> Result<Option<Vec<(String, String, i64)>>, sqlx::Error> {
    let order: Option<i64> =
        sqlx::query_scalar("SELECT id FROM orders WHERE number = $1 AND user_id = $2")
            .bind(number)
            .bind(user)
            .fetch_optional(db.pool())
            .await?;
    let Some(order) = order else {
        return Ok(None);
    };
    let lines = sqlx::query_as(
        "SELECT sku, title, quantity FROM order_lines WHERE order_id = $1 ORDER BY position",
    )
    .bind(order)
    .fetch_all(db.pool())
    .await?;
    Ok(Some(lines))
}

/// The user's orders, newest first.
pub async fn orders_of(db: &Db, user: i64) -> Result<Vec<OrderSummary>, sqlx::Error> {
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT o.number, o.status, o.total_minor, \
             CAST((SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id) AS BIGINT), \
             o.created_at \
         FROM orders o WHERE o.user_id = $1 ORDER BY o.created_at DESC, o.id DESC",
    )
    .bind(user)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(number, status, total, items, created_at)| OrderSummary {
            number,
            status: status_label(&status).to_owned(),
            total: money(total),
            items,
            created_at,
        })
        .collect())
}

/// Order `id`, placed on a day before `now`'s, changed in a way its sales figures show (paid,
/// moved, refunded): raises that day's version, so the analytics read the day afresh until
/// their job rolls it up again. Today's orders are always read afresh, so they touch nothing.
pub async fn day_changed(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO analytics_changes (day, version) \
         SELECT created_at / {DAY_MS}, 1 FROM orders WHERE id = $1 AND created_at < $2 \
         ON CONFLICT (day) DO UPDATE SET version = analytics_changes.version + 1"
    ))
    .bind(id)
    .bind(now.div_euclid(DAY_MS) * DAY_MS)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Moves order `id` from `from` to `to` at time `now` (the caller's, so the rows it writes with
/// the change carry the same time); an order that closes unpaid gives back the promotion use
/// it held; one that becomes paid or ships raises its webhook event. False when its status is
/// no longer `from` (someone else moved it first); then nothing changed.
pub async fn move_order(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    from: OrderStatus,
    to: OrderStatus,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let moved =
        sqlx::query("UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(to.as_str())
            .bind(now)
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
    if moved.rows_affected() == 0 {
        return Ok(false);
    }
    day_changed(tx, id, now).await?;
    if from.holds_promotion() && !to.holds_promotion() {
        promotions::give_back(tx, id, now).await?;
    }
    let event = match to {
        OrderStatus::Paid => Some(EventKind::OrderPaid),
        OrderStatus::PartiallyShipped | OrderStatus::Shipped => Some(EventKind::OrderShipped),
        _ => None,
    };
    if let Some(event) = event {
        webhooks::emit(tx, event, id, now).await?;
    }
    Ok(true)
}

/// Moves order `id` from `from` to `to` as `move_order` does, and writes the change into the
/// order's history; `by` is the admin who made it (None when the shop did, e.g. an expired
/// reservation). False when its status was no longer `from`; then nothing is written.
pub async fn change_order(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    from: OrderStatus,
    to: OrderStatus,
    by: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    if !move_order(tx, id, from, to, now).await? {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO order_status_changes (order_id, from_status, to_status, changed_by, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

/// True when `user` has a sold order (`OrderStatus::is_sold`) with `product` in it.
pub async fn has_bought(
    tx: &mut sqlx::AnyConnection,
    user: i64,
    product: i64,
) -> Result<bool, sqlx::Error> {
    let bought: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM orders o JOIN order_lines l ON l.order_id = o.id \
         WHERE o.user_id = $1 AND l.product_id = $2 AND o.status IN {SOLD_STATUSES} LIMIT 1) AS bought"
    ))
    .bind(user)
    .bind(product)
    .fetch_one(&mut *tx)
    .await?;
    Ok(bought > 0)
}

/// How each promotion has sold: by promotion id, the sold orders that carry it, what they came
/// to (less refunds), and what it took off them.
pub async fn promotion_sales(db: &Db) -> Result<Vec<(i64, i64, Money, Money)>, sqlx::Error> {
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT promotion_id, COUNT(*), CAST(SUM(total_minor - refunded_minor) AS BIGINT), \
             CAST(SUM(discount_minor) AS BIGINT) \
         FROM orders o WHERE promotion_id IS NOT NULL AND o.status IN {SOLD_STATUSES} \
         GROUP BY promotion_id"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, orders, revenue, discount)| (id, orders, money(revenue), money(discount)))
        .collect())
}

/// Forgets a customer whose account is deleted, in the caller's transaction: their address book
/// goes; their orders stay for the books, with the name, street and phone they were shipped to
/// blanked (city, region, postal code and country stay, for tax).
pub async fn forget_customer(tx: &mut sqlx::AnyConnection, user: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM addresses WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE orders SET ship_full_name = 'Former customer', ship_line1 = '', ship_line2 = '', \
             ship_phone = '' WHERE user_id = $1",
    )
    .bind(user)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
