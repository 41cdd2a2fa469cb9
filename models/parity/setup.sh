#!/usr/bin/env bash
# npm run parity:setup: the Python environment for the official Medal S oracle, in .venv-parity/
# (git-ignored), from models/parity/requirements.txt (every package pinned). Idempotent: when the
# environment already holds exactly these pins it only says so. Downloads from PyPI only.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec bash scripts/pinned-venv.sh 'Medal S oracle' "${MEDALS_PARITY_VENV:-.venv-parity}" models/parity/requirements.txt \
  'import torch, transformers, einops, positional_encodings, acvl_utils, skimage, nibabel, scipy, cc3d, onnx, onnxruntime' \
  'torch with its CUDA runtime wheels: several minutes, about 6 GB'
