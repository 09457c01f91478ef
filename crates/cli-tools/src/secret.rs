//! The gateway key and how it is shown: never in full in debug output, errors or diffs; a hint
//! (`sk-…abcd`) where a person needs to recognise it.

use std::fmt;

/// An API key of the gateway. `Debug` prints its hint only.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the files and environments it is meant for.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hint(&self) -> String {
        key_hint(&self.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.hint())
    }
}

/// The first three and last four characters of a long key, nothing of a short one.
pub fn key_hint(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        return "…".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// Words in a setting's name that mark its value as a secret.
const SECRET_NAMES: [&str; 6] = [
    "key",
    "token",
    "secret",
    "password",
    "bearer",
    "authorization",
];

/// `text` (a diff of config files) with every known secret replaced by its hint, and the value
/// of every setting whose name looks secret (`apiKey`, `…_TOKEN`, `experimental_bearer_token`)
/// masked too, so keys of other providers in the context lines do not leak either.
pub fn mask_secrets(text: &str, secrets: &[&str]) -> String {
    let mut masked = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        masked = masked.replace(secret, &key_hint(secret));
    }
    masked.split_inclusive('\n').map(mask_line).collect()
}

/// Masks the value of every `name: value` / `name = value` / `NAME=value` on the line whose
/// name looks secret (there can be several, as in a one-line JSON object).
fn mask_line(line: &str) -> String {
    if line.starts_with("@@") {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(sep) = rest.find([':', '=']) {
        let name = last_name(&rest[..sep]).to_ascii_lowercase();
        let after = &rest[sep + 1..];
        let lead = after.len() - after.trim_start().len();
        let value = &after[lead..];
        let (start, len) = match value.chars().next() {
            Some(q @ ('"' | '\'')) => (1, value[1..].find(q).unwrap_or(value.len() - 1)),
            _ => (
                0,
                value
                    .find([' ', '\t', ',', '#', '}', ']', '\r', '\n'])
                    .unwrap_or(value.len()),
            ),
        };
        let secret = &value[start..start + len];
        // Structure (`"keybindings": {`) and plain literals are not secrets.
        let literal = start == 0
            && (secret.starts_with(['{', '['])
                || ["true", "false", "null"].contains(&secret)
                || secret.parse::<f64>().is_ok());
        let masked = SECRET_NAMES.iter().any(|word| name.contains(word))
            && !secret.is_empty()
            && !secret.contains('…')
            && !literal;
        if masked {
            let at = sep + 1 + lead + start;
            out.push_str(&rest[..at]);
            out.push_str(&key_hint(secret));
            rest = &rest[at + len..];
        } else {
            out.push_str(&rest[..=sep]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The name just before a separator: `"apiKey"` in `  "apiKey"`, `TOKEN` in `export TOKEN`.
fn last_name(before: &str) -> &str {
    let trimmed = before.trim_end().trim_end_matches(['"', '\'']);
    let start = trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &trimmed[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints() {
        assert_eq!(key_hint("sk-omni-0123456789abcd"), "sk-…abcd");
        assert_eq!(key_hint("short"), "…");
        assert_eq!(
            format!("{:?}", ApiKey::new("sk-omni-0123456789abcd")),
            "ApiKey(sk-…abcd)"
        );
    }

    #[test]
    fn masks_known_and_secret_looking_values() {
        let diff = "-    \"ANTHROPIC_AUTH_TOKEN\": \"sk-old-000000000000\",\n+    \"ANTHROPIC_AUTH_TOKEN\": \"sk-new-111111111111\",\n     \"apiKey\": \"other-provider-key-2222\"\n+GEMINI_API_KEY=plain-value-3333333\n+experimental_bearer_token = 'tok-4444444444444'\n     \"model\": \"gpt\"\n";
        let masked = mask_secrets(diff, &["sk-new-111111111111"]);
        for secret in [
            "sk-old-000000000000",
            "sk-new-111111111111",
            "other-provider-key-2222",
            "plain-value-3333333",
            "tok-4444444444444",
        ] {
            assert!(!masked.contains(secret), "{secret} in {masked}");
        }
        assert!(masked.contains("\"sk-…1111\""));
        assert!(masked.contains("\"model\": \"gpt\""));
        let inline = "+  \"env\": {\"ANTHROPIC_AUTH_TOKEN\": \"sk-someone-else-99999999\", \"url\": \"http://x:1\"}\n";
        assert_eq!(
            mask_secrets(inline, &[]),
            "+  \"env\": {\"ANTHROPIC_AUTH_TOKEN\": \"sk-…9999\", \"url\": \"http://x:1\"}\n"
        );
        let structure = " \"keybindings\": {\n";
        assert_eq!(mask_secrets(structure, &[]), structure);
    }
}
