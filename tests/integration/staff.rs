//! Staff roles and the audit log on both databases: every admin server function checks the
//! permission it needs, walked for every role; every admin change is logged with who, what,
//! before → after, the request id and the address, and only the owner reads the log; so is what
//! the `emporium` command line changes (owner accounts, API keys).

use crate::{
    admin::{png, upload},
    on_both_backends,
    product_csv::upload as upload_csv,
    support::{
        Backend, Client, PASSWORD, TestApp, admin, register, spawn_app, staff, unique_email,
    },
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use emporium::{
    accounts::{db::upsert_admin, model::Email},
    audit::api::AuditEntry,
    integrations::{model::ApiKeyForm, service::issue},
    platform::{
        audit::{Action, Entry},
        auth::{Permission, Role},
        db::now_ms,
    },
    ui::Page,
};

on_both_backends!(
    every_admin_function_checks_its_permission_for_every_role,
    admin_changes_are_logged_with_who_what_and_where,
    changes_that_cannot_be_logged_are_not_made,
    the_command_lines_changes_are_logged,
);

/// A server function and arguments it decodes (so a refusal is the permission's, not the
/// input's) that change nothing when allowed.
type Guarded = (&'static str, &'static [(&'static str, &'static str)]);

/// Every server function that checks a permission, by the permission it needs.
const MATRIX: &[(Permission, &[Guarded])] = &[
    (
        Permission::ReadAnalytics,
        &[("admin_overview", &[]), ("admin_analytics", &[])],
    ),
    (
        Permission::EditCatalog,
        &[
            ("admin_products", &[]),
            ("admin_low_stock", &[]),
            ("admin_product", &[("id", "999999")]),
            ("save_product", &[("product[title]", "")]),
            (
                "set_product_status",
                &[("id", "999999"), ("status", "draft")],
            ),
            ("delete_product", &[("id", "999999")]),
            ("product_import", &[("id", "999999")]),
            ("confirm_import", &[("id", "999999")]),
            ("admin_categories", &[]),
            ("save_category", &[("name", "")]),
            ("delete_category", &[("id", "999999")]),
            ("admin_promotions", &[]),
            ("save_promotion", &[("promotion[name]", "")]),
            (
                "set_promotion_active",
                &[("id", "999999"), ("active", "false")],
            ),
            ("remove_review", &[("id", "999999")]),
        ],
    ),
    (
        Permission::ReadOrders,
        &[
            ("admin_orders", &[]),
            ("admin_order", &[("number", "NOPE")]),
        ],
    ),
    (
        Permission::HandleOrders,
        &[
            (
                "set_order_status",
                &[("number", "NOPE"), ("status", "paid")],
            ),
            (
                "refund_order",
                &[("number", "NOPE"), ("refund[amount]", "1.00")],
            ),
            ("resend_refund", &[("number", "NOPE"), ("id", "999999")]),
            (
                "ship_order",
                &[("number", "NOPE"), ("shipment[carrier]", "")],
            ),
            (
                "advance_return",
                &[("number", "NOPE"), ("id", "999999"), ("to", "approved")],
            ),
        ],
    ),
    (Permission::ReadCustomers, &[("admin_users", &[])]),
    (
        Permission::ManageStaff,
        &[("set_user_role", &[("id", "999999"), ("role", "support")])],
    ),
    (
        Permission::ManageIntegrations,
        &[
            ("admin_api_keys", &[]),
            ("api_reference", &[]),
            ("create_api_key", &[("key[name]", "")]),
            ("revoke_api_key", &[("id", "999999")]),
            ("admin_webhooks", &[]),
            ("create_webhook", &[("webhook[url]", "")]),
            (
                "set_webhook_active",
                &[("id", "999999"), ("active", "false")],
            ),
            ("delete_webhook", &[("id", "999999")]),
            ("admin_webhook", &[("id", "999999")]),
            (
                "resend_webhook",
                &[("endpoint", "999999"), ("delivery", "999999")],
            ),
        ],
    ),
    (Permission::ReadAudit, &[("admin_audit", &[])]),
];

/// The server functions whose source calls `require(Permission::…)`, read from `src/`.
fn guarded_endpoints() -> Vec<String> {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for chunk in text.split("#[server(endpoint = \"").skip(1) {
                    if chunk.contains("require(Permission::") {
                        found.push(chunk[..chunk.find('"').unwrap()].to_owned());
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    found.sort();
    found
}

async fn every_admin_function_checks_its_permission_for_every_role(backend: Backend) {
    let mut listed: Vec<String> = MATRIX
        .iter()
        .flat_map(|(_, calls)| calls.iter().map(|(f, _)| f.to_string()))
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        guarded_endpoints(),
        "every guarded server function is in the matrix"
    );

    let app = spawn_app(backend).await;
    let customer = register(&app, "Cy", &unique_email("cy")).await;
    let mut callers: Vec<(Role, Client<'_>)> = vec![(Role::Customer, customer)];
    for role in [Role::Owner, Role::Catalog, Role::Orders, Role::Support] {
        callers.push((role, staff(&app, role.as_str()).await.0));
    }
    let logged: i64 = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    for (role, client) in &mut callers {
        for (permission, function, form) in MATRIX.iter().flat_map(|(permission, calls)| {
            calls.iter().map(move |(f, form)| (permission, f, form))
        }) {
            let reply = client.call(function, form).await;
            if role.can(*permission) {
                assert!(
                    ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&reply.status)
                        && !reply.status.is_server_error(),
                    "{role:?} may call {function}: {} {}",
                    reply.status,
                    reply.body
                );
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{role:?} may not call {function}: {}",
                    reply.body
                );
            }
        }
        // The picture upload is a plain handler with the same check.
        let upload = Request::post("/admin/products/999999/image")
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=x")
            .header(header::ORIGIN, "http://shop.test")
            .body(Body::from("--x--\r\n"))
            .unwrap();
        let status = client.send(upload).await.status;
        assert_eq!(
            status == StatusCode::FORBIDDEN,
            !role.can(Permission::EditCatalog),
            "{role:?} uploading a picture: {status}"
        );
    }
    let now: i64 = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    assert_eq!(now, logged, "no call of the matrix changed anything");
}

/// The form that makes "Tall mug" (SKU MUG-T at 9.50, 4 in stock) in the category "mugs".
const TALL_MUG: [(&str, &str); 7] = [
    ("product[title]", "Tall mug"),
    ("product[brand]", "Potter"),
    ("product[category]", "mugs"),
    ("product[status]", "active"),
    ("product[variants][0][sku]", "MUG-T"),
    ("product[variants][0][price]", "9.50"),
    ("product[variants][0][stock]", "4"),
];

/// Makes the tall mug through `client`; returns its id and its variant's id.
async fn make_tall_mug(app: &TestApp, client: &mut Client<'_>) -> (String, String) {
    let reply = client.call_ok("save_product", &TALL_MUG).await;
    let variant: i64 = app
        .scalar("SELECT id FROM product_variants WHERE sku = 'MUG-T'")
        .await;
    (reply.body.trim().to_owned(), variant.to_string())
}

/// The form that prices the tall mug (`id`, its variant `variant`) at 11.00.
fn repriced<'a>(id: &'a str, variant: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form = TALL_MUG.to_vec();
    form[5].1 = "11.00";
    form.extend([("product[id]", id), ("product[variants][0][id]", variant)]);
    form
}

