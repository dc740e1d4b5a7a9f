//! The HTTP stack: every domain's routes on the platform's middleware (request IDs, sessions,
//! CSRF check, page CSP), with caching headers and compression.

use crate::{
    app::{App, PRIVATE_AREAS, is_catalog_page, shell},
    catalog::sitemap,
    platform::{
        http::{
            REQUEST_ID, RandomRequestId, carries_no_account, find_client, healthz, page_context,
            page_security_policy, readyz, refuse_cross_site_writes,
        },
        prometheus::{count_requests, recorder},
        state::AppState,
    },
};
use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    request_id::{PropagateRequestIdLayer, SetRequestIdLayer},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

/// Responses that set no policy of their own (JSON, images, static files) get the strictest one;
/// HTML pages set theirs, with a per-response script nonce, in `app::shell`.
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Hashed bundle files never change under the same name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Catalog pages that are the same for everyone may be kept by any cache for a minute.
const SHARED_PAGE: &str = "public, max-age=60";

/// Pages of one shopper (or that set a cookie) are kept by nobody.
const OWN_PAGE: &str = "private, no-store";

/// No form or server function needs more; bigger bodies get 413 before any work is done.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Where product CSV files are uploaded: the one body allowed to be bigger.
const IMPORT_PATH: &str = "/admin/products/import";

/// The app's routes, generated once per process. While leptos generates a route list it
/// suppresses resource loading process-wide, so a page rendering at that moment would never
/// finish (leptos-rs/leptos#4773); generating once, before any router exists, rules that out.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Holds every request body to `MAX_BODY_BYTES`, a product file upload to `import::MAX_BYTES`
/// and a product picture to twice `images::MAX_IMAGE_BYTES` (so a photo a little too big is
/// read and gets the edit page's message, not a bare error): a bigger `Content-Length` is
/// refused with 413 at once, and a body that grows past it as it is read fails its extractor.
async fn limit_bodies(request: Request<Body>, next: Next) -> Response {
    let path = request.uri().path();
    let limit = if path == IMPORT_PATH {
        crate::admin::import::MAX_BYTES
    } else if is_picture_upload(path) {
        2 * crate::catalog::images::MAX_IMAGE_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    next.run(request.map(|body| Body::new(http_body_util::Limited::new(body, limit))))
        .await
}

/// `/admin/products/{id}/image`.
fn is_picture_upload(path: &str) -> bool {
    path.strip_prefix("/admin/products/")
        .and_then(|rest| rest.strip_suffix("/image"))
        .is_some_and(|id| id.parse::<i64>().is_ok())
}

/// Builds the whole application router around `state`.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let pkg_dir = format!("{}/{}", state.leptos.site_root, state.leptos.site_pkg_dir);
    let pkg = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static(IMMUTABLE),
        ))
        .service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        );

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/robots.txt", get(robots))
        .route("/favicon.ico", get(favicon))
        .route("/sitemap.xml", get(sitemap::index))
        .route("/sitemap/{file}", get(sitemap::part))
        .route("/media/products/{file}", get(crate::catalog::images::product_image))
        .route("/webhooks/stripe", post(crate::checkout::stripe::webhook))
        .route(
            "/account/privacy/data.json",
            get(crate::accounts::privacy::download),
        )
        .route("/media/uploads/{file}", get(crate::catalog::images::uploaded_image))
        .route(
            "/admin/products/{id}/image",
            get(crate::catalog::images::picture_form)
                .post(crate::catalog::images::upload_product_image),
        )
        .route(
            "/admin/products/export.csv",
            get(crate::admin::csv::export_products),
        )
        .route(
            IMPORT_PATH,
            get(crate::admin::import::import_form).post(crate::admin::import::upload),
        )
        .route(
            "/admin/analytics/{report}",
            get(crate::analytics::export::export),
        )
        // `limit_bodies` holds each body to its route's limit; axum's extractors would
        // otherwise stop a multipart upload at their own 2 MB.
        .layer(DefaultBodyLimit::disable())
        .merge(crate::integrations::rest::routes(&state))
        .nest_service(&format!("/{}", state.leptos.site_pkg_dir), pkg)
        .leptos_routes_with_context(&state, routes, page_context(&state), {
            let options = state.leptos.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            page_context(&state),
            shell,
        ))
        .layer(middleware::from_fn(count_requests))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::events::identify_visitor,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::accounts::session::authenticate,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            page_security_policy,
        ))
        .layer(middleware::from_fn(refuse_cross_site_writes))
        // Outside the layers that set cookies, so it sees them.
        .layer(middleware::from_fn(cache_pages))
        .layer(middleware::from_fn_with_state(state.clone(), find_client))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, RandomRequestId))
                .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!("request", method = %request.method(), uri = %request.uri(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(middleware::from_fn(limit_bodies))
                .layer(CompressionLayer::new())
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(DEFAULT_CSP),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("strict-origin-when-cross-origin"),
                ))
                .layer(SetResponseHeaderLayer::overriding(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("DENY"),
                )),
        )
        .with_state(state)
}

