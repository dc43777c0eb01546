//! The Markdown rendering: one `##` section per entry of [`super::SECTIONS`], tables through
//! [`markdown_table`], validation commands in fenced `sh` blocks.

use super::{
    artefacts_of, banner, breakdown_sentence, dec, effort_text, evidence_text,
    findings_by_investigator, headline, is_failure_note, ms, num, one_line, p0_sentences, pct,
    request_rows, seconds, shared_artefacts, speedup, verdict_text, REQUEST_HEADERS, SECTIONS,
};
use crate::model::Verdict;
use crate::report::{Charts, Report};
use perfhive_report::html::markdown_table;
use std::fmt::Write as _;

/// Renders the whole report.
pub(super) fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Investigation: {}\n", one_line(&r.name));
    let _ = writeln!(
        out,
        "Target: `{}` · started {} · took {} · report format {} ({})\n",
        one_line(&r.target),
        one_line(&r.date),
        seconds(r.duration_s),
        one_line(&r.schema_version),
        r.kind
    );
    if let Some(b) = banner(r) {
        let _ = writeln!(out, "> **Partial report.** {}\n", one_line(&b));
    }
    let bodies = [
        summary(r),
        findings(r),
        recommendations(r),
        investigators(r),
        consensus(r),
        roadmap(r),
        risks(r),
        validation(r),
        appendices(r),
    ];
    for (heading, body) in SECTIONS.iter().zip(bodies) {
        let _ = writeln!(out, "## {heading}\n\n{}", body.trim_end());
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// A bulleted list, or `empty` in italics when there is nothing to list.
fn bullets<S: AsRef<str>>(items: &[S], empty: &str) -> String {
    if items.is_empty() {
        return format!("_{empty}_\n");
    }
    items
        .iter()
        .map(|i| format!("- {}\n", one_line(i.as_ref())))
        .collect()
}

/// A link to a file of the report folder: `[flamegraph.svg](flamegraph.svg)`.
fn link(file: &str) -> String {
    let label = file.replace(['[', ']'], "");
    let target: String = file
        .chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '(' => "%28".to_string(),
            ')' => "%29".to_string(),
            c => c.to_string(),
        })
        .collect();
    format!("[{label}]({target})")
}

