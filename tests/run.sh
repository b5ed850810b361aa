#!/bin/sh
# Runs every test suite and prints one closing line "N passed, N failed" (summed over suites).
# Called by `make check` with SILT (sanitizer build of the binary) and UNIT (unit-test binary).
set -u
: "${SILT:=build/asan/silt}" "${UNIT:=build/asan/unit-tests}"
PY=/usr/bin/python3
total_pass=0
total_fail=0
log=$(mktemp -d)
pgdir=""
cleanup() {
	[ -n "$pgdir" ] && sh scripts/pg-test-server.sh stop "$pgdir"
	[ -n "$pgdir" ] && rm -rf "$pgdir"
	rm -rf "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL for the warehouse tests: the caller's server (SILT_PG_HOST..., or libpq's PGHOST...),
# else a throw-away one on loopback that is stopped at the end. The PostgreSQL tests read
# SILT_PG_HOST/PORT/USER/PASSWORD/DATABASE and say "skipped: no PostgreSQL server" without them;
# SILT_PG=0 starts none.
if [ -z "${SILT_PG_HOST:-}" ] && [ -n "${PGHOST:-}" ]; then
	SILT_PG_HOST=$PGHOST SILT_PG_PORT=${PGPORT:-5432} SILT_PG_USER=${PGUSER:-$(id -un)}
	SILT_PG_PASSWORD=${PGPASSWORD:-} SILT_PG_DATABASE=${PGDATABASE:-${PGUSER:-$(id -un)}}
	export SILT_PG_HOST SILT_PG_PORT SILT_PG_USER SILT_PG_PASSWORD SILT_PG_DATABASE
elif [ -z "${SILT_PG_HOST:-}" ] && [ "${SILT_PG:-1}" != 0 ]; then
	pgdir=$(mktemp -d)
	if settings=$(sh scripts/pg-test-server.sh start "$pgdir" 2>"$log/pg.err"); then
		eval "$settings"
		echo "# PostgreSQL test server on 127.0.0.1:$SILT_PG_PORT"
	else
		echo "# no PostgreSQL server could be started:"
		sed 's/^/#   /' "$log/pg.err"
	fi
fi

# suite NAME COMMAND...: runs it, shows its output, adds its "N passed, N failed" line.
suite() {
	name=$1
	shift
	echo "=== $name"
	"$@" >"$log/out" 2>&1
	rc=$?
	cat "$log/out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "not ok - suite $name printed no summary (exit $rc)"
		total_fail=$((total_fail + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - suite $name exited $rc"
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

suite unit "$UNIT"
[ -d tests/jinja ] && [ -x "$SILT" ] && suite jinja "$SILT" selftest jinja tests/jinja
[ -f tests/jinja/oracle.py ] && suite jinja-oracle "$PY" tests/jinja/oracle.py
[ -d tests/yaml ] && [ -x "$SILT" ] && ls tests/yaml/*.yml >/dev/null 2>&1 && suite yaml "$SILT" selftest yaml tests/yaml
[ -f tests/yaml/oracle.py ] && suite yaml-oracle "$PY" tests/yaml/oracle.py
[ -d tests/json ] && [ -x "$SILT" ] && ls tests/json/*.case >/dev/null 2>&1 && suite json "$SILT" selftest json tests/json
[ -f tests/json/oracle.py ] && suite json-oracle "$PY" tests/json/oracle.py
[ -d tests/selectors ] && ls tests/selectors/*.case >/dev/null 2>&1 && suite selectors "$SILT" selftest selectors tests/selectors
[ -d tests/csv ] && ls tests/csv/*.case >/dev/null 2>&1 && suite csv "$SILT" selftest csv tests/csv
[ -f tests/csv/oracle.py ] && suite csv-oracle "$PY" tests/csv/oracle.py
[ -d tests/compile ] && ls tests/compile/*.case >/dev/null 2>&1 && suite compile "$SILT" selftest compile tests/compile
[ -f tests/compile/oracle.py ] && suite compile-oracle "$PY" tests/compile/oracle.py
[ -d tests/project ] && ls tests/project/*/case.yml >/dev/null 2>&1 && suite project "$SILT" selftest project tests/project

for t in tests/cli/*.sh; do
	[ -f "$t" ] && suite "cli/$(basename "$t" .sh)" sh "$t" "$SILT"
done

[ -f tests/browser/explorer.sh ] && suite browser/explorer sh tests/browser/explorer.sh "$SILT"

# The metadata store on PostgreSQL: the suites that exercise the store most, again, each store a
# fresh database on the PostgreSQL server above (tests/cli/lib/common.sh store_new); each says
# "skipped: no PostgreSQL server" without one.
SILT_TEST_STORE=postgres suite "unit: store, store_blobs, queue (PostgreSQL store)" "$UNIT" store store_blobs queue
for t in env jobs ci rerun worker-kill serve webhooks webhooks-out; do
	[ -f "tests/cli/$t.sh" ] && SILT_TEST_STORE=postgres suite "cli/$t (PostgreSQL store)" sh "tests/cli/$t.sh" "$SILT"
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
