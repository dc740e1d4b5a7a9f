//! Stripe against a fake Stripe API served by the test itself, on both databases: the
//! PaymentIntent request (amount, currency, order, idempotency key, secret key), signed webhooks
//! (valid, bad signature, stale, replayed, wrong amount), and the shopper's return settling an
//! order before the webhook arrives, and unpaid orders let go: expired when their reservation
//! runs out, or cancelled at the order desk, with their PaymentIntent cancelled first.

use crate::{
    checkout::{add, address, count, key, place, shopper, stock, variant},
    on_both_backends,
    support::{Backend, Client, Reply, TestApp, admin, spawn_app_with},
};
use axum::{
    Json, Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, Request, StatusCode, header},
    routing::{get, post},
};
use emporium::{
    catalog::seed::seed,
    checkout::{model::Placed, service::expire_reservations},
    platform::{db::now_ms, signature::sign},
};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

on_both_backends!(
    a_signed_webhook_pays_the_order_once,
    the_shoppers_return_settles_the_order_before_the_webhook,
    an_unpaid_order_expires_with_its_payment_cancelled_and_its_stock_back,
    an_order_paid_at_the_last_moment_is_kept_not_expired,
    cancelling_an_unpaid_order_cancels_its_payment_first,
    a_refund_goes_to_stripe_once_and_its_webhooks_settle_it_once,
    a_return_whose_refund_fails_at_stripe_can_be_refunded_again,
);

const SECRET_KEY: &str = "sk_test_emporium";
const WEBHOOK_SECRET: &str = "whsec_emporium_test";

/// What the fake Stripe saw and holds.
#[derive(Default)]
struct Ledger {
    /// (Authorization, Idempotency-Key, form body) of every PaymentIntent creation.
    created: Vec<(String, String, String)>,
    /// PaymentIntent id → (status, amount); and idempotency key → id.
    intents: HashMap<String, (String, i64)>,
    keys: HashMap<String, String>,
    /// Every PaymentIntent cancelled, in order.
    cancelled: Vec<String>,
    /// (Idempotency-Key, form body) of every refund asked for; refunds answer "pending", as
    /// Stripe's do for some payment methods, and their webhook says how they ended.
    refunds: Vec<(String, String)>,
}

type Shared = Arc<Mutex<Ledger>>;

fn intent(id: &str, status: &str, amount: i64) -> Value {
    json!({
        "id": id,
        "object": "payment_intent",
        "client_secret": format!("{id}_secret_test"),
        "status": status,
        "amount": amount,
        "currency": "usd",
    })
}

