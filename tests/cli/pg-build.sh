#!/bin/sh
# silt on PostgreSQL: examples/shop builds, rebuilds (incremental delete+insert), reloads its
# seeds without losing the views over them and writes a catalog; a connection killed with
# pg_terminate_backend in the middle of a table rebuild fails that model and leaves the old table
# intact and queryable; a wrong password, a missing database and a server that is not there are
# clear errors. Needs SILT_PG_HOST/PORT/USER/PASSWORD/DATABASE (tests/run.sh starts a server);
# without them it says "skipped: no PostgreSQL server".
set -u
SILT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${SILT_PG_HOST:-}" ]; then
	echo "# skipped: no PostgreSQL server (SILT_PG_HOST is not set)"
	echo "0 passed, 0 failed"
	exit 0
fi
export PGHOST=$SILT_PG_HOST PGPORT=${SILT_PG_PORT:-5432} PGUSER=${SILT_PG_USER:-silt}
export PGPASSWORD=${SILT_PG_PASSWORD:-} PGCONNECT_TIMEOUT=10
admin_db=${SILT_PG_DATABASE:-postgres}
db=silt_t_pg_build
t=$(mktemp -d)
cleanup() {
	psql -X -q -d "$admin_db" -c "drop database if exists $db with (force)" >/dev/null 2>&1
	rm -rf "$t"
}
trap cleanup EXIT
pass=0 fail=0 n=0
check() {
	name=$1
	shift
	n=$((n + 1))
	if "$@"; then pass=$((pass + 1)); echo "ok $n - $name"; else fail=$((fail + 1)); echo "not ok $n - $name"; fi
}
q() { psql -X -q -A -t -F '|' -d "$db" -c "$1" 2>&1; }
silt() { NO_COLOR=1 "$SILT" "$@"; }
# profile PROJECT SCHEMA [KEY: VALUE...]: a postgres profile named after the project
profile() {
	dir=$1 name=$2 schema=$3
	shift 3
	{
		echo "$name:"
		echo "  target: dev"
		echo "  outputs:"
		echo "    dev:"
		echo "      type: postgres"
		echo "      host: \"{{ env_var('PGHOST') }}\""
		echo "      port: \"{{ env_var('PGPORT') | as_number }}\""
		echo "      user: \"{{ env_var('PGUSER') }}\""
		echo "      password: \"{{ env_var('PGPASSWORD') }}\""
		echo "      dbname: $db"
		echo "      schema: $schema"
		echo "      threads: 4"
		for kv in "$@"; do echo "      $kv"; done
	} >"$dir/profiles.yml"
}

psql -X -q -d "$admin_db" -c "drop database if exists $db with (force)" -c "create database $db" >"$t/setup" 2>&1
check "a fresh database for the test" [ $? -eq 0 ]

