#!/bin/sh
# silt clone on SQLite: a project built into a prod schema, its target/ kept as the state; clone
# makes views in the dev schema over prod's relations (rows read through them), leaves existing
# relations alone unless --full-refresh, does nothing for nodes the state has no relation for
# (new or ephemeral), selects with -s, writes run_results.json as dbt (validated), exits 1 when a
# node fails without stopping the others, needs a state, and reads an environment's applied
# state with --state-env.
. "$(dirname "$0")/lib/common.sh" "$1"
P=$t/cl
mkdir -p "$P/models" "$P/seeds"
schemas=""
for s in "$ROOT/../shared/schemas" /work/shared/schemas; do
	[ -f "$s/run-results-v6.json" ] && schemas=$s && break
done
eq() { [ "$1" = "$2" ] || { echo "# expected '$2', got '$1'"; return 1; }; }
has() { grep -q -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | head -30; return 1; }; }
q() { /usr/bin/python3 -c "
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall())" "$P/wh.db" "$1"; }
results() { /usr/bin/python3 -c "
import json, sys
print(' '.join(r['unique_id'] + '=' + r['status'] + ':' + r['message'] for r in json.load(open(sys.argv[1]))['results']))" "$P/target/run_results.json"; }

cat > "$P/dbt_project.yml" <<'EOF'
name: cl
version: '1.0'
profile: cl
EOF
cat > "$P/profiles.yml" <<'EOF'
cl:
  target: dev
  outputs:
    dev: {type: sqlite, path: wh.db, schema: dev, threads: 1}
    prod: {type: sqlite, path: wh.db, schema: prod, threads: 1}
EOF
printf 'id,name\n1,ann\n2,bob\n3,cy\n' > "$P/seeds/people.csv"
echo "{{ config(materialized='table') }} select id, upper(name) as name from {{ ref('people') }}" > "$P/models/people_t.sql"
echo "{{ config(materialized='incremental') }} select id, name from {{ ref('people_t') }} where id > 1" > "$P/models/inc.sql"
echo "{{ config(materialized='ephemeral') }} select 1 as x" > "$P/models/eph.sql"
cd "$P" || exit 1

silt build -t prod > "$t/out" 2>&1
check "the prod build succeeds" eq $? 0
cp -R target prod-state

# ---- clone into dev
silt clone --state prod-state > "$t/out" 2>&1
check "clone exits 0" eq $? 0
check "views in dev over prod's relations" eq "$(q "select type, name, sql from sqlite_master where name like 'dev__%' order by name")" \
	"[('view', 'dev__inc', 'CREATE VIEW \"dev__inc\" as\n    select * from \"main\".\"prod__inc\"'), ('view', 'dev__people', 'CREATE VIEW \"dev__people\" as\n    select * from \"main\".\"prod__people\"'), ('view', 'dev__people_t', 'CREATE VIEW \"dev__people_t\" as\n    select * from \"main\".\"prod__people_t\"')]"
check "prod's rows read through the clone" eq "$(q "select id, name from dev__inc order by id")" "[(2, 'BOB'), (3, 'CY')]"
check "the ephemeral model has no relation in the state: nothing to do, said as dbt says it" \
	has "$t/out" "No relation found in state manifest for model.cl.eph"
check "no progress lines, dbt's summary" has "$t/out" "Completed successfully"
check "every node counts as a pass" has "$t/out" "Done. PASS=4 WARN=0 ERROR=0 SKIP=0 NO-OP=0 TOTAL=4"
check "run_results: success, the view's response or No-op" eq "$(results)" \
	"model.cl.eph=success:No-op seed.cl.people=success:OK model.cl.people_t=success:OK model.cl.inc=success:OK"
if [ -n "$schemas" ]; then
	check "run_results.json validates against run-results v6" /usr/bin/python3 -c "
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))" target/run_results.json "$schemas/run-results-v6.json"
fi
check "run_results names the relation and which=clone" eq "$(/usr/bin/python3 -c "
import json
r = json.load(open('target/run_results.json'))
x = [x for x in r['results'] if x['unique_id'] == 'model.cl.inc'][0]
print(x['relation_name'], x['compiled'], x['compiled_code'], x['timing'], r['args']['which'])")" '"main"."dev__inc" False None [] clone'

# ---- existing relations
silt run -s people_t > "$t/out" 2>&1
check "a dev build replaces one clone with a table" eq "$(q "select type from sqlite_master where name = 'dev__people_t'")" "[('table',)]"
silt clone --state prod-state > "$t/out" 2>&1
check "a second clone exits 0" eq $? 0
check "it keeps existing relations, as dbt logs it" has "$t/out" 'Relation "main"."dev__people_t" already exists'
check "the dev table is untouched" eq "$(q "select type from sqlite_master where name = 'dev__people_t'")" "[('table',)]"
check "kept relations are No-op results" eq "$(results)" \
	"model.cl.eph=success:No-op seed.cl.people=success:No-op model.cl.people_t=success:No-op model.cl.inc=success:No-op"
