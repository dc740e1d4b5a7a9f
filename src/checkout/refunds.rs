//! Refunds: money given back on a paid order through the gateway that took it.
//!
//! A refund is recorded first (`pending`, with the units it gives back, and the amount added to
//! `orders.refunded_minor` under a condition that it never passes the total), in one
//! transaction with the order locked; then the gateway is asked, with the refund's id as the
//! idempotency key; then its answer is settled once, whoever tells first (the answer itself or
//! a webhook). A refund that succeeds gets a credit note number, puts its units back in stock
//! when asked to, closes the order as `refunded` when nothing is left, tells the shopper, and
//! raises `order.refunded` for webhooks. One that fails gives its amount back to what can be
//! refunded. One the gateway could not be asked about stays pending and can be sent again with
//! the same key.

use super::{
    db::{change_order, next_document_number, put_back},
    model::{OrderStatus, PaidLine, RefundForm, RefundPlan, RefundRow, tax_shares},
    payment::{RefundOutcome, RefundRequest, gateway},
};
use crate::{
    error::AppError,
    notifications::db::{EmailKind, OrderMessage, notify_order},
    platform::{
        audit::Entry,
        db::{Backend, now_ms},
        money::Money,
        state::AppState,
    },
    webhooks::{self, EventKind},
};

/// The units of order line `l` (an `order_lines` row) given back by refunds that have not
/// failed, as an SQL expression: what refunds and returns both count as refunded.
pub const REFUNDED_UNITS: &str = "CAST(COALESCE((SELECT SUM(rl.quantity) FROM refund_lines rl \
     JOIN refunds r ON r.id = rl.refund_id \
     WHERE r.order_id = l.order_id AND rl.position = l.position AND r.status <> 'failed'), 0) AS BIGINT)";

/// A paid order as a refund sees it.
pub struct Refundable {
    pub id: i64,
    pub status: OrderStatus,
    pub total: Money,
    pub refunded: Money,
    pub lines: Vec<PaidLine>,
    /// The gateway and reference of the payment that succeeded.
    pub payment: Option<(String, String)>,
}

impl Refundable {
    /// What can still be given back.
    pub fn left(&self) -> Money {
        Money::from_minor(self.total.minor() - self.refunded.minor()).unwrap_or_default()
    }

    /// True when money can be given back: the order was paid (and perhaps cancelled since) and
    /// not all of it has been.
    pub fn open(&self) -> bool {
        (self.status.is_sold() || self.status == OrderStatus::Cancelled)
            && self.payment.is_some()
            && self.left() > Money::default()
    }
}

fn money(minor: i64) -> Money {
    Money::from_minor(minor).unwrap_or_default()
}

/// The order `number` as a refund sees it. With `lock` (PostgreSQL only) its row stays locked
/// until `tx` ends, so refunds of one order are worked out one at a time (SQLite's write
/// transactions already are).
pub async fn refundable(
    tx: &mut sqlx::AnyConnection,
    lock: bool,
    number: &str,
) -> Result<Option<Refundable>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row: Option<(i64, String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT id, status, total_minor, refunded_minor, tax_minor FROM orders WHERE number = $1{lock}"
    ))
    .bind(number)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, status, total, refunded, tax)) = row else {
        return Ok(None);
    };
    let rows: Vec<(i64, String, i64, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT l.position, l.title, l.quantity, l.unit_price_minor, l.discount_minor, {REFUNDED_UNITS} \
         FROM order_lines l WHERE l.order_id = $1 ORDER BY l.position"
    ))
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let nets: Vec<i64> = rows
        .iter()
        .map(|(_, _, quantity, price, discount, _)| quantity * price - discount)
        .collect();
    let shares = tax_shares(money(tax), &nets);
    let lines = rows
        .into_iter()
        .zip(nets.iter().zip(shares))
        .map(
            |((position, title, quantity, _, _, refunded), (net, share))| PaidLine {
                position,
                title,
                quantity,
                refunded,
                paid: money(net + share),
            },
        )
        .collect();
    let payment: Option<(String, String)> = sqlx::query_as(
        "SELECT provider, reference FROM payments WHERE order_id = $1 AND status = 'succeeded' \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(Some(Refundable {
        id,
        status: OrderStatus::parse(&status).unwrap_or(OrderStatus::Paid),
        total: money(total),
        refunded: money(refunded),
        lines,
        payment,
    }))
}

