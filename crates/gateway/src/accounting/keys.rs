//! Client API keys: generating one, the keyed hash stored in its place (HMAC-SHA256 with
//! `API_KEY_SECRET`), and finding the key a client sent in whichever header its SDK uses.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Generated keys start with this, so they are recognisable in a config file or a leak scan.
pub const PREFIX: &str = "sk-omni-";
const RANDOM_CHARS: usize = 40;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A new key: the prefix and 40 random base-62 characters (about 238 bits).
pub fn generate() -> Result<String, getrandom::Error> {
    let mut key = String::with_capacity(PREFIX.len() + RANDOM_CHARS);
    key.push_str(PREFIX);
    let mut buf = [0u8; 64];
    while key.len() < PREFIX.len() + RANDOM_CHARS {
        getrandom::fill(&mut buf)?;
        // 248 = 4 × 62: bytes above it would bias the first characters.
        for b in buf.iter().filter(|b| **b < 248) {
            if key.len() == PREFIX.len() + RANDOM_CHARS {
                break;
            }
            key.push(char::from(ALPHABET[usize::from(*b % 62)]));
        }
    }
    Ok(key)
}

/// The stored form of `key`: hex HMAC-SHA256 under the deployment's secret.
pub fn hash(secret: &[u8], key: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm is unreachable in practice.
        Err(_) => return String::new(),
    };
    mac.update(key.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a presented secret is `expected`, in time that does not depend on where they
/// differ or on their lengths.
pub fn same_secret(expected: &str, presented: &str) -> bool {
    use sha2::Digest;
    use subtle::ConstantTimeEq;
    Sha256::digest(expected.as_bytes())
        .ct_eq(&Sha256::digest(presented.as_bytes()))
        .into()
}

/// The last characters of a key, shown in lists.
pub fn hint(key: &str) -> String {
    let start = key.len().saturating_sub(4);
    format!("…{}", key.get(start..).unwrap_or(""))
}

/// The key a client presented: `X-OmniRoute-Key` (a client whose `Authorization` carries its
/// own provider sign-in, e.g. Claude Code in passthrough), `Authorization: Bearer` (OpenAI),
/// `x-api-key` (Anthropic), `x-goog-api-key` or `?key=` (Gemini).
pub fn presented<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(key) = header("x-omniroute-key") {
        return Some(key);
    }
    if let Some(auth) = header("authorization") {
        let token = match auth.get(..6) {
            Some(scheme) if scheme.eq_ignore_ascii_case("bearer") => auth[6..].trim(),
            _ => auth,
        };
        if !token.is_empty() {
            return Some(token);
        }
    }
    header("x-api-key")
        .or_else(|| header("x-goog-api-key"))
        .or_else(|| {
            query?
                .split('&')
                .find_map(|pair| pair.strip_prefix("key="))
                .filter(|k| !k.is_empty())
        })
}

/// Who is calling, as the client-key check found it; put in the request's extensions.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub key: Option<std::sync::Arc<KeyRef>>,
    /// Whose replays and reasoning state a caller without a key may see: its address's, as
    /// `ip:<address>` (empty when unknown).
    pub keyless_scope: String,
}

impl Caller {
    /// A caller identified by `key`, or, without one, by the address it came from.
    pub fn new(key: Option<std::sync::Arc<KeyRef>>, ip: Option<std::net::IpAddr>) -> Self {
        let keyless_scope = match (&key, ip) {
            (None, Some(ip)) => format!("ip:{ip}"),
            _ => String::new(),
        };
        Self { key, keyless_scope }
    }

    /// Whose state this is: the key's id, or for a caller without a key its address, so two
    /// callers never share answers or reasoning state.
    pub fn scope(&self) -> &str {
        self.key
            .as_ref()
            .map_or(self.keyless_scope.as_str(), |k| k.id.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    pub id: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn generated_keys_are_unique_well_formed_and_hash_stably() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), PREFIX.len() + RANDOM_CHARS);
        assert!(a[PREFIX.len()..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(hash(b"s", &a), hash(b"s", &a));
        assert_ne!(hash(b"s", &a), hash(b"t", &a));
        assert_eq!(hash(b"s", &a).len(), 64);
        assert_eq!(hint("sk-omni-abcdWXYZ"), "…WXYZ");
    }

    #[test]
    fn every_sdk_header_style_is_found() {
        let mut h = HeaderMap::new();
        assert_eq!(presented(&h, None), None);
        assert_eq!(presented(&h, Some("alt=sse&key=g1")), Some("g1"));
        h.insert("x-goog-api-key", HeaderValue::from_static("g2"));
        assert_eq!(presented(&h, None), Some("g2"));
        h.insert("x-api-key", HeaderValue::from_static("a1"));
        assert_eq!(presented(&h, None), Some("a1"));
        h.insert("authorization", HeaderValue::from_static("Bearer o1"));
        assert_eq!(presented(&h, None), Some("o1"));
        h.insert("authorization", HeaderValue::from_static("Bearer "));
        assert_eq!(presented(&h, None), Some("a1"));
    }
}
