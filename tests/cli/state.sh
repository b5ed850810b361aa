#!/bin/sh
# --state, state:/result: selection and --defer on a two-version project. Version 1 is built
# into the `prod` target (schema prod) and its target/ kept as the state; version 2 changes one
# model's body, one model's config (in dbt_project.yml only), a macro that one model calls
# directly and another through a second macro, a seed's contents, deletes a model, adds one, and
# is run with another --vars value and env var. The expected selections are derived by hand from
# dbt's rules (selector_methods.py StateSelectorMethod, nodes.py same_*): see each check.
set -u
SILT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
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
p=$t/p
mkdir -p "$p/models" "$p/macros" "$p/seeds"
cd "$p" || exit 1

# ---- version 1 ----
cat > dbt_project.yml <<'EOF'
name: st
profile: st
config-version: 2
vars:
  region: eu
models:
  st:
    +materialized: view
    env_aware:
      +materialized: "{{ 'table' if target.name == 'prod' else 'view' }}"
    var_in_config:
      +tags: "{{ var('region', 'none') }}"
EOF
cat > profiles.yml <<'EOF'
st:
  target: dev
  outputs:
    prod: {type: sqlite, path: db.sqlite, schema: prod, threads: 1}
    dev: {type: sqlite, path: db.sqlite, schema: dev, threads: 1}
EOF
printf 'id,amount\n1,10\n2,20\n' > seeds/raw_items.csv
printf 'code\na\n' > seeds/raw_codes.csv
echo "select id, amount from {{ ref('raw_items') }}" > models/base.sql
echo "{{ config(materialized='table') }} select id from {{ ref('base') }}" > models/body_change.sql
echo "select id, amount from {{ ref('base') }}" > models/config_change.sql
echo "select {{ cents('amount') }} as c from {{ ref('base') }}" > models/macro_user.sql
echo "select {{ wrap('amount') }} as c from {{ ref('base') }}" > models/macro_nested.sql
echo "select id from {{ ref('base') }}" > models/env_aware.sql
echo "select id from {{ ref('base') }}" > models/deleted.sql
echo "select id from {{ ref('base') }}" > models/unchanged.sql
echo "select id from {{ ref('body_change') }}" > models/grandchild.sql
echo "select '{{ var(\"region\") }}' as r" > models/uses_var.sql
echo "select '{{ env_var(\"ST_COLOR\", \"red\") }}' as c" > models/uses_env.sql
echo "select {{ region_tag() }} as r" > models/var_in_macro.sql
echo "select 1 as id" > models/var_in_config.sql
echo "{% macro region_tag() %}'{{ var(\"region\") }}'{% endmacro %}" > macros/region.sql
echo "{{ config(materialized='ephemeral') }} select id from {{ ref('base') }}" > models/eph.sql
echo "{{ config(materialized='table') }} select id from {{ ref('eph') }}" > models/after_eph.sql
cat > macros/m.sql <<'EOF'
{% macro cents(x) %}{{ x }} * 100{% endmacro %}
{% macro wrap(x) %}({{ cents(x) }}){% endmacro %}
EOF

