//! gRPC message framing (<https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md>,
//! "Length-Prefixed-Message"): a body is a sequence of `compressed flag (1 byte) | length
//! (4 bytes, big-endian) | message`. [`FrameDecoder`] splits a body fed in arbitrary chunks into
//! messages with a size limit checked on the prefix, before the message is buffered. Used by the
//! OTLP/gRPC receiver; public so that it can be fuzzed on its own.

use bytes::{Buf, Bytes, BytesMut};

/// Length of a message's prefix: the compressed flag and the 4-byte big-endian length.
pub const HEADER_LEN: usize = 5;

/// One length-prefixed message of a gRPC body.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    /// The compressed flag was 1: the message is in the request's `grpc-encoding`.
    pub compressed: bool,
    /// The message bytes as sent.
    pub message: Bytes,
}

/// Why a gRPC body cannot be split into messages.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameError {
    /// A length prefix announces a message over the limit.
    TooLarge {
        /// The announced message length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The compressed flag is neither 0 nor 1.
    BadFlag(u8),
    /// The body ended inside a frame.
    Truncated {
        /// Bytes buffered when the body ended.
        have: usize,
        /// Bytes the frame needed.
        need: usize,
    },
}

/// Splits a gRPC body, fed as it arrives, into length-prefixed messages. A length prefix over
/// the limit is refused as soon as its five bytes are in, before any of its message is
/// buffered; the buffer never holds more than one frame plus the chunk last pushed.
pub struct FrameDecoder {
    pub(crate) buf: BytesMut,
    limit: usize,
}

impl FrameDecoder {
    /// A decoder refusing messages longer than `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            limit,
        }
    }

    /// Appends received body bytes.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete frame, or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        if self.buf.len() < HEADER_LEN {
            return Ok(None);
        }
        let flag = self.buf[0];
        if flag > 1 {
            return Err(FrameError::BadFlag(flag));
        }
        let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > self.limit {
            return Err(FrameError::TooLarge {
                len,
                limit: self.limit,
            });
        }
        if self.buf.len() < HEADER_LEN + len {
            return Ok(None);
        }
        self.buf.advance(HEADER_LEN);
        Ok(Some(Frame {
            compressed: flag == 1,
            message: self.buf.split_to(len).freeze(),
        }))
    }

    /// Checks that the body ended on a frame boundary.
    pub fn finish(&self) -> Result<(), FrameError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let need = if self.buf.len() < HEADER_LEN {
            HEADER_LEN
        } else {
            let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]);
            HEADER_LEN + usize::try_from(len).unwrap_or(usize::MAX)
        };
        Err(FrameError::Truncated {
            have: self.buf.len(),
            need,
        })
    }
}
