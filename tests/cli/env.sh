#!/bin/sh
# silt env: environments in the metadata store (.silt/silt.db beside the project): create, list,
# show, edit, delete, mark-production; at most one production and one staging environment;
# credentials sealed (never printed, not in the file in clear, a wrong key refused); variables
# with dbt Cloud's precedence and DBT_ENV_SECRET_* masked; the developer's personal settings; a
# store locked by another process, a store from a newer silt, and usage errors.
. "$(dirname "$0")/lib/common.sh" "$1"
need_pg_store
# q STORE SQL: the rows as Python's sqlite3 gives them ("[('prod', 1), ...]"), on either store
q() {
	case $1 in
	postgres://*) sq "$1" "select coalesce(json_agg(x), '[]') from ($(printf '%s' "$2" | sed "s/group_concat(\([a-z_]*\))/string_agg(\1, ',')/g")) as x" |
		/usr/bin/python3 -c "import json,sys; print([tuple(r.values()) for r in json.load(sys.stdin)])" ;;
	*) /usr/bin/python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall())" "$1" "$2" ;;
	esac
}
has() { grep -q -- "$1" "$2"; }
hasnt() { ! grep -q -- "$1" "$2"; }

p=$t/proj
mkdir -p "$p/models" "$t/home"
printf 'name: proj\nversion: "1.0"\nprofile: proj\n' > "$p/dbt_project.yml"
export HOME=$t/home
unset SILT_STORE SILT_STORE_KEY DBT_PROJECT_DIR SILT_DEV_SCHEMA SILT_DEV_DATABASE SILT_DEV_THREADS
db=$p/.silt/silt.db
if pg_store; then
	db=$(store_new store)
	export SILT_STORE=$db
fi
silt() { (cd "$p" && "$SILT" env "$@") > "$t/out" 2> "$t/err"; }

# ---- create, list, show
silt list
check "an empty store lists no environments" has "No environments" "$t/out"
if ! pg_store; then
	check "the store is created beside the project" [ -f "$db" ]
	check "the .silt folder is ignored by git" has '^\*$' "$p/.silt/.gitignore"
fi
silt create prod --type production --target prod --schema analytics --threads 4 --branch main \
	--credential user=loader password=hunter2-secret
check "create prod exits 0" [ $? -eq 0 ]
check "create says what it made" has "Created environment 'prod' (production)" "$t/out"
silt create stg --type staging --target stg
silt create ci --type general --defer-env prod
silt create dev --type development
check "staging, general and development are created" [ "$(q "$db" "select name, type from environment order by id")" = "[('prod', 'production'), ('stg', 'staging'), ('ci', 'general'), ('dev', 'development')]" ]
silt list
check "list shows every environment with its settings" sh -c "grep -q '^prod  *production  *prod  *-  *analytics  *4  *main' '$t/out' && grep -c '' '$t/out' | grep -q '^5$'"
silt show prod
check "show prints the settings" sh -c "grep -q '^schema: *analytics' '$t/out' && grep -q '^git branch: *main' '$t/out'"
check "show masks every credential" sh -c "grep -q '^  password: \*\*\*\*\*' '$t/out' && grep -q '^  user: \*\*\*\*\*' '$t/out'"
check "show never prints a credential value" hasnt "hunter2-secret" "$t/out"
if pg_store; then
	check "the credential is not in the store in clear" [ "$(q "$db" "select count(*) from credential where position('hunter2-secret'::bytea in sealed) > 0")" = "[(0,)]" ]
else
	check "the credential is not in the store file in clear" sh -c "! grep -q hunter2-secret '$db' '$db-wal' 2>/dev/null"
fi
check "the key file is created 0600" [ "$(stat -c %a "$HOME/.silt/key")" = 600 ]
silt show ci
check "show names the deferral environment" grep -q '^defer to: *prod' "$t/out"

