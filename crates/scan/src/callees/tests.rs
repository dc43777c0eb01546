//! Tests of resolving an awaited callee.
use super::*;

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
    let text = "for x in xs:\n    await a(x)\n    y = (await a(x), await b(x))\n    await a(\n        await b(x),\n    )\n";
    let starts = bind::line_starts(text);
    assert!(single_await(text, &starts, 2));
    assert!(!single_await(text, &starts, 3));
    assert!(!single_await(text, &starts, 4));
}

#[test]
fn sessions_and_modules_are_read_from_the_imports() {
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
    assert!(relative(
        "from .utils import (\n    a,\n    to_model,\n)\n",
        "to_model"
    ));
    assert!(!relative("from app.utils import to_model\n", "to_model"));
    assert!(rebound_at_top(
        "async def to_model(row):\n    return row\nto_model = via_api(to_model)\n",
        "to_model"
    ));
    assert!(!rebound_at_top(
        "async def to_model(row):\n    to_model = 1\n    return row\n",
        "to_model"
    ));
}
