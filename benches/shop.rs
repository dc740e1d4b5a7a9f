//! Cart and checkout under load, over HTTP on loopback, against the real router on SQLite and
//! PostgreSQL. Prints latency percentiles and throughput, and checks that no stock went negative
//! and no order was duplicated.
//!
//! Run with `./shop bench` (or `cargo bench --features ssr --bench shop`). PostgreSQL is used
//! when `EMPORIUM_TEST_POSTGRES_URL` (or the `./shop setup` default) is reachable.

use emporium::{
    accounts::{
        model::{Email, Role},
        session::ACCESS_COOKIE,
    },
    catalog::seed::seed,
    server::{
        config::Config,
        db::{Db, now_ms},
        http::router,
        state::AppState,
    },
};
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, body::Bytes, header};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

/// Concurrent clients in the cart benchmark: one (the latency of a single request) and 100.
const CART_CLIENTS: [usize; 2] = [1, 100];
const ADDS_PER_CLIENT: usize = 20;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("emporium-shop-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        run(
            "sqlite",
            &format!("sqlite://{}/bench.db", dir.display()),
            &dir,
        )
        .await;
        let admin = std::env::var("EMPORIUM_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://emporium:emporium@127.0.0.1:5432/emporium".into());
        match Db::connect(&admin.parse().expect("url"), Duration::from_secs(3)).await {
            Ok(server) => {
                let name = format!("emporium_bench_{}", std::process::id());
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(server.pool())
                    .await
                    .expect("create database");
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                run("postgres", &format!("{base}/{name}"), &dir).await;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(server.pool())
                    .await
                    .expect("drop database");
            }
            Err(error) => println!("postgres: skipped ({error})"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// A running shop over a fresh database.
#[derive(Clone)]
struct Shop {
    state: AppState,
    base: String,
    http: HttpClient,
}

async fn run(backend: &str, url: &str, dir: &std::path::Path) {
    let db = Db::connect(&url.parse().expect("url"), Duration::from_secs(5))
        .await
        .expect("database");
    db.migrate().await.expect("migrations");
    seed(&db, 1_000, 7).await.expect("seed");
    // Plenty of stock, so the cart benchmark measures the cart and not refusals.
    sqlx::query("UPDATE product_variants SET stock = 1000000")
        .execute(db.pool())
        .await
        .expect("stock");
    let data_dir = dir.display().to_string();
    let database_url = url.to_owned();
    let config = Config::from_sources(
        "Leptos.toml",
        include_str!("../Leptos.toml"),
        |key| match key {
            "DATABASE_URL" => Some(database_url.clone()),
            "EMPORIUM_DATA_DIR" => Some(data_dir.clone()),
            _ => None,
        },
    )
    .expect("configuration");
    let mut config = config;
    config.leptos.hash_files = false;
    let state = AppState::new(db, config, &[7; 32]).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let addr = listener.local_addr().expect("address");
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let shop = Shop {
        state,
        base: format!("http://{addr}"),
        http: Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(256)
            .build_http(),
    };
    for clients in CART_CLIENTS {
        add_to_cart(&shop, backend, clients).await;
    }
    for buyers in [50, 200] {
        checkout(&shop, backend, buyers).await;
    }
    server.abort();
}

impl Shop {
    /// Posts a form as a browser would; returns the status, the body and any cookie set.
    async fn post(
        &self,
        path: &str,
        body: String,
        cookie: &str,
    ) -> (StatusCode, String, Vec<String>) {
        let request = Request::post(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, self.base.as_str())
            .header(header::COOKIE, cookie)
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let response = self.http.request(request).await.expect("response");
        let status = response.status();
        let cookies = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::to_owned)
            .collect();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned(), cookies)
    }

    /// A customer made directly in the database and signed in with an access token.
    async fn customer(&self, n: usize) -> (i64, String) {
        let email = Email::parse(&format!("bench-{n}-{}@example.com", now_ms())).expect("email");
        let id = emporium::accounts::db::insert_user(
            &self.state.db,
            &email,
            "Bench",
            "-",
            Role::Customer,
            now_ms(),
        )
        .await
        .expect("user");
        let token = self.state.tokens.issue(id, Role::Customer, now_ms() / 1000);
        (id, format!("{ACCESS_COOKIE}={token}"))
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

async fn add_to_cart(shop: &Shop, backend: &str, clients: usize) {
    let skus: Vec<String> =
        sqlx::query_scalar("SELECT sku FROM product_variants ORDER BY id LIMIT 500")
            .fetch_all(shop.state.db.pool())
            .await
            .expect("skus");
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let skus = skus.clone();
            let shop = shop.clone();
            tokio::spawn(async move {
                // A guest: the first add creates the cart and its cookie.
                let mut cookie = String::new();
                let mut timings = Vec::with_capacity(ADDS_PER_CLIENT);
                for i in 0..ADDS_PER_CLIENT {
                    let sku = &skus[(client * 7 + i * 13) % skus.len()];
                    let began = Instant::now();
                    let (status, body, cookies) = shop
                        .post("/api/add_to_cart", format!("sku={sku}&quantity=1"), &cookie)
                        .await;
                    timings.push(began.elapsed());
                    assert_eq!(status, StatusCode::OK, "{body}");
                    if let Some(set) = cookies
                        .into_iter()
                        .find(|c| c.starts_with("emporium_cart="))
                    {
                        cookie = set;
                    }
                }
                timings
            })
        })
        .collect();
    let mut timings = Vec::with_capacity(clients * ADDS_PER_CLIENT);
    for task in tasks {
        timings.extend(task.await.expect("client"));
    }
    let elapsed = started.elapsed();
    timings.sort();
    println!(
        "add_to_cart  {backend:<8} {clients:>3} clients x {ADDS_PER_CLIENT}: p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  {:.0} req/s",
        ms(percentile(&timings, 0.5)),
        ms(percentile(&timings, 0.95)),
        ms(percentile(&timings, 0.99)),
        timings.len() as f64 / elapsed.as_secs_f64(),
    );
}

