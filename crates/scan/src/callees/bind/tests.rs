//! Tests of reading what a name is bound to.
use super::*;

fn local(name: &str, line: usize, text: &str) -> Option<String> {
    local_class(name, line, text, &line_starts(text))
}

fn attribute(name: &str, line: usize, text: &str) -> Option<String> {
    attribute_class(name, line, text, &line_starts(text))
}

#[test]
fn annotations_and_constructors_name_one_class() {
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
    assert_eq!(constructed("Heartbeater(\n"), Some("Heartbeater"));
    assert_eq!(constructed("make_heartbeater(model)"), None);
    assert_eq!(constructed("heartbeater"), None);
    // one call and nothing else
    assert_eq!(constructed("Heartbeater() if local else Remote()"), None);
    assert_eq!(constructed("Heartbeater() or Remote()"), None);
    assert!(whole("{}"));
    assert!(!whole("{} if testing else redis"));
}

#[test]
fn an_attribute_is_typed_by_the_bindings_of_its_class() {
    let text = "class Fetcher:\n    def __init__(self, queue, heartbeater: Heartbeater[ItemT]) -> None:\n        self._queue = queue\n        self._heartbeater = heartbeater\n\n    async def start(self):\n        for item in items:\n            await self._heartbeater.track(item)\n";
    assert_eq!(
        attribute("_heartbeater", 8, text).as_deref(),
        Some("Heartbeater")
    );
    assert_eq!(attribute("_queue", 8, text), None);
    // built by the constructor, or returned by a property
    let built = "class P:\n    def __init__(self):\n        self.__h = Heartbeater[Item](m)\n\n    @property\n    def _h(self) -> \"Heartbeater[Item]\":\n        return self.__h\n\n    async def run(self, items):\n        for i in items:\n            await self._h.track(i)\n";
    assert_eq!(attribute("_h", 11, built).as_deref(), Some("Heartbeater"));
    // bound to something the text does not type, to two classes, or unpacked
    for extra in [
        "        self._heartbeater = make()\n",
        "        self._heartbeater = Other()\n",
        "        self._heartbeater, self._url = connect(url), url\n",
        "        self._heartbeater = Heartbeater() if url is None else Remote(url)\n",
    ] {
        let t = format!("{text}\n    def reset(self):\n{extra}");
        assert_eq!(attribute("_heartbeater", 8, &t), None, "{extra}");
    }
    // another class of the file binds the same name: only the await's class counts
    let other = format!(
        "class Local:\n    def __init__(self):\n        self._heartbeater = Heartbeater()\n\n\n{}",
        text.replace("heartbeater: Heartbeater[ItemT]", "heartbeater")
    );
    assert_eq!(attribute("_heartbeater", 13, &other), None);
    // a parameter of another function does not type the one assigned
    let param = "class Fetcher:\n    def __init__(self, heartbeater):\n        self._h = heartbeater\n\n    async def run(self, items):\n        for i in items:\n            await self._h.track(i)\n\n\ndef local(heartbeater: Heartbeater):\n    return Fetcher(heartbeater)\n";
    assert_eq!(attribute("_h", 7, param), None);
    // a field the class body annotates (a dataclass's)
    let field = "@dataclass\nclass Service:\n    db_session: AsyncSession\n\n    async def clear(self, rows):\n        for r in rows:\n            await self.db_session.delete(r)\n";
    assert_eq!(
        attribute("db_session", 7, field).as_deref(),
        Some("AsyncSession")
    );
}

#[test]
fn a_local_name_is_typed_by_its_function_alone() {
    let text = "async def a(tracker: Tracker, items):\n    for item in items:\n        await tracker.track(item)\n\n\nasync def b(tracker, items):\n    for item in items:\n        await tracker.track(item)\n\n\nasync def c(items):\n    tracker = Tracker(items)\n    for item in items:\n        await tracker.track(item)\n\n\nasync def d(trackers, items):\n    for tracker in trackers:\n        await tracker.track(item)\n\n\nasync def e(items):\n    tracker, n = make(items)\n    for item in items:\n        await tracker.track(item)\n";
    assert_eq!(local("tracker", 3, text).as_deref(), Some("Tracker"));
    assert_eq!(local("tracker", 8, text), None);
    assert_eq!(local("tracker", 14, text).as_deref(), Some("Tracker"));
    assert_eq!(local("tracker", 19, text), None);
    assert_eq!(local("tracker", 25, text), None);
    // passed on by keyword: not a binding
    let kw = "async def f(tracker: Tracker, items):\n    for item in items:\n        await tracker.track(item)\n    other(a, tracker=tracker)\n";
    assert_eq!(local("tracker", 3, kw).as_deref(), Some("Tracker"));
    let positional = "async def f(tracker: Tracker, items):\n    log(tracker, level=1)\n    for item in items:\n        await tracker.track(item)\n";
    assert_eq!(local("tracker", 4, positional).as_deref(), Some("Tracker"));
    // a keyword argument on its own line does not type an untyped parameter
    let kwarg = "async def f(request, items, tracker):\n    report = Report(\n        tracker=Heartbeater(),\n    )\n    for item in items:\n        await tracker.track(item)\n";
    assert_eq!(local("tracker", 6, kwarg), None);
    // a nested function's parameter is not the outer function's name
    let nested = "async def f(request, items):\n    tracker = make_remote()\n    def local(tracker: Heartbeater):\n        return tracker\n    for item in items:\n        await tracker.track(item)\n";
    assert_eq!(local("tracker", 6, nested), None);
    // rebound by a parenthesised unpacking
    let paren = "async def f(request, items, url):\n    tracker = Heartbeater()\n    if url:\n        (tracker, conn) = await connect(url)\n    for item in items:\n        await tracker.track(item)\n";
    assert_eq!(local("tracker", 6, paren), None);
}

#[test]
fn names_the_function_binds_itself_shadow_imports() {
    let text = "from app.convert import to_model\n\n\nasync def f(request, rows, kind):\n    to_model = registry.loader_for(kind)\n    for row in rows:\n        await to_model(row)\n\n\nasync def g(request, rows, convert: Remote):\n    for row in rows:\n        await convert.to_model(row)\n\n\nasync def h(request, rows):\n    for row in rows:\n        await to_model(row)\n";
    let starts = line_starts(text);
    assert!(binds_locally(text, &starts, 7, "to_model"));
    assert!(binds_locally(text, &starts, 12, "convert"));
    assert!(!binds_locally(text, &starts, 17, "to_model"));
}
