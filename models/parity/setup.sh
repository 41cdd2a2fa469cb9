#!/usr/bin/env bash
# npm run parity:setup: the Python environment for the official Medal S oracle, in .venv-parity/
# (git-ignored), from models/parity/requirements.txt (every package pinned). Idempotent: when the
# environment already holds exactly these pins it only says so. Downloads from PyPI only.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${MEDALS_PARITY_VENV:-.venv-parity}
req=models/parity/requirements.txt
stamp="$venv/.medals-requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c 'import torch, transformers' 2>/dev/null; then
  echo "parity environment $venv is up to date ($req)"
  exit 0
fi
python=${PYTHON:-python3}
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "parity:setup needs Python 3 with venv and ensurepip (Debian: apt-get install python3-venv)" >&2
  exit 1
fi
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
rm -f "$stamp"
echo "installing the oracle's packages into $venv (torch with its CUDA runtime wheels: several minutes, about 6 GB)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
"$venv/bin/python" -c 'import torch, transformers, einops, positional_encodings, acvl_utils, skimage, nibabel, scipy, cc3d, onnx, onnxruntime'
echo "$want" > "$stamp"
echo "parity environment ready: $venv"
