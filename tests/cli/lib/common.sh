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
