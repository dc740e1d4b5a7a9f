//! Stripe: the server creates a PaymentIntent for each order, the browser confirms it with
//! Stripe.js, and a signed webhook (or the shopper's return to the order page, whichever comes
//! first) marks the order paid.

use super::{
    db::waiting_by_reference,
    payment::{
        CancelFuture, ChargeFuture, ChargeOutcome, ChargeRequest, GatewayError, PaymentProvider,
        RefundFuture, RefundOutcome, RefundRequest,
    },
    refunds::settle_refund,
    service::settle_payment,
};
use crate::platform::{
    config::StripeSettings, db::now_ms, signature::verify_signature, state::AppState,
};
use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode};
use secrecy::ExposeSecret;
use serde::{Deserialize, de::DeserializeOwned};

pub struct Stripe {
    http: reqwest::Client,
    settings: StripeSettings,
}

/// The parts of a PaymentIntent the shop reads.
#[derive(Debug, Deserialize)]
pub struct Intent {
    pub id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    pub status: String,
    #[serde(default)]
    pub amount: i64,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub last_payment_error: Option<IntentError>,
}

#[derive(Debug, Deserialize)]
pub struct IntentError {
    #[serde(default)]
    pub message: String,
}

impl Intent {
    fn outcome(self) -> ChargeOutcome {
        match self.status.as_str() {
            "succeeded" => ChargeOutcome::Succeeded { reference: self.id },
            "canceled" => ChargeOutcome::Declined {
                reference: self.id,
                message: "The payment was cancelled. Please try again.".into(),
            },
            _ => ChargeOutcome::Pending {
                client_secret: self.client_secret.unwrap_or_default(),
                reference: self.id,
            },
        }
    }
}

/// The parts of a Refund the shop reads.
#[derive(Debug, Deserialize)]
pub struct StripeRefund {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// The shop's id for the refund (`refund`), as sent when it was made.
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
}

impl StripeRefund {
    fn ours(&self) -> Option<i64> {
        self.metadata.get("refund").and_then(|id| id.parse().ok())
    }

    fn outcome(self) -> RefundOutcome {
        match self.status.as_str() {
            "succeeded" => RefundOutcome::Succeeded { reference: self.id },
            "failed" | "canceled" => RefundOutcome::Failed {
                message: format!(
                    "Stripe could not make the refund ({}).",
                    self.failure_reason.as_deref().unwrap_or(&self.status)
                ),
                reference: self.id,
            },
            _ => RefundOutcome::Pending { reference: self.id },
        }
    }
}

