//! Configuration of a running gateway: the environment variables of SPEC §9, overridden by
//! command-line flags. Parsing takes the environment as a lookup function so it is tested
//! without touching the process environment.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use omniroute_store::{SecretBackendKind, SecretString};

pub const DEFAULT_PORT: u16 = 20128;
pub const DEFAULT_JWT_SECRET: &str = "omniroute-default-secret-change-me";
pub const DEFAULT_INITIAL_PASSWORD: &str = "123456";
pub const DEFAULT_API_KEY_SECRET: &str = "endpoint-proxy-api-key-secret";

/// A configuration value that cannot be used. Its message names the variable and the value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("invalid {name} '{value}': {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("cannot find a home directory for the default DATA_DIR (~/.omniroute); set DATA_DIR")]
    NoHome,
}

/// Flags of `omniroute serve`; each overrides its environment variable.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub port: Option<String>,
    pub host: Option<String>,
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Signs dashboard sessions (`JWT_SECRET`).
    pub jwt_secret: SecretString,
    /// First dashboard password, before one is stored (`INITIAL_PASSWORD`).
    pub initial_password: SecretString,
    pub data_dir: PathBuf,
    /// `0` asks the OS for a free port.
    pub port: u16,
    pub host: IpAddr,
    /// Server-side base URL, as clients reach it (`BASE_URL`).
    pub base_url: String,
    /// Where this device syncs (`CLOUD_URL`): another OmniRoute acting as a hub (`http(s)://…`)
    /// or a WebDAV folder (`webdav://…`, `webdavs://…`, user and password in the address).
    pub cloud_url: Option<String>,
    /// The sync passphrase or pairing code (`CLOUD_PASSPHRASE`), when configured from the
    /// environment instead of the dashboard.
    pub cloud_passphrase: Option<SecretString>,
    /// Serve as a sync hub for other devices (`SYNC_HUB`; off, so no instance becomes anyone's
    /// storage by accident).
    pub sync_hub: bool,
    /// How long one sync run may take, all requests included (`SYNC_TIMEOUT`, seconds).
    pub sync_timeout: Duration,
    /// Where configuration and usage are stored (`DATABASE_URL`: `sqlite://…` or
    /// `postgres://…`); the SQLite file in the data directory when unset. Secret: a server URL
    /// carries its password.
    pub database_url: Option<SecretString>,
    /// Redis shared by several instances (`REDIS_URL`): their live state, and word of each
    /// other's changes. Secret: the URL may carry a password.
    pub redis_url: Option<SecretString>,
    /// The key credentials are encrypted with in the database (`SECRET_KEY`, 64 hex digits);
    /// instances sharing one database must share it. `DATA_DIR/secret.key` when unset.
    pub secret_key: Option<SecretString>,
    /// HMAC secret of generated API keys (`API_KEY_SECRET`).
    pub api_key_secret: SecretString,
    pub require_api_key: bool,
    pub enable_request_logs: bool,
    pub auth_cookie_secure: bool,
    /// Where credentials are written (`OMNIROUTE_SECRETS`: `encrypted`, the headless default, or
    /// `keychain`, the desktop default).
    pub secrets_backend: SecretBackendKind,
    /// How long in-flight requests may run after a shutdown signal (`SHUTDOWN_TIMEOUT`, seconds).
    pub shutdown_grace: Duration,
    /// Silence on a stream after which a keep-alive comment is sent (`STREAM_KEEPALIVE`, seconds).
    pub stream_keepalive: Duration,
    /// How long an upstream may stay silent — before its answer starts or between two reads —
    /// before the attempt counts as a timeout (`UPSTREAM_TIMEOUT`, seconds).
    pub upstream_timeout: Duration,
    /// How long the reasoning state of a translated answer is kept for its replay
    /// (`REASONING_STATE_TTL`, seconds; default a day).
    pub reasoning_state_ttl: Duration,
    /// Memory for that state (`REASONING_STATE_MAX_MB`; default 64), oldest out first.
    pub reasoning_state_max_bytes: usize,
    /// The management API needs a session on every bind, loopback included (`AUTH_REQUIRED`).
    pub auth_required: bool,
    /// Host names accepted in `Host` besides loopback names, IP literals and `BASE_URL`'s host
    /// (`ALLOWED_HOSTS`, comma-separated).
    pub allowed_hosts: Vec<String>,
    /// A bearer token that may read `/metrics` off loopback (`METRICS_TOKEN`).
    pub metrics_token: Option<SecretString>,
    /// Reverse proxies whose `X-Forwarded-For` / `X-Real-IP` name the client (`TRUSTED_PROXIES`,
    /// comma-separated addresses or CIDR blocks); from anyone else those headers are ignored.
    pub trusted_proxies: Vec<crate::cidr::Cidr>,
    /// Connections open at once (`MAX_CONNECTIONS`, default 4096).
    pub max_connections: usize,
    /// Requests handled at once (`MAX_IN_FLIGHT`, default 2048).
    pub max_in_flight: usize,
}

