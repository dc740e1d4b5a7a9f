//! `/search` over HTTP: the server-rendered Leptos page against a bare axum handler in the same
//! binary that runs the same search and returns plain HTML. Prints both and their ratio, so the
//! cost of rendering the page with Leptos is measured rather than guessed.
//!
//! Run with `./shop bench` (or `cargo bench --features ssr --bench http`); `./shop bench
//! million` runs it at 1,000,000 products (`EMPORIUM_BENCH_PRODUCTS`) and also prints the
//! process's resident memory under that load.

mod common;

use axum::{
    Router,
    extract::{Query, State},
    response::Html,
    routing::get,
};
use common::{Shop, database, load, ms, percentile, resident_mib, serve};
use emporium::{
    catalog::{db::product_cards, seed::seed},
    platform::state::AppState,
    search::{
        index::SearchIndex,
        model::{RawSearch, SearchRequest},
    },
};
use hyper::StatusCode;
use std::{sync::Arc, time::Duration};

const PRODUCTS: usize = 100_000;
const CLIENTS: usize = 8;
const REQUESTS_PER_CLIENT: usize = 150;
const QUERIES: [&str; 6] = [
    "q=laptop",
    "q=merino+wool",
    "q=headphnoes",
    "category=electronics&sort=price_asc",
    "q=classic&category=fashion&in_stock=1",
    "q=speaker&max_price=200&sort=rating",
];

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

/// The same search as the page's server function, answered with the least HTML possible.
async fn bare_search(
    State(state): State<AppState>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Html<String> {
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (request, _) = SearchRequest::parse(&RawSearch::from_pairs(&pairs));
    let index = SearchIndex::of(&state).clone();
    let hits = tokio::task::spawn_blocking(move || index.search(&request))
        .await
        .expect("search task")
        .expect("search");
    let cards = product_cards(&state.db, &hits.ids).await.expect("cards");
    let mut html = format!(
        "<!DOCTYPE html><html><body><p>{} results</p><ul>",
        hits.total
    );
    for card in cards {
        let title = card
            .title
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        html.push_str(&format!(
            "<li><a href=\"/p/{}\">{title}</a> {}</li>",
            card.slug, card.price
        ));
    }
    html.push_str("</ul></body></html>");
    Html(html)
}

async fn measure(shop: &Shop, path: &'static str) -> (Vec<Duration>, f64) {
    let client = shop.clone();
    let (timings, elapsed) = load(CLIENTS, REQUESTS_PER_CLIENT, None, move |who, i| {
        let shop = client.clone();
        async move {
            let query = QUERIES[(who + i) % QUERIES.len()];
            let (status, body, _) = shop
                .send("GET", &format!("{path}?{query}"), String::new(), "")
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    })
    .await;
    let throughput = timings.len() as f64 / elapsed.as_secs_f64();
    (timings, throughput)
}

async fn run() {
    let dir =
        Arc::new(std::env::temp_dir().join(format!("emporium-http-bench-{}", std::process::id())));
    std::fs::create_dir_all(dir.as_ref()).expect("temp dir");
    let db = database(&format!("sqlite://{}/bench.db", dir.display())).await;
    let products = std::env::var("EMPORIUM_BENCH_PRODUCTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(PRODUCTS);
    seed(&db, products, 42).await.expect("seed");
    let shop = serve(db.clone(), &dir, |state| {
        Router::new()
            .route("/bare/search", get(bare_search))
            .with_state(state)
    })
    .await;
    SearchIndex::of(&shop.state)
        .rebuild(&db)
        .await
        .expect("index");
    // Warm both paths (connections, caches) before measuring.
    measure(&shop, "/search").await;
    measure(&shop, "/bare/search").await;

    let (ssr, ssr_rate) = measure(&shop, "/search").await;
    let (bare, bare_rate) = measure(&shop, "/bare/search").await;
    println!(
        "{products} products on SQLite, {CLIENTS} concurrent clients x {REQUESTS_PER_CLIENT} requests, {} query shapes",
        QUERIES.len()
    );
    for (name, timings, rate) in [
        ("/search (Leptos SSR page)", &ssr, ssr_rate),
        ("bare axum handler", &bare, bare_rate),
    ] {
        println!(
            "{name:<28} p50 {:>6.1} ms  p95 {:>6.1} ms  {:>6.0} req/s",
            ms(percentile(timings, 0.5)),
            ms(percentile(timings, 0.95)),
            rate
        );
    }
    println!("SSR/bare throughput ratio: {:.2}", ssr_rate / bare_rate);
    println!(
        "resident memory of the shop and its clients after the load: {:.0} MiB",
        resident_mib()
    );
    let _ = std::fs::remove_dir_all(dir.as_ref());
}
