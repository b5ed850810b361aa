#!/bin/sh
# silt source freshness on SQLite: sources loaded minutes, hours and days ago give pass, warn and
# error (dbt's "ERROR STALE") against warn_after / error_after, table settings override the
# source's (also under config:), a filter narrows the rows, a failing query, an empty table and a
# missing loaded_at_field are runtime errors, sources without freshness are left out;
# sources.json has dbt's v3 shape (validated against the schema), -o writes elsewhere,
# selection narrows the sources, the exit code is dbt's, and a job step runs it with its
# sources.json kept as an artifact.
. "$(dirname "$0")/lib/common.sh" "$1"
P=$t/fresh
mkdir -p "$P/models"
schemas=""
for s in "$ROOT/../shared/schemas" /work/shared/schemas; do
	[ -f "$s/sources-v3.json" ] && schemas=$s && break
done
eq() { [ "$1" = "$2" ] || { echo "# expected '$2', got '$1'"; return 1; }; }
has() { grep -q -- "$2" "$1" || { echo "# '$2' not in $1:"; sed 's/^/#   /' "$1" | head -30; return 1; }; }
sql() { /usr/bin/python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()" "$P/wh.db" "$1"; }
# field FILE UNIQUE_ID KEY...: a result's value (keys walk into dicts)
field() { /usr/bin/python3 -c "
import json, sys
rs = [r for r in json.load(open(sys.argv[1]))['results'] if r['unique_id'] == sys.argv[2]]
v = rs[0] if rs else 'absent'
for k in sys.argv[3:]:
    v = v[int(k)] if k.isdigit() else v[k]
print(json.dumps(v) if not isinstance(v, str) else v)" "$@"; }
ids() { /usr/bin/python3 -c "
import json, sys
print(' '.join(r['unique_id'] + '=' + r['status'] for r in json.load(open(sys.argv[1]))['results']))" "$1"; }

cat > "$P/dbt_project.yml" <<'EOF'
name: fresh
version: '1.0'
profile: fresh
EOF
cat > "$P/profiles.yml" <<'EOF'
fresh:
  target: dev
  outputs:
    dev: {type: sqlite, path: wh.db, schema: main, threads: 1}
EOF
cat > "$P/models/sources.yml" <<'EOF'
version: 2
sources:
  - name: raw
    schema: raw
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 1, period: hour}
      error_after: {count: 1, period: day}
    tables:
      - name: orders          # 30 minutes old: pass
      - name: payments        # 3 hours old: warn
      - name: customers       # 2 days old: error (stale)
      - name: events          # its own field and a filter
        loaded_at_field: happened_at
        freshness:
          warn_after: {count: 10, period: minute}
          filter: "kind = 'real'"
      - name: broken          # the column is missing: runtime error
        loaded_at_field: no_such_column
      - name: empty           # no rows: max() is null, a runtime error
      - name: configured      # dbt 1.9+: settings under config:
        config:
          loaded_at_field: ts
          freshness:
            error_after: {count: 2, period: hour}
      - name: unchecked
        freshness: null
  - name: other
    schema: raw
    tables:
      - name: nofield         # freshness without loaded_at_field
        freshness:
          warn_after: {count: 1, period: day}
      - name: plain
EOF
echo "select * from {{ source('raw', 'orders') }}" > "$P/models/stg_orders.sql"
sql "
create table raw__orders (id int, loaded_at text);
insert into raw__orders values (1, datetime('now', '-2 hours')), (2, datetime('now', '-30 minutes'));
create table raw__payments (id int, loaded_at text);
insert into raw__payments values (1, datetime('now', '-3 hours'));
create table raw__customers (id int, loaded_at text);
insert into raw__customers values (1, datetime('now', '-2 days'));
create table raw__events (kind text, happened_at text);
insert into raw__events values ('real', datetime('now', '-5 minutes')), ('test', datetime('now', '-1 day'));
create table raw__broken (id int);
create table raw__empty (id int, loaded_at text);
create table raw__configured (ts text, loaded_at text);
insert into raw__configured values (strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 hours'), datetime('now'));
create table raw__unchecked (id int);
create table raw__nofield (id int);
create table raw__plain (id int);
"

# ---- every source
(cd "$P" && silt source freshness > "$t/out" 2>&1)
check "an error or a runtime error exits 1" eq $? 1
S=$P/target/sources.json
check "sources.json is written to the target folder" test -f "$S"
if [ -n "$schemas" ]; then
	check "sources.json validates against sources v3" /usr/bin/python3 -c "
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))" "$S" "$schemas/sources-v3.json"
else
	echo "# skipped: sources.json schema validation (no ../shared/schemas beside the checkout)"
fi
check "each checked source has dbt's status, in manifest order; sources without freshness are left out" \
	eq "$(ids "$S")" "source.fresh.raw.orders=pass source.fresh.raw.payments=warn source.fresh.raw.customers=error source.fresh.raw.events=pass source.fresh.raw.broken=runtime error source.fresh.raw.empty=runtime error source.fresh.raw.configured=error source.fresh.other.nofield=runtime error"
check "the schema version is sources v3" eq "$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['metadata']['dbt_schema_version'])" "$S")" \
	"https://schemas.getdbt.com/dbt/sources/v3.json"
