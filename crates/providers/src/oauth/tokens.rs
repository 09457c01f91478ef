//! Token endpoint answers (RFC 6749 and the providers' variations), the credential OmniRoute
//! stores for an account, and who the account is (from the answer, the OpenID id token, or a
//! user-info endpoint). Pure: time is a parameter.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// A token endpoint's JSON answer, success or error. Field names vary in case between
/// providers (AWS SSO OIDC answers in camelCase).
#[derive(Debug, Default, Deserialize)]
pub struct TokenAnswer {
    #[serde(default, alias = "accessToken")]
    pub access_token: Option<String>,
    #[serde(default, alias = "refreshToken")]
    pub refresh_token: Option<String>,
    #[serde(default, alias = "expiresIn")]
    pub expires_in: Option<i64>,
    #[serde(default, alias = "idToken")]
    pub id_token: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    /// Anthropic names the account in the answer.
    #[serde(default)]
    pub account: Option<AnthropicAccount>,
    /// Kiro's social refresh names the account's profile.
    #[serde(default, alias = "profileArn")]
    pub profile_arn: Option<String>,
    /// Qwen answers which host serves the account.
    #[serde(default)]
    pub resource_url: Option<String>,
    /// A `slow_down` may name the new interval.
    #[serde(default)]
    pub interval: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AnthropicAccount {
    #[serde(default)]
    pub email_address: Option<String>,
}

/// Why a token request did not yield a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Device flow: the user has not finished yet.
    #[error("waiting for the user to approve the sign-in")]
    Pending,
    /// Device flow: poll less often (by `interval` seconds, when given).
    #[error("the provider asked to poll more slowly")]
    SlowDown { interval: Option<u64> },
    #[error("the sign-in was refused{}", detail(.0))]
    Denied(Option<String>),
    #[error("the sign-in code expired; start again")]
    Expired,
    /// The code or refresh token is no longer valid: the account must sign in again.
    #[error("the provider no longer accepts this sign-in (invalid_grant{})", detail(.0))]
    InvalidGrant(Option<String>),
    #[error("the token endpoint answered {status}: {message}")]
    Other { status: u16, message: String },
}

fn detail(d: &Option<String>) -> String {
    d.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
}

impl TokenAnswer {
    /// Classifies an answer of `status`: a token, or why not. GitHub answers device-flow
    /// states with 200 and an `error` field, RFC 8628 servers with 400: both are read.
    pub fn into_result(self, status: u16) -> Result<Self, TokenError> {
        if let Some(error) = self.error.as_deref() {
            let description = self.error_description.clone();
            return Err(match error {
                "authorization_pending" => TokenError::Pending,
                "slow_down" => TokenError::SlowDown {
                    interval: self.interval,
                },
                "access_denied" => TokenError::Denied(description),
                "expired_token" => TokenError::Expired,
                "invalid_grant" => TokenError::InvalidGrant(description),
                other => TokenError::Other {
                    status,
                    message: match description {
                        Some(d) => format!("{other}: {d}"),
                        None => other.to_owned(),
                    },
                },
            });
        }
        if !(200..300).contains(&status) || self.access_token.as_deref().is_none_or(str::is_empty) {
            return Err(TokenError::Other {
                status,
                message: "the answer carries no access token".into(),
            });
        }
        Ok(self)
    }
}

/// What OmniRoute keeps for a signed-in account, as one secret (JSON).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// When the access token expires (Unix ms); absent: it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
    /// The provider's account id some APIs want in a header (ChatGPT's account id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The API token bought with the OAuth token (Copilot).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_token: Option<ApiToken>,
    /// The host serving this account, when the provider assigns one (Qwen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_url: Option<String>,
    /// Where the account works on the provider's side (Code Assist's project, Kiro's profile
    /// ARN), found at sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// The OAuth client registered for this account (AWS SSO OIDC), which refreshes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<RegisteredClient>,
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<i64>,
}

impl std::fmt::Debug for RegisteredClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegisteredClient(***)")
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("expires_at_ms", &self.expires_at_ms)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub token: String,
    pub expires_at_ms: i64,
    /// The API base the exchange named (Copilot's `endpoints.api`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

