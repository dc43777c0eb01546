#!/usr/bin/env python3
"""What a default `perfhive scan` does not list, measured: the findings an `--all-findings`
scan adds to a default scan, less those in one-off code (measured in earlier rounds), a seeded
sample of them joined with labels made blind to which list a finding came from
(bench/scan/protocol.md, round 4). Standard library only.

    hidden.py --name vendure --default scan-vendure.json --all all-vendure.json \
              --labels labels/hidden/vendure.tsv [--size 20] [--seed hidden-2026-12-04-r4] \
              [--todo todo.tsv]

Prints the precision of the hidden sample, by why each finding was not listed (`unsized`: a
per-item finding in a loop whose names do not tell its size; `off-request`: code not found on
the request path of code that serves requests), with 95% Wilson intervals.
"""

import argparse
import collections
import csv
import json

from heldout import fmt, rank

ONE_OFF = {"migration", "command", "script", "test", "build", "startup"}


def why(f):
    if f.get("run_context", "unknown") in ONE_OFF:
        return "one-off"
    if (f.get("context") or {}).get("size") == "unknown":
        return "unsized"
    return "off-request"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True)
    ap.add_argument("--default", required=True)
    ap.add_argument("--all", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--size", type=int, default=20)
    ap.add_argument("--seed", default="hidden-2026-12-04-r4")
    ap.add_argument("--todo")
    a = ap.parse_args()

    key = lambda f: (f["rule_id"], f["file"], int(f["line"]))
    shown = {key(f) for f in json.load(open(a.default))["findings"]}
    hidden = {}
    for f in json.load(open(a.all))["findings"]:
        if key(f) not in shown and why(f) != "one-off":
            hidden.setdefault(key(f), f)
    sample = sorted(hidden, key=lambda k: rank(a.seed, k))[: a.size]
    labels = {}
    try:
        with open(a.labels, newline="") as fh:
            for row in csv.DictReader((l for l in fh if not l.startswith("#")), delimiter="\t"):
                labels[(row["rule_id"], row["path"], int(row["line"]))] = row["verdict"].strip().upper()
    except FileNotFoundError:
        pass
    by = collections.defaultdict(lambda: [0, 0])
    todo = []
    for k in sample:
        if k not in labels:
            todo.append(k)
            continue
        w = why(hidden[k])
        for g in (w, "all"):
            by[g][0] += labels[k] == "TP"
            by[g][1] += 1
    print(f"== {a.name}: {len(hidden)} hidden (one-off aside), {len(sample)} sampled, "
          f"{by['all'][1]} labelled")
    for g in sorted(by):
        print(f"  {g}: {fmt(*by[g])}")
    if todo:
        print(f"!! {len(todo)} sampled hidden finding(s) unlabelled")
        if a.todo:
            with open(a.todo, "w") as out:
                out.write("rule_id\tpath\tline\tverdict\twhere\treason\t# scanner run context | snippet\n")
                for k in sorted(todo, key=lambda k: (k[1], k[2])):
                    f = hidden[k]
                    snip = " ".join(f["snippet"].split())[:140]
                    out.write(f"{k[0]}\t{k[1]}\t{k[2]}\t\t\t\t# {f.get('run_context')} | {snip}\n")


if __name__ == "__main__":
    main()
