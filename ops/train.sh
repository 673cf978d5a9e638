#!/usr/bin/env bash
# Train the Rasa model only when the training data, domain, config or pipeline code changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2

model=models/prakerja.tar.gz
stamp=models/.fingerprint
# domain.yml is rendered from domain.template.yml and core/facts.py (docs/facts.md)
.venvs/bot/bin/python -m ops.render_domain
fingerprint="$(find nlu domain.yml config.yml requirements/engine.txt -path nlu/server -prune -o -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.py' -o -name '*.txt' \) -print0 \
  | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"

if [ -f "$model" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
  echo "» Rasa model is up to date ($model)"
  exit 0
fi
echo "» training the Rasa model (takes a few minutes on 2 cores) …"
mkdir -p models
start=$(date +%s)
.venvs/engine/bin/rasa train --data nlu --domain domain.yml --config config.yml \
  --out models --fixed-model-name prakerja --quiet > var/train.log 2>&1 || {
  tail -40 var/train.log; echo "✗ training failed (full log: var/train.log)" >&2; exit 1; }
echo "$fingerprint" > "$stamp"
echo "» trained $model in $(( $(date +%s) - start ))s"
