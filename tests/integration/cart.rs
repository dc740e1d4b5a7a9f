//! Carts and wishlists on both databases: guest carts, merging on sign-in, limits, concurrent
//! adds, expiry, privacy, and the events they record.

use crate::{
    admin::{any_category, product_form},
    on_both_backends,
    support::{Backend, Client, PASSWORD, TestApp, admin, register, seeded_app, unique_email},
};
use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode, header},
};
use emporium::{
    cart::{
        db::{GUEST_CART_TTL_MS, delete_expired_guest_carts},
        model::CartView,
    },
    platform::db::now_ms,
};
use tower::ServiceExt;

on_both_backends!(
    guest_carts_survive_and_merge_into_the_account_on_sign_in,
    bad_quantities_and_items_change_nothing,
    concurrent_adds_of_one_variant_end_in_one_line,
    guest_carts_expire_after_thirty_days,
    carts_and_wishlists_are_private,
    an_expired_access_token_still_adds_to_the_account_cart,
    the_wishlist_keeps_items_and_takes_them_from_the_cart,
    a_cart_holds_at_most_a_hundred_different_items,
    deleted_variants_leave_carts_with_a_notice,
);

const CART_COOKIE: &str = "emporium_cart";

/// SKUs of `n` different active variants, each with at least `stock` units (set here).
async fn skus(app: &TestApp, n: i64, stock: i64) -> Vec<String> {
    let skus: Vec<String> =
        sqlx::query_scalar("SELECT sku FROM product_variants ORDER BY id LIMIT $1")
            .bind(n)
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    for sku in &skus {
        set_stock(app, sku, stock).await;
    }
    skus
}

async fn set_stock(app: &TestApp, sku: &str, stock: i64) {
    sqlx::query("UPDATE product_variants SET stock = $1 WHERE sku = $2")
        .bind(stock)
        .bind(sku)
        .execute(app.db().pool())
        .await
        .unwrap();
}

async fn add(client: &mut Client<'_>, sku: &str, quantity: &str) -> (StatusCode, String) {
    let reply = client
        .call("add_to_cart", &[("sku", sku), ("quantity", quantity)])
        .await;
    (reply.status, reply.body)
}

async fn cart(client: &mut Client<'_>) -> CartView {
    let reply = client.call_ok("cart", &[]).await;
    serde_json::from_str(&reply.body).unwrap()
}

/// The cart as (SKU, quantity) pairs.
async fn lines(client: &mut Client<'_>) -> Vec<(String, i64)> {
    cart(client)
        .await
        .lines
        .into_iter()
        .map(|l| (l.sku, l.quantity))
        .collect()
}

async fn count(client: &mut Client<'_>) -> i64 {
    let reply = client.call_ok("cart_count", &[]).await;
    reply.body.parse().unwrap()
}

