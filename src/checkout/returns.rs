//! Returns: a shopper asks to send units of a delivered order back within `return-days`; the
//! order desk approves or rejects the request, marks the parcel received (back to stock if it
//! chooses) and refunds it through `refunds`. Each step is one transaction: a conditional
//! update from the status it expects (so two admins cannot both take it), the step in the
//! return's history, and the shopper told.

use super::{
    db::put_back,
    model::{
        RefundPlan, ReturnForm, ReturnStatus, ReturnStep, ReturnView, ReturnableLine,
        return_deadline, return_reason_label,
    },
    payment::RefundOutcome,
    refunds::{self, REFUNDED_UNITS},
};
use crate::{
    dates::long_date,
    error::{AppError, FieldError},
    notifications::db::{EmailKind, OrderMessage, notify_order},
    platform::{
        audit::Entry,
        db::{Backend, Db, now_ms},
        money::Money,
        state::AppState,
    },
};

/// The lines of order `order` with the units that may still be sent back: bought, less those
/// refunded (by refunds not failed) and those in returns still open.
pub async fn returnable(
    tx: &mut sqlx::AnyConnection,
    order: i64,
) -> Result<Vec<ReturnableLine>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT l.position, l.title, l.quantity, {REFUNDED_UNITS}, \
             CAST(COALESCE((SELECT SUM(xl.quantity) FROM return_lines xl JOIN returns x ON x.id = xl.return_id \
                 WHERE x.order_id = l.order_id AND xl.position = l.position \
                   AND x.status IN {}), 0) AS BIGINT) \
         FROM order_lines l WHERE l.order_id = $1 ORDER BY l.position",
        ReturnStatus::holding_sql()
    ))
    .bind(order)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(position, title, quantity, refunded, held)| ReturnableLine {
                position,
                title,
                quantity,
                returnable: (quantity - refunded - held).max(0),
            },
        )
        .collect())
}

/// When order `order` was delivered, if it was.
async fn delivered_at(
    tx: &mut sqlx::AnyConnection,
    order: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT MAX(created_at) FROM order_status_changes WHERE order_id = $1 AND to_status = 'delivered'",
    )
    .bind(order)
    .fetch_one(&mut *tx)
    .await
}

/// What the order page offers: the lines that may still go back and the last moment to ask,
/// while the order `order` (in status `status`) is delivered and inside `days` of delivery.
pub async fn window(
    db: &Db,
    order: i64,
    status: &str,
    days: i64,
) -> Result<(Vec<ReturnableLine>, Option<i64>), sqlx::Error> {
    if status != "delivered" {
        return Ok((Vec::new(), None));
    }
    let mut conn = db.pool().acquire().await?;
    let Some(delivered) = delivered_at(&mut conn, order).await? else {
        return Ok((Vec::new(), None));
    };
    let until = return_deadline(delivered, days);
    let lines = returnable(&mut conn, order).await?;
    if now_ms() > until || lines.iter().all(|l| l.returnable == 0) {
        return Ok((Vec::new(), None));
    }
    Ok((lines, Some(until)))
}

