//! RESP2, the Redis wire protocol: commands out as arrays of bulk strings, replies parsed from
//! a byte buffer as they arrive. Pure: no I/O, so every malformed or partial reply is tested.

use std::fmt;

/// One reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    /// An error reply (`-ERR …`): the command failed, the connection is fine.
    Error(String),
    Int(i64),
    /// `None` is the null bulk string (a missing key).
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// The bytes of a bulk or simple string reply.
    pub fn into_bytes(self) -> Option<Vec<u8>> {
        match self {
            Self::Bulk(b) => b,
            Self::Simple(s) => Some(s.into_bytes()),
            _ => None,
        }
    }
}

/// The stream is not RESP: the connection must be dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed reply from Redis: {}", self.0)
    }
}

/// Nesting and size limits: a reply beyond them is a broken or hostile server.
const MAX_DEPTH: usize = 8;
const MAX_BULK: usize = 64 << 20;
const MAX_ITEMS: usize = 1 << 20;

/// `*n\r\n$len\r\narg\r\n…` for a command and its arguments.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + args.iter().map(|a| a.len() + 16).sum::<usize>());
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The first complete reply in `buf` and how many bytes it used; `None` when more bytes are
/// needed.
pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, ProtocolError> {
    parse_at(buf, 0, 0)
}

fn line(buf: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(at..)?;
    let end = rest.windows(2).position(|w| w == b"\r\n")?;
    Some((&rest[..end], at + end + 2))
}

fn number(text: &[u8]) -> Result<i64, ProtocolError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ProtocolError(format!("not a number: {:?}", String::from_utf8_lossy(text))))
}

fn length(text: &[u8], max: usize) -> Result<Option<usize>, ProtocolError> {
    match number(text)? {
        -1 => Ok(None),
        n => usize::try_from(n)
            .ok()
            .filter(|n| *n <= max)
            .map(Some)
            .ok_or_else(|| ProtocolError(format!("length {n} out of range"))),
    }
}

fn parse_at(buf: &[u8], at: usize, depth: usize) -> Result<Option<(Reply, usize)>, ProtocolError> {
    if depth > MAX_DEPTH {
        return Err(ProtocolError("nested too deep".into()));
    }
    let Some(&kind) = buf.get(at) else {
        return Ok(None);
    };
    let Some((text, next)) = line(buf, at + 1) else {
        return Ok(None);
    };
    let text_string = || String::from_utf8_lossy(text).into_owned();
    match kind {
        b'+' => Ok(Some((Reply::Simple(text_string()), next))),
        b'-' => Ok(Some((Reply::Error(text_string()), next))),
        b':' => Ok(Some((Reply::Int(number(text)?), next))),
        b'$' => {
            let Some(len) = length(text, MAX_BULK)? else {
                return Ok(Some((Reply::Bulk(None), next)));
            };
            let end = next + len;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(ProtocolError("bulk string without its CRLF".into()));
            }
            Ok(Some((Reply::Bulk(Some(buf[next..end].to_vec())), end + 2)))
        }
        b'*' => {
            let Some(count) = length(text, MAX_ITEMS)? else {
                return Ok(Some((Reply::Array(None), next)));
            };
            let mut items = Vec::with_capacity(count.min(1024));
            let mut pos = next;
            for _ in 0..count {
                match parse_at(buf, pos, depth + 1)? {
                    Some((item, after)) => {
                        items.push(item);
                        pos = after;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((Reply::Array(Some(items)), pos)))
        }
        other => Err(ProtocolError(format!(
            "unknown reply type {:?}",
            char::from(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_commands_as_bulk_arrays() {
        assert_eq!(
            encode(&[b"SET", b"k", b"a b"]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na b\r\n".to_vec()
        );
    }

    #[test]
    fn parses_every_reply_type() {
        let cases: Vec<(&[u8], Reply)> = vec![
            (b"+OK\r\n", Reply::Simple("OK".into())),
            (b"-ERR wrong\r\n", Reply::Error("ERR wrong".into())),
            (b":-42\r\n", Reply::Int(-42)),
            (b"$5\r\nhe\r\nl\r\n", Reply::Bulk(Some(b"he\r\nl".to_vec()))),
            (b"$-1\r\n", Reply::Bulk(None)),
            (b"*-1\r\n", Reply::Array(None)),
            (
                b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n*1\r\n:1\r\n",
                Reply::Array(Some(vec![
                    Reply::Bulk(Some(b"message".to_vec())),
                    Reply::Bulk(Some(b"c".to_vec())),
                    Reply::Array(Some(vec![Reply::Int(1)])),
                ])),
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(parse(bytes).unwrap(), Some((expected, bytes.len())));
        }
    }

    #[test]
    fn waits_for_the_rest_of_a_partial_reply() {
        let whole = b"*2\r\n$3\r\nabc\r\n:7\r\n+OK\r\n";
        for cut in 0..17 {
            assert_eq!(parse(&whole[..cut]).unwrap(), None, "cut at {cut}");
        }
        let (reply, used) = parse(whole).unwrap().unwrap();
        assert_eq!(used, 17);
        assert!(matches!(reply, Reply::Array(Some(ref items)) if items.len() == 2));
        assert_eq!(
            parse(&whole[used..]).unwrap(),
            Some((Reply::Simple("OK".into()), 5))
        );
    }

    #[test]
    fn refuses_garbage() {
        for bad in [
            &b"?what\r\n"[..],
            b":12x\r\n",
            b"$3\r\nabcde\r\n",
            b"$-5\r\n",
            b"$999999999999\r\n",
            b"*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
