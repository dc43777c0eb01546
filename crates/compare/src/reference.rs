//! What a user names as a side: a run id, `latest`, `latest~N` (N complete runs before the
//! latest), `latest@BRANCH`, `latest~N@BRANCH`, or a file. `latest` references are resolved
//! within a scope — a name, a kind, a branch — so that `compare latest~1 latest` compares the
//! last two runs of one benchmark, not the last two runs of anything: without `--name`, the
//! scope is the name and kind of the run the other side names (an id or a file), or of the
//! newest run. Two investigations of the history must be of one plan: ids of different plans
//! are refused, saying how to name two of one (two load runs or benchmarks of different names
//! compare: an A/B of two URLs is a comparison one means). When nothing matches,
//! the error lists the runs that could be compared and how to name them.

use crate::side::SideError;
use crate::Side;
use perfhive_core::record::RecordKind;
use perfhive_store::{Filter, RunRow, Store, StoreError};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A parsed reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    /// A run id.
    Id(i64),
    /// The `skip`-th complete run before the newest one in scope, on `branch` if given.
    Latest {
        /// Runs to skip (`latest~N`).
        skip: usize,
        /// `latest@BRANCH`.
        branch: Option<String>,
    },
    /// A record or result file (or a criterion directory).
    File(PathBuf),
}

/// Why a reference does not resolve.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// Not a reference.
    #[error("`{0}` is neither a file, a run id, nor latest / latest~N / latest@BRANCH")]
    Syntax(String),
    /// No history to resolve it in.
    #[error("`{0}` names a run of the history, and no history was given")]
    NoHistory(String),
    /// Nothing matches.
    #[error("{0}")]
    NotFound(String),
    /// Two investigations of the history of different plans.
    #[error("{0}")]
    DifferentPlans(String),
    /// The run has no record.
    #[error("run {id} has no record (it is {status}): it stopped before its end; `perfhive history show {id}` shows what it measured")]
    NoRecord {
        /// The run.
        id: i64,
        /// Its status.
        status: String,
    },
    /// The history failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The record or file gives no side.
    #[error(transparent)]
    Side(#[from] SideError),
}

/// Result alias.
pub type Result<T> = std::result::Result<T, ReferenceError>;

impl Reference {
    /// Parses a reference; an existing path is a file.
    pub fn parse(s: &str) -> Result<Reference> {
        if Path::new(s).exists() {
            return Ok(Reference::File(PathBuf::from(s)));
        }
        if let Ok(id) = s.parse::<i64>() {
            return Ok(Reference::Id(id));
        }
        let syntax = || ReferenceError::Syntax(s.to_string());
        let rest = s.strip_prefix("latest").ok_or_else(syntax)?;
        let (skip, rest) = match rest.strip_prefix('~') {
            Some(r) => {
                let end = r.find('@').unwrap_or(r.len());
                (r[..end].parse::<usize>().map_err(|_| syntax())?, &r[end..])
            }
            None => (0, rest),
        };
        let branch = match rest.strip_prefix('@') {
            Some("") => return Err(syntax()),
            Some(b) => Some(b.to_string()),
            None if rest.is_empty() => None,
            None => return Err(syntax()),
        };
        Ok(Reference::Latest { skip, branch })
    }

    /// Whether resolving it needs the history.
    pub fn needs_history(&self) -> bool {
        !matches!(self, Reference::File(_))
    }
}

/// Which runs `latest` references may name.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Runs of this name (`--name`; a run's scenario, benchmark or plan name).
    pub name: Option<String>,
    /// Runs of this kind.
    pub kind: Option<RecordKind>,
    /// Runs on this branch, unless the reference says `@BRANCH`.
    pub branch: Option<String>,
}

/// Resolves one reference (`--baseline` of `run` and `bench`: the scope is the run's own name
/// and kind).
pub fn resolve(reference: &str, store: Option<&Store>, scope: &Scope) -> Result<Side> {
    let r = Reference::parse(reference)?;
    side_of(reference, &r, store, scope)
}

