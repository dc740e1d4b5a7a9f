//! `Idempotency-Key` on the REST API's POST routes: the first request with a key (per API key)
//! runs and its answer is kept for a day; the same request sent again with the key gets that
//! answer back (`Idempotent-Replayed: true`) without acting twice. The key sent with another
//! request is refused (422), and while the first is still running a second gets 409. The row is
//! claimed by its primary key before the work starts, so this holds across nodes too.

use super::{rest::Problem, service::Caller};
use crate::platform::{db::now_ms, state::AppState, tokens::hash_token};
use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

/// How long an answer is kept.
const KEEP_MS: i64 = 24 * 60 * 60 * 1000;

/// A write's answer before it goes out: what is kept and replayed.
#[derive(Serialize, Deserialize)]
pub struct Answer {
    #[serde(with = "status_code")]
    pub status: StatusCode,
    pub body: Option<serde_json::Value>,
    pub etag: Option<String>,
    pub location: Option<String>,
}

mod status_code {
    use axum::http::StatusCode;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(status: &StatusCode, to: S) -> Result<S::Ok, S::Error> {
        to.serialize_u16(status.as_u16())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<StatusCode, D::Error> {
        StatusCode::from_u16(u16::deserialize(from)?).map_err(D::Error::custom)
    }
}

impl Answer {
    pub fn json(status: StatusCode, body: impl Serialize) -> Self {
        Self {
            status,
            body: serde_json::to_value(body).ok(),
            etag: None,
            location: None,
        }
    }

    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
            etag: None,
            location: None,
        }
    }
}

impl From<Problem> for Answer {
    fn from(problem: Problem) -> Self {
        Self::json(problem.status, problem.document())
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = match self.body {
            Some(body) => (self.status, Json(body)).into_response(),
            None => self.status.into_response(),
        };
        let headers = response.headers_mut();
        if self.status.is_client_error() || self.status.is_server_error() {
            let problem = HeaderValue::from_static("application/problem+json");
            headers.insert(header::CONTENT_TYPE, problem);
        }
        for (name, value) in [(header::ETAG, self.etag), (header::LOCATION, self.location)] {
            if let Some(value) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                headers.insert(name, value);
            }
        }
        response
    }
}

/// The `Idempotency-Key` header, as the POST routes take it (and the OpenAPI document says).
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKey {
    /// Sent again with the same request, the first answer comes back instead of acting twice.
    #[param(
        rename = "Idempotency-Key",
        min_length = 1,
        max_length = 255,
        pattern = "^[!-~]+$"
    )]
    key: Option<String>,
}

impl IdempotencyKey {
    /// The request's key, if it sent one; 400 when it is not 1 to 255 visible ASCII characters.
    fn of(headers: &HeaderMap) -> Result<Self, Problem> {
        let Some(value) = headers.get("idempotency-key") else {
            return Ok(Self { key: None });
        };
        let visible = |key: &&str| {
            (1..=255).contains(&key.len()) && key.bytes().all(|b| (b'!'..=b'~').contains(&b))
        };
        match value.to_str().ok().filter(visible) {
            Some(key) => Ok(Self {
                key: Some(key.to_owned()),
            }),
            None => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "Idempotency-Key must be 1 to 255 visible ASCII characters.",
            )),
        }
    }
}

/// Runs `work` once per `Idempotency-Key` of `caller` (every time when the request has none):
/// `request` names the route and its body, so a key reused for another request is caught.
pub async fn once<F>(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    request: &[&[u8]],
    work: F,
) -> Response
where
    F: Future<Output = Result<Answer, Problem>>,
{
    let key = match IdempotencyKey::of(headers) {
        Ok(IdempotencyKey { key: Some(key) }) => key,
        Ok(IdempotencyKey { key: None }) => {
            return work.await.unwrap_or_else(Answer::from).into_response();
        }
        Err(refused) => return refused.into_response(),
    };
    let key = key.as_str();
    let fingerprint = hash_token(&String::from_utf8_lossy(&request.concat()));
    let claimed = match claim(state, caller.key_id, key, &fingerprint).await {
        Ok(claimed) => claimed,
        Err(error) => return Problem::from(crate::error::AppError::from(error)).into_response(),
    };
    match claimed {
        Claim::Ours => {}
        Claim::Other => {
            let detail = "This Idempotency-Key was sent with another request; use a new key.";
            return Problem::new(StatusCode::UNPROCESSABLE_ENTITY, detail).into_response();
        }
        Claim::Running => {
            let detail = "A request with this Idempotency-Key is still being handled; send it again in a moment.";
            return Problem::new(StatusCode::CONFLICT, detail).into_response();
        }
        Claim::Done(answer) => {
            let mut response = answer.into_response();
            let replayed = HeaderValue::from_static("true");
            response
                .headers_mut()
                .insert("idempotent-replayed", replayed);
            return response;
        }
    }
    let answer = work.await.unwrap_or_else(Answer::from);
    if let Err(error) = keep(state, caller.key_id, key, &answer).await {
        tracing::error!(%error, "keeping an idempotent answer failed");
    }
    answer.into_response()
}

enum Claim {
    /// The key is ours: do the work.
    Ours,
    /// Another request was sent with it.
    Other,
    /// The same request is still running.
    Running,
    /// The same request was answered.
    Done(Answer),
}

async fn claim(
    state: &AppState,
    key_id: i64,
    key: &str,
    fingerprint: &str,
) -> Result<Claim, sqlx::Error> {
    let now = now_ms();
    let db = &state.db;
    sqlx::query("DELETE FROM api_idempotency WHERE key_id = $1 AND created_at < $2")
        .bind(key_id)
        .bind(now - KEEP_MS)
        .execute(db.writer())
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO api_idempotency (key_id, idem_key, fingerprint, status, body, created_at) \
         VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (key_id, idem_key) DO NOTHING",
    )
    .bind(key_id)
    .bind(key)
    .bind(fingerprint)
    .bind(now)
    .execute(db.writer())
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::Ours);
    }
    let (kept, status, body): (String, i64, String) = sqlx::query_as(
        "SELECT fingerprint, status, body FROM api_idempotency WHERE key_id = $1 AND idem_key = $2",
    )
    .bind(key_id)
    .bind(key)
    .fetch_one(db.pool())
    .await?;
    Ok(if kept != fingerprint {
        Claim::Other
    } else if status == 0 {
        Claim::Running
    } else {
        match serde_json::from_str(&body) {
            Ok(answer) => Claim::Done(answer),
            Err(_) => Claim::Running,
        }
    })
}

/// Keeps the answer for replays; a server error is not kept, so the request can be tried again.
async fn keep(
    state: &AppState,
    key_id: i64,
    key: &str,
    answer: &Answer,
) -> Result<(), sqlx::Error> {
    let db = &state.db;
    if answer.status.is_server_error() {
        sqlx::query("DELETE FROM api_idempotency WHERE key_id = $1 AND idem_key = $2")
            .bind(key_id)
            .bind(key)
            .execute(db.writer())
            .await?;
        return Ok(());
    }
    let body = serde_json::to_string(answer).unwrap_or_default();
    sqlx::query(
        "UPDATE api_idempotency SET status = $1, body = $2 WHERE key_id = $3 AND idem_key = $4",
    )
    .bind(i64::from(answer.status.as_u16()))
    .bind(body)
    .bind(key_id)
    .bind(key)
    .execute(db.writer())
    .await?;
    Ok(())
}
