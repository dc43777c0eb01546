//! The code investigator: perfhive-scan's tree-sitter rules over the target's source (the plan
//! names the path). Every match becomes a heuristic finding about its enclosing function, so
//! the integrator can join it to a hot profile frame or a trace phase that names the same
//! function — a static finding confirmed at runtime ranks far above one that is not. Matches of
//! one rule in one function are one finding (with the count), so a loop-heavy file does not
//! flood the report.
//!
//! Auto-instrumented traces rarely name functions; they name routes (`http.route`) and SQL
//! statements (`db.statement`). So each finding also carries the routes whose handler holds it
//! (the scan's route table) and the fingerprints of the SQL strings in its function, and joins
//! a trace finding on the same request or statement.

use crate::model::{
    data_pointer, Effort, Evidence, Finding, InvestigatorName, InvestigatorResult, Recommendation,
};
use crate::runner::{Context, Investigator, InvestigatorError};
use perfhive_core::route::Route;
use perfhive_core::text::count;
use perfhive_scan::{Confidence, ScanOptions, ScanReport, Severity};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Most findings reported (the highest severity and confidence first).
const MAX_FINDINGS: usize = 40;

/// Scans source code for performance anti-patterns.
pub struct CodeInvestigator {
    /// Files and folders to scan.
    pub paths: Vec<PathBuf>,
    /// Folders of extra rules.
    pub rule_dirs: Vec<PathBuf>,
    /// Whether the built-in rules run.
    pub builtin: bool,
    /// Paths in the report are shown relative to this folder (the plan's) when under it.
    pub base: PathBuf,
}

/// What a rule is about, for the report's subjects.
pub fn subject_of_rule(rule_id: &str) -> &'static str {
    let r = rule_id.to_ascii_lowercase();
    if ["n-plus-one", "select", "query", "sql"]
        .iter()
        .any(|k| r.contains(k))
    {
        "database"
    } else if ["cache", "redis", "ttl"].iter().any(|k| r.contains(k)) {
        "cache"
    } else if ["http", "await", "rpc", "fetch"]
        .iter()
        .any(|k| r.contains(k))
    {
        "network"
    } else if ["blocking", "file-io", "sleep"]
        .iter()
        .any(|k| r.contains(k))
    {
        "blocking-io"
    } else {
        "cpu"
    }
}

fn weight(s: Severity, c: Confidence) -> f64 {
    let s = match s {
        Severity::High => 0.8,
        Severity::Medium => 0.6,
        Severity::Low => 0.4,
    };
    let c = match c {
        Confidence::High => 1.0,
        Confidence::Medium => 0.8,
        Confidence::Low => 0.6,
    };
    s * c
}

impl Investigator for CodeInvestigator {
    fn name(&self) -> InvestigatorName {
        InvestigatorName::Code
    }

    fn run(
        &mut self,
        _ctx: &Context,
        _deadline: Instant,
    ) -> Result<InvestigatorResult, InvestigatorError> {
        let opts = ScanOptions {
            paths: self.paths.clone(),
            rule_dirs: self.rule_dirs.clone(),
            builtin: self.builtin,
            // runtime evidence (repeated spans, a hot frame) tells the size a loop's names do
            // not: such findings are kept, at low confidence, for the joins
            include_unsized: true,
            include_off_request: true,
            ..ScanOptions::default()
        };
        let report = perfhive_scan::scan(&opts).map_err(|e| InvestigatorError(e.to_string()))?;
        let (findings, groups) = findings_of(&report, &self.base);
        let s = &report.summary;
        let summary = format!(
            "{} in {} ({} parsed, {} skipped), {} routes, {} SQL strings, in {:.0} ms{}",
            count(report.findings.len(), "finding", "findings"),
            count(s.files as usize, "file", "files"),
            s.files_parsed,
            s.files_skipped,
            report.routes.len(),
            report.sql.len(),
            s.duration_ms,
            if groups > MAX_FINDINGS {
                format!("; the {MAX_FINDINGS} strongest of {groups} groups reported")
            } else {
                String::new()
            }
        );
        if s.files == 0 {
            let why = format!(
                "no source file in a supported language under {:?}",
                self.paths
            );
            return Ok(InvestigatorResult::insufficient(
                InvestigatorName::Code,
                why,
                Some(report.into()),
            ));
        }
        Ok(InvestigatorResult::from_findings(
            InvestigatorName::Code,
            summary,
            findings,
            Some(report.into()),
        ))
    }
}

