//! `perfhive bench`: hyperfine's job, done with per-child measurement and real statistics.
//!
//! Warm-up runs, a fixed `runs` count or an adaptive one (at least `min_runs` and about
//! `max_time` in all, like hyperfine's default of 10 runs / 3 s), `prepare` before every run,
//! `setup`/`cleanup` around each command, parameter scans, direct exec or a shell whose spawn
//! overhead is measured and subtracted, and interleaved rounds (A B A B …) so slow drift of the
//! machine hits every command alike.

pub mod analysis;
pub mod exec;
pub mod flags;
pub mod params;

pub use exec::{Io, Launcher};
pub use params::Param;

use exec::{EndOn, ExecError};
use perfhive_core::bench::Sample;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The primary metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Wall-clock time.
    Wall,
    /// User + system CPU time.
    Cpu,
    /// Peak resident memory.
    Rss,
}

impl Metric {
    /// Name in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Wall => "wall",
            Metric::Cpu => "cpu",
            Metric::Rss => "rss",
        }
    }

    /// The metric's value of one sample (s, or MiB for rss).
    pub fn of(self, s: &Sample) -> f64 {
        match self {
            Metric::Wall => s.wall_s,
            Metric::Cpu => s.user_s + s.system_s,
            Metric::Rss => s.max_rss_kb as f64 / 1024.0,
        }
    }
}

/// A command to benchmark (before parameter expansion).
#[derive(Clone, Debug, PartialEq)]
pub struct CommandSpec {
    /// Display name (`--name`); defaults to the command line.
    pub name: Option<String>,
    /// Command line, possibly with `{param}` placeholders.
    pub line: String,
}

/// Everything `perfhive bench` was asked to do.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Commands.
    pub commands: Vec<CommandSpec>,
    /// The benchmark's name (`--name`): it also names a single command that has no name of
    /// its own, so that two benchmarks of one name have measures in common whatever the
    /// command line.
    pub name: Option<String>,
    /// Warm-up runs per command, not measured.
    pub warmup: usize,
    /// Exact number of runs, or adaptive when `None`.
    pub runs: Option<usize>,
    /// Adaptive: at least this many runs.
    pub min_runs: usize,
    /// Adaptive: at most this many runs.
    pub max_runs: usize,
    /// Adaptive: time budget per command.
    pub max_time: Duration,
    /// Run before every timed run (one for all, or one per command).
    pub prepare: Vec<String>,
    /// Run once before a command's runs.
    pub setup: Option<String>,
    /// Run once after a command's runs.
    pub cleanup: Option<String>,
    /// Parameter scans.
    pub params: Vec<Param>,
    /// Direct exec or a shell.
    pub launcher: Launcher,
    /// stdin and output.
    pub io: Io,
    /// Keep going when a command fails.
    pub ignore_failure: bool,
    /// A B A B … (default) or all runs of A then all of B.
    pub interleave: bool,
    /// The primary metric.
    pub metric: Metric,
    /// How to start the spawner process (perfhive's own `__spawn` mode); `None` forks from this
    /// process, whose own RSS then floors every child's peak RSS.
    pub spawner: Option<(std::path::PathBuf, Vec<String>)>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            commands: Vec::new(),
            name: None,
            warmup: 0,
            runs: None,
            min_runs: 10,
            max_runs: 10_000,
            max_time: Duration::from_secs(3),
            prepare: Vec::new(),
            setup: None,
            cleanup: None,
            params: Vec::new(),
            launcher: Launcher::Direct,
            io: Io::default(),
            ignore_failure: false,
            interleave: true,
            metric: Metric::Wall,
            spawner: None,
        }
    }
}

/// Runs commands through the spawner when there is one, else in this process.
struct Executor<'a> {
    spawner: Option<exec::Spawner>,
    /// Ends every run but `--cleanup`'s.
    stop: &'a AtomicBool,
    /// Ends `--cleanup` too (a second stop).
    kill: &'a AtomicBool,
}

/// Why a benchmark ended before its plan: a stop (the partial run discarded, what completed
/// kept), or an error.
enum Halt {
    Stopped,
    Error(BenchError),
}

impl<E: Into<BenchError>> From<E> for Halt {
    fn from(e: E) -> Halt {
        Halt::Error(e.into())
    }
}

