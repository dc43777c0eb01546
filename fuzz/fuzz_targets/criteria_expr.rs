//! Success criteria and rollback triggers on arbitrary text: parsed or refused with an offset
//! inside the text; what parses has a finite threshold and a window the engine can use.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfhive_core::{Criterion, Trigger};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Criterion::parse(text) {
        Ok(c) => assert!(c.threshold.is_finite()),
        Err(e) => assert!(e.offset <= text.len()),
    }
    match Trigger::parse(text) {
        Ok(t) => {
            assert!(t.condition.threshold.is_finite());
            assert!(t.window >= std::time::Duration::from_secs(1));
            assert!(t.window <= perfhive_core::criteria::MAX_WINDOW);
        }
        Err(e) => assert!(e.offset <= text.len()),
    }
});
