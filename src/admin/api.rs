//! Admin server functions and their wire types. Every one starts with `require` and the permission it needs.

use super::model::{ImportView, ProductForm};
#[cfg(feature = "ssr")]
use super::{db, model::VariantForm};
use crate::{catalog::model::CategoryOption, error::AppError, platform::money::Money};
#[cfg(feature = "ssr")]
use crate::{
    catalog::model::ProductStatus,
    platform::{
        audit::{Action, Entry},
        auth::{Permission, require},
        db::now_ms,
        state::AppState,
    },
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The headline numbers on the dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub products: i64,
    pub customers: i64,
}

/// Variants of active products running out: at or below the shop's `low-stock` level.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LowStock {
    /// The `low-stock` setting.
    pub threshold: i64,
    /// How many variants are low (the list shows the lowest 50).
    pub total: i64,
    pub variants: Vec<LowVariant>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct LowVariant {
    pub product_id: i64,
    pub title: String,
    pub sku: String,
    pub stock: i64,
}

/// What the admin product list shows, from the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub page: i64,
}

/// One product in the admin list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminProductRow {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub brand: String,
    pub status: String,
    pub variants: i64,
    pub stock: i64,
    /// The lowest variant price; None without variants.
    pub price: Option<Money>,
}

/// One page of the admin product list.
pub type AdminProducts = crate::ui::Page<AdminProductRow>;

/// A category in the admin list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminCategory {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The parent's slug; None for a department.
    pub parent: Option<String>,
    /// "Clothing › Men › Shoes".
    pub label: String,
    /// Products filed directly in this category.
    pub products: i64,
    pub children: i64,
}

/// The product form's data: the product (empty for a new one) and the categories to choose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductEditor {
    pub product: ProductForm,
    pub categories: Vec<CategoryOption>,
    /// The product's picture (uploaded or generated); empty for a new product.
    pub image_url: String,
}

#[server(endpoint = "admin_overview")]
pub async fn get_admin_overview() -> Result<Overview, AppError> {
    require(Permission::ReadAnalytics)?;
    let state = AppState::current()?;
    Ok(super::db::overview(&state.db).await?)
}

/// The variants running out, lowest first, for the people who restock them.
#[server(endpoint = "admin_low_stock")]
pub async fn admin_low_stock() -> Result<LowStock, AppError> {
    require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    Ok(super::db::low_stock(&state.db, state.config.low_stock).await?)
}

/// A page of products for the admin list.
#[server(endpoint = "admin_products")]
pub async fn list_admin_products(
    // Absent for the first page without filters.
    #[server(default)] filter: ProductFilter,
) -> Result<AdminProducts, AppError> {
    require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    Ok(super::db::list_products(&state.db, &filter).await?)
}