silt clone --state prod-state -s people_t --full-refresh > "$t/out" 2>&1
check "--full-refresh with -s replaces the selected relation only" eq "$? $(results)" "0 model.cl.people_t=success:OK"
check "the table is a view over prod again" eq "$(q "select type from sqlite_master where name = 'dev__people_t'")" "[('view',)]"

# ---- nodes the state does not know, failures, bad input
echo "select 42 as answer" > models/brand_new.sql
echo "{{ config(materialized='table', pre_hook='select * from no_such_table_xyz') }} select id, upper(name) as name from {{ ref('people') }}" > models/people_t.sql
silt clone --state prod-state --full-refresh > "$t/out" 2>&1
check "a failing node exits 1" eq $? 1
check "a node new since the state is a no-op" has "$t/out" "No relation found in state manifest for model.cl.brand_new"
check "the failure is reported with the node" has "$t/out" "Database Error in model people_t (models/people_t.sql)"
check "the summary counts it" has "$t/out" "Done. PASS=4 WARN=0 ERROR=1 SKIP=0 NO-OP=0 TOTAL=5"
check "the other nodes are still cloned (nothing is skipped)" eq "$(results)" \
	"model.cl.brand_new=success:No-op model.cl.eph=success:No-op seed.cl.people=success:OK model.cl.people_t=error:Database Error in model people_t (models/people_t.sql)
  no such table: no_such_table_xyz model.cl.inc=success:OK"
check "the new model gets no relation" eq "$(q "select count(*) from sqlite_master where name = 'dev__brand_new'")" "[(0,)]"
silt clone > "$t/out" 2>&1
check "clone without a state exits 2" eq $? 2
check "and says what it needs" has "$t/out" "give --state DIR"
silt clone --state no-such-dir > "$t/out" 2>&1
check "a state folder without manifest.json exits 2" eq $? 2

/usr/bin/python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.execute('drop table prod__inc'); c.commit()" "$P/wh.db"
silt clone --state prod-state -s inc --full-refresh > "$t/out" 2>&1
check "a state relation missing from the warehouse is an error, not a broken view" eq $? 1
check "which names the relation" has "$t/out" "The state's relation \"main\".\"prod__inc\" for model.cl.inc does not exist in the warehouse"

# ---- --state-env: the applied state of an environment
rm -f models/brand_new.sql
echo "{{ config(materialized='table') }} select id, upper(name) as name from {{ ref('people') }}" > models/people_t.sql
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
export HOME=$t/home
unset SILT_STORE DBT_PROJECT_DIR DBT_TARGET DBT_STATE
cat > profiles.yml <<'EOF'
cl:
  target: dev
  outputs:
    dev: {type: sqlite, path: wh.db, schema: dev, threads: 1}
    prod: {type: sqlite, path: wh.db, schema: prod, threads: 1}
    ci: {type: sqlite, path: wh.db, schema: ci, threads: 1}
EOF
silt env create production --type production --target prod > "$t/out" 2>&1
silt build --env production > "$t/out" 2>&1
check "a build recorded in the production environment" eq $? 0
silt clone --state-env production -t ci > "$t/out" 2>&1
check "clone --state-env exits 0" eq $? 0
check "it clones into the ci schema from the environment's relations" \
	eq "$(q "select sql from sqlite_master where name = 'ci__inc'")" "[('CREATE VIEW \"ci__inc\" as\n    select * from \"main\".\"prod__inc\"',)]"
check "rows read through the ci clone" eq "$(q "select count(*) from ci__people_t")" "[(3,)]"

# ---- as a job step: into the step environment's schema
silt env create pr --type staging --target dev --schema pr_7 > "$t/out" 2>&1
silt job create clone-prod --env pr --step "silt clone --state-env production" > "$t/out" 2>&1
check "a job with a clone step is created" eq $? 0
silt job run clone-prod --profiles-dir . > "$t/out" 2>&1
check "the job runs the clone and succeeds" eq $? 0
check "the clone lands in the environment's schema" \
	eq "$(q "select sql from sqlite_master where name = 'pr_7__inc'")" "[('CREATE VIEW \"pr_7__inc\" as\n    select * from \"main\".\"prod__inc\"',)]"
jr=$(/usr/bin/python3 -c "
import sqlite3
print(sqlite3.connect('.silt/silt.db').execute('select max(id) from run').fetchone()[0])")
silt run artifacts "$jr" --step 1 run_results.json > "$t/rr" 2>&1
check "the step's run_results.json is kept, naming the environment's relations" /usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert r['args']['which'] == 'clone'
assert [x['relation_name'] for x in r['results'] if x['unique_id'] == 'model.cl.inc'] == ['\"main\".\"pr_7__inc\"'], r" "$t/rr"
finish
