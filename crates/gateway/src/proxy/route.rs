//! The fallback loop, the same for every operation (chat, embeddings, images, transcription):
//! every model of the plan, every available account of its provider, until one answers.
//! Failures that are the upstream's (connection errors, timeouts, 408, 429, 5xx, 401/403, a
//! stream that dies before its first token) cool the account down, count against the
//! provider's breaker, and move on; a `400` caused by the request body goes back to the client
//! at once. Blocked providers, locked-out models and accounts, open breakers and models of
//! another kind are skipped with the reason. The answer carries `X-OmniRoute-Route`.

use std::future::Future;

use axum::http::HeaderValue;
use axum::response::Response;
use omniroute_providers::{MediaCall, Operation, Target};
use omniroute_routing::cooldown::Scope as CooldownScope;
use omniroute_store::lockouts::LockScope;

use super::error::ProxyError;
use super::forward::Inbound;
use super::plan::{Plan, plan};
use super::trace::{Progress, Served, Trace};
use super::verdict::{Verdict, auto_lock, is_subscription, judge, profile, with_provider};
use crate::AppState;
use crate::oauth::tokens::Renewal;
use crate::registry::{LiveConnection, Snapshot};
use crate::resolve::{dealias, target_for};

/// One try of an operation at one target.
pub(super) trait Attempt: Sync {
    fn operation(&self) -> Operation;
    /// A streamed answer: its latency is the time to the first token.
    fn stream(&self) -> bool;
    /// Why this request cannot go to `target` at all (nothing is sent; the next target may do).
    fn refusal(&self, target: &Target) -> Option<ProxyError> {
        let _ = target;
        None
    }
    /// The caller's own sign-in token, when it brought one starting with `prefix`.
    fn caller_token(&self, prefix: &str) -> Option<&str> {
        let _ = prefix;
        None
    }
    fn attempt<'a>(
        &'a self,
        target: &'a Target,
    ) -> impl Future<Output = Result<Response, ProxyError>> + Send + 'a;
}

struct Chat<'a> {
    state: &'a AppState,
    inbound: &'a Inbound<'a>,
    request: &'a omniroute_formats::ir::Request,
}

impl Attempt for Chat<'_> {
    fn operation(&self) -> Operation {
        Operation::Chat
    }

    fn stream(&self) -> bool {
        self.request.stream
    }

    fn refusal(&self, target: &Target) -> Option<ProxyError> {
        super::forward::uncarriable(self.inbound, self.request, target)
    }

    fn caller_token(&self, prefix: &str) -> Option<&str> {
        // Only an Anthropic client's own bearer token (Claude Code's sign-in) qualifies.
        if self.inbound.format != omniroute_formats::Format::Anthropic {
            return None;
        }
        let auth = self.inbound.headers.get("authorization")?.to_str().ok()?;
        let token = auth
            .get(..7)
            .filter(|s| s.eq_ignore_ascii_case("bearer "))
            .map(|_| auth[7..].trim())?;
        token.starts_with(prefix).then_some(token)
    }

    fn attempt<'a>(
        &'a self,
        target: &'a Target,
    ) -> impl Future<Output = Result<Response, ProxyError>> + Send + 'a {
        super::forward::attempt(self.state, self.inbound, self.request, target)
    }
}

struct Media<'a> {
    state: &'a AppState,
    call: &'a MediaCall,
}

impl Attempt for Media<'_> {
    fn operation(&self) -> Operation {
        self.call.operation()
    }

    fn stream(&self) -> bool {
        false
    }

    fn attempt<'a>(
        &'a self,
        target: &'a Target,
    ) -> impl Future<Output = Result<Response, ProxyError>> + Send + 'a {
        super::media::attempt(self.state, self.call, target)
    }
}

/// A chat request: its plan, the AI settings applied (a shaped request brings its own body),
/// then the loop.
pub async fn chat(
    state: &AppState,
    inbound: &Inbound<'_>,
    request: &omniroute_formats::ir::Request,
    trace: &mut Trace,
) -> Result<Response, ProxyError> {
    let snapshot = state.registry.snapshot();
    let plan = start(state, &snapshot, &request.model, trace);
    let shaped = super::shaping::shaped(&snapshot.ai, plan.combo.as_deref(), inbound, request);
    let (inbound, request) = match &shaped {
        Some((inbound, request)) => (inbound, request),
        None => (inbound, request),
    };
    let chat = Chat {
        state,
        inbound,
        request,
    };
    run(state, &snapshot, &plan, &request.model, trace, &chat).await
}

