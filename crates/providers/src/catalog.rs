//! The provider catalog: every provider OmniRoute knows, as data. Adding an OpenAI-compatible
//! provider is one entry in `catalog.json`; a user file `DATA_DIR/providers.json` of the same
//! shape adds providers or replaces built-in entries by id without an app update.

use std::collections::BTreeMap;
use std::path::Path;

use omniroute_formats::Format;
use serde::{Deserialize, Serialize};

/// How an upstream expects its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>`
    Bearer,
    /// `x-api-key: <key>` (Anthropic)
    XApiKey,
    /// `x-goog-api-key: <key>` (Gemini)
    XGoogApiKey,
    /// `Authorization: Token <key>` (Deepgram)
    Token,
    /// `Authorization: <key>` (AssemblyAI)
    Raw,
    /// No credential.
    None,
}

impl AuthStyle {
    /// The auth style a format's official API uses.
    pub fn for_format(format: Format) -> Self {
        match format {
            Format::OpenAiChat | Format::Responses => Self::Bearer,
            Format::Anthropic => Self::XApiKey,
            Format::Gemini => Self::XGoogApiKey,
        }
    }

    /// The header carrying `key` in this style, if any.
    pub fn header(self, key: &str) -> Option<(&'static str, String)> {
        match self {
            Self::Bearer => Some(("authorization", format!("Bearer {key}"))),
            Self::XApiKey => Some(("x-api-key", key.to_owned())),
            Self::XGoogApiKey => Some(("x-goog-api-key", key.to_owned())),
            Self::Token => Some(("authorization", format!("Token {key}"))),
            Self::Raw => Some(("authorization", key.to_owned())),
            Self::None => None,
        }
    }
}

/// The protocol an upstream speaks: one of the four client formats, or a provider's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum Wire {
    Openai,
    Anthropic,
    Gemini,
    Responses,
    /// ChatGPT's Codex backend behind Codex logins: the Responses API, always streamed, never
    /// stored.
    Codex,
    /// Google's Code Assist API behind Gemini CLI logins (`v1internal:generateContent`).
    GeminiCodeAssist,
    /// Amazon CodeWhisperer behind Kiro logins (AWS event-stream responses).
    Kiro,
    /// Deepgram's `/v1/listen` transcription API.
    Deepgram,
    /// AssemblyAI's upload → transcript → poll API.
    Assemblyai,
}

impl Wire {
    /// The wire of an upstream speaking one of the four client formats.
    pub fn from_format(format: Format) -> Self {
        match format {
            Format::OpenAiChat => Self::Openai,
            Format::Anthropic => Self::Anthropic,
            Format::Gemini => Self::Gemini,
            Format::Responses => Self::Responses,
        }
    }

    /// The client format chat bodies and answers are carried in on this wire: its own for
    /// the four APIs; the one the adapter wraps (Code Assist: Gemini in an envelope; Codex:
    /// Responses) or re-encodes (Kiro's event stream as Anthropic's). `None`: no chat.
    pub fn chat_format(self) -> Option<Format> {
        match self {
            Self::Openai => Some(Format::OpenAiChat),
            Self::Anthropic | Self::Kiro => Some(Format::Anthropic),
            Self::Gemini | Self::GeminiCodeAssist => Some(Format::Gemini),
            Self::Responses | Self::Codex => Some(Format::Responses),
            Self::Deepgram | Self::Assemblyai => None,
        }
    }

    /// Whether a client body of the carrier format may go upstream as sent (unknown fields
    /// kept): not when the adapter rebuilds it in a protocol of its own.
    pub fn relays_client_body(self) -> bool {
        self != Self::Kiro
    }
}

/// How a user connects an account of the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Login {
    ApiKey,
    OauthPkce,
    DeviceCode,
    Oauth,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    #[default]
    Chat,
    Embedding,
    Image,
    Audio,
}

impl ModelKind {
    /// The kind with its article, for messages ("an embedding").
    pub fn with_article(self) -> &'static str {
        match self {
            Self::Chat => "a chat",
            Self::Embedding => "an embedding",
            Self::Image => "an image",
            Self::Audio => "an audio",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ModelEntry {
    pub id: String,
    #[serde(default)]
    pub kind: ModelKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<u64>,
    /// USD per 1,000 input tokens (0 for subscription and free tiers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_per_1k: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_per_1k: Option<f64>,
    /// The wire this model is reached on, when not the provider's (Copilot serves Claude
    /// models on its Anthropic endpoint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wire: Option<Wire>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    /// Also the model prefix (`openai/gpt-4o`).
    pub id: String,
    pub name: String,
    /// `subscription`, `cheap`, `free`, `api-key` or `audio`.
    pub tier: String,
    pub wire: Wire,
    pub base_url: String,
    pub auth: AuthStyle,
    pub login: Login,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub models: Vec<ModelEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Operations served by another protocol than the wire's own (Fireworks' FLUX models draw
    /// through its workflow API, not its OpenAI-compatible images endpoint).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adapters: Vec<AdapterRule>,
    /// When the provider's own quota windows reset on the calendar (GLM daily at 10:00,
    /// Copilot monthly): the reset of a used-up quota its 429 does not time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quota_resets: Vec<crate::quota::CalendarReset>,
    /// A request header saying who started the turn: `user` when the last message is the
    /// user's, `agent` when the turn continues after tool results (Copilot's `x-initiator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiator_header: Option<String>,
    /// How accounts sign in, for subscription providers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<crate::oauth::OAuthSpec>,
}

/// The adapters the catalog can name (code for a protocol that differs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum AdapterId {
    /// Fireworks' text-to-image workflow API (`/workflows/{model}/text_to_image`).
    FireworksWorkflow,
}

/// "This operation, for these models, goes through that adapter."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct AdapterRule {
    pub operation: crate::target::Operation,
    pub adapter: AdapterId,
    /// Models whose last path segment starts with this (any case); absent: every model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_prefix: Option<String>,
}

