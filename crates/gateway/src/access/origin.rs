//! Browser protections (SPEC §8). DNS rebinding: a page on `evil.example` whose name the attacker
//! re-points at 127.0.0.1 (or at this machine's LAN address) reaches the server with
//! `Host: evil.example`, so the server answers only to loopback names, IP literals and its
//! configured names (`BASE_URL`'s host, `ALLOWED_HOSTS`) — on every bind, since a page can
//! re-point a name at a LAN address as easily as at loopback. CSRF: a browser always names
//! the page's origin in `Origin` on cross-site writes, so a management request whose `Origin`
//! is not the server itself is refused; programs (curl, SDKs) send no `Origin` and pass.

use std::net::IpAddr;

/// A `host[:port]` as written in a `Host` header or a URL, host lowercased without brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub host: String,
    pub port: Option<u16>,
}

impl Authority {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let (host, port) = if let Some(rest) = raw.strip_prefix('[') {
            let (host, after) = rest.split_once(']')?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        } else {
            match raw.split_once(':') {
                Some((host, port)) if !port.contains(':') => (host, Some(port)),
                Some(_) => return None,
                None => (raw, None),
            }
        };
        if host.is_empty() {
            return None;
        }
        let port = match port {
            Some(p) => Some(p.parse::<u16>().ok()?),
            None => None,
        };
        Some(Self {
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.to_canonical().is_loopback())
    }
}