# ---- one production, one staging
silt create prod2 --type production
rc=$?
check "a second production environment is refused (exit 1)" [ $rc -eq 1 ]
check "with a clear error naming the production environment" has "'prod' is already the production environment" "$t/err"
check "and nothing was written" [ "$(q "$db" "select count(*) from environment where name = 'prod2'")" = "[(0,)]" ]
silt create stg2 --type staging
check "a second staging environment is refused" has "'stg' is already the staging environment" "$t/err"
silt edit ci --type production
check "editing a second environment into production is refused" sh -c "grep -q 'already the production' '$t/err'"
check "... and leaves it as it was" [ "$(q "$db" "select type from environment where name = 'ci'")" = "[('general',)]" ]
silt create dev2 --type development
check "a second development environment is refused" has "already the development environment" "$t/err"
silt create dev --type general
check "a taken name is refused" has "already exists" "$t/err"
silt mark-production ci
check "mark-production moves the mark" has "'ci' is now the production environment; 'prod' is now general" "$t/out"
check "exactly one production environment after the move" [ "$(q "$db" "select name from environment where type = 'production'")" = "[('ci',)]" ]
silt mark-production dev
check "the development environment cannot be production" has "cannot be production" "$t/err"
silt mark-production prod

# ---- edit and credentials
silt edit prod --threads 8 --schema "" --credential role=transformer --unset-credential user
check "edit exits 0" [ $? -eq 0 ]
check "edit changes threads and clears the schema" [ "$(q "$db" "select threads, schema from environment where name = 'prod'")" = "[(8, None)]" ]
check "edit adds and removes credentials" [ "$(q "$db" "select group_concat(key) from (select key from credential order by key) as k")" = "[('password,role',)]" ]
silt edit prod --unset-credential nope
check "unsetting a missing credential is an error" has "has no credential 'nope'" "$t/err"
silt edit prod --threads many
check "a bad thread count is refused" has "not a positive number" "$t/err"
silt edit dev --credential password=x
check "the development environment stores no credentials" has "each developer's own" "$t/err"
echo "from-stdin-secret" | (cd "$p" && "$SILT" env edit prod --credential token=-) > "$t/out" 2>&1
check "a credential value can come from stdin" [ "$(q "$db" "select count(*) from credential where key = 'token'")" = "[(1,)]" ]
SILT_STORE_KEY=ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f silt edit prod --credential x=y
check "a wrong store key is refused, naming its source" has "store key from SILT_STORE_KEY is not the key" "$t/err"
check "and the value is not printed" hasnt "from-stdin-secret" "$t/err"
check "and nothing was written" [ "$(q "$db" "select count(*) from credential where key = 'x'")" = "[(0,)]" ]

