//! A fake authorization server on `127.0.0.1:0` for the sign-in tests: authorization code with
//! PKCE (the "browser" approves at once and is redirected with the code), RFC 8628 device
//! codes (pending, then `slow_down`, then approval — or denial, or expiry), refresh with
//! rotation (a reused refresh token is `invalid_grant`, as Codex's server does), a user-info
//! endpoint and a Copilot-style token exchange. Every token request is counted and logged.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// What the device endpoint answers to successive polls before approving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOutcome {
    Approve,
    Deny,
    Expire,
}

#[derive(Debug)]
pub struct AuthState {
    /// Lifetime of issued access tokens.
    pub expires_in: i64,
    /// Whether a refresh issues a new refresh token (and retires the old one).
    pub rotate: bool,
    /// Refresh tokens refused from now on.
    pub revoked: bool,
    /// The browser refuses instead of approving.
    pub deny: bool,
    pub email: String,
    /// Pending polls before the device is approved (one `slow_down` among them).
    pub pending_polls: usize,
    pub device_outcome: DeviceOutcome,
    /// Copilot's API base named by the exchange.
    pub api_base: Option<String>,
    pub exchange_expires_in: i64,
    /// How long a refresh takes to answer.
    pub refresh_delay_ms: u64,
    // Book-keeping.
    codes: HashMap<String, (String, String)>,
    live_refresh: HashSet<String>,
    device_polls: usize,
    counter: u64,
    pub refreshes: usize,
    pub exchanges: usize,
    pub code_exchanges: usize,
    /// Every token request's form fields, in order.
    pub token_requests: Vec<BTreeMap<String, String>>,
    /// Every access, refresh and API token handed out (to look for them where they must not be).
    pub issued: Vec<String>,
}

impl Default for AuthState {
    fn default() -> Self {
        Self {
            expires_in: 3600,
            rotate: true,
            revoked: false,
            deny: false,
            email: "ada@example.com".into(),
            pending_polls: 2,
            device_outcome: DeviceOutcome::Approve,
            api_base: None,
            exchange_expires_in: 1800,
            refresh_delay_ms: 0,
            codes: HashMap::new(),
            live_refresh: HashSet::new(),
            device_polls: 0,
            counter: 0,
            refreshes: 0,
            exchanges: 0,
            code_exchanges: 0,
            token_requests: Vec::new(),
            issued: Vec::new(),
        }
    }
}

type Shared = Arc<Mutex<AuthState>>;

pub struct FakeAuthServer {
    addr: SocketAddr,
    state: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAuthServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeAuthServer {
    pub async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state: Shared = Arc::default();
        let app = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/device/code", post(device_code))
            .route("/client/register", post(register))
            .route("/deviceauth/usercode", post(openai_usercode))
            .route("/deviceauth/token", post(openai_device_token))
            .route("/refreshToken", post(social_refresh))
            .route("/device_authorization", post(device_code))
            .route("/user", get(user))
            .route("/copilot/token", get(exchange))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, state, task })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut AuthState) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }
}

fn next(state: &mut AuthState, prefix: &str) -> String {
    state.counter += 1;
    format!("{prefix}-{}", state.counter)
}

/// A token: its kind, a counter, and enough randomness that finding it anywhere means it leaked.
fn secret(state: &mut AuthState, prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).unwrap();
    let token = format!(
        "{}-{}",
        next(state, prefix),
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    state.issued.push(token.clone());
    token
}

/// The "browser": approves (or refuses) at once and goes back to the redirect URI.
async fn authorize(
    State(state): State<Shared>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let mut s = state.lock().unwrap();
    let (Some(redirect), Some(st)) = (q.get("redirect_uri"), q.get("state")) else {
        return (StatusCode::BAD_REQUEST, "redirect_uri and state required").into_response();
    };
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return (StatusCode::BAD_REQUEST, "S256 required").into_response();
    }
    if s.deny {
        return Redirect::to(&format!(
            "{redirect}?error=access_denied&error_description=user+said+no&state={st}"
        ))
        .into_response();
    }
    let code = next(&mut s, "code");
    let challenge = q.get("code_challenge").cloned().unwrap_or_default();
    s.codes.insert(code.clone(), (challenge, redirect.clone()));
    Redirect::to(&format!("{redirect}?code={code}&state={st}")).into_response()
}

