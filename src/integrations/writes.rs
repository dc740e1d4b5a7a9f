//! The REST API's writes: products (create, replace, delete), stock by SKU (one, or up to 500
//! at once), and order status moves. They keep the admin's rules (the product form's checks,
//! the order desk's moves), answer with what is stored now and its `ETag`, refuse a stale
//! `If-Match` with 412 (checked and written in one transaction), honour `Idempotency-Key` on
//! POST, and append to the audit log in the key's name.

use super::{
    idempotency::{self, Answer, IdempotencyKey},
    model::Scope,
    rest::{Problem, require, status_of},
    service::{Caller, KEY_START},
};
use crate::{
    admin::{
        db::delete_product_in,
        model::{MAX_STOCK, ProductForm, VariantForm, changes},
        service::save_product_in,
    },
    catalog::{
        db::{ProductRecord, VariantRecord, product_record_in},
        images::remove_picture,
    },
    error::{AppError, FieldError},
    fulfilment::service::change_status,
    platform::{
        audit::{Action, Actor, Entry, Origin},
        db::{Backend, Db},
        http::ClientAddress,
        state::AppState,
        tokens::hash_token,
    },
    search::{
        index::SearchIndex,
        sync::{record_change, reindex_now},
    },
};
use axum::{
    Extension,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::ToSchema;

/// SKUs one inventory request may set.
pub const MAX_BATCH: usize = 500;

/// A product as the API writes it: the whole product, like the admin's form. Money in minor
/// units.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductWrite {
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    /// Lower-case letters, digits and hyphens; made from the title when absent.
    #[serde(default)]
    #[schema(max_length = 100)]
    slug: String,
    #[schema(min_length = 1, max_length = 100)]
    brand: String,
    /// The category's slug.
    category: String,
    #[serde(default)]
    #[schema(max_length = 10000)]
    description: String,
    /// `active`, `draft` or `archived`.
    status: String,
    /// Every variant the product has from now on: one with an `id`, or the SKU of an existing
    /// one, is changed; the rest are added; existing ones left out are removed.
    #[schema(min_items = 1, max_items = 50)]
    variants: Vec<VariantWrite>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantWrite {
    #[serde(default, deserialize_with = "whole::option::deserialize")]
    id: Option<i64>,
    /// Letters, digits and hyphens; stored in capitals.
    #[schema(min_length = 1, max_length = 64)]
    sku: String,
    /// "Size=M; Colour=Red".
    #[serde(default)]
    options: String,
    #[serde(deserialize_with = "whole::deserialize")]
    #[schema(minimum = 0)]
    price_minor: i64,
    /// Above the price, or absent.
    #[serde(default, deserialize_with = "whole::option::deserialize")]
    #[schema(minimum = 0)]
    compare_at_minor: Option<i64>,
    #[serde(deserialize_with = "whole::deserialize")]
    #[schema(minimum = 0, maximum = 1000000)]
    stock: i64,
}

/// A whole number as JSON may write it: `12` or `12.0` (JSON Schema's "integer" allows both).
mod whole {
    use serde::{Deserialize, Deserializer, de::Error};

    fn of(number: serde_json::Number) -> Option<i64> {
        number.as_i64().or_else(|| {
            let float = number.as_f64()?;
            // Without a fraction and within i64 (2^63 is exact as a float): the cast is exact.
            let bound = 9_223_372_036_854_775_808.0;
            (float.fract() == 0.0 && (-bound..bound).contains(&float)).then_some(float as i64)
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<i64, D::Error> {
        of(serde_json::Number::deserialize(from)?)
            .ok_or_else(|| D::Error::custom("expected a whole number"))
    }

    pub mod option {
        use serde::{Deserialize, Deserializer, de::Error};

        pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Option<i64>, D::Error> {
            match Option::<serde_json::Number>::deserialize(from)? {
                None => Ok(None),
                Some(number) => super::of(number)
                    .map(Some)
                    .ok_or_else(|| D::Error::custom("expected a whole number")),
            }
        }
    }
}

/// Minor units as the product form takes them ("9.50").
fn amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    format!("{sign}{}.{:02}", minor / 100, minor % 100)
}

impl ProductWrite {
    /// The product form this write fills in over `existing` variants (of product `id`), or
    /// 422 for a variant id that is not one of them.
    fn form(&self, id: Option<i64>, existing: &[VariantRecord]) -> Result<ProductForm, AppError> {
        let unknown: Vec<FieldError> = self
            .variants
            .iter()
            .enumerate()
            .filter(|(_, v)| v.id.is_some_and(|id| existing.iter().all(|e| e.id != id)))
            .map(|(i, _)| {
                FieldError::new(
                    format!("variants[{i}][id]"),
                    "No variant of this product has this id.",
                )
            })
            .collect();
        if !unknown.is_empty() {
            return Err(AppError::Invalid(unknown));
        }
        let find = |v: &VariantWrite| {
            existing
                .iter()
                .find(|e| Some(e.id) == v.id || e.sku.eq_ignore_ascii_case(v.sku.trim()))
        };
        let mut variants: Vec<VariantForm> = self
            .variants
            .iter()
            .map(|v| VariantForm {
                id: find(v).map(|e| e.id),
                sku: v.sku.clone(),
                options: v.options.clone(),
                price: amount(v.price_minor),
                compare_at: v.compare_at_minor.map(amount).unwrap_or_default(),
                stock: v.stock.to_string(),
                remove: None,
            })
            .collect();
        let kept: Vec<Option<i64>> = variants.iter().map(|v| v.id).collect();
        variants.extend(
            existing
                .iter()
                .filter(|e| !kept.contains(&Some(e.id)))
                .map(|e| VariantForm {
                    id: Some(e.id),
                    remove: Some("on".into()),
                    ..VariantForm::default()
                }),
        );
        Ok(ProductForm {
            id,
            title: self.title.clone(),
            slug: self.slug.clone(),
            brand: self.brand.clone(),
            category: self.category.clone(),
            description: self.description.clone(),
            status: self.status.clone(),
            variants,
        })
    }
}

/// A record as the product form shows it, to say what a write changed.
fn form_of(record: &ProductRecord) -> ProductForm {
    ProductForm {
        id: Some(record.id),
        title: record.title.clone(),
        slug: record.slug.clone(),
        brand: record.brand.clone(),
        category: record.category.clone(),
        description: record.description.clone(),
        status: record.status.clone(),
        variants: record
            .variants
            .iter()
            .map(|v| VariantForm {
                id: Some(v.id),
                sku: v.sku.clone(),
                options: v.options.clone(),
                price: amount(v.price_minor),
                compare_at: v.compare_at_minor.map(amount).unwrap_or_default(),
                stock: v.stock.to_string(),
                remove: None,
            })
            .collect(),
    }
}

/// The strong `ETag` of what a resource says now: a digest of its JSON.
fn etag_of(value: &impl Serialize) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    format!("\"{}\"", &hash_token(&json)[..32])
}

/// 412 when the request's `If-Match` names none of `etag` (or `*`); no `If-Match` always holds.
fn check_if_match(headers: &HeaderMap, etag: &str) -> Result<(), Problem> {
    let Some(wanted) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    let holds = wanted.to_str().is_ok_and(|w| {
        w.split(',')
            .any(|tag| matches!(tag.trim(), "*") || tag.trim() == etag)
    });
    if holds {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::PRECONDITION_FAILED,
            "It changed since you read it (If-Match no longer holds): read it again and redo the change.",
        ))
    }
}