/// A code fence longer than any run of backticks in `body`.
fn fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for ch in body.chars() {
        run = if ch == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

fn summary(r: &Report) -> String {
    let es = &r.executive_summary;
    let mut s = format!("{}\n", headline(es));
    for line in p0_sentences(r) {
        let _ = writeln!(s, "\n**{}**", one_line(&line));
    }
    let _ = writeln!(s, "\n{}", breakdown_sentence(es));
    if !es.time_breakdown.is_empty() {
        let rows: Vec<Vec<String>> = es
            .time_breakdown
            .iter()
            .map(|p| vec![p.name.clone(), pct(p.share_pct), ms(p.mean_ms)])
            .collect();
        s.push('\n');
        s.push_str(&markdown_table(
            &["Phase", "Share of request time", "Mean per request"],
            &rows,
        ));
    }
    if !r.charts.requests.is_empty() {
        s.push_str("\nPer request, on the baseline:\n\n");
        s.push_str(&markdown_table(&REQUEST_HEADERS, &request_rows(r)));
    }
    if !r.criteria.is_empty() {
        let rows: Vec<Vec<String>> = r.criteria.iter().map(criterion_row).collect();
        s.push_str("\nSuccess criteria on the baseline:\n\n");
        s.push_str(&markdown_table(&["Criterion", "Value", "Outcome"], &rows));
    }
    s
}

/// One success criterion as a table row.
pub(crate) fn criterion_row(c: &perfhive_core::record::CriterionResult) -> Vec<String> {
    vec![
        c.expr.clone(),
        c.value
            .map(|v| format!("{v}"))
            .unwrap_or_else(|| "-".into()),
        match c.passed {
            Some(true) => "passed".into(),
            Some(false) => "FAILED".into(),
            None => format!("not evaluated: {}", c.note.clone().unwrap_or_default()),
        },
    ]
}

fn findings(r: &Report) -> String {
    let mut s = String::new();
    if r.findings.is_empty() {
        s.push_str("_No investigator reported a finding._\n");
    }
    for f in &r.findings {
        let fd = &f.finding;
        let _ = writeln!(s, "### #{} {}\n", f.rank, one_line(&fd.title));
        let mut facts = vec![
            format!("{}", fd.investigator),
            format!("score {}", dec(f.score, 3)),
            format!("severity {}", dec(fd.severity, 2)),
        ];
        if let Some(share) = fd.time_share {
            facts.push(format!("{} of request time", pct(share * 100.0)));
        }
        facts.push(
            if fd.heuristic {
                "heuristic"
            } else {
                "measured"
            }
            .into(),
        );
        let subject = match &f.subject_from {
            Some(from) => format!(
                "subject `{}` (from `{}`, joined to it)",
                one_line(&fd.subject),
                one_line(from)
            ),
            None => format!("subject `{}`", one_line(&fd.subject)),
        };
        facts.push(subject);
        facts.push(format!("id `{}`", one_line(&fd.id)));
        let _ = writeln!(s, "{}\n", facts.join(" · "));
        if !fd.detail.trim().is_empty() {
            let _ = writeln!(s, "{}\n", fd.detail.trim());
        }
        s.push_str("Evidence:\n\n");
        let ev: Vec<String> = fd.evidence.iter().map(evidence_line).collect();
        s.push_str(&bullets(&ev, "none recorded"));
        let _ = writeln!(s, "\nConfirmed by: {}\n", f.confirmation());
        if let Some(rec) = &fd.recommendation {
            let _ = writeln!(s, "Recommendation: {}\n", one_line(&rec.action));
        }
    }
    s
}

/// `label: value unit` with the JSON pointer to its data.
fn evidence_line(e: &crate::model::Evidence) -> String {
    if e.pointer.trim().is_empty() {
        evidence_text(e)
    } else {
        format!("{} (`{}`)", evidence_text(e), one_line(&e.pointer))
    }
}

fn recommendations(r: &Report) -> String {
    if r.recommendations.is_empty() {
        return "_No recommendation: nothing measured calls for a change._\n".into();
    }
    let mut s = String::new();
    for p in &r.recommendations {
        let rec = &p.recommendation;
        let _ = writeln!(s, "### {} — {}\n", p.priority, one_line(&rec.action));
        let ev: Vec<String> = p.evidence.iter().map(evidence_text).collect();
        let ev = if ev.is_empty() {
            "none recorded".to_string()
        } else {
            ev.join("; ")
        };
        let _ = writeln!(s, "- **Addresses:** `{}`", one_line(&p.finding_id));
        let _ = writeln!(s, "- **Impact:** {}", one_line(&rec.impact));
        let _ = writeln!(s, "- **Expected gain:** {}", speedup(p));
        let _ = writeln!(s, "- **Effort:** {}", effort_text(rec.effort));
        let _ = writeln!(s, "- **Rationale:** {}", one_line(&p.rationale));
        let _ = writeln!(s, "- **Evidence:** {ev}");
        let _ = writeln!(s, "- **Risks:** {}", one_line(&rec.risk));
        let _ = writeln!(s, "- **Mitigation:** {}\n", one_line(&rec.mitigation));
    }
    s
}

fn investigators(r: &Report) -> String {
    if r.investigators.is_empty() {
        return "_No investigator ran._\n".into();
    }
    let rows: Vec<Vec<String>> = r
        .investigators
        .iter()
        .map(|i| {
            vec![
                i.name.to_string(),
                verdict_text(i.verdict).to_string(),
                i.findings.len().to_string(),
                seconds(i.duration_s),
            ]
        })
        .collect();
    let mut s = markdown_table(&["Investigator", "Verdict", "Findings", "Duration"], &rows);
    for i in &r.investigators {
        let _ = writeln!(s, "\n### {} — {}\n", i.name, verdict_text(i.verdict));
        if !i.summary.trim().is_empty() && !is_failure_note(i) {
            let _ = writeln!(s, "{}\n", i.summary.trim());
        }
        if matches!(i.verdict, Verdict::Failed | Verdict::TimedOut) || i.error.is_some() {
            let err = i
                .error
                .as_deref()
                .map_or("no reason was given".into(), one_line);
            let _ = writeln!(s, "**Error:** {err}\n");
        }
        if i.verdict == Verdict::InsufficientData {
            s.push_str("Not enough data to conclude: no result is claimed.\n\n");
        }
        let mine: Vec<String> = findings_by_investigator(r)
            .into_iter()
            .filter(|g| g.0 == i.name)
            .flat_map(|g| g.1)
            .map(|f| format!("#{} {}", f.rank, f.finding.title))
            .collect();
        if !mine.is_empty() {
            s.push_str("Findings, by rank:\n\n");
            s.push_str(&bullets(&mine, "none"));
            s.push('\n');
        }
        s.push_str("Artefacts:\n\n");
        let files: Vec<String> = artefacts_of(r, i.name.as_str())
            .iter()
            .map(|f| link(f))
            .collect();
        s.push_str(&bullets(&files, "none"));
    }
    let shared: Vec<String> = shared_artefacts(r).iter().map(|f| link(f)).collect();
    if !shared.is_empty() {
        s.push_str("\n### Shared artefacts\n\n");
        s.push_str(&bullets(&shared, "none"));
    }
    s
}

fn consensus(r: &Report) -> String {
    let c = &r.consensus;
    let mut s = String::from("### Agreements\n\n");
    s.push_str(&bullets(
        &c.agreements,
        "No subject was raised by more than one investigator.",
    ));
    s.push_str("\n### Disagreements\n\n");
    if c.disagreements.is_empty() {
        s.push_str("_The investigators do not contradict each other._\n");
    }
    for d in &c.disagreements {
        let _ = writeln!(s, "#### {}\n", one_line(&d.subject));
        s.push_str("Claims:\n\n");
        s.push_str(&bullets(&d.claims, "none recorded"));
        let _ = writeln!(s, "\n**Resolution:** {}\n", one_line(&d.resolution));
    }
    s
}

fn roadmap(r: &Report) -> String {
    if r.roadmap.is_empty() {
        return "_No roadmap: nothing to change._\n".into();
    }
    let mut s = String::new();
    for (n, phase) in r.roadmap.iter().enumerate() {
        let _ = writeln!(s, "### Phase {}: {}\n", n + 1, one_line(&phase.name));
        s.push_str("Actions:\n\n");
        s.push_str(&bullets(&phase.actions, "none"));
        s.push_str("\nSuccess criteria:\n\n");
        s.push_str(&bullets(&phase.success_criteria, "none"));
        s.push('\n');
    }
    s
}

fn risks(r: &Report) -> String {
    if r.risks.is_empty() {
        return "_No risk recorded._\n".into();
    }
    let rows: Vec<Vec<String>> = r
        .risks
        .iter()
        .map(|k| {
            vec![
                k.risk.clone(),
                k.likelihood.to_string(),
                k.impact.to_string(),
                k.mitigation.clone(),
            ]
        })
        .collect();
    markdown_table(&["Risk", "Likelihood", "Impact", "Mitigation"], &rows)
}

fn validation(r: &Report) -> String {
    if r.validation_plan.is_empty() {
        return "_No validation step._\n".into();
    }
    let mut s = String::new();
    for (n, step) in r.validation_plan.iter().enumerate() {
        let cmd = step.command.trim();
        let f = fence(cmd);
        let _ = writeln!(
            s,
            "**Step {}.** {}\n\n{f}sh\n{cmd}\n{f}\n",
            n + 1,
            one_line(&step.purpose)
        );
    }
    s
}

fn appendices(r: &Report) -> String {
    let a = &r.appendices;
    let mut s = String::from("### Configuration recommendations\n\n");
    s.push_str(&bullets(&a.configuration, "none"));
    s.push_str("\n### Alternatives considered and rejected\n\n");
    s.push_str(&bullets(&a.alternatives_rejected, "none"));
    s.push_str(
        "\n### Data files\n\nThe full data, including every number above, is in [report.json](report.json).\n\n",
    );
    let files: Vec<String> = a.data_files.iter().map(|f| link(f)).collect();
    s.push_str(&bullets(&files, "no raw data file"));
    s.push_str(&chart_data(&r.charts));
    s
}

/// The chart data as tables (the Markdown has no charts).
fn chart_data(c: &Charts) -> String {
    let mut s = String::new();
    if !c.percentiles.is_empty() {
        let rows: Vec<Vec<String>> = c
            .percentiles
            .iter()
            .map(|(p, v)| vec![percentile(p / 100.0), ms(*v)])
            .collect();
        s.push_str("\n### Latency percentiles\n\n");
        s.push_str(&markdown_table(&["Percentile", "Latency"], &rows));
    }
    if !c.timeseries.is_empty() {
        let _ = writeln!(
            s,
            "\n### Time series\n\n{} one-second points of throughput and p99 are in [report.json](report.json) at `/charts/timeseries`.",
            c.timeseries.len()
        );
    }
    if !c.sweep.is_empty() {
        let rows: Vec<Vec<String>> = c
            .sweep
            .iter()
            .map(|&(n, x, p50, p99)| {
                let mut row = vec![num(n), format!("{} req/s", num(x)), ms(p50), ms(p99)];
                if let Some(fit) = c.usl {
                    row.push(format!("{} req/s", num(super::usl(fit, n))));
                }
                row
            })
            .collect();
        s.push_str("\n### Concurrency sweep\n\n");
        if let Some((l, sg, k)) = c.usl {
            let _ = writeln!(
                s,
                "Universal Scalability Law fit: λ = {}, σ = {}, κ = {}.\n",
                num(l),
                num(sg),
                num(k)
            );
        }
        let mut headers = vec!["Concurrency", "Throughput", "p50", "p99"];
        if c.usl.is_some() {
            headers.push("USL fit");
        }
        s.push_str(&markdown_table(&headers, &rows));
    }
    if let Some((name, pts)) = c.parameter.as_ref().filter(|p| !p.1.is_empty()) {
        let rows: Vec<Vec<String>> = pts
            .iter()
            .map(|&(v, x, p99)| vec![num(v), format!("{} req/s", num(x)), ms(p99)])
            .collect();
        let _ = writeln!(s, "\n### Parameter sweep: {}\n", one_line(name));
        s.push_str(&markdown_table(
            &[name.as_str(), "Throughput", "p99"],
            &rows,
        ));
    }
    s
}

/// A quantile as a percentile label: `50%`, `99.9%`, `max`.
pub(super) fn percentile(q: f64) -> String {
    if q >= 1.0 {
        return "max".into();
    }
    let p = q * 100.0;
    let mut d = 0;
    while d < 6 && (p - (p * 10f64.powi(d)).round() / 10f64.powi(d)).abs() > 1e-9 {
        d += 1;
    }
    format!("{}%", perfhive_report::svg::axis::fixed(p, d as usize))
}
