//! Credentials copied from an official client's own file, when the user asks: Claude Code's
//! `~/.claude/.credentials.json`, Codex's `~/.codex/auth.json`, Gemini CLI's
//! `~/.gemini/oauth_creds.json`, Kiro's `~/.aws/sso/cache/kiro-auth-token.json`. Each file's
//! shape is read into the credential OmniRoute stores. Pure: the caller reads the file.

use serde::{Deserialize, Serialize};

use super::tokens::{Credential, Identity, identity_of_id_token};

/// Which client's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum ImportFormat {
    ClaudeCode,
    Codex,
    GeminiCli,
    Kiro,
}

/// Where an official client keeps its sign-in (catalog data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    /// The file, `~/` meaning the home directory of the user running OmniRoute.
    pub path: String,
    pub format: ImportFormat,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not {what}: {reason}")]
    Shape { what: &'static str, reason: String },
    #[error("the file holds no sign-in ({0})")]
    Empty(&'static str),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClaudeFile {
    claude_ai_oauth: Option<ClaudeOauth>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClaudeOauth {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    /// Unix ms.
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    subscription_type: Option<String>,
}

#[derive(Deserialize)]
struct CodexFile {
    tokens: Option<CodexTokens>,
}

#[derive(Deserialize)]
struct CodexTokens {
    #[serde(default)]
    id_token: Option<String>,
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
}

#[derive(Deserialize)]
struct GeminiFile {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    /// Unix ms.
    #[serde(default)]
    expiry_date: Option<i64>,
    #[serde(default)]
    id_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KiroFile {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    profile_arn: Option<String>,
}

fn shape<T: for<'de> Deserialize<'de>>(what: &'static str, bytes: &[u8]) -> Result<T, ImportError> {
    serde_json::from_slice(bytes).map_err(|e| ImportError::Shape {
        what,
        reason: e.to_string(),
    })
}

/// The credential and what the file says about the account.
pub fn parse(format: ImportFormat, bytes: &[u8]) -> Result<(Credential, Identity), ImportError> {
    match format {
        ImportFormat::ClaudeCode => {
            let file: ClaudeFile = shape("Claude Code's .credentials.json", bytes)?;
            let oauth = file
                .claude_ai_oauth
                .ok_or(ImportError::Empty("no claudeAiOauth"))?;
            let identity = Identity {
                plan: oauth.subscription_type,
                ..Identity::default()
            };
            Ok((
                Credential {
                    access_token: oauth.access_token,
                    refresh_token: oauth.refresh_token,
                    expires_at_ms: oauth.expires_at,
                    ..Credential::default()
                },
                identity,
            ))
        }
        ImportFormat::Codex => {
            let file: CodexFile = shape("Codex's auth.json", bytes)?;
            let tokens = file.tokens.ok_or(ImportError::Empty(
                "no ChatGPT tokens (signed in with an API key?)",
            ))?;
            let identity = identity_of_id_token(tokens.id_token.as_deref());
            Ok((
                Credential {
                    access_token: tokens.access_token,
                    refresh_token: tokens.refresh_token,
                    account_id: tokens.account_id.or_else(|| identity.account_id.clone()),
                    ..Credential::default()
                },
                identity,
            ))
        }
        ImportFormat::GeminiCli => {
            let file: GeminiFile = shape("Gemini CLI's oauth_creds.json", bytes)?;
            Ok((
                Credential {
                    access_token: file.access_token,
                    refresh_token: file.refresh_token,
                    expires_at_ms: file.expiry_date,
                    ..Credential::default()
                },
                identity_of_id_token(file.id_token.as_deref()),
            ))
        }
        ImportFormat::Kiro => {
            let file: KiroFile = shape("Kiro's kiro-auth-token.json", bytes)?;
            Ok((
                Credential {
                    access_token: file.access_token,
                    refresh_token: file.refresh_token,
                    expires_at_ms: file
                        .expires_at
                        .as_deref()
                        .and_then(crate::quota::rfc3339_unix_ms),
                    project: file.profile_arn,
                    ..Credential::default()
                },
                Identity::default(),
            ))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn each_clients_file_becomes_a_credential() {
        let (c, id) = parse(
            ImportFormat::ClaudeCode,
            br#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-a","refreshToken":"sk-ant-ort01-r","expiresAt":1764000000000,"scopes":["user:inference"],"subscriptionType":"max"}}"#,
        )
        .unwrap();
        assert_eq!(c.access_token, "sk-ant-oat01-a");
        assert_eq!(c.refresh_token.as_deref(), Some("sk-ant-ort01-r"));
        assert_eq!(c.expires_at_ms, Some(1_764_000_000_000));
        assert_eq!(id.plan.as_deref(), Some("max"));

        let (c, _) = parse(
            ImportFormat::Codex,
            br#"{"OPENAI_API_KEY":null,"tokens":{"id_token":"x.e30.y","access_token":"at","refresh_token":"rt","account_id":"acc-9"},"last_refresh":"2026-11-30T10:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(c.account_id.as_deref(), Some("acc-9"));
        assert_eq!(c.refresh_token.as_deref(), Some("rt"));

        let (c, _) = parse(
            ImportFormat::GeminiCli,
            br#"{"access_token":"ya29.a","refresh_token":"1//r","scope":"s","token_type":"Bearer","expiry_date":1764000000000}"#,
        )
        .unwrap();
        assert_eq!(c.expires_at_ms, Some(1_764_000_000_000));

        let (c, _) = parse(
            ImportFormat::Kiro,
            br#"{"accessToken":"aoa","refreshToken":"aor","expiresAt":"2026-12-02T10:00:00.000Z","authMethod":"social","provider":"Github","profileArn":"arn:aws:codewhisperer:us-east-1:1:profile/X"}"#,
        )
        .unwrap();
        assert_eq!(
            c.project.as_deref(),
            Some("arn:aws:codewhisperer:us-east-1:1:profile/X")
        );
        assert_eq!(c.expires_at_ms, Some(1_796_205_600_000));
    }

    #[test]
    fn other_files_are_refused_with_the_reason() {
        let err = parse(ImportFormat::Codex, br#"{"OPENAI_API_KEY":"sk-x"}"#).unwrap_err();
        assert!(err.to_string().contains("API key"), "{err}");
        let err = parse(ImportFormat::ClaudeCode, b"not json").unwrap_err();
        assert!(err.to_string().contains("Claude Code"), "{err}");
    }
}
