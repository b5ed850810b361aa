#!/bin/sh
# The end-to-end dbt projects in tests/projects/ (see tests/projects/README.md).
# Usage: tests/cli/projects.sh SILT
set -u
SILT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
exec /usr/bin/python3 "$ROOT/tests/projects/run.py" "$SILT"
