#!/bin/sh
# Environment-level state and Slim CI on SQLite: --state-env / --defer-env read an environment's
# applied state in the store; silt ci run builds a PR's state:modified+ into silt_pr_<job>_<pr>,
# deferring to the production environment, and silt ci cleanup drops what it wrote. The seed
# scenario (two production jobs, a PR that changes only z) and the staging migration run end to
# end. Each job's build is recorded with `silt ingest --env E --job J --sha S DIR`, as a job step
# records it; jobs are made with `silt job create` and moved with `silt job edit --env`.
. "$(dirname "$0")/lib/common.sh" "$1"
need_pg_store
# q STORE SQL: the first column of the rows, joined by spaces; on PostgreSQL, SQLite's
# group_concat is string_agg
q() {
	case $1 in
	postgres://*) sq "$1" "$(printf '%s' "$2" | sed 's/group_concat(/string_agg(/g')" | cut -d '|' -f 1 | tr '\n' ' ' | sed 's/ $//' ;;
	*) /usr/bin/python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
rows = c.execute(sys.argv[2]).fetchall()
c.commit()
print(' '.join(str(r[0]) for r in rows))" "$1" "$2" ;;
	esac
}
SILT_STORE=$(store_new store)
export SILT_STORE SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef HOME="$t"
unset DBT_STATE DBT_DEFER_STATE DBT_DEFER DBT_FAVOR_STATE
p=$t/p
silt() { (cd "$p" && NO_COLOR=1 "$SILT" "$@" --profiles-dir "$p"); }
sil() { (cd "$p" && NO_COLOR=1 "$SILT" "$@"); } # commands without --profiles-dir
ls_models() { silt ls --resource-type model "$@" 2>"$t/ls.err" | sed 's/^shopci\.//' | sort | tr '\n' ' ' | sed 's/ $//'; }
# ingest DIR JOB SHA ENV: records DIR as a run of JOB; prints the run id
ingest() { sil ingest --env "$4" --job "$2" --sha "$3" "$p/$1" | sed -n 's/.* as run \([0-9]*\) of .*/\1/p'; }
job() { sil job create "$1" --env "$2" --step "silt build"; }

mkdir -p "$p/models"
cat > "$p/dbt_project.yml" <<'EOF'
name: shopci
version: '1.0'
profile: shopci
models:
  shopci:
    +materialized: table
EOF
cat > "$p/profiles.yml" <<'EOF'
shopci:
  target: prod
  outputs:
    prod:
      type: sqlite
      path: warehouse.db
      schema: prod
    stg:
      type: sqlite
      path: warehouse.db
      schema: stg
    ci:
      type: sqlite
      path: warehouse.db
      schema: main
EOF
echo "select 1 as id" > "$p/models/x.sql"
echo "select 2 as id" > "$p/models/y.sql"
echo "select 3 as id" > "$p/models/z.sql"
echo "{{ config(schema='extra') }} select * from {{ ref('z') }}" > "$p/models/z_child.sql"
echo "select * from {{ ref('y') }}" > "$p/models/y_child.sql"
echo "select x.id as xid, z.id as zid from {{ ref('x') }} x, {{ ref('z') }} z" > "$p/models/mix.sql"
mkdir -p "$p/macros"
echo "{% macro one() %}1{% endmacro %}" > "$p/macros/one.sql"
echo "select {{ one() }} as id" > "$p/models/w.sql"
db=$p/warehouse.db

# ---- the environments as a team starts: one environment runs every job
sil env create analytics --type general >/dev/null && sil env create ci --type general --target ci >/dev/null
check "environments created" [ $? -eq 0 ]
job job_a analytics >/dev/null && job job_b analytics >/dev/null && job job_stg analytics >/dev/null

# bad input before anything was recorded
silt ci run --env ci --pr 7 --sha c3c3c3 >/dev/null 2>"$t/err"
check "ci run without a production environment or --compare-env is refused" [ $? -eq 2 ]
check "… saying how to name one" grep -q "no environment is marked as production (silt env mark-production NAME) and no --compare-env" "$t/err"
silt ls -s state:modified --state-env analytics >/dev/null 2>"$t/err"
check "--state-env of an environment with no recorded run is an error" [ $? -ne 0 ] && grep -q "environment 'analytics' has no applied state yet" "$t/err"
silt ls -s state:modified --state-env nowhere >/dev/null 2>"$t/err"
check "--state-env of an unknown environment is an error" [ $? -ne 0 ] && grep -q "nowhere" "$t/err"
silt ci run --env ci --pr 7x --sha c3c3c3 >/dev/null 2>"$t/err"
check "a PR that is not a number is refused" [ $? -eq 2 ] && grep -q -- "--pr must be a pull request number" "$t/err"
silt ci run --env ci --pr 7 --sha 'c3;drop' >/dev/null 2>"$t/err"
check "a SHA that is not hex is refused" [ $? -eq 2 ] && grep -q -- "--sha must be a git commit SHA" "$t/err"

