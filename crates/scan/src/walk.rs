//! Finding and reading the files to scan: ripgrep's `ignore` walker in parallel (`.gitignore`,
//! `.ignore` and hidden files respected, also outside a git repository), one tree-sitter parser
//! per language per thread. Files that are binary (a NUL byte in the first 8 KiB), minified
//! JavaScript/TypeScript (a line over 5,000 characters, or lines averaging over 500), larger
//! than the size limit, or that a grammar cannot parse safely (`guard`) are skipped with a
//! note; a panic while scanning one file is caught and noted, so no file ends a scan.

use crate::engine::{Engine, Project};
use crate::finding::{Finding, Note, NoteKind};
use crate::lang::Language;
use crate::reach;
use crate::routes::{self, RouteEntry, SqlString};
use crate::runs;
use crate::suppress;
use ignore::{WalkBuilder, WalkState};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Lines longer than this mark a minified file.
const MINIFIED_LINE: usize = 5_000;
/// An average line length above this marks a minified file.
const MINIFIED_AVERAGE: usize = 500;
/// How much of a file is searched for a NUL byte.
const BINARY_PREFIX: usize = 8 * 1024;

/// Counts over the walk.
#[derive(Default, Debug, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) files: u64,
    pub(crate) parsed: u64,
    pub(crate) skipped: u64,
    pub(crate) tests: u64,
    pub(crate) bytes: u64,
}

/// What the walk found: findings (with their enclosing class, for reachability), notes,
/// counts, and the names every file defines and calls.
#[derive(Default)]
pub(crate) struct Acc {
    pub(crate) findings: Vec<Finding>,
    pub(crate) classes: Vec<Option<String>>,
    pub(crate) notes: Vec<Note>,
    pub(crate) counts: Counts,
    pub(crate) facts: Vec<reach::FileFacts>,
    /// The routes the files declare.
    pub(crate) routes: Vec<RouteEntry>,
    /// The SQL strings in the files.
    pub(crate) sql: Vec<SqlString>,
    /// Files read whose parse waits for every file's models (`Project::Walking`).
    deferred: Vec<Deferred>,
}

/// A file read and placed whose scan waits for the project's models.
struct Deferred {
    lang: Language,
    file: String,
    text: String,
    runs: Option<runs::Verdict>,
}

struct Worker<'e, 'r> {
    engine: &'e Engine<'r>,
    roots: &'e [PathBuf],
    max_size: u64,
    include_tests: bool,
    parsers: Vec<Option<tree_sitter::Parser>>,
    acc: Acc,
    shared: &'e Mutex<Acc>,
}

impl Drop for Worker<'_, '_> {
    fn drop(&mut self) {
        let mut s = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        s.findings.append(&mut self.acc.findings);
        s.classes.append(&mut self.acc.classes);
        s.facts.append(&mut self.acc.facts);
        s.routes.append(&mut self.acc.routes);
        s.sql.append(&mut self.acc.sql);
        s.notes.append(&mut self.acc.notes);
        s.deferred.append(&mut self.acc.deferred);
        s.counts.files += self.acc.counts.files;
        s.counts.parsed += self.acc.counts.parsed;
        s.counts.skipped += self.acc.counts.skipped;
        s.counts.tests += self.acc.counts.tests;
        s.counts.bytes += self.acc.counts.bytes;
    }
}

/// The path as shown in reports: without a leading `./`, with `/` separators.
pub(crate) fn display(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    match s.strip_prefix("./") {
        Some(rest) if !rest.is_empty() => rest.to_string(),
        _ => s,
    }
}

/// The path whose segments say where code runs: the displayed path under a relative root;
/// under an absolute root, the path below it prefixed by the root's own name (so that
/// `/home/ci/tests/app` does not make every file a test).
fn context_path(roots: &[PathBuf], path: &Path) -> String {
    for r in roots.iter().filter(|r| r.is_absolute()) {
        if let Ok(rest) = path.strip_prefix(r) {
            let name = r
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            return display(&Path::new(&*name).join(rest));
        }
    }
    display(path)
}

