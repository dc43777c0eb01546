//! Inputs a grammar's C code cannot take, found before the file is parsed. A C assertion
//! aborts the process and cannot be caught, so such a file is screened out by a conservative
//! check and skipped with a note; no source file can end a scan.
//!
//! tree-sitter-python's external scanner serialises its state into tree-sitter's 1,024-byte
//! buffer after every external token: 2 bytes of flags, one byte per open string delimiter
//! (at most 255), then two bytes per indentation level, in a loop that checks the bound only
//! before each two-byte write. With an odd number of bytes before the levels and more than
//! ~510 levels, it writes past the buffer and `ts_parser__external_scanner_serialize` asserts
//! (`length <= TREE_SITTER_SERIALIZATION_BUFFER_SIZE`). The indentation stack is strictly
//! increasing, so its depth is at most the number of distinct indentation widths in the file,
//! computed as the scanner computes them (space 1, tab 8, `\r` and form feed reset, a
//! whitespace-only line continued by `\` adds to the next line). Files with more distinct
//! widths than [`PYTHON_MAX_INDENT_WIDTHS`] are skipped: below it, even 255 open delimiters
//! leave room for every level (2 + 255 + 2 × 383 ≤ 1,024). Real code stays far below it.

use crate::lang::Language;

/// Most distinct indentation widths a Python file may have to be parsed.
pub(crate) const PYTHON_MAX_INDENT_WIDTHS: usize = 380;

/// Why `text` cannot be parsed safely as `lang`, if it cannot.
pub(crate) fn hazard(lang: Language, text: &str) -> Option<String> {
    match lang {
        Language::Python => {
            let n = python_indent_widths(text.as_bytes());
            (n > PYTHON_MAX_INDENT_WIDTHS).then(|| {
                format!(
                    "{n} distinct indentation widths, over the {PYTHON_MAX_INDENT_WIDTHS} that tree-sitter-python's scanner can hold; not parsed"
                )
            })
        }
        _ => None,
    }
}

/// The number of distinct non-zero indentation widths, measured as tree-sitter-python's
/// scanner measures them (its widths are `u16`; counting unwrapped values only overcounts).
fn python_indent_widths(src: &[u8]) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut carry: u64 = 0;
    let mut i = 0;
    while i < src.len() {
        let mut width = carry;
        while i < src.len() {
            match src[i] {
                b' ' => width += 1,
                b'\t' => width += 8,
                b'\r' | b'\x0c' => width = 0,
                _ => break,
            }
            i += 1;
        }
        let rest_start = i;
        let end = memchr::memchr(b'\n', &src[i..]).map_or(src.len(), |k| i + k);
        let rest = &src[rest_start..end];
        // `\` alone after the whitespace continues the indentation onto the next line
        if rest == b"\\" || rest == b"\\\r" {
            carry = width;
        } else {
            carry = 0;
            if width > 0 && !rest.is_empty() {
                seen.insert(width);
            }
        }
        i = end + 1;
    }
    seen.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize, indent: &str) -> String {
        let mut s = String::new();
        for i in 0..depth {
            s.push_str(&indent.repeat(i));
            s.push_str("if x:\n");
        }
        s.push_str(&indent.repeat(depth));
        s.push_str("y = \"s\"\n");
        s
    }

    #[test]
    fn indentation_widths_follow_the_scanner() {
        assert_eq!(python_indent_widths(b"a\n  b\n    c\n  d\n"), 2);
        assert_eq!(
            python_indent_widths(b"a\n\tb\n        c\n"),
            1,
            "a tab is 8"
        );
        assert_eq!(python_indent_widths(b"  \\\n  x\n"), 1, "continued: 4");
        assert_eq!(
            python_indent_widths(b"a\n  \x0c  b\n"),
            1,
            "form feed resets"
        );
        assert_eq!(
            python_indent_widths(b"a\n   \n"),
            0,
            "blank lines do not count"
        );
    }

    #[test]
    fn deep_python_is_screened_and_real_code_is_not() {
        assert!(hazard(Language::Python, &nested(511, " ")).is_some());
        assert!(hazard(Language::Python, &nested(400, "  ")).is_some());
        assert!(hazard(Language::Python, &nested(200, " ")).is_none());
        assert!(hazard(Language::JavaScript, &nested(600, " ")).is_none());
    }
}
