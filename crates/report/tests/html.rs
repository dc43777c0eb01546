//! The HTML page and its helpers: escaping, tables, a self-contained document.

mod common;

use common::{check_xml, demo_page, USER_TEXT};
use perfhive_report::html::{escape, html_table, markdown_table, page, slug};

#[test]
fn escapes_markup_and_quotes() {
    assert_eq!(
        escape(r#"<script>alert("x")</script> & 'y'"#),
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
    );
    assert_eq!(escape("p99 ≤ 250 ms"), "p99 ≤ 250 ms");
    assert_eq!(escape("&amp;"), "&amp;amp;");
}

#[test]
fn page_is_self_contained() {
    let html = demo_page();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("prefers-color-scheme:dark") && html.contains("@media print"));
    // No network: nothing is fetched, and the only URLs are the user's text (escaped).
    let escaped_user = escape(USER_TEXT);
    assert_eq!(html.matches(&escaped_user).count(), 1);
    let rest = html.replace(&escaped_user, "");
    for bad in [
        "http://",
        "https://",
        "//cdn",
        "<script",
        "<link",
        "<img",
        "<iframe",
        " src=",
        "url(",
        "@import",
        "@font-face",
    ] {
        assert!(!rest.contains(bad), "page contains {bad}");
    }
    // Every chart is inline and well-formed; the document nests properly.
    assert_eq!(html.matches("<svg class=\"ph-chart\"").count(), 4);
    let xml = html
        .replace("<!DOCTYPE html>", "")
        .replace("<meta charset=\"utf-8\">", "<meta charset=\"utf-8\"/>")
        .replace("initial-scale=1\">", "initial-scale=1\"/>")
        .replace("content=\"light dark\">", "content=\"light dark\"/>");
    check_xml(&xml).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn toc_links_every_section() {
    let sections = vec![
        (
            "summary".to_string(),
            "Executive <summary>".to_string(),
            "<p>a</p>".to_string(),
        ),
        (
            "key findings".to_string(),
            "Key findings".to_string(),
            "<p>b</p>\n".to_string(),
        ),
    ];
    let html = page("T & T", &sections);
    assert!(html.contains("<title>T &amp; T</title>") && html.contains("<h1>T &amp; T</h1>"));
    assert!(html.contains("<li><a href=\"#summary\">Executive &lt;summary&gt;</a></li>"));
    assert!(html.contains("<li><a href=\"#key-findings\">Key findings</a></li>"));
    assert!(html.contains("<section id=\"key-findings\" aria-labelledby=\"key-findings-h\">\n<h2 id=\"key-findings-h\">Key findings</h2>\n<p>b</p>\n</section>"));
    assert!(html.find("id=\"summary\"").unwrap() < html.find("id=\"key-findings\"").unwrap());
    assert_eq!(slug(""), "section");
    assert!(!page("empty", &[]).contains("<nav"));
}

#[test]
fn tables() {
    let rows = vec![
        vec!["a|b".to_string(), "12.5 ms".to_string(), "x\ny".to_string()],
        vec!["<c>".to_string(), "-3%".to_string()],
    ];
    let md = markdown_table(&["name", "p99", "note"], &rows);
    assert_eq!(
        md,
        "| name | p99 | note |\n| --- | ---: | --- |\n| a\\|b | 12.5 ms | x y |\n| <c> | -3% |  |\n"
    );
    let h = html_table(&["name", "p99", "note"], &rows);
    assert!(h.contains("<th scope=\"col\" class=\"num\">p99</th>"));
    assert!(h.contains("<tr><td>a|b</td><td class=\"num\">12.5 ms</td><td>x\ny</td></tr>"));
    assert!(h.contains("<td>&lt;c&gt;</td><td class=\"num\">-3%</td><td></td>"));
    check_xml(&h).unwrap();
}