async fn entries(client: &mut Client<'_>, form: &[(&str, &str)]) -> Vec<AuditEntry> {
    let reply = client.call_ok("admin_audit", form).await;
    serde_json::from_str::<Page<AuditEntry>>(&reply.body)
        .unwrap()
        .rows
}

async fn admin_changes_are_logged_with_who_what_and_where(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut owner = admin(&app).await;
    let (mut catalog, catalog_email) = staff(&app, "catalog").await;
    let shopper = unique_email("shopper");
    register(&app, "Sue", &shopper).await;

    catalog
        .call_ok("save_category", &[("name", "Mugs"), ("parent", "")])
        .await;
    let (id, variant) = make_tall_mug(&app, &mut catalog).await;
    catalog
        .call_ok("save_product", &repriced(&id, &variant))
        .await;
    // A refused change is not logged.
    let reply = catalog
        .call("set_product_status", &[("id", &id), ("status", "gone")])
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);

    let found = owner.call("admin_users", &[("q", &shopper)]).await;
    let found: serde_json::Value = serde_json::from_str(&found.body).unwrap();
    let account = found["accounts"]["rows"][0]["id"].to_string();
    owner
        .call_ok("set_user_role", &[("id", &account), ("role", "support")])
        .await;

    let log = entries(&mut owner, &[]).await;
    // The oldest two: `create-admin` making the owner's and the catalog manager's accounts (the
    // test's `staff` then lowers the role in the database).
    let (log, made) = log.split_at(4);
    assert_eq!(made.len(), 2);
    assert!(made.iter().all(|e| e.actor == "command line"
        && e.action == Action::RoleChanged
        && e.summary == "New account → Owner"
        && e.request_id.is_empty()));
    let said: Vec<(Action, &str, &str)> = log
        .iter()
        .map(|e| (e.action, e.subject.as_str(), e.summary.as_str()))
        .collect();
    let product_subject = format!("product {id}");
    let account_subject = format!("account {account}");
    assert_eq!(
        said,
        [
            (
                Action::RoleChanged,
                account_subject.as_str(),
                "Customer → Support"
            ),
            (
                Action::ProductSaved,
                product_subject.as_str(),
                "MUG-T price: 9.50 → 11.00"
            ),
            (
                Action::ProductSaved,
                product_subject.as_str(),
                "created “Tall mug”"
            ),
            (Action::CategorySaved, said[3].1, "“Mugs”, a department"),
        ]
    );
    assert!(
        log[1..]
            .iter()
            .all(|e| e.actor == catalog_email.to_lowercase())
    );
    assert!(
        log.iter()
            .all(|e| e.request_id.len() >= 16 && !e.ip.is_empty())
    );
    assert_ne!(log[0].request_id, log[1].request_id);

    let only: Vec<Action> = entries(&mut owner, &[("action", "staff.role")])
        .await
        .iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(only, [Action::RoleChanged; 3]);
    let by_catalog = entries(&mut owner, &[("actor", &catalog_email.to_uppercase())]).await;
    assert_eq!(by_catalog.len(), 3);
    let reply = owner.call("admin_audit", &[("action", "drop")]).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("Unknown action"), "{}", reply.body);
}

