#!/bin/sh
# A package written for silt (tests/packages/silt_utils, in the style of dbt_utils) installed by a
# consuming project (tests/packages/consumer) through a Jinja-rendered local: entry, then built
# on SQLite: dispatch with a root search_order, run_query/agate results, get_columns_in_relation,
# api.Relation.create, surrogate keys over dbt.hash/concat, the cross-database macros, package
# generic tests (bare Jinja args, arguments:, configs, store_failures), YAML anchors and merges,
# a root ref() over builtins.ref, the graph, hooks with results, an incremental model, the
# modules, JSON/YAML helpers, log, and a compiler error. Usage: tests/cli/packages.sh SILT
. "$(dirname "$0")/lib/common.sh" "$1"
cp -R "$ROOT/tests/packages/silt_utils" "$ROOT/tests/packages/consumer" "$t/"
mv "$t/silt_utils" "$t/utils_src"
p=$t/consumer
rm -rf "$p/target" "$p/dbt_packages" "$p/package-lock.yml" "$p"/*.db
q() { /usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall())" "$p/warehouse.db" "$1"; }
is() { [ "$(q "$1")" = "$2" ] || { echo "# got:      $(q "$1")"; echo "# expected: $2"; return 1; }; }
silt() { NO_COLOR=1 "$SILT" "$@" --project-dir "$p" --profiles-dir "$p"; }
# statuses of run_results.json: "unique_id-prefix status failures" lines, sorted
statuses() {
	/usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
for x in sorted(r['results'], key=lambda x: x['unique_id']):
    uid = x['unique_id'].rsplit('.', 1)[0] if x['unique_id'].startswith('test.') else x['unique_id']
    print(uid, x['status'], x['failures'])" "$p/target/run_results.json"
}

# ---- deps: packages.yml is rendered, so env_var() chooses the directory
NO_COLOR=1 SILT_UTILS_DIR="$t/utils_src" "$SILT" deps --project-dir "$p" > "$t/out" 2>&1
check "deps installs the local package named by env_var()" [ $? -eq 0 ] && [ -L "$p/dbt_packages/silt_utils" ]
check "the package is linked from the rendered path" [ "$(readlink "$p/dbt_packages/silt_utils")" = "$t/utils_src" ]

# ---- the first build
silt build > "$t/out" 2>&1
rc=$?
check "the build exits 0 with three warnings" [ $rc -eq 0 ] && grep -q 'Done. PASS=19 WARN=3 ERROR=0 SKIP=0 NO-OP=0 TOTAL=22' "$t/out"
[ $rc -eq 0 ] || sed 's/^/# /' "$t/out"
statuses > "$t/st"
check "run_results: every model and seed succeeds" [ "$(grep -c ' success None$' "$t/st")" -eq 13 ]
check "run_results: the package tests' statuses and failures" [ "$(grep '^test' "$t/st")" = "test.consumer.not_null_stg_customers_customer_id pass 0
test.consumer.not_null_stg_orders_order_id pass 0
test.consumer.silt_utils_accepted_range_stg_orders_amount__False___var_max_amount___0 pass 0
test.consumer.silt_utils_expression_is_true_stg_orders_amount___0 pass 0
test.consumer.silt_utils_expression_is_true_stg_orders_status_returned_ warn 1
test.consumer.silt_utils_has_match_stg_orders_customer_id__customer_id__ref_customers_ warn 1
test.consumer.silt_utils_not_null_proportion_stg_orders_0_75__note warn 1
test.consumer.unique_stg_customers_customer_id pass 0
test.consumer.unique_stg_orders_order_id pass 0" ]
check "the warning names the package test and its yml file" grep -q 'Warning in test silt_utils_has_match_stg_orders_customer_id__customer_id__ref_customers_ (models/staging/schema.yml)' "$t/out"

# star() over adapter.get_columns_in_relation, with except (any case), alias and prefix
check "star() leaves out the excepted columns" is "select group_concat(name, ',') from pragma_table_info('stg_orders')" "[('order_id,customer_id,status,amount,ordered_at,note',)]"
check "star() renames with a prefix" is "select group_concat(name, ',') from pragma_table_info('stg_customers')" "[('customer_id,customer_first_name,customer_last_name,signup_date',)]"
grep -q '^    o\."order_id",$' "$p/target/run/consumer/models/staging/stg_orders.sql"
check "star() qualifies by the relation alias" [ $? -eq 0 ]

# generate_surrogate_key: dbt.hash (hex on SQLite) of dbt.concat, nulls as var() nested default
key() { printf '%s' "$1" | /usr/bin/python3 -c "import sys; print(sys.stdin.read().encode().hex())"; }
check "generate_surrogate_key hashes the fields joined by '-'" is "select customer_key from customers where customer_id = 1" "[('$(key 1-Lovelace)',)]"
check "a null field takes the project's null token" is "select customer_key from customers where customer_id = 4" "[('$(key '4-<null>')',)]"
check "safe_divide and count over the join" is "select customer_id, n_orders, avg_amount from customers order by customer_id" "[(1, 2, 21.0), (2, 1, 8.0), (3, 2, 25.0), (4, 0, None)]"
check "dbt.listagg gathers each customer's statuses" is "select statuses from customers where customer_id = 2" "[('returned',)]"
/usr/bin/python3 -c "
import sqlite3, sys
v = sqlite3.connect(sys.argv[1]).execute('select statuses from customers where customer_id = 3').fetchone()[0]
sys.exit(sorted(v.split('|')) != ['completed', 'shipped'])" "$p/warehouse.db"
check "dbt.listagg uses the delimiter" [ $? -eq 0 ]

# cross-database macros from a model
check "dateadd, datediff, date_trunc, split_part, safe_cast, type_*" is "select due_at, day_index, order_month, month_text, amount_text, quarter_amount, eight from date_math where order_id = 4" "[('2024-03-22 00:00:00', 74, '2024-03-01', '03', '45', 11.25, 8)]"

# adapter.dispatch: sqlite__ over default__, and the root project's overrides by search_order
check "dispatch picks sqlite__ over default__" is "select label from dispatch_check" "[('sqlite',)]"
check "search_order puts the project's default__ first" is "select greeting, small_bucket from dispatch_check" "[('hi, consumer (from consumer)', 'consumer-small')]"

# run_query / statement + load_result and agate tables
check "get_column_values (.columns[0].values()), ordered and limited with where" is "select statuses, top_status from column_values" "[('completed,on hold,returned,shipped', 'completed')]"
check "get_query_results_as_dict (column_names, columns[name])" is "select totals from column_values" "[('{\"status\": [\"completed\", \"on hold\", \"returned\", \"shipped\"], \"total\": [47, 20, 8, 45]}',)]"
check "rows_as_dicts (.rows, row.dict())" is "select first_rows from column_values" "[('[{\"order_id\": 1, \"status\": \"completed\"}, {\"order_id\": 2, \"status\": \"completed\"}]',)]"
check "pivot over the fetched values" is "select completed, on_hold, returned, shipped from column_values" "[(3, 1, 1, 1)]"

# api.Relation.create
check "api.Relation.create names a relation a model can read" is "select identifier, schema_name, relation_type, n_rows from relation_check" "[('raw_customers', 'main', 'table', 4)]"

# the graph and execute guards
check "graph.nodes | selectattr lists the project's enabled models" is "select models, seeds from graph_check" "[('column_values,customer_summary,customers,date_math,dispatch_check,graph_check,mods_check,order_events,relation_check,stg_customers,stg_orders', 'raw_customers,raw_orders')]"
check "graph holds the tests with their test_metadata, and the sources" is "select n_tests, package_tests, n_sources from graph_check" "[(9, 'accepted_range,expression_is_true,has_match,not_null_proportion', '0')]"
check "graph nodes carry their config (Jinja in schema yml rendered)" is "select owner from graph_check" "[('data-team',)]"

# modules, JSON and YAML helpers, log
check "modules.datetime and modules.re" is "select next_day, stamp, digits, slug from mods_check" "[('2024-02-01', '2024/03/05 14:30', '1|22|333', 'hello_world_2024')]"
check "fromyaml/tojson and fromjson/toyaml" is "select json_text, yaml_text, null_is_none from mods_check" "[('{\"a\": 1, \"b\": [\"x\", \"y\"]}', 'k:; - 1; - 2; - n: null', 'True')]"
check "log(info=true) prints a timestamped console line" grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}  [0-9]{2}:[0-9]{2}:[0-9]{2} \+ mods_check compiled for mods_check$' "$t/out"

# ref() overridden in the root project through builtins.ref
check "the ref() override resolves an alias" is "select n_customers, n_orders from customer_summary" "[(4, 5)]"
grep -q 'from "main"."customers"' "$p/target/run/consumer/models/marts/customer_summary.sql"
check "the override's relation is what the SQL reads" [ $? -eq 0 ]

# store_failures, where (Jinja rendered), limit, warn_if/error_if
check "store_failures keeps has_match's failing rows" is "select * from main_dbt_test__audit__silt_utils_has_match_stg_order_42da891b03243c756163c5f0d6faae02" "[(9,)]"
check "store_failures keeps the where-filtered failing rows" is "select order_id, status from main_dbt_test__audit__silt_utils_expression_is_true_stg_orders_status_returned_" "[(3, 'returned')]"
check "the test query applies warn_if, error_if and limit" grep -q 'count(\*) >5 as should_error' "$p/target/run/consumer/models/staging/schema.yml/silt_utils_expression_is_true_stg_orders_status_returned_.sql"
grep -q "where ordered_at >= '2024-01-01'" "$p/target/compiled/consumer/models/staging/schema.yml/silt_utils_expression_is_true_stg_orders_status_returned_.sql"
check "a where config holding Jinja is rendered" [ $? -eq 0 ]
check "a test without store_failures (overriding a merged anchor) leaves no table" is "select count(*) from sqlite_master where name like '%not_null_proportion%'" "[(0,)]"

# hooks
check "pre-hook ({sql, transaction}), post-hooks from the project then the model" is "select model, kind from hook_log where model like 'customer%' or model = 'order_events' order by model, rowid" "[('customer_summary', 'post'), ('customers', 'pre'), ('customers', 'post'), ('order_events', 'post'), ('order_events', 'full')]"
check "on-run-end got every result" is "select count(*), sum(status = 'success'), sum(status = 'pass'), sum(status = 'warn'), sum(failures) from run_log" "[(22, 13, 6, 3, 3)]"
check "on-run-end's macro logged" grep -q '  recorded 22 results$' "$t/out"

# ---- the manifest: what parse recorded through the overrides and the rendered YAML
silt parse > "$t/out" 2>&1
man() { /usr/bin/python3 -c "import json, sys; m = json.load(open(sys.argv[1])); n = m['nodes']; print($1)" "$p/target/manifest.json"; }
check "ref() through the override records the aliased model" [ "$(man "n['model.consumer.customer_summary']['depends_on']")" = "{'macros': ['macro.consumer.ref'], 'nodes': ['model.consumer.customers']}" ]
check "Jinja in dbt_project.yml configs is rendered; config({...}) adds to it" [ "$(man "n['model.consumer.customers']['config']['tags']")" = "['mart', 'core']" ]
check "a <<-merged anchor and the test's own keys make its config" [ "$(man "[(v['config']['severity'], v['config']['store_failures']) for k, v in n.items() if '.silt_utils_has_match_' in k or '.silt_utils_not_null_proportion_' in k]")" = "[('warn', True), ('warn', False)]" ]
check "a bare ref() argument stays text in the test's kwargs and adds a dependency" [ "$(man "[(v['test_metadata']['kwargs']['to'], v['depends_on']['nodes']) for k, v in n.items() if '.silt_utils_has_match_' in k]")" = "[(\"ref('customers')\", ['model.consumer.customers', 'model.consumer.stg_orders'])]" ]
check "arguments: become the test's kwargs" [ "$(man "[v['test_metadata']['kwargs']['at_least'] for k, v in n.items() if '.silt_utils_not_null_proportion_' in k]")" = "[0.75]" ]
check "the package's macros are in the manifest" [ "$(man "len([k for k in m['macros'] if k.startswith('macro.silt_utils.')])")" = "36" ]

# ---- a second build: the incremental model adds only the new order
echo "7,1,2024-05-01,completed,3," >> "$p/seeds/raw_orders.csv"
silt build > "$t/out" 2>&1
check "the second build exits 0" [ $? -eq 0 ]
check "is_incremental() reads {{ this }}" grep -q 'where ordered_at > (select max(ordered_at) from "main"."order_events")' "$p/target/compiled/consumer/models/marts/order_events.sql"
check "the incremental model gained one row" is "select count(*), max(order_id) from order_events" "[(7, 7)]"
check "post-hooks see is_incremental()" is "select kind from hook_log where model = 'order_events' order by rowid" "[('post',), ('incremental',)]"

# ---- a compiler error raised from the package
silt run -s broken --vars '{include_broken: true}' > "$t/out" 2>&1
check "a raise_compiler_error fails the run with exit 1" [ $? -eq 1 ]
check "it names the model" grep -q 'Compilation Error in model broken (models/checks/broken.sql)' "$t/out"
check "it gives the package's message" grep -q 'Macro get_column_values expected a Relation but received the value: raw_orders$' "$t/out"
check "a disabled model stays out of a normal run" sh -c "NO_COLOR=1 '$SILT' ls --project-dir '$p' --profiles-dir '$p' --resource-type model | grep -c broken | grep -qx 0"

echo "1..$n"
finish
