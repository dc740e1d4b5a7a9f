//! Analytics over days (UTC). A job rolls up each closed day once into `analytics_days` (see
//! migration 0036); a period's report reads the rollups of its rolled days and the orders and
//! events of the rest: today, and a day whose orders changed since it was rolled up.

use super::model::{
    Analytics, PERIODS, SearchCount, TopProduct, click_through, every_day, funnel, search_subject,
};
use crate::{
    checkout::model::SOLD_STATUSES,
    dates::DAY_MS,
    events::EventKind,
    platform::{
        db::{Db, values_list},
        money::Money,
    },
    recommendations::{self, model::Row},
};
use std::collections::HashMap;

/// The funnel's steps, in order, with their labels.
const FUNNEL: [(EventKind, &str); 4] = [
    (EventKind::ProductView, "Product views"),
    (EventKind::AddToCart, "Added to cart"),
    (EventKind::CheckoutStarted, "Checkouts started"),
    (EventKind::Purchase, "Purchases"),
];
/// Metrics of the rollups besides the funnel's event kinds and the recommendation events.
const SALES: &str = "sales";
const PRODUCT: &str = "product";
const SEARCH: &str = "search";
const UNFOUND: &str = "search_unfound";
/// A closed day is rolled up this long after it ends, when no write of it is still under way.
const GRACE_MS: i64 = 10 * 60 * 1000;
/// Rows in each top-N list on the page.
pub const TOP: usize = 10;

/// A count (and money, net of refunds) of one thing on one day: a rollup's row.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Fact {
    pub day: i64,
    pub metric: String,
    pub subject: String,
    pub count: i64,
    pub amount: i64,
}

/// The report over the last `days` days up to `now`'s; each list of products and searches is
/// cut to its `limit` first (all of them without one).
pub async fn analytics(
    db: &Db,
    days: i64,
    now: i64,
    limit: Option<usize>,
) -> Result<Analytics, sqlx::Error> {
    let today = now.div_euclid(DAY_MS);
    let first_day = today - days + 1;
    let rolled = rolled_days(db, first_day, today).await?;
    let unrolled: Vec<i64> = (first_day..=today)
        .filter(|day| !rolled.contains(day))
        .collect();
    let mut live = Vec::new();
    // Each run of days in a row not rolled up is read at once.
    for run in unrolled.chunk_by(|a, b| b - a == 1) {
        live.extend(live_facts(db, run[0], run[run.len() - 1]).await?);
    }
    let unrolled: Vec<String> = unrolled.iter().map(i64::to_string).collect();
    let rolled_only = if unrolled.is_empty() {
        String::new()
    } else {
        format!(" AND day NOT IN ({})", unrolled.join(", "))
    };
    let period = Period {
        db,
        first_day,
        today,
        rolled_only: &rolled_only,
        live: &live,
    };
    let mut daily: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT day, count, amount FROM analytics_days \
         WHERE metric = '{SALES}' AND day BETWEEN $1 AND $2{rolled_only}"
    ))
    .bind(first_day)
    .bind(today)
    .fetch_all(db.pool())
    .await?;
    daily.extend(
        live.iter()
            .filter(|f| f.metric == SALES)
            .map(|f| (f.day, f.count, f.amount)),
    );
    let (orders, revenue) = daily
        .iter()
        .fold((0, 0), |(n, sum), &(_, o, r)| (n + o, sum + r));
    let counts = period.counts().await?;
    let count = |metric: &str, subject: &str| {
        counts
            .get(&(metric.to_owned(), subject.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    let recommendations: Vec<(Row, bool, i64)> = Row::ALL
        .into_iter()
        .flat_map(|row| {
            [
                (row, true, EventKind::RecommendationShown),
                (row, false, EventKind::RecommendationClicked),
            ]
        })
        .map(|(row, shown, kind)| (row, shown, count(kind.as_str(), row.as_str())))
        .collect();
    let searches = |ranked: Vec<(String, i64, i64)>| -> Vec<SearchCount> {
        ranked
            .into_iter()
            .map(|(query, count, _)| SearchCount { query, count })
            .collect()
    };
    let money = |minor: i64| Money::from_minor(minor).unwrap_or_default();
    Ok(Analytics {
        days,
        orders,
        revenue: money(revenue),
        average_order: money(if orders > 0 { revenue / orders } else { 0 }),
        by_day: every_day(first_day, today, &daily),
        top_products: period
            .ranked(PRODUCT, limit)
            .await?
            .into_iter()
            .map(|(title, units, revenue)| TopProduct {
                title,
                units,
                revenue: money(revenue),
            })
            .collect(),
        funnel: funnel(&FUNNEL.map(|(kind, label)| (label, count(kind.as_str(), "")))),
        top_searches: searches(period.ranked(SEARCH, limit).await?),
        unfound_searches: searches(period.ranked(UNFOUND, limit).await?),
        recommendations: click_through(&recommendations),
        last_build: recommendations::db::last_build(db).await?,
    })
}

/// The rolled-up days of `first..=last` whose orders have not changed since.
async fn rolled_days(db: &Db, first: i64, last: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT r.day FROM analytics_rolled r LEFT JOIN analytics_changes c ON c.day = r.day \
         WHERE r.day BETWEEN $1 AND $2 AND r.version = COALESCE(c.version, 0)",
    )
    .bind(first)
    .bind(last)
    .fetch_all(db.pool())
    .await
}

/// A period being read: its rolled days through `rolled_only` (the SQL that leaves the others
/// out), the others' facts in `live`.
struct Period<'a> {
    db: &'a Db,
    first_day: i64,
    today: i64,
    rolled_only: &'a str,
    live: &'a [Fact],
}

