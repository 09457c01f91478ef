//! Secrets out of kept request bodies: values of credential-named fields, anything shaped like
//! a provider or OmniRoute key, and the exact keys of the configured connections.

use serde_json::Value;

const MASK: &str = "[REDACTED]";

/// Field names whose values are credentials whatever they look like: any name containing one
/// of these words (`apiKey`, `x-goog-api-key`, `client_secret`, `refresh_token`,
/// `db_password`, `aws_credentials`, `Authorization`, …).
fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "key",
        "secret",
        "token",
        "password",
        "passwd",
        "credential",
        "authorization",
        "cookie",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// Prefixes of well-known key formats (OpenAI/Anthropic/OmniRoute `sk-`, Google `AIza`,
/// GitHub, Groq, xAI, Slack).
const KEY_PREFIXES: &[&str] = &[
    "sk-",
    "AIza",
    "ghp_",
    "gho_",
    "github_pat_",
    "gsk_",
    "xai-",
    "xox",
];
const MIN_KEY_CHARS: usize = 20;

/// Masks key-shaped words inside free text.
fn redact_text(text: &str, known: &[&str]) -> Option<String> {
    let mut out = text.to_owned();
    let mut changed = false;
    for key in known.iter().filter(|k| k.len() >= 8) {
        if out.contains(key) {
            out = out.replace(key, MASK);
            changed = true;
        }
    }
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(start) = rest.find(|c: char| is_key_char(c)) {
        result.push_str(&rest[..start]);
        let word_end = rest[start..]
            .find(|c: char| !is_key_char(c))
            .map_or(rest.len(), |e| start + e);
        let word = &rest[start..word_end];
        if word.len() >= MIN_KEY_CHARS && KEY_PREFIXES.iter().any(|p| word.starts_with(p)) {
            result.push_str(MASK);
            changed = true;
        } else {
            result.push_str(word);
        }
        rest = &rest[word_end..];
    }
    result.push_str(rest);
    changed.then_some(result)
}

fn redact_value(value: &mut Value, known: &[&str]) {
    match value {
        Value::Object(map) => {
            for (name, v) in map.iter_mut() {
                // Counts such as `max_tokens` are not credentials: only text and structures
                // under a credential name are masked.
                if is_secret_field(name)
                    && !matches!(v, Value::Null | Value::Number(_) | Value::Bool(_))
                {
                    *v = Value::String(MASK.into());
                } else {
                    redact_value(v, known);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, known)),
        Value::String(s) => {
            if let Some(clean) = redact_text(s, known) {
                *s = clean;
            }
        }
        _ => {}
    }
}

/// A body as it may be stored: JSON redacted field by field, anything else (SSE, text) as
/// text with key-shaped words masked; cut to `max_bytes`.
pub fn redact_body(body: &[u8], known: &[&str], max_bytes: usize) -> String {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(mut value) => {
            redact_value(&mut value, known);
            value.to_string()
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            redact_text(&text, known).unwrap_or_else(|| text.into_owned())
        }
    };
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…[cut: {} bytes in all]", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_key_shaped_words_are_masked() {
        let body = br#"{"model":"m","api_key":"plain-secret","messages":[{"role":"user","content":"my key is sk-ant-api03-abcdefghijklmnopqrstuvwxyz and AIzaSyA1234567890abcdefghij, thanks"}],"metadata":{"Authorization":"Bearer x"}}"#;
        let out = redact_body(body, &[], 1 << 20);
        assert!(!out.contains("plain-secret"), "{out}");
        assert!(!out.contains("sk-ant-api03"), "{out}");
        assert!(!out.contains("AIzaSy"), "{out}");
        assert!(!out.contains("Bearer x"), "{out}");
        assert!(
            out.contains("my key is [REDACTED] and [REDACTED], thanks"),
            "{out}"
        );
        assert!(out.contains(r#""model":"m""#), "{out}");
    }

    #[test]
    fn known_connection_keys_are_masked_in_any_body() {
        let sse = b"data: {\"x\":\"the key 0123456789secret appears\"}\n\n";
        let out = redact_body(sse, &["0123456789secret"], 1 << 20);
        assert!(!out.contains("0123456789secret"), "{out}");
        let short = redact_body(b"sk-short", &[], 1 << 20);
        assert_eq!(short, "sk-short");
    }

    #[test]
    fn any_field_named_like_a_credential_is_masked_but_counts_stay() {
        let body = br#"{"model":"m","max_tokens":512,"metadata":{"db_password":"hunter2","aws_credentials":{"id":"AKIA","s":"x"},"refresh_token":"r-1","X-Goog-Api-Key":"g","session_cookie":"c","clientSecret":"cs"},"usage":{"input_tokens":3}}"#;
        let out = redact_body(body, &[], 1 << 20);
        for secret in ["hunter2", "AKIA", "r-1", "\"g\"", "\"c\"", "\"cs\""] {
            assert!(!out.contains(secret), "{secret} in {out}");
        }
        assert!(out.contains(r#""max_tokens":512"#), "{out}");
        assert!(out.contains(r#""input_tokens":3"#), "{out}");
    }

    #[test]
    fn long_bodies_are_cut_on_a_char_boundary() {
        let out = redact_body("ééééé".as_bytes(), &[], 3);
        assert!(out.starts_with('é'), "{out}");
        assert!(out.contains("[cut: 10 bytes in all]"), "{out}");
    }
}
