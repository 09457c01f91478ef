//! OpenAI Responses API (`POST /v1/responses`), as a client format (Codex CLI, the openai SDKs'
//! `client.responses`) and as an upstream format (OpenAI, the ChatGPT Codex backend).
//! Custom (freeform) tools such as Codex's `apply_patch` map to `ToolKind::Custom`; reasoning
//! items travel as thinking whose signature is the item's `encrypted_content`.

mod conversation;
mod request;
mod response;
mod stream;
pub mod wire;

pub use request::{decode_request, encode_request};
pub use response::{decode_error, decode_response, encode_error, encode_response};
pub use stream::{Decoder, Encoder};

#[cfg(test)]
mod tests;
