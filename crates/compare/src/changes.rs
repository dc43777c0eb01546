//! Change points over the history of one benchmark or scenario: each metric's values over its
//! complete runs, oldest first, split by E-Divisive means with a t-test (Apache Otava /
//! Hunter's method, `perfhive_stats::change_points`), each change tied to the run, commit and
//! date where the new regime starts.

use perfhive_stats::ChangePoint;
use perfhive_store::{RunRow, Store, StoreError};

/// What to look for.
#[derive(Clone, Debug)]
pub struct ChangeQuery {
    /// Runs of this name.
    pub name: String,
    /// One metric, or every metric the runs recorded.
    pub metric: Option<String>,
    /// Only runs on this branch.
    pub branch: Option<String>,
    /// Largest p-value of a reported change.
    pub alpha: f64,
    /// Smallest reported change, percent of the mean before it.
    pub min_change_pct: f64,
    /// Fewest runs in a segment.
    pub min_segment: usize,
}

/// The change points of one metric.
#[derive(Clone, Debug)]
pub struct MetricChanges {
    /// The metric.
    pub metric: String,
    /// Runs with a value of it.
    pub runs: usize,
    /// Its change points, oldest first.
    pub changes: Vec<RunChange>,
}

/// A change point and the run where the new regime starts.
#[derive(Clone, Debug)]
pub struct RunChange {
    /// The first run of the new regime.
    pub run: RunRow,
    /// The change.
    pub point: ChangePoint,
}

/// Why there is nothing to look at.
#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    /// No complete run has this name.
    #[error("no complete runs named `{name}` in the history at `{path}`")]
    NoRuns {
        /// The name.
        name: String,
        /// The history.
        path: String,
    },
    /// The metric was never recorded for these runs.
    #[error("no values of `{metric}` for `{name}`; known metrics: {known}")]
    NoValues {
        /// The metric.
        metric: String,
        /// The name.
        name: String,
        /// What was recorded.
        known: String,
    },
    /// The history failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Finds the change points of `q` in `store`.
pub fn changes(store: &Store, q: &ChangeQuery) -> Result<Vec<MetricChanges>, ChangesError> {
    let metrics = match &q.metric {
        Some(m) => vec![m.clone()],
        None => store.metric_names(&q.name)?,
    };
    if metrics.is_empty() {
        return Err(ChangesError::NoRuns {
            name: q.name.clone(),
            path: store.path().display().to_string(),
        });
    }
    let mut out = Vec::new();
    for m in metrics {
        let series = store.metric_history(&q.name, &m, q.branch.as_deref())?;
        if series.is_empty() {
            return Err(ChangesError::NoValues {
                metric: m,
                name: q.name.clone(),
                known: store.metric_names(&q.name)?.join(", "),
            });
        }
        let values: Vec<f64> = series.iter().map(|(_, v)| *v).collect();
        let changes = perfhive_stats::change_points(&values, q.alpha, q.min_segment.max(1))
            .into_iter()
            .filter(|c| c.change_pct.abs() >= q.min_change_pct)
            .map(|point| RunChange {
                run: series[point.index].0.clone(),
                point,
            })
            .collect();
        out.push(MetricChanges {
            metric: m,
            runs: values.len(),
            changes,
        });
    }
    Ok(out)
}
