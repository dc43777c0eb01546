//! One loop, one statement, one finding: a statement that a rule reports for what it does (a
//! query per item, an HTTP request per item) is not reported again by the rule that only says
//! it is awaited in the loop.

use crate::finding::Finding;
use std::collections::HashSet;

/// A statement in a loop that a rule reports for what it does (a query per item, an HTTP
/// request per item) is not reported again by the rule that only says it is awaited
/// (`*-await-in-loop`): one loop, one statement, one finding. The await finding keeps its
/// other statements (the first of them becomes its location), or goes. Run after suppression:
/// a suppressed finding does not take a statement from the await rule.
pub(crate) fn drop_restated_awaits(findings: &mut Vec<Finding>, classes: &mut Vec<Option<String>>) {
    fn in_loop(f: &Finding) -> Option<u32> {
        f.context
            .as_ref()
            .filter(|c| c.kind == "loop")
            .map(|c| c.line)
    }
    fn lines(f: &Finding) -> Vec<u32> {
        if f.statements.is_empty() {
            vec![f.line]
        } else {
            f.statements.iter().map(|s| s.line).collect()
        }
    }
    let awaits = |f: &Finding| f.rule_id.ends_with("-await-in-loop");
    // what a suppressed finding reports is not reported by it
    let told: HashSet<(u32, u32)> = findings
        .iter()
        .filter(|f| !awaits(f) && f.suppressed.is_none())
        .filter_map(|f| in_loop(f).map(|l| lines(f).into_iter().map(move |s| (l, s))))
        .flatten()
        .collect();
    if told.is_empty() {
        return;
    }
    let mut keep = Vec::with_capacity(findings.len());
    for f in findings.iter_mut() {
        let Some(l) = in_loop(f).filter(|_| awaits(f)) else {
            keep.push(true);
            continue;
        };
        if f.statements.is_empty() {
            keep.push(!told.contains(&(l, f.line)));
            continue;
        }
        f.statements.retain(|s| !told.contains(&(l, s.line)));
        if let Some(first) = f.statements.first().cloned() {
            if first.line != f.line {
                f.line = first.line;
                f.column = first.column;
                f.end_line = first.line;
                f.end_column = first.column + first.text.chars().count() as u32;
                f.snippet = first.text;
            }
        }
        if f.statements.len() == 1 {
            f.statements.clear();
        }
        keep.push(!f.statements.is_empty() || !told.contains(&(l, f.line)));
    }
    crate::engine::keep_paired(findings, classes, &keep);
}

#[cfg(test)]
mod tests {
    use crate::{Finding, Language};

    fn scan(lang: Language, file: &str, text: &str) -> Vec<Finding> {
        let rules = crate::builtin_rules();
        crate::scan_text(&rules, lang, file, text).0
    }

    fn lines(f: &Finding) -> Vec<u32> {
        if f.statements.is_empty() {
            vec![f.line]
        } else {
            f.statements.iter().map(|s| s.line).collect()
        }
    }

    #[test]
    fn an_http_call_per_item_is_one_finding_not_two() {
        let text = "export async function loadAll(files) {\n  const out = [];\n  for (const file of files) {\n    const blob = await fetch(file.url).then((r) => r.blob());\n    out.push(blob);\n  }\n  return out;\n}\n";
        let f = scan(Language::JavaScript, "svc.js", text);
        let ids: Vec<&str> = f.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, vec!["js-http-call-in-loop"], "{f:#?}");
        assert_eq!(f[0].line, 4);
    }

    #[test]
    fn a_suppressed_http_finding_leaves_the_statement_to_the_await_rule() {
        let text = "export async function loadAll(files) {\n  for (const file of files) {\n    // perfhive: ignore[js-http-call-in-loop] -- one file per call by contract\n    await fetch(file.url);\n  }\n}\n";
        let f = scan(Language::JavaScript, "svc.js", text);
        let aw = f.iter().find(|f| f.rule_id == "js-await-in-loop");
        assert_eq!(
            aw.map(|f| (f.line, f.suppressed.is_none())),
            Some((4, true)),
            "{f:#?}"
        );
    }

    #[test]
    fn the_await_finding_keeps_what_no_other_rule_reports() {
        // the fetch is the HTTP rule's; the other await stays the await rule's, and moves there
        let text = "export async function sync(files) {\n  for (const file of files) {\n    const res = await fetch(file.url);\n    await notify(file.id, res);\n  }\n}\n";
        let f = scan(Language::JavaScript, "svc.js", text);
        let http = f
            .iter()
            .find(|f| f.rule_id == "js-http-call-in-loop")
            .expect("http");
        let aw = f
            .iter()
            .find(|f| f.rule_id == "js-await-in-loop")
            .expect("await");
        assert_eq!(lines(http), vec![3]);
        assert_eq!(lines(aw), vec![4]);
        assert_eq!(
            (aw.line, aw.snippet.as_str()),
            (4, "await notify(file.id, res)")
        );
        // without the HTTP call, the await rule reports both awaits
        let plain = text.replace("await fetch(file.url)", "await store.load(file.url)");
        let f = scan(Language::JavaScript, "svc.js", &plain);
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(lines(&f[0]), vec![3, 4]);
    }
}
