//! Kiro (AWS CodeWhisperer behind the Kiro IDE's sign-in): the pure wire code, no I/O.
//! - `request`: IR request → `generateAssistantResponse` JSON body;
//! - `answer`: the event-stream answer → IR stream events, and error bodies → `ErrorInfo`;
//! - `eventstream`: AWS event-stream binary framing (decoder and encoder);
//! - `wire`: the typed JSON shapes of all of the above;
//! - `adapter`: the chat adapter built on them.

mod adapter;
pub mod answer;
pub mod eventstream;
pub mod request;
pub mod wire;

pub use adapter::{ADAPTER, Kiro};
pub use answer::{KiroDecoder, decode_error};
pub use eventstream::{Frame, FrameDecoder, FrameError, HeaderValue};
pub use request::{build_request, encode_request};