# ---- variables
silt var set DBT_TARGET_ROWS 100
silt var set DBT_TARGET_ROWS 1000 --env prod
silt var set DBT_ONLY_DEFAULT d
silt var set DBT_ENV_SECRET_TOKEN s3cr3t-value --env prod
check "setting a secret says where" has "Set DBT_ENV_SECRET_TOKEN in environment 'prod'" "$t/out"
silt var set my_var x
check "a name without DBT_ is refused" has "start with DBT_" "$t/err"
silt var list
check "var list shows each scope" sh -c "grep -q '^DBT_TARGET_ROWS  *project default  *100' '$t/out' && grep -q '^DBT_TARGET_ROWS  *environment prod  *1000' '$t/out'"
check "var list masks the secret" sh -c "grep -q '^DBT_ENV_SECRET_TOKEN .*\*\*\*\*\*' '$t/out' && ! grep -q s3cr3t '$t/out'"
silt var list --env prod
check "the environment value beats the project default" has "^DBT_TARGET_ROWS=1000  (environment prod)" "$t/out"
check "the project default fills in" has "^DBT_ONLY_DEFAULT=d  (project default)" "$t/out"
check "the read-only variables are listed" sh -c "grep -q '^SILT_ENVIRONMENT_NAME=prod' '$t/out' && grep -q '^SILT_ENVIRONMENT_TYPE=production' '$t/out'"
check "the effective list masks the secret" sh -c "grep -q '^DBT_ENV_SECRET_TOKEN=\*\*\*\*\*' '$t/out' && ! grep -q s3cr3t '$t/out'"
check "the secret is sealed in the store" [ "$(q "$db" "select count(*) from env_var where value like '%s3cr3t%' or cast(sealed as text) like '%s3cr3t%'")" = "[(0,)]" ]
# a job override (jobs get their own commands later; here the row is made directly)
sq "$db" "insert into job (name, environment_id, created_at, updated_at) values ('deploy', (select id from environment where name = 'prod'), 'x', 'x')" > /dev/null
sq "$db" "insert into job_step values ((select id from job where name='deploy'), 1, 'silt build')" > /dev/null
silt var set DBT_TARGET_ROWS 5 --job deploy
check "a job override is set" has "Set DBT_TARGET_ROWS for job 'deploy'" "$t/out"
silt var list --env prod --job deploy
check "the job override beats the environment value" has "^DBT_TARGET_ROWS=5  (job deploy)" "$t/out"
check "the job's id is a read-only variable" has "^SILT_JOB_ID=" "$t/out"
silt var list --env ci --job deploy
check "a job of another environment is refused" has "belongs to environment 'prod', not 'ci'" "$t/err"
silt var set DBT_TARGET_ROWS 7 --personal
silt var list --env dev
check "in development the personal value wins" has "^DBT_TARGET_ROWS=7  (personal" "$t/out"
silt var list --env prod
check "the personal value does not reach a deployment environment" has "^DBT_TARGET_ROWS=1000" "$t/out"
silt var unset DBT_TARGET_ROWS --env prod
silt var list --env prod
check "unset falls back to the project default" has "^DBT_TARGET_ROWS=100  (project default)" "$t/out"
silt var unset DBT_TARGET_ROWS --env prod
check "unsetting again says there is no value" has "has no value in environment 'prod'" "$t/err"

# ---- the developer's personal settings
mkdir -p "$HOME/.silt"
printf 'schema: dbt_alice\ncredentials:\n  user: alice\n  password: pw-of-alice\n' > "$HOME/.silt/development.yml"
chmod 644 "$HOME/.silt/development.yml"
silt show dev
check "personal credentials in a file others can read are refused" has "readable by other users" "$t/err"
chmod 600 "$HOME/.silt/development.yml"
SILT_DEV_DATABASE=devdb silt show dev
check "show dev gives the personal schema and database" sh -c "grep -q '^  schema: *dbt_alice' '$t/out' && grep -q '^  database: *devdb' '$t/out'"
check "and masks the personal credentials" sh -c "grep -q '^    password: \*\*\*\*\*' '$t/out' && ! grep -q pw-of-alice '$t/out'"
SILT_DEV_SCHEMA=dbt_override silt show dev
check "SILT_DEV_SCHEMA overrides the file" has "^  schema: *dbt_override" "$t/out"
printf 'schema: [a]\n' > "$HOME/.silt/development.yml"
silt show dev
check "a bad personal file is reported with its position" has "development.yml:1:9: 'schema' must be a string" "$t/err"
rm "$HOME/.silt/development.yml"

# ---- delete
silt delete prod
check "deleting an environment deletes its job" has "Deleted environment 'prod' and its 1 job" "$t/out"
check "its credentials, variables and jobs are gone" [ "$(q "$db" "select (select count(*) from credential) + (select count(*) from job) + (select count(*) from env_var where environment_id is not null)")" = "[(0,)]" ]
silt show prod
check "show of a deleted environment lists the others" has "no environment named 'prod' (environments: ci, dev, stg)" "$t/err"

