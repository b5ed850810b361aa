#!/bin/sh
# silt ls over examples/shop: selection, outputs, resource types, and bad input.
. "$(dirname "$0")/lib/common.sh" "$1"
cp -R "$ROOT/examples/shop" "$t/shop"
ls_() { "$SILT" ls --project-dir "$t/shop" --profiles-dir "$t/shop" "$@"; }

ls_ -s +orders --resource-type model > "$t/out" 2>&1
printf '%s\n' shop.intermediate.int_order_payments shop.marts.orders shop.staging.stg_orders shop.staging.stg_payments > "$t/want"
check "+orders selects the model and its parents, as fqn selectors" cmp -s "$t/out" "$t/want"

ls_ -s +orders --resource-type model seed source > "$t/out" 2>&1
check "a seed parent is listed by fqn and a source as source:pkg.src.table" sh -c "grep -qx 'shop.raw_payments' '$t/out' && grep -qx 'source:shop.raw.raw_orders' '$t/out'"

ls_ -s tag:marts --resource-type model --output name > "$t/out" 2>&1
printf '%s\n' customers large_orders orders > "$t/want"
check "tag:marts by name" cmp -s "$t/out" "$t/want"

ls_ -s source:raw --output name > "$t/out" 2>&1
check "sources print as source.table" sh -c "grep -qx 'raw.raw_customers' '$t/out' && grep -qx 'raw.raw_orders' '$t/out'"

ls_ -s stg_orders+ --exclude resource_type:test --output path > "$t/out" 2>&1
printf '%s\n' models/marts/customers.sql models/marts/large_orders.sql models/marts/orders.sql models/staging/stg_orders.sql > "$t/want"
check "--exclude and --output path" cmp -s "$t/out" "$t/want"

ls_ -s customers --resource-type model --output json > "$t/out" 2>&1
check "--output json keeps dbt's keys" /usr/bin/python3 -c "
import json,sys
d=json.loads(open('$t/out').read())
assert set(d)=={'name','resource_type','package_name','original_file_path','unique_id','alias','config','tags','depends_on'}, set(d)
assert d['unique_id']=='model.shop.customers' and d['config']['materialized']=='table'
assert d['depends_on']['nodes']==['model.shop.orders','model.shop.stg_customers']"

ls_ -s 'tag:' > "$t/out" 2>&1
rc=$?
check "an empty selector value exits 2 with a clear error" sh -c "[ $rc -eq 2 ] && grep -q \"selector 'tag:' has no value\" '$t/out'"

ls_ --output xml > "$t/out" 2>&1
rc=$?
check "an unknown output exits 2" sh -c "[ $rc -eq 2 ] && grep -q 'must be one of selector, name, path, json' '$t/out'"

echo "1..$n"
finish
