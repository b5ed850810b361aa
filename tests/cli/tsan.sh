#!/bin/sh
# The threaded parts under ThreadSanitizer (`make check` builds build/tsan/): the unit tests (the
# two-thread JSON writer's batches and failures among them), then parse and compile of a
# generated project on two parse workers (its manifest is big enough for the writer's two
# threads, its maps built beside its nodes, node_vars.json on a third) and a build of
# examples/shop on four run threads. Any race report fails its check.
# usage: TSAN_SILT=build/tsan/silt TSAN_UNIT=build/tsan/unit-tests tests/cli/tsan.sh ANY
# (tests/run.sh passes the ASan binary, as to every suite here; the ThreadSanitizer ones come
# from the environment, set by `make check`)
if [ -z "${TSAN_SILT:-}" ] || [ -z "${TSAN_UNIT:-}" ]; then
	echo "# skipped: TSAN_SILT and TSAN_UNIT not set (make check sets them)"
	echo "0 passed, 0 failed"
	exit 0
fi
set -- "$TSAN_SILT" # (common.sh takes the binary from $1)
. "$(dirname "$0")/lib/common.sh"
UNIT=$(cd "$(dirname "$TSAN_UNIT")" && pwd)/$(basename "$TSAN_UNIT")
# a report ends the process with status 66, and its text says so
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
clean() { # LOG: the command behind it exited 0 and no race was reported
	[ "$(cat "$1.rc")" = 0 ] && ! grep -q "ThreadSanitizer" "$1"
}
run() { # LOG COMMAND...: runs it, its output and status kept for clean
	log=$1
	shift
	"$@" >"$log" 2>&1
	echo $? >"$log.rc"
}

# ThreadSanitizer maps its shadow memory at fixed addresses: a kernel whose address layout it
# does not know stops every binary at start. Then nothing here can be checked: said, not failed.
if ! "$SILT" --version >"$t/start" 2>&1; then
	echo "# skipped: a ThreadSanitizer binary cannot start here:"
	sed 's/^/#   /' "$t/start" | head -5
	echo "0 passed, 0 failed"
	exit 0
fi

run "$t/unit" "$UNIT"
check "the unit tests, race-free" clean "$t/unit"
grep -E '^not ok|ThreadSanitizer|SUMMARY' "$t/unit" | head -20

/usr/bin/python3 "$ROOT/scripts/gen-bench-project.py" "$t/gen" 800 >/dev/null
# three models print while they parse: their output is kept per file and written in order
for m in f0000/m5 f0003/m310 f0007/m790; do
	printf '%s\n' "{{ print('said by $(basename $m)') }}" >> "$t/gen/models/$m.sql"
done
run "$t/parse" env SILT_PARSE_THREADS=2 "$SILT" parse --project-dir "$t/gen" --profiles-dir "$t/gen"
check "parse of 800 models and 1,600 tests on two workers, race-free" clean "$t/parse"
check "... and what the models printed came in file order" test \
	"$(grep '^said by' "$t/parse" | tr '\n' ' ')" = "said by m5 said by m310 said by m790 "
check "... and its manifest holds every node" /usr/bin/python3 -c "
import json, sys
m = json.load(open(sys.argv[1]))
assert len(m['nodes']) == 2410 and len(m['parent_map']) == 2430, (len(m['nodes']), len(m['parent_map']))" \
	"$t/gen/target/manifest.json"
run "$t/compile" env SILT_PARSE_THREADS=2 "$SILT" compile --project-dir "$t/gen" --profiles-dir "$t/gen"
check "compile of the same on two workers, race-free" clean "$t/compile"

cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop/.silt" "$t/shop/"*.db
run "$t/build" "$SILT" build --project-dir "$t/shop" --profiles-dir "$t/shop" --threads 4
check "examples/shop built on four threads, race-free" clean "$t/build"
for f in parse compile build; do
	grep -A12 "WARNING: ThreadSanitizer" "$t/$f" | head -24
done

finish
