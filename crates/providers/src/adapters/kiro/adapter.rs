//! Chat through Kiro: the request built from the IR in CodeWhisperer's shape, the event-stream
//! answer decoded (CRC-checked frames, tool fragments assembled) into IR events and carried on
//! to the gateway as an Anthropic event stream, the format Kiro's Claude models map onto.

use omniroute_formats::{ClientContext, ErrorInfo, Format, StreamEncoder};
use reqwest::Method;

use super::{KiroDecoder, decode_error, encode_request};
use crate::Wire;
use crate::adapter::{Adapter, AnswerBody, ChatBody};
use crate::adapters::reframe::{Reframer, reframe};
use crate::error::UpstreamError;
use crate::http::Prepared;
use crate::target::{Operation, Target};

pub struct Kiro;

pub static ADAPTER: Kiro = Kiro;

/// A fresh conversation id (UUID v4 text) per request: Kiro keeps no state between them.
fn conversation_id() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // Unique enough without randomness: the id only groups one request's turns.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        b = nanos.to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

impl Adapter for Kiro {
    fn name(&self) -> &'static str {
        "kiro"
    }

    fn serves(&self, operation: Operation, target: &Target) -> bool {
        operation == Operation::Chat && target.wire == Wire::Kiro
    }

    fn prepare_chat(&self, target: &Target, chat: ChatBody<'_>) -> Result<Prepared, UpstreamError> {
        let body = encode_request(
            chat.request,
            &target.upstream_model,
            target.project.as_deref(),
            &conversation_id(),
        )
        .map_err(UpstreamError::Request)?;
        let url = format!(
            "{}/generateAssistantResponse",
            target.base_url.trim_end_matches('/')
        );
        Ok(Prepared::new(target, Method::POST, url)
            .header("content-type", "application/json")
            .header("accept", "application/vnd.amazon.eventstream")
            .header(
                "x-amz-target",
                "AmazonCodeWhispererStreamingService.GenerateAssistantResponse",
            )
            .body(body))
    }

    fn decode_error(&self, _: &Target, status: u16, body: &[u8]) -> ErrorInfo {
        decode_error(status, body)
    }

    fn always_streams(&self, _: &Target) -> bool {
        true
    }

    fn chat_answer(&self, target: &Target, body: AnswerBody, _: bool) -> AnswerBody {
        let model = target.upstream_model.clone();
        reframe(
            body,
            ToAnthropic {
                decoder: KiroDecoder::new(format!("msg_kiro_{}", conversation_id()), &model),
                encoder: StreamEncoder::new(
                    Format::Anthropic,
                    ClientContext {
                        model,
                        ..ClientContext::default()
                    },
                ),
                events: Vec::new(),
            },
        )
    }
}

/// Kiro's event stream → IR events → Anthropic's event stream.
struct ToAnthropic {
    decoder: KiroDecoder,
    encoder: StreamEncoder,
    events: Vec<omniroute_formats::ir::StreamEvent>,
}

impl ToAnthropic {
    fn encode(&mut self, out: &mut Vec<u8>) {
        for event in self.events.drain(..) {
            self.encoder.encode(&event, out);
        }
    }
}

impl Reframer for ToAnthropic {
    fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
        self.decoder.push(chunk, &mut self.events);
        self.encode(out);
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        self.decoder.finish(&mut self.events);
        self.encode(out);
        self.encoder.finish(out);
        Ok(())
    }
}
