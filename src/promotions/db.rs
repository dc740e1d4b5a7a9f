//! Promotion queries: the offer a cart gets, the uses orders hold, and the admins' changes.
//!
//! A use is taken with one conditional update (`uses < usage_limit`) inside the transaction
//! that places the order: on PostgreSQL concurrent updates of the promotion's row wait for each
//! other and re-check the condition, on SQLite write transactions run one at a time, so no more
//! orders than the limit ever hold a use.

use super::model::{Benefit, NewPromotion, Offer, Promotion, PromotionForm, normalise_code};
use crate::{
    catalog::db::{category_id, category_slug, is_within},
    dates::iso_date,
    error::{AppError, FieldError},
    platform::{
        audit::{self, Entry},
        db::{Db, violates},
        money::Money,
    },
};

/// A cart line as a promotion sees it.
pub struct Item {
    pub category_id: i64,
    /// What the line costs (unit price × quantity), in minor units.
    pub total: i64,
}

const COLUMNS: &str = "id, code, name, kind, value, min_subtotal_minor, starts_at, ends_at, active, \
                       usage_limit, uses, per_customer_limit, category_id";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    code: Option<String>,
    name: String,
    kind: String,
    value: i64,
    min_subtotal_minor: i64,
    starts_at: i64,
    ends_at: Option<i64>,
    active: i64,
    usage_limit: Option<i64>,
    uses: i64,
    per_customer_limit: Option<i64>,
    category_id: Option<i64>,
}

impl Row {
    fn promotion(&self) -> Promotion {
        Promotion {
            id: self.id,
            code: self.code.clone(),
            name: self.name.clone(),
            benefit: Benefit::from_stored(&self.kind, self.value).unwrap_or(Benefit::FreeShipping),
            min_subtotal: Money::from_minor(self.min_subtotal_minor).unwrap_or_default(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            active: self.active == 1,
            usage_limit: self.usage_limit,
            uses: self.uses,
            per_customer_limit: self.per_customer_limit,
            restricted: self.category_id.is_some(),
        }
    }
}

/// The offer a cart gets at `now`: the code's when the shopper typed one (an unknown or
/// unusable code is an error shown under the code field), otherwise the automatic promotion
/// that takes the most off (None when none applies). Returns the promotion's id with it.
pub async fn offer_for(
    tx: &mut sqlx::AnyConnection,
    user: i64,
    code: Option<&str>,
    items: &[Item],
    shipping: Money,
    now: i64,
) -> Result<Option<(i64, Offer)>, AppError> {
    let refused = |message: String| AppError::Invalid(vec![FieldError::new("code", message)]);
    if let Some(code) = code {
        let code = normalise_code(code);
        let row: Option<Row> =
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM promotions WHERE code = $1"))
                .bind(&code)
                .fetch_optional(&mut *tx)
                .await?;
        let row = row.ok_or_else(|| refused(format!("We don't know the code “{code}”.")))?;
        let offer = offer_of(tx, &row, user, items, now)
            .await?
            .map_err(refused)?;
        return Ok(Some((row.id, offer)));
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM promotions WHERE code IS NULL AND active = 1 AND starts_at <= $1 \
         AND (ends_at IS NULL OR ends_at > $1) ORDER BY id"
    ))
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let totals: Vec<i64> = items.iter().map(|i| i.total).collect();
    let mut best: Option<(Money, i64, Offer)> = None;
    for row in rows {
        if let Ok(offer) = offer_of(tx, &row, user, items, now).await? {
            let saves = offer
                .benefit
                .apply(&totals, &offer.eligible, shipping)
                .total();
            if saves > Money::default() && best.as_ref().is_none_or(|(most, ..)| saves > *most) {
                best = Some((saves, row.id, offer));
            }
        }
    }
    Ok(best.map(|(_, id, offer)| (id, offer)))
}

/// The promotion's offer for these items, or why the shopper cannot have it.
async fn offer_of(
    tx: &mut sqlx::AnyConnection,
    row: &Row,
    user: i64,
    items: &[Item],
    now: i64,
) -> Result<Result<Offer, String>, sqlx::Error> {
    let mut eligible = Vec::with_capacity(items.len());
    for item in items {
        eligible.push(match row.category_id {
            Some(category) => is_within(tx, item.category_id, category).await?,
            None => true,
        });
    }
    let used: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM promotion_redemptions \
         WHERE promotion_id = $1 AND user_id = $2 AND released_at IS NULL",
    )
    .bind(row.id)
    .bind(user)
    .fetch_one(&mut *tx)
    .await?;
    let subtotal = Money::from_minor(items.iter().map(|i| i.total).sum()).unwrap_or_default();
    Ok(row.promotion().offer(subtotal, eligible, used, now))
}

