//! Kiro's (CodeWhisperer's) JSON shapes: the `generateAssistantResponse` request body, the
//! payloads of the event-stream frames it answers with, and its error bodies. Field names as
//! the Kiro IDE and the public gateways send and read them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST …/generateAssistantResponse` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateAssistantResponseRequest {
    pub conversation_state: ConversationState,
    /// The CodeWhisperer profile; social (Google/GitHub) logins need it, Builder ID has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationState {
    /// Always `MANUAL` (a user-initiated chat turn).
    pub chat_trigger_type: String,
    pub conversation_id: String,
    pub current_message: CurrentMessage,
    /// Earlier turns, strictly alternating user / assistant, starting with a user turn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentMessage {
    pub user_input_message: UserInputMessage,
}

/// One history turn: exactly one of the two keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HistoryEntry {
    User {
        #[serde(rename = "userInputMessage")]
        user_input_message: UserInputMessage,
    },
    Assistant {
        #[serde(rename = "assistantResponseMessage")]
        assistant_response_message: AssistantResponseMessage,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInputMessage {
    /// Never empty: the service rejects empty content even beside tool results.
    pub content: String,
    pub model_id: String,
    /// Always `AI_EDITOR`.
    pub origin: String,
    /// Inline images; on the message itself, not in its context.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_input_message_context: Option<UserInputMessageContext>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInputMessageContext {
    /// The tool definitions; only on the current message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<ToolEntry>,
    /// Results for the tool uses of the assistant turn just before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_results: Vec<ToolResultEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// `jpeg`, `png`, `gif` or `webp`.
    pub format: String,
    pub source: ImageSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSource {
    /// Base64 of the image bytes.
    pub bytes: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolEntry {
    pub tool_specification: ToolSpecification,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSpecification {
    pub name: String,
    pub description: String,
    pub input_schema: InputSchema,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputSchema {
    /// The JSON Schema of the arguments, passed through.
    pub json: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolResultEntry {
    pub tool_use_id: String,
    pub content: Vec<TextBlock>,
    /// `success` or `error`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextBlock {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssistantResponseMessage {
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_uses: Vec<ToolUse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUse {
    pub tool_use_id: String,
    pub name: String,
    /// The arguments object (an object, not JSON text, in requests).
    pub input: Value,
}

// ---- answer frames (`:event-type` → payload) ----

/// `assistantResponseEvent`: a text delta. `codeEvent` has the same shape.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssistantResponseEvent {
    #[serde(default)]
    pub content: String,
    /// Set on suggestion payloads that are not part of the answer text.
    #[serde(default)]
    pub followup_prompt: Option<serde::de::IgnoredAny>,
}

/// `reasoningContentEvent`: reasoning text and/or its signature.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasoningContentEvent {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub signature: Option<String>,
}

/// `toolUseEvent`: one fragment of a tool call. The first fragment of a call carries the id and
/// name; `input` is usually a piece of the arguments' JSON text (fragments concatenate), but
/// some answers send the whole arguments object so far instead; `stop` marks the last fragment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolUseEvent {
    #[serde(default)]
    pub tool_use_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub input: Option<ToolInput>,
    #[serde(default)]
    pub stop: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ToolInput {
    Fragment(String),
    /// A snapshot of the arguments object (opaque JSON, kept as is).
    Snapshot(Value),
}

/// `contextUsageEvent`: how full the model's context window is, in percent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextUsageEvent {
    #[serde(default)]
    pub context_usage_percentage: Option<f64>,
}

/// `meteringEvent`: what the turn cost in Kiro credits.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeteringEvent {
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub usage: Option<f64>,
}

/// `messageMetadataEvent` / `metadataEvent` / `metricsEvent`: token counts, either nested under
/// `usage` (or `metricsEvent`) or at the top level.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataEvent {
    #[serde(default)]
    pub usage: Option<TokenCounts>,
    #[serde(default)]
    pub metrics_event: Option<TokenCounts>,
    #[serde(flatten)]
    pub top_level: TokenCounts,
}

/// Bedrock-style counts: `inputTokens` excludes the cache reads and writes counted beside it.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenCounts {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_write_input_tokens: Option<u64>,
}

/// An exception frame's payload, and Kiro's JSON error bodies:
/// `{"__type": "com.amazon.aws.codewhisperer#ThrottlingException", "message": "…"}`, or
/// `{"message": "…", "reason": "MONTHLY_REQUEST_COUNT"}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default, rename = "__type")]
    pub error_type: Option<String>,
    #[serde(default, alias = "Message")]
    pub message: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}
