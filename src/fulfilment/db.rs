//! Order desk queries: the list, one order with its history, and the order a status change
//! starts from (`service::change_status` moves it with `checkout::db::change_order`).

use super::api::{DeskOrder, DeskPage, DeskRow, ORDERS_PAGE_SIZE, StatusChange};
use crate::{
    checkout::{
        db::order as order_view,
        model::OrderStatus,
        refunds::{refundable, refunds_of},
        shipments::shippable,
    },
    platform::{
        db::{Db, contains_pattern},
        money::Money,
    },
    ui::{Page, offset},
};

fn status(text: &str) -> OrderStatus {
    // The column's foreign key admits only the statuses in order_statuses, which are these.
    OrderStatus::parse(text).unwrap_or(OrderStatus::PendingPayment)
}

pub async fn list(
    db: &Db,
    status_filter: Option<OrderStatus>,
    q: &str,
    page: i64,
) -> Result<DeskPage, sqlx::Error> {
    let text = q.to_lowercase();
    let conditions = "($1 = '' OR o.status = $1) \
         AND ($2 = '' OR o.number = $3 OR lower(u.email) LIKE $4 ESCAPE '\\' OR lower(u.name) LIKE $4 ESCAPE '\\')";
    let binds = (
        status_filter.map_or("", OrderStatus::as_str),
        text.as_str(),
        q.to_uppercase(),
        contains_pattern(&text),
    );
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM orders o JOIN users u ON u.id = o.user_id WHERE {conditions}"
    ))
    .bind(binds.0)
    .bind(binds.1)
    .bind(&binds.2)
    .bind(&binds.3)
    .fetch_one(db.pool())
    .await?;
    let rows: Vec<(String, String, String, String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT o.number, u.name, u.email, o.status, o.total_minor, \
             CAST((SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id) AS BIGINT), \
             o.created_at \
         FROM orders o JOIN users u ON u.id = o.user_id WHERE {conditions} \
         ORDER BY o.created_at DESC, o.id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(binds.0)
    .bind(binds.1)
    .bind(&binds.2)
    .bind(&binds.3)
    .bind(ORDERS_PAGE_SIZE)
    .bind(offset(page, ORDERS_PAGE_SIZE))
    .fetch_all(db.pool())
    .await?;
    let rows = rows
        .into_iter()
        .map(
            |(number, customer, email, state, total, items, created_at)| DeskRow {
                number,
                customer,
                email,
                status: status(&state),
                total: Money::from_minor(total).unwrap_or_default(),
                items,
                created_at,
            },
        )
        .collect();
    Ok(Page::new(rows, total, page, ORDERS_PAGE_SIZE))
}

pub async fn order(
    db: &Db,
    number: &str,
    return_days: i64,
) -> Result<Option<DeskOrder>, sqlx::Error> {
    let Some(order) = order_view(db, number, None, return_days).await? else {
        return Ok(None);
    };
    let (id, state, customer, email): (i64, String, String, String) = sqlx::query_as(
        "SELECT o.id, o.status, u.name, u.email FROM orders o JOIN users u ON u.id = o.user_id WHERE o.number = $1",
    )
    .bind(number)
    .fetch_one(db.pool())
    .await?;
    let history: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT c.from_status, c.to_status, u.name, c.created_at FROM order_status_changes c \
         LEFT JOIN users u ON u.id = c.changed_by WHERE c.order_id = $1 ORDER BY c.created_at, c.id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let refunds = refunds_of(db, id).await?;
    let mut conn = db.pool().acquire().await?;
    let (refundable, left) = match refundable(&mut conn, false, number).await? {
        Some(paid) if paid.open() => (paid.lines.clone(), paid.left()),
        _ => (Vec::new(), Money::default()),
    };
    let shippable = if status(&state).ships() {
        shippable(&mut conn, id).await?
    } else {
        Vec::new()
    };
    Ok(Some(DeskOrder {
        order,
        status: status(&state),
        customer,
        email,
        history: history
            .into_iter()
            .map(|(from, to, by, at)| StatusChange {
                from: status(&from),
                to: status(&to),
                by: by.unwrap_or_default(),
                at,
            })
            .collect(),
        refunds,
        refundable,
        left,
        shippable,
    }))
}

/// The order `number` as a status change sees it: its id, its customer and its status. With
/// `lock` (PostgreSQL only) its row stays locked until `tx` ends, for changes that read more of
/// the order before they write.
pub async fn order_for_change(
    tx: &mut sqlx::AnyConnection,
    number: &str,
    lock: bool,
) -> Result<Option<(i64, i64, OrderStatus)>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row: Option<(i64, i64, String)> = sqlx::query_as(&format!(
        "SELECT id, user_id, status FROM orders WHERE number = $1{lock}"
    ))
    .bind(number)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(|(id, user, current)| (id, user, status(&current))))
}

/// An order as the REST API gives it (`integrations::rest`); money in minor units.
#[derive(serde::Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct OrderRecord {
    pub id: i64,
    /// What the shopper sees (EM-7K3F-9QX2).
    pub number: String,
    pub status: String,
    pub email: String,
    pub subtotal_minor: i64,
    pub discount_minor: i64,
    pub shipping_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub refunded_minor: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The columns of an `OrderRecord`.
const ORDER_RECORD: &str = "SELECT o.id, o.number, o.status, u.email, o.subtotal_minor, \
     o.discount_minor, o.shipping_minor, o.tax_minor, o.total_minor, o.refunded_minor, \
     o.created_at, o.updated_at FROM orders o JOIN users u ON u.id = o.user_id";

/// Up to `limit` orders with ids above `after`, in id order, of one status when given.
pub async fn order_records(
    db: &Db,
    after: i64,
    limit: i64,
    status: Option<OrderStatus>,
) -> Result<Vec<OrderRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ORDER_RECORD} WHERE o.id > $1 AND ($2 = '' OR o.status = $2) ORDER BY o.id LIMIT $3"
    ))
    .bind(after)
    .bind(status.map_or("", OrderStatus::as_str))
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Order `id` as the REST API gives it.
pub async fn order_record(db: &Db, id: i64) -> Result<Option<OrderRecord>, sqlx::Error> {
    sqlx::query_as(&format!("{ORDER_RECORD} WHERE o.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await
}
