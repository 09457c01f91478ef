//! One upstream as a request sees it: which provider and account, the protocol, where, with
//! which credential and proxy, and the model id as the upstream knows it. Routing builds one per
//! attempt; the adapters read it.

use omniroute_formats::Format;
use omniroute_store::SecretString;

use crate::outbound::ProxyConfig;
use crate::{AuthStyle, ModelKind, Wire};

/// What a client asked for: a conversation turn or one of the media operations.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Chat,
    Embeddings,
    Images,
    Transcription,
}

impl Operation {
    /// The catalog kind of the models that serve this operation.
    pub fn model_kind(self) -> ModelKind {
        match self {
            Self::Chat => ModelKind::Chat,
            Self::Embeddings => ModelKind::Embedding,
            Self::Images => ModelKind::Image,
            Self::Transcription => ModelKind::Audio,
        }
    }

    /// The operation in words, for messages ("provider 'x' does not serve embeddings").
    pub fn noun(self) -> &'static str {
        match self {
            Self::Chat => "chat requests",
            Self::Embeddings => "embeddings",
            Self::Images => "image generation",
            Self::Transcription => "transcription",
        }
    }
}

/// Everything needed to send one request upstream.
#[derive(Debug, Clone)]
pub struct Target {
    /// The provider id (catalog id or provider node prefix), also the model prefix.
    pub provider: String,
    /// The account (connection id) whose credential this is.
    pub account: String,
    pub wire: Wire,
    pub base_url: String,
    pub auth: AuthStyle,
    pub api_key: Option<SecretString>,
    /// The model id as the upstream knows it (after the prefix).
    pub upstream_model: String,
    /// Fixed headers of the provider (catalog).
    pub headers: Vec<(String, String)>,
    /// The outbound proxy, by precedence (connection → combo → provider → global); `None`:
    /// direct.
    pub proxy: Option<ProxyConfig>,
    /// Where a signed-in account works on the provider's side, when the protocol names it in
    /// every request: Code Assist's project, Kiro's profile ARN.
    pub project: Option<String>,
    /// The caller's own credential is used (passthrough of an official client's sign-in):
    /// the client's headers go upstream unchanged too.
    pub relay_client_headers: bool,
    /// The account keeps to its plan's limits: an answer billed as extra usage or overage
    /// counts as the plan used up.
    pub plan_limits_only: bool,
}

impl Target {
    /// The chat format this upstream speaks, when it speaks one of the four.
    pub fn format(&self) -> Option<Format> {
        self.wire.chat_format()
    }

    /// `provider/model`, as usage and telemetry name it.
    pub fn routed_model(&self) -> String {
        format!("{}/{}", self.provider, self.upstream_model)
    }
}