/// Why `text` looks minified, if it does. A source map inlined as the last comment
/// (`//# sourceMappingURL=data:…`, as Babel and TypeScript write it) is not code: compiled
/// files that carry one are read by their other lines.
fn minified(name: &str, text: &str) -> Option<String> {
    if name.contains(".min.") {
        return Some("minified (`.min.` in the name)".into());
    }
    let is_map = |l: &str| {
        let t = l.trim_start();
        t.starts_with("//# sourceMappingURL=") || t.starts_with("//@ sourceMappingURL=")
    };
    let (mut lines, mut bytes) = (0usize, 0usize);
    for l in text.lines() {
        if is_map(l) {
            continue;
        }
        lines += 1;
        bytes += l.len() + 1;
        if l.len() > MINIFIED_LINE {
            return Some(format!(
                "minified (line {lines} has {} characters)",
                l.len()
            ));
        }
    }
    let avg = bytes / lines.max(1);
    (avg > MINIFIED_AVERAGE).then(|| format!("minified (lines average {avg} characters)"))
}

impl Worker<'_, '_> {
    fn note(&mut self, file: &str, kind: NoteKind, message: String) {
        self.acc.counts.skipped += 1;
        self.acc.notes.push(Note {
            file: file.to_string(),
            kind,
            message,
        });
    }

    fn visit(&mut self, path: &Path, len: Option<u64>) {
        let Some(lang) = Language::from_path(path) else {
            return;
        };
        if !self.engine.covers(lang) {
            return;
        }
        let file = display(path);
        let ctx_path = context_path(self.roots, path);
        // the text of a module read to tell whether it is a test, kept for the scan below
        let mut read = None;
        if !self.include_tests {
            if let Some(v) = runs::test_path(&ctx_path) {
                // a Python module named like a test is one when it holds a test (an
                // unreadable one stays a test)
                read = runs::named_like_a_python_test(lang, &ctx_path, &v)
                    .then(|| std::fs::read(path).ok())
                    .flatten()
                    .filter(|b| !runs::holds_python_tests(&String::from_utf8_lossy(b)));
                if read.is_none() {
                    self.acc.counts.tests += 1;
                    return;
                }
            }
        }
        self.acc.counts.files += 1;
        if let Some(len) = len.filter(|l| *l > self.max_size) {
            let msg = format!("{len} bytes, over the {} byte limit", self.max_size);
            return self.note(&file, NoteKind::TooLarge, msg);
        }
        let bytes = match read.map_or_else(|| std::fs::read(path), Ok) {
            Ok(b) => b,
            Err(e) => return self.note(&file, NoteKind::Unreadable, e.to_string()),
        };
        if bytes.len() as u64 > self.max_size {
            let msg = format!(
                "{} bytes, over the {} byte limit",
                bytes.len(),
                self.max_size
            );
            return self.note(&file, NoteKind::TooLarge, msg);
        }
        if bytes[..bytes.len().min(BINARY_PREFIX)].contains(&0) {
            return self.note(
                &file,
                NoteKind::Binary,
                "binary (NUL byte in the first 8 KiB)".into(),
            );
        }
        let text = String::from_utf8_lossy(&bytes);
        if lang.may_be_minified() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            if let Some(why) = minified(&name, &text) {
                return self.note(&file, NoteKind::Minified, why);
            }
        }
        self.acc.counts.bytes += bytes.len() as u64;
        let file_runs = runs::of_file(lang, &ctx_path, &text);
        let rc = file_runs.as_ref().map(|v| v.0);
        // a bug of the scanner's own in reading names costs this file's reachability only
        if let Ok(f) = std::panic::catch_unwind(|| reach::facts_of_file(lang, &file, &text, rc)) {
            self.acc.facts.push(f);
        }
        self.scan(lang, file, &text, file_runs, Project::Walking);
    }

    /// Scans a file read and placed; one whose parse must wait for the project's models is
    /// kept in `acc.deferred`.
    fn scan(
        &mut self,
        lang: Language,
        file: String,
        text: &str,
        file_runs: Option<runs::Verdict>,
        project: Project<'_>,
    ) {
        let parser = self.parsers[lang.index()].get_or_insert_with(|| {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&lang.grammar())
                .expect("grammars are compatible with the tree-sitter runtime");
            p
        });
        // A panic on one file (a bug of the scanner's own) is that file's note, not the end
        // of the scan.
        let mut r = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let wanted = routes::wanted(lang, text);
            self.engine.scan(
                lang,
                parser,
                &file,
                text,
                file_runs.as_ref(),
                wanted,
                project,
            )
        })) {
            Ok(r) => r,
            Err(p) => {
                self.parsers[lang.index()] = None;
                let what = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let msg = format!("the scanner failed on this file ({what}); skipped");
                return self.note(&file, NoteKind::Unparsable, msg);
            }
        };
        if r.deferred {
            self.acc.deferred.push(Deferred {
                lang,
                file,
                text: text.to_string(),
                runs: file_runs,
            });
            return;
        }
        let engine = self.engine;
        self.acc
            .notes
            .extend(suppress::apply(&file, text, &mut r.findings, &|id| {
                engine.has_rule(lang, id)
            }));
        crate::restated::drop_restated_awaits(&mut r.findings, &mut r.classes);
        self.acc.routes.append(&mut r.extracted.routes);
        self.acc.sql.append(&mut r.extracted.sql);
        if r.parsed {
            self.acc.counts.parsed += 1;
        }
        if r.skipped {
            self.acc.counts.skipped += 1;
        }
        self.acc.findings.extend(r.findings);
        self.acc.classes.extend(r.classes);
        self.acc.notes.extend(r.note);
    }
}

