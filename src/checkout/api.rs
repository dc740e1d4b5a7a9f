//! Checkout, address book and order server functions. All need a signed-in shopper.

use super::model::{
    Address, AddressForm, BoughtAgain, CardForm, CheckoutView, InvoiceView, OrderSummary,
    OrderView, Placed, ReturnForm,
};
#[cfg(feature = "ssr")]
use super::{
    db,
    model::{ShippingMethod, ShippingRates, is_order_number},
    payment::gateway,
    service::{self, OrderRequest},
};
#[cfg(feature = "ssr")]
use crate::{
    cart::db::{Owner, add_line, view},
    dates::year_month,
    error::FieldError,
    events::{Event, EventKind},
    platform::{
        auth::{Permission, require_user},
        db::now_ms,
        http::client_ip,
        limits::{Limit, PerUserAndAddress},
        state::AppState,
        tokens::random_hex,
    },
    ui::safe_next,
};
use crate::{error::AppError, promotions::model::Offer};
use leptos::prelude::*;

/// What the checkout page shows: the cart with today's prices, the address book, shipping
/// rates, tax rates and a fresh idempotency key for "Place order". Records `checkout_started`.
#[server(endpoint = "checkout")]
pub async fn get_checkout() -> Result<CheckoutView, AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    let owner = Owner::User(session.user_id);
    let rates = ShippingRates::from(state.config.shipping);
    let (cart, addresses) = tokio::try_join!(
        view(&state.db, &owner),
        db::addresses(&state.db, session.user_id)
    )?;
    let (offer, digest) = tokio::try_join!(
        db::cart_offer(&state.db, session.user_id, None, &rates),
        async { Ok(db::cart_digest(&state.db, session.user_id).await?) }
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
        ..Event::new(EventKind::CheckoutStarted)
    });
    Ok(CheckoutView {
        lines: cart.lines,
        addresses,
        rates,
        tax_rates: state
            .config
            .tax_rates
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect(),
        idempotency_key: super::model::checkout_key(
            &state.tokens,
            session.user_id,
            &digest,
            &random_hex(16),
        ),
        notices,
        stripe_key: gateway(&state).browser_key().map(str::to_owned),
        offer,
    })
}

