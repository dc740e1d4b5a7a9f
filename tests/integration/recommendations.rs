//! Recommendations on both databases, from behaviour recorded through the real server
//! functions: product views, cart adds and paid orders.

use crate::{
    checkout::{GOOD_CARD, add, address, key, place, shopper},
    on_both_backends,
    support::{Backend, Client, TestApp, admin, seeded_app},
};
use axum::http::StatusCode;
use emporium::{
    analytics::model::Analytics,
    platform::db::now_ms,
    recommendations::{
        db::interactions,
        evaluation::evaluate,
        model::{Picks, Row},
        rebuild::rebuild,
    },
    server::demo::fill,
};

on_both_backends!(
    shoppers_who_viewed_a_product_lead_to_what_they_viewed_next,
    without_behaviour_the_category_fills_in,
    the_home_page_follows_a_shoppers_browsing,
    every_browser_is_a_visitor_whose_behaviour_counts_once,
    a_guests_browsing_leads_home_page_picks_and_joins_the_account,
    a_product_and_what_is_bought_with_it_go_into_the_cart_together,
    the_cart_suggests_what_was_bought_then_viewed_with_its_products,
    each_rows_showings_and_clicks_reach_the_admin,
    the_demo_shops_behaviour_fills_every_row_and_beats_best_sellers,
);

/// `n` active products as (id, slug, sku of the first variant), stocked.
async fn products(app: &TestApp, n: i64) -> Vec<(i64, String, String)> {
    app.execute("UPDATE product_variants SET stock = 50").await;
    sqlx::query_as(
        "SELECT p.id, p.slug, (SELECT MIN(v.sku) FROM product_variants v WHERE v.product_id = p.id) \
         FROM products p ORDER BY p.id LIMIT $1",
    )
    .bind(n)
    .fetch_all(app.db().pool())
    .await
    .unwrap()
}

async fn view(client: &mut Client<'_>, slug: &str) {
    client.call_ok("product", &[("slug", slug)]).await;
}

/// A new shopper `name` buys one of each of `skus` in one paid order.
async fn buy(app: &TestApp, name: &str, skus: &[&str]) {
    let mut buyer = shopper(app, name).await;
    for sku in skus {
        add(&mut buyer, sku, "1").await;
    }
    let shipping = address(&mut buyer, "US").await;
    let placed = place(&mut buyer, &key(1), &shipping, GOOD_CARD, &[]).await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
}

async fn picks(client: &mut Client<'_>, function: &str, form: &[(&str, &str)]) -> Picks {
    let reply = client.call_ok(function, form).await;
    serde_json::from_str(&reply.body).unwrap()
}

fn slugs(picks: &Picks) -> Vec<&str> {
    picks.products.iter().map(|p| p.slug.as_str()).collect()
}