/// A JSON body, or 400 saying what is wrong with it; 422 for text holding the NUL character,
/// which no database keeps.
fn body_of<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    let bad = |detail: String| Problem::new(StatusCode::BAD_REQUEST, detail);
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| bad(format!("The body is not JSON: {error}.")))?;
    if let Some(field) = nul_at(&value, String::new()) {
        let error = FieldError::new(field, "Text may not hold the NUL character.");
        return Err(problem(AppError::Invalid(vec![error])));
    }
    serde_json::from_value(value).map_err(|error| {
        bad(format!(
            "The body is not the JSON this route takes: {error}."
        ))
    })
}

/// Where in `value` (under `path`, as `variants[0][sku]`) text holds the NUL character.
fn nul_at(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let inside = |path: &str, key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}[{key}]")
        }
    };
    match value {
        Value::String(text) => text.contains('\0').then_some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_at(item, inside(&path, &i.to_string()))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let at = inside(&path, key);
            if key.contains('\0') {
                Some(at)
            } else {
                nul_at(item, at)
            }
        }),
        _ => None,
    }
}

/// A name from the path (a SKU, an order number): 404 for one no row can have.
fn name_of(text: &str, missing: &str) -> Result<String, Problem> {
    if text.is_empty() || text.contains('\0') {
        Err(Problem::new(StatusCode::NOT_FOUND, missing))
    } else {
        Ok(text.to_owned())
    }
}

