//! `/api/v1`: JSON for the shop's other systems, opened by an API key sent as
//! `Authorization: Bearer emp_…`, each route asking for one scope. Lists are in id order and
//! page by cursor (`?limit=` from 1 to 200, 50 when absent; `?cursor=` is the `next_cursor` of
//! the page before, null on the last). Every error is an RFC 9457 problem document
//! (`application/problem+json`). `/api/v1/openapi.json` describes it all (OpenAPI 3.1, generated
//! from the handlers and record types below).

use super::{
    idempotency::Answer,
    model::{ApiOperation, ApiParameter, Scope},
    service::{self, Caller},
    writes,
};
use crate::{
    catalog::{
        db::{CategoryRecord, ProductRecord, category_records, product_record, product_records},
        model::ProductStatus,
    },
    checkout::model::OrderStatus,
    customers::db::{CustomerRecord, customer_records},
    error::{AppError, FieldError},
    fulfilment::db::{OrderRecord, order_records},
    platform::{db::now_ms, http::ClientAddress, state::AppState},
};
use axum::{
    Extension, Json, Router,
    extract::{Path, Query, Request, State, rejection::QueryRejection},
    http::{HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get, post, put},
};
use serde::{Deserialize, Serialize};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::{
    IntoParams, Modify, OpenApi, ToSchema,
    openapi::{
        ContentBuilder, Ref, RefOr, ResponseBuilder,
        schema::{ObjectBuilder, Schema, Type},
        security::{Http, HttpAuthScheme, SecurityScheme},
    },
};

/// Longest page a list gives.
const MAX_LIMIT: i64 = 200;
const DEFAULT_LIMIT: i64 = 50;

pub fn routes(state: &AppState) -> Router<AppState> {
    let keyed = Router::new()
        .route(
            "/api/v1/products",
            get(products).post(writes::create_product),
        )
        .route(
            "/api/v1/products/{id}",
            get(product)
                .put(writes::replace_product)
                .delete(writes::delete_product),
        )
        .route("/api/v1/categories", get(categories))
        .route("/api/v1/customers", get(customers))
        .route("/api/v1/inventory", put(writes::set_stocks))
        .route(
            "/api/v1/inventory/{sku}",
            get(writes::stock).put(writes::set_stock),
        )
        .route("/api/v1/orders", get(orders))
        .route("/api/v1/orders/{number}/status", post(writes::move_order))
        .route_layer(middleware::from_fn_with_state(state.clone(), identify));
    Router::new()
        .merge(keyed)
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1", any(unknown))
        .route("/api/v1/{*rest}", any(unknown))
        // What a key reads is the shop's own business: no cache keeps it.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// An error as a problem document: the status, its reason as the title, what to do as detail.
pub(super) struct Problem {
    pub(super) status: StatusCode,
    detail: String,
    /// For a 422: each field that is wrong.
    pub(super) errors: Vec<FieldError>,
    /// For a 429: when to come back.
    retry_after_secs: Option<u64>,
}

impl Problem {
    pub(super) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
        }
    }

    /// The problem document, as the body says it.
    pub(super) fn document(&self) -> ProblemDocument {
        ProblemDocument {
            r#type: "about:blank",
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        let retry_after_secs = match error {
            AppError::TooManyAttempts { retry_after_secs } => Some(retry_after_secs),
            _ => None,
        };
        let errors = match &error {
            AppError::Invalid(errors) => errors.clone(),
            _ => Vec::new(),
        };
        Self {
            retry_after_secs,
            errors,
            ..Self::new(error.status(), error.to_string())
        }
    }
}