/// A media request naming `model` (a model, an alias or a combo).
pub async fn media(
    state: &AppState,
    call: &MediaCall,
    model: &str,
    trace: &mut Trace,
) -> Result<Response, ProxyError> {
    let snapshot = state.registry.snapshot();
    let plan = start(state, &snapshot, model, trace);
    run(
        state,
        &snapshot,
        &plan,
        model,
        trace,
        &Media { state, call },
    )
    .await
}

fn start(state: &AppState, snapshot: &Snapshot, model: &str, trace: &mut Trace) -> Plan {
    let plan = plan(state, snapshot, model);
    trace.combo = plan.combo.clone();
    trace.note(|| Progress::Plan {
        combo: plan.combo.clone(),
        targets: plan.models.clone(),
    });
    plan
}

/// What the loop learnt from the targets that did not serve.
#[derive(Default)]
struct Misses {
    last_error: Option<ProxyError>,
    /// The shortest wait of an account at its request limit.
    throttled: Option<u64>,
}

async fn run(
    state: &AppState,
    snapshot: &Snapshot,
    plan: &Plan,
    requested: &str,
    trace: &mut Trace,
    attempt: &impl Attempt,
) -> Result<Response, ProxyError> {
    let mut misses = Misses::default();
    for model in &plan.models {
        let routed = dealias(snapshot, model);
        let Some(provider) = routable(state, snapshot, model, &routed, attempt, trace, &mut misses)
        else {
            continue;
        };
        let names = Names {
            model,
            routed: &routed,
            provider,
            upstream_model: &routed[provider.len() + 1..],
        };
        // A caller with its own sign-in of this provider goes first, through that sign-in.
        let own = state
            .catalog
            .get(provider)
            .and_then(|e| e.oauth.as_ref()?.passthrough_token_prefix.as_deref())
            .and_then(|prefix| attempt.caller_token(prefix))
            .map(|token| LiveConnection::passthrough(provider, token));
        let mut ordered =
            super::accounts::in_order(state, snapshot, provider, &routed, state.health.now());
        if let Some(own) = &own
            && state
                .health
                .resting_ms(&own.row.id, &routed, state.health.now())
                == 0
        {
            ordered.insert(0, own);
        }
        if ordered.is_empty() {
            none_available(state, snapshot, provider, &routed, trace, &mut misses);
            continue;
        }
        for connection in ordered {
            match try_account(
                state,
                snapshot,
                plan,
                &names,
                connection,
                attempt,
                trace,
                &mut misses,
            )
            .await
            {
                Account::Served(response) => return Ok(response),
                Account::Fatal(error) => return Err(error),
                Account::Next => {}
                Account::NextModel => break,
            }
        }
    }
    Err(conclude(plan, requested, trace, misses))
}

/// The provider of `routed` when the model may be tried at all; otherwise the reason is noted.
fn routable<'r>(
    state: &AppState,
    snapshot: &Snapshot,
    model: &str,
    routed: &'r str,
    attempt: &impl Attempt,
    trace: &mut Trace,
    misses: &mut Misses,
) -> Option<&'r str> {
    let Some((provider, upstream_model)) = routed
        .split_once('/')
        .filter(|(p, m)| !p.is_empty() && !m.is_empty())
    else {
        trace.skip(model, "not a provider/model id");
        misses.last_error = Some(ProxyError::UnknownModel(model.to_owned()));
        return None;
    };
    let entry = state.catalog.get(provider);
    if entry.is_none() && snapshot.node(provider).is_none() {
        trace.skip(model, format!("unknown provider '{provider}'"));
        misses.last_error = Some(ProxyError::UnknownModel(model.to_owned()));
        return None;
    }
    if snapshot
        .security
        .blocked_providers
        .iter()
        .any(|b| b == provider)
    {
        trace.skip(
            routed,
            format!("provider '{provider}' is blocked (security.blockedProviders)"),
        );
        misses.last_error = Some(ProxyError::Forbidden(format!(
            "provider '{provider}' is blocked by this OmniRoute's security settings \
             (security.blockedProviders)"
        )));
        return None;
    }
    let wanted = attempt.operation().model_kind();
    if let Some(listed) = entry.and_then(|e| e.model(upstream_model))
        && listed.kind != wanted
    {
        let reason = format!(
            "model '{routed}' is {} model, not {} model",
            listed.kind.with_article(),
            wanted.with_article()
        );
        trace.skip(routed, reason.clone());
        misses.last_error = Some(ProxyError::Invalid(reason));
        return None;
    }
    if let Some(lock) = snapshot.locked(LockScope::Model, routed, omniroute_store::now_ms()) {
        trace.skip(routed, format!("locked out: {}", lock.reason));
        return None;
    }
    let breaker = state.health.breaker(provider);
    if !breaker
        .lock()
        .map(|b| b.is_available(state.health.now()))
        .unwrap_or(true)
    {
        trace.skip(routed, format!("circuit open for provider '{provider}'"));
        return None;
    }
    Some(provider)
}

