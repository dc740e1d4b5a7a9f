//! API keys and the REST API under /api/v1, on both databases: keys made and revoked by an
//! admin, scopes, cursor paging that visits every row once, and problem documents for every
//! refusal.

use crate::{
    checkout::{GOOD_CARD, add, address, key as checkout_key, place, shopper, variant},
    on_both_backends,
    support::{
        Backend, Reply, TestApp, admin, body_text, register, seeded_app, spawn_app_with,
        unique_email,
    },
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use emporium::integrations::model::ApiOperation;
use serde_json::Value;

on_both_backends!(
    an_admin_makes_a_key_that_opens_the_api_until_revoked,
    the_api_answers_anything_but_a_live_key_with_a_problem_document,
    paging_by_cursor_visits_every_product_once_and_orders_filter_by_status,
    only_admins_manage_keys_and_a_bad_form_changes_nothing,
    the_openapi_document_describes_every_route,
    each_key_has_its_requests_per_minute_even_all_at_once,
    guessing_keys_from_one_address_is_cut_short,
    categories_and_customers_are_read_each_with_its_scope,
);

/// Makes a key through the admin's server function; returns the whole key.
pub async fn make_key(app: &TestApp, name: &str, scopes: &[&str]) -> String {
    let mut staff = admin(app).await;
    let fields: Vec<(String, &str)> = scopes
        .iter()
        .enumerate()
        .map(|(i, scope)| (format!("key[scopes][{i}]"), *scope))
        .collect();
    let mut form = vec![("key[name]", name)];
    form.extend(fields.iter().map(|(k, v)| (k.as_str(), *v)));
    let reply = staff.call_ok("create_api_key", &form).await;
    let issued: Value = serde_json::from_str(&reply.body).unwrap();
    issued["key"].as_str().unwrap().to_owned()
}

/// `GET path` with `Authorization: Bearer key` (none when empty): status, headers and JSON.
async fn api(app: &TestApp, key: &str, path: &str) -> (StatusCode, String, Value) {
    let mut request = Request::get(path);
    if !key.is_empty() {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let response = app.request(request.body(Body::empty()).unwrap()).await;
    let status = response.status();
    let kind = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = body_text(response).await;
    let json = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{status} not JSON: {body}"));
    (status, kind, json)
}

/// Asserts a refusal is a problem document with this status.
pub fn problem(answer: &(StatusCode, String, Value), status: StatusCode) {
    let (got, kind, json) = answer;
    assert_eq!(*got, status, "{json}");
    assert_eq!(kind, "application/problem+json");
    assert_eq!(json["status"], status.as_u16());
    assert!(
        json["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{json}"
    );
}

async fn an_admin_makes_a_key_that_opens_the_api_until_revoked(backend: Backend) {
    let app = seeded_app(backend, 30, 3).await;
    let key = make_key(&app, "Warehouse", &["catalog:read"]).await;
    assert!(key.starts_with("emp_"), "{key}");
    let stored: String = app.scalar("SELECT secret_digest FROM api_keys").await;
    assert!(
        !stored.contains(&key[13..]),
        "only a digest of the key is kept"
    );

    let (status, _, page) = api(&app, &key, "/api/v1/products?limit=5").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["data"].as_array().unwrap().len(), 5);
    let first = &page["data"][0];
    let id = first["id"].as_i64().unwrap();
    let (status, _, one) = api(&app, &key, &format!("/api/v1/products/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["title"], first["title"]);
    let (sku, price): (String, i64) = sqlx::query_as(
        "SELECT sku, price_minor FROM product_variants WHERE product_id = $1 ORDER BY position, id LIMIT 1",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(one["variants"][0]["sku"], sku.as_str());
    assert_eq!(one["variants"][0]["price_minor"], price);

    // The key may read the catalog only.
    problem(
        &api(&app, &key, "/api/v1/orders").await,
        StatusCode::FORBIDDEN,
    );

    let mut staff = admin(&app).await;
    let reply = staff.call("admin_api_keys", &[]).await;
    let keys: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(keys[0]["name"], "Warehouse");
    assert!(keys[0]["last_used_at"].is_i64(), "its use is noted: {keys}");
    assert!(key.starts_with(&format!("emp_{}_", keys[0]["prefix"].as_str().unwrap())));

    let id = keys[0]["id"].to_string();
    staff.call_ok("revoke_api_key", &[("id", &id)]).await;
    let refused = api(&app, &key, "/api/v1/products").await;
    problem(&refused, StatusCode::UNAUTHORIZED);
    let response = app
        .request(
            Request::get("/api/v1/products")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    let reply = staff.call("revoke_api_key", &[("id", "999999")]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

async fn the_api_answers_anything_but_a_live_key_with_a_problem_document(backend: Backend) {
    let app = seeded_app(backend, 5, 3).await;
    let key = make_key(&app, "ERP", &["catalog:read", "orders:read"]).await;
    let (prefix, _) = key[4..].split_once('_').unwrap();
    for wrong in [
        String::new(),
        "nonsense".to_owned(),
        format!("emp_{prefix}_{}", "0".repeat(48)),
        format!("emp_00000000_{}", &key[13..]),
        key.to_uppercase(),
    ] {
        problem(
            &api(&app, &wrong, "/api/v1/products").await,
            StatusCode::UNAUTHORIZED,
        );
    }
    for (path, status) in [
        ("/api/v1/products?limit=0", StatusCode::BAD_REQUEST),
        ("/api/v1/products?limit=201", StatusCode::BAD_REQUEST),
        ("/api/v1/products?limit=ten", StatusCode::BAD_REQUEST),
        ("/api/v1/products?cursor=-4", StatusCode::BAD_REQUEST),
        ("/api/v1/products?cursor=%FF", StatusCode::BAD_REQUEST),
        ("/api/v1/products/abc", StatusCode::BAD_REQUEST),
        ("/api/v1/products/99999999", StatusCode::NOT_FOUND),
        ("/api/v1/orders?status=lost", StatusCode::BAD_REQUEST),
        ("/api/v1/nothing", StatusCode::NOT_FOUND),
        ("/api/v1", StatusCode::NOT_FOUND),
    ] {
        let answer = api(&app, &key, path).await;
        assert_eq!(answer.0, status, "{path}: {}", answer.2);
        problem(&answer, status);
    }
}

async fn paging_by_cursor_visits_every_product_once_and_orders_filter_by_status(backend: Backend) {
    let app = seeded_app(backend, 23, 5).await;
    let key = make_key(&app, "ERP", &["catalog:read", "orders:read"]).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/products?limit=7".to_owned();
    loop {
        let (status, _, page) = api(&app, &key, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/products?limit=7&cursor={cursor}"),
            None => break,
        }
    }
    let all: Vec<i64> = sqlx::query_scalar("SELECT id FROM products ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(seen, all);

    let mut buyer = shopper(&app, "api buyer").await;
    let sku = variant(&app, 0, 1_500, 10).await;
    add(&mut buyer, &sku, "2").await;
    let to = address(&mut buyer, "US").await;
    let reply = place(&mut buyer, &checkout_key(1), &to, GOOD_CARD, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let (_, _, paid) = api(&app, &key, "/api/v1/orders?status=paid").await;
    let orders = paid["data"].as_array().unwrap();
    assert_eq!(orders.len(), 1, "{paid}");
    assert_eq!(orders[0]["subtotal_minor"], 3_000);
    assert!(
        orders[0]["email"]
            .as_str()
            .unwrap()
            .starts_with("api.buyer")
    );
    let (_, _, shipped) = api(&app, &key, "/api/v1/orders?status=shipped").await;
    assert_eq!(shipped["data"].as_array().unwrap().len(), 0);
}

async fn only_admins_manage_keys_and_a_bad_form_changes_nothing(backend: Backend) {
    let app = seeded_app(backend, 5, 3).await;
    let form = [("key[name]", "Sneaky"), ("key[scopes][0]", "catalog:read")];
    let reply: Reply = app.client().call("create_api_key", &form).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let mut customer = register(&app, "Casey", &unique_email("casey")).await;
    for (function, args) in [
        ("create_api_key", &form[..]),
        ("admin_api_keys", &[][..]),
        ("revoke_api_key", &[("id", "1")][..]),
    ] {
        let reply = customer.call(function, args).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{function}");
    }
    let mut staff = admin(&app).await;
    let reply = staff
        .call(
            "create_api_key",
            &[("key[name]", " "), ("key[scopes][0]", "catalog:delete")],
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains(r#""field":"name""#) && reply.body.contains(r#""field":"scopes""#),
        "{}",
        reply.body
    );
    let keys: i64 = app.scalar("SELECT COUNT(*) FROM api_keys").await;
    assert_eq!(keys, 0);
}

async fn the_openapi_document_describes_every_route(backend: Backend) {
    let app = seeded_app(backend, 1, 3).await;
    let (status, kind, document) = api(&app, "", "/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(kind, "application/json");
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{document}"
    );
    for (path, method) in [
        ("/api/v1/products", "get"),
        ("/api/v1/products", "post"),
        ("/api/v1/products/{id}", "get"),
        ("/api/v1/products/{id}", "put"),
        ("/api/v1/products/{id}", "delete"),
        ("/api/v1/inventory", "put"),
        ("/api/v1/inventory/{sku}", "get"),
        ("/api/v1/inventory/{sku}", "put"),
        ("/api/v1/orders", "get"),
        ("/api/v1/orders/{number}/status", "post"),
        ("/api/v1/categories", "get"),
        ("/api/v1/customers", "get"),
    ] {
        let operation = &document["paths"][path][method];
        for (status, response) in operation["responses"].as_object().unwrap() {
            let problem = &response["content"]["application/problem+json"]["schema"]["$ref"];
            assert!(
                !status.starts_with('4') || problem == "#/components/schemas/ProblemDocument",
                "{method} {path} {status}: {response}"
            );
        }
        assert!(
            operation["responses"]["401"].is_object(),
            "{path}: {operation}"
        );
        assert!(
            operation["security"][0]["api_key"].is_array(),
            "{path}: {operation}"
        );
    }
    assert_eq!(
        document["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
    let status = document["paths"]["/api/v1/orders"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "status")
        .unwrap();
    let statuses = status["schema"]["enum"].as_array().unwrap();
    assert!(statuses.iter().any(|s| s == "paid") && statuses.iter().any(|s| s == "refunded"));
    assert!(
        document["components"]["schemas"]["ProductRecord"].is_object(),
        "{document}"
    );
    let moves = &document["components"]["schemas"]["StatusMove"]["properties"]["status"]["enum"];
    assert_eq!(
        moves.as_array().unwrap().len(),
        statuses.len(),
        "{document}"
    );
    let products = &document["components"]["schemas"]["ProductWrite"]["properties"]["status"];
    assert_eq!(
        products["enum"],
        serde_json::json!(["draft", "active", "archived"])
    );

    // The admin's reference page lists the same routes, read from the document.
    let reply = admin(&app).await.call_ok("api_reference", &[]).await;
    let operations: Vec<ApiOperation> = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(operations.len(), 12);
    let batch = operations
        .iter()
        .find(|o| o.method == "PUT" && o.path == "/api/v1/inventory")
        .unwrap();
    assert_eq!(
        (batch.scope.as_str(), batch.body.as_str()),
        ("inventory:write", "StockBatch")
    );
    assert!(batch.responses.iter().any(|(status, _)| status == "422"));
    let list = operations
        .iter()
        .find(|o| o.method == "GET" && o.path == "/api/v1/products")
        .unwrap();
    assert!(
        list.parameters
            .iter()
            .any(|p| p.name == "limit" && p.location == "query" && !p.required)
    );
    assert!(list.summary.contains("every product"), "{}", list.summary);
}

async fn each_key_has_its_requests_per_minute_even_all_at_once(backend: Backend) {
    let app = spawn_app_with(backend, &[("EMPORIUM_API_REQUESTS_PER_MINUTE", "5".into())]).await;
    let busy = make_key(&app, "Busy", &["catalog:read"]).await;
    let other = make_key(&app, "Other", &["catalog:read"]).await;
    let get = |key: String| {
        let app = &app;
        async move {
            app.request(
                Request::get("/api/v1/products?limit=1")
                    .header(header::AUTHORIZATION, format!("Bearer {key}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
    };
    // The count starts again each minute: the test runs inside one.
    let into_minute = emporium::platform::db::now_ms() % 60_000;
    if into_minute > 55_000 {
        tokio::time::sleep(std::time::Duration::from_millis(
            60_001 - into_minute as u64,
        ))
        .await;
    }
    let first = get(busy.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["ratelimit-limit"], "5");
    assert_eq!(first.headers()["ratelimit-remaining"], "4");
    let reset: i64 = first.headers()["ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&reset), "{reset}");

    // Eight more at once: four fit in the minute, on any number of nodes (the count is the
    // database's), and the rest are refused.
    let answers = futures::future::join_all((0..8).map(|_| get(busy.clone()))).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status()).collect();
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(ok, 4, "{statuses:?}");
    let refused = answers
        .into_iter()
        .find(|a| a.status() == StatusCode::TOO_MANY_REQUESTS)
        .unwrap();
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(refused.headers()["ratelimit-remaining"], "0");
    assert_eq!(
        refused.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body = body_text(refused).await;
    assert!(body.contains("5 requests of this minute"), "{body}");

    // Another key counts apart.
    assert_eq!(get(other).await.status(), StatusCode::OK);
}

async fn guessing_keys_from_one_address_is_cut_short(backend: Backend) {
    let app = seeded_app(backend, 2, 3).await;
    let key = make_key(&app, "ERP", &["catalog:read"]).await;
    let (prefix, _) = key[4..].split_once('_').unwrap();
    let mut guesser = app.client_from([192, 0, 2, 7]);
    let call = async |client: &mut crate::support::Client<'_>, key: &str| {
        let request = Request::get("/api/v1/products")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::empty())
            .unwrap();
        client.send(request).await
    };
    let limit = emporium::integrations::service::WRONG_KEYS.max;
    for n in 0..limit {
        let guess = format!("emp_{prefix}_{n:048x}");
        assert_eq!(
            call(&mut guesser, &guess).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let refused = call(&mut guesser, &format!("emp_{prefix}_{:048x}", limit)).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert!(refused.headers.contains_key(header::RETRY_AFTER));
    assert!(refused.body.contains(r#""status":429"#), "{}", refused.body);
    // The live key still opens, from that address and any other.
    assert_eq!(call(&mut guesser, &key).await.status, StatusCode::OK);
    assert_eq!(call(&mut app.client(), &key).await.status, StatusCode::OK);
    let mut elsewhere = app.client_from([192, 0, 2, 8]);
    let wrong = format!("emp_{prefix}_{}", "0".repeat(48));
    assert_eq!(
        call(&mut elsewhere, &wrong).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn categories_and_customers_are_read_each_with_its_scope(backend: Backend) {
    let app = seeded_app(backend, 3, 6).await;
    let catalog = make_key(&app, "Shop window", &["catalog:read"]).await;
    let crm = make_key(&app, "Mailing tool", &["customers:read"]).await;

    let (status, _, page) = api(&app, &catalog, "/api/v1/categories?limit=200").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let categories = page["data"].as_array().unwrap();
    let stored: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT c.id, c.slug, p.slug FROM categories c \
         LEFT JOIN categories p ON p.id = c.parent_id ORDER BY c.id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(categories.len(), stored.len());
    for (category, (id, slug, parent)) in categories.iter().zip(&stored) {
        assert_eq!(category["id"], *id);
        assert_eq!(category["slug"], slug.as_str());
        assert_eq!(category["parent"].as_str(), parent.as_deref());
    }
    assert!(stored.iter().any(|(.., parent)| parent.is_some()));
    let (status, _, _) = api(&app, &catalog, "/api/v1/customers").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    shopper(&app, "api reader").await;
    app.execute("UPDATE users SET notify_news_email = 1 WHERE email LIKE 'api.reader%'")
        .await;
    let (status, _, page) = api(&app, &crm, "/api/v1/customers?limit=200").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let reader = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["email"].as_str().unwrap().starts_with("api.reader"))
        .unwrap_or_else(|| panic!("{page}"));
    assert_eq!(reader["accepts_news"], true);
    assert_eq!(reader["role"], "customer");
    assert_eq!(reader["orders"], 0);
    assert!(reader.get("password_hash").is_none());
    let (status, _, _) = api(&app, &crm, "/api/v1/categories").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
