//! The OpenTelemetry semantic conventions perfhive reads from spans, in both generations
//! (<https://opentelemetry.io/docs/specs/semconv/>): the database statement (`db.statement`,
//! now `db.query.text`), the database system (`db.system`, now `db.system.name`), the server
//! route (`http.route` with `http.request.method`, formerly `http.method`), the code location
//! (`code.function` / `code.function.name`, `code.filepath` / `code.file.path`) and the
//! instrumentation scope (`otel.scope.name`, which the OTLP decoders copy from the scope of
//! each span), from which the data-access framework is told.

use std::collections::HashMap;

use perfhive_core::route::Route;
use perfhive_core::sql::{normalize, shape, Normalized, StatementKind};
use perfhive_core::trace::Access;

use crate::model::{Span, KIND_SERVER};

/// The statement text (new and old conventions).
pub const STATEMENT_KEYS: &[&str] = &["db.query.text", "db.statement"];
/// The database system (new and old conventions).
pub const SYSTEM_KEYS: &[&str] = &["db.system.name", "db.system"];
/// The HTTP method of a server span (new and old conventions).
pub const METHOD_KEYS: &[&str] = &["http.request.method", "http.method"];
/// The attribute the decoders give each span for its instrumentation scope's name.
pub const SCOPE_KEY: &str = "otel.scope.name";

/// The statement a database span ran.
pub fn statement_of(span: &Span) -> Option<&str> {
    span.attr_any(STATEMENT_KEYS)
        .filter(|s| !s.trim().is_empty())
}

/// Whether a span describes a database call.
pub fn is_database(span: &Span) -> bool {
    statement_of(span).is_some() || span.attr_any(SYSTEM_KEYS).is_some()
}

/// The route of a SERVER span that reports `http.route`.
pub fn route_of(span: &Span) -> Option<Route> {
    if span.kind != KIND_SERVER {
        return None;
    }
    let template = span.attributes.get("http.route")?;
    Some(Route::new(span.attr_any(METHOD_KEYS), template))
}

/// Whether a statement reads or writes.
pub fn access_of(kind: StatementKind) -> Access {
    match kind {
        StatementKind::Select => Access::Read,
        StatementKind::Insert | StatementKind::Update | StatementKind::Delete => Access::Write,
        StatementKind::Other => Access::Other,
    }
}

/// Statements normalised once per distinct text.
#[derive(Default)]
pub struct Normalizer<'a> {
    cache: HashMap<&'a str, (Normalized, Access)>,
}

impl<'a> Normalizer<'a> {
    /// The normalised form of a statement and whether it reads or writes.
    pub fn get(&mut self, text: &'a str) -> &(Normalized, Access) {
        self.cache
            .entry(text)
            .or_insert_with(|| (normalize(text), access_of(shape(text).kind)))
    }

    /// The normalised form of a statement, when there is one.
    pub fn of_text(&mut self, text: Option<&'a str>) -> Option<&(Normalized, Access)> {
        Some(self.get(text?))
    }

    /// The normalised statement of a database span.
    pub fn of(&mut self, span: &'a Span) -> Option<&(Normalized, Access)> {
        let text = statement_of(span)?;
        Some(self.get(text))
    }
}

/// Data-access frameworks perfhive tells apart, by the words their instrumentation scopes,
/// code namespaces or file paths carry, ORMs before drivers.
const FRAMEWORKS: &[(&str, &str)] = &[
    ("sqlalchemy", "sqlalchemy"),
    ("django", "django"),
    ("activerecord", "activerecord"),
    ("active_record", "activerecord"),
    ("hibernate", "hibernate"),
    ("sequelize", "sequelize"),
    ("typeorm", "typeorm"),
    ("prisma", "prisma"),
    ("gorm", "gorm"),
    ("entityframework", "entity-framework"),
    ("knex", "knex"),
];

/// The data-access framework a span's instrumentation scope, code namespace or file says.
pub fn framework_of(span: &Span) -> Option<&'static str> {
    [
        "otel.scope.name",
        "code.namespace",
        "code.filepath",
        "code.file.path",
    ]
    .iter()
    .filter_map(|k| span.attributes.get(*k))
    .find_map(|v| {
        let v = v.to_ascii_lowercase().replace(['.', '-'], "");
        FRAMEWORKS
            .iter()
            .find(|(word, _)| v.contains(&word.replace('_', "")) || v.contains(word))
            .map(|(_, name)| *name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn span(kind: i32, attrs: &[(&str, &str)]) -> Span {
        Span {
            trace_id: [1; 16],
            span_id: [1; 8],
            parent: None,
            name: "x".into(),
            service: "s".into(),
            kind,
            start_ns: 0,
            end_ns: 1,
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn both_generations_are_read() {
        let new = span(
            3,
            &[
                ("db.query.text", "SELECT 1"),
                ("db.system.name", "postgresql"),
            ],
        );
        let old = span(
            3,
            &[("db.statement", "SELECT 1"), ("db.system", "postgresql")],
        );
        assert_eq!(statement_of(&new), statement_of(&old));
        assert!(is_database(&new) && is_database(&old));
        let r_new = span(
            2,
            &[
                ("http.route", "/orders/{id}"),
                ("http.request.method", "GET"),
            ],
        );
        let r_old = span(
            2,
            &[("http.route", "/orders/<int:id>"), ("http.method", "GET")],
        );
        assert_eq!(route_of(&r_new), route_of(&r_old));
        assert_eq!(route_of(&r_new).unwrap().to_string(), "GET /orders/{}");
        assert_eq!(
            route_of(&span(1, &[("http.route", "/x")])),
            None,
            "only SERVER spans"
        );
    }

    #[test]
    fn frameworks_from_scopes_and_files() {
        let sa = span(
            3,
            &[(
                "otel.scope.name",
                "opentelemetry.instrumentation.sqlalchemy",
            )],
        );
        assert_eq!(framework_of(&sa), Some("sqlalchemy"));
        let dj = span(
            3,
            &[(
                "code.filepath",
                "/venv/lib/site-packages/django/db/models/query.py",
            )],
        );
        assert_eq!(framework_of(&dj), Some("django"));
        assert_eq!(
            framework_of(&span(
                3,
                &[("otel.scope.name", "opentelemetry.instrumentation.psycopg")]
            )),
            None
        );
        let mut n = Normalizer::default();
        assert_eq!(n.get("INSERT INTO t (a) VALUES (1)").1, Access::Write);
        assert_eq!(n.get("select * from t where id = 5").1, Access::Read);
        let a = n.get("select * from t where id = 5").0.text.clone();
        assert_eq!(a, n.get("SELECT * FROM t WHERE id = $1").0.text);
    }
}