/// `emporium create-admin` and `emporium api-key` are logged as the command line's, in their
/// own transactions: with the log's table renamed away neither makes anything.
async fn the_command_lines_changes_are_logged(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email("cy");
    register(&app, "Cy", &email).await;
    let email = Email::parse(&email).unwrap();
    let hash = app.state().passwords.hash(PASSWORD.into()).await.unwrap();
    let key = ApiKeyForm {
        name: "ERP".into(),
        scopes: vec!["catalog:read".into()],
    };
    let key_entry = || Entry::command_line(Action::ApiKeyCreated);
    let state = [
        "SELECT COUNT(*) FROM users WHERE role = 'owner'",
        "SELECT COUNT(*) FROM users",
        "SELECT COUNT(*) FROM api_keys",
    ];
    let before = app.figures(&state).await;
    let new_owner = Email::parse(&unique_email("owner")).unwrap();
    app.hide_table("audit_log").await;
    assert!(
        upsert_admin(app.db(), &email, &hash, now_ms())
            .await
            .is_err()
    );
    assert!(
        upsert_admin(app.db(), &new_owner, &hash, now_ms())
            .await
            .is_err()
    );
    assert!(issue(app.db(), &key, key_entry(), now_ms()).await.is_err());
    assert_eq!(app.figures(&state).await, before, "nothing was made");
    app.restore_table("audit_log").await;

    assert!(
        !upsert_admin(app.db(), &email, &hash, now_ms())
            .await
            .unwrap()
    );
    assert!(
        upsert_admin(app.db(), &new_owner, &hash, now_ms())
            .await
            .unwrap()
    );
    let issued = issue(app.db(), &key, key_entry(), now_ms()).await.unwrap();
    let logged: Vec<(String, String, String, String)> = app
        .rows("SELECT actor, action, summary, ip FROM audit_log ORDER BY id")
        .await;
    let line = |action: &str, summary: String| {
        (
            "command line".to_owned(),
            action.to_owned(),
            summary,
            String::new(),
        )
    };
    assert_eq!(
        logged,
        [
            line("staff.role", "Customer, new password → Owner".into()),
            line("staff.role", "New account → Owner".into()),
            line(
                "api_key.created",
                format!("“ERP” {}, catalog:read", issued.view.prefix)
            ),
        ]
    );
}

/// What the changes below would alter, one figure each.
const STATE: &[&str] = &[
    "SELECT COUNT(*) FROM products",
    "SELECT COUNT(*) FROM products WHERE status = 'active'",
    "SELECT CAST(SUM(price_minor) AS BIGINT) FROM product_variants",
    "SELECT COUNT(*) FROM categories",
    "SELECT COUNT(*) FROM products WHERE image <> ''",
    "SELECT COUNT(*) FROM promotions",
    "SELECT COUNT(*) FROM promotions WHERE active = 1",
    "SELECT COUNT(*) FROM reviews",
    "SELECT COUNT(*) FROM users WHERE role = 'customer'",
    "SELECT COUNT(*) FROM api_keys",
    "SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL",
    "SELECT COUNT(*) FROM webhook_endpoints",
    "SELECT COUNT(*) FROM webhook_endpoints WHERE active = 1",
    "SELECT COUNT(*) FROM webhook_deliveries",
    "SELECT COUNT(*) FROM product_imports WHERE confirmed_at IS NOT NULL",
];

