//! The machine a local server runs on: memory from `/proc/meminfo`, CPUs available to this
//! process, and the storage under a folder (the block device holding it and its
//! `queue/rotational` flag in sysfs; NVMe by the device's name). A remote server's machine
//! cannot be seen from here: the caller gives it.

use crate::model::{Machine, Storage};
use std::path::Path;

/// This machine, with the storage under `data_dir` when given and readable (else SSD,
/// PGTune's default, said so in `source`).
pub fn local(data_dir: Option<&Path>) -> Option<Machine> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get() as u32)
        .unwrap_or(1);
    let (storage, how) = match data_dir.and_then(storage_of) {
        Some((s, dev)) => (s, format!("storage from {dev}")),
        None => (
            Storage::Ssd,
            "storage not detectable, SSD assumed".to_string(),
        ),
    };
    Some(Machine {
        memory_bytes: kb * 1024,
        cpus,
        storage,
        source: format!("this machine ({how})"),
    })
}

/// The storage kind of the block device holding `path`, and the device's name.
pub fn storage_of(path: &Path) -> Option<(Storage, String)> {
    use std::os::unix::fs::MetadataExt;
    let dev = std::fs::metadata(path).ok()?.dev();
    // Linux's dev_t encoding (glibc's gnu_dev_major / gnu_dev_minor).
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    let sys = Path::new("/sys/dev/block").join(format!("{major}:{minor}"));
    let real = std::fs::canonicalize(&sys).ok()?;
    // A partition has no queue of its own: its disk (the parent folder) does.
    let rotational = match std::fs::read_to_string(real.join("queue/rotational")) {
        Ok(r) => r,
        Err(_) => std::fs::read_to_string(real.parent()?.join("queue/rotational")).ok()?,
    };
    let name = real.file_name()?.to_string_lossy().to_string();
    let storage = if name.starts_with("nvme") {
        Storage::Nvme
    } else if rotational.trim() == "1" {
        Storage::Hdd
    } else {
        Storage::Ssd
    };
    Some((storage, format!("/dev/{name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine_is_seen() {
        let m = local(Some(Path::new("/"))).expect("/proc/meminfo");
        assert!(m.memory_bytes > 64 << 20);
        assert!(m.cpus >= 1);
        assert!(m.source.starts_with("this machine"));
    }
}