async fn rows(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

async fn guest_carts_survive_and_merge_into_the_account_on_sign_in(backend: Backend) {
    let app = seeded_app(backend, 30, 5).await;
    let skus = skus(&app, 3, 10).await;
    let (a, b, c) = (&skus[0], &skus[1], &skus[2]);

    // An account that already holds one of A and one of C, from another device.
    let email = unique_email("merge");
    let mut phone = register(&app, "Mia", &email).await;
    assert_eq!(add(&mut phone, a, "1").await.0, StatusCode::OK);
    assert_eq!(add(&mut phone, c, "1").await.0, StatusCode::OK);

    let mut guest = app.client();
    assert_eq!(count(&mut guest).await, 0);
    assert_eq!(add(&mut guest, a, "2").await.0, StatusCode::OK);
    assert_eq!(add(&mut guest, b, "1").await.0, StatusCode::OK);
    assert!(guest.cookies.contains_key(CART_COOKIE));
    assert_eq!(count(&mut guest).await, 3);
    // Another browser has a cart of its own.
    assert_eq!(count(&mut app.client()).await, 0);

    guest
        .call_ok("login", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert!(
        !guest.cookies.contains_key(CART_COOKIE),
        "the guest cookie is gone"
    );
    let mut merged = lines(&mut guest).await;
    merged.sort();
    let mut expected = vec![(a.clone(), 3), (b.clone(), 1), (c.clone(), 1)];
    expected.sort();
    assert_eq!(merged, expected);
    assert_eq!(
        lines(&mut phone).await.len(),
        3,
        "the same cart on every device"
    );
    assert_eq!(rows(&app, "carts").await, 1, "the guest cart was deleted");

    guest.call("logout", &[]).await;
    assert_eq!(
        count(&mut guest).await,
        0,
        "signed out: an empty guest cart"
    );
    assert_eq!(count(&mut phone).await, 5, "the account keeps its cart");

    app.state().events.flush().await;
    let adds: i64 = app
        .scalar("SELECT COUNT(*) FROM events WHERE kind = 'add_to_cart'")
        .await;
    assert_eq!(adds, 4);
}

async fn bad_quantities_and_items_change_nothing(backend: Backend) {
    let app = seeded_app(backend, 30, 5).await;
    let skus = skus(&app, 2, 3).await;
    let mut shopper = register(&app, "Ned", &unique_email("ned")).await;
    for bad in ["0", "-1", "1.5", "abc", "1000", ""] {
        let (status, body) = add(&mut shopper, &skus[0], bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert!(
            body.contains("Quantity must be a whole number from 1 to 99."),
            "{body}"
        );
    }
    let (status, body) = add(&mut shopper, "NO-SUCH-SKU", "1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("isn't available"), "{body}");
    assert_eq!(rows(&app, "cart_lines").await, 0);

    assert_eq!(add(&mut shopper, &skus[0], "2").await.0, StatusCode::OK);
    let (status, body) = add(&mut shopper, &skus[0], "2").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("at most 3 of this item in your cart (you have 2)"),
        "{body}"
    );
    let update = |q: &'static str| [("sku", skus[0].as_str()), ("quantity", q)];
    assert_eq!(
        shopper.call("update_cart_line", &update("4")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        shopper.call("update_cart_line", &update("3")).await.status,
        StatusCode::OK
    );
    assert_eq!(lines(&mut shopper).await, [(skus[0].clone(), 3)]);

    // Stock falls below the cart: the line is flagged and left out of the subtotal.
    set_stock(&app, &skus[0], 1).await;
    let view = cart(&mut shopper).await;
    assert!(view.lines[0].problem().is_some());
    assert_eq!(view.subtotal().minor(), 0);

    // An archived product leaves the cart with a notice; it cannot be added again.
    app.execute_for("UPDATE products SET status = 'archived' WHERE id = (SELECT product_id FROM product_variants WHERE sku = $1)", &skus[0]).await;
    let view = cart(&mut shopper).await;
    assert!(view.lines.is_empty());
    assert!(
        view.notices[0].contains("no longer sold"),
        "{:?}",
        view.notices
    );
    assert_eq!(
        add(&mut shopper, &skus[0], "1").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(rows(&app, "cart_lines").await, 0);
}

async fn concurrent_adds_of_one_variant_end_in_one_line(backend: Backend) {
    let app = seeded_app(backend, 30, 5).await;
    let sku = skus(&app, 1, 50).await.remove(0);
    let mut shopper = register(&app, "Tab", &unique_email("tabs")).await;
    let cookies = shopper
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let tabs: Vec<_> = (0..10)
        .map(|i| {
            let router = app.router.clone();
            let (cookies, sku) = (cookies.clone(), sku.clone());
            tokio::spawn(async move {
                let mut request = Request::post("/api/add_to_cart")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ORIGIN, "http://shop.test")
                    .header(header::HOST, "shop.test")
                    .header(header::COOKIE, cookies)
                    .body(Body::from(format!("sku={sku}&quantity=2")))
                    .unwrap();
                request
                    .extensions_mut()
                    .insert(ConnectInfo(std::net::SocketAddr::from((
                        [10, 9, 0, i],
                        40_000,
                    ))));
                router.oneshot(request).await.unwrap().status()
            })
        })
        .collect();
    for tab in tabs {
        assert_eq!(tab.await.unwrap(), StatusCode::OK);
    }
    assert_eq!(lines(&mut shopper).await, [(sku, 20)]);
}

async fn guest_carts_expire_after_thirty_days(backend: Backend) {
    let app = seeded_app(backend, 30, 5).await;
    let sku = skus(&app, 1, 5).await.remove(0);
    let mut old = app.client();
    assert_eq!(add(&mut old, &sku, "1").await.0, StatusCode::OK);
    let mut fresh = app.client();
    assert_eq!(add(&mut fresh, &sku, "1").await.0, StatusCode::OK);
    app.execute_for(
        "UPDATE carts SET updated_at = $1 WHERE id = (SELECT MIN(id) FROM carts)",
        now_ms() - GUEST_CART_TTL_MS - 1,
    )
    .await;
    assert_eq!(count(&mut old).await, 0, "an expired cart is not shown");
    assert_eq!(
        delete_expired_guest_carts(app.db(), now_ms())
            .await
            .unwrap(),
        1
    );
    assert_eq!(count(&mut fresh).await, 1);
    // Coming back later starts a new cart under the same cookie.
    assert_eq!(add(&mut old, &sku, "2").await.0, StatusCode::OK);
    assert_eq!(count(&mut old).await, 2);
}

async fn carts_and_wishlists_are_private(backend: Backend) {
    let app = seeded_app(backend, 30, 5).await;
    let sku = skus(&app, 1, 5).await.remove(0);
    let mut owner = register(&app, "Ola", &unique_email("ola")).await;
    assert_eq!(add(&mut owner, &sku, "2").await.0, StatusCode::OK);
    owner.call("add_to_wishlist", &[("sku", &sku)]).await;

    let mut other = register(&app, "Eve", &unique_email("eve")).await;
    let update = other
        .call("update_cart_line", &[("sku", &sku), ("quantity", "1")])
        .await;
    assert_eq!(update.status, StatusCode::NOT_FOUND);
    other.call("remove_from_cart", &[("sku", &sku)]).await;
    other.call("remove_from_wishlist", &[("sku", &sku)]).await;
    assert_eq!(lines(&mut owner).await, [(sku.clone(), 2)]);
    assert!(other.call("wishlist", &[]).await.body.starts_with("[]"));
    assert!(owner.call("wishlist", &[]).await.body.contains(&sku));

    // A forged or mangled cart cookie is a fresh, empty cart, never an error.
    for forged in ["abc", "zz", &"0".repeat(64), "../../etc"] {
        let mut visitor = app.client();
        visitor.cookies.insert(CART_COOKIE.into(), forged.into());
        assert_eq!(count(&mut visitor).await, 0);
        assert!(cart(&mut visitor).await.lines.is_empty());
        let page = visitor.get("/cart").await;
        assert_eq!(page.status, StatusCode::OK);
    }
    for function in [
        "wishlist",
        "add_to_wishlist",
        "move_to_wishlist",
        "remove_from_wishlist",
    ] {
        assert_eq!(
            app.client().call(function, &[("sku", &sku)]).await.status,
            StatusCode::UNAUTHORIZED,
            "{function}"
        );
    }
}

async fn an_expired_access_token_still_adds_to_the_account_cart(backend: Backend) {
    let app = seeded_app(backend, 30, 5).await;
    let sku = skus(&app, 1, 5).await.remove(0);
    let mut shopper = register(&app, "Rex", &unique_email("rex")).await;
    // The browser dropped the expired access cookie; the refresh cookie remains.
    shopper.cookies.remove("emporium_access");
    assert_eq!(add(&mut shopper, &sku, "1").await.0, StatusCode::OK);
    assert!(
        shopper.cookies.contains_key("emporium_access"),
        "refreshed silently"
    );
    assert!(
        !shopper.cookies.contains_key(CART_COOKIE),
        "not a guest cart"
    );
    let user_carts: i64 = app
        .scalar("SELECT COUNT(*) FROM carts WHERE user_id IS NOT NULL")
        .await;
    assert_eq!(user_carts, 1);
}

async fn the_wishlist_keeps_items_and_takes_them_from_the_cart(backend: Backend) {
    let app = seeded_app(backend, 30, 5).await;
    let skus = skus(&app, 2, 5).await;
    let mut shopper = register(&app, "Wil", &unique_email("wil")).await;
    assert_eq!(add(&mut shopper, &skus[0], "1").await.0, StatusCode::OK);
    assert_eq!(add(&mut shopper, &skus[1], "1").await.0, StatusCode::OK);
    let moved = shopper.call("move_to_wishlist", &[("sku", &skus[0])]).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(lines(&mut shopper).await, [(skus[1].clone(), 1)]);
    let wishlist = shopper.call("wishlist", &[]).await.body;
    assert!(
        wishlist.contains(&skus[0]) && !wishlist.contains(&skus[1]),
        "{wishlist}"
    );
    // Twice is fine; it stays one item.
    shopper.call("add_to_wishlist", &[("sku", &skus[0])]).await;
    assert_eq!(rows(&app, "wishlist_items").await, 1);
    shopper
        .call("remove_from_wishlist", &[("sku", &skus[0])])
        .await;
    assert_eq!(rows(&app, "wishlist_items").await, 0);
    app.state().events.flush().await;
    let saved: i64 = app
        .scalar("SELECT COUNT(*) FROM events WHERE kind = 'wishlist_add'")
        .await;
    // The second save of the same item a moment later is a repeat: one event (see events).
    assert_eq!(saved, 1);
}

async fn a_cart_holds_at_most_a_hundred_different_items(backend: Backend) {
    let app = seeded_app(backend, 80, 5).await;
    let skus = skus(&app, 101, 5).await;
    assert_eq!(skus.len(), 101, "the demo catalog has enough variants");
    let mut shopper = register(&app, "Max", &unique_email("max")).await;
    for sku in &skus[..100] {
        assert_eq!(add(&mut shopper, sku, "1").await.0, StatusCode::OK);
    }
    let (status, body) = add(&mut shopper, &skus[100], "1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Your cart is full"), "{body}");
    // More of an item already in the cart is still fine.
    assert_eq!(add(&mut shopper, &skus[0], "1").await.0, StatusCode::OK);
    assert_eq!(rows(&app, "cart_lines").await, 100);
}

/// An admin deletes one variant, then the whole product: each line leaves the carts holding it,
/// and each shopper is told once.
async fn deleted_variants_leave_carts_with_a_notice(backend: Backend) {
    let app = seeded_app(backend, 30, 5).await;
    let kept = skus(&app, 1, 5).await.remove(0);
    let category = any_category(&app).await;
    let mut admin = admin(&app).await;
    let two_variants = [
        ("product[variants][1][sku]", "LAMP-RED"),
        ("product[variants][1][options]", "Colour=Red"),
        ("product[variants][1][price]", "30"),
        ("product[variants][1][stock]", "5"),
    ];
    let reply = admin
        .call_ok(
            "save_product",
            &product_form("Tide Lamp", &category, "LAMP-TEAL", &two_variants),
        )
        .await;
    let id = reply.body;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM product_variants WHERE sku IN ('LAMP-TEAL', 'LAMP-RED') ORDER BY sku DESC",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();

    let mut shopper = register(&app, "Del", &unique_email("del")).await;
    let mut guest = app.client();
    for sku in ["LAMP-TEAL", "LAMP-RED", kept.as_str()] {
        assert_eq!(add(&mut shopper, sku, "1").await.0, StatusCode::OK);
    }
    assert_eq!(add(&mut guest, "LAMP-TEAL", "2").await.0, StatusCode::OK);

    // The teal variant is deleted from the product.
    let (teal, red) = (ids[0].to_string(), ids[1].to_string());
    let mut without_teal = two_variants.to_vec();
    without_teal.extend([
        ("product[id]", id.as_str()),
        ("product[slug]", "tide-lamp"),
        ("product[variants][0][id]", teal.as_str()),
        ("product[variants][1][id]", red.as_str()),
        ("product[variants][0][remove]", "on"),
    ]);
    admin
        .call_ok(
            "save_product",
            &product_form("Tide Lamp", &category, "LAMP-TEAL", &without_teal),
        )
        .await;
    let view = cart(&mut shopper).await;
    assert_eq!(
        view.notices,
        ["Tide Lamp (Colour: Teal) is no longer sold, so it was removed from your cart."]
    );
    assert_eq!(view.lines.len(), 2);
    assert!(cart(&mut shopper).await.notices.is_empty(), "told once");
    assert_eq!(cart(&mut guest).await.notices.len(), 1);
    assert!(cart(&mut guest).await.lines.is_empty());

    // The whole product is deleted.
    admin.call_ok("delete_product", &[("id", &id)]).await;
    let view = cart(&mut shopper).await;
    assert_eq!(
        view.notices,
        ["Tide Lamp (Colour: Red) is no longer sold, so it was removed from your cart."]
    );
    assert_eq!(
        view.lines.iter().map(|l| &l.sku).collect::<Vec<_>>(),
        [&kept]
    );
    assert_eq!(count(&mut shopper).await, 1);
    assert_eq!(rows(&app, "cart_removals").await, 0);
}
