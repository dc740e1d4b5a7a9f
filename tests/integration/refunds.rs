//! Refunds on both databases: a line gives back what the shopper paid for it (its discounted
//! price and its share of tax), refunds never pass what was paid even when sent at once, a
//! paid order cancelled is refunded in full, and bad requests change nothing.

use crate::{
    checkout::{
        DECLINED_CARD, GOOD_CARD, add, address, cookie_header, count, key, place, post, shopper,
        stock, variant,
    },
    on_both_backends,
    support::{Backend, Client, TestApp, admin, seeded_app},
};
use axum::http::StatusCode;
use emporium::{dates::civil, platform::db::now_ms};

on_both_backends!(
    refunding_a_line_gives_back_its_discounted_price_and_tax,
    refunds_sent_at_once_never_pass_what_was_paid,
    cancelling_a_paid_order_refunds_it_in_full,
    bad_refunds_change_nothing,
);

async fn paid(app: &TestApp, buyer: &mut Client<'_>, extra: &[(&str, &str)]) -> String {
    let home = address(buyer, "US").await;
    let reply = place(buyer, &key(1), &home, GOOD_CARD, extra).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let placed: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let number = placed["number"].as_str().unwrap().to_owned();
    assert_eq!(order(app, &number).await.0, "paid");
    number
}

/// (status, total, refunded) of order `number`.
async fn order(app: &TestApp, number: &str) -> (String, i64, i64) {
    sqlx::query_as("SELECT status, total_minor, refunded_minor FROM orders WHERE number = $1")
        .bind(number)
        .fetch_one(app.db().pool())
        .await
        .unwrap()
}

pub async fn refund(
    desk: &mut Client<'_>,
    number: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let mut form = vec![("number".to_owned(), number.to_owned())];
    // `quantities[2]` is sent as `refund[quantities][2]`, as the order desk's form names it.
    form.extend(fields.iter().map(|(k, v)| {
        let name = match k.split_once('[') {
            Some((list, index)) => format!("refund[{list}][{index}"),
            None => format!("refund[{k}]"),
        };
        (name, (*v).to_owned())
    }));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let reply = desk.call("refund_order", &form).await;
    (reply.status, reply.body)
}

