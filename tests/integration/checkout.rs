//! Checkout and orders on both databases: server-side pricing, tax, idempotency, declines and
//! retries, no oversell under 200 concurrent buyers, and privacy of addresses and orders.

use crate::{
    on_both_backends,
    support::{Backend, Client, TestApp, admin, seeded_app},
};
use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode, header},
};
use emporium::{
    accounts::{model::Email, session::ACCESS_COOKIE},
    checkout::{
        db::{OrderTerms, Placement, place_order},
        model::{Placed, ShippingMethod, ShippingRates, is_order_number},
    },
    error::AppError,
    platform::{auth::Role, db::now_ms},
};
use tower::ServiceExt;

on_both_backends!(
    a_paid_order_is_priced_by_the_server_and_empties_the_cart,
    a_declined_card_then_a_good_one_makes_one_order,
    the_same_key_placed_twice_at_once_makes_one_order_and_one_payment,
    twenty_retries_of_a_failed_order_at_once_take_its_stock_once,
    ten_orders_placed_at_once_leave_at_most_three_waiting_for_payment,
    placing_orders_is_rate_limited_per_shopper,
    two_hundred_buyers_for_ten_units_make_ten_orders,
    bad_checkout_input_changes_nothing,
    addresses_and_orders_are_private,
    invoices_are_numbered_without_gaps_when_orders_are_paid_at_once,
    the_invoice_prints_the_seller_and_the_totals_for_its_owner_only,
    buy_again_puts_what_is_still_sold_back_in_the_cart,
    the_checkout_adds_and_edits_an_address_in_place_before_hydration,
    only_a_key_issued_for_this_shopper_and_cart_places_an_order,
);

pub(crate) const GOOD_CARD: &str = "4242 4242 4242 4242";
pub(crate) const DECLINED_CARD: &str = "4000 0000 0000 0002";

/// A customer named `tag`, signed in by an access token made here (no password hashing: fast
/// enough for hundreds of buyers).
pub(crate) async fn shopper<'a>(app: &'a TestApp, tag: &str) -> Client<'a> {
    let email = Email::parse(&crate::support::unique_email(&tag.replace(' ', "."))).unwrap();
    let id =
        emporium::accounts::db::insert_user(app.db(), &email, tag, "-", Role::Customer, now_ms())
            .await
            .unwrap();
    let mut client = app.client();
    let token = app
        .state()
        .tokens
        .issue(id, Role::Customer, now_ms() / 1000);
    client.cookies.insert(ACCESS_COOKIE.into(), token);
    client
}

/// A variant with exactly `stock` units at `price` cents; returns its SKU.
pub(crate) async fn variant(app: &TestApp, nth: i64, price: i64, stock: i64) -> String {
    let sku: String = app
        .scalar_for(
            "SELECT sku FROM product_variants ORDER BY id LIMIT 1 OFFSET $1",
            nth,
        )
        .await;
    sqlx::query("UPDATE product_variants SET price_minor = $1, stock = $2 WHERE sku = $3")
        .bind(price)
        .bind(stock)
        .bind(&sku)
        .execute(app.db().pool())
        .await
        .unwrap();
    sku
}

pub(crate) async fn stock(app: &TestApp, sku: &str) -> i64 {
    app.scalar_for("SELECT stock FROM product_variants WHERE sku = $1", sku)
        .await
}

pub(crate) async fn count(app: &TestApp, sql: &str) -> i64 {
    app.scalar(sql).await
}

pub(crate) async fn add(client: &mut Client<'_>, sku: &str, quantity: &str) {
    client
        .call_ok("add_to_cart", &[("sku", sku), ("quantity", quantity)])
        .await;
}

/// Saves a US address through the server function; returns its id.
pub(crate) async fn address(client: &mut Client<'_>, country: &str) -> String {
    let reply = client
        .call_ok(
            "save_address",
            &[
                ("address[full_name]", "Grace Hopper"),
                ("address[line1]", "1 Navy Way"),
                ("address[city]", "Arlington"),
                ("address[region]", "VA"),
                ("address[postal_code]", "22202"),
                ("address[country]", country),
                ("address[phone]", "+1 555 0100"),
            ],
        )
        .await;
    reply.body
}