impl AdapterRule {
    pub fn matches(&self, model: &str) -> bool {
        let Some(prefix) = &self.model_prefix else {
            return true;
        };
        model.rsplit('/').next().is_some_and(|name| {
            name.to_ascii_lowercase()
                .starts_with(&prefix.to_ascii_lowercase())
        })
    }
}

impl ProviderEntry {
    pub fn model(&self, id: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.id == id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub providers: Vec<ProviderEntry>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the built-in provider catalog is invalid: {0}")]
    Builtin(String),
    #[error("provider catalog {path} is invalid: {reason}")]
    User { path: String, reason: String },
}

/// The file in `DATA_DIR` that extends the built-in catalog.
pub const USER_CATALOG_FILE: &str = "providers.json";

impl Catalog {
    /// The catalog compiled into this build.
    pub fn builtin() -> Result<Self, CatalogError> {
        serde_json::from_str(include_str!("../catalog.json"))
            .map_err(|e| CatalogError::Builtin(e.to_string()))
    }

    /// The built-in catalog extended by `data_dir/providers.json` when that file exists:
    /// entries with a new id are added, entries with a known id replace the built-in one.
    pub fn load(data_dir: &Path) -> Result<Self, CatalogError> {
        let mut catalog = Self::builtin()?;
        let path = data_dir.join(USER_CATALOG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(catalog),
            Err(e) => {
                return Err(CatalogError::User {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                });
            }
        };
        let user: Catalog = serde_json::from_str(&text).map_err(|e| CatalogError::User {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        for entry in user.providers {
            match catalog.providers.iter_mut().find(|p| p.id == entry.id) {
                Some(existing) => *existing = entry,
                None => catalog.providers.push(entry),
            }
        }
        Ok(catalog)
    }

    pub fn get(&self, id: &str) -> Option<&ProviderEntry> {
        self.providers.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE_IDS: &str = "cc cx gc gh glm minimax kimi if qw kr ds groq xai mistral pplx together fireworks cerebras cohere nvidia openai anthropic gemini openrouter deepgram assemblyai";

    #[test]
    fn builtin_catalog_has_every_provider_of_the_guide_once() {
        let catalog = Catalog::builtin().unwrap();
        let mut ids: Vec<&str> = catalog.providers.iter().map(|p| p.id.as_str()).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate ids");
        for id in GUIDE_IDS.split_whitespace() {
            assert!(catalog.get(id).is_some(), "{id} missing");
        }
        for (provider, model) in [
            ("cc", "claude-opus-4-6"),
            ("glm", "glm-4.7"),
            ("minimax", "MiniMax-M2.1"),
            ("groq", "llama-3.3-70b-versatile"),
            ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
            ("fireworks", "accounts/fireworks/models/deepseek-v3p1"),
            ("nvidia", "nvidia/llama-3.3-70b-instruct"),
            ("deepgram", "nova-3"),
        ] {
            assert!(
                catalog.get(provider).unwrap().model(model).is_some(),
                "{provider}/{model}"
            );
        }
        for p in &catalog.providers {
            assert!(p.base_url.starts_with("https://"), "{}", p.id);
            if p.tier == "subscription" || p.tier == "free" {
                assert!(
                    p.models.iter().all(|m| m.input_per_1k == Some(0.0)),
                    "{} must cost 0",
                    p.id
                );
            }
        }
    }

    #[test]
    fn a_user_file_adds_and_replaces_entries() {
        let dir = std::env::temp_dir().join(format!("omniroute-catalog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(USER_CATALOG_FILE),
            r#"{"providers": [
                {"id": "groq", "name": "Groq EU", "tier": "api-key", "wire": "openai", "base_url": "https://eu.groq.example/v1", "auth": "bearer", "login": "api_key"},
                {"id": "myllm", "name": "Mine", "tier": "api-key", "wire": "anthropic", "base_url": "https://llm.example", "auth": "x-api-key", "login": "api_key"}
            ]}"#,
        )
        .unwrap();
        let catalog = Catalog::load(&dir).unwrap();
        assert_eq!(
            catalog.get("groq").unwrap().base_url,
            "https://eu.groq.example/v1"
        );
        assert_eq!(catalog.get("myllm").unwrap().wire, Wire::Anthropic);
        std::fs::write(
            dir.join(USER_CATALOG_FILE),
            "{\"providers\": [{\"id\": 1}]}",
        )
        .unwrap();
        let err = Catalog::load(&dir).unwrap_err().to_string();
        assert!(err.contains("providers.json is invalid"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