impl Period<'_> {
    /// The funnel's and the recommendations' counts, by metric and subject.
    async fn counts(&self) -> Result<HashMap<(String, String), i64>, sqlx::Error> {
        let kinds: Vec<EventKind> = FUNNEL
            .map(|(kind, _)| kind)
            .into_iter()
            .chain([
                EventKind::RecommendationShown,
                EventKind::RecommendationClicked,
            ])
            .collect();
        let rows: Vec<(String, String, i64)> = sqlx::query_as(&format!(
            "SELECT metric, subject, CAST(SUM(count) AS BIGINT) FROM analytics_days \
             WHERE metric IN {} AND day BETWEEN $1 AND $2{} GROUP BY metric, subject",
            EventKind::sql_list(&kinds),
            self.rolled_only
        ))
        .bind(self.first_day)
        .bind(self.today)
        .fetch_all(self.db.pool())
        .await?;
        let mut counts = HashMap::new();
        let live = self
            .live
            .iter()
            .map(|f| (f.metric.clone(), f.subject.clone(), f.count));
        for (metric, subject, n) in rows.into_iter().chain(live) {
            *counts.entry((metric, subject)).or_default() += n;
        }
        Ok(counts)
    }

    /// The subjects of `metric` with their count and amount over the period, most counted
    /// first (then most money, then by name), the first `limit` of them (exactly: a subject
    /// the live days lift past others is found too).
    async fn ranked(
        &self,
        metric: &str,
        limit: Option<usize>,
    ) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
        let live: Vec<&Fact> = self.live.iter().filter(|f| f.metric == metric).collect();
        let sums = format!(
            "SELECT subject, CAST(SUM(count) AS BIGINT), CAST(SUM(amount) AS BIGINT) \
             FROM analytics_days WHERE metric = $1 AND day BETWEEN $2 AND $3{}",
            self.rolled_only
        );
        let cut = limit.map_or(String::new(), |n| {
            format!(" ORDER BY SUM(count) DESC, SUM(amount) DESC, subject LIMIT {n}")
        });
        let mut rows = self
            .rows(metric, &format!("{sums} GROUP BY subject{cut}"))
            .await?;
        let mut live_counts: HashMap<&str, i64> = HashMap::new();
        for fact in &live {
            *live_counts.entry(&fact.subject).or_default() += fact.count;
        }
        if let (Some(n), Some(most_live)) = (limit, live_counts.values().max()) {
            // A subject past the rollups' first `n` makes the list only with live counts that
            // lift it to the `n`th's: those with at least that count less the most any live one
            // has are all there can be.
            if let Some((_, least, _)) = rows.get(n.saturating_sub(1)) {
                let sql = format!(
                    "{sums} GROUP BY subject HAVING SUM(count) >= {}",
                    least - most_live
                );
                rows = self.rows(metric, &sql).await?;
            }
        }
        let mut totals: HashMap<String, (i64, i64)> = rows
            .into_iter()
            .map(|(subject, count, amount)| (subject, (count, amount)))
            .collect();
        for fact in live {
            let total = totals.entry(fact.subject.clone()).or_default();
            *total = (total.0 + fact.count, total.1 + fact.amount);
        }
        let mut ranked: Vec<(String, i64, i64)> = totals
            .into_iter()
            .map(|(subject, (count, amount))| (subject, count, amount))
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        if let Some(n) = limit {
            ranked.truncate(n);
        }
        Ok(ranked)
    }

    async fn rows(&self, metric: &str, sql: &str) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
        sqlx::query_as(sql)
            .bind(metric)
            .bind(self.first_day)
            .bind(self.today)
            .fetch_all(self.db.pool())
            .await
    }
}

