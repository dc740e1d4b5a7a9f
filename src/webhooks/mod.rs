//! Webhooks out, the part every domain uses: the events the shop announces to the shop's other
//! systems, and `emit`, which records one in the transaction of the change it announces (so an
//! event is sent exactly when its change committed). Turning events into signed deliveries, the
//! retries and the admin's delivery log are `integrations::webhooks`.

use serde::{Deserialize, Serialize};

/// What a webhook endpoint can be told about. Each event names its subject by id: an order's,
/// a product's, or a variant's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    OrderPaid,
    OrderShipped,
    OrderRefunded,
    ProductUpdated,
    InventoryLow,
}

impl EventKind {
    pub const ALL: [Self; 5] = [
        Self::OrderPaid,
        Self::OrderShipped,
        Self::OrderRefunded,
        Self::ProductUpdated,
        Self::InventoryLow,
    ];

    /// As the payload's `type`, the `Emporium-Event` header and the database say it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderPaid => "order.paid",
            Self::OrderShipped => "order.shipped",
            Self::OrderRefunded => "order.refunded",
            Self::ProductUpdated => "product.updated",
            Self::InventoryLow => "inventory.low",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// What the admin reads beside the box.
    pub fn describe(self) -> &'static str {
        match self {
            Self::OrderPaid => "An order was paid",
            Self::OrderShipped => "An order shipped, or part of it",
            Self::OrderRefunded => "Money was refunded on an order",
            Self::ProductUpdated => "A product was created or changed",
            Self::InventoryLow => "A variant's stock fell to the low-stock level",
        }
    }
}

/// Records event `kind` about `subject` (an id) in the caller's transaction, if an active
/// endpoint wants that kind; otherwise nothing is written.
#[cfg(feature = "ssr")]
pub async fn emit(
    tx: &mut sqlx::AnyConnection,
    kind: EventKind,
    subject: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO webhook_events (uid, kind, subject, created_at) SELECT $1, $2, $3, $4 \
         WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE active = 1 AND events LIKE $5)",
    )
    .bind(format!("evt_{}", crate::platform::tokens::random_hex(12)))
    .bind(kind.as_str())
    .bind(subject)
    .bind(now)
    .bind(subscribed(kind))
    .execute(tx)
    .await?;
    Ok(())
}

/// The `LIKE` pattern of the endpoints that want `kind` (`events` holds each name between
/// commas, as `events_column` writes it).
#[cfg(feature = "ssr")]
pub fn subscribed(kind: EventKind) -> String {
    format!("%,{},%", kind.as_str())
}

/// The `events` column for a set of kinds: `,order.paid,inventory.low,`.
#[cfg(feature = "ssr")]
pub fn events_column(kinds: &[EventKind]) -> String {
    kinds
        .iter()
        .fold(",".to_owned(), |column, kind| column + kind.as_str() + ",")
}

/// The kinds an `events` column holds (unknown names are skipped).
#[cfg(feature = "ssr")]
pub fn kinds_of(column: &str) -> Vec<EventKind> {
    column.split(',').filter_map(EventKind::parse).collect()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_back_as_written() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("order"), None);
        let column = events_column(&[EventKind::OrderPaid, EventKind::InventoryLow]);
        assert_eq!(column, ",order.paid,inventory.low,");
        assert_eq!(
            kinds_of(&column),
            [EventKind::OrderPaid, EventKind::InventoryLow]
        );
    }
}
