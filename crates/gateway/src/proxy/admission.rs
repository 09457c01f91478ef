//! Admission through an account's rate limiter (requests per minute, minimum gap, requests in
//! flight): a request waits in a bounded queue, and holds its place in flight until its answer
//! has been fully sent — for a stream, until the stream ends or the client leaves.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use futures_util::StreamExt;
use omniroute_routing::ratelimit::{Limits, Wait};

use crate::AppState;
use crate::health::ConnectionHealth;

/// Requests that may wait for one account at a time; one more is turned away.
const MAX_WAITERS: u32 = 32;
/// The longest a request waits for an account before trying the next.
const MAX_WAIT: Duration = Duration::from_secs(30);

fn lock(m: &Mutex<ConnectionHealth>) -> std::sync::MutexGuard<'_, ConnectionHealth> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A request in flight on an account; dropping it frees the slot.
pub struct InFlight(Arc<Mutex<ConnectionHealth>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.0).limiter.release();
    }
}

/// A place in an account's wait queue; dropping it (done, or the client left) gives it back.
struct Queued(Arc<Mutex<ConnectionHealth>>);

impl Drop for Queued {
    fn drop(&mut self) {
        let mut h = lock(&self.0);
        h.waiters = h.waiters.saturating_sub(1);
    }
}

/// Waits for a slot on `connection`; `Err(ms)` when the queue is full or the wait would be too
/// long, with how long the caller should suggest waiting.
pub async fn admit(state: &AppState, connection: &str, limits: &Limits) -> Result<InFlight, u64> {
    let shared = state.health.connection(connection);
    let started = tokio::time::Instant::now();
    let mut queued: Option<Queued> = None;
    loop {
        let wait = {
            let mut h = lock(&shared);
            match h.limiter.acquire(state.health.now(), limits) {
                Ok(()) => {
                    drop(h);
                    drop(queued);
                    return Ok(InFlight(shared));
                }
                Err(wait) => {
                    if queued.is_none() {
                        if h.waiters >= MAX_WAITERS {
                            return Err(suggested(wait));
                        }
                        h.waiters += 1;
                        queued = Some(Queued(shared.clone()));
                    }
                    wait
                }
            }
        };
        let pause = match wait {
            Wait::For(ms) => Duration::from_millis(ms.clamp(1, 50)),
            Wait::Concurrency => Duration::from_millis(10),
        };
        if started.elapsed() + pause > MAX_WAIT {
            return Err(suggested(wait));
        }
        tokio::time::sleep(pause).await;
    }
}

fn suggested(wait: Wait) -> u64 {
    match wait {
        Wait::For(ms) => ms.max(1_000),
        Wait::Concurrency => 1_000,
    }
}

/// The response with `slot` held until its body has been sent (or dropped).
pub fn hold(response: Response, slot: InFlight) -> Response {
    let (parts, body) = response.into_parts();
    let stream = body.into_data_stream().map(move |chunk| {
        let _held = &slot;
        chunk
    });
    Response::from_parts(parts, Body::from_stream(stream))
}