/// Records the return that `user` asks for on their order `number`, and tells them.
pub async fn request(
    state: &AppState,
    user: i64,
    number: &str,
    form: &ReturnForm,
) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    // Locked on PostgreSQL, so two requests at once cannot both take the same units.
    let lock = state.db.row_lock();
    let order: Option<(i64, String)> = sqlx::query_as(&format!(
        "SELECT id, status FROM orders WHERE number = $1 AND user_id = $2{lock}"
    ))
    .bind(number)
    .bind(user)
    .fetch_optional(&mut *tx)
    .await?;
    let (order, status) = order.ok_or(AppError::NotFound)?;
    let delivered = match status.as_str() {
        "delivered" => delivered_at(&mut tx, order).await?,
        _ => None,
    };
    let Some(delivered) = delivered else {
        return Err(AppError::Conflict(
            "Items can be returned once the order has been delivered.".into(),
        ));
    };
    let until = return_deadline(delivered, state.config.return_days);
    let now = now_ms();
    if now > until {
        return Err(AppError::Conflict(format!(
            "Returns for this order closed on {}.",
            long_date(until)
        )));
    }
    let lines = returnable(&mut tx, order).await?;
    let plan = form.check(&lines).map_err(AppError::Invalid)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO returns (order_id, reason, note, status, created_at) \
         VALUES ($1, $2, $3, 'requested', $4) RETURNING id",
    )
    .bind(order)
    .bind(&plan.reason)
    .bind(&plan.note)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (position, units) in &plan.lines {
        sqlx::query("INSERT INTO return_lines (return_id, position, quantity) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(position)
            .bind(units)
            .execute(&mut *tx)
            .await?;
    }
    step(&mut tx, id, ReturnStatus::Requested, "", None, now).await?;
    tell(
        &mut tx,
        user,
        number,
        format!("We have your return request for order {number}"),
        "We will look at it and tell you what happens next.".to_owned(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Takes return `id` of order `number` to `to` for the staff member of `entry` (logged with the
/// step): approve or reject it (a rejection says why in `note`), receive it (its units back in
/// stock with `restock`), or refund it.
pub async fn advance(
    state: &AppState,
    number: &str,
    id: i64,
    to: ReturnStatus,
    note: &str,
    restock: bool,
    entry: &Entry,
) -> Result<(), AppError> {
    let admin = entry.staff_id();
    let note = note.trim();
    if note.chars().count() > 1000 {
        return Err(AppError::Invalid(vec![FieldError::new(
            "note",
            "Keep the note to 1,000 characters.",
        )]));
    }
    if to == ReturnStatus::Rejected && note.is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new(
            "note",
            "Tell the customer why the return is rejected.",
        )]));
    }
    let mut tx = state.db.begin_write().await?;
    let found: Option<(String, i64, i64)> = sqlx::query_as(
        "SELECT x.status, o.id, o.user_id FROM returns x JOIN orders o ON o.id = x.order_id \
         WHERE x.id = $1 AND o.number = $2",
    )
    .bind(id)
    .bind(number)
    .fetch_optional(&mut *tx)
    .await?;
    let (from, order, user) = found.ok_or(AppError::NotFound)?;
    let from = ReturnStatus::parse(&from).unwrap_or(ReturnStatus::Rejected);
    if !from.next().contains(&to) {
        return Err(AppError::BadRequest(format!(
            "A return that is “{}” cannot become “{}”.",
            from.label(),
            to.label()
        )));
    }
    let moved = sqlx::query("UPDATE returns SET status = $1 WHERE id = $2 AND status = $3")
        .bind(to.as_str())
        .bind(id)
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
    if moved.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "This return changed a moment ago. Reload the order to see where it stands.".into(),
        ));
    }
    let now = now_ms();
    step(&mut tx, id, to, note, admin, now).await?;
    let more = if note.is_empty() {
        String::new()
    } else {
        format!(" {note}")
    };
    let mut refund = None;
    match to {
        ReturnStatus::Approved => {
            let address = state.config.seller.lines().join(", ");
            tell(
                &mut tx,
                user,
                number,
                format!("Your return for order {number} is approved"),
                format!(
                    "Please send the items to {address}, with your order number in the parcel. \
                     We refund them once they arrive.{more}"
                ),
            )
            .await?;
        }
        ReturnStatus::Rejected => {
            tell(
                &mut tx,
                user,
                number,
                format!("Your return for order {number} was not accepted"),
                note.to_owned(),
            )
            .await?;
        }
        ReturnStatus::Received => {
            if restock {
                put_back(&mut tx, "return_lines", "return_id", id, order).await?;
            }
            tell(
                &mut tx,
                user,
                number,
                format!("We received your return for order {number}"),
                format!("Your refund is on its way.{more}"),
            )
            .await?;
        }
        ReturnStatus::Refunded => {
            // The refund tells the shopper once the gateway has made it.
            refund = Some(record_refund(state, &mut tx, number, id, admin, now).await?);
        }
        ReturnStatus::Requested => {}
    }
    entry.write(&mut tx).await?;
    tx.commit().await?;
    if let Some(Some(refund)) = refund
        && let RefundOutcome::Failed { message, .. } = refunds::send(state, refund).await?
    {
        return Err(AppError::Conflict(message));
    }
    Ok(())
}