pub(super) fn id_of(text: &str) -> Result<i64, Problem> {
    text.parse()
        .map_err(|_| Problem::new(StatusCode::BAD_REQUEST, "A product id is a whole number."))
}

fn problem(error: impl Into<AppError>) -> Problem {
    Problem::from(error.into())
}

/// Writes the audit log's entry for a change made in the key's name, with the request's id and
/// address, inside the change's transaction `tx`.
async fn log(
    tx: &mut sqlx::AnyConnection,
    caller: &Caller,
    headers: &HeaderMap,
    client: &Option<Extension<ClientAddress>>,
    action: Action,
    subject: String,
    summary: String,
) -> Result<(), Problem> {
    entry(caller, headers, client, action)
        .about(subject, summary)
        .write(tx)
        .await
        .map_err(problem)
}

/// The audit log's entry for `action` made in the key's name, in this request.
fn entry(
    caller: &Caller,
    headers: &HeaderMap,
    client: &Option<Extension<ClientAddress>>,
    action: Action,
) -> Entry {
    let name = format!("{KEY_START}{}", caller.prefix);
    Entry::new(
        Actor::ApiKey(name),
        action,
        Origin::new(headers, client.as_deref()),
    )
}

/// Locks a product's rows until the transaction ends (PostgreSQL; SQLite's write transaction
/// holds the whole database already), so what `If-Match` was checked against stays so.
async fn lock_product(db: &Db, tx: &mut sqlx::AnyConnection, id: i64) -> Result<(), sqlx::Error> {
    if db.backend() == Backend::Postgres {
        for sql in [
            "SELECT id FROM products WHERE id = $1 FOR UPDATE",
            "SELECT id FROM product_variants WHERE product_id = $1 FOR UPDATE",
        ] {
            sqlx::query(sql).bind(id).fetch_all(&mut *tx).await?;
        }
    }
    Ok(())
}

/// `value` as the answer, with its `ETag`.
pub fn tagged(status: StatusCode, value: &impl Serialize) -> Answer {
    Answer {
        etag: Some(etag_of(value)),
        ..Answer::json(status, value)
    }
}

/// `POST /api/v1/products` (catalog:write): a new product; 201 with `Location` and `ETag`.
#[utoipa::path(
    post,
    path = "/api/v1/products",
    tag = "catalog",
    security(("api_key" = ["catalog:write"])),
    request_body = ProductWrite,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = ProductRecord),
        (status = 400, description = "A body that is not a product"),
        (status = 403, description = "The key lacks catalog:write"),
        (status = 409, description = "The same Idempotency-Key is still being handled"),
        (status = 422, description = "Fields that are wrong, or an Idempotency-Key sent with another request"),
    )
)]
pub async fn create_product(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = require(&caller, Scope::CatalogWrite) {
        return refused.into_response();
    }
    let work = async {
        let write: ProductWrite = body_of(&body)?;
        let input = write.form(None, &[])?.check().map_err(AppError::Invalid)?;
        let mut tx = state.db.begin_write().await.map_err(problem)?;
        let id = save_product_in(&mut tx, &input).await?;
        let record = product_record_in(&mut tx, id)
            .await
            .map_err(problem)?
            .ok_or_else(|| problem(AppError::NotFound))?;
        let summary = format!("created “{}”", record.title);
        let subject = format!("product {id}");
        log(
            &mut tx,
            &caller,
            &headers,
            &client,
            Action::ProductSaved,
            subject,
            summary,
        )
        .await?;
        tx.commit().await.map_err(problem)?;
        reindex_now(&state, id).await;
        Ok(Answer {
            location: Some(format!("/api/v1/products/{id}")),
            ..tagged(StatusCode::CREATED, &record)
        })
    };
    idempotency::once(
        &state,
        &caller,
        &headers,
        &[b"POST /api/v1/products ", &body],
        work,
    )
    .await
}

