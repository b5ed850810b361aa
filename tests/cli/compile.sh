#!/bin/sh
# silt compile over examples/shop: refs, sources, dispatch, ephemeral CTEs, is_incremental.
. "$(dirname "$0")/lib/common.sh" "$1"
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db*
"$SILT" compile --project-dir "$t/shop" --profiles-dir "$t/shop" > "$t/out" 2>&1
check "compile exits 0" [ $? -eq 0 ]
c="$t/shop/target/compiled/shop"
check "a model lands under target/compiled/<package>/<path>" [ -f "$c/models/marts/orders.sql" ]
check "an ephemeral model is injected as a CTE" grep -q '^with __dbt__cte__int_order_payments as ($' "$c/models/marts/orders.sql"
check "the consumer selects from the CTE" grep -q 'left join __dbt__cte__int_order_payments as p' "$c/models/marts/orders.sql"
check "ref() resolves to the relation, schema as a prefix" grep -q 'from "main"."staging__stg_orders" as o' "$c/models/marts/orders.sql"
check "source() resolves to the seed table in schema raw" grep -q 'from "main"."raw__raw_customers"' "$c/models/staging/stg_customers.sql"
check "adapter.dispatch picks the sqlite__ implementation" grep -q 'round(amount / 100.0, 2)' "$c/models/staging/stg_payments.sql"
check "is_incremental() is false without an existing table" sh -c "! grep -q 'coalesce(max(order_date)' '$c/models/marts/large_orders.sql'"
check "an ephemeral model's own SQL is written too, as dbt does" [ -f "$c/models/intermediate/int_order_payments.sql" ]
check "vars reach the compiled code" grep -q '>= 2500' "$c/models/marts/large_orders.sql"
"$SILT" compile --project-dir "$t/shop" --profiles-dir "$t/shop" -s stg_orders > "$t/out" 2>&1
check "a selection compiles what it names and its tests" grep -q '^Compiled 4 nodes into' "$t/out"
check "a generic test compiles under its yml file" grep -q 'where order_id is null' "$c/models/staging/schema.yml/not_null_stg_orders_order_id.sql"
"$SILT" build --project-dir "$t/shop" --profiles-dir "$t/shop" > "$t/out" 2>&1
"$SILT" compile --project-dir "$t/shop" --profiles-dir "$t/shop" -s large_orders > "$t/out" 2>&1
check "compile reaches the warehouse: is_incremental() is true once the table exists" grep -q 'coalesce(max(order_date)' "$c/models/marts/large_orders.sql"
# the index of compiled files (target/.silt_compiled): an unchanged file is left alone, one
# changed or removed since is written again
"$SILT" compile --project-dir "$t/shop" --profiles-dir "$t/shop" > "$t/out" 2>&1
ix="$t/shop/target/.silt_compiled"
check "compile keeps an index of the files it wrote" grep -q ' shop/models/marts/orders.sql$' "$ix"
cp "$c/models/marts/orders.sql" "$t/orders.want"
ino=$(stat -c %i "$c/models/marts/orders.sql")
"$SILT" compile --project-dir "$t/shop" --profiles-dir "$t/shop" > "$t/out" 2>&1
check "an unchanged compiled file is not rewritten" [ "$(stat -c %i "$c/models/marts/orders.sql")" = "$ino" ]
printf 'select 1 -- edited\n' > "$c/models/marts/orders.sql"
"$SILT" compile --project-dir "$t/shop" --profiles-dir "$t/shop" > "$t/out" 2>&1
check "a compiled file edited since is written again" cmp -s "$c/models/marts/orders.sql" "$t/orders.want"
rm -rf "$t/shop/target/compiled"
"$SILT" compile --project-dir "$t/shop" --profiles-dir "$t/shop" > "$t/out" 2>&1
check "removed compiled files are written again" cmp -s "$c/models/marts/orders.sql" "$t/orders.want"
printf 'not an index\n%064d 1 2 3\n' 0 > "$ix"
"$SILT" compile --project-dir "$t/shop" --profiles-dir "$t/shop" > "$t/out" 2>&1
check "a broken index is only a cache: compile still exits 0" [ $? -eq 0 ]
check "and writes a good one" grep -q ' shop/models/marts/orders.sql$' "$ix"
"$SILT" compile --project-dir "$t/shop" --profiles-dir "$t/shop" -s stg_orders > "$t/out" 2>&1
check "a selection keeps the other files' lines" grep -q ' shop/models/marts/orders.sql$' "$ix"
# run_started_at is the invocation's: every node of one compile (and of its parse) has the same,
# to the microsecond
cp -R "$ROOT/examples/shop" "$t/rsa"
rm -rf "$t/rsa/target" "$t/rsa"/*.db*
for i in 1 2 3 4 5 6; do
	printf "select '{{ run_started_at }}' as t{%% set x = config(tags=[run_started_at.isoformat()]) %%}\n" \
		> "$t/rsa/models/rsa_$i.sql"
done
"$SILT" compile --project-dir "$t/rsa" --profiles-dir "$t/rsa" -s 'rsa_*' > "$t/out" 2>&1
rc=$?
r="$t/rsa/target/compiled/shop/models"
check "run_started_at is one time for every node of a compile" sh -c "[ $rc -eq 0 ] &&
	[ \$(cat '$r'/rsa_*.sql | sort -u | wc -l) -eq 1 ] && grep -q '[0-9]:[0-9][0-9]\.[0-9]' '$r/rsa_1.sql'"
check "... and of its parse (the tags config() set)" /usr/bin/python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
tags = {tuple(n["tags"]) for k, n in m["nodes"].items() if ".rsa_" in k}
sys.exit(len(tags) != 1 or len(next(iter(tags))) != 1)' "$t/rsa/target/manifest.json"
echo "1..$n"
finish
