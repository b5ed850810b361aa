#!/bin/sh
# `make bench-pg`: silt build --threads 4 of a generated N-model project (scripts/gen-bench-
# project.py, every model a table, in 10 layers, two tests per model) on a throw-away PostgreSQL
# server over loopback that logs every statement's duration. Prints the wall and CPU time of the
# build, the server's own execution time (the sum of the logged durations), and the time per
# node beyond it.
#
# usage: scripts/pg-bench.sh SILT [N]     (N defaults to 500)
set -eu
SILT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
N=${2:-500}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
t=$(mktemp -d)
srv=$(mktemp -d) # its own directory: the server's user may not enter $t
if ! PG_TEST_SERVER_OPTS="-c log_min_duration_statement=0" \
	sh "$ROOT/scripts/pg-test-server.sh" start "$srv" >"$t/env"; then
	echo "skipped: no PostgreSQL server could be started"
	rm -rf "$t" "$srv"
	exit 0
fi
trap 'sh "$ROOT/scripts/pg-test-server.sh" stop "$srv"; rm -rf "$t" "$srv"' EXIT
trap 'exit 130' INT TERM
. "$t/env"
export PGHOST=$SILT_PG_HOST PGPORT=$SILT_PG_PORT PGUSER=$SILT_PG_USER PGPASSWORD=$SILT_PG_PASSWORD
/usr/bin/python3 "$ROOT/scripts/gen-bench-project.py" "$t/proj" "$N"
# every model a table: ten layers of views joining views make PostgreSQL's planner, not silt,
# the cost of each test query
find "$t/proj/models" -name '*.sql' -exec sed -i "s/materialized='view'/materialized='table'/" {} +
cat >"$t/proj/profiles.yml" <<EOF
bench:
  target: dev
  outputs:
    dev:
      type: postgres
      host: $SILT_PG_HOST
      port: $SILT_PG_PORT
      user: $SILT_PG_USER
      password: $SILT_PG_PASSWORD
      dbname: $SILT_PG_DATABASE
      schema: bench
      threads: 4
EOF
{
	echo "create schema raw;"
	for i in $(seq 0 19); do echo "create table raw.table_$i (id integer);"; done
} | psql -X -q -d "$SILT_PG_DATABASE" >/dev/null
P="--project-dir $t/proj --profiles-dir $t/proj"
"$SILT" seed $P >/dev/null
off=$(wc -c <"$srv/server.log")
/usr/bin/time -f '%e %U %S' -o "$t/time" "$SILT" build $P --threads 4 >"$t/out" 2>&1 || {
	tail -n 20 "$t/out"
	exit 1
}
set -- $(cat "$t/time")
wall=$1 user=$2 sys=$3
server_ms=$(tail -c +$((off + 1)) "$srv/server.log" |
	sed -n 's/.*LOG:  duration: \([0-9.]*\) ms.*/\1/p' | awk '{s += $1} END {printf "%.0f", s}')
statements=$(tail -c +$((off + 1)) "$srv/server.log" | grep -c 'LOG:  duration:' || true)
nodes=$(sed -n 's/.*TOTAL=\([0-9]*\).*/\1/p' "$t/out" | tail -n 1)
grep 'Done\.' "$t/out" | sed 's/^[0-9:]*  //'
awk -v w="$wall" -v u="$user" -v s="$sys" -v ms="$server_ms" -v n="$nodes" -v st="$statements" -v m="$N" 'BEGIN {
	printf "silt build --threads 4, %d models (%d nodes) on PostgreSQL over loopback:\n", m, n
	printf "  wall %.2f s, silt CPU %.2f s (user %.2f + sys %.2f)\n", w, u + s, u, s
	printf "  server execution %.2f s over %d statements (log_min_duration_statement)\n", ms / 1000, st
	printf "  beyond the server: %.2f ms per node of wall time, %.2f ms per node of silt CPU\n", (w * 1000 - ms) / n, (u + s) * 1000 / n
}'
