//! Behaviour events (views, searches, cart adds, purchases): recorded from every feature, read
//! later by recommendations and analytics. Requests hand events to a channel and move on; one
//! background task writes them in batches.
//!
//! Events still in the channel when a node stops abruptly are lost: at most one batch, about a
//! second's worth. They are statistics, not records.
//!
//! Every browser is a visitor: a random id in a first-party, HttpOnly cookie (`identify_visitor`),
//! so guests' behaviour counts too, and signing in hands the visitor's events to the account
//! (`adopt_visitor`). So that a loop of requests cannot skew what is popular, the writer keeps
//! one of the same visitor's repeated views, cart adds or saves of a product in `REPEAT_MS`, at most
//! `PER_MINUTE` events of a visitor a minute, and counts the behaviour of at most
//! `NEW_VISITORS_PER_MINUTE` new visitors (browsers without the cookie) per network address a
//! minute. That last count is kept per node, in memory: with several nodes an address gets that
//! many per node, which still bounds a flood.

use crate::platform::{
    config::Environment,
    db::{Db, now_ms, values_list},
    http::{ClientAddress, VISITOR_COOKIE, cookie, request_parts, set_cookie},
    state::AppState,
    tokens::random_hex,
};
use axum::{
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::Response,
};
use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};
use tokio::sync::{mpsc, oneshot};

/// The visitor cookie lasts a year; its value is 128 random bits as hex.
const VISITOR_TTL_SECS: i64 = 365 * 24 * 60 * 60;
/// The same visitor doing the same thing with the same product again within this counts once.
const REPEAT_MS: i64 = 10 * 60 * 1000;
/// Events of one visitor kept in a minute.
const PER_MINUTE: usize = 60;
/// New visitors whose behaviour one network address may have counted in a minute, per node.
const NEW_VISITORS_PER_MINUTE: usize = 30;

/// Largest batch written in one statement (6 parameters a row).
const BATCH: usize = 500;
/// How long the first event of a batch waits for companions before the batch is written.
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
    /// A row of recommendations was shown; `payload` names the row.
    RecommendationShown,
    /// A product was followed from a row of recommendations; `payload` names the row.
    RecommendationClicked,
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
            Self::RecommendationShown => "recommendation_shown",
            Self::RecommendationClicked => "recommendation_clicked",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::ProductView,
            Self::AddToCart,
            Self::RemoveFromCart,
            Self::WishlistAdd,
            Self::Search,
            Self::CheckoutStarted,
            Self::Purchase,
            Self::Review,
            Self::RecommendationShown,
            Self::RecommendationClicked,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }

    /// Browsing signals, of which a visitor's repeats with one product within `REPEAT_MS`
    /// count once (a review or a purchase always counts).
    fn repeats_count_once(self) -> bool {
        matches!(
            self,
            Self::ProductView | Self::AddToCart | Self::WishlistAdd
        )
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
    /// The browser it happened in, when known.
    pub visitor: Option<Visitor>,
}

impl Event {
    /// An event of `kind` now, by the visitor of the current request.
    pub fn new(kind: EventKind) -> Self {
        Self {
            kind,
            user_id: None,
            product_id: None,
            payload: "{}".into(),
            at: now_ms(),
            visitor: current_visitor(),
        }
    }
}

/// The visitor of a request, put in its extensions by `identify_visitor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visitor {
    pub id: String,
    /// The network address of a browser that came without the cookie (its first request).
    pub new_from: Option<String>,
}

/// The visitor of the current request, if any.
pub fn current_visitor() -> Option<Visitor> {
    request_parts()?.extensions.get::<Visitor>().cloned()
}

