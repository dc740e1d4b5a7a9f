//! Notification queries. `notify` runs inside the transaction of the change it announces, so a
//! shopper is told exactly when the change happened, never about one that was rolled back.

use super::model::{Notification, Preferences};
use crate::platform::db::{Db, now_ms};
use serde::{Deserialize, Serialize};

/// Notifications shown at once, newest first.
pub const LIST_LIMIT: i64 = 50;

/// The emails the shop sends, as stored in `outbox.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailKind {
    OrderConfirmation,
    OrderShipped,
    OrderDelivered,
    OrderCancelled,
    OrderExpired,
    OrderRefunded,
    /// A step of a return: asked for, approved, rejected or received.
    ReturnUpdate,
    /// A link that sets a new password.
    PasswordReset,
    /// A link that confirms an email address.
    VerifyEmail,
    /// Someone tried to sign up with an address that has an account.
    SignUpAttempt,
    /// The account asked to change its email address (sent to the old one).
    EmailChange,
}

impl EmailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OrderConfirmation => "order_confirmation",
            Self::OrderShipped => "order_shipped",
            Self::OrderDelivered => "order_delivered",
            Self::OrderCancelled => "order_cancelled",
            Self::OrderExpired => "order_expired",
            Self::OrderRefunded => "order_refunded",
            Self::ReturnUpdate => "return_update",
            Self::PasswordReset => "password_reset",
            Self::VerifyEmail => "verify_email",
            Self::SignUpAttempt => "sign_up_attempt",
            Self::EmailChange => "email_change",
        }
    }
}

/// Something to tell a shopper about one of their orders.
pub struct OrderMessage<'a> {
    pub kind: EmailKind,
    pub title: String,
    pub body: String,
    pub link: &'a str,
}

/// Tells `user` about an order, in the shop and by email, as their preferences say.
pub async fn notify_order(
    tx: &mut sqlx::AnyConnection,
    user: i64,
    message: &OrderMessage<'_>,
) -> Result<(), sqlx::Error> {
    let Some((email, by_email, in_app)): Option<(String, i64, i64)> = sqlx::query_as(
        "SELECT email, notify_orders_email, notify_orders_app FROM users WHERE id = $1",
    )
    .bind(user)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(());
    };
    let now = now_ms();
    if in_app == 1 {
        sqlx::query(
            "INSERT INTO notifications (user_id, title, body, link, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user)
        .bind(&message.title)
        .bind(&message.body)
        .bind(message.link)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    if by_email == 1 {
        let payload = OutboxEmail {
            subject: message.title.clone(),
            text: message.body.clone(),
            link: message.link.to_owned(),
        };
        queue_email(tx, message.kind, &email, &payload, now).await?;
    }
    Ok(())
}

/// What an outbox row asks the mailer to send: the subject, the text, and a local path that
/// the email links to (made absolute with the shop's public address).
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEmail {
    pub subject: String,
    pub text: String,
    pub link: String,
}

/// Queues an email inside the caller's transaction, so it is sent only if the change it
/// announces commits; `now` is the time of that change.
pub async fn queue_email(
    tx: &mut sqlx::AnyConnection,
    kind: EmailKind,
    recipient: &str,
    email: &OutboxEmail,
    now: i64,
) -> Result<(), sqlx::Error> {
    let payload = serde_json::to_string(email).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO outbox (kind, recipient, payload, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(kind.as_str())
    .bind(recipient)
    .bind(payload)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn preferences(db: &Db, user: i64) -> Result<Preferences, sqlx::Error> {
    let (orders_email, orders_app, news_email): (i64, i64, i64) = sqlx::query_as(
        "SELECT notify_orders_email, notify_orders_app, notify_news_email FROM users WHERE id = $1",
    )
    .bind(user)
    .fetch_one(db.pool())
    .await?;
    Ok(Preferences {
        orders_email: orders_email == 1,
        orders_app: orders_app == 1,
        news_email: news_email == 1,
    })
}

pub async fn save_preferences(
    db: &Db,
    user: i64,
    preferences: Preferences,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE users SET notify_orders_email = $1, notify_orders_app = $2, notify_news_email = $3 WHERE id = $4",
    )
    .bind(i64::from(preferences.orders_email))
    .bind(i64::from(preferences.orders_app))
    .bind(i64::from(preferences.news_email))
    .bind(user)
    .execute(db.writer())
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    title: String,
    body: String,
    link: String,
    created_at: i64,
    read_at: Option<i64>,
}

/// `user`'s newest notifications.
pub async fn list(db: &Db, user: i64) -> Result<Vec<Notification>, sqlx::Error> {
    let rows: Vec<NotificationRow> = sqlx::query_as(
        "SELECT id, title, body, link, created_at, read_at FROM notifications \
         WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(user)
    .bind(LIST_LIMIT)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Notification {
            id: row.id,
            title: row.title,
            body: row.body,
            link: row.link,
            created_at: row.created_at,
            read: row.read_at.is_some(),
        })
        .collect())
}

pub async fn unread(db: &Db, user: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user)
        .fetch_one(db.pool())
        .await
}

pub async fn mark_all_read(db: &Db, user: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
        .bind(now_ms())
        .bind(user)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Forgets the notifications of a deleted account and every email to its address, sent or not,
/// in the caller's transaction.
pub async fn forget_user(
    tx: &mut sqlx::AnyConnection,
    user: i64,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM notifications WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM outbox WHERE recipient = $1")
        .bind(email)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
