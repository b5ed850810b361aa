#!/bin/sh
# Rerun from failure through the API and the CLI, on real builds of examples/shop: a job whose
# second step fails on one model (an environment variable breaks stg_payments); the variable is
# fixed; `POST /api/v1/runs/{id}/rerun` queues a run of the same job (rerun_of, trigger rerun)
# that a worker executes from the failed step: only the failed and skipped nodes of that step
# (dbt retry: its run_results.json from the store is the state), then the later steps in full.
# A run that did not error is a 409, an unknown one a 404, a token without job:run a 403.
# `silt run rerun` goes the same way and executes the rerun itself; a rerun that fails can be
# rerun. A CI run is rerun only while it is its pull request's newest, and its `silt ci run`
# step, which selects no nodes from a state, runs whole.
. "$(dirname "$0")/lib/common.sh" "$1"
need_pg_store
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db* "$t/shop/.silt"
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
SILT_STORE=$(store_new store) || exit 1
export HOME=$t/home SILT_STORE
unset DBT_PROJECT_DIR DBT_TARGET
cd "$t/shop" || exit 1
# q SQL: the first column of the first row of the store ("" when none); qa SQL: every row's, joined by ','
q() { sq "$SILT_STORE" "$1" | head -n 1 | cut -d'|' -f1; }
qa() { sq "$SILT_STORE" "$1" | cut -d'|' -f1 | paste -sd, -; }
eq() { [ "$1" = "$2" ] || { echo "# expected '$2', got '$1'"; return 1; }; }
# api METHOD PATH TOKEN [BODY]: prints the status; the reply body goes to $t/body
api() { /usr/bin/python3 -c "
import sys, urllib.request, urllib.error
m, url, tok = sys.argv[1], sys.argv[2], sys.argv[3]
data = sys.argv[4].encode() if len(sys.argv) > 4 and sys.argv[4] else None
h = {'Content-Type': 'application/json'}
if tok:
    h['Authorization'] = 'Bearer ' + tok
try:
    with urllib.request.urlopen(urllib.request.Request(url, data, h, method=m), timeout=30) as r:
        st, body = r.status, r.read()
except urllib.error.HTTPError as e:
    st, body = e.code, e.read()
open(sys.argv[5] if len(sys.argv) > 5 else '$t/body', 'wb').write(body)
print(st)" "$1" "$url$2" "$3" ${4+"$4"} ${5+"$5"}; }
# j EXPR: a Python expression over the last reply body (d)
j() { /usr/bin/python3 -c "import json, sys; d = json.load(open('$t/body')); print(eval(sys.argv[1]))" "$1"; }
# the node ids of a run_results.json with the given statuses (all when none), sorted, one line
ids() { /usr/bin/python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))['results']
want = set(sys.argv[2:])
print(' '.join(sorted(x['unique_id'] for x in r if not want or x['status'] in want)))" "$@"; }

# stg_payments breaks while the environment says so
cat > models/staging/stg_payments.sql <<'EOF'
select
    id as payment_id,
    order_id,
    payment_method,
    {{ cents_to_dollars('amount') }} as amount
{% if env_var('DBT_SHOP_BREAK', 'no') == 'yes' %}frm{% else %}from{% endif %} {{ ref('raw_payments') }}
EOF
silt env create prod --type production > /dev/null 2>&1
silt env var set DBT_SHOP_BREAK yes --env prod > /dev/null 2>&1
silt job create nightly --env prod --step "silt seed" --step "silt build --exclude raw_customers" \
	--step "silt run --select stg_customers" > /dev/null 2>&1
admin=$(silt token create ops --scope admin | grep '^slt_')
runner=$(silt token create runner --scope job:run | grep '^slt_')
reader=$(silt token create reader --scope metadata:read | grep '^slt_')
"$SILT" serve --port 0 --workers 0 --no-scheduler > "$t/serve.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "listening on" "$t/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$t/serve.out" | head -n 1)
check "silt serve listens" test -n "$url"

# ---- the job's run: step 2 fails on stg_payments, its dependants are skipped, step 3 too
check "POST a job's runs queues it" eq "$(api POST /api/v1/jobs/nightly/runs "$runner" '{}')" 201
fr=$(j 'd["id"]')
silt worker --once > "$t/w1.out" 2>&1
check "the worker executes it and it errors" eq "$(q "select status from run where id = $fr")" error
check "step 1 succeeded, step 2 errored, step 3 was skipped" \
	eq "$(qa "select status from run_step where run_id = $fr order by position")" \
	"success,error,skipped"
