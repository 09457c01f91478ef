//! One client request from arrival to answer: decode, the caller's budgets, an idempotent
//! replay, a cache hit, and only then routing. Every outcome — refused, replayed, cached,
//! answered, failed — becomes one usage row (written off the hot path).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use omniroute_formats::ir::Usage;
use omniroute_formats::{Format, FormatError};
use omniroute_providers::MediaCall;
use omniroute_store::usage::{AnswerSource, BodyLog, UsageRow};

use super::error::ProxyError;
use super::forward::Inbound;
use super::metered::{Ended, meter};
use super::progress::LateSlot;
use super::stream::Tally;
use super::trace::Trace;
use crate::AppState;
use crate::accounting::{budgets, pricing, redact};
use crate::monitor::MonitorEvent;
use crate::replay::idempotency::{Begin, Publisher};
use crate::replay::{Captured, cache};

/// Largest answer kept for an idempotent replay; a longer one is simply not replayed.
const MAX_REPLAY_BODY: usize = 16 * 1024 * 1024;

/// A usage row in the making.
struct Ticket {
    row: UsageRow,
    started: Instant,
    /// The redacted request body, when request logging is on.
    request_log: Option<String>,
    log_limit: usize,
    /// The format spoken to the upstream that served, for the live monitor.
    upstream_format: Option<omniroute_formats::Format>,
}

impl Ticket {
    fn apply(&mut self, trace: &Trace) {
        self.row.combo = trace.combo.clone();
        self.row.attempts = i64::from(trace.attempts);
        self.row.fallback_reasons = trace.reasons_json();
        if let Some(served) = &trace.served {
            self.row.provider = Some(served.provider.clone());
            self.row.connection_id = Some(served.connection_id.clone());
            self.row.model = served.model.clone();
            self.upstream_format = served.format;
        }
    }

    fn finish(
        mut self,
        state: &AppState,
        status: u16,
        usage: Option<&Usage>,
        ttft: Option<Duration>,
        response: Option<&[u8]>,
    ) {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.row.status = i64::from(status);
        self.row.latency_ms = ms(self.started.elapsed());
        self.row.ttft_ms = ttft.map(ms);
        let snapshot = state.registry.snapshot();
        if let Some(usage) = usage {
            let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            self.row.input_tokens = to_i64(usage.input_tokens);
            self.row.output_tokens = to_i64(usage.output_tokens);
            self.row.cached_tokens = to_i64(usage.cached_tokens);
            self.row.cache_write_tokens = to_i64(usage.cache_write_tokens);
            self.row.reasoning_tokens = to_i64(usage.reasoning_tokens);
            if self.row.source == AnswerSource::Upstream {
                let (price, _) =
                    pricing::price_of(&state.catalog, &snapshot.accounting.prices, &self.row.model);
                self.row.cost_usd = pricing::cost(price, usage);
            }
        }
        if let Some(key) = &self.row.api_key_id {
            let now = omniroute_store::now_ms();
            state.spend.add(key, self.row.cost_usd, now);
            if self.row.cost_usd > 0.0 {
                state.cluster.announce(crate::cluster::Event::Spend {
                    key: key.clone(),
                    cost: self.row.cost_usd,
                    at_ms: now,
                });
            }
        }
        state.monitor.publish(|| MonitorEvent {
            ts: self.row.ts,
            client_format: self.row.client_format.clone(),
            upstream_format: self.upstream_format.map(omniroute_formats::Format::as_str),
            model: self.row.model.clone(),
            provider: self.row.provider.clone(),
            status: self.row.status,
            stream: self.row.stream,
            latency_ms: self.row.latency_ms,
        });
        let log = self.request_log.take().map(|request| BodyLog {
            request,
            response: response
                .map(|body| redact::redact_body(body, &known_keys(&snapshot), self.log_limit))
                .unwrap_or_default(),
        });
        state.recorder.record(self.row, log);
    }
}

/// The connections' own keys, masked wherever they appear in a kept body.
fn known_keys(snapshot: &crate::registry::Snapshot) -> Vec<&str> {
    snapshot
        .connections
        .iter()
        .filter_map(|c| c.api_key.as_ref().map(|k| k.expose()))
        .collect()
}

