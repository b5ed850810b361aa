#!/bin/sh
# The release binary (build/silt, or SILT_RELEASE: profile-guided, without the sanitizers, and
# ending with exit() instead of releasing its memory, cli_exit_now) gives the sanitizer build's
# output, exit status and manifest, on a project big enough that its artifacts of 1 MiB or more
# are written over their previous file (artifacts/manifest.c), a bigger one included.
. "$(dirname "$0")/lib/common.sh" "$1"
REL=${SILT_RELEASE:-$(dirname "$SILT")/../silt}
if [ ! -x "$REL" ]; then
	check "the release binary $REL exists" false
	finish
	exit 1
fi
PY=/usr/bin/python3
mask() {
	sed -E 's/"(generated_at|invocation_id|invocation_started_at|run_started_at)": "[^"]*"/"\1": "X"/g; s/"created_at": [0-9.e+]+/"created_at": 0/g' "$1"
}

"$PY" "$ROOT/scripts/gen-bench-project.py" "$t/p" 3000 > /dev/null || exit 1
P="--project-dir $t/p --profiles-dir $t/p"

# its output read through a pipe to the end, its exit status
out=$(sh -c "NO_COLOR=1 '$REL' parse $P; echo rc=\$?" | cat)
check "parse through a pipe: the whole output and exit status 0" \
	[ "$out" = "Found 3000 models, 10 seeds, 6000 data tests, 20 sources, 238 macros
rc=0" ]
mask "$t/p/target/manifest.json" > "$t/rel1.json"
check "the manifest is JSON" "$PY" -c "import json,sys; json.load(open(sys.argv[1]))" "$t/p/target/manifest.json"

# the end: the process leaves its memory to a child that ends once it is gone (cli_exit_now);
# the child keeps none of the caller's descriptors (the pipe above reached its end) and does not
# outlive it by more than a moment. A copy of the binary tells its processes from other tests'.
cp "$REL" "$t/silt-rel"
NO_COLOR=1 "$t/silt-rel" parse $P > /dev/null
check "no process of the binary is left a moment after it ended" "$PY" -c '
import os, sys, time
exe = os.path.realpath(sys.argv[1])
for _ in range(100):
    left = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and os.readlink("/proc/%s/exe" % p) == exe:
                left.append(p)
        except OSError:
            pass
    if not left:
        sys.exit(0)
    time.sleep(0.05)
sys.exit("left: %s" % left)' "$t/silt-rel"

# where close_range fails (kernels before 5.9, seccomp profiles that refuse it) the child ends
# at once and the process frees its memory itself: the exit does not wait for anything
timeout 60 "$PY" "$ROOT/tests/cli/lib/no_close_range.py" "$t/silt-rel" parse $P > "$t/ncr.out" 2>&1
rc=$?
# (a process left behind by a failure is killed: it blocks every signal but SIGKILL)
"$PY" -c '
import os, signal, sys
exe = os.path.realpath(sys.argv[1])
for p in os.listdir("/proc"):
    try:
        if p.isdigit() and os.readlink("/proc/%s/exe" % p) == exe:
            os.kill(int(p), signal.SIGKILL)
    except OSError:
        pass' "$t/silt-rel"
check "without close_range the parse ends, its output whole, status 0" \
	sh -c "[ $rc -eq 0 ] && grep -q '^Found 3000 models' '$t/ncr.out'"

# the same manifest as the sanitizer build's
rm -rf "$t/p/target"
silt parse $P > /dev/null 2>&1
mask "$t/p/target/manifest.json" > "$t/asan.json"
check "the release and sanitizer builds write the same manifest" cmp -s "$t/rel1.json" "$t/asan.json"

# a second and third write: the previous manifest is kept as manifest.json.tmp and written
# over in place; a smaller manifest is cut to its length
NO_COLOR=1 "$REL" parse $P > /dev/null
check "the previous manifest is kept as manifest.json.tmp" test -f "$t/p/target/manifest.json.tmp"
mask "$t/p/target/manifest.json" > "$t/rel2.json"
check "a manifest written over the previous one is the same" cmp -s "$t/rel1.json" "$t/rel2.json"
rm -rf "$t/p/models/f0010" "$t/p/models/f0011" "$t/p/models/f0012" "$t/p/models/f0013" \
	"$t/p/models/f0014" "$t/p/models/f0015" "$t/p/models/f0016" "$t/p/models/f0017" \
	"$t/p/models/f0018" "$t/p/models/f0019" "$t/p/models/f0020" "$t/p/models/f0021" \
	"$t/p/models/f0022" "$t/p/models/f0023" "$t/p/models/f0024" "$t/p/models/f0025" \
	"$t/p/models/f0026" "$t/p/models/f0027" "$t/p/models/f0028" "$t/p/models/f0029"
NO_COLOR=1 "$REL" parse $P > "$t/small.out"
NO_COLOR=1 "$REL" parse $P > "$t/small.out"
check "a smaller project's manifest, written over a bigger one, is cut to its length" \
	"$PY" -c "import json,sys; m=json.load(open(sys.argv[1])); sys.exit(len([k for k in m['nodes'] if k.startswith('model.')]) != 1000)" "$t/p/target/manifest.json"
mask "$t/p/target/manifest.json" > "$t/rel3.json"
rm -rf "$t/p/target"
silt parse $P > /dev/null 2>&1
mask "$t/p/target/manifest.json" > "$t/asan3.json"
check "... and is the sanitizer build's" cmp -s "$t/rel3.json" "$t/asan3.json"

# a compile that fails: the same output and exit status as the sanitizer build's
printf '%s\n' "select 1 {% if execute %}{{ exceptions.raise_compiler_error('no ' ~ this) }}{% endif %}" \
	> "$t/p/models/f0000/zz_bad.sql"
NO_COLOR=1 "$REL" compile $P > "$t/rel.out" 2>&1
echo "rc=$?" >> "$t/rel.out"
silt compile $P > "$t/asan.out" 2>&1
echo "rc=$?" >> "$t/asan.out"
sed -E 's/[0-9]{2}:[0-9]{2}:[0-9]{2}//; s/in [0-9.]+ ?s(econds)?/in Xs/' "$t/rel.out" > "$t/rel.m"
sed -E 's/[0-9]{2}:[0-9]{2}:[0-9]{2}//; s/in [0-9.]+ ?s(econds)?/in Xs/' "$t/asan.out" > "$t/asan.m"
check "a failing compile: output and exit status as the sanitizer build's" cmp -s "$t/rel.m" "$t/asan.m"
check "... which is 1" grep -qx "rc=1" "$t/rel.out"
finish
