#!/usr/bin/env bash
# npm run deploy-tools:setup: the Python environment of the deploy tests (cfn-lint, moto's local
# AWS) in .venv-deploy/ (git-ignored; $MEDALS_DEPLOY_VENV picks another), from
# test/deploy/requirements.txt (every package pinned). Idempotent: when the environment already
# holds exactly these pins it only says so. Downloads from PyPI only.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec bash scripts/pinned-venv.sh "deploy tools" "${MEDALS_DEPLOY_VENV:-.venv-deploy}" test/deploy/requirements.txt \
  'import cfnlint, moto.server, moto.stepfunctions.parser.models, boto3' 'about 350 MB'
