//! The HTTP side of signing in: authorization URLs, code exchange, refresh, the device-code
//! variants, user info and Copilot-style token exchange — every endpoint taken from the
//! provider's `OAuthSpec`. Answers are read bounded; nothing here logs a token.

use reqwest::Client;
use serde::{Deserialize, Serialize};

use super::pkce::Pkce;
use super::spec::{DeviceProtocol, DeviceSpec, OAuthSpec, TokenEncoding};
use super::tokens::{ApiToken, Credential, RegisteredClient, TokenAnswer, TokenError, UserInfo};

/// Longest token-endpoint answer read.
const MAX_ANSWER: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("cannot reach the sign-in server: {0}")]
    Unreachable(String),
    #[error("the sign-in server answered something unreadable: {0}")]
    Invalid(String),
    #[error("{0}")]
    Unsupported(String),
}

fn unreachable(e: &reqwest::Error) -> OAuthError {
    // Never with the URL: a sign-in server address may carry a tenant or a secret.
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    OAuthError::Unreachable(what.to_owned())
}

/// Reads an answer's body (bounded) and its status.
async fn read(response: reqwest::Response) -> Result<(u16, Vec<u8>), OAuthError> {
    let status = response.status().as_u16();
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| unreachable(&e))? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(OAuthError::Invalid("the answer is too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, body))
}

/// A token-endpoint answer: the token, or the classified error.
fn token_answer(status: u16, body: &[u8]) -> Result<TokenAnswer, OAuthError> {
    let answer: TokenAnswer = serde_json::from_slice(body).map_err(|_| {
        if (200..300).contains(&status) {
            OAuthError::Invalid(format!("status {status}, not a token answer"))
        } else {
            OAuthError::Token(TokenError::Other {
                status,
                message: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
            })
        }
    })?;
    Ok(answer.into_result(status)?)
}

/// A token request whose body is the protocol's own JSON (AWS SSO OIDC, Kiro's social refresh).
async fn json_token_request(
    client: &Client,
    url: &str,
    body: &impl Serialize,
) -> Result<TokenAnswer, OAuthError> {
    let response = client
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let (status, body) = read(response).await?;
    token_answer(status, &body)
}

/// Sends `fields` to a token endpoint in the spec's encoding, with the client's credentials.
async fn token_request(
    client: &Client,
    spec: &OAuthSpec,
    url: &str,
    mut fields: Vec<(&str, String)>,
) -> Result<TokenAnswer, OAuthError> {
    let mut request = client.post(url).header("accept", "application/json");
    if spec.basic_auth {
        request = request.basic_auth(&spec.client_id, spec.client_secret.as_deref());
    } else {
        fields.push(("client_id", spec.client_id.clone()));
        if let Some(secret) = &spec.client_secret {
            fields.push(("client_secret", secret.clone()));
        }
    }
    request = match spec.token_encoding {
        TokenEncoding::Form => request.form(&fields),
        TokenEncoding::Json => {
            let object: serde_json::Map<String, serde_json::Value> = fields
                .into_iter()
                .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
                .collect();
            request.json(&object)
        }
    };
    let response = request.send().await.map_err(|e| unreachable(&e))?;
    let (status, body) = read(response).await?;
    token_answer(status, &body)
}

/// The authorization page's address for one sign-in.
pub fn authorize_url(
    spec: &OAuthSpec,
    redirect_uri: &str,
    state: &str,
    pkce: &Pkce,
) -> Result<String, OAuthError> {
    let base = spec
        .authorize_url
        .as_deref()
        .ok_or_else(|| OAuthError::Unsupported("this provider has no browser sign-in".into()))?;
    let mut url = reqwest::Url::parse(base)
        .map_err(|e| OAuthError::Invalid(format!("authorize_url: {e}")))?;
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in &spec.authorize_params {
            query.append_pair(k, v);
        }
        query
            .append_pair("client_id", &spec.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", state);
        if !spec.scopes.is_empty() {
            query.append_pair("scope", &spec.scopes.join(" "));
        }
    }
    Ok(url.into())
}

/// Exchanges an authorization code for tokens.
pub async fn exchange_code(
    client: &Client,
    spec: &OAuthSpec,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
    state: &str,
) -> Result<TokenAnswer, OAuthError> {
    let mut fields = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.to_owned()),
        ("redirect_uri", redirect_uri.to_owned()),
        ("code_verifier", verifier.to_owned()),
    ];
    if spec.state_in_token_request {
        fields.push(("state", state.to_owned()));
    }
    token_request(client, spec, &spec.token_url, fields).await
}