/// RFC 9457 problem details, as every refusal of the API is written.
#[derive(Serialize, ToSchema)]
pub(super) struct ProblemDocument {
    /// Always `about:blank`: the status says what kind of problem it is.
    r#type: &'static str,
    /// The status's reason phrase.
    title: &'static str,
    status: u16,
    /// What went wrong and what to do, for a person.
    detail: String,
    /// For a 422: each field that is wrong (`variants[0][price]`, `items[3][stock]`: the place in
    /// the request body) and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub(super) errors: Vec<FieldError>,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let document = self.document();
        let mut response = (self.status, Json(document)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// Who is calling, and how much: the routes behind it need a live key, and each key's requests
/// are counted per minute, with `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`
/// on every answer and 429 (with `Retry-After`) past the limit. The caller goes in the
/// request's extensions for the route to check its scope.
async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let now = now_ms();
    let address = request
        .extensions()
        .get::<ClientAddress>()
        .map_or_else(|| "unknown".to_owned(), |a| a.0.clone());
    let caller = match key {
        Some(key) => service::authenticate(&state.db, key, &address, now).await,
        None => Ok(None),
    };
    let caller = match caller {
        Ok(Some(caller)) => caller,
        Ok(None) => {
            return Problem::new(
                StatusCode::UNAUTHORIZED,
                "Send a live API key as `Authorization: Bearer emp_…` (an admin makes one in /admin/api-keys).",
            )
            .into_response();
        }
        Err(error) => return Problem::from(error).into_response(),
    };
    let per_minute = state.config.api_requests_per_minute;
    let allowance = match service::count_request(&state.db, &caller, per_minute, now).await {
        Ok(allowance) => allowance,
        Err(error) => return Problem::from(error).into_response(),
    };
    let mut response = if allowance.exceeded() {
        let detail = format!(
            "This key made its {per_minute} requests of this minute; try again in {} s.",
            allowance.reset_secs
        );
        Problem {
            retry_after_secs: u64::try_from(allowance.reset_secs).ok(),
            ..Problem::new(StatusCode::TOO_MANY_REQUESTS, detail)
        }
        .into_response()
    } else {
        request.extensions_mut().insert(caller);
        next.run(request).await
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("ratelimit-limit", allowance.limit),
        ("ratelimit-remaining", allowance.remaining()),
        ("ratelimit-reset", allowance.reset_secs),
    ] {
        headers.insert(name, value.into());
    }
    response
}

/// 403 unless the caller's key holds `scope`.
pub(super) fn require(caller: &Caller, scope: Scope) -> Result<(), Problem> {
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

/// The page a list asks for, as sent (checked by `asked`; the attributes are what the OpenAPI
/// document says of each).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Paging {
    /// How many, from 1 to 200; 50 when absent.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(pattern = "^[0-9]{1,18}$")]
    cursor: Option<String>,
}

/// The page asked for, checked: how many, after which id.
struct Asked {
    limit: i64,
    after: i64,
}

impl Paging {
    fn asked(&self) -> Result<Asked, Problem> {
        let bad = |detail: &str| Problem::new(StatusCode::BAD_REQUEST, detail);
        let limit = match &self.limit {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| bad("limit must be a whole number from 1 to 200."))?,
        };
        let after = match &self.cursor {
            None => 0,
            Some(text) => text
                .parse()
                .ok()
                .filter(|n: &i64| *n >= 0)
                .ok_or_else(|| bad("cursor must be the next_cursor of an earlier page."))?,
        };
        Ok(Asked { limit, after })
    }
}

/// The orders list's filter.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct OrderFilter {
    /// Only orders with this status (the document lists them).
    status: Option<String>,
}

/// One page of a list, and where the next one starts.
#[derive(Serialize, ToSchema)]
struct Page<T> {
    data: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last one.
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

/// An order status by its name, or 400 naming them all.
pub(super) fn status_of(text: &str) -> Result<OrderStatus, Problem> {
    OrderStatus::parse(text).ok_or_else(|| {
        let known: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.as_str()).collect();
        let detail = format!("status must be one of {}.", known.join(", "));
        Problem::new(StatusCode::BAD_REQUEST, detail)
    })
}

/// What a query string holds, or 400 when it cannot be read.
fn query_of<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, Problem> {
    query.map(|Query(query)| query).map_err(|_| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "The query string could not be read.",
        )
    })
}

