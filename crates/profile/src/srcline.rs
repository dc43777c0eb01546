//! Source file and line of native functions, from their object's debug information, and the
//! native frames that are a dependency's code.
//!
//! perf names native functions but not their source; asking it for every frame's `srcline` makes
//! `perf script` run addr2line on each sample, far too slow for a live profile. So each function
//! is looked up once ([`locate`]): the symbol's address with `nm --defined-only` (one run per
//! object), then its file and line with `addr2line` (one run per object for all its functions)
//! — GNU binutils, which perf's own `srcline` uses too. The line is where the function starts.
//! Objects without debug information, or a machine without binutils, leave the location
//! unknown; nothing fails.
//!
//! A native executable holds its dependencies too: a Rust service links its crates and their C
//! code (SQLite's amalgamation), a Go service its modules and the runtime. Their frames are
//! not the application's ([`mark_dependencies`]), so that the hot application function is the
//! service's own code that called them (`Db::ingest`, not SQLite's `unixSync` under it):
//!
//! | the function's source | kind |
//! |---|---|
//! | a Cargo registry or git checkout (`…/.cargo/registry/src/…`, `…/cargo/git/checkouts/…`), Rust's standard library (`/rustc/<commit>/library/…`, `…/rustlib/src/rust/library/…`), Go's module cache (`…/pkg/mod/…`) or standard library (`/usr/local/go/src/…`, `/usr/lib/go-1.x/src/…`), a `vendor/` folder, a system header (`/usr/include/…`) | library |
//! | none, in an object that gives a source outside the dependencies for some of its functions (a release build with line tables for its own crates only) | library |
//! | any other file, or none in an object without line tables | application |

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};

use crate::collapse::FunctionShare;
use crate::stack::{FrameKind, Stack};

/// Where native application functions are, by object and function name.
#[derive(Debug, Default, Clone)]
pub struct Locations {
    /// (object, function) → (file, first line).
    found: HashMap<(String, String), (String, u32)>,
    /// Objects for which some function has a source that is not a dependency's: their own
    /// code has line tables.
    with_lines: HashSet<String>,
}

impl Locations {
    /// The file and first line of `function` in `object`.
    pub fn get(&self, object: &str, function: &str) -> Option<&(String, u32)> {
        self.found.get(&(object.to_owned(), function.to_owned()))
    }

    /// Whether `object` gave a source outside the dependencies for any of its functions (an
    /// executable whose only line tables are the standard library's tells nothing of its own
    /// functions).
    pub fn has_lines(&self, object: &str) -> bool {
        self.with_lines.contains(object)
    }
}

/// Looks up the source of every native application function of `stacks` that has none (a
/// frame with an object but no file).
pub fn locate(stacks: &[Stack]) -> Locations {
    let mut wanted: HashMap<&str, HashSet<&str>> = HashMap::new();
    for s in stacks {
        for f in &s.frames {
            if let (FrameKind::Application, None, Some(module)) = (f.kind, &f.file, &f.module) {
                wanted
                    .entry(module)
                    .or_default()
                    .insert(f.function.as_str());
            }
        }
    }
    let mut out = Locations::default();
    for (object, functions) in wanted {
        let Some(addresses) = symbol_addresses(object) else {
            continue;
        };
        let lookups: Vec<(&str, u64)> = functions
            .into_iter()
            .filter_map(|f| addresses.get(f).map(|a| (f, *a)))
            .collect();
        let Some(lines) = addr2line(object, lookups.iter().map(|(_, a)| *a)) else {
            continue;
        };
        for ((function, _), location) in lookups.into_iter().zip(lines) {
            if let Some(location) = location {
                if !is_dependency_source(&location.0) {
                    out.with_lines.insert(object.to_owned());
                }
                out.found
                    .insert((object.to_owned(), function.to_owned()), location);
            }
        }
    }
    out
}

