#!/bin/sh
# silt build / run / test on SQLite over examples/shop and a small failing project: the whole DAG
# builds, a second build is idempotent, run_results.json validates against dbt's schema, a
# failing test skips what depends on its model, a SQL error names the node and leaves the old
# table, and the exit codes are dbt's.
. "$(dirname "$0")/lib/common.sh" "$1"
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db*
q() { /usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall())" "$1" "$2"; }
schemas=""
for s in "$ROOT/../shared/schemas" /work/shared/schemas; do
	[ -f "$s/run-results-v6.json" ] && schemas=$s && break
done
validate() { # FILE [SCHEMA]
	/usr/bin/python3 -c "
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))" "$1" "$schemas/${2:-run-results-v6.json}"
}
status_of() {
	/usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
print(' '.join(sorted(x['status'] for x in r['results'] if x['unique_id'].startswith(sys.argv[2]))))" "$1" "$2"
}

# ---- examples/shop
silt build --project-dir "$t/shop" --profiles-dir "$t/shop" > "$t/out" 2>&1
rc=$?
check "build of examples/shop exits 0" [ $rc -eq 0 ]
check "every node passes" grep -q 'Done. PASS=25 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=25' "$t/out"
db=$t/shop/warehouse.db
check "views in the staging schema, tables in main" [ "$(q "$db" "select type, name from sqlite_master where name in ('staging__stg_orders','customers','large_orders') order by name")" = "[('table', 'customers'), ('table', 'large_orders'), ('view', 'staging__stg_orders')]" ]
check "the ephemeral model builds nothing" [ "$(q "$db" "select count(*) from sqlite_master where name like '%int_order_payments%'")" = "[(0,)]" ]
check "customers holds the expected rows" [ "$(q "$db" "select customer_id, number_of_orders, customer_lifetime_value from customers order by customer_id limit 3")" = "[(1, 2, 35.0), (2, 1, 23.0), (3, 2, 47.0)]" ]
check "no __dbt_tmp or __dbt_backup relation is left" [ "$(q "$db" "select count(*) from sqlite_master where name like '%dbt_tmp%' or name like '%dbt_backup%'")" = "[(0,)]" ]
check "target/run holds the executed DDL" grep -q 'create table "main"."customers__dbt_tmp"' "$t/shop/target/run/shop/models/marts/customers.sql"
check "generic tests compile under their yml file" [ -f "$t/shop/target/compiled/shop/models/marts/schema.yml/unique_customers_customer_id.sql" ]
if [ -n "$schemas" ]; then
	check "run_results.json validates against run-results v6" validate "$t/shop/target/run_results.json"
	check "the manifest.json build writes validates against manifest v12" validate "$t/shop/target/manifest.json" manifest-v12.json
	(cd "$t/shop" && "$SILT" run-operation cents_to_dollars --args '{column_name: amount}' >/dev/null 2>&1)
	check "run-operation's run_results.json validates against run-results v6" validate "$t/shop/target/run_results.json"
	(cd "$t/shop" && "$SILT" build >/dev/null 2>&1) # (the checks below read the build's results)
else
	echo "# skipped: run_results schema validation (no ../shared/schemas beside the checkout)"
fi
check "run_results has tests as pass and models as success" [ "$(status_of "$t/shop/target/run_results.json" model.shop.customers)" = "success" ]
rows1=$(q "$db" "select count(*) from large_orders")
silt build --project-dir "$t/shop" --profiles-dir "$t/shop" > "$t/out" 2>&1
check "a second build is idempotent" [ $? -eq 0 ] && [ "$(q "$db" "select count(*) from large_orders")" = "$rows1" ]
check "the incremental run merges with delete+insert" grep -q 'delete from "main"."large_orders"' "$t/shop/target/run/shop/models/marts/large_orders.sql"
silt run --project-dir "$t/shop" --profiles-dir "$t/shop" -s large_orders --full-refresh > "$t/out" 2>&1
check "--full-refresh rebuilds the incremental model" grep -q 'create table "main"."large_orders__dbt_tmp"' "$t/shop/target/run/shop/models/marts/large_orders.sql"
silt test --project-dir "$t/shop" --profiles-dir "$t/shop" -s customers > "$t/out" 2>&1
check "test -s customers runs the customers tests only" grep -q 'Done. PASS=3 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=3' "$t/out"

