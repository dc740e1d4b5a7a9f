//! The product CSV (Shopify's format) on both databases: the export streams every product,
//! a row per variant, across several batches, and only to staff who edit the catalog; an
//! import previews, then creates, updates, leaves alone and reports row by row, changes nothing
//! when run again, and is worked through by one node however many look.

use crate::{
    on_both_backends,
    support::{Backend, Client, TestApp, admin, register, seeded_app, unique_email},
};
use axum::http::{StatusCode, header};
use emporium::{
    admin::{
        csv::COLUMNS,
        import::{forget_old, run_waiting},
    },
    platform::db::now_ms,
};
use serde_json::Value;

on_both_backends!(
    the_export_holds_every_variant_of_every_product_once,
    an_import_creates_updates_and_reports_and_run_again_changes_nothing,
    one_node_works_through_an_import_however_many_look,
    a_file_that_is_not_a_product_csv_is_refused_and_not_kept,
    a_file_of_many_megabytes_is_taken_whole,
    old_files_are_forgotten_and_reports_kept,
);

/// Uploads `text` as the products page's form does; returns the import's id.
pub async fn upload(owner: &mut Client<'_>, text: &str) -> i64 {
    let reply = owner
        .post_file(
            "/admin/products/import",
            "file",
            "shop.csv",
            "text/csv",
            text.as_bytes(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
    let location = reply.headers[header::LOCATION].to_str().unwrap();
    location
        .strip_prefix("/admin/products/import/")
        .unwrap_or_else(|| panic!("{location}"))
        .parse()
        .unwrap()
}

async fn import_view(owner: &mut Client<'_>, id: i64) -> Value {
    let reply = owner
        .call_ok("product_import", &[("id", &id.to_string())])
        .await;
    serde_json::from_str(&reply.body).unwrap()
}

/// Confirms import `id` and lets a node work through it.
async fn run(app: &TestApp, owner: &mut Client<'_>, id: i64) -> Value {
    owner
        .call_ok("confirm_import", &[("id", &id.to_string())])
        .await;
    assert_eq!(run_waiting(app.db(), "node-a").await.unwrap(), Some(id));
    let view = import_view(owner, id).await;
    assert_eq!(view["state"], "Finished", "{view}");
    view
}

fn counts(view: &Value) -> [i64; 4] {
    ["created", "updated", "unchanged", "refused"].map(|n| view[n].as_i64().unwrap())
}

async fn the_export_holds_every_variant_of_every_product_once(backend: Backend) {
    // More products than one batch of the export reads.
    let app = seeded_app(backend, 520, 12).await;
    let mut owner = admin(&app).await;
    let reply = owner.get("/admin/products/export.csv").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.headers[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let mut reader = csv::Reader::from_reader(reply.body.as_bytes());
    assert_eq!(reader.headers().unwrap(), COLUMNS.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let stored: Vec<(String, String, i64, i64)> = sqlx::query_as(
        "SELECT p.slug, v.sku, v.price_minor, v.stock FROM product_variants v \
         JOIN products p ON p.id = v.product_id ORDER BY p.id, v.position, v.id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), stored.len());
    let column = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    let mut titled = 0;
    for (row, (slug, sku, price, stock)) in rows.iter().zip(&stored) {
        assert_eq!(&row[column("Handle")], slug);
        assert_eq!(&row[column("Variant SKU")], sku);
        assert_eq!(row[column("Variant Inventory Qty")], stock.to_string());
        let cents = format!("{}.{:02}", price / 100, price % 100);
        assert_eq!(row[column("Variant Price")], cents);
        titled += usize::from(!row[column("Title")].is_empty());
    }
    assert_eq!(titled, 520, "the product's columns on its first row only");

    let mut shopper = register(&app, "Csv Shopper", &unique_email("csv")).await;
    let refused = shopper.get("/admin/products/export.csv").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let anonymous = app.client().get("/admin/products/export.csv").await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn an_import_creates_updates_and_reports_and_run_again_changes_nothing(backend: Backend) {
    let app = seeded_app(backend, 6, 13).await;
    let mut owner = admin(&app).await;
    let exported = owner.get("/admin/products/export.csv").await.body;
    let before: Vec<(String, i64)> = app
        .rows("SELECT slug, updated_at FROM products ORDER BY id")
        .await;
    let category: String = app
        .scalar("SELECT slug FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1")
        .await;

    // The export as it is changes nothing.
    let id = upload(&mut owner, &exported).await;
    assert_eq!(counts(&run(&app, &mut owner, id).await), [0, 0, 6, 0]);

    // A price changed, a product added, one with a negative price, one in no known category.
    let mut reader = csv::Reader::from_reader(exported.as_bytes());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(reader.headers().unwrap()).unwrap();
    let price = COLUMNS.iter().position(|c| *c == "Variant Price").unwrap();
    for (n, record) in reader.records().enumerate() {
        let mut row: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
        if n == 0 {
            row[price] = "99.00".into();
        }
        writer.write_record(&row).unwrap();
    }
    let new = |handle: &str, category: &str, price: &str| {
        COLUMNS.map(|column| match column {
            "Handle" => handle.to_owned(),
            "Title" => format!("Imported {handle}"),
            "Vendor" => "Boil Co".into(),
            "Type" => category.to_owned(),
            "Variant SKU" => handle.to_uppercase(),
            "Variant Price" => price.to_owned(),
            "Variant Inventory Qty" => "5".into(),
            "Status" => "active".into(),
            _ => String::new(),
        })
    };
    writer
        .write_record(new("kettle", &category, "30.00"))
        .unwrap();
    writer
        .write_record(new("bad-price", &category, "-3"))
        .unwrap();
    writer.write_record(new("lost", "nowhere", "3.00")).unwrap();
    let changed = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let rows = changed.lines().count();

    let id = upload(&mut owner, &changed).await;
    let preview = import_view(&mut owner, id).await;
    assert_eq!(preview["state"], "Waiting");
    assert_eq!(preview["products"], 9);
    assert_eq!(preview["sample"][0]["exists"], true);
    // Before the go, what the form's checks find; nothing is written.
    assert_eq!(
        preview["problems"].as_array().unwrap().len(),
        1,
        "{preview}"
    );
    assert_eq!(preview["problems"][0]["row"], rows - 1);
    let kettle = "SELECT COUNT(*) FROM products WHERE slug = 'kettle'";
    let count = || async {
        sqlx::query_scalar::<_, i64>(kettle)
            .fetch_one(app.db().pool())
            .await
            .unwrap()
    };
    assert_eq!(count().await, 0);

    let report = run(&app, &mut owner, id).await;
    assert_eq!(counts(&report), [1, 1, 5, 2], "{report}");
    let problems: Vec<(i64, String, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_i64().unwrap(),
                p["handle"].as_str().unwrap().to_owned(),
                p["problem"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let last = i64::try_from(rows).unwrap();
    assert_eq!(problems[0].0, last - 1);
    assert_eq!(problems[0].1, "bad-price");
    assert!(problems[0].2.starts_with("Variant Price:"), "{problems:?}");
    assert_eq!(
        problems[1],
        (
            last,
            "lost".to_owned(),
            "Type: No category has the slug or name “nowhere”.".to_owned()
        )
    );
    assert_eq!(count().await, 1);
    let (price, stock): (i64, i64) =
        sqlx::query_as("SELECT price_minor, stock FROM product_variants WHERE sku = 'KETTLE'")
            .fetch_one(app.db().pool())
            .await
            .unwrap();
    assert_eq!((price, stock), (3_000, 5));
    let after: Vec<(String, i64)> = app
        .rows("SELECT slug, updated_at FROM products ORDER BY id LIMIT 6")
        .await;
    assert_ne!(after[0], before[0], "the first product's price changed");
    assert_eq!(after[1..], before[1..], "the others were not written");

    // The same file again: nothing to do but the same two refusals.
    let again = upload(&mut owner, &changed).await;
    assert_eq!(counts(&run(&app, &mut owner, again).await), [0, 0, 7, 2]);
    let logged: i64 = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'products.imported'")
        .await;
    assert_eq!(logged, 3);
}

async fn one_node_works_through_an_import_however_many_look(backend: Backend) {
    let app = seeded_app(backend, 1, 14).await;
    let mut owner = admin(&app).await;
    let category: String = app
        .scalar("SELECT slug FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1")
        .await;
    // 300 products with long descriptions: more than a form may post, less than a file may.
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "Handle",
            "Title",
            "Body (HTML)",
            "Vendor",
            "Type",
            "Variant SKU",
            "Variant Price",
        ])
        .unwrap();
    let body = format!("<p>{}</p>", "A fine thing. ".repeat(300));
    for n in 0..300 {
        let handle = format!("thing-{n}");
        let sku = format!("THING-{n}");
        let row = [&handle, "A thing", &body, "Maker", &category, &sku, "1.00"];
        writer.write_record(row).unwrap();
    }
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    assert!(text.len() > 1024 * 1024);
    let id = upload(&mut owner, &text).await;
    owner
        .call_ok("confirm_import", &[("id", &id.to_string())])
        .await;
    let (a, b, c) = tokio::join!(
        run_waiting(app.db(), "node-a"),
        run_waiting(app.db(), "node-b"),
        run_waiting(app.db(), "node-c"),
    );
    let ran: Vec<Option<i64>> = [a, b, c].map(Result::unwrap).to_vec();
    assert_eq!(ran.iter().filter(|r| **r == Some(id)).count(), 1, "{ran:?}");
    assert_eq!(counts(&import_view(&mut owner, id).await), [300, 0, 0, 0]);
    let made: i64 = app
        .scalar("SELECT COUNT(*) FROM products WHERE slug LIKE 'thing-%'")
        .await;
    assert_eq!(made, 300);
    // Nothing waits any more.
    assert_eq!(run_waiting(app.db(), "node-a").await.unwrap(), None);
}

/// A file without the columns, one that is not UTF-8 and an empty one go back to the products
/// page saying why; none is kept, and only staff who edit the catalog may upload.
async fn a_file_that_is_not_a_product_csv_is_refused_and_not_kept(backend: Backend) {
    let app = seeded_app(backend, 3, 2).await;
    let mut owner = admin(&app).await;
    for (bytes, why) in [
        (&b"Name,Price\nKettle,12.00\n"[..], "columns"),
        (
            &b"Handle,Variant SKU,Variant Price\n\xff\xfe,K-1,1.00\n"[..],
            "encoding",
        ),
        (&b""[..], "missing"),
    ] {
        let reply = owner
            .post_file("/admin/products/import", "file", "x.csv", "text/csv", bytes)
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{why}");
        assert_eq!(
            reply.headers[header::LOCATION],
            format!("/admin/products?import_error={why}")
        );
    }
    let kept: i64 = app.scalar("SELECT COUNT(*) FROM product_imports").await;
    assert_eq!(kept, 0);
    let mut shopper = register(&app, "Csv Uploader", &unique_email("upload")).await;
    let file = b"Handle,Variant SKU,Variant Price\nk,K-1,1.00\n";
    let reply = shopper
        .post_file("/admin/products/import", "file", "x.csv", "text/csv", file)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

/// A whole catalog is a big file: every byte up to the import's own limit is read (axum's
/// extractors stop at 2 MB unless told otherwise).
async fn a_file_of_many_megabytes_is_taken_whole(backend: Backend) {
    let app = seeded_app(backend, 3, 2).await;
    let mut owner = admin(&app).await;
    let title = "Kettle ".repeat(150);
    let mut file = String::from("Handle,Title,Variant SKU,Variant Price\n");
    for i in 0..3_000 {
        file.push_str(&format!("kettle-{i},{title},K-{i},12.00\n"));
    }
    assert!(file.len() > 3 * 1024 * 1024);
    let id = upload(&mut owner, &file).await;
    let products: i64 = app
        .scalar_for("SELECT products FROM product_imports WHERE id = $1", id)
        .await;
    assert_eq!(products, 3_000);
}

/// A month on, a finished import keeps its report but not its file, and one never confirmed
/// goes whole.
async fn old_files_are_forgotten_and_reports_kept(backend: Backend) {
    let app = seeded_app(backend, 3, 2).await;
    let mut owner = admin(&app).await;
    let file = "Handle,Title,Variant SKU,Variant Price\nkettle,Kettle,K-1,12.00\n";
    let finished = upload(&mut owner, file).await;
    let report = run(&app, &mut owner, finished).await;
    let waiting = upload(&mut owner, file).await;
    assert_eq!(
        forget_old(app.db(), now_ms() - 1_000).await.unwrap(),
        0,
        "nothing old yet"
    );
    assert_eq!(forget_old(app.db(), now_ms() + 1).await.unwrap(), 2);
    assert_eq!(import_view(&mut owner, finished).await, report);
    let body: String = app
        .scalar_for("SELECT body FROM product_imports WHERE id = $1", finished)
        .await;
    assert_eq!(body, "");
    let gone = owner
        .call("product_import", &[("id", &waiting.to_string())])
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}
