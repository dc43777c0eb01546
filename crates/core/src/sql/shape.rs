//! The light parse behind [`crate::sql::shape`]: one pass over the tokens with a stack of
//! bracket frames, each knowing its clause (SELECT list, FROM, WHERE/ON/HAVING, ORDER BY,
//! LIMIT …) and its query scope (a bracket opened by SELECT or WITH starts a new one).
//! Tables are read where FROM, JOIN, UPDATE, INTO or DELETE … USING put them; predicates
//! are `column op operand` (or the mirror) inside WHERE, ON and HAVING; an unqualified column
//! belongs to the only table of its scope, or to none.

use super::is_keyword;
use super::lex::{tokenize, Kind, Token};
use super::parsed::{
    ColumnRef, Join, ParamRole, Predicate, PredicateOp, Shape, StatementKind, TableRef,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clause {
    Other,
    Select,
    From,
    Where,
    OrderBy,
    Limit,
    Offset,
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    clause: Clause,
    scope: usize,
    expect_table: bool,
}

struct RawColumn {
    qualifier: Option<String>,
    column: String,
    scope: usize,
}

struct RawTable {
    table: TableRef,
    scope: usize,
}

struct Parser<'a> {
    toks: &'a [Token],
    ordinal: Vec<Option<usize>>,
    tables: Vec<RawTable>,
    derived: Vec<String>,
    predicates: Vec<(RawColumn, PredicateOp, Vec<usize>)>,
    joins: Vec<(RawColumn, RawColumn)>,
    order_by: Vec<RawColumn>,
    roles: Vec<Option<ParamRoleRaw>>,
}

enum ParamRoleRaw {
    Compared(usize),
    Limit,
    Offset,
}

fn ident(t: Option<&Token>) -> Option<String> {
    let t = t?;
    match t.kind {
        Kind::Word if !is_keyword(&t.text) => Some(t.text.to_lowercase()),
        Kind::Quoted => Some(t.text.clone()),
        _ => None,
    }
}

/// The light parse of a statement.
pub fn shape(sql: &str) -> Shape {
    let toks = tokenize(sql);
    let mut p = Parser::new(&toks);
    let kind = p.run(false);
    p.finish(kind)
}

/// The predicates and joins of a bare boolean expression, such as a PostgreSQL plan node's
/// `Filter` or `Index Cond` (`((status)::text = 'shipped'::text)`). Qualifiers stay as
/// written; unqualified columns have no table.
pub fn predicate_columns(expr: &str) -> Shape {
    let toks = tokenize(expr);
    let mut p = Parser::new(&toks);
    p.run(true);
    p.finish(StatementKind::Other)
}

impl<'a> Parser<'a> {
    fn new(toks: &'a [Token]) -> Self {
        let mut n = 0;
        let ordinal = toks
            .iter()
            .map(|t| {
                (t.kind == Kind::Param).then(|| {
                    n += 1;
                    n - 1
                })
            })
            .collect();
        Parser {
            toks,
            ordinal,
            tables: Vec::new(),
            derived: Vec::new(),
            predicates: Vec::new(),
            joins: Vec::new(),
            order_by: Vec::new(),
            roles: (0..n).map(|_| None).collect(),
        }
    }

    fn word(&self, i: usize, kw: &str) -> bool {
        self.toks.get(i).is_some_and(|t| t.is_word(kw))
    }

    fn punct(&self, i: usize, s: &str) -> bool {
        self.toks.get(i).is_some_and(|t| t.is(s))
    }

