//! Allocation-free reads of the few `/proc` files the USE sampler needs, with the field layouts
//! of `proc(5)`.
//!
//! The `procfs` crate parses every field of a file into an owned struct (and `status` into a map),
//! which is too much work at 100 Hz over dozens of threads; these readers open the file, do one
//! `read(2)` into a reused buffer (the kernel's `seq_file` produces the whole file in one read when
//! the buffer is large enough), and pick out only the fields used. A file that cannot be opened or
//! read — the process or thread exited in between — is reported as `None` and skipped by callers.

use std::fmt::Write as _;
use std::fs::File;
use std::io::Read;

/// `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`, the fields the sampler uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    /// Field 3: `R`, `S`, `D`, `Z`, `T`, …
    pub state: u8,
    /// Field 4: the parent's process id.
    pub ppid: i32,
    /// Field 14: user-mode CPU time in clock ticks (whole thread group in the process file).
    pub utime: u64,
    /// Field 15: kernel-mode CPU time in clock ticks.
    pub stime: u64,
    /// Field 22: start time after boot in clock ticks (with the id, identifies the task).
    pub starttime: u64,
}

/// Parses a `stat` line. The command name (field 2) is in parentheses and may itself contain
/// spaces and parentheses, so fields are counted from the last `)`.
pub(crate) fn parse_stat(text: &[u8]) -> Option<Stat> {
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = text.get(close + 1..)?;
    let mut fields = rest
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty());
    // `fields` now starts at field 3.
    let state = *fields.next()?.first()?;
    let ppid = parse_i64(fields.next()?)?;
    // Fields 5..=13 are skipped; the next is field 14.
    let mut fields = fields.skip(9);
    let utime = parse_u64(fields.next()?)?;
    let stime = parse_u64(fields.next()?)?;
    // Fields 16..=21 are skipped; then field 22.
    let starttime = parse_u64(fields.nth(6)?)?;
    Some(Stat {
        state,
        ppid: i32::try_from(ppid).ok()?,
        utime,
        stime,
        starttime,
    })
}

/// `(time on CPU, time waiting on a run queue)`, both in nanoseconds, from `schedstat`: "time on
/// cpu, time waiting on a runqueue, timeslices run", all for this task.
pub(crate) fn parse_schedstat(text: &[u8]) -> Option<(u64, u64)> {
    let mut fields = text
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty());
    let on_cpu = parse_u64(fields.next()?)?;
    Some((on_cpu, parse_u64(fields.next()?)?))
}

/// The command name (field 2 of `stat`, without its parentheses): from the first `(` to the
/// last `)`, since the name may itself contain parentheses.
pub(crate) fn parse_comm(text: &[u8]) -> Option<&[u8]> {
    let open = text.iter().position(|&b| b == b'(')?;
    let close = text.iter().rposition(|&b| b == b')')?;
    text.get(open + 1..close)
}

/// Memory of one process from `smaps_rollup`, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Rollup {
    /// `Rss`: resident pages, shared ones counted in full.
    pub rss: u64,
    /// `Pss`: resident pages, each shared page divided by the number of processes mapping it.
    pub pss: u64,
    /// `Private_Clean + Private_Dirty`: pages only this process maps (its unique set size).
    pub private: u64,
}

/// Parses `smaps_rollup` (values in kB).
pub(crate) fn parse_smaps_rollup(text: &[u8]) -> Option<Rollup> {
    let kb = |key: &[u8]| status_value(text, key).map(|v| v * 1024);
    Some(Rollup {
        rss: kb(b"\nRss:")?,
        pss: kb(b"\nPss:")?,
        private: kb(b"\nPrivate_Clean:")? + kb(b"\nPrivate_Dirty:")?,
    })
}

