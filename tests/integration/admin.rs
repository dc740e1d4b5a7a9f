//! Product management by admins, on both databases: writes, field errors, authorisation, and
//! the search index following every write (on this node at once, on others by polling).

use crate::{
    on_both_backends,
    search::found,
    support::{
        Backend, Client, ObjectStore, Reply, TestApp, admin, register, seeded_app, spawn_app_with,
        unique_email,
    },
};
use axum::http::{StatusCode, header};
use emporium::search::{
    index::SearchIndex,
    model::{RawSearch, SearchRequest},
    sync::{Follower, POLL_INTERVAL},
};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

on_both_backends!(
    admins_create_edit_archive_and_delete_products,
    bad_product_fields_are_reported_and_nothing_is_written,
    only_admins_manage_products,
    other_nodes_follow_catalog_writes_within_two_seconds,
    admins_add_rename_move_and_delete_categories,
    uploaded_pictures_are_sniffed_limited_and_cached,
    pictures_in_a_shared_bucket_are_served_by_every_node,
    a_products_old_pictures_leave_the_store,
    upload_addresses_opened_in_the_browser_lead_to_their_forms,
    the_dashboard_lists_active_variants_running_out_lowest_first,
);

async fn seeded(backend: Backend) -> TestApp {
    let app = seeded_app(backend, 40, 3).await;
    SearchIndex::of(app.state())
        .rebuild(app.db())
        .await
        .unwrap();
    app
}

pub(crate) async fn any_category(app: &TestApp) -> String {
    app.scalar("SELECT slug FROM categories WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1")
        .await
}

/// The form a browser posts for a product with one variant, plus `extra` fields.
pub(crate) fn product_form<'a>(
    title: &'a str,
    category: &'a str,
    sku: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("product[title]", title),
        ("product[slug]", ""),
        ("product[brand]", "Quillfeather"),
        ("product[category]", category),
        ("product[description]", "Hand-bound <b>notebook</b>."),
        ("product[status]", "active"),
        ("product[variants][0][sku]", sku),
        ("product[variants][0][options]", "Colour=Teal"),
        ("product[variants][0][price]", "24.50"),
        ("product[variants][0][compare_at]", ""),
        ("product[variants][0][stock]", "7"),
        // The empty row the form always offers.
        ("product[variants][1][sku]", ""),
        ("product[variants][1][price]", ""),
        ("product[variants][1][stock]", ""),
    ];
    for (key, value) in extra {
        match form.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value,
            None => form.push((key, value)),
        }
    }
    form
}

async fn save(client: &mut Client<'_>, form: &[(&str, &str)]) -> Reply {
    client.call("save_product", form).await
}

async fn product_count(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM products").await
}

