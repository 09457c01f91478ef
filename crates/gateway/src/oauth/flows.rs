//! Sign-ins in progress. A flow starts (browser: a loopback listener and the authorization
//! address; device: a user code and a background poll; paste: the authorization address and a
//! wait for the pasted code), is polled by the dashboard, the CLI or the tray, and ends
//! connected, failed or expired. Nothing is stored before the provider handed over tokens.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use omniroute_providers::oauth::client::{
    DeviceStart, authorize_url, device_poll, device_start, exchange_code,
};
use omniroute_providers::oauth::spec::FlowKind;
use omniroute_providers::oauth::{OAuthError, OAuthSpec, Pkce, TokenError};
use serde::{Deserialize, Serialize};

use super::connect::{ConnectError, connect};
use super::redirect::{self, RedirectError};
use super::tokens::client;
use crate::AppState;
use crate::error::{ApiError, ErrorCode};

/// How long a browser or paste sign-in waits for the user.
const BROWSER_WAIT: Duration = Duration::from_secs(600);
/// How long a finished flow stays readable.
const KEEP_FINISHED_MS: i64 = 600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum FlowStatus {
    Pending,
    Connected,
    Failed,
    Expired,
}

/// `POST /api/oauth/{provider}/start`'s answer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct FlowStart {
    pub flow_id: String,
    pub kind: FlowKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_uri: Option<String>,
    /// Seconds between device polls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
    /// Seconds until the flow expires.
    pub expires_in: u64,
}

/// `GET /api/oauth/flows/{id}`'s answer.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct FlowView {
    pub status: FlowStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StartRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub flow: Option<FlowKind>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompleteRequest {
    #[serde(default)]
    pub callback_url: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
}

/// What a paste flow needs to finish.
struct PasteContext {
    state: String,
    pkce: Pkce,
    redirect_uri: String,
}

struct Flow {
    provider: String,
    name: Option<String>,
    deadline_ms: i64,
    view: FlowView,
    finished_ms: Option<i64>,
    paste: Option<PasteContext>,
    task: Option<tokio::task::AbortHandle>,
}

#[derive(Default)]
pub struct Flows {
    flows: Mutex<HashMap<String, Flow>>,
}

impl Flows {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, Flow>) -> T) -> T {
        let mut flows = match self.flows.lock() {
            Ok(f) => f,
            Err(p) => p.into_inner(),
        };
        f(&mut flows)
    }

    fn insert(&self, id: &str, flow: Flow) {
        let now = omniroute_store::now_ms();
        self.with(|flows| {
            // Finished and long-expired flows are forgotten as new ones start.
            flows.retain(|_, f| {
                f.finished_ms.is_none_or(|t| now - t < KEEP_FINISHED_MS)
                    && now - f.deadline_ms < KEEP_FINISHED_MS
            });
            flows.insert(id.to_owned(), flow);
        });
    }

    fn finish(&self, id: &str, outcome: Result<super::connect::Connected, String>) {
        self.with(|flows| {
            if let Some(flow) = flows.get_mut(id) {
                flow.finished_ms = Some(omniroute_store::now_ms());
                flow.paste = None;
                flow.view = match outcome {
                    Ok(c) => FlowView {
                        status: FlowStatus::Connected,
                        connection_id: Some(c.connection_id),
                        account: c.account,
                        error: None,
                    },
                    Err(error) => FlowView {
                        status: FlowStatus::Failed,
                        connection_id: None,
                        account: None,
                        error: Some(error),
                    },
                };
            }
        });
    }

    pub fn view(&self, id: &str) -> Option<FlowView> {
        let now = omniroute_store::now_ms();
        self.with(|flows| {
            let flow = flows.get(id)?;
            let mut view = flow.view.clone();
            if view.status == FlowStatus::Pending && now >= flow.deadline_ms {
                view.status = FlowStatus::Expired;
                view.error = Some("the sign-in was not completed in time; start again".into());
            }
            Some(view)
        })
    }

    /// Stops a flow and forgets it; whether it existed.
    pub fn cancel(&self, id: &str) -> bool {
        self.with(|flows| {
            let Some(flow) = flows.remove(id) else {
                return false;
            };
            if let Some(task) = flow.task {
                task.abort();
            }
            true
        })
    }
}