impl Credential {
    /// The credential a successful token answer gives, at `now_ms`. A refresh answer without
    /// a refresh token keeps `previous`'s (most servers rotate only sometimes).
    pub fn from_answer(answer: &TokenAnswer, previous: Option<&Credential>, now_ms: i64) -> Self {
        let refresh_token = answer
            .refresh_token
            .clone()
            .filter(|t| !t.is_empty())
            .or_else(|| previous.and_then(|p| p.refresh_token.clone()));
        Self {
            access_token: answer.access_token.clone().unwrap_or_default(),
            refresh_token,
            expires_at_ms: answer
                .expires_in
                .filter(|s| *s > 0)
                .map(|s| now_ms.saturating_add(s.saturating_mul(1000))),
            account_id: identity_of_id_token(answer.id_token.as_deref())
                .account_id
                .or_else(|| previous.and_then(|p| p.account_id.clone())),
            api_token: None,
            resource_url: answer
                .resource_url
                .clone()
                .or_else(|| previous.and_then(|p| p.resource_url.clone())),
            project: answer
                .profile_arn
                .clone()
                .or_else(|| previous.and_then(|p| p.project.clone())),
            client: previous.and_then(|p| p.client.clone()),
        }
    }

    /// Whether the access token is still good for `margin_ms` from `now_ms`.
    pub fn fresh(&self, now_ms: i64, margin_ms: i64) -> bool {
        self.expires_at_ms
            .is_none_or(|at| at.saturating_sub(margin_ms) > now_ms)
    }
}

/// Who signed in, as far as the provider says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The account's e-mail (or login name).
    pub account: Option<String>,
    pub account_id: Option<String>,
    pub plan: Option<String>,
}

impl Identity {
    /// Fills what this identity lacks from `other`.
    pub fn or(self, other: Identity) -> Identity {
        Identity {
            account: self.account.or(other.account),
            account_id: self.account_id.or(other.account_id),
            plan: self.plan.or(other.plan),
        }
    }

    pub fn of_answer(answer: &TokenAnswer) -> Identity {
        let from_answer = Identity {
            account: answer
                .account
                .as_ref()
                .and_then(|a| a.email_address.clone()),
            ..Identity::default()
        };
        from_answer.or(identity_of_id_token(answer.id_token.as_deref()))
    }
}

#[derive(Debug, Default, Deserialize)]
struct IdClaims {
    #[serde(default)]
    email: Option<String>,
    #[serde(default, rename = "https://api.openai.com/auth")]
    openai: Option<OpenAiAuthClaims>,
}

#[derive(Debug, Default, Deserialize)]
struct OpenAiAuthClaims {
    #[serde(default)]
    chatgpt_account_id: Option<String>,
    #[serde(default)]
    chatgpt_plan_type: Option<String>,
}

/// The account named by an OpenID id token's claims. The token came over TLS straight from the
/// token endpoint, so its claims are read without checking the signature (as the official
/// clients do); nothing here grants access.
pub fn identity_of_id_token(id_token: Option<&str>) -> Identity {
    let Some(payload) = id_token.and_then(|t| t.split('.').nth(1)) else {
        return Identity::default();
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
        return Identity::default();
    };
    let claims: IdClaims = serde_json::from_slice(&bytes).unwrap_or_default();
    let openai = claims.openai.unwrap_or_default();
    Identity {
        account: claims.email,
        account_id: openai.chatgpt_account_id,
        plan: openai.chatgpt_plan_type,
    }
}

/// A user-info answer: Google's `email`, GitHub's `login` (and `email` when public).
#[derive(Debug, Default, Deserialize)]
pub struct UserInfo {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub login: Option<String>,
}

impl UserInfo {
    pub fn identity(self) -> Identity {
        Identity {
            account: self.email.filter(|e| !e.is_empty()).or(self.login),
            ..Identity::default()
        }
    }
}

#[cfg(test)]
#[path = "tokens_tests.rs"]
mod tests;
