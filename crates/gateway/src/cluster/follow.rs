//! The receiving side: applies the other instances' events to this one's live state, and
//! catches up whenever the subscription (re)joins — configuration read again, budget spend
//! re-read from the database, the rests and open breakers others keep applied.

use super::events::{Envelope, Event};
use super::link::{self, Delivery};
use super::{channel, kept_rests};
use crate::AppState;

/// Follows the channel for as long as the gateway runs; nothing when Redis is not configured.
pub fn follow(state: AppState) {
    let Some(target) = state.cluster.target().cloned() else {
        return;
    };
    let channel = channel(&target);
    let mut messages = link::subscribe(target, channel);
    #[allow(clippy::disallowed_methods, reason = "the cluster's event follower")]
    tokio::spawn(async move {
        while let Some(message) = messages.recv().await {
            match message {
                Delivery::Joined => {
                    catch_up(&state).await;
                    state.cluster.set_following(true);
                }
                Delivery::Left => state.cluster.set_following(false),
                Delivery::Message(payload) => match serde_json::from_slice::<Envelope>(&payload) {
                    Ok(envelope) if envelope.from != state.cluster.instance() => {
                        apply(&state, envelope.event).await;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "ignoring an unreadable shared-state event")
                    }
                },
            }
        }
    });
}

async fn catch_up(state: &AppState) {
    reload(state).await;
    // Spend other instances told while this one was not listening: re-read from the usage
    // rows every instance writes.
    state.spend.clear();
    if let Some(link) = state.cluster.link() {
        let now = omniroute_store::now_ms();
        for (until, event) in kept_rests(link).await {
            let ms = u64::try_from(until.saturating_sub(now)).unwrap_or(0);
            if ms == 0 {
                continue;
            }
            let event = match event {
                Event::Rest {
                    connection,
                    model,
                    reason,
                    ..
                } => Event::Rest {
                    connection,
                    model,
                    ms,
                    reason,
                },
                Event::BreakerOpen { provider, .. } => Event::BreakerOpen { provider, ms },
                other => other,
            };
            apply(state, event).await;
        }
    }
    tracing::info!("joined the shared state: configuration, spend and rests caught up");
}

/// Configuration from the database again. (Spend stays: a budget's amounts do not change with
/// its limit, and a period not tracked yet is read from the usage rows when first checked.)
async fn reload(state: &AppState) {
    if let Err(e) = state.registry.reload(&state.store, &state.secrets).await {
        tracing::warn!(error = %e, "cannot reload configuration after another instance's change");
    }
    if let Err(e) = state.access.refresh_password(&state.store).await {
        tracing::warn!(error = %e, "cannot read the dashboard password after another instance's change");
    }
}

pub(super) async fn apply(state: &AppState, event: Event) {
    match event {
        Event::Reload => reload(state).await,
        Event::BreakerOpen { provider, ms } => state.health.open_breaker(&provider, ms),
        Event::Rest {
            connection,
            model,
            ms,
            reason,
        } => {
            state.health.rest(&connection, model.as_deref(), ms, reason);
        }
        Event::ResetHealth => state.health.reset_local(),
        Event::ClearModel { model } => state.health.clear_model_local(&model),
        Event::Spend { key, cost, at_ms } => state.spend.add(&key, cost, at_ms),
        Event::Quota { account, windows } => {
            let windows = windows.into_iter().map(Into::into).collect();
            state.quota.observe_shared(&account, windows);
        }
        Event::Revoke { jti, exp } => {
            state
                .access
                .revoke_id(&jti, exp, omniroute_store::now_ms() / 1000);
        }
    }
}
