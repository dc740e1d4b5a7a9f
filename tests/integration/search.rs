//! Search and category browsing against the real index, on both databases.

use crate::{
    on_both_backends,
    support::{Backend, TestApp, body_text, seeded_app},
};
use axum::http::StatusCode;
use emporium::{
    platform::db::now_ms,
    search::{
        api::WARMING_UP,
        index::{SEARCHES_AT_ONCE, SearchIndex},
        model::{RawSearch, SearchRequest, SearchResults},
        sync::Follower,
    },
};
use std::sync::Arc;

on_both_backends!(
    a_typo_still_finds_the_product,
    facet_counts_match_the_database,
    each_facet_counts_as_if_its_own_filter_were_off,
    filters_and_sorting_shape_the_results,
    hostile_queries_get_results_or_notices_never_errors,
    category_pages_list_their_products_and_unknown_ones_are_404,
    suggestions_complete_the_last_word,
    a_node_refuses_searches_beyond_its_limit_at_once,
    a_restarted_node_opens_its_index_and_catches_up,
    a_node_without_its_index_says_search_is_warming_up_until_built,
);

/// Gives the first product a distinctive title; returns its slug.
async fn rename_first_product(app: &TestApp, title: &str) -> String {
    app.scalar_for(
        "UPDATE products SET title = $1 WHERE id = (SELECT MIN(id) FROM products) RETURNING slug",
        title,
    )
    .await
}

async fn rebuild(app: &TestApp) {
    SearchIndex::of(app.state())
        .rebuild(app.db())
        .await
        .unwrap();
}

/// Calls the search server function as the browser does.
async fn search(app: &TestApp, pairs: &[(&str, &str)]) -> SearchResults {
    let form: Vec<(String, &str)> = pairs
        .iter()
        .map(|(k, v)| (format!("raw[{k}]"), *v))
        .collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let reply = app.client().call_ok("search", &form).await;
    serde_json::from_str(&reply.body).unwrap()
}

async fn a_typo_still_finds_the_product(backend: Backend) {
    let app = seeded_app(backend, 150, 11).await;
    let slug = rename_first_product(&app, "Zanzibar Porcelain Teapot").await;
    rebuild(&app).await;
    for query in ["zanzibar teapot", "zanzibr teapot", "porcelian", "TEAPOT"] {
        let results = search(&app, &[("q", query)]).await;
        assert_eq!(
            results.items.first().map(|p| p.slug.as_str()),
            Some(slug.as_str()),
            "{query:?}"
        );
    }
    let nothing = search(&app, &[("q", "qqqqxxxxzzzz")]).await;
    assert_eq!(nothing.total, 0);
    assert_eq!(nothing.did_you_mean, None, "nothing is close");
    // Two slips in a six-letter word find nothing, but the closest title word is offered.
    let slipped = search(&app, &[("q", "porcelain tiapod")]).await;
    assert_eq!(slipped.total, 0);
    assert_eq!(slipped.did_you_mean.as_deref(), Some("porcelain teapot"));
    let page = app.client().get("/search?q=porcelain+tiapod").await;
    assert!(page.body.contains("Did you mean"), "{}", page.body);
    // No lamps here: "lamp" is offered a word as long as it, never a fragment such as "lp".
    let lamp = search(&app, &[("q", "lamp")]).await;
    assert_eq!(lamp.total, 0);
    let offered = lamp.did_you_mean.expect("a word within two edits");
    assert!(offered.chars().count() >= 3, "{offered}");

    app.state().events.flush().await;
    let searches: i64 = app
        .scalar("SELECT COUNT(*) FROM events WHERE kind = 'search'")
        .await;
    assert_eq!(searches, 8);
}

