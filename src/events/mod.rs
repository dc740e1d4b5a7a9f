//! Behaviour events (views, searches, cart adds, purchases): recorded from every feature, read
//! later by recommendations and analytics. Requests hand events to a channel and move on; one
//! background task writes them in batches.
//!
//! Events still in the channel when a node stops abruptly are lost: at most one batch, about a
//! second's worth. They are statistics, not records.

use crate::platform::db::{Db, now_ms, values_list};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Largest batch written in one statement (5 parameters a row).
const BATCH: usize = 500;
/// How long an event may wait for companions before its batch is written.
const LINGER: Duration = Duration::from_millis(1000);
/// Events queued beyond this are dropped (with a warning) rather than slowing requests down.
const QUEUE: usize = 10_000;

/// What a shopper did, as stored in `events.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    ProductView,
    AddToCart,
    RemoveFromCart,
    WishlistAdd,
    Search,
    CheckoutStarted,
    Purchase,
    Review,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProductView => "product_view",
            Self::AddToCart => "add_to_cart",
            Self::RemoveFromCart => "remove_from_cart",
            Self::WishlistAdd => "wishlist_add",
            Self::Search => "search",
            Self::CheckoutStarted => "checkout_started",
            Self::Purchase => "purchase",
            Self::Review => "review",
        }
    }

    /// The kind as an SQL string literal, for `kind = {}`.
    pub fn sql(self) -> String {
        format!("'{}'", self.as_str())
    }

    /// Kinds as an SQL list, for `kind IN {}`: `('product_view', 'add_to_cart')`.
    pub fn sql_list(kinds: &[Self]) -> String {
        let kinds: Vec<String> = kinds.iter().map(|k| k.sql()).collect();
        format!("({})", kinds.join(", "))
    }
}

/// One thing a shopper did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub user_id: Option<i64>,
    pub product_id: Option<i64>,
    /// JSON text.
    pub payload: String,
    pub at: i64,
}

impl Event {
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            user_id: None,
            product_id: None,
            payload: "{}".into(),
            at: now_ms(),
        }
    }
}

enum Message {
    Record(Event),
    Flush(oneshot::Sender<()>),
}

/// The sending side, cheap to clone, kept in `AppState`.
#[derive(Clone)]
pub struct EventSink {
    sender: mpsc::Sender<Message>,
}

impl EventSink {
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(db, receiver));
        Self { sender }
    }

    /// Queues an event without waiting.
    pub fn record(&self, event: Event) {
        if let Err(error) = self.sender.try_send(Message::Record(event)) {
            tracing::warn!(%error, "event dropped");
        }
    }

    /// Waits until every event recorded before this call is in the database.
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

async fn write_batches(db: Db, mut receiver: mpsc::Receiver<Message>) {
    let mut batch: Vec<Event> = Vec::with_capacity(BATCH);
    loop {
        let message = if batch.is_empty() {
            receiver.recv().await
        } else {
            match tokio::time::timeout(LINGER, receiver.recv()).await {
                Ok(message) => message,
                Err(_) => {
                    write(&db, &mut batch).await;
                    continue;
                }
            }
        };
        match message {
            Some(Message::Record(event)) => {
                batch.push(event);
                if batch.len() == BATCH {
                    write(&db, &mut batch).await;
                }
            }
            Some(Message::Flush(done)) => {
                write(&db, &mut batch).await;
                let _ = done.send(());
            }
            None => {
                write(&db, &mut batch).await;
                return;
            }
        }
    }
}

async fn write(db: &Db, batch: &mut Vec<Event>) {
    if batch.is_empty() {
        return;
    }
    if let Err(error) = insert(db, batch).await {
        // One event naming a product or account deleted a moment ago fails the whole
        // statement: the events are written one by one, so only that one is lost.
        tracing::warn!(%error, events = batch.len(), "writing events failed; writing them one by one");
        for event in batch.iter() {
            if let Err(error) = insert(db, std::slice::from_ref(event)).await {
                tracing::warn!(%error, kind = event.kind.as_str(), "event dropped");
            }
        }
    }
    batch.clear();
}

async fn insert(db: &Db, events: &[Event]) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO events (kind, user_id, product_id, payload, created_at) VALUES {}",
        values_list(events.len(), "(?, ?, ?, ?, ?)")
    );
    let mut query = sqlx::query(&sql);
    for event in events {
        query = query
            .bind(event.kind.as_str())
            .bind(event.user_id)
            .bind(event.product_id)
            .bind(&event.payload)
            .bind(event.at);
    }
    query.execute(db.writer()).await.map(drop)
}

/// An event as a shopper's data export lists it.
#[derive(Debug, serde::Serialize)]
pub struct RecordedEvent {
    pub kind: String,
    pub product_id: Option<i64>,
    pub payload: serde_json::Value,
    pub at: i64,
}

/// Everything recorded about `user`'s behaviour, oldest first.
pub async fn of_user(db: &Db, user: i64) -> Result<Vec<RecordedEvent>, sqlx::Error> {
    let rows: Vec<(String, Option<i64>, String, i64)> = sqlx::query_as(
        "SELECT kind, product_id, payload, created_at FROM events WHERE user_id = $1 ORDER BY id",
    )
    .bind(user)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, product_id, payload, at)| RecordedEvent {
            kind,
            product_id,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            at,
        })
        .collect())
}

/// Detaches a deleted account's events from it, in the caller's transaction: they stay as
/// anonymous statistics.
pub async fn forget_user(tx: &mut sqlx::AnyConnection, user: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE events SET user_id = NULL WHERE user_id = $1")
        .bind(user)
        .execute(tx)
        .await?;
    Ok(())
}