/// Takes one use of promotion `id` for `order`. False when the last use went to another order
/// first; then nothing changed.
pub async fn redeem(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    order: i64,
    user: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    if !take_use(tx, id).await? {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO promotion_redemptions (order_id, promotion_id, user_id, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(order)
    .bind(id)
    .bind(user)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

async fn take_use(tx: &mut sqlx::AnyConnection, id: i64) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "UPDATE promotions SET uses = uses + 1 \
         WHERE id = $1 AND (usage_limit IS NULL OR uses < usage_limit)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    Ok(taken.rows_affected() == 1)
}

/// Gives back the use `order` holds, if it holds one (its payment failed, it expired or it was
/// cancelled).
pub async fn give_back(
    tx: &mut sqlx::AnyConnection,
    order: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    let released: Option<i64> = sqlx::query_scalar(
        "UPDATE promotion_redemptions SET released_at = $1 \
         WHERE order_id = $2 AND released_at IS NULL RETURNING promotion_id",
    )
    .bind(now)
    .bind(order)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = released {
        sqlx::query("UPDATE promotions SET uses = uses - 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Takes again the use that `order` gave back when its payment failed, before it is paid for
/// again. Err with the message for the shopper when the promotion has been used up since.
pub async fn take_back(
    tx: &mut sqlx::AnyConnection,
    order: i64,
) -> Result<Result<(), String>, sqlx::Error> {
    let given: Option<(i64, String)> = sqlx::query_as(
        "SELECT p.id, COALESCE(p.code, p.name) FROM promotion_redemptions r \
         JOIN promotions p ON p.id = r.promotion_id \
         WHERE r.order_id = $1 AND r.released_at IS NOT NULL",
    )
    .bind(order)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, named)) = given else {
        return Ok(Ok(()));
    };
    if !take_use(tx, id).await? {
        return Ok(Err(format!(
            "{named} has been used up since this order was placed. Please place a new order."
        )));
    }
    sqlx::query("UPDATE promotion_redemptions SET released_at = NULL WHERE order_id = $1")
        .bind(order)
        .execute(&mut *tx)
        .await?;
    Ok(Ok(()))
}

/// Every promotion, newest first: for the admins' list.
pub async fn all(db: &Db) -> Result<Vec<Promotion>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM promotions ORDER BY id DESC"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(Row::promotion).collect())
}

/// Promotion `id` as its form shows it, for editing.
pub async fn form(db: &Db, id: i64) -> Result<Option<PromotionForm>, sqlx::Error> {
    let found: Option<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM promotions WHERE id = $1"))
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    let Some(row) = found else {
        return Ok(None);
    };
    let category = match row.category_id {
        Some(category) => category_slug(db, category).await?,
        None => None,
    };
    let promotion = row.promotion();
    let (kind, value) = promotion.benefit.stored();
    let count = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    Ok(Some(PromotionForm {
        code: promotion.code.unwrap_or_default(),
        name: promotion.name,
        kind: kind.to_owned(),
        value: match promotion.benefit {
            Benefit::FreeShipping => String::new(),
            _ => Money::from_minor(value).unwrap_or_default().amount(),
        },
        min_subtotal: match promotion.min_subtotal.minor() {
            0 => String::new(),
            _ => promotion.min_subtotal.amount(),
        },
        starts: iso_date(promotion.starts_at),
        ends: promotion
            .ends_at
            .map(|end| iso_date(end - 1))
            .unwrap_or_default(),
        usage_limit: count(promotion.usage_limit),
        per_customer_limit: count(promotion.per_customer_limit),
        category: category.unwrap_or_default(),
    }))
}

/// Saves a new promotion (`id` None) or changes one, logging `entry` about it. Returns its id.
pub async fn save(
    db: &Db,
    id: Option<i64>,
    promotion: &NewPromotion,
    now: i64,
    mut entry: Entry,
) -> Result<i64, AppError> {
    let mut tx = db.begin_write().await?;
    let category = match &promotion.category {
        Some(slug) => Some(category_id(&mut tx, slug).await?.ok_or_else(|| {
            AppError::Invalid(vec![FieldError::new(
                "category",
                "That category doesn't exist.",
            )])
        })?),
        None => None,
    };
    if let (Some(id), Some(limit)) = (id, promotion.usage_limit) {
        let uses: Option<i64> = sqlx::query_scalar("SELECT uses FROM promotions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if uses.is_some_and(|uses| uses > limit) {
            return Err(AppError::Invalid(vec![FieldError::new(
                "usage_limit",
                format!(
                    "Orders hold {} uses already; the limit cannot be lower.",
                    uses.unwrap_or(0)
                ),
            )]));
        }
    }
    let (kind, value) = promotion.benefit.stored();
    let sql = match id {
        Some(_) => {
            "UPDATE promotions SET code = $1, name = $2, kind = $3, value = $4, min_subtotal_minor = $5, \
             starts_at = $6, ends_at = $7, usage_limit = $8, per_customer_limit = $9, category_id = $10 \
             WHERE id = $11 RETURNING id"
        }
        None => {
            "INSERT INTO promotions (code, name, kind, value, min_subtotal_minor, starts_at, ends_at, \
             usage_limit, per_customer_limit, category_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
        }
    };
    let saved: Result<Option<i64>, sqlx::Error> = sqlx::query_scalar(sql)
        .bind(&promotion.code)
        .bind(&promotion.name)
        .bind(kind)
        .bind(value)
        .bind(promotion.min_subtotal.minor())
        .bind(promotion.starts_at)
        .bind(promotion.ends_at)
        .bind(promotion.usage_limit)
        .bind(promotion.per_customer_limit)
        .bind(category)
        // The row to change, or when the new one was made.
        .bind(id.unwrap_or(now))
        .fetch_optional(&mut *tx)
        .await;
    let saved = match saved {
        Ok(saved) => saved.ok_or(AppError::NotFound)?,
        Err(e) if violates(&e, "promotions_code_key", "promotions.code") => {
            return Err(AppError::Invalid(vec![FieldError::new(
                "code",
                "Another promotion already uses this code.",
            )]));
        }
        Err(e) => return Err(e.into()),
    };
    entry.subject = format!("promotion {saved}");
    entry.write(&mut tx).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Turns promotion `id` on or off, logging `entry`. False when there is no such promotion.
pub async fn set_active(
    db: &Db,
    id: i64,
    active: bool,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let change = sqlx::query("UPDATE promotions SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(id);
    audit::change_one(db, change, entry).await
}
