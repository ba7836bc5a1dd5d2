#!/usr/bin/env bash
# Write a synthetic regression data set, y = 3*x1 - 2*x2 + noise, as CSV; inside a project
# run (MLTRACK_RUN_ID is set), also log it as the run's artifact data/<out>.
set -euo pipefail
rows="${1:-200}"
out="${2:-data.csv}"
awk -v n="$rows" 'BEGIN {
  srand(7); print "x1,x2,y"
  for (i = 0; i < n; i++) { a = rand(); b = rand(); printf "%.5f,%.5f,%.5f\n", a, b, 3*a - 2*b + 0.1*rand() }
}' > "$out"
echo "wrote $(($(wc -l < "$out") - 1)) rows to $out"
if [ -n "${MLTRACK_RUN_ID:-}" ]; then
  python - "$out" <<'PY'
import sys
import jupyter_mltrack as mlflow  # MLTRACK_RUN_ID names the project run: this logs into it

with mlflow.start_run():
    mlflow.log_artifact(sys.argv[1], "data")
PY
fi
