//! Search benchmark: 100,000 demo products (or `EMPORIUM_BENCH_PRODUCTS`) in a fresh SQLite
//! database, the index built in a folder as a node keeps it, then opened again as a restarted
//! node does, then a fixed mix of queries against it, timed one by one. Prints the seed, build
//! and reopening times, the process's resident memory, and p50/p95/p99 per kind. Given a built
//! shop in `EMPORIUM_BENCH_NODE`, it then starts that binary on the same database and data
//! folder, as a node restarting, and times it from launch to its first search answered.
//!
//! Run with `./shop bench` (or `cargo bench --features ssr --bench search`); `./shop bench
//! million` runs it at 1,000,000 products.

#[allow(
    dead_code,
    reason = "this benchmark needs only the database, percentile and memory helpers"
)]
mod common;

use common::{database, percentile, resident_mib};
use emporium::{
    catalog::{db::product_cards, seed::seed},
    search::{
        index::SearchIndex,
        model::{RawSearch, SearchRequest},
        sync::Follower,
    },
};
use http_body_util::Empty;
use hyper::{StatusCode, Uri, body::Bytes};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use std::{
    net::TcpListener,
    path::Path,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

const PRODUCTS: usize = 100_000;
const ROUNDS: usize = 200;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let dir = std::env::temp_dir().join(format!("emporium-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = database(&format!("sqlite://{}/bench.db", dir.display())).await;

    let products = std::env::var("EMPORIUM_BENCH_PRODUCTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(PRODUCTS);
    let started = Instant::now();
    let report = seed(&db, products, 42).await.expect("seed");
    println!(
        "seed: {} products, {} variants in {:.1} s",
        report.products,
        report.variants,
        started.elapsed().as_secs_f64()
    );

    let folder = dir.join("search");
    let index = SearchIndex::open(&folder).expect("index");
    let started = Instant::now();
    let mut follower = Follower::resume(Arc::new(index), db.clone())
        .await
        .expect("follower");
    follower.poll().await.expect("build");
    println!(
        "index build: {:.1} s; resident memory {:.0} MiB",
        started.elapsed().as_secs_f64(),
        resident_mib()
    );
    drop(follower);
    // A restarted node: opened from the folder, names read, ready to answer.
    let started = Instant::now();
    let index = Arc::new(SearchIndex::open(&folder).expect("reopen"));
    let follower = Follower::resume(index.clone(), db.clone())
        .await
        .expect("resume");
    println!(
        "index reopened: {:.2} s (serving, {} to catch up); resident memory {:.0} MiB",
        started.elapsed().as_secs_f64(),
        if index.is_warming() {
            "built anew"
        } else {
            "nothing"
        },
        resident_mib()
    );
    drop(follower);

    let kinds: [(&str, Vec<RawSearch>); 6] = [
        (
            "keyword",
            vec![
                RawSearch::from_pairs(&[("q", "laptop")]),
                RawSearch::from_pairs(&[("q", "merino wool")]),
                RawSearch::from_pairs(&[("q", "northwind kettle")]),
            ],
        ),
        (
            "typo",
            vec![
                RawSearch::from_pairs(&[("q", "lpatop")]),
                RawSearch::from_pairs(&[("q", "headphnoes")]),
                RawSearch::from_pairs(&[("q", "skilet")]),
            ],
        ),
        (
            "filters only",
            vec![
                RawSearch::from_pairs(&[("category", "electronics")]),
                RawSearch::from_pairs(&[("brand", "acme"), ("in_stock", "1")]),
                RawSearch::from_pairs(&[("min_price", "20"), ("max_price", "80")]),
            ],
        ),
        (
            "keyword + filters + sort",
            vec![
                RawSearch::from_pairs(&[
                    ("q", "classic"),
                    ("category", "fashion"),
                    ("sort", "price_asc"),
                ]),
                RawSearch::from_pairs(&[
                    ("q", "speaker"),
                    ("max_price", "200"),
                    ("sort", "price_desc"),
                    ("in_stock", "1"),
                ]),
                RawSearch::from_pairs(&[("q", "pro"), ("brand", "lumen"), ("sort", "newest")]),
            ],
        ),
        (
            "deep page",
            vec![
                RawSearch::from_pairs(&[("page", "300")]),
                RawSearch::from_pairs(&[("q", "essential"), ("page", "40")]),
            ],
        ),
        (
            "suggest-style prefix",
            vec![
                RawSearch::from_pairs(&[("q", "lap")]),
                RawSearch::from_pairs(&[("q", "coffee")]),
                RawSearch::from_pairs(&[("q", "tent")]),
            ],
        ),
    ];

    println!();
    println!(
        "{:<26} {:>7} {:>9} {:>9} {:>9}   {:>9}",
        "query kind", "runs", "p50", "p95", "p99", "p95 +DB"
    );
    let mut all = Vec::new();
    for (kind, searches) in &kinds {
        let requests: Vec<SearchRequest> =
            searches.iter().map(|r| SearchRequest::parse(r).0).collect();
        let mut engine = Vec::with_capacity(ROUNDS * requests.len());
        let mut with_db = Vec::with_capacity(ROUNDS * requests.len());
        for round in 0..ROUNDS {
            for request in &requests {
                let started = Instant::now();
                let hits = index.search(request).expect("search");
                engine.push(started.elapsed());
                if round % 4 == 0 {
                    product_cards(&db, &hits.ids).await.expect("cards");
                    with_db.push(started.elapsed());
                }
            }
        }
        engine.sort();
        with_db.sort();
        println!(
            "{:<26} {:>7} {:>9.2?} {:>9.2?} {:>9.2?}   {:>9.2?}",
            kind,
            engine.len(),
            percentile(&engine, 0.50),
            percentile(&engine, 0.95),
            percentile(&engine, 0.99),
            percentile(&with_db, 0.95),
        );
        all.extend(engine);
    }
    all.sort();
    println!(
        "{:<26} {:>7} {:>9.2?} {:>9.2?} {:>9.2?}",
        "all",
        all.len(),
        percentile(&all, 0.50),
        percentile(&all, 0.95),
        percentile(&all, 0.99)
    );
    println!(
        "resident memory after the searches: {:.0} MiB",
        resident_mib()
    );
    // The index folder is the node's now.
    drop(index);
    if let Ok(binary) = std::env::var("EMPORIUM_BENCH_NODE") {
        cold_start(&binary, &dir).await;
    }
    db.pool().close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// Starts the shop's binary on the benchmark's database and data folder (the index built
/// there), and times it from launch until a search page comes back with results.
async fn cold_start(binary: &str, dir: &Path) {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let started = Instant::now();
    let mut node = Command::new(binary)
        .arg("serve")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/bench.db", dir.display()),
        )
        .env("EMPORIUM_DATA_DIR", dir)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("EMPORIUM_DEMO_PRODUCTS", "0")
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("the shop's binary");
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let uri: Uri = format!("http://127.0.0.1:{port}/search?q=laptop")
        .parse()
        .expect("uri");
    let (mut refused, mut warming) = (0, 0);
    loop {
        match client.get(uri.clone()).await.map(|r| r.status()) {
            Ok(StatusCode::OK) => break,
            Ok(StatusCode::SERVICE_UNAVAILABLE) => warming += 1,
            Ok(other) => panic!("the node answered {other}"),
            Err(_) => refused += 1,
        }
        assert!(node.try_wait().expect("node").is_none(), "the node stopped");
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no answer in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "node cold start: {:.2} s from launch to its first search page \
         ({refused} attempts before it listened, {warming} answered \"warming up\")",
        started.elapsed().as_secs_f64()
    );
    let _ = node.kill();
    let _ = node.wait();
}
