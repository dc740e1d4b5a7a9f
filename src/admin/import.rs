//! Product CSV imports. An uploaded file is kept, and shown as a preview (its products, the
//! first few with what will happen to them, and every row that cannot be read or fails the
//! product form's checks), until its uploader confirms. Then whichever node looks first claims
//! it and works through it `BATCH` products per transaction, each in a savepoint of its own, so
//! one bad product never stops the others; the claim is renewed with each batch's progress, so a
//! node that dies leaves the rest to another, which carries on from there. A product is found
//! by its handle and its variants by SKU (variants left out of the file are removed); one that
//! is already as the file says is not written at all, so importing a file again changes
//! nothing.

use super::{
    csv::{FileProduct, read},
    db::product_id_by_slug,
    model::{ImportSample, ImportState, ImportView, ProductInput, RowProblem, VariantForm},
    service::save_product_in,
};
use crate::{
    catalog::db::{ProductRecord, category_records, product_record_in},
    error::AppError,
    platform::{
        audit::Entry,
        auth::{Permission, Session, permitted},
        db::{Db, now_ms},
        jobs::Stopping,
        state::AppState,
        tokens::random_hex,
    },
};
use axum::{
    Extension,
    extract::{Multipart, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use sqlx::Connection;
use std::collections::HashMap;

/// The largest file taken (about 300,000 rows).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Products per transaction.
const BATCH: usize = 250;
/// How long a node owns an import between two batches.
const CLAIM_MS: i64 = 60_000;
/// Problems listed at most (the counts hold them all).
const MAX_PROBLEMS: usize = 1_000;
/// Products shown in the preview.
const SAMPLE: usize = 10;
/// How often each node looks for a confirmed import.
const POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// `GET /admin/products/import` (a reload, a pasted address): the product list, which holds the
/// import form.
pub async fn import_form() -> Redirect {
    Redirect::to("/admin/products")
}

/// `POST /admin/products/import` (multipart, field `file`), for staff who edit the catalog:
/// keeps the file and goes to its preview.
pub async fn upload(
    State(state): State<AppState>,
    session: Option<Extension<Session>>,
    mut form: Multipart,
) -> Response {
    let staff = match permitted(session, Permission::EditCatalog) {
        Ok(session) => session,
        Err(refused) => return refused.into_response(),
    };
    let refused = |why: &str| Redirect::to(&format!("/admin/products?import_error={why}"));
    let mut file = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("products.csv").to_owned();
            match field.bytes().await {
                Ok(bytes) => file = Some((name, bytes)),
                Err(_) => return refused("too-large").into_response(),
            }
        }
    }
    let Some((name, bytes)) = file.filter(|(_, bytes)| !bytes.is_empty()) else {
        return refused("missing").into_response();
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return refused("encoding").into_response();
    };
    let name: String = name.chars().filter(|c| !c.is_control()).take(200).collect();
    match keep(&state.db, &name, &text, staff.user_id, now_ms()).await {
        Ok(id) => Redirect::to(&format!("/admin/products/import/{id}")).into_response(),
        Err(AppError::BadRequest(problem)) => {
            tracing::info!(%problem, "an uploaded file is not a product CSV");
            refused("columns").into_response()
        }
        Err(error) => {
            tracing::error!(%error, "keeping an uploaded product file failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Keeps an uploaded file `name` with its text, for `by`; returns the import's id. 400 when
/// the text is not a product CSV (its columns).
pub async fn keep(db: &Db, name: &str, text: &str, by: i64, now: i64) -> Result<i64, AppError> {
    let (products, _) = read(text).map_err(AppError::BadRequest)?;
    Ok(sqlx::query_scalar(
        "INSERT INTO product_imports (file_name, body, products, created_by, created_at, claimed_by, \
             done, created, updated, unchanged, refused, problems) \
         VALUES ($1, $2, $3, $4, $5, '', 0, 0, 0, 0, 0, '[]') RETURNING id",
    )
    .bind(name)
    .bind(text)
    .bind(i64::try_from(products.len()).unwrap_or(i64::MAX))
    .bind(by)
    .bind(now)
    .fetch_one(db.writer())
    .await?)
}

#[derive(sqlx::FromRow)]
struct ImportRow {
    id: i64,
    file_name: String,
    products: i64,
    created_at: i64,
    confirmed_at: Option<i64>,
    finished_at: Option<i64>,
    done: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    refused: i64,
    problems: String,
}

/// Import `id` as its page shows it: before it is confirmed, the preview (the only time the
/// file is read again); after, its progress and what went wrong.
pub async fn view(db: &Db, id: i64) -> Result<ImportView, AppError> {
    let row: ImportRow = sqlx::query_as(
        "SELECT id, file_name, products, created_at, confirmed_at, finished_at, done, created, \
             updated, unchanged, refused, problems FROM product_imports WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(AppError::NotFound)?;
    let mut problems = serde_json::from_str(&row.problems).unwrap_or_default();
    let mut sample = Vec::new();
    let state = match (row.confirmed_at, row.finished_at) {
        (None, _) => {
            let body: String = sqlx::query_scalar("SELECT body FROM product_imports WHERE id = $1")
                .bind(id)
                .fetch_one(db.pool())
                .await?;
            let products;
            (products, problems) = read(&body).map_err(AppError::BadRequest)?;
            for product in &products {
                if let Err(errors) = product.form.check() {
                    problems.extend(errors.iter().map(|e| product.problem(&e.field, &e.message)));
                }
            }
            for product in products.iter().take(SAMPLE) {
                let mut conn = db.pool().acquire().await?;
                sample.push(ImportSample {
                    row: product.row,
                    handle: product.form.slug.clone(),
                    title: product.form.title.clone(),
                    variants: product.form.variants.len(),
                    exists: product_id_by_slug(&mut conn, &product.form.slug)
                        .await?
                        .is_some(),
                });
            }
            ImportState::Waiting
        }
        (Some(_), None) => ImportState::Running,
        (Some(_), Some(_)) => ImportState::Finished,
    };
    problems.truncate(MAX_PROBLEMS);
    Ok(ImportView {
        id: row.id,
        file_name: row.file_name,
        created_at: row.created_at,
        products: usize::try_from(row.products).unwrap_or_default(),
        state,
        sample,
        problems,
        done: row.done,
        created: row.created,
        updated: row.updated,
        unchanged: row.unchanged,
        refused: row.refused,
    })
}

/// The go for import `id`: a node picks it up within seconds. `entry` logs it with the file's
/// name and how many products it holds; an import confirmed already is left as it is.
pub async fn confirm(db: &Db, id: i64, now: i64, entry: Entry) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let (name, products): (String, i64) =
        sqlx::query_as("SELECT file_name, products FROM product_imports WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound)?;
    let confirmed = sqlx::query(
        "UPDATE product_imports SET confirmed_at = $1 WHERE id = $2 AND confirmed_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if confirmed.rows_affected() == 1 {
        let entry = entry.about(
            format!("import {id}"),
            format!("{name}: {products} products"),
        );
        entry.write(&mut tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What became of one product.
enum Outcome {
    Created,
    Updated,
    Unchanged,
    Refused(Vec<RowProblem>),
}

/// Categories by slug and by name (either may be written in `Type`), lower-cased; a slug wins
/// over another category's name, and of two categories of one name the first made.
async fn categories(db: &Db) -> Result<HashMap<String, String>, sqlx::Error> {
    let all = category_records(db, 0, i64::MAX).await?;
    let mut found = HashMap::new();
    for category in &all {
        found
            .entry(category.name.to_lowercase())
            .or_insert_with(|| category.slug.clone());
    }
    found.extend(all.into_iter().map(|c| (c.slug.to_lowercase(), c.slug)));
    Ok(found)
}

/// True when `record` already is what `input` says.
fn same(record: &ProductRecord, input: &ProductInput) -> bool {
    record.title == input.title
        && record.brand == input.brand
        && record.category == input.category
        && record.description == input.description
        && record.status == input.status.as_str()
        && input.removed.is_empty()
        && record.variants.len() == input.variants.len()
        && record.variants.iter().zip(&input.variants).all(|(v, i)| {
            v.sku == i.sku
                && v.options == i.options
                && v.price_minor == i.price.minor()
                && v.compare_at_minor == i.compare_at.map(|m| m.minor())
                && v.stock == i.stock
        })
}

/// Imports one product inside `tx`, in a savepoint of its own.
async fn import_one(
    tx: &mut sqlx::AnyConnection,
    product: &FileProduct,
    categories: &HashMap<String, String>,
) -> Result<Outcome, AppError> {
    let mut form = product.form.clone();
    if !form.category.is_empty() {
        match categories.get(&form.category.to_lowercase()) {
            Some(slug) => form.category = slug.clone(),
            None => {
                let message = format!("No category has the slug or name “{}”.", form.category);
                return Ok(Outcome::Refused(vec![
                    product.problem("category", &message),
                ]));
            }
        }
    }
    let existing = match product_id_by_slug(tx, &form.slug).await? {
        Some(id) => product_record_in(tx, id).await?,
        None => None,
    };
    if let Some(record) = &existing {
        form.id = Some(record.id);
        for variant in &mut form.variants {
            variant.id = record
                .variants
                .iter()
                .find(|v| v.sku.eq_ignore_ascii_case(&variant.sku))
                .map(|v| v.id);
        }
        let kept: Vec<Option<i64>> = form.variants.iter().map(|v| v.id).collect();
        form.variants.extend(
            record
                .variants
                .iter()
                .filter(|v| !kept.contains(&Some(v.id)))
                .map(|v| VariantForm {
                    id: Some(v.id),
                    remove: Some("on".into()),
                    ..VariantForm::default()
                }),
        );
    }
    let refused = |errors: Vec<crate::error::FieldError>| {
        let problems = errors
            .iter()
            .map(|e| product.problem(&e.field, &e.message))
            .collect();
        Ok(Outcome::Refused(problems))
    };
    let input = match form.check() {
        Ok(input) => input,
        Err(errors) => return refused(errors),
    };
    if existing.as_ref().is_some_and(|record| same(record, &input)) {
        return Ok(Outcome::Unchanged);
    }
    let mut savepoint = tx.begin().await?;
    match save_product_in(&mut savepoint, &input).await {
        Ok(_) => {
            savepoint.commit().await?;
            Ok(if existing.is_some() {
                Outcome::Updated
            } else {
                Outcome::Created
            })
        }
        Err(AppError::Invalid(errors)) => {
            savepoint.rollback().await?;
            refused(errors)
        }
        Err(other) => Err(other),
    }
}

/// Works through a confirmed import no node is working on, if there is one, as `node`.
/// Returns its id.
pub async fn run_waiting(db: &Db, node: &str) -> Result<Option<i64>, AppError> {
    let now = now_ms();
    let Some(id): Option<i64> = sqlx::query_scalar(
        "SELECT id FROM product_imports WHERE confirmed_at IS NOT NULL AND finished_at IS NULL \
         AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY id LIMIT 1",
    )
    .bind(now)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(None);
    };
    let claimed = sqlx::query(
        "UPDATE product_imports SET claimed_by = $1, claimed_until = $2 \
         WHERE id = $3 AND finished_at IS NULL AND (claimed_until IS NULL OR claimed_until < $4)",
    )
    .bind(node)
    .bind(now + CLAIM_MS)
    .bind(id)
    .bind(now)
    .execute(db.writer())
    .await?;
    if claimed.rows_affected() == 0 {
        return Ok(None);
    }
    let (body, done, problems): (String, i64, String) =
        sqlx::query_as("SELECT body, done, problems FROM product_imports WHERE id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await?;
    let (products, unread) = read(&body).map_err(AppError::BadRequest)?;
    let mut problems: Vec<RowProblem> = serde_json::from_str(&problems).unwrap_or_default();
    if done == 0 {
        problems.extend(unread);
    }
    let categories = categories(db).await?;
    let start = usize::try_from(done).unwrap_or(0).min(products.len());
    for batch in products[start..].chunks(BATCH) {
        let mut tx = db.begin_write().await?;
        let mut counts = [0_i64; 4];
        for product in batch {
            let slot = match import_one(&mut tx, product, &categories).await? {
                Outcome::Created => 0,
                Outcome::Updated => 1,
                Outcome::Unchanged => 2,
                Outcome::Refused(refused) => {
                    problems.extend(refused);
                    3
                }
            };
            counts[slot] += 1;
        }
        problems.truncate(MAX_PROBLEMS);
        let [created, updated, unchanged, refused] = counts;
        let kept = sqlx::query(
            "UPDATE product_imports SET done = done + $1, created = created + $2, \
                 updated = updated + $3, unchanged = unchanged + $4, refused = refused + $5, \
                 problems = $6, claimed_until = $7 WHERE id = $8 AND claimed_by = $9",
        )
        .bind(i64::try_from(batch.len()).unwrap_or(i64::MAX))
        .bind(created)
        .bind(updated)
        .bind(unchanged)
        .bind(refused)
        .bind(serde_json::to_string(&problems).unwrap_or_default())
        .bind(now_ms() + CLAIM_MS)
        .bind(id)
        .bind(node)
        .execute(&mut *tx)
        .await?;
        if kept.rows_affected() == 0 {
            // Another node took it over (this one stalled past its claim): its work counts.
            return Ok(None);
        }
        tx.commit().await?;
    }
    sqlx::query(
        "UPDATE product_imports SET finished_at = $1, claimed_until = NULL \
         WHERE id = $2 AND claimed_by = $3",
    )
    .bind(now_ms())
    .bind(id)
    .bind(node)
    .execute(db.writer())
    .await?;
    Ok(Some(id))
}

/// Uploaded files are kept this long: a finished import's file goes (its report stays), and
/// an import never confirmed goes whole.
const KEEP_FILES_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Forgets the files of imports that finished, and the imports never confirmed, before
/// `before`. Returns how many imports it touched.
pub async fn forget_old(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let emptied =
        sqlx::query("UPDATE product_imports SET body = '' WHERE finished_at < $1 AND body <> ''")
            .bind(before)
            .execute(db.writer())
            .await?;
    let dropped =
        sqlx::query("DELETE FROM product_imports WHERE confirmed_at IS NULL AND created_at < $1")
            .bind(before)
            .execute(db.writer())
            .await?;
    Ok(emptied.rows_affected() + dropped.rows_affected())
}

/// Every couple of seconds, until the node stops, runs a confirmed import waiting for a node;
/// once an hour it forgets old files.
pub async fn run_until_stopped(db: Db, mut stopping: Stopping) {
    let node = random_hex(8);
    let mut ticks = tokio::time::interval(POLL);
    let mut next_cleanup = 0;
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = stopping.wait() => break,
        }
        match run_waiting(&db, &node).await {
            Ok(Some(id)) => tracing::info!(id, "product import finished"),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "a product import failed; it will be tried again"),
        }
        let now = now_ms();
        if now >= next_cleanup {
            next_cleanup = now + 60 * 60 * 1000;
            match forget_old(&db, now - KEEP_FILES_MS).await {
                Ok(0) => {}
                Ok(forgotten) => tracing::info!(forgotten, "old product import files forgotten"),
                Err(error) => tracing::warn!(%error, "forgetting old product import files failed"),
            }
        }
    }
}
