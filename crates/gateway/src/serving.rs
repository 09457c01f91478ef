//! Accepting connections and serving HTTP on them, with the limits a public listener needs: a
//! client must send its request headers within `HEADER_READ_TIMEOUT` (a slow-headers client
//! otherwise holds a connection forever), at most `MAX_CONNECTIONS` are open at once (more are
//! closed at once), and shutdown is graceful — no new connections, in-flight requests get the
//! grace period.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// Time a client has to send a request's headers after connecting (or between two requests of
/// a kept-alive connection, counted from its first byte).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(15);
/// Connections open at once by default (`MAX_CONNECTIONS`); a connection over it is closed as
/// soon as it is accepted.
pub const MAX_CONNECTIONS: usize = 4096;
/// Requests handled at once by default (`MAX_IN_FLIGHT`), until their answer starts; more get a
/// 503 with `Retry-After` in their client's format.
pub const MAX_IN_FLIGHT: usize = 2048;

/// Serves `app` on `listener` until `stop` turns true, then waits up to `grace` for in-flight
/// requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
    max_connections: usize,
) {
    let open = Arc::new(Semaphore::new(max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            // The watch's guard is dropped inside: it must not live across the accept loop.
            () = async { let _ = stop.wait_for(|s| *s).await; } => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tracing::warn!(client = %peer, "too many open connections; closing a new one");
            drop(tcp);
            continue;
        };
        // Streams are many small writes: Nagle would hold each one for the client's delayed ACK.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move {
                let response = app.oneshot(request.map(Body::new)).await;
                Ok::<_, Infallible>(response.unwrap_or_else(|e| match e {}))
            }
        });
        let builder = builder.clone();
        let connection = graceful.watch(
            builder
                .serve_connection_with_upgrades(TokioIo::new(tcp), service)
                .into_owned(),
        );
        #[allow(
            clippy::disallowed_methods,
            reason = "connections are tracked by the graceful shutdown below"
        )]
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!(
        grace_s = grace.as_secs(),
        "shutting down: no new connections, waiting for in-flight requests"
    );
    match tokio::time::timeout(grace, graceful.shutdown()).await {
        Ok(()) => tracing::info!("all in-flight requests finished"),
        Err(_) => {
            tracing::warn!("in-flight requests still running after the grace period; closing them")
        }
    }
}

/// The in-flight limit, as a middleware in front of every route.
pub async fn admit(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Ok(_permit) = state.in_flight.try_acquire() else {
        let path = request.uri().path();
        let limit = state.config.max_in_flight;
        let message = format!(
            "OmniRoute is serving its maximum of {limit} requests at once; retry in a second"
        );
        if let Some(response) = crate::client_api::refusal(
            path,
            omniroute_formats::ErrorKind::Unavailable,
            &message,
            Some(1),
        ) {
            return response;
        }
        let mut response = crate::error::ApiError::new(
            crate::ErrorCode::Unavailable,
            format!(
                "OmniRoute is serving its maximum of {limit} requests at once; retry in a second"
            ),
        )
        .into_response();
        response
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("1"));
        return response;
    };
    next.run(request).await
}
