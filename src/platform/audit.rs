//! The audit log's vocabulary and its one writer: every change staff make in the admin, and
//! every change an API key makes, is appended with who made it, what changed (before → after where it says something), the
//! request id and the network address. Nothing in the app edits or deletes an entry.

use serde::{Deserialize, Serialize};

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    ProductSaved,
    ProductStatus,
    ProductDeleted,
    ProductPicture,
    ProductsImported,
    CategorySaved,
    CategoryDeleted,
    PromotionSaved,
    PromotionActive,
    ReviewRemoved,
    OrderStatus,
    OrderShipped,
    OrderRefunded,
    RefundResent,
    ReturnMoved,
    StockSet,
    RoleChanged,
    ApiKeyCreated,
    ApiKeyRevoked,
    WebhookCreated,
    WebhookChanged,
    WebhookDeleted,
    WebhookResent,
}

impl Action {
    pub const ALL: [Self; 23] = [
        Self::ProductSaved,
        Self::ProductStatus,
        Self::ProductDeleted,
        Self::ProductPicture,
        Self::ProductsImported,
        Self::CategorySaved,
        Self::CategoryDeleted,
        Self::PromotionSaved,
        Self::PromotionActive,
        Self::ReviewRemoved,
        Self::OrderStatus,
        Self::OrderShipped,
        Self::OrderRefunded,
        Self::RefundResent,
        Self::ReturnMoved,
        Self::StockSet,
        Self::RoleChanged,
        Self::ApiKeyCreated,
        Self::ApiKeyRevoked,
        Self::WebhookCreated,
        Self::WebhookChanged,
        Self::WebhookDeleted,
        Self::WebhookResent,
    ];

    /// The name kept in the `audit_log.action` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProductSaved => "product.saved",
            Self::ProductStatus => "product.status",
            Self::ProductDeleted => "product.deleted",
            Self::ProductPicture => "product.picture",
            Self::ProductsImported => "products.imported",
            Self::CategorySaved => "category.saved",
            Self::CategoryDeleted => "category.deleted",
            Self::PromotionSaved => "promotion.saved",
            Self::PromotionActive => "promotion.active",
            Self::ReviewRemoved => "review.removed",
            Self::OrderStatus => "order.status",
            Self::OrderShipped => "order.shipped",
            Self::OrderRefunded => "order.refunded",
            Self::RefundResent => "refund.resent",
            Self::ReturnMoved => "return.moved",
            Self::StockSet => "inventory.set",
            Self::RoleChanged => "staff.role",
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyRevoked => "api_key.revoked",
            Self::WebhookCreated => "webhook.created",
            Self::WebhookChanged => "webhook.changed",
            Self::WebhookDeleted => "webhook.deleted",
            Self::WebhookResent => "webhook.resent",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == text)
    }

    /// How the admin's log names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ProductSaved => "Product saved",
            Self::ProductStatus => "Product status",
            Self::ProductDeleted => "Product deleted",
            Self::ProductPicture => "Product picture",
            Self::ProductsImported => "Products imported",
            Self::CategorySaved => "Category saved",
            Self::CategoryDeleted => "Category deleted",
            Self::PromotionSaved => "Promotion saved",
            Self::PromotionActive => "Promotion switched",
            Self::ReviewRemoved => "Review removed",
            Self::OrderStatus => "Order status",
            Self::OrderShipped => "Order shipped",
            Self::OrderRefunded => "Order refunded",
            Self::RefundResent => "Refund sent again",
            Self::ReturnMoved => "Return handled",
            Self::StockSet => "Stock set",
            Self::RoleChanged => "Role changed",
            Self::ApiKeyCreated => "API key made",
            Self::ApiKeyRevoked => "API key revoked",
            Self::WebhookCreated => "Webhook made",
            Self::WebhookChanged => "Webhook paused or resumed",
            Self::WebhookDeleted => "Webhook deleted",
            Self::WebhookResent => "Webhook sent again",
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::{Actor, Origin, append, record};

#[cfg(feature = "ssr")]
mod server {
    use super::Action;
    use crate::{
        error::AppError,
        platform::{
            db::{Db, now_ms},
            http::{ClientAddress, REQUEST_ID, client_ip, current_request_id},
            state::AppState,
        },
    };
    use axum::http::HeaderMap;

    /// The request a change came in: its id (`x-request-id`) and the client's address.
    pub struct Origin {
        pub request_id: String,
        pub ip: String,
    }

    impl Origin {
        pub fn new(headers: &HeaderMap, client: Option<&ClientAddress>) -> Self {
            Self {
                request_id: headers
                    .get(REQUEST_ID)
                    .and_then(|id| id.to_str().ok())
                    .unwrap_or_default()
                    .to_owned(),
                ip: client.map_or_else(|| "unknown".to_owned(), |client| client.0.clone()),
            }
        }
    }

    /// Who made a change.
    pub enum Actor<'a> {
        /// A staff member's account: the log copies in their email.
        Staff(i64),
        /// An API key, by its public start (`emp_1a2b3c4d`).
        ApiKey(&'a str),
    }

    /// Appends what staff member `actor` did to `subject` (such as "product 42"), with a
    /// summary, from the server function's request (its state, id and address). Called once
    /// the change is made.
    pub async fn record(
        actor: i64,
        action: Action,
        subject: &str,
        summary: &str,
    ) -> Result<(), AppError> {
        let state = AppState::current()?;
        let origin = Origin {
            request_id: current_request_id().unwrap_or_default(),
            ip: client_ip(),
        };
        let actor = Actor::Staff(actor);
        Ok(append(&state.db, actor, action, subject, summary, &origin).await?)
    }

    /// `record` for a handler that is not a server function, which names its request itself.
    pub async fn append(
        db: &Db,
        actor: Actor<'_>,
        action: Action,
        subject: &str,
        summary: &str,
        origin: &Origin,
    ) -> Result<(), sqlx::Error> {
        // The actor is copied in: the entry outlives a renamed or deleted account, or a key.
        let (user, key) = match actor {
            Actor::Staff(user) => (Some(user), String::new()),
            Actor::ApiKey(prefix) => (None, format!("API key {prefix}")),
        };
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor, action, subject, summary, request_id, ip) \
             VALUES ($1, $2, COALESCE((SELECT email FROM users WHERE id = $2), $3), $4, $5, $6, $7, $8)",
        )
        .bind(now_ms())
        .bind(user)
        .bind(key)
        .bind(action.as_str())
        .bind(subject)
        .bind(summary)
        .bind(&origin.request_id)
        .bind(&origin.ip)
        .execute(db.writer())
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Action;

    #[test]
    fn actions_read_back_from_their_names() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
        assert_eq!(Action::parse("product"), None);
    }
}
