//! What to do about an N+1 pattern: reads and writes get different fixes, in the words of the
//! data-access framework when the spans name it.

use crate::model::{Effort, Recommendation};
use perfhive_core::trace::{amdahl, Access, NPlusOne};

/// How one framework fetches related rows in one query, and writes many rows at once.
fn framework_fix(framework: &str) -> Option<(&'static str, &'static str)> {
    Some(match framework {
        "sqlalchemy" => (
            "load the related rows with the query: `.options(selectinload(Parent.children))` (one `IN (…)` query) or `joinedload` (one JOIN)",
            "`session.add_all(rows)` with one `commit()`, or `session.execute(insert(Table), rows)` (one executemany), in one transaction",
        ),
        "django" => (
            "`prefetch_related('children')` on the queryset (one `IN (…)` query), or `select_related('parent')` for a foreign key (one JOIN)",
            "`Model.objects.bulk_create(objs)` (or `bulk_update`) inside one `transaction.atomic()`",
        ),
        "activerecord" => (
            "`includes(:children)` (or `preload` / `eager_load`) on the relation",
            "`insert_all(rows)` (or `upsert_all`) in one transaction",
        ),
        "hibernate" => (
            "`JOIN FETCH` in the query, an entity graph, or `@BatchSize` on the association",
            "JDBC batching (`hibernate.jdbc.batch_size`) with one transaction",
        ),
        "sequelize" => (
            "`include: [Child]` in the `findAll` options",
            "`Model.bulkCreate(rows)` in one transaction",
        ),
        "typeorm" => (
            "`relations: [...]` or `leftJoinAndSelect` in the query builder",
            "`repository.insert(rows)` (one multi-row INSERT) in one transaction",
        ),
        "prisma" => (
            "`include: { children: true }` in the query",
            "`createMany({ data: rows })` in one `$transaction`",
        ),
        "gorm" => (
            "`Preload(\"Children\")` (or `Joins`) on the query",
            "`CreateInBatches(rows, n)` in one transaction",
        ),
        _ => return None,
    })
}

/// The recommendation for an N+1 pattern whose statements take `share` of the critical path.
pub fn n_plus_one(n: &NPlusOne, share: Option<f64>) -> Recommendation {
    let fw = n.framework.as_deref().and_then(framework_fix);
    let by = n
        .framework
        .as_deref()
        .filter(|_| fw.is_some())
        .map(|f| format!(" ({f})"))
        .unwrap_or_default();
    // one query instead of `count`: the repeated statements' time shrinks to about one of them
    let speedup = share.map(|p| amdahl(p * (1.0 - 1.0 / n.count.max(1) as f64)));
    match n.access {
        Access::Write => Recommendation {
            action: match fw {
                Some((_, write)) => format!("write the rows `{}` inserts one by one in one batch{by}: {write}", n.parent_name),
                None => format!(
                    "write the rows `{}` writes one by one in one batch: one multi-row INSERT (`VALUES (…), (…)`) or the driver's `executemany`, inside one transaction",
                    n.parent_name
                ),
            },
            impact: format!("{} statements (and as many commits without a transaction) per request → 1", n.count),
            expected_speedup: speedup,
            effort: Effort::Low,
            risk: "one failing row fails the batch; a long transaction holds its locks longer".into(),
            mitigation: "bound the batch size; handle a failed batch by retrying row by row; compare with `perfhive compare`".into(),
        },
        _ => Recommendation {
            action: match fw {
                Some((read, _)) => format!("fetch what `{}` needs in one query{by}: {read}", n.parent_name),
                None => format!(
                    "fetch what `{}` needs in one query (a JOIN, or `WHERE id IN (…)`) instead of one query per item",
                    n.parent_name
                ),
            },
            impact: format!("{} queries per request → 1", n.count),
            expected_speedup: speedup,
            effort: Effort::Medium,
            risk: "one larger result set per request".into(),
            mitigation: "paginate the parent query; compare before and after with `perfhive compare`".into(),
        },
    }
}