/// Refreshes `credential`'s access token.
pub async fn refresh(
    client: &Client,
    spec: &OAuthSpec,
    credential: &Credential,
) -> Result<TokenAnswer, OAuthError> {
    let refresh_token = credential.refresh_token.clone().ok_or_else(|| {
        OAuthError::Token(TokenError::InvalidGrant(Some(
            "the account has no refresh token".into(),
        )))
    })?;
    if let Some(registered) = &credential.client {
        // AWS SSO OIDC: the registered client refreshes, in camelCase JSON.
        let body = AwsTokenRequest {
            client_id: &registered.client_id,
            client_secret: &registered.client_secret,
            grant_type: "refresh_token",
            refresh_token: Some(&refresh_token),
            device_code: None,
        };
        return json_token_request(client, &spec.token_url, &body).await;
    }
    if let Some(url) = &spec.social_refresh_url {
        let body = SocialRefresh {
            refresh_token: &refresh_token,
        };
        return json_token_request(client, url, &body).await;
    }
    let fields = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", refresh_token),
    ];
    token_request(client, spec, &spec.token_url, fields).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SocialRefresh<'a> {
    refresh_token: &'a str,
}

/// A device sign-in in progress: what the user sees and what the poll sends.
#[derive(Debug, Clone)]
pub struct DeviceStart {
    pub user_code: String,
    pub verification_uri: String,
    pub interval_secs: u64,
    pub expires_in_secs: u64,
    /// What identifies this sign-in to the poll (`device_code`, OpenAI's `device_auth_id`).
    pub device_code: String,
    pub pkce: Option<Pkce>,
    pub client: Option<RegisteredClient>,
}

#[derive(Debug, Deserialize)]
struct DeviceAnswer {
    #[serde(default, alias = "deviceCode", alias = "device_auth_id")]
    device_code: Option<String>,
    #[serde(default, alias = "userCode", alias = "usercode")]
    user_code: Option<String>,
    #[serde(default, alias = "verificationUri")]
    verification_uri: Option<String>,
    #[serde(default, alias = "verificationUriComplete")]
    verification_uri_complete: Option<String>,
    #[serde(default)]
    interval: Option<IntervalValue>,
    #[serde(default, alias = "expiresIn")]
    expires_in: Option<u64>,
}

/// OpenAI's device answer gives the interval as a string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum IntervalValue {
    Number(u64),
    Text(String),
}

