//! Self-contained HTML documents for reports: one HTML5 page with inline CSS and no external
//! fonts, scripts, images or links, so it opens with no network; a table of contents; light and
//! dark themes through `prefers-color-scheme`; print-friendly. Plus escaping and table helpers
//! (HTML and Markdown) shared with the Markdown report.

use std::fmt::Write as _;

/// The page's style sheet. Charts from [`crate::svg`] draw text and axes in `currentColor` and
/// inherit the font, so they follow the theme.
const CSS: &str = r#":root{color-scheme:light dark;--fg:#1a1a1a;--bg:#ffffff;--muted:#5c5c5c;--rule:#d6d6d6;--accent:#0060a0;--stripe:#f4f6f8;--code:#f0f0f0}
@media (prefers-color-scheme:dark){:root{--fg:#e6e6e6;--bg:#16181c;--muted:#a8a8a8;--rule:#3a3d44;--accent:#7cc4ff;--stripe:#1e2127;--code:#23262d}}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:16px;line-height:1.5;color:var(--fg);background:var(--bg)}
body{margin:0 auto;max-width:60rem;padding:1.5rem 1.25rem 4rem}
h1{font-size:1.9rem;line-height:1.2;margin:0 0 1rem}
h2{font-size:1.4rem;margin:2.5rem 0 .75rem;padding-bottom:.25rem;border-bottom:1px solid var(--rule)}
h3{font-size:1.15rem;margin:1.5rem 0 .5rem}
a{color:var(--accent)}
nav{border:1px solid var(--rule);border-radius:6px;padding:.75rem 1.25rem;margin:0 0 1.5rem}
nav h2{font-size:1rem;margin:0;border:0;padding:0}
nav ol{margin:.5rem 0 0;padding-left:1.5rem}
code,pre,kbd{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em;background:var(--code);border-radius:4px}
code{padding:.1em .3em}
pre{padding:.75rem 1rem;overflow-x:auto;white-space:pre-wrap}
pre code{padding:0;background:none}
table{border-collapse:collapse;margin:1rem 0;width:auto;max-width:100%;display:block;overflow-x:auto}
th,td{border:1px solid var(--rule);padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:var(--stripe)}
tbody tr:nth-child(even){background:var(--stripe)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.25rem 0}
figcaption{color:var(--muted);font-size:.9rem;margin-top:.25rem}
svg.ph-chart{display:block;width:100%;max-width:100%;height:auto;color:var(--fg);overflow:visible}
.muted{color:var(--muted)}
@media print{
 :root{--fg:#000;--bg:#fff;--muted:#444;--rule:#999;--accent:#000;--stripe:#f2f2f2;--code:#f2f2f2;color-scheme:light}
 html{font-size:11pt}
 body{max-width:none;padding:0}
 nav{break-after:page}
 h2,h3{break-after:avoid}
 figure,svg.ph-chart,table,pre{break-inside:avoid}
 a{color:inherit;text-decoration:none}
}
"#;

/// Escapes text for HTML and XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Makes a usable fragment id of `s`: ASCII letters, digits, `-` and `_` are kept, anything
/// else becomes `-`; an empty result is `section`.
pub fn slug(s: &str) -> String {
    let id: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if id.is_empty() {
        "section".into()
    } else {
        id
    }
}

/// A complete HTML5 document: `title` as heading, a table of contents, then one `<section>`
/// per `(id, heading, inner HTML)`. Ids pass through [`slug`]; headings are escaped, inner
/// HTML is inserted as given.
pub fn page(title: &str, sections: &[(String, String, String)]) -> String {
    let mut out = String::new();
    let t = escape(title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n<title>{t}</title>\n\
         <style>\n{CSS}</style>\n</head>\n<body>\n<header><h1>{t}</h1></header>\n"
    );
    if !sections.is_empty() {
        out.push_str("<nav aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n");
        for (id, heading, _) in sections {
            let _ = writeln!(
                out,
                "<li><a href=\"#{}\">{}</a></li>",
                escape(&slug(id)),
                escape(heading)
            );
        }
        out.push_str("</ol>\n</nav>\n");
    }
    out.push_str("<main>\n");
    for (id, heading, inner) in sections {
        let id = escape(&slug(id));
        let _ = write!(
            out,
            "<section id=\"{id}\" aria-labelledby=\"{id}-h\">\n<h2 id=\"{id}-h\">{}</h2>\n{inner}",
            escape(heading)
        );
        if !inner.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// A chart (or any block) in a `<figure>` with an escaped caption.
pub fn figure(inner: &str, caption: &str) -> String {
    format!(
        "<figure>\n{inner}<figcaption>{}</figcaption>\n</figure>\n",
        escape(caption)
    )
}

/// Whether a cell reads as a number ("12", "-3.5%", "1,234 ms", "~40"), to right-align it.
fn looks_numeric(s: &str) -> bool {
    let t = s.trim().trim_start_matches(['+', '-', '−', '~', '≈', '×']);
    t.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// Columns whose non-empty cells all read as numbers (and at least one is not empty).
fn numeric_columns(n: usize, rows: &[Vec<String>]) -> Vec<bool> {
    (0..n)
        .map(|i| {
            let mut cells = rows
                .iter()
                .filter_map(|r| r.get(i))
                .filter(|c| !c.trim().is_empty())
                .peekable();
            cells.peek().is_some() && cells.all(|c| looks_numeric(c))
        })
        .collect()
}

/// An HTML table; every cell is escaped text. Numeric columns are right-aligned with tabular
/// figures. Short rows are padded, long ones are cut to the number of headers.
pub fn html_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let num = numeric_columns(headers.len(), rows);
    let class = |i: usize| if num[i] { " class=\"num\"" } else { "" };
    let mut out = String::from("<table>\n<thead><tr>");
    for (i, h) in headers.iter().enumerate() {
        let _ = write!(out, "<th scope=\"col\"{}>{}</th>", class(i), escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for i in 0..headers.len() {
            let cell = r.get(i).map_or("", String::as_str);
            let _ = write!(out, "<td{}>{}</td>", class(i), escape(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// A Markdown cell: pipes and backslashes escaped, line breaks as spaces.
fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace("\r\n", " ")
        .replace(['\n', '\r'], " ")
}

/// A GitHub-flavoured Markdown table; numeric columns are right-aligned. Short rows are
/// padded, long ones are cut to the number of headers.
pub fn markdown_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let num = numeric_columns(headers.len(), rows);
    let mut out = String::from("|");
    for h in headers {
        let _ = write!(out, " {} |", md_cell(h));
    }
    out.push_str("\n|");
    for n in &num {
        out.push_str(if *n { " ---: |" } else { " --- |" });
    }
    out.push('\n');
    for r in rows {
        out.push('|');
        for i in 0..headers.len() {
            let cell = r.get(i).map_or("", String::as_str);
            let _ = write!(out, " {} |", md_cell(cell));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_detection() {
        assert!(looks_numeric("-3.5%"));
        assert!(looks_numeric("1,234 ms"));
        assert!(!looks_numeric("p99"));
        assert!(!looks_numeric(""));
        assert_eq!(slug("Key findings!"), "Key-findings-");
    }
}