/// `PUT /api/v1/products/{id}` (catalog:write): replaces the product (variants left out are
/// removed); with `If-Match`, only if it is still as read.
#[utoipa::path(
    put,
    path = "/api/v1/products/{id}",
    tag = "catalog",
    security(("api_key" = ["catalog:write"])),
    request_body = ProductWrite,
    params(
        ("id" = i64, Path, description = "The product's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag it was read with"),
    ),
    responses(
        (status = 200, description = "The product as stored now", body = ProductRecord),
        (status = 400, description = "A bad id or a body that is not a product"),
        (status = 403, description = "The key lacks catalog:write"),
        (status = 404, description = "No product has that id"),
        (status = 412, description = "It changed since it was read"),
        (status = 422, description = "Fields that are wrong"),
    )
)]
pub async fn replace_product(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Answer, Problem> {
    require(&caller, Scope::CatalogWrite)?;
    let id = id_of(&id)?;
    let write: ProductWrite = body_of(&body)?;
    let mut tx = state.db.begin_write().await.map_err(problem)?;
    lock_product(&state.db, &mut tx, id)
        .await
        .map_err(problem)?;
    let before = product_record_in(&mut tx, id)
        .await
        .map_err(problem)?
        .ok_or_else(|| problem(AppError::NotFound))?;
    // A body that is wrong is wrong whatever the product holds now: checked first.
    let input = write
        .form(Some(id), &before.variants)?
        .check()
        .map_err(AppError::Invalid)?;
    check_if_match(&headers, &etag_of(&before))?;
    save_product_in(&mut tx, &input).await?;
    let after = product_record_in(&mut tx, id)
        .await
        .map_err(problem)?
        .ok_or_else(|| problem(AppError::NotFound))?;
    let summary = changes(&form_of(&before), &form_of(&after));
    let subject = format!("product {id}");
    log(
        &mut tx,
        &caller,
        &headers,
        &client,
        Action::ProductSaved,
        subject,
        summary,
    )
    .await?;
    tx.commit().await.map_err(problem)?;
    reindex_now(&state, id).await;
    Ok(tagged(StatusCode::OK, &after))
}

/// `DELETE /api/v1/products/{id}` (catalog:write); with `If-Match`, only if it is still as
/// read.
#[utoipa::path(
    delete,
    path = "/api/v1/products/{id}",
    tag = "catalog",
    security(("api_key" = ["catalog:write"])),
    params(
        ("id" = i64, Path, description = "The product's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag it was read with"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "An id that is not a whole number"),
        (status = 403, description = "The key lacks catalog:write"),
        (status = 404, description = "No product has that id"),
        (status = 412, description = "It changed since it was read"),
    )
)]
pub async fn delete_product(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Answer, Problem> {
    require(&caller, Scope::CatalogWrite)?;
    let id = id_of(&id)?;
    let mut tx = state.db.begin_write().await.map_err(problem)?;
    lock_product(&state.db, &mut tx, id)
        .await
        .map_err(problem)?;
    let before = product_record_in(&mut tx, id)
        .await
        .map_err(problem)?
        .ok_or_else(|| problem(AppError::NotFound))?;
    check_if_match(&headers, &etag_of(&before))?;
    let image = delete_product_in(&mut tx, id).await.map_err(problem)?;
    let summary = format!("deleted “{}”", before.title);
    let subject = format!("product {id}");
    log(
        &mut tx,
        &caller,
        &headers,
        &client,
        Action::ProductDeleted,
        subject,
        summary,
    )
    .await?;
    tx.commit().await.map_err(problem)?;
    if let Some(image) = image {
        remove_picture(state.service(), &image).await;
    }
    reindex_now(&state, id).await;
    Ok(Answer::no_content())
}

/// A SKU's stock.
#[derive(Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct StockLevel {
    pub sku: String,
    pub product_id: i64,
    pub stock: i64,
}

/// The body of `PUT /api/v1/inventory/{sku}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockWrite {
    /// Units in stock, from 0 to 1,000,000.
    #[serde(deserialize_with = "whole::deserialize")]
    #[schema(minimum = 0, maximum = 1000000)]
    stock: i64,
}