impl Config {
    /// Reads the configuration from `env` (a variable lookup) and the flags in `overrides`.
    pub fn from_env(
        env: impl Fn(&str) -> Option<String>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let port = match overrides.port.clone().or_else(|| var("PORT")) {
            Some(raw) => parse_port(&raw)?,
            None => DEFAULT_PORT,
        };
        let in_container = var("OMNIROUTE_CONTAINER").is_some_and(|v| v != "0");
        let default_host = if in_container {
            Ipv4Addr::UNSPECIFIED
        } else {
            Ipv4Addr::LOCALHOST
        };
        let host = match overrides.host.clone().or_else(|| var("HOSTNAME")) {
            Some(raw) => match parse_host(&raw) {
                Some(ip) => ip,
                // Shells and container runtimes export HOSTNAME as the machine's own name, not
                // as a bind address: that value means "not set".
                None if overrides.host.is_none() && is_machine_name(&raw) => IpAddr::V4(default_host),
                None => resolve_host(&raw).ok_or(ConfigError::Invalid {
                    name: "HOSTNAME",
                    value: raw,
                    reason: "expected an IP address such as 127.0.0.1 or 0.0.0.0, or a resolvable name",
                })?,
            },
            None => IpAddr::V4(default_host),
        };
        let data_dir = match overrides
            .data_dir
            .clone()
            .or_else(|| var("DATA_DIR").map(PathBuf::from))
        {
            Some(dir) => expand_home(&dir, &var)?,
            None => home_dir(&var)?.join(".omniroute"),
        };
        let secrets_backend = match var("OMNIROUTE_SECRETS") {
            Some(raw) => raw.parse().map_err(|_| ConfigError::Invalid {
                name: "OMNIROUTE_SECRETS",
                value: raw,
                reason: "expected 'encrypted' or 'keychain'",
            })?,
            None => SecretBackendKind::Encrypted,
        };
        let shutdown_grace = match var("SHUTDOWN_TIMEOUT") {
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| ConfigError::Invalid {
                    name: "SHUTDOWN_TIMEOUT",
                    value: raw,
                    reason: "expected whole seconds",
                })?,
            None => Duration::from_secs(10),
        };
        let stream_keepalive = match var("STREAM_KEEPALIVE") {
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(secs) if secs > 0 => Duration::from_secs(secs),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "STREAM_KEEPALIVE",
                        value: raw,
                        reason: "expected whole seconds, at least 1",
                    });
                }
            },
            None => Duration::from_secs(15),
        };
        let upstream_timeout = match var("UPSTREAM_TIMEOUT") {
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(secs) if secs > 0 => Duration::from_secs(secs),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "UPSTREAM_TIMEOUT",
                        value: raw,
                        reason: "expected whole seconds, at least 1",
                    });
                }
            },
            None => Duration::from_secs(300),
        };
        let reasoning_state_ttl = match var("REASONING_STATE_TTL") {
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(secs) if secs > 0 => Duration::from_secs(secs),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "REASONING_STATE_TTL",
                        value: raw,
                        reason: "expected whole seconds, at least 1",
                    });
                }
            },
            None => Duration::from_secs(24 * 3600),
        };
        let reasoning_state_max_bytes = match var("REASONING_STATE_MAX_MB") {
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(mb) if mb > 0 => mb.saturating_mul(1 << 20),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "REASONING_STATE_MAX_MB",
                        value: raw,
                        reason: "expected whole megabytes, at least 1",
                    });
                }
            },
            None => 64 << 20,
        };
        let count = |name: &'static str, default: usize| -> Result<usize, ConfigError> {
            match var(name) {
                Some(raw) => match raw.trim().parse::<usize>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(ConfigError::Invalid {
                        name,
                        value: raw,
                        reason: "expected a whole number, at least 1",
                    }),
                },
                None => Ok(default),
            }
        };
        let max_connections = count("MAX_CONNECTIONS", crate::serving::MAX_CONNECTIONS)?;
        let max_in_flight = count("MAX_IN_FLIGHT", crate::serving::MAX_IN_FLIGHT)?;
        let shown_port = if port == 0 { DEFAULT_PORT } else { port };
        Ok(Self {
            jwt_secret: SecretString::new(
                var("JWT_SECRET").unwrap_or_else(|| DEFAULT_JWT_SECRET.into()),
            ),
            initial_password: SecretString::new(
                var("INITIAL_PASSWORD").unwrap_or_else(|| DEFAULT_INITIAL_PASSWORD.into()),
            ),
            data_dir,
            port,
            host,
            base_url: var("BASE_URL")
                .map(|u| u.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| format!("http://localhost:{shown_port}")),
            cloud_url: var("CLOUD_URL"),
            database_url: var("DATABASE_URL")
                .filter(|u| !u.trim().is_empty())
                .map(SecretString::new),
            redis_url: var("REDIS_URL")
                .filter(|u| !u.trim().is_empty())
                .map(SecretString::new),
            secret_key: var("SECRET_KEY")
                .filter(|k| !k.trim().is_empty())
                .map(SecretString::new),
            cloud_passphrase: var("CLOUD_PASSPHRASE").map(SecretString::new),
            sync_hub: parse_bool("SYNC_HUB", var("SYNC_HUB"))?,
            sync_timeout: Duration::from_secs(count("SYNC_TIMEOUT", 20)? as u64),
            api_key_secret: SecretString::new(
                var("API_KEY_SECRET").unwrap_or_else(|| DEFAULT_API_KEY_SECRET.into()),
            ),
            // Off loopback the client API spends the providers' money for anyone who can reach
            // it: keys are required unless explicitly turned off.
            require_api_key: match var("REQUIRE_API_KEY") {
                Some(raw) => parse_bool("REQUIRE_API_KEY", Some(raw))?,
                None => !host.to_canonical().is_loopback(),
            },
            enable_request_logs: parse_bool("ENABLE_REQUEST_LOGS", var("ENABLE_REQUEST_LOGS"))?,
            auth_cookie_secure: parse_bool("AUTH_COOKIE_SECURE", var("AUTH_COOKIE_SECURE"))?,
            secrets_backend,
            shutdown_grace,
            stream_keepalive,
            upstream_timeout,
            reasoning_state_ttl,
            reasoning_state_max_bytes,
            auth_required: parse_bool("AUTH_REQUIRED", var("AUTH_REQUIRED"))?,
            allowed_hosts: list(var("ALLOWED_HOSTS"))
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            metrics_token: var("METRICS_TOKEN").map(SecretString::new),
            trusted_proxies: list(var("TRUSTED_PROXIES"))
                .map(|raw| {
                    crate::cidr::Cidr::parse(&raw).ok_or(ConfigError::Invalid {
                        name: "TRUSTED_PROXIES",
                        value: raw,
                        reason: "expected addresses or CIDR blocks, comma-separated",
                    })
                })
                .collect::<Result<_, _>>()?,
            max_connections,
            max_in_flight,
        })
    }

    /// Which secrets still have their published default values (shown as a warning).
    pub fn default_secrets_in_use(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        if self.jwt_secret.expose() == DEFAULT_JWT_SECRET {
            names.push("JWT_SECRET");
        }
        if self.api_key_secret.expose() == DEFAULT_API_KEY_SECRET {
            names.push("API_KEY_SECRET");
        }
        names
    }
}