impl Executor<'_> {
    /// One stoppable run; a stop, or a spawner that exited (killed from outside, which is a
    /// stop too), is [`Halt::Stopped`].
    fn run(&mut self, line: &str, launcher: &Launcher, io: &Io) -> Result<Sample, Halt> {
        match self.exec(line, launcher, io, EndOn::Stop(self.stop)) {
            Err(ExecError::Stopped { .. } | ExecError::SpawnerExited { .. }) => Err(Halt::Stopped),
            r => Ok(r?),
        }
    }

    /// A run no stop ends, only a kill (`--cleanup`, after a stop): a kill gives
    /// [`ExecError::Stopped`]. In this process once the spawner is gone.
    fn run_to_end(
        &mut self,
        line: &str,
        launcher: &Launcher,
        io: &Io,
    ) -> Result<Sample, ExecError> {
        match self.exec(line, launcher, io, EndOn::Kill(self.kill)) {
            Err(ExecError::SpawnerExited { .. }) => {
                exec::run_stoppable(line, launcher, io, self.kill)
            }
            r => r,
        }
    }

    fn exec(
        &mut self,
        line: &str,
        launcher: &Launcher,
        io: &Io,
        end: EndOn<'_>,
    ) -> Result<Sample, ExecError> {
        let r = match &mut self.spawner {
            Some(s) => s.run(line, launcher, io, end),
            None => exec::run_stoppable(line, launcher, io, end.flag()),
        };
        if matches!(r, Err(ExecError::SpawnerExited { .. })) {
            self.spawner = None;
        }
        r
    }
}

/// A command after parameter expansion.
#[derive(Clone, Debug)]
pub struct Planned {
    /// Display name.
    pub name: String,
    /// Command line.
    pub line: String,
    /// Parameter values.
    pub parameters: BTreeMap<String, String>,
    /// Its `prepare`, if any.
    pub prepare: Option<String>,
}

/// Errors of a benchmark.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Bad options.
    #[error("{0}")]
    Usage(String),
    /// A command could not run.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// A command failed.
    #[error("`{line}` exited with {code}{phase}; use --ignore-failure to keep measuring it")]
    Failed {
        /// The line.
        line: String,
        /// Its exit code.
        code: i32,
        /// During warm-up, prepare…
        phase: String,
    },
}

/// Receives each measured run as it completes (for progress and for the history).
pub trait Observer {
    /// The commands, before the first run. The total is not known yet when the run count is
    /// adaptive: it is sized from the first runs, then given once to [`Observer::plan`].
    fn start(&mut self, _commands: &[Planned]) {}
    /// The total number of measured runs, once known (it never changes afterwards).
    fn plan(&mut self, commands: &[Planned], total_runs: usize);
    /// One measured run of command `index` (its `seq`-th).
    fn sample(&mut self, index: usize, seq: usize, sample: &Sample);
}

/// What a benchmark measured.
pub struct Measured {
    /// Commands as run.
    pub commands: Vec<Planned>,
    /// Raw samples per command (shell overhead already subtracted).
    pub samples: Vec<Vec<Sample>>,
    /// Mean shell spawn overhead, when a shell was used.
    pub shell_overhead: Option<Sample>,
    /// Stopped early by the caller.
    pub interrupted: bool,
    /// The smallest peak RSS a child can report (the forking process's own), KiB.
    pub rss_floor_kb: Option<u64>,
    /// Wall-clock length.
    pub elapsed: Duration,
}

