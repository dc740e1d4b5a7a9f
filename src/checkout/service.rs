//! Checkout's rules: placing an order (stock taken, payment charged or handed to the browser,
//! an order placed twice found again) and settling what the payment gateway reports.

use super::{
    db::{self, OrderTerms, PaymentRecord, Placement, Waiting},
    model::{Card, Placed, ShippingMethod, ShippingRates},
    payment::{ChargeOutcome, ChargeRequest, GatewayError, gateway},
};
use crate::{
    error::AppError,
    events::{Event, EventKind},
    platform::{money::Money, state::AppState, tokens::random_hex},
};

/// A checked "Place order".
pub struct OrderRequest<'a> {
    pub user: i64,
    /// The checkout page's key: placing the same order twice finds the first one.
    pub idempotency_key: &'a str,
    pub address_id: i64,
    pub method: ShippingMethod,
    /// The discount code the shopper typed, if any.
    pub code: Option<&'a str>,
    /// None when the browser pays the gateway itself (Stripe).
    pub card: Option<&'a Card>,
}

/// Places the shopper's cart as an order and pays for it. A declined payment is an error; an
/// order the browser must still confirm with the gateway comes back with its secret.
pub async fn place_order(state: &AppState, request: &OrderRequest<'_>) -> Result<Placed, AppError> {
    let terms = OrderTerms {
        address_id: request.address_id,
        code: request.code,
        method: request.method,
        rates: &ShippingRates::from(state.config.shipping),
        tax_rates: &state.config.tax_rates,
        reservation_ms: state.config.reservation_minutes * 60_000,
    };
    let placement =
        db::place_order(&state.db, request.user, request.idempotency_key, &terms).await?;
    let (order_id, number, total) = match placement {
        Placement::Existing { number } => {
            let waiting = db::waiting_by_number(&state.db, &number, Some(request.user)).await?;
            let client_secret = match waiting {
                Some(order) => match refresh_payment(state, &order).await? {
                    Some(ChargeOutcome::Pending { client_secret, .. }) => Some(client_secret),
                    _ => None,
                },
                None => None,
            };
            return Ok(Placed {
                number,
                client_secret,
            });
        }
        Placement::Charge {
            order_id,
            number,
            total,
        } => {
            metrics::counter!("orders_placed_total").increment(1);
            (order_id, number, total)
        }
    };
    let provider = gateway(state).name();
    let outcome = gateway(state)
        .charge(ChargeRequest {
            order_number: &number,
            amount: total,
            card: request.card,
            idempotency_key: format!("{number}-{}", request.idempotency_key),
        })
        .await;
    let (reference, declined) = match outcome {
        Ok(ChargeOutcome::Succeeded { reference }) => (reference, None),
        Ok(ChargeOutcome::Declined { reference, message }) => (reference, Some(message)),
        Ok(ChargeOutcome::Pending {
            reference,
            client_secret,
        }) => {
            db::set_payment_reference(&state.db, order_id, &reference).await?;
            return Ok(Placed {
                number,
                client_secret: Some(client_secret),
            });
        }
        Err(error) => {
            tracing::warn!(%error, order = %number, "charging an order failed");
            (
                format!("error-{}", random_hex(8)),
                Some("We couldn't reach the payment service, and you were not charged. Please try again.".into()),
            )
        }
    };
    let record = PaymentRecord {
        provider,
        reference: &reference,
        amount: total,
    };
    if let Some(message) = declined {
        db::mark_failed(&state.db, order_id, &record, &message).await?;
        metrics::counter!("payment_failures_total").increment(1);
        return Err(AppError::PaymentDeclined(message));
    }
    if db::mark_paid(&state.db, order_id, &record).await? {
        record_purchase(state, request.user, &number, total.minor());
    }
    Ok(Placed {
        number,
        client_secret: None,
    })
}

fn record_purchase(state: &AppState, user: i64, number: &str, total: i64) {
    metrics::counter!("orders_paid_total").increment(1);
    state.events.record(Event {
        user_id: Some(user),
        payload: serde_json::json!({ "order": number, "total": total }).to_string(),
        ..Event::new(EventKind::Purchase)
    });
}

