//! Format detection then import on arbitrary text, as `perfhive import FILE` does: never a
//! panic; every statistic kept is a number.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common/mod.rs"]
mod common;
use perfhive_import::{detect, parse};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent-perfhive-fuzz/result.json");
    if let Some(format) = detect(path, text) {
        if let Ok(imported) = parse(format, path, text) {
            common::assert_numbers_hold(&imported);
        }
    }
});
