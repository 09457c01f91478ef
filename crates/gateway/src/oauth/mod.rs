//! Signed-in subscription accounts: sign-ins in progress (`flows`), the loopback redirect
//! listener (`redirect`), storing a new account (`connect`) and keeping its tokens fresh
//! (`tokens`). The protocols themselves are `omniroute_providers::oauth`.

pub mod connect;
pub mod flows;
pub mod redirect;
pub mod tokens;

/// The sign-in state of the gateway.
#[derive(Default)]
pub struct OAuth {
    pub flows: flows::Flows,
    pub tokens: tokens::TokenBook,
}

use omniroute_providers::{AuthStyle, Target};
use omniroute_store::connections::Connection;

use crate::AppState;
use tokens::{Renewal, TokenFailure};

/// The `auth_kind` of the stand-in account a passthrough request is routed through.
pub const PASSTHROUGH: &str = "passthrough";

/// A stand-in account for a caller that brought its own sign-in of `provider` (Claude Code
/// pointed at OmniRoute): routed, limited and accounted like a stored account, with the
/// caller's token as its credential.
pub fn passthrough_account(provider: &str, token: &str) -> crate::registry::LiveConnection {
    crate::registry::LiveConnection {
        row: Connection {
            id: format!("{PASSTHROUGH}:{provider}"),
            provider: provider.to_owned(),
            name: "your own sign-in (passthrough)".into(),
            auth_kind: PASSTHROUGH.into(),
            secret_name: None,
            base_url: None,
            priority: i64::MIN,
            enabled: true,
            created_at: 0,
            updated_at: 0,
            metadata: None,
        },
        api_key: Some(omniroute_store::SecretString::new(token)),
    }
}

/// Whether a connection is a signed-in account (its token comes from `tokens`).
pub fn is_oauth(connection: &Connection) -> bool {
    connection.auth_kind == "oauth"
}

/// Puts a signed-in account's current token on `target` (renewed as `renewal` says), with
/// the account's API base and id header where the provider assigns them.
pub async fn authorize(
    state: &AppState,
    connection: &Connection,
    target: &mut Target,
    renewal: Renewal<'_>,
) -> Result<(), TokenFailure> {
    let spec = spec_of(state, connection)?;
    let bearer = state
        .oauth
        .tokens
        .bearer(state, connection, spec, renewal)
        .await?;
    target.auth = AuthStyle::Bearer;
    target.api_key = Some(bearer.token);
    target.project = bearer.project;
    if connection.base_url.is_none()
        && let Some(base) = bearer.base_url
    {
        target.base_url = base;
    }
    if let (Some(header), Some(id)) = (&spec.account_id_header, bearer.account_id) {
        target
            .headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case(header));
        target.headers.push((header.clone(), id));
    }
    Ok(())
}

fn spec_of<'a>(
    state: &'a AppState,
    connection: &Connection,
) -> Result<&'a omniroute_providers::oauth::OAuthSpec, TokenFailure> {
    state
        .catalog
        .get(&connection.provider)
        .and_then(|p| p.oauth.as_ref())
        .ok_or_else(|| {
            TokenFailure::NeedsSignIn(Some(format!(
                "provider '{}' has no sign-in in this catalog",
                connection.provider
            )))
        })
}

/// Renews a signed-in account's token now (the user asked).
pub async fn renew_now(state: &AppState, connection: &Connection) -> Result<(), TokenFailure> {
    let spec = spec_of(state, connection)?;
    state
        .oauth
        .tokens
        .bearer(state, connection, spec, Renewal::Now)
        .await
        .map(|_| ())
}
