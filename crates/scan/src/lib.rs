//! perfhive's static scanner: performance anti-patterns (N+1 queries, calls and `await` in
//! loops, string building in loops, blocking I/O in async code, `SELECT *`, cache writes without
//! a TTL, regexes compiled in loops) found in Python, JavaScript, TypeScript, Go, Java and Rust
//! source by rules that are data: YAML in a subset of ast-grep's rule language, matched over
//! tree-sitter syntax trees. The built-in rules (`rules/<lang>/*.yaml`) are embedded in the
//! binary; users add folders of their own.
//!
//! [`scan`] walks the paths, parses each file once and runs every rule of its language over
//! the one tree; the [`ScanReport`] renders as terminal text, JSON (schema
//! `schema/scan-report.schema.json`), SARIF 2.1.0 or Markdown. Findings the user has judged
//! are left out: those a `perfhive: ignore` comment suppresses, and those of a baseline report.

mod awaiter;
mod cached;
mod callees;
mod consumer;
mod drf;
mod engine;
pub mod finding;
mod guard;
mod inert;
mod known;
pub mod lang;
mod loop_text;
mod matcher;
mod pattern;
mod prefilter;
mod reach;
mod relations;
pub mod report;
mod restated;
pub mod routes;
pub mod rule;
mod runs;
pub mod size;
mod sleepers;
pub mod suppress;
mod walk;

pub use finding::{Confidence, Context, Finding, HeldOut, Note, NoteKind, Severity, Statement};
pub use lang::Language;
pub use report::{ScanReport, SCHEMA_VERSION};
pub use routes::{Framework, LineRange, RouteEntry, SqlString};
pub use rule::{Rule, RuleError};
pub use runs::RunContext;
pub use size::LoopSize;
pub use suppress::{Baseline, Suppression, MAX_BASELINE_BYTES};

use rule::Source;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
}

/// The default size limit: larger files are skipped with a note.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

/// What to scan and with which rules.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files and folders to scan.
    pub paths: Vec<PathBuf>,
    /// Folders of user rules (`*.yaml`, `*.yml`, searched recursively).
    pub rule_dirs: Vec<PathBuf>,
    /// Whether the built-in rules run.
    pub builtin: bool,
    /// Only these languages (empty: all).
    pub languages: Vec<Language>,
    /// Files larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Walker threads (0: one per core).
    pub threads: usize,
    /// Scan test code too (test files and folders; skipped by default: a query in a loop of
    /// a test is not what slows a service).
    pub include_tests: bool,
    /// List findings in one-off code too (migrations, management commands, scripts, build
    /// code). By default they are counted in the summary but not listed: per-row work in a
    /// data migration that runs once at upgrade is not what slows a service.
    pub include_one_off: bool,
    /// List findings of per-item rules in loops whose names do not tell how many items they
    /// walk (`for c in candidates`). By default they are counted but not listed: most such
    /// loops are over a handful of things; loops over data (`for order in orders`) are listed.
    pub include_unsized: bool,
    /// List findings in background work (scheduled, queued, looping jobs) when the scanned
    /// code serves requests. By default they are counted but not listed; a scan that finds no
    /// request-handling code at all (a library, a CLI) lists them. Code the scanner could not
    /// place is listed.
    pub include_off_request: bool,
    /// Run the rules that are off by default too (`enabled: false`: rules whose findings were
    /// rarely worth changing on code they were not tuned on).
    pub all_rules: bool,
    /// List findings that a `perfhive: ignore` comment suppresses (marked; they never count
    /// for a failing severity). By default they are counted but not listed.
    pub include_suppressed: bool,
    /// An earlier report: the findings it lists are not listed again, only counted.
    pub baseline: Option<Baseline>,
    /// List only findings of this confidence or higher; the others are counted. `Low` (the
    /// default) lists all.
    pub min_confidence: Confidence,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            paths: vec![PathBuf::from(".")],
            rule_dirs: Vec::new(),
            builtin: true,
            languages: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            threads: 0,
            include_tests: false,
            include_one_off: false,
            include_unsized: false,
            include_off_request: false,
            all_rules: false,
            include_suppressed: false,
            baseline: None,
            min_confidence: Confidence::Low,
        }
    }
}

/// Why a scan could not run. Files that cannot be read or parsed are notes, not errors.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A rule file is not valid.
    #[error("{0}")]
    Rule(#[from] RuleError),
    /// A rule folder or file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A path to scan does not exist.
    #[error("{0}: no such file or directory")]
    NotFound(String),
    /// No rule is left to run.
    #[error("no rules to run: --no-builtin needs --rules DIR, and --lang must name a language the rules cover")]
    NoRules,
}

