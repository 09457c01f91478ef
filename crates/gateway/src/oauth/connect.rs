//! The end of every sign-in: tokens in hand, find out who signed in, buy the API token where
//! the provider wants one, and store the account — a new connection, or the same account's
//! existing connection signed in again (its routing settings kept).

use omniroute_providers::oauth::client::{exchange_api_token, user_info};
use omniroute_providers::oauth::tokens::RegisteredClient;
use omniroute_providers::oauth::{Credential, Identity, OAuthError, OAuthSpec, TokenAnswer};
use omniroute_store::connections::{AccountMeta, AuthState, NewConnection, oauth_secret_name};

use super::tokens::{TokenFailure, client, store};
use crate::AppState;

/// An account that just signed in.
#[derive(Debug, Clone)]
pub struct Connected {
    pub connection_id: String,
    pub account: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    #[error("{0}")]
    Store(String),
    /// The provider's own setup after sign-in failed (Code Assist onboarding).
    #[error("{0}")]
    Setup(String),
}

impl From<TokenFailure> for ConnectError {
    fn from(e: TokenFailure) -> Self {
        Self::Store(e.to_string())
    }
}

impl From<omniroute_store::StoreError> for ConnectError {
    fn from(e: omniroute_store::StoreError) -> Self {
        Self::Store(e.to_string())
    }
}

/// Stores the account a token answer signed in.
pub async fn connect(
    state: &AppState,
    provider: &str,
    spec: &OAuthSpec,
    name: Option<String>,
    answer: &TokenAnswer,
    registered: Option<RegisteredClient>,
) -> Result<Connected, ConnectError> {
    let mut credential = Credential::from_answer(answer, None, omniroute_store::now_ms());
    credential.client = registered;
    store_account(
        state,
        provider,
        spec,
        name,
        credential,
        Identity::of_answer(answer),
    )
    .await
}

/// Stores a signed-in account's credential (from a sign-in, or imported from another client's
/// file), finding out who it is and doing the provider's setup first.
pub async fn store_account(
    state: &AppState,
    provider: &str,
    spec: &OAuthSpec,
    name: Option<String>,
    mut credential: Credential,
    mut identity: Identity,
) -> Result<Connected, ConnectError> {
    if identity.account.is_none()
        && let Some(url) = &spec.userinfo_url
    {
        match user_info(&client(state)?, url, &credential.access_token).await {
            Ok(info) => identity = identity.or(info.identity()),
            // Who it is only names the account; the sign-in itself worked.
            Err(e) => tracing::warn!(provider, error = %e, "cannot read who signed in"),
        }
    }
    let entry = state.catalog.get(provider);
    if let Some(entry) = entry.filter(|e| {
        e.wire == omniroute_providers::Wire::GeminiCodeAssist && credential.project.is_none()
    }) {
        let project = omniroute_providers::adapters::code_assist::setup::project(
            &client(state)?,
            &entry.base_url,
            &credential.access_token,
            None,
        )
        .await
        .map_err(|e| ConnectError::Setup(e.to_string()))?;
        credential.project = Some(project);
    }
    if let Some(exchange) = &spec.exchange {
        credential.api_token = Some(
            exchange_api_token(&client(state)?, &exchange.url, &credential.access_token).await?,
        );
    }
    let existing = match &identity.account {
        Some(account) => state.store.connections().await?.into_iter().find(|c| {
            c.provider == provider
                && c.is_oauth()
                && c.account_meta().and_then(|m| m.account).as_deref() == Some(account)
        }),
        None => None,
    };
    let connection = match existing {
        Some(c) => c,
        None => {
            let new = NewConnection {
                provider: provider.to_owned(),
                name: name
                    .clone()
                    .or_else(|| identity.account.clone())
                    .unwrap_or_else(|| provider.to_owned()),
                auth_kind: omniroute_store::connections::AUTH_OAUTH.into(),
                base_url: None,
                priority: 0,
                enabled: true,
            };
            state.store.insert_connection(&new, false).await?
        }
    };
    store(state, &connection.id, &credential).await?;
    state
        .store
        .link_connection_secret(&connection.id, &oauth_secret_name(&connection.id))
        .await?;
    let meta = AccountMeta {
        account: identity.account.clone(),
        plan: identity.plan,
        expires_at: credential.expires_at_ms,
        state: AuthState::Ok,
        error: None,
    };
    state.store.set_account_meta(&connection.id, &meta).await?;
    state.oauth.tokens.forget(&connection.id);
    state.reload().await?;
    tracing::info!(provider, connection = %connection.id, "account signed in");
    Ok(Connected {
        connection_id: connection.id,
        account: identity.account,
    })
}
