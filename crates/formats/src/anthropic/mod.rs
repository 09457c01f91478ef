//! PLACEHOLDER while this format is written; replaced by wire.rs request.rs response.rs stream.rs.

use crate::ir::{ErrorInfo, Request, Response, StreamEvent};
use crate::sse::SseEvent;
use crate::{ClientContext, FormatError, RequestHint};

pub fn decode_request(_body: &[u8], _hint: &RequestHint<'_>) -> Result<Request, FormatError> {
    Err(FormatError::field("format", "not available yet"))
}
pub fn encode_request(_request: &Request) -> Vec<u8> {
    Vec::new()
}
pub fn decode_response(_body: &[u8]) -> Result<Response, FormatError> {
    Err(FormatError::field("format", "not available yet"))
}
pub fn encode_response(_response: &Response, _ctx: &ClientContext) -> Vec<u8> {
    Vec::new()
}
pub fn decode_error(status: u16, _body: &[u8]) -> ErrorInfo {
    ErrorInfo::new(
        crate::ir::ErrorKind::from_status(status),
        "not available yet",
    )
}
pub fn encode_error(_error: &ErrorInfo) -> Vec<u8> {
    Vec::new()
}
#[derive(Default)]
pub struct Decoder;
impl Decoder {
    pub fn decode(&mut self, _event: &SseEvent, _out: &mut Vec<StreamEvent>) {}
    pub fn is_complete(&self) -> bool {
        false
    }
}
pub struct Encoder;
impl Encoder {
    pub fn new(_ctx: ClientContext) -> Self {
        Self
    }
    pub fn encode(&mut self, _event: &StreamEvent, _out: &mut Vec<u8>) {}
    pub fn finish(&mut self, _out: &mut Vec<u8>) {}
}
