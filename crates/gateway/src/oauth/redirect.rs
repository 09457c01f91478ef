//! Captures an OAuth authorization redirect on a loopback listener: the provider sends the
//! user's browser to `http://localhost:<port>/<path>?code=…&state=…`. The listener binds
//! 127.0.0.1 only, accepts exactly one redirect carrying the sign-in's `state` (another state —
//! a stale tab or a forged link — gets an error page and changes nothing), answers it with a
//! page saying the sign-in is done, and closes. The port is random, or the one a provider
//! registered for its redirect URI.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub code: String,
    /// Every query parameter of the redirect (some providers add their own).
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RedirectError {
    #[error("cannot listen for the sign-in redirect on port {port}: {reason}")]
    Bind { port: u16, reason: String },
    #[error("the provider refused the sign-in: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error("the sign-in redirect carried no code")]
    NoCode,
    #[error("no sign-in redirect arrived within {0:?}")]
    TimedOut(Duration),
}

/// A listener waiting for one redirect. Dropping it stops listening.
pub struct RedirectListener {
    redirect_uri: String,
    arrivals: mpsc::Receiver<BTreeMap<String, String>>,
    _stop: oneshot::Sender<()>,
}

#[derive(Clone)]
struct Inbox {
    arrivals: mpsc::Sender<BTreeMap<String, String>>,
    state: Arc<str>,
    /// Set by the one redirect that was taken; a replay finds it set.
    taken: Arc<AtomicBool>,
}

/// Listens on `127.0.0.1:port` (`None`: a free port) for a redirect to `path` carrying
/// `state`; `host` is how the redirect URI names this machine (`127.0.0.1` or `localhost`, as
/// the provider registered).
pub async fn listen(
    host: &str,
    port: Option<u16>,
    path: &str,
    state: &str,
) -> Result<RedirectListener, RedirectError> {
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    let wanted = port.unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, wanted)))
        .await
        .map_err(|e| RedirectError::Bind {
            port: wanted,
            reason: e.to_string(),
        })?;
    let bound = listener.local_addr().map_err(|e| RedirectError::Bind {
        port: wanted,
        reason: e.to_string(),
    })?;
    let (tx, arrivals) = mpsc::channel(1);
    let app = Router::new().route(&path, get(arrive)).with_state(Inbox {
        arrivals: tx,
        state: state.into(),
        taken: Arc::new(AtomicBool::new(false)),
    });
    let (stop, stopped) = oneshot::channel::<()>();
    #[allow(
        clippy::disallowed_methods,
        reason = "the listener task ends when the RedirectListener is dropped"
    )]
    tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
        if let Err(e) = served.await {
            tracing::debug!(error = %e, "OAuth redirect listener stopped");
        }
    });
    Ok(RedirectListener {
        redirect_uri: format!("http://{host}:{}{path}", bound.port()),
        arrivals,
        _stop: stop,
    })
}

fn page(message: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>OmniRoute</title>\
         <p style=\"font-family:sans-serif\">{message}</p>"
    ))
}

async fn arrive(
    State(inbox): State<Inbox>,
    Query(params): Query<BTreeMap<String, String>>,
) -> (StatusCode, Html<String>) {
    if params.get("state").map(String::as_str) != Some(&*inbox.state) {
        tracing::warn!("refused an OAuth redirect with an unexpected state");
        return (
            StatusCode::BAD_REQUEST,
            page(
                "This sign-in link does not belong to the sign-in OmniRoute is waiting for. \
                 Start the sign-in again from OmniRoute.",
            ),
        );
    }
    if inbox.taken.swap(true, Ordering::AcqRel) {
        return (
            StatusCode::CONFLICT,
            page("This sign-in was already completed. You can close this tab."),
        );
    }
    let refused = params.contains_key("error");
    let _ = inbox.arrivals.send(params).await;
    if refused {
        (
            StatusCode::OK,
            page("The sign-in was refused. You can close this tab."),
        )
    } else {
        (
            StatusCode::OK,
            page("OmniRoute received the sign-in. You can close this tab."),
        )
    }
}