fn spec_of(state: &AppState, provider: &str) -> Result<OAuthSpec, ApiError> {
    let entry = state
        .catalog
        .get(provider)
        .ok_or_else(|| ApiError::not_found(format!("unknown provider '{provider}'")))?;
    entry.oauth.clone().ok_or_else(|| {
        ApiError::invalid(format!(
            "provider '{provider}' has no sign-in; connect it with an API key"
        ))
    })
}

/// A browser or paste sign-in's PKCE pair and `state`.
fn challenge() -> Result<(Pkce, String), ApiError> {
    let pkce = Pkce::generate()
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("no randomness: {e}")))?;
    Ok((pkce, random(24)?))
}

/// The answer to starting a browser or paste sign-in.
fn authorization_started(flow_id: String, kind: FlowKind, auth_url: String) -> FlowStart {
    FlowStart {
        flow_id,
        kind,
        auth_url: Some(auth_url),
        user_code: None,
        verification_uri: None,
        interval: None,
        expires_in: BROWSER_WAIT.as_secs(),
    }
}

fn browser_lifetime_ms() -> i64 {
    i64::try_from(BROWSER_WAIT.as_millis()).unwrap_or(i64::MAX)
}

fn random(bytes: usize) -> Result<String, ApiError> {
    omniroute_providers::oauth::pkce::random_token(bytes)
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("no randomness: {e}")))
}

fn oauth_api_error(e: OAuthError) -> ApiError {
    match e {
        OAuthError::Unreachable(_) | OAuthError::Invalid(_) => {
            ApiError::new(ErrorCode::Unavailable, e.to_string())
        }
        OAuthError::Token(_) | OAuthError::Unsupported(_) => ApiError::invalid(e.to_string()),
    }
}

fn failure(e: ConnectError) -> String {
    e.to_string()
}

/// Starts a sign-in to `provider`.
pub async fn start(
    state: &AppState,
    provider: &str,
    request: StartRequest,
) -> Result<FlowStart, ApiError> {
    let spec = spec_of(state, provider)?;
    let offered = spec.flows();
    let kind = match request.flow {
        Some(kind) if offered.contains(&kind) => kind,
        Some(kind) => {
            return Err(ApiError::invalid(format!(
                "provider '{provider}' offers no {} sign-in (it offers: {})",
                serde_json::to_string(&kind).unwrap_or_default(),
                serde_json::to_string(&offered).unwrap_or_default()
            )));
        }
        None => *offered
            .first()
            .ok_or_else(|| ApiError::invalid(format!("provider '{provider}' has no flow")))?,
    };
    let id = random(12)?;
    let name = request
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    match kind {
        FlowKind::Browser => start_browser(state, provider, spec, name, id).await,
        FlowKind::Paste => start_paste(state, provider, &spec, name, id),
        FlowKind::Device => start_device(state, provider, spec, name, id).await,
    }
}

fn new_flow(provider: &str, name: Option<String>, lifetime_ms: i64) -> Flow {
    Flow {
        provider: provider.to_owned(),
        name,
        deadline_ms: omniroute_store::now_ms() + lifetime_ms,
        view: FlowView {
            status: FlowStatus::Pending,
            connection_id: None,
            account: None,
            error: None,
        },
        finished_ms: None,
        paste: None,
        task: None,
    }
}

