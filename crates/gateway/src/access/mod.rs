//! Who may use the gateway (SPEC §8): one middleware in front of every route applies, in order,
//! the IP allow/deny lists (all routes), the DNS-rebinding `Host` check (all routes, all binds),
//! the CSRF `Origin` check (management routes and client-API writes) and, for callers other
//! than the user on this machine (`is_remote`), the session requirement of `/api/*` and
//! `/metrics`. The client API (`/v1`, …) is governed by API keys, not sessions.
//! The state behind it — login failures, revoked sessions, the password record — is `Access`.

pub mod jwt;
pub mod limiter;
pub mod origin;
pub mod password;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use omniroute_store::{Store, StoreError};

use crate::cidr;
pub use crate::cidr::IpRules;
use jwt::{Claims, TokenError};
use limiter::LoginLimiter;
use origin::BrowserPolicy;
use password::PasswordRecord;

use crate::client_api;
use crate::error::{ApiError, ErrorCode};
use crate::health::lock;
use crate::{AppState, Config};
use omniroute_formats::ErrorKind;

/// The session cookie's name.
pub const COOKIE: &str = "omniroute_session";
/// How long a session lasts; logging in again is the only renewal.
pub const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
const SUBJECT: &str = "admin";

/// The client's address as the access middleware saw it, for handlers (the login rate limit).
/// The TCP peer, unless the peer is one of `TRUSTED_PROXIES`: then the address that proxy
/// names (`X-Forwarded-For`, the nearest entry it did not add itself, or `X-Real-IP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Access-control state shared by the middleware and the `/api/auth` handlers.
#[derive(Debug)]
pub struct Access {
    pub policy: BrowserPolicy,
    limiter: Mutex<LoginLimiter>,
    /// Logged-out session ids with their expiry (Unix s), dropped once expired.
    revoked: Mutex<HashMap<String, i64>>,
    password: RwLock<PasswordRecord>,
    /// Password hashes computed at once (each Argon2 check holds 19 MiB and a core).
    hashing: tokio::sync::Semaphore,
}

/// Argon2 checks that may run at the same time; more wait up to `HASHING_WAIT`.
const HASHING_SLOTS: usize = 2;
const HASHING_WAIT: Duration = Duration::from_secs(5);

pub fn now_secs() -> i64 {
    omniroute_store::now_ms() / 1000
}

impl Access {
    /// Reads the stored password record; an unreadable one counts as "never set".
    pub async fn load(store: &Store, config: &Config) -> Result<Self, StoreError> {
        Ok(Self::new(config, stored_password(store).await?))
    }
}

/// The stored password record; an unreadable one counts as "never set".
async fn stored_password(store: &Store) -> Result<PasswordRecord, StoreError> {
    let record = match store.settings_section(password::SECTION).await? {
            Some(value) => serde_json::from_value(value).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "stored password record unreadable; INITIAL_PASSWORD applies");
                PasswordRecord::default()
            }),
            None => PasswordRecord::default(),
        };
    Ok(record)
}

impl Access {
    pub fn new(config: &Config, record: PasswordRecord) -> Self {
        Self {
            policy: BrowserPolicy::new(config.host, &config.base_url, &config.allowed_hosts),
            limiter: Mutex::default(),
            revoked: Mutex::default(),
            password: RwLock::new(record),
            hashing: tokio::sync::Semaphore::new(HASHING_SLOTS),
        }
    }

    /// A turn to check a password, or `None` when the queue did not move for `HASHING_WAIT`.
    pub async fn hashing_permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        tokio::time::timeout(HASHING_WAIT, self.hashing.acquire())
            .await
            .ok()?
            .ok()
    }

    pub fn password(&self) -> PasswordRecord {
        match self.password.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts a newly stored record in force: sessions issued under the previous one stop working.
    pub fn set_password(&self, record: PasswordRecord) {
        match self.password.write() {
            Ok(mut guard) => *guard = record,
            Err(poisoned) => *poisoned.into_inner() = record,
        }
    }

    pub fn limiter(&self) -> MutexGuard<'_, LoginLimiter> {
        lock(&self.limiter)
    }

    /// A new session token and its expiry (Unix s).
    pub fn issue(&self, secret: &[u8], now: i64) -> Result<(String, i64), TokenError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|_| TokenError::Key)?;
        let exp = now + i64::try_from(SESSION_TTL.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = Claims {
            sub: SUBJECT.into(),
            iat: now,
            exp,
            jti: id.iter().map(|b| format!("{b:02x}")).collect(),
            pwc: self.password().changed_at,
        };
        Ok((jwt::sign(&claims, secret)?, exp))
    }

    /// The valid session presented by `headers` (cookie or `Authorization: Bearer`), if any.
    pub fn session(&self, headers: &HeaderMap, secret: &[u8], now: i64) -> Option<Claims> {
        let claims = jwt::verify(session_token(headers)?, secret, now).ok()?;
        if claims.sub != SUBJECT || claims.pwc != self.password().changed_at {
            return None;
        }
        if lock(&self.revoked).contains_key(&claims.jti) {
            return None;
        }
        Some(claims)
    }

    /// Ends a session before its expiry (logout).
    pub fn revoke(&self, claims: &Claims, now: i64) {
        self.revoke_id(&claims.jti, claims.exp, now);
    }

    /// Ends the session `jti` (expiring at `exp`): a logout here or on another instance.
    pub fn revoke_id(&self, jti: &str, exp: i64, now: i64) {
        let mut revoked = lock(&self.revoked);
        revoked.retain(|_, exp| *exp > now);
        revoked.insert(jti.to_owned(), exp);
    }

    /// The stored password record again (another instance may have changed it).
    pub async fn refresh_password(&self, store: &Store) -> Result<(), StoreError> {
        self.set_password(stored_password(store).await?);
        Ok(())
    }
}

