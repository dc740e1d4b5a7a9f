//! The rules of product and category management: what clashes with what, which moves a
//! category tree allows, and what may be deleted. Each save is one transaction.

use super::{
    db::{self, Clashes},
    model::{ProductInput, changes, variant_field},
};
use crate::{
    catalog::{
        db::{category_id, is_within},
        model::slugify,
    },
    error::{AppError, FieldError},
    platform::{
        audit::Entry,
        db::{Db, now_ms, violates},
    },
    search::sync::record_change,
    webhooks::{self, EventKind},
};

/// Creates or updates a product and its variants, and records the change for search, for
/// `product.updated` webhooks and in the audit log (`entry`, given its subject and what
/// changed here). Returns the product's id.
pub async fn save_product(
    db: &Db,
    input: &ProductInput,
    mut entry: Entry,
) -> Result<i64, AppError> {
    let mut tx = db.begin_write().await?;
    let before = match input.id {
        Some(id) => db::product_form_in(&mut tx, id).await?,
        None => None,
    };
    let id = save_product_in(&mut tx, input).await?;
    entry.subject = format!("product {id}");
    entry.summary = match (before, db::product_form_in(&mut tx, id).await?) {
        (Some((before, _)), Some((after, _))) => changes(&before, &after),
        _ => format!("created “{}”", input.title),
    };
    entry.write(&mut tx).await?;
    tx.commit().await?;
    Ok(id)
}

/// `save_product` inside a transaction.
pub async fn save_product_in(
    tx: &mut sqlx::AnyConnection,
    input: &ProductInput,
) -> Result<i64, AppError> {
    let Clashes {
        category,
        slug_taken,
        skus_taken,
    } = db::clashes(tx, input).await?;
    let mut errors = Vec::new();
    if category.is_none() {
        errors.push(FieldError::new("category", "That category doesn't exist."));
    }
    if slug_taken {
        errors.push(FieldError::new(
            "slug",
            "Another product already uses this slug.",
        ));
    }
    for variant in input
        .variants
        .iter()
        .filter(|v| skus_taken.contains(&v.sku))
    {
        errors.push(FieldError::new(
            variant_field(variant.row, "sku"),
            "Another product already uses this SKU.",
        ));
    }
    let Some(category) = category.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let id = db::write_product(tx, input, category)
        .await
        .map_err(conflicts)?
        .ok_or(AppError::NotFound)?;
    webhooks::emit(tx, EventKind::ProductUpdated, id, now_ms()).await?;
    Ok(id)
}

/// A unique constraint hit by a concurrent save, as the field error it stands for.
fn conflicts(error: sqlx::Error) -> AppError {
    if violates(&error, "products_slug_key", "products.slug") {
        AppError::Invalid(vec![FieldError::new(
            "slug",
            "Another product already uses this slug.",
        )])
    } else if violates(&error, "product_variants_sku_key", "product_variants.sku") {
        AppError::Invalid(vec![FieldError::new(
            variant_field(0, "sku"),
            "One of these SKUs is already in use.",
        )])
    } else {
        error.into()
    }
}

/// Creates a category (`id` None) or renames and moves one, refusing a parent inside itself;
/// `entry` is given its subject and summary here.
pub async fn save_category(
    db: &Db,
    id: Option<i64>,
    name: &str,
    parent: Option<&str>,
    mut entry: Entry,
) -> Result<i64, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || slugify(name).is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new(
            "name",
            "Enter a name of 1 to 100 characters with a letter or digit.",
        )]));
    }
    let field = |message: &str| AppError::Invalid(vec![FieldError::new("parent", message)]);
    let place = parent.map_or("a department".to_owned(), |parent| {
        format!("under {parent}")
    });
    let mut tx = db.begin_write().await?;
    let parent = match parent {
        None => None,
        Some(slug) => Some(
            category_id(&mut tx, slug)
                .await?
                .ok_or_else(|| field("That parent category doesn't exist."))?,
        ),
    };
    let id = match id {
        Some(id) => {
            if let Some(parent) = parent
                && is_within(&mut tx, parent, id).await?
            {
                return Err(field("A category can't move inside itself."));
            }
            if !db::update_category(&mut tx, id, name, parent).await? {
                return Err(AppError::NotFound);
            }
            id
        }
        None => db::insert_category(&mut tx, name, parent).await?,
    };
    entry.subject = format!("category {id}");
    entry.summary = format!("“{name}”, {place}");
    entry.write(&mut tx).await?;
    record_change(&mut tx, None).await?;
    tx.commit().await?;
    Ok(id)
}

/// Deletes a category, unless products or subcategories still use it.
pub async fn delete_category(db: &Db, id: i64, entry: &Entry) -> Result<(), AppError> {
    let mut tx = db.begin_write().await?;
    let (products, children) = db::category_usage(&mut tx, id).await?;
    if products > 0 {
        return Err(AppError::Conflict(format!(
            "This category still holds {products} products. Move them to another category first."
        )));
    }
    if children > 0 {
        return Err(AppError::Conflict(
            "This category still has subcategories. Move or delete them first.".into(),
        ));
    }
    if !db::delete_category(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    entry.write(&mut tx).await?;
    record_change(&mut tx, None).await?;
    tx.commit().await?;
    Ok(())
}
