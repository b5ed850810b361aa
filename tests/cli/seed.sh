#!/bin/sh
# silt seed on SQLite: loads examples/shop's seeds, is idempotent, and a bad CSV leaves the
# previous table intact.
. "$(dirname "$0")/lib/common.sh" "$1"
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db*
q() { /usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall())" "$t/shop/warehouse.db" "$1"; }
seed() { NO_COLOR=1 "$SILT" seed --project-dir "$t/shop" --profiles-dir "$t/shop" "$@"; }

seed > "$t/out" 2>&1
check "seed exits 0" [ $? -eq 0 ]
check "three tables in schema raw (a name prefix)" [ "$(q "select name from sqlite_master where type='table' order by name")" = "[('raw__raw_customers',), ('raw__raw_orders',), ('raw__raw_payments',)]" ]
check "every row is loaded" [ "$(q 'select count(*), sum(amount) from raw__raw_payments')" = "[(14, 22500)]" ]
check "column_types and inferred types reach the table" [ "$(q 'select typeof(id), typeof(amount), typeof(payment_method) from raw__raw_payments limit 1')" = "[('integer', 'integer', 'text')]" ]
check "progress lines as dbt prints them" grep -q 'OK loaded seed file raw.raw_payments \.*\ \[INSERT 14 in ' "$t/out"
check "the Done line" grep -q 'Done. PASS=3 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=3' "$t/out"
check "no temporary table is left behind" [ "$(q "select count(*) from sqlite_master where name like '%dbt_tmp%' or name like '%dbt_backup%'")" = "[(0,)]" ]

seed > "$t/out" 2>&1
rc=$?
check "a second run succeeds" [ $rc -eq 0 ]
check "and leaves the same rows" [ "$(q 'select count(*) from raw__raw_customers')" = "[(10,)]" ]

printf 'id,first_name,last_name\n1,Ann,A.\n2,Bob,B.,extra\n' > "$t/shop/seeds/raw_customers.csv"
seed -s raw_customers > "$t/out" 2>&1
rc=$?
check "a ragged CSV fails the seed with exit 1" [ $rc -eq 1 ]
check "the error names the file and line" grep -q 'seeds/raw_customers.csv:3: row has 4 values but the header has 3' "$t/out"
check "the previous table is left intact" [ "$(q 'select count(*) from raw__raw_customers')" = "[(10,)]" ]
check "the summary reports the error" grep -q 'Done. PASS=0 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=1' "$t/out"
echo "1..$n"
finish
