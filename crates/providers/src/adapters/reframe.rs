//! Rewriting an answer body on its way through, chunk by chunk: the adapters whose answers
//! arrive in a protocol of their own (Code Assist's envelope, Kiro's event stream) hand the
//! gateway the same answer in their carrier format.

use bytes::Bytes;
use futures_util::StreamExt;

use crate::adapter::AnswerBody;

/// A state machine turning one body into another.
pub(crate) trait Reframer: Send + 'static {
    /// Bytes as they arrived; what to pass on appended to `out`.
    fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), String>;
    /// The body ended.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), String>;
}

/// `body` passed through `reframer`. A reframer's error ends the body with that error.
pub(crate) fn reframe(body: AnswerBody, reframer: impl Reframer) -> AnswerBody {
    let state = (body, reframer, false);
    Box::pin(futures_util::stream::unfold(
        state,
        |(mut body, mut reframer, mut done)| async move {
            loop {
                if done {
                    return None;
                }
                let mut out = Vec::new();
                let step = match body.next().await {
                    Some(Ok(chunk)) => reframer.push(&chunk, &mut out),
                    Some(Err(e)) => Err(e),
                    None => {
                        done = true;
                        reframer.finish(&mut out)
                    }
                };
                match step {
                    Err(e) => return Some((Err(e), (body, reframer, true))),
                    Ok(()) if !out.is_empty() => {
                        return Some((Ok(Bytes::from(out)), (body, reframer, done)));
                    }
                    Ok(()) => {}
                }
            }
        },
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    struct Upper;

    impl Reframer for Upper {
        fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
            if chunk == b"bad" {
                return Err("bad chunk".into());
            }
            out.extend(chunk.to_ascii_uppercase());
            Ok(())
        }
        fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
            out.extend_from_slice(b"!");
            Ok(())
        }
    }

    fn body(chunks: &[&'static str]) -> AnswerBody {
        let items: Vec<Result<Bytes, String>> = chunks
            .iter()
            .map(|c| Ok(Bytes::from_static(c.as_bytes())))
            .collect();
        Box::pin(futures_util::stream::iter(items))
    }

    #[tokio::test]
    async fn chunks_are_rewritten_and_the_end_flushed() {
        let out: Vec<_> = reframe(body(&["ab", "", "c"]), Upper).collect().await;
        let text: String = out
            .into_iter()
            .map(|c| String::from_utf8(c.unwrap().to_vec()).unwrap())
            .collect();
        assert_eq!(text, "ABC!");
        let out: Vec<_> = reframe(body(&["a", "bad", "c"]), Upper).collect().await;
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].clone().unwrap_err(), "bad chunk");
    }
}
