//! Fresh tokens for signed-in accounts. Each account has one cell: a request takes the
//! current token, or — when it expires within the provider's margin, or the upstream just
//! answered 401 to it — refreshes it while holding the cell, so concurrent requests wait for
//! that one refresh instead of racing (Codex's refresh tokens are single-use). A rotated
//! refresh token is stored before the new access token is handed out; a failed refresh keeps
//! the stored tokens; `invalid_grant` marks the account `needs-sign-in`, never deletes it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use omniroute_providers::oauth::client::{exchange_api_token, refresh};
use omniroute_providers::oauth::{Credential, OAuthError, OAuthSpec, TokenError};
use omniroute_store::SecretString;
use omniroute_store::connections::{AccountMeta, AuthState, Connection, oauth_secret_name};

use crate::AppState;

/// What an upstream request carries for a signed-in account.
pub struct Bearer {
    pub token: SecretString,
    /// The OAuth access token itself (the same as `token` unless an API token was bought
    /// with it).
    pub oauth_token: SecretString,
    /// The provider's account id some APIs want in a header (ChatGPT's).
    pub account_id: Option<String>,
    /// Where the account works on the provider's side (Code Assist's project).
    pub project: Option<String>,
    /// An API base assigned to the account (Copilot's exchange, Qwen's resource URL).
    pub base_url: Option<String>,
}

/// When a token is renewed.
#[derive(Debug, Clone, Copy)]
pub enum Renewal<'a> {
    /// When it expires within the provider's margin.
    IfDue,
    /// Also when it is this token, which the upstream just refused with 401 (unless another
    /// request already replaced it).
    Rejected(&'a str),
    /// Now, whatever its expiry (the user asked; also retries an account marked for a new
    /// sign-in).
    Now,
}

/// Why a signed-in account cannot serve now.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenFailure {
    #[error("account needs a new sign-in{}", .0.as_deref().map(|r| format!(" ({r})")).unwrap_or_default())]
    NeedsSignIn(Option<String>),
    #[error("token refresh failed: {0}")]
    Unavailable(String),
}

#[derive(Default)]
pub struct TokenBook {
    cells: Mutex<HashMap<String, Arc<Cell>>>,
}

/// One account's credential, and whether a refresh of it is under way.
#[derive(Default)]
struct Cell {
    credential: tokio::sync::Mutex<Option<Credential>>,
    refreshing: std::sync::atomic::AtomicBool,
}

/// Marks a cell as refreshing while it lives.
struct Refreshing<'a>(&'a std::sync::atomic::AtomicBool);

impl<'a> Refreshing<'a> {
    fn new(flag: &'a std::sync::atomic::AtomicBool) -> Self {
        flag.store(true, std::sync::atomic::Ordering::Release);
        Self(flag)
    }
}

impl Drop for Refreshing<'_> {
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::Release);
    }
}

impl TokenBook {
    fn cell(&self, connection_id: &str) -> Arc<Cell> {
        let mut cells = match self.cells.lock() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        cells.entry(connection_id.to_owned()).or_default().clone()
    }

    /// Whether the account's token is being renewed right now.
    pub fn refreshing(&self, connection_id: &str) -> bool {
        let cells = match self.cells.lock() {
            Ok(c) => c,
            Err(p) => p.into_inner(),
        };
        cells
            .get(connection_id)
            .is_some_and(|c| c.refreshing.load(std::sync::atomic::Ordering::Acquire))
    }

    /// Forgets the cached credential (a new sign-in stored another; the account was removed).
    pub fn forget(&self, connection_id: &str) {
        if let Ok(mut cells) = self.cells.lock() {
            cells.remove(connection_id);
        }
    }