/// The body of `PUT /api/v1/inventory`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockBatch {
    /// From 1 to 500 SKUs, each once.
    #[schema(min_items = 1, max_items = 500)]
    items: Vec<StockItem>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockItem {
    sku: String,
    #[serde(deserialize_with = "whole::deserialize")]
    #[schema(minimum = 0, maximum = 1000000)]
    stock: i64,
}

fn stock_in_range(stock: i64) -> bool {
    (0..=MAX_STOCK).contains(&stock)
}

const STOCK_RANGE: &str = "Stock is a whole number from 0 to 1,000,000.";
const NO_SKU: &str = "No variant has that SKU.";

/// Variant `id`'s stock as the API gives it (the data of an `inventory.low` webhook).
pub(super) async fn variant_stock(db: &Db, id: i64) -> Result<Option<StockLevel>, sqlx::Error> {
    sqlx::query_as("SELECT sku, product_id, stock FROM product_variants WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

async fn stock_level(
    conn: &mut sqlx::AnyConnection,
    sku: &str,
    lock: bool,
) -> Result<Option<StockLevel>, sqlx::Error> {
    let sql = format!(
        "SELECT sku, product_id, stock FROM product_variants WHERE sku = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    sqlx::query_as(&sql)
        .bind(sku.trim().to_ascii_uppercase())
        .fetch_optional(conn)
        .await
}

/// `GET /api/v1/inventory/{sku}` (catalog:read): a SKU's stock, with its `ETag`.
#[utoipa::path(
    get,
    path = "/api/v1/inventory/{sku}",
    tag = "inventory",
    security(("api_key" = ["catalog:read"])),
    params(("sku" = String, Path, description = "The variant's SKU")),
    responses(
        (status = 200, description = "The SKU's stock", body = StockLevel),
        (status = 403, description = "The key lacks catalog:read"),
        (status = 404, description = "No variant has that SKU"),
    )
)]
pub async fn stock(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(sku): Path<String>,
) -> Result<Answer, Problem> {
    require(&caller, Scope::CatalogRead)?;
    let sku = name_of(&sku, NO_SKU)?;
    let mut conn = state.db.pool().acquire().await.map_err(problem)?;
    let level = stock_level(&mut conn, &sku, false)
        .await
        .map_err(problem)?
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, NO_SKU))?;
    Ok(tagged(StatusCode::OK, &level))
}

/// `PUT /api/v1/inventory/{sku}` (inventory:write): sets a SKU's stock; with `If-Match`, only
/// if it is still as read.
#[utoipa::path(
    put,
    path = "/api/v1/inventory/{sku}",
    tag = "inventory",
    security(("api_key" = ["inventory:write"])),
    request_body = StockWrite,
    params(
        ("sku" = String, Path, description = "The variant's SKU"),
        ("If-Match" = Option<String>, Header, description = "The ETag it was read with"),
    ),
    responses(
        (status = 200, description = "The SKU's stock now", body = StockLevel),
        (status = 400, description = "A body that is not a stock level"),
        (status = 403, description = "The key lacks inventory:write"),
        (status = 404, description = "No variant has that SKU"),
        (status = 412, description = "It changed since it was read"),
        (status = 422, description = "A stock out of range"),
    )
)]
pub async fn set_stock(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    Path(sku): Path<String>,
    body: Bytes,
) -> Result<Answer, Problem> {
    require(&caller, Scope::InventoryWrite)?;
    let sku = name_of(&sku, NO_SKU)?;
    let write: StockWrite = body_of(&body)?;
    if !stock_in_range(write.stock) {
        return Err(problem(AppError::Invalid(vec![FieldError::new(
            "stock",
            STOCK_RANGE,
        )])));
    }
    let lock = state.db.backend() == Backend::Postgres;
    let mut tx = state.db.begin_write().await.map_err(problem)?;
    let before = stock_level(&mut tx, &sku, lock)
        .await
        .map_err(problem)?
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, NO_SKU))?;
    check_if_match(&headers, &etag_of(&before))?;
    sqlx::query("UPDATE product_variants SET stock = $1 WHERE sku = $2")
        .bind(write.stock)
        .bind(&before.sku)
        .execute(&mut *tx)
        .await
        .map_err(problem)?;
    record_change(&mut tx, Some(before.product_id))
        .await
        .map_err(problem)?;
    let summary = format!("{}: {} → {}", before.sku, before.stock, write.stock);
    let subject = format!("product {}", before.product_id);
    log(
        &mut tx,
        &caller,
        &headers,
        &client,
        Action::StockSet,
        subject,
        summary,
    )
    .await?;
    tx.commit().await.map_err(problem)?;
    reindex_now(&state, before.product_id).await;
    Ok(tagged(
        StatusCode::OK,
        &StockLevel {
            stock: write.stock,
            ..before
        },
    ))
}

