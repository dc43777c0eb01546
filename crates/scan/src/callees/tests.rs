//! Tests of reading where an awaited name comes from.
use super::*;

#[test]
fn annotations_name_one_class() {
    for (a, want) in [
        ("Heartbeater", Some("Heartbeater")),
        ("\"Heartbeater[ItemT]\"", Some("Heartbeater")),
        ("Optional[Heartbeater]", Some("Heartbeater")),
        ("Heartbeater | None", Some("Heartbeater")),
        ("tracking.Heartbeater", Some("tracking.Heartbeater")),
        ("Heartbeater | Fetcher", None),
        ("dict[str, Heartbeater]", None),
        ("Any", None),
        ("heartbeater", None),
    ] {
        assert_eq!(class_name(a), want, "{a}");
    }
    assert_eq!(
        constructed("Heartbeater[Item](model, timeout)"),
        Some("Heartbeater")
    );
    assert_eq!(
        constructed("Heartbeater(model)  # the one"),
        Some("Heartbeater")
    );
    assert_eq!(constructed("make_heartbeater(model)"), None);
    assert_eq!(constructed("heartbeater"), None);
}

#[test]
fn the_awaited_callee_is_read_off_the_statement() {
    assert_eq!(
        awaited("await self._heartbeater.track(item)"),
        Some(vec!["self", "_heartbeater", "track"])
    );
    assert_eq!(
        awaited("row = await to_model(r, x)"),
        Some(vec!["to_model"])
    );
    assert_eq!(awaited("await tasks[i].run()"), None);
    assert_eq!(awaited("await self.flag"), None);
    assert_eq!(awaited("awaited(x)"), None);
}

#[test]
fn an_attribute_is_typed_by_every_binding_of_the_file() {
    let text = "class Fetcher:\n    def __init__(self, queue, heartbeater: Heartbeater[ItemT]) -> None:\n        self._queue = queue\n        self._heartbeater = heartbeater\n\n    async def start(self):\n        for item in items:\n            await self._heartbeater.track(item)\n";
    assert_eq!(
        attribute_class("_heartbeater", text).as_deref(),
        Some("Heartbeater")
    );
    // built by the constructor, or returned by a property
    let built = "class P:\n    def __init__(self):\n        self.__h = Heartbeater[Item](m)\n\n    @property\n    def _h(self) -> \"Heartbeater[Item]\":\n        return self.__h\n";
    assert_eq!(attribute_class("_h", built).as_deref(), Some("Heartbeater"));
    // bound to something the text does not type, or to two classes
    let untyped = format!("{text}\n    def reset(self):\n        self._heartbeater = make()\n");
    assert_eq!(attribute_class("_heartbeater", &untyped), None);
    let two = format!("{text}\n    def reset(self):\n        self._heartbeater = Other()\n");
    assert_eq!(attribute_class("_heartbeater", &two), None);
    assert_eq!(attribute_class("_queue", text), None);
    // a field the class body annotates (a dataclass's)
    let field = "@dataclass\nclass Service:\n    db_session: AsyncSession\n\n    async def clear(self, rows):\n        for r in rows:\n            await self.db_session.delete(r)\n";
    assert_eq!(
        attribute_class("db_session", field).as_deref(),
        Some("AsyncSession")
    );
    assert!(async_session(
        "AsyncSession",
        "if TYPE_CHECKING:\n    from sqlmodel.ext.asyncio.session import AsyncSession\n"
    ));
    assert!(!async_session(
        "AsyncSession",
        "from app.db import AsyncSession\nfrom sqlalchemy.ext.asyncio import AsyncSession\n"
    ));
    assert!(!async_session(
        "AsyncSession",
        "class AsyncSession:\n    pass\n"
    ));
}

#[test]
fn a_local_name_is_typed_by_its_function_alone() {
    let text = "async def a(tracker: Tracker, items):\n    for item in items:\n        await tracker.track(item)\n\n\nasync def b(tracker, items):\n    for item in items:\n        await tracker.track(item)\n\n\nasync def c(items):\n    tracker = Tracker(items)\n    for item in items:\n        await tracker.track(item)\n\n\nasync def d(trackers, items):\n    for tracker in trackers:\n        await tracker.track(item)\n\n\nasync def e(items):\n    tracker, n = make(items)\n    for item in items:\n        await tracker.track(item)\n";
    assert_eq!(local_class("tracker", 3, text).as_deref(), Some("Tracker"));
    assert_eq!(local_class("tracker", 8, text), None);
    assert_eq!(local_class("tracker", 14, text).as_deref(), Some("Tracker"));
    assert_eq!(local_class("tracker", 19, text), None);
    assert_eq!(local_class("tracker", 25, text), None);
    // passed on by keyword: not a binding
    let kw = "async def f(tracker: Tracker, items):\n    for item in items:\n        await tracker.track(item)\n    other(a, tracker=tracker)\n";
    assert_eq!(local_class("tracker", 3, kw).as_deref(), Some("Tracker"));
}