/// What became of an unpaid order's payment when the shop let it go.
#[derive(Debug, PartialEq, Eq)]
pub enum Release {
    /// Nothing can be charged for it any more: the order may close.
    Released,
    /// The gateway says the shopper paid after all; the order is now paid and stays open.
    PaidAfterAll,
}

/// Lets go of an unpaid order's payment before the order closes (it expires or an admin
/// cancels it): a payment the shopper finished after all settles the order as paid, an
/// unfinished one is cancelled at the gateway so it can no longer be completed.
pub async fn release_payment(state: &AppState, order: &Waiting) -> Result<Release, AppError> {
    if order.payment_reference.is_empty() {
        return Ok(Release::Released);
    }
    let unreachable = |error: GatewayError| {
        tracing::warn!(%error, order = %order.number, "releasing a payment failed");
        AppError::Unavailable(
            "We couldn't reach the payment service, so nothing changed. Please try again.".into(),
        )
    };
    let reference = &order.payment_reference;
    match gateway(state)
        .status(reference)
        .await
        .map_err(unreachable)?
    {
        paid @ ChargeOutcome::Succeeded { .. } => {
            settle_payment(state, order, &paid, None).await?;
            Ok(Release::PaidAfterAll)
        }
        ChargeOutcome::Declined { .. } => Ok(Release::Released),
        ChargeOutcome::Pending { .. } => {
            gateway(state)
                .cancel(reference)
                .await
                .map_err(unreachable)?;
            Ok(Release::Released)
        }
    }
}

/// Expires the orders whose reservation ran out before `now`: each one's payment is released
/// first (one the shopper paid after all stays paid; one the gateway cannot be asked about
/// waits for the next round), then its stock goes back and the shopper is told. Returns how
/// many expired.
pub async fn expire_reservations(state: &AppState, now: i64) -> Result<usize, AppError> {
    let held = match state.config.reservation_minutes {
        1 => "a minute".to_owned(),
        minutes => format!("{minutes} minutes"),
    };
    let mut expired = 0;
    for order in db::overdue(&state.db, now).await? {
        match release_payment(state, &order).await {
            Ok(Release::Released) => {}
            Ok(Release::PaidAfterAll) | Err(AppError::Unavailable(_)) => continue,
            Err(error) => return Err(error),
        }
        if db::expire(&state.db, &order, &held, now).await? {
            expired += 1;
        }
    }
    Ok(expired)
}

/// Asks the gateway how the payment `order` waits on stands, and settles what it says (paid,
/// failed, or still waiting). None when the gateway could not be asked; the order then waits
/// for its webhook or the next question.
pub async fn refresh_payment(
    state: &AppState,
    order: &Waiting,
) -> Result<Option<ChargeOutcome>, AppError> {
    match gateway(state).status(&order.payment_reference).await {
        Ok(outcome) => {
            settle_payment(state, order, &outcome, None).await?;
            Ok(Some(outcome))
        }
        Err(error) => {
            tracing::warn!(%error, order = %order.number, "payment status unknown");
            Ok(None)
        }
    }
}

/// Settles an order that waited for the browser to pay, with what the gateway says happened:
/// paid once (whoever tells first: the webhook or the shopper's return), or failed. `amount`,
/// when the gateway names it, must be the order's total.
pub async fn settle_payment(
    state: &AppState,
    order: &Waiting,
    outcome: &ChargeOutcome,
    amount: Option<i64>,
) -> Result<(), AppError> {
    let total = Money::from_minor(order.total_minor).unwrap_or_default();
    match outcome {
        ChargeOutcome::Succeeded { reference } => {
            if amount.is_some_and(|paid| paid != order.total_minor) {
                tracing::error!(order = %order.number, ?amount, "payment amount differs from the order total");
                return Ok(());
            }
            let record = PaymentRecord {
                provider: gateway(state).name(),
                reference,
                amount: total,
            };
            if db::mark_paid(&state.db, order.id, &record).await? {
                record_purchase(state, order.user_id, &order.number, order.total_minor);
            }
        }
        ChargeOutcome::Declined { reference, message } => {
            let record = PaymentRecord {
                provider: gateway(state).name(),
                reference,
                amount: total,
            };
            db::mark_failed(&state.db, order.id, &record, message).await?;
            metrics::counter!("payment_failures_total").increment(1);
        }
        ChargeOutcome::Pending { .. } => {}
    }
    Ok(())
}