fn builtin_sources(rules: bool) -> Vec<Source> {
    embedded::BUILTIN
        .iter()
        .filter(|(path, _)| rules || path.rsplit('/').next().is_some_and(|n| n.starts_with('_')))
        .map(|(path, text)| Source {
            path: format!("<builtin>/{path}"),
            text: (*text).to_string(),
        })
        .collect()
}

fn dir_sources(dir: &Path, out: &mut Vec<Source>) -> Result<(), ScanError> {
    let io = |e| ScanError::Io {
        path: dir.display().to_string(),
        source: e,
    };
    if !dir.is_dir() {
        out.push(Source {
            path: dir.display().to_string(),
            text: read_rule_file(dir)?,
        });
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            dir_sources(&p, out)?;
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
            out.push(Source {
                path: p.display().to_string(),
                text: read_rule_file(&p)?,
            });
        }
    }
    Ok(())
}

/// The largest rule file read: far above any real rule set, far below what would exhaust memory.
const MAX_RULE_FILE_BYTES: u64 = 16 << 20;

/// A rule file's text, bounded in size (a device or an endless file is refused unread).
fn read_rule_file(path: &Path) -> Result<String, ScanError> {
    perfhive_scenario::read_text_unnamed(path, MAX_RULE_FILE_BYTES, "rule file").map_err(|m| {
        ScanError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(m),
        }
    })
}

/// The built-in rules. They are validated by this crate's tests, so this cannot fail.
pub fn builtin_rules() -> Vec<Rule> {
    rule::load(&builtin_sources(true)).expect("built-in rules are valid")
}

/// The rules in folder (or file) `dir`; utility rules of the built-in set are available to them.
pub fn load_rules(dir: &Path) -> Result<Vec<Rule>, ScanError> {
    let mut sources = Vec::new();
    dir_sources(dir, &mut sources)?;
    sources.extend(builtin_sources(false));
    Ok(rule::load(&sources)?)
}

/// The rules of one YAML text (`path` names it in errors); utility rules of the built-in set
/// are available to them.
pub fn rules_from_str(path: &str, text: &str) -> Result<Vec<Rule>, ScanError> {
    let mut sources = vec![Source {
        path: path.to_string(),
        text: text.to_string(),
    }];
    sources.extend(builtin_sources(false));
    Ok(rule::load(&sources)?)
}

/// Scans one source text held in memory as a scan would scan a file at `file` (its run
/// context from the path and content; the routes and SQL strings of this file attached to its
/// findings; reachability within the file as a scan of it alone computes it; a panic is not
/// caught): the findings and the note on the file, if any.
pub fn scan_text(
    rules: &[Rule],
    lang: Language,
    file: &str,
    text: &str,
) -> (Vec<Finding>, Option<Note>) {
    let engine = engine::Engine::new(rules, &[lang]);
    if !engine.covers(lang) {
        return (Vec::new(), None);
    }
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&lang.grammar())
        .expect("grammars are compatible with the tree-sitter runtime");
    let file_runs = runs::of_file(lang, file, text);
    let wanted = routes::wanted(lang, text);
    let mut r = engine.scan(
        lang,
        &mut parser,
        file,
        text,
        file_runs.as_ref(),
        wanted,
        engine::Project::Unknown,
    );
    // a note on a `perfhive: ignore` comment is not returned: the file's note is its parse
    suppress::apply(file, text, &mut r.findings, &|id| engine.has_rule(lang, id));
    restated::drop_restated_awaits(&mut r.findings, &mut r.classes);
    if r.parsed {
        // the routes and SQL strings of this file alone, as a scan attaches them
        routes::attach(
            &mut r.findings,
            &r.classes,
            &r.extracted.routes,
            &r.extracted.sql,
            &|_, _| true,
        );
    }
    // reachability within this one file, as a scan of it alone computes it
    let facts = reach::facts_of_file(lang, file, text, file_runs.as_ref().map(|v| v.0));
    cached::CachedCallees::new(&facts.manager_methods).drop_cached(&mut r.findings, &mut r.classes);
    drf::keep_unloaded(&mut r.findings, &mut r.classes, &facts.list_views, &|f| {
        (f == file).then(|| text.to_string())
    });
    relations::keep_unloaded(&mut r.findings, &mut r.classes, [&facts.models], &|f| {
        (f == file).then(|| text.to_string())
    });
    relations::admin::keep_unloaded(&mut r.findings, &mut r.classes, [&facts.models], &|f| {
        (f == file).then(|| text.to_string())
    });
    resolve_run_contexts(&mut r.findings, &r.classes, &reach::Reach::new(&[facts]));
    let grouped = |id: &str| rules.iter().any(|r| r.id == id && r.group_by_context);
    suppress::fingerprint(&mut r.findings, &[], &grouped);
    (r.findings, r.note)
}

