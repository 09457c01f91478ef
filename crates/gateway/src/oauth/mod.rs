//! Signed-in subscription accounts: sign-ins in progress (`flows`), the loopback redirect
//! listener (`redirect`), storing a new account (`connect`), keeping its tokens fresh
//! (`tokens`) and reading its quota from the provider's usage endpoint (`usage`). The protocols themselves are `omniroute_providers::oauth`.

pub mod connect;
pub mod flows;
pub mod redirect;
pub mod tokens;
pub mod usage;

/// The sign-in state of the gateway.
#[derive(Default)]
pub struct OAuth {
    pub flows: flows::Flows,
    pub tokens: tokens::TokenBook,
    /// When each account's usage endpoint was last asked.
    pub usage: usage::UsageClock,
}

use omniroute_providers::{AuthStyle, Target};
use omniroute_store::connections::Connection;

use crate::AppState;
use tokens::{Renewal, TokenFailure};

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