async fn create_intent(
    State(ledger): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> Json<Value> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut ledger = ledger.lock().unwrap();
    let idempotency = header("idempotency-key");
    ledger
        .created
        .push((header("authorization"), idempotency.clone(), body.clone()));
    let amount: i64 = body
        .split('&')
        .find_map(|pair| pair.strip_prefix("amount="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // Stripe answers a repeated idempotency key with the first answer.
    let id = match ledger.keys.get(&idempotency) {
        Some(id) => id.clone(),
        None => {
            let id = format!("pi_test_{}", ledger.intents.len() + 1);
            ledger.keys.insert(idempotency, id.clone());
            ledger
                .intents
                .insert(id.clone(), ("requires_payment_method".into(), amount));
            id
        }
    };
    let (status, amount) = ledger.intents[&id].clone();
    Json(intent(&id, &status, amount))
}

async fn retrieve_intent(State(ledger): State<Shared>, Path(id): Path<String>) -> Json<Value> {
    let ledger = ledger.lock().unwrap();
    let (status, amount) = ledger.intents[&id].clone();
    Json(intent(&id, &status, amount))
}

/// Stripe cancels an unfinished PaymentIntent and refuses to cancel a paid one.
async fn cancel_intent(
    State(ledger): State<Shared>,
    Path(id): Path<String>,
) -> (StatusCode, Json<Value>) {
    let mut ledger = ledger.lock().unwrap();
    ledger.cancelled.push(id.clone());
    let (status, amount) = ledger.intents.get_mut(&id).unwrap();
    if status == "succeeded" {
        let error = json!({ "error": { "code": "payment_intent_unexpected_state" } });
        return (StatusCode::BAD_REQUEST, Json(error));
    }
    *status = "canceled".into();
    (StatusCode::OK, Json(intent(&id, "canceled", *amount)))
}

/// Stripe makes a refund (the same one again for a repeated idempotency key) and answers that it
/// is pending.
async fn create_refund(
    State(ledger): State<Shared>,
    headers: HeaderMap,
    body: String,
) -> Json<Value> {
    let mut ledger = ledger.lock().unwrap();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let seen = ledger.refunds.iter().position(|(k, _)| *k == key);
    let n = match seen {
        Some(n) => n,
        None => {
            ledger.refunds.push((key, body));
            ledger.refunds.len() - 1
        }
    };
    Json(json!({ "id": format!("re_test_{}", n + 1), "object": "refund", "status": "pending" }))
}

/// Starts the fake Stripe API on a free loopback port; returns its base URL and ledger.
async fn fake_stripe() -> (String, Shared) {
    let ledger = Shared::default();
    let app = Router::new()
        .route("/v1/payment_intents", post(create_intent))
        .route("/v1/payment_intents/{id}", get(retrieve_intent))
        .route("/v1/payment_intents/{id}/cancel", post(cancel_intent))
        .route("/v1/refunds", post(create_refund))
        .with_state(ledger.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, ledger)
}

async fn stripe_app(backend: Backend) -> (TestApp, Shared) {
    let (base, ledger) = fake_stripe().await;
    let app = spawn_app_with(
        backend,
        &[
            ("STRIPE_SECRET_KEY", SECRET_KEY.into()),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_emporium".into()),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
            ("STRIPE_API_BASE", base),
        ],
    )
    .await;
    seed(app.db(), 20, 4).await.unwrap();
    (app, ledger)
}

/// A buyer with one item in the cart and an address; returns the client and the address id.
async fn buyer<'a>(app: &'a TestApp, sku: &str) -> (Client<'a>, String) {
    let mut buyer = shopper(app, "stripe").await;
    add(&mut buyer, sku, "2").await;
    let address = address(&mut buyer, "US").await;
    (buyer, address)
}

fn placed(reply: &Reply) -> Placed {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

/// Delivers a webhook event signed at `signed_at` with `secret`.
async fn webhook(app: &TestApp, event: &Value, secret: &str, signed_at: i64) -> StatusCode {
    let body = event.to_string();
    let request = Request::post("/webhooks/stripe")
        .header(header::CONTENT_TYPE, "application/json")
        .header("stripe-signature", sign(body.as_bytes(), secret, signed_at))
        .body(Body::from(body))
        .unwrap();
    app.client().send(request).await.status
}

fn succeeded(id: &str, amount: i64) -> Value {
    json!({
        "id": "evt_test_1",
        "type": "payment_intent.succeeded",
        "data": { "object": intent(id, "succeeded", amount) },
    })
}

async fn order_status(app: &TestApp, number: &str) -> String {
    app.scalar_for("SELECT status FROM orders WHERE number = $1", number)
        .await
}

async fn a_signed_webhook_pays_the_order_once(backend: Backend) {
    let (app, ledger) = stripe_app(backend).await;
    let sku = variant(&app, 0, 1_500, 5).await;
    let (mut buyer, address) = buyer(&app, &sku).await;

    // With Stripe no card reaches the shop: the browser confirms with the secret.
    let reply = place(&mut buyer, &key(11), &address, "", &[]).await;
    let placed = placed(&reply);
    let secret = placed.client_secret.clone().expect("a client secret");
    let intent_id = secret.trim_end_matches("_secret_test").to_owned();
    let total = 3_000 + 499 + 218;
    {
        let ledger = ledger.lock().unwrap();
        assert_eq!(ledger.created.len(), 1);
        let (authorization, idempotency, body) = &ledger.created[0];
        assert_eq!(authorization, &format!("Bearer {SECRET_KEY}"));
        assert!(idempotency.starts_with(&placed.number), "{idempotency}");
        assert!(body.contains(&format!("amount={total}")), "{body}");
        assert!(body.contains("currency=usd"), "{body}");
        assert!(body.contains(&placed.number), "{body}");
    }
    assert_eq!(order_status(&app, &placed.number).await, "pending_payment");
    assert_eq!(
        stock(&app, &sku).await,
        3,
        "the stock is held while the shopper pays"
    );
    assert_eq!(buyer.call("cart_count", &[]).await.body, "2");

    let now = now_ms() / 1000;
    let event = succeeded(&intent_id, total);
    assert_eq!(
        webhook(&app, &event, "whsec_wrong", now).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        webhook(&app, &event, WEBHOOK_SECRET, now - 600).await,
        StatusCode::BAD_REQUEST
    );
    let wrong_amount = succeeded(&intent_id, 1);
    assert_eq!(
        webhook(&app, &wrong_amount, WEBHOOK_SECRET, now).await,
        StatusCode::OK
    );
    assert_eq!(order_status(&app, &placed.number).await, "pending_payment");

    assert_eq!(
        webhook(&app, &event, WEBHOOK_SECRET, now).await,
        StatusCode::OK
    );
    assert_eq!(order_status(&app, &placed.number).await, "paid");
    assert_eq!(
        webhook(&app, &event, WEBHOOK_SECRET, now).await,
        StatusCode::OK,
        "replayed"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM outbox").await, 1);
    assert_eq!(buyer.call("cart_count", &[]).await.body, "0");
    assert_eq!(stock(&app, &sku).await, 3);
}

async fn the_shoppers_return_settles_the_order_before_the_webhook(backend: Backend) {
    let (app, ledger) = stripe_app(backend).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let (mut buyer, address) = buyer(&app, &sku).await;
    let first = placed(&place(&mut buyer, &key(12), &address, "", &[]).await);

    // "Place order" again (a double click, a reload): the same order and the same payment.
    let again = placed(&place(&mut buyer, &key(12), &address, "", &[]).await);
    assert_eq!(again, first);
    assert_eq!(ledger.lock().unwrap().intents.len(), 1);

    let intent_id = first
        .client_secret
        .unwrap()
        .trim_end_matches("_secret_test")
        .to_owned();
    pay_at_stripe(&ledger, &intent_id);
    // Stripe sends the shopper back to the order page; the shop asks Stripe and settles.
    let page = buyer.get(&format!("/orders/{}", first.number)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Thank you"), "{}", page.body);
    assert!(
        !page.body.contains("Test payment"),
        "Stripe took a real payment"
    );
    assert_eq!(order_status(&app, &first.number).await, "paid");

    let total: i64 = app
        .scalar_for(
            "SELECT total_minor FROM orders WHERE number = $1",
            &first.number,
        )
        .await;
    let late = succeeded(&intent_id, total);
    assert_eq!(
        webhook(&app, &late, WEBHOOK_SECRET, now_ms() / 1000).await,
        StatusCode::OK
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 1);
}

/// The shopper finishes paying the PaymentIntent `id` at Stripe.
fn pay_at_stripe(ledger: &Shared, id: &str) {
    ledger.lock().unwrap().intents.get_mut(id).unwrap().0 = "succeeded".into();
}

/// A buyer's order of two units, paid at Stripe and settled when the buyer comes back to its
/// page; the buyer and the order.
async fn paid_order<'a>(app: &'a TestApp, ledger: &Shared, n: u32) -> (Client<'a>, Placed) {
    let sku = variant(app, 0, 1_000, 5).await;
    let (mut buyer, address) = buyer(app, &sku).await;
    let order = placed(&place(&mut buyer, &key(n), &address, "", &[]).await);
    pay_at_stripe(ledger, &intent_of(&order));
    buyer.get(&format!("/orders/{}", order.number)).await;
    assert_eq!(order_status(app, &order.number).await, "paid");
    (buyer, order)
}

fn intent_of(placed: &Placed) -> String {
    let secret = placed.client_secret.as_deref().expect("a client secret");
    secret.trim_end_matches("_secret_test").to_owned()
}

/// Fifteen minutes and a second from now: past the shipped reservation time.
fn after_the_reservation() -> i64 {
    now_ms() + 15 * 60_000 + 1_000
}

async fn an_unpaid_order_expires_with_its_payment_cancelled_and_its_stock_back(backend: Backend) {
    let (app, ledger) = stripe_app(backend).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let (mut buyer, address) = buyer(&app, &sku).await;
    let order = placed(&place(&mut buyer, &key(21), &address, "", &[]).await);
    assert_eq!(stock(&app, &sku).await, 3);

    assert_eq!(expire_reservations(app.state(), now_ms()).await, Ok(0));
    assert_eq!(order_status(&app, &order.number).await, "pending_payment");
    assert_eq!(
        expire_reservations(app.state(), after_the_reservation()).await,
        Ok(1)
    );
    assert_eq!(order_status(&app, &order.number).await, "expired");
    assert_eq!(stock(&app, &sku).await, 5, "the stock came back");
    assert_eq!(ledger.lock().unwrap().cancelled, [intent_of(&order)]);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM order_status_changes \
             WHERE from_status = 'pending_payment' AND to_status = 'expired' AND changed_by IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'order_expired'"
        )
        .await,
        1
    );
    assert_eq!(
        expire_reservations(app.state(), after_the_reservation()).await,
        Ok(0),
        "a second round finds nothing"
    );
    assert_eq!(stock(&app, &sku).await, 5);

    // The shopper comes back: the order says what happened, the cart still holds the items,
    // and "Place order" on the old page finds the expired order instead of charging it.
    let page = buyer.get(&format!("/orders/{}", order.number)).await;
    assert!(page.body.contains("Expired"), "{}", page.body);
    assert!(page.body.contains("nothing was charged"), "{}", page.body);
    assert_eq!(buyer.call("cart_count", &[]).await.body, "2");
    let again = placed(&place(&mut buyer, &key(21), &address, "", &[]).await);
    assert_eq!((again.number, again.client_secret), (order.number, None));
    assert_eq!(stock(&app, &sku).await, 5);
    let fresh = placed(&place(&mut buyer, &key(22), &address, "", &[]).await);
    assert_eq!(order_status(&app, &fresh.number).await, "pending_payment");
    assert_eq!(stock(&app, &sku).await, 3);
}

async fn an_order_paid_at_the_last_moment_is_kept_not_expired(backend: Backend) {
    let (app, ledger) = stripe_app(backend).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let (mut buyer, address) = buyer(&app, &sku).await;
    let order = placed(&place(&mut buyer, &key(23), &address, "", &[]).await);
    pay_at_stripe(&ledger, &intent_of(&order));

    assert_eq!(
        expire_reservations(app.state(), after_the_reservation()).await,
        Ok(0)
    );
    assert_eq!(order_status(&app, &order.number).await, "paid");
    assert_eq!(stock(&app, &sku).await, 3, "a paid order keeps its stock");
    assert!(ledger.lock().unwrap().cancelled.is_empty());
}

async fn cancelling_an_unpaid_order_cancels_its_payment_first(backend: Backend) {
    let (app, ledger) = stripe_app(backend).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let (mut buyer, address) = buyer(&app, &sku).await;
    let unpaid = placed(&place(&mut buyer, &key(24), &address, "", &[]).await);
    let mut desk = admin(&app).await;
    let cancel = [("number", unpaid.number.as_str()), ("status", "cancelled")];
    desk.call_ok("set_order_status", &cancel).await;
    assert_eq!(order_status(&app, &unpaid.number).await, "cancelled");
    assert_eq!(ledger.lock().unwrap().cancelled, [intent_of(&unpaid)]);
    assert_eq!(stock(&app, &sku).await, 5);

    // Paid at Stripe a moment before the admin's click: the order stays, now paid.
    let paid = placed(&place(&mut buyer, &key(25), &address, "", &[]).await);
    pay_at_stripe(&ledger, &intent_of(&paid));
    let cancel = [("number", paid.number.as_str()), ("status", "cancelled")];
    let reply = desk.call("set_order_status", &cancel).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert!(
        reply.body.contains("paid for this order a moment ago"),
        "{}",
        reply.body
    );
    assert_eq!(order_status(&app, &paid.number).await, "paid");
    assert_eq!(ledger.lock().unwrap().cancelled.len(), 1);
}

/// A refund is asked of Stripe for the PaymentIntent, with the refund's own idempotency key and
/// id; Stripe answers "pending", and its webhooks (`refund.updated`, `charge.refunded`, each
/// delivered twice) settle it once: one credit note, one email.
async fn a_refund_goes_to_stripe_once_and_its_webhooks_settle_it_once(backend: Backend) {
    let (app, ledger) = stripe_app(backend).await;
    let (_, order) = paid_order(&app, &ledger, 16).await;
    let intent_id = intent_of(&order);

    let mut desk = admin(&app).await;
    desk.call_ok(
        "refund_order",
        &[("number", &order.number), ("refund[amount]", "5.00")],
    )
    .await;
    let id: i64 = count(&app, "SELECT id FROM refunds").await;
    {
        let ledger = ledger.lock().unwrap();
        assert_eq!(ledger.refunds.len(), 1);
        let (key, body) = &ledger.refunds[0];
        assert_eq!(key, &format!("refund-{id}"));
        for part in [
            format!("payment_intent={intent_id}"),
            "amount=500".to_owned(),
            format!("metadata%5Brefund%5D={id}"),
        ] {
            assert!(body.contains(&part), "{part} missing from {body}");
        }
    }
    let pending = || async {
        sqlx::query_as::<_, (String, String)>("SELECT status, reference FROM refunds")
            .fetch_one(app.db().pool())
            .await
            .unwrap()
    };
    assert_eq!(pending().await, ("pending".into(), "re_test_1".into()));
    // Sent again from the desk: the same refund at Stripe, not a second one.
    let again = desk
        .call(
            "resend_refund",
            &[("number", &order.number), ("id", &id.to_string())],
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(ledger.lock().unwrap().refunds.len(), 1);

    let refund = json!({ "id": "re_test_1", "object": "refund", "status": "succeeded",
        "metadata": { "refund": id.to_string() } });
    let updated =
        json!({ "id": "evt_re_1", "type": "refund.updated", "data": { "object": refund } });
    let charge = json!({ "id": "evt_ch_1", "type": "charge.refunded", "data": { "object": {
        "id": "ch_test_1", "object": "charge", "refunds": { "data": [refund] } } } });
    let now = now_ms() / 1000;
    for event in [&updated, &updated, &charge, &charge] {
        assert_eq!(
            webhook(&app, event, WEBHOOK_SECRET, now).await,
            StatusCode::OK
        );
    }
    assert_eq!(pending().await.0, "succeeded");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM refunds WHERE credit_note IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'order_refunded'"
        )
        .await,
        1
    );
    assert_eq!(count(&app, "SELECT refunded_minor FROM orders").await, 500);
    assert_eq!(
        order_status(&app, &order.number).await,
        "paid",
        "partly refunded, still paid"
    );
}