fn fields(headers: &HeaderMap, body: &[u8]) -> BTreeMap<String, String> {
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if json {
        let value: Value = serde_json::from_slice(body).unwrap_or_default();
        value
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        url_pairs(body)
    }
}

fn url_pairs(body: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(body);
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

fn error(status: StatusCode, code: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": code, "error_description": code})),
    )
        .into_response()
}

/// An OpenID id token (unsigned: the gateway reads, never trusts, its claims) naming the
/// account as OpenAI's does.
fn id_token(email: &str) -> String {
    let claims = json!({
        "email": email,
        "https://api.openai.com/auth": {"chatgpt_account_id": "acct-test", "chatgpt_plan_type": "plus"},
    });
    format!(
        "eyJhbGciOiJub25lIn0.{}.",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn issue(s: &mut AuthState, refresh: Option<String>) -> Response {
    let access = secret(s, "at");
    let refresh = refresh.unwrap_or_else(|| secret(s, "rt"));
    s.live_refresh.insert(refresh.clone());
    axum::Json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": s.expires_in,
        "token_type": "Bearer",
        "id_token": id_token(&s.email),
        "account": {"uuid": "u-1", "email_address": s.email},
    }))
    .into_response()
}

/// AWS SSO OIDC client registration.
async fn register(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let f = fields(&headers, &body);
    if f.get("clientType").map(String::as_str) != Some("public") {
        return error(StatusCode::BAD_REQUEST, "invalid_client_metadata");
    }
    let mut s = state.lock().unwrap();
    let id = next(&mut s, "client");
    axum::Json(json!({"clientId": id, "clientSecret": "client-secret", "clientSecretExpiresAt": 4_000_000_000i64}))
        .into_response()
}

