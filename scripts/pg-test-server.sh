#!/bin/sh
# A throw-away PostgreSQL server for the tests, on loopback, owned by an unprivileged user.
#
#   scripts/pg-test-server.sh start DIR   initdb into DIR/data, start on a free port, create the
#                                         role `silt` (password `silt`, CREATEDB) and the database
#                                         `silt_test`; prints the settings as shell exports
#                                         (SILT_PG_HOST/PORT/USER/PASSWORD/DATABASE) on stdout
#   scripts/pg-test-server.sh stop DIR    stops it (DIR can then be removed)
#
# PG_TEST_SERVER_OPTS adds server options (`-c log_min_duration_statement=0` for the bench).
# initdb refuses to run as root, so as root the server runs as the `postgres` user (Debian's
# package creates it) through runuser; DIR is handed to that user. Exit status 1 with a message
# on stderr when no server can be started (no PostgreSQL binaries, no unprivileged user, ...).
set -u
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
	echo "usage: $0 start|stop DIR" >&2
	exit 2
fi

bindir=""
for d in /usr/lib/postgresql/*/bin; do
	[ -x "$d/initdb" ] && bindir=$d # the newest version sorts last
done
if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then
	bindir=$(dirname "$(command -v initdb)")
fi
if [ -z "$bindir" ]; then
	echo "pg-test-server: no PostgreSQL server binaries (initdb) found" >&2
	exit 1
fi

# as_owner CMD...: run as the server's owner
if [ "$(id -u)" -eq 0 ]; then
	owner=postgres
	if ! id "$owner" >/dev/null 2>&1; then
		echo "pg-test-server: running as root and there is no 'postgres' user to own the server" >&2
		exit 1
	fi
	as_owner() { runuser -u "$owner" -- "$@"; }
else
	owner=$(id -un)
	as_owner() { "$@"; }
fi

data=$dir/data
case $cmd in
stop)
	[ -f "$data/postmaster.pid" ] && as_owner "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
	exit 0
	;;
start) ;;
*)
	echo "usage: $0 start|stop DIR" >&2
	exit 2
	;;
esac

mkdir -p "$dir" || exit 1
[ "$(id -u)" -eq 0 ] && chown "$owner" "$dir"
if ! as_owner test -w "$dir"; then
	echo "pg-test-server: the user '$owner' cannot write to $dir (are its parent directories private?)" >&2
	exit 1
fi
log=$dir/server.log
if ! as_owner "$bindir/initdb" -D "$data" -U "$owner" --auth-local=trust --auth-host=scram-sha-256 \
	-E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1; then
	echo "pg-test-server: initdb failed:" >&2
	tail -n 5 "$dir/initdb.log" >&2
	exit 1
fi
# a free port: ask the kernel for one, then let the server take it (a retry covers the race)
for attempt in 1 2 3; do
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	if as_owner "$bindir/pg_ctl" -D "$data" -l "$log" -w -t 30 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100 ${PG_TEST_SERVER_OPTS:-}" \
		start >/dev/null 2>&1; then
		break
	fi
	port=""
done
if [ -z "$port" ]; then
	echo "pg-test-server: the server did not start:" >&2
	tail -n 5 "$log" >&2
	exit 1
fi
psql_admin() { as_owner "$bindir/psql" -X -q -h "$dir" -p "$port" -U "$owner" -d postgres -v ON_ERROR_STOP=1 "$@"; }
if ! psql_admin -c "create role silt login createdb password 'silt'" -c "create database silt_test owner silt" >"$dir/setup.log" 2>&1; then
	echo "pg-test-server: creating the test role and database failed:" >&2
	cat "$dir/setup.log" >&2
	as_owner "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1
	exit 1
fi
echo "export SILT_PG_HOST=127.0.0.1 SILT_PG_PORT=$port SILT_PG_USER=silt SILT_PG_PASSWORD=silt SILT_PG_DATABASE=silt_test"