fn is_visitor_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Middleware: finds the visitor cookie of pages and server functions, or gives the browser
/// one. Files, pictures, health checks, webhooks and what crawlers read carry none.
pub async fn identify_visitor(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let pkg = format!("/{}/", state.leptos.site_pkg_dir);
    if path.starts_with(&pkg)
        || path.starts_with("/media/")
        || path.starts_with("/webhooks/")
        || path.starts_with("/sitemap")
        || matches!(
            path,
            "/healthz" | "/readyz" | "/metrics" | "/favicon.ico" | "/robots.txt"
        )
    {
        return next.run(request).await;
    }
    let known = cookie(request.headers(), VISITOR_COOKIE)
        .filter(|id| is_visitor_id(id))
        .map(str::to_owned);
    let visitor = match known {
        Some(id) => Visitor { id, new_from: None },
        None => Visitor {
            id: random_hex(16),
            new_from: Some(
                request
                    .extensions()
                    .get::<ClientAddress>()
                    .map_or_else(String::new, |address| address.0.clone()),
            ),
        },
    };
    let new = visitor.new_from.is_some().then(|| visitor.id.clone());
    request.extensions_mut().insert(visitor);
    let mut response = next.run(request).await;
    let secure = state.config.environment == Environment::Production;
    if let Some(value) =
        new.and_then(|id| set_cookie(VISITOR_COOKIE, &id, VISITOR_TTL_SECS, secure))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Gives the events of the current request's visitor that no account has yet to `user`, who
/// just signed in.
pub async fn adopt_visitor(db: &Db, user: i64) -> Result<(), sqlx::Error> {
    let Some(visitor) = current_visitor() else {
        return Ok(());
    };
    sqlx::query("UPDATE events SET user_id = $1 WHERE visitor = $2 AND user_id IS NULL")
        .bind(user)
        .bind(&visitor.id)
        .execute(db.writer())
        .await?;
    Ok(())
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
    let mut newcomers = Newcomers::default();
    // When the batch must be written: `LINGER` after its first event, however many follow.
    let mut due = tokio::time::Instant::now();
    loop {
        let message = if batch.is_empty() {
            receiver.recv().await
        } else {
            match tokio::time::timeout_at(due, receiver.recv()).await {
                Ok(message) => message,
                Err(_) => {
                    write(&db, &mut batch, &mut newcomers).await;
                    continue;
                }
            }
        };
        match message {
            Some(Message::Record(event)) => {
                if batch.is_empty() {
                    due = tokio::time::Instant::now() + LINGER;
                }
                batch.push(event);
                if batch.len() == BATCH {
                    write(&db, &mut batch, &mut newcomers).await;
                }
            }
            Some(Message::Flush(done)) => {
                write(&db, &mut batch, &mut newcomers).await;
                let _ = done.send(());
            }
            None => {
                write(&db, &mut batch, &mut newcomers).await;
                return;
            }
        }
    }
}

/// The new visitors each network address started in the last minute, on this node.
#[derive(Default)]
struct Newcomers {
    by_address: HashMap<String, Vec<(String, i64)>>,
}

impl Newcomers {
    /// False when `visitor`, new from `address` at `at`, is one too many for the minute.
    fn admit(&mut self, address: &str, visitor: &str, at: i64) -> bool {
        if self.by_address.len() > 10_000 {
            for started in self.by_address.values_mut() {
                started.retain(|&(_, when)| at - when < 60_000);
            }
            self.by_address.retain(|_, started| !started.is_empty());
        }
        let started = self.by_address.entry(address.to_owned()).or_default();
        started.retain(|&(_, when)| at - when < 60_000);
        if started.iter().any(|(id, _)| id == visitor) {
            return true;
        }
        if started.len() >= NEW_VISITORS_PER_MINUTE {
            return false;
        }
        started.push((visitor.to_owned(), at));
        true
    }
}

/// What a visitor recently did, as the writer checks repeats and the rate against it.
type Recent = HashMap<String, Vec<(EventKind, Option<i64>, i64)>>;

/// Keeps the events worth counting (see the module's notes): `recent` is what their visitors
/// did in the last `REPEAT_MS`, and grows with each event kept.
fn keep(event: &Event, recent: &mut Recent, newcomers: &mut Newcomers) -> bool {
    let Some(visitor) = &event.visitor else {
        return true;
    };
    if let Some(address) = &visitor.new_from
        && !newcomers.admit(address, &visitor.id, event.at)
    {
        return false;
    }
    let done = recent.entry(visitor.id.clone()).or_default();
    let repeat = event.kind.repeats_count_once()
        && event.product_id.is_some()
        && done.iter().any(|&(kind, product, at)| {
            kind == event.kind && product == event.product_id && event.at - at < REPEAT_MS
        });
    let this_minute = done
        .iter()
        .filter(|&&(_, _, at)| event.at - at < 60_000)
        .count();
    if repeat || this_minute >= PER_MINUTE {
        return false;
    }
    done.push((event.kind, event.product_id, event.at));
    true
}

/// What the visitors of `batch` did in the last `REPEAT_MS`.
async fn recent(db: &Db, batch: &[Event]) -> Result<Recent, sqlx::Error> {
    let visitors: Vec<&str> = batch
        .iter()
        .filter_map(|e| e.visitor.as_ref().map(|v| v.id.as_str()))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut recent = Recent::new();
    if visitors.is_empty() {
        return Ok(recent);
    }
    let since = batch.iter().map(|e| e.at).min().unwrap_or_default() - REPEAT_MS;
    let sql = format!(
        "SELECT visitor, kind, product_id, created_at FROM events \
         WHERE visitor IN ({}) AND created_at >= ${}",
        values_list(visitors.len(), "?"),
        visitors.len() + 1
    );
    let mut query = sqlx::query_as::<_, (String, String, Option<i64>, i64)>(&sql);
    for visitor in &visitors {
        query = query.bind(*visitor);
    }
    query = query.bind(since);
    for (visitor, kind, product, at) in query.fetch_all(db.pool()).await? {
        if let Some(kind) = EventKind::parse(&kind) {
            recent.entry(visitor).or_default().push((kind, product, at));
        }
    }
    Ok(recent)
}

async fn write(db: &Db, batch: &mut Vec<Event>, newcomers: &mut Newcomers) {
    if batch.is_empty() {
        return;
    }
    match recent(db, batch).await {
        Ok(mut recent) => batch.retain(|event| keep(event, &mut recent, newcomers)),
        Err(error) => tracing::warn!(%error, "reading visitors' recent events failed"),
    }
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
        "INSERT INTO events (kind, user_id, product_id, payload, created_at, visitor) VALUES {}",
        values_list(events.len(), "(?, ?, ?, ?, ?, ?)")
    );
    let mut query = sqlx::query(&sql);
    for event in events {
        query = query
            .bind(event.kind.as_str())
            .bind(event.user_id)
            .bind(event.product_id)
            .bind(&event.payload)
            .bind(event.at)
            .bind(event.visitor.as_ref().map(|v| v.id.as_str()));
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
    sqlx::query("UPDATE events SET user_id = NULL, visitor = NULL WHERE user_id = $1")
        .bind(user)
        .execute(tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by(visitor: &str, new_from: Option<&str>, kind: EventKind, product: i64, at: i64) -> Event {
        Event {
            kind,
            user_id: None,
            product_id: Some(product),
            payload: "{}".into(),
            at,
            visitor: Some(Visitor {
                id: visitor.into(),
                new_from: new_from.map(str::to_owned),
            }),
        }
    }

    #[test]
    fn a_visitors_repeats_count_once_within_ten_minutes() {
        let (mut recent, mut newcomers) = (Recent::new(), Newcomers::default());
        let mut kept = |event: Event| keep(&event, &mut recent, &mut newcomers);
        assert!(kept(by("a", None, EventKind::ProductView, 1, 0)));
        assert!(!kept(by("a", None, EventKind::ProductView, 1, 60_000)));
        assert!(
            kept(by("a", None, EventKind::AddToCart, 1, 60_000)),
            "another kind"
        );
        assert!(
            kept(by("b", None, EventKind::ProductView, 1, 60_000)),
            "another visitor"
        );
        assert!(
            kept(by("a", None, EventKind::ProductView, 1, REPEAT_MS)),
            "ten minutes on"
        );
        assert!(kept(by("a", None, EventKind::Review, 2, REPEAT_MS)));
        assert!(
            kept(by("a", None, EventKind::Review, 2, REPEAT_MS)),
            "reviews always count"
        );
    }

    #[test]
    fn a_visitor_gets_sixty_events_a_minute() {
        let (mut recent, mut newcomers) = (Recent::new(), Newcomers::default());
        let kept = (0..100)
            .filter(|&n| {
                keep(
                    &by("a", None, EventKind::ProductView, n, n * 100),
                    &mut recent,
                    &mut newcomers,
                )
            })
            .count();
        assert_eq!(kept, PER_MINUTE);
        let later = by("a", None, EventKind::ProductView, 500, 61_000);
        assert!(keep(&later, &mut recent, &mut newcomers), "the next minute");
    }

    #[test]
    fn one_address_starts_thirty_counted_visitors_a_minute() {
        let mut newcomers = Newcomers::default();
        let admitted = (0..40)
            .filter(|n| newcomers.admit("10.0.0.1", &format!("v{n}"), 1_000))
            .count();
        assert_eq!(admitted, NEW_VISITORS_PER_MINUTE);
        assert!(
            newcomers.admit("10.0.0.1", "v0", 2_000),
            "a visitor already counted"
        );
        assert!(newcomers.admit("10.0.0.2", "w", 2_000), "another address");
        assert!(
            newcomers.admit("10.0.0.1", "late", 61_001),
            "a minute later"
        );
    }

    #[test]
    fn only_our_own_visitor_ids_are_believed() {
        assert!(is_visitor_id(&"0a".repeat(16)));
        for bad in ["", "xyz", &"A".repeat(32), &"0".repeat(31), &"0".repeat(33)] {
            assert!(!is_visitor_id(bad), "{bad:?}");
        }
    }
}
