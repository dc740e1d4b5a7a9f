//! Checkout, address book and order server functions. All need a signed-in shopper.

use super::model::{Address, AddressForm, CardForm, CheckoutView, OrderSummary, OrderView, Placed};
use crate::error::AppError;
use leptos::prelude::*;

/// What the checkout page shows: the cart with today's prices, the address book, shipping
/// rates, tax rates and a fresh idempotency key for "Place order". Records `checkout_started`.
#[server(endpoint = "checkout")]
pub async fn get_checkout() -> Result<CheckoutView, AppError> {
    use super::db;
    use crate::{
        accounts::{session::require_user, tokens::random_hex},
        cart::db::{Owner, view},
        events::Event,
        server::state::AppState,
    };
    let session = require_user()?;
    let state = AppState::current()?;
    let owner = Owner::User(session.user_id);
    let (cart, addresses) = tokio::try_join!(
        view(&state.db, &owner),
        db::addresses(&state.db, session.user_id)
    )?;
    let mut notices = cart.notices;
    for line in &cart.lines {
        if line.added_price != line.unit_price {
            notices.push(format!(
                "The price of {} changed from {} to {} since you added it.",
                line.title, line.added_price, line.unit_price
            ));
        }
    }
    state.events.record(Event {
        user_id: Some(session.user_id),
        ..Event::new("checkout_started")
    });
    Ok(CheckoutView {
        lines: cart.lines,
        addresses,
        rates: state.config.shipping,
        tax_rates: state
            .config
            .tax_rates
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        idempotency_key: random_hex(16),
        notices,
        stripe_key: state.payments.browser_key().map(str::to_owned),
    })
}

/// Turns the cart into an order and pays for it. A declined card leaves the order waiting for
/// another attempt with the same key; a repeated key never charges twice. Goes to the order's
/// confirmation page, unless the browser must confirm the payment with the gateway first (then
/// the answer carries the secret it needs).
#[server(endpoint = "place_order")]
pub async fn place_order(
    idempotency_key: String,
    address_id: Option<String>,
    shipping: Option<String>,
    card: CardForm,
) -> Result<Placed, AppError> {
    use super::{
        db::{self, OrderTerms, PaymentRecord, Placement},
        model::ShippingMethod,
        payment::{ChargeOutcome, ChargeRequest},
    };
    use crate::{
        accounts::session::require_user,
        dates::year_month,
        error::FieldError,
        server::{db::now_ms, state::AppState},
    };
    let session = require_user()?;
    let state = AppState::current()?;
    if idempotency_key.len() != 32 || !idempotency_key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::BadRequest(
            "This checkout page is out of date. Please reload it.".into(),
        ));
    }
    let mut errors = Vec::new();
    let address_id = address_id.as_deref().and_then(|id| id.parse::<i64>().ok());
    if address_id.is_none() {
        errors.push(FieldError::new("address_id", "Choose a shipping address."));
    }
    let method = shipping.as_deref().and_then(ShippingMethod::parse);
    if method.is_none() {
        errors.push(FieldError::new("shipping", "Choose a shipping method."));
    }
    // With Stripe the card is typed into Stripe's own form and never reaches the shop.
    let stripe = state.payments.browser_key().is_some();
    let card = match card.check(year_month(now_ms())) {
        Ok(card) => Some(Some(card)),
        Err(_) if stripe => Some(None),
        Err(mut card_errors) => {
            errors.append(&mut card_errors);
            None
        }
    };
    let (Some(address_id), Some(method), Some(card)) = (address_id, method, card) else {
        return Err(AppError::Invalid(errors));
    };
    let terms = OrderTerms {
        address_id,
        method,
        rates: &state.config.shipping,
        tax_rates: &state.config.tax_rates,
    };
    let placement = db::place_order(&state.db, session.user_id, &idempotency_key, &terms).await?;
    let (order_id, number, total) = match placement {
        Placement::Existing { number } => {
            let waiting = db::waiting_by_number(&state.db, &number, Some(session.user_id)).await?;
            if let Some(order) = waiting {
                match state.payments.status(&order.payment_reference).await {
                    Ok(ChargeOutcome::Pending { client_secret, .. }) => {
                        return Ok(Placed {
                            number,
                            client_secret: Some(client_secret),
                        });
                    }
                    Ok(outcome) => settle_payment(&state, &order, &outcome, None).await?,
                    Err(error) => tracing::warn!(%error, order = %number, "payment status unknown"),
                }
            }
            leptos_axum::redirect(&format!("/orders/{number}"));
            return Ok(Placed {
                number,
                client_secret: None,
            });
        }
        Placement::Charge {
            order_id,
            number,
            total,
        } => (order_id, number, total),
    };
    let provider = state.payments.name();
    let outcome = state
        .payments
        .charge(ChargeRequest {
            order_number: &number,
            amount: total,
            card: card.as_ref(),
            idempotency_key: format!("{number}-{idempotency_key}"),
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
                format!("error-{}", crate::accounts::tokens::random_hex(8)),
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
        return Err(AppError::PaymentDeclined(message));
    }
    if db::mark_paid(&state.db, order_id, &record).await? {
        record_purchase(&state, session.user_id, &number, total.minor());
    }
    leptos_axum::redirect(&format!("/orders/{number}"));
    Ok(Placed {
        number,
        client_secret: None,
    })
}

