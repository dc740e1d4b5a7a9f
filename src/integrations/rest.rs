//! `/api/v1`: JSON for the shop's other systems, opened by an API key sent as
//! `Authorization: Bearer emp_…`, each route asking for one scope. Lists are in id order and
//! page by cursor (`?limit=` from 1 to 200, 50 when absent; `?cursor=` is the `next_cursor` of
//! the page before, null on the last). Every error is an RFC 9457 problem document
//! (`application/problem+json`).

use super::{model::Scope, service};
use crate::{
    catalog::db::{ProductRecord, product_record, product_records},
    checkout::model::OrderStatus,
    error::AppError,
    fulfilment::db::{OrderRecord, order_records},
    platform::{db::now_ms, state::AppState},
};
use axum::{
    Json, Router,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{any, get},
};
use serde::Serialize;
use std::collections::HashMap;
use tower_http::set_header::SetResponseHeaderLayer;

/// Longest page a list gives.
const MAX_LIMIT: i64 = 200;
const DEFAULT_LIMIT: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/products", get(products))
        .route("/api/v1/products/{id}", get(product))
        .route("/api/v1/orders", get(orders))
        .route("/api/v1", any(unknown))
        .route("/api/v1/{*rest}", any(unknown))
        // What a key reads is the shop's own business: no cache keeps it.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// An error as a problem document: the status, its reason as the title, what to do as detail.
pub struct Problem {
    status: StatusCode,
    detail: String,
}

impl Problem {
    fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
        }
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        Self::new(error.status(), error.to_string())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Document<'a> {
            r#type: &'static str,
            title: &'a str,
            status: u16,
            detail: &'a str,
        }
        let document = Document {
            r#type: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
        };
        let mut response = (self.status, Json(document)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The key the request carries, when it is live and holds `scope`: 401 otherwise, or 403 for
/// a key without the scope.
async fn authorize(state: &AppState, headers: &HeaderMap, scope: Scope) -> Result<(), Problem> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    let caller = match key {
        Some(key) => service::authenticate(&state.db, key.trim(), now_ms()).await?,
        None => None,
    };
    let Some(caller) = caller else {
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "Send a live API key as `Authorization: Bearer emp_…` (an admin makes one in /admin/api-keys).",
        ));
    };
    if caller.scopes.contains(&scope) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            format!(
                "This key may not do that: it needs the scope {}.",
                scope.as_str()
            ),
        ))
    }
}

/// The page a list asks for: how many, after which id.
struct Paging {
    limit: i64,
    after: i64,
}

fn paging(query: &HashMap<String, String>) -> Result<Paging, Problem> {
    let bad = |detail: &str| Problem::new(StatusCode::BAD_REQUEST, detail);
    let limit = match query.get("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad("limit must be a whole number from 1 to 200."))?,
    };
    let after = match query.get("cursor") {
        None => 0,
        Some(text) => text
            .parse()
            .ok()
            .filter(|n: &i64| *n >= 0)
            .ok_or_else(|| bad("cursor must be the next_cursor of an earlier page."))?,
    };
    Ok(Paging { limit, after })
}

/// One page of a list, and where the next one starts.
#[derive(Serialize)]
struct Page<T> {
    data: Vec<T>,
    next_cursor: Option<String>,
}

fn page<T>(data: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Json<Page<T>> {
    let full = i64::try_from(data.len()).is_ok_and(|n| n == limit);
    let next_cursor = data
        .last()
        .filter(|_| full)
        .map(|last| id(last).to_string());
    Json(Page { data, next_cursor })
}

fn query_of(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<HashMap<String, String>, Problem> {
    query.map(|Query(query)| query).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "The query string could not be read.",
        )
    })
}

/// `GET /api/v1/products` (catalog:read): every product, whatever its status, with variants.
async fn products(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Page<ProductRecord>>, Problem> {
    authorize(&state, &headers, Scope::CatalogRead).await?;
    let paging = paging(&query_of(query)?)?;
    let records = product_records(&state.db, paging.after, paging.limit)
        .await
        .map_err(AppError::from)?;
    Ok(page(records, paging.limit, |p| p.id))
}

/// `GET /api/v1/products/{id}` (catalog:read).
async fn product(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<ProductRecord>, Problem> {
    authorize(&state, &headers, Scope::CatalogRead).await?;
    let id: i64 = id
        .parse()
        .map_err(|_| Problem::new(StatusCode::BAD_REQUEST, "A product id is a whole number."))?;
    let record = product_record(&state.db, id)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "There is no product with that id."))?;
    Ok(Json(record))
}

/// `GET /api/v1/orders` (orders:read), optionally `?status=` one of the order statuses.
async fn orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Page<OrderRecord>>, Problem> {
    authorize(&state, &headers, Scope::OrdersRead).await?;
    let query = query_of(query)?;
    let paging = paging(&query)?;
    let status = match query.get("status") {
        None => None,
        Some(text) => Some(OrderStatus::parse(text).ok_or_else(|| {
            let known: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
            let detail = format!("status must be one of {}.", known.join(", "));
            Problem::new(StatusCode::BAD_REQUEST, detail)
        })?),
    };
    let records = order_records(&state.db, paging.after, paging.limit, status)
        .await
        .map_err(AppError::from)?;
    Ok(page(records, paging.limit, |o| o.id))
}

/// Anything else under `/api/v1`.
async fn unknown() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "There is no such API route; see /api/v1/products and /api/v1/orders.",
    )
}
