#!/usr/bin/env bash
# Scans every labelled corpus with all findings listed and runs vocabulary.py over the labels:
# whether a loop's noun naming one of the application's own models or tables tells its size.
# Never run by CI.
#
#   bash bench/scan/vocabulary.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bench/scan/paths.sh
source "$here/paths.sh"
# shellcheck disable=SC2046
set -- $(for f in "$here"/labels/*.tsv; do basename "$f" .tsv; done)
bash "$here/corpus.sh" "$@" >/dev/null
mkdir -p "$out/vocab"
for name in "$@"; do
  paths_of "$name"
  # shellcheck disable=SC2086
  (cd "$here/.corpus/$name" && "$PERFHIVE" scan $paths $langs --all-findings --format json \
    --out "$out/vocab/$name.json" >/dev/null 2>&1) || true
done
python3 "$here/vocabulary.py" --scans "$out/vocab"
