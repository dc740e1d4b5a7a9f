//! The platform every feature stands on: health checks, headers, errors, migrations.

use crate::{
    on_both_backends,
    support::{Backend, TestDb, body_text, seeded_app, spawn_app, spawn_app_with, unique_email},
};
use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use emporium::{
    accounts::{db::insert_user, model::Email},
    catalog::seed::seed,
    error::SHOP_UNAVAILABLE,
    platform::{
        auth::Role,
        db::{BackupError, DatabaseUrl, Db, restore_sqlite},
        jobs::{Stopping, claim, run_claimed},
    },
};
use sqlx::migrate::Migrator;

on_both_backends!(
    health_and_readiness_report_the_database,
    unknown_pages_get_the_404_page,
    pages_carry_security_headers_and_a_request_id,
    migrations_run_twice_without_change,
    responses_are_compressed_when_the_browser_asks,
    product_pictures_are_generated_and_cached,
    a_database_out_of_reach_shows_a_page_that_says_so,
    every_server_function_refuses_a_body_it_cannot_read,
    an_upgrade_keeps_every_order_with_its_lines_payments_and_history,
    a_backup_restores_the_whole_shop,
    metrics_are_for_the_scraper_with_the_token,
    one_node_at_a_time_holds_a_jobs_lease,
    a_stopping_node_hands_its_jobs_lease_back,
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

/// A shop migrated before reservations (0013) keeps every order, line, payment and history
/// row through the rebuild of `orders` (SQLite) and its new status reference.
async fn an_upgrade_keeps_every_order_with_its_lines_payments_and_history(backend: Backend) {
    let test_db = TestDb::empty(backend).await;
    let db = &test_db.db;
    let folder = match backend {
        Backend::Sqlite => "migrations/sqlite",
        Backend::Postgres => "migrations/postgres",
    };
    let before = std::env::temp_dir().join(format!("emporium_0013_{}", unique_email("m")));
    std::fs::create_dir_all(&before).unwrap();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.as_str() < "0014" {
            std::fs::copy(&path, before.join(name)).unwrap();
        }
    }
    let old = Migrator::new(before.as_path()).await.unwrap();
    old.run(db.writer()).await.unwrap();
    std::fs::remove_dir_all(&before).unwrap();

    seed(db, 3, 1).await.unwrap();
    let email = Email::parse(&unique_email("upgrade")).unwrap();
    let user = insert_user(db, &email, "Ada", "-", Role::Customer, 1)
        .await
        .unwrap();
    let order: i64 = sqlx::query_scalar(
        "INSERT INTO orders (number, user_id, idempotency_key, status, subtotal_minor, shipping_minor, \
             tax_minor, total_minor, shipping_method, ship_full_name, ship_line1, ship_line2, ship_city, \
             ship_region, ship_postal_code, ship_country, ship_phone, created_at, updated_at) \
         VALUES ('EM-AAAA-BBBB', $1, 'k', 'pending_payment', 1000, 0, 0, 1000, 'standard', 'Ada', \
             '1 Way', '', 'Town', '', '12345', 'US', '', 5, 7) RETURNING id",
    )
    .bind(user)
    .fetch_one(db.pool())
    .await
    .unwrap();
    for sql in [
        "INSERT INTO order_lines (order_id, position, variant_id, product_id, sku, title, options, unit_price_minor, quantity) \
         SELECT $1, 0, v.id, v.product_id, v.sku, 'Lamp', '{}', 1000, 1 FROM product_variants v ORDER BY v.id LIMIT 1",
        "INSERT INTO payments (order_id, provider, reference, status, amount_minor, created_at) \
         VALUES ($1, 'test', 'test_1', 'failed', 1000, 6)",
        "INSERT INTO order_status_changes (order_id, from_status, to_status, created_at) \
         VALUES ($1, 'payment_failed', 'pending_payment', 7)",
    ] {
        sqlx::query(sql)
            .bind(order)
            .execute(db.pool())
            .await
            .unwrap();
    }

    db.migrate().await.unwrap();
    let count = |table: &str| {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE order_id = $1");
        async move {
            sqlx::query_scalar::<_, i64>(&sql)
                .bind(order)
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    assert_eq!(count("order_lines").await, 1);
    assert_eq!(count("payments").await, 1);
    assert_eq!(count("order_status_changes").await, 1);
    let kept: (String, i64) =
        sqlx::query_as("SELECT status, reserved_until FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(kept, ("pending_payment".into(), 7 + 15 * 60_000));
    let set = |status: &'static str| {
        sqlx::query("UPDATE orders SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(order)
            .execute(db.pool())
    };
    assert!(
        set("lost").await.is_err(),
        "only the statuses in order_statuses"
    );
    set("expired").await.unwrap();
    // The lines still belong to the order: deleting it takes them along.
    sqlx::query("DELETE FROM orders WHERE id = $1")
        .bind(order)
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(count("order_lines").await, 0);
}

async fn one_node_at_a_time_holds_a_jobs_lease(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = &test_db.db;
    assert!(claim(db, "expire", "a", 0, 100).await.unwrap());
    assert!(
        !claim(db, "expire", "b", 50, 150).await.unwrap(),
        "a holds it until 100"
    );
    assert!(
        claim(db, "expire", "a", 60, 160).await.unwrap(),
        "its holder renews it"
    );
    assert!(
        claim(db, "other", "b", 60, 160).await.unwrap(),
        "each job has its own"
    );
    assert!(
        claim(db, "expire", "b", 160, 260).await.unwrap(),
        "a's lease ran out"
    );
    assert!(!claim(db, "expire", "a", 170, 270).await.unwrap());

    let nodes: Vec<String> = (0..20).map(|n| format!("node{n}")).collect();
    let claims = nodes.iter().map(|node| claim(db, "race", node, 0, 100));
    let won = futures::future::join_all(claims).await;
    assert_eq!(won.into_iter().filter(|c| *c.as_ref().unwrap()).count(), 1);
}

async fn a_stopping_node_hands_its_jobs_lease_back(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.db.clone();
    let (stop, stopping) = Stopping::new();
    let (ran, mut rounds) = tokio::sync::mpsc::unbounded_channel();
    let node = tokio::spawn(run_claimed(
        db.clone(),
        "expire",
        std::time::Duration::from_secs(600),
        stopping,
        move |_| {
            let _ = ran.send(());
            async {}
        },
    ));
    rounds.recv().await.expect("the first round runs at once");
    let now = emporium::platform::db::now_ms();
    assert!(
        !claim(&test_db.db, "expire", "other", now, now + 1)
            .await
            .unwrap(),
        "the running node holds the lease for two periods"
    );
    stop.send(true).unwrap();
    node.await.unwrap();
    assert!(
        claim(&test_db.db, "expire", "other", now, now + 1)
            .await
            .unwrap(),
        "another node takes it at once"
    );
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
    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()[header::CONTENT_TYPE], "image/x-icon");
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

async fn a_database_out_of_reach_shows_a_page_that_says_so(backend: Backend) {
    let app = spawn_app(backend).await;
    app.db().pool().close().await;
    let response = app.get("/").await;
    // Unavailable for now, not broken: balancers and crawlers come back later.
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("x-request-id"));
    let html = body_text(response).await;
    assert!(html.contains(SHOP_UNAVAILABLE), "{html}");
    assert!(
        !html.to_lowercase().contains("pool"),
        "no internal error text reaches the browser"
    );
    let mut client = app.client();
    let call = client.call("load_home_catalog", &[]).await;
    assert_eq!(call.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(call.headers[header::RETRY_AFTER], "5");
}

/// Server functions whose arguments are all optional: an empty body is a complete call.
const NO_REQUIRED_ARGUMENTS: &str = "load_home_catalog admin_overview admin_categories \
    notifications unread_notifications mark_notifications_read notification_preferences \
    save_notification_preferences checkout addresses orders cart cart_count wishlist \
    recommended_for_you logout current_user sign_out_everywhere admin_products admin_product \
    admin_users search admin_orders admin_analytics admin_promotions resend_verification \
    two_factor start_two_factor recently_viewed with_your_cart admin_api_keys admin_audit admin_low_stock \
    api_reference admin_webhooks";

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

/// Product titles in id order.
async fn titles(db: &Db) -> Vec<String> {
    sqlx::query_scalar("SELECT title FROM products ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

async fn a_backup_restores_the_whole_shop(backend: Backend) {
    let app = seeded_app(backend, 30, 11).await;
    let folder = std::env::temp_dir().join(format!(
        "emporium-backup-{}-{}",
        std::process::id(),
        emporium::platform::db::now_ms()
    ));
    let backup = folder.join("backup.db");
    if backend == Backend::Postgres {
        let refused = app.db().backup_to(&backup).await;
        assert!(
            matches!(refused, Err(BackupError::NotSqlite)),
            "{refused:?}"
        );
        assert!(!folder.exists(), "nothing was written");
        return;
    }
    std::fs::create_dir_all(&folder).unwrap();
    app.db().backup_to(&backup).await.unwrap();
    let again = app.db().backup_to(&backup).await;
    assert!(
        matches!(again, Err(BackupError::Exists(_))),
        "never overwritten: {again:?}"
    );

    // Restored over an older database, whose write-ahead log must not survive.
    let target = folder.join("shop.db");
    std::fs::write(&target, b"an older database").unwrap();
    let wal = folder.join("shop.db-wal");
    std::fs::write(&wal, b"its log").unwrap();
    let url: DatabaseUrl = format!("sqlite://{}", target.display()).parse().unwrap();
    restore_sqlite(&url, &backup).await.unwrap();
    assert!(!wal.exists());
    let restored = Db::connect(&url, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    let expected = titles(app.db()).await;
    assert_eq!(expected.len(), 30);
    assert_eq!(titles(&restored).await, expected);
    restored.pool().close().await;

    // Anything but a whole backup is refused and changes nothing.
    let junk = folder.join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    for from in [junk, folder.join("missing.db")] {
        let refused = restore_sqlite(&url, &from).await;
        assert!(
            matches!(refused, Err(BackupError::NotABackup(..))),
            "{refused:?}"
        );
    }
    let restored = Db::connect(&url, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(titles(&restored).await, expected);
    restored.pool().close().await;
    std::fs::remove_dir_all(&folder).unwrap();
}

/// Sends `request` on a new connection to `addr` and reads until the server closes it.
async fn exchange(addr: std::net::SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// The connection loop's time limits, with short timeouts: a client that sends its headers a
/// byte at a time (slowloris) or keeps an idle connection is cut off, a slow page answers 503,
/// and shutdown lets a request in flight finish but takes no new connection.
#[tokio::test]
async fn slow_clients_are_cut_off_and_shutdown_lets_requests_finish() {
    use emporium::platform::serve::{Timeouts, serve};
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let pause = |ms| tokio::time::sleep(Duration::from_millis(ms));
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "hello" }))
        .route(
            "/slow",
            axum::routing::get(move || async move {
                pause(3_000).await;
                "too late"
            }),
        )
        .route(
            "/busy",
            axum::routing::get(move || async move {
                pause(400).await;
                "finished"
            }),
        );
    let timeouts = Timeouts {
        headers: Duration::from_millis(500),
        request: Duration::from_millis(500),
        drain: Duration::from_secs(3),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, timeouts, async {
        let _ = stopped.await;
    }));

    // Slowloris: a header byte every 100 ms would take 5 s; the connection closes after 0.5 s.
    let (mut reading, mut writing) = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap()
        .into_split();
    let started = Instant::now();
    let trickle = tokio::spawn(async move {
        for byte in format!("GET / HTTP/1.1\r\nHost: shop\r\nX-Slow: {}", "a".repeat(40)).bytes() {
            if writing.write_all(&[byte]).await.is_err() {
                break;
            }
            pause(100).await;
        }
    });
    let mut answer = Vec::new();
    let _ = reading.read_to_end(&mut answer).await;
    let cut_off = started.elapsed();
    assert!(cut_off < Duration::from_secs(2), "closed after {cut_off:?}");
    assert!(!String::from_utf8_lossy(&answer).contains("hello"));
    trickle.abort();

    // A kept-alive connection that stays idle is closed too.
    let started = Instant::now();
    let answer = exchange(addr, "GET / HTTP/1.1\r\nHost: shop\r\n\r\n").await;
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("hello"),
        "{answer}"
    );
    let idle = started.elapsed();
    assert!(idle < Duration::from_secs(2), "idle for {idle:?}");

    // A page that takes too long answers 503.
    let answer = exchange(
        addr,
        "GET /slow HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");

    // Shutdown during a request: it finishes, and then nobody is let in.
    let busy = tokio::spawn(exchange(
        addr,
        "GET /busy HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n",
    ));
    pause(100).await;
    stop.send(()).unwrap();
    let answer = busy.await.unwrap();
    assert!(answer.ends_with("finished"), "{answer}");
    tokio::time::timeout(Duration::from_secs(2), server)
        .await
        .expect("the server stops once its requests are done")
        .unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

async fn metrics_are_for_the_scraper_with_the_token(backend: Backend) {
    use crate::checkout::{DECLINED_CARD, GOOD_CARD, add, address, key, place, shopper, variant};
    let token = "a-scrapers-token-0123456789";
    let app = spawn_app_with(backend, &[("EMPORIUM_METRICS_TOKEN", token.into())]).await;
    seed(app.db(), 5, 11).await.unwrap();
    let slug: String = app
        .scalar("SELECT slug FROM products ORDER BY id LIMIT 1")
        .await;
    let mut client = app.client();
    assert_eq!(
        client.get(&format!("/p/{slug}")).await.status,
        StatusCode::OK
    );
    // One order paid, one declined.
    let sku = variant(&app, 0, 1_000, 9).await;
    for (n, card) in [(1, GOOD_CARD), (2, DECLINED_CARD)] {
        let mut buyer = shopper(&app, "Metered Buyer").await;
        add(&mut buyer, &sku, "1").await;
        let shipping = address(&mut buyer, "US").await;
        place(&mut buyer, &key(n), &shipping, card, &[]).await;
    }

    let scrape = |authorization: Option<String>| {
        let mut request = Request::get("/metrics");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        request.body(Body::empty()).unwrap()
    };
    for refused in [
        None,
        Some("Bearer not-the-token".into()),
        Some(token.into()),
    ] {
        let reply = client.send(scrape(refused.clone())).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{refused:?}");
        assert_eq!(reply.headers[header::WWW_AUTHENTICATE], "Bearer");
    }
    let reply = client.send(scrape(Some(format!("Bearer {token}")))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    for metric in [
        "http_requests_total{route=\"/p/{slug}\",status=\"200\"}",
        "http_request_duration_seconds_bucket{route=\"/p/{slug}\",le=\"0.01\"}",
        "db_pool_connections{pool=\"read\"}",
        "outbox_backlog ",
        "orders_placed_total ",
        "orders_paid_total ",
        "payment_failures_total ",
    ] {
        assert!(reply.body.contains(metric), "{metric} in {}", reply.body);
    }

    // Without a token configured there is no such page.
    let unset = spawn_app(backend).await;
    let reply = unset
        .client()
        .send(scrape(Some(format!("Bearer {token}"))))
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
