//! The live monitor behind the Translator's `GET /api/translator/monitor`: one event per client
//! request as it finishes. A broadcast channel: the request path publishes only while somebody
//! is watching (`receiver_count() > 0`), so an unwatched gateway pays one atomic load per
//! request. A watcher that falls behind skips ahead; every stream ends when the gateway shuts
//! down.

use std::convert::Infallible;
use std::sync::Arc;

use axum::response::sse::Event;
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::{broadcast, watch};

/// Events a slow watcher may fall behind by before it skips ahead.
const MONITOR_CAPACITY: usize = 256;

/// One client request as the live monitor shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonitorEvent {
    /// When the request arrived (Unix ms).
    pub ts: i64,
    pub client_format: String,
    /// The format spoken to the upstream that served it (none for refusals, cache hits, replays).
    pub upstream_format: Option<&'static str>,
    pub model: String,
    pub provider: Option<String>,
    pub status: i64,
    pub stream: bool,
    pub latency_ms: i64,
}

/// The live monitor's channel, held in the shared state.
pub struct Monitor {
    sender: broadcast::Sender<Arc<str>>,
    /// Becomes `true` at shutdown: open monitor streams end so draining does not wait on them.
    stop: watch::Receiver<bool>,
}

impl Monitor {
    pub fn new(stop: watch::Receiver<bool>) -> Self {
        let (sender, _) = broadcast::channel(MONITOR_CAPACITY);
        Self { sender, stop }
    }

    /// Sends the event `make` builds, but builds it only if somebody is watching.
    pub fn publish(&self, make: impl FnOnce() -> MonitorEvent) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        match serde_json::to_string(&make()) {
            Ok(json) => {
                // Nobody left between the check and the send: nothing to do.
                let _ = self.sender.send(json.into());
            }
            Err(e) => tracing::debug!(error = %e, "monitor event not serializable"),
        }
    }
}

impl Monitor {
    /// The events from now on, as SSE, until the gateway stops.
    pub fn watch(&self) -> impl Stream<Item = Result<Event, Infallible>> + use<> {
        events(self.sender.subscribe(), self.stop.clone())
    }
}

/// The events of `receiver` as SSE until the channel closes or the gateway stops.
fn events(
    receiver: broadcast::Receiver<Arc<str>>,
    stop: watch::Receiver<bool>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let hello = Event::default().comment("monitoring");
    futures_util::stream::unfold(
        (Some(hello), receiver, stop),
        |(hello, mut receiver, mut stop)| async move {
            if let Some(hello) = hello {
                return Some((Ok(hello), (None, receiver, stop)));
            }
            loop {
                let next = tokio::select! {
                    next = receiver.recv() => next,
                    _ = stop.wait_for(|stopped| *stopped) => return None,
                };
                match next {
                    Ok(json) => {
                        let event = Event::default().data(&*json);
                        return Some((Ok(event), (None, receiver, stop)));
                    }
                    // Fell behind: continue from the oldest event still held.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(status: i64) -> MonitorEvent {
        MonitorEvent {
            ts: 1,
            client_format: "openai".into(),
            upstream_format: Some("anthropic"),
            model: "m".into(),
            provider: Some("p".into()),
            status,
            stream: false,
            latency_ms: 3,
        }
    }

    #[test]
    fn nothing_is_built_without_a_watcher() {
        let (_tx, rx) = watch::channel(false);
        let monitor = Monitor::new(rx);
        let mut built = false;
        monitor.publish(|| {
            built = true;
            event(200)
        });
        assert!(!built);
        let mut receiver = monitor.sender.subscribe();
        monitor.publish(|| event(201));
        let got = receiver.try_recv().ok().map(|j| j.to_string());
        assert!(
            got.as_deref()
                .is_some_and(|j| j.contains("\"status\":201")
                    && j.contains("\"upstreamFormat\":\"anthropic\"")),
            "{got:?}"
        );
    }
}
