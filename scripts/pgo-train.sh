#!/bin/sh
# The training run of the profile-guided build (Makefile, PGO=1): the instrumented binary GEN
# parses and compiles a generated project of 1,000 models (scripts/gen-bench-project.py) and
# builds a copy of examples/shop; it writes its counters beside the release objects
# (OUT_DIR/src/.../x.gcda: the Makefile names them so), where gcc's -fprofile-use looks for
# them. A training that cannot run (no python3, say) leaves no profile: the release build is
# then an ordinary -O2 build, which it says.
#
# usage: pgo-train.sh GEN OUT_DIR
set -u
gen=$1 out=$2
find "$out/src" -name '*.gcda' -delete 2>/dev/null
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
ok=1
if /usr/bin/python3 scripts/gen-bench-project.py "$t/bench" 1000 > /dev/null 2>&1; then
	for i in 1 2; do
		"$gen" parse --project-dir "$t/bench" --profiles-dir "$t/bench" > /dev/null 2>&1 || ok=0
		"$gen" compile --project-dir "$t/bench" --profiles-dir "$t/bench" > /dev/null 2>&1 || ok=0
	done
else
	ok=0
fi
mkdir -p "$t/shop"
(cd examples/shop && tar cf - --exclude=./target --exclude='*.db' .) | (cd "$t/shop" && tar xf -)
"$gen" build --project-dir "$t/shop" --profiles-dir "$t/shop" > /dev/null 2>&1 || ok=0
if [ "$ok" != 1 ]; then
	echo "pgo-train: the training run failed; building without a profile" >&2
	find "$out/src" -name '*.gcda' -delete 2>/dev/null
	exit 0
fi
echo "pgo-train: profile of $(find "$out/src" -name '*.gcda' | wc -l) objects"
