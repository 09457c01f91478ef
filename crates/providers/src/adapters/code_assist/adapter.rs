//! Chat through Code Assist: the gateway encodes a Gemini request, this puts it in the
//! envelope with the account's project and takes every answer (whole or each streamed event)
//! out of its envelope again, so the Gemini format does all the translation.

use omniroute_formats::sse::{SseParser, write_event};
use omniroute_formats::{ErrorInfo, Format, FormatError};
use reqwest::Method;

use super::{generate_url, unwrap_response, unwrap_sse_data, wrap_request};
use crate::Wire;
use crate::adapter::{Adapter, AnswerBody, ChatBody};
use crate::adapters::reframe::{Reframer, reframe};
use crate::error::UpstreamError;
use crate::http::{MAX_ANSWER_BODY, Prepared};
use crate::target::{Operation, Target};

pub struct CodeAssist;

pub static ADAPTER: CodeAssist = CodeAssist;

impl Adapter for CodeAssist {
    fn name(&self) -> &'static str {
        "code-assist"
    }

    fn serves(&self, operation: Operation, target: &Target) -> bool {
        operation == Operation::Chat && target.wire == Wire::GeminiCodeAssist
    }

    fn prepare_chat(&self, target: &Target, chat: ChatBody<'_>) -> Result<Prepared, UpstreamError> {
        let project = target.project.as_deref().ok_or_else(|| {
            UpstreamError::Request(FormatError::field(
                "model",
                "this Gemini CLI account has no Code Assist project yet; sign in again",
            ))
        })?;
        let body = wrap_request(&chat.body, &target.upstream_model, project)
            .map_err(UpstreamError::Request)?;
        let mut prepared = Prepared::new(
            target,
            Method::POST,
            generate_url(&target.base_url, chat.stream),
        )
        .header("content-type", "application/json")
        .body(body);
        if chat.stream {
            prepared = prepared.header("accept", "text/event-stream");
        }
        Ok(prepared)
    }

    fn decode_error(&self, _: &Target, status: u16, body: &[u8]) -> ErrorInfo {
        // Google API errors, as Gemini's own.
        omniroute_formats::decode_error(Format::Gemini, status, body)
    }

    fn chat_answer(&self, _: &Target, body: AnswerBody, stream: bool) -> AnswerBody {
        if stream {
            reframe(body, Events::default())
        } else {
            reframe(body, Whole::default())
        }
    }
}

/// Each SSE event's data out of its envelope.
#[derive(Default)]
struct Events {
    parser: SseParser,
    events: Vec<omniroute_formats::SseEvent>,
}

impl Events {
    fn drain(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        for event in self.events.drain(..) {
            let data = unwrap_sse_data(&event.data).map_err(|e| e.to_string())?;
            write_event(out, event.event.as_deref(), &data);
        }
        Ok(())
    }
}

impl Reframer for Events {
    fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        self.parser.push(chunk, &mut self.events);
        self.drain(out)
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        self.parser.finish(&mut self.events);
        self.drain(out)
    }
}

/// The whole answer out of its envelope (read bounded).
#[derive(Default)]
struct Whole {
    body: Vec<u8>,
}

impl Reframer for Whole {
    fn push(&mut self, chunk: &[u8], _: &mut Vec<u8>) -> Result<(), String> {
        if self.body.len() + chunk.len() > MAX_ANSWER_BODY {
            return Err("its answer is too large".into());
        }
        self.body.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        out.extend(unwrap_response(&self.body).map_err(|e| e.to_string())?);
        Ok(())
    }
}
