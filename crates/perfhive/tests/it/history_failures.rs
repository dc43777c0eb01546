//! A history that cannot be written never costs a measurement: a read-only file, a full disk
//! and a file size limit, each for real. The run's output is written, the history failure is a
//! warning that says what to do, the exit code is the run's, and a read-only history can still
//! be read by `history` and `compare`.

use crate::{perfhive, target, tempdir};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// `perfhive` as someone who may not write the history: an ordinary user as they are, root as
/// `nobody` (permissions do not stop root).
fn as_reader() -> Command {
    let mut c = perfhive();
    if is_root() {
        c.uid(65534).gid(65534);
    }
    c
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_read_only_history_is_read_and_a_run_still_writes_its_output() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let hist = dir.join("ro");
    std::fs::create_dir_all(&hist).unwrap();
    let db = hist.join("h.db");
    for cmd in ["sleep 0.01", "sleep 0.02"] {
        let o = perfhive()
            .arg("--history")
            .arg(&db)
            .args(["bench", cmd, "--name", "nap", "--runs", "4", "-q"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    for entry in std::fs::read_dir(&hist).unwrap() {
        chmod(&entry.unwrap().path(), 0o444);
    }
    chmod(&hist, 0o555);
    let outputs = dir.join("out");
    std::fs::create_dir_all(&outputs).unwrap();
    chmod(&dir, 0o755);
    chmod(&outputs, 0o777);
    let ph = |args: &[&str]| -> Output {
        as_reader()
            .arg("--history")
            .arg(&db)
            .args(args)
            .output()
            .unwrap()
    };

    let list = ph(&["history", "--json"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let rows: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    let shown = ph(&["history", "show", "1"]);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    assert!(
        text(&shown.stdout).contains("nap/wall_s")
            || text(&shown.stdout).contains("Benchmark 1: nap")
    );
    let cmp = ph(&["compare", "latest~1", "latest"]);
    assert!(cmp.status.success(), "{}", text(&cmp.stderr));
    assert!(
        text(&cmp.stdout).contains("nap/wall_s"),
        "{}",
        text(&cmp.stdout)
    );

    let export = outputs.join("b.json");
    let run = ph(&[
        "bench",
        "true",
        "--runs",
        "3",
        "-q",
        "--export-json",
        export.to_str().unwrap(),
    ]);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert!(
        err.contains("read-only") && err.contains("--no-history"),
        "{err}"
    );
    let rec: Value = serde_json::from_slice(&std::fs::read(&export).unwrap()).unwrap();
    assert_eq!(rec["commands"][0]["runs"].as_array().unwrap().len(), 3);

    let tag = ph(&["history", "tag", "1", "x"]);
    assert_eq!(tag.status.code(), Some(2));
    assert!(
        text(&tag.stderr).contains("read-only"),
        "{}",
        text(&tag.stderr)
    );
    chmod(&hist, 0o755);
}

/// A tmpfs of `kib` KiB, unmounted on drop; `None` when this process may not mount.
struct SmallFs(PathBuf);

impl SmallFs {
    fn mount(dir: &Path, kib: u64) -> Option<SmallFs> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = is_root()
            && Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success());
        ok.then(|| SmallFs(dir.to_path_buf()))
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_during_a_run_loses_nothing_measured() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let Some(fs) = SmallFs::mount(&dir.join("fs"), 4096) else {
        return perfhive_test_support::skip(
            "perfhive::it::history_failures::a_full_disk_during_a_run_loses_nothing_measured",
            "a full file system is a small tmpfs, and mounting one needs root with CAP_SYS_ADMIN",
        );
    };
    let db = fs.0.join("h.db");
    let out = dir.join("record.json");
    let t = target();
    let url = format!("{}/fast", t.base_url());
    let child = perfhive()
        .arg("--history")
        .arg(&db)
        .args(["run", &url, "--rate", "100", "--duration", "3s", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // once the run is in the history, the disk fills up
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !fs.0.join("h.db-wal").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(fs.0.join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
    }
    let o = child.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("is full") && err.contains("free some space, or use --no-history"),
        "{err}"
    );
    assert!(!err.contains("disk I/O error"), "{err}");
    let rec: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert!(
        rec["metrics"]["requests"].as_u64().unwrap() >= 200,
        "{}",
        rec["metrics"]
    );
    let summary = text(&o.stdout);
    assert!(summary.contains("record written to"), "{summary}");
    drop(fs);
}

#[test]
fn a_file_size_limit_costs_the_history_not_the_run() {
    let _serial = crate::exclusive();
    let dir = tempdir();
    let db = dir.join("h.db");
    // an existing history: its WAL index must grow beside it, beyond the limit
    drop(perfhive_store::Store::open(&db).unwrap());
    let t = target();
    let url = format!("{}/fast", t.base_url());
    let mut c = perfhive();
    c.arg("--history").arg(&db).args([
        "run",
        &url,
        "--rate",
        "50",
        "--duration",
        "1s",
        "--json",
        "-q",
    ]);
    // SAFETY: setrlimit is async-signal-safe; it runs in the child between fork and exec.
    unsafe {
        c.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 16 * 1024,
                rlim_max: 16 * 1024,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = c.output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(0),
        "killed by SIGXFSZ? {:?}\n{err}",
        o.status
    );
    assert!(err.contains("ulimit -f"), "{err}");
    let rec: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(rec["metrics"]["requests"].as_u64().unwrap() > 0);
}
