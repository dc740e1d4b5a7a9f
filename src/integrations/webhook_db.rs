//! Webhook queries: endpoints, the events waiting to go out, and deliveries.

use super::model::{DeliveryState, DeliveryView, WebhookView};
use crate::{
    catalog::db::LOW_STOCK,
    platform::{
        audit::{self, Entry},
        db::Db,
    },
    webhooks::{self, EventKind, kinds_of},
};

/// An endpoint's columns, with how many of its deliveries wait and how many were given up.
const ENDPOINT: &str = "SELECT e.id, e.url, e.events, e.active, e.created_at, \
     (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id \
         AND d.next_attempt_at IS NOT NULL) AS pending, \
     (SELECT COUNT(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id \
         AND d.next_attempt_at IS NULL AND d.delivered_at IS NULL) AS failed \
     FROM webhook_endpoints e";

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: i64,
    url: String,
    events: String,
    active: i64,
    created_at: i64,
    pending: i64,
    failed: i64,
}

impl From<EndpointRow> for WebhookView {
    fn from(row: EndpointRow) -> Self {
        Self {
            id: row.id,
            url: row.url,
            events: kinds_of(&row.events),
            active: row.active == 1,
            created_at: row.created_at,
            pending: row.pending,
            failed: row.failed,
        }
    }
}

pub async fn insert_endpoint(
    tx: &mut sqlx::AnyConnection,
    url: &str,
    events: &[EventKind],
    secret: &str,
    by: Option<i64>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO webhook_endpoints (url, events, secret, active, created_by, created_at) \
         VALUES ($1, $2, $3, 1, $4, $5) RETURNING id",
    )
    .bind(url)
    .bind(webhooks::events_column(events))
    .bind(secret)
    .bind(by)
    .bind(now)
    .fetch_one(tx)
    .await
}

pub async fn count_endpoints(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints")
        .fetch_one(db.pool())
        .await
}

/// Every endpoint, newest first.
pub async fn endpoints(db: &Db) -> Result<Vec<WebhookView>, sqlx::Error> {
    let rows: Vec<EndpointRow> = sqlx::query_as(&format!("{ENDPOINT} ORDER BY e.id DESC"))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(WebhookView::from).collect())
}

pub async fn endpoint(db: &Db, id: i64) -> Result<Option<WebhookView>, sqlx::Error> {
    let row: Option<EndpointRow> = sqlx::query_as(&format!("{ENDPOINT} WHERE e.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(WebhookView::from))
}

/// Pauses or resumes an endpoint, logging `entry`. False when there is no such endpoint.
pub async fn set_active(
    db: &Db,
    id: i64,
    active: bool,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let change = sqlx::query("UPDATE webhook_endpoints SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(id);
    audit::change_one(db, change, entry).await
}

/// Deletes an endpoint with its deliveries, logging `entry`. False when there is no such
/// endpoint.
pub async fn delete_endpoint(db: &Db, id: i64, entry: &Entry) -> Result<bool, sqlx::Error> {
    let change = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1").bind(id);
    audit::change_one(db, change, entry).await
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    event: String,
    kind: String,
    created_at: i64,
    attempts: i64,
    next_attempt_at: Option<i64>,
    delivered_at: Option<i64>,
    last_status: Option<i64>,
    last_error: String,
}

/// Endpoint `endpoint`'s newest `limit` deliveries, newest first.
pub async fn deliveries(
    db: &Db,
    endpoint: i64,
    limit: i64,
) -> Result<Vec<DeliveryView>, sqlx::Error> {
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT id, event, kind, created_at, attempts, next_attempt_at, delivered_at, \
             last_status, last_error \
         FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(endpoint)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| DeliveryView {
            id: row.id,
            event: row.event,
            kind: row.kind,
            created_at: row.created_at,
            attempts: row.attempts,
            state: match (row.delivered_at, row.next_attempt_at) {
                (Some(_), _) => DeliveryState::Delivered,
                (None, Some(_)) => DeliveryState::Pending,
                (None, None) => DeliveryState::GivenUp,
            },
            next_attempt_at: row.next_attempt_at,
            delivered_at: row.delivered_at,
            last_status: row.last_status,
            last_error: row.last_error,
        })
        .collect())
}

/// Queues a copy of delivery `id` of endpoint `endpoint` (the same event and body), due at
/// `now`, logging `entry`. False when that endpoint has no such delivery.
pub async fn resend(
    db: &Db,
    endpoint: i64,
    id: i64,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let change = sqlx::query(
        "INSERT INTO webhook_deliveries (endpoint_id, event, kind, payload, created_at, \
             attempts, next_attempt_at, last_error) \
         SELECT endpoint_id, event, kind, payload, $1, 0, $1, '' FROM webhook_deliveries \
         WHERE id = $2 AND endpoint_id = $3",
    )
    .bind(now)
    .bind(id)
    .bind(endpoint);
    audit::change_one(db, change, entry).await
}

/// True when an active endpoint wants `kind`.
pub async fn wanted(db: &Db, kind: EventKind) -> Result<bool, sqlx::Error> {
    let endpoints: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_endpoints WHERE active = 1 AND events LIKE $1",
    )
    .bind(webhooks::subscribed(kind))
    .fetch_one(db.pool())
    .await?;
    Ok(endpoints > 0)
}

