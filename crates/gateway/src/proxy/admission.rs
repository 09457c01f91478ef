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
use crate::cluster::{Admission, Cluster};
use crate::health::ConnectionHealth;

/// Requests that may wait for one account at a time; one more is turned away.
const MAX_WAITERS: u32 = 32;
/// The longest a request waits for an account before trying the next.
const MAX_WAIT: Duration = Duration::from_secs(30);

fn lock(m: &Mutex<ConnectionHealth>) -> std::sync::MutexGuard<'_, ConnectionHealth> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A request in flight on an account; dropping it frees the slot, here and, when instances
/// share their limits, in Redis.
pub struct InFlight {
    health: Arc<Mutex<ConnectionHealth>>,
    shared: Option<(Arc<Cluster>, String, String)>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.health).limiter.release();
        if let Some((cluster, connection, lease)) = self.shared.take() {
            cluster.release(&connection, lease);
        }
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

/// Waits for a slot on `connection`, on this instance and then across the instances sharing
/// Redis; `Err(ms)` when the queue is full or the wait would be too long, with how long the
/// caller should suggest waiting.
pub async fn admit(state: &AppState, connection: &str, limits: &Limits) -> Result<InFlight, u64> {
    let shared = state.health.connection(connection);
    let started = tokio::time::Instant::now();
    let mut queued: Option<Queued> = None;
    loop {
        let local = lock(&shared).limiter.acquire(state.health.now(), limits);
        let wait = match local {
            Ok(()) => {
                let slot = InFlight {
                    health: shared.clone(),
                    shared: None,
                };
                match admit_shared(state, connection, limits, slot).await {
                    // Leaving gives the place in the queue back.
                    Ok(slot) => return Ok(slot),
                    Err(wait) => wait,
                }
            }
            Err(wait) => wait,
        };
        if queued.is_none() {
            let mut h = lock(&shared);
            if h.waiters >= MAX_WAITERS {
                return Err(suggested(wait));
            }
            h.waiters += 1;
            queued = Some(Queued(shared.clone()));
        }
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

/// The same admission across instances: the local slot is given back when the account is at
/// its limit elsewhere.
async fn admit_shared(
    state: &AppState,
    connection: &str,
    limits: &Limits,
    mut slot: InFlight,
) -> Result<InFlight, Wait> {
    if state.cluster.target().is_none() {
        return Ok(slot);
    }
    let lease = omniroute_store::new_id();
    match state.cluster.admit(connection, limits, &lease).await {
        Admission::Admitted => {
            slot.shared = Some((state.cluster.clone(), connection.to_owned(), lease));
            Ok(slot)
        }
        Admission::Local => Ok(slot),
        Admission::Busy => Err(Wait::Concurrency),
        Admission::Wait(ms) => Err(Wait::For(ms)),
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