/// Whether `file` is a dependency's source, not the application's (see the module docs).
pub fn is_dependency_source(file: &str) -> bool {
    let f = file.replace('\\', "/");
    let rust_std = f.starts_with("/rustc/") || f.contains("/rustlib/src/rust/library/");
    let cargo = [
        "/.cargo/registry/",
        "/.cargo/git/",
        "/cargo/registry/",
        "/cargo/git/",
    ]
    .iter()
    .any(|d| f.contains(d));
    let go = f.contains("/pkg/mod/")
        || f.starts_with("/usr/local/go/src/")
        || (f.starts_with("/usr/lib/go") && f.contains("/src/"));
    let vendored = f.contains("/vendor/") || f.starts_with("vendor/");
    rust_std || cargo || go || vendored || f.starts_with("/usr/include/")
}

/// Marks native frames of dependencies as [`FrameKind::Library`]: a function whose source is a
/// dependency's ([`is_dependency_source`]), or that has none in an object whose own code has
/// line tables ([`Locations::has_lines`]).
pub fn mark_dependencies(stacks: &mut [Stack], locations: &Locations) {
    for s in stacks {
        for f in &mut s.frames {
            let (FrameKind::Application, None, Some(module)) = (f.kind, &f.file, &f.module) else {
                continue;
            };
            let dependency = match locations.get(module, &f.function) {
                Some((file, _)) => is_dependency_source(file),
                None => locations.has_lines(module),
            };
            if dependency {
                f.kind = FrameKind::Library;
            }
        }
    }
}

/// Fills `file` and `line` of native application functions in `shares` that have none, from
/// `locations` ([`locate`]).
pub fn resolve(shares: &mut [FunctionShare], stacks: &[Stack], locations: &Locations) {
    // function -> object, from the frames.
    let mut object_of: HashMap<&str, &str> = HashMap::new();
    for s in stacks {
        for f in &s.frames {
            if let (FrameKind::Application, None, Some(module)) = (f.kind, &f.file, &f.module) {
                object_of
                    .entry(f.function.as_str())
                    .or_insert(module.as_str());
            }
        }
    }
    for share in shares.iter_mut() {
        if share.file.is_some() || share.kind != Some(FrameKind::Application) {
            continue;
        }
        let Some(object) = object_of.get(share.function.as_str()) else {
            continue;
        };
        if let Some((file, line)) = locations.get(object, &share.function) {
            share.file = Some(file.clone());
            share.line = Some(*line);
        }
    }
}

/// Defined text symbols of `object` and their addresses.
fn symbol_addresses(object: &str) -> Option<HashMap<String, u64>> {
    let out = Command::new("nm")
        .args(["--defined-only", "--demangle"])
        .arg(object)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut map = HashMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(addr), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !matches!(kind, "T" | "t" | "W" | "w") {
            continue;
        }
        if let Ok(addr) = u64::from_str_radix(addr, 16) {
            map.entry(name.to_owned()).or_insert(addr);
        }
    }
    Some(map)
}

