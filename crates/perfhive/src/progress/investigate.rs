//! The progress of `perfhive investigate` on stderr, from the library's typed events
//! ([`perfhive_investigate::progress`]), with `run`'s and `bench`'s conventions: on a terminal
//! an indicatif display (the phase with the elapsed time against the plan's budget, and one
//! line per running investigator with its state), otherwise one line per phase; nothing with
//! `--quiet`. Each finished phase leaves one line in both modes, so a terminal's scrollback
//! reads like a log; the live lines are cleared when the investigation ends.

use super::{style, Mode, TICK};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use perfhive_investigate::progress::{Event, Phase, Sink};
use perfhive_investigate::render::verdict_text;
use perfhive_investigate::{InvestigatorName, Verdict};
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The progress sink of one investigation.
pub struct InvestigateProgress {
    mode: Mode,
    state: Mutex<State>,
}

/// One finished investigator, as the phase line lists it.
struct Done {
    name: InvestigatorName,
    text: String,
}

struct State {
    started: Instant,
    budget: Option<Duration>,
    /// The live display: the header (phase, elapsed of budget) and a line per investigator.
    bars: Option<Bars>,
    /// Investigators finished in the phase in progress.
    done: Vec<Done>,
}

struct Bars {
    multi: MultiProgress,
    header: ProgressBar,
    rows: Vec<(InvestigatorName, ProgressBar)>,
}

impl InvestigateProgress {
    /// A display in `mode`; the live one starts drawing at once.
    pub fn new(mode: Mode) -> Self {
        let bars = (mode == Mode::Live).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let header = multi.add(ProgressBar::new_spinner());
            header.set_style(header_style(None));
            header.set_message("starting");
            header.enable_steady_tick(TICK);
            Bars {
                multi,
                header,
                rows: Vec::new(),
            }
        });
        InvestigateProgress {
            mode,
            state: Mutex::new(State {
                started: Instant::now(),
                budget: None,
                bars,
                done: Vec::new(),
            }),
        }
    }

    /// Removes the live lines (the phase lines stay); call before printing the result.
    pub fn finish(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bars) = state.bars.take() {
            for (_, row) in bars.rows {
                row.finish_and_clear();
            }
            bars.header.finish_and_clear();
            let _ = bars.multi.clear();
        }
    }
}

impl Drop for InvestigateProgress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The header: spinner, phase, elapsed time (and the budget once the plan is known).
fn header_style(budget: Option<Duration>) -> ProgressStyle {
    let template = match budget {
        Some(b) => format!(
            "{{spinner}} {{msg}} · {{elapsed_precise}} of {} budget",
            humantime::format_duration(Duration::from_secs(b.as_secs()))
        ),
        None => "{spinner} {msg} · {elapsed_precise}".to_string(),
    };
    style(&template)
}

/// A running investigator's line.
fn running_style() -> ProgressStyle {
    style("  {spinner} {prefix:<10} running · {elapsed}")
}

/// A finished investigator's line.
fn finished_style() -> ProgressStyle {
    style("  ✓ {prefix:<10} {msg}")
}

/// What a finished investigator's line says.
fn outcome(verdict: Verdict, findings: usize, took: Duration, note: Option<&str>) -> String {
    let mut text = verdict_text(verdict).to_string();
    if findings > 0 {
        text.push_str(&format!(" ({findings})"));
    }
    if took > Duration::ZERO {
        text.push_str(&format!(" in {:.1} s", took.as_secs_f64()));
    }
    if let Some(note) = note.filter(|_| verdict != Verdict::Found && verdict != Verdict::Clean) {
        text.push_str(&format!(": {}", first_words(note, 60)));
    }
    text
}

/// `text` cut to about `max` characters at a word boundary, with an ellipsis when cut.
fn first_words(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= max {
        return line.to_string();
    }
    let mut out = String::new();
    for word in line.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push('…');
    out
}

impl State {
    /// `[  23s/1m 30s]`: elapsed since the start, against the budget when known.
    fn stamp(&self) -> String {
        let elapsed = self.started.elapsed().as_secs();
        match self.budget {
            Some(b) => format!("[{elapsed:>4}s/{}s]", b.as_secs()),
            None => format!("[{elapsed:>4}s]"),
        }
    }