/// A name for a checkout key: `place` asks the shop for a key the first time a client uses a
/// name, and sends the same key again whenever the name comes back (a retry).
pub(crate) fn key(n: u32) -> String {
    format!("{n:032x}")
}

/// The key the checkout page gives the client for its cart as it is now.
pub(crate) async fn checkout_key(client: &mut Client<'_>) -> String {
    let reply = client.call_ok("checkout", &[]).await;
    let view: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    view["idempotency_key"].as_str().unwrap().to_owned()
}

/// Presses "Place order" with the checkout key named `key` (a name the shop never issued, such
/// as "stale", is sent as it is).
pub(crate) async fn place<'a>(
    client: &mut Client<'a>,
    key: &str,
    address: &str,
    card: &str,
    extra: &[(&str, &str)],
) -> crate::support::Reply {
    let key = match client.checkout_keys.get(key) {
        Some(issued) => issued.clone(),
        None if key.len() == 32 => {
            let issued = checkout_key(client).await;
            client.checkout_keys.insert(key.to_owned(), issued.clone());
            issued
        }
        None => key.to_owned(),
    };
    let mut form = vec![
        ("idempotency_key", key.as_str()),
        ("address_id", address),
        ("shipping", "standard"),
        ("card[number]", card),
        ("card[expiry]", "12/39"),
        ("card[cvc]", "123"),
    ];
    form.extend_from_slice(extra);
    client.call("place_order", &form).await
}

/// The order number a successful `place_order` returned.
fn number(reply: &crate::support::Reply) -> String {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let placed: Placed = serde_json::from_str(&reply.body).unwrap();
    assert!(is_order_number(&placed.number), "{}", placed.number);
    assert_eq!(
        placed.client_secret, None,
        "the test gateway settles at once"
    );
    placed.number
}

async fn a_paid_order_is_priced_by_the_server_and_empties_the_cart(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let (a, b) = (
        variant(&app, 0, 1_250, 5).await,
        variant(&app, 1, 999, 5).await,
    );
    let mut buyer = shopper(&app, "buyer").await;
    add(&mut buyer, &a, "2").await;
    add(&mut buyer, &b, "1").await;
    let address = address(&mut buyer, "US").await;

    // Prices, quantities and totals in the request are not arguments: they change nothing.
    let reply = place(
        &mut buyer,
        &key(1),
        &address,
        GOOD_CARD,
        &[("total", "1"), ("price", "0"), ("lines[0][price]", "0")],
    )
    .await;
    let number = number(&reply);
    // 2 × 12.50 + 9.99 = 34.99; standard shipping 4.99 below 50.00; tax 7.25% of 34.99 =
    // 2.536775 → 2.54.
    let totals: (String, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT status, subtotal_minor, shipping_minor, tax_minor, total_minor FROM orders WHERE number = $1",
    )
    .bind(&number)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!(totals, ("paid".into(), 3_499, 499, 254, 4_252));
    assert_eq!((stock(&app, &a).await, stock(&app, &b).await), (3, 4));
    let cart = buyer.call("cart_count", &[]).await;
    assert_eq!(cart.body, "0", "the cart is emptied once paid");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'order_confirmation'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM payments WHERE status = 'succeeded'"
        )
        .await,
        1
    );

    let page = buyer.get(&format!("/orders/{number}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Thank you") && page.body.contains("$42.52"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Test payment: the offline test gateway took it"),
        "an order paid by the test gateway says so"
    );
    let history = buyer.call("orders", &[]).await;
    assert!(history.body.contains(&number), "{}", history.body);

    app.state().events.flush().await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM events WHERE kind = 'purchase'").await,
        1
    );
}

