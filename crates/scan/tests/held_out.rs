//! The built-in rules' `held-out` figures are the labels kept in `bench/scan/labels/`: every
//! label file of a held-out round (its first line says so), pooled per rule. A new round's
//! labels change the figures, and with them, through [`Confidence::of_held_out`], a rule's
//! confidence; this test fails until the rule files say so. And `min_confidence` lists only
//! the findings of rules that reach it.

use perfhive_scan::{builtin_rules, Confidence, HeldOut};
use std::collections::BTreeMap;
use std::path::Path;

/// Per rule id: (labelled, worth changing), from every held-out label file in `dir`.
fn tally(dir: &Path) -> BTreeMap<String, (u32, u32)> {
    let mut t: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    files.sort();
    let mut rounds = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        if !text.starts_with("# Held-out labels") {
            continue; // a tuning corpus's labels
        }
        rounds += 1;
        for (i, line) in text.lines().enumerate() {
            let cols: Vec<&str> = line.split('\t').collect();
            if line.starts_with('#') || line.trim().is_empty() || cols[0] == "rule_id" {
                continue;
            }
            let verdict = cols.get(3).copied().unwrap_or("");
            let e = t.entry(cols[0].to_string()).or_default();
            e.0 += 1;
            match verdict {
                "TP" => e.1 += 1,
                "FP" => {}
                v => panic!(
                    "{}:{}: verdict {v:?}, expected TP or FP",
                    f.display(),
                    i + 1
                ),
            }
        }
    }
    assert!(
        rounds >= 70,
        "only {rounds} held-out label files in {}",
        dir.display()
    );
    t
}

#[test]
fn held_out_figures_are_the_labels() {
    let labels = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/scan/labels");
    let mut t = tally(&labels);
    let mut wrong = Vec::new();
    for r in builtin_rules() {
        let want = t.remove(&r.id).map(|(labelled, worth_changing)| HeldOut {
            labelled,
            worth_changing,
        });
        if r.held_out != want {
            wrong.push(format!(
                "{}: file says {:?}, labels say {want:?}",
                r.id, r.held_out
            ));
        }
        if let Some(c) = want.and_then(Confidence::of_held_out) {
            assert_eq!(r.confidence, c, "{}", r.id);
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(t.is_empty(), "labels of rules that are not built in: {t:?}");
}

#[test]
fn confidence_follows_the_share_worth_changing() {
    let c = |labelled, worth_changing| {
        Confidence::of_held_out(HeldOut {
            labelled,
            worth_changing,
        })
    };
    assert_eq!(c(9, 9), None);
    assert_eq!(c(10, 7), Some(Confidence::High));
    assert_eq!(c(100, 69), Some(Confidence::Medium));
    assert_eq!(c(10, 4), Some(Confidence::Medium));
    assert_eq!(c(100, 39), Some(Confidence::Low));
    assert_eq!(c(216, 72), Some(Confidence::Low));
    // the share shown is rounded down: one shown as 70% is high
    let phrase = |labelled, worth_changing| {
        HeldOut {
            labelled,
            worth_changing,
        }
        .phrase()
    };
    assert_eq!(phrase(23, 16), "69% of 23");
    assert_eq!(c(23, 16), Some(Confidence::Medium));
    assert_eq!(phrase(10, 7), "70% of 10");
    assert_eq!(phrase(0, 0), "0% of 0");
}

#[test]
fn a_confidence_its_figures_contradict_is_an_error() {
    let rule = |head: &str| {
        format!("id: r\nlanguage: python\n{head}message: m\nrule:\n  pattern: time.sleep($$$)\n")
    };
    let e = perfhive_scan::rules_from_str(
        "r.yaml",
        &rule("confidence: high\nheld-out: { labelled: 20, worth-changing: 4 }\n"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("r.yaml:3:1"), "{e}");
    assert!(e.contains("20% of 20") && e.contains("`low`"), "{e}");
    let e = perfhive_scan::rules_from_str(
        "r.yaml",
        &rule("held-out: { labelled: 2, worth-changing: 3 }\n"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("r.yaml:3:1") && e.contains("at most"), "{e}");
    // no confidence written: the figures give it; too few of them: medium
    let r = perfhive_scan::rules_from_str(
        "r.yaml",
        &rule("held-out: { labelled: 30, worth-changing: 24 }\n"),
    )
    .unwrap();
    assert_eq!(r[0].confidence, Confidence::High);
    assert_eq!(r[0].held_out.unwrap().phrase(), "80% of 30");
    let r = perfhive_scan::rules_from_str(
        "r.yaml",
        &rule("held-out: { labelled: 3, worth-changing: 0 }\n"),
    )
    .unwrap();
    assert_eq!(r[0].confidence, Confidence::Medium);
}

#[test]
fn min_confidence_lists_only_what_reaches_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("svc.py"),
        "def a(cursor, orders):\n    for order in orders:\n        cursor.execute(\"SELECT 1 FROM t WHERE id = %s\", (order,))\n\
         \nasync def b(client, urls):\n    for url in urls:\n        await client.get(url)\n\
         \ndef c(rows):\n    for row in rows:\n        time.sleep(1)\n",
    )
    .unwrap();
    let rules = perfhive_scan::rules_from_str(
        "r.yaml",
        "id: sure\nlanguage: python\nconfidence: high\nmessage: m\nrule:\n  pattern: cursor.execute($$$)\n\
         ---\nid: maybe\nlanguage: python\nconfidence: medium\nmessage: m\nrule:\n  pattern: time.sleep($$$)\n\
         ---\nid: unsure\nlanguage: python\nconfidence: low\nmessage: m\nrule:\n  pattern: await client.get($$$)\n",
    )
    .unwrap();
    let opts = perfhive_scan::ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        threads: 1,
        ..Default::default()
    };
    let all = perfhive_scan::scan_with(&rules, &opts).unwrap();
    assert_eq!(all.findings.len(), 3, "{:#?}", all.findings);
    assert_eq!(all.summary.findings_low_confidence_hidden, 0);
    for (min, listed, hidden) in [
        (Confidence::Medium, &["sure", "maybe"][..], 1),
        (Confidence::High, &["sure"][..], 2),
    ] {
        let r = perfhive_scan::scan_with(
            &rules,
            &perfhive_scan::ScanOptions {
                min_confidence: min,
                ..opts.clone()
            },
        )
        .unwrap();
        let ids: Vec<&str> = r.findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, listed);
        assert_eq!(r.summary.findings_low_confidence_hidden, hidden);
        assert!(r.summary_line().contains("(--min-confidence)"));
    }
}