/// The session token in the request: `Authorization: Bearer …` first, then the cookie.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    bearer.or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .map(|(_, value)| value.trim())
    })
}

/// Management paths reachable without a session on a non-loopback bind. `/api/health` is not one
/// of them (it shows the data directory, breakers and lockouts); load balancers use `/healthz`.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/api/auth/login" | "/api/auth/status" | "/api/auth/logout"
    )
}

/// A 403 in the caller's language: the client API's format for its clients, else the
/// management API's.
fn forbidden(path: &str, message: String) -> Response {
    if let Some(response) = client_api::refusal(path, ErrorKind::PermissionDenied, &message, None) {
        return response;
    }
    ApiError::new(ErrorCode::Forbidden, message).into_response()
}

/// Headers a reverse proxy adds. A request carrying one came through a proxy, whatever address
/// it came from: a loopback peer is then not the user on this machine.
const FORWARDING: [&str; 6] = [
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "x-client-ip",
];

fn is_forwarded(headers: &HeaderMap) -> bool {
    FORWARDING.iter().any(|name| headers.contains_key(*name))
}

/// Whether a request is from someone other than the user on this machine: the gateway listens
/// beyond loopback, the request came through a reverse proxy, or `AUTH_REQUIRED` treats
/// everyone so. Such callers sign in for the management API and `/metrics`.
pub fn is_remote(state: &AppState, headers: &HeaderMap) -> bool {
    !state.access.policy.loopback || is_forwarded(headers) || state.config.auth_required
}

/// The client's address: the peer, or what a trusted proxy says the client's is.
fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[cidr::Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let forwarded_for = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect::<Vec<_>>();
    // Each proxy appends the address it saw: the nearest one it did not add itself is the
    // client's (anything further left is the client's own claim).
    if let Some(ip) = forwarded_for.iter().rev().find(|ip| !is_trusted(**ip)) {
        return *ip;
    }
    headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<IpAddr>().ok())
        .map_or(peer, |ip| ip.to_canonical())
}

/// Whether `/metrics` may be read: on loopback always; from elsewhere (or through a proxy) with
/// a session, `METRICS_TOKEN` or one of the gateway's API keys.
fn metrics_allowed(state: &AppState, request: &Request) -> bool {
    let headers = request.headers();
    let secret = state.config.jwt_secret.expose().as_bytes();
    if state.access.session(headers, secret, now_secs()).is_some() {
        return true;
    }
    let presented = crate::accounting::keys::presented(headers, request.uri().query());
    if let (Some(token), Some(presented)) = (&state.config.metrics_token, presented) {
        if crate::accounting::keys::same_secret(token.expose(), presented) {
            return true;
        }
    }
    presented.is_some_and(|k| {
        let hash =
            crate::accounting::keys::hash(state.config.api_key_secret.expose().as_bytes(), k);
        state
            .registry
            .snapshot()
            .accounting
            .api_keys
            .contains_key(&hash)
    })
}