# ---- examples/shop
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db*
profile "$t/shop" shop shop
SHOP="--project-dir $t/shop --profiles-dir $t/shop"
silt build $SHOP >"$t/out" 2>&1
check "build of examples/shop exits 0" [ $? -eq 0 ]
check "every node passes" grep -q 'Done. PASS=25 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=25' "$t/out"
check "schemas are created: views in staging, tables in shop, seeds in raw" [ "$(q "select table_schema || '.' || table_name || ':' || table_type from information_schema.tables where table_name in ('stg_orders', 'customers', 'raw_orders') order by 1")" = "raw.raw_orders:BASE TABLE
shop.customers:BASE TABLE
staging.stg_orders:VIEW" ]
check "the ephemeral model builds nothing" [ "$(q "select count(*) from pg_class where relname like '%int_order_payments%'")" = "0" ]
check "customers holds the expected rows" [ "$(q "select customer_id, number_of_orders, customer_lifetime_value from shop.customers order by customer_id limit 3")" = "1|2|35.00
2|1|23.00
3|2|47.00" ]
check "no __dbt_tmp or __dbt_backup relation is left" [ "$(q "select count(*) from pg_class where relname like '%dbt_tmp%' or relname like '%dbt_backup%'")" = "0" ]
check "target/run holds dbt-postgres' DDL" grep -q 'create  table "silt_t_pg_build"."shop"."customers__dbt_tmp"' "$t/shop/target/run/shop/models/marts/customers.sql"
check "a table's status is the server's (SELECT n)" grep -q 'OK created sql table model shop.customers .* \[SELECT 10 in' "$t/out"
check "a view's status is CREATE VIEW" grep -q 'OK created sql view model staging.stg_orders .* \[CREATE VIEW in' "$t/out"
check "a seed's status is INSERT n" grep -q 'OK loaded seed file raw.raw_orders .* \[INSERT 12 in' "$t/out"
rows1=$(q "select count(*) from shop.large_orders")
silt build $SHOP >"$t/out" 2>&1
check "a second build is idempotent" [ $? -eq 0 ] && [ "$(q "select count(*) from shop.large_orders")" = "$rows1" ]
check "the incremental run merges with delete+insert through a temporary table" grep -q 'delete from "silt_t_pg_build"."shop"."large_orders" as DBT_INTERNAL_DEST' "$t/shop/target/run/shop/models/marts/large_orders.sql"
check "the incremental status is the insert's" grep -q 'OK created sql incremental model shop.large_orders .* \[INSERT 0 ' "$t/out"
silt seed $SHOP >"$t/out" 2>&1
check "reloading the seeds exits 0" [ $? -eq 0 ]
check "the views over the seeds survive the reload" [ "$(q "select count(*) from staging.stg_orders")" = "12" ]
# readers during swaps: each sees the old seed table or the new one, never an error
(
	errors=0
	for _ in $(seq 1 150); do
		r=$(q "select count(*) from staging.stg_orders")
		[ "$r" = "12" ] || errors=$((errors + 1))
	done
	echo "$errors" >"$t/reader"
) &
reader=$!
swaps_ok=0
for _ in 1 2 3 4 5 6; do silt seed $SHOP -s raw_orders >/dev/null 2>&1 && swaps_ok=$((swaps_ok + 1)); done
wait $reader
check "six seed reloads succeed while a reader queries the view over the seed" [ "$swaps_ok" = 6 ]
check "the reader never saw an error or a half-loaded table" [ "$(cat "$t/reader")" = "0" ]
oid=$(q "select 'raw.raw_orders'::regclass::oid")
silt seed $SHOP -s raw_orders >/dev/null 2>&1
check "an unchanged seed's reload replaces the rows of the same table, as dbt's truncate does" [ "$(q "select 'raw.raw_orders'::regclass::oid")" = "$oid" ]
silt seed $SHOP -s raw_orders --full-refresh >/dev/null 2>&1
check "--full-refresh builds a new table and swaps it in" [ "$(q "select 'raw.raw_orders'::regclass::oid")" != "$oid" ] && [ "$(q "select count(*) from staging.stg_orders")" = "12" ]
silt docs generate $SHOP >"$t/out" 2>&1
check "docs generate exits 0" [ $? -eq 0 ]
check "the catalog has PostgreSQL's types and table types" /usr/bin/python3 -c "
import json, sys
c = json.load(open(sys.argv[1]))
n = c['nodes']['model.shop.customers']
assert n['metadata']['type'] == 'BASE TABLE', n['metadata']
assert n['metadata']['database'] == 'silt_t_pg_build', n['metadata']
assert n['columns']['customer_id']['type'] == 'integer', n['columns']
assert c['nodes']['model.shop.stg_orders']['metadata']['type'] == 'VIEW'
assert c['sources']['source.shop.raw.raw_orders']['columns']['order_date']['type'] == 'date'
" "$t/shop/target/catalog.json"

# ---- a connection killed in the middle of a table rebuild
mkdir -p "$t/kill/models"
profile "$t/kill" kill killed "threads: 1"
cat >"$t/kill/dbt_project.yml" <<'EOF'
name: kill
config-version: 2
profile: kill
models:
  kill:
    +materialized: table
EOF
cat >"$t/kill/models/a_slow.sql" <<'EOF'
select n, '{{ var("label", "old") }}' as label
from generate_series(1, 3) as n, pg_sleep({{ var("sleep", 0) }})
EOF
echo "select 1 as one" >"$t/kill/models/b_after.sql"
KILL="--project-dir $t/kill --profiles-dir $t/kill"
silt run $KILL >"$t/out" 2>&1
check "the first build of the table exits 0" [ $? -eq 0 ]
silt run $KILL --vars '{sleep: 5, label: new}' >"$t/out" 2>&1 &
pid=$!
killed=""
for _ in $(seq 1 40); do
	sleep 0.25
	killed=$(q "select pg_terminate_backend(pid) from pg_stat_activity where datname = '$db' and query like '%pg_sleep(5)%' and pid <> pg_backend_pid()")
	[ -n "$killed" ] && break
done
wait $pid
rc=$?
check "the backend running the rebuild was terminated" [ "$killed" = "t" ]
check "the run exits 1" [ $rc -eq 1 ]
check "the error names the model and the server's reason" grep -q 'Database Error in model a_slow' "$t/out"
check "the server's reason is shown" grep -q "terminating connection due to administrator command" "$t/out"
check "the previous table is intact and queryable" [ "$(q "select string_agg(n || ':' || label, ',' order by n) from killed.a_slow")" = "1:old,2:old,3:old" ]
check "nothing of the rebuild is left" [ "$(q "select count(*) from pg_class where relname like 'a_slow__dbt%'")" = "0" ]
check "the next model on the same thread reconnects and builds" grep -q 'OK created sql table model killed.b_after' "$t/out"
silt run $KILL --vars '{label: new}' >"$t/out" 2>&1
check "a later run rebuilds the table" [ $? -eq 0 ] && [ "$(q "select string_agg(label, ',') from killed.a_slow")" = "new,new,new" ]

# ---- a SQL error in the middle of a table swap leaves the old table
echo "select n, 1 / (n - 2) as x from generate_series(1, 3) as n" >"$t/kill/models/a_slow.sql"
silt run $KILL -s a_slow >"$t/out" 2>&1
check "a failing rebuild exits 1" [ $? -eq 1 ]
check "its error is the server's, under the model's name" grep -q 'division by zero' "$t/out"
check "the old table is still there" [ "$(q "select count(*) from killed.a_slow")" = "3" ]

# ---- incremental strategies: merge (PostgreSQL 15) with merge_exclude_columns, append, and
# an index from the indexes config
mkdir -p "$t/inc/models" "$t/inc/seeds"
profile "$t/inc" inc inc "threads: 2"
printf 'name: inc\nconfig-version: 2\nprofile: inc\n' >"$t/inc/dbt_project.yml"
printf 'id,v,note\n1,a,x\n2,b,x\n' >"$t/inc/seeds/src.csv"
cat >"$t/inc/models/merged.sql" <<'EOF'
{{ config(materialized='incremental', incremental_strategy='merge', unique_key='id',
          merge_exclude_columns=['note'], indexes=[{'columns': ['id'], 'unique': true}]) }}
select id, v, note || '{{ var("run", 1) }}' as note from {{ ref('src') }}
EOF
cat >"$t/inc/models/appended.sql" <<'EOF'
{{ config(materialized='incremental', incremental_strategy='append') }}
select id, v from {{ ref('src') }}
{% if is_incremental() %} where id > (select max(id) from {{ this }}) {% endif %}
EOF
cat >"$t/inc/models/documented.sql" <<'EOF'
{{ config(materialized='table', grants={'select': ['public']},
          persist_docs={'relation': true, 'columns': true}) }}
select 1 as id, 'x' as "Name"
EOF
cat >"$t/inc/models/schema.yml" <<'EOF'
version: 2
models:
  - name: documented
    description: "a table's $ description with 'quotes'"
    columns:
      - {name: id, description: the id}
      - {name: Name, description: a quoted column, quote: true}
      - {name: absent, description: not in the table}
EOF
INC="--project-dir $t/inc --profiles-dir $t/inc"
silt build $INC >"$t/out" 2>&1
check "the incremental project builds" [ $? -eq 0 ]
check "persist_docs comments the table and its documented columns" [ "$(q "select obj_description('inc.documented'::regclass) || '|' || col_description('inc.documented'::regclass, 1) || '|' || col_description('inc.documented'::regclass, 2)")" = "a table's \$ description with 'quotes'|the id|a quoted column" ]
check "grants are applied to the new table" [ "$(q "select privilege_type from information_schema.role_table_grants where table_schema = 'inc' and table_name = 'documented' and grantee = 'PUBLIC'")" = "SELECT" ]
sed -i "s/select': \['public'\]/insert': ['public']/" "$t/inc/models/documented.sql"
silt run $INC -s documented >"$t/out" 2>&1
check "a rebuilt table gets the new grants only" [ "$(q "select privilege_type from information_schema.role_table_grants where table_schema = 'inc' and table_name = 'documented' and grantee = 'PUBLIC'")" = "INSERT" ]
check "the indexes config makes a unique index" [ "$(q "select indexdef like 'CREATE UNIQUE INDEX % ON inc.merged USING btree (id)' from pg_indexes where schemaname = 'inc' and tablename = 'merged'")" = "t" ]
printf 'id,v,note\n1,A,y\n2,b,y\n3,c,y\n' >"$t/inc/seeds/src.csv"
silt build $INC --vars '{run: 2}' >"$t/out" 2>&1
check "the incremental runs exit 0" [ $? -eq 0 ]
check "merge updates matched rows but the excluded column, and inserts new ones" [ "$(q "select string_agg(id || v || note, ',' order by id) from inc.merged")" = "1Ax1,2bx1,3cy2" ]
check "the merge is dbt-postgres' MERGE" grep -q 'merge into "silt_t_pg_build"."inc"."merged" as DBT_INTERNAL_DEST' "$t/inc/target/run/inc/models/merged.sql"
check "append adds only the new rows" [ "$(q "select string_agg(id || v, ',' order by id) from inc.appended")" = "1a,2b,3c" ]
silt build $INC --full-refresh >"$t/out" 2>&1
check "--full-refresh rebuilds the incremental tables" [ $? -eq 0 ] && [ "$(q "select string_agg(id || v || note, ',' order by id) from inc.merged")" = "1Ay1,2by1,3cy1" ]

# ---- Ctrl-C cancels the statement in flight on the server
echo "select n from generate_series(1, 1) as n, pg_sleep(30)" >"$t/kill/models/a_slow.sql"
# the binary itself in the background (not the silt function, whose subshell would get the signal)
NO_COLOR=1 "$SILT" run $KILL -s a_slow >"$t/out" 2>&1 &
pid=$!
running=""
for _ in $(seq 1 40); do
	sleep 0.25
	running=$(q "select count(*) from pg_stat_activity where datname = '$db' and query like '%pg_sleep(30)%' and state = 'active' and pid <> pg_backend_pid()")
	[ "$running" = "1" ] && break
done
kill -INT $pid
start=$(date +%s)
wait $pid
rc=$?
check "the slow statement was running" [ "$running" = "1" ]
check "an interrupted run exits non-zero within seconds" [ $rc -ne 0 ] && [ $(($(date +%s) - start)) -lt 10 ]
check "the statement was cancelled on the server" [ "$(q "select count(*) from pg_stat_activity where query like '%pg_sleep(30)%' and state = 'active' and pid <> pg_backend_pid()")" = "0" ]
check "the old table survives the cancel" [ "$(q "select count(*) from killed.a_slow")" = "3" ]

# ---- a statement timeout fails the model, names it, and leaves the old table
cat >"$t/kill/models/a_slow.sql" <<'EOF'
{{ config(pre_hook="set local statement_timeout = 200") }}
select n from generate_series(1, 5) as n, pg_sleep(2)
EOF
silt run $KILL -s a_slow >"$t/out" 2>&1
check "a statement timeout exits 1" [ $? -eq 1 ]
check "and says so under the model's name" grep -q 'canceling statement due to statement timeout' "$t/out"
check "the old table is untouched" [ "$(q "select count(*) from killed.a_slow")" = "3" ]

# ---- bad connection settings
profile "$t/kill" kill killed "threads: 1"
sed -i 's/password: .*/password: wrong-password/' "$t/kill/profiles.yml"
silt run $KILL >"$t/out" 2>&1
check "a wrong password exits 2" [ $? -eq 2 ]
check "and says so" grep -q 'password authentication failed for user' "$t/out"
profile "$t/kill" kill killed "threads: 1"
sed -i 's/dbname: .*/dbname: silt_no_such_db/' "$t/kill/profiles.yml"
silt run $KILL >"$t/out" 2>&1
check "a missing database exits 2" [ $? -eq 2 ]
check "and names it" grep -q 'database "silt_no_such_db" does not exist' "$t/out"
profile "$t/kill" kill killed "threads: 1" "retries: 0"
sed -i 's/port: .*/port: 1/' "$t/kill/profiles.yml"
silt run $KILL >"$t/out" 2>&1
check "a server that is not there exits 2" [ $? -eq 2 ]
check "and says it cannot connect" grep -q 'could not connect to PostgreSQL' "$t/out"

# ---- threads: four models that each wait a second build side by side (a Jinja environment
# and a connection per thread), not one after another
P=$t/par
mkdir -p "$P/models"
printf 'name: par\nversion: "1.0"\nprofile: par\nmodels:\n  par:\n    +materialized: table\n' > "$P/dbt_project.yml"
profile "$P" par par
for i in 1 2 3 4; do echo "select $i as id, (select 1 from pg_sleep(1)) as s" > "$P/models/m$i.sql"; done
start=$(date +%s.%N)
silt run --project-dir "$P" --profiles-dir "$P" --threads 4 > "$t/out" 2>&1
rc=$?
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
check "four one-second models on four threads" test $rc -eq 0
check "... run side by side (${took}s, one after another would take 4s)" awk -v x="$took" 'BEGIN { exit !(x < 3) }'

# ---- clone and source freshness on PostgreSQL
cp -R "$P/target" "$t/par-state"
profile "$P" par par_dev
silt clone --project-dir "$P" --profiles-dir "$P" --state "$t/par-state" > "$t/out" 2>&1
check "silt clone makes the dev schema and views over the state's tables" test "$(q "select count(*) from par_dev.m1")" = 1
check "... as views" test "$(q "select table_type from information_schema.tables where table_schema = 'par_dev' and table_name = 'm1'")" = VIEW
q "create table par.events as select 1 as id, now() - interval '3 hours' as loaded_at" > /dev/null
cat > "$P/models/src.yml" <<'EOT'
version: 2
sources:
  - name: raw
    schema: par
    loaded_at_field: loaded_at
    freshness: {warn_after: {count: 1, period: hour}, error_after: {count: 1, period: day}}
    tables: [{name: events}]
EOT
silt source freshness --project-dir "$P" --profiles-dir "$P" > "$t/out" 2>&1
check "source freshness on PostgreSQL: three hours old is a warning" grep -q "WARN freshness of raw.events" "$t/out"

# ---- query comments: the statements a model sends carry dbt's comment (the server's
# current_query() shows it), appended when asked, none when query-comment is null
C=$t/qc
mkdir -p "$C/models"
profile "$C" qc qc
printf 'name: qc\nprofile: qc\nmodels:\n  qc:\n    +materialized: table\n' > "$C/dbt_project.yml"
echo "select current_query() as q" > "$C/models/m.sql"
silt run --project-dir "$C" --profiles-dir "$C" > "$t/out" 2>&1
check "a model that records its own statement builds" [ $? -eq 0 ]
check "the statement starts with dbt's default query comment" [ "$(q "select q like '/* {\"app\": \"dbt\", \"dbt_version\": \"%\", \"profile_name\": \"qc\", \"target_name\": \"dev\", \"node_id\": \"model.qc.m\"} */' || chr(10) || '%create  table%' from qc.m")" = t ]
printf 'name: qc\nprofile: qc\nmodels:\n  qc:\n    +materialized: table\nquery-comment:\n  comment: "run by {{ target.user }} for {{ node.name }}"\n  append: true\n' > "$C/dbt_project.yml"
silt run --project-dir "$C" --profiles-dir "$C" > "$t/out" 2>&1
check "an appended comment comes after the statement" [ $? -eq 0 ] && [ "$(q "select q like '%create  table%)' || chr(10) || '/* run by $PGUSER for m */' from qc.m")" = t ]
printf 'name: qc\nprofile: qc\nmodels:\n  qc:\n    +materialized: table\nquery-comment: null\n' > "$C/dbt_project.yml"
silt run --project-dir "$C" --profiles-dir "$C" > "$t/out" 2>&1
check "query-comment: null sends the statement alone" [ $? -eq 0 ] && [ "$(q "select q not like '%/*%' from qc.m")" = t ]

# ---- microbatch: refs read the batch's window ('+00:00' bounds, dbt's subquery alias), each
# batch merges on the unique_key, which dbt-postgres requires
M=$t/mb
mkdir -p "$M/models" "$M/seeds"
profile "$M" mb mb
printf 'name: mb\nprofile: mb\nseeds:\n  mb:\n    +event_time: ts\n' > "$M/dbt_project.yml"
printf 'id,ts\n1,2024-01-01 05:00:00\n2,2024-01-02 00:00:00\n3,2024-01-02 23:00:00\n' > "$M/seeds/ev.csv"
cat > "$M/models/m.sql" <<'EOT'
{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts',
          batch_size='day', begin='2024-01-01', unique_key='id') }}