async fn a_declined_card_then_a_good_one_makes_one_order(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 2_000, 3).await;
    let mut buyer = shopper(&app, "retry").await;
    add(&mut buyer, &sku, "2").await;
    let address = address(&mut buyer, "GB").await;

    let declined = place(&mut buyer, &key(7), &address, DECLINED_CARD, &[]).await;
    assert_eq!(declined.status, StatusCode::PAYMENT_REQUIRED);
    assert!(
        declined.body.contains("Your card was declined"),
        "{}",
        declined.body
    );
    assert_eq!(
        stock(&app, &sku).await,
        3,
        "a failed payment gives the stock back"
    );
    assert_eq!(
        buyer.call("cart_count", &[]).await.body,
        "2",
        "the cart stays"
    );
    let no_funds = place(&mut buyer, &key(7), &address, "4000 0000 0000 9995", &[]).await;
    assert_eq!(no_funds.status, StatusCode::PAYMENT_REQUIRED);
    assert!(
        no_funds.body.contains("insufficient funds"),
        "{}",
        no_funds.body
    );
    assert_eq!(stock(&app, &sku).await, 3);

    let paid = place(&mut buyer, &key(7), &address, GOOD_CARD, &[]).await;
    let number = number(&paid);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 3);
    assert_eq!(stock(&app, &sku).await, 1);
    // GB: 20% of 40.00; free standard shipping below 50.00 does not apply.
    let total: i64 = app
        .scalar_for("SELECT total_minor FROM orders WHERE number = $1", &number)
        .await;
    assert_eq!(total, 4_000 + 499 + 800);

    // Submitting the same form again returns the same order and charges nothing.
    let again = place(&mut buyer, &key(7), &address, GOOD_CARD, &[]).await;
    assert_eq!(self::number(&again), number);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 3);
}

async fn the_same_key_placed_twice_at_once_makes_one_order_and_one_payment(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 500, 10).await;
    let mut buyer = shopper(&app, "double").await;
    add(&mut buyer, &sku, "1").await;
    let address = address(&mut buyer, "US").await;
    let cookies = cookie_header(&buyer);
    let key = checkout_key(&mut buyer).await;
    let clicks: Vec<_> = (0..2)
        .map(|i| {
            let body = format!(
                "idempotency_key={key}&address_id={address}&shipping=express&card%5Bnumber%5D=4242424242424242&card%5Bexpiry%5D=12%2F39&card%5Bcvc%5D=123"
            );
            post(&app, "/api/place_order", body, cookies.clone(), i)
        })
        .collect();
    let mut numbers = Vec::new();
    for click in clicks {
        let (status, body) = click.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        numbers.push(body);
    }
    assert_eq!(numbers[0], numbers[1]);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments").await, 1);
    assert_eq!(stock(&app, &sku).await, 9);
}

/// Places the one shopper's cart (whose address is `address`) once per key, all at once,
/// straight through `checkout::db::place_order` (no payment follows).
pub(crate) async fn place_at_once(
    app: &TestApp,
    address: &str,
    keys: &[String],
) -> Vec<Result<Placement, AppError>> {
    let user = count(app, "SELECT user_id FROM addresses").await;
    let rates = ShippingRates::from(app.state().config.shipping);
    let terms = OrderTerms {
        address_id: address.parse().unwrap(),
        code: None,
        method: ShippingMethod::Standard,
        rates: &rates,
        tax_rates: &app.state().config.tax_rates,
        reservation_ms: 60_000,
    };
    let placements = keys
        .iter()
        .map(|key| place_order(app.db(), user, key, &terms));
    futures::future::join_all(placements).await
}

/// How many placements left an order to charge.
pub(crate) fn charged(placements: &[Result<Placement, AppError>]) -> usize {
    placements
        .iter()
        .filter(|placement| matches!(placement, Ok(Placement::Charge { .. })))
        .count()
}

