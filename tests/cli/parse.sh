#!/bin/sh
# silt parse over the projects in tests/parse/: each case is a small dbt project. A case with an
# `error` file must fail with exit 2 and print that text as its first stderr line; otherwise it
# must succeed and every line of its `expect` file (a Python expression over the manifest `m`,
# with helpers nodes(), node(uid), ids()) must be true. Every manifest written is also validated
# against the manifest v12 JSON schema (../shared/schemas, skipped with a note when absent).
set -u
SILT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CASES="$ROOT/tests/parse"
PY=/usr/bin/python3
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

if "$SILT" parse --project-dir "$t/none" 2>&1 | grep -q "unknown command 'parse'"; then
	echo "ok 1 - # SKIP silt parse is not registered in this binary"
	echo "1..1"
	echo "1 passed, 0 failed"
	exit 0
fi
SCHEMA=""
for s in "$ROOT/../shared/schemas/manifest-v12.json" /work/shared/schemas/manifest-v12.json; do
	[ -f "$s" ] && SCHEMA=$s && break
done

n=0 pass=0 fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'
}

for dir in "$CASES"/*/; do
	case=$(basename "$dir")
	rm -rf "$t/$case"
	cp -R "$dir" "$t/$case"
	(cd "$t/$case" && "$SILT" parse --project-dir . > "$t/out" 2> "$t/err")
	rc=$?
	if [ -f "$dir/error" ]; then
		want=$(head -n 1 "$dir/error")
		got=$(head -n 1 "$t/err")
		if [ "$rc" -eq 2 ] && [ "$got" = "$want" ]; then
			ok "$case: fails with the expected error"
		else
			notok "$case: fails with the expected error" "rc=$rc
got:  $got
want: $want"
		fi
		continue
	fi
	if [ "$rc" -ne 0 ] || [ ! -f "$t/$case/target/manifest.json" ]; then
		notok "$case: parse succeeds" "rc=$rc
$(cat "$t/err")"
		continue
	fi
	ok "$case: parse succeeds"
	if [ -n "$SCHEMA" ]; then
		if msg=$("$PY" - "$SCHEMA" "$t/$case/target/manifest.json" 2>&1 <<'PYEOF'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
m = json.load(open(sys.argv[2]))
errs = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(m))
for e in errs[:5]:
    print(list(e.absolute_path)[:3], e.message[:300])
sys.exit(1 if errs else 0)
PYEOF
		); then
			ok "$case: manifest validates against manifest-v12.json"
		else
			notok "$case: manifest validates against manifest-v12.json" "$msg"
		fi
	else
		ok "$case: # SKIP no ../shared/schemas/manifest-v12.json beside the checkout"
	fi
	[ -f "$dir/expect" ] || continue
	"$PY" - "$t/$case/target/manifest.json" "$dir/expect" "$t/$case" "$case" > "$t/tap" 2>&1 <<'PYEOF'
import hashlib, json, sys
m = json.load(open(sys.argv[1]))
proj, case = sys.argv[3], sys.argv[4]
def nodes(): return m["nodes"]
def node(uid): return m["nodes"].get(uid) or m["sources"].get(uid) or m["macros"].get(uid)
def ids(prefix=""): return sorted(k for k in list(m["nodes"]) + list(m["sources"]) if k.startswith(prefix))
def sha256(path): return hashlib.sha256(open(proj + "/" + path, encoding="utf-8").read().strip().encode()).hexdigest()
for line in open(sys.argv[2]):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    try:
        good = eval(line)
        why = ""
    except Exception as e:
        good, why = False, f"{type(e).__name__}: {e}"
    print(("ok" if good else "not ok") + " - " + case + ": " + line)
    if why:
        print("#   " + why)
PYEOF
	while IFS= read -r l; do
		case "$l" in
		"ok - "*) ok "${l#ok - }" ;;
		"not ok - "*) notok "${l#not ok - }" ;;
		*) echo "$l" ;;
		esac
	done < "$t/tap"
done
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
