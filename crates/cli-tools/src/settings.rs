//! What a tool is pointed at: the gateway's address, one of its keys and a model, checked once
//! so every file format can hold them without surprises.

use crate::error::Error;
use crate::secret::ApiKey;

#[derive(Debug, Clone)]
pub struct Settings {
    /// The gateway's origin (`http://localhost:20128`); a trailing slash or `/v1` is ignored.
    pub gateway_base_url: String,
    pub api_key: ApiKey,
    /// What the tool asks for: `provider/model`, a combo name or `auto`.
    pub model: String,
}

impl Settings {
    pub fn new(
        gateway_base_url: impl Into<String>,
        api_key: ApiKey,
        model: impl Into<String>,
    ) -> Self {
        Self {
            gateway_base_url: gateway_base_url.into(),
            api_key,
            model: model.into(),
        }
    }

    /// The origin without `/v1` (Anthropic and Gemini clients add their own paths).
    pub fn gateway_root(&self) -> String {
        gateway_root(&self.gateway_base_url)
    }

    /// The OpenAI-style base URL, `<origin>/v1`.
    pub fn gateway_v1(&self) -> String {
        format!("{}/v1", self.gateway_root())
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let url = self.gateway_root();
        let invalid = |what: &str| Err(Error::InvalidSettings(what.to_owned()));
        let Some(rest) = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"))
        else {
            return invalid("the gateway URL must start with http:// or https://");
        };
        if rest.is_empty()
            || url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "\"'`\\".contains(c))
        {
            return invalid("the gateway URL has no host or holds spaces or quotes");
        }
        let key = self.api_key.expose();
        // Keys are visible ASCII without quotes: every file format and shell then holds them as
        // they are.
        if key.is_empty()
            || key.len() > 512
            || !key
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"\"'`\\".contains(&b))
        {
            return invalid("the API key must be printable ASCII without spaces or quotes");
        }
        if self.model.trim().is_empty()
            || self.model.len() > 256
            || self.model.chars().any(char::is_control)
        {
            return invalid("the model must be a non-empty name without control characters");
        }
        Ok(())
    }
}

/// `http://host:20128/v1/` → `http://host:20128`.
pub fn gateway_root(url: &str) -> String {
    let trimmed = url.trim().trim_end_matches('/');
    trimmed
        .strip_suffix("/v1")
        .unwrap_or(trimmed)
        .trim_end_matches('/')
        .to_owned()
}

/// Whether two addresses name the same gateway: the same origin, where `localhost`,
/// `127.0.0.1` and `[::1]` are one host (a tool written `localhost` is still pointed here).
pub(crate) fn same_gateway(a: &str, b: &str) -> bool {
    let key = |url: &str| {
        let root = gateway_root(url).to_ascii_lowercase();
        let (scheme, rest) = root.split_once("://").unwrap_or(("http", root.as_str()));
        let (host, port) = match rest.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6.split_once(']').unwrap_or((v6, ""));
                (host.to_owned(), after.trim_start_matches(':').to_owned())
            }
            None => match rest.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.to_owned()),
                None => (rest.to_owned(), String::new()),
            },
        };
        let host = if is_loopback(&root) {
            "loopback".to_owned()
        } else {
            host
        };
        (scheme.to_owned(), host, port)
    };
    key(a) == key(b)
}

/// Whether `url` names this machine (tools that refuse plain HTTP elsewhere accept it here).
pub(crate) fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, key: &str, model: &str) -> Settings {
        Settings::new(url, ApiKey::new(key), model)
    }

    #[test]
    fn loopback_names_are_one_gateway() {
        assert!(same_gateway(
            "http://localhost:20128/v1",
            "http://127.0.0.1:20128"
        ));
        assert!(same_gateway(
            "http://[::1]:20128/",
            "http://LOCALHOST:20128"
        ));
        assert!(!same_gateway(
            "http://localhost:20128",
            "http://127.0.0.1:20129"
        ));
        assert!(!same_gateway(
            "https://localhost:20128",
            "http://localhost:20128"
        ));
        assert!(!same_gateway(
            "http://10.0.0.2:20128",
            "http://127.0.0.1:20128"
        ));
        assert!(same_gateway(
            "http://gw.lan:20128/v1",
            "http://gw.lan:20128"
        ));
    }

    #[test]
    fn url_forms() {
        let s = settings("http://localhost:20128/v1/", "sk-1", "m");
        assert_eq!(s.gateway_root(), "http://localhost:20128");
        assert_eq!(s.gateway_v1(), "http://localhost:20128/v1");
        assert!(
            is_loopback("http://127.0.0.1:1/x")
                && is_loopback("http://[::1]:2")
                && is_loopback("https://LOCALHOST")
        );
        assert!(!is_loopback("http://192.168.1.2:20128"));
    }

    #[test]
    fn validation_never_echoes_the_key() {
        assert!(settings("http://h", "sk-1", "m").validate().is_ok());
        for bad in [
            settings("ftp://h", "k", "m"),
            settings("http://h", "sk 1", "m"),
            settings("http://h", "k", " "),
        ] {
            let err = bad.validate().unwrap_err().to_string();
            assert!(!err.contains("sk 1"), "{err}");
        }
    }
}
