# Sourced by the tests/cli suites: `. "$(dirname "$0")/lib/common.sh" "$1"` with the path of the
# silt binary. Sets SILT (absolute), ROOT (the checkout), t (a temporary folder removed on exit),
# and defines check NAME COMMAND... (one TAP line per check), silt (the binary with NO_COLOR)
# and finish (the closing "N passed, N failed" line and the exit status).
set -u
SILT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass=0 fail=0 n=0
check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then pass=$((pass + 1)); echo "ok $n - $name"; else fail=$((fail + 1)); echo "not ok $n - $name"; fi
}
silt() { NO_COLOR=1 "$SILT" "$@"; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# The metadata store of the suites that use one. tests/run.sh runs those suites twice: on SQLite,
# and again with SILT_TEST_STORE=postgres on its PostgreSQL test server (SILT_PG_HOST/PORT/USER/
# PASSWORD/DATABASE), where each store is a fresh database of its own, dropped at exit.
#   store_new NAME   prints the locator of a new, empty store: $t/NAME.db, or a postgres:// URL
#   sq STORE SQL     prints SQL's rows on STORE, one a line, columns separated by '|', NULL as ''
#   pg_store         true in the PostgreSQL pass
#   need_pg_store    in the PostgreSQL pass without a server: says "skipped: no PostgreSQL
#                    server" and ends the suite
pg_store() { [ "${SILT_TEST_STORE:-}" = postgres ]; }
pg_psql() {
	psql_bin=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -n 1)
	PGPASSWORD=${SILT_PG_PASSWORD:-} PGCONNECT_TIMEOUT=5 "$psql_bin" -X -q -At -h "$SILT_PG_HOST" \
		-p "${SILT_PG_PORT:-5432}" -U "${SILT_PG_USER:-}" -v ON_ERROR_STOP=1 "$@"
}
need_pg_store() {
	pg_store || return 0
	if [ -z "${SILT_PG_HOST:-}" ] || ! pg_psql -d "${SILT_PG_DATABASE:-postgres}" -c "select 1" > /dev/null 2>&1; then
		echo "# skipped: no PostgreSQL server"
		echo "0 passed, 0 failed"
		exit 0
	fi
}
store_new() {
	if ! pg_store; then
		echo "$t/$1.db"
		return
	fi
	db=silt_store_$$_$(date +%s%N | tail -c 7)_$1
	pg_psql -d "${SILT_PG_DATABASE:-postgres}" -c "create database $db" > /dev/null || return 1
	echo "$db" >> "$t/.pg-stores" # made in a subshell: the file keeps the names for drop_pg_stores
	echo "postgres://$SILT_PG_USER:$SILT_PG_PASSWORD@$SILT_PG_HOST:${SILT_PG_PORT:-5432}/$db"
}
sq() {
	case $1 in
	postgres://* | postgresql://*) PGPASSWORD= psql_url=$1 pg_psql_url "$2" ;;
	*) /usr/bin/python3 -c "import sqlite3,sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute(sys.argv[2]).fetchall(): print('|'.join('' if v is None else str(v) for v in r))
c.commit()" "$1" "$2" ;;
	esac
}
pg_psql_url() {
	psql_bin=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -n 1)
	"$psql_bin" -X -q -At -v ON_ERROR_STOP=1 -d "$psql_url" -c "$1"
}
drop_pg_stores() {
	[ -f "$t/.pg-stores" ] || return 0
	for db in $(cat "$t/.pg-stores"); do
		pg_psql -d "${SILT_PG_DATABASE:-postgres}" -c "drop database if exists $db with (force)" > /dev/null 2>&1
	done
}
trap 'drop_pg_stores; rm -rf "$t"' EXIT
