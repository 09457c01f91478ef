//! `/api/auth`: login, logout, password change and status (SPEC §7, §8). A session is a JWT
//! (`crate::access::jwt`) handed out both as the `omniroute_session` cookie, for the dashboard,
//! and in the body, for scripts (`Authorization: Bearer`). Passwords and tokens are never logged.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::access::password::{self, MIN_LENGTH, PasswordRecord};
use crate::access::{COOKIE, ClientIp, SESSION_TTL, limiter, now_secs};
use crate::admin::json::ApiJson;
use crate::config::DEFAULT_INITIAL_PASSWORD;
use crate::error::{ApiError, ErrorCode};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    password: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePassword {
    current_password: String,
    new_password: String,
}

#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    ok: bool,
    token: String,
    /// Unix seconds.
    expires_at: i64,
    /// Still on `INITIAL_PASSWORD`: the dashboard asks for a new one.
    must_change_password: bool,
}

#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    authenticated: bool,
    /// Bound to a loopback address: `/api/*` works without a session.
    loopback: bool,
    auth_required: bool,
    /// No password set yet and `INITIAL_PASSWORD` is the published default.
    default_password: bool,
    /// Secrets still at their published defaults (`JWT_SECRET`, `API_KEY_SECRET`).
    default_secrets: Vec<&'static str>,
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(ErrorCode::Internal, e.to_string())
}

/// 429 with `Retry-After`, saying when the address may try again.
fn everyone_locked_out(remaining: Duration) -> Response {
    let secs = remaining.as_secs().max(1);
    let message = format!(
        "too many failed logins on this gateway from many addresses: logins resume in {} \
         minute(s)",
        secs.div_ceil(60)
    );
    (
        [(header::RETRY_AFTER, secs.to_string())],
        ApiError::new(ErrorCode::TooManyRequests, message),
    )
        .into_response()
}

fn locked_out(remaining: Duration) -> Response {
    let secs = remaining.as_secs().max(1);
    let until = now_secs() + i64::try_from(secs).unwrap_or(0);
    let message = format!(
        "too many failed password attempts from this address: try again in {} minute(s), after \
         {} UTC",
        secs.div_ceil(60),
        clock_utc(until)
    );
    (
        [(header::RETRY_AFTER, secs.to_string())],
        ApiError::new(ErrorCode::TooManyRequests, message),
    )
        .into_response()
}

