//! Analytics queries: sales from orders, behaviour from events, over the last `days` days.

use super::model::{
    Analytics, DAY_MS, RowClicks, TopProduct, click_through, every_day, funnel, tally_searches,
};
use crate::{
    checkout::model::SOLD_STATUSES,
    events::EventKind,
    platform::{
        db::{Db, now_ms},
        money::Money,
    },
    recommendations::{self, model::Row},
};

/// The funnel's steps, in order.
const FUNNEL: [EventKind; 4] = [
    EventKind::ProductView,
    EventKind::AddToCart,
    EventKind::CheckoutStarted,
    EventKind::Purchase,
];
/// Search events read at most, newest first, to rank queries.
const SEARCHES_READ: i64 = 20_000;
/// Rows in each top-N list.
const TOP: usize = 10;

pub async fn analytics(db: &Db, days: i64) -> Result<Analytics, sqlx::Error> {
    let now = now_ms();
    let today = now.div_euclid(DAY_MS);
    let first_day = today - days + 1;
    let since = first_day * DAY_MS;

    let (orders, revenue): (i64, i64) = sqlx::query_as(&format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(o.total_minor - o.refunded_minor), 0) AS BIGINT) FROM orders o \
         WHERE o.status IN {SOLD_STATUSES} AND o.created_at >= $1"
    ))
    .bind(since)
    .fetch_one(db.pool())
    .await?;
    let daily: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT o.created_at / {DAY_MS} AS day, COUNT(*), CAST(SUM(o.total_minor - o.refunded_minor) AS BIGINT) \
         FROM orders o WHERE o.status IN {SOLD_STATUSES} AND o.created_at >= $1 GROUP BY o.created_at / {DAY_MS}"
    ))
    .bind(since)
    .fetch_all(db.pool())
    .await?;
    let top: Vec<(String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT l.title, CAST(SUM(l.quantity) AS BIGINT) AS units, \
             CAST(SUM(l.quantity * l.unit_price_minor) AS BIGINT) AS revenue \
         FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE o.status IN {SOLD_STATUSES} AND o.created_at >= $1 \
         GROUP BY l.title ORDER BY units DESC, revenue DESC, l.title LIMIT $2"
    ))
    .bind(since)
    .bind(i64::try_from(TOP).unwrap_or(10))
    .fetch_all(db.pool())
    .await?;
    let kinds: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT kind, COUNT(*) FROM events WHERE created_at >= $1 AND kind IN {} GROUP BY kind",
        EventKind::sql_list(&FUNNEL)
    ))
    .bind(since)
    .fetch_all(db.pool())
    .await?;
    let count = |kind: EventKind| {
        kinds
            .iter()
            .find(|(k, _)| k == kind.as_str())
            .map_or(0, |(_, n)| *n)
    };
    let payloads: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT payload FROM events WHERE kind = {} AND created_at >= $1 \
         ORDER BY created_at DESC LIMIT $2",
        EventKind::Search.sql()
    ))
    .bind(since)
    .bind(SEARCHES_READ)
    .fetch_all(db.pool())
    .await?;
    let searches = payloads.iter().filter_map(|payload| {
        let value: serde_json::Value = serde_json::from_str(payload).ok()?;
        Some((
            value["query"].as_str()?.to_owned(),
            value["results"].as_i64().unwrap_or(0),
        ))
    });
    let (top_searches, unfound_searches) = tally_searches(searches, TOP);

    let money = |minor: i64| Money::from_minor(minor).unwrap_or_default();
    let recommendations = recommendation_clicks(db, since).await?;
    let last_build = recommendations::db::last_build(db).await?;
    Ok(Analytics {
        days,
        orders,
        revenue: money(revenue),
        average_order: money(if orders > 0 { revenue / orders } else { 0 }),
        by_day: every_day(first_day, today, &daily),
        top_products: top
            .into_iter()
            .map(|(title, units, revenue)| TopProduct {
                title,
                units,
                revenue: money(revenue),
            })
            .collect(),
        funnel: funnel(&[
            ("Product views", count(EventKind::ProductView)),
            ("Added to cart", count(EventKind::AddToCart)),
            ("Checkouts started", count(EventKind::CheckoutStarted)),
            ("Purchases", count(EventKind::Purchase)),
        ]),
        top_searches,
        unfound_searches,
        recommendations,
        last_build,
    })
}

/// Each recommendation row's showings and clicks since `since`.
async fn recommendation_clicks(db: &Db, since: i64) -> Result<Vec<RowClicks>, sqlx::Error> {
    let shown = EventKind::RecommendationShown;
    let counts: Vec<(String, String, i64)> = sqlx::query_as(&format!(
        "SELECT kind, payload, COUNT(*) FROM events \
         WHERE created_at >= $1 AND kind IN {} GROUP BY kind, payload",
        EventKind::sql_list(&[shown, EventKind::RecommendationClicked])
    ))
    .bind(since)
    .fetch_all(db.pool())
    .await?;
    let counts: Vec<(Row, bool, i64)> = counts
        .into_iter()
        .filter_map(|(kind, payload, n)| {
            let payload: serde_json::Value = serde_json::from_str(&payload).ok()?;
            let row = Row::parse(payload["row"].as_str()?)?;
            Some((row, kind == shown.as_str(), n))
        })
        .collect();
    Ok(click_through(&counts))
}