/// A declined order retried from twenty requests at once is reopened by exactly one of them,
/// which takes its stock again; the others find it already waiting for payment.
async fn twenty_retries_of_a_failed_order_at_once_take_its_stock_once(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_000, 10).await;
    let mut buyer = shopper(&app, "retries").await;
    add(&mut buyer, &sku, "2").await;
    let address = address(&mut buyer, "US").await;
    let declined = place(&mut buyer, &key(11), &address, DECLINED_CARD, &[]).await;
    assert_eq!(declined.status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(stock(&app, &sku).await, 10);

    let keys = vec![key(11); 20];
    let placements = place_at_once(&app, &address, &keys).await;
    assert_eq!(charged(&placements), 1, "reopened once");
    assert_eq!(stock(&app, &sku).await, 8);
}

/// Orders waiting for payment hold stock; a shopper (or a script) may keep three at once, even
/// when ten are placed in the same instant.
async fn ten_orders_placed_at_once_leave_at_most_three_waiting_for_payment(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_000, 50).await;
    let mut buyer = shopper(&app, "hoarder").await;
    add(&mut buyer, &sku, "1").await;
    let address = address(&mut buyer, "US").await;
    let keys: Vec<String> = (100..110).map(key).collect();
    let placements = place_at_once(&app, &address, &keys).await;
    assert_eq!(charged(&placements), 3, "left waiting for payment");
    for refused in placements.iter().filter_map(|p| p.as_ref().err()) {
        assert!(
            refused.to_string().contains("3 orders waiting for payment"),
            "{refused}"
        );
    }
    assert_eq!(stock(&app, &sku).await, 47);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 3);
}

async fn placing_orders_is_rate_limited_per_shopper(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let mut buyer = shopper(&app, "presser").await;
    // Out-of-date pages: refused, and counted all the same.
    for _ in 0..10 {
        let reply = place(&mut buyer, "stale", "1", GOOD_CARD, &[]).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    }
    let refused = place(&mut buyer, "stale", "1", GOOD_CARD, &[]).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.headers[header::RETRY_AFTER], "60");
    let mut other = shopper(&app, "neighbour").await;
    let reply = place(&mut other, "stale", "1", GOOD_CARD, &[]).await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "another shopper is not held up"
    );
}

pub(crate) fn cookie_header(client: &Client<'_>) -> String {
    client
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Posts a form from a task of its own, as a separate browser request.
pub(crate) fn post(
    app: &TestApp,
    path: &str,
    body: String,
    cookies: String,
    n: u32,
) -> tokio::task::JoinHandle<(StatusCode, String)> {
    let router = app.router.clone();
    let path = path.to_owned();
    tokio::spawn(async move {
        let mut request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://shop.test")
            .header(header::HOST, "shop.test")
            .header(header::COOKIE, cookies)
            .body(Body::from(body))
            .unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(std::net::SocketAddr::from((
                [10, 8, (n >> 8) as u8, n as u8],
                40_000,
            ))));
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        (status, crate::support::body_text(response).await)
    })
}

/// `buyers` shoppers, each with one unit of `sku` in the cart, an address and the checkout
/// page's key, press "Place order" (with the form fields `extra`, such as `&code=X`) at the same
/// moment, each from an address of their own; their answers.
pub(crate) async fn rush(
    app: &TestApp,
    sku: &str,
    buyers: u32,
    extra: &str,
) -> Vec<(StatusCode, String)> {
    let mut ready = Vec::new();
    for n in 0..buyers {
        let mut buyer = shopper(app, &format!("rush{n}")).await;
        add(&mut buyer, sku, "1").await;
        let address = address(&mut buyer, "DE").await;
        let key = checkout_key(&mut buyer).await;
        ready.push((cookie_header(&buyer), address, key));
    }
    let attempts: Vec<_> = ready
        .into_iter()
        .zip(0..)
        .map(|((cookies, address, key), n)| {
            let body = format!(
                "idempotency_key={key}&address_id={address}&shipping=standard{extra}&card%5Bnumber%5D=4242424242424242&card%5Bexpiry%5D=12%2F39&card%5Bcvc%5D=123"
            );
            post(app, "/api/place_order", body, cookies, n)
        })
        .collect();
    let mut answers = Vec::new();
    for attempt in attempts {
        answers.push(attempt.await.unwrap());
    }
    answers
}

