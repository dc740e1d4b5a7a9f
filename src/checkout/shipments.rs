//! Shipments: the parcels an order leaves in, each with its carrier, tracking number and the
//! units of each line in it. The order desk records them (`fulfilment::service::ship`); the order
//! page lists them with their tracking links.

use super::model::{ShipmentPlan, ShipmentView, ShippableLine, carrier_name, tracking_url};
use crate::platform::db::Db;

/// The lines of order `order` with the units shipped so far, in order.
pub async fn shippable(
    tx: &mut sqlx::AnyConnection,
    order: i64,
) -> Result<Vec<ShippableLine>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
        "SELECT l.position, l.title, l.quantity, \
             CAST(COALESCE((SELECT SUM(sl.quantity) FROM shipment_lines sl JOIN shipments s ON s.id = sl.shipment_id \
                 WHERE s.order_id = l.order_id AND sl.position = l.position), 0) AS BIGINT) \
         FROM order_lines l WHERE l.order_id = $1 ORDER BY l.position",
    )
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(position, title, quantity, shipped)| ShippableLine {
            position,
            title,
            quantity,
            shipped,
        })
        .collect())
}

/// Records the parcel `plan` of order `order`, sent by `by` (an admin; `None` for the demo
/// shop's past orders), in the caller's transaction.
pub async fn record(
    tx: &mut sqlx::AnyConnection,
    order: i64,
    plan: &ShipmentPlan,
    by: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO shipments (order_id, carrier, tracking, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(order)
    .bind(&plan.carrier)
    .bind(&plan.tracking)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (position, units) in &plan.lines {
        sqlx::query(
            "INSERT INTO shipment_lines (shipment_id, position, quantity) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(position)
        .bind(units)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The parcels of order `order`, oldest first.
pub async fn shipments_of(db: &Db, order: i64) -> Result<Vec<ShipmentView>, sqlx::Error> {
    let parcels: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, carrier, tracking, created_at FROM shipments WHERE order_id = $1 ORDER BY id",
    )
    .bind(order)
    .fetch_all(db.pool())
    .await?;
    let contents: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT sl.shipment_id, l.title, sl.quantity FROM shipment_lines sl \
         JOIN shipments s ON s.id = sl.shipment_id \
         JOIN order_lines l ON l.order_id = s.order_id AND l.position = sl.position \
         WHERE s.order_id = $1 ORDER BY sl.shipment_id, sl.position",
    )
    .bind(order)
    .fetch_all(db.pool())
    .await?;
    Ok(parcels
        .into_iter()
        .map(|(id, carrier, tracking, at)| ShipmentView {
            carrier: carrier_name(&carrier).to_owned(),
            tracking_url: tracking_url(&carrier, &tracking),
            tracking,
            lines: contents
                .iter()
                .filter(|(parcel, ..)| *parcel == id)
                .map(|(_, title, units)| (title.clone(), *units))
                .collect(),
            at,
        })
        .collect())
}