/// Why no account of `provider` can be tried now.
fn none_available(
    state: &AppState,
    snapshot: &Snapshot,
    provider: &str,
    routed: &str,
    trace: &mut Trace,
    misses: &mut Misses,
) {
    if snapshot.connections_of(provider).next().is_none() {
        trace.skip(routed, "no enabled connection");
        misses
            .last_error
            .get_or_insert(ProxyError::NoConnection(provider.to_owned()));
        return;
    }
    let now = state.health.now();
    let wall = omniroute_store::now_ms();
    // Each account is out for the longer of its cooldown and an exhausted quota window.
    let next = snapshot
        .connections_of(provider)
        .map(|c| {
            let resting = state.health.resting_ms(&c.row.id, routed, now);
            let quota = state
                .quota
                .windows(&c.row.id, wall)
                .iter()
                .filter(|w| w.stops(wall, c.row.plan_limits_only))
                .filter_map(|w| w.resets_at)
                .max()
                .map_or(0, |at| u64::try_from(at - wall).unwrap_or(0));
            (resting.max(quota), quota > resting)
        })
        .min_by_key(|(ms, _)| *ms)
        .unwrap_or((0, false));
    let why = if next.1 {
        "every account's quota is used up"
    } else {
        "every account is cooling down for this model"
    };
    trace.skip(
        routed,
        format!("{why} (next ready in {} s)", next.0.div_ceil(1000)),
    );
}

enum Account {
    Served(Response),
    /// The request itself is wrong; no other target would do better.
    Fatal(ProxyError),
    /// This account failed or was busy: the next account.
    Next,
    /// Nothing more to try on this model (breaker open, provider cannot serve it).
    NextModel,
}

/// One model of the plan, as routing names it.
#[derive(Clone, Copy)]
struct Names<'a> {
    /// As the plan lists it (a combo target, before aliases).
    model: &'a str,
    /// `provider/model` after aliases.
    routed: &'a str,
    provider: &'a str,
    /// The id the upstream knows.
    upstream_model: &'a str,
}