async fn shoppers_who_viewed_a_product_lead_to_what_they_viewed_next(backend: Backend) {
    let app = seeded_app(backend, 40, 11).await;
    let all = products(&app, 6).await;
    let [a, b, c, d, e, _] = &all[..] else {
        unreachable!("six products were asked for")
    };
    // Two shoppers view A and B; one of them also carts C; a third buys A together with D.
    for name in ["Viewer One", "Viewer Two"] {
        let mut shopper = shopper(&app, name).await;
        view(&mut shopper, &a.1).await;
        view(&mut shopper, &b.1).await;
        if name == "Viewer One" {
            add(&mut shopper, &c.2, "1").await;
        }
    }
    buy(&app, "Buyer Three", &[&a.2, &d.2]).await;
    // E is archived: never recommended, however much it is viewed.
    let mut fan = shopper(&app, "Archived Fan").await;
    view(&mut fan, &a.1).await;
    view(&mut fan, &e.1).await;
    app.execute_for("UPDATE products SET status = 'archived' WHERE id = $1", e.0)
        .await;
    app.state().events.flush().await;

    let mut guest = app.client();
    let before = picks(&mut guest, "recommended_with", &[("slug", &a.1)]).await;
    assert_eq!(
        before.row,
        Row::PopularInCategory,
        "nothing until the engine has run"
    );
    let build = rebuild(app.db()).await.unwrap();
    // Views and cart adds (3 + 2 + 2 + 2), the paid order's two lines as purchases, and the
    // same two lines as one basket; A to E each get neighbours.
    assert_eq!((build.interactions, build.products), (13, 5), "{build:?}");
    let picks = picks(&mut guest, "recommended_with", &[("slug", &a.1)]).await;
    assert_eq!(picks.heading, "Customers who viewed this also viewed");
    let found = slugs(&picks);
    // Cosine over what each shopper did most with each product (view 1, cart 3, purchase 5),
    // shrunk by n / (n + 2) for n shoppers in common: D 0.945 × 1/3 (the buyer), B 0.267 × 2/4
    // (both viewers), C 0.189 × 1/3 (one cart add).
    assert_eq!(
        found[..3],
        [d.1.as_str(), b.1.as_str(), c.1.as_str()],
        "{found:?}"
    );
    assert!(!found.contains(&a.1.as_str()), "never the product itself");
    assert!(!found.contains(&e.1.as_str()), "never an archived product");
    assert!(found.len() <= 8);

    let reply = guest
        .call("recommended_with", &[("slug", "no-such-product")])
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

async fn without_behaviour_the_category_fills_in(backend: Backend) {
    let app = seeded_app(backend, 40, 11).await;
    products(&app, 0).await;
    // The first product of the biggest category.
    let (id, slug, category, name): (i64, String, i64, String) = sqlx::query_as(
        "SELECT p.id, p.slug, c.id, c.name FROM products p JOIN categories c ON c.id = p.category_id \
         WHERE c.id = (SELECT category_id FROM products GROUP BY category_id \
                       ORDER BY COUNT(*) DESC, category_id LIMIT 1) \
         ORDER BY p.id LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let siblings: Vec<String> = sqlx::query_scalar(
        "SELECT slug FROM products WHERE category_id = $1 AND id <> $2 AND status = 'active' \
         ORDER BY rating_total DESC, created_at DESC, id",
    )
    .bind(category)
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let first = picks(&mut app.client(), "recommended_with", &[("slug", &slug)]).await;
    assert_eq!(first.heading, format!("Popular in {name}"));
    assert_eq!(first.products.len(), siblings.len().min(8));
    assert!(
        slugs(&first)
            .iter()
            .all(|s| siblings.iter().any(|x| x == s))
    );

    // Visitors who each look at one product make no neighbours, but make it popular: after
    // the next rebuild the sibling the ratings put last comes first.
    assert!(siblings.len() >= 2, "{siblings:?}");
    let last = siblings.last().unwrap();
    for _ in 0..3 {
        view(&mut app.client(), last).await;
    }
    app.state().events.flush().await;
    let build = rebuild(app.db()).await.unwrap();
    assert_eq!(build.products, 0, "no neighbours: {build:?}");
    let popular = picks(&mut app.client(), "recommended_with", &[("slug", &slug)]).await;
    assert_eq!(popular.row, Row::PopularInCategory);
    assert_eq!(slugs(&popular)[0], last.as_str());
    assert_eq!(popular.products.len(), siblings.len().min(8));
}

async fn the_home_page_follows_a_shoppers_browsing(backend: Backend) {
    let app = seeded_app(backend, 40, 11).await;
    let all = products(&app, 3).await;
    // Two visitors view the third product (one visitor's repeats count once), one the second.
    let mut guest = app.client();
    view(&mut guest, &all[2].1).await;
    view(&mut guest, &all[2].1).await;
    view(&mut app.client(), &all[2].1).await;
    view(&mut guest, &all[1].1).await;

    let mut shopper = shopper(&app, "Home Browser").await;
    assert_eq!(
        picks(&mut shopper, "recommended_for_you", &[])
            .await
            .heading,
        "Popular this week",
        "no history yet"
    );
    view(&mut shopper, &all[0].1).await;
    app.state().events.flush().await;
    // "Popular this week" is counted by the rebuild.
    rebuild(app.db()).await.unwrap();

    let popular = picks(&mut guest, "recommended_for_you", &[]).await;
    assert_eq!(popular.heading, "Popular this week");
    assert_eq!(
        slugs(&popular)[..3],
        [all[2].1.as_str(), all[0].1.as_str(), all[1].1.as_str()]
    );

    let category: i64 = app
        .scalar_for("SELECT category_id FROM products WHERE id = $1", all[0].0)
        .await;
    let mine = picks(&mut shopper, "recommended_for_you", &[]).await;
    assert_eq!(mine.heading, "Inspired by your browsing");
    assert!(
        !slugs(&mine).contains(&all[0].1.as_str()),
        "not what they have seen"
    );
    // The browsed category's other products first, then its sibling categories'.
    let mut from_sibling = false;
    for product in &mine.products {
        let (same, sibling): (i64, i64) = sqlx::query_as(
            "SELECT CAST(CASE WHEN p.category_id = $2 THEN 1 ELSE 0 END AS BIGINT), \
                    CAST(CASE WHEN c.parent_id = (SELECT parent_id FROM categories WHERE id = $2) \
                              THEN 1 ELSE 0 END AS BIGINT) \
             FROM products p JOIN categories c ON c.id = p.category_id WHERE p.slug = $1",
        )
        .bind(&product.slug)
        .bind(category)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
        assert_eq!(sibling, 1, "{} is near the browsed category", product.slug);
        assert!(
            !(from_sibling && same == 1),
            "the same category comes first"
        );
        from_sibling |= same == 0;
    }
}

/// The events of `visitor`, as (kind, product) in order.
async fn events_of(app: &TestApp, visitor: &str) -> Vec<(String, Option<i64>)> {
    app.state().events.flush().await;
    sqlx::query_as("SELECT kind, product_id FROM events WHERE visitor = $1 ORDER BY id")
        .bind(visitor)
        .fetch_all(app.db().pool())
        .await
        .unwrap()
}

async fn every_browser_is_a_visitor_whose_behaviour_counts_once(backend: Backend) {
    let app = seeded_app(backend, 80, 11).await;
    let all = products(&app, 70).await;
    let mut guest = app.client();
    view(&mut guest, &all[0].1).await;
    let visitor = guest.cookies["emporium_visitor"].clone();
    assert_eq!(visitor.len(), 32, "128 random bits as hex");
    // The same product again and again within ten minutes counts once.
    for _ in 0..4 {
        view(&mut guest, &all[0].1).await;
    }
    assert_eq!(
        guest.cookies["emporium_visitor"], visitor,
        "the cookie is kept"
    );
    assert_eq!(events_of(&app, &visitor).await.len(), 1);
    // At most 60 events of one visitor a minute.
    for (_, slug, _) in &all {
        view(&mut guest, slug).await;
    }
    assert_eq!(events_of(&app, &visitor).await.len(), 60);

    // A made-up cookie is replaced; files and health checks get none.
    let mut forger = app.client();
    forger
        .cookies
        .insert("emporium_visitor".into(), "not-an-id".into());
    view(&mut forger, &all[1].1).await;
    assert_ne!(forger.cookies["emporium_visitor"], "not-an-id");
    let mut probe = app.client();
    assert_eq!(probe.get("/healthz").await.status, StatusCode::OK);
    assert!(!probe.cookies.contains_key("emporium_visitor"));

    // A loop of requests without the cookie: each is a new visitor, and one address gets at
    // most 30 of them counted a minute.
    let mut counted = 0;
    for _ in 0..40 {
        let mut bot = app.client_from([10, 9, 9, 9]);
        view(&mut bot, &all[2].1).await;
        counted += events_of(&app, &bot.cookies["emporium_visitor"])
            .await
            .len();
    }
    assert_eq!(counted, 30);
}

async fn a_guests_browsing_leads_home_page_picks_and_joins_the_account(backend: Backend) {
    let app = seeded_app(backend, 40, 11).await;
    let all = products(&app, 6).await;
    // Other shoppers' behaviour pairs A with B and C; then the engine runs.
    for n in 0..3 {
        let mut other = app.client();
        view(&mut other, &all[0].1).await;
        view(&mut other, &all[1].1).await;
        if n == 0 {
            view(&mut other, &all[2].1).await;
        }
    }
    let mut guest = app.client();
    view(&mut guest, &all[3].1).await;
    view(&mut guest, &all[0].1).await;
    app.state().events.flush().await;
    rebuild(app.db()).await.unwrap();

    let recent = picks(&mut guest, "recently_viewed", &[("except", &all[0].1)]).await;
    assert_eq!(
        slugs(&recent),
        [all[3].1.as_str()],
        "the page's own product is left out"
    );
    let recent = picks(&mut guest, "recently_viewed", &[]).await;
    assert_eq!(
        slugs(&recent),
        [all[0].1.as_str(), all[3].1.as_str()],
        "latest first"
    );

    let mine = picks(&mut guest, "recommended_for_you", &[]).await;
    assert_eq!(mine.heading, "Inspired by your browsing");
    assert_eq!(slugs(&mine)[..2], [all[1].1.as_str(), all[2].1.as_str()]);
    // Nothing already in the cart, nothing out of stock.
    guest
        .call_ok("add_to_cart", &[("sku", &all[1].2), ("quantity", "1")])
        .await;
    app.execute_for(
        "UPDATE product_variants SET stock = 0 WHERE product_id = $1",
        all[2].0,
    )
    .await;
    let mine = picks(&mut guest, "recommended_for_you", &[]).await;
    assert!(
        !slugs(&mine).contains(&all[1].1.as_str()),
        "{:?}",
        slugs(&mine)
    );
    assert!(
        !slugs(&mine).contains(&all[2].1.as_str()),
        "{:?}",
        slugs(&mine)
    );
    // Nor under "Recently viewed": what they looked at is left out once it is sold out or in
    // the cart.
    app.execute_for(
        "UPDATE product_variants SET stock = 0 WHERE product_id = $1",
        all[3].0,
    )
    .await;
    let recent = picks(&mut guest, "recently_viewed", &[]).await;
    assert_eq!(slugs(&recent), [all[0].1.as_str()]);
    guest
        .call_ok("add_to_cart", &[("sku", &all[0].2), ("quantity", "1")])
        .await;
    let recent = picks(&mut guest, "recently_viewed", &[]).await;
    assert!(recent.products.is_empty(), "{:?}", slugs(&recent));

    // Signing in makes what the visitor did the account's.
    let visitor = guest.cookies["emporium_visitor"].clone();
    let email = crate::support::unique_email("gus");
    let mut account = crate::support::register(&app, "Gus", &email).await;
    account
        .cookies
        .insert("emporium_visitor".into(), visitor.clone());
    account
        .call_ok(
            "login",
            &[("email", &email), ("password", crate::support::PASSWORD)],
        )
        .await;
    let owners: Vec<Option<i64>> =
        sqlx::query_scalar("SELECT user_id FROM events WHERE visitor = $1")
            .bind(&visitor)
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert!(
        !owners.is_empty() && owners.iter().all(Option::is_some),
        "{owners:?}"
    );
}

async fn a_product_and_what_is_bought_with_it_go_into_the_cart_together(backend: Backend) {
    let app = seeded_app(backend, 40, 11).await;
    app.execute("UPDATE product_variants SET stock = 50").await;
    let single: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT p.id, p.slug, MIN(v.sku) FROM products p \
         JOIN product_variants v ON v.product_id = p.id \
         GROUP BY p.id, p.slug HAVING COUNT(*) = 1 ORDER BY p.id LIMIT 3",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    let [x, y, z] = &single[..] else {
        panic!("three single-variant products: {single:?}")
    };
    buy(&app, "Pair Buyer", &[&x.2, &y.2]).await;
    rebuild(app.db()).await.unwrap();

    let mut guest = app.client();
    let pair = |body: &str| -> Option<(String, String)> {
        let pair: Option<serde_json::Value> = serde_json::from_str(body).unwrap();
        pair.map(|p| {
            let slug = |card: &serde_json::Value| card["slug"].as_str().unwrap().to_owned();
            (slug(&p["this"]), slug(&p["other"]))
        })
    };
    let reply = guest.call_ok("bought_together", &[("slug", &x.1)]).await;
    assert_eq!(pair(&reply.body), Some((x.1.clone(), y.1.clone())));
    let reply = guest.call("bought_together", &[("slug", &z.1)]).await;
    assert_eq!(pair(&reply.body), None, "never bought with anything");

    // Both or neither: a sold-out second item adds nothing.
    app.execute_for("UPDATE product_variants SET stock = 0 WHERE sku = $1", &z.2)
        .await;
    let refused = guest
        .call("add_both_to_cart", &[("first", &x.2), ("second", &z.2)])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(guest.call("cart_count", &[]).await.body, "0");
    let added = guest
        .call("add_both_to_cart", &[("first", &x.2), ("second", &y.2)])
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert_eq!(guest.call("cart_count", &[]).await.body, "2");
    let reply = guest.call("bought_together", &[("slug", &x.1)]).await;
    assert_eq!(pair(&reply.body), None, "not what is in the cart already");
}

