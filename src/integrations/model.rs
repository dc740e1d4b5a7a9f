//! API keys as the admin sees them, and the scopes a key may hold.

use serde::{Deserialize, Serialize};

/// What a key may do: each REST route asks for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Products with their variants, prices and stock.
    CatalogRead,
    /// Orders and their totals.
    OrdersRead,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::CatalogRead, Scope::OrdersRead];

    /// As keys list it and the API documents it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CatalogRead => "catalog:read",
            Self::OrdersRead => "orders:read",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == text)
    }

    /// What the admin reads beside the box.
    pub fn describe(self) -> &'static str {
        match self {
            Self::CatalogRead => "Read products, variants, prices and stock",
            Self::OrdersRead => "Read orders",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_back_as_written() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("catalog:write"), None);
        assert_eq!(Scope::parse("Catalog:Read"), None);
    }
}
