//! Which language runtime a process runs, from `/proc/<pid>/exe` and `/proc/<pid>/maps`.
//!
//! The method is the one py-spy and async-profiler use to find an interpreter in a process:
//! look at the executable and at the shared objects mapped into it (`proc(5)`, `maps`).
//!
//! | runtime | recognised by |
//! |---|---|
//! | CPython | an executable named `python`, `python3`, `python3.11`, … (a venv's `python` resolves to its base interpreter), or a mapped `libpython3.X.so` (a shared-library build, an embedding server such as uWSGI) |
//! | Node.js | an executable named `node` or `nodejs`, or a mapped `libnode.so` |
//! | JVM | a mapped `libjvm.so` (any launcher: `java`, a jpackage binary, an embedding server) |
//! | native | anything else that could be read |
//!
//! `maps` needs the same access as ptrace-reading the process (`PTRACE_MODE_READ`): a process of
//! another user is [`Runtime::Unknown`] unless perfhive runs as root, exactly like the profilers
//! that would have to attach to it.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The language runtime of one process.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Runtime {
    /// The CPython interpreter.
    CPython {
        /// `major.minor` when the executable or library name tells it (`3.11`).
        version: Option<String>,
        /// The shared `libpython` the interpreter runs from, when it is not linked into the
        /// executable (source builds with `--enable-shared`, embedding servers).
        libpython: Option<PathBuf>,
    },
    /// Node.js (V8).
    Node,
    /// A Java virtual machine (HotSpot or another VM shipping `libjvm.so`).
    Jvm,
    /// Compiled code with no managed runtime recognised (C, C++, Rust, Go, …).
    Native,
    /// The process could not be read (gone, or another user's without privileges).
    Unknown,
}

impl Runtime {
    /// A short name for tables and messages: `CPython 3.11`, `Node.js`, `JVM`, `native`.
    pub fn label(&self) -> String {
        match self {
            Runtime::CPython {
                version: Some(v), ..
            } => format!("CPython {v}"),
            Runtime::CPython { version: None, .. } => "CPython".to_owned(),
            Runtime::Node => "Node.js".to_owned(),
            Runtime::Jvm => "JVM".to_owned(),
            Runtime::Native => "native".to_owned(),
            Runtime::Unknown => "unknown".to_owned(),
        }
    }

    /// Whether this is CPython.
    pub fn is_python(&self) -> bool {
        matches!(self, Runtime::CPython { .. })
    }

    /// The same runtime family (versions and library paths ignored).
    pub fn same_family(&self, other: &Runtime) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Detects the runtime of `pid` from its `exe` link and its `maps`.
pub fn detect(pid: i32) -> Runtime {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    let maps = std::fs::read(format!("/proc/{pid}/maps")).ok();
    match (exe, maps) {
        (None, None) => Runtime::Unknown,
        (exe, maps) => classify(
            exe.as_deref(),
            &String::from_utf8_lossy(maps.as_deref().unwrap_or_default()),
        ),
    }
}

/// Classifies a process from its executable path and the text of its `maps` (pure; see the
/// module docs for the rules).
pub fn classify(exe: Option<&Path>, maps: &str) -> Runtime {
    let exe_name = exe
        .and_then(Path::file_name)
        .map(|n| {
            n.to_string_lossy()
                .trim_end_matches(" (deleted)")
                .to_owned()
        })
        .unwrap_or_default();
    let mut libpython = None;
    let mut jvm = false;
    let mut libnode = false;
    for path in maps.lines().filter_map(mapped_path) {
        let name = path.rsplit('/').next().unwrap_or(path);
        if libpython.is_none() && name.starts_with("libpython") && name.contains(".so") {
            libpython = Some(PathBuf::from(path));
        } else if name.starts_with("libjvm.so") {
            jvm = true;
        } else if name.starts_with("libnode.so") {
            libnode = true;
        }
    }
    if jvm {
        return Runtime::Jvm;
    }
    if let Some(version) = python_exe_version(&exe_name) {
        let version = version.or_else(|| libpython.as_deref().and_then(libpython_version));
        return Runtime::CPython { version, libpython };
    }
    if let Some(lib) = libpython {
        return Runtime::CPython {
            version: libpython_version(&lib),
            libpython: Some(lib),
        };
    }
    if libnode || exe_name == "node" || exe_name == "nodejs" {
        return Runtime::Node;
    }
    if exe.is_none() && maps.is_empty() {
        return Runtime::Unknown;
    }
    Runtime::Native
}

/// The path of a `maps` line, if it maps a file (the sixth field, which may contain spaces).
fn mapped_path(line: &str) -> Option<&str> {
    let mut rest = line;
    for _ in 0..5 {
        let (_, tail) = rest.trim_start().split_once(' ')?;
        rest = tail;
    }
    let path = rest.trim();
    path.starts_with('/').then_some(path)
}

/// `Some(version)` when `name` is a CPython executable name: `python`, `python3`, `python3.11`,
/// `python3.11d`; the version is `Some` when the name has `major.minor`.
fn python_exe_version(name: &str) -> Option<Option<String>> {
    let rest = name.strip_prefix("python")?;
    let digits = rest.trim_end_matches(['d', 'm', 'u', 't']);
    if digits.is_empty() {
        return Some(None);
    }
    let valid = digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        return None;
    }
    Some(digits.contains('.').then(|| digits.to_owned()))
}