/// `file:line` of each address in `object` (`None` where addr2line does not know).
fn addr2line(
    object: &str,
    addresses: impl Iterator<Item = u64>,
) -> Option<Vec<Option<(String, u32)>>> {
    let args: Vec<String> = addresses.map(|a| format!("{a:#x}")).collect();
    if args.is_empty() {
        return Some(Vec::new());
    }
    let out = Command::new("addr2line")
        .arg("-e")
        .arg(object)
        .args(&args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(text.lines().map(parse_location).collect())
}

/// `/src/hot.c:10` (or `/src/hot.c:10 (discriminator 2)`) → (`/src/hot.c`, 10); `??:0` → None.
fn parse_location(line: &str) -> Option<(String, u32)> {
    let line = line.split(" (").next()?.trim();
    let (file, number) = line.rsplit_once(':')?;
    let number: u32 = number.parse().ok()?;
    (file != "??" && number > 0).then(|| (file.to_owned(), number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_sources() {
        for dep in [
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/libsqlite3-sys-0.39.1/sqlite3/sqlite3.c",
            "/usr/local/cargo/registry/src/index.crates.io-6f17d22bba15001f/tokio-1.48.0/src/runtime/park.rs",
            "/home/dev/.cargo/git/checkouts/hyper-4a1b2c/0a1b2c3/src/proto/h1/io.rs",
            "/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/alloc/src/string.rs",
            "/home/dev/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/rustlib/src/rust/library/core/src/fmt/mod.rs",
            "/home/dev/go/pkg/mod/github.com/jackc/pgx/v5@v5.7.1/conn.go",
            "/usr/local/go/src/runtime/proc.go",
            "/usr/lib/go-1.22/src/net/http/server.go",
            "/srv/app/vendor/zlib/deflate.c",
            "/usr/include/c++/12/bits/stl_vector.h",
        ] {
            assert!(is_dependency_source(dep), "{dep}");
        }
        for own in [
            "/work/main/crates/demo/src/db.rs",
            "/home/dev/go/src/github.com/acme/shop/cart.go",
            "/srv/app/src/ingest.c",
            "crates/demo/src/db.rs",
        ] {
            assert!(!is_dependency_source(own), "{own}");
        }
    }

    #[test]
    fn frames_of_dependencies_become_library() {
        use crate::stack::{Frame, ProfilerKind};
        let frame = |function: &str, module: &str| Frame {
            function: function.into(),
            file: None,
            line: None,
            module: Some(module.into()),
            kind: FrameKind::Application,
        };
        let mut stacks = vec![Stack {
            pid: 1,
            process: "svc".into(),
            frames: vec![
                frame("main", "/srv/svc"),
                frame("svc::db::ingest", "/srv/svc"),
                frame("rusqlite::Connection::execute", "/srv/svc"),
                frame("unixSync", "/srv/svc"),
                frame("hot_loop", "/opt/stripped"),
            ],
            count: 10,
            profiler: ProfilerKind::Perf,
        }];
        let mut locations = Locations::default();
        let mut at = |object: &str, function: &str, file: &str| {
            locations
                .found
                .insert((object.into(), function.into()), (file.into(), 1));
            if !is_dependency_source(file) {
                locations.with_lines.insert(object.into());
            }
        };
        at("/srv/svc", "main", "/build/svc/src/main.rs");
        at("/srv/svc", "svc::db::ingest", "/build/svc/src/db.rs");
        at(
            "/srv/svc",
            "rusqlite::Connection::execute",
            "/root/.cargo/registry/src/index.crates.io-x/rusqlite-0.41.0/src/lib.rs",
        );
        // an executable whose only line tables are the standard library's
        at(
            "/opt/stripped",
            "alloc::raw_vec::finish_grow",
            "/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/alloc/src/raw_vec.rs",
        );
        // unixSync: no line tables (a dependency built without them) in an object with some
        mark_dependencies(&mut stacks, &locations);
        let kinds: Vec<FrameKind> = stacks[0].frames.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                FrameKind::Application,
                FrameKind::Application,
                FrameKind::Library,
                FrameKind::Library,
                // an object without line tables of its own code tells nothing: still the
                // application's
                FrameKind::Application,
            ]
        );
        let mut all = crate::stack::shares(&stacks);
        resolve(&mut all, &stacks, &locations);
        let ingest = all
            .iter()
            .find(|h| h.function == "svc::db::ingest")
            .unwrap();
        assert_eq!(ingest.file.as_deref(), Some("/build/svc/src/db.rs"));
    }

    #[test]
    fn locations() {
        assert_eq!(
            parse_location("/src/hot.c:10"),
            Some(("/src/hot.c".into(), 10))
        );
        assert_eq!(
            parse_location("/src/hot.c:12 (discriminator 3)"),
            Some(("/src/hot.c".into(), 12))
        );
        assert_eq!(parse_location("??:0"), None);
        assert_eq!(parse_location("??:?"), None);
    }
}
