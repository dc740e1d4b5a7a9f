//! Webhooks out on both databases, against a local receiver that checks each signature: events
//! reach only the endpoints that want them, signed with each endpoint's own secret; a failing
//! endpoint is tried again after each wait and then given up, and "Resend" sends the same body;
//! `inventory.low` goes out once each time a variant falls to the level; changes to one subject
//! between two rounds go out once; rounds run at once send each delivery once.

use crate::{
    api_keys::make_key,
    checkout::{GOOD_CARD, add, address, key, place, shopper, variant},
    on_both_backends,
    support::{Backend, Client, TestApp, admin, body_text, seeded_app},
};
use axum::{
    Router,
    body::Body,
    extract::State,
    http::{HeaderMap, Request, StatusCode, header},
    routing::post,
};
use emporium::{
    integrations::webhooks::{RETRY_AFTER_SECS, Round, client, round},
    platform::{db::now_ms, signature::verify_signature},
};
use serde_json::{Value, json};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU16, Ordering},
};

on_both_backends!(
    events_reach_the_endpoints_that_want_them_signed,
    failed_deliveries_are_tried_again_then_given_up_and_can_be_resent,
    inventory_low_goes_out_once_each_time_stock_falls,
    rounds_run_at_once_send_each_delivery_once,
);

/// A local endpoint: it keeps every request (headers and body) and answers `status`.
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Self {
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            got: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
        };
        let app = Router::new()
            .route(
                "/hook",
                post(
                    |State(r): State<Receiver>, headers: HeaderMap, body: String| async move {
                        r.got.lock().unwrap().push((headers, body));
                        StatusCode::from_u16(r.status.load(Ordering::SeqCst)).unwrap()
                    },
                ),
            )
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// The bodies received so far, each checked against `secret`'s signature and its headers.
    fn bodies(&self, secret: &str) -> Vec<Value> {
        let got = self.got.lock().unwrap();
        got.iter()
            .map(|(headers, body)| {
                let signature = headers["emporium-signature"].to_str().unwrap();
                let now = now_ms() / 1000;
                assert_eq!(
                    verify_signature(body.as_bytes(), signature, secret, now),
                    Ok(()),
                    "{body}"
                );
                assert_eq!(headers[header::CONTENT_TYPE], "application/json");
                let value: Value = serde_json::from_str(body).unwrap();
                assert_eq!(headers["emporium-event"], value["type"].as_str().unwrap());
                value
            })
            .collect()
    }
}

/// An endpoint for `events` at `url`, made by the owner: (its id, its secret).
async fn endpoint(owner: &mut Client<'_>, url: &str, events: &[&str]) -> (i64, String) {
    let fields: Vec<(String, &str)> = events
        .iter()
        .enumerate()
        .map(|(i, event)| (format!("webhook[events][{i}]"), *event))
        .collect();
    let mut form = vec![("webhook[url]", url)];
    form.extend(fields.iter().map(|(k, v)| (k.as_str(), *v)));
    let reply = owner.call_ok("create_webhook", &form).await;
    let issued: Value = serde_json::from_str(&reply.body).unwrap();
    (
        issued["view"]["id"].as_i64().unwrap(),
        issued["secret"].as_str().unwrap().to_owned(),
    )
}

/// The owner's delivery log of endpoint `id`.
async fn log(owner: &mut Client<'_>, id: i64) -> Value {
    let reply = owner
        .call_ok("admin_webhook", &[("id", &id.to_string())])
        .await;
    serde_json::from_str(&reply.body).unwrap()
}

/// Raises `product.updated` for product `id` the way the catalog desk does.
async fn touch_product(owner: &mut Client<'_>, id: i64) {
    let id = id.to_string();
    let reply = owner
        .call("set_product_status", &[("id", &id), ("status", "active")])
        .await;
    assert!(reply.status.is_success(), "{}", reply.body);
}

async fn first_product(app: &TestApp) -> i64 {
    app.scalar("SELECT MIN(id) FROM products").await
}

async fn events_waiting(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM webhook_events").await
}

async fn round_at(app: &TestApp, now: i64) -> Round {
    round(app.db(), &client(), 5, now)
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
}

