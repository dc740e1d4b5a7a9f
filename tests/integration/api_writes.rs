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

/// Requests with one API key.
struct Api<'a> {
    app: &'a TestApp,
    key: String,
}

/// A key made by the admin, ready to send requests.
async fn api_key<'a>(app: &'a TestApp, name: &str, scopes: &[&str]) -> Api<'a> {
    let key = make_key(app, name, scopes).await;
    Api { app, key }
}

impl Api<'_> {
    async fn send(
        &self,
        method: Method,
        path: &str,
        extra: Option<(&str, &str)>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.key))
            .header(header::CONTENT_TYPE, "application/json");
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = self.app.request(request.body(body).unwrap()).await;
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

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, None, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, None, Some(body)).await
    }

    /// `POST` with an `Idempotency-Key`.
    async fn post_once(&self, path: &str, once: &str, body: Value) -> Answer {
        let extra = Some(("idempotency-key", once));
        self.send(Method::POST, path, extra, Some(body)).await
    }

    /// `PUT` with `If-Match`.
    async fn put_if(&self, path: &str, etag: &str, body: Value) -> Answer {
        let extra = Some(("if-match", etag));
        self.send(Method::PUT, path, extra, Some(body)).await
    }

    /// `DELETE` with `If-Match`.
    async fn delete_if(&self, path: &str, etag: &str) -> Answer {
        self.send(Method::DELETE, path, Some(("if-match", etag)), None)
            .await
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
    app.scalar("SELECT slug FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1")
        .await
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
    app.rows("SELECT actor, action, summary FROM audit_log ORDER BY id")
        .await
}

