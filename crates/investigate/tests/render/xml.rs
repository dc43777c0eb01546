//! The report crate's well-formedness checker, and the page adapted to XML.
#![allow(dead_code)]

/// The page as XML: the doctype dropped and the void `<meta>` elements closed.
pub fn page_as_xml(html: &str) -> String {
    html.replace("<!DOCTYPE html>", "")
        .replace("<meta charset=\"utf-8\">", "<meta charset=\"utf-8\"/>")
        .replace("initial-scale=1\">", "initial-scale=1\"/>")
        .replace("content=\"light dark\">", "content=\"light dark\"/>")
}

pub use perfhive_report::markup::check_xml;