select id, ts, '{{ model.batch.id }}' as b from {{ ref('ev') }}
EOT
silt build --project-dir "$M" --profiles-dir "$M" --event-time-end 2024-01-03 > "$t/out" 2>&1
check "a microbatch model builds in daily batches" [ $? -eq 0 ] && [ "$(q "select string_agg(id || ':' || b, ',' order by id) from mb.m")" = "1:20240101,2:20240102,3:20240102" ]
check "its ref reads the last batch's window" grep -q "from (select \* from \"$db\".\"mb\".\"ev\" where ts >= '2024-01-02 00:00:00+00:00' and ts < '2024-01-03 00:00:00+00:00') _dbt_et_filter_subq_ev" "$t/mb/target/compiled/mb/models/m.sql"
check "later batches merge on the unique_key" grep -q 'merge into' "$t/mb/target/run/mb/models/m.sql"
sed -i "s/, unique_key='id'//" "$M/models/m.sql"
silt run --project-dir "$M" --profiles-dir "$M" --event-time-end 2024-01-03 > "$t/out" 2>&1
check "without a unique_key it is dbt-postgres' error" grep -q "dbt-postgres 'microbatch' requires a \`unique_key\` config" "$t/out"

# ---- expand_target_column_types widens varchar columns; seeds with quote_columns: false
X=$t/ex
mkdir -p "$X/models" "$X/seeds"
profile "$X" ex ex
printf 'name: ex\nprofile: ex\nseeds:\n  ex:\n    unq:\n      +quote_columns: false\n' > "$X/dbt_project.yml"
cp "$ROOT/tests/projects/run_incremental_expand_types/models/w.sql" "$X/models/"
printf 'Name,Age\nann,3\n' > "$X/seeds/unq.csv"
silt build --project-dir "$X" --profiles-dir "$X" > "$t/out" 2>&1 && silt run --project-dir "$X" --profiles-dir "$X" > "$t/out" 2>&1
check "an incremental run with wider strings succeeds" [ $? -eq 0 ]
check "... after widening the columns to character varying(6) and (2)" [ "$(q "select string_agg(column_name || ':' || data_type || coalesce(character_maximum_length::text, ''), ',' order by ordinal_position) from information_schema.columns where table_schema = 'ex' and table_name = 'w'")" = "id:integer,s:character varying6,c:character varying2" ]
check "quote_columns: false leaves the seed's columns to PostgreSQL's folding" [ "$(q "select string_agg(column_name, ',' order by ordinal_position) from information_schema.columns where table_schema = 'ex' and table_name = 'unq'")" = "name,age" ]

