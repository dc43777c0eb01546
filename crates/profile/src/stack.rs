//! Stacks from every profiler in one model, and the ranking that puts the application first.
//!
//! py-spy, perf and perf with a JIT map each say different things about a frame; here every
//! frame becomes a [`Frame`] — function, file and line where known, the object it came from,
//! and a [`FrameKind`] — so one ranking serves every runtime:
//!
//! * **self** share: samples in which the function is the leaf frame (it was running);
//! * **inclusive** share: samples in which it is anywhere on the stack (once per stack, even
//!   under recursion);
//! * **attributed** share, for application frames only: samples whose *innermost application
//!   frame* is this function — the time the application's own code spent, including the
//!   interpreter, library and kernel work it called. This is what an expert reads off a flame
//!   graph when they skip `_PyEval_EvalFrameDefault`, `memcpy` and the kernel to find "our"
//!   function; [`hot_functions`] ranks application functions by it, ahead of everything else.
//!
//! [`fold`] writes the stacks as folded lines (`process;outer;…;leaf COUNT`, Brendan Gregg's
//! format, which inferno renders): a frame with a file is labelled `function (file:line)` as
//! py-spy does, a kernel frame ends in `_[k]` as inferno's perf collapser marks it.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::collapse::FunctionShare;

/// What a frame belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameKind {
    /// The service's own code.
    Application,
    /// Third-party packages, the language's standard library, shared libraries.
    Library,
    /// The interpreter or virtual machine itself (`_PyEval_EvalFrameDefault`, V8 builtins, the
    /// JVM), and frames of unknown JIT code in a managed runtime.
    Runtime,
    /// The operating-system kernel.
    Kernel,
}

impl FrameKind {
    /// `application`, `library`, `runtime`, `kernel`.
    pub fn as_str(self) -> &'static str {
        match self {
            FrameKind::Application => "application",
            FrameKind::Library => "library",
            FrameKind::Runtime => "runtime",
            FrameKind::Kernel => "kernel",
        }
    }
}

/// Which profiler recorded a stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfilerKind {
    /// `perf record -e cpu-clock -g`.
    Perf,
    /// py-spy (Python stacks read from the interpreter's memory).
    PySpy,
}

impl ProfilerKind {
    /// `perf`, `py-spy`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfilerKind::Perf => "perf",
            ProfilerKind::PySpy => "py-spy",
        }
    }
}

/// One frame of a stack.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Frame {
    /// The function (Python 3.11+ gives qualified names: `Handler.do_GET`).
    pub function: String,
    /// Its source file, when the profiler knows it.
    pub file: Option<String>,
    /// The line: the line executing in that frame (py-spy), or the function's first line (a
    /// JavaScript frame from a perf map).
    pub line: Option<u32>,
    /// The object file the code came from (perf's dso), when known.
    pub module: Option<String>,
    /// What the frame belongs to.
    pub kind: FrameKind,
}

impl Frame {
    /// The label used in folded stacks and flame graphs.
    pub fn label(&self) -> String {
        match (&self.file, self.line, self.kind) {
            (_, _, FrameKind::Kernel) => format!("{}_[k]", self.function),
            (Some(file), Some(line), _) => format!("{} ({file}:{line})", self.function),
            (Some(file), None, _) => format!("{} ({file})", self.function),
            (None, _, _) => self.function.clone(),
        }
    }
}

/// A distinct stack and how many samples had it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// The process sampled.
    pub pid: i32,
    /// Its name.
    pub process: String,
    /// Frames, outermost first.
    pub frames: Vec<Frame>,
    /// Number of samples.
    pub count: u64,
    /// Who recorded it.
    pub profiler: ProfilerKind,
}

/// Writes `stacks` as folded lines, merged by label and sorted.
pub fn fold(stacks: &[Stack]) -> String {
    let mut merged: HashMap<String, u64> = HashMap::new();
    for s in stacks {
        let mut line = s.process.replace([';', ' '], "_");
        for f in &s.frames {
            line.push(';');
            line.push_str(&f.label().replace(';', ":"));
        }
        *merged.entry(line).or_default() += s.count;
    }
    let mut lines: Vec<(String, u64)> = merged.into_iter().collect();
    lines.sort();
    let mut out = String::new();
    for (stack, count) in lines {
        let _ = writeln!(out, "{stack} {count}");
    }
    out
}

/// Total samples in `stacks`.
pub fn total(stacks: &[Stack]) -> u64 {
    stacks.iter().map(|s| s.count).sum()
}

#[derive(Default)]
struct Tally {
    kind: Option<FrameKind>,
    self_n: u64,
    incl_n: u64,
    attributed_n: u64,
    lines: HashMap<u32, u64>,
}

