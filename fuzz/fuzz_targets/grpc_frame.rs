//! The gRPC length-prefixed message decoder, fed in chunks whose size the input chooses (as an
//! HTTP/2 body arrives): every frame it returns lies inside the input and under the limit, the
//! buffer never outgrows one frame plus a chunk, and each message goes through the OTLP
//! protobuf decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfhive_traces::decode_protobuf;
use perfhive_traces::grpc_frame::{FrameDecoder, HEADER_LEN};

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first % 64) + 1;
    let limit = 4096;
    let mut dec = FrameDecoder::new(limit);
    let mut framed = 0usize;
    for c in body.chunks(chunk) {
        dec.push(c);
        loop {
            match dec.next_frame() {
                Ok(Some(f)) => {
                    assert!(f.message.len() <= limit);
                    framed += HEADER_LEN + f.message.len();
                    assert!(framed <= body.len());
                    let _ = decode_protobuf(&f.message, limit);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    match dec.finish() {
        Ok(()) => assert_eq!(framed, body.len()),
        Err(_) => assert!(framed < body.len()),
    }
});
