#!/usr/bin/env bash
# The whole test suite, as README.md gives it. Tests start their own servers on 127.0.0.1.
#
# Some checks need more than Rust (Chromium, gcc and perf, the Python OpenTelemetry SDK, groff,
# root with CAP_SYS_ADMIN for a tmpfs: README.md lists them; .ci/run installs them). A test
# whose check cannot run here says so with one `perfhive-skip: <check>: <why>` line, appended to
# the file PERFHIVE_SKIP_LOG names; this script ends by listing those lines. With CI set each
# such test fails, and so does this script. Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

log="${PERFHIVE_SKIP_LOG:-$PWD/target/perfhive-skips.log}"
mkdir -p "$(dirname "$log")"
: >"$log"
export PERFHIVE_SKIP_LOG="$log"

status=0
# --no-fail-fast: every test binary runs, so the list below is complete
cargo test --workspace --locked --no-fail-fast "$@" || status=$?

echo
if [ -s "$log" ]; then
  skipped="$(sort -u "$log")"
  echo "== $(printf '%s\n' "$skipped" | wc -l) environment-dependent check(s) did not run:"
  printf '%s\n' "$skipped" | sed 's/^perfhive-skip: /  - /'
  echo "   (README.md, \"What the test suite needs besides Rust\"; .ci/run installs it all; this list: $log)"
  if [ -n "${CI:-}" ] && [ "$status" -eq 0 ]; then
    status=1
  fi
elif [ "$status" -eq 0 ]; then
  echo "== no check was skipped: every environment-dependent check ran"
fi
exit "$status"
