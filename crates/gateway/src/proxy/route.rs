//! The fallback loop: every model of the plan, every available account of its provider, until
//! one answers. Failures that are the upstream's (connection errors, timeouts, 408, 429, 5xx,
//! 401/403, a stream that dies before its first token) cool the account down, count against
//! the provider's breaker, and move on; a `400` caused by the request body goes back to the
//! client at once. The answer carries `X-OmniRoute-Route`.

use axum::http::HeaderValue;
use axum::response::Response;
use omniroute_routing::accounts::{self, Candidate};
use omniroute_routing::breaker::BreakerProfile;
use omniroute_routing::cooldown::Reason;

use super::error::ProxyError;
use super::forward::{Inbound, attempt};
use super::plan::plan;
use super::resolve::{dealias, target_for};
use super::trace::{Progress, Served, Trace};
use crate::AppState;
use crate::registry::Snapshot;

enum Verdict {
    /// The request itself is wrong; no other target would do better.
    Client(ProxyError),
    /// This target failed; try the next.
    Next {
        reason: Reason,
        hint_ms: Option<u64>,
    },
}

fn judge(error: &ProxyError) -> Verdict {
    match error {
        ProxyError::Upstream {
            error,
            retry_after_ms,
            ..
        } => match error.status {
            400 | 422 => Verdict::Client(clone_error(error)),
            429 => {
                let quota = error.message.to_ascii_lowercase().contains("quota");
                Verdict::Next {
                    reason: if quota {
                        Reason::Quota
                    } else {
                        Reason::RateLimited
                    },
                    hint_ms: *retry_after_ms,
                }
            }
            _ => Verdict::Next {
                reason: Reason::Failure,
                hint_ms: *retry_after_ms,
            },
        },
        ProxyError::BadRequest(e) => Verdict::Client(ProxyError::BadRequest(e.clone())),
        _ => Verdict::Next {
            reason: Reason::Failure,
            hint_ms: None,
        },
    }
}

fn clone_error(error: &omniroute_formats::ErrorInfo) -> ProxyError {
    ProxyError::Upstream {
        provider: String::new(),
        error: error.clone(),
        retry_after_ms: None,
    }
}

fn profile(state: &AppState, snapshot: &Snapshot, provider: &str) -> BreakerProfile {
    match state.catalog.get(provider).map(|p| p.login) {
        Some(omniroute_providers::Login::ApiKey | omniroute_providers::Login::None) | None => {
            snapshot.profiles.api_key
        }
        Some(_) => snapshot.profiles.oauth,
    }
}