/// The facts of the days `first..=last`, from the orders and events themselves.
async fn live_facts(db: &Db, first: i64, last: i64) -> Result<Vec<Fact>, sqlx::Error> {
    let (from, to) = (first * DAY_MS, (last + 1) * DAY_MS);
    let in_range = "o.created_at >= $1 AND o.created_at < $2";
    let sold = format!("o.status IN {SOLD_STATUSES} AND {in_range}");
    // The units refunds (those not failed) gave back, by order line: a product's revenue is
    // what its units still sold paid, before tax.
    let refunded = format!(
        "SELECT f.order_id, rl.position, SUM(rl.quantity) AS quantity \
         FROM refund_lines rl JOIN refunds f ON f.id = rl.refund_id JOIN orders o ON o.id = f.order_id \
         WHERE f.status <> 'failed' AND {sold} GROUP BY f.order_id, rl.position"
    );
    let queries = [
        format!(
            "SELECT o.created_at / {DAY_MS} AS day, '{SALES}' AS metric, '' AS subject, COUNT(*) AS count, \
                 CAST(SUM(o.total_minor - o.refunded_minor) AS BIGINT) AS amount \
             FROM orders o WHERE {sold} GROUP BY o.created_at / {DAY_MS}"
        ),
        format!(
            "SELECT o.created_at / {DAY_MS} AS day, '{PRODUCT}' AS metric, l.title AS subject, \
                 CAST(SUM(l.quantity - COALESCE(r.quantity, 0)) AS BIGINT) AS count, \
                 CAST(SUM((l.quantity * l.unit_price_minor - l.discount_minor) \
                     * (l.quantity - COALESCE(r.quantity, 0)) / l.quantity) AS BIGINT) AS amount \
             FROM order_lines l JOIN orders o ON o.id = l.order_id \
             LEFT JOIN ({refunded}) r ON r.order_id = l.order_id AND r.position = l.position \
             WHERE {sold} GROUP BY o.created_at / {DAY_MS}, l.title"
        ),
        format!(
            "SELECT o.created_at / {DAY_MS} AS day, o.kind AS metric, '' AS subject, COUNT(*) AS count, \
                 CAST(0 AS BIGINT) AS amount \
             FROM events o WHERE o.kind IN {} AND {in_range} GROUP BY o.created_at / {DAY_MS}, o.kind",
            EventKind::sql_list(&FUNNEL.map(|(kind, _)| kind))
        ),
    ];
    let mut facts = Vec::new();
    for sql in queries {
        facts.extend(
            sqlx::query_as::<_, Fact>(&sql)
                .bind(from)
                .bind(to)
                .fetch_all(db.pool())
                .await?,
        );
    }
    // Searches and recommendations name their subject in the payload.
    let named = [
        EventKind::Search,
        EventKind::RecommendationShown,
        EventKind::RecommendationClicked,
    ];
    let events: Vec<(i64, String, String)> = sqlx::query_as(&format!(
        "SELECT created_at, kind, payload FROM events \
         WHERE kind IN {} AND created_at >= $1 AND created_at < $2",
        EventKind::sql_list(&named)
    ))
    .bind(from)
    .bind(to)
    .fetch_all(db.pool())
    .await?;
    let mut counts: HashMap<(i64, &str, String), i64> = HashMap::new();
    for (at, kind, payload) in &events {
        let Ok(payload) = serde_json::from_str::<serde_json::Value>(payload) else {
            continue;
        };
        let day = at.div_euclid(DAY_MS);
        if kind == EventKind::Search.as_str() {
            let Some(query) = payload["query"].as_str().and_then(search_subject) else {
                continue;
            };
            if payload["results"].as_i64() == Some(0) {
                *counts.entry((day, UNFOUND, query.clone())).or_default() += 1;
            }
            *counts.entry((day, SEARCH, query)).or_default() += 1;
        } else if let Some(row) = payload["row"].as_str().and_then(Row::parse) {
            *counts
                .entry((day, kind, row.as_str().to_owned()))
                .or_default() += 1;
        }
    }
    facts.extend(
        counts
            .into_iter()
            .map(|((day, metric, subject), count)| Fact {
                day,
                metric: metric.to_owned(),
                subject,
                count,
                amount: 0,
            }),
    );
    Ok(facts)
}

