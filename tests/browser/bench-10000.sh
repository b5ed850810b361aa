#!/bin/sh
# The Explorer on a 10,000-model environment, end to end (not part of make check: a
# measurement). The project of scripts/gen-bench-project.py is parsed and ingested into
# `prod` of a temporary store with one success per model (as scripts/bench-store.py does:
# building 10,000 models on SQLite would take minutes), `silt serve` answers, and bench.mjs
# times in Debian's chromium the lineage page's first render with a focus and a change of focus.
# Usage: sh tests/browser/bench-10000.sh [SILT]   (default build/silt)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SILT=$(cd "$(dirname "${1:-$ROOT/build/silt}")" && pwd)/$(basename "${1:-build/silt}")
proj=$ROOT/build/bench-10000
t=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid; rm -rf "$t"' EXIT
[ -d "$proj" ] || /usr/bin/python3 "$ROOT/scripts/gen-bench-project.py" "$proj" 10000
"$SILT" parse --project-dir "$proj" --profiles-dir "$proj" > /dev/null
mkdir -p "$t/target"
cp "$proj/target/manifest.json" "$t/target/"
/usr/bin/python3 - "$t/target" <<'PY'
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
now = "2026-01-01T00:00:00.000000Z"
res = [{"status": "success", "timing": [], "thread_id": "Thread-1", "execution_time": 0.01,
        "adapter_response": {}, "message": "OK", "failures": None, "unique_id": u}
       for u, n in m["nodes"].items() if n["resource_type"] == "model"]
json.dump({"metadata": m["metadata"], "results": res, "elapsed_time": 1.0, "args": {}},
          open(d + "/run_results.json", "w"))
PY
export SILT_STORE_KEY=0000000000000000000000000000000000000000000000000000000000000000 SILT_STORE=$t/store.db
"$SILT" env create prod --type production > /dev/null
"$SILT" ingest --env prod "$t/target" > /dev/null
"$SILT" serve --port 0 --read-without-token --no-scheduler --workers 0 > "$t/serve.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "listening on" "$t/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$t/serve.out" | head -n 1)
[ -d "$ROOT/tests/browser/node_modules/playwright-core" ] ||
	(cd "$ROOT/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
node "$ROOT/tests/browser/bench.mjs" "$url" "${SILT_CHROMIUM:-/usr/bin/chromium}"
