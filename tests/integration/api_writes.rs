//! The REST API's writes on both databases: products created, replaced and deleted under
//! `If-Match`, stock set one SKU or a batch at a time (all or none), orders moved on; a stale
//! `If-Match` loses even when sent at once, `Idempotency-Key` acts once, and the audit log names
//! the key.

use crate::{
    api_keys::{make_key, problem},
    checkout::{GOOD_CARD, add, address, key as checkout_key, place, shopper, variant},
    on_both_backends,
    support::{Backend, TestApp, body_text, seeded_app},
};
use axum::{
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use futures::future::join_all;
use serde_json::{Value, json};

on_both_backends!(
    products_are_created_replaced_and_deleted_as_last_read,
    only_one_of_writes_sent_at_once_with_the_same_if_match_wins,
    an_idempotency_key_acts_once_even_sent_at_once,
    a_stock_batch_is_all_or_nothing,
    orders_move_on_as_the_order_desk_allows,
);

/// An answer: status, headers, JSON body (null when empty).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

async fn send(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    extra: &[(&str, &str)],
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = app.request(request.body(body).unwrap()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let text = body_text(response).await;
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status} not JSON: {text}"))
    };
    Answer {
        status,
        headers,
        json,
    }
}

impl Answer {
    fn etag(&self) -> String {
        self.headers[header::ETAG].to_str().unwrap().to_owned()
    }

    fn problem(&self, status: StatusCode) {
        let kind = self.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        problem(&(self.status, kind, self.json.clone()), status);
    }
}