s2=$(q "select id from run_step where run_id = $fr and position = 2")
check "step 2 kept its run_results.json" eq "$(api GET "/api/v1/runs/$fr/artifacts/run_results.json?step_id=$s2" "$reader" "" "$t/rr-orig.json")" 200
retry=$(ids "$t/rr-orig.json" error fail skipped)
all=$(ids "$t/rr-orig.json")
check "stg_payments errored in step 2" eq "$(ids "$t/rr-orig.json" error)" model.shop.stg_payments
check "and its dependants were skipped, the rest succeeded" \
	test -n "$(ids "$t/rr-orig.json" skipped)" -a -n "$(ids "$t/rr-orig.json" success pass)"

# ---- what cannot be rerun
check "rerunning an unknown run is a 404" eq "$(api POST /api/v1/runs/999999/rerun "$runner")" 404
check "... with the JSON error shape" eq "$(j 'd["error"]["status"], d["error"]["code"]')" "(404, 'not_found')"
check "a run id that is no number is a 400" eq "$(api POST /api/v1/runs/abc/rerun "$runner")" 400
check "a metadata:read token cannot rerun: 403" eq "$(api POST "/api/v1/runs/$fr/rerun" "$reader")" 403
check "... naming the scope" eq "$(j '"job:run" in d["error"]["message"]')" True
check "no token: 401" eq "$(api POST "/api/v1/runs/$fr/rerun" "")" 401
check "none of them queued a run" eq "$(q "select count(*) from run")" 1
silt build --env prod --select stg_customers > /dev/null 2>&1
ok=$(q "select max(id) from run")
check "rerunning a run that succeeded is a 409" eq "$(api POST "/api/v1/runs/$ok/rerun" "$runner")" 409
check "... conflict, saying why" eq "$(j 'd["error"]["code"], "only a run that errored" in d["error"]["message"]')" "('conflict', True)"
check "the route is in the OpenAPI document" eq "$(api GET /api/openapi.json "")" 200
check "... as a POST needing job:run" eq "$(j 'd["paths"]["/api/v1/runs/{run_id}/rerun"]["post"]["x-silt-scope"]')" "job:run"

# ---- fix the variable, rerun through the API
check "the environment's variable is fixed" eq "$(api PUT /api/v1/environments/prod/variables/DBT_SHOP_BREAK "$admin" '{"value": "no"}')" 200
check "POST rerun queues a run (201)" eq "$(api POST "/api/v1/runs/$fr/rerun" "$runner")" 201
check "... of the same job, queued, a rerun of the failed run from step 2" \
	eq "$(j 'd["job"], d["status"], d["trigger"], d["rerun_of"], d["rerun_from_step"]')" "('nightly', 'queued', 'rerun', $fr, 2)"
rr=$(j 'd["id"]')
check "rerunning the queued rerun is a 409" eq "$(api POST "/api/v1/runs/$rr/rerun" "$runner")" 409
check "its steps are the failed one and those after it" \
	eq "$(api GET "/api/v1/runs/$rr/steps" "$reader" && j '[x["command"] for x in d["data"]]')" \
	"200
['silt build --exclude raw_customers', 'silt run --select stg_customers']"
silt worker --once > "$t/w2.out" 2>&1
check "the worker executes the rerun and it succeeds" eq "$(q "select status from run where id = $rr")" success
check "both of its steps succeeded" \
	eq "$(qa "select status from run_step where run_id = $rr order by position")" "success,success"
r1=$(q "select id from run_step where run_id = $rr and position = 1")
api GET "/api/v1/runs/$rr/artifacts/run_results.json?step_id=$r1" "$reader" "" "$t/rr-retry.json" > /dev/null
check "its first step ran only the failed and skipped nodes of step 2" eq "$(ids "$t/rr-retry.json")" "$retry"
check "... which were some" test -n "$retry"
check "... fewer than step 2 ran" test "$(echo "$retry" | wc -w)" -lt "$(echo "$all" | wc -w)"
check "... and all of them succeeded" eq "$(ids "$t/rr-retry.json" success pass)" "$retry"
api GET "/api/v1/runs/$rr/logs?step=1" "$reader" > /dev/null
check "its step's log says it retries run $fr's step 2" grep -q "^Rerun of run $fr from step 2: its failed and skipped nodes" "$t/body"
r2=$(q "select id from run_step where run_id = $rr and position = 2")
api GET "/api/v1/runs/$rr/artifacts/run_results.json?step_id=$r2" "$reader" "" "$t/rr-3.json" > /dev/null
check "the later step ran in full" eq "$(ids "$t/rr-3.json" success)" model.shop.stg_customers
check "the applied state of stg_payments is the rerun's success" \
	eq "$(q "select last_status || ':' || success_run_id from node_applied where unique_id = 'model.shop.stg_payments'")" "success:$rr"