impl RedirectListener {
    /// The URI to register as `redirect_uri` in the authorization request.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits for the redirect; the listener closes when this returns.
    pub async fn wait(mut self, timeout: Duration) -> Result<Callback, RedirectError> {
        let params = match tokio::time::timeout(timeout, self.arrivals.recv()).await {
            Ok(Some(params)) => params,
            Ok(None) | Err(_) => return Err(RedirectError::TimedOut(timeout)),
        };
        callback_of(params)
    }
}

/// A redirect's parameters as a code, or the provider's refusal.
pub fn callback_of(params: BTreeMap<String, String>) -> Result<Callback, RedirectError> {
    if let Some(error) = params.get("error") {
        return Err(RedirectError::Denied {
            error: error.clone(),
            description: params.get("error_description").cloned(),
        });
    }
    match params.get("code") {
        Some(code) if !code.is_empty() => Ok(Callback {
            code: code.clone(),
            params,
        }),
        _ => Err(RedirectError::NoCode),
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    reason = "tests"
)]
mod tests {
    use super::*;

    async fn hit(uri: &str, query: &str) -> Result<(u16, String), reqwest::Error> {
        let res = reqwest::get(format!("{uri}?{query}")).await?;
        Ok((res.status().as_u16(), res.text().await?))
    }

    #[tokio::test]
    async fn only_the_redirect_with_the_right_state_is_taken_once() {
        let listener = listen("127.0.0.1", None, "/callback", "s-123")
            .await
            .unwrap();
        let uri = listener.redirect_uri().to_owned();
        assert!(uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"));
        let waiting = tokio::spawn(async move { listener.wait(Duration::from_secs(5)).await });
        // A stale tab's redirect (another state) is refused and does not end the wait.
        let (status, page) = hit(&uri, "code=old&state=s-999").await.unwrap();
        assert_eq!(status, 400);
        assert!(page.contains("does not belong"));
        let (status, page) = hit(&uri, "code=abc%2F1&state=s-123&scope=x").await.unwrap();
        assert_eq!(status, 200);
        assert!(page.contains("You can close this tab"));
        let got = waiting.await.unwrap().unwrap();
        assert_eq!(got.code, "abc/1");
        assert_eq!(got.params.get("scope").map(String::as_str), Some("x"));
        // The listener closed: a replay reaches nobody.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(hit(&uri, "code=abc&state=s-123").await.is_err());
    }

    #[tokio::test]
    async fn a_refusal_is_an_error_with_the_providers_words() {
        let listener = listen("localhost", None, "cb", "s").await.unwrap();
        let uri = listener.redirect_uri().replace("localhost", "127.0.0.1");
        let waiting = tokio::spawn(async move { listener.wait(Duration::from_secs(5)).await });
        hit(
            &uri,
            "error=access_denied&error_description=user%20said%20no&state=s",
        )
        .await
        .unwrap();
        let err = waiting.await.unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "the provider refused the sign-in: access_denied (user said no)"
        );
    }

    #[tokio::test]
    async fn a_fixed_port_that_is_taken_is_named_and_a_silent_provider_times_out() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = listen("127.0.0.1", Some(port), "/cb", "s")
            .await
            .err()
            .unwrap();
        assert!(matches!(err, RedirectError::Bind { port: p, .. } if p == port));
        drop(taken);
        let listener = listen("127.0.0.1", Some(port), "/cb", "s").await.unwrap();
        assert_eq!(
            listener.redirect_uri(),
            format!("http://127.0.0.1:{port}/cb")
        );
        let err = listener.wait(Duration::from_millis(50)).await.unwrap_err();
        assert_eq!(err, RedirectError::TimedOut(Duration::from_millis(50)));
    }
}
