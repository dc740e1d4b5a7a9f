//! Behaviour for the demo shop: simulated visitors with tastes over the demo catalog's
//! categories browse and cart its products over the last 30 days (`evaluation::simulate`), so
//! every recommendation row has something to show on a first start. Each visitor's id is the
//! seed then their number, both as 16 hex digits.

use super::{
    engine::{Interaction, VIEWED},
    evaluation::simulate,
};
use crate::{
    events::EventKind,
    platform::db::{Db, now_ms, values_list},
};

/// Simulated visitors, and what each of them looks at.
const VISITORS: usize = 1_500;
const LOOKS_EACH: usize = 24;
const DAYS: i64 = 30;

/// Writes the simulated visitors' views and cart adds as events. Returns how many.
pub async fn seed_behaviour(db: &Db, seed: u64) -> Result<usize, sqlx::Error> {
    // Products in category order: the simulator's categories are runs of equal length over
    // this list, close to the real ones, and every product gets its share.
    let products: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM products WHERE status = 'active' ORDER BY category_id, id",
    )
    .fetch_all(db.pool())
    .await?;
    let categories: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT category_id) FROM products WHERE status = 'active'",
    )
    .fetch_one(db.pool())
    .await?;
    let categories = usize::try_from(categories).unwrap_or(1).max(1);
    if products.is_empty() {
        return Ok(0);
    }
    let per_category = products.len().div_ceil(categories);
    let behaviour = simulate(seed, VISITORS, categories, per_category, LOOKS_EACH);
    let (now, last) = (now_ms(), behaviour.last().map_or(1, |i| i.at.max(1)));
    let span = DAYS * 86_400_000;
    write_events(db, &behaviour, |i| SimulatedEvent {
        user: None,
        visitor: Some(format!("{seed:016x}{:016x}", i.actor)),
        product: products[usize::try_from(i.item - 1)
            .unwrap_or_default()
            .min(products.len() - 1)],
        at: now - span + span * i.at / last,
    })
    .await?;
    Ok(behaviour.len())
}

/// Who did a simulated interaction (an account or a visitor), with which product, and when.
pub struct SimulatedEvent {
    pub user: Option<i64>,
    pub visitor: Option<String>,
    pub product: i64,
    pub at: i64,
}

/// Writes simulated `interactions` as events, a thousand a statement: a cart add where the
/// weight is above a view's, else a view; `place` says who, which product and when.
pub async fn write_events(
    db: &Db,
    interactions: &[Interaction],
    place: impl Fn(&Interaction) -> SimulatedEvent,
) -> Result<(), sqlx::Error> {
    for chunk in interactions.chunks(1_000) {
        let sql = format!(
            "INSERT INTO events (kind, user_id, visitor, product_id, payload, created_at) VALUES {}",
            values_list(chunk.len(), "(?, ?, ?, ?, '{}', ?)")
        );
        let mut insert = sqlx::query(&sql);
        for i in chunk {
            let event = place(i);
            let kind = if i.weight > VIEWED {
                EventKind::AddToCart
            } else {
                EventKind::ProductView
            };
            insert = insert
                .bind(kind.as_str())
                .bind(event.user)
                .bind(event.visitor)
                .bind(event.product)
                .bind(event.at);
        }
        insert.execute(db.writer()).await?;
    }
    Ok(())
}

/// What the first `visitors` simulated visitors of `seed` (in id order) put in their carts:
/// up to `each` products apiece, with when they first did, earliest first.
pub async fn carted(
    db: &Db,
    seed: u64,
    visitors: usize,
    each: usize,
) -> Result<Vec<Vec<(i64, i64)>>, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT visitor, product_id, MIN(created_at) FROM events \
         WHERE kind = {} AND visitor LIKE $1 AND product_id IS NOT NULL \
         GROUP BY visitor, product_id ORDER BY visitor, MIN(created_at), product_id",
        EventKind::AddToCart.sql()
    ))
    .bind(format!("{seed:016x}%"))
    .fetch_all(db.pool())
    .await?;
    let mut carts: Vec<Vec<(i64, i64)>> = Vec::new();
    let mut last: Option<String> = None;
    for (visitor, product, at) in rows {
        if last.as_ref() != Some(&visitor) {
            if carts.len() == visitors {
                break;
            }
            carts.push(Vec::new());
            last = Some(visitor);
        }
        if let Some(cart) = carts.last_mut().filter(|cart| cart.len() < each) {
            cart.push((product, at));
        }
    }
    Ok(carts)
}
