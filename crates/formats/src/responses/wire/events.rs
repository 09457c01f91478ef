//! Stream events of the Responses API: lifecycle events carrying the `response` object, item
//! events, and deltas addressed by `item_id` and `output_index`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ContentPart, ErrorDetail, Item, ResponseObject, SummaryPart, tolerant};

/// Stream events, named by their `type` (which equals the SSE event name). Each is written
/// inside [`Sequenced`], which adds `sequence_number`. Events not listed decode as `Other`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum StreamEvent {
    #[serde(rename = "response.created")]
    Created(ResponseEnvelope),
    #[serde(rename = "response.in_progress")]
    InProgress(ResponseEnvelope),
    #[serde(rename = "response.completed")]
    Completed(ResponseEnvelope),
    #[serde(rename = "response.incomplete")]
    Incomplete(ResponseEnvelope),
    #[serde(rename = "response.failed")]
    Failed(ResponseEnvelope),
    #[serde(rename = "response.output_item.added")]
    OutputItemAdded(ItemEvent),
    #[serde(rename = "response.output_item.done")]
    OutputItemDone(ItemEvent),
    #[serde(rename = "response.content_part.added")]
    ContentPartAdded(ContentPartEvent),
    #[serde(rename = "response.content_part.done")]
    ContentPartDone(ContentPartEvent),
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta(TextDeltaEvent),
    #[serde(rename = "response.output_text.done")]
    OutputTextDone(TextDoneEvent),
    #[serde(rename = "response.refusal.delta")]
    RefusalDelta(DeltaEvent),
    #[serde(rename = "response.reasoning_summary_part.added")]
    SummaryPartAdded(SummaryPartEvent),
    #[serde(rename = "response.reasoning_summary_part.done")]
    SummaryPartDone(SummaryPartEvent),
    #[serde(rename = "response.reasoning_summary_text.delta")]
    SummaryTextDelta(SummaryTextDeltaEvent),
    #[serde(rename = "response.reasoning_summary_text.done")]
    SummaryTextDone(SummaryTextDoneEvent),
    #[serde(rename = "response.reasoning_text.delta")]
    ReasoningTextDelta(DeltaEvent),
    #[serde(rename = "response.function_call_arguments.delta")]
    ArgumentsDelta(DeltaEvent),
    #[serde(rename = "response.function_call_arguments.done")]
    ArgumentsDone(ArgumentsDoneEvent),
    #[serde(rename = "response.custom_tool_call_input.delta")]
    CustomInputDelta(DeltaEvent),
    #[serde(rename = "response.custom_tool_call_input.done")]
    CustomInputDone(CustomInputDoneEvent),
    #[serde(rename = "error")]
    Error(ErrorEvent),
    #[serde(other)]
    Other,
}

impl StreamEvent {
    /// The event's `type`, also its SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Created(_) => "response.created",
            Self::InProgress(_) => "response.in_progress",
            Self::Completed(_) => "response.completed",
            Self::Incomplete(_) => "response.incomplete",
            Self::Failed(_) => "response.failed",
            Self::OutputItemAdded(_) => "response.output_item.added",
            Self::OutputItemDone(_) => "response.output_item.done",
            Self::ContentPartAdded(_) => "response.content_part.added",
            Self::ContentPartDone(_) => "response.content_part.done",
            Self::OutputTextDelta(_) => "response.output_text.delta",
            Self::OutputTextDone(_) => "response.output_text.done",
            Self::RefusalDelta(_) => "response.refusal.delta",
            Self::SummaryPartAdded(_) => "response.reasoning_summary_part.added",
            Self::SummaryPartDone(_) => "response.reasoning_summary_part.done",
            Self::SummaryTextDelta(_) => "response.reasoning_summary_text.delta",
            Self::SummaryTextDone(_) => "response.reasoning_summary_text.done",
            Self::ReasoningTextDelta(_) => "response.reasoning_text.delta",
            Self::ArgumentsDelta(_) => "response.function_call_arguments.delta",
            Self::ArgumentsDone(_) => "response.function_call_arguments.done",
            Self::CustomInputDelta(_) => "response.custom_tool_call_input.delta",
            Self::CustomInputDone(_) => "response.custom_tool_call_input.done",
            Self::Error(_) => "error",
            Self::Other => "other",
        }
    }
}

/// An event as written: its fields plus the stream-wide `sequence_number`.
#[derive(Debug, Serialize)]
pub struct Sequenced<'a> {
    #[serde(flatten)]
    pub event: &'a StreamEvent,
    pub sequence_number: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseEnvelope {
    pub response: ResponseObject,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemEvent {
    #[serde(default)]
    pub output_index: usize,
    pub item: Item,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContentPartEvent {
    pub item_id: String,
    pub output_index: usize,
    pub content_index: usize,
    #[serde(deserialize_with = "tolerant")]
    pub part: Option<ContentPart>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TextDeltaEvent {
    pub item_id: String,
    pub output_index: usize,
    pub content_index: usize,
    pub delta: String,
    #[serde(deserialize_with = "tolerant")]
    pub logprobs: Vec<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TextDoneEvent {
    pub item_id: String,
    pub output_index: usize,
    pub content_index: usize,
    pub text: String,
    #[serde(deserialize_with = "tolerant")]
    pub logprobs: Vec<Value>,
}

/// Delta events addressed by item: function arguments, custom tool input, refusal and raw
/// reasoning text (the last two also carry a `content_index`, which is not needed here).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeltaEvent {
    pub item_id: String,
    pub output_index: usize,
    pub delta: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SummaryPartEvent {
    pub item_id: String,
    pub output_index: usize,
    pub summary_index: usize,
    pub part: SummaryPart,
}

impl Default for SummaryPart {
    fn default() -> Self {
        Self::new("")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SummaryTextDeltaEvent {
    pub item_id: String,
    pub output_index: usize,
    pub summary_index: usize,
    pub delta: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SummaryTextDoneEvent {
    pub item_id: String,
    pub output_index: usize,
    pub summary_index: usize,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArgumentsDoneEvent {
    pub item_id: String,
    pub output_index: usize,
    pub arguments: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomInputDoneEvent {
    pub item_id: String,
    pub output_index: usize,
    pub input: String,
}

/// The `error` stream event. Some backends nest the details in an `error` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorEvent {
    #[serde(deserialize_with = "tolerant")]
    pub code: Option<String>,
    #[serde(deserialize_with = "tolerant")]
    pub message: Option<String>,
    #[serde(deserialize_with = "tolerant")]
    pub param: Option<String>,
    #[serde(skip_serializing, deserialize_with = "tolerant")]
    pub error: Option<ErrorDetail>,
}