async fn admins_create_edit_archive_and_delete_products(backend: Backend) {
    let app = seeded(backend).await;
    let category = any_category(&app).await;
    let mut admin = admin(&app).await;

    let reply = save(
        &mut admin,
        &product_form("Marbled Quokka Notebook", &category, "mqn-teal", &[]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let id: i64 = reply.body.parse().unwrap();
    assert_eq!(found(SearchIndex::of(app.state()), "quokka"), [id]);
    let page = admin.get("/p/marbled-quokka-notebook").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("MQN-TEAL"), "SKUs are stored upper-case");
    assert!(page.body.contains("$24.50"));
    assert!(
        page.body
            .contains("Hand-bound &lt;b&gt;notebook&lt;/b&gt;.")
    );
    let editor = admin
        .call("admin_product", &[("id", &id.to_string())])
        .await;
    assert_eq!(editor.status, StatusCode::OK, "{}", editor.body);
    let variant: i64 = app
        .scalar("SELECT id FROM product_variants WHERE sku = 'MQN-TEAL'")
        .await;

    // Edit: a new title and price, and a second variant.
    let (id_text, variant_text) = (id.to_string(), variant.to_string());
    let reply = save(
        &mut admin,
        &product_form(
            "Marbled Wombat Notebook",
            &category,
            "MQN-TEAL",
            &[
                ("product[id]", &id_text),
                ("product[slug]", "marbled-quokka-notebook"),
                ("product[variants][0][id]", &variant_text),
                ("product[variants][0][price]", "19"),
                ("product[variants][1][sku]", "MQN-RUST"),
                ("product[variants][1][options]", "Colour=Rust"),
                ("product[variants][1][price]", "21.00"),
                ("product[variants][1][stock]", "0"),
            ],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(found(SearchIndex::of(app.state()), "quokka").is_empty());
    assert_eq!(found(SearchIndex::of(app.state()), "wombat"), [id]);
    let prices: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT sku, price_minor, stock FROM product_variants WHERE product_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(app.db().pool())
    .await
    .unwrap();
    assert_eq!(
        prices,
        [("MQN-TEAL".into(), 1900, 7), ("MQN-RUST".into(), 2100, 0)]
    );
    let listed = admin
        .call("admin_products", &[("filter[q]", "mqn-rust")])
        .await;
    assert!(
        listed.body.contains("Marbled Wombat Notebook"),
        "{}",
        listed.body
    );
    assert!(listed.body.contains(r#""total":1"#), "{}", listed.body);

    // Archived: gone from search and the shop, still in the admin list.
    admin
        .call_ok(
            "set_product_status",
            &[("id", &id_text), ("status", "archived")],
        )
        .await;
    assert!(found(SearchIndex::of(app.state()), "wombat").is_empty());
    assert_eq!(
        admin.get("/p/marbled-quokka-notebook").await.status,
        StatusCode::NOT_FOUND
    );

    admin.call_ok("delete_product", &[("id", &id_text)]).await;
    let left: i64 = app
        .scalar_for(
            "SELECT COUNT(*) FROM product_variants WHERE product_id = $1",
            id,
        )
        .await;
    assert_eq!(left, 0);
    let again = admin.call("delete_product", &[("id", &id_text)]).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

async fn bad_product_fields_are_reported_and_nothing_is_written(backend: Backend) {
    let app = seeded(backend).await;
    let category = any_category(&app).await;
    let mut admin = admin(&app).await;
    let taken_sku: String = app.scalar("SELECT sku FROM product_variants LIMIT 1").await;
    let taken_slug: String = app.scalar("SELECT slug FROM products LIMIT 1").await;
    let before = product_count(&app).await;
    let cases: [(&[(&str, &str)], &str); 7] = [
        (&[("product[title]", " ")], "title"),
        (
            &[("product[variants][0][price]", "-5")],
            "variants[0][price]",
        ),
        (
            &[("product[variants][0][stock]", "1.5")],
            "variants[0][stock]",
        ),
        (&[("product[variants][0][sku]", "")], "variants[0][sku]"),
        (
            &[("product[variants][0][sku]", &taken_sku)],
            "variants[0][sku]",
        ),
        (&[("product[slug]", &taken_slug)], "slug"),
        (&[("product[category]", "no-such-category")], "category"),
    ];
    for (change, field) in cases {
        let reply = save(
            &mut admin,
            &product_form("Perfectly Fine Lamp", &category, "PFL-1", change),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{change:?}: {}",
            reply.body
        );
        let body: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        let fields: Vec<&str> = body["Invalid"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, [field], "{change:?}");
    }
    assert_eq!(product_count(&app).await, before);

    // A form left open while its variant was saved elsewhere offers that SKU as a new row.
    let (id, sku, slug): (i64, String, String) = sqlx::query_as(
        "SELECT p.id, v.sku, p.slug FROM products p JOIN product_variants v ON v.product_id = p.id LIMIT 1",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    let id = id.to_string();
    let stale = [
        ("product[id]", id.as_str()),
        ("product[slug]", slug.as_str()),
    ];
    let reply = save(
        &mut admin,
        &product_form("Stale Lamp", &category, &sku, &stale),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(reply.body.contains("variants[0][sku]"), "{}", reply.body);
    let titles: i64 = app
        .scalar("SELECT COUNT(*) FROM products WHERE title = 'Stale Lamp'")
        .await;
    assert_eq!(titles, 0);
    let missing = admin
        .call(
            "save_product",
            &product_form("Ghost", &category, "GHOST-1", &[("product[id]", "999999")]),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(product_count(&app).await, before);
}

async fn only_admins_manage_products(backend: Backend) {
    let app = seeded(backend).await;
    let category = any_category(&app).await;
    let form = product_form("Sneaky Product", &category, "SNEAK-1", &[]);
    let id: String = app
        .scalar::<i64>("SELECT MIN(id) FROM products")
        .await
        .to_string();
    let calls: [(&str, Vec<(&str, &str)>); 5] = [
        ("save_product", form.clone()),
        ("admin_products", vec![]),
        ("admin_product", vec![("id", &id)]),
        (
            "set_product_status",
            vec![("id", &id), ("status", "archived")],
        ),
        ("delete_product", vec![("id", &id)]),
    ];
    let mut customer = register(&app, "Cas", &unique_email("cas")).await;
    for (function, args) in &calls {
        assert_eq!(
            app.client().call(function, args).await.status,
            StatusCode::UNAUTHORIZED,
            "{function} signed out"
        );
        assert_eq!(
            customer.call(function, args).await.status,
            StatusCode::FORBIDDEN,
            "{function} as a customer"
        );
    }
    let (products, active): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(SUM(CASE WHEN status = 'active' THEN 1 ELSE 0 END) AS BIGINT) FROM products",
    )
    .fetch_one(app.db().pool())
    .await
    .unwrap();
    assert_eq!((products, active), (40, 40), "nothing changed");
    for page in [
        "/admin/products",
        "/admin/products/new",
        &format!("/admin/products/{id}"),
    ] {
        assert_eq!(
            customer.get(page).await.status,
            StatusCode::FORBIDDEN,
            "{page}"
        );
    }
}

async fn other_nodes_follow_catalog_writes_within_two_seconds(backend: Backend) {
    let app = seeded(backend).await;
    let category = any_category(&app).await;
    // A second node: its own index over the same database, following the change table.
    let other = Arc::new(SearchIndex::new().unwrap());
    let mut follower = Follower::start(other.clone(), app.db().clone())
        .await
        .unwrap();
    let mut admin = admin(&app).await;

    let reply = save(
        &mut admin,
        &product_form("Velvet Narwhal Lamp", &category, "VNL-1", &[]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let id: i64 = reply.body.parse().unwrap();
    // The node polls every POLL_INTERVAL; each poll here stands for one of its ticks.
    let written = Instant::now();
    loop {
        follower.poll().await.unwrap();
        if !found(&other, "narwhal").is_empty() {
            break;
        }
        assert!(
            written.elapsed() + POLL_INTERVAL < Duration::from_secs(2),
            "the other node did not see the new product within 2 s"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
    assert_eq!(found(&other, "narwhal"), [id]);

    admin
        .call("delete_product", &[("id", &id.to_string())])
        .await;
    follower.poll().await.unwrap();
    assert!(found(&other, "narwhal").is_empty());
    assert_eq!(
        follower.poll().await.unwrap(),
        0,
        "each change is applied once"
    );
}

/// Saves a category as the admin form does; `id` empty adds one.
async fn category(client: &mut Client<'_>, id: &str, name: &str, parent: &str) -> Reply {
    client
        .call(
            "save_category",
            &[("id", id), ("name", name), ("parent", parent)],
        )
        .await
}

async fn admins_add_rename_move_and_delete_categories(backend: Backend) {
    let app = seeded(backend).await;
    let mut admin = admin(&app).await;
    let stationery = category(&mut admin, "", "Stationery", "").await;
    assert_eq!(stationery.status, StatusCode::OK, "{}", stationery.body);
    let notebooks = category(&mut admin, "", "Notebooks", "stationery").await;
    assert_eq!(notebooks.status, StatusCode::OK, "{}", notebooks.body);
    let twin = category(&mut admin, "", "Notebooks", "stationery").await;
    assert_eq!(twin.status, StatusCode::OK, "{}", twin.body);
    let slugs: Vec<String> =
        sqlx::query_scalar("SELECT slug FROM categories WHERE name = 'Notebooks' ORDER BY id")
            .fetch_all(app.db().pool())
            .await
            .unwrap();
    assert_eq!(slugs, ["notebooks", "notebooks-2"]);

    let inside = category(&mut admin, &stationery.body, "Stationery", "notebooks").await;
    assert_eq!(inside.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(inside.body.contains("inside itself"), "{}", inside.body);
    let blank = category(&mut admin, "", " ", "").await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A product in the category, then a rename: search shows the new name at once.
    let product = save(
        &mut admin,
        &product_form("Dotted Grid Journal", "notebooks", "DGJ-1", &[]),
    )
    .await;
    assert_eq!(product.status, StatusCode::OK, "{}", product.body);
    let renamed = category(&mut admin, &notebooks.body, "Journals", "stationery").await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    let (request, _) = SearchRequest::parse(&RawSearch {
        category: Some("notebooks".into()),
        ..RawSearch::default()
    });
    let hits = SearchIndex::of(app.state()).search(&request).unwrap();
    assert_eq!(hits.total, 1);
    let names: Vec<&str> = hits.trail.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Stationery", "Journals"]);

    let with_children = admin
        .call("delete_category", &[("id", &stationery.body)])
        .await;
    assert_eq!(with_children.status, StatusCode::CONFLICT);
    let with_products = admin
        .call("delete_category", &[("id", &notebooks.body)])
        .await;
    assert_eq!(with_products.status, StatusCode::CONFLICT);
    assert!(
        with_products.body.contains("still holds 1 products"),
        "{}",
        with_products.body
    );
    let empty = admin.call("delete_category", &[("id", &twin.body)]).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);

    let mut customer = register(&app, "Cy", &unique_email("cy")).await;
    for (function, args) in [
        ("admin_categories", vec![]),
        ("save_category", vec![("name", "Sneaky")]),
        ("delete_category", vec![("id", stationery.body.as_str())]),
    ] {
        assert_eq!(
            customer.call(function, &args).await.status,
            StatusCode::FORBIDDEN,
            "{function}"
        );
    }
    assert_eq!(
        customer.get("/admin/categories").await.status,
        StatusCode::FORBIDDEN
    );
}

/// Posts `bytes` as the product picture form does (multipart, field `image`).
pub async fn upload(client: &mut Client<'_>, id: i64, bytes: &[u8]) -> Reply {
    let path = format!("/admin/products/{id}/image");
    client
        .post_file(&path, "image", "picture.png", "image/png", bytes)
        .await
}

fn location(reply: &Reply) -> &str {
    reply
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A `width` × `height` PNG whose colours start from `shade`, so each shade is a new file.
pub fn png(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(pixels)
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

/// A new admin and the product they just made.
async fn product_to_picture<'a>(app: &'a TestApp, title: &str, sku: &str) -> (Client<'a>, i64) {
    let category = any_category(app).await;
    let mut admin = admin(app).await;
    let reply = save(&mut admin, &product_form(title, &category, sku, &[])).await;
    (admin, reply.body.parse().unwrap())
}

/// The picture file a product names.
async fn image_of(app: &TestApp, id: i64) -> String {
    app.scalar_for("SELECT image FROM products WHERE id = $1", id)
        .await
}

/// Asks `app` for the uploaded copy `file`: a WebP picture `size` big, cached for a year.
async fn assert_serves_webp(app: &TestApp, file: &str, size: (u32, u32)) {
    let served = app.get(&format!("/media/uploads/{file}")).await;
    assert_eq!(served.status(), StatusCode::OK, "{file}");
    assert_eq!(served.headers()[header::CONTENT_TYPE], "image/webp");
    assert_eq!(
        served.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let body = axum::body::to_bytes(served.into_body(), usize::MAX)
        .await
        .unwrap();
    let picture = image::load_from_memory_with_format(&body, image::ImageFormat::WebP).unwrap();
    assert_eq!((picture.width(), picture.height()), size, "{file}");
}

async fn uploaded_pictures_are_sniffed_limited_and_cached(backend: Backend) {
    let app = seeded(backend).await;
    let (mut admin, id) = product_to_picture(&app, "Framed Heron Print", "FHP-1").await;

    let stored = upload(&mut admin, id, &png(1600, 1200, 1)).await;
    assert_eq!(stored.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&stored), format!("/admin/products/{id}?saved=1"));
    let file = image_of(&app, id).await;
    let stem = file
        .strip_suffix("-1280x960.webp")
        .unwrap_or_else(|| panic!("{file}"));
    assert!(stem.starts_with(&format!("{id}-")), "{file}");
    for (copy, size) in [
        ("320x240", (320, 240)),
        ("640x480", (640, 480)),
        ("1280x960", (1280, 960)),
    ] {
        assert_serves_webp(&app, &format!("{stem}-{copy}.webp"), size).await;
    }
    let page = admin.get("/p/framed-heron-print").await;
    let hero = format!(
        "srcset=\"/media/uploads/{stem}-320x240.webp 320w, /media/uploads/{stem}-640x480.webp 640w, \
         /media/uploads/{stem}-1280x960.webp 1280w\""
    );
    assert!(page.body.contains(&hero), "{}", page.body);
    assert!(page.body.contains(r#"width="1280" height="960""#));
    assert!(page.body.contains(r#"fetchpriority="high""#));

    let script = upload(&mut admin, id, b"<svg onload=\"alert(1)\"></svg>").await;
    assert_eq!(
        location(&script),
        format!("/admin/products/{id}?image_error=type")
    );
    let mut damaged = png(64, 64, 2);
    damaged.truncate(damaged.len() / 2);
    let unreadable = upload(&mut admin, id, &damaged).await;
    assert_eq!(
        location(&unreadable),
        format!("/admin/products/{id}?image_error=unreadable")
    );
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    huge.resize(emporium::catalog::images::MAX_IMAGE_BYTES + 1, 0);
    let too_large = upload(&mut admin, id, &huge).await;
    assert_eq!(
        location(&too_large),
        format!("/admin/products/{id}?image_error=too-large")
    );
    huge.resize(2 * emporium::catalog::images::MAX_IMAGE_BYTES, 0);
    let far_too_large = upload(&mut admin, id, &huge).await;
    assert_eq!(far_too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    let unchanged = image_of(&app, id).await;
    assert_eq!(unchanged, file);

    let mut customer = register(&app, "Pia", &unique_email("pia")).await;
    let small = png(8, 8, 3);
    assert_eq!(
        upload(&mut customer, id, &small).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        upload(&mut app.client(), id, &small).await.status,
        StatusCode::UNAUTHORIZED
    );
    for probe in ["..%2F..%2Fsecret.key", "secret.key", "x.svg", "nothing.png"] {
        assert_eq!(
            app.get(&format!("/media/uploads/{probe}")).await.status(),
            StatusCode::NOT_FOUND,
            "{probe}"
        );
    }
}

async fn pictures_in_a_shared_bucket_are_served_by_every_node(backend: Backend) {
    let store = ObjectStore::start("pictures").await;
    let env = store.env("pictures", "live/shop");
    let app = spawn_app_with(backend, &env).await;
    emporium::catalog::seed::seed(app.db(), 5, 1).await.unwrap();
    let (mut admin, id) = product_to_picture(&app, "Shared Heron Print", "SHP-1").await;

    let stored = upload(&mut admin, id, &png(500, 250, 1)).await;
    assert_eq!(location(&stored), format!("/admin/products/{id}?saved=1"));
    let file = image_of(&app, id).await;
    let stem = file
        .strip_suffix("-500x250.webp")
        .unwrap_or_else(|| panic!("{file}"));
    assert!(
        !app.state().config.data_dir.join("media").exists(),
        "nothing is kept on the node's disk"
    );
    // Another node, with its own database and data folder, serves it from the bucket.
    let other = spawn_app_with(backend, &env).await;
    for node in [&app, &other] {
        assert_serves_webp(node, &format!("{stem}-320x160.webp"), (320, 160)).await;
        assert_serves_webp(node, &file, (500, 250)).await;
    }
    assert_eq!(
        other.get("/media/uploads/1-0a0b.png").await.status(),
        StatusCode::NOT_FOUND
    );
    // A new picture takes the old one's copies out of the bucket.
    upload(&mut admin, id, &png(500, 250, 3)).await;
    let old = [file.clone(), format!("{stem}-320x160.webp")];
    let file = image_of(&app, id).await;
    assert_ne!(file, old[0]);
    for gone in old {
        assert_eq!(
            other.get(&format!("/media/uploads/{gone}")).await.status(),
            StatusCode::NOT_FOUND,
            "{gone}"
        );
    }
    assert_serves_webp(&other, &file, (500, 250)).await;

    // The store is gone: reads and writes say so with a 503 (not a 404 a cache would keep)
    // and the product keeps its picture.
    drop(store);
    assert_eq!(
        other.get(&format!("/media/uploads/{file}")).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        upload(&mut admin, id, &png(500, 250, 2)).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let kept = image_of(&app, id).await;
    assert_eq!(kept, file);
}

/// The files in the node's picture folder that belong to product `id`.
fn stored_copies(app: &TestApp, id: i64) -> Vec<String> {
    let folder = app.state().config.data_dir.join("media/uploads");
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .filter(|name| name.starts_with(&format!("{id}-")))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The copies `image` names, as the product page would ask for them.
fn copies_of(image: &str) -> Vec<String> {
    let stem = image.strip_suffix("-640x480.webp").unwrap();
    let mut names = vec![format!("{stem}-320x240.webp"), image.to_owned()];
    names.sort();
    names
}

async fn a_products_old_pictures_leave_the_store(backend: Backend) {
    let app = seeded(backend).await;
    let (mut admin, id) = product_to_picture(&app, "Framed Crane Print", "FCP-1").await;

    upload(&mut admin, id, &png(640, 480, 1)).await;
    let first = image_of(&app, id).await;
    assert_eq!(stored_copies(&app, id), copies_of(&first));
    // A new picture takes the old one's place in the store too.
    upload(&mut admin, id, &png(640, 480, 2)).await;
    let second = image_of(&app, id).await;
    assert_ne!(second, first);
    assert_eq!(stored_copies(&app, id), copies_of(&second));
    assert_eq!(
        app.get(&format!("/media/uploads/{first}")).await.status(),
        StatusCode::NOT_FOUND
    );
    // The same picture again keeps its files.
    upload(&mut admin, id, &png(640, 480, 2)).await;
    assert_eq!(image_of(&app, id).await, second);
    assert_eq!(stored_copies(&app, id), copies_of(&second));
    // A picture whose change cannot be saved (its audit entry cannot be written) leaves no
    // copies behind, and the same picture again keeps the files the product shows.
    app.hide_table("audit_log").await;
    for picture in [png(640, 480, 5), png(640, 480, 2)] {
        let reply = upload(&mut admin, id, &picture).await;
        assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(image_of(&app, id).await, second);
        assert_eq!(stored_copies(&app, id), copies_of(&second));
    }
    app.restore_table("audit_log").await;

    let reply = admin
        .call("delete_product", &[("id", &id.to_string())])
        .await;
    assert!(
        reply.status.is_success() || reply.status.is_redirection(),
        "{}",
        reply.body
    );
    assert_eq!(stored_copies(&app, id), Vec::<String>::new());
    // A picture sent for a product deleted meanwhile is not kept.
    assert_eq!(
        upload(&mut admin, id, &png(640, 480, 3)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(stored_copies(&app, id), Vec::<String>::new());

    // Deleted through the API, the same.
    let (_, other) = product_to_picture(&app, "Framed Stork Print", "FSP-1").await;
    upload(&mut admin, other, &png(640, 480, 4)).await;
    assert_eq!(stored_copies(&app, other).len(), 2);
    let key = crate::api_keys::make_key(&app, "PIM", &["catalog:write"]).await;
    let deleted = app
        .request(
            axum::http::Request::delete(format!("/api/v1/products/{other}"))
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(stored_copies(&app, other), Vec::<String>::new());
}

/// The picture and catalog uploads only take posts; opened as a page (a reload, a pasted
/// address), each leads to the page that holds its form instead of a bare 405.
async fn upload_addresses_opened_in_the_browser_lead_to_their_forms(backend: Backend) {
    let app = seeded(backend).await;
    let mut admin = admin(&app).await;
    for (address, form) in [
        ("/admin/products/import", "/admin/products"),
        ("/admin/products/7/image", "/admin/products/7"),
    ] {
        let reply = admin.get(address).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{address}");
        assert_eq!(location(&reply), form);
    }
}

async fn the_dashboard_lists_active_variants_running_out_lowest_first(backend: Backend) {
    let app = spawn_app_with(backend, &[("EMPORIUM_LOW_STOCK", "3".into())]).await;
    emporium::catalog::seed::seed(app.db(), 6, 21)
        .await
        .unwrap();
    let variants: Vec<(i64, i64)> = app
        .rows("SELECT id, product_id FROM product_variants ORDER BY id")
        .await;
    let set = |stock: i64, id: i64| {
        sqlx::query("UPDATE product_variants SET stock = $1 WHERE id = $2")
            .bind(stock)
            .bind(id)
            .execute(app.db().pool())
    };
    app.execute("UPDATE products SET status = 'active'").await;
    app.execute("UPDATE product_variants SET stock = 50").await;
    for (stock, (id, _)) in [3, 0, 4, 2].into_iter().zip(&variants) {
        set(stock, *id).await.unwrap();
    }
    // An archived product's empty variant is nobody's worry.
    let (last, archived) = *variants.last().unwrap();
    set(0, last).await.unwrap();
    app.execute_for(
        "UPDATE products SET status = 'archived' WHERE id = $1",
        archived,
    )
    .await;

    let mut owner = admin(&app).await;
    let reply = owner.call_ok("admin_low_stock", &[]).await;
    let low: emporium::admin::api::LowStock = serde_json::from_str(&reply.body).unwrap();
    assert_eq!((low.threshold, low.total), (3, 3));
    let stocks: Vec<i64> = low.variants.iter().map(|v| v.stock).collect();
    assert_eq!(stocks, [0, 2, 3]);
    assert_eq!(low.variants[0].product_id, variants[1].1);
    let page = owner.get("/admin").await;
    assert!(page.body.contains("Low stock"), "{}", page.body);
}