age=$(field "$S" source.fresh.raw.orders max_loaded_at_time_ago_in_s)
check "the age is the newest row's, in seconds (about 1800)" /usr/bin/python3 -c "import sys; assert 1790 <= float(sys.argv[1]) <= 1810, sys.argv[1]" "$age"
check "max_loaded_at and snapshotted_at are UTC ISO timestamps" /usr/bin/python3 -c "
import sys, datetime
a = datetime.datetime.fromisoformat(sys.argv[1]); b = datetime.datetime.fromisoformat(sys.argv[2])
assert sys.argv[1].endswith('+00:00') and sys.argv[2].endswith('+00:00')
assert abs((b - a).total_seconds() - float(sys.argv[3])) < 1e-6" \
	"$(field "$S" source.fresh.raw.orders max_loaded_at)" "$(field "$S" source.fresh.raw.orders snapshotted_at)" "$age"
check "criteria are the source's thresholds, unset ones as nulls" \
	eq "$(field "$S" source.fresh.raw.orders criteria)" \
	'{"warn_after": {"count": 1, "period": "hour"}, "error_after": {"count": 1, "period": "day"}, "filter": null}'
check "a table's freshness replaces the source's, with its filter" \
	eq "$(field "$S" source.fresh.raw.events criteria)" \
	'{"warn_after": {"count": 10, "period": "minute"}, "error_after": {"count": null, "period": null}, "filter": "kind = '"'"'real'"'"'"}'
check "the filter leaves out the day-old test row (5 minutes old: pass)" /usr/bin/python3 -c "import sys; assert 290 <= float(sys.argv[1]) <= 310, sys.argv[1]" \
	"$(field "$S" source.fresh.raw.events max_loaded_at_time_ago_in_s)"
check "config: settings are read, and a timestamp with a zone converts to UTC" \
	eq "$(field "$S" source.fresh.raw.configured criteria error_after)" '{"count": 2, "period": "hour"}'
check "a failing query's error names the source and its file" \
	eq "$(field "$S" source.fresh.raw.broken error)" "Database Error in source broken (models/sources.yml)
  no such column: no_such_column"
check "an empty table is dbt's non-null error" \
	eq "$(field "$S" source.fresh.raw.empty error)" "Database Error in source empty (models/sources.yml)
  Expected a non-null value when querying field 'loaded_at' of table  \"main\".\"raw__empty\" but received value 'null' instead"
check "freshness without loaded_at_field is dbt's runtime error on an adapter without metadata freshness" \
	eq "$(field "$S" source.fresh.other.nofield error)" "Runtime Error in source nofield (models/sources.yml)
  Could not compute freshness for source nofield: no 'loaded_at_field' provided and sqlite adapter does not support metadata-based freshness checks."