fn parse_port(raw: &str) -> Result<u16, ConfigError> {
    raw.trim().parse::<u16>().map_err(|_| ConfigError::Invalid {
        name: "PORT",
        value: raw.to_owned(),
        reason: "expected a number from 0 to 65535 (0 picks a free port)",
    })
}

fn parse_host(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim();
    if raw.eq_ignore_ascii_case("localhost") {
        return Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    raw.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

fn is_machine_name(raw: &str) -> bool {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .is_ok_and(|name| name.trim().eq_ignore_ascii_case(raw.trim()))
}

fn resolve_host(raw: &str) -> Option<IpAddr> {
    use std::net::ToSocketAddrs;
    (raw.trim(), 0)
        .to_socket_addrs()
        .ok()?
        .map(|a| a.ip())
        .next()
}

/// The non-empty items of a comma-separated variable.
fn list(raw: Option<String>) -> impl Iterator<Item = String> {
    raw.unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

fn parse_bool(name: &'static str, raw: Option<String>) -> Result<bool, ConfigError> {
    let Some(raw) = raw else { return Ok(false) };
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            name,
            value: raw,
            reason: "expected true or false",
        }),
    }
}

fn home_dir(var: &impl Fn(&str) -> Option<String>) -> Result<PathBuf, ConfigError> {
    var("HOME")
        .or_else(|| var("USERPROFILE"))
        .map(PathBuf::from)
        .ok_or(ConfigError::NoHome)
}

