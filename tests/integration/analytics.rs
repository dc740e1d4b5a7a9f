//! Analytics on both databases: sales from real orders (failed payments left out), the funnel
//! and searches from recorded events, and admins only.

use crate::{
    checkout::{GOOD_CARD, add, address, count, key, place, shopper, variant},
    on_both_backends,
    refunds::refund,
    support::{Backend, TestApp, TestDb, admin, seeded_app},
};
use axum::http::StatusCode;
use emporium::{
    analytics::{
        db::{TOP, analytics, roll_up},
        model::Analytics,
    },
    dates::DAY_MS,
    events::{Event, EventKind, EventSink},
    platform::db::now_ms,
    search::index::SearchIndex,
};
use std::time::{Duration, Instant};

on_both_backends!(
    sales_and_behaviour_add_up,
    closed_days_are_rolled_up_and_read_afresh_once_an_order_of_theirs_changes,
    each_report_downloads_whole_as_csv_for_staff_who_read_analytics,
    analytics_are_for_admins_only,
    an_event_for_a_deleted_product_loses_only_itself,
    events_are_written_within_a_second_while_more_keep_coming,
);

async fn seeded(backend: Backend) -> TestApp {
    let app = seeded_app(backend, 10, 5).await;
    SearchIndex::of(app.state())
        .rebuild(app.db())
        .await
        .unwrap();
    app
}

async fn sales_and_behaviour_add_up(backend: Backend) {
    let app = seeded(backend).await;
    let (a, b) = (
        variant(&app, 0, 1_000, 9).await,
        variant(&app, 1, 1_500, 9).await,
    );

    let mut first = shopper(&app, "First Buyer").await;
    add(&mut first, &a, "2").await;
    let shipping = address(&mut first, "US").await;
    assert_eq!(
        place(&mut first, &key(1), &shipping, GOOD_CARD, &[])
            .await
            .status,
        StatusCode::OK
    );

    let mut second = shopper(&app, "Second Buyer").await;
    add(&mut second, &a, "1").await;
    add(&mut second, &b, "1").await;
    let shipping = address(&mut second, "US").await;
    assert_eq!(
        place(&mut second, &key(2), &shipping, GOOD_CARD, &[])
            .await
            .status,
        StatusCode::OK
    );

    // A declined card makes an order that was never paid: not a sale.
    let mut declined = shopper(&app, "Declined Buyer").await;
    add(&mut declined, &b, "3").await;
    let shipping = address(&mut declined, "US").await;
    let reply = place(
        &mut declined,
        &key(3),
        &shipping,
        "4000 0000 0000 0002",
        &[],
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYMENT_REQUIRED, "{}", reply.body);

    let title: String = app.scalar_for("SELECT p.title FROM products p JOIN product_variants v ON v.product_id = p.id WHERE v.sku = $1", &b).await;
    let word = title.split_whitespace().next().unwrap().to_owned();
    for q in [word.as_str(), "zzqqxx", "ZZQQXX "] {
        app.client().call_ok("search", &[("raw[q]", q)]).await;
    }
    app.state().events.flush().await;

    let mut admin = admin(&app).await;
    let reply = admin.call_ok("admin_analytics", &[("days", "7")]).await;
    let report: Analytics = serde_json::from_str(&reply.body).unwrap();
    let paid = count(&app, "SELECT COUNT(*) FROM orders WHERE status = 'paid'").await;
    let paid_total = count(
        &app,
        "SELECT CAST(SUM(total_minor) AS BIGINT) FROM orders WHERE status = 'paid'",
    )
    .await;
    assert_eq!((report.orders, paid), (2, 2));
    assert_eq!(report.revenue.minor(), paid_total);
    assert_eq!(report.average_order.minor(), paid_total / 2);
    assert_eq!(report.by_day.len(), 7);
    assert_eq!(report.by_day.last().unwrap().orders, 2, "today's sales");
    assert_eq!(report.by_day.iter().map(|d| d.orders).sum::<i64>(), 2);

    let best: Vec<(i64, i64)> = report
        .top_products
        .iter()
        .map(|p| (p.units, p.revenue.minor()))
        .collect();
    assert_eq!(
        best,
        [(3, 3_000), (1, 1_500)],
        "A: 3 units, B: 1 (the declined 3 are not sold)"
    );

    let funnel: Vec<(&str, i64)> = report
        .funnel
        .iter()
        .map(|s| (s.label.as_str(), s.count))
        .collect();
    assert_eq!(
        funnel,
        [
            ("Product views", 0),
            ("Added to cart", 4),
            // All three opened the checkout page (`place` does, for its key); two bought.
            ("Checkouts started", 3),
            ("Purchases", 2)
        ]
    );
    assert_eq!(report.unfound_searches.len(), 1);
    assert_eq!(
        (
            report.unfound_searches[0].query.as_str(),
            report.unfound_searches[0].count
        ),
        ("zzqqxx", 2)
    );
    assert_eq!(report.top_searches[0].query, "zzqqxx");
    assert!(
        report
            .top_searches
            .iter()
            .any(|s| s.query == word.to_lowercase())
    );
}

