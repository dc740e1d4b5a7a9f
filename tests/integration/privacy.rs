//! "Your data" on both databases: a shopper downloads everything the shop holds about them, and
//! nothing of anyone else's; signed out, the download sends them to sign in.

use crate::{
    checkout::{GOOD_CARD, add, address, count, key, place, variant},
    on_both_backends,
    support::{register, seeded_app, signed_out, unique_email},
};
use axum::http::{StatusCode, header};

on_both_backends!(
    a_shopper_downloads_everything_the_shop_holds_about_them,
    a_shopper_deletes_their_account_and_the_shop_forgets_them,
);

const DATA: &str = "/account/privacy/data.json";

async fn a_shopper_downloads_everything_the_shop_holds_about_them(
    backend: crate::support::Backend,
) {
    let app = seeded_app(backend, 20, 9).await;
    let email = unique_email("dora");
    let mut dora = register(&app, "Dora", &email).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    dora.call_ok("add_to_wishlist", &[("sku", &sku)]).await;
    add(&mut dora, &sku, "1").await;
    let home = address(&mut dora, "US").await;
    let placed = place(&mut dora, &key(1), &home, GOOD_CARD, &[]).await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    let number = serde_json::from_str::<serde_json::Value>(&placed.body).unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned();
    app.state().events.flush().await;

    let reply = dora.get(DATA).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers[header::CONTENT_TYPE], "application/json");
    assert!(
        reply.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment"),
    );
    let data: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(data["profile"]["email"], email.as_str());
    assert_eq!(data["profile"]["name"], "Dora");
    assert_eq!(data["addresses"].as_array().unwrap().len(), 1);
    assert_eq!(data["orders"][0]["number"], number.as_str());
    assert_eq!(data["wishlist"][0]["sku"], sku.as_str());
    assert!(data["preferences"]["orders_email"].is_boolean());
    assert!(
        data["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "add_to_cart"),
        "{}",
        data["events"]
    );
    assert!(data["notifications"].is_array() && data["reviews"].is_array());

    // Someone else's download holds none of it.
    let mut other = register(&app, "Otto", &unique_email("otto")).await;
    let theirs: serde_json::Value = serde_json::from_str(&other.get(DATA).await.body).unwrap();
    assert!(theirs["orders"].as_array().unwrap().is_empty());
    assert!(!theirs.to_string().contains(&email));

    let signed_out = app.client().get(DATA).await;
    assert!(signed_out.status.is_redirection(), "{}", signed_out.status);
    assert_eq!(
        signed_out.headers[header::LOCATION],
        "/login?next=/account/privacy"
    );
}

/// Deleting an account needs the password and "DELETE"; then the shopper's data is erased or
/// anonymised in one go, the order stays for the books, and nobody can sign in as them again.
async fn a_shopper_deletes_their_account_and_the_shop_forgets_them(
    backend: crate::support::Backend,
) {
    let app = seeded_app(backend, 20, 9).await;
    let email = unique_email("del");
    let mut del = register(&app, "Del Gone", &email).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    del.call("add_to_wishlist", &[("sku", &sku)]).await;
    add(&mut del, &sku, "1").await;
    let home = address(&mut del, "US").await;
    let placed = place(&mut del, &key(2), &home, GOOD_CARD, &[]).await;
    assert_eq!(placed.status, StatusCode::OK, "{}", placed.body);
    add(&mut del, &sku, "1").await;
    app.state().events.flush().await;
    let slug: String = app.scalar_for("SELECT p.slug FROM products p JOIN product_variants v ON v.product_id = p.id WHERE v.sku = $1", &sku).await;
    let review = del
        .call(
            "save_review",
            &[
                ("slug", slug.as_str()),
                ("review[rating]", "4"),
                ("review[title]", "Solid"),
                ("review[body]", "Does what it says."),
            ],
        )
        .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    let mut phone = app.client();
    phone
        .call(
            "login",
            &[("email", &email), ("password", crate::support::PASSWORD)],
        )
        .await;

    for (password, confirm, field) in [
        ("not my password", "DELETE", "password"),
        (crate::support::PASSWORD, "delete it", "confirm"),
    ] {
        let reply = del
            .call(
                "delete_account",
                &[("password", password), ("confirm", confirm)],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
        assert!(reply.body.contains(field), "{}", reply.body);
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM addresses").await,
        1,
        "nothing changed"
    );

    del.call_ok(
        "delete_account",
        &[
            ("password", crate::support::PASSWORD),
            ("confirm", "DELETE"),
        ],
    )
    .await;
    assert!(signed_out(&del), "signed out");
    for (sql, left) in [
        ("SELECT COUNT(*) FROM addresses", 0),
        ("SELECT COUNT(*) FROM wishlist_items", 0),
        ("SELECT COUNT(*) FROM carts WHERE user_id IS NOT NULL", 0),
        ("SELECT COUNT(*) FROM notifications", 0),
        ("SELECT COUNT(*) FROM refresh_tokens", 0),
        ("SELECT COUNT(*) FROM events WHERE user_id IS NOT NULL", 0),
        ("SELECT COUNT(*) FROM orders", 1),
        ("SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL", 1),
    ] {
        assert_eq!(count(&app, sql).await, left, "{sql}");
    }
    let outbox: i64 = app
        .scalar_for("SELECT COUNT(*) FROM outbox WHERE recipient = $1", &email)
        .await;
    assert_eq!(outbox, 0, "no email to the address is kept");
    let (name, line1): (String, String) =
        sqlx::query_as("SELECT ship_full_name, ship_line1 FROM orders")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!((name.as_str(), line1.as_str()), ("Former customer", ""));
    let stored: (String, String) =
        sqlx::query_as("SELECT name, email FROM users WHERE deleted_at IS NOT NULL")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!(stored.0, "Former customer");
    assert!(!stored.1.contains("del-"), "{}", stored.1);

    let reviews = app
        .client()
        .call("product_reviews", &[("slug", slug.as_str())])
        .await;
    let reviews: serde_json::Value = serde_json::from_str(&reviews.body).unwrap();
    assert_eq!(
        reviews["reviews"][0]["author"], "Former customer",
        "{reviews}"
    );
    assert_eq!(reviews["reviews"][0]["title"], "Solid");

    let again = app
        .client()
        .call(
            "login",
            &[("email", &email), ("password", crate::support::PASSWORD)],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    phone.cookies.remove("emporium_access");
    let me = phone.call("current_user", &[]).await;
    assert_eq!(me.body, "null", "every other device is signed out");

    let mut boss = crate::support::admin(&app).await;
    let reply = boss
        .call(
            "delete_account",
            &[
                ("password", crate::support::PASSWORD),
                ("confirm", "DELETE"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
}