/// Records the refund of return `id`: what the shopper paid for its units (those not refunded
/// since by other means), nothing back to stock (receiving did that). Returns the refund's id.
async fn record_refund(
    state: &AppState,
    tx: &mut sqlx::AnyConnection,
    number: &str,
    id: i64,
    admin: Option<i64>,
    now: i64,
) -> Result<Option<i64>, AppError> {
    let lock = state.db.backend() == Backend::Postgres;
    let paid = refunds::refundable(tx, lock, number)
        .await?
        .ok_or(AppError::NotFound)?;
    let units: Vec<(i64, i64)> =
        sqlx::query_as("SELECT position, quantity FROM return_lines WHERE return_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    let lines: Vec<(i64, i64, Money)> = paid
        .lines
        .iter()
        .filter_map(|line| {
            let (_, asked) = units.iter().find(|(p, _)| *p == line.position)?;
            let units = (*asked).min(line.quantity - line.refunded);
            (units > 0).then(|| (line.position, units, line.refund_of(units)))
        })
        .collect();
    if lines.is_empty() || !paid.open() {
        return Err(AppError::Conflict(
            "These items have been refunded already.".into(),
        ));
    }
    let plan = RefundPlan {
        amount: Money::from_minor(lines.iter().map(|(_, _, m)| m.minor()).sum())
            .unwrap_or_default(),
        lines,
        restock: false,
        reason: format!("Return {id}"),
    };
    let refund = refunds::record(tx, &paid, &plan, admin, now).await?;
    sqlx::query("UPDATE returns SET refund_id = $1 WHERE id = $2")
        .bind(refund)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(refund)
}

/// Puts the return paid by the failed refund `refund` back to `received`, so the order desk can
/// refund it again; part of settling the refund.
pub async fn refund_failed(
    tx: &mut sqlx::AnyConnection,
    refund: i64,
    failure: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "UPDATE returns SET status = 'received', refund_id = NULL WHERE refund_id = $1 RETURNING id",
    )
    .bind(refund)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = id {
        let note = format!("The refund failed: {failure}");
        step(tx, id, ReturnStatus::Received, &note, None, now).await?;
    }
    Ok(())
}

async fn step(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    status: ReturnStatus,
    note: &str,
    by: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO return_steps (return_id, status, note, taken_by, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(note)
    .bind(by)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn tell(
    tx: &mut sqlx::AnyConnection,
    user: i64,
    number: &str,
    title: String,
    body: String,
) -> Result<(), sqlx::Error> {
    let link = format!("/orders/{number}");
    let message = OrderMessage {
        kind: EmailKind::ReturnUpdate,
        title,
        body,
        link: &link,
    };
    notify_order(tx, user, &message).await
}

/// The returns of order `order`, oldest first, each with its lines and steps; `names` adds who
/// took each step (for the order desk).
pub async fn returns_of(db: &Db, order: i64, names: bool) -> Result<Vec<ReturnView>, sqlx::Error> {
    let returns: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, status, reason, note FROM returns WHERE order_id = $1 ORDER BY id",
    )
    .bind(order)
    .fetch_all(db.pool())
    .await?;
    if returns.is_empty() {
        return Ok(Vec::new());
    }
    let lines: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT xl.return_id, l.title, xl.quantity FROM return_lines xl \
         JOIN returns x ON x.id = xl.return_id \
         JOIN order_lines l ON l.order_id = x.order_id AND l.position = xl.position \
         WHERE x.order_id = $1 ORDER BY xl.return_id, xl.position",
    )
    .bind(order)
    .fetch_all(db.pool())
    .await?;
    let steps: Vec<(i64, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT s.return_id, s.status, s.note, u.name, s.created_at FROM return_steps s \
         JOIN returns x ON x.id = s.return_id LEFT JOIN users u ON u.id = s.taken_by \
         WHERE x.order_id = $1 ORDER BY s.id",
    )
    .bind(order)
    .fetch_all(db.pool())
    .await?;
    let status = |text: &str| ReturnStatus::parse(text).unwrap_or(ReturnStatus::Requested);
    Ok(returns
        .into_iter()
        .map(|(id, state, reason, note)| ReturnView {
            id,
            status: status(&state),
            reason: return_reason_label(&reason).to_owned(),
            note,
            lines: lines
                .iter()
                .filter(|(of, ..)| *of == id)
                .map(|(_, title, units)| (title.clone(), *units))
                .collect(),
            steps: steps
                .iter()
                .filter(|(of, ..)| *of == id)
                .map(|(_, state, note, by, at)| ReturnStep {
                    status: status(state),
                    note: note.clone(),
                    by: by.clone().filter(|_| names).unwrap_or_default(),
                    at: *at,
                })
                .collect(),
        })
        .collect())
}
