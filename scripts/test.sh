#!/usr/bin/env bash
# The whole test suite, as README.md gives it. Tests start their own servers on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked "$@"