async fn start_browser(
    state: &AppState,
    provider: &str,
    spec: OAuthSpec,
    name: Option<String>,
    id: String,
) -> Result<FlowStart, ApiError> {
    let Some(redirect) = spec.redirect.clone() else {
        return Err(ApiError::invalid("this provider has no browser sign-in"));
    };
    let (pkce, flow_state) = challenge()?;
    let listener = redirect::listen(&redirect.host, redirect.port, &redirect.path, &flow_state)
        .await
        .map_err(|e| match e {
            RedirectError::Bind { port, .. } if spec.device.is_some() => ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "port {port}, where the sign-in must return, is in use (is the provider's own \
                     CLI signing in?); close it or use the device sign-in (flow: \"device\")"
                ),
            ),
            other => ApiError::new(ErrorCode::Conflict, other.to_string()),
        })?;
    let redirect_uri = listener.redirect_uri().to_owned();
    let auth_url =
        authorize_url(&spec, &redirect_uri, &flow_state, &pkce).map_err(oauth_api_error)?;
    state
        .oauth
        .flows
        .insert(&id, new_flow(provider, name.clone(), browser_lifetime_ms()));
    let task_state = state.clone();
    let task_id = id.clone();
    let provider_id = provider.to_owned();
    #[allow(
        clippy::disallowed_methods,
        reason = "the flow's task ends with the sign-in; cancel aborts it"
    )]
    let task = tokio::spawn(async move {
        let outcome = async {
            let callback = listener
                .wait(BROWSER_WAIT)
                .await
                .map_err(|e| e.to_string())?;
            let answer = exchange_code(
                &client(&task_state).map_err(|e| e.to_string())?,
                &spec,
                &callback.code,
                &redirect_uri,
                &pkce.verifier,
                &flow_state,
            )
            .await
            .map_err(|e| e.to_string())?;
            connect(&task_state, &provider_id, &spec, name, &answer, None)
                .await
                .map_err(failure)
        }
        .await;
        task_state.oauth.flows.finish(&task_id, outcome);
    });
    set_task(state, &id, task.abort_handle());
    Ok(authorization_started(id, FlowKind::Browser, auth_url))
}

fn set_task(state: &AppState, id: &str, task: tokio::task::AbortHandle) {
    state.oauth.flows.with(|flows| {
        if let Some(flow) = flows.get_mut(id) {
            flow.task = Some(task);
        }
    });
}

fn start_paste(
    state: &AppState,
    provider: &str,
    spec: &OAuthSpec,
    name: Option<String>,
    id: String,
) -> Result<FlowStart, ApiError> {
    let redirect_uri = match (&spec.paste_redirect_uri, &spec.redirect) {
        (Some(page), _) => page.clone(),
        // No page shows the code: the browser ends on a loopback address nobody answers, and
        // the user pastes that address.
        (None, Some(r)) => format!("http://{}:{}{}", r.host, r.port.unwrap_or(8085), r.path),
        (None, None) => return Err(ApiError::invalid("this provider has no paste sign-in")),
    };
    let (pkce, flow_state) = challenge()?;
    let auth_url =
        authorize_url(spec, &redirect_uri, &flow_state, &pkce).map_err(oauth_api_error)?;
    let mut flow = new_flow(provider, name, browser_lifetime_ms());
    flow.paste = Some(PasteContext {
        state: flow_state,
        pkce,
        redirect_uri,
    });
    state.oauth.flows.insert(&id, flow);
    Ok(authorization_started(id, FlowKind::Paste, auth_url))
}

/// The code (and the state, when the paste carries one) out of what the user pasted: the
/// address the browser ended on, `code#state` as Claude's page shows it, or a bare code.
fn pasted(request: &CompleteRequest) -> Result<(String, Option<String>), ApiError> {
    if let Some(url) = request.callback_url.as_deref().map(str::trim) {
        let parsed = reqwest::Url::parse(url)
            .map_err(|_| ApiError::invalid("callbackUrl is not an address"))?;
        let mut params: BTreeMap<String, String> = parsed.query_pairs().into_owned().collect();
        if let Some(fragment) = parsed.fragment() {
            for (k, v) in url_pairs(fragment) {
                params.entry(k).or_insert(v);
            }
        }
        let state = params.get("state").cloned();
        let callback =
            redirect::callback_of(params).map_err(|e| ApiError::invalid(e.to_string()))?;
        return Ok((callback.code, state));
    }
    let code = request
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::invalid("give callbackUrl or code"))?;
    Ok(match code.split_once('#') {
        Some((code, state)) => (code.to_owned(), Some(state.to_owned())),
        None => (code.to_owned(), None),
    })
}

