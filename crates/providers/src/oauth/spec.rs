//! A provider's sign-in, as catalog data: every URL, client id, scope, redirect and timing of
//! its OAuth flows lives here, so `providers.json` in `DATA_DIR` can point a flow at another
//! server (self-hosted, regional, a test's fake) without a new build.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How a provider's accounts sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct OAuthSpec {
    /// Authorization-code endpoint (browser and paste flows); absent: device flow only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_url: Option<String>,
    /// Where codes and refresh tokens are exchanged.
    pub token_url: String,
    /// How token requests are encoded.
    #[serde(default)]
    pub token_encoding: TokenEncoding,
    /// The client id (absent where the client registers per account: AWS SSO OIDC).
    #[serde(default)]
    pub client_id: String,
    /// An installed-app client's public secret, where the provider issues one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Whether the client authenticates with HTTP Basic instead of body fields.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub basic_auth: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The loopback redirect the provider registered for this client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<RedirectSpec>,
    /// A provider page that shows the code for pasting (`code#state`), used by the paste flow;
    /// absent: the paste flow uses the loopback redirect URI and the user pastes the address
    /// the browser ended on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paste_redirect_uri: Option<String>,
    /// Extra authorization-request parameters (`access_type=offline`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub authorize_params: BTreeMap<String, String>,
    /// Whether the code exchange repeats `state` (Anthropic's token endpoint wants it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub state_in_token_request: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceSpec>,
    /// Where accounts signed in through another identity provider refresh (Kiro's Google and
    /// GitHub logins: `{refreshToken}` as JSON), used for an account without a registered client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social_refresh_url: Option<String>,
    /// Answers who signed in (`email`, or GitHub's `login`) for a bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_url: Option<String>,
    /// The header carrying the account id from the id token (Codex: `chatgpt-account-id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id_header: Option<String>,
    /// A second token the API wants instead of the OAuth token (Copilot's API token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange: Option<ExchangeSpec>,
    /// How the provider's own OAuth tokens begin, when its official client may send its own
    /// sign-in through OmniRoute (Claude Code's `sk-ant-oat`): such a request goes upstream
    /// with that token and the client's headers unchanged, no stored account needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passthrough_token_prefix: Option<String>,
    /// Where an account's quota windows are read (its provider's usage endpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<crate::usage_endpoint::UsageSpec>,
    /// Where the provider's official client keeps its sign-in, for an import the user asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<super::import::ImportSpec>,
    /// Refresh this long before the access token expires.
    #[serde(default = "default_refresh_margin")]
    pub refresh_margin_secs: u64,
    /// What the provider's terms mean for the user, shown where they sign in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// Set when the service no longer exists; the flow stays as data, the UI says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discontinued: Option<String>,
}

fn default_refresh_margin() -> u64 {
    300
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum TokenEncoding {
    /// `application/x-www-form-urlencoded` (RFC 6749).
    #[default]
    Form,
    /// A JSON object (Anthropic).
    Json,
}

/// The loopback address the provider redirects the browser to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct RedirectSpec {
    /// How the redirect URI names this machine (`localhost` or `127.0.0.1`), as registered.
    #[serde(default = "default_host")]
    pub host: String,
    /// A fixed port the provider registered; absent: any free port.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    pub path: String,
}

fn default_host() -> String {
    "localhost".into()
}

/// The device-code variants in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceProtocol {
    /// RFC 8628 (GitHub, Qwen): `device_code` polled at the token URL.
    Rfc8628,
    /// OpenAI's device authorization: the poll yields an authorization code and its verifier,
    /// exchanged like a browser sign-in.
    Openai,
    /// AWS SSO OIDC (Kiro): a client registration first, camelCase JSON throughout.
    AwsSsoOidc,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    pub protocol: DeviceProtocol,
    /// Where the user code is requested.
    pub code_url: String,
    /// Where the device polls.
    pub token_url: String,
    /// The page the user opens, when the code answer does not name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_uri: Option<String>,
    /// The redirect URI of the final code exchange (OpenAI's device variant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// Whether the device request carries a PKCE challenge (Qwen).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pkce: bool,
    /// AWS SSO OIDC: where the client registers, and the portal the user signs in at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub register_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_url: Option<String>,
}

/// Copilot-style token exchange: the OAuth token buys a short-lived API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSpec {
    pub url: String,
    /// Re-exchange this long before the API token expires.
    #[serde(default = "default_exchange_margin")]
    pub margin_secs: u64,
}

fn default_exchange_margin() -> u64 {
    120
}

/// The ways a user can sign in to a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum FlowKind {
    /// A browser on this machine opens the authorization page; a loopback listener takes the
    /// redirect.
    Browser,
    /// A code shown to the user, entered on the provider's page on any device.
    Device,
    /// The authorization page opened anywhere; the user pastes the code or the final address.
    Paste,
}

impl OAuthSpec {
    /// The flows this provider offers, preferred first.
    pub fn flows(&self) -> Vec<FlowKind> {
        let mut flows = Vec::new();
        if self.authorize_url.is_some() && self.redirect.is_some() {
            flows.push(FlowKind::Browser);
        }
        if self.device.is_some() {
            flows.push(FlowKind::Device);
        }
        if self.authorize_url.is_some()
            && (self.paste_redirect_uri.is_some() || self.redirect.is_some())
        {
            flows.push(FlowKind::Paste);
        }
        flows
    }
}
