//! The accounts of a provider a request may use now for one model, in the configured
//! strategy's order: enabled, not locked out, neither the account nor this model on it resting
//! after failures.

use omniroute_routing::accounts::{self, Candidate};
use omniroute_store::lockouts::LockScope;

use crate::AppState;
use crate::registry::{LiveConnection, Snapshot};

/// Enabled accounts of `provider` that may serve `routed` now, in the configured strategy's
/// order.
pub(super) fn in_order<'a>(
    state: &AppState,
    snapshot: &'a Snapshot,
    provider: &'a str,
    routed: &str,
    now: u64,
) -> Vec<&'a LiveConnection> {
    let wall = omniroute_store::now_ms();
    let available: Vec<&LiveConnection> = snapshot
        .connections_of(provider)
        .filter(|c| {
            snapshot
                .locked(LockScope::Connection, &c.row.id, wall)
                .is_none()
        })
        .filter(|c| state.health.resting_ms(&c.row.id, routed, now) == 0)
        // An exhausted quota window keeps the account out until it resets (then one request
        // finds out whether it is back).
        .filter(|c| {
            !state
                .quota
                .pressure(&c.row.id, wall, c.row.plan_limits_only)
                .1
        })
        .collect();
    if available.len() <= 1 {
        return available;
    }
    let candidates: Vec<Candidate> = available
        .iter()
        .map(|c| {
            let h = state.health.connection(&c.row.id);
            let h = h.lock().map(|h| h.clone()).unwrap_or_default();
            Candidate {
                priority: c.row.priority,
                last_used: h.last_used,
                health: if h.requests == 0 { 1.0 } else { h.health },
                in_flight: h.limiter.in_flight,
            }
        })
        .collect();
    let rotation = state.health.rotation(provider);
    let order = {
        let mut rotation = match rotation.lock() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        let mut rng = state.health.rng();
        accounts::order(
            snapshot.routing.strategy_for(provider),
            &candidates,
            snapshot.routing.sticky_limit,
            &mut rotation,
            &mut *rng,
        )
    };
    let ordered: Vec<&LiveConnection> = order
        .into_iter()
        .filter_map(|i| available.get(i).copied())
        .collect();
    behind_headroom(state, ordered, snapshot.routing.headroom_threshold, wall)
}

/// Accounts whose tightest quota window is past `threshold` go behind those with headroom
/// (keeping the strategy's order within each group), so traffic moves off an account before
/// its provider answers 429.
fn behind_headroom<'a>(
    state: &AppState,
    ordered: Vec<&'a LiveConnection>,
    threshold: f64,
    now_unix_ms: i64,
) -> Vec<&'a LiveConnection> {
    let (mut roomy, tight): (Vec<_>, Vec<_>) = ordered.into_iter().partition(|c| {
        let (soon, _) = state
            .quota
            .pressure(&c.row.id, now_unix_ms, c.row.plan_limits_only);
        soon < threshold
    });
    roomy.extend(tight);
    roomy
}
