//! Plans, their costly parts, index candidates and how they were verified.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How an index recommendation was verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerifyMethod {
    /// hypopg: the planner's cost with a hypothetical index (nothing built).
    Hypopg,
    /// A temporary copy of the table, the statement run with EXPLAIN ANALYZE before and after
    /// building the index on it; the copy disappears with the rolled-back transaction.
    ScratchCopy,
    /// A copy of the SQLite file in a temporary folder, the statement timed before and after
    /// `CREATE INDEX` on it.
    FileCopy,
}

/// The outcome of verifying an index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Verification {
    /// How.
    pub method: VerifyMethod,
    /// The statement's cost or time without the index.
    pub before: f64,
    /// With it.
    pub after: f64,
    /// `ms` (measured) or `cost` (the planner's estimate).
    pub unit: String,
    /// Whether the plan with the index uses it.
    pub index_used: bool,
    /// The plan node that reads the table with the index (or without it).
    pub plan_after: String,
    /// The statement as run, with the values it was run with.
    pub statement: String,
}

impl Verification {
    /// before / after (∞ is capped at 1e6).
    pub fn speedup(&self) -> f64 {
        if self.after > 0.0 {
            self.before / self.after
        } else {
            1e6
        }
    }
}

/// How a plan was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanMethod {
    /// EXPLAIN with values bound: the planner's estimates.
    Estimate,
    /// EXPLAIN ANALYZE in a rolled-back read-only transaction: measured.
    Analyze,
    /// PostgreSQL's generic plan (PREPARE with parameters unknown).
    Generic,
    /// SQLite's EXPLAIN QUERY PLAN.
    QueryPlan,
}

/// What a plan issue is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// A full scan reading far more rows than it returns.
    SeqScan,
    /// A sort spilling to disk.
    SortSpill,
    /// A hash spilling to disk.
    HashSpill,
    /// A nested loop over large inputs.
    NestedLoop,
    /// SQLite's temporary B-tree for ORDER BY / GROUP BY / DISTINCT.
    TempBtree,
    /// SQLite's automatic index.
    AutomaticIndex,
}

/// Something costly in a plan, with its numbers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanIssue {
    /// What.
    pub kind: IssueKind,
    /// The table it reads, when one.
    pub table: Option<String>,
    /// Its schema.
    pub schema: Option<String>,
    /// The plan node (`Seq Scan on orders`).
    pub node: String,
    /// Rows read (per execution of the statement).
    pub rows_read: Option<f64>,
    /// Rows returned.
    pub rows_returned: Option<f64>,
    /// Loops (executions of the node per statement).
    pub loops: Option<f64>,
    /// The condition applied while reading (`(customer_id = 42)`).
    pub condition: Option<String>,
    /// Bytes spilled or expected to spill, kB.
    pub spill_kb: Option<f64>,
    /// True when the numbers are the planner's estimates.
    pub estimated: bool,
    /// Columns an index would serve, best first.
    pub index_columns: Vec<String>,
}

/// A statement's plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanReport {
    /// How it was obtained.
    pub method: PlanMethod,
    /// The statement explained, values bound.
    pub statement: String,
    /// The planner's total cost.
    pub total_cost: Option<f64>,
    /// Execution time (EXPLAIN ANALYZE), ms.
    pub execution_ms: Option<f64>,
    /// The plan as indented lines.
    pub lines: Vec<String>,
    /// Costly parts.
    pub issues: Vec<PlanIssue>,
    /// What to know (values chosen, why not ANALYZE …).
    pub notes: Vec<String>,
}

/// An index proposed for a statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IndexCandidate {
    /// Schema.
    pub schema: Option<String>,
    /// Table.
    pub table: String,
    /// Columns, in index order.
    pub columns: Vec<String>,
}

/// An index candidate and what verifying it showed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IndexAdvice {
    /// The candidate.
    pub candidate: IndexCandidate,
    /// The statement to create it.
    pub create: String,
    /// The verification (absent when it could not run).
    pub verification: Option<Verification>,
    /// True when verification showed a gain worth recommending.
    pub recommended: bool,
    /// Why (or why not), in one line.
    pub reason: String,
}