# ---- failures
p=$t/bad
mkdir -p "$p/models"
cat > "$p/dbt_project.yml" <<'YML'
name: bad
version: '1.0'
profile: bad
on-run-end: ["create table if not exists hook_ran as select 1 as x"]
YML
cat > "$p/profiles.yml" <<'YML'
bad:
  target: dev
  outputs:
    dev: {type: sqlite, path: db.sqlite, schema: main, threads: 2}
YML
echo "select 1 as id union all select 1" > "$p/models/a.sql"
echo "select * from {{ ref('a') }}" > "$p/models/b.sql"
echo "{{ config(materialized='table') }} select 7 as v" > "$p/models/c.sql"
cat > "$p/models/s.yml" <<'YML'
version: 2
models:
  - name: a
    columns:
      - name: id
        data_tests:
          - unique
          - not_null
          - accepted_values: {values: [1], quote: false, config: {severity: warn}}
YML
silt build --project-dir "$p" --profiles-dir "$p" > "$t/out" 2>&1
rc=$?
check "a failing test makes build exit 1" [ $rc -eq 1 ]
check "the failing test prints FAIL with its count" grep -q 'FAIL 1 unique_a_id \.* \[FAIL 1 in ' "$t/out"
check "its model's children are skipped" grep -q 'SKIP relation main.b ' "$t/out"
check "the summary names the failure" grep -q 'Failure in test unique_a_id (models/s.yml)' "$t/out"
check "the summary gives the count" grep -q '  Got 1 result, configured to fail if != 0' "$t/out"
check "an unrelated model still builds" [ "$(q "$p/db.sqlite" "select v from c")" = "[(7,)]" ]
check "on-run-end hooks run" [ "$(q "$p/db.sqlite" "select x from hook_ran")" = "[(1,)]" ]
check "run_results says fail, skipped" [ "$(status_of "$p/target/run_results.json" test.bad.unique)" = "fail" ] && [ "$(status_of "$p/target/run_results.json" model.bad.b)" = "skipped" ]
echo "{{ config(materialized='table') }} select * from {{ ref('a') }} where no_such_column = 1" > "$p/models/c.sql"
silt run --project-dir "$p" --profiles-dir "$p" -s c > "$t/out" 2>&1
rc=$?
check "a SQL error exits 1" [ $rc -eq 1 ]
check "it prints the database's message" grep -q 'no such column: no_such_column' "$t/out"
check "it names the node and the compiled code" grep -q 'Database Error in model c (models/c.sql)' "$t/out" && grep -q 'compiled code at target/run/bad/models/c.sql' "$t/out"
check "the old table is left intact" [ "$(q "$p/db.sqlite" "select v from c")" = "[(7,)]" ]
silt run --project-dir "$p" --profiles-dir "$p" -s no_such_model > "$t/out" 2>&1
check "a selection that matches nothing does nothing, exit 0" [ $? -eq 0 ] && grep -q 'Nothing to do' "$t/out"
silt run --project-dir "$p" --profiles-dir "$p" -s 'taag:x' > "$t/out" 2>&1
check "a bad selector exits 2" [ $? -eq 2 ]

# Ctrl-C during a table rebuild: the statement is cancelled, the old table stays, nothing is left
cat > "$p/models/slow.sql" <<'SQL'
{{ config(materialized='table') }}
{% if var('slow', false) %}
with recursive n(i) as (select 1 union all select i + 1 from n where i < 500000000)
select count(*) as c from n
{% else %}
select 42 as c
{% endif %}
SQL
silt run --project-dir "$p" --profiles-dir "$p" -s slow > "$t/out" 2>&1
(NO_COLOR=1 exec "$SILT" run --project-dir "$p" --profiles-dir "$p" -s slow+ --vars '{slow: true}' > "$t/out" 2>&1) &
pid=$!
sleep 2
kill -INT $pid
wait $pid
rc=$?
check "an interrupted run exits 1" [ $rc -eq 1 ]
check "the running statement is cancelled" grep -q 'interrupted' "$t/out"
check "the interrupted table keeps its old rows" [ "$(q "$p/db.sqlite" "select c from slow")" = "[(42,)]" ]
check "no __dbt_tmp or __dbt_backup relation is left after the interrupt" [ "$(q "$p/db.sqlite" "select count(*) from sqlite_master where name like '%dbt_tmp%' or name like '%dbt_backup%'")" = "[(0,)]" ]

echo "1..$n"
finish