async fn the_cart_suggests_what_was_bought_then_viewed_with_its_products(backend: Backend) {
    let app = seeded_app(backend, 40, 11).await;
    let all = products(&app, 4).await;
    let [x, y, z, w] = &all[..] else {
        unreachable!("four products were asked for")
    };
    // X was bought with Y, and viewed with Z (three times) and W (once).
    buy(&app, "Cart Buyer", &[&x.2, &y.2]).await;
    for n in 0..3 {
        let mut viewer = app.client();
        view(&mut viewer, &x.1).await;
        view(&mut viewer, &z.1).await;
        if n == 0 {
            view(&mut viewer, &w.1).await;
        }
    }
    app.state().events.flush().await;
    rebuild(app.db()).await.unwrap();

    let mut guest = app.client();
    let empty = picks(&mut guest, "with_your_cart", &[]).await;
    assert!(empty.products.is_empty(), "nothing for an empty cart");
    guest
        .call_ok("add_to_cart", &[("sku", &x.2), ("quantity", "1")])
        .await;
    let suggested = picks(&mut guest, "with_your_cart", &[]).await;
    assert_eq!(suggested.row, Row::WithYourCart);
    assert_eq!(
        slugs(&suggested)[..3],
        [y.1.as_str(), z.1.as_str(), w.1.as_str()],
        "bought with it first, then viewed with it, nearest first"
    );
    guest
        .call_ok("add_to_cart", &[("sku", &y.2), ("quantity", "1")])
        .await;
    let suggested = picks(&mut guest, "with_your_cart", &[]).await;
    assert!(
        !slugs(&suggested).contains(&x.1.as_str()) && !slugs(&suggested).contains(&y.1.as_str()),
        "never what is in the cart: {:?}",
        slugs(&suggested)
    );
}