/// `Cache-Control` for HTML pages. A catalog page asked for without a session or cart cookie,
/// answered 200 without setting a cookie, is the same for everyone: shared caches may keep it
/// for a minute (`Vary: Cookie`, so a signed-in shopper never gets it). Every other page is
/// stored by nobody. Responses that chose their own policy keep it.
async fn cache_pages(request: axum::extract::Request, next: Next) -> Response {
    let shareable = request.method() == Method::GET
        && is_catalog_page(request.uri().path())
        && carries_no_account(request.headers());
    let mut response = next.run(request).await;
    let status = response.status();
    let headers = response.headers_mut();
    let is_page = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind.as_bytes().starts_with(b"text/html"));
    if !is_page || headers.contains_key(header::CACHE_CONTROL) {
        return response;
    }
    if shareable && status == StatusCode::OK && !headers.contains_key(header::SET_COOKIE) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(SHARED_PAGE));
        headers.append(header::VARY, HeaderValue::from_static("Cookie"));
    } else {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(OWN_PAGE));
    }
    response
}

/// `/robots.txt`: crawlers may read the catalog but not shoppers' or staff's pages or the
/// server functions, and find the sitemap at the shop's public address.
async fn robots(State(state): State<AppState>) -> Response {
    let mut text = String::from("User-agent: *\nDisallow: /api/\n");
    for area in PRIVATE_AREAS {
        text.push_str(&format!("Disallow: {area}\n"));
    }
    text.push_str(&format!(
        "\nSitemap: {}/sitemap.xml\n",
        state.config.public_url
    ));
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        text,
    )
        .into_response()
}

/// `/favicon.ico`, from the binary: every browser asks for it on a first visit, and it is
/// answered without the site folder or the app's fallback (which renders a 404 page whenever
/// the file server does not answer 200).
async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/x-icon"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_bytes!("../../public/favicon.ico").as_slice(),
    )
        .into_response()
}

/// `/metrics`: every metric in Prometheus' text format, for a scraper that sends
/// `Authorization: Bearer` and `EMPORIUM_METRICS_TOKEN`. Without a configured token there is no
/// such page (404); a wrong or missing token gets 401. Gauges of the moment (connection pools,
/// the email backlog) are read as it is scraped.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    // Comparing digests takes the same time however much of the token is right.
    let digest = |text: &str| Sha256::digest(text.as_bytes());
    if given.is_none_or(|given| digest(given) != digest(token.expose_secret())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    for (name, pool) in [("read", state.db.pool()), ("write", state.db.writer())] {
        metrics::gauge!("db_pool_connections", "pool" => name).set(f64::from(pool.size()));
        metrics::gauge!("db_pool_idle_connections", "pool" => name).set(pool.num_idle() as f64);
    }
    match crate::notifications::mail::backlog(&state.db).await {
        Ok(waiting) => metrics::gauge!("outbox_backlog").set(waiting as f64),
        Err(error) => tracing::warn!(%error, "metrics: counting the outbox failed"),
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        recorder().render(),
    )
        .into_response()
}
