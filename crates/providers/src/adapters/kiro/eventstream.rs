//! AWS event-stream binary framing (`application/vnd.amazon.eventstream`), the body of Kiro's
//! streamed answers. A frame is:
//!
//! ```text
//! total length u32 BE | headers length u32 BE | CRC32 of those 8 bytes
//! headers (name length u8, name, value type u8, value)… | payload | CRC32 of all of the above
//! ```
//!
//! `FrameDecoder` takes the body in arbitrary pieces and hands back whole frames; `Frame::encode`
//! writes them (the tests and the harness's fake Kiro upstream build their fixtures with it).
//! Both sides check every length before using it: a corrupt or hostile stream ends in a
//! `FrameError`, never a panic or an unbounded allocation.

use crc32fast::Hasher;

/// The largest frame accepted (AWS's own limit for event-stream messages).
pub const MAX_FRAME_LEN: usize = 16 * 1024 * 1024;
/// Prelude (two lengths and their CRC) plus the trailing message CRC: the smallest frame.
const PRELUDE_LEN: usize = 12;
const CRC_LEN: usize = 4;
const MIN_FRAME_LEN: usize = PRELUDE_LEN + CRC_LEN;

/// A header value, one variant per type byte of the specification (0–9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// Types 0 (true) and 1 (false): the type byte is the value.
    Bool(bool),
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    /// Type 6: u16 length, then the bytes.
    Bytes(Vec<u8>),
    /// Type 7: u16 length, then UTF-8.
    String(String),
    /// Type 8: milliseconds since the Unix epoch.
    Timestamp(i64),
    Uuid([u8; 16]),
}

impl HeaderValue {
    fn type_byte(&self) -> u8 {
        match self {
            Self::Bool(true) => 0,
            Self::Bool(false) => 1,
            Self::Byte(_) => 2,
            Self::Short(_) => 3,
            Self::Int(_) => 4,
            Self::Long(_) => 5,
            Self::Bytes(_) => 6,
            Self::String(_) => 7,
            Self::Timestamp(_) => 8,
            Self::Uuid(_) => 9,
        }
    }
}

/// One decoded frame: its headers in wire order (so re-encoding gives the same bytes) and payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frame {
    pub headers: Vec<(String, HeaderValue)>,
    pub payload: Vec<u8>,
}

impl Frame {
    /// An `event` frame as Kiro sends them: `:event-type`, JSON content type, the payload.
    pub fn event(event_type: &str, payload: impl Into<Vec<u8>>) -> Self {
        Self::with_strings(
            &[
                (":event-type", event_type),
                (":content-type", "application/json"),
                (":message-type", "event"),
            ],
            payload.into(),
        )
    }

    /// An `exception` frame (a modelled service error, e.g. `ThrottlingException`).
    pub fn exception(exception_type: &str, payload: impl Into<Vec<u8>>) -> Self {
        Self::with_strings(
            &[
                (":exception-type", exception_type),
                (":content-type", "application/json"),
                (":message-type", "exception"),
            ],
            payload.into(),
        )
    }

    /// An `error` frame (an unmodelled failure: code and message travel in headers).
    pub fn error(code: &str, message: &str) -> Self {
        Self::with_strings(
            &[
                (":error-code", code),
                (":error-message", message),
                (":message-type", "error"),
            ],
            Vec::new(),
        )
    }

