//! Past orders for the demo shop: each one written as the real flow leaves a delivered order
//! (priced as checkout prices, paid through the offline test gateway, invoiced, shipped in one
//! parcel, delivered, the last two steps in its history, its checkout and purchase in the
//! events), but without emails and without taking stock, since it happened in the simulated
//! past.

use super::{
    db::{change_order, issue_invoice, move_order},
    model::{OrderStatus, ShipmentPlan, ShippingMethod, ShippingRates, order_number, price},
    shipments,
};
use crate::{
    dates::DAY_MS,
    events::EventKind,
    platform::{
        config::Config,
        db::{Db, values_list},
    },
};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Where every demo order went.
const COUNTRY: &str = "US";

/// One demo customer's order: one of the first variant of each product, placed at `at`.
pub struct PastOrder {
    pub user: i64,
    pub name: String,
    pub products: Vec<i64>,
    pub at: i64,
}

/// A product's first variant, as an order line copies it.
#[derive(sqlx::FromRow)]
struct Line {
    variant_id: i64,
    product_id: i64,
    sku: String,
    options: String,
    title: String,
    price_minor: i64,
}

/// Writes `orders`, oldest first (so invoice numbers follow time), each delivered three days
/// after it was placed but never later than `now`, in one transaction. Returns how many were
/// written (an order none of whose products is left is skipped).
pub async fn delivered(
    db: &Db,
    orders: &[PastOrder],
    config: &Config,
    now: i64,
    seed: u64,
) -> Result<usize, sqlx::Error> {
    let rates = ShippingRates::from(config.shipping);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut oldest_first: Vec<&PastOrder> = orders.iter().collect();
    oldest_first.sort_by_key(|order| order.at);
    let mut tx = db.begin_write().await?;
    let mut written = 0;
    for order in oldest_first {
        let lines = first_variants(&mut tx, &order.products).await?;
        if lines.is_empty() {
            continue;
        }
        let totals: Vec<i64> = lines.iter().map(|line| line.price_minor).collect();
        let tax = config.tax_rates.get(COUNTRY).copied().unwrap_or(0);
        let (totals, _) = price(&totals, None, &rates, ShippingMethod::Standard, tax);
        let number = order_number(rng.random());
        let paid = order.at.min(now);
        let (shipped, arrived) = ((paid + DAY_MS).min(now), (paid + 3 * DAY_MS).min(now));
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO orders (number, user_id, idempotency_key, status, subtotal_minor, shipping_minor, \
                 tax_minor, total_minor, shipping_method, ship_full_name, ship_line1, ship_line2, ship_city, \
                 ship_region, ship_postal_code, ship_country, ship_phone, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '1 Demo Street', '', 'Springfield', 'IL', \
                 '62701', $11, '', $12, $12) RETURNING id",
        )
        .bind(&number)
        .bind(order.user)
        .bind(format!("demo-{number}"))
        .bind(OrderStatus::PendingPayment.as_str())
        .bind(totals.subtotal.minor())
        .bind(totals.shipping.minor())
        .bind(totals.tax.minor())
        .bind(totals.total.minor())
        .bind(ShippingMethod::Standard.as_str())
        .bind(&order.name)
        .bind(COUNTRY)
        .bind(paid)
        .fetch_one(&mut *tx)
        .await?;
        let sql = format!(
            "INSERT INTO order_lines (order_id, position, variant_id, product_id, sku, title, options, \
                 unit_price_minor, quantity) VALUES {}",
            values_list(lines.len(), "(?, ?, ?, ?, ?, ?, ?, ?, 1)")
        );
        let mut insert = sqlx::query(&sql);
        for (position, line) in (0_i64..).zip(&lines) {
            insert = insert
                .bind(id)
                .bind(position)
                .bind(line.variant_id)
                .bind(line.product_id)
                .bind(&line.sku)
                .bind(&line.title)
                .bind(&line.options)
                .bind(line.price_minor);
        }
        insert.execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO payments (order_id, provider, reference, status, amount_minor, created_at) \
             VALUES ($1, 'test', $2, 'succeeded', $3, $4)",
        )
        .bind(id)
        .bind(format!("demo-{number}"))
        .bind(totals.total.minor())
        .bind(paid)
        .execute(&mut *tx)
        .await?;
        move_order(
            &mut tx,
            id,
            OrderStatus::PendingPayment,
            OrderStatus::Paid,
            paid,
        )
        .await?;
        issue_invoice(&mut tx, id, paid).await?;
        let parcel = ShipmentPlan {
            carrier: "ups".into(),
            tracking: format!("1Z{:016X}", rng.random::<u64>()),
            lines: (0_i64..).zip(lines.iter().map(|_| 1)).collect(),
        };
        shipments::record(&mut tx, id, &parcel, None, shipped).await?;
        change_order(
            &mut tx,
            id,
            OrderStatus::Paid,
            OrderStatus::Shipped,
            None,
            shipped,
        )
        .await?;
        change_order(
            &mut tx,
            id,
            OrderStatus::Shipped,
            OrderStatus::Delivered,
            None,
            arrived,
        )
        .await?;
        // What the analytics funnel counts: the checkout, a few minutes before the purchase.
        let purchase = serde_json::json!({ "order": number, "total": totals.total.minor() });
        for (kind, payload, at) in [
            (EventKind::CheckoutStarted, "{}".to_owned(), paid - 300_000),
            (EventKind::Purchase, purchase.to_string(), paid),
        ] {
            sqlx::query(
                "INSERT INTO events (kind, user_id, payload, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(kind.as_str())
            .bind(order.user)
            .bind(payload)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        written += 1;
    }
    tx.commit().await?;
    Ok(written)
}

/// The first variant of each of `products` that is still there, in that order.
async fn first_variants(
    tx: &mut sqlx::AnyConnection,
    products: &[i64],
) -> Result<Vec<Line>, sqlx::Error> {
    let mut lines = Vec::with_capacity(products.len());
    for &product in products {
        let line: Option<Line> = sqlx::query_as(
            "SELECT v.id AS variant_id, p.id AS product_id, v.sku, v.options, p.title, v.price_minor \
             FROM product_variants v JOIN products p ON p.id = v.product_id \
             WHERE p.id = $1 ORDER BY v.position, v.id LIMIT 1",
        )
        .bind(product)
        .fetch_optional(&mut *tx)
        .await?;
        lines.extend(line);
    }
    Ok(lines)
}