async fn events_reach_the_endpoints_that_want_them_signed(backend: Backend) {
    let app = seeded_app(backend, 2, 31).await;
    let mut owner = admin(&app).await;
    let (erp, refunds) = (Receiver::start().await, Receiver::start().await);
    let (erp_id, erp_secret) =
        endpoint(&mut owner, &erp.url, &["order.paid", "product.updated"]).await;
    let (_, refunds_secret) = endpoint(&mut owner, &refunds.url, &["order.refunded"]).await;
    assert_ne!(erp_secret, refunds_secret);

    let mut buyer = shopper(&app, "hooked buyer").await;
    let sku = variant(&app, 0, 2_000, 10).await;
    add(&mut buyer, &sku, "2").await;
    let to = address(&mut buyer, "US").await;
    let placed = place(&mut buyer, &key(1), &to, GOOD_CARD, &[]).await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    let number: String = app.scalar("SELECT number FROM orders").await;
    let product = first_product(&app).await;
    touch_product(&mut owner, product).await;

    let now = now_ms();
    let sent = round_at(&app, now).await;
    assert_eq!(
        sent,
        Round {
            queued: 2,
            delivered: 2,
            failed: 0
        }
    );
    let bodies = erp.bodies(&erp_secret);
    // Deliveries go out several at once, in no set order.
    let of_type = |kind: &str| bodies.iter().find(|b| b["type"] == kind).unwrap();
    assert_eq!(bodies.len(), 2);
    let paid = of_type("order.paid");
    assert_eq!(paid["data"]["number"], number.as_str());
    assert_eq!(paid["data"]["status"], "paid");
    assert!(paid["data"]["total_minor"].as_i64().unwrap() >= 4_000);
    assert!(paid["id"].as_str().unwrap().starts_with("evt_"));
    assert!((paid["created"].as_i64().unwrap() - now / 1000).abs() < 60);
    let updated = of_type("product.updated");
    assert_eq!(updated["data"]["id"], product);
    assert!(updated["data"]["variants"].is_array());
    // Signed with the ERP's secret, which is not the other endpoint's.
    let (headers, body) = erp.got.lock().unwrap()[0].clone();
    let signature = headers["emporium-signature"].to_str().unwrap();
    assert!(verify_signature(body.as_bytes(), signature, &refunds_secret, now / 1000).is_err());
    assert!(refunds.got.lock().unwrap().is_empty());

    let deliveries = log(&mut owner, erp_id).await["deliveries"].clone();
    let states: Vec<&Value> = deliveries
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["state"])
        .collect();
    assert_eq!(states, [&json!("Delivered"), &json!("Delivered")]);
    assert_eq!(deliveries[0]["last_status"], 200);
    // Nothing again: each was sent once.
    assert_eq!(round_at(&app, now + 120_000).await, Round::default());
    assert_eq!(erp.got.lock().unwrap().len(), 2);

    // A paused endpoint is not sent to, and an event nobody active wants is not even kept.
    owner
        .call_ok(
            "set_webhook_active",
            &[("id", &erp_id.to_string()), ("active", "false")],
        )
        .await;
    touch_product(&mut owner, product).await;
    assert_eq!(events_waiting(&app).await, 0);
}

async fn failed_deliveries_are_tried_again_then_given_up_and_can_be_resent(backend: Backend) {
    let app = seeded_app(backend, 1, 32).await;
    let mut owner = admin(&app).await;
    let erp = Receiver::start().await;
    erp.answer(500);
    let (id, secret) = endpoint(&mut owner, &erp.url, &["product.updated"]).await;
    touch_product(&mut owner, first_product(&app).await).await;

    let mut now = now_ms();
    let failed = Round {
        queued: 0,
        delivered: 0,
        failed: 1,
    };
    assert_eq!(
        round_at(&app, now).await,
        Round {
            queued: 1,
            ..failed
        }
    );
    for wait in RETRY_AFTER_SECS {
        // Not before its wait is over, then once.
        assert_eq!(
            round_at(&app, now + wait * 1000 - 1).await,
            Round::default()
        );
        now += wait * 1000;
        assert_eq!(round_at(&app, now).await, failed);
    }
    let attempts = RETRY_AFTER_SECS.len() + 1;
    assert_eq!(
        round_at(&app, now + 10 * 86_400_000).await,
        Round::default()
    );
    let bodies = erp.bodies(&secret);
    assert_eq!(bodies.len(), attempts);
    assert!(
        bodies.iter().all(|b| *b == bodies[0]),
        "the same body each time"
    );
    let delivery = &log(&mut owner, id).await["deliveries"][0];
    assert_eq!(delivery["state"], "GivenUp");
    assert_eq!(delivery["attempts"], attempts);
    assert_eq!(delivery["last_status"], 500);
    assert_eq!(
        delivery["last_error"],
        "The endpoint answered 500 Internal Server Error."
    );

    // "Resend" queues a copy; another endpoint's id or a made-up delivery finds nothing.
    let delivery = delivery["id"].as_i64().unwrap();
    for (endpoint, delivery, status) in [
        (id + 1, delivery, StatusCode::NOT_FOUND),
        (id, 999_999, StatusCode::NOT_FOUND),
        (id, delivery, StatusCode::OK),
    ] {
        let (endpoint, delivery) = (endpoint.to_string(), delivery.to_string());
        let form = [
            ("endpoint", endpoint.as_str()),
            ("delivery", delivery.as_str()),
        ];
        let reply = owner.call("resend_webhook", &form).await;
        assert_eq!(reply.status, status, "{}", reply.body);
    }
    erp.answer(204);
    assert_eq!(
        round_at(&app, now_ms()).await,
        Round {
            queued: 0,
            delivered: 1,
            failed: 0
        }
    );
    let bodies = erp.bodies(&secret);
    assert_eq!(bodies.last(), bodies.first(), "the copy is the same event");
    let log = log(&mut owner, id).await;
    assert_eq!(log["deliveries"][0]["state"], "Delivered");
    assert_eq!(log["deliveries"][1]["state"], "GivenUp");
    assert_eq!(log["endpoint"]["failed"], 1);
    assert_eq!(log["endpoint"]["pending"], 0);
}

