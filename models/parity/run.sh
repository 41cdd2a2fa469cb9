#!/usr/bin/env bash
# npm run parity -- CASE.npz [--out DIR] [--network small|full] [--seed N]: the official Medal S
# inference beside `medals segment` on one case (models/parity/parity.py). Paths are relative to
# the folder npm was started from.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv=${MEDALS_PARITY_VENV:-$root/.venv-parity}
if [ ! -x "$venv/bin/python" ]; then
  echo "USAGE: no parity environment in $venv: run 'npm run parity:setup' first" >&2
  exit 2
fi
if [ ! -f "$root/dist/functions/tools/cli/main.js" ]; then
  echo "USAGE: medals is not built: run 'npm ci' (or 'npm run build') first" >&2
  exit 2
fi
cd "${INIT_CWD:-$PWD}"
exec "$venv/bin/python" "$root/models/parity/parity.py" "$@"
