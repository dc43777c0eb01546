//! Source file and line of native functions, from their object's debug information, and the
//! native frames that are a dependency's code.
//!
//! perf names native functions but not their source; asking it for every frame's `srcline` makes
//! `perf script` run addr2line on each sample, far too slow for a live profile. So a function
//! is looked up once: its symbols' addresses with `nm --defined-only` (one run per object),
//! then their file and line with `addr2line -i` (one run per object and round, for all the
//! functions of the round) — GNU binutils, which perf's own `srcline` uses too. The location
//! is the outermost of the inlined frames at the symbol's first instruction: the function's
//! own file, at a line near its start (not a helper inlined into its first line). Objects
//! without debug information, or a machine without binutils, leave the location unknown;
//! nothing fails.
//!
//! A native executable holds its dependencies too: a Rust service links its crates and their C
//! code (SQLite's amalgamation), a Go service its modules and the runtime. Their frames are
//! not the application's ([`classify`]), so that the hot application function is the
//! service's own code that called them (`Db::ingest`, not SQLite's `unixSync` under it):
//!
//! | the function's source | kind |
//! |---|---|
//! | a Cargo registry or git checkout (`…/.cargo/registry/src/…`, `…/cargo/git/checkouts/…`), Rust's standard library and the crates it bundles (`/rustc/<commit>/library/…`, `…/rustlib/src/rust/library/…`, `/rust/deps/…`), Go's module cache (`…/pkg/mod/…`, a folder `name@v1.2.3`) or standard library (`/usr/local/go/src/…`, `/usr/lib/go-1.x/src/…`), a `vendor/`, `third_party/` or CMake `_deps/` folder, a system header (`/usr/include/…`, `/usr/local/include/…`) | library |
//! | listed by `nm` without a source, in an object that gives a source outside the dependencies for some of its functions (a release build with line tables for its own crates only) | library |
//! | any other file; a name `nm` does not list (perf spells C++ names without their parameters; several symbols of one name are a dependency's only when all are) | application |
//!
//! Only the functions that decide where a sample goes are looked up, in rounds: each stack's
//! innermost application frames (a few), and when those turn out to be a dependency's, the
//! next ones up ([`ROUNDS`] rounds, at most a few hundred functions each, those in the most
//! samples first; the rest stay the application's). The attribution to the caller needs the caller on the
//! stack: perf's `-g` walks frame pointers, so code built without them (Rust's release
//! profile, C at `-O2`) shows its dependencies' frames without the callers above them unless
//! it is built with `-C force-frame-pointers=yes` / `-fno-omit-frame-pointer`. An application
//! whose own source sits in one of the folders above (a tool installed by `cargo install` or
//! `go install`, a build with `-trimpath`) is misread: its frames are library frames (or, with
//! `-trimpath`, dependencies are not recognised).

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};

use crate::collapse::FunctionShare;
use crate::stack::{FrameKind, Stack};

/// How many rounds of look-ups [`classify`] runs at most.
pub const ROUNDS: usize = 2;

/// How many functions of one stack a round looks up at most, innermost first: a dependency's
/// code is often several frames deep (a driver under a client under a pool), and each round
/// costs `addr2line` a read of the object's debug information.
const PER_STACK: usize = 8;

/// How many functions a round looks up at most, those in the most samples first: `addr2line`
/// takes about a second per few hundred functions of a large debug build.
const MAX_LOOKUPS: usize = 300;

/// What is known of one function name of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Known {
    /// `nm` does not list the name (perf spells it otherwise, or it is not a symbol).
    NotListed,
    /// The sources of the symbols of that name (empty: no line tables for them), and whether
    /// they are all a dependency's.
    Sources(Vec<(String, u32)>, bool),
}

/// Where native application functions are, by object and function name.
#[derive(Debug, Default, Clone)]
pub struct Locations {
    /// object → function → what the look-up found.
    known: HashMap<String, HashMap<String, Known>>,
    /// Objects for which some function has a source that is not a dependency's: their own
    /// code has line tables.
    with_lines: HashSet<String>,
    /// Each object's symbols (`nm`), read once; `None` when `nm` could not read it.
    symbols: HashMap<String, Option<HashMap<String, Vec<u64>>>>,
}

impl Locations {
    /// The file and line of `function` in `object`: of its symbol outside the dependencies
    /// when several share the name, else of the first.
    pub fn get(&self, object: &str, function: &str) -> Option<&(String, u32)> {
        match self.known.get(object)?.get(function)? {
            Known::Sources(s, _) => s
                .iter()
                .find(|(f, _)| !is_dependency_source(f))
                .or_else(|| s.first()),
            Known::NotListed => None,
        }
    }

