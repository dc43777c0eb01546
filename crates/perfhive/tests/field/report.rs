//! Reading a report as a reader would: which finding names a route, a statement or a function,
//! what its recommendation says, and what confirms what.

use serde_json::Value;

/// The ranked findings of a report (each `{rank, score, confirmed_by, joined_on, finding}`).
pub fn ranked(report: &Value) -> Vec<&Value> {
    report["findings"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

/// Everything a finding says, lower-cased: title, detail, subject, functions, files, routes,
/// statements and its recommendation.
pub fn said(f: &Value) -> String {
    let f = if f.get("finding").is_some() {
        &f["finding"]
    } else {
        f
    };
    let mut s = String::new();
    for key in ["title", "detail", "subject"] {
        s.push_str(f[key].as_str().unwrap_or(""));
        s.push('\n');
    }
    for key in ["functions", "files", "routes", "statements"] {
        s.push_str(&f[key].to_string());
        s.push('\n');
    }
    s.push_str(&recommended(f));
    s.to_lowercase()
}

/// A finding's recommendation (action and impact), lower-cased; empty without one.
pub fn recommended(f: &Value) -> String {
    let f = if f.get("finding").is_some() {
        &f["finding"]
    } else {
        f
    };
    let r = &f["recommendation"];
    format!(
        "{}\n{}",
        r["action"].as_str().unwrap_or(""),
        r["impact"].as_str().unwrap_or("")
    )
    .to_lowercase()
}

/// Whether `text` contains any of `words` (lower-case).
pub fn any_of(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

/// One line per ranked finding (rank, investigator, title, recommendation): what a failed
/// assertion quotes so the report's actual words are in the test output.
pub fn summary(report: &Value) -> String {
    let mut s = String::new();
    for r in ranked(report) {
        let f = &r["finding"];
        s.push_str(&format!(
            "  #{} [{}] {} | routes {} | functions {} | confirmed by {} | fix: {}\n",
            r["rank"],
            f["investigator"].as_str().unwrap_or("?"),
            f["title"].as_str().unwrap_or(""),
            f["routes"],
            f["functions"],
            r["confirmed_by"],
            f["recommendation"]["action"].as_str().unwrap_or("-"),
        ));
    }
    for p in report["recommendations"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "  {}: {} (finding {})\n",
            p["priority"].as_str().unwrap_or("?"),
            p["recommendation"]["action"].as_str().unwrap_or(""),
            p["finding_id"].as_str().unwrap_or("")
        ));
    }
    s
}

/// The ranked findings for which `about` holds, and of those the first whose recommendation
/// satisfies `fix`; panics quoting the report when there is none.
pub fn expect_finding(
    report: &Value,
    what: &str,
    about: impl Fn(&str) -> bool,
    fix: impl Fn(&str) -> bool,
) -> Value {
    let about_it: Vec<&Value> = ranked(report)
        .into_iter()
        .filter(|f| about(&said(f)))
        .collect();
    if let Some(f) = about_it.iter().find(|f| fix(&recommended(f))) {
        return (*f).clone();
    }
    if about_it.is_empty() {
        panic!(
            "no finding is about {what}; the report's findings:\n{}",
            summary(report)
        );
    }
    let quoted: Vec<String> = about_it
        .iter()
        .map(|f| {
            format!(
                "  \"{}\" — fix: \"{}\"",
                f["finding"]["title"].as_str().unwrap_or(""),
                f["finding"]["recommendation"]["action"]
                    .as_str()
                    .unwrap_or("(none)")
            )
        })
        .collect();
    panic!(
        "findings about {what} exist but none recommends the right fix:\n{}\nall findings:\n{}",
        quoted.join("\n"),
        summary(report)
    );
}

/// A function's name reduced to its last path segment (`pkg.mod:fn` / `a::b::fn` → `fn`).
fn last_segment(name: &str) -> String {
    let name = name.split(['(', ' ']).next().unwrap_or(name);
    name.rsplit([':', '.', '/'])
        .next()
        .unwrap_or(name)
        .to_string()
}

/// The concrete things a finding is about: its routes, statements and functions (by last
/// segment) — not its broad subject (`database`, `cpu`), which two unrelated problems share.
fn keys(f: &Value) -> Vec<String> {
    let mut k = Vec::new();
    for r in f["routes"].as_array().into_iter().flatten() {
        k.push(format!("route {}", r["template"].as_str().unwrap_or("")));
    }
    for s in f["statements"].as_array().into_iter().flatten() {
        k.push(format!("statement {s}"));
    }
    for name in f["functions"].as_array().into_iter().flatten() {
        if let Some(n) = name.as_str() {
            k.push(format!("function {}", last_segment(n)));
        }
    }
    k
}

/// Whether two keys name the same thing: equal, or a route template and a concrete path of it
/// (`/customers/{}` and `/customers/7`: one request, as the load sent it and as the traces name it).
fn same_key(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match (a.strip_prefix("route "), b.strip_prefix("route ")) {
        (Some(x), Some(y)) => {
            perfhive_core::route::template_matches(x, y)
                || perfhive_core::route::template_matches(y, x)
        }
        _ => false,
    }
}

/// Every confirmation the report claims that no concrete shared key supports: finding F is
/// "confirmed by" investigator I, but no finding of I shares a route, a statement or a function
/// with F. One line per false confirmation, quoting both sides.
pub fn unsupported_confirmations(report: &Value) -> Vec<String> {
    let all = ranked(report);
    let mut bad = Vec::new();
    for r in &all {
        let f = &r["finding"];
        let mine = keys(f);
        for by in r["confirmed_by"].as_array().into_iter().flatten() {
            let by = by.as_str().unwrap_or("");
            let theirs: Vec<&Value> = all
                .iter()
                .map(|o| &o["finding"])
                .filter(|o| o["investigator"].as_str() == Some(by) && o["id"] != f["id"])
                .collect();
            let supported = theirs
                .iter()
                .any(|o| keys(o).iter().any(|k| mine.iter().any(|m| same_key(m, k))));
            if !supported {
                let other: Vec<String> = theirs
                    .iter()
                    .map(|o| format!("\"{}\" {:?}", o["title"].as_str().unwrap_or(""), keys(o)))
                    .collect();
                bad.push(format!(
                    "\"{}\" {:?} is confirmed by {by}, whose findings share no route, statement \
                     or function with it: {}",
                    f["title"].as_str().unwrap_or(""),
                    mine,
                    other.join("; ")
                ));
            }
        }
    }
    bad
}

/// The identity of the report's P0: the finding it addresses (investigator, subject, routes,
/// statements, functions), without any measured number.
pub fn p0_identity(report: &Value) -> Option<String> {
    let p0 = report["recommendations"]
        .as_array()?
        .iter()
        .find(|p| p["priority"] == "P0")?;
    let id = &p0["finding_id"];
    let f = ranked(report)
        .into_iter()
        .map(|r| &r["finding"])
        .find(|f| &f["id"] == id)?;
    let mut k = keys(f);
    k.sort();
    Some(format!(
        "[{}] {} {:?}",
        f["investigator"].as_str().unwrap_or(""),
        f["subject"].as_str().unwrap_or(""),
        k
    ))
}

/// The 1-based line range `[def, end]` of Python function `name` in `source` (to the next
/// top-level statement), or of a JavaScript function by the same rule.
pub fn def_lines(source: &str, name: &str) -> (usize, usize) {
    let lines: Vec<&str> = source.lines().collect();
    let start = lines
        .iter()
        .position(|l| {
            l.starts_with(&format!("def {name}(")) || l.contains(&format!("function {name}("))
        })
        .unwrap_or_else(|| panic!("no function {name} in the source"));
    let end = lines[start + 1..]
        .iter()
        .position(|l| !l.is_empty() && !l.starts_with([' ', '\t', '}', ')']))
        .map_or(lines.len(), |i| start + i);
    (start + 1, end)
}

/// Whether `text` cites `file:LINE` with LINE in `lines`.
pub fn cites_line(text: &str, file: &str, lines: (usize, usize)) -> bool {
    text.match_indices(&format!("{file}:")).any(|(i, m)| {
        let digits: String = text[i + m.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits
            .parse::<usize>()
            .is_ok_and(|n| n >= lines.0 && n <= lines.1)
    })
}

/// Each of `names` ran and measured: its verdict is `found` or `clean` (not insufficient data,
/// failed or timed out) — or, for the sweep, levels measured with the advice withheld from a
/// poor fit; panics quoting the summaries of those that did not.
pub fn expect_verdicts(report: &Value, names: &[&str]) {
    let mut bad = Vec::new();
    for name in names {
        let inv = report["investigators"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["name"] == *name);
        match inv {
            None => bad.push(format!("{name}: not in the report")),
            Some(i) if i["verdict"] == "found" || i["verdict"] == "clean" => {}
            // a sweep that measured its levels but withholds advice from a poor fit (the
            // levels are noisier than the curve): measured, with advice held back by design
            Some(i)
                if *name == "sweep"
                    && i["verdict"] == "insufficient_data"
                    && i["summary"]
                        .as_str()
                        .is_some_and(|s| s.contains("concurrency levels, USL")) => {}
            Some(i) => bad.push(format!(
                "{name}: {} — \"{}\"",
                i["verdict"],
                i["summary"].as_str().unwrap_or("")
            )),
        }
    }
    assert!(
        bad.is_empty(),
        "investigators without a result:\n{}",
        bad.join("\n")
    );
}

/// The trace investigator's phases (span names) include one per route in `routes`: the
/// spans of the baseline's requests arrived, not only those of the app's start-up.
pub fn expect_request_spans(report: &Value, routes: &[&str]) {
    let phases: Vec<String> = report["investigators"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["name"] == "traces")
        .flat_map(|i| {
            i["data"]["summary"]["phases"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    let missing: Vec<&&str> = routes
        .iter()
        .filter(|r| !phases.iter().any(|p| p.contains(**r)))
        .collect();
    assert!(
        missing.is_empty(),
        "no spans of the requests to {missing:?} arrived; the trace phases are: {phases:?}"
    );
}

/// Whether a ranked finding is about the route `method template` (`POST`, `/import`).
pub fn about_route(f: &Value, method: &str, template: &str) -> bool {
    f["finding"]["routes"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| r["method"] == method && r["template"] == template)
}

/// Fixes for an N+1 read: fetch the related rows in one query.
pub const READ_FIX: &[&str] = &[
    "selectinload",
    "joinedload",
    "select_related",
    "prefetch_related",
    " in (",
    "wherein",
    "a join",
];

/// Fixes for row-by-row writes: one batched insert in one transaction.
pub const WRITE_FIX: &[&str] = &[
    "add_all",
    "executemany",
    "bulk",
    "batched insert",
    "insert(table)",
    "in one batch",
    "one transaction",
];

/// The findings for which `about` holds whose recommendation gives a fix of the `wrong` kind
/// and none of the `right` kind (advice that covers both kinds of loop is not wrong), quoted.
pub fn wrong_kind_of_fix(
    report: &Value,
    about: impl Fn(&Value) -> bool,
    wrong: &[&str],
    right: &[&str],
) -> Vec<String> {
    ranked(report)
        .into_iter()
        .filter(|f| about(f))
        .filter(|f| {
            let fix = recommended(f);
            any_of(&fix, wrong) && !any_of(&fix, right)
        })
        .map(|f| {
            format!(
                "  {} \"{}\" — fix: \"{}\"",
                f["finding"]["id"].as_str().unwrap_or(""),
                f["finding"]["title"].as_str().unwrap_or(""),
                f["finding"]["recommendation"]["action"]
                    .as_str()
                    .unwrap_or("")
            )
        })
        .collect()
}

/// The processes of the profile that are the service's workers and were sampled.
pub fn sampled_workers(report: &Value) -> Vec<String> {
    report["investigators"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| i["name"] == "profile")
        .flat_map(|i| {
            i["data"]["processes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|p| p["role"] == "worker" && p["samples"].as_u64().is_some_and(|n| n > 0))
        .map(|p| p["pid"].to_string())
        .collect()
}
