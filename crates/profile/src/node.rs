//! Node.js under perf: the options that make V8 write a perf map, and the frames it holds.
//!
//! V8 compiles JavaScript to machine code at run time, so perf finds no symbol for it. With
//! `--perf-basic-prof-only-functions` V8 appends one line per compiled JavaScript function to
//! `/tmp/perf-<pid>.map` (`START SIZE NAME`, the format perf reads for JIT code, see perf's
//! `jit-interface.txt`), and with `--interpreted-frames-native-stack` interpreted functions get
//! their own trampoline copy, so they appear by name too instead of as one
//! `InterpreterEntryTrampoline`. Both flags are allowed in `NODE_OPTIONS` (Node.js CLI docs),
//! which is how a target perfhive starts gets them: [`node_options`]. (`--perf-basic-prof`,
//! which also maps V8's stubs, makes Node.js 20 write an `isolate-*-v8.log` into the working
//! directory; the builtins are named from the `node` executable's own symbols anyway.) Either
//! flag produces the map [`has_perf_map`] looks for.
//!
//! A map entry's name is `TAG:MARKNAME FILE:LINE:COLUMN` — `JS:*render /srv/app.js:12:20` in
//! Node.js 20, `LazyCompile:~render …` before — where the mark is the tier (`~` interpreted, `^`
//! baseline, `+` Maglev, `*` optimised). [`js_frame`] turns it into a frame with file and line;
//! `node:` files are Node.js's own JavaScript (runtime), files under `node_modules` libraries.

use std::path::{Path, PathBuf};

use crate::stack::{Frame, FrameKind};

/// The V8 flags that make a Node.js process profilable by perf.
pub const PERF_FLAGS: &[&str] = &[
    "--perf-basic-prof-only-functions",
    "--interpreted-frames-native-stack",
];

/// `NODE_OPTIONS` for a target perfhive starts: `existing` (the user's own value, if any) with
/// [`PERF_FLAGS`] added unless already there (a user's own `--perf-basic-prof` or `--perf-prof`
/// already makes the map).
pub fn node_options(existing: Option<&str>) -> String {
    let mut parts: Vec<String> = existing
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let maps_already = parts
        .iter()
        .any(|p| p.starts_with("--perf-basic-prof") || p == "--perf-prof");
    for flag in PERF_FLAGS {
        let present = parts.iter().any(|p| p == flag);
        let redundant = flag.starts_with("--perf-basic-prof") && maps_already;
        if !present && !redundant {
            parts.push((*flag).to_owned());
        }
    }
    parts.join(" ")
}

/// The perf map a Node.js process writes with `--perf-basic-prof`.
pub fn perf_map_path(pid: i32) -> PathBuf {
    PathBuf::from(format!("/tmp/perf-{pid}.map"))
}

/// Whether `pid` has written a perf map.
pub fn has_perf_map(pid: i32) -> bool {
    Path::new(&perf_map_path(pid)).exists()
}

/// Tags of V8 map entries that are JavaScript functions.
const JS_TAGS: &[&str] = &["JS", "LazyCompile", "Function", "Script", "Eval"];

/// A JavaScript frame from a perf-map symbol; `None` for other V8 entries (builtins, stubs,
/// bytecode handlers, regular expressions).
pub fn js_frame(sym: &str) -> Option<Frame> {
    let (tag, rest) = sym.split_once(':')?;
    if !JS_TAGS.contains(&tag) {
        return None;
    }
    let rest = rest.trim_start_matches(['*', '~', '^', '+']);
    // The location is the last space-separated part; an anonymous function has no name.
    let (name, location) = match rest.rsplit_once(' ') {
        Some((name, loc)) => (name.trim(), loc),
        None => ("", rest),
    };
    let (file, line) = split_location(location);
    let kind = if file.starts_with("node:") || file.is_empty() {
        FrameKind::Runtime
    } else if file.contains("/node_modules/") {
        FrameKind::Library
    } else {
        FrameKind::Application
    };
    let file = file.strip_prefix("file://").unwrap_or(file);
    Some(Frame {
        function: if name.is_empty() {
            "(anonymous)".to_owned()
        } else {
            name.to_owned()
        },
        file: (!file.is_empty()).then(|| file.to_owned()),
        line,
        module: None,
        kind,
    })
}

/// `/srv/app.js:12:20` → (`/srv/app.js`, 12); a location without numbers is all file.
fn split_location(location: &str) -> (&str, Option<u32>) {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut parts = location.rsplitn(3, ':');
    let (last, middle, head) = (parts.next(), parts.next(), parts.next());
    match (last, middle, head) {
        (Some(col), Some(line), Some(file)) if numeric(col) && numeric(line) => {
            (file, line.parse().ok())
        }
        (Some(line), Some(file), _) if numeric(line) => {
            let file = head.map_or(file, |_| &location[..location.len() - line.len() - 1]);
            (file, line.parse().ok())
        }
        _ => (location, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_keep_the_users_flags() {
        assert_eq!(
            node_options(None),
            "--perf-basic-prof-only-functions --interpreted-frames-native-stack"
        );
        assert_eq!(
            node_options(Some("--max-old-space-size=512 --perf-basic-prof")),
            "--max-old-space-size=512 --perf-basic-prof --interpreted-frames-native-stack"
        );
    }

    #[test]
    fn map_entries() {
        let f = js_frame("JS:*hotLoop /tmp/exp/hot.js:1:17").expect("js");
        assert_eq!(
            (f.function.as_str(), f.file.as_deref(), f.line, f.kind),
            (
                "hotLoop",
                Some("/tmp/exp/hot.js"),
                Some(1),
                FrameKind::Application
            )
        );
        let f = js_frame("LazyCompile:~render file:///srv/views.js:40:3").expect("js");
        assert_eq!(
            (f.function.as_str(), f.file.as_deref(), f.line),
            ("render", Some("/srv/views.js"), Some(40))
        );
        let f = js_frame("JS:~ node:internal/main/run_main_module:1:1").expect("js");
        assert_eq!(
            (f.function.as_str(), f.file.as_deref(), f.kind),
            (
                "(anonymous)",
                Some("node:internal/main/run_main_module"),
                FrameKind::Runtime
            )
        );
        let f = js_frame("JS:^parse /srv/node_modules/qs/lib/parse.js:200:10").expect("js");
        assert_eq!(f.kind, FrameKind::Library);
        assert_eq!(js_frame("Builtin:ArrayMap"), None);
        assert_eq!(js_frame("BytecodeHandler:Ldar"), None);
        assert_eq!(js_frame("_start"), None);
    }

    #[test]
    fn locations() {
        assert_eq!(split_location("/a/b.js:3:9"), ("/a/b.js", Some(3)));
        assert_eq!(split_location("node:fs:2664:22"), ("node:fs", Some(2664)));
        assert_eq!(split_location("/a/b.js:3"), ("/a/b.js", Some(3)));
        assert_eq!(split_location("/a/b.js"), ("/a/b.js", None));
    }
}
