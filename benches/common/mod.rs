//! What the HTTP benchmarks share: the real router on a loopback port over a fresh database,
//! an HTTP/1.1 client, and percentiles.

use emporium::{
    platform::{config::Config, db::Db, state::AppState},
    server::router::router,
};
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode, body::Bytes, header};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use std::{
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A running shop over a fresh database, reached over loopback.
#[derive(Clone)]
pub struct Shop {
    pub state: AppState,
    pub base: String,
    http: HttpClient,
}

/// Connects to and migrates the database at `url`.
pub async fn database(url: &str) -> Db {
    let db = Db::connect(&url.parse().expect("url"), Duration::from_secs(5))
        .await
        .expect("database");
    db.migrate().await.expect("migrations");
    db
}

/// Serves the shop's router, plus the routes `extra` makes with the state, on a free loopback
/// port.
pub async fn serve(
    db: Db,
    data_dir: &std::path::Path,
    extra: impl FnOnce(AppState) -> axum::Router,
) -> Shop {
    let data_dir = data_dir.display().to_string();
    let mut config =
        Config::from_sources("Leptos.toml", include_str!("../../Leptos.toml"), |key| {
            (key == "EMPORIUM_DATA_DIR").then(|| data_dir.clone())
        })
        .expect("configuration");
    config.leptos.hash_files = false;
    let state = emporium::server::app_state(db, config, &[7; 32]).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listen");
    let addr = listener.local_addr().expect("address");
    let app = router(state.clone())
        .merge(extra(state.clone()))
        .into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Shop {
        state,
        base: format!("http://{addr}"),
        http: Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(256)
            .build_http(),
    }
}

impl Shop {
    /// Sends a request as a browser would; returns the status, the body and any cookies set.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: String,
        cookie: &str,
    ) -> (StatusCode, String, Vec<String>) {
        // Pages are asked for as HTML; server functions are called as the hydrated app does
        // (a plain HTML form post would be answered with a redirect).
        let accept = if method == "GET" { "text/html" } else { "*/*" };
        let request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, self.base.as_str())
            .header(header::ACCEPT, accept)
            .header(header::COOKIE, cookie)
            .body(Full::new(Bytes::from(body)))
            .expect("request");
        let response = self.http.request(request).await.expect("response");
        let status = response.status();
        let cookies = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::to_owned)
            .collect();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned(), cookies)
    }

    #[allow(
        dead_code,
        reason = "the shop benchmark posts; the search one only reads"
    )]
    pub async fn post(
        &self,
        path: &str,
        body: String,
        cookie: &str,
    ) -> (StatusCode, String, Vec<String>) {
        self.send("POST", path, body, cookie).await
    }

    /// The same shop reached from `address` (any of 127.0.0.0/8 on loopback), as a shopper on
    /// a network of their own: limits per network address count each such shopper apart.
    #[allow(
        dead_code,
        reason = "the shop benchmark's buyers come from many addresses; the others from one"
    )]
    pub fn reached_from(&self, address: IpAddr) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_local_address(Some(address));
        Self {
            http: Client::builder(TokioExecutor::new()).build(connector),
            ..self.clone()
        }
    }
}

/// The process's resident memory (VmRSS), in MiB.
#[allow(
    dead_code,
    reason = "the search and HTTP benchmarks print it; the shop benchmark does not"
)]
pub fn resident_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The `p` quantile (0–1) of sorted timings.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

/// Runs `clients` tasks that each call `request(client, i)` `per_client` times: back to back
/// (`pace` None: the most the shop can take), or each client once per `pace`, spread evenly (a
/// steady offered load, as from shoppers who pause between clicks). Returns the sorted timings
/// of the requests alone and the wall time.
pub async fn load<F, Fut>(
    clients: usize,
    per_client: usize,
    pace: Option<Duration>,
    request: F,
) -> (Vec<Duration>, Duration)
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut timings = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    if let Some(pace) = pace {
                        let offset = pace.mul_f64(client as f64 / clients as f64);
                        let due = started + offset + pace * u32::try_from(i).unwrap_or(u32::MAX);
                        tokio::time::sleep_until(due.into()).await;
                    }
                    let began = Instant::now();
                    request(client, i).await;
                    timings.push(began.elapsed());
                }
                timings
            })
        })
        .collect();
    let mut timings = Vec::with_capacity(clients * per_client);
    for task in tasks {
        timings.extend(task.await.expect("client"));
    }
    timings.sort();
    (timings, started.elapsed())
}
