#!/bin/sh
# Runs every test suite and prints one closing line "N passed, N failed" (summed over suites).
# Called by `make check` with SILT (sanitizer build of the binary) and UNIT (unit-test binary).
set -u
: "${SILT:=build/asan/silt}" "${UNIT:=build/asan/unit-tests}"
PY=/usr/bin/python3
total_pass=0
total_fail=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

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

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
