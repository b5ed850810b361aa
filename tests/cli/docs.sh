#!/bin/sh
# silt docs generate on SQLite: examples/shop is seeded and some of its models are built, then
# catalog.json must list exactly the relations that exist, keyed by the nodes and sources that
# name them, with the columns SQLite reports; it is validated against dbt's catalog v1 JSON
# schema (../shared/schemas, skipped with a note when absent). --no-compile, --empty-catalog,
# --select and a compile failure are checked too.
. "$(dirname "$0")/lib/common.sh" "$1"
PY=/usr/bin/python3
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db*
P=$t/shop
skip() { n=$((n + 1)); pass=$((pass + 1)); echo "ok $n - # SKIP $1"; }
# sql DB: runs the SQL script on stdin (Python's sqlite3: the sqlite3 CLI is not a dependency)
sql() { "$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.stdin.read()); c.commit()' "$1"; }
silt() { NO_COLOR=1 "$SILT" "$@" --project-dir "$P" --profiles-dir "$P"; }
# py EXPR: true when the Python expression over the catalog `c` and manifest `m` holds
py() {
	"$PY" - "$P/target/catalog.json" "$P/target/manifest.json" "$P/warehouse.db" "$1" <<'PYEOF'
import json, sqlite3, sys
c = json.load(open(sys.argv[1]))
m = json.load(open(sys.argv[2]))
db = sqlite3.connect(sys.argv[3])
def cols(physical):
    return [(r[1], r[2], r[0] + 1) for r in db.execute("select * from pragma_table_info(?)", (physical,))]
def catcols(entry):
    return [(k, v["type"], v["index"]) for k, v in entry["columns"].items()]
ok = eval(sys.argv[4])
if not ok:
    print("# false: " + sys.argv[4], file=sys.stderr)
sys.exit(0 if ok else 1)
PYEOF
}

SCHEMA=""
for s in "$ROOT/../shared/schemas/catalog-v1.json" /work/shared/schemas/catalog-v1.json; do
	[ -f "$s" ] && SCHEMA=$s && break
done
validate() {
	"$PY" - "$SCHEMA" "$P/target/catalog.json" <<'PYEOF'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
errs = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(doc))
for e in errs[:5]:
    print("#", list(e.absolute_path)[:4], e.message[:300])
sys.exit(1 if errs else 0)
PYEOF
}

silt build --exclude large_orders > "$t/out" 2>&1
check "build the shop but large_orders" [ $? -eq 0 ]
# two relations no node names, which the catalog leaves out
echo 'create table scratch__notes (x int); create table not_a_model (y text);' | sql "$P/warehouse.db"
check "add relations no node names" [ $? -eq 0 ]
rm -rf "$P/target"

silt docs generate > "$t/out" 2>&1
rc=$?
check "docs generate exits 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/#   /' "$t/out"
check "it prints Building catalog" grep -q '^[0-9:]*  Building catalog$' "$t/out"
check "and the catalog's absolute path" grep -q "^[0-9:]*  Catalog written to $(cd "$P" && pwd -P)/target/catalog.json\$" "$t/out"
check "no index.html is written" [ ! -e "$P/target/index.html" ]
if [ -n "$SCHEMA" ]; then
	check "catalog.json validates against catalog-v1.json" validate
else
	skip "no ../shared/schemas/catalog-v1.json beside the checkout"
