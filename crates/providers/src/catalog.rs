//! The provider catalog: every provider OmniRoute knows, as data. Adding an OpenAI-compatible
//! provider is one entry in `catalog.json`.

use std::collections::BTreeMap;

use omniroute_formats::Format;
use serde::{Deserialize, Serialize};

/// How an upstream expects its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>`
    Bearer,
    /// `x-api-key: <key>` (Anthropic)
    XApiKey,
    /// `x-goog-api-key: <key>` (Gemini)
    XGoogApiKey,
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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelEntry {
    pub id: String,
    #[serde(default)]
    pub context: Option<u64>,
    #[serde(default)]
    pub input_per_1k: Option<f64>,
    #[serde(default)]
    pub output_per_1k: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderEntry {
    /// Also the model prefix (`openai/gpt-4o`).
    pub id: String,
    pub name: String,
    pub tier: String,
    pub format: Format,
    pub base_url: String,
    pub auth: AuthStyle,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalog {
    pub providers: Vec<ProviderEntry>,
}

#[derive(Debug, thiserror::Error)]
#[error("provider catalog is invalid: {0}")]
pub struct CatalogError(String);

impl Catalog {
    /// The catalog compiled into this build.
    pub fn builtin() -> Result<Self, CatalogError> {
        serde_json::from_str(include_str!("../catalog.json"))
            .map_err(|e| CatalogError(e.to_string()))
    }

    pub fn get(&self, id: &str) -> Option<&ProviderEntry> {
        self.providers.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_ids_are_unique() {
        let catalog = Catalog::builtin().unwrap();
        let mut ids: Vec<&str> = catalog.providers.iter().map(|p| p.id.as_str()).collect();
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert_eq!(catalog.get("anthropic").unwrap().format, Format::Anthropic);
        assert_eq!(catalog.get("gemini").unwrap().auth, AuthStyle::XGoogApiKey);
    }
}