async fn facet_counts_match_the_database(backend: Backend) {
    let app = seeded_app(backend, 300, 11).await;
    rebuild(&app).await;
    let all = search(&app, &[]).await;
    let active: i64 = app
        .scalar("SELECT COUNT(*) FROM products WHERE status = 'active'")
        .await;
    assert_eq!(all.total, active as u64);

    for department in &all.facets.categories {
        let in_sql: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM products p JOIN categories leaf ON leaf.id = p.category_id \
             JOIN categories mid ON mid.id = leaf.parent_id JOIN categories top ON top.id = mid.parent_id \
             WHERE top.slug = $1 AND p.status = 'active'",
        )
        .bind(&department.key)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        assert_eq!(department.count, in_sql as u64, "{}", department.key);
        let scoped = search(&app, &[("category", &department.key)]).await;
        assert_eq!(scoped.total, in_sql as u64);
    }
    let brand = &all.facets.brands[0];
    let in_sql: i64 = app.scalar_for("SELECT COUNT(*) FROM products p JOIN brands b ON b.id = p.brand_id WHERE b.slug = $1 AND p.status = 'active'", &brand.key).await;
    assert_eq!(brand.count, in_sql as u64);
    let bands: u64 = all.facets.price_bands.iter().map(|b| b.count).sum();
    assert_eq!(bands, all.total, "every product falls in one price band");
}

/// With a filter set in every dimension, each option's count is what choosing it (and keeping
/// the other filters) finds: a dimension's own filter never narrows its own counts.
async fn each_facet_counts_as_if_its_own_filter_were_off(backend: Backend) {
    let app = seeded_app(backend, 300, 11).await;
    // Averages from 1 to 5 stars, spread over the catalog.
    app.execute("UPDATE products SET rating_count = 2, rating_total = 2 + id % 9")
        .await;
    rebuild(&app).await;
    let everything = search(&app, &[]).await;
    let word = everything.facets.categories[0].label.to_lowercase();
    let matching = search(&app, &[("q", &word)]).await;
    let brand = matching.facets.brands[0].key.clone();
    let filters = [
        ("q", word.as_str()),
        ("brand", brand.as_str()),
        ("min_price", "10"),
        ("rating", "2"),
        ("in_stock", "1"),
    ];
    let with = |key: &'static str, value: String| {
        let mut pairs: Vec<(&str, String)> = filters
            .iter()
            .filter(|(k, _)| *k != key && !(key == "min_price" && *k == "max_price"))
            .map(|(k, v)| (*k, (*v).to_owned()))
            .collect();
        pairs.push((key, value));
        pairs
    };
    let total = |pairs: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            search(app, &pairs).await.total
        }
    };
    let results = search(&app, &filters).await;
    assert!(results.total > 0, "the filters leave something to count");

    let departments: u64 = results.facets.categories.iter().map(|c| c.count).sum();
    assert_eq!(
        departments, results.total,
        "departments count within every filter"
    );
    assert!(results.facets.brands.len() > 1, "other brands are offered");
    for option in &results.facets.brands {
        assert_eq!(
            option.count,
            total(with("brand", option.key.clone())).await,
            "{}",
            option.key
        );
    }
    for option in &results.facets.ratings {
        assert_eq!(
            option.count,
            total(with("rating", option.key.clone())).await,
            "{}",
            option.key
        );
    }
    assert!(
        results.facets.price_bands.iter().any(|b| b.min.is_none()),
        "prices under 10 are offered"
    );
    for band in &results.facets.price_bands {
        let amount = |minor: i64| format!("{}.{:02}", minor / 100, minor % 100);
        let mut pairs = with("min_price", amount(band.min.map_or(0, |m| m.minor())));
        if let Some(max) = band.max {
            pairs.push(("max_price", amount(max.minor() - 1)));
        }
        assert_eq!(band.count, total(pairs).await, "{:?}", (band.min, band.max));
    }
}

async fn filters_and_sorting_shape_the_results(backend: Backend) {
    let app = seeded_app(backend, 300, 11).await;
    rebuild(&app).await;
    let results = search(
        &app,
        &[
            ("min_price", "20"),
            ("max_price", "150"),
            ("sort", "price_asc"),
        ],
    )
    .await;
    assert!(results.total > 0);
    let prices: Vec<i64> = results.items.iter().map(|p| p.price.minor()).collect();
    assert!(
        prices.iter().all(|p| (2000..=15000).contains(p)),
        "{prices:?}"
    );
    assert!(
        prices.windows(2).all(|w| w[0] <= w[1]),
        "ascending: {prices:?}"
    );

    let descending = search(&app, &[("sort", "price_desc")]).await;
    let prices: Vec<i64> = descending.items.iter().map(|p| p.price.minor()).collect();
    assert!(
        prices.windows(2).all(|w| w[0] >= w[1]),
        "descending: {prices:?}"
    );

    let in_stock = search(&app, &[("in_stock", "1")]).await;
    assert!(in_stock.items.iter().all(|p| p.stock > 0));
    let out_of_stock: i64 = app.scalar("SELECT COUNT(*) FROM products p WHERE (SELECT SUM(stock) FROM product_variants v WHERE v.product_id = p.id) = 0").await;
    assert_eq!(in_stock.total + out_of_stock as u64, 300);

    let second = search(&app, &[("page", "2")]).await;
    let first = search(&app, &[]).await;
    assert_eq!(second.request.page, 2);
    assert!(
        second.items.iter().all(|p| !first.items.contains(p)),
        "pages do not overlap"
    );
}

