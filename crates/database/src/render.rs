//! The audit report as text: for a terminal (optionally coloured) and as Markdown; JSON is
//! the report serialised (`schema/database-report.schema.json`). Like the scanner's report,
//! the formats live beside the types they render; the binary decides where output goes.

use crate::analyse::describe_verification;
use crate::model::*;
use std::io::{self, Write};

fn sev_label(s: Severity, color: bool) -> String {
    let (code, name) = match s {
        Severity::High => ("31;1", "HIGH"),
        Severity::Medium => ("33;1", "MED "),
        Severity::Low => ("36", "LOW "),
        Severity::Info => ("2", "INFO"),
    };
    if color {
        format!("\x1b[{code}m{name}\x1b[0m")
    } else {
        name.to_string()
    }
}

fn applies(a: Applies) -> &'static str {
    match a {
        Applies::Online => "applies online",
        Applies::Reload => "reload, no restart",
        Applies::Restart => "needs a restart",
        Applies::PerConnection => "per connection",
    }
}

/// A whole number with thousands separators (`300,000`).
pub fn grouped(v: f64) -> String {
    let n = v.round() as i64;
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

fn num(v: f64) -> String {
    if v.abs() >= 100.0 || v.fract() == 0.0 {
        grouped(v)
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A count pg_stat_statements gives, or `-` when the statement's numbers are estimated from
/// activity samples (which count neither rows nor blocks).
fn counted(s: &StatementStats, shown: String) -> String {
    if s.estimated {
        "-".into()
    } else {
        shown
    }
}

/// The share of a statement's shared-block reads served from shared_buffers, or `-` when it
/// read none or its numbers are estimated.
fn hit_percent(s: &StatementStats) -> String {
    let total = s.shared_blks_hit + s.shared_blks_read;
    if total == 0 || s.estimated {
        return "-".into();
    }
    format!("{:.1}", s.shared_blks_hit as f64 * 100.0 / total as f64)
}

fn bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1073741824.0 {
        format!("{:.1} GiB", b / 1073741824.0)
    } else if b >= 1048576.0 {
        format!("{:.1} MiB", b / 1048576.0)
    } else {
        format!("{:.0} kiB", b / 1024.0)
    }
}

/// One line about the workload's source.
pub fn workload_line(w: &Workload) -> String {
    let src = match &w.source {
        WorkloadSource::PgStatStatements => {
            format!("pg_stat_statements over a {:.1} s window", w.duration_s)
        }
        WorkloadSource::PgStatStatementsCumulative => {
            "pg_stat_statements, cumulative since the last reset".into()
        }
        WorkloadSource::ActivitySampling {
            samples,
            interval_ms,
        } => {
            format!(
                "pg_stat_activity sampled {samples} times every {interval_ms:.0} ms (estimates)"
            )
        }
        WorkloadSource::Unavailable { reason } => format!("no statement statistics ({reason})"),
    };
    let calls: u64 = w.statements.iter().map(|s| s.calls).sum();
    format!(
        "{src}: {} calls of {} statements, {:.0} ms in all",
        num(calls as f64),
        w.statements.len(),
        w.total_ms
    )
}

/// One line for the end of the output.
pub fn summary_line(r: &DatabaseReport) -> String {
    let n = |s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
    let verified = r
        .statements
        .iter()
        .flat_map(|s| &s.indexes)
        .filter(|a| a.recommended)
        .count();
    format!(
        "{} findings ({} high, {} medium, {} low, {} info); {} statements planned, {} verified index{}",
        r.findings.len(),
        n(Severity::High),
        n(Severity::Medium),
        n(Severity::Low),
        n(Severity::Info),
        r.statements.len(),
        verified,
        if verified == 1 { "" } else { "es" }
    )
}

fn header(r: &DatabaseReport) -> String {
    let e = &r.engine;
    let kind = match e.kind {
        EngineKind::Postgres => "PostgreSQL",
        EngineKind::Sqlite => "SQLite",
    };
    format!(
        "{} — {kind} {}, {}{}",
        e.target,
        e.version,
        e.size_bytes.map(bytes).unwrap_or_default(),
        if e.capabilities.is_empty() {
            String::new()
        } else {
            format!(" ({})", e.capabilities.join(", "))
        }
    )
}

/// The report for a terminal.
pub fn terminal(r: &DatabaseReport, w: &mut dyn Write, color: bool) -> io::Result<()> {
    let bold = |s: &str| {
        if color {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    writeln!(w, "{}", bold(&format!("perfhive audit db {}", header(r))))?;
    if let Some(wl) = &r.workload {
        writeln!(w, "workload: {}", workload_line(wl))?;
    }
    if let Some(m) = &r.machine {
        writeln!(
            w,
            "machine: {} memory, {} CPUs, {} storage — {}",
            bytes(m.memory_bytes),
            m.cpus,
            m.storage.name(),
            m.source
        )?;
    }
    writeln!(w)?;
    writeln!(w, "{}", bold("Findings"))?;
    if r.findings.is_empty() {
        writeln!(w, "  none")?;
    }
    for f in &r.findings {
        writeln!(
            w,
            " {}  {}{}",
            sev_label(f.severity, color),
            f.title,
            if f.heuristic { "  (rule of thumb)" } else { "" }
        )?;
        if let Some(fp) = f.statement {
            if let Some(s) = r.statement(fp) {
                writeln!(w, "       statement {fp}: {}", s.normalized)?;
            }
        }
        if !f.evidence.is_empty() {
            let ev: Vec<String> = f
                .evidence
                .iter()
                .map(|e| {
                    format!("{} {} {}", e.label, num(e.value), e.unit)
                        .trim_end()
                        .to_string()
                })
                .collect();
            writeln!(w, "       evidence: {}", ev.join(" · "))?;
        }
        if let Some(fix) = &f.fix {
            writeln!(w, "       fix: {}  [{}]", fix.sql, applies(fix.applies))?;
            if let Some(n) = &fix.note {
                writeln!(w, "            {n}")?;
            }
        }
    }
    if let Some(wl) = &r.workload {
        if !wl.statements.is_empty() {
            writeln!(w)?;
            writeln!(w, "{}", bold("Top statements"))?;
            writeln!(
                w,
                "  {:>6} {:>9} {:>10} {:>10} {:>9} {:>10} {:>6}  statement",
                "share", "calls", "mean ms", "total ms", "rows/call", "blks read", "hit %"
            )?;
            for s in wl.statements.iter().take(10) {
                let mut text = s.normalized.clone();
                if text.chars().count() > 90 {
                    text = text.chars().take(89).collect::<String>() + "…";
                }
                writeln!(
                    w,
                    "  {:>5.1}% {:>9} {:>10.2} {:>10.0} {:>9} {:>10} {:>6}  {text}",
                    s.share * 100.0,
                    num(s.calls as f64),
                    s.mean_ms,
                    s.total_ms,
                    counted(s, num(s.rows as f64 / s.calls.max(1) as f64)),
                    counted(s, num(s.shared_blks_read as f64)),
                    hit_percent(s)
                )?;
            }
        }
    }
    let advised: Vec<(&StatementReport, &IndexAdvice)> = r
        .statements
        .iter()
        .flat_map(|s| s.indexes.iter().map(move |a| (s, a)))
        .collect();
    if !advised.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", bold("Index advice (verified before it is given)"))?;
        for (s, a) in advised {
            writeln!(
                w,
                "  {} {}",
                if a.recommended { "✔" } else { "✘" },
                a.create
            )?;
            writeln!(w, "      for {}", s.normalized)?;
            writeln!(w, "      {}", a.reason)?;
        }
    }
    let differing: Vec<&SettingAdvice> = r.settings.iter().filter(|s| s.differs).collect();
    if !differing.is_empty() {
        writeln!(w)?;
        writeln!(w, "{}", bold("Settings against PGTune"))?;
        for s in differing {
            writeln!(
                w,
                "  {:<34} {:>10} → {:<10} {}",
                s.name,
                s.current,
                s.recommended,
                applies(s.applies)
            )?;
        }
    }
    for n in &r.notes {
        writeln!(w, "note: {n}")?;
    }
    writeln!(w)?;
    writeln!(w, "{}", summary_line(r))?;
    Ok(())
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown.
pub fn markdown(r: &DatabaseReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "# Database audit: {}", md_escape(&r.engine.target))?;
    writeln!(w)?;
    writeln!(w, "{}", header(r))?;
    writeln!(w)?;
    if let Some(wl) = &r.workload {
        writeln!(w, "Workload: {}.", workload_line(wl))?;
        writeln!(w)?;
    }
    writeln!(w, "{}", summary_line(r))?;
    writeln!(w)?;
    writeln!(w, "## Findings")?;
    writeln!(w)?;
    for (i, f) in r.findings.iter().enumerate() {
        writeln!(
            w,
            "### {}. [{}] {}",
            i + 1,
            f.severity.name(),
            md_escape(&f.title)
        )?;
        writeln!(w)?;
        writeln!(w, "{}", f.detail)?;
        writeln!(w)?;
        if !f.evidence.is_empty() {
            writeln!(w, "| evidence | value |")?;
            writeln!(w, "|---|---:|")?;
            for e in &f.evidence {
                writeln!(
                    w,
                    "| {} | {} {} |",
                    md_escape(&e.label),
                    num(e.value),
                    e.unit
                )?;
            }
            writeln!(w)?;
        }
        if let Some(fix) = &f.fix {
            writeln!(w, "Fix ({}):", applies(fix.applies))?;
            writeln!(w)?;
            writeln!(w, "```sql\n{}\n```", fix.sql)?;
            if let Some(n) = &fix.note {
                writeln!(w)?;
                writeln!(w, "{n}")?;
            }
            writeln!(w)?;
        }
        if f.heuristic {
            writeln!(w, "_A rule of thumb, not a measurement on this database._")?;
            writeln!(w)?;
        }
    }
    if !r.statements.is_empty() {
        writeln!(w, "## Statements")?;
        writeln!(w)?;
        for s in &r.statements {
            writeln!(w, "### `{}`", md_escape(&s.normalized))?;
            writeln!(w)?;
            if let Some(st) = &s.stats {
                write!(
                    w,
                    "{} calls, {:.2} ms each, {:.0}% of the database's time",
                    num(st.calls as f64),
                    st.mean_ms,
                    st.share * 100.0
                )?;
                if st.estimated {
                    writeln!(w, " (estimated from activity samples).")?;
                } else {
                    writeln!(
                        w,
                        "; {} rows ({} per call); shared blocks {} hit, {} read ({}% from the cache).",
                        num(st.rows as f64),
                        num(st.rows as f64 / st.calls.max(1) as f64),
                        num(st.shared_blks_hit as f64),
                        num(st.shared_blks_read as f64),
                        hit_percent(st)
                    )?;
                }
                writeln!(w)?;
            }
            for src in &s.seen {
                let line = match src {
                    SeenSource::Trace {
                        route,
                        time_share,
                        count,
                    } => format!(
                        "seen in traces under `{route}` ({count} spans{})",
                        time_share
                            .map(|t| format!(", {:.0}% of its time", t * 100.0))
                            .unwrap_or_default()
                    ),
                    SeenSource::Code {
                        file,
                        line,
                        function,
                    } => format!(
                        "seen in code at {file}:{line}{}",
                        function
                            .as_ref()
                            .map(|f| format!(" in `{f}`"))
                            .unwrap_or_default()
                    ),
                    SeenSource::User { origin } => format!("given in {origin}"),
                };
                writeln!(w, "- {line}")?;
            }
            if !s.seen.is_empty() {
                writeln!(w)?;
            }
            if let Some(p) = &s.plan {
                writeln!(w, "Plan ({:?}):", p.method)?;
                writeln!(w)?;
                writeln!(w, "```\n{}\n```", p.lines.join("\n"))?;
                for n in &p.notes {
                    writeln!(w, "- {n}")?;
                }
                writeln!(w)?;
            }
            for a in &s.indexes {
                writeln!(
                    w,
                    "- {} `{}`: {}",
                    if a.recommended {
                        "recommended"
                    } else {
                        "rejected"
                    },
                    a.create,
                    a.reason
                )?;
                if let Some(v) = a.verification.as_ref().filter(|_| a.recommended) {
                    writeln!(w, "  ({})", describe_verification(v))?;
                }
            }
            if let Some(e) = &s.error {
                writeln!(w, "- not planned: {}", md_escape(e))?;
            }
            writeln!(w)?;
        }
    }
    if !r.settings.is_empty() {
        writeln!(w, "## Configuration against PGTune")?;
        writeln!(w)?;
        if let Some(m) = &r.machine {
            writeln!(
                w,
                "Machine: {} memory, {} CPUs, {} storage ({}).",
                bytes(m.memory_bytes),
                m.cpus,
                m.storage.name(),
                m.source
            )?;
            writeln!(w)?;
        }
        writeln!(w, "| setting | current | PGTune | applies | differs |")?;
        writeln!(w, "|---|---:|---:|---|---|")?;
        for s in &r.settings {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} |",
                s.name,
                s.current,
                s.recommended,
                applies(s.applies),
                if s.differs { "yes" } else { "" }
            )?;
        }
        writeln!(w)?;
    }
    if !r.tables.is_empty() {
        writeln!(w, "## Largest tables")?;
        writeln!(w)?;
        writeln!(w, "| table | rows | size | indexes |")?;
        writeln!(w, "|---|---:|---:|---:|")?;
        for t in &r.tables {
            writeln!(
                w,
                "| {} | {} | {} | {} |",
                md_escape(&t.name),
                num(t.rows as f64),
                bytes(t.bytes),
                t.indexes
            )?;
        }
        writeln!(w)?;
    }
    if !r.notes.is_empty() {
        writeln!(w, "## Notes")?;
        writeln!(w)?;
        for n in &r.notes {
            writeln!(w, "- {n}")?;
        }
    }
    Ok(())
}

/// The report as JSON.
pub fn json(r: &DatabaseReport, w: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, r)?;
    writeln!(w)
}