/// `HH:MM:SS` of a Unix time, UTC (the lockout is at most 15 minutes: no date needed).
fn clock_utc(unix: i64) -> String {
    let s = unix.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

/// Checks `candidate` against the password in force, counting failures per client address.
/// `Ok(record)` on a match; otherwise the response to send (401, or 429 once locked out).
async fn check_password(
    state: &AppState,
    ip: ClientIp,
    candidate: String,
) -> Result<PasswordRecord, Response> {
    let started = Instant::now();
    // Counted before it is checked: guesses sent at once cannot all slip past the limit.
    if let Err(refusal) = state.access.limiter().attempt(ip.0, started) {
        return Err(match refusal {
            limiter::Refusal::Client(remaining) => locked_out(remaining),
            limiter::Refusal::Everyone(remaining) => everyone_locked_out(remaining),
        });
    }
    let record = state.access.password();
    let initial = state.config.initial_password.clone();
    let checked = record.clone();
    // Argon2 takes tens of milliseconds and 19 MiB by design: only a few run at a time, off the
    // async workers, and a flood waits its turn or is turned away.
    let Some(_permit) = state.access.hashing_permit().await else {
        return Err(ApiError::new(
            ErrorCode::TooManyRequests,
            "too many logins are being checked right now; try again in a few seconds",
        )
        .into_response());
    };
    let ok = tokio::task::spawn_blocking(move || {
        password::matches(&checked, initial.expose(), &candidate)
    })
    .await
    .map_err(|e| internal(e).into_response())?;
    let mut limiter = state.access.limiter();
    if ok {
        limiter.success(ip.0, started, Instant::now());
        if let Some(remaining) = limiter.locked(ip.0, Instant::now()) {
            // Other guesses sent with this one earned a lockout: it holds for this one too.
            return Err(locked_out(remaining));
        }
        return Ok(record);
    }
    if let Some(lock) = limiter.failed(ip.0, Instant::now()) {
        tracing::warn!(client = %ip.0, "login locked out after repeated wrong passwords");
        return Err(locked_out(lock));
    }
    let left = limiter.remaining(ip.0);
    Err(ApiError::new(
        ErrorCode::Unauthorized,
        format!(
            "wrong password ({left} attempt(s) left before a {}-minute lockout)",
            limiter::LOCK_FOR.as_secs() / 60
        ),
    )
    .into_response())
}

fn cookie(state: &AppState, token: &str, max_age: u64) -> Result<HeaderValue, ApiError> {
    let secure = if state.config.auth_cookie_secure {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .map_err(internal)
}

fn session_response(state: &AppState, status: StatusCode, must_change: bool) -> Response {
    let issued = state
        .access
        .issue(state.config.jwt_secret.expose().as_bytes(), now_secs());
    let result = issued.map_err(internal).and_then(|(token, expires_at)| {
        let cookie = cookie(state, &token, SESSION_TTL.as_secs())?;
        let body = Session {
            ok: true,
            token,
            expires_at,
            must_change_password: must_change,
        };
        Ok((status, [(header::SET_COOKIE, cookie)], Json(body)).into_response())
    });
    result.unwrap_or_else(IntoResponse::into_response)
}

pub async fn login(
    State(state): State<AppState>,
    Extension(ip): Extension<ClientIp>,
    ApiJson(body): ApiJson<Login>,
) -> Response {
    match check_password(&state, ip, body.password).await {
        Ok(record) => session_response(&state, StatusCode::OK, record.password_hash.is_none()),
        Err(response) => response,
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    Extension(ip): Extension<ClientIp>,
    ApiJson(body): ApiJson<ChangePassword>,
) -> Response {
    if body.new_password.chars().count() < MIN_LENGTH {
        return ApiError::invalid(format!(
            "newPassword must be at least {MIN_LENGTH} characters"
        ))
        .into_response();
    }
    if body.new_password == body.current_password {
        return ApiError::invalid("newPassword must differ from currentPassword").into_response();
    }
    let previous = match check_password(&state, ip, body.current_password).await {
        Ok(record) => record,
        Err(response) => return response,
    };
    let new_password = body.new_password;
    let hashed = match tokio::task::spawn_blocking(move || password::hash(&new_password)).await {
        Ok(Ok(hash)) => hash,
        Ok(Err(e)) => return internal(e).into_response(),
        Err(e) => return internal(e).into_response(),
    };
    let record = PasswordRecord {
        password_hash: Some(hashed),
        // Strictly later than the previous value, even within one millisecond.
        changed_at: omniroute_store::now_ms().max(previous.changed_at + 1),
    };
    let value = match serde_json::to_value(&record) {
        Ok(value) => value,
        Err(e) => return internal(e).into_response(),
    };
    if let Err(e) = state
        .store
        .put_settings_sections(&[(password::SECTION, &value)])
        .await
    {
        return ApiError::from(e).into_response();
    }
    state.access.set_password(record);
    state.cluster.announce(crate::cluster::Event::Reload);
    tracing::info!("dashboard password changed; earlier sessions are no longer valid");
    // The caller keeps working under a fresh session; every other session has ended.
    session_response(&state, StatusCode::OK, false)
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let now = now_secs();
    if let Some(claims) =
        state
            .access
            .session(&headers, state.config.jwt_secret.expose().as_bytes(), now)
    {
        state.access.revoke(&claims, now);
        state.cluster.announce(crate::cluster::Event::Revoke {
            jti: claims.jti.clone(),
            exp: claims.exp,
        });
    }
    match cookie(&state, "", 0) {
        Ok(clear) => (
            [(header::SET_COOKIE, clear)],
            Json(serde_json::json!({"ok": true})),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

pub async fn status(State(state): State<AppState>, headers: HeaderMap) -> Json<Status> {
    let authenticated = state
        .access
        .session(
            &headers,
            state.config.jwt_secret.expose().as_bytes(),
            now_secs(),
        )
        .is_some();
    let loopback = state.access.policy.loopback;
    let auth_required = crate::access::is_remote(&state, &headers);
    if auth_required && !authenticated {
        // Whoever has not signed in learns only that they must, nothing about the setup.
        return Json(Status {
            authenticated,
            loopback: false,
            auth_required,
            default_password: false,
            default_secrets: Vec::new(),
        });
    }
    Json(Status {
        authenticated,
        loopback,
        auth_required,
        default_password: state.access.password().password_hash.is_none()
            && state.config.initial_password.expose() == DEFAULT_INITIAL_PASSWORD,
        default_secrets: state.config.default_secrets_in_use(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_utc_time_of_day() {
        assert_eq!(clock_utc(0), "00:00:00");
        assert_eq!(clock_utc(86_400 + 3_600 * 13 + 60 * 5 + 9), "13:05:09");
    }
}