#[cfg(feature = "ssr")]
fn record_purchase(state: &crate::server::state::AppState, user: i64, number: &str, total: i64) {
    use crate::events::Event;
    state.events.record(Event {
        user_id: Some(user),
        payload: serde_json::json!({ "order": number, "total": total }).to_string(),
        ..Event::new("purchase")
    });
}

/// Settles an order that waited for the browser to pay, with what the gateway says happened:
/// paid once (whoever tells first: the webhook or the shopper's return), or failed. `amount`,
/// when the gateway names it, must be the order's total.
#[cfg(feature = "ssr")]
pub async fn settle_payment(
    state: &crate::server::state::AppState,
    order: &super::db::Waiting,
    outcome: &super::payment::ChargeOutcome,
    amount: Option<i64>,
) -> Result<(), AppError> {
    use super::{
        db::{self, PaymentRecord},
        payment::ChargeOutcome,
    };
    use crate::catalog::model::Money;
    let total = Money::from_minor(order.total_minor).unwrap_or_default();
    match outcome {
        ChargeOutcome::Succeeded { reference } => {
            if amount.is_some_and(|paid| paid != order.total_minor) {
                tracing::error!(order = %order.number, ?amount, "payment amount differs from the order total");
                return Ok(());
            }
            let record = PaymentRecord {
                provider: state.payments.name(),
                reference,
                amount: total,
            };
            if db::mark_paid(&state.db, order.id, &record).await? {
                record_purchase(state, order.user_id, &order.number, order.total_minor);
            }
        }
        ChargeOutcome::Declined { reference, message } => {
            let record = PaymentRecord {
                provider: state.payments.name(),
                reference,
                amount: total,
            };
            db::mark_failed(&state.db, order.id, &record, message).await?;
        }
        ChargeOutcome::Pending { .. } => {}
    }
    Ok(())
}

/// The signed-in shopper's addresses.
#[server(endpoint = "addresses")]
pub async fn list_addresses() -> Result<Vec<Address>, AppError> {
    use crate::{accounts::session::require_user, server::state::AppState};
    let session = require_user()?;
    let state = AppState::current()?;
    Ok(super::db::addresses(&state.db, session.user_id).await?)
}

/// Adds an address (`id` empty) or changes one, then goes to `next` (a local path) or the
/// address book.
#[server(endpoint = "save_address")]
pub async fn save_address(
    id: Option<String>,
    address: AddressForm,
    make_default: Option<String>,
    next: Option<String>,
) -> Result<i64, AppError> {
    use crate::{
        accounts::{model::safe_next, session::require_user},
        server::state::AppState,
    };
    let session = require_user()?;
    let state = AppState::current()?;
    let id = crate::error::optional_id(id.as_deref())?;
    let address = address.check().map_err(AppError::Invalid)?;
    let saved = super::db::save_address(
        &state.db,
        session.user_id,
        id,
        &address,
        make_default.is_some(),
    )
    .await?;
    let next = next.filter(|n| !n.is_empty());
    leptos_axum::redirect(&safe_next(Some(
        next.as_deref().unwrap_or("/account/addresses"),
    )));
    Ok(saved)
}

/// Deletes one of the shopper's addresses.
#[server(endpoint = "delete_address")]
pub async fn delete_address(id: i64) -> Result<(), AppError> {
    use crate::{accounts::session::require_user, server::state::AppState};
    let session = require_user()?;
    let state = AppState::current()?;
    if !super::db::delete_address(&state.db, session.user_id, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Makes one of the shopper's addresses the default.
#[server(endpoint = "set_default_address")]
pub async fn set_default_address(id: i64) -> Result<(), AppError> {
    use crate::{accounts::session::require_user, server::state::AppState};
    let session = require_user()?;
    let state = AppState::current()?;
    if !super::db::set_default_address(&state.db, session.user_id, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// One order, for its owner or an admin; anyone else gets 404.
#[server(endpoint = "order")]
pub async fn get_order(number: String) -> Result<OrderView, AppError> {
    use super::model::is_order_number;
    use crate::{
        accounts::{model::Role, session::require_user},
        server::state::AppState,
    };
    let session = require_user()?;
    let state = AppState::current()?;
    if !is_order_number(&number) {
        return Err(AppError::NotFound);
    }
    let owner = (session.role != Role::Admin).then_some(session.user_id);
    // Back from the gateway's payment page: ask it, in case its webhook has not arrived yet.
    if state.payments.browser_key().is_some()
        && let Some(order) = super::db::waiting_by_number(&state.db, &number, owner).await?
    {
        match state.payments.status(&order.payment_reference).await {
            Ok(outcome) => settle_payment(&state, &order, &outcome, None).await?,
            Err(error) => tracing::warn!(%error, order = %number, "payment status unknown"),
        }
    }
    super::db::order(&state.db, &number, owner)
        .await?
        .ok_or(AppError::NotFound)
}

/// The shopper's orders, newest first.
#[server(endpoint = "orders")]
pub async fn list_orders() -> Result<Vec<OrderSummary>, AppError> {
    use crate::{accounts::session::require_user, server::state::AppState};
    let session = require_user()?;
    let state = AppState::current()?;
    Ok(super::db::orders_of(&state.db, session.user_id).await?)
}