/// Every admin change writes its audit entry in its own transaction: when the entry cannot be
/// written (here the log's table is renamed away), the change is not made either, and the
/// caller hears it failed instead of retrying a change that was made.
async fn changes_that_cannot_be_logged_are_not_made(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut owner = admin(&app).await;
    owner
        .call_ok("save_category", &[("name", "Mugs"), ("parent", "")])
        .await;
    let spare = owner
        .call_ok("save_category", &[("name", "Spare"), ("parent", "")])
        .await;
    let spare = spare.body.trim().to_owned();
    let (id, variant) = make_tall_mug(&app, &mut owner).await;
    let repriced = repriced(&id, &variant);
    let mut another = TALL_MUG.to_vec();
    another[0].1 = "Short mug";
    another[4].1 = "MUG-S";
    let promotion = [
        ("promotion[code]", "TEN"),
        ("promotion[name]", "Ten off"),
        ("promotion[kind]", "percent"),
        ("promotion[value]", "10"),
    ];
    let promotion_id = owner.call_ok("save_promotion", &promotion).await;
    let promotion_id = promotion_id.body.trim().to_owned();
    let mut renamed = promotion.to_vec();
    renamed[1].1 = "Ten percent off";
    renamed.push(("id", &promotion_id));
    let five = [
        ("promotion[code]", "FIVE"),
        ("promotion[name]", "Five off"),
        ("promotion[kind]", "percent"),
        ("promotion[value]", "5"),
    ];
    let shopper = unique_email("sue");
    let mut sue = register(&app, "Sue", &shopper).await;
    let slug: String = app.scalar("SELECT slug FROM products").await;
    let review = [
        ("slug", slug.as_str()),
        ("review[rating]", "4"),
        ("review[title]", ""),
        ("review[body]", "Holds a lot of tea."),
    ];
    sue.call_ok("save_review", &review).await;
    let review_id: i64 = app.scalar("SELECT id FROM reviews").await;
    let review_id = review_id.to_string();
    let sue_id: i64 = app
        .scalar_for(
            "SELECT id FROM users WHERE email = $1",
            shopper.to_lowercase(),
        )
        .await;
    let sue_id = sue_id.to_string();
    let key = [("key[name]", "ERP"), ("key[scopes][0]", "catalog:read")];
    let issued = owner.call_ok("create_api_key", &key).await;
    let issued: serde_json::Value = serde_json::from_str(&issued.body).unwrap();
    let key_id = issued["view"]["id"].to_string();
    let hook = [
        ("webhook[url]", "https://erp.example/hooks"),
        ("webhook[events][0]", "order.paid"),
    ];
    let issued = owner.call_ok("create_webhook", &hook).await;
    let issued: serde_json::Value = serde_json::from_str(&issued.body).unwrap();
    let hook_id = issued["view"]["id"].to_string();
    app.execute_for(
        "INSERT INTO webhook_deliveries (endpoint_id, event, kind, payload, created_at, attempts, \
             next_attempt_at, last_error) VALUES ($1, 'evt_1', 'order.paid', '{}', 0, 1, NULL, 'gone')",
        hook_id.parse::<i64>().unwrap(),
    )
    .await;
    let delivery: i64 = app.scalar("SELECT id FROM webhook_deliveries").await;
    let delivery = delivery.to_string();
    let import = upload_csv(
        &mut owner,
        "Handle,Variant SKU,Variant Price\njug,JUG-1,4.00\n",
    )
    .await;
    let import = import.to_string();

    let logged: i64 = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    let changes: &[(&str, &[(&str, &str)])] = &[
        ("save_product", &repriced),
        ("save_product", &another),
        ("set_product_status", &[("id", &id), ("status", "archived")]),
        ("save_category", &[("name", "Jugs"), ("parent", "")]),
        ("save_promotion", &renamed),
        ("save_promotion", &five),
        (
            "set_promotion_active",
            &[("id", &promotion_id), ("active", "false")],
        ),
        ("remove_review", &[("id", &review_id)]),
        ("set_user_role", &[("id", &sue_id), ("role", "support")]),
        ("create_api_key", &key),
        ("revoke_api_key", &[("id", &key_id)]),
        ("create_webhook", &hook),
        (
            "set_webhook_active",
            &[("id", &hook_id), ("active", "false")],
        ),
        (
            "resend_webhook",
            &[("endpoint", &hook_id), ("delivery", &delivery)],
        ),
        ("confirm_import", &[("id", &import)]),
        ("delete_webhook", &[("id", &hook_id)]),
        ("delete_product", &[("id", &id)]),
        ("delete_category", &[("id", &spare)]),
    ];
    let picture = png(64, 48, 7);
    let product: i64 = id.parse().unwrap();
    owner
        .changes_fail_without("audit_log", changes, STATE, async |owner| {
            let reply = upload(owner, product, &picture).await;
            assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
        })
        .await;

    let reply = upload(&mut owner, product, &picture).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    for (function, form) in changes {
        owner.call_ok(function, form).await;
    }
    let now: i64 = app.scalar("SELECT COUNT(*) FROM audit_log").await;
    assert_eq!(now, logged + 1 + changes.len() as i64);
}