pub async fn run(
    state: &AppState,
    inbound: &Inbound<'_>,
    request: &omniroute_formats::ir::Request,
    trace: &mut Trace,
) -> Result<Response, ProxyError> {
    let snapshot = state.registry.snapshot();
    let plan = plan(state, &snapshot, &request.model);
    trace.combo = plan.combo.clone();
    trace.note(|| Progress::Plan {
        combo: plan.combo.clone(),
        targets: plan.models.clone(),
    });
    // System prompts and thinking budget (AI settings): a shaped request brings its own body.
    let shaped = super::shaping::shaped(&snapshot.ai, plan.combo.as_deref(), inbound, request);
    let (inbound, request) = match &shaped {
        Some((inbound, request)) => (inbound, request),
        None => (inbound, request),
    };
    let mut last_error: Option<ProxyError> = None;
    let mut throttled: Option<u64> = None;
    for model in &plan.models {
        let routed = dealias(&snapshot, model);
        let Some((provider, upstream_model)) = routed
            .split_once('/')
            .filter(|(p, m)| !p.is_empty() && !m.is_empty())
        else {
            trace.skip(model.clone(), "not a provider/model id");
            last_error = Some(ProxyError::UnknownModel(model.clone()));
            continue;
        };
        if state.catalog.get(provider).is_none() && snapshot.node(provider).is_none() {
            trace.skip(model.clone(), format!("unknown provider '{provider}'"));
            last_error = Some(ProxyError::UnknownModel(model.clone()));
            continue;
        }
        let wall = omniroute_store::now_ms();
        if let Some(lock) = snapshot.locked("model", &routed, wall) {
            trace.skip(routed.clone(), format!("locked out: {}", lock.reason));
            continue;
        }
        let now = state.health.now();
        let breaker = state.health.breaker(provider);
        if !breaker.lock().map(|b| b.is_available(now)).unwrap_or(true) {
            trace.skip(
                routed.clone(),
                format!("circuit open for provider '{provider}'"),
            );
            continue;
        }
        let ordered = accounts_in_order(state, &snapshot, provider, now);
        if ordered.is_empty() {
            if snapshot.connections_of(provider).next().is_none() {
                trace.skip(routed.clone(), "no enabled connection");
                last_error.get_or_insert(ProxyError::NoConnection(provider.to_owned()));
            } else {
                let next = snapshot
                    .connections_of(provider)
                    .filter_map(|c| {
                        state
                            .health
                            .connection(&c.row.id)
                            .lock()
                            .ok()
                            .map(|h| h.cooldown.remaining(now))
                    })
                    .min()
                    .unwrap_or(0);
                let reason = format!(
                    "every account is cooling down (next ready in {} s)",
                    next.div_ceil(1000)
                );
                trace.skip(routed.clone(), reason);
            }
            continue;
        }
        for connection in ordered {
            if !breaker
                .lock()
                .map(|mut b| b.try_acquire(state.health.now()))
                .unwrap_or(true)
            {
                trace.skip(
                    routed.clone(),
                    format!("circuit open for provider '{provider}'"),
                );
                break;
            }
            let target = match target_for(state, &snapshot, connection, upstream_model) {
                Ok(mut target) => {
                    // The combo level of proxy precedence is known only here.
                    target.proxy = snapshot
                        .proxies
                        .pick(&connection.row.id, plan.combo.as_deref(), provider)
                        .cloned();
                    target
                }
                Err(e) => {
                    trace.skip(routed.clone(), e.to_string());
                    last_error = Some(e);
                    break;
                }
            };
            let account = connection.row.id.clone();
            let api_key = !matches!(
                state.catalog.get(provider).map(|p| p.login),
                Some(
                    omniroute_providers::Login::OauthPkce
                        | omniroute_providers::Login::DeviceCode
                        | omniroute_providers::Login::Oauth
                )
            );
            let limits = snapshot.profiles.limits(&account, api_key);
            let slot = match super::admission::admit(state, &account, &limits).await {
                Ok(slot) => slot,
                Err(retry_ms) => {
                    throttled = Some(throttled.map_or(retry_ms, |t: u64| t.min(retry_ms)));
                    trace.skip(
                        format!("{routed} ({})", connection.row.name),
                        "at its request limit (queue full)",
                    );
                    continue;
                }
            };
            trace.attempts += 1;
            trace.note(|| Progress::Attempt {
                attempt: trace.attempts,
                target: routed.clone(),
                account: connection.row.name.clone(),
            });
            if let Ok(mut c) = state.health.connection(&account).lock() {
                c.last_used = state.health.now();
            }
            let started = std::time::Instant::now();
            let outcome = attempt(state, inbound, request, &target).await;
            // Latency (time to first token for streams) or the failure, per provider and model.
            let outcome = super::observe::attempt(
                state,
                outcome,
                provider,
                upstream_model,
                started,
                request.stream,
            );
            match outcome {
                Ok(response) => {
                    let mut response = super::admission::hold(response, slot);
                    state.health.on_success(provider, &account, model);
                    let route = format!(
                        "{routed}; account={}; attempts={}",
                        connection
                            .row
                            .name
                            .replace(|c: char| !c.is_ascii_graphic() && c != ' ', "_"),
                        trace.attempts
                    );
                    if let Ok(value) = HeaderValue::from_str(&route) {
                        response.headers_mut().insert("x-omniroute-route", value);
                    }
                    if !trace.skips.is_empty() {
                        tracing::info!(route, skipped = ?trace.skips.iter().map(|s| format!("{}: {}", s.target, s.reason)).collect::<Vec<_>>(), "served after fallback");
                    }
                    trace.note(|| Progress::Served {
                        target: routed.clone(),
                        account: connection.row.name.clone(),
                        attempts: trace.attempts,
                    });
                    trace.served = Some(Served {
                        provider: provider.to_owned(),
                        connection_id: account.clone(),
                        model: routed.clone(),
                        format: target.format,
                    });
                    return Ok(response);
                }
                Err(error) => match judge(&error) {
                    Verdict::Client(e) => return Err(with_provider(e, provider)),
                    Verdict::Next { reason, hint_ms } => {
                        auto_lock(state, &error, &routed).await;
                        state.health.on_failure(
                            provider,
                            &profile(state, &snapshot, provider),
                            &snapshot.profiles.backoff,
                            &account,
                            reason,
                            hint_ms,
                        );
                        trace.skip(
                            format!("{routed} ({})", connection.row.name),
                            error.to_string(),
                        );
                        last_error = Some(error);
                    }
                },
            }
        }
    }
    // Nothing was sent because every account was at its limit: a 429 with Retry-After.
    if let (0, Some(retry_after_ms)) = (trace.attempts, throttled) {
        return Err(ProxyError::Throttled { retry_after_ms });
    }
    // One target, one failure: the client gets that upstream's own error (status and message).
    if plan.models.len() == 1 && trace.attempts <= 1 {
        if let Some(error) = last_error {
            return Err(error);
        }
    }
    let subject = match &plan.combo {
        Some(combo) => format!(
            "all {} targets of combo '{combo}' failed",
            plan.models.len()
        ),
        None => format!("every route for '{}' failed", request.model),
    };
    let reasons: Vec<String> = trace
        .skips
        .iter()
        .map(|s| format!("{}: {}", s.target, s.reason))
        .collect();
    Err(ProxyError::AllFailed(format!(
        "{subject}: {}",
        reasons.join("; ")
    )))
}