/// `3.11` from `/usr/lib/libpython3.11.so.1.0`.
fn libpython_version(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix("libpython")?;
    let version: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let version = version.trim_end_matches('.');
    version.contains('.').then(|| version.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps(paths: &[&str]) -> String {
        paths
            .iter()
            .map(|p| format!("7f0000000000-7f0000001000 r-xp 00000000 08:01 1234   {p}\n"))
            .collect()
    }

    #[test]
    fn python_by_executable_and_by_libpython() {
        let debian = classify(Some(Path::new("/usr/bin/python3.11")), &maps(&[]));
        assert_eq!(
            debian,
            Runtime::CPython {
                version: Some("3.11".into()),
                libpython: None
            }
        );
        assert_eq!(debian.label(), "CPython 3.11");
        let lib = "/root/.pyenv/versions/3.11.7/lib/libpython3.11.so.1.0";
        let shared = classify(
            Some(Path::new("/root/.pyenv/versions/3.11.7/bin/python3")),
            &maps(&["/usr/lib/x86_64-linux-gnu/libc.so.6", lib]),
        );
        assert_eq!(
            shared,
            Runtime::CPython {
                version: Some("3.11".into()),
                libpython: Some(lib.into())
            }
        );
        let uwsgi = classify(
            Some(Path::new("/usr/bin/uwsgi-core")),
            &maps(&["/usr/lib/x86_64-linux-gnu/libpython3.12.so.1.0"]),
        );
        assert!(uwsgi.is_python(), "{uwsgi:?}");
        assert_eq!(
            classify(Some(Path::new("/usr/bin/python")), "").label(),
            "CPython"
        );
    }

    #[test]
    fn node_jvm_native_unknown() {
        assert_eq!(
            classify(Some(Path::new("/usr/bin/node")), ""),
            Runtime::Node
        );
        assert_eq!(
            classify(
                Some(Path::new("/opt/app/server")),
                &maps(&["/usr/lib/libnode.so.115"])
            ),
            Runtime::Node
        );
        assert_eq!(
            classify(
                Some(Path::new("/usr/lib/jvm/java-17/bin/java")),
                &maps(&["/usr/lib/jvm/java-17/lib/server/libjvm.so"])
            ),
            Runtime::Jvm
        );
        assert_eq!(
            classify(
                Some(Path::new("/usr/sbin/nginx")),
                &maps(&["/usr/lib/libc.so.6"])
            ),
            Runtime::Native
        );
        assert_eq!(
            classify(Some(Path::new("/usr/bin/python-config-helper")), ""),
            Runtime::Native
        );
        assert_eq!(
            classify(Some(Path::new("/tmp/pythonista")), ""),
            Runtime::Native
        );
        assert_eq!(classify(None, ""), Runtime::Unknown);
    }

    #[test]
    fn paths_with_spaces_and_deleted_executables() {
        assert_eq!(
            mapped_path("7f00-7f01 r-xp 00000000 08:01 99  /opt/my app/libpython3.9.so"),
            Some("/opt/my app/libpython3.9.so")
        );
        assert_eq!(mapped_path("7f00-7f01 rw-p 00000000 00:00 0 "), None);
        assert_eq!(
            mapped_path("7f00-7f01 rw-p 00000000 00:00 0   [heap]"),
            None
        );
        assert!(classify(Some(Path::new("/usr/bin/python3.11 (deleted)")), "").is_python());
    }

    #[test]
    fn detects_this_test_process_as_native() {
        let own = i32::try_from(std::process::id()).expect("pid");
        assert_eq!(detect(own), Runtime::Native);
        assert_eq!(detect(-1), Runtime::Unknown);
    }
}
