//! Returns on both databases: a shopper asks to return units of a delivered order within the
//! return window; the order desk approves, receives (back to stock) and refunds it, or rejects
//! it with a reason, and the shopper is told at each step. Nobody returns more than they
//! bought, even asking at once, and nobody touches another shopper's order.

use crate::{
    checkout::{
        GOOD_CARD, add, address, cookie_header, count, key, place, post, shopper, stock, variant,
    },
    on_both_backends,
    support::{Backend, Client, TestApp, admin, seeded_app},
};
use axum::http::StatusCode;

on_both_backends!(
    a_return_is_approved_received_and_refunded,
    a_rejected_return_says_why_and_frees_its_units,
    returns_are_for_the_owner_of_a_delivered_order_within_the_window,
    return_requests_at_once_never_pass_what_was_bought,
    order_desk_changes_that_cannot_be_logged_are_not_made,
);

/// The order desk, a shopper (`tag`), two SKUs of the seeded shop (`a` at 10.00, `b` at 20.00,
/// five of each) and the shopper's delivered order (`number`) of two units of `a` and one of `b`.
struct Delivered<'a> {
    desk: Client<'a>,
    buyer: Client<'a>,
    a: String,
    b: String,
    number: String,
}

async fn delivered<'a>(app: &'a TestApp, tag: &str) -> Delivered<'a> {
    let mut desk = admin(app).await;
    let (a, b) = (
        variant(app, 0, 1_000, 5).await,
        variant(app, 1, 2_000, 5).await,
    );
    let mut buyer = shopper(app, tag).await;
    add(&mut buyer, &a, "2").await;
    add(&mut buyer, &b, "1").await;
    let home = address(&mut buyer, "US").await;
    let reply = place(&mut buyer, &key(3), &home, GOOD_CARD, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let placed: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let number = placed["number"].as_str().unwrap().to_owned();
    let early = ask(&mut buyer, &number, &[("0", "1")], "damaged", "").await;
    assert_eq!(
        early.0,
        StatusCode::CONFLICT,
        "not delivered yet: {}",
        early.1
    );
    for status in ["shipped", "delivered"] {
        desk.call_ok(
            "set_order_status",
            &[("number", &number), ("status", status)],
        )
        .await;
    }
    Delivered {
        desk,
        buyer,
        a,
        b,
        number,
    }
}

/// Asks for a return of `units` (line index, units) on order `number`.
async fn ask(
    client: &mut Client<'_>,
    number: &str,
    units: &[(&str, &str)],
    reason: &str,
    note: &str,
) -> (StatusCode, String) {
    let mut form = vec![
        ("number".to_owned(), number.to_owned()),
        ("request[reason]".to_owned(), reason.to_owned()),
        ("request[note]".to_owned(), note.to_owned()),
    ];
    form.extend(
        units
            .iter()
            .map(|(i, n)| (format!("request[quantities][{i}]"), (*n).to_owned())),
    );
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let reply = client.call("request_return", &form).await;
    (reply.status, reply.body)
}

/// The order desk takes return `id` of order `number` to `to`, with the form `extra`.
async fn step(
    desk: &mut Client<'_>,
    number: &str,
    id: i64,
    to: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, String) {
    let id = id.to_string();
    let mut form = vec![("number", number), ("id", id.as_str()), ("to", to)];
    form.extend_from_slice(extra);
    let reply = desk.call("advance_return", &form).await;
    (reply.status, reply.body)
}

/// The returns of the one order in the database: (id, status), oldest first.
async fn returns(app: &TestApp) -> Vec<(i64, String)> {
    app.rows("SELECT id, status FROM returns ORDER BY id").await
}