/// `(voluntary_ctxt_switches, nonvoluntary_ctxt_switches)` from a `status` file (per task: the
/// kernel prints the counts of that one task, not of its thread group). They are the file's last
/// lines, so it is scanned from the end.
pub(crate) fn parse_ctxt_switches(text: &[u8]) -> Option<(u64, u64)> {
    let (mut vcs, mut ivcs) = (None, None);
    for line in text.rsplit(|&b| b == b'\n').take(8) {
        if let Some(v) = line.strip_prefix(b"voluntary_ctxt_switches:") {
            vcs = parse_u64(v.trim_ascii());
        } else if let Some(v) = line.strip_prefix(b"nonvoluntary_ctxt_switches:") {
            ivcs = parse_u64(v.trim_ascii());
        }
        if vcs.is_some() && ivcs.is_some() {
            break;
        }
    }
    Some((vcs?, ivcs?))
}

/// The second field of `statm`: resident pages.
pub(crate) fn parse_statm_resident(text: &[u8]) -> Option<u64> {
    let mut fields = text
        .split(|&b| b == b' ' || b == b'\n')
        .filter(|f| !f.is_empty());
    fields.next()?;
    parse_u64(fields.next()?)
}

/// `(read_bytes, write_bytes)` from `io`: bytes this thread group caused to be fetched from, or
/// sent to, the storage layer (the page cache's dirtying counts as the write).
pub(crate) fn parse_io(text: &[u8]) -> Option<(u64, u64)> {
    // Neither is the first line (that is `rchar`), so both follow a newline.
    Some((
        status_value(text, b"\nread_bytes:")?,
        status_value(text, b"\nwrite_bytes:")?,
    ))
}

/// The number after `key` (which starts with a newline, so `voluntary` does not match
/// `nonvoluntary`) up to the end of its line.
fn status_value(text: &[u8], key: &[u8]) -> Option<u64> {
    let at = find(text, key)?;
    value_after(text, at + key.len())
}

