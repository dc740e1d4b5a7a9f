//! Webhooks out: the endpoints an owner registers, and the rounds that tell them what happened.
//!
//! Domains raise events in the transactions of their changes (`crate::webhooks::emit`). One
//! node at a time (the `webhooks` job lease) runs a round every two seconds: it raises
//! `inventory.low` for variants that fell to the low-stock level since its last look; it turns
//! each waiting event into one delivery per endpoint that wants it, whose body is the event's
//! subject as the REST API shows it at that moment (so every attempt, and "Resend", sends the
//! same bytes; several events of one kind about one subject go out once, as the newest); and it
//! sends the deliveries that are due, up to eight at once. An attempt without a 2xx answer
//! within ten seconds (redirects are not followed) is tried again after `RETRY_AFTER_SECS`, then
//! given up. Each request is signed as Stripe signs its own (`platform::signature`) in the
//! `Emporium-Signature` header.

use super::{
    model::{IssuedWebhook, WebhookForm, WebhookLog, WebhookView},
    webhook_db::{self as db, Due, Waiting},
    writes::variant_stock,
};
use crate::{
    catalog::db::product_record,
    error::{AppError, FieldError},
    fulfilment::db::order_record,
    platform::{audit::Entry, db::Db, http::outbound, signature::sign, tokens::random_hex},
    webhooks::{EventKind, emit},
};
use futures::StreamExt;
use std::{collections::HashMap, time::Duration};

/// How often a round runs.
pub const ROUND: Duration = Duration::from_secs(2);
/// How long an endpoint has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries sent at once.
const AT_ONCE: usize = 8;
/// Events and deliveries taken per round.
const BATCH: i64 = 100;
/// The wait after each failed attempt: 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 24 h (about 42 h
/// in all); the attempt after the last wait is the last.
pub const RETRY_AFTER_SECS: [i64; 7] = [60, 300, 1_800, 7_200, 18_000, 36_000, 86_400];
/// How long a round owns a delivery it is sending (longer than `TIMEOUT`).
const CLAIM_MS: i64 = 60_000;
/// Finished deliveries stay in the log this long.
const KEEP_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// Endpoints a shop may have.
const MAX_ENDPOINTS: i64 = 20;
/// Deliveries an endpoint's log shows.
const LOG_LENGTH: i64 = 50;

/// The client deliveries go out with.
pub fn client() -> reqwest::Client {
    outbound()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Emporium-Webhooks/1")
        .build()
        .expect("a client without custom TLS settings always builds")
}

