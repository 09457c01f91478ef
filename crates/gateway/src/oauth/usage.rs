//! Usage-endpoint quota for signed-in accounts: after an account served a request, its
//! provider's usage endpoint is asked (at most once a minute per account, in the background —
//! no request waits for it) and the windows it reports join the quota book beside those the
//! answers' headers report.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use omniroute_providers::QuotaSink;
use omniroute_store::connections::Connection;

use super::tokens::Renewal;
use crate::AppState;

/// How often one account's usage endpoint is asked, at most.
const EVERY: Duration = Duration::from_secs(60);

/// When each account's usage was last asked for.
#[derive(Default)]
pub struct UsageClock {
    asked: Mutex<HashMap<String, Instant>>,
}

impl UsageClock {
    /// Whether `account` is due, marking it asked when it is.
    fn due(&self, account: &str) -> bool {
        let mut asked = match self.asked.lock() {
            Ok(a) => a,
            Err(p) => p.into_inner(),
        };
        let now = Instant::now();
        match asked.get(account) {
            Some(at) if now.duration_since(*at) < EVERY => false,
            _ => {
                asked.insert(account.to_owned(), now);
                true
            }
        }
    }
}

/// Asks `connection`'s usage endpoint in the background when it is due.
pub fn refresh_soon(state: &AppState, connection: &Connection) {
    // On every served request: the cheap checks first, the copy only when a read is due.
    if !connection.is_oauth() {
        return;
    }
    let Some(spec) = state
        .catalog
        .get(&connection.provider)
        .and_then(|p| p.oauth.as_ref())
        .filter(|o| o.usage.is_some())
    else {
        return;
    };
    if !state.oauth.usage.due(&connection.id) {
        return;
    }
    let spec = spec.clone();
    let state = state.clone();
    let connection = connection.clone();
    #[allow(
        clippy::disallowed_methods,
        reason = "one bounded request; its result only updates the quota book"
    )]
    tokio::spawn(async move {
        let Some(usage) = &spec.usage else { return };
        let bearer = match state
            .oauth
            .tokens
            .bearer(&state, &connection, &spec, Renewal::IfDue)
            .await
        {
            Ok(bearer) => bearer,
            Err(e) => {
                tracing::debug!(connection = %connection.id, error = %e, "no token to read usage with");
                return;
            }
        };
        let Ok(client) = super::tokens::client(&state) else {
            return;
        };
        let asked = omniroute_providers::usage_endpoint::fetch(
            &client,
            usage,
            omniroute_providers::usage_endpoint::Account {
                oauth_token: bearer.oauth_token.expose(),
                account_id: bearer.account_id.as_deref(),
                project: bearer.project.as_deref(),
            },
            omniroute_store::now_ms(),
        );
        match tokio::time::timeout(Duration::from_secs(15), asked).await {
            Ok(Ok(windows)) if !windows.is_empty() => state.quota.observe(&connection.id, windows),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::debug!(connection = %connection.id, error = %e, "usage endpoint")
            }
            Err(_) => tracing::debug!(connection = %connection.id, "usage endpoint timed out"),
        }
    });
}