/// The findings of a scan report (the strongest [`MAX_FINDINGS`] groups of one rule in one
/// function), paths shown relative to `base`; and the number of groups.
pub fn findings_of(report: &ScanReport, base: &Path) -> (Vec<Finding>, usize) {
    // one finding per (rule, file, function), the first match standing for the rest; an
    // anonymous inline handler stands for itself by its route
    let mut groups: BTreeMap<(String, String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in report.findings.iter().enumerate() {
        let func = f
            .function
            .clone()
            .or_else(|| f.routes.first().cloned())
            .unwrap_or_default();
        groups
            .entry((f.rule_id.clone(), f.file.clone(), func))
            .or_default()
            .push(i);
    }
    // one-off code (migrations, scripts, tests) ranks far below request-path code
    let mut grouped: Vec<(f64, Vec<usize>)> = groups
        .into_values()
        .map(|idx| {
            let f = &report.findings[idx[0]];
            let w = weight(f.rule_severity.unwrap_or(f.severity), f.confidence);
            (w * f.run_context.weight(), idx)
        })
        .collect();
    grouped.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1[0].cmp(&b.1[0])));
    let mut findings = Vec::new();
    for (severity, idx) in grouped.iter().take(MAX_FINDINGS) {
        let i = idx[0];
        let f = &report.findings[i];
        let file = std::path::Path::new(&f.file);
        let file = file.strip_prefix(base).unwrap_or(file).display();
        let place = match &f.function {
            Some(func) => format!("in `{func}` ({file}:{})", f.line),
            None => format!("at {file}:{}", f.line),
        };
        let more = if idx.len() > 1 {
            format!(" ({} matches in this function)", idx.len())
        } else {
            String::new()
        };
        let context = f
            .context
            .as_ref()
            .map(|c| format!(" inside the {} at line {}: `{}`", c.kind, c.line, c.text))
            .unwrap_or_default();
        findings.push(Finding {
            id: format!("code.{}.{}", f.rule_id, findings.len()),
            investigator: InvestigatorName::Code,
            title: format!("{} {place}{more}", f.message),
            detail: format!(
                "rule `{}` ({} severity, {} confidence, {}){context}: `{}`",
                f.rule_id,
                f.severity.name(),
                f.confidence.name(),
                f.run_context.phrase(),
                f.snippet.lines().next().unwrap_or("").trim()
            ),
            severity: *severity,
            time_share: None,
            subject: subject_of_rule(&f.rule_id).into(),
            evidence: vec![Evidence {
                label: format!("{file}:{}:{}", f.line, f.column),
                value: idx.len() as f64,
                unit: if idx.len() == 1 { "match" } else { "matches" }.into(),
                pointer: data_pointer(&format!("findings/{i}")),
            }],
            heuristic: true,
            routes: group_routes(report, idx),
            statements: {
                let mut v: Vec<_> = idx
                    .iter()
                    .flat_map(|&j| report.findings[j].sql_fingerprints.iter().copied())
                    .collect();
                v.sort();
                v.dedup();
                v
            },
            functions: f.function.iter().cloned().collect(),
            files: vec![file.to_string()],
            recommendation: f.fix.as_ref().map(|fix| Recommendation {
                action: format!("{fix} ({place})"),
                impact: "removes the per-iteration cost this rule flags".into(),
                expected_speedup: None,
                effort: Effort::Low,
                risk: "a behaviour change in the rewritten code".into(),
                mitigation: "cover the function with a test before the change; measure before and after with `perfhive compare`".into(),
            }),
        });
    }
    (findings, grouped.len())
}

/// The routes of a group's findings, as the integrator compares routes.
fn group_routes(report: &ScanReport, idx: &[usize]) -> Vec<Route> {
    let mut v: Vec<Route> = idx
        .iter()
        .flat_map(|&j| report.findings[j].routes.iter())
        .map(|r| Route::parse(r))
        .collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
#[path = "code_tests.rs"]
mod tests;