/// What the discount `code` gives the shopper's cart. A code that does not apply is a message
/// under the code field; 20 of those a minute (per shopper, or 60 per network address) and
/// further tries are refused for a while, so codes cannot be guessed by trying them all.
#[server(endpoint = "apply_code")]
pub async fn apply_code(code: String) -> Result<Offer, AppError> {
    const GUESSES: PerUserAndAddress = PerUserAndAddress {
        kind: "code",
        per_user: Limit::in_minutes(20, 1),
        per_address: Limit::in_minutes(60, 1),
    };
    let session = require_user()?;
    let state = AppState::current()?;
    let scopes = GUESSES.scopes(session.user_id, &client_ip());
    let now = now_ms();
    GUESSES.check(&state.db, &scopes, now).await?;
    let code = code.trim();
    if code.is_empty() || code.chars().count() > 64 {
        return Err(AppError::Invalid(vec![FieldError::new(
            "code",
            "Enter a discount code.",
        )]));
    }
    let rates = ShippingRates::from(state.config.shipping);
    match super::db::cart_offer(&state.db, session.user_id, Some(code), &rates).await {
        Ok(Some(offer)) => Ok(offer),
        Ok(None) => Err(AppError::NotFound),
        Err(refused @ AppError::Invalid(_)) => {
            GUESSES.record(&state.db, &scopes, now).await?;
            Err(refused)
        }
        Err(error) => Err(error),
    }
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
    code: Option<String>,
    card: CardForm,
) -> Result<Placed, AppError> {
    /// "Place order" presses allowed in a minute (retries after a declined card included), per
    /// shopper and per network address (which several shoppers may share).
    const PRESSES: PerUserAndAddress = PerUserAndAddress {
        kind: "order",
        per_user: Limit::in_minutes(10, 1),
        per_address: Limit::in_minutes(30, 1),
    };
    let session = require_user()?;
    let state = AppState::current()?;
    let scopes = PRESSES.scopes(session.user_id, &client_ip());
    let now = now_ms();
    PRESSES.check(&state.db, &scopes, now).await?;
    PRESSES.record(&state.db, &scopes, now).await?;
    // The key must be one this shop issued for this shopper and the cart as it is now; a key
    // whose order exists already (paid, so the cart has emptied) finds that order again.
    let digest = super::db::cart_digest(&state.db, session.user_id).await?;
    let known =
        super::model::key_is_valid(&state.tokens, session.user_id, &digest, &idempotency_key)
            || idempotency_key.len() <= 64
                && super::db::has_order_with_key(&state.db, session.user_id, &idempotency_key)
                    .await?;
    if !known {
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
    let stripe = gateway(&state).browser_key().is_some();
    let card = match card.check(year_month(now)) {
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
    let code = code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let request = OrderRequest {
        user: session.user_id,
        idempotency_key: &idempotency_key,
        address_id,
        method,
        code,
        card: card.as_ref(),
    };
    let placed = service::place_order(&state, &request).await?;
    if placed.client_secret.is_none() {
        leptos_axum::redirect(&format!("/orders/{}", placed.number));
    }
    Ok(placed)
}

/// The signed-in shopper's addresses.
#[server(endpoint = "addresses")]
pub async fn list_addresses() -> Result<Vec<Address>, AppError> {
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
    let session = require_user()?;
    let state = AppState::current()?;
    if !is_order_number(&number) {
        return Err(AppError::NotFound);
    }
    let owner = (!session.role.can(Permission::ReadOrders)).then_some(session.user_id);
    // Back from the gateway's payment page: ask it, in case its webhook has not arrived yet.
    if gateway(&state).browser_key().is_some()
        && let Some(order) = super::db::waiting_by_number(&state.db, &number, owner).await?
    {
        super::service::refresh_payment(&state, &order).await?;
    }
    super::db::order(&state.db, &number, owner, state.config.return_days)
        .await?
        .ok_or(AppError::NotFound)
}

/// A paid order's invoice, for the order's owner or an admin; anyone else, or an order not
/// paid, gets 404.
#[server(endpoint = "invoice")]
pub async fn get_invoice(number: String) -> Result<InvoiceView, AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    if !is_order_number(&number) {
        return Err(AppError::NotFound);
    }
    let owner = (!session.role.can(Permission::ReadOrders)).then_some(session.user_id);
    let order = super::db::order(&state.db, &number, owner, state.config.return_days)
        .await?
        .filter(|order| order.invoice.is_some())
        .ok_or(AppError::NotFound)?;
    Ok(InvoiceView {
        seller: state.config.seller.lines(),
        credit_notes: super::refunds::credit_notes(&state.db, &number).await?,
        order,
    })
}

/// The shopper's orders, newest first.
#[server(endpoint = "orders")]
pub async fn list_orders() -> Result<Vec<OrderSummary>, AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    Ok(super::db::orders_of(&state.db, session.user_id).await?)
}

/// "Buy again": puts the items of one of the shopper's orders back in their cart, as many as
/// they ordered where stock and the line limit allow; items no longer sold or out of stock are
/// left out and named.
#[server(endpoint = "buy_again")]
pub async fn buy_again(number: String) -> Result<BoughtAgain, AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    let items = super::db::ordered_items(&state.db, number.trim(), session.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let owner = Owner::User(session.user_id);
    let mut result = BoughtAgain::default();
    for (sku, title, quantity) in items {
        match add_line(
            &state.db,
            &owner,
            &sku,
            quantity,
            state.config.max_line_quantity,
        )
        .await
        {
            Ok(_) => result.added += quantity,
            Err(AppError::BadRequest(why)) => result.skipped.push(format!("{title}: {why}")),
            Err(other) => return Err(other),
        }
    }
    Ok(result)
}

/// Asks to send items of one of the shopper's delivered orders back, within the return window;
/// the order desk answers.
#[server(endpoint = "request_return")]
pub async fn request_return(number: String, request: ReturnForm) -> Result<(), AppError> {
    let session = require_user()?;
    let state = AppState::current()?;
    super::returns::request(&state, session.user_id, number.trim(), &request).await
}