/// `GET /api/v1/products` (catalog:read): every product, whatever its status, with variants.
#[utoipa::path(
    get,
    path = "/api/v1/products",
    tag = "catalog",
    security(("api_key" = ["catalog:read"])),
    params(Paging),
    responses(
        (status = 200, description = "A page of products in id order", body = Page<ProductRecord>),
        (status = 400, description = "A bad limit or cursor"),
        (status = 403, description = "The key lacks catalog:read"),
    )
)]
async fn products(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<ProductRecord>>, Problem> {
    require(&caller, Scope::CatalogRead)?;
    let paging = query_of(paging)?.asked()?;
    let records = product_records(&state.db, paging.after, paging.limit)
        .await
        .map_err(AppError::from)?;
    Ok(page(records, paging.limit, |p| p.id))
}

/// `GET /api/v1/products/{id}` (catalog:read), with its `ETag` for `If-Match`.
#[utoipa::path(
    get,
    path = "/api/v1/products/{id}",
    tag = "catalog",
    security(("api_key" = ["catalog:read"])),
    params(("id" = i64, Path, description = "The product's id")),
    responses(
        (status = 200, description = "The product with its variants", body = ProductRecord, headers(("ETag" = String, description = "Send as If-Match to change it only as read"))),
        (status = 400, description = "An id that is not a whole number"),
        (status = 403, description = "The key lacks catalog:read"),
        (status = 404, description = "No product has that id"),
    )
)]
async fn product(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Answer, Problem> {
    require(&caller, Scope::CatalogRead)?;
    let id = writes::id_of(&id)?;
    let record = product_record(&state.db, id)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "There is no product with that id."))?;
    Ok(writes::tagged(StatusCode::OK, &record))
}

/// `GET /api/v1/orders` (orders:read), optionally `?status=` one of the order statuses.
#[utoipa::path(
    get,
    path = "/api/v1/orders",
    tag = "orders",
    security(("api_key" = ["orders:read"])),
    params(Paging, OrderFilter),
    responses(
        (status = 200, description = "A page of orders in id order", body = Page<OrderRecord>),
        (status = 400, description = "A bad limit, cursor or status"),
        (status = 403, description = "The key lacks orders:read"),
    )
)]
async fn orders(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    paging: Result<Query<Paging>, QueryRejection>,
    filter: Result<Query<OrderFilter>, QueryRejection>,
) -> Result<Json<Page<OrderRecord>>, Problem> {
    require(&caller, Scope::OrdersRead)?;
    let paging = query_of(paging)?.asked()?;
    let status = query_of(filter)?
        .status
        .as_deref()
        .map(status_of)
        .transpose()?;
    let records = order_records(&state.db, paging.after, paging.limit, status)
        .await
        .map_err(AppError::from)?;
    Ok(page(records, paging.limit, |o| o.id))
}

/// `GET /api/v1/categories` (catalog:read): every category, with its parent.
#[utoipa::path(
    get,
    path = "/api/v1/categories",
    tag = "catalog",
    security(("api_key" = ["catalog:read"])),
    params(Paging),
    responses(
        (status = 200, description = "A page of categories in id order", body = Page<CategoryRecord>),
        (status = 400, description = "A bad limit or cursor"),
        (status = 403, description = "The key lacks catalog:read"),
    )
)]
async fn categories(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<CategoryRecord>>, Problem> {
    require(&caller, Scope::CatalogRead)?;
    let paging = query_of(paging)?.asked()?;
    let records = category_records(&state.db, paging.after, paging.limit)
        .await
        .map_err(AppError::from)?;
    Ok(page(records, paging.limit, |c| c.id))
}

/// `GET /api/v1/customers` (customers:read): every account that was not deleted.
#[utoipa::path(
    get,
    path = "/api/v1/customers",
    tag = "customers",
    security(("api_key" = ["customers:read"])),
    params(Paging),
    responses(
        (status = 200, description = "A page of accounts in id order", body = Page<CustomerRecord>),
        (status = 400, description = "A bad limit or cursor"),
        (status = 403, description = "The key lacks customers:read"),
    )
)]
async fn customers(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    paging: Result<Query<Paging>, QueryRejection>,
) -> Result<Json<Page<CustomerRecord>>, Problem> {
    require(&caller, Scope::CustomersRead)?;
    let paging = query_of(paging)?.asked()?;
    let records = customer_records(&state.db, paging.after, paging.limit)
        .await
        .map_err(AppError::from)?;
    Ok(page(records, paging.limit, |c| c.id))
}