fi
check "metadata names catalog v1" py 'c["metadata"]["dbt_schema_version"] == "https://schemas.getdbt.com/dbt/catalog/v1.json" and c["errors"] is None'
check "the nodes are exactly the built relations" py 'sorted(c["nodes"]) == ["model.shop.customers", "model.shop.orders", "model.shop.stg_customers", "model.shop.stg_orders", "model.shop.stg_payments", "seed.shop.raw_customers", "seed.shop.raw_orders", "seed.shop.raw_payments"]'
check "sources are keyed by their own ids" py 'sorted(c["sources"]) == ["source.shop.raw.raw_customers", "source.shop.raw.raw_orders"]'
check "a source and a seed on one table share its metadata" py 'c["sources"]["source.shop.raw.raw_orders"]["metadata"] == c["nodes"]["seed.shop.raw_orders"]["metadata"] == {"type": "table", "schema": "raw", "name": "raw_orders", "database": "main", "comment": None, "owner": None}'
check "views are typed view" py 'c["nodes"]["model.shop.stg_orders"]["metadata"]["type"] == "view" and c["nodes"]["model.shop.stg_orders"]["metadata"]["schema"] == "staging"'
check "every entry has SQLite's columns, in order" py 'all(catcols(e) == cols(("" if e["metadata"]["schema"] == "main" else e["metadata"]["schema"] + "__") + e["metadata"]["name"]) for e in list(c["nodes"].values()) + list(c["sources"].values()))'
check "columns carry a null comment" py 'list(c["nodes"]["model.shop.orders"]["columns"]["order_id"].items())[1:] == [("index", 1), ("name", "order_id"), ("comment", None)]'
check "the orders columns come from the compiled SQL" py 'list(c["nodes"]["model.shop.orders"]["columns"]) == ["order_id", "customer_id", "order_date", "status", "credit_card_amount", "coupon_amount", "bank_transfer_amount", "gift_card_amount", "amount"]'
check "stats hold has_stats only" py 'all(e["stats"] == {"has_stats": {"id": "has_stats", "label": "Has Stats?", "value": False, "include": False, "description": "Indicates whether there are statistics for this table"}} for e in c["nodes"].values())'
check "unique_id repeats the key" py 'all(k == e["unique_id"] for k, e in list(c["nodes"].items()) + list(c["sources"].items()))'
check "manifest.json is written with compiled code" py 'm["nodes"]["model.shop.orders"]["compiled"] is True and "__dbt__cte__int_order_payments" in m["nodes"]["model.shop.orders"]["compiled_code"]'
check "compiled nodes list their ephemeral CTEs" py '[x["id"] for x in m["nodes"]["model.shop.orders"]["extra_ctes"]] == ["model.shop.int_order_payments"] and m["nodes"]["model.shop.orders"]["compiled_path"] == "target/compiled/shop/models/marts/orders.sql"'
check "and compiled files are written" [ -f "$P/target/compiled/shop/models/marts/customers.sql" ]
check "both artifacts share the invocation id" py 'c["metadata"]["invocation_id"] == m["metadata"]["invocation_id"]'

rm -rf "$P/target"
silt docs generate --no-compile > "$t/out" 2>&1
check "--no-compile exits 0" [ $? -eq 0 ]
check "--no-compile leaves nodes uncompiled" py '"compiled" not in m["nodes"]["model.shop.orders"] and not (m["nodes"]["model.shop.orders"].get("compiled_code"))'
check "--no-compile still catalogs everything" py 'len(c["nodes"]) == 8 and len(c["sources"]) == 2'
check "--no-compile writes no compiled files" [ ! -d "$P/target/compiled" ]

silt docs generate -s stg_orders orders > "$t/out" 2>&1
check "--select exits 0" [ $? -eq 0 ]
check "--select keeps only the selected nodes" py 'sorted(c["nodes"]) == ["model.shop.orders", "model.shop.stg_orders"] and c["sources"] == {}'
silt docs generate -s source:raw.raw_orders > "$t/out" 2>&1
check "selecting a source keeps that source" py 'list(c["sources"]) == ["source.shop.raw.raw_orders"] and c["nodes"] == {}'

silt docs generate --empty-catalog > "$t/out" 2>&1
check "--empty-catalog exits 0" [ $? -eq 0 ]
check "--empty-catalog writes no nodes or sources" py 'c["nodes"] == {} and c["sources"] == {} and c["errors"] is None'
check "--empty-catalog does not query the warehouse" sh -c '! grep -q "Building catalog" "$1"' _ "$t/out"
if [ -n "$SCHEMA" ]; then
	check "the empty catalog validates too" validate
fi

silt docs generate --bogus > "$t/out" 2>&1
check "an unknown flag exits 2" [ $? -eq 2 ]
check "and names the flag" grep -q "unknown argument '--bogus'" "$t/out"
NO_COLOR=1 "$SILT" docs > "$t/out" 2>&1
check "docs without generate is a usage error" [ $? -eq 2 ]

printf '{%% if execute %%}{{ exceptions.raise_compiler_error("boom") }}{%% endif %%}\nselect 1 as x\n' > "$P/models/broken.sql"
rm -f "$P/target/catalog.json"
silt docs generate > "$t/out" 2>&1
check "a compile error exits 1" [ $? -eq 1 ]
check "and says the docs cannot be generated" grep -q "compile failed, cannot generate docs" "$t/out"
check "the error names the model" grep -q "models/broken.sql" "$t/out"
check "no catalog is written then" [ ! -e "$P/target/catalog.json" ]
rm -f "$P/models/broken.sql"

printf 'shop:\n  target: dev\n  outputs:\n    dev:\n      type: sqlite\n      path: missing/dir/x.db\n      schema: main\n' > "$t/profiles.yml"
NO_COLOR=1 "$SILT" docs generate --project-dir "$P" --profiles-dir "$t" > "$t/out" 2>&1
check "a warehouse that cannot be opened exits 2" [ $? -eq 2 ]
check "with the database's message" grep -q "cannot open SQLite database" "$t/out"

echo "1..$n"
finish
