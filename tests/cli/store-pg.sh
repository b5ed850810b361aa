#!/bin/sh
# The metadata store on PostgreSQL (SILT_STORE / --store postgres://...), what only it has: the
# URL forms, credentials sealed in bytea, the migrations recorded as on SQLite, a store locked by
# another session, a store from a newer silt, concurrent writers, ingestion and --state-env read
# back, and clear errors (naming the URL without its password) for a wrong password, a missing
# database and a server that is not there. The suites the store shares with SQLite run on it
# from tests/run.sh (SILT_TEST_STORE=postgres). Needs SILT_PG_HOST/PORT/USER/PASSWORD/DATABASE.
. "$(dirname "$0")/lib/common.sh" "$1"
SILT_TEST_STORE=postgres
need_pg_store
has() { grep -q -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | head -10; return 1; }; }
hasnt() { ! grep -q -- "$2" "$1"; }
eq() { [ "$1" = "$2" ] || { echo "# expected '$2', got '$1'"; return 1; }; }
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db* "$t/shop/.silt"
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
export HOME=$t/home
unset SILT_STORE DBT_PROJECT_DIR DBT_TARGET
cd "$t/shop" || exit 1
url=$(store_new s)
hostport=$SILT_PG_HOST:${SILT_PG_PORT:-5432}
dbname=${url##*/}
shown="postgres://$SILT_PG_USER@$hostport/$dbname"

# ---- the URL forms
SILT_STORE=$url silt env create prod --type production --credential user=loader password=hunter2-secret > "$t/out" 2>&1
check "SILT_STORE=postgres://... makes a store there" has "$t/out" "Created environment 'prod'"
check "... in the database, not in a file" eq "$(sq "$url" "select name || ':' || type from environment")" "prod:production"
check "no .silt folder is made beside the project" test ! -e "$t/shop/.silt"
silt env --store "postgresql://$SILT_PG_USER:$SILT_PG_PASSWORD@$hostport/$dbname" list > "$t/out" 2>&1
check "--store postgresql://... opens the same store" has "$t/out" "^prod  *production"
SILT_STORE=$url silt env show prod > "$t/out" 2>&1
check "credentials are shown masked" has "$t/out" "password: \*\*\*\*\*"
check "the credential is sealed (bytea, not in clear)" \
	eq "$(sq "$url" "select count(*) from credential where position('hunter2'::bytea in sealed) > 0")" 0
check "... and 12 + 16 bytes longer than its value (nonce, tag)" \
	eq "$(sq "$url" "select length(sealed) from credential where key = 'password'")" $((14 + 28))
SILT_STORE=$url silt env var set DBT_ENV_SECRET_TOKEN s3cr3t --env prod > /dev/null 2>&1
SILT_STORE=$url silt env var list --env prod > "$t/out" 2>&1
check "a secret variable is masked" sh -c "grep -q DBT_ENV_SECRET_TOKEN '$t/out' && ! grep -q s3cr3t '$t/out'"

# ---- the migrations are recorded as on SQLite
lite=$t/lite.db
silt env --store "$lite" list > /dev/null 2>&1
check "the same migrations, recorded under the same names" \
	eq "$(sq "$url" "select version || ' ' || name from schema_migrations order by version")" \
	"$(sq "$lite" "select version || ' ' || name from schema_migrations order by version")"
check "... up to the heartbeat (version 6)" eq "$(sq "$url" "select max(version) from schema_migrations")" 6

# ---- writers wait for each other; a store locked past the busy timeout is said plainly
for k in 1 2 3 4 5 6 7 8; do
	SILT_STORE=$url silt env create "e$k" --type general > "$t/c$k" 2>&1 &
done
wait
check "eight processes creating environments at once all succeed" \
	eq "$(sq "$url" "select count(*) from environment where name like 'e%'")" 8
# (the key of the store's write lock, store/db.c PG_BEGIN)
sq "$url" "select pg_advisory_lock(1936288884), pg_sleep(4)" > /dev/null 2>&1 &
holder=$!
sleep 1
SILT_STORE=$url SILT_STORE_BUSY_TIMEOUT=500 silt env create locked --type general > "$t/out" 2>&1
rc=$?
check "a store locked by another session fails the write (exit 1)" eq "$rc" 1
check "... saying so" has "$t/out" "the store is locked by another process (waited 500 ms); nothing was changed"
check "... and nothing was written" eq "$(sq "$url" "select count(*) from environment where name = 'locked'")" 0
SILT_STORE=$url silt env list > "$t/out" 2>&1
check "reads do not wait for the lock" has "$t/out" "^prod "
wait $holder

# ---- ingestion and state read back from PostgreSQL (blobs as bytea)
SILT_STORE=$url silt build --env prod > "$t/b1" 2>&1
check "silt build --env records the run" has "$t/b1" "Completed successfully"
check "node JSON is kept once per node, compressed when large" \
	test "$(sq "$url" "select count(*) from node_blob where zlib = 1")" -gt 0
SILT_STORE=$url silt ls --resource-type model --select state:modified --state-env prod > "$t/out" 2>&1
check "--state-env reads the applied state back: no model modified" hasnt "$t/out" "^shop\."
printf '\n-- changed\n' >> models/staging/stg_orders.sql
SILT_STORE=$url silt ls --resource-type model --select state:modified --state-env prod > "$t/out" 2>&1
check "... and a changed model is" has "$t/out" "^shop.staging.stg_orders$"
SILT_STORE=$url silt run show 1 > "$t/out" 2>&1
check "the run reads back" has "$t/out" "status: *success"
SILT_STORE=$url silt run artifacts 1 > "$t/out" 2>&1
check "its artifacts are listed" has "$t/out" "manifest.json"
SILT_STORE=$url silt run artifacts 1 manifest.json > "$t/m.json" 2>"$t/err"
check "an artifact decodes (zlib and node blobs from bytea) to the manifest" \
	/usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); sys.exit(0 if 'model.shop.stg_orders' in m['nodes'] else 1)" "$t/m.json"

