#!/usr/bin/env bash
# Train and publish catalog checkpoints one recipe after another (this machine has 2 cores: never two at once).
#   bash train/run_recipes.sh classifier-mnist gan-toy cgan-mnist ...
# Each run resumes from its latest checkpoint when one exists (so a killed queue just reruns), then publishes
# the final folder to the local mirror (catalog checkpoints only: baselines and variants stay in outputs/<name>/final,
# where the cards that compare with them find them). Logs go to outputs/<name>.log.
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
for name in "$@"; do
  script=$("$PYTHON" -c "import json,sys; print(json.load(open('train/configs/' + sys.argv[1] + '.json'))['script'])" "$name") || exit 2
  publish=$("$PYTHON" -c "import sys; from zoo.registry import get_entry; print('mirror' if get_entry(sys.argv[1]) else 'none')" "$name") || exit 2
  mkdir -p outputs
  echo "$(date -u +%FT%TZ) start $name (python -m train.$script)"
  if "$PYTHON" -m "train.$script" --config "$name" --resume-from-checkpoint latest --publish "$publish" \
      > "outputs/$name.log" 2>&1; then
    echo "$(date -u +%FT%TZ) done  $name"
  else
    echo "$(date -u +%FT%TZ) FAILED $name (see outputs/$name.log)"
  fi
done
