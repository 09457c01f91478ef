//! The OpenAI Responses API on the wire: the create request, input/output items, the `response`
//! object, stream events and error bodies. One set of types serves both directions:
//! `#[serde(default)]` makes decoding lenient (fields missing from a client or upstream default),
//! while serialization writes every field the SDKs and Codex CLI expect.

use serde::de::{DeserializeOwned, Error as _, IgnoredAny};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::tagged::{Tagged, lenient};

/// `POST /v1/responses` body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CreateRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Input>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub tools: Vec<Tagged<ToolDef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safety_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<bool>,
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub include: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// State kept by OpenAI and features only OpenAI has, read only to be refused when the
    /// request is translated (see `untranslatable.rs`).
    #[serde(skip_serializing, deserialize_with = "lenient")]
    pub previous_response_id: Option<String>,
    #[serde(skip_serializing)]
    pub conversation: Option<IgnoredAny>,
    #[serde(skip_serializing)]
    pub prompt: Option<IgnoredAny>,
    #[serde(skip_serializing, deserialize_with = "lenient")]
    pub background: Option<bool>,
    #[serde(skip_serializing, deserialize_with = "lenient")]
    pub top_logprobs: Option<u64>,
}

/// `input`: a plain string (one user message) or a list of items.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Text(String),
    Items(Vec<LenientItem>),
}

/// An input item that may omit `type` when it is an "easy" message (`{role, content}`).
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct LenientItem {
    pub item: Item,
    /// The item's `type` as read, so an `Item::Other` can be named when it is refused.
    #[serde(skip)]
    pub kind: String,
}

impl From<Item> for LenientItem {
    fn from(item: Item) -> Self {
        Self {
            item,
            kind: String::new(),
        }
    }
}

impl<'de> Deserialize<'de> for LenientItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut value = Value::deserialize(deserializer)?;
        if let Value::Object(map) = &mut value {
            if !map.contains_key("type") && map.contains_key("role") {
                map.insert("type".into(), Value::String("message".into()));
            }
        }
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let item = Item::deserialize(value).map_err(D::Error::custom)?;
        Ok(Self { item, kind })
    }
}

/// Input and output items. Item types this gateway cannot translate (web search calls, local
/// shell calls, item references, compaction …) decode as `Other` and are skipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Item {
    Message(MessageItem),
    FunctionCall(FunctionCallItem),
    FunctionCallOutput(CallOutputItem),
    CustomToolCall(CustomToolCallItem),
    CustomToolCallOutput(CallOutputItem),
    Reasoning(ReasoningItem),
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub role: String,
    #[serde(deserialize_with = "null_default")]
    pub content: Content,
}

/// Message content: a string or a list of parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<Tagged<ContentPart>>),
}