    /// Whether `object` gave a source outside the dependencies for any of its functions (an
    /// executable whose only line tables are the standard library's tells nothing of its own
    /// functions).
    pub fn has_lines(&self, object: &str) -> bool {
        self.with_lines.contains(object)
    }

    /// Whether `function` of `object` is a dependency's (`Some(true)`), the application's own
    /// (`Some(false)`), or not known yet (`None`: not looked up, or listed without a source
    /// in an object whose own code has no line tables so far).
    fn is_dependency(&self, object: &str, function: &str) -> Option<bool> {
        match self.known.get(object)?.get(function)? {
            Known::NotListed => Some(false),
            Known::Sources(s, _) if s.is_empty() => self.has_lines(object).then_some(true),
            Known::Sources(_, dependency) => Some(*dependency),
        }
    }

    /// Whether `function` of `object` was looked up.
    fn looked_up(&self, object: &str, function: &str) -> bool {
        self.known
            .get(object)
            .is_some_and(|k| k.contains_key(function))
    }

    /// Looks up `wanted` (object → function names): one `nm` per object (once), one
    /// `addr2line` per object for all the names.
    fn look_up(&mut self, wanted: HashMap<String, HashSet<String>>) {
        for (object, functions) in wanted {
            let symbols = self
                .symbols
                .entry(object.clone())
                .or_insert_with(|| symbol_addresses(&object));
            let Some(symbols) = symbols.as_ref() else {
                continue;
            };
            let mut lookups: Vec<(String, u64)> = Vec::new();
            for f in functions {
                match symbols.get(&f) {
                    Some(addresses) => lookups.extend(addresses.iter().map(|a| (f.clone(), *a))),
                    None => {
                        self.known
                            .entry(object.clone())
                            .or_default()
                            .insert(f, Known::NotListed);
                    }
                }
            }
            let lines = addr2line(&object, lookups.iter().map(|(_, a)| *a));
            let mut found: HashMap<String, Vec<(String, u32)>> = HashMap::new();
            for (i, (function, _)) in lookups.iter().enumerate() {
                let entry = found.entry(function.clone()).or_default();
                if let Some(Some(location)) = lines.as_ref().and_then(|l| l.get(i)) {
                    entry.push(location.clone());
                }
            }
            for (function, sources) in found {
                let dependency = sources.iter().all(|(f, _)| is_dependency_source(f));
                if !dependency {
                    self.with_lines.insert(object.clone());
                }
                self.known
                    .entry(object.clone())
                    .or_default()
                    .insert(function, Known::Sources(sources, dependency));
            }
        }
    }
}

/// Sorts the native frames of `stacks` that are a dependency's into [`FrameKind::Library`]
/// (module docs), looking up in rounds only the functions that decide where a sample goes:
/// each stack's innermost application frame not yet known to be the application's own.
pub fn classify(stacks: &mut [Stack]) -> Locations {
    let mut locations = Locations::default();
    for _ in 0..ROUNDS {
        // (object, function) -> the samples whose attribution it may decide
        let mut weights: HashMap<(&str, &str), u64> = HashMap::new();
        for s in stacks.iter() {
            let mut asked = 0;
            for f in s.frames.iter().rev() {
                let (FrameKind::Application, None, Some(module)) = (f.kind, &f.file, &f.module)
                else {
                    continue;
                };
                if !locations.looked_up(module, &f.function) {
                    *weights.entry((module, &f.function)).or_default() += s.count;
                    asked += 1;
                    if asked == PER_STACK {
                        break;
                    }
                    continue;
                }
                // the innermost frame of the application's own decides the sample; a
                // dependency's, or one not known yet (listed without a source), leaves it to
                // the next frame up
                if locations.is_dependency(module, &f.function) == Some(false) {
                    break;
                }
            }
        }
        if weights.is_empty() {
            break;
        }
        // the heaviest first, and no more than addr2line reads quickly in a large object
        let mut ranked: Vec<((&str, &str), u64)> = weights.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut wanted: HashMap<String, HashSet<String>> = HashMap::new();
        for ((module, function), _) in ranked.into_iter().take(MAX_LOOKUPS) {
            wanted
                .entry(module.to_owned())
                .or_default()
                .insert(function.to_owned());
        }
        locations.look_up(wanted);
        mark_dependencies(stacks, &locations);
    }
    locations
}