# ---- a snapshot whose source widens a varchar column keeps its history (the column widened
# first); numerics print in silt show as dbt's agate prints Decimals
mkdir -p "$X/snapshots"
cat > "$X/snapshots/snap.sql" <<'EOT'
{% snapshot snap %}
{{ config(unique_key='id', strategy='check', check_cols=['s'], target_schema='ex') }}
select 1 as id, cast('{{ var("s", "abc") }}' as varchar({{ var("n", 3) }})) as s
{% endsnapshot %}
EOT
silt snapshot --project-dir "$X" --profiles-dir "$X" > "$t/out" 2>&1 &&
	silt snapshot --project-dir "$X" --profiles-dir "$X" --vars '{s: abcdefgh, n: 8}' > "$t/out" 2>&1
check "a snapshot of a wider varchar succeeds" [ $? -eq 0 ]
check "... with both versions kept in a widened column" [ "$(q "select string_agg(s, ',' order by dbt_valid_from) from ex.snap")|$(q "select character_maximum_length from information_schema.columns where table_schema = 'ex' and table_name = 'snap' and column_name = 's'")" = "abc,abcdefgh|8" ]
silt show --project-dir "$X" --profiles-dir "$X" --inline "select 35.00::numeric as a, 1.500::numeric(10,3) as b, 3.14159::float8 as f, 12.5::numeric as c" > "$t/out" 2>&1
check "silt show prints numerics as dbt does" grep -q '^| 35 | 1.5 | 3.142… | 12.5 |$' "$t/out"

echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