fn header_is_true(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true") || v.trim() == "1")
}

/// `Idempotency-Key` or `X-Request-Id`, scoped to the caller and to the body: the same key
/// with another body (a client reusing request ids, or someone guessing them) is another request.
fn idempotency_key(headers: &HeaderMap, scope: &str, body: &[u8]) -> Option<String> {
    let value = ["idempotency-key", "x-request-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .map(str::trim)
        .filter(|v| !v.is_empty())?;
    let body = xxhash_rust::xxh3::xxh3_128(body);
    Some(format!("{scope}\n{body:032x}\n{value}"))
}

/// The longest model id a client may send: ids reach logs, usage rows and telemetry labels.
pub const MAX_MODEL_ID: usize = 256;

pub async fn handle(state: &AppState, inbound: Inbound<'_>) -> Response {
    let started = Instant::now();
    let format = inbound.format;
    let snapshot = state.registry.snapshot();
    let book = &snapshot.accounting;
    let key = inbound.caller.key.clone();
    let log_limit =
        usize::try_from(book.logs.max_body_kilobytes.saturating_mul(1024)).unwrap_or(usize::MAX);
    let mut ticket = Ticket {
        row: UsageRow {
            ts: omniroute_store::now_ms(),
            api_key_id: key.as_ref().map(|k| k.id.clone()),
            model: inbound.hint.model.unwrap_or_default().to_owned(),
            client_format: format.as_str().to_owned(),
            ..UsageRow::default()
        },
        started,
        request_log: state
            .config
            .enable_request_logs
            .then(|| redact::redact_body(&inbound.body, &known_keys(&snapshot), log_limit)),
        log_limit,
        upstream_format: None,
    };
    let mut request = match omniroute_formats::decode_request(format, &inbound.body, &inbound.hint)
    {
        Ok(request) => request,
        Err(e) => return fail(state, ticket, format, ProxyError::BadRequest(e), None).await,
    };
    // Reasoning state this client could not carry goes back into the turns it replays; the
    // body itself can still be relayed unless what came back must reach the upstream.
    let mut inbound = inbound;
    inbound.relayable = omniroute_formats::provenance::relayable(format, &request);
    let restored = state
        .reasoning
        .restore(inbound.caller.scope(), &mut request, ticket.row.ts);
    if restored > 0 && omniroute_formats::provenance::needs_restored_state(format, &request) {
        inbound.relayable = false;
    }
    if request.model.len() > MAX_MODEL_ID {
        let error = FormatError::field(
            "model",
            format!(
                "is {} bytes long; model ids are at most {MAX_MODEL_ID}",
                request.model.len()
            ),
        );
        return fail(state, ticket, format, ProxyError::BadRequest(error), None).await;
    }
    ticket.row.model = request.model.clone();
    ticket.row.stream = request.stream;

    if let Some(error) = over_budget(state, key.as_ref(), book, ticket.row.ts).await {
        return fail(state, ticket, format, error, None).await;
    }

    let scope = inbound.caller.scope();
    let publisher = match idempotency_key(inbound.headers, scope, &inbound.body) {
        Some(k) => match state.idempotency.begin(k).await {
            Begin::Replay(answer) => {
                ticket.row.source = AnswerSource::Replay;
                let response = answer.response(&[("x-omniroute-idempotent-replay", "true")]);
                ticket.finish(
                    state,
                    answer.status.as_u16(),
                    None,
                    None,
                    Some(&answer.body),
                );
                return response;
            }
            Begin::First(publisher) => Some(publisher),
        },
        None => None,
    };

    let cacheable = book.cache.enabled && !request.stream && request.temperature == Some(0.0);
    let bypass = header_is_true(inbound.headers, "x-omniroute-no-cache");
    let cache_key = (cacheable && !bypass)
        .then(|| cache::key(Some(scope), format, inbound.hint.model, &inbound.body));
    let ttl = Duration::from_secs(book.cache.ttl_seconds);
    let hit = match cache_key {
        Some(k) => match state.cache.get(k, ttl, Instant::now()) {
            Some(hit) => Some(hit),
            // Another instance may have answered it: its copy is kept here too.
            None => state
                .cluster
                .cached(k)
                .await
                .and_then(|bytes| Captured::decode(&bytes))
                .map(|answer| {
                    state
                        .cache
                        .put(k, answer.clone(), &book.cache, Instant::now());
                    std::sync::Arc::new(answer)
                }),
        },
        None => None,
    };
    if let Some(hit) = hit {
        ticket.row.source = AnswerSource::Cache;
        let response = hit.response(&[("x-omniroute-cache", "hit")]);
        let mut replay = (*hit).clone();
        replay
            .headers
            .retain(|(name, _)| name != "x-omniroute-cache");
        if let Some(publisher) = publisher {
            publisher.publish(replay);
        }
        ticket.finish(state, 200, None, None, Some(&hit.body));
        return response;
    }

    if request.stream && header_is_true(inbound.headers, "x-omniroute-progress") {
        if let Some((response, late)) = super::progress::respond(state, &inbound, &request) {
            return finish_stream(state, ticket, response, None, publisher, Some(late));
        }
    }

    let mut trace = Trace::default();
    let result = super::route::chat(state, &inbound, &request, &mut trace).await;
    ticket.apply(&trace);
    let mut response = match result {
        Ok(response) => response,
        Err(e) => return fail(state, ticket, format, e, publisher).await,
    };
    let cache_state = match (cacheable, bypass) {
        (true, true) => Some("bypass"),
        (true, false) => Some("miss"),
        _ => None,
    };
    if let Some(value) = cache_state {
        response
            .headers_mut()
            .insert("x-omniroute-cache", HeaderValue::from_static(value));
    }
    if request.stream {
        let ttft = started.elapsed();
        return finish_stream(state, ticket, response, Some(ttft), publisher, None);
    }
    let usage = response
        .extensions()
        .get::<Usage>()
        .cloned()
        .unwrap_or_default();
    let (parts, body) = response.into_parts();
    // The answer is already in memory (non-streaming); this only unwraps it.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            let error = ProxyError::Internal(format!("cannot read the answer: {e}"));
            return fail(state, ticket, format, error, publisher).await;
        }
    };
    let answer = Captured::new(parts.status, &parts.headers, bytes.clone());
    if let Some(k) = cache_key {
        state
            .cache
            .put(k, answer.clone(), &book.cache, Instant::now());
        state.cluster.cache(k, answer.encode(), ttl);
    }
    if let Some(publisher) = publisher {
        publisher.publish(answer);
    }
    let status = parts.status.as_u16();
    ticket.finish(
        state,
        status,
        Some(&usage),
        Some(started.elapsed()),
        Some(&bytes),
    );
    Response::from_parts(parts, Body::from(bytes))
}