    fn with_strings(headers: &[(&str, &str)], payload: Vec<u8>) -> Self {
        Self {
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), HeaderValue::String((*v).to_owned())))
                .collect(),
            payload,
        }
    }

    /// The first header of that name.
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// A string header's value (`None` when absent or of another type).
    pub fn header_str(&self, name: &str) -> Option<&str> {
        match self.header(name)? {
            HeaderValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn message_type(&self) -> Option<&str> {
        self.header_str(":message-type")
    }

    pub fn event_type(&self) -> Option<&str> {
        self.header_str(":event-type")
    }

    pub fn exception_type(&self) -> Option<&str> {
        self.header_str(":exception-type")
    }

    pub fn content_type(&self) -> Option<&str> {
        self.header_str(":content-type")
    }

    /// The frame's bytes. Fails only when a piece cannot be represented (a header name over 255
    /// bytes, a string or byte value over 65,535, a frame over `MAX_FRAME_LEN`).
    pub fn encode(&self) -> Result<Vec<u8>, FrameError> {
        let mut headers = Vec::new();
        for (name, value) in &self.headers {
            let name_len =
                u8::try_from(name.len())
                    .ok()
                    .filter(|l| *l > 0)
                    .ok_or(FrameError::Unencodable(
                        "a header name must be 1 to 255 bytes",
                    ))?;
            headers.push(name_len);
            headers.extend_from_slice(name.as_bytes());
            headers.push(value.type_byte());
            match value {
                HeaderValue::Bool(_) => {}
                HeaderValue::Byte(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Short(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Int(v) => headers.extend_from_slice(&v.to_be_bytes()),
                HeaderValue::Long(v) | HeaderValue::Timestamp(v) => {
                    headers.extend_from_slice(&v.to_be_bytes());
                }
                HeaderValue::Bytes(v) => push_sized(&mut headers, v)?,
                HeaderValue::String(v) => push_sized(&mut headers, v.as_bytes())?,
                HeaderValue::Uuid(v) => headers.extend_from_slice(v),
            }
        }
        let total = MIN_FRAME_LEN + headers.len() + self.payload.len();
        if total > MAX_FRAME_LEN {
            return Err(FrameError::TooLarge(total));
        }
        let as_u32 = |n: usize| u32::try_from(n).map_err(|_| FrameError::TooLarge(total));
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&as_u32(total)?.to_be_bytes());
        out.extend_from_slice(&as_u32(headers.len())?.to_be_bytes());
        out.extend_from_slice(&crc32(&out).to_be_bytes());
        out.extend_from_slice(&headers);
        out.extend_from_slice(&self.payload);
        out.extend_from_slice(&crc32(&out).to_be_bytes());
        Ok(out)
    }
}

fn push_sized(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), FrameError> {
    let len = u16::try_from(bytes.len())
        .map_err(|_| FrameError::Unencodable("a header value must be at most 65,535 bytes"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut hasher = Hasher::new();
    hasher.update(bytes);
    hasher.finalize()
}

/// Why a stream could not be framed. The decoder stops at the first one: after a bad length
/// or checksum nothing later in the stream can be trusted to start on a frame boundary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("prelude checksum mismatch (frame says {expected:#010x}, bytes give {actual:#010x})")]
    PreludeCrc { expected: u32, actual: u32 },
    #[error("message checksum mismatch (frame says {expected:#010x}, bytes give {actual:#010x})")]
    MessageCrc { expected: u32, actual: u32 },
    /// A total length under the 16-byte minimum, or headers longer than the frame has room for.
    #[error("frame lengths out of bounds (total {total}, headers {headers})")]
    LengthOutOfBounds { total: u32, headers: u32 },
    #[error("frame of {0} bytes exceeds the 16 MiB limit")]
    TooLarge(usize),
    /// A header that does not parse (bad type byte, zero-length name, value past the end…).
    #[error("malformed header at byte {offset} of the header block: {reason}")]
    Header { offset: usize, reason: &'static str },
    #[error("cannot encode frame: {0}")]
    Unencodable(&'static str),
}

/// Incremental decoder: feed body pieces as they arrive, get whole frames back.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// The prelude of the frame at the front of `buf` was checked (it is not checked twice
    /// while the rest of a large frame trickles in).
    prelude_ok: bool,
    failed: Option<FrameError>,
}

impl FrameDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `bytes` and moves every frame now complete to `frames`, in order. On an error the
    /// frames before it are still delivered, and the decoder stays failed: every later call
    /// returns the same error.
    pub fn push(&mut self, bytes: &[u8], frames: &mut Vec<Frame>) -> Result<(), FrameError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        self.buf.extend_from_slice(bytes);
        let mut at = 0;
        let result = loop {
            match self.next_frame(at) {
                Ok(Some((frame, len))) => {
                    frames.push(frame);
                    at += len;
                    self.prelude_ok = false;
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.buf.drain(..at);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
            self.buf = Vec::new();
        }
        result
    }

    /// Bytes of a frame begun but not finished: non-zero when the stream ends means it was cut.
    pub fn pending_bytes(&self) -> usize {
        self.buf.len()
    }

    /// The error this decoder stopped at, if any.
    pub fn error(&self) -> Option<&FrameError> {
        self.failed.as_ref()
    }

    /// The frame starting at `buf[at..]`, with its length; `None` until all its bytes are here.
    fn next_frame(&mut self, at: usize) -> Result<Option<(Frame, usize)>, FrameError> {
        let rest = self.buf.get(at..).unwrap_or_default();
        let Some(prelude) = rest.get(..PRELUDE_LEN) else {
            return Ok(None);
        };
        let total = be_u32(prelude, 0);
        let headers_len = be_u32(prelude, 4);
        if !self.prelude_ok {
            // The prelude CRC comes first: lengths from a corrupt prelude mean nothing.
            let expected = be_u32(prelude, 8);
            let actual = crc32(&prelude[..8]);
            if expected != actual {
                return Err(FrameError::PreludeCrc { expected, actual });
            }
            let total_usize = total as usize;
            if total_usize > MAX_FRAME_LEN {
                return Err(FrameError::TooLarge(total_usize));
            }
            if total_usize < MIN_FRAME_LEN || headers_len as usize > total_usize - MIN_FRAME_LEN {
                return Err(FrameError::LengthOutOfBounds {
                    total,
                    headers: headers_len,
                });
            }
            self.prelude_ok = true;
        }
        let total = total as usize;
        let Some(frame) = rest.get(..total) else {
            return Ok(None);
        };
        let body_end = total - CRC_LEN;
        let expected = be_u32(frame, body_end);
        let actual = crc32(&frame[..body_end]);
        if expected != actual {
            return Err(FrameError::MessageCrc { expected, actual });
        }
        let headers_end = PRELUDE_LEN + headers_len as usize;
        let headers = parse_headers(&frame[PRELUDE_LEN..headers_end])?;
        let payload = frame[headers_end..body_end].to_vec();
        Ok(Some((Frame { headers, payload }, total)))
    }
}

/// A big-endian u32 at `at`; callers have checked `bytes` holds it (zeros otherwise, never a panic).
fn be_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    if let Some(src) = bytes.get(at..at + 4) {
        word.copy_from_slice(src);
    }
    u32::from_be_bytes(word)
}

fn parse_headers(block: &[u8]) -> Result<Vec<(String, HeaderValue)>, FrameError> {
    let mut headers = Vec::new();
    let mut r = Reader { block, at: 0 };
    while r.at < block.len() {
        let start = r.at;
        let bad = |reason| FrameError::Header {
            offset: start,
            reason,
        };
        let name_len = r.take(1).ok_or(bad("name length missing"))?[0] as usize;
        if name_len == 0 {
            return Err(bad("empty header name"));
        }
        let name = r
            .take(name_len)
            .ok_or(bad("name runs past the header block"))?;
        let name = std::str::from_utf8(name).map_err(|_| bad("header name is not UTF-8"))?;
        let value_type = r.take(1).ok_or(bad("value type missing"))?[0];
        let truncated = bad("value runs past the header block");
        let value = match value_type {
            0 => HeaderValue::Bool(true),
            1 => HeaderValue::Bool(false),
            2 => HeaderValue::Byte(i8::from_be_bytes(r.array().ok_or(truncated)?)),
            3 => HeaderValue::Short(i16::from_be_bytes(r.array().ok_or(truncated)?)),
            4 => HeaderValue::Int(i32::from_be_bytes(r.array().ok_or(truncated)?)),
            5 => HeaderValue::Long(i64::from_be_bytes(r.array().ok_or(truncated)?)),
            6 => HeaderValue::Bytes(r.sized().ok_or(truncated)?.to_vec()),
            7 => {
                let bytes = r.sized().ok_or(truncated)?;
                let text =
                    std::str::from_utf8(bytes).map_err(|_| bad("string value is not UTF-8"))?;
                HeaderValue::String(text.to_owned())
            }
            8 => HeaderValue::Timestamp(i64::from_be_bytes(r.array().ok_or(truncated)?)),
            9 => HeaderValue::Uuid(r.array().ok_or(truncated)?),
            _ => return Err(bad("unknown value type")),
        };
        headers.push((name.to_owned(), value));
    }
    Ok(headers)
}

/// A cursor over the header block whose reads fail (`None`) instead of running past its end.
struct Reader<'a> {
    block: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let bytes = self.block.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(bytes)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Some(out)
    }

    /// A u16 length, then that many bytes.
    fn sized(&mut self) -> Option<&'a [u8]> {
        let len = u16::from_be_bytes(self.array()?);
        self.take(len as usize)
    }
}

#[cfg(test)]
#[path = "eventstream_tests.rs"]
mod tests;