/// The product form for product `id`, or an empty one when `id` is None.
#[server(endpoint = "admin_product")]
pub async fn get_product_editor(id: Option<i64>) -> Result<ProductEditor, AppError> {
    require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let (mut product, image_url) = match id {
        Some(id) => {
            let (form, image) = db::product_form(&state.db, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let url = crate::catalog::model::Picture::of(&form.slug, &image).src;
            (form, url)
        }
        None => (
            ProductForm {
                status: "active".into(),
                ..ProductForm::default()
            },
            String::new(),
        ),
    };
    // One empty row to add a variant with.
    product.variants.push(VariantForm::default());
    Ok(ProductEditor {
        product,
        categories: crate::catalog::db::category_options(&state.db).await?,
        image_url,
    })
}

/// Creates or updates a product with its variants; the product is searchable at once. Goes to
/// the product's edit page.
#[server(endpoint = "save_product")]
pub async fn save_product(product: ProductForm) -> Result<i64, AppError> {
    let staff = require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let input = product.check().map_err(AppError::Invalid)?;
    let entry = Entry::staff(staff.user_id, Action::ProductSaved);
    let id = super::service::save_product(&state.db, &input, entry).await?;
    crate::search::sync::reindex_now(&state, id).await;
    leptos_axum::redirect(&format!("/admin/products/{id}?saved=1"));
    Ok(id)
}

/// Archives, activates or drafts a product.
#[server(endpoint = "set_product_status")]
pub async fn set_product_status(id: i64, status: String) -> Result<(), AppError> {
    let staff = require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let status = ProductStatus::parse(&status)
        .ok_or_else(|| AppError::BadRequest("Unknown product status.".into()))?;
    let entry = Entry::staff(staff.user_id, Action::ProductStatus).about(
        format!("product {id}"),
        format!("status → {}", status.as_str()),
    );
    if !super::db::set_status(&state.db, id, status, &entry).await? {
        return Err(AppError::NotFound);
    }
    crate::search::sync::reindex_now(&state, id).await;
    leptos_axum::redirect(&format!("/admin/products/{id}?saved=1"));
    Ok(())
}

/// Deletes a product for good; goes back to the product list.
#[server(endpoint = "delete_product")]
pub async fn delete_product(id: i64) -> Result<(), AppError> {
    let staff = require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let entry = Entry::staff(staff.user_id, Action::ProductDeleted)
        .about(format!("product {id}"), "deleted");
    let image = super::db::delete_product(&state.db, id, &entry)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::catalog::images::remove_picture(state.service(), &image).await;
    crate::search::sync::reindex_now(&state, id).await;
    leptos_axum::redirect("/admin/products?deleted=1");
    Ok(())
}

/// Every category, in tree order, with what uses it.
#[server(endpoint = "admin_categories")]
pub async fn list_admin_categories() -> Result<Vec<AdminCategory>, AppError> {
    require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    Ok(super::db::categories(&state.db).await?)
}

/// Adds a category (`id` empty), or renames or moves one. `parent` is a category's slug, or
/// empty for a department.
#[server(endpoint = "save_category")]
pub async fn save_category(
    id: Option<String>,
    name: String,
    parent: Option<String>,
) -> Result<i64, AppError> {
    let staff = require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let id = crate::error::optional_id(id.as_deref())?;
    let parent = parent.filter(|p| !p.trim().is_empty());
    let entry = Entry::staff(staff.user_id, Action::CategorySaved);
    let saved =
        super::service::save_category(&state.db, id, &name, parent.as_deref(), entry).await?;
    rebuild_index(&state).await;
    Ok(saved)
}

/// Deletes a category that no product and no subcategory uses.
#[server(endpoint = "delete_category")]
pub async fn delete_category(id: i64) -> Result<(), AppError> {
    let staff = require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let entry = Entry::staff(staff.user_id, Action::CategoryDeleted)
        .about(format!("category {id}"), "deleted");
    super::service::delete_category(&state.db, id, &entry).await?;
    rebuild_index(&state).await;
    Ok(())
}

/// Category names and places are in every product's search document: this node rebuilds at
/// once, other nodes follow the recorded change.
#[cfg(feature = "ssr")]
async fn rebuild_index(state: &crate::platform::state::AppState) {
    use crate::search::index::SearchIndex;
    if let Err(error) = SearchIndex::of(state).rebuild(&state.db).await {
        tracing::warn!(%error, "search index: rebuilding after a category change failed");
    }
}

/// A product import: its preview before the go, then its progress and problems.
#[server(endpoint = "product_import")]
pub async fn product_import(id: i64) -> Result<ImportView, AppError> {
    require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    super::import::view(&state.db, id).await
}

/// The go for a product import: a node works through it within seconds.
#[server(endpoint = "confirm_import")]
pub async fn confirm_import(id: i64) -> Result<(), AppError> {
    let staff = require(Permission::EditCatalog)?;
    let state = AppState::current()?;
    let entry = Entry::staff(staff.user_id, Action::ProductsImported);
    super::import::confirm(&state.db, id, now_ms(), entry).await?;
    Ok(())
}
