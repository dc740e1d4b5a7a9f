//! Payment gateways behind one trait, so more (Stripe, PayPal) can be added beside the offline
//! test gateway.

use super::model::Card;
use crate::platform::{money::Money, state::AppState, tokens::random_hex};
use std::{future::Future, pin::Pin, sync::Arc};

/// A charge to make.
pub struct ChargeRequest<'a> {
    pub order_number: &'a str,
    pub amount: Money,
    /// Card details, for gateways that take them on the server (the test gateway).
    pub card: Option<&'a Card>,
    /// The same key for a retried request, so the gateway never charges twice.
    pub idempotency_key: String,
}

/// How a charge ended, or that the shopper's browser must finish it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded {
        reference: String,
    },
    /// Refused by the bank; `message` is safe to show the shopper.
    Declined {
        reference: String,
        message: String,
    },
    /// The browser confirms the payment with the gateway (Stripe.js) using `client_secret`; the
    /// gateway's webhook, or the shopper's return, settles it.
    Pending {
        reference: String,
        client_secret: String,
    },
}

/// The gateway could not be reached or answered nonsense; nothing is known to be charged.
#[derive(Debug, thiserror::Error)]
#[error("payment gateway failure: {0}")]
pub struct GatewayError(pub String);

/// Money to give back on the charge `charge`.
pub struct RefundRequest<'a> {
    pub charge: &'a str,
    pub amount: Money,
    /// The shop's id for the refund, sent along so the gateway's webhooks can name it.
    pub refund: i64,
    /// The same key for a retried request, so the gateway never refunds twice.
    pub idempotency_key: String,
}

/// How a refund ended, or that the gateway is still at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundOutcome {
    Succeeded {
        reference: String,
    },
    /// The gateway will say how it ended (Stripe: the `refund.updated` webhook).
    Pending {
        reference: String,
    },
    /// `message` is safe to show an admin.
    Failed {
        reference: String,
        message: String,
    },
}

pub type RefundFuture<'a> =
    Pin<Box<dyn Future<Output = Result<RefundOutcome, GatewayError>> + Send + 'a>>;

pub type ChargeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ChargeOutcome, GatewayError>> + Send + 'a>>;
pub type CancelFuture<'a> = Pin<Box<dyn Future<Output = Result<(), GatewayError>> + Send + 'a>>;

/// The payment gateway the app root put in the state: the offline test gateway unless Stripe
/// is configured.
pub fn gateway(state: &AppState) -> &Arc<dyn PaymentProvider> {
    state.service()
}

pub trait PaymentProvider: Send + Sync {
    /// Stored with every payment (e.g. "test", "stripe").
    fn name(&self) -> &'static str;
    fn charge<'a>(&'a self, request: ChargeRequest<'a>) -> ChargeFuture<'a>;
    /// Gives back (part of) a charge that succeeded.
    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> RefundFuture<'a>;
    /// Asks the gateway how the charge `reference` stands now (`Pending` while the shopper has
    /// not finished). Gateways that settle at once have nothing to ask.
    fn status<'a>(&'a self, reference: &'a str) -> ChargeFuture<'a> {
        Box::pin(async move {
            Err(GatewayError(format!(
                "{} settles charges at once; {reference} has no later status",
                self.name()
            )))
        })
    }
    /// Cancels the unfinished charge `reference`, so the shopper can no longer complete it.
    /// Gateways that settle at once leave nothing unfinished.
    fn cancel<'a>(&'a self, reference: &'a str) -> CancelFuture<'a> {
        let _ = reference;
        Box::pin(async { Ok(()) })
    }
    /// The key the browser needs to talk to the gateway, when it does (Stripe's publishable key).
    fn browser_key(&self) -> Option<&str> {
        None
    }
}

/// The offline gateway: Luhn-valid cards succeed except the documented test numbers.
pub struct TestGateway;

/// Declined by the test gateway.
pub const DECLINED_CARD: &str = "4000000000000002";
/// Refused for insufficient funds by the test gateway.
pub const NO_FUNDS_CARD: &str = "4000000000009995";

impl PaymentProvider for TestGateway {
    fn name(&self) -> &'static str {
        "test"
    }

    fn charge<'a>(&'a self, request: ChargeRequest<'a>) -> ChargeFuture<'a> {
        Box::pin(async move {
            let reference = format!("test_{}", random_hex(12));
            let number = request.card.map(|c| c.number.as_str());
            Ok(match number {
                Some(DECLINED_CARD) => ChargeOutcome::Declined {
                    reference,
                    message: "Your card was declined. Please try another card.".into(),
                },
                Some(NO_FUNDS_CARD) => ChargeOutcome::Declined {
                    reference,
                    message: "Your card has insufficient funds. Please try another card.".into(),
                },
                Some(_) => ChargeOutcome::Succeeded { reference },
                None => return Err(GatewayError("the test gateway needs card details".into())),
            })
        })
    }

    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> RefundFuture<'a> {
        let _ = request;
        Box::pin(async move {
            Ok(RefundOutcome::Succeeded {
                reference: format!("test_re_{}", random_hex(12)),
            })
        })
    }
}