# ---- a store locked by another process
flag=$t/locked
if pg_store; then # another session in the store's write lock (store/db.c PG_BEGIN)
	sq "$db" "begin; select pg_advisory_xact_lock(1936288884); insert into environment (name, type, created_at, updated_at) values ('uncommitted', 'general', 'x', 'x'); select pg_sleep(3); rollback" > /dev/null 2>&1 &
	lock_pid=$!
	i=0
	while [ "$(sq "$db" "select count(*) from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())")" = 0 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
else
/usr/bin/python3 -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('BEGIN IMMEDIATE')
c.execute(\"insert into environment (name, type, created_at, updated_at) values ('uncommitted', 'general', 'x', 'x')\")
open(sys.argv[2], 'w').close()
time.sleep(3)
c.execute('ROLLBACK')" "$db" "$flag" &
lock_pid=$!
i=0
while [ ! -f "$flag" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
fi
SILT_STORE_BUSY_TIMEOUT=200 silt create qa --type general
rc=$?
check "a write to a locked store fails (exit 1)" [ $rc -eq 1 ]
check "with a clear error" has "the store is locked by another process (waited 200 ms); nothing was changed" "$t/err"
SILT_STORE_BUSY_TIMEOUT=200 silt list
check "reading a locked store still works" sh -c "grep -q '^ci ' '$t/out' && ! grep -q uncommitted '$t/out'"
wait $lock_pid
pg_store || check "the store is consistent afterwards" [ "$(q "$db" "pragma integrity_check")" = "[('ok',)]" ]
check "neither write is there" [ "$(q "$db" "select count(*) from environment where name in ('qa', 'uncommitted')")" = "[(0,)]" ]
silt create qa --type general
check "the write succeeds once the lock is gone" [ $? -eq 0 ]

# ---- store location and versions
"$SILT" env --store "$t/other.db" create x --type general > "$t/out" 2>&1
check "--store puts the store elsewhere" [ "$(q "$t/other.db" "select name from environment")" = "[('x',)]" ]
SILT_STORE=$t/other.db "$SILT" env list > "$t/out" 2>&1
check "SILT_STORE names the store" has "^x " "$t/out"
if ! pg_store; then # (SILT_STORE names the PostgreSQL store in that pass)
	(cd "$t" && "$SILT" env --project-dir proj list) > "$t/out" 2>&1
	check "--project-dir finds the project's store" has "^qa " "$t/out"
	(cd "$p/models" && "$SILT" env list) > "$t/out" 2>&1
	check "a subfolder of the project finds its store" has "^qa " "$t/out"
fi
mkdir "$t/empty"
(cd "$t/empty" && unset SILT_STORE && "$SILT" env list) > "$t/out" 2> "$t/err"
check "outside a project the error says what to do" has "no dbt_project.yml in .* or a parent folder" "$t/err"
/usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"insert into schema_migrations values (999, 'future', 'x')\"); c.commit()" "$t/other.db"
"$SILT" env --store "$t/other.db" list > "$t/out" 2> "$t/err"
check "a store from a newer silt is refused" sh -c "[ $? -ne 0 ] && grep -q 'written by a newer silt' '$t/err'"
echo "not a database at all, just text" > "$t/junk.db"
"$SILT" env --store "$t/junk.db" list > "$t/out" 2> "$t/err"
check "a file that is not a store is refused" has "is not a silt store" "$t/err"

# ---- usage errors
silt create
check "create without a name is a usage error" sh -c "[ $? -eq 2 ] && grep -q 'needs an environment name' '$t/err'"
silt create y
check "create without --type is a usage error" has "create needs --type" "$t/err"
silt create y --type prod
check "an unknown type is refused" has "'prod' is not one of production, staging, general, development" "$t/err"
silt create y --type general --credential novalue
check "--credential needs key=value" has "takes key=value" "$t/err"
silt frobnicate
check "an unknown subcommand is a usage error" has "unknown command 'frobnicate'" "$t/err"

finish
