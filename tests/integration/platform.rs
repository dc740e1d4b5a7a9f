//! The platform every feature stands on: health checks, headers, errors, migrations.

use crate::{
    on_both_backends,
    support::{Backend, TestDb, body_text, spawn_app},
};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};

on_both_backends!(
    health_and_readiness_report_the_database,
    unknown_pages_get_the_404_page,
    pages_carry_security_headers_and_a_request_id,
    migrations_run_twice_without_change,
    responses_are_compressed_when_the_browser_asks,
    product_pictures_are_generated_and_cached,
    a_failing_database_shows_the_error_page_with_a_reference,
    every_server_function_refuses_a_body_it_cannot_read,
);

async fn health_and_readiness_report_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(body_text(health).await, r#"{"status":"ok"}"#);

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert!(body_text(ready).await.contains(r#""database":"ok""#));

    app.db().pool().close().await;
    let not_ready = app.get("/readyz").await;
    assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(body_text(not_ready).await.contains("unreachable"));
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

async fn unknown_pages_get_the_404_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = body_text(response).await;
    assert!(html.contains("Page not found"), "{html}");
    assert!(html.contains("Back to the shop"));
}

async fn pages_carry_security_headers_and_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let csp = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the policy carries a script nonce")
        .to_owned();
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        headers[header::REFERRER_POLICY],
        "strict-origin-when-cross-origin"
    );
    let request_id = headers["x-request-id"].to_str().unwrap();
    assert_eq!(request_id.len(), 16);
    let html = body_text(response).await;
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "inline scripts carry the nonce"
    );

    let other = app.get("/").await;
    assert_ne!(
        other.headers()["x-request-id"],
        request_id,
        "each request gets its own ID"
    );

    let json = app.get("/healthz").await;
    assert_eq!(
        json.headers()[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; frame-ancestors 'none'"
    );
}

async fn migrations_run_twice_without_change(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    test_db.db.migrate().await.expect("a second run is a no-op");
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(test_db.db.pool())
        .await
        .unwrap();
    let files = std::fs::read_dir("migrations/postgres").unwrap().count();
    assert_eq!(usize::try_from(applied).unwrap(), files);
}

async fn responses_are_compressed_when_the_browser_asks(backend: Backend) {
    let app = spawn_app(backend).await;
    let request = Request::get("/")
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .body(Body::empty())
        .unwrap();
    let response = app.request(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
}

async fn product_pictures_are_generated_and_cached(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/media/products/acme-classic-laptop-1.svg").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/svg+xml");
    assert!(
        response.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert!(body_text(response).await.starts_with("<svg"));
    assert_eq!(
        app.get("/media/products/..%2Fsecret.svg").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/media/products/acme.png").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn a_failing_database_shows_the_error_page_with_a_reference(backend: Backend) {
    let app = spawn_app(backend).await;
    app.db().pool().close().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = body_text(response).await;
    assert!(html.contains("Something went wrong"), "{html}");
    assert!(
        html.contains(&format!("Reference: {request_id}")),
        "the page quotes the request ID"
    );
    assert!(
        !html.to_lowercase().contains("pool"),
        "no internal error text reaches the browser"
    );
}

/// Server functions whose arguments are all optional: an empty body is a complete call.
const NO_REQUIRED_ARGUMENTS: &str = "load_home_catalog admin_overview admin_categories \
    notifications unread_notifications mark_notifications_read notification_preferences \
    save_notification_preferences checkout addresses orders cart cart_count wishlist \
    recommended_for_you logout current_user sign_out_everywhere admin_products admin_product \
    admin_users search admin_orders admin_analytics";

/// A body a server function cannot decode is the caller's mistake: every registered server
/// function answers 400 with a plain message, before it checks who is calling.
async fn every_server_function_refuses_a_body_it_cannot_read(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = app.client();
    let functions: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(functions.len() > 50, "{} server functions", functions.len());
    let mut bodies: Vec<(&str, &[u8])> = vec![("not UTF-8", b"\xff\xfe".as_slice())];
    for (path, method) in functions {
        let name = path.trim_start_matches("/api/");
        let incomplete = !NO_REQUIRED_ARGUMENTS.split_whitespace().any(|n| n == name);
        bodies.truncate(1);
        if incomplete {
            bodies.push(("empty", b"".as_slice()));
            bodies.push(("JSON instead of a form", br#"{"email": 1}"#.as_slice()));
        }
        for (what, body) in &bodies {
            let request = if method == Method::GET {
                Request::get(format!("{path}?%ff%fe"))
            } else {
                Request::post(path)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ORIGIN, "http://shop.test")
            };
            let reply = client
                .send(request.body(Body::from(body.to_vec())).unwrap())
                .await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{path}, {what}: {}",
                reply.body
            );
            assert!(
                reply.body.contains("incomplete or malformed"),
                "{path}: {}",
                reply.body
            );
        }
    }
    for (path, body) in [
        ("/api/admin_product", "id=abc"),
        ("/api/product_reviews", "slug=x&page=abc"),
        ("/api/admin_analytics", "days=1e3"),
    ] {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://shop.test")
            .body(Body::from(body))
            .unwrap();
        let reply = client.send(request).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path} {body}: {}",
            reply.body
        );
    }
}
