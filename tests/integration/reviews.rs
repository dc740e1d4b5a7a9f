//! Reviews on both databases: ratings kept in step with reviews (also under concurrency),
//! verified purchases, moderation, and bad input.

use crate::{
    checkout::{GOOD_CARD, add, address, key, place, shopper, variant},
    on_both_backends,
    support::{Backend, Client, TestApp, admin, seeded_app},
};
use axum::http::StatusCode;
use emporium::{
    reviews::model::ReviewsView,
    search::index::SearchIndex,
    search::model::{RawSearch, SearchRequest},
};

on_both_backends!(
    reviews_make_the_products_rating,
    a_buyers_review_is_a_verified_purchase,
    concurrent_reviews_are_all_counted,
    bad_reviews_change_nothing,
    admins_remove_reviews_and_shoppers_cannot,
);

/// The slug of the product that sells `sku`.
async fn slug_of(app: &TestApp, sku: &str) -> String {
    app.scalar_for("SELECT p.slug FROM products p JOIN product_variants v ON v.product_id = p.id WHERE v.sku = $1", sku).await
}

async fn first_slug(app: &TestApp) -> String {
    app.scalar("SELECT slug FROM products ORDER BY id LIMIT 1")
        .await
}

async fn review(
    client: &mut Client<'_>,
    slug: &str,
    rating: &str,
    body: &str,
) -> (StatusCode, String) {
    let reply = client
        .call(
            "save_review",
            &[
                ("slug", slug),
                ("review[rating]", rating),
                ("review[title]", ""),
                ("review[body]", body),
            ],
        )
        .await;
    (reply.status, reply.body)
}

async fn reviews(client: &mut Client<'_>, slug: &str) -> ReviewsView {
    let reply = client.call_ok("product_reviews", &[("slug", slug)]).await;
    serde_json::from_str(&reply.body).unwrap()
}

