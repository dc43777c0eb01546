//! Which frames are the application's: the rules that sort a frame into a [`FrameKind`].
//!
//! | frame | kind |
//! |---|---|
//! | kernel symbol (`[kernel.kallsyms]`, a `.ko`) | kernel |
//! | the interpreter or VM: `libpython*.so` or a `python*` executable, `node` / `libnode.so`, `libjvm.so`, V8 builtins and stubs from a perf map | runtime |
//! | Python file under `site-packages` / `dist-packages`, the standard library (`…/lib/python3.X/…`), a venv's `bin/` script; JavaScript under `node_modules`; `java.` / `jdk.` / `sun.` classes; any other shared library | library |
//! | Python `<frozen …>` / `<string>` code, JavaScript `node:` internals, unknown JIT code in a managed runtime | runtime |
//! | every other Python or JavaScript file; in a native process, its own executable; other Java classes | application |

use std::path::Path;

use perfhive_probe::Runtime;

use crate::stack::{Frame, FrameKind};

/// A frame py-spy reported: `function (file:line)`.
pub fn python_frame(function: &str, file: &str, line: Option<u32>) -> Frame {
    Frame {
        function: function.to_owned(),
        file: Some(file.to_owned()),
        line,
        module: None,
        kind: python_file_kind(file),
    }
}

/// The kind of a Python source file.
pub fn python_file_kind(file: &str) -> FrameKind {
    if file.starts_with('<') {
        return FrameKind::Runtime;
    }
    if file.contains("/site-packages/") || file.contains("/dist-packages/") {
        return FrameKind::Library;
    }
    let stdlib = [
        "/lib/python3",
        "/lib64/python3",
        "/lib/python2",
        "/lib/pypy3",
    ];
    if stdlib.iter().any(|s| file.contains(s)) {
        return FrameKind::Library;
    }
    // A console script a venv installed (`<venv>/bin/gunicorn`).
    let venv_script = Path::new(file)
        .parent()
        .filter(|bin| bin.file_name().is_some_and(|n| n == "bin"))
        .and_then(Path::parent)
        .is_some_and(|root| root.join("pyvenv.cfg").exists());
    if venv_script {
        return FrameKind::Library;
    }
    FrameKind::Application
}

/// A frame from `perf script`: `sym` as perf resolved it, `dso` the object it is in, in a
/// process of `runtime`.
pub fn native_frame(sym: &str, dso: Option<&str>, runtime: &Runtime) -> Frame {
    let dso_name = dso.map(|d| d.rsplit('/').next().unwrap_or(d));
    let function = if sym.is_empty() || sym == "[unknown]" {
        match dso_name {
            Some(d) if !d.starts_with('[') => format!("[{d}]"),
            _ => "[unknown]".to_owned(),
        }
    } else {
        sym.to_owned()
    };
    let module = dso.map(str::to_owned);
    let plain = |kind| Frame {
        function: function.clone(),
        file: None,
        line: None,
        module: module.clone(),
        kind,
    };
    let Some(dso) = dso else {
        return plain(unknown_kind(runtime));
    };
    let name = dso_name.unwrap_or(dso);
    if dso.starts_with("[kernel") || name.ends_with(".ko") {
        return plain(FrameKind::Kernel);
    }
    if is_jit_map(dso) {
        if let Some(js) = crate::node::js_frame(sym) {
            return js;
        }
        return plain(jit_kind(sym, runtime));
    }
    if dso == "[unknown]" {
        return plain(unknown_kind(runtime));
    }
    if dso.starts_with('[') {
        // [vdso], [vsyscall], [anon]
        return plain(FrameKind::Library);
    }
    if is_runtime_object(name) {
        return plain(FrameKind::Runtime);
    }
    let shared_object = name.contains(".so");
    match runtime {
        Runtime::Native | Runtime::Unknown if !shared_object => plain(FrameKind::Application),
        _ => plain(FrameKind::Library),
    }
}

/// `/tmp/perf-<pid>.map`: symbols a JIT wrote for perf.
pub fn is_jit_map(dso: &str) -> bool {
    let name = dso.rsplit('/').next().unwrap_or(dso);
    name.starts_with("perf-") && name.ends_with(".map")
}

/// Interpreters and virtual machines by object name.
fn is_runtime_object(name: &str) -> bool {
    name.starts_with("libpython")
        || name.starts_with("libjvm.so")
        || name.starts_with("libnode.so")
        || name == "node"
        || name == "nodejs"
        || name == "java"
        || (name.starts_with("python") && !name.contains(".so"))
}

/// Code perf could not place in any object.
fn unknown_kind(runtime: &Runtime) -> FrameKind {
    match runtime {
        // JIT code without a map.
        Runtime::Node | Runtime::Jvm => FrameKind::Runtime,
        _ => FrameKind::Library,
    }
}

