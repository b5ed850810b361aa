#!/bin/sh
# Environments, jobs and runs with real builds of examples/shop on SQLite: `silt build --env` is
# recorded and ingested (definition and applied state, history, artifacts), the environment's
# target, threads and variables reach the project, jobs run their steps in order with logs and
# artifacts kept, a failed node keeps what was applied before, `silt run rerun` retries only the
# failed and skipped nodes, `silt ingest` records foreign artifacts (--ci leaves the applied
# state alone), and a run killed with SIGKILL is marked errored on the next store open.
. "$(dirname "$0")/lib/common.sh" "$1"
need_pg_store
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db* "$t/shop/.silt"
P=$t/shop
DB=$P/.silt/silt.db
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
export HOME=$t/home
unset SILT_STORE DBT_PROJECT_DIR DBT_TARGET
if pg_store; then
	DB=$(store_new store)
	export SILT_STORE=$DB
fi
# q DB SQL: the first column of the first row ("" when none); on PostgreSQL, SQLite's
# group_concat and instr are string_agg and strpos, and a boolean is 1 or 0 as in SQLite
q() {
	case $1 in
	postgres://*) sq "$1" "$(printf '%s' "$2" | sed -e 's/group_concat(/string_agg(/g' -e 's/instr(/strpos(/g')" |
		head -n 1 | cut -d '|' -f 1 | sed -e 's/^t$/1/' -e 's/^f$/0/' ;;
	*) /usr/bin/python3 -c "
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()
print('' if r is None else r[0])" "$1" "$2" ;;
	esac
}
eq() { [ "$1" = "$2" ] || { echo "# expected '$2', got '$1'"; return 1; }; }
has() { grep -q -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | head -20; return 1; }; }
lacks() { [ -f "$1" ] && ! grep -q -- "$2" "$1" || { echo "# '$2' in $1:"; sed 's/^/#   /' "$1" | head -20; return 1; }; }

cd "$P" || exit 1
# a model that shows what the environment gives the project
cat > models/env_probe.sql <<'EOF'
select '{{ env_var("SILT_ENVIRONMENT_NAME") }}' as env_name,
       '{{ env_var("SILT_ENVIRONMENT_TYPE") }}' as env_type,
       '{{ env_var("DBT_SHOP_REGION", "none") }}' as region,
       '{{ target.name }}' as target_name,
       {{ env_var("SILT_RUN_ID") }} as run_id
EOF

# ---- environments and an --env build
silt env create prod --type production --target prod --threads 2 > "$t/out" 2>&1
silt env create staging --type staging > "$t/out2" 2>&1
check "environments are created" eq "$(q "$DB" "select count(*) from environment")" 2
silt env var set DBT_SHOP_REGION eu --env prod > /dev/null 2>&1
silt env var set DBT_SHOP_REGION project-default > /dev/null 2>&1
silt build --env prod --profiles-dir . > "$t/b1" 2>&1
check "silt build --env prod succeeds" eq $? 0
check "it builds into the environment's output (prod)" test -f warehouse_prod.db
check "with the environment's threads" has "$t/b1" "Concurrency: 2 threads (target='prod')"
check "the run is recorded as a success of prod" \
	eq "$(q "$DB" "select environment_name || ':' || status || ':' || command from run where id = 1")" \
	"prod:success:silt build --env prod --profiles-dir ."
check "SILT_* variables and the environment's value reach the models" \
	eq "$(q warehouse_prod.db "select env_name || ',' || env_type || ',' || region || ',' || target_name || ',' || run_id from env_probe")" \
	"prod,production,eu,prod,1"