fn value_after(text: &[u8], from: usize) -> Option<u64> {
    let rest = text.get(from..)?;
    let line = rest.split(|&b| b == b'\n').next()?;
    // `smaps_rollup` values carry a unit (`1234 kB`); `io` and `status` values do not.
    let value = line.trim_ascii();
    let value = value.strip_suffix(b" kB").unwrap_or(value);
    parse_u64(value.trim_ascii())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn parse_u64(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 20 {
        return None;
    }
    field.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|d| *d <= 9)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

fn parse_i64(field: &[u8]) -> Option<i64> {
    match field.split_first() {
        Some((b'-', digits)) => parse_u64(digits)
            .and_then(|v| i64::try_from(v).ok())
            .map(|v| -v),
        _ => parse_u64(field).and_then(|v| i64::try_from(v).ok()),
    }
}

/// Parses a directory entry name that is a process or thread id.
pub(crate) fn parse_id(name: &std::ffi::OsStr) -> Option<i32> {
    let bytes = name.as_encoded_bytes();
    parse_u64(bytes).and_then(|v| i32::try_from(v).ok())
}

/// Reads `/proc` files into one reused path and one reused content buffer.
#[derive(Debug)]
pub(crate) struct ProcReader {
    path: String,
    buf: Vec<u8>,
}

impl Default for ProcReader {
    fn default() -> Self {
        Self {
            path: String::with_capacity(64),
            buf: vec![0; 4096],
        }
    }
}

impl ProcReader {
    /// Sets the path to `/proc/<pid>/<file>` or, with a tid, `/proc/<pid>/task/<tid>/<file>`.
    pub fn set_path(&mut self, pid: i32, tid: Option<i32>, file: &str) -> &str {
        self.path.clear();
        // Writing into a String cannot fail.
        let _ = match tid {
            Some(tid) => write!(self.path, "/proc/{pid}/task/{tid}/{file}"),
            None => write!(self.path, "/proc/{pid}/{file}"),
        };
        &self.path
    }

    /// Reads the file at `/proc/<pid>[/task/<tid>]/<file>`; `None` if it cannot be read (gone,
    /// or not permitted).
    pub fn read(&mut self, pid: i32, tid: Option<i32>, file: &str) -> Option<&[u8]> {
        self.set_path(pid, tid, file);
        let mut f = File::open(&self.path).ok()?;
        let mut len = 0;
        loop {
            if len == self.buf.len() {
                // Only very long files (a status with huge group lists) need a second read.
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let n = f.read(&mut self.buf[len..]).ok()?;
            len += n;
            // A short read of a seq_file means it was produced whole; zero means end of file.
            if n == 0 || len < self.buf.len() {
                break;
            }
        }
        Some(&self.buf[..len])
    }

    /// Lists the numeric entries of `/proc/<pid>/task` (thread ids) into `out`; false if the
    /// directory cannot be read.
    pub fn list_ids(&mut self, pid: i32, file: &str, out: &mut Vec<i32>) -> bool {
        out.clear();
        self.set_path(pid, None, file);
        let Ok(dir) = std::fs::read_dir(&self.path) else {
            return false;
        };
        out.extend(
            dir.filter_map(Result::ok)
                .filter_map(|e| parse_id(&e.file_name())),
        );
        true
    }

    /// Counts the entries of `/proc/<pid>/fd`; `None` if not readable.
    pub fn count_entries(&mut self, pid: i32, file: &str) -> Option<usize> {
        self.set_path(pid, None, file);
        Some(std::fs::read_dir(&self.path).ok()?.count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &[u8] = b"2230 (sh (a) b) R 2224 2224 32398 0 -1 4194304 120 0 0 0 94 7 0 0 20 0 1 0 466142 2654208 400 18446744073709551615 0 0\n";

    #[test]
    fn stat_fields_after_a_tricky_comm() {
        let s = parse_stat(STAT).expect("parses");
        assert_eq!(
            s,
            Stat {
                state: b'R',
                ppid: 2224,
                utime: 94,
                stime: 7,
                starttime: 466142
            }
        );
        assert_eq!(parse_stat(b"12 (x) S"), None, "truncated");
    }

    #[test]
    fn small_files() {
        assert_eq!(parse_statm_resident(b"650 100 80 20 0 120 0\n"), Some(100));
        let io = b"rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 0\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n";
        assert_eq!(parse_io(io), Some((4096, 8192)));
        let status = b"Name:\tx\nThreads:\t1\nvoluntary_ctxt_switches:\t25\nnonvoluntary_ctxt_switches:\t3\n";
        assert_eq!(parse_ctxt_switches(status), Some((25, 3)));
        assert_eq!(parse_ctxt_switches(b"Name:\tx\n"), None);
    }

    #[test]
    fn comm_schedstat_and_rollup() {
        assert_eq!(parse_comm(STAT), Some(&b"sh (a) b"[..]));
        assert_eq!(
            parse_schedstat(b"945613349 4176211 14\n"),
            Some((945613349, 4176211))
        );
        let rollup = b"55d0c0a3e000-7ffd0e5f1000 ---p 00000000 00:00 0 [rollup]\n\
            Rss:               11264 kB\nPss:                4321 kB\nPss_Dirty:  100 kB\n\
            Shared_Clean:       6000 kB\nShared_Dirty:          0 kB\n\
            Private_Clean:      1000 kB\nPrivate_Dirty:      2000 kB\n";
        assert_eq!(
            parse_smaps_rollup(rollup),
            Some(Rollup {
                rss: 11264 * 1024,
                pss: 4321 * 1024,
                private: 3000 * 1024
            })
        );
        assert_eq!(parse_smaps_rollup(b"Rss: 1 kB\n"), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"1a"), None);
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_id(std::ffi::OsStr::new("self")), None);
    }

    #[test]
    fn reads_own_files() {
        let mut r = ProcReader::default();
        let own = i32::try_from(std::process::id()).expect("pid");
        let stat = r.read(own, None, "stat").map(parse_stat);
        assert!(matches!(stat, Some(Some(_))));
        let mut tids = Vec::new();
        assert!(r.list_ids(own, "task", &mut tids));
        assert!(tids.contains(&own));
        assert!(r.count_entries(own, "fd").is_some_and(|n| n >= 3));
        assert!(r.read(-5, None, "stat").is_none());
    }
}
