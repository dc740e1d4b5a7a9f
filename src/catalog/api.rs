//! Catalog server functions and the wire types they return.

#[cfg(feature = "ssr")]
use super::db;
use super::model::{HomeCatalog, ProductDetail};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    events::{Event, EventKind},
    platform::{auth::current_session, state::AppState},
};
use leptos::prelude::*;

/// How many products the home page shows.
pub const HOME_PRODUCTS: i64 = 12;

/// Departments and new arrivals for the home page.
#[server(endpoint = "load_home_catalog")]
pub async fn load_home_catalog() -> Result<HomeCatalog, AppError> {
    let state = AppState::current()?;
    let (departments, featured) = tokio::try_join!(
        db::departments(&state.db),
        db::newest_products(&state.db, HOME_PRODUCTS)
    )?;
    Ok(HomeCatalog {
        departments,
        featured,
    })
}

/// The product page's data. Records a `product_view` event.
#[server(endpoint = "product")]
pub async fn get_product(slug: String) -> Result<ProductDetail, AppError> {
    let state = AppState::current()?;
    let (id, mut product) = db::product_detail(&state.db, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    product.json_ld = json_ld(&product);
    state.events.record(Event {
        user_id: current_session().map(|s| s.user_id),
        product_id: Some(id),
        ..Event::new(EventKind::ProductView)
    });
    Ok(product)
}

/// Schema.org `Product` markup. `<` is escaped so the text can never close its `<script>`.
#[cfg(feature = "ssr")]
fn json_ld(product: &ProductDetail) -> String {
    let offers: Vec<_> = product
        .variants
        .iter()
        .map(|v| {
            serde_json::json!({
                "@type": "Offer",
                "sku": v.sku,
                "price": v.price.amount(),
                "priceCurrency": "USD",
                "availability": if v.stock > 0 { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" },
            })
        })
        .collect();
    let mut markup = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.title,
        "description": product.description,
        "image": product.image_url(),
        "brand": { "@type": "Brand", "name": product.brand },
        "offers": offers,
    });
    if let Some(tenths) = product.rating_tenths {
        markup["aggregateRating"] = serde_json::json!({
            "@type": "AggregateRating",
            "ratingValue": format!("{}.{}", tenths / 10, tenths % 10),
            "reviewCount": product.rating_count,
        });
    }
    markup.to_string().replace('<', "\\u003c")
}
