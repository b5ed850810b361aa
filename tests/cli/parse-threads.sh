#!/bin/sh
# silt parse and silt compile give the same manifest, compiled files and messages on one thread
# and on several (SILT_PARSE_THREADS): over the projects of tests/parse/, examples/shop and a
# generated project of 300 models (scripts/gen-bench-project.py). Times and ids are masked.
set -u
SILT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

n=0 pass=0 fail=0
ok() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | head -n 20 | sed 's/^/#   /'
}
mask() {
	sed -E 's/"(generated_at|invocation_id|invocation_started_at|run_started_at)": "[^"]*"/"\1": "X"/g; s/"created_at": [0-9.e+]+/"created_at": 0/g' "$1"
}

# run CMD DIR THREADS OUT: the command's stdout (log's times masked), stderr and exit status, the
# masked manifest and the compiled files' digests
run() {
	rm -rf "$2/target"
	(cd "$2" && SILT_PARSE_THREADS=$3 "$SILT" "$1" --project-dir . --profiles-dir . \
		> "$4.raw" 2> "$4.err"; echo "rc=$?" >> "$4.raw")
	sed -E 's/^[0-9]{2}:[0-9]{2}:[0-9]{2}  /HH:MM:SS  /' "$4.raw" > "$4.out"
	rm -f "$4.raw"
	if [ -f "$2/target/manifest.json" ]; then mask "$2/target/manifest.json" > "$4.manifest"; fi
	if [ -d "$2/target/compiled" ]; then
		(cd "$2/target" && find compiled -type f | sort | xargs md5sum) > "$4.compiled"
	fi
}

"$PY" "$ROOT/scripts/gen-bench-project.py" "$t/src/gen300" 300 || exit 1
# two models that fail to compile, far apart: their errors come in node order
for m in f0000/zz_bad_a f0002/zz_bad_b; do
	printf '%s\n' "select 1 {% if execute %}{{ exceptions.raise_compiler_error('no ' ~ this) }}{% endif %}" \
		> "$t/src/gen300/models/$m.sql"
done
# a model that empties its own node dict while it compiles: the others (whose dicts share a hash
# index with it, see parse-speed.md) must compile as before
printf '%s\n' "{% if execute %}{% do model.clear() %}{% endif %}select 1 as id" \
	> "$t/src/gen300/models/f0000/aaa_clear.sql"
# a copy with errors in several files: two schema files that are not YAML, a ref to nothing
cp -R "$t/src/gen300" "$t/src/gen300bad"
printf 'version: 2\nmodels: [\n' > "$t/src/gen300bad/models/f0000/schema.yml"
printf 'version: 2\nmodels:\n  - name: m250\n   bad: indent\n' > "$t/src/gen300bad/models/f0002/schema.yml"
printf "select * from {{ ref('nowhere') }}\n" > "$t/src/gen300bad/models/f0001/zz_bad_ref.sql"
# a copy whose templates write while they render, from models in several folders, a macro they
# call and a test's config string: parsed side by side, the lines still come in file order (the
# tests' config strings render after every model file, as dbt's schema parser comes after them)
cp -R "$t/src/gen300" "$t/src/gen300print"
printf '%s\n' "{% macro say(what) %}{{ log('say ' ~ what, info=True) }}{% endmacro %}" \
	> "$t/src/gen300print/macros/say.sql"
for m in f0000/m3 f0000/m40 f0001/m120 f0001/m199 f0002/m201 f0002/m290; do
	name=$(basename "$m")
	{
		printf '%s\n' "{{ log('log $name', info=True) }}{{ print('print $name') }}"
		printf '%s\n' "{{ exceptions.warn('warn $name') }}{{ say('$name') }}"
		printf '%s\n' "{{ log('not shown $name') }}"
	} >> "$t/src/gen300print/models/$m.sql"