async fn hostile_queries_get_results_or_notices_never_errors(backend: Backend) {
    let app = seeded_app(backend, 50, 11).await;
    rebuild(&app).await;
    let long = "laptop ".repeat(1500);
    let cases: [&[(&str, &str)]; 9] = [
        &[("q", "\"unbalanced")],
        &[("q", "title:(foo) AND bar*~2 ^3")],
        &[("q", "' OR 1=1 --")],
        &[("q", long.as_str())],
        &[("q", "<script>alert(1)</script>")],
        &[("min_price", "-5"), ("max_price", "1e9")],
        &[("min_price", "90"), ("max_price", "10")],
        &[("sort", "cheapest"), ("page", "1000000000")],
        &[("category", "../../etc"), ("rating", "11")],
    ];
    for pairs in cases {
        let results = search(&app, pairs).await;
        assert!(results.items.len() <= 24, "{pairs:?}");
    }
    let notices = search(&app, &[("sort", "cheapest"), ("page", "1000000000")])
        .await
        .notices;
    assert_eq!(notices.len(), 2, "{notices:?}");

    let page = app
        .get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&page=0")
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body_text(page).await;
    assert!(!html.contains("<script>alert(1)"));
    assert!(
        html.contains("isn't valid"),
        "the page explains the bad page number"
    );
}

async fn category_pages_list_their_products_and_unknown_ones_are_404(backend: Backend) {
    let app = seeded_app(backend, 100, 11).await;
    rebuild(&app).await;
    let response = app.get("/c/electronics").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = body_text(response).await;
    assert!(
        html.contains("<h1 class=\"mb-2 text-2xl font-bold\">Electronics</h1>"),
        "{html}"
    );
    assert!(html.contains("aria-label=\"Breadcrumb\""));
    assert_eq!(
        app.get("/c/no-such-category").await.status(),
        StatusCode::NOT_FOUND
    );
    let raw = RawSearch::default();
    assert_eq!(raw.q, None);
}

async fn suggestions_complete_the_last_word(backend: Backend) {
    let app = seeded_app(backend, 100, 11).await;
    let slug = rename_first_product(&app, "Zanzibar Porcelain Teapot").await;
    rebuild(&app).await;
    for typed in ["zanz", "Zanzibar porc", "zanzibar teap", "zanzbar teapot"] {
        let reply = app.client().call_ok("suggest", &[("q", typed)]).await;
        let suggestions: Vec<serde_json::Value> = serde_json::from_str(&reply.body).unwrap();
        assert!(suggestions.len() <= 8);
        assert_eq!(
            suggestions.first().map(|s| s["slug"].as_str().unwrap()),
            Some(slug.as_str()),
            "{typed:?}"
        );
    }
    let reply = app.client().call("suggest", &[("q", "")]).await;
    assert_eq!(reply.body, "[]");
    let long = "x".repeat(10_000);
    let reply = app.client().call("suggest", &[("q", long.as_str())]).await;
    assert_eq!(reply.status, StatusCode::OK);
}

async fn a_node_refuses_searches_beyond_its_limit_at_once(backend: Backend) {
    let app = seeded_app(backend, 20, 11).await;
    rebuild(&app).await;
    let index = SearchIndex::of(app.state());
    let running: Vec<_> = std::iter::from_fn(|| index.admit()).collect();
    assert_eq!(running.len(), SEARCHES_AT_ONCE);
    // Every place is taken: the next search is refused at once, not queued.
    let mut client = app.client();
    for (function, form) in [("search", ("raw[q]", "teapot")), ("suggest", ("q", "tea"))] {
        let reply = client.call(function, &[form]).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{function}");
        assert_eq!(reply.headers["retry-after"], "5", "{function}");
    }
    let page = client.get("/search?q=teapot").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("Search is busy"), "{}", page.body);
    drop(running);
    search(&app, &[("q", "teapot")]).await;
}

