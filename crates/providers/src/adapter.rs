//! The seam between the gateway and a provider's protocol. The gateway routes (plan, accounts,
//! admission, fallback) and translates the four client APIs; an `Adapter` turns one operation
//! for one `Target` into HTTP exchanges and back. The four standard APIs (OpenAI Chat,
//! Responses, Anthropic Messages, Gemini) and every OpenAI-compatible provider share one
//! adapter driven by the catalog; a provider whose protocol differs gets its own module in
//! `adapters/` — Gemini embeddings, Fireworks image workflows, Deepgram, AssemblyAI today.
//!
//! The subscription providers plug in here too: a request envelope (Gemini Code Assist wraps
//! the Gemini body in `{model, project, request}`) or extra headers (Copilot's integration
//! headers, Claude's OAuth beta flag) are `prepare_chat`; a bearer token obtained by a token
//! exchange is the target's credential; an error body of their own is `decode_error`.

use futures_util::future::BoxFuture;
use omniroute_formats::ErrorInfo;
use omniroute_formats::ir::Usage;
use omniroute_formats::media::embeddings::EmbeddingRequest;
use omniroute_formats::media::images::ImageRequest;
use omniroute_formats::media::transcription::TranscriptionRequest;

use crate::catalog::{AdapterId, ProviderEntry};
use crate::error::UpstreamError;
use crate::http::{Prepared, Upstream};
use crate::target::{Operation, Target};
use crate::{Wire, adapters};

/// An upstream answer's bytes as they arrive (or an error saying why they stopped).
pub type AnswerBody =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<bytes::Bytes, String>> + Send>>;

/// A chat body already encoded in the target's carrier format (`Target::format`), on its way
/// upstream.
pub struct ChatBody<'a> {
    pub body: Vec<u8>,
    /// The same request in the IR, for adapters that build a body of their own (Kiro).
    pub request: &'a omniroute_formats::ir::Request,
    pub stream: bool,
    /// Client headers the upstream must see (e.g. Claude Code's `anthropic-beta`).
    pub forwarded: &'a [(String, String)],
}

/// A media request as the client sent it (OpenAI's media APIs).
pub enum MediaCall {
    Embeddings {
        /// The client's body, relayed with `model` rewritten to OpenAI-compatible upstreams.
        body: bytes::Bytes,
        request: EmbeddingRequest,
    },
    Images {
        body: bytes::Bytes,
        request: ImageRequest,
    },
    Transcription(Audio),
}

impl MediaCall {
    pub fn operation(&self) -> Operation {
        match self {
            Self::Embeddings { .. } => Operation::Embeddings,
            Self::Images { .. } => Operation::Images,
            Self::Transcription(_) => Operation::Transcription,
        }
    }
}

/// An uploaded audio file and the transcription fields OmniRoute reads.
pub struct Audio {
    pub request: TranscriptionRequest,
    pub file_name: Option<String>,
    /// The file's MIME type (detected when the client sent none usable).
    pub mime: String,
    pub bytes: bytes::Bytes,
}

/// A media answer in OpenAI's shape.
pub struct MediaAnswer {
    pub content_type: String,
    pub body: bytes::Bytes,
    /// Token counts, where the upstream reports them (or, for embeddings, an estimate).
    pub usage: Option<Usage>,
}

pub trait Adapter: Sync {
    /// The adapter's name, for logs.
    fn name(&self) -> &'static str;

    /// Whether this adapter can serve `operation` for `target` at all.
    fn serves(&self, operation: Operation, target: &Target) -> bool;

    /// The HTTP request carrying a chat body to the target: URL, headers, envelope.
    fn prepare_chat(&self, target: &Target, chat: ChatBody<'_>) -> Result<Prepared, UpstreamError> {
        let _ = chat;
        Err(unsupported(target, Operation::Chat))
    }

    /// An error answer of this upstream as the client's error, keeping the status.
    fn decode_error(&self, target: &Target, status: u16, body: &[u8]) -> ErrorInfo;

    /// Whether the upstream streams every answer (a client that asked for a whole answer
    /// gets the stream collected).
    fn always_streams(&self, target: &Target) -> bool {
        let _ = target;
        false
    }