/// Notes the variants that are low now and were not at the last look, and returns them.
pub async fn newly_low(
    tx: &mut sqlx::AnyConnection,
    threshold: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let low: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT v.id {LOW_STOCK} AND NOT EXISTS \
             (SELECT 1 FROM webhook_low_stock w WHERE w.variant_id = v.id) ORDER BY v.id"
    ))
    .bind(threshold)
    .fetch_all(&mut *tx)
    .await?;
    for id in &low {
        sqlx::query("INSERT INTO webhook_low_stock (variant_id) VALUES ($1)")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(low)
}

/// Forgets the variants that are no longer low (restocked, off sale or deleted), so each can
/// be announced again when it falls.
pub async fn forget_restocked(
    tx: &mut sqlx::AnyConnection,
    threshold: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "DELETE FROM webhook_low_stock WHERE variant_id NOT IN (SELECT v.id {LOW_STOCK})"
    ))
    .bind(threshold)
    .execute(tx)
    .await?;
    Ok(())
}

/// Forgets every variant noted low (while no endpoint wants `inventory.low`).
pub async fn forget_low(db: &Db) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM webhook_low_stock")
        .execute(db.writer())
        .await?;
    Ok(())
}

/// An event waiting to be turned into deliveries.
#[derive(sqlx::FromRow)]
pub struct Waiting {
    pub id: i64,
    pub uid: String,
    pub kind: String,
    pub subject: i64,
    pub created_at: i64,
}

/// The oldest `limit` events waiting.
pub async fn waiting(db: &Db, limit: i64) -> Result<Vec<Waiting>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, uid, kind, subject, created_at FROM webhook_events ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Takes `event` off the waiting list and, given its kind and body, queues it for every active
/// endpoint that wants that kind (given none, nothing is sent), in one transaction. Returns how
/// many deliveries it made.
pub async fn dispatch(
    db: &Db,
    event: &Waiting,
    body: Option<(EventKind, &str)>,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let taken = sqlx::query("DELETE FROM webhook_events WHERE id = $1")
        .bind(event.id)
        .execute(&mut *tx)
        .await?;
    let mut queued = 0;
    if let Some((kind, payload)) = body.filter(|_| taken.rows_affected() == 1) {
        queued = sqlx::query(
            "INSERT INTO webhook_deliveries (endpoint_id, event, kind, payload, created_at, \
                 attempts, next_attempt_at, last_error) \
             SELECT id, $1, $2, $3, $4, 0, $4, '' FROM webhook_endpoints \
             WHERE active = 1 AND events LIKE $5",
        )
        .bind(&event.uid)
        .bind(kind.as_str())
        .bind(payload)
        .bind(now)
        .bind(webhooks::subscribed(kind))
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    tx.commit().await?;
    Ok(queued)
}

/// A delivery that is due, with where it goes.
#[derive(sqlx::FromRow)]
pub struct Due {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
}

/// The oldest `limit` deliveries due at `now` to active endpoints.
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.id, e.url, e.secret, d.kind, d.payload, d.attempts, d.next_attempt_at \
         FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE d.next_attempt_at <= $1 AND e.active = 1 ORDER BY d.next_attempt_at, d.id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Claims delivery `due` for an attempt until `until`, counting the attempt, unless someone
/// else claimed it since it was read. True when this caller holds it.
pub async fn claim(db: &Db, due: &Due, until: i64) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE webhook_deliveries SET next_attempt_at = $1, attempts = attempts + 1 \
         WHERE id = $2 AND next_attempt_at = $3",
    )
    .bind(until)
    .bind(due.id)
    .bind(due.next_attempt_at)
    .execute(db.writer())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Notes an attempt's answer: delivered at `delivered_at`, or else tried `next_attempt_at`
/// (None: given up), with the status that came and what went wrong.
pub async fn attempted(
    db: &Db,
    id: i64,
    status: Option<u16>,
    delivered_at: Option<i64>,
    next_attempt_at: Option<i64>,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_deliveries SET last_status = $1, delivered_at = $2, \
             next_attempt_at = $3, last_error = $4 WHERE id = $5",
    )
    .bind(status.map(i64::from))
    .bind(delivered_at)
    .bind(next_attempt_at)
    .bind(error)
    .bind(id)
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Deletes finished deliveries made before `before`; returns how many.
pub async fn forget_finished(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query(
        "DELETE FROM webhook_deliveries WHERE next_attempt_at IS NULL AND created_at < $1",
    )
    .bind(before)
    .execute(db.writer())
    .await?;
    Ok(deleted.rows_affected())
}