/// A paid order of two units, and two searches, all three days ago; the order's number.
async fn three_days_ago(app: &TestApp) -> String {
    let a = variant(app, 0, 1_000, 9).await;
    let mut buyer = shopper(app, "Earlier Buyer").await;
    add(&mut buyer, &a, "2").await;
    let shipping = address(&mut buyer, "US").await;
    let reply = place(&mut buyer, &key(1), &shipping, GOOD_CARD, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let placed: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    for q in ["=HYPERLINK(\"http://evil.test\")", "zzqqxx"] {
        app.client().call_ok("search", &[("raw[q]", q)]).await;
    }
    app.state().events.flush().await;
    for table in ["orders", "events"] {
        sqlx::query(&format!("UPDATE {table} SET created_at = created_at - $1"))
            .bind(3 * DAY_MS)
            .execute(app.db().pool())
            .await
            .unwrap();
    }
    placed["number"].as_str().unwrap().to_owned()
}

async fn closed_days_are_rolled_up_and_read_afresh_once_an_order_of_theirs_changes(
    backend: Backend,
) {
    let app = seeded(backend).await;
    let number = three_days_ago(&app).await;
    let now = now_ms();
    let week = |app: &TestApp| {
        let db = app.db().clone();
        async move { analytics(&db, 7, now, Some(TOP)).await.unwrap() }
    };
    let live = week(&app).await;
    assert_eq!((live.orders, live.by_day[3].orders), (1, 1), "{live:?}");
    assert_eq!(live.top_products[0].units, 2);
    assert_eq!(live.funnel[3].count, 1, "one purchase");

    // Every closed day of the longest period (the last one only ten minutes after midnight).
    let rolled = roll_up(app.db(), now).await.unwrap();
    assert!((88..=89).contains(&rolled), "{rolled}");
    assert_eq!(roll_up(app.db(), now).await.unwrap(), 0, "each day once");
    assert_eq!(
        week(&app).await,
        live,
        "the rollups add up to what they were made from"
    );
    // The closed days are read from the rollups, not from the orders.
    app.execute("UPDATE analytics_days SET count = count + 1 WHERE metric = 'sales'")
        .await;
    assert_eq!(week(&app).await.orders, 2);
    app.execute("UPDATE analytics_days SET count = count - 1 WHERE metric = 'sales'")
        .await;

    // One of the two units refunded: its day is read afresh at once, net of the refund.
    let mut desk = admin(&app).await;
    let (status, body) = refund(&mut desk, &number, &[("quantities[0]", "1")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let refunded = count(&app, "SELECT refunded_minor FROM orders").await;
    let now_refunded = week(&app).await;
    assert_eq!(
        now_refunded.revenue.minor(),
        live.revenue.minor() - refunded
    );
    assert_eq!(
        (
            now_refunded.top_products[0].units,
            now_refunded.top_products[0].revenue.minor()
        ),
        (1, 1_000),
        "one unit is still sold"
    );
    assert_eq!(
        roll_up(app.db(), now).await.unwrap(),
        1,
        "the changed day again"
    );
    assert_eq!(week(&app).await, now_refunded);

    // A move on the order desk changes its day too (here without changing its figures).
    desk.call_ok(
        "set_order_status",
        &[("number", &number), ("status", "shipped")],
    )
    .await;
    assert_eq!(roll_up(app.db(), now).await.unwrap(), 1);
    assert_eq!(week(&app).await, now_refunded);
}

async fn each_report_downloads_whole_as_csv_for_staff_who_read_analytics(backend: Backend) {
    let app = seeded(backend).await;
    three_days_ago(&app).await;
    roll_up(app.db(), now_ms()).await.unwrap();
    let mut admin = admin(&app).await;
    let reply = admin
        .get("/admin/analytics/unfound-searches.csv?days=7")
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        reply.headers["content-disposition"],
        "attachment; filename=\"unfound-searches-last-7-days.csv\""
    );
    assert_eq!(
        reply.body, "Search,Count\n\"'=hyperlink(\"\"http://evil.test\"\")\",1\nzzqqxx,1\n",
        "a search that would be a formula is not one"
    );
    let sales = admin.get("/admin/analytics/sales.csv").await;
    assert_eq!(sales.status, StatusCode::OK);
    let lines: Vec<&str> = sales.body.lines().collect();
    assert_eq!((lines[0], lines.len()), ("Day,Orders,Revenue", 31));
    let placed: String = app
        .scalar("SELECT CAST(total_minor AS TEXT) FROM orders")
        .await;
    assert!(
        lines[27].ends_with(&format!(
            ",1,{}.{}",
            &placed[..placed.len() - 2],
            &placed[placed.len() - 2..]
        )),
        "three days ago: {}",
        lines[27]
    );
    for (report, header) in [
        ("best-sellers.csv", "Product,Units,Revenue"),
        ("funnel.csv", "Step,Count,Percent"),
        ("searches.csv", "Search,Count"),
        ("recommendations.csv", "Row,Shown,Clicked,Click-through"),
    ] {
        let reply = admin
            .get(&format!("/admin/analytics/{report}?days=90"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{report}");
        assert_eq!(reply.body.lines().next(), Some(header), "{report}");
    }
    for (path, status) in [
        ("/admin/analytics/sales.csv?days=3", StatusCode::BAD_REQUEST),
        ("/admin/analytics/sales.csv?days=x", StatusCode::BAD_REQUEST),
        ("/admin/analytics/orders.csv", StatusCode::NOT_FOUND),
    ] {
        assert_eq!(admin.get(path).await.status, status, "{path}");
    }
    let mut customer = shopper(&app, "Curious").await;
    let path = "/admin/analytics/sales.csv";
    assert_eq!(customer.get(path).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.client().get(path).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn analytics_are_for_admins_only(backend: Backend) {
    let app = seeded(backend).await;
    let mut customer = shopper(&app, "Curious").await;
    let reply = customer.call("admin_analytics", &[]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = app.client().call("admin_analytics", &[]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let mut admin = admin(&app).await;
    let reply = admin.call("admin_analytics", &[("days", "3")]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = admin.call_ok("admin_analytics", &[]).await;
    let report: Analytics = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        (report.days, report.orders, report.by_day.len()),
        (30, 0, 30)
    );
}

/// A product deleted while its views wait in the event writer's queue: the other events of
/// that batch are still written.
async fn an_event_for_a_deleted_product_loses_only_itself(backend: Backend) {
    let app = seeded_app(backend, 3, 5).await;
    let kept: i64 = app.scalar("SELECT MIN(id) FROM products").await;
    for product in [kept, kept + 1_000_000, kept] {
        app.state().events.record(Event {
            product_id: Some(product),
            ..Event::new(EventKind::ProductView)
        });
    }
    app.state().events.flush().await;
    let written: Vec<i64> = sqlx::query_scalar("SELECT product_id FROM events ORDER BY id")
        .fetch_all(app.db().pool())
        .await
        .unwrap();
    assert_eq!(written, [kept, kept]);
}

/// A shop with steady traffic records an event every moment. The writer waits up to a second
/// for companions of the first event in a batch, not for a second of quiet, so the first
/// event is in the database soon while more keep coming.
async fn events_are_written_within_a_second_while_more_keep_coming(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let events = EventSink::start(test_db.db.clone());
    let started = Instant::now();
    let mut written = 0_i64;
    while written == 0 && started.elapsed() < Duration::from_secs(4) {
        events.record(Event::new(EventKind::Search));
        // The traffic itself: one event every 200 ms.
        tokio::time::sleep(Duration::from_millis(200)).await;
        written = sqlx::query_scalar("SELECT COUNT(*) FROM events")
            .fetch_one(test_db.db.pool())
            .await
            .unwrap();
    }
    assert!(written > 0, "no event written in 4 s of steady traffic");
    assert!(
        started.elapsed() < Duration::from_millis(1_800),
        "{:?}",
        started.elapsed()
    );
}