async fn inventory_low_goes_out_once_each_time_stock_falls(backend: Backend) {
    let app = seeded_app(backend, 2, 33).await;
    app.execute("UPDATE product_variants SET stock = 100").await;
    let mut owner = admin(&app).await;
    let warehouse = Receiver::start().await;
    let (_, secret) = endpoint(&mut owner, &warehouse.url, &["inventory.low"]).await;
    let api_key = make_key(&app, "Warehouse", &["inventory:write"]).await;
    let sku = variant(&app, 0, 1_000, 100).await;
    let set = |stock: i64| {
        let request = Request::put(format!("/api/v1/inventory/{sku}"))
            .header(header::AUTHORIZATION, format!("Bearer {api_key}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "stock": stock }).to_string()))
            .unwrap();
        let app = &app;
        async move {
            let response = app.request(request).await;
            assert_eq!(
                response.status(),
                StatusCode::OK,
                "{}",
                body_text(response).await
            );
        }
    };
    let lows = |expected: usize| {
        let bodies = warehouse.bodies(&secret);
        assert_eq!(bodies.len(), expected, "{bodies:?}");
        bodies
    };

    round_at(&app, now_ms()).await;
    lows(0);
    set(3).await;
    round_at(&app, now_ms()).await;
    let bodies = lows(1);
    assert_eq!(bodies[0]["type"], "inventory.low");
    assert_eq!(bodies[0]["data"]["sku"], sku.as_str());
    assert_eq!(bodies[0]["data"]["stock"], 3);
    // Still low, lower still: nothing new.
    round_at(&app, now_ms()).await;
    set(2).await;
    round_at(&app, now_ms()).await;
    lows(1);
    // Restocked above the level, then falling to it again: once more.
    set(10).await;
    round_at(&app, now_ms()).await;
    set(5).await;
    round_at(&app, now_ms()).await;
    assert_eq!(lows(2)[1]["data"]["stock"], 5);
}

async fn rounds_run_at_once_send_each_delivery_once(backend: Backend) {
    let app = seeded_app(backend, 12, 34).await;
    let mut owner = admin(&app).await;
    let erp = Receiver::start().await;
    let (_, secret) = endpoint(&mut owner, &erp.url, &["product.updated"]).await;
    let products: Vec<i64> = sqlx::query_scalar("SELECT id FROM products ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    let now = now_ms();
    // Changes to one product between two rounds go out once, as it is now.
    for _ in 0..3 {
        touch_product(&mut owner, products[0]).await;
    }
    assert_eq!(round_at(&app, now).await.queued, 1);

    for product in &products {
        touch_product(&mut owner, *product).await;
    }
    let events = products.len();
    let (a, b, c) = tokio::join!(
        round_at(&app, now),
        round_at(&app, now),
        round_at(&app, now)
    );
    assert_eq!(a.queued + b.queued + c.queued, events as u64);
    assert_eq!(a.delivered + b.delivered + c.delivered, events);
    let bodies = erp.bodies(&secret);
    let mut ids: Vec<&str> = bodies.iter().map(|b| b["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), events + 1, "each event once");
    assert_eq!(bodies.len(), events + 1, "each delivery once");
}
