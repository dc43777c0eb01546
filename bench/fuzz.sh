#!/usr/bin/env bash
# Runs every coverage-guided fuzz target in fuzz/fuzz_targets/ (cargo-fuzz, libFuzzer) for
# SECONDS each, one after the other, and prints per target how long it ran, how many inputs it
# tried, the corpus it reached and what it found (crashes, timeouts, out-of-memory inputs, with
# their files under fuzz/artifacts/<target>/). Exit status 1 when anything was found.
#
#   bash bench/fuzz.sh             # 60 s per target
#   bash bench/fuzz.sh 600         # 10 minutes per target
#   TARGETS="scenario_yaml grpc_frame" bash bench/fuzz.sh 300
#
# Seeds are the checked-in fuzz/corpus/<target>/ (read only); libFuzzer writes the inputs it
# discovers to fuzz/.work/corpus/<target>/, which persists between runs and is not committed.
# An input slower than TIMEOUT seconds (default 10) counts as a hang; RSS above RSS_MB
# (default 2048) as a memory blow-up. Targets are built optimised with debug assertions and
# overflow checks (BUILD="-O -a"), so arithmetic that would silently wrap in a release build is
# found too. Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -uo pipefail
SECONDS_PER_TARGET="${1:-60}"
TIMEOUT="${TIMEOUT:-10}"
RSS_MB="${RSS_MB:-2048}"
BUILD="${BUILD:--O -a}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fuzz="$(cd "$here/../fuzz" && pwd)"
cd "$fuzz"
targets="${TARGETS:-$(ls fuzz_targets/*.rs | xargs -n1 basename | sed 's/\.rs$//' | sort)}"
mkdir -p .work/log
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
if [ -z "${TARGETS:-}" ]; then
  cargo +nightly fuzz build $BUILD || exit 2
else
  for t in $targets; do cargo +nightly fuzz build $BUILD "$t" || exit 2; done
fi

found=0
printf '%-22s %8s %12s %8s  %s\n' target seconds executions corpus found
for t in $targets; do
  mkdir -p ".work/corpus/$t" "corpus/$t" "artifacts/$t"
  before="$(ls "artifacts/$t" | sort)"
  log=".work/log/$t.log"
  start=$(date +%s)
  cargo +nightly fuzz run $BUILD "$t" ".work/corpus/$t" "corpus/$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" \
    -print_final_stats=1 </dev/null >"$log" 2>&1
  status=$?
  took=$(( $(date +%s) - start ))
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
  corpus="$(ls ".work/corpus/$t" | wc -l)"
  new="$(comm -13 <(echo "$before") <(ls "artifacts/$t" | sort) | grep -v '^$' || true)"
  if [ -n "$new" ] || [ "$status" -ne 0 ]; then
    found=1
    what="$(echo "$new" | sed 's/-.*//' | sort | uniq -c | awk '{printf "%s %s ", $1, $2}')"
    printf '%-22s %8s %12s %8s  %s(exit %s; log %s)\n' "$t" "$took" "${execs:--}" "$corpus" \
      "${what:-}" "$status" "fuzz/$log"
    echo "$new" | sed "s|^|    fuzz/artifacts/$t/|"
  else
    printf '%-22s %8s %12s %8s  %s\n' "$t" "$took" "${execs:--}" "$corpus" nothing
  fi
done
exit "$found"
