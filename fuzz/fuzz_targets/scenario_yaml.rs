//! The scenario parser on arbitrary text: it returns a scenario or an error, never panics or
//! hangs; a scenario it accepts has a profile the engine can run (finite, non-negative targets,
//! contiguous phases); an error stays short whatever the input (the excerpt is bounded).
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfhive_scenario::Scenario;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // body files resolve next to the scenario: in a directory that does not exist
    match Scenario::from_str_at(text, Path::new("/nonexistent-perfhive-fuzz/scenario.yaml")) {
        Ok(s) => {
            let p = &s.profile;
            let mut end = std::time::Duration::ZERO;
            for ph in &p.phases {
                assert_eq!(ph.start, end, "phases are contiguous");
                assert!(ph.from.is_finite() && ph.from >= 0.0, "{ph:?}");
                assert!(ph.to.is_finite() && ph.to >= 0.0, "{ph:?}");
                end = ph.end();
            }
            assert_eq!(p.total(), end);
            let _ = (p.peak(), p.mean_measured_target(), p.target_at(end / 2));
            assert!(!s.target.requests.is_empty());
        }
        Err(e) => {
            let shown = e.to_string();
            assert!(shown.len() < 4 * 1024 + 2 * e.message.len(), "{} bytes", shown.len());
        }
    }
});