async fn a_category(app: &TestApp) -> String {
    sqlx::query_scalar(
        "SELECT slug FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap()
}

fn mug(category: &str, price_minor: i64) -> Value {
    json!({
        "title": "Tall mug",
        "brand": "Potter",
        "category": category,
        "status": "active",
        "variants": [
            {"sku": "mug-t-s", "price_minor": price_minor, "stock": 4},
            {"sku": "MUG-T-L", "options": "Size=L", "price_minor": 1_250, "stock": 2}
        ]
    })
}

async fn audit(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT actor, action, summary FROM audit_log ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

async fn products_are_created_replaced_and_deleted_as_last_read(backend: Backend) {
    let app = seeded_app(backend, 2, 7).await;
    let key = make_key(&app, "PIM", &["catalog:read", "catalog:write"]).await;
    let reader = make_key(&app, "Shop window", &["catalog:read"]).await;
    let category = a_category(&app).await;

    let created = send(
        &app,
        &key,
        Method::POST,
        "/api/v1/products",
        &[],
        Some(mug(&category, 950)),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_i64().unwrap();
    assert_eq!(
        created.headers[header::LOCATION],
        format!("/api/v1/products/{id}").as_str()
    );
    assert_eq!(created.json["variants"][0]["sku"], "MUG-T-S");
    let path = format!("/api/v1/products/{id}");
    let read = send(&app, &reader, Method::GET, &path, &[], None).await;
    assert_eq!(read.etag(), created.etag());

    // A key without catalog:write reads but does not write.
    send(
        &app,
        &reader,
        Method::PUT,
        &path,
        &[],
        Some(mug(&category, 1)),
    )
    .await
    .problem(StatusCode::FORBIDDEN);

    let mut change = mug(&category, 1_100);
    change["variants"].as_array_mut().unwrap().pop();
    let replaced = send(
        &app,
        &key,
        Method::PUT,
        &path,
        &[("if-match", &read.etag())],
        Some(change.clone()),
    )
    .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.json);
    assert_eq!(replaced.json["variants"].as_array().unwrap().len(), 1);
    assert_eq!(replaced.json["variants"][0]["price_minor"], 1_100);
    assert_ne!(replaced.etag(), read.etag());
    // Sent again with what it read first, the same change is refused and nothing moves.
    let stale = send(
        &app,
        &key,
        Method::PUT,
        &path,
        &[("if-match", &read.etag())],
        Some(mug(&category, 5)),
    )
    .await;
    stale.problem(StatusCode::PRECONDITION_FAILED);
    // A body that is wrong is wrong whatever If-Match says: 422, not 412.
    let mut wrong = mug(&category, 5);
    wrong["title"] = json!("");
    send(
        &app,
        &key,
        Method::PUT,
        &path,
        &[("if-match", &read.etag())],
        Some(wrong),
    )
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY);
    let now = send(&app, &reader, Method::GET, &path, &[], None).await;
    assert_eq!(now.json, replaced.json);

    let mut bad = change.clone();
    bad["variants"][0]["price_minor"] = json!(-5);
    bad["title"] = json!("");
    let refused = send(&app, &key, Method::PUT, &path, &[], Some(bad)).await;
    refused.problem(StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = refused.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["title", "variants[0][price]"]);
    for (body, status) in [
        (json!({"title": "x"}), StatusCode::BAD_REQUEST),
        (json!([1, 2]), StatusCode::BAD_REQUEST),
        (
            json!({"title": "x", "brand": "y", "category": "z", "status": "active",
                   "variants": [{"id": 0, "sku": "X-1", "price_minor": 1, "stock": 1}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        send(&app, &key, Method::PUT, &path, &[], Some(body))
            .await
            .problem(status);
    }
    send(
        &app,
        &key,
        Method::PUT,
        "/api/v1/products/x",
        &[],
        Some(change.clone()),
    )
    .await
    .problem(StatusCode::BAD_REQUEST);
    send(
        &app,
        &key,
        Method::PUT,
        "/api/v1/products/999999",
        &[],
        Some(change),
    )
    .await
    .problem(StatusCode::NOT_FOUND);
    assert_eq!(
        send(&app, &reader, Method::GET, &path, &[], None)
            .await
            .json,
        replaced.json
    );

    send(
        &app,
        &key,
        Method::DELETE,
        &path,
        &[("if-match", &read.etag())],
        None,
    )
    .await
    .problem(StatusCode::PRECONDITION_FAILED);
    let deleted = send(
        &app,
        &key,
        Method::DELETE,
        &path,
        &[("if-match", &replaced.etag())],
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    send(&app, &reader, Method::GET, &path, &[], None)
        .await
        .problem(StatusCode::NOT_FOUND);

    let log = audit(&app).await;
    let by_key: Vec<(&str, &str)> = log
        .iter()
        .filter(|(actor, ..)| actor.starts_with("API key emp_"))
        .map(|(_, action, summary)| (action.as_str(), summary.as_str()))
        .collect();
    assert_eq!(
        by_key,
        [
            ("product.saved", "created “Tall mug”"),
            (
                "product.saved",
                "MUG-T-S price: 9.50 → 11.00; MUG-T-L: removed"
            ),
            ("product.deleted", "deleted “Tall mug”"),
        ]
    );
}

async fn only_one_of_writes_sent_at_once_with_the_same_if_match_wins(backend: Backend) {
    let app = seeded_app(backend, 1, 9).await;
    let key = make_key(&app, "WMS", &["catalog:read", "inventory:write"]).await;
    let sku: String = sqlx::query_scalar("SELECT sku FROM product_variants ORDER BY id LIMIT 1")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let path = format!("/api/v1/inventory/{sku}");
    let read = send(&app, &key, Method::GET, &path, &[], None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.json);
    let etag = read.etag();
    let writes = (0..8).map(|n| {
        let (app, key, path, etag) = (&app, &key, &path, &etag);
        async move {
            send(
                app,
                key,
                Method::PUT,
                path,
                &[("if-match", etag)],
                Some(json!({"stock": 100 + n})),
            )
            .await
        }
    });
    let answers = join_all(writes).await;
    let won: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .collect();
    assert_eq!(won.len(), 1, "exactly one write holds");
    assert!(
        answers
            .iter()
            .filter(|a| a.status != StatusCode::OK)
            .all(|a| a.status == StatusCode::PRECONDITION_FAILED)
    );
    let now = send(&app, &key, Method::GET, &path, &[], None).await;
    assert_eq!(now.json["stock"], won[0].json["stock"]);
    assert_eq!(now.etag(), won[0].etag());
    let refused = send(
        &app,
        &key,
        Method::PUT,
        &path,
        &[],
        Some(json!({"stock": -1})),
    )
    .await;
    refused.problem(StatusCode::UNPROCESSABLE_ENTITY);
    send(
        &app,
        &key,
        Method::PUT,
        "/api/v1/inventory/NOPE-1",
        &[],
        Some(json!({"stock": 1})),
    )
    .await
    .problem(StatusCode::NOT_FOUND);
}

async fn an_idempotency_key_acts_once_even_sent_at_once(backend: Backend) {
    let app = seeded_app(backend, 1, 11).await;
    let key = make_key(&app, "PIM", &["catalog:write"]).await;
    let category = a_category(&app).await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM products")
            .fetch_one(app.db().pool())
            .await
            .unwrap()
    };
    let before = count().await;
    let posts = (0..6).map(|_| {
        let (app, key, category) = (&app, &key, &category);
        async move {
            send(
                app,
                key,
                Method::POST,
                "/api/v1/products",
                &[("idempotency-key", "import-7")],
                Some(mug(category, 950)),
            )
            .await
        }
    });
    let answers = join_all(posts).await;
    assert_eq!(count().await, before + 1, "six sends made one product");
    for answer in &answers {
        assert!(
            [StatusCode::CREATED, StatusCode::CONFLICT].contains(&answer.status),
            "{} {}",
            answer.status,
            answer.json
        );
    }
    let first = answers
        .iter()
        .find(|a| a.status == StatusCode::CREATED)
        .unwrap();
    let again = send(
        &app,
        &key,
        Method::POST,
        "/api/v1/products",
        &[("idempotency-key", "import-7")],
        Some(mug(&category, 950)),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.json, first.json);
    assert_eq!(
        again.headers[header::LOCATION],
        first.headers[header::LOCATION]
    );
    let other = send(
        &app,
        &key,
        Method::POST,
        "/api/v1/products",
        &[("idempotency-key", "import-7")],
        Some(mug(&category, 1)),
    )
    .await;
    other.problem(StatusCode::UNPROCESSABLE_ENTITY);
    // A refusal is kept too: the same bad request gets the same answer and makes nothing.
    let mut bad = mug(&category, 950);
    bad["title"] = json!("");
    for _ in 0..2 {
        let refused = send(
            &app,
            &key,
            Method::POST,
            "/api/v1/products",
            &[("idempotency-key", "bad-1")],
            Some(bad.clone()),
        )
        .await;
        refused.problem(StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Another key's idempotency keys are its own.
    let second = make_key(&app, "PIM 2", &["catalog:write"]).await;
    let mut other_mug = mug(&category, 950);
    other_mug["title"] = json!("Short mug");
    other_mug["variants"] = json!([{"sku": "MUG-X", "price_minor": 500, "stock": 1}]);
    let theirs = send(
        &app,
        &second,
        Method::POST,
        "/api/v1/products",
        &[("idempotency-key", "import-7")],
        Some(other_mug),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.json);
    assert_eq!(count().await, before + 2);
}

async fn a_stock_batch_is_all_or_nothing(backend: Backend) {
    let app = seeded_app(backend, 3, 13).await;
    let key = make_key(&app, "WMS", &["inventory:write"]).await;
    let stocks = || async {
        sqlx::query_as::<_, (String, i64)>("SELECT sku, stock FROM product_variants ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap()
    };
    let before = stocks().await;
    let items: Vec<Value> = before
        .iter()
        .map(|(sku, _)| json!({"sku": sku.to_lowercase(), "stock": 7}))
        .collect();
    let mut with_unknown = items.clone();
    with_unknown.insert(1, json!({"sku": "NOPE-1", "stock": 3}));
    with_unknown.push(json!({"sku": before[0].0, "stock": -2}));
    let refused = send(
        &app,
        &key,
        Method::PUT,
        "/api/v1/inventory",
        &[],
        Some(json!({"items": with_unknown})),
    )
    .await;
    refused.problem(StatusCode::UNPROCESSABLE_ENTITY);
    let last = with_unknown.len() - 1;
    let fields: Vec<&str> = refused.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            format!("items[{last}][stock]"),
            format!("items[{last}][sku]")
        ]
    );
    let unknown_only: Vec<Value> =
        [items.clone(), vec![json!({"sku": "NOPE-1", "stock": 3})]].concat();
    let refused = send(
        &app,
        &key,
        Method::PUT,
        "/api/v1/inventory",
        &[],
        Some(json!({"items": unknown_only})),
    )
    .await;
    refused.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.json["errors"][0]["field"],
        format!("items[{}][sku]", items.len())
    );
    let too_many: Vec<Value> = (0..501)
        .map(|i| json!({"sku": format!("S-{i}"), "stock": 1}))
        .collect();
    send(
        &app,
        &key,
        Method::PUT,
        "/api/v1/inventory",
        &[],
        Some(json!({"items": too_many})),
    )
    .await
    .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stocks().await, before, "a refused batch changes nothing");

    let done = send(
        &app,
        &key,
        Method::PUT,
        "/api/v1/inventory",
        &[],
        Some(json!({"items": items})),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.json);
    assert_eq!(done.json.as_array().unwrap().len(), before.len());
    assert!(stocks().await.iter().all(|(_, stock)| *stock == 7));
    let log = audit(&app).await;
    let (_, action, summary) = log.last().unwrap();
    assert_eq!(action, "inventory.set");
    assert!(
        summary.starts_with(&format!("{} → 7", before[0].0)),
        "{summary}"
    );
}

async fn orders_move_on_as_the_order_desk_allows(backend: Backend) {
    let app = seeded_app(backend, 1, 15).await;
    let key = make_key(&app, "Warehouse", &["orders:read", "orders:write"]).await;
    let reader = make_key(&app, "Reports", &["orders:read"]).await;
    let mut buyer = shopper(&app, "api mover").await;
    let sku = variant(&app, 0, 1_500, 10).await;
    add(&mut buyer, &sku, "1").await;
    let to = address(&mut buyer, "US").await;
    let reply = place(&mut buyer, &checkout_key(1), &to, GOOD_CARD, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let number: String = sqlx::query_scalar("SELECT number FROM orders")
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let path = format!("/api/v1/orders/{number}/status");

    send(
        &app,
        &reader,
        Method::POST,
        &path,
        &[],
        Some(json!({"status": "shipped"})),
    )
    .await
    .problem(StatusCode::FORBIDDEN);
    send(
        &app,
        &key,
        Method::POST,
        &path,
        &[],
        Some(json!({"status": "lost"})),
    )
    .await
    .problem(StatusCode::BAD_REQUEST);
    send(
        &app,
        &key,
        Method::POST,
        "/api/v1/orders/NOPE/status",
        &[],
        Some(json!({"status": "shipped"})),
    )
    .await
    .problem(StatusCode::NOT_FOUND);
    let moved = send(
        &app,
        &key,
        Method::POST,
        &path,
        &[("idempotency-key", "ship-1")],
        Some(json!({"status": "shipped"})),
    )
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.json);
    assert_eq!(moved.json["status"], "shipped");
    // Sent again (a retry after a lost answer): the same answer, and the order moved once.
    let again = send(
        &app,
        &key,
        Method::POST,
        &path,
        &[("idempotency-key", "ship-1")],
        Some(json!({"status": "shipped"})),
    )
    .await;
    assert_eq!(again.json, moved.json);
    let history: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM order_status_changes WHERE to_status = 'shipped'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(history, 1);
    // The order desk's rules hold: a shipped order is not paid again.
    send(
        &app,
        &key,
        Method::POST,
        &path,
        &[],
        Some(json!({"status": "paid"})),
    )
    .await
    .problem(StatusCode::CONFLICT);
    let (_, action, summary) = audit(&app).await.pop().unwrap();
    assert_eq!(
        (action.as_str(), summary.as_str()),
        ("order.status", "status → Shipped")
    );
}