fn url_pairs(text: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// Finishes a paste flow with what the user pasted.
pub async fn complete(
    state: &AppState,
    id: &str,
    request: CompleteRequest,
) -> Result<FlowView, ApiError> {
    let (code, pasted_state) = pasted(&request)?;
    let now = omniroute_store::now_ms();
    let taken = state.oauth.flows.with(|flows| {
        let flow = flows
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found(format!("sign-in '{id}'")))?;
        if flow.view.status != FlowStatus::Pending || now >= flow.deadline_ms {
            return Err(ApiError::invalid(
                "this sign-in is no longer waiting for a code",
            ));
        }
        let context = flow
            .paste
            .as_ref()
            .ok_or_else(|| ApiError::invalid("this sign-in does not take a pasted code"))?;
        if pasted_state.as_deref().is_some_and(|s| s != context.state) {
            return Err(ApiError::invalid(
                "the pasted code belongs to another sign-in (state mismatch); paste the one \
                 from the page this sign-in opened",
            ));
        }
        let context = flow
            .paste
            .take()
            .ok_or_else(|| ApiError::invalid("no code expected"))?;
        Ok((flow.provider.clone(), flow.name.clone(), context))
    })?;
    let (provider, name, context) = taken;
    let spec = spec_of(state, &provider)?;
    let outcome = async {
        let answer = exchange_code(
            &client(state).map_err(|e| e.to_string())?,
            &spec,
            &code,
            &context.redirect_uri,
            &context.pkce.verifier,
            &context.state,
        )
        .await
        .map_err(|e| e.to_string())?;
        connect(state, &provider, &spec, name, &answer, None)
            .await
            .map_err(failure)
    }
    .await;
    state.oauth.flows.finish(id, outcome);
    state
        .oauth
        .flows
        .view(id)
        .ok_or_else(|| ApiError::not_found(format!("sign-in '{id}'")))
}

async fn start_device(
    state: &AppState,
    provider: &str,
    spec: OAuthSpec,
    name: Option<String>,
    id: String,
) -> Result<FlowStart, ApiError> {
    let http = client(state).map_err(oauth_api_error)?;
    let started = device_start(&http, &spec).await.map_err(oauth_api_error)?;
    let lifetime = i64::try_from(started.expires_in_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    state
        .oauth
        .flows
        .insert(&id, new_flow(provider, name.clone(), lifetime));
    let answer = FlowStart {
        flow_id: id.clone(),
        kind: FlowKind::Device,
        auth_url: None,
        user_code: Some(started.user_code.clone()),
        verification_uri: Some(started.verification_uri.clone()),
        interval: Some(started.interval_secs),
        expires_in: started.expires_in_secs,
    };
    let task_state = state.clone();
    let provider_id = provider.to_owned();
    let task_id = id.clone();
    #[allow(
        clippy::disallowed_methods,
        reason = "the poll ends with the sign-in or its expiry; cancel aborts it"
    )]
    let task = tokio::spawn(async move {
        let outcome = poll_device(&task_state, &provider_id, &spec, name, started).await;
        task_state.oauth.flows.finish(&task_id, outcome);
    });
    set_task(state, &id, task.abort_handle());
    Ok(answer)
}

/// Polls until the user approved, refused, or the code expired.
async fn poll_device(
    state: &AppState,
    provider: &str,
    spec: &OAuthSpec,
    name: Option<String>,
    started: DeviceStart,
) -> Result<super::connect::Connected, String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(started.expires_in_secs);
    let mut interval = Duration::from_secs(started.interval_secs);
    loop {
        tokio::time::sleep(interval).await;
        if tokio::time::Instant::now() >= deadline {
            return Err(TokenError::Expired.to_string());
        }
        let http = client(state).map_err(|e| e.to_string())?;
        match device_poll(&http, spec, &started).await {
            Ok(answer) => {
                return connect(state, provider, spec, name, &answer, started.client.clone())
                    .await
                    .map_err(failure);
            }
            Err(OAuthError::Token(TokenError::Pending)) => {}
            Err(OAuthError::Token(TokenError::SlowDown { interval: next })) => {
                // RFC 8628 §3.5: five seconds more, or what the server named.
                interval = next
                    .map(Duration::from_secs)
                    .unwrap_or(interval + Duration::from_secs(5))
                    .max(interval);
            }
            // A blip on the way to the server is no answer: poll again.
            Err(OAuthError::Unreachable(reason)) => {
                tracing::debug!(provider, reason, "device poll failed; retrying");
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}
