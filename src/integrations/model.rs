//! API keys and webhooks as the admin sees them, and the scopes a key may hold.

use crate::webhooks::EventKind;
use serde::{Deserialize, Serialize};

/// What a key may do: each REST route asks for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Products with their variants, prices and stock, and categories.
    CatalogRead,
    /// Creating, changing and deleting products.
    CatalogWrite,
    /// Setting the stock of SKUs.
    InventoryWrite,
    /// Orders and their totals.
    OrdersRead,
    /// Moving orders on, as the order desk does.
    OrdersWrite,
    /// Accounts: email, name, consent to news.
    CustomersRead,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::CatalogRead,
        Scope::CatalogWrite,
        Scope::InventoryWrite,
        Scope::OrdersRead,
        Scope::OrdersWrite,
        Scope::CustomersRead,
    ];

    /// As keys list it and the API documents it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CatalogRead => "catalog:read",
            Self::CatalogWrite => "catalog:write",
            Self::InventoryWrite => "inventory:write",
            Self::OrdersRead => "orders:read",
            Self::OrdersWrite => "orders:write",
            Self::CustomersRead => "customers:read",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == text)
    }

    /// What the admin reads beside the box.
    pub fn describe(self) -> &'static str {
        match self {
            Self::CatalogRead => "Read products, variants, prices and stock",
            Self::CatalogWrite => "Create, change and delete products",
            Self::InventoryWrite => "Set the stock of SKUs",
            Self::OrdersRead => "Read orders",
            Self::OrdersWrite => "Move orders on (ship, complete, cancel)",
            Self::CustomersRead => "Read customers (email, name, consent to news)",
        }
    }
}

/// A key in the admin's list (its secret is never shown again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// The key's public start (`emp_1a2b3c4d`), to tell keys apart.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: i64,
    /// To the minute.
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A key just made: the whole key, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedKey {
    pub view: ApiKeyView,
    pub key: String,
}

/// The form that makes a key: a name and the scopes ticked (`scopes[]` as a form sends them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// One route of the REST API, as the admin's reference page lists it (read from the OpenAPI
/// document, so the page and the document never disagree).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiOperation {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    /// The scope a key needs; empty for an open route.
    pub scope: String,
    pub parameters: Vec<ApiParameter>,
    /// The name of the request body's schema, if it takes one.
    pub body: String,
    /// Each status it may answer, with what it means.
    pub responses: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiParameter {
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: String,
    pub required: bool,
    pub description: String,
}

/// A webhook endpoint in the owner's list (its secret was shown once, when it was made).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub events: Vec<EventKind>,
    /// A paused endpoint is sent nothing; its deliveries wait until it is resumed.
    pub active: bool,
    pub created_at: i64,
    /// Deliveries still to be sent or tried again.
    pub pending: i64,
    /// Deliveries given up.
    pub failed: i64,
}

/// An endpoint just made, with the secret its deliveries are signed with, shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedWebhook {
    pub view: WebhookView,
    pub secret: String,
}

/// The form that makes an endpoint: its URL and the events ticked (`events[]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookForm {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub events: Vec<String>,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    /// Waiting for its first attempt or its next one.
    Pending,
    Delivered,
    /// Every attempt failed; "Resend" queues a copy.
    GivenUp,
}

/// One delivery in an endpoint's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: i64,
    /// The event's id as its body says it (`evt_…`): the same in every copy.
    pub event: String,
    pub kind: String,
    pub created_at: i64,
    pub attempts: i64,
    pub state: DeliveryState,
    /// When it is tried next, while pending.
    pub next_attempt_at: Option<i64>,
    pub delivered_at: Option<i64>,
    /// The HTTP status of the last answer; None when none came.
    pub last_status: Option<i64>,
    /// What went wrong the last time, or empty.
    pub last_error: String,
}

/// An endpoint with its newest deliveries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookLog {
    pub endpoint: WebhookView,
    pub deliveries: Vec<DeliveryView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_back_as_written() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("catalog:delete"), None);
        assert_eq!(Scope::parse("Catalog:Read"), None);
    }
}