    /// The line a finished phase leaves.
    fn phase_line(&mut self, phase: Phase, took: Duration, interrupted: bool) -> String {
        let how = if interrupted {
            "cut short by an interrupt after"
        } else {
            "done in"
        };
        let mut line = format!("{} {phase} {how} {:.1} s", self.stamp(), took.as_secs_f64());
        let done = std::mem::take(&mut self.done);
        if !done.is_empty() {
            let list: Vec<String> = done
                .iter()
                .map(|d| format!("{} {}", d.name, d.text))
                .collect();
            line.push_str(": ");
            line.push_str(&list.join("; "));
        }
        line
    }
}

impl Sink for InvestigateProgress {
    fn event(&self, event: &Event) {
        if self.mode == Mode::Quiet {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            Event::Investigation { budget, .. } => {
                state.budget = Some(*budget);
                if let Some(bars) = &state.bars {
                    bars.header.set_style(header_style(Some(*budget)));
                }
            }
            Event::PhaseStarted { phase, .. } => {
                state.done.clear();
                if let Some(bars) = &state.bars {
                    bars.header.set_message(phase.to_string());
                }
            }
            Event::InvestigatorStarted { name } => {
                if let Some(bars) = &mut state.bars {
                    let row = bars.multi.add(ProgressBar::new_spinner());
                    row.set_style(running_style());
                    row.set_prefix(name.to_string());
                    row.enable_steady_tick(TICK);
                    bars.rows.push((*name, row));
                }
            }
            Event::InvestigatorFinished {
                name,
                verdict,
                findings,
                took,
                note,
            } => {
                let text = outcome(*verdict, *findings, *took, note.as_deref());
                if let Some(bars) = &mut state.bars {
                    let row = match bars.rows.iter().find(|(n, _)| n == name) {
                        Some((_, row)) => row.clone(),
                        None => {
                            let row = bars.multi.add(ProgressBar::new_spinner());
                            row.set_prefix(name.to_string());
                            bars.rows.push((*name, row.clone()));
                            row
                        }
                    };
                    row.set_style(finished_style());
                    row.finish_with_message(text.clone());
                }
                state.done.push(Done { name: *name, text });
            }
            Event::PhaseFinished {
                phase,
                took,
                interrupted,
            } => {
                let line = state.phase_line(*phase, *took, *interrupted);
                match &mut state.bars {
                    Some(bars) => {
                        // above the live lines, which start afresh with the next phase
                        let _ = bars.multi.println(&line);
                        for (_, row) in bars.rows.drain(..) {
                            row.finish_and_clear();
                            bars.multi.remove(&row);
                        }
                    }
                    None => {
                        let _ = writeln!(std::io::stderr().lock(), "{line}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_line_lists_each_investigator_with_its_verdict() {
        let d = InvestigateProgress::new(Mode::Lines);
        let mut state = d.state.lock().unwrap();
        state.budget = Some(Duration::from_secs(90));
        state.done = vec![
            Done {
                name: InvestigatorName::Load,
                text: outcome(Verdict::Found, 3, Duration::from_millis(8100), None),
            },
            Done {
                name: InvestigatorName::Profile,
                text: outcome(
                    Verdict::InsufficientData,
                    0,
                    Duration::ZERO,
                    Some("no process to profile: give target.pid, target.process, target.pid_file or target.start"),
                ),
            },
        ];
        let line = state.phase_line(Phase::Baseline, Duration::from_millis(9400), false);
        assert!(
            line.starts_with("[   0s/90s] baseline done in 9.4 s: "),
            "{line}"
        );
        assert!(
            line.ends_with(
                "load found issues (3) in 8.1 s; profile insufficient data: no process to \
                 profile: give target.pid, target.process,…"
            ),
            "{line}"
        );
        assert!(state.done.is_empty(), "the next phase starts afresh");
        let cut = state.phase_line(Phase::Sweep, Duration::from_secs(2), true);
        assert!(
            cut.ends_with("sweep cut short by an interrupt after 2.0 s"),
            "{cut}"
        );
    }
}
