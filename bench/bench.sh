#!/usr/bin/env bash
# perfhive bench vs hyperfine on the same commands, side by side: each tool's own overhead per
# run (wall time of the whole tool invocation / runs, on a command that does nothing) and how far
# their means agree on real commands. Pinned to CPU 0.   bash bench/bench.sh   (RUNS=200 to tune)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
cargo build --release --locked -q -p perfhive
exec python3 bench/bench_vs_hyperfine.py "$@"
