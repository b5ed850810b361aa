#!/bin/sh
# The end-to-end dbt projects in tests/projects/ against PostgreSQL (see tests/projects/README.md):
# every case not in DISABLED or SQLITE_ONLY, each in a fresh database of the server that
# SILT_PG_HOST/PORT/USER/PASSWORD/DATABASE name (tests/run.sh starts one). Without a server it
# says "skipped: no PostgreSQL server".
# Usage: tests/cli/pg-projects.sh SILT
set -u
SILT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
exec /usr/bin/python3 "$ROOT/tests/projects/run.py" "$SILT" --adapter postgres