/// Code still of unknown context: a route's handler, called only from one-off code, or
/// reached by name from request-handling files? Findings in one-off code are shown at low
/// severity (`rule_severity` keeps the rule's).
fn resolve_run_contexts(
    findings: &mut [Finding],
    classes: &[Option<String>],
    reach: &reach::Reach,
) {
    for (f, class) in findings.iter_mut().zip(classes) {
        if f.run_context == RunContext::Unknown {
            if let Some(r) = f.routes.first() {
                f.run_context = RunContext::Request;
                f.run_context_reason = format!("handles `{r}`");
            } else if let Some((rc, why)) = reach.one_off(f.function.as_deref()) {
                f.run_context = rc;
                f.run_context_reason = why;
            } else if let Some((rc, why)) = reach.lookup(f.function.as_deref(), class.as_deref()) {
                f.run_context = rc;
                f.run_context_reason = why;
            }
        }
        if f.run_context.is_one_off() && f.severity > Severity::Low {
            f.rule_severity = Some(f.severity);
            f.severity = Severity::Low;
        }
    }
}

/// The rules `opts` selects: the user's folders, then the built-ins unless disabled.
pub fn select_rules(opts: &ScanOptions) -> Result<Vec<Rule>, ScanError> {
    let mut sources = Vec::new();
    for d in &opts.rule_dirs {
        dir_sources(d, &mut sources)?;
    }
    // with --lang, the built-in rules of other languages are not compiled at all (their
    // regexes and patterns are most of a short scan's start-up)
    sources.extend(
        builtin_sources(opts.builtin)
            .into_iter()
            .filter(|s| opts.languages.is_empty() || builtin_covers(&s.path, &opts.languages)),
    );
    let mut rules = rule::load(&sources)?;
    if !opts.all_rules {
        rules.retain(|r| r.enabled);
    }
    if !opts.languages.is_empty() {
        rules.retain(|r| r.languages.iter().any(|l| opts.languages.contains(l)));
    }
    Ok(rules)
}

/// Whether built-in rule file `path` (`<builtin>/<folder>/…`) is for one of `langs`: each
/// folder holds one language's rules, `javascript/` those of JavaScript and TypeScript.
fn builtin_covers(path: &str, langs: &[Language]) -> bool {
    let folder = path
        .trim_start_matches("<builtin>/")
        .split('/')
        .next()
        .unwrap_or("");
    match folder {
        "javascript" => langs.iter().any(|l| {
            matches!(
                l,
                Language::JavaScript | Language::TypeScript | Language::Tsx
            )
        }),
        f => Language::from_name(f).is_none_or(|l| langs.contains(&l)),
    }
}

/// Scans `opts.paths` with the rules `opts` selects.
pub fn scan(opts: &ScanOptions) -> Result<ScanReport, ScanError> {
    let rules = select_rules(opts)?;
    scan_with(&rules, opts)
}