impl IntervalValue {
    fn secs(&self) -> Option<u64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Text(t) => t.trim().parse().ok(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AwsRegisterRequest<'a> {
    client_name: &'a str,
    client_type: &'a str,
    scopes: &'a [String],
    grant_types: [&'a str; 2],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AwsRegisterAnswer {
    client_id: String,
    client_secret: String,
    #[serde(default)]
    client_secret_expires_at: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AwsDeviceRequest<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    start_url: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AwsTokenRequest<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    grant_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_code: Option<&'a str>,
}

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn device_spec(spec: &OAuthSpec) -> Result<&DeviceSpec, OAuthError> {
    spec.device
        .as_ref()
        .ok_or_else(|| OAuthError::Unsupported("this provider has no device sign-in".into()))
}

/// Asks for a user code.
pub async fn device_start(client: &Client, spec: &OAuthSpec) -> Result<DeviceStart, OAuthError> {
    let device = device_spec(spec)?;
    let mut pkce = None;
    let mut registered = None;
    let request = match device.protocol {
        DeviceProtocol::Rfc8628 => {
            let mut fields = vec![("client_id", spec.client_id.clone())];
            if !spec.scopes.is_empty() {
                fields.push(("scope", spec.scopes.join(" ")));
            }
            if device.pkce {
                let pair = Pkce::generate().map_err(|e| OAuthError::Invalid(e.to_string()))?;
                fields.push(("code_challenge", pair.challenge.clone()));
                fields.push(("code_challenge_method", "S256".into()));
                pkce = Some(pair);
            }
            client.post(&device.code_url).form(&fields)
        }
        DeviceProtocol::Openai => client
            .post(&device.code_url)
            .json(&serde_json::json!({ "client_id": spec.client_id })),
        DeviceProtocol::AwsSsoOidc => {
            let register_url = device.register_url.as_deref().ok_or_else(|| {
                OAuthError::Invalid("device.register_url is missing for AWS SSO OIDC".into())
            })?;
            let body = AwsRegisterRequest {
                client_name: "OmniRoute",
                client_type: "public",
                scopes: &spec.scopes,
                grant_types: [DEVICE_GRANT, "refresh_token"],
            };
            let response = client
                .post(register_url)
                .json(&body)
                .send()
                .await
                .map_err(|e| unreachable(&e))?;
            let (status, body) = read(response).await?;
            let answer: AwsRegisterAnswer = serde_json::from_slice(&body).map_err(|_| {
                OAuthError::Invalid(format!("client registration answered {status}"))
            })?;
            let reg = RegisteredClient {
                client_id: answer.client_id,
                client_secret: answer.client_secret,
                expires_at_ms: answer.client_secret_expires_at.map(|s| s * 1000),
            };
            let body = AwsDeviceRequest {
                client_id: &reg.client_id,
                client_secret: &reg.client_secret,
                start_url: device.start_url.as_deref().unwrap_or_default(),
            };
            let request = client.post(&device.code_url).json(&body);
            registered = Some(reg);
            request
        }
    };
    let response = request
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let (status, body) = read(response).await?;
    if !(200..300).contains(&status) {
        let error = serde_json::from_slice::<TokenAnswer>(&body)
            .ok()
            .and_then(|a| a.into_result(status).err())
            .unwrap_or(TokenError::Other {
                status,
                message: "the device sign-in could not start".into(),
            });
        return Err(error.into());
    }
    let answer: DeviceAnswer = serde_json::from_slice(&body)
        .map_err(|e| OAuthError::Invalid(format!("device code answer: {e}")))?;
    let (Some(device_code), Some(user_code)) = (answer.device_code, answer.user_code) else {
        return Err(OAuthError::Invalid(
            "the device code answer lacks a code".into(),
        ));
    };
    let verification_uri = answer
        .verification_uri_complete
        .or(answer.verification_uri)
        .or_else(|| device.verification_uri.clone())
        .ok_or_else(|| OAuthError::Invalid("no verification page was named".into()))?;
    Ok(DeviceStart {
        user_code,
        verification_uri,
        interval_secs: answer.interval.and_then(|i| i.secs()).unwrap_or(5).max(1),
        expires_in_secs: answer.expires_in.unwrap_or(900),
        device_code,
        pkce,
        client: registered,
    })
}

#[derive(Deserialize)]
struct OpenAiDeviceGrant {
    authorization_code: String,
    code_verifier: String,
}

/// Polls once: the tokens, or `TokenError::Pending`/`SlowDown`/… to wait, stop or report.
pub async fn device_poll(
    client: &Client,
    spec: &OAuthSpec,
    start: &DeviceStart,
) -> Result<TokenAnswer, OAuthError> {
    let device = device_spec(spec)?;
    match device.protocol {
        DeviceProtocol::Rfc8628 => {
            let mut fields = vec![
                ("grant_type", DEVICE_GRANT.to_owned()),
                ("device_code", start.device_code.clone()),
            ];
            if let Some(pkce) = &start.pkce {
                fields.push(("code_verifier", pkce.verifier.clone()));
            }
            token_request(client, spec, &device.token_url, fields).await
        }
        DeviceProtocol::Openai => {
            let response = client
                .post(&device.token_url)
                .json(&serde_json::json!({
                    "device_auth_id": start.device_code,
                    "user_code": start.user_code,
                }))
                .send()
                .await
                .map_err(|e| unreachable(&e))?;
            let (status, body) = read(response).await?;
            // Until the user approves, OpenAI answers 403/404 without a grant.
            if status == 403 || status == 404 {
                return Err(TokenError::Pending.into());
            }
            let grant: OpenAiDeviceGrant = match serde_json::from_slice(&body) {
                Ok(grant) if (200..300).contains(&status) => grant,
                _ => return token_answer(status, &body),
            };
            let redirect_uri = device.redirect_uri.as_deref().unwrap_or_default();
            exchange_code(
                client,
                spec,
                &grant.authorization_code,
                redirect_uri,
                &grant.code_verifier,
                "",
            )
            .await
        }
        DeviceProtocol::AwsSsoOidc => {
            let reg = start
                .client
                .as_ref()
                .ok_or_else(|| OAuthError::Invalid("no registered client".into()))?;
            let body = AwsTokenRequest {
                client_id: &reg.client_id,
                client_secret: &reg.client_secret,
                grant_type: DEVICE_GRANT,
                refresh_token: None,
                device_code: Some(&start.device_code),
            };
            json_token_request(client, &device.token_url, &body).await
        }
    }
}

/// Who owns `token`, from the spec's user-info endpoint.
pub async fn user_info(client: &Client, url: &str, token: &str) -> Result<UserInfo, OAuthError> {
    let response = client
        .get(url)
        .bearer_auth(token)
        .header("accept", "application/json")
        .header("user-agent", "OmniRoute")
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let (status, body) = read(response).await?;
    if !(200..300).contains(&status) {
        return Err(OAuthError::Invalid(format!("user info answered {status}")));
    }
    serde_json::from_slice(&body).map_err(|e| OAuthError::Invalid(format!("user info: {e}")))
}

#[derive(Deserialize)]
struct ExchangeAnswer {
    token: String,
    /// Unix seconds.
    expires_at: i64,
    #[serde(default)]
    endpoints: Option<ExchangeEndpoints>,
}

#[derive(Deserialize)]
struct ExchangeEndpoints {
    #[serde(default)]
    api: Option<String>,
}

/// Buys the API token with the OAuth token (Copilot: `Authorization: token <github token>`).
/// A 401/403 means the OAuth token itself is no longer good.
pub async fn exchange_api_token(
    client: &Client,
    url: &str,
    oauth_token: &str,
) -> Result<ApiToken, OAuthError> {
    let response = client
        .get(url)
        .header("authorization", format!("token {oauth_token}"))
        .header("accept", "application/json")
        .header("user-agent", "OmniRoute")
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    let (status, body) = read(response).await?;
    if status == 401 || status == 403 {
        return Err(TokenError::InvalidGrant(Some(format!(
            "the token exchange answered {status}"
        )))
        .into());
    }
    if !(200..300).contains(&status) {
        return Err(TokenError::Other {
            status,
            message: "the token exchange failed".into(),
        }
        .into());
    }
    let answer: ExchangeAnswer = serde_json::from_slice(&body)
        .map_err(|e| OAuthError::Invalid(format!("token exchange: {e}")))?;
    Ok(ApiToken {
        token: answer.token,
        expires_at_ms: answer.expires_at.saturating_mul(1000),
        base_url: answer.endpoints.and_then(|e| e.api),
    })
}