impl Default for Content {
    fn default() -> Self {
        Self::Parts(Vec::new())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    InputText {
        #[serde(default)]
        text: String,
    },
    OutputText {
        #[serde(default)]
        text: String,
        /// Always written (as `[]`): the SDKs declare it required on output text.
        #[serde(default)]
        annotations: Vec<Value>,
    },
    InputImage {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        image_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    Refusal {
        #[serde(default)]
        refusal: String,
    },
    /// `input_file`, `input_audio` and future part types.
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FunctionCallItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub call_id: String,
    pub name: String,
    /// The `namespace` tool group the called tool is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub arguments: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl FunctionCallItem {
    /// The called tool's name as other formats know it (a namespace member's is flattened).
    pub fn full_name(&self) -> String {
        full_name(self.namespace.as_deref(), &self.name)
    }
}

impl CustomToolCallItem {
    /// The called tool's name as other formats know it (a namespace member's is flattened).
    pub fn full_name(&self) -> String {
        full_name(self.namespace.as_deref(), &self.name)
    }
}

fn full_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if !ns.is_empty() => crate::ir::namespaced_name(ns, name),
        _ => name.to_owned(),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomToolCallItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub call_id: String,
    pub name: String,
    /// The `namespace` tool group the called tool is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub input: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `function_call_output` and `custom_tool_call_output`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallOutputItem {
    pub call_id: String,
    #[serde(default, deserialize_with = "null_default")]
    pub output: ToolOutput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolOutput {
    Text(String),
    Parts(Vec<Tagged<ContentPart>>),
}

impl Default for ToolOutput {
    fn default() -> Self {
        Self::Text(String::new())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReasoningItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Always written, even empty: Codex requires the field on reasoning items.
    #[serde(deserialize_with = "null_default")]
    pub summary: Vec<SummaryPart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<Vec<ReasoningText>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted_content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `{"type":"summary_text","text"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryPart {
    #[serde(rename = "type", default = "summary_text")]
    pub kind: String,
    #[serde(default)]
    pub text: String,
}

impl SummaryPart {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            kind: summary_text(),
            text: text.into(),
        }
    }
}

fn summary_text() -> String {
    "summary_text".into()
}

/// `{"type":"reasoning_text","text"}` (raw reasoning of open-weight models).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReasoningText {
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
}

/// Tool definitions. Function tools are flat (no nested `function` object); a nested one sent
/// by a Chat-minded client is accepted anyway. Built-in tools decode as `Other` and are dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolDef {
    Function(FunctionTool),
    Custom(CustomTool),
    /// A group of tools under one name (Codex sends each MCP server's tools as one); calls of
    /// its members carry `namespace` next to `name`.
    Namespace(NamespaceTool),
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamespaceTool {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub tools: Vec<ToolDef>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FunctionTool {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub parameters: Option<Value>,
    pub strict: Option<bool>,
    #[serde(skip_serializing)]
    pub function: Option<NestedFunction>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NestedFunction {
    pub name: String,
    pub description: Option<String>,
    pub parameters: Option<Value>,
    pub strict: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomTool {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `{"type":"text"}` or `{"type":"grammar","syntax","definition"}`, passed through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Value>,
}

/// `"auto" | "none" | "required"` or `{"type":"function"|"custom","name"}` (also
/// `{"type":"allowed_tools","mode"}` and hosted tool types, which only keep their mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(String),
    Named(NamedToolChoice),
}

impl Default for ToolChoice {
    fn default() -> Self {
        Self::Mode("auto".into())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamedToolChoice {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// `allowed_tools`: the tools the model may call, read only to be refused when translated.
    #[serde(skip_serializing, deserialize_with = "lenient")]
    pub tools: Option<Vec<IgnoredAny>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReasoningConfig {
    pub effort: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Deprecated spelling of `summary`.
    #[serde(skip_serializing)]
    pub generate_summary: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TextConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<Tagged<TextFormat>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TextFormat {
    Text,
    JsonObject,
    JsonSchema {
        #[serde(default)]
        name: String,
        #[serde(default)]
        schema: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        strict: Option<bool>,
    },
    #[serde(other)]
    Other,
}

/// The `response` object (non-streamed body, and inside lifecycle stream events). Fields the
/// translation does not read are echoed configuration; a malformed one never fails decoding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseObject {
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    pub object: String,
    #[serde(deserialize_with = "lenient_u64")]
    pub created_at: u64,
    pub status: Option<String>,
    #[serde(deserialize_with = "tolerant")]
    pub error: Option<ResponseError>,
    #[serde(deserialize_with = "tolerant")]
    pub incomplete_details: Option<IncompleteDetails>,
    #[serde(deserialize_with = "tolerant")]
    pub instructions: Option<String>,
    #[serde(deserialize_with = "tolerant")]
    pub max_output_tokens: Option<u64>,
    #[serde(deserialize_with = "null_default")]
    pub model: String,
    #[serde(deserialize_with = "null_default")]
    pub output: Vec<Item>,
    #[serde(deserialize_with = "tolerant")]
    pub parallel_tool_calls: bool,
    #[serde(deserialize_with = "tolerant")]
    pub previous_response_id: Option<String>,
    #[serde(deserialize_with = "tolerant")]
    pub reasoning: Option<ReasoningConfig>,
    #[serde(deserialize_with = "tolerant")]
    pub store: bool,
    #[serde(deserialize_with = "tolerant")]
    pub temperature: Option<f64>,
    #[serde(deserialize_with = "tolerant")]
    pub text: TextConfig,
    #[serde(deserialize_with = "tolerant")]
    pub tool_choice: ToolChoice,
    #[serde(deserialize_with = "tolerant")]
    pub tools: Vec<ToolDef>,
    #[serde(deserialize_with = "tolerant")]
    pub top_p: Option<f64>,
    #[serde(deserialize_with = "tolerant")]
    pub truncation: Option<String>,
    #[serde(deserialize_with = "tolerant")]
    pub usage: Option<Usage>,
    #[serde(deserialize_with = "tolerant")]
    pub user: Option<String>,
    #[serde(deserialize_with = "tolerant")]
    pub metadata: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseError {
    pub code: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IncompleteDetails {
    pub reason: Option<String>,
}

/// Token counts; `input_tokens` includes cached ones and `output_tokens` reasoning ones.
/// Codex requires integer counts and, when a details object is present, its integer field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    #[serde(deserialize_with = "lenient_u64")]
    pub input_tokens: u64,
    #[serde(deserialize_with = "tolerant")]
    pub input_tokens_details: Option<InputTokensDetails>,
    #[serde(deserialize_with = "lenient_u64")]
    pub output_tokens: u64,
    #[serde(deserialize_with = "tolerant")]
    pub output_tokens_details: Option<OutputTokensDetails>,
    #[serde(deserialize_with = "lenient_u64")]
    pub total_tokens: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InputTokensDetails {
    #[serde(deserialize_with = "lenient_u64")]
    pub cached_tokens: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputTokensDetails {
    #[serde(deserialize_with = "lenient_u64")]
    pub reasoning_tokens: u64,
}

mod events;
pub use events::*;

/// `{"error": …}` as an HTTP error body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorBody {
    #[serde(deserialize_with = "tolerant")]
    pub error: Option<ErrorDetail>,
    /// The ChatGPT backend answers some failures with `{"detail": "…"}`.
    #[serde(skip_serializing, deserialize_with = "tolerant")]
    pub detail: Option<String>,
    #[serde(skip_serializing, deserialize_with = "tolerant")]
    pub message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorDetail {
    #[serde(deserialize_with = "tolerant")]
    pub message: String,
    #[serde(rename = "type", deserialize_with = "tolerant")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "tolerant")]
    pub param: Option<String>,
    #[serde(deserialize_with = "tolerant")]
    pub code: Option<String>,
}

/// Reads any JSON value and keeps it only if it has the expected shape (else the default):
/// for echoed or advisory fields whose odd shape must not fail a whole response.
fn tolerant<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    let value = Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).unwrap_or_default())
}

/// A field sent as `null` reads as its default, like a missing one.
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An unsigned count or timestamp that may arrive as a float or `null`.
fn lenient_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let number = Option::<serde_json::Number>::deserialize(deserializer)?;
    Ok(number
        .and_then(|n| n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64)))
        .unwrap_or(0))
}
