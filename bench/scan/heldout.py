#!/usr/bin/env python3
"""Held-out precision of `perfhive scan` by the protocol of bench/scan/protocol.md: the seeded
sample of a corpus's findings, joined with the labels. Standard library only.

    heldout.py --name pretix --scan scan.json --labels labels/pretix.tsv \
               [--size 60] [--all 150] [--seed heldout-2026-12-03] [--todo todo.tsv] [--json out.json]

Sample: every finding when there are at most `--all`; otherwise the `--size` findings whose key
`(rule_id, path, line)` has the lowest sha256("<seed>|rule_id|path|line") (big-endian).
Labels: TSV `rule_id path line verdict where reason`, verdict TP or FP, where one of request,
background, one-off, library (where the code runs as the labeller reads it).
Prints precision overall, per rule, on request-path code (by the label and by the scanner's
run context), with 95% Wilson intervals, and how often the scanner's run context agrees.
"""

import argparse
import collections
import csv
import hashlib
import json
import math
import sys

ONE_OFF = {"migration", "command", "script", "test", "build"}


def rank(seed, k):
    return int.from_bytes(hashlib.sha256(f"{seed}|{k[0]}|{k[1]}|{k[2]}".encode()).digest(), "big")


def wilson(tp, n, z=1.96):
    if n == 0:
        return (float("nan"), float("nan"))
    p = tp / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (c - h, c + h)


def fmt(tp, n):
    if n == 0:
        return "n/a"
    lo, hi = wilson(tp, n)
    return f"{100 * tp / n:.0f}% ({tp}/{n}; 95% CI {max(0.0, 100 * lo):.0f}–{min(100.0, 100 * hi):.0f}%)"


def scanner_where(f):
    rc = f.get("run_context", "unknown")
    return "one-off" if rc in ONE_OFF else rc


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--scan", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--size", type=int, default=60)
    ap.add_argument("--all", type=int, default=150)
    ap.add_argument("--seed", default="heldout-2026-12-03")
    ap.add_argument("--todo")
    ap.add_argument("--json")
    a = ap.parse_args()

    report = json.load(open(a.scan))
    findings = {}
    for f in report["findings"]:
        findings.setdefault((f["rule_id"], f["file"], int(f["line"])), f)
    keys = sorted(findings)
    if len(keys) > a.all:
        keys = sorted(keys, key=lambda k: rank(a.seed, k))[: a.size]
    labels = {}
    try:
        with open(a.labels, newline="") as fh:
            for row in csv.DictReader((l for l in fh if not l.startswith("#")), delimiter="\t"):
                v = row["verdict"].strip().upper()
                if v not in ("TP", "FP"):
                    sys.exit(f"{a.labels}: bad verdict {v!r} in {row}")
                labels[(row["rule_id"], row["path"], int(row["line"]))] = (v, row["where"].strip())
    except FileNotFoundError:
        pass

    todo = [k for k in keys if k not in labels]
    if a.todo:
        with open(a.todo, "w") as out:
            out.write("rule_id\tpath\tline\tverdict\twhere\treason\t# scanner run context | snippet\n")
            for k in todo:
                f = findings[k]
                snip = " ".join(f["snippet"].split())[:140]
                out.write(f"{k[0]}\t{k[1]}\t{k[2]}\t\t\t\t# {f.get('run_context')} | {snip}\n")
    lab = [(k, labels[k]) for k in keys if k in labels]
    per_rule = collections.defaultdict(lambda: [0, 0])
    req_label, req_scan, agree = [0, 0], [0, 0], 0
    for k, (v, where) in lab:
        tp = v == "TP"
        per_rule[k[0]][0] += tp
        per_rule[k[0]][1] += 1
        sw = scanner_where(findings[k])
        if where == "request":
            req_label[0] += tp
            req_label[1] += 1
        if sw == "request":
            req_scan[0] += tp
            req_scan[1] += 1
        agree += sw == where or (sw == "unknown" and where == "library")
    tp = sum(v == "TP" for _, (v, _) in lab)
    print(f"== {a.name}: {report['summary']['files']} files, {len(findings)} findings, "
          f"{len(keys)} sampled, {len(lab)} labelled")
    print(f"overall: {fmt(tp, len(lab))}")
    print(f"request path (labeller): {fmt(*req_label)}")
    print(f"request path (scanner):  {fmt(*req_scan)}")
    print(f"run context agrees with the label: {agree}/{len(lab)}")
    for r in sorted(per_rule):
        print(f"  {r}: {fmt(*per_rule[r])}")
    if todo:
        print(f"!! {len(todo)} sampled finding(s) unlabelled" + (f" (see {a.todo})" if a.todo else ""))
    if a.json:
        json.dump({"name": a.name, "files": report["summary"]["files"], "findings": len(findings),
                   "sampled": len(keys), "labelled": len(lab), "tp": tp,
                   "request_label": req_label, "request_scanner": req_scan, "agree": agree,
                   "per_rule": per_rule}, open(a.json, "w"), indent=2)


if __name__ == "__main__":
    main()
