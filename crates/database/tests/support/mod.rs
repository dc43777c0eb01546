//! A throwaway PostgreSQL cluster for a test binary: `initdb` into a temporary folder (as the
//! `postgres` user when the tests run as root), the server on a free port of 127.0.0.1 with
//! pg_stat_statements preloaded and the settings a test gives, stopped and removed on drop;
//! and the real clients that drive it (psql, pgbench).
//!
//! Without PostgreSQL's server binaries the tests say why and skip — except in CI (the `CI`
//! variable set), where they fail: CI installs postgresql-15 (`.ci/run`).

#![allow(dead_code)]

use perfhive_test_support::free_port;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A running cluster.
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub port: u16,
    bin: PathBuf,
    as_postgres: bool,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The folder of PostgreSQL 15+'s server binaries: `PERFHIVE_PG_BIN`, Debian's
/// `/usr/lib/postgresql/N/bin` (the newest), `pg_config --bindir`, or `initdb` on PATH.
pub fn find_bin() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("PERFHIVE_PG_BIN") {
        return Ok(PathBuf::from(p));
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| {
                    let v: u32 = e.file_name().to_str()?.parse().ok()?;
                    let bin = e.path().join("bin");
                    (v >= 15 && bin.join("initdb").is_file()).then_some((v, bin))
                })
                .collect()
        })
        .unwrap_or_default();
    debian.sort();
    if let Some((_, bin)) = debian.pop() {
        return Ok(bin);
    }
    if let Ok(o) = Command::new("pg_config").arg("--bindir").output() {
        let bin = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if bin.join("initdb").is_file() {
            return Ok(bin);
        }
    }
    Err(
        "PostgreSQL 15+ server binaries (initdb, pg_ctl) not found: install postgresql-15 \
         (Debian: apt-get install postgresql-15 postgresql-15-hypopg) or set PERFHIVE_PG_BIN"
            .into(),
    )
}

/// Reports the skip of the PostgreSQL checks (see `perfhive_test_support::skip`: one
/// `perfhive-skip:` line, listed by `scripts/test.sh`; in CI a failure).
pub fn unavailable(reason: &str) {
    perfhive_test_support::skip(
        "database::postgres (the PostgreSQL audit on a throwaway cluster)",
        &format!("{reason} (.ci/run installs postgresql-15 and postgresql-15-hypopg)"),
    );
}

impl Cluster {
    /// Starts a cluster with these `-c` settings (after pg_stat_statements' preload and
    /// `listen_addresses`).
    pub fn start(settings: &[(&str, &str)]) -> Result<Cluster, String> {
        let bin = find_bin()?;
        let dir = tempfile::Builder::new()
            .prefix("perfhive-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !ok {
                return Err(
                    "running as root, but cannot hand the cluster's folder to the `postgres` user"
                        .into(),
                );
            }
        }
        let mut c = Cluster {
            dir,
            port: free_port(),
            bin,
            as_postgres,
        };
        let data = c.data();
        let out = c
            .server_cmd("initdb")
            .args([
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let mut opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements",
            c.port,
            c.dir.path().display()
        );
        for (k, v) in settings {
            opts.push_str(&format!(" -c {k}={v}"));
        }
        let log = c.dir.path().join("server.log");
        let out = c
            .server_cmd("pg_ctl")
            .args(["-D", &data, "-l"])
            .arg(&log)
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .output()
            .map_err(|e| format!("pg_ctl: {e}"))?;
        if !out.status.success() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            // Another process took the port between our probe and the server's bind: retry once.
            if log.contains("could not bind") {
                c.port = free_port();
                return Err(format!("the port was taken: {log}"));
            }
            return Err(format!(
                "pg_ctl start failed: {}\n{log}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(c)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn server_cmd(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    /// A client tool (psql, pgbench) from the same installation.
    pub fn client(&self, tool: &str) -> Command {
        let mut c = Command::new(self.bin.join(tool));
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
        ]);
        c.env_remove("PGPASSWORD");
        c
    }

    /// A DSN for a database of the cluster.
    pub fn dsn(&self, db: &str) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs SQL with psql (stop on error), returning its unaligned output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = self
            .client("psql")
            .args([
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                db,
                "-c",
                sql,
            ])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "psql failed on {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs pgbench with a custom script (no vacuum, no initialisation).
    pub fn pgbench(&self, db: &str, script: &str, args: &[&str]) -> Output {
        let file = self.dir.path().join(format!("script-{}.sql", script.len()));
        std::fs::write(&file, script).expect("script written");
        let out = self
            .client("pgbench")
            .args(["-n", "-f"])
            .arg(&file)
            .args(args)
            .arg(db)
            .stdin(Stdio::null())
            .output()
            .expect("pgbench runs");
        assert!(
            out.status.success(),
            "pgbench failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Whether hypopg is installed on the server.
    pub fn has_hypopg(&self) -> bool {
        self.psql(
            "postgres",
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'",
        ) == "1"
    }

    /// The server's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The folder's path.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .server_cmd("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Starts a cluster, retrying once when the port was taken meanwhile.
pub fn start(settings: &[(&str, &str)]) -> Result<Cluster, String> {
    match Cluster::start(settings) {
        Err(e) if e.starts_with("the port was taken") => Cluster::start(settings),
        r => r,
    }
}