check "rerunning the successful rerun is a 409" eq "$(api POST "/api/v1/runs/$rr/rerun" "$runner")" 409
check "the temporary state folder is gone" test -z "$(grep -o '/tmp/silt-rerun-[A-Za-z0-9]*' "$t/w2.out" | while read -r x; do [ -e "$x" ] && echo "$x"; done)"

# ---- the CLI: a failed rerun can be rerun again; `silt run rerun` executes it itself
silt env var set DBT_SHOP_BREAK yes --env prod > /dev/null 2>&1
check "the job fails again" eq "$(api POST /api/v1/jobs/nightly/runs "$runner" '{}')" 201
f2=$(j 'd["id"]')
silt worker --once > /dev/null 2>&1
check "... at step 2" eq "$(q "select status from run_step where run_id = $f2 and position = 2")" error
silt run rerun "$f2" > "$t/c1.out" 2>&1
check "silt run rerun of a run still failing exits 1" eq $? 1
c1=$(q "select max(id) from run")
check "... recorded as a rerun from step 2 that errored" \
	eq "$(q "select rerun_of || ':' || trigger || ':' || status || ':' || job_name from run where id = $c1")" "$f2:rerun:error:nightly"
check "... and says so" grep -q "Rerunning run $f2 from step 2 (silt build --exclude raw_customers) as run $c1: 2 steps" "$t/c1.out"
silt env var set DBT_SHOP_BREAK no --env prod > /dev/null 2>&1
silt run rerun "$c1" > "$t/c2.out" 2>&1
check "the rerun of the rerun succeeds" eq $? 0
c2=$(q "select max(id) from run")
check "... as a rerun of it" eq "$(q "select rerun_of || ':' || status from run where id = $c2")" "$c1:success"
silt run artifacts "$c2" --step 1 run_results.json > "$t/rr-c2.json" 2>&1
check "... running only what the first rerun left failed or skipped" \
	eq "$(ids "$t/rr-c2.json")" "$(silt run artifacts "$c1" --step 1 run_results.json > "$t/rr-c1.json" && ids "$t/rr-c1.json" error fail skipped)"
silt run rerun "$c2" > "$t/out" 2>&1
check "the CLI refuses a run that succeeded" grep -q "only a run that errored" "$t/out"
silt run rerun 424242 > "$t/out" 2>&1
check "... and an unknown run" grep -q "no run with id 424242" "$t/out"

# ---- a CI run: rerun only while it is its pull request's newest; `silt ci run` selects no
# nodes from a state, so its rerun runs it whole
silt env create ci --type general > /dev/null 2>&1
cp models/staging/stg_payments.sql "$t/stg_payments.sql"
echo "select * frm broken" > models/staging/stg_payments.sql
silt ci run --env ci --pr 7 --sha a1a1a1 > "$t/ci1.out" 2>&1
x1=$(q "select max(id) from run")
silt ci run --env ci --pr 7 --sha a2a2a2 > "$t/ci2.out" 2>&1
x2=$(q "select max(id) from run")
check "two CI runs of pull request 7 errored" \
	eq "$(qa "select status || ':' || is_ci || ':' || pr_id from run where id in ($x1, $x2) order by id")" "error:1:7,error:1:7"
check "rerunning the older one is a 409" eq "$(api POST "/api/v1/runs/$x1/rerun" "$runner")" 409
check "... naming the newer run" eq "$(j '"run '"$x2"' is" in d["error"]["message"]')" True
cp "$t/stg_payments.sql" models/staging/stg_payments.sql
check "rerunning the newest is queued" eq "$(api POST "/api/v1/runs/$x2/rerun" "$runner")" 201
check "... as a CI run of the same pull request and commit" eq "$(j 'd["is_ci"], d["pr_id"], d["git_sha"]')" "(True, '7', 'a2a2a2')"
x3=$(j 'd["id"]')
silt worker --once > "$t/w3.out" 2>&1
check "the worker executes it and it succeeds" eq "$(q "select status from run where id = $x3")" success
check "... running the command whole" grep -q "^Rerun of run $x2 from step 1: the command selects no nodes, so all of it" "$t/w3.out"

kill -TERM $pid
wait $pid
check "the server stops cleanly" test $? -eq 0
check "no token appears in the server's output" test "$(grep -c -e "$admin" -e "$runner" -e "$reader" "$t/serve.out")" = 0
finish