async fn token(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let f = fields(&headers, &body);
    let delay = state.lock().unwrap().refresh_delay_ms;
    if delay > 0 && f.get("grant_type").map(String::as_str) == Some("refresh_token") {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let mut s = state.lock().unwrap();
    s.token_requests.push(f.clone());
    let grant = f.get("grant_type").or_else(|| f.get("grantType")).cloned();
    match grant.as_deref() {
        Some("authorization_code") => {
            s.code_exchanges += 1;
            let code = f.get("code").cloned().unwrap_or_default();
            let Some((challenge, redirect)) = s.codes.remove(&code) else {
                return error(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            // An empty redirect: a device grant, whose redirect URI the client names from data.
            if computed != challenge
                || (!redirect.is_empty() && f.get("redirect_uri") != Some(&redirect))
            {
                return error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            issue(&mut s, None)
        }
        Some("refresh_token") => {
            s.refreshes += 1;
            let presented = f
                .get("refresh_token")
                .or_else(|| f.get("refreshToken"))
                .cloned()
                .unwrap_or_default();
            if s.revoked || !s.live_refresh.contains(&presented) {
                return error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            if s.rotate {
                s.live_refresh.remove(&presented);
                issue(&mut s, None)
            } else {
                issue(&mut s, Some(presented))
            }
        }
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            s.device_polls += 1;
            let polls = s.device_polls;
            match s.device_outcome {
                DeviceOutcome::Deny if polls > 1 => {
                    return error(StatusCode::BAD_REQUEST, "access_denied");
                }
                DeviceOutcome::Expire if polls > 1 => {
                    return error(StatusCode::BAD_REQUEST, "expired_token");
                }
                _ => {}
            }
            if polls <= s.pending_polls {
                // GitHub answers these with 200; the second one asks to slow down.
                let code = if polls == 2 {
                    "slow_down"
                } else {
                    "authorization_pending"
                };
                return (
                    StatusCode::OK,
                    axum::Json(json!({"error": code, "interval": 2})),
                )
                    .into_response();
            }
            issue(&mut s, None)
        }
        _ => error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
}

async fn device_code(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let f = fields(&headers, &body);
    let mut s = state.lock().unwrap();
    if f.get("client_id")
        .or_else(|| f.get("clientId"))
        .is_none_or(String::is_empty)
    {
        return error(StatusCode::BAD_REQUEST, "invalid_client");
    }
    s.device_polls = 0;
    let device = next(&mut s, "dc");
    axum::Json(json!({
        "device_code": device,
        "user_code": "WDJB-MJHT",
        "verification_uri": "https://example.com/device",
        "interval": 1,
        "expires_in": 60,
    }))
    .into_response()
}

fn bearer(headers: &HeaderMap, scheme: &str) -> Option<String> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix(scheme)
        .map(str::to_owned)
}

async fn user(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if bearer(&headers, "Bearer ").is_none() {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let s = state.lock().unwrap();
    axum::Json(json!({"login": "octocat", "email": s.email})).into_response()
}

async fn exchange(State(state): State<Shared>, headers: HeaderMap) -> Response {
    let mut s = state.lock().unwrap();
    if bearer(&headers, "token ").is_none() || s.revoked {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    s.exchanges += 1;
    let token = secret(&mut s, "api");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut answer =
        json!({"token": token, "expires_at": now + s.exchange_expires_in, "refresh_in": 1500});
    if let Some(api) = &s.api_base {
        answer["endpoints"] = json!({"api": api});
    }
    axum::Json(answer).into_response()
}

/// Polls a sign-in through the gateway's API until it is no longer pending.
pub async fn settle(gateway_url: &str, flow_id: &str) -> Value {
    for _ in 0..300 {
        let view: Value = reqwest::get(format!("{gateway_url}/api/oauth/flows/{flow_id}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if view["status"] != "pending" {
            return view;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("sign-in {flow_id} stayed pending");
}

/// Signs in to `provider` by the browser flow, as the dashboard and a user would: start, open
/// the authorization address (the fake approves and redirects to the gateway's loopback
/// listener), wait until connected. Returns the finished flow.
pub async fn sign_in_by_browser(gateway_url: &str, provider: &str) -> Value {
    let started: Value = reqwest::Client::new()
        .post(format!("{gateway_url}/api/oauth/{provider}/start"))
        .json(&json!({"flow": "browser"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let auth_url = started["authUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{started}"));
    let page = reqwest::get(auth_url).await.unwrap();
    assert_eq!(page.status(), 200);
    let done = settle(gateway_url, started["flowId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "connected", "{done}");
    done
}

/// OpenAI's device variant: a user code…
async fn openai_usercode(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let f = fields(&headers, &body);
    if f.get("client_id").is_none_or(String::is_empty) {
        return error(StatusCode::BAD_REQUEST, "invalid_client");
    }
    let mut s = state.lock().unwrap();
    s.device_polls = 0;
    let id = next(&mut s, "deviceauth");
    // OpenAI gives the interval as a string.
    axum::Json(json!({"device_auth_id": id, "user_code": "CODX-1234", "interval": "1"}))
        .into_response()
}

/// …polled until approved (403 before), then an authorization code with its verifier, exchanged
/// at the token endpoint like a browser sign-in's.
async fn openai_device_token(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let f = fields(&headers, &body);
    let mut s = state.lock().unwrap();
    s.device_polls += 1;
    if f.get("user_code").map(String::as_str) != Some("CODX-1234") {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    if s.device_polls <= s.pending_polls {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"error": {"message": "pending"}})),
        )
            .into_response();
    }
    let verifier = next(&mut s, "verifier-0123456789012345678901234567890123");
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let code = next(&mut s, "code");
    s.codes.insert(code.clone(), (challenge, String::new()));
    axum::Json(json!({"authorization_code": code, "code_verifier": verifier})).into_response()
}

/// Kiro's social-login refresh: `{refreshToken}` in, camelCase tokens out.
async fn social_refresh(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let f = fields(&headers, &body);
    let mut s = state.lock().unwrap();
    s.refreshes += 1;
    let presented = f.get("refreshToken").cloned().unwrap_or_default();
    if s.revoked || !s.live_refresh.contains(&presented) {
        return error(StatusCode::UNAUTHORIZED, "invalid_grant");
    }
    s.live_refresh.remove(&presented);
    let access = secret(&mut s, "at");
    let refresh = secret(&mut s, "rt");
    s.live_refresh.insert(refresh.clone());
    axum::Json(
        json!({"accessToken": access, "refreshToken": refresh, "expiresIn": 3600,
                      "profileArn": "arn:aws:codewhisperer:us-east-1:1:profile/SOCIAL"}),
    )
    .into_response()
}

impl FakeAuthServer {
    /// Makes `token` a refresh token the server accepts (an imported client's).
    pub fn accept_refresh_token(&self, token: &str) {
        self.with(|s| {
            s.live_refresh.insert(token.to_owned());
        });
    }
}
