//! The scanner with every built-in rule on arbitrary source text, with the file's route table
//! and SQL strings attached to its findings and the names it calls read for reachability: the
//! first byte picks the language (and whether the path reads as a migration), the rest is the
//! file. Findings or a note, never a panic or a hang, and every finding lies inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfhive_scan::{Language, Rule};
use std::sync::OnceLock;

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(perfhive_scan::builtin_rules)
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let lang = Language::ALL[sel as usize % Language::ALL.len()];
    let ext = match lang {
        Language::Python => "py",
        Language::JavaScript => "js",
        Language::TypeScript => "ts",
        Language::Tsx => "tsx",
        Language::Go => "go",
        Language::Java => "java",
        Language::Rust => "rs",
    };
    let file = if sel & 0x80 != 0 {
        format!("app/migrations/0001_initial.{ext}")
    } else {
        format!("app/views.{ext}")
    };
    let (findings, _note) = perfhive_scan::scan_text(rules(), lang, &file, text);
    let lines = text.lines().count().max(1) as u32 + 1;
    for f in &findings {
        assert!(f.line >= 1 && f.line <= lines, "line {} of {lines}", f.line);
        assert!(f.end_line >= f.line, "end {} before start {}", f.end_line, f.line);
        for s in &f.statements {
            assert!(s.line >= 1 && s.line <= lines, "statement line {} of {lines}", s.line);
        }
    }
});
