#!/usr/bin/env bash
# Load-generator benchmark: perfhive vs wrk vs oha against the same nginx on 127.0.0.1,
# generator pinned to CPU 0 and server to CPU 1. Prints requests per generator CPU-second,
# generator CPU per request at a fixed open-model rate, and peak memory over 1,000,000 requests.
#   bash bench/load.sh            (DURATION=10 RATE=20000 CONNECTIONS=50 MILLION=1 to tune)
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
command -v nginx >/dev/null || need_apt+=(nginx)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! command -v oha >/dev/null && [ -z "${SKIP_OHA:-}" ]; then
  echo "installing oha (cargo install, a few minutes)…" >&2
  cargo install --locked oha >/dev/null 2>&1 || echo "oha could not be installed; skipping it" >&2
fi
export PATH="$HOME/.cargo/bin:$PATH"

cargo build --release --locked -q -p perfhive
exec python3 bench/load_bench.py "$@"