/// The refusal of a caller whose key is over one of its budgets.
async fn over_budget(
    state: &AppState,
    key: Option<&std::sync::Arc<crate::accounting::keys::KeyRef>>,
    book: &crate::accounting::Book,
    now: i64,
) -> Option<ProxyError> {
    let key = key?;
    let limits = book.budgets.get(&key.id)?;
    let periods = limits.iter().map(|(p, _)| *p);
    if let Err(e) = state
        .spend
        .ensure(&state.store, &key.id, periods, now)
        .await
    {
        tracing::warn!(error = %e, "cannot read spend; budgets checked on what is known");
    }
    let verdict = budgets::check(
        &key.name,
        limits,
        |p| state.spend.spent(&key.id, p, now),
        now,
    );
    verdict.err().map(|refusal| ProxyError::OverBudget {
        message: refusal.message,
        retry_after_ms: refusal.retry_after_ms,
    })
}

/// A media request (embeddings, images, transcription) from arrival to answer: decoded by its
/// handler, then the caller's budgets, the fallback loop, and one usage row with the token
/// counts the upstream reported. Answers and errors are in OpenAI's format.
pub async fn media(
    state: &AppState,
    caller: crate::accounting::keys::Caller,
    call: Result<(MediaCall, String), ProxyError>,
) -> Response {
    const FORMAT: Format = Format::OpenAiChat;
    let started = Instant::now();
    let snapshot = state.registry.snapshot();
    let mut ticket = Ticket {
        row: UsageRow {
            ts: omniroute_store::now_ms(),
            api_key_id: caller.key.as_ref().map(|k| k.id.clone()),
            client_format: FORMAT.as_str().to_owned(),
            ..UsageRow::default()
        },
        started,
        request_log: None,
        log_limit: 0,
        upstream_format: None,
    };
    let (call, model) = match call {
        Ok(call) => call,
        Err(e) => return fail(state, ticket, FORMAT, e, None).await,
    };
    ticket.row.model = model.chars().take(MAX_MODEL_ID).collect();
    if model.len() > MAX_MODEL_ID {
        let error = FormatError::field(
            "model",
            format!(
                "is {} bytes long; model ids are at most {MAX_MODEL_ID}",
                model.len()
            ),
        );
        return fail(state, ticket, FORMAT, ProxyError::BadRequest(error), None).await;
    }
    let book = &snapshot.accounting;
    if let Some(error) = over_budget(state, caller.key.as_ref(), book, ticket.row.ts).await {
        return fail(state, ticket, FORMAT, error, None).await;
    }
    let mut trace = Trace::default();
    let result = super::route::media(state, &call, &model, &mut trace).await;
    ticket.apply(&trace);
    let response = match result {
        Ok(response) => response,
        Err(e) => return fail(state, ticket, FORMAT, e, None).await,
    };
    let usage = response.extensions().get::<Usage>().copied();
    ticket.finish(
        state,
        response.status().as_u16(),
        usage.as_ref(),
        Some(started.elapsed()),
        None,
    );
    response
}