/// Walks `opts.paths` with `opts.threads` threads (0: one per core) and scans every file
/// (test code only with `opts.include_tests`); the files whose scan waits for the project's
/// models are scanned last.
pub(crate) fn walk(engine: &Engine<'_>, opts: &crate::ScanOptions) -> Acc {
    let (roots, max_size, threads) = (&opts.paths[..], opts.max_file_size, opts.threads);
    let shared = Mutex::new(Acc::default());
    let worker = || Worker {
        engine,
        roots,
        max_size,
        include_tests: opts.include_tests,
        parsers: (0..Language::ALL.len()).map(|_| None).collect(),
        acc: Acc::default(),
        shared: &shared,
    };
    if let Some((first, rest)) = roots.split_first() {
        let mut b = WalkBuilder::new(first);
        for r in rest {
            b.add(r);
        }
        b.require_git(false).threads(threads);
        b.build_parallel().run(|| {
            let mut w = worker();
            Box::new(move |entry| {
                match entry {
                    Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                        let len = e.metadata().ok().map(|m| m.len());
                        w.visit(e.path(), len);
                    }
                    Ok(_) => {}
                    Err(err) => {
                        let file = match &err {
                            ignore::Error::WithPath { path, .. } => display(path),
                            _ => String::new(),
                        };
                        w.note(&file, NoteKind::Unreadable, err.to_string());
                    }
                }
                WalkState::Continue
            })
        });
    }
    let deferred = std::mem::take(&mut shared.lock().unwrap_or_else(|e| e.into_inner()).deferred);
    if !deferred.is_empty() {
        let known = {
            let acc = shared.lock().unwrap_or_else(|e| e.into_inner());
            crate::known::Known::new(&acc.facts)
        };
        let n = match threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let queue = Mutex::new(deferred.into_iter());
        std::thread::scope(|s| {
            for _ in 0..n {
                s.spawn(|| {
                    let mut w = worker();
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some(d) = next else { break };
                        w.scan(d.lang, d.file, &d.text, d.runs, Project::Walked(&known));
                    }
                });
            }
        });
    }
    shared.into_inner().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minified_files_are_recognised() {
        assert!(minified("app.min.js", "x").is_some());
        assert!(minified("a.js", &"x".repeat(6000)).is_some());
        let avg = format!("{}\n{}\n", "a".repeat(900), "b".repeat(900));
        assert!(minified("a.js", &avg).unwrap().contains("average"));
        assert!(minified("a.js", "const a = 1;\nfunction f() {}\n").is_none());
        // compiled code with its source map inlined as the last comment is read as code
        let mapped = format!(
            "\"use strict\";\nconst a = 1;\n//# sourceMappingURL=data:application/json;base64,{}\n",
            "A".repeat(60_000)
        );
        assert!(minified("a.js", &mapped).is_none());
        let bundle = format!("{}\n//# sourceMappingURL=a.js.map\n", "x".repeat(6000));
        assert!(minified("a.js", &bundle).is_some());
    }

    #[test]
    fn paths_are_shown_without_dot_slash() {
        assert_eq!(display(Path::new("./src/a.py")), "src/a.py");
        assert_eq!(display(Path::new("src/a.py")), "src/a.py");
        assert_eq!(display(Path::new("/abs/a.py")), "/abs/a.py");
    }
}
