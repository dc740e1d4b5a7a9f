//! Promotions on both databases: a code's discount shared across the lines before tax, codes
//! that do not apply changing nothing, usage limits that hold when 200 shoppers redeem a
//! 10-use code at once, and uses given back by orders that fail, expire or are cancelled.

use crate::{
    checkout::{
        DECLINED_CARD, GOOD_CARD, add, address, count, key, place, rush, shopper, stock, variant,
    },
    on_both_backends,
    support::{Backend, Client, TestApp, admin, seeded_app},
};
use axum::http::{StatusCode, header};
use emporium::{
    admin::promotions::PromotionsDesk,
    checkout::{
        db::{OrderTerms, Placement, place_order},
        model::{ShippingMethod, ShippingRates},
        service::expire_reservations,
    },
    platform::db::now_ms,
    promotions::model::{Benefit, Offer},
};

on_both_backends!(
    a_code_comes_off_the_lines_before_tax_and_the_admin_sees_its_sales,
    two_hundred_shoppers_redeeming_a_ten_use_code_make_ten_orders_with_it,
    codes_that_do_not_apply_change_nothing_and_guessing_is_limited,
    orders_that_fail_expire_or_are_cancelled_give_their_use_back,
    an_automatic_promotion_applies_without_a_code,
    only_admins_manage_promotions,
);

/// Creates a promotion through the admin's form; returns its id.
async fn create(desk: &mut Client<'_>, fields: &[(&str, &str)]) -> i64 {
    let form: Vec<(String, &str)> = fields
        .iter()
        .map(|(name, value)| (format!("promotion[{name}]"), *value))
        .collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let reply = desk.call_ok("save_promotion", &form).await;
    reply.body.parse().unwrap()
}

fn field_error(body: &str) -> String {
    let error: serde_json::Value = serde_json::from_str(body).unwrap();
    error["Invalid"][0]["message"]
        .as_str()
        .unwrap_or(body)
        .to_owned()
}

async fn order_of(app: &TestApp, number: &str) -> (String, i64, i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT status, subtotal_minor, discount_minor, shipping_minor, tax_minor, total_minor \
         FROM orders WHERE number = $1",
    )
    .bind(number)
    .fetch_one(app.db().pool())
    .await
    .unwrap()
}

fn placed_number(reply: &crate::support::Reply) -> String {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let placed: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    placed["number"].as_str().unwrap().to_owned()
}

async fn uses(app: &TestApp, id: i64) -> i64 {
    app.scalar_for("SELECT uses FROM promotions WHERE id = $1", id)
        .await
}

async fn a_code_comes_off_the_lines_before_tax_and_the_admin_sees_its_sales(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let mut desk = admin(&app).await;
    let id = create(
        &mut desk,
        &[
            ("code", "save10"),
            ("name", "Ten dollars off"),
            ("kind", "amount"),
            ("value", "10.00"),
            ("min_subtotal", "50"),
        ],
    )
    .await;
    let (a, b, c) = (
        variant(&app, 0, 1_999, 5).await,
        variant(&app, 1, 2_499, 5).await,
        variant(&app, 2, 1_000, 5).await,
    );
    let mut buyer = shopper(&app, "saver").await;
    for sku in [&a, &b, &c] {
        add(&mut buyer, sku, "1").await;
    }
    let address = address(&mut buyer, "US").await;

    let applied = buyer.call("apply_code", &[("code", " Save10 ")]).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
    let offer: Offer = serde_json::from_str(&applied.body).unwrap();
    assert_eq!(offer.code.as_deref(), Some("SAVE10"), "codes ignore case");
    assert_eq!(offer.benefit, Benefit::AmountOff(money(1_000)));

    let reply = place(
        &mut buyer,
        &key(1),
        &address,
        GOOD_CARD,
        &[("code", "save10")],
    )
    .await;
    let number = placed_number(&reply);
    // README's worked example: 54.98 of items, free shipping from 50.00, 10.00 off shared
    // 3.64 / 4.54 / 1.82, tax 7.25% of 44.98 = 3.26.
    assert_eq!(
        order_of(&app, &number).await,
        ("paid".into(), 5_498, 1_000, 0, 326, 4_824)
    );
    let shares: Vec<i64> = sqlx::query_scalar(
        "SELECT l.discount_minor FROM order_lines l JOIN orders o ON o.id = l.order_id \
         WHERE o.number = $1 ORDER BY l.position",
    )
    .bind(&number)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(shares, [364, 454, 182]);
    assert_eq!(uses(&app, id).await, 1);

    let page = buyer.get(&format!("/orders/{number}")).await;
    assert!(
        page.body.contains("Discount: SAVE10 — Ten dollars off") && page.body.contains("−$10.00"),
        "{}",
        page.body
    );
    let email: String = app
        .scalar("SELECT payload FROM outbox WHERE kind = 'order_confirmation'")
        .await;
    assert!(
        email.contains("SAVE10 — Ten dollars off took $10.00 off"),
        "{email}"
    );

    let listed = desk.call("admin_promotions", &[]).await;
    let listed: PromotionsDesk = serde_json::from_str(&listed.body).unwrap();
    let row = &listed.rows[0];
    assert_eq!((row.uses, row.orders), (1, 1));
    assert_eq!((row.revenue, row.discounted), (money(4_824), money(1_000)));
}