/// A streamed answer: the usage row, the request log and the idempotent replay are finished
/// when the client's body is done.
fn finish_stream(
    state: &AppState,
    mut ticket: Ticket,
    response: Response,
    ttft: Option<Duration>,
    publisher: Option<Publisher>,
    late: Option<LateSlot>,
) -> Response {
    let tally = response.extensions().get::<Arc<Tally>>().cloned();
    let status = response.status();
    let limit = match (&publisher, &ticket.request_log) {
        (Some(_), _) => MAX_REPLAY_BODY,
        (None, Some(_)) => ticket.log_limit,
        (None, None) => 0,
    };
    // Only a replayable answer needs its headers kept beyond this point.
    let publisher = publisher.map(|p| (p, response.headers().clone()));
    let (parts, body) = response.into_parts();
    let state = state.clone();
    let body = meter(body, limit, move |ended: Ended| {
        let (mut tally, mut ttft, mut failed) = (tally, ttft, None);
        // With progress, routing finished inside the body: its outcome is in the slot.
        if let Some(late) = late {
            let mut late = late.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(trace) = late.trace.take() {
                ticket.apply(&trace);
            }
            tally = late.tally.take().or(tally);
            ttft = late.ttft.or(ttft);
            failed = late.error_status;
        }
        let usage = tally.as_ref().map(|t| t.usage());
        let failed = failed.or_else(|| tally.as_ref().and_then(|t| t.error_status()));
        let status_code = if ended.complete {
            failed.unwrap_or(status.as_u16())
        } else {
            499
        };
        if let Some((publisher, headers)) = publisher {
            if ended.complete && !ended.truncated && failed.is_none() {
                publisher.publish(Captured::new(status, &headers, ended.captured.clone()));
            }
        }
        ticket.finish(
            &state,
            status_code,
            usage.as_ref(),
            ttft,
            Some(&ended.captured),
        );
    });
    Response::from_parts(parts, body)
}

async fn fail(
    state: &AppState,
    ticket: Ticket,
    format: omniroute_formats::Format,
    error: ProxyError,
    publisher: Option<Publisher>,
) -> Response {
    if matches!(
        error,
        ProxyError::Upstream { .. } | ProxyError::Unreachable { .. } | ProxyError::Timeout { .. }
    ) {
        // Upstream text is escaped: a provider's message cannot forge log lines.
        tracing::warn!(error = %error.to_string().escape_debug(), "upstream failed");
    }
    let response = error.into_response_for(format);
    let (parts, body) = response.into_parts();
    // Error bodies are small and already in memory.
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    if let Some(publisher) = publisher {
        publisher.publish(Captured::new(parts.status, &parts.headers, bytes.clone()));
    }
    ticket.finish(state, parts.status.as_u16(), None, None, Some(&bytes));
    Response::from_parts(parts, Body::from(bytes))
}
