#!/usr/bin/env python3
"""Joins a fresh `perfhive scan --format json` report with hand-made labels and prints the
precision per rule and overall. Standard library only.

    precision.py --name ghost --root .corpus/ghost --scan scan.json --labels labels/ghost.tsv \
                 [--sample-rate 0.4 --seed 1] [--todo todo.tsv] [--json out.json]

Labels: a TSV with the header `rule_id  path  line  verdict  reason`; `path` is relative to the
corpus root, `verdict` is TP or FP. The key (rule_id, path, line) is stable across re-runs of
the same pinned corpus.

Sampling: when a corpus has hundreds of findings, only a uniform random sample is labelled.
A finding is in the sample when a seeded hash of its key falls below `--sample-rate`, so
membership is a property of the finding alone: fixing a rule removes findings from the sample
without reshuffling it, and a new finding joins it with the same probability as any other.

Findings in the sample without a label are listed (and written to --todo with their snippet
and context, to label); labels whose finding no longer appears are counted as `gone` (a fixed
false positive, or a lost true positive: both are shown).
"""

import argparse
import collections
import csv
import hashlib
import json
import os
import sys


def key_of(rule, path, line):
    return (rule, path, int(line))


def in_sample(key, rate, seed):
    if rate >= 1.0:
        return True
    h = hashlib.sha256(f"{seed}|{key[0]}|{key[1]}|{key[2]}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64 < rate


def load_labels(path):
    labels = {}
    if not os.path.exists(path):
        return labels
    with open(path, newline="") as f:
        for row in csv.DictReader((l for l in f if not l.startswith("#")), delimiter="\t"):
            v = row["verdict"].strip().upper()
            if v not in ("TP", "FP"):
                sys.exit(f"{path}: bad verdict {v!r} in {row}")
            labels[key_of(row["rule_id"], row["path"], row["line"])] = (v, row.get("reason", ""))
    return labels


def rel(file, root):
    # The scan runs in the corpus root, so relative paths are already relative to it.
    if not os.path.isabs(file):
        return os.path.normpath(file).replace(os.sep, "/")
    p = os.path.relpath(file, os.path.abspath(root))
    return p.replace(os.sep, "/")


def pct(tp, fp):
    return f"{100.0 * tp / (tp + fp):.1f}%" if tp + fp else "n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--root", required=True, help="corpus root the labels' paths are relative to")
    ap.add_argument("--scan", required=True, help="perfhive scan --format json output")
    ap.add_argument("--labels", required=True)
    ap.add_argument("--sample-rate", type=float, default=1.0)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--todo", help="write unlabeled sampled findings here (TSV)")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()

    report = json.load(open(a.scan))
    labels = load_labels(a.labels)
    findings = {}
    for f in report["findings"]:
        k = key_of(f["rule_id"], rel(f["file"], a.root), f["line"])
        findings.setdefault(k, f)

    per_rule = collections.defaultdict(lambda: collections.Counter())
    todo = []
    for k, f in sorted(findings.items()):
        c = per_rule[k[0]]
        c["findings"] += 1
        if not in_sample(k, a.sample_rate, a.seed):
            continue
        c["sampled"] += 1
        if k in labels:
            c[labels[k][0]] += 1
        else:
            c["unlabeled"] += 1
            todo.append((k, f))
    for k, (v, _) in labels.items():
        if k not in findings:
            per_rule[k[0]]["gone_" + v] += 1

    cols = ["findings", "sampled", "TP", "FP", "unlabeled", "gone_TP", "gone_FP"]
    print(f"== {a.name}: {report['summary']['files']} files scanned, {len(findings)} findings"
          + (f", sample rate {a.sample_rate} (seed {a.seed})" if a.sample_rate < 1 else ""))
    w = max([len(r) for r in per_rule] + [7])
    print(f"{'rule':<{w}} " + " ".join(f"{c:>9}" for c in cols) + f" {'precision':>9}")
    tot = collections.Counter()
    for r in sorted(per_rule):
        c = per_rule[r]
        tot.update(c)
        print(f"{r:<{w}} " + " ".join(f"{c[x]:>9}" for x in cols) + f" {pct(c['TP'], c['FP']):>9}")
    print(f"{'overall':<{w}} " + " ".join(f"{tot[x]:>9}" for x in cols) + f" {pct(tot['TP'], tot['FP']):>9}")
    if todo:
        print(f"!! {len(todo)} sampled finding(s) have no label"
              + (f": see {a.todo}" if a.todo else ""))
        for k, _ in todo[:20]:
            print(f"   {k[0]}\t{k[1]}\t{k[2]}")
    if a.todo:
        with open(a.todo, "w") as out:
            out.write("rule_id\tpath\tline\tverdict\treason\t# snippet | context | function\n")
            for k, f in todo:
                ctx = (f.get("context") or {}).get("text", "")
                snip = " ".join(f["snippet"].split())[:160]
                out.write(f"{k[0]}\t{k[1]}\t{k[2]}\t\t\t# {snip} | {ctx} | {f.get('function') or ''}\n")
    if a.json:
        json.dump({"name": a.name, "files": report["summary"]["files"], "findings": len(findings),
                   "sample_rate": a.sample_rate, "per_rule": {r: dict(c) for r, c in per_rule.items()},
                   "overall": dict(tot),
                   "precision": (tot["TP"] / (tot["TP"] + tot["FP"])) if tot["TP"] + tot["FP"] else None},
                  open(a.json, "w"), indent=2)


if __name__ == "__main__":
    main()