# ---- the migration: a Staging environment takes the staging job; the original becomes Production
sil env create staging --type staging >/dev/null
sil job edit job_stg --env staging >/dev/null
sil env mark-production analytics >/dev/null
check "the original environment is now production" sh -c "cd '$p' && '$SILT' env show analytics | grep -q production"

# ---- the seed scenario: job A deploys x (and everything at v1); job B later deploys a change to y
silt build --target-path tA >/dev/null 2>&1
check "job A's build succeeds" [ $? -eq 0 ]
runA=$(ingest tA job_a aaaa1111 analytics)
echo "select 22 as id" > "$p/models/y.sql"
silt build --target-path tB -s y >/dev/null 2>&1
check "job B's build of y succeeds" [ $? -eq 0 ]
runB=$(ingest tB job_b bbbb2222 analytics)
# a staging run of an experiment on x, after the migration
echo "select 111 as id" > "$p/models/x.sql"
silt build --target stg --target-path tS -s x >/dev/null 2>&1
check "the staging job's build succeeds" [ $? -eq 0 ]
runS=$(ingest tS job_stg 5555eeee staging)
echo "select 1 as id" > "$p/models/x.sql"
check "the staging run did not change production's applied x" [ "$(q "$SILT_STORE" "select success_run_id from node_applied a join environment e on e.id = a.environment_id where e.name = 'analytics' and unique_id = 'model.shopci.x'")" = "$runA" ]
check "staging's applied state has the staging run's x" [ "$(q "$SILT_STORE" "select success_run_id || ' ' || relation_schema from node_applied a join environment e on e.id = a.environment_id where e.name = 'staging' and unique_id = 'model.shopci.x'")" = "$runS stg" ]

# ---- the PR changes only z
echo "select 33 as id" > "$p/models/z.sql"
check "environment-level state selects exactly z and its descendants" [ "$(ls_models -s state:modified+ --state-env analytics)" = "mix z z_child" ]
check "… and says which runs and SHAs it compared with" grep -q "environment 'analytics' (applied by runs $runA \[job job_a, git aaaa1111\], $runB \[job job_b, git bbbb2222\])" "$t/ls.err"
check "job A's last manifest alone would have selected y (and y_child)" [ "$(ls_models -s state:modified+ --state tA)" = "mix y y_child z z_child" ]
check "staging's applied state differs on x (its own experiment)" [ "$(ls_models -s state:modified --state-env staging)" = "x z" ]
silt ls -s state:modified --state tA --state-env analytics >/dev/null 2>"$t/err"
check "--state and --state-env together are refused" [ $? -ne 0 ] && grep -q "both name a comparison state: give one" "$t/err"
check "result: reads the environment's last statuses" [ "$(ls_models -s result:success --state-env analytics)" = "mix w x y y_child z z_child" ]
echo "{% macro one() %}2{% endmacro %}" > "$p/macros/one.sql"
check "a changed macro makes its callers modified against the environment" [ "$(ls_models -s state:modified --state-env analytics)" = "w z" ]
echo "{% macro one() %}1{% endmacro %}" > "$p/macros/one.sql"
# node_vars.json lists only the nodes that read a var; the runs stored the others as reading
# none, so a model that starts reading one is modified.vars against the environment
cp "$p/models/w.sql" "$t/w.sql"
echo "-- {{ var('ci_region', 'eu') }}" >> "$p/models/w.sql"
check "a model that starts reading a var is state:modified.vars against the environment" [ "$(ls_models -s state:modified.vars --state-env analytics)" = "w" ]
cp "$t/w.sql" "$p/models/w.sql"

# --defer-env: an unselected parent resolves to the relation the environment has
silt run --target ci --target-path tD -s mix --defer-env analytics >"$t/out" 2>"$t/err"
check "run --defer-env builds mix alone" [ $? -eq 0 ] && grep -q "Deferring to the relations of environment 'analytics'" "$t/err"
check "… reading production's x and z" grep -q '"main"."prod__x" x, "main"."prod__z" z' "$p/tD/run/shopci/models/mix.sql"

