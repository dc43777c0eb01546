//! Awaits of functions other classes and modules of the project define, read in their own
//! files: one that does no I/O is not reported, one that does is.
use perfhive_scan::{scan, ScanOptions, ScanReport};
use std::path::Path;

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn awaits(root: &Path) -> Vec<(u32, String)> {
    let opts = ScanOptions {
        paths: vec![root.to_path_buf()],
        threads: 2,
        ..ScanOptions::default()
    };
    let report: ScanReport = scan(&opts).expect("scan runs");
    let mut out: Vec<(u32, String)> = report
        .findings
        .iter()
        .filter(|f| f.rule_id == "py-await-in-loop")
        .flat_map(|f| {
            let mut s: Vec<(u32, String)> = f
                .statements
                .iter()
                .map(|s| (s.line, s.text.clone()))
                .collect();
            if s.is_empty() {
                s.push((
                    f.line,
                    f.snippet.lines().next().unwrap_or("").trim().to_string(),
                ));
            }
            s
        })
        .collect();
    out.sort();
    out
}

const TRACKING: &str = "import asyncio


class Heartbeater:
    def __init__(self, db):
        self._db = db
        self._items = {}
        self._lock = asyncio.Lock()

    async def track(self, item):
        self._items[item.id] = item

    async def untrack(self, item):
        async with self._lock:
            self._items.pop(item.id, None)

    async def persist(self, item):
        await self._db.execute(\"UPDATE items SET seen = now() WHERE id = $1\", item.id)
";

#[test]
fn methods_of_a_typed_receiver_are_read_in_their_class() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "app/tracking.py", TRACKING);
    write(
        r,
        "app/api/fetch.py",
        "from ..tracking import Heartbeater


class Fetcher:
    def __init__(self, heartbeater: Heartbeater) -> None:
        self._heartbeater = heartbeater

    async def fetch(self, request, items):
        for item in items:
            await self._heartbeater.track(item)
            await self._heartbeater.untrack(item)
        for item in items:
            await self._heartbeater.persist(item)


async def handle(request, items, heartbeater: Heartbeater):
    for item in items:
        await heartbeater.track(item)
    for item in items:
        await heartbeater.persist(item)


async def untyped(request, items, heartbeater):
    for item in items:
        await heartbeater.track(item)
",
    );
    assert_eq!(
        awaits(r),
        [
            (13, "await self._heartbeater.persist(item)".to_string()),
            (20, "await heartbeater.persist(item)".to_string()),
            (25, "await heartbeater.track(item)".to_string()),
        ]
    );
}

#[test]
fn imported_functions_are_read_in_their_module() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "app/convert.py",
        "async def to_model(row):\n    return {\"id\": row.id, \"name\": row.name.strip()}\n\n\nasync def load(db, row):\n    return await db.fetch_one(row.id)\n",
    );
    write(
        r,
        "app/views.py",
        "from app import convert\nfrom app.convert import to_model, load\n\n\nasync def rows(request, db, rows):\n    out = []\n    for row in rows:\n        out.append(await to_model(row))\n        out.append(await convert.to_model(row))\n        out.append(await load(db, row))\n    return out\n",
    );
    assert_eq!(awaits(r), [(10, "await load(db, row)".to_string())]);
}

#[test]
fn a_method_a_subclass_elsewhere_overrides_is_not_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    // the class lives in a package and is imported through its `__init__`
    write(r, "app/tracking/heartbeat.py", TRACKING);
    write(
        r,
        "app/tracking/__init__.py",
        "from .heartbeat import Heartbeater\n",
    );
    // an unrelated class with a method of the same name does not matter
    write(
        r,
        "app/metrics.py",
        "class Metrics:\n    async def track(self, item):\n        await self.client.post(\"/track\", json=item)\n",
    );
    let api = "from app.tracking import Heartbeater\n\n\nasync def handle(request, items, heartbeater: Heartbeater):\n    for item in items:\n        await heartbeater.track(item)\n";
    write(r, "app/api.py", api);
    assert_eq!(awaits(r), []);
    // a subclass in another file overrides it: which one runs is not known
    write(
        r,
        "app/remote.py",
        "from app.tracking import Heartbeater\n\n\nclass RemoteHeartbeater(Heartbeater):\n    async def track(self, item):\n        await self.client.post(\"/track\", json=item)\n",
    );
    assert_eq!(
        awaits(r),
        [(6, "await heartbeater.track(item)".to_string())]
    );
}

/// SQLAlchemy's `AsyncSession.delete` marks a row for the next flush: awaiting it per item is
/// not a round trip per item. A class of the same name the project defines is read as any other.
#[test]
fn an_async_session_delete_marks_rows_for_the_flush() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(
        r,
        "app/members.py",
        "from dataclasses import dataclass\n\nfrom sqlalchemy.ext.asyncio import AsyncSession\n\n\nasync def remove(request, session: AsyncSession, members):\n    for m in members:\n        await session.delete(m)\n    for m in members:\n        await session.refresh(m)\n    await session.commit()\n\n\n@dataclass\nclass Pending:\n    db_session: AsyncSession\n\n    async def clear(self, messages):\n        for msg in messages:\n            await self.db_session.delete(msg)\n",
    );
    write(
        r,
        "app/remote.py",
        "from app.store import AsyncSession\n\n\nasync def remove(request, session: AsyncSession, members):\n    for m in members:\n        await session.delete(m)\n",
    );
    write(
        r,
        "app/store.py",
        "class AsyncSession:\n    async def delete(self, row):\n        await self.client.delete(f\"/rows/{row.id}\")\n",
    );
    assert_eq!(
        awaits(r),
        [
            (6, "await session.delete(m)".to_string()),
            (10, "await session.refresh(m)".to_string()),
        ]
    );
}