# ---- a newer silt's store is refused, untouched
sq "$url" "insert into schema_migrations values (999, 'future', 'x')" > /dev/null
SILT_STORE=$url silt env list > "$t/out" 2>&1
check "a store from a newer silt is refused" has "$t/out" "was written by a newer silt: the store's schema is at version 999"
sq "$url" "delete from schema_migrations where version = 999" > /dev/null

# ---- connection errors: clear, naming the URL without the password, exit 1
silt env --store "postgres://$SILT_PG_USER:wrong-pw-123@$hostport/$dbname" list > "$t/out" 2>&1
rc=$?
check "a wrong password fails (exit 1)" eq "$rc" 1
check "... naming the store without its password" has "$t/out" "$shown: cannot connect to the PostgreSQL store: .*password authentication failed"
check "... and never printing it" hasnt "$t/out" "wrong-pw-123"
silt env --store "postgres://$SILT_PG_USER:$SILT_PG_PASSWORD@$hostport/no_such_db_here" list > "$t/out" 2>&1
check "a missing database is a clear error" has "$t/out" "postgres://$SILT_PG_USER@$hostport/no_such_db_here: cannot connect.*database \"no_such_db_here\" does not exist"
silt env --store "postgres://$SILT_PG_USER:$SILT_PG_PASSWORD@127.0.0.1:1/$dbname" list > "$t/out" 2>&1
rc=$?
check "a server that is not there is a clear error (exit 1)" sh -c "[ $rc -eq 1 ] && grep -q 'postgres://$SILT_PG_USER@127.0.0.1:1/$dbname: cannot connect to the PostgreSQL store' '$t/out'"
silt env --store "mysql://u:p@h/d" list > "$t/out" 2>&1
check "another kind of URL is refused" has "$t/out" "a store is a SQLite file path or a postgres:// (postgresql://) URL"
finish
