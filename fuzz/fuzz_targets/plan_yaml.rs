//! The investigation plan parser (its public `Plan::from_str_at`) on arbitrary text: a plan or
//! an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfhive_investigate::plan::Plan;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = Plan::from_str_at(text, Path::new("/nonexistent-perfhive-fuzz/plan.yaml")) {
        let _ = e.to_string();
    }
});
