#!/bin/sh
# The CVPR 2025 challenge harness's entry point (CVPR25_text_eval.py runs `sh predict.sh` in
# /workspace of the challenge image, with ./inputs and ./outputs mounted there): every npz of
# the inputs folder segmented by `medals predict`, outputs/<same name>.npz written for each.
# The folders, the model and the device come from the environment so that the same script runs
# on a host: MEDALS_INPUTS, MEDALS_OUTPUTS, MEDALS_MODEL, MEDALS_DEVICE (cpu, cuda or auto);
# MEDALS_HOME is the medals build to run. The device defaults to cuda: the harness gives a GPU,
# and a CPU fallback then says so on stderr rather than silently running slower.
set -eu
exec node "${MEDALS_HOME:-/opt/medals}/bin/medals.js" predict \
  "${MEDALS_INPUTS:-/workspace/inputs}" "${MEDALS_OUTPUTS:-/workspace/outputs}" \
  --model "${MEDALS_MODEL:-/opt/medals/model}" --device "${MEDALS_DEVICE:-cuda}"