check "a result has timing, thread and adapter response" \
	eq "$(field "$S" source.fresh.raw.orders timing 1 name),$(field "$S" source.fresh.raw.orders thread_id)" "execute,Thread-1 (worker)"
check "runtime errors hold only unique_id, error and status" \
	eq "$(/usr/bin/python3 -c "
import json, sys
print([sorted(r) for r in json.load(open(sys.argv[1]))['results'] if r['status'] == 'runtime error'][0])" "$S")" \
	"['error', 'status', 'unique_id']"
check "console: START and the verdict lines" has "$t/out" "1 of 8 START freshness of raw.orders \.\.\.\.* \[RUN\]"
check "console: PASS" has "$t/out" "1 of 8 PASS freshness of raw.orders \.\.\.\.* \[PASS in [0-9.]*s\]"
check "console: WARN" has "$t/out" "2 of 8 WARN freshness of raw.payments \.\.\.\.* \[WARN in "
check "console: ERROR STALE" has "$t/out" "3 of 8 ERROR STALE freshness of raw.customers \.\.\.\.* \[ERROR STALE in "
check "console: ERROR for a runtime error" has "$t/out" "5 of 8 ERROR freshness of raw.broken \.\.\.\.* \[ERROR in "
check "console: the closing lines" has "$t/out" "Finished running 8 sources in "
check "console: the runtime error's text at the end" has "$t/out" "    no such column: no_such_column"
check "console: Done." has "$t/out" "  Done\.$"
check "the manifest is written too" test -f "$P/target/manifest.json"

# ---- selection, -o, exit codes
(cd "$P" && silt source freshness -s source:raw.orders source:raw.payments > "$t/out" 2>&1)
check "passing and warning sources exit 0" eq $? 0
check "-s narrows the checks" eq "$(ids "$S")" "source.fresh.raw.orders=pass source.fresh.raw.payments=warn"
check "and the count" has "$t/out" "Finished running 2 sources in "
(cd "$P" && silt source freshness --select source:raw --exclude source:raw.broken source:raw.empty source:raw.customers source:raw.configured > "$t/out" 2>&1)
check "--exclude removes sources from a source: selection" eq "$? $(ids "$S")" \
	"0 source.fresh.raw.orders=pass source.fresh.raw.payments=warn source.fresh.raw.events=pass"
(cd "$P" && silt source freshness -s source:raw.customers+ > "$t/out" 2>&1)
check "a stale source alone exits 1" eq $? 1
check "source:x+ checks the source only (models are not sources)" eq "$(ids "$S")" "source.fresh.raw.customers=error"
mkdir -p "$t/elsewhere"
(cd "$t/elsewhere" && silt source freshness --project-dir "$P" -s source:raw.orders -o out/fresh.json > "$t/out" 2>&1)
check "-o writes the file there (relative to the current directory)" eq "$(ids "$t/elsewhere/out/fresh.json")" "source.fresh.raw.orders=pass"
check "and leaves target/sources.json alone" eq "$(ids "$S")" "source.fresh.raw.customers=error"
(cd "$P" && silt source freshness -s source:other.plain > "$t/out" 2>&1)
check "no source with freshness: nothing to do, exit 0" eq $? 0
check "Nothing to do is said" has "$t/out" "Nothing to do"
check "and sources.json has no results" eq "$(ids "$S")" ""
(cd "$P" && silt source freshness --bogus > "$t/out" 2>&1)
check "an unknown option exits 2" eq $? 2
(cd "$P" && silt source > "$t/out" 2>&1)
check "silt source without freshness prints usage and exits 2" eq "$? $(head -c 28 "$t/out")" "2 usage: silt source freshness"

# ---- thresholds move with the data: the warning source turns stale, then fresh
sql "update raw__payments set loaded_at = datetime('now', '-25 hours');"
(cd "$P" && silt source freshness -s source:raw.payments > "$t/out" 2>&1)
check "25 hours old is past error_after (1 day)" eq "$? $(ids "$S")" "1 source.fresh.raw.payments=error"
sql "update raw__payments set loaded_at = datetime('now', '-59 minutes');"
(cd "$P" && silt source freshness -s source:raw.payments > "$t/out" 2>&1)
check "59 minutes old passes warn_after (1 hour)" eq "$? $(ids "$S")" "0 source.fresh.raw.payments=pass"

