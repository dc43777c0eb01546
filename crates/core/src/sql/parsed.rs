//! What the light parse of [`crate::sql::shape`] yields: the statement's kind, its tables,
//! the columns it filters and joins on, its ORDER BY, and what each bind parameter is for.

use serde::{Deserialize, Serialize};

/// What a statement does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    /// SELECT (also WITH … SELECT).
    Select,
    /// INSERT.
    Insert,
    /// UPDATE.
    Update,
    /// DELETE.
    Delete,
    /// Anything else (DDL, transaction control, SET …).
    Other,
}

/// A table a statement reads or writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRef {
    /// Its schema, when qualified.
    pub schema: Option<String>,
    /// Its name (unquoted identifiers lower case).
    pub name: String,
    /// The alias it is given in the statement.
    pub alias: Option<String>,
}

/// A column, with the table it belongs to when the parse can tell.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ColumnRef {
    /// The table's name (aliases resolved), when known.
    pub table: Option<String>,
    /// The column's name.
    pub column: String,
}

/// How a column is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PredicateOp {
    /// `=`.
    Eq,
    /// `<`, `<=`, `>`, `>=`, BETWEEN.
    Range,
    /// IN (…) or `= ANY(…)`.
    In,
    /// LIKE / ILIKE (and PostgreSQL's `~~`).
    Like,
    /// IS NULL.
    IsNull,
    /// Anything else (`<>`, NOT IN, IS NOT NULL …): no index helps it.
    Other,
}

impl PredicateOp {
    /// Whether a B-tree index on the column can serve it as a leading equality (`=`, IN, IS
    /// NULL).
    pub fn is_equality(self) -> bool {
        matches!(
            self,
            PredicateOp::Eq | PredicateOp::In | PredicateOp::IsNull
        )
    }
}

/// A column compared with values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Predicate {
    /// The column.
    pub column: ColumnRef,
    /// The comparison.
    pub op: PredicateOp,
    /// Ordinals (0-based, in text order) of the bind parameters it is compared with.
    pub params: Vec<usize>,
}

/// Two columns compared for equality (a join condition).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Join {
    /// Left side.
    pub left: ColumnRef,
    /// Right side.
    pub right: ColumnRef,
}

/// What a bind parameter is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamRole {
    /// Compared with a column.
    Compared {
        /// The column.
        column: ColumnRef,
        /// How.
        op: PredicateOp,
    },
    /// A LIMIT / FETCH count.
    Limit,
    /// An OFFSET.
    Offset,
    /// Anything else (a value inserted, set, or inside an expression).
    Other,
}

/// What a light parse tells of a statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    /// The kind of the outermost statement.
    pub kind: StatementKind,
    /// Tables in order of appearance.
    pub tables: Vec<TableRef>,
    /// Columns compared with values in WHERE, ON and HAVING.
    pub predicates: Vec<Predicate>,
    /// Column-to-column equalities.
    pub joins: Vec<Join>,
    /// ORDER BY columns, in order.
    pub order_by: Vec<ColumnRef>,
    /// The role of each bind parameter, by ordinal.
    pub params: Vec<ParamRole>,
}

impl Shape {
    /// The predicates on one table (by name).
    pub fn predicates_on<'a>(&'a self, table: &'a str) -> impl Iterator<Item = &'a Predicate> + 'a {
        self.predicates
            .iter()
            .filter(move |p| p.column.table.as_deref() == Some(table))
    }

    /// The columns of one table used in join conditions.
    pub fn join_columns_of(&self, table: &str) -> Vec<&str> {
        let mut v: Vec<&str> = Vec::new();
        for j in &self.joins {
            for c in [&j.left, &j.right] {
                if c.table.as_deref() == Some(table) && !v.contains(&c.column.as_str()) {
                    v.push(&c.column);
                }
            }
        }
        v
    }
}
