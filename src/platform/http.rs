//! HTTP plumbing that knows no domain: request IDs, the page security policy and its nonce,
//! the cross-site write check, health checks, and the request's cookies and address as server
//! functions see them.

use super::state::AppState;
use axum::{
    Json,
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use tower_http::request_id::{MakeRequestId, RequestId};

/// The client for outgoing calls to services the shop trusts (Stripe, the media bucket).
pub fn outbound_client() -> reqwest::Client {
    outbound()
        .build()
        .expect("a client without custom TLS settings always builds")
}

/// What every outgoing client starts from. reqwest is built without a default TLS crypto
/// provider; ring is the one already in use.
pub fn outbound() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().connect_timeout(std::time::Duration::from_secs(5))
}

/// The header that carries the request ID in requests, responses and logs.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The nonce of one response's inline scripts, made by `page_security_policy`.
#[derive(Clone)]
struct PageNonce(String);

/// What every page render sees in its context: the app state, and this request's script nonce
/// (in place of the one Leptos would make, so the header and the page always agree).
pub fn page_context(state: &AppState) -> impl Fn() + Clone + Send + 'static {
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
pub async fn page_security_policy(
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

/// The cookie that tells one browser's visits apart (`events::identify_visitor` sets it): a
/// random id that grants nothing.
pub const VISITOR_COOKIE: &str = "emporium_visitor";

/// CSRF defence on top of `SameSite` cookies: a request that changes state must come from a
/// page of this site (its `Origin`, or failing that its `Referer`, names our host). Requests
/// carrying neither header are allowed only without cookies (but the visitor cookie, which
/// grants nothing), so there is no session or cart to abuse.
pub async fn refuse_cross_site_writes(request: axum::extract::Request, next: Next) -> Response {
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
        (None, _) => carries_no_account(headers),
    }
}

/// The request carries no cookie but the visitor's (which grants nothing): no session, no
/// cart, nothing that makes the answer this browser's own.
pub fn carries_no_account(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .all(|(name, _)| name.trim() == VISITOR_COOKIE)
}

/// Process up: 200 whenever the server can answer at all.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Ready for traffic: 200 when the database answers, 503 when it does not.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
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
pub struct RandomRequestId;

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

/// The request being handled, inside a server function or page render.
pub fn request_parts() -> Option<http::request::Parts> {
    leptos::prelude::use_context::<http::request::Parts>()
}

/// The value of cookie `name` in the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

pub fn set_response_cookies(cookies: Vec<HeaderValue>) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        for value in cookies {
            response.append_header(header::SET_COOKIE, value);
        }
    }
}

/// Who sent a request, as rate limits count it; `find_client` sets it on every request.
#[derive(Clone, Debug)]
pub struct ClientAddress(pub String);

/// The client of a request from `peer` with the `X-Forwarded-For` entries `forwarded`: the peer
/// itself, unless it is one of the `trusted` proxies; then the right-most forwarded address that
/// is not a trusted proxy (the first hop nobody we trust wrote; anything left of it the client
/// may have made up). An IPv6 client counts as its /64, which one subscriber usually holds.
pub fn client_address(peer: IpAddr, forwarded: &[&str], trusted: &[ipnet::IpNet]) -> String {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    if is_trusted(&peer) {
        for hop in forwarded.iter().rev() {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !is_trusted(&ip) {
                break;
            }
        }
    }
    match client {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => ipnet::Ipv6Net::new(v6, 64)
            .map_or_else(|_| v6.to_string(), |net| net.trunc().to_string()),
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map_or_else(String::new, |v4| v4.to_string()),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// Middleware: works out the request's `ClientAddress` from its peer and, behind a trusted
/// proxy, its `X-Forwarded-For`.
pub async fn find_client(
    State(state): State<AppState>,
    mut request: axum::extract::Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let forwarded: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        let client = client_address(peer, &forwarded, &state.config.trusted_proxies);
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

/// The client's address, for rate limiting.
pub fn client_ip() -> String {
    request_parts()
        .and_then(|p| p.extensions.get::<ClientAddress>().map(|c| c.0.clone()))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_forwards_it() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Straight from the client: whatever it forwards is ignored.
        assert_eq!(
            client_address(ip("203.0.113.9"), &["1.2.3.4"], &trusted),
            "203.0.113.9"
        );
        // Through our proxies: the right-most address they did not write.
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                &["1.2.3.4", "198.51.100.7", "10.0.0.3"],
                &trusted
            ),
            "198.51.100.7"
        );
        assert_eq!(client_address(ip("10.0.0.2"), &[], &trusted), "10.0.0.2");
        assert_eq!(
            client_address(ip("10.0.0.2"), &["nonsense"], &trusted),
            "10.0.0.2"
        );
        // Without trusted proxies nothing forwarded is believed.
        assert_eq!(
            client_address(ip("10.0.0.2"), &["1.2.3.4"], &[]),
            "10.0.0.2"
        );
        // IPv6 by its /64; IPv4 written as IPv6 as itself.
        assert_eq!(
            client_address(ip("2001:db8:1:2:aaaa::1"), &[], &trusted),
            client_address(ip("2001:db8:1:2:bbbb::9"), &[], &trusted)
        );
        assert_eq!(
            client_address(ip("2001:db8:1:2::1"), &[], &[]),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            client_address(ip("::ffff:192.0.2.1"), &[], &[]),
            "192.0.2.1"
        );
    }

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
        assert!(
            is_same_site(&headers(&[
                (HOST, "shop.test"),
                (COOKIE, "emporium_visitor=ab")
            ])),
            "the visitor cookie grants nothing"
        );
        assert!(!is_same_site(&headers(&[
            (HOST, "shop.test"),
            (COOKIE, "emporium_visitor=ab; emporium_cart=x")
        ])));
    }
}
