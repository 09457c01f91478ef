//! Anthropic Messages (`POST /v1/messages`), as a client format (Claude Code, the anthropic
//! SDKs) and as an upstream format.
//!
//! Translation notes that are not obvious from the wire types:
//! - usage: Anthropic's `input_tokens`, `cache_read_input_tokens` and
//!   `cache_creation_input_tokens` are disjoint; the IR's input count is their sum;
//! - server tools (`web_search_*`, `bash_*`, `text_editor_*`, …) and blocks the IR has no place
//!   for (documents, server tool results, citations) are skipped, not rejected;
//! - `response_format` has no Anthropic equivalent upstream: it becomes a system instruction
//!   asking for JSON (matching the schema, when there is one);
//! - thinking is sent upstream only where Anthropic accepts it (no forced tool choice, a signed
//!   thinking block leading the current tool-use turn), with `max_tokens` above the budget and
//!   without `temperature`/`top_k`; unsigned thinking parts are dropped from the history.

mod blocks;
mod request;
mod response;
mod stream;
mod wire;

#[cfg(test)]
mod response_tests;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;

pub use request::{DEFAULT_MAX_TOKENS, decode_request, encode_request};
pub use response::{decode_error, decode_response, encode_error, encode_response};
pub use stream::{Decoder, Encoder};
