//! The audit log's vocabulary and its one writer: every change staff make in the admin, every
//! change an API key makes and what the command line changes (owner accounts, API keys) is
//! appended with who made it, what changed (before → after where it says something), the
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
pub use server::{Actor, Entry, Origin, change_one};

#[cfg(feature = "ssr")]
mod server {
    use super::Action;
    use crate::platform::{
        db::{Db, now_ms},
        http::{ClientAddress, REQUEST_ID, client_ip, current_request_id},
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

    impl Origin {
        /// The request of the server function or page being handled.
        pub fn current() -> Self {
            Self {
                request_id: current_request_id().unwrap_or_default(),
                ip: client_ip(),
            }
        }
    }

    /// Who made a change.
    pub enum Actor {
        /// A staff member's account: the log copies in their email.
        Staff(i64),
        /// An API key, by its public start (`emp_1a2b3c4d`).
        ApiKey(String),
        /// Whoever runs `emporium` on the server (`create-admin`, `api-key`).
        CommandLine,
    }

    /// A change's line in the audit log. The change writes it in its own transaction
    /// (`Entry::write`), so the log holds an entry for every change that was made and none for
    /// one that was not; a change whose entry cannot be written is not made.
    pub struct Entry {
        actor: Actor,
        action: Action,
        /// What was changed, such as "product 42".
        pub subject: String,
        /// What changed, before → after where that says something.
        pub summary: String,
        origin: Origin,
    }

    impl Entry {
        /// Staff member `actor` doing `action`, in the server function's request; `about`
        /// says to what, or the change does once it knows.
        pub fn staff(actor: i64, action: Action) -> Self {
            Self::new(Actor::Staff(actor), action, Origin::current())
        }

        pub fn new(actor: Actor, action: Action, origin: Origin) -> Self {
            Self {
                actor,
                action,
                subject: String::new(),
                summary: String::new(),
                origin,
            }
        }

        /// A change made with the `emporium` command on the server: no request, no address.
        pub fn command_line(action: Action) -> Self {
            let origin = Origin {
                request_id: String::new(),
                ip: String::new(),
            };
            Self::new(Actor::CommandLine, action, origin)
        }

        /// The staff member making the change; None for an API key or the command line.
        pub fn staff_id(&self) -> Option<i64> {
            match self.actor {
                Actor::Staff(id) => Some(id),
                Actor::ApiKey(_) | Actor::CommandLine => None,
            }
        }

        /// The entry saying `summary`, about a subject the change names once it knows it.
        pub fn saying(mut self, summary: impl Into<String>) -> Self {
            self.summary = summary.into();
            self
        }

        /// The entry about `subject` (such as "product 42"), saying `summary`.
        pub fn about(mut self, subject: impl Into<String>, summary: impl Into<String>) -> Self {
            self.subject = subject.into();
            self.summary = summary.into();
            self
        }

        /// Appends the entry inside the change's transaction `tx`.
        pub async fn write(&self, tx: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
            // The actor is copied in: the entry outlives a renamed or deleted account, or a key.
            let (user, key) = match &self.actor {
                Actor::Staff(user) => (Some(*user), String::new()),
                Actor::ApiKey(prefix) => (None, format!("API key {prefix}")),
                Actor::CommandLine => (None, "command line".to_owned()),
            };
            sqlx::query(
                "INSERT INTO audit_log (at, actor_id, actor, action, subject, summary, request_id, ip) \
                 VALUES ($1, $2, COALESCE((SELECT email FROM users WHERE id = $2), $3), $4, $5, $6, $7, $8)",
            )
            .bind(now_ms())
            .bind(user)
            .bind(key)
            .bind(self.action.as_str())
            .bind(&self.subject)
            .bind(&self.summary)
            .bind(&self.origin.request_id)
            .bind(&self.origin.ip)
            .execute(tx)
            .await?;
            Ok(())
        }
    }

    /// Runs the one-statement change `change` and, when it changed a row, writes `entry` with
    /// it, in one transaction. True when it changed a row.
    pub async fn change_one<'q>(
        db: &Db,
        change: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        entry: &Entry,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = db.begin_write().await?;
        let changed = change.execute(&mut *tx).await?.rows_affected() == 1;
        if changed {
            entry.write(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(changed)
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