/// The endpoint's URL and events from the owner's form. HTTPS, except to this machine (a local
/// receiver), because bodies carry customers' email addresses.
fn parse_form(form: &WebhookForm) -> Result<(String, Vec<EventKind>), AppError> {
    let mut errors = Vec::new();
    let url = form.url.trim();
    let parsed = reqwest::Url::parse(url).ok().filter(|u| {
        let local = u.host_str().is_some_and(|host| {
            host == "localhost"
                || host
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        (u.scheme() == "https" || (u.scheme() == "http" && local))
            && u.host().is_some()
            && u.username().is_empty()
            && u.password().is_none()
    });
    if parsed.is_none() || url.len() > 2000 {
        errors.push(FieldError::new(
            "url",
            "Give the full https:// address that receives the events (http:// only to this machine), without a user name or password.",
        ));
    }
    let mut events = Vec::new();
    for text in &form.events {
        match EventKind::parse(text) {
            Some(kind) if !events.contains(&kind) => events.push(kind),
            Some(_) => {}
            None => errors.push(FieldError::new(
                "events",
                "That is not an event the shop sends.",
            )),
        }
    }
    if events.is_empty() && errors.iter().all(|e| e.field != "events") {
        errors.push(FieldError::new("events", "Tick at least one event."));
    }
    if errors.is_empty() {
        Ok((url.to_owned(), events))
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Registers an endpoint for `by` (an owner); the answer holds its signing secret.
pub async fn create(
    db: &Db,
    form: &WebhookForm,
    entry: Entry,
    now: i64,
) -> Result<IssuedWebhook, AppError> {
    let (url, events) = parse_form(form)?;
    if db::count_endpoints(db).await? >= MAX_ENDPOINTS {
        return Err(AppError::Conflict(format!(
            "A shop can have {MAX_ENDPOINTS} endpoints; delete one first."
        )));
    }
    let secret = format!("whsec_{}", random_hex(24));
    let mut tx = db.begin_write().await?;
    let by = entry.staff_id();
    let id = db::insert_endpoint(&mut tx, &url, &events, &secret, by, now).await?;
    let kinds: Vec<&str> = events.iter().map(|kind| kind.as_str()).collect();
    let summary = format!("{url} for {}", kinds.join(" "));
    entry
        .about(format!("webhook {id}"), summary)
        .write(&mut tx)
        .await?;
    tx.commit().await?;
    let view = db::endpoint(db, id).await?.ok_or(AppError::NotFound)?;
    Ok(IssuedWebhook { view, secret })
}

pub async fn list(db: &Db) -> Result<Vec<WebhookView>, AppError> {
    Ok(db::endpoints(db).await?)
}

/// Endpoint `id` with its newest deliveries.
pub async fn log(db: &Db, id: i64) -> Result<WebhookLog, AppError> {
    let endpoint = db::endpoint(db, id).await?.ok_or(AppError::NotFound)?;
    let deliveries = db::deliveries(db, id, LOG_LENGTH).await?;
    Ok(WebhookLog {
        endpoint,
        deliveries,
    })
}

pub async fn set_active(db: &Db, id: i64, active: bool, entry: &Entry) -> Result<(), AppError> {
    db::set_active(db, id, active, entry)
        .await?
        .then_some(())
        .ok_or(AppError::NotFound)
}

pub async fn delete(db: &Db, id: i64, entry: &Entry) -> Result<(), AppError> {
    db::delete_endpoint(db, id, entry)
        .await?
        .then_some(())
        .ok_or(AppError::NotFound)
}

/// Queues delivery `delivery` of endpoint `endpoint` again, at once, logging `entry`.
pub async fn resend(
    db: &Db,
    endpoint: i64,
    delivery: i64,
    now: i64,
    entry: &Entry,
) -> Result<(), AppError> {
    db::resend(db, endpoint, delivery, now, entry)
        .await?
        .then_some(())
        .ok_or(AppError::NotFound)
}

/// What a round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Deliveries made from waiting events.
    pub queued: u64,
    pub delivered: usize,
    pub failed: usize,
}

/// One round at time `now` (the caller's clock, so tests can step through the retry waits);
/// `threshold` is the low-stock level.
pub async fn round(
    db: &Db,
    client: &reqwest::Client,
    threshold: i64,
    now: i64,
) -> Result<Round, AppError> {
    watch_stock(db, threshold, now).await?;
    let mut round = Round::default();
    let waiting = db::waiting(db, BATCH).await?;
    // Events of one kind about one subject would all carry its body as it is now: the newest
    // goes out, the others are dropped.
    let newest: HashMap<(&str, i64), i64> = waiting
        .iter()
        .map(|event| ((event.kind.as_str(), event.subject), event.id))
        .collect();
    for event in &waiting {
        if newest[&(event.kind.as_str(), event.subject)] == event.id {
            round.queued += queue(db, event, now).await?;
        } else {
            db::dispatch(db, event, None, now).await?;
        }
    }
    let attempts: Vec<Option<bool>> = futures::stream::iter(db::due(db, now, BATCH).await?)
        .map(|due| attempt(db, client, due, now))
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<Result<_, sqlx::Error>>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    round.delivered = attempts.iter().filter(|a| **a == Some(true)).count();
    round.failed = attempts.iter().filter(|a| **a == Some(false)).count();
    db::forget_finished(db, now - KEEP_MS).await?;
    Ok(round)
}

/// Raises `inventory.low` for each variant that fell to `threshold` since the last look, while
/// an endpoint wants it.
async fn watch_stock(db: &Db, threshold: i64, now: i64) -> Result<(), sqlx::Error> {
    if !db::wanted(db, EventKind::InventoryLow).await? {
        return db::forget_low(db).await;
    }
    let mut tx = db.begin_write().await?;
    db::forget_restocked(&mut tx, threshold).await?;
    for variant in db::newly_low(&mut tx, threshold).await? {
        emit(&mut tx, EventKind::InventoryLow, variant, now).await?;
    }
    tx.commit().await
}

/// Turns a waiting event into its deliveries; returns how many.
async fn queue(db: &Db, event: &Waiting, now: i64) -> Result<u64, sqlx::Error> {
    let Some(kind) = EventKind::parse(&event.kind) else {
        return db::dispatch(db, event, None, now).await;
    };
    let data = match kind {
        EventKind::OrderPaid | EventKind::OrderShipped | EventKind::OrderRefunded => {
            order_record(db, event.subject).await?.map(json)
        }
        EventKind::ProductUpdated => product_record(db, event.subject).await?.map(json),
        EventKind::InventoryLow => variant_stock(db, event.subject).await?.map(json),
    };
    let payload = data.map(|data| {
        serde_json::json!({
            "id": event.uid,
            "type": kind.as_str(),
            "created": event.created_at / 1000,
            "data": data,
        })
        .to_string()
    });
    let body = payload.as_deref().map(|payload| (kind, payload));
    db::dispatch(db, event, body, now).await
}

fn json(record: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(record).unwrap_or_default()
}

/// Sends one delivery, unless another round claimed it first: Some(true) when the endpoint
/// took it, Some(false) when it will be tried again or was given up.
async fn attempt(
    db: &Db,
    client: &reqwest::Client,
    due: Due,
    now: i64,
) -> Result<Option<bool>, sqlx::Error> {
    if !db::claim(db, &due, now + CLAIM_MS).await? {
        return Ok(None);
    }
    let signed_at = crate::platform::db::now_ms() / 1000;
    let answer = client
        .post(&due.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("emporium-event", &due.kind)
        .header("emporium-delivery", due.id.to_string())
        .header(
            "emporium-signature",
            sign(due.payload.as_bytes(), &due.secret, signed_at),
        )
        .body(due.payload)
        .send()
        .await;
    let (status, error) = match answer {
        Ok(answer) if answer.status().is_success() => {
            let status = answer.status().as_u16();
            db::attempted(db, due.id, Some(status), Some(now), None, "").await?;
            return Ok(Some(true));
        }
        Ok(answer) => (
            Some(answer.status().as_u16()),
            format!("The endpoint answered {}.", answer.status()),
        ),
        Err(error) if error.is_timeout() => (None, "No answer within 10 seconds.".to_owned()),
        Err(error) if error.is_connect() => (None, "Could not connect.".to_owned()),
        Err(_) => (None, "The request failed.".to_owned()),
    };
    // `attempts` counted this one: the wait after the n-th failure is the n-th.
    let next = usize::try_from(due.attempts)
        .ok()
        .and_then(|n| RETRY_AFTER_SECS.get(n))
        .map(|secs| now + secs * 1000);
    db::attempted(db, due.id, status, None, next, &error).await?;
    Ok(Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(url: &str, events: &[&str]) -> WebhookForm {
        WebhookForm {
            url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    #[test]
    fn endpoints_need_https_or_this_machine_and_known_events() {
        let fields = |form: &WebhookForm| match parse_form(form) {
            Ok(_) => Vec::new(),
            Err(AppError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            Err(other) => panic!("{other:?}"),
        };
        for good in [
            "https://erp.example.com/hooks/emporium",
            "http://127.0.0.1:9000/hook",
            "http://localhost:9000/hook",
            "http://[::1]:9000/hook",
        ] {
            assert!(fields(&form(good, &["order.paid"])).is_empty(), "{good}");
        }
        for bad in [
            "",
            "erp.example.com",
            "http://erp.example.com/hook",
            "http://10.0.0.5/hook",
            "ftp://erp.example.com/",
            "https://user:pw@erp.example.com/",
        ] {
            assert_eq!(fields(&form(bad, &["order.paid"])), ["url"], "{bad}");
        }
        assert_eq!(fields(&form("https://x.test/", &[])), ["events"]);
        assert_eq!(
            fields(&form("https://x.test/", &["order.lost"])),
            ["events"]
        );
        let (_, events) = parse_form(&form(
            "https://x.test/",
            &["order.paid", "order.paid", "inventory.low"],
        ))
        .unwrap();
        assert_eq!(events, [EventKind::OrderPaid, EventKind::InventoryLow]);
    }
}