    /// A usable token for `connection`, renewed as `renewal` says.
    pub async fn bearer(
        &self,
        state: &AppState,
        connection: &Connection,
        spec: &OAuthSpec,
        renewal: Renewal<'_>,
    ) -> Result<Bearer, TokenFailure> {
        let meta = connection.account_meta().unwrap_or_default();
        let now_asked = matches!(renewal, Renewal::Now);
        if meta.state == AuthState::NeedsSignIn && !now_asked {
            return Err(TokenFailure::NeedsSignIn(meta.error));
        }
        let cell = self.cell(&connection.id);
        let mut held = cell.credential.lock().await;
        if held.is_none() {
            *held = Some(load(state, &connection.id).await?);
        }
        let Some(credential) = held.as_mut() else {
            return Err(TokenFailure::NeedsSignIn(None));
        };
        let now = omniroute_store::now_ms();
        let margin_ms = i64::try_from(spec.refresh_margin_secs.saturating_mul(1000)).unwrap_or(0);
        let refused = |token: &str| matches!(renewal, Renewal::Rejected(t) if t == token);
        let due = |c: &Credential| {
            !c.fresh(now, margin_ms)
                || (spec.exchange.is_none() && (now_asked || refused(&c.access_token)))
        };
        if due(credential) {
            // Another gateway sharing this database may have renewed it already — and, where
            // refresh tokens are single-use, made this one's worthless: the stored one first.
            if let Ok(stored) = load(state, &connection.id).await
                && stored.refresh_token != credential.refresh_token
            {
                *credential = stored;
            }
        }
        if due(credential) {
            let _refreshing = Refreshing::new(&cell.refreshing);
            let http = client(state).map_err(|e| TokenFailure::Unavailable(e.to_string()))?;
            match refresh(&http, spec, credential).await {
                Ok(answer) => {
                    let renewed = Credential::from_answer(&answer, Some(credential), now);
                    // Stored first: a rotated refresh token is the only one that works now.
                    store(state, &connection.id, &renewed).await?;
                    *credential = renewed;
                    note_renewal(state, connection, &meta, credential.expires_at_ms).await;
                }
                Err(e) => match load(state, &connection.id).await {
                    // Another gateway won the race to the same refresh token: its tokens.
                    Ok(stored)
                        if stored.refresh_token != credential.refresh_token
                            && stored.fresh(now, margin_ms) =>
                    {
                        *credential = stored;
                    }
                    _ => return Err(fail(state, connection, &meta, e).await),
                },
            }
        }
        if let Some(exchange) = &spec.exchange {
            let exchange_margin =
                i64::try_from(exchange.margin_secs.saturating_mul(1000)).unwrap_or(0);
            let stale = now_asked
                || credential.api_token.as_ref().is_none_or(|t| {
                    t.expires_at_ms.saturating_sub(exchange_margin) <= now || refused(&t.token)
                });
            if stale {
                let _refreshing = Refreshing::new(&cell.refreshing);
                let token = match exchange_api_token(
                    &client(state).map_err(|e| TokenFailure::Unavailable(e.to_string()))?,
                    &exchange.url,
                    &credential.access_token,
                )
                .await
                {
                    Ok(token) => token,
                    Err(e) => return Err(fail(state, connection, &meta, e).await),
                };
                credential.api_token = Some(token);
                store(state, &connection.id, credential).await?;
                if meta.state != AuthState::Ok {
                    note_renewal(state, connection, &meta, credential.expires_at_ms).await;
                }
            }
        }
        let (token, base_url) = match &credential.api_token {
            Some(api) => (api.token.clone(), api.base_url.clone()),
            None => (
                credential.access_token.clone(),
                credential.resource_url.as_deref().map(resource_base),
            ),
        };
        Ok(Bearer {
            token: SecretString::new(token),
            oauth_token: SecretString::new(credential.access_token.clone()),
            account_id: credential.account_id.clone(),
            project: credential.project.clone(),
            base_url,
        })
    }
}

/// Qwen names a host (`portal.qwen.ai`); its API base is that host's `/v1`.
fn resource_base(resource: &str) -> String {
    let host = resource.trim_end_matches('/');
    let base = if host.starts_with("http://") || host.starts_with("https://") {
        host.to_owned()
    } else {
        format!("https://{host}")
    };
    if base.ends_with("/v1") {
        base
    } else {
        format!("{base}/v1")
    }
}

/// The client sign-in servers are reached with (direct; sign-in does not go through
/// per-provider upstream proxies).
pub(crate) fn client(state: &AppState) -> Result<reqwest::Client, OAuthError> {
    state.clients.get(None).map_err(OAuthError::Unreachable)
}

async fn load(state: &AppState, connection_id: &str) -> Result<Credential, TokenFailure> {
    let stored = state
        .secrets
        .get(&oauth_secret_name(connection_id))
        .await
        .map_err(|e| TokenFailure::Unavailable(e.to_string()))?
        .ok_or_else(|| TokenFailure::NeedsSignIn(Some("no stored sign-in".into())))?;
    serde_json::from_str(stored.expose())
        .map_err(|_| TokenFailure::NeedsSignIn(Some("the stored sign-in is unreadable".into())))
}

pub(crate) async fn store(
    state: &AppState,
    connection_id: &str,
    credential: &Credential,
) -> Result<(), TokenFailure> {
    let json =
        serde_json::to_string(credential).map_err(|e| TokenFailure::Unavailable(e.to_string()))?;
    state
        .secrets
        .put(&oauth_secret_name(connection_id), &SecretString::new(json))
        .await
        .map_err(|e| TokenFailure::Unavailable(format!("cannot store the renewed token: {e}")))
}

async fn note_renewal(
    state: &AppState,
    connection: &Connection,
    meta: &AccountMeta,
    expires_at: Option<i64>,
) {
    let renewed = AccountMeta {
        expires_at,
        state: AuthState::Ok,
        error: None,
        ..meta.clone()
    };
    if let Err(e) = state.store.set_account_meta(&connection.id, &renewed).await {
        tracing::warn!(connection = %connection.id, error = %e, "cannot record a token renewal");
    }
}

/// A failed refresh or exchange: `invalid_grant` (or a refused exchange) marks the account for
/// a new sign-in and takes it out of routing; anything else leaves it as it is.
async fn fail(
    state: &AppState,
    connection: &Connection,
    meta: &AccountMeta,
    error: OAuthError,
) -> TokenFailure {
    let OAuthError::Token(TokenError::InvalidGrant(reason)) = &error else {
        tracing::warn!(connection = %connection.id, error = %error, "token refresh failed");
        return TokenFailure::Unavailable(error.to_string());
    };
    tracing::warn!(connection = %connection.id, "the provider refused the refresh token; the account needs a new sign-in");
    let marked = AccountMeta {
        state: AuthState::NeedsSignIn,
        error: Some(
            reason
                .clone()
                .unwrap_or_else(|| "the provider refused the refresh token".into()),
        ),
        ..meta.clone()
    };
    if let Err(e) = state.store.set_account_meta(&connection.id, &marked).await {
        tracing::warn!(connection = %connection.id, error = %e, "cannot record needs-sign-in");
    }
    if let Err(e) = state.reload().await {
        tracing::warn!(error = %e, "cannot reload after marking an account");
    }
    TokenFailure::NeedsSignIn(marked.error)
}