    /// A chat answer's body as bytes of the carrier format: an envelope taken off, a
    /// protocol of the provider's own re-encoded. `stream`: the upstream was asked to stream.
    fn chat_answer(&self, target: &Target, body: AnswerBody, stream: bool) -> AnswerBody {
        let _ = (target, stream);
        body
    }

    /// One media operation, whole: however many HTTP exchanges the protocol takes.
    fn media<'a>(
        &'a self,
        upstream: Upstream<'a>,
        call: &'a MediaCall,
    ) -> BoxFuture<'a, Result<MediaAnswer, UpstreamError>> {
        let error = unsupported(upstream.target, call.operation());
        Box::pin(async move { Err(error) })
    }
}

/// "This provider does not serve that operation."
pub(crate) fn unsupported(target: &Target, operation: Operation) -> UpstreamError {
    UpstreamError::Unsupported {
        provider: target.provider.clone(),
        what: operation.noun(),
    }
}

/// A vendor API that serves one media operation (Deepgram, AssemblyAI, Fireworks workflows,
/// Gemini embeddings). An `Adapter` follows from it: the name, the one operation it serves,
/// its error bodies; only the exchange is its own.
pub trait MediaProtocol: Sync {
    const NAME: &'static str;
    const OPERATION: Operation;

    /// The whole exchange for a call of `OPERATION`.
    fn exchange<'a>(
        &'a self,
        upstream: Upstream<'a>,
        call: &'a MediaCall,
    ) -> BoxFuture<'a, Result<MediaAnswer, UpstreamError>>;

    /// Its error bodies as the client's error (the vendors' usual shapes by default).
    fn error_of(&self, status: u16, body: &[u8]) -> ErrorInfo {
        adapters::vendor_error::decode(status, body)
    }
}

impl<P: MediaProtocol> Adapter for P {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn serves(&self, operation: Operation, _: &Target) -> bool {
        operation == P::OPERATION
    }

    fn decode_error(&self, _: &Target, status: u16, body: &[u8]) -> ErrorInfo {
        self.error_of(status, body)
    }

    fn media<'a>(
        &'a self,
        upstream: Upstream<'a>,
        call: &'a MediaCall,
    ) -> BoxFuture<'a, Result<MediaAnswer, UpstreamError>> {
        if call.operation() != P::OPERATION {
            let error = unsupported(upstream.target, call.operation());
            return Box::pin(async move { Err(error) });
        }
        self.exchange(upstream, call)
    }
}

/// The adapter serving `operation` on `target`: the catalog's rule for the operation and model
/// when it has one, else the wire's own. `None`: no adapter in this build speaks the wire.
pub fn adapter_for(
    entry: Option<&ProviderEntry>,
    target: &Target,
    operation: Operation,
) -> Option<&'static dyn Adapter> {
    let rule = entry.and_then(|e| {
        e.adapters
            .iter()
            .find(|r| r.operation == operation && r.matches(&target.upstream_model))
    });
    if let Some(rule) = rule {
        return Some(by_id(rule.adapter));
    }
    match (target.wire, operation) {
        (Wire::Gemini, Operation::Embeddings) => Some(&adapters::gemini_embeddings::ADAPTER),
        (Wire::Openai | Wire::Responses | Wire::Anthropic | Wire::Gemini, _) => {
            Some(&adapters::standard::ADAPTER)
        }
        (Wire::Codex, _) => Some(&adapters::codex::ADAPTER),
        (Wire::GeminiCodeAssist, _) => Some(&adapters::code_assist::ADAPTER),
        (Wire::Kiro, _) => Some(&adapters::kiro::ADAPTER),
        (Wire::Deepgram, _) => Some(&adapters::deepgram::ADAPTER),
        (Wire::Assemblyai, _) => Some(&adapters::assemblyai::ADAPTER),
    }
}

fn by_id(id: AdapterId) -> &'static dyn Adapter {
    match id {
        AdapterId::FireworksWorkflow => &adapters::fireworks_images::ADAPTER,
    }
}