/// Expands parameters and names.
pub fn plan(opts: &BenchOptions) -> Result<Vec<Planned>, BenchError> {
    if opts.commands.is_empty() {
        return Err(BenchError::Usage("give at least one command".into()));
    }
    if opts.prepare.len() > 1 && opts.prepare.len() != opts.commands.len() {
        return Err(BenchError::Usage(format!(
            "give one --prepare for all commands or one per command ({} commands, {} --prepare)",
            opts.commands.len(),
            opts.prepare.len()
        )));
    }
    let combos = params::combinations(&opts.params);
    // one command, run once per round: the benchmark's name is its name
    let single = (opts.commands.len() == 1 && combos.len() == 1)
        .then_some(opts.name.as_ref())
        .flatten();
    let mut out = Vec::new();
    for (i, c) in opts.commands.iter().enumerate() {
        for combo in &combos {
            let line = params::substitute(&c.line, combo);
            let name = match (&c.name, single) {
                (Some(n), _) => params::substitute(n, combo),
                (None, Some(n)) => n.clone(),
                (None, None) => line.clone(),
            };
            let prepare = match opts.prepare.len() {
                0 => None,
                1 => Some(params::substitute(&opts.prepare[0], combo)),
                _ => Some(params::substitute(&opts.prepare[i], combo)),
            };
            out.push(Planned {
                name,
                line,
                parameters: combo.clone(),
                prepare,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    for p in &mut out {
        let base = p.name.clone();
        let mut k = 2;
        while !seen.insert(p.name.clone()) {
            p.name = format!("{base} #{k}");
            k += 1;
        }
    }
    Ok(out)
}

fn check(sample: &Sample, line: &str, phase: &str, ignore: bool) -> Result<(), BenchError> {
    if sample.exit_code != 0 && !ignore {
        return Err(BenchError::Failed {
            line: line.into(),
            code: sample.exit_code,
            phase: phase.into(),
        });
    }
    Ok(())
}

fn aux(ex: &mut Executor, line: &str, opts: &BenchOptions, what: &str) -> Result<(), Halt> {
    let s = ex.run(line, &opts.launcher, &aux_io(opts))?;
    // setup, prepare and cleanup must succeed whatever --ignore-failure says
    Ok(check(&s, line, &format!(" (in {what})"), false)?)
}

fn aux_io(opts: &BenchOptions) -> Io {
    Io {
        input: None,
        show_output: opts.io.show_output,
    }
}

/// Measures the shell's own spawn cost: the mean of `sh -c ''` runs.
fn shell_overhead(ex: &mut Executor, sh: &str) -> Result<Sample, Halt> {
    let launcher = Launcher::Shell(sh.to_string());
    let io = Io::default();
    for _ in 0..5 {
        ex.run("", &launcher, &io)?;
    }
    let runs: Vec<Sample> = (0..40)
        .map(|_| ex.run("", &launcher, &io))
        .collect::<Result<_, _>>()?;
    let mean = |f: fn(&Sample) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
    Ok(Sample {
        wall_s: mean(|s| s.wall_s),
        user_s: mean(|s| s.user_s),
        system_s: mean(|s| s.system_s),
        max_rss_kb: 0,
        voluntary_cs: 0,
        involuntary_cs: 0,
        exit_code: 0,
    })
}

fn subtract(mut s: Sample, overhead: &Option<Sample>) -> Sample {
    if let Some(o) = overhead {
        s.wall_s = (s.wall_s - o.wall_s).max(0.0);
        s.user_s = (s.user_s - o.user_s).max(0.0);
        s.system_s = (s.system_s - o.system_s).max(0.0);
    }
    s
}

/// Runs the benchmark. Once `stop` is set, the run in progress (measured, warm-up, setup,
/// `--prepare` or the shell's overhead) ends within a few milliseconds: its command's process
/// group is killed and the run discarded. The completed runs come back with `interrupted` set,
/// after `--cleanup` (which no stop ends). A spawner that exits (killed from outside) stops the
/// benchmark the same way. `--cleanup` runs after an error too; the error is returned after it.
pub fn run(
    opts: &BenchOptions,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
) -> Result<Measured, BenchError> {
    run_killable(opts, observer, stop, &AtomicBool::new(false))
}

/// [`run`], with `kill` (a second stop: "stop now") that ends `--cleanup` too: its process
/// group is killed within a few milliseconds, the cleanups not yet run are skipped, and what
/// was measured comes back with `interrupted` set.
pub fn run_killable(
    opts: &BenchOptions,
    observer: &mut dyn Observer,
    stop: &AtomicBool,
    kill: &AtomicBool,
) -> Result<Measured, BenchError> {
    let started = Instant::now();
    let commands = plan(opts)?;
    let ex = Executor {
        spawner: match &opts.spawner {
            Some((prog, args)) => exec::Spawner::start(prog, args).ok(),
            None => None,
        },
        stop,
        kill,
    };
    let rss_floor_kb = match &ex.spawner {
        Some(s) => Some(s.floor_kb),
        None => Some(exec::own_hwm_kb()),
    };
    let mut b = Bench {
        opts,
        commands: &commands,
        ex,
        samples: vec![Vec::new(); commands.len()],
        overhead: None,
        set_up: 0,
    };
    let halted = b.all(observer);
    // what --setup started is cleaned up whatever ended the runs; their error comes first
    let cleaned = b.cleanup();
    let mut interrupted = match halted {
        Ok(()) => false,
        Err(Halt::Stopped) => true,
        Err(Halt::Error(e)) => return Err(e),
    };
    interrupted |= cleaned? == Cleanup::Killed;
    let (samples, shell_overhead) = (b.samples, b.overhead);
    Ok(Measured {
        commands,
        samples,
        shell_overhead,
        interrupted,
        rss_floor_kb,
        elapsed: started.elapsed(),
    })
}

/// A benchmark under way.
struct Bench<'a> {
    opts: &'a BenchOptions,
    commands: &'a [Planned],
    ex: Executor<'a>,
    samples: Vec<Vec<Sample>>,
    overhead: Option<Sample>,
    /// How many commands' setup ran (their cleanup runs, whatever happens next).
    set_up: usize,
}

impl Bench<'_> {
    fn stopped(&self) -> Result<(), Halt> {
        match self.ex.stop.load(Ordering::SeqCst) {
            true => Err(Halt::Stopped),
            false => Ok(()),
        }
    }

    /// The shell's overhead, setup and warm-up of every command, then the measured rounds.
    fn all(&mut self, observer: &mut dyn Observer) -> Result<(), Halt> {
        let opts = self.opts;
        if let Launcher::Shell(sh) = &opts.launcher {
            self.overhead = Some(shell_overhead(&mut self.ex, sh)?);
        }
        for c in self.commands {
            self.stopped()?;
            if let Some(s) = &opts.setup {
                self.set_up += 1;
                aux(
                    &mut self.ex,
                    &params::substitute(s, &c.parameters),
                    opts,
                    "--setup",
                )?;
            }
            for _ in 0..opts.warmup {
                self.stopped()?;
                if let Some(p) = &c.prepare {
                    aux(&mut self.ex, p, opts, "--prepare")?;
                }
                let s = self.ex.run(&c.line, &opts.launcher, &opts.io)?;
                check(&s, &c.line, " during warm-up", opts.ignore_failure)?;
            }
        }
        observer.start(self.commands);
        match opts.interleave {
            true => self.interleaved(observer),
            false => self.sequential(observer),
        }
    }

    /// Rounds of A B A B …, sized from the first round when the count is adaptive.
    fn interleaved(&mut self, observer: &mut dyn Observer) -> Result<(), Halt> {
        let (opts, n) = (self.opts, self.commands.len());
        let mut target = opts.runs.unwrap_or(opts.min_runs).max(1);
        if opts.runs.is_some() {
            observer.plan(self.commands, target * n);
        }
        let mut round = 0;
        while round < target {
            for i in 0..n {
                self.measure(i, observer)?;
            }
            if round == 0 && opts.runs.is_none() {
                let per_round: f64 = self
                    .samples
                    .iter()
                    .map(|s| s[0].wall_s)
                    .sum::<f64>()
                    .max(1e-6);
                let budget = opts.max_time.as_secs_f64() * n as f64;
                target = ((budget / per_round) as usize).clamp(opts.min_runs, opts.max_runs);
                observer.plan(self.commands, target * n);
            }
            round += 1;
        }
        Ok(())
    }

    /// All runs of A, then all of B: each command is sized from its own first run, so the
    /// total is known at the last one.
    fn sequential(&mut self, observer: &mut dyn Observer) -> Result<(), Halt> {
        let (opts, n) = (self.opts, self.commands.len());
        if opts.runs.is_some() {
            observer.plan(self.commands, opts.runs.unwrap_or(1).max(1) * n);
        }
        let mut total = 0;
        for i in 0..n {
            let mut want = opts.runs.unwrap_or(opts.min_runs).max(1);
            let mut k = 0;
            while k < want {
                self.measure(i, observer)?;
                if k == 0 && opts.runs.is_none() {
                    let first = self.samples[i][0].wall_s.max(1e-6);
                    want = ((opts.max_time.as_secs_f64() / first) as usize)
                        .clamp(opts.min_runs, opts.max_runs);
                    total += want;
                    if i + 1 == n {
                        observer.plan(self.commands, total);
                    }
                }
                k += 1;
            }
        }
        Ok(())
    }

    /// One measured run of command `i` (after its `--prepare`).
    fn measure(&mut self, i: usize, observer: &mut dyn Observer) -> Result<(), Halt> {
        self.stopped()?;
        let (opts, c) = (self.opts, &self.commands[i]);
        if let Some(p) = &c.prepare {
            aux(&mut self.ex, p, opts, "--prepare")?;
        }
        let s = subtract(
            self.ex.run(&c.line, &opts.launcher, &opts.io)?,
            &self.overhead,
        );
        check(&s, &c.line, "", opts.ignore_failure)?;
        observer.sample(i, self.samples[i].len(), &s);
        self.samples[i].push(s);
        Ok(())
    }

    /// `--cleanup` of every command whose setup ran (of all of them without `--setup`), until
    /// a kill.
    fn cleanup(&mut self) -> Result<Cleanup, BenchError> {
        let Some(cleanup) = &self.opts.cleanup else {
            return Ok(Cleanup::Done);
        };
        let done = match self.opts.setup {
            Some(_) => self.set_up,
            None => self.commands.len(),
        };
        let io = aux_io(self.opts);
        for c in &self.commands[..done] {
            let line = params::substitute(cleanup, &c.parameters);
            let s = match self.ex.run_to_end(&line, &self.opts.launcher, &io) {
                Err(ExecError::Stopped { .. }) => return Ok(Cleanup::Killed),
                r => r?,
            };
            check(&s, &line, " (in --cleanup)", false)?;
        }
        Ok(Cleanup::Done)
    }
}

/// How `--cleanup` ended.
#[derive(PartialEq)]
enum Cleanup {
    /// Every cleanup ran to its end.
    Done,
    /// A kill ended one; the rest did not run.
    Killed,
}
