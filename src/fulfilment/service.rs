//! The order desk's rules: which status an order may move to, and what happens when it does —
//! all in one transaction: the conditional update (so two admins cannot both act on the same
//! status), stock returned on cancellation, the history row, and the customer's notification.

use super::db::order_for_change;
use crate::{
    checkout::{
        db::{change_order, restock, waiting_by_number},
        model::{OrderStatus, RefundPlan, ShipmentForm, tracking_url},
        payment::RefundOutcome,
        refunds,
        service::{Release, release_payment},
        shipments,
    },
    error::AppError,
    notifications::db::{EmailKind, OrderMessage, notify_order},
    platform::{
        audit::Entry,
        db::{Backend, now_ms},
        state::AppState,
    },
};

/// What the customer is told when their order reaches `to`; nothing for other statuses.
fn message(number: &str, to: OrderStatus) -> Option<(EmailKind, String, String)> {
    match to {
        OrderStatus::Shipped => Some((
            EmailKind::OrderShipped,
            format!("Order {number} has shipped"),
            "It is on its way to you.".to_owned(),
        )),
        OrderStatus::PartiallyShipped => Some((
            EmailKind::OrderShipped,
            format!("Part of order {number} has shipped"),
            "Some of your items are on their way; we will tell you when the rest ship.".to_owned(),
        )),
        OrderStatus::Delivered => Some((
            EmailKind::OrderDelivered,
            format!("Order {number} was delivered"),
            "We hope you enjoy it. You can review what you bought on each product's page."
                .to_owned(),
        )),
        OrderStatus::Cancelled => Some((
            EmailKind::OrderCancelled,
            format!("Order {number} was cancelled"),
            "Any payment taken will be refunded to your card.".to_owned(),
        )),
        _ => None,
    }
}

/// Moves the order `number` to `to`, recording who did it (`entry`, logged with the change) and
/// telling the customer. An unpaid
/// order's payment is let go at the gateway before it is cancelled; a paid order cancelled is
/// refunded in full (its refund is recorded with the cancellation, then sent to the gateway).
pub async fn change_status(
    state: &AppState,
    number: &str,
    to: OrderStatus,
    entry: &Entry,
) -> Result<(), AppError> {
    if to == OrderStatus::Shipped {
        // Every unit still to ship, in one untracked parcel.
        return ship(state, number, &ShipmentForm::default(), entry).await;
    }
    let by = entry.staff_id();
    if to == OrderStatus::Cancelled
        && let Some(waiting) = waiting_by_number(&state.db, number, None).await?
        && release_payment(state, &waiting).await? == Release::PaidAfterAll
    {
        return Err(AppError::Conflict(
            "The customer paid for this order a moment ago. Reload it to see its status.".into(),
        ));
    }
    let mut tx = state.db.begin_write().await?;
    let (id, user, from) = order_for_change(&mut tx, number, false)
        .await?
        .ok_or(AppError::NotFound)?;
    if !from.next().contains(&to) {
        return Err(AppError::BadRequest(format!(
            "An order that is “{}” cannot become “{}”.",
            from.label(),
            to.label()
        )));
    }
    let now = now_ms();
    if !change_order(&mut tx, id, from, to, by, now).await? {
        return Err(changed_meanwhile());
    }

    if from.restocks(to) {
        restock(&mut tx, id).await?;
    }
    let mut refund = None;
    if to == OrderStatus::Cancelled && from.is_sold() {
        let lock = state.db.backend() == Backend::Postgres;
        if let Some(paid) = refunds::refundable(&mut tx, lock, number).await? {
            let plan = RefundPlan {
                // The cancellation has put the units back already.
                restock: false,
                ..RefundPlan::everything(&paid.lines, paid.left(), "Order cancelled")
            };
            refund = refunds::record(&mut tx, &paid, &plan, by, now).await?;
        }
    }
    tell(&mut tx, user, number, to, None).await?;
    entry.write(&mut tx).await?;
    tx.commit().await?;
    if let Some(refund) = refund
        && let RefundOutcome::Failed { message, .. } = refunds::send(state, refund).await?
    {
        return Err(AppError::Conflict(format!(
            "The order is cancelled, but its refund failed: {message}"
        )));
    }
    Ok(())
}

fn changed_meanwhile() -> AppError {
    AppError::Conflict("This order changed a moment ago. Reload it to see its status.".into())
}

/// Sends a parcel of the order `number`: the units the form names (every unit still to ship
/// when it names none), with the carrier and tracking number if given. The order becomes
/// `partially_shipped` or `shipped`, the parcel joins its history, and the customer is told,
/// with the tracking link. One transaction.
pub async fn ship(
    state: &AppState,
    number: &str,
    form: &ShipmentForm,
    entry: &Entry,
) -> Result<(), AppError> {
    let by = entry.staff_id();
    let mut tx = state.db.begin_write().await?;
    // Locked first on PostgreSQL: the units left to ship are read before the parcel is written.
    let lock = state.db.backend() == Backend::Postgres;
    let (id, user, from) = order_for_change(&mut tx, number, lock)
        .await?
        .ok_or(AppError::NotFound)?;
    if !from.ships() {
        return Err(AppError::BadRequest(format!(
            "An order that is “{}” cannot be shipped.",
            from.label()
        )));
    }
    let lines = shipments::shippable(&mut tx, id).await?;
    let plan = form.check(&lines).map_err(AppError::Invalid)?;
    let now = now_ms();
    let left: i64 = lines.iter().map(|l| l.quantity - l.shipped).sum();
    let sent: i64 = plan.lines.iter().map(|(_, units)| units).sum();
    let to = if sent == left {
        OrderStatus::Shipped
    } else {
        OrderStatus::PartiallyShipped
    };
    if !change_order(&mut tx, id, from, to, by, now).await? {
        return Err(changed_meanwhile());
    }
    shipments::record(&mut tx, id, &plan, by, now).await?;
    let tracking =
        tracking_url(&plan.carrier, &plan.tracking).map(|url| format!("Track the parcel: {url}"));
    tell(&mut tx, user, number, to, tracking).await?;
    entry.write(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Tells the customer that their order `number` reached `to` (as `message` words it, then
/// `more`), in the shop and by email as they chose.
async fn tell(
    tx: &mut sqlx::AnyConnection,
    user: i64,
    number: &str,
    to: OrderStatus,
    more: Option<String>,
) -> Result<(), sqlx::Error> {
    let Some((kind, title, body)) = message(number, to) else {
        return Ok(());
    };
    let link = format!("/orders/{number}");
    let body = match more {
        Some(more) => format!("{body} {more}"),
        None => body,
    };
    let message = OrderMessage {
        kind,
        title,
        body,
        link: &link,
    };
    notify_order(tx, user, &message).await
}
