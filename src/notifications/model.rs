//! Notification preferences and in-app notifications as the pages show them.

use serde::{Deserialize, Serialize};

/// How a shopper wants to hear from the shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// Shipping, delivery and cancellation of their orders, by email.
    pub orders_email: bool,
    /// The same, as notifications in the shop.
    pub orders_app: bool,
    /// News and offers, by email. Off unless the shopper opts in.
    pub news_email: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            orders_email: true,
            orders_app: true,
            news_email: false,
        }
    }
}

/// One in-app notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// A local path, or empty.
    pub link: String,
    pub created_at: i64,
    pub read: bool,
}
