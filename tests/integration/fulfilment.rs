//! The order desk on both databases: admins move orders through shipping, delivery and
//! cancellation; customers are told as they asked to be; nobody else can do any of it.

use crate::{
    checkout::{GOOD_CARD, add, address, count, key, place, shopper, stock, variant},
    on_both_backends,
    support::{Backend, Client, admin, seeded_app},
};
use axum::http::StatusCode;
use emporium::checkout::model::Placed;

on_both_backends!(
    orders_ship_and_arrive_and_the_customer_is_told,
    cancelling_returns_stock_and_follows_preferences,
    two_admins_acting_at_once_change_an_order_once,
    the_order_desk_is_for_admins_only,
    an_order_ships_in_parcels_with_tracking_links,
);

/// A paid order of two units of `sku` by `buyer`; returns its number.
async fn paid_order(buyer: &mut Client<'_>, sku: &str) -> String {
    add(buyer, sku, "2").await;
    let shipping = address(buyer, "US").await;
    let reply = place(buyer, &key(7), &shipping, GOOD_CARD, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    serde_json::from_str::<Placed>(&reply.body).unwrap().number
}

async fn set_status(client: &mut Client<'_>, number: &str, status: &str) -> (StatusCode, String) {
    let reply = client
        .call(
            "set_order_status",
            &[("number", number), ("status", status)],
        )
        .await;
    (reply.status, reply.body)
}

async fn desk_status(admin: &mut Client<'_>, number: &str) -> String {
    let reply = admin.call_ok("admin_order", &[("number", number)]).await;
    let desk: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    desk["status"].as_str().unwrap().to_owned()
}

async fn unread(client: &mut Client<'_>) -> i64 {
    let reply = client.call_ok("unread_notifications", &[]).await;
    reply.body.parse().unwrap()
}

async fn orders_ship_and_arrive_and_the_customer_is_told(backend: Backend) {
    let app = seeded_app(backend, 10, 4).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let mut buyer = shopper(&app, "Olive Buyer").await;
    let number = paid_order(&mut buyer, &sku).await;
    let mut admin = admin(&app).await;

    // The desk finds the order by status, by number and by the customer's name.
    let typed = number.to_lowercase();
    for filter in [
        vec![("status", "paid")],
        vec![("q", typed.as_str())],
        vec![("q", "olive")],
    ] {
        let reply = admin.call_ok("admin_orders", &filter).await;
        assert!(reply.body.contains(&number), "{filter:?}: {}", reply.body);
        assert!(reply.body.contains(r#""total":1"#), "{}", reply.body);
    }
    let reply = admin.call("admin_orders", &[("status", "shipped")]).await;
    assert!(reply.body.contains(r#""total":0"#), "{}", reply.body);

    assert_eq!(unread(&mut buyer).await, 0);
    assert_eq!(
        set_status(&mut admin, &number, "shipped").await.0,
        StatusCode::OK
    );
    assert_eq!(desk_status(&mut admin, &number).await, "Shipped");
    assert_eq!(unread(&mut buyer).await, 1);
    let reply = buyer.call("notifications", &[]).await;
    assert!(
        reply.body.contains(&format!("Order {number} has shipped")),
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains(&format!("/orders/{number}")),
        "{}",
        reply.body
    );
    let order_page = buyer.get(&format!("/orders/{number}")).await;
    assert!(order_page.body.contains("Shipped"));

    // Once shipped it can only be delivered.
    let (status, body) = set_status(&mut admin, &number, "cancelled").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("cannot become"), "{body}");
    assert_eq!(
        set_status(&mut admin, &number, "delivered").await.0,
        StatusCode::OK
    );
    assert_eq!(unread(&mut buyer).await, 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE kind IN ('order_shipped', 'order_delivered')"
        )
        .await,
        2
    );
    let history = admin.call("admin_order", &[("number", &number)]).await.body;
    assert_eq!(
        history.matches(r#""by":"Administrator""#).count(),
        2,
        "{history}"
    );

    let reply = buyer.call("mark_notifications_read", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(unread(&mut buyer).await, 0);
    assert_eq!(stock(&app, &sku).await, 3, "shipped units stay sold");
}

async fn cancelling_returns_stock_and_follows_preferences(backend: Backend) {
    let app = seeded_app(backend, 10, 4).await;
    let sku = variant(&app, 1, 2_000, 5).await;
    let mut buyer = shopper(&app, "Quiet Buyer").await;
    // Email only: no notifications in the shop.
    let reply = buyer
        .call("save_notification_preferences", &[("orders_email", "on")])
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let number = paid_order(&mut buyer, &sku).await;
    assert_eq!(stock(&app, &sku).await, 3);

    let mut admin = admin(&app).await;
    assert_eq!(
        set_status(&mut admin, &number, "cancelled").await.0,
        StatusCode::OK
    );
    assert_eq!(stock(&app, &sku).await, 5, "the units are back on sale");
    assert_eq!(unread(&mut buyer).await, 0);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'order_cancelled'"
        )
        .await,
        1
    );
    // Cancelled is final: nothing changes, stock is not returned twice.
    let (status, _) = set_status(&mut admin, &number, "cancelled").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = set_status(&mut admin, &number, "shipped").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(stock(&app, &sku).await, 5);
    assert_eq!(desk_status(&mut admin, &number).await, "Cancelled");
}

async fn two_admins_acting_at_once_change_an_order_once(backend: Backend) {
    let app = seeded_app(backend, 10, 4).await;
    let sku = variant(&app, 2, 1_500, 5).await;
    let mut buyer = shopper(&app, "Race Buyer").await;
    let number = paid_order(&mut buyer, &sku).await;
    let mut first = admin(&app).await;
    let mut second = admin(&app).await;
    let (shipped, cancelled) = tokio::join!(
        set_status(&mut first, &number, "shipped"),
        set_status(&mut second, &number, "cancelled"),
    );
    let oks = [shipped.0, cancelled.0]
        .iter()
        .filter(|s| **s == StatusCode::OK)
        .count();
    assert_eq!(oks, 1, "{shipped:?} {cancelled:?}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM order_status_changes").await,
        1
    );
    let expected_stock = if shipped.0 == StatusCode::OK { 3 } else { 5 };
    assert_eq!(stock(&app, &sku).await, expected_stock);
}

async fn the_order_desk_is_for_admins_only(backend: Backend) {
    let app = seeded_app(backend, 10, 4).await;
    let sku = variant(&app, 3, 1_500, 5).await;
    let mut buyer = shopper(&app, "Nosy Buyer").await;
    let number = paid_order(&mut buyer, &sku).await;
    for (function, form) in [
        ("admin_orders", vec![]),
        ("admin_order", vec![("number", number.as_str())]),
        (
            "set_order_status",
            vec![("number", number.as_str()), ("status", "shipped")],
        ),
    ] {
        let reply = buyer.call(function, &form).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{function}");
        let reply = app.client().call(function, &form).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{function}");
    }
    let mut admin = admin(&app).await;
    assert_eq!(
        set_status(&mut admin, "EM-0000-0000", "shipped").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        set_status(&mut admin, &number, "lost").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        set_status(&mut admin, &number, "paid").await.0,
        StatusCode::BAD_REQUEST
    );
    let reply = admin.call("admin_orders", &[("status", "lost")]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(desk_status(&mut admin, &number).await, "Paid");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM notifications").await, 0);
}

async fn ship(
    client: &mut Client<'_>,
    number: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form = vec![("number".to_owned(), number.to_owned())];
    form.extend(
        fields
            .iter()
            .map(|(k, v)| (format!("shipment{k}"), (*v).to_owned())),
    );
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let reply = client.call("ship_order", &form).await;
    (reply.status, reply.body)
}

/// Two units, shipped one at a time: the first parcel with a UPS tracking number makes the
/// order partially shipped and tells the customer with the tracking link; the second ships the
/// rest. Too many units, an unknown carrier or a shipped order change nothing.
async fn an_order_ships_in_parcels_with_tracking_links(backend: Backend) {
    let app = seeded_app(backend, 10, 4).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let mut buyer = shopper(&app, "Parcel Buyer").await;
    let number = paid_order(&mut buyer, &sku).await;
    let mut admin = admin(&app).await;

    for (fields, field) in [
        (vec![("[quantities][0]", "3")], "quantities[0]"),
        (vec![("[carrier]", "pigeon")], "carrier"),
        (vec![("[quantities][0]", "0")], "quantities"),
    ] {
        let (status, body) = ship(&mut admin, &number, &fields).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}: {body}"
        );
        assert!(body.contains(field), "{body}");
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM shipments").await, 0);

    let (status, body) = ship(
        &mut admin,
        &number,
        &[
            ("[quantities][0]", "1"),
            ("[carrier]", "ups"),
            ("[tracking]", "1Z999AA10123456784"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(desk_status(&mut admin, &number).await, "PartiallyShipped");
    let page = buyer.get(&format!("/orders/{number}")).await;
    assert!(
        page.body
            .contains("https://www.ups.com/track?tracknum=1Z999AA10123456784"),
        "{}",
        page.body
    );
    let email: String = app
        .scalar("SELECT payload FROM outbox WHERE kind = 'order_shipped' ORDER BY id LIMIT 1")
        .await;
    assert!(
        email.contains(&format!("Part of order {number} has shipped")),
        "{email}"
    );
    assert!(
        email.contains("https://www.ups.com/track?tracknum=1Z999AA10123456784"),
        "{email}"
    );

    // "Mark as shipped" with nothing chosen sends what is left.
    let (status, body) = set_status(&mut admin, &number, "shipped").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(desk_status(&mut admin, &number).await, "Shipped");
    let parcels: Vec<i64> = sqlx::query_scalar(
        "SELECT sl.quantity FROM shipment_lines sl JOIN shipments s ON s.id = sl.shipment_id ORDER BY s.id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(parcels, [1, 1]);
    let (status, body) = ship(&mut admin, &number, &[("[carrier]", "")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "nothing is left to ship");
    assert!(body.contains("cannot be shipped"), "{body}");
    let (status, _) = ship(&mut buyer, &number, &[("[carrier]", "")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM shipments").await, 2);
}