#[allow(clippy::too_many_arguments, reason = "one attempt's whole context")]
async fn try_account(
    state: &AppState,
    snapshot: &Snapshot,
    plan: &Plan,
    names: &Names<'_>,
    connection: &LiveConnection,
    attempt: &impl Attempt,
    trace: &mut Trace,
    misses: &mut Misses,
) -> Account {
    let Names {
        model,
        routed,
        provider,
        upstream_model,
    } = *names;
    let breaker = state.health.breaker(provider);
    if !breaker
        .lock()
        .map(|mut b| b.try_acquire(state.health.now()))
        .unwrap_or(true)
    {
        trace.skip(
            routed.to_owned(),
            format!("circuit open for provider '{provider}'"),
        );
        return Account::NextModel;
    }
    let Some(mut target) = target_for(state, snapshot, connection, upstream_model) else {
        let reason = format!("provider '{provider}' no longer exists");
        trace.skip(routed.to_owned(), reason.clone());
        misses.last_error = Some(ProxyError::Invalid(reason));
        return Account::NextModel;
    };
    // The combo level of proxy precedence is known only here.
    target.proxy = snapshot
        .proxies
        .pick(&connection.row.id, plan.combo.as_deref(), provider)
        .cloned();
    if connection.row.is_oauth()
        && let Err(e) =
            crate::oauth::authorize(state, &connection.row, &mut target, Renewal::IfDue).await
    {
        trace.skip(format!("{routed} ({})", connection.row.name), e.to_string());
        misses.last_error = Some(ProxyError::Unreachable {
            provider: provider.to_owned(),
            reason: e.to_string(),
        });
        return Account::Next;
    }
    if let Some(e) = super::upstream(state, &target, attempt.operation())
        .err()
        .or_else(|| attempt.refusal(&target))
    {
        trace.skip(routed.to_owned(), e.to_string());
        misses.last_error = Some(e);
        return Account::NextModel;
    }
    let account = connection.row.id.clone();
    let limits = snapshot
        .profiles
        .limits(&account, !is_subscription(state, provider));
    let slot = match super::admission::admit(state, &account, &limits).await {
        Ok(slot) => slot,
        Err(retry_ms) => {
            misses.throttled = Some(misses.throttled.map_or(retry_ms, |t| t.min(retry_ms)));
            trace.skip(
                format!("{routed} ({})", connection.row.name),
                "at its request limit (queue full)",
            );
            return Account::Next;
        }
    };
    trace.attempts += 1;
    trace.note(|| Progress::Attempt {
        attempt: trace.attempts,
        target: routed.to_owned(),
        account: connection.row.name.clone(),
    });
    if let Ok(mut c) = state.health.connection(&account).lock() {
        c.last_used = state.health.now();
    }
    let started = std::time::Instant::now();
    let mut outcome = attempt.attempt(&target).await;
    // A signed-in account's token refused: refresh once (single-flight) and try again.
    if connection.row.is_oauth() && matches!(&outcome, Err(e) if e.upstream_status() == Some(401)) {
        let rejected = target.api_key.as_ref().map(|k| k.expose().to_owned());
        let renewal = Renewal::Rejected(rejected.as_deref().unwrap_or_default());
        match crate::oauth::authorize(state, &connection.row, &mut target, renewal).await {
            Ok(()) => outcome = attempt.attempt(&target).await,
            Err(e) => tracing::warn!(account = %account, error = %e, "refresh after 401 failed"),
        }
    }
    // Latency (time to first token for streams) or the failure, per provider and model.
    let outcome = super::observe::attempt(
        state,
        outcome,
        provider,
        upstream_model,
        started,
        attempt.stream(),
    );
    match outcome {
        Ok(response) => {
            let response = super::admission::hold(response, slot);
            state.health.on_success(provider, &account, model, routed);
            crate::oauth::usage::refresh_soon(state, &connection.row);
            Account::Served(served(response, &target, connection, routed, trace))
        }
        Err(error) => match judge(&error) {
            Verdict::Client(e) => Account::Fatal(with_provider(e, provider)),
            Verdict::Next {
                reason,
                scope,
                hint_ms,
            } => {
                state.health.on_failure(
                    provider,
                    &profile(state, snapshot, provider),
                    &snapshot.profiles.backoff,
                    &account,
                    routed,
                    scope,
                    reason,
                    hint_ms,
                );
                auto_lock(state, snapshot, &error, provider, routed).await;
                // An exhausted quota with a reset time is a window like those the headers report;
                // without one, the provider's calendar (GLM's daily 10:00) says when it resets.
                if reason == omniroute_routing::cooldown::Reason::Quota
                    && let Some(hint_ms) = hint_ms
                        .or_else(|| crate::quota::calendar_reset_in(&state.catalog, provider))
                {
                    state.quota.observe_exhausted(&account, hint_ms);
                }
                // The reason says what rests: the account, or this model on it.
                let rests = match scope {
                    CooldownScope::Account => "the account rests",
                    CooldownScope::Model => "this model rests on the account",
                };
                trace.skip(
                    format!("{routed} ({})", connection.row.name),
                    format!("{error} ({rests})"),
                );
                misses.last_error = Some(error);
                Account::Next
            }
        },
    }
}

/// The answer, with the route header, noted in the trace.
fn served(
    mut response: Response,
    target: &Target,
    connection: &LiveConnection,
    routed: &str,
    trace: &mut Trace,
) -> Response {
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
        target: routed.to_owned(),
        account: connection.row.name.clone(),
        attempts: trace.attempts,
    });
    trace.served = Some(Served {
        provider: target.provider.clone(),
        connection_id: connection.row.id.clone(),
        model: routed.to_owned(),
        format: target.format(),
    });
    response
}

/// The error for a request no target served.
fn conclude(plan: &Plan, requested: &str, trace: &Trace, misses: Misses) -> ProxyError {
    // Nothing was sent because every account was at its limit: a 429 with Retry-After.
    if let (0, Some(retry_after_ms)) = (trace.attempts, misses.throttled) {
        return ProxyError::Throttled { retry_after_ms };
    }
    // One target, one failure: the client gets that upstream's own error (status and message);
    // a request no target could carry gets the 400 naming what.
    let uncarried =
        trace.attempts == 0 && matches!(misses.last_error, Some(ProxyError::BadRequest(_)));
    if (uncarried || plan.models.len() == 1 && trace.attempts <= 1)
        && let Some(error) = misses.last_error
    {
        return error;
    }
    let subject = match &plan.combo {
        Some(combo) => format!(
            "all {} targets of combo '{combo}' failed",
            plan.models.len()
        ),
        None => format!("every route for '{requested}' failed"),
    };
    let reasons: Vec<String> = trace
        .skips
        .iter()
        .map(|s| format!("{}: {}", s.target, s.reason))
        .collect();
    ProxyError::AllFailed(format!("{subject}: {}", reasons.join("; ")))
}
