//! The scan rule loader (`perfhive_scan::rules_from_str`) on arbitrary YAML: rules or an error
//! naming the file, never a panic or a hang; rules that load also compile into a scanner that
//! runs over a small source of their language.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match perfhive_scan::rules_from_str("fuzz.yaml", text) {
        Ok(rules) => {
            for rule in &rules {
                for &lang in &rule.languages {
                    let _ = perfhive_scan::scan_text(
                        std::slice::from_ref(rule),
                        lang,
                        "app/views.py",
                        "def f(ids):\n    for i in ids:\n        x = g(i)\n",
                    );
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("fuzz.yaml"), "an error names its file: {msg}");
        }
    }
});
