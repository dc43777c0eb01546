//! The HTML rendering: the sections of the Markdown through [`page`], every text escaped, the
//! charts of [`super::charts`] inline.

use super::md::percentile;
use super::{
    artefacts_of, banner, breakdown_sentence, charts, dec, effort_text, evidence_text,
    findings_by_investigator, headline, is_failure_note, ms, num, one_line, p0_sentences, pct,
    request_rows, seconds, shared_artefacts, speedup, verdict_text, REQUEST_HEADERS, SECTIONS,
};
use crate::model::{Evidence, Verdict};
use crate::report::{Charts, Report};
use perfhive_report::html::{escape, html_table, page};
use std::fmt::Write as _;

/// Section ids, parallel to [`SECTIONS`].
const IDS: [&str; 9] = [
    "summary",
    "findings",
    "recommendations",
    "investigators",
    "consensus",
    "roadmap",
    "risks",
    "validation",
    "appendices",
];

/// Renders the whole page.
pub(super) fn render(r: &Report) -> String {
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
    let sections: Vec<(String, String, String)> = IDS
        .iter()
        .zip(SECTIONS)
        .zip(bodies)
        .map(|((id, h), b)| (id.to_string(), h.to_string(), b))
        .collect();
    page(&format!("Investigation: {}", one_line(&r.name)), &sections)
}

/// `<p>` of escaped text.
fn p(text: &str) -> String {
    format!("<p>{}</p>\n", escape(text.trim()))
}

/// `<p class="muted">` of escaped text.
fn muted(text: &str) -> String {
    format!("<p class=\"muted\">{}</p>\n", escape(text.trim()))
}

/// A `<ul>` of escaped items, or `empty` (muted) when there are none.
fn ul<S: AsRef<str>>(items: &[S], empty: &str) -> String {
    if items.is_empty() {
        return muted(empty);
    }
    let mut s = String::from("<ul>\n");
    for i in items {
        let _ = writeln!(s, "<li>{}</li>", escape(i.as_ref()));
    }
    s.push_str("</ul>\n");
    s
}

/// A `<ul>` of links to files of the report folder.
fn files(items: &[&str], empty: &str) -> String {
    if items.is_empty() {
        return muted(empty);
    }
    let mut s = String::from("<ul>\n");
    for f in items {
        let href: String = f
            .chars()
            .map(|c| match c {
                ' ' => "%20".to_string(),
                '#' => "%23".to_string(),
                '?' => "%3F".to_string(),
                c => c.to_string(),
            })
            .collect();
        let _ = writeln!(
            s,
            "<li><a href=\"{}\"><code>{}</code></a></li>",
            escape(&href),
            escape(f)
        );
    }
    s.push_str("</ul>\n");
    s
}

/// Evidence items with their JSON pointers.
fn evidence_list(ev: &[Evidence]) -> String {
    if ev.is_empty() {
        return muted("No evidence recorded.");
    }
    let mut s = String::from("<ul>\n");
    for e in ev {
        let _ = write!(s, "<li>{}", escape(&evidence_text(e)));
        if !e.pointer.trim().is_empty() {
            let _ = write!(s, " <code>{}</code>", escape(e.pointer.trim()));
        }
        s.push_str("</li>\n");
    }
    s.push_str("</ul>\n");
    s
}

fn summary(r: &Report) -> String {
    let es = &r.executive_summary;
    let mut s = format!(
        "<p class=\"muted\">Target <code>{}</code> · started {} · took {} · report format {} ({})</p>\n",
        escape(&r.target),
        escape(&r.date),
        escape(&seconds(r.duration_s)),
        escape(&r.schema_version),
        r.kind
    );
    if let Some(b) = banner(r) {
        let _ = writeln!(
            s,
            "<p role=\"alert\" style=\"border:2px solid #c62828;border-radius:4px;padding:.6em 1em\"><strong>Partial report.</strong> {}</p>",
            escape(&b)
        );
    }
    let _ = writeln!(s, "<p><strong>{}</strong></p>", escape(&headline(es)));
    for line in p0_sentences(r) {
        let _ = writeln!(s, "<p><strong>{}</strong></p>", escape(&one_line(&line)));
    }
    s.push_str(&p(&breakdown_sentence(es)));
    if let Some(chart) = charts::breakdown(es) {
        s.push_str(&chart);
    }
    if !r.charts.requests.is_empty() {
        s.push_str("<p>Per request, on the baseline:</p>\n");
        s.push_str(&html_table(&REQUEST_HEADERS, &request_rows(r)));
    }
    if !r.criteria.is_empty() {
        let rows: Vec<Vec<String>> = r.criteria.iter().map(super::md::criterion_row).collect();
        s.push_str("<p>Success criteria on the baseline:</p>\n");
        s.push_str(&perfhive_report::html::html_table(
            &["Criterion", "Value", "Outcome"],
            &rows,
        ));
    }
    s
}

