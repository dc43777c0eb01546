//! The phase plan of a scenario as `perfhive run --dry-run` prints it: every phase with its
//! start, length, target and planned requests, then the criteria and triggers.

use crate::model::Scenario;
use crate::profile::{Model, Profile};
use std::fmt::Write;

impl Scenario {
    /// The plan of this scenario run with `profile` (the scenario's own, or time-scaled):
    /// one header line, a table of phases, then one line per criterion and trigger.
    pub fn plan_text(&self, profile: &Profile) -> String {
        let mut w = String::new();
        let unit = if matches!(profile.model, Model::Open) {
            "rps"
        } else {
            "users"
        };
        // writing to a String cannot fail
        let _ = writeln!(
            w,
            "{}: {:.1} s planned",
            self.name,
            profile.total().as_secs_f64()
        );
        let _ = writeln!(
            w,
            "  {:<12} {:>9} {:>9} {:>16} {:>10}  measured",
            "phase",
            "start s",
            "length s",
            format!("target {unit}"),
            "requests"
        );
        for p in &profile.phases {
            let planned = if unit == "rps" {
                format!("{:.0}", (p.from + p.to) / 2.0 * p.duration.as_secs_f64())
            } else {
                "-".into()
            };
            let _ = writeln!(
                w,
                "  {:<12} {:>9.1} {:>9.1} {:>16} {:>10}  {}",
                p.name,
                p.start.as_secs_f64(),
                p.duration.as_secs_f64(),
                format!("{:.0}→{:.0}", p.from, p.to),
                planned,
                if p.measured() { "yes" } else { "no (warm-up)" }
            );
        }
        for c in &self.criteria {
            let _ = writeln!(w, "  criterion  {}", c.text);
        }
        for t in &self.triggers {
            let _ = writeln!(
                w,
                "  trigger    {} (window {} s)",
                t.text,
                t.window.as_secs()
            );
        }
        w
    }
}

#[cfg(test)]
mod tests {
    use crate::{Quick, Scenario};
    use std::time::Duration;

    #[test]
    fn an_open_plan_counts_its_requests_and_a_warmup_is_not_measured() {
        let s = Scenario::quick(Quick {
            rate: Some(100.0),
            duration: Duration::from_secs(30),
            warmup: Duration::from_secs(5),
            criteria: vec!["p99_latency_ms <= 50".into()],
            triggers: vec!["error_rate_pct > 5 for 10s".into()],
            ..Quick::new("http://127.0.0.1:8080/")
        })
        .unwrap();
        let text = s.plan_text(&s.profile);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "http://127.0.0.1:8080/: 35.0 s planned");
        assert!(lines[1].contains("target rps"), "{}", lines[1]);
        assert!(lines[2].trim_start().starts_with("warmup"), "{}", lines[2]);
        assert!(lines[2].ends_with("no (warm-up)"), "{}", lines[2]);
        // 100 req/s for 30 s
        assert!(lines[3].contains(" 3000  yes"), "{}", lines[3]);
        assert_eq!(lines[4], "  criterion  p99_latency_ms <= 50");
        assert_eq!(
            lines[5],
            "  trigger    error_rate_pct > 5 for 10s (window 10 s)"
        );

        let closed = Scenario::quick(Quick {
            users: Some(4),
            ..Quick::new("http://127.0.0.1:8080/")
        })
        .unwrap();
        let text = closed.plan_text(&closed.profile);
        assert!(text.contains("target users"), "{text}");
        assert!(text.contains("4→4          -  yes"), "{text}");
    }
}