/// The access middleware; see the module documentation for the order of checks.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| {
            c.0.ip().to_canonical()
        });
    let ip = client_ip(peer, request.headers(), &state.config.trusted_proxies);
    let path = request.uri().path().to_owned();
    if !state.registry.snapshot().ip_rules.permits(ip) {
        return forbidden(
            &path,
            format!(
                "address {ip} is not allowed to use this gateway (Settings → Security → IP access control)"
            ),
        );
    }
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    let policy = &state.access.policy;
    if !policy.host_allowed(host) {
        return forbidden(
            &path,
            format!(
                "foreign Host header '{}': this gateway answers only to localhost, IP addresses, \
                 BASE_URL's host and ALLOWED_HOSTS",
                host.unwrap_or_default()
            ),
        );
    }
    let path = path.as_str();
    // A web page elsewhere must not make the user's browser spend their providers' money: a
    // form or `text/plain` POST needs no CORS preflight, so client-API writes from a foreign
    // origin are refused too (reads stay open; a browser cannot see their answers anyway).
    let client_read =
        client_api::is_client_path(path) && request.method() == axum::http::Method::GET;
    if !client_read {
        let origin = headers
            .get(header::ORIGIN)
            .map(|v| v.to_str().unwrap_or("?"));
        if !policy.origin_allowed(origin, host) {
            return forbidden(
                path,
                format!(
                    "cross-origin request refused: Origin '{}' is not this gateway",
                    origin.unwrap_or_default()
                ),
            );
        }
    }
    // The user on this machine is trusted; anyone else — another address, anyone behind a
    // reverse proxy on this machine, everyone with AUTH_REQUIRED — signs in.
    let remote = is_remote(&state, headers);
    if path == "/metrics" && remote && !metrics_allowed(&state, &request) {
        return ApiError::new(
            ErrorCode::Unauthorized,
            "/metrics needs a session, one of this gateway's API keys or METRICS_TOKEN \
             (Authorization: Bearer …) when it is not read on this machine",
        )
        .into_response();
    }
    let headers = request.headers();
    if !client_api::is_client_path(path) {
        let needs_session = remote && path.starts_with("/api/") && !is_public(path);
        if needs_session
            && state
                .access
                .session(
                    headers,
                    state.config.jwt_secret.expose().as_bytes(),
                    now_secs(),
                )
                .is_none()
        {
            return ApiError::new(
                ErrorCode::Unauthorized,
                "sign in first: from another machine, through a reverse proxy or with \
                 AUTH_REQUIRED the management API needs a session (POST /api/auth/login, then \
                 the omniroute_session cookie or Authorization: Bearer <token>)",
            )
            .into_response();
        }
    }
    request.extensions_mut().insert(ClientIp(ip));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let trusted = [cidr::Cidr::parse("10.0.0.0/8").unwrap()];
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("198.51.100.7, 203.0.113.9, 10.0.0.3"),
        );
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        // The nearest address the proxies did not add themselves; the leftmost is a claim.
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_ip(stranger, &h, &trusted),
            stranger,
            "headers from anyone else are ignored"
        );
        let mut real = HeaderMap::new();
        real.insert("x-real-ip", HeaderValue::from_static("203.0.113.5"));
        assert_eq!(
            client_ip(proxy, &real, &trusted),
            "203.0.113.5".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
        assert!(is_forwarded(&real) && !is_forwarded(&HeaderMap::new()));
    }

    #[test]
    fn tokens_come_from_bearer_or_cookie() {
        let mut h = HeaderMap::new();
        assert_eq!(session_token(&h), None);
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; omniroute_session=abc.def.ghi; x=1"),
        );
        assert_eq!(session_token(&h), Some("abc.def.ghi"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer t.o.k"),
        );
        assert_eq!(session_token(&h), Some("t.o.k"));
    }

    fn access() -> Access {
        let config = Config::from_env(
            |k| (k == "HOME").then(|| "/h".to_owned()),
            &crate::Overrides::default(),
        )
        .unwrap();
        Access::new(&config, PasswordRecord::default())
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        h
    }

    #[test]
    fn sessions_end_on_logout_expiry_and_password_change() {
        let a = access();
        let (token, exp) = a.issue(b"s", 1_000).unwrap();
        assert_eq!(exp, 1_000 + 7 * 24 * 3600);
        let claims = a.session(&bearer(&token), b"s", 1_001).unwrap();
        assert!(a.session(&bearer(&token), b"other", 1_001).is_none());
        assert!(a.session(&bearer(&token), b"s", exp).is_none(), "expired");

        let (other, _) = a.issue(b"s", 1_000).unwrap();
        a.revoke(&claims, 1_002);
        assert!(
            a.session(&bearer(&token), b"s", 1_003).is_none(),
            "logged out"
        );
        assert!(
            a.session(&bearer(&other), b"s", 1_003).is_some(),
            "only that one"
        );

        a.set_password(PasswordRecord {
            password_hash: Some("$argon2id$…".into()),
            changed_at: 1_004_000,
        });
        assert!(
            a.session(&bearer(&other), b"s", 1_005).is_none(),
            "older password"
        );
        let (fresh, _) = a.issue(b"s", 1_004).unwrap();
        assert!(a.session(&bearer(&fresh), b"s", 1_005).is_some());
    }
}