/// Every function's shares (see the module docs), keyed by function and file, sorted by self
/// share, then inclusive share, then name. `line` is the function's most-sampled line.
pub fn shares(stacks: &[Stack]) -> Vec<FunctionShare> {
    let total = total(stacks);
    let mut tallies: HashMap<(&str, Option<&str>), Tally> = HashMap::new();
    let mut seen: Vec<(&str, Option<&str>)> = Vec::new();
    for s in stacks {
        if let Some(leaf) = s.frames.last() {
            let t = tallies
                .entry((leaf.function.as_str(), leaf.file.as_deref()))
                .or_default();
            t.self_n += s.count;
        }
        if let Some(app) = s
            .frames
            .iter()
            .rev()
            .find(|f| f.kind == FrameKind::Application)
        {
            let t = tallies
                .entry((app.function.as_str(), app.file.as_deref()))
                .or_default();
            t.attributed_n += s.count;
        }
        seen.clear();
        for f in &s.frames {
            let k = (f.function.as_str(), f.file.as_deref());
            let t = tallies.entry(k).or_default();
            t.kind.get_or_insert(f.kind);
            if let Some(line) = f.line {
                *t.lines.entry(line).or_default() += s.count;
            }
            if !seen.contains(&k) {
                seen.push(k);
                t.incl_n += s.count;
            }
        }
    }
    let pct = |n: u64| {
        if total == 0 {
            0.0
        } else {
            n as f64 * 100.0 / total as f64
        }
    };
    let mut out: Vec<FunctionShare> = tallies
        .into_iter()
        .map(|((function, file), t)| {
            let line = t
                .lines
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(l, _)| *l);
            FunctionShare {
                function: function.to_owned(),
                file: file.map(str::to_owned),
                line,
                kind: t.kind,
                self_pct: pct(t.self_n),
                inclusive_pct: pct(t.incl_n),
                attributed_pct: pct(t.attributed_n),
                samples: t.self_n,
                inclusive_samples: t.incl_n,
                attributed_samples: t.attributed_n,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.samples
            .cmp(&a.samples)
            .then(b.inclusive_samples.cmp(&a.inclusive_samples))
            .then_with(|| a.function.cmp(&b.function))
            .then_with(|| a.file.cmp(&b.file))
    });
    out
}

/// Application functions by attributed share first, then every other function by self share;
/// the first `n`.
pub fn hot_functions(stacks: &[Stack], n: usize) -> Vec<FunctionShare> {
    let all = shares(stacks);
    let (mut app, rest): (Vec<_>, Vec<_>) = all
        .into_iter()
        .partition(|f| f.kind == Some(FrameKind::Application));
    app.retain(|f| f.attributed_samples > 0);
    app.sort_by(|a, b| {
        b.attributed_samples
            .cmp(&a.attributed_samples)
            .then(b.samples.cmp(&a.samples))
            .then_with(|| a.function.cmp(&b.function))
    });
    app.extend(rest.into_iter().filter(|f| f.samples > 0));
    app.truncate(n);
    app
}

/// The `n` functions with the largest inclusive share.
pub fn top_inclusive(stacks: &[Stack], n: usize) -> Vec<FunctionShare> {
    let mut all = shares(stacks);
    all.sort_by(|a, b| {
        b.inclusive_samples
            .cmp(&a.inclusive_samples)
            .then(b.samples.cmp(&a.samples))
            .then_with(|| a.function.cmp(&b.function))
    });
    all.truncate(n);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(function: &str, file: Option<&str>, line: Option<u32>, kind: FrameKind) -> Frame {
        Frame {
            function: function.into(),
            file: file.map(str::to_owned),
            line,
            module: None,
            kind,
        }
    }

    fn stack(frames: Vec<Frame>, count: u64) -> Stack {
        Stack {
            pid: 1,
            process: "python3.11".into(),
            frames,
            count,
            profiler: ProfilerKind::Perf,
        }
    }

    #[test]
    fn interpreter_frames_do_not_hide_the_application() {
        use FrameKind::*;
        let main = f("main", Some("/srv/app.py"), Some(10), Application);
        let hot = f("checksum", Some("/srv/app.py"), Some(3), Application);
        let eval = f("_PyEval_EvalFrameDefault", None, None, Runtime);
        let sys = f("do_syscall_64", None, None, Kernel);
        let stacks = vec![
            // checksum running in the interpreter loop: 60 samples.
            stack(vec![main.clone(), hot.clone(), eval.clone()], 60),
            // checksum on another line: same function.
            stack(
                vec![
                    main.clone(),
                    f("checksum", Some("/srv/app.py"), Some(4), Application),
                ],
                10,
            ),
            // main writing to a socket: kernel time attributed to main.
            stack(vec![main.clone(), eval.clone(), sys.clone()], 30),
        ];
        let hot_list = hot_functions(&stacks, 10);
        let names: Vec<&str> = hot_list.iter().map(|s| s.function.as_str()).collect();
        assert_eq!(
            names,
            [
                "checksum",
                "main",
                "_PyEval_EvalFrameDefault",
                "do_syscall_64"
            ]
        );
        let c = &hot_list[0];
        assert_eq!((c.attributed_samples, c.samples, c.line), (70, 10, Some(3)));
        assert!((c.attributed_pct - 70.0).abs() < 1e-9);
        assert_eq!(c.file.as_deref(), Some("/srv/app.py"));
        assert_eq!(c.kind, Some(Application));
        let by_self = shares(&stacks);
        assert_eq!(by_self[0].function, "_PyEval_EvalFrameDefault");
        assert_eq!(by_self[0].samples, 60);
        let incl = top_inclusive(&stacks, 1);
        assert_eq!(
            (incl[0].function.as_str(), incl[0].inclusive_pct),
            ("main", 100.0)
        );
    }

    #[test]
    fn folded_labels() {
        use FrameKind::*;
        let stacks = vec![
            stack(
                vec![
                    f("do_GET", Some("svc.py"), Some(20), Application),
                    f("write", None, None, Library),
                    f("ksys_write", None, None, Kernel),
                ],
                2,
            ),
            stack(vec![f("a;b", Some("x.js"), None, Application)], 1),
        ];
        assert_eq!(
            fold(&stacks),
            "python3.11;a:b (x.js) 1\npython3.11;do_GET (svc.py:20);write;ksys_write_[k] 2\n"
        );
        assert_eq!(total(&stacks), 3);
    }
}
