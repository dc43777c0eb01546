//! The OTLP protobuf decoder on arbitrary bytes, and the trace analysis (breakdown, critical
//! path, dependencies, N+1) on whatever spans decode: no panic, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfhive_traces::{decode_protobuf, summarize, DEFAULT_MAX_BYTES};

fuzz_target!(|data: &[u8]| {
    if let Ok(spans) = decode_protobuf(data, DEFAULT_MAX_BYTES) {
        let s = summarize(&spans, &[("db".to_string(), 10.0)], 0, 2);
        assert!(s.spans as usize <= spans.len());
        for p in &s.phases {
            assert!(p.share_pct.is_finite(), "{p:?}");
        }
    }
});