/// Scans `opts.paths` with `rules` (`opts.rule_dirs` and `opts.builtin` are not consulted).
pub fn scan_with(rules: &[Rule], opts: &ScanOptions) -> Result<ScanReport, ScanError> {
    let started = Instant::now();
    for p in &opts.paths {
        if !p.exists() {
            return Err(ScanError::NotFound(p.display().to_string()));
        }
    }
    let engine = engine::Engine::new(rules, &opts.languages);
    if !Language::ALL.iter().any(|l| engine.covers(*l)) {
        return Err(ScanError::NoRules);
    }
    let walked = walk::walk(&engine, opts);
    let (mut findings, mut notes, counts) = (walked.findings, walked.notes, walked.counts);
    let mut classes = walked.classes;
    let (mut route_table, mut sql) = (walked.routes, walked.sql);
    route_table.sort_by(|a, b| {
        (&a.file, a.line, &a.method, &a.template).cmp(&(&b.file, b.line, &b.method, &b.template))
    });
    sql.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    cached::CachedCallees::new(walked.facts.iter().flat_map(|f| &f.manager_methods))
        .drop_cached(&mut findings, &mut classes);
    drf::keep_unloaded(
        &mut findings,
        &mut classes,
        walked.facts.iter().flat_map(|f| &f.list_views),
        &|f| std::fs::read_to_string(f).ok(),
    );
    relations::keep_unloaded(
        &mut findings,
        &mut classes,
        walked.facts.iter().map(|f| &f.models),
        &|f| std::fs::read_to_string(f).ok(),
    );
    relations::admin::keep_unloaded(
        &mut findings,
        &mut classes,
        walked.facts.iter().map(|f| &f.models),
        &|f| std::fs::read_to_string(f).ok(),
    );
    let python = || walked.facts.iter().filter(|f| f.lang == Language::Python);
    let read = |f: &str| std::fs::read_to_string(f).ok();
    sleepers::drop_sleeps(
        &mut findings,
        &mut classes,
        python().map(|f| (f.file.as_str(), f.sleepers.as_slice())),
        &read,
    );
    callees::drop_inert_callees(
        &mut findings,
        &mut classes,
        python().map(|f| (f.file.as_str(), f.defines.as_slice())),
        &read,
    );
    let defined = reach::definition_counts(&walked.facts);
    routes::attach(
        &mut findings,
        &classes,
        &route_table,
        &sql,
        &|lang: Language, name: &str| defined.get(&(lang, name)).is_none_or(|&n| n <= 1),
    );
    resolve_run_contexts(&mut findings, &classes, &reach::Reach::new(&walked.facts));
    let roots: Vec<String> = opts.paths.iter().map(|p| walk::display(p)).collect();
    let grouped = |id: &str| rules.iter().any(|r| r.id == id && r.group_by_context);
    suppress::fingerprint(&mut findings, &roots, &grouped);
    // code that serves requests: what slows a service is on its request path (decided on every
    // finding, before any is held back)
    let serves = !route_table.is_empty()
        || findings
            .iter()
            .any(|f| f.run_context == RunContext::Request);
    // what the user suppressed is set aside first, and listed whole when asked for: the other
    // filters apply to findings nobody has judged yet
    let (suppressed, mut findings): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(|f| f.suppressed.is_some());
    let suppressed_hidden = if opts.include_suppressed {
        0
    } else {
        suppressed.len() as u64
    };
    let before = findings.len();
    if !opts.include_one_off {
        // test code is listed when asked for with `include_tests`
        findings.retain(|f| {
            !f.run_context.is_one_off() || (opts.include_tests && f.run_context == RunContext::Test)
        });
    }
    let one_off_hidden = (before - findings.len()) as u64;
    let before = findings.len();
    if !opts.include_unsized {
        findings.retain(|f| f.loop_size() != Some(LoopSize::Unknown));
    }
    let unsized_hidden = (before - findings.len()) as u64;
    let before = findings.len();
    if !opts.include_off_request && serves {
        // known background work; code the scanner could not place is listed
        findings.retain(|f| f.run_context != RunContext::Background);
    }
    let off_request_hidden = (before - findings.len()) as u64;
    let before = findings.len();
    findings.retain(|f| f.confidence >= opts.min_confidence);
    let low_confidence_hidden = (before - findings.len()) as u64;
    let baseline = opts.baseline.as_ref().map(|b| b.split(&mut findings));
    if opts.include_suppressed {
        findings.extend(suppressed);
    }
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.rule_id).cmp(&(&b.file, b.line, b.column, &b.rule_id))
    });
    notes.sort_by(|a, b| (&a.file, a.kind).cmp(&(&b.file, b.kind)));
    let used: Vec<&Rule> = rules
        .iter()
        .filter(|r| {
            opts.languages.is_empty() || r.languages.iter().any(|l| opts.languages.contains(l))
        })
        .collect();
    Ok(ScanReport::new(
        opts.paths.iter().map(|p| walk::display(p)).collect(),
        &used,
        findings,
        notes,
        route_table,
        sql,
        report::Counts {
            files: counts.files,
            parsed: counts.parsed,
            skipped: counts.skipped,
            tests: counts.tests,
            one_off_hidden,
            unsized_hidden,
            off_request_hidden,
            low_confidence_hidden,
            suppressed_hidden,
            baseline,
            bytes: counts.bytes,
            elapsed: started.elapsed(),
        },
    ))
}

#[cfg(test)]
mod tests;
