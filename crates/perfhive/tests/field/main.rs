//! The field suite: `perfhive investigate` on real third-party services installed from PyPI and
//! npm (`field/setup.sh`), instrumented by OpenTelemetry auto-instrumentation only, each with
//! known problems planted in its handlers (docs/field.md lists them). Each test reads the
//! report of one investigation of one app; the investigation runs once per app and test binary
//! (the first test that needs it runs it, one investigation at a time), so the tests of an app
//! share it. Every load is on 127.0.0.1 and bounded by the app's plan.
//!
//! Without the installed packages every test reports a skip (a failure in CI).

mod catalog;
mod quotes;
mod report;
mod shop;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

pub use report::*;

/// One of the field apps: its folder under `field/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    /// Flask + SQLAlchemy over SQLite, gunicorn -w 4.
    Shop,
    /// FastAPI on one uvicorn worker.
    Quotes,
    /// Node.js express + knex over better-sqlite3.
    Catalog,
}

impl App {
    /// The app's folder name under `field/`.
    pub fn dir(self) -> &'static str {
        match self {
            App::Shop => "shop",
            App::Quotes => "quotes",
            App::Catalog => "catalog",
        }
    }

    /// The app's source folder.
    pub fn source(self) -> PathBuf {
        perfhive_test_support::repo_path(&format!("field/{}", self.dir()))
    }
}

/// The field environment `field/setup.sh` installs for `app`: `PERFHIVE_FIELD_ENV`, else
/// `target/field-env` of the repository; `None` (with the skip reported) when it is not there.
pub fn field_env(app: App, check: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("PERFHIVE_FIELD_ENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| perfhive_test_support::repo_path("target/field-env"));
    let needed: &[&str] = match app {
        App::Shop => &[
            "py/bin/opentelemetry-instrument",
            "py/bin/gunicorn",
            "py/bin/py-spy",
        ],
        App::Quotes => &[
            "py/bin/opentelemetry-instrument",
            "py/bin/uvicorn",
            "py/bin/py-spy",
        ],
        App::Catalog => &[
            "catalog/node_modules/@opentelemetry/auto-instrumentations-node/build/src/register.js",
            "catalog/node_modules/better-sqlite3/build/Release/better_sqlite3.node",
        ],
    };
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|p| !dir.join(p).exists())
        .collect();
    let why = format!(
        "the field apps' packages are not installed in {} (missing {}): run `bash field/setup.sh`",
        dir.display(),
        missing.join(", ")
    );
    perfhive_test_support::require(check, missing.is_empty(), &why).then_some(dir)
}

/// One finished investigation: the report (report.json), report.md and how perfhive exited.
pub struct Investigation {
    /// report.json.
    pub report: Value,
    /// report.md.
    pub markdown: String,
    /// perfhive's exit code.
    pub exit: Option<i32>,
    /// perfhive's stderr.
    pub stderr: String,
    /// Wall time of the whole investigation, s.
    pub wall_s: f64,
    /// The report folder.
    pub folder: PathBuf,
}

/// Runs `perfhive --no-history investigate field/APP/plan.yaml --out-dir TMP --json` with the
/// field environment; one at a time in this test binary.
pub fn investigate(app: App, env: &Path) -> Result<Investigation, String> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = perfhive_test_support::tempdir(&format!("field-{}", app.dir()));
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths: Vec<PathBuf> = std::env::split_paths(&path).collect();
    paths.push(env.join("py/bin")); // py-spy, last: it must not shadow python3
    let started = std::time::Instant::now();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_perfhive"))
        .env("NO_COLOR", "1")
        .env(
            "PATH",
            std::env::join_paths(paths).map_err(|e| e.to_string())?,
        )
        .env("PERFHIVE_FIELD_ENV", env)
        // the shop's database is field/shop/shop.db: its plan's database investigator reads it
        .env("CATALOG_DB", out.join("catalog.db"))
        .args(["--no-history", "investigate"])
        .arg(app.source().join("plan.yaml"))
        .arg("--out-dir")
        .arg(out.join("reports"))
        .arg("--json")
        .output()
        .map_err(|e| format!("perfhive did not start: {e}"))?;
    let wall_s = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    let report: Value = serde_json::from_slice(&o.stdout)
        .map_err(|e| format!("no JSON report on stdout ({e}); stderr:\n{stderr}"))?;
    let folder = std::fs::read_dir(out.join("reports"))
        .map_err(|e| format!("no report folder: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_dir())
        .ok_or("no report folder")?;
    let markdown = std::fs::read_to_string(folder.join("report.md"))
        .map_err(|e| format!("no report.md: {e}"))?;
    let on_disk: Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("report.json"))
            .map_err(|e| format!("no report.json: {e}"))?,
    )
    .map_err(|e| format!("report.json: {e}"))?;
    if on_disk != report {
        return Err("report.json differs from the report printed with --json".into());
    }
    Ok(Investigation {
        report,
        markdown,
        exit: o.status.code(),
        stderr,
        wall_s,
        folder,
    })
}

/// The investigation of `app` that the tests of this binary share: run by the first test that
/// asks for it. `None` when the field environment is missing (the skip is reported).
pub fn shared(app: App, check: &str) -> Option<&'static Investigation> {
    static SHOP: OnceLock<Result<Investigation, String>> = OnceLock::new();
    static QUOTES: OnceLock<Result<Investigation, String>> = OnceLock::new();
    static CATALOG: OnceLock<Result<Investigation, String>> = OnceLock::new();
    let env = field_env(app, check)?;
    let cell = match app {
        App::Shop => &SHOP,
        App::Quotes => &QUOTES,
        App::Catalog => &CATALOG,
    };
    match cell.get_or_init(|| investigate(app, &env)) {
        Ok(i) => Some(i),
        Err(e) => panic!("the investigation of field/{} failed: {e}", app.dir()),
    }
}