async fn each_rows_showings_and_clicks_reach_the_admin(backend: Backend) {
    let app = seeded_app(backend, 40, 11).await;
    let all = products(&app, 3).await;
    for _ in 0..2 {
        let mut other = app.client();
        view(&mut other, &all[0].1).await;
        view(&mut other, &all[1].1).await;
    }
    app.state().events.flush().await;
    let build = rebuild(app.db()).await.unwrap();

    let mut guest = app.client();
    let row = picks(&mut guest, "recommended_with", &[("slug", &all[0].1)]).await;
    assert_eq!(row.row, Row::AlsoViewed);
    picks(&mut guest, "recommended_with", &[("slug", &all[2].1)]).await;
    let nothing = picks(&mut guest, "recently_viewed", &[]).await;
    assert!(nothing.products.is_empty(), "an empty row is not shown");
    let clicked = guest
        .call(
            "picked",
            &[
                ("row", "also-viewed"),
                ("slug", row.products[0].slug.as_str()),
            ],
        )
        .await;
    assert_eq!(clicked.status, StatusCode::OK, "{}", clicked.body);
    for (form, status) in [
        (
            [("row", "also-viewed"), ("slug", "no-such-product")],
            StatusCode::NOT_FOUND,
        ),
        (
            [("row", "front-page"), ("slug", all[1].1.as_str())],
            StatusCode::BAD_REQUEST,
        ),
    ] {
        assert_eq!(guest.call("picked", &form).await.status, status, "{form:?}");
    }
    app.state().events.flush().await;

    let mut admin = admin(&app).await;
    let reply = admin.call_ok("admin_analytics", &[("days", "7")]).await;
    let analytics: Analytics = serde_json::from_str(&reply.body).unwrap();
    let rows: Vec<_> = analytics
        .recommendations
        .iter()
        .map(|r| (r.row.as_str(), r.shown, r.clicked, r.click_through.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("Customers who viewed this also viewed", 1, 1, "100.0%"),
            ("Popular in its category", 1, 0, "0.0%"),
        ]
    );
    let last = analytics.last_build.expect("the rebuild is reported");
    assert_eq!(
        (last.built_at, last.interactions, last.products),
        (build.built_at, build.interactions, build.products)
    );
}