silt build --target prod > "$t/out" 2>&1
check "version 1 builds into the prod target" grep -q "Completed successfully" "$t/out"
cp -R target prod-state
check "the target keeps each node's var()/env_var() values in node_vars.json" /usr/bin/python3 -c "
import json
f = json.load(open('prod-state/node_vars.json'))
assert f['metadata']['silt_schema_version'] == 'node_vars/v2', f['metadata']
d = f['nodes']
assert d['model.st.uses_var'] == {'var.region': \"'eu'\"}, d['model.st.uses_var']
assert d['model.st.uses_env'] == {'env_var.ST_COLOR': None}, d['model.st.uses_env']
assert d['model.st.var_in_macro'] == {'var.region': \"'eu'\"}, d['model.st.var_in_macro']
# (a var in dbt_project.yml's config for it only: its unrendered config)
assert d['model.st.var_in_config'] == {'var.region': \"'eu'\"}, d['model.st.var_in_config']
# (v2) a node that reads no var is left out
assert 'model.st.base' not in d and 'model.st.macro_user' not in d, sorted(d)"

# the dev target compared with prod's state, still at version 1: env-aware config in
# dbt_project.yml is kept unrendered, so a different target.name changes nothing
silt ls -s state:modified --state prod-state --output name > "$t/out" 2>"$t/err"
check "same code in another target: nothing is modified (no false positive)" test ! -s "$t/out"
check "... and dbt's warning says so" grep -q "criterion 'state:modified' does not match any enabled nodes" "$t/err"

# ---- version 2 ----
echo "{{ config(materialized='table') }} select id, 1 as one from {{ ref('base') }}" > models/body_change.sql
cat >> dbt_project.yml <<'EOF'
    config_change:
      +materialized: table
EOF
cat > macros/m.sql <<'EOF'
{% macro cents(x) %}{{ x }} * 1000{% endmacro %}
{% macro wrap(x) %}({{ cents(x) }}){% endmacro %}
EOF
rm models/deleted.sql
echo "select 1 as id" > models/new_model.sql
printf 'code\nb\n' > seeds/raw_codes.csv

sel() { # SELECTOR -> the selected models and seeds by name, on one line
	ST_COLOR=blue silt ls -s "$@" --state prod-state --vars '{region: us}' --output name \
		--resource-type model seed 2>"$t/err" | tr '\n' ' ' | sed 's/ $//'
}
expect() { # NAME SELECTOR WANT
	got=$(sel "$2")
	check "$1" test "$got" = "$3"
	[ "$got" = "$3" ] || echo "# $2: got '$got', want '$3'"
}
# modified = a different body, config, fqn or relation, an upstream macro changed, or new; the
# deleted model cannot be selected; vars and env vars are invisible to it (as in dbt)
expect "state:modified" state:modified \
	"body_change config_change macro_nested macro_user new_model raw_codes"
expect "state:modified.body: raw_code, and a seed's checksum" state:modified.body \
	"body_change new_model raw_codes"
expect "state:modified.configs: a dbt_project.yml-only change" state:modified.configs \
	"config_change new_model"
expect "state:modified.macros: directly and through another macro" state:modified.macros \
	"macro_nested macro_user"
expect "state:new" state:new "new_model"
expect "state:modified.relation: no configured schema/alias/database changed" \
	state:modified.relation "new_model"
expect "state:modified.vars: a --vars value and an env var (and new nodes)" \
	state:modified.vars "new_model uses_env uses_var var_in_config var_in_macro"
expect "state:unmodified" state:unmodified \
	"after_eph base env_aware eph grandchild unchanged uses_env uses_var var_in_config var_in_macro raw_items"
expect "state:old" state:old \
	"after_eph base body_change config_change env_aware eph grandchild macro_nested macro_user unchanged uses_env uses_var var_in_config var_in_macro raw_codes raw_items"
expect "state:modified+ adds the children" state:modified.body+ \
	"body_change grandchild new_model raw_codes"
expect "result:success reads run_results.json" result:success \
	"after_eph base body_change config_change env_aware grandchild macro_nested macro_user unchanged uses_env uses_var var_in_config var_in_macro raw_codes raw_items"
expect "an intersection of state and config" "state:modified,config.materialized:table" \
	"body_change config_change"

got=$(env -u ST_COLOR "$SILT" ls -s state:modified.vars --state prod-state --output name 2>/dev/null | tr '\n' ' ')
check "state:modified.vars: the same values select only new nodes" test "$got" = "new_model "
# node_vars.json v2 leaves out the nodes that read no var: base read none in prod-state, so
# reading one now is a change
cp models/base.sql "$t/base.sql"
echo "-- {{ var('region') }}" >> models/base.sql
got=$(env -u ST_COLOR "$SILT" ls -s state:modified.vars --state prod-state --output name 2>/dev/null | tr '\n' ' ')
check "state:modified.vars: a node left out (no var then) that reads one now" \
	test "$got" = "base new_model "
cp "$t/base.sql" models/base.sql

# ---- deferral ----
# body_change (a table) reads base: in dev base does not exist yet
silt run -s body_change > "$t/out" 2>&1
check "without --defer the dev run fails (no dev base)" grep -q "ERROR=1" "$t/out"
silt run -s body_change --defer --state prod-state > "$t/out" 2>&1
check "with --defer --state the run succeeds" grep -q "PASS=1 WARN=0 ERROR=0" "$t/out"
check "and the compiled SQL points at prod's relation" \
	grep -q 'from "main"."prod__base"' target/compiled/st/models/body_change.sql
check "which was built in dev from prod's rows" /usr/bin/python3 -c "
import sqlite3; r = sqlite3.connect('db.sqlite').execute('select count(*) from dev__body_change').fetchall()
assert r == [(2,)], r"
silt run -s after_eph --defer --state prod-state > "$t/out" 2>&1
check "an ephemeral parent stays inlined (its own ref deferred)" grep -q \
	'__dbt__cte__eph as (' target/compiled/st/models/after_eph.sql
check "... and the ephemeral's parent is prod's" grep -q '"main"."prod__base"' \
	target/compiled/st/models/after_eph.sql
silt run -s base > "$t/out" 2>&1
silt run -s body_change --defer --state prod-state > "$t/out" 2>&1
check "once dev has base, --defer uses it" grep -q '"main"."dev__base"' \
	target/compiled/st/models/body_change.sql
silt run -s body_change --defer --favor-state --state prod-state > "$t/out" 2>&1
check "--favor-state prefers prod's relation" grep -q '"main"."prod__base"' \
	target/compiled/st/models/body_change.sql
silt run -s base body_change --defer --favor-state --state prod-state > "$t/out" 2>&1
check "a selected parent is never deferred" grep -q '"main"."dev__base"' \
	target/compiled/st/models/body_change.sql
silt compile -s body_change --defer --favor-state --defer-state prod-state > "$t/out" 2>&1
check "compile --defer-state defers without --state" grep -q '"main"."prod__base"' \
	target/compiled/st/models/body_change.sql
silt ls -s state:modified --defer-state prod-state > "$t/out" 2>&1
check "state selection needs --state, not --defer-state" grep -q "no comparison manifest" "$t/out"
DBT_STATE=prod-state DBT_DEFER=1 DBT_FAVOR_STATE=true silt compile -s body_change > "$t/out" 2>&1
check "DBT_STATE, DBT_DEFER and DBT_FAVOR_STATE" grep -q '"main"."prod__base"' \
	target/compiled/st/models/body_change.sql

# ---- bad input ----
silt run -s body_change --defer > "$t/out" 2>&1
rc=$?
check "--defer without state: dbt's error, exit 2" sh -c "[ $rc -eq 2 ] && grep -q 'Received a --defer argument, but no value was provided to --state' '$t/out'"
silt ls -s state:modified > "$t/out" 2>&1
rc=$?
check "a state selector without --state is an error" sh -c "[ $rc -ne 0 ] && grep -q 'Got a state selector method, but no comparison manifest' '$t/out'"
silt ls -s state:changed --state prod-state > "$t/out" 2>&1
check "an unknown state check names the valid ones" grep -q "Got an invalid selector \"changed\", expected one of" "$t/out"
mkdir bad
sed 's#manifest/v12.json#manifest/v99.json#' prod-state/manifest.json > bad/manifest.json
silt ls -s state:modified --state bad > "$t/out" 2>&1
rc=$?
check "a manifest of an unknown schema version is a clear error" sh -c "[ $rc -ne 0 ] && grep -q 'but found \"https://schemas.getdbt.com/dbt/manifest/v99.json\"' '$t/out'"
silt ls -s state:modified --state nowhere > "$t/out" 2>&1
check "a missing state directory names the manifest it wanted" grep -q "nowhere/manifest.json" "$t/out"
rm bad/manifest.json
cp prod-state/manifest.json bad/manifest.json
silt ls -s result:error --state bad > "$t/out" 2>&1
check "result: without run_results.json is an error" grep -q "no comparison run_results" "$t/out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
