//! `perfhive scan`: static scan of source trees for performance anti-patterns with the
//! tree-sitter rules of `perfhive-scan` (built-in, plus `--rules DIR`). Exit code 1 with
//! `--fail-on SEVERITY` when findings at or above it exist (suppressed ones and those of
//! `--baseline` aside).

pub use crate::cli::args::scan::{Format, ScanArgs};
use crate::exit::Code;
use crate::output::Printer;
use perfhive_scan::ScanOptions;

/// Runs `perfhive scan`.
pub fn exec(a: ScanArgs, out: &mut Printer) -> anyhow::Result<Code> {
    no_huge_pages();
    let baseline = match &a.baseline {
        Some(p) => {
            Some(perfhive_scan::Baseline::load(p).map_err(|e| anyhow::anyhow!("--baseline {e}"))?)
        }
        None => None,
    };
    let opts = ScanOptions {
        paths: a.paths,
        rule_dirs: a.rules,
        builtin: !a.no_builtin,
        languages: a.langs,
        max_file_size: a.max_file_size,
        threads: a.threads,
        include_tests: a.include_tests,
        include_one_off: a.include_one_off || a.all_findings,
        include_unsized: a.include_unsized || a.all_findings,
        include_off_request: a.include_off_request || a.all_findings,
        // the listing shows every rule, marking those off by default
        all_rules: a.all_rules || a.list_rules,
        include_suppressed: a.include_suppressed,
        baseline,
        min_confidence: a.min_confidence.into(),
    };
    let rules = perfhive_scan::select_rules(&opts)?;
    if a.list_rules {
        let w = out.out();
        for r in &rules {
            let langs: Vec<&str> = r.languages.iter().map(|l| l.name()).collect();
            // what the rule did on code it was not tuned to: share worth changing, of how many
            let held_out = r.held_out.map_or_else(|| "-".to_string(), |h| h.phrase());
            writeln!(
                w,
                "{:<32} {:<7} {:<11} {:<11} {:<28} {}{}",
                r.id,
                r.severity.name(),
                format!("conf:{}", r.confidence.name()),
                held_out,
                langs.join(","),
                r.message,
                if r.enabled { "" } else { " (off by default)" }
            )?;
        }
        return Ok(Code::OK);
    }
    let report = perfhive_scan::scan_with(&rules, &opts)?;
    let mut buf: Vec<u8> = Vec::new();
    let color = a.out.is_none() && out.color(false);
    match a.format {
        Format::Terminal => report.render_terminal(&mut buf, color)?,
        Format::Json => report.render_json(&mut buf)?,
        Format::Sarif => report.render_sarif(&mut buf)?,
        Format::Markdown => report.render_markdown(&mut buf)?,
    }
    let terminal = a.format == Format::Terminal;
    out.report(&buf, a.out.as_deref(), &report.summary_line(), terminal)?;
    if a.format == Format::Terminal || a.out.is_some() {
        for n in &report.notes {
            writeln!(out.err(), "note: {}: {}", n.file, n.message)?;
        }
    }
    let failed = a
        .fail_on
        .is_some_and(|level| report.count_at_least(level.into()) > 0);
    Ok(Code::failed_if(failed))
}

/// Transparent huge pages off for this process. A scan allocates and frees tree-sitter's nodes
/// in many small, short-lived pieces: each first touch of a huge page zeroes 2 MiB, and that
/// zeroing was a twentieth of a scan's time, more than the fewer TLB misses gave back. Set
/// here and not in `main`: the flag is inherited by child processes, and the commands that
/// `bench`, `run` and `investigate` start must run as they would on their own (a scan starts
/// none).
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments and touches no memory of ours; a
    // kernel without it returns EINVAL, which leaves the process as it was.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
