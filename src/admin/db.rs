//! Admin queries.

use super::api::Overview;
use crate::server::db::Db;

pub async fn overview(db: &Db) -> Result<Overview, sqlx::Error> {
    let (products, customers): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM products), (SELECT COUNT(*) FROM users WHERE role = 'customer')",
    )
    .fetch_one(db.pool())
    .await?;
    Ok(Overview {
        products,
        customers,
    })
}
