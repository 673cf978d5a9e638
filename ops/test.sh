#!/usr/bin/env bash
# `make test`: every layer of tests, in order of speed. Set-up and training ran before this.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
step() { printf '\n━━ %s\n' "$*"; }

step "lint: ruff, mypy and the import rules"
.venvs/bot/bin/ruff check .
.venvs/bot/bin/mypy bot core ops sandbox
.venvs/bot/bin/lint-imports --no-cache

step "rasa data validate"
.venvs/engine/bin/rasa data validate --data nlu --domain domain.yml --config config.yml \
  --fail-on-warnings --quiet

step "rasa test stories (tests/stories)"
.venvs/engine/bin/rasa test core --model models/prakerja.tar.gz --stories tests/stories \
  --fail-on-prediction-errors --out results/core --quiet

step "action server, Rasa server and shared core tests (engine environment, Python 3.10)"
.venvs/engine/bin/python -m pytest tests/actions tests/engine tests/core -q -p no:cacheprovider

# Most of this layer waits on real processes (Rasa start-up, replies, timeouts), not on the CPU:
# modules run side by side in PYTEST_WORKERS processes (one module stays on one worker, so a
# module's shared stack is started once).
step "bot, sandbox and end-to-end tests (bot environment, ${PYTEST_WORKERS:-4} workers)"
.venvs/bot/bin/python -m pytest tests -q -p no:cacheprovider -n "${PYTEST_WORKERS:-4}" \
  --dist loadfile "$@"
