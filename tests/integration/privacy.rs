//! "Your data" on both databases: a shopper downloads everything the shop holds about them, and
//! nothing of anyone else's; signed out, the download sends them to sign in.

use crate::{
    checkout::{GOOD_CARD, add, address, key, place, variant},
    on_both_backends,
    support::{register, seeded_app, unique_email},
};
use axum::http::{StatusCode, header};

on_both_backends!(a_shopper_downloads_everything_the_shop_holds_about_them);

const DATA: &str = "/account/privacy/data.json";

async fn a_shopper_downloads_everything_the_shop_holds_about_them(
    backend: crate::support::Backend,
) {
    let app = seeded_app(backend, 20, 9).await;
    let email = unique_email("dora");
    let mut dora = register(&app, "Dora", &email).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let reply = dora.call("add_to_wishlist", &[("sku", &sku)]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
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