/// The ids `index` finds for `text`.
pub(crate) fn found(index: &SearchIndex, text: &str) -> Vec<i64> {
    let (request, _) = SearchRequest::parse(&RawSearch {
        q: Some(text.into()),
        ..RawSearch::default()
    });
    index.search(&request).unwrap().ids
}

async fn a_restarted_node_opens_its_index_and_catches_up(backend: Backend) {
    let app = seeded_app(backend, 40, 12).await;
    let dir = std::env::temp_dir().join(format!(
        "emporium-index-{}-{}",
        std::process::id(),
        now_ms()
    ));
    let slug = rename_first_product(&app, "Quokka Brass Kettle").await;
    let id: i64 = app
        .scalar_for("SELECT id FROM products WHERE slug = $1", &slug)
        .await;
    {
        let index = Arc::new(SearchIndex::open(&dir).unwrap());
        assert_eq!(index.position(), None, "a new folder holds no index");
        let mut follower = Follower::resume(index.clone(), app.db().clone())
            .await
            .unwrap();
        follower.poll().await.unwrap();
        assert_eq!(found(&index, "quokka"), [id]);
        assert!(index.position().is_some());
        // A second node given the same folder is refused, and the first keeps its index.
        assert!(SearchIndex::open(&dir).is_err());
        assert_eq!(found(&index, "quokka"), [id]);
    }
    // While the node is down the product is renamed (a write records its change).
    app.execute_for(
        "UPDATE products SET title = 'Wombat Brass Kettle' WHERE id = $1",
        id,
    )
    .await;
    sqlx::query("INSERT INTO catalog_changes (product_id, changed_at) VALUES ($1, $2)")
        .bind(id)
        .bind(now_ms())
        .execute(app.db().pool())
        .await
        .unwrap();

    let index = Arc::new(SearchIndex::open(&dir).unwrap());
    // Served from the folder at once, as it was: nothing was rebuilt.
    assert_eq!(found(&index, "quokka"), [id]);
    let mut follower = Follower::resume(index.clone(), app.db().clone())
        .await
        .unwrap();
    assert!(!index.is_warming());
    assert!(index.has_category(&first_category(&app).await));
    assert_eq!(
        follower.poll().await.unwrap(),
        1,
        "the change made meanwhile"
    );
    assert!(found(&index, "quokka").is_empty());
    assert_eq!(found(&index, "wombat"), [id]);
    drop((follower, index));
    let _ = std::fs::remove_dir_all(&dir);
}

async fn first_category(app: &TestApp) -> String {
    app.scalar("SELECT slug FROM categories ORDER BY id LIMIT 1")
        .await
}

async fn a_node_without_its_index_says_search_is_warming_up_until_built(backend: Backend) {
    let app = seeded_app(backend, 40, 13).await;
    // An index folder left half-written is set aside and started afresh.
    let dir = std::env::temp_dir().join(format!(
        "emporium-broken-{}-{}",
        std::process::id(),
        now_ms()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("meta.json"), "{ not an index").unwrap();
    let broken = SearchIndex::open(&dir).unwrap();
    assert_eq!(broken.position(), None);
    drop(broken);
    let _ = std::fs::remove_dir_all(&dir);

    // The app's own index has never been built: the node serves, and search says why it
    // cannot answer yet (503, never a 500), until the first round has built it.
    let index = SearchIndex::of(app.state()).clone();
    let mut follower = Follower::resume(index.clone(), app.db().clone())
        .await
        .unwrap();
    assert!(index.is_warming());
    let page = app.get("/search?q=kettle").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(body_text(page).await.contains(WARMING_UP));
    let suggestions = app.client().call("suggest", &[("q", "ke")]).await;
    assert_eq!(
        (suggestions.status, suggestions.body.as_str()),
        (StatusCode::OK, "[]")
    );
    follower.poll().await.unwrap();
    assert!(!index.is_warming());
    assert_eq!(app.get("/search?q=kettle").await.status(), StatusCode::OK);
}