done
printf 'select 1 as id\n' > "$t/src/gen300print/models/f0001/m150_where.sql"
cat >> "$t/src/gen300print/models/f0001/schema.yml" <<'YML'
  - name: m150_where
    columns:
      - name: id
        data_tests:
          - accepted_values:
              values: [1]
              config:
                where: "{{ print('where m150_where') }}id > 0"
YML
# a schema file whose second entry fails to render: the main thread renders that section again
# after the worker gave up on it, so what the first entry printed must not come out twice
cp -R "$ROOT/tests/parse/basic" "$t/redo"
cat > "$t/redo/models/redo.yml" <<'YML'
version: 2
models:
  - name: a_redo
    config: {meta: {x: "{{ print('P1 printed once') }}"}}
  - name: b_redo
    config: {meta: {y: "{{ 1 +  }}"}}
YML
for th in 1 2; do
	(cd "$t/redo" && SILT_PARSE_THREADS=$th "$SILT" parse --project-dir . --profiles-dir . \
		> "$t/redo.out" 2> "$t/redo.err")
	got=$(grep -c 'P1 printed once' "$t/redo.out")
	if [ "$got" = 1 ]; then
		ok "a schema section rendered again after an error prints once ($th thread(s))"
	else
		notok "a schema section rendered again after an error prints once ($th thread(s))" \
			"printed $got times; stderr: $(head -n 3 "$t/redo.err")"
	fi
done
for dir in "$ROOT"/tests/parse/*/ "$ROOT/examples/shop/" "$t/src/gen300/" "$t/src/gen300bad/" \
	"$t/src/gen300print/"; do
	case=$(basename "$dir")
	cmds=parse
	[ "$case" = shop ] || [ "$case" = gen300 ] || [ "$case" = gen300print ] && cmds="parse compile"
	for cmd in $cmds; do
		rm -rf "$t/$case"
		cp -R "$dir" "$t/$case"
		mkdir -p "$t/out"
		run "$cmd" "$t/$case" 1 "$t/out/one"
		run "$cmd" "$t/$case" 2 "$t/out/two"
		run "$cmd" "$t/$case" 3 "$t/out/three"
		d=""
		for f in "$t"/out/one.*; do
			ext=${f##*.}
			d="$d$(diff "$f" "$t/out/two.$ext" 2>&1 | head -n 5)$(diff "$f" "$t/out/three.$ext" 2>&1 | head -n 5)"
		done
		if [ "$case" = gen300print ] && [ "$cmd" = parse ]; then
			want="HH:MM:SS  log m3|print m3|HH:MM:SS  say m3|HH:MM:SS  log m40|print m40|HH:MM:SS  say m40|HH:MM:SS  log m120|print m120|HH:MM:SS  say m120|HH:MM:SS  log m199|print m199|HH:MM:SS  say m199|HH:MM:SS  log m201|print m201|HH:MM:SS  say m201|HH:MM:SS  log m290|print m290|HH:MM:SS  say m290|where m150_where|"
			got=$(grep -E ' m[0-9]+(_where)?$' "$t/out/two.out" | tr '\n' '|')
			[ "$got" = "$want" ] || d="$d
stdout on two threads, in this order: $got"
			got=$(grep -c '^\[WARNING\]: warn m' "$t/out/two.err")
			[ "$got" = 6 ] || d="$d
warnings on stderr: $got of 6"
		fi
		if [ "$case" = gen300 ] && [ "$cmd" = compile ]; then
			m1=$(cat "$t/$case/target/compiled/bench/models/f0000/m1.sql" 2>&1)
			case "$m1" in
			*'from "main"."seed_3" as base'*) ;;
			*) d="$d
m1.sql after a model cleared its dict: $m1" ;;
			esac
		fi
		if [ -z "$d" ]; then
			ok "$case: $cmd on 1, 2 and 3 threads gives the same output"
		else
			notok "$case: $cmd on 1, 2 and 3 threads gives the same output" "$d"
		fi
		rm -rf "$t/out"
	done
done
echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
