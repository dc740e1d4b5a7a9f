//! Order desk server functions, for admins only.

use crate::{
    checkout::model::{
        OrderStatus, OrderView, PaidLine, RefundForm, RefundRow, ShipmentForm, ShippableLine,
    },
    error::AppError,
    platform::money::Money,
};
#[cfg(feature = "ssr")]
use crate::{
    checkout::{model::ReturnStatus, refunds, returns},
    platform::{
        audit::{Action, Entry},
        auth::{Permission, require},
        state::AppState,
    },
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Orders on one page of the order desk.
pub const ORDERS_PAGE_SIZE: i64 = 50;

/// One order in the order desk's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskRow {
    pub number: String,
    pub customer: String,
    pub email: String,
    pub status: OrderStatus,
    pub total: Money,
    pub items: i64,
    pub created_at: i64,
}

/// One page of the order desk's list.
pub type DeskPage = crate::ui::Page<DeskRow>;

/// A status change in an order's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub from: OrderStatus,
    pub to: OrderStatus,
    /// The admin's name, or empty when their account is gone.
    pub by: String,
    pub at: i64,
}

/// One order as the order desk shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskOrder {
    pub order: OrderView,
    pub status: OrderStatus,
    pub customer: String,
    pub email: String,
    pub history: Vec<StatusChange>,
    pub refunds: Vec<RefundRow>,
    /// The lines as a refund sees them, and the money left to give back; empty and zero when
    /// the order cannot be refunded.
    pub refundable: Vec<PaidLine>,
    pub left: Money,
    /// The lines with the units shipped so far, while the order can ship.
    pub shippable: Vec<ShippableLine>,
}

/// Orders, newest first, filtered by status and by text (order number, customer email or name).
#[server(endpoint = "admin_orders")]
pub async fn admin_orders(
    status: Option<String>,
    q: Option<String>,
    page: Option<i64>,
) -> Result<DeskPage, AppError> {
    require(Permission::ReadOrders)?;
    let state = AppState::current()?;
    let status = match status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            OrderStatus::parse(text)
                .ok_or_else(|| AppError::BadRequest("Unknown order status.".into()))?,
        ),
    };
    let q = q.unwrap_or_default();
    let page = page.unwrap_or(1).clamp(1, 100_000);
    Ok(super::db::list(&state.db, status, q.trim(), page).await?)
}

/// One order with its customer and history.
#[server(endpoint = "admin_order")]
pub async fn admin_order(number: String) -> Result<DeskOrder, AppError> {
    require(Permission::ReadOrders)?;
    let state = AppState::current()?;
    super::db::order(&state.db, &number, state.config.return_days)
        .await?
        .ok_or(AppError::NotFound)
}

/// Moves an order to `status` when its current status allows it; the customer is told.
#[server(endpoint = "set_order_status")]
pub async fn set_order_status(number: String, status: String) -> Result<(), AppError> {
    let staff = require(Permission::HandleOrders)?;
    let state = AppState::current()?;
    let to = OrderStatus::parse(status.trim())
        .ok_or_else(|| AppError::BadRequest("Unknown order status.".into()))?;
    let entry = Entry::staff(staff.user_id, Action::OrderStatus).about(
        format!("order {number}"),
        format!("status → {}", to.label()),
    );
    super::service::change_status(&state, &number, to, &entry).await?;
    Ok(())
}

/// Gives back money on a paid order: units of its lines (optionally back to stock) or an
/// amount, up to what is left. The customer is told once the gateway has made the refund.
#[server(endpoint = "refund_order")]
pub async fn refund_order(number: String, refund: RefundForm) -> Result<(), AppError> {
    let staff = require(Permission::HandleOrders)?;
    let state = AppState::current()?;
    let entry = Entry::staff(staff.user_id, Action::OrderRefunded)
        .about(format!("order {number}"), refund.summary());
    refunds::refund(&state, &number, &refund, &entry).await?;
    Ok(())
}

/// Sends a refund the gateway could not be asked about to it again (same idempotency key).
#[server(endpoint = "resend_refund")]
pub async fn resend_refund(number: String, id: i64) -> Result<(), AppError> {
    let staff = require(Permission::HandleOrders)?;
    let state = AppState::current()?;
    let entry = Entry::staff(staff.user_id, Action::RefundResent).about(
        format!("order {number}"),
        format!("refund {id} sent to the gateway again"),
    );
    refunds::resend(&state, &number, id, &entry).await?;
    Ok(())
}

/// Ships units of a paid order (every unit left when the form names none), with the carrier
/// and tracking number if given; the customer is told, with the tracking link.
#[server(endpoint = "ship_order")]
pub async fn ship_order(number: String, shipment: ShipmentForm) -> Result<(), AppError> {
    let staff = require(Permission::HandleOrders)?;
    let state = AppState::current()?;
    let entry = Entry::staff(staff.user_id, Action::OrderShipped)
        .about(format!("order {number}"), shipment.summary());
    super::service::ship(&state, &number, &shipment, &entry).await?;
    Ok(())
}

/// Takes a return to status `to`: `approved` or `rejected` (a rejection says why in `note`),
/// `received` (the items back to stock with `restock`), or `refunded`.
#[server(endpoint = "advance_return")]
pub async fn advance_return(
    number: String,
    id: i64,
    to: String,
    #[server(default)] note: String,
    #[server(default)] restock: Option<String>,
) -> Result<(), AppError> {
    let staff = require(Permission::HandleOrders)?;
    let state = AppState::current()?;
    let to = ReturnStatus::parse(to.trim())
        .ok_or_else(|| AppError::BadRequest("Unknown status for a return.".into()))?;
    let restock = restock.is_some();
    let entry = Entry::staff(staff.user_id, Action::ReturnMoved).about(
        format!("order {number}"),
        format!("return {id} → {}", to.as_str()),
    );
    returns::advance(&state, &number, id, to, &note, restock, &entry).await?;
    Ok(())
}
