//! The k6 importer on arbitrary text: imported or refused, never a panic; every statistic
//! it keeps is a number (no NaN or infinity reaches the history).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common/mod.rs"]
mod common;
use perfhive_import::{parse, Format};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent-perfhive-fuzz/summary.json");
    if let Ok(imported) = parse(Format::K6Summary, path, text) {
        common::assert_numbers_hold(&imported);
    }
});
