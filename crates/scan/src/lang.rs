//! The languages the scanner parses: file-extension mapping, the tree-sitter grammar of each, and
//! the few per-language facts rules cannot express as data (which nodes are functions and where
//! their names are, so every finding can name its enclosing function).
//!
//! Metavariables are written `$X` in every language; where `$` is not an identifier character
//! (Python, Go, Rust) patterns are parsed with `µ` in its place, as ast-grep's "expando char".

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A language the scanner understands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Python (`.py`).
    Python,
    /// JavaScript, with JSX (`.js`, `.jsx`, `.mjs`, `.cjs`).
    JavaScript,
    /// TypeScript (`.ts`, `.mts`, `.cts`; not `.d.ts`).
    TypeScript,
    /// TypeScript with JSX (`.tsx`).
    Tsx,
    /// Go (`.go`).
    Go,
    /// Java (`.java`).
    Java,
    /// Rust (`.rs`).
    Rust,
}

impl Language {
    /// The family a language's names are shared in: TypeScript and TSX call JavaScript and
    /// each other, so they are one.
    pub fn family(self) -> Language {
        match self {
            Language::TypeScript | Language::Tsx => Language::JavaScript,
            l => l,
        }
    }

    /// Every language, in a stable order.
    pub const ALL: [Language; 7] = [
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Go,
        Language::Java,
        Language::Rust,
    ];

    /// The language of a file, by its name.
    pub fn from_path(path: &Path) -> Option<Language> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
            return None;
        }
        Some(match name.rsplit_once('.')?.1 {
            "py" => Language::Python,
            "js" | "jsx" | "mjs" | "cjs" => Language::JavaScript,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "go" => Language::Go,
            "java" => Language::Java,
            "rs" => Language::Rust,
            _ => return None,
        })
    }

    /// The language named `s` (as in rule files and `--lang`); common aliases accepted.
    pub fn from_name(s: &str) -> Option<Language> {
        Some(match s.to_ascii_lowercase().as_str() {
            "python" | "py" => Language::Python,
            "javascript" | "js" | "jsx" => Language::JavaScript,
            "typescript" | "ts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "go" | "golang" => Language::Go,
            "java" => Language::Java,
            "rust" | "rs" => Language::Rust,
            _ => return None,
        })
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Go => "go",
            Language::Java => "java",
            Language::Rust => "rust",
        }
    }

    /// Index into per-language tables.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The tree-sitter grammar.
    pub fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Language::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::Java => tree_sitter_java::LANGUAGE.into(),
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
        }
    }

    /// The character that stands for `$` when a pattern is parsed (`$` itself where it is an
    /// identifier character).
    pub(crate) fn expando(self) -> char {
        match self {
            Language::Python | Language::Go | Language::Rust => 'µ',
            _ => '$',
        }
    }

    /// Whether minified-file detection applies (bundled JavaScript and TypeScript).
    pub(crate) fn may_be_minified(self) -> bool {
        matches!(
            self,
            Language::JavaScript | Language::TypeScript | Language::Tsx
        )
    }

    /// Node kinds that are functions (or methods, closures), for the enclosing-function name.
    pub(crate) fn function_kinds(self) -> &'static [&'static str] {
        match self {
            Language::Python => &["function_definition"],
            Language::JavaScript | Language::TypeScript | Language::Tsx => &[
                "function_declaration",
                "function_expression",
                "generator_function_declaration",
                "generator_function",
                "method_definition",
                "arrow_function",
            ],
            Language::Go => &["function_declaration", "method_declaration", "func_literal"],
            Language::Java => &[
                "method_declaration",
                "constructor_declaration",
                "lambda_expression",
            ],
            Language::Rust => &["function_item", "closure_expression"],
        }
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The name of a function node: its `name` field, or for an anonymous function the variable,
/// property or field it is assigned to (`const load = async () => …`). `None` for anonymous
/// closures passed as arguments.
pub(crate) fn function_name(node: tree_sitter::Node<'_>, src: &[u8]) -> Option<String> {
    let text = |n: tree_sitter::Node<'_>| n.utf8_text(src).ok().map(str::to_string);
    if let Some(name) = node.child_by_field_name("name") {
        return text(name);
    }
    let parent = node.parent()?;
    match parent.kind() {
        "variable_declarator" => parent.child_by_field_name("name").and_then(text),
        "pair" => parent.child_by_field_name("key").and_then(text),
        "assignment_expression" => parent.child_by_field_name("left").and_then(text),
        "public_field_definition" | "field_definition" => parent
            .child_by_field_name("name")
            .or_else(|| parent.child_by_field_name("property"))
            .and_then(text),
        "let_declaration" => parent.child_by_field_name("pattern").and_then(text),
        _ => None,
    }
}

/// The text of a call's arguments, `rest` starting after its `(`: up to the matching `)`,
/// brackets nested and quoted strings skipped. `None` when it does not close within 2,000
/// bytes.
pub(crate) fn call_arguments(rest: &str) -> Option<&str> {
    let b = rest.as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < b.len().min(2000) {
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return rest.get(..i);
                }
            }
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < b.len() && b[i] != q && b[i] != b'\n' {
                    i += usize::from(b[i] == b'\\');
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_map_to_languages() {
        let l = |p: &str| Language::from_path(Path::new(p));
        assert_eq!(l("a/b.py"), Some(Language::Python));
        assert_eq!(l("x.mjs"), Some(Language::JavaScript));
        assert_eq!(l("x.cjs"), Some(Language::JavaScript));
        assert_eq!(l("x.jsx"), Some(Language::JavaScript));
        assert_eq!(l("x.tsx"), Some(Language::Tsx));
        assert_eq!(l("x.ts"), Some(Language::TypeScript));
        assert_eq!(l("x.d.ts"), None);
        assert_eq!(l("main.go"), Some(Language::Go));
        assert_eq!(l("A.java"), Some(Language::Java));
        assert_eq!(l("lib.rs"), Some(Language::Rust));
        assert_eq!(l("README.md"), None);
        assert_eq!(l("Makefile"), None);
    }

    #[test]
    fn function_kinds_exist_in_each_grammar() {
        for lang in Language::ALL {
            let g = lang.grammar();
            for k in lang.function_kinds() {
                assert_ne!(g.id_for_node_kind(k, true), 0, "{lang}: {k}");
            }
        }
    }
}