/// `PUT /api/v1/inventory` (inventory:write): sets the stock of up to 500 SKUs at once, all or
/// none: any unknown SKU or bad number and nothing changes (422 names each).
#[utoipa::path(
    put,
    path = "/api/v1/inventory",
    tag = "inventory",
    security(("api_key" = ["inventory:write"])),
    request_body = StockBatch,
    responses(
        (status = 200, description = "Every SKU's stock now", body = Vec<StockLevel>),
        (status = 400, description = "A body that is not a list of stock levels"),
        (status = 403, description = "The key lacks inventory:write"),
        (status = 422, description = "Unknown SKUs, stock out of range, a SKU twice, or more than 500"),
    )
)]
pub async fn set_stocks(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, Problem> {
    require(&caller, Scope::InventoryWrite)?;
    let batch: StockBatch = body_of(&body)?;
    let mut errors = Vec::new();
    if !(1..=MAX_BATCH).contains(&batch.items.len()) {
        errors.push(FieldError::new("items", "Send from 1 to 500 SKUs."));
    }
    let skus: Vec<String> = batch
        .items
        .iter()
        .map(|item| item.sku.trim().to_ascii_uppercase())
        .collect();
    for (i, item) in batch.items.iter().enumerate() {
        if !stock_in_range(item.stock) {
            errors.push(FieldError::new(format!("items[{i}][stock]"), STOCK_RANGE));
        }
        if skus[..i].contains(&skus[i]) {
            errors.push(FieldError::new(
                format!("items[{i}][sku]"),
                "This SKU is in the list twice.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(problem(AppError::Invalid(errors)));
    }
    let mut tx = state.db.begin_write().await.map_err(problem)?;
    let mut levels = Vec::with_capacity(skus.len());
    for (i, (sku, item)) in skus.iter().zip(&batch.items).enumerate() {
        let product: Option<i64> = sqlx::query_scalar(
            "UPDATE product_variants SET stock = $1 WHERE sku = $2 RETURNING product_id",
        )
        .bind(item.stock)
        .bind(sku)
        .fetch_optional(&mut *tx)
        .await
        .map_err(problem)?;
        match product {
            Some(product_id) => levels.push(StockLevel {
                sku: sku.clone(),
                product_id,
                stock: item.stock,
            }),
            None => errors.push(FieldError::new(
                format!("items[{i}][sku]"),
                "No variant has this SKU.",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(problem(AppError::Invalid(errors)));
    }
    let mut products: Vec<i64> = levels.iter().map(|l| l.product_id).collect();
    products.sort_unstable();
    products.dedup();
    for product in &products {
        record_change(&mut tx, Some(*product))
            .await
            .map_err(problem)?;
    }
    let mut summary: Vec<String> = levels
        .iter()
        .take(20)
        .map(|l| format!("{} → {}", l.sku, l.stock))
        .collect();
    if levels.len() > 20 {
        summary.push(format!("and {} more", levels.len() - 20));
    }
    let subject = format!("{} SKUs", levels.len());
    let summary = summary.join(", ");
    log(
        &mut tx,
        &caller,
        &headers,
        &client,
        Action::StockSet,
        subject,
        summary,
    )
    .await?;
    tx.commit().await.map_err(problem)?;
    if let Err(error) = SearchIndex::of(&state).reindex(&state.db, &products).await {
        tracing::warn!(%error, "search index: re-indexing after a stock batch failed");
    }
    Ok(Answer::json(StatusCode::OK, levels))
}

/// The body of `POST /api/v1/orders/{number}/status`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusMove {
    /// The status to move to; the order desk's rules say which moves an order allows (a move it
    /// does not allow is 409).
    status: String,
}

/// What an order's status is now.
#[derive(Serialize, ToSchema)]
pub struct OrderMoved {
    number: String,
    status: &'static str,
}

/// `POST /api/v1/orders/{number}/status` (orders:write): moves an order on as the order desk
/// does (shipping every unit left, completing, cancelling — a paid order cancelled is refunded);
/// the customer is told.
#[utoipa::path(
    post,
    path = "/api/v1/orders/{number}/status",
    tag = "orders",
    security(("api_key" = ["orders:write"])),
    request_body = StatusMove,
    params(
        ("number" = String, Path, description = "The order's number"),
        IdempotencyKey,
    ),
    responses(
        (status = 200, description = "The order's status now", body = OrderMoved),
        (status = 400, description = "A body that is not a status"),
        (status = 403, description = "The key lacks orders:write"),
        (status = 404, description = "No order has that number"),
        (status = 409, description = "A move the order's status does not allow, a change meanwhile, or the same Idempotency-Key still being handled"),
        (status = 422, description = "An Idempotency-Key sent with another request"),
    )
)]
pub async fn move_order(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(refused) = require(&caller, Scope::OrdersWrite) {
        return refused.into_response();
    }
    let work = async {
        let number = name_of(&number, "There is no order with that number.")?;
        let move_to: StatusMove = body_of(&body)?;
        let to = status_of(move_to.status.trim())?;
        // The status is known, so a refusal is the order's state: a conflict, not a bad request.
        let entry = entry(&caller, &headers, &client, Action::OrderStatus).about(
            format!("order {number}"),
            format!("status → {}", to.label()),
        );
        change_status(&state, &number, to, &entry)
            .await
            .map_err(|error| match error {
                AppError::BadRequest(detail) => Problem::new(StatusCode::CONFLICT, detail),
                error => Problem::from(error),
            })?;
        Ok(Answer::json(
            StatusCode::OK,
            OrderMoved {
                number: number.clone(),
                status: to.as_str(),
            },
        ))
    };
    let path = format!("POST /api/v1/orders/{number}/status ");
    idempotency::once(&state, &caller, &headers, &[path.as_bytes(), &body], work).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        let stock = |json: &str| {
            serde_json::from_str::<StockWrite>(json)
                .map(|w| w.stock)
                .ok()
        };
        assert_eq!(stock(r#"{"stock": 12}"#), Some(12));
        assert_eq!(stock(r#"{"stock": 12.0}"#), Some(12));
        assert_eq!(stock(r#"{"stock": 12.5}"#), None);
        // Exactly, not one step off (serde_json's float_roundtrip).
        let id = serde_json::from_str::<VariantWrite>(
            r#"{"sku": "A", "stock": 1, "price_minor": 1, "id": -4199618119873534.0}"#,
        );
        assert_eq!(id.unwrap().id, Some(-4_199_618_119_873_534));
        assert_eq!(stock(r#"{"stock": 1e300}"#), None);
        assert_eq!(stock(r#"{"stock": "12"}"#), None);
    }

    #[test]
    fn text_holding_nul_is_named_by_its_place_in_the_body() {
        let body = br#"{"items": [{"sku": "A"}, {"sku": "B\u0000"}]}"#;
        let refused = body_of::<serde_json::Value>(body).unwrap_err();
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.document().errors[0].field, "items[1][sku]");
        assert!(body_of::<serde_json::Value>(br#"{"sku": "B\\u0000"}"#).is_ok());
    }

    #[test]
    fn minor_units_read_back_as_the_form_writes_them() {
        assert_eq!(amount(950), "9.50");
        assert_eq!(amount(7), "0.07");
        assert_eq!(amount(-125), "-1.25");
    }

    #[test]
    fn if_match_holds_for_the_current_tag_a_list_holding_it_or_a_star() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_MATCH, value.parse().unwrap());
            headers
        };
        let now = "\"abc\"";
        assert!(check_if_match(&HeaderMap::new(), now).is_ok());
        assert!(check_if_match(&with("\"abc\""), now).is_ok());
        assert!(check_if_match(&with("\"x\", \"abc\""), now).is_ok());
        assert!(check_if_match(&with("*"), now).is_ok());
        for stale in ["\"old\"", "W/\"abc\"", "abc"] {
            let refused = check_if_match(&with(stale), now).unwrap_err();
            assert_eq!(refused.status, StatusCode::PRECONDITION_FAILED, "{stale}");
        }
    }
}
