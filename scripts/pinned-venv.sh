#!/usr/bin/env bash
# bash scripts/pinned-venv.sh WHAT VENV REQUIREMENTS CHECK [NOTE]: a Python virtual environment in
# VENV holding exactly REQUIREMENTS (every package pinned), for the setup scripts of
# models/parity/ and test/deploy/. CHECK is Python code that imports what the environment is for.
# Idempotent: when VENV already holds these pins (a stamp of the file's hash) and CHECK runs, it
# only says so. Downloads from PyPI only; $PYTHON picks the python that makes the environment.
set -euo pipefail
what=$1 venv=$2 req=$3 check=$4 note=${5:-}
stamp="$venv/.medals-requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  echo "the $what environment $venv is up to date ($req)"
  exit 0
fi
python=${PYTHON:-python3}
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "the $what environment needs Python 3 with venv and ensurepip (Debian: apt-get install python3-venv)" >&2
  exit 1
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
rm -f "$stamp"
echo "installing the $what packages into $venv${note:+ ($note)}"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
"$venv/bin/python" -c "$check"
echo "$want" > "$stamp"
echo "the $what environment is ready: $venv"
