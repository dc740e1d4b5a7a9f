//! The HTTP stack: routes, health checks, request IDs, security and caching headers, compression.

use super::state::AppState;
use crate::app::{App, shell};
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use serde_json::json;
use std::sync::OnceLock;
use tower::ServiceBuilder;
use tower_http::{
    compression::CompressionLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

/// The header that carries the request ID in requests, responses and logs.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Responses that set no policy of their own (JSON, images, static files) get the strictest one;
/// HTML pages set theirs, with a per-response script nonce, in `app::shell`.
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Hashed bundle files never change under the same name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// No form or server function needs more; bigger bodies get 413 before any work is done.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The app's routes, generated once per process. While leptos generates a route list it
/// suppresses resource loading process-wide, so a page rendering at that moment would never
/// finish (leptos-rs/leptos#4773); generating once, before any router exists, rules that out.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
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
        .route("/media/products/{file}", get(crate::catalog::images::product_image))
        .route("/webhooks/stripe", post(crate::checkout::stripe::webhook))
        .route("/media/uploads/{file}", get(crate::catalog::images::uploaded_image))
        .route(
            "/admin/products/{id}/image",
            post(crate::catalog::images::upload_product_image),
        )
        .nest_service(&format!("/{}", state.leptos.site_pkg_dir), pkg)
        .leptos_routes_with_context(&state, routes, page_context(&state), {
            let options = state.leptos.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            page_context(&state),
            shell,
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
                .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
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

/// The nonce of one response's inline scripts, made by `page_security_policy`.
#[derive(Clone)]
struct PageNonce(String);

/// What every page render sees in its context: the app state, and this request's script nonce
/// (in place of the one Leptos would make, so the header and the page always agree).
fn page_context(state: &AppState) -> impl Fn() + Clone + Send + 'static {
    let state = state.clone();
    move || {
        use leptos::prelude::{provide_context, use_context};
        let nonce = use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
        if let Some(PageNonce(nonce)) = nonce {
            provide_context(leptos::nonce::Nonce::from_value(nonce));
        }
        provide_context(state.clone());
    }
}

/// HTML pages get a Content-Security-Policy that allows only our own scripts: the inline
/// hydration scripts carry this response's nonce, and WebAssembly may be compiled. With Stripe,
/// its script, its card-form frames and its API are allowed too. The header is set here, around
/// the whole response, rather than from inside the render.
async fn page_security_policy(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: Next,
) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    request.extensions_mut().insert(PageNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html
        && let Ok(value) =
            HeaderValue::from_str(&page_policy(&nonce, state.config.stripe.is_some()))
    {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

fn page_policy(nonce: &str, stripe: bool) -> String {
    let (stripe_script, stripe_frames, stripe_api) = if stripe {
        (
            " https://js.stripe.com",
            " frame-src https://js.stripe.com https://hooks.stripe.com;",
            " https://api.stripe.com",
        )
    } else {
        ("", "", "")
    };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'{stripe_script}; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{stripe_api};{stripe_frames} \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// CSRF defence on top of `SameSite` cookies: a request that changes state must come from a
/// page of this site (its `Origin`, or failing that its `Referer`, names our host). Requests
/// carrying neither header are allowed only without cookies, so there is no session to abuse.
async fn refuse_cross_site_writes(request: axum::extract::Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || is_same_site(request.headers()) {
        return next.run(request).await;
    }
    tracing::warn!(uri = %request.uri(), "cross-site write refused");
    (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
}

fn is_same_site(headers: &HeaderMap) -> bool {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let source = text(header::ORIGIN).or_else(|| text(header::REFERER));
    match (source, text(header::HOST)) {
        (Some(source), Some(host)) => source
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
            .is_some_and(|authority| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
        (None, _) => headers.get(header::COOKIE).is_none(),
    }
}

/// Process up: 200 whenever the server can answer at all.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Ready for traffic: 200 when the database answers, 503 when it does not.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.is_ready().await {
        (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": "ok" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": "unreachable" })),
        )
    }
}

/// 64 random bits in hex: unique enough to find one request in the logs.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let id = format!("{:016x}", rand::random::<u64>());
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

/// The ID of the request being handled, inside a server function or a page render.
pub fn current_request_id() -> Option<String> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    let id = parts.headers.get(REQUEST_ID)?.to_str().ok()?;
    Some(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn writes_must_come_from_this_site() {
        use header::{COOKIE, HOST, ORIGIN, REFERER};
        assert!(is_same_site(&headers(&[
            (HOST, "shop.test"),
            (ORIGIN, "https://shop.test")
        ])));
        assert!(is_same_site(&headers(&[
            (HOST, "shop.test:3000"),
            (REFERER, "http://shop.test:3000/login")
        ])));
        assert!(!is_same_site(&headers(&[
            (HOST, "shop.test"),
            (ORIGIN, "https://evil.test")
        ])));
        assert!(!is_same_site(&headers(&[
            (HOST, "shop.test"),
            (ORIGIN, "null")
        ])));
        assert!(!is_same_site(&headers(&[
            (HOST, "shop.test"),
            (ORIGIN, "https://shop.test.evil.test")
        ])));
        assert!(!is_same_site(&headers(&[
            (HOST, "shop.test"),
            (COOKIE, "emporium_access=x")
        ])));
        assert!(
            is_same_site(&headers(&[(HOST, "shop.test")])),
            "no cookies, nothing to forge"
        );
    }
}
