//! Which database to audit: a PostgreSQL DSN in either of libpq's forms (a
//! `postgresql://user@host:port/db?…` URI or `host=… dbname=…` key/value pairs), completed
//! as libpq completes it (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`; the password from the
//! DSN, else `PGPASSWORD`, else the password file `PGPASSFILE` or `~/.pgpass`, ignored when
//! group- or world-readable, as libpq does), or an SQLite file path (`sqlite:` prefix
//! optional; relative paths resolve against a base folder, such as the plan's).
//!
//! The password is only ever handed to the driver: [`Target::display`] and every error show
//! the DSN without it.

use crate::DbError;
use std::path::{Path, PathBuf};

/// A parsed DSN.
#[derive(Clone)]
pub enum Target {
    /// A PostgreSQL server (boxed: its configuration is large).
    Postgres(Box<PgTarget>),
    /// An SQLite database file.
    Sqlite(PathBuf),
}

/// A PostgreSQL connection, completed from the environment.
#[derive(Clone)]
pub struct PgTarget {
    /// The driver's configuration (holds the password; never printed).
    pub config: postgres::Config,
    /// Where the password came from, for notes (`DSN`, `PGPASSWORD`, `~/.pgpass`).
    pub password_source: Option<String>,
    /// Notes made while completing the DSN (an ignored password file …).
    pub notes: Vec<String>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// The environment a DSN is completed from (the process's by default; tests give their own).
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: Vec<(String, String)>,
    home: Option<PathBuf>,
}

impl Env {
    /// The process's environment.
    pub fn process() -> Env {
        Env {
            vars: std::env::vars().collect(),
            home: std::env::var_os("HOME").map(PathBuf::from),
        }
    }