/// Whether `file` is a dependency's source, not the application's (see the module docs).
pub fn is_dependency_source(file: &str) -> bool {
    let f = file.replace('\\', "/");
    let rust_std = f.starts_with("/rustc/")
        || f.starts_with("/rust/deps/")
        || f.contains("/rustlib/src/rust/library/");
    let cargo = [
        "/.cargo/registry/",
        "/.cargo/git/",
        "/cargo/registry/",
        "/cargo/git/",
    ]
    .iter()
    .any(|d| f.contains(d));
    // a Go module's folder is `path@version` (`pgx/v5@v5.7.1`)
    let go_module = f.split('/').any(|segment| {
        segment.split_once("@v").is_some_and(|(name, v)| {
            !name.is_empty() && v.starts_with(|c: char| c.is_ascii_digit())
        })
    });
    let go = f.contains("/pkg/mod/")
        || go_module
        || f.starts_with("/usr/local/go/src/")
        || (f.starts_with("/usr/lib/go") && f.contains("/src/"));
    let vendored = ["vendor/", "third_party/", "_deps/"]
        .iter()
        .any(|d| f.starts_with(d) || f.contains(&format!("/{d}")));
    let headers = f.starts_with("/usr/include/") || f.starts_with("/usr/local/include/");
    rust_std || cargo || go || vendored || headers
}

/// Marks native frames of dependencies as [`FrameKind::Library`], by what `locations` knows
/// (module docs).
pub fn mark_dependencies(stacks: &mut [Stack], locations: &Locations) {
    for s in stacks {
        for f in &mut s.frames {
            let (FrameKind::Application, None, Some(module)) = (f.kind, &f.file, &f.module) else {
                continue;
            };
            if locations.is_dependency(module, &f.function) == Some(true) {
                f.kind = FrameKind::Library;
            }
        }
    }
}

