//! A profile as `perfhive profile` prints it: the samples and profilers, the processes that
//! were sampled, the hot functions (the application's first), the top functions by self and
//! by inclusive time, the thread states, and where the flame graph and folded stacks are.

use crate::collapse::FunctionShare;
use crate::stack::FrameKind;
use crate::Profile;
use std::fmt::Write;

/// The text of `p`, sampled at `hz`, with at most `top` functions per table.
pub fn text(p: &Profile, hz: u32, top: usize) -> String {
    let mut w = String::new();
    // writing to a String cannot fail
    let _ = write_text(&mut w, p, hz, top);
    w
}

fn write_text(w: &mut String, p: &Profile, hz: u32, top: usize) -> std::fmt::Result {
    let profilers: Vec<&str> = p.profilers().iter().map(|k| k.as_str()).collect();
    writeln!(
        w,
        "{} samples at {} Hz ({})",
        p.samples,
        hz,
        profilers.join(", ")
    )?;
    let sampled: Vec<_> = p.processes.iter().filter(|pr| pr.samples > 0).collect();
    if !sampled.is_empty() {
        writeln!(
            w,
            "\n  {:>8} {:<16} {:<12} {:<10} {:<8} {:>7}",
            "pid", "process", "runtime", "role", "profiler", "samples"
        )?;
        for pr in sampled {
            writeln!(
                w,
                "  {:>8} {:<16} {:<12} {:<10} {:<8} {:>7}",
                pr.pid,
                pr.process,
                pr.runtime.label(),
                pr.role.as_str(),
                pr.profiler.map_or("-", |k| k.as_str()),
                pr.samples
            )?;
        }
        let idle = p.processes.iter().filter(|pr| pr.samples == 0).count();
        if idle > 0 {
            writeln!(w, "  ({idle} more process(es) of the tree had no samples)")?;
        }
    }
    writeln!(
        w,
        "\n  {:>7} {:>7}  {:<11}  hot function (application first)",
        "app", "self", "kind"
    )?;
    for f in p.hot.iter().take(top) {
        writeln!(
            w,
            "  {:>7} {:>6.1}%  {:<11}  {}",
            app_share(f),
            f.self_pct,
            f.kind.map_or("", FrameKind::as_str),
            f.location()
        )?;
    }
    writeln!(
        w,
        "\n  {:>7} {:>9}  function (by self time)",
        "self", "inclusive"
    )?;
    for f in p.top.iter().take(top) {
        writeln!(
            w,
            "  {:>6.1}% {:>8.1}%  {}",
            f.self_pct,
            f.inclusive_pct,
            f.location()
        )?;
    }
    writeln!(
        w,
        "\n  {:>9} {:>7}  function (by inclusive time)",
        "inclusive", "self"
    )?;
    for f in p.top_inclusive.iter().take(top) {
        writeln!(
            w,
            "  {:>8.1}% {:>6.1}%  {}",
            f.inclusive_pct,
            f.self_pct,
            f.location()
        )?;
    }
    if let Some(o) = &p.offcpu {
        writeln!(
            w,
            "\n  thread states: {:.0}% running, {:.0}% sleeping, {:.0}% disk wait ({} rounds)",
            o.running_pct, o.sleeping_pct, o.disk_wait_pct, o.rounds
        )?;
        for wc in o.top_wchan.iter().take(5) {
            writeln!(w, "    waiting in {}: {:.0}%", wc.wchan, wc.pct)?;
        }
    }
    writeln!(
        w,
        "\n  flame graph: {}\n  folded stacks: {}",
        p.flamegraph.display(),
        p.folded_path.display()
    )
}

/// The attributed share of an application function (the time its own code and what it called
/// took); blank for other frames.
fn app_share(f: &FunctionShare) -> String {
    if f.kind == Some(FrameKind::Application) {
        format!("{:.1}%", f.attributed_pct)
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn share(
        function: &str,
        kind: Option<FrameKind>,
        self_pct: f64,
        attributed: f64,
    ) -> FunctionShare {
        FunctionShare {
            function: function.into(),
            file: kind.map(|_| "app.py".to_string()),
            line: kind.map(|_| 12),
            kind,
            self_pct,
            inclusive_pct: self_pct * 2.0,
            attributed_pct: attributed,
            samples: 1,
            inclusive_samples: 2,
            attributed_samples: 1,
        }
    }

    #[test]
    fn application_functions_show_their_attributed_share_and_the_tables_are_cut_at_top() {
        let app = share("checkout", Some(FrameKind::Application), 10.0, 61.5);
        let libc = share("memcpy", None, 30.0, 0.0);
        let p = Profile {
            folded: String::new(),
            hot: vec![app.clone(), libc.clone()],
            top: vec![libc.clone(), app.clone()],
            top_inclusive: vec![libc, app],
            processes: Vec::new(),
            issues: Vec::new(),
            flamegraph: PathBuf::from("prof/flamegraph.svg"),
            folded_path: PathBuf::from("prof/out.folded"),
            perf_data: None,
            py_spy_raw: Vec::new(),
            samples: 200,
            offcpu: None,
        };
        let text = text(&p, 99, 1);
        assert!(text.starts_with("200 samples at 99 Hz ()\n"), "{text}");
        assert!(
            text.contains("    61.5%   10.0%  application  checkout (app.py:12)\n"),
            "{text}"
        );
        // one row per table with top 1
        assert!(text.contains("   30.0%     60.0%  memcpy\n"), "{text}");
        assert_eq!(text.matches("checkout").count(), 1, "{text}");
        assert!(text
            .ends_with("\n  flame graph: prof/flamegraph.svg\n  folded stacks: prof/out.folded\n"));
        assert!(!text.contains("thread states"));
    }
}
