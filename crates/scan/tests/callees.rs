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

/// What an independent review found resolved wrongly: each of these awaits may do I/O and
/// stays reported, while the plain bookkeeping one goes.
#[test]
fn awaits_whose_callee_the_code_does_not_pin_down_stay() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "app/tracking.py", TRACKING);
    write(
        r,
        "app/store.py",
        "from redis.asyncio.lock import Lock\n\n\nclass Store:\n    def __init__(self, redis, testing):\n        self._cache = {} if testing else redis\n        self._lock = Lock(redis, \"k\")\n\n    async def remember(self, key, value):\n        self._cache.set(key, value)\n\n    async def guarded(self, key):\n        async with self._lock:\n            pass\n\n\nclass Recorder:\n    def __init__(self):\n        self.cache = {}\n\n    async def record(self, cache, key, value):\n        cache.set(key, value)\n",
    );
    write(
        r,
        "app/convert.py",
        "async def to_model(row):\n    return {\"id\": row.id}\n\n\nto_model = via_api(to_model)\n\n\nasync def plain(row):\n    return {\"id\": row.id}\n",
    );
    write(
        r,
        "app/api.py",
        "from app.tracking import Heartbeater
from app.store import Store, Recorder
from app.convert import to_model, plain


async def clean(request, items, heartbeater: Heartbeater):
    for item in items:
        await heartbeater.track(item)


async def two(request, items, heartbeater: Heartbeater, client):
    for item in items:
        x = (await heartbeater.track(item), await client.upload(item))


async def either(request, items, remote):
    tracker = Heartbeater(None) if not remote else RemoteHeartbeater()
    for item in items:
        await tracker.track(item)


async def kwarg(request, items, tracker):
    report = Report(
        tracker=Heartbeater(None),
    )
    for item in items:
        await tracker.track(item)


async def unpacked(request, items, url):
    tracker = Heartbeater(None)
    if url:
        (tracker, conn) = await connect_remote(url)
    for item in items:
        await tracker.track(item)


async def rebound(request, rows, kind):
    plain = registry.loader_for(kind)
    for row in rows:
        await plain(row)


async def wrapped(request, rows):
    for row in rows:
        await to_model(row)


async def stores(request, items, store: Store, recorder: Recorder, redis_client):
    for item in items:
        await store.remember(item.key, item)
    for item in items:
        await store.guarded(item.key)
    for item in items:
        await recorder.record(redis_client, item.key, item)
",
    );
    let lines: Vec<u32> = awaits(r).into_iter().map(|(l, _)| l).collect();
    assert_eq!(lines, [13, 19, 27, 35, 41, 46, 51, 53, 55]);
}

/// A class some class of the scan extends — with a comment in its bases, under another name,
/// or beside a mixin — may run another method: its awaits stay.
#[test]
fn a_class_with_a_subclass_anywhere_is_not_resolved() {
    for sub in [
        "from app.tracking import Heartbeater\n\n\nclass Remote(  # pylint: disable=too-few-public-methods\n    Heartbeater,\n):\n    pass\n",
        "from app.tracking import Heartbeater as Base\n\n\nclass Remote(Base):\n    pass\n",
        "from app.tracking import Heartbeater\n\n\nclass Remote(PostMixin, Heartbeater):\n    pass\n",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(r, "app/tracking.py", TRACKING);
        write(r, "app/remote.py", sub);
        write(
            r,
            "app/api.py",
            "from app.tracking import Heartbeater\n\n\nasync def handle(request, items, heartbeater: Heartbeater):\n    for item in items:\n        await heartbeater.track(item)\n",
        );
        assert_eq!(awaits(r).len(), 1, "{sub}");
    }
}