fn expand_home(dir: &Path, var: &impl Fn(&str) -> Option<String>) -> Result<PathBuf, ConfigError> {
    match dir.strip_prefix("~") {
        Ok(rest) => Ok(home_dir(var)?.join(rest)),
        Err(_) => Ok(dir.to_path_buf()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)], overrides: Overrides) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_env(|k| map.get(k).cloned(), &overrides)
    }

    #[test]
    fn defaults_follow_the_spec() {
        let c = parse(&[("HOME", "/home/ada")], Overrides::default()).unwrap();
        assert_eq!(c.port, 20128);
        assert_eq!(c.data_dir, PathBuf::from("/home/ada/.omniroute"));
        assert_eq!(c.base_url, "http://localhost:20128");
        assert_eq!(c.jwt_secret.expose(), DEFAULT_JWT_SECRET);
        assert_eq!(c.initial_password.expose(), "123456");
        assert_eq!(c.api_key_secret.expose(), DEFAULT_API_KEY_SECRET);
        assert!(!c.require_api_key && !c.enable_request_logs && !c.auth_cookie_secure);
        assert!(!c.auth_required && c.allowed_hosts.is_empty() && c.metrics_token.is_none());
        assert_eq!(c.cloud_url, None);
        assert_eq!(c.secrets_backend, SecretBackendKind::Encrypted);
        assert_eq!(
            c.default_secrets_in_use(),
            vec!["JWT_SECRET", "API_KEY_SECRET"]
        );
        assert_eq!(c.host, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(c.reasoning_state_ttl, Duration::from_secs(86_400));
        assert_eq!(c.reasoning_state_max_bytes, 64 << 20);
        let c = parse(
            &[("HOME", "/h"), ("OMNIROUTE_CONTAINER", "1")],
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.host, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert!(
            c.require_api_key,
            "off loopback, keys are required unless turned off"
        );
        let c = parse(
            &[
                ("HOME", "/h"),
                ("HOSTNAME", "0.0.0.0"),
                ("REQUIRE_API_KEY", "false"),
            ],
            Overrides::default(),
        )
        .unwrap();
        assert!(!c.require_api_key);
    }

    #[test]
    fn every_variable_is_read_and_flags_win() {
        let vars = [
            ("JWT_SECRET", "j"),
            ("INITIAL_PASSWORD", "p"),
            ("DATA_DIR", "~/data"),
            ("HOME", "/h"),
            ("PORT", "3000"),
            ("HOSTNAME", "0.0.0.0"),
            ("BASE_URL", "https://gw.example/"),
            ("CLOUD_URL", "https://cloud.example"),
            ("API_KEY_SECRET", "k"),
            ("REQUIRE_API_KEY", "true"),
            ("ENABLE_REQUEST_LOGS", "1"),
            ("AUTH_COOKIE_SECURE", "yes"),
            ("OMNIROUTE_SECRETS", "keychain"),
            ("SHUTDOWN_TIMEOUT", "3"),
            ("STREAM_KEEPALIVE", "5"),
            ("UPSTREAM_TIMEOUT", "9"),
            ("REASONING_STATE_TTL", "120"),
            ("REASONING_STATE_MAX_MB", "8"),
            ("AUTH_REQUIRED", "true"),
            ("ALLOWED_HOSTS", "gw.lan, Other.Example"),
            ("METRICS_TOKEN", "m"),
            ("TRUSTED_PROXIES", "10.0.0.0/8,::1"),
            ("MAX_CONNECTIONS", "100"),
            ("MAX_IN_FLIGHT", "50"),
        ];
        let c = parse(&vars, Overrides::default()).unwrap();
        assert_eq!(
            (
                c.jwt_secret.expose(),
                c.initial_password.expose(),
                c.api_key_secret.expose()
            ),
            ("j", "p", "k")
        );
        assert_eq!(c.data_dir, PathBuf::from("/h/data"));
        assert_eq!(c.port, 3000);
        assert_eq!(c.host.to_string(), "0.0.0.0");
        assert_eq!(c.base_url, "https://gw.example");
        assert_eq!(c.cloud_url.as_deref(), Some("https://cloud.example"));
        assert!(c.require_api_key && c.enable_request_logs && c.auth_cookie_secure);
        assert_eq!(c.secrets_backend, SecretBackendKind::Keychain);
        assert_eq!(c.shutdown_grace, Duration::from_secs(3));
        assert_eq!(c.stream_keepalive, Duration::from_secs(5));
        assert_eq!(c.upstream_timeout, Duration::from_secs(9));
        assert_eq!(c.reasoning_state_ttl, Duration::from_secs(120));
        assert_eq!(c.reasoning_state_max_bytes, 8 << 20);
        assert!(c.auth_required);
        assert_eq!(c.allowed_hosts, ["gw.lan", "other.example"]);
        assert_eq!(c.metrics_token.as_ref().map(|t| t.expose()), Some("m"));
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!((c.max_connections, c.max_in_flight), (100, 50));
        assert!(c.default_secrets_in_use().is_empty());

        let flags = Overrides {
            port: Some("4000".into()),
            host: Some("::1".into()),
            data_dir: Some("/x".into()),
        };
        let c = parse(&vars, flags).unwrap();
        assert_eq!(
            (c.port, c.host.to_string(), c.data_dir),
            (4000, "::1".into(), PathBuf::from("/x"))
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (vars, needle) in [
            (vec![("PORT", "http")], "invalid PORT 'http'"),
            (vec![("PORT", "70000")], "invalid PORT '70000'"),
            (
                vec![("HOSTNAME", "no such host.invalid")],
                "invalid HOSTNAME",
            ),
            (
                vec![("REQUIRE_API_KEY", "maybe")],
                "invalid REQUIRE_API_KEY 'maybe'",
            ),
            (
                vec![("OMNIROUTE_SECRETS", "vault")],
                "invalid OMNIROUTE_SECRETS",
            ),
            (
                vec![("SHUTDOWN_TIMEOUT", "soon")],
                "invalid SHUTDOWN_TIMEOUT",
            ),
            (vec![("MAX_IN_FLIGHT", "0")], "invalid MAX_IN_FLIGHT"),
            (
                vec![("TRUSTED_PROXIES", "10.0.0.0/99")],
                "invalid TRUSTED_PROXIES",
            ),
            (
                vec![("REASONING_STATE_TTL", "0")],
                "invalid REASONING_STATE_TTL",
            ),
            (
                vec![("REASONING_STATE_MAX_MB", "lots")],
                "invalid REASONING_STATE_MAX_MB",
            ),
        ] {
            let mut vars = vars;
            vars.push(("HOME", "/h"));
            let err = parse(&vars, Overrides::default()).unwrap_err().to_string();
            assert!(err.contains(needle), "{err} should contain {needle}");
        }
        let err = parse(&[], Overrides::default()).unwrap_err();
        assert_eq!(err, ConfigError::NoHome);
    }
}
