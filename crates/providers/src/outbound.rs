//! Outbound connections to upstreams: proxy settings (HTTP, HTTPS, SOCKS5) and one pooled HTTP
//! client per distinct proxy, created on first use and kept — never a client per request.
//! Precedence for a request: connection → combo → provider → global → environment
//! (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, which the direct client honours by itself).

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

/// One proxy, as the guide's examples write it (`"port": "8080"` or `8080`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    #[serde(rename = "type")]
    pub kind: ProxyKind,
    pub host: String,
    #[serde(deserialize_with = "port")]
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Only ever read from requests and the secret store; never written back to clients.
    #[serde(default, skip_serializing)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyKind {
    Http,
    Https,
    Socks5,
}

fn port<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Port {
        Number(u16),
        Text(String),
    }
    match Port::deserialize(d)? {
        Port::Number(n) => Ok(n),
        Port::Text(t) => t.trim().parse().map_err(|_| {
            serde::de::Error::custom(format!("port '{t}' is not a number from 1 to 65535"))
        }),
    }
}

impl ProxyConfig {
    /// The proxy URL reqwest takes (`socks5h` so names resolve at the proxy).
    pub fn url(&self) -> Result<reqwest::Url, String> {
        let scheme = match self.kind {
            ProxyKind::Http => "http",
            ProxyKind::Https => "https",
            ProxyKind::Socks5 => "socks5h",
        };
        if self.host.trim().is_empty() || self.port == 0 {
            return Err("a proxy needs a host and a port".into());
        }
        let mut url =
            reqwest::Url::parse(&format!("{scheme}://{}:{}", self.host.trim(), self.port))
                .map_err(|e| format!("invalid proxy address: {e}"))?;
        if let Some(user) = &self.username {
            url.set_username(user)
                .map_err(|()| "invalid proxy username".to_owned())?;
            url.set_password(self.password.as_deref())
                .map_err(|()| "invalid proxy password".to_owned())?;
        }
        Ok(url)
    }

    /// `host:port` for messages and logs (never the credentials).
    pub fn display(&self) -> String {
        format!(
            "{}://{}:{}",
            match self.kind {
                ProxyKind::Http => "http",
                ProxyKind::Https => "https",
                ProxyKind::Socks5 => "socks5",
            },
            self.host,
            self.port
        )
    }
}

/// Every configured proxy, by level. Stored as the `proxy` settings section (passwords in the
/// secret store).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProxySettings {
    pub global: Option<ProxyConfig>,
    pub providers: BTreeMap<String, ProxyConfig>,
    pub combos: BTreeMap<String, ProxyConfig>,
    pub connections: BTreeMap<String, ProxyConfig>,
}

impl ProxySettings {
    /// The proxy for a request: the most specific level that has one.
    pub fn pick(
        &self,
        connection: &str,
        combo: Option<&str>,
        provider: &str,
    ) -> Option<&ProxyConfig> {
        self.connections
            .get(connection)
            .or_else(|| combo.and_then(|c| self.combos.get(c)))
            .or_else(|| self.providers.get(provider))
            .or(self.global.as_ref())
    }
}

/// The upstream clients: the direct one, and one per proxy in use.
#[derive(Debug)]
pub struct Clients {
    read_timeout: Duration,
    /// Built on first use: loading the TLS root certificates costs several MB that an idle
    /// gateway need not hold.
    direct: std::sync::OnceLock<reqwest::Client>,
    proxied: RwLock<HashMap<ProxyConfig, reqwest::Client>>,
}

fn builder(read_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        // A redirect would carry the provider key (`x-api-key`, `x-goog-api-key`, the Gemini
        // `key` query) to wherever the upstream points, HTTPS to HTTP included: none is
        // followed, and the 3xx reaches the attempt as a failure.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .read_timeout(read_timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
}

impl Clients {
    /// Clients whose reads time out after `read_timeout` of silence.
    pub fn new(read_timeout: Duration) -> Self {
        Self {
            read_timeout,
            direct: std::sync::OnceLock::new(),
            proxied: RwLock::new(HashMap::new()),
        }
    }

    /// The client for `proxy` (`None`: direct, honouring the proxy environment variables).
    pub fn get(&self, proxy: Option<&ProxyConfig>) -> Result<reqwest::Client, String> {
        let Some(proxy) = proxy else {
            if let Some(client) = self.direct.get() {
                return Ok(client.clone());
            }
            let client = builder(self.read_timeout)
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
            return Ok(self.direct.get_or_init(|| client).clone());
        };
        if let Some(client) = self.proxied.read().ok().and_then(|m| m.get(proxy).cloned()) {
            return Ok(client);
        }
        let url = proxy.url()?;
        let client = builder(self.read_timeout)
            .proxy(reqwest::Proxy::all(url).map_err(|e| e.to_string())?)
            .build()
            .map_err(|e| format!("cannot use proxy {}: {e}", proxy.display()))?;
        if let Ok(mut map) = self.proxied.write() {
            // Settings can change over time; a bounded pool keeps old proxies from piling up.
            if map.len() >= 64 {
                map.clear();
            }
            map.insert(proxy.clone(), client.clone());
        }
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(host: &str) -> ProxyConfig {
        ProxyConfig {
            kind: ProxyKind::Http,
            host: host.into(),
            port: 8080,
            username: None,
            password: None,
        }
    }

    #[test]
    fn precedence_is_connection_combo_provider_global() {
        let mut s = ProxySettings {
            global: Some(proxy("global")),
            ..ProxySettings::default()
        };
        assert_eq!(s.pick("c1", Some("k"), "openai").unwrap().host, "global");
        s.providers.insert("openai".into(), proxy("provider"));
        assert_eq!(s.pick("c1", Some("k"), "openai").unwrap().host, "provider");
        assert_eq!(s.pick("c1", Some("k"), "groq").unwrap().host, "global");
        s.combos.insert("k".into(), proxy("combo"));
        assert_eq!(s.pick("c1", Some("k"), "openai").unwrap().host, "combo");
        assert_eq!(s.pick("c1", None, "openai").unwrap().host, "provider");
        s.connections.insert("c1".into(), proxy("connection"));
        assert_eq!(
            s.pick("c1", Some("k"), "openai").unwrap().host,
            "connection"
        );
        assert!(
            ProxySettings::default()
                .pick("c1", None, "openai")
                .is_none()
        );
    }

    #[test]
    fn guide_json_parses_and_urls_are_right() {
        let p: ProxyConfig =
            serde_json::from_str(r#"{"type":"socks5","host":"proxy.example.com","port":"1080"}"#)
                .unwrap();
        assert_eq!(
            p.url().unwrap().as_str(),
            "socks5h://proxy.example.com:1080"
        );
        let p: ProxyConfig = serde_json::from_str(
            r#"{"type":"http","host":"h","port":8080,"username":"u","password":"p w"}"#,
        )
        .unwrap();
        assert_eq!(p.url().unwrap().as_str(), "http://u:p%20w@h:8080/");
        assert_eq!(p.display(), "http://h:8080");
        assert!(
            serde_json::to_string(&p).unwrap().find("p w").is_none(),
            "password never serialized"
        );
        assert!(
            serde_json::from_str::<ProxyConfig>(r#"{"type":"ftp","host":"h","port":1}"#).is_err()
        );
        assert!(
            serde_json::from_str::<ProxyConfig>(r#"{"type":"http","host":"h","port":"x"}"#)
                .is_err()
        );
    }
}