    /// The statement kind; with `expression`, the whole input is a WHERE clause.
    fn run(&mut self, expression: bool) -> StatementKind {
        let toks = self.toks;
        let first = if expression {
            Clause::Where
        } else {
            Clause::Other
        };
        let mut stack = vec![Frame {
            clause: first,
            scope: 0,
            expect_table: false,
        }];
        let mut scopes = 1;
        let mut kind = None;
        let mut select_into = false;
        let mut i = 0;
        while i < toks.len() {
            let t = &toks[i];
            let depth0 = stack.len() == 1;
            let top = stack.len() - 1;
            // `(status)::text = …` as plan conditions print a column.
            if t.is("(") && stack[top].clause == Clause::Where && self.punct(i + 3, "::") {
                if let Some(next) = self.predicate_at(i, stack[top].scope) {
                    i = next;
                    continue;
                }
            }
            if t.is("(") {
                let new_scope = self.word(i + 1, "select") || self.word(i + 1, "with");
                let f = stack[top];
                stack[top].expect_table = false;
                stack.push(if new_scope {
                    scopes += 1;
                    Frame {
                        clause: Clause::Other,
                        scope: scopes - 1,
                        expect_table: false,
                    }
                } else {
                    Frame {
                        expect_table: false,
                        ..f
                    }
                });
                i += 1;
                continue;
            }
            if t.is(")") {
                if stack.len() > 1 {
                    stack.pop();
                }
                i += 1;
                // `(SELECT …) AS sub` in FROM: a derived table's alias.
                if stack[stack.len() - 1].clause == Clause::From {
                    let j = if self.word(i, "as") { i + 1 } else { i };
                    if let Some(a) = ident(toks.get(j)) {
                        self.derived.push(a);
                        i = j + 1;
                    }
                }
                continue;
            }
            let frame = &mut stack[top];
            if t.is(",") && frame.clause == Clause::From {
                frame.expect_table = true;
                i += 1;
                continue;
            }
            if t.kind == Kind::Word && is_keyword(&t.text) {
                let w = t.text.to_ascii_lowercase();
                let for_update = w == "update" && i > 0 && toks[i - 1].is_word("for");
                if depth0 && kind.is_none() && !for_update {
                    kind = match w.as_str() {
                        "select" => Some(StatementKind::Select),
                        "insert" => Some(StatementKind::Insert),
                        "update" => Some(StatementKind::Update),
                        "delete" => Some(StatementKind::Delete),
                        _ => None,
                    };
                }
                match w.as_str() {
                    "select" => frame.clause = Clause::Select,
                    "from" | "join" => {
                        frame.clause = Clause::From;
                        frame.expect_table = true;
                    }
                    "on" if frame.clause == Clause::From => frame.clause = Clause::Where,
                    "where" | "having" => frame.clause = Clause::Where,
                    "order" if self.word(i + 1, "by") => {
                        frame.clause = Clause::OrderBy;
                        i += 1;
                    }
                    "group" | "returning" | "union" | "intersect" | "except" | "values" | "set" => {
                        frame.clause = Clause::Other
                    }
                    "limit" | "fetch" => frame.clause = Clause::Limit,
                    "offset" => frame.clause = Clause::Offset,
                    // `ON CONFLICT … DO UPDATE SET` names no table.
                    "update" if !for_update && !self.word(i + 1, "set") => {
                        frame.clause = Clause::From;
                        frame.expect_table = true;
                    }
                    "into" => {
                        // `SELECT … INTO t` creates a table: not a query.
                        if depth0 && kind == Some(StatementKind::Select) {
                            select_into = true;
                        }
                        frame.clause = Clause::Other;
                        frame.expect_table = true;
                    }
                    "using" => {
                        if self.punct(i + 1, "(") {
                            frame.clause = Clause::Other;
                        } else {
                            frame.clause = Clause::From;
                            frame.expect_table = true;
                        }
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            let (clause, scope, expect_table) = (frame.clause, frame.scope, frame.expect_table);
            if expect_table {
                frame.expect_table = false;
                if let Some(next) = self.table_at(i, scope, clause) {
                    i = next;
                    continue;
                }
            }
            // A word after `::` is a type.
            let after_cast = i > 0 && toks[i - 1].is("::");
            let next = match clause {
                _ if after_cast => None,
                Clause::Where => self.predicate_at(i, scope),
                Clause::OrderBy => self.column_at(i).map(|(parts, next)| {
                    self.order_by.push(raw(parts, scope));
                    next
                }),
                Clause::Limit | Clause::Offset => {
                    if let Some(o) = self.ordinal[i] {
                        self.roles[o] = Some(if clause == Clause::Limit {
                            ParamRoleRaw::Limit
                        } else {
                            ParamRoleRaw::Offset
                        });
                    }
                    None
                }
                Clause::Other | Clause::Select | Clause::From => None,
            };
            i = next.unwrap_or(i + 1);
        }
        // The statement is what its first word says: `CREATE TABLE … AS SELECT`, `EXPLAIN
        // SELECT`, `COPY (SELECT …)` are not queries.
        let leads = toks.first().is_some_and(|t| {
            t.is("(")
                || [
                    "select", "with", "insert", "update", "delete", "values", "table",
                ]
                .iter()
                .any(|w| t.is_word(w))
        });
        if !leads || select_into {
            return StatementKind::Other;
        }
        // `(SELECT …) UNION (SELECT …)`: every SELECT is in brackets.
        let bracketed_select =
            toks.first().is_some_and(|t| t.is("(")) && toks.iter().any(|t| t.is_word("select"));
        kind.unwrap_or(if bracketed_select {
            StatementKind::Select
        } else {
            StatementKind::Other
        })
    }

    /// A qualified name at `i`: its parts and the index after it.
    fn qualified_at(&self, i: usize) -> Option<(Vec<String>, usize)> {
        let mut parts = vec![ident(self.toks.get(i))?];
        let mut j = i + 1;
        while self.punct(j, ".") {
            match ident(self.toks.get(j + 1)) {
                Some(p) => parts.push(p),
                None => return None,
            }
            j += 2;
        }
        Some((parts, j))
    }

    /// A table at `i`; in FROM, a name followed by `(` is a function, after INTO a column
    /// list.
    fn table_at(&mut self, i: usize, scope: usize, clause: Clause) -> Option<usize> {
        let mut i = i;
        while self.word(i, "only") || self.word(i, "lateral") {
            i += 1;
        }
        let (mut parts, mut j) = self.qualified_at(i)?;
        if clause == Clause::From && self.punct(j, "(") {
            return None;
        }
        let name = parts.pop()?;
        let schema = parts.pop();
        let mut alias = None;
        let k = if self.word(j, "as") { j + 1 } else { j };
        if let Some(a) = ident(self.toks.get(k)) {
            alias = Some(a);
            j = k + 1;
        }
        self.tables.push(RawTable {
            table: TableRef {
                schema,
                name,
                alias,
            },
            scope,
        });
        Some(j)
    }

    /// A column reference at `i` (also `(col)::type` as plan filters print it), its casts
    /// and COLLATE skipped.
    fn column_at(&self, i: usize) -> Option<(Vec<String>, usize)> {
        let (parts, mut j) =
            if self.punct(i, "(") && self.punct(i + 2, ")") && self.punct(i + 3, "::") {
                let (p, _) = self.qualified_at(i + 1)?;
                (p, i + 3)
            } else {
                self.qualified_at(i)?
            };
        if self.punct(j, ".") || self.punct(j, "(") {
            return None; // `t.*`, or a function call
        }
        j = self.skip_casts(j);
        if self.word(j, "collate") {
            j += 2;
        }
        Some((parts, j))
    }

    fn skip_casts(&self, mut j: usize) -> usize {
        while self.punct(j, "::") {
            j += 1;
            while self.toks.get(j).is_some_and(|t| {
                (t.kind == Kind::Word && !is_keyword(&t.text)) || t.kind == Kind::Quoted
            }) {
                j += 1;
            }
            if self.punct(j, "(") {
                j = self.group_end(j);
            }
            while self.punct(j, "[") && self.punct(j + 1, "]") {
                j += 2;
            }
        }
        j
    }

    /// The index after the bracket group opened at `j`.
    fn group_end(&self, j: usize) -> usize {
        let mut depth = 0usize;
        for (k, t) in self.toks.iter().enumerate().skip(j) {
            if t.is("(") || t.is("[") {
                depth += 1;
            } else if t.is(")") || t.is("]") {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
        }
        self.toks.len()
    }

    /// A value operand at `j` (a constant or parameter, signed, cast, typed, bracketed, a
    /// function of values): the parameters in it and the index after it. `None` when it is a
    /// column.
    fn operand_at(&self, j: usize) -> Option<(Vec<usize>, usize)> {
        let t = self.toks.get(j)?;
        let params = |from: usize, to: usize| -> Vec<usize> {
            (from..to).filter_map(|k| self.ordinal[k]).collect()
        };
        if t.is("-") || t.is("+") {
            return self.operand_at(j + 1);
        }
        if t.is_value() || t.is_word("null") || t.is_word("true") || t.is_word("false") {
            let end = self.skip_casts(j + 1);
            return Some((params(j, end), end));
        }
        if t.is("(") {
            let end = self.skip_casts(self.group_end(j));
            return Some((params(j, end), end));
        }
        // `ANY(…)`, `lower(…)`, `CAST(… AS int)`: a function applied to something.
        if (t.kind == Kind::Word) && self.punct(j + 1, "(") {
            let end = self.skip_casts(self.group_end(j + 1));
            let inner = params(j, end);
            let has_column = (j + 2..end).any(|k| {
                let prev = &self.toks[k - 1];
                ident(self.toks.get(k)).is_some()
                    && !self.punct(k + 1, "(")
                    && !prev.is("::")
                    && !prev.is_word("as")
            });
            return (!has_column).then_some((inner, end));
        }
        // A typed literal: `DATE '2024-01-01'`, `interval '1 day'`.
        if t.kind == Kind::Word && self.toks.get(j + 1).is_some_and(|n| n.kind == Kind::Str) {
            return Some((Vec::new(), j + 2));
        }
        None
    }

    fn predicate_at(&mut self, i: usize, scope: usize) -> Option<usize> {
        if let Some((parts, j)) = self.column_at(i) {
            return self.predicate_after_column(parts, j, scope);
        }
        // `? = col`: the mirror.
        let (params, j) = self.operand_at(i)?;
        let op = match self.toks.get(j)?.text.as_str() {
            "=" => PredicateOp::Eq,
            "<" | "<=" | ">" | ">=" => PredicateOp::Range,
            _ => return None,
        };
        let (parts, end) = self.column_at(j + 1)?;
        self.push_predicate(raw(parts, scope), op, params);
        Some(end)
    }

    fn predicate_after_column(
        &mut self,
        parts: Vec<String>,
        j: usize,
        scope: usize,
    ) -> Option<usize> {
        let t = self.toks.get(j)?;
        let (op, rhs) = match () {
            _ if t.is("=") || t.is("==") => {
                if self.word(j + 1, "any") || self.word(j + 1, "some") {
                    (PredicateOp::In, j + 1)
                } else {
                    (PredicateOp::Eq, j + 1)
                }
            }
            _ if t.is("<") || t.is("<=") || t.is(">") || t.is(">=") => (PredicateOp::Range, j + 1),
            _ if t.is("~~") || t.is("~~*") || t.is_word("like") || t.is_word("ilike") => {
                (PredicateOp::Like, j + 1)
            }
            _ if t.is_word("in") => (PredicateOp::In, j + 1),
            _ if t.is_word("between") => {
                let (mut params, mid) = self.operand_at(j + 1)?;
                if !self.word(mid, "and") {
                    return None;
                }
                let (more, end) = self.operand_at(mid + 1)?;
                params.extend(more);
                self.push_predicate(raw(parts, scope), PredicateOp::Range, params);
                return Some(end);
            }
            _ if t.is_word("is") => {
                let not = self.word(j + 1, "not");
                let k = if not { j + 2 } else { j + 1 };
                if !self.word(k, "null") {
                    return None;
                }
                let op = if not {
                    PredicateOp::Other
                } else {
                    PredicateOp::IsNull
                };
                self.push_predicate(raw(parts, scope), op, Vec::new());
                return Some(k + 1);
            }
            _ if t.is_word("isnull") => {
                self.push_predicate(raw(parts, scope), PredicateOp::IsNull, Vec::new());
                return Some(j + 1);
            }
            _ if t.is("<>") || t.is("!=") || t.is_word("not") => {
                let k = if t.is_word("not") { j + 2 } else { j + 1 };
                let (params, end) = self.operand_at(k)?;
                self.push_predicate(raw(parts, scope), PredicateOp::Other, params);
                return Some(end);
            }
            _ => return None,
        };
        // `IN (SELECT …)`, `= (SELECT …)`: the subquery is parsed on its own.
        if self.punct(rhs, "(") && (self.word(rhs + 1, "select") || self.word(rhs + 1, "with")) {
            self.push_predicate(raw(parts, scope), op, Vec::new());
            return Some(rhs);
        }
        if op == PredicateOp::Eq {
            if let Some((other, end)) = self.column_at(rhs) {
                self.joins.push((raw(parts, scope), raw(other, scope)));
                return Some(end);
            }
        }
        let (params, end) = self.operand_at(rhs)?;
        self.push_predicate(raw(parts, scope), op, params);
        Some(end)
    }

    fn push_predicate(&mut self, col: RawColumn, op: PredicateOp, params: Vec<usize>) {
        let idx = self.predicates.len();
        for &p in &params {
            self.roles[p] = Some(ParamRoleRaw::Compared(idx));
        }
        self.predicates.push((col, op, params));
    }

    fn resolve(&self, c: &RawColumn) -> ColumnRef {
        let table = match &c.qualifier {
            Some(q) => {
                if self.derived.contains(q) {
                    None
                } else {
                    Some(
                        self.tables
                            .iter()
                            .find(|t| t.table.alias.as_deref() == Some(q))
                            .or_else(|| self.tables.iter().find(|t| &t.table.name == q))
                            .map(|t| t.table.name.clone())
                            .unwrap_or_else(|| q.clone()),
                    )
                }
            }
            None => {
                let mut in_scope = self.tables.iter().filter(|t| t.scope == c.scope);
                match (in_scope.next(), in_scope.next()) {
                    (Some(t), None) => Some(t.table.name.clone()),
                    _ => None,
                }
            }
        };
        ColumnRef {
            table,
            column: c.column.clone(),
        }
    }

    fn finish(self, kind: StatementKind) -> Shape {
        let predicates: Vec<Predicate> = self
            .predicates
            .iter()
            .map(|(c, op, params)| Predicate {
                column: self.resolve(c),
                op: *op,
                params: params.clone(),
            })
            .collect();
        let params = self
            .roles
            .iter()
            .map(|r| match r {
                Some(ParamRoleRaw::Compared(i)) => ParamRole::Compared {
                    column: predicates[*i].column.clone(),
                    op: predicates[*i].op,
                },
                Some(ParamRoleRaw::Limit) => ParamRole::Limit,
                Some(ParamRoleRaw::Offset) => ParamRole::Offset,
                None => ParamRole::Other,
            })
            .collect();
        let mut tables: Vec<TableRef> = Vec::new();
        for t in &self.tables {
            if !tables.contains(&t.table) {
                tables.push(t.table.clone());
            }
        }
        Shape {
            kind,
            predicates,
            joins: self
                .joins
                .iter()
                .map(|(a, b)| Join {
                    left: self.resolve(a),
                    right: self.resolve(b),
                })
                .collect(),
            order_by: self.order_by.iter().map(|c| self.resolve(c)).collect(),
            params,
            tables,
        }
    }
}

fn raw(mut parts: Vec<String>, scope: usize) -> RawColumn {
    let column = parts.pop().unwrap_or_default();
    RawColumn {
        qualifier: parts.pop(),
        column,
        scope,
    }
}