/// A form body as Stripe takes it.
fn form_body(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                crate::ui::encode_query(k),
                crate::ui::encode_query(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Stripe {
    pub fn new(settings: StripeSettings) -> Self {
        Self {
            http: crate::platform::http::outbound_client(),
            settings,
        }
    }

    fn intent_url(&self, reference: &str) -> String {
        format!(
            "{}/v1/payment_intents/{}",
            self.settings.api_base,
            crate::ui::encode_query(reference)
        )
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, GatewayError> {
        let response = request
            .bearer_auth(self.settings.secret_key.expose_secret())
            .timeout(std::time::Duration::from_secs(20))
            .send()
            .await
            .map_err(|e| GatewayError(format!("Stripe unreachable: {e}")))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| GatewayError(format!("Stripe answer unreadable: {e}")))?;
        if !status.is_success() {
            return Err(GatewayError(format!(
                "Stripe answered {status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            )));
        }
        serde_json::from_slice(&body).map_err(|e| GatewayError(format!("Stripe answer: {e}")))
    }
}

impl PaymentProvider for Stripe {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn charge<'a>(&'a self, request: ChargeRequest<'a>) -> ChargeFuture<'a> {
        Box::pin(async move {
            let amount = request.amount.minor().to_string();
            let form = [
                ("amount", amount.as_str()),
                ("currency", "usd"),
                ("metadata[order_number]", request.order_number),
                ("automatic_payment_methods[enabled]", "true"),
            ];
            let body = form_body(&form);
            let intent: Intent = self
                .send(
                    self.http
                        .post(format!("{}/v1/payment_intents", self.settings.api_base))
                        .header("Idempotency-Key", request.idempotency_key)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body(body),
                )
                .await?;
            Ok(intent.outcome())
        })
    }

    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> RefundFuture<'a> {
        Box::pin(async move {
            let (amount, ours) = (
                request.amount.minor().to_string(),
                request.refund.to_string(),
            );
            let body = form_body(&[
                ("payment_intent", request.charge),
                ("amount", &amount),
                ("metadata[refund]", &ours),
            ]);
            let refund: StripeRefund = self
                .send(
                    self.http
                        .post(format!("{}/v1/refunds", self.settings.api_base))
                        .header("Idempotency-Key", request.idempotency_key)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .body(body),
                )
                .await?;
            Ok(refund.outcome())
        })
    }

    fn status<'a>(&'a self, reference: &'a str) -> ChargeFuture<'a> {
        Box::pin(async move {
            let intent: Intent = self.send(self.http.get(self.intent_url(reference))).await?;
            Ok(intent.outcome())
        })
    }

    fn cancel<'a>(&'a self, reference: &'a str) -> CancelFuture<'a> {
        Box::pin(async move {
            let url = format!("{}/cancel", self.intent_url(reference));
            let _: Intent = self.send(self.http.post(url)).await?;
            Ok(())
        })
    }

    fn browser_key(&self) -> Option<&str> {
        Some(&self.settings.publishable_key)
    }
}

/// A webhook event: its type and the object it is about.
#[derive(Debug, Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// `POST /webhooks/stripe`. Only signed, fresh events are read. A PaymentIntent that succeeded
/// (or was cancelled) settles its order once, however often the event arrives and whether or not
/// the shopper's return got there first. Answers 400 for a bad signature or body, 500 when the
/// database fails (Stripe then delivers again), 200 otherwise.
pub async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(settings) = state.config.stripe.as_ref() else {
        return StatusCode::NOT_FOUND;
    };
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Err(error) = verify_signature(
        &body,
        signature,
        settings.webhook_secret.expose_secret(),
        now_ms() / 1000,
    ) {
        tracing::warn!(%error, "Stripe webhook refused");
        return StatusCode::BAD_REQUEST;
    }
    let Ok(event) = serde_json::from_slice::<Event>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    match event.kind.as_str() {
        "payment_intent.succeeded" | "payment_intent.canceled" => {}
        "refund.updated" | "refund.created" | "charge.refunded" => {
            return refunds_reported(&state, &event.kind, event.data.object).await;
        }
        _ => return StatusCode::OK,
    }
    let Ok(intent) = serde_json::from_value::<Intent>(event.data.object) else {
        return StatusCode::BAD_REQUEST;
    };
    if intent.currency != "usd" {
        tracing::error!(intent = %intent.id, currency = %intent.currency, "payment in an unexpected currency");
        return StatusCode::OK;
    }
    let order = match waiting_by_reference(&state.db, &intent.id).await {
        Ok(Some(order)) => order,
        // Settled already (a repeated event), or not ours.
        Ok(None) => return StatusCode::OK,
        Err(error) => {
            tracing::error!(%error, "Stripe webhook: reading the order failed");
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    };
    let amount = intent.amount;
    match settle_payment(&state, &order, &intent.outcome(), Some(amount)).await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Settles the refunds a webhook reports: a Refund object (`refund.*`), or every refund listed
/// on a Charge (`charge.refunded`). Each settles once, whichever event tells first.
async fn refunds_reported(state: &AppState, kind: &str, object: serde_json::Value) -> StatusCode {
    #[derive(Deserialize)]
    struct Listed {
        data: Vec<StripeRefund>,
    }
    #[derive(Deserialize)]
    struct Charge {
        refunds: Listed,
    }
    let refunds = if kind == "charge.refunded" {
        serde_json::from_value::<Charge>(object).map(|c| c.refunds.data)
    } else {
        serde_json::from_value::<StripeRefund>(object).map(|r| vec![r])
    };
    let Ok(refunds) = refunds else {
        return StatusCode::BAD_REQUEST;
    };
    for refund in refunds {
        if let Err(error) = settle_refund(state, refund.ours(), &refund.outcome()).await {
            tracing::error!(%error, "Stripe webhook: settling a refund failed");
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_map_to_outcomes() {
        let intent = |status: &str| Intent {
            id: "pi_1".into(),
            client_secret: Some("pi_1_secret".into()),
            status: status.into(),
            amount: 100,
            currency: "usd".into(),
            last_payment_error: None,
        };
        assert_eq!(
            intent("succeeded").outcome(),
            ChargeOutcome::Succeeded {
                reference: "pi_1".into()
            }
        );
        assert!(matches!(
            intent("requires_payment_method").outcome(),
            ChargeOutcome::Pending { .. }
        ));
        assert!(matches!(
            intent("canceled").outcome(),
            ChargeOutcome::Declined { .. }
        ));
    }
}
