//! Temporary paths and the repository's files.
//!
//! Paths are unique per process and call (process id, a counter and the time), under the
//! system's temporary directory; directories are left behind on purpose, so a failing test's
//! files can be inspected.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A path under the temporary directory that does not exist yet: `perfhive-<tag>-<pid>-<n>`.
pub fn unique_path(tag: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!("perfhive-{tag}-{}-{n}-{nanos}", std::process::id()))
}

/// A fresh, empty directory under the temporary directory.
pub fn tempdir(tag: &str) -> PathBuf {
    let dir = unique_path(tag);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// The absolute path of `path`, relative to the repository root.
pub fn repo_path(path: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_fresh_and_the_repository_is_found() {
        let (a, b) = (unique_path("t"), unique_path("t"));
        assert_ne!(a, b);
        assert!(!a.exists());
        let d = tempdir("t");
        assert!(d.is_dir() && std::fs::read_dir(&d).expect("read").next().is_none());
        std::fs::remove_dir(d).expect("empty");
        assert!(repo_path("Cargo.toml").is_file());
        assert!(repo_path("crates/test-support/python/otlp_export.py").is_file());
    }
}
