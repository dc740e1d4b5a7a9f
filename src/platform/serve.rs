//! The HTTP server loop: accepts connections and serves each with hyper, within time limits so a
//! slow or idle client cannot hold a connection (a slowloris attack sends a header byte now and
//! then), and drains on shutdown. axum's own `serve` sets none of hyper's timers.

use axum::{Router, extract::ConnectInfo, http::StatusCode};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use std::{future::Future, net::SocketAddr, time::Duration};
use tokio::{net::TcpListener, sync::watch, task::JoinSet};
use tower::ServiceExt;
use tower_http::timeout::TimeoutLayer;

/// How long each part of a connection's life may take.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// From the start of a request (or the end of the last response, on a kept-alive
    /// connection) to the end of its headers; then the connection is closed.
    pub headers: Duration,
    /// From the headers to the whole response; then the shopper gets 503.
    pub request: Duration,
    /// After shutdown begins, how long requests in flight may take to finish.
    pub drain: Duration,
}

impl Timeouts {
    pub const SHOP: Self = Self {
        headers: Duration::from_secs(10),
        request: Duration::from_secs(30),
        drain: Duration::from_secs(10),
    };
}

/// Serves `app` on `listener` until `shutdown` completes: then stops accepting, lets requests
/// in flight finish for up to `timeouts.drain`, and closes what is left.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()>,
) {
    let app = app.layer(TimeoutLayer::with_status_code(
        StatusCode::SERVICE_UNAVAILABLE,
        timeouts.request,
    ));
    let (closing, closed) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, most likely: give connections time to close.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(
            stream,
            peer,
            app.clone(),
            timeouts,
            closed.clone(),
        ));
    }
    drop(listener);
    let _ = closing.send(true);
    let drained = tokio::time::timeout(timeouts.drain, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            left = connections.len(),
            "requests still running at shutdown were cut off"
        );
    }
}

/// Serves one connection, telling the app who is at the other end.
async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    timeouts: Timeouts,
    mut closing: watch::Receiver<bool>,
) {
    let service = app.map_request(move |mut request: axum::extract::Request<_>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(timeouts.headers);
    let connection = http
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
        .with_upgrades();
    let mut connection = std::pin::pin!(connection);
    let closed = async move {
        let _ = closing.wait_for(|closing| *closing).await;
    };
    tokio::select! {
        _ = connection.as_mut() => {}
        () = closed => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