/// Fills `file` and `line` of native application functions in `shares` that have none, from
/// `locations`, looking up those [`classify`] did not.
pub fn resolve(shares: &mut [FunctionShare], stacks: &[Stack], locations: &mut Locations) {
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
    let native =
        |share: &FunctionShare| share.file.is_none() && share.kind == Some(FrameKind::Application);
    let mut wanted: HashMap<String, HashSet<String>> = HashMap::new();
    for share in shares.iter().filter(|s| native(s)) {
        if let Some(object) = object_of.get(share.function.as_str()) {
            if !locations.looked_up(object, &share.function) {
                wanted
                    .entry((*object).to_owned())
                    .or_default()
                    .insert(share.function.clone());
            }
        }
    }
    if !wanted.is_empty() {
        locations.look_up(wanted);
    }
    for share in shares.iter_mut() {
        if !native(share) {
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

/// Defined text symbols of `object` and their addresses, by name, and by name without its
/// parameter list (`score(std::vector<long> const&)` is also `score`, as perf names it).
fn symbol_addresses(object: &str) -> Option<HashMap<String, Vec<u64>>> {
    let out = Command::new("nm")
        .args(["--defined-only", "--demangle"])
        .arg(object)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut map: HashMap<String, Vec<u64>> = HashMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(addr), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !matches!(kind, "T" | "t" | "W" | "w") {
            continue;
        }
        let Ok(addr) = u64::from_str_radix(addr, 16) else {
            continue;
        };
        let mut add = |key: &str| {
            let addresses = map.entry(key.to_owned()).or_default();
            if !addresses.contains(&addr) {
                addresses.push(addr);
            }
        };
        add(name);
        if let Some(open) = name.find('(').filter(|&o| o > 0) {
            add(&name[..open]);
        }
    }
    Some(map)
}

/// `file:line` of each address in `object`, the outermost of the inlined frames there (`None`
/// where addr2line does not know).
fn addr2line(
    object: &str,
    addresses: impl Iterator<Item = u64>,
) -> Option<Vec<Option<(String, u32)>>> {
    let args: Vec<String> = addresses.map(|a| format!("{a:#x}")).collect();
    if args.is_empty() {
        return Some(Vec::new());
    }
    let out = Command::new("addr2line")
        .args(["-i", "-a", "-e"])
        .arg(object)
        .args(&args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let groups = inlined_groups(&text);
    (groups.len() == args.len()).then_some(groups)
}

/// The output of `addr2line -i -a`, one group per address (its `0x…` line, then its inlined
/// frames innermost first): the last location of each group.
fn inlined_groups(text: &str) -> Vec<Option<(String, u32)>> {
    let mut groups: Vec<Option<(String, u32)>> = Vec::new();
    for line in text.lines() {
        let address = line
            .strip_prefix("0x")
            .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()));
        if address {
            groups.push(None);
        } else if let Some(last) = groups.last_mut() {
            if let Some(location) = parse_location(line) {
                *last = Some(location);
            }
        }
    }
    groups
}

/// `/src/hot.c:10` (or `/src/hot.c:10 (discriminator 2)`) → (`/src/hot.c`, 10); `??:0` and
/// Go's `<autogenerated>:1` → None.
fn parse_location(line: &str) -> Option<(String, u32)> {
    let line = line.split(" (").next()?.trim();
    let (file, number) = line.rsplit_once(':')?;
    let number: u32 = number.parse().ok()?;
    (file != "??" && !file.starts_with('<') && number > 0).then(|| (file.to_owned(), number))
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
            "/rust/deps/hashbrown-0.15.2/src/raw/mod.rs",
            "/build/gomodcache/example.com/dep@v1.0.0/dep.go",
            "/srv/app/third_party/abseil/hash.cc",
            "/srv/app/build/_deps/fmt-src/src/format.cc",
            "/usr/local/include/boost/asio.hpp",
        ] {
            assert!(is_dependency_source(dep), "{dep}");
        }
        for own in [
            "/work/main/crates/demo/src/db.rs",
            "/home/dev/go/src/github.com/acme/shop/cart.go",
            "/srv/app/src/ingest.c",
            "/srv/app/src/user@host.c",
            "/srv/app/src/vendors.c",
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
                frame("hash", "/srv/svc"),
                frame("score", "/srv/svc"),
                frame("hot_loop", "/opt/stripped"),
            ],
            count: 10,
            profiler: ProfilerKind::Perf,
        }];
        let mut locations = Locations::default();
        let mut at = |object: &str, function: &str, files: &[&str]| {
            let sources: Vec<(String, u32)> = files.iter().map(|f| ((*f).to_owned(), 1)).collect();
            if files.iter().any(|f| !is_dependency_source(f)) {
                locations.with_lines.insert(object.into());
            }
            let dependency = sources.iter().all(|(f, _)| is_dependency_source(f));
            locations
                .known
                .entry(object.into())
                .or_default()
                .insert(function.into(), Known::Sources(sources, dependency));
        };
        at("/srv/svc", "main", &["/build/svc/src/main.rs"]);
        at("/srv/svc", "svc::db::ingest", &["/build/svc/src/db.rs"]);
        at(
            "/srv/svc",
            "rusqlite::Connection::execute",
            &["/root/.cargo/registry/src/index.crates.io-x/rusqlite-0.41.0/src/lib.rs"],
        );
        // listed without line tables (a dependency built without them), in an object whose
        // own code has some
        at("/srv/svc", "unixSync", &[]);
        // two static functions of one name, one of them the application's: its own
        at(
            "/srv/svc",
            "hash",
            &["/srv/third_party/lib/lib.c", "/build/svc/src/hash.c"],
        );
        // an executable whose only line tables are the standard library's
        at(
            "/opt/stripped",
            "alloc::raw_vec::finish_grow",
            &["/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/alloc/src/raw_vec.rs"],
        );
        at("/opt/stripped", "hot_loop", &[]);
        // a name nm does not list (perf's spelling of a C++ function): the application's
        locations
            .known
            .entry("/srv/svc".into())
            .or_default()
            .insert("score".into(), Known::NotListed);
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
                FrameKind::Application,
                FrameKind::Application,
                // an object without line tables of its own code tells nothing: still the
                // application's
                FrameKind::Application,
            ]
        );
        assert_eq!(
            locations.get("/srv/svc", "hash"),
            Some(&("/build/svc/src/hash.c".to_owned(), 1))
        );
        let mut all = crate::stack::shares(&stacks);
        resolve(&mut all, &stacks, &mut locations);
        let ingest = all
            .iter()
            .find(|h| h.function == "svc::db::ingest")
            .unwrap();
        assert_eq!(ingest.file.as_deref(), Some("/build/svc/src/db.rs"));
    }

    #[test]
    fn the_outermost_inlined_frame_locates_a_function() {
        let out = "0x0000000000001153\n/rustc/5980/library/core/src/ptr/non_null.rs:1720\n/build/svc/src/main.rs:8\n0x0000000000001200\n??:0\n0x0000000000001300\n/build/svc/src/db.rs:40 (discriminator 2)\n";
        assert_eq!(
            inlined_groups(out),
            [
                Some(("/build/svc/src/main.rs".into(), 8)),
                None,
                Some(("/build/svc/src/db.rs".into(), 40)),
            ]
        );
        assert_eq!(parse_location("<autogenerated>:1"), None);
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