async fn two_hundred_buyers_for_ten_units_make_ten_orders(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_000, 10).await;
    let attempts = rush(&app, &sku, 200, "").await;
    let (mut paid, mut sold_out) = (0, 0);
    for (status, body) in attempts {
        match status {
            StatusCode::OK => paid += 1,
            StatusCode::CONFLICT if body.contains("out of stock") => sold_out += 1,
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((paid, sold_out), (10, 190));
    assert_eq!(stock(&app, &sku).await, 0);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders WHERE status = 'paid'").await,
        10
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 10);
}

async fn bad_checkout_input_changes_nothing(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let mut buyer = shopper(&app, "bad").await;
    let address = address(&mut buyer, "US").await;

    let empty = place(&mut buyer, &key(2), &address, GOOD_CARD, &[]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("Your cart is empty"), "{}", empty.body);

    add(&mut buyer, &sku, "1").await;
    let issued = checkout_key(&mut buyer).await;
    let cases: [(&str, &str, &str, &str, &str); 5] = [
        ("not-a-key", &address, "standard", GOOD_CARD, "out of date"),
        (&issued, "", "standard", GOOD_CARD, "address_id"),
        (&issued, &address, "teleport", GOOD_CARD, "shipping"),
        (
            &issued,
            &address,
            "standard",
            "4242 4242 4242 4241",
            "card[number]",
        ),
        (&issued, "999999", "standard", GOOD_CARD, "address_id"),
    ];
    for (key, address, shipping, card, expected) in cases {
        let reply = buyer
            .call(
                "place_order",
                &[
                    ("idempotency_key", key),
                    ("address_id", address),
                    ("shipping", shipping),
                    ("card[number]", card),
                    ("card[expiry]", "12/39"),
                    ("card[cvc]", "123"),
                ],
            )
            .await;
        assert!(
            reply.status.is_client_error(),
            "{expected}: {}",
            reply.status
        );
        assert!(reply.body.contains(expected), "{expected}: {}", reply.body);
    }
    let bad_address = buyer
        .call(
            "save_address",
            &[("address[full_name]", ""), ("address[country]", "XX")],
        )
        .await;
    assert_eq!(bad_address.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM addresses").await, 1);
    assert_eq!(stock(&app, &sku).await, 5);
}

async fn addresses_and_orders_are_private(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let mut owner = shopper(&app, "owner").await;
    add(&mut owner, &sku, "1").await;
    let address = address(&mut owner, "US").await;
    let number = number(&place(&mut owner, &key(4), &address, GOOD_CARD, &[]).await);

    let mut other = shopper(&app, "other").await;
    add(&mut other, &sku, "1").await;
    let stolen = place(&mut other, &key(5), &address, GOOD_CARD, &[]).await;
    assert_eq!(
        stolen.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "someone else's address"
    );
    for (function, args) in [
        ("delete_address", vec![("id", address.as_str())]),
        ("set_default_address", vec![("id", address.as_str())]),
        ("order", vec![("number", number.as_str())]),
    ] {
        assert_eq!(
            other.call(function, &args).await.status,
            StatusCode::NOT_FOUND,
            "{function}"
        );
    }
    let edit = other
        .call(
            "save_address",
            &[
                ("id", &address),
                ("address[full_name]", "Mallory"),
                ("address[line1]", "x"),
                ("address[city]", "x"),
                ("address[postal_code]", "x"),
                ("address[country]", "US"),
            ],
        )
        .await;
    assert_eq!(edit.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.get(&format!("/orders/{number}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(other.call("orders", &[]).await.body.starts_with("[]"));
    assert!(
        owner
            .call("addresses", &[])
            .await
            .body
            .contains("Grace Hopper")
    );
    assert_eq!(
        app.client()
            .call("order", &[("number", &number)])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let mut boss = admin(&app).await;
    assert_eq!(
        boss.call("order", &[("number", &number)]).await.status,
        StatusCode::OK,
        "admins see every order"
    );
}

/// Thirty buyers press "Place order" at once, ten of them with a card that is declined: the
/// twenty paid orders get invoices 1 to 20 of this year, none missing and none twice.
async fn invoices_are_numbered_without_gaps_when_orders_are_paid_at_once(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_000, 100).await;
    let mut attempts = Vec::new();
    for n in 0..30u32 {
        let mut buyer = shopper(&app, &format!("invoice{n}")).await;
        add(&mut buyer, &sku, "1").await;
        let address = address(&mut buyer, "US").await;
        let card = if n % 3 == 0 {
            "4000000000000002"
        } else {
            "4242424242424242"
        };
        let key = checkout_key(&mut buyer).await;
        let body = format!(
            "idempotency_key={key}&address_id={address}&shipping=standard&card%5Bnumber%5D={card}&card%5Bexpiry%5D=12%2F39&card%5Bcvc%5D=123"
        );
        attempts.push(post(
            &app,
            "/api/place_order",
            body,
            cookie_header(&buyer),
            n,
        ));
    }
    for attempt in attempts {
        let (status, body) = attempt.await.unwrap();
        assert!(
            [StatusCode::OK, StatusCode::PAYMENT_REQUIRED].contains(&status),
            "{status}: {body}"
        );
    }
    let mut numbers: Vec<String> = sqlx::query_scalar(
        "SELECT i.number FROM invoices i JOIN orders o ON o.id = i.order_id WHERE o.status = 'paid'",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    numbers.sort();
    let year = emporium::dates::civil(now_ms()).0;
    let expected: Vec<String> = (1..=20).map(|n| format!("INV-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM invoices").await,
        20,
        "declined orders have none"
    );
}

async fn the_invoice_prints_the_seller_and_the_totals_for_its_owner_only(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_250, 5).await;
    let mut buyer = shopper(&app, "invoiced").await;
    add(&mut buyer, &sku, "2").await;
    let home = address(&mut buyer, "US").await;
    let number = number(&place(&mut buyer, &key(1), &home, GOOD_CARD, &[]).await);

    let page = buyer.get(&format!("/orders/{number}/invoice")).await;
    assert_eq!(page.status, StatusCode::OK);
    let year = emporium::dates::civil(now_ms()).0;
    for expected in [
        format!("INV-{year}-000001"),
        "Emporium Demo Shop Ltd.".to_owned(),
        "Tax ID US-00-0000000".to_owned(),
        // 2 × 12.50 = 25.00, shipping 4.99, tax 7.25% of 25.00 = 1.81.
        "$25.00".to_owned(),
        "$1.81".to_owned(),
        "$31.80".to_owned(),
    ] {
        assert!(page.body.contains(&expected), "{expected} missing");
    }
    let order_page = buyer.get(&format!("/orders/{number}")).await;
    assert!(
        order_page
            .body
            .contains(&format!("/orders/{number}/invoice"))
    );

    let mut stranger = shopper(&app, "stranger").await;
    let refused = stranger.call("invoice", &[("number", &number)]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    add(&mut stranger, &sku, "1").await;
    let stranger_address = address(&mut stranger, "US").await;
    let declined = place(
        &mut stranger,
        &key(2),
        &stranger_address,
        DECLINED_CARD,
        &[],
    )
    .await;
    assert_eq!(declined.status, StatusCode::PAYMENT_REQUIRED);
    let unpaid: String = app
        .scalar("SELECT number FROM orders WHERE status = 'payment_failed'")
        .await;
    let refused = stranger.call("invoice", &[("number", &unpaid)]).await;
    assert_eq!(
        refused.status,
        StatusCode::NOT_FOUND,
        "an unpaid order has no invoice"
    );
    let mut desk = admin(&app).await;
    let seen = desk.call("invoice", &[("number", &number)]).await;
    assert_eq!(seen.status, StatusCode::OK, "admins see every invoice");
}

async fn buy_again_puts_what_is_still_sold_back_in_the_cart(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let (a, b) = (
        variant(&app, 0, 1_000, 5).await,
        variant(&app, 1, 2_000, 5).await,
    );
    let mut buyer = shopper(&app, "again").await;
    add(&mut buyer, &a, "2").await;
    add(&mut buyer, &b, "1").await;
    let home = address(&mut buyer, "US").await;
    let number = number(&place(&mut buyer, &key(1), &home, GOOD_CARD, &[]).await);
    assert_eq!(buyer.call("cart_count", &[]).await.body, "0");
    // Since then the second item sold out.
    app.execute_for("UPDATE product_variants SET stock = 0 WHERE sku = $1", &b)
        .await;

    let reply = buyer.call_ok("buy_again", &[("number", &number)]).await;
    let bought: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(bought["added"], 2);
    let skipped = bought["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0].as_str().unwrap().contains("out of stock"),
        "{skipped:?}"
    );
    assert_eq!(buyer.call("cart_count", &[]).await.body, "2");

    let mut stranger = shopper(&app, "nosy").await;
    let refused = stranger.call("buy_again", &[("number", &number)]).await;
    assert_eq!(
        refused.status,
        StatusCode::NOT_FOUND,
        "another shopper's order"
    );
    assert_eq!(stranger.call("cart_count", &[]).await.body, "0");
}

/// Without JavaScript the checkout's "Add a new address" and "Edit" links open the address form
/// inside the checkout, and the form comes back to the checkout once saved.
async fn the_checkout_adds_and_edits_an_address_in_place_before_hydration(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let mut buyer = shopper(&app, "inline").await;
    add(&mut buyer, &sku, "1").await;
    let page = buyer.get("/checkout").await;
    assert!(page.body.contains("You have no saved address yet."));
    assert!(page.body.contains(r#"href="/checkout?address=new""#));
    assert!(
        !page.body.contains("/api/save_address"),
        "no form until asked for"
    );

    let page = buyer.get("/checkout?address=new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"action="/api/save_address""#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"name="next" value="/checkout""#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"form="checkout-form""#));

    let id = address(&mut buyer, "US").await;
    let page = buyer.get(&format!("/checkout?edit={id}")).await;
    assert!(
        page.body.contains("Edit address") && page.body.contains("1 Navy Way"),
        "{}",
        page.body
    );
    let mut stranger = shopper(&app, "stranger").await;
    add(&mut stranger, &sku, "1").await;
    let page = stranger.get(&format!("/checkout?edit={id}")).await;
    assert!(
        !page.body.contains("1 Navy Way"),
        "another shopper's address is never shown"
    );
}

/// "Place order" takes only a key the checkout page issued, for this shopper and this cart: a
/// key made up, one issued to another shopper, or one for the cart before it changed is refused
/// and changes nothing; once its order is paid (and the cart empty) the key finds that order.
async fn only_a_key_issued_for_this_shopper_and_cart_places_an_order(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let mut buyer = shopper(&app, "keyed").await;
    add(&mut buyer, &sku, "1").await;
    let home = address(&mut buyer, "US").await;
    let mut other = shopper(&app, "other").await;
    add(&mut other, &sku, "1").await;
    let theirs = checkout_key(&mut other).await;
    let issued = checkout_key(&mut buyer).await;
    assert_eq!(issued.len(), 64);
    let made_up = format!("{}{}", &issued[..32], "0".repeat(32));
    for key in [&made_up, &theirs] {
        let reply = place(&mut buyer, key, &home, GOOD_CARD, &[]).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{key}: {}",
            reply.body
        );
        assert!(reply.body.contains("out of date"), "{}", reply.body);
    }
    // The cart changed since the page was shown: the page is out of date.
    add(&mut buyer, &sku, "1").await;
    let reply = place(&mut buyer, &issued, &home, GOOD_CARD, &[]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 0);
    assert_eq!(stock(&app, &sku).await, 5);

    let fresh = checkout_key(&mut buyer).await;
    let first = number(&place(&mut buyer, &fresh, &home, GOOD_CARD, &[]).await);
    let again = number(&place(&mut buyer, &fresh, &home, GOOD_CARD, &[]).await);
    assert_eq!(again, first, "the paid order, found by its key");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM orders").await, 1);
}