# ---- loaded_at_query (dbt 1.10): a query gives the newest load time
cat > "$P/models/query.yml" <<'EOF'
version: 2
sources:
  - name: q
    schema: raw
    tables:
      - name: orders
        config:
          loaded_at_query: "select max(loaded_at) from raw__orders where id = 1"
          freshness:
            warn_after: {count: 1, period: hour}
EOF
(cd "$P" && silt source freshness -s source:q > "$t/out" 2>&1)
check "loaded_at_query's value is the age (2 hours: warn)" eq "$? $(ids "$S")" "0 source.fresh.q.orders=warn"
check "and its age is the query's row" /usr/bin/python3 -c "import sys; assert 7190 <= float(sys.argv[1]) <= 7290, sys.argv[1]" \
	"$(field "$S" source.fresh.q.orders max_loaded_at_time_ago_in_s)"

# ---- project hooks run with freshness (dbt 1.9+'s default), unless the flag turns them off
cat > "$P/dbt_project.yml" <<'EOF'
name: fresh
version: '1.0'
profile: fresh
on-run-start: "create table if not exists hook_log (what text, n int)"
on-run-end: "insert into hook_log values ('end', {{ results | length }})"
EOF
(cd "$P" && silt source freshness -s source:raw.orders source:raw.events > "$t/out" 2>&1)
check "with hooks the check still exits 0" eq $? 0
check "on-run-start runs first" has "$t/out" "1 of 1 START hook: fresh.on-run-start.0"
check "on-run-end sees the freshness results" eq "$(/usr/bin/python3 -c "
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute('select what, n from hook_log').fetchall())" "$P/wh.db")" "[('end', 2)]"
check "the hooks are counted as dbt counts them" has "$t/out" "Finished running 2 project hooks, 2 sources in "
printf 'flags:\n  source_freshness_run_project_hooks: false\n' >> "$P/dbt_project.yml"
(cd "$P" && silt source freshness -s source:raw.orders > "$t/out" 2>&1)
check "source_freshness_run_project_hooks: false leaves them out" eq "$(grep -c 'hook' "$t/out")" 0
check "so nothing more is logged" eq "$(/usr/bin/python3 -c "
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute('select count(*) from hook_log').fetchone()[0])" "$P/wh.db")" 1

# ---- as a job step
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
export HOME=$t/home
unset SILT_STORE DBT_PROJECT_DIR DBT_TARGET
DB=$P/.silt/silt.db
q() { /usr/bin/python3 -c "
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()
print('' if r is None else r[0])" "$1" "$2"; }
(cd "$P" && silt env create prod --type production --target dev > "$t/out" 2>&1 &&
	silt job create fresh --env prod --step "silt source freshness -s source:raw.orders" > "$t/out" 2>&1)
check "a job with a source freshness step is created" eq $? 0
(cd "$P" && silt job run fresh --profiles-dir . > "$t/out" 2>&1)
check "the job runs the step and succeeds" eq "$? $(q "$DB" "select status from run order by id desc limit 1")" "0 success"
check "the step's console output is its log" has "$t/out" "PASS freshness of raw.orders"
jr=$(q "$DB" "select max(id) from run")
(cd "$P" && silt run artifacts "$jr" --step 1 sources.json > "$t/art" 2>&1)
check "the step's sources.json is kept as an artifact" eq "$(ids "$t/art")" "source.fresh.raw.orders=pass"
(cd "$P" && silt job create stale --env prod --step "silt source freshness -s source:raw.customers" > "$t/out" 2>&1 &&
	silt job run stale --profiles-dir . > "$t/out" 2>&1)
check "a stale source fails its step and the run" eq "$(q "$DB" "select status from run order by id desc limit 1")" "error"
finish