# ---- Slim CI
silt ci run --env ci --pr 7 --sha cccc3333 >"$t/ci7" 2>&1
check "ci run exits 0" [ $? -eq 0 ]
check "it prints the state it compares with" grep -q "Comparing with and deferring to the applied state of environment 'analytics' (applied by runs $runA \[job job_a, git aaaa1111\], $runB" "$t/ci7"
check "it builds z, mix and z_child into the PR schemas" [ "$(q "$db" "select name from sqlite_master where name like 'silt_pr_%' order by name")" = "silt_pr_0_7__mix silt_pr_0_7__z silt_pr_0_7_extra__z_child" ]
check "neither x nor y is built" [ "$(grep -c 'silt_pr_0_7\.[xy] ' "$t/ci7")" = 0 ] && grep -q "TOTAL=3" "$t/ci7"
check "mix defers x to production's relation" grep -q '"main"."prod__x" x, "main"."silt_pr_0_7__z" z' "$p/target/run/shopci/models/mix.sql"
ci7=$(q "$SILT_STORE" "select id from run where pr_id = '7'")
check "a CI run is recorded (is_ci, PR, SHA, success)" [ "$(q "$SILT_STORE" "select is_ci || ' ' || status || ' ' || git_sha || ' ' || environment_name from run where id = $ci7")" = "1 success cccc3333 ci" ]
check "its node history is recorded" [ "$(q "$SILT_STORE" "select count(*) from node_history where run_id = $ci7 and status = 'success'")" = 3 ]
check "it never touches any environment's applied state" [ "$(q "$SILT_STORE" "select count(*) from node_applied where last_run_id = $ci7 or success_run_id = $ci7")" = 0 ]
check "its artifacts are kept" [ "$(q "$SILT_STORE" "select group_concat(path, ' ') from (select path from artifact where run_id = $ci7 order by path) as x")" = "manifest.json run_results.json silt/ci_schemas.json" ]

# --job names the schema; a job of another environment is refused
job ci_job ci >/dev/null
jid=$(q "$SILT_STORE" "select id from job where name = 'ci_job'")
silt ci run --env ci --job ci_job --pr 8 --sha dddd4444 >"$t/ci8" 2>&1
check "with --job the schema is silt_pr_<job id>_<pr>" grep -q "silt_pr_${jid}_8.z " "$t/ci8"
silt ci run --env ci --job job_a --pr 8 --sha dddd4444 >/dev/null 2>"$t/err"
check "a job of another environment is refused" [ $? -eq 2 ] && grep -q "job 'job_a' belongs to environment 'analytics', not 'ci'" "$t/err"
silt ci run --env ci --compare-env staging --pr 10 --sha eeee5555 >"$t/ci10" 2>&1
check "--compare-env staging also builds x (staging has another x)" grep -q "silt_pr_0_10.x " "$t/ci10"

# ---- a second CI run of the same PR cancels the first
printf "with recursive c(n) as (select 1 union all select n + 1 from c where n < 8000000) select count(*) as n from c\n" > "$p/models/slow1.sql"
echo "select * from {{ ref('slow1') }}" > "$p/models/slow2.sql"
(cd "$p" && NO_COLOR=1 "$SILT" ci run --env ci --pr 9 --sha 9a9a9a --profiles-dir "$p" >"$t/ci9a" 2>&1; echo $? >"$t/ci9a.rc") &
bg=$!
i=0
while [ $i -lt 50 ] && [ "$(q "$SILT_STORE" "select count(*) from run where pr_id = '9' and status = 'running'")" != 1 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
silt ci run --env ci --pr 9 --sha 9b9b9b >"$t/ci9b" 2>&1
check "the second run of PR 9 succeeds" [ $? -eq 0 ]
wait $bg
first=$(q "$SILT_STORE" "select min(id) from run where pr_id = '9'")
check "… and says it cancelled the first" grep -q "Cancelled run $first of pull request 9" "$t/ci9b"
check "the first run ends cancelled, non-zero" [ "$(q "$SILT_STORE" "select status from run where id = $first")" = cancelled ] && [ "$(cat "$t/ci9a.rc")" != 0 ]
check "… without building slow2" [ "$(q "$SILT_STORE" "select count(*) from node_history where run_id = $first and unique_id = 'model.shopci.slow2' and status = 'success'")" = 0 ]
rm "$p/models/slow1.sql" "$p/models/slow2.sql"

# an environment whose definition state records no macros: no false positives, a warning
q "$SILT_STORE" "delete from node_definition where resource_type = 'macro'" >/dev/null
check "without recorded macros, callers of macros are not modified" [ "$(ls_models -s state:modified --state-env analytics)" = "z" ]
check "… and a warning says macros are not compared" grep -q "records no macros in its definition state" "$t/ls.err"

# ---- cleanup drops exactly the PR's schemas
silt ci cleanup --pr 7 >"$t/out" 2>&1
check "ci cleanup exits 0" [ $? -eq 0 ]
check "… dropping the PR's two schemas" [ "$(grep -c '^Dropped schema' "$t/out")" = 2 ]
check "PR 7's relations are gone, PR 8's, 9's and production's stay" [ "$(q "$db" "select count(*) from sqlite_master where name like 'silt_pr_0_7_%'")" = 0 ] && [ "$(q "$db" "select count(*) from sqlite_master where name like 'silt_pr_${jid}_8__%'")" -gt 0 ] && [ "$(q "$db" "select count(*) from sqlite_master where name like 'prod%'")" = 7 ]
silt ci cleanup --pr 12345 >"$t/out" 2>&1
check "a PR without CI runs has nothing to drop" [ $? -eq 0 ] && grep -q "has no CI schemas to drop" "$t/out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
