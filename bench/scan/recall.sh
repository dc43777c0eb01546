#!/usr/bin/env bash
# Recall of the known true positives: every finding a reviewer judged worth changing in
# bench/scan/labels (the default listings and the hidden samples of every round, tuning and
# held-out alike), and whether today's build lists it by default. A true positive counts as
# kept when a listed finding is on its line or lists a statement there (whichever rule
# reports it: a finding's line moves with the statements it names). Never run by CI.
#
#   bash bench/scan/recall.sh                  # every labelled corpus
#   bash bench/scan/recall.sh ghost django     # only these
#
# Output: kept/known per corpus and overall; the lost ones in bench/out/scan/recall-lost.tsv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/scan/paths.sh
source "$here/paths.sh"
if [ $# -eq 0 ]; then
  # shellcheck disable=SC2046
  # every labelled corpus, also those whose default listing was empty (hidden sample only)
  set -- $(for f in "$here"/labels/*.tsv "$here"/labels/hidden/*.tsv; do basename "$f" .tsv; done | sort -u)
fi
bash "$here/corpus.sh" "$@" >/dev/null
args=()
for name in "$@"; do
  paths_of "$name"
  # shellcheck disable=SC2086
  (cd "$here/.corpus/$name" && "$PERFHIVE" scan $paths $langs --format json \
    --out "$out/recall-$name.json" >/dev/null 2>&1) || true
  [ -s "$out/recall-$name.json" ] || { echo "scan of $name failed" >&2; exit 1; }
  # shellcheck disable=SC2086
  (cd "$here/.corpus/$name" && "$PERFHIVE" scan $paths $langs --all-findings --all-rules \
    --format json --out "$out/recall-all-$name.json" >/dev/null 2>&1) || true
  args+=("$name")
done
python3 - "$here/labels" "$out" "${args[@]}" <<'PY'
import json, os, sys
labels, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
def tps(path):
    if not os.path.exists(path):
        return []
    rows = []
    for line in open(path):
        p = line.rstrip("\n").split("\t")
        if line.startswith("#") or p[0] == "rule_id" or len(p) < 4:
            continue
        if p[3] == "TP":
            rows.append((p[0], p[1], int(p[2]), p[-1]))
    return rows
OFF = {"py-regex-compile-in-loop", "js-regex-in-loop", "py-string-concat-in-loop",
       "js-blocking-call-in-async", "py-file-io-in-async", "py-select-star", "js-select-star",
       "py-unbounded-select", "js-unbounded-select", "py-cache-set-without-timeout"}
ONE_OFF = {"migration", "command", "script", "test", "build", "startup"}
def why_hidden(f):
    if f["rule_id"] in OFF:
        return f"hidden: {f['rule_id']} is off by default"
    if f.get("run_context") in ONE_OFF:
        return f"hidden: one-off code ({f['run_context']})"
    if (f.get("context") or {}).get("size") == "unknown":
        return "hidden: loop of unknown size"
    return f"hidden: off the request path ({f.get('run_context', 'unknown')})"
def lines(f):
    """Where a finding stands: its own line and those of the statements it lists."""
    return [(f["file"], f["line"])] + [(f["file"], s["line"]) for s in f.get("statements") or []]
kept_all = known_all = 0
lost = []
for name in names:
    listed = {at for f in json.load(open(f"{out}/recall-{name}.json"))["findings"] for at in lines(f)}
    known = sorted(set(tps(f"{labels}/{name}.tsv") + tps(f"{labels}/hidden/{name}.tsv")))
    if not known:
        continue
    kept = [k for k in known if (k[1], k[2]) in listed]
    kept_all += len(kept); known_all += len(known)
    every = {}
    found = json.load(open(f"{out}/recall-all-{name}.json"))["findings"]
    # a finding's own line first, then the lines of the statements findings list
    for f in found:
        every.setdefault((f["file"], f["line"]), f)
    for f in found:
        for at in lines(f):
            every.setdefault(at, f)
    for k in known:
        if (k[1], k[2]) in listed:
            continue
        f = every.get((k[1], k[2]))
        why = "not found (no rule matches, or its loop is read as a handful)" if f is None else why_hidden(f)
        lost.append((name,) + k[:3] + (why, k[3]))
    print(f"{name}: {len(kept)}/{len(known)} known true positives listed")
print(f"all: {kept_all}/{known_all} ({100 * kept_all / max(known_all, 1):.0f}%)")
with open(f"{out}/recall-lost.tsv", "w") as f:
    f.write("corpus\trule_id\tpath\tline\twhy not listed\treviewer's reason\n")
    for r in lost:
        f.write("\t".join(map(str, r)) + "\n")
import collections
for why, n in collections.Counter(r[4].split(" (")[0] for r in lost).most_common():
    print(f"  lost, {why}: {n}")
print(f"lost: {out}/recall-lost.tsv")
PY
