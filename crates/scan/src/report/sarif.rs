//! The report as a SARIF 2.1.0 log (`--format sarif`), for code-scanning dashboards.

use super::ScanReport;
use crate::finding::Severity;
use serde_json::json;
use std::io::{self, Write};

impl ScanReport {
    /// The report as a SARIF 2.1.0 log with one run (buffered, as [`Self::render_json`]).
    pub fn render_sarif(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut w = io::BufWriter::with_capacity(1 << 16, w);
        serde_json::to_writer_pretty(&mut w, &self.sarif())?;
        writeln!(w)?;
        w.flush()
    }

    /// The SARIF 2.1.0 log as a JSON value.
    pub fn sarif(&self) -> serde_json::Value {
        let rules: Vec<serde_json::Value> = self
            .rules
            .iter()
            .map(|r| {
                let mut v = json!({
                    "id": r.id,
                    "shortDescription": { "text": r.message },
                    "defaultConfiguration": { "level": sarif_level(r.severity) },
                    "properties": {
                        "confidence": r.confidence.name(),
                        "languages": r.languages.iter().map(|l| l.name()).collect::<Vec<_>>(),
                    },
                });
                if let Some(h) = r.held_out {
                    v["properties"]["heldOut"] = json!({
                        "labelled": h.labelled,
                        "worthChanging": h.worth_changing,
                    });
                }
                if let Some(n) = &r.note {
                    v["fullDescription"] = json!({ "text": n });
                }
                if let Some(f) = &r.fix {
                    v["help"] = json!({ "text": f });
                }
                v
            })
            .collect();
        let results: Vec<serde_json::Value> = self
            .findings
            .iter()
            .map(|f| {
                let mut loc = json!({
                    "physicalLocation": {
                        "artifactLocation": artifact(&f.file),
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                            "snippet": { "text": f.snippet },
                        },
                    },
                });
                if let Some(func) = &f.function {
                    loc["logicalLocations"] = json!([{ "name": func, "kind": "function" }]);
                }
                let mut props = json!({
                    "confidence": f.confidence.name(),
                    "runContext": f.run_context.name(),
                });
                if !f.run_context_reason.is_empty() {
                    props["runContextReason"] = json!(f.run_context_reason);
                }
                if let Some(rs) = f.rule_severity {
                    props["ruleSeverity"] = json!(rs.name());
                }
                if let Some(c) = &f.context {
                    props["context"] = json!(c);
                }
                let mut res = json!({
                    "ruleId": f.rule_id,
                    "level": sarif_level(f.severity),
                    "message": { "text": f.message },
                    "locations": [loc],
                    "properties": props,
                });
                if !f.fingerprint.is_empty() {
                    res["partialFingerprints"] = json!({ "perfhiveFinding/v1": f.fingerprint });
                }
                if let Some(sup) = &f.suppressed {
                    let mut s = json!({ "kind": "inSource", "status": "accepted" });
                    if let Some(r) = &sup.reason {
                        s["justification"] = json!(r);
                    }
                    res["suppressions"] = json!([s]);
                }
                if self.summary.baseline.is_some() {
                    // what a baseline held is not listed: every listed result is new
                    res["baselineState"] = json!("new");
                }
                if !f.statements.is_empty() {
                    let related: Vec<serde_json::Value> = f
                        .statements
                        .iter()
                        .enumerate()
                        .map(|(id, st)| {
                            json!({
                                "id": id,
                                "message": { "text": st.text },
                                "physicalLocation": {
                                    "artifactLocation": artifact(&f.file),
                                    "region": { "startLine": st.line, "startColumn": st.column },
                                },
                            })
                        })
                        .collect();
                    res["relatedLocations"] = json!(related);
                }
                if let Some(i) = self.rules.iter().position(|r| r.id == f.rule_id) {
                    res["ruleIndex"] = json!(i);
                }
                res
            })
            .collect();
        let notifications: Vec<serde_json::Value> = self
            .notes
            .iter()
            .map(|n| {
                json!({
                    "level": "note",
                    "message": { "text": format!("{}: {}", n.file, n.message) },
                    "locations": [{ "physicalLocation": { "artifactLocation": artifact(&n.file) } }],
                })
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": {
                    "name": self.tool.name,
                    "version": self.tool.version,
                    "rules": rules,
                }},
                "columnKind": "unicodeCodePoints",
                "invocations": [{
                    "executionSuccessful": true,
                    "toolExecutionNotifications": notifications,
                }],
                "results": results,
            }],
        })
    }
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// A SARIF artifactLocation: relative paths against `%SRCROOT%`, absolute ones as file URIs.
fn artifact(path: &str) -> serde_json::Value {
    let enc = uri_encode(path);
    if path.starts_with('/') {
        json!({ "uri": format!("file://{enc}") })
    } else {
        json!({ "uri": enc, "uriBaseId": "%SRCROOT%" })
    }
}

fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
