#!/bin/sh
# Two silt worker processes share one store while silt serve (no workers of its own) queues
# runs: each run is executed exactly once; a worker killed with SIGKILL in the middle of a run
# leaves that run marked errored within seconds (the server's scheduler notices the dead
# process), never stuck "running", and the other worker goes on with the queue.
# On PostgreSQL (tests/run.sh's second pass) the workers and the server each act as a machine of
# their own (SILT_HOST), so the dead worker can only be found by its missing heartbeat.
. "$(dirname "$0")/lib/common.sh" "$1"
need_pg_store
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db* "$t/shop/.silt"
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
export HOME=$t/home SILT_STORE="$(store_new store)"
unset DBT_PROJECT_DIR DBT_TARGET
cd "$t/shop" || exit 1
q() { sq "$SILT_STORE" "$1" | tr '\n' ' ' | sed 's/ $//'; }
host_a="" host_b="" host_s=""
if pg_store; then
	export SILT_RUN_HEARTBEAT_TIMEOUT=5
	host_a=worker-a host_b=worker-b host_s=server
fi
silt env create prod --type production > /dev/null 2>&1
silt seed --env prod > /dev/null 2>&1
cat > models/slow.sql <<'EOT'
{{ config(materialized='table') }}
with recursive c(x) as (select 1 union all select x + 1 from c where x < 500000000)
select count(*) as n from c
EOT
silt job create slow --env prod --step "silt run --select slow" > /dev/null 2>&1
# twenty quick jobs, one queued run each: none replaces another (one queued run per deploy job)
for k in $(seq 0 19); do
	silt job create quick$k --env prod --step "silt run --select stg_customers" > /dev/null 2>&1
done
SILT_HOST=$host_s "$SILT" serve --port 0 --workers 0 > "$t/serve.out" 2>&1 &
spid=$!
SILT_HOST=$host_a "$SILT" worker --poll-ms 100 > "$t/w1.out" 2>&1 &
w1=$!
SILT_HOST=$host_b "$SILT" worker --poll-ms 100 > "$t/w2.out" 2>&1 &
w2=$!
i=0
while [ $i -lt 100 ] && ! grep -q "listening on" "$t/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$t/serve.out" | head -n 1)
token=$(silt token create t --scope job:run | grep '^slt_')
post() { /usr/bin/python3 -c "
import sys, urllib.request
r = urllib.request.Request(sys.argv[1] + sys.argv[2], data=b'{}', method='POST', headers={'Authorization': 'Bearer ' + sys.argv[3], 'Content-Type': 'application/json'})
print(urllib.request.urlopen(r).status)" "$url" "$1" "$token"; }
post /api/v1/jobs/slow/runs > /dev/null
i=0
while [ $i -lt 300 ] && [ "$(q "select count(*) from run where job_name = 'slow' and status = 'running'")" != 1 ]; do sleep 0.1; i=$((i + 1)); done
slow=$(q "select id from run where job_name = 'slow'")
owner=$(q "select owner_pid from run where id = $slow")
check "a worker runs the slow job" test "$owner" = "$w1" -o "$owner" = "$w2"
for k in $(seq 0 19); do post /api/v1/jobs/quick$k/runs > /dev/null; done
sleep 0.3
kill -9 "$owner"
start=$(date +%s)
i=0
while [ $i -lt 300 ] && [ "$(q "select status from run where id = $slow")" = running ]; do sleep 0.1; i=$((i + 1)); done
took=$(($(date +%s) - start))
check "the killed worker's run is marked errored (${took}s)" test "$(q "select status from run where id = $slow")" = error
check "... within seconds" test "$took" -le 15
check "... saying its process died" test -n "$(q "select id from run where id = $slow and message like '%ended without finishing%'")"
if pg_store; then
	check "... found by its missing heartbeat (the worker is on another machine)" \
		test -n "$(q "select id from run where id = $slow and message like '%no heartbeat for 5 s%'")"
fi
i=0
while [ $i -lt 600 ] && [ "$(q "select count(*) from run where status in ('queued', 'running')")" != 0 ]; do sleep 0.2; i=$((i + 1)); done
check "the other worker empties the queue" test "$(q "select count(*) from run where status in ('queued', 'running')")" = 0
check "the 20 quick runs were queued" test "$(q "select count(*) from run where job_name like 'quick%'")" = 20
check "all 20 succeeded" test "$(q "select count(*) from run where job_name like 'quick%' and status = 'success'")" = 20
check "each ran exactly once: one history row of its model per run" \
	test "$(q "select count(*) from run r where r.job_name like 'quick%' and (select count(*) from node_history h where h.run_id = r.id and h.unique_id = 'model.shop.stg_customers') = 1")" = 20
check "no run was executed twice (one history row per node per run)" \
	test "$(q "select count(*) from (select run_id, unique_id from node_history group by run_id, unique_id having count(*) > 1) as twice")" = 0
alive=$w1
[ "$owner" = "$w1" ] && alive=$w2
kill -TERM "$alive" $spid
wait "$alive"
check "the surviving worker stops cleanly" test $? -eq 0
wait $spid
finish