/// Records the refund `plan` of `order` as pending, in the caller's transaction. Returns its
/// id, or None when there is nothing to give back (an order that cost nothing).
pub async fn record(
    tx: &mut sqlx::AnyConnection,
    order: &Refundable,
    plan: &RefundPlan,
    by: Option<i64>,
    now: i64,
) -> Result<Option<i64>, AppError> {
    if plan.amount == Money::default() {
        return Ok(None);
    }
    let Some((provider, _)) = &order.payment else {
        return Err(AppError::Conflict(
            "This order has no payment to refund.".into(),
        ));
    };
    let raised = sqlx::query(
        "UPDATE orders SET refunded_minor = refunded_minor + $1 \
         WHERE id = $2 AND refunded_minor + $1 <= total_minor",
    )
    .bind(plan.amount.minor())
    .bind(order.id)
    .execute(&mut *tx)
    .await?;
    if raised.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "This order was refunded a moment ago. Reload it to see what is left.".into(),
        ));
    }
    super::db::day_changed(tx, order.id, now).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO refunds (order_id, amount_minor, restock, reason, status, provider, created_by, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) RETURNING id",
    )
    .bind(order.id)
    .bind(plan.amount.minor())
    .bind(i64::from(plan.restock))
    .bind(&plan.reason)
    .bind(provider)
    .bind(by)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (position, units, amount) in &plan.lines {
        sqlx::query(
            "INSERT INTO refund_lines (refund_id, position, quantity, amount_minor) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(position)
        .bind(units)
        .bind(amount.minor())
        .execute(&mut *tx)
        .await?;
    }
    Ok(Some(id))
}

/// Asks the gateway to make the pending refund `id` (again: the idempotency key is the
/// refund's own, so a second request never refunds twice) and settles its answer.
pub async fn send(state: &AppState, id: i64) -> Result<RefundOutcome, AppError> {
    let pending: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT r.amount_minor, r.provider, \
             (SELECT p.reference FROM payments p WHERE p.order_id = r.order_id AND p.status = 'succeeded' \
              ORDER BY p.id DESC LIMIT 1) \
         FROM refunds r WHERE r.id = $1 AND r.status = 'pending'",
    )
    .bind(id)
    .fetch_optional(state.db.pool())
    .await?;
    let (amount, provider, charge) = pending.ok_or(AppError::NotFound)?;
    if provider != gateway(state).name() {
        return Err(AppError::Conflict(format!(
            "This order was paid through “{provider}”, which the shop no longer uses: refund it there."
        )));
    }
    let outcome = gateway(state)
        .refund(RefundRequest {
            charge: &charge,
            amount: money(amount),
            refund: id,
            idempotency_key: format!("refund-{id}"),
        })
        .await
        .map_err(|error| {
            tracing::warn!(%error, refund = id, "refunding failed");
            AppError::Unavailable(
                "We couldn't reach the payment service. The refund is waiting; try sending it again."
                    .into(),
            )
        })?;
    settle(state, id, &outcome).await?;
    Ok(outcome)
}

/// Settles what a gateway's webhook says about a refund: found by the shop's id in its
/// metadata (`refund`), or else by the gateway's reference.
pub async fn settle_refund(
    state: &AppState,
    ours: Option<i64>,
    outcome: &RefundOutcome,
) -> Result<(), AppError> {
    let reference = match outcome {
        RefundOutcome::Succeeded { reference }
        | RefundOutcome::Pending { reference }
        | RefundOutcome::Failed { reference, .. } => reference,
    };
    let id = match ours {
        Some(id) => Some(id),
        None => {
            sqlx::query_scalar("SELECT id FROM refunds WHERE reference = $1")
                .bind(reference)
                .fetch_optional(state.db.pool())
                .await?
        }
    };
    match id {
        Some(id) => settle(state, id, outcome).await,
        None => Ok(()),
    }
}

