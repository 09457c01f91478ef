//! What a failed attempt means: the client's fault (a 400 goes back at once) or the
//! upstream's (the account cools down, the provider's breaker counts it, the next target is
//! tried); a model the upstream does not know is locked out for a while.

use omniroute_routing::breaker::BreakerProfile;
use omniroute_routing::cooldown::{Failure, Reason, Scope, scope_of};
use omniroute_store::lockouts::LockScope;

use super::error::ProxyError;
use crate::AppState;
use crate::registry::Snapshot;

pub(super) enum Verdict {
    /// The request itself is wrong; no other target would do better.
    Client(ProxyError),
    /// This target failed; try the next. The account, or only this model on it, rests.
    Next {
        reason: Reason,
        scope: Scope,
        hint_ms: Option<u64>,
    },
}

pub(super) fn judge(error: &ProxyError) -> Verdict {
    let failure = match error {
        ProxyError::Upstream { error, .. } => Failure::Status(error.status),
        ProxyError::Timeout { .. } => Failure::Timeout,
        ProxyError::Unreachable { .. } => Failure::Unreachable,
        _ => Failure::Status(500),
    };
    let next = |reason: Reason, hint_ms: Option<u64>| Verdict::Next {
        reason,
        scope: scope_of(failure, reason),
        hint_ms,
    };
    match error {
        ProxyError::Upstream {
            error,
            retry_after_ms,
            ..
        } => match error.status {
            // Not the request's fault: the account's plan does not cover third-party use (or
            // its extra usage is off), so another account or target may serve it.
            400 | 402 | 403 if is_plan_refusal(&error.message) => next(Reason::Quota, None),
            400 | 422 => Verdict::Client(ProxyError::Upstream {
                provider: String::new(),
                error: error.clone(),
                retry_after_ms: None,
            }),
            429 => {
                let message = error.message.to_ascii_lowercase();
                // An exhausted plan or balance, not a burst: the account is out until it resets.
                let quota = ["quota", "usage limit", "usage_limit"]
                    .iter()
                    .any(|w| message.contains(w));
                let reason = if quota {
                    Reason::Quota
                } else {
                    Reason::RateLimited
                };
                next(reason, *retry_after_ms)
            }
            // This account does not know the model (another account's plan may): only the
            // model rests on it, for as long as a lockout would last.
            404 => next(Reason::Failure, Some(MISSING_MODEL_REST_MS)),
            _ => next(Reason::Failure, *retry_after_ms),
        },
        ProxyError::BadRequest(e) => Verdict::Client(ProxyError::BadRequest(e.clone())),
        _ => next(Reason::Failure, None),
    }
}

/// An answer saying the account's plan does not pay for this request: Claude's "Third-party
/// apps now draw from your extra usage, not your plan limits", or an overage that is off.
fn is_plan_refusal(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    ["extra usage", "overage"]
        .iter()
        .any(|w| message.contains(w))
}

pub(super) fn is_subscription(state: &AppState, provider: &str) -> bool {
    matches!(
        state.catalog.get(provider).map(|p| p.login),
        Some(
            omniroute_providers::Login::OauthPkce
                | omniroute_providers::Login::DeviceCode
                | omniroute_providers::Login::Oauth
        )
    )
}

pub(super) fn profile(state: &AppState, snapshot: &Snapshot, provider: &str) -> BreakerProfile {
    if is_subscription(state, provider) {
        snapshot.profiles.oauth
    } else {
        snapshot.profiles.api_key
    }
}

/// How long a model an account's upstream says does not exist stays out of routing on it.
const MISSING_MODEL_REST_MS: u64 = 10 * 60 * 1000;

/// An upstream that answers "no such model" will say it again. Each account rests on the model
/// (see `judge`); once no account of the provider may serve it, the model is locked out for the
/// same while, visibly, so combos stop spending an attempt on it (force-unlock clears it).
pub(super) async fn auto_lock(
    state: &AppState,
    snapshot: &Snapshot,
    error: &ProxyError,
    provider: &str,
    routed: &str,
) {
    let ProxyError::Upstream { error, .. } = error else {
        return;
    };
    let now = state.health.now();
    if error.status != 404
        || snapshot
            .connections_of(provider)
            .any(|c| state.health.resting_ms(&c.row.id, routed, now) == 0)
    {
        return;
    }
    let until = omniroute_store::now_ms() + MISSING_MODEL_REST_MS as i64;
    let reason = format!("the upstream does not know it ({})", error.message);
    if state
        .store
        .lock(LockScope::Model, routed, &reason, Some(until))
        .await
        .is_ok()
        && let Err(e) = state.reload().await
    {
        tracing::warn!(error = %e, "could not reload after a lockout");
    }
}

pub(super) fn with_provider(error: ProxyError, provider: &str) -> ProxyError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use omniroute_formats::{ErrorInfo, ErrorKind};

    fn upstream(status: u16, message: &str) -> ProxyError {
        ProxyError::Upstream {
            provider: "cc".into(),
            error: ErrorInfo {
                status,
                ..ErrorInfo::new(ErrorKind::InvalidRequest, message)
            },
            retry_after_ms: None,
        }
    }

    #[test]
    fn a_plan_that_does_not_cover_the_request_rests_the_account_instead_of_failing_the_client() {
        let refusal = upstream(
            400,
            "Third-party apps now draw from your extra usage, not your plan limits.",
        );
        assert!(matches!(
            judge(&refusal),
            Verdict::Next {
                reason: Reason::Quota,
                scope: Scope::Account,
                ..
            }
        ));
        assert!(matches!(
            judge(&upstream(400, "messages: field required")),
            Verdict::Client(_)
        ));
    }
}
