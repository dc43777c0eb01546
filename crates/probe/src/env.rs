//! The environment fingerprint stored with every run, so results from different machines,
//! kernels or commits are never compared blindly: host, kernel, CPU model and count, memory,
//! perfhive version, and the git commit, branch and dirty state of a working directory.

use perfhive_core::record::Environment;
use std::path::Path;
use std::process::Command;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Fingerprints this machine and the git state of `dir` (the working directory of the run).
pub fn fingerprint(dir: &Path) -> Environment {
    let cpuinfo = read("/proc/cpuinfo");
    let cpu_model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let memory_mb = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kb| kb / 1024)
        .unwrap_or(0);
    let host = read("/proc/sys/kernel/hostname").trim().to_string();
    let kernel = format!(
        "{} {}",
        std::env::consts::OS,
        read("/proc/sys/kernel/osrelease").trim()
    );
    let commit = git(dir, &["rev-parse", "HEAD"]);
    let branch = commit
        .as_ref()
        .and_then(|_| git(dir, &["rev-parse", "--abbrev-ref", "HEAD"]));
    let dirty =
        commit.is_some() && git(dir, &["status", "--porcelain", "--untracked-files=no"]).is_some();
    Environment {
        host,
        kernel,
        cpu_model,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        memory_mb,
        perfhive_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: commit,
        git_branch: branch,
        git_dirty: dirty,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprints_this_machine() {
        let e = super::fingerprint(std::path::Path::new("/"));
        assert!(e.cores >= 1);
        assert!(!e.kernel.is_empty());
        assert!(e.git_commit.is_none(), "/ is not a repository");
    }
}