/// Resolves both sides of `perfhive compare BASE NEW`: `latest` references take the scope of
/// `--name`, else the name and kind of the side that is a run id or a file, else those of the
/// newest run (on the branch the new side names).
pub fn resolve_pair(
    base: &str,
    new: &str,
    store: Option<&Store>,
    scope: &Scope,
) -> Result<(Side, Side)> {
    let (rb, rn) = (Reference::parse(base)?, Reference::parse(new)?);
    let is_latest = |r: &Reference| matches!(r, Reference::Latest { .. });
    let mut scope = scope.clone();
    // a side resolved to set the scope is kept, not resolved twice
    let (mut known_base, mut known_new) = (None, None);
    if scope.name.is_none() && (is_latest(&rb) || is_latest(&rn)) {
        let (name, kind) = match (&rb, &rn) {
            (Reference::Latest { .. }, Reference::Latest { branch, .. }) => {
                let store = store.ok_or_else(|| ReferenceError::NoHistory(new.into()))?;
                let branch = branch.as_deref().or(scope.branch.as_deref());
                let id = store.latest(None, scope.kind, branch, 0)?.ok_or_else(|| {
                    ReferenceError::NotFound(nothing_stored(store, branch, scope.kind))
                })?;
                let row = row_of(store, id)?;
                (row.name, row.kind)
            }
            (Reference::Latest { .. }, other) => {
                let side = side_of(new, other, store, &scope)?;
                let anchor = (side.name.clone(), side.kind);
                known_new = Some(side);
                anchor
            }
            (other, _) => {
                let side = side_of(base, other, store, &scope)?;
                let anchor = (side.name.clone(), side.kind);
                known_base = Some(side);
                anchor
            }
        };
        scope.name = Some(name);
        scope.kind = scope.kind.or(Some(kind));
    }
    let b = match known_base {
        Some(side) => side,
        None => side_of(base, &rb, store, &scope)?,
    };
    let n = match known_new {
        Some(side) => side,
        None => side_of(new, &rn, store, &scope)?,
    };
    let plans = b.kind == RecordKind::Investigation && n.kind == RecordKind::Investigation;
    if plans && rb.needs_history() && rn.needs_history() && b.name != n.name {
        return Err(ReferenceError::DifferentPlans(different_plans(&b, &n)));
    }
    Ok((b, n))
}

/// Two investigations of the history of different plans: which, and how to name two
/// investigations of one.
fn different_plans(b: &Side, n: &Side) -> String {
    format!(
        "{} and {} are investigations of different plans, `{}` and `{}`: a comparison judges a change to one plan. \
Name two investigations of one plan: `perfhive compare latest~1 latest --name {}` (its last two), or two of its ids from `perfhive history --kind investigation --name {}`; \
to compare different plans on purpose, compare their report.json files.",
        b.label, n.label, b.name, n.name, n.name, n.name
    )
}

fn row_of(store: &Store, id: i64) -> Result<RunRow> {
    Ok(store
        .get(id)?
        .ok_or_else(|| {
            ReferenceError::NotFound(format!(
                "no run {id} in the history at `{}`",
                store.path().display()
            ))
        })?
        .row)
}

fn side_of(text: &str, r: &Reference, store: Option<&Store>, scope: &Scope) -> Result<Side> {
    let id = match r {
        Reference::File(path) => return Ok(Side::from_file(path)?),
        Reference::Id(id) => *id,
        Reference::Latest { skip, branch } => {
            let store = store.ok_or_else(|| ReferenceError::NoHistory(text.into()))?;
            let branch = branch.as_deref().or(scope.branch.as_deref());
            store
                .latest(scope.name.as_deref(), scope.kind, branch, *skip)?
                .ok_or_else(|| ReferenceError::NotFound(not_found(store, text, scope, branch)))?
        }
    };
    let store = store.ok_or_else(|| ReferenceError::NoHistory(text.into()))?;
    let run = store.get(id)?.ok_or_else(|| {
        ReferenceError::NotFound(format!(
            "no run {id} in the history at `{}`",
            store.path().display()
        ))
    })?;
    let record = run.record.ok_or_else(|| ReferenceError::NoRecord {
        id,
        status: run.row.status.to_string(),
    })?;
    Ok(Side::from_record(
        format!("run {id}"),
        &record,
        run.row.git_commit.clone(),
    )?)
}