async fn checkout(shop: &Shop, backend: &str, buyers: usize) {
    let db = &shop.state.db;
    // One sought-after item with stock for three buyers in four.
    let stock = i64::try_from(buyers * 3 / 4).expect("stock");
    let (variant, sku): (i64, String) = sqlx::query_as(&format!(
        "SELECT id, sku FROM product_variants ORDER BY id LIMIT 1 OFFSET {}",
        600 + buyers
    ))
    .fetch_one(db.pool())
    .await
    .expect("variant");
    sqlx::query("UPDATE product_variants SET stock = $1 WHERE id = $2")
        .bind(stock)
        .bind(variant)
        .execute(db.pool())
        .await
        .expect("stock");
    let mut ready = Vec::with_capacity(buyers);
    for n in 0..buyers {
        let (user, cookie) = shop.customer(n).await;
        let (status, body, _) = shop
            .post("/api/add_to_cart", format!("sku={sku}&quantity=1"), &cookie)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let address: i64 = sqlx::query_scalar(
            "INSERT INTO addresses (user_id, full_name, line1, city, postal_code, country, is_default, created_at) \
             VALUES ($1, 'Bench Buyer', '1 Loop Road', 'Localhost', '12345', 'US', 1, $2) RETURNING id",
        )
        .bind(user)
        .bind(now_ms())
        .fetch_one(db.pool())
        .await
        .expect("address");
        ready.push((cookie, address, format!("{n:032x}")));
    }
    let round = now_ms();
    let started = Instant::now();
    let attempts: Vec<_> = ready
        .into_iter()
        .map(|(cookie, address, key)| {
            let shop = shop.clone();
            tokio::spawn(async move {
                let body = format!(
                    "idempotency_key={key}&address_id={address}&shipping=standard\
                     &card%5Bnumber%5D=4242424242424242&card%5Bexpiry%5D=12%2F39&card%5Bcvc%5D=123"
                );
                let began = Instant::now();
                let (status, body, _) = shop.post("/api/place_order", body, &cookie).await;
                (status, body, began.elapsed())
            })
        })
        .collect();
    let (mut paid, mut sold_out, mut timings) = (0, 0, Vec::with_capacity(buyers));
    for attempt in attempts {
        let (status, body, took) = attempt.await.expect("buyer");
        timings.push(took);
        match status {
            StatusCode::OK => paid += 1,
            StatusCode::CONFLICT => sold_out += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    let elapsed = started.elapsed();
    timings.sort();
    let left: i64 = sqlx::query_scalar("SELECT stock FROM product_variants WHERE id = $1")
        .bind(variant)
        .fetch_one(db.pool())
        .await
        .expect("stock");
    let (orders, buyers_with_orders): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM orders WHERE created_at >= $1",
    )
    .bind(round)
    .fetch_one(db.pool())
    .await
    .expect("orders");
    assert_eq!(orders, i64::from(paid), "one order per paying buyer");
    assert!(left >= 0);
    println!(
        "checkout     {backend:<8} {buyers} buyers for {stock} units: {paid} paid, {sold_out} sold out; \
         p50 {:.1} ms  p95 {:.1} ms  {:.0} orders/s; stock left {left} (never negative), \
         duplicate orders {}",
        ms(percentile(&timings, 0.5)),
        ms(percentile(&timings, 0.95)),
        f64::from(paid) / elapsed.as_secs_f64(),
        orders - buyers_with_orders,
    );
}