/// Settles refund `id` with the gateway's answer, once: later answers for a settled refund
/// change nothing.
async fn settle(state: &AppState, id: i64, outcome: &RefundOutcome) -> Result<(), AppError> {
    let now = now_ms();
    let mut tx = state.db.begin_write().await?;
    let (status, reference, failure) = match outcome {
        RefundOutcome::Succeeded { reference } => ("succeeded", reference, ""),
        RefundOutcome::Pending { reference } => ("pending", reference, ""),
        RefundOutcome::Failed { reference, message } => ("failed", reference, message.as_str()),
    };
    let settled = sqlx::query(
        "UPDATE refunds SET status = $1, reference = $2, failure = $3, \
             settled_at = CASE WHEN $1 = 'pending' THEN NULL ELSE $4 END \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(status)
    .bind(reference)
    .bind(failure)
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if settled.rows_affected() == 0 || status == "pending" {
        tx.commit().await?;
        return Ok(());
    }
    let (order, amount, restock, by): (i64, i64, i64, Option<i64>) = sqlx::query_as(
        "SELECT order_id, amount_minor, restock, created_by FROM refunds WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if status == "failed" {
        sqlx::query("UPDATE orders SET refunded_minor = refunded_minor - $1 WHERE id = $2")
            .bind(amount)
            .bind(order)
            .execute(&mut *tx)
            .await?;
        super::db::day_changed(&mut tx, order, now).await?;
        super::returns::refund_failed(&mut tx, id, failure, now).await?;
        tx.commit().await?;
        return Ok(());
    }
    let credit_note = next_document_number(&mut tx, "CN", now).await?;
    sqlx::query("UPDATE refunds SET credit_note = $1 WHERE id = $2")
        .bind(&credit_note)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if restock == 1 {
        put_back(&mut tx, "refund_lines", "refund_id", id, order).await?;
    }
    let (number, user, current, total, refunded): (String, i64, String, i64, i64) = sqlx::query_as(
        "SELECT number, user_id, status, total_minor, refunded_minor FROM orders WHERE id = $1",
    )
    .bind(order)
    .fetch_one(&mut *tx)
    .await?;
    let current = OrderStatus::parse(&current).unwrap_or(OrderStatus::Paid);
    let everything = refunded == total;
    if everything && current.is_sold() {
        change_order(&mut tx, order, current, OrderStatus::Refunded, by, now).await?;
    }
    let link = format!("/orders/{number}");
    let message = OrderMessage {
        kind: EmailKind::OrderRefunded,
        title: format!("{} refunded on order {number}", money(amount)),
        body: format!(
            "We have refunded {} to your card (credit note {credit_note}). Banks take a few days \
             to show it.{}",
            money(amount),
            if everything {
                " Everything you paid for this order has now been refunded."
            } else {
                ""
            }
        ),
        link: &link,
    };
    notify_order(&mut tx, user, &message).await?;
    webhooks::emit(&mut tx, EventKind::OrderRefunded, order, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Gives back money on the order `number` as the order desk's `form` says, for the staff
/// member of `entry` (logged with the refund's record). A refund the gateway is still working
/// on is fine; one it refuses is an error that says why.
pub async fn refund(
    state: &AppState,
    number: &str,
    form: &RefundForm,
    entry: &Entry,
) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    let order = refundable(&mut tx, state.db.backend() == Backend::Postgres, number)
        .await?
        .ok_or(AppError::NotFound)?;
    if !order.open() {
        return Err(AppError::Conflict(
            "Nothing is left to refund on this order.".into(),
        ));
    }
    let plan = form
        .plan(&order.lines, order.left())
        .map_err(AppError::Invalid)?;
    let id = record(&mut tx, &order, &plan, entry.staff_id(), now_ms()).await?;
    entry.write(&mut tx).await?;
    tx.commit().await?;
    if let Some(id) = id
        && let RefundOutcome::Failed { message, .. } = send(state, id).await?
    {
        return Err(AppError::Conflict(message));
    }
    Ok(())
}

/// Sends the pending refund `id` of order `number` to the gateway again, once `entry` says so
/// in the audit log.
pub async fn resend(
    state: &AppState,
    number: &str,
    id: i64,
    entry: &Entry,
) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    let belongs: Option<i64> = sqlx::query_scalar(
        "SELECT r.id FROM refunds r JOIN orders o ON o.id = r.order_id \
         WHERE r.id = $1 AND o.number = $2 AND r.status = 'pending'",
    )
    .bind(id)
    .bind(number)
    .fetch_optional(&mut *tx)
    .await?;
    belongs.ok_or(AppError::NotFound)?;
    entry.write(&mut tx).await?;
    tx.commit().await?;
    match send(state, id).await? {
        RefundOutcome::Failed { message, .. } => Err(AppError::Conflict(message)),
        _ => Ok(()),
    }
}

#[derive(sqlx::FromRow)]
struct Listed {
    id: i64,
    amount_minor: i64,
    status: String,
    credit_note: Option<String>,
    reason: String,
    failure: String,
    by_name: Option<String>,
    created_at: i64,
}

/// The refunds of order `id`, oldest first.
pub async fn refunds_of(
    db: &crate::platform::db::Db,
    order: i64,
) -> Result<Vec<RefundRow>, sqlx::Error> {
    let rows: Vec<Listed> = sqlx::query_as(
        "SELECT r.id, r.amount_minor, r.status, r.credit_note, r.reason, r.failure, u.name AS by_name, \
             r.created_at \
         FROM refunds r LEFT JOIN users u ON u.id = r.created_by WHERE r.order_id = $1 ORDER BY r.id",
    )
    .bind(order)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| RefundRow {
            id: r.id,
            amount: money(r.amount_minor),
            status: r.status,
            credit_note: r.credit_note,
            reason: r.reason,
            failure: r.failure,
            by: r.by_name.unwrap_or_default(),
            at: r.created_at,
        })
        .collect())
}

/// The credit notes of order `number` as (number, amount, when), oldest first.
pub async fn credit_notes(
    db: &crate::platform::db::Db,
    number: &str,
) -> Result<Vec<(String, Money, i64)>, sqlx::Error> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT r.credit_note, r.amount_minor, r.settled_at FROM refunds r JOIN orders o ON o.id = r.order_id \
         WHERE o.number = $1 AND r.credit_note IS NOT NULL ORDER BY r.id",
    )
    .bind(number)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(note, amount, at)| (note, money(amount), at))
        .collect())
}
