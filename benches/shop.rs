//! Cart and checkout under load, over HTTP on loopback, against the real router on SQLite and
//! PostgreSQL. Prints latency percentiles and throughput, and checks that no stock went negative
//! and no order was duplicated. Then recommendations, and a 100,000-row product CSV import.
//!
//! Run with `./shop bench` (or `cargo bench --features ssr --bench shop`). PostgreSQL is used
//! when `EMPORIUM_TEST_POSTGRES_URL` (or the `./shop setup` default) is reachable.

mod common;

use common::{Shop, database, load, ms, percentile, serve};
use emporium::{
    accounts::{model::Email, session::ACCESS_COOKIE},
    catalog::seed::seed,
    platform::{
        audit::{Action, Entry},
        auth::Role,
        db::{Db, now_ms, values_list},
    },
    recommendations::{
        demo::{SimulatedEvent, write_events},
        evaluation::{evaluate, simulate},
        rebuild::rebuild,
        serve::{self, Shopper},
    },
};
use hyper::StatusCode;
use std::{
    net::{IpAddr, Ipv4Addr},
    sync::Arc,
    time::{Duration, Instant},
};

/// The cart benchmark's rounds: one client (the latency of a single request), 100 clients as
/// fast as they can (the most the shop takes), and 100 clients adding every 200 ms (500 adds
/// per second offered, a busy shop's worth of shoppers).
const CART_ROUNDS: [(usize, Option<Duration>); 3] = [
    (1, None),
    (100, None),
    (100, Some(Duration::from_millis(200))),
];
const ADDS_PER_CLIENT: usize = 20;

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
                drop_database(&server, &name).await;
            }
            Err(error) => println!("postgres: skipped ({error})"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// Drops the benchmark's database. An autovacuum worker cleaning up after the benchmark's
/// writes belongs to the server, which our role may not stop, so the drop is retried until the
/// worker is done (a few seconds at most); after that the database is named for removal by hand.
async fn drop_database(server: &Db, name: &str) {
    let mut last = None;
    for _ in 0..20 {
        match sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(server.pool())
            .await
        {
            Ok(_) => return,
            Err(error) => last = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    if let Some(error) = last {
        println!("postgres: could not drop {name} ({error}); drop it by hand");
    }
}

async fn run(backend: &str, url: &str, dir: &std::path::Path) {
    let db = database(url).await;
    seed(&db, 1_000, 7).await.expect("seed");
    // `cargo bench --bench shop -- import` runs the import alone, `-- analytics` the dashboard.
    if std::env::args().any(|a| a == "import") {
        import(&db, backend).await;
        return;
    }
    if std::env::args().any(|a| a == "analytics") {
        analytics(&db, backend).await;
        return;
    }
    // Plenty of stock, so the cart benchmark measures the cart and not refusals.
    sqlx::query("UPDATE product_variants SET stock = 1000000")
        .execute(db.pool())
        .await
        .expect("stock");
    let shop = serve(db, dir, |_| axum::Router::new()).await;
    for (clients, pace) in CART_ROUNDS {
        add_to_cart(&shop, backend, clients, pace).await;
    }
    for buyers in [50, 200] {
        checkout(&shop, backend, buyers, None).await;
    }
    checkout(&shop, backend, 200, Some(10)).await;
    recommendations(&shop, backend).await;
    import(&shop.state.db, backend).await;
    analytics(&shop.state.db, backend).await;
}

/// The analytics benchmark's history, spread over the longest period the dashboard shows.
const HISTORY_ORDERS: i64 = 100_000;
const HISTORY_EVENTS: i64 = 1_000_000;
/// What the dashboard may take to answer, for any period.
const ANALYTICS_BUDGET: Duration = Duration::from_millis(200);

/// A history of `HISTORY_ORDERS` orders (one in twenty cancelled, one in twenty still unpaid,
/// one in ten partly refunded) of one to three lines, and `HISTORY_EVENTS` events in the
/// funnel's proportions with 2,000 distinct searches and every row of recommendations, all
/// spread over the last 90 days. Written by the database itself, a few seconds each.
async fn history(db: &Db) {
    use emporium::dates::DAY_MS;
    let buyer = emporium::accounts::db::insert_user(
        db,
        &Email::parse("history@bench.test").expect("email"),
        "History",
        "-",
        Role::Customer,
        now_ms(),
    )
    .await
    .expect("buyer");
    let (first_product, products): (i64, i64) =
        sqlx::query_as("SELECT MIN(id), COUNT(*) FROM products")
            .fetch_one(db.pool())
            .await
            .expect("products");
    let now = now_ms();
    let span = 90 * DAY_MS;
    let numbers = "WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < $1)";
    let mut tx = db.begin_write().await.expect("begin");
    sqlx::query(&format!(
        "INSERT INTO orders (number, user_id, idempotency_key, status, subtotal_minor, shipping_minor, \
             tax_minor, total_minor, shipping_method, ship_full_name, ship_line1, ship_line2, ship_city, \
             ship_region, ship_postal_code, ship_country, ship_phone, refunded_minor, created_at, updated_at) \
         {numbers} SELECT 'BENCH-' || CAST(i AS TEXT), $2, CAST(i AS TEXT), \
             CASE i % 20 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'pending_payment' \
                 WHEN 2 THEN 'shipped' WHEN 3 THEN 'delivered' ELSE 'paid' END, \
             2000 * (1 + i % 3), 500, 0, 2000 * (1 + i % 3) + 500, 'standard', 'A', 'B', '', 'C', '', 'D', 'GB', '', \
             CASE WHEN i % 10 = 5 THEN 2000 ELSE 0 END, $3 - (i * 7777777) % $4, $3 - (i * 7777777) % $4 FROM n"
    ))
    .bind(HISTORY_ORDERS)
    .bind(buyer)
    .bind(now)
    .bind(span)
    .execute(&mut *tx)
    .await
    .expect("orders");
    sqlx::query(&format!(
        "INSERT INTO order_lines (order_id, position, product_id, sku, title, options, unit_price_minor, quantity) \
         {numbers}, p(position) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT position + 1 FROM p WHERE position < 3) \
         SELECT o.id, p.position, $2 + (o.id * 31 + p.position) % $3, 'SKU', \
             'Product ' || CAST((o.id * 31 + p.position) % $3 AS TEXT), '', 2000, 1 \
         FROM orders o JOIN p ON p.position <= 1 + o.id % 3 WHERE o.number LIKE 'BENCH-%'"
    ))
    .bind(1_i64)
    .bind(first_product)
    .bind(products)
    .execute(&mut *tx)
    .await
    .expect("order lines");
    sqlx::query(
        "INSERT INTO refunds (order_id, amount_minor, restock, reason, status, provider, created_at, settled_at) \
         SELECT id, refunded_minor, 0, 'bench', 'succeeded', 'test', created_at, created_at FROM orders \
         WHERE number LIKE 'BENCH-%' AND refunded_minor > 0",
    )
    .execute(&mut *tx)
    .await
    .expect("refunds");
    sqlx::query(
        "INSERT INTO refund_lines (refund_id, position, quantity, amount_minor) \
         SELECT id, 1, 1, amount_minor FROM refunds WHERE reason = 'bench'",
    )
    .execute(&mut *tx)
    .await
    .expect("refund lines");
    let rows = emporium::recommendations::model::Row::ALL.map(|row| row.as_str());
    let row = |of: &str| {
        let cases: String = rows
            .iter()
            .enumerate()
            .map(|(n, row)| format!(" WHEN {n} THEN '{{\"row\":\"{row}\"}}'"))
            .collect();
        format!("CASE {of} % {}{cases} END", rows.len())
    };
    sqlx::query(&format!(
        "INSERT INTO events (kind, product_id, visitor, payload, created_at) \
         {numbers} SELECT \
             CASE WHEN i % 100 < 60 THEN 'product_view' WHEN i % 100 < 70 THEN 'add_to_cart' \
                 WHEN i % 100 < 73 THEN 'checkout_started' WHEN i % 100 < 75 THEN 'purchase' \
                 WHEN i % 100 < 90 THEN 'search' WHEN i % 100 < 99 THEN 'recommendation_shown' \
                 ELSE 'recommendation_clicked' END, \
             $2 + i % $3, 'v' || CAST(i % 50000 AS TEXT), \
             CASE WHEN i % 100 BETWEEN 75 AND 89 THEN \
                 '{{\"query\":\"query ' || CAST(i % 2000 AS TEXT) || '\",\"results\":' || \
                 CASE WHEN i % 2000 < 200 THEN '0' ELSE '12' END || '}}' \
             WHEN i % 100 >= 90 THEN {} ELSE '{{}}' END, \
             $4 - (i * 7777777) % $5 FROM n",
        row("(i / 100)")
    ))
    .bind(HISTORY_EVENTS)
    .bind(first_product)
    .bind(products)
    .bind(now)
    .bind(span)
    .execute(&mut *tx)
    .await
    .expect("events");
    tx.commit().await.expect("commit");
    sqlx::query("ANALYZE")
        .execute(db.writer())
        .await
        .expect("analyze");
}

/// The analytics dashboard over `history`: each period asked for five times; the slowest answer
/// must come within `ANALYTICS_BUDGET`.
async fn analytics(db: &Db, backend: &str) {
    use emporium::analytics::{
        db::{TOP, analytics, roll_up},
        model::PERIODS,
    };
    let started = Instant::now();
    history(db).await;
    println!(
        "analytics {backend}: {HISTORY_ORDERS} orders and {HISTORY_EVENTS} events written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for days in PERIODS {
        let started = Instant::now();
        analytics(db, days, now_ms(), Some(TOP))
            .await
            .expect("analytics");
        println!(
            "analytics {backend}: last {days} days, before any rollup (every day read live): {:.1} ms",
            ms(started.elapsed())
        );
    }
    let started = Instant::now();
    let days = roll_up(db, now_ms()).await.expect("roll up");
    println!(
        "analytics {backend}: {days} days rolled up in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for days in PERIODS {
        let mut times = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let report = analytics(db, days, now_ms(), Some(TOP))
                .await
                .expect("analytics");
            times.push(started.elapsed());
            assert!(report.orders > 0 && report.funnel[0].count > 0);
        }
        times.sort();
        println!(
            "analytics {backend}: last {days} days: median {:.1} ms, slowest {:.1} ms",
            ms(times[2]),
            ms(times[4])
        );
        assert!(
            times[4] <= ANALYTICS_BUDGET,
            "the dashboard took longer than {ANALYTICS_BUDGET:?}"
        );
    }
}

/// Rows of the import benchmark: products of four sizes each.
const IMPORT_ROWS: usize = 100_000;
/// What the import of `IMPORT_ROWS` rows may take.
const IMPORT_BUDGET: Duration = Duration::from_secs(60);

/// A product CSV of `IMPORT_ROWS` rows, new products in category `category`, priced by `cents`.
fn import_file(category: &str, cents: impl Fn(usize) -> usize) -> String {
    let mut text = String::from(
        "Handle,Title,Body (HTML),Vendor,Type,Option1 Name,Option1 Value,Variant SKU,Variant Price,Variant Inventory Qty,Status\n",
    );
    for row in 0..IMPORT_ROWS {
        let (product, size) = (row / 4, ["S", "M", "L", "XL"][row % 4]);
        let price = cents(product);
        if row % 4 == 0 {
            text.push_str(&format!(
                "imported-{product},Imported tee {product},<p>Soft cotton.</p>,Bench Co,{category},Size,{size},IMP-{product}-{size},{}.{:02},10,active\n",
                price / 100,
                price % 100
            ));
        } else {
            text.push_str(&format!(
                "imported-{product},,,,,,{size},IMP-{product}-{size},{}.{:02},10,\n",
                price / 100,
                price % 100
            ));
        }
    }
    text
}

/// The product CSV import at `IMPORT_ROWS` rows: every product new, then the same file again
/// (nothing to write), then one product in a hundred repriced. Fails past `IMPORT_BUDGET`.
async fn import(db: &Db, backend: &str) {
    use emporium::admin::import::{confirm, keep, run_waiting, view};
    let category: String = sqlx::query_scalar(
        "SELECT slug FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(db.pool())
    .await
    .expect("category");
    let owner = emporium::accounts::db::insert_user(
        db,
        &Email::parse("importer@bench.test").expect("email"),
        "Importer",
        "-",
        Role::Owner,
        now_ms(),
    )
    .await
    .expect("owner");
    let first = import_file(&category, |_| 1_500);
    let repriced = import_file(&category, |p| if p % 100 == 0 { 1_750 } else { 1_500 });
    for (what, file) in [
        ("new", &first),
        ("the same again", &first),
        ("1% repriced", &repriced),
    ] {
        let id = keep(db, "bench.csv", file, owner, now_ms())
            .await
            .expect("keep");
        let entry = Entry::staff(owner, Action::ProductsImported);
        confirm(db, id, now_ms(), entry).await.expect("confirm");
        let started = Instant::now();
        run_waiting(db, "bench").await.expect("import");
        let took = started.elapsed();
        let report = view(db, id).await.expect("report");
        println!(
            "import {backend}: {IMPORT_ROWS} rows ({} products), {what}: {:.1} s ({} created, {} updated, {} unchanged, {} refused)",
            report.products,
            took.as_secs_f64(),
            report.created,
            report.updated,
            report.unchanged,
            report.refused
        );
        assert_eq!(report.refused, 0, "{:?}", report.problems);
        assert!(
            took <= IMPORT_BUDGET,
            "the import took longer than {IMPORT_BUDGET:?}"
        );
    }
}

/// Shoppers in the recommendations round, and the products each of them looks at: with the
/// simulator's one cart add in four looks, about 1,000,000 interactions.
const SHOPPERS: usize = 10_000;
const LOOKS_EACH: usize = 80;
/// Shoppers who ask for picks (signed in with a token each).
const ASKERS: usize = 200;

/// Recommendations over a million interactions of simulated shoppers with tastes over
/// categories: the engine's full rebuild (read, compute, write the table), the offline
/// evaluation against a best-seller list, the lookups behind the product page's row, the home
/// page's picks and the cart's row one at a time in process, then the row and the picks asked
/// for over HTTP by 10 clients at once.
async fn recommendations(shop: &Shop, backend: &str) {
    let db = &shop.state.db;
    let products: Vec<(i64, String)> = sqlx::query_as("SELECT id, slug FROM products ORDER BY id")
        .fetch_all(db.pool())
        .await
        .expect("products");
    let mut askers = Vec::with_capacity(ASKERS);
    for n in 0..ASKERS {
        askers.push(customer(shop, 100_000 + n).await);
    }
    let stamp = now_ms();
    for chunk in (ASKERS..SHOPPERS).collect::<Vec<_>>().chunks(1_000) {
        let sql = format!(
            "INSERT INTO users (email, name, password_hash, role, created_at, updated_at) VALUES {}",
            values_list(chunk.len(), "(?, 'Bench', '-', 'customer', ?, ?)")
        );
        let mut insert = sqlx::query(&sql);
        for n in chunk {
            insert = insert
                .bind(format!("bench-shopper-{n}-{stamp}@example.com"))
                .bind(stamp)
                .bind(stamp);
        }
        insert.execute(db.writer()).await.expect("shoppers");
    }
    let users: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM users WHERE name = 'Bench' AND email LIKE 'bench-shopper-%' ORDER BY id",
    )
    .fetch_all(db.pool())
    .await
    .expect("users");
    let actors: Vec<i64> = askers.iter().map(|(id, _)| *id).chain(users).collect();
    let categories = 20;
    let behaviour = simulate(
        7,
        SHOPPERS,
        categories,
        products.len() / categories,
        LOOKS_EACH,
    );
    let now = now_ms();
    write_events(db, &behaviour, |i| SimulatedEvent {
        user: Some(actors[i.actor as usize]),
        visitor: None,
        product: products[i.item as usize - 1].0,
        at: now - 1_000_000 + i.at % 1_000_000,
    })
    .await
    .expect("events");
    let build = rebuild(db).await.expect("rebuild");
    println!(
        "recommend    {backend:<8} full rebuild over {} interactions: {:.1} s",
        build.interactions,
        build.took_ms as f64 / 1000.0
    );
    if backend == "sqlite" {
        print!("{}", indent(&evaluate(&behaviour).to_string()));
    }
    lookups(
        db,
        backend,
        &products,
        &actors[..ASKERS],
        build.interactions,
    )
    .await;
    let (slugs, cookies) = (
        Arc::new(
            products
                .into_iter()
                .map(|(_, slug)| slug)
                .collect::<Vec<_>>(),
        ),
        Arc::new(
            askers
                .into_iter()
                .map(|(_, cookie)| cookie)
                .collect::<Vec<_>>(),
        ),
    );
    for (what, path) in [
        ("product row", "/api/recommended_with"),
        ("home picks", "/api/recommended_for_you"),
    ] {
        let (shop, slugs, cookies) = (shop.clone(), slugs.clone(), cookies.clone());
        let (timings, _) = load(10, 20, None, move |who, i| {
            let (shop, slugs, cookies) = (shop.clone(), slugs.clone(), cookies.clone());
            async move {
                // Popular products (the most neighbours) and signed-in shoppers with history.
                let slug = &slugs[(who * 20 + i) % (slugs.len() / 10)];
                let cookie = &cookies[who * 20 + i];
                let (status, body, _) = shop.post(path, format!("slug={slug}"), cookie).await;
                assert_eq!(status, StatusCode::OK, "{body}");
            }
        })
        .await;
        println!(
            "recommend    {backend:<8} {what:<12} over {} interactions: p50 {:.1} ms  p95 {:.1} ms",
            build.interactions,
            ms(percentile(&timings, 0.5)),
            ms(percentile(&timings, 0.95)),
        );
    }
}

/// Lookups a row is served from, one after another in process (the database's work and the
/// blending, without HTTP and without other clients): 200 of each.
async fn lookups(
    db: &Db,
    backend: &str,
    products: &[(i64, String)],
    askers: &[i64],
    interactions: i64,
) {
    let popular = &products[..products.len() / 10];
    let shopper = |n: usize| Shopper {
        visitor: None,
        user: Some(askers[n % askers.len()]),
        in_cart: vec![
            popular[n % popular.len()].0,
            popular[(n + 7) % popular.len()].0,
        ],
    };
    for what in ["product row", "home picks", "cart row"] {
        let mut timings = Vec::with_capacity(ASKERS);
        for n in 0..ASKERS {
            let (slug, shopper) = (&popular[n % popular.len()].1, shopper(n));
            let started = Instant::now();
            let shown = match what {
                "product row" => serve::also_viewed(db, slug, &shopper)
                    .await
                    .map(|picks| picks.map_or(0, |p| p.products.len())),
                "home picks" => serve::for_you(db, &shopper)
                    .await
                    .map(|picks| picks.products.len()),
                _ => serve::with_your_cart(db, &shopper)
                    .await
                    .map(|picks| picks.products.len()),
            }
            .expect("lookup");
            timings.push(started.elapsed());
            assert!(shown > 0, "{what} showed nothing");
        }
        timings.sort_unstable();
        println!(
            "recommend    {backend:<8} {what:<12} lookup, {interactions} interactions: p50 {:.2} ms  p95 {:.2} ms",
            ms(percentile(&timings, 0.5)),
            ms(percentile(&timings, 0.95)),
        );
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("recommend    {line}\n"))
        .collect()
}

/// A customer made directly in the database and signed in with an access token.
async fn customer(shop: &Shop, n: usize) -> (i64, String) {
    let email = Email::parse(&format!("bench-{n}-{}@example.com", now_ms())).expect("email");
    let id = emporium::accounts::db::insert_user(
        &shop.state.db,
        &email,
        "Bench",
        "-",
        Role::Customer,
        now_ms(),
    )
    .await
    .expect("user");
    let token = shop.state.tokens.issue(id, Role::Customer, now_ms() / 1000);
    (id, format!("{ACCESS_COOKIE}={token}"))
}

async fn add_to_cart(shop: &Shop, backend: &str, clients: usize, pace: Option<Duration>) {
    let skus: Vec<String> =
        sqlx::query_scalar("SELECT sku FROM product_variants ORDER BY id LIMIT 500")
            .fetch_all(shop.state.db.pool())
            .await
            .expect("skus");
    let mut cookies = Vec::with_capacity(clients);
    for n in 0..clients {
        cookies.push(customer(shop, 10_000 + n).await.1);
    }
    let (skus, cookies) = (Arc::new(skus), Arc::new(cookies));
    let client = shop.clone();
    let (timings, elapsed) = load(clients, ADDS_PER_CLIENT, pace, move |who, i| {
        let (shop, skus, cookies) = (client.clone(), skus.clone(), cookies.clone());
        async move {
            let sku = &skus[(who * 7 + i * 13) % skus.len()];
            let (status, body, _) = shop
                .post(
                    "/api/add_to_cart",
                    format!("sku={sku}&quantity=1"),
                    &cookies[who],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    })
    .await;
    println!(
        "add_to_cart  {backend:<8} {clients:>3} clients x {ADDS_PER_CLIENT} {:<16} p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  {:.0} req/s",
        pace.map_or("back to back".to_owned(), |p| format!(
            "every {} ms",
            p.as_millis()
        )),
        ms(percentile(&timings, 0.5)),
        ms(percentile(&timings, 0.95)),
        ms(percentile(&timings, 0.99)),
        timings.len() as f64 / elapsed.as_secs_f64(),
    );
}

/// Every buyer presses "Place order" at once for one sought-after item. Without a code there
/// is stock for three buyers in four; with a code of `uses` uses every buyer types it, there is
/// stock for all, and exactly `uses` orders must get it (saleor #544).
async fn checkout(shop: &Shop, backend: &str, buyers: usize, uses: Option<i64>) {
    let db = &shop.state.db;
    let stock = i64::try_from(match uses {
        Some(_) => buyers,
        None => buyers * 3 / 4,
    })
    .expect("stock");
    let code = match uses {
        Some(limit) => {
            let code = format!("BENCH{buyers}");
            sqlx::query(
                "INSERT INTO promotions (code, name, kind, value, min_subtotal_minor, starts_at, usage_limit, created_at) \
                 VALUES ($1, 'Bench', 'percent', 1000, 0, 0, $2, 0)",
            )
            .bind(&code)
            .bind(limit)
            .execute(db.pool())
            .await
            .expect("promotion");
            format!("&code={code}")
        }
        None => String::new(),
    };
    let (variant, sku): (i64, String) = sqlx::query_as(&format!(
        "SELECT id, sku FROM product_variants ORDER BY id LIMIT 1 OFFSET {}",
        600 + buyers + usize::from(uses.is_some())
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
    let first = u32::from(Ipv4Addr::new(127, 1, 0, 1));
    for n in 0..buyers {
        let (user, cookie) = customer(shop, n).await;
        // Each buyer shops from an address of their own, as shoppers do: "Place order" is
        // limited per network address, and two hundred buyers behind one would be refused.
        // Adding to the cart opens the buyer's connection, which "Place order" then reuses.
        let from = Ipv4Addr::from(first + u32::try_from(n).expect("few buyers"));
        let buyer = shop.reached_from(IpAddr::from(from));
        let (status, body, _) = buyer
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
        // The checkout page's key, issued for this buyer and cart.
        let (status, body, _) = buyer.post("/api/checkout", String::new(), &cookie).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let view: serde_json::Value = serde_json::from_str(&body).expect("checkout view");
        let key = view["idempotency_key"].as_str().expect("a key").to_owned();
        ready.push((buyer, cookie, address, key));
    }
    let round = now_ms();
    let started = Instant::now();
    let attempts: Vec<_> = ready
        .into_iter()
        .map(|(shop, cookie, address, key)| {
            let code = code.clone();
            tokio::spawn(async move {
                let body = format!(
                    "idempotency_key={key}&address_id={address}&shipping=standard{code}\
                     &card%5Bnumber%5D=4242424242424242&card%5Bexpiry%5D=12%2F39&card%5Bcvc%5D=123"
                );
                let began = Instant::now();
                let (status, body, _) = shop.post("/api/place_order", body, &cookie).await;
                (status, body, began.elapsed())
            })
        })
        .collect();
    let (mut paid, mut refused, mut timings) = (0, 0, Vec::with_capacity(buyers));
    for attempt in attempts {
        let (status, body, took) = attempt.await.expect("buyer");
        timings.push(took);
        match (status, uses) {
            (StatusCode::OK, _) => paid += 1,
            (StatusCode::CONFLICT, None) => refused += 1,
            (StatusCode::UNPROCESSABLE_ENTITY, Some(_)) if body.contains("used up") => refused += 1,
            (other, _) => panic!("unexpected {other}: {body}"),
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
    let (p50, p95) = (
        ms(percentile(&timings, 0.5)),
        ms(percentile(&timings, 0.95)),
    );
    let rate = f64::from(paid) / elapsed.as_secs_f64();
    let duplicates = orders - buyers_with_orders;
    match uses {
        Some(limit) => {
            assert_eq!(i64::from(paid), limit, "exactly the code's uses");
            println!(
                "redemption   {backend:<8} {buyers} buyers, one {limit}-use code: {paid} orders carry it, \
                 {refused} told it is used up; p50 {p50:.1} ms  p95 {p95:.1} ms; duplicate orders {duplicates}"
            );
        }
        None => println!(
            "checkout     {backend:<8} {buyers} buyers for {stock} units: {paid} paid, {refused} sold out; \
             p50 {p50:.1} ms  p95 {p95:.1} ms  {rate:.0} orders/s; stock left {left} (never negative), \
             duplicate orders {duplicates}"
        ),
    }
}
