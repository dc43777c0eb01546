//! The response body type: cheap fixed bodies and a chunk stream, without boxing.
//!
//! One enum implements [`hyper::body::Body`] so every handler returns the same concrete type and
//! `/fast` pays for no allocation or dynamic dispatch. Payload bytes are slices of a shared filler
//! buffer (`Bytes` reference counting), so `/bytes?n=1000000` does not allocate a megabyte per
//! request. A body with an unknown length makes hyper use `Transfer-Encoding: chunked` on
//! HTTP/1.1, one chunk per frame (RFC 9112 §7.1).

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

/// Largest body `/bytes`, `/chunked` and `/echo` produce or accept: 16 MiB.
pub(crate) const MAX_BODY: usize = 16 * 1024 * 1024;

const SMALL_FILL_LEN: usize = 16 * 1024;
static SMALL_FILL: [u8; SMALL_FILL_LEN] = [b'x'; SMALL_FILL_LEN];
static BIG_FILL: OnceLock<Bytes> = OnceLock::new();

/// `len` filler bytes (`len <= MAX_BODY`), shared rather than freshly allocated.
pub(crate) fn filler(len: usize) -> Bytes {
    let len = len.min(MAX_BODY);
    if len <= SMALL_FILL_LEN {
        Bytes::from_static(&SMALL_FILL[..len])
    } else {
        BIG_FILL
            .get_or_init(|| Bytes::from(vec![b'x'; MAX_BODY]))
            .slice(..len)
    }
}

/// A response body of the testbed.
#[derive(Debug)]
pub(crate) enum DemoBody {
    /// A complete body with a known length (`None` once sent).
    Full(Option<Bytes>),
    /// `chunks_left` frames totalling `remaining` bytes, length unknown up front.
    Chunks {
        /// Bytes still to send.
        remaining: usize,
        /// Frames still to send.
        chunks_left: usize,
    },
}

impl DemoBody {
    /// An empty body (`Content-Length: 0`).
    pub(crate) fn empty() -> Self {
        DemoBody::Full(None)
    }

    /// A body from a static string.
    pub(crate) fn text(s: &'static str) -> Self {
        DemoBody::Full(Some(Bytes::from_static(s.as_bytes())))
    }

    /// A body of `n` bytes sent as `chunks` frames (clamped so no frame is empty).
    pub(crate) fn chunked(n: usize, chunks: usize) -> Self {
        let chunks_left = if n == 0 { 0 } else { chunks.clamp(1, n) };
        DemoBody::Chunks {
            remaining: n,
            chunks_left,
        }
    }
}

impl From<Bytes> for DemoBody {
    fn from(b: Bytes) -> Self {
        DemoBody::Full((!b.is_empty()).then_some(b))
    }
}

impl From<String> for DemoBody {
    fn from(s: String) -> Self {
        Bytes::from(s).into()
    }
}

impl Body for DemoBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let frame = match self.get_mut() {
            DemoBody::Full(b) => b.take(),
            DemoBody::Chunks {
                remaining,
                chunks_left,
            } => remaining.checked_div(*chunks_left).map(|size| {
                *remaining -= size;
                *chunks_left -= 1;
                filler(size)
            }),
        };
        Poll::Ready(frame.map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            DemoBody::Full(b) => b.is_none(),
            DemoBody::Chunks { chunks_left, .. } => *chunks_left == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            DemoBody::Full(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            // Unknown length on purpose: HTTP/1.1 responses use chunked transfer encoding.
            DemoBody::Chunks { .. } => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filler_lengths() {
        assert_eq!(filler(0).len(), 0);
        assert_eq!(filler(10).len(), 10);
        assert_eq!(filler(100_000).len(), 100_000);
        assert_eq!(filler(usize::MAX).len(), MAX_BODY);
    }

    #[test]
    fn chunks_sum_to_n_without_empty_frames() {
        let mut body = DemoBody::chunked(10, 3);
        let mut sizes = Vec::new();
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        while let Poll::Ready(Some(Ok(f))) = Pin::new(&mut body).poll_frame(&mut cx) {
            sizes.push(f.into_data().expect("data").len());
        }
        assert_eq!(sizes, vec![3, 3, 4]);
        assert!(DemoBody::chunked(2, 5).size_hint().exact().is_none());
        assert!(matches!(
            DemoBody::chunked(2, 5),
            DemoBody::Chunks { chunks_left: 2, .. }
        ));
    }
}
