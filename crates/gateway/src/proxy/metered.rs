//! A response body that reports when it is done: whether the client received all of it, and
//! (up to a limit) what it was. Streams end long after the handler returned; usage records,
//! request logs and idempotent replays of streams are finished from here.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, BodyDataStream, Bytes};
use bytes::BytesMut;
use futures_util::Stream;

/// How a metered body ended.
pub struct Ended {
    /// The whole body went out (the client did not leave early).
    pub complete: bool,
    /// The body's first `limit` bytes.
    pub captured: Bytes,
    /// More than `limit` bytes went out.
    pub truncated: bool,
}

type OnEnd = Box<dyn FnOnce(Ended) + Send>;

struct Metered {
    inner: BodyDataStream,
    captured: BytesMut,
    limit: usize,
    truncated: bool,
    complete: bool,
    on_end: Option<OnEnd>,
}

/// `body`, calling `on_end` once when it finishes or is dropped, with up to `limit` bytes of it.
pub fn meter(body: Body, limit: usize, on_end: impl FnOnce(Ended) + Send + 'static) -> Body {
    Body::from_stream(Metered {
        inner: body.into_data_stream(),
        captured: BytesMut::new(),
        limit,
        truncated: false,
        complete: false,
        on_end: Some(Box::new(on_end)),
    })
}

impl Stream for Metered {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(chunk))) => {
                let room = this.limit.saturating_sub(this.captured.len());
                if chunk.len() > room {
                    this.truncated = true;
                }
                this.captured
                    .extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Poll::Ready(None) => this.complete = true,
            _ => {}
        }
        polled
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        if let Some(on_end) = self.on_end.take() {
            on_end(Ended {
                complete: self.complete,
                captured: std::mem::take(&mut self.captured).freeze(),
                truncated: self.truncated,
            });
        }
    }
}