fn money(minor: i64) -> emporium::platform::money::Money {
    emporium::platform::money::Money::from_minor(minor).unwrap()
}

/// saleor #544: a code's limit bypassed under concurrency. Here 200 shoppers press "Place
/// order" with a 10-use code in the same instant, and exactly 10 orders carry it.
async fn two_hundred_shoppers_redeeming_a_ten_use_code_make_ten_orders_with_it(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let mut desk = admin(&app).await;
    let id = create(
        &mut desk,
        &[
            ("code", "FIRST10"),
            ("name", "First ten"),
            ("kind", "percent"),
            ("value", "50"),
            ("usage_limit", "10"),
        ],
    )
    .await;
    let sku = variant(&app, 0, 1_000, 1_000).await;
    let attempts = rush(&app, &sku, 200, "&code=first10").await;
    let (mut paid, mut used_up) = (0, 0);
    for (status, body) in attempts {
        match status {
            StatusCode::OK => paid += 1,
            StatusCode::UNPROCESSABLE_ENTITY if field_error(&body).contains("used up") => {
                used_up += 1
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!((paid, used_up), (10, 190));
    assert_eq!(uses(&app, id).await, 10);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM orders WHERE promotion_id IS NOT NULL AND status = 'paid'"
        )
        .await,
        10
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders").await,
        10,
        "refused orders leave nothing"
    );
    assert_eq!(stock(&app, &sku).await, 990);
}

async fn codes_that_do_not_apply_change_nothing_and_guessing_is_limited(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let mut desk = admin(&app).await;
    let sku = variant(&app, 0, 2_000, 5).await;
    let category: String = sqlx::query_scalar(
        "SELECT c.slug FROM categories c WHERE NOT EXISTS (SELECT 1 FROM products p \
         JOIN product_variants v ON v.product_id = p.id WHERE p.category_id = c.id AND v.sku = $1) \
         AND NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_id = c.id) LIMIT 1",
    )
    .bind(&sku)
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    create(
        &mut desk,
        &[
            ("code", "BIGSPEND"),
            ("name", "Big spenders"),
            ("kind", "percent"),
            ("value", "10"),
            ("min_subtotal", "100"),
        ],
    )
    .await;
    create(
        &mut desk,
        &[
            ("code", "ELSEWHERE"),
            ("name", "Another aisle"),
            ("kind", "percent"),
            ("value", "10"),
            ("category", &category),
        ],
    )
    .await;
    create(
        &mut desk,
        &[
            ("code", "OLD"),
            ("name", "Last year"),
            ("kind", "free_shipping"),
            ("starts", "2020-01-01"),
            ("ends", "2020-01-31"),
        ],
    )
    .await;
    let once = create(
        &mut desk,
        &[
            ("code", "ONCE"),
            ("name", "Once each"),
            ("kind", "amount"),
            ("value", "1"),
            ("per_customer_limit", "1"),
        ],
    )
    .await;

    let mut buyer = shopper(&app, "guesser").await;
    add(&mut buyer, &sku, "1").await;
    let address = address(&mut buyer, "US").await;
    for (code, message) in [
        ("NOPE", "We don't know the code “NOPE”."),
        (
            "bigspend",
            "The code BIGSPEND needs a subtotal of $100.00 or more.",
        ),
        (
            "ELSEWHERE",
            "The code ELSEWHERE is not for anything in your cart: it covers only some products.",
        ),
        ("old", "The code OLD has expired."),
    ] {
        let reply = buyer.call("apply_code", &[("code", code)]).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code}: {}",
            reply.body
        );
        assert_eq!(field_error(&reply.body), message);
        let placed = place(&mut buyer, &key(7), &address, GOOD_CARD, &[("code", code)]).await;
        assert_eq!(
            placed.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code}: {}",
            placed.body
        );
        assert_eq!(field_error(&placed.body), message);
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM orders").await,
        0,
        "nothing placed"
    );
    assert_eq!(stock(&app, &sku).await, 5, "no stock taken");
    assert_eq!(
        count(
            &app,
            "SELECT CAST(COALESCE(SUM(uses), 0) AS BIGINT) FROM promotions"
        )
        .await,
        0
    );

    let first = place(
        &mut buyer,
        &key(8),
        &address,
        GOOD_CARD,
        &[("code", "once")],
    )
    .await;
    placed_number(&first);
    add(&mut buyer, &sku, "1").await;
    let again = buyer.call("apply_code", &[("code", "ONCE")]).await;
    assert_eq!(
        field_error(&again.body),
        "The code ONCE can be used once per customer, and you have used it."
    );
    assert_eq!(uses(&app, once).await, 1);

    // Guessing: 20 codes that do not apply in a minute (5 so far), and the next try is refused.
    for n in 0..15 {
        let reply = buyer
            .call("apply_code", &[("code", &format!("GUESS{n}"))])
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.body
        );
    }
    let refused = buyer.call("apply_code", &[("code", "ONCE")]).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.headers[header::RETRY_AFTER], "60");
}