/// How long a model the upstream says does not exist stays out of routing.
const MISSING_MODEL_LOCK_MS: i64 = 10 * 60 * 1000;

/// An upstream that answers "no such model" will say it again: the model is locked out for a
/// while so combos stop spending an attempt on it (force-unlock clears it).
async fn auto_lock(state: &AppState, error: &ProxyError, routed: &str) {
    let ProxyError::Upstream { error, .. } = error else {
        return;
    };
    if error.status != 404 {
        return;
    }
    let until = omniroute_store::now_ms() + MISSING_MODEL_LOCK_MS;
    let reason = format!("the upstream does not know it ({})", error.message);
    if state
        .store
        .lock("model", routed, &reason, Some(until))
        .await
        .is_ok()
    {
        if let Err(e) = state.registry.reload(&state.store, &state.secrets).await {
            tracing::warn!(error = %e, "could not reload after a lockout");
        }
    }
}

fn with_provider(error: ProxyError, provider: &str) -> ProxyError {
    match error {
        ProxyError::Upstream {
            error,
            retry_after_ms,
            ..
        } => ProxyError::Upstream {
            provider: provider.to_owned(),
            error,
            retry_after_ms,
        },
        other => other,
    }
}

/// Enabled accounts of `provider` that are not cooling down, in the configured strategy's order.
fn accounts_in_order<'a>(
    state: &AppState,
    snapshot: &'a Snapshot,
    provider: &'a str,
    now: u64,
) -> Vec<&'a crate::registry::LiveConnection> {
    let wall = omniroute_store::now_ms();
    let available: Vec<&crate::registry::LiveConnection> = snapshot
        .connections_of(provider)
        .filter(|c| snapshot.locked("connection", &c.row.id, wall).is_none())
        .filter(|c| {
            state
                .health
                .connection(&c.row.id)
                .lock()
                .map(|h| !h.cooldown.is_resting(now))
                .unwrap_or(true)
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
    order
        .into_iter()
        .filter_map(|i| available.get(i).copied())
        .collect()
}