/// A return's refund that Stripe later reports failed puts the return back to "received" and
/// gives its amount back to what can be refunded, so the order desk can refund it again.
async fn a_return_whose_refund_fails_at_stripe_can_be_refunded_again(backend: Backend) {
    let (app, ledger) = stripe_app(backend).await;
    let (mut buyer, order) = paid_order(&app, &ledger, 17).await;
    let number = order.number.as_str();
    let mut desk = admin(&app).await;
    for status in ["shipped", "delivered"] {
        desk.call_ok(
            "set_order_status",
            &[("number", number), ("status", status)],
        )
        .await;
    }
    buyer
        .call_ok(
            "request_return",
            &[
                ("number", number),
                ("request[quantities][0]", "1"),
                ("request[reason]", "damaged"),
            ],
        )
        .await;
    let id = count(&app, "SELECT id FROM returns").await.to_string();
    let mut step = async |to: &str| {
        let reply = desk
            .call(
                "advance_return",
                &[("number", number), ("id", &id), ("to", to)],
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{to}: {}", reply.body);
    };
    for to in ["approved", "received", "refunded"] {
        step(to).await;
    }
    let refund = count(&app, "SELECT id FROM refunds").await;
    let failed = json!({ "id": "re_test_1", "object": "refund", "status": "failed",
        "failure_reason": "expired_or_canceled_card", "metadata": { "refund": refund.to_string() } });
    let event = json!({ "id": "evt_re_f", "type": "refund.updated", "data": { "object": failed } });
    assert_eq!(
        webhook(&app, &event, WEBHOOK_SECRET, now_ms() / 1000).await,
        StatusCode::OK
    );
    let state: (String, Option<i64>) = sqlx::query_as("SELECT status, refund_id FROM returns")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(state, ("received".to_owned(), None));
    assert_eq!(count(&app, "SELECT refunded_minor FROM orders").await, 0);
    step("refunded").await;
    assert_eq!(ledger.lock().unwrap().refunds.len(), 2, "a second refund");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM refunds WHERE status = 'pending'"
        )
        .await,
        1
    );
}