/// A perf-map symbol that is not a JavaScript function: a JVM method, or V8 builtins and stubs.
fn jit_kind(sym: &str, runtime: &Runtime) -> FrameKind {
    match runtime {
        Runtime::Jvm => {
            let s = sym.trim_start_matches('L');
            if s.starts_with("Interpreter") || s.starts_with("StubRoutines") {
                FrameKind::Runtime
            } else if ["java", "jdk", "sun", "javax"]
                .iter()
                .any(|p| s.starts_with(&format!("{p}.")) || s.starts_with(&format!("{p}/")))
            {
                FrameKind::Library
            } else {
                FrameKind::Application
            }
        }
        _ => FrameKind::Runtime,
    }
}

/// The runtime a stack's objects betray, for a process that exited before it could be read.
pub fn runtime_of_objects<'a>(dsos: impl IntoIterator<Item = &'a str>) -> Runtime {
    let mut runtime = Runtime::Native;
    for dso in dsos {
        let name = dso.rsplit('/').next().unwrap_or(dso);
        if name.starts_with("libjvm.so") {
            return Runtime::Jvm;
        }
        if name.starts_with("libpython") || (name.starts_with("python") && !name.contains(".so")) {
            runtime = Runtime::CPython {
                version: None,
                libpython: None,
            };
        } else if name == "node" || name.starts_with("libnode.so") || is_jit_map(dso) {
            runtime = Runtime::Node;
        }
    }
    runtime
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py() -> Runtime {
        Runtime::CPython {
            version: Some("3.11".into()),
            libpython: None,
        }
    }

    #[test]
    fn python_files() {
        use FrameKind::*;
        assert_eq!(python_file_kind("/srv/app/views.py"), Application);
        assert_eq!(python_file_kind("service.py"), Application);
        assert_eq!(
            python_file_kind("/venv/lib/python3.11/site-packages/flask/app.py"),
            Library
        );
        assert_eq!(
            python_file_kind("/usr/lib/python3/dist-packages/yaml/x.py"),
            Library
        );
        assert_eq!(
            python_file_kind("/usr/lib/python3.11/socketserver.py"),
            Library
        );
        assert_eq!(python_file_kind("<frozen importlib._bootstrap>"), Runtime);
        let venv = tempfile::tempdir().expect("tempdir");
        std::fs::write(venv.path().join("pyvenv.cfg"), "home = /usr/bin\n").expect("cfg");
        let script = venv.path().join("bin/gunicorn");
        assert_eq!(python_file_kind(&script.to_string_lossy()), Library);
        let frame = python_frame("Handler.do_GET", "/srv/svc.py", Some(12));
        assert_eq!(frame.label(), "Handler.do_GET (/srv/svc.py:12)");
    }

    #[test]
    fn native_objects() {
        use FrameKind::{Application, Kernel, Library};
        let kind = |sym, dso, rt: &Runtime| native_frame(sym, dso, rt).kind;
        assert_eq!(
            kind("hot_spin", Some("/tmp/hot"), &Runtime::Native),
            Application
        );
        assert_eq!(
            kind("memcpy", Some("/usr/lib/libc.so.6"), &Runtime::Native),
            Library
        );
        assert_eq!(
            kind("do_syscall_64", Some("[kernel.kallsyms]"), &Runtime::Native),
            Kernel
        );
        assert_eq!(
            kind(
                "_PyEval_EvalFrameDefault",
                Some("/usr/bin/python3.11"),
                &py()
            ),
            FrameKind::Runtime
        );
        assert_eq!(
            kind(
                "_PyEval_EvalFrameDefault",
                Some("/opt/py/lib/libpython3.11.so.1.0"),
                &py()
            ),
            FrameKind::Runtime
        );
        assert_eq!(
            kind("sqlite3VdbeExec", Some("/usr/lib/libsqlite3.so.0"), &py()),
            Library
        );
        assert_eq!(
            kind("Builtins_JSEntry", Some("/usr/bin/node"), &Runtime::Node),
            FrameKind::Runtime
        );
        assert_eq!(
            kind("[unknown]", Some("[unknown]"), &Runtime::Jvm),
            FrameKind::Runtime
        );
        assert_eq!(
            native_frame("[unknown]", Some("/usr/lib/libfoo.so"), &Runtime::Native).function,
            "[libfoo.so]"
        );
        assert_eq!(
            native_frame("[unknown]", Some("[unknown]"), &Runtime::Native).function,
            "[unknown]"
        );
        assert_eq!(
            kind(
                "Lcom/shop/Cart;::total",
                Some("/tmp/perf-9.map"),
                &Runtime::Jvm
            ),
            Application
        );
        assert_eq!(
            kind(
                "Ljava/util/HashMap;::get",
                Some("/tmp/perf-9.map"),
                &Runtime::Jvm
            ),
            Library
        );
    }

    #[test]
    fn runtime_from_objects() {
        assert!(runtime_of_objects(["/usr/lib/libc.so.6", "/usr/bin/python3.11"]).is_python());
        assert_eq!(
            runtime_of_objects(["/usr/bin/node", "/tmp/perf-1.map"]),
            Runtime::Node
        );
        assert_eq!(runtime_of_objects(["/tmp/hot"]), Runtime::Native);
    }
}