fn nothing_stored(store: &Store, branch: Option<&str>, kind: Option<RecordKind>) -> String {
    format!(
        "no complete {}run{} in the history at `{}`",
        kind.map(|k| format!("{k} ")).unwrap_or_default(),
        branch
            .map(|b| format!(" on branch `{b}`"))
            .unwrap_or_default(),
        store.path().display()
    )
}

/// Which runs exist, and how to name two of them.
fn not_found(store: &Store, text: &str, scope: &Scope, branch: Option<&str>) -> String {
    let mut msg = format!("no complete run matches `{text}`");
    if let Some(n) = &scope.name {
        let _ = write!(msg, " among runs named `{n}`");
    }
    if let Some(k) = scope.kind {
        let _ = write!(msg, " of kind {k}");
    }
    if let Some(b) = branch {
        let _ = write!(msg, " on branch `{b}`");
    }
    let _ = write!(msg, " in the history at `{}`", store.path().display());
    let in_scope = store
        .list(&Filter {
            name: None,
            kind: scope.kind,
            branch: branch.map(str::to_string),
            limit: Some(200),
            ..Default::default()
        })
        .unwrap_or_default();
    let same: Vec<&RunRow> = in_scope
        .iter()
        .filter(|r| r.status.outcome().is_some())
        .filter(|r| scope.name.as_ref().is_none_or(|n| &r.name == n))
        .collect();
    if !same.is_empty() {
        let _ = write!(
            msg,
            " (it has {} such run{}: {})",
            same.len(),
            if same.len() == 1 { "" } else { "s" },
            same.iter()
                .take(5)
                .map(|r| r.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let recent = store
        .list(&Filter {
            limit: Some(8),
            ..Default::default()
        })
        .unwrap_or_default();
    if recent.is_empty() {
        return msg;
    }
    msg.push_str(".\nRecent runs:");
    for r in &recent {
        let _ = write!(
            msg,
            "\n  {:>5}  {:<13} {:<11} {}",
            r.id,
            r.kind.as_str(),
            r.status.as_str(),
            r.name
        );
    }
    // the newest two complete runs of one name and kind
    let complete: Vec<&RunRow> = recent
        .iter()
        .filter(|r| r.status.outcome().is_some())
        .collect();
    let pair = complete.iter().enumerate().find_map(|(i, a)| {
        complete[i + 1..]
            .iter()
            .find(|b| b.name == a.name && b.kind == a.kind)
            .map(|b| (b.id, a.id))
    });
    let _ = write!(msg, "\nName two runs of one name by id");
    if let Some((older, newer)) = pair {
        let _ = write!(msg, " (`perfhive compare {older} {newer}`)");
    }
    msg.push_str(", or the runs of one name with `--name NAME`.");
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        assert_eq!(Reference::parse("12").unwrap(), Reference::Id(12));
        assert_eq!(
            Reference::parse("latest").unwrap(),
            Reference::Latest {
                skip: 0,
                branch: None
            }
        );
        assert_eq!(
            Reference::parse("latest~3@main").unwrap(),
            Reference::Latest {
                skip: 3,
                branch: Some("main".into())
            }
        );
        assert_eq!(
            Reference::parse("latest@feature/x").unwrap(),
            Reference::Latest {
                skip: 0,
                branch: Some("feature/x".into())
            }
        );
        for bad in [
            "latest~",
            "latest~x",
            "latest@",
            "latestish",
            "newest",
            "latest~-1",
        ] {
            assert!(
                matches!(Reference::parse(bad), Err(ReferenceError::Syntax(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Reference::parse("Cargo.toml").unwrap(),
            Reference::File("Cargo.toml".into())
        );
    }
}