/// Places the one shopper's cart with `code` straight through `checkout::db::place_order`: the
/// order waits for a payment that never comes.
async fn place_unpaid(app: &TestApp, address: &str, code: &str, key: &str) -> Placement {
    let user: i64 = sqlx::query_scalar("SELECT user_id FROM addresses WHERE id = $1")
        .bind(address.parse::<i64>().unwrap())
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    let rates = ShippingRates::from(app.state().config.shipping);
    let terms = OrderTerms {
        address_id: address.parse().unwrap(),
        code: Some(code),
        method: ShippingMethod::Standard,
        rates: &rates,
        tax_rates: &app.state().config.tax_rates,
        reservation_ms: 60_000,
    };
    place_order(app.db(), user, key, &terms).await.unwrap()
}

async fn orders_that_fail_expire_or_are_cancelled_give_their_use_back(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let mut desk = admin(&app).await;
    let id = create(
        &mut desk,
        &[
            ("code", "SOLO"),
            ("name", "Only one"),
            ("kind", "percent"),
            ("value", "20"),
            ("usage_limit", "1"),
        ],
    )
    .await;
    let sku = variant(&app, 0, 1_000, 10).await;
    let mut buyer = shopper(&app, "solo").await;
    add(&mut buyer, &sku, "1").await;
    let address = address(&mut buyer, "US").await;

    // A declined card gives the use back; the same order paid on retry takes it again.
    let declined = place(
        &mut buyer,
        &key(1),
        &address,
        DECLINED_CARD,
        &[("code", "SOLO")],
    )
    .await;
    assert_eq!(declined.status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(uses(&app, id).await, 0);
    let retried = place(&mut buyer, &key(1), &address, GOOD_CARD, &[]).await;
    let number = placed_number(&retried);
    assert_eq!(uses(&app, id).await, 1);
    assert_eq!(
        order_of(&app, &number).await.2,
        200,
        "the retry keeps the discount"
    );

    // Cancelling the paid order gives the use back.
    let cancelled = desk
        .call(
            "set_order_status",
            &[("number", &number), ("status", "cancelled")],
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(uses(&app, id).await, 0);

    // An unpaid order holds the use until its reservation runs out.
    add(&mut buyer, &sku, "1").await;
    assert!(matches!(
        place_unpaid(&app, &address, "solo", &key(2)).await,
        Placement::Charge { .. }
    ));
    assert_eq!(uses(&app, id).await, 1);
    let mut other = shopper(&app, "second").await;
    add(&mut other, &sku, "1").await;
    let other_address = crate::checkout::address(&mut other, "US").await;
    let refused = other.call("apply_code", &[("code", "SOLO")]).await;
    assert_eq!(
        field_error(&refused.body),
        "The code SOLO has been used up."
    );
    assert_eq!(
        expire_reservations(app.state(), now_ms() + 120_000).await,
        Ok(1)
    );
    assert_eq!(uses(&app, id).await, 0);
    let applied = other.call("apply_code", &[("code", "SOLO")]).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);

    // A declined order whose use went to someone else meanwhile cannot be retried with it.
    let declined = place(
        &mut buyer,
        &key(3),
        &address,
        DECLINED_CARD,
        &[("code", "SOLO")],
    )
    .await;
    assert_eq!(declined.status, StatusCode::PAYMENT_REQUIRED);
    let taken = place(
        &mut other,
        &key(4),
        &other_address,
        GOOD_CARD,
        &[("code", "SOLO")],
    )
    .await;
    placed_number(&taken);
    let retry = place(&mut buyer, &key(3), &address, GOOD_CARD, &[]).await;
    assert_eq!(retry.status, StatusCode::CONFLICT, "{}", retry.body);
    assert!(
        retry.body.contains("SOLO has been used up since"),
        "{}",
        retry.body
    );
    assert_eq!(uses(&app, id).await, 1);
}

async fn an_automatic_promotion_applies_without_a_code(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let mut desk = admin(&app).await;
    create(
        &mut desk,
        &[("name", "Free shipping week"), ("kind", "free_shipping")],
    )
    .await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let mut buyer = shopper(&app, "auto").await;
    add(&mut buyer, &sku, "1").await;
    let address = address(&mut buyer, "US").await;
    let checkout = buyer.call("checkout", &[]).await;
    let view: serde_json::Value = serde_json::from_str(&checkout.body).unwrap();
    assert_eq!(view["offer"]["name"], "Free shipping week");
    let reply = place(&mut buyer, &key(1), &address, GOOD_CARD, &[]).await;
    let number = placed_number(&reply);
    // 10.00 of items; 4.99 shipping taken off; tax 7.25% of 10.00.
    assert_eq!(
        order_of(&app, &number).await,
        ("paid".into(), 1_000, 499, 499, 73, 1_073)
    );
}

async fn only_admins_manage_promotions(backend: Backend) {
    let app = seeded_app(backend, 5, 9).await;
    let mut buyer = shopper(&app, "sneaky").await;
    let fields = [
        ("promotion[code]", "FREE"),
        ("promotion[name]", "All free"),
        ("promotion[kind]", "percent"),
        ("promotion[value]", "100"),
    ];
    assert_eq!(
        buyer.call("save_promotion", &fields).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        buyer.call("admin_promotions", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        buyer
            .call("set_promotion_active", &[("id", "1"), ("active", "true")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut anonymous = app.client();
    assert_eq!(
        anonymous
            .call("apply_code", &[("code", "FREE")])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM promotions").await, 0);

    let mut desk = admin(&app).await;
    let bad = desk
        .call(
            "save_promotion",
            &[
                ("promotion[code]", "two words"),
                ("promotion[kind]", "percent"),
                ("promotion[value]", "150"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let id = create(
        &mut desk,
        &[
            ("code", "FREE"),
            ("name", "All free"),
            ("kind", "percent"),
            ("value", "100"),
        ],
    )
    .await;
    let taken = desk
        .call(
            "save_promotion",
            &[
                ("promotion[code]", "free"),
                ("promotion[name]", "Again"),
                ("promotion[kind]", "free_shipping"),
            ],
        )
        .await;
    assert_eq!(
        field_error(&taken.body),
        "Another promotion already uses this code."
    );
    let off = desk
        .call(
            "set_promotion_active",
            &[("id", &id.to_string()), ("active", "false")],
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    let sku = variant(&app, 0, 1_000, 5).await;
    add(&mut buyer, &sku, "1").await;
    let reply = buyer.call("apply_code", &[("code", "FREE")]).await;
    assert_eq!(field_error(&reply.body), "The code FREE has expired.");
}