fn findings(r: &Report) -> String {
    let mut s = String::new();
    if r.findings.is_empty() {
        s.push_str(&muted("No investigator reported a finding."));
    }
    for f in &r.findings {
        let fd = &f.finding;
        let _ = writeln!(s, "<h3>#{} {}</h3>", f.rank, escape(&one_line(&fd.title)));
        let mut facts = vec![
            fd.investigator.to_string(),
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
        facts.push(match &f.subject_from {
            Some(from) => format!(
                "subject {} (from {}, joined to it)",
                one_line(&fd.subject),
                one_line(from)
            ),
            None => format!("subject {}", one_line(&fd.subject)),
        });
        facts.push(format!("id {}", one_line(&fd.id)));
        s.push_str(&muted(&facts.join(" · ")));
        if !fd.detail.trim().is_empty() {
            s.push_str(&p(&fd.detail));
        }
        s.push_str(&evidence_list(&fd.evidence));
        s.push_str(&p(&format!("Confirmed by: {}", f.confirmation())));
        if let Some(rec) = &fd.recommendation {
            s.push_str(&p(&format!("Recommendation: {}", one_line(&rec.action))));
        }
    }
    s
}

fn recommendations(r: &Report) -> String {
    if r.recommendations.is_empty() {
        return muted("No recommendation: nothing measured calls for a change.");
    }
    let mut s = String::new();
    for pr in &r.recommendations {
        let rec = &pr.recommendation;
        let _ = writeln!(
            s,
            "<h3>{} — {}</h3>",
            pr.priority,
            escape(&one_line(&rec.action))
        );
        let ev: Vec<String> = pr.evidence.iter().map(evidence_text).collect();
        let ev = if ev.is_empty() {
            "none recorded".to_string()
        } else {
            ev.join("; ")
        };
        let rows = [
            ("Addresses", pr.finding_id.clone()),
            ("Impact", rec.impact.clone()),
            ("Expected gain", speedup(pr)),
            ("Effort", effort_text(rec.effort).to_string()),
            ("Rationale", pr.rationale.clone()),
            ("Evidence", ev),
            ("Risks", rec.risk.clone()),
            ("Mitigation", rec.mitigation.clone()),
        ];
        s.push_str("<ul>\n");
        for (k, v) in rows {
            let _ = writeln!(s, "<li><strong>{k}:</strong> {}</li>", escape(&v));
        }
        s.push_str("</ul>\n");
    }
    s
}

fn investigators(r: &Report) -> String {
    let mut s = String::new();
    if r.investigators.is_empty() {
        s.push_str(&muted("No investigator ran."));
    } else {
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
        s.push_str(&html_table(
            &["Investigator", "Verdict", "Findings", "Duration"],
            &rows,
        ));
    }
    let figures: Vec<String> = charts::spectrum(&r.charts)
        .into_iter()
        .chain(charts::timeseries(&r.charts))
        .chain(charts::sweep(&r.charts))
        .chain(charts::parameter(&r.charts))
        .collect();
    if !figures.is_empty() {
        s.push_str("<h3>Charts</h3>\n");
        s.push_str(&figures.concat());
    }
    for i in &r.investigators {
        let _ = writeln!(
            s,
            "<h3>{} — {}</h3>",
            escape(i.name.as_str()),
            verdict_text(i.verdict)
        );
        if !i.summary.trim().is_empty() && !is_failure_note(i) {
            s.push_str(&p(&i.summary));
        }
        if matches!(i.verdict, Verdict::Failed | Verdict::TimedOut) || i.error.is_some() {
            let err = i.error.as_deref().unwrap_or("no reason was given");
            let _ = writeln!(
                s,
                "<p><strong>Error:</strong> {}</p>",
                escape(&one_line(err))
            );
        }
        if i.verdict == Verdict::InsufficientData {
            s.push_str(&p("Not enough data to conclude: no result is claimed."));
        }
        let mine: Vec<String> = findings_by_investigator(r)
            .into_iter()
            .filter(|g| g.0 == i.name)
            .flat_map(|g| g.1)
            .map(|f| format!("#{} {}", f.rank, f.finding.title))
            .collect();
        if !mine.is_empty() {
            s.push_str("<p>Findings, by rank:</p>\n");
            s.push_str(&ul(&mine, "none"));
        }
        s.push_str("<p>Artefacts:</p>\n");
        s.push_str(&files(&artefacts_of(r, i.name.as_str()), "none"));
    }
    let shared = shared_artefacts(r);
    if !shared.is_empty() {
        s.push_str("<h3>Shared artefacts</h3>\n");
        s.push_str(&files(&shared, "none"));
    }
    s
}

fn consensus(r: &Report) -> String {
    let c = &r.consensus;
    let mut s = String::from("<h3>Agreements</h3>\n");
    s.push_str(&ul(
        &c.agreements,
        "No subject was raised by more than one investigator.",
    ));
    s.push_str("<h3>Disagreements</h3>\n");
    if c.disagreements.is_empty() {
        s.push_str(&muted("The investigators do not contradict each other."));
    }
    for d in &c.disagreements {
        let _ = writeln!(s, "<h4>{}</h4>", escape(&one_line(&d.subject)));
        s.push_str("<p>Claims:</p>\n");
        s.push_str(&ul(&d.claims, "none recorded"));
        let _ = writeln!(
            s,
            "<p><strong>Resolution:</strong> {}</p>",
            escape(&one_line(&d.resolution))
        );
    }
    s
}

fn roadmap(r: &Report) -> String {
    if r.roadmap.is_empty() {
        return muted("No roadmap: nothing to change.");
    }
    let mut s = String::new();
    for (n, phase) in r.roadmap.iter().enumerate() {
        let _ = writeln!(
            s,
            "<h3>Phase {}: {}</h3>",
            n + 1,
            escape(&one_line(&phase.name))
        );
        s.push_str("<p>Actions:</p>\n");
        s.push_str(&ul(&phase.actions, "none"));
        s.push_str("<p>Success criteria:</p>\n");
        s.push_str(&ul(&phase.success_criteria, "none"));
    }
    s
}

fn risks(r: &Report) -> String {
    if r.risks.is_empty() {
        return muted("No risk recorded.");
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
    html_table(&["Risk", "Likelihood", "Impact", "Mitigation"], &rows)
}

fn validation(r: &Report) -> String {
    if r.validation_plan.is_empty() {
        return muted("No validation step.");
    }
    let mut s = String::from("<ol>\n");
    for step in &r.validation_plan {
        let _ = writeln!(
            s,
            "<li><p>{}</p>\n<pre><code class=\"language-sh\">{}</code></pre></li>",
            escape(&one_line(&step.purpose)),
            escape(step.command.trim())
        );
    }
    s.push_str("</ol>\n");
    s
}

fn appendices(r: &Report) -> String {
    let a = &r.appendices;
    let mut s = String::from("<h3>Configuration recommendations</h3>\n");
    s.push_str(&ul(&a.configuration, "none"));
    s.push_str("<h3>Alternatives considered and rejected</h3>\n");
    s.push_str(&ul(&a.alternatives_rejected, "none"));
    s.push_str("<h3>Data files</h3>\n");
    s.push_str(
        "<p>The full data, including every number above, is in <a href=\"report.json\">report.json</a>.</p>\n",
    );
    let names: Vec<&str> = a.data_files.iter().map(String::as_str).collect();
    s.push_str(&files(&names, "No raw data file."));
    s.push_str(&chart_tables(&r.charts));
    s
}

/// The chart data as tables.
fn chart_tables(c: &Charts) -> String {
    let mut s = String::new();
    if !c.percentiles.is_empty() {
        let rows: Vec<Vec<String>> = c
            .percentiles
            .iter()
            .map(|(p, v)| vec![percentile(p / 100.0), ms(*v)])
            .collect();
        s.push_str("<h3>Latency percentiles</h3>\n");
        s.push_str(&html_table(&["Percentile", "Latency"], &rows));
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
        s.push_str("<h3>Concurrency sweep</h3>\n");
        let mut headers = vec!["Concurrency", "Throughput", "p50", "p99"];
        if c.usl.is_some() {
            headers.push("USL fit");
        }
        s.push_str(&html_table(&headers, &rows));
    }
    if let Some((name, pts)) = c.parameter.as_ref().filter(|p| !p.1.is_empty()) {
        let rows: Vec<Vec<String>> = pts
            .iter()
            .map(|&(v, x, p99)| vec![num(v), format!("{} req/s", num(x)), ms(p99)])
            .collect();
        let _ = writeln!(s, "<h3>Parameter sweep: {}</h3>", escape(&one_line(name)));
        s.push_str(&html_table(&[name.as_str(), "Throughput", "p99"], &rows));
    }
    s
}
