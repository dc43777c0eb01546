//! Awaits of a helper that only sleeps, imported from another module of the project
//! (`await _cooperative_yield(i)`, whose body is `if i % 64 == 0: await asyncio.sleep(0)`):
//! like `await asyncio.sleep(…)` itself, which the `await` rules leave alone, it gives other
//! tasks a turn and does no I/O. The facts pass reads each Python module's top-level `async
//! def`s whose only awaits are sleeps ([`sleepers`]); after the walk, [`drop_sleeps`] takes
//! such awaits out of the per-item `await` findings, and drops a finding with none left. A
//! helper the same file defines is judged during the walk (`inert.rs`).

use crate::finding::Finding;
use regex::Regex;
use std::sync::OnceLock;

/// The rule whose findings list awaits of sleepers.
const RULE: &str = "py-await-in-loop";

/// The top-level `async def`s of a Python file whose bodies await nothing but a sleep
/// (`asyncio.sleep`, `anyio.sleep`, `trio.sleep`, `sleep`) at least once, with no `async
/// for` or `async with`.
pub(crate) fn sleepers(text: &str) -> Vec<String> {
    static DEF: OnceLock<Regex> = OnceLock::new();
    static SLEEP: OnceLock<Regex> = OnceLock::new();
    if !text.contains("sleep(") || !text.contains("async def") {
        return Vec::new();
    }
    let def = crate::runs::re(
        &DEF,
        r"(?m)^async[ \t]+def[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(",
    );
    let sleep = crate::runs::re(
        &SLEEP,
        r"^await[ \t]+(?:(?:asyncio|anyio|trio)[ \t]*\.[ \t]*)?sleep[ \t]*\(",
    );
    def.captures_iter(text)
        .filter_map(|c| {
            let at = c.get(0)?.start();
            let body = crate::drf::block(text, at);
            // the body after the header's line: every `await` a sleep, at least one
            let mut awaits = body.match_indices("await").filter(|(i, _)| {
                let before = body[..*i].chars().next_back();
                let after = body[i + 5..].chars().next();
                !before.is_some_and(|ch| ch.is_alphanumeric() || ch == '_')
                    && after.is_some_and(|ch| ch == ' ' || ch == '\t')
            });
            let mut any = false;
            let only_sleeps = awaits.all(|(i, _)| {
                any = true;
                sleep.is_match(&body[i..])
            });
            // a triple-quoted string left open cuts the body short where it reaches the first
            // column: the rest of the body is not seen
            let open_string =
                (body.matches("\"\"\"").count() + body.matches("\'\'\'").count()) % 2 == 1;
            let nested = body.contains("async for") || body.contains("async with") || open_string;
            (any && only_sleeps && !nested).then(|| c[1].to_string())
        })
        .collect()
}

/// Takes the awaits of an imported sleeper out of the `py-await-in-loop` findings, and drops
/// a finding with none left. `sleeping` gives each file's sleepers; `text_of` a file's text.
pub(crate) fn drop_sleeps<'f>(
    findings: &mut Vec<Finding>,
    classes: &mut Vec<Option<String>>,
    sleeping: impl IntoIterator<Item = (&'f str, &'f [String])>,
    text_of: &dyn Fn(&str) -> Option<String>,
) {
    if !findings.iter().any(|f| f.rule_id == RULE) {
        return;
    }
    // every Python file of the scan, with its sleepers: a module is resolved only when one
    // file of the scan is it (`from utils import x` may name several `utils.py`)
    let files: Vec<(&str, &[String])> = sleeping.into_iter().collect();
    if files.iter().all(|(_, s)| s.is_empty()) {
        return;
    }
    static CALL: OnceLock<Regex> = OnceLock::new();
    let call = crate::runs::re(&CALL, r"^await[ \t]+([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(");
    crate::finding::judge_statements(findings, classes, RULE, text_of, true, |f, text| {
        let sleeps = |s: &str| {
            let Some(name) = call.captures(s.trim_start()).map(|c| c[1].to_string()) else {
                return false;
            };
            // bound under another name (`import upload as tick`), defined again by the file
            // itself (judged during the walk), star-imported, or a module several files of the
            // scan may be: the name the module defines is not known to be the one awaited
            crate::callees::imported_file(&name, &f.file, text, &files)
                .and_then(|m| files.iter().find(|(file, _)| *file == m))
                .is_some_and(|(_, names)| names.contains(&name))
        };
        f.statements_or_self()
            .into_iter()
            .filter(|s| !sleeps(&s.text))
            .collect()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_that_only_sleep_are_read_from_their_module() {
        let utils = "\
import asyncio


async def _cooperative_yield(i: int, every: int = 64) -> None:
    \"\"\"Give other tasks a turn.\"\"\"
    if i % every == 0:
        await asyncio.sleep(0)


async def fetch(client, url):
    await asyncio.sleep(0.1)
    return await client.get(url)


async def stream(rows):
    async for r in rows:
        await asyncio.sleep(0)


async def nothing():
    return 1
";
        assert_eq!(sleepers(utils), ["_cooperative_yield"]);
    }
}
