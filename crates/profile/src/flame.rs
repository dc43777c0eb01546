//! Flame graphs.
//!
//! [`flamegraph_svg`] renders folded stacks as an interactive SVG flame graph (Brendan Gregg's
//! visualisation: x = share of samples, y = stack depth, alphabetical within a level) with
//! [`inferno::flamegraph`], the Rust port of `flamegraph.pl`. The SVG is self-contained: its
//! CSS and its JavaScript (search, zoom) are inlined, and it references no external resource
//! (the only URLs in it are XML namespace names and a comment).

use inferno::flamegraph::{self, Options};

use crate::error::ProfileError;

/// Renders `folded` stacks (`a;b;c COUNT` lines) as an SVG flame graph titled `title`.
///
/// Returns [`ProfileError::NoSamples`] when `folded` holds no stacks.
pub fn flamegraph_svg(folded: &str, title: &str) -> Result<String, ProfileError> {
    if crate::collapse::total_samples(folded) == 0 {
        return Err(ProfileError::NoSamples);
    }
    let mut options = Options::default();
    options.title = title.to_owned();
    options.count_name = "samples".to_owned();
    let mut out = Vec::new();
    flamegraph::from_lines(&mut options, folded.lines(), &mut out).map_err(|source| {
        ProfileError::Inferno {
            what: "render the flame graph",
            source,
        }
    })?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Lists references in `svg` that would make a viewer fetch something from the network:
/// `href`/`src` attributes, CSS `url(...)` and `@import` pointing at `http(s)://` or `//`.
/// Empty for the SVGs [`flamegraph_svg`] produces.
pub fn external_references(svg: &str) -> Vec<String> {
    let lower = svg.to_ascii_lowercase();
    let mut found = Vec::new();
    for marker in [
        "href=\"http",
        "href='http",
        "href=\"//",
        "src=\"http",
        "src='http",
        "src=\"//",
        "url(http",
        "url(\"http",
        "url('http",
        "@import",
    ] {
        for (i, _) in lower.match_indices(marker) {
            let end = (i + 80).min(svg.len());
            let end = (end..=svg.len())
                .find(|&e| svg.is_char_boundary(e))
                .unwrap_or(svg.len());
            found.push(svg[i..end].to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_self_contained_svg() {
        let svg = flamegraph_svg("p;main;hot_spin 90\np;main;cold_path 10\n", "demo").unwrap();
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("hot_spin"));
        assert!(svg.contains("cold_path"));
        assert!(svg.contains("<script"));
        assert!(
            external_references(&svg).is_empty(),
            "{:?}",
            external_references(&svg)
        );
    }

    #[test]
    fn detects_external_references() {
        let refs = external_references(r#"<image href="https://x.example/a.png"/>"#);
        assert_eq!(refs.len(), 1);
    }

    #[test]
    fn empty_input_is_no_samples() {
        assert!(matches!(
            flamegraph_svg("", "t"),
            Err(ProfileError::NoSamples)
        ));
    }
}