async fn the_demo_shops_behaviour_fills_every_row_and_beats_best_sellers(backend: Backend) {
    let app = seeded_app(backend, 300, 42).await;
    let filled = fill(app.db(), &app.state().config, 42).await.unwrap();
    assert!(filled.events > 30_000, "{filled:?}");
    // Three customers in four bought what they carted: delivered orders, each paid, invoiced
    // and shipped, with its history.
    assert!(filled.customers >= 300, "{filled:?}");
    assert_eq!(
        filled.orders,
        filled.customers - filled.customers.div_ceil(4)
    );
    let complete: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM orders o WHERE o.status = 'delivered' \
           AND EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.status = 'succeeded' \
                       AND p.amount_minor = o.total_minor) \
           AND EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id) \
           AND EXISTS (SELECT 1 FROM shipments s WHERE s.order_id = o.id) \
           AND (SELECT COUNT(*) FROM order_status_changes c WHERE c.order_id = o.id) = 2",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(usize::try_from(complete).unwrap(), filled.orders);
    // Reviews of what they carted, verified where they bought it: every star from one to
    // five, more good than bad, and each product's rating counts its reviews.
    assert!(filled.reviews >= 300, "{filled:?}");
    let (verified, unverified): (i64, i64) = sqlx::query_as(
        "SELECT CAST(SUM(verified) AS BIGINT), CAST(SUM(1 - verified) AS BIGINT) FROM reviews",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert!(
        verified > 2 * unverified && unverified > 0,
        "{verified} / {unverified}"
    );
    let stars: Vec<(i64, i64)> = app
        .rows("SELECT rating, COUNT(*) FROM reviews GROUP BY rating ORDER BY rating")
        .await;
    assert_eq!(stars.len(), 5, "{stars:?}");
    let good: i64 = stars[3..].iter().map(|s| s.1).sum();
    assert!(good > stars[..3].iter().map(|s| s.1).sum(), "{stars:?}");
    let (counted, rated): (i64, i64) = sqlx::query_as(
        "SELECT CAST(SUM(rating_count) AS BIGINT), \
                CAST(SUM(CASE WHEN rating_count > 0 THEN 1 ELSE 0 END) AS BIGINT) FROM products",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(u64::try_from(counted).unwrap(), filled.reviews);
    assert!(rated > 100, "{rated} products rated");
    let build = rebuild(app.db()).await.unwrap();
    assert!(build.products > 200, "{build:?}");
    let busiest: String = sqlx::query_scalar(
        "SELECT p.slug FROM events e JOIN products p ON p.id = e.product_id \
         GROUP BY p.slug ORDER BY COUNT(*) DESC, p.slug LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let row = picks(&mut app.client(), "recommended_with", &[("slug", &busiest)]).await;
    assert_eq!(row.heading, "Customers who viewed this also viewed");
    assert_eq!(row.products.len(), 8);
    let bought: i64 = app
        .scalar("SELECT COUNT(DISTINCT product_id) FROM product_neighbours WHERE kind = 'bought'")
        .await;
    assert!(bought > 50, "the demo's orders pair products: {bought}");
    let evaluation = evaluate(&interactions(app.db(), now_ms()).await.unwrap());
    assert!(
        evaluation.engine.hit_rate >= 2.0 * evaluation.popularity.hit_rate,
        "{evaluation}"
    );
}