/// The product's stored (count, total).
async fn aggregates(app: &TestApp, slug: &str) -> (i64, i64) {
    sqlx::query_as("SELECT rating_count, rating_total FROM products WHERE slug = $1")
        .bind(slug)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn reviews_make_the_products_rating(backend: Backend) {
    let app = seeded_app(backend, 10, 3).await;
    let slug = first_slug(&app).await;
    let mut ann = shopper(&app, "Ann Lee").await;
    let mut bob = shopper(&app, "Bob").await;
    assert_eq!(
        review(&mut ann, &slug, "5", "Lovely, <b>sturdy</b>.")
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        review(&mut bob, &slug, "2", "Broke in a week.").await.0,
        StatusCode::OK
    );
    assert_eq!(aggregates(&app, &slug).await, (2, 7));

    let view = reviews(&mut ann, &slug).await;
    assert_eq!(view.summary.count, 2);
    assert_eq!(view.summary.tenths, Some(35));
    assert_eq!(view.summary.by_stars, [0, 1, 0, 0, 1]);
    let authors: Vec<_> = view.reviews.iter().map(|r| r.author.as_str()).collect();
    assert_eq!(authors, ["Bob", "Ann L."], "newest first");
    assert_eq!(view.mine.as_ref().map(|r| r.rating), Some(5));
    assert!(!view.reviews[0].verified);

    // Writing again replaces the shopper's review instead of adding one.
    assert_eq!(
        review(&mut ann, &slug, "3", "Fine on reflection.").await.0,
        StatusCode::OK
    );
    assert_eq!(aggregates(&app, &slug).await, (2, 5));
    let page = app.client().get(&format!("/p/{slug}")).await;
    assert!(
        page.body.contains("Fine on reflection."),
        "the page is rendered with its reviews"
    );
    assert!(
        page.body.contains(r#""ratingValue":"2.5""#),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<b>sturdy</b>"));

    let bob_reply = bob.call("delete_review", &[("slug", &slug)]).await;
    assert_eq!(bob_reply.status, StatusCode::OK, "{}", bob_reply.body);
    assert_eq!(aggregates(&app, &slug).await, (1, 3));
    let again = bob.call("delete_review", &[("slug", &slug)]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let view = reviews(&mut app.client(), &slug).await;
    assert_eq!(
        (view.summary.count, view.signed_in, view.mine),
        (1, false, None)
    );

    // Search filters by the new average at once: three stars and up finds it, four does not.
    let id: i64 = app
        .scalar_for("SELECT id FROM products WHERE slug = $1", &slug)
        .await;
    let rated = |stars: &str| {
        let (request, _) = SearchRequest::parse(&RawSearch {
            rating: Some(stars.into()),
            ..RawSearch::default()
        });
        SearchIndex::of(app.state()).search(&request).unwrap().ids
    };
    assert_eq!(rated("3"), [id]);
    assert!(rated("4").is_empty());

    app.state().events.flush().await;
    let events: i64 = app
        .scalar("SELECT COUNT(*) FROM events WHERE kind = 'review'")
        .await;
    assert_eq!(events, 3);
}

async fn a_buyers_review_is_a_verified_purchase(backend: Backend) {
    let app = seeded_app(backend, 10, 3).await;
    let sku = variant(&app, 0, 1_500, 5).await;
    let slug = slug_of(&app, &sku).await;
    let mut buyer = shopper(&app, "Vera Buyer").await;
    add(&mut buyer, &sku, "1").await;
    let shipping = address(&mut buyer, "US").await;
    let placed = place(&mut buyer, &key(1), &shipping, GOOD_CARD, &[]).await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    assert_eq!(
        review(&mut buyer, &slug, "4", "Arrived quickly.").await.0,
        StatusCode::OK
    );
    let mut browser = shopper(&app, "Bea Browser").await;
    assert_eq!(
        review(&mut browser, &slug, "1", "Never bought it.").await.0,
        StatusCode::OK
    );
    let view = reviews(&mut browser, &slug).await;
    let verified: Vec<_> = view
        .reviews
        .iter()
        .map(|r| (r.author.as_str(), r.verified))
        .collect();
    assert_eq!(verified, [("Bea B.", false), ("Vera B.", true)]);
}

async fn concurrent_reviews_are_all_counted(backend: Backend) {
    let app = seeded_app(backend, 10, 3).await;
    let slug = first_slug(&app).await;
    let mut shoppers = Vec::new();
    for n in 0..20 {
        shoppers.push(shopper(&app, &format!("Rater {n}")).await);
    }
    let writes = shoppers.iter_mut().enumerate().map(|(n, client)| {
        let slug = slug.clone();
        async move {
            let stars = (n % 5 + 1).to_string();
            review(client, &slug, &stars, "Concurrent opinion.").await.0
        }
    });
    let statuses = futures::future::join_all(writes).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    // Four of each from 1 to 5 stars: 20 ratings, 60 stars.
    assert_eq!(aggregates(&app, &slug).await, (20, 60));
}

async fn bad_reviews_change_nothing(backend: Backend) {
    let app = seeded_app(backend, 10, 3).await;
    let slug = first_slug(&app).await;
    let mut shopper = shopper(&app, "Nat").await;
    let long_title = "t".repeat(121);
    let cases: [(&str, &str, &str, &str); 5] = [
        ("0", "", "Fine.", "rating"),
        ("6", "", "Fine.", "rating"),
        ("abc", "", "Fine.", "rating"),
        ("4", "", "   ", "body"),
        ("4", &long_title, "Fine.", "title"),
    ];
    for (rating, title, body, field) in cases {
        let reply = shopper
            .call(
                "save_review",
                &[
                    ("slug", slug.as_str()),
                    ("review[rating]", rating),
                    ("review[title]", title),
                    ("review[body]", body),
                ],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{rating:?} {body:?}"
        );
        assert!(reply.body.contains(field), "{}", reply.body);
    }
    let (status, _) = review(&mut shopper, "no-such-product", "4", "Fine.").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = review(&mut app.client(), &slug, "4", "Fine.").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // An archived product takes no reviews.
    app.execute_for(
        "UPDATE products SET status = 'archived' WHERE slug = $1",
        &slug,
    )
    .await;
    let (status, _) = review(&mut shopper, &slug, "4", "Fine.").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let reviews: i64 = app.scalar("SELECT COUNT(*) FROM reviews").await;
    assert_eq!(reviews, 0);
    assert_eq!(aggregates(&app, &slug).await, (0, 0));
}

async fn admins_remove_reviews_and_shoppers_cannot(backend: Backend) {
    let app = seeded_app(backend, 10, 3).await;
    let slug = first_slug(&app).await;
    let mut author = shopper(&app, "Spam Bot").await;
    assert_eq!(
        review(&mut author, &slug, "1", "Buy pills at …").await.0,
        StatusCode::OK
    );
    let id = reviews(&mut author, &slug).await.reviews[0].id.to_string();

    let mut other = shopper(&app, "Other").await;
    let reply = other.call("remove_review", &[("id", &id)]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // Another shopper's "delete my review" deletes nothing of the author's.
    let reply = other.call("delete_review", &[("slug", &slug)]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(aggregates(&app, &slug).await, (1, 1));

    let mut admin = admin(&app).await;
    assert!(reviews(&mut admin, &slug).await.moderator);
    admin.call_ok("remove_review", &[("id", &id)]).await;
    assert_eq!(aggregates(&app, &slug).await, (0, 0));
    let reply = admin.call("remove_review", &[("id", &id)]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = admin.call("remove_review", &[("id", "x")]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}
