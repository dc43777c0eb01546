#!/usr/bin/env bash
# Recall of the known true positives: every finding a reviewer judged worth changing in
# bench/scan/labels (the default listings and the hidden samples of every round, tuning and
# held-out alike), and whether today's build lists it by default. A true positive counts as
# kept when a listed finding is on its line (whichever rule reports it). Never run by CI.
#
#   bash bench/scan/recall.sh                  # every labelled corpus
#   bash bench/scan/recall.sh ghost django     # only these
#
# Output: kept/known per corpus and overall; the lost ones in bench/out/scan/recall-lost.tsv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="$repo/bench/out/scan"
mkdir -p "$out"
# shellcheck source=bench/scan/paths.sh
source "$here/paths.sh"

if [ -z "${PERFHIVE:-}" ]; then
  (cd "$repo" && CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}" cargo build -q --release -p perfhive)
  PERFHIVE="$repo/target/release/perfhive"
fi
if [ $# -eq 0 ]; then
  # shellcheck disable=SC2046
  set -- $(for f in "$here"/labels/*.tsv; do basename "$f" .tsv; done)
fi
bash "$here/corpus.sh" "$@" >/dev/null
args=()
for name in "$@"; do
  paths_of "$name"
  # shellcheck disable=SC2086
  (cd "$here/.corpus/$name" && "$PERFHIVE" scan $paths $langs --format json \
    --out "$out/recall-$name.json" >/dev/null 2>&1) || true
  [ -s "$out/recall-$name.json" ] || { echo "scan of $name failed" >&2; exit 1; }
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
kept_all = known_all = 0
lost = []
for name in names:
    listed = {(f["file"], f["line"]) for f in json.load(open(f"{out}/recall-{name}.json"))["findings"]}
    known = sorted(set(tps(f"{labels}/{name}.tsv") + tps(f"{labels}/hidden/{name}.tsv")))
    if not known:
        continue
    kept = [k for k in known if (k[1], k[2]) in listed]
    kept_all += len(kept); known_all += len(known)
    lost += [(name,) + k for k in known if (k[1], k[2]) not in listed]
    print(f"{name}: {len(kept)}/{len(known)} known true positives listed")
print(f"all: {kept_all}/{known_all} ({100 * kept_all / max(known_all, 1):.0f}%)")
with open(f"{out}/recall-lost.tsv", "w") as f:
    f.write("corpus\trule_id\tpath\tline\treason\n")
    for r in lost:
        f.write("\t".join(map(str, r)) + "\n")
print(f"lost: {out}/recall-lost.tsv")
PY
