//! The catalog foundation: the demo seed and the home page read from the database.

use crate::{
    on_both_backends,
    support::{Backend, TestDb, body_text, spawn_app},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use emporium::catalog::seed::{SeedError, seed};

on_both_backends!(
    the_same_seed_makes_the_same_catalog,
    seeding_refuses_a_catalog_that_has_products,
    the_home_page_lists_departments_and_newest_products,
    the_home_catalog_server_function_returns_json,
    the_product_page_shows_variants_and_records_a_view,
    unknown_and_archived_products_get_the_404_page,
    html_in_a_product_title_is_shown_as_text,
);

/// Title, price and stock of every variant, in a stable order.
async fn snapshot(db: &emporium::platform::db::Db) -> Vec<(String, String, i64, i64)> {
    sqlx::query_as(
        "SELECT p.title, v.sku, v.price_minor, v.stock FROM products p \
         JOIN product_variants v ON v.product_id = p.id ORDER BY v.sku",
    )
    .fetch_all(db.pool())
    .await
    .unwrap()
}

async fn the_same_seed_makes_the_same_catalog(backend: Backend) {
    let (a, b, c) = (
        TestDb::new(backend).await,
        TestDb::new(backend).await,
        TestDb::new(backend).await,
    );
    let report = seed(&a.db, 120, 7).await.unwrap();
    seed(&b.db, 120, 7).await.unwrap();
    seed(&c.db, 120, 8).await.unwrap();
    assert_eq!(report.products, 120);
    assert!(report.categories >= 30);
    assert!(report.variants >= 120);

    let (snap_a, snap_b, snap_c) = (
        snapshot(&a.db).await,
        snapshot(&b.db).await,
        snapshot(&c.db).await,
    );
    assert_eq!(snap_a.len(), report.variants);
    assert_eq!(snap_a, snap_b);
    assert_ne!(snap_a, snap_c);

    let depth: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM categories leaf JOIN categories mid ON mid.id = leaf.parent_id \
         JOIN categories top ON top.id = mid.parent_id WHERE top.parent_id IS NULL",
    )
    .fetch_one(a.db.pool())
    .await
    .unwrap();
    assert!(depth > 0, "the category tree has three levels");
}

async fn seeding_refuses_a_catalog_that_has_products(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    seed(&test_db.db, 5, 1).await.unwrap();
    assert!(matches!(
        seed(&test_db.db, 5, 1).await,
        Err(SeedError::NotEmpty)
    ));
    let products: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products")
        .fetch_one(test_db.db.pool())
        .await
        .unwrap();
    assert_eq!(products, 5);
}

async fn the_home_page_lists_departments_and_newest_products(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(app.db(), 40, 3).await.unwrap();
    let newest: String = app
        .scalar("SELECT title FROM products ORDER BY created_at DESC LIMIT 1")
        .await;
    let oldest: String = app
        .scalar("SELECT title FROM products ORDER BY created_at ASC LIMIT 1")
        .await;

    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = body_text(response).await;
    assert!(html.contains("Shop by department"));
    assert!(html.contains("Electronics"));
    assert!(
        html.contains(&escape(&newest)),
        "newest product {newest:?} is on the page"
    );
    assert!(
        !html.contains(&escape(&oldest)),
        "only the newest products are listed"
    );
}

async fn the_home_catalog_server_function_returns_json(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(app.db(), 20, 3).await.unwrap();
    let request = Request::post("/api/load_home_catalog")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap();
    let response = app.request(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let catalog: emporium::catalog::model::HomeCatalog =
        serde_json_from(&body_text(response).await);
    assert_eq!(catalog.departments.len(), 6);
    assert_eq!(catalog.featured.len(), 12);
    assert!(catalog.featured.iter().all(|p| p.price.minor() > 0));
}

fn serde_json_from<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Titles are HTML-escaped in pages (an apostrophe or ampersand would otherwise not match).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A seeded product with more than one variant: (id, slug, title).
async fn product_with_variants(app: &crate::support::TestApp) -> (i64, String, String) {
    sqlx::query_as(
        "SELECT p.id, p.slug, p.title FROM products p \
         WHERE (SELECT COUNT(*) FROM product_variants v WHERE v.product_id = p.id) > 1 \
         ORDER BY p.id LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap()
}

async fn the_product_page_shows_variants_and_records_a_view(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(app.db(), 60, 5).await.unwrap();
    let (id, slug, title) = product_with_variants(&app).await;
    let (first_price, second_sku): (i64, String) = sqlx::query_as(
        "SELECT MIN(CASE WHEN position = 0 THEN price_minor END), MAX(CASE WHEN position = 1 THEN sku END) \
         FROM product_variants WHERE product_id = $1",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let department: String = sqlx::query_scalar(
        "SELECT top.name FROM products p JOIN categories leaf ON leaf.id = p.category_id \
         JOIN categories mid ON mid.id = leaf.parent_id JOIN categories top ON top.id = mid.parent_id WHERE p.id = $1",
    )
    .bind(id)
    .fetch_one(app.db().pool())
    .await
    .unwrap();

    let response = app.get(&format!("/p/{slug}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = body_text(response).await;
    assert!(html.contains(&escape(&title)), "title shown");
    assert!(
        html.contains(
            &emporium::platform::money::Money::from_minor(first_price)
                .unwrap()
                .to_string()
        )
    );
    assert!(
        html.contains(&format!("value=\"{second_sku}\"")),
        "every variant is selectable"
    );
    assert!(
        html.contains(&escape(&department)),
        "breadcrumb reaches the department"
    );
    assert!(html.contains("Material"), "attribute table");
    assert!(html.contains(r#""@type":"Product""#), "JSON-LD markup");
    // Absolute, as search engines require (Lighthouse fails a relative canonical link).
    let base = &app.state().config.public_url;
    assert!(html.contains(&format!(r#"<link href="{base}/p/{slug}" rel="canonical">"#)));

    app.state().events.flush().await;
    let views: i64 = app
        .scalar_for(
            "SELECT COUNT(*) FROM events WHERE kind = 'product_view' AND product_id = $1",
            id,
        )
        .await;
    assert_eq!(views, 1);
}

async fn unknown_and_archived_products_get_the_404_page(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(app.db(), 5, 5).await.unwrap();
    let response = app.get("/p/no-such-product").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body_text(response).await.contains("Page not found"));

    let slug: String = app.scalar("UPDATE products SET status = 'archived' WHERE id = (SELECT MIN(id) FROM products) RETURNING slug").await;
    assert_eq!(
        app.get(&format!("/p/{slug}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn html_in_a_product_title_is_shown_as_text(backend: Backend) {
    let app = spawn_app(backend).await;
    seed(app.db(), 5, 5).await.unwrap();
    let slug: String = sqlx::query_scalar(
        "UPDATE products SET title = '</title><script>alert(1)</script>', description = '</script><b>bold</b>' \
         WHERE id = (SELECT MIN(id) FROM products) RETURNING slug",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let html = body_text(app.get(&format!("/p/{slug}")).await).await;
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "title escaped"
    );
    assert!(!html.contains("<script>alert(1)"), "no script injected");
    assert!(
        !html.contains("</title><script>"),
        "the <title> cannot be closed early"
    );
    assert!(
        html.contains("<title>&lt;/title&gt;&lt;script&gt;"),
        "the page title shows the text"
    );
    assert!(
        !html.contains("</script><b>"),
        "JSON-LD cannot be closed early"
    );
    assert!(!html.contains("<b>bold</b>"));
}
