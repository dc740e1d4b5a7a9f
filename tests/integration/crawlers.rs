//! What search engines and caches are told: robots.txt, the sitemap, `noindex`, canonical
//! addresses and `Cache-Control`.

use crate::{
    on_both_backends,
    support::{body_text, register, seeded_app, unique_email},
};
use axum::http::{StatusCode, header};

on_both_backends!(
    the_sitemap_lists_every_product_on_sale_and_every_category,
    crawlers_are_kept_out_of_shoppers_pages,
    only_pages_that_are_the_same_for_everyone_may_be_cached_by_others,
);

/// More products than one query of the streamed part reads, so the part is read in steps.
const PRODUCTS: usize = 2_100;

async fn the_sitemap_lists_every_product_on_sale_and_every_category(
    backend: crate::support::Backend,
) {
    let app = seeded_app(backend, PRODUCTS, 7).await;
    let db = app.db().pool();
    sqlx::query("UPDATE products SET status = 'draft' WHERE id = (SELECT MIN(id) FROM products)")
        .execute(db)
        .await
        .unwrap();
    let draft: String = sqlx::query_scalar("SELECT slug FROM products WHERE status = 'draft'")
        .fetch_one(db)
        .await
        .unwrap();
    // A product far beyond the first 50,000 ids goes into a part of its own.
    sqlx::query(
        "INSERT INTO products (id, slug, title, brand_id, category_id, created_at, updated_at) \
         SELECT 120000, 'far-away-lamp', 'Far away lamp', brand_id, category_id, 0, 31536000000 \
         FROM products WHERE id = (SELECT MAX(id) FROM products)",
    )
    .execute(db)
    .await
    .unwrap();
    let base = &app.state().config.public_url;

    let index = app.get("/sitemap.xml").await;
    assert_eq!(index.status(), StatusCode::OK);
    assert!(
        index.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let index = body_text(index).await;
    let parts: Vec<&str> = index
        .split("<loc>")
        .skip(1)
        .filter_map(|rest| rest.split("</loc>").next())
        .collect();
    assert_eq!(
        parts,
        [
            format!("{base}/sitemap/pages.xml"),
            format!("{base}/sitemap/products-0.xml"),
            format!("{base}/sitemap/products-2.xml"),
        ],
        "{index}"
    );
    assert!(
        index.contains("products-2.xml</loc><lastmod>1971-01-01</lastmod>"),
        "{index}"
    );

    let first = body_text(app.get("/sitemap/products-0.xml").await).await;
    assert!(first.starts_with("<?xml") && first.trim_end().ends_with("</urlset>"));
    let on_sale: Vec<String> = sqlx::query_scalar(
        "SELECT slug FROM products WHERE status = 'active' AND id < 50000 ORDER BY id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let listed: Vec<&str> = first
        .split(&format!("<loc>{base}/p/"))
        .skip(1)
        .filter_map(|rest| rest.split("</loc>").next())
        .collect();
    assert_eq!(listed.len(), PRODUCTS - 1, "every product on sale, once");
    assert_eq!(listed, on_sale);
    assert!(!listed.contains(&draft.as_str()), "a draft is not listed");

    let far = body_text(app.get("/sitemap/products-2.xml").await).await;
    assert!(
        far.contains(&format!(
            "<loc>{base}/p/far-away-lamp</loc><lastmod>1971-01-01</lastmod>"
        )),
        "{far}"
    );

    let pages = body_text(app.get("/sitemap/pages.xml").await).await;
    assert!(pages.contains(&format!("<loc>{base}/</loc>")));
    let categories: Vec<String> = sqlx::query_scalar("SELECT slug FROM categories")
        .fetch_all(db)
        .await
        .unwrap();
    assert!(!categories.is_empty());
    for slug in categories {
        assert!(
            pages.contains(&format!("<loc>{base}/c/{slug}</loc>")),
            "{slug}"
        );
    }

    for missing in [
        "products-1.xml",
        "products-x.xml",
        "products--1.xml",
        "other.xml",
    ] {
        let response = app.get(&format!("/sitemap/{missing}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
    }
}

async fn crawlers_are_kept_out_of_shoppers_pages(backend: crate::support::Backend) {
    let app = seeded_app(backend, 20, 3).await;
    let robots = app.get("/robots.txt").await;
    assert_eq!(robots.status(), StatusCode::OK);
    assert!(
        robots.headers().get(header::SET_COOKIE).is_none(),
        "crawlers get no visitor id"
    );
    let robots = body_text(robots).await;
    for line in [
        "User-agent: *",
        "Disallow: /api/",
        "Disallow: /admin",
        "Disallow: /checkout",
    ] {
        assert!(robots.lines().any(|l| l == line), "{line} in {robots}");
    }
    let sitemap = format!("Sitemap: {}/sitemap.xml", app.state().config.public_url);
    assert!(robots.lines().any(|l| l == sitemap), "{robots}");

    let slug: String = app
        .scalar("SELECT slug FROM products ORDER BY id LIMIT 1")
        .await;
    let base = &app.state().config.public_url;
    let mut shopper = app.client();
    const NOINDEX: &str = r#"<meta name="robots" content="noindex""#;
    for (page, canonical) in [
        ("/", "/".to_owned()),
        (&format!("/p/{slug}"), format!("/p/{slug}")),
        (
            "/search?q=mug&sort=newest&in_stock=1",
            "/search?q=mug".to_owned(),
        ),
    ] {
        let reply = shopper.get(page).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        assert!(
            !reply.body.contains(NOINDEX),
            "{page} is for search engines"
        );
        assert!(
            reply.body.contains(r#"<meta name="description" content=""#),
            "{page}"
        );
        assert!(
            reply.body.contains(&format!(
                r#"<link href="{base}{canonical}" rel="canonical">"#
            )),
            "{page}: {}",
            reply.body
        );
    }
    for page in [
        "/cart",
        "/login",
        "/checkout",
        "/account",
        "/admin",
        "/no/such/page",
    ] {
        let reply = shopper.get(page).await;
        assert!(
            reply.body.contains(NOINDEX),
            "{page} is not for search engines"
        );
    }
}

async fn only_pages_that_are_the_same_for_everyone_may_be_cached_by_others(
    backend: crate::support::Backend,
) {
    let app = seeded_app(backend, 20, 3).await;
    let cache = |reply: &crate::support::Reply| {
        reply
            .headers
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let mut guest = app.client();
    let first = guest.get("/").await;
    assert!(
        first.headers.contains_key(header::SET_COOKIE),
        "a new visitor gets an id"
    );
    assert_eq!(
        cache(&first).as_deref(),
        Some("private, no-store"),
        "a page that sets a cookie is kept by nobody"
    );

    let again = guest.get("/").await;
    assert_eq!(cache(&again).as_deref(), Some("public, max-age=60"));
    assert!(
        again
            .headers
            .get_all(header::VARY)
            .iter()
            .any(|v| v.to_str().unwrap().contains("Cookie"))
    );
    assert_eq!(
        cache(&guest.get("/search?q=mug").await).as_deref(),
        Some("public, max-age=60")
    );
    for own in ["/cart", "/login", "/p/no-such-product"] {
        assert_eq!(
            cache(&guest.get(own).await).as_deref(),
            Some("private, no-store"),
            "{own}"
        );
    }

    let mut shopper = register(&app, "Cass Cache", &unique_email("cache")).await;
    assert_eq!(
        cache(&shopper.get("/").await).as_deref(),
        Some("private, no-store"),
        "a signed-in shopper's page is their own"
    );
}