/// Anything else under `/api/v1`.
async fn unknown() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "There is no such API route; /api/v1/openapi.json lists them.",
    )
}

/// The OpenAPI document: the routes above, the bearer key, the refusals every keyed route shares,
/// and the statuses an order can have.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Emporium API",
        version = "1",
        description = "For the shop's other systems. Make a key in /admin/api-keys and send it as `Authorization: Bearer emp_…`."
    ),
    paths(
        products,
        product,
        categories,
        orders,
        customers,
        writes::create_product,
        writes::replace_product,
        writes::delete_product,
        writes::stock,
        writes::set_stock,
        writes::set_stocks,
        writes::move_order
    ),
    components(schemas(ProblemDocument)),
    modifiers(&Details)
)]
struct ApiDoc;

struct Details;

impl Modify for Details {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("emp_<prefix>_<secret>".into());
        components.add_security_scheme("api_key", SecurityScheme::Http(bearer));
        let one_of = |values: &[&str]| -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(values.to_vec()))
                .into()
        };
        let status = one_of(&OrderStatus::ALL.map(OrderStatus::as_str));
        // The statuses the bodies take, from the enums that say them.
        for (name, values) in [
            ("StatusMove", status.clone()),
            (
                "ProductWrite",
                one_of(&ProductStatus::ALL.map(ProductStatus::as_str)),
            ),
        ] {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
                object.properties.insert("status".into(), values);
            }
        }
        // What `identify` answers on every keyed route, and every other refusal.
        let problem = |description: &str| {
            let schema = Ref::from_schema_name("ProblemDocument");
            let content = ContentBuilder::new().schema(Some(schema)).build();
            ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", content)
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                // Every refusal is a problem document: the annotations name only the status.
                for (status, response) in responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && status.starts_with('4')
                        && response.content.is_empty()
                    {
                        *response = problem(&response.description);
                    }
                }
                responses.insert("401".into(), problem("No live API key").into());
                let limit = problem("The key made its requests of this minute");
                responses.insert("429".into(), limit.into());
            }
        }
        let parameters = openapi
            .paths
            .paths
            .get_mut("/api/v1/orders")
            .and_then(|item| item.get.as_mut())
            .and_then(|operation| operation.parameters.as_mut());
        for parameter in parameters.into_iter().flatten() {
            if parameter.name == "status" {
                parameter.schema = Some(status.clone());
            }
        }
    }
}

/// `GET /api/v1/openapi.json`, open to all: it holds no data.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The operations of the OpenAPI document, in path order, as the admin's reference page lists
/// them.
pub fn reference() -> Vec<ApiOperation> {
    let document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let text = |value: &serde_json::Value| value.as_str().unwrap_or_default().to_owned();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "delete"] {
            let operation = &item[method];
            if !operation.is_object() {
                continue;
            }
            let parameters = operation["parameters"].as_array().into_iter().flatten();
            let body = &operation["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            let responses = operation["responses"].as_object().into_iter().flatten();
            operations.push(ApiOperation {
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&operation["summary"]),
                description: text(&operation["description"]),
                scope: text(&operation["security"][0]["api_key"][0]),
                parameters: parameters
                    .map(|parameter| ApiParameter {
                        name: text(&parameter["name"]),
                        location: text(&parameter["in"]),
                        required: parameter["required"].as_bool().unwrap_or(false),
                        description: text(&parameter["description"]),
                    })
                    .collect(),
                body: body
                    .as_str()
                    .and_then(|reference| reference.rsplit('/').next())
                    .unwrap_or_default()
                    .to_owned(),
                responses: responses
                    .map(|(status, response)| (status.clone(), text(&response["description"])))
                    .collect(),
            });
        }
    }
    operations
}