/// A web origin (`scheme://host[:port]`) with the port made explicit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// Parses an `Origin` header or the origin part of a URL (a path after it is ignored).
    pub fn parse(raw: &str) -> Option<Self> {
        let (scheme, rest) = raw.trim().split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = default_port(&scheme)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        // Credentials in a URL (`user:pass@host`) are not part of the origin.
        let authority = authority.rsplit('@').next().unwrap_or_default();
        let a = Authority::parse(authority)?;
        Some(Self {
            scheme,
            host: a.host,
            port: a.port.unwrap_or(default_port),
        })
    }

    /// Whether this origin is the server reached through `host` (the request's `Host`). A `Host`
    /// without a port means the default port of the origin's scheme.
    fn is_host(&self, host: &Authority) -> bool {
        self.host == host.host && Some(self.port) == host.port.or(default_port(&self.scheme))
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// What the checks compare against, computed once from the configuration.
#[derive(Debug, Clone)]
pub struct BrowserPolicy {
    /// Bound to a loopback address: the `Host` check is on.
    pub loopback: bool,
    /// Names accepted in `Host` besides loopback ones: `BASE_URL`'s host and `ALLOWED_HOSTS`.
    extra_hosts: Vec<String>,
    base_origin: Option<Origin>,
}

impl BrowserPolicy {
    pub fn new(bind: IpAddr, base_url: &str, allowed_hosts: &[String]) -> Self {
        let base_origin = Origin::parse(base_url);
        let mut extra_hosts: Vec<String> = allowed_hosts.to_vec();
        extra_hosts.extend(base_origin.as_ref().map(|o| o.host.clone()));
        Self {
            loopback: bind.to_canonical().is_loopback(),
            extra_hosts,
            base_origin,
        }
    }

    /// The DNS-rebinding check: `Host` must name this machine by a loopback name, an IP address
    /// (no page can make a browser send a foreign name as an address) or a configured name
    /// (any port). A request without a `Host` (HTTP/1.0, some HTTP/2 clients) is not from a
    /// browser.
    pub fn host_allowed(&self, host: Option<&str>) -> bool {
        let Some(raw) = host else { return true };
        let Some(a) = Authority::parse(raw) else {
            return false;
        };
        a.is_loopback() || a.host.parse::<IpAddr>().is_ok() || self.extra_hosts.contains(&a.host)
    }

    /// The CSRF check: an `Origin` must be the server itself — the request's `Host` or
    /// `BASE_URL`. `Origin: null` (sandboxed frames, `file:` pages) is foreign.
    pub fn origin_allowed(&self, origin: Option<&str>, host: Option<&str>) -> bool {
        let Some(raw) = origin else { return true };
        let Some(origin) = Origin::parse(raw) else {
            return false;
        };
        if self.base_origin.as_ref() == Some(&origin) {
            return true;
        }
        host.and_then(Authority::parse)
            .is_some_and(|host| origin.is_host(&host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback() -> BrowserPolicy {
        BrowserPolicy::new("127.0.0.1".parse().unwrap(), "http://localhost:20128", &[])
    }

    #[test]
    fn authorities_parse_with_and_without_ports() {
        let a = |host: &str, port| {
            Some(Authority {
                host: host.into(),
                port,
            })
        };
        assert_eq!(
            Authority::parse("LocalHost:20128"),
            a("localhost", Some(20128))
        );
        assert_eq!(Authority::parse("example.com"), a("example.com", None));
        assert_eq!(Authority::parse("[::1]:8080"), a("::1", Some(8080)));
        assert_eq!(Authority::parse("[::1]"), a("::1", None));
        for bad in ["", ":80", "a:b", "::1", "[::1]x", "h:99999"] {
            assert_eq!(Authority::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn loopback_bind_accepts_only_local_and_configured_hosts() {
        let p = loopback();
        for ok in [
            "localhost:20128",
            "localhost",
            "127.0.0.1:1",
            "127.8.9.10",
            "[::1]:20128",
            "[::ffff:127.0.0.1]:5",
        ] {
            assert!(p.host_allowed(Some(ok)), "{ok}");
        }
        assert!(p.host_allowed(None));
        for bad in [
            "evil.example:20128",
            "evil.example",
            "localhost.evil.example",
            "a:b",
        ] {
            assert!(!p.host_allowed(Some(bad)), "{bad}");
        }
        let named =
            BrowserPolicy::new("127.0.0.1".parse().unwrap(), "https://gw.example/omni", &[]);
        assert!(named.host_allowed(Some("gw.example:443")));
        assert!(named.host_allowed(Some("GW.example")));
    }

    #[test]
    fn lan_binds_check_the_host_too() {
        let p = BrowserPolicy::new(
            "0.0.0.0".parse().unwrap(),
            "http://localhost:20128",
            &["gw.lan".to_owned()],
        );
        assert!(!p.loopback);
        for ok in [
            "gw.lan:20128",
            "192.168.1.20:20128",
            "[fd00::1]",
            "localhost",
        ] {
            assert!(p.host_allowed(Some(ok)), "{ok}");
        }
        assert!(!p.host_allowed(Some("rebound.evil.example:20128")));
    }

    #[test]
    fn origins_must_be_the_server_itself() {
        let p = loopback();
        assert!(
            p.origin_allowed(None, Some("localhost:20128")),
            "no Origin: not a browser"
        );
        assert!(p.origin_allowed(Some("http://localhost:20128"), Some("localhost:20128")));
        assert!(p.origin_allowed(Some("http://127.0.0.1:4000"), Some("127.0.0.1:4000")));
        assert!(p.origin_allowed(Some("http://gw.example"), Some("gw.example")));
        assert!(p.origin_allowed(Some("https://gw.example"), Some("gw.example:443")));
        // BASE_URL's origin is accepted whatever Host says (a reverse proxy may rewrite Host).
        assert!(p.origin_allowed(Some("http://localhost:20128"), Some("127.0.0.1:9")));
        for (origin, host) in [
            ("http://evil.example", Some("localhost:20128")),
            ("http://localhost:3000", Some("localhost:20128")),
            ("null", Some("localhost:20128")),
            ("http://localhost:4000", None),
            ("ftp://localhost:4000", Some("localhost:4000")),
        ] {
            assert!(
                !p.origin_allowed(Some(origin), host),
                "{origin} vs {host:?}"
            );
        }
    }

    #[test]
    fn urls_reduce_to_their_origin() {
        assert_eq!(
            Origin::parse("https://user:pw@GW.example/path?q#f"),
            Some(Origin {
                scheme: "https".into(),
                host: "gw.example".into(),
                port: 443
            })
        );
        assert_eq!(Origin::parse("gw.example"), None);
    }
}
