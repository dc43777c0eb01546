#!/usr/bin/env bash
# Installs the field suite's third-party software into one cache folder (default
# target/field-env, or $PERFHIVE_FIELD_ENV, or the first argument):
#   py/       a venv from Debian's /usr/bin/python3.11 (py-spy can read its interpreter) with
#             field/requirements.txt: Flask, SQLAlchemy, gunicorn, FastAPI, uvicorn, py-spy and
#             the OpenTelemetry distro, exporter and instrumentations, all pinned;
#   catalog/  the Node.js app's node_modules, from field/catalog/package-lock.json (npm ci;
#             better-sqlite3 is compiled against the installed Node headers).
# Each part is reinstalled only when its pinned list changed (a stamp file holds its checksum).
# Prints the folder's path on its last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
env_dir="${1:-${PERFHIVE_FIELD_ENV:-$root/target/field-env}}"
mkdir -p "$env_dir"
env_dir="$(cd "$env_dir" && pwd)"

stamp_ok() { [ "$(cat "$1/.field-stamp" 2>/dev/null)" = "$2" ]; }

py_sum="$(sha256sum "$root/field/requirements.txt" | cut -d' ' -f1)"
if ! stamp_ok "$env_dir/py" "$py_sum"; then
  echo "field: installing the Python apps' packages into $env_dir/py" >&2
  rm -rf "$env_dir/py"
  /usr/bin/python3.11 -m venv "$env_dir/py"
  "$env_dir/py/bin/pip" install --quiet --disable-pip-version-check --no-deps \
    -r "$root/field/requirements.txt"
  "$env_dir/py/bin/pip" check >&2
  printf '%s' "$py_sum" > "$env_dir/py/.field-stamp"
fi

node_sum="$(cat "$root/field/catalog/package.json" "$root/field/catalog/package-lock.json" \
  | sha256sum | cut -d' ' -f1)"
if ! stamp_ok "$env_dir/catalog" "$node_sum"; then
  echo "field: installing the Node.js app's packages into $env_dir/catalog" >&2
  rm -rf "$env_dir/catalog"
  mkdir -p "$env_dir/catalog"
  cp "$root/field/catalog/package.json" "$root/field/catalog/package-lock.json" "$env_dir/catalog/"
  # no prebuilt binary can be downloaded here: better-sqlite3 builds from source against the
  # headers of the installed Node.js (/usr/include/node)
  (cd "$env_dir/catalog" && npm_config_nodedir="${npm_config_nodedir:-/usr}" \
    npm ci --no-audit --no-fund --loglevel=error >&2)
  printf '%s' "$node_sum" > "$env_dir/catalog/.field-stamp"
fi
echo "$env_dir"