/// Rolls up each closed day of the longest period that is not rolled up yet, or whose orders
/// changed since; returns how many. A day's version is read before its facts, so a change
/// made meanwhile leaves the day to be read live and rolled up again.
pub async fn roll_up(db: &Db, now: i64) -> Result<usize, sqlx::Error> {
    let last = (now - GRACE_MS).div_euclid(DAY_MS) - 1;
    let first = now.div_euclid(DAY_MS) - PERIODS.iter().max().copied().unwrap_or(90) + 1;
    let versions_in = |table: &'static str| async move {
        sqlx::query_as(&format!(
            "SELECT day, version FROM {table} WHERE day BETWEEN $1 AND $2"
        ))
        .bind(first)
        .bind(last)
        .fetch_all(db.pool())
        .await
        .map(|rows: Vec<(i64, i64)>| rows.into_iter().collect::<HashMap<i64, i64>>())
    };
    let rolled = versions_in("analytics_rolled").await?;
    let versions = versions_in("analytics_changes").await?;
    let mut done = 0;
    for day in first..=last {
        let version = versions.get(&day).copied().unwrap_or(0);
        if rolled.get(&day) == Some(&version) {
            continue;
        }
        let facts = live_facts(db, day, day).await?;
        let mut tx = db.begin_write().await?;
        sqlx::query("DELETE FROM analytics_days WHERE day = $1")
            .bind(day)
            .execute(&mut *tx)
            .await?;
        for chunk in facts.chunks(1_000) {
            let sql = format!(
                "INSERT INTO analytics_days (day, metric, subject, count, amount) VALUES {}",
                values_list(chunk.len(), "(?, ?, ?, ?, ?)")
            );
            let mut insert = sqlx::query(&sql);
            for fact in chunk {
                insert = insert
                    .bind(fact.day)
                    .bind(&fact.metric)
                    .bind(&fact.subject)
                    .bind(fact.count)
                    .bind(fact.amount);
            }
            insert.execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO analytics_rolled (day, version, rolled_at) VALUES ($1, $2, $3) \
             ON CONFLICT (day) DO UPDATE SET version = excluded.version, rolled_at = excluded.rolled_at",
        )
        .bind(day)
        .bind(version)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        done += 1;
    }
    Ok(done)
}
