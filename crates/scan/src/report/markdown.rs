//! The report as Markdown (`--format markdown`), for pull-request comments and job summaries.

use super::ScanReport;
use std::io::{self, Write};

impl ScanReport {
    /// The report as Markdown: a summary line, a findings table, the skipped files.
    pub fn render_markdown(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(w, "# perfhive scan\n")?;
        writeln!(w, "{}\n", self.summary_line())?;
        if !self.findings.is_empty() {
            writeln!(
                w,
                "| Severity | Confidence | Runs | Rule | Location | Function | Finding |"
            )?;
            writeln!(w, "|---|---|---|---|---|---|---|")?;
            for f in self.ranked() {
                let mut what = f.message.clone();
                if let Some(sup) = &f.suppressed {
                    what = format!("(suppressed at line {}) {what}", sup.line);
                }
                if let Some(c) = &f.context {
                    what.push_str(&format!(" ({} at line {}: `{}`)", c.kind, c.line, c.text));
                }
                if f.statements.len() > 1 {
                    let lines: Vec<String> =
                        f.statements.iter().map(|s| s.line.to_string()).collect();
                    what.push_str(&format!("; lines {}", lines.join(", ")));
                }
                writeln!(
                    w,
                    "| {} | {} | {} | `{}` | `{}:{}:{}` | {} | {} |",
                    f.severity.name(),
                    f.confidence.name(),
                    f.run_context.name(),
                    f.rule_id,
                    cell(&f.file),
                    f.line,
                    f.column,
                    f.function
                        .as_deref()
                        .map_or(String::new(), |n| format!("`{}`", cell(n))),
                    cell(&what),
                )?;
            }
        }
        if let Some(h) = self.held_out_line() {
            writeln!(w, "\n{h}")?;
        }
        if !self.notes.is_empty() {
            writeln!(w, "\n## Notes\n\n| File | Note |\n|---|---|")?;
            for n in &self.notes {
                writeln!(w, "| `{}` | {} |", cell(&n.file), cell(&n.message))?;
            }
        }
        Ok(())
    }
}

/// Text for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