    /// An environment of the given variables (`HOME` among them, if any).
    pub fn of(vars: &[(&str, &str)]) -> Env {
        Env {
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            home: vars
                .iter()
                .find(|(k, _)| *k == "HOME")
                .map(|(_, v)| PathBuf::from(v)),
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

impl Target {
    /// Parses a DSN; relative SQLite paths resolve against `base` (the current folder when
    /// `None`).
    pub fn parse(dsn: &str, base: Option<&Path>, env: &Env) -> Result<Target, DbError> {
        let trimmed = dsn.trim();
        let invalid = |reason: String| DbError::InvalidDsn {
            dsn: mask(trimmed),
            reason,
        };
        if trimmed.is_empty() {
            return Err(invalid(
                "empty; expected postgresql://… or an SQLite file path".into(),
            ));
        }
        if trimmed.starts_with("postgres://")
            || trimmed.starts_with("postgresql://")
            || is_key_value(trimmed)
        {
            // The driver fills a URI's missing port with 5432; libpq takes PGPORT first.
            let with_port = match env.get("PGPORT") {
                Some(port) if trimmed.contains("://") => uri_with_port(trimmed, port),
                _ => trimmed.to_string(),
            };
            let config: postgres::Config = with_port
                .parse()
                .map_err(|e: postgres::Error| invalid(crate::error::pg_message(&e)))?;
            return complete_pg(config, env)
                .map(|t| Target::Postgres(Box::new(t)))
                .map_err(invalid);
        }
        let path = trimmed
            .strip_prefix("sqlite://")
            .or_else(|| trimmed.strip_prefix("sqlite:"))
            .unwrap_or(trimmed);
        if path.contains("://") {
            return Err(invalid(
                "unknown scheme: expected postgresql://…, host=… key/value pairs, or an SQLite file path".into(),
            ));
        }
        let p = PathBuf::from(path);
        let p = match base {
            Some(b) if p.is_relative() => b.join(p),
            _ => p,
        };
        if !p.is_file() {
            return Err(invalid(format!(
                "{} is not a file (expected postgresql://…, host=… key/value pairs, or an existing SQLite file)",
                p.display()
            )));
        }
        Ok(Target::Sqlite(p))
    }

    /// The DSN without its password, for reports and messages.
    pub fn display(&self) -> String {
        match self {
            Target::Sqlite(p) => p.display().to_string(),
            Target::Postgres(t) => t.display(),
        }
    }
}

impl PgTarget {
    /// `postgresql://user@host:port/db`, never with the password.
    pub fn display(&self) -> String {
        let c = &self.config;
        let host = match c.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = c.get_ports().first().copied().unwrap_or(5432);
        format!(
            "postgresql://{}@{}:{}/{}",
            c.get_user().unwrap_or(""),
            host,
            port,
            c.get_dbname().unwrap_or("")
        )
    }

    /// True when the server is on this machine (a Unix socket, or a loopback host), so its
    /// memory, CPUs and disks are this machine's.
    pub fn is_local(&self) -> bool {
        self.config.get_hosts().iter().all(|h| match h {
            postgres::config::Host::Unix(_) => true,
            postgres::config::Host::Tcp(name) => {
                name == "localhost"
                    || name
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
        })
    }
}

/// A single-host URI without a port, given `port`; anything else unchanged.
fn uri_with_port(uri: &str, port: &str) -> String {
    let Some(start) = uri.find("://").map(|i| i + 3) else {
        return uri.to_string();
    };
    let end = uri[start..]
        .find(['/', '?'])
        .map(|i| start + i)
        .unwrap_or(uri.len());
    let host_start = uri[start..end]
        .rfind('@')
        .map(|i| start + i + 1)
        .unwrap_or(start);
    let host = &uri[host_start..end];
    let has_port = if host.starts_with('[') {
        host.contains("]:")
    } else {
        host.contains(':')
    };
    if host.is_empty() || has_port || host.contains(',') {
        return uri.to_string();
    }
    format!("{}:{port}{}", &uri[..end], &uri[end..])
}

fn is_key_value(s: &str) -> bool {
    let first = s.split_whitespace().next().unwrap_or("");
    first.split_once('=').is_some_and(|(k, _)| {
        !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// The DSN with a password (in the URI's userinfo or a `password=` pair) replaced by `***`.
pub fn mask(dsn: &str) -> String {
    perfhive_core::secret::mask_secrets(dsn)
}

fn complete_pg(mut config: postgres::Config, env: &Env) -> Result<PgTarget, String> {
    let mut notes = Vec::new();
    if config.get_hosts().is_empty() {
        match env.get("PGHOST") {
            Some(h) => {
                for h in h.split(',') {
                    config.host(h);
                }
            }
            None => {
                // libpq's default: the Unix socket folder (Debian's, else /tmp).
                let dir = ["/var/run/postgresql", "/tmp"]
                    .into_iter()
                    .find(|d| Path::new(d).is_dir())
                    .unwrap_or("/tmp");
                config.host_path(dir);
            }
        }
    }
    if config.get_ports().is_empty() {
        if let Some(p) = env.get("PGPORT") {
            let port = p
                .parse::<u16>()
                .map_err(|_| format!("PGPORT={p} is not a port number"))?;
            config.port(port);
        }
    }
    if config.get_user().is_none() {
        if let Some(u) = env
            .get("PGUSER")
            .or_else(|| env.get("USER"))
            .or_else(|| env.get("LOGNAME"))
        {
            config.user(u);
        }
    }
    if config.get_dbname().is_none() {
        if let Some(d) = env
            .get("PGDATABASE")
            .or(config.get_user())
            .map(str::to_string)
        {
            config.dbname(&d);
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    if config.get_ssl_mode() == postgres::config::SslMode::Require {
        return Err("sslmode=require: perfhive's PostgreSQL client has no TLS support yet; \
                    connect through a local tunnel (ssh -L) or a trusted network with sslmode=prefer"
            .into());
    }
    config.application_name("perfhive");
    let mut password_source = config.get_password().map(|_| "DSN".to_string());
    if password_source.is_none() {
        if let Some(p) = env.get("PGPASSWORD") {
            config.password(p);
            password_source = Some("PGPASSWORD".into());
        }
    }
    if password_source.is_none() {
        let file = env
            .get("PGPASSFILE")
            .map(PathBuf::from)
            .or_else(|| env.home.as_ref().map(|h| h.join(".pgpass")));
        if let Some(file) = file {
            match read_pgpass(&file, &config) {
                PgPass::Found(p) => {
                    config.password(p);
                    password_source = Some(file.display().to_string());
                }
                PgPass::Ignored(why) => notes.push(why),
                PgPass::None => {}
            }
        }
    }
    Ok(PgTarget {
        config,
        password_source,
        notes,
    })
}

enum PgPass {
    Found(String),
    Ignored(String),
    None,
}

fn read_pgpass(file: &Path, config: &postgres::Config) -> PgPass {
    let Ok(meta) = std::fs::metadata(file) else {
        return PgPass::None;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return PgPass::Ignored(format!(
                "password file {} ignored: it has group or world access (chmod 0600 it)",
                file.display()
            ));
        }
    }
    let Ok(text) = std::fs::read_to_string(file) else {
        return PgPass::None;
    };
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        // libpq matches a socket connection against "localhost".
        _ => "localhost".into(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let db = config.get_dbname().unwrap_or("").to_string();
    let user = config.get_user().unwrap_or("").to_string();
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_pgpass_line(line);
        if fields.len() < 5 {
            continue;
        }
        let want = [&host, &port, &db, &user];
        if fields[..4]
            .iter()
            .zip(want)
            .all(|(f, w)| f == "*" || f == w)
        {
            return PgPass::Found(fields[4..].join(":"));
        }
    }
    PgPass::None
}

/// A `.pgpass` line's fields: `:` separates, `\:` and `\\` escape.
fn split_pgpass_line(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    if let Some(f) = fields.last_mut() {
                        f.push(n);
                    }
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(dsn: &str, env: &Env) -> PgTarget {
        match Target::parse(dsn, None, env).unwrap() {
            Target::Postgres(t) => *t,
            Target::Sqlite(p) => panic!("parsed as SQLite: {}", p.display()),
        }
    }

    #[test]
    fn uri_and_key_value_forms_give_the_same_target() {
        let env = Env::of(&[]);
        let a = pg("postgresql://app@127.0.0.1:5433/shop", &env);
        let b = pg("host=127.0.0.1 port=5433 user=app dbname=shop", &env);
        assert_eq!(a.display(), "postgresql://app@127.0.0.1:5433/shop");
        assert_eq!(a.display(), b.display());
        assert!(a.is_local());
        assert!(!pg("postgres://app@db.internal/shop", &env).is_local());
    }

    #[test]
    fn the_environment_completes_the_dsn_as_libpq_does() {
        let env = Env::of(&[
            ("PGHOST", "10.0.0.5"),
            ("PGPORT", "6432"),
            ("PGUSER", "u"),
            ("PGDATABASE", "d"),
            ("PGPASSWORD", "s3cret"),
        ]);
        let t = pg("postgresql://", &env);
        assert_eq!(t.display(), "postgresql://u@10.0.0.5:6432/d");
        assert_eq!(t.config.get_password(), Some(&b"s3cret"[..]));
        assert_eq!(t.password_source.as_deref(), Some("PGPASSWORD"));
        // The DSN's own values win.
        let t = pg("postgresql://x:pw@h/db", &env);
        assert_eq!(t.display(), "postgresql://x@h:6432/db");
        assert_eq!(t.password_source.as_deref(), Some("DSN"));
        let t = pg("postgresql://x@h:7000/db", &env);
        assert_eq!(t.display(), "postgresql://x@h:7000/db");
    }

    #[test]
    fn passwords_come_from_the_password_file_with_wildcards_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\nother:5432:*:app:nope\n127.0.0.1:5433:shop:app:pa\\:ss:word\n*:*:*:*:fallback\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let f = file.to_str().unwrap();
        let env = Env::of(&[("PGPASSFILE", f)]);
        let t = pg("postgresql://app@127.0.0.1:5433/shop", &env);
        assert_eq!(t.config.get_password(), Some(&b"pa:ss:word"[..]));
        let t = pg("postgresql://bob@elsewhere/x", &env);
        assert_eq!(t.config.get_password(), Some(&b"fallback"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            let t = pg("postgresql://app@127.0.0.1:5433/shop", &env);
            assert_eq!(t.config.get_password(), None);
            assert!(
                t.notes[0].contains("group or world access"),
                "{:?}",
                t.notes
            );
        }
    }

    #[test]
    fn passwords_never_appear_in_displays_or_errors() {
        assert_eq!(
            mask("postgresql://app:s3cret@h:5432/db"),
            "postgresql://app:***@h:5432/db"
        );
        assert_eq!(
            mask("host=h password='a b' user=u"),
            "host=h password=*** user=u"
        );
        assert_eq!(
            mask("postgresql://h/db?password=s3cret&user=u"),
            "postgresql://h/db?password=***&user=u"
        );
        let env = Env::of(&[]);
        let t = pg("postgresql://app:s3cret@h/db", &env);
        assert!(!t.display().contains("s3cret"));
        assert!(!format!("{:?}", Target::Postgres(Box::new(t))).contains("s3cret"));
        let err = Target::parse("postgresql://app:s3cret@h/db?bogus=1", None, &env)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("invalid DSN") && !err.contains("s3cret"),
            "{err}"
        );
    }

    #[test]
    fn sqlite_paths_resolve_against_the_base_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.db"), b"").unwrap();
        let env = Env::of(&[]);
        match Target::parse("app.db", Some(dir.path()), &env).unwrap() {
            Target::Sqlite(p) => assert_eq!(p, dir.path().join("app.db")),
            _ => panic!(),
        }
        assert!(matches!(
            Target::parse("sqlite:app.db", Some(dir.path()), &env),
            Ok(Target::Sqlite(_))
        ));
        let err = Target::parse("missing.db", Some(dir.path()), &env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not a file"), "{err}");
        let err = Target::parse("mysql://u@h/db", None, &env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown scheme"), "{err}");
        let err = Target::parse("postgresql://u@h/db?sslmode=require", None, &env)
            .unwrap_err()
            .to_string();
        assert!(err.contains("TLS"), "{err}");
    }
}