nres=$(/usr/bin/python3 -c "import json; print(len(json.load(open('target/run_results.json'))['results']))")
ndefs=$(/usr/bin/python3 -c "
import json; m = json.load(open('target/manifest.json'))
print(sum(len(m.get(k) or {}) for k in ('nodes','sources','macros','exposures','metrics','semantic_models','saved_queries','unit_tests')))")
check "one history row per result" eq "$(q "$DB" "select count(*) from node_history where run_id = 1")" "$nres"
check "the definition state is the manifest's nodes and macros" \
	eq "$(q "$DB" "select count(*) from node_definition where environment_id = 1")" "$ndefs"
check "every executed node has applied state" \
	eq "$(q "$DB" "select count(*) from node_applied where environment_id = 1 and last_run_id = 1")" "$nres"
check "a model's applied relation and checksum are the manifest's" \
	eq "$(q "$DB" "select a.relation_identifier = 'stg_orders' and a.applied_checksum = d.checksum and a.success_run_id = 1 from node_applied a join node_definition d using (environment_id, unique_id) where a.unique_id = 'model.shop.stg_orders'")" 1
check "the run's manifest and run_results are kept as artifacts" \
	eq "$(q "$DB" "select group_concat(path, ',') from (select path from artifact where run_id = 1 order by path) as x")" \
	"manifest.json,run_results.json"
silt run list > "$t/out" 2>&1
check "silt run list shows the run" has "$t/out" "^1 *success *prod"
silt run show 1 > "$t/out" 2>&1
check "silt run show lists its node results" has "$t/out" "success  model.shop.orders"

# ---- jobs
silt job create nightly --env prod --step "silt seed" --step "silt build --select stg_orders+" \
	--schedule "0 2 * * *" --timeout 600 > "$t/out" 2>&1
check "job create" eq $? 0
silt job show nightly > "$t/out" 2>&1
check "job show lists the steps in order" has "$t/out" "2. silt build --select stg_orders+"
silt job list > "$t/out" 2>&1
check "job list" has "$t/out" "^nightly *prod *2 "
silt job run nightly --profiles-dir . > "$t/j1" 2>&1
check "job run succeeds" eq $? 0
jr=$(q "$DB" "select max(id) from run")
check "the job's run and both steps succeeded" \
	eq "$(q "$DB" "select r.status || ':' || r.job_name || ':' || (select group_concat(status, ',') from (select status from run_step where run_id = r.id order by position) as x) from run r where r.id = $jr")" \
	"success:nightly:success,success"
silt run logs "$jr" --step 2 > "$t/out" 2>&1
check "run logs holds a step's console output" has "$t/out" "Completed successfully"
silt run artifacts "$jr" > "$t/out" 2>&1
check "run artifacts lists each step's artifacts" has "$t/out" "^2 *run_results.json"
silt run artifacts "$jr" --step 1 run_results.json > "$t/rr" 2>&1
check "an artifact prints as the step wrote it" \
	/usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert all(x['unique_id'].startswith('seed.') for x in r['results'])" "$t/rr"
check "job steps ingest into the job's environment" \
	eq "$(q "$DB" "select count(*) from node_history h join run_step s on s.id = h.step_id where s.run_id = $jr")" \
	"$(q "$DB" "select count(*) from node_history where run_id = $jr")"

# moving a job keeps its history
silt job edit nightly --env staging > "$t/out" 2>&1
check "job edit --env moves the job" has "$t/out" "Moved job 'nightly' from environment 'prod' to 'staging'"
silt run list --job nightly > "$t/out" 2>&1
check "its earlier run stays its own" has "$t/out" "^$jr *success *prod *nightly"
prod_last=$(q "$DB" "select last_run_id from node_applied where environment_id = 1 and unique_id = 'model.shop.stg_orders'")
silt job run nightly --profiles-dir . > "$t/out" 2>&1
check "the moved job runs in staging" eq "$(q "$DB" "select environment_name from run order by id desc limit 1")" staging
check "staging's run does not touch prod's applied state" \
	eq "$(q "$DB" "select last_run_id from node_applied where environment_id = 1 and unique_id = 'model.shop.stg_orders'")" "$prod_last"

# ---- a failure keeps what was applied; rerun retries the failed and skipped nodes
good=$(q "$DB" "select applied_checksum || ':' || success_run_id from node_applied where environment_id = 1 and unique_id = 'model.shop.stg_orders'")
cp models/staging/stg_orders.sql "$t/stg_orders.sql"
echo "select * frm broken syntax" > models/staging/stg_orders.sql
silt build --env prod --profiles-dir . > "$t/out" 2>&1
check "a failing build exits 1" eq $? 1
fr=$(q "$DB" "select max(id) from run")
check "the run is recorded as errored" eq "$(q "$DB" "select status from run where id = $fr")" error
check "the failed node's last attempt is the error" \
	eq "$(q "$DB" "select last_status || ':' || last_run_id from node_applied where environment_id = 1 and unique_id = 'model.shop.stg_orders'")" "error:$fr"
check "but its applied checksum and last success are the earlier ones" \
	eq "$(q "$DB" "select applied_checksum || ':' || success_run_id from node_applied where environment_id = 1 and unique_id = 'model.shop.stg_orders'")" "$good"
nretry=$(q "$DB" "select count(*) from node_history where run_id = $fr and status in ('error', 'fail', 'skipped')")
cp "$t/stg_orders.sql" models/staging/stg_orders.sql
silt run rerun "$fr" --profiles-dir . > "$t/out" 2>&1
check "run rerun succeeds once the model is fixed" eq $? 0
rr=$(q "$DB" "select max(id) from run")
check "the rerun is recorded as a rerun of the failed run" eq "$(q "$DB" "select rerun_of from run where id = $rr")" "$fr"
check "it runs only the failed and skipped nodes ($nretry)" \
	eq "$(q "$DB" "select count(*) from node_history where run_id = $rr")" "$nretry"
check "after it the node's applied state is its success" \
	eq "$(q "$DB" "select last_status || ':' || success_run_id from node_applied where environment_id = 1 and unique_id = 'model.shop.stg_orders'")" "success:$rr"
silt run rerun "$rr" > "$t/out" 2>&1
check "a successful run cannot be rerun from failure" has "$t/out" "only a run that errored"

# a failing job step skips the rest
silt job create broken --env prod --step "silt build --select no_such_model_xyz" --step "silt seed" > /dev/null 2>&1
echo "select * frm broken syntax" > models/staging/stg_orders.sql
silt job edit broken --step "silt run --select stg_orders" --step "silt seed" > /dev/null 2>&1
silt job run broken --profiles-dir . > "$t/out" 2>&1
check "a job whose step fails exits 1" eq $? 1
br=$(q "$DB" "select max(id) from run")
check "the failing step errors and the next is skipped" \
	eq "$(q "$DB" "select r.status || ':' || (select group_concat(status, ',') from (select status from run_step where run_id = r.id order by position) as x) from run r where r.id = $br")" "error:error,skipped"
cp "$t/stg_orders.sql" models/staging/stg_orders.sql

# ---- silt ingest
mkdir -p "$t/foreign"
cp target/manifest.json target/run_results.json "$t/foreign/"
before=$(q "$DB" "select count(*) from node_applied where environment_id = 2")
silt ingest --env staging --ci "$t/foreign" > "$t/out" 2>&1
check "ingest --ci records a run" has "$t/out" "CI: applied state untouched"
check "a CI ingestion leaves the applied state alone" \
	eq "$(q "$DB" "select count(*) from node_applied where environment_id = 2")" "$before"
check "but keeps its history" \
	eq "$(q "$DB" "select count(*) > 0 from node_history where run_id = (select max(id) from run)")" 1
silt ingest --env staging "$t/foreign" > "$t/out" 2>&1
check "ingest records foreign artifacts as a run" eq "$(q "$DB" "select is_ci || ':' || trigger from run order by id desc limit 1")" "0:ingest"
silt ingest --env prod --job nightly --sha abc123 "$t/foreign" > "$t/out" 2>&1
check "ingest --job refuses a job of another environment" has "$t/out" "belongs to environment 'staging'"
silt ingest --env staging --job nightly --sha abc123 "$t/foreign" > "$t/out" 2>&1
check "ingest --job --sha records a run of the job at that commit" \
	eq "$(q "$DB" "select job_name || ':' || git_sha from run order by id desc limit 1")" "nightly:abc123"
echo '{"results": 3}' > "$t/foreign/run_results.json"
silt ingest --env staging "$t/foreign" > "$t/out" 2>&1
check "a malformed run_results.json is refused" has "$t/out" "results. is not a list"

# ---- secrets are masked in what the store keeps
silt env var set DBT_ENV_SECRET_TOKEN s3cr3tvalue --env prod > /dev/null 2>&1
silt job create sec --env prod --step "silt run --select s3cr3tvalue" > /dev/null 2>&1
silt job run sec --profiles-dir . > "$t/out" 2>&1
sr=$(q "$DB" "select max(id) from run")
check "a secret is masked in the console" has "$t/out" "'\*\*\*\*\*' does not match"
check "and in the step's log" eq "$(q "$DB" "select instr(logs, '*****') > 0 and instr(logs, 's3cr3tvalue') = 0 from run_step where run_id = $sr")" 1
check "and in the step's artifacts" \
	eq "$(q "$DB" "select count(*) > 0 and sum($(if pg_store; then echo "position('s3cr3tvalue'::bytea in content)"; else echo "instr(content, 's3cr3tvalue')"; fi)) = 0 from artifact where run_id = $sr")" 1

# ---- bad input
silt job create orphan --env nowhere --step "silt build" > "$t/out" 2>&1
check "a job in an unknown environment is refused" has "$t/out" "nowhere"
silt job create odd --env prod --step "silt frobnicate" > "$t/out" 2>&1
check "a step that is not a silt command is refused" has "$t/out" "expected a silt command"
silt env create doomed --type general > /dev/null 2>&1
silt job create doomed_job --env doomed --step "silt seed" > /dev/null 2>&1
silt env delete doomed > /dev/null 2>&1
silt job run doomed_job > "$t/out" 2>&1
check "a job whose environment was deleted is gone, with a clear error" has "$t/out" "doomed_job"
silt run show 999 > "$t/out" 2>&1
check "an unknown run id is an error" has "$t/out" "999"
silt job create badcron --env prod --schedule "0 25 * * *" --step "silt build" > "$t/out" 2>&1
check "a bad cron schedule is refused" test $? -ne 0
check "... saying which field and column" has "$t/out" "the hour must be in 0-23, at column 3 of '0 25 \* \* \*'"
check "... and the job is not created" eq "$(q "$DB" "select count(*) from job where name = 'badcron'")" 0
silt job create cronok --env prod --schedule "@daily" --step "silt build" > /dev/null 2>&1
silt job edit cronok --schedule "*/5 * * JAN-" > "$t/out" 2>&1
check "job edit checks the schedule too" has "$t/out" "expected a month (1-12 or JAN-DEC)"
check "... and keeps the old one" eq "$(q "$DB" "select schedule_cron from job where name = 'cronok'")" "@daily"
silt job delete cronok > /dev/null 2>&1

# ---- a run killed mid-way
cat > models/slow.sql <<'EOF'
{{ config(materialized='table') }}
with recursive c(x) as (select 1 union all select x + 1 from c where x < 200000000)
select count(*) as n from c
EOF
silt job create slow --env prod --step "silt run --select slow" --step "silt seed" > /dev/null 2>&1
NO_COLOR=1 "$SILT" job run slow --profiles-dir . > "$t/slow" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && [ "$(q "$DB" "select count(*) from run_step s join run r on r.id = s.run_id where r.job_name = 'slow' and s.status = 'running'")" != 1 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.3
kill -9 $pid
wait $pid 2>/dev/null
kr=$(q "$DB" "select max(id) from run where job_name = 'slow'")
check "the killed run was left running" eq "$(q "$DB" "select status from run where id = $kr")" running
silt run show "$kr" > "$t/out" 2>&1
check "the next store open marks it errored" has "$t/out" "status: *error"
check "naming the dead process" has "$t/out" "pid $pid"
check "its running step errored and the queued one was skipped" \
	eq "$(q "$DB" "select group_concat(status, ',') from (select status from run_step where run_id = $kr order by position) as x")" "error,skipped"
if ! pg_store; then # PostgreSQL checks its foreign keys itself, always
	check "the store is consistent" eq "$(q "$DB" "pragma integrity_check")" ok
	check "and has no dangling foreign keys" eq "$(q "$DB" "select count(*) from pragma_foreign_key_check")" 0
fi
# a job's timeout stops the step that is running: its statement is cancelled, the run is
# cancelled with the reason and the steps after it do not start
silt job create capped --env prod --timeout 2 --step "silt run --select slow" --step "silt seed" > /dev/null 2>&1
start=$(date +%s)
silt job run capped --profiles-dir . > "$t/out" 2>&1
rc=$?
took=$(($(date +%s) - start))
check "a job over its timeout fails" test "$rc" -ne 0
check "... within seconds of the deadline (took ${took}s)" test "$took" -lt 20
kr=$(q "$DB" "select max(id) from run where job_name = 'capped'")
check "the run is cancelled" eq "$(q "$DB" "select status from run where id = $kr")" cancelled
check "its message names the timeout and the step" has "$t/out" "timeout of 2s was exceeded during step 1 (silt run --select slow)"
check "the running step and the ones after it are cancelled" \
	eq "$(q "$DB" "select group_concat(status, ',') from (select status from run_step where run_id = $kr order by position) as x")" "cancelled,cancelled"
check "the step's log says why it stopped" has "$t/out" "the job's timeout was exceeded; nodes that had not started were skipped"
rm models/slow.sql
silt build --env prod --profiles-dir . --select stg_orders > "$t/out" 2>&1
check "the store works after the kill" eq $? 0

# job-completion triggers: a job that runs after another ends (--after JOB[:STATUSES])
silt job create after_ok --env prod --after nightly:success,error --step "silt run --select stg_orders" > "$t/out" 2>&1
check "a job can wait for another's run to end" has "$t/out" "Created job 'after_ok'"
silt job show after_ok > "$t/out" 2>&1
check "... shown in its triggers" has "$t/out" '"on": \["success", "error"\]'
silt job create after_bad --env prod --after nightly:done --step "silt seed" > "$t/out" 2>&1
check "an unknown status is refused" has "$t/out" "statuses are success, error and cancelled, not 'done'"
silt job edit after_ok --after after_ok > "$t/out" 2>&1
check "a job cannot trigger itself" has "$t/out" "cannot trigger itself"
silt job run nightly --profiles-dir . > "$t/out" 2>&1
check "the run that ends queues the waiting job" has "$t/out" "Queued run [0-9]* of job 'after_ok' (after run [0-9]* of 'nightly' ended [a-z]*)"
qr=$(q "$DB" "select max(id) from run where job_name = 'after_ok'")
check "... as a queued run triggered by job completion" eq "$(q "$DB" "select status || ' ' || trigger from run where id = $qr")" "queued job_completion"
silt worker --once --profiles-dir . > "$t/out" 2>&1
check "silt worker --once executes it" eq "$(q "$DB" "select status from run where id = $qr")" success
check "... and stops when the queue is empty" has "$t/out" "stopped after 1 run"
silt job delete after_ok > /dev/null 2>&1

# a job's deferral environment applies to its steps: a dev job building only a child reads the
# parent production has
D=$t/dj
mkdir -p "$D/models"
printf 'name: dj\nversion: "1.0"\nprofile: dj\nmodels:\n  dj:\n    +materialized: table\n' > "$D/dbt_project.yml"
printf 'dj:\n  target: prod\n  outputs:\n    prod: {type: sqlite, path: w.db, schema: prod}\n    dev: {type: sqlite, path: w.db, schema: dev}\n' > "$D/profiles.yml"
echo "select 5 as id" > "$D/models/base.sql"
echo "select id * 2 as id from {{ ref('base') }}" > "$D/models/child.sql"
(
	cd "$D" || exit 1
	SILT_STORE=$(store_new dj) || exit 1
	export SILT_STORE
	echo "$SILT_STORE" >"$t/dj.store"
	silt env create prod --type production --target prod >/dev/null &&
		silt env create dev --type general --target dev >/dev/null &&
		silt build --env prod --profiles-dir . >/dev/null 2>&1 &&
		silt job create childjob --env dev --step "silt run -s child" --defer-env prod >/dev/null &&
		silt job run childjob --profiles-dir . >"$t/dj.out" 2>&1
)
check "a job with --defer-env runs its step deferred" eq $? 0
check "the child reads production's parent" has "$D/target/run/dj/models/child.sql" '"main"."prod__base"'
check "and holds its rows" eq "$(q "$D/w.db" "select id from dev__child")" 10

# dbt's global flags may come before a step's command, and are that step's own: the next step
# starts from the defaults (the same project and store)
(
	cd "$D" || exit 1
	SILT_STORE=$(cat "$t/dj.store") || exit 1
	export SILT_STORE
	silt job create flagged --env dev --step "dbt --quiet --no-write-json run -s child" \
		--step "silt run -s child" --defer-env prod >/dev/null &&
		silt job run flagged --profiles-dir . >"$t/flagged.out" 2>&1 || exit 1
	run=$(silt run list --job flagged | awk 'NR > 1 { print $1; exit }')
	silt run logs "$run" --step 1 >"$t/flagged.1" 2>&1 &&
		silt run logs "$run" --step 2 >"$t/flagged.2" 2>&1
)
check "a step with leading global flags runs" eq $? 0
check "--quiet leaves that step's info lines out" lacks "$t/flagged.1" "Concurrency"
check "the next step is not quiet" has "$t/flagged.2" "Concurrency"

finish