async fn products_are_created_replaced_and_deleted_as_last_read(backend: Backend) {
    let app = seeded_app(backend, 2, 7).await;
    let key = api_key(&app, "PIM", &["catalog:read", "catalog:write"]).await;
    let reader = api_key(&app, "Shop window", &["catalog:read"]).await;
    let category = a_category(&app).await;

    let created = key.post("/api/v1/products", mug(&category, 950)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_i64().unwrap();
    assert_eq!(
        created.headers[header::LOCATION],
        format!("/api/v1/products/{id}").as_str()
    );
    assert_eq!(created.json["variants"][0]["sku"], "MUG-T-S");
    let path = format!("/api/v1/products/{id}");
    let read = reader.get(&path).await;
    assert_eq!(read.etag(), created.etag());

    // A key without catalog:write reads but does not write.
    reader
        .put(&path, mug(&category, 1))
        .await
        .problem(StatusCode::FORBIDDEN);

    let mut change = mug(&category, 1_100);
    change["variants"].as_array_mut().unwrap().pop();
    let replaced = key.put_if(&path, &read.etag(), change.clone()).await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.json);
    assert_eq!(replaced.json["variants"].as_array().unwrap().len(), 1);
    assert_eq!(replaced.json["variants"][0]["price_minor"], 1_100);
    assert_ne!(replaced.etag(), read.etag());
    // Sent again with what it read first, the same change is refused and nothing moves.
    let stale = key.put_if(&path, &read.etag(), mug(&category, 5)).await;
    stale.problem(StatusCode::PRECONDITION_FAILED);
    // A body that is wrong is wrong whatever If-Match says: 422, not 412.
    let mut wrong = mug(&category, 5);
    wrong["title"] = json!("");
    key.put_if(&path, &read.etag(), wrong)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    let now = reader.get(&path).await;
    assert_eq!(now.json, replaced.json);

    let mut bad = change.clone();
    bad["variants"][0]["price_minor"] = json!(-5);
    bad["title"] = json!("");
    let refused = key.put(&path, bad).await;
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
        key.put(&path, body).await.problem(status);
    }
    key.put("/api/v1/products/x", change.clone())
        .await
        .problem(StatusCode::BAD_REQUEST);
    key.put("/api/v1/products/999999", change)
        .await
        .problem(StatusCode::NOT_FOUND);
    assert_eq!(reader.get(&path).await.json, replaced.json);

    key.delete_if(&path, &read.etag())
        .await
        .problem(StatusCode::PRECONDITION_FAILED);
    let deleted = key.delete_if(&path, &replaced.etag()).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    reader.get(&path).await.problem(StatusCode::NOT_FOUND);

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
    let key = api_key(&app, "WMS", &["catalog:read", "inventory:write"]).await;
    let sku: String = app
        .scalar("SELECT sku FROM product_variants ORDER BY id LIMIT 1")
        .await;
    let path = format!("/api/v1/inventory/{sku}");
    let read = key.get(&path).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.json);
    let etag = read.etag();
    let writes = (0..8).map(|n| {
        let (key, path, etag) = (&key, &path, &etag);
        async move { key.put_if(path, etag, json!({"stock": 100 + n})).await }
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
    let now = key.get(&path).await;
    assert_eq!(now.json["stock"], won[0].json["stock"]);
    assert_eq!(now.etag(), won[0].etag());
    let refused = key.put(&path, json!({"stock": -1})).await;
    refused.problem(StatusCode::UNPROCESSABLE_ENTITY);
    key.put("/api/v1/inventory/NOPE-1", json!({"stock": 1}))
        .await
        .problem(StatusCode::NOT_FOUND);
}

async fn an_idempotency_key_acts_once_even_sent_at_once(backend: Backend) {
    let app = seeded_app(backend, 1, 11).await;
    let key = api_key(&app, "PIM", &["catalog:write"]).await;
    let category = a_category(&app).await;
    let count = || async { app.scalar::<i64>("SELECT COUNT(*) FROM products").await };
    let before = count().await;
    let posts = (0..6).map(|_| {
        let (key, category) = (&key, &category);
        async move {
            key.post_once("/api/v1/products", "import-7", mug(category, 950))
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
    let again = key
        .post_once("/api/v1/products", "import-7", mug(&category, 950))
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.json, first.json);
    assert_eq!(
        again.headers[header::LOCATION],
        first.headers[header::LOCATION]
    );
    let other = key
        .post_once("/api/v1/products", "import-7", mug(&category, 1))
        .await;
    other.problem(StatusCode::UNPROCESSABLE_ENTITY);
    // A refusal is kept too: the same bad request gets the same answer and makes nothing.
    let mut bad = mug(&category, 950);
    bad["title"] = json!("");
    for _ in 0..2 {
        let refused = key
            .post_once("/api/v1/products", "bad-1", bad.clone())
            .await;
        refused.problem(StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Another key's idempotency keys are its own.
    let second = api_key(&app, "PIM 2", &["catalog:write"]).await;
    let mut other_mug = mug(&category, 950);
    other_mug["title"] = json!("Short mug");
    other_mug["variants"] = json!([{"sku": "MUG-X", "price_minor": 500, "stock": 1}]);
    let theirs = second
        .post_once("/api/v1/products", "import-7", other_mug)
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.json);
    assert_eq!(count().await, before + 2);
}

async fn a_stock_batch_is_all_or_nothing(backend: Backend) {
    let app = seeded_app(backend, 3, 13).await;
    let key = api_key(&app, "WMS", &["inventory:write"]).await;
    let stocks = || async {
        app.rows::<(String, i64)>("SELECT sku, stock FROM product_variants ORDER BY id")
            .await
    };
    let before = stocks().await;
    let items: Vec<Value> = before
        .iter()
        .map(|(sku, _)| json!({"sku": sku.to_lowercase(), "stock": 7}))
        .collect();
    let mut with_unknown = items.clone();
    with_unknown.insert(1, json!({"sku": "NOPE-1", "stock": 3}));
    with_unknown.push(json!({"sku": before[0].0, "stock": -2}));
    let refused = key
        .put("/api/v1/inventory", json!({"items": with_unknown}))
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
    let refused = key
        .put("/api/v1/inventory", json!({"items": unknown_only}))
        .await;
    refused.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.json["errors"][0]["field"],
        format!("items[{}][sku]", items.len())
    );
    let too_many: Vec<Value> = (0..501)
        .map(|i| json!({"sku": format!("S-{i}"), "stock": 1}))
        .collect();
    key.put("/api/v1/inventory", json!({"items": too_many}))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stocks().await, before, "a refused batch changes nothing");

    let done = key.put("/api/v1/inventory", json!({"items": items})).await;
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
    let key = api_key(&app, "Warehouse", &["orders:read", "orders:write"]).await;
    let reader = api_key(&app, "Reports", &["orders:read"]).await;
    let mut buyer = shopper(&app, "api mover").await;
    let sku = variant(&app, 0, 1_500, 10).await;
    add(&mut buyer, &sku, "1").await;
    let to = address(&mut buyer, "US").await;
    let reply = place(&mut buyer, &checkout_key(1), &to, GOOD_CARD, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let number: String = app.scalar("SELECT number FROM orders").await;
    let path = format!("/api/v1/orders/{number}/status");

    reader
        .post(&path, json!({"status": "shipped"}))
        .await
        .problem(StatusCode::FORBIDDEN);
    key.post(&path, json!({"status": "lost"}))
        .await
        .problem(StatusCode::BAD_REQUEST);
    key.post("/api/v1/orders/NOPE/status", json!({"status": "shipped"}))
        .await
        .problem(StatusCode::NOT_FOUND);
    let moved = key
        .post_once(&path, "ship-1", json!({"status": "shipped"}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.json);
    assert_eq!(moved.json["status"], "shipped");
    // Sent again (a retry after a lost answer): the same answer, and the order moved once.
    let again = key
        .post_once(&path, "ship-1", json!({"status": "shipped"}))
        .await;
    assert_eq!(again.json, moved.json);
    let history: i64 = app
        .scalar("SELECT COUNT(*) FROM order_status_changes WHERE to_status = 'shipped'")
        .await;
    assert_eq!(history, 1);
    // The order desk's rules hold: a shipped order is not paid again.
    key.post(&path, json!({"status": "paid"}))
        .await
        .problem(StatusCode::CONFLICT);
    let (_, action, summary) = audit(&app).await.pop().unwrap();
    assert_eq!(
        (action.as_str(), summary.as_str()),
        ("order.status", "status → Shipped")
    );
}