async fn refunding_a_line_gives_back_its_discounted_price_and_tax(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let mut desk = admin(&app).await;
    desk.call_ok(
        "save_promotion",
        &[
            ("promotion[code]", "SAVE10"),
            ("promotion[name]", "Ten off"),
            ("promotion[kind]", "amount"),
            ("promotion[value]", "10"),
        ],
    )
    .await;
    let (a, b, c) = (
        variant(&app, 0, 1_999, 5).await,
        variant(&app, 1, 2_499, 5).await,
        variant(&app, 2, 500, 5).await,
    );
    let mut buyer = shopper(&app, "refunded").await;
    add(&mut buyer, &a, "1").await;
    add(&mut buyer, &b, "1").await;
    add(&mut buyer, &c, "2").await;
    let number = paid(&app, &mut buyer, &[("code", "SAVE10")]).await;
    // Lines 19.99, 24.99, 2 × 5.00 = 54.98, free shipping; 10.00 off shared 3.64 / 4.54 /
    // 1.82; tax 7.25% of 44.98 = 3.26, shared by what each line cost after its discount
    // (16.35 / 20.45 / 8.18): 1.19 / 1.48 / 0.59. Total 48.24.
    assert_eq!(order(&app, &number).await, ("paid".into(), 4_824, 0));

    // One of the two 5.00 units: half of 8.18 + 0.59.
    let (status, body) = refund(
        &mut desk,
        &number,
        &[
            ("quantities[0]", "0"),
            ("quantities[1]", "0"),
            ("quantities[2]", "1"),
            ("restock", "on"),
            ("reason", "Scratched"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(order(&app, &number).await, ("paid".into(), 4_824, 438));
    assert_eq!(stock(&app, &c).await, 4, "3 left after the sale, one back");
    let year = civil(now_ms()).0;
    let note: String = app.scalar("SELECT credit_note FROM refunds").await;
    assert_eq!(note, format!("CN-{year}-000001"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'order_refunded'"
        )
        .await,
        1
    );
    let page = buyer.get(&format!("/orders/{number}")).await;
    assert!(
        page.body.contains("Partially refunded ($4.38)"),
        "{}",
        page.body
    );

    // The second unit takes the cent the first one left: 8.77 in all for the line.
    let (status, body) = refund(&mut desk, &number, &[("quantities[2]", "1")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(order(&app, &number).await.2, 877);
    assert_eq!(stock(&app, &c).await, 4, "not restocked without asking");

    // Everything else: the order is refunded and closed, and it no longer counts as revenue.
    let (status, body) = refund(&mut desk, &number, &[("amount", "39.47")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        order(&app, &number).await,
        ("refunded".into(), 4_824, 4_824)
    );
    let analytics = desk.call("admin_analytics", &[("days", "7")]).await;
    let analytics: serde_json::Value = serde_json::from_str(&analytics.body).unwrap();
    assert_eq!(analytics["revenue"], 0, "{analytics}");
    let (status, _) = refund(&mut desk, &number, &[("amount", "0.01")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing is left");
    let notes: Vec<String> = sqlx::query_scalar("SELECT credit_note FROM refunds ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(notes.len(), 3);
    assert_eq!(notes[2], format!("CN-{year}-000003"));
    // The invoice lists its credit notes.
    let invoice = buyer.get(&format!("/orders/{number}/invoice")).await;
    for (note, amount) in [(&notes[0], "−$4.38"), (&notes[2], "−$39.47")] {
        assert!(
            invoice.body.contains(&format!("{note}: {amount}")),
            "{note} missing from {}",
            invoice.body
        );
    }
}

/// Ten refunds of a quarter of the order each, sent at once: four are made, and the order has
/// given back exactly what was paid.
async fn refunds_sent_at_once_never_pass_what_was_paid(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    // 80.00 and 5.80 of tax: 85.80, four quarters of 21.45.
    let sku = variant(&app, 0, 8_000, 5).await;
    let mut buyer = shopper(&app, "quarters").await;
    add(&mut buyer, &sku, "1").await;
    let number = paid(&app, &mut buyer, &[]).await;
    let total = order(&app, &number).await.1;
    assert_eq!(total % 4, 0, "{total}");
    let quarter = format!("{}.{:02}", total / 400, (total / 4) % 100);
    let desk = admin(&app).await;
    let cookies = cookie_header(&desk);
    let attempts: Vec<_> = (0..10)
        .map(|n| {
            let body = format!("number={number}&refund%5Bamount%5D={quarter}");
            post(&app, "/api/refund_order", body, cookies.clone(), 500 + n)
        })
        .collect();
    let mut made = 0;
    for attempt in attempts {
        let (status, body) = attempt.await.unwrap();
        match status {
            StatusCode::OK => made += 1,
            StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(made, 4);
    assert_eq!(
        order(&app, &number).await,
        ("refunded".into(), total, total)
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM refunds").await, 4);
}

async fn cancelling_a_paid_order_refunds_it_in_full(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_500, 5).await;
    let mut buyer = shopper(&app, "cancelled").await;
    add(&mut buyer, &sku, "2").await;
    let number = paid(&app, &mut buyer, &[]).await;
    let total = order(&app, &number).await.1;
    let mut desk = admin(&app).await;
    desk.call_ok(
        "set_order_status",
        &[("number", &number), ("status", "cancelled")],
    )
    .await;
    assert_eq!(
        order(&app, &number).await,
        ("cancelled".into(), total, total)
    );
    assert_eq!(stock(&app, &sku).await, 5, "back once, not twice");
    let refunds: Vec<(i64, String, i64)> = app
        .rows("SELECT amount_minor, status, restock FROM refunds")
        .await;
    assert_eq!(refunds, [(total, "succeeded".into(), 0)]);
    let desk_view = desk.call("admin_order", &[("number", &number)]).await;
    let desk_view: serde_json::Value = serde_json::from_str(&desk_view.body).unwrap();
    assert_eq!(desk_view["refunds"][0]["status"], "succeeded");
    assert_eq!(
        desk_view["refundable"],
        serde_json::json!([]),
        "nothing left to refund"
    );
}

async fn bad_refunds_change_nothing(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let sku = variant(&app, 0, 1_000, 5).await;
    let mut buyer = shopper(&app, "careful").await;
    add(&mut buyer, &sku, "2").await;
    let number = paid(&app, &mut buyer, &[]).await;
    let mut desk = admin(&app).await;
    for (fields, field) in [
        (vec![("quantities[0]", "3")], "quantities[0]"),
        (vec![("quantities[0]", "-1")], "quantities[0]"),
        (vec![("quantities[0]", "1"), ("amount", "1.00")], "amount"),
        (vec![("amount", "1000.00")], "amount"),
        (vec![("amount", "0")], "amount"),
        (vec![("amount", "ten")], "amount"),
        (vec![("reason", "")], "amount"),
    ] {
        let (status, body) = refund(&mut desk, &number, &fields).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}: {body}"
        );
        assert!(body.contains(field), "{fields:?}: {body}");
    }
    let (status, _) = refund(&mut desk, "EM-0000-0000", &[("amount", "1")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = refund(&mut buyer, &number, &[("amount", "1")]).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "shoppers cannot refund themselves"
    );

    let mut other = shopper(&app, "declined").await;
    add(&mut other, &sku, "1").await;
    let home = address(&mut other, "US").await;
    let declined = place(&mut other, &key(2), &home, DECLINED_CARD, &[]).await;
    assert_eq!(declined.status, StatusCode::PAYMENT_REQUIRED);
    let unpaid: String = app
        .scalar("SELECT number FROM orders WHERE status = 'payment_failed'")
        .await;
    let (status, _) = refund(&mut desk, &unpaid, &[("amount", "1")]).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an unpaid order has nothing to refund"
    );

    assert_eq!(count(&app, "SELECT COUNT(*) FROM refunds").await, 0);
    assert_eq!(order(&app, &number).await.2, 0);
    assert_eq!(stock(&app, &sku).await, 3, "2 sold, none back");
}