/// The order page as its owner reads it: what each line may still send back.
async fn returnable(buyer: &mut Client<'_>, number: &str) -> Vec<i64> {
    let reply = buyer.call_ok("order", &[("number", number)]).await;
    let order: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    order["returnable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["returnable"].as_i64().unwrap())
        .collect()
}

async fn a_return_is_approved_received_and_refunded(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let Delivered {
        mut desk,
        mut buyer,
        a,
        number,
        ..
    } = delivered(&app, "returner").await;
    assert_eq!(returnable(&mut buyer, &number).await, [2, 1]);

    let (status, body) = ask(&mut buyer, &number, &[("0", "1")], "damaged", "Cracked lid").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(returnable(&mut buyer, &number).await, [1, 1]);
    let id = returns(&app).await[0].0;
    for (to, extra) in [
        ("approved", vec![("note", "Thanks for telling us.")]),
        ("received", vec![("restock", "on")]),
        ("refunded", vec![]),
    ] {
        let (status, body) = step(&mut desk, &number, id, to, &extra).await;
        assert_eq!(status, StatusCode::OK, "{to}: {body}");
    }
    assert_eq!(returns(&app).await, [(id, "refunded".to_owned())]);
    assert_eq!(stock(&app, &a).await, 4, "3 left after the sale, one back");
    // One of a's two units: half of the 20.00 line and its 1.45 share of the 2.90 tax (7.25%
    // of 40.00, shared by what each line cost), the odd cent left for the other unit.
    let (amount, reason): (i64, String) =
        sqlx::query_as("SELECT amount_minor, reason FROM refunds")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!((amount, reason), (1_072, format!("Return {id}")));
    let refunded: i64 = app.scalar("SELECT refunded_minor FROM orders").await;
    assert_eq!(refunded, 1_072);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM return_steps").await,
        4,
        "requested, approved, received, refunded"
    );
    // Told at each step: the request, the approval (where to send it), the parcel's arrival,
    // and the refund itself.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'return_update'"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM outbox WHERE kind = 'order_refunded'"
        )
        .await,
        1
    );
    let approval: String = app
        .scalar("SELECT body FROM notifications WHERE title LIKE '%is approved' ORDER BY id")
        .await;
    assert!(
        approval.contains("1 Market Street") && approval.contains("Thanks for telling us."),
        "{approval}"
    );
    // The order page shows the return and its history to the shopper, without staff names.
    let page = buyer.get(&format!("/orders/{number}")).await;
    assert!(page.body.contains("Return of 1 × "), "{}", page.body);
    assert!(page.body.contains("Cracked lid"), "{}", page.body);
    assert!(!page.body.contains(" by "), "staff names stay on the desk");
    // The refunded unit cannot go back twice; the other one can.
    assert_eq!(returnable(&mut buyer, &number).await, [1, 1]);
    let (status, body) = ask(&mut buyer, &number, &[("0", "2")], "damaged", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // A step taken twice, or out of order, changes nothing.
    let (status, _) = step(&mut desk, &number, id, "refunded", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM refunds").await, 1);
}

async fn a_rejected_return_says_why_and_frees_its_units(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let Delivered {
        mut desk,
        mut buyer,
        b,
        number,
        ..
    } = delivered(&app, "rejected").await;
    let (status, body) = ask(&mut buyer, &number, &[("1", "1")], "other", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("Tell us what is wrong"), "{body}");
    let (status, body) = ask(&mut buyer, &number, &[("1", "1")], "other", "Wrong colour").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(returnable(&mut buyer, &number).await, [2, 0]);
    let id = returns(&app).await[0].0;

    // A rejection needs its reason; a received step cannot come before approval.
    let (status, body) = step(&mut desk, &number, id, "rejected", &[("note", " ")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = step(&mut desk, &number, id, "received", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = step(
        &mut desk,
        &number,
        id,
        "rejected",
        &[("note", "Colours are as pictured.")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(returns(&app).await, [(id, "rejected".to_owned())]);
    assert_eq!(returnable(&mut buyer, &number).await, [2, 1]);
    let told: String = app
        .scalar("SELECT body FROM notifications WHERE title LIKE '%not accepted'")
        .await;
    assert_eq!(told, "Colours are as pictured.");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM refunds").await, 0);
    assert_eq!(stock(&app, &b).await, 4);
}

async fn returns_are_for_the_owner_of_a_delivered_order_within_the_window(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let Delivered {
        mut desk,
        mut buyer,
        number,
        ..
    } = delivered(&app, "owner").await;

    let mut stranger = shopper(&app, "stranger").await;
    let (status, _) = ask(&mut stranger, &number, &[("0", "1")], "damaged", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = ask(&mut buyer, &number, &[("0", "1")], "bored", "").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = ask(&mut buyer, &number, &[("0", "1")], "damaged", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = returns(&app).await[0].0;
    let reply = stranger
        .call(
            "advance_return",
            &[
                ("number", &number),
                ("id", &id.to_string()),
                ("to", "approved"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.body);
    let (status, _) = step(&mut desk, "EM-0000-0000", id, "approved", &[]).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the return belongs to its order"
    );
    let (status, _) = step(&mut desk, &number, id, "lost", &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(returns(&app).await, [(id, "requested".to_owned())]);

    // 31 days after delivery the window has closed.
    app.execute_for("UPDATE order_status_changes SET created_at = created_at - $1 WHERE to_status = 'delivered'", 31 * 86_400_000_i64).await;
    assert!(returnable(&mut buyer, &number).await.is_empty());
    let (status, body) = ask(&mut buyer, &number, &[("1", "1")], "damaged", "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("Returns for this order closed on"), "{body}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM returns").await, 1);
}

/// Ten requests for one unit each of a line of two, sent at once: two are taken.
async fn return_requests_at_once_never_pass_what_was_bought(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let Delivered { buyer, number, .. } = delivered(&app, "eager").await;
    let cookies = cookie_header(&buyer);
    let body = format!(
        "number={number}&request%5Bquantities%5D%5B0%5D=1&request%5Breason%5D=unwanted&request%5Bnote%5D="
    );
    let attempts: Vec<_> = (0..10)
        .map(|n| {
            post(
                &app,
                "/api/request_return",
                body.clone(),
                cookies.clone(),
                n,
            )
        })
        .collect();
    let mut taken = 0;
    for attempt in attempts {
        let (status, body) = attempt.await.unwrap();
        match status {
            StatusCode::OK => taken += 1,
            StatusCode::UNPROCESSABLE_ENTITY => {}
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(taken, 2);
    assert_eq!(
        count(
            &app,
            "SELECT CAST(SUM(quantity) AS BIGINT) FROM return_lines"
        )
        .await,
        2
    );
}

/// The order desk's changes write their audit entry in their own transaction: while the entry
/// cannot be written, a refund, a parcel, a status or a return's step is not made either (and
/// no refund reaches the gateway).
async fn order_desk_changes_that_cannot_be_logged_are_not_made(backend: Backend) {
    let app = seeded_app(backend, 20, 9).await;
    let Delivered {
        mut desk,
        mut buyer,
        a,
        number: delivered,
        ..
    } = delivered(&app, "returner").await;
    let (status, body) = ask(&mut buyer, &delivered, &[("0", "1")], "damaged", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = returns(&app).await[0].0.to_string();
    add(&mut buyer, &a, "1").await;
    let home = address(&mut buyer, "US").await;
    let reply = place(&mut buyer, &key(4), &home, GOOD_CARD, &[]).await;
    let placed: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let paid = placed["number"].as_str().unwrap().to_owned();

    let state = [
        "SELECT COUNT(*) FROM orders WHERE status = 'paid'",
        "SELECT COUNT(*) FROM refunds",
        "SELECT COUNT(*) FROM shipments",
        "SELECT COUNT(*) FROM returns WHERE status = 'requested'",
        "SELECT COUNT(*) FROM notifications",
        "SELECT CAST(SUM(stock) AS BIGINT) FROM product_variants",
    ];
    let logged: i64 = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    let refund = [
        ("number", paid.as_str()),
        ("refund[amount]", "1.00"),
        ("refund[reason]", "Late"),
    ];
    let ship = [("number", paid.as_str()), ("shipment[carrier]", "")];
    let approve = [
        ("number", delivered.as_str()),
        ("id", &id),
        ("to", "approved"),
    ];
    let changes: [(&str, &[(&str, &str)]); 4] = [
        ("refund_order", &refund),
        ("ship_order", &ship),
        (
            "set_order_status",
            &[("number", &paid), ("status", "cancelled")],
        ),
        ("advance_return", &approve),
    ];
    desk.changes_fail_without("audit_log", &changes, &state, async |_| {})
        .await;

    for (function, form) in [changes[0], changes[1], changes[3]] {
        desk.call_ok(function, form).await;
    }
    let now: i64 = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    assert_eq!(now, logged + 3);
}
