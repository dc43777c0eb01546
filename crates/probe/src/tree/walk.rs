//! Walking `/proc` for a tree: descendants of some roots (children files or a ppid scan) and
//! each process's metadata, read once per identity.

use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use super::{assign_roles, ProcessRole, ProcessTree, TreeProcess};
use crate::procread::{self, ProcReader};
use crate::runtime::{self, Runtime};

/// What is read once per process identity.
#[derive(Debug, Clone)]
struct Info {
    comm: String,
    exe: Option<PathBuf>,
    argv: Vec<String>,
    runtime: Runtime,
}

/// Process metadata by `(pid, starttime)`, refreshed when the `comm` changes (an exec).
#[derive(Debug, Default)]
pub(crate) struct InfoCache {
    by_id: HashMap<(i32, u64), Info>,
}

impl InfoCache {
    fn get(&mut self, pid: i32, starttime: u64, comm: &str) -> &Info {
        let fresh = self
            .by_id
            .get(&(pid, starttime))
            .is_some_and(|i| i.comm == comm);
        if !fresh {
            let argv = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|raw| {
                    raw.split(|&b| b == 0)
                        .filter(|a| !a.is_empty())
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect()
                })
                .unwrap_or_default();
            let info = Info {
                comm: comm.to_owned(),
                exe: std::fs::read_link(format!("/proc/{pid}/exe")).ok(),
                argv,
                runtime: runtime::detect(pid),
            };
            self.by_id.insert((pid, starttime), info);
        }
        &self.by_id[&(pid, starttime)]
    }

    /// Forgets processes not in `live`.
    pub(crate) fn retain(&mut self, live: &[(i32, u64)]) {
        self.by_id.retain(|k, _| live.contains(k));
    }
}

/// Finds descendants and reads the tree; keeps its buffers between calls.
#[derive(Debug)]
pub(crate) struct TreeWalker {
    reader: ProcReader,
    tids: Vec<i32>,
    children_files: bool,
}

impl Default for TreeWalker {
    fn default() -> Self {
        Self {
            reader: ProcReader::default(),
            tids: Vec::new(),
            children_files: Path::new("/proc/thread-self/children").exists(),
        }
    }
}

impl TreeWalker {
    /// Appends the descendants of the pids in `pids` to it, breadth-first, each once.
    pub(crate) fn expand(&mut self, pids: &mut Vec<i32>) {
        if self.children_files {
            self.expand_from_children_files(pids);
        } else {
            self.expand_from_ppid_scan(pids);
        }
    }

    fn expand_from_children_files(&mut self, pids: &mut Vec<i32>) {
        let mut next = 0;
        while next < pids.len() {
            let pid = pids[next];
            next += 1;
            if !self.reader.list_ids(pid, "task", &mut self.tids) {
                continue;
            }
            for i in 0..self.tids.len() {
                let tid = self.tids[i];
                let Some(text) = self.reader.read(pid, Some(tid), "children") else {
                    continue;
                };
                for child in text
                    .split(|b| b.is_ascii_whitespace())
                    .filter_map(|f| procread::parse_id(std::ffi::OsStr::from_bytes(f)))
                {
                    if !pids.contains(&child) {
                        pids.push(child);
                    }
                }
            }
        }
    }

    fn expand_from_ppid_scan(&mut self, pids: &mut Vec<i32>) {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return;
        };
        let mut parent_of: Vec<(i32, i32)> = Vec::new();
        for entry in dir.filter_map(Result::ok) {
            let Some(pid) = procread::parse_id(&entry.file_name()) else {
                continue;
            };
            if let Some(stat) = self
                .reader
                .read(pid, None, "stat")
                .and_then(procread::parse_stat)
            {
                parent_of.push((stat.ppid, pid));
            }
        }
        parent_of.sort_unstable();
        let mut next = 0;
        while next < pids.len() {
            let parent = pids[next];
            next += 1;
            let from = parent_of.partition_point(|&(pp, _)| pp < parent);
            for &(pp, child) in &parent_of[from..] {
                if pp != parent {
                    break;
                }
                if !pids.contains(&child) {
                    pids.push(child);
                }
            }
        }
    }

    /// Reads the tree below `roots`, with metadata from (and into) `cache`.
    pub(crate) fn tree(&mut self, roots: &[i32], cache: &mut InfoCache) -> ProcessTree {
        let mut pids: Vec<i32> = Vec::with_capacity(roots.len() * 4);
        for &r in roots {
            if !pids.contains(&r) {
                pids.push(r);
            }
        }
        self.expand(&mut pids);
        let mut processes = Vec::with_capacity(pids.len());
        for pid in pids {
            let Some(text) = self.reader.read(pid, None, "stat") else {
                continue;
            };
            let (Some(stat), Some(comm)) = (procread::parse_stat(text), procread::parse_comm(text))
            else {
                continue;
            };
            if matches!(stat.state, b'Z' | b'X') {
                continue;
            }
            let comm = String::from_utf8_lossy(comm).into_owned();
            let info = cache.get(pid, stat.starttime, &comm).clone();
            processes.push(TreeProcess {
                pid,
                ppid: stat.ppid,
                starttime: stat.starttime,
                comm,
                exe: info.exe,
                argv: info.argv,
                runtime: info.runtime,
                role: ProcessRole::Service,
                depth: 0,
            });
        }
        assign_roles(&mut processes);
        ProcessTree { processes }
    }
}
